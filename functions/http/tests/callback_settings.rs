//! SPEC 5.1 callback settings: each one applies on its own, whatever else is set, and unsigned
//! callbacks are taken only on the local runner from a provider with no setting at all.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use relais_http::{CallbackHost, CallbackSettings};

const VERIFY: &str = "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=vt123&hub.challenge=98765";
const SID: &str = "AC00000000000000000000000000000000";

fn settings(pairs: &[(&str, &str)], host: CallbackHost) -> CallbackSettings {
    let map: BTreeMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    CallbackSettings::from_settings(|name| map.get(name).cloned(), host)
}

/// A WhatsApp `template APPROVED` notification: forged, it would activate a campaign.
fn template_approved() -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA",
        "changes": [{"field": "message_template_status_update", "value": {"event": "APPROVED",
            "message_template_id": 1, "message_template_name": "relais_unknown", "message_template_language": "en"}}]}]}))
    .unwrap()
}

fn whatsapp_post(signature: Option<&str>, body: &[u8]) -> Request<Body> {
    let mut request = Request::builder().method(Method::POST).uri("/webhooks/whatsapp");
    if let Some(signature) = signature {
        request = request.header("X-Hub-Signature-256", signature);
    }
    request.body(Body::from(body.to_vec())).unwrap()
}

fn twilio_post(signature: Option<&str>) -> Request<Body> {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/webhooks/twilio/status")
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(signature) = signature {
        request = request.header("X-Twilio-Signature", signature);
    }
    request.body(Body::from("MessageSid=SM1&MessageStatus=delivered")).unwrap()
}

#[tokio::test]
async fn app_secret_and_verify_token_apply_without_the_whatsapp_token() {
    let h = Harness::with_callbacks(settings(
        &[("RELAIS_WHATSAPP_APP_SECRET", "app-secret"), ("RELAIS_WHATSAPP_VERIFY_TOKEN", "vt123")],
        CallbackHost::LocalRunner,
    ))
    .await;
    let r = h.call(Method::GET, VERIFY, None, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.text, "98765");
    let body = template_approved();
    assert_eq!(h.send(whatsapp_post(None, &body)).await.status, StatusCode::UNAUTHORIZED);
    let wrong = relais_channels::whatsapp_webhook::sign("not-the-secret", &body);
    assert_eq!(h.send(whatsapp_post(Some(&wrong), &body)).await.status, StatusCode::UNAUTHORIZED);
    let right = relais_channels::whatsapp_webhook::sign("app-secret", &body);
    let r = h.send(whatsapp_post(Some(&right), &body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

#[tokio::test]
async fn the_whatsapp_token_without_app_secret_refuses_callbacks() {
    let h =
        Harness::with_callbacks(settings(&[("RELAIS_WHATSAPP_TOKEN", "EAAG-token")], CallbackHost::LocalRunner)).await;
    let r = h.send(whatsapp_post(None, &template_approved())).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.code(), Some("unauthorized"));
    let message = r.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("RELAIS_WHATSAPP_APP_SECRET"), "{message}");
    // No verify token: Meta's handshake is refused too.
    assert_eq!(h.call(Method::GET, VERIFY, None, None).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn any_whatsapp_setting_ends_unsigned_callbacks() {
    for name in ["RELAIS_WHATSAPP_TOKEN", "RELAIS_WHATSAPP_APP_SECRET", "RELAIS_WHATSAPP_VERIFY_TOKEN"] {
        let s = settings(&[(name, "x")], CallbackHost::LocalRunner);
        assert!(!s.whatsapp_accepts_unsigned, "{name}");
        assert!(s.twilio_accepts_unsigned, "{name} is not a Twilio setting");
    }
    // Blank values count as unset, as for the channels.
    let s = settings(&[("RELAIS_WHATSAPP_TOKEN", "  "), ("RELAIS_WHATSAPP_APP_SECRET", "")], CallbackHost::LocalRunner);
    assert!(s.whatsapp_accepts_unsigned && s.whatsapp_app_secret.is_none());
}

#[tokio::test]
async fn twilio_auth_token_checks_signatures_and_no_setting_means_unsigned() {
    let h = Harness::with_callbacks(settings(
        &[
            ("RELAIS_TWILIO_ACCOUNT_SID", SID),
            ("RELAIS_TWILIO_AUTH_TOKEN", "twilio-token"),
            ("RELAIS_PUBLIC_URL", "https://relais.example"),
        ],
        CallbackHost::LocalRunner,
    ))
    .await;
    assert_eq!(h.send(twilio_post(None)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.send(twilio_post(Some("bad"))).await.status, StatusCode::UNAUTHORIZED);
    let form: BTreeMap<String, String> =
        [("MessageSid".to_string(), "SM1".to_string()), ("MessageStatus".to_string(), "delivered".to_string())].into();
    let signature =
        relais_channels::twilio_signature("twilio-token", "https://relais.example/webhooks/twilio/status", &form);
    let r = h.send(twilio_post(Some(&signature))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // WhatsApp has no setting here: pure outbox mode for it, unsigned taken.
    let r = h.send(whatsapp_post(None, &template_approved())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    // The SID alone is a Twilio setting too.
    assert!(!settings(&[("RELAIS_TWILIO_ACCOUNT_SID", SID)], CallbackHost::LocalRunner).twilio_accepts_unsigned);
    // Nothing set at all: the pure local outbox mode.
    let h = Harness::with_callbacks(settings(&[], CallbackHost::LocalRunner)).await;
    assert_eq!(h.send(twilio_post(None)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn aws_never_takes_unsigned_callbacks() {
    let s = settings(&[], CallbackHost::Aws);
    assert!(!s.whatsapp_accepts_unsigned && !s.twilio_accepts_unsigned);
    let s = settings(&[], CallbackHost::LocalRunner).signed_only();
    assert!(!s.whatsapp_accepts_unsigned && !s.twilio_accepts_unsigned);
    // In AWS too, the app secret applies without the token.
    let h = Harness::with_callbacks(settings(&[("RELAIS_WHATSAPP_APP_SECRET", "app-secret")], CallbackHost::Aws)).await;
    let body = template_approved();
    assert_eq!(h.send(whatsapp_post(None, &body)).await.status, StatusCode::UNAUTHORIZED);
    let right = relais_channels::whatsapp_webhook::sign("app-secret", &body);
    assert_eq!(h.send(whatsapp_post(Some(&right), &body)).await.status, StatusCode::OK);
    assert_eq!(h.send(twilio_post(None)).await.status, StatusCode::UNAUTHORIZED);
}
