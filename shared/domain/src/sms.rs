//! SMS segment counting (GSM 03.38 / 3GPP TS 23.038), as Twilio counts them.
//!
//! - A body made only of characters of the GSM-7 basic table and its extension table is sent as
//!   GSM-7: each basic character is one septet, each extension character (`^ { } \ [ ~ ] | €` and
//!   form feed) is two (ESC + character). One segment holds 160 septets; a concatenated message
//!   holds 153 per segment (the user data header takes the rest), and an escape pair is never
//!   split across two segments.
//! - Any other character makes the whole body UCS-2: counted in UTF-16 code units (an emoji
//!   outside the BMP is two), 70 in a single segment, 67 per segment when concatenated, and a
//!   surrogate pair is never split.
//!
//! Twilio's Smart Encoding (look-alike substitution) is not applied: this is what is sent when it
//! is off, which is the safe (never under-counted) figure for an editor or a preview.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }
}

/// How an SMS body is encoded and how many parts it is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Segments {
    pub encoding: Encoding,
    /// GSM-7: septets (extension characters count 2). UCS-2: UTF-16 code units.
    pub characters: usize,
    /// Number of SMS parts (0 for an empty body).
    pub segments: usize,
}

pub const GSM7_SINGLE: usize = 160;
pub const GSM7_MULTI: usize = 153;
pub const UCS2_SINGLE: usize = 70;
pub const UCS2_MULTI: usize = 67;

/// Septets a character takes in GSM-7: `Some(1)` basic table, `Some(2)` extension table,
/// `None` not representable.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if is_gsm7_basic(c) {
        Some(1)
    } else if is_gsm7_extension(c) {
        Some(2)
    } else {
        None
    }
}

/// The GSM 03.38 default alphabet, in table order (0x00..0x7F), without ESC (0x1B).
const GSM7_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmnopqrstuvwxyzäöñüà",
);

/// The extension table (each sent as ESC + character): form feed, `^ { } \ [ ~ ] |` and `€`.
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

fn is_gsm7_basic(c: char) -> bool {
    GSM7_BASIC.contains(c)
}

fn is_gsm7_extension(c: char) -> bool {
    GSM7_EXTENSION.contains(c)
}

/// Whether the whole body can be sent as GSM-7.
pub fn is_gsm7(body: &str) -> bool {
    body.chars().all(|c| gsm7_septets(c).is_some())
}

/// Encoding, size and number of parts of an SMS body.
pub fn segments(body: &str) -> Segments {
    if is_gsm7(body) {
        let units: Vec<usize> = body.chars().filter_map(gsm7_septets).collect();
        pack(Encoding::Gsm7, &units, GSM7_SINGLE, GSM7_MULTI)
    } else {
        let units: Vec<usize> = body.chars().map(char::len_utf16).collect();
        pack(Encoding::Ucs2, &units, UCS2_SINGLE, UCS2_MULTI)
    }
}

/// Packs indivisible units (an escape pair, a surrogate pair) into parts.
fn pack(encoding: Encoding, units: &[usize], single: usize, multi: usize) -> Segments {
    let characters: usize = units.iter().sum();
    let segments = if characters == 0 {
        0
    } else if characters <= single {
        1
    } else {
        let mut parts = 1;
        let mut used = 0;
        for &u in units {
            if used + u > multi {
                parts += 1;
                used = 0;
            }
            used += u;
        }
        parts
    };
    Segments { encoding, characters, segments }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(body: &str) -> (Encoding, usize, usize) {
        let s = segments(body);
        (s.encoding, s.characters, s.segments)
    }

    #[test]
    fn empty_body_has_no_segment() {
        assert_eq!(seg(""), (Encoding::Gsm7, 0, 0));
    }

    #[test]
    fn plain_ascii_is_gsm7() {
        assert_eq!(seg("Hi Ana, see you on 10 June!"), (Encoding::Gsm7, 27, 1));
    }

    #[test]
    fn gsm7_boundaries() {
        assert_eq!(seg(&"a".repeat(160)), (Encoding::Gsm7, 160, 1));
        assert_eq!(seg(&"a".repeat(161)), (Encoding::Gsm7, 161, 2));
        assert_eq!(seg(&"a".repeat(306)), (Encoding::Gsm7, 306, 2));
        assert_eq!(seg(&"a".repeat(307)), (Encoding::Gsm7, 307, 3));
        assert_eq!(seg(&"a".repeat(459)), (Encoding::Gsm7, 459, 3));
    }

    #[test]
    fn extension_characters_count_two() {
        assert_eq!(seg("Total: 45€"), (Encoding::Gsm7, 11, 1));
        assert_eq!(seg("{[~]}|^\\"), (Encoding::Gsm7, 16, 1));
        // 80 euro signs = 160 septets: one part; one more septet: two parts.
        assert_eq!(seg(&"€".repeat(80)), (Encoding::Gsm7, 160, 1));
        assert_eq!(seg(&format!("{}a", "€".repeat(80))), (Encoding::Gsm7, 161, 2));
    }

    #[test]
    fn escape_pair_is_not_split_across_parts() {
        // 152 septets then an extension char: 154 septets > 153, so the pair moves to part 2.
        let body = format!("{}€{}", "a".repeat(152), "a".repeat(10));
        let s = segments(&body);
        assert_eq!(s.characters, 164);
        assert_eq!(s.segments, 2);
        // 152 + € (2) + 151 = 305 septets would fit 2 x 153 = 306 if the pair could be split,
        // but it cannot: part 1 holds 152, part 2 holds € + 151 = 153.
        let body = format!("{}€{}", "a".repeat(152), "a".repeat(151));
        assert_eq!(segments(&body).segments, 2);
        let body = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(segments(&body).segments, 3);
    }

    #[test]
    fn portuguese_and_french_accents() {
        // é, è, à, ç? — only é, è, à, ù, ì, ò, Ç, É and a few umlauts/tildes are GSM-7.
        assert_eq!(seg("Café à côté").0, Encoding::Ucs2, "ô is not GSM-7");
        assert_eq!(seg("Olá").0, Encoding::Ucs2, "á is not GSM-7");
        assert_eq!(seg("Até já, Ana").0, Encoding::Ucs2);
        assert_eq!(seg("Très élevé"), (Encoding::Gsm7, 10, 1));
        assert_eq!(seg("Fête").0, Encoding::Ucs2, "ê is not GSM-7");
        assert_eq!(seg("ça").0, Encoding::Ucs2, "lower-case ç is not in the table, only Ç");
        assert_eq!(seg("Ça va").0, Encoding::Gsm7);
        assert_eq!(seg("Olá Ana, até 10 de junho!"), (Encoding::Ucs2, 25, 1));
    }

    #[test]
    fn ucs2_boundaries() {
        let base = "ã".repeat(70);
        assert_eq!(seg(&base), (Encoding::Ucs2, 70, 1));
        assert_eq!(seg(&format!("{base}a")), (Encoding::Ucs2, 71, 2));
        assert_eq!(seg(&"ã".repeat(134)), (Encoding::Ucs2, 134, 2));
        assert_eq!(seg(&"ã".repeat(135)), (Encoding::Ucs2, 135, 3));
    }

    #[test]
    fn emoji_is_two_code_units_and_forces_ucs2() {
        assert_eq!(seg("Hi 👋"), (Encoding::Ucs2, 5, 1));
        assert_eq!(seg(&"😀".repeat(35)), (Encoding::Ucs2, 70, 1));
        assert_eq!(seg(&"😀".repeat(36)), (Encoding::Ucs2, 72, 2));
        // 66 units then an emoji: the surrogate pair moves to the next part.
        let body = format!("{}😀{}", "ã".repeat(66), "ã".repeat(66));
        let s = segments(&body);
        assert_eq!(s.characters, 134);
        assert_eq!(s.segments, 3);
    }

    #[test]
    fn backtick_and_curly_quotes_are_not_gsm7() {
        assert_eq!(seg("`").0, Encoding::Ucs2);
        assert_eq!(seg("it’s").0, Encoding::Ucs2);
    }

    #[test]
    fn tables_have_the_gsm_sizes() {
        assert_eq!(GSM7_BASIC.chars().count(), 127, "128 codes minus ESC");
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert!(GSM7_BASIC.chars().all(|c| !GSM7_EXTENSION.contains(c)));
    }

    #[test]
    fn greek_capitals_and_newlines_are_gsm7() {
        assert_eq!(seg("ΔΦΓΛΩΠΨΣΘΞ\r\n"), (Encoding::Gsm7, 12, 1));
    }
}
