//! `PATCH /reservations/{id}/custom-fields`: operator yes/no fields, kept apart from the PMS's,
//! on the timeline, re-checking pending messages at once.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

fn vip_checkin_campaign() -> serde_json::Value {
    let mut body = checkin_campaign("p-lis", "bot-1");
    body["message_conditions"] = json!([{"type": "custom_field", "key": "vip", "value": true}]);
    body
}

#[tokio::test]
async fn operators_set_custom_fields_that_win_over_the_pms_and_release_pending_messages() {
    let h = Harness::new().await;
    h.active_campaign(vip_checkin_campaign()).await;
    let mut event = reservation_event("e1", "p-lis", "r-1", "checked_in", "2026-06-01", "2026-06-03", false);
    event["reservation"]["custom_fields"] = json!({"vip": false});
    assert_eq!(h.webhook("p-lis", LIS_SECRET, &event).await.status, StatusCode::OK);
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await.json;
    assert_eq!(timeline["messages"][0]["state"], "pending", "{timeline}");

    let patch = |user: &'static str, body: serde_json::Value| {
        h.call(Method::PATCH, "/reservations/r-1/custom-fields", Some(user), Some(body))
    };
    let r = patch("u-ed", json!({"vip": true})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["custom_fields"], json!({"vip": true}));
    assert_eq!(r.json["operator_custom_fields"], json!({"vip": true}));
    // The PMS's own value stays readable next to the operator's (the console shows both).
    assert_eq!(r.json["pms_custom_fields"], json!({"vip": false}));
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await.json;
    assert_eq!(timeline["messages"][0]["state"], "sent", "re-checked at once: {timeline}");
    assert_eq!(timeline["events"][0]["kind"], "custom_field");
    assert_eq!(timeline["events"][0]["by"], "u-ed");
    assert_eq!(timeline["events"][0]["key"], "vip");
    assert_eq!(timeline["events"][0]["value"], true);

    // A later PMS update keeps the operator's value apart.
    let mut update = reservation_event("e2", "p-lis", "r-1", "checked_in", "2026-06-01", "2026-06-04", false);
    update["reservation"]["custom_fields"] = json!({"vip": false, "pool": true});
    update["reservation"]["updated_at"] = json!("2026-06-01T10:00:00Z");
    assert_eq!(h.webhook("p-lis", LIS_SECRET, &update).await.status, StatusCode::OK);
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await.json;
    assert_eq!(timeline["custom_fields"], json!({"pool": true, "vip": true}));
    assert_eq!(timeline["pms_custom_fields"], json!({"pool": true, "vip": false}));
    assert_eq!(timeline["operator_custom_fields"], json!({"vip": true}));
    // The same value again records nothing; null gives the PMS's value back.
    patch("u-ed", json!({"vip": true})).await;
    assert_eq!(h.get("/reservations/r-1/messages", "u-ed").await.json["events"].as_array().unwrap().len(), 1);
    let r = patch("u-ap", json!({"vip": null})).await;
    assert_eq!(r.json["custom_fields"], json!({"pool": true, "vip": false}));
}

#[tokio::test]
async fn custom_field_changes_need_an_editor_and_a_valid_body() {
    let h = Harness::new().await;
    let event = reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-10", "2026-06-13", false);
    assert_eq!(h.webhook("p-lis", LIS_SECRET, &event).await.status, StatusCode::OK);
    let uri = "/reservations/r-1/custom-fields";
    let r = h.call(Method::PATCH, uri, Some("u-view"), Some(json!({"vip": true}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    for (body, field) in [
        (json!({"vip": "yes"}), "vip"),
        (json!({"vip": 1}), "vip"),
        (json!({"has space": true}), "has space"),
        (json!({}), ""),
        (json!([true]), ""),
    ] {
        let r = h.call(Method::PATCH, uri, Some("u-ed"), Some(body.clone())).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["field"].as_str().unwrap_or_default(), field, "{body}");
    }
    let r = h.call(Method::PATCH, "/reservations/r-404/custom-fields", Some("u-ed"), Some(json!({"vip": true}))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nothing stored by the refusals.
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await.json;
    assert_eq!(timeline["operator_custom_fields"], json!({}));
    assert_eq!(timeline["events"], json!([]));
}
