//! The Twilio client against a local fake of the Messages API, and Twilio callbacks.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine;
use common::*;
use relais_app::ports::{ChannelSender, SendOutcome, SendRequest};
use relais_channels::{
    OptAction, RateLimit, RateLimiter, TwilioClient, TwilioMessageStatus, UNANSWERED_SEND_RETRY_SECONDS, parse_form,
    parse_inbound, parse_status_callback, twilio_signature, twilio_state, verify_twilio_signature,
};
use relais_domain::{Channel, MessageState};
use std::collections::BTreeMap;
use std::sync::Arc;

fn client(base: &str) -> TwilioClient {
    TwilioClient::new(base, TWILIO_SID, TWILIO_TOKEN, http(2_000))
}

fn request(to: &str, body: &str) -> SendRequest {
    SendRequest {
        key: "msg-1:sms".into(),
        channel: Channel::Sms,
        to: to.into(),
        from: "+15550001111".into(),
        language: "en".into(),
        body: body.into(),
        template_name: None,
        parameters: vec![],
        button_payloads: Vec::new(),
        status_callback: Some("https://relais.example.com/webhooks/twilio/status".into()),
    }
}

fn rejected(o: &SendOutcome) -> Option<(&str, bool)> {
    match o {
        SendOutcome::Rejected { code, opted_out, .. } => Some((code.as_str(), *opted_out)),
        _ => None,
    }
}

fn transient(o: &SendOutcome) -> Option<(&str, Option<u32>)> {
    match o {
        SendOutcome::Transient { code, retry_after_seconds, .. } => Some((code.as_str(), *retry_after_seconds)),
        _ => None,
    }
}

#[tokio::test]
async fn send_is_form_encoded_with_basic_auth_and_accepted() {
    let (base, tw) = fake_twilio().await;
    let o = client(&base).send(&request("+351912345678", "Hi Ana, see you on 10 June!")).await;
    let SendOutcome::Accepted { provider_message_id } = o else { panic!("{o:?}") };
    assert!(provider_message_id.starts_with("SM") && provider_message_id.len() == 34);

    let r = lock(&tw.requests)[0].clone();
    assert_eq!(r.path, format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"));
    let expected_auth =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}")));
    assert_eq!(r.authorization.as_deref(), Some(expected_auth.as_str()));
    assert!(r.content_type.as_deref().is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")));
    let form = lock(&tw.forms)[0].clone();
    assert_eq!(form.get("To").map(String::as_str), Some("+351912345678"));
    assert_eq!(form.get("From").map(String::as_str), Some("+15550001111"));
    assert_eq!(form.get("Body").map(String::as_str), Some("Hi Ana, see you on 10 June!"));
    assert_eq!(
        form.get("StatusCallback").map(String::as_str),
        Some("https://relais.example.com/webhooks/twilio/status?relais_key=msg-1%3Asms"),
        "statuses name our message even after a timeout"
    );
}

#[tokio::test]
async fn messaging_service_sender_and_default_callback() {
    let (base, tw) = fake_twilio().await;
    let c = client(&base).with_status_callback("https://relais.example.com/webhooks/twilio/status");
    let mut req = request("+351912345678", "Hi");
    req.from = "MG0123456789abcdef0123456789abcdef".into();
    req.status_callback = None;
    assert!(matches!(c.send(&req).await, SendOutcome::Accepted { .. }));
    let form = lock(&tw.forms)[0].clone();
    assert_eq!(form.get("MessagingServiceSid").map(String::as_str), Some("MG0123456789abcdef0123456789abcdef"));
    assert!(!form.contains_key("From"));
    assert_eq!(
        form.get("StatusCallback").map(String::as_str),
        Some("https://relais.example.com/webhooks/twilio/status?relais_key=msg-1%3Asms"),
        "statuses name our message even after a timeout"
    );
}

#[tokio::test]
async fn unsubscribed_recipient_is_opted_out() {
    let (base, tw) = fake_twilio().await;
    lock(&tw.unsubscribed).insert("+351912345678".into());
    let o = client(&base).send(&request("+351912345678", "Hi")).await;
    assert_eq!(rejected(&o), Some(("21610", true)), "{o:?}");
}

#[tokio::test]
async fn permanent_errors_are_rejected_without_leaking_the_number() {
    let (base, tw) = fake_twilio().await;
    lock(&tw.landlines).insert("+15550009999".into());
    let c = client(&base);
    let o = c.send(&request("12345", "Hi")).await;
    assert_eq!(rejected(&o), Some(("21211", false)), "{o:?}");
    let o = c.send(&request("+15550009999", "Hi")).await;
    assert_eq!(rejected(&o), Some(("21614", false)), "{o:?}");
    if let SendOutcome::Rejected { detail, .. } = &o {
        assert!(!detail.contains("15550009999"), "phone number redacted: {detail}");
    }
    tw.script(
        400,
        None,
        twilio_error(
            21408,
            "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
            400,
        ),
    );
    assert_eq!(rejected(&c.send(&request("+351912345678", "Hi")).await), Some(("21408", false)));
    tw.script(400, None, twilio_error(21612, "The 'To' phone number is not currently reachable via SMS", 400));
    assert_eq!(rejected(&c.send(&request("+351912345678", "Hi")).await), Some(("21612", false)));
    let o = c.send(&request("+351912345678", "")).await;
    assert_eq!(rejected(&o), Some(("21602", false)), "{o:?}");
    let bad = TwilioClient::new(&base, TWILIO_SID, "wrong-token", http(2_000));
    assert_eq!(rejected(&bad.send(&request("+351912345678", "Hi")).await), Some(("20003", false)));
}

#[tokio::test]
async fn throttling_and_outages_are_transient() {
    let (base, tw) = fake_twilio().await;
    let c = client(&base);
    let req = request("+351912345678", "Hi");
    tw.script(429, Some("7"), twilio_error(20429, "Too Many Requests", 429));
    assert_eq!(transient(&c.send(&req).await), Some(("20429", Some(7))));
    assert!(matches!(c.send(&req).await, SendOutcome::Accepted { .. }), "429 then success");
    tw.script(500, None, twilio_error(20500, "Internal Server Error", 500));
    assert_eq!(transient(&c.send(&req).await), Some(("20500", None)));
    tw.script_raw(502, "<html>Bad Gateway</html>");
    assert_eq!(transient(&c.send(&req).await), Some(("http_502", None)));
}

#[tokio::test]
async fn timeout_and_connection_refused_are_transient() {
    let hole = black_hole().await;
    let c = TwilioClient::new(&hole, TWILIO_SID, TWILIO_TOKEN, http(300));
    assert_eq!(
        transient(&c.send(&request("+351912345678", "Hi")).await),
        Some(("timeout", Some(UNANSWERED_SEND_RETRY_SECONDS)))
    );
    let closed = closed_port().await;
    assert_eq!(transient(&client(&closed).send(&request("+351912345678", "Hi")).await), Some(("connect", None)));
}

#[tokio::test]
async fn local_rate_limit_counts_segments_and_never_waits() {
    let (base, tw) = fake_twilio().await;
    let c = client(&base).with_rate_limiter(Arc::new(RateLimiter::new(RateLimit::TWILIO_LONG_CODE)));
    // 2 segments (GSM-7, 200 septets).
    let long = "a".repeat(200);
    let started = std::time::Instant::now();
    assert!(matches!(c.send(&request("+351912345678", &long)).await, SendOutcome::Accepted { .. }));
    let o = c.send(&request("+351912345679", "Hi")).await;
    assert_eq!(transient(&o), Some(("rate_limited_local", Some(2))), "{o:?}");
    assert!(started.elapsed() < std::time::Duration::from_millis(900), "no sleeping in the sender");
    assert_eq!(lock(&tw.requests).len(), 1, "the provider was not called");
    // Another sender has its own bucket.
    let mut other = request("+351912345678", "Hi");
    other.from = "+15550003333".into();
    assert!(matches!(c.send(&other).await, SendOutcome::Accepted { .. }));
}

#[test]
fn signature_matches_twilio_reference_vectors() {
    // Vectors from Twilio's own request-validator tests (auth token "12345").
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
    let mut params = BTreeMap::new();
    for (k, v) in [
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ] {
        params.insert(k.to_string(), v.to_string());
    }
    assert_eq!(twilio_signature("12345", url, &params), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
    assert!(verify_twilio_signature("12345", url, &params, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")));
    // The URL with a port validates against the signature of the URL without it, and the
    // signature Twilio computed with :443 validates against the URL without a port.
    assert!(verify_twilio_signature(
        "12345",
        &url.replace(".com", ".com:1234"),
        &params,
        Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    ));
    assert!(verify_twilio_signature("12345", url, &params, Some("kvajT1Ptam85bY51eRf/AJRuM3w=")));
    assert!(verify_twilio_signature(
        "12345",
        &url.replace("https", "http"),
        &params,
        Some("0ZXoZLH/DfblKGATFgpif+LLRf4=")
    ));
    assert!(verify_twilio_signature(
        "12345",
        &url.replace(".com", ".com:1234").replace("https", "http"),
        &params,
        Some("Zmvh+3yNM1Phv2jhDCwEM3q5ebU=")
    ));
}

#[test]
fn status_callback_signature_and_parsing() {
    let url = "https://relais.example.com/webhooks/twilio/status";
    let params = parse_form(&fixture("twilio_status_delivered.form"));
    let sig = twilio_signature(TWILIO_TOKEN, url, &params);
    assert!(verify_twilio_signature(TWILIO_TOKEN, url, &params, Some(&sig)));
    // Wrong secret, tampered parameter, other URL, missing header: refused.
    assert!(!verify_twilio_signature("other-token", url, &params, Some(&sig)));
    let mut tampered = params.clone();
    tampered.insert("MessageStatus".into(), "failed".into());
    assert!(!verify_twilio_signature(TWILIO_TOKEN, url, &tampered, Some(&sig)));
    assert!(!verify_twilio_signature(
        TWILIO_TOKEN,
        "https://relais.example.com/webhooks/twilio/inbound",
        &params,
        Some(&sig)
    ));
    assert!(!verify_twilio_signature(TWILIO_TOKEN, url, &params, None));
    assert!(!verify_twilio_signature("", url, &params, Some(&twilio_signature("", url, &params))));

    let s = parse_status_callback(&params).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.message_sid, "SM00000000000000000000000000000001");
    assert_eq!(s.status, TwilioMessageStatus::Delivered);
    assert_eq!(s.error_code, None);
    assert_eq!(twilio_state(&s.status), Some(MessageState::Delivered));

    let u = parse_status_callback(&parse_form(&fixture("twilio_status_undelivered.form")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(u.status, TwilioMessageStatus::Undelivered);
    assert_eq!(u.error_code.as_deref(), Some("30003"));
    assert_eq!(twilio_state(&u.status), Some(MessageState::Failed));
}

#[test]
fn inbound_stop_and_start() {
    let stop = parse_inbound(&parse_form(&fixture("twilio_inbound_stop.form"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stop.from, "+351912345678");
    assert_eq!(stop.to.as_deref(), Some("+15550001111"));
    assert_eq!(stop.sender.as_deref(), Some("+15550001111"), "without a Messaging Service, our number");
    assert_eq!(stop.body, "STOP");
    assert_eq!(stop.opt, Some(OptAction::OptOut));
    let start = parse_inbound(&parse_form(&fixture("twilio_inbound_start.form"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(start.opt, Some(OptAction::OptIn));

    let mut form = parse_form(&fixture("twilio_inbound_stop.form"));
    form.insert("Body".into(), "Stop sending me these please".into());
    assert_eq!(parse_inbound(&form).map(|i| i.opt), Ok(None));
    // Advanced Opt-Out: Twilio names the matched keyword type (custom keyword "ARRET").
    form.insert("Body".into(), "ARRET".into());
    form.insert("OptOutType".into(), "STOP".into());
    assert_eq!(parse_inbound(&form).map(|i| i.opt), Ok(Some(OptAction::OptOut)));
    // A number in a Messaging Service: the chatbot names the service as its sender.
    form.insert("MessagingServiceSid".into(), "MG0123456789abcdef0123456789abcdef".into());
    assert_eq!(parse_inbound(&form).ok().and_then(|i| i.sender).as_deref(), Some("MG0123456789abcdef0123456789abcdef"));
    form.remove("From");
    assert!(parse_inbound(&form).is_err());
}
