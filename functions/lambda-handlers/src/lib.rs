//! The Lambda handlers of Relais. Each function's `main.rs` builds a [`LambdaApp`] once per
//! container and hands one of these to the runtime; the tests call the same functions with
//! fixture events.
//!
//! | function | event | handler |
//! |---|---|---|
//! | pms-webhook, campaigns-api, delivery-status | API Gateway HTTP API (v2) | [`http_router`] (the one `relais_http` router) |
//! | sweep | EventBridge scheduled event | [`sweep`] |
//! | evaluator | SQS batch of EventBridge `ReservationChanged` events | [`evaluator`] |
//! | dispatcher | SQS batch of dispatch jobs | [`dispatcher`] |
//!
//! SQS consumers answer with partial batch failures (`ReportBatchItemFailures`): a record that
//! fails (or cannot be parsed) is reported by its message id and comes back after the
//! visibility timeout; after `maxReceiveCount` receives SQS moves it to the queue's DLQ. A
//! record without a message id cannot be reported: the whole invocation fails instead (never
//! an empty item identifier).

pub mod drive;
pub mod secrets;
pub mod simulate_aws;

use std::sync::Arc;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;
use relais_app::embedded::{MailOutbox, OutboxChannel, SystemClock};
use relais_app::engine;
use relais_app::ports::{ChannelSender, Clock, DispatchJob, PmsVendors, ReservationChanged};
use relais_app::{App, AppConfig};
use relais_aws::AwsAdapters;
use relais_domain::Channel;
use relais_http::{ApiState, CallbackHost, CallbackSettings};
use serde_json::Value;

pub type Error = lambda_runtime::Error;

/// What every function builds once per container.
#[derive(Clone)]
pub struct LambdaApp {
    pub app: App,
    pub callbacks: CallbackSettings,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("AWS settings: {0}")]
    Aws(#[from] relais_aws::ConfigError),
    #[error("channel settings: {0}")]
    Channels(#[from] relais_channels::ConfigError),
    #[error("secrets: {0}")]
    Secrets(String),
    #[error("HTTP client: {0}")]
    Http(String),
}

/// JSON logs (CloudWatch), level from `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().json().with_env_filter(filter).with_current_span(false).without_time().try_init();
}

impl LambdaApp {
    /// From the environment: AWS adapters (`RELAIS_TABLE`, `RELAIS_DISPATCH_QUEUE_URL`,
    /// `RELAIS_EVENT_BUS`, `RELAIS_MAIL_FROM`, standard `AWS_*` settings), channel providers
    /// (SPEC 5.1 variables, secret ones resolved from SSM by [`secrets`]; without them sends go to an in-memory outbox, with a warning) and
    /// the PMS vendor adapters.
    pub async fn from_env() -> Result<LambdaApp, InitError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let aws = AwsAdapters::from_env(clock.clone()).await?;
        let secrets = secrets::resolve(&aws.sdk_config).await.map_err(InitError::Secrets)?;
        let setting = |name: &str| {
            secrets
                .get(name)
                .cloned()
                .or_else(|| std::env::var(name).ok().filter(|v| secrets::parameter_name(v).is_none()))
        };
        let channels = relais_channels::ChannelsConfig::from_lookup(setting)?;
        let mut whatsapp: Option<Arc<dyn ChannelSender>> = None;
        let mut sms: Option<Arc<dyn ChannelSender>> = None;
        if channels.whatsapp.is_some() || channels.twilio.is_some() {
            let http = relais_channels::default_http_client().map_err(|e| InitError::Http(e.to_string()))?;
            if let Some(client) = channels.whatsapp_client(http.clone()) {
                whatsapp = Some(Arc::new(client));
            }
            if let Some(client) = channels.twilio_client(http) {
                sms = Some(Arc::new(client));
            }
        }
        if whatsapp.is_none() || sms.is_none() {
            tracing::warn!(
                whatsapp = whatsapp.is_some(),
                sms = sms.is_some(),
                "a channel provider is not configured; its sends are only recorded in memory"
            );
        }
        let vendors: Option<Arc<dyn PmsVendors>> = match relais_pms::PmsAdapters::new(clock.clone()) {
            Ok(adapters) => Some(Arc::new(adapters)),
            Err(e) => {
                tracing::warn!(error = %e, "PMS vendor adapters unavailable; canonical webhooks only");
                None
            }
        };
        let whatsapp =
            whatsapp.unwrap_or_else(|| Arc::new(OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone())));
        let sms = sms.unwrap_or_else(|| Arc::new(OutboxChannel::new(Channel::Sms, Vec::new(), clock.clone())));
        let app = App {
            store: aws.store.clone(),
            bus: aws.bus.clone(),
            queue: aws.queue.clone(),
            whatsapp,
            sms,
            mailer: if aws.settings.mail_from.is_empty() {
                Arc::new(MailOutbox::new(None))
            } else {
                aws.mailer.clone()
            },
            clock,
            vendors,
            config: AppConfig { public_url: channels.public_url.clone() },
        };
        Ok(LambdaApp { app, callbacks: CallbackSettings::from_settings(setting, CallbackHost::Aws) })
    }
}

// ---------------------------------------------------------------- HTTP functions

/// The HTTP API (SPEC 4, 5.1, 6) for API Gateway: identity from the JWT authorizer's claims;
/// provider callbacks must be signed (never accepted unsigned in AWS).
pub fn http_router(lambda: &LambdaApp) -> axum::Router {
    relais_http::router(ApiState::aws(lambda.app.clone(), lambda.callbacks.clone()))
}

// ---------------------------------------------------------------- sweep

/// The scheduled sweep: everything due is queued for the dispatcher. An error fails the
/// invocation (the next schedule catches up from the watermark).
pub async fn sweep(app: &App, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let scheduled_at = event.payload.get("time").and_then(Value::as_str).map(str::to_string);
    let report = engine::run_sweep(app).await?;
    tracing::info!(
        scheduled_at = scheduled_at.as_deref().unwrap_or(""),
        enqueued = report.enqueued,
        resolved_interrupted = report.resolved_interrupted,
        "sweep"
    );
    Ok(serde_json::json!({
        "from": report.from,
        "to": report.to,
        "enqueued": report.enqueued,
        "resolved_interrupted": report.resolved_interrupted,
    }))
}

// ---------------------------------------------------------------- SQS consumers

/// Why one SQS record failed.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("unreadable record: {0}")]
    Poison(String),
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
}

/// Run `handle` on every record; report the failed ones by message id.
async fn each_record<F, Fut>(event: SqsEvent, function: &str, handle: F) -> Result<SqsBatchResponse, Error>
where
    F: Fn(SqsMessage) -> Fut,
    Fut: std::future::Future<Output = Result<(), RecordError>>,
{
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().filter(|id| !id.is_empty());
        if let Err(e) = handle(record).await {
            match id {
                Some(id) => {
                    tracing::warn!(function, message_id = %id, error = %e, "record failed; SQS redelivers it");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    response.batch_item_failures.push(failure);
                }
                None => {
                    // Never report an empty identifier: fail the whole batch instead.
                    tracing::error!(function, error = %e, "record without message id failed; failing the batch");
                    return Err(format!("{function}: a record without message id failed: {e}").into());
                }
            }
        }
    }
    Ok(response)
}

/// The `ReservationChanged` carried by an EventBridge event (the evaluator queue receives the
/// whole event as the SQS body).
pub fn reservation_changed_of(body: &str) -> Result<ReservationChanged, RecordError> {
    let value: Value = serde_json::from_str(body).map_err(|e| RecordError::Poison(format!("body is not JSON: {e}")))?;
    let detail = match value.get("detail") {
        Some(detail) => detail.clone(),
        // Tolerate a bare ReservationChanged (a replay from the DLQ by hand, tests).
        None => value,
    };
    serde_json::from_value(detail).map_err(|e| RecordError::Poison(format!("not a ReservationChanged: {e}")))
}

/// Evaluator: one `ReservationChanged` per record.
pub async fn evaluator(app: &App, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    each_record(event.payload, "evaluator", |record| async move {
        let body = record.body.unwrap_or_default();
        let changed = reservation_changed_of(&body)?;
        engine::on_reservation_changed(app, &changed).await?;
        Ok(())
    })
    .await
}

/// Dispatcher: one dispatch job per record.
pub async fn dispatcher(app: &App, event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    each_record(event.payload, "dispatcher", |record| async move {
        let body = record.body.unwrap_or_default();
        let job: DispatchJob =
            serde_json::from_str(&body).map_err(|e| RecordError::Poison(format!("not a dispatch job: {e}")))?;
        engine::dispatch(app, &job).await?;
        Ok(())
    })
    .await
}
