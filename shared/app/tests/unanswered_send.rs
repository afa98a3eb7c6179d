//! A send whose answer is lost (the provider accepted it, then the connection timed out) must
//! not reach the guest twice: the provider's status report carries our send key, settles the
//! message as sent while it waits for its retry, and the retry finds nothing to send.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use relais_app::embedded::VirtualClock;
use relais_app::engine::{self, StatusUpdate};
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{ChannelSender, Clock, SendOutcome, SendRequest};
use relais_domain::{Message, MessageState};

/// Accepts every message, but the answer to the first one never arrives (a timeout).
#[derive(Default)]
struct LossyProvider {
    sends: Mutex<Vec<SendRequest>>,
}

#[async_trait]
impl ChannelSender for LossyProvider {
    async fn send(&self, request: &SendRequest) -> SendOutcome {
        let mut sends = self.sends.lock().unwrap();
        sends.push(request.clone());
        if sends.len() == 1 {
            return SendOutcome::Transient {
                code: "timeout".into(),
                detail: "no answer".into(),
                retry_after_seconds: Some(120),
            };
        }
        SendOutcome::Accepted { provider_message_id: format!("SM{}", sends.len()) }
    }
}

struct Harness {
    rt: LocalRuntime,
    clock: Arc<VirtualClock>,
    provider: Arc<LossyProvider>,
}

impl Harness {
    fn message(&self) -> Message {
        let messages = self.rt.store.all_messages();
        assert_eq!(messages.len(), 1, "{messages:?}");
        messages[0].clone()
    }

    fn sends(&self) -> Vec<SendRequest> {
        self.provider.sends.lock().unwrap().clone()
    }

    async fn later(&self, seconds: i64) {
        self.clock.set(self.clock.now() + Duration::seconds(seconds));
        self.rt.drain().await.unwrap();
    }

    async fn report(&self, provider_message_id: &str, status: MessageState, send_key: Option<String>) {
        let update = StatusUpdate {
            provider_message_id: provider_message_id.into(),
            status,
            error_code: None,
            opted_out: false,
            send_key,
        };
        engine::apply_status(&self.rt.app, &update).await.unwrap();
    }
}

/// One guest confirmed; a status_change campaign sends an SMS right away, and times out.
async fn harness() -> Harness {
    let start = Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0).unwrap();
    let clock = Arc::new(VirtualClock::new(start));
    let provider = Arc::new(LossyProvider::default());
    let rt = LocalRuntime::new(LocalParts { sms: Some(provider.clone()), ..LocalParts::in_memory(clock.clone()) });
    support::sms_on_confirmation(&rt.app).await;
    support::confirm(&rt.app, "e1", "r1", "Ana", "+15550001001", start).await;
    rt.drain().await.unwrap();
    let h = Harness { rt, clock, provider };
    assert_eq!(h.sends().len(), 1);
    let waiting = h.message();
    assert_eq!(waiting.state, MessageState::Scheduled);
    assert_eq!(waiting.reason.as_deref(), Some("retrying:timeout"));
    h
}

#[tokio::test]
async fn the_status_report_of_a_timed_out_send_settles_it_and_the_retry_sends_nothing() {
    let h = harness().await;
    let key = h.sends()[0].key.clone();
    h.later(5).await;
    h.report("SMlost", MessageState::Sent, Some(key)).await;
    let settled = h.message();
    assert_eq!(settled.state, MessageState::Sent, "{settled:?}");
    assert_eq!(settled.reason, None);
    assert_eq!(settled.attempts.last().and_then(|a| a.provider_message_id.as_deref()), Some("SMlost"));

    h.later(600).await;
    assert_eq!(h.sends().len(), 1, "the guest got the message once");
    // Later statuses of that copy apply as for any send.
    h.report("SMlost", MessageState::Delivered, None).await;
    assert_eq!(h.message().state, MessageState::Delivered);
}

#[tokio::test]
async fn without_a_report_the_retry_sends_after_the_wait() {
    let h = harness().await;
    h.later(60).await;
    assert_eq!(h.sends().len(), 1, "not before the provider's report had time to arrive");
    h.later(600).await;
    assert_eq!(h.sends().len(), 2);
    assert_eq!(h.message().state, MessageState::Sent);
}

#[tokio::test]
async fn a_failed_copy_or_a_key_of_a_settled_message_changes_nothing() {
    let h = harness().await;
    let key = h.sends()[0].key.clone();
    h.report("SMlost", MessageState::Failed, Some(key.clone())).await;
    assert_eq!(h.message().state, MessageState::Scheduled, "the retry still goes");
    h.later(600).await;
    assert_eq!(h.sends().len(), 2);
    let sent = h.message();
    assert_eq!(sent.state, MessageState::Sent);
    // A late report of the lost copy once the retry went: the message keeps its own send.
    h.report("SMlost", MessageState::Delivered, Some(key)).await;
    assert_eq!(h.message(), sent);
}
