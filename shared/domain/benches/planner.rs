//! Planner throughput: reservation x campaign evaluations per second, on one core.
//! `plan/first` attaches campaigns to new reservations (creates messages); `plan/unchanged`
//! re-evaluates after a change that moves nothing (the common case on webhook traffic);
//! `decide_due` is the send-time decision (conditions, language, rendering).

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relais_domain::conditions::ConditionContext;
use relais_domain::planner::{DueContext, PlanAction, ReservationView, decide_due, plan};
use relais_domain::*;
use serde_json::json;

fn campaigns() -> Vec<Campaign> {
    let messages = json!({"en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}, see you on {{check_in_date}}"},
                                  "sms": {"type": "text", "body": "Hi {{guest_first_name}}"}},
                          "pt": {"whatsapp": {"type": "text", "body": "Olá {{guest_first_name}}, até {{check_in_date}}"},
                                  "sms": {"type": "text", "body": "Olá {{guest_first_name}}"}}});
    let triggers = [
        (
            json!({"type": "schedule", "days": ["mon","tue","wed","thu","fri","sat","sun"], "hours": [10, 16]}),
            json!({"status": "confirmed", "anchor": "check_in", "send_offset_days": -3}),
        ),
        (
            json!({"type": "schedule", "days": ["mon","tue","wed","thu","fri"], "hours": [9]}),
            json!({"status": "checked_in", "anchor": "check_out", "send_offset_days": -1}),
        ),
        (json!({"type": "relative", "anchor": "check_in", "offset_days": -2, "at": "10:00"}), json!({})),
        (json!({"type": "relative", "anchor": "confirmation", "offset_days": 0, "offset_minutes": 30}), json!({})),
        (json!({"type": "status_change"}), json!({"status": "checked_in"})),
    ];
    (0..10)
        .map(|i| {
            let (trigger, target) = triggers[i % triggers.len()].clone();
            let spec: CampaignSpec = serde_json::from_value(json!({
                "category": "pre_stay", "name": format!("c{i}"), "property_id": "p", "chatbot_id": "bot",
                "trigger": trigger, "target": target, "channel": {"primary": "whatsapp", "fallback": "sms"},
                "messages": messages, "reservation_conditions": [{"type": "source", "op": "not_in", "value": ["expedia"]}],
                "message_conditions": [{"type": "check_in_form_submitted", "value": false}, {"type": "guests_count", "op": "more_than", "value": 0}]
            }))
            .unwrap();
            let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
            Campaign {
                id: format!("c{i}"), account_id: "a".into(), created_by: "u".into(), status: CampaignStatus::Active,
                rejection_reason: None, version: 1, created_at: t0, updated_at: t0, activated_at: Some(t0), awaiting_meta: false, template_revision: None, whatsapp_templates: Default::default(), spec,
            }
        })
        .collect()
}

fn property() -> Property {
    serde_json::from_value(json!({"id": "p", "name": "P", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
        "check_out_time": "11:00", "pms": "mews"}))
    .unwrap()
}

fn reservations(n: usize) -> Vec<(Reservation, Vec<Transition>)> {
    let statuses = [
        ReservationStatus::Confirmed,
        ReservationStatus::Confirmed,
        ReservationStatus::CheckedIn,
        ReservationStatus::CheckedOut,
    ];
    (0..n)
        .map(|i| {
            let check_in = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() + Duration::days((i % 60) as i64);
            let status = statuses[i % statuses.len()];
            let r: Reservation = serde_json::from_value(json!({
                "id": format!("r{i}"), "property_id": "p", "source": if i % 7 == 0 { "expedia" } else { "airbnb" },
                "status": status, "check_in": check_in, "check_out": check_in + Duration::days(3),
                "guest": {"first_name": "Ana", "last_name": "Silva", "phone": "+351912345678", "language": if i % 2 == 0 { "pt-BR" } else { "en" }},
                "adults": 2, "updated_at": "2026-05-01T00:00:00Z"
            }))
            .unwrap();
            let t = Transition { seq: 1, from: None, to: status, at: Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap() };
            (r, vec![t])
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let campaigns = campaigns();
    let property = property();
    let reservations = reservations(1_000);
    let now = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let confirmed = Some(now);
    let pairs = (campaigns.len() * reservations.len()) as u64;

    // Messages each pair already has (for the "unchanged" re-evaluation).
    let existing: Vec<Vec<Message>> = reservations
        .iter()
        .map(|(r, t)| {
            let view = ReservationView { reservation: r, transitions: t, confirmed_at: confirmed };
            campaigns
                .iter()
                .flat_map(|c| plan(c, &property, &view, &[], now))
                .filter_map(|a| match a {
                    PlanAction::Create(m) => Some(m),
                    PlanAction::Update { .. } => None,
                })
                .collect()
        })
        .collect();

    let mut group = c.benchmark_group("plan");
    group.throughput(Throughput::Elements(pairs));
    group.bench_function("first", |b| {
        b.iter(|| {
            let mut created = 0usize;
            for (r, t) in &reservations {
                let view = ReservationView { reservation: r, transitions: t, confirmed_at: confirmed };
                for c in &campaigns {
                    created += plan(c, &property, &view, &[], now).len();
                }
            }
            created
        })
    });
    group.bench_function("unchanged", |b| {
        b.iter(|| {
            let mut changed = 0usize;
            for ((r, t), mine) in reservations.iter().zip(&existing) {
                let view = ReservationView { reservation: r, transitions: t, confirmed_at: confirmed };
                for c in &campaigns {
                    let of_campaign: Vec<Message> = mine.iter().filter(|m| m.campaign_id == c.id).cloned().collect();
                    changed += plan(c, &property, &view, &of_campaign, now).len();
                }
            }
            changed
        })
    });
    group.finish();

    let chatbot: Chatbot = serde_json::from_value(json!({"id": "bot", "property_ids": ["p"], "languages": ["pt"],
        "whatsapp": {"phone_number_id": "1"}, "sms": {"sender": "+15550001111"}}))
    .unwrap();
    let due: Vec<(usize, Message)> =
        existing.iter().enumerate().flat_map(|(i, ms)| ms.iter().map(move |m| (i, m.clone()))).collect();
    let mut group = c.benchmark_group("decide_due");
    group.throughput(Throughput::Elements(due.len() as u64));
    group.bench_function("render_and_conditions", |b| {
        let never = |_: Channel| false;
        b.iter(|| {
            let mut sends = 0usize;
            for (i, m) in &due {
                let (r, t) = &reservations[*i];
                let campaign = campaigns.iter().find(|c| c.id == m.campaign_id).unwrap();
                let ctx = DueContext {
                    campaign,
                    property: &property,
                    chatbot: &chatbot,
                    view: ReservationView { reservation: r, transitions: t, confirmed_at: confirmed },
                    conditions: ConditionContext {
                        reservation: r,
                        property: &property,
                        guest_history: &[],
                        unit_reservations: &[],
                    },
                    message: m,
                    opted_out: &never,
                    now: m.due_at,
                };
                if matches!(decide_due(&ctx), relais_domain::planner::DueDecision::Send(_)) {
                    sends += 1;
                }
            }
            sends
        })
    });
    group.finish();
    let _ = BTreeMap::<(), ()>::new();
}

criterion_group!(benches, bench);
criterion_main!(benches);
