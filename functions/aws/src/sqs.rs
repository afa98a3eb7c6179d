//! SQS [`WorkQueue`]: dispatch jobs as JSON message bodies.

use async_trait::async_trait;
use aws_sdk_sqs::Client;
use aws_sdk_sqs::error::DisplayErrorContext;
use relais_app::ports::{DispatchJob, WorkQueue};

/// SQS caps `DelaySeconds` at 15 minutes; a longer backoff is re-queued by the dispatcher.
pub const MAX_DELAY_SECONDS: u32 = 900;

#[derive(Clone)]
pub struct SqsQueue {
    client: Client,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> SqsQueue {
        SqsQueue { client, queue_url: queue_url.into() }
    }
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }
}

#[async_trait]
impl WorkQueue for SqsQueue {
    async fn enqueue(&self, job: &DispatchJob, delay_seconds: u32) -> Result<(), String> {
        let body = serde_json::to_string(job).map_err(|e| e.to_string())?;
        let delay = i32::try_from(delay_seconds.min(MAX_DELAY_SECONDS)).unwrap_or(0);
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(body)
            .delay_seconds(delay)
            .send()
            .await
            .map_err(|e| format!("sqs send_message: {}", DisplayErrorContext(&e)))?;
        Ok(())
    }
}
