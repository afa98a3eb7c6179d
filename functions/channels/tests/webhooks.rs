//! WhatsApp webhooks: signature, verification challenge, and the real payload shapes, plus the
//! status ordering rule applied to duplicate and out-of-order deliveries.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::fixture;
use relais_channels::whatsapp_webhook::sign;
use relais_channels::{
    ErrorClass, WhatsAppStatus, WhatsAppWebhookEvent, classify_whatsapp_error, parse_webhook, should_apply,
    verification_challenge, verify_signature, whatsapp_state,
};
use relais_domain::MessageState;
use std::collections::BTreeMap;

const SECRET: &str = "meta-app-secret";

#[test]
fn signature_valid_tampered_wrong_secret() {
    let body = fixture("whatsapp_status_sent.json");
    let header = sign(SECRET, &body);
    assert!(header.starts_with("sha256=") && header.len() == 7 + 64);
    assert!(verify_signature(SECRET, &body, Some(&header)));
    let mut tampered = body.clone();
    if let Some(pos) = tampered.windows(4).position(|w| w == b"sent") {
        tampered[pos] = b'S';
    }
    assert!(!verify_signature(SECRET, &tampered, Some(&header)), "tampered body");
    assert!(!verify_signature("another-secret", &body, Some(&header)), "wrong secret");
    assert!(!verify_signature(SECRET, &body, None), "missing header");
    assert!(!verify_signature(SECRET, &body, Some("sha1=abcdef")), "other scheme");
}

#[test]
fn known_hmac_sha256_vector() {
    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    let header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    assert!(verify_signature("Jefe", b"what do ya want for nothing?", Some(header)));
}

#[test]
fn verification_challenge_echoes_only_with_the_right_token() {
    let q: BTreeMap<String, String> =
        [("hub.mode", "subscribe"), ("hub.challenge", "1158201444"), ("hub.verify_token", "my-verify-token")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    assert_eq!(verification_challenge(&q, "my-verify-token").as_deref(), Some("1158201444"));
    assert_eq!(verification_challenge(&q, "wrong"), None);
    let mut no_challenge = q.clone();
    no_challenge.remove("hub.challenge");
    assert_eq!(verification_challenge(&no_challenge, "my-verify-token"), None);
}

#[test]
fn status_sent() {
    let events = parse_webhook(&fixture("whatsapp_status_sent.json")).unwrap_or_default();
    assert_eq!(
        events,
        vec![WhatsAppWebhookEvent::Status {
            phone_number_id: Some("1098765".into()),
            provider_message_id: "wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI00000001".into(),
            status: WhatsAppStatus::Sent,
            timestamp: Some(1_750_263_773),
            recipient: "351912345678".into(),
            error_code: None,
            error_title: None,
            send_key: Some("msg-1:whatsapp".into()),
        }]
    );
}

#[test]
fn failed_status_carries_the_error_code() {
    let events = parse_webhook(&fixture("whatsapp_status_failed_131026.json")).unwrap_or_default();
    let [WhatsAppWebhookEvent::Status { status, error_code, error_title, recipient, .. }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(status, &WhatsAppStatus::Failed);
    assert_eq!(error_code.as_deref(), Some("131026"));
    assert_eq!(error_title.as_deref(), Some("Message undeliverable"));
    assert_eq!(recipient, "15550002222");
    let code = error_code.as_deref().and_then(|c| c.parse().ok());
    assert_eq!(classify_whatsapp_error(code, 0), ErrorClass::Permanent);

    let events = parse_webhook(&fixture("whatsapp_status_failed_131050.json")).unwrap_or_default();
    let [WhatsAppWebhookEvent::Status { error_code, .. }] = events.as_slice() else { panic!("{events:?}") };
    let code = error_code.as_deref().and_then(|c| c.parse().ok());
    assert_eq!(classify_whatsapp_error(code, 0), ErrorClass::OptedOut);
}

#[test]
fn out_of_order_and_repeated_statuses_never_move_backwards() {
    // One POST with read, delivered (in that order), then a late sent in a second entry.
    let events = parse_webhook(&fixture("whatsapp_status_batch_out_of_order.json")).unwrap_or_default();
    assert_eq!(events.len(), 3);
    let mut state = MessageState::Sent;
    let mut changes = 0;
    for e in events.iter().chain(events.iter()) {
        let WhatsAppWebhookEvent::Status { status, .. } = e else { panic!("{e:?}") };
        let Some(incoming) = whatsapp_state(status) else { continue };
        if should_apply(state, incoming) {
            state = incoming;
            changes += 1;
        }
    }
    assert_eq!(state, MessageState::Read);
    assert_eq!(changes, 1, "read applied once; delivered, sent and the replayed batch change nothing");
    // A failed arriving after read is ignored: no fallback for a message the guest read.
    assert!(!should_apply(state, MessageState::Failed));
}

#[test]
fn inbound_messages() {
    let events = parse_webhook(&fixture("whatsapp_inbound_text.json")).unwrap_or_default();
    assert!(matches!(events.as_slice(), [WhatsAppWebhookEvent::Inbound { from, text: Some(t), .. }]
        if from == "351912345678" && t == "Can I check in early?"));
    let events = parse_webhook(&fixture("whatsapp_inbound_button.json")).unwrap_or_default();
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[0], WhatsAppWebhookEvent::Inbound { text: Some(t), button_payload: Some(p), .. }
        if t == "Check-in online" && p == "Check-in online"));
    assert!(matches!(&events[1], WhatsAppWebhookEvent::Inbound { text: None, .. }), "media: no text");
}

#[test]
fn template_status_updates() {
    let events = parse_webhook(&fixture("whatsapp_template_approved.json")).unwrap_or_default();
    assert_eq!(
        events,
        vec![WhatsAppWebhookEvent::TemplateStatus {
            waba_id: "102290129340398".into(),
            template_id: Some("594425479261596".into()),
            template_name: "relais_pre_3d_3e1b6a7f_pt".into(),
            language: "pt_PT".into(),
            event: "APPROVED".into(),
            reason: None,
        }]
    );
    let events = parse_webhook(&fixture("whatsapp_template_rejected.json")).unwrap_or_default();
    assert!(matches!(events.as_slice(), [WhatsAppWebhookEvent::TemplateStatus { event, reason: Some(r), .. }]
        if event == "REJECTED" && r == "INVALID_FORMAT"));
}

#[test]
fn user_preferences_stop() {
    let events = parse_webhook(&fixture("whatsapp_user_preferences_stop.json")).unwrap_or_default();
    assert_eq!(
        events,
        vec![WhatsAppWebhookEvent::UserPreference {
            phone_number_id: Some("1098765".into()),
            wa_id: "351912345678".into(),
            category: "marketing_messages".into(),
            opted_out: true,
            timestamp: Some(1_750_266_000),
        }]
    );
}

#[test]
fn malformed_bodies_are_errors_not_panics() {
    for body in [
        &b""[..],
        b"null",
        b"[]",
        b"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":\"messages\",\"value\":{\"statuses\":[{\"status\":\"sent\"}]}}]}]}",
        b"{\"object\":\"whatsapp_business_account\",\"entry\":[{\"changes\":[{\"field\":\"messages\",\"value\":{\"statuses\":7}}]}]}",
        b"{\"object\":\"whatsapp_business_account\",\"entry\":\"x\"}",
    ] {
        assert!(parse_webhook(body).is_err(), "{}", String::from_utf8_lossy(body));
    }
    // Unknown fields are skipped.
    let ok = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"account_update","value":{"x":1}}]}]}"#;
    assert_eq!(parse_webhook(ok), Ok(vec![]));
}
