//! `GET /outbox` (SPEC 6.1, local runner only, admin only): what the outbox channel recorded,
//! as the JSON lines of Appendix A.4's `sent` kind, for the caller's account.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use relais_app::embedded::OutboxRecord;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::schema::ErrorBody;
use crate::{ApiState, Caller};

/// Where the outbox's records come from.
pub trait OutboxSource: Send + Sync {
    fn records(&self) -> Result<Vec<OutboxRecord>, String>;
}

/// The outbox file the local runner appends to (one JSON record a line). Read at each request,
/// so the answer survives restarts.
#[derive(Debug, Clone)]
pub struct OutboxFile(pub PathBuf);

impl OutboxSource for OutboxFile {
    fn records(&self) -> Result<Vec<OutboxRecord>, String> {
        let text = match std::fs::read_to_string(&self.0) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("{}: {e}", self.0.display())),
        };
        // A line cut by a crash mid-append is skipped, not fatal.
        Ok(text.lines().filter_map(|line| serde_json::from_str::<OutboxRecord>(line).ok()).collect())
    }
}

#[utoipa::path(get, path = "/outbox", tag = "local",
    description = "Local runner only (admin): every message the outbox channel recorded for this account, as JSON lines `{\"at\", \"kind\": \"sent\", \"campaign\", \"reservation\", \"channel\", \"language\", \"body\"}` in send order.",
    responses((status = 200, description = "JSON lines", body = String, content_type = "application/x-ndjson"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Not the local runner", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn outbox(State(state): State<ApiState>, caller: Caller) -> ApiResult<Response> {
    caller.require_admin()?;
    let Some(source) = state.outbox.as_ref() else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "the outbox exists on the local runner only"));
    };
    let records = source.records().map_err(|e| ApiError::unavailable(&e))?;
    let account = caller.0.account_id.as_str();
    let mut campaign_account: BTreeMap<String, Option<String>> = BTreeMap::new();
    let mut out = String::new();
    for record in records {
        let Some((message_id, _channel)) = record.request.key.rsplit_once(':') else { continue };
        let Some(message) = state.app.store.get_message(message_id).await? else { continue };
        if !campaign_account.contains_key(&message.campaign_id) {
            let owner = state.app.store.get_campaign(&message.campaign_id).await?.map(|c| c.account_id);
            campaign_account.insert(message.campaign_id.clone(), owner);
        }
        if campaign_account.get(&message.campaign_id).and_then(|o| o.as_deref()) != Some(account) {
            continue;
        }
        let line = json!({
            "at": record.at,
            "kind": "sent",
            "campaign": message.campaign_id,
            "reservation": message.reservation_id,
            "channel": record.request.channel,
            "language": record.request.language,
            "body": record.request.body,
        });
        out.push_str(&line.to_string());
        out.push('\n');
    }
    let mut response = (StatusCode::OK, out).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/x-ndjson"));
    Ok(response)
}
