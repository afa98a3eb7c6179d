//! Domain model: accounts, users, properties, chatbots, the canonical reservation (SPEC 2.2),
//! campaigns (SPEC 2.3 / Appendix A.2, A.3) and messages (SPEC 3).
//!
//! These types are the serialized contract: field names and enum spellings are those of the SPEC.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::time::LocalTime;

pub type Id = String;

// ---------------------------------------------------------------- accounts, users

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub id: Id,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Editor,
    Approver,
    Admin,
}

impl Role {
    /// Create, edit, submit campaigns.
    pub fn can_edit(self) -> bool {
        self >= Role::Editor
    }
    /// Approve or reject campaigns.
    pub fn can_approve(self) -> bool {
        self >= Role::Approver
    }
    /// The account's set-up: properties, chatbots, users, secrets.
    pub fn can_administer(self) -> bool {
        self == Role::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Id>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub email_notifications: bool,
    /// The console's default language and that of the notifications and e-mails the user gets.
    #[serde(default)]
    pub language: UserLanguage,
    /// Properties this user may see and use; `None` means every property of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_ids: Option<Vec<Id>>,
    /// Chatbots this user may see and use; `None` means every chatbot of the account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatbot_ids: Option<Vec<Id>>,
}

/// A user's language (the console's and the notifications').
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserLanguage {
    #[default]
    En,
    Fr,
}

impl UserLanguage {
    pub const ALL: [UserLanguage; 2] = [UserLanguage::En, UserLanguage::Fr];
    pub fn as_str(self) -> &'static str {
        match self {
            UserLanguage::En => "en",
            UserLanguage::Fr => "fr",
        }
    }
    pub fn parse(tag: &str) -> Option<UserLanguage> {
        UserLanguage::ALL.into_iter().find(|l| l.as_str() == tag)
    }
}

impl User {
    pub fn may_see_property(&self, property_id: &str) -> bool {
        self.property_ids.as_ref().is_none_or(|ids| ids.iter().any(|id| id == property_id))
    }
    pub fn may_see_chatbot(&self, chatbot_id: &str) -> bool {
        self.chatbot_ids.as_ref().is_none_or(|ids| ids.iter().any(|id| id == chatbot_id))
    }
}

// ---------------------------------------------------------------- properties, chatbots

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Credentials and base URL a PMS adapter uses to fetch reservations (Mews, Cloudbeds) and the
/// token that authenticates vendor webhooks that cannot be signed the Relais way. Write-only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PmsCredentials {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Property {
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Id>,
    pub name: String,
    pub time_zone: Tz,
    pub check_in_time: LocalTime,
    pub check_out_time: LocalTime,
    /// Catalogue id of the connected PMS (`mews`, `cloudbeds`, ...). Any string is stored; only
    /// catalogue PMS allow campaigns (SPEC 2.1).
    pub pms: String,
    /// Current webhook secret (write-only in the API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
    /// Previous secret and the instant until which it stays valid (rotation, SPEC 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_webhook_secret: Option<RotatedSecret>,
    #[serde(default)]
    pub units: Vec<Unit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pms_credentials: Option<PmsCredentials>,
    /// Language of guests whose reservation has none (BCP 47); English when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_guest_language: Option<String>,
    /// Hours in which guests are not messaged (property-local); none when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

/// Property-local hours in which no message goes out, e.g. 21:00 to 08:00 (may cross midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub start: LocalTime,
    pub end: LocalTime,
}

impl QuietHours {
    pub const EMPTY_MESSAGE: &'static str = "quiet hours must end at another time than they start";

    /// A window that starts and ends at the same time is no window (refused when saved).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// When the quiet hours `now` falls in end (property-local, `tz`); `None` outside them.
    pub fn end_if_inside(&self, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = crate::time::local_datetime(tz, now);
        let (today, time) = (local.date(), local.time());
        let (start, end) = (self.start.naive(), self.end.naive());
        let end_date = if start < end {
            (start <= time && time < end).then_some(today)?
        } else if time >= start {
            today.succ_opt()?
        } else if time < end {
            today
        } else {
            return None;
        };
        Some(crate::time::local_to_utc(tz, end_date, end))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotatedSecret {
    pub secret: String,
    pub valid_until: DateTime<Utc>,
}

impl Property {
    pub fn unit_name(&self, unit_id: &str) -> Option<&str> {
        self.units.iter().find(|u| u.id == unit_id).and_then(|u| u.name.as_deref())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppSettings {
    pub phone_number_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    pub sender: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Chatbot {
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub property_ids: Vec<Id>,
    /// Languages the chatbot speaks; English is always available whether listed or not.
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<WhatsAppSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsSettings>,
    /// Questions a quick-reply button may answer (README "Quick-reply buttons").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faqs: Vec<Faq>,
    /// Conversations run by the chatbot platform that a quick-reply button may hand the guest to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<Flow>,
}

/// An FAQ of a chatbot: its question (shown to operators when they pick it for a button) and
/// its answer per language, English always present in both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faq {
    pub id: Id,
    pub question: BTreeMap<String, String>,
    pub answer: BTreeMap<String, String>,
}

impl Faq {
    /// The answer in `language` (exact tag, then primary subtag), else English.
    pub fn answer_in(&self, language: &str) -> (&str, &str) {
        let primary = language.split('-').next().unwrap_or(language);
        for tag in [language, primary] {
            if let Some((tag, answer)) = self.answer.get_key_value(tag) {
                return (tag.as_str(), answer.as_str());
            }
        }
        ("en", self.answer.get("en").map(String::as_str).unwrap_or_default())
    }
}

/// A flow of a chatbot: a conversation the chatbot platform runs once Relais hands it the guest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub id: Id,
    pub name: String,
}

/// What a quick-reply button does when tapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonLink<'a> {
    Faq(&'a str),
    Flow(&'a str),
}

impl QuickReplyButton {
    pub fn link(&self) -> Option<ButtonLink<'_>> {
        match (&self.faq_id, &self.flow_id) {
            (Some(faq), None) => Some(ButtonLink::Faq(faq)),
            (None, Some(flow)) => Some(ButtonLink::Flow(flow)),
            _ => None,
        }
    }
}

impl Chatbot {
    /// Whether `link` names one of this chatbot's FAQs or flows: the one rule a quick-reply
    /// button must keep, checked when a campaign is saved and when the chatbot changes.
    pub fn resolves(&self, link: ButtonLink<'_>) -> bool {
        match link {
            ButtonLink::Faq(id) => self.faqs.iter().any(|f| f.id == id),
            ButtonLink::Flow(id) => self.flows.iter().any(|f| f.id == id),
        }
    }
    pub fn faq(&self, id: &str) -> Option<&Faq> {
        self.faqs.iter().find(|f| f.id == id)
    }

    pub fn owns(&self, channel: Channel) -> bool {
        self.sender(channel).is_some()
    }
    /// The number this chatbot sends from on `channel` (WhatsApp phone-number id, SMS sender):
    /// what a guest's opt-out is keyed by, with the guest's number (docs/opt-outs.md).
    pub fn sender(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Whatsapp => self.whatsapp.as_ref().map(|w| w.phone_number_id.as_str()),
            Channel::Sms => self.sms.as_ref().map(|s| s.sender.as_str()),
        }
    }
    pub fn speaks(&self, language: &str) -> bool {
        language == "en" || self.languages.iter().any(|l| l == language)
    }
}

// ---------------------------------------------------------------- reservation

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Airbnb,
    BookingCom,
    Vrbo,
    Expedia,
    Direct,
    Other,
}

impl Source {
    pub const ALL: [Source; 6] =
        [Source::Airbnb, Source::BookingCom, Source::Vrbo, Source::Expedia, Source::Direct, Source::Other];
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Airbnb => "airbnb",
            Source::BookingCom => "booking_com",
            Source::Vrbo => "vrbo",
            Source::Expedia => "expedia",
            Source::Direct => "direct",
            Source::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Confirmed,
    CheckedIn,
    CheckedOut,
    Canceled,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 4] = [
        ReservationStatus::Confirmed,
        ReservationStatus::CheckedIn,
        ReservationStatus::CheckedOut,
        ReservationStatus::Canceled,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Confirmed => "confirmed",
            ReservationStatus::CheckedIn => "checked_in",
            ReservationStatus::CheckedOut => "checked_out",
            ReservationStatus::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guest {
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// BCP 47 tag, e.g. `pt-BR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hometown: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub submitted: bool,
    #[serde(default)]
    pub ratings: BTreeMap<String, u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    AuthorizationHold,
    SecurityDeposit,
    Payment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Succeeded,
    Failed,
    PendingAuthentication,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub kind: PaymentKind,
    pub status: PaymentStatus,
    pub at: DateTime<Utc>,
}

/// Decimal amounts travel as strings (listing currency), e.g. `"450.00"`.
pub type Amount = rust_decimal::Decimal;

/// The canonical reservation every PMS adapter produces (SPEC 2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    pub id: Id,
    pub property_id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<Id>,
    pub source: Source,
    pub status: ReservationStatus,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<LocalTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etd: Option<LocalTime>,
    pub guest: Guest,
    #[serde(default)]
    pub adults: u32,
    #[serde(default)]
    pub children: u32,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub total_amount: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub host_payout: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "rust_decimal::serde::str_option")]
    pub balance_due: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default)]
    pub check_in_form_submitted: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guest_app_forms: BTreeMap<String, bool>,
    #[serde(default)]
    pub contract_signed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_review_enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub payments: Vec<Payment>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_fields: BTreeMap<String, bool>,
    pub updated_at: DateTime<Utc>,
}

impl Reservation {
    pub fn guests_count(&self) -> u32 {
        self.adults.saturating_add(self.children)
    }
    pub fn nights(&self) -> i64 {
        (self.check_out - self.check_in).num_days()
    }
}

/// A recorded status change of a reservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    /// 1-based position in the reservation's history; part of `status_change` message ids.
    pub seq: u32,
    /// `None` when the reservation was first seen in this status.
    pub from: Option<ReservationStatus>,
    pub to: ReservationStatus,
    pub at: DateTime<Utc>,
}

// ---------------------------------------------------------------- campaigns

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    PreStay,
    Arrival,
    InStay,
    Departure,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Whatsapp,
    Sms,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Whatsapp => "whatsapp",
            Channel::Sms => "sms",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DayOfWeek {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl DayOfWeek {
    pub fn of(weekday: chrono::Weekday) -> DayOfWeek {
        match weekday {
            chrono::Weekday::Mon => DayOfWeek::Mon,
            chrono::Weekday::Tue => DayOfWeek::Tue,
            chrono::Weekday::Wed => DayOfWeek::Wed,
            chrono::Weekday::Thu => DayOfWeek::Thu,
            chrono::Weekday::Fri => DayOfWeek::Fri,
            chrono::Weekday::Sat => DayOfWeek::Sat,
            chrono::Weekday::Sun => DayOfWeek::Sun,
        }
    }
}

/// Trigger period: property-local dates, inclusive; `None` = open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    #[serde(default)]
    pub start: Option<NaiveDate>,
    #[serde(default)]
    pub end: Option<NaiveDate>,
}

impl Period {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start.is_none_or(|s| s <= date) && self.end.is_none_or(|e| date <= e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    CheckIn,
    CheckOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelativeAnchor {
    Confirmation,
    CheckIn,
    CheckOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    Schedule {
        days: Vec<DayOfWeek>,
        hours: Vec<u8>,
    },
    StatusChange,
    Relative {
        anchor: RelativeAnchor,
        #[serde(default)]
        offset_days: i32,
        #[serde(default)]
        offset_minutes: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        at: Option<LocalTime>,
    },
}

impl Trigger {
    pub fn kind(&self) -> &'static str {
        match self {
            Trigger::Schedule { .. } => "schedule",
            Trigger::StatusChange => "status_change",
            Trigger::Relative { .. } => "relative",
        }
    }
}

/// Target of a campaign; which fields apply depends on the trigger (validated, SPEC 2.3 step 3):
/// schedule: `status`, `anchor`, `send_offset_days`; status_change: `status`; relative: `statuses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ReservationStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Anchor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send_offset_days: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statuses: Option<Vec<ReservationStatus>>,
}

impl Target {
    /// Statuses a `relative` message may be sent in (default `confirmed`, `checked_in`).
    pub fn relative_statuses(&self) -> Vec<ReservationStatus> {
        self.statuses.clone().unwrap_or_else(|| vec![ReservationStatus::Confirmed, ReservationStatus::CheckedIn])
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelChoice {
    pub primary: Channel,
    #[serde(default)]
    pub fallback: Option<Channel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyButton {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faq_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CallToActionButton {
    Phone { title: String, phone: String },
    Url { title: String, url: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum WhatsAppContent {
    Text { body: String },
    QuickReply { body: String, buttons: Vec<QuickReplyButton> },
    CallToAction { body: String, buttons: Vec<CallToActionButton> },
}

impl WhatsAppContent {
    pub fn body(&self) -> &str {
        match self {
            WhatsAppContent::Text { body }
            | WhatsAppContent::QuickReply { body, .. }
            | WhatsAppContent::CallToAction { body, .. } => body,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmsContent {
    Text { body: String },
}

impl SmsContent {
    pub fn body(&self) -> &str {
        match self {
            SmsContent::Text { body } => body,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LanguageContent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub whatsapp: Option<WhatsAppContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsContent>,
}

impl LanguageContent {
    pub fn body(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Whatsapp => self.whatsapp.as_ref().map(WhatsAppContent::body),
            Channel::Sms => self.sms.as_ref().map(SmsContent::body),
        }
    }
}

// ---- conditions (SPEC 2.3, Appendix A.3)

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InOp {
    In,
    NotIn,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReservationCondition {
    Source { op: InOp, value: Vec<Source> },
    Unit { op: InOp, value: Vec<Id> },
}

impl ReservationCondition {
    pub fn kind(&self) -> &'static str {
        match self {
            ReservationCondition::Source { .. } => "source",
            ReservationCondition::Unit { .. } => "unit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountOp {
    Is,
    IsNot,
    MoreThan,
    LessThan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeOp {
    Before,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsOp {
    Is,
    IsNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextOp {
    Is,
    IsNot,
    Contains,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmountOp {
    MoreThan,
    LessThan,
    Is,
}

/// Outcome asked of authorization holds and security deposits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldOutcome {
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOutcome {
    Succeeded,
    Failed,
    PendingAuthentication,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapSide {
    Before,
    After,
    BeforeOrAfter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapDays {
    Any,
    Weekdays,
    Weekends,
}

fn yes() -> bool {
    true
}

/// Message conditions: all must hold at send time. Boolean ones take `value: false` for the negation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageCondition {
    GuestsCount {
        op: CountOp,
        value: u32,
    },
    FullyPaid {
        value: bool,
    },
    CheckInFormSubmitted {
        value: bool,
    },
    GuestAppFormSubmitted {
        app_id: String,
        value: bool,
    },
    ContractSigned {
        value: bool,
    },
    PlannedArrival {
        op: TimeOp,
        value: LocalTime,
    },
    EtaProvided {
        value: bool,
    },
    PlannedDeparture {
        op: TimeOp,
        value: LocalTime,
    },
    EtdProvided {
        value: bool,
    },
    PreferredLanguage {
        op: IsOp,
        value: Vec<String>,
    },
    Hometown {
        op: TextOp,
        value: String,
    },
    ReturningGuest {
        value: bool,
    },
    TotalPayout {
        op: AmountOp,
        #[serde(with = "rust_decimal::serde::str")]
        value: Amount,
    },
    AutoReviewEnabled {
        value: bool,
    },
    ReviewSubmitted {
        value: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_ratings: Option<BTreeMap<String, u8>>,
    },
    AuthorizationHold {
        value: HoldOutcome,
    },
    SecurityDeposit {
        value: HoldOutcome,
    },
    Payment {
        value: PaymentOutcome,
    },
    AvailableNights {
        side: GapSide,
        days: GapDays,
        max_gap_nights: u32,
        #[serde(default = "yes")]
        value: bool,
    },
    CustomField {
        key: String,
        value: bool,
    },
}

impl MessageCondition {
    /// The condition's `type`, used in reasons such as `conditions_not_met:fully_paid`.
    pub fn kind(&self) -> &'static str {
        match self {
            MessageCondition::GuestsCount { .. } => "guests_count",
            MessageCondition::FullyPaid { .. } => "fully_paid",
            MessageCondition::CheckInFormSubmitted { .. } => "check_in_form_submitted",
            MessageCondition::GuestAppFormSubmitted { .. } => "guest_app_form_submitted",
            MessageCondition::ContractSigned { .. } => "contract_signed",
            MessageCondition::PlannedArrival { .. } => "planned_arrival",
            MessageCondition::EtaProvided { .. } => "eta_provided",
            MessageCondition::PlannedDeparture { .. } => "planned_departure",
            MessageCondition::EtdProvided { .. } => "etd_provided",
            MessageCondition::PreferredLanguage { .. } => "preferred_language",
            MessageCondition::Hometown { .. } => "hometown",
            MessageCondition::ReturningGuest { .. } => "returning_guest",
            MessageCondition::TotalPayout { .. } => "total_payout",
            MessageCondition::AutoReviewEnabled { .. } => "auto_review_enabled",
            MessageCondition::ReviewSubmitted { .. } => "review_submitted",
            MessageCondition::AuthorizationHold { .. } => "authorization_hold",
            MessageCondition::SecurityDeposit { .. } => "security_deposit",
            MessageCondition::Payment { .. } => "payment",
            MessageCondition::AvailableNights { .. } => "available_nights",
            MessageCondition::CustomField { .. } => "custom_field",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Pending,
    Active,
    Rejected,
    Paused,
    Archived,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Pending => "pending",
            CampaignStatus::Active => "active",
            CampaignStatus::Rejected => "rejected",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Archived => "archived",
        }
    }
}

/// What an operator defines: the body of `POST /campaigns` (ids assigned by the API) and of a
/// scenario's `campaigns[]` entry (without the scenario-only `id`, `created_by`, `approve`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    pub category: Category,
    pub name: String,
    pub property_id: Id,
    pub chatbot_id: Id,
    #[serde(default)]
    pub period: Period,
    pub trigger: Trigger,
    pub target: Target,
    pub channel: ChannelChoice,
    pub messages: BTreeMap<String, LanguageContent>,
    #[serde(default)]
    pub reservation_conditions: Vec<ReservationCondition>,
    #[serde(default)]
    pub message_conditions: Vec<MessageCondition>,
    /// Whether the property's quiet hours hold this campaign's messages back (left out when
    /// `respect`, the default, so that a body round-trips as written).
    #[serde(default, skip_serializing_if = "QuietHoursPolicy::is_default")]
    pub quiet_hours: QuietHoursPolicy,
}

/// A campaign's stance on the property's quiet hours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuietHoursPolicy {
    /// A message due inside them is sent when they end.
    #[default]
    Respect,
    Ignore,
}

impl QuietHoursPolicy {
    pub fn is_default(&self) -> bool {
        *self == QuietHoursPolicy::Respect
    }
}

impl CampaignSpec {
    /// Channels in use: the primary and, if set, the fallback.
    pub fn channels(&self) -> Vec<Channel> {
        let mut channels = vec![self.channel.primary];
        if let Some(fallback) = self.channel.fallback
            && fallback != self.channel.primary
        {
            channels.push(fallback);
        }
        channels
    }

    /// Whether messages of this campaign are anchored on check-out (they expire 7 days after due).
    pub fn anchored_on_check_out(&self) -> bool {
        match &self.trigger {
            Trigger::Schedule { .. } => self.target.anchor == Some(Anchor::CheckOut),
            Trigger::StatusChange => self.target.status == Some(ReservationStatus::CheckedOut),
            Trigger::Relative { anchor, .. } => *anchor == RelativeAnchor::CheckOut,
        }
    }

    /// Whether this campaign's messages survive a cancellation (it targets the `canceled` status).
    pub fn targets_canceled(&self) -> bool {
        self.target.status == Some(ReservationStatus::Canceled)
            || self.target.statuses.as_ref().is_some_and(|s| s.contains(&ReservationStatus::Canceled))
    }
}

/// A stored campaign: the spec plus identity, ownership and life-cycle state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: Id,
    pub account_id: Id,
    pub created_by: Id,
    pub status: CampaignStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Incremented on every change; the API's ETag.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the campaign last became active (messages are planned from then on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<DateTime<Utc>>,
    /// Approved by an approver, waiting for Meta to approve its WhatsApp templates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_meta: bool,
    /// The revision its WhatsApp templates are registered under (see `whatsapp::template_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_revision: Option<u64>,
    /// Meta's review of the WhatsApp template of each language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub whatsapp_templates: BTreeMap<String, TemplateReview>,
    #[serde(flatten)]
    pub spec: CampaignSpec,
}

impl Campaign {
    /// Approved, and waiting for Meta to approve its WhatsApp templates: the set the sweep polls.
    pub fn awaits_meta_review(&self) -> bool {
        self.awaiting_meta && self.status == CampaignStatus::Pending
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateReviewStatus {
    Pending,
    Approved,
    Rejected,
}

/// Meta's review of one WhatsApp template (one language of a campaign revision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateReview {
    pub status: TemplateReviewStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

// ---------------------------------------------------------------- messages

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Scheduled,
    Pending,
    /// Claimed by a dispatcher; the provider call is in flight. Internal, never a final state
    /// unless a dispatcher died mid-send (then resolved by the sweep).
    Sending,
    Sent,
    Delivered,
    Read,
    Failed,
    Skipped,
    Expired,
    Canceled,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Scheduled => "scheduled",
            MessageState::Pending => "pending",
            MessageState::Sending => "sending",
            MessageState::Sent => "sent",
            MessageState::Delivered => "delivered",
            MessageState::Read => "read",
            MessageState::Failed => "failed",
            MessageState::Skipped => "skipped",
            MessageState::Expired => "expired",
            MessageState::Canceled => "canceled",
        }
    }
    /// Still waiting to go out (may be sent later).
    pub fn is_open(self) -> bool {
        matches!(self, MessageState::Scheduled | MessageState::Pending)
    }
    /// Handed to a provider at least once.
    pub fn was_sent(self) -> bool {
        matches!(self, MessageState::Sent | MessageState::Delivered | MessageState::Read)
    }
}

/// One entry of a reservation's timeline: a message state change with its time and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub state: MessageState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
}

/// Which occurrence of a campaign for a reservation this message is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Occurrence {
    /// `schedule` or `relative`: the n-th message (0 first; a new one only when the previous was
    /// sent for another anchor date, or canceled and the reservation was confirmed again).
    Planned { n: u32 },
    /// `status_change`: the transition with this sequence number.
    Transition { seq: u32 },
}

/// One delivery attempt on one channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub channel: Channel,
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_message_id: Option<String>,
    /// Last provider status for this attempt (`sent`, `delivered`, `read`, `failed`).
    pub status: MessageState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// SMS: the segments the body takes, what the carrier bills (docs/statistics.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<u32>,
    /// Made on the fallback channel: the primary failed, was opted out of, or is not the
    /// chatbot's (the message's reason says which).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fallback: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Deterministic: see [`Message::id_for`]. Every send decision claims this id.
    pub id: Id,
    pub campaign_id: Id,
    pub reservation_id: Id,
    pub property_id: Id,
    pub occurrence: Occurrence,
    /// `schedule`: the anchor date this message serves (at most one send per anchor date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor_date: Option<NaiveDate>,
    pub due_at: DateTime<Utc>,
    /// The due moment the planner set, when the dispatcher held the message later (quiet
    /// hours): expiry and the planner's comparisons count from it, not from the hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_from: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub state: MessageState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Channel of the latest attempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Always present (an empty list before the first send), as the API documents it.
    #[serde(default)]
    pub attempts: Vec<Attempt>,
    /// Transient-error retries spent on the current channel.
    #[serde(default)]
    pub retries: u32,
    /// Optimistic-concurrency version; every write is conditional on it.
    pub version: u64,
    pub timeline: Vec<TimelineEntry>,
    /// The quick-reply buttons the guest tapped and Relais acted on (the FAQ or flow each
    /// leads to), each once: a replayed tap changes nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taps: Vec<String>,
}

impl Message {
    pub fn id_for(campaign_id: &str, property_id: &str, reservation_id: &str, occurrence: &Occurrence) -> Id {
        let occ = match occurrence {
            Occurrence::Planned { n } => format!("p{n}"),
            Occurrence::Transition { seq } => format!("t{seq}"),
        };
        format!("{campaign_id}~{property_id}~{reservation_id}~{occ}")
    }

    /// The due moment as planned (before any hold for quiet hours).
    pub fn planned_due_at(&self) -> DateTime<Utc> {
        self.held_from.unwrap_or(self.due_at)
    }

    /// Move to `state` at `at` with `reason`, keeping the timeline.
    pub fn transition(&mut self, at: DateTime<Utc>, state: MessageState, reason: Option<String>) {
        self.state = state;
        self.reason = reason.clone();
        self.timeline.push(TimelineEntry { at, state, reason, channel: self.channel });
    }
}
