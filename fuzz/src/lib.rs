//! Helpers shared by the fuzz targets: the test property, a fixed clock and input splitting.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use relais_app::ports::Clock;
use relais_domain::Property;
use serde_json::{Value, json};

/// The webhook secret of the fuzzed property, and the one being rotated out.
pub const SECRET: &str = "s3cret";
pub const OLD_SECRET: &str = "old-s3cret";

/// The instant every target runs at (signatures must be fresh at it).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).single().expect("valid instant")
}

pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock(now()))
}

/// `p-lis` (Europe/Lisbon, units 101 and 102) connected to `pms`, with no vendor API
/// credentials: the targets never reach the network.
pub fn property(pms: &str) -> Property {
    serde_json::from_value(json!({
        "id": "p-lis", "account_id": "acc-1", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon",
        "check_in_time": "15:00", "check_out_time": "11:00", "pms": pms, "webhook_secret": SECRET,
        "previous_webhook_secret": {"secret": OLD_SECRET, "valid_until": "2026-06-02T00:00:00Z"},
        "units": [{"id": "101", "name": "Room 101"}, {"id": "102", "name": "Room 102"}]
    }))
    .expect("the fuzz property is valid")
}

/// Split at the first NUL byte: (head, tail). No NUL: (all, empty).
pub fn split_nul(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// Split off the first line (without its `\n`).
pub fn split_line(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// JSON or `Value::Null`.
pub fn json_or_null(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or(Value::Null)
}
