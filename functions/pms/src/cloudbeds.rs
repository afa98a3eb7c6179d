//! Cloudbeds (API v1.2 / v1.3). Webhooks are thin:
//! `{version, event: "reservation/status_changed", timestamp, propertyID, reservationID, ...}`
//! (key casing varies by event: `propertyID`/`propertyId`, `reservationID`/`reservationId`).
//!
//! - `reservation/*` (any action): fetch `GET {base}/getReservation?reservationID=&propertyID=`
//!   and map it; the action itself is not trusted for the status (the API is).
//!   `reservation/deleted`: mapped as `canceled` if Cloudbeds still returns it, else ignored.
//! - `guest/*` with a `reservationID`: refetch that reservation (guest data changed).
//! - anything else: ignored.
//!
//! Auth to the API: `x-api-key: <key>` when the property has an API key, else
//! `Authorization: Bearer <access token>`.
//!
//! | Cloudbeds `status` | canonical |
//! |---|---|
//! | `confirmed`, `not_confirmed` | `confirmed` (`not_confirmed` = pending confirmation by the hotel) |
//! | `checked_in` | `checked_in` |
//! | `checked_out` | `checked_out` |
//! | `canceled`, `no_show` | `canceled` (a no-show will not stay: messages for the stay must stop) |
//! | anything else | 400 naming `status` |

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use relais_app::ports::{VendorError, VendorEvent};
use relais_domain::{Guest, Property, Reservation, ReservationStatus, Source};
use serde_json::Value;

use crate::common::{
    bad, count, credential, decimal_of, field, lenient_local_time, nonempty, normalize_currency, normalize_email,
    normalize_phone, parse_date, parse_vendor_datetime, resolve_unit, source_from_channel_name, split_name,
    stable_event_id, text, yes_no,
};
use crate::http::{Answer, send};

pub const DEFAULT_API_BASE: &str = "https://api.cloudbeds.com/api/v1.3";
pub const API_KEY: [&str; 3] = ["api_key", "x-api-key", "apikey"];
pub const ACCESS_TOKEN: [&str; 3] = ["access_token", "bearer_token", "token"];
pub const PROPERTY_ID: [&str; 2] = ["propertyID", "property_id"];

/// The parsed webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct CloudbedsWebhook {
    pub event: String,
    pub object: String,
    pub action: String,
    pub property_id: Option<String>,
    pub reservation_id: String,
    /// Raw `timestamp` as sent (Unix seconds, fractional).
    pub timestamp_raw: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
}

impl CloudbedsWebhook {
    pub fn is_deleted(&self) -> bool {
        self.object == "reservation" && self.action == "deleted"
    }
    /// `(event, propertyID, reservationID, timestamp)`: Cloudbeds sends no event id.
    pub fn event_id(&self) -> String {
        stable_event_id(
            "cloudbeds",
            &[
                &self.event,
                self.property_id.as_deref().unwrap_or_default(),
                &self.reservation_id,
                self.timestamp_raw.as_deref().unwrap_or_default(),
            ],
        )
    }
}

/// Parse the webhook (pure). `Ignored` for events that do not concern a reservation.
pub fn parse_webhook(body: &[u8]) -> Result<CloudbedsWebhook, VendorError> {
    let v: Value = relais_domain::document::parse_value(body).map_err(|e| bad("body", format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("body", "expected a JSON object"));
    }
    let event = match field(&v, &["event"]) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(_) => return Err(bad("event", "expected a string such as reservation/created")),
        None => return Err(bad("event", "missing")),
    };
    let (object, action) = match event.split_once('/') {
        Some((o, a)) => (o.to_string(), a.to_string()),
        None => (event.clone(), String::new()),
    };
    let reservation_id = text(&v, &["reservationID", "reservationId", "reservation_id"]).map(|s| s.trim().to_string());
    match object.as_str() {
        "reservation" => {}
        "guest" if reservation_id.as_deref().is_some_and(|r| !r.is_empty()) => {}
        _ => return Err(VendorError::Ignored(format!("Cloudbeds event {event} does not change a reservation"))),
    }
    let reservation_id = reservation_id.filter(|r| !r.is_empty()).ok_or_else(|| bad("reservationID", "missing"))?;
    if reservation_id.len() > 64 || !reservation_id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(bad("reservationID", "not a Cloudbeds reservation id"));
    }
    let timestamp_raw = match field(&v, &["timestamp"]) {
        None => None,
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => return Err(bad("timestamp", "expected Unix seconds")),
    };
    let timestamp = match &timestamp_raw {
        None => None,
        Some(raw) => Some(parse_unix_seconds(raw).ok_or_else(|| bad("timestamp", "expected Unix seconds"))?),
    };
    Ok(CloudbedsWebhook {
        property_id: nonempty(&v, &["propertyID", "propertyId", "propertyID_str", "propertyId_str"]),
        event,
        object,
        action,
        reservation_id,
        timestamp_raw,
        timestamp,
    })
}

/// Unix seconds written in decimal (`1766005022.073195`), exact to the nanosecond.
pub fn parse_unix_seconds(raw: &str) -> Option<DateTime<Utc>> {
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if int.is_empty()
        || int.len() > 11
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = int.parse().ok()?;
    let mut digits: String = frac.chars().take(9).collect();
    while digits.len() < 9 {
        digits.push('0');
    }
    let nanos: u32 = digits.parse().ok()?;
    Utc.timestamp_opt(secs, nanos).single()
}

/// Fetch the reservation; `Ok(None)` when Cloudbeds says it does not exist (any more).
pub async fn fetch(
    http: &reqwest::Client,
    property: &Property,
    hook: &CloudbedsWebhook,
    timeout: Duration,
) -> Result<Option<Value>, VendorError> {
    let base = property
        .pms_credentials
        .as_ref()
        .and_then(|c| c.api_base.as_deref())
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .unwrap_or(DEFAULT_API_BASE)
        .trim_end_matches('/');
    let mut query: Vec<(&str, &str)> = vec![("reservationID", hook.reservation_id.as_str())];
    let property_id = credential(property, &PROPERTY_ID).or(hook.property_id.as_deref());
    if let Some(p) = property_id {
        query.push(("propertyID", p));
    }
    let mut request = http.get(format!("{base}/getReservation")).query(&query).timeout(timeout);
    if let Some(key) = credential(property, &API_KEY) {
        request = request.header("x-api-key", key);
    } else if let Some(token) = credential(property, &ACCESS_TOKEN) {
        request = request.bearer_auth(token);
    } else {
        return Err(VendorError::Unavailable(
            "the property has no Cloudbeds API key or access token configured".into(),
        ));
    }
    let value = match send("Cloudbeds", "getReservation", request).await? {
        Answer::Json(v) => v,
        Answer::ClientError(status) if status == reqwest::StatusCode::NOT_FOUND => return Ok(None),
        Answer::ClientError(status) => return Err(crate::http::client_error("Cloudbeds", "getReservation", status)),
    };
    if value.get("success").and_then(yes_no) == Some(true)
        && let Some(data) = value.get("data").filter(|d| d.is_object())
    {
        return Ok(Some(data.clone()));
    }
    if hook.is_deleted() {
        return Ok(None);
    }
    // `success: false` for a reservation a webhook just announced: most likely a transient or
    // permission problem on their side; let the PMS retry.
    tracing::warn!(vendor = "Cloudbeds", "getReservation answered success=false");
    Err(VendorError::Unavailable("Cloudbeds API getReservation: success=false".into()))
}

/// The canonical status of a Cloudbeds reservation `status`.
pub fn status_of(status: &str) -> Result<ReservationStatus, VendorError> {
    Ok(match status {
        "confirmed" | "not_confirmed" => ReservationStatus::Confirmed,
        "checked_in" => ReservationStatus::CheckedIn,
        "checked_out" => ReservationStatus::CheckedOut,
        "canceled" | "cancelled" | "no_show" => ReservationStatus::Canceled,
        other => return Err(bad("status", format!("unknown Cloudbeds reservation status {other:?}"))),
    })
}

/// The entries of a PHP-style collection: an object map or an array (empty ones come as `[]`).
fn entries(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Object(m)) => m.values().collect(),
        Some(Value::Array(a)) => a.iter().collect(),
        _ => Vec::new(),
    }
}

/// Map a `getReservation` `data` object (pure).
pub fn map_reservation(property: &Property, hook: &CloudbedsWebhook, data: &Value) -> Result<VendorEvent, VendorError> {
    let id = nonempty(data, &["reservationID", "reservationId"]).unwrap_or_else(|| hook.reservation_id.clone());
    let status = if hook.is_deleted() {
        ReservationStatus::Canceled
    } else {
        let s = nonempty(data, &["status"]).ok_or_else(|| bad("status", "missing"))?;
        status_of(&s)?
    };
    let check_in = nonempty(data, &["startDate"])
        .and_then(|d| parse_date(&d))
        .ok_or_else(|| bad("startDate", "expected a date YYYY-MM-DD"))?;
    let check_out = nonempty(data, &["endDate"])
        .and_then(|d| parse_date(&d))
        .ok_or_else(|| bad("endDate", "expected a date YYYY-MM-DD"))?;
    if check_out <= check_in {
        return Err(bad("endDate", "must be after startDate"));
    }

    // `dateModified` is property-local (the list endpoints send a separate `dateModifiedUTC`).
    let modified_utc = nonempty(data, &["dateModifiedUTC"]).and_then(|d| parse_vendor_datetime(&d, chrono_tz::UTC));
    let modified_local = nonempty(data, &["dateModified"]).and_then(|d| parse_vendor_datetime(&d, property.time_zone));
    let updated_at = [modified_utc.or(modified_local), hook.timestamp]
        .into_iter()
        .flatten()
        .max()
        .ok_or_else(|| bad("dateModified", "missing modification time"))?;

    let guests = entries(data.get("guestList"));
    let main =
        guests.iter().find(|g| g.get("isMainGuest").and_then(yes_no) == Some(true)).or_else(|| guests.first()).copied();
    let (first_name, last_name) =
        match main.map(|g| (nonempty(g, &["guestFirstName"]), nonempty(g, &["guestLastName"]))) {
            Some((Some(f), Some(l))) => (f, l),
            Some((f, l)) if f.is_some() || l.is_some() => (f.unwrap_or_default(), l.unwrap_or_default()),
            _ => nonempty(data, &["guestName"]).map(|n| split_name(&n)).unwrap_or_default(),
        };
    let email = main
        .and_then(|g| nonempty(g, &["guestEmail"]))
        .or_else(|| nonempty(data, &["guestEmail"]))
        .and_then(|e| normalize_email(&e));
    let phone = main.and_then(|g| {
        nonempty(g, &["guestCellPhone"])
            .and_then(|p| normalize_phone(&p))
            .or_else(|| nonempty(g, &["guestPhone"]).and_then(|p| normalize_phone(&p)))
    });
    let guest = Guest {
        first_name,
        last_name,
        email,
        phone,
        language: None,
        hometown: main.and_then(|g| nonempty(g, &["guestCity"])),
    };

    let rooms: Vec<&Value> = entries(data.get("assigned")).into_iter().chain(entries(data.get("unassigned"))).collect();
    let (mut adults, mut children) = (0u32, 0u32);
    for (i, room) in rooms.iter().enumerate() {
        adults = adults.saturating_add(count(room, &["adults"], &format!("rooms[{i}].adults"))?);
        children = children.saturating_add(count(room, &["children"], &format!("rooms[{i}].children"))?);
    }
    let first_room = entries(data.get("assigned")).into_iter().next();
    let unit_id = first_room.and_then(|r| {
        resolve_unit(property, nonempty(r, &["roomID"]).as_deref(), nonempty(r, &["roomName"]).as_deref())
    });

    let total_amount = field(data, &["total"]).and_then(decimal_of);
    let balance_due = field(data, &["balance"]).and_then(decimal_of);
    let source =
        nonempty(data, &["source", "sourceName"]).map(|s| source_from_channel_name(&s)).unwrap_or(Source::Other);

    let mut custom_fields = BTreeMap::new();
    for cf in entries(data.get("customFields")) {
        if let (Some(name), Some(value)) = (nonempty(cf, &["customFieldName", "shortcode"]), cf.get("customFieldValue"))
            && let Some(b) = yes_no(value).filter(|_| value.as_str().is_none_or(|s| !s.trim().is_empty()))
        {
            custom_fields.insert(name, b);
        }
    }

    let reservation = Reservation {
        id,
        property_id: property.id.clone(),
        unit_id,
        source,
        status,
        check_in,
        check_out,
        eta: nonempty(data, &["estimatedArrivalTime"]).and_then(|t| lenient_local_time(&t)),
        etd: None,
        guest,
        adults,
        children,
        total_amount,
        host_payout: None,
        balance_due,
        currency: credential(property, &["currency"]).and_then(normalize_currency),
        check_in_form_submitted: false,
        guest_app_forms: BTreeMap::new(),
        contract_signed: false,
        auto_review_enabled: None,
        review: None,
        payments: Vec::new(),
        custom_fields,
        updated_at,
    };
    Ok(VendorEvent { event_id: hook.event_id(), reservation })
}
