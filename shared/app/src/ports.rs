//! Ports: the small traits the services need from the outside world. Embedded implementations
//! live in [`crate::embedded`]; AWS ones (DynamoDB, SQS, EventBridge, SES) and the real channel
//! providers (WhatsApp Cloud API, Twilio) live in their own crates under `functions/`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{Account, Campaign, Channel, Chatbot, Message, Property, Reservation, Transition, User};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: the item changed (or exists) since it was read.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend failed or throttled; the caller may retry the whole unit of work.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored item is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A reservation as stored: the canonical form, its status history and a version for
/// conditional writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationRecord {
    pub reservation: Reservation,
    pub transitions: Vec<Transition>,
    /// When the reservation was first confirmed (anchor of `relative` campaigns on `confirmation`).
    pub confirmed_at: Option<DateTime<Utc>>,
    pub version: u64,
    /// Recent webhook event ids (duplicate deliveries answer 200 with no effect).
    #[serde(default)]
    pub event_ids: Vec<String>,
    /// The `ReservationChanged` of the last stored change, until it is published (a crash
    /// between storing and publishing is repaired by the PMS's retry).
    #[serde(default)]
    pub unpublished: Option<ReservationChanged>,
    /// Yes/no fields set by operators (`PATCH /reservations/{id}/custom-fields`), kept apart
    /// from the PMS's `custom_fields` (a PMS update never overwrites them) and winning over them
    /// for the same key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub operator_custom_fields: BTreeMap<String, bool>,
    /// What happened to the reservation besides its messages: operator changes, button taps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<ReservationEvent>,
}

impl ReservationRecord {
    /// The reservation as conditions read it: the PMS's data with the operators' custom fields
    /// over the PMS's own.
    pub fn effective_reservation(&self) -> Reservation {
        let mut reservation = self.reservation.clone();
        reservation.custom_fields.extend(self.operator_custom_fields.iter().map(|(k, v)| (k.clone(), *v)));
        reservation
    }
}

/// An entry of a reservation's timeline that is not a message state change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReservationEvent {
    /// An operator set (`Some`) or removed (`None`, back to the PMS's value) a custom field.
    CustomField { at: DateTime<Utc>, by: String, key: String, value: Option<bool> },
    /// A guest tapped an FAQ button; its answer was sent once.
    FaqAnswered { at: DateTime<Utc>, campaign_id: String, message_id: String, faq_id: String, language: String },
    /// A guest tapped a flow button; `GuestChoseFlow` was published for the chatbot platform.
    FlowChosen { at: DateTime<Utc>, campaign_id: String, message_id: String, flow_id: String },
}

/// A console notification for a user (SPEC 2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub campaign_id: String,
    pub title: String,
    pub body: String,
    pub read: bool,
}

#[async_trait]
pub trait Store: Send + Sync {
    // ---- set-up (written rarely, read often)
    async fn put_account(&self, account: &Account) -> StoreResult<()>;
    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>>;
    async fn put_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, account_id: &str) -> StoreResult<Vec<User>>;
    async fn put_property(&self, property: &Property) -> StoreResult<()>;
    async fn get_property(&self, id: &str) -> StoreResult<Option<Property>>;
    async fn list_properties(&self, account_id: &str) -> StoreResult<Vec<Property>>;
    async fn put_chatbot(&self, chatbot: &Chatbot) -> StoreResult<()>;
    async fn get_chatbot(&self, id: &str) -> StoreResult<Option<Chatbot>>;
    async fn list_chatbots(&self, account_id: &str) -> StoreResult<Vec<Chatbot>>;

    // ---- campaigns
    /// Insert (`expected_version` `None`: must not exist) or replace the version read.
    async fn put_campaign(&self, campaign: &Campaign, expected_version: Option<u64>) -> StoreResult<()>;
    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>>;
    async fn list_campaigns(&self, account_id: &str) -> StoreResult<Vec<Campaign>>;
    async fn campaigns_of_property(&self, property_id: &str) -> StoreResult<Vec<Campaign>>;
    /// Campaigns approved by an approver and waiting for Meta's review of their WhatsApp
    /// templates (`pending` with `awaiting_meta`), which the sweep polls Meta about. A store
    /// that keeps no such index says so rather than answer nothing.
    async fn campaigns_awaiting_meta(&self) -> StoreResult<Vec<Campaign>> {
        Err(StoreError::Unavailable("this store keeps no index of campaigns awaiting Meta".into()))
    }

    // ---- reservations
    async fn get_reservation(&self, property_id: &str, id: &str) -> StoreResult<Option<ReservationRecord>>;
    /// Insert (`expected_version` `None`: must not exist) or replace the version read.
    async fn put_reservation(&self, record: &ReservationRecord, expected_version: Option<u64>) -> StoreResult<()>;
    /// Reservations of one unit (neighbouring stays for `available_nights`).
    async fn reservations_in_unit(&self, property_id: &str, unit_id: &str) -> StoreResult<Vec<Reservation>>;
    /// Reservations of the property by a guest with this e-mail or phone (`returning_guest`).
    async fn reservations_of_guest(
        &self,
        property_id: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> StoreResult<Vec<Reservation>>;
    /// The records of the property's reservations whose check-out is on or after `from`
    /// (planning a newly activated campaign), in one query: no read per reservation. On
    /// DynamoDB they come from an index, which may lag a write by a moment; what is planned
    /// from them is checked again at send time.
    async fn reservations_checking_out_from(
        &self,
        property_id: &str,
        from: NaiveDate,
    ) -> StoreResult<Vec<ReservationRecord>>;

    // ---- idempotency
    /// Remember an idempotency key until `expires`; `true` the first time (or when the earlier
    /// record expired before `now`), `false` if already known.
    async fn remember(&self, key: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> StoreResult<bool>;

    // ---- messages
    async fn get_message(&self, id: &str) -> StoreResult<Option<Message>>;
    /// Create if absent; `false` if a message with this id exists already.
    async fn create_message(&self, message: &Message) -> StoreResult<bool>;
    /// Replace the message if its stored version is `expected_version` (the new one carries
    /// `expected_version + 1`); `Conflict` otherwise. This is the claim every send goes through.
    async fn update_message(&self, message: &Message, expected_version: u64) -> StoreResult<()>;
    async fn messages_of_reservation(&self, property_id: &str, reservation_id: &str) -> StoreResult<Vec<Message>>;
    /// Open (`scheduled` or `pending`) and in-flight (`sending`) messages due at or before `until`.
    async fn due_messages(&self, until: DateTime<Utc>) -> StoreResult<Vec<Message>>;
    /// Open messages of one campaign (pause, archive, edit).
    async fn open_messages_of_campaign(&self, campaign_id: &str) -> StoreResult<Vec<Message>>;
    /// Every message of one campaign due in `[from, until)`, by due time (statistics and the
    /// calendar, docs/statistics.md).
    async fn messages_of_campaign_due(
        &self,
        campaign_id: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<Message>>;
    /// The message a provider id refers to (status callbacks).
    async fn message_by_provider_id(&self, provider_message_id: &str) -> StoreResult<Option<Message>>;

    // ---- opt-outs, per channel, sending number and guest number (docs/opt-outs.md)
    /// Record the guest's choice for the number `sender` sends from. `sender: None` is an
    /// opt-out no sending number can be named for (and every opt-out recorded before they
    /// were keyed by sender): it holds for every sender of the channel without a choice of
    /// its own.
    async fn set_opt_out(
        &self,
        channel: Channel,
        sender: Option<&str>,
        phone: &str,
        opted_out: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    /// The guest's choice for `sender`, else the sender-less opt-out, else not opted out.
    async fn is_opted_out(&self, channel: Channel, sender: &str, phone: &str) -> StoreResult<bool>;
    /// The channels among `senders` (each channel with the number it sends from) on which the
    /// guest opted out, as [`Store::is_opted_out`] answers each: in one round trip where the
    /// backend can (DynamoDB: one BatchGetItem).
    async fn opted_out_channels(
        &self,
        phone: &str,
        senders: &[(Channel, &str)],
    ) -> StoreResult<std::collections::BTreeSet<Channel>> {
        let mut out = std::collections::BTreeSet::new();
        for (channel, sender) in senders {
            if self.is_opted_out(*channel, sender, phone).await? {
                out.insert(*channel);
            }
        }
        Ok(out)
    }

    // ---- dispatch
    /// The message of a dispatch job and what its dispatch reads, by the keys the job carries:
    /// in one round trip where the backend can (DynamoDB: one BatchGetItem). Each entity is
    /// read as its own get would read it (strongly consistent); the caller checks that they
    /// still belong together.
    async fn dispatch_reads(&self, message_id: &str, keys: &DispatchKeys) -> StoreResult<DispatchReads> {
        Ok(DispatchReads {
            message: self.get_message(message_id).await?,
            campaign: self.get_campaign(&keys.campaign_id).await?,
            property: self.get_property(&keys.property_id).await?,
            chatbot: self.get_chatbot(&keys.chatbot_id).await?,
            reservation: self.get_reservation(&keys.property_id, &keys.reservation_id).await?,
        })
    }

    // ---- sweep watermark
    async fn get_watermark(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>>;
    /// Move the watermark from `from` (as read) to `to`; `false` if another sweep moved it first.
    async fn advance_watermark(&self, name: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> StoreResult<bool>;

    // ---- notifications
    async fn add_notification(&self, notification: &Notification) -> StoreResult<()>;
    async fn list_notifications(&self, user_id: &str) -> StoreResult<Vec<Notification>>;
    async fn mark_notification_read(&self, user_id: &str, id: &str) -> StoreResult<bool>;
}

/// Emitted by intake once per real change of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationChanged {
    pub property_id: String,
    pub reservation_id: String,
    pub at: DateTime<Utc>,
    /// The status transition this change recorded, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transition: Option<Transition>,
}

/// Why a dispatch job was queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DispatchReason {
    Due,
    Retry,
    Fallback,
}

/// One unit of dispatcher work: look at this message now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchJob {
    pub message_id: String,
    pub reason: DispatchReason,
    /// What the dispatch reads besides the message, so that it reads them all at once (jobs
    /// queued by earlier versions have none: the message is read first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<DispatchKeys>,
}

/// The entities a message's dispatch reads, named when its job is queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchKeys {
    pub campaign_id: String,
    pub property_id: String,
    pub reservation_id: String,
    pub chatbot_id: String,
}

impl DispatchKeys {
    /// The keys of `message`'s dispatch, its campaign sending through `chatbot_id`.
    pub fn of(message: &Message, chatbot_id: &str) -> DispatchKeys {
        DispatchKeys {
            campaign_id: message.campaign_id.clone(),
            property_id: message.property_id.clone(),
            reservation_id: message.reservation_id.clone(),
            chatbot_id: chatbot_id.to_string(),
        }
    }
}

/// What [`Store::dispatch_reads`] found.
#[derive(Debug, Clone, Default)]
pub struct DispatchReads {
    pub message: Option<Message>,
    pub campaign: Option<Campaign>,
    pub property: Option<Property>,
    pub chatbot: Option<Chatbot>,
    pub reservation: Option<ReservationRecord>,
}

/// Published when a guest taps a quick-reply button naming a flow: the chatbot platform takes
/// the conversation over from there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuestChoseFlow {
    pub account_id: String,
    pub property_id: String,
    pub reservation_id: String,
    pub campaign_id: String,
    pub flow_id: String,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait EventBus: Send + Sync {
    async fn publish(&self, event: &ReservationChanged) -> Result<(), String>;
    /// Hand the guest to the chatbot platform's flow (EventBridge detail-type `GuestChoseFlow`).
    async fn publish_flow_choice(&self, event: &GuestChoseFlow) -> Result<(), String>;
}

#[async_trait]
pub trait WorkQueue: Send + Sync {
    /// Queue a job, visible after `delay_seconds` (retries with backoff use the delay).
    async fn enqueue(&self, job: &DispatchJob, delay_seconds: u32) -> Result<(), String>;
}

/// What the dispatcher hands a channel: the rendered message and what the provider needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendRequest {
    /// Idempotency key: the message id plus the attempt's channel.
    pub key: String,
    pub channel: Channel,
    /// E.164 recipient.
    pub to: String,
    /// WhatsApp `phone_number_id` or SMS sender.
    pub from: String,
    pub language: String,
    /// Full rendered text (SMS body; WhatsApp text shown in the outbox).
    pub body: String,
    /// WhatsApp template name registered for this campaign and language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_name: Option<String>,
    /// Rendered values of the template's numbered parameters, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
    /// WhatsApp quick-reply buttons: the payload of each button, in order (template button
    /// components; `relais_domain::whatsapp::button_payload`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub button_payloads: Vec<String>,
    /// Where the provider reports statuses for this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_callback: Option<String>,
}

/// A provider's answer to a send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SendOutcome {
    Accepted {
        provider_message_id: String,
    },
    /// Refused for good (not a WhatsApp user, invalid number, ...). `opted_out`: the recipient
    /// opted out or blocked the business on this channel.
    Rejected {
        code: String,
        detail: String,
        opted_out: bool,
    },
    /// Rate limited, 5xx, timeout: retry later with backoff.
    Transient {
        code: String,
        detail: String,
        retry_after_seconds: Option<u32>,
    },
}

/// A WhatsApp message template to register with Meta (one language of a campaign revision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRequest {
    pub name: String,
    /// Our language tag (`en`, `pt`, `pt-BR`).
    pub language: String,
    /// The chatbot's WhatsApp Business Account, if it has its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    pub content: relais_domain::WhatsAppContent,
    /// The body with `{{1}}..{{n}}` in place of our variables.
    pub numbered_body: String,
    /// One example value per numbered parameter, in order (Meta reviews with them).
    pub examples: Vec<String>,
}

/// Meta's answer to a template registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TemplateOutcome {
    Approved,
    /// Under review; the template status webhook (or polling) tells the result.
    Pending,
    Rejected {
        reason: String,
    },
    /// Meta could not be reached; try again later.
    Unavailable {
        reason: String,
    },
    /// Nothing reached Meta: a set-up problem on our side (no WhatsApp Business Account, a
    /// malformed id) or a request refused before it left. Not a verdict on the campaign.
    NotSubmitted {
        reason: String,
    },
}

/// Meta's current review of one language of a registered template (`language` is Meta's
/// code, e.g. `pt_PT`; `status` is `APPROVED`, `REJECTED`, `PENDING`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStatusReport {
    pub language: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[async_trait]
pub trait ChannelSender: Send + Sync {
    async fn send(&self, request: &SendRequest) -> SendOutcome;

    /// The most messages per second this channel may send from `sender` (a WhatsApp phone
    /// number id, an SMS sender), shared by every dispatcher; `None` for no limit (outbox).
    fn max_per_second(&self, _sender: &str) -> Option<u32> {
        None
    }

    /// Register a message template before business-initiated sends. Channels without
    /// templates (SMS, the outbox) approve at once.
    async fn register_template(&self, _request: &TemplateRequest) -> TemplateOutcome {
        TemplateOutcome::Approved
    }

    /// Meta's current review of every language of the template `name` (in the chatbot's WhatsApp
    /// Business Account `waba_id`, else the deployment's default): polled while a campaign waits,
    /// so that a missed template webhook never leaves it waiting. Channels without templates
    /// approve at registration and have nothing to report.
    async fn template_statuses(
        &self,
        _name: &str,
        _waba_id: Option<&str>,
    ) -> Result<Vec<TemplateStatusReport>, String> {
        Ok(Vec::new())
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send_email(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}

/// Time comes in through this port so that the simulator can run on a virtual clock.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// A reservation a vendor webhook (Mews, Cloudbeds, Smoobu, ...) resolved to, in canonical form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VendorEvent {
    /// The vendor's event or delivery id (duplicate deliveries share it).
    pub event_id: String,
    pub reservation: Reservation,
}

#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    /// The webhook's authentication (token in URL, header...) is missing or wrong: 401.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The payload is malformed or carries a value we cannot map: 400 naming the field.
    #[error("{field}: {message}")]
    BadPayload { field: String, message: String },
    /// The vendor API we must call to resolve the event is down: 503 so the PMS retries.
    #[error("vendor unavailable: {0}")]
    Unavailable(String),
    /// This vendor webhook carries nothing about reservations (e.g. rates): 200, no effect.
    #[error("ignored: {0}")]
    Ignored(String),
    /// The vendor deleted the booking and no longer gives its data (a Cloudbeds
    /// `reservation/deleted` the API stopped returning, a Smoobu deletion without dates): the
    /// reservation we stored is canceled, so its messages stop; unknown to us, nothing happens.
    #[error("reservation {reservation_id} deleted in the PMS")]
    Deleted { event_id: String, reservation_id: String },
}

/// Vendor webhook adapters: authenticate a vendor's own webhook and turn it into canonical
/// reservations (fetching from the vendor API where the webhook only carries ids).
#[async_trait]
pub trait PmsVendors: Send + Sync {
    /// Whether `pms` (route segment) has a vendor adapter.
    fn supports(&self, pms: &str) -> bool;
    async fn to_canonical(
        &self,
        pms: &str,
        property: &Property,
        request: &InboundRequest,
    ) -> Result<Vec<VendorEvent>, VendorError>;
}

/// An HTTP request as the handlers see it, whatever carried it (API Gateway, axum, simulator).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundRequest {
    /// Header names lower-cased.
    pub headers: std::collections::BTreeMap<String, String>,
    /// Query parameters, decoded.
    pub query: std::collections::BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl InboundRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}
