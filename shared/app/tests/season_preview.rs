//! `POST /preview` (docs/statistics.md) tells an operator what `relais simulate` would send: the
//! same campaigns over the same stored reservations give the same sends (campaign, guest,
//! moment, channel, language, text) and the same fates for what is not sent, quiet hours,
//! held messages and expiry included.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::Arc;

use relais_app::campaigns::Actor;
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::season::preview_set;
use relais_app::simulate::{SimulateOptions, apply_event, setup, simulate};
use relais_domain::MessageState;
use relais_domain::validate::{PreviewRequest, parse_scenario};
use serde_json::{Value, json};

const GUESTS: usize = 40;

fn campaign(id: &str, approve: bool, trigger: Value, target: Value, extra: Value) -> Value {
    let mut body = json!({
        "id": id, "created_by": "ed", "approve": approve, "category": "pre_stay", "name": id,
        "property_id": "lisboa", "chatbot_id": "bot", "period": {"start": null, "end": null},
        "trigger": trigger, "target": target, "channel": {"primary": "whatsapp", "fallback": "sms"},
        "messages": {
            "en": {"whatsapp": {"type": "text", "body": format!("Hi {{{{guest_first_name}}}} ({id})")},
                   "sms": {"type": "text", "body": format!("Hi {{{{guest_first_name}}}}, {id}")}},
            "pt": {"whatsapp": {"type": "text", "body": format!("Olá {{{{guest_first_name}}}} ({id})")},
                   "sms": {"type": "text", "body": format!("Olá {{{{guest_first_name}}}}, {id}")}}
        }
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

/// June in Lisbon (quiet hours 21:00-08:00): forty bookings arrive in the first minute; three
/// campaigns: 3 days before check-in at 10:00, the evening after check-out at 21:30 (held to
/// 08:00), and on the check-in day at 09:00 unless the check-in form is in (held, then expired).
fn scenario(approve: bool) -> Value {
    let events: Vec<Value> = (0..GUESTS)
        .map(|i| {
            let check_in = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap() + chrono::Duration::days((i % 27) as i64);
            let check_out = check_in + chrono::Duration::days(1 + (i % 3) as i64);
            json!({"at": "2026-05-31T23:01:00Z", "pms_webhook": {"pms": "canonical", "property_id": "lisboa", "body": {
                "event_id": format!("e{i}"), "occurred_at": "2026-05-31T23:01:00Z",
                "reservation": {"id": format!("r{i}"), "property_id": "lisboa", "source": "direct",
                    "status": if i % 11 == 5 { "canceled" } else { "confirmed" },
                    "check_in": check_in.to_string(), "check_out": check_out.to_string(),
                    "guest": {"first_name": format!("Guest{i}"), "last_name": "Silva",
                              "phone": format!("+3519123456{i:02}"), "language": if i.is_multiple_of(2) { "pt-PT" } else { "en" }},
                    "adults": 2, "children": 0, "check_in_form_submitted": i % 4 == 1,
                    "updated_at": "2026-05-31T23:01:00Z"}}}})
        })
        .collect();
    json!({
        "version": 1, "start": "2026-05-31T23:00:00Z", "end": "2026-06-30T23:00:00Z", "sweep_every_minutes": 5,
        "account": {"id": "acc", "name": "Casa Azul"},
        "users": [{"id": "ed", "role": "editor"}, {"id": "ap", "role": "approver"}],
        "properties": [{"id": "lisboa", "name": "Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
                        "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s3cret",
                        "quiet_hours": {"start": "21:00", "end": "08:00"}}],
        "chatbots": [{"id": "bot", "property_ids": ["lisboa"], "languages": ["en", "pt"],
                      "whatsapp": {"phone_number_id": "1098765"}, "sms": {"sender": "+15550001111"}}],
        "campaigns": [
            campaign("pre-3d", approve,
                json!({"type": "schedule", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [10]}),
                json!({"status": "confirmed", "anchor": "check_in", "send_offset_days": -3}), json!({})),
            campaign("after", approve,
                json!({"type": "relative", "anchor": "check_out", "offset_days": 0, "offset_minutes": 0, "at": "21:30"}),
                json!({}), json!({"quiet_hours": "respect"})),
            campaign("arrival-day", approve,
                json!({"type": "relative", "anchor": "check_in", "offset_days": 0, "offset_minutes": 0, "at": "09:00"}),
                json!({"statuses": ["confirmed"]}),
                json!({"message_conditions": [{"type": "check_in_form_submitted", "value": false}]})),
        ],
        "events": events,
    })
}

type Send = (String, String, String, String, String, String);

#[tokio::test]
async fn a_set_preview_sends_what_the_simulation_sends() {
    // What relais simulate sends with the campaigns active from the start of June.
    let simulated = simulate(&scenario(true), &SimulateOptions::default()).await.unwrap();
    let field = |line: &Value, key: &str| line[key].as_str().unwrap_or_default().to_string();
    let simulated_sends: BTreeSet<Send> = simulated
        .lines
        .iter()
        .filter(|l| l["kind"] == "sent")
        .map(|l| {
            (
                field(l, "campaign"),
                field(l, "reservation"),
                field(l, "at"),
                field(l, "channel"),
                field(l, "language"),
                field(l, "body"),
            )
        })
        .collect();
    assert!(simulated_sends.len() > 40, "the scenario sends plenty: {}", simulated_sends.len());

    // The same bookings stored, the campaigns never approved; the preview runs them for June.
    let doc = scenario(false);
    let (parsed, _) = parse_scenario(&doc).unwrap();
    let clock = Arc::new(VirtualClock::new(parsed.start));
    let rt = LocalRuntime::new(LocalParts::in_memory(clock.clone()));
    let mut bodies = setup(&rt.app, &parsed, &mut Default::default()).await.unwrap();
    for event in &parsed.events {
        clock.set(event.at);
        apply_event(&rt.app, &parsed, &mut bodies, event).await.unwrap();
        rt.drain().await.unwrap();
    }
    assert!(rt.outbox.records().is_empty(), "nothing is active: nothing sent");
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let request = PreviewRequest {
        from: "2026-06-01".parse().unwrap(),
        to: "2026-06-30".parse().unwrap(),
        campaign_ids: vec!["pre-3d".into(), "after".into(), "arrival-day".into()],
        drafts: Vec::new(),
        max_per_guest_per_day: 1,
    };
    let preview = preview_set(&rt.app, &editor, &request).await.unwrap();
    assert!(!preview.truncated);
    let instant = |at: chrono::DateTime<chrono::Utc>| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let previewed_sends: BTreeSet<Send> = preview
        .messages
        .iter()
        .filter(|m| m.state == MessageState::Sent)
        .map(|m| {
            (
                m.campaign.clone(),
                m.reservation_id.clone(),
                instant(m.due_at),
                m.channel.unwrap().as_str().to_string(),
                m.language.clone().unwrap(),
                m.body.clone().unwrap(),
            )
        })
        .collect();
    let only_simulated: Vec<&Send> = simulated_sends.difference(&previewed_sends).collect();
    let only_previewed: Vec<&Send> = previewed_sends.difference(&simulated_sends).collect();
    assert!(
        only_simulated.is_empty() && only_previewed.is_empty(),
        "simulated only: {only_simulated:#?}\npreviewed only: {only_previewed:#?}"
    );
    // Quiet hours moved the evening messages to 08:00 (07:00 UTC) the next morning.
    assert!(previewed_sends.iter().any(|s| s.0 == "after" && s.2.ends_with("T07:00:00Z")), "{previewed_sends:?}");

    // What is not sent ends the same way: held then expired, skipped, canceled.
    let finals: Vec<(String, String, String)> = simulated
        .lines
        .iter()
        .filter(|l| l["kind"] == "final")
        .map(|l| (field(l, "campaign"), field(l, "reservation"), field(l, "state")))
        .collect();
    let mut compared = 0;
    for m in preview.messages.iter().filter(|m| m.state != MessageState::Sent) {
        let same: Vec<&(String, String, String)> =
            finals.iter().filter(|f| f.0 == m.campaign && f.1 == m.reservation_id).collect();
        assert_eq!(same.len(), 1, "{m:?}: {same:?}");
        assert_eq!(same[0].2, m.state.as_str(), "{m:?}");
        compared += 1;
    }
    assert!(compared >= 5, "held, expired and canceled messages are compared: {compared}");
    // Fatigue lists a guest and local day only with more than one send (the maximum is 1).
    for f in &preview.fatigue {
        let sends = previewed_sends.iter().filter(|s| s.1 == f.reservation_id).count();
        assert!(f.count > 1 && sends as u64 >= f.count, "{f:?}");
    }
}
