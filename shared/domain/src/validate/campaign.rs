//! The walk over a campaign body (`POST /campaigns`): SPEC 2.1 offers, 2.3 steps 1 to 5, conditions.

use std::str::FromStr;

use serde_json::{Map, Value};

use super::json::{Checker, index_path, key_path};
use super::{FieldError, ValidationContext, codes, serves};
use crate::catalogue;
use crate::formats::{is_e164, is_https_url, is_language_tag};
use crate::model::{ButtonLink, CampaignSpec, Channel, Chatbot, Property, Source};
use crate::template::{Template, TemplateError, VARIABLES};

const CAMPAIGN_FIELDS: &[&str] = &[
    "category",
    "name",
    "property_id",
    "chatbot_id",
    "period",
    "trigger",
    "target",
    "channel",
    "messages",
    "reservation_conditions",
    "message_conditions",
    "quiet_hours",
];
const QUIET_HOURS_POLICIES: &[&str] = &["respect", "ignore"];
const CATEGORIES: &[&str] = &["pre_stay", "arrival", "in_stay", "departure", "other"];
const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const STATUSES: &[&str] = &["confirmed", "checked_in", "checked_out", "canceled"];
const TARGET_FIELDS: &[&str] = &["status", "anchor", "send_offset_days", "statuses"];
const CHANNELS: &[&str] = &["whatsapp", "sms"];

const NAME_MAX_CHARS: usize = 40;
const BUTTON_TITLE_MAX_CHARS: usize = 20;
const WHATSAPP_TEXT_MAX_CHARS: usize = 1600;
const WHATSAPP_QUICK_REPLY_MAX_CHARS: usize = 1024;
const WHATSAPP_CALL_TO_ACTION_MAX_CHARS: usize = 640;
const SMS_MAX_CHARS: usize = 160;
const QUICK_REPLY_MAX_BUTTONS: usize = 3;
const CALL_TO_ACTION_MAX_BUTTONS: usize = 2;

/// Offsets are bounded to a year (the SPEC gives none) so that due-time arithmetic on dates can
/// never overflow, and a typo such as `-300` days is caught.
const MAX_OFFSET_DAYS: i64 = 366;
const MAX_OFFSET_MINUTES: i64 = MAX_OFFSET_DAYS * 24 * 60;
/// A gap longer than a year cannot be a gap between two stays; bounding it keeps the evaluator's
/// night-by-night walk small.
const MAX_GAP_NIGHTS: i64 = 366;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TriggerKind {
    Schedule,
    StatusChange,
    Relative,
}

impl TriggerKind {
    fn name(self) -> &'static str {
        match self {
            TriggerKind::Schedule => "schedule",
            TriggerKind::StatusChange => "status_change",
            TriggerKind::Relative => "relative",
        }
    }
    /// The target fields that apply to this trigger, and which of them are required.
    fn target_fields(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            TriggerKind::Schedule => {
                (&["status", "anchor", "send_offset_days"], &["status", "anchor", "send_offset_days"])
            }
            TriggerKind::StatusChange => (&["status"], &["status"]),
            TriggerKind::Relative => (&["statuses"], &[]),
        }
    }
}

pub(super) fn validate(body: &Value, ctx: Option<&ValidationContext>) -> Result<CampaignSpec, Vec<FieldError>> {
    let mut checker = Checker::default();
    CampaignWalk { c: &mut checker, ctx: ctx.copied(), property: None, chatbot: None }.walk(body);
    if !checker.is_clean() {
        return Err(checker.errors);
    }
    match serde_json::from_value::<CampaignSpec>(body.clone()) {
        Ok(mut spec) => {
            spec.name = spec.name.trim().to_string();
            Ok(spec)
        }
        Err(error) => Err(vec![FieldError {
            field: String::new(),
            code: codes::INVALID.to_string(),
            message: format!("the campaign does not fit the model: {error}"),
        }]),
    }
}

struct CampaignWalk<'c, 'a> {
    c: &'c mut Checker,
    ctx: Option<ValidationContext<'a>>,
    /// The chosen property when the user may see it (whether or not it is offered).
    property: Option<&'a Property>,
    /// The chosen chatbot when the user may see it (whether or not it is offered).
    chatbot: Option<&'a Chatbot>,
}

impl<'a> CampaignWalk<'_, 'a> {
    fn walk(&mut self, body: &Value) {
        let Some(map) = self.c.object("", body) else { return };
        self.c.only_fields("", map, CAMPAIGN_FIELDS);
        if let Some(value) = self.c.required("", map, "category") {
            self.c.one_of("category", value, CATEGORIES);
        }
        if let Some(value) = self.c.required("", map, "name") {
            self.name(value);
        }
        if let Some(value) = self.c.required("", map, "property_id") {
            self.property(value);
        }
        if let Some(value) = self.c.required("", map, "chatbot_id") {
            self.chatbot(value);
        }
        if let Some(value) = self.c.defaulted("", map, "period") {
            self.period(value);
        }
        let trigger = self.c.required("", map, "trigger").and_then(|v| self.trigger(v));
        if let Some(value) = self.c.required("", map, "target") {
            self.target(value, trigger);
        }
        let channels = self.c.required("", map, "channel").and_then(|v| self.channel(v));
        if let Some(value) = self.c.required("", map, "messages") {
            self.messages(value, channels.as_deref());
        }
        if let Some(value) = self.c.defaulted("", map, "reservation_conditions") {
            self.reservation_conditions(value);
        }
        if let Some(value) = self.c.defaulted("", map, "message_conditions") {
            self.message_conditions(value);
        }
        if let Some(value) = self.c.defaulted("", map, "quiet_hours") {
            self.c.one_of("quiet_hours", value, QUIET_HOURS_POLICIES);
        }
    }

    // ---- step 1: basics

    fn name(&mut self, value: &Value) {
        let Some(name) = self.c.string("name", value) else { return };
        let length = name.trim().chars().count();
        if length == 0 {
            self.c.error("name", codes::EMPTY, "name must not be empty");
        } else if length > NAME_MAX_CHARS {
            self.c.error(
                "name",
                codes::TOO_LONG,
                format!("name is {length} characters long; the limit is {NAME_MAX_CHARS}"),
            );
        }
    }

    fn property(&mut self, value: &Value) {
        let Some(id) = self.c.non_empty_string("property_id", value) else { return };
        let Some(ctx) = self.ctx else { return };
        let visible = ctx.properties.iter().find(|p| p.id == id && ctx.user.may_see_property(&p.id));
        match visible {
            None => self.c.error(
                "property_id",
                codes::NOT_OFFERED,
                format!("property '{id}' is not one of the properties you may create campaigns for"),
            ),
            Some(property) => {
                if catalogue::lookup(&property.pms).is_none() {
                    self.c.error("property_id", codes::SUPPORT_ONLY, catalogue::support_only_message(&property.pms));
                }
                self.property = Some(property);
            }
        }
    }

    fn chatbot(&mut self, value: &Value) {
        let Some(id) = self.c.non_empty_string("chatbot_id", value) else { return };
        let Some(ctx) = self.ctx else { return };
        let visible = ctx.chatbots.iter().find(|b| b.id == id && ctx.user.may_see_chatbot(&b.id));
        let Some(chatbot) = visible else {
            self.c.error(
                "chatbot_id",
                codes::NOT_OFFERED,
                format!("chatbot '{id}' is not one of the chatbots you may use"),
            );
            return;
        };
        if chatbot.whatsapp.is_none() && chatbot.sms.is_none() {
            self.c.error(
                "chatbot_id",
                codes::NOT_OFFERED,
                format!("chatbot '{id}' has neither WhatsApp nor SMS, so it cannot send campaigns"),
            );
        } else if let Some(property) = self.property
            && !serves(chatbot, &property.id)
        {
            // Judged only against a property the user may use, or the property's own error
            // would echo here.
            self.c.error(
                "chatbot_id",
                codes::NOT_OFFERED,
                format!("chatbot '{id}' does not serve property '{}'", property.id),
            );
        }
        self.chatbot = Some(chatbot);
    }

    // ---- step 2: period and trigger

    fn period(&mut self, value: &Value) {
        let Some(map) = self.c.object("period", value) else { return };
        self.c.only_fields("period", map, &["start", "end"]);
        let start = Checker::optional(map, "start").and_then(|v| self.c.date("period.start", v));
        let end = Checker::optional(map, "end").and_then(|v| self.c.date("period.end", v));
        if let (Some(start), Some(end)) = (start, end)
            && start > end
        {
            self.c.error(
                "period.end",
                codes::INVALID_ORDER,
                format!("period.end ({end}) is before period.start ({start})"),
            );
        }
    }

    fn trigger(&mut self, value: &Value) -> Option<TriggerKind> {
        let map = self.c.object("trigger", value)?;
        let kind = self
            .c
            .required("trigger", map, "type")
            .and_then(|v| self.c.one_of("trigger.type", v, &["schedule", "status_change", "relative"]))?;
        match kind {
            "schedule" => {
                self.c.only_fields("trigger", map, &["type", "days", "hours"]);
                if let Some(days) = self.c.required("trigger", map, "days") {
                    self.days(days);
                }
                if let Some(hours) = self.c.required("trigger", map, "hours") {
                    self.hours(hours);
                }
                Some(TriggerKind::Schedule)
            }
            "status_change" => {
                self.c.only_fields("trigger", map, &["type"]);
                if let Some(property) = self.property
                    && let Some(pms) = catalogue::lookup(&property.pms)
                    && !pms.delivers_events
                {
                    self.c.error(
                        "trigger.type",
                        codes::TRIGGER_NOT_SUPPORTED,
                        format!(
                            "{} (the PMS of property '{}') delivers no booking-activity events: \
                             use a schedule or relative trigger",
                            pms.name, property.id
                        ),
                    );
                }
                Some(TriggerKind::StatusChange)
            }
            _ => {
                self.c.only_fields("trigger", map, &["type", "anchor", "offset_days", "offset_minutes", "at"]);
                if let Some(anchor) = self.c.required("trigger", map, "anchor") {
                    self.c.one_of("trigger.anchor", anchor, &["confirmation", "check_in", "check_out"]);
                }
                if let Some(days) = self.c.defaulted("trigger", map, "offset_days") {
                    self.c.integer("trigger.offset_days", days, -MAX_OFFSET_DAYS, MAX_OFFSET_DAYS);
                }
                if let Some(minutes) = self.c.defaulted("trigger", map, "offset_minutes") {
                    self.c.integer("trigger.offset_minutes", minutes, -MAX_OFFSET_MINUTES, MAX_OFFSET_MINUTES);
                }
                if let Some(at) = Checker::optional(map, "at") {
                    self.c.local_time("trigger.at", at);
                }
                Some(TriggerKind::Relative)
            }
        }
    }

    fn days(&mut self, value: &Value) {
        let Some(items) = self.c.non_empty_array("trigger.days", value) else { return };
        let mut seen = Vec::new();
        for (index, item) in items.iter().enumerate() {
            if let Some(day) = self.c.one_of(&index_path("trigger.days", index), item, DAYS) {
                seen.push((index, day));
            }
        }
        self.c.unique("trigger.days", &seen);
    }

    fn hours(&mut self, value: &Value) {
        let Some(items) = self.c.non_empty_array("trigger.hours", value) else { return };
        let mut seen = Vec::new();
        for (index, item) in items.iter().enumerate() {
            if let Some(hour) = self.c.integer(&index_path("trigger.hours", index), item, 0, 23) {
                seen.push((index, hour));
            }
        }
        self.c.unique("trigger.hours", &seen);
    }

    // ---- step 3: target

    fn target(&mut self, value: &Value, trigger: Option<TriggerKind>) {
        let Some(map) = self.c.object("target", value) else { return };
        self.c.only_fields("target", map, TARGET_FIELDS);
        let (applicable, required) = match trigger {
            Some(kind) => kind.target_fields(),
            // Trigger unknown: check the types of what is there, require nothing.
            None => (TARGET_FIELDS, &[][..]),
        };
        for &field in TARGET_FIELDS {
            let path = key_path("target", field);
            let present = Checker::optional(map, field);
            if !applicable.contains(&field) {
                if present.is_some()
                    && let Some(kind) = trigger
                {
                    self.c.error(
                        &path,
                        codes::NOT_APPLICABLE,
                        format!(
                            "{path} does not apply to a {} trigger, whose target takes: {}",
                            kind.name(),
                            applicable.join(", ")
                        ),
                    );
                }
                continue;
            }
            let Some(value) = present else {
                if required.contains(&field) {
                    self.c.error(&path, codes::REQUIRED, format!("'{field}' is required by this trigger"));
                }
                continue;
            };
            match field {
                "status" => {
                    self.c.one_of(&path, value, STATUSES);
                }
                "anchor" => {
                    self.c.one_of(&path, value, &["check_in", "check_out"]);
                }
                "send_offset_days" => {
                    self.c.integer(&path, value, -MAX_OFFSET_DAYS, MAX_OFFSET_DAYS);
                }
                _ => self.statuses(&path, value),
            }
        }
    }

    fn statuses(&mut self, path: &str, value: &Value) {
        let Some(items) = self.c.non_empty_array(path, value) else { return };
        let mut seen = Vec::new();
        for (index, item) in items.iter().enumerate() {
            if let Some(status) = self.c.one_of(&index_path(path, index), item, STATUSES) {
                seen.push((index, status));
            }
        }
        self.c.unique(path, &seen);
    }

    // ---- step 4: channel

    /// The channels in use, when the channel choice could be read.
    fn channel(&mut self, value: &Value) -> Option<Vec<Channel>> {
        let map = self.c.object("channel", value)?;
        self.c.only_fields("channel", map, &["primary", "fallback"]);
        let primary = self
            .c
            .required("channel", map, "primary")
            .and_then(|v| self.c.one_of("channel.primary", v, CHANNELS))
            .map(parse_channel);
        let fallback = match Checker::optional(map, "fallback") {
            None => Ok(None),
            Some(v) => self.c.one_of("channel.fallback", v, CHANNELS).map(parse_channel).map(Some).ok_or(()),
        };
        if let (Some(primary), Ok(Some(fallback))) = (primary, fallback) {
            if primary == Channel::Sms {
                self.c.error(
                    "channel.fallback",
                    codes::INVALID_FALLBACK,
                    "a fallback exists only when the primary channel is whatsapp",
                );
            } else if fallback != Channel::Sms {
                self.c.error("channel.fallback", codes::INVALID_FALLBACK, "the fallback of whatsapp can only be sms");
            }
        }
        if let Some(chatbot) = self.chatbot {
            for (field, channel) in [("channel.primary", primary), ("channel.fallback", fallback.ok().flatten())] {
                if let Some(channel) = channel
                    && !chatbot.owns(channel)
                {
                    self.c.error(
                        field,
                        codes::CHANNEL_NOT_OWNED,
                        format!("chatbot '{}' has no {} channel", chatbot.id, channel.as_str()),
                    );
                }
            }
        }
        let mut in_use = vec![primary?];
        if let Some(fallback) = fallback.ok()?
            && !in_use.contains(&fallback)
        {
            in_use.push(fallback);
        }
        Some(in_use)
    }

    // ---- step 5: messages

    fn messages(&mut self, value: &Value, channels: Option<&[Channel]>) {
        let Some(map) = self.c.object("messages", value) else { return };
        if !map.contains_key("en") {
            self.c.error("messages.en", codes::REQUIRED, "English content ('en') is always required");
        }
        for (language, content) in map {
            let path = key_path("messages", language);
            self.language(&path, language);
            let Some(content) = self.c.object(&path, content) else { continue };
            self.c.only_fields(&path, content, CHANNELS);
            for channel in [Channel::Whatsapp, Channel::Sms] {
                let channel_path = key_path(&path, channel.as_str());
                let in_use = channels.map(|channels| channels.contains(&channel));
                match (Checker::optional(content, channel.as_str()), in_use) {
                    (Some(value), in_use) => {
                        if in_use == Some(false) {
                            self.c.error(
                                &channel_path,
                                codes::CONTENT_UNUSED,
                                format!(
                                    "the campaign does not send on {}: remove this content or choose the channel",
                                    channel.as_str()
                                ),
                            );
                        }
                        match channel {
                            Channel::Whatsapp => self.whatsapp(&channel_path, value),
                            Channel::Sms => self.sms(&channel_path, value),
                        }
                    }
                    (None, Some(true)) => self.c.error(
                        &channel_path,
                        codes::CONTENT_MISSING,
                        format!(
                            "language '{language}' has no {} content, and the campaign sends on it",
                            channel.as_str()
                        ),
                    ),
                    (None, _) => {}
                }
            }
        }
    }

    fn language(&mut self, path: &str, language: &str) {
        match self.chatbot {
            Some(chatbot) => {
                if !chatbot.speaks(language) {
                    let mut spoken = vec!["en"];
                    spoken.extend(chatbot.languages.iter().map(String::as_str).filter(|l| *l != "en"));
                    self.c.error(
                        path,
                        codes::LANGUAGE_NOT_OFFERED,
                        format!(
                            "chatbot '{}' does not speak '{language}'; its languages: {}",
                            chatbot.id,
                            spoken.join(", ")
                        ),
                    );
                }
            }
            None => {
                if !is_language_tag(language) {
                    self.c.error(
                        path,
                        codes::INVALID_VALUE,
                        format!("'{language}' is not a language tag such as 'en' or 'pt'"),
                    );
                }
            }
        }
    }

    fn whatsapp(&mut self, path: &str, value: &Value) {
        let Some(map) = self.c.object(path, value) else { return };
        let type_path = key_path(path, "type");
        let Some(kind) = self
            .c
            .required(path, map, "type")
            .and_then(|v| self.c.one_of(&type_path, v, &["text", "quick_reply", "call_to_action"]))
        else {
            return;
        };
        let (fields, limit): (&[&str], usize) = match kind {
            "text" => (&["type", "body"], WHATSAPP_TEXT_MAX_CHARS),
            "quick_reply" => (&["type", "body", "buttons"], WHATSAPP_QUICK_REPLY_MAX_CHARS),
            _ => (&["type", "body", "buttons"], WHATSAPP_CALL_TO_ACTION_MAX_CHARS),
        };
        self.c.only_fields(path, map, fields);
        if let Some(body) = self.c.required(path, map, "body") {
            let body_path = key_path(path, "body");
            self.body(&body_path, body, limit);
            self.whatsapp_parameters(&body_path, body);
        }
        if kind == "text" {
            return;
        }
        let buttons_path = key_path(path, "buttons");
        let Some(buttons) = self.c.required(path, map, "buttons").and_then(|v| self.c.array(&buttons_path, v)) else {
            return;
        };
        let max = if kind == "quick_reply" { QUICK_REPLY_MAX_BUTTONS } else { CALL_TO_ACTION_MAX_BUTTONS };
        if buttons.is_empty() {
            self.c.error(&buttons_path, codes::TOO_FEW, format!("a {kind} message needs 1 to {max} buttons"));
        } else if buttons.len() > max {
            self.c.error(
                &buttons_path,
                codes::TOO_MANY,
                format!("a {kind} message has at most {max} buttons, got {}", buttons.len()),
            );
        }
        let mut seen_phone = false;
        let mut seen_url = false;
        for (index, button) in buttons.iter().enumerate() {
            let button_path = index_path(&buttons_path, index);
            if kind == "quick_reply" {
                self.quick_reply_button(&button_path, button);
            } else {
                self.call_to_action_button(&button_path, button, &mut seen_phone, &mut seen_url);
            }
        }
    }

    /// WhatsApp sends variables as template parameters and Meta refuses an empty parameter, so
    /// a blank default would fail at send time: refuse it here instead.
    fn whatsapp_parameters(&mut self, path: &str, body: &Value) {
        let Some(Ok(template)) = body.as_str().map(Template::parse) else { return };
        if let Some(name) = template.blank_defaults().next() {
            self.c.error(
                path,
                codes::EMPTY,
                format!(
                    "{path}: the default of '{{{{{name}}}}}' is empty, and WhatsApp refuses empty template parameters; \
                     give it a default text or none (the message then waits for the value)"
                ),
            );
        }
    }

    fn sms(&mut self, path: &str, value: &Value) {
        let Some(map) = self.c.object(path, value) else { return };
        if let Some(kind) = self.c.required(path, map, "type") {
            self.c.one_of(&key_path(path, "type"), kind, &["text"]);
        }
        self.c.only_fields(path, map, &["type", "body"]);
        if let Some(body) = self.c.required(path, map, "body") {
            self.body(&key_path(path, "body"), body, SMS_MAX_CHARS);
        }
    }

    fn body(&mut self, path: &str, value: &Value, limit: usize) {
        let Some(body) = self.c.non_empty_string(path, value) else { return };
        let length = body.chars().count();
        if length > limit {
            self.c.error(path, codes::TOO_LONG, format!("{path} is {length} characters long; the limit is {limit}"));
        }
        check_template(self.c, path, body);
    }

    fn button_title(&mut self, path: &str, map: &Map<String, Value>) {
        let Some(value) = self.c.required(path, map, "title") else { return };
        let title_path = key_path(path, "title");
        let Some(title) = self.c.non_empty_string(&title_path, value) else { return };
        let length = title.chars().count();
        if length > BUTTON_TITLE_MAX_CHARS {
            self.c.error(
                &title_path,
                codes::TOO_LONG,
                format!("{title_path} is {length} characters long; the limit is {BUTTON_TITLE_MAX_CHARS}"),
            );
        }
    }

    fn quick_reply_button(&mut self, path: &str, value: &Value) {
        let Some(map) = self.c.object(path, value) else { return };
        self.c.only_fields(path, map, &["title", "flow_id", "faq_id"]);
        self.button_title(path, map);
        let mut links = 0;
        for field in ["flow_id", "faq_id"] {
            if let Some(link) = Checker::optional(map, field) {
                links += 1;
                let link_path = key_path(path, field);
                let Some(id) = self.c.non_empty_string(&link_path, link) else { continue };
                // Judged only against a chatbot the user may use, or the chatbot's own error
                // is the one to read.
                let Some(chatbot) = self.chatbot else { continue };
                let (link, what) =
                    if field == "faq_id" { (ButtonLink::Faq(id), "FAQ") } else { (ButtonLink::Flow(id), "flow") };
                if !chatbot.resolves(link) {
                    self.c.error(
                        &link_path,
                        codes::UNKNOWN_REFERENCE,
                        format!("chatbot '{}' has no {what} with the id '{id}'", chatbot.id),
                    );
                }
            }
        }
        if links != 1 {
            self.c.error(path, codes::EXACTLY_ONE, "a quick-reply button links exactly one of flow_id or faq_id");
        }
    }

    fn call_to_action_button(&mut self, path: &str, value: &Value, seen_phone: &mut bool, seen_url: &mut bool) {
        let Some(map) = self.c.object(path, value) else { return };
        let type_path = key_path(path, "type");
        let Some(kind) =
            self.c.required(path, map, "type").and_then(|v| self.c.one_of(&type_path, v, &["phone", "url"]))
        else {
            return;
        };
        self.c.only_fields(path, map, &["type", "title", kind]);
        self.button_title(path, map);
        let seen = if kind == "phone" { seen_phone } else { seen_url };
        if *seen {
            self.c.error(
                &type_path,
                codes::DUPLICATE,
                format!("a call_to_action message has at most one {kind} button"),
            );
        }
        *seen = true;
        let Some(value) = self.c.required(path, map, kind) else { return };
        let field_path = key_path(path, kind);
        let Some(text) = self.c.string(&field_path, value) else { return };
        if kind == "phone" {
            if !is_e164(text) {
                self.c.error(
                    &field_path,
                    codes::INVALID_PHONE,
                    format!("'{text}' is not an E.164 phone number such as +351210000000"),
                );
            }
        } else if !is_https_url(text) {
            self.c.error(
                &field_path,
                codes::INVALID_URL,
                format!("'{text}' is not an https URL with a host, such as https://example.com/map"),
            );
        }
    }

    // ---- conditions

    fn reservation_conditions(&mut self, value: &Value) {
        let Some(items) = self.c.array("reservation_conditions", value) else { return };
        for (index, item) in items.iter().enumerate() {
            let path = index_path("reservation_conditions", index);
            let Some(map) = self.c.object(&path, item) else { continue };
            self.c.only_fields(&path, map, &["type", "op", "value"]);
            let kind = self
                .c
                .required(&path, map, "type")
                .and_then(|v| self.c.one_of(&key_path(&path, "type"), v, &["source", "unit"]));
            if let Some(op) = self.c.required(&path, map, "op") {
                self.c.one_of(&key_path(&path, "op"), op, &["in", "not_in"]);
            }
            let value_path = key_path(&path, "value");
            let Some(values) =
                self.c.required(&path, map, "value").and_then(|v| self.c.non_empty_array(&value_path, v))
            else {
                continue;
            };
            for (position, value) in values.iter().enumerate() {
                let item_path = index_path(&value_path, position);
                match kind {
                    Some("source") => {
                        self.c.one_of(&item_path, value, &Source::ALL.map(Source::as_str));
                    }
                    Some(_) => self.unit(&item_path, value),
                    None => {}
                }
            }
        }
    }

    fn unit(&mut self, path: &str, value: &Value) {
        let Some(unit) = self.c.non_empty_string(path, value) else { return };
        if let Some(property) = self.property
            && !property.units.iter().any(|u| u.id == unit)
        {
            self.c.error(path, codes::UNKNOWN_REFERENCE, format!("property '{}' has no unit '{unit}'", property.id));
        }
    }

    fn message_conditions(&mut self, value: &Value) {
        let Some(items) = self.c.array("message_conditions", value) else { return };
        for (index, item) in items.iter().enumerate() {
            let path = index_path("message_conditions", index);
            let Some(map) = self.c.object(&path, item) else { continue };
            if let Some(kind) = self
                .c
                .required(&path, map, "type")
                .and_then(|v| self.c.one_of(&key_path(&path, "type"), v, MESSAGE_CONDITION_TYPES))
            {
                self.message_condition(&path, map, kind);
            }
        }
    }

    fn message_condition(&mut self, path: &str, map: &Map<String, Value>, kind: &str) {
        let field = |name: &str| key_path(path, name);
        match kind {
            "guests_count" => {
                self.c.only_fields(path, map, &["type", "op", "value"]);
                self.op(path, map, &["is", "is_not", "more_than", "less_than"]);
                if let Some(v) = self.c.required(path, map, "value") {
                    self.c.integer(&field("value"), v, 0, i64::from(u32::MAX));
                }
            }
            "guest_app_form_submitted" => {
                self.c.only_fields(path, map, &["type", "app_id", "value"]);
                if let Some(v) = self.c.required(path, map, "app_id") {
                    self.c.non_empty_string(&field("app_id"), v);
                }
                self.bool_value(path, map);
            }
            "planned_arrival" | "planned_departure" => {
                self.c.only_fields(path, map, &["type", "op", "value"]);
                self.op(path, map, &["before", "after"]);
                if let Some(v) = self.c.required(path, map, "value") {
                    self.c.local_time(&field("value"), v);
                }
            }
            "preferred_language" => {
                self.c.only_fields(path, map, &["type", "op", "value"]);
                self.op(path, map, &["is", "is_not"]);
                let value_path = field("value");
                if let Some(items) =
                    self.c.required(path, map, "value").and_then(|v| self.c.non_empty_array(&value_path, v))
                {
                    for (index, item) in items.iter().enumerate() {
                        let item_path = index_path(&value_path, index);
                        if let Some(tag) = self.c.non_empty_string(&item_path, item)
                            && !is_language_tag(tag)
                        {
                            self.c.error(
                                &item_path,
                                codes::INVALID_VALUE,
                                format!("'{tag}' is not a language tag such as 'fr' or 'pt-BR'"),
                            );
                        }
                    }
                }
            }
            "hometown" => {
                self.c.only_fields(path, map, &["type", "op", "value"]);
                self.op(path, map, &["is", "is_not", "contains"]);
                if let Some(v) = self.c.required(path, map, "value") {
                    self.c.non_empty_string(&field("value"), v);
                }
            }
            "total_payout" => {
                self.c.only_fields(path, map, &["type", "op", "value"]);
                self.op(path, map, &["more_than", "less_than", "is"]);
                let value_path = field("value");
                if let Some(amount) = self.c.required(path, map, "value").and_then(|v| self.c.string(&value_path, v))
                    && !is_decimal(amount)
                {
                    self.c.error(
                        &value_path,
                        codes::INVALID_FORMAT,
                        format!(
                            "{value_path} must be a decimal written as a string, such as \"500.00\"; got '{amount}'"
                        ),
                    );
                }
            }
            "review_submitted" => {
                self.c.only_fields(path, map, &["type", "value", "min_ratings"]);
                let submitted = self.bool_value(path, map);
                if let Some(ratings) = Checker::optional(map, "min_ratings") {
                    self.min_ratings(&field("min_ratings"), ratings, submitted);
                }
            }
            "authorization_hold" | "security_deposit" => {
                self.c.only_fields(path, map, &["type", "value"]);
                if let Some(v) = self.c.required(path, map, "value") {
                    self.c.one_of(&field("value"), v, &["succeeded", "failed"]);
                }
            }
            "payment" => {
                self.c.only_fields(path, map, &["type", "value"]);
                if let Some(v) = self.c.required(path, map, "value") {
                    self.c.one_of(&field("value"), v, &["succeeded", "failed", "pending_authentication"]);
                }
            }
            "available_nights" => {
                self.c.only_fields(path, map, &["type", "side", "days", "max_gap_nights", "value"]);
                if let Some(v) = self.c.required(path, map, "side") {
                    self.c.one_of(&field("side"), v, &["before", "after", "before_or_after"]);
                }
                if let Some(v) = self.c.required(path, map, "days") {
                    self.c.one_of(&field("days"), v, &["any", "weekdays", "weekends"]);
                }
                if let Some(v) = self.c.required(path, map, "max_gap_nights") {
                    self.c.integer(&field("max_gap_nights"), v, 1, MAX_GAP_NIGHTS);
                }
                if let Some(v) = self.c.defaulted(path, map, "value") {
                    self.c.boolean(&field("value"), v);
                }
            }
            "custom_field" => {
                self.c.only_fields(path, map, &["type", "key", "value"]);
                if let Some(v) = self.c.required(path, map, "key") {
                    self.c.non_empty_string(&field("key"), v);
                }
                self.bool_value(path, map);
            }
            // fully_paid, check_in_form_submitted, contract_signed, eta_provided, etd_provided,
            // returning_guest, auto_review_enabled: a yes/no and nothing else.
            _ => {
                self.c.only_fields(path, map, &["type", "value"]);
                self.bool_value(path, map);
            }
        }
    }

    fn op(&mut self, path: &str, map: &Map<String, Value>, allowed: &[&str]) {
        if let Some(op) = self.c.required(path, map, "op") {
            self.c.one_of(&key_path(path, "op"), op, allowed);
        }
    }

    fn bool_value(&mut self, path: &str, map: &Map<String, Value>) -> Option<bool> {
        let value = self.c.required(path, map, "value")?;
        self.c.boolean(&key_path(path, "value"), value)
    }

    fn min_ratings(&mut self, path: &str, value: &Value, submitted: Option<bool>) {
        let Some(map) = self.c.object(path, value) else { return };
        if submitted == Some(false) {
            self.c.error(path, codes::NOT_APPLICABLE, "min_ratings applies only to review_submitted with value true");
        }
        for (category, rating) in map {
            let rating_path = key_path(path, category);
            if category.trim().is_empty() {
                self.c.error(&rating_path, codes::EMPTY, "a rating category must be named");
            }
            self.c.integer(&rating_path, rating, 1, 5);
        }
    }
}

/// Unknown variables and malformed placeholders are refused at save time, with the same parser
/// that renders at send time.
fn check_template(c: &mut Checker, path: &str, body: &str) {
    match Template::parse(body) {
        Ok(_) => {}
        Err(TemplateError::UnknownVariable(name)) => c.error(
            path,
            codes::UNKNOWN_VARIABLE,
            format!("unknown variable '{{{{{name}}}}}' in {path}; known variables: {}", VARIABLES.join(", ")),
        ),
        Err(error @ TemplateError::Malformed { .. }) => {
            c.error(path, codes::MALFORMED_TEMPLATE, format!("{path}: {error}"))
        }
    }
}

/// Every message condition `type` of SPEC 2.3 (the wizard lists them too).
pub const MESSAGE_CONDITION_TYPES: &[&str] = &[
    "guests_count",
    "fully_paid",
    "check_in_form_submitted",
    "guest_app_form_submitted",
    "contract_signed",
    "planned_arrival",
    "eta_provided",
    "planned_departure",
    "etd_provided",
    "preferred_language",
    "hometown",
    "returning_guest",
    "total_payout",
    "auto_review_enabled",
    "review_submitted",
    "authorization_hold",
    "security_deposit",
    "payment",
    "available_nights",
    "custom_field",
];

fn parse_channel(name: &str) -> Channel {
    if name == "sms" { Channel::Sms } else { Channel::Whatsapp }
}

/// A decimal amount written `123`, `-4.5`, `500.00` that fits the model's decimal type.
fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits) && rust_decimal::Decimal::from_str(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_follow_the_model() {
        let statuses: Vec<&str> = crate::model::ReservationStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(statuses, STATUSES);
        let sources: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(sources, ["airbnb", "booking_com", "vrbo", "expedia", "direct", "other"]);
    }

    #[test]
    fn decimals() {
        assert!(is_decimal("500.00"));
        assert!(is_decimal("-4.5"));
        assert!(is_decimal("0"));
        assert!(!is_decimal("1e3"));
        assert!(!is_decimal(".5"));
        assert!(!is_decimal("5."));
        assert!(!is_decimal("1_000"));
        assert!(!is_decimal(""));
        assert!(!is_decimal("99999999999999999999999999999999"));
    }
}
