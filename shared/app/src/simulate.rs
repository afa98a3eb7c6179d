//! `relais simulate` (SPEC 7, Appendix A): replay a scenario against the embedded engine on a
//! virtual clock and report every message sent and every message's final state.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use relais_domain::intake::sign;
use relais_domain::scenario::{CampaignAction, EventKind, ProviderStatus, Scenario, ScenarioEvent};
use relais_domain::validate::{FieldError, parse_scenario};
use relais_domain::{Channel, Message, MessageState, WhatsAppContent};
use serde_json::{Value, json};

use crate::App;
use crate::campaigns::{self, Actor, ServiceError};
use crate::embedded::VirtualClock;
use crate::engine::{self, EngineError, StatusUpdate};
use crate::intake::handle_pms_webhook;
use crate::local::{LocalParts, LocalRuntime};
use crate::ports::{GuestChoseFlow, InboundRequest};
use crate::taps::{self, TapOutcome};

#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// The scenario is invalid (exit 2), errors name the field.
    #[error("invalid scenario")]
    Invalid(Vec<FieldError>),
    #[error("engine failure: {0}")]
    Engine(#[from] EngineError),
}

/// The simulation's output: JSON lines (Appendix A.4) and diagnostics about events the
/// product refused (e.g. a webhook answered 400), which go to stderr.
#[derive(Debug, Default)]
pub struct SimulationOutput {
    pub lines: Vec<Value>,
    pub diagnostics: Vec<Value>,
}

/// What a run prints beyond Appendix A.4's lines.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimulateOptions {
    /// `--stats`: a last line `{"kind": "stats", ...}` with `GET /stats`'s numbers for the
    /// scenario's period (docs/statistics.md).
    pub stats: bool,
}

pub async fn simulate(doc: &Value, options: &SimulateOptions) -> Result<SimulationOutput, SimulationError> {
    let (scenario, _specs) = parse_scenario(doc).map_err(SimulationError::Invalid)?;
    let clock = Arc::new(VirtualClock::new(scenario.start));
    let runtime = LocalRuntime::new(LocalParts {
        whatsapp_rejects: scenario.providers.whatsapp_rejects.clone(),
        sms_rejects: scenario.providers.sms_rejects.clone(),
        ..LocalParts::in_memory(clock.clone())
    });
    let mut output = SimulationOutput::default();
    let mut bodies = setup(&runtime.app, &scenario, &mut output).await?;
    runtime.drain().await?;

    for point in timeline(&scenario) {
        clock.set(point.at());
        match point {
            Point::Event(index, event) => {
                if let Err(diagnostic) = apply_event(&runtime.app, &scenario, &mut bodies, event).await {
                    output.diagnostics.push(json!({"at": event.at, "event": index, "error": diagnostic}));
                }
            }
            Point::Sweep(_) => {
                engine::run_sweep(&runtime.app).await?;
            }
        }
        runtime.drain().await?;
    }

    let messages = runtime.store.all_messages();
    let mut lines = sent_lines(&runtime, &messages);
    lines.extend(flow_lines(&runtime.bus.flow_choices(), &messages));
    output.lines.extend(in_time_order(lines));
    output.lines.extend(final_lines(messages));
    if options.stats {
        output.lines.push(stats_line(&runtime.app, &scenario).await?);
    }
    Ok(output)
}

/// `relais simulate --stats`: every campaign's messages counted by property-local due date over
/// the scenario's period, as `GET /stats` counts them.
pub async fn stats_line(app: &App, scenario: &Scenario) -> Result<Value, SimulationError> {
    let stats = crate::stats::account_stats(app, &scenario.account.id, scenario.start, scenario.end).await.map_err(
        |e| match e {
            ServiceError::Engine(e) => SimulationError::Engine(e),
            other => SimulationError::Engine(EngineError::Transport(other.to_string())),
        },
    )?;
    let mut line = serde_json::Map::new();
    line.insert("kind".into(), json!("stats"));
    if let Ok(Value::Object(fields)) = serde_json::to_value(&stats) {
        line.extend(fields);
    }
    Ok(Value::Object(line))
}

/// Load the account, users, properties, chatbots and campaigns (created, submitted and, with
/// `approve`, approved by an approver of the account). Returns each campaign's current body.
pub async fn setup(
    app: &App,
    scenario: &Scenario,
    output: &mut SimulationOutput,
) -> Result<BTreeMap<String, Value>, SimulationError> {
    let account_id = scenario.account.id.clone();
    let store = &app.store;
    let io = |e: crate::ports::StoreError| SimulationError::Engine(EngineError::Store(e));
    store.put_account(&scenario.account).await.map_err(io)?;
    for user in &scenario.users {
        let mut user = user.clone();
        user.account_id = Some(account_id.clone());
        store.put_user(&user).await.map_err(io)?;
    }
    for property in &scenario.properties {
        let mut property = property.clone();
        property.account_id = Some(account_id.clone());
        store.put_property(&property).await.map_err(io)?;
    }
    for chatbot in &scenario.chatbots {
        let mut chatbot = chatbot.clone();
        chatbot.account_id = Some(account_id.clone());
        store.put_chatbot(&chatbot).await.map_err(io)?;
    }
    let mut bodies = BTreeMap::new();
    for (index, campaign) in scenario.campaigns.iter().enumerate() {
        let field = |suffix: &str| format!("campaigns[{index}]{suffix}");
        let result = async {
            let creator = Actor::load(app, &campaign.created_by).await?;
            campaigns::create(app, &creator, &campaign.body, Some(campaign.id.clone())).await?;
            campaigns::submit(app, &creator, &campaign.id, None).await?;
            if campaign.approve {
                let approver = approver_of(app, scenario).await?;
                campaigns::approve(app, &approver, &campaign.id, None).await?;
            }
            Ok::<(), ServiceError>(())
        }
        .await;
        match result {
            Ok(()) => {}
            Err(ServiceError::Invalid(errors)) => {
                return Err(SimulationError::Invalid(
                    errors.into_iter().map(|e| FieldError { field: field(&format!(".{}", e.field)), ..e }).collect(),
                ));
            }
            Err(ServiceError::Engine(e)) => return Err(SimulationError::Engine(e)),
            Err(other) => {
                return Err(SimulationError::Invalid(vec![FieldError {
                    field: field(""),
                    code: "refused".into(),
                    message: other.to_string(),
                }]));
            }
        }
        bodies.insert(campaign.id.clone(), campaign.body.clone());
    }
    output.diagnostics.extend(std::iter::empty());
    Ok(bodies)
}

async fn approver_of(app: &App, scenario: &Scenario) -> Result<Actor, ServiceError> {
    let approver = scenario
        .users
        .iter()
        .filter(|u| u.role.can_approve())
        .min_by_key(|u| u.role)
        .ok_or_else(|| ServiceError::Forbidden("the scenario has no approver to approve campaigns".into()))?;
    Actor::load(app, &approver.id).await
}

/// One step of a scenario run (public so that other backends, e.g. AWS, replay the same steps).
pub enum Point<'a> {
    Event(usize, &'a ScenarioEvent),
    Sweep(DateTime<Utc>),
}

impl Point<'_> {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Point::Event(_, e) => e.at,
            Point::Sweep(at) => *at,
        }
    }
}

/// Events at their instants and sweeps at `start + k * sweep_every_minutes` outside outages;
/// at the same instant, events come first (a message due at an event goes at that event).
pub fn timeline(scenario: &Scenario) -> Vec<Point<'_>> {
    let mut points: Vec<Point> = scenario.events.iter().enumerate().map(|(i, e)| Point::Event(i, e)).collect();
    let step = Duration::minutes(i64::from(scenario.sweep_every_minutes.max(1)));
    let mut at = scenario.start;
    while at <= scenario.end {
        let in_outage = scenario.sweep_outages.iter().any(|o| o.from <= at && at < o.to);
        if !in_outage {
            points.push(Point::Sweep(at));
        }
        at += step;
    }
    // Stable: events keep their file order; events sort before sweeps at the same instant.
    points.sort_by_key(|p| (p.at(), matches!(p, Point::Sweep(_))));
    points
}

pub async fn apply_event(
    app: &App,
    scenario: &Scenario,
    bodies: &mut BTreeMap<String, Value>,
    event: &ScenarioEvent,
) -> Result<(), Value> {
    let now = event.at;
    match &event.kind {
        EventKind::PmsWebhook(webhook) => {
            let body = serde_json::to_vec(&webhook.body).map_err(|e| json!(e.to_string()))?;
            let secret = scenario.webhook_secret(&webhook.property_id);
            let mut request = InboundRequest { body, ..InboundRequest::default() };
            let timestamp = now.timestamp();
            request.headers.insert("x-relais-timestamp".into(), timestamp.to_string());
            request.headers.insert("x-relais-signature".into(), sign(&secret, timestamp, &request.body));
            request.query.insert("token".into(), secret);
            let reply = handle_pms_webhook(app, &webhook.pms, &webhook.property_id, &request).await;
            if reply.status != 200 {
                return Err(json!({"status": reply.status, "body": reply.body}));
            }
        }
        EventKind::ProviderStatus(status) => {
            let messages = all_of_reservation(app, scenario, &status.reservation_id).await;
            let attempt = messages
                .iter()
                .filter(|m| m.campaign_id == status.campaign)
                .flat_map(|m| m.attempts.iter())
                .filter(|a| a.channel == status.channel && a.provider_message_id.is_some())
                .max_by_key(|a| a.at);
            let Some(provider_message_id) = attempt.and_then(|a| a.provider_message_id.clone()) else {
                return Err(json!("no message of this campaign was sent to this reservation on this channel"));
            };
            let update = StatusUpdate {
                provider_message_id,
                status: match status.status {
                    ProviderStatus::Sent => MessageState::Sent,
                    ProviderStatus::Delivered => MessageState::Delivered,
                    ProviderStatus::Read => MessageState::Read,
                    ProviderStatus::Failed => MessageState::Failed,
                },
                error_code: status.error_code.clone(),
                opted_out: false,
                send_key: None,
            };
            engine::apply_status(app, &update).await.map_err(|e| json!(e.to_string()))?;
        }
        EventKind::GuestReply(reply) => {
            let senders: Vec<&str> = match &reply.to {
                Some(to) => vec![to.as_str()],
                None => scenario.chatbots.iter().filter_map(|c| c.sender(reply.channel)).collect(),
            };
            for to in senders {
                engine::apply_guest_reply(app, reply.channel, Some(to), &reply.from, &reply.body)
                    .await
                    .map_err(|e| json!(e.to_string()))?;
            }
        }
        EventKind::GuestTap(tap) => {
            let messages = all_of_reservation(app, scenario, &tap.reservation_id).await;
            let Some(message) = messages
                .iter()
                .filter(|m| m.campaign_id == tap.campaign)
                .filter(|m| {
                    m.attempts.iter().any(|a| a.channel == Channel::Whatsapp && a.provider_message_id.is_some())
                })
                .max_by_key(|m| m.attempts.iter().map(|a| a.at).max())
            else {
                return Err(json!("no WhatsApp message of this campaign was sent to this reservation"));
            };
            let payload = tap_payload(app, message, &tap.button).await.map_err(|e| json!(e.to_string()))?;
            match taps::apply_button_tap(app, &payload).await.map_err(|e| json!(e.to_string()))? {
                TapOutcome::Ignored(reason) => return Err(json!(format!("tap ignored: {reason}"))),
                TapOutcome::AlreadyHandled | TapOutcome::FaqAnswered { .. } | TapOutcome::FlowChosen { .. } => {}
            }
        }
        EventKind::CustomFields(change) => {
            let actor = Actor::load(app, &change.by).await.map_err(|e| json!(e.to_string()))?;
            crate::reservations::set_custom_fields(app, &actor, &change.reservation_id, None, &change.fields)
                .await
                .map_err(|e| match e {
                    ServiceError::Invalid(errors) => json!(errors),
                    other => json!(other.to_string()),
                })?;
        }
        EventKind::CampaignAction(action) => {
            let default_actor = match action.action {
                CampaignAction::Approve | CampaignAction::Reject => None,
                _ => scenario.campaigns.iter().find(|c| c.id == action.campaign).map(|c| c.created_by.clone()),
            };
            let actor = match action.by.clone().or(default_actor) {
                Some(user) => Actor::load(app, &user).await,
                None => approver_of(app, scenario).await,
            }
            .map_err(|e| json!(e.to_string()))?;
            let id = action.campaign.as_str();
            let result = match action.action {
                CampaignAction::Pause => campaigns::pause(app, &actor, id, None).await,
                CampaignAction::Resume => campaigns::resume(app, &actor, id, None).await,
                CampaignAction::Archive => campaigns::archive(app, &actor, id, None).await,
                CampaignAction::Submit => campaigns::submit(app, &actor, id, None).await,
                CampaignAction::Approve => campaigns::approve(app, &actor, id, None).await,
                CampaignAction::Reject => {
                    campaigns::reject(app, &actor, id, action.reason.as_deref().unwrap_or(""), None).await
                }
                CampaignAction::Edit => {
                    let mut body = bodies.get(id).cloned().unwrap_or(Value::Null);
                    merge_patch(&mut body, action.changes.as_ref().unwrap_or(&Value::Null));
                    let result = campaigns::update(app, &actor, id, &body, None).await;
                    if result.is_ok() {
                        bodies.insert(id.to_string(), body);
                    }
                    result
                }
            };
            result.map_err(|e| match e {
                ServiceError::Invalid(errors) => json!(errors),
                other => json!(other.to_string()),
            })?;
        }
    }
    Ok(())
}

/// The payload Meta would hand back for the button titled `title` of `message`, in the
/// language it was sent in. A title the message has no button for gets the payload of a button
/// past its last, which the engine ignores as any unknown button.
async fn tap_payload(app: &App, message: &Message, title: &str) -> Result<String, EngineError> {
    let campaign = app.store.get_campaign(&message.campaign_id).await?;
    let language = message.language.as_deref().unwrap_or("en");
    let buttons = match campaign.as_ref().and_then(|c| c.spec.messages.get(language)).and_then(|c| c.whatsapp.as_ref())
    {
        Some(WhatsAppContent::QuickReply { buttons, .. }) => buttons.as_slice(),
        _ => &[],
    };
    Ok(match buttons.iter().enumerate().find(|(_, b)| b.title == title) {
        Some((index, button)) => crate::engine::payload_of(&message.id, index, button),
        None => relais_domain::whatsapp::button_position_payload(&message.id, buttons.len()),
    })
}

async fn all_of_reservation(app: &App, scenario: &Scenario, reservation_id: &str) -> Vec<Message> {
    let mut messages = Vec::new();
    for property in &scenario.properties {
        if let Ok(found) = app.store.messages_of_reservation(&property.id, reservation_id).await {
            messages.extend(found);
        }
    }
    messages
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// `sent` lines in time order; at the same instant, by campaign then reservation (then send
/// order), so that the output does not depend on processing order.
fn sent_lines(runtime: &LocalRuntime, messages: &[Message]) -> Vec<Value> {
    sent_lines_of(&runtime.outbox.records(), messages)
}

/// `sent` lines of outbox records (any backend's outbox), with the `reply` lines of FAQ
/// answers, in time order.
pub fn sent_lines_of(records: &[crate::embedded::OutboxRecord], messages: &[Message]) -> Vec<Value> {
    let by_id: BTreeMap<&str, &Message> = messages.iter().map(|m| (m.id.as_str(), m)).collect();
    let lines: Vec<Value> = records
        .iter()
        .filter_map(|record| {
            if let Some((faq_id, message_id)) = taps::parse_faq_answer_key(&record.request.key) {
                let message = by_id.get(message_id)?;
                return Some(json!({
                    "at": record.at,
                    "kind": "reply",
                    "campaign": message.campaign_id,
                    "reservation": message.reservation_id,
                    "channel": record.request.channel,
                    "faq": faq_id,
                    "language": record.request.language,
                    "body": record.request.body,
                }));
            }
            let message_id = record.request.key.rsplit_once(':').map(|(id, _)| id)?;
            let message = by_id.get(message_id)?;
            Some(json!({
                "at": record.at,
                "kind": "sent",
                "campaign": message.campaign_id,
                "reservation": message.reservation_id,
                "channel": record.request.channel,
                "language": record.request.language,
                "body": record.request.body,
            }))
        })
        .collect();
    in_time_order(lines)
}

/// `flow` lines of the `GuestChoseFlow` events published.
pub fn flow_lines(choices: &[GuestChoseFlow], messages: &[Message]) -> Vec<Value> {
    let known: BTreeSet<(&str, &str)> =
        messages.iter().map(|m| (m.campaign_id.as_str(), m.reservation_id.as_str())).collect();
    choices
        .iter()
        .filter(|c| known.contains(&(c.campaign_id.as_str(), c.reservation_id.as_str())))
        .map(|c| {
            json!({"at": c.at, "kind": "flow", "campaign": c.campaign_id, "reservation": c.reservation_id,
                   "flow": c.flow_id})
        })
        .collect()
}

/// Time order; at the same instant, by campaign then reservation (then the order given), so
/// that the output does not depend on processing order.
pub fn in_time_order(mut lines: Vec<Value>) -> Vec<Value> {
    let text = |line: &Value, k: &str| line[k].as_str().unwrap_or_default().to_string();
    lines.sort_by_key(|line| (text(line, "at"), text(line, "campaign"), text(line, "reservation")));
    lines
}

pub fn final_lines(mut messages: Vec<Message>) -> Vec<Value> {
    messages.sort_by(|a, b| {
        (a.campaign_id.as_str(), a.reservation_id.as_str(), a.due_at, a.id.as_str()).cmp(&(
            b.campaign_id.as_str(),
            b.reservation_id.as_str(),
            b.due_at,
            b.id.as_str(),
        ))
    });
    messages
        .iter()
        .map(|m| {
            let mut line = json!({
                "kind": "final",
                "campaign": m.campaign_id,
                "reservation": m.reservation_id,
                "state": m.state.as_str(),
            });
            if let Some(channel) = m.channel.filter(|_| !m.attempts.is_empty()) {
                line["channel"] = json!(channel);
            }
            // A message still scheduled has no outcome to explain; its timeline keeps why it
            // moved (`rescheduled:*`).
            if let Some(reason) = m.reason.as_ref().filter(|_| m.state != MessageState::Scheduled) {
                line["reason"] = json!(reason);
            }
            line
        })
        .collect()
}
