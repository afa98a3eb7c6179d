//! When messages are due (SPEC 3): planning a campaign for a reservation, and deciding what
//! to do with a message when it comes due. Pure: the caller passes `now` and everything read.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

use crate::conditions::{ConditionContext, failing_reservation_condition, first_failing};
use crate::language::choose_language;
use crate::model::{
    Anchor, Campaign, CampaignStatus, Channel, Chatbot, DayOfWeek, Message, MessageState, Occurrence, Property,
    QuietHoursPolicy, RelativeAnchor, Reservation, ReservationStatus, Transition, Trigger,
};
use crate::template::{Template, variables_for};
use crate::time::{local_date, local_datetime, local_to_utc};

/// Messages anchored on check-out stay sendable this long after their due time.
pub const CHECK_OUT_ANCHORED_VALIDITY_DAYS: i64 = 7;

/// What the planner knows about a reservation.
#[derive(Debug, Clone, Copy)]
pub struct ReservationView<'a> {
    pub reservation: &'a Reservation,
    pub transitions: &'a [Transition],
    /// When the reservation was first confirmed (anchor of `relative` on `confirmation`).
    pub confirmed_at: Option<DateTime<Utc>>,
}

/// A change the planner wants stored. Every one is applied with a conditional write.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanAction {
    Create(Message),
    /// Replace the message read at `expected_version`.
    Update {
        message: Message,
        expected_version: u64,
    },
}

/// Whether a campaign's messages are planned at all: it has been active, and is not archived.
/// (Paused or re-submitted campaigns keep their messages following the reservation; the
/// dispatcher holds them while the campaign is not active.)
pub fn campaign_plans(campaign: &Campaign) -> bool {
    campaign.activated_at.is_some()
        && matches!(campaign.status, CampaignStatus::Active | CampaignStatus::Paused | CampaignStatus::Pending)
}

fn anchor_date(reservation: &Reservation, anchor: Anchor) -> NaiveDate {
    match anchor {
        Anchor::CheckIn => reservation.check_in,
        Anchor::CheckOut => reservation.check_out,
    }
}

/// The check-out moment: check-out date at the property's check-out time, property-local.
pub fn check_out_moment(property: &Property, reservation: &Reservation) -> DateTime<Utc> {
    local_to_utc(property.time_zone, reservation.check_out, property.check_out_time.naive())
}

/// SPEC 3: a message expires once its expiry moment "has passed"; due exactly at the
/// check-out moment, it is still sent.
pub fn has_expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now > expires_at
}

/// When a message due at `due_at` stops being sendable.
pub fn expiry(
    campaign: &Campaign,
    property: &Property,
    reservation: &Reservation,
    due_at: DateTime<Utc>,
) -> DateTime<Utc> {
    if campaign.spec.anchored_on_check_out() {
        due_at + Duration::days(CHECK_OUT_ANCHORED_VALIDITY_DAYS)
    } else {
        check_out_moment(property, reservation)
    }
}

/// `schedule`: the first slot instant on local `date` at or after `not_before`, inside the
/// trigger period; `None` when that day has no slot left.
pub fn first_slot_on(
    campaign: &Campaign,
    property: &Property,
    date: NaiveDate,
    not_before: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let Trigger::Schedule { days, hours } = &campaign.spec.trigger else {
        return None;
    };
    if !campaign.spec.period.contains(date) || !days.contains(&DayOfWeek::of(chrono::Datelike::weekday(&date))) {
        return None;
    }
    let mut hours: Vec<u8> = hours.clone();
    hours.sort_unstable();
    hours.dedup();
    hours
        .into_iter()
        .filter_map(|h| NaiveTime::from_hms_opt(u32::from(h), 0, 0))
        .map(|t| local_to_utc(property.time_zone, date, t))
        .find(|slot| *slot >= not_before)
}

/// `relative`: the due instant (SPEC A.2): anchor instant + offsets; with `at`, that date at `at`.
pub fn relative_due(campaign: &Campaign, property: &Property, view: &ReservationView) -> Option<DateTime<Utc>> {
    let Trigger::Relative { anchor, offset_days, offset_minutes, at } = &campaign.spec.trigger else {
        return None;
    };
    let tz = property.time_zone;
    let anchor_local = match anchor {
        RelativeAnchor::Confirmation => local_datetime(tz, view.confirmed_at?),
        RelativeAnchor::CheckIn => view.reservation.check_in.and_time(property.check_in_time.naive()),
        RelativeAnchor::CheckOut => view.reservation.check_out.and_time(property.check_out_time.naive()),
    };
    // Days move the wall clock (a DST change does not shift a "10:00" send); minutes are an
    // exact duration from that instant ("anchor instant + offsets").
    let shifted = anchor_local.checked_add_signed(Duration::days(i64::from(*offset_days)))?;
    let instant = local_to_utc(tz, shifted.date(), shifted.time())
        .checked_add_signed(Duration::minutes(i64::from(*offset_minutes)))?;
    let due = match at {
        Some(at) => local_to_utc(tz, local_date(tz, instant), at.naive()),
        None => instant,
    };
    Some(due)
}

fn new_message(
    campaign: &Campaign,
    property: &Property,
    reservation: &Reservation,
    occurrence: Occurrence,
    anchor_date: Option<NaiveDate>,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Message {
    let id = Message::id_for(&campaign.id, &property.id, &reservation.id, &occurrence);
    let mut message = Message {
        id,
        campaign_id: campaign.id.clone(),
        reservation_id: reservation.id.clone(),
        property_id: property.id.clone(),
        occurrence,
        anchor_date,
        due_at,
        held_from: None,
        expires_at: expiry(campaign, property, reservation, due_at),
        state: MessageState::Scheduled,
        reason: None,
        language: None,
        channel: None,
        attempts: Vec::new(),
        retries: 0,
        version: 0,
        timeline: Vec::new(),
        taps: Vec::new(),
    };
    message.transition(now, MessageState::Scheduled, None);
    message
}

fn next_planned_n(existing: &[Message]) -> u32 {
    existing
        .iter()
        .filter_map(|m| match m.occurrence {
            Occurrence::Planned { n } => Some(n + 1),
            Occurrence::Transition { .. } => None,
        })
        .max()
        .unwrap_or(0)
}

/// Plan one campaign for one reservation: which messages to create, which to move.
/// `existing` are this campaign's messages for this reservation.
pub fn plan(
    campaign: &Campaign,
    property: &Property,
    view: &ReservationView,
    existing: &[Message],
    now: DateTime<Utc>,
) -> Vec<PlanAction> {
    if !campaign_plans(campaign) || campaign.spec.property_id != property.id {
        return Vec::new();
    }
    let mut actions = match &campaign.spec.trigger {
        Trigger::Schedule { .. } => plan_schedule(campaign, property, view, existing, now),
        Trigger::StatusChange => plan_status_change(campaign, property, view, existing, now),
        Trigger::Relative { .. } => plan_relative(campaign, property, view, existing, now),
    };
    // Expiry follows the reservation (a longer or shorter stay moves the check-out moment).
    let touched: Vec<String> = actions
        .iter()
        .map(|a| match a {
            PlanAction::Create(m) | PlanAction::Update { message: m, .. } => m.id.clone(),
        })
        .collect();
    for m in existing.iter().filter(|m| m.state.is_open() && !touched.contains(&m.id)) {
        let expires_at = expiry(campaign, property, view.reservation, m.planned_due_at());
        if expires_at != m.expires_at {
            let mut message = m.clone();
            message.expires_at = expires_at;
            actions.push(PlanAction::Update { expected_version: m.version, message });
        }
    }
    actions
}

fn plan_schedule(
    campaign: &Campaign,
    property: &Property,
    view: &ReservationView,
    existing: &[Message],
    now: DateTime<Utc>,
) -> Vec<PlanAction> {
    let reservation = view.reservation;
    let (Some(target), Some(anchor)) = (campaign.spec.target.status, campaign.spec.target.anchor) else {
        return Vec::new();
    };
    let offset = i64::from(campaign.spec.target.send_offset_days.unwrap_or(0));
    let current_anchor = anchor_date(reservation, anchor);
    let open = existing.iter().find(|m| m.state.is_open());

    if reservation.status != target {
        // Out of the audience. A cancellation is handled by the cancellation rule; any other
        // status change voids a scheduled message (the reservation will not be in the audience).
        return match open {
            Some(m) if reservation.status != ReservationStatus::Canceled => {
                vec![PlanAction::Update { expected_version: m.version, message: left(m, reservation, now) }]
            }
            _ => Vec::new(),
        };
    }

    // At most one message per anchor date: one that already went out (or was decided) for
    // this date stands.
    let decided_for_anchor = existing
        .iter()
        .any(|m| !m.state.is_open() && m.state != MessageState::Canceled && m.anchor_date == Some(current_anchor));
    let Some(send_date) = current_anchor.checked_add_signed(Duration::days(offset)) else {
        return Vec::new();
    };

    match open {
        // Same anchor date: the message keeps its slot (a late sweep must still find it due).
        Some(m) if m.anchor_date == Some(current_anchor) => Vec::new(),
        // The anchor moved before the send: the message follows it.
        Some(m) => {
            let mut message = m.clone();
            match first_slot_on(campaign, property, send_date, now) {
                _ if decided_for_anchor => message.transition(
                    now,
                    MessageState::Canceled,
                    Some("anchor_moved:anchor_date_already_served".into()),
                ),
                Some(due) => {
                    message.anchor_date = Some(current_anchor);
                    message.due_at = due;
                    message.held_from = None;
                    message.expires_at = expiry(campaign, property, reservation, due);
                    message.transition(now, MessageState::Scheduled, Some("rescheduled:anchor_moved".into()));
                }
                None => message.transition(now, MessageState::Canceled, Some("anchor_moved:no_slot_left".into())),
            }
            vec![PlanAction::Update { expected_version: m.version, message }]
        }
        None if decided_for_anchor => Vec::new(),
        None => match first_slot_on(campaign, property, send_date, now).or_else(|| {
            // Held (pending) at its slot, then voided when the reservation left the audience:
            // back in it, the message is due again at once.
            latest_voided(existing)
                .filter(|v| v.anchor_date == Some(current_anchor) && voided_by_leaving(v) && was_held(v))
                .map(|v| v.due_at)
        }) {
            Some(due) => {
                if let Some(voided) = latest_voided(existing) {
                    let message = revive(voided, campaign, property, reservation, Some(current_anchor), due, now);
                    if has_expired(message.expires_at, now) {
                        return Vec::new();
                    }
                    return vec![PlanAction::Update { expected_version: voided.version, message }];
                }
                let message = new_message(
                    campaign,
                    property,
                    reservation,
                    Occurrence::Planned { n: next_planned_n(existing) },
                    Some(current_anchor),
                    due,
                    now,
                );
                if has_expired(message.expires_at, now) {
                    return Vec::new();
                }
                vec![PlanAction::Create(message)]
            }
            None => Vec::new(),
        },
    }
}

fn plan_status_change(
    campaign: &Campaign,
    property: &Property,
    view: &ReservationView,
    existing: &[Message],
    now: DateTime<Utc>,
) -> Vec<PlanAction> {
    let Some(target) = campaign.spec.target.status else {
        return Vec::new();
    };
    let activated_at = campaign.activated_at.unwrap_or(now);
    let mut actions = Vec::new();
    for transition in view.transitions.iter().filter(|t| t.to == target && t.at >= activated_at) {
        let occurrence = Occurrence::Transition { seq: transition.seq };
        if existing.iter().any(|m| m.occurrence == occurrence) {
            continue;
        }
        if !campaign.spec.period.contains(local_date(property.time_zone, transition.at)) {
            continue;
        }
        let mut message = new_message(campaign, property, view.reservation, occurrence, None, transition.at, now);
        if has_expired(message.expires_at, now) {
            continue;
        }
        if let Some(failed) = failing_reservation_condition(&campaign.spec.reservation_conditions, view.reservation) {
            message.transition(
                now,
                MessageState::Skipped,
                Some(format!("reservation_conditions_not_met:{}", failed.kind())),
            );
        }
        actions.push(PlanAction::Create(message));
    }
    actions
}

fn plan_relative(
    campaign: &Campaign,
    property: &Property,
    view: &ReservationView,
    existing: &[Message],
    now: DateTime<Utc>,
) -> Vec<PlanAction> {
    let reservation = view.reservation;
    if view.confirmed_at.is_none() {
        return Vec::new();
    }
    let Some(due) = relative_due(campaign, property, view) else {
        return Vec::new();
    };
    // The trigger period bounds the moment the message is due (property-local date).
    let in_period = campaign.spec.period.contains(local_date(property.time_zone, due));
    let latest = existing.iter().max_by_key(|m| occurrence_number(m));
    match latest {
        Some(m) if m.state.is_open() && left_audience(campaign, view) => {
            vec![PlanAction::Update { expected_version: m.version, message: left(m, reservation, now) }]
        }
        Some(m) if m.state.is_open() => {
            if m.planned_due_at() == due {
                return Vec::new();
            }
            let mut message = m.clone();
            if !in_period {
                message.transition(now, MessageState::Canceled, Some("anchor_moved:outside_period".into()));
                return vec![PlanAction::Update { expected_version: m.version, message }];
            }
            // Dates changed: the due time follows the anchor.
            message.due_at = due;
            message.held_from = None;
            message.expires_at = expiry(campaign, property, reservation, due);
            message.transition(now, MessageState::Scheduled, Some("rescheduled:anchor_moved".into()));
            vec![PlanAction::Update { expected_version: m.version, message }]
        }
        // Attached again only when the previous one was voided (reservation canceled then
        // reinstated, campaign changed) and the reservation is live.
        Some(m) if m.state != MessageState::Canceled => Vec::new(),
        _ if reservation.status == ReservationStatus::Canceled || !in_period => Vec::new(),
        // Out of the audience since the message was voided for it: it comes back when the
        // reservation is in the audience again.
        Some(m) if voided_by_leaving(m) && !in_audience(campaign, reservation) => Vec::new(),
        None if before_activation(campaign, view, due) => Vec::new(),
        _ => {
            let voided = latest.filter(|m| is_voided(m));
            let mut message = match voided {
                Some(voided) => revive(voided, campaign, property, reservation, None, due, now),
                None => new_message(
                    campaign,
                    property,
                    reservation,
                    Occurrence::Planned { n: next_planned_n(existing) },
                    None,
                    due,
                    now,
                ),
            };
            if let Some(failed) = failing_reservation_condition(&campaign.spec.reservation_conditions, reservation) {
                message.transition(
                    now,
                    MessageState::Skipped,
                    Some(format!("reservation_conditions_not_met:{}", failed.kind())),
                );
            } else if has_expired(message.expires_at, now) {
                // Attached after its moment is gone (e.g. an import of past stays): nothing to send.
                message.transition(now, MessageState::Expired, Some(REASON_EXPIRED.into()));
            }
            match voided {
                Some(voided) => vec![PlanAction::Update { expected_version: voided.version, message }],
                None => vec![PlanAction::Create(message)],
            }
        }
    }
}

/// Canceled before anything was sent: the message can come back.
fn is_voided(message: &Message) -> bool {
    message.state == MessageState::Canceled && message.attempts.is_empty()
}

/// Reason prefix of a message voided because its reservation left the campaign's audience.
pub const REASON_STATUS_CHANGED: &str = "status_changed:";

/// Whether the reservation is in the campaign's audience now (`schedule`: the target status;
/// `relative`: one of the target statuses; `status_change`: every transition has its message).
pub fn in_audience(campaign: &Campaign, reservation: &Reservation) -> bool {
    match &campaign.spec.trigger {
        Trigger::Schedule { .. } => campaign.spec.target.status == Some(reservation.status),
        Trigger::Relative { .. } => campaign.spec.target.relative_statuses().contains(&reservation.status),
        Trigger::StatusChange => true,
    }
}

/// Whether the reservation has left the campaign's audience (a cancellation is not "leaving":
/// it has its own rule). A `schedule` message exists only for reservations that were in the
/// audience; a `relative` one may be attached before the reservation enters it (e.g. target
/// `checked_in`, attached at confirmation), so only a change of status out of a targeted one
/// counts as leaving.
pub fn left_audience(campaign: &Campaign, view: &ReservationView) -> bool {
    let reservation = view.reservation;
    if reservation.status == ReservationStatus::Canceled || in_audience(campaign, reservation) {
        return false;
    }
    match &campaign.spec.trigger {
        Trigger::Schedule { .. } => true,
        Trigger::Relative { .. } => view.transitions.last().is_some_and(|t| {
            t.to == reservation.status
                && t.from.is_some_and(|from| campaign.spec.target.relative_statuses().contains(&from))
        }),
        Trigger::StatusChange => false,
    }
}

/// The reason a message is voided with when its reservation leaves the audience.
pub fn reason_left_audience(reservation: &Reservation) -> String {
    format!("{REASON_STATUS_CHANGED}{}", reservation.status.as_str())
}

fn left(message: &Message, reservation: &Reservation, now: DateTime<Utc>) -> Message {
    let mut message = message.clone();
    message.transition(now, MessageState::Canceled, Some(reason_left_audience(reservation)));
    message
}

fn voided_by_leaving(message: &Message) -> bool {
    is_voided(message) && message.reason.as_deref().is_some_and(|r| r.starts_with(REASON_STATUS_CHANGED))
}

/// Whether the message had come due and was held (pending) just before its last change.
fn was_held(message: &Message) -> bool {
    message.timeline.iter().rev().nth(1).is_some_and(|t| t.state == MessageState::Pending)
}

/// Activation: a campaign applies to what happens while it is active. A moment that lay before
/// the campaign became active creates no message for a reservation received before that; "already
/// passed: due at once" is for reservations confirmed (or first received) while it is active.
fn before_activation(campaign: &Campaign, view: &ReservationView, due: DateTime<Utc>) -> bool {
    match (campaign.activated_at, view.confirmed_at) {
        (Some(activated_at), Some(confirmed_at)) => due < activated_at && confirmed_at < activated_at,
        _ => false,
    }
}

/// The latest voided message of a campaign for a reservation.
fn latest_voided(existing: &[Message]) -> Option<&Message> {
    existing.iter().filter(|m| is_voided(m)).max_by_key(|m| occurrence_number(m))
}

/// The order of a message among its campaign's messages for one reservation.
fn occurrence_number(message: &Message) -> u32 {
    match message.occurrence {
        Occurrence::Planned { n } => n,
        Occurrence::Transition { seq } => seq,
    }
}

/// A message voided earlier (reservation canceled, status left the target, campaign changed)
/// comes back when the reservation is in the audience again: a campaign keeps one message per
/// reservation (SPEC 3), its timeline telling the whole story, rather than a canceled one plus
/// a new one.
fn revive(
    voided: &Message,
    campaign: &Campaign,
    property: &Property,
    reservation: &Reservation,
    anchor_date: Option<NaiveDate>,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Message {
    let mut message = voided.clone();
    message.anchor_date = anchor_date;
    message.due_at = due;
    message.held_from = None;
    message.expires_at = expiry(campaign, property, reservation, due);
    message.retries = 0;
    message.transition(now, MessageState::Scheduled, Some(REASON_REINSTATED.into()));
    message
}

pub const REASON_RESERVATION_CANCELED: &str = "reservation_canceled";
/// Timeline reason of a voided message scheduled again.
pub const REASON_REINSTATED: &str = "rescheduled:reinstated";
pub const REASON_EXPIRED: &str = "expired";
pub const REASON_NO_PHONE: &str = "no_phone";
pub const REASON_OPTED_OUT: &str = "opted_out";

/// Cancellation (SPEC 3): the open messages a canceled reservation voids.
pub fn cancel_for_reservation(campaign: &Campaign, messages: &[Message], now: DateTime<Utc>) -> Vec<PlanAction> {
    if campaign.spec.targets_canceled() {
        return Vec::new();
    }
    messages
        .iter()
        .filter(|m| m.state.is_open())
        .map(|m| {
            let mut message = m.clone();
            message.transition(now, MessageState::Canceled, Some(REASON_RESERVATION_CANCELED.into()));
            PlanAction::Update { expected_version: m.version, message }
        })
        .collect()
}

/// Everything the due-time decision needs, read by the caller.
#[derive(Clone, Copy)]
pub struct DueContext<'a> {
    pub campaign: &'a Campaign,
    pub property: &'a Property,
    pub chatbot: &'a Chatbot,
    pub view: ReservationView<'a>,
    pub conditions: ConditionContext<'a>,
    pub message: &'a Message,
    /// Whether the guest's phone opted out of a channel.
    pub opted_out: &'a dyn Fn(Channel) -> bool,
    pub now: DateTime<Utc>,
}

/// A rendered message ready for a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub channel: Channel,
    pub language: String,
    pub to: String,
    pub body: String,
    /// Values of the numbered WhatsApp template parameters, in order.
    pub parameters: Vec<String>,
    /// Set when the primary channel was not used (e.g. `fallback_after:whatsapp_opted_out`).
    pub reason: Option<String>,
}

/// What to do with a message at (or after) its due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DueDecision {
    /// Not open, or not due yet: nothing to do.
    Nothing,
    /// Keep it open but move its due time (a later slot the same day).
    Reschedule(DateTime<Utc>),
    /// Keep it open and send it at this instant, the end of the property's quiet hours; its
    /// expiry still counts from its planned due moment.
    HoldForQuietHours(DateTime<Utc>),
    Pending(String),
    Skip(String),
    Expire,
    Cancel(String),
    Send(Rendered),
}

/// Decide a due message's fate (SPEC 3, in this order): expiry, cancellation, campaign state,
/// audience, reservation conditions, phone, message conditions, opt-out and channel, language,
/// rendering.
pub fn decide_due(ctx: &DueContext) -> DueDecision {
    let DueContext { campaign, property, message, now, .. } = *ctx;
    let reservation = ctx.view.reservation;
    if !message.state.is_open() || message.due_at > now {
        return DueDecision::Nothing;
    }
    if has_expired(expiry(campaign, property, reservation, message.planned_due_at()), now) {
        return DueDecision::Expire;
    }
    if reservation.status == ReservationStatus::Canceled && !campaign.spec.targets_canceled() {
        return DueDecision::Cancel(REASON_RESERVATION_CANCELED.into());
    }
    match campaign.status {
        CampaignStatus::Active => {}
        CampaignStatus::Archived => return DueDecision::Cancel("campaign_archived".into()),
        status => {
            // Only active campaigns send. A schedule slot exists only while the campaign is
            // active: its message moves to a later slot of the day, or the day is lost. Any
            // other message (relative, status change, or already pending) waits, and is
            // re-checked when the campaign is active again, until it expires.
            if let (Trigger::Schedule { .. }, Some(anchor_day), MessageState::Scheduled) =
                (&campaign.spec.trigger, message.anchor_date, message.state)
            {
                let offset = i64::from(campaign.spec.target.send_offset_days.unwrap_or(0));
                if let Some(send_date) = anchor_day.checked_add_signed(Duration::days(offset))
                    && let Some(next) = first_slot_on(campaign, property, send_date, now + Duration::seconds(1))
                {
                    return DueDecision::Reschedule(next);
                }
                let reason = if status == CampaignStatus::Paused { "campaign_paused" } else { "campaign_not_active" };
                return DueDecision::Skip(reason.into());
            }
            return DueDecision::Nothing;
        }
    }
    // Audience at send time: never sent while the reservation is out of it.
    if left_audience(campaign, &ctx.view) {
        return DueDecision::Cancel(reason_left_audience(reservation));
    }
    match &campaign.spec.trigger {
        Trigger::Schedule { .. } => {
            if let Some(failed) = failing_reservation_condition(&campaign.spec.reservation_conditions, reservation) {
                return DueDecision::Skip(format!("reservation_conditions_not_met:{}", failed.kind()));
            }
        }
        Trigger::Relative { .. } => {
            // Attached before the reservation entered the audience: it waits for it.
            if !in_audience(campaign, reservation) {
                return DueDecision::Pending(format!("status_not_targeted:{}", reservation.status.as_str()));
            }
        }
        Trigger::StatusChange => {}
    }
    let Some(phone) = reservation.guest.phone.as_deref().filter(|p| !p.trim().is_empty()) else {
        return DueDecision::Skip(REASON_NO_PHONE.into());
    };
    if let Some(failed) = first_failing(&campaign.spec.message_conditions, &ctx.conditions) {
        return DueDecision::Pending(format!("conditions_not_met:{}", failed.kind()));
    }
    let primary = campaign.spec.channel.primary;
    let primary_failed = message.attempts.iter().any(|a| a.channel == primary && a.status == MessageState::Failed);
    let (channel, reason) = if primary_failed {
        // The primary refused for good earlier; this message is waiting to go as the fallback.
        match campaign.spec.channel.fallback {
            Some(fallback) if fallback != primary && !message.attempts.iter().any(|a| a.channel == fallback) => {
                if (ctx.opted_out)(fallback) {
                    return DueDecision::Skip(REASON_OPTED_OUT.into());
                }
                (fallback, Some(format!("fallback_after:{}_failed", primary.as_str())))
            }
            _ => return DueDecision::Nothing,
        }
    } else if !(ctx.opted_out)(primary) && ctx.chatbot.owns(primary) {
        (primary, None)
    } else {
        match campaign.spec.channel.fallback {
            Some(fallback) if fallback != primary && !(ctx.opted_out)(fallback) && ctx.chatbot.owns(fallback) => {
                (fallback, Some(format!("fallback_after:{}_opted_out", primary.as_str())))
            }
            _ => return DueDecision::Skip(REASON_OPTED_OUT.into()),
        }
    };
    match render(campaign, property, reservation, channel, phone) {
        Ok(mut rendered) => match quiet_hours_end(campaign, property, now) {
            Some(end) => DueDecision::HoldForQuietHours(end),
            None => {
                rendered.reason = reason;
                DueDecision::Send(rendered)
            }
        },
        Err(missing) => DueDecision::Pending(format!("missing_variable:{missing}")),
    }
}

/// Timeline reason of a message held until the property's quiet hours end.
pub const REASON_QUIET_HOURS: &str = "rescheduled:quiet_hours";

/// Quiet hours: when `now` is inside the property's quiet hours and the campaign respects
/// them, the instant they end (a message, its SMS fallback included, goes out then).
pub fn quiet_hours_end(campaign: &Campaign, property: &Property, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if campaign.spec.quiet_hours == QuietHoursPolicy::Ignore {
        return None;
    }
    property.quiet_hours?.end_if_inside(property.time_zone, now)
}

/// The guest's language: the reservation's, else the property's default (else English, which
/// [`choose_language`] falls back to).
pub fn guest_language<'a>(property: &'a Property, reservation: &'a Reservation) -> Option<&'a str> {
    reservation
        .guest
        .language
        .as_deref()
        .filter(|l| !l.trim().is_empty())
        .or(property.default_guest_language.as_deref())
}

/// Render a campaign's content for a reservation on one channel, in the guest's language.
/// `Err` names the first variable with neither value nor default.
pub fn render(
    campaign: &Campaign,
    property: &Property,
    reservation: &Reservation,
    channel: Channel,
    to: &str,
) -> Result<Rendered, String> {
    let language =
        choose_language(guest_language(property, reservation), campaign.spec.messages.keys().map(String::as_str));
    let content = campaign
        .spec
        .messages
        .get(&language)
        .or_else(|| campaign.spec.messages.get("en"))
        .and_then(|c| c.body(channel))
        .unwrap_or_default();
    let template = Template::parse(content).map_err(|e| format!("template:{e}"))?;
    let vars = variables_for(reservation, property, &language);
    let body = template.render(&vars).map_err(|m| m.0)?;
    let parameters = template.render_parameters(&vars).map_err(|m| m.0)?;
    Ok(Rendered { channel, language, to: to.to_string(), body, parameters, reason: None })
}

#[cfg(test)]
#[path = "planner_tests.rs"]
mod tests;

/// `status_change`: the reservation as it would be once it enters the campaign's target status,
/// and the message that transition would create, when that is expected in `[now, until]` (at
/// the planned check-in or check-out time). Previews only: the real message waits for the PMS.
pub fn expected_transition(
    campaign: &Campaign,
    property: &Property,
    reservation: &Reservation,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<(Reservation, Message)> {
    let target = campaign.spec.target.status?;
    let due = match (target, reservation.status) {
        (ReservationStatus::CheckedIn, ReservationStatus::Confirmed) => local_to_utc(
            property.time_zone,
            reservation.check_in,
            reservation.eta.unwrap_or(property.check_in_time).naive(),
        ),
        (ReservationStatus::CheckedOut, ReservationStatus::Confirmed | ReservationStatus::CheckedIn) => local_to_utc(
            property.time_zone,
            reservation.check_out,
            reservation.etd.unwrap_or(property.check_out_time).naive(),
        ),
        _ => return None,
    };
    if due < now || due > until || !campaign.spec.period.contains(local_date(property.time_zone, due)) {
        return None;
    }
    let mut hypothetical = reservation.clone();
    hypothetical.status = target;
    let mut message = new_message(campaign, property, &hypothetical, Occurrence::Transition { seq: 0 }, None, due, now);
    if let Some(failed) = failing_reservation_condition(&campaign.spec.reservation_conditions, &hypothetical) {
        message.state = MessageState::Skipped;
        message.reason = Some(format!("reservation_conditions_not_met:{}", failed.kind()));
    }
    Some((hypothetical, message))
}

/// How many decisions [`follow`] makes for one message at most (a hold for quiet hours, a
/// reschedule, a wait for expiry: a handful in practice).
const FOLLOW_MAX_STEPS: usize = 32;

/// What happens to an open message when the clock runs from its due time to `end` and nothing
/// changes but time: the dispatcher's decision at each moment it would look again (its due
/// time, the end of quiet hours, a later slot, its expiry). Returns the message as it would be
/// at `end` and, when it is sent, what is sent. Previews of a campaign set run this.
pub fn follow(ctx: &DueContext, end: DateTime<Utc>) -> (Message, Option<Rendered>) {
    let mut message = ctx.message.clone();
    let mut at = message.due_at.max(ctx.now);
    for _ in 0..FOLLOW_MAX_STEPS {
        if at >= end || !message.state.is_open() {
            break;
        }
        let decision = decide_due(&DueContext { message: &message, now: at, ..*ctx });
        match decision {
            DueDecision::Nothing => {
                if message.due_at > at {
                    at = message.due_at;
                    continue;
                }
                break;
            }
            DueDecision::Reschedule(next) => {
                message.due_at = next;
                message.transition(at, MessageState::Scheduled, Some("rescheduled:campaign_not_active".into()));
                at = next.max(at + Duration::seconds(1));
            }
            DueDecision::HoldForQuietHours(until) => {
                message.held_from.get_or_insert(message.due_at);
                message.due_at = until;
                message.transition(at, MessageState::Scheduled, Some(REASON_QUIET_HOURS.into()));
                at = until.max(at + Duration::seconds(1));
            }
            DueDecision::Pending(reason) => {
                if message.state != MessageState::Pending || message.reason.as_deref() != Some(reason.as_str()) {
                    message.transition(at, MessageState::Pending, Some(reason));
                }
                // Nothing it waits for changes on this clock: the next decision is its expiry.
                let expires = expiry(ctx.campaign, ctx.property, ctx.view.reservation, message.planned_due_at());
                at = (expires + Duration::seconds(1)).max(at + Duration::seconds(1));
            }
            DueDecision::Skip(reason) => message.transition(at, MessageState::Skipped, Some(reason)),
            DueDecision::Expire => message.transition(at, MessageState::Expired, Some(REASON_EXPIRED.into())),
            DueDecision::Cancel(reason) => message.transition(at, MessageState::Canceled, Some(reason)),
            DueDecision::Send(rendered) => {
                message.due_at = at;
                message.language = Some(rendered.language.clone());
                message.channel = Some(rendered.channel);
                message.transition(at, MessageState::Sent, rendered.reason.clone());
                return (message, Some(rendered));
            }
        }
    }
    (message, None)
}
