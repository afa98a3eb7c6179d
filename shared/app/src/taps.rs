//! A guest tapped a quick-reply button of a sent WhatsApp message (README "Quick-reply
//! buttons"). The button's payload (set on the template message, handed back by Meta's button
//! reply webhook) names the message and the FAQ or flow the guest saw on the button, whatever
//! the campaign's buttons are now. An FAQ is answered once, in the message's language, as a
//! free-form WhatsApp text (the tap opened the 24-hour service window); a flow goes to the
//! chatbot platform as `GuestChoseFlow` on the event bus. Both go on the reservation's
//! timeline, which is also what makes a replayed tap do nothing more.

use chrono::Duration;
use relais_domain::whatsapp::{TappedButton, parse_button_payload};
use relais_domain::{ButtonLink, Channel, Message, WhatsAppContent};

use crate::App;
use crate::engine::{EngineError, EngineResult};
use crate::ports::{GuestChoseFlow, ReservationEvent, SendOutcome, SendRequest, StoreError};

/// How long a tap being handled keeps a concurrent copy (Meta delivers webhooks more than once,
/// sometimes at the same time) from acting too. Short on purpose: if the handling fails for a
/// passing reason, Meta's retry after this window does it, and once done the timeline entry
/// answers every later copy.
const IN_FLIGHT_SECONDS: i64 = 120;
const WRITE_ATTEMPTS: usize = 5;

/// What became of a tap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapOutcome {
    /// The FAQ's answer was sent (in `language`).
    FaqAnswered { message_id: String, faq_id: String, language: String },
    /// `GuestChoseFlow` was published.
    FlowChosen { message_id: String, flow_id: String },
    /// Handled before (a replayed or repeated tap): nothing more.
    AlreadyHandled,
    /// The payload names no message or button we know (another system's payload, a message
    /// never sent on WhatsApp, a button or FAQ gone): acknowledged and ignored.
    Ignored(&'static str),
}

/// The key of the WhatsApp send that answers `faq_id` for `message_id` (the outbox and the
/// provider's idempotency see one send per message and FAQ).
pub fn faq_answer_key(message_id: &str, faq_id: &str) -> String {
    format!("{FAQ_KEY_PREFIX}{faq_id}:{message_id}")
}

const FAQ_KEY_PREFIX: &str = "faq:";

/// The FAQ id and message id of a key made by [`faq_answer_key`] (FAQ ids hold no `:`).
pub fn parse_faq_answer_key(key: &str) -> Option<(&str, &str)> {
    key.strip_prefix(FAQ_KEY_PREFIX)?.split_once(':')
}

/// Handle a tap on the button whose payload is `payload`.
pub async fn apply_button_tap(app: &App, payload: &str) -> EngineResult<TapOutcome> {
    let now = app.clock.now();
    let Some((message_id, tapped)) = parse_button_payload(payload) else {
        return Ok(TapOutcome::Ignored("not a Relais button payload"));
    };
    let Some(message) = app.store.get_message(message_id).await? else {
        return Ok(TapOutcome::Ignored("unknown message"));
    };
    if !message.attempts.iter().any(|a| a.channel == Channel::Whatsapp && a.provider_message_id.is_some()) {
        return Ok(TapOutcome::Ignored("the message was not sent on WhatsApp"));
    }
    let Some(campaign) = app.store.get_campaign(&message.campaign_id).await? else {
        return Ok(TapOutcome::Ignored("unknown campaign"));
    };
    let language = message.language.clone().unwrap_or_else(|| "en".to_string());
    let link = match tapped {
        TappedButton::Link(link) => Some(link),
        TappedButton::Position(index) => {
            match campaign.spec.messages.get(&language).and_then(|c| c.whatsapp.as_ref()) {
                Some(WhatsAppContent::QuickReply { buttons, .. }) => buttons.get(index).and_then(|b| b.link()),
                _ => None,
            }
        }
    };
    let Some(link) = link else {
        return Ok(TapOutcome::Ignored("unknown button"));
    };
    let Some(chatbot) = app.store.get_chatbot(&campaign.spec.chatbot_id).await? else {
        return Ok(TapOutcome::Ignored("unknown chatbot"));
    };
    if !chatbot.resolves(link) {
        return Ok(TapOutcome::Ignored("the button names an FAQ or flow the chatbot no longer has"));
    }
    let Some(record) = app.store.get_reservation(&message.property_id, &message.reservation_id).await? else {
        return Ok(TapOutcome::Ignored("unknown reservation"));
    };
    let tap = match link {
        ButtonLink::Faq(id) => format!("faq:{id}"),
        ButtonLink::Flow(id) => format!("flow:{id}"),
    };
    if record.events.iter().any(|e| handled(e, &message.id, link)) {
        // A tap whose answer is on the timeline is counted on the message too (an earlier
        // attempt may have stopped in between).
        record_tap(app, &message.id, &tap).await?;
        return Ok(TapOutcome::AlreadyHandled);
    }
    let claim = format!("tap~{}~{}", message.id, tap.replacen(':', "~", 1));
    if !app.store.remember(&claim, now, now + Duration::seconds(IN_FLIGHT_SECONDS)).await? {
        return Ok(TapOutcome::AlreadyHandled);
    }
    let (event, outcome) = match link {
        ButtonLink::Faq(faq_id) => {
            let Some(faq) = chatbot.faq(faq_id) else { return Ok(TapOutcome::Ignored("unknown FAQ")) };
            let (answer_language, answer) = faq.answer_in(&language);
            let Some(to) = record.reservation.guest.phone.clone() else {
                return Ok(TapOutcome::Ignored("the guest has no phone number"));
            };
            let request = SendRequest {
                key: faq_answer_key(&message.id, faq_id),
                channel: Channel::Whatsapp,
                to,
                from: chatbot.whatsapp.as_ref().map(|w| w.phone_number_id.clone()).unwrap_or_default(),
                language: answer_language.to_string(),
                body: answer.to_string(),
                // Free-form text, not a template: the tap opened the service window.
                template_name: None,
                parameters: Vec::new(),
                button_payloads: Vec::new(),
                status_callback: app.config.public_url.as_ref().map(|u| format!("{u}/webhooks/whatsapp")),
            };
            match app.whatsapp.send(&request).await {
                SendOutcome::Accepted { .. } => {}
                SendOutcome::Rejected { code, .. } => {
                    // Refused for good (the guest blocked the business, ...): nothing to retry.
                    tracing::warn!(message_id = %message.id, code = %code, "FAQ answer refused by WhatsApp");
                    return Ok(TapOutcome::Ignored("WhatsApp refused the answer"));
                }
                SendOutcome::Transient { code, .. } => {
                    return Err(EngineError::Transport(format!("WhatsApp unavailable for an FAQ answer ({code})")));
                }
            }
            let faq_id = faq_id.to_string();
            let language = answer_language.to_string();
            (
                ReservationEvent::FaqAnswered {
                    at: now,
                    campaign_id: campaign.id.clone(),
                    message_id: message.id.clone(),
                    faq_id: faq_id.clone(),
                    language: language.clone(),
                },
                TapOutcome::FaqAnswered { message_id: message.id.clone(), faq_id, language },
            )
        }
        ButtonLink::Flow(flow_id) => {
            let choice = GuestChoseFlow {
                account_id: campaign.account_id.clone(),
                property_id: message.property_id.clone(),
                reservation_id: message.reservation_id.clone(),
                campaign_id: campaign.id.clone(),
                flow_id: flow_id.to_string(),
                at: now,
            };
            app.bus.publish_flow_choice(&choice).await.map_err(EngineError::Transport)?;
            (
                ReservationEvent::FlowChosen {
                    at: now,
                    campaign_id: campaign.id.clone(),
                    message_id: message.id.clone(),
                    flow_id: flow_id.to_string(),
                },
                TapOutcome::FlowChosen { message_id: message.id.clone(), flow_id: flow_id.to_string() },
            )
        }
    };
    record_tap(app, &message.id, &tap).await?;
    record_on_timeline(app, &message, event).await?;
    tracing::info!(message_id = %message.id, "quick-reply tap handled");
    Ok(outcome)
}

fn handled(event: &ReservationEvent, message_id: &str, link: ButtonLink<'_>) -> bool {
    match (event, link) {
        (ReservationEvent::FaqAnswered { message_id: m, faq_id, .. }, ButtonLink::Faq(id)) => {
            m == message_id && faq_id == id
        }
        (ReservationEvent::FlowChosen { message_id: m, flow_id, .. }, ButtonLink::Flow(id)) => {
            m == message_id && flow_id == id
        }
        _ => false,
    }
}

/// Count the tap on the message (the statistics' `taps`), once per button.
async fn record_tap(app: &App, message_id: &str, tap: &str) -> EngineResult<()> {
    for _ in 0..WRITE_ATTEMPTS {
        let Some(mut message) = app.store.get_message(message_id).await? else {
            return Ok(());
        };
        if message.taps.iter().any(|t| t == tap) {
            return Ok(());
        }
        message.taps.push(tap.to_string());
        let expected = message.version;
        message.version += 1;
        match app.store.update_message(&message, expected).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(EngineError::Store(StoreError::Conflict("the message keeps changing".into())))
}

async fn record_on_timeline(app: &App, message: &Message, event: ReservationEvent) -> EngineResult<()> {
    for _ in 0..WRITE_ATTEMPTS {
        let Some(mut record) = app.store.get_reservation(&message.property_id, &message.reservation_id).await? else {
            return Ok(());
        };
        record.events.push(event.clone());
        let expected = record.version;
        record.version += 1;
        match app.store.put_reservation(&record, Some(expected)).await {
            Ok(()) => return Ok(()),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(EngineError::Store(StoreError::Conflict("the reservation keeps changing".into())))
}
