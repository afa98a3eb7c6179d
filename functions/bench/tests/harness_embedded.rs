//! The exactly-once harness on the embedded store, through the Lambda handlers (webhooks via
//! the HTTP router, SQS batches to the evaluator and dispatcher, replayed batches to two
//! dispatchers at once): without faults, and with the store and the providers failing and
//! throttling at random. Once faults stop, nothing was sent twice and nothing was lost.
//!
//! `RELAIS_HARNESS_CASES` sets the number of schedules of each suite (default 32).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use relais_app::embedded::MemoryStore;
use relais_app::ports::Store;
use support::harness::{Backend, Suite, env_count, run_suite};

fn embedded() -> Backend {
    Box::new(|_clock| Box::pin(async { Arc::new(MemoryStore::new()) as Arc<dyn Store> }))
}

#[test]
fn lambda_handlers_never_twice_never_lost() {
    let suite = Suite {
        name: "embedded",
        cases: env_count("RELAIS_HARNESS_CASES", 32),
        max_ops: 60,
        store_faults_per_mille: 0,
        provider_faults_per_mille: 0,
        compact: false,
    };
    let totals = run_suite(&suite, embedded());
    assert!(totals.sends > 0, "the schedules sent nothing: {totals:?}");
}

#[test]
fn store_and_provider_faults_never_twice_never_lost() {
    let suite = Suite {
        name: "embedded+faults",
        cases: env_count("RELAIS_HARNESS_CASES", 32),
        max_ops: 60,
        store_faults_per_mille: 50,
        provider_faults_per_mille: 150,
        compact: false,
    };
    let totals = run_suite(&suite, embedded());
    assert!(totals.provider_faults > 0 && totals.sends > 0, "no fault was injected or nothing sent: {totals:?}");
}

/// The compact calendar and the until-final ending, as the moto suites use them, on the
/// embedded store (so that a moto failure can be told from a harness one).
#[test]
fn compact_schedules_until_final_never_twice_never_lost() {
    let suite = Suite {
        name: "embedded-compact+faults",
        cases: env_count("RELAIS_HARNESS_CASES", 32),
        max_ops: 40,
        store_faults_per_mille: 50,
        provider_faults_per_mille: 150,
        compact: true,
    };
    run_suite(&suite, embedded());
}
