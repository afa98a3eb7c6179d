//! Cloudbeds: `parse_webhook` on the bytes before the first NUL; when it parses,
//! `map_reservation` with the JSON after it as the `getReservation` `data`. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_fuzz::{json_or_null, property, split_nul};
use relais_pms::cloudbeds::{map_reservation, parse_webhook};

fuzz_target!(|data: &[u8]| {
    let (hook, api) = split_nul(data);
    let Ok(hook) = parse_webhook(hook) else { return };
    assert!(!hook.event_id().is_empty());
    let p = property("cloudbeds");
    if let Ok(event) = map_reservation(&p, &hook, &json_or_null(api)) {
        serde_json::to_vec(&event.reservation).expect("a mapped reservation serializes");
    }
});
