//! Provider delivery statuses applied to a message (docs/delivery-status.md): the rule that
//! keeps a state from going backwards when statuses arrive late, twice or out of order (Meta
//! retries webhooks for days; Twilio callbacks race each other). The engine applies it to each
//! attempt; the channel adapters only map the providers' words to [`MessageState`].
//!
//! - the delivery ladder only climbs: `sent` < `delivered` < `read`; a status equal to or below
//!   the current one changes nothing (so a repeated status is a no-op);
//! - `failed` applies only while the message is not yet known to have reached the phone
//!   (`sending` or `sent`, or earlier). After `delivered` / `read` a late `failed` is ignored: the
//!   guest has the message, and a fallback SMS would be a duplicate;
//! - `failed` is terminal: once failed (and the SMS fallback possibly sent), a late `delivered`
//!   or `read` is ignored, so the fallback decision is never undone or taken twice;
//! - `skipped`, `expired`, `canceled` are terminal too; provider statuses never move them.

use crate::MessageState;

/// Position on the delivery ladder: 1 `sent`, 2 `delivered`, 3 `read`; 0 for every state off
/// it. Use [`should_apply`] to decide an update: the ladder alone does not say that `failed`
/// never overrides `delivered` / `read`.
pub fn ladder(state: MessageState) -> u8 {
    match state {
        MessageState::Sent => 1,
        MessageState::Delivered => 2,
        MessageState::Read => 3,
        MessageState::Scheduled
        | MessageState::Pending
        | MessageState::Sending
        | MessageState::Failed
        | MessageState::Skipped
        | MessageState::Expired
        | MessageState::Canceled => 0,
    }
}

fn is_terminal(state: MessageState) -> bool {
    matches!(state, MessageState::Failed | MessageState::Skipped | MessageState::Expired | MessageState::Canceled)
}

/// Whether a provider status `incoming` may replace the `current` state of a send.
pub fn should_apply(current: MessageState, incoming: MessageState) -> bool {
    if is_terminal(current) {
        return false;
    }
    match incoming {
        MessageState::Failed => ladder(current) <= 1,
        MessageState::Sent | MessageState::Delivered | MessageState::Read => ladder(incoming) > ladder(current),
        // Not provider statuses.
        MessageState::Scheduled
        | MessageState::Pending
        | MessageState::Sending
        | MessageState::Skipped
        | MessageState::Expired
        | MessageState::Canceled => false,
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
    fn the_ladder_climbs() {
        assert!(ladder(Sent) < ladder(Delivered) && ladder(Delivered) < ladder(Read));
    }
}
