//! PMS webhooks, CSV imports and provider callbacks through the router.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use common::*;
use relais_http::CallbackSettings;
use serde_json::json;

fn signed(h: &Harness, property: &str, secret: &str, body: &[u8], ts: i64) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(format!("/webhooks/pms/canonical/{property}"))
        .header("X-Relais-Timestamp", ts.to_string())
        .header("X-Relais-Signature", relais_domain::intake::sign(secret, ts, body))
        .body(Body::from(body.to_vec()))
        .unwrap_or_else(|_| panic!("{}", h.now()))
}

#[tokio::test]
async fn pms_webhook_statuses_through_the_route() {
    let h = Harness::new().await;
    let event = reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-10", "2026-06-12", false);
    let bytes = serde_json::to_vec(&event).unwrap();
    let now = h.now().timestamp();

    // 401: wrong secret, stale timestamp, missing headers.
    let r = h.send(signed(&h, "p-lis", "wrong-secret", &bytes, now)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), Some("unauthorized"));
    assert_eq!(h.send(signed(&h, "p-lis", LIS_SECRET, &bytes, now - 600)).await.status, StatusCode::UNAUTHORIZED);
    let unsigned = Request::builder()
        .method(Method::POST)
        .uri("/webhooks/pms/canonical/p-lis")
        .body(Body::from(bytes.clone()))
        .unwrap();
    assert_eq!(h.send(unsigned).await.status, StatusCode::UNAUTHORIZED);
    // Another account's secret does not open this property.
    assert_eq!(h.send(signed(&h, "p-lis", P2_SECRET, &bytes, now)).await.status, StatusCode::UNAUTHORIZED);
    assert!(h.runtime.store.all_reservations().is_empty(), "nothing stored");

    // 400 naming the field.
    let mut bad = event.clone();
    bad["reservation"]["check_in"] = json!("10/06/2026");
    let r = h.send(signed(&h, "p-lis", LIS_SECRET, &serde_json::to_vec(&bad).unwrap(), now)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.field(), Some("reservation.check_in"));
    let r = h.send(signed(&h, "p-lis", LIS_SECRET, b"{not json", now)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);

    // 404: unknown property, unknown PMS adapter.
    let r = h.send(signed(&h, "p-nope", LIS_SECRET, &bytes, now)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/webhooks/pms/opera5/p-lis")
                .body(Body::from(bytes.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // 413 over 256 KiB, before anything else.
    let big = vec![b' '; 256 * 1024 + 1];
    let r = h.send(signed(&h, "p-lis", LIS_SECRET, &big, now)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), Some("payload_too_large"));

    // 200 stored, then 200 duplicate with no effect.
    let r = h.send(signed(&h, "p-lis", LIS_SECRET, &bytes, now)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["result"], "stored");
    let record = h.runtime.store.all_reservations();
    let r = h.send(signed(&h, "p-lis", LIS_SECRET, &bytes, now)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json["result"], "duplicate");
    assert_eq!(h.runtime.store.all_reservations(), record);
}

#[tokio::test]
async fn the_timeline_shows_every_message_with_its_states() {
    let h = Harness::new().await;
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
    let r = h.get("/reservations/r-1/messages", "u-view").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["property_id"], "p-lis");
    assert_eq!(r.json["status"], "checked_in");
    assert_eq!(r.json["transitions"].as_array().unwrap().len(), 2);
    let message = &r.json["messages"][0];
    assert_eq!(message["campaign_id"], id.as_str());
    assert_eq!(message["campaign_name"], "Welcome in");
    assert_eq!(message["state"], "sent");
    assert_eq!(message["channel"], "sms");
    let states: Vec<&str> =
        message["timeline"].as_array().unwrap().iter().map(|t| t["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["scheduled", "sending", "sent"]);
    assert!(message["attempts"][0]["provider_message_id"].is_string());
    assert_eq!(h.get("/reservations/r-404/messages", "u-view").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn csv_imports_upsert_rows_and_report_rejections() {
    let h = Harness::new().await;
    let csv = "Ref,Arrival,Departure,Guest,Mobile,State\n\
               C-1,10/06/2026,12/06/2026,Ana Silva,+351912345678,Booked\n\
               C-2,31/02/2026,12/06/2026,Ben Ng,+15550009999,Booked\n\
               C-3,11/06/2026,13/06/2026,Carla Dias,,Booked\n";
    let mapping = json!({"columns": {"id": "Ref", "check_in": "Arrival", "check_out": "Departure", "guest.full_name": "Guest",
        "guest.phone": "Mobile", "status": "State"}, "date_format": "%d/%m/%Y", "status_values": {"Booked": "confirmed"}});
    // Without a saved mapping, a text/csv body is refused naming `mapping`.
    let r = h
        .send(
            h.request(Method::POST, "/imports/csv/p-csv", Some("u-ed"), None)
                .header("content-type", "text/csv")
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("mapping"));
    let r = h.post("/imports/csv/p-csv", "u-ed", json!({"csv": csv, "mapping": mapping})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["accepted"], 2);
    assert_eq!(r.json["stored"], 2);
    assert_eq!(r.json["rejected"][0]["line"], 3);
    assert_eq!(r.json["rejected"][0]["field"], "check_in");
    // The mapping was saved: the same file as text/csv uses it; rows are duplicates now.
    let r = h
        .send(
            h.request(Method::POST, "/imports/csv/p-csv", Some("u-ed"), None)
                .header("content-type", "text/csv")
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["duplicates"], 2);
    // The saved mapping is not shown by the set-up routes as a value, only as a key name.
    let p = h.get("/properties/p-csv", "u-admin").await;
    assert!(!p.text.contains("Arrival"), "{}", p.text);
    // Bad mapping: 422 naming it. Viewer: 403. Not a custom_csv property: 409.
    let r = h.post("/imports/csv/p-csv", "u-ed", json!({"csv": csv, "mapping": {"columns": {"id": "Ref"}}})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.field().unwrap().starts_with("mapping"));
    // A mapping naming a column the file lacks: 422 naming it, and the working mapping is kept.
    let mut misfit = mapping.clone();
    misfit["columns"]["guest.phone"] = json!("Phone number");
    let r = h.post("/imports/csv/p-csv", "u-ed", json!({"csv": csv, "mapping": misfit})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert_eq!(r.field(), Some("mapping.columns.guest.phone"));
    assert!(r.text.contains("Phone number"), "{}", r.text);
    let r = h
        .send(
            h.request(Method::POST, "/imports/csv/p-csv", Some("u-ed"), None)
                .header("content-type", "text/csv")
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(
        (r.status, r.json["duplicates"].clone()),
        (StatusCode::OK, json!(2)),
        "the saved mapping still reads the file"
    );
    assert_eq!(h.post("/imports/csv/p-csv", "u-view", json!({"csv": csv})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(h.post("/imports/csv/p-lis", "u-ed", json!({"csv": csv})).await.status, StatusCode::CONFLICT);
    assert_eq!(h.post("/imports/csv/p-nope", "u-ed", json!({"csv": csv})).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ids_and_guest_texts_are_bounded_on_webhooks_and_csv() {
    let h = Harness::new().await;
    let now = h.now().timestamp();
    let event = reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-10", "2026-06-12", false);
    for (path, value, field) in [
        (&["reservation", "id"][..], json!("r".repeat(100_000)), "reservation.id"),
        (&["reservation", "id"][..], json!("r-1\u{0}"), "reservation.id"),
        (&["reservation", "id"][..], json!("r\n1"), "reservation.id"),
        (&["reservation", "id"][..], json!("\u{202E}1-r"), "reservation.id"),
        (&["reservation", "guest", "first_name"][..], json!("A".repeat(1000)), "reservation.guest.first_name"),
        (&["reservation", "guest", "last_name"][..], json!("Silva\nSTOP"), "reservation.guest.last_name"),
    ] {
        let mut body = event.clone();
        let (last, parents) = path.split_last().unwrap();
        let object = parents.iter().fold(&mut body, |v, k| &mut v[*k]);
        object[*last] = value;
        let r = h.send(signed(&h, "p-lis", LIS_SECRET, &serde_json::to_vec(&body).unwrap(), now)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}: {}", &r.text[..r.text.len().min(300)]);
        assert_eq!(r.code(), Some("invalid_payload"));
        assert_eq!(r.field(), Some(field));
    }
    assert!(h.runtime.store.all_reservations().is_empty(), "nothing stored");

    // A CSV row with a name of 300 characters is rejected naming the row and the field.
    let csv = format!("Ref,Arrival,Departure,Guest\nC-1,2026-06-10,2026-06-12,{}\n", "N".repeat(300));
    let mapping = json!({"columns": {"id": "Ref", "check_in": "Arrival", "check_out": "Departure",
        "guest.full_name": "Guest"}, "date_format": "%Y-%m-%d", "default_status": "confirmed"});
    let r = h.post("/imports/csv/p-csv", "u-ed", json!({"csv": csv, "mapping": mapping})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["accepted"], 0);
    assert_eq!(r.json["rejected"][0]["line"], 2);
    assert!(r.json["rejected"][0]["field"].as_str().unwrap().starts_with("guest."), "{}", r.text);
}

#[tokio::test]
async fn pms_webhook_names_a_missing_field_by_its_full_path() {
    let h = Harness::new().await;
    let now = h.now().timestamp();
    let event = reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-10", "2026-06-12", false);
    for (parent, name, field) in [
        (None, "event_id", "event_id"),
        (None, "occurred_at", "occurred_at"),
        (Some("reservation"), "status", "reservation.status"),
        (Some("reservation"), "updated_at", "reservation.updated_at"),
        (Some("guest"), "first_name", "reservation.guest.first_name"),
    ] {
        let mut body = event.clone();
        let object = match parent {
            None => &mut body,
            Some("reservation") => &mut body["reservation"],
            Some(_) => &mut body["reservation"]["guest"],
        };
        object.as_object_mut().unwrap().remove(name);
        let r = h.send(signed(&h, "p-lis", LIS_SECRET, &serde_json::to_vec(&body).unwrap(), now)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert_eq!(r.code(), Some("invalid_payload"));
        assert_eq!(r.field(), Some(field), "{}", r.text);
    }
    let r = h.send(signed(&h, "p-lis", LIS_SECRET, b"{not json", now)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.field(), Some("body"), "{}", r.text);
    assert!(r.json["error"]["message"].as_str().unwrap().starts_with("not valid JSON"), "{}", r.text);
    assert!(h.runtime.store.all_reservations().is_empty(), "nothing stored");
}

#[tokio::test]
async fn csv_import_refuses_multipart_with_415() {
    let h = Harness::new().await;
    let csv = "Ref,Arrival,Departure,Guest,Mobile,State\nC-1,10/06/2026,12/06/2026,Ana Silva,+351912345678,Booked\n";
    let multipart = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bookings.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--XyZ--\r\n"
    );
    for content_type in ["multipart/form-data; boundary=XyZ", "application/x-www-form-urlencoded"] {
        let r = h
            .send(
                h.request(Method::POST, "/imports/csv/p-csv", Some("u-ed"), None)
                    .header("content-type", content_type)
                    .body(Body::from(multipart.clone()))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}: {}", r.text);
        assert_eq!(r.code(), Some("unsupported_media_type"));
        assert_eq!(r.field(), Some("Content-Type"));
        let message = r.json["error"]["message"].as_str().unwrap();
        assert!(message.contains("text/csv") && message.contains("application/json"), "{message}");
    }
    // The media type's parameters and case do not matter for the accepted ones.
    let r = h
        .send(
            h.request(Method::POST, "/imports/csv/p-csv", Some("u-ed"), None)
                .header("content-type", "Text/CSV; charset=utf-8")
                .body(Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "read as CSV, no mapping saved yet: {}", r.text);
    assert_eq!(r.field(), Some("mapping"));
    // The OpenAPI document lists the 415.
    let doc: serde_json::Value = serde_json::from_str(&relais_http::openapi::document()).unwrap();
    assert!(doc["paths"]["/imports/csv/{property_id}"]["post"]["responses"]["415"].is_object());
}

fn whatsapp_status(wamid: &str, status: &str, code: Option<&str>) -> serde_json::Value {
    let mut s = json!({"id": wamid, "status": status, "timestamp": "1780300800", "recipient_id": "351912345678"});
    if let Some(code) = code {
        s["errors"] = json!([{"code": code.parse::<i64>().unwrap(), "title": "Message undeliverable"}]);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550001111", "phone_number_id": "1098765"},
                  "statuses": [s]}}]}]})
}

#[tokio::test]
async fn whatsapp_callbacks_verify_apply_statuses_and_fall_back() {
    let h = Harness::with_callbacks(CallbackSettings {
        whatsapp_app_secret: Some("app-secret".into()),
        whatsapp_verify_token: Some("verify-me".into()),
        twilio_auth_token: Some("twilio-token".into()),
        public_url: Some("https://relais.example".into()),
        ..CallbackSettings::default()
    })
    .await;
    // Verification GET.
    let r = h
        .call(
            Method::GET,
            "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42",
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text, "42");
    let r = h
        .call(Method::GET, "/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42", None, None)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // A WhatsApp campaign with SMS fallback sends on check-in.
    let mut body = checkin_campaign("p-lis", "bot-1");
    body["channel"] = json!({"primary": "whatsapp", "fallback": "sms"});
    body["messages"]["en"]["whatsapp"] = json!({"type": "text", "body": "Welcome {{guest_first_name}}!"});
    body["messages"]["pt"] = json!({"whatsapp": {"type": "text", "body": "Bem-vinda {{guest_first_name}}!"},
                                    "sms": {"type": "text", "body": "Bem-vinda {{guest_first_name}}!"}});
    h.active_campaign(body).await;
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
    let sent = h.runtime.outbox.records();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].request.channel, relais_domain::Channel::Whatsapp);
    let wamid = sent[0].provider_message_id.clone();

    // Unsigned or badly signed: 401, nothing applied.
    let payload = serde_json::to_vec(&whatsapp_status(&wamid, "failed", Some("131026"))).unwrap();
    let post = |signature: Option<String>, body: Vec<u8>| {
        let mut b = Request::builder()
            .method(Method::POST)
            .uri("/webhooks/whatsapp")
            .header("content-type", "application/json");
        if let Some(s) = signature {
            b = b.header("X-Hub-Signature-256", s);
        }
        b.body(Body::from(body)).unwrap()
    };
    assert_eq!(h.send(post(None, payload.clone())).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        h.send(post(Some(relais_channels::whatsapp_webhook::sign("other", &payload)), payload.clone())).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.runtime.outbox.records().len(), 1);
    // Signed garbage: 400.
    let garbage = b"{\"object\": \"page\"}".to_vec();
    let r = h.send(post(Some(relais_channels::whatsapp_webhook::sign("app-secret", &garbage)), garbage)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Signed failure: the SMS fallback goes out once, even if Meta repeats the webhook.
    for _ in 0..2 {
        let r =
            h.send(post(Some(relais_channels::whatsapp_webhook::sign("app-secret", &payload)), payload.clone())).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let sent = h.runtime.outbox.records();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[1].request.channel, relais_domain::Channel::Sms);
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await;
    assert_eq!(timeline.json["messages"][0]["reason"], "fallback_after:whatsapp_failed");

    // Twilio status callback, signed for the public URL: delivered.
    let sid = sent[1].provider_message_id.clone();
    let form: BTreeMap<String, String> =
        [("MessageSid".to_string(), sid.clone()), ("MessageStatus".to_string(), "delivered".to_string())].into();
    let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(form.iter()).finish();
    let signature =
        relais_channels::twilio_signature("twilio-token", "https://relais.example/webhooks/twilio/status", &form);
    let twilio = |signature: &str, path: &str, body: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("X-Twilio-Signature", signature)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    assert_eq!(h.send(twilio("bad", "/webhooks/twilio/status", &encoded)).await.status, StatusCode::UNAUTHORIZED);
    let r = h.send(twilio(&signature, "/webhooks/twilio/status", &encoded)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let timeline = h.get("/reservations/r-1/messages", "u-ed").await;
    assert_eq!(timeline.json["messages"][0]["state"], "delivered");

    // Inbound STOP opts the number out of SMS.
    let form: BTreeMap<String, String> = [
        ("From".to_string(), "+351912345678".to_string()),
        ("To".to_string(), "+15550001111".to_string()),
        ("Body".to_string(), "Stop".to_string()),
    ]
    .into();
    let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(form.iter()).finish();
    let signature =
        relais_channels::twilio_signature("twilio-token", "https://relais.example/webhooks/twilio/inbound", &form);
    let r = h.send(twilio(&signature, "/webhooks/twilio/inbound", &encoded)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.header("content-type"), Some("text/xml"));
    use relais_app::ports::Store;
    let sms = relais_domain::Channel::Sms;
    assert!(h.runtime.store.is_opted_out(sms, "+15550001111", "+351912345678").await.unwrap());
    assert!(!h.runtime.store.is_opted_out(sms, "+15550002222", "+351912345678").await.unwrap(), "that number only");
    // Missing fields: 400.
    let form: BTreeMap<String, String> = [("Body".to_string(), "hi".to_string())].into();
    let encoded = form_urlencoded::Serializer::new(String::new()).extend_pairs(form.iter()).finish();
    let signature =
        relais_channels::twilio_signature("twilio-token", "https://relais.example/webhooks/twilio/inbound", &form);
    assert_eq!(h.send(twilio(&signature, "/webhooks/twilio/inbound", &encoded)).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn callbacks_without_provider_settings() {
    // Local runner without settings: unsigned callbacks are accepted.
    let h = Harness::new().await;
    let payload = serde_json::to_vec(&whatsapp_status("unknown-wamid", "delivered", None)).unwrap();
    let r = h
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/webhooks/whatsapp")
                .body(Body::from(payload.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = h
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/webhooks/twilio/status")
                .body(Body::from("MessageSid=SM1&MessageStatus=delivered"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Anywhere else (AWS): refused.
    let h = Harness::with_callbacks(CallbackSettings::default()).await;
    let r = h
        .send(Request::builder().method(Method::POST).uri("/webhooks/whatsapp").body(Body::from(payload)).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = h
        .send(
            Request::builder()
                .method(Method::POST)
                .uri("/webhooks/twilio/status")
                .body(Body::from("MessageSid=SM1&MessageStatus=delivered"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Unknown routes and methods: JSON errors.
    let r = h.call(Method::GET, "/nope", None, None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), Some("not_found"));
    let r = h.call(Method::PATCH, "/campaigns", None, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), Some("method_not_allowed"));
}

#[tokio::test]
async fn the_outbox_route_is_local_only_and_account_scoped() {
    let h = Harness::new().await;
    // No outbox source (as in AWS): 404.
    assert_eq!(h.get("/outbox", "u-admin").await.status, StatusCode::NOT_FOUND);
    // Local runner: the outbox file, as JSON lines of Appendix A.4's `sent` kind.
    h.active_campaign(checkin_campaign("p-lis", "bot-1")).await;
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
    let file = std::env::temp_dir().join(format!("relais-outbox-test-{}.jsonl", std::process::id()));
    let lines: Vec<String> = h.runtime.outbox.records().iter().map(|r| serde_json::to_string(r).unwrap()).collect();
    std::fs::write(&file, format!("{}\n{{\"cut\n", lines.join("\n"))).unwrap();
    let mut state = h.state.clone();
    state.outbox = Some(std::sync::Arc::new(relais_http::OutboxFile(file.clone())));
    let local = Harness {
        router: relais_http::router(state.clone()),
        state,
        runtime: h.runtime.clone(),
        clock: h.clock.clone(),
    };
    let r = local.get("/outbox", "u-admin").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/x-ndjson"));
    let lines: Vec<serde_json::Value> = r.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["kind"], "sent");
    assert_eq!(lines[0]["reservation"], "r-1");
    assert_eq!(lines[0]["channel"], "sms");
    assert_eq!(lines[0]["language"], "en");
    assert_eq!(lines[0]["body"], "Welcome Ana, room Room 101!");
    assert_eq!(lines[0]["at"], START);
    let r = local.get("/outbox", "u2-admin").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text, "");
    let _ = std::fs::remove_file(file);
}

/// `{valid}GARBAGE` is not a document: 400 on the webhook, the API and the CSV import, and
/// nothing stored (docs/hardening.md, "One JSON document").
#[tokio::test]
async fn trailing_bytes_after_a_json_document_are_refused_everywhere() {
    let h = Harness::new().await;
    let event = reservation_event("e1", "p-lis", "r-1", "confirmed", "2026-06-10", "2026-06-12", false);
    let now = h.now().timestamp();
    for tail in ["GARBAGE", "{}", " x", "\u{0}"] {
        let mut bytes = serde_json::to_vec(&event).unwrap();
        bytes.extend_from_slice(tail.as_bytes());
        let r = h.send(signed(&h, "p-lis", LIS_SECRET, &bytes, now)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{tail:?}: {}", r.text);
        assert_eq!(r.code(), Some("invalid_payload"), "{tail:?}");
        assert_eq!(r.field(), Some("body"), "{tail:?}");
    }
    assert!(h.runtime.store.all_reservations().is_empty(), "nothing stored");

    let campaign = serde_json::to_vec(&checkin_campaign("p-lis", "bot-1")).unwrap();
    let mut body = campaign.clone();
    body.extend_from_slice(b"GARBAGE");
    let request = h
        .request(Method::POST, "/campaigns", Some("u-ed"), None)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let r = h.send(request).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.code(), Some("invalid_json"));
    assert_eq!(h.get("/campaigns", "u-ed").await.json["campaigns"].as_array().map(Vec::len), Some(0));

    let mut body = serde_json::to_vec(&json!({"csv": "Ref\n", "mapping": null})).unwrap();
    body.extend_from_slice(b"]");
    let request = h
        .request(Method::POST, "/imports/csv/p-csv", Some("u-ed"), None)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let r = h.send(request).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.code(), Some("invalid_json"));
}
