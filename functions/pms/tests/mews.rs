// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use std::time::Duration;

use relais_app::ports::{PmsVendors, VendorError, VendorEvent};
use relais_domain::{Reservation, ReservationStatus, Source};
use relais_pms::{AdapterConfig, PmsAdapters};
use serde_json::Value;
use support::*;

const ENTERPRISE: &str = "851df8c8-90f2-4c4a-8e01-a4fc46b25178";

fn adapters(page_size: u32, timeout: Duration) -> PmsAdapters {
    let config = AdapterConfig { mews_page_size: page_size, request_timeout: timeout, ..AdapterConfig::default() };
    PmsAdapters::with_config(clock("2026-06-01T12:00:00Z"), config).unwrap()
}

fn mews_property(base: &str, access_token: &str) -> relais_domain::Property {
    property(
        "mews",
        Some(base.to_string()),
        &[("ClientToken", "ct-demo"), ("AccessToken", access_token), ("EnterpriseId", ENTERPRISE)],
    )
}

async fn run_with(
    data: Value,
    knobs: support::fake::Knobs,
    body: Vec<u8>,
    token: &str,
    page_size: u32,
) -> (Result<Vec<VendorEvent>, VendorError>, std::sync::Arc<support::fake::MewsFake>) {
    let (base, fake) = support::fake::mews(data, knobs).await;
    let p = mews_property(&base, "at-demo");
    let r = adapters(page_size, Duration::from_secs(2)).to_canonical("mews", &p, &request(body, Some(token))).await;
    (r, fake)
}

fn expected_list() -> Vec<Reservation> {
    serde_json::from_slice(&fixture("mews/expected.json")).unwrap()
}

#[tokio::test]
async fn webhook_fetches_paginated_reservations_and_maps_them() {
    let (r, fake) = run_with(
        fixture_json("mews/api.json"),
        support::fake::Knobs::default(),
        fixture("mews/webhook.json"),
        SECRET,
        1,
    )
    .await;
    let events = r.unwrap();
    let got: Vec<Reservation> = events.iter().map(|e| e.reservation.clone()).collect();
    assert_eq!(got, expected_list());
    // Page size 1, two reservation ids: three pages (the last one empty), cursor carried.
    let calls = fake.calls_to("reservations/getAll/2023-06-06");
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0]["ReservationIds"].as_array().unwrap().len(), 2, "duplicate ids are fetched once");
    assert!(calls[0]["Limitation"].get("Cursor").is_none());
    assert_eq!(calls[1]["Limitation"]["Cursor"], "0f515589-99b4-423d-b83a-b237009f0509");
    assert_eq!(calls[0]["Client"].as_str().map(|c| c.starts_with("Relais")), Some(true));
    // The other lists page too.
    assert_eq!(fake.calls_to("customers/getAll").len(), 3);
    assert_eq!(fake.calls_to("orderItems/getAll").len(), 3);
    // Event ids: stable per content.
    let (again, _) = run_with(
        fixture_json("mews/api.json"),
        support::fake::Knobs::default(),
        fixture("mews/webhook.json"),
        SECRET,
        1,
    )
    .await;
    let again = again.unwrap();
    assert_eq!(events[0].event_id, again[0].event_id);
    assert_ne!(events[0].event_id, events[1].event_id);
}

#[tokio::test]
async fn a_large_page_size_needs_one_call_per_list() {
    let (r, fake) = run_with(
        fixture_json("mews/api.json"),
        support::fake::Knobs::default(),
        fixture("mews/webhook.json"),
        SECRET,
        100,
    )
    .await;
    assert_eq!(r.unwrap().len(), 2);
    assert_eq!(fake.calls_to("reservations/getAll/2023-06-06").len(), 1);
}

#[tokio::test]
async fn customer_events_refresh_that_customers_open_reservations() {
    let (r, fake) = run_with(
        fixture_json("mews/api.json"),
        support::fake::Knobs::default(),
        fixture("mews/webhook_customer.json"),
        SECRET,
        10,
    )
    .await;
    let events = r.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reservation, expected_list()[0]);
    let call = &fake.calls_to("reservations/getAll/2023-06-06")[0];
    assert_eq!(call["AccountIds"], serde_json::json!(["fadd5bb6-b428-45d5-94f8-fd0d89fece6d"]));
    assert_eq!(call["States"], serde_json::json!(["Confirmed", "Started"]));
}

#[tokio::test]
async fn events_without_reservations_are_ignored_without_api_calls() {
    let (r, fake) = run_with(
        fixture_json("mews/api.json"),
        support::fake::Knobs::default(),
        fixture("mews/webhook_ignored.json"),
        SECRET,
        10,
    )
    .await;
    assert!(matches!(r, Err(VendorError::Ignored(_))));
    assert_eq!(fake.total_calls(), 0);
}

#[tokio::test]
async fn optional_reservations_are_not_bookings_yet() {
    let body = br#"{"EnterpriseId":"851df8c8-90f2-4c4a-8e01-a4fc46b25178","Events":[{"Discriminator":"ServiceOrderUpdated","Value":{"Id":"1d2c3b4a-0000-4000-8000-00000000abcd"}}]}"#;
    let (r, _) =
        run_with(fixture_json("mews/api.json"), support::fake::Knobs::default(), body.to_vec(), SECRET, 10).await;
    assert!(matches!(r, Err(VendorError::Ignored(_))));
}

#[tokio::test]
async fn wrong_webhook_token_is_unauthorized_and_calls_nothing() {
    let (r, fake) = run_with(
        fixture_json("mews/api.json"),
        support::fake::Knobs::default(),
        fixture("mews/webhook.json"),
        "nope",
        10,
    )
    .await;
    assert!(matches!(r, Err(VendorError::Unauthorized(_))));
    assert_eq!(fake.total_calls(), 0);
}

#[tokio::test]
async fn another_enterprise_is_unauthorized() {
    let mut hook = fixture_json("mews/webhook.json");
    hook["EnterpriseId"] = "00000000-0000-0000-0000-000000000000".into();
    let (r, fake) = run_with(
        fixture_json("mews/api.json"),
        support::fake::Knobs::default(),
        serde_json::to_vec(&hook).unwrap(),
        SECRET,
        10,
    )
    .await;
    assert!(matches!(r, Err(VendorError::Unauthorized(_))));
    assert_eq!(fake.total_calls(), 0);
}

#[tokio::test]
async fn refused_api_credentials_are_unavailable() {
    let (base, _fake) = support::fake::mews(fixture_json("mews/api.json"), support::fake::Knobs::default()).await;
    let p = mews_property(&base, "expired-token");
    let r = adapters(10, Duration::from_secs(2))
        .to_canonical("mews", &p, &request(fixture("mews/webhook.json"), Some(SECRET)))
        .await;
    match r {
        Err(VendorError::Unavailable(m)) => assert!(m.contains("credentials"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn vendor_5xx_throttle_down_and_timeout_are_unavailable() {
    for (op, code) in [
        ("customers/getAll", 500),
        ("reservations/getAll/2023-06-06", 503),
        ("orderItems/getAll", 429),
        ("ageCategories/getAll", 408),
    ] {
        let knobs = support::fake::Knobs { fail: [(op.to_string(), code)].into(), delay: None };
        let (r, _) = run_with(fixture_json("mews/api.json"), knobs, fixture("mews/webhook.json"), SECRET, 10).await;
        assert!(matches!(r, Err(VendorError::Unavailable(_))), "{op} {code}: {r:?}");
    }
    // Nothing listening.
    let p = mews_property("http://127.0.0.1:9", "at-demo");
    let r = adapters(10, Duration::from_secs(2))
        .to_canonical("mews", &p, &request(fixture("mews/webhook.json"), Some(SECRET)))
        .await;
    assert!(matches!(r, Err(VendorError::Unavailable(_))), "{r:?}");
    // Too slow.
    let (base, _fake) = support::fake::mews(
        fixture_json("mews/api.json"),
        support::fake::Knobs { fail: Default::default(), delay: Some(Duration::from_secs(2)) },
    )
    .await;
    let p = mews_property(&base, "at-demo");
    let r = adapters(10, Duration::from_millis(200))
        .to_canonical("mews", &p, &request(fixture("mews/webhook.json"), Some(SECRET)))
        .await;
    assert!(matches!(r, Err(VendorError::Unavailable(_))), "{r:?}");
    // No credentials configured.
    let mut p = mews_property(&base, "at-demo");
    p.pms_credentials = None;
    let r = adapters(10, Duration::from_secs(2))
        .to_canonical("mews", &p, &request(fixture("mews/webhook.json"), Some(SECRET)))
        .await;
    assert!(matches!(r, Err(VendorError::Unavailable(_))), "{r:?}");
}

#[tokio::test]
async fn restricted_source_operations_fall_back_to_the_origin() {
    let knobs = support::fake::Knobs { fail: [("sourceAssignments/getAll".to_string(), 403)].into(), delay: None };
    let (r, _) = run_with(fixture_json("mews/api.json"), knobs, fixture("mews/webhook.json"), SECRET, 10).await;
    let events = r.unwrap();
    assert_eq!(events[0].reservation.source, Source::Other, "ChannelManager origin without a source name");
    assert_eq!(events[1].reservation.source, Source::Direct, "Distributor = Mews booking engine");
}

#[tokio::test]
async fn unknown_state_is_a_bad_payload_naming_the_field() {
    let mut data = fixture_json("mews/api.json");
    data["reservations/getAll/2023-06-06"][0]["State"] = "Teleported".into();
    let (r, _) = run_with(data, support::fake::Knobs::default(), fixture("mews/webhook.json"), SECRET, 10).await;
    match r {
        Err(VendorError::BadPayload { field, .. }) => assert_eq!(field, "Reservation.State"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn states_map_to_canonical_statuses() {
    for (state, status) in [
        ("Confirmed", ReservationStatus::Confirmed),
        ("Started", ReservationStatus::CheckedIn),
        ("Processed", ReservationStatus::CheckedOut),
        ("Canceled", ReservationStatus::Canceled),
    ] {
        assert_eq!(relais_pms::mews::status_of(state).unwrap(), Some(status));
    }
    for skipped in ["Inquired", "Enquired", "Optional", "Requested"] {
        assert_eq!(relais_pms::mews::status_of(skipped).unwrap(), None);
    }
}

#[tokio::test]
async fn malformed_webhooks_name_the_field() {
    for (body, field) in [
        (&br#"{"Events": "x"}"#[..], "Events"),
        (br#"{"EnterpriseId": "a"}"#, "Events"),
        (br#"{"Events": [{"Value": {"Id": "x"}}]}"#, "Events[0].Discriminator"),
        (br#"{"Events": [{"Discriminator": "ServiceOrderUpdated", "Value": {}}]}"#, "Events[0].Value.Id"),
        (
            br#"{"Events": [{"Discriminator": "ServiceOrderUpdated", "Value": {"Id": "../../etc"}}]}"#,
            "Events[0].Value.Id",
        ),
        (br#"[1,2]"#, "body"),
    ] {
        match relais_pms::mews::parse_webhook(body) {
            Err(VendorError::BadPayload { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
}
