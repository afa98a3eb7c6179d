//! SMS segment counts as the dispatcher, the editor preview and the Twilio rate limiter see them.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use relais_domain::sms::{Encoding, segments};

#[test]
fn gsm7_extended_and_emoji_texts() {
    let cases: &[(&str, Encoding, usize, usize)] = &[
        ("Hi Ana, see you on 10 June!", Encoding::Gsm7, 27, 1),
        ("Très élevé: 45€ {ok}", Encoding::Gsm7, 23, 1),
        ("Olá Ana, até 10 de junho!", Encoding::Ucs2, 25, 1),
        ("Welcome 🏖️", Encoding::Ucs2, 11, 1),
        ("Fête à l'hôtel", Encoding::Ucs2, 14, 1),
    ];
    for (body, encoding, characters, parts) in cases {
        let s = segments(body);
        assert_eq!((s.encoding, s.characters, s.segments), (*encoding, *characters, *parts), "{body}");
    }
    // A 160-character English reminder fits one SMS; one emoji turns it into three UCS-2 parts.
    let reminder = "a".repeat(160);
    assert_eq!(segments(&reminder).segments, 1);
    assert_eq!(segments(&format!("{reminder}😀")).segments, 3);
    // Euro signs count two septets each.
    assert_eq!(segments(&"€".repeat(81)).segments, 2);
}
