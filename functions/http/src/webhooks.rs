//! Webhook routes: `POST /webhooks/pms/{pms}/{property_id}` (SPEC 4) through the one intake
//! handler of `relais_app::intake`, and the provider callbacks of SPEC 5.1 (WhatsApp statuses,
//! inbound messages and opt-outs; Twilio status callbacks and inbound SMS) through the engine's
//! `apply_status` / `apply_guest_reply`.
//!
//! Callbacks are authenticated with the provider's signature when its secret is configured;
//! without it they are refused (401), except on the local runner with no setting at all for
//! that provider (`CallbackSettings::from_settings`).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use relais_app::engine::{self, StatusUpdate};
use relais_app::intake::handle_pms_webhook;
use relais_app::ports::InboundRequest;
use relais_channels::{
    ErrorClass, SEND_KEY_PARAMETER, WhatsAppWebhookEvent, classify_twilio_error, classify_whatsapp_error, parse_form,
    parse_inbound, parse_status_callback, parse_webhook, twilio_state, verification_challenge, verify_signature,
    verify_twilio_signature, whatsapp_state,
};
use relais_domain::Channel;
use relais_domain::intake::MAX_BODY_BYTES;
use serde_json::json;

use crate::error::{ApiError, ApiResult};
use crate::schema::{CallbackResult, CanonicalWebhook, ErrorBody, TwilioForm, WebhookResult};
use crate::{ApiState, PathParam, QueryMap, read_body};

/// Provider callbacks are small; this bounds what we read.
pub const CALLBACK_BODY_LIMIT: usize = 256 * 1024;

fn lowercase_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter_map(|(name, value)| value.to_str().ok().map(|v| (name.as_str().to_ascii_lowercase(), v.to_string())))
        .collect()
}

#[utoipa::path(post, path = "/webhooks/pms/{pms}/{property_id}", tag = "intake",
    description = "A reservation change from a PMS. `canonical` bodies are signed: `X-Relais-Timestamp: <unix seconds>` and `X-Relais-Signature: sha256=<hex HMAC-SHA256(webhook secret, \"<timestamp>.<raw body>\")>`, timestamp within 5 minutes. Vendor routes (`mews`, `cloudbeds`, `smoobu`) take the vendor's payload, authenticated with `?token=<webhook secret>`. Duplicates answer 200 with no effect.",
    params(("pms" = String, Path, description = "`canonical`, or a vendor with an adapter"), ("property_id" = String, Path),
        ("X-Relais-Timestamp" = Option<String>, Header), ("X-Relais-Signature" = Option<String>, Header),
        ("token" = Option<String>, Query, description = "Vendor routes: the property's webhook secret")),
    request_body = CanonicalWebhook,
    responses((status = 200, body = WebhookResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 503, description = "Storage or the vendor API is unavailable: retry", body = ErrorBody)))]
pub async fn pms(
    State(state): State<ApiState>,
    PathParam((pms, property_id)): PathParam<(String, String)>,
    headers: HeaderMap,
    QueryMap(query): QueryMap,
    body: Body,
) -> ApiResult<Response> {
    let body = read_body(body, MAX_BODY_BYTES).await?;
    let request = InboundRequest { headers: lowercase_headers(&headers), query, body: body.to_vec() };
    let reply = handle_pms_webhook(&state.app, &pms, &property_id, &request).await;
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok((status, axum::Json(reply.body)).into_response())
}

// ---------------------------------------------------------------- WhatsApp

#[utoipa::path(get, path = "/webhooks/whatsapp", tag = "callbacks",
    description = "Meta's webhook verification: answers `hub.challenge` when `hub.verify_token` is ours.",
    params(("hub.mode" = Option<String>, Query), ("hub.verify_token" = Option<String>, Query), ("hub.challenge" = Option<String>, Query)),
    responses((status = 200, description = "The challenge", body = String, content_type = "text/plain"), (status = 403, body = ErrorBody)))]
pub async fn whatsapp_verify(State(state): State<ApiState>, QueryMap(query): QueryMap) -> ApiResult<Response> {
    let token = state.callbacks.whatsapp_verify_token.as_deref().unwrap_or("");
    match verification_challenge(&query, token) {
        Some(challenge) => {
            let mut response = challenge.into_response();
            response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            Ok(response)
        }
        None => Err(ApiError::forbidden("verification refused")),
    }
}

#[utoipa::path(post, path = "/webhooks/whatsapp", tag = "callbacks",
    description = "WhatsApp Business webhooks: message statuses (sent, delivered, read, failed: a failure triggers the SMS fallback once), inbound messages (STOP opts out), quick-reply button taps (`button.payload` of a template quick reply or `interactive.button_reply.id`: an FAQ is answered once, a flow publishes `GuestChoseFlow`; a payload naming no known message or button is acknowledged and ignored), user preferences, template status updates. Signed with `X-Hub-Signature-256`.",
    params(("X-Hub-Signature-256" = Option<String>, Header)),
    request_body(content = Object, description = "Meta's `whatsapp_business_account` notification"),
    responses((status = 200, body = CallbackResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn whatsapp(State(state): State<ApiState>, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let body = read_body(body, CALLBACK_BODY_LIMIT).await?;
    match state.callbacks.whatsapp_app_secret.as_deref() {
        Some(secret) => {
            let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok());
            if !verify_signature(secret, &body, signature) {
                return Err(ApiError::unauthorized("bad or missing X-Hub-Signature-256"));
            }
        }
        None if state.callbacks.whatsapp_accepts_unsigned => {}
        None => {
            return Err(ApiError::unauthorized(
                "WhatsApp callbacks cannot be verified: RELAIS_WHATSAPP_APP_SECRET is not set",
            ));
        }
    }
    let events = parse_webhook(&body).map_err(|e| match e {
        relais_channels::ParseError::Field { field, message } => {
            ApiError::bad_request("invalid_payload", message).with_field(field)
        }
        other => ApiError::bad_request("invalid_payload", other.to_string()),
    })?;
    let app = &state.app;
    let now = app.clock.now();
    let received = events.len();
    for event in events {
        match event {
            WhatsAppWebhookEvent::Status { provider_message_id, status, error_code, send_key, .. } => {
                let Some(state) = whatsapp_state(&status) else { continue };
                let code = error_code.as_deref().and_then(|c| c.parse::<i64>().ok());
                let update = StatusUpdate {
                    provider_message_id,
                    status: state,
                    opted_out: code.is_some() && classify_whatsapp_error(code, 200) == ErrorClass::OptedOut,
                    error_code,
                    send_key,
                };
                engine::apply_status(app, &update).await?;
            }
            WhatsAppWebhookEvent::Inbound { phone_number_id, from, text, button_payload, .. } => {
                // A button tap (template quick reply or interactive reply) carries the payload
                // we set; its title is not a keyword the guest typed.
                if let Some(payload) = button_payload {
                    let outcome = relais_app::taps::apply_button_tap(app, &payload).await?;
                    if let relais_app::taps::TapOutcome::Ignored(reason) = outcome {
                        tracing::info!(reason, "WhatsApp button tap ignored");
                    }
                } else if let Some(text) = text {
                    let to = phone_number_id.as_deref();
                    engine::apply_guest_reply(app, Channel::Whatsapp, to, &e164(&from), &text).await?;
                }
            }
            WhatsAppWebhookEvent::UserPreference { phone_number_id, wa_id, opted_out, .. } => {
                let to = phone_number_id.as_deref();
                app.store.set_opt_out(Channel::Whatsapp, to, &e164(&wa_id), opted_out, now).await?;
            }
            WhatsAppWebhookEvent::TemplateStatus { template_name, language, event, reason, .. } => {
                // Meta's review drives the campaign: active once every language is approved,
                // rejected with Meta's reason otherwise.
                tracing::info!(template = %template_name, event = %event, "WhatsApp template status");
                relais_app::campaigns::on_template_status(app, &template_name, &language, &event, reason.as_deref())
                    .await?;
            }
            WhatsAppWebhookEvent::Error { code, .. } => {
                tracing::warn!(code = %code, "WhatsApp webhook error");
            }
        }
    }
    Ok(crate::json_response(StatusCode::OK, json!({ "received": received })))
}

/// WhatsApp ids are E.164 digits without the `+`.
fn e164(wa_id: &str) -> String {
    if wa_id.starts_with('+') { wa_id.to_string() } else { format!("+{wa_id}") }
}

// ---------------------------------------------------------------- Twilio

/// The URL Twilio signed: `RELAIS_PUBLIC_URL` + path (+ query), or, without it, this request's
/// own URL from its `Host` (local runner behind nothing).
fn twilio_url(state: &ApiState, headers: &HeaderMap, uri: &Uri) -> String {
    let path_and_query = uri.path_and_query().map_or_else(|| uri.path().to_string(), |p| p.as_str().to_string());
    match &state.callbacks.public_url {
        Some(base) => format!("{}{path_and_query}", base.trim_end_matches('/')),
        None => {
            let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("localhost");
            let proto = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
            format!("{proto}://{host}{path_and_query}")
        }
    }
}

async fn twilio_form(
    state: &ApiState,
    headers: &HeaderMap,
    uri: &Uri,
    body: Body,
) -> ApiResult<BTreeMap<String, String>> {
    let body = read_body(body, CALLBACK_BODY_LIMIT).await?;
    let form = parse_form(&body);
    match state.callbacks.twilio_auth_token.as_deref() {
        Some(token) => {
            let signature = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok());
            if !verify_twilio_signature(token, &twilio_url(state, headers, uri), &form, signature) {
                return Err(ApiError::unauthorized("bad or missing X-Twilio-Signature"));
            }
        }
        None if state.callbacks.twilio_accepts_unsigned => {}
        None => {
            return Err(ApiError::unauthorized(
                "Twilio callbacks cannot be verified: RELAIS_TWILIO_AUTH_TOKEN is not set",
            ));
        }
    }
    Ok(form)
}

fn parse_error(e: relais_channels::ParseError) -> ApiError {
    match e {
        relais_channels::ParseError::Field { field, message } => {
            ApiError::bad_request("invalid_payload", message).with_field(field)
        }
        other => ApiError::bad_request("invalid_payload", other.to_string()),
    }
}

#[utoipa::path(post, path = "/webhooks/twilio/status", tag = "callbacks",
    description = "Twilio status callback (signed with `X-Twilio-Signature`): `failed` / `undelivered` mark the SMS failed.",
    params(("X-Twilio-Signature" = Option<String>, Header)),
    request_body(content = TwilioForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = CallbackResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn twilio_status(
    State(state): State<ApiState>,
    headers: HeaderMap,
    uri: Uri,
    QueryMap(query): QueryMap,
    body: Body,
) -> ApiResult<Response> {
    let form = twilio_form(&state, &headers, &uri, body).await?;
    let callback = parse_status_callback(&form).map_err(parse_error)?;
    if let Some(status) = twilio_state(&callback.status) {
        let code = callback.error_code.as_deref().and_then(|c| c.parse::<i64>().ok());
        let update = StatusUpdate {
            provider_message_id: callback.message_sid,
            status,
            opted_out: code.is_some() && classify_twilio_error(code, 200) == ErrorClass::OptedOut,
            error_code: callback.error_code,
            send_key: query.get(SEND_KEY_PARAMETER).cloned(),
        };
        engine::apply_status(&state.app, &update).await?;
    }
    Ok(crate::json_response(StatusCode::OK, json!({ "received": 1 })))
}

#[utoipa::path(post, path = "/webhooks/twilio/inbound", tag = "callbacks",
    description = "Inbound SMS (signed with `X-Twilio-Signature`): STOP-like keywords opt the number out of SMS, START-like ones back in. Answers empty TwiML.",
    params(("X-Twilio-Signature" = Option<String>, Header)),
    request_body(content = TwilioForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Empty TwiML", body = String, content_type = "text/xml"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 503, body = ErrorBody)))]
pub async fn twilio_inbound(
    State(state): State<ApiState>,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> ApiResult<Response> {
    let form = twilio_form(&state, &headers, &uri, body).await?;
    let inbound = parse_inbound(&form).map_err(parse_error)?;
    // Twilio's own opt-out detection (OptOutType) or our keyword list decides; the engine
    // records the opt-out for the channel.
    if let Some(action) = inbound.opt {
        engine::apply_opt_action(&state.app, Channel::Sms, inbound.sender.as_deref(), &inbound.from, action).await?;
    }
    let mut response = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>".into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    Ok(response)
}
