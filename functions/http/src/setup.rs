//! Set-up routes for the `admin` role (SPEC 6): properties, chatbots, users, webhook-secret
//! rotation. Ids are assigned by the server. Secrets and credentials are write-only: no
//! response returns them, except the new webhook secret once, on rotation.
//!
//! POST takes the whole object; PUT takes any subset (a field left out keeps its value, which
//! is the only sensible reading for write-only fields the client cannot read back).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, LOCATION};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Duration;
use chrono_tz::Tz;
use relais_domain::formats::{is_e164, is_https_url, is_language_tag};
use relais_domain::language::DEFAULT_LANGUAGE;
use relais_domain::time::LocalTime;
use relais_domain::validate::FieldError;
use relais_domain::{
    Chatbot, PmsCredentials, Property, QuietHours, Role, RotatedSecret, SmsSettings, Unit, User, UserLanguage,
    WhatsAppSettings, catalogue,
};
use serde_json::{Map, Value, json};

use crate::auth::{random_id, random_secret};
use crate::error::{ApiError, ApiResult};
use crate::schema::{
    ChatbotInput, ChatbotList, ChatbotView, ErrorBody, MeInput, PropertyInput, PropertyList, PropertyView,
    RotatedSecret as RotatedDoc, UserInput, UserList, UserView,
};
use crate::{ApiState, Caller, PathParam, json_body};

/// How long the previous webhook secret stays valid after a rotation.
pub const ROTATION_GRACE_HOURS: i64 = 24;
/// Key of the saved CSV column mapping inside a property's PMS credentials (see `imports`).
pub const CSV_MAPPING_KEY: &str = "csv_mapping";

// ---------------------------------------------------------------- a small field checker

enum Field<'a> {
    Absent,
    Null,
    Value(&'a Value),
}

#[derive(Default)]
struct Check {
    errors: Vec<FieldError>,
}

impl Check {
    fn err(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(ApiError::field_error(field, code, message));
    }

    fn object<'a>(&mut self, path: &str, value: &'a Value) -> Option<&'a Map<String, Value>> {
        match value.as_object() {
            Some(map) => Some(map),
            None => {
                self.err(path, "invalid_type", "expected an object");
                None
            }
        }
    }

    fn only(&mut self, prefix: &str, map: &Map<String, Value>, allowed: &[&str], read_only: &[&str]) {
        for key in map.keys() {
            let path = format!("{prefix}{key}");
            if read_only.contains(&key.as_str()) {
                self.err(&path, "read_only", format!("`{key}` is set by the server"));
            } else if !allowed.contains(&key.as_str()) {
                self.err(&path, "unknown_field", format!("unknown field `{key}`"));
            }
        }
    }

    fn field<'a>(&mut self, map: &'a Map<String, Value>, key: &str, required: bool) -> Field<'a> {
        match map.get(key) {
            None if required => {
                self.err(key, "required", format!("`{key}` is required"));
                Field::Absent
            }
            None => Field::Absent,
            Some(Value::Null) if required => {
                self.err(key, "required", format!("`{key}` is required"));
                Field::Null
            }
            Some(Value::Null) => Field::Null,
            Some(value) => Field::Value(value),
        }
    }

    fn string(&mut self, path: &str, value: &Value, max: usize) -> Option<String> {
        let Some(text) = value.as_str() else {
            self.err(path, "invalid_type", "expected a string");
            return None;
        };
        let text = text.trim();
        if text.is_empty() {
            self.err(path, "empty", "may not be empty");
            return None;
        }
        if text.chars().count() > max {
            self.err(path, "too_long", format!("at most {max} characters"));
            return None;
        }
        if text.chars().any(char::is_control) {
            self.err(path, "invalid_format", "may not contain control characters");
            return None;
        }
        Some(text.to_string())
    }

    fn strings(&mut self, path: &str, value: &Value, max_items: usize, max_len: usize) -> Option<Vec<String>> {
        let Some(items) = value.as_array() else {
            self.err(path, "invalid_type", "expected an array of strings");
            return None;
        };
        if items.len() > max_items {
            self.err(path, "too_many", format!("at most {max_items} items"));
            return None;
        }
        let mut out: Vec<String> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let item_path = format!("{path}[{i}]");
            if let Some(s) = self.string(&item_path, item, max_len) {
                if out.contains(&s) {
                    self.err(&item_path, "duplicate", "listed twice");
                } else {
                    out.push(s);
                }
            }
        }
        Some(out)
    }

    fn local_time(&mut self, path: &str, value: &Value) -> Option<LocalTime> {
        match value.as_str().map(str::parse::<LocalTime>) {
            Some(Ok(t)) => Some(t),
            Some(Err(_)) => {
                self.err(path, "invalid_format", "expected a local time written HH:MM");
                None
            }
            None => {
                self.err(path, "invalid_type", "expected a string HH:MM");
                None
            }
        }
    }

    fn time_zone(&mut self, path: &str, value: &Value) -> Option<Tz> {
        match value.as_str().map(str::parse::<Tz>) {
            Some(Ok(tz)) => Some(tz),
            Some(Err(_)) => {
                self.err(path, "invalid_value", "expected an IANA time zone, e.g. Europe/Lisbon");
                None
            }
            None => {
                self.err(path, "invalid_type", "expected a string");
                None
            }
        }
    }

    fn boolean(&mut self, path: &str, value: &Value) -> Option<bool> {
        let b = value.as_bool();
        if b.is_none() {
            self.err(path, "invalid_type", "expected true or false");
        }
        b
    }

    fn done(self) -> ApiResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(self.errors)) }
    }
}

fn is_pms_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn created(location: String, body: impl serde::Serialize) -> Response {
    let mut response = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

// ---------------------------------------------------------------- properties

const PROPERTY_FIELDS: &[&str] = &[
    "name",
    "time_zone",
    "check_in_time",
    "check_out_time",
    "pms",
    "units",
    "pms_credentials",
    "webhook_secret",
    "default_guest_language",
    "quiet_hours",
];
const SERVER_FIELDS: &[&str] = &["id", "account_id"];

fn property_view(property: &Property) -> Value {
    let mut credentials: Vec<String> = Vec::new();
    if let Some(c) = &property.pms_credentials {
        if c.api_base.is_some() {
            credentials.push("api_base".into());
        }
        credentials.extend(c.values.keys().cloned());
    }
    json!({
        "id": property.id,
        "account_id": property.account_id,
        "name": property.name,
        "time_zone": property.time_zone.name(),
        "check_in_time": property.check_in_time,
        "check_out_time": property.check_out_time,
        "pms": property.pms,
        "pms_in_catalogue": catalogue::lookup(&property.pms).is_some(),
        "units": property.units,
        "default_guest_language": property.default_guest_language.as_deref().unwrap_or(DEFAULT_LANGUAGE),
        "quiet_hours": property.quiet_hours,
        "webhook_secret_set": property.webhook_secret.is_some(),
        "previous_webhook_secret_valid_until": property.previous_webhook_secret.as_ref().map(|p| p.valid_until),
        "pms_credentials_set": credentials,
        "webhook_path": format!("/webhooks/pms/canonical/{}", property.id),
        "vendor_webhook_path": relais_pms::VENDORS
            .contains(&property.pms.as_str())
            .then(|| format!("/webhooks/pms/{}/{}?token=<webhook secret>", property.pms, property.id)),
    })
}

fn units(c: &mut Check, value: &Value) -> Option<Vec<Unit>> {
    let Some(items) = value.as_array() else {
        c.err("units", "invalid_type", "expected an array of {id, name}");
        return None;
    };
    if items.len() > 2000 {
        c.err("units", "too_many", "at most 2000 units");
        return None;
    }
    let mut out: Vec<Unit> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("units[{i}]");
        let Some(map) = c.object(&path, item) else { continue };
        c.only(&format!("{path}."), map, &["id", "name"], &[]);
        let id = match map.get("id") {
            Some(v) => c.string(&format!("{path}.id"), v, 64),
            None => {
                c.err(&format!("{path}.id"), "required", "`id` is required");
                None
            }
        };
        let name = match map.get("name") {
            None | Some(Value::Null) => None,
            Some(v) => c.string(&format!("{path}.name"), v, 100),
        };
        if let Some(id) = id {
            if out.iter().any(|u| u.id == id) {
                c.err(&format!("{path}.id"), "duplicate", "unit id listed twice");
            } else {
                out.push(Unit { id, name });
            }
        }
    }
    Some(out)
}

fn quiet_hours(c: &mut Check, value: &Value) -> Option<QuietHours> {
    let map = c.object("quiet_hours", value)?;
    c.only("quiet_hours.", map, &["start", "end"], &[]);
    let time = |c: &mut Check, key: &str| {
        let path = format!("quiet_hours.{key}");
        match map.get(key) {
            None | Some(Value::Null) => {
                c.err(&path, "required", format!("`{key}` is required"));
                None
            }
            Some(v) => c.local_time(&path, v),
        }
    };
    let (start, end) = (time(c, "start"), time(c, "end"));
    let quiet = QuietHours { start: start?, end: end? };
    if quiet.is_empty() {
        c.err("quiet_hours.end", "invalid_value", QuietHours::EMPTY_MESSAGE);
        return None;
    }
    Some(quiet)
}

fn credentials(c: &mut Check, value: &Value, previous: Option<&PmsCredentials>) -> Option<PmsCredentials> {
    let map = c.object("pms_credentials", value)?;
    c.only("pms_credentials.", map, &["api_base", "values"], &[]);
    let api_base = match map.get("api_base") {
        None | Some(Value::Null) => None,
        Some(v) => match c.string("pms_credentials.api_base", v, 500) {
            Some(url) if is_https_url(&url) => Some(url),
            Some(_) => {
                c.err("pms_credentials.api_base", "invalid_url", "expected an https URL");
                None
            }
            None => None,
        },
    };
    let mut values = BTreeMap::new();
    match map.get("values") {
        None | Some(Value::Null) => {}
        Some(Value::Object(entries)) => {
            if entries.len() > 50 {
                c.err("pms_credentials.values", "too_many", "at most 50 values");
            }
            for (key, v) in entries {
                let path = format!("pms_credentials.values.{key}");
                if key.is_empty() || key.len() > 64 || key == CSV_MAPPING_KEY {
                    c.err(&path, "invalid_value", "keys are 1 to 64 characters (csv_mapping is reserved)");
                    continue;
                }
                match v.as_str() {
                    Some(s) if s.len() <= 4096 => {
                        values.insert(key.clone(), s.to_string());
                    }
                    Some(_) => c.err(&path, "too_long", "at most 4096 bytes"),
                    None => c.err(&path, "invalid_type", "expected a string"),
                }
            }
        }
        Some(_) => c.err("pms_credentials.values", "invalid_type", "expected an object of strings"),
    }
    // The saved CSV mapping is not a credential the client manages here: keep it.
    if let Some(mapping) = previous.and_then(|p| p.values.get(CSV_MAPPING_KEY)) {
        values.insert(CSV_MAPPING_KEY.to_string(), mapping.clone());
    }
    Some(PmsCredentials { api_base, values })
}

/// Apply a property body onto `property`. `creating`: every main field is required.
fn apply_property(c: &mut Check, map: &Map<String, Value>, property: &mut Property, creating: bool) {
    let mut read_only: Vec<&str> = SERVER_FIELDS.to_vec();
    if !creating {
        read_only.push("webhook_secret");
    }
    let allowed: Vec<&str> = PROPERTY_FIELDS.iter().copied().filter(|f| !read_only.contains(f)).collect();
    c.only("", map, &allowed, &read_only);
    if !creating
        && map.contains_key("webhook_secret")
        && let Some(last) = c.errors.iter_mut().find(|e| e.field == "webhook_secret")
    {
        last.message = "rotate the secret with POST /properties/{id}/webhook-secret".into();
    }
    if let Field::Value(v) = c.field(map, "name", creating)
        && let Some(name) = c.string("name", v, 100)
    {
        property.name = name;
    }
    if let Field::Value(v) = c.field(map, "time_zone", creating)
        && let Some(tz) = c.time_zone("time_zone", v)
    {
        property.time_zone = tz;
    }
    if let Field::Value(v) = c.field(map, "check_in_time", creating)
        && let Some(t) = c.local_time("check_in_time", v)
    {
        property.check_in_time = t;
    }
    if let Field::Value(v) = c.field(map, "check_out_time", creating)
        && let Some(t) = c.local_time("check_out_time", v)
    {
        property.check_out_time = t;
    }
    if let Field::Value(v) = c.field(map, "pms", creating)
        && let Some(pms) = c.string("pms", v, 40)
    {
        if is_pms_id(&pms) {
            property.pms = pms;
        } else {
            c.err("pms", "invalid_format", "a PMS id: lower-case letters, digits and _ (e.g. mews, custom_csv)");
        }
    }
    match c.field(map, "units", false) {
        Field::Absent => {}
        Field::Null => property.units = Vec::new(),
        Field::Value(v) => {
            if let Some(u) = units(c, v) {
                property.units = u;
            }
        }
    }
    match c.field(map, "pms_credentials", false) {
        Field::Absent => {}
        Field::Null => {
            let mapping = property.pms_credentials.as_ref().and_then(|p| p.values.get(CSV_MAPPING_KEY)).cloned();
            property.pms_credentials = mapping
                .map(|m| PmsCredentials { api_base: None, values: BTreeMap::from([(CSV_MAPPING_KEY.to_string(), m)]) });
        }
        Field::Value(v) => {
            if let Some(creds) = credentials(c, v, property.pms_credentials.as_ref()) {
                property.pms_credentials = Some(creds);
            }
        }
    }
    match c.field(map, "default_guest_language", false) {
        Field::Absent => {}
        Field::Null => property.default_guest_language = None,
        Field::Value(v) => match c.string("default_guest_language", v, 35) {
            Some(tag) if is_language_tag(&tag) => property.default_guest_language = Some(tag),
            Some(_) => c.err("default_guest_language", "invalid_format", "a BCP 47 language tag, e.g. en or pt-BR"),
            None => {}
        },
    }
    match c.field(map, "quiet_hours", false) {
        Field::Absent => {}
        Field::Null => property.quiet_hours = None,
        Field::Value(v) => {
            if let Some(quiet) = quiet_hours(c, v) {
                property.quiet_hours = Some(quiet);
            }
        }
    }
    if creating && let Field::Value(v) = c.field(map, "webhook_secret", false) {
        match v.as_str() {
            Some(s) if (16..=256).contains(&s.len()) && !s.chars().any(char::is_whitespace) => {
                property.webhook_secret = Some(s.to_string());
            }
            Some(_) => c.err("webhook_secret", "invalid_value", "16 to 256 characters, no spaces"),
            None => c.err("webhook_secret", "invalid_type", "expected a string"),
        }
    }
}

async fn own_property(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Property> {
    state
        .app
        .store
        .get_property(id)
        .await?
        .filter(|p| p.account_id.as_deref() == Some(caller.0.account_id.as_str()))
        .ok_or_else(|| ApiError::not_found("property"))
}

#[utoipa::path(get, path = "/properties", tag = "set-up",
    responses((status = 200, body = PropertyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_properties(State(state): State<ApiState>, caller: Caller) -> ApiResult<Response> {
    caller.require_admin()?;
    let mut properties = state.app.store.list_properties(&caller.0.account_id).await?;
    properties.sort_by(|a, b| a.id.cmp(&b.id));
    let views: Vec<Value> = properties.iter().map(property_view).collect();
    Ok(crate::json_response(StatusCode::OK, json!({ "properties": views })))
}

#[utoipa::path(post, path = "/properties", tag = "set-up",
    request_body = PropertyInput,
    responses((status = 201, body = PropertyView, headers(("Location" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_property(State(state): State<ApiState>, caller: Caller, body: Body) -> ApiResult<Response> {
    caller.require_admin()?;
    let body = json_body(body, true).await?;
    let mut c = Check::default();
    let Some(map) = c.object("", &body) else { return Err(ApiError::invalid(c.errors)) };
    let Some(midnight) = LocalTime::new(0, 0) else {
        return Err(ApiError::unavailable(&"00:00 refused"));
    };
    let mut property = Property {
        id: String::new(),
        account_id: Some(caller.0.account_id.clone()),
        name: String::new(),
        time_zone: Tz::UTC,
        check_in_time: midnight,
        check_out_time: midnight,
        pms: String::new(),
        webhook_secret: None,
        previous_webhook_secret: None,
        units: Vec::new(),
        pms_credentials: None,
        default_guest_language: None,
        quiet_hours: None,
    };
    apply_property(&mut c, map, &mut property, true);
    c.done()?;
    property.id = fresh_id(&state, "prop", Kind::Property).await?;
    state.app.store.put_property(&property).await?;
    tracing::info!(property_id = %property.id, "property created");
    Ok(created(format!("/properties/{}", property.id), property_view(&property)))
}

#[utoipa::path(get, path = "/properties/{id}", tag = "set-up",
    params(("id" = String, Path)),
    responses((status = 200, body = PropertyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_property(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let property = own_property(&state, &caller, &id).await?;
    Ok(crate::json_response(StatusCode::OK, property_view(&property)))
}

#[utoipa::path(put, path = "/properties/{id}", tag = "set-up",
    params(("id" = String, Path)),
    request_body(content = PropertyInput, description = "Any subset of the fields; left out = unchanged. `webhook_secret` is not accepted here (rotate it)."),
    responses((status = 200, body = PropertyView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_property(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    body: Body,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let mut property = own_property(&state, &caller, &id).await?;
    let body = json_body(body, true).await?;
    let mut c = Check::default();
    let Some(map) = c.object("", &body) else { return Err(ApiError::invalid(c.errors)) };
    apply_property(&mut c, map, &mut property, false);
    c.done()?;
    state.app.store.put_property(&property).await?;
    tracing::info!(property_id = %property.id, "property updated");
    Ok(crate::json_response(StatusCode::OK, property_view(&property)))
}

#[utoipa::path(post, path = "/properties/{id}/webhook-secret", tag = "set-up",
    description = "Rotate the property's webhook secret. The new secret is returned this once; the previous one stays valid for 24 hours.",
    params(("id" = String, Path)),
    responses((status = 200, body = RotatedDoc), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rotate_webhook_secret(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let mut property = own_property(&state, &caller, &id).await?;
    let now = state.app.clock.now();
    let secret = random_secret().map_err(|e| ApiError::unavailable(&e))?;
    if let Some(old) = property.webhook_secret.take() {
        property.previous_webhook_secret =
            Some(RotatedSecret { secret: old, valid_until: now + Duration::hours(ROTATION_GRACE_HOURS) });
    }
    property.webhook_secret = Some(secret.clone());
    state.app.store.put_property(&property).await?;
    tracing::info!(property_id = %property.id, "webhook secret rotated");
    let body = json!({
        "property_id": property.id,
        "webhook_secret": secret,
        "previous_valid_until": property.previous_webhook_secret.as_ref().map(|p| p.valid_until),
    });
    let mut response = crate::json_response(StatusCode::OK, body);
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

// ---------------------------------------------------------------- chatbots

const CHATBOT_FIELDS: &[&str] = &["name", "property_ids", "languages", "whatsapp", "sms", "faqs", "flows"];

fn chatbot_view(chatbot: &Chatbot) -> Value {
    json!({
        "id": chatbot.id,
        "account_id": chatbot.account_id,
        "name": chatbot.name,
        "property_ids": chatbot.property_ids,
        "languages": chatbot.languages,
        "whatsapp": chatbot.whatsapp,
        "sms": chatbot.sms,
        "faqs": chatbot.faqs,
        "flows": chatbot.flows,
    })
}

fn is_sender(s: &str) -> bool {
    is_e164(s)
        || ((1..=11).contains(&s.len())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
            && s.chars().any(|c| c.is_ascii_alphabetic()))
}

fn apply_chatbot(c: &mut Check, map: &Map<String, Value>, chatbot: &mut Chatbot, account_properties: &[Property]) {
    c.only("", map, CHATBOT_FIELDS, SERVER_FIELDS);
    match c.field(map, "name", false) {
        Field::Absent => {}
        Field::Null => chatbot.name = None,
        Field::Value(v) => chatbot.name = c.string("name", v, 100).or(chatbot.name.take()),
    }
    match c.field(map, "property_ids", false) {
        Field::Absent => {}
        Field::Null => chatbot.property_ids = Vec::new(),
        Field::Value(v) => {
            if let Some(ids) = c.strings("property_ids", v, 1000, 200) {
                for (i, id) in ids.iter().enumerate() {
                    if !account_properties.iter().any(|p| &p.id == id) {
                        c.err(&format!("property_ids[{i}]"), "unknown_reference", "no such property in this account");
                    }
                }
                chatbot.property_ids = ids;
            }
        }
    }
    match c.field(map, "languages", false) {
        Field::Absent => {}
        Field::Null => chatbot.languages = Vec::new(),
        Field::Value(v) => {
            if let Some(tags) = c.strings("languages", v, 50, 35) {
                for (i, tag) in tags.iter().enumerate() {
                    if !is_language_tag(tag) {
                        c.err(
                            &format!("languages[{i}]"),
                            "invalid_value",
                            "expected a language tag such as pt or pt-BR",
                        );
                    }
                }
                chatbot.languages = tags;
            }
        }
    }
    match c.field(map, "whatsapp", false) {
        Field::Absent => {}
        Field::Null => chatbot.whatsapp = None,
        Field::Value(v) => {
            if let Some(w) = c.object("whatsapp", v) {
                c.only("whatsapp.", w, &["phone_number_id", "waba_id"], &[]);
                let digits = |s: &str| !s.is_empty() && s.len() <= 32 && s.chars().all(|ch| ch.is_ascii_digit());
                let phone_number_id = match w.get("phone_number_id") {
                    Some(v) => match c.string("whatsapp.phone_number_id", v, 32) {
                        Some(s) if digits(&s) => Some(s),
                        Some(_) => {
                            c.err(
                                "whatsapp.phone_number_id",
                                "invalid_format",
                                "the WhatsApp phone number id (digits)",
                            );
                            None
                        }
                        None => None,
                    },
                    None => {
                        c.err("whatsapp.phone_number_id", "required", "`phone_number_id` is required");
                        None
                    }
                };
                let waba_id = match w.get("waba_id") {
                    None | Some(Value::Null) => None,
                    Some(v) => match c.string("whatsapp.waba_id", v, 32) {
                        Some(s) if digits(&s) => Some(s),
                        Some(_) => {
                            c.err("whatsapp.waba_id", "invalid_format", "the WhatsApp Business Account id (digits)");
                            None
                        }
                        None => None,
                    },
                };
                if let Some(phone_number_id) = phone_number_id {
                    chatbot.whatsapp = Some(WhatsAppSettings { phone_number_id, waba_id });
                }
            }
        }
    }
    match c.field(map, "sms", false) {
        Field::Absent => {}
        Field::Null => chatbot.sms = None,
        Field::Value(v) => {
            if let Some(s) = c.object("sms", v) {
                c.only("sms.", s, &["sender"], &[]);
                match s.get("sender") {
                    Some(v) => match c.string("sms.sender", v, 16) {
                        Some(sender) if is_sender(&sender) => chatbot.sms = Some(SmsSettings { sender }),
                        Some(_) => c.err(
                            "sms.sender",
                            "invalid_format",
                            "an E.164 number (+15550001111) or an alphanumeric sender id of 1 to 11 characters",
                        ),
                        None => {}
                    },
                    None => c.err("sms.sender", "required", "`sender` is required"),
                }
            }
        }
    }
    // The catalogue is checked by the domain's walk, the same as in scenario files.
    match c.field(map, "faqs", false) {
        Field::Absent => {}
        Field::Null => chatbot.faqs = Vec::new(),
        Field::Value(v) => match relais_domain::validate::parse_faqs("faqs", v) {
            Ok(faqs) => chatbot.faqs = faqs,
            Err(errors) => c.errors.extend(errors),
        },
    }
    match c.field(map, "flows", false) {
        Field::Absent => {}
        Field::Null => chatbot.flows = Vec::new(),
        Field::Value(v) => match relais_domain::validate::parse_flows("flows", v) {
            Ok(flows) => chatbot.flows = flows,
            Err(errors) => c.errors.extend(errors),
        },
    }
}

/// A chatbot change must not leave a quick-reply button of a live campaign naming an FAQ or
/// flow that is gone: the button would do nothing when tapped.
async fn refuse_orphaned_buttons(state: &ApiState, chatbot: &Chatbot) -> ApiResult<()> {
    let campaigns = state.app.store.list_campaigns(chatbot.account_id.as_deref().unwrap_or_default()).await?;
    for campaign in &campaigns {
        if let Some(field) = relais_domain::validate::orphaned_buttons(chatbot, campaign).into_iter().next() {
            return Err(ApiError::conflict(
                "buttons_orphaned",
                format!(
                    "campaign '{}' has a quick-reply button ({field}) naming an FAQ or flow this change removes; \
                     change or archive the campaign first",
                    campaign.id
                ),
            )
            .with_field(if field.ends_with("faq_id") { "faqs" } else { "flows" }));
        }
    }
    Ok(())
}

async fn own_chatbot(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<Chatbot> {
    state
        .app
        .store
        .get_chatbot(id)
        .await?
        .filter(|b| b.account_id.as_deref() == Some(caller.0.account_id.as_str()))
        .ok_or_else(|| ApiError::not_found("chatbot"))
}

#[utoipa::path(get, path = "/chatbots", tag = "set-up",
    responses((status = 200, body = ChatbotList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_chatbots(State(state): State<ApiState>, caller: Caller) -> ApiResult<Response> {
    caller.require_admin()?;
    let mut chatbots = state.app.store.list_chatbots(&caller.0.account_id).await?;
    chatbots.sort_by(|a, b| a.id.cmp(&b.id));
    let views: Vec<Value> = chatbots.iter().map(chatbot_view).collect();
    Ok(crate::json_response(StatusCode::OK, json!({ "chatbots": views })))
}

#[utoipa::path(post, path = "/chatbots", tag = "set-up",
    request_body = ChatbotInput,
    responses((status = 201, body = ChatbotView, headers(("Location" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_chatbot(State(state): State<ApiState>, caller: Caller, body: Body) -> ApiResult<Response> {
    caller.require_admin()?;
    let body = json_body(body, true).await?;
    let properties = state.app.store.list_properties(&caller.0.account_id).await?;
    let mut c = Check::default();
    let Some(map) = c.object("", &body) else { return Err(ApiError::invalid(c.errors)) };
    let mut chatbot = Chatbot {
        id: String::new(),
        account_id: Some(caller.0.account_id.clone()),
        name: None,
        property_ids: Vec::new(),
        languages: Vec::new(),
        whatsapp: None,
        sms: None,
        faqs: Vec::new(),
        flows: Vec::new(),
    };
    apply_chatbot(&mut c, map, &mut chatbot, &properties);
    c.done()?;
    chatbot.id = fresh_id(&state, "bot", Kind::Chatbot).await?;
    state.app.store.put_chatbot(&chatbot).await?;
    tracing::info!(chatbot_id = %chatbot.id, "chatbot created");
    Ok(created(format!("/chatbots/{}", chatbot.id), chatbot_view(&chatbot)))
}

#[utoipa::path(get, path = "/chatbots/{id}", tag = "set-up",
    params(("id" = String, Path)),
    responses((status = 200, body = ChatbotView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_chatbot(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let chatbot = own_chatbot(&state, &caller, &id).await?;
    Ok(crate::json_response(StatusCode::OK, chatbot_view(&chatbot)))
}

#[utoipa::path(put, path = "/chatbots/{id}", tag = "set-up",
    params(("id" = String, Path)),
    request_body(content = ChatbotInput, description = "Any subset of the fields; left out = unchanged, null removes."),
    responses((status = 200, body = ChatbotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The change would leave a quick-reply button of a campaign (not archived) naming an FAQ or flow that is gone", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_chatbot(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    body: Body,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let mut chatbot = own_chatbot(&state, &caller, &id).await?;
    let body = json_body(body, true).await?;
    let properties = state.app.store.list_properties(&caller.0.account_id).await?;
    let mut c = Check::default();
    let Some(map) = c.object("", &body) else { return Err(ApiError::invalid(c.errors)) };
    apply_chatbot(&mut c, map, &mut chatbot, &properties);
    c.done()?;
    refuse_orphaned_buttons(&state, &chatbot).await?;
    state.app.store.put_chatbot(&chatbot).await?;
    tracing::info!(chatbot_id = %chatbot.id, "chatbot updated");
    Ok(crate::json_response(StatusCode::OK, chatbot_view(&chatbot)))
}

// ---------------------------------------------------------------- users

const USER_FIELDS: &[&str] =
    &["role", "name", "email", "email_notifications", "language", "property_ids", "chatbot_ids"];
/// What a user changes about themselves (`PUT /me`).
const SELF_SERVICE_FIELDS: &[&str] = &["language", "email_notifications"];

fn user_view(user: &User) -> Value {
    json!({
        "id": user.id,
        "account_id": user.account_id,
        "role": user.role,
        "name": user.name,
        "email": user.email,
        "email_notifications": user.email_notifications,
        "language": user.language,
        "property_ids": user.property_ids,
        "chatbot_ids": user.chatbot_ids,
    })
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
        && !domain.contains('@')
}

fn apply_user(
    c: &mut Check,
    map: &Map<String, Value>,
    user: &mut User,
    creating: bool,
    properties: &[Property],
    chatbots: &[Chatbot],
) {
    c.only("", map, USER_FIELDS, SERVER_FIELDS);
    if let Field::Value(v) = c.field(map, "role", creating) {
        match serde_json::from_value::<Role>(v.clone()) {
            Ok(role) => user.role = role,
            Err(_) => c.err("role", "invalid_value", "viewer, editor, approver or admin"),
        }
    }
    match c.field(map, "name", false) {
        Field::Absent => {}
        Field::Null => user.name = None,
        Field::Value(v) => user.name = c.string("name", v, 100).or(user.name.take()),
    }
    match c.field(map, "email", false) {
        Field::Absent => {}
        Field::Null => user.email = None,
        Field::Value(v) => match c.string("email", v, 254) {
            Some(e) if is_email(&e) => user.email = Some(e),
            Some(_) => c.err("email", "invalid_format", "expected an e-mail address"),
            None => {}
        },
    }
    apply_self_service(c, map, user);
    match c.field(map, "property_ids", false) {
        Field::Absent => {}
        Field::Null => user.property_ids = None,
        Field::Value(v) => {
            if let Some(ids) = c.strings("property_ids", v, 1000, 200) {
                for (i, id) in ids.iter().enumerate() {
                    if !properties.iter().any(|p| &p.id == id) {
                        c.err(&format!("property_ids[{i}]"), "unknown_reference", "no such property in this account");
                    }
                }
                user.property_ids = Some(ids);
            }
        }
    }
    match c.field(map, "chatbot_ids", false) {
        Field::Absent => {}
        Field::Null => user.chatbot_ids = None,
        Field::Value(v) => {
            if let Some(ids) = c.strings("chatbot_ids", v, 1000, 200) {
                for (i, id) in ids.iter().enumerate() {
                    if !chatbots.iter().any(|b| &b.id == id) {
                        c.err(&format!("chatbot_ids[{i}]"), "unknown_reference", "no such chatbot in this account");
                    }
                }
                user.chatbot_ids = Some(ids);
            }
        }
    }
}

/// The fields a user may change about themselves, shared by `PUT /me` and `PUT /users/{id}`.
fn apply_self_service(c: &mut Check, map: &Map<String, Value>, user: &mut User) {
    match c.field(map, "email_notifications", false) {
        Field::Absent | Field::Null => {}
        Field::Value(v) => {
            if let Some(b) = c.boolean("email_notifications", v) {
                user.email_notifications = b;
            }
        }
    }
    match c.field(map, "language", false) {
        Field::Absent | Field::Null => {}
        Field::Value(v) => match v.as_str().and_then(UserLanguage::parse) {
            Some(language) => user.language = language,
            None => c.err("language", "invalid_value", "en or fr"),
        },
    }
}

#[utoipa::path(get, path = "/me", tag = "me",
    description = "The signed-in user (any role).",
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_me(State(state): State<ApiState>, caller: Caller) -> ApiResult<Response> {
    let user = own_user(&state, &caller, &caller.0.user.id).await?;
    Ok(crate::json_response(StatusCode::OK, user_view(&user)))
}

#[utoipa::path(put, path = "/me", tag = "me",
    description = "Change one's own `language` (en, fr: the console's and the notifications' language) and `email_notifications` (any role). Other fields are refused (422).",
    request_body = MeInput,
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_me(State(state): State<ApiState>, caller: Caller, body: Body) -> ApiResult<Response> {
    let mut user = own_user(&state, &caller, &caller.0.user.id).await?;
    let body = json_body(body, true).await?;
    let mut c = Check::default();
    let Some(map) = c.object("", &body) else { return Err(ApiError::invalid(c.errors)) };
    let read_only: Vec<&str> =
        USER_FIELDS.iter().chain(SERVER_FIELDS).copied().filter(|f| !SELF_SERVICE_FIELDS.contains(f)).collect();
    c.only("", map, SELF_SERVICE_FIELDS, &read_only);
    apply_self_service(&mut c, map, &mut user);
    c.done()?;
    state.app.store.put_user(&user).await?;
    tracing::info!(user_id = %user.id, "own settings updated");
    Ok(crate::json_response(StatusCode::OK, user_view(&user)))
}

async fn own_user(state: &ApiState, caller: &Caller, id: &str) -> ApiResult<User> {
    state
        .app
        .store
        .get_user(id)
        .await?
        .filter(|u| u.account_id.as_deref() == Some(caller.0.account_id.as_str()))
        .ok_or_else(|| ApiError::not_found("user"))
}

#[utoipa::path(get, path = "/users", tag = "set-up",
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list_users(State(state): State<ApiState>, caller: Caller) -> ApiResult<Response> {
    caller.require_admin()?;
    let mut users = state.app.store.list_users(&caller.0.account_id).await?;
    users.sort_by(|a, b| a.id.cmp(&b.id));
    let views: Vec<Value> = users.iter().map(user_view).collect();
    Ok(crate::json_response(StatusCode::OK, json!({ "users": views })))
}

#[utoipa::path(post, path = "/users", tag = "set-up",
    request_body = UserInput,
    responses((status = 201, body = UserView, headers(("Location" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create_user(State(state): State<ApiState>, caller: Caller, body: Body) -> ApiResult<Response> {
    caller.require_admin()?;
    let body = json_body(body, true).await?;
    let properties = state.app.store.list_properties(&caller.0.account_id).await?;
    let chatbots = state.app.store.list_chatbots(&caller.0.account_id).await?;
    let mut c = Check::default();
    let Some(map) = c.object("", &body) else { return Err(ApiError::invalid(c.errors)) };
    let mut user = User {
        id: String::new(),
        account_id: Some(caller.0.account_id.clone()),
        role: Role::Viewer,
        name: None,
        email: None,
        email_notifications: false,
        language: Default::default(),
        property_ids: None,
        chatbot_ids: None,
    };
    apply_user(&mut c, map, &mut user, true, &properties, &chatbots);
    c.done()?;
    user.id = fresh_id(&state, "usr", Kind::User).await?;
    state.app.store.put_user(&user).await?;
    tracing::info!(user_id = %user.id, role = ?user.role, "user created");
    Ok(created(format!("/users/{}", user.id), user_view(&user)))
}

#[utoipa::path(get, path = "/users/{id}", tag = "set-up",
    params(("id" = String, Path)),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_user(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let user = own_user(&state, &caller, &id).await?;
    Ok(crate::json_response(StatusCode::OK, user_view(&user)))
}

#[utoipa::path(put, path = "/users/{id}", tag = "set-up",
    params(("id" = String, Path)),
    request_body(content = UserInput, description = "Any subset of the fields; left out = unchanged."),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The account's last admin cannot lose the role", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update_user(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    body: Body,
) -> ApiResult<Response> {
    caller.require_admin()?;
    let mut user = own_user(&state, &caller, &id).await?;
    let was_admin = user.role == Role::Admin;
    let body = json_body(body, true).await?;
    let properties = state.app.store.list_properties(&caller.0.account_id).await?;
    let chatbots = state.app.store.list_chatbots(&caller.0.account_id).await?;
    let mut c = Check::default();
    let Some(map) = c.object("", &body) else { return Err(ApiError::invalid(c.errors)) };
    apply_user(&mut c, map, &mut user, false, &properties, &chatbots);
    c.done()?;
    if was_admin && user.role != Role::Admin {
        let admins = state
            .app
            .store
            .list_users(&caller.0.account_id)
            .await?
            .into_iter()
            .filter(|u| u.role == Role::Admin && u.id != user.id)
            .count();
        if admins == 0 {
            return Err(ApiError::conflict("last_admin", "the account would have no admin left").with_field("role"));
        }
    }
    state.app.store.put_user(&user).await?;
    tracing::info!(user_id = %user.id, role = ?user.role, "user updated");
    Ok(crate::json_response(StatusCode::OK, user_view(&user)))
}

// ---------------------------------------------------------------- ids

enum Kind {
    Property,
    Chatbot,
    User,
}

/// A new random id not used yet.
async fn fresh_id(state: &ApiState, prefix: &str, kind: Kind) -> ApiResult<String> {
    for _ in 0..5 {
        let id = random_id(prefix).map_err(|e| ApiError::unavailable(&e))?;
        let taken = match kind {
            Kind::Property => state.app.store.get_property(&id).await?.is_some(),
            Kind::Chatbot => state.app.store.get_chatbot(&id).await?.is_some(),
            Kind::User => state.app.store.get_user(&id).await?.is_some(),
        };
        if !taken {
            return Ok(id);
        }
    }
    Err(ApiError::unavailable(&"could not draw a fresh id"))
}
