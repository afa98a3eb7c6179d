//! The Store contract and the due-index catch-up, against DynamoDB on a moto server.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use relais_app::clock::SystemClock;
use relais_app::embedded::VirtualClock;
use relais_app::ports::{Clock, Store};
use relais_app::store_contract;
use relais_aws::{DynamoStore, create_table};
use relais_domain::MessageState;

async fn store_with(clock: Arc<dyn Clock>) -> Option<(DynamoStore, aws_sdk_dynamodb::Client)> {
    let url = support::moto_url()?;
    let config = support::sdk_config(&url).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = support::unique("relais-test");
    assert!(create_table(&client, &table).await.unwrap(), "table created");
    assert!(!create_table(&client, &table).await.unwrap(), "create_table is idempotent");
    Some((DynamoStore::new(client.clone(), table, clock), client))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_store_keeps_the_store_contract() {
    let Some((store, _)) = store_with(Arc::new(SystemClock)).await else { return };
    store_contract::run_store_contract(Arc::new(store)).await;
}

#[tokio::test]
async fn table_has_the_indexes_and_ttl() {
    let Some((store, client)) = store_with(Arc::new(SystemClock)).await else { return };
    let out = client.describe_table().table_name(store.table()).send().await.unwrap();
    let table = out.table().unwrap();
    let mut names: Vec<&str> = table.global_secondary_indexes().iter().filter_map(|g| g.index_name()).collect();
    names.sort();
    assert_eq!(names, vec!["DUE", "GSI1", "GSI2", "GSI3", "GSI4", "OPEN"]);
    let ttl = client.describe_time_to_live().table_name(store.table()).send().await.unwrap();
    let spec = ttl.time_to_live_description().unwrap();
    assert_eq!(spec.attribute_name(), Some("ttl"));
}

/// Sweeps that stop for hours lose nothing: a message scheduled in an hour bucket is still found
/// when the next sweep comes much later, moves to the already-due partitions, and the floor of
/// the bucketed index moves on so later sweeps query only recent buckets.
#[tokio::test]
async fn late_sweeps_lose_nothing_and_the_floor_moves_on() {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 9, 10, 0).single().unwrap();
    let clock = Arc::new(VirtualClock::new(start));
    let Some((store, client)) = store_with(clock.clone()).await else { return };
    let due = start + Duration::minutes(30);
    let m = store_contract::message("late-1", "c1", "p1", "r1", due);
    let far = store_contract::message("far-1", "c1", "p1", "r2", start + Duration::days(10));
    assert!(store.create_message(&m).await.unwrap());
    assert!(store.create_message(&far).await.unwrap());
    let raw = client.get_item().table_name(store.table()).key("PK", attr("MSG#late-1")).key("SK", attr("MESSAGE"));
    let item = raw.clone().send().await.unwrap().item.unwrap();
    assert!(item.contains_key("DUEPK"), "a future scheduled message is in its hour bucket");
    assert!(!item.contains_key("OPENPK"));

    assert!(store.due_messages(start).await.unwrap().is_empty(), "nothing due yet");
    // The sweeps stop; five hours later one runs.
    clock.set(start + Duration::hours(5));
    let due_now = store.due_messages(clock.now()).await.unwrap();
    assert_eq!(due_now.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), vec!["late-1"]);
    let item = raw.clone().send().await.unwrap().item.unwrap();
    assert!(item.contains_key("OPENPK") && !item.contains_key("DUEPK"), "an overdue message moved to OPEN");
    let floor = client.get_item().table_name(store.table()).key("PK", attr("META#DUEFLOOR")).key("SK", attr("META"));
    let floor_item = floor.send().await.unwrap().item.unwrap();
    assert_eq!(floor_item.get("bucket"), Some(&attr("2026-06-01T13")), "the floor moved to an hour before now");
    // Still due at the next sweep until handled, then gone.
    clock.set(start + Duration::hours(5) + Duration::minutes(5));
    assert_eq!(store.due_messages(clock.now()).await.unwrap().len(), 1);
    let mut sent = m.clone();
    sent.version = 1;
    sent.transition(clock.now(), MessageState::Sent, None);
    store.update_message(&sent, 0).await.unwrap();
    assert!(store.due_messages(clock.now()).await.unwrap().is_empty());
    let item = raw.send().await.unwrap().item.unwrap();
    assert!(!item.contains_key("OPENPK") && !item.contains_key("DUEPK"), "a sent message is in no due index");
    // The far message is found on its day.
    clock.set(start + Duration::days(10) + Duration::minutes(2));
    let due_then = store.due_messages(clock.now()).await.unwrap();
    assert_eq!(due_then.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), vec!["far-1"]);
}

fn attr(v: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}
