//! Quick-reply buttons name the chatbot's FAQs and flows: the catalogue through the set-up API,
//! the wizard's pickers in `GET /campaign-options`, 422 naming the button, 409 for a chatbot
//! change that would orphan a button of a campaign that is not archived.

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
