//! `POST /imports/csv/{property_id}` (SPEC 4, Custom CSV configurations): each row is a
//! canonical reservation upsert through the same intake as webhooks (stale and duplicate rows
//! change nothing); the response reports rows accepted and each rejected row with its line.
//!
//! The column mapping is saved per property. It lives in the property's PMS credentials under
//! the reserved key `csv_mapping` (a JSON string), so that every store keeps it without a new
//! table; credentials are write-only, so it is never echoed by the set-up routes.

use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use relais_app::intake::{IngestOutcome, ingest};
use relais_domain::intake::check_reservation;
use relais_domain::{PmsCredentials, Property};
use relais_pms::{CsvMapping, parse_csv_at};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::schema::{CsvImportInput, CsvImportReport, ErrorBody};
use crate::setup::CSV_MAPPING_KEY;
use crate::{ApiState, Caller, PathParam, read_body};

/// A CSV import may be this large.
pub const CSV_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// How an import body is read, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImportFormat {
    /// `application/json`: `{"csv": "...", "mapping": {...}}`.
    Json,
    /// `text/csv` (also `application/csv`, `text/plain`, or no type): the file itself.
    Csv,
}

/// The media types an import is read as; anything else (a `multipart/form-data` upload, a
/// form) is refused rather than misread as CSV text.
fn import_format(headers: &HeaderMap) -> ApiResult<ImportFormat> {
    let Some(value) = headers.get(CONTENT_TYPE) else { return Ok(ImportFormat::Csv) };
    let media_type = value.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match media_type.as_str() {
        "application/json" => Ok(ImportFormat::Json),
        "text/csv" | "application/csv" | "text/plain" => Ok(ImportFormat::Csv),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "Content-Type '{media_type}' is not accepted: send the CSV file as text/csv, or {{\"csv\", \"mapping\"}} as \
                 application/json (multipart/form-data uploads are not supported)"
            ),
        )
        .with_field("Content-Type")),
    }
}

fn saved_mapping(property: &Property) -> Option<Value> {
    let text = property.pms_credentials.as_ref()?.values.get(CSV_MAPPING_KEY)?;
    serde_json::from_str(text).ok()
}

fn mapping_of(value: &Value) -> ApiResult<CsvMapping> {
    let mapping: CsvMapping = serde_json::from_value(value.clone()).map_err(|e| {
        ApiError::invalid(vec![ApiError::field_error("mapping", "invalid", format!("not a column mapping: {e}"))])
    })?;
    mapping.validate().map_err(|e| {
        ApiError::invalid(vec![ApiError::field_error(&format!("mapping.{}", e.field), "invalid", e.message)])
    })?;
    Ok(mapping)
}

#[utoipa::path(post, path = "/imports/csv/{property_id}", tag = "intake",
    description = "Import reservations from a CSV file (properties on `custom_csv`). `text/csv`: the file, read with the property's saved column mapping. `application/json`: `{\"csv\": \"...\", \"mapping\": {...}}`; a mapping given is validated and, when every column it names is in the file's header, saved for the next imports (otherwise 422 naming `mapping.columns.<field>`, nothing saved). Other content types (e.g. `multipart/form-data`) are refused with 415.",
    params(("property_id" = String, Path)),
    request_body(content(
        (CsvImportInput = "application/json"),
        (String = "text/csv"))),
    responses((status = 200, body = CsvImportReport), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The property's PMS is not custom_csv", body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, description = "Neither text/csv nor application/json (e.g. multipart/form-data)", body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn csv(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(property_id): PathParam<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    caller.require_editor("import reservations")?;
    let actor = &caller.0;
    let mut property = state
        .app
        .store
        .get_property(&property_id)
        .await?
        .filter(|p| p.account_id.as_deref() == Some(actor.account_id.as_str()) && actor.user.may_see_property(&p.id))
        .ok_or_else(|| ApiError::not_found("property"))?;
    if property.pms != "custom_csv" {
        return Err(ApiError::conflict(
            "wrong_pms",
            format!("this property is connected to '{}': CSV imports are for custom_csv properties", property.pms),
        )
        .with_field("property_id"));
    }
    let format = import_format(&headers)?;
    let bytes = read_body(body, CSV_BODY_LIMIT).await?;
    let (csv, given_mapping): (Vec<u8>, Option<Value>) = if format == ImportFormat::Json {
        let doc: Value = relais_domain::document::parse_value(&bytes)
            .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}")))?;
        let Some(map) = doc.as_object() else {
            return Err(ApiError::invalid(vec![ApiError::field_error(
                "",
                "invalid_type",
                "expected {\"csv\", \"mapping\"}",
            )]));
        };
        let mut errors = Vec::new();
        for key in map.keys().filter(|k| !["csv", "mapping"].contains(&k.as_str())) {
            errors.push(ApiError::field_error(key, "unknown_field", format!("unknown field `{key}`")));
        }
        let csv = match map.get("csv") {
            Some(Value::String(s)) => s.clone().into_bytes(),
            Some(_) => {
                errors.push(ApiError::field_error("csv", "invalid_type", "expected the CSV text"));
                Vec::new()
            }
            None => {
                errors.push(ApiError::field_error("csv", "required", "`csv` is required"));
                Vec::new()
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        (csv, map.get("mapping").filter(|m| !m.is_null()).cloned())
    } else {
        (bytes.to_vec(), None)
    };
    let mapping = match (&given_mapping, saved_mapping(&property)) {
        (Some(given), _) => mapping_of(given)?,
        (None, Some(saved)) => mapping_of(&saved)?,
        (None, None) => {
            return Err(ApiError::invalid(vec![ApiError::field_error(
                "mapping",
                "required",
                "no column mapping is saved for this property: send {\"csv\", \"mapping\"} as JSON once",
            )]));
        }
    };
    let now = state.app.clock.now();
    let report = parse_csv_at(&property, &mapping, &csv, Some(now));
    if given_mapping.is_some() {
        // A mapping is saved only when it fits the file it came with: one naming a column the
        // file lacks would replace the working mapping with one that reads nothing.
        let misfits: Vec<_> = report
            .rejected
            .iter()
            .filter(|r| r.line <= 1)
            .map(|r| ApiError::field_error(&format!("mapping.columns.{}", r.field), "invalid", r.reason.clone()))
            .collect();
        if !misfits.is_empty() {
            return Err(ApiError::invalid(misfits));
        }
        let text = serde_json::to_string(&mapping).map_err(|e| ApiError::unavailable(&e))?;
        let credentials = property.pms_credentials.get_or_insert_with(PmsCredentials::default);
        credentials.values.insert(CSV_MAPPING_KEY.to_string(), text);
        state.app.store.put_property(&property).await?;
    }
    let mut rejected: Vec<Value> = report.rejected.iter().map(|r| json!(r)).collect();
    let (mut accepted, mut stored, mut duplicates, mut stale) = (0usize, 0usize, 0usize, 0usize);
    for (line, reservation) in report.accepted {
        if let Err(e) = check_reservation(&reservation, "") {
            rejected.push(json!({"line": line, "field": e.field, "reason": e.message}));
            continue;
        }
        let digest = Sha256::digest(serde_json::to_vec(&reservation).unwrap_or_default());
        let event_id = format!("csv:{}", &hex::encode(digest)[..32]);
        let (outcome, _) = ingest(&state.app, &event_id, reservation, now).await?;
        accepted += 1;
        match outcome {
            IngestOutcome::Stored => stored += 1,
            IngestOutcome::Duplicate => duplicates += 1,
            IngestOutcome::Stale => stale += 1,
        }
    }
    rejected.sort_by_key(|r| r["line"].as_u64().unwrap_or(0));
    tracing::info!(property_id = %property.id, accepted, stored, rejected = rejected.len(), "CSV import");
    Ok(crate::json_response(
        StatusCode::OK,
        json!({
            "property_id": property.id,
            "accepted": accepted,
            "stored": stored,
            "duplicates": duplicates,
            "stale": stale,
            "rejected": rejected,
        }),
    ))
}
