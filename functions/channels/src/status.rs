//! Provider delivery statuses -> [`MessageState`], and the rule that keeps a message's state
//! from going backwards when statuses arrive late, twice or out of order (Meta retries webhooks
//! for days; Twilio callbacks race each other).
//!
//! Ordering rule ([`should_apply`]):
//! - the delivery ladder only climbs: `sent` < `delivered` < `read`; a status equal to or below
//!   the current one changes nothing (so a repeated status is a no-op);
//! - `failed` applies only while the message is not yet known to have reached the phone
//!   (`sending` or `sent`, or earlier). After `delivered` / `read` a late `failed` is ignored: the
//!   guest has the message, and a fallback SMS would be a duplicate;
//! - `failed` is terminal: once failed (and the SMS fallback possibly sent), a late `delivered`
//!   or `read` is ignored, so the fallback decision is never undone or taken twice;
//! - `skipped`, `expired`, `canceled` are terminal too; provider statuses never move them.

use crate::twilio::TwilioMessageStatus;
use crate::whatsapp_webhook::WhatsAppStatus;
use relais_domain::MessageState;

/// Position on the delivery ladder: 0 before the provider accepted the message (`scheduled`,
/// `pending`, `sending`), 1 `sent`, 2 `delivered`, 3 `read`, 4 the terminal states (`failed`,
/// `skipped`, `expired`, `canceled`). Use [`should_apply`] to decide an update: rank alone
/// does not encode that `failed` never overrides `delivered` / `read`.
pub fn state_rank(state: MessageState) -> u8 {
    match state {
        MessageState::Scheduled | MessageState::Pending | MessageState::Sending => 0,
        MessageState::Sent => 1,
        MessageState::Delivered => 2,
        MessageState::Read => 3,
        MessageState::Failed | MessageState::Skipped | MessageState::Expired | MessageState::Canceled => 4,
    }
}

fn is_terminal(state: MessageState) -> bool {
    matches!(state, MessageState::Failed | MessageState::Skipped | MessageState::Expired | MessageState::Canceled)
}

/// Whether a provider status `incoming` may replace the message's `current` state.
pub fn should_apply(current: MessageState, incoming: MessageState) -> bool {
    if is_terminal(current) {
        return false;
    }
    match incoming {
        MessageState::Failed => state_rank(current) <= 1,
        MessageState::Sent | MessageState::Delivered | MessageState::Read => state_rank(incoming) > state_rank(current),
        // Not provider statuses.
        MessageState::Scheduled
        | MessageState::Pending
        | MessageState::Sending
        | MessageState::Skipped
        | MessageState::Expired
        | MessageState::Canceled => false,
    }
}

/// The state a WhatsApp status webhook reports (`None`: not a delivery state we track).
pub fn whatsapp_state(status: &WhatsAppStatus) -> Option<MessageState> {
    match status {
        WhatsAppStatus::Sent => Some(MessageState::Sent),
        WhatsAppStatus::Delivered => Some(MessageState::Delivered),
        WhatsAppStatus::Read => Some(MessageState::Read),
        WhatsAppStatus::Failed => Some(MessageState::Failed),
        WhatsAppStatus::Other(_) => None,
    }
}

/// The state a Twilio status callback reports (`None`: an intermediate or inbound status).
/// `undelivered` and `canceled` count as `failed`; `partially_delivered` as `delivered`.
pub fn twilio_state(status: &TwilioMessageStatus) -> Option<MessageState> {
    match status {
        TwilioMessageStatus::Sent => Some(MessageState::Sent),
        TwilioMessageStatus::Delivered | TwilioMessageStatus::PartiallyDelivered => Some(MessageState::Delivered),
        TwilioMessageStatus::Read => Some(MessageState::Read),
        TwilioMessageStatus::Failed | TwilioMessageStatus::Undelivered | TwilioMessageStatus::Canceled => {
            Some(MessageState::Failed)
        }
        TwilioMessageStatus::Queued
        | TwilioMessageStatus::Sending
        | TwilioMessageStatus::Accepted
        | TwilioMessageStatus::Scheduled
        | TwilioMessageStatus::Receiving
        | TwilioMessageStatus::Received
        | TwilioMessageStatus::Other(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use MessageState::*;

    #[test]
    fn ladder_only_climbs() {
        assert!(should_apply(Sending, Sent));
        assert!(should_apply(Sent, Delivered));
        assert!(should_apply(Sent, Read), "read may arrive before delivered");
        assert!(should_apply(Delivered, Read));
        assert!(!should_apply(Delivered, Sent), "late sent is ignored");
        assert!(!should_apply(Read, Delivered));
        assert!(!should_apply(Delivered, Delivered), "repeat is a no-op");
        assert!(!should_apply(Sent, Sent));
    }

    #[test]
    fn failed_rules() {
        assert!(should_apply(Sent, Failed));
        assert!(should_apply(Sending, Failed));
        assert!(!should_apply(Delivered, Failed));
        assert!(!should_apply(Read, Failed));
        assert!(!should_apply(Failed, Failed), "a repeated failed does not fall back twice");
        assert!(!should_apply(Failed, Delivered));
        assert!(!should_apply(Failed, Read));
    }

    #[test]
    fn terminal_states_do_not_move() {
        for t in [Skipped, Expired, Canceled] {
            for s in [Sent, Delivered, Read, Failed] {
                assert!(!should_apply(t, s));
            }
        }
        assert!(!should_apply(Sent, Canceled));
    }

    #[test]
    fn provider_maps() {
        assert_eq!(twilio_state(&TwilioMessageStatus::Undelivered), Some(Failed));
        assert_eq!(twilio_state(&TwilioMessageStatus::Queued), None);
        assert_eq!(whatsapp_state(&WhatsAppStatus::Read), Some(Read));
        assert_eq!(whatsapp_state(&WhatsAppStatus::Other("deleted".into())), None);
        assert!(state_rank(Sent) < state_rank(Delivered) && state_rank(Delivered) < state_rank(Read));
    }
}
