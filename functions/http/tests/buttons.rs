//! Quick-reply buttons name the chatbot's FAQs and flows: the catalogue through the set-up API,
//! the wizard's pickers in `GET /campaign-options`, 422 naming the button, 409 for a chatbot
//! change that would orphan a button of a campaign that is not archived.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test]
async fn the_catalogue_is_set_up_checked_and_offered() {
    let h = Harness::new().await;
    let catalogue = json!({
        "faqs": [{"id": "faq-wifi", "question": {"en": "Wi-Fi?", "fr": "Wi-Fi ?"},
                  "answer": {"en": "Network Casa, password azul.", "fr": "Réseau Casa, mot de passe azul."}}],
        "flows": [{"id": "flow-late", "name": "Late check-out"}]
    });
    let r = h.put("/chatbots/bot-sms", "u-admin", catalogue.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["faqs"], catalogue["faqs"]);
    assert_eq!(r.json["flows"], catalogue["flows"]);
    assert_eq!(h.get("/chatbots/bot-sms", "u-admin").await.json["flows"], catalogue["flows"]);

    // English is required in the question and the answer; nothing is stored on error.
    let r = h
        .put(
            "/chatbots/bot-sms",
            "u-admin",
            json!({"faqs": [{"id": "faq-x", "question": {"fr": "?"},
        "answer": {"en": "x"}}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("faqs[0].question.en"));
    let r = h
        .post(
            "/chatbots",
            "u-admin",
            json!({"sms": {"sender": "+34600000000"},
        "flows": [{"id": "flow-1"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("flows[0].name"));
    assert_eq!(h.get("/chatbots/bot-sms", "u-admin").await.json["faqs"], catalogue["faqs"]);

    // The wizard's pickers: id + question, id + name.
    let options = h.get("/campaign-options", "u-ed").await;
    let bot = options.json["chatbots"].as_array().unwrap().iter().find(|b| b["id"] == "bot-sms").unwrap().clone();
    assert_eq!(bot["faqs"], json!([{"id": "faq-wifi", "question": {"en": "Wi-Fi?", "fr": "Wi-Fi ?"}}]));
    assert_eq!(bot["flows"], json!([{"id": "flow-late", "name": "Late check-out"}]));
}

#[tokio::test]
async fn a_button_naming_nothing_of_the_chatbot_is_refused_naming_the_button() {
    let h = Harness::new().await;
    let mut body = campaign_body("p-lis", "bot-1");
    body["messages"]["pt"]["whatsapp"]["buttons"][1]["faq_id"] = json!("faq-unknown");
    let r = h.post("/campaigns", "u-ed", body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("messages.pt.whatsapp.buttons[1].faq_id"));
    assert_eq!(r.code(), Some("unknown_reference"));
}

#[tokio::test]
async fn a_chatbot_change_orphaning_a_live_button_is_a_conflict() {
    let h = Harness::new().await;
    let id = h.active_campaign(campaign_body("p-lis", "bot-1")).await;
    let r = h.put("/chatbots/bot-1", "u-admin", json!({"faqs": []})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_eq!(r.field(), Some("faqs"));
    assert!(r.text.contains("messages.pt.whatsapp.buttons[1].faq_id"), "{}", r.text);
    let r = h.put("/chatbots/bot-1", "u-admin", json!({"flows": null})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    // A change keeping what buttons name is fine.
    let r = h
        .put(
            "/chatbots/bot-1",
            "u-admin",
            json!({"flows": [{"id": "flow-checkin", "name": "Check-in"},
        {"id": "flow-late", "name": "Late check-out"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // An archived campaign never sends again: it holds nothing.
    let archived = h.post(&format!("/campaigns/{id}/archive"), "u-ed", json!({})).await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.text);
    let r = h.put("/chatbots/bot-1", "u-admin", json!({"faqs": [], "flows": []})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
}

/// An active campaign whose quick-reply buttons are Parking (FAQ `faq-1`) then Check-in (flow
/// `flow-checkin`), sent to r-1 on WhatsApp in pt: its body and the payloads of the send.
async fn sent_with_buttons(h: &Harness) -> (serde_json::Value, Vec<String>) {
    let mut body = checkin_campaign("p-lis", "bot-1");
    body["channel"] = json!({"primary": "whatsapp", "fallback": null});
    body["messages"] = json!({"en": {"whatsapp": {"type": "quick_reply", "body": "Welcome {{guest_first_name}}!",
        "buttons": [{"title": "Parking", "faq_id": "faq-1"}, {"title": "Check-in", "flow_id": "flow-checkin"}]}},
        "pt": {"whatsapp": {"type": "quick_reply", "body": "Bem-vinda {{guest_first_name}}!",
        "buttons": [{"title": "Estacionamento", "faq_id": "faq-1"}, {"title": "Check-in", "flow_id": "flow-checkin"}]}}});
    let id = h.active_campaign(body.clone()).await;
    body["id"] = json!(id);
    for (event, status) in [("e1", "confirmed"), ("e2", "checked_in")] {
        h.webhook(
            "p-lis",
            LIS_SECRET,
            &reservation_event(event, "p-lis", "r-1", status, "2026-06-01", "2026-06-03", false),
        )
        .await;
    }
    let sent = h.runtime.outbox.records();
    assert_eq!(sent.len(), 1);
    let payloads = sent[0].request.button_payloads.clone();
    assert_eq!(payloads.len(), 2, "one payload per button on the template send");
    (body, payloads)
}

fn post(bytes: Vec<u8>) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .uri("/webhooks/whatsapp")
        .body(axum::body::Body::from(bytes))
        .unwrap()
}

#[tokio::test]
async fn a_tap_does_what_the_button_the_guest_saw_said_after_the_campaign_changed() {
    let h = Harness::new().await;
    let (mut body, payloads) = sent_with_buttons(&h).await;
    let id = body["id"].as_str().unwrap().to_string();
    body.as_object_mut().unwrap().remove("id");
    // The editor swaps the buttons after the send: the guest's phone still shows Parking first.
    let buttons = &mut body["messages"]["pt"]["whatsapp"]["buttons"];
    let (first, second) = (buttons[0].clone(), buttons[1].clone());
    *buttons = json!([second, first]);
    let r = h.put(&format!("/campaigns/{id}"), "u-ed", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);

    let tap = inbound(json!({"from": "351912345678", "id": "wamid.IN1", "timestamp": "1780000000", "type": "button",
        "button": {"payload": payloads[0], "text": "Estacionamento"}}));
    assert_eq!(h.send(post(tap)).await.status, StatusCode::OK);
    let sent = h.runtime.outbox.records();
    assert_eq!(sent.len(), 2, "the parking answer went out");
    assert_eq!(sent[1].request.body, "Sim, estacionamento gratuito no local.");
    assert!(h.runtime.bus.flow_choices().is_empty(), "no flow was handed over for the parking button");
}

/// Meta's inbound message notification carrying `message` (a tap).
fn inbound(message: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "1098765"},
                  "contacts": [{"wa_id": "351912345678"}], "messages": [message]}}]}]}))
    .unwrap()
}

#[tokio::test]
async fn taps_through_meta_webhook_in_both_formats() {
    let h = Harness::new().await;
    let (_, payloads) = sent_with_buttons(&h).await;
    let sent = h.runtime.outbox.records();

    // Template quick reply: `type: button`, `button.payload`. Answered once, in pt.
    let tap = inbound(json!({"from": "351912345678", "id": "wamid.IN1", "timestamp": "1780000000", "type": "button",
        "context": {"from": "1098765", "id": sent[0].provider_message_id},
        "button": {"payload": payloads[0], "text": "Estacionamento"}}));
    for _ in 0..2 {
        let r = h.send(post(tap.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let sent = h.runtime.outbox.records();
    assert_eq!(sent.len(), 2, "answered once, the replay does nothing more");
    assert_eq!(sent[1].request.template_name, None, "free-form text");
    assert_eq!(sent[1].request.language, "pt");
    assert_eq!(sent[1].request.body, "Sim, estacionamento gratuito no local.");

    // Interactive reply: `type: interactive`, `interactive.button_reply.id`. A flow.
    let tap = inbound(json!({"from": "351912345678", "id": "wamid.IN2", "timestamp": "1780000001",
        "type": "interactive", "interactive": {"type": "button_reply", "button_reply": {"id": payloads[1], "title": "Check-in"}}}));
    for _ in 0..2 {
        assert_eq!(h.send(post(tap.clone())).await.status, StatusCode::OK);
    }
    let choices = h.runtime.bus.flow_choices();
    assert_eq!(choices.len(), 1);
    assert_eq!(
        (choices[0].flow_id.as_str(), choices[0].reservation_id.as_str(), choices[0].account_id.as_str()),
        ("flow-checkin", "r-1", "acc-1")
    );

    // Payloads naming nothing known: 200, ignored; a button title is never read as STOP.
    let message_id = payloads[0].strip_prefix("relais:faq:faq-1:").expect("the payload names the FAQ");
    let past_the_last_button = format!("relais:b9:{message_id}");
    let gone_faq = format!("relais:faq:faq-gone:{message_id}");
    for payload in ["relais:b7:nope~p-lis~r-1~t0", &past_the_last_button, &gone_faq, "CONFIRM:bk_42"] {
        let tap = inbound(json!({"from": "351912345678", "id": "wamid.IN3", "type": "button",
            "button": {"payload": payload, "text": "STOP"}}));
        assert_eq!(h.send(post(tap)).await.status, StatusCode::OK);
    }
    assert_eq!(h.runtime.outbox.records().len(), 2);
    assert!(
        !h.runtime.app.store.is_opted_out(relais_domain::Channel::Whatsapp, "1098765", "+351912345678").await.unwrap()
    );

    // Both on the reservation's timeline.
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await;
    assert!(timeline.text.contains("faq_answered") && timeline.text.contains("flow_chosen"), "{}", timeline.text);
}

#[tokio::test]
async fn the_same_keywords_opt_out_on_whatsapp_as_on_sms() {
    let h = Harness::new().await;
    let store = &h.runtime.app.store;
    let guest = "+351912345678";
    for (body, opted_out) in [("Revoke.", true), ("START", false), ("optout", true), ("Optin!", false)] {
        let message = json!({"from": "351912345678", "id": format!("wamid.{body}"), "timestamp": "1780000000",
            "type": "text", "text": {"body": body}});
        assert_eq!(h.send(post(inbound(message))).await.status, StatusCode::OK);
        assert_eq!(
            store.is_opted_out(relais_domain::Channel::Whatsapp, "1098765", guest).await.unwrap(),
            opted_out,
            "{body}"
        );
    }
}
