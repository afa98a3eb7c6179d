//! The one JSON reader for everything that arrives from outside: webhook bodies (Relais,
//! Meta, PMS vendors), API bodies, CSV import bodies, scenario files. A document is exactly one
//! JSON value, with only whitespace around it: `{...}GARBAGE` is refused, never read as its
//! first value (docs/hardening.md, "One JSON document").

use serde::de::DeserializeOwned;
use serde_json::Value;

/// A body that is not one JSON document. `serde_json`'s message says where it stopped
/// (`trailing characters at line 1 column 12`).
pub type DocumentError = serde_json::Error;

/// Parse a whole document into a [`Value`].
pub fn parse_value(bytes: &[u8]) -> Result<Value, DocumentError> {
    parse(bytes)
}

/// Parse a whole document into `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DocumentError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// Parse a whole document into `T`, with the path of the field a type error is at.
pub fn parse_with_path<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_path_to_error::Error<DocumentError>> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de)?;
    // Trailing bytes are a syntax error of the document as a whole (no field path).
    de.end().map_err(|e| serde_path_to_error::Error::new(serde_path_to_error::Track::new().path(), e))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_document_with_whitespace_around_it() {
        assert_eq!(parse_value(b" {\"a\": 1}\n\t").unwrap(), serde_json::json!({"a": 1}));
        assert_eq!(parse_with_path::<Value>(b"[1]\r\n").unwrap(), serde_json::json!([1]));
    }

    #[test]
    fn trailing_bytes_are_refused_by_every_reader() {
        for body in [&b"{\"a\":1}GARBAGE"[..], b"{\"a\":1}{\"a\":2}", b"{\"a\":1} x", b"{\"a\":1}\0", b"1 2"] {
            let shown = String::from_utf8_lossy(body);
            let error = parse_value(body).unwrap_err();
            assert!(error.is_syntax(), "{shown}: {error}");
            assert!(parse::<Value>(body).is_err(), "{shown}");
            let error = parse_with_path::<Value>(body).unwrap_err();
            assert!(error.inner().is_syntax(), "{shown}");
            assert_eq!(error.path().to_string(), ".", "{shown}");
        }
    }
}
