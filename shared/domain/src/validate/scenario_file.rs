//! The walk over a scenario file (Appendix A.1): the account's set-up, campaigns validated as the
//! API would for their creator, events and sweep outages.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::chatbot::{parse_faqs, parse_flows};
use super::json::{Checker, index_path, key_path};
use super::{FieldError, ValidationContext, campaign, codes, parse_custom_fields};
use crate::formats::{is_e164, is_language_tag};
use crate::model::{Account, CampaignSpec, Channel, Chatbot, Property, QuietHours, Role, User};
use crate::scenario::{
    CampaignAction, CampaignActionEvent, CustomFieldsEvent, EventKind, GuestReplyEvent, GuestTapEvent, Outage,
    PmsWebhookEvent, ProviderStatus, ProviderStatusEvent, SCENARIO_VERSION, Scenario, ScenarioCampaign, ScenarioEvent,
    SimulatedProviders,
};

const SCENARIO_FIELDS: &[&str] = &[
    "version",
    "start",
    "end",
    "sweep_every_minutes",
    "account",
    "users",
    "properties",
    "chatbots",
    "providers",
    "campaigns",
    "events",
    "sweep_outages",
];
const USER_FIELDS: &[&str] =
    &["id", "account_id", "role", "name", "email", "email_notifications", "language", "property_ids", "chatbot_ids"];
const USER_LANGUAGES: &[&str] = &["en", "fr"];
const PROPERTY_FIELDS: &[&str] = &[
    "id",
    "account_id",
    "name",
    "time_zone",
    "check_in_time",
    "check_out_time",
    "pms",
    "webhook_secret",
    "previous_webhook_secret",
    "units",
    "pms_credentials",
    "default_guest_language",
    "quiet_hours",
];
const CHATBOT_FIELDS: &[&str] =
    &["id", "account_id", "name", "property_ids", "languages", "whatsapp", "sms", "faqs", "flows"];
/// Fields of a `campaigns[]` entry that belong to the scenario, not to the campaign body.
const SCENARIO_CAMPAIGN_FIELDS: &[&str] = &["id", "created_by", "approve"];
const EVENT_KINDS: &[&str] =
    &["pms_webhook", "provider_status", "guest_reply", "campaign_action", "custom_fields", "guest_tap"];
const CHANNELS: &[&str] = &["whatsapp", "sms"];
const ROLES: &[&str] = &["viewer", "editor", "approver", "admin"];
const PROVIDER_STATUSES: &[&str] = &["sent", "delivered", "read", "failed"];
const CAMPAIGN_ACTIONS: &[&str] = &["pause", "resume", "archive", "edit", "submit", "approve", "reject"];

const DEFAULT_SWEEP_EVERY_MINUTES: u32 = 5;
const MAX_SWEEP_EVERY_MINUTES: i64 = 24 * 60;

pub(super) fn parse(doc: &Value) -> Result<(Scenario, Vec<CampaignSpec>), Vec<FieldError>> {
    let mut walk = ScenarioWalk::default();
    let parsed = walk.scenario(doc);
    match parsed {
        Some(parsed) if walk.c.is_clean() => Ok(parsed),
        _ => {
            if walk.c.is_clean() {
                walk.c.error("", codes::INVALID, "the scenario could not be read");
            }
            Err(walk.c.errors)
        }
    }
}

/// The ids an array of objects declares, read ahead so that references can be checked in
/// document order.
fn declared_ids(section: Option<&Value>) -> Vec<String> {
    section
        .and_then(Value::as_array)
        .map(|items| {
            items.iter().filter_map(|item| item.get("id").and_then(Value::as_str)).map(str::to_string).collect()
        })
        .unwrap_or_default()
}

fn declared_senders(chatbots: Option<&Value>) -> Vec<(Channel, String)> {
    let mut senders = Vec::new();
    for chatbot in chatbots.and_then(Value::as_array).into_iter().flatten() {
        for (channel, section, field) in
            [(Channel::Whatsapp, "whatsapp", "phone_number_id"), (Channel::Sms, "sms", "sender")]
        {
            if let Some(sender) = chatbot.get(section).and_then(|s| s.get(field)).and_then(Value::as_str) {
                senders.push((channel, sender.to_string()));
            }
        }
    }
    senders
}

/// Turns a walked section into the model type; the walk has already refused what serde would.
fn typed<T: DeserializeOwned>(c: &mut Checker, path: &str, value: &Value, errors_before: usize) -> Option<T> {
    if c.errors.len() != errors_before {
        return None;
    }
    match serde_json::from_value(value.clone()) {
        Ok(typed) => Some(typed),
        Err(error) => {
            c.error(path, codes::INVALID, format!("{path} does not fit the model: {error}"));
            None
        }
    }
}

#[derive(Default)]
struct ScenarioWalk {
    c: Checker,
    account_id: Option<String>,
    property_ids: Vec<String>,
    chatbot_ids: Vec<String>,
    user_ids: Vec<String>,
    campaign_ids: Vec<String>,
    /// The numbers the scenario's chatbots send from, per channel (`guest_reply.to`).
    senders: Vec<(Channel, String)>,
}

impl ScenarioWalk {
    fn scenario(&mut self, doc: &Value) -> Option<(Scenario, Vec<CampaignSpec>)> {
        let map = self.c.object("", doc)?;
        self.c.only_fields("", map, SCENARIO_FIELDS);
        self.property_ids = declared_ids(map.get("properties"));
        self.chatbot_ids = declared_ids(map.get("chatbots"));
        self.user_ids = declared_ids(map.get("users"));
        self.campaign_ids = declared_ids(map.get("campaigns"));
        self.senders = declared_senders(map.get("chatbots"));

        let version = match self.c.defaulted("", map, "version") {
            None => Some(SCENARIO_VERSION),
            Some(value) => self.c.integer("version", value, 0, i64::from(u32::MAX)).and_then(|version| {
                if version == i64::from(SCENARIO_VERSION) {
                    Some(SCENARIO_VERSION)
                } else {
                    self.c.error(
                        "version",
                        codes::INVALID_VALUE,
                        format!("version {version} is not supported; this build reads version {SCENARIO_VERSION}"),
                    );
                    None
                }
            }),
        };
        let start = self.c.required("", map, "start").and_then(|v| self.c.instant("start", v));
        let end = self.c.required("", map, "end").and_then(|v| self.c.instant("end", v));
        let mut window = start.zip(end);
        if let Some((start, end)) = window
            && start >= end
        {
            self.c.error("end", codes::INVALID_ORDER, format!("end ({end}) must be after start ({start})"));
            window = None; // events cannot be judged against a broken window
        }
        let sweep_every_minutes = match self.c.defaulted("", map, "sweep_every_minutes") {
            None => Some(DEFAULT_SWEEP_EVERY_MINUTES),
            Some(value) => self
                .c
                .integer("sweep_every_minutes", value, 1, MAX_SWEEP_EVERY_MINUTES)
                .and_then(|minutes| u32::try_from(minutes).ok()),
        };

        let errors_before_setup = self.c.errors.len();
        let account = self.c.required("", map, "account").and_then(|v| self.account(v));
        let users = self.section(map, "users", Self::user);
        let properties = self.section(map, "properties", Self::property);
        let chatbots = self.section(map, "chatbots", Self::chatbot);
        let setup_is_clean = self.c.errors.len() == errors_before_setup;
        let providers = match self.c.defaulted("", map, "providers") {
            None => Some(SimulatedProviders::default()),
            Some(value) => self.providers(value),
        };

        let campaigns = match self.c.defaulted("", map, "campaigns") {
            None => Some((Vec::new(), Vec::new())),
            Some(value) => {
                let users = users.as_deref();
                // With a broken set-up the offers cannot be judged fairly: check the campaigns'
                // own rules only, rather than blame them for the set-up's errors.
                let account = match (setup_is_clean, &properties, &chatbots) {
                    (true, Some(properties), Some(chatbots)) => Some((properties.as_slice(), chatbots.as_slice())),
                    _ => None,
                };
                self.campaigns(value, users, account)
            }
        };
        let events = match self.c.defaulted("", map, "events") {
            None => Some(Vec::new()),
            Some(value) => self.events(value, window),
        };
        let sweep_outages = match self.c.defaulted("", map, "sweep_outages") {
            None => Some(Vec::new()),
            Some(value) => self.outages(value),
        };

        let (campaigns, specs) = campaigns?;
        let scenario = Scenario {
            version: version?,
            start: start?,
            end: end?,
            sweep_every_minutes: sweep_every_minutes?,
            account: account?,
            users: users?,
            properties: properties?,
            chatbots: chatbots?,
            providers: providers?,
            campaigns,
            events: events?,
            sweep_outages: sweep_outages?,
        };
        Some((scenario, specs))
    }

    /// An optional array of entities with unique ids, each walked by `item` then typed.
    fn section<T: DeserializeOwned>(
        &mut self,
        map: &Map<String, Value>,
        key: &str,
        item: fn(&mut Self, &str, &Map<String, Value>),
    ) -> Option<Vec<T>> {
        let Some(value) = self.c.defaulted("", map, key) else { return Some(Vec::new()) };
        let items = self.c.array(key, value)?;
        let mut typed_items = Some(Vec::with_capacity(items.len()));
        let mut seen_ids: Vec<&str> = Vec::new();
        for (index, entry) in items.iter().enumerate() {
            let path = index_path(key, index);
            let errors_before = self.c.errors.len();
            if let Some(entry_map) = self.c.object(&path, entry) {
                if let Some(id) = entry_map.get("id").and_then(Value::as_str) {
                    if seen_ids.contains(&id) {
                        self.c.error(
                            &key_path(&path, "id"),
                            codes::DUPLICATE,
                            format!("id '{id}' is used by an earlier entry of {key}"),
                        );
                    }
                    seen_ids.push(id);
                }
                item(self, &path, entry_map);
            }
            let entry: Option<T> = typed(&mut self.c, &path, entry, errors_before);
            match (&mut typed_items, entry) {
                (Some(list), Some(entry)) => list.push(entry),
                _ => typed_items = None,
            }
        }
        typed_items
    }

    fn account(&mut self, value: &Value) -> Option<Account> {
        let errors_before = self.c.errors.len();
        let map = self.c.object("account", value)?;
        self.c.only_fields("account", map, &["id", "name"]);
        if let Some(id) = self.c.required("account", map, "id").and_then(|v| self.c.non_empty_string("account.id", v)) {
            self.plain_id("account.id", id);
            self.account_id = Some(id.to_string());
        }
        if let Some(name) = self.c.required("account", map, "name") {
            self.c.non_empty_string("account.name", name);
        }
        typed(&mut self.c, "account", value, errors_before)
    }

    /// Ids of what Relais creates hold no key separator (`relais_domain::ids`).
    fn plain_id(&mut self, path: &str, id: &str) {
        if let Some(problem) = crate::ids::plain_id_problem(id, crate::ids::ID_MAX_CHARS) {
            self.c.error(path, codes::INVALID_FORMAT, format!("{path} {problem}"));
        }
    }

    fn id_and_account(&mut self, path: &str, map: &Map<String, Value>) {
        let id_path = key_path(path, "id");
        if let Some(id) = self.c.required(path, map, "id").and_then(|v| self.c.non_empty_string(&id_path, v)) {
            self.plain_id(&id_path, id);
        }
        let account_path = key_path(path, "account_id");
        if let Some(account_id) = Checker::optional(map, "account_id").and_then(|v| self.c.string(&account_path, v))
            && let Some(expected) = &self.account_id
            && account_id != expected
        {
            self.c.error(
                &account_path,
                codes::INVALID_VALUE,
                format!(
                    "account_id '{account_id}' is not the scenario's account '{expected}': nothing crosses accounts"
                ),
            );
        }
    }

    /// Each item of an optional list of ids must name a declared entity.
    fn references(&mut self, path: &str, value: &Value, declared: &[String], what: &str) {
        let Some(items) = self.c.array(path, value) else { return };
        let mut seen = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let item_path = index_path(path, index);
            let Some(id) = self.c.non_empty_string(&item_path, item) else { continue };
            if !declared.iter().any(|declared| declared == id) {
                self.c.error(&item_path, codes::UNKNOWN_REFERENCE, format!("no {what} has the id '{id}'"));
            }
            seen.push((index, id));
        }
        self.c.unique(path, &seen);
    }

    fn user(&mut self, path: &str, map: &Map<String, Value>) {
        self.c.only_fields(path, map, USER_FIELDS);
        self.id_and_account(path, map);
        if let Some(role) = self.c.required(path, map, "role") {
            self.c.one_of(&key_path(path, "role"), role, ROLES);
        }
        for field in ["name", "email"] {
            if let Some(value) = Checker::optional(map, field) {
                self.c.non_empty_string(&key_path(path, field), value);
            }
        }
        if let Some(value) = self.c.defaulted(path, map, "email_notifications") {
            self.c.boolean(&key_path(path, "email_notifications"), value);
        }
        if let Some(value) = self.c.defaulted(path, map, "language") {
            self.c.one_of(&key_path(path, "language"), value, USER_LANGUAGES);
        }
        let property_ids = self.property_ids.clone();
        if let Some(value) = Checker::optional(map, "property_ids") {
            self.references(&key_path(path, "property_ids"), value, &property_ids, "property");
        }
        let chatbot_ids = self.chatbot_ids.clone();
        if let Some(value) = Checker::optional(map, "chatbot_ids") {
            self.references(&key_path(path, "chatbot_ids"), value, &chatbot_ids, "chatbot");
        }
    }

    fn property(&mut self, path: &str, map: &Map<String, Value>) {
        self.c.only_fields(path, map, PROPERTY_FIELDS);
        self.id_and_account(path, map);
        let field = |name: &str| key_path(path, name);
        for name in ["name", "pms", "webhook_secret"] {
            if let Some(value) = self.c.required(path, map, name) {
                self.c.non_empty_string(&field(name), value);
            }
        }
        if let Some(zone) = self.c.required(path, map, "time_zone").and_then(|v| self.c.string(&field("time_zone"), v))
            && Tz::from_str(zone).is_err()
        {
            self.c.error(
                &field("time_zone"),
                codes::INVALID_VALUE,
                format!("'{zone}' is not an IANA time zone such as Europe/Lisbon"),
            );
        }
        for name in ["check_in_time", "check_out_time"] {
            if let Some(value) = self.c.required(path, map, name) {
                self.c.local_time(&field(name), value);
            }
        }
        if let Some(value) = Checker::optional(map, "previous_webhook_secret") {
            let secret_path = field("previous_webhook_secret");
            if let Some(secret) = self.c.object(&secret_path, value) {
                self.c.only_fields(&secret_path, secret, &["secret", "valid_until"]);
                if let Some(value) = self.c.required(&secret_path, secret, "secret") {
                    self.c.non_empty_string(&key_path(&secret_path, "secret"), value);
                }
                if let Some(value) = self.c.required(&secret_path, secret, "valid_until") {
                    self.c.instant(&key_path(&secret_path, "valid_until"), value);
                }
            }
        }
        if let Some(value) = self.c.defaulted(path, map, "units") {
            self.units(&field("units"), value);
        }
        if let Some(value) = Checker::optional(map, "pms_credentials") {
            self.pms_credentials(&field("pms_credentials"), value);
        }
        let language_path = field("default_guest_language");
        if let Some(tag) =
            Checker::optional(map, "default_guest_language").and_then(|v| self.c.string(&language_path, v))
            && !is_language_tag(tag)
        {
            self.c.error(
                &language_path,
                codes::INVALID_VALUE,
                format!("'{tag}' is not a language tag such as 'en' or 'pt-BR'"),
            );
        }
        if let Some(value) = Checker::optional(map, "quiet_hours") {
            self.quiet_hours(&field("quiet_hours"), value);
        }
    }

    fn quiet_hours(&mut self, path: &str, value: &Value) {
        let Some(map) = self.c.object(path, value) else { return };
        self.c.only_fields(path, map, &["start", "end"]);
        let start = self.c.required(path, map, "start").and_then(|v| self.c.local_time(&key_path(path, "start"), v));
        let end = self.c.required(path, map, "end").and_then(|v| self.c.local_time(&key_path(path, "end"), v));
        if let (Some(start), Some(end)) = (start, end)
            && (QuietHours { start, end }).is_empty()
        {
            self.c.error(&key_path(path, "end"), codes::INVALID_VALUE, QuietHours::EMPTY_MESSAGE);
        }
    }

    fn units(&mut self, path: &str, value: &Value) {
        let Some(units) = self.c.array(path, value) else { return };
        let mut seen = Vec::new();
        for (index, unit) in units.iter().enumerate() {
            let unit_path = index_path(path, index);
            let Some(unit) = self.c.object(&unit_path, unit) else { continue };
            self.c.only_fields(&unit_path, unit, &["id", "name"]);
            if let Some(id) = self
                .c
                .required(&unit_path, unit, "id")
                .and_then(|v| self.c.non_empty_string(&key_path(&unit_path, "id"), v))
            {
                if seen.contains(&id) {
                    self.c.error(
                        &key_path(&unit_path, "id"),
                        codes::DUPLICATE,
                        format!("unit id '{id}' is used twice"),
                    );
                }
                seen.push(id);
            }
            if let Some(name) = Checker::optional(unit, "name") {
                self.c.string(&key_path(&unit_path, "name"), name);
            }
        }
    }

    fn pms_credentials(&mut self, path: &str, value: &Value) {
        let Some(map) = self.c.object(path, value) else { return };
        self.c.only_fields(path, map, &["api_base", "values"]);
        if let Some(base) = Checker::optional(map, "api_base") {
            self.c.string(&key_path(path, "api_base"), base);
        }
        let values_path = key_path(path, "values");
        if let Some(values) = self.c.defaulted(path, map, "values").and_then(|v| self.c.object(&values_path, v)) {
            for (key, value) in values {
                self.c.string(&key_path(&values_path, key), value);
            }
        }
    }

    fn chatbot(&mut self, path: &str, map: &Map<String, Value>) {
        self.c.only_fields(path, map, CHATBOT_FIELDS);
        self.id_and_account(path, map);
        if let Some(name) = Checker::optional(map, "name") {
            self.c.string(&key_path(path, "name"), name);
        }
        let property_ids = self.property_ids.clone();
        if let Some(value) = self.c.defaulted(path, map, "property_ids") {
            self.references(&key_path(path, "property_ids"), value, &property_ids, "property");
        }
        let languages_path = key_path(path, "languages");
        if let Some(languages) = self.c.defaulted(path, map, "languages").and_then(|v| self.c.array(&languages_path, v))
        {
            let mut seen = Vec::new();
            for (index, language) in languages.iter().enumerate() {
                let language_path = index_path(&languages_path, index);
                let Some(tag) = self.c.string(&language_path, language) else { continue };
                if !is_language_tag(tag) {
                    self.c.error(
                        &language_path,
                        codes::INVALID_VALUE,
                        format!("'{tag}' is not a language tag such as 'en' or 'pt'"),
                    );
                }
                seen.push((index, tag));
            }
            self.c.unique(&languages_path, &seen);
        }
        for (channel, fields, required) in
            [("whatsapp", &["phone_number_id", "waba_id"][..], "phone_number_id"), ("sms", &["sender"][..], "sender")]
        {
            let Some(value) = Checker::optional(map, channel) else { continue };
            let channel_path = key_path(path, channel);
            let Some(settings) = self.c.object(&channel_path, value) else { continue };
            self.c.only_fields(&channel_path, settings, fields);
            if let Some(value) = self.c.required(&channel_path, settings, required) {
                self.c.non_empty_string(&key_path(&channel_path, required), value);
            }
            if let Some(waba) = Checker::optional(settings, "waba_id") {
                self.c.non_empty_string(&key_path(&channel_path, "waba_id"), waba);
            }
        }
        if let Some(faqs) = self.c.defaulted(path, map, "faqs")
            && let Err(errors) = parse_faqs(&key_path(path, "faqs"), faqs)
        {
            self.c.errors.extend(errors);
        }
        if let Some(flows) = self.c.defaulted(path, map, "flows")
            && let Err(errors) = parse_flows(&key_path(path, "flows"), flows)
        {
            self.c.errors.extend(errors);
        }
    }

    fn providers(&mut self, value: &Value) -> Option<SimulatedProviders> {
        let map = self.c.object("providers", value)?;
        self.c.only_fields("providers", map, CHANNELS);
        let mut providers = SimulatedProviders::default();
        for channel in CHANNELS {
            let path = key_path("providers", channel);
            let Some(value) = self.c.defaulted("providers", map, channel) else { continue };
            let Some(settings) = self.c.object(&path, value) else { continue };
            self.c.only_fields(&path, settings, &["rejects"]);
            let rejects_path = key_path(&path, "rejects");
            let Some(numbers) =
                self.c.defaulted(&path, settings, "rejects").and_then(|v| self.c.array(&rejects_path, v))
            else {
                continue;
            };
            let mut rejects = Vec::with_capacity(numbers.len());
            for (index, number) in numbers.iter().enumerate() {
                let number_path = index_path(&rejects_path, index);
                let Some(number) = self.c.string(&number_path, number) else { continue };
                if !is_e164(number) {
                    self.c.error(
                        &number_path,
                        codes::INVALID_PHONE,
                        format!("'{number}' is not an E.164 phone number such as +15550002222"),
                    );
                }
                rejects.push(number.to_string());
            }
            if *channel == "whatsapp" {
                providers.whatsapp_rejects = rejects;
            } else {
                providers.sms_rejects = rejects;
            }
        }
        Some(providers)
    }

    fn campaigns(
        &mut self,
        value: &Value,
        users: Option<&[User]>,
        account: Option<(&[Property], &[Chatbot])>,
    ) -> Option<(Vec<ScenarioCampaign>, Vec<CampaignSpec>)> {
        let items = self.c.array("campaigns", value)?;
        // Users that could not be read are reported on their own; judge nothing by them.
        let has_approver = users.is_none_or(|users| users.iter().any(|user| user.role.can_approve()));
        let users = users.unwrap_or_default();
        // Stands in for a creator that is missing, so that the body is still checked in full.
        let everyone = User {
            id: String::new(),
            account_id: None,
            role: Role::Admin,
            name: None,
            email: None,
            email_notifications: false,
            language: Default::default(),
            property_ids: None,
            chatbot_ids: None,
        };
        let mut campaigns = Vec::with_capacity(items.len());
        let mut specs = Vec::with_capacity(items.len());
        let mut seen_ids: Vec<&str> = Vec::new();
        let mut complete = true;
        for (index, item) in items.iter().enumerate() {
            let path = index_path("campaigns", index);
            let Some(map) = self.c.object(&path, item) else {
                complete = false;
                continue;
            };
            let id = self.c.required(&path, map, "id").and_then(|v| self.c.non_empty_string(&key_path(&path, "id"), v));
            if let Some(id) = id {
                self.plain_id(&key_path(&path, "id"), id);
                if seen_ids.contains(&id) {
                    self.c.error(&key_path(&path, "id"), codes::DUPLICATE, format!("campaign id '{id}' is used twice"));
                }
                seen_ids.push(id);
            }
            let creator_path = key_path(&path, "created_by");
            let created_by =
                self.c.required(&path, map, "created_by").and_then(|v| self.c.non_empty_string(&creator_path, v));
            let creator = created_by.and_then(|id| {
                let found = users.iter().find(|user| user.id == id);
                match found {
                    None if self.user_ids.iter().any(|declared| declared == id) => {} // the user's own errors say why
                    None => self.c.error(&creator_path, codes::UNKNOWN_REFERENCE, format!("no user has the id '{id}'")),
                    Some(user) if !user.role.can_edit() => self.c.error(
                        &creator_path,
                        codes::FORBIDDEN,
                        format!("user '{id}' is a viewer and cannot create campaigns (editor or above)"),
                    ),
                    Some(_) => {}
                }
                found
            });
            let approve_path = key_path(&path, "approve");
            let approve = match self.c.defaulted(&path, map, "approve") {
                None => Some(false),
                Some(value) => self.c.boolean(&approve_path, value),
            };
            if approve == Some(true) && !has_approver {
                self.c.error(
                    &approve_path,
                    codes::NO_APPROVER,
                    "approve is true but the scenario has no user with role approver or admin",
                );
            }

            let body: Map<String, Value> = map
                .iter()
                .filter(|(key, _)| !SCENARIO_CAMPAIGN_FIELDS.contains(&key.as_str()))
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            let body = Value::Object(body);
            let verdict = match account {
                Some((properties, chatbots)) => {
                    let ctx = ValidationContext { user: creator.unwrap_or(&everyone), properties, chatbots };
                    campaign::validate(&body, Some(&ctx))
                }
                None => campaign::validate(&body, None),
            };
            match verdict {
                Ok(spec) => specs.push(spec),
                Err(errors) => {
                    complete = false;
                    for error in errors {
                        let field = if error.field.is_empty() || error.field.starts_with('[') {
                            format!("{path}{}", error.field)
                        } else {
                            format!("{path}.{}", error.field)
                        };
                        self.c.errors.push(FieldError { field, ..error });
                    }
                }
            }
            match (id, created_by, approve) {
                (Some(id), Some(created_by), Some(approve)) => campaigns.push(ScenarioCampaign {
                    id: id.to_string(),
                    created_by: created_by.to_string(),
                    approve,
                    body,
                }),
                _ => complete = false,
            }
        }
        complete.then_some((campaigns, specs))
    }

    fn events(&mut self, value: &Value, window: Option<(DateTime<Utc>, DateTime<Utc>)>) -> Option<Vec<ScenarioEvent>> {
        let items = self.c.array("events", value)?;
        let mut events = Some(Vec::with_capacity(items.len()));
        for (index, item) in items.iter().enumerate() {
            let path = index_path("events", index);
            let event = self.event(&path, item, window);
            match (&mut events, event) {
                (Some(list), Some(event)) => list.push(event),
                _ => events = None,
            }
        }
        events
    }

    fn event(
        &mut self,
        path: &str,
        value: &Value,
        window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Option<ScenarioEvent> {
        let map = self.c.object(path, value)?;
        let mut fields = vec!["at"];
        fields.extend_from_slice(EVENT_KINDS);
        self.c.only_fields(path, map, &fields);
        let at_path = key_path(path, "at");
        let at = self.c.required(path, map, "at").and_then(|v| self.c.instant(&at_path, v));
        if let (Some(at), Some((start, end))) = (at, window)
            && (at < start || at > end)
        {
            self.c.error(
                &at_path,
                codes::OUT_OF_RANGE,
                format!("{at_path} ({at}) is outside the scenario, from {start} to {end}"),
            );
        }
        let kinds: Vec<&str> = EVENT_KINDS.iter().copied().filter(|kind| map.contains_key(*kind)).collect();
        if kinds.len() != 1 {
            self.c.error(
                path,
                codes::EXACTLY_ONE,
                format!("an event has exactly one of: {} (found {})", EVENT_KINDS.join(", "), kinds.len()),
            );
        }
        let mut kind = None;
        for name in kinds {
            let kind_path = key_path(path, name);
            let Some(body) = map.get(name).and_then(|v| self.c.object(&kind_path, v)) else { continue };
            kind = match name {
                "pms_webhook" => self.pms_webhook(&kind_path, body),
                "provider_status" => self.provider_status(&kind_path, body),
                "guest_reply" => self.guest_reply(&kind_path, body),
                "custom_fields" => self.custom_fields(&kind_path, body),
                "guest_tap" => self.guest_tap(&kind_path, body),
                _ => self.campaign_action(&kind_path, body),
            };
        }
        Some(ScenarioEvent { at: at?, kind: kind? })
    }

    fn pms_webhook(&mut self, path: &str, map: &Map<String, Value>) -> Option<EventKind> {
        self.c.only_fields(path, map, &["pms", "property_id", "body"]);
        let pms = self.c.required(path, map, "pms").and_then(|v| self.c.non_empty_string(&key_path(path, "pms"), v));
        let property_id = self
            .c
            .required(path, map, "property_id")
            .and_then(|v| self.c.non_empty_string(&key_path(path, "property_id"), v));
        // The body stays raw: intake validates it at run time, as the HTTP route would.
        let body = self.c.required(path, map, "body");
        Some(EventKind::PmsWebhook(PmsWebhookEvent {
            pms: pms?.to_string(),
            property_id: property_id?.to_string(),
            body: body?.clone(),
        }))
    }

    fn channel(&mut self, path: &str, map: &Map<String, Value>) -> Option<Channel> {
        let name = self
            .c
            .required(path, map, "channel")
            .and_then(|v| self.c.one_of(&key_path(path, "channel"), v, CHANNELS))?;
        Some(if name == "sms" { Channel::Sms } else { Channel::Whatsapp })
    }

    fn known_campaign<'m>(&mut self, path: &str, map: &'m Map<String, Value>) -> Option<&'m str> {
        let campaign_path = key_path(path, "campaign");
        let id = self.c.required(path, map, "campaign").and_then(|v| self.c.non_empty_string(&campaign_path, v))?;
        if !self.campaign_ids.iter().any(|known| known == id) {
            self.c.error(&campaign_path, codes::UNKNOWN_REFERENCE, format!("no campaign has the id '{id}'"));
        }
        Some(id)
    }

    fn provider_status(&mut self, path: &str, map: &Map<String, Value>) -> Option<EventKind> {
        self.c.only_fields(path, map, &["channel", "reservation_id", "campaign", "status", "error_code"]);
        let channel = self.channel(path, map);
        let reservation_id = self
            .c
            .required(path, map, "reservation_id")
            .and_then(|v| self.c.non_empty_string(&key_path(path, "reservation_id"), v));
        let campaign = self.known_campaign(path, map);
        let status = self
            .c
            .required(path, map, "status")
            .and_then(|v| self.c.one_of(&key_path(path, "status"), v, PROVIDER_STATUSES))
            .map(|status| match status {
                "sent" => ProviderStatus::Sent,
                "delivered" => ProviderStatus::Delivered,
                "read" => ProviderStatus::Read,
                _ => ProviderStatus::Failed,
            });
        let error_code_path = key_path(path, "error_code");
        let error_code = match Checker::optional(map, "error_code") {
            None => Some(None),
            Some(value) => self.c.string(&error_code_path, value).map(|code| Some(code.to_string())),
        };
        Some(EventKind::ProviderStatus(ProviderStatusEvent {
            channel: channel?,
            reservation_id: reservation_id?.to_string(),
            campaign: campaign?.to_string(),
            status: status?,
            error_code: error_code?,
        }))
    }

    fn guest_reply(&mut self, path: &str, map: &Map<String, Value>) -> Option<EventKind> {
        self.c.only_fields(path, map, &["channel", "to", "from", "body"]);
        let channel = self.channel(path, map);
        let to_path = key_path(path, "to");
        let to = Checker::optional(map, "to").and_then(|v| self.c.non_empty_string(&to_path, v));
        if let (Some(to), Some(channel)) = (to, channel)
            && !self.senders.iter().any(|(c, sender)| *c == channel && sender == to)
        {
            self.c.error(
                &to_path,
                codes::UNKNOWN_REFERENCE,
                format!("no chatbot sends {} from '{to}'", channel.as_str()),
            );
        }
        let from_path = key_path(path, "from");
        let from = self.c.required(path, map, "from").and_then(|v| self.c.string(&from_path, v));
        if let Some(from) = from
            && !is_e164(from)
        {
            self.c.error(&from_path, codes::INVALID_PHONE, format!("'{from}' is not an E.164 phone number"));
        }
        let body = self.c.required(path, map, "body").and_then(|v| self.c.string(&key_path(path, "body"), v));
        Some(EventKind::GuestReply(GuestReplyEvent {
            channel: channel?,
            to: to.map(str::to_string),
            from: from?.to_string(),
            body: body?.to_string(),
        }))
    }

    /// The guest taps a button (by its title) of the campaign's WhatsApp message sent to the
    /// reservation; which message and button is found at run time, as a tap names a sent one.
    fn guest_tap(&mut self, path: &str, map: &Map<String, Value>) -> Option<EventKind> {
        self.c.only_fields(path, map, &["reservation_id", "campaign", "button"]);
        let reservation_id = self
            .c
            .required(path, map, "reservation_id")
            .and_then(|v| self.c.non_empty_string(&key_path(path, "reservation_id"), v));
        let campaign = self.known_campaign(path, map);
        let button =
            self.c.required(path, map, "button").and_then(|v| self.c.non_empty_string(&key_path(path, "button"), v));
        Some(EventKind::GuestTap(GuestTapEvent {
            reservation_id: reservation_id?.to_string(),
            campaign: campaign?.to_string(),
            button: button?.to_string(),
        }))
    }

    /// A user id of the scenario, required at `path.key`.
    fn known_user<'m>(&mut self, path: &str, map: &'m Map<String, Value>, key: &str) -> Option<&'m str> {
        let user_path = key_path(path, key);
        let id = self.c.required(path, map, key).and_then(|v| self.c.non_empty_string(&user_path, v))?;
        if !self.user_ids.iter().any(|known| known == id) {
            self.c.error(&user_path, codes::UNKNOWN_REFERENCE, format!("no user has the id '{id}'"));
        }
        Some(id)
    }

    fn custom_fields(&mut self, path: &str, map: &Map<String, Value>) -> Option<EventKind> {
        self.c.only_fields(path, map, &["reservation_id", "by", "fields"]);
        let reservation_id = self
            .c
            .required(path, map, "reservation_id")
            .and_then(|v| self.c.non_empty_string(&key_path(path, "reservation_id"), v));
        let by = self.known_user(path, map, "by");
        let fields_path = key_path(path, "fields");
        let fields = self.c.required(path, map, "fields");
        if let Some(fields) = fields
            && let Err(errors) = parse_custom_fields(fields)
        {
            for error in errors {
                let field =
                    if error.field.is_empty() { fields_path.clone() } else { key_path(&fields_path, &error.field) };
                self.c.errors.push(FieldError { field, ..error });
            }
        }
        Some(EventKind::CustomFields(CustomFieldsEvent {
            reservation_id: reservation_id?.to_string(),
            by: by?.to_string(),
            fields: fields?.clone(),
        }))
    }

    fn campaign_action(&mut self, path: &str, map: &Map<String, Value>) -> Option<EventKind> {
        self.c.only_fields(path, map, &["campaign", "action", "by", "changes", "reason"]);
        let campaign = self.known_campaign(path, map);
        let action_path = key_path(path, "action");
        let action =
            self.c.required(path, map, "action").and_then(|v| self.c.one_of(&action_path, v, CAMPAIGN_ACTIONS));
        let by_path = key_path(path, "by");
        let by = match Checker::optional(map, "by") {
            None => Some(None),
            Some(value) => self.c.non_empty_string(&by_path, value).map(|by| {
                if !self.user_ids.iter().any(|known| known == by) {
                    self.c.error(&by_path, codes::UNKNOWN_REFERENCE, format!("no user has the id '{by}'"));
                }
                Some(by.to_string())
            }),
        };
        let changes_path = key_path(path, "changes");
        let changes = match Checker::optional(map, "changes") {
            None => {
                if action == Some("edit") {
                    self.c.error(&changes_path, codes::REQUIRED, "an edit needs 'changes' (a JSON merge patch)");
                }
                Some(None)
            }
            Some(value) => {
                if action.is_some_and(|action| action != "edit") {
                    self.c.error(&changes_path, codes::NOT_APPLICABLE, "'changes' applies only to the edit action");
                }
                self.c.object(&changes_path, value).map(|_| Some(value.clone()))
            }
        };
        let reason_path = key_path(path, "reason");
        let reason = match Checker::optional(map, "reason") {
            None => Some(None),
            Some(value) => {
                if action.is_some_and(|action| action != "reject") {
                    self.c.error(&reason_path, codes::NOT_APPLICABLE, "'reason' applies only to the reject action");
                }
                self.c.string(&reason_path, value).map(|reason| Some(reason.to_string()))
            }
        };
        let action = match action? {
            "pause" => CampaignAction::Pause,
            "resume" => CampaignAction::Resume,
            "archive" => CampaignAction::Archive,
            "edit" => CampaignAction::Edit,
            "submit" => CampaignAction::Submit,
            "approve" => CampaignAction::Approve,
            _ => CampaignAction::Reject,
        };
        Some(EventKind::CampaignAction(CampaignActionEvent {
            campaign: campaign?.to_string(),
            action,
            by: by?,
            changes: changes?,
            reason: reason?,
        }))
    }

    fn outages(&mut self, value: &Value) -> Option<Vec<Outage>> {
        let items = self.c.array("sweep_outages", value)?;
        let mut outages = Some(Vec::with_capacity(items.len()));
        for (index, item) in items.iter().enumerate() {
            let path = index_path("sweep_outages", index);
            let outage = self.c.object(&path, item).and_then(|map| {
                self.c.only_fields(&path, map, &["from", "to"]);
                let from =
                    self.c.required(&path, map, "from").and_then(|v| self.c.instant(&key_path(&path, "from"), v));
                let to = self.c.required(&path, map, "to").and_then(|v| self.c.instant(&key_path(&path, "to"), v));
                let (from, to) = (from?, to?);
                if from >= to {
                    self.c.error(
                        &key_path(&path, "to"),
                        codes::INVALID_ORDER,
                        format!("the outage must end after it starts ({from})"),
                    );
                }
                Some(Outage { from, to })
            });
            match (&mut outages, outage) {
                (Some(list), Some(outage)) => list.push(outage),
                _ => outages = None,
            }
        }
        outages
    }
}
