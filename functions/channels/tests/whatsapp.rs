//! The WhatsApp client against a local fake of the Cloud API.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use relais_app::ports::{ChannelSender, SendOutcome, SendRequest};
use relais_channels::whatsapp_webhook::sign;
use relais_channels::{
    TemplateCategory, TemplateError, TemplateSpec, UNANSWERED_SEND_RETRY_SECONDS, WhatsAppClient, WhatsAppWebhookEvent,
    parse_webhook, template_name, verify_signature, whatsapp_language,
};
use relais_domain::{CallToActionButton, Channel, QuickReplyButton, WhatsAppContent};
use serde_json::{Value, json};

fn client(base: &str) -> WhatsAppClient {
    WhatsAppClient::new(base, META_VERSION, META_TOKEN, http(2_000))
}

fn request(to: &str, template: Option<&str>, params: &[&str]) -> SendRequest {
    SendRequest {
        key: "msg-1:whatsapp".into(),
        channel: Channel::Whatsapp,
        to: to.into(),
        from: PHONE_NUMBER_ID.into(),
        language: "pt".into(),
        body: "Olá Ana, até 10 de junho!".into(),
        template_name: template.map(str::to_string),
        parameters: params.iter().map(|p| p.to_string()).collect(),
        button_payloads: Vec::new(),
        status_callback: None,
    }
}

fn rejected(outcome: &SendOutcome) -> Option<(&str, bool)> {
    match outcome {
        SendOutcome::Rejected { code, opted_out, .. } => Some((code.as_str(), *opted_out)),
        _ => None,
    }
}

fn transient(outcome: &SendOutcome) -> Option<(&str, Option<u32>)> {
    match outcome {
        SendOutcome::Transient { code, retry_after_seconds, .. } => Some((code.as_str(), *retry_after_seconds)),
        _ => None,
    }
}

#[tokio::test]
async fn template_send_is_accepted_with_the_real_request_shape() {
    let (base, meta) = fake_meta().await;
    let name = template_name("pre-3d", 1);
    meta.add_approved(&name, "pt_PT", 2);
    let outcome = client(&base).send(&request("+351912345678", Some(&name), &["Ana", "10 de junho"])).await;
    let SendOutcome::Accepted { provider_message_id } = outcome else { panic!("{outcome:?}") };
    assert!(provider_message_id.starts_with("wamid."));

    let sends = meta.sends();
    assert_eq!(sends.len(), 1);
    let r = &sends[0];
    assert_eq!(r.path, format!("/{META_VERSION}/{PHONE_NUMBER_ID}/messages"));
    assert_eq!(r.authorization.as_deref(), Some(format!("Bearer {META_TOKEN}").as_str()));
    assert!(r.content_type.as_deref().is_some_and(|c| c.starts_with("application/json")));
    let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(body["recipient_type"], "individual");
    assert_eq!(body["to"], "351912345678");
    assert_eq!(body["type"], "template");
    assert_eq!(body["template"]["name"], name.as_str());
    assert_eq!(body["biz_opaque_callback_data"], "msg-1:whatsapp", "statuses name our message even after a timeout");
    assert_eq!(body["template"]["language"]["code"], "pt_PT");
    assert_eq!(
        body["template"]["components"],
        json!([{"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "10 de junho"}]}])
    );
}

#[tokio::test]
async fn permanent_errors_are_rejected() {
    let (base, meta) = fake_meta().await;
    let name = template_name("c1", 1);
    meta.add_approved(&name, "pt_PT", 1);
    lock(&meta.not_on_whatsapp).insert("15550002222".into());
    let c = client(&base);

    // Not a WhatsApp user.
    let o = c.send(&request("+15550002222", Some(&name), &["Ana"])).await;
    assert_eq!(rejected(&o), Some(("131026", false)), "{o:?}");
    // Parameter count does not match the template.
    let o = c.send(&request("+351912345678", Some(&name), &["Ana", "extra"])).await;
    assert_eq!(rejected(&o), Some(("132000", false)), "{o:?}");
    // Template missing in that language.
    let o = c.send(&request("+351912345678", Some("no_such_template"), &["Ana"])).await;
    assert_eq!(rejected(&o), Some(("132001", false)), "{o:?}");
    // Plain text outside the 24-hour window.
    let o = c.send(&request("+351912345678", None, &[])).await;
    assert_eq!(rejected(&o), Some(("131047", false)), "{o:?}");
    // Invalid parameter.
    meta.script(400, None, graph_error(100, "Invalid parameter", "Parameter value is not valid"));
    let o = c.send(&request("+351912345678", Some(&name), &["Ana"])).await;
    assert_eq!(rejected(&o), Some(("100", false)), "{o:?}");
    // Wrong token: 190.
    let bad = WhatsAppClient::new(&base, META_VERSION, "wrong", http(2_000));
    let o = bad.send(&request("+351912345678", Some(&name), &["Ana"])).await;
    assert_eq!(rejected(&o), Some(("190", false)), "{o:?}");
}

#[tokio::test]
async fn plain_text_inside_the_window_is_accepted() {
    let (base, meta) = fake_meta().await;
    lock(&meta.window_open).insert("351912345678".into());
    let o = client(&base).send(&request("+351912345678", None, &[])).await;
    assert!(matches!(o, SendOutcome::Accepted { .. }), "{o:?}");
    let body: Value = serde_json::from_str(&meta.sends()[0].body).unwrap_or_default();
    assert_eq!(body["type"], "text");
    assert_eq!(body["text"]["body"], "Olá Ana, até 10 de junho!");
}

#[tokio::test]
async fn marketing_opt_out_is_rejected_as_opted_out() {
    let (base, meta) = fake_meta().await;
    let name = template_name("c1", 1);
    meta.add_approved(&name, "pt_PT", 1);
    lock(&meta.marketing_stopped).insert("351912345678".into());
    let o = client(&base).send(&request("+351912345678", Some(&name), &["Ana"])).await;
    assert_eq!(rejected(&o), Some(("131050", true)), "{o:?}");
}

#[tokio::test]
async fn rate_limits_and_outages_are_transient() {
    let (base, meta) = fake_meta().await;
    let name = template_name("c1", 1);
    meta.add_approved(&name, "pt_PT", 1);
    let c = client(&base);
    let req = request("+351912345678", Some(&name), &["Ana"]);

    meta.script(400, None, graph_error(130429, "Rate limit hit", "Cloud API message throughput has been reached."));
    assert_eq!(transient(&c.send(&req).await), Some(("130429", None)));
    meta.script(
        400,
        None,
        graph_error(131056, "(Business Account, Consumer Account) pair rate limit hit", "pair rate limit"),
    );
    assert_eq!(transient(&c.send(&req).await), Some(("131056", None)));
    meta.script(400, None, graph_error(131048, "Spam rate limit hit", "restrictions on how many messages"));
    assert_eq!(transient(&c.send(&req).await), Some(("131048", None)));
    meta.script(400, None, graph_error(80007, "Rate limit issues", "WABA rate limit"));
    assert_eq!(transient(&c.send(&req).await), Some(("80007", None)));
    meta.script(429, Some("17"), graph_error(4, "Application request limit reached", "app rate limit"));
    assert_eq!(transient(&c.send(&req).await), Some(("4", Some(17))));
    meta.script(500, None, graph_error(131000, "Something went wrong", "unknown error"));
    assert_eq!(transient(&c.send(&req).await), Some(("131000", None)));
    meta.script(503, Some("5"), json!("<html>Service Unavailable</html>"));
    assert_eq!(transient(&c.send(&req).await), Some(("http_503", Some(5))));

    // 429 then success: the retry goes through.
    meta.script(429, Some("2"), graph_error(130429, "Rate limit hit", "throughput"));
    assert_eq!(transient(&c.send(&req).await), Some(("130429", Some(2))));
    assert!(matches!(c.send(&req).await, SendOutcome::Accepted { .. }));
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_transient() {
    let hole = black_hole().await;
    let c = WhatsAppClient::new(&hole, META_VERSION, META_TOKEN, http(300));
    let started = std::time::Instant::now();
    let o = c.send(&request("+351912345678", Some("t"), &[])).await;
    assert_eq!(transient(&o), Some(("timeout", Some(UNANSWERED_SEND_RETRY_SECONDS))), "{o:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    let closed = closed_port().await;
    let o = client(&closed).send(&request("+351912345678", Some("t"), &[])).await;
    assert_eq!(transient(&o), Some(("connect", None)), "{o:?}");
}

#[tokio::test]
async fn invalid_sender_is_refused_before_any_request() {
    let (base, meta) = fake_meta().await;
    let mut req = request("+351912345678", Some("t"), &[]);
    req.from = "../evil".into();
    let o = client(&base).send(&req).await;
    assert_eq!(rejected(&o), Some(("invalid_sender", false)));
    assert!(meta.sends().is_empty());
}

#[tokio::test]
async fn template_registration_approval_and_rejection_flow() {
    let (base, meta) = fake_meta().await;
    let c = client(&base);
    let content = WhatsAppContent::QuickReply {
        body: "Olá {{guest_first_name}}, até {{check_in_date}}!".into(),
        buttons: vec![
            QuickReplyButton { title: "Check-in online".into(), flow_id: Some("flow-checkin".into()), faq_id: None },
            QuickReplyButton { title: "Perguntas".into(), flow_id: None, faq_id: Some("faq-1".into()) },
        ],
    };
    let name = template_name("pre-3d", 1);
    let examples = vec!["Ana".to_string(), "10 de junho".to_string()];
    let spec = TemplateSpec {
        name: &name,
        language: "pt",
        category: TemplateCategory::Utility,
        content: &content,
        numbered_body: "Olá {{1}}, até {{2}}!",
        examples: &examples,
    };
    let reg = c.register_template(WABA_ID, &spec).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reg.status, "PENDING");
    assert_eq!(reg.language, "pt_PT");
    assert!(!reg.is_approved());

    // What reached Meta.
    let sent = lock(&meta.templates)[0].request.clone();
    assert_eq!(sent["name"], name.as_str());
    assert_eq!(sent["language"], "pt_PT");
    assert_eq!(sent["category"], "UTILITY");
    assert_eq!(
        sent["components"][0],
        json!({"type": "BODY", "text": "Olá {{1}}, até {{2}}!", "example": {"body_text": [["Ana", "10 de junho"]]}})
    );
    assert_eq!(
        sent["components"][1],
        json!({"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Check-in online"}, {"type": "QUICK_REPLY", "text": "Perguntas"}]})
    );

    // Registering again is refused by Meta; find_template makes approval idempotent.
    let again = c.register_template(WABA_ID, &spec).await;
    assert!(matches!(again, Err(TemplateError::Rejected { ref code, .. }) if code == "100"), "{again:?}");
    let found = c.find_template(WABA_ID, &name, "pt").await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.as_ref().map(|f| f.id.as_str()), Some(reg.id.as_str()));
    assert_eq!(c.find_template(WABA_ID, &name, "en").await.ok().flatten(), None);

    // Not approved yet: a send fails (template missing for sending).
    let o = c.send(&request("+351912345678", Some(&name), &["Ana", "10 de junho"])).await;
    assert_eq!(rejected(&o), Some(("132001", false)));

    // Meta approves: the webhook says so, polling says so, and sending works.
    meta.approve(&name, "pt_PT");
    let hook = json!({"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "time": 1_750_000_000, "changes": [{
        "field": "message_template_status_update",
        "value": {"event": "APPROVED", "message_template_id": reg.id.parse::<u64>().unwrap_or(0), "message_template_name": name,
                  "message_template_language": "pt_PT", "reason": "NONE", "message_template_category": "UTILITY"}}]}]})
    .to_string();
    let signature = sign("app-secret", hook.as_bytes());
    assert!(verify_signature("app-secret", hook.as_bytes(), Some(&signature)));
    let events = parse_webhook(hook.as_bytes()).unwrap_or_default();
    assert_eq!(
        events,
        vec![WhatsAppWebhookEvent::TemplateStatus {
            waba_id: WABA_ID.into(),
            template_id: Some(reg.id.clone()),
            template_name: name.clone(),
            language: whatsapp_language("pt"),
            event: "APPROVED".into(),
            reason: None,
        }]
    );
    let polled = c.template_status(&reg.id).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(polled.is_approved());
    let o = c.send(&request("+351912345678", Some(&name), &["Ana", "10 de junho"])).await;
    assert!(matches!(o, SendOutcome::Accepted { .. }), "{o:?}");

    // A second template that Meta rejects.
    let cta = WhatsAppContent::CallToAction {
        body: "Call us".into(),
        buttons: vec![
            CallToActionButton::Phone { title: "Call us".into(), phone: "+351210000000".into() },
            CallToActionButton::Url { title: "Directions".into(), url: "https://example.com/map".into() },
        ],
    };
    let name2 = template_name("arrival", 1);
    let spec2 = TemplateSpec {
        name: &name2,
        language: "en",
        content: &cta,
        numbered_body: "Need directions?",
        examples: &[],
        ..spec
    };
    let reg2 = c.register_template(WABA_ID, &spec2).await.unwrap_or_else(|e| panic!("{e}"));
    let sent2 = lock(&meta.templates)[1].request.clone();
    assert_eq!(
        sent2["components"][1]["buttons"][0],
        json!({"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "351210000000"})
    );
    assert_eq!(
        sent2["components"][1]["buttons"][1],
        json!({"type": "URL", "text": "Directions", "url": "https://example.com/map"})
    );
    meta.set_status(&name2, "en", "REJECTED", Some("INVALID_FORMAT"));
    let polled = c.template_status(&reg2.id).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(polled.is_rejected());
    assert_eq!(polled.rejected_reason.as_deref(), Some("INVALID_FORMAT"));
    let events = parse_webhook(&fixture("whatsapp_template_rejected.json")).unwrap_or_default();
    assert!(matches!(&events[0], WhatsAppWebhookEvent::TemplateStatus { event, reason, .. }
        if event == "REJECTED" && reason.as_deref() == Some("INVALID_FORMAT")));
}

#[tokio::test]
async fn registration_errors_are_classified() {
    let (base, meta) = fake_meta().await;
    let c = client(&base);
    let content = WhatsAppContent::Text { body: "Hi".into() };
    let spec = TemplateSpec {
        name: "relais_ok",
        language: "en",
        category: TemplateCategory::Utility,
        content: &content,
        numbered_body: "Hi there",
        examples: &[],
    };
    meta.script(429, Some("30"), graph_error(80007, "Rate limit issues", "WABA rate limit"));
    let r = c.register_template(WABA_ID, &spec).await;
    assert_eq!(
        r,
        Err(TemplateError::Transient {
            code: "80007".into(),
            detail: "WABA rate limit".into(),
            retry_after_seconds: Some(30)
        })
    );
    let r = c.register_template("not/a/waba", &spec).await;
    assert!(matches!(r, Err(TemplateError::Invalid(_))));
    // A refused token is a set-up problem, never a rejection of the template (or the campaign).
    meta.script(401, None, graph_error(190, "Invalid OAuth access token.", "Invalid OAuth access token."));
    let r = c.register_template(WABA_ID, &spec).await;
    assert!(matches!(&r, Err(TemplateError::Invalid(reason)) if reason.contains("credentials")), "{r:?}");
    assert!(c.register_template(WABA_ID, &spec).await.is_ok());
}
