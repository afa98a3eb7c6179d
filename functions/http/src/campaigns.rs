//! `GET/POST /campaigns`, `GET/PUT/DELETE /campaigns/{id}` and the life-cycle actions
//! (SPEC 2.4). ETag = campaign version; `If-Match` on PUT and actions, 409 on mismatch.

use axum::body::Body;
use axum::extract::State;
use axum::http::header::{ETAG, IF_MATCH, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use relais_app::campaigns::{self as service, Actor};
use relais_domain::validate::{FieldError, ValidationContext, validate_campaign};
use relais_domain::{Campaign, CampaignStatus};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::schema::{CampaignInput, CampaignList, CampaignView, ErrorBody, RejectInput};
use crate::{ApiState, Caller, PathParam, QueryMap, json_body};

/// Fields the server sets; a POST body naming one is refused, a PUT body's are ignored (so that
/// what GET returned can be sent back), except an `id` other than the URL's.
const READ_ONLY: &[&str] = &[
    "id",
    "account_id",
    "created_by",
    "status",
    "rejection_reason",
    "version",
    "created_at",
    "updated_at",
    "activated_at",
];

pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

pub fn campaign_response(status: StatusCode, campaign: &Campaign) -> Response {
    let mut response = (status, axum::Json(campaign)).into_response();
    if let Ok(value) = HeaderValue::from_str(&etag(campaign.version)) {
        response.headers_mut().insert(ETAG, value);
    }
    response
}

/// `If-Match`: `None` when absent or `*`; else the versions it names (`"3"`, `W/"3"`, `3`, lists).
fn if_match(headers: &HeaderMap) -> ApiResult<Option<Vec<u64>>> {
    let Some(value) = headers.get(IF_MATCH) else { return Ok(None) };
    let bad = || {
        ApiError::bad_request("invalid_header", "If-Match must be an ETag this API returned, e.g. \"3\"")
            .with_field("If-Match")
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let mut versions = Vec::new();
    for tag in text.split(',') {
        let tag = tag.trim();
        let tag = tag.strip_prefix("W/").unwrap_or(tag).trim_matches('"');
        versions.push(tag.parse::<u64>().map_err(|_| bad())?);
    }
    Ok(Some(versions))
}

/// The campaign the caller may see, checked against `If-Match`; returns the version to hand the
/// service (which checks it again in its conditional write).
async fn checked(state: &ApiState, actor: &Actor, id: &str, headers: &HeaderMap) -> ApiResult<(Campaign, Option<u64>)> {
    let expected = if_match(headers)?;
    let campaign = service::get_visible(&state.app, actor, id).await?;
    match expected {
        Some(versions) if !versions.contains(&campaign.version) => Err(ApiError::conflict(
            "version_mismatch",
            format!(
                "the campaign is at version {} (ETag {}), not the one in If-Match: reload it and apply your change again",
                campaign.version,
                etag(campaign.version)
            ),
        )
        .with_field("If-Match")),
        Some(_) => {
            let version = campaign.version;
            Ok((campaign, Some(version)))
        }
        None => Ok((campaign, None)),
    }
}

fn read_only_errors(body: &Value) -> Vec<FieldError> {
    let Some(map) = body.as_object() else { return Vec::new() };
    READ_ONLY
        .iter()
        .filter(|f| map.contains_key(**f))
        .map(|f| {
            ApiError::field_error(
                f,
                "read_only",
                format!("`{f}` is set by the server and may not be sent when creating"),
            )
        })
        .collect()
}

fn strip_read_only(body: &mut Value) {
    if let Some(map) = body.as_object_mut() {
        for field in READ_ONLY {
            map.remove(*field);
        }
    }
}

/// Validation errors of `body` for the caller (to report them with the read-only ones at once).
async fn validation_errors(state: &ApiState, actor: &Actor, body: &Value) -> ApiResult<Vec<FieldError>> {
    let properties = state.app.store.list_properties(&actor.account_id).await?;
    let chatbots = state.app.store.list_chatbots(&actor.account_id).await?;
    let ctx = ValidationContext { user: &actor.user, properties: &properties, chatbots: &chatbots };
    Ok(validate_campaign(body, &ctx).err().unwrap_or_default())
}

#[utoipa::path(get, path = "/campaigns", tag = "campaigns",
    params(("status" = Option<String>, Query, description = "Only campaigns in this status (draft, pending, active, rejected, paused, archived)")),
    responses(
        (status = 200, description = "Every campaign of the account the caller may see, with its status", body = CampaignList),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(State(state): State<ApiState>, caller: Caller, QueryMap(query): QueryMap) -> ApiResult<Response> {
    let status = match query.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(s) => Some(serde_json::from_value::<CampaignStatus>(json!(s)).map_err(|_| {
            ApiError::bad_request(
                "invalid_value",
                "status must be draft, pending, active, rejected, paused or archived",
            )
            .with_field("status")
        })?),
    };
    let mut campaigns = service::list_visible(&state.app, &caller.0).await?;
    if let Some(status) = status {
        campaigns.retain(|c| c.status == status);
    }
    Ok(crate::json_response(StatusCode::OK, json!({ "campaigns": campaigns })))
}

#[utoipa::path(post, path = "/campaigns", tag = "campaigns",
    request_body = CampaignInput,
    responses(
        (status = 201, description = "Created as a draft; ETag is its version", body = CampaignView,
            headers(("ETag" = String), ("Location" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, description = "Every invalid field, with its path", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn create(State(state): State<ApiState>, caller: Caller, body: Body) -> ApiResult<Response> {
    caller.require_editor("create campaigns")?;
    let mut body = json_body(body, true).await?;
    let read_only = read_only_errors(&body);
    if !read_only.is_empty() {
        strip_read_only(&mut body);
        let mut errors = read_only;
        errors.extend(validation_errors(&state, &caller.0, &body).await?);
        return Err(ApiError::invalid(errors));
    }
    let campaign = service::create(&state.app, &caller.0, &body, None).await?;
    let mut response = campaign_response(StatusCode::CREATED, &campaign);
    if let Ok(location) = HeaderValue::from_str(&format!("/campaigns/{}", campaign.id)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

#[utoipa::path(get, path = "/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = CampaignView, headers(("ETag" = String))),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_one(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Response> {
    let campaign = service::get_visible(&state.app, &caller.0, &id).await?;
    Ok(campaign_response(StatusCode::OK, &campaign))
}

#[utoipa::path(put, path = "/campaigns/{id}", tag = "campaigns",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag read; 409 if the campaign changed since")),
    request_body(content = CampaignInput, description = "The whole definition, as for POST. Read-only fields (as GET returns them) are ignored. Changing an active or paused campaign sends it back to pending."),
    responses(
        (status = 200, body = CampaignView, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    caller.require_editor("edit campaigns")?;
    let (_, expected) = checked(&state, &caller.0, &id, &headers).await?;
    let mut body = json_body(body, true).await?;
    if let Some(given) = body.get("id")
        && given.as_str() != Some(id.as_str())
    {
        return Err(ApiError::invalid(vec![ApiError::field_error(
            "id",
            "read_only",
            "`id` must be the campaign's id (the one in the URL) or left out",
        )]));
    }
    strip_read_only(&mut body);
    let campaign = service::update(&state.app, &caller.0, &id, &body, expected).await?;
    Ok(campaign_response(StatusCode::OK, &campaign))
}

#[utoipa::path(delete, path = "/campaigns/{id}", tag = "campaigns",
    description = "Archive the campaign (its open messages are canceled). Same as POST /campaigns/{id}/archive.",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, body = CampaignView, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    act(&state, &caller, &id, &headers, Action::Archive, None).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Submit,
    Approve,
    Reject,
    Pause,
    Resume,
    Archive,
}

async fn act(
    state: &ApiState,
    caller: &Caller,
    id: &str,
    headers: &HeaderMap,
    action: Action,
    reason: Option<String>,
) -> ApiResult<Response> {
    match action {
        Action::Approve => caller.require_approver("approve campaigns")?,
        Action::Reject => caller.require_approver("reject campaigns")?,
        Action::Submit => caller.require_editor("submit campaigns")?,
        Action::Pause => caller.require_editor("pause campaigns")?,
        Action::Resume => caller.require_editor("resume campaigns")?,
        Action::Archive => caller.require_editor("archive campaigns")?,
    }
    let (_, expected) = checked(state, &caller.0, id, headers).await?;
    let app = &state.app;
    let actor = &caller.0;
    let campaign = match action {
        Action::Submit => service::submit(app, actor, id, expected).await?,
        Action::Approve => service::approve(app, actor, id, expected).await?,
        Action::Reject => service::reject(app, actor, id, reason.as_deref().unwrap_or(""), expected).await?,
        Action::Pause => service::pause(app, actor, id, expected).await?,
        Action::Resume => service::resume(app, actor, id, expected).await?,
        Action::Archive => service::archive(app, actor, id, expected).await?,
    };
    tracing::info!(campaign_id = %campaign.id, status = campaign.status.as_str(), "campaign life cycle");
    Ok(campaign_response(StatusCode::OK, &campaign))
}

macro_rules! action_route {
    ($name:ident, $action:expr, $path:tt, $what:tt) => {
        #[utoipa::path(post, path = $path, tag = "campaigns", description = $what,
            params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag read; 409 if the campaign changed since")),
            responses(
                (status = 200, body = CampaignView, headers(("ETag" = String))),
                (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                (status = 404, body = ErrorBody),
                (status = 409, description = "Version mismatch, or the campaign's status does not allow this", body = ErrorBody)),
            security(("bearer" = [])))]
        pub async fn $name(
            State(state): State<ApiState>,
            caller: Caller,
            PathParam(id): PathParam<String>,
            headers: HeaderMap,
        ) -> ApiResult<Response> {
            act(&state, &caller, &id, &headers, $action, None).await
        }
    };
}

action_route!(
    submit,
    Action::Submit,
    "/campaigns/{id}/submit",
    "Submit a draft or rejected campaign for approval (editor). The creator and the approvers are notified."
);
action_route!(
    approve,
    Action::Approve,
    "/campaigns/{id}/approve",
    "Approve a pending campaign (approver): it becomes active and is planned for current reservations. The creator is notified."
);
action_route!(pause, Action::Pause, "/campaigns/{id}/pause", "Pause an active campaign (editor).");
action_route!(resume, Action::Resume, "/campaigns/{id}/resume", "Resume a paused campaign (editor).");
action_route!(
    archive,
    Action::Archive,
    "/campaigns/{id}/archive",
    "Archive a campaign in any status (editor); its open messages are canceled."
);

#[utoipa::path(post, path = "/campaigns/{id}/reject", tag = "campaigns",
    description = "Reject a pending campaign with a reason (approver). The creator is notified with the reason.",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    request_body = RejectInput,
    responses(
        (status = 200, body = CampaignView, headers(("ETag" = String))),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reject(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    caller.require_approver("reject campaigns")?;
    let body = json_body(body, false).await?;
    let reason = match body.get("reason") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(ApiError::invalid(vec![ApiError::field_error(
                "reason",
                "invalid_type",
                "reason must be a string",
            )]));
        }
    };
    if reason.chars().count() > 1000 {
        return Err(ApiError::invalid(vec![ApiError::field_error("reason", "too_long", "at most 1000 characters")]));
    }
    act(&state, &caller, &id, &headers, Action::Reject, Some(reason)).await
}
