//! Relais services over ports, and the embedded adapters.
//!
//! Every Lambda handler and the local runner build one [`App`] (adapters built once per
//! process) and call the service functions with it.

use std::sync::Arc;

pub mod campaigns;
pub mod chaos;
pub mod clock;
pub mod embedded;
pub mod engine;
pub mod intake;
pub mod local;
pub mod ports;
pub mod reservations;
pub mod season;
pub mod simulate;
pub mod stats;
/// The contract suite every `Store` keeps (tests; `contract` feature for adapter crates).
#[cfg(any(test, feature = "contract"))]
pub mod store_contract;
pub mod taps;

use ports::{ChannelSender, Clock, EventBus, Mailer, PmsVendors, Store, WorkQueue};

/// Deployment settings the services need (SPEC 5.1).
#[derive(Debug, Clone, Default)]
pub struct AppConfig {
    /// Public base URL (status callback URLs); `None` locally.
    pub public_url: Option<String>,
    /// Properties the webhook intake may reuse for a while (the pms-webhook function).
    pub property_cache: Option<Arc<intake::PropertyCache>>,
}

/// The adapters, built once per process.
#[derive(Clone)]
pub struct App {
    pub store: Arc<dyn Store>,
    pub bus: Arc<dyn EventBus>,
    pub queue: Arc<dyn WorkQueue>,
    pub whatsapp: Arc<dyn ChannelSender>,
    pub sms: Arc<dyn ChannelSender>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: Arc<dyn Clock>,
    pub vendors: Option<Arc<dyn PmsVendors>>,
    pub config: AppConfig,
}
