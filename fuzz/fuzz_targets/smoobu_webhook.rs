//! `smoobu::map_webhook` on arbitrary bytes: never panics; what it maps belongs to the property
//! and serializes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_fuzz::property;

fuzz_target!(|data: &[u8]| {
    let p = property("smoobu");
    if let Ok(events) = relais_pms::smoobu::map_webhook(&p, data) {
        for event in events {
            assert!(!event.event_id.is_empty());
            serde_json::to_vec(&event.reservation).expect("a mapped reservation serializes");
        }
    }
});
