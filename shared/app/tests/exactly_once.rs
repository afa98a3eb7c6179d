//! Exactly-once under chaos (SPEC 3): random sequences of webhooks (duplicated, replayed out of
//! order), overlapping sweeps, queue redeliveries, provider statuses (repeated, out of order)
//! and dispatchers that die between claim and send. Invariants: no message is ever handed to a
//! channel twice, and once time has run out every message is in a final state SPEC 3 allows.
//!
//! `RELAIS_CHAOS_CASES` sets the number of generated schedules (default 64).

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use relais_app::campaigns::{self, Actor};
use relais_app::chaos::ChaosStore;
use relais_app::embedded::{OutboxChannel, VirtualClock};
use relais_app::engine::{self, StatusUpdate};
use relais_app::intake::handle_pms_webhook;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{ChannelSender, Clock, DispatchJob, DispatchReason, InboundRequest, SendOutcome, SendRequest};
use relais_domain::{Account, Channel, Chatbot, MessageState, Property, Role, SmsSettings, User, WhatsAppSettings};
use serde_json::json;

/// Counts every call a channel receives, whatever the outbox does with it.
struct Counting {
    inner: OutboxChannel,
    calls: Arc<Mutex<BTreeMap<String, u32>>>,
}

#[async_trait]
impl ChannelSender for Counting {
    async fn send(&self, request: &SendRequest) -> SendOutcome {
        *self.calls.lock().unwrap().entry(request.key.clone()).or_default() += 1;
        self.inner.send(request).await
    }
}

#[derive(Debug, Clone)]
enum Op {
    Webhook { guest: usize, status: usize, check_in_day: u32, nights: u32, version: u32, form: bool, phone: bool },
    Replay { back: usize },
    Sweep { twice: bool },
    Redeliver { pick: usize, fallback: bool },
    Status { pick: usize, status: usize },
    Crash { pick: usize },
    Race { pick: usize },
    Advance { minutes: u32 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..4usize, 0..4usize, 3..20u32, 1..5u32, 0..6u32, any::<bool>(), prop::bool::weighted(0.9))
            .prop_map(|(guest, status, check_in_day, nights, version, form, phone)| Op::Webhook { guest, status, check_in_day, nights, version, form, phone }),
        2 => (0..8usize).prop_map(|back| Op::Replay { back }),
        3 => any::<bool>().prop_map(|twice| Op::Sweep { twice }),
        2 => (0..64usize, any::<bool>()).prop_map(|(pick, fallback)| Op::Redeliver { pick, fallback }),
        2 => (0..64usize, 0..4usize).prop_map(|(pick, status)| Op::Status { pick, status }),
        1 => (0..64usize).prop_map(|pick| Op::Crash { pick }),
        2 => (0..64usize).prop_map(|pick| Op::Race { pick }),
        3 => (1..3000u32).prop_map(|minutes| Op::Advance { minutes }),
    ]
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap()
}

fn campaign_bodies() -> Vec<(&'static str, serde_json::Value)> {
    let messages = json!({
        "en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}"},
               "sms": {"type": "text", "body": "Hi {{guest_first_name}}, {{check_in_date}}"}}
    });
    let base = |trigger: serde_json::Value, target: serde_json::Value, conditions: serde_json::Value| {
        json!({"category": "pre_stay", "name": "chaos", "property_id": "p", "chatbot_id": "bot",
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

async fn runtime(
    clock: Arc<VirtualClock>,
    calls: Arc<Mutex<BTreeMap<String, u32>>>,
) -> (LocalRuntime, Arc<ChaosStore>) {
    let outbox = OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone());
    let whatsapp =
        Counting { inner: outbox.sibling(Channel::Whatsapp, vec!["+15550000003".into()]), calls: calls.clone() };
    let sms = Counting { inner: outbox.sibling(Channel::Sms, Vec::new()), calls };
    let mut rt = LocalRuntime::new(LocalParts {
        outbox,
        whatsapp: Some(Arc::new(whatsapp)),
        sms: Some(Arc::new(sms)),
        ..LocalParts::in_memory(clock.clone())
    });
    let store = &rt.app.store;
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
        "id": "p", "account_id": "a", "name": "P", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
        "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s", "units": [{"id": "1"}]
    }))
    .unwrap();
    store.put_property(&property).await.unwrap();
    store
        .put_chatbot(&Chatbot {
            id: "bot".into(),
            account_id: Some("a".into()),
            name: None,
            property_ids: vec!["p".into()],
            languages: vec![],
            whatsapp: Some(WhatsAppSettings { phone_number_id: "1".into(), waba_id: None }),
            sms: Some(SmsSettings { sender: "+15550001111".into() }),
            faqs: Vec::new(),
            flows: Vec::new(),
        })
        .await
        .unwrap();
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let approver = Actor::load(&rt.app, "ap").await.unwrap();
    for (id, body) in campaign_bodies() {
        campaigns::create(&rt.app, &editor, &body, Some(id.into())).await.unwrap();
        campaigns::submit(&rt.app, &editor, id, None).await.unwrap();
        campaigns::approve(&rt.app, &approver, id, None).await.unwrap();
    }
    // From here on every store call yields (workers interleave) and may fail.
    let chaos = Arc::new(ChaosStore::new(rt.store.clone(), 0x5eed, 0));
    rt.app.store = chaos.clone();
    (rt, chaos)
}

fn webhook_body(
    guest: usize,
    status: usize,
    check_in_day: u32,
    nights: u32,
    version: u32,
    form: bool,
    phone: bool,
) -> Vec<u8> {
    let statuses = ["confirmed", "checked_in", "checked_out", "canceled"];
    let check_in = NaiveDate::from_ymd_opt(2026, 6, check_in_day).unwrap();
    let check_out = check_in + Duration::days(i64::from(nights));
    let updated_at = start() + Duration::minutes(i64::from(version) * 7);
    let mut guest_json = json!({"first_name": "G", "last_name": "H"});
    if phone {
        guest_json["phone"] = json!(format!("+1555000000{guest}"));
    }
    serde_json::to_vec(&json!({
        "event_id": format!("e-{guest}-{status}-{check_in_day}-{nights}-{version}-{form}-{phone}"),
        "occurred_at": updated_at,
        "reservation": {"id": format!("r{guest}"), "property_id": "p", "unit_id": "1", "source": "direct",
            "status": statuses[status], "check_in": check_in, "check_out": check_out, "guest": guest_json,
            "adults": 1, "children": 0, "check_in_form_submitted": form, "updated_at": updated_at}
    }))
    .unwrap()
}

/// Deliver a webhook; `false` when the product answered 503 (the PMS will retry).
async fn deliver(rt: &LocalRuntime, body: &[u8]) -> bool {
    let now = rt.app.clock.now();
    let mut request = InboundRequest { body: body.to_vec(), ..InboundRequest::default() };
    request.headers.insert("x-relais-timestamp".into(), now.timestamp().to_string());
    request.headers.insert("x-relais-signature".into(), relais_domain::intake::sign("s", now.timestamp(), body));
    let reply = handle_pms_webhook(&rt.app, "canonical", "p", &request).await;
    assert!(reply.status == 200 || reply.status == 503, "{:?}", reply.body);
    reply.status == 200
}

async fn run_case(ops: Vec<Op>, faults_per_mille: u64, seed: u64) {
    let clock = Arc::new(VirtualClock::new(start()));
    let calls = Arc::new(Mutex::new(BTreeMap::new()));
    let (mut rt, _) = runtime(clock.clone(), calls.clone()).await;
    let chaos = Arc::new(ChaosStore::new(rt.store.clone(), seed, faults_per_mille));
    rt.app.store = chaos.clone();
    let mut delivered: Vec<Vec<u8>> = Vec::new();
    let mut refused: Vec<Vec<u8>> = Vec::new();
    for op in ops {
        match op {
            Op::Webhook { guest, status, check_in_day, nights, version, form, phone } => {
                let body = webhook_body(guest, status, check_in_day, nights, version, form, phone);
                if !deliver(&rt, &body).await {
                    refused.push(body.clone());
                }
                delivered.push(body);
            }
            Op::Replay { back } => {
                if let Some(body) = delivered.iter().rev().nth(back).cloned() {
                    deliver(&rt, &body).await;
                }
            }
            Op::Sweep { twice } => {
                if twice {
                    // Two sweeps overlapping: every due job is queued twice.
                    let _ = tokio::join!(engine::run_sweep(&rt.app), engine::run_sweep(&rt.app));
                } else {
                    let _ = engine::run_sweep(&rt.app).await;
                }
            }
            Op::Redeliver { pick, fallback } => {
                let messages = rt.store.all_messages();
                if let Some(m) = messages.get(pick % messages.len().max(1)) {
                    let reason = if fallback { DispatchReason::Fallback } else { DispatchReason::Due };
                    // A job of an earlier version, without keys: the message is read first.
                    let job = DispatchJob { message_id: m.id.clone(), reason, keys: None };
                    let _ = engine::dispatch(&rt.app, &job).await;
                    let _ = engine::dispatch(&rt.app, &job).await;
                }
            }
            Op::Race { pick } => {
                // Two dispatchers got the same job (SQS at-least-once) and run at once.
                let messages = rt.store.all_messages();
                if let Some(m) = messages.get(pick % messages.len().max(1)) {
                    // With keys: the message and its context read at once.
                    let keys = Some(relais_app::ports::DispatchKeys::of(m, "bot"));
                    let job = DispatchJob { message_id: m.id.clone(), reason: DispatchReason::Due, keys };
                    let _ = tokio::join!(engine::dispatch(&rt.app, &job), engine::dispatch(&rt.app, &job));
                }
            }
            Op::Status { pick, status } => {
                let attempts: Vec<_> = rt
                    .store
                    .all_messages()
                    .into_iter()
                    .flat_map(|m| m.attempts)
                    .filter_map(|a| a.provider_message_id)
                    .collect();
                if let Some(id) = attempts.get(pick % attempts.len().max(1)) {
                    let status =
                        [MessageState::Sent, MessageState::Delivered, MessageState::Read, MessageState::Failed][status];
                    let update = StatusUpdate {
                        provider_message_id: id.clone(),
                        status,
                        error_code: None,
                        opted_out: false,
                        send_key: None,
                    };
                    let _ = engine::apply_status(&rt.app, &update).await;
                }
            }
            Op::Crash { pick } => {
                // A dispatcher claimed the message and died before calling the channel.
                let open: Vec<_> = rt.store.all_messages().into_iter().filter(|m| m.state.is_open()).collect();
                if let Some(m) = open.get(pick % open.len().max(1)) {
                    let mut claimed = m.clone();
                    claimed.transition(clock.now(), MessageState::Sending, None);
                    claimed.version = m.version + 1;
                    use relais_app::ports::Store;
                    let _ = rt.store.update_message(&claimed, m.version).await;
                }
            }
            Op::Advance { minutes } => clock.set(clock.now() + Duration::minutes(i64::from(minutes))),
        }
        rt.drain().await.unwrap();
    }
    // Faults stop; the PMS retries what was refused; time runs out: every message must reach
    // a final state.
    chaos.set_faults(false);
    for body in &refused {
        assert!(deliver(&rt, body).await);
    }
    rt.retry_failed_events().await.unwrap();
    for _ in 0..3 {
        clock.set(clock.now() + Duration::days(40));
        rt.sweep().await.unwrap();
        rt.retry_failed_events().await.unwrap();
    }
    let calls = calls.lock().unwrap();
    for (key, count) in calls.iter() {
        assert_eq!(*count, 1, "{key} handed to a channel {count} times");
    }
    for message in rt.store.all_messages() {
        assert!(
            matches!(
                message.state,
                MessageState::Sent
                    | MessageState::Delivered
                    | MessageState::Read
                    | MessageState::Failed
                    | MessageState::Skipped
                    | MessageState::Expired
                    | MessageState::Canceled
            ),
            "{} ended {:?} ({:?})",
            message.id,
            message.state,
            message.reason
        );
        let sends = message.attempts.iter().filter(|a| a.provider_message_id.is_some()).count();
        assert!(sends <= 2, "{} has {sends} successful sends", message.id);
        let whatsapp = message.attempts.iter().filter(|a| a.channel == Channel::Whatsapp).count();
        let sms = message.attempts.iter().filter(|a| a.channel == Channel::Sms).count();
        assert!(whatsapp <= 1 && sms <= 1, "{}: {whatsapp} WhatsApp and {sms} SMS attempts", message.id);
    }
}

fn cases() -> u32 {
    std::env::var("RELAIS_CHAOS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn never_twice_never_lost(ops in prop::collection::vec(op(), 1..60)) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run_case(ops, 0, 1));
    }

    #[test]
    fn never_twice_never_lost_with_store_faults(ops in prop::collection::vec(op(), 1..60), seed in any::<u64>()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(run_case(ops, 50, seed));
    }
}
