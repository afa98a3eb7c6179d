//! Campaign and scenario validation (SPEC 2.1, 2.3, Appendix A).
//!
//! The JSON is walked by hand so that every problem is reported at once, each with the path of
//! the field at fault (`messages.pt.whatsapp.buttons[1].title`, `campaigns[0].trigger.hours[2]`),
//! where serde would stop at the first one. Only a document the walk accepts is then turned into
//! the typed model.

use serde::Serialize;

use crate::catalogue;
use crate::model::{CampaignSpec, Chatbot, Property, User};
use crate::scenario::Scenario;

mod campaign;
pub use campaign::MESSAGE_CONDITION_TYPES;
mod chatbot;
pub use chatbot::{
    CATALOGUE_ID_MAX_CHARS, CATALOGUE_MAX_ENTRIES, FAQ_ANSWER_MAX_CHARS, FAQ_QUESTION_MAX_CHARS, FLOW_NAME_MAX_CHARS,
    orphaned_buttons, parse_faqs, parse_flows,
};
mod custom_fields;
pub use custom_fields::{CUSTOM_FIELD_KEY_MAX_CHARS, CUSTOM_FIELDS_MAX_PER_CHANGE, parse_custom_fields};
mod insight;
pub use insight::{
    DEFAULT_MAX_PER_GUEST_PER_DAY, PREVIEW_MAX_CAMPAIGNS, PreviewRequest, StatsParams, parse_preview_request,
    parse_stats_params,
};
mod json;
mod scenario_file;

/// One problem in a document: where (`field`, a JSON path), what kind (`code`, stable, see
/// [`codes`]) and a sentence for the operator (`message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Error codes. Stable: API clients and tests match on them.
pub mod codes {
    /// A required field is missing or null.
    pub const REQUIRED: &str = "required";
    /// A field the document type does not have (typos are never ignored).
    pub const UNKNOWN_FIELD: &str = "unknown_field";
    /// The JSON type is wrong (a string where a number belongs, ...).
    pub const INVALID_TYPE: &str = "invalid_type";
    /// A value outside the allowed set (enum spelling, condition type, operator, language tag...).
    pub const INVALID_VALUE: &str = "invalid_value";
    /// A string that does not follow its format (`HH:MM`, `YYYY-MM-DD`, RFC 3339, decimal, time zone).
    pub const INVALID_FORMAT: &str = "invalid_format";
    /// An empty string or list where content is needed.
    pub const EMPTY: &str = "empty";
    /// Longer than allowed (characters are Unicode scalar values).
    pub const TOO_LONG: &str = "too_long";
    /// Fewer items than allowed.
    pub const TOO_FEW: &str = "too_few";
    /// More items than allowed.
    pub const TOO_MANY: &str = "too_many";
    /// A number outside its range.
    pub const OUT_OF_RANGE: &str = "out_of_range";
    /// A value listed twice, an id used twice, a second button of a kind allowed once.
    pub const DUPLICATE: &str = "duplicate";
    /// A range whose start is after its end, or events out of time order.
    pub const INVALID_ORDER: &str = "invalid_order";
    /// A field that does not apply here (e.g. `target.statuses` with a `schedule` trigger).
    pub const NOT_APPLICABLE: &str = "not_applicable";
    /// Exactly one of several fields must be given (a quick-reply button's `flow_id` / `faq_id`,
    /// an event's kind).
    pub const EXACTLY_ONE: &str = "exactly_one";
    /// The property or chatbot is not one the user may choose (SPEC 2.1 creation lists).
    pub const NOT_OFFERED: &str = "not_offered";
    /// The property's PMS is outside the catalogue: the support team configures its campaigns.
    pub const SUPPORT_ONLY: &str = "support_only";
    /// `status_change` for a property whose PMS delivers no booking-activity events.
    pub const TRIGGER_NOT_SUPPORTED: &str = "trigger_not_supported";
    /// A channel the chosen chatbot does not own.
    pub const CHANNEL_NOT_OWNED: &str = "channel_not_owned";
    /// A fallback other than SMS after a WhatsApp primary.
    pub const INVALID_FALLBACK: &str = "invalid_fallback";
    /// A message language the chatbot does not speak.
    pub const LANGUAGE_NOT_OFFERED: &str = "language_not_offered";
    /// A chosen language without content for a channel in use.
    pub const CONTENT_MISSING: &str = "content_missing";
    /// Content for a channel the campaign does not use (it would never be sent).
    pub const CONTENT_UNUSED: &str = "content_unused";
    /// Not an E.164 phone number.
    pub const INVALID_PHONE: &str = "invalid_phone";
    /// Not an https URL with a host.
    pub const INVALID_URL: &str = "invalid_url";
    /// An id that names nothing known (a unit of the property, a user, a campaign, a property).
    pub const UNKNOWN_REFERENCE: &str = "unknown_reference";
    /// The user's role does not allow this (a viewer as a campaign's creator).
    pub const FORBIDDEN: &str = "forbidden";
    /// `approve: true` in a scenario whose account has no approver.
    pub const NO_APPROVER: &str = "no_approver";
    /// A `{{variable}}` that templates do not know.
    pub const UNKNOWN_VARIABLE: &str = "unknown_variable";
    /// A malformed `{{ ... }}` placeholder.
    pub const MALFORMED_TEMPLATE: &str = "malformed_template";
    /// The typed model refused what the walk accepted. Never expected; reported rather than hidden.
    pub const INVALID: &str = "invalid";
}

/// Who creates the campaign and what the account holds (its properties and chatbots).
#[derive(Debug, Clone, Copy)]
pub struct ValidationContext<'a> {
    pub user: &'a User,
    pub properties: &'a [Property],
    pub chatbots: &'a [Chatbot],
}

/// Validates a `POST /campaigns` body for `ctx.user`: every rule of SPEC 2.1 and 2.3. Returns the
/// typed campaign (its name trimmed) or every error found.
pub fn validate_campaign(body: &serde_json::Value, ctx: &ValidationContext) -> Result<CampaignSpec, Vec<FieldError>> {
    campaign::validate(body, Some(ctx))
}

/// Validates a campaign body on its own, without an account: every rule except those that need
/// the account's properties and chatbots (property and chatbot offered, PMS in the catalogue,
/// `status_change` support, channels owned, languages spoken, units known).
pub fn validate_campaign_structure(body: &serde_json::Value) -> Result<CampaignSpec, Vec<FieldError>> {
    campaign::validate(body, None)
}

/// Parses and validates a scenario file (Appendix A.1), its campaigns validated as
/// `POST /campaigns` would for their creator. The specs come in `campaigns[]` order.
pub fn parse_scenario(doc: &serde_json::Value) -> Result<(Scenario, Vec<CampaignSpec>), Vec<FieldError>> {
    scenario_file::parse(doc)
}

/// Properties offered to the user when creating a campaign: visible to the user, PMS in the catalogue.
pub fn offered_properties<'a>(ctx: &ValidationContext<'a>) -> Vec<&'a Property> {
    ctx.properties.iter().filter(|property| property_is_offered(ctx.user, property)).collect()
}

/// Chatbots offered to the user when creating a campaign (for `property_id` when given): visible
/// to the user, owning WhatsApp or SMS, serving that property (a chatbot with no `property_ids`
/// serves every property of the account).
pub fn offered_chatbots<'a>(ctx: &ValidationContext<'a>, property_id: Option<&str>) -> Vec<&'a Chatbot> {
    ctx.chatbots.iter().filter(|chatbot| chatbot_is_offered(ctx.user, chatbot, property_id)).collect()
}

fn property_is_offered(user: &User, property: &Property) -> bool {
    user.may_see_property(&property.id) && catalogue::lookup(&property.pms).is_some()
}

fn chatbot_is_offered(user: &User, chatbot: &Chatbot, property_id: Option<&str>) -> bool {
    user.may_see_chatbot(&chatbot.id)
        && (chatbot.whatsapp.is_some() || chatbot.sms.is_some())
        && property_id.is_none_or(|id| serves(chatbot, id))
}

fn serves(chatbot: &Chatbot, property_id: &str) -> bool {
    chatbot.property_ids.is_empty() || chatbot.property_ids.iter().any(|id| id == property_id)
}
