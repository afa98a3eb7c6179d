//! A small walker over `serde_json::Value` that records every problem with its field path,
//! instead of stopping at the first one as serde does.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::{FieldError, codes};
use crate::time::LocalTime;

/// `parent.key`, or `parent["odd key"]` when the key is not a plain identifier (so a path stays
/// unambiguous whatever an author writes as a map key).
pub(super) fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", Value::String(key.to_string())),
    }
}

pub(super) fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// How a JSON value's type is named in messages.
pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn field_name(path: &str) -> &str {
    if path.is_empty() { "the document" } else { path }
}

/// Collects errors while walking a document.
#[derive(Debug, Default)]
pub(super) struct Checker {
    pub(super) errors: Vec<FieldError>,
}

impl Checker {
    pub(super) fn error(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError { field: field.to_string(), code: code.to_string(), message: message.into() });
    }

    pub(super) fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    fn wrong_type(&mut self, path: &str, expected: &str, value: &Value) {
        self.error(
            path,
            codes::INVALID_TYPE,
            format!("{} must be {expected}, got {}", field_name(path), type_name(value)),
        );
    }

    // ---- objects and their fields

    pub(super) fn object<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v Map<String, Value>> {
        match value {
            Value::Object(map) => Some(map),
            other => {
                self.wrong_type(path, "an object", other);
                None
            }
        }
    }

    /// Refuses every key not in `allowed`: a typo must never be silently ignored.
    pub(super) fn only_fields(&mut self, path: &str, map: &Map<String, Value>, allowed: &[&str]) {
        for key in map.keys() {
            if !allowed.contains(&key.as_str()) {
                self.error(
                    &key_path(path, key),
                    codes::UNKNOWN_FIELD,
                    format!("unknown field '{key}'; expected one of: {}", allowed.join(", ")),
                );
            }
        }
    }

    /// A field that must be present and not null.
    pub(super) fn required<'v>(&mut self, path: &str, map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
        match map.get(key) {
            None | Some(Value::Null) => {
                self.error(&key_path(path, key), codes::REQUIRED, format!("'{key}' is required"));
                None
            }
            Some(value) => Some(value),
        }
    }

    /// A field that may be absent and whose model type accepts null (an `Option`).
    pub(super) fn optional<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
        map.get(key).filter(|value| !value.is_null())
    }

    /// A field that may be absent but, when present, must hold a value (the model fills a default
    /// when it is missing and refuses `null`).
    pub(super) fn defaulted<'v>(&mut self, path: &str, map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
        match map.get(key) {
            Some(Value::Null) => {
                self.error(&key_path(path, key), codes::INVALID_TYPE, format!("'{key}' may be left out but not null"));
                None
            }
            other => other,
        }
    }

    // ---- scalars

    pub(super) fn string<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v str> {
        match value {
            Value::String(text) => Some(text),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    /// A string with something other than white space in it.
    pub(super) fn non_empty_string<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v str> {
        let text = self.string(path, value)?;
        if text.trim().is_empty() {
            self.error(path, codes::EMPTY, format!("{} must not be empty", field_name(path)));
            return None;
        }
        Some(text)
    }

    pub(super) fn boolean(&mut self, path: &str, value: &Value) -> Option<bool> {
        match value {
            Value::Bool(flag) => Some(*flag),
            other => {
                self.wrong_type(path, "true or false", other);
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub(super) fn integer(&mut self, path: &str, value: &Value, min: i64, max: i64) -> Option<i64> {
        let number = match value {
            Value::Number(number) => number,
            other => {
                self.wrong_type(path, "an integer", other);
                return None;
            }
        };
        let Some(integer) = number.as_i64() else {
            if number.as_u64().is_some() {
                self.error(path, codes::OUT_OF_RANGE, format!("{path} must be between {min} and {max}"));
            } else {
                self.error(path, codes::INVALID_TYPE, format!("{path} must be an integer, got {number}"));
            }
            return None;
        };
        if integer < min || integer > max {
            self.error(path, codes::OUT_OF_RANGE, format!("{path} must be between {min} and {max}, got {integer}"));
            return None;
        }
        Some(integer)
    }

    /// One of the `allowed` spellings.
    pub(super) fn one_of<'v>(&mut self, path: &str, value: &'v Value, allowed: &[&str]) -> Option<&'v str> {
        let text = self.string(path, value)?;
        if allowed.contains(&text) {
            Some(text)
        } else {
            self.error(
                path,
                codes::INVALID_VALUE,
                format!("'{text}' is not allowed for {path}; expected one of: {}", allowed.join(", ")),
            );
            None
        }
    }

    pub(super) fn local_time(&mut self, path: &str, value: &Value) -> Option<LocalTime> {
        let text = self.string(path, value)?;
        match LocalTime::from_str(text) {
            Ok(time) => Some(time),
            Err(_) => {
                self.error(path, codes::INVALID_FORMAT, format!("{path} must be a time written HH:MM, got '{text}'"));
                None
            }
        }
    }

    pub(super) fn date(&mut self, path: &str, value: &Value) -> Option<NaiveDate> {
        let text = self.string(path, value)?;
        match NaiveDate::from_str(text) {
            Ok(date) => Some(date),
            Err(_) => {
                self.error(
                    path,
                    codes::INVALID_FORMAT,
                    format!("{path} must be a date written YYYY-MM-DD, got '{text}'"),
                );
                None
            }
        }
    }

    pub(super) fn instant(&mut self, path: &str, value: &Value) -> Option<DateTime<Utc>> {
        let text = self.string(path, value)?;
        match DateTime::parse_from_rfc3339(text) {
            Ok(instant) => Some(instant.with_timezone(&Utc)),
            Err(_) => {
                self.error(
                    path,
                    codes::INVALID_FORMAT,
                    format!("{path} must be an RFC 3339 instant such as 2026-06-01T09:00:00Z, got '{text}'"),
                );
                None
            }
        }
    }

    // ---- arrays

    pub(super) fn array<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v Vec<Value>> {
        match value {
            Value::Array(items) => Some(items),
            other => {
                self.wrong_type(path, "an array", other);
                None
            }
        }
    }

    pub(super) fn non_empty_array<'v>(&mut self, path: &str, value: &'v Value) -> Option<&'v Vec<Value>> {
        let items = self.array(path, value)?;
        if items.is_empty() {
            self.error(path, codes::EMPTY, format!("{path} must list at least one value"));
        }
        Some(items)
    }

    /// Reports, at its own index, every item equal to an earlier one.
    pub(super) fn unique<T: PartialEq + std::fmt::Display>(&mut self, path: &str, items: &[(usize, T)]) {
        for (position, (index, item)) in items.iter().enumerate() {
            if items[..position].iter().any(|(_, earlier)| earlier == item) {
                self.error(&index_path(path, *index), codes::DUPLICATE, format!("'{item}' is listed twice in {path}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_keys_that_are_not_identifiers() {
        assert_eq!(key_path("", "name"), "name");
        assert_eq!(key_path("messages", "pt-BR"), "messages.pt-BR");
        assert_eq!(key_path("messages", "a.b"), "messages[\"a.b\"]");
        assert_eq!(key_path("", ""), "[\"\"]");
        assert_eq!(index_path("trigger.hours", 2), "trigger.hours[2]");
    }
}
