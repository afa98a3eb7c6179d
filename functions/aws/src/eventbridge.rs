//! EventBridge [`EventBus`]: `ReservationChanged` events on the Relais bus (source
//! `relais.pms`) and `GuestChoseFlow` for the chatbot platform (source `relais.chatbot`).

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use relais_app::ports::{EventBus, GuestChoseFlow, ReservationChanged};

pub const SOURCE: &str = "relais.pms";
pub const DETAIL_TYPE: &str = "ReservationChanged";
/// A guest tapped a flow button: the chatbot platform's rule on the bus picks it up.
pub const FLOW_SOURCE: &str = "relais.chatbot";
pub const FLOW_DETAIL_TYPE: &str = "GuestChoseFlow";

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
        self.put(SOURCE, DETAIL_TYPE, detail, event.at.timestamp_millis()).await
    }

    async fn publish_flow_choice(&self, event: &GuestChoseFlow) -> Result<(), String> {
        let detail = serde_json::to_string(event).map_err(|e| e.to_string())?;
        self.put(FLOW_SOURCE, FLOW_DETAIL_TYPE, detail, event.at.timestamp_millis()).await
    }
}

impl EventBridgeBus {
    async fn put(&self, source: &str, detail_type: &str, detail: String, at_millis: i64) -> Result<(), String> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(source)
            .detail_type(detail_type)
            .detail(detail)
            .time(aws_sdk_eventbridge::primitives::DateTime::from_millis(at_millis))
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
