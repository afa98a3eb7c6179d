//! `relais simulate --backend aws`: the scenario runner of `relais_app::simulate` on the AWS
//! adapters and the real Lambda handlers, against an emulator (moto, LocalStack) reached through
//! `AWS_ENDPOINT_URL`.
//!
//! Same timeline, same set-up, same output lines as the embedded backend; what differs is the
//! path every step takes: PMS webhooks are signed API Gateway HTTP API (v2) requests through the
//! HTTP router; the EventBridge rule delivers `ReservationChanged` to the evaluator queue; the
//! evaluator and dispatcher handlers consume SQS batches ([`SqsDriver`]); sweeps get the
//! scheduled-event JSON; state lives in DynamoDB. Sends go to an outbox (as in the embedded
//! backend, with the scenario's `providers.*.rejects`). Other events (provider statuses, guest
//! replies, campaign actions) call the same service functions the delivery-status and
//! campaigns-api handlers call. `flow` lines are the `GuestChoseFlow` events EventBridge
//! delivered to a queue subscribed as a chatbot platform would be.
//!
//! Resources are provisioned afresh (unique names) for each run. Delays of dispatch jobs are
//! real SQS delays; scenarios whose sends are retried with backoff (transient provider errors)
//! are therefore not reproduced at virtual time (the outbox never returns transient errors).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use lambda_http::tower::ServiceExt;
use lambda_runtime::{Context, LambdaEvent};
use relais_app::embedded::{MailOutbox, OutboxChannel, VirtualClock};
use relais_app::engine::EngineError;
use relais_app::ports::GuestChoseFlow;
use relais_app::ports::Store;
use relais_app::simulate::{
    Point, SimulateOptions, SimulationError, SimulationOutput, apply_event, final_lines, flow_lines, in_time_order,
    sent_lines_of, setup, stats_line, timeline,
};
use relais_app::{App, AppConfig};
use relais_aws::{AwsAdapters, provision};
use relais_domain::scenario::{EventKind, Scenario};
use relais_domain::validate::parse_scenario;
use relais_domain::{Channel, Message};
use serde_json::{Value, json};

use crate::drive::SqsDriver;
use crate::{LambdaApp, http_router};

fn transport(e: impl std::fmt::Display) -> SimulationError {
    SimulationError::Engine(EngineError::Transport(e.to_string()))
}

/// A name prefix no other run uses.
fn run_prefix() -> String {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("relais-sim-{}-{:x}", std::process::id(), nanos & 0xffff_ffff)
}

/// Replay `doc` on the AWS backend configured by `sdk_config`.
pub async fn simulate_aws(
    doc: &Value,
    sdk_config: &aws_config::SdkConfig,
    options: &SimulateOptions,
) -> Result<SimulationOutput, SimulationError> {
    let (scenario, _) = parse_scenario(doc).map_err(SimulationError::Invalid)?;
    let provisioned = provision(sdk_config, &run_prefix(), "").await.map_err(transport)?;
    let clock = Arc::new(VirtualClock::new(scenario.start));
    let aws = AwsAdapters::new(sdk_config, provisioned.settings.clone(), clock.clone());
    let outbox = OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone());
    let app = App {
        store: aws.store.clone(),
        bus: aws.bus.clone(),
        queue: aws.queue.clone(),
        whatsapp: Arc::new(outbox.sibling(Channel::Whatsapp, scenario.providers.whatsapp_rejects.clone())),
        sms: Arc::new(outbox.sibling(Channel::Sms, scenario.providers.sms_rejects.clone())),
        mailer: Arc::new(MailOutbox::new(None)),
        clock: clock.clone(),
        vendors: None,
        config: AppConfig::default(),
    };
    let router = http_router(&LambdaApp::new(app.clone(), relais_http::CallbackSettings::default()));
    let driver = SqsDriver {
        sqs: aws_sdk_sqs::Client::new(sdk_config),
        evaluator_queue_url: provisioned.evaluator_queue_url.clone(),
        dispatch_queue_url: provisioned.settings.dispatch_queue_url.clone(),
    };

    let mut output = SimulationOutput::default();
    let mut bodies = setup(&app, &scenario, &mut output).await?;
    driver.drain(&app).await.map_err(transport)?;

    for point in timeline(&scenario) {
        clock.set(point.at());
        match point {
            Point::Event(index, event) => {
                let result = match &event.kind {
                    EventKind::PmsWebhook(webhook) => {
                        let secret = scenario.webhook_secret(&webhook.property_id);
                        post_webhook(&router, &webhook.pms, &webhook.property_id, &secret, &webhook.body, event.at)
                            .await
                    }
                    _ => apply_event(&app, &scenario, &mut bodies, event).await,
                };
                if let Err(diagnostic) = result {
                    output.diagnostics.push(json!({"at": event.at, "event": index, "error": diagnostic}));
                }
            }
            Point::Sweep(at) => {
                crate::sweep(&app, LambdaEvent::new(scheduled_event(at), Context::default()))
                    .await
                    .map_err(transport)?;
            }
        }
        driver.drain(&app).await.map_err(transport)?;
    }

    let messages = all_messages(app.store.as_ref(), &scenario).await?;
    let flows = flow_choices(&driver, &provisioned.flow_queue_url).await?;
    let mut lines = sent_lines_of(&outbox.records(), &messages);
    lines.extend(flow_lines(&flows, &messages));
    output.lines.extend(in_time_order(lines));
    output.lines.extend(final_lines(messages));
    if options.stats {
        output.lines.push(stats_line(&app, &scenario).await?);
    }
    Ok(output)
}

async fn post_webhook(
    router: &axum::Router,
    pms: &str,
    property_id: &str,
    secret: &str,
    body: &Value,
    at: DateTime<Utc>,
) -> Result<(), Value> {
    let request = webhook_request(pms, property_id, secret, body, at)?;
    let (status, body) = call(router, &request).await?;
    if status == 200 { Ok(()) } else { Err(json!({"status": status, "body": body})) }
}

/// Every message of the scenario's properties (through their reservations).
async fn all_messages(store: &dyn Store, scenario: &Scenario) -> Result<Vec<Message>, SimulationError> {
    let mut messages = Vec::new();
    for property in &scenario.properties {
        let reservations =
            store.reservations_checking_out_from(&property.id, NaiveDate::MIN).await.map_err(transport)?;
        for r in reservations {
            messages.extend(store.messages_of_reservation(&property.id, &r.reservation.id).await.map_err(transport)?);
        }
    }
    Ok(messages)
}

/// Every `GuestChoseFlow` event the bus delivered to the flow queue (the queue is emptied).
async fn flow_choices(driver: &SqsDriver, queue_url: &str) -> Result<Vec<GuestChoseFlow>, SimulationError> {
    let mut choices = Vec::new();
    loop {
        let batch = driver.receive(queue_url).await.map_err(transport)?;
        if batch.records.is_empty() {
            return Ok(choices);
        }
        for record in &batch.records {
            let event: Value = serde_json::from_str(record.body.as_deref().unwrap_or_default()).map_err(transport)?;
            choices.push(serde_json::from_value(event["detail"].clone()).map_err(transport)?);
        }
        driver.delete_succeeded(queue_url, &batch, &Default::default()).await.map_err(transport)?;
    }
}

/// The EventBridge scheduled event of a sweep at `at`.
pub fn scheduled_event(at: DateTime<Utc>) -> Value {
    json!({
        "version": "0", "id": format!("sweep-{}", at.timestamp()), "detail-type": "Scheduled Event",
        "source": "aws.events", "account": "000000000000", "time": at, "region": "local",
        "resources": ["arn:aws:events:local:000000000000:rule/relais-sweep"], "detail": {}
    })
}

/// A signed PMS webhook as API Gateway HTTP API (payload 2.0) delivers it. The property's secret
/// also goes in the `token` query parameter, which vendor webhooks (Mews, Cloudbeds, Smoobu) use.
pub fn webhook_request(
    pms: &str,
    property_id: &str,
    secret: &str,
    body: &Value,
    at: DateTime<Utc>,
) -> Result<Value, Value> {
    let body = serde_json::to_string(body).map_err(|e| json!(e.to_string()))?;
    let timestamp = at.timestamp();
    let signature = relais_domain::intake::sign(secret, timestamp, body.as_bytes());
    let path = format!("/webhooks/pms/{pms}/{property_id}");
    let query: String = form_query(&[("token", secret)]);
    Ok(json!({
        "version": "2.0",
        "routeKey": "POST /webhooks/pms/{pms}/{property_id}",
        "rawPath": path,
        "rawQueryString": query,
        "queryStringParameters": {"token": secret},
        "headers": {
            "content-type": "application/json",
            "host": "relais.local",
            "x-forwarded-proto": "https",
            "x-relais-timestamp": timestamp.to_string(),
            "x-relais-signature": signature,
        },
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "relais.local", "domainPrefix": "relais",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "relais-simulate"},
            "requestId": format!("sim-{timestamp}"), "routeKey": "POST /webhooks/pms/{pms}/{property_id}",
            "stage": "$default", "time": at.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": at.timestamp_millis()
        },
        "pathParameters": {"pms": pms, "property_id": property_id},
        "body": body,
        "isBase64Encoded": false
    }))
}

fn form_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let encode = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", encode(k), encode(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Hand an API Gateway v2 event to the router as lambda_http does; (status, JSON body).
pub async fn call(router: &axum::Router, event: &Value) -> Result<(u16, Value), Value> {
    let request = lambda_http::request::from_str(&event.to_string()).map_err(|e| json!(e.to_string()))?;
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()));
    let response = router.clone().oneshot(request).await.map_err(|e| json!(e.to_string()))?;
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1024 * 1024).await.map_err(|e| json!(e.to_string()))?;
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok((status, body))
}
