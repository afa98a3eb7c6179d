//! Set-up routes (admin): properties, chatbots, users, webhook-secret rotation; secrets never
//! returned except the new one on rotation.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use chrono::Duration;
use common::*;
use serde_json::json;

#[tokio::test]
async fn only_admins_reach_the_set_up() {
    let h = Harness::new().await;
    for user in ["u-ed", "u-ap", "u-view"] {
        for (method, uri) in [
            (Method::GET, "/properties"),
            (Method::POST, "/properties"),
            (Method::GET, "/properties/p-lis"),
            (Method::PUT, "/properties/p-lis"),
            (Method::POST, "/properties/p-lis/webhook-secret"),
            (Method::GET, "/chatbots"),
            (Method::POST, "/chatbots"),
            (Method::GET, "/chatbots/bot-1"),
            (Method::PUT, "/chatbots/bot-1"),
            (Method::GET, "/users"),
            (Method::POST, "/users"),
            (Method::GET, "/users/u-ed"),
            (Method::PUT, "/users/u-ed"),
            (Method::GET, "/outbox"),
        ] {
            let r = h.call(method.clone(), uri, Some(user), Some(json!({"name": "x"}))).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{user} {method} {uri}");
        }
    }
}

#[tokio::test]
async fn properties_are_created_by_the_server_and_secrets_stay_write_only() {
    let h = Harness::new().await;
    let body = json!({"name": "Casa Azul Porto", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
        "check_out_time": "11:00", "pms": "cloudbeds", "units": [{"id": "201", "name": "Room 201"}],
        "pms_credentials": {"api_base": "https://api.cloudbeds.example", "values": {"api_key": "cb-SECRET-key"}},
        "webhook_secret": "initial-secret-0123456789"});
    let r = h.post("/properties", "u-admin", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("prop_"));
    assert_eq!(r.header("location"), Some(format!("/properties/{id}").as_str()));
    assert_eq!(r.json["account_id"], "acc-1");
    assert_eq!(r.json["webhook_secret_set"], true);
    assert_eq!(r.json["pms_credentials_set"], json!(["api_base", "api_key"]));
    assert_eq!(r.json["pms_in_catalogue"], true);
    for secret in ["cb-SECRET-key", "initial-secret-0123456789"] {
        assert!(!r.text.contains(secret));
    }
    // Ids are the server's.
    let r = h
        .post(
            "/properties",
            "u-admin",
            json!({"id": "mine", "name": "X", "time_zone": "UTC",
        "check_in_time": "15:00", "check_out_time": "11:00", "pms": "mews"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(), Some("id"));
    // Every invalid field at once.
    let r = h
        .post(
            "/properties",
            "u-admin",
            json!({"name": "", "time_zone": "Mars/Olympus",
        "check_in_time": "25:00", "pms": "Not An Id", "units": [{"id": "1"}, {"id": "1"}], "colour": "blue"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = r.fields();
    for f in ["name", "time_zone", "check_in_time", "check_out_time", "pms", "units[1].id", "colour"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }

    // GET and list never show secrets.
    let got = h.get(&format!("/properties/{id}"), "u-admin").await;
    assert_eq!(got.status, StatusCode::OK);
    let list = h.get("/properties", "u-admin").await;
    for r in [&got, &list] {
        for secret in ["cb-SECRET-key", "initial-secret-0123456789", LIS_SECRET] {
            assert!(!r.text.contains(secret), "{}", r.text);
        }
    }
    assert_eq!(list.json["properties"].as_array().unwrap().len(), 5);

    // PUT: partial, secrets not accepted here.
    let r = h
        .put(
            &format!("/properties/{id}"),
            "u-admin",
            json!({"name": "Casa Azul Porto Centro", "check_in_time": "14:00"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["name"], "Casa Azul Porto Centro");
    assert_eq!(r.json["check_in_time"], "14:00");
    assert_eq!(r.json["time_zone"], "Europe/Lisbon");
    assert_eq!(r.json["pms_credentials_set"], json!(["api_base", "api_key"]));
    let r = h.put(&format!("/properties/{id}"), "u-admin", json!({"webhook_secret": "x"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.field(), Some("webhook_secret"));
    assert_eq!(h.get("/properties/nope", "u-admin").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn rotation_returns_the_new_secret_once_and_keeps_the_old_one_for_24_hours() {
    let h = Harness::new().await;
    let event = reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-10", "2026-06-12", false);
    let r = h.post("/properties/p-lis/webhook-secret", "u-admin", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let new_secret = r.json["webhook_secret"].as_str().unwrap().to_string();
    assert_eq!(new_secret.len(), 64);
    assert_ne!(new_secret, LIS_SECRET);
    let until = r.json["previous_valid_until"].as_str().unwrap();
    assert_eq!(until.parse::<chrono::DateTime<chrono::Utc>>().unwrap(), h.now() + Duration::hours(24));
    // Never shown again.
    let got = h.get("/properties/p-lis", "u-admin").await;
    assert!(!got.text.contains(&new_secret));
    assert_eq!(got.json["webhook_secret_set"], true);
    // Both secrets work during the grace period...
    assert_eq!(h.webhook("p-lis", LIS_SECRET, &event).await.status, StatusCode::OK);
    let mut second = event.clone();
    second["event_id"] = json!("e2");
    second["reservation"]["eta"] = json!("18:00");
    assert_eq!(h.webhook("p-lis", &new_secret, &second).await.status, StatusCode::OK);
    // ...and only the new one after it.
    h.clock.set(h.now() + Duration::hours(25));
    let mut third = event.clone();
    third["event_id"] = json!("e3");
    third["reservation"]["eta"] = json!("19:00");
    assert_eq!(h.webhook("p-lis", LIS_SECRET, &third).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(h.webhook("p-lis", &new_secret, &third).await.status, StatusCode::OK);
}

#[tokio::test]
async fn chatbots_crud() {
    let h = Harness::new().await;
    let r = h
        .post(
            "/chatbots",
            "u-admin",
            json!({"name": "Porto bot", "property_ids": ["p-lis"], "languages": ["pt", "es"],
        "whatsapp": {"phone_number_id": "1234567"}, "sms": {"sender": "CasaAzul"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("bot_"));
    assert_eq!(r.json["sms"]["sender"], "CasaAzul");
    let r = h.put(&format!("/chatbots/{id}"), "u-admin", json!({"sms": null, "languages": ["pt"]})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["sms"], serde_json::Value::Null);
    assert_eq!(r.json["whatsapp"]["phone_number_id"], "1234567");
    assert_eq!(r.json["languages"], json!(["pt"]));
    let r = h
        .post(
            "/chatbots",
            "u-admin",
            json!({"languages": ["Portuguese"], "whatsapp": {"phone_number_id": "abc"},
        "sms": {"sender": "+12"}, "property_ids": ["ghost"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = r.fields();
    for f in ["languages[0]", "whatsapp.phone_number_id", "sms.sender", "property_ids[0]"] {
        assert!(fields.contains(&f.to_string()), "{f} in {fields:?}");
    }
    assert_eq!(h.get("/chatbots", "u-admin").await.json["chatbots"].as_array().unwrap().len(), 4);
    assert_eq!(h.get(&format!("/chatbots/{id}"), "u-admin").await.json["name"], "Porto bot");
}

#[tokio::test]
async fn users_crud_and_the_last_admin_stays() {
    let h = Harness::new().await;
    let r = h
        .post(
            "/users",
            "u-admin",
            json!({"role": "editor", "name": "Rita", "email": "rita@example.com",
        "email_notifications": true, "property_ids": ["p-lis"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("usr_"));
    let r = h.put(&format!("/users/{id}"), "u-admin", json!({"role": "approver", "property_ids": null})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["role"], "approver");
    assert_eq!(r.json["email"], "rita@example.com");
    assert_eq!(r.json["property_ids"], serde_json::Value::Null);
    let r = h.post("/users", "u-admin", json!({"name": "No role", "email": "nope"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.fields().contains(&"role".to_string()) && r.fields().contains(&"email".to_string()));
    let r = h.put("/users/u-admin", "u-admin", json!({"role": "editor"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), Some("last_admin"));
    assert_eq!(h.get("/users", "u-admin").await.json["users"].as_array().unwrap().len(), 6);
}

#[tokio::test]
async fn an_account_can_be_run_through_the_api_alone() {
    let h = Harness::new().await;
    let property = h
        .post(
            "/properties",
            "u2-admin",
            json!({"name": "Beach House", "time_zone": "Europe/Madrid",
        "check_in_time": "16:00", "check_out_time": "10:00", "pms": "smoobu"}),
        )
        .await;
    let property_id = property.json["id"].as_str().unwrap().to_string();
    let secret = h.post(&format!("/properties/{property_id}/webhook-secret"), "u2-admin", json!({})).await.json["webhook_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let bot = h
        .post("/chatbots", "u2-admin", json!({"property_ids": [property_id], "sms": {"sender": "+34600000000"}}))
        .await;
    let bot_id = bot.json["id"].as_str().unwrap().to_string();
    let editor = h.post("/users", "u2-admin", json!({"role": "editor"})).await.json["id"].as_str().unwrap().to_string();
    assert!(editor.starts_with("usr_"));
    let created = h.post("/campaigns", "u2-ed", checkin_campaign(&property_id, &bot_id)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(h.post(&format!("/campaigns/{id}/submit"), "u2-ed", json!({})).await.status, StatusCode::OK);
    assert_eq!(h.post(&format!("/campaigns/{id}/approve"), "u2-admin", json!({})).await.json["status"], "active");
    let mut arrival = reservation_event("e1", &property_id, "b-1", "confirmed", "2026-06-01", "2026-06-04", false);
    assert_eq!(h.webhook(&property_id, &secret, &arrival).await.status, StatusCode::OK);
    arrival["event_id"] = json!("e2");
    arrival["reservation"]["status"] = json!("checked_in");
    assert_eq!(h.webhook(&property_id, &secret, &arrival).await.status, StatusCode::OK);
    let timeline = h.get("/reservations/b-1/messages", "u2-ed").await;
    assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.text);
    assert_eq!(timeline.json["messages"][0]["state"], "sent");
    assert_eq!(timeline.json["messages"][0]["campaign_name"], "Welcome in");
    let sent = h.runtime.outbox.records();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].request.body, "Welcome Ana, room ready!");
}

#[tokio::test]
async fn properties_take_quiet_hours_and_a_default_guest_language_checked_field_by_field() {
    let h = Harness::new().await;
    let r = h
        .put(
            "/properties/p-lis",
            "u-admin",
            json!({"quiet_hours": {"start": "21:00", "end": "08:00"}, "default_guest_language": "pt-PT"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["quiet_hours"], json!({"start": "21:00", "end": "08:00"}));
    assert_eq!(r.json["default_guest_language"], "pt-PT");
    // The wizard reads them from the campaign options (an editor may not read the property).
    let options = h.get("/campaign-options", "u-ed").await;
    let lis = options.json["properties"].as_array().unwrap().iter().find(|p| p["id"] == "p-lis").unwrap().clone();
    assert_eq!(lis["quiet_hours"], json!({"start": "21:00", "end": "08:00"}));
    for (body, field) in [
        (json!({"quiet_hours": {"start": "21:00", "end": "21:00"}}), "quiet_hours.end"),
        (json!({"quiet_hours": {"start": "25:00", "end": "08:00"}}), "quiet_hours.start"),
        (json!({"quiet_hours": {"start": "21:00"}}), "quiet_hours.end"),
        (json!({"quiet_hours": {"start": "21:00", "end": "08:00", "days": []}}), "quiet_hours.days"),
        (json!({"quiet_hours": "21-08"}), "quiet_hours"),
        (json!({"default_guest_language": "portuguese!"}), "default_guest_language"),
        (json!({"default_guest_language": 7}), "default_guest_language"),
    ] {
        let r = h.put("/properties/p-lis", "u-admin", body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["field"], field, "{body}");
    }
    // Nothing stored by the refused bodies; null removes.
    let r = h.get("/properties/p-lis", "u-admin").await;
    assert_eq!(r.json["quiet_hours"], json!({"start": "21:00", "end": "08:00"}));
    let r = h.put("/properties/p-lis", "u-admin", json!({"quiet_hours": null, "default_guest_language": null})).await;
    assert_eq!(r.json["quiet_hours"], serde_json::Value::Null);
    assert_eq!(r.json["default_guest_language"], "en");
    let options = h.get("/campaign-options", "u-ed").await;
    let lis = options.json["properties"].as_array().unwrap().iter().find(|p| p["id"] == "p-lis").unwrap().clone();
    assert_eq!(lis["quiet_hours"], serde_json::Value::Null);
}

#[tokio::test]
async fn every_user_reads_and_changes_their_own_language_and_e_mail_preference() {
    let h = Harness::new().await;
    for user in ["u-view", "u-ed", "u-ap", "u-admin"] {
        let r = h.get("/me", user).await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.text);
        assert_eq!(r.json["id"], user);
        assert_eq!(r.json["language"], "en");
        let r = h.put("/me", user, json!({"language": "fr", "email_notifications": false})).await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.text);
        assert_eq!(r.json["language"], "fr");
        assert_eq!(r.json["email_notifications"], false);
    }
    for (body, field) in [
        (json!({"language": "de"}), "language"),
        (json!({"language": 1}), "language"),
        (json!({"email_notifications": "yes"}), "email_notifications"),
        (json!({"role": "admin"}), "role"),
        (json!({"email": "x@example.com"}), "email"),
        (json!({"id": "u-admin"}), "id"),
        (json!({"nickname": "x"}), "nickname"),
    ] {
        let r = h.put("/me", "u-view", body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {}", r.text);
        assert_eq!(r.json["error"]["field"], field, "{body}");
    }
    let me = h.get("/me", "u-view").await.json;
    assert_eq!(me["role"], "viewer", "nothing stored by a refused body");
    assert_eq!(me["language"], "fr");
    assert_eq!(h.call(Method::GET, "/me", None, None).await.status, StatusCode::UNAUTHORIZED);
}
