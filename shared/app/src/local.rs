//! The whole product in one process on embedded adapters: the event bus feeds the evaluator
//! and the work queue feeds the dispatcher, in the same process, exactly as EventBridge -> SQS
//! -> Lambda do in AWS. Used by `relais simulate` (virtual clock) and `relais serve`.

use std::sync::Arc;

use relais_domain::Channel;

use crate::embedded::{MailOutbox, MemoryBus, MemoryQueue, MemoryStore, OutboxChannel};
use crate::engine::{self, EngineError, EngineResult};
use crate::ports::{ChannelSender, Clock, PmsVendors, ReservationChanged};
use crate::{App, AppConfig};

/// An [`App`] on embedded adapters, plus handles on them.
pub struct LocalRuntime {
    pub app: App,
    pub store: Arc<MemoryStore>,
    pub bus: Arc<MemoryBus>,
    pub queue: Arc<MemoryQueue>,
    pub outbox: Arc<OutboxChannel>,
    pub mail: Arc<MailOutbox>,
    failed_events: std::sync::Mutex<Vec<ReservationChanged>>,
}

/// Like an SQS visibility timeout: a job whose handling failed is seen again this much later.
pub const REDELIVERY_DELAY_SECONDS: u32 = 30;

/// What the local runtime is built from.
pub struct LocalParts {
    pub store: Arc<MemoryStore>,
    pub clock: Arc<dyn Clock>,
    pub outbox: OutboxChannel,
    /// Real channels when configured (SPEC 5.1); the outbox otherwise.
    pub whatsapp: Option<Arc<dyn ChannelSender>>,
    pub sms: Option<Arc<dyn ChannelSender>>,
    pub mail: MailOutbox,
    pub vendors: Option<Arc<dyn PmsVendors>>,
    pub config: AppConfig,
    pub whatsapp_rejects: Vec<String>,
    pub sms_rejects: Vec<String>,
}

impl LocalParts {
    /// A fresh in-memory store, the outbox for both channels, no PMS adapters, default
    /// settings: override the fields a use needs (`LocalParts { sms: ..., ..in_memory(clock) }`).
    pub fn in_memory(clock: Arc<dyn Clock>) -> LocalParts {
        LocalParts {
            store: Arc::new(MemoryStore::new()),
            outbox: OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock.clone()),
            clock,
            whatsapp: None,
            sms: None,
            mail: MailOutbox::new(None),
            vendors: None,
            config: AppConfig::default(),
            whatsapp_rejects: Vec::new(),
            sms_rejects: Vec::new(),
        }
    }
}

impl LocalRuntime {
    pub fn new(parts: LocalParts) -> LocalRuntime {
        let bus = Arc::new(MemoryBus::default());
        let queue = Arc::new(MemoryQueue::new(parts.clock.clone()));
        let whatsapp_outbox = parts.outbox.sibling(Channel::Whatsapp, parts.whatsapp_rejects);
        let sms_outbox = parts.outbox.sibling(Channel::Sms, parts.sms_rejects);
        let outbox = Arc::new(parts.outbox);
        let mail = Arc::new(parts.mail);
        let app = App {
            store: parts.store.clone(),
            bus: bus.clone(),
            queue: queue.clone(),
            whatsapp: parts.whatsapp.unwrap_or_else(|| Arc::new(whatsapp_outbox)),
            sms: parts.sms.unwrap_or_else(|| Arc::new(sms_outbox)),
            mailer: mail.clone(),
            clock: parts.clock,
            vendors: parts.vendors,
            config: parts.config,
        };
        LocalRuntime {
            app,
            store: parts.store,
            bus,
            queue,
            outbox,
            mail,
            failed_events: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Deliver every pending event and every visible job, until nothing is left (events
    /// create jobs; jobs may create more jobs, e.g. a fallback).
    pub async fn drain(&self) -> EngineResult<()> {
        loop {
            let events = self.bus.take_all();
            let jobs = self.queue.take_ready(self.app.clock.now());
            if events.is_empty() && jobs.is_empty() {
                return Ok(());
            }
            // Concurrently, as Lambda runs concurrent invocations: the writes of different
            // reservations and messages share commits on a persisted store. A reservation's
            // own events stay in order. On a store in memory nothing waits, so each runs to
            // its end in turn and the output keeps its order (`relais simulate`).
            let mut by_reservation: Vec<Vec<&ReservationChanged>> = Vec::new();
            for event in &events {
                let same = |group: &&mut Vec<&ReservationChanged>| {
                    group.first().is_some_and(|first| {
                        first.property_id == event.property_id && first.reservation_id == event.reservation_id
                    })
                };
                match by_reservation.iter_mut().find(same) {
                    Some(group) => group.push(event),
                    None => by_reservation.push(vec![event]),
                }
            }
            futures::future::join_all(by_reservation.into_iter().map(|group| async move {
                for event in group {
                    if let Err(e) = engine::on_reservation_changed(&self.app, event).await {
                        // As EventBridge -> SQS would: the event comes back after a visibility timeout.
                        tracing::warn!(error = %e, "evaluator failed; event redelivered later");
                        self.redeliver_event(event.clone());
                    }
                }
            }))
            .await;
            let failed = futures::future::join_all(jobs.iter().map(|job| async move {
                let result = engine::dispatch(&self.app, job).await;
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "dispatch failed; job redelivered later");
                }
                result.err().map(|_| job)
            }))
            .await;
            for job in failed.into_iter().flatten() {
                use crate::ports::WorkQueue;
                self.queue.enqueue(job, REDELIVERY_DELAY_SECONDS).await.map_err(EngineError::Transport)?;
            }
        }
    }

    fn redeliver_event(&self, event: ReservationChanged) {
        self.failed_events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(event);
    }

    /// Hand events whose evaluation failed back to the bus (the next drain retries them).
    pub async fn retry_failed_events(&self) -> EngineResult<()> {
        let events: Vec<ReservationChanged> =
            std::mem::take(&mut *self.failed_events.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
        for event in &events {
            use crate::ports::EventBus;
            self.bus.publish(event).await.map_err(EngineError::Transport)?;
        }
        self.drain().await
    }

    /// One sweep, then everything it queued.
    pub async fn sweep(&self) -> EngineResult<engine::SweepReport> {
        let report = engine::run_sweep(&self.app).await?;
        self.drain().await?;
        Ok(report)
    }
}
