//! SES v2 [`Mailer`]: plain-text notification e-mails.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::DisplayErrorContext;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use relais_app::ports::Mailer;

#[derive(Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>) -> SesMailer {
        SesMailer { client, from: from.into() }
    }
}

fn content(text: &str) -> Result<Content, String> {
    Content::builder().data(text).charset("UTF-8").build().map_err(|e| e.to_string())
}

#[async_trait]
impl Mailer for SesMailer {
    async fn send_email(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let message =
            Message::builder().subject(content(subject)?).body(Body::builder().text(content(body)?).build()).build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| format!("ses send_email: {}", DisplayErrorContext(&e)))?;
        Ok(())
    }
}
