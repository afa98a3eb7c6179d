//! `verify_signature` with arbitrary header values and body.
//! Input: `<X-Relais-Timestamp>\n<X-Relais-Signature>\n<body>`; a first byte of `\x01` removes the
//! timestamp header, `\x02` the signature header.
//! Invariants: never panics; accepts only a fresh timestamp with the exact HMAC of one of the
//! secrets; the correct signature of any body is accepted.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_domain::intake::{SIGNATURE_TOLERANCE_SECONDS, sign, verify_signature};
use relais_fuzz::{OLD_SECRET, SECRET, now, split_line};

fuzz_target!(|data: &[u8]| {
    let (drop_ts, drop_sig, data) = match data.first() {
        Some(1) => (true, false, &data[1..]),
        Some(2) => (false, true, &data[1..]),
        _ => (false, false, data),
    };
    let (ts, rest) = split_line(data);
    let (sig, body) = split_line(rest);
    let ts = std::str::from_utf8(ts).ok().filter(|_| !drop_ts);
    let sig = std::str::from_utf8(sig).ok().filter(|_| !drop_sig);
    let secrets = [SECRET, OLD_SECRET];
    if verify_signature(&secrets, ts, sig, body, now()).is_ok() {
        let ts: i64 = ts.expect("accepted with a timestamp").trim().parse().expect("accepted timestamp parses");
        assert!((now().timestamp() - ts).abs() <= SIGNATURE_TOLERANCE_SECONDS, "stale timestamp accepted");
        let given = sig.expect("accepted with a signature").trim().to_ascii_lowercase();
        assert!(
            secrets.iter().any(|s| sign(s, ts, body) == given),
            "accepted a signature that is not the HMAC of any secret: {given}"
        );
    }
    // The positive path for this body, and the refusals around it.
    let t = now().timestamp();
    let good = sign(SECRET, t, body);
    assert!(verify_signature(&secrets, Some(&t.to_string()), Some(&good), body, now()).is_ok());
    assert!(verify_signature(&[OLD_SECRET], Some(&t.to_string()), Some(&good), body, now()).is_err());
    let stale = t - SIGNATURE_TOLERANCE_SECONDS - 1;
    assert!(
        verify_signature(&secrets, Some(&stale.to_string()), Some(&sign(SECRET, stale, body)), body, now()).is_err()
    );
});
