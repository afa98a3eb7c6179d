//! Shared test helpers: the test property, a fixed clock, fixtures, requests.
#![allow(dead_code)]

pub mod fake;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use relais_app::ports::{Clock, InboundRequest};
use relais_domain::{PmsCredentials, Property, Reservation, RotatedSecret, Unit};

pub const SECRET: &str = "s3cret-token";
pub const OLD_SECRET: &str = "old-secret";

pub struct FixedClock(pub DateTime<Utc>);
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn clock(s: &str) -> Arc<dyn Clock> {
    Arc::new(FixedClock(at(s)))
}

pub fn property(pms: &str, api_base: Option<String>, values: &[(&str, &str)]) -> Property {
    Property {
        id: "p-lis".into(),
        account_id: Some("acc-1".into()),
        name: "Casa Azul Lisboa".into(),
        time_zone: "Europe/Lisbon".parse().unwrap(),
        check_in_time: "15:00".parse().unwrap(),
        check_out_time: "11:00".parse().unwrap(),
        pms: pms.into(),
        webhook_secret: Some(SECRET.into()),
        previous_webhook_secret: Some(RotatedSecret {
            secret: OLD_SECRET.into(),
            valid_until: at("2026-06-02T00:00:00Z"),
        }),
        units: vec![
            Unit { id: "101".into(), name: Some("Room 101".into()) },
            Unit { id: "102".into(), name: Some("Room 102".into()) },
        ],
        pms_credentials: Some(PmsCredentials {
            api_base,
            values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }),
        default_guest_language: None,
        quiet_hours: None,
    }
}

pub fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(manifest_dir()).join("../../tests/fixtures/pms").join(rel)
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture_path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn fixture_json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn expected(rel: &str) -> Reservation {
    serde_json::from_slice(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn request(body: Vec<u8>, token: Option<&str>) -> InboundRequest {
    let mut query = BTreeMap::new();
    if let Some(t) = token {
        query.insert("token".to_string(), t.to_string());
    }
    let mut headers = BTreeMap::new();
    headers.insert("content-type".to_string(), "application/json".to_string());
    InboundRequest { headers, query, body }
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
