//! The `relais simulate` scenario file (SPEC 7, Appendix A.1), as typed data.
//! Parsing with field-path errors and validation of its campaigns is in [`crate::validate`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::{Account, Channel, Chatbot, Property, User};

pub const SCENARIO_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    pub version: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub sweep_every_minutes: u32,
    pub account: Account,
    pub users: Vec<User>,
    pub properties: Vec<Property>,
    pub chatbots: Vec<Chatbot>,
    pub providers: SimulatedProviders,
    pub campaigns: Vec<ScenarioCampaign>,
    pub events: Vec<ScenarioEvent>,
    /// Windows in which no sweep runs (to show catch-up).
    pub sweep_outages: Vec<Outage>,
}

impl Scenario {
    /// The webhook secret of a scenario property, with which the simulator signs its webhooks
    /// (empty for an unknown property: the webhook is then refused like any badly signed one).
    pub fn webhook_secret(&self, property_id: &str) -> String {
        self.properties.iter().find(|p| p.id == property_id).and_then(|p| p.webhook_secret.clone()).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulatedProviders {
    /// Numbers WhatsApp refuses for good at send time (not a WhatsApp user).
    pub whatsapp_rejects: Vec<String>,
    /// Numbers the SMS provider refuses for good at send time.
    pub sms_rejects: Vec<String>,
}

/// A campaign of a scenario: the `POST /campaigns` body (kept as JSON, validated like the API
/// does) plus the scenario-only fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioCampaign {
    pub id: String,
    pub created_by: String,
    pub approve: bool,
    /// The campaign body without `id`, `created_by`, `approve`.
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    PmsWebhook(PmsWebhookEvent),
    ProviderStatus(ProviderStatusEvent),
    GuestReply(GuestReplyEvent),
    CampaignAction(CampaignActionEvent),
    CustomFields(CustomFieldsEvent),
    GuestTap(GuestTapEvent),
}

/// The guest taps the quick-reply button titled `button` of the campaign's WhatsApp message
/// sent to the reservation (in the language it was sent in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestTapEvent {
    pub reservation_id: String,
    pub campaign: String,
    pub button: String,
}

/// As `PATCH /reservations/{id}/custom-fields` by `by`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldsEvent {
    pub reservation_id: String,
    pub by: String,
    /// Field name -> true, false or null; checked like the API body.
    pub fields: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PmsWebhookEvent {
    pub pms: String,
    pub property_id: String,
    /// Unsigned body; the simulator signs it with the property's secret.
    pub body: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderStatus {
    Sent,
    Delivered,
    Read,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderStatusEvent {
    pub channel: Channel,
    pub reservation_id: String,
    pub campaign: String,
    pub status: ProviderStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestReplyEvent {
    pub channel: Channel,
    /// The number replied to (a chatbot's WhatsApp phone-number id or SMS sender); without
    /// it, the reply reaches every number of the scenario's chatbots on that channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    pub from: String,
    pub body: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignAction {
    Pause,
    Resume,
    Archive,
    Edit,
    Submit,
    Approve,
    Reject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignActionEvent {
    pub campaign: String,
    pub action: CampaignAction,
    /// Acting user; defaults to the campaign's creator (edit, submit) or an approver of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// `edit`: a JSON merge patch (RFC 7386) applied to the campaign body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<serde_json::Value>,
    /// `reject`: the reason shown to the creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outage {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}
