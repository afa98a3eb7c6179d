//! Local fake provider servers (axum on 127.0.0.1:0) that check what the real APIs check and
//! answer with the real success and error shapes (shared/reference/providers.md).
#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const META_TOKEN: &str = "EAAG-test-token";
pub const META_VERSION: &str = "v26.0";
pub const PHONE_NUMBER_ID: &str = "1098765";
pub const WABA_ID: &str = "102290129340398";
pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "twilio-auth-token";

pub async fn serve(router: Router) -> String {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("addr: {e}"),
    };
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

pub fn http(timeout_ms: u64) -> reqwest::Client {
    match reqwest::Client::builder().timeout(Duration::from_millis(timeout_ms)).build() {
        Ok(c) => c,
        Err(e) => panic!("client: {e}"),
    }
}

/// A canned answer the fake gives before its normal behaviour.
#[derive(Clone, Debug)]
pub struct Scripted {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
    pub at: Instant,
}

fn respond(status: u16, retry_after: Option<&str>, body: String, content_type: &str) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(v) = content_type.parse() {
        headers.insert("content-type", v);
    }
    if let Some(ra) = retry_after.and_then(|r| r.parse().ok()) {
        headers.insert("retry-after", ra);
    }
    (StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), headers, body).into_response()
}

// ============================================================ Meta (WhatsApp Cloud API)

#[derive(Clone, Debug)]
pub struct FakeTemplate {
    pub id: String,
    pub name: String,
    pub language: String,
    pub category: String,
    pub params: usize,
    pub status: String,
    pub rejected_reason: Option<String>,
    pub request: Value,
}

#[derive(Default)]
pub struct MetaState {
    pub templates: Mutex<Vec<FakeTemplate>>,
    /// Recipients (digits) that are not WhatsApp users: 131026.
    pub not_on_whatsapp: Mutex<HashSet<String>>,
    /// Recipients that stopped marketing messages: 131050.
    pub marketing_stopped: Mutex<HashSet<String>>,
    /// Recipients with an open 24-hour window (plain text allowed).
    pub window_open: Mutex<HashSet<String>>,
    pub scripted: Mutex<VecDeque<Scripted>>,
    pub requests: Mutex<Vec<Recorded>>,
    pub next_id: Mutex<u64>,
}

pub type Meta = Arc<MetaState>;

impl MetaState {
    pub fn script(&self, status: u16, retry_after: Option<&str>, body: Value) {
        lock(&self.scripted).push_back(Scripted {
            status,
            retry_after: retry_after.map(str::to_string),
            body: body.to_string(),
        });
    }
    pub fn approve(&self, name: &str, language: &str) {
        self.set_status(name, language, "APPROVED", None);
    }
    pub fn set_status(&self, name: &str, language: &str, status: &str, reason: Option<&str>) {
        for t in lock(&self.templates).iter_mut() {
            if t.name == name && t.language == language {
                t.status = status.to_string();
                t.rejected_reason = reason.map(str::to_string);
            }
        }
    }
    pub fn add_approved(&self, name: &str, language: &str, params: usize) {
        let mut templates = lock(&self.templates);
        let id = format!("9{}", templates.len() + 1000);
        templates.push(FakeTemplate {
            id,
            name: name.into(),
            language: language.into(),
            category: "UTILITY".into(),
            params,
            status: "APPROVED".into(),
            rejected_reason: None,
            request: Value::Null,
        });
    }
    pub fn sends(&self) -> Vec<Recorded> {
        lock(&self.requests).iter().filter(|r| r.path.ends_with("/messages")).cloned().collect()
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub fn graph_error(code: i64, message: &str, details: &str) -> Value {
    json!({"error": {
        "message": format!("(#{code}) {message}"),
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "fbtrace_id": "AbCdEfGhIjK"
    }})
}

fn meta_json(status: u16, v: Value) -> Response {
    respond(status, None, v.to_string(), "application/json")
}

fn meta_auth(state: &MetaState, headers: &HeaderMap, path: &str, body: &str) -> Option<Response> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    lock(&state.requests).push(Recorded {
        path: path.to_string(),
        authorization: auth.clone(),
        content_type: headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string),
        body: body.to_string(),
        at: Instant::now(),
    });
    if auth.as_deref() != Some(&format!("Bearer {META_TOKEN}")) {
        return Some(meta_json(
            401,
            json!({"error": {"message": "Invalid OAuth access token - Cannot parse access token", "type": "OAuthException", "code": 190, "fbtrace_id": "A1"}}),
        ));
    }
    if let Some(s) = lock(&state.scripted).pop_front() {
        return Some(respond(s.status, s.retry_after.as_deref(), s.body, "application/json"));
    }
    None
}

async fn meta_send(
    State(state): State<Meta>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).to_string();
    let path = format!("/{version}/{phone_number_id}/messages");
    if let Some(r) = meta_auth(&state, &headers, &path, &text) {
        return r;
    }
    if version != META_VERSION || phone_number_id != PHONE_NUMBER_ID {
        return meta_json(400, graph_error(100, "Invalid parameter", "Unsupported post request"));
    }
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        return meta_json(400, graph_error(100, "Invalid parameter", "body is not JSON"));
    };
    if v["messaging_product"] != "whatsapp" {
        return meta_json(400, graph_error(100, "Invalid parameter", "messaging_product is required"));
    }
    let to = v["to"].as_str().unwrap_or_default().to_string();
    if to.is_empty() || !to.chars().all(|c| c.is_ascii_digit()) {
        return meta_json(400, graph_error(100, "Invalid parameter", "to must be a phone number"));
    }
    match v["type"].as_str() {
        Some("template") => {
            let name = v["template"]["name"].as_str().unwrap_or_default();
            let lang = v["template"]["language"]["code"].as_str().unwrap_or_default();
            let templates = lock(&state.templates).clone();
            let Some(t) = templates.iter().find(|t| t.name == name && t.language == lang && t.status == "APPROVED")
            else {
                return meta_json(
                    404,
                    graph_error(
                        132001,
                        "Template name does not exist in the translation",
                        &format!("template name ({name}) does not exist in {lang}"),
                    ),
                );
            };
            let params = v["template"]["components"]
                .as_array()
                .and_then(|c| c.iter().find(|c| c["type"] == "body"))
                .and_then(|c| c["parameters"].as_array())
                .map(|p| p.len())
                .unwrap_or(0);
            if params != t.params {
                return meta_json(
                    400,
                    graph_error(
                        132000,
                        "Number of parameters does not match the expected number of params",
                        &format!(
                            "body: number of localizable_params ({params}) does not match the expected number of params ({})",
                            t.params
                        ),
                    ),
                );
            }
        }
        Some("text") => {
            if !lock(&state.window_open).contains(&to) {
                return meta_json(
                    400,
                    graph_error(
                        131047,
                        "Re-engagement message",
                        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
                    ),
                );
            }
        }
        _ => return meta_json(400, graph_error(100, "Invalid parameter", "type is required")),
    }
    if lock(&state.not_on_whatsapp).contains(&to) {
        return meta_json(400, graph_error(131026, "Message undeliverable", "Message Undeliverable."));
    }
    if lock(&state.marketing_stopped).contains(&to) {
        return meta_json(
            400,
            graph_error(
                131050,
                "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
                "This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.",
            ),
        );
    }
    let id = {
        let mut n = lock(&state.next_id);
        *n += 1;
        format!("wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI{:08}", *n)
    };
    meta_json(
        200,
        json!({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": id}]}),
    )
}

fn count_placeholders(text: &str) -> usize {
    let mut n = 0;
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        n += 1;
        rest = &rest[i + 2..];
    }
    n
}

async fn meta_create_template(
    State(state): State<Meta>,
    Path((version, waba_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).to_string();
    let path = format!("/{version}/{waba_id}/message_templates");
    if let Some(r) = meta_auth(&state, &headers, &path, &text) {
        return r;
    }
    if waba_id != WABA_ID {
        return meta_json(
            400,
            graph_error(100, "Invalid parameter", "Unsupported post request. Object does not exist"),
        );
    }
    let Ok(v) = serde_json::from_str::<Value>(&text) else {
        return meta_json(400, graph_error(100, "Invalid parameter", "body is not JSON"));
    };
    let name = v["name"].as_str().unwrap_or_default().to_string();
    let language = v["language"].as_str().unwrap_or_default().to_string();
    let category = v["category"].as_str().unwrap_or_default().to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return meta_json(
            400,
            graph_error(
                100,
                "Invalid parameter",
                "name may only contain lowercase characters, numbers and underscores",
            ),
        );
    }
    if !["UTILITY", "MARKETING", "AUTHENTICATION"].contains(&category.as_str()) || language.is_empty() {
        return meta_json(400, graph_error(100, "Invalid parameter", "category and language are required"));
    }
    let Some(components) = v["components"].as_array() else {
        return meta_json(400, graph_error(100, "Invalid parameter", "components is required"));
    };
    let Some(body_c) = components.iter().find(|c| c["type"] == "BODY") else {
        return meta_json(400, graph_error(100, "Invalid parameter", "a BODY component is required"));
    };
    let body_text = body_c["text"].as_str().unwrap_or_default();
    let params = count_placeholders(body_text);
    let examples = body_c["example"]["body_text"][0].as_array().map(|a| a.len()).unwrap_or(0);
    if params != examples {
        return meta_json(
            400,
            graph_error(100, "Invalid parameter", "Number of parameters does not match the number of examples"),
        );
    }
    if let Some(b) = components.iter().find(|c| c["type"] == "BUTTONS") {
        for button in b["buttons"].as_array().cloned().unwrap_or_default() {
            let ok = match button["type"].as_str() {
                Some("QUICK_REPLY") => button["text"].is_string(),
                Some("URL") => {
                    button["text"].is_string() && button["url"].as_str().is_some_and(|u| u.starts_with("https://"))
                }
                Some("PHONE_NUMBER") => button["text"].is_string() && button["phone_number"].is_string(),
                _ => false,
            };
            if !ok {
                return meta_json(400, graph_error(100, "Invalid parameter", "invalid button"));
            }
        }
    }
    let mut templates = lock(&state.templates);
    if templates.iter().any(|t| t.name == name && t.language == language) {
        let mut e = graph_error(100, "Invalid parameter", "Content in this language already exists");
        e["error"]["error_subcode"] = json!(2388024);
        return meta_json(400, e);
    }
    let id = format!("{}", 594425479261596u64 + templates.len() as u64);
    templates.push(FakeTemplate {
        id: id.clone(),
        name,
        language,
        category: category.clone(),
        params,
        status: "PENDING".into(),
        rejected_reason: None,
        request: v,
    });
    meta_json(200, json!({"id": id, "status": "PENDING", "category": category}))
}

fn template_json(t: &FakeTemplate) -> Value {
    json!({"id": t.id, "name": t.name, "language": t.language, "status": t.status, "category": t.category,
           "rejected_reason": t.rejected_reason.clone().unwrap_or_else(|| "NONE".into())})
}

async fn meta_list_templates(
    State(state): State<Meta>,
    Path((version, waba_id)): Path<(String, String)>,
    Query(q): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/{version}/{waba_id}/message_templates");
    if let Some(r) = meta_auth(&state, &headers, &path, "") {
        return r;
    }
    let name = q.get("name").cloned().unwrap_or_default();
    let data: Vec<Value> =
        lock(&state.templates).iter().filter(|t| t.name.contains(&name)).map(template_json).collect();
    meta_json(200, json!({"data": data, "paging": {"cursors": {"before": "a", "after": "b"}}}))
}

async fn meta_get_node(
    State(state): State<Meta>,
    Path((version, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/{version}/{id}");
    if let Some(r) = meta_auth(&state, &headers, &path, "") {
        return r;
    }
    match lock(&state.templates).iter().find(|t| t.id == id) {
        Some(t) => meta_json(200, template_json(t)),
        None => meta_json(400, graph_error(100, "Unsupported get request", "Object does not exist")),
    }
}

pub async fn fake_meta() -> (String, Meta) {
    let state: Meta = Arc::new(MetaState::default());
    let router = Router::new()
        .route("/{version}/{id}/messages", post(meta_send))
        .route("/{version}/{id}/message_templates", post(meta_create_template).get(meta_list_templates))
        .route("/{version}/{id}", get(meta_get_node))
        .with_state(state.clone());
    (serve(router).await, state)
}

// ============================================================ Twilio

#[derive(Default)]
pub struct TwilioState {
    /// Recipients who replied STOP: 21610.
    pub unsubscribed: Mutex<HashSet<String>>,
    /// Landlines: 21614.
    pub landlines: Mutex<HashSet<String>>,
    pub scripted: Mutex<VecDeque<Scripted>>,
    pub requests: Mutex<Vec<Recorded>>,
    pub forms: Mutex<Vec<HashMap<String, String>>>,
}

pub type Twilio = Arc<TwilioState>;

impl TwilioState {
    pub fn script(&self, status: u16, retry_after: Option<&str>, body: Value) {
        lock(&self.scripted).push_back(Scripted {
            status,
            retry_after: retry_after.map(str::to_string),
            body: body.to_string(),
        });
    }
    pub fn script_raw(&self, status: u16, body: &str) {
        lock(&self.scripted).push_back(Scripted { status, retry_after: None, body: body.to_string() });
    }
}

pub fn twilio_error(code: i64, message: &str, status: u16) -> Value {
    json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status})
}

fn tw_json(status: u16, v: Value) -> Response {
    respond(status, None, v.to_string(), "application/json")
}

async fn twilio_create(
    State(state): State<Twilio>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).to_string();
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).map(str::to_string);
    lock(&state.requests).push(Recorded {
        path: format!("/2010-04-01/Accounts/{sid}/Messages.json"),
        authorization: auth.clone(),
        content_type: content_type.clone(),
        body: text.clone(),
        at: Instant::now(),
    });
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{TWILIO_SID}:{TWILIO_TOKEN}")));
    if auth.as_deref() != Some(expected.as_str()) || sid != TWILIO_SID {
        return tw_json(401, twilio_error(20003, "Authenticate", 401));
    }
    if let Some(s) = lock(&state.scripted).pop_front() {
        let ct = if s.body.starts_with('{') { "application/json" } else { "text/html" };
        return respond(s.status, s.retry_after.as_deref(), s.body, ct);
    }
    if !content_type.as_deref().is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")) {
        return tw_json(400, twilio_error(21602, "Message body is required.", 400));
    }
    let form: HashMap<String, String> = form_urlencoded::parse(text.as_bytes()).into_owned().collect();
    lock(&state.forms).push(form.clone());
    let to = form.get("To").cloned().unwrap_or_default();
    if to.is_empty() {
        return tw_json(400, twilio_error(21604, "A 'To' phone number is required.", 400));
    }
    if !form.contains_key("From") && !form.contains_key("MessagingServiceSid") {
        return tw_json(400, twilio_error(21603, "A 'From' phone number is required.", 400));
    }
    if form.get("Body").is_none_or(|b| b.is_empty()) {
        return tw_json(400, twilio_error(21602, "Message body is required.", 400));
    }
    if !(to.starts_with('+') && to.len() >= 8 && to[1..].chars().all(|c| c.is_ascii_digit())) {
        return tw_json(400, twilio_error(21211, &format!("The 'To' number {to} is not a valid phone number."), 400));
    }
    if lock(&state.unsubscribed).contains(&to) {
        return tw_json(400, twilio_error(21610, "Attempt to send to unsubscribed recipient", 400));
    }
    if lock(&state.landlines).contains(&to) {
        return tw_json(400, twilio_error(21614, &format!("'To' number {to} is not a valid mobile number"), 400));
    }
    let n = lock(&state.forms).len();
    let sid = format!("SM{:032x}", n);
    let body = form.get("Body").cloned().unwrap_or_default();
    let segments = relais_domain::sms::segments(&body).segments;
    tw_json(
        201,
        json!({
            "account_sid": TWILIO_SID, "api_version": "2010-04-01", "body": body,
            "date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "date_sent": null, "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
            "direction": "outbound-api", "error_code": null, "error_message": null,
            "from": form.get("From"), "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0", "num_segments": segments.to_string(), "price": null, "price_unit": "USD",
            "sid": sid, "status": "queued", "to": to,
            "uri": format!("/2010-04-01/Accounts/{TWILIO_SID}/Messages/{sid}.json")
        }),
    )
}

pub async fn fake_twilio() -> (String, Twilio) {
    let state: Twilio = Arc::new(TwilioState::default());
    let router =
        Router::new().route("/2010-04-01/Accounts/{sid}/Messages.json", post(twilio_create)).with_state(state.clone());
    (serve(router).await, state)
}

/// A server that accepts connections and never answers.
pub async fn black_hole() -> String {
    async fn hang() -> &'static str {
        tokio::time::sleep(Duration::from_secs(120)).await;
        "late"
    }
    let router = Router::new().fallback(hang);
    serve(router).await
}

/// An address nothing listens on.
pub async fn closed_port() -> String {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(l) => l,
        Err(e) => panic!("bind: {e}"),
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(e) => panic!("addr: {e}"),
    };
    drop(listener);
    format!("http://{addr}")
}

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/providers/{name}", manifest_dir());
    match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => panic!("{path}: {e}"),
    }
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
