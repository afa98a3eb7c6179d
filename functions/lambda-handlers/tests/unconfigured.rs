//! In AWS a provider without settings never pretends: its sends are refused with
//! `channel_not_configured` (so the SMS fallback goes out, or the message fails, on the
//! timeline) and a WhatsApp approval is refused with 409 (the campaign stays pending).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use relais_app::embedded::VirtualClock;
use relais_app::engine;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::simulate::{Point, SimulationOutput, apply_event, setup, timeline};
use relais_channels::UnconfiguredChannel;
use relais_domain::{Channel, MessageState};
use relais_http::CallbackSettings;
use relais_lambda::LambdaApp;
use serde_json::{Value, json};

#[tokio::test]
async fn an_unconfigured_whatsapp_falls_back_to_sms_and_never_records_a_send() {
    let doc = support::scenario("whatsapp-reject-fallback.json");
    let (scenario, _) = relais_domain::validate::parse_scenario(&doc).unwrap();
    let clock = Arc::new(VirtualClock::new(scenario.start));
    let mut runtime = LocalRuntime::new(LocalParts::in_memory(clock.clone()));
    let mut bodies = setup(&runtime.app, &scenario, &mut SimulationOutput::default()).await.unwrap();
    runtime.drain().await.unwrap();
    // The deployment's WhatsApp has no settings.
    runtime.app.whatsapp = Arc::new(UnconfiguredChannel::new(Channel::Whatsapp));
    for point in timeline(&scenario) {
        clock.set(point.at());
        match point {
            Point::Event(_, event) => apply_event(&runtime.app, &scenario, &mut bodies, event).await.unwrap(),
            Point::Sweep(_) => {
                engine::run_sweep(&runtime.app).await.unwrap();
            }
        }
        runtime.drain().await.unwrap();
    }
    let messages = runtime.store.all_messages();
    let of = |campaign: &str| messages.iter().filter(|m| m.campaign_id == campaign).collect::<Vec<_>>();
    assert!(!of("wa-only").is_empty() && !of("wa-sms").is_empty());
    for m in of("wa-only") {
        assert_eq!(m.state, MessageState::Failed, "{m:?}");
        assert_eq!(m.reason.as_deref(), Some("whatsapp_failed:channel_not_configured"));
    }
    for m in of("wa-sms") {
        assert_eq!(m.channel, Some(Channel::Sms), "{m:?}");
        assert_eq!(m.reason.as_deref(), Some("fallback_after:whatsapp_failed"));
        assert!(m.attempts.iter().any(|a| a.error.as_deref() == Some("channel_not_configured")));
    }
    assert!(
        runtime.outbox.records().iter().all(|r| r.request.channel != Channel::Whatsapp),
        "no WhatsApp send was recorded"
    );
}

#[tokio::test]
async fn an_unconfigured_whatsapp_refuses_the_approval() {
    let mut doc = support::scenario("whatsapp-reject-fallback.json");
    for campaign in doc["campaigns"].as_array_mut().unwrap() {
        campaign["approve"] = json!(false);
    }
    let (scenario, _) = relais_domain::validate::parse_scenario(&doc).unwrap();
    let clock = Arc::new(VirtualClock::new(scenario.start));
    let runtime = LocalRuntime::new(LocalParts {
        whatsapp: Some(Arc::new(UnconfiguredChannel::new(Channel::Whatsapp))),
        ..LocalParts::in_memory(clock.clone())
    });
    setup(&runtime.app, &scenario, &mut SimulationOutput::default()).await.unwrap();
    let approver = scenario.users.iter().find(|u| u.role == relais_domain::Role::Approver).unwrap();
    let router = relais_lambda::http_router(&LambdaApp::new(runtime.app.clone(), CallbackSettings::default()));
    let mut request = support::fixture("apigw-v2-campaigns-jwt.json");
    let path = "/campaigns/wa-only/approve";
    request["routeKey"] = json!("POST /campaigns/{id}/{action}");
    request["rawPath"] = json!(path);
    request["requestContext"]["http"]["method"] = json!("POST");
    request["requestContext"]["http"]["path"] = json!(path);
    request["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = json!(approver.id);
    request["requestContext"]["authorizer"]["jwt"]["claims"]["account_id"] = json!(scenario.account.id);
    request["requestContext"]["authorizer"]["jwt"]["claims"]["role"] = json!("approver");
    request["body"] = json!("{}");
    let (status, reply) = support::call(router, &request).await;
    assert_eq!(status, 409, "{reply}");
    assert!(reply["error"]["message"].as_str().unwrap_or("").contains("not configured"), "{reply}");
    let campaign = runtime.app.store.get_campaign("wa-only").await.unwrap().unwrap();
    assert_eq!(serde_json::to_value(campaign.status).unwrap(), Value::from("pending"));
}
