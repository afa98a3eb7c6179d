//! Per-sender rate limit across concurrent dispatchers (SPEC 3): however many dispatchers
//! work at once, a sender never sends more than its rate in any second; nothing is lost, the
//! rest goes in the following seconds, and no retry is spent on it.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use relais_app::embedded::VirtualClock;
use relais_app::engine;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{ChannelSender, Clock, DispatchJob, DispatchReason, SendOutcome, SendRequest};
use relais_domain::MessageState;

/// A provider that allows `RATE` messages per second per sender and records arrival times.
struct Provider {
    clock: Arc<VirtualClock>,
    arrivals: Mutex<Vec<(DateTime<Utc>, String)>>,
}

const RATE: u32 = 3;

#[async_trait]
impl ChannelSender for Provider {
    async fn send(&self, request: &SendRequest) -> SendOutcome {
        // Yield so that concurrent dispatchers interleave here, as real HTTP calls do.
        tokio::task::yield_now().await;
        self.arrivals.lock().unwrap().push((self.clock.now(), request.from.clone()));
        SendOutcome::Accepted { provider_message_id: request.key.clone() }
    }
    fn max_per_second(&self, _sender: &str) -> Option<u32> {
        Some(RATE)
    }
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_dispatchers_respect_the_sender_rate() {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(VirtualClock::new(start));
    let provider = Arc::new(Provider { clock: clock.clone(), arrivals: Mutex::new(Vec::new()) });
    let rt = LocalRuntime::new(LocalParts { sms: Some(provider.clone()), ..LocalParts::in_memory(clock.clone()) });
    // Ten guests confirmed at once; a status_change campaign on SMS sends to each right away.
    support::sms_on_confirmation(&rt.app).await;
    for i in 0..10 {
        support::confirm(&rt.app, &format!("e{i}"), &format!("r{i}"), "G", &format!("+1555000010{i}"), start).await;
    }
    // Evaluate the changes, then let four dispatchers race over the same jobs every second.
    for event in rt.bus.take_all() {
        engine::on_reservation_changed(&rt.app, &event).await.unwrap();
    }
    for second in 0..10 {
        clock.set(start + Duration::seconds(second));
        let jobs = rt.queue.take_ready(clock.now());
        let mut workers = Vec::new();
        for worker in 0..4 {
            let jobs: Vec<DispatchJob> = jobs.iter().skip(worker).step_by(4).cloned().collect();
            let app = rt.app.clone();
            workers.push(async move {
                for job in jobs {
                    engine::dispatch(&app, &job).await.unwrap();
                    // SQS at-least-once: some jobs arrive twice.
                    engine::dispatch(&app, &DispatchJob { reason: DispatchReason::Due, ..job }).await.unwrap();
                }
            });
        }
        futures_join_all(workers).await;
    }
    let arrivals = provider.arrivals.lock().unwrap().clone();
    let mut per_second: BTreeMap<i64, u32> = BTreeMap::new();
    for (at, _) in &arrivals {
        *per_second.entry(at.timestamp()).or_default() += 1;
    }
    assert!(per_second.values().all(|n| *n <= RATE), "{per_second:?}");
    assert_eq!(arrivals.len(), 10, "every guest got the message exactly once");
    assert!(per_second.len() >= 4, "ten messages at three per second take at least four seconds: {per_second:?}");
    for message in rt.store.all_messages() {
        assert_eq!(message.state, MessageState::Sent);
        assert_eq!(message.retries, 0);
    }
}

async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: Vec<F>) {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    // Poll all together on this thread (interleaving at every await), like concurrent workers.
    let mut pending: Vec<_> = set.into_iter().map(Some).collect();
    std::future::poll_fn(move |cx| {
        let mut all_done = true;
        for slot in pending.iter_mut() {
            if let Some(f) = slot {
                if f.as_mut().poll(cx).is_ready() {
                    *slot = None;
                } else {
                    all_done = false;
                }
            }
        }
        if all_done { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await
}
