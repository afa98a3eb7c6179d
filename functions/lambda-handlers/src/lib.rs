//! The Lambda handlers of Relais. Each function's `main.rs` builds a [`LambdaApp`] once per
//! container and hands one of these to the runtime; the tests call the same functions with
//! fixture events.
//!
//! | function | event | handler |
//! |---|---|---|
//! | pms-webhook, campaigns-api, delivery-status | API Gateway HTTP API (v2) | [`pms_webhook_router`], [`campaigns_api_router`], [`delivery_status_router`]: each the routes template.yaml maps to it |
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
pub mod roots;
pub mod secrets;
pub mod simulate_aws;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use lambda_runtime::LambdaEvent;
use relais_app::App;
use relais_app::engine;
use relais_app::ports::{DispatchJob, ReservationChanged};
use relais_http::{ApiState, CallbackSettings};
use serde_json::Value;

pub type Error = lambda_runtime::Error;

/// What an HTTP function builds once per container ([`roots`] builds it).
#[derive(Clone)]
pub struct LambdaApp {
    pub app: App,
    pub callbacks: CallbackSettings,
    /// `console/config.json` (campaigns-api serves the console).
    pub console_config: Vec<u8>,
}

impl LambdaApp {
    /// An HTTP function with no console hosted login (tests, the AWS replay).
    pub fn new(app: App, callbacks: CallbackSettings) -> LambdaApp {
        LambdaApp { app, callbacks, console_config: relais_http::console::NO_CONFIG_JSON.to_vec() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("setting {0} is required by this function and is not set")]
    Missing(&'static str),
    #[error("channel settings: {0}")]
    Channels(#[from] relais_channels::ConfigError),
    #[error("secret {setting}: reading SSM parameter {parameter} failed: {error}")]
    Secret { setting: &'static str, parameter: String, error: String },
    #[error("HTTP client: {0}")]
    Http(String),
    #[error("console settings: {0}")]
    Console(String),
}

/// JSON logs (CloudWatch), levels from `RUST_LOG` as `level` or `target=level` pairs separated
/// by commas (default, or when unreadable, `info`). A target filter, not `EnvFilter`: no regex
/// engine in the bootstraps, and nothing to compile at start-up.
pub fn init_tracing() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<tracing_subscriber::filter::Targets>().ok())
        .unwrap_or_else(|| tracing_subscriber::filter::Targets::new().with_default(tracing::Level::INFO));
    let logs = tracing_subscriber::fmt::layer().json().with_current_span(false).without_time();
    let _ = tracing_subscriber::registry().with(logs).with(filter).try_init();
}

// ---------------------------------------------------------------- HTTP functions

/// The whole HTTP API (SPEC 4, 5.1, 6) for API Gateway: identity from the JWT authorizer's
/// claims; provider callbacks must be signed (never accepted unsigned in AWS). The tests and the
/// AWS replay serve it; each deployed function serves its own part (below).
pub fn http_router(lambda: &LambdaApp) -> axum::Router {
    relais_http::router(api_state(lambda))
}

/// campaigns-api: the operator API and the console.
pub fn campaigns_api_router(lambda: &LambdaApp) -> axum::Router {
    relais_http::operator_router(api_state(lambda))
}

/// pms-webhook: PMS webhooks and CSV imports.
pub fn pms_webhook_router(lambda: &LambdaApp) -> axum::Router {
    relais_http::intake_router(api_state(lambda))
}

/// delivery-status: the providers' callbacks.
pub fn delivery_status_router(lambda: &LambdaApp) -> axum::Router {
    relais_http::callback_router(api_state(lambda))
}

fn api_state(lambda: &LambdaApp) -> ApiState {
    ApiState::aws(lambda.app.clone(), lambda.callbacks.clone()).with_console_config(lambda.console_config.clone())
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
    let value: Value = relais_domain::document::parse_value(body.as_bytes())
        .map_err(|e| RecordError::Poison(format!("body is not JSON: {e}")))?;
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
        let job: DispatchJob = relais_domain::document::parse(body.as_bytes())
            .map_err(|e| RecordError::Poison(format!("not a dispatch job: {e}")))?;
        engine::dispatch(app, &job).await?;
        Ok(())
    })
    .await
}
