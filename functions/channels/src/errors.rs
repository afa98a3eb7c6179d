//! Shared error plumbing: classification classes, parse errors, transport failures.

use relais_app::ports::SendOutcome;
use serde::{Deserialize, Serialize};

/// What a provider error means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// Refused for good: fall back if a fallback is set, else `failed`.
    Permanent,
    /// Refused because the recipient opted out / blocked on this channel: record the opt-out,
    /// then as `Permanent`.
    OptedOut,
    /// Throttling, provider outage, timeout: retry later with backoff (bounded).
    Transient,
}

/// A webhook or callback payload that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("malformed payload: {0}")]
    Malformed(String),
    #[error("{field}: {message}")]
    Field { field: String, message: String },
}

impl ParseError {
    pub(crate) fn missing(field: &str) -> Self {
        ParseError::Field { field: field.to_string(), message: "is required".to_string() }
    }
}

/// `Retry-After` in seconds (the delta-seconds form; an HTTP-date is ignored and the caller's
/// backoff applies).
pub(crate) fn retry_after_seconds(headers: &reqwest::header::HeaderMap) -> Option<u32> {
    headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u32>().ok())
}

/// A send that failed before any HTTP answer.
///
/// `connect`: the request never reached the provider, so a retry cannot duplicate the message.
/// `timeout`: the provider may or may not have accepted it (neither API has an idempotency key
/// for sends). Every send carries our key (WhatsApp `biz_opaque_callback_data`, Twilio
/// `StatusCallback?relais_key=`), which the provider's status report echoes; the retry waits
/// [`UNANSWERED_SEND_RETRY_SECONDS`] so that the report, if the message went out, settles it
/// first (`engine::apply_status`) and the retry finds nothing to send.
pub(crate) fn transport_outcome(err: &reqwest::Error, provider: &'static str) -> SendOutcome {
    let (code, retry_after_seconds) = if err.is_connect() {
        ("connect", None)
    } else if err.is_timeout() {
        ("timeout", Some(UNANSWERED_SEND_RETRY_SECONDS))
    } else {
        ("transport", Some(UNANSWERED_SEND_RETRY_SECONDS))
    };
    tracing::warn!(provider, code, "provider request failed before an answer");
    SendOutcome::Transient {
        code: code.to_string(),
        detail: format!("{provider} request failed: {code}"),
        retry_after_seconds,
    }
}

/// The earliest retry of a send whose answer was lost: long enough for the provider's first
/// status report (usually seconds) to arrive.
pub const UNANSWERED_SEND_RETRY_SECONDS: u32 = 120;

/// Provider error texts sometimes quote the phone number ("The 'To' number +1555... is not a
/// valid phone number"). Details end up in timelines and logs, so runs of 7 or more digits are
/// masked (error codes have at most 6).
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits = run.chars().filter(char::is_ascii_digit).count();
        if digits >= 7 {
            out.push_str("<number>");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && run.is_empty()) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    const MAX: usize = 300;
    if out.chars().count() > MAX {
        out = out.chars().take(MAX).collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_masks_phone_numbers_only() {
        assert_eq!(
            redact("The 'To' number +15551234567 is not a valid phone number."),
            "The 'To' number <number> is not a valid phone number."
        );
        assert_eq!(redact("(#131026) Message undeliverable"), "(#131026) Message undeliverable");
        assert_eq!(redact("to 351912345678 failed"), "to <number> failed");
        assert_eq!(redact("error 429 in 30 s"), "error 429 in 30 s");
    }
}
