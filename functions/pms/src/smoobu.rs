//! Smoobu webhooks: `POST {action, user, data}` where `data` is the whole booking, the same
//! object `GET /api/reservations/{id}` returns. No API call is needed.
//!
//! | `action`                                | canonical status                               |
//! |-----------------------------------------|------------------------------------------------|
//! | `newReservation`, `updateReservation`   | `confirmed` (`canceled` if `data.type` says cancel) |
//! | `cancelReservation`, `deleteReservation`| `canceled`                                     |
//! | `updateRates`, `newMessage`, `newTimelineEvent`, `deleteTimelineEvent` | ignored (200, no effect) |
//! | anything else                           | 400 naming `action`                            |
//!
//! Smoobu has no stay state, so a Smoobu reservation is never `checked_in` / `checked_out`.
//! Calendar blocks (`is-blocked-booking: true`, channel "Blocked channel") are not stays: ignored.

use chrono::{DateTime, Utc};
use relais_app::ports::{VendorError, VendorEvent};
use relais_domain::{Amount, Guest, Property, Reservation, ReservationStatus, Source};
use serde_json::Value;

use crate::common::{
    bad, count, credential, decimal_of, field, lenient_local_time, nonempty, normalize_currency, normalize_email,
    normalize_language, normalize_phone, parse_date, parse_vendor_datetime, resolve_unit, source_from_channel_name,
    split_name, stable_event_id, text, yes_no,
};

/// Actions that carry a booking.
pub const BOOKING_ACTIONS: [&str; 4] =
    ["newReservation", "updateReservation", "cancelReservation", "deleteReservation"];
/// Actions seen on Smoobu webhooks that say nothing about bookings.
pub const IGNORED_ACTIONS: [&str; 4] = ["updateRates", "newMessage", "newTimelineEvent", "deleteTimelineEvent"];

/// Credential names under which a property may pin its Smoobu account id (the webhook `user`).
pub const ACCOUNT_CREDENTIALS: [&str; 3] = ["user_id", "smoobu_user_id", "user"];

/// The parsed envelope.
#[derive(Debug, Clone)]
pub struct SmoobuWebhook {
    pub action: String,
    pub user: Option<String>,
    pub data: Value,
}

/// Parse the envelope and check the action (pure).
pub fn parse_webhook(body: &[u8]) -> Result<SmoobuWebhook, VendorError> {
    let v: Value = relais_domain::document::parse_value(body).map_err(|e| bad("body", format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("body", "expected a JSON object"));
    }
    let action = match field(&v, &["action"]) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(_) => return Err(bad("action", "expected a string")),
        None => return Err(bad("action", "missing")),
    };
    if IGNORED_ACTIONS.contains(&action.as_str()) {
        return Err(VendorError::Ignored(format!("Smoobu action {action} carries no reservation")));
    }
    if !BOOKING_ACTIONS.contains(&action.as_str()) {
        return Err(bad("action", format!("unknown Smoobu action {action:?}")));
    }
    let user = text(&v, &["user"]).map(|s| s.into_owned());
    let data = match v.get("data") {
        Some(d) if d.is_object() => d.clone(),
        Some(_) => return Err(bad("data", "expected the booking object")),
        None => return Err(bad("data", "missing")),
    };
    Ok(SmoobuWebhook { action, user, data })
}

/// Map a Smoobu webhook body to canonical reservations (pure; authentication is the caller's).
pub fn map_webhook(property: &Property, body: &[u8]) -> Result<Vec<VendorEvent>, VendorError> {
    let hook = parse_webhook(body)?;
    crate::auth::check_account(credential(property, &ACCOUNT_CREDENTIALS), hook.user.as_deref(), "Smoobu account")?;
    map_booking(property, &hook.action, &hook.data).map(|e| vec![e])
}

fn status_of(action: &str, data: &Value) -> Result<ReservationStatus, VendorError> {
    let canceled_by_action = matches!(action, "cancelReservation" | "deleteReservation");
    let kind = match field(data, &["type"]) {
        None => None,
        Some(Value::String(s)) => Some(s.trim().to_lowercase()),
        Some(_) => return Err(bad("data.type", "expected a string")),
    };
    let canceled_by_type = match kind.as_deref() {
        None | Some("") => false,
        Some(k) if k.contains("cancel") => true,
        // Seen: "reservation", "modification of booking".
        Some(k) if k.contains("reservation") || k.contains("modification") || k.contains("booking") => false,
        Some(k) => return Err(bad("data.type", format!("unknown Smoobu booking type {k:?}"))),
    };
    Ok(if canceled_by_action || canceled_by_type { ReservationStatus::Canceled } else { ReservationStatus::Confirmed })
}

/// The booking's modification time key and raw value.
fn modified_raw(data: &Value) -> Option<(&'static str, String)> {
    for key in ["modifiedAt", "modified-at", "modifiedat", "modified_at"] {
        if let Some(Value::String(s)) = data.get(key)
            && !s.trim().is_empty()
        {
            return Some((key, s.trim().to_string()));
        }
    }
    for key in ["created-at", "createdAt", "created_at"] {
        if let Some(Value::String(s)) = data.get(key)
            && !s.trim().is_empty()
        {
            return Some((key, s.trim().to_string()));
        }
    }
    None
}

/// Map one Smoobu booking object.
pub fn map_booking(property: &Property, action: &str, data: &Value) -> Result<VendorEvent, VendorError> {
    let id = nonempty(data, &["id"]).ok_or_else(|| bad("data.id", "missing booking id"))?;
    if field(data, &["is-blocked-booking"]).and_then(yes_no) == Some(true) {
        return Err(VendorError::Ignored("Smoobu calendar block, not a stay".into()));
    }
    let channel_name = data.get("channel").and_then(|c| nonempty(c, &["name"]));
    if channel_name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case("blocked channel")) {
        return Err(VendorError::Ignored("Smoobu calendar block, not a stay".into()));
    }
    let status = status_of(action, data)?;

    let arrival = field(data, &["arrival"]);
    let departure = field(data, &["departure"]);
    if action == "deleteReservation" && (arrival.is_none() || departure.is_none()) {
        // Not enough for a canonical reservation: cancel the one stored under this id.
        let modified = modified_raw(data).map(|(_, raw)| raw).unwrap_or_default();
        return Err(VendorError::Deleted {
            event_id: stable_event_id("smoobu", &[action, &id, &modified]),
            reservation_id: id,
        });
    }
    let check_in = arrival
        .and_then(Value::as_str)
        .and_then(parse_date)
        .ok_or_else(|| bad("data.arrival", "expected a date YYYY-MM-DD"))?;
    let check_out = departure
        .and_then(Value::as_str)
        .and_then(parse_date)
        .ok_or_else(|| bad("data.departure", "expected a date YYYY-MM-DD"))?;
    if check_out <= check_in {
        return Err(bad("data.departure", "departure must be after arrival"));
    }

    let (mod_key, mod_raw) = modified_raw(data).ok_or_else(|| bad("data.modifiedAt", "missing modification time"))?;
    let updated_at: DateTime<Utc> = parse_vendor_datetime(&mod_raw, property.time_zone)
        .ok_or_else(|| bad(format!("data.{mod_key}"), "expected a date-time such as 2026-06-01 10:00"))?;

    let (first_name, last_name) =
        match (nonempty(data, &["firstname", "firstName"]), nonempty(data, &["lastname", "lastName"])) {
            (Some(f), Some(l)) => (f, l),
            (f, l) => {
                let (sf, sl) = nonempty(data, &["guest-name", "guestName"]).map(|n| split_name(&n)).unwrap_or_default();
                (f.unwrap_or(sf), l.unwrap_or(sl))
            }
        };
    let guest = Guest {
        first_name,
        last_name,
        email: nonempty(data, &["email"]).and_then(|e| normalize_email(&e)),
        phone: nonempty(data, &["phone"]).and_then(|p| normalize_phone(&p)),
        language: nonempty(data, &["language"]).and_then(|l| normalize_language(&l)),
        hometown: None,
    };

    let price = field(data, &["price"]).and_then(decimal_of);
    if field(data, &["price"]).is_some() && price.is_none() {
        return Err(bad("data.price", "expected a number"));
    }
    let paid = field(data, &["price-paid"]).and_then(yes_no);
    let prepayment = field(data, &["prepayment"]).and_then(decimal_of).unwrap_or_default();
    let prepayment_paid = field(data, &["prepayment-paid"]).and_then(yes_no).unwrap_or(false);
    let balance_due = match (price, paid) {
        (Some(_), Some(true)) => Some(Amount::ZERO),
        (Some(p), Some(false)) => Some(if prepayment_paid { (p - prepayment).max(Amount::ZERO) } else { p }),
        _ => None,
    };
    let host_payout = match (price, field(data, &["commission-included"]).and_then(decimal_of)) {
        (Some(p), Some(c)) => Some(p - c),
        _ => None,
    };
    let currency = data
        .get("priceElements")
        .and_then(Value::as_array)
        .and_then(|els| els.iter().find_map(|e| nonempty(e, &["currencyCode"]).and_then(|c| normalize_currency(&c))))
        .or_else(|| credential(property, &["currency"]).and_then(normalize_currency));

    let apartment = data.get("apartment").cloned().unwrap_or(Value::Null);
    let unit_id =
        resolve_unit(property, nonempty(&apartment, &["id"]).as_deref(), nonempty(&apartment, &["name"]).as_deref());
    let source = channel_name.as_deref().map(source_from_channel_name).unwrap_or(Source::Other);

    let reservation = Reservation {
        id: id.clone(),
        property_id: property.id.clone(),
        unit_id,
        source,
        status,
        check_in,
        check_out,
        eta: nonempty(data, &["check-in", "arrivalTime"]).and_then(|t| lenient_local_time(&t)),
        etd: nonempty(data, &["check-out", "departureTime"]).and_then(|t| lenient_local_time(&t)),
        guest,
        adults: count(data, &["adults"], "data.adults")?,
        children: count(data, &["children"], "data.children")?,
        total_amount: price,
        host_payout,
        balance_due,
        currency,
        check_in_form_submitted: false,
        guest_app_forms: Default::default(),
        contract_signed: false,
        auto_review_enabled: None,
        review: None,
        payments: Vec::new(),
        custom_fields: Default::default(),
        updated_at,
    };
    Ok(VendorEvent { event_id: stable_event_id("smoobu", &[action, &id, &mod_raw]), reservation })
}
