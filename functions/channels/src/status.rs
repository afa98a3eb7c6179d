//! Provider delivery statuses -> [`MessageState`], and the rule that keeps a message's state
//! from going backwards when statuses arrive late, twice or out of order (Meta retries webhooks
//! for days; Twilio callbacks race each other).
//!
//! Ordering rule (`relais_domain::delivery::should_apply`, re-exported here):
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
pub use relais_domain::delivery::should_apply;

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
    fn provider_maps() {
        assert_eq!(twilio_state(&TwilioMessageStatus::Undelivered), Some(Failed));
        assert_eq!(twilio_state(&TwilioMessageStatus::Queued), None);
        assert_eq!(whatsapp_state(&WhatsAppStatus::Read), Some(Read));
        assert_eq!(whatsapp_state(&WhatsAppStatus::Other("deleted".into())), None);
    }
}
