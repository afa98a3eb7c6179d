//! `GET /stats` (delivery statistics and the calendar of upcoming sends) and `POST /preview`
//! (a campaign set over a range, with message-fatigue warnings): docs/statistics.md.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use relais_app::{season, stats};
use relais_domain::validate::{parse_preview_request, parse_stats_params};

use crate::error::{ApiError, ApiResult};
use crate::schema::{ErrorBody, SeasonPreviewInput, SeasonPreviewResult, StatsResult};
use crate::{ApiState, Caller, QueryMap, json_body};

#[utoipa::path(get, path = "/stats", tag = "insight",
    description = "Each campaign's messages counted by the property-local date of their due time, in their current state, with delivery and read rates: a past range says what happened, a future one is the calendar of upcoming sends. Any role; only the campaigns of the properties the caller may see. `to - from` is at most 366 days.",
    params(("from" = String, Query, description = "First date, YYYY-MM-DD (property-local)"),
           ("to" = String, Query, description = "Last date, YYYY-MM-DD, at most 366 days after `from`"),
           ("property_id" = Option<String>, Query, description = "Only this property's campaigns"),
           ("campaign_id" = Option<String>, Query, description = "Only this campaign")),
    responses((status = 200, body = StatsResult), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn stats(State(state): State<ApiState>, caller: Caller, QueryMap(query): QueryMap) -> ApiResult<Response> {
    let params = parse_stats_params(&query).map_err(ApiError::invalid)?;
    let result = stats::stats(&state.app, &caller.0, &params).await?;
    Ok(crate::json_response(StatusCode::OK, result))
}

#[utoipa::path(post, path = "/preview", tag = "insight",
    description = "Run stored campaigns and drafts together over a range against the stored reservations of their properties, through the planner and the dispatcher's send-time rules on a virtual clock (each as if active from the start of the range, unless it already is). Stores and sends nothing. Lists each message with its fate, the sends per day and campaign, and `fatigue`: each guest and property-local day with more than `max_per_guest_per_day` messages. Editor and up; at most 10 campaigns and 366 days.",
    request_body = SeasonPreviewInput,
    responses((status = 200, body = SeasonPreviewResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn preview_set(State(state): State<ApiState>, caller: Caller, body: Body) -> ApiResult<Response> {
    let body = json_body(body, true).await?;
    let request = parse_preview_request(&body).map_err(ApiError::invalid)?;
    let result = season::preview_set(&state.app, &caller.0, &request).await?;
    Ok(crate::json_response(StatusCode::OK, result))
}
