//! One composition root per function. Each reads its settings once, at init, and builds only the
//! ports that function uses, so that its bootstrap links only the AWS clients it calls and a
//! missing permission or setting shows at cold start, named:
//!
//! | function | ports | settings it requires | secrets it reads (SSM) |
//! |---|---|---|---|
//! | pms-webhook | store, bus, PMS vendor adapters | `RELAIS_TABLE`, `RELAIS_EVENT_BUS` | none |
//! | campaigns-api | store, queue, bus (operator custom fields), mailer, WhatsApp templates | `RELAIS_TABLE`, `RELAIS_DISPATCH_QUEUE_URL`, `RELAIS_EVENT_BUS` | WhatsApp token |
//! | delivery-status | store, queue, mailer, callback checks, WhatsApp (FAQ answers), bus (flow hand-offs) | `RELAIS_TABLE`, `RELAIS_DISPATCH_QUEUE_URL`, `RELAIS_EVENT_BUS` | WhatsApp app secret, verify token and token, Twilio auth token |
//! | sweep | store, queue, mailer, WhatsApp templates (status polling) | `RELAIS_TABLE`, `RELAIS_DISPATCH_QUEUE_URL` | WhatsApp token |
//! | evaluator | store, queue | `RELAIS_TABLE`, `RELAIS_DISPATCH_QUEUE_URL` | none |
//! | dispatcher | store, queue, WhatsApp, SMS | `RELAIS_TABLE`, `RELAIS_DISPATCH_QUEUE_URL` | WhatsApp token, Twilio auth token |
//!
//! A port a function does not use is [`NotWired`]: calling it is a bug and fails loudly. A
//! provider without settings is [`UnconfiguredChannel`]: its sends are refused with
//! `channel_not_configured` and its templates are never approved; no function records a send
//! or an approval that no provider made. `RELAIS_MAIL_FROM` empty disables e-mail: each
//! notification e-mail is then refused with a logged reason.

use std::sync::Arc;

use async_trait::async_trait;
use relais_app::clock::SystemClock;
use relais_app::ports::{
    ChannelSender, Clock, DispatchJob, EventBus, Mailer, PmsVendors, ReservationChanged, SendOutcome, SendRequest,
    Store, TemplateOutcome, TemplateRequest, WorkQueue,
};
use relais_app::{App, AppConfig};
use relais_channels::{ChannelsConfig, UnconfiguredChannel};
use relais_domain::Channel;
use relais_http::{CallbackHost, CallbackSettings};

use crate::secrets::{self, Secret};
use crate::{InitError, LambdaApp};

/// A setting the function cannot start without: its value, or init fails naming it.
fn required(name: &'static str) -> Result<String, InitError> {
    optional(name).ok_or(InitError::Missing(name))
}

fn optional(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

/// What every function has: the AWS configuration, the clock and the table.
struct Base {
    sdk: aws_config::SdkConfig,
    clock: Arc<dyn Clock>,
    store: Arc<dyn Store>,
}

impl Base {
    async fn load() -> Result<Base, InitError> {
        let table = required(relais_aws::ENV_TABLE)?;
        let sdk = relais_aws::lambda_sdk_config(optional)
            .map_err(|relais_aws::ConfigError::Missing(name)| InitError::Missing(name))?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let store = Arc::new(relais_aws::dynamo_store(&sdk, table, clock.clone()));
        Ok(Base { sdk, clock, store })
    }

    fn queue(&self) -> Result<Arc<dyn WorkQueue>, InitError> {
        Ok(Arc::new(relais_aws::sqs_queue(&self.sdk, required(relais_aws::ENV_DISPATCH_QUEUE_URL)?)))
    }

    fn bus(&self) -> Result<Arc<dyn EventBus>, InitError> {
        Ok(Arc::new(relais_aws::event_bus(&self.sdk, required(relais_aws::ENV_EVENT_BUS)?)))
    }

    fn mailer(&self) -> Arc<dyn Mailer> {
        match optional(relais_aws::ENV_MAIL_FROM) {
            Some(from) => Arc::new(relais_aws::ses_mailer(&self.sdk, from)),
            None => Arc::new(MailDisabled),
        }
    }

    /// The settings of SPEC 5.1 with the listed secrets read from SSM (others pass through).
    async fn channel_settings(&self, secrets: &[Secret]) -> Result<Settings, InitError> {
        let resolved = secrets::resolve(&self.sdk, secrets).await?;
        Ok(Settings { resolved })
    }

    fn app(self, ports: Ports, config: AppConfig) -> App {
        let not_wired = Arc::new(NotWired);
        App {
            store: self.store,
            bus: ports.bus.unwrap_or_else(|| not_wired.clone()),
            queue: ports.queue.unwrap_or_else(|| not_wired.clone()),
            whatsapp: ports.whatsapp.unwrap_or_else(|| not_wired.clone()),
            sms: ports.sms.unwrap_or_else(|| not_wired.clone()),
            mailer: ports.mailer.unwrap_or(not_wired),
            clock: self.clock,
            vendors: ports.vendors,
            config,
        }
    }
}

/// Settings after secret resolution: a resolved secret wins, an `ssm:` reference that did not
/// resolve counts as unset, anything else is read from the environment.
struct Settings {
    resolved: std::collections::HashMap<&'static str, String>,
}

impl Settings {
    fn get(&self, name: &str) -> Option<String> {
        if let Some(value) = self.resolved.get(name) {
            return Some(value.clone());
        }
        std::env::var(name).ok().filter(|v| secrets::parameter_name(v).is_none())
    }

    fn channels(&self) -> Result<ChannelsConfig, InitError> {
        Ok(ChannelsConfig::from_lookup(|name| self.get(name))?)
    }

    fn callbacks(&self) -> CallbackSettings {
        CallbackSettings::from_settings(|name| self.get(name), CallbackHost::Aws)
    }
}

#[derive(Default)]
struct Ports {
    bus: Option<Arc<dyn EventBus>>,
    queue: Option<Arc<dyn WorkQueue>>,
    whatsapp: Option<Arc<dyn ChannelSender>>,
    sms: Option<Arc<dyn ChannelSender>>,
    mailer: Option<Arc<dyn Mailer>>,
    vendors: Option<Arc<dyn PmsVendors>>,
}

fn http_client() -> Result<reqwest::Client, InitError> {
    relais_channels::default_http_client().map_err(|e| InitError::Http(e.to_string()))
}

/// The configured provider client, or the channel that refuses every send with
/// `channel_not_configured` (logged once at init).
fn sender_or_unconfigured(channel: Channel, client: Option<Arc<dyn ChannelSender>>) -> Arc<dyn ChannelSender> {
    client.unwrap_or_else(|| {
        tracing::warn!(
            channel = channel.as_str(),
            "channel not configured: its sends are refused with channel_not_configured"
        );
        Arc::new(UnconfiguredChannel::new(channel))
    })
}

fn whatsapp_sender(channels: &ChannelsConfig) -> Result<Arc<dyn ChannelSender>, InitError> {
    let client = channels.whatsapp_client(http_client()?).map(|c| Arc::new(c) as Arc<dyn ChannelSender>);
    Ok(sender_or_unconfigured(Channel::Whatsapp, client))
}

fn sms_sender(channels: &ChannelsConfig) -> Result<Arc<dyn ChannelSender>, InitError> {
    let client = channels.twilio_client(http_client()?).map(|c| Arc::new(c) as Arc<dyn ChannelSender>);
    Ok(sender_or_unconfigured(Channel::Sms, client))
}

/// How long pms-webhook reuses a property it read.
const PROPERTY_CACHE_SECONDS: i64 = 60;

/// pms-webhook: PMS webhooks and CSV imports.
pub async fn pms_webhook() -> Result<LambdaApp, InitError> {
    let base = Base::load().await?;
    let bus = base.bus()?;
    let vendors: Arc<dyn PmsVendors> =
        Arc::new(relais_pms::PmsAdapters::new(base.clock.clone()).map_err(InitError::Http)?);
    // A warm function reads each property once a minute, not once a webhook (docs/performance.md).
    let config = AppConfig {
        property_cache: Some(Arc::new(relais_app::intake::PropertyCache::new(PROPERTY_CACHE_SECONDS))),
        ..AppConfig::default()
    };
    let app = base.app(Ports { bus: Some(bus), vendors: Some(vendors), ..Ports::default() }, config);
    Ok(LambdaApp::new(app, CallbackSettings::default()))
}

/// campaigns-api: campaigns, approval (WhatsApp template registration), set-up, reads.
pub async fn campaigns_api() -> Result<LambdaApp, InitError> {
    let base = Base::load().await?;
    let settings = base.channel_settings(&[Secret::WhatsAppToken]).await?;
    let channels = settings.channels()?;
    let ports = Ports {
        queue: Some(base.queue()?),
        bus: Some(base.bus()?),
        mailer: Some(base.mailer()),
        whatsapp: Some(whatsapp_sender(&channels)?),
        ..Ports::default()
    };
    let console_config = relais_http::console::config_json(optional).map_err(InitError::Console)?;
    let app = base.app(ports, AppConfig { public_url: channels.public_url.clone(), ..AppConfig::default() });
    Ok(LambdaApp { console_config, ..LambdaApp::new(app, CallbackSettings::default()) })
}

/// delivery-status: provider callbacks (statuses, inbound messages, template reviews).
pub async fn delivery_status() -> Result<LambdaApp, InitError> {
    let base = Base::load().await?;
    let settings = base
        .channel_settings(&[
            Secret::WhatsAppAppSecret,
            Secret::WhatsAppVerifyToken,
            Secret::TwilioAuthToken,
            Secret::WhatsAppToken,
        ])
        .await?;
    let callbacks = settings.callbacks();
    let channels = settings.channels()?;
    let ports = Ports {
        queue: Some(base.queue()?),
        mailer: Some(base.mailer()),
        // A tapped FAQ button is answered with a free-form WhatsApp text; a flow button is
        // handed to the chatbot platform as a GuestChoseFlow event on the bus.
        whatsapp: Some(whatsapp_sender(&channels)?),
        bus: Some(base.bus()?),
        ..Ports::default()
    };
    let app = base.app(ports, AppConfig { public_url: callbacks.public_url.clone(), ..AppConfig::default() });
    Ok(LambdaApp::new(app, callbacks))
}

/// sweep: finds what is due and queues it; asks Meta about templates still under review.
pub async fn sweep() -> Result<App, InitError> {
    let base = Base::load().await?;
    let settings = base.channel_settings(&[Secret::WhatsAppToken]).await?;
    let channels = settings.channels()?;
    let ports = Ports {
        queue: Some(base.queue()?),
        mailer: Some(base.mailer()),
        whatsapp: Some(whatsapp_sender(&channels)?),
        ..Ports::default()
    };
    Ok(base.app(ports, AppConfig::default()))
}

/// evaluator: plans messages for changed reservations.
pub async fn evaluator() -> Result<App, InitError> {
    let base = Base::load().await?;
    let queue = base.queue()?;
    Ok(base.app(Ports { queue: Some(queue), ..Ports::default() }, AppConfig::default()))
}

/// dispatcher: sends through WhatsApp and Twilio.
pub async fn dispatcher() -> Result<App, InitError> {
    let base = Base::load().await?;
    let settings = base.channel_settings(&[Secret::WhatsAppToken, Secret::TwilioAuthToken]).await?;
    let channels = settings.channels()?;
    let ports = Ports {
        queue: Some(base.queue()?),
        whatsapp: Some(whatsapp_sender(&channels)?),
        sms: Some(sms_sender(&channels)?),
        ..Ports::default()
    };
    Ok(base.app(ports, AppConfig { public_url: channels.public_url.clone(), ..AppConfig::default() }))
}

/// A port this function does not use. Reaching it is a wiring bug: it fails, never pretends.
struct NotWired;

const NOT_WIRED: &str = "this function is not wired for that port (see functions/lambda-handlers/src/roots.rs)";

#[async_trait]
impl EventBus for NotWired {
    async fn publish(&self, _event: &ReservationChanged) -> Result<(), String> {
        Err(NOT_WIRED.into())
    }
    async fn publish_flow_choice(&self, _event: &relais_app::ports::GuestChoseFlow) -> Result<(), String> {
        Err(NOT_WIRED.into())
    }
}

#[async_trait]
impl WorkQueue for NotWired {
    async fn enqueue(&self, _job: &DispatchJob, _delay_seconds: u32) -> Result<(), String> {
        Err(NOT_WIRED.into())
    }
}

#[async_trait]
impl Mailer for NotWired {
    async fn send_email(&self, _to: &str, _subject: &str, _body: &str) -> Result<(), String> {
        Err(NOT_WIRED.into())
    }
}

#[async_trait]
impl ChannelSender for NotWired {
    async fn send(&self, _request: &SendRequest) -> SendOutcome {
        SendOutcome::Transient { code: "not_wired".into(), detail: NOT_WIRED.into(), retry_after_seconds: None }
    }

    async fn register_template(&self, _request: &TemplateRequest) -> TemplateOutcome {
        TemplateOutcome::NotSubmitted { reason: NOT_WIRED.into() }
    }
}

/// `RELAIS_MAIL_FROM` is empty: notification e-mails are off for this deployment.
struct MailDisabled;

#[async_trait]
impl Mailer for MailDisabled {
    async fn send_email(&self, _to: &str, _subject: &str, _body: &str) -> Result<(), String> {
        Err("e-mail is disabled in this deployment (RELAIS_MAIL_FROM is empty)".into())
    }
}
