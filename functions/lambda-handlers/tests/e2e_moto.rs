//! End to end on moto: a signed canonical webhook through the pms-webhook function, the
//! EventBridge rule delivering to the evaluator queue, the evaluator and dispatcher functions on
//! the SQS records, and the outbox recording the send. The output equals the embedded
//! simulator's expected file for the same scenario. Then: the same SQS batches replayed twice
//! by two concurrent dispatchers send nothing again, and two dispatchers racing on a fresh
//! batch send each message once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use lambda_runtime::{Context, LambdaEvent};
use relais_app::embedded::{MailOutbox, OutboxChannel, VirtualClock};
use relais_app::ports::Clock;
use relais_app::simulate::{SimulationOutput, setup};
use relais_app::{App, AppConfig};
use relais_aws::metrics::RequestCounter;
use relais_aws::{AwsAdapters, provision};
use relais_domain::{Channel, Message, MessageState};
use relais_http::CallbackSettings;
use relais_lambda::LambdaApp;
use relais_lambda::drive::SqsDriver;
use serde_json::{Value, json};

struct Env {
    app: App,
    clock: Arc<VirtualClock>,
    whatsapp: Arc<OutboxChannel>,
    sms: Arc<OutboxChannel>,
    driver: SqsDriver,
    router: axum::Router,
}

async fn env(url: &str, start: DateTime<Utc>) -> Env {
    env_counted(url, start, None).await
}

async fn env_counted(url: &str, start: DateTime<Utc>, counter: Option<&RequestCounter>) -> Env {
    let config = support::sdk_config(url).await;
    let provisioned = provision(&config, &support::unique("e2e"), "").await.unwrap();
    let clock = Arc::new(VirtualClock::new(start));
    let mut aws = AwsAdapters::new(&config, provisioned.settings.clone(), clock.clone());
    if let Some(counter) = counter {
        let client = relais_aws::metrics::counted_dynamodb_client(&config, counter);
        aws.store = Arc::new(relais_aws::DynamoStore::new(client, provisioned.settings.table.clone(), clock.clone()));
    }
    let whatsapp = Arc::new(OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone()));
    let sms = Arc::new(OutboxChannel::new(Channel::Sms, Vec::new(), clock.clone()));
    let app = App {
        store: aws.store.clone(),
        bus: aws.bus.clone(),
        queue: aws.queue.clone(),
        whatsapp: whatsapp.clone(),
        sms: sms.clone(),
        mailer: Arc::new(MailOutbox::new(None)),
        clock: clock.clone(),
        vendors: None,
        // As the pms-webhook function has it (the other functions never read it).
        config: AppConfig {
            property_cache: Some(Arc::new(relais_app::intake::PropertyCache::new(60))),
            ..AppConfig::default()
        },
    };
    let driver = SqsDriver {
        sqs: aws_sdk_sqs::Client::new(&config),
        evaluator_queue_url: provisioned.evaluator_queue_url.clone(),
        dispatch_queue_url: provisioned.settings.dispatch_queue_url.clone(),
    };
    let router = relais_lambda::http_router(&LambdaApp::new(app.clone(), CallbackSettings::default()));
    Env { app, clock, whatsapp, sms, driver, router }
}

fn records(env: &Env) -> Vec<relais_app::embedded::OutboxRecord> {
    let mut all = env.whatsapp.records();
    all.extend(env.sms.records());
    all
}

async fn lines(env: &Env, property_id: &str, reservations: &[String]) -> Vec<Value> {
    let mut messages: Vec<Message> = Vec::new();
    for r in reservations {
        messages.extend(env.app.store.messages_of_reservation(property_id, r).await.unwrap());
    }
    let by_id: BTreeMap<&str, &Message> = messages.iter().map(|m| (m.id.as_str(), m)).collect();
    let mut out: Vec<Value> = records(env)
        .iter()
        .filter_map(|record| {
            let id = record.request.key.rsplit_once(':').map(|(id, _)| id)?;
            let m = by_id.get(id)?;
            Some(json!({"at": record.at, "kind": "sent", "campaign": m.campaign_id, "reservation": m.reservation_id,
                        "channel": record.request.channel, "language": record.request.language,
                        "body": record.request.body}))
        })
        .collect();
    out.sort_by_key(|l| (l["at"].to_string(), l["campaign"].to_string(), l["reservation"].to_string()));
    let mut sorted = messages.clone();
    sorted.sort_by(|a, b| {
        (&a.campaign_id, &a.reservation_id, a.due_at, &a.id).cmp(&(&b.campaign_id, &b.reservation_id, b.due_at, &b.id))
    });
    for m in sorted {
        let mut line = json!({"kind": "final", "campaign": m.campaign_id, "reservation": m.reservation_id, "state": m.state.as_str()});
        if let Some(channel) = m.channel.filter(|_| !m.attempts.is_empty()) {
            line["channel"] = json!(channel);
        }
        if let Some(reason) = &m.reason {
            line["reason"] = json!(reason);
        }
        out.push(line);
    }
    out
}

async fn sweep(env: &Env) {
    let mut event = support::fixture("eventbridge-scheduled.json");
    event["time"] = json!(env.clock.now());
    relais_lambda::sweep(&env.app, LambdaEvent::new(event, Context::default())).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_to_outbox_through_eventbridge_and_sqs_on_moto() {
    let Some(url) = support::moto_url() else { return };
    let doc = support::scenario("status-change-basic.json");
    let (scenario, _) = relais_domain::validate::parse_scenario(&doc).unwrap();
    let env = env(&url, scenario.start).await;
    setup(&env.app, &scenario, &mut SimulationOutput::default()).await.unwrap();
    env.driver.drain(&env.app).await.unwrap();

    let mut batches = Vec::new();
    for event in doc["events"].as_array().unwrap() {
        let at: DateTime<Utc> = serde_json::from_value(event["at"].clone()).unwrap();
        env.clock.set(at);
        let webhook = &event["pms_webhook"];
        let request = support::signed_webhook(webhook["property_id"].as_str().unwrap(), "s3cret", &webhook["body"], at);
        let (status, reply) = support::call(env.router.clone(), &request).await;
        assert_eq!(status, 200, "{reply}");
        let report = env.driver.drain(&env.app).await.unwrap();
        assert_eq!(report.failed, 0, "{report:?}");
        batches.extend(report.dispatch_batches);
        sweep(&env).await;
        let report = env.driver.drain(&env.app).await.unwrap();
        batches.extend(report.dispatch_batches);
    }
    env.clock.set(scenario.end);
    sweep(&env).await;
    env.driver.drain(&env.app).await.unwrap();

    let expected: Vec<Value> =
        std::fs::read_to_string(support::repo_root().join("tests/scenarios/status-change-basic.expected.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    let got = lines(&env, "p-lis", &["r-1".to_string()]).await;
    assert_eq!(got, expected, "the AWS backend gives the embedded simulator's output");
    assert_eq!(records(&env).len(), 1);
    assert!(!batches.is_empty(), "the send went through the dispatch queue");

    // SQS redelivers the same batches, twice, to two dispatchers at once: nothing is sent again.
    for _ in 0..2 {
        let mut tasks = Vec::new();
        for batch in batches.clone() {
            for _ in 0..2 {
                let app = env.app.clone();
                let batch = batch.clone();
                tasks.push(tokio::spawn(async move {
                    relais_lambda::dispatcher(&app, LambdaEvent::new(batch, Context::default())).await.unwrap()
                }));
            }
        }
        for task in tasks {
            assert!(task.await.unwrap().batch_item_failures.is_empty());
        }
    }
    assert_eq!(records(&env).len(), 1, "replayed batches send nothing twice");

    // A fresh check-in: two dispatchers race on the same batch; each message is sent once.
    for (i, event) in doc["events"].as_array().unwrap().iter().take(2).enumerate() {
        let mut body = event["pms_webhook"]["body"].clone();
        body["event_id"] = json!(format!("evt-r2-{i}"));
        body["reservation"]["id"] = json!("r-2");
        body["reservation"]["guest"]["phone"] = json!("+351912345679");
        // Arriving now (the clock is at the scenario's end), leaving in three days.
        body["reservation"]["check_in"] = json!("2026-06-20");
        body["reservation"]["check_out"] = json!("2026-06-23");
        let at = env.clock.now() + chrono::Duration::minutes(1);
        body["reservation"]["updated_at"] = json!(at);
        env.clock.set(at);
        let (status, reply) =
            support::call(env.router.clone(), &support::signed_webhook("p-lis", "s3cret", &body, at)).await;
        assert_eq!(status, 200, "{reply}");
        if i == 0 {
            env.driver.drain(&env.app).await.unwrap();
        }
    }
    let events = env.driver.receive(&env.driver.evaluator_queue_url).await.unwrap();
    assert_eq!(events.records.len(), 1, "the rule delivered the event to the evaluator queue");
    let response =
        relais_lambda::evaluator(&env.app, LambdaEvent::new(events.clone(), Context::default())).await.unwrap();
    assert!(response.batch_item_failures.is_empty());
    env.driver.delete_succeeded(&env.driver.evaluator_queue_url, &events, &response).await.unwrap();
    let jobs = env.driver.receive(&env.driver.dispatch_queue_url).await.unwrap();
    assert!(!jobs.records.is_empty(), "the evaluator queued the due message");
    let (a, b) = tokio::join!(
        relais_lambda::dispatcher(&env.app, LambdaEvent::new(jobs.clone(), Context::default())),
        relais_lambda::dispatcher(&env.app, LambdaEvent::new(jobs.clone(), Context::default())),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let failed = a.batch_item_failures.len() + b.batch_item_failures.len();
    env.driver.delete_succeeded(&env.driver.dispatch_queue_url, &jobs, &a).await.unwrap();
    env.driver.drain(&env.app).await.unwrap();
    let sent_r2: Vec<_> = records(&env).into_iter().filter(|r| r.request.to == "+351912345679").collect();
    assert_eq!(sent_r2.len(), 1, "two concurrent dispatchers send once (failed records: {failed})");
    let messages = env.app.store.messages_of_reservation("p-lis", "r-2").await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].state.as_str(), "sent");
}

/// DynamoDB requests per webhook and per sent message, counted by an SDK interceptor
/// (README / infra/dynamodb.md figures; written to target/dynamodb-requests.json).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_requests_per_webhook_and_per_sent_message() {
    let Some(url) = support::moto_url() else { return };
    let doc = support::scenario("status-change-basic.json");
    let (scenario, _) = relais_domain::validate::parse_scenario(&doc).unwrap();
    let counter = RequestCounter::new();
    let env = env_counted(&url, scenario.start, Some(&counter)).await;
    setup(&env.app, &scenario, &mut SimulationOutput::default()).await.unwrap();
    env.driver.drain(&env.app).await.unwrap();
    counter.take();

    let mut figures = serde_json::Map::new();
    let mut record = |name: &str, counts: BTreeMap<String, u64>| {
        let total = RequestCounter::total(&counts);
        println!("{name:<48} {total:>3}  {counts:?}");
        figures.insert(name.into(), json!({"total": total, "by_operation": counts}));
        total
    };
    let webhook = |i: usize| {
        let event = &doc["events"][i];
        let at: DateTime<Utc> = serde_json::from_value(event["at"].clone()).unwrap();
        env.clock.set(at);
        support::signed_webhook("p-lis", "s3cret", &event["pms_webhook"]["body"], at)
    };

    // 1. A new reservation (no message for it yet).
    let request = webhook(0);
    let (status, _) = support::call(env.router.clone(), &request).await;
    assert_eq!(status, 200);
    let intake_new = record("webhook intake (new reservation)", counter.take());
    let events = env.driver.receive(&env.driver.evaluator_queue_url).await.unwrap();
    let r = relais_lambda::evaluator(&env.app, LambdaEvent::new(events.clone(), Context::default())).await.unwrap();
    env.driver.delete_succeeded(&env.driver.evaluator_queue_url, &events, &r).await.unwrap();
    let evaluate_idle = record("evaluator (nothing to send)", counter.take());

    // 2. The duplicate delivery of the same webhook.
    let (status, _) = support::call(env.router.clone(), &request).await;
    assert_eq!(status, 200);
    let duplicate = record("webhook intake (duplicate delivery)", counter.take());

    // 3. A check-in that sends one message.
    let (status, _) = support::call(env.router.clone(), &webhook(1)).await;
    assert_eq!(status, 200);
    let intake_change = record("webhook intake (status change)", counter.take());
    let events = env.driver.receive(&env.driver.evaluator_queue_url).await.unwrap();
    let r = relais_lambda::evaluator(&env.app, LambdaEvent::new(events.clone(), Context::default())).await.unwrap();
    env.driver.delete_succeeded(&env.driver.evaluator_queue_url, &events, &r).await.unwrap();
    let evaluate = record("evaluator (creates and queues one message)", counter.take());
    let jobs = env.driver.receive(&env.driver.dispatch_queue_url).await.unwrap();
    assert_eq!(jobs.records.len(), 1);
    let r = relais_lambda::dispatcher(&env.app, LambdaEvent::new(jobs.clone(), Context::default())).await.unwrap();
    assert!(r.batch_item_failures.is_empty());
    let dispatch = record("dispatcher (one message sent)", counter.take());
    assert_eq!(records(&env).len(), 1);

    // 4. The provider says it was delivered.
    let sent = records(&env);
    let update = relais_app::engine::StatusUpdate {
        provider_message_id: sent[0].provider_message_id.clone(),
        status: MessageState::Delivered,
        error_code: None,
        opted_out: false,
        send_key: None,
    };
    relais_app::engine::apply_status(&env.app, &update).await.unwrap();
    let delivered = record("delivery status (delivered)", counter.take());

    // 5. A redelivered dispatch job (already sent).
    let r = relais_lambda::dispatcher(&env.app, LambdaEvent::new(jobs.clone(), Context::default())).await.unwrap();
    assert!(r.batch_item_failures.is_empty());
    let redelivered = record("dispatcher (redelivered job, nothing sent)", counter.take());
    env.driver.delete_succeeded(&env.driver.dispatch_queue_url, &jobs, &r).await.unwrap();

    // 6. A sweep with nothing due.
    env.clock.set(env.clock.now() + chrono::Duration::minutes(5));
    sweep(&env).await;
    let sweep_idle = record("sweep (nothing due)", counter.take());

    let per_sent = intake_change + evaluate + dispatch;
    record("per sent message (status change -> sent)", BTreeMap::from([("total".to_string(), per_sent)]));
    let out = support::repo_root().join("target/dynamodb-requests.json");
    let _ = std::fs::create_dir_all(out.parent().unwrap());
    std::fs::write(&out, serde_json::to_string_pretty(&Value::Object(figures)).unwrap()).unwrap();

    // Budgets (infra/dynamodb.md): a regression that adds requests on the hot path fails here.
    assert!(intake_new <= 4, "webhook intake, first of the function: {intake_new} requests");
    // Hours after the first webhook: the property is read again.
    assert!(intake_change <= 4, "webhook intake, property read again: {intake_change} requests");
    assert!(duplicate <= 1, "duplicate webhook, property cached: {duplicate} requests");
    assert!(evaluate_idle <= 4, "evaluator with nothing to write: {evaluate_idle} requests");
    assert!(evaluate <= 4 + 1, "evaluator writing one message: {evaluate} requests");
    assert!(dispatch <= 4, "dispatcher, one message sent: {dispatch} requests");
    assert!(redelivered <= 1, "dispatcher, redelivered job: {redelivered} requests");
    assert!(delivered <= 3, "delivery status: {delivered} requests");
    assert!(per_sent <= 13, "per sent message: {per_sent} requests");
    assert!(sweep_idle <= 16, "idle sweep: {sweep_idle} requests");
}

/// A poison record is reported as failed on each receive and, after the queue's
/// `maxReceiveCount`, SQS moves it to the DLQ: it does not loop for ever, and good records of the
/// same batches are consumed.
#[tokio::test]
async fn a_poison_record_ends_in_the_dlq() {
    use aws_sdk_sqs::types::QueueAttributeName;
    let Some(url) = support::moto_url() else { return };
    let config = support::sdk_config(&url).await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let name = support::unique("poison");
    let dlq_url = sqs.create_queue().queue_name(format!("{name}-dlq")).send().await.unwrap().queue_url.unwrap();
    let dlq_arn = sqs
        .get_queue_attributes()
        .queue_url(&dlq_url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}).to_string();
    let queue_url = sqs
        .create_queue()
        .queue_name(&name)
        .attributes(QueueAttributeName::RedrivePolicy, redrive)
        .attributes(QueueAttributeName::VisibilityTimeout, "0")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    sqs.send_message().queue_url(&queue_url).message_body("not a dispatch job").send().await.unwrap();
    sqs.send_message()
        .queue_url(&queue_url)
        .message_body(json!({"message_id": "no-such-message", "reason": "due"}).to_string())
        .send()
        .await
        .unwrap();

    let clock = Arc::new(VirtualClock::new(Utc::now()));
    let aws = AwsAdapters::new(
        &config,
        relais_aws::AwsSettings {
            table: support::unique("poison-table"),
            dispatch_queue_url: queue_url.clone(),
            event_bus: "default".into(),
            mail_from: String::new(),
        },
        clock.clone(),
    );
    relais_aws::create_table(&aws_sdk_dynamodb::Client::new(&config), &aws.settings.table).await.unwrap();
    let app = App {
        store: aws.store.clone(),
        bus: aws.bus.clone(),
        queue: aws.queue.clone(),
        whatsapp: Arc::new(OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone())),
        sms: Arc::new(OutboxChannel::new(Channel::Sms, Vec::new(), clock.clone())),
        mailer: Arc::new(MailOutbox::new(None)),
        clock,
        vendors: None,
        config: AppConfig::default(),
    };
    let driver =
        SqsDriver { sqs: sqs.clone(), evaluator_queue_url: dlq_url.clone(), dispatch_queue_url: queue_url.clone() };
    let mut failures = 0;
    for _ in 0..10 {
        let batch = driver.receive(&queue_url).await.unwrap();
        if batch.records.is_empty() {
            break;
        }
        let response =
            relais_lambda::dispatcher(&app, LambdaEvent::new(batch.clone(), Context::default())).await.unwrap();
        failures += response.batch_item_failures.len();
        assert!(response.batch_item_failures.iter().all(|f| !f.item_identifier.is_empty()));
        driver.delete_succeeded(&queue_url, &batch, &response).await.unwrap();
    }
    assert_eq!(failures, 3, "the poison record failed once per receive, up to maxReceiveCount");
    assert!(driver.receive(&queue_url).await.unwrap().records.is_empty(), "nothing left in the queue");
    let dead = driver.receive(&dlq_url).await.unwrap();
    let bodies: Vec<_> = dead.records.iter().filter_map(|r| r.body.as_deref()).collect();
    assert_eq!(bodies, vec!["not a dispatch job"], "the poison record is in the DLQ, the good one was consumed");
}
