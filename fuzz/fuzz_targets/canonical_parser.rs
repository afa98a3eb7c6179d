//! `parse_canonical` on arbitrary bytes: never panics; what it accepts passes
//! `check_reservation` and survives a JSON round trip unchanged (the store keeps it as JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_domain::intake::{CanonicalEvent, check_reservation, parse_canonical};

fuzz_target!(|data: &[u8]| {
    let Ok(event) = parse_canonical(data) else { return };
    assert!(!event.event_id.trim().is_empty());
    assert!(check_reservation(&event.reservation, "reservation.").is_ok());
    let bytes = serde_json::to_vec(&event).expect("an accepted event serializes");
    let again: CanonicalEvent = serde_json::from_slice(&bytes).expect("a serialized event parses back");
    assert_eq!(again, event, "JSON round trip changed the event");
    assert_eq!(parse_canonical(&bytes).as_ref(), Ok(&event), "re-parsing the serialized event changed it");
});
