//! The channel a deployed function uses when a provider has no settings: every send is refused
//! with `channel_not_configured` (the engine then falls back or fails, as for any refusal, and
//! the timeline says why) and no WhatsApp template is ever reported approved. Only the local
//! runner and the simulator record sends in an outbox; a deployment never pretends to send.

use async_trait::async_trait;
use relais_app::ports::{ChannelSender, SendOutcome, SendRequest, TemplateOutcome, TemplateRequest};
use relais_domain::Channel;

/// The refusal code an unconfigured channel answers.
pub const CHANNEL_NOT_CONFIGURED: &str = "channel_not_configured";

#[derive(Debug, Clone, Copy)]
pub struct UnconfiguredChannel {
    channel: Channel,
}

impl UnconfiguredChannel {
    pub fn new(channel: Channel) -> UnconfiguredChannel {
        UnconfiguredChannel { channel }
    }

    fn missing_settings(&self) -> &'static str {
        match self.channel {
            Channel::Whatsapp => "RELAIS_WHATSAPP_TOKEN",
            Channel::Sms => "RELAIS_TWILIO_ACCOUNT_SID and RELAIS_TWILIO_AUTH_TOKEN",
        }
    }
}

#[async_trait]
impl ChannelSender for UnconfiguredChannel {
    async fn send(&self, _request: &SendRequest) -> SendOutcome {
        SendOutcome::Rejected {
            code: CHANNEL_NOT_CONFIGURED.into(),
            detail: format!(
                "{} is not configured in this deployment ({})",
                self.channel.as_str(),
                self.missing_settings()
            ),
            opted_out: false,
        }
    }

    async fn register_template(&self, _request: &TemplateRequest) -> TemplateOutcome {
        TemplateOutcome::NotSubmitted {
            reason: format!(
                "{} is not configured in this deployment ({}): the template cannot be submitted to Meta",
                self.channel.as_str(),
                self.missing_settings()
            ),
        }
    }
}
