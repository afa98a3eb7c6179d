//! Several concurrent dispatchers share one sender: the fake provider records arrival times and
//! the per-sender rate holds. Dispatchers that are refused locally re-queue (here: wait the
//! returned delay, as the queue's delay would) instead of the sender sleeping.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use relais_app::ports::{ChannelSender, SendOutcome, SendRequest};
use relais_channels::{RateLimit, RateLimiter, WhatsAppClient, template_name};
use relais_domain::Channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_sender_rate_holds_across_concurrent_dispatchers() {
    let (base, meta) = fake_meta().await;
    let name = template_name("rate", 1);
    meta.add_approved(&name, "en", 0);
    let limit = RateLimit { per_second: 10.0, burst: 5.0 };
    let client = Arc::new(
        WhatsAppClient::new(&base, META_VERSION, META_TOKEN, http(2_000))
            .with_rate_limiter(Arc::new(RateLimiter::new(limit))),
    );

    const DISPATCHERS: usize = 4;
    const PER_DISPATCHER: usize = 6;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for d in 0..DISPATCHERS {
        let client = client.clone();
        let name = name.clone();
        tasks.push(tokio::spawn(async move {
            let mut local_refusals = 0u32;
            for i in 0..PER_DISPATCHER {
                let req = SendRequest {
                    key: format!("m-{d}-{i}:whatsapp"),
                    channel: Channel::Whatsapp,
                    to: format!("+35191234{d}{i:03}"),
                    from: PHONE_NUMBER_ID.into(),
                    language: "en".into(),
                    body: "Hello".into(),
                    template_name: Some(name.clone()),
                    parameters: vec![],
                    button_payloads: Vec::new(),
                    status_callback: None,
                };
                loop {
                    match client.send(&req).await {
                        SendOutcome::Accepted { .. } => break,
                        SendOutcome::Transient { code, retry_after_seconds, .. } if code == "rate_limited_local" => {
                            local_refusals += 1;
                            assert!(retry_after_seconds.unwrap_or(0) >= 1);
                            // Stand-in for the queue's redelivery delay, shortened for the test.
                            tokio::time::sleep(Duration::from_millis(20 + (d as u64) * 7)).await;
                        }
                        other => panic!("{other:?}"),
                    }
                    assert!(started.elapsed() < Duration::from_secs(20), "test bound");
                }
            }
            local_refusals
        }));
    }
    let mut refusals = 0;
    for t in tasks {
        refusals += t.await.unwrap_or(0);
    }
    assert!(refusals > 0, "the limiter had to refuse some sends");

    let mut arrivals: Vec<Instant> = meta.sends().iter().map(|r| r.at).collect();
    arrivals.sort();
    assert_eq!(arrivals.len(), DISPATCHERS * PER_DISPATCHER, "every message sent exactly once");
    // Token bucket: in any window of length T, at most burst + rate * T sends (+2 for scheduling
    // jitter between the limiter's decision and the server's clock on a loaded machine).
    for i in 0..arrivals.len() {
        for j in i..arrivals.len() {
            let window = arrivals[j].duration_since(arrivals[i]).as_secs_f64();
            let allowed = limit.burst + limit.per_second * window + 2.0;
            let count = (j - i + 1) as f64;
            assert!(count <= allowed, "{count} sends in {window:.3}s (allowed {allowed:.1})");
        }
    }
    // 24 messages at 10/s with a burst of 5 take at least ~1.9 s.
    let span = arrivals[arrivals.len() - 1].duration_since(arrivals[0]).as_secs_f64();
    assert!(span >= 1.5, "span {span:.3}s");
}
