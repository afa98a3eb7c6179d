//! Each handler with real event JSON (API Gateway HTTP API v2 requests, an EventBridge
//! scheduled event, SQS batches with a poison record), on the embedded adapters.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use lambda_runtime::{Context, LambdaEvent};
use relais_app::App;
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::simulate::{SimulationOutput, setup};
use relais_http::CallbackSettings;
use relais_lambda::LambdaApp;
use serde_json::Value;

async fn runtime() -> (LocalRuntime, Arc<VirtualClock>, Value) {
    let doc = support::scenario("status-change-basic.json");
    let (scenario, _) = relais_domain::validate::parse_scenario(&doc).unwrap();
    let clock = Arc::new(VirtualClock::new(scenario.start));
    let runtime = LocalRuntime::new(LocalParts { ..LocalParts::in_memory(clock.clone()) });
    setup(&runtime.app, &scenario, &mut SimulationOutput::default()).await.unwrap();
    runtime.drain().await.unwrap();
    (runtime, clock, doc)
}

fn lambda(app: &App) -> LambdaApp {
    LambdaApp::new(app.clone(), CallbackSettings::default())
}

fn sqs(value: Value) -> LambdaEvent<SqsEvent> {
    LambdaEvent::new(serde_json::from_value(value).unwrap(), Context::default())
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn pms_webhook_function_checks_the_signature_and_stores() {
    let (runtime, clock, doc) = runtime().await;
    let when = at("2026-06-01T09:00:00Z");
    clock.set(when);
    let body = &doc["events"][0]["pms_webhook"]["body"];
    let router = relais_lambda::http_router(&lambda(&runtime.app));
    let request = support::signed_webhook("p-lis", "s3cret", body, when);
    let (status, reply) = support::call(router.clone(), &request).await;
    assert_eq!(status, 200, "{reply}");
    assert!(runtime.app.store.get_reservation("p-lis", "r-1").await.unwrap().is_some());

    let mut forged = request.clone();
    forged["headers"]["x-relais-signature"] = Value::String(support::sign("wrong", when.timestamp(), b"{}"));
    let (status, reply) = support::call(router.clone(), &forged).await;
    assert_eq!(status, 401, "{reply}");
    assert!(reply["error"]["code"].is_string());

    // A captured request replayed ten minutes later is refused.
    clock.set(when + chrono::Duration::minutes(10));
    let (status, _) = support::call(router, &request).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn campaigns_api_function_takes_identity_from_the_jwt_authorizer() {
    let (runtime, _, _) = runtime().await;
    let router = relais_lambda::http_router(&lambda(&runtime.app));
    let request = support::fixture("apigw-v2-campaigns-jwt.json");
    let (status, reply) = support::call(router.clone(), &request).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply.to_string().contains("checked-in"), "the account's campaign is listed: {reply}");

    let mut anonymous = request.clone();
    anonymous["requestContext"].as_object_mut().unwrap().remove("authorizer");
    let (status, _) = support::call(router.clone(), &anonymous).await;
    assert_eq!(status, 401, "no authorizer claims: 401");

    let mut other_account = request;
    other_account["requestContext"]["authorizer"]["jwt"]["claims"]["account_id"] = Value::String("acc-2".into());
    let (status, reply) = support::call(router, &other_account).await;
    assert!([200, 401, 403, 404].contains(&status), "{status}");
    assert!(!reply.to_string().contains("checked-in"), "another account sees nothing: {reply}");
}

#[tokio::test]
async fn delivery_status_function_refuses_unsigned_callbacks() {
    let (runtime, _, _) = runtime().await;
    let router = relais_lambda::http_router(&lambda(&runtime.app));
    let mut request = support::fixture("apigw-v2-pms-webhook.json");
    request["rawPath"] = Value::String("/webhooks/twilio/status".into());
    request["requestContext"]["http"]["path"] = Value::String("/webhooks/twilio/status".into());
    request["routeKey"] = Value::String("POST /webhooks/twilio/status".into());
    request["headers"]["content-type"] = Value::String("application/x-www-form-urlencoded".into());
    request["body"] = Value::String("MessageSid=SM1&MessageStatus=delivered".into());
    let (status, _) = support::call(router, &request).await;
    assert!(status == 401 || status == 403 || status == 503, "unsigned callback refused, got {status}");
}

#[tokio::test]
async fn sweep_function_takes_the_scheduled_event() {
    let (runtime, clock, _) = runtime().await;
    clock.set(at("2026-06-10T14:35:00Z"));
    let event = LambdaEvent::new(support::fixture("eventbridge-scheduled.json"), Context::default());
    let report = relais_lambda::sweep(&runtime.app, event).await.unwrap();
    assert!(report.get("enqueued").is_some(), "{report}");
}

#[tokio::test]
async fn evaluator_reports_only_the_poison_record() {
    let (runtime, _, _) = runtime().await;
    let response =
        relais_lambda::evaluator(&runtime.app, sqs(support::fixture("sqs-evaluator-batch.json"))).await.unwrap();
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, vec!["2e1424d4-f796-459a-8184-9c92662be6da"]);
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["batchItemFailures"][0]["itemIdentifier"], "2e1424d4-f796-459a-8184-9c92662be6da");
}

#[tokio::test]
async fn dispatcher_reports_only_the_poison_record_and_never_an_empty_identifier() {
    let (runtime, _, _) = runtime().await;
    let batch = support::fixture("sqs-dispatch-batch-with-poison.json");
    let response = relais_lambda::dispatcher(&runtime.app, sqs(batch.clone())).await.unwrap();
    let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
    assert_eq!(failed, vec!["poison-0001"]);

    // A failing record without a message id cannot be reported: the whole batch fails.
    let mut no_id = batch;
    no_id["Records"][1].as_object_mut().unwrap().remove("messageId");
    assert!(relais_lambda::dispatcher(&runtime.app, sqs(no_id.clone())).await.is_err());
    no_id["Records"][1]["messageId"] = Value::String(String::new());
    assert!(relais_lambda::dispatcher(&runtime.app, sqs(no_id)).await.is_err());
}
