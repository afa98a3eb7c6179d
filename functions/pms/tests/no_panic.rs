//! Arbitrary bytes and arbitrary JSON never panic the adapters or the CSV importer.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use proptest::prelude::*;
use relais_app::ports::PmsVendors;
use relais_pms::csv_import::CsvMapping;
use relais_pms::{PmsAdapters, cloudbeds, mews, parse_csv, smoobu};
use serde_json::{Value, json};
use support::*;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("2026-06-10"),
            Just("2026-06-13"),
            Just("2026-06-01 10:05"),
            Just("2026-06-01T10:00:00Z"),
            Just("Confirmed"),
            Just("checked_in"),
            Just("cancellation"),
            Just("+351912345678"),
            Just("00"),
            Just("25:99")
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[a-zA-Z-]{1,10}",
                    Just("id".to_string()),
                    Just("arrival".to_string()),
                    Just("departure".to_string()),
                    Just("modifiedAt".to_string()),
                    Just("status".to_string()),
                    Just("startDate".to_string()),
                    Just("endDate".to_string()),
                    Just("guestList".to_string()),
                    Just("assigned".to_string()),
                    Just("adults".to_string()),
                    Just("price".to_string()),
                    Just("State".to_string()),
                    Just("ScheduledStartUtc".to_string()),
                    Just("ScheduledEndUtc".to_string()),
                    Just("UpdatedUtc".to_string()),
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let p = property("smoobu", None, &[]);
        let _ = smoobu::map_webhook(&p, &bytes);
        let _ = mews::parse_webhook(&bytes);
        let _ = cloudbeds::parse_webhook(&bytes);
        let m: CsvMapping = serde_json::from_slice(&fixture("csv/mapping.json")).unwrap();
        let _ = parse_csv(&p, &m, &bytes);
    }

    #[test]
    fn mappers_never_panic_on_json(data in arb_json(), action in prop_oneof![
        Just("newReservation"), Just("updateReservation"), Just("cancelReservation"), Just("deleteReservation")]) {
        let p = property("smoobu", None, &[]);
        let _ = smoobu::map_booking(&p, action, &data);
        let body = serde_json::to_vec(&json!({"action": action, "user": 1, "data": data.clone()})).unwrap();
        let _ = smoobu::map_webhook(&p, &body);
        let hook = cloudbeds::parse_webhook(br#"{"event":"reservation/created","reservationID":"1","timestamp":1}"#).unwrap();
        let _ = cloudbeds::map_reservation(&p, &hook, &data);
        let md = mews::MewsData { reservations: vec![data.clone()], ..Default::default() };
        let _ = mews::map_all(&p, &md);
        let _ = mews::parse_webhook(&serde_json::to_vec(&json!({"Events": [{"Discriminator": "ServiceOrderUpdated", "Value": data}]})).unwrap());
    }

    #[test]
    fn csv_never_panics_on_text(rows in prop::collection::vec(prop::collection::vec("[ -~é\"\n]{0,12}", 0..16), 0..12)) {
        let p = property("custom_csv", None, &[]);
        let m: CsvMapping = serde_json::from_slice(&fixture("csv/mapping.json")).unwrap();
        let header = "Booking ref;Arrival;Departure;Guest;Email;Mobile;State;Channel;Adults;Kids;Total;Room;VIP;Updated\n";
        let body: String = rows.iter().map(|r| r.join(";")).collect::<Vec<_>>().join("\n");
        let _ = parse_csv(&p, &m, format!("{header}{body}").as_bytes());
    }
}

#[test]
fn to_canonical_never_panics_on_arbitrary_bodies() {
    // Vendor APIs point at a closed port: whatever parses ends in Unavailable, never a panic.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let adapters = PmsAdapters::new(clock("2026-06-01T12:00:00Z")).unwrap();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig { cases: 128, ..ProptestConfig::default() });
    runner
        .run(&(prop::collection::vec(any::<u8>(), 0..256), 0usize..3), |(bytes, which)| {
            let pms = ["smoobu", "mews", "cloudbeds"][which];
            let p = property(
                pms,
                Some("http://127.0.0.1:9".into()),
                &[("ClientToken", "x"), ("AccessToken", "y"), ("api_key", "z")],
            );
            let _ = rt.block_on(adapters.to_canonical(pms, &p, &request(bytes, Some(SECRET))));
            Ok(())
        })
        .unwrap();
}
