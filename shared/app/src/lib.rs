//! Relais services over ports, and the embedded adapters.

pub mod ports;
