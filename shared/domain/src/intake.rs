//! PMS intake rules that need no I/O (SPEC 4): the Relais webhook signature and the canonical
//! webhook body.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::formats::{is_e164, is_guest_language};
use crate::ids::{is_hidden_control, pms_id_problem};
use crate::model::Reservation;

/// Largest accepted webhook body.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// A signed request must be this fresh (either way), so a captured one cannot be replayed later.
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;
pub const TIMESTAMP_HEADER: &str = "x-relais-timestamp";
pub const SIGNATURE_HEADER: &str = "x-relais-signature";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing {0} header")]
    Missing(&'static str),
    #[error("malformed {0} header")]
    Malformed(&'static str),
    #[error("timestamp outside the 5-minute window")]
    Stale,
    #[error("signature does not match")]
    Mismatch,
}

/// `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, timestamp, body)))
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return Vec::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Check a Relais-signed request against every currently valid secret (two during a rotation).
pub fn verify_signature(
    secrets: &[&str],
    timestamp_header: Option<&str>,
    signature_header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let timestamp_text = timestamp_header.ok_or(SignatureError::Missing("X-Relais-Timestamp"))?;
    let signature_text = signature_header.ok_or(SignatureError::Missing("X-Relais-Signature"))?;
    let timestamp: i64 = timestamp_text.trim().parse().map_err(|_| SignatureError::Malformed("X-Relais-Timestamp"))?;
    let given = signature_text
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(SignatureError::Malformed("X-Relais-Signature"))?;
    // Checked: a timestamp near i64::MIN or i64::MAX must be stale, not an overflow.
    let fresh = now
        .timestamp()
        .checked_sub(timestamp)
        .is_some_and(|skew| skew.unsigned_abs() <= SIGNATURE_TOLERANCE_SECONDS.unsigned_abs());
    if !fresh {
        return Err(SignatureError::Stale);
    }
    let matches = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .fold(false, |found, secret| found | bool::from(mac(secret, timestamp, body).ct_eq(&given)));
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// The canonical webhook body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanonicalEvent {
    pub event_id: String,
    pub occurred_at: DateTime<Utc>,
    pub reservation: Reservation,
}

/// A payload error naming the field (`reservation.guest.phone`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PayloadError {
    pub field: String,
    pub message: String,
}

impl PayloadError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> PayloadError {
        PayloadError { field: field.into(), message: message.into() }
    }
}

/// Parse and check a canonical webhook body.
pub fn parse_canonical(body: &[u8]) -> Result<CanonicalEvent, PayloadError> {
    let event: CanonicalEvent = crate::document::parse_with_path(body).map_err(deserialize_error)?;
    if event.event_id.trim().is_empty() {
        return Err(PayloadError::new("event_id", "must not be empty"));
    }
    check_reservation(&event.reservation, "reservation.")?;
    Ok(event)
}

/// The error of a canonical body that does not deserialize, naming the field by its full path.
/// serde reports a missing field at its parent (`reservation.guest`) and a syntax error where
/// the parser stopped, so both are renamed: `reservation.guest.first_name`, `body`.
fn deserialize_error(e: serde_path_to_error::Error<serde_json::Error>) -> PayloadError {
    let parent = e.path().to_string();
    let error = e.into_inner();
    if error.is_syntax() || error.is_eof() || error.is_io() {
        return PayloadError::new("body", format!("not valid JSON: {error}"));
    }
    let message = error.to_string();
    // serde's own wording for a missing field (`de::Error::missing_field`).
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.split_once('`')).map(|(name, _)| name);
    let at_top = parent == "." || parent.is_empty();
    match missing {
        Some(name) => {
            let field = if at_top { name.to_string() } else { format!("{parent}.{name}") };
            let message = format!("`{field}` is required");
            PayloadError::new(field, message)
        }
        // Not an object at all: the body as a whole is wrong.
        None if at_top => PayloadError::new("body", message),
        None => PayloadError::new(parent, message),
    }
}

/// Checks every adapter's output must pass too (a vendor mapping can produce bad data).
pub fn check_reservation(r: &Reservation, prefix: &str) -> Result<(), PayloadError> {
    let field = |name: &str| format!("{prefix}{name}");
    if let Some(problem) = pms_id_problem(&r.id) {
        return Err(PayloadError::new(field("id"), problem));
    }
    if let Some(problem) = r.unit_id.as_deref().and_then(pms_id_problem) {
        return Err(PayloadError::new(field("unit_id"), problem));
    }
    for (name, value, max) in [
        ("guest.first_name", Some(r.guest.first_name.as_str()), NAME_MAX_CHARS),
        ("guest.last_name", Some(r.guest.last_name.as_str()), NAME_MAX_CHARS),
        ("guest.hometown", r.guest.hometown.as_deref(), NAME_MAX_CHARS),
        ("guest.email", r.guest.email.as_deref(), EMAIL_MAX_CHARS),
        ("currency", r.currency.as_deref(), CURRENCY_MAX_CHARS),
    ] {
        if let Some(problem) = value.and_then(|v| text_problem(v, max)) {
            return Err(PayloadError::new(field(name), problem));
        }
    }
    for (map, forms) in [("custom_fields", &r.custom_fields), ("guest_app_forms", &r.guest_app_forms)] {
        if let Some((key, problem)) = forms.keys().find_map(|k| pms_id_problem(k).map(|p| (k, p))) {
            return Err(PayloadError::new(field(&format!("{map}.{}", printable(key))), problem));
        }
    }
    if r.check_out < r.check_in {
        return Err(PayloadError::new(field("check_out"), "must not be before check_in"));
    }
    if let Some(phone) = &r.guest.phone
        && !is_e164(phone)
    {
        return Err(PayloadError::new(field("guest.phone"), "must be an E.164 number such as +351912345678"));
    }
    if let Some(language) = &r.guest.language
        && !is_guest_language(language)
    {
        return Err(PayloadError::new(field("guest.language"), "must be a BCP 47 language tag such as pt-BR"));
    }
    for (name, amount) in
        [("total_amount", r.total_amount), ("host_payout", r.host_payout), ("balance_due", r.balance_due)]
    {
        if amount.is_some_and(|a| a.is_sign_negative() && !a.is_zero()) && name != "balance_due" {
            return Err(PayloadError::new(field(name), "must not be negative"));
        }
    }
    if let Some(review) = &r.review
        && let Some((category, _)) = review.ratings.iter().find(|(_, v)| !(1..=5).contains(*v))
    {
        return Err(PayloadError::new(field(&format!("review.ratings.{category}")), "must be 1 to 5"));
    }
    Ok(())
}

/// Guest names and home towns.
pub const NAME_MAX_CHARS: usize = 200;
/// RFC 5321's limit on an address.
pub const EMAIL_MAX_CHARS: usize = 254;
const CURRENCY_MAX_CHARS: usize = 16;

/// Why `text` cannot be a guest-facing text field of at most `max` characters, if it cannot.
fn text_problem(text: &str, max: usize) -> Option<&'static str> {
    if text.chars().count() > max {
        return Some(match max {
            NAME_MAX_CHARS => "must be at most 200 characters",
            EMAIL_MAX_CHARS => "must be at most 254 characters",
            _ => "is too long",
        });
    }
    if text.chars().any(is_hidden_control) {
        return Some("must not contain control or bidirectional-text control characters");
    }
    None
}

/// `key` as it can be named in an error: control characters escaped, at most 64 characters.
fn printable(key: &str) -> String {
    key.chars().take(64).flat_map(char::escape_default).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn guest_texts_are_bounded_and_printable() {
        assert_eq!(text_problem(&"é".repeat(200), NAME_MAX_CHARS), None);
        assert_eq!(text_problem(&"é".repeat(201), NAME_MAX_CHARS), Some("must be at most 200 characters"));
        assert!(text_problem("Ana\nSilva", NAME_MAX_CHARS).is_some());
        assert_eq!(printable("a\nb"), "a\\nb");
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
    }

    #[test]
    fn signature_round_trip_and_rotation() {
        let body = br#"{"a":1}"#;
        let ts = now().timestamp();
        let sig = sign("new", ts, body);
        let t = ts.to_string();
        assert_eq!(verify_signature(&["new"], Some(&t), Some(&sig), body, now()), Ok(()));
        assert_eq!(verify_signature(&["other", "new"], Some(&t), Some(&sig), body, now()), Ok(()));
        assert_eq!(verify_signature(&["old"], Some(&t), Some(&sig), body, now()), Err(SignatureError::Mismatch));
        assert_eq!(
            verify_signature(&["new"], Some(&t), Some(&sig), br#"{"a":2}"#, now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(&["new"], None, Some(&sig), body, now()),
            Err(SignatureError::Missing("X-Relais-Timestamp"))
        );
        assert_eq!(
            verify_signature(&["new"], Some(&t), None, body, now()),
            Err(SignatureError::Missing("X-Relais-Signature"))
        );
        assert_eq!(
            verify_signature(&["new"], Some(&t), Some("deadbeef"), body, now()),
            Err(SignatureError::Malformed("X-Relais-Signature"))
        );
        assert_eq!(verify_signature(&[""], Some(&t), Some(&sig), body, now()), Err(SignatureError::Mismatch));
    }

    #[test]
    fn stale_timestamps_are_refused_both_ways() {
        let body = b"{}";
        for skew in [-301, 301] {
            let ts = now().timestamp() + skew;
            let sig = sign("s", ts, body);
            assert_eq!(
                verify_signature(&["s"], Some(&ts.to_string()), Some(&sig), body, now()),
                Err(SignatureError::Stale)
            );
        }
        let ts = now().timestamp() - 299;
        assert!(verify_signature(&["s"], Some(&ts.to_string()), Some(&sign("s", ts, body)), body, now()).is_ok());
    }

    #[test]
    fn extreme_timestamps_are_stale_not_an_overflow() {
        let sig = format!("sha256={}", "ab".repeat(32));
        for ts in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
            let header = ts.to_string();
            assert_eq!(
                verify_signature(&["s"], Some(&header), Some(&sig), b"{}", now()),
                Err(SignatureError::Stale),
                "{ts}"
            );
        }
    }

    mod extreme_timestamps {
        use super::*;
        use proptest::prelude::*;

        fn timestamp() -> impl Strategy<Value = i64> {
            prop_oneof![any::<i64>(), Just(i64::MIN), Just(i64::MAX), (-400i64..400).prop_map(|d| 1_780_304_400 + d)]
        }

        fn clock() -> impl Strategy<Value = i64> {
            prop_oneof![Just(1_780_304_400i64), Just(0i64), -8_000_000_000_000i64..8_000_000_000_000]
        }

        proptest! {
            /// Any timestamp against any clock: an answer, never a panic, and only a fresh one
            /// reaches the signature check.
            #[test]
            fn any_timestamp_and_clock_answer_without_panic(ts in timestamp(), clock in clock()) {
                let now = DateTime::from_timestamp(clock, 0).unwrap_or_else(now);
                let sig = sign("s", ts, b"{}");
                let got = verify_signature(&["s"], Some(&ts.to_string()), Some(&sig), b"{}", now);
                let skew = i128::from(now.timestamp()) - i128::from(ts);
                if skew.abs() <= i128::from(SIGNATURE_TOLERANCE_SECONDS) {
                    prop_assert_eq!(got, Ok(()));
                } else {
                    prop_assert_eq!(got, Err(SignatureError::Stale));
                }
            }
        }
    }

    #[test]
    fn canonical_errors_name_the_field() {
        let body = br#"{"event_id":"e","occurred_at":"2026-06-01T09:00:00Z","reservation":{"id":"r","property_id":"p","source":"airbnb","status":"confirmed","check_in":"2026-06-10","check_out":"2026-06-13","guest":{"first_name":"A","last_name":"B","phone":"12"},"updated_at":"2026-06-01T09:00:00Z"}}"#;
        assert_eq!(parse_canonical(body).unwrap_err().field, "reservation.guest.phone");
        let body = br#"{"event_id":"e","occurred_at":"2026-06-01T09:00:00Z","reservation":{"id":"r","property_id":"p","source":"myspace","status":"confirmed","check_in":"2026-06-10","check_out":"2026-06-13","guest":{"first_name":"A","last_name":"B"},"updated_at":"2026-06-01T09:00:00Z"}}"#;
        assert_eq!(parse_canonical(body).unwrap_err().field, "reservation.source");
    }

    const VALID: &str = r#"{"event_id":"e","occurred_at":"2026-06-01T09:00:00Z","reservation":{"id":"r","property_id":"p","source":"airbnb","status":"confirmed","check_in":"2026-06-10","check_out":"2026-06-13","guest":{"first_name":"A","last_name":"B"},"updated_at":"2026-06-01T09:00:00Z"}}"#;

    /// The valid body without one field, given by its path.
    fn without(path: &str) -> Vec<u8> {
        let mut doc: serde_json::Value = serde_json::from_str(VALID).unwrap();
        let (parent, name) = path.rsplit_once('.').map_or(("", path), |(p, n)| (p, n));
        let mut node = &mut doc;
        for segment in parent.split('.').filter(|s| !s.is_empty()) {
            node = node.get_mut(segment).unwrap();
        }
        assert!(node.as_object_mut().unwrap().remove(name).is_some(), "{path} is in the valid body");
        serde_json::to_vec(&doc).unwrap()
    }

    #[test]
    fn a_missing_field_is_named_by_its_full_path() {
        assert!(parse_canonical(VALID.as_bytes()).is_ok());
        for path in [
            "event_id",
            "occurred_at",
            "reservation",
            "reservation.id",
            "reservation.status",
            "reservation.updated_at",
            "reservation.guest",
            "reservation.guest.first_name",
            "reservation.guest.last_name",
        ] {
            let error = parse_canonical(&without(path)).unwrap_err();
            assert_eq!(error, PayloadError::new(path, format!("`{path}` is required")), "without {path}");
        }
    }

    #[test]
    fn a_body_that_is_not_json_is_named_body() {
        let trailing = format!("{VALID}GARBAGE");
        let twice = format!("{VALID}{VALID}");
        for body in [&b"not json"[..], b"", b"{\"event_id\": \"e\"", b"\xff\xfe", trailing.as_bytes(), twice.as_bytes()]
        {
            let error = parse_canonical(body).unwrap_err();
            assert_eq!(error.field, "body", "{:?}", String::from_utf8_lossy(body));
            assert!(error.message.starts_with("not valid JSON: "), "{}", error.message);
        }
        let error = parse_canonical(b"42").unwrap_err();
        assert_eq!(error.field, "body");
        assert!(error.message.contains("expected struct CanonicalEvent"), "{}", error.message);
    }

    #[test]
    fn a_wrong_value_is_still_named_by_its_path() {
        let body = VALID.replace(r#""status":"confirmed""#, r#""status":"maybe""#);
        assert_eq!(parse_canonical(body.as_bytes()).unwrap_err().field, "reservation.status");
        let body = VALID.replace(r#""first_name":"A""#, r#""first_name":7"#);
        assert_eq!(parse_canonical(body.as_bytes()).unwrap_err().field, "reservation.guest.first_name");
        let body = VALID.replace(r#""event_id":"e""#, r#""event_id":"e","extra":1"#);
        assert_eq!(parse_canonical(body.as_bytes()).unwrap_err().field, "extra");
    }
}
