//! The exactly-once harness, on any [`Store`] (embedded or DynamoDB on moto), through the real
//! Lambda handlers: webhooks through the functions' HTTP router, `ReservationChanged` events
//! through the evaluator handler as EventBridge -> SQS records, dispatch jobs through the
//! dispatcher handler as SQS batches (failed records come back after a visibility timeout),
//! scheduled sweeps through the sweep handler.
//!
//! The same ops as `shared/app/tests/exactly_once.rs` (duplicate and replayed webhooks,
//! overlapping sweeps, redeliveries, two dispatchers racing, dispatchers dying between claim and
//! send, provider statuses repeated and out of order), plus the same SQS batch replayed to two
//! dispatchers at once. Faults: [`ChaosStore`] on the store, [`FaultyChannel`] on the providers
//! (throttling and 5xx before the provider accepted). The checker returns what it found instead
//! of panicking, so a test can show that it catches a broken claim.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use lambda_runtime::{Context, LambdaEvent};
use proptest::prelude::*;
use relais_app::campaigns::{self, Actor};
use relais_app::chaos::ChaosStore;
use relais_app::embedded::{MailOutbox, MemoryBus, MemoryQueue, OutboxChannel, VirtualClock};
use relais_app::engine::{self, StatusUpdate};
use relais_app::ports::{
    ChannelSender, Clock, DispatchJob, DispatchReason, ReservationChanged, SendOutcome, SendRequest, Store, WorkQueue,
};
use relais_app::{App, AppConfig};
use relais_domain::{
    Account, Channel, Chatbot, Message, MessageState, Property, Role, SmsSettings, User, WhatsAppSettings,
};
use serde_json::json;

use super::lambda;

pub const PROPERTY: &str = "p";
pub const SECRET: &str = "s";
pub const GUESTS: usize = 4;

// ---------------------------------------------------------------- ops

#[derive(Debug, Clone)]
pub enum Op {
    Webhook { guest: usize, status: usize, check_in_day: u32, nights: u32, version: u32, form: bool, phone: bool },
    Replay { back: usize },
    Sweep { twice: bool },
    Redeliver { pick: usize, fallback: bool },
    Status { pick: usize, status: usize },
    Crash { pick: usize },
    Race { pick: usize },
    ReplayBatch { back: usize },
    Advance { minutes: u32 },
}

pub fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..GUESTS, 0..4usize, 3..20u32, 1..5u32, 0..6u32, any::<bool>(), prop::bool::weighted(0.9))
            .prop_map(|(guest, status, check_in_day, nights, version, form, phone)| Op::Webhook { guest, status, check_in_day, nights, version, form, phone }),
        2 => (0..8usize).prop_map(|back| Op::Replay { back }),
        3 => any::<bool>().prop_map(|twice| Op::Sweep { twice }),
        2 => (0..64usize, any::<bool>()).prop_map(|(pick, fallback)| Op::Redeliver { pick, fallback }),
        2 => (0..64usize, 0..4usize).prop_map(|(pick, status)| Op::Status { pick, status }),
        1 => (0..64usize).prop_map(|pick| Op::Crash { pick }),
        2 => (0..64usize).prop_map(|pick| Op::Race { pick }),
        2 => (0..8usize).prop_map(|back| Op::ReplayBatch { back }),
        3 => (1..3000u32).prop_map(|minutes| Op::Advance { minutes }),
    ]
}

pub fn ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..max)
}

/// The same ops over a shorter calendar (stays from June 2 to June 10, time steps up to 12 h):
/// for backends where every hour of simulated time costs requests (the DynamoDB sweep reads
/// one due partition per hour and shard).
pub fn compact_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..GUESTS, 0..4usize, 2..8u32, 1..3u32, 0..6u32, any::<bool>(), prop::bool::weighted(0.9))
            .prop_map(|(guest, status, check_in_day, nights, version, form, phone)| Op::Webhook { guest, status, check_in_day, nights, version, form, phone }),
        2 => (0..8usize).prop_map(|back| Op::Replay { back }),
        3 => any::<bool>().prop_map(|twice| Op::Sweep { twice }),
        2 => (0..64usize, any::<bool>()).prop_map(|(pick, fallback)| Op::Redeliver { pick, fallback }),
        2 => (0..64usize, 0..4usize).prop_map(|(pick, status)| Op::Status { pick, status }),
        1 => (0..64usize).prop_map(|pick| Op::Crash { pick }),
        2 => (0..64usize).prop_map(|pick| Op::Race { pick }),
        2 => (0..8usize).prop_map(|back| Op::ReplayBatch { back }),
        3 => (1..720u32).prop_map(|minutes| Op::Advance { minutes }),
    ]
}

pub fn compact_ops(max: usize) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(compact_op(), 1..max)
}

/// A virtual clock at the start of every schedule.
pub fn clock() -> Arc<VirtualClock> {
    Arc::new(VirtualClock::new(start()))
}

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

// ---------------------------------------------------------------- faulty providers

/// What every provider call did, per idempotency key (message id + channel).
#[derive(Debug, Default)]
pub struct ProviderLog {
    /// key -> (calls, accepted)
    calls: Mutex<BTreeMap<String, (u32, u32)>>,
    /// Calls for a key the provider had already accepted.
    after_accepted: Mutex<Vec<String>>,
    per_mille: u64,
    enabled: AtomicBool,
    seed: AtomicU64,
    faults: AtomicU64,
}

impl ProviderLog {
    pub fn new(per_mille: u64, seed: u64) -> ProviderLog {
        ProviderLog {
            per_mille,
            enabled: AtomicBool::new(per_mille > 0),
            seed: AtomicU64::new(seed.rotate_left(17) | 1),
            ..ProviderLog::default()
        }
    }

    pub fn set_faults(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
    }

    fn roll(&self) -> Option<u64> {
        if !self.enabled.load(Ordering::SeqCst) {
            return None;
        }
        let mut x = self.seed.load(Ordering::SeqCst);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Ordering::SeqCst);
        (x % 1000 < self.per_mille).then_some(x)
    }

    pub fn injected_faults(&self) -> u64 {
        self.faults.load(Ordering::SeqCst)
    }
}

/// A provider that throttles (429 with Retry-After) or fails (503) at random, before accepting;
/// otherwise the outbox answers. Every call is logged.
pub struct FaultyChannel {
    inner: OutboxChannel,
    log: Arc<ProviderLog>,
}

#[async_trait]
impl ChannelSender for FaultyChannel {
    async fn send(&self, request: &SendRequest) -> SendOutcome {
        {
            let mut calls = self.log.calls.lock().unwrap();
            let entry = calls.entry(request.key.clone()).or_default();
            entry.0 += 1;
            if entry.1 > 0 {
                self.log.after_accepted.lock().unwrap().push(request.key.clone());
            }
        }
        if let Some(x) = self.log.roll() {
            self.log.faults.fetch_add(1, Ordering::SeqCst);
            return if x % 2 == 0 {
                SendOutcome::Transient { code: "429".into(), detail: "throttled".into(), retry_after_seconds: Some(60) }
            } else {
                SendOutcome::Transient { code: "503".into(), detail: "unavailable".into(), retry_after_seconds: None }
            };
        }
        let outcome = self.inner.send(request).await;
        if matches!(outcome, SendOutcome::Accepted { .. }) {
            self.log.calls.lock().unwrap().entry(request.key.clone()).or_default().1 += 1;
        }
        outcome
    }
}

// ---------------------------------------------------------------- the checker's findings

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// A message was handed to a provider twice (or again after the provider accepted it).
    Duplicate {
        key: String,
        calls: u32,
        accepted: u32,
    },
    /// Once time ran out, a message was not in a final state.
    NotFinal {
        id: String,
        state: String,
        reason: Option<String>,
        due_at: String,
        expires_at: String,
        now: String,
    },
    TooManyAttempts {
        id: String,
        detail: String,
    },
    /// The webhook endpoint answered something else than 200 or 503.
    Webhook {
        status: u16,
        body: String,
    },
    /// A handler failed in a way SQS could not redeliver.
    Handler(String),
    /// `GET /stats`'s counts for a campaign and day differ from a count of its messages.
    Stats {
        campaign: String,
        date: NaiveDate,
        stats: serde_json::Value,
        counted: serde_json::Value,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseStats {
    pub messages: usize,
    pub sends: usize,
    pub provider_calls: u64,
    pub provider_faults: u64,
    pub states: BTreeMap<String, usize>,
}

// ---------------------------------------------------------------- the harness

pub struct Options {
    /// Store faults (ChaosStore), per 1000 calls, while faults are on.
    pub store_faults_per_mille: u64,
    /// Provider faults (FaultyChannel), per 1000 calls, while faults are on.
    pub provider_faults_per_mille: u64,
    pub seed: u64,
    /// How time runs out at the end.
    pub finish: Finish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Finish {
    /// Three sweeps 40 days apart (as `shared/app/tests/exactly_once.rs`).
    #[default]
    FortyDaysThrice,
    /// Sweep at each next moment something can change (a due time, an expiry, a send lease's
    /// end) until every message is final: the least simulated time (DynamoDB on moto).
    UntilFinal,
}

pub struct Harness {
    pub app: App,
    /// The store as configured (no fault injection): for listing and for a crashed claim.
    pub backend: Arc<dyn Store>,
    pub chaos: Arc<ChaosStore>,
    pub provider: Arc<ProviderLog>,
    pub clock: Arc<VirtualClock>,
    bus: Arc<MemoryBus>,
    queue: Arc<MemoryQueue>,
    router: axum::Router,
    failed_events: Vec<ReservationChanged>,
    batches: Vec<SqsEvent>,
    records: usize,
    delivered: Vec<Vec<u8>>,
    refused: Vec<Vec<u8>>,
    finish: Finish,
}

fn campaign_bodies() -> Vec<(&'static str, serde_json::Value)> {
    let messages = json!({
        "en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}"},
               "sms": {"type": "text", "body": "Hi {{guest_first_name}}, {{check_in_date}}"}}
    });
    let base = |trigger: serde_json::Value, target: serde_json::Value, conditions: serde_json::Value| {
        json!({"category": "pre_stay", "name": "chaos", "property_id": PROPERTY, "chatbot_id": "bot",
               "period": {"start": null, "end": null}, "trigger": trigger, "target": target,
               "channel": {"primary": "whatsapp", "fallback": "sms"}, "messages": messages,
               "reservation_conditions": [], "message_conditions": conditions})
    };
    vec![
        (
            "sched",
            base(
                json!({"type": "schedule", "days": ["mon","tue","wed","thu","fri","sat","sun"], "hours": [9, 17]}),
                json!({"status": "confirmed", "anchor": "check_in", "send_offset_days": -2}),
                json!([{"type": "check_in_form_submitted", "value": false}]),
            ),
        ),
        (
            "rel",
            base(
                json!({"type": "relative", "anchor": "check_in", "offset_days": -1, "at": "12:00"}),
                json!({"statuses": ["confirmed", "checked_in"]}),
                json!([]),
            ),
        ),
        ("status", base(json!({"type": "status_change"}), json!({"status": "checked_in"}), json!([]))),
        (
            "bye",
            base(
                json!({"type": "relative", "anchor": "check_out", "offset_days": 0, "offset_minutes": 60}),
                json!({"statuses": ["checked_out"]}),
                json!([]),
            ),
        ),
    ]
}

/// Account, users, property, chatbot and four approved campaigns, written through `app`.
pub async fn set_up(app: &App) {
    let store = &app.store;
    store.put_account(&Account { id: "a".into(), name: "A".into() }).await.unwrap();
    for (id, role) in [("ed", Role::Editor), ("ap", Role::Approver)] {
        let user = User {
            id: id.into(),
            account_id: Some("a".into()),
            role,
            name: None,
            email: None,
            email_notifications: false,
            language: Default::default(),
            property_ids: None,
            chatbot_ids: None,
        };
        store.put_user(&user).await.unwrap();
    }
    let property: Property = serde_json::from_value(json!({
        "id": PROPERTY, "account_id": "a", "name": "P", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
        "check_out_time": "11:00", "pms": "mews", "webhook_secret": SECRET, "units": [{"id": "1"}]
    }))
    .unwrap();
    store.put_property(&property).await.unwrap();
    store
        .put_chatbot(&Chatbot {
            id: "bot".into(),
            account_id: Some("a".into()),
            name: None,
            property_ids: vec![PROPERTY.into()],
            languages: vec![],
            whatsapp: Some(WhatsAppSettings { phone_number_id: "1".into(), waba_id: None }),
            sms: Some(SmsSettings { sender: "+15550001111".into() }),
            faqs: Vec::new(),
            flows: Vec::new(),
        })
        .await
        .unwrap();
    let editor = Actor::load(app, "ed").await.unwrap();
    let approver = Actor::load(app, "ap").await.unwrap();
    for (id, body) in campaign_bodies() {
        campaigns::create(app, &editor, &body, Some(id.into())).await.unwrap();
        campaigns::submit(app, &editor, id, None).await.unwrap();
        campaigns::approve(app, &approver, id, None).await.unwrap();
    }
}

pub fn webhook_body(
    guest: usize,
    status: usize,
    check_in_day: u32,
    nights: u32,
    version: u32,
    form: bool,
    phone: bool,
) -> serde_json::Value {
    let statuses = ["confirmed", "checked_in", "checked_out", "canceled"];
    let check_in = NaiveDate::from_ymd_opt(2026, 6, check_in_day).unwrap();
    let check_out = check_in + Duration::days(i64::from(nights));
    let updated_at = start() + Duration::minutes(i64::from(version) * 7);
    let mut guest_json = json!({"first_name": "G", "last_name": "H"});
    if phone {
        guest_json["phone"] = json!(format!("+1555000000{guest}"));
    }
    json!({
        "event_id": format!("e-{guest}-{status}-{check_in_day}-{nights}-{version}-{form}-{phone}"),
        "occurred_at": updated_at,
        "reservation": {"id": format!("r{guest}"), "property_id": PROPERTY, "unit_id": "1", "source": "direct",
            "status": statuses[status], "check_in": check_in, "check_out": check_out, "guest": guest_json,
            "adults": 1, "children": 0, "check_in_form_submitted": form, "updated_at": updated_at}
    })
}

fn final_state(state: MessageState) -> bool {
    matches!(
        state,
        MessageState::Sent
            | MessageState::Delivered
            | MessageState::Read
            | MessageState::Failed
            | MessageState::Skipped
            | MessageState::Expired
            | MessageState::Canceled
    )
}

impl Harness {
    /// Set up on `backend` (fresh), then wrap it: `wrap` (e.g. a deliberately broken store)
    /// inside a [`ChaosStore`] that yields at every call and injects faults.
    /// `clock` is the one `backend` was built with (see [`clock`]).
    pub async fn new(
        clock: Arc<VirtualClock>,
        backend: Arc<dyn Store>,
        wrap: impl FnOnce(Arc<dyn Store>) -> Arc<dyn Store>,
        options: &Options,
    ) -> Harness {
        let provider = Arc::new(ProviderLog::new(options.provider_faults_per_mille, options.seed));
        let outbox = OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone());
        let whatsapp = FaultyChannel {
            inner: outbox.sibling(Channel::Whatsapp, vec!["+15550000003".into()]),
            log: provider.clone(),
        };
        let sms = FaultyChannel { inner: outbox.sibling(Channel::Sms, Vec::new()), log: provider.clone() };
        let bus = Arc::new(MemoryBus::default());
        let queue = Arc::new(MemoryQueue::new(clock.clone()));
        let mut app = App {
            store: backend.clone(),
            bus: bus.clone(),
            queue: queue.clone(),
            whatsapp: Arc::new(whatsapp),
            sms: Arc::new(sms),
            mailer: Arc::new(MailOutbox::new(None)),
            clock: clock.clone(),
            vendors: None,
            config: AppConfig::default(),
        };
        set_up(&app).await;
        let chaos = Arc::new(ChaosStore::new(wrap(backend.clone()), options.seed, options.store_faults_per_mille));
        app.store = chaos.clone();
        let router = relais_lambda::http_router(&relais_lambda::LambdaApp::new(
            app.clone(),
            relais_http::CallbackSettings::default(),
        ));
        Harness {
            app,
            backend,
            chaos,
            provider,
            clock,
            bus,
            queue,
            router,
            failed_events: Vec::new(),
            batches: Vec::new(),
            records: 0,
            delivered: Vec::new(),
            refused: Vec::new(),
            finish: options.finish,
        }
    }

    /// Every message of the property's guests, read from the backend.
    pub async fn messages(&self) -> Vec<Message> {
        let mut all = Vec::new();
        for g in 0..GUESTS {
            all.extend(self.backend.messages_of_reservation(PROPERTY, &format!("r{g}")).await.unwrap());
        }
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }

    /// A webhook through the pms-webhook function's router; `Ok(false)` when it answered 503.
    async fn deliver(&mut self, body: &serde_json::Value) -> Result<bool, Violation> {
        let event = lambda::webhook_event(PROPERTY, SECRET, body, self.clock.now());
        let (status, reply) = lambda::call(self.router.clone(), &event).await;
        match status {
            200 => Ok(true),
            503 => Ok(false),
            status => Err(Violation::Webhook { status, body: reply.to_string() }),
        }
    }

    fn batch_of(&mut self, jobs: &[DispatchJob]) -> SqsEvent {
        let bodies: Vec<String> = jobs.iter().map(|j| serde_json::to_string(j).unwrap()).collect();
        let batch = lambda::sqs_batch(&bodies, self.records);
        self.records += bodies.len();
        batch
    }

    /// Hand a batch to the dispatcher handler; failed records come back after 30 s.
    async fn dispatch_batch(&self, batch: &SqsEvent) -> Result<(), Violation> {
        let response = relais_lambda::dispatcher(&self.app, LambdaEvent::new(batch.clone(), Context::default()))
            .await
            .map_err(|e| Violation::Handler(e.to_string()))?;
        self.requeue_failed(batch, &response.batch_item_failures).await
    }

    async fn requeue_failed(
        &self,
        batch: &SqsEvent,
        failures: &[aws_lambda_events::event::sqs::BatchItemFailure],
    ) -> Result<(), Violation> {
        for failure in failures {
            let record = batch
                .records
                .iter()
                .find(|r| r.message_id.as_deref() == Some(failure.item_identifier.as_str()))
                .ok_or_else(|| Violation::Handler(format!("unknown failed record {:?}", failure.item_identifier)))?;
            let job: DispatchJob = serde_json::from_str(record.body.as_deref().unwrap_or("")).unwrap();
            self.queue.enqueue(&job, 30).await.map_err(Violation::Handler)?;
        }
        Ok(())
    }

    /// Deliver pending events (evaluator) and visible jobs (dispatcher, batches of 10) until
    /// none is left, as EventBridge -> SQS -> Lambda would.
    pub async fn drain(&mut self) -> Result<(), Violation> {
        loop {
            let events = self.bus.take_all();
            let jobs = self.queue.take_ready(self.clock.now());
            if events.is_empty() && jobs.is_empty() {
                return Ok(());
            }
            for chunk in events.chunks(10) {
                let bodies: Vec<String> = chunk
                    .iter()
                    .map(|e| {
                        json!({"version": "0", "id": "x", "detail-type": relais_aws::eventbridge::DETAIL_TYPE,
                               "source": relais_aws::eventbridge::SOURCE, "time": self.clock.now(), "detail": e})
                        .to_string()
                    })
                    .collect();
                let batch = lambda::sqs_batch(&bodies, self.records);
                self.records += bodies.len();
                let response = relais_lambda::evaluator(&self.app, LambdaEvent::new(batch.clone(), Context::default()))
                    .await
                    .map_err(|e| Violation::Handler(e.to_string()))?;
                for failure in &response.batch_item_failures {
                    let i =
                        batch.records.iter().position(|r| r.message_id.as_deref() == Some(&failure.item_identifier));
                    if let Some(i) = i {
                        self.failed_events.push(chunk[i].clone());
                    }
                }
            }
            for chunk in jobs.chunks(10) {
                let batch = self.batch_of(chunk);
                self.dispatch_batch(&batch).await?;
                self.batches.push(batch);
            }
        }
    }

    /// Events whose evaluation failed come back (SQS visibility timeout).
    async fn redeliver_events(&mut self) -> Result<(), Violation> {
        for event in std::mem::take(&mut self.failed_events) {
            use relais_app::ports::EventBus;
            self.bus.publish(&event).await.map_err(Violation::Handler)?;
        }
        self.drain().await
    }

    async fn sweep(&self) -> Result<(), String> {
        let event = json!({"version": "0", "id": "s", "detail-type": "Scheduled Event", "source": "aws.events",
                           "time": self.clock.now(), "resources": [], "detail": {}});
        relais_lambda::sweep(&self.app, LambdaEvent::new(event, Context::default()))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    pub async fn apply(&mut self, op: &Op) -> Result<(), Violation> {
        match op.clone() {
            Op::Webhook { guest, status, check_in_day, nights, version, form, phone } => {
                let body = webhook_body(guest, status, check_in_day, nights, version, form, phone);
                let bytes = serde_json::to_vec(&body).unwrap();
                if !self.deliver(&body).await? {
                    self.refused.push(bytes.clone());
                }
                self.delivered.push(bytes);
            }
            Op::Replay { back } => {
                if let Some(bytes) = self.delivered.iter().rev().nth(back).cloned() {
                    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                    self.deliver(&body).await?;
                }
            }
            Op::Sweep { twice } => {
                if twice {
                    // Two sweeps overlapping: every due job is queued twice.
                    let _ = tokio::join!(self.sweep(), self.sweep());
                } else {
                    let _ = self.sweep().await;
                }
            }
            Op::Redeliver { pick, fallback } => {
                let messages = self.messages().await;
                if let Some(m) = messages.get(pick % messages.len().max(1)) {
                    let reason = if fallback { DispatchReason::Fallback } else { DispatchReason::Due };
                    let batch = self.batch_of(&[DispatchJob { message_id: m.id.clone(), reason, keys: None }]);
                    self.dispatch_batch(&batch).await?;
                    self.dispatch_batch(&batch).await?;
                }
            }
            Op::Race { pick } => {
                // Two dispatchers got the same job (SQS at-least-once) and run at once: on a
                // message that is due and open (that is when a race can send twice); if none
                // is due yet, time first runs to the next open message's due time.
                let messages = self.messages().await;
                let mut now = self.clock.now();
                let next_due = messages.iter().filter(|m| m.state.is_open()).map(|m| m.due_at).min();
                if let Some(at) = next_due.filter(|at| *at > now) {
                    self.clock.set(at);
                    now = at;
                }
                let due: Vec<Message> =
                    messages.iter().filter(|m| m.state.is_open() && m.due_at <= now).cloned().collect();
                let candidates = if due.is_empty() { messages } else { due };
                if let Some(m) = candidates.get(pick % candidates.len().max(1)) {
                    let batch = self.batch_of(&[DispatchJob {
                        message_id: m.id.clone(),
                        reason: DispatchReason::Due,
                        keys: None,
                    }]);
                    let (a, b) = tokio::join!(self.dispatch_batch(&batch), self.dispatch_batch(&batch));
                    a?;
                    b?;
                }
            }
            Op::ReplayBatch { back } => {
                // A batch the dispatcher already handled comes back, to two dispatchers at once.
                if let Some(batch) = self.batches.iter().rev().nth(back).cloned() {
                    let (a, b) = tokio::join!(self.dispatch_batch(&batch), self.dispatch_batch(&batch));
                    a?;
                    b?;
                }
            }
            Op::Status { pick, status } => {
                let ids: Vec<String> = self
                    .messages()
                    .await
                    .into_iter()
                    .flat_map(|m| m.attempts)
                    .filter_map(|a| a.provider_message_id)
                    .collect();
                if let Some(id) = ids.get(pick % ids.len().max(1)) {
                    let status =
                        [MessageState::Sent, MessageState::Delivered, MessageState::Read, MessageState::Failed][status];
                    let update = StatusUpdate {
                        provider_message_id: id.clone(),
                        status,
                        error_code: None,
                        opted_out: false,
                        send_key: None,
                    };
                    let _ = engine::apply_status(&self.app, &update).await;
                }
            }
            Op::Crash { pick } => {
                // A dispatcher claimed the message and died before calling the channel.
                let open: Vec<Message> = self.messages().await.into_iter().filter(|m| m.state.is_open()).collect();
                if let Some(m) = open.get(pick % open.len().max(1)) {
                    let mut claimed = m.clone();
                    claimed.transition(self.clock.now(), MessageState::Sending, None);
                    claimed.version = m.version + 1;
                    let _ = self.backend.update_message(&claimed, m.version).await;
                }
            }
            Op::Advance { minutes } => {
                self.clock.set(self.clock.now() + Duration::minutes(i64::from(minutes)));
                self.redeliver_events().await?;
            }
        }
        self.drain().await
    }

    /// Faults stop; the PMS retries what was refused; time runs out (sweeps 40 days apart).
    pub async fn finish(&mut self) -> Result<(), Violation> {
        self.chaos.set_faults(false);
        self.provider.set_faults(false);
        for bytes in std::mem::take(&mut self.refused) {
            let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            if !self.deliver(&body).await? {
                return Err(Violation::Webhook { status: 503, body: "refused once faults stopped".into() });
            }
        }
        self.drain().await?;
        self.redeliver_events().await?;
        match self.finish {
            Finish::FortyDaysThrice => {
                for _ in 0..3 {
                    self.clock.set(self.clock.now() + Duration::days(40));
                    self.sweep().await.map_err(Violation::Handler)?;
                    self.drain().await?;
                    self.redeliver_events().await?;
                }
            }
            Finish::UntilFinal => {
                for _ in 0..40 {
                    let now = self.clock.now();
                    let next = self
                        .messages()
                        .await
                        .into_iter()
                        .filter(|m| !final_state(m.state))
                        .map(|m| match m.state {
                            // An interrupted claim is resolved by a sweep once it is due and
                            // its lease is over.
                            MessageState::Sending => m.due_at.max(
                                m.timeline.last().map_or(m.due_at, |t| t.at)
                                    + Duration::minutes(engine::SEND_LEASE_MINUTES),
                            ),
                            _ if m.due_at > now => m.due_at,
                            _ => m.expires_at,
                        })
                        .min();
                    let Some(next) = next else { break };
                    self.clock.set(next.max(now) + Duration::minutes(1));
                    self.sweep().await.map_err(Violation::Handler)?;
                    self.drain().await?;
                    self.redeliver_events().await?;
                }
            }
        }
        Ok(())
    }

    /// The invariants: no message handed to a provider twice (with provider faults: never again
    /// once accepted), every message in a final state, at most one attempt per channel.
    pub async fn check(&self) -> Result<CaseStats, Violation> {
        let faults = self.provider.per_mille > 0;
        let calls = self.provider.calls.lock().unwrap().clone();
        let mut stats = CaseStats { provider_faults: self.provider.injected_faults(), ..CaseStats::default() };
        for (key, (n, accepted)) in &calls {
            stats.provider_calls += u64::from(*n);
            if *accepted > 1 || (!faults && *n > 1) {
                return Err(Violation::Duplicate { key: key.clone(), calls: *n, accepted: *accepted });
            }
        }
        if let Some(key) = self.provider.after_accepted.lock().unwrap().first() {
            let (n, accepted) = calls.get(key).copied().unwrap_or_default();
            return Err(Violation::Duplicate { key: key.clone(), calls: n, accepted });
        }
        let messages = self.messages().await;
        self.check_stats(&messages).await?;
        for message in messages {
            stats.messages += 1;
            *stats.states.entry(message.state.as_str().to_string()).or_default() += 1;
            if !final_state(message.state) {
                return Err(Violation::NotFinal {
                    id: message.id,
                    state: message.state.as_str().to_string(),
                    reason: message.reason,
                    due_at: message.due_at.to_rfc3339(),
                    expires_at: message.expires_at.to_rfc3339(),
                    now: self.clock.now().to_rfc3339(),
                });
            }
            let sends = message.attempts.iter().filter(|a| a.provider_message_id.is_some()).count();
            stats.sends += sends;
            let whatsapp = message.attempts.iter().filter(|a| a.channel == Channel::Whatsapp).count();
            let sms = message.attempts.iter().filter(|a| a.channel == Channel::Sms).count();
            if sends > 2 || whatsapp > 1 || sms > 1 {
                return Err(Violation::TooManyAttempts {
                    id: message.id,
                    detail: format!("{sends} sends, {whatsapp} WhatsApp and {sms} SMS attempts"),
                });
            }
        }
        Ok(stats)
    }

    /// The statistics (docs/statistics.md) of every campaign and day equal a count of the
    /// messages one by one, made here without the domain's counting code.
    async fn check_stats(&self, messages: &[Message]) -> Result<(), Violation> {
        let property = self.backend.get_property(PROPERTY).await.unwrap().unwrap();
        let zone = property.time_zone;
        let campaign_ids: std::collections::BTreeSet<&str> = messages.iter().map(|m| m.campaign_id.as_str()).collect();
        for id in campaign_ids {
            let campaign = self.backend.get_campaign(id).await.unwrap().unwrap();
            let mut counted: BTreeMap<NaiveDate, BTreeMap<String, u64>> = BTreeMap::new();
            for m in messages.iter().filter(|m| m.campaign_id == id) {
                let day = counted.entry(m.due_at.with_timezone(&zone).date_naive()).or_default();
                *day.entry("messages".into()).or_default() += 1;
                *day.entry(m.state.as_str().into()).or_default() += 1;
                let accepted: Vec<_> = m.attempts.iter().filter(|a| a.provider_message_id.is_some()).collect();
                if accepted.iter().any(|a| a.fallback) {
                    *day.entry("fallback_sent".into()).or_default() += 1;
                }
                let segments: u64 = accepted
                    .iter()
                    .filter(|a| a.channel == Channel::Sms)
                    .map(|a| u64::from(a.segments.unwrap_or(0)))
                    .sum();
                *day.entry("sms_segments".into()).or_default() += segments;
                *day.entry("taps".into()).or_default() += m.taps.len() as u64;
            }
            let (from, to) = (*counted.keys().next().unwrap(), *counted.keys().last().unwrap());
            let stats = relais_app::stats::campaign_stats(&self.app, &campaign, &property, from, to)
                .await
                .map_err(|e| Violation::Handler(format!("stats: {e}")))?;
            let mut shown: BTreeMap<NaiveDate, serde_json::Value> =
                stats.days.iter().map(|d| (d.date, serde_json::to_value(d.counts.counts).unwrap())).collect();
            for (date, counts) in &counted {
                let stats = shown.remove(date).unwrap_or_default();
                let differs = stats.as_object().is_none_or(|fields| {
                    fields.iter().any(|(k, v)| v.as_u64().unwrap_or(0) != counts.get(k).copied().unwrap_or(0))
                }) || counts.iter().any(|(k, n)| stats[k].as_u64() != Some(*n));
                if differs {
                    return Err(Violation::Stats { campaign: id.into(), date: *date, stats, counted: json!(counts) });
                }
            }
            if let Some((date, stats)) = shown.into_iter().next() {
                return Err(Violation::Stats { campaign: id.into(), date, stats, counted: json!({}) });
            }
        }
        Ok(())
    }

    /// Run a schedule to its end and check it.
    pub async fn run(&mut self, ops: &[Op]) -> Result<CaseStats, Violation> {
        for op in ops {
            self.apply(op).await?;
        }
        self.finish().await?;
        self.check().await
    }
}

/// `RELAIS_<NAME>` as a number, else `default`.
pub fn env_count(name: &str, default: u32) -> u32 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

// ---------------------------------------------------------------- suites

/// What a suite of generated schedules covered.
#[derive(Debug, Clone, Default)]
pub struct Totals {
    pub cases: u64,
    pub messages: u64,
    pub sends: u64,
    pub provider_calls: u64,
    pub provider_faults: u64,
    pub states: BTreeMap<String, u64>,
}

pub type Backend =
    Box<dyn Fn(Arc<VirtualClock>) -> std::pin::Pin<Box<dyn std::future::Future<Output = Arc<dyn Store>>>>>;

/// One suite of generated schedules.
pub struct Suite {
    pub name: &'static str,
    pub cases: u32,
    pub max_ops: usize,
    pub store_faults_per_mille: u64,
    pub provider_faults_per_mille: u64,
    /// The compact calendar and [`Finish::UntilFinal`] (DynamoDB on moto).
    pub compact: bool,
}

/// Run the suite's schedules on a fresh backend each; shrink and fail on the first violation;
/// print one summary JSON line (`{"suite": name, ...}`) on stderr.
pub fn run_suite(suite: &Suite, backend: Backend) -> Totals {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let totals = Mutex::new(Totals::default());
    let mut runner = TestRunner::new(Config { cases: suite.cases, failure_persistence: None, ..Config::default() });
    let started = std::time::Instant::now();
    let strategy = if suite.compact { compact_ops(suite.max_ops).boxed() } else { ops(suite.max_ops).boxed() };
    let result = runner.run(&(strategy, any::<u64>()), |(ops, seed)| {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let stats = rt.block_on(async {
            let clock = clock();
            let store = backend(clock.clone()).await;
            let options = Options {
                store_faults_per_mille: suite.store_faults_per_mille,
                provider_faults_per_mille: suite.provider_faults_per_mille,
                seed,
                finish: if suite.compact { Finish::UntilFinal } else { Finish::FortyDaysThrice },
            };
            let mut harness = Harness::new(clock, store, |s| s, &options).await;
            harness.run(&ops).await
        });
        match stats {
            Ok(stats) => {
                let mut t = totals.lock().unwrap();
                t.cases += 1;
                t.messages += stats.messages as u64;
                t.sends += stats.sends as u64;
                t.provider_calls += stats.provider_calls;
                t.provider_faults += stats.provider_faults;
                for (state, n) in stats.states {
                    *t.states.entry(state).or_default() += n as u64;
                }
                Ok(())
            }
            Err(violation) => Err(TestCaseError::fail(format!("{violation:?}"))),
        }
    });
    let totals = totals.into_inner().unwrap();
    eprintln!(
        "{}",
        json!({"suite": suite.name, "cases": totals.cases, "messages": totals.messages, "sends": totals.sends,
               "provider_calls": totals.provider_calls, "provider_faults": totals.provider_faults,
               "store_faults_per_mille": suite.store_faults_per_mille,
               "provider_faults_per_mille": suite.provider_faults_per_mille,
               "states": totals.states, "seconds": started.elapsed().as_secs(), "violations": u8::from(result.is_err())})
    );
    if let Err(e) = result {
        panic!("{}: {e}", suite.name);
    }
    totals
}
