//! Helpers shared by the vendor adapters and the CSV importer: source names, phone numbers,
//! language tags, vendor timestamps, units, amounts and lenient JSON field access. All pure.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use relais_app::ports::VendorError;
use relais_domain::time::{LocalTime, local_to_utc};
use relais_domain::{Amount, Property, Source};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A `400` naming the field.
pub(crate) fn bad(field: impl Into<String>, message: impl Into<String>) -> VendorError {
    VendorError::BadPayload { field: field.into(), message: message.into() }
}

/// Canonical source of a channel / booking-source name as PMS show it ("Airbnb",
/// "Booking.com", "HomeAway", "Direct booking", "Website", ...).
///
/// Channel lists are open-ended (Smoobu and Cloudbeds connect to hundreds of portals: Agoda,
/// Hostelworld, Trip.com, Google, ...), and the canonical form has `other` for exactly those, so
/// a name we do not recognise is `other`, never an error. Only the closed vocabularies
/// (statuses, webhook actions) reject unknown values.
pub fn source_from_channel_name(name: &str) -> Source {
    let n = name.trim().to_lowercase();
    let has = |needles: &[&str]| needles.iter().any(|needle| n.contains(needle));
    if n.is_empty() {
        return Source::Other;
    }
    if has(&["airbnb"]) {
        return Source::Airbnb;
    }
    if has(&["booking.com", "bookingcom", "booking com"]) || n == "booking" {
        return Source::BookingCom;
    }
    // Vrbo and the former HomeAway family of brands.
    if has(&["vrbo", "homeaway", "home away", "abritel", "fewo-direkt", "fewo direkt", "stayz", "bookabach"]) {
        return Source::Vrbo;
    }
    if has(&["expedia", "hotels.com"]) {
        return Source::Expedia;
    }
    if has(&[
        "direct",
        "direkt",
        "website",
        "web site",
        "homepage",
        "booking engine",
        "bookingengine",
        "booking widget",
        "facebook widget",
        "walk-in",
        "walk in",
        "walkin",
        "front desk",
        "frontdesk",
        "in person",
        "telephone",
    ]) || matches!(n.as_str(), "phone" | "email" | "e-mail" | "owner" | "manual" | "own website")
    {
        return Source::Direct;
    }
    Source::Other
}

/// E.164 form of a phone number written with a `+` or `00` international prefix and any of the
/// usual separators; `None` when it cannot be E.164 (no country code, letters, too short/long).
/// Numbers without a country code are dropped rather than guessed.
pub fn normalize_phone(raw: &str) -> Option<String> {
    // "+44 (0) 20 ..." writes the national trunk prefix; E.164 drops it.
    let t = raw.trim().replace("(0)", "");
    let t = t.as_str();
    let rest = t.strip_prefix('+').or_else(|| t.strip_prefix("00"))?;
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if matches!(c, ' ' | '-' | '(' | ')' | '.' | '/' | '\u{a0}') {
            continue;
        } else {
            return None;
        }
    }
    if (7..=15).contains(&digits.len()) && !digits.starts_with('0') { Some(format!("+{digits}")) } else { None }
}

/// A BCP 47-looking tag (`en`, `pt-BR`, `pt_br` -> `pt-BR`, `zh-Hant-TW`); `None` otherwise.
pub fn normalize_language(raw: &str) -> Option<String> {
    let t = raw.trim().replace('_', "-");
    if t.is_empty() || t.len() > 35 {
        return None;
    }
    let mut out = Vec::new();
    for (i, part) in t.split('-').enumerate() {
        if part.is_empty() || part.len() > 8 || !part.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        if i == 0 {
            if !(2..=3).contains(&part.len()) || !part.chars().all(|c| c.is_ascii_alphabetic()) {
                return None;
            }
            out.push(part.to_ascii_lowercase());
        } else if part.len() == 2 && part.chars().all(|c| c.is_ascii_alphabetic()) {
            out.push(part.to_ascii_uppercase());
        } else if part.len() == 4 && part.chars().all(|c| c.is_ascii_alphabetic()) {
            let lower = part.to_ascii_lowercase();
            let mut chars = lower.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase()).unwrap_or_default();
            out.push(format!("{first}{}", chars.as_str()));
        } else {
            out.push(part.to_string());
        }
    }
    Some(out.join("-"))
}

/// A vendor's wall-clock time (`HH:MM`, `H:MM`, `HH:MM:SS`) as a local time; `None` if it is not one.
pub fn lenient_local_time(raw: &str) -> Option<LocalTime> {
    let t = raw.trim();
    let mut parts = t.split(':');
    let h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = parts.next()?.trim().parse().ok()?;
    if let Some(s) = parts.next() {
        let _: u32 = s.trim().parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    LocalTime::new(h, m)
}

/// A vendor timestamp: RFC 3339 with an offset is taken as written; a naive date-time
/// (`YYYY-MM-DD HH:MM[:SS[.f]]`, with a space or `T`) is property-local time in `tz`.
pub fn parse_vendor_datetime(raw: &str, tz: Tz) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(dt) = DateTime::parse_from_str(s, fmt) {
            return Some(dt.with_timezone(&Utc));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(local_to_utc(tz, naive.date(), naive.time()));
        }
    }
    None
}

/// An RFC 3339 instant (Mews writes every time in UTC with `Z`).
pub fn parse_utc(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim()).ok().map(|d| d.with_timezone(&Utc))
}

pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()
}

/// The property's unit for a vendor room / listing: a unit whose id is the vendor id, else a
/// unit whose id or name is the vendor's room name (e.g. room number "101"), else the vendor id.
pub fn resolve_unit(property: &Property, vendor_id: Option<&str>, vendor_name: Option<&str>) -> Option<String> {
    let vendor_id = vendor_id.map(str::trim).filter(|s| !s.is_empty());
    let vendor_name = vendor_name.map(str::trim).filter(|s| !s.is_empty());
    if let Some(id) = vendor_id
        && property.units.iter().any(|u| u.id == id)
    {
        return Some(id.to_string());
    }
    if let Some(name) = vendor_name
        && let Some(unit) = property
            .units
            .iter()
            .find(|u| u.id == name || u.name.as_deref().is_some_and(|n| n.trim().eq_ignore_ascii_case(name)))
    {
        return Some(unit.id.clone());
    }
    vendor_id.map(str::to_string)
}

/// A stable, opaque event id: `<prefix>-<first 32 hex of SHA-256 of the parts>`.
pub fn stable_event_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    let hex = hex::encode(h.finalize());
    format!("{prefix}-{}", &hex[..32])
}

/// A decimal from a JSON number or numeric string (`150`, `150.5`, `"150.50"`, `1.5e2`).
pub fn decimal_of(v: &Value) -> Option<Amount> {
    match v {
        Value::Number(n) => {
            let s = n.to_string();
            Amount::from_str(&s).ok().or_else(|| Amount::from_scientific(&s).ok())
        }
        Value::String(s) => {
            let s = s.trim();
            if s.is_empty() { None } else { Amount::from_str(s).ok().or_else(|| Amount::from_scientific(s).ok()) }
        }
        _ => None,
    }
}

/// The first of `keys` present on `obj` with a non-null value.
pub fn field<'a>(obj: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    let map = obj.as_object()?;
    keys.iter().find_map(|k| map.get(*k).filter(|v| !v.is_null()))
}

/// String value of the first present key (numbers are written out, so ids may be either).
pub fn text<'a>(obj: &'a Value, keys: &[&str]) -> Option<std::borrow::Cow<'a, str>> {
    let v = field(obj, keys)?;
    match v {
        Value::String(s) => Some(std::borrow::Cow::Borrowed(s.as_str())),
        Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// Non-empty trimmed string of the first present key.
pub fn nonempty(obj: &Value, keys: &[&str]) -> Option<String> {
    text(obj, keys).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// A count from a number or numeric string; absent or null is 0; anything else is a 400 naming `name`.
pub fn count(obj: &Value, keys: &[&str], name: &str) -> Result<u32, VendorError> {
    let Some(v) = field(obj, keys) else { return Ok(0) };
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) if s.trim().is_empty() => Some(0),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| bad(name, "expected a non-negative whole number"))
}

/// A loose yes/no: booleans, `"Yes"`/`"No"`, `1`/`0`, `"true"`/`"false"`.
pub fn yes_no(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" | "paid" => Some(true),
            "no" | "n" | "false" | "0" | "unpaid" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// Split a full name into first and last name at the last space ("Ana Maria Silva" ->
/// "Ana Maria", "Silva"); a single word is a first name.
pub fn split_name(full: &str) -> (String, String) {
    let full = full.split_whitespace().collect::<Vec<_>>().join(" ");
    match full.rsplit_once(' ') {
        Some((first, last)) => (first.to_string(), last.to_string()),
        None => (full, String::new()),
    }
}

/// A plausible e-mail address (trimmed, one `@` with text on both sides), else `None`.
pub fn normalize_email(raw: &str) -> Option<String> {
    let t = raw.trim();
    let (local, domain) = t.split_once('@')?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') || t.chars().any(char::is_whitespace) {
        return None;
    }
    Some(t.to_string())
}

/// An ISO 4217-looking currency code, upper-cased.
pub fn normalize_currency(raw: &str) -> Option<String> {
    let t = raw.trim();
    (t.len() == 3 && t.chars().all(|c| c.is_ascii_alphabetic())).then(|| t.to_ascii_uppercase())
}

/// A credential value by any of its accepted spellings.
pub fn credential<'a>(property: &'a Property, names: &[&str]) -> Option<&'a str> {
    let creds = property.pms_credentials.as_ref()?;
    names
        .iter()
        .find_map(|n| creds.values.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str()))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert_eq!(source_from_channel_name("Airbnb (API)"), Source::Airbnb);
        assert_eq!(source_from_channel_name("Booking.com"), Source::BookingCom);
        assert_eq!(source_from_channel_name("HomeAway"), Source::Vrbo);
        assert_eq!(source_from_channel_name("Expedia"), Source::Expedia);
        assert_eq!(source_from_channel_name("Direct booking"), Source::Direct);
        assert_eq!(source_from_channel_name("Website"), Source::Direct);
        assert_eq!(source_from_channel_name("Booking Engine"), Source::Direct);
        assert_eq!(source_from_channel_name("Agoda"), Source::Other);
        assert_eq!(source_from_channel_name(""), Source::Other);
    }

    #[test]
    fn phones() {
        assert_eq!(normalize_phone("+351 912 345 678").as_deref(), Some("+351912345678"));
        assert_eq!(normalize_phone("00420123456789").as_deref(), Some("+420123456789"));
        assert_eq!(normalize_phone("+44 (0) 20 7946 0000").as_deref(), Some("+442079460000"));
        assert_eq!(normalize_phone("912345678"), None);
        assert_eq!(normalize_phone("+12ab"), None);
    }

    #[test]
    fn languages() {
        assert_eq!(normalize_language("pt_br").as_deref(), Some("pt-BR"));
        assert_eq!(normalize_language("EN").as_deref(), Some("en"));
        assert_eq!(normalize_language("zh-hant-tw").as_deref(), Some("zh-Hant-TW"));
        assert_eq!(normalize_language("english"), None);
        assert_eq!(normalize_language(""), None);
    }

    #[test]
    fn datetimes() {
        let tz: Tz = "Europe/Lisbon".parse().unwrap();
        let summer = parse_vendor_datetime("2026-06-01 10:00", tz).unwrap();
        assert_eq!(summer.to_rfc3339(), "2026-06-01T09:00:00+00:00");
        assert_eq!(
            parse_vendor_datetime("2026-06-01T10:00:00Z", tz).unwrap().to_rfc3339(),
            "2026-06-01T10:00:00+00:00"
        );
        assert!(parse_vendor_datetime("2026-06-01 10:00:00.5", tz).is_some());
        assert!(parse_vendor_datetime("yesterday", tz).is_none());
    }
}
