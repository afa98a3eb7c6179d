//! `POST /preview` (docs/statistics.md, "Previewing a campaign set"): stored campaigns and
//! drafts run together over a range of dates against the stored reservations of their
//! properties, through the planner and the dispatcher's send-time decision on a virtual clock.
//! Nothing is stored or sent. The answer lists each message with its fate, the sends per day
//! and campaign, and the guests who would get more than `max_per_guest_per_day` messages on
//! one property-local day (message fatigue).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use relais_domain::conditions::ConditionContext;
use relais_domain::planner::{self, DueContext, PlanAction, ReservationView};
use relais_domain::stats::{self, Counts};
use relais_domain::time::local_date;
use relais_domain::validate::{FieldError, PreviewRequest, codes};
use relais_domain::{Campaign, CampaignStatus, Channel, Chatbot, Message, MessageCondition, MessageState, Property};
use serde::Serialize;

use crate::App;
use crate::campaigns::{Actor, ServiceError, ServiceResult, get_visible, unsaved_draft};
use crate::engine;
use crate::ports::ReservationRecord;

/// At most this many messages are listed (the counts, per-day figures and fatigue cover all).
pub const MAX_LISTED: usize = 5_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeasonPreview {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub max_per_guest_per_day: u32,
    pub campaigns: Vec<PreviewedCampaign>,
    /// In time order; the first [`MAX_LISTED`].
    pub messages: Vec<PreviewMessage>,
    pub messages_total: usize,
    pub truncated: bool,
    /// Messages that would go out, per property-local date and campaign.
    pub per_day: Vec<DayCount>,
    pub fatigue: Vec<Fatigue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreviewedCampaign {
    pub campaign: String,
    pub name: String,
    pub property_id: String,
    /// A draft of the request (`draft-0`, `draft-1`, ... by position), not a stored campaign.
    pub draft: bool,
    /// Where each of its messages would be at the end of the range, as `GET /stats` counts.
    pub totals: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviewMessage {
    pub campaign: String,
    pub property_id: String,
    pub reservation_id: String,
    /// When it goes out (after any hold for quiet hours), or when it was due.
    pub due_at: DateTime<Utc>,
    pub state: MessageState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Why it was held before its fate (e.g. `conditions_not_met:check_in_form_submitted` for
    /// a message that then expired).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayCount {
    pub date: NaiveDate,
    pub campaign: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fatigue {
    pub property_id: String,
    pub reservation_id: String,
    pub date: NaiveDate,
    pub count: u64,
    pub campaigns: Vec<String>,
}

/// A campaign of the set, as if active from the start of the range unless it already was.
struct Member {
    campaign: Campaign,
    draft: bool,
}

/// Load the set: stored campaigns the actor may see, and drafts validated as `POST /campaigns`
/// (errors named `campaign_ids[i]` and `drafts[i].field`).
async fn members(app: &App, actor: &Actor, request: &PreviewRequest) -> ServiceResult<Vec<Member>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut members = Vec::new();
    for (i, id) in request.campaign_ids.iter().enumerate() {
        match get_visible(app, actor, id).await {
            Ok(campaign) if campaign.status == CampaignStatus::Archived => errors.push(FieldError {
                field: format!("campaign_ids[{i}]"),
                code: codes::INVALID_VALUE.into(),
                message: format!("campaign {id} is archived: it sends nothing"),
            }),
            Ok(campaign) => members.push(Member { campaign, draft: false }),
            Err(ServiceError::NotFound(_)) => errors.push(FieldError {
                field: format!("campaign_ids[{i}]"),
                code: codes::INVALID_VALUE.into(),
                message: format!("no campaign {id} that you may see"),
            }),
            Err(other) => return Err(other),
        }
    }
    for (i, body) in request.drafts.iter().enumerate() {
        match unsaved_draft(app, actor, body, Some(format!("draft-{i}"))).await {
            Ok(campaign) => members.push(Member { campaign, draft: true }),
            Err(ServiceError::Invalid(found)) => errors.extend(found.into_iter().map(|e| FieldError {
                field: if e.field.is_empty() { format!("drafts[{i}]") } else { format!("drafts[{i}].{}", e.field) },
                ..e
            })),
            Err(other) => return Err(other),
        }
    }
    if errors.is_empty() { Ok(members) } else { Err(ServiceError::Invalid(errors)) }
}

/// Run the set (editor and up). Reads only.
pub async fn preview_set(app: &App, actor: &Actor, request: &PreviewRequest) -> ServiceResult<SeasonPreview> {
    if !actor.user.role.can_edit() {
        return Err(ServiceError::Forbidden("your role may not preview campaigns (editor or above)".into()));
    }
    stats::check_range(request.from, request.to).map_err(|e| ServiceError::Invalid(vec![e]))?;
    let members = members(app, actor, request).await?;
    let mut by_property: BTreeMap<String, Vec<&Member>> = BTreeMap::new();
    for member in &members {
        by_property.entry(member.campaign.spec.property_id.clone()).or_default().push(member);
    }
    let mut outcomes: Vec<PreviewMessage> = Vec::new();
    let mut zones: HashMap<String, Tz> = HashMap::new();
    for (property_id, members) in by_property {
        let Some(property) = app.store.get_property(&property_id).await? else { continue };
        outcomes.extend(run_property(app, &property, &members, request.from, request.to).await?);
        zones.insert(property_id, property.time_zone);
    }
    outcomes.sort_by(|a, b| {
        (a.due_at, &a.campaign, &a.property_id, &a.reservation_id).cmp(&(
            b.due_at,
            &b.campaign,
            &b.property_id,
            &b.reservation_id,
        ))
    });
    Ok(summarise(&members, &zones, outcomes, request))
}

/// Campaign totals, sends per day, fatigue, and the listed messages.
fn summarise(
    members: &[Member],
    zones: &HashMap<String, Tz>,
    outcomes: Vec<PreviewMessage>,
    request: &PreviewRequest,
) -> SeasonPreview {
    let mut totals: BTreeMap<&str, Counts> = BTreeMap::new();
    let mut per_day: BTreeMap<(NaiveDate, &str), u64> = BTreeMap::new();
    let mut per_guest: BTreeMap<(NaiveDate, &str, &str), Vec<&str>> = BTreeMap::new();
    for outcome in &outcomes {
        totals.entry(&outcome.campaign).or_default().add_state(outcome.state);
        if outcome.state != MessageState::Sent {
            continue;
        }
        let Some(zone) = zones.get(&outcome.property_id) else { continue };
        let date = local_date(*zone, outcome.due_at);
        *per_day.entry((date, &outcome.campaign)).or_default() += 1;
        per_guest.entry((date, &outcome.property_id, &outcome.reservation_id)).or_default().push(&outcome.campaign);
    }
    let fatigue = per_guest
        .into_iter()
        .filter(|(_, campaigns)| campaigns.len() > request.max_per_guest_per_day as usize)
        .map(|((date, property_id, reservation_id), campaigns)| Fatigue {
            property_id: property_id.to_string(),
            reservation_id: reservation_id.to_string(),
            date,
            count: campaigns.len() as u64,
            campaigns: campaigns.into_iter().collect::<BTreeSet<_>>().into_iter().map(str::to_string).collect(),
        })
        .collect();
    let campaigns = members
        .iter()
        .map(|m| PreviewedCampaign {
            campaign: m.campaign.id.clone(),
            name: m.campaign.spec.name.clone(),
            property_id: m.campaign.spec.property_id.clone(),
            draft: m.draft,
            totals: totals.get(m.campaign.id.as_str()).copied().unwrap_or_default(),
        })
        .collect();
    let per_day = per_day
        .into_iter()
        .map(|((date, campaign), count)| DayCount { date, campaign: campaign.to_string(), count })
        .collect();
    let messages_total = outcomes.len();
    let mut messages = outcomes;
    messages.truncate(MAX_LISTED);
    SeasonPreview {
        from: request.from,
        to: request.to,
        max_per_guest_per_day: request.max_per_guest_per_day,
        campaigns,
        truncated: messages_total > messages.len(),
        messages,
        messages_total,
        per_day,
        fatigue,
    }
}

/// What the reservation's conditions may read beyond itself, read once per reservation.
#[derive(Default)]
struct Neighbours {
    guest_history: Option<Vec<relais_domain::Reservation>>,
    unit_reservations: Option<Vec<relais_domain::Reservation>>,
}

/// One property's campaigns over its stored reservations.
async fn run_property(
    app: &App,
    property: &Property,
    members: &[&Member],
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<PreviewMessage>> {
    let (start, end) = stats::utc_bounds(property.time_zone, from, to);
    let mut chatbots: HashMap<String, Option<Chatbot>> = HashMap::new();
    let mut live: Vec<(Campaign, Option<Chatbot>)> = Vec::new();
    for member in members {
        let id = &member.campaign.spec.chatbot_id;
        if !chatbots.contains_key(id) {
            chatbots.insert(id.clone(), app.store.get_chatbot(id).await?);
        }
        let mut campaign = member.campaign.clone();
        campaign.status = CampaignStatus::Active;
        campaign.activated_at = Some(campaign.activated_at.unwrap_or(start));
        live.push((campaign, chatbots.get(id).cloned().flatten()));
    }
    let needs = |f: fn(&MessageCondition) -> bool| live.iter().any(|(c, _)| c.spec.message_conditions.iter().any(f));
    let needs_history = needs(|c| matches!(c, MessageCondition::ReturningGuest { .. }));
    let needs_unit = needs(|c| matches!(c, MessageCondition::AvailableNights { .. }));
    let ran_before = members.iter().any(|m| !m.draft && m.campaign.activated_at.is_some());
    let earliest_check_out =
        local_date(property.time_zone, start) - chrono::Duration::days(planner::CHECK_OUT_ANCHORED_VALIDITY_DAYS + 1);
    let records = app.store.reservations_checking_out_from(&property.id, earliest_check_out).await?;
    let mut opt_outs: HashMap<(String, String), BTreeSet<Channel>> = HashMap::new();
    let mut out = Vec::new();
    for mut record in records {
        record.reservation = record.effective_reservation();
        let existing = if ran_before {
            app.store.messages_of_reservation(&property.id, &record.reservation.id).await?
        } else {
            Vec::new()
        };
        let mut neighbours = Neighbours::default();
        let guest = &record.reservation.guest;
        if needs_history {
            neighbours.guest_history = Some(
                app.store.reservations_of_guest(&property.id, guest.email.as_deref(), guest.phone.as_deref()).await?,
            );
        }
        if needs_unit && let Some(unit) = &record.reservation.unit_id {
            neighbours.unit_reservations = Some(app.store.reservations_in_unit(&property.id, unit).await?);
        }
        let phone = guest.phone.clone().filter(|p| !p.trim().is_empty());
        for (campaign, chatbot) in &live {
            let Some(chatbot) = chatbot else { continue };
            let key = (chatbot.id.clone(), phone.clone().unwrap_or_default());
            let opted_out = match opt_outs.entry(key) {
                std::collections::hash_map::Entry::Occupied(known) => known.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(engine::opt_outs(app, chatbot, phone.as_deref()).await?)
                }
            };
            let mine: Vec<Message> = existing.iter().filter(|m| m.campaign_id == campaign.id).cloned().collect();
            out.extend(run_campaign(campaign, property, chatbot, &record, &neighbours, mine, opted_out, start, end));
        }
    }
    Ok(out)
}

/// One campaign for one reservation: plan it at the start of the range, then follow each
/// message due in the range on the virtual clock.
#[allow(clippy::too_many_arguments)]
fn run_campaign(
    campaign: &Campaign,
    property: &Property,
    chatbot: &Chatbot,
    record: &ReservationRecord,
    neighbours: &Neighbours,
    existing: Vec<Message>,
    opted_out: &BTreeSet<Channel>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<PreviewMessage> {
    let mut hypothetical = None;
    let mut messages: Vec<Message> = Vec::new();
    if matches!(campaign.spec.trigger, relais_domain::Trigger::StatusChange) {
        // A transition the PMS has not sent yet: expected at the planned check-in or check-out.
        if let Some((reservation, message)) =
            planner::expected_transition(campaign, property, &record.reservation, start, end)
        {
            hypothetical = Some(reservation);
            messages.push(message);
        }
    } else {
        let view = ReservationView {
            reservation: &record.reservation,
            transitions: &record.transitions,
            confirmed_at: record.confirmed_at,
        };
        let mut touched = BTreeSet::new();
        for action in planner::plan(campaign, property, &view, &existing, start) {
            let message = match action {
                PlanAction::Create(message) => message,
                PlanAction::Update { message, .. } => message,
            };
            touched.insert(message.id.clone());
            messages.push(message);
        }
        messages.extend(existing.into_iter().filter(|m| !touched.contains(&m.id)));
    }
    let reservation = hypothetical.as_ref().unwrap_or(&record.reservation);
    let empty = Vec::new();
    let is_opted_out = |channel: Channel| opted_out.contains(&channel);
    let mut out = Vec::new();
    for message in messages {
        if message.due_at < start || message.due_at >= end {
            continue;
        }
        let (message, rendered) = if message.state.is_open() {
            let ctx = DueContext {
                campaign,
                property,
                chatbot,
                view: ReservationView {
                    reservation,
                    transitions: &record.transitions,
                    confirmed_at: record.confirmed_at,
                },
                conditions: ConditionContext {
                    reservation,
                    property,
                    guest_history: neighbours.guest_history.as_ref().unwrap_or(&empty),
                    unit_reservations: neighbours.unit_reservations.as_ref().unwrap_or(&empty),
                },
                message: &message,
                opted_out: &is_opted_out,
                now: start,
            };
            planner::follow(&ctx, end)
        } else {
            (message, None)
        };
        out.push(PreviewMessage {
            campaign: campaign.id.clone(),
            property_id: property.id.clone(),
            reservation_id: record.reservation.id.clone(),
            due_at: message.due_at,
            state: message.state,
            reason: message.reason.clone(),
            held_for: if message.state == MessageState::Pending {
                None
            } else {
                message.timeline.iter().rev().find(|t| t.state == MessageState::Pending).and_then(|t| t.reason.clone())
            },
            channel: rendered.as_ref().map(|r| r.channel).or(message.channel),
            language: rendered.as_ref().map(|r| r.language.clone()).or(message.language.clone()),
            body: rendered.map(|r| r.body),
        });
    }
    out
}
