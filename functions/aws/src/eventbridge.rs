//! EventBridge [`EventBus`]: `ReservationChanged` events on the Relais bus.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use relais_app::ports::{EventBus, ReservationChanged};

pub const SOURCE: &str = "relais.pms";
pub const DETAIL_TYPE: &str = "ReservationChanged";

#[derive(Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> EventBridgeBus {
        EventBridgeBus { client, bus_name: bus_name.into() }
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn publish(&self, event: &ReservationChanged) -> Result<(), String> {
        let detail = serde_json::to_string(event).map_err(|e| e.to_string())?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .detail(detail)
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(event.at.timestamp_millis()))
            .build();
        let out = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| format!("eventbridge put_events: {}", DisplayErrorContext(&e)))?;
        if out.failed_entry_count() > 0 {
            let reason = out
                .entries()
                .iter()
                .filter_map(|e| e.error_code().map(|c| format!("{c}: {}", e.error_message().unwrap_or(""))))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(format!("eventbridge put_events: {} entry failed: {reason}", out.failed_entry_count()));
        }
        Ok(())
    }
}
