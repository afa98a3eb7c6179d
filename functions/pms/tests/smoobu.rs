// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod support;

use relais_app::ports::{InboundRequest, PmsVendors, VendorError};
use relais_domain::ReservationStatus;
use relais_pms::PmsAdapters;
use support::*;

fn adapters(now: &str) -> PmsAdapters {
    PmsAdapters::new(clock(now)).unwrap()
}

async fn run(body: Vec<u8>, token: Option<&str>) -> Result<Vec<relais_app::ports::VendorEvent>, VendorError> {
    let p = property("smoobu", None, &[("user_id", "7021")]);
    adapters("2026-06-01T12:00:00Z").to_canonical("smoobu", &p, &request(body, token)).await
}

fn field_of(e: VendorError) -> String {
    match e {
        VendorError::BadPayload { field, .. } => field,
        other => panic!("expected BadPayload, got {other:?}"),
    }
}

#[tokio::test]
async fn fixtures_map_to_the_expected_canonical_reservations() {
    for name in ["new_reservation", "update_reservation", "cancel_reservation"] {
        let events = run(fixture(&format!("smoobu/{name}.json")), Some(SECRET)).await.unwrap();
        assert_eq!(events.len(), 1, "{name}");
        assert_eq!(events[0].reservation, expected(&format!("smoobu/{name}.expected.json")), "{name}");
        assert!(events[0].event_id.starts_with("smoobu-"));
    }
}

#[tokio::test]
async fn event_id_is_stable_and_follows_modified_at() {
    let body = fixture("smoobu/new_reservation.json");
    let a = run(body.clone(), Some(SECRET)).await.unwrap();
    let b = run(body.clone(), Some(SECRET)).await.unwrap();
    assert_eq!(a[0].event_id, b[0].event_id);
    let mut v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["data"]["modifiedAt"] = "2026-06-01 11:00".into();
    let c = run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap();
    assert_ne!(a[0].event_id, c[0].event_id);
    assert_eq!(c[0].reservation.updated_at, at("2026-06-01T10:00:00Z"));
    // same booking, other action: another event
    v["action"] = "updateReservation".into();
    let d = run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap();
    assert_ne!(c[0].event_id, d[0].event_id);
}

#[tokio::test]
async fn modified_at_formats_are_accepted_in_the_property_time_zone() {
    let mut v = fixture_json("smoobu/new_reservation.json");
    for (raw, utc) in [
        ("2026-06-01 10:05", "2026-06-01T09:05:00Z"),
        ("2026-06-01 10:05:30", "2026-06-01T09:05:30Z"),
        ("2026-06-01T10:05:30", "2026-06-01T09:05:30Z"),
        ("2026-06-01T10:05:30+02:00", "2026-06-01T08:05:30Z"),
        ("2026-01-15 10:05", "2026-01-15T10:05:00Z"), // winter: Lisbon is UTC
    ] {
        v["data"]["modifiedAt"] = raw.into();
        let e = run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap();
        assert_eq!(e[0].reservation.updated_at, at(utc), "{raw}");
    }
    v["data"]["modifiedAt"] = "last tuesday".into();
    assert_eq!(field_of(run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap_err()), "data.modifiedAt");
    v["data"].as_object_mut().unwrap().remove("modifiedAt");
    v["data"].as_object_mut().unwrap().remove("created-at");
    assert_eq!(field_of(run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap_err()), "data.modifiedAt");
}

#[tokio::test]
async fn type_cancellation_cancels_even_on_update() {
    let mut v = fixture_json("smoobu/update_reservation.json");
    v["data"]["type"] = "cancellation".into();
    let e = run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap();
    assert_eq!(e[0].reservation.status, ReservationStatus::Canceled);
}

#[tokio::test]
async fn blocks_rates_and_messages_are_ignored() {
    assert!(matches!(run(fixture("smoobu/blocked.json"), Some(SECRET)).await, Err(VendorError::Ignored(_))));
    assert!(matches!(run(fixture("smoobu/update_rates.json"), Some(SECRET)).await, Err(VendorError::Ignored(_))));
    let msg = br#"{"action":"newMessage","user":7021,"data":{"id":1}}"#.to_vec();
    assert!(matches!(run(msg, Some(SECRET)).await, Err(VendorError::Ignored(_))));
}

#[tokio::test]
async fn unknown_action_or_type_is_a_bad_payload_naming_the_field() {
    let mut v = fixture_json("smoobu/new_reservation.json");
    v["action"] = "archiveReservation".into();
    assert_eq!(field_of(run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap_err()), "action");
    let mut v = fixture_json("smoobu/new_reservation.json");
    v["data"]["type"] = "quote".into();
    assert_eq!(field_of(run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap_err()), "data.type");
    let mut v = fixture_json("smoobu/new_reservation.json");
    v["data"]["departure"] = "2026-06-09".into();
    assert_eq!(field_of(run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap_err()), "data.departure");
    let mut v = fixture_json("smoobu/new_reservation.json");
    v["data"]["adults"] = "two".into();
    assert_eq!(field_of(run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap_err()), "data.adults");
    assert_eq!(field_of(run(b"not json".to_vec(), Some(SECRET)).await.unwrap_err()), "body");
    assert_eq!(field_of(run(br#"{"user":1}"#.to_vec(), Some(SECRET)).await.unwrap_err()), "action");
}

#[tokio::test]
async fn unknown_channels_are_other_and_missing_phone_country_code_is_dropped() {
    let mut v = fixture_json("smoobu/new_reservation.json");
    v["data"]["channel"]["name"] = "Agoda".into();
    v["data"]["phone"] = "912 345 678".into();
    let e = run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await.unwrap();
    assert_eq!(e[0].reservation.source, relais_domain::Source::Other);
    assert_eq!(e[0].reservation.guest.phone, None);
}

#[tokio::test]
async fn token_is_required_and_checked_with_rotation() {
    let body = fixture("smoobu/new_reservation.json");
    assert!(matches!(run(body.clone(), None).await, Err(VendorError::Unauthorized(_))));
    assert!(matches!(run(body.clone(), Some("wrong")).await, Err(VendorError::Unauthorized(_))));
    assert!(matches!(run(body.clone(), Some("")).await, Err(VendorError::Unauthorized(_))));
    // previous secret: valid until 2026-06-02T00:00Z
    assert!(run(body.clone(), Some(OLD_SECRET)).await.is_ok());
    let p = property("smoobu", None, &[]);
    let late =
        adapters("2026-06-02T00:00:01Z").to_canonical("smoobu", &p, &request(body.clone(), Some(OLD_SECRET))).await;
    assert!(matches!(late, Err(VendorError::Unauthorized(_))));
    // bare `?<secret>` form
    let mut req = request(body.clone(), None);
    req.query.insert(SECRET.to_string(), String::new());
    assert!(adapters("2026-06-01T12:00:00Z").to_canonical("smoobu", &p, &req).await.is_ok());
    // authentication comes before parsing
    assert!(matches!(run(b"garbage".to_vec(), Some("wrong")).await, Err(VendorError::Unauthorized(_))));
    // no secret on the property at all
    let mut bare = property("smoobu", None, &[]);
    bare.webhook_secret = None;
    bare.previous_webhook_secret = None;
    let r = adapters("2026-06-01T12:00:00Z").to_canonical("smoobu", &bare, &request(body, Some(SECRET))).await;
    assert!(matches!(r, Err(VendorError::Unauthorized(_))));
}

#[tokio::test]
async fn another_smoobu_account_is_refused() {
    let mut v = fixture_json("smoobu/new_reservation.json");
    v["user"] = 9999.into();
    assert!(matches!(run(serde_json::to_vec(&v).unwrap(), Some(SECRET)).await, Err(VendorError::Unauthorized(_))));
}

#[tokio::test]
async fn supports_only_the_three_vendors() {
    let a = adapters("2026-06-01T12:00:00Z");
    for v in ["smoobu", "mews", "cloudbeds"] {
        assert!(a.supports(v));
    }
    for v in ["canonical", "sihot", "custom_csv", ""] {
        assert!(!a.supports(v));
    }
    let p = property("sihot", None, &[]);
    let r = a.to_canonical("sihot", &p, &InboundRequest::default()).await;
    assert!(matches!(r, Err(VendorError::BadPayload { .. })));
}
