//! Campaign routes: happy paths, roles, 422 field paths, ETag / If-Match, life cycle,
//! notifications, options, preview.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;
use serde_json::json;

#[tokio::test]
async fn create_read_list_with_etag_and_location() {
    let h = Harness::new().await;
    let r = h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["status"], "draft");
    assert_eq!(r.json["version"], 1);
    assert_eq!(r.json["account_id"], "acc-1");
    assert_eq!(r.json["created_by"], "u-ed");
    assert_eq!(r.header("etag"), Some("\"1\""));
    assert_eq!(r.header("location"), Some(format!("/campaigns/{id}").as_str()));
    assert!(r.header("x-request-id").is_some());

    let got = h.get(&format!("/campaigns/{id}"), "u-view").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["name"], "Welcome, 3 days out");
    assert_eq!(got.header("etag"), Some("\"1\""));

    let list = h.get("/campaigns", "u-view").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json["campaigns"].as_array().unwrap().len(), 1);
    let drafts = h.get("/campaigns?status=draft", "u-view").await;
    assert_eq!(drafts.json["campaigns"].as_array().unwrap().len(), 1);
    let active = h.get("/campaigns?status=active", "u-view").await;
    assert_eq!(active.json["campaigns"].as_array().unwrap().len(), 0);
    let bad = h.get("/campaigns?status=bogus", "u-view").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.field(), Some("status"));
}

#[tokio::test]
async fn ids_are_assigned_by_the_server() {
    let h = Harness::new().await;
    let mut body = campaign_body("p-lis", "bot-1");
    body["id"] = json!("my-own-id");
    body["status"] = json!("active");
    let r = h.post("/campaigns", "u-ed", body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("id"));
    assert_eq!(r.code(), Some("read_only"));
    assert!(r.fields().contains(&"status".to_string()));
    assert_eq!(h.get("/campaigns", "u-ed").await.json["campaigns"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn validation_errors_are_422_with_every_field_path() {
    let h = Harness::new().await;
    let mut body = campaign_body("p-lis", "bot-1");
    body["name"] = json!("x".repeat(41));
    body["messages"]["pt"]["whatsapp"]["buttons"][1]["title"] = json!("a title that is far too long");
    body["messages"]["en"]["sms"]["body"] = json!("y".repeat(161));
    let r = h.post("/campaigns", "u-ed", body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    let fields = r.fields();
    for expected in ["name", "messages.pt.whatsapp.buttons[1].title", "messages.en.sms.body"] {
        assert!(fields.iter().any(|f| f == expected), "{expected} not in {fields:?}");
    }
    assert_eq!(r.field(), Some(fields[0].as_str()));

    // status_change on a PMS without events, and a PMS outside the catalogue.
    let mut body = checkin_campaign("p-sched", "bot-1");
    let r = h.post("/campaigns", "u-ed", body.clone()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.fields().iter().any(|f| f.starts_with("trigger")), "{}", r.text);
    body["property_id"] = json!("p-odd");
    let r = h.post("/campaigns", "u-ed", body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text.contains("support team"), "{}", r.text);

    // Not JSON: 400; empty: 400.
    let r = h
        .send(
            h.request(Method::POST, "/campaigns", Some("u-ed"), None)
                .header("content-type", "application/json")
                .body(axum::body::Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), Some("invalid_json"));
    let r = h.call(Method::POST, "/campaigns", Some("u-ed"), None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let h = Harness::new().await;
    let mut body = campaign_body("p-lis", "bot-1");
    body["name"] = json!("x".repeat(relais_http::API_BODY_LIMIT + 10));
    let r = h.post("/campaigns", "u-ed", body).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), Some("payload_too_large"));
}

#[tokio::test]
async fn roles_are_enforced_per_route() {
    let h = Harness::new().await;
    // viewer: read only
    assert_eq!(h.post("/campaigns", "u-view", campaign_body("p-lis", "bot-1")).await.status, StatusCode::FORBIDDEN);
    let id =
        h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        h.put(&format!("/campaigns/{id}"), "u-view", campaign_body("p-lis", "bot-1")).await.status,
        StatusCode::FORBIDDEN
    );
    for action in ["submit", "pause", "resume", "archive", "approve", "reject"] {
        let r = h.post(&format!("/campaigns/{id}/{action}"), "u-view", json!({"reason": "no"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "viewer {action}");
    }
    assert_eq!(
        h.call(Method::DELETE, &format!("/campaigns/{id}"), Some("u-view"), None).await.status,
        StatusCode::FORBIDDEN
    );
    // editor may submit but not approve or reject
    assert_eq!(h.post(&format!("/campaigns/{id}/submit"), "u-ed", json!({})).await.status, StatusCode::OK);
    assert_eq!(h.post(&format!("/campaigns/{id}/approve"), "u-ed", json!({})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        h.post(&format!("/campaigns/{id}/reject"), "u-ed", json!({"reason": "x"})).await.status,
        StatusCode::FORBIDDEN
    );
    // approver and admin may approve
    assert_eq!(h.post(&format!("/campaigns/{id}/approve"), "u-admin", json!({})).await.status, StatusCode::OK);
    // no token, bad token: 401
    let r = h.call(Method::GET, "/campaigns", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), Some("unauthorized"));
    let forged = h
        .send(
            axum::http::Request::builder()
                .uri("/campaigns")
                .header("authorization", format!("Bearer {}x", h.token("u-admin")))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_token_claiming_more_than_the_stored_role_gets_the_stored_role() {
    let h = Harness::new().await;
    let claims = relais_http::auth::Claims {
        sub: "u-view".into(),
        account_id: "acc-1".into(),
        role: relais_domain::Role::Admin,
        iat: None,
        exp: Some(h.now().timestamp() + 3600),
    };
    let token = relais_http::auth::mint_hs256(JWT_SECRET, &claims).unwrap();
    let r = h
        .send(
            axum::http::Request::builder()
                .method(Method::GET)
                .uri("/users")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A token naming another account than the user's: 401.
    let claims = relais_http::auth::Claims { sub: "u-admin".into(), account_id: "acc-2".into(), ..claims };
    let token = relais_http::auth::mint_hs256(JWT_SECRET, &claims).unwrap();
    let r = h
        .send(
            axum::http::Request::builder()
                .uri("/properties/p2")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn if_match_conflicts_are_409() {
    let h = Harness::new().await;
    let id =
        h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await.json["id"].as_str().unwrap().to_string();
    let uri = format!("/campaigns/{id}");
    let mut body = campaign_body("p-lis", "bot-1");
    body["name"] = json!("Renamed");
    let r = h.call_with(Method::PUT, &uri, "u-ed", &[("if-match", "\"1\"")], Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("etag"), Some("\"2\""));
    assert_eq!(r.json["name"], "Renamed");
    // A second writer still holding version 1 loses.
    body["name"] = json!("Mine");
    let r = h.call_with(Method::PUT, &uri, "u-ed", &[("if-match", "\"1\"")], Some(body.clone())).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), Some("version_mismatch"));
    assert_eq!(h.get(&uri, "u-ed").await.json["name"], "Renamed");
    // Actions too.
    let r = h.call_with(Method::POST, &format!("{uri}/submit"), "u-ed", &[("if-match", "W/\"1\"")], None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = h.call_with(Method::POST, &format!("{uri}/submit"), "u-ed", &[("if-match", "\"2\"")], None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["status"], "pending");
    // Garbage If-Match: 400 naming the header.
    let r = h.call_with(Method::POST, &format!("{uri}/approve"), "u-ap", &[("if-match", "abc")], None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.field(), Some("If-Match"));
    // What GET returned can be PUT back (read-only fields ignored), but not under another id.
    let current = h.get(&uri, "u-ed").await;
    let r = h.put(&uri, "u-ed", current.json.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let mut other = current.json.clone();
    other["id"] = json!("someone-else");
    let r = h.put(&uri, "u-ed", other).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(), Some("id"));
}

#[tokio::test]
async fn life_cycle_with_notifications_and_mail() {
    let h = Harness::new().await;
    let id =
        h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await.json["id"].as_str().unwrap().to_string();
    let uri = format!("/campaigns/{id}");
    // Approving a draft is a state conflict.
    assert_eq!(h.post(&format!("{uri}/approve"), "u-ap", json!({})).await.status, StatusCode::CONFLICT);
    assert_eq!(h.post(&format!("{uri}/submit"), "u-ed", json!({})).await.json["status"], "pending");
    // Reject needs a reason.
    let r = h.post(&format!("{uri}/reject"), "u-ap", json!({})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(), Some("reason"));
    let r = h.post(&format!("{uri}/reject"), "u-ap", json!({"reason": "say hello in French too"})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["status"], "rejected");
    assert_eq!(r.json["rejection_reason"], "say hello in French too");
    assert_eq!(h.post(&format!("{uri}/submit"), "u-ed", json!({})).await.json["status"], "pending");
    assert_eq!(h.post(&format!("{uri}/approve"), "u-ap", json!({})).await.json["status"], "active");
    assert_eq!(h.post(&format!("{uri}/pause"), "u-ed", json!({})).await.json["status"], "paused");
    assert_eq!(h.post(&format!("{uri}/resume"), "u-ed", json!({})).await.json["status"], "active");
    // A new name keeps it active; new content sends it back to approval.
    let mut body = campaign_body("p-lis", "bot-1");
    body["name"] = json!("Welcome v2");
    assert_eq!(h.put(&uri, "u-ed", body.clone()).await.json["status"], "active");
    body["messages"]["en"]["sms"]["body"] = json!("Hello {{guest_first_name}}!");
    assert_eq!(h.put(&uri, "u-ed", body).await.json["status"], "pending");
    let r = h.call(Method::DELETE, &uri, Some("u-ed"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["status"], "archived");
    assert_eq!(h.post(&format!("{uri}/resume"), "u-ed", json!({})).await.status, StatusCode::CONFLICT);

    // The creator's console: submitted, rejected, approved... newest first.
    let n = h.get("/notifications", "u-ed").await;
    assert_eq!(n.status, StatusCode::OK);
    let kinds: Vec<&str> =
        n.json["notifications"].as_array().unwrap().iter().map(|x| x["kind"].as_str().unwrap()).collect();
    for kind in ["campaign_submitted", "campaign_rejected", "campaign_approved"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let rejected =
        n.json["notifications"].as_array().unwrap().iter().find(|x| x["kind"] == "campaign_rejected").unwrap();
    assert!(rejected["body"].as_str().unwrap().contains("say hello in French too"));
    // The approver was asked to review.
    let n = h.get("/notifications?unread=true", "u-ap").await;
    assert!(n.json["notifications"].as_array().unwrap().iter().any(|x| x["kind"] == "approval_requested"));
    // E-mails to the creator (e-mail notifications on).
    let mails = h.runtime.mail.mails();
    assert!(mails.iter().any(|m| m.to == "ed@example.com" && m.subject.contains("approved")), "{mails:?}");
    assert!(mails.iter().all(|m| m.to == "ed@example.com"));

    // Mark one read; unread count drops; another user's notification is 404.
    let all = h.get("/notifications", "u-ed").await;
    let unread = all.json["unread"].as_u64().unwrap();
    let first = all.json["notifications"][0]["id"].as_str().unwrap().to_string();
    let r = h.post(&format!("/notifications/{first}/read"), "u-ed", json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["read"], true);
    assert_eq!(h.get("/notifications", "u-ed").await.json["unread"].as_u64().unwrap(), unread - 1);
    assert_eq!(h.post(&format!("/notifications/{first}/read"), "u-ap", json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        h.post(&format!("/notifications/{first}/read"), "u2-admin", json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(h.get("/notifications?unread=maybe", "u-ed").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn campaign_options_offer_what_the_user_may_use() {
    let h = Harness::new().await;
    let r = h.get("/campaign-options", "u-ed").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let props = r.json["properties"].as_array().unwrap();
    let ids: Vec<&str> = props.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"p-lis") && ids.contains(&"p-sched") && ids.contains(&"p-csv"));
    assert!(!ids.contains(&"p-odd"), "PMS outside the catalogue is not offered");
    assert!(!ids.contains(&"p2"), "another account's property is not offered");
    let triggers = |id: &str| -> Vec<String> {
        props.iter().find(|p| p["id"] == id).unwrap()["triggers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    assert!(triggers("p-lis").contains(&"status_change".to_string()));
    assert!(!triggers("p-sched").contains(&"status_change".to_string()));
    assert!(!triggers("p-csv").contains(&"status_change".to_string()));
    assert!(triggers("p-csv").contains(&"schedule".to_string()));
    let bots = r.json["chatbots"].as_array().unwrap();
    let bot_ids: Vec<&str> = bots.iter().map(|b| b["id"].as_str().unwrap()).collect();
    assert!(bot_ids.contains(&"bot-1") && bot_ids.contains(&"bot-sms"));
    assert!(!bot_ids.contains(&"bot-none"), "a chatbot without WhatsApp or SMS is not offered");
    assert!(!bot_ids.contains(&"bot-2"));
    let bot1 = bots.iter().find(|b| b["id"] == "bot-1").unwrap();
    assert_eq!(bot1["languages"][0], "en");
    assert_eq!(bot1["fallback_channels"], json!(["sms"]));
    let sms_bot = bots.iter().find(|b| b["id"] == "bot-sms").unwrap();
    assert_eq!(sms_bot["channels"], json!(["sms"]));
    assert_eq!(sms_bot["fallback_channels"], json!([]));
    assert!(r.json["variables"].as_array().unwrap().contains(&json!("guest_first_name")));
    assert_eq!(r.json["limits"]["sms"]["text"]["max_characters"], 160);
    // A user limited to one property sees only it.
    let r = h.get("/campaign-options", "u-ed-csv").await;
    let ids: Vec<&str> = r.json["properties"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["p-csv"]);
}

#[tokio::test]
async fn preview_renders_who_would_receive_it_without_sending() {
    let h = Harness::new().await;
    let created = h.post("/campaigns", "u-ed", campaign_body("p-lis", "bot-1")).await;
    let id = created.json["id"].as_str().unwrap().to_string();
    // Ana (pt, form not submitted): check-in in 4 days -> send date tomorrow 10:00 Lisbon.
    assert_eq!(
        h.webhook(
            "p-lis",
            LIS_SECRET,
            &reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-05", "2026-06-08", false)
        )
        .await
        .status,
        StatusCode::OK
    );
    // Ben (form submitted): held by the condition.
    let mut ben = reservation_event("e2", "p-lis", "r-2", "confirmed", "2026-06-06", "2026-06-09", true);
    ben["reservation"]["guest"] =
        json!({"first_name": "Ben", "last_name": "Ng", "phone": "+15550009999", "language": "en"});
    assert_eq!(h.webhook("p-lis", LIS_SECRET, &ben).await.status, StatusCode::OK);
    // Far future: outside a 7-day window.
    assert_eq!(
        h.webhook(
            "p-lis",
            LIS_SECRET,
            &reservation_event("e3", "p-lis", "r-3", "confirmed", "2026-07-20", "2026-07-22", false)
        )
        .await
        .status,
        StatusCode::OK
    );
    let messages_before = h.runtime.store.all_messages();
    let sent_before = h.runtime.outbox.records().len();

    let r = h.post(&format!("/campaigns/{id}/preview"), "u-view", json!({"days": 7})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let recipients = r.json["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 2, "{}", r.text);
    let ana = recipients.iter().find(|x| x["reservation_id"] == "r-1").unwrap();
    assert_eq!(ana["decision"], "send");
    assert_eq!(ana["due_at"], "2026-06-02T09:00:00Z");
    assert_eq!(ana["message"]["channel"], "whatsapp");
    assert_eq!(ana["message"]["language"], "pt");
    assert_eq!(ana["message"]["body"], "Olá Ana!");
    assert_eq!(ana["fallback"]["channel"], "sms");
    assert_eq!(ana["fallback"]["sms"]["segments"], 1);
    assert!(ana["fallback"]["body"].as_str().unwrap().starts_with("Olá Ana, até "));
    let ben = recipients.iter().find(|x| x["reservation_id"] == "r-2").unwrap();
    assert_eq!(ben["decision"], "held");
    assert_eq!(ben["reason"], "conditions_not_met:check_in_form_submitted");
    assert_eq!(ben["conditions"][0]["holds"], false);
    assert_eq!(ben["message"]["body"], "Hi Ben, see you on June 6, 2026!");
    assert_eq!(r.json["summary"]["send"], 1);
    assert_eq!(r.json["summary"]["held"], 1);
    // 60 days reaches r-3.
    let r = h.post(&format!("/campaigns/{id}/preview"), "u-view", json!({"days": 60})).await;
    assert_eq!(r.json["recipients"].as_array().unwrap().len(), 3);
    // Nothing sent, nothing stored.
    assert_eq!(h.runtime.outbox.records().len(), sent_before);
    assert_eq!(h.runtime.store.all_messages(), messages_before);
    // Bad days: 422 naming the field.
    let r = h.post(&format!("/campaigns/{id}/preview"), "u-view", json!({"days": 0})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(), Some("days"));
    let r = h.post(&format!("/campaigns/{id}/preview"), "u-view", json!({"days": "many"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn preview_of_a_status_change_campaign_lists_expected_arrivals() {
    let h = Harness::new().await;
    let id =
        h.post("/campaigns", "u-ed", checkin_campaign("p-lis", "bot-1")).await.json["id"].as_str().unwrap().to_string();
    h.webhook(
        "p-lis",
        LIS_SECRET,
        &reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-03", "2026-06-05", false),
    )
    .await;
    let r = h.post(&format!("/campaigns/{id}/preview"), "u-ed", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let first = &r.json["recipients"][0];
    assert_eq!(first["estimated"], true);
    assert_eq!(first["decision"], "send");
    assert_eq!(first["message"]["body"], "Welcome Ana, room Room 101!");
    assert_eq!(first["message"]["sms"]["encoding"], "gsm7");
}
