//! WhatsApp message templates: how a campaign's templates are named with Meta. One name per
//! campaign revision, registered once per language (Meta keys templates by name + language);
//! the name carries the campaign id, so a template status webhook finds its campaign without
//! a scan.

use crate::ButtonLink;

/// `relais_<hex of the campaign id>_r<revision>`: only `a-z`, `0-9`, `_`, as Meta requires.
pub fn template_name(campaign_id: &str, revision: u64) -> String {
    format!("relais_{}_r{revision}", hex::encode(campaign_id.as_bytes()))
}

/// The campaign id and revision a template name was made from.
pub fn parse_template_name(name: &str) -> Option<(String, u64)> {
    let rest = name.strip_prefix("relais_")?;
    let (hex_id, revision) = rest.rsplit_once("_r")?;
    let id = String::from_utf8(hex::decode(hex_id).ok()?).ok()?;
    Some((id, revision.parse().ok()?))
}

/// The payload Relais sets on a quick-reply button of the message `message_id`; Meta hands it
/// back when the guest taps the button (`button.payload` of a template quick reply,
/// `interactive.button_reply.id` of an interactive reply), so the tap names its message and
/// what the button does without a lookup by phone number. The payload names the FAQ or flow
/// itself, not the button's position: the guest gets what the button they saw promised, even
/// if the campaign's buttons were reordered or changed since. (Catalogue ids hold no `:`.)
pub fn button_payload(message_id: &str, link: ButtonLink<'_>) -> String {
    match link {
        ButtonLink::Faq(id) => format!("{BUTTON_PAYLOAD_PREFIX}faq:{id}:{message_id}"),
        ButtonLink::Flow(id) => format!("{BUTTON_PAYLOAD_PREFIX}flow:{id}:{message_id}"),
    }
}

/// The payload of the button at `index` that names no FAQ or flow (a campaign stored before
/// buttons had to name one): a tap on it resolves to that button and is ignored.
pub fn button_position_payload(message_id: &str, index: usize) -> String {
    format!("{BUTTON_PAYLOAD_PREFIX}b{index}:{message_id}")
}

const BUTTON_PAYLOAD_PREFIX: &str = "relais:";

/// What a tapped button's payload names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TappedButton<'a> {
    /// The FAQ or flow (payloads made by [`button_payload`]).
    Link(ButtonLink<'a>),
    /// The button at this position of the message's content in its language
    /// ([`button_position_payload`]; also the payloads of messages sent before payloads named
    /// their FAQ or flow).
    Position(usize),
}

/// The message id and the button of a payload Relais set; `None` for any other text (a payload
/// of another system, a guest typing).
pub fn parse_button_payload(payload: &str) -> Option<(&str, TappedButton<'_>)> {
    let rest = payload.strip_prefix(BUTTON_PAYLOAD_PREFIX)?;
    if let Some(rest) = rest.strip_prefix("faq:") {
        let (id, message_id) = id_and_message(rest)?;
        return Some((message_id, TappedButton::Link(ButtonLink::Faq(id))));
    }
    if let Some(rest) = rest.strip_prefix("flow:") {
        let (id, message_id) = id_and_message(rest)?;
        return Some((message_id, TappedButton::Link(ButtonLink::Flow(id))));
    }
    let (index, message_id) = rest.strip_prefix('b')?.split_once(':')?;
    if message_id.is_empty() || index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) || index.len() > 2 {
        return None;
    }
    Some((message_id, TappedButton::Position(index.parse().ok()?)))
}

/// `<catalogue id>:<message id>`, both non-empty.
fn id_and_message(rest: &str) -> Option<(&str, &str)> {
    let (id, message_id) = rest.split_once(':')?;
    (!id.is_empty() && !message_id.is_empty()).then_some((id, message_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_payloads_round_trip_and_refuse_others() {
        let id = "pre-3d~p-lis~r-1~p0";
        for link in [ButtonLink::Faq("faq-parking"), ButtonLink::Flow("flow.check_in")] {
            assert_eq!(parse_button_payload(&button_payload(id, link)), Some((id, TappedButton::Link(link))));
            assert_eq!(parse_button_payload(&button_payload("a:b", link)), Some(("a:b", TappedButton::Link(link))));
        }
        // Payloads already on guests' phones from before payloads named their FAQ or flow.
        assert_eq!(parse_button_payload("relais:b2:pre-3d~p-lis~r-1~p0"), Some((id, TappedButton::Position(2))));
        assert_eq!(parse_button_payload(&button_position_payload(id, 1)), Some((id, TappedButton::Position(1))));
        for other in [
            "",
            "relais:b",
            "relais:b1",
            "relais:b:x",
            "relais:bx:id",
            "relais:b1:",
            "CONFIRM:bk_42",
            "relais:b999:id",
            "relais:faq:",
            "relais:faq::m-1",
            "relais:faq:faq-1",
            "relais:faq:faq-1:",
            "relais:flow::m-1",
            "relais:other:x:m-1",
        ] {
            assert_eq!(parse_button_payload(other), None, "{other}");
        }
    }

    #[test]
    fn names_are_meta_safe_and_round_trip() {
        for id in ["pre-3d", "pre_3d", "cmp_0123abcd", "Ç-é 1"] {
            let name = template_name(id, 7);
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{name}");
            assert_eq!(parse_template_name(&name), Some((id.to_string(), 7)));
        }
        assert_ne!(template_name("pre-3d", 1), template_name("pre_3d", 1));
        assert_eq!(parse_template_name("relais_zz_r1"), None);
        assert_eq!(parse_template_name("other_706572_r1"), None);
    }
}
