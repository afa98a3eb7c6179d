//! Drive the SQS consumers by hand, as the Lambda service would: receive a batch from a queue,
//! hand it to the handler as the Lambda SQS event JSON, delete what succeeded. For local
//! emulators (moto has no Lambda event source mappings), end-to-end tests and
//! `relais simulate --backend aws`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sqs::error::DisplayErrorContext;
use lambda_runtime::{Context, LambdaEvent};
use relais_app::App;
use serde_json::json;

/// The two queues the Lambdas consume.
#[derive(Clone)]
pub struct SqsDriver {
    pub sqs: aws_sdk_sqs::Client,
    pub evaluator_queue_url: String,
    pub dispatch_queue_url: String,
}

/// What one [`SqsDriver::drain`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    pub evaluated: usize,
    pub dispatched: usize,
    /// Records the handlers reported as failed (left on the queue for redelivery).
    pub failed: usize,
    /// Every dispatcher batch handled, as delivered (tests replay them).
    pub dispatch_batches: Vec<SqsEvent>,
}

impl SqsDriver {
    /// Receive up to 10 visible messages, as the Lambda SQS event the service would deliver.
    pub async fn receive(&self, queue_url: &str) -> Result<SqsEvent, String> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(|e| format!("sqs receive_message: {}", DisplayErrorContext(&e)))?;
        let records: Vec<serde_json::Value> = out
            .messages()
            .iter()
            .map(|m| {
                json!({
                    "messageId": m.message_id(),
                    "receiptHandle": m.receipt_handle(),
                    "body": m.body(),
                    "md5OfBody": m.md5_of_body(),
                    "attributes": {},
                    "messageAttributes": {},
                    "eventSource": "aws:sqs",
                    "eventSourceARN": queue_url,
                    "awsRegion": "local",
                })
            })
            .collect();
        serde_json::from_value(json!({ "Records": records })).map_err(|e| e.to_string())
    }

    /// Delete the records of `event` that are not in `response`'s failures.
    pub async fn delete_succeeded(
        &self,
        queue_url: &str,
        event: &SqsEvent,
        response: &SqsBatchResponse,
    ) -> Result<(), String> {
        for record in &event.records {
            let failed = response
                .batch_item_failures
                .iter()
                .any(|f| Some(f.item_identifier.as_str()) == record.message_id.as_deref());
            if failed {
                continue;
            }
            if let Some(handle) = &record.receipt_handle {
                self.sqs
                    .delete_message()
                    .queue_url(queue_url)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .map_err(|e| format!("sqs delete_message: {}", DisplayErrorContext(&e)))?;
            }
        }
        Ok(())
    }

    /// Hand every visible event to the evaluator and every visible job to the dispatcher until
    /// both queues are empty (events create jobs; jobs may create jobs, e.g. a fallback).
    pub async fn drain(&self, app: &App) -> Result<DrainReport, String> {
        let mut report = DrainReport::default();
        loop {
            let events = self.receive(&self.evaluator_queue_url).await?;
            let jobs = self.receive(&self.dispatch_queue_url).await?;
            if events.records.is_empty() && jobs.records.is_empty() {
                return Ok(report);
            }
            if !events.records.is_empty() {
                let response = crate::evaluator(app, LambdaEvent::new(events.clone(), Context::default()))
                    .await
                    .map_err(|e| e.to_string())?;
                report.evaluated += events.records.len() - response.batch_item_failures.len();
                report.failed += response.batch_item_failures.len();
                self.delete_succeeded(&self.evaluator_queue_url, &events, &response).await?;
            }
            if !jobs.records.is_empty() {
                let response = crate::dispatcher(app, LambdaEvent::new(jobs.clone(), Context::default()))
                    .await
                    .map_err(|e| e.to_string())?;
                report.dispatched += jobs.records.len() - response.batch_item_failures.len();
                report.failed += response.batch_item_failures.len();
                self.delete_succeeded(&self.dispatch_queue_url, &jobs, &response).await?;
                report.dispatch_batches.push(jobs);
            }
        }
    }
}
