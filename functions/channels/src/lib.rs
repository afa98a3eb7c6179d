//! Relais channel providers: the real [`ChannelSender`](relais_app::ports::ChannelSender)s and
//! everything around them that the dispatcher and the delivery-status handler need.
//!
//! - [`whatsapp`]: WhatsApp Business Platform Cloud API client (template and text messages,
//!   template registration and status polling) and error classification.
//! - [`whatsapp_webhook`]: `X-Hub-Signature-256` verification, the `GET` verification challenge,
//!   and parsing of status / inbound / template-status / user-preference webhooks.
//! - [`twilio`]: Twilio Programmable Messaging client, `X-Twilio-Signature` verification, status
//!   callbacks, inbound messages with STOP / START keywords.
//! - [`status`]: provider statuses -> [`MessageState`](relais_domain::MessageState) and the
//!   "never go backwards" rule.
//! - [`ratelimit`]: per-sender token buckets; senders answer `Transient{code:"rate_limited_local"}`
//!   instead of waiting.
//! - [`config`]: settings from the environment (SPEC 5.1).
//!
//! Nothing here logs a phone number, a message body or a secret.

pub mod config;
mod errors;
pub mod ratelimit;
pub mod status;
pub mod twilio;
pub mod unconfigured;
pub mod whatsapp;
pub mod whatsapp_webhook;

pub use config::{ChannelsConfig, ConfigError, TwilioConfig, WhatsAppConfig, from_env};
pub use errors::{ErrorClass, ParseError, UNANSWERED_SEND_RETRY_SECONDS};
pub use ratelimit::{RateLimit, RateLimiter, TokenBucket};
pub use status::{should_apply, twilio_state, whatsapp_state};
pub use twilio::{
    OptAction, SEND_KEY_PARAMETER, TwilioClient, TwilioInbound, TwilioMessageStatus, TwilioStatus,
    classify_twilio_error, opt_keyword, parse_form, parse_inbound, parse_status_callback, status_callback_with_key,
    twilio_signature, verify_twilio_signature,
};
pub use unconfigured::{CHANNEL_NOT_CONFIGURED, UnconfiguredChannel};
pub use whatsapp::{
    TemplateCategory, TemplateError, TemplateRegistration, TemplateSpec, WhatsAppClient, classify_whatsapp_error,
    whatsapp_language,
};
pub use whatsapp_webhook::{
    WhatsAppStatus, WhatsAppWebhookEvent, parse_webhook, verification_challenge, verify_signature,
};

/// A `reqwest` client with the timeouts a Lambda handler wants (connect 3 s, whole request 10 s).
/// Build it once per container and share it (it pools connections).
pub fn default_http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(3))
        .timeout(std::time::Duration::from_secs(10))
        .user_agent(concat!("relais/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Template names are a domain rule (the campaign is found from the name).
pub use relais_domain::whatsapp::template_name;
