//! Shapes of the API for the OpenAPI document only. The handlers parse and answer with the
//! domain types (validated by the domain's walk, which reports every field at once); these
//! mirror them for the document and are never constructed.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// `{"error": {"code", "message", "field"}}`; 422 adds every problem in `errors`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    /// Every invalid field (422 only); the first is also in `error`.
    pub errors: Option<Vec<FieldErrorDoc>>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`not_found`, `version_mismatch`, `too_long`, ...).
    pub code: String,
    pub message: String,
    /// JSON path of the field at fault, e.g. `messages.pt.whatsapp.buttons[1].title`.
    pub field: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorDoc {
    pub field: String,
    pub code: String,
    pub message: String,
}

// ---------------------------------------------------------------- campaigns

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    PreStay,
    Arrival,
    InStay,
    Departure,
    Other,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Confirmed,
    CheckedIn,
    CheckedOut,
    Canceled,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Whatsapp,
    Sms,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// Trigger period: property-local dates, inclusive; null = open.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Period {
    #[schema(format = Date, example = "2026-06-01")]
    pub start: Option<String>,
    #[schema(format = Date, example = "2026-09-30")]
    pub end: Option<String>,
}

/// When the campaign sends (Appendix A.2). `status_change` only for properties whose PMS
/// delivers events (see `GET /campaign-options`).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    Schedule {
        days: Vec<Day>,
        /// Hours of the day, property-local, 0..23.
        #[schema(minimum = 0, maximum = 23)]
        hours: Vec<u8>,
    },
    StatusChange,
    Relative {
        anchor: RelativeAnchor,
        #[schema(minimum = -366, maximum = 366)]
        offset_days: Option<i32>,
        offset_minutes: Option<i32>,
        /// Local `HH:MM`.
        #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$", example = "10:00")]
        at: Option<String>,
    },
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelativeAnchor {
    Confirmation,
    CheckIn,
    CheckOut,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    CheckIn,
    CheckOut,
}

/// Target (SPEC 2.3 step 3): `schedule` takes `status`, `anchor`, `send_offset_days`;
/// `status_change` takes `status`; `relative` takes `statuses`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Target {
    pub status: Option<ReservationStatus>,
    pub anchor: Option<Anchor>,
    #[schema(minimum = -366, maximum = 366)]
    pub send_offset_days: Option<i32>,
    pub statuses: Option<Vec<ReservationStatus>>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChannelChoice {
    pub primary: Channel,
    /// Only `sms`, only after a `whatsapp` primary.
    pub fallback: Option<Channel>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct QuickReplyButton {
    #[schema(max_length = 20)]
    pub title: String,
    pub flow_id: Option<String>,
    pub faq_id: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CallToActionButton {
    Phone {
        #[schema(max_length = 20)]
        title: String,
        /// E.164.
        phone: String,
    },
    Url {
        #[schema(max_length = 20)]
        title: String,
        /// https URL.
        url: String,
    },
}

/// WhatsApp content. Bodies may use `{{variable}}` and `{{variable|default}}`.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum WhatsAppContent {
    Text {
        #[schema(max_length = 1600)]
        body: String,
    },
    QuickReply {
        #[schema(max_length = 1024)]
        body: String,
        #[schema(min_items = 1, max_items = 3)]
        buttons: Vec<QuickReplyButton>,
    },
    CallToAction {
        #[schema(max_length = 640)]
        body: String,
        #[schema(min_items = 1, max_items = 2)]
        buttons: Vec<CallToActionButton>,
    },
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SmsContent {
    Text {
        #[schema(max_length = 160)]
        body: String,
    },
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct LanguageContent {
    pub whatsapp: Option<WhatsAppContent>,
    pub sms: Option<SmsContent>,
}

/// A campaign definition (`POST /campaigns`, `PUT /campaigns/{id}`). Ids are assigned by the
/// server: a body with `id` (or any other read-only field) is refused with 422 naming it.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "category": "pre_stay", "name": "Welcome, 3 days out", "property_id": "p-lis", "chatbot_id": "bot-1",
    "period": {"start": null, "end": null},
    "trigger": {"type": "schedule", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [10]},
    "target": {"status": "confirmed", "anchor": "check_in", "send_offset_days": -3},
    "channel": {"primary": "whatsapp", "fallback": "sms"},
    "messages": {"en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}, see you on {{check_in_date}}!"},
                        "sms": {"type": "text", "body": "Hi {{guest_first_name}}, see you on {{check_in_date}}!"}}},
    "reservation_conditions": [{"type": "source", "op": "in", "value": ["airbnb", "direct"]}],
    "message_conditions": [{"type": "check_in_form_submitted", "value": false}]
}))]
pub struct CampaignInput {
    pub category: Category,
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    pub property_id: String,
    pub chatbot_id: String,
    pub period: Option<Period>,
    pub trigger: Trigger,
    pub target: Target,
    pub channel: ChannelChoice,
    /// Language (`en` always, plus the chatbot's) -> content for every channel in use.
    pub messages: BTreeMap<String, LanguageContent>,
    /// `{"type": "source" | "unit", "op": "in" | "not_in", "value": [...]}` (Appendix A.3).
    pub reservation_conditions: Option<Vec<Value>>,
    /// Message conditions of Appendix A.3, e.g. `{"type": "fully_paid", "value": true}`.
    pub message_conditions: Option<Vec<Value>>,
    /// `respect` (default): a message due inside the property's quiet hours goes out when they end.
    pub quiet_hours: Option<QuietHoursPolicy>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuietHoursPolicy {
    Respect,
    Ignore,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Pending,
    Active,
    Rejected,
    Paused,
    Archived,
}

/// A stored campaign: the definition plus identity and life-cycle state.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    pub id: String,
    pub account_id: String,
    pub created_by: String,
    pub status: CampaignStatus,
    pub rejection_reason: Option<String>,
    /// The ETag.
    pub version: u64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    #[schema(format = DateTime)]
    pub activated_at: Option<String>,
    pub category: Category,
    pub name: String,
    pub property_id: String,
    pub chatbot_id: String,
    pub period: Period,
    pub trigger: Trigger,
    pub target: Target,
    pub channel: ChannelChoice,
    pub messages: BTreeMap<String, LanguageContent>,
    pub reservation_conditions: Vec<Value>,
    pub message_conditions: Vec<Value>,
    /// Left out when `respect` (the default).
    pub quiet_hours: Option<QuietHoursPolicy>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CampaignList {
    pub campaigns: Vec<CampaignView>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RejectInput {
    /// Why; shown to the campaign's creator. Required.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

// ---------------------------------------------------------------- options

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CampaignOptions {
    /// Properties the caller may create campaigns for (PMS in the catalogue, visible to the user).
    pub properties: Vec<PropertyOption>,
    /// Chatbots the caller may use (WhatsApp or SMS, visible to the user).
    pub chatbots: Vec<ChatbotOption>,
    /// Template variables, `{{name}}` or `{{name|default}}`.
    pub variables: Vec<String>,
    pub categories: Vec<String>,
    pub reservation_statuses: Vec<String>,
    pub days: Vec<String>,
    pub relative_anchors: Vec<String>,
    pub reservation_condition_types: Vec<String>,
    pub message_condition_types: Vec<String>,
    /// Content limits (characters, buttons).
    pub limits: Value,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PropertyOption {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub check_in_time: String,
    pub check_out_time: String,
    pub pms: String,
    pub pms_name: String,
    pub pms_delivers_events: bool,
    /// `schedule` and `relative` always; `status_change` only when the PMS delivers events.
    pub triggers: Vec<String>,
    pub units: Vec<UnitDoc>,
    /// The property's quiet hours (SPEC 2.1): a campaign that respects them sends at their end
    /// what falls due inside them. `null`: none.
    pub quiet_hours: Option<QuietHoursDoc>,
    /// Offered chatbots serving this property.
    pub chatbot_ids: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatbotOption {
    pub id: String,
    pub name: Option<String>,
    pub property_ids: Vec<String>,
    pub channels: Vec<Channel>,
    pub primary_channels: Vec<Channel>,
    pub fallback_channels: Vec<Channel>,
    /// English always first.
    pub languages: Vec<String>,
    /// FAQs a quick-reply button may answer (`faq_id`): id and question.
    pub faqs: Vec<FaqOption>,
    /// Flows a quick-reply button may hand the guest to (`flow_id`).
    pub flows: Vec<FlowDoc>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct FaqOption {
    pub id: String,
    /// Language tag -> question; `en` always present.
    pub question: BTreeMap<String, String>,
}

/// An FAQ of a chatbot: answered, in the message's language (else English), when a guest taps a
/// quick-reply button naming it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FaqDoc {
    /// 1 to 64 of `A-Z a-z 0-9 - _ .`; unique in the chatbot.
    pub id: String,
    /// Language tag -> question (up to 200 characters); `en` required.
    pub question: BTreeMap<String, String>,
    /// Language tag -> answer (up to 1600 characters); `en` required.
    pub answer: BTreeMap<String, String>,
}

/// A flow of a chatbot: a conversation the chatbot platform runs; a tap on a button naming it
/// publishes `GuestChoseFlow`.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FlowDoc {
    /// 1 to 64 of `A-Z a-z 0-9 - _ .`; unique in the chatbot.
    pub id: String,
    /// Up to 100 characters.
    pub name: String,
}

// ---------------------------------------------------------------- notifications, timeline

#[derive(Serialize, Deserialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    #[schema(format = DateTime)]
    pub at: String,
    /// `campaign_submitted`, `approval_requested`, `campaign_approved`, `campaign_rejected`, `campaign_changed`.
    pub kind: String,
    pub campaign_id: String,
    pub title: String,
    pub body: String,
    pub read: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct NotificationList {
    pub notifications: Vec<NotificationView>,
    pub unread: usize,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    #[schema(format = DateTime)]
    pub at: String,
    pub state: String,
    pub reason: Option<String>,
    pub channel: Option<Channel>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct AttemptDoc {
    pub channel: Channel,
    #[schema(format = DateTime)]
    pub at: String,
    pub provider_message_id: Option<String>,
    pub status: String,
    pub error: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub campaign_id: String,
    pub campaign_name: Option<String>,
    pub reservation_id: String,
    pub property_id: String,
    #[schema(format = DateTime)]
    pub due_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// `scheduled`, `pending`, `sent`, `delivered`, `read`, `failed`, `skipped`, `expired`, `canceled`.
    pub state: String,
    pub reason: Option<String>,
    pub language: Option<String>,
    pub channel: Option<Channel>,
    pub attempts: Vec<AttemptDoc>,
    /// Every state change with its time and reason.
    pub timeline: Vec<TimelineEntry>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct TransitionDoc {
    pub seq: u32,
    pub from: Option<ReservationStatus>,
    pub to: ReservationStatus,
    #[schema(format = DateTime)]
    pub at: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ReservationTimeline {
    pub reservation_id: String,
    pub property_id: String,
    pub status: ReservationStatus,
    #[schema(format = Date)]
    pub check_in: String,
    #[schema(format = Date)]
    pub check_out: String,
    pub transitions: Vec<TransitionDoc>,
    /// The custom fields conditions read: the PMS's, with the operators' over them.
    pub custom_fields: BTreeMap<String, bool>,
    /// The PMS's own values, including those an operator's value overrides.
    pub pms_custom_fields: BTreeMap<String, bool>,
    /// The fields operators set (`PATCH /reservations/{id}/custom-fields`).
    pub operator_custom_fields: BTreeMap<String, bool>,
    /// Timeline entries that are not message changes: `custom_field` (at, by, key, value),
    /// `faq_answered` (at, campaign_id, message_id, faq_id, language), `flow_chosen` (at,
    /// campaign_id, message_id, flow_id).
    pub events: Vec<Value>,
    /// Every message of the reservation, by due time.
    pub messages: Vec<MessageView>,
}

/// `PATCH /reservations/{id}/custom-fields`: field name (1..64 characters, no spaces) -> yes/no,
/// or `null` to drop the operator's value.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"vip": true, "late_checkout": false}))]
pub struct CustomFieldsInput(pub BTreeMap<String, Option<bool>>);

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CustomFieldsView {
    pub reservation_id: String,
    pub property_id: String,
    /// The fields conditions read: the PMS's with the operators' over them.
    pub custom_fields: BTreeMap<String, bool>,
    /// The PMS's own values, including those an operator's value overrides.
    pub pms_custom_fields: BTreeMap<String, bool>,
    pub operator_custom_fields: BTreeMap<String, bool>,
}

// ---------------------------------------------------------------- preview

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PreviewInput {
    /// How many days ahead to look (1..=90, default 7).
    #[schema(minimum = 1, maximum = 90)]
    pub days: Option<u32>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SmsSegmentsDoc {
    /// `gsm7` or `ucs2`.
    pub encoding: String,
    pub characters: usize,
    pub segments: usize,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RenderedDoc {
    pub channel: Channel,
    pub language: String,
    pub body: String,
    /// SMS only.
    pub sms: Option<SmsSegmentsDoc>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ConditionCheck {
    /// The condition as defined in the campaign.
    pub condition: Value,
    /// Whether it holds now, with the reservation's current data.
    pub holds: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PreviewRecipient {
    pub reservation_id: String,
    pub guest: String,
    #[schema(format = DateTime)]
    pub due_at: String,
    /// True for `status_change` campaigns, whose send time is a guess (the expected check-in or check-out).
    pub estimated: bool,
    /// `send`, `held` (pending until conditions hold or data arrives), `skip`, `cancel`, `expire`.
    pub decision: String,
    pub reason: Option<String>,
    /// The message the guest would get (also shown when held, where it can be rendered).
    pub message: Option<RenderedDoc>,
    /// The SMS fallback, when the campaign has one.
    pub fallback: Option<RenderedDoc>,
    pub conditions: Vec<ConditionCheck>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PreviewResult {
    pub campaign_id: String,
    #[schema(format = DateTime)]
    pub from: String,
    #[schema(format = DateTime)]
    pub until: String,
    pub days: u32,
    pub recipients: Vec<PreviewRecipient>,
    /// Counts per decision.
    pub summary: BTreeMap<String, usize>,
    pub notes: Vec<String>,
}

// ---------------------------------------------------------------- set-up

#[derive(Serialize, Deserialize, ToSchema)]
#[schema(as = Unit)]
pub struct UnitDoc {
    pub id: String,
    pub name: Option<String>,
}

/// Write-only PMS credentials: key names are listed back, values never.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PmsCredentialsInput {
    /// https base URL of the PMS API.
    pub api_base: Option<String>,
    pub values: Option<BTreeMap<String, String>>,
}

/// `POST /properties` (all required but `units`, `pms_credentials`, `webhook_secret`);
/// `PUT /properties/{id}`: any subset, fields left out keep their value.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Casa Azul Porto", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
    "check_out_time": "11:00", "pms": "mews", "units": [{"id": "201", "name": "Room 201"}]}))]
pub struct PropertyInput {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// IANA zone, e.g. `Europe/Lisbon`.
    pub time_zone: Option<String>,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub check_in_time: Option<String>,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub check_out_time: Option<String>,
    /// Catalogue id (`mews`, `cloudbeds`, `custom_csv`, ...). Other PMS are stored, but their
    /// campaigns are configured by the support team.
    #[schema(pattern = "^[a-z0-9_]{1,40}$")]
    pub pms: Option<String>,
    pub units: Option<Vec<UnitDoc>>,
    /// Write-only.
    pub pms_credentials: Option<PmsCredentialsInput>,
    /// Write-only, POST only (at least 16 characters). Prefer `POST /properties/{id}/webhook-secret`.
    pub webhook_secret: Option<String>,
    /// BCP 47 tag of guests whose reservation has no language (default `en`); `null` resets it.
    #[schema(max_length = 35, example = "pt-PT")]
    pub default_guest_language: Option<String>,
    /// Property-local hours in which no message goes out (may cross midnight); `null` removes them.
    pub quiet_hours: Option<QuietHoursDoc>,
}

/// Quiet hours, property-local `HH:MM` (start and end differ; `21:00`-`08:00` crosses midnight).
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"start": "21:00", "end": "08:00"}))]
pub struct QuietHoursDoc {
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PropertyView {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub time_zone: String,
    pub check_in_time: String,
    pub check_out_time: String,
    pub pms: String,
    pub pms_in_catalogue: bool,
    pub units: Vec<UnitDoc>,
    pub default_guest_language: String,
    pub quiet_hours: Option<QuietHoursDoc>,
    /// Whether a webhook secret is set (the secret itself is never returned).
    pub webhook_secret_set: bool,
    #[schema(format = DateTime)]
    pub previous_webhook_secret_valid_until: Option<String>,
    /// Names of the PMS credentials set (never their values).
    pub pms_credentials_set: Vec<String>,
    /// Where the PMS posts signed canonical reservation changes.
    pub webhook_path: String,
    /// Mews, Cloudbeds, Smoobu: the vendor webhook route (token = the webhook secret).
    pub vendor_webhook_path: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PropertyList {
    pub properties: Vec<PropertyView>,
}

/// The new secret, shown this once.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct RotatedSecret {
    pub property_id: String,
    pub webhook_secret: String,
    /// Until when the previous secret is still accepted (24 hours).
    #[schema(format = DateTime)]
    pub previous_valid_until: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct WhatsAppSettings {
    pub phone_number_id: String,
    pub waba_id: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SmsSettings {
    /// E.164 number or alphanumeric sender id (1..11).
    pub sender: String,
}

/// `POST /chatbots`; `PUT /chatbots/{id}`: fields left out keep their value, `null` removes
/// a channel.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "Casa Azul bot", "property_ids": ["p-lis"], "languages": ["en", "pt"],
    "whatsapp": {"phone_number_id": "1098765"}, "sms": {"sender": "+15550001111"}}))]
pub struct ChatbotInput {
    pub name: Option<String>,
    /// Properties served; empty = every property of the account.
    pub property_ids: Option<Vec<String>>,
    /// BCP 47 primary tags (`en` is always available).
    pub languages: Option<Vec<String>>,
    pub whatsapp: Option<WhatsAppSettings>,
    pub sms: Option<SmsSettings>,
    /// At most 100. A change that leaves a quick-reply button of a campaign (not archived)
    /// naming an FAQ no longer here is refused with 409.
    pub faqs: Option<Vec<FaqDoc>>,
    /// At most 100; the same rule for `flow_id` buttons.
    pub flows: Option<Vec<FlowDoc>>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatbotView {
    pub id: String,
    pub account_id: String,
    pub name: Option<String>,
    pub property_ids: Vec<String>,
    pub languages: Vec<String>,
    pub whatsapp: Option<WhatsAppSettings>,
    pub sms: Option<SmsSettings>,
    pub faqs: Vec<FaqDoc>,
    pub flows: Vec<FlowDoc>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ChatbotList {
    pub chatbots: Vec<ChatbotView>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Editor,
    Approver,
    Admin,
}

/// `POST /users` (`role` required); `PUT /users/{id}`: fields left out keep their value.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"role": "editor", "name": "Rita", "email": "rita@example.com", "email_notifications": true}))]
pub struct UserInput {
    pub role: Option<Role>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_notifications: Option<bool>,
    /// The console's and the notifications' language (default `en`).
    pub language: Option<UserLanguage>,
    /// Properties the user may see; null = all.
    pub property_ids: Option<Vec<String>>,
    /// Chatbots the user may see; null = all.
    pub chatbot_ids: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserLanguage {
    En,
    Fr,
}

/// `PUT /me`: one's own settings; fields left out keep their value.
#[derive(Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"language": "fr", "email_notifications": false}))]
pub struct MeInput {
    pub language: Option<UserLanguage>,
    pub email_notifications: Option<bool>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub account_id: String,
    pub role: Role,
    pub name: Option<String>,
    pub email: Option<String>,
    pub email_notifications: bool,
    pub language: UserLanguage,
    pub property_ids: Option<Vec<String>>,
    pub chatbot_ids: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

// ---------------------------------------------------------------- intake, callbacks

/// Canonical webhook body (SPEC 4); vendor routes take the vendor's payload.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CanonicalWebhook {
    pub event_id: String,
    #[schema(format = DateTime)]
    pub occurred_at: String,
    /// The canonical reservation of SPEC 2.2.
    pub reservation: Value,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct WebhookResult {
    pub reservation_id: Option<String>,
    /// `stored`, `duplicate`, `stale`, `ignored`.
    pub result: Option<String>,
    /// Vendor webhooks carrying several reservations.
    pub results: Option<Vec<Value>>,
}

/// `application/json` import: the CSV text and, optionally, the column mapping to save for the
/// property (else the saved one is used). A `text/csv` body uses the saved mapping.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CsvImportInput {
    pub csv: String,
    /// `{"columns": {"id": "Booking ref", ...}, "date_format": "%d/%m/%Y", ...}`.
    pub mapping: Option<Value>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct RejectedRowDoc {
    /// Line of the file (header = 1).
    pub line: u64,
    pub field: String,
    pub reason: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CsvImportReport {
    pub property_id: String,
    /// Rows read and upserted (stored, duplicate or stale).
    pub accepted: usize,
    pub stored: usize,
    pub duplicates: usize,
    pub stale: usize,
    pub rejected: Vec<RejectedRowDoc>,
}

/// Twilio's form parameters (status callback or inbound message).
#[derive(Serialize, Deserialize, ToSchema)]
#[allow(non_snake_case)]
pub struct TwilioForm {
    pub MessageSid: Option<String>,
    pub MessageStatus: Option<String>,
    pub ErrorCode: Option<String>,
    pub From: Option<String>,
    pub To: Option<String>,
    pub Body: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CallbackResult {
    pub received: usize,
}

// ---------------------------------------------------------------- statistics and set preview

/// Message counts: by current state, and what went out (docs/statistics.md).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct StatsCounts {
    pub messages: u64,
    pub scheduled: u64,
    pub pending: u64,
    /// Claimed by a dispatcher, the provider's answer not yet recorded.
    pub sending: u64,
    pub sent: u64,
    pub delivered: u64,
    pub read: u64,
    pub failed: u64,
    pub skipped: u64,
    pub expired: u64,
    pub canceled: u64,
    /// Messages whose fallback channel went out after the primary failed.
    pub fallback_sent: u64,
    /// SMS segments of the SMS a provider accepted.
    pub sms_segments: u64,
    /// Quick-reply taps acted on, once per button.
    pub taps: u64,
}

/// Counts with `delivery_rate` = (delivered + read) / (sent + delivered + read + failed) and
/// `read_rate` = read / (delivered + read), `null` when the divisor is 0.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct RatedCountsDoc {
    #[serde(flatten)]
    pub counts: StatsCounts,
    pub delivery_rate: Option<f64>,
    pub read_rate: Option<f64>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct DayStatsDoc {
    #[schema(format = Date)]
    pub date: String,
    #[serde(flatten)]
    pub counts: RatedCountsDoc,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct CampaignStatsDoc {
    pub campaign_id: String,
    pub name: String,
    pub property_id: String,
    pub status: String,
    pub totals: RatedCountsDoc,
    /// Dates with at least one message, in order.
    pub days: Vec<DayStatsDoc>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct StatsResult {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub totals: RatedCountsDoc,
    pub campaigns: Vec<CampaignStatsDoc>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SeasonPreviewInput {
    #[schema(format = Date)]
    pub from: String,
    /// At most 366 days after `from`.
    #[schema(format = Date)]
    pub to: String,
    /// Stored campaigns (not archived); with `drafts`, 1 to 10 in all.
    pub campaign_ids: Option<Vec<String>>,
    /// Campaign bodies as for `POST /campaigns`, named `draft-0`, `draft-1`, ... in the answer.
    pub drafts: Option<Vec<CampaignInput>>,
    /// More messages than this to one guest on one day is listed in `fatigue` (default 1).
    #[schema(minimum = 1, maximum = 100)]
    pub max_per_guest_per_day: Option<u32>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PreviewedCampaignDoc {
    pub campaign: String,
    pub name: String,
    pub property_id: String,
    pub draft: bool,
    pub totals: StatsCounts,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PreviewMessageDoc {
    pub campaign: String,
    pub property_id: String,
    pub reservation_id: String,
    /// When it goes out (after any hold for quiet hours), or when it was due.
    #[schema(format = DateTime)]
    pub due_at: String,
    /// The message state at the end of the range: `sent`, `scheduled`, `pending`, `skipped`,
    /// `expired`, `canceled` (a stored message keeps its own).
    pub state: String,
    pub reason: Option<String>,
    /// Why it was held before its fate (a message that then expired).
    pub held_for: Option<String>,
    pub channel: Option<Channel>,
    pub language: Option<String>,
    /// The rendered text, for a message that would be sent.
    pub body: Option<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct DayCountDoc {
    #[schema(format = Date)]
    pub date: String,
    pub campaign: String,
    /// Messages that would go out.
    pub count: u64,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct FatigueDoc {
    pub property_id: String,
    pub reservation_id: String,
    #[schema(format = Date)]
    pub date: String,
    pub count: u64,
    pub campaigns: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct SeasonPreviewResult {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    pub max_per_guest_per_day: u32,
    pub campaigns: Vec<PreviewedCampaignDoc>,
    /// In time order, at most 5,000 (`truncated` says when more were left out).
    pub messages: Vec<PreviewMessageDoc>,
    pub messages_total: usize,
    pub truncated: bool,
    pub per_day: Vec<DayCountDoc>,
    pub fatigue: Vec<FatigueDoc>,
}
