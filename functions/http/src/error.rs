//! Errors as the SPEC shapes them: `{"error": {"code", "message", "field"}}`, and for
//! validation (422) every problem in `"errors": [...]` with the first one in `error`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use relais_app::campaigns::ServiceError;
use relais_app::engine::EngineError;
use relais_domain::validate::FieldError;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub field: Option<String>,
    pub errors: Vec<FieldError>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_string(), message: message.into(), field: None, errors: Vec::new() }
    }
    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {} KiB", limit / 1024),
        )
    }
    /// 422 with every field error (the first also in `error`).
    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        let first = errors.first().cloned();
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: first.as_ref().map_or_else(|| "invalid".to_string(), |e| e.code.clone()),
            message: first.as_ref().map_or_else(|| "invalid request".to_string(), |e| e.message.clone()),
            field: first.map(|e| e.field),
            errors,
        }
    }
    pub fn field_error(field: &str, code: &str, message: impl Into<String>) -> FieldError {
        FieldError { field: field.to_string(), code: code.to_string(), message: message.into() }
    }
    /// Store or transport down: 503, retry later. Details go to the log, not to the client.
    pub fn unavailable(detail: &dyn std::fmt::Display) -> ApiError {
        tracing::error!(error = %detail, "backend unavailable");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "temporarily unavailable; retry later")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"code": self.code, "message": self.message});
        if let Some(field) = &self.field {
            error["field"] = json!(field);
        }
        let mut body = json!({ "error": error });
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        match e {
            ServiceError::NotFound(what) => ApiError::not_found(&what),
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::Invalid(errors) => ApiError::invalid(errors),
            ServiceError::Conflict(m) => ApiError::conflict("conflict", m),
            ServiceError::Unavailable(m) => ApiError::unavailable(&m),
            ServiceError::Engine(e) => ApiError::unavailable(&e),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        ApiError::unavailable(&e)
    }
}

impl From<relais_app::ports::StoreError> for ApiError {
    fn from(e: relais_app::ports::StoreError) -> ApiError {
        ApiError::unavailable(&e)
    }
}
