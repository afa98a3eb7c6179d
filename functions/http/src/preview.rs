//! `POST /campaigns/{id}/preview`: who would receive the campaign over the next N days, the
//! rendered message for each, the conditions that would hold it and why, and SMS segments.
//!
//! Nothing is sent or stored: the campaign is planned as if active with the domain's pure
//! planner (`planner::plan`, `planner::decide_due`, `planner::render`), the same rule engine the
//! dispatcher uses, over the reservations as stored now.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use relais_app::App;
use relais_app::campaigns as service;
use relais_domain::conditions::{ConditionContext, message_condition_holds};
use relais_domain::planner::{self, DueContext, DueDecision, PlanAction, Rendered, ReservationView};
use relais_domain::time::local_date;
use relais_domain::{
    Campaign, CampaignStatus, Channel, Chatbot, Message, MessageCondition, MessageState, Property, Reservation,
    ReservationStatus, Transition, Trigger,
};
use serde_json::{Value, json};

use crate::error::{ApiError, ApiResult};
use crate::schema::{ErrorBody, PreviewInput, PreviewResult};
use crate::{ApiState, Caller, PathParam, json_body};

pub const DEFAULT_DAYS: u32 = 7;
pub const MAX_DAYS: u32 = 90;
/// At most this many recipients are listed (the summary counts them all).
pub const MAX_LISTED: usize = 500;

fn days_of(body: &Value) -> ApiResult<u32> {
    let Some(map) = body.as_object() else {
        return Err(ApiError::invalid(vec![ApiError::field_error(
            "",
            "invalid_type",
            "expected an object {\"days\": N}",
        )]));
    };
    let mut errors = Vec::new();
    for key in map.keys().filter(|k| *k != "days") {
        errors.push(ApiError::field_error(key, "unknown_field", format!("unknown field `{key}`")));
    }
    let days = match map.get("days") {
        None | Some(Value::Null) => Some(DEFAULT_DAYS),
        Some(v) => match v.as_u64() {
            Some(d) if (1..=u64::from(MAX_DAYS)).contains(&d) => u32::try_from(d).ok(),
            Some(_) | None if v.is_number() => {
                errors.push(ApiError::field_error("days", "out_of_range", format!("1 to {MAX_DAYS} days")));
                None
            }
            _ => {
                errors.push(ApiError::field_error("days", "invalid_type", "expected a whole number of days"));
                None
            }
        },
    };
    match days {
        Some(days) if errors.is_empty() => Ok(days),
        _ => Err(ApiError::invalid(errors)),
    }
}

#[utoipa::path(post, path = "/campaigns/{id}/preview", tag = "campaigns",
    description = "Who would receive the campaign over the next N days, with the rendered message for each, the conditions that would hold it and why, and SMS segments. Sends and stores nothing.",
    params(("id" = String, Path)),
    request_body = PreviewInput,
    responses((status = 200, body = PreviewResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn preview(
    State(state): State<ApiState>,
    caller: Caller,
    PathParam(id): PathParam<String>,
    body: Body,
) -> ApiResult<Response> {
    let campaign = service::get_visible(&state.app, &caller.0, &id).await?;
    let body = json_body(body, false).await?;
    let days = days_of(&body)?;
    let result = run(&state.app, &campaign, days).await?;
    Ok(crate::json_response(StatusCode::OK, result))
}

/// The preview itself (reads only).
pub async fn run(app: &App, campaign: &Campaign, days: u32) -> ApiResult<Value> {
    let now = app.clock.now();
    let until = now + Duration::days(i64::from(days));
    let mut notes: Vec<String> = Vec::new();
    let mut recipients: Vec<Value> = Vec::new();
    let property = app.store.get_property(&campaign.spec.property_id).await?;
    let chatbot = app.store.get_chatbot(&campaign.spec.chatbot_id).await?;
    let (Some(property), Some(chatbot)) = (property, chatbot) else {
        notes.push("the campaign's property or chatbot no longer exists: nothing would be sent".into());
        return Ok(result(campaign, now, until, days, recipients, BTreeMap::new(), notes));
    };
    if campaign.status != CampaignStatus::Active {
        notes.push(format!(
            "the campaign is {}: this is what it would send if it were active; only active campaigns send",
            campaign.status.as_str()
        ));
    }
    notes.push(
        "message conditions are checked with each reservation's current data; a held message is sent as soon as they hold, until it expires"
            .into(),
    );
    // The campaign as if active (planned from now on when it never was).
    let mut live = campaign.clone();
    live.status = CampaignStatus::Active;
    if live.activated_at.is_none() {
        live.activated_at = Some(now);
    }
    let estimated = matches!(live.spec.trigger, Trigger::StatusChange);
    if estimated {
        notes.push(format!(
            "status_change: a message goes when a reservation enters {}; reservations expected to do so in the window are listed at their planned check-in or check-out time",
            live.spec.target.status.map_or("the target status", ReservationStatus::as_str)
        ));
    }

    let today = local_date(property.time_zone, now);
    let from = today - Duration::days(planner::CHECK_OUT_ANCHORED_VALIDITY_DAYS + 1);
    let mut records = app.store.reservations_checking_out_from(&property.id, from).await?;
    records.sort_by(|a, b| {
        let (a, b) = (&a.reservation, &b.reservation);
        a.check_in.cmp(&b.check_in).then_with(|| a.id.cmp(&b.id))
    });
    for mut record in records {
        // As the dispatcher sees it: the operators' custom fields over the PMS's.
        record.reservation = record.effective_reservation();
        let view = ReservationView {
            reservation: &record.reservation,
            transitions: &record.transitions,
            confirmed_at: record.confirmed_at,
        };
        if estimated {
            if let Some((hypothetical, message)) =
                planner::expected_transition(&live, &property, &record.reservation, now, until)
            {
                let entry = evaluate(
                    app,
                    &live,
                    &property,
                    &chatbot,
                    &hypothetical,
                    &record.transitions,
                    None,
                    &message,
                    now,
                    true,
                )
                .await?;
                recipients.extend(entry);
            }
            continue;
        }
        let existing: Vec<Message> = app
            .store
            .messages_of_reservation(&property.id, &record.reservation.id)
            .await?
            .into_iter()
            .filter(|m| m.campaign_id == campaign.id)
            .collect();
        let mut candidates: Vec<Message> = Vec::new();
        let mut touched: Vec<String> = Vec::new();
        for action in planner::plan(&live, &property, &view, &existing, now) {
            match action {
                PlanAction::Create(message) => candidates.push(message),
                PlanAction::Update { message, .. } => {
                    touched.push(message.id.clone());
                    if message.state.is_open() {
                        candidates.push(message);
                    }
                }
            }
        }
        candidates.extend(existing.into_iter().filter(|m| m.state.is_open() && !touched.contains(&m.id)));
        for message in candidates {
            if message.due_at > until || message.state == MessageState::Expired {
                continue;
            }
            let entry = evaluate(
                app,
                &live,
                &property,
                &chatbot,
                &record.reservation,
                &record.transitions,
                record.confirmed_at,
                &message,
                now,
                false,
            )
            .await?;
            recipients.extend(entry);
        }
    }
    recipients.sort_by(|a, b| {
        let key = |v: &Value| {
            let due =
                v["due_at"].as_str().and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|d| d.with_timezone(&Utc));
            (due, v["reservation_id"].as_str().unwrap_or("").to_string())
        };
        key(a).cmp(&key(b))
    });
    let mut summary: BTreeMap<String, usize> = BTreeMap::new();
    for r in &recipients {
        *summary.entry(r["decision"].as_str().unwrap_or("").to_string()).or_default() += 1;
    }
    if recipients.len() > MAX_LISTED {
        notes.push(format!("{} recipients; the first {MAX_LISTED} are listed", recipients.len()));
        recipients.truncate(MAX_LISTED);
    }
    Ok(result(campaign, now, until, days, recipients, summary, notes))
}

fn result(
    campaign: &Campaign,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    days: u32,
    recipients: Vec<Value>,
    summary: BTreeMap<String, usize>,
    notes: Vec<String>,
) -> Value {
    json!({
        "campaign_id": campaign.id,
        "from": now,
        "until": until,
        "days": days,
        "recipients": recipients,
        "summary": summary,
        "notes": notes,
    })
}

fn rendered_doc(rendered: &Rendered) -> Value {
    let mut doc = json!({
        "channel": rendered.channel,
        "language": rendered.language,
        "body": rendered.body,
    });
    if rendered.channel == Channel::Sms {
        doc["sms"] = json!(relais_domain::sms::segments(&rendered.body));
    }
    doc
}

/// What the dispatcher would decide for `message` at its due time, with the message rendered.
#[allow(clippy::too_many_arguments)]
async fn evaluate(
    app: &App,
    campaign: &Campaign,
    property: &Property,
    chatbot: &Chatbot,
    reservation: &Reservation,
    transitions: &[Transition],
    confirmed_at: Option<DateTime<Utc>>,
    message: &Message,
    now: DateTime<Utc>,
    estimated: bool,
) -> ApiResult<Option<Value>> {
    let at = message.due_at.max(now);
    let needs = |f: fn(&MessageCondition) -> bool| campaign.spec.message_conditions.iter().any(f);
    let guest = &reservation.guest;
    let guest_history = if needs(|c| matches!(c, MessageCondition::ReturningGuest { .. })) {
        app.store.reservations_of_guest(&property.id, guest.email.as_deref(), guest.phone.as_deref()).await?
    } else {
        Vec::new()
    };
    let unit_reservations =
        match (&reservation.unit_id, needs(|c| matches!(c, MessageCondition::AvailableNights { .. }))) {
            (Some(unit), true) => app.store.reservations_in_unit(&property.id, unit).await?,
            _ => Vec::new(),
        };
    let phone = guest.phone.clone().filter(|p| !p.trim().is_empty());
    let opted_out = relais_app::engine::opt_outs(app, chatbot, phone.as_deref()).await?;
    let is_opted_out = |channel: Channel| opted_out.contains(&channel);
    let conditions_ctx = ConditionContext {
        reservation,
        property,
        guest_history: &guest_history,
        unit_reservations: &unit_reservations,
    };
    let conditions: Vec<Value> = campaign
        .spec
        .message_conditions
        .iter()
        .map(|c| json!({"condition": c, "holds": message_condition_holds(c, &conditions_ctx)}))
        .collect();

    let (decision, reason, rendered) = if message.state == MessageState::Skipped {
        ("skip", message.reason.clone(), None)
    } else {
        let mut due_message = message.clone();
        due_message.state = MessageState::Scheduled;
        let ctx = DueContext {
            campaign,
            property,
            chatbot,
            view: ReservationView { reservation, transitions, confirmed_at },
            conditions: conditions_ctx,
            message: &due_message,
            opted_out: &is_opted_out,
            now: at,
        };
        match planner::decide_due(&ctx) {
            DueDecision::Nothing | DueDecision::Reschedule(_) => return Ok(None),
            DueDecision::Send(rendered) => ("send", rendered.reason.clone(), Some(rendered)),
            DueDecision::HoldForQuietHours(_) => {
                let shown = phone.as_deref().and_then(|p| {
                    planner::render(campaign, property, reservation, campaign.spec.channel.primary, p).ok()
                });
                ("held", Some(planner::REASON_QUIET_HOURS.to_string()), shown)
            }
            DueDecision::Pending(reason) => {
                let shown = phone.as_deref().and_then(|p| {
                    planner::render(campaign, property, reservation, campaign.spec.channel.primary, p).ok()
                });
                ("held", Some(reason), shown)
            }
            DueDecision::Skip(reason) => ("skip", Some(reason), None),
            DueDecision::Cancel(reason) => ("cancel", Some(reason), None),
            DueDecision::Expire => ("expire", Some(planner::REASON_EXPIRED.to_string()), None),
        }
    };
    let fallback = match (campaign.spec.channel.fallback, phone.as_deref()) {
        (Some(channel), Some(p)) if chatbot.owns(channel) && rendered.as_ref().is_none_or(|r| r.channel != channel) => {
            planner::render(campaign, property, reservation, channel, p).ok().map(|r| rendered_doc(&r))
        }
        _ => None,
    };
    Ok(Some(json!({
        "reservation_id": reservation.id,
        "guest": format!("{} {}", guest.first_name, guest.last_name).trim().to_string(),
        "due_at": message.due_at.max(now),
        "estimated": estimated,
        "decision": decision,
        "reason": reason,
        "message": rendered.as_ref().map(rendered_doc),
        "fallback": fallback,
        "conditions": conditions,
    })))
}
