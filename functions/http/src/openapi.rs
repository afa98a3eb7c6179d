//! The OpenAPI 3.1 document, generated from the handlers' annotations (utoipa), served at
//! `GET /openapi.json` and committed as `functions/http/openapi.json` (a test keeps it current:
//! `UPDATE_OPENAPI=1 cargo test -p relais-http --test openapi` rewrites it).

use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{campaigns, imports, insight, options, outbox, preview, reads, schema, setup, webhooks};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "JWT with claims `sub`, `account_id`, `role`. In AWS the API Gateway JWT authorizer verifies it; \
                         locally `relais token --data DIR --user ID` mints an HS256 one.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Relais API",
        description = "Guest-messaging automation for hotels: campaigns and their approval, set-up, timelines, previews, PMS webhooks and provider callbacks. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`; every read and write is scoped to the caller's account (another account's ids answer 404).",
        license(name = "Apache-2.0")
    ),
    paths(
        campaigns::list, campaigns::create, campaigns::get_one, campaigns::update, campaigns::delete,
        campaigns::submit, campaigns::approve, campaigns::reject, campaigns::pause, campaigns::resume,
        campaigns::archive, preview::preview, options::options, insight::stats, insight::preview_set,
        reads::notifications, reads::mark_read, reads::timeline, reads::set_custom_fields,
        setup::list_properties, setup::create_property, setup::get_property, setup::update_property,
        setup::rotate_webhook_secret, setup::list_chatbots, setup::create_chatbot, setup::get_chatbot,
        setup::update_chatbot, setup::list_users, setup::create_user, setup::get_user, setup::update_user,
        setup::get_me, setup::update_me,
        webhooks::pms, imports::csv, webhooks::whatsapp_verify, webhooks::whatsapp, webhooks::twilio_status,
        webhooks::twilio_inbound, outbox::outbox,
    ),
    components(schemas(schema::ErrorBody, schema::CampaignInput, schema::CampaignView)),
    modifiers(&BearerAuth),
    tags(
        (name = "campaigns", description = "Campaigns, their life cycle (draft -> pending -> active | rejected; active <-> paused; archived), options and preview"),
        (name = "notifications", description = "Console notifications"),
        (name = "reservations", description = "Reservation timelines"),
        (name = "insight", description = "Delivery statistics, the calendar of upcoming sends, and previews of a campaign set"),
        (name = "set-up", description = "Properties, chatbots, users (admin)"),
        (name = "me", description = "The signed-in user's own settings (any role)"),
        (name = "intake", description = "PMS webhooks and CSV imports"),
        (name = "callbacks", description = "WhatsApp and Twilio callbacks"),
        (name = "local", description = "Local runner only"),
    )
)]
pub struct ApiDoc;

/// The document as pretty JSON (what is committed).
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The committed document, which `tests/openapi.rs` proves equal to [`document`]: served as
/// stored, so that a host links no code generating it.
const COMMITTED: &str = include_str!("../openapi.json");

pub async fn serve() -> Response {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], COMMITTED).into_response()
}
