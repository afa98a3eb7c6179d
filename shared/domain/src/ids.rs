//! Ids, two kinds (docs/hardening.md "Ids and text"):
//! - **plain ids** name what Relais or its operators create: accounts, users, properties,
//!   chatbots, campaigns, FAQs and flows. Letters, digits, `-`, `_`, `.` only, so they can never
//!   hold a store key's separator (`/`, `#`, `~`, `:`): every key built from them reads back one
//!   way (`<property>/<reservation>`, `PROP#<property>#RES#<reservation>`,
//!   `<campaign>~<property>~<reservation>~<occurrence>`).
//! - **PMS ids** (reservations, units, custom field keys) come from other systems and may hold any
//!   printable character; they are only ever the last free component of a key, so they cannot
//!   collide either. They are bounded and refuse hidden controls ([`pms_id_problem`]).

/// The longest id of either kind.
pub const ID_MAX_CHARS: usize = 128;

/// Why `id` cannot be a plain id, if it cannot.
pub fn plain_id_problem(id: &str, max_chars: usize) -> Option<String> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if id.is_empty() || id.chars().count() > max_chars || !id.chars().all(plain) {
        return Some(format!("must be 1 to {max_chars} letters, digits, '-', '_' or '.'"));
    }
    None
}

/// Why `id` cannot be a PMS id, if it cannot: empty, longer than [`ID_MAX_CHARS`], or holding a
/// control character (NUL, newline...) or a bidirectional-text control that would make it read
/// differently from what it is.
pub fn pms_id_problem(id: &str) -> Option<&'static str> {
    if id.trim().is_empty() {
        return Some("must not be empty");
    }
    if id.chars().count() > ID_MAX_CHARS {
        return Some("must be at most 128 characters");
    }
    if id.chars().any(is_hidden_control) {
        return Some("must not contain control or bidirectional-text control characters");
    }
    None
}

/// Control characters, and the Unicode bidirectional controls (embeddings, overrides, isolates,
/// marks) that make text display in another order than it is stored.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_hold_no_key_separator() {
        for ok in ["p-lis", "acc_1", "flow.check_in", "CAMP42"] {
            assert_eq!(plain_id_problem(ok, ID_MAX_CHARS), None, "{ok}");
        }
        for bad in ["", "p/x", "p#x", "p~x", "p:x", "p|x", "p x", "é", "a\n"] {
            assert!(plain_id_problem(bad, ID_MAX_CHARS).is_some(), "{bad:?}");
        }
        assert!(plain_id_problem(&"a".repeat(129), ID_MAX_CHARS).is_some());
    }

    #[test]
    fn pms_ids_are_bounded_and_printable() {
        assert_eq!(pms_id_problem("r-1"), None);
        for ok in ["Résa 42/B#1", "a|b", "..", "予約-7"] {
            assert_eq!(pms_id_problem(ok), None, "{ok}: the last free component of a key");
        }
        assert_eq!(pms_id_problem(&"x".repeat(128)), None);
        assert_eq!(pms_id_problem(&"x".repeat(129)), Some("must be at most 128 characters"));
        assert_eq!(pms_id_problem(&"x".repeat(100_000)), Some("must be at most 128 characters"));
        for bad in ["", "  ", "a\0b", "a\nb", "a\rb", "\u{202E}fdp.exe", "a\u{2066}b", "a\u{200F}"] {
            assert!(pms_id_problem(bad).is_some(), "{bad:?}");
        }
    }
}
