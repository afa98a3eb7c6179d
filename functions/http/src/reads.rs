//! `GET /notifications`, `POST /notifications/{id}/read`, `GET /reservations/{id}/messages`.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use relais_app::campaigns as service;
use relais_app::reservations;
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::schema::{
    CustomFieldsInput, CustomFieldsView, ErrorBody, NotificationList, NotificationView, ReservationTimeline,
};
use crate::{ApiState, Caller, PathParam, QueryMap, json_body};

#[utoipa::path(get, path = "/notifications", tag = "notifications",
    description = "The caller's console notifications, newest first (submission, approval, rejection of campaigns).",
    params(("unread" = Option<bool>, Query, description = "true: only unread ones")),
    responses((status = 200, body = NotificationList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn notifications(
    State(state): State<ApiState>,
    caller: Caller,
    QueryMap(query): QueryMap,
) -> ApiResult<Response> {
    let only_unread = match query.get("unread").map(String::as_str) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::bad_request("invalid_value", "unread must be true or false").with_field("unread"));
        }
    };
    let actor = &caller.0;
    let mut list = state.app.store.list_notifications(&actor.user.id).await?;
    list.retain(|n| n.account_id == actor.account_id);
    let unread = list.iter().filter(|n| !n.read).count();
    if only_unread {
        list.retain(|n| !n.read);
    }
    list.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    Ok(crate::json_response(StatusCode::OK, json!({ "notifications": list, "unread": unread })))
}

#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
) -> ApiResult<Response> {
    let actor = &caller.0;
    let mine = state.app.store.list_notifications(&actor.user.id).await?;
    if !mine.iter().any(|n| n.id == id && n.account_id == actor.account_id) {
        return Err(ApiError::not_found("notification"));
    }
    if !state.app.store.mark_notification_read(&actor.user.id, &id).await? {
        return Err(ApiError::not_found("notification"));
    }
    let notification = state
        .app
        .store
        .list_notifications(&actor.user.id)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| ApiError::not_found("notification"))?;
    Ok(crate::json_response(StatusCode::OK, notification))
}

#[utoipa::path(get, path = "/reservations/{id}/messages", tag = "reservations",
    description = "The reservation's timeline: every message of every campaign for it, with each state change, its time and reason. Reservations of the caller's visible properties only.",
    params(("id" = String, Path, description = "Reservation id (the PMS's)"),
           ("property_id" = Option<String>, Query, description = "Disambiguates a reservation id used by two properties")),
    responses((status = 200, body = ReservationTimeline), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn timeline(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    QueryMap(query): QueryMap,
) -> ApiResult<Response> {
    let actor = &caller.0;
    let store = &state.app.store;
    let wanted = query.get("property_id").map(String::as_str).filter(|p| !p.is_empty());
    let record = reservations::find_visible(&state.app, actor, &id, wanted).await?;
    let property_id = record.reservation.property_id.clone();
    let names: BTreeMap<String, String> =
        service::list_visible(&state.app, actor).await?.into_iter().map(|c| (c.id, c.spec.name)).collect();
    let mut messages = store.messages_of_reservation(&property_id, &id).await?;
    messages.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.id.cmp(&b.id)));
    let messages: Vec<Value> = messages
        .into_iter()
        .map(|m| {
            let name = names.get(&m.campaign_id).cloned();
            let mut value = serde_json::to_value(&m).unwrap_or(Value::Null);
            if let Some(map) = value.as_object_mut() {
                map.remove("version");
                map.remove("retries");
                map.insert("campaign_name".into(), json!(name));
            }
            value
        })
        .collect();
    let reservation = &record.reservation;
    Ok(crate::json_response(
        StatusCode::OK,
        json!({
            "reservation_id": reservation.id,
            "property_id": property_id,
            "status": reservation.status,
            "check_in": reservation.check_in,
            "check_out": reservation.check_out,
            "transitions": record.transitions,
            "custom_fields": record.effective_reservation().custom_fields,
            "pms_custom_fields": record.reservation.custom_fields,
            "operator_custom_fields": record.operator_custom_fields,
            "events": record.events,
            "messages": messages,
        }),
    ))
}

#[utoipa::path(patch, path = "/reservations/{id}/custom-fields", tag = "reservations",
    description = "Set operator yes/no fields (editor and up), read by the `custom_field` condition. They are kept apart from the PMS's and win over them for the same key; `null` drops the operator's value. Each change goes on the reservation's timeline and its pending messages are re-checked at once.",
    params(("id" = String, Path, description = "Reservation id (the PMS's)"),
           ("property_id" = Option<String>, Query, description = "Disambiguates a reservation id used by two properties")),
    request_body(content = CustomFieldsInput, description = "Field name -> true, false or null"),
    responses((status = 200, body = CustomFieldsView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn set_custom_fields(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    QueryMap(query): QueryMap,
    body: Body,
) -> ApiResult<Response> {
    let body = json_body(body, true).await?;
    let wanted = query.get("property_id").map(String::as_str).filter(|p| !p.is_empty());
    let record = reservations::set_custom_fields(&state.app, &caller.0, &id, wanted, &body).await?;
    Ok(crate::json_response(
        StatusCode::OK,
        json!({
            "reservation_id": record.reservation.id,
            "property_id": record.reservation.property_id,
            "custom_fields": record.effective_reservation().custom_fields,
            "pms_custom_fields": record.reservation.custom_fields,
            "operator_custom_fields": record.operator_custom_fields,
        }),
    ))
}
