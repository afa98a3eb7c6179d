//! The exactly-once harness on the DynamoDB store (moto): every claim is a conditional write
//! against DynamoDB. Generated schedules with two dispatchers racing on due messages, the same
//! SQS batch replayed to two dispatchers at once, overlapping sweeps, redeliveries and crashed
//! claims; then the same with store and provider faults. Zero duplicate sends, nothing lost.
//!
//! `RELAIS_MOTO_CASES` sets the number of schedules of each suite (default 2: the quick suite;
//! infra/reliability.sh runs more).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};

use relais_app::ports::{Clock, Store};
use relais_aws::{DynamoStore, create_table};
use support::harness::{Backend, Suite, env_count, run_suite};

/// A fresh table per schedule; the previous schedule's table is deleted.
fn dynamo(url: String) -> Backend {
    let previous: Arc<Mutex<Option<String>>> = Arc::default();
    Box::new(move |clock| {
        let (url, previous) = (url.clone(), previous.clone());
        Box::pin(async move {
            let config = support::sdk_config(&url).await;
            let client = aws_sdk_dynamodb::Client::new(&config);
            let old = previous.lock().unwrap().take();
            if let Some(old) = old {
                let _ = client.delete_table().table_name(old).send().await;
            }
            let table = support::unique("exactly-once");
            create_table(&client, &table).await.unwrap();
            *previous.lock().unwrap() = Some(table.clone());
            let clock: Arc<dyn Clock> = clock;
            Arc::new(DynamoStore::new(client, table, clock)) as Arc<dyn Store>
        })
    })
}

#[test]
fn dynamodb_claims_never_twice_never_lost() {
    let Some(url) = support::moto_url() else { return };
    let suite = Suite {
        name: "moto",
        cases: env_count("RELAIS_MOTO_CASES", 2),
        max_ops: 40,
        store_faults_per_mille: 0,
        provider_faults_per_mille: 0,
        compact: true,
    };
    let totals = run_suite(&suite, dynamo(url));
    assert_eq!(totals.cases, u64::from(suite.cases));
}

#[test]
fn dynamodb_with_store_and_provider_faults_never_twice_never_lost() {
    let Some(url) = support::moto_url() else { return };
    let suite = Suite {
        name: "moto+faults",
        cases: env_count("RELAIS_MOTO_CASES", 2),
        max_ops: 40,
        store_faults_per_mille: 50,
        provider_faults_per_mille: 150,
        compact: true,
    };
    run_suite(&suite, dynamo(url));
}
