//! Relais domain: every rule of the specification, pure (no clock reads, no network, no AWS).
//! Time is always passed in.

pub mod backoff;
pub mod catalogue;
pub mod conditions;
pub mod delivery;
pub mod document;
pub mod formats;
pub mod ids;
pub mod intake;
pub mod language;
pub mod model;
pub mod notices;
pub mod opt_out;
pub mod planner;
pub mod scenario;
pub mod sms;
pub mod stats;
pub mod template;
pub mod time;
pub mod validate;
pub mod whatsapp;

pub use model::*;
