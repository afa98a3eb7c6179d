//! PMS vendor adapters behind the [`PmsVendors`] port, and the Custom CSV importer.
//!
//! [`PmsAdapters`] handles the route segments `smoobu`, `mews` and `cloudbeds` of
//! `POST /webhooks/pms/{pms}/{property_id}`:
//!
//! 1. authenticate the webhook with the secret token in the registered URL
//!    (`?token=<property webhook secret>`, constant time, previous secret accepted during a
//!    rotation) — see [`auth`]; then check the vendor account the payload names against the
//!    one pinned in the property's credentials, when there is one;
//! 2. parse the vendor payload (400 naming the field when it is malformed);
//! 3. Smoobu: map the booking carried by the webhook. Mews, Cloudbeds: fetch the reservation
//!    (and guest) from the vendor API with the property's credentials (`PmsCredentials`), then
//!    map. Vendor API down, 5xx, throttled, timed out, credentials refused:
//!    [`VendorError::Unavailable`] (the route answers 5xx, the PMS retries, nothing stored).
//!
//! Mapping code is pure (no clock, no network): `smoobu::map_webhook`, `mews::map_all`,
//! `cloudbeds::map_reservation`. The clock is read once per call, in `to_canonical`, for the
//! secret rotation window only.
//!
//! A deletion whose payload no longer carries the booking (Smoobu `deleteReservation` without
//! dates, Cloudbeds `reservation/deleted` that the API no longer returns) is
//! [`VendorError::Deleted`]: intake cancels the reservation it stored under that id.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use relais_app::ports::{Clock, InboundRequest, PmsVendors, VendorError, VendorEvent};
use relais_domain::Property;

pub mod auth;
pub mod cloudbeds;
pub mod common;
pub mod csv_import;
mod http;
pub mod mews;
pub mod smoobu;

pub use csv_import::{CsvMapping, CsvReport, RejectedRow, parse_csv, parse_csv_at};

/// The route segments this crate adapts.
pub const VENDORS: [&str; 3] = ["smoobu", "mews", "cloudbeds"];

/// Tunables of the vendor API calls.
#[derive(Debug, Clone)]
pub struct AdapterConfig {
    /// Timeout of each vendor API request. Mews wants a webhook answered within 5 s.
    pub request_timeout: Duration,
    /// Mews `Limitation.Count` (1..=1000).
    pub mews_page_size: u32,
    /// Mews `Client` when the property's credentials do not name one.
    pub mews_client_name: String,
}

impl Default for AdapterConfig {
    fn default() -> Self {
        AdapterConfig {
            request_timeout: Duration::from_secs(4),
            mews_page_size: 100,
            mews_client_name: format!("Relais {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// The [`PmsVendors`] implementation: build once per process (it holds the HTTP client).
pub struct PmsAdapters {
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    config: AdapterConfig,
}

impl PmsAdapters {
    pub fn new(clock: Arc<dyn Clock>) -> Result<Self, String> {
        Self::with_config(clock, AdapterConfig::default())
    }

    pub fn with_config(clock: Arc<dyn Clock>, config: AdapterConfig) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.request_timeout)
            .user_agent(config.mews_client_name.clone())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(PmsAdapters { http, clock, config })
    }

    async fn mews(&self, property: &Property, request: &InboundRequest) -> Result<Vec<VendorEvent>, VendorError> {
        let hook = mews::parse_webhook(&request.body)?;
        auth::check_account(
            common::credential(property, &mews::ENTERPRISE_ID),
            hook.enterprise_id.as_deref(),
            "Mews enterprise",
        )?;
        let client = mews::MewsClient::for_property(
            &self.http,
            property,
            &self.config.mews_client_name,
            self.config.mews_page_size,
            self.config.request_timeout,
        )?;
        let data = mews::fetch(&client, property, &hook).await?;
        let events = mews::map_all(property, &data)?;
        if events.is_empty() {
            return Err(VendorError::Ignored("no confirmed reservation behind this Mews webhook".into()));
        }
        Ok(events)
    }

    async fn cloudbeds(&self, property: &Property, request: &InboundRequest) -> Result<Vec<VendorEvent>, VendorError> {
        let hook = cloudbeds::parse_webhook(&request.body)?;
        auth::check_account(
            common::credential(property, &cloudbeds::PROPERTY_ID),
            hook.property_id.as_deref(),
            "Cloudbeds property",
        )?;
        match cloudbeds::fetch(&self.http, property, &hook, self.config.request_timeout).await? {
            Some(data) => Ok(vec![cloudbeds::map_reservation(property, &hook, &data)?]),
            None if hook.is_deleted() => {
                Err(VendorError::Deleted { event_id: hook.event_id(), reservation_id: hook.reservation_id.clone() })
            }
            None => {
                Err(VendorError::Ignored(format!("Cloudbeds no longer returns reservation for event {}", hook.event)))
            }
        }
    }
}

#[async_trait]
impl PmsVendors for PmsAdapters {
    fn supports(&self, pms: &str) -> bool {
        VENDORS.contains(&pms)
    }

    async fn to_canonical(
        &self,
        pms: &str,
        property: &Property,
        request: &InboundRequest,
    ) -> Result<Vec<VendorEvent>, VendorError> {
        if !self.supports(pms) {
            return Err(VendorError::BadPayload { field: "pms".into(), message: format!("no adapter for {pms:?}") });
        }
        // Authenticate before looking at the body.
        auth::check_url_token(property, request, self.clock.now())?;
        let result = match pms {
            "smoobu" => smoobu::map_webhook(property, &request.body),
            "mews" => self.mews(property, request).await,
            _ => self.cloudbeds(property, request).await,
        };
        match &result {
            Ok(events) => {
                tracing::info!(pms, property_id = %property.id, events = events.len(), "vendor webhook mapped")
            }
            Err(e) => tracing::info!(pms, property_id = %property.id, outcome = %e, "vendor webhook not mapped"),
        }
        result
    }
}
