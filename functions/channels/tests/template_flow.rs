//! Campaign approval with Meta (SPEC 2.4): approving a WhatsApp campaign registers one template
//! per language with the real client against a fake Graph API; the campaign becomes active only
//! when Meta approves every language (template status webhook), and is rejected with Meta's
//! reason otherwise. Then the approved template is what the dispatcher sends.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use common::*;
use relais_app::campaigns::{self, Actor};
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_channels::{WhatsAppClient, template_name};
use relais_domain::{CampaignStatus, TemplateReviewStatus};
use serde_json::json;

async fn runtime(meta_base: &str) -> LocalRuntime {
    runtime_and_clock(meta_base).await.0
}

async fn runtime_and_clock(meta_base: &str) -> (LocalRuntime, Arc<VirtualClock>) {
    let clock = Arc::new(VirtualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()));
    let whatsapp = WhatsAppClient::new(meta_base, META_VERSION, META_TOKEN, http(2_000));
    let rt =
        LocalRuntime::new(LocalParts { whatsapp: Some(Arc::new(whatsapp)), ..LocalParts::in_memory(clock.clone()) });
    let scenario = json!({
        "version": 1, "start": "2026-06-01T00:00:00Z", "end": "2026-06-20T00:00:00Z",
        "account": {"id": "acc", "name": "Casa"},
        "users": [{"id": "ed", "role": "editor", "email": "ed@example.com", "email_notifications": true}, {"id": "ap", "role": "approver"}],
        "properties": [{"id": "p", "name": "Casa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
                        "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s"}],
        "chatbots": [{"id": "bot", "property_ids": ["p"], "languages": ["pt"],
                      "whatsapp": {"phone_number_id": PHONE_NUMBER_ID, "waba_id": WABA_ID}, "sms": {"sender": "+15550001111"}}],
        "campaigns": [], "events": []
    });
    let (scenario, _) = relais_domain::validate::parse_scenario(&scenario).unwrap();
    relais_app::simulate::setup(&rt.app, &scenario, &mut Default::default()).await.unwrap();
    (rt, clock)
}

fn campaign_body() -> serde_json::Value {
    json!({"category": "pre_stay", "name": "Welcome", "property_id": "p", "chatbot_id": "bot",
           "trigger": {"type": "status_change"}, "target": {"status": "confirmed"},
           "channel": {"primary": "whatsapp", "fallback": "sms"},
           "messages": {"en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}, see you on {{check_in_date}}"},
                               "sms": {"type": "text", "body": "Hi {{guest_first_name}}"}},
                        "pt": {"whatsapp": {"type": "text", "body": "Olá {{guest_first_name}}, até {{check_in_date}}"},
                               "sms": {"type": "text", "body": "Olá {{guest_first_name}}"}}}})
}

#[tokio::test]
async fn active_only_once_meta_approves_every_language() {
    let (base, meta) = fake_meta().await;
    let rt = runtime(&base).await;
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let approver = Actor::load(&rt.app, "ap").await.unwrap();
    let c = campaigns::create(&rt.app, &editor, &campaign_body(), Some("welcome".into())).await.unwrap();
    campaigns::submit(&rt.app, &editor, &c.id, None).await.unwrap();
    let c = campaigns::approve(&rt.app, &approver, &c.id, None).await.unwrap();

    // Approved by the approver, registered with Meta in both languages, not active yet.
    assert_eq!(c.status, CampaignStatus::Pending);
    assert!(c.awaiting_meta);
    let name = template_name("welcome", c.template_revision.unwrap());
    let registered: Vec<(String, String)> = lock(&meta.templates)
        .iter()
        .map(|t| (t.request["name"].as_str().unwrap().to_string(), t.request["language"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(registered, vec![(name.clone(), "en".to_string()), (name.clone(), "pt_PT".to_string())]);
    assert_eq!(lock(&meta.templates)[1].request["components"][0]["text"], "Olá {{1}}, até {{2}}");
    // A second approval while Meta reviews is refused.
    assert!(campaigns::approve(&rt.app, &approver, &c.id, None).await.is_err());

    // Meta approves one language: still waiting; then the other: active.
    let c = campaigns::on_template_status(&rt.app, &name, "pt_PT", "APPROVED", None).await.unwrap().unwrap();
    assert_eq!(c.status, CampaignStatus::Pending);
    assert_eq!(c.whatsapp_templates["pt"].status, TemplateReviewStatus::Approved);
    let c = campaigns::on_template_status(&rt.app, &name, "en", "APPROVED", None).await.unwrap().unwrap();
    assert_eq!(c.status, CampaignStatus::Active);
    assert!(!c.awaiting_meta);
    // A repeated status changes nothing.
    let again = campaigns::on_template_status(&rt.app, &name, "en", "APPROVED", None).await.unwrap().unwrap();
    assert_eq!(again.version, c.version);
    // Unknown templates are ignored.
    assert!(campaigns::on_template_status(&rt.app, "someone_else", "en", "APPROVED", None).await.unwrap().is_none());
}

#[tokio::test]
async fn a_meta_rejection_rejects_the_campaign_with_metas_reason() {
    let (base, _meta) = fake_meta().await;
    let rt = runtime(&base).await;
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let approver = Actor::load(&rt.app, "ap").await.unwrap();
    let c = campaigns::create(&rt.app, &editor, &campaign_body(), Some("promo".into())).await.unwrap();
    campaigns::submit(&rt.app, &editor, &c.id, None).await.unwrap();
    let c = campaigns::approve(&rt.app, &approver, &c.id, None).await.unwrap();
    let name = template_name("promo", c.template_revision.unwrap());
    let c = campaigns::on_template_status(&rt.app, &name, "pt_PT", "REJECTED", Some("INVALID_FORMAT"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, CampaignStatus::Rejected);
    assert!(c.rejection_reason.as_deref().unwrap().contains("INVALID_FORMAT"), "{:?}", c.rejection_reason);
    let notes = rt.app.store.list_notifications("ed").await.unwrap();
    assert!(notes.iter().any(|n| n.kind == "campaign_rejected" && n.body.contains("INVALID_FORMAT")));
    assert!(rt.mail.mails().iter().any(|m| m.to == "ed@example.com" && m.subject.contains("rejected")));
    // The editor fixes it and submits again; a new revision is registered.
    campaigns::submit(&rt.app, &editor, &c.id, None).await.unwrap();
    let c2 = campaigns::approve(&rt.app, &approver, &c.id, None).await.unwrap();
    assert_ne!(c2.template_revision, c.template_revision);
    // A late status about the old revision is ignored.
    assert!(campaigns::on_template_status(&rt.app, &name, "en", "APPROVED", None).await.unwrap().is_none());
}

#[tokio::test]
async fn the_sweep_polls_meta_at_most_every_10_minutes_when_the_webhook_never_comes() {
    let (base, meta) = fake_meta().await;
    let (rt, clock) = runtime_and_clock(&base).await;
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let approver = Actor::load(&rt.app, "ap").await.unwrap();
    let c = campaigns::create(&rt.app, &editor, &campaign_body(), Some("polled".into())).await.unwrap();
    campaigns::submit(&rt.app, &editor, &c.id, None).await.unwrap();
    let c = campaigns::approve(&rt.app, &approver, &c.id, None).await.unwrap();
    let name = template_name("polled", c.template_revision.unwrap());
    let polls = || {
        lock(&meta.requests)
            .iter()
            .filter(|r| r.path == format!("/{META_VERSION}/{WABA_ID}/message_templates") && r.body.is_empty())
            .count()
    };
    let before = polls();

    // Still under review: the sweep asks, the campaign keeps waiting.
    let report = relais_app::engine::run_sweep(&rt.app).await.unwrap();
    assert_eq!(report.meta_polled, 1);
    assert_eq!(polls(), before + 1);
    // Sweeps every 5 minutes: Meta is asked at most every 10.
    clock.set(rt.app.clock.now() + chrono::Duration::minutes(5));
    assert_eq!(relais_app::engine::run_sweep(&rt.app).await.unwrap().meta_polled, 0);
    assert_eq!(polls(), before + 1);
    // Meta approves both languages; no webhook is ever sent. The next poll activates it.
    meta.approve(&name, "en");
    meta.approve(&name, "pt_PT");
    clock.set(rt.app.clock.now() + chrono::Duration::minutes(5));
    assert_eq!(relais_app::engine::run_sweep(&rt.app).await.unwrap().meta_polled, 1);
    let c = rt.app.store.get_campaign("polled").await.unwrap().unwrap();
    assert_eq!(c.status, CampaignStatus::Active, "{c:?}");
    assert!(!c.awaiting_meta);
    // Active: no more polling.
    clock.set(rt.app.clock.now() + chrono::Duration::minutes(15));
    assert_eq!(relais_app::engine::run_sweep(&rt.app).await.unwrap().meta_polled, 0);
    assert!(rt.app.store.campaigns_awaiting_meta().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_rejection_found_by_polling_rejects_the_campaign() {
    let (base, meta) = fake_meta().await;
    let (rt, _clock) = runtime_and_clock(&base).await;
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let approver = Actor::load(&rt.app, "ap").await.unwrap();
    let c = campaigns::create(&rt.app, &editor, &campaign_body(), Some("polled-no".into())).await.unwrap();
    campaigns::submit(&rt.app, &editor, &c.id, None).await.unwrap();
    let c = campaigns::approve(&rt.app, &approver, &c.id, None).await.unwrap();
    let name = template_name("polled-no", c.template_revision.unwrap());
    meta.set_status(&name, "pt_PT", "REJECTED", Some("INVALID_FORMAT"));
    relais_app::engine::run_sweep(&rt.app).await.unwrap();
    let c = rt.app.store.get_campaign("polled-no").await.unwrap().unwrap();
    assert_eq!(c.status, CampaignStatus::Rejected);
    assert!(c.rejection_reason.as_deref().unwrap().contains("INVALID_FORMAT"));
}
