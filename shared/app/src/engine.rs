//! The engine's services (SPEC 3): the evaluator (reservation changed -> plan messages), the
//! sweep (what is due -> dispatch jobs), the dispatcher (claim, decide, send with fallback,
//! record exactly once) and provider status updates.
//!
//! Every decision is made by the pure domain (`relais_domain::planner`); these functions only
//! read, call it, and write back with conditional writes. The loser of a race does nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use relais_domain::conditions::ConditionContext;
use relais_domain::planner::{self, DueContext, DueDecision, PlanAction, Rendered, ReservationView};
use relais_domain::{
    Attempt, Campaign, Channel, Chatbot, Message, MessageCondition, MessageState, Property, Reservation,
    ReservationStatus, WhatsAppContent,
};
use relais_domain::{backoff, delivery};
use serde::Serialize;

use crate::App;
use crate::ports::{
    DispatchJob, DispatchKeys, DispatchReads, DispatchReason, ReservationChanged, ReservationRecord, SendOutcome,
    SendRequest, StoreError,
};

/// A claim older than this with no recorded outcome means a dispatcher died mid-send.
pub const SEND_LEASE_MINUTES: i64 = 15;
/// Reason of a message waiting for the retry of a transient failure (`retrying:<code>`).
pub const REASON_RETRYING: &str = "retrying:";
/// The sweep's watermark name.
pub const SWEEP_WATERMARK: &str = "sweep";

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("queue or bus unavailable: {0}")]
    Transport(String),
}

pub type EngineResult<T> = Result<T, EngineError>;

// ---------------------------------------------------------------- evaluator

/// A reservation changed: plan every campaign of its property for it, cancel what a
/// cancellation voids, and dispatch what is due now (including pending messages whose
/// conditions may now hold).
pub async fn on_reservation_changed(app: &App, event: &ReservationChanged) -> EngineResult<()> {
    let now = app.clock.now();
    let Some(property) = app.store.get_property(&event.property_id).await? else {
        return Ok(());
    };
    let Some(record) = app.store.get_reservation(&event.property_id, &event.reservation_id).await? else {
        return Ok(());
    };
    let campaigns = app.store.campaigns_of_property(&property.id).await?;
    let messages = app.store.messages_of_reservation(&property.id, &record.reservation.id).await?;
    // Campaigns plan messages of their own: their writes go together (one commit on the
    // embedded store, parallel requests on DynamoDB).
    let plans = campaigns
        .iter()
        .filter(|c| planner::campaign_plans(c))
        .map(|campaign| plan_and_apply(app, campaign, &property, &record, &messages, now));
    let mut written = Vec::new();
    for plan in futures::future::join_all(plans).await {
        written.extend(plan?);
    }
    let chatbot_of =
        |campaign_id: &str| campaigns.iter().find(|c| c.id == campaign_id).map(|c| c.spec.chatbot_id.as_str());
    queue_due(app, messages, written, chatbot_of, now).await
}

/// Queue the dispatch of a reservation's messages that are open and due: those read, with what
/// planning wrote over them (no second query).
async fn queue_due<'a>(
    app: &App,
    mut messages: Vec<Message>,
    written: Vec<Message>,
    chatbot_of: impl Fn(&str) -> Option<&'a str>,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    for message in written {
        match messages.iter_mut().find(|m| m.id == message.id) {
            Some(slot) => *slot = message,
            None => messages.push(message),
        }
    }
    for message in messages.iter().filter(|m| m.state.is_open() && m.due_at <= now) {
        enqueue(app, message, chatbot_of(&message.campaign_id), DispatchReason::Due, 0).await?;
    }
    Ok(())
}

/// Plan one campaign for one reservation and store the result.
pub async fn plan_and_apply(
    app: &App,
    campaign: &Campaign,
    property: &Property,
    record: &ReservationRecord,
    messages: &[Message],
    now: DateTime<Utc>,
) -> EngineResult<Vec<Message>> {
    let mine: Vec<Message> = messages.iter().filter(|m| m.campaign_id == campaign.id).cloned().collect();
    let actions = if record.reservation.status == ReservationStatus::Canceled && !campaign.spec.targets_canceled() {
        planner::cancel_for_reservation(campaign, &mine, now)
    } else {
        let view = view_of(record);
        planner::plan(campaign, property, &view, &mine, now)
    };
    apply(app, actions).await
}

fn view_of(record: &ReservationRecord) -> ReservationView<'_> {
    ReservationView {
        reservation: &record.reservation,
        transitions: &record.transitions,
        confirmed_at: record.confirmed_at,
    }
}

/// Store the planner's actions; answers the messages written (a message another evaluator
/// wrote first is left out: that evaluator queues its dispatch).
async fn apply(app: &App, actions: Vec<PlanAction>) -> EngineResult<Vec<Message>> {
    // Each action writes a message of its own: the writes go together.
    let writes = actions.into_iter().map(|action| async move {
        match action {
            PlanAction::Create(message) => {
                // Deterministic ids: a concurrent evaluator creating the same message loses here.
                Ok(app.store.create_message(&message).await?.then_some(message))
            }
            PlanAction::Update { mut message, expected_version } => {
                message.version = expected_version + 1;
                match app.store.update_message(&message, expected_version).await {
                    Ok(()) => Ok(Some(message)),
                    Err(StoreError::Conflict(_)) => Ok(None),
                    Err(e) => Err(EngineError::from(e)),
                }
            }
        }
    });
    let mut written = Vec::new();
    for outcome in futures::future::join_all(writes).await {
        written.extend(outcome?);
    }
    Ok(written)
}

/// Queue `message`'s dispatch; with its campaign's chatbot, the job names everything the
/// dispatch reads, so that it reads them at once.
async fn enqueue(
    app: &App,
    message: &Message,
    chatbot_id: Option<&str>,
    reason: DispatchReason,
    delay_seconds: u32,
) -> EngineResult<()> {
    let keys = chatbot_id.map(|chatbot| DispatchKeys::of(message, chatbot));
    let job = DispatchJob { message_id: message.id.clone(), reason, keys };
    app.queue.enqueue(&job, delay_seconds).await.map_err(EngineError::Transport)
}

/// A campaign became active (approved or resumed) or changed: plan it for every reservation
/// of its property that is not over yet.
pub async fn plan_campaign(app: &App, campaign: &Campaign) -> EngineResult<()> {
    let now = app.clock.now();
    let Some(property) = app.store.get_property(&campaign.spec.property_id).await? else {
        return Ok(());
    };
    let today = relais_domain::time::local_date(property.time_zone, now);
    let from = today - Duration::days(planner::CHECK_OUT_ANCHORED_VALIDITY_DAYS + 1);
    for record in app.store.reservations_checking_out_from(&property.id, from).await? {
        let messages = app.store.messages_of_reservation(&property.id, &record.reservation.id).await?;
        let written = plan_and_apply(app, campaign, &property, &record, &messages, now).await?;
        let chatbot_of = |campaign_id: &str| (campaign_id == campaign.id).then_some(campaign.spec.chatbot_id.as_str());
        queue_due(app, messages, written, chatbot_of, now).await?;
    }
    Ok(())
}

/// A campaign's targeting changed: open messages are re-planned from scratch (voided, then
/// planned again with the new definition).
pub async fn replan_campaign(app: &App, campaign: &Campaign, reason: &str) -> EngineResult<()> {
    let now = app.clock.now();
    for message in app.store.open_messages_of_campaign(&campaign.id).await? {
        if message.state == MessageState::Scheduled {
            let mut updated = message.clone();
            updated.transition(now, MessageState::Canceled, Some(reason.to_string()));
            apply(app, vec![PlanAction::Update { message: updated, expected_version: message.version }]).await?;
        }
    }
    plan_campaign(app, campaign).await
}

/// Void every open message of a campaign (archive).
pub async fn cancel_open_messages(app: &App, campaign_id: &str, reason: &str) -> EngineResult<()> {
    let now = app.clock.now();
    for message in app.store.open_messages_of_campaign(campaign_id).await? {
        let mut updated = message.clone();
        updated.transition(now, MessageState::Canceled, Some(reason.to_string()));
        apply(app, vec![PlanAction::Update { message: updated, expected_version: message.version }]).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------- sweep

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub enqueued: usize,
    pub resolved_interrupted: usize,
    /// Campaigns waiting for Meta whose template statuses were polled.
    pub meta_polled: usize,
}

/// Find what is due (new slots and relative times, pending messages to re-check, expiries)
/// and queue dispatch jobs. Reads only due messages (an index by due time), never all
/// reservations. A late or failed sweep loses nothing: everything due at or before now is
/// found, however long ago it came due; the claim in the dispatcher makes overlaps harmless.
pub async fn run_sweep(app: &App) -> EngineResult<SweepReport> {
    let now = app.clock.now();
    let from = app.store.get_watermark(SWEEP_WATERMARK).await?;
    let mut report = SweepReport { from, to: Some(now), ..SweepReport::default() };
    // Each due message's campaign names its chatbot: read once per campaign per sweep.
    let mut chatbots: BTreeMap<String, Option<String>> = BTreeMap::new();
    for message in app.store.due_messages(now).await? {
        if message.state == MessageState::Sending {
            if resolve_interrupted(app, &message, now).await? {
                report.resolved_interrupted += 1;
            }
            continue;
        }
        if !chatbots.contains_key(&message.campaign_id) {
            let campaign = app.store.get_campaign(&message.campaign_id).await?;
            chatbots.insert(message.campaign_id.clone(), campaign.map(|c| c.spec.chatbot_id));
        }
        let chatbot = chatbots.get(&message.campaign_id).and_then(|c| c.as_deref());
        enqueue(app, &message, chatbot, DispatchReason::Due, 0).await?;
        report.enqueued += 1;
    }
    // Only moves forward; a sweep that lost the race leaves the newer watermark alone.
    if from.is_none_or(|f| f < now) {
        app.store.advance_watermark(SWEEP_WATERMARK, from, now).await?;
    }
    // Last, and never failing the sweep: Meta being down must not hold back due messages.
    match crate::campaigns::poll_meta_reviews(app).await {
        Ok(polled) => report.meta_polled = polled,
        Err(e) => tracing::warn!(error = %e, "polling WhatsApp template reviews failed"),
    }
    tracing::info!(
        enqueued = report.enqueued,
        interrupted = report.resolved_interrupted,
        meta_polled = report.meta_polled,
        "sweep done"
    );
    Ok(report)
}

/// A claim whose dispatcher died before recording the outcome. Whether the provider got the
/// message is unknown, and sending again could send twice: the message is closed as failed.
async fn resolve_interrupted(app: &App, message: &Message, now: DateTime<Utc>) -> EngineResult<bool> {
    let claimed_at = message.timeline.last().map_or(message.due_at, |t| t.at);
    if now - claimed_at < Duration::minutes(SEND_LEASE_MINUTES) {
        return Ok(false);
    }
    let mut updated = message.clone();
    if let Some(attempt) = updated.attempts.last_mut().filter(|a| a.status == MessageState::Sending) {
        attempt.status = MessageState::Failed;
        attempt.error = Some("outcome_unknown".into());
    }
    updated.transition(now, MessageState::Failed, Some("send_outcome_unknown".into()));
    updated.version = message.version + 1;
    match app.store.update_message(&updated, message.version).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- dispatcher

/// Everything read to decide about one message.
struct Loaded {
    campaign: Campaign,
    property: Property,
    chatbot: Chatbot,
    record: ReservationRecord,
    guest_history: Vec<Reservation>,
    unit_reservations: Vec<Reservation>,
}

async fn load(app: &App, message: &Message) -> EngineResult<Option<Loaded>> {
    let Some(campaign) = app.store.get_campaign(&message.campaign_id).await? else {
        return Ok(None);
    };
    // The campaign names the chatbot; then everything at once, as a job with keys reads it.
    let keys = DispatchKeys::of(message, &campaign.spec.chatbot_id);
    let reads = app.store.dispatch_reads(&message.id, &keys).await?;
    complete(app, message, reads).await
}

/// The dispatch context from what was read for `message`, with the neighbour and history
/// reads its campaign's conditions need; `None` if something is gone. A chatbot read by the
/// job's keys that is no longer the campaign's (the campaign changed since) is read again.
async fn complete(app: &App, message: &Message, reads: DispatchReads) -> EngineResult<Option<Loaded>> {
    let DispatchReads { campaign, property, chatbot, reservation, .. } = reads;
    let (Some(campaign), Some(property), Some(mut record)) = (campaign, property, reservation) else {
        return Ok(None);
    };
    let belongs = campaign.id == message.campaign_id
        && property.id == message.property_id
        && record.reservation.id == message.reservation_id;
    if !belongs {
        return Ok(None);
    }
    let chatbot = match chatbot.filter(|c| c.id == campaign.spec.chatbot_id) {
        Some(chatbot) => chatbot,
        None => match app.store.get_chatbot(&campaign.spec.chatbot_id).await? {
            Some(chatbot) => chatbot,
            None => return Ok(None),
        },
    };
    // Conditions read the operators' custom fields over the PMS's (this copy is never stored).
    record.reservation = record.effective_reservation();
    // Neighbour and history reads only when a condition needs them (they are queries).
    let needs = |f: fn(&MessageCondition) -> bool| campaign.spec.message_conditions.iter().any(f);
    let guest = &record.reservation.guest;
    let guest_history = if needs(|c| matches!(c, MessageCondition::ReturningGuest { .. })) {
        app.store.reservations_of_guest(&property.id, guest.email.as_deref(), guest.phone.as_deref()).await?
    } else {
        Vec::new()
    };
    let unit_reservations =
        match (&record.reservation.unit_id, needs(|c| matches!(c, MessageCondition::AvailableNights { .. }))) {
            (Some(unit), true) => app.store.reservations_in_unit(&property.id, unit).await?,
            _ => Vec::new(),
        };
    Ok(Some(Loaded { campaign, property, chatbot, record, guest_history, unit_reservations }))
}

/// Handle one dispatch job. `Err` means "try again later" (the queue redelivers); every
/// outcome that is decided is recorded with a conditional write, so a redelivered job finds
/// the message already handled and does nothing. A job that names its keys reads the message
/// and its context at once (docs/performance.md).
pub async fn dispatch(app: &App, job: &DispatchJob) -> EngineResult<()> {
    let now = app.clock.now();
    let (message, reads) = match &job.keys {
        Some(keys) => {
            let mut reads = app.store.dispatch_reads(&job.message_id, keys).await?;
            (reads.message.take(), Some(reads))
        }
        None => (app.store.get_message(&job.message_id).await?, None),
    };
    let Some(message) = message else {
        return Ok(());
    };
    // A redelivered or duplicate job for a message already handled does nothing more.
    let nothing_to_do = match job.reason {
        DispatchReason::Due | DispatchReason::Retry => !message.state.is_open() || message.due_at > now,
        DispatchReason::Fallback => message.state != MessageState::Failed,
    };
    if nothing_to_do {
        return Ok(());
    }
    let loaded = match reads {
        Some(reads) => complete(app, &message, reads).await?,
        None => load(app, &message).await?,
    };
    let Some(loaded) = loaded else {
        return Ok(());
    };
    match job.reason {
        DispatchReason::Due | DispatchReason::Retry => dispatch_due(app, message, &loaded, now).await,
        DispatchReason::Fallback => dispatch_fallback(app, message, &loaded, now).await,
    }
}

/// The channels on which the guest opted out of the numbers `chatbot` sends from.
pub async fn opt_outs(
    app: &App,
    chatbot: &Chatbot,
    phone: Option<&str>,
) -> EngineResult<std::collections::BTreeSet<Channel>> {
    let Some(phone) = phone.filter(|p| !p.trim().is_empty()) else {
        return Ok(std::collections::BTreeSet::new());
    };
    let senders: Vec<(Channel, &str)> =
        [Channel::Whatsapp, Channel::Sms].into_iter().filter_map(|c| chatbot.sender(c).map(|s| (c, s))).collect();
    Ok(app.store.opted_out_channels(phone, &senders).await?)
}

async fn dispatch_due(app: &App, message: Message, loaded: &Loaded, now: DateTime<Utc>) -> EngineResult<()> {
    let reservation = &loaded.record.reservation;
    let opted_out = opt_outs(app, &loaded.chatbot, reservation.guest.phone.as_deref()).await?;
    let is_opted_out = |channel: Channel| opted_out.contains(&channel);
    // The context (it holds a `&dyn Fn`, which is not `Sync`) ends before any await, so that
    // the dispatcher's future is `Send` (multi-threaded runtimes, `tokio::spawn`).
    let decision = {
        let ctx = DueContext {
            campaign: &loaded.campaign,
            property: &loaded.property,
            chatbot: &loaded.chatbot,
            view: view_of(&loaded.record),
            conditions: ConditionContext {
                reservation,
                property: &loaded.property,
                guest_history: &loaded.guest_history,
                unit_reservations: &loaded.unit_reservations,
            },
            message: &message,
            opted_out: &is_opted_out,
            now,
        };
        planner::decide_due(&ctx)
    };
    let mut updated = message.clone();
    match decision {
        DueDecision::Nothing => return Ok(()),
        DueDecision::Reschedule(at) => {
            updated.due_at = at;
            updated.transition(now, MessageState::Scheduled, Some("rescheduled:campaign_not_active".into()));
        }
        DueDecision::Pending(reason) => {
            if message.state == MessageState::Pending && message.reason.as_deref() == Some(reason.as_str()) {
                return Ok(()); // still held for the same reason: nothing new to record
            }
            updated.transition(now, MessageState::Pending, Some(reason));
        }
        DueDecision::HoldForQuietHours(until) => hold_for_quiet_hours(&mut updated, until, now),
        DueDecision::Skip(reason) => updated.transition(now, MessageState::Skipped, Some(reason)),
        DueDecision::Expire => updated.transition(now, MessageState::Expired, Some(planner::REASON_EXPIRED.into())),
        DueDecision::Cancel(reason) => updated.transition(now, MessageState::Canceled, Some(reason)),
        DueDecision::Send(rendered) => return send(app, message, loaded, rendered, now).await,
    }
    write(app, &mut updated, message.version).await.map(|_| ())
}

/// Hold an open (or fallback-waiting) message until the property's quiet hours end; its expiry
/// keeps counting from the planned due moment.
fn hold_for_quiet_hours(message: &mut Message, until: DateTime<Utc>, now: DateTime<Utc>) {
    message.held_from.get_or_insert(message.due_at);
    message.due_at = until;
    message.transition(now, MessageState::Scheduled, Some(planner::REASON_QUIET_HOURS.into()));
}

/// Conditional write of a changed message; `false` when another worker changed it first.
async fn write(app: &App, message: &mut Message, expected_version: u64) -> EngineResult<bool> {
    message.version = expected_version + 1;
    match app.store.update_message(message, expected_version).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The SMS segments a rendered body takes (what the carrier bills); `None` on WhatsApp.
fn sms_segments(rendered: &Rendered) -> Option<u32> {
    (rendered.channel == Channel::Sms)
        .then(|| u32::try_from(relais_domain::sms::segments(&rendered.body).segments).unwrap_or(u32::MAX))
}

/// Claim the message, call the channel, record the outcome. The claim (state `sending`,
/// version + 1) is the single point that makes a send exactly-once: whoever loses it stops.
async fn send(
    app: &App,
    message: Message,
    loaded: &Loaded,
    rendered: Rendered,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    if !take_send_slot(app, &message, loaded, rendered.channel, now).await? {
        // The sender is at its rate: try again in a second, nothing claimed, nothing spent.
        enqueue(app, &message, Some(&loaded.chatbot.id), DispatchReason::Retry, 1).await?;
        return Ok(());
    }
    let mut claimed = message.clone();
    claimed.language = Some(rendered.language.clone());
    claimed.channel = Some(rendered.channel);
    // The attempt is recorded with the claim, before the provider call: if this worker dies
    // mid-send, the channel counts as tried and is never tried again (no fallback either).
    claimed.attempts.push(Attempt {
        channel: rendered.channel,
        at: now,
        provider_message_id: None,
        status: MessageState::Sending,
        error: None,
        segments: sms_segments(&rendered),
        fallback: rendered.reason.is_some(),
    });
    claimed.transition(now, MessageState::Sending, None);
    if !write(app, &mut claimed, message.version).await? {
        return Ok(());
    }
    let outcome = call_channel(app, &claimed, loaded, &rendered).await;
    record_outcome(app, claimed, loaded, rendered, outcome, now).await
}

fn channel_of(app: &App, channel: Channel) -> &dyn crate::ports::ChannelSender {
    match channel {
        Channel::Whatsapp => app.whatsapp.as_ref(),
        Channel::Sms => app.sms.as_ref(),
    }
}

/// Per-sender rate limit across every dispatcher (SPEC 3 "respect the providers' per-sender
/// rate limits"): a sender may send `limit` messages per second; each send takes one of that
/// second's `limit` slots with a conditional put in the store (the idempotency records), so
/// concurrent dispatchers in other processes see the same slots. Probing starts at a slot
/// derived from the message id, so under normal load one store call suffices.
async fn take_send_slot(
    app: &App,
    message: &Message,
    loaded: &Loaded,
    channel: Channel,
    now: DateTime<Utc>,
) -> EngineResult<bool> {
    let sender = loaded.chatbot.sender(channel).unwrap_or_default();
    let Some(limit) = channel_of(app, channel).max_per_second(sender).filter(|l| *l > 0) else {
        return Ok(true);
    };
    let second = now.timestamp();
    let start = (backoff::jitter_seed(&message.id) % u64::from(limit)) as u32;
    for probe in 0..limit {
        let slot = (start + probe) % limit;
        let key = format!("rate~{}~{sender}~{second}~{slot}", channel.as_str());
        if app.store.remember(&key, now, now + Duration::seconds(120)).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Each quick-reply button carries a payload naming this message and the FAQ or flow the
/// button stands for, which Meta hands back on a tap.
pub(crate) fn payload_of(message_id: &str, index: usize, button: &relais_domain::QuickReplyButton) -> String {
    match button.link() {
        Some(link) => relais_domain::whatsapp::button_payload(message_id, link),
        None => relais_domain::whatsapp::button_position_payload(message_id, index),
    }
}

fn button_payloads(message: &Message, loaded: &Loaded, rendered: &Rendered) -> Vec<String> {
    if rendered.channel != Channel::Whatsapp {
        return Vec::new();
    }
    match loaded.campaign.spec.messages.get(&rendered.language).and_then(|c| c.whatsapp.as_ref()) {
        Some(WhatsAppContent::QuickReply { buttons, .. }) => {
            buttons.iter().enumerate().map(|(index, button)| payload_of(&message.id, index, button)).collect()
        }
        _ => Vec::new(),
    }
}

async fn call_channel(app: &App, message: &Message, loaded: &Loaded, rendered: &Rendered) -> SendOutcome {
    let request = SendRequest {
        key: send_key(&message.id, rendered.channel),
        channel: rendered.channel,
        to: rendered.to.clone(),
        from: loaded.chatbot.sender(rendered.channel).unwrap_or_default().to_string(),
        language: rendered.language.clone(),
        body: rendered.body.clone(),
        template_name: (rendered.channel == Channel::Whatsapp).then(|| {
            relais_domain::whatsapp::template_name(&loaded.campaign.id, loaded.campaign.template_revision.unwrap_or(0))
        }),
        parameters: rendered.parameters.clone(),
        button_payloads: button_payloads(message, loaded, rendered),
        status_callback: app.config.public_url.as_ref().map(|u| match rendered.channel {
            Channel::Whatsapp => format!("{u}/webhooks/whatsapp"),
            Channel::Sms => format!("{u}/webhooks/twilio/status"),
        }),
    };
    channel_of(app, rendered.channel).send(&request).await
}

/// The key a send carries to the provider (`SendRequest::key`), echoed in its status reports.
fn send_key(message_id: &str, channel: Channel) -> String {
    format!("{message_id}:{}", channel.as_str())
}

fn fallback_available(campaign: &Campaign, chatbot: &Chatbot, message: &Message, failed: Channel) -> Option<Channel> {
    let fallback = campaign.spec.channel.fallback?;
    let eligible = failed == campaign.spec.channel.primary
        && fallback != failed
        && chatbot.owns(fallback)
        && !message.attempts.iter().any(|a| a.channel == fallback);
    eligible.then_some(fallback)
}

async fn record_outcome(
    app: &App,
    claimed: Message,
    loaded: &Loaded,
    rendered: Rendered,
    outcome: SendOutcome,
    now: DateTime<Utc>,
) -> EngineResult<()> {
    let mut updated = claimed.clone();
    let channel = rendered.channel;
    let mut in_flight = updated.attempts.pop().unwrap_or(Attempt {
        channel,
        at: now,
        provider_message_id: None,
        status: MessageState::Sending,
        error: None,
        segments: sms_segments(&rendered),
        fallback: rendered.reason.is_some(),
    });
    match outcome {
        SendOutcome::Accepted { provider_message_id } => {
            in_flight.provider_message_id = Some(provider_message_id);
            in_flight.status = MessageState::Sent;
            updated.attempts.push(in_flight);
            updated.retries = 0;
            updated.transition(now, MessageState::Sent, rendered.reason.clone());
            tracing::info!(message_id = %updated.id, channel = channel.as_str(), "message sent");
            write(app, &mut updated, claimed.version).await?;
        }
        SendOutcome::Rejected { code, detail: _, opted_out } => {
            if opted_out && let Some(phone) = loaded.record.reservation.guest.phone.as_deref() {
                app.store.set_opt_out(channel, loaded.chatbot.sender(channel), phone, true, now).await?;
            }
            in_flight.status = MessageState::Failed;
            in_flight.error = Some(code.clone());
            updated.attempts.push(in_flight);
            let failure = format!("{}_failed", channel.as_str());
            updated.transition(now, MessageState::Failed, Some(format!("{failure}:{code}")));
            tracing::info!(message_id = %updated.id, channel = channel.as_str(), code = %code, "send refused");
            if write(app, &mut updated, claimed.version).await?
                && fallback_available(&loaded.campaign, &loaded.chatbot, &updated, channel).is_some()
            {
                return Box::pin(dispatch_fallback(app, updated, loaded, now)).await;
            }
        }
        SendOutcome::Transient { code, detail: _, retry_after_seconds } => {
            // A refusal by the adapter's own rate limiter is not a provider failure: it does
            // not spend a retry.
            let delay = if code == "rate_limited_local" {
                Some(retry_after_seconds.unwrap_or(1).max(1))
            } else {
                updated.retries += 1;
                backoff::retry_delay_seconds(updated.retries, retry_after_seconds, backoff::jitter_seed(&updated.id))
            };
            match delay {
                Some(delay) => {
                    updated.due_at = now + Duration::seconds(i64::from(delay));
                    updated.transition(now, MessageState::Scheduled, Some(format!("{REASON_RETRYING}{code}")));
                    if write(app, &mut updated, claimed.version).await? {
                        enqueue(app, &updated, Some(&loaded.chatbot.id), DispatchReason::Retry, delay).await?;
                    }
                }
                None => {
                    in_flight.status = MessageState::Failed;
                    in_flight.error = Some(code.clone());
                    updated.attempts.push(in_flight);
                    updated.transition(now, MessageState::Failed, Some(format!("{}_failed:{code}", channel.as_str())));
                    if write(app, &mut updated, claimed.version).await?
                        && fallback_available(&loaded.campaign, &loaded.chatbot, &updated, channel).is_some()
                    {
                        return Box::pin(dispatch_fallback(app, updated, loaded, now)).await;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Why a fallback was sent (SPEC A.4: `fallback_after:whatsapp_failed`).
fn fallback_reason(failed: Channel) -> String {
    format!("fallback_after:{}_failed", failed.as_str())
}

/// Send the fallback channel's version once, after the primary failed for good (at send time
/// or reported later by the provider).
async fn dispatch_fallback(app: &App, message: Message, loaded: &Loaded, now: DateTime<Utc>) -> EngineResult<()> {
    let Some(failed) = message.attempts.last().map(|a| a.channel) else {
        return Ok(());
    };
    if message.state != MessageState::Failed {
        return Ok(());
    }
    let Some(fallback) = fallback_available(&loaded.campaign, &loaded.chatbot, &message, failed) else {
        return Ok(());
    };
    let reservation = &loaded.record.reservation;
    let Some(phone) = reservation.guest.phone.as_deref() else {
        return Ok(());
    };
    let mut updated = message.clone();
    if let Some(until) = planner::quiet_hours_end(&loaded.campaign, &loaded.property, now) {
        // Scheduled again, the message goes out as the fallback when the quiet hours end (the
        // due-time decision sends a message whose primary failed on its fallback channel).
        hold_for_quiet_hours(&mut updated, until, now);
        write(app, &mut updated, message.version).await?;
        return Ok(());
    }
    if let Some(sender) = loaded.chatbot.sender(fallback)
        && app.store.is_opted_out(fallback, sender, phone).await?
    {
        // The message stays failed for the primary's reason; the timeline says why no fallback.
        updated.timeline.push(relais_domain::TimelineEntry {
            at: now,
            state: MessageState::Failed,
            reason: Some(format!("fallback_skipped:{}", planner::REASON_OPTED_OUT)),
            channel: Some(fallback),
        });
        write(app, &mut updated, message.version).await?;
        return Ok(());
    }
    match planner::render(&loaded.campaign, &loaded.property, reservation, fallback, phone) {
        Ok(mut rendered) => {
            rendered.reason = Some(fallback_reason(failed));
            send(app, message, loaded, rendered, now).await
        }
        Err(missing) => {
            // The fallback waits for its data like any message: pending, re-checked on every
            // change and sweep, sent on the fallback channel once the data arrives.
            updated.transition(now, MessageState::Pending, Some(format!("missing_variable:{missing}")));
            write(app, &mut updated, message.version).await.map(|_| ())
        }
    }
}

// ---------------------------------------------------------------- provider statuses

/// A delivery status a provider reported for one of our sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUpdate {
    pub provider_message_id: String,
    /// `Sent`, `Delivered`, `Read` or `Failed`.
    pub status: MessageState,
    pub error_code: Option<String>,
    /// The recipient opted out or blocked the business (from the error code).
    pub opted_out: bool,
    /// Our `SendRequest::key`, when the provider echoed it (WhatsApp
    /// `biz_opaque_callback_data`, Twilio `relais_key` in the callback URL).
    pub send_key: Option<String>,
}

/// Apply a provider status by the rule of `relais_domain::delivery` (docs/delivery-status.md).
/// Statuses may arrive late, repeated or out of order: a message
/// never goes backwards (`sent` < `delivered` < `read`), a repeated status changes nothing,
/// and `failed` of the primary channel triggers the fallback once.
pub async fn apply_status(app: &App, update: &StatusUpdate) -> EngineResult<()> {
    let now = app.clock.now();
    let Some(message) = app.store.message_by_provider_id(&update.provider_message_id).await? else {
        if let Some(key) = update.send_key.as_deref() {
            return settle_unanswered_send(app, key, update).await;
        }
        tracing::info!("status for an unknown provider message id ignored");
        return Ok(());
    };
    let Some(index) = message
        .attempts
        .iter()
        .position(|a| a.provider_message_id.as_deref() == Some(update.provider_message_id.as_str()))
    else {
        return Ok(());
    };
    let attempt = &message.attempts[index];
    let is_latest = index + 1 == message.attempts.len();
    let mut updated = message.clone();
    match update.status {
        MessageState::Failed => {
            // A failure after delivery or read is not believable. A repeated one changes
            // nothing, but re-queues the fallback in case the first handling died before
            // queueing it (the fallback itself runs at most once).
            if attempt.status == MessageState::Failed && is_latest && message.state == MessageState::Failed {
                enqueue(app, &message, None, DispatchReason::Fallback, 0).await?;
                return Ok(());
            }
            if !delivery::should_apply(attempt.status, MessageState::Failed) {
                return Ok(());
            }
            let channel = attempt.channel;
            updated.attempts[index].status = MessageState::Failed;
            updated.attempts[index].error = update.error_code.clone();
            if update.opted_out
                && let Some(loaded) = load(app, &message).await?
                && let Some(phone) = loaded.record.reservation.guest.phone.as_deref()
            {
                app.store.set_opt_out(channel, loaded.chatbot.sender(channel), phone, true, now).await?;
            }
            if is_latest {
                let code = update.error_code.as_deref().map(|c| format!(":{c}")).unwrap_or_default();
                updated.transition(now, MessageState::Failed, Some(format!("{}_failed{code}", channel.as_str())));
            }
            if write(app, &mut updated, message.version).await? && is_latest {
                enqueue(app, &updated, None, DispatchReason::Fallback, 0).await?;
            }
        }
        status if delivery::ladder(status) > 0 => {
            // Never backwards, and `failed` is final for that copy: a later `delivered` or
            // `read` of it (reordered webhooks) is not believable.
            if !delivery::should_apply(attempt.status, status) {
                return Ok(());
            }
            updated.attempts[index].status = status;
            if is_latest && delivery::ladder(status) > delivery::ladder(message.state) {
                let reason = message.reason.clone();
                updated.transition(now, status, reason);
            }
            write(app, &mut updated, message.version).await?;
        }
        _ => {}
    }
    Ok(())
}

/// The provider reports a message we never got an answer for: the send timed out, the message
/// waits for its retry, but the provider had accepted it. The report settles the message as
/// sent on that channel, so the retry finds nothing to do and the guest gets it once.
async fn settle_unanswered_send(app: &App, key: &str, update: &StatusUpdate) -> EngineResult<()> {
    if delivery::ladder(update.status) == 0 {
        // A failed copy changes nothing: the retry will try again.
        return Ok(());
    }
    let Some((message_id, _)) = key.rsplit_once(':') else { return Ok(()) };
    let Some(message) = app.store.get_message(message_id).await? else { return Ok(()) };
    let waiting_for_retry = message.state == MessageState::Scheduled
        && message.reason.as_deref().is_some_and(|r| r.starts_with(REASON_RETRYING));
    let Some(channel) = message.channel.filter(|c| waiting_for_retry && send_key(&message.id, *c) == key) else {
        tracing::info!("status for a send key with no send waiting for its retry ignored");
        return Ok(());
    };
    let now = app.clock.now();
    let mut updated = message.clone();
    let reason = message
        .attempts
        .iter()
        .find(|a| a.channel != channel && a.status == MessageState::Failed)
        .map(|failed| fallback_reason(failed.channel));
    updated.attempts.push(Attempt {
        channel,
        at: now,
        provider_message_id: Some(update.provider_message_id.clone()),
        status: update.status,
        error: None,
        segments: None,
        fallback: reason.is_some(),
    });
    updated.retries = 0;
    updated.transition(now, update.status, reason);
    tracing::info!(message_id = %message.id, channel = channel.as_str(), "unanswered send settled by its status");
    write(app, &mut updated, message.version).await?;
    Ok(())
}

/// Inbound guest message to our number `to` (WhatsApp phone-number id, SMS sender; `None`
/// when the provider did not say): an opt-out keyword (`relais_domain::opt_out`) opts the guest
/// out of that number, an opt-in keyword back in; any other text does nothing.
pub async fn apply_guest_reply(
    app: &App,
    channel: Channel,
    to: Option<&str>,
    from: &str,
    body: &str,
) -> EngineResult<()> {
    match relais_domain::opt_out::opt_keyword(body) {
        Some(action) => apply_opt_action(app, channel, to, from, action).await,
        None => Ok(()),
    }
}

/// Record `action` of the guest `from` for our number `to` on `channel` (a keyword matched
/// here, or by the provider itself, e.g. Twilio's Advanced Opt-Out). Without `to`, an opt-out
/// holds for every number of the channel (docs/opt-outs.md).
pub async fn apply_opt_action(
    app: &App,
    channel: Channel,
    to: Option<&str>,
    from: &str,
    action: relais_domain::opt_out::OptAction,
) -> EngineResult<()> {
    let opted_out = action == relais_domain::opt_out::OptAction::OptOut;
    app.store.set_opt_out(channel, to, from, opted_out, app.clock.now()).await?;
    tracing::info!(channel = channel.as_str(), opted_out, sender_known = to.is_some(), "guest opt-out choice recorded");
    Ok(())
}
