//! Operator custom fields (`PATCH /reservations/{id}/custom-fields`, scenario `custom_fields`
//! events): yes/no values by field name.

use serde_json::Value;

use super::{FieldError, codes};

/// Longest custom field name accepted.
pub const CUSTOM_FIELD_KEY_MAX_CHARS: usize = 64;
/// Most fields one change may carry.
pub const CUSTOM_FIELDS_MAX_PER_CHANGE: usize = 50;

/// The operator's changes as read from a body `{"vip": true, "late_checkout": false}`: a
/// value is a yes/no, or `null` to drop the operator's value (the PMS's applies again).
pub fn parse_custom_fields(body: &Value) -> Result<Vec<(String, Option<bool>)>, Vec<FieldError>> {
    let error = |field: &str, code: &str, message: String| FieldError {
        field: field.to_string(),
        code: code.to_string(),
        message,
    };
    let Some(map) = body.as_object() else {
        return Err(vec![error(
            "",
            codes::INVALID_TYPE,
            "expected an object of yes/no fields, e.g. {\"vip\": true}".into(),
        )]);
    };
    if map.is_empty() {
        return Err(vec![error("", codes::EMPTY, "name at least one field, e.g. {\"vip\": true}".into())]);
    }
    if map.len() > CUSTOM_FIELDS_MAX_PER_CHANGE {
        return Err(vec![error("", codes::TOO_MANY, format!("at most {CUSTOM_FIELDS_MAX_PER_CHANGE} fields at once"))]);
    }
    let mut errors = Vec::new();
    let mut changes = Vec::new();
    for (key, value) in map {
        let key_ok = !key.trim().is_empty()
            && key.chars().count() <= CUSTOM_FIELD_KEY_MAX_CHARS
            && !key.chars().any(|c| c.is_control() || c.is_whitespace());
        if !key_ok {
            errors.push(error(
                key,
                codes::INVALID_VALUE,
                format!("a field name is 1 to {CUSTOM_FIELD_KEY_MAX_CHARS} characters without spaces"),
            ));
            continue;
        }
        match value {
            Value::Bool(b) => changes.push((key.clone(), Some(*b))),
            Value::Null => changes.push((key.clone(), None)),
            _ => errors.push(error(
                key,
                codes::INVALID_TYPE,
                "expected true, false, or null (back to the PMS's value)".into(),
            )),
        }
    }
    if errors.is_empty() { Ok(changes) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_fields_are_yes_no_or_null_and_errors_name_the_field() {
        assert_eq!(
            parse_custom_fields(&json!({"vip": true, "late_checkout": null})).unwrap(),
            vec![("vip".to_string(), Some(true)), ("late_checkout".to_string(), None)]
        );
        let fields = |body: Value| -> Vec<String> {
            parse_custom_fields(&body).unwrap_err().into_iter().map(|e| e.field).collect()
        };
        assert_eq!(fields(json!({"vip": "yes"})), vec!["vip"]);
        assert_eq!(fields(json!({"a b": true, "ok": false, "n": 1})), vec!["a b", "n"]);
        assert_eq!(fields(json!({})), vec![""]);
        assert_eq!(fields(json!([true])), vec![""]);
        assert_eq!(fields(json!({"x".repeat(65): true})), vec!["x".repeat(65)]);
    }
}
