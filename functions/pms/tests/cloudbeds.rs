// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use std::collections::HashMap;
use std::time::Duration;

use relais_app::ports::{PmsVendors, VendorError, VendorEvent};
use relais_domain::{Property, ReservationStatus};
use relais_pms::{AdapterConfig, PmsAdapters};
use serde_json::Value;
use support::*;

const RES: &str = "7061304407766";

fn adapters(timeout: Duration) -> PmsAdapters {
    let config = AdapterConfig { request_timeout: timeout, ..AdapterConfig::default() };
    PmsAdapters::with_config(clock("2026-06-01T12:00:00Z"), config).unwrap()
}

fn cb_property(base: &str, auth: (&str, &str)) -> Property {
    property("cloudbeds", Some(base.to_string()), &[auth, ("propertyID", "318267"), ("currency", "eur")])
}

fn reservation_data() -> Value {
    fixture_json("cloudbeds/get_reservation.json")["data"].clone()
}

async fn run(
    reservations: HashMap<String, Value>,
    knobs: support::fake::Knobs,
    body: Vec<u8>,
    token: &str,
    auth: (&str, &str),
) -> (Result<Vec<VendorEvent>, VendorError>, std::sync::Arc<support::fake::CloudbedsFake>) {
    let (base, fake) = support::fake::cloudbeds(reservations, knobs).await;
    let p = cb_property(&base, auth);
    let r = adapters(Duration::from_secs(2)).to_canonical("cloudbeds", &p, &request(body, Some(token))).await;
    (r, fake)
}

fn one(data: Value) -> HashMap<String, Value> {
    [(RES.to_string(), data)].into()
}

#[tokio::test]
async fn created_webhook_fetches_and_maps_the_reservation() {
    let (r, fake) = run(
        one(reservation_data()),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_created.json"),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await;
    let events = r.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reservation, expected("cloudbeds/expected.json"));
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].get("reservationID").map(String::as_str), Some(RES));
    assert_eq!(calls[0].get("propertyID").map(String::as_str), Some("318267"));
}

#[tokio::test]
async fn bearer_token_auth_works_too() {
    let (r, _) = run(
        one(reservation_data()),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_created.json"),
        SECRET,
        ("access_token", "cb-oauth"),
    )
    .await;
    assert_eq!(r.unwrap()[0].reservation.id, RES);
}

#[tokio::test]
async fn status_change_with_other_key_casing_uses_the_fetched_status() {
    let mut data = reservation_data();
    data["status"] = "checked_in".into();
    data["dateModified"] = "2026-06-10 16:20:00".into();
    let (r, _) = run(
        one(data),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_status_changed.json"),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await;
    let e = r.unwrap();
    assert_eq!(e[0].reservation.status, ReservationStatus::CheckedIn);
    // 2026-06-10 16:20 Lisbon = 15:20Z, later than the event timestamp (2026-06-08T09:00:00.5Z).
    assert_eq!(e[0].reservation.updated_at, at("2026-06-10T15:20:00Z"));
}

#[tokio::test]
async fn statuses_map_and_unknown_status_names_the_field() {
    for (raw, status) in [
        ("confirmed", ReservationStatus::Confirmed),
        ("not_confirmed", ReservationStatus::Confirmed),
        ("checked_in", ReservationStatus::CheckedIn),
        ("checked_out", ReservationStatus::CheckedOut),
        ("canceled", ReservationStatus::Canceled),
        ("no_show", ReservationStatus::Canceled),
    ] {
        assert_eq!(relais_pms::cloudbeds::status_of(raw).unwrap(), status);
    }
    let mut data = reservation_data();
    data["status"] = "on_hold".into();
    let (r, _) = run(
        one(data),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_created.json"),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await;
    match r {
        Err(VendorError::BadPayload { field, .. }) => assert_eq!(field, "status"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn deletion_cancels_when_still_returned_and_cancels_by_id_when_gone() {
    let (r, _) = run(
        HashMap::new(),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_deleted.json"),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await;
    match r {
        Err(VendorError::Deleted { reservation_id, event_id }) => {
            assert_eq!(reservation_id, "7061304409999");
            assert!(event_id.starts_with("cloudbeds-"), "{event_id}");
        }
        other => panic!("expected Deleted, got {other:?}"),
    }
    let mut data = reservation_data();
    data["reservationID"] = "7061304409999".into();
    let r = run(
        [("7061304409999".to_string(), data)].into(),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_deleted.json"),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await
    .0
    .unwrap();
    assert_eq!(r[0].reservation.status, ReservationStatus::Canceled);
}

#[tokio::test]
async fn other_objects_are_ignored_without_api_calls() {
    let (r, fake) = run(
        one(reservation_data()),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_other.json"),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await;
    assert!(matches!(r, Err(VendorError::Ignored(_))));
    assert!(fake.calls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn wrong_token_or_property_is_unauthorized() {
    let (r, fake) = run(
        one(reservation_data()),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_created.json"),
        "bad",
        ("api_key", "cb-key"),
    )
    .await;
    assert!(matches!(r, Err(VendorError::Unauthorized(_))));
    assert!(fake.calls.lock().unwrap().is_empty());
    let mut hook = fixture_json("cloudbeds/webhook_created.json");
    hook["propertyID"] = 999.into();
    hook["propertyID_str"] = "999".into();
    let (r, _) = run(
        one(reservation_data()),
        support::fake::Knobs::default(),
        serde_json::to_vec(&hook).unwrap(),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await;
    assert!(matches!(r, Err(VendorError::Unauthorized(_))));
}

#[tokio::test]
async fn api_down_5xx_timeout_and_refused_key_are_unavailable() {
    let body = fixture("cloudbeds/webhook_created.json");
    for code in [500, 502, 503, 429] {
        let knobs = support::fake::Knobs { fail: [("getReservation".to_string(), code)].into(), delay: None };
        let (r, _) = run(one(reservation_data()), knobs, body.clone(), SECRET, ("api_key", "cb-key")).await;
        assert!(matches!(r, Err(VendorError::Unavailable(_))), "{code}: {r:?}");
    }
    let (r, _) =
        run(one(reservation_data()), support::fake::Knobs::default(), body.clone(), SECRET, ("api_key", "wrong-key"))
            .await;
    assert!(matches!(r, Err(VendorError::Unavailable(_))), "{r:?}");
    // success=false for a reservation the webhook announced: retry later.
    let (r, _) =
        run(HashMap::new(), support::fake::Knobs::default(), body.clone(), SECRET, ("api_key", "cb-key")).await;
    assert!(matches!(r, Err(VendorError::Unavailable(_))), "{r:?}");
    let p = cb_property("http://127.0.0.1:9/api/v1.3", ("api_key", "cb-key"));
    let r = adapters(Duration::from_secs(2)).to_canonical("cloudbeds", &p, &request(body.clone(), Some(SECRET))).await;
    assert!(matches!(r, Err(VendorError::Unavailable(_))), "{r:?}");
    let (base, _fake) = support::fake::cloudbeds(
        one(reservation_data()),
        support::fake::Knobs { fail: Default::default(), delay: Some(Duration::from_secs(2)) },
    )
    .await;
    let p = cb_property(&base, ("api_key", "cb-key"));
    let r = adapters(Duration::from_millis(200)).to_canonical("cloudbeds", &p, &request(body, Some(SECRET))).await;
    assert!(matches!(r, Err(VendorError::Unavailable(_))), "{r:?}");
}

#[tokio::test]
async fn php_style_empty_collections_and_string_counts() {
    let mut data = reservation_data();
    data["guestList"] = serde_json::json!([]);
    data["assigned"] = serde_json::json!([]);
    data["unassigned"] = serde_json::json!([{"roomTypeID": "123", "adults": "3", "children": ""}]);
    data["balanceDetailed"] = serde_json::json!([]);
    let (r, _) = run(
        one(data),
        support::fake::Knobs::default(),
        fixture("cloudbeds/webhook_created.json"),
        SECRET,
        ("api_key", "cb-key"),
    )
    .await;
    let res = r.unwrap().remove(0).reservation;
    assert_eq!((res.adults, res.children), (3, 0));
    assert_eq!((res.guest.first_name.as_str(), res.guest.last_name.as_str()), ("Ana", "Silva"));
    assert_eq!(res.unit_id, None);
}

#[test]
fn webhook_parsing_names_fields() {
    for (body, field) in [
        (&br#"{"version":"1.0"}"#[..], "event"),
        (br#"{"event":"reservation/created"}"#, "reservationID"),
        (br#"{"event":"reservation/created","reservationID":"1","timestamp":"soon"}"#, "timestamp"),
        (br#"{"event":"reservation/created","reservationID":"a/b"}"#, "reservationID"),
        (br#"nope"#, "body"),
    ] {
        match relais_pms::cloudbeds::parse_webhook(body) {
            Err(VendorError::BadPayload { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    let h = relais_pms::cloudbeds::parse_webhook(&fixture("cloudbeds/webhook_created.json")).unwrap();
    assert_eq!(h.timestamp, Some(at("2026-06-01T09:30:00.073195Z")));
    assert_eq!(
        h.event_id(),
        relais_pms::cloudbeds::parse_webhook(&fixture("cloudbeds/webhook_created.json")).unwrap().event_id()
    );
}
