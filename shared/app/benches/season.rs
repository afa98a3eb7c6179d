//! `POST /preview` at scale (docs/statistics.md): five campaigns over 120 days against 100,000
//! stored reservations of one property, on one core (a current-thread runtime). Target: within
//! 10 seconds.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use relais_app::campaigns::Actor;
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::ReservationRecord;
use relais_app::season::preview_set;
use relais_domain::validate::{PreviewRequest, parse_scenario};
use relais_domain::{Reservation, Transition};
use serde_json::{Value, json};

const RESERVATIONS: usize = 100_000;
const DAYS: i64 = 120;

fn campaign(id: &str, trigger: Value, target: Value, extra: Value) -> Value {
    let mut body = json!({
        "id": id, "created_by": "ed", "approve": false, "category": "pre_stay", "name": id,
        "property_id": "lisboa", "chatbot_id": "bot", "period": {"start": null, "end": null},
        "trigger": trigger, "target": target, "channel": {"primary": "whatsapp", "fallback": "sms"},
        "messages": {
            "en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}, see you on {{check_in_date}}"},
                   "sms": {"type": "text", "body": "Hi {{guest_first_name}}, {{check_in_date}}"}},
            "pt": {"whatsapp": {"type": "text", "body": "Olá {{guest_first_name}}, até {{check_in_date}}"},
                   "sms": {"type": "text", "body": "Olá {{guest_first_name}}, {{check_in_date}}"}}
        }
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

fn setup_doc() -> Value {
    let every_day = json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
    json!({
        "version": 1, "start": "2026-05-31T23:00:00Z", "end": "2026-09-30T23:00:00Z",
        "account": {"id": "acc", "name": "Casa Azul"},
        "users": [{"id": "ed", "role": "editor"}],
        "properties": [{"id": "lisboa", "name": "Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
                        "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s3cret",
                        "quiet_hours": {"start": "21:00", "end": "08:00"}}],
        "chatbots": [{"id": "bot", "property_ids": ["lisboa"], "languages": ["en", "pt"],
                      "whatsapp": {"phone_number_id": "1098765"}, "sms": {"sender": "+15550001111"}}],
        "campaigns": [
            campaign("pre-7d", json!({"type": "schedule", "days": every_day, "hours": [10]}),
                json!({"status": "confirmed", "anchor": "check_in", "send_offset_days": -7}), json!({})),
            campaign("pre-3d", json!({"type": "schedule", "days": every_day, "hours": [18]}),
                json!({"status": "confirmed", "anchor": "check_in", "send_offset_days": -3}),
                json!({"message_conditions": [{"type": "check_in_form_submitted", "value": false}]})),
            campaign("arrival", json!({"type": "relative", "anchor": "check_in", "offset_days": 0, "offset_minutes": 0, "at": "09:00"}),
                json!({"statuses": ["confirmed"]}), json!({})),
            campaign("after", json!({"type": "relative", "anchor": "check_out", "offset_days": 0, "offset_minutes": 0, "at": "21:30"}),
                json!({}), json!({"quiet_hours": "respect"})),
            campaign("welcome-in", json!({"type": "status_change"}), json!({"status": "checked_in"}), json!({})),
        ],
        "events": [],
    })
}

fn reservation(i: usize) -> ReservationRecord {
    let check_in = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() + chrono::Duration::days((i as i64) % DAYS);
    let check_out = check_in + chrono::Duration::days(1 + (i % 5) as i64);
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 9, 0, 0).unwrap();
    let reservation: Reservation = serde_json::from_value(json!({
        "id": format!("r{i}"), "property_id": "lisboa", "source": "direct", "status": "confirmed",
        "check_in": check_in, "check_out": check_out,
        "guest": {"first_name": format!("Guest{i}"), "last_name": "Silva",
                  "phone": format!("+3519{i:08}"), "language": if i.is_multiple_of(2) { "pt-PT" } else { "en" }},
        "adults": 2, "children": 0, "check_in_form_submitted": i % 4 == 1, "updated_at": at
    }))
    .unwrap();
    ReservationRecord {
        transitions: vec![Transition { seq: 1, from: None, to: reservation.status, at }],
        confirmed_at: Some(at),
        version: 1,
        event_ids: Vec::new(),
        unpublished: None,
        operator_custom_fields: Default::default(),
        events: Vec::new(),
        reservation,
    }
}

fn bench(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let clock = Arc::new(VirtualClock::new(Utc.with_ymd_and_hms(2026, 5, 31, 23, 0, 0).unwrap()));
    let runtime = LocalRuntime::new(LocalParts::in_memory(clock));
    let (scenario, _) = parse_scenario(&setup_doc()).unwrap();
    let editor = tokio.block_on(async {
        relais_app::simulate::setup(&runtime.app, &scenario, &mut Default::default()).await.unwrap();
        for i in 0..RESERVATIONS {
            runtime.app.store.put_reservation(&reservation(i), None).await.unwrap();
        }
        Actor::load(&runtime.app, "ed").await.unwrap()
    });
    let from = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let request = PreviewRequest {
        from,
        to: from + chrono::Duration::days(DAYS - 1),
        campaign_ids: ["pre-7d", "pre-3d", "arrival", "after", "welcome-in"].map(String::from).to_vec(),
        drafts: Vec::new(),
        max_per_guest_per_day: 1,
    };
    let mut group = c.benchmark_group("season_preview");
    group.sample_size(10).measurement_time(Duration::from_secs(60)).warm_up_time(Duration::from_secs(1));
    group.bench_function("reservations_100000_campaigns_5_days_120", |b| {
        b.iter(|| {
            let preview = tokio.block_on(preview_set(&runtime.app, &editor, &request)).unwrap();
            assert!(preview.messages_total > RESERVATIONS * 3, "{}", preview.messages_total);
            preview.messages_total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
