//! A booking deleted in the PMS without its data (Smoobu `deleteReservation` without dates)
//! cancels the reservation Relais stored, through the real intake route: its scheduled
//! messages end `canceled` and are never sent.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use relais_app::intake::handle_pms_webhook;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::simulate::{SimulationOutput, setup};
use relais_domain::validate::parse_scenario;
use relais_domain::{MessageState, ReservationStatus};
use relais_pms::PmsAdapters;
use serde_json::json;
use support::*;

fn scenario() -> serde_json::Value {
    json!({
        "version": 1, "start": "2026-06-01T00:00:00Z", "end": "2026-06-20T00:00:00Z", "sweep_every_minutes": 5,
        "account": {"id": "acc-1", "name": "Casa Azul Hotels"},
        "users": [{"id": "u-ed", "role": "editor"}, {"id": "u-ap", "role": "approver"}],
        "properties": [{"id": "p-lis", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon",
            "check_in_time": "15:00", "check_out_time": "11:00", "pms": "smoobu", "webhook_secret": SECRET,
            "units": [{"id": "101"}, {"id": "102"}]}],
        "chatbots": [{"id": "bot-1", "property_ids": ["p-lis"], "languages": ["en", "pt"],
            "sms": {"sender": "+15550001111"}}],
        "campaigns": [{"id": "eve", "created_by": "u-ed", "approve": true, "category": "pre_stay",
            "name": "The evening before", "property_id": "p-lis", "chatbot_id": "bot-1",
            "period": {"start": null, "end": null},
            "trigger": {"type": "relative", "anchor": "check_in", "offset_days": -1, "at": "18:00"},
            "target": {"statuses": ["confirmed"]},
            "channel": {"primary": "sms", "fallback": null},
            "messages": {"en": {"sms": {"type": "text", "body": "See you tomorrow, {{guest_first_name}}!"}}}}],
        "events": []
    })
}

async fn runtime(now: &str) -> LocalRuntime {
    let (scenario, _) = parse_scenario(&scenario()).unwrap_or_else(|e| panic!("{e:?}"));
    let clock = clock(now);
    let runtime = LocalRuntime::new(LocalParts {
        vendors: Some(Arc::new(PmsAdapters::new(clock.clone()).unwrap())),
        ..LocalParts::in_memory(clock.clone())
    });
    setup(&runtime.app, &scenario, &mut SimulationOutput::default()).await.unwrap();
    runtime
}

fn deletion_without_dates() -> Vec<u8> {
    serde_json::to_vec(&json!({
        "action": "deleteReservation",
        "user": 7021,
        "data": {"id": 291, "modifiedAt": "2026-06-02 10:00:00"}
    }))
    .unwrap()
}

#[tokio::test]
async fn a_deletion_without_the_booking_cancels_the_stored_reservation_and_its_messages() {
    let rt = runtime("2026-06-02T09:00:00Z").await;
    let stored =
        handle_pms_webhook(&rt.app, "smoobu", "p-lis", &request(fixture("smoobu/new_reservation.json"), Some(SECRET)))
            .await;
    assert_eq!(stored.status, 200, "{:?}", stored.body);
    rt.drain().await.unwrap();
    let messages = rt.store.all_messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].state, MessageState::Scheduled);

    let reply = handle_pms_webhook(&rt.app, "smoobu", "p-lis", &request(deletion_without_dates(), Some(SECRET))).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.body["result"], "stored", "{:?}", reply.body);
    rt.drain().await.unwrap();

    let record = rt.app.store.get_reservation("p-lis", "291").await.unwrap().unwrap();
    assert_eq!(record.reservation.status, ReservationStatus::Canceled);
    assert_eq!(record.reservation.guest.first_name, "Ana", "the stored data is kept");
    let messages = rt.store.all_messages();
    assert_eq!(messages[0].state, MessageState::Canceled, "{:?}", messages[0]);

    // The PMS retries the same deletion: nothing changes.
    let again = handle_pms_webhook(&rt.app, "smoobu", "p-lis", &request(deletion_without_dates(), Some(SECRET))).await;
    assert_eq!(again.body["result"], "duplicate", "{:?}", again.body);
}

#[tokio::test]
async fn a_deletion_of_a_booking_relais_never_saw_changes_nothing() {
    let rt = runtime("2026-06-02T09:00:00Z").await;
    let reply = handle_pms_webhook(&rt.app, "smoobu", "p-lis", &request(deletion_without_dates(), Some(SECRET))).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["result"], "ignored", "{:?}", reply.body);
    assert!(rt.app.store.get_reservation("p-lis", "291").await.unwrap().is_none());
    // A wrong token is still refused before anything else.
    let refused =
        handle_pms_webhook(&rt.app, "smoobu", "p-lis", &request(deletion_without_dates(), Some("nope"))).await;
    assert_eq!(refused.status, 401);
}
