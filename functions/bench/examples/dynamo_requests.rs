//! DynamoDB requests per webhook and per sent message, counted by an SDK interceptor on the
//! store's client, with the real Lambda handlers end to end on moto: signed webhooks through
//! the pms-webhook function's router, EventBridge delivering `ReservationChanged` to the
//! evaluator queue, the evaluator and dispatcher handlers on the SQS records, the sweep handler
//! on a schedule. One JSON line on stdout (`infra/bench.sh` puts it in the table).
//!
//! Workload (virtual clock): one property with four campaigns (pre-arrival schedule, relative
//! day-before, status change on check-in, after check-out), RESERVATIONS stays; each gets three
//! webhooks (confirmed, checked in, checked out) and up to four messages; a sweep every hour.
//!
//! `cargo run -p relais-bench --example dynamo_requests` (RELAIS_MOTO_URL or infra/moto.sh;
//! `RELAIS_BENCH_RESERVATIONS`, default 20).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use lambda_runtime::{Context, LambdaEvent};
use relais_app::embedded::{MailOutbox, OutboxChannel, VirtualClock};
use relais_app::ports::Clock;
use relais_app::{App, AppConfig};
use relais_aws::metrics::{RequestCounter, counted_dynamodb_client};
use relais_aws::{AwsAdapters, DynamoStore, provision};
use relais_domain::Channel;
use relais_lambda::drive::SqsDriver;
use serde_json::{Value, json};

/// Requests by function (phase) and operation.
#[derive(Default)]
struct Phases {
    by_phase: BTreeMap<&'static str, BTreeMap<String, u64>>,
}

impl Phases {
    fn add(&mut self, phase: &'static str, counts: BTreeMap<String, u64>) {
        let entry = self.by_phase.entry(phase).or_default();
        for (op, n) in counts {
            *entry.entry(op).or_default() += n;
        }
    }
    fn total(&self, phase: &str) -> u64 {
        self.by_phase.get(phase).map_or(0, |m| m.values().sum())
    }
}

struct Bench {
    app: App,
    clock: Arc<VirtualClock>,
    counter: RequestCounter,
    driver: SqsDriver,
    router: axum::Router,
    whatsapp: Arc<OutboxChannel>,
    sms: Arc<OutboxChannel>,
    phases: Phases,
    webhooks: u64,
    events: u64,
    sweeps: u64,
}

impl Bench {
    /// Run `f`, charging the DynamoDB requests it made to `phase`.
    async fn charged<T>(&mut self, phase: &'static str, f: impl std::future::Future<Output = T>) -> T {
        let before = self.counter.snapshot();
        let out = f.await;
        self.phases.add(phase, RequestCounter::delta(&before, &self.counter.snapshot()));
        out
    }

    /// Both queues until empty, charging the evaluator and the dispatcher separately.
    async fn drain(&mut self) {
        loop {
            let events = self.driver.receive(&self.driver.evaluator_queue_url).await.unwrap();
            let jobs = self.driver.receive(&self.driver.dispatch_queue_url).await.unwrap();
            if events.records.is_empty() && jobs.records.is_empty() {
                return;
            }
            if !events.records.is_empty() {
                self.events += events.records.len() as u64;
                let app = self.app.clone();
                let batch = events.clone();
                let response = self
                    .charged("evaluator", async move {
                        relais_lambda::evaluator(&app, LambdaEvent::new(batch, Context::default())).await.unwrap()
                    })
                    .await;
                assert!(response.batch_item_failures.is_empty(), "evaluator failures: {response:?}");
                self.driver.delete_succeeded(&self.driver.evaluator_queue_url, &events, &response).await.unwrap();
            }
            if !jobs.records.is_empty() {
                let app = self.app.clone();
                let batch = jobs.clone();
                let response = self
                    .charged("dispatcher", async move {
                        relais_lambda::dispatcher(&app, LambdaEvent::new(batch, Context::default())).await.unwrap()
                    })
                    .await;
                assert!(response.batch_item_failures.is_empty(), "dispatcher failures: {response:?}");
                self.driver.delete_succeeded(&self.driver.dispatch_queue_url, &jobs, &response).await.unwrap();
            }
        }
    }

    async fn webhook(&mut self, body: Value) {
        let event = support::lambda::webhook_event("p", "s", &body, self.clock.now());
        let router = self.router.clone();
        let (status, reply) = self.charged("pms-webhook", support::lambda::call(router, &event)).await;
        assert_eq!(status, 200, "{reply}");
        self.webhooks += 1;
        self.drain().await;
    }

    async fn sweep(&mut self) {
        let event = json!({"version": "0", "id": "s", "detail-type": "Scheduled Event", "source": "aws.events",
                           "time": self.clock.now(), "resources": [], "detail": {}});
        let app = self.app.clone();
        self.charged("sweep", async move {
            relais_lambda::sweep(&app, LambdaEvent::new(event, Context::default())).await.unwrap()
        })
        .await;
        self.sweeps += 1;
        self.drain().await;
    }

    fn sends(&self) -> u64 {
        (self.whatsapp.records().len() + self.sms.records().len()) as u64
    }
}

fn stay(i: usize) -> (NaiveDate, NaiveDate) {
    let check_in = NaiveDate::from_ymd_opt(2026, 6, 5).unwrap() + Duration::days((i % 3) as i64);
    (check_in, check_in + Duration::days(2))
}

fn body(i: usize, status: &str, at: DateTime<Utc>) -> Value {
    let (check_in, check_out) = stay(i);
    json!({
        "event_id": format!("evt-{i}-{status}"),
        "occurred_at": at,
        "reservation": {"id": format!("r{i}"), "property_id": "p", "unit_id": "1", "source": "direct",
            "status": status, "check_in": check_in, "check_out": check_out,
            "guest": {"first_name": "G", "last_name": "H", "phone": format!("+1555{i:07}"), "language": "en"},
            "adults": 2, "children": 0, "updated_at": at}
    })
}

/// 11:00 UTC on a date (12:00 Lisbon in summer).
fn at(date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&date.and_hms_opt(hour, minute, 0).unwrap())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let url = support::moto_url().expect("moto is needed (infra/moto.sh start)");
    let reservations: usize =
        std::env::var("RELAIS_BENCH_RESERVATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    let config = support::sdk_config(&url).await;
    let provisioned = provision(&config, &support::unique("bench"), "").await.unwrap();
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
    let clock = Arc::new(VirtualClock::new(start));
    let aws = AwsAdapters::new(&config, provisioned.settings.clone(), clock.clone());
    let counter = RequestCounter::new();
    let store =
        DynamoStore::new(counted_dynamodb_client(&config, &counter), provisioned.settings.table.clone(), clock.clone());
    let whatsapp = Arc::new(OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone()));
    let sms = Arc::new(OutboxChannel::new(Channel::Sms, Vec::new(), clock.clone()));
    let app = App {
        store: Arc::new(store),
        bus: aws.bus.clone(),
        queue: aws.queue.clone(),
        whatsapp: whatsapp.clone(),
        sms: sms.clone(),
        mailer: Arc::new(MailOutbox::new(None)),
        clock: clock.clone(),
        vendors: None,
        config: AppConfig::default(),
    };
    support::harness::set_up(&app).await;
    let driver = SqsDriver {
        sqs: aws_sdk_sqs::Client::new(&config),
        evaluator_queue_url: provisioned.evaluator_queue_url.clone(),
        dispatch_queue_url: provisioned.settings.dispatch_queue_url.clone(),
    };
    let router = relais_lambda::http_router(&relais_lambda::LambdaApp::new(
        app.clone(),
        relais_http::CallbackSettings::default(),
    ));
    let mut bench = Bench {
        app,
        clock: clock.clone(),
        counter,
        driver,
        router,
        whatsapp,
        sms,
        phases: Phases::default(),
        webhooks: 0,
        events: 0,
        sweeps: 0,
    };
    bench.drain().await;
    let setup_requests = RequestCounter::total(&bench.counter.snapshot());
    bench.phases = Phases::default();

    // The timeline: webhooks at their moments, a sweep every hour.
    enum Step {
        Webhook(usize, &'static str),
        Sweep,
    }
    let mut steps: Vec<(DateTime<Utc>, u8, Step)> = Vec::new();
    for i in 0..reservations {
        let (check_in, check_out) = stay(i);
        steps.push((start + Duration::minutes(10 + i as i64), 0, Step::Webhook(i, "confirmed")));
        steps.push((at(check_in, 14, i as u32 % 60), 0, Step::Webhook(i, "checked_in")));
        steps.push((at(check_out, 10, i as u32 % 60), 0, Step::Webhook(i, "checked_out")));
    }
    let end = at(NaiveDate::from_ymd_opt(2026, 6, 10).unwrap(), 0, 0);
    let mut t = start + Duration::hours(1);
    while t <= end {
        steps.push((t, 1, Step::Sweep));
        t += Duration::hours(1);
    }
    steps.sort_by_key(|(at, order, _)| (*at, *order));
    for (when, _, step) in steps {
        clock.set(when);
        match step {
            Step::Webhook(i, status) => bench.webhook(body(i, status, when)).await,
            Step::Sweep => bench.sweep().await,
        }
    }

    let sends = bench.sends();
    let p = &bench.phases;
    let (intake, evaluator, dispatcher, sweep) =
        (p.total("pms-webhook"), p.total("evaluator"), p.total("dispatcher"), p.total("sweep"));
    let all = intake + evaluator + dispatcher + sweep;
    let ratio =
        |a: u64, b: u64| if b == 0 { Value::Null } else { json!((a as f64 / b as f64 * 100.0).round() / 100.0) };
    let out = json!({
        "kind": "dynamo",
        "reservations": reservations,
        "webhooks": bench.webhooks,
        "events": bench.events,
        "sends": sends,
        "sweeps": bench.sweeps,
        "setup_requests": setup_requests,
        "requests": {"pms-webhook": intake, "evaluator": evaluator, "dispatcher": dispatcher, "sweep": sweep, "all": all},
        "per_webhook_intake": ratio(intake, bench.webhooks),
        "per_event_evaluator": ratio(evaluator, bench.events),
        "per_webhook_with_evaluator": ratio(intake + evaluator, bench.webhooks),
        "per_send_dispatcher": ratio(dispatcher, sends),
        "per_send_total": ratio(all, sends),
        "per_sweep": ratio(sweep, bench.sweeps),
        "by_operation": p.by_phase,
    });
    println!("{out}");
}
