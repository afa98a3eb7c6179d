//! Sweep cost against the number of reservations: with the same number of messages due, a
//! sweep over 100k reservations must cost about what it costs over 10k (it reads a due index,
//! never all reservations).

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use relais_app::embedded::VirtualClock;
use relais_app::engine::run_sweep;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_domain::{Message, MessageState, Occurrence};

const DUE: usize = 200;

fn runtime(reservations: usize) -> (LocalRuntime, tokio::runtime::Runtime) {
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let clock = Arc::new(VirtualClock::new(now));
    let runtime = LocalRuntime::new(LocalParts { ..LocalParts::in_memory(clock.clone()) });
    tokio.block_on(async {
        for i in 0..reservations {
            // One open message per reservation; DUE of them are due now, the rest in the future.
            let due_at = if i < DUE { now - Duration::minutes(1) } else { now + Duration::days(1 + (i % 90) as i64) };
            let message = Message {
                id: format!("c~p~r{i}~p0"),
                campaign_id: "c".into(),
                reservation_id: format!("r{i}"),
                property_id: "p".into(),
                occurrence: Occurrence::Planned { n: 0 },
                anchor_date: None,
                due_at,
                held_from: None,
                expires_at: due_at + Duration::days(7),
                state: MessageState::Scheduled,
                reason: None,
                language: None,
                channel: None,
                attempts: vec![],
                retries: 0,
                version: 0,
                timeline: vec![],
                taps: vec![],
            };
            runtime.app.store.create_message(&message).await.unwrap();
        }
    });
    (runtime, tokio)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("sweep");
    for reservations in [10_000usize, 100_000] {
        let (runtime, tokio) = runtime(reservations);
        group.bench_with_input(BenchmarkId::new("due_200_of", reservations), &reservations, |b, _| {
            b.iter(|| {
                tokio.block_on(async {
                    let report = run_sweep(&runtime.app).await.unwrap();
                    assert_eq!(report.enqueued, DUE);
                    runtime.queue.take_ready(Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()).len()
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
