//! A router on embedded adapters with a virtual clock and two accounts, driven with
//! `tower::ServiceExt::oneshot` (no network).
#![allow(dead_code)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Utc};
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::Store;
use relais_domain::{Account, Chatbot, Property, Role, User};
use relais_http::auth::{Claims, Hs256, mint_hs256};
use relais_http::{ApiState, CallbackHost, CallbackSettings, router};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const JWT_SECRET: &[u8] = b"test-jwt-secret";
pub const LIS_SECRET: &str = "s3cret-s3cret-s3cret";
pub const P2_SECRET: &str = "other-secret-0000000";
pub const START: &str = "2026-06-01T08:00:00Z";

pub struct Harness {
    pub runtime: Arc<LocalRuntime>,
    pub clock: Arc<VirtualClock>,
    pub state: ApiState,
    pub router: Router,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The `error.field` of an error body.
    pub fn field(&self) -> Option<&str> {
        self.json["error"]["field"].as_str()
    }
    pub fn code(&self) -> Option<&str> {
        self.json["error"]["code"].as_str()
    }
    pub fn fields(&self) -> Vec<String> {
        self.json["errors"].as_array().map_or_else(Vec::new, |errors| {
            errors.iter().filter_map(|e| e["field"].as_str().map(str::to_string)).collect()
        })
    }
}

fn users() -> Vec<(&'static str, &'static str, Role)> {
    vec![
        ("u-admin", "acc-1", Role::Admin),
        ("u-ed", "acc-1", Role::Editor),
        ("u-ap", "acc-1", Role::Approver),
        ("u-view", "acc-1", Role::Viewer),
        ("u-ed-csv", "acc-1", Role::Editor),
        ("u2-admin", "acc-2", Role::Admin),
        ("u2-ed", "acc-2", Role::Editor),
    ]
}

pub fn property(id: &str, account: &str, pms: &str, secret: Option<&str>) -> Property {
    let mut p: Property = serde_json::from_value(json!({
        "id": id, "account_id": account, "name": format!("Property {id}"), "time_zone": "Europe/Lisbon",
        "check_in_time": "15:00", "check_out_time": "11:00", "pms": pms,
        "units": [{"id": "101", "name": "Room 101"}, {"id": "102", "name": "Room 102"}]
    }))
    .unwrap();
    p.webhook_secret = secret.map(str::to_string);
    p
}

pub fn chatbot(id: &str, account: &str, properties: &[&str], whatsapp: bool, sms: bool) -> Chatbot {
    serde_json::from_value(json!({
        "id": id, "account_id": account, "name": format!("Bot {id}"), "property_ids": properties,
        "languages": ["en", "pt", "fr"],
        "whatsapp": if whatsapp { json!({"phone_number_id": "1098765"}) } else { Value::Null },
        "sms": if sms { json!({"sender": "+15550001111"}) } else { Value::Null },
        // The catalogue `campaign_body`'s buttons name.
        "faqs": [{"id": "faq-1", "question": {"en": "Is there parking?"},
                  "answer": {"en": "Yes, free parking on site.", "pt": "Sim, estacionamento gratuito no local."}}],
        "flows": [{"id": "flow-checkin", "name": "Online check-in"}],
    }))
    .unwrap()
}

impl Harness {
    pub async fn new() -> Harness {
        // `relais serve` with no provider settings: unsigned callbacks are taken.
        Harness::with_callbacks(CallbackSettings::from_settings(|_| None, CallbackHost::LocalRunner)).await
    }

    pub async fn with_callbacks(callbacks: CallbackSettings) -> Harness {
        let start: DateTime<Utc> = START.parse().unwrap();
        let clock = Arc::new(VirtualClock::new(start));
        let runtime = Arc::new(LocalRuntime::new(LocalParts { ..LocalParts::in_memory(clock.clone()) }));
        let store = runtime.store.clone();
        for (id, name) in [("acc-1", "Casa Azul"), ("acc-2", "Other Hotels")] {
            store.put_account(&Account { id: id.into(), name: name.into() }).await.unwrap();
        }
        for (id, account, role) in users() {
            let mut user: User = serde_json::from_value(json!({"id": id, "role": role})).unwrap();
            user.account_id = Some(account.into());
            user.name = Some(format!("User {id}"));
            if id == "u-ed" {
                user.email = Some("ed@example.com".into());
                user.email_notifications = true;
            }
            if id == "u-ed-csv" {
                user.property_ids = Some(vec!["p-csv".into()]);
            }
            store.put_user(&user).await.unwrap();
        }
        store.put_property(&property("p-lis", "acc-1", "mews", Some(LIS_SECRET))).await.unwrap();
        store.put_property(&property("p-sched", "acc-1", "sihot", Some(LIS_SECRET))).await.unwrap();
        store.put_property(&property("p-csv", "acc-1", "custom_csv", None)).await.unwrap();
        store.put_property(&property("p-odd", "acc-1", "opera5", None)).await.unwrap();
        store.put_property(&property("p2", "acc-2", "mews", Some(P2_SECRET))).await.unwrap();
        store.put_chatbot(&chatbot("bot-1", "acc-1", &["p-lis", "p-sched", "p-csv"], true, true)).await.unwrap();
        store.put_chatbot(&chatbot("bot-sms", "acc-1", &[], false, true)).await.unwrap();
        store.put_chatbot(&chatbot("bot-none", "acc-1", &[], false, false)).await.unwrap();
        store.put_chatbot(&chatbot("bot-2", "acc-2", &["p2"], true, true)).await.unwrap();

        let mut state = ApiState::new(runtime.app.clone(), Arc::new(Hs256::new(JWT_SECRET)));
        state.callbacks = callbacks;
        let router = router(state.clone());
        Harness { runtime, clock, state, router }
    }

    pub fn now(&self) -> DateTime<Utc> {
        use relais_app::ports::Clock;
        self.clock.now()
    }

    pub fn token(&self, user: &str) -> String {
        let (_, account, role) = users().into_iter().find(|(id, _, _)| *id == user).expect("known test user");
        let exp = Some(self.now().timestamp() + 3600);
        mint_hs256(JWT_SECRET, &Claims { sub: user.into(), account_id: account.into(), role, iat: None, exp }).unwrap()
    }

    pub async fn send(&self, request: Request<Body>) -> Resp {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).to_string();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        // As `relais serve` does after each request: deliver events and jobs.
        self.runtime.drain().await.unwrap();
        Resp { status, headers, text, json }
    }

    pub fn request(
        &self,
        method: Method,
        uri: &str,
        user: Option<&str>,
        body: Option<&Value>,
    ) -> axum::http::request::Builder {
        let _ = body;
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(user) = user {
            builder = builder.header("authorization", format!("Bearer {}", self.token(user)));
        }
        builder
    }

    pub async fn call(&self, method: Method, uri: &str, user: Option<&str>, body: Option<Value>) -> Resp {
        let builder = self.request(method, uri, user, None);
        let body = match body {
            Some(v) => Body::from(serde_json::to_vec(&v).unwrap()),
            None => Body::empty(),
        };
        self.send(builder.header("content-type", "application/json").body(body).unwrap()).await
    }

    pub async fn call_with(
        &self,
        method: Method,
        uri: &str,
        user: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Resp {
        let mut builder = self.request(method, uri, Some(user), None).header("content-type", "application/json");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        let body = body.map_or_else(Body::empty, |v| Body::from(serde_json::to_vec(&v).unwrap()));
        self.send(builder.body(body).unwrap()).await
    }

    pub async fn get(&self, uri: &str, user: &str) -> Resp {
        self.call(Method::GET, uri, Some(user), None).await
    }
    pub async fn post(&self, uri: &str, user: &str, body: Value) -> Resp {
        self.call(Method::POST, uri, Some(user), Some(body)).await
    }
    pub async fn put(&self, uri: &str, user: &str, body: Value) -> Resp {
        self.call(Method::PUT, uri, Some(user), Some(body)).await
    }

    /// A signed canonical webhook for `property` with `secret` at the clock's time.
    pub async fn webhook(&self, property: &str, secret: &str, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).unwrap();
        let ts = self.now().timestamp();
        let signature = relais_domain::intake::sign(secret, ts, &bytes);
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("/webhooks/pms/canonical/{property}"))
            .header("content-type", "application/json")
            .header("X-Relais-Timestamp", ts.to_string())
            .header("X-Relais-Signature", signature)
            .body(Body::from(bytes))
            .unwrap();
        self.send(request).await
    }

    /// Create (editor), submit and approve (approver) a campaign; returns its id.
    pub async fn active_campaign(&self, body: Value) -> String {
        let created = self.post("/campaigns", "u-ed", body).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        let id = created.json["id"].as_str().unwrap().to_string();
        let submitted = self.post(&format!("/campaigns/{id}/submit"), "u-ed", json!({})).await;
        assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.text);
        let approved = self.post(&format!("/campaigns/{id}/approve"), "u-ap", json!({})).await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.text);
        id
    }
}

/// The spec example's campaign, for `property` and `chatbot`.
pub fn campaign_body(property: &str, chatbot: &str) -> Value {
    json!({
        "category": "pre_stay", "name": "Welcome, 3 days out", "property_id": property, "chatbot_id": chatbot,
        "period": {"start": null, "end": null},
        "trigger": {"type": "schedule", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [10]},
        "target": {"status": "confirmed", "anchor": "check_in", "send_offset_days": -3},
        "channel": {"primary": "whatsapp", "fallback": "sms"},
        "messages": {
            "en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}, see you on {{check_in_date}}!"},
                   "sms": {"type": "text", "body": "Hi {{guest_first_name}}, see you on {{check_in_date}}!"}},
            "pt": {"whatsapp": {"type": "quick_reply", "body": "Olá {{guest_first_name}}!",
                                "buttons": [{"title": "Check-in online", "flow_id": "flow-checkin"},
                                            {"title": "Perguntas", "faq_id": "faq-1"}]},
                   "sms": {"type": "text", "body": "Olá {{guest_first_name}}, até {{check_in_date}}!"}}
        },
        "reservation_conditions": [{"type": "source", "op": "in", "value": ["airbnb", "direct"]}],
        "message_conditions": [{"type": "check_in_form_submitted", "value": false}]
    })
}

/// A `status_change` campaign (on check-in) for a property whose PMS delivers events.
pub fn checkin_campaign(property: &str, chatbot: &str) -> Value {
    json!({
        "category": "arrival", "name": "Welcome in", "property_id": property, "chatbot_id": chatbot,
        "trigger": {"type": "status_change"},
        "target": {"status": "checked_in"},
        "channel": {"primary": "sms", "fallback": null},
        "messages": {"en": {"sms": {"type": "text", "body": "Welcome {{guest_first_name}}, room {{unit_name|ready}}!"}}}
    })
}

/// A canonical webhook body.
pub fn reservation_event(
    event_id: &str,
    property: &str,
    id: &str,
    status: &str,
    check_in: &str,
    check_out: &str,
    form: bool,
) -> Value {
    json!({
        "event_id": event_id, "occurred_at": START,
        "reservation": {"id": id, "property_id": property, "unit_id": "101", "source": "airbnb",
            "status": status, "check_in": check_in, "check_out": check_out, "eta": "16:30",
            "guest": {"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com",
                      "phone": "+351912345678", "language": "pt-PT", "hometown": "Porto"},
            "adults": 2, "children": 0, "total_amount": "450.00", "host_payout": "400.00", "balance_due": "0.00",
            "currency": "EUR", "check_in_form_submitted": form, "updated_at": START}
    })
}
