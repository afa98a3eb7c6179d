//! Nothing crosses accounts: for every route that takes an id, another account's id answers
//! 404 and no data; lists show only the caller's account.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::{Value, json};

fn assert_no_leak(r: &Resp, secret_words: &[&str]) {
    for word in secret_words {
        assert!(!r.text.contains(word), "response leaks {word}: {}", r.text);
    }
}

#[tokio::test]
async fn another_accounts_ids_answer_404_on_every_route() {
    let h = Harness::new().await;
    // acc-1 owns a campaign, a reservation with messages, notifications.
    let id = h.active_campaign(checkin_campaign("p-lis", "bot-1")).await;
    h.webhook(
        "p-lis",
        LIS_SECRET,
        &reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-01", "2026-06-03", false),
    )
    .await;
    h.webhook(
        "p-lis",
        LIS_SECRET,
        &reservation_event("e2", "p-lis", "r-1", "checked_in", "2026-06-01", "2026-06-03", false),
    )
    .await;
    let own = h.get("/reservations/r-1/messages", "u-ed").await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.json["messages"].as_array().unwrap().len(), 1);
    let notification =
        h.get("/notifications", "u-ed").await.json["notifications"][0]["id"].as_str().unwrap().to_string();

    let before = h.get(&format!("/campaigns/{id}"), "u-ed").await.json;
    let leaks = ["Welcome in", "Ana", "Property p-lis", "Bot bot-1", "ed@example.com", LIS_SECRET];
    let campaign = format!("/campaigns/{id}");
    let checks: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, campaign.clone(), None),
        (Method::PUT, campaign.clone(), Some(checkin_campaign("p2", "bot-2"))),
        (Method::DELETE, campaign.clone(), None),
        (Method::POST, format!("{campaign}/submit"), None),
        (Method::POST, format!("{campaign}/approve"), None),
        (Method::POST, format!("{campaign}/reject"), Some(json!({"reason": "mine now"}))),
        (Method::POST, format!("{campaign}/pause"), None),
        (Method::POST, format!("{campaign}/resume"), None),
        (Method::POST, format!("{campaign}/archive"), None),
        (Method::POST, format!("{campaign}/preview"), Some(json!({"days": 7}))),
        (Method::GET, "/reservations/r-1/messages".into(), None),
        (Method::GET, "/reservations/r-1/messages?property_id=p-lis".into(), None),
        (Method::PATCH, "/reservations/r-1/custom-fields".into(), Some(json!({"vip": true}))),
        (Method::POST, format!("/notifications/{notification}/read"), None),
        (Method::GET, "/properties/p-lis".into(), None),
        (Method::PUT, "/properties/p-lis".into(), Some(json!({"name": "Taken"}))),
        (Method::POST, "/properties/p-lis/webhook-secret".into(), None),
        (Method::GET, "/chatbots/bot-1".into(), None),
        (Method::PUT, "/chatbots/bot-1".into(), Some(json!({"name": "Taken"}))),
        (Method::GET, "/users/u-ed".into(), None),
        (Method::PUT, "/users/u-ed".into(), Some(json!({"role": "admin"}))),
        (Method::POST, "/imports/csv/p-csv".into(), Some(json!({"csv": "a,b\n"}))),
    ];
    for (method, uri, body) in checks {
        // The other account's admin (every role check passes) and editor.
        for user in ["u2-admin", "u2-ed"] {
            let r = h.call(method.clone(), &uri, Some(user), body.clone()).await;
            let admin_only =
                uri.starts_with("/properties") || uri.starts_with("/chatbots") || uri.starts_with("/users");
            let approver_only = uri.ends_with("/approve") || uri.ends_with("/reject");
            let expected = if user == "u2-ed" && (admin_only || approver_only) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::NOT_FOUND
            };
            assert_eq!(r.status, expected, "{user} {method} {uri}: {}", r.text);
            assert_no_leak(&r, &leaks);
        }
    }
    // Nothing changed on acc-1's side.
    let c = h.get(&campaign, "u-ed").await;
    assert_eq!(c.json["status"], "active");
    assert_eq!(c.json, before);
    assert_eq!(h.get("/properties/p-lis", "u-admin").await.json["name"], "Property p-lis");
    assert_eq!(h.get("/users/u-ed", "u-admin").await.json["role"], "editor");

    // Lists are the caller's account only.
    for (uri, key) in
        [("/campaigns", "campaigns"), ("/properties", "properties"), ("/chatbots", "chatbots"), ("/users", "users")]
    {
        let r = h.get(uri, "u2-admin").await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        for item in r.json[key].as_array().unwrap() {
            let account = item["account_id"].as_str().unwrap();
            assert_eq!(account, "acc-2", "{uri}: {item}");
        }
        assert_no_leak(&r, &leaks);
    }
    let r = h.get("/notifications", "u2-admin").await;
    assert_eq!(r.json["notifications"].as_array().unwrap().len(), 0);
    let r = h.get("/campaign-options", "u2-ed").await;
    assert_no_leak(&r, &leaks);
    // The other account cannot use acc-1's property or chatbot in a campaign either.
    let r = h.post("/campaigns", "u2-ed", checkin_campaign("p-lis", "bot-1")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_no_leak(&r, &["Property p-lis", "Bot bot-1"]);
    // References to another account's property inside set-up bodies: 422, no data.
    let r = h.post("/chatbots", "u2-admin", json!({"property_ids": ["p-lis"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(), Some("property_ids[0]"));
    let r = h.post("/users", "u2-admin", json!({"role": "viewer", "chatbot_ids": ["bot-1"]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_user_limited_to_some_properties_does_not_see_the_others() {
    let h = Harness::new().await;
    let id = h.active_campaign(checkin_campaign("p-lis", "bot-1")).await;
    h.webhook(
        "p-lis",
        LIS_SECRET,
        &reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-01", "2026-06-03", false),
    )
    .await;
    // u-ed-csv may see p-csv only.
    assert_eq!(h.get(&format!("/campaigns/{id}"), "u-ed-csv").await.status, StatusCode::NOT_FOUND);
    assert_eq!(h.get("/campaigns", "u-ed-csv").await.json["campaigns"].as_array().unwrap().len(), 0);
    assert_eq!(h.get("/reservations/r-1/messages", "u-ed-csv").await.status, StatusCode::NOT_FOUND);
}
