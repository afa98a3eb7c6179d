//! Shared set-up of the engine tests: a one-property account with an SMS `status_change`
//! campaign, and signed canonical webhooks for it.
#![allow(dead_code, clippy::unwrap_used)]

use chrono::{DateTime, Utc};
use relais_app::App;
use relais_app::intake::handle_pms_webhook;
use relais_app::ports::InboundRequest;
use serde_json::{Value, json};

/// The property's webhook secret.
pub const SECRET: &str = "s";

/// Account `a`, property `p` (UTC), chatbot `bot` with an SMS sender, and campaign `hello`:
/// "Hello {{guest_first_name}}" by SMS on every transition into `confirmed`, approved.
pub async fn sms_on_confirmation(app: &App) {
    let scenario = json!({
        "version": 1, "start": "2026-06-01T00:00:00Z", "end": "2026-06-02T00:00:00Z",
        "account": {"id": "a", "name": "A"},
        "users": [{"id": "ed", "role": "editor"}, {"id": "ap", "role": "approver"}],
        "properties": [{"id": "p", "name": "P", "time_zone": "UTC", "check_in_time": "15:00", "check_out_time": "11:00",
                        "pms": "mews", "webhook_secret": SECRET}],
        "chatbots": [{"id": "bot", "property_ids": ["p"], "sms": {"sender": "+15550001111"}}],
        "campaigns": [{"id": "hello", "created_by": "ed", "approve": true, "category": "pre_stay", "name": "Hello",
            "property_id": "p", "chatbot_id": "bot", "trigger": {"type": "status_change"}, "target": {"status": "confirmed"},
            "channel": {"primary": "sms", "fallback": null},
            "messages": {"en": {"sms": {"type": "text", "body": "Hello {{guest_first_name}}"}}}}],
        "events": []
    });
    let (scenario, _) = relais_domain::validate::parse_scenario(&scenario).unwrap();
    relais_app::simulate::setup(app, &scenario, &mut Default::default()).await.unwrap();
}

/// Deliver a signed canonical webhook confirming reservation `id` of property `p` at `at`;
/// asserts it is answered 200.
pub async fn confirm(app: &App, event_id: &str, id: &str, first_name: &str, phone: &str, at: DateTime<Utc>) {
    let body: Value = json!({"event_id": event_id, "occurred_at": at, "reservation": {
        "id": id, "property_id": "p", "source": "direct", "status": "confirmed",
        "check_in": "2026-06-10", "check_out": "2026-06-12", "updated_at": at,
        "guest": {"first_name": first_name, "last_name": "Silva", "phone": phone}}});
    let body = serde_json::to_vec(&body).unwrap();
    let mut request = InboundRequest { body: body.clone(), ..Default::default() };
    request.headers.insert("x-relais-timestamp".into(), at.timestamp().to_string());
    request.headers.insert("x-relais-signature".into(), relais_domain::intake::sign(SECRET, at.timestamp(), &body));
    assert_eq!(handle_pms_webhook(app, "canonical", "p", &request).await.status, 200);
}
