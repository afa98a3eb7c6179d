//! Guest opt-outs by keyword (README "Opt-outs"): one list of the words that opt a guest out
//! of a channel and back in, for SMS and WhatsApp alike. It is the union of the carriers' and
//! Twilio's default keywords (REVOKE and OPTOUT were added on 2025-05-14) and OPTIN.

use serde::{Deserialize, Serialize};

/// What an inbound message does to the sender's subscription to the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptAction {
    OptOut,
    OptIn,
}

pub const OPT_OUT_KEYWORDS: &[&str] = &["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"];
pub const OPT_IN_KEYWORDS: &[&str] = &["START", "YES", "UNSTOP", "OPTIN"];

/// The opt action of a message body: the whole body is one keyword, whatever its case and the
/// punctuation around it ("Stop." and "stop!" opt out, "STOP please" does not): for opt-outs we
/// would rather stop once too often.
pub fn opt_keyword(body: &str) -> Option<OptAction> {
    let word = body.trim().trim_matches(|c: char| !c.is_alphanumeric()).to_uppercase();
    if OPT_OUT_KEYWORDS.contains(&word.as_str()) {
        Some(OptAction::OptOut)
    } else if OPT_IN_KEYWORDS.contains(&word.as_str()) {
        Some(OptAction::OptIn)
    } else {
        None
    }
}

/// The record a store keeps for a guest's choice about one of our numbers (docs/opt-outs.md):
/// `Some(true)` opted out, `Some(false)` opted in. A number's choice is kept either way, since its
/// opt-in overrides a sender-less opt-out; a sender-less record (`sender_known: false`) exists
/// only while it opts out, so lifting it leaves no record (`None`).
pub fn record_of_choice(sender_known: bool, opted_out: bool) -> Option<bool> {
    match (sender_known, opted_out) {
        (_, true) => Some(true),
        (true, false) => Some(false),
        (false, false) => None,
    }
}

/// Whether the guest is opted out of one of our numbers, from the two records a store holds:
/// the number's own, else the sender-less one (which holds for every number), else not.
pub fn opted_out_of_sender(own: Option<bool>, sender_less: Option<bool>) -> bool {
    own.or(sender_less).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbers_own_choice_wins_over_the_sender_less_opt_out() {
        assert_eq!(record_of_choice(true, false), Some(false), "a number's opt-in is kept");
        assert_eq!(record_of_choice(false, false), None, "a lifted sender-less opt-out leaves nothing");
        assert_eq!(record_of_choice(false, true), Some(true));
        assert!(opted_out_of_sender(None, Some(true)));
        assert!(!opted_out_of_sender(Some(false), Some(true)));
        assert!(opted_out_of_sender(Some(true), None));
        assert!(!opted_out_of_sender(None, None));
    }

    #[test]
    fn one_keyword_alone_whatever_its_case_and_punctuation() {
        for w in ["STOP", "stop", " Stop. ", "Stop!", "¡STOP!", "revoke", "OptOut", "unsubscribe", "QUIT"] {
            assert_eq!(opt_keyword(w), Some(OptAction::OptOut), "{w}");
        }
        for w in ["START", "yes", "Unstop.", "optin"] {
            assert_eq!(opt_keyword(w), Some(OptAction::OptIn), "{w}");
        }
        for w in ["", "STOP please", "don't stop", "stopp", "Check-in online", "S T O P"] {
            assert_eq!(opt_keyword(w), None, "{w}");
        }
    }
}
