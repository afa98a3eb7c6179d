//! Approving a WhatsApp campaign when the deployment cannot register templates (SPEC 2.4, 5.1):
//! WhatsApp is configured (a token) but no WhatsApp Business Account is known, neither the
//! chatbot's `waba_id` nor `RELAIS_WHATSAPP_WABA_ID`. That is a set-up problem, not Meta's
//! verdict: the approval is refused with the missing setting named, and the campaign stays
//! `pending` for an approver once the setting is there.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use relais_channels::{ChannelsConfig, default_http_client};
use relais_http::auth::Hs256;
use relais_http::{ApiState, router};
use serde_json::json;

/// The common harness, with the real WhatsApp client configured from a token only.
async fn whatsapp_without_business_account() -> Harness {
    let h = Harness::new().await;
    let config = ChannelsConfig::from_lookup(|name| match name {
        "RELAIS_WHATSAPP_TOKEN" => Some("test-token".into()),
        // Nothing listens here: the approval must not depend on reaching Meta.
        "RELAIS_WHATSAPP_API_BASE" => Some("http://127.0.0.1:9".into()),
        _ => None,
    })
    .unwrap();
    let client = config.whatsapp_client(default_http_client().unwrap()).unwrap();
    let mut app = h.runtime.app.clone();
    app.whatsapp = Arc::new(client);
    let mut state = ApiState::new(app, Arc::new(Hs256::new(JWT_SECRET)));
    state.callbacks = h.state.callbacks.clone();
    Harness { router: router(state.clone()), state, ..h }
}

#[tokio::test]
async fn approval_without_a_business_account_is_refused_and_the_campaign_stays_pending() {
    let h = whatsapp_without_business_account().await;
    let created = h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    let submitted = h.post(&format!("/campaigns/{id}/submit"), "u-ed", json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);

    let approved = h.post(&format!("/campaigns/{id}/approve"), "u-ap", json!({})).await;
    assert_eq!(approved.status, StatusCode::CONFLICT, "{}", approved.text);
    let message = approved.json["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("RELAIS_WHATSAPP_WABA_ID") && message.contains("waba_id"), "{message}");
    assert!(!message.contains("rejected"), "Meta rejected nothing: {message}");

    let got = h.get(&format!("/campaigns/{id}"), "u-ap").await;
    assert_eq!(got.json["status"], "pending", "{}", got.text);
    assert_ne!(got.json["awaiting_meta"], true, "{}", got.text);
    assert!(got.json["rejection_reason"].is_null(), "{}", got.text);
    let notes = h.get("/notifications", "u-ed").await;
    let kinds: Vec<&str> =
        notes.json["notifications"].as_array().unwrap().iter().filter_map(|n| n["kind"].as_str()).collect();
    assert!(!kinds.contains(&"campaign_rejected") && !kinds.contains(&"campaign_approved"), "{kinds:?}");
}
