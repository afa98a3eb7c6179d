//! WhatsApp message templates: how a campaign's templates are named with Meta. One name per
//! campaign revision, registered once per language (Meta keys templates by name + language);
//! the name carries the campaign id, so a template status webhook finds its campaign without
//! a scan.

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

/// The payload Relais sets on quick-reply button `index` of the message `message_id`; Meta
/// hands it back when the guest taps the button (`button.payload` of a template quick reply,
/// `interactive.button_reply.id` of an interactive reply), so the tap names its message and
/// button without a lookup by phone number.
pub fn button_payload(message_id: &str, index: usize) -> String {
    format!("{BUTTON_PAYLOAD_PREFIX}{index}:{message_id}")
}

const BUTTON_PAYLOAD_PREFIX: &str = "relais:b";

/// The message id and button index of a payload made by [`button_payload`]; `None` for any
/// other text (a payload of another system, a guest typing).
pub fn parse_button_payload(payload: &str) -> Option<(&str, usize)> {
    let rest = payload.strip_prefix(BUTTON_PAYLOAD_PREFIX)?;
    let (index, message_id) = rest.split_once(':')?;
    if message_id.is_empty() || index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) || index.len() > 2 {
        return None;
    }
    Some((message_id, index.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_payloads_round_trip_and_refuse_others() {
        let id = "pre-3d~p-lis~r-1~p0";
        assert_eq!(parse_button_payload(&button_payload(id, 2)), Some((id, 2)));
        assert_eq!(parse_button_payload(&button_payload("a:b", 0)), Some(("a:b", 0)));
        for other in
            ["", "relais:b", "relais:b1", "relais:b:x", "relais:bx:id", "relais:b1:", "CONFIRM:bk_42", "relais:b999:id"]
        {
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
