//! Calls to vendor APIs: every network failure, timeout, throttle or 5xx becomes
//! `VendorError::Unavailable` (the webhook answers 5xx, the PMS retries, nothing is stored).

use relais_app::ports::VendorError;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

/// What a vendor API answered.
pub(crate) enum Answer {
    Json(Value),
    /// A 4xx other than 408/429: 401/403 (credentials refused or operation not granted), 404...
    /// The caller decides; a required call turns it into `Unavailable`.
    ClientError(StatusCode),
}

/// Send and read a JSON answer.
pub(crate) async fn send(vendor: &str, operation: &str, request: RequestBuilder) -> Result<Answer, VendorError> {
    let response = request.send().await.map_err(|e| {
        let kind = if e.is_timeout() {
            "timed out"
        } else if e.is_connect() {
            "connection failed"
        } else {
            "request failed"
        };
        tracing::warn!(vendor, operation, kind, "vendor API unreachable");
        VendorError::Unavailable(format!("{vendor} API {operation}: {kind}"))
    })?;
    let status = response.status();
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS {
        tracing::warn!(vendor, operation, status = status.as_u16(), "vendor API unavailable");
        return Err(VendorError::Unavailable(format!("{vendor} API {operation}: HTTP {}", status.as_u16())));
    }
    if status.is_client_error() {
        tracing::warn!(vendor, operation, status = status.as_u16(), "vendor API client error");
        return Ok(Answer::ClientError(status));
    }
    if !status.is_success() {
        return Err(VendorError::Unavailable(format!("{vendor} API {operation}: HTTP {}", status.as_u16())));
    }
    let bytes = response.bytes().await.map_err(|_| {
        tracing::warn!(vendor, operation, "vendor API body could not be read");
        VendorError::Unavailable(format!("{vendor} API {operation}: body could not be read"))
    })?;
    let value: Value = relais_domain::document::parse_value(&bytes).map_err(|_| {
        tracing::warn!(vendor, operation, "vendor API answered something that is not JSON");
        VendorError::Unavailable(format!("{vendor} API {operation}: answer is not JSON"))
    })?;
    Ok(Answer::Json(value))
}

/// A client error on a call we cannot do without: `Unavailable` (nothing stored, the PMS
/// retries; fixing the property's credentials makes the retries succeed).
pub(crate) fn client_error(vendor: &str, operation: &str, status: reqwest::StatusCode) -> VendorError {
    let code = status.as_u16();
    if code == 401 || code == 403 {
        VendorError::Unavailable(format!(
            "{vendor} API {operation}: the property's {vendor} credentials were refused (HTTP {code})"
        ))
    } else {
        VendorError::Unavailable(format!("{vendor} API {operation}: HTTP {code}"))
    }
}
