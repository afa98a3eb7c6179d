//! The Relais HTTP API as one axum [`Router`]: SPEC 6 (campaigns, options, notifications,
//! timelines, preview, set-up), SPEC 4 (PMS webhooks, CSV imports) and SPEC 5.1 (provider
//! callbacks). The same router runs in the campaigns-api, pms-webhook and delivery-status
//! Lambdas (through lambda_http) and in `relais serve`.
//!
//! - Identity: [`auth::Authenticator`] (HS256 locally, API Gateway JWT authorizer claims in AWS).
//! - Every read and write is scoped to the caller's account: another account's id is 404.
//! - Errors: `{"error": {"code", "message", "field"}}` ([`error::ApiError`]).
//! - `GET /openapi.json`: the OpenAPI 3.1 document generated from this code ([`openapi`]).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use relais_app::App;
use relais_app::campaigns::Actor;
use tracing::Instrument;

pub mod auth;
mod campaigns;
pub mod console;
pub mod error;
mod imports;
mod insight;
pub mod openapi;
mod options;
pub mod outbox;
mod preview;
mod reads;
mod schema;
mod setup;
mod webhooks;

use auth::Authenticator;
use error::{ApiError, ApiResult};
pub use outbox::{OutboxFile, OutboxSource};

/// JSON bodies of the API (campaigns, set-up) may not exceed this.
pub const API_BODY_LIMIT: usize = 1024 * 1024;

/// Settings of the provider callback routes (SPEC 5.1).
#[derive(Clone, Default)]
pub struct CallbackSettings {
    /// `RELAIS_PUBLIC_URL`: the base of the URL Twilio signs.
    pub public_url: Option<String>,
    /// `RELAIS_WHATSAPP_APP_SECRET`: checks `X-Hub-Signature-256`.
    pub whatsapp_app_secret: Option<String>,
    /// `RELAIS_WHATSAPP_VERIFY_TOKEN`: answers Meta's verification `GET`.
    pub whatsapp_verify_token: Option<String>,
    /// `RELAIS_TWILIO_AUTH_TOKEN`: checks `X-Twilio-Signature`.
    pub twilio_auth_token: Option<String>,
    /// Accept unsigned WhatsApp callbacks: only on the local runner with no WhatsApp setting at
    /// all (pure outbox mode). Never in AWS.
    pub whatsapp_accepts_unsigned: bool,
    /// Accept unsigned Twilio callbacks: only on the local runner with no Twilio setting at all.
    pub twilio_accepts_unsigned: bool,
}

/// Where the callback routes run, which decides whether unsigned callbacks may ever be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackHost {
    /// `relais serve`: a provider without any setting sends through the outbox, and its
    /// callbacks can only be the operator's own tests, so they are taken unsigned.
    LocalRunner,
    /// The Lambdas: every callback must be signed.
    Aws,
}

/// The WhatsApp settings whose presence means a real Meta app is involved.
const WHATSAPP_SETTINGS: [&str; 3] =
    ["RELAIS_WHATSAPP_TOKEN", "RELAIS_WHATSAPP_APP_SECRET", "RELAIS_WHATSAPP_VERIFY_TOKEN"];
/// The Twilio settings whose presence means a real Twilio account is involved.
const TWILIO_SETTINGS: [&str; 2] = ["RELAIS_TWILIO_ACCOUNT_SID", "RELAIS_TWILIO_AUTH_TOKEN"];

impl std::fmt::Debug for CallbackSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |o: &Option<String>| if o.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("CallbackSettings")
            .field("public_url", &self.public_url)
            .field("whatsapp_app_secret", &set(&self.whatsapp_app_secret))
            .field("whatsapp_verify_token", &set(&self.whatsapp_verify_token))
            .field("twilio_auth_token", &set(&self.twilio_auth_token))
            .field("whatsapp_accepts_unsigned", &self.whatsapp_accepts_unsigned)
            .field("twilio_accepts_unsigned", &self.twilio_accepts_unsigned)
            .finish()
    }
}

impl CallbackSettings {
    /// The callback settings of `relais serve` and of the Lambdas, from the SPEC 5.1 variables
    /// as `lookup` gives them (environment, resolved secrets); a blank value is unset.
    ///
    /// Each setting applies on its own, whatever else is set: the verify token answers Meta's
    /// verification `GET`, the app secret checks `X-Hub-Signature-256`, the Twilio auth token
    /// checks `X-Twilio-Signature`. A provider's callbacks are taken unsigned only on the local
    /// runner when none of that provider's settings is set; otherwise, without its secret,
    /// they are refused (401), since a forged status or template approval would act.
    pub fn from_settings(lookup: impl Fn(&str) -> Option<String>, host: CallbackHost) -> CallbackSettings {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let local = host == CallbackHost::LocalRunner;
        let settings = CallbackSettings {
            public_url: get("RELAIS_PUBLIC_URL"),
            whatsapp_app_secret: get("RELAIS_WHATSAPP_APP_SECRET"),
            whatsapp_verify_token: get("RELAIS_WHATSAPP_VERIFY_TOKEN"),
            twilio_auth_token: get("RELAIS_TWILIO_AUTH_TOKEN"),
            whatsapp_accepts_unsigned: local && WHATSAPP_SETTINGS.iter().all(|name| get(name).is_none()),
            twilio_accepts_unsigned: local && TWILIO_SETTINGS.iter().all(|name| get(name).is_none()),
        };
        if get("RELAIS_WHATSAPP_TOKEN").is_some() && settings.whatsapp_app_secret.is_none() {
            tracing::warn!(
                "RELAIS_WHATSAPP_APP_SECRET is not set: WhatsApp callbacks (statuses, opt-outs, template reviews) \
                 cannot be verified and are refused with 401"
            );
        }
        if settings.whatsapp_app_secret.is_some() && settings.whatsapp_verify_token.is_none() {
            tracing::warn!("RELAIS_WHATSAPP_VERIFY_TOKEN is not set: Meta's webhook verification (GET) is refused");
        }
        settings
    }

    /// The same settings with unsigned callbacks refused whatever the host (AWS).
    pub fn signed_only(self) -> CallbackSettings {
        CallbackSettings { whatsapp_accepts_unsigned: false, twilio_accepts_unsigned: false, ..self }
    }
}

/// What the router needs: the services' [`App`], how callers are authenticated, the callback
/// settings, and (local runner only) the outbox to show at `GET /outbox`.
#[derive(Clone)]
pub struct ApiState {
    pub app: App,
    pub auth: Arc<dyn Authenticator>,
    pub callbacks: CallbackSettings,
    pub outbox: Option<Arc<dyn OutboxSource>>,
    /// `console/config.json` as served with the API ([`console::config_json`]).
    pub console_config: Arc<[u8]>,
}

impl ApiState {
    pub fn new(app: App, auth: Arc<dyn Authenticator>) -> ApiState {
        ApiState {
            app,
            auth,
            callbacks: CallbackSettings::default(),
            outbox: None,
            console_config: Arc::from(console::NO_CONFIG_JSON),
        }
    }

    /// The state of the campaigns-api, pms-webhook and delivery-status Lambdas: identity from the
    /// API Gateway JWT authorizer, callbacks checked with the resolved provider secrets (never
    /// unsigned), no outbox. Serve it with `lambda_http::run(relais_http::router(state))`.
    #[cfg(feature = "lambda")]
    pub fn aws(app: App, callbacks: CallbackSettings) -> ApiState {
        ApiState {
            app,
            auth: Arc::new(auth::GatewayClaims),
            callbacks: callbacks.signed_only(),
            outbox: None,
            console_config: Arc::from(console::NO_CONFIG_JSON),
        }
    }

    /// Serve `config` at `console/config.json` (the deployment's hosted login).
    pub fn with_console_config(self, config: Vec<u8>) -> ApiState {
        ApiState { console_config: Arc::from(config), ..self }
    }
}

/// The whole HTTP surface: `relais serve`, the tests and the AWS replay serve this router.
pub fn router(state: ApiState) -> Router {
    let routes = operator_routes(&state).merge(intake_routes()).merge(callback_routes()).merge(local_routes());
    finish(routes, state)
}

/// The routes of the campaigns-api Lambda: the operator API, its OpenAPI document and the
/// console. Each Lambda serves only the routes template.yaml maps to it, so that its bootstrap
/// links only their handlers (docs/performance.md, "Lambda start-up").
pub fn operator_router(state: ApiState) -> Router {
    finish(operator_routes(&state), state)
}

/// The routes of the pms-webhook Lambda: PMS webhooks and CSV imports.
pub fn intake_router(state: ApiState) -> Router {
    finish(intake_routes(), state)
}

/// The routes of the delivery-status Lambda: the providers' callbacks.
pub fn callback_router(state: ApiState) -> Router {
    finish(callback_routes(), state)
}

/// SPEC 6: the operator API, its OpenAPI document, and the console's static files (console/)
/// at `/` and `/console/*`.
fn operator_routes(state: &ApiState) -> Router<ApiState> {
    Router::new()
        .merge(console::routes(state.console_config.clone()))
        .route("/openapi.json", get(openapi::serve))
        // SPEC 6: campaigns
        .route("/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/campaigns/{id}", get(campaigns::get_one).put(campaigns::update).delete(campaigns::delete))
        .route("/campaigns/{id}/submit", post(campaigns::submit))
        .route("/campaigns/{id}/approve", post(campaigns::approve))
        .route("/campaigns/{id}/reject", post(campaigns::reject))
        .route("/campaigns/{id}/pause", post(campaigns::pause))
        .route("/campaigns/{id}/resume", post(campaigns::resume))
        .route("/campaigns/{id}/archive", post(campaigns::archive))
        .route("/campaigns/{id}/preview", post(preview::preview))
        .route("/campaign-options", get(options::options))
        .route("/stats", get(insight::stats))
        .route("/preview", post(insight::preview_set))
        .route("/notifications", get(reads::notifications))
        .route("/notifications/{id}/read", post(reads::mark_read))
        .route("/reservations/{id}/messages", get(reads::timeline))
        .route("/reservations/{id}/custom-fields", patch(reads::set_custom_fields))
        // SPEC 6: set-up (admin)
        .route("/properties", get(setup::list_properties).post(setup::create_property))
        .route("/properties/{id}", get(setup::get_property).put(setup::update_property))
        .route("/properties/{id}/webhook-secret", post(setup::rotate_webhook_secret))
        .route("/chatbots", get(setup::list_chatbots).post(setup::create_chatbot))
        .route("/chatbots/{id}", get(setup::get_chatbot).put(setup::update_chatbot))
        .route("/users", get(setup::list_users).post(setup::create_user))
        .route("/users/{id}", get(setup::get_user).put(setup::update_user))
        .route("/me", get(setup::get_me).put(setup::update_me))
}

/// SPEC 4: intake.
fn intake_routes() -> Router<ApiState> {
    Router::new()
        .route("/webhooks/pms/{pms}/{property_id}", post(webhooks::pms))
        .route("/imports/csv/{property_id}", post(imports::csv))
}

/// SPEC 5.1: provider callbacks.
fn callback_routes() -> Router<ApiState> {
    Router::new()
        .route("/webhooks/whatsapp", get(webhooks::whatsapp_verify).post(webhooks::whatsapp))
        .route("/webhooks/twilio/status", post(webhooks::twilio_status))
        .route("/webhooks/twilio/inbound", post(webhooks::twilio_inbound))
}

/// SPEC 6.1: local runner only.
fn local_routes() -> Router<ApiState> {
    Router::new().route("/outbox", get(outbox::outbox))
}

/// What every host's routes share: the error answers for unknown routes and methods, and one
/// span and log line per request.
fn finish(routes: Router<ApiState>, state: ApiState) -> Router {
    routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(observe))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not take this method")
}

/// The request id of a request: API Gateway's request id in a Lambda, else the caller's
/// `x-request-id` when it is a sane token, else a new one.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn request_id(request: &Request) -> String {
    #[cfg(feature = "lambda")]
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) =
        request.extensions().get::<lambda_http::request::RequestContext>()
        && let Some(id) = &context.request_id
    {
        return id.clone();
    }
    let given = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).filter(|v| {
        !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    });
    match given {
        Some(id) => id.to_string(),
        None => auth::random_id("req").unwrap_or_else(|_| "req_unknown".to_string()),
    }
}

/// One span per request with its id, method and route (the matched template, never the query
/// string, which may carry webhook tokens), and one log line with status and latency.
async fn observe(mut request: Request, next: Next) -> Response {
    let id = request_id(&request);
    let route =
        request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().to_string();
    request.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, latency_ms, "request failed");
        } else {
            tracing::info!(status, latency_ms, "request");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// The authenticated caller: the stored user named by the token's `sub`, in the token's
/// account, with the lower of the token's and the stored role.
pub struct Caller(pub Actor);

impl FromRequestParts<ApiState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        let now = state.app.clock.now();
        let claims = state.auth.authenticate(parts, now).map_err(|e| ApiError::unauthorized(e.0))?;
        let user = state.app.store.get_user(&claims.sub).await?;
        let Some(mut user) = user.filter(|u| u.account_id.as_deref() == Some(claims.account_id.as_str())) else {
            return Err(ApiError::unauthorized("the token's user does not exist in the token's account"));
        };
        user.role = user.role.min(claims.role);
        Ok(Caller(Actor { account_id: claims.account_id, user }))
    }
}

impl Caller {
    pub fn require_admin(&self) -> ApiResult<()> {
        if self.0.user.role.can_administer() {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an admin may change or read the account's set-up"))
        }
    }
    pub fn require_editor(&self, what: &str) -> ApiResult<()> {
        if self.0.user.role.can_edit() { Ok(()) } else { Err(ApiError::forbidden(format!("your role may not {what}"))) }
    }
    pub fn require_approver(&self, what: &str) -> ApiResult<()> {
        if self.0.user.role.can_approve() {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("your role may not {what}")))
        }
    }
}

/// A path parameter, with errors in the SPEC's shape.
pub struct PathParam<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParam<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParam(p.0))
            .map_err(|e| ApiError::bad_request("invalid_path", e.body_text()))
    }
}

/// Decoded query parameters (never fails; a repeated name keeps its last value).
pub struct QueryMap(pub std::collections::BTreeMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(QueryMap(form_urlencoded::parse(query.as_bytes()).into_owned().collect()))
    }
}

/// How long a client may take to send a whole request body: a slower one gets 408 and its
/// connection is closed (docs/hardening.md, "Slow clients"). In AWS, API Gateway reads the body.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Read a body up to `limit` bytes within [`BODY_READ_TIMEOUT`]; more is 413, slower is 408.
pub async fn read_body(body: axum::body::Body, limit: usize) -> ApiResult<axum::body::Bytes> {
    let Ok(read) = tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limit)).await else {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the request body did not arrive within {} seconds", BODY_READ_TIMEOUT.as_secs()),
        ));
    };
    match read {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let too_large = std::error::Error::source(&e).is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            if too_large {
                Err(ApiError::too_large(limit))
            } else {
                Err(ApiError::bad_request("unreadable_body", "the request body could not be read"))
            }
        }
    }
}

/// Read a JSON body. An empty body is `{}` unless `required`.
pub async fn json_body(body: axum::body::Body, required: bool) -> ApiResult<serde_json::Value> {
    let bytes = read_body(body, API_BODY_LIMIT).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return if required {
            Err(ApiError::bad_request("body_required", "this request needs a JSON body"))
        } else {
            Ok(serde_json::Value::Object(serde_json::Map::new()))
        };
    }
    relais_domain::document::parse_value(&bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}")))
}

/// A JSON response with a status.
pub fn json_response(status: StatusCode, body: impl serde::Serialize) -> Response {
    (status, axum::Json(body)).into_response()
}
