//! `GET /stats` and `POST /preview` (docs/statistics.md): the counts an operator reads equal the
//! messages one by one; the set preview runs stored campaigns and drafts together, stores and
//! sends nothing, and warns of guests who would get too many messages on one day.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::*;
use relais_app::engine::{StatusUpdate, apply_status};
use relais_domain::MessageState;
use serde_json::{Value, json};

/// Three bookings for the "3 days before check-in at 10:00" campaign: r-1 and r-2 come due on
/// 2 and 3 June, r-3 (check-in form already submitted) on 7 June.
async fn three_bookings(h: &Harness) {
    for (event, id, check_in, check_out, form) in [
        ("e1", "r-1", "2026-06-05", "2026-06-07", false),
        ("e2", "r-2", "2026-06-06", "2026-06-08", false),
        ("e3", "r-3", "2026-06-10", "2026-06-12", true),
    ] {
        let body = reservation_event(event, "p-lis", id, "confirmed", check_in, check_out, form);
        assert_eq!(h.webhook("p-lis", LIS_SECRET, &body).await.status, StatusCode::OK);
    }
}

async fn sweep_at(h: &Harness, at: &str) {
    h.clock.set(at.parse().unwrap());
    h.runtime.sweep().await.unwrap();
    h.runtime.drain().await.unwrap();
}

async fn status(h: &Harness, provider_message_id: &str, status: MessageState) {
    let update = StatusUpdate {
        provider_message_id: provider_message_id.into(),
        status,
        error_code: (status == MessageState::Failed).then(|| "131026".to_string()),
        opted_out: false,
        send_key: None,
    };
    apply_status(&h.runtime.app, &update).await.unwrap();
    h.runtime.drain().await.unwrap();
}

/// The counts of `GET /stats`, recomputed from the reservations' timelines one message at a time.
async fn counted_from_timelines(h: &Harness, ids: &[&str]) -> (u64, u64, u64, u64, u64) {
    let (mut sent, mut delivered, mut read, mut scheduled, mut fallback) = (0, 0, 0, 0, 0);
    for id in ids {
        let timeline = h.get(&format!("/reservations/{id}/messages"), "u-ed").await.json;
        for m in timeline["messages"].as_array().unwrap() {
            match m["state"].as_str().unwrap() {
                "sent" => sent += 1,
                "delivered" => delivered += 1,
                "read" => read += 1,
                "scheduled" => scheduled += 1,
                _ => {}
            }
            let channels: Vec<&str> =
                m["attempts"].as_array().unwrap().iter().map(|a| a["channel"].as_str().unwrap()).collect();
            if channels.len() > 1 && channels[0] != channels[channels.len() - 1] {
                fallback += 1;
            }
        }
    }
    (sent, delivered, read, scheduled, fallback)
}

#[tokio::test]
async fn stats_count_each_campaigns_messages_by_local_due_date_and_state() {
    let h = Harness::new().await;
    let campaign = h.active_campaign(campaign_body("p-lis", "bot-1")).await;
    three_bookings(&h).await;
    // The calendar before anything is due: three messages scheduled, on their local dates.
    let calendar = h.get("/stats?from=2026-06-01&to=2026-06-30", "u-view").await;
    assert_eq!(calendar.status, StatusCode::OK, "{}", calendar.text);
    assert_eq!(calendar.json["totals"]["messages"], 3);
    assert_eq!(calendar.json["totals"]["scheduled"], 3);
    assert_eq!(calendar.json["totals"]["delivery_rate"], Value::Null, "nothing sent yet: no rate");
    let days: Vec<&str> =
        calendar.json["campaigns"][0]["days"].as_array().unwrap().iter().map(|d| d["date"].as_str().unwrap()).collect();
    assert_eq!(days, ["2026-06-02", "2026-06-03", "2026-06-07"]);
    assert_eq!(calendar.json["campaigns"][0]["campaign_id"], campaign.as_str());
    assert_eq!(calendar.json["campaigns"][0]["name"], "Welcome, 3 days out");

    // r-1 and r-2 go out on WhatsApp; r-1 is delivered then read, r-2 fails and falls back to SMS.
    sweep_at(&h, "2026-06-03T09:30:00Z").await;
    let sent = h.runtime.outbox.records();
    assert_eq!(sent.len(), 2, "{sent:?}");
    status(&h, &sent[0].provider_message_id, MessageState::Delivered).await;
    status(&h, &sent[0].provider_message_id, MessageState::Read).await;
    status(&h, &sent[1].provider_message_id, MessageState::Failed).await;
    let sms = h.runtime.outbox.records();
    assert_eq!(sms.len(), 3, "the SMS fallback went out: {sms:?}");
    status(&h, &sms[2].provider_message_id, MessageState::Delivered).await;

    let stats = h.get("/stats?from=2026-06-01&to=2026-06-30", "u-ed").await.json;
    let totals = &stats["totals"];
    assert_eq!(
        (totals["messages"].as_u64(), totals["read"].as_u64(), totals["delivered"].as_u64()),
        (Some(3), Some(1), Some(1)),
        "{stats}"
    );
    assert_eq!(totals["scheduled"], 1);
    assert_eq!(totals["fallback_sent"], 1);
    let segments = relais_domain::sms::segments(&sms[2].request.body).segments as u64;
    assert_eq!(totals["sms_segments"], segments, "the fallback SMS's segments");
    // (1 delivered + 1 read) / (0 + 1 + 1 + 0) and 1 read / (1 + 1).
    assert_eq!(totals["delivery_rate"], 1.0);
    assert_eq!(totals["read_rate"], 0.5);
    let (sent_n, delivered, read, scheduled, fallback) = counted_from_timelines(&h, &["r-1", "r-2", "r-3"]).await;
    assert_eq!(totals["sent"].as_u64(), Some(sent_n));
    assert_eq!(totals["delivered"].as_u64(), Some(delivered));
    assert_eq!(totals["read"].as_u64(), Some(read));
    assert_eq!(totals["scheduled"].as_u64(), Some(scheduled));
    assert_eq!(totals["fallback_sent"].as_u64(), Some(fallback));
    // Per day: 2 June holds r-1's message, now read.
    let june2 = &stats["campaigns"][0]["days"][0];
    assert_eq!(
        (june2["date"].as_str(), june2["read"].as_u64(), june2["messages"].as_u64()),
        (Some("2026-06-02"), Some(1), Some(1))
    );

    // Narrower ranges and filters.
    let one_day = h.get("/stats?from=2026-06-07&to=2026-06-07", "u-ed").await.json;
    assert_eq!(one_day["totals"]["messages"], 1);
    let by_campaign = h.get(&format!("/stats?from=2026-06-01&to=2026-06-30&campaign_id={campaign}"), "u-ed").await;
    assert_eq!(by_campaign.json["totals"], stats["totals"]);
    let other_property = h.get("/stats?from=2026-06-01&to=2026-06-30&property_id=p-sched", "u-ed").await.json;
    assert_eq!(other_property["totals"]["messages"], 0);
    assert_eq!(other_property["campaigns"], json!([]));
}

#[tokio::test]
async fn stats_show_only_what_the_user_may_see_and_name_a_bad_parameter() {
    let h = Harness::new().await;
    let campaign = h.active_campaign(campaign_body("p-lis", "bot-1")).await;
    three_bookings(&h).await;
    // u-ed-csv may see only p-csv; another account sees nothing of acc-1.
    let restricted = h.get("/stats?from=2026-06-01&to=2026-06-30", "u-ed-csv").await.json;
    assert_eq!(restricted["totals"]["messages"], 0, "{restricted}");
    let r = h.get(&format!("/stats?from=2026-06-01&to=2026-06-30&campaign_id={campaign}"), "u2-ed").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h.get("/stats?from=2026-06-01&to=2026-06-30&property_id=p-lis", "u2-ed").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    for (query, field) in [
        ("to=2026-06-30", "from"),
        ("from=2026-06-01", "to"),
        ("from=2026-13-01&to=2026-06-30", "from"),
        ("from=2026-06-30&to=2026-06-01", "to"),
        ("from=2026-01-01&to=2027-01-03", "to"),
        ("from=2026-06-01&to=2026-06-30&campaign=x", "campaign"),
    ] {
        let r = h.get(&format!("/stats?{query}"), "u-ed").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", r.text);
        assert_eq!(r.field(), Some(field), "{query}: {}", r.text);
    }
    assert_eq!(h.get("/stats?from=2026-01-01&to=2027-01-02", "u-ed").await.status, StatusCode::OK, "366 days");
}

/// A second campaign on the same day as the first: "1 day before check-in at 10:00".
fn day_before(property: &str) -> Value {
    let mut body = campaign_body(property, "bot-1");
    body["name"] = json!("The day before");
    body["target"]["send_offset_days"] = json!(-1);
    body["message_conditions"] = json!([]);
    body
}

#[tokio::test]
async fn a_set_preview_runs_stored_campaigns_and_drafts_and_warns_of_fatigue() {
    let h = Harness::new().await;
    // Stored, never approved: the preview runs it as if active.
    let created = h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let stored = created.json["id"].as_str().unwrap().to_string();
    // r-1 checks in on 5 June (3 days before: 2 June), r-4 on 3 June (1 day before: 2 June).
    three_bookings(&h).await;
    let r4 = reservation_event("e4", "p-lis", "r-4", "confirmed", "2026-06-03", "2026-06-05", false);
    assert_eq!(h.webhook("p-lis", LIS_SECRET, &r4).await.status, StatusCode::OK);
    let campaigns_before = h.get("/campaigns", "u-ed").await.json;

    let request = json!({"from": "2026-06-01", "to": "2026-06-30", "campaign_ids": [stored],
                         "drafts": [day_before("p-lis")], "max_per_guest_per_day": 1});
    let r = h.post("/preview", "u-ed", request.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let preview = &r.json;
    let sent: Vec<(String, String, String)> = preview["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["state"] == "sent")
        .map(|m| {
            (
                m["campaign"].as_str().unwrap().into(),
                m["reservation_id"].as_str().unwrap().into(),
                m["due_at"].as_str().unwrap().into(),
            )
        })
        .collect();
    let stored_sends: Vec<(&str, &str)> =
        sent.iter().filter(|s| s.0 == stored).map(|s| (s.1.as_str(), s.2.as_str())).collect();
    // r-4's "3 days before" fell on 31 May, before the range.
    assert_eq!(stored_sends, [("r-1", "2026-06-02T09:00:00Z"), ("r-2", "2026-06-03T09:00:00Z")], "{preview}");
    // r-3 submitted its check-in form: the stored campaign holds it, then it expires in the range.
    let r3 = preview["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["campaign"] == stored.as_str() && m["reservation_id"] == "r-3")
        .unwrap();
    assert_eq!(r3["state"], "expired", "{r3}");
    assert_eq!(r3["held_for"], "conditions_not_met:check_in_form_submitted", "{r3}");
    // The draft sends the day before each check-in; its body is rendered.
    let draft_sends: Vec<&(String, String, String)> = sent.iter().filter(|s| s.0 == "draft-0").collect();
    assert_eq!(draft_sends.len(), 4, "{preview}");
    let draft_message = preview["messages"].as_array().unwrap().iter().find(|m| m["campaign"] == "draft-0").unwrap();
    assert_eq!(draft_message["channel"], "whatsapp");
    assert_eq!(draft_message["language"], "pt");
    assert_eq!(draft_message["body"], "Olá Ana!");

    // 2 June: r-1's "3 days before" and r-4's "day before", two guests, one message each.
    let per_day = preview["per_day"].as_array().unwrap();
    let on = |date: &str, campaign: &str| {
        per_day.iter().find(|d| d["date"] == date && d["campaign"] == campaign).map(|d| d["count"].as_u64().unwrap())
    };
    assert_eq!(on("2026-06-02", &stored), Some(1));
    assert_eq!(on("2026-06-02", "draft-0"), Some(1), "r-4 the day before 3 June: {per_day:?}");
    assert_eq!(preview["fatigue"], json!([]), "no guest gets two messages on one day: {preview}");

    // A second draft identical to the stored campaign: every guest gets both on the same day.
    let twice = json!({"from": "2026-06-01", "to": "2026-06-30", "campaign_ids": [stored],
                       "drafts": [campaign_body("p-lis", "bot-1")]});
    let r = h.post("/preview", "u-ed", twice).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let fatigue = r.json["fatigue"].as_array().unwrap();
    let guests: Vec<(&str, &str)> =
        fatigue.iter().map(|f| (f["reservation_id"].as_str().unwrap(), f["date"].as_str().unwrap())).collect();
    assert_eq!(guests, [("r-1", "2026-06-02"), ("r-2", "2026-06-03")], "{}", r.text);
    assert_eq!(fatigue[0]["count"], 2);
    assert_eq!(fatigue[0]["campaigns"], json!([stored, "draft-0"]));
    assert_eq!(r.json["campaigns"][1]["totals"]["sent"], 2, "{}", r.text);

    // Nothing stored, nothing sent.
    assert!(h.runtime.outbox.records().is_empty());
    assert_eq!(h.get("/campaigns", "u-ed").await.json, campaigns_before);
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await.json;
    assert_eq!(timeline["messages"], json!([]), "a campaign never approved has no messages");
}

#[tokio::test]
async fn a_set_preview_names_what_is_wrong_and_is_for_editors() {
    let h = Harness::new().await;
    let created = h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await;
    let stored = created.json["id"].as_str().unwrap().to_string();
    let mut bad_draft = day_before("p-lis");
    bad_draft["name"] = json!("");
    let r = h.post("/preview", "u-ed", json!({"from": "2026-06-01", "to": "2026-06-30", "drafts": [bad_draft]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("drafts[0].name"), "{}", r.text);
    let r = h
        .post("/preview", "u-ed", json!({"from": "2026-06-01", "to": "2026-06-30", "campaign_ids": [stored, "nope"]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("campaign_ids[1]"));
    // Another account's campaign is unknown here.
    let r =
        h.post("/preview", "u2-ed", json!({"from": "2026-06-01", "to": "2026-06-30", "campaign_ids": [stored]})).await;
    assert_eq!(r.field(), Some("campaign_ids[0]"), "{}", r.text);
    let r =
        h.post("/preview", "u-ed", json!({"from": "2026-06-01", "to": "2027-06-30", "campaign_ids": [stored]})).await;
    assert_eq!(r.field(), Some("to"), "{}", r.text);
    let ids: Vec<String> = (0..11).map(|i| format!("c-{i}")).collect();
    let r = h.post("/preview", "u-ed", json!({"from": "2026-06-01", "to": "2026-06-30", "campaign_ids": ids})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, Some("too_many")), "{}", r.text);
    let r =
        h.post("/preview", "u-view", json!({"from": "2026-06-01", "to": "2026-06-30", "campaign_ids": [stored]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text);
}
