//! Meta's review of a campaign's WhatsApp templates (SPEC 2.4): its verdict applies only to a
//! campaign that is still `pending` and awaiting Meta for that exact template revision. Leaving
//! `pending` (archive, reject) or changing what guests get drops the wait, and a late verdict
//! is ignored. Approvers are asked only about campaigns they may see.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use relais_app::campaigns::{self, Actor};
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{ChannelSender, SendOutcome, SendRequest, TemplateOutcome, TemplateRequest};
use relais_domain::whatsapp::template_name;
use relais_domain::{Campaign, CampaignStatus};
use serde_json::json;

/// WhatsApp as Meta answers a registration: accepted, under review (the verdict comes later).
#[derive(Default)]
struct MetaUnderReview {
    registered: Mutex<Vec<String>>,
}

#[async_trait]
impl ChannelSender for MetaUnderReview {
    async fn send(&self, request: &SendRequest) -> SendOutcome {
        SendOutcome::Accepted { provider_message_id: request.key.clone() }
    }
    async fn register_template(&self, request: &TemplateRequest) -> TemplateOutcome {
        self.registered.lock().unwrap().push(request.name.clone());
        TemplateOutcome::Pending
    }
}

struct Setup {
    rt: LocalRuntime,
    meta: Arc<MetaUnderReview>,
    editor: Actor,
    approver: Actor,
}

async fn setup() -> Setup {
    let clock = Arc::new(VirtualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()));
    let meta = Arc::new(MetaUnderReview::default());
    let rt = LocalRuntime::new(LocalParts { whatsapp: Some(meta.clone()), ..LocalParts::in_memory(clock.clone()) });
    let scenario = json!({
        "version": 1, "start": "2026-06-01T00:00:00Z", "end": "2026-06-20T00:00:00Z",
        "account": {"id": "acc", "name": "Casa"},
        "users": [{"id": "ed", "role": "editor"},
                  {"id": "ap", "role": "approver"},
                  {"id": "ap-porto", "role": "approver", "property_ids": ["porto"]},
                  {"id": "admin-porto", "role": "admin", "property_ids": ["porto"]}],
        "properties": [{"id": "lisboa", "name": "Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
                        "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s"},
                       {"id": "porto", "name": "Porto", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
                        "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s"}],
        "chatbots": [{"id": "bot", "property_ids": ["lisboa", "porto"],
                      "whatsapp": {"phone_number_id": "1098765", "waba_id": "2098765"}}],
        "campaigns": [], "events": []
    });
    let (scenario, _) = relais_domain::validate::parse_scenario(&scenario).unwrap();
    relais_app::simulate::setup(&rt.app, &scenario, &mut Default::default()).await.unwrap();
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let approver = Actor::load(&rt.app, "ap").await.unwrap();
    Setup { rt, meta, editor, approver }
}

fn campaign_body(name: &str, body: &str) -> serde_json::Value {
    json!({"category": "pre_stay", "name": name, "property_id": "lisboa", "chatbot_id": "bot",
           "trigger": {"type": "status_change"}, "target": {"status": "confirmed"},
           "channel": {"primary": "whatsapp", "fallback": null},
           "messages": {"en": {"whatsapp": {"type": "text", "body": body}}}})
}

const BODY: &str = "Hi {{guest_first_name}}, see you on {{check_in_date}}";

impl Setup {
    /// Created, submitted and approved by the approver: `pending`, waiting for Meta's review.
    async fn awaiting_meta(&self, id: &str) -> (Campaign, String) {
        let c = campaigns::create(&self.rt.app, &self.editor, &campaign_body("Welcome", BODY), Some(id.into()))
            .await
            .unwrap();
        campaigns::submit(&self.rt.app, &self.editor, &c.id, None).await.unwrap();
        let c = campaigns::approve(&self.rt.app, &self.approver, &c.id, None).await.unwrap();
        assert_eq!(c.status, CampaignStatus::Pending);
        assert!(c.awaiting_meta);
        let name = template_name(&c.id, c.template_revision.unwrap());
        (c, name)
    }

    async fn stored(&self, id: &str) -> Campaign {
        self.rt.app.store.get_campaign(id).await.unwrap().unwrap()
    }

    async fn notifications(&self, user: &str, kind: &str) -> usize {
        let notes = self.rt.app.store.list_notifications(user).await.unwrap();
        notes.iter().filter(|n| n.kind == kind).count()
    }
}

#[tokio::test]
async fn metas_approval_after_archiving_leaves_the_campaign_archived() {
    let s = setup().await;
    let (c, name) = s.awaiting_meta("welcome").await;
    let c = campaigns::archive(&s.rt.app, &s.editor, &c.id, None).await.unwrap();
    assert_eq!(c.status, CampaignStatus::Archived);
    assert!(!c.awaiting_meta, "an archived campaign waits for nothing");

    campaigns::on_template_status(&s.rt.app, &name, "en", "APPROVED", None).await.unwrap();
    let c = s.stored("welcome").await;
    assert_eq!(c.status, CampaignStatus::Archived);
    assert_eq!(c.activated_at, None);
    assert_eq!(s.notifications("ed", "campaign_active").await, 0);
}

#[tokio::test]
async fn metas_rejection_after_archiving_leaves_the_campaign_archived() {
    let s = setup().await;
    let (c, name) = s.awaiting_meta("welcome").await;
    campaigns::archive(&s.rt.app, &s.editor, &c.id, None).await.unwrap();

    campaigns::on_template_status(&s.rt.app, &name, "en", "REJECTED", Some("INVALID_FORMAT")).await.unwrap();
    let c = s.stored("welcome").await;
    assert_eq!(c.status, CampaignStatus::Archived);
    assert_eq!(c.rejection_reason, None);
}

#[tokio::test]
async fn metas_approval_after_an_approver_rejected_leaves_the_campaign_rejected() {
    let s = setup().await;
    let (c, name) = s.awaiting_meta("welcome").await;
    let c = campaigns::reject(&s.rt.app, &s.approver, &c.id, "wrong dates", None).await.unwrap();
    assert_eq!(c.status, CampaignStatus::Rejected);
    assert!(!c.awaiting_meta);

    campaigns::on_template_status(&s.rt.app, &name, "en", "APPROVED", None).await.unwrap();
    let c = s.stored("welcome").await;
    assert_eq!(c.status, CampaignStatus::Rejected);
    assert_eq!(c.rejection_reason.as_deref(), Some("wrong dates"));
    assert_eq!(c.activated_at, None);
}

#[tokio::test]
async fn editing_a_campaign_awaiting_meta_drops_the_approval() {
    let s = setup().await;
    let (c, old_name) = s.awaiting_meta("welcome").await;
    assert_eq!(s.notifications("ap", "approval_requested").await, 1);

    let edited = campaign_body("Welcome", "Hello {{guest_first_name}}, the pool opens at 9");
    let c = campaigns::update(&s.rt.app, &s.editor, &c.id, &edited, None).await.unwrap();
    // Nobody approved this content and Meta never saw it: an approver must look again.
    assert_eq!(c.status, CampaignStatus::Pending);
    assert!(!c.awaiting_meta);
    assert_eq!(s.notifications("ap", "approval_requested").await, 2);
    assert_eq!(s.notifications("ed", "campaign_changed").await, 1);

    // Meta's verdict on the superseded template changes nothing.
    campaigns::on_template_status(&s.rt.app, &old_name, "en", "APPROVED", None).await.unwrap();
    let c = s.stored("welcome").await;
    assert_eq!(c.status, CampaignStatus::Pending);
    assert!(!c.awaiting_meta);
    assert_eq!(c.activated_at, None);

    // Approved again: the new content is registered as a new template, and only its approval
    // makes the campaign active.
    let c = campaigns::approve(&s.rt.app, &s.approver, &c.id, None).await.unwrap();
    assert!(c.awaiting_meta);
    let new_name = template_name(&c.id, c.template_revision.unwrap());
    assert_ne!(new_name, old_name);
    assert_eq!(s.meta.registered.lock().unwrap().clone(), vec![old_name, new_name.clone()]);
    let c = campaigns::on_template_status(&s.rt.app, &new_name, "en", "APPROVED", None).await.unwrap().unwrap();
    assert_eq!(c.status, CampaignStatus::Active);
}

#[tokio::test]
async fn relabeling_a_campaign_awaiting_meta_keeps_the_approval() {
    let s = setup().await;
    let (c, name) = s.awaiting_meta("welcome").await;
    let relabeled = campaign_body("Welcome (June)", BODY);
    let c = campaigns::update(&s.rt.app, &s.editor, &c.id, &relabeled, None).await.unwrap();
    assert_eq!(c.status, CampaignStatus::Pending);
    assert!(c.awaiting_meta, "the name is a label: guests get what was approved");
    assert_eq!(s.notifications("ap", "approval_requested").await, 1);

    let c = campaigns::on_template_status(&s.rt.app, &name, "en", "APPROVED", None).await.unwrap().unwrap();
    assert_eq!(c.status, CampaignStatus::Active);
    assert_eq!(c.spec.name, "Welcome (June)");
}

#[tokio::test]
async fn approvers_are_asked_only_about_campaigns_they_may_see() {
    let s = setup().await;
    let (c, name) = s.awaiting_meta("welcome").await;
    campaigns::on_template_status(&s.rt.app, &name, "en", "APPROVED", None).await.unwrap();
    // A change to the active campaign asks for approval again.
    let edited = campaign_body("Welcome", "Hello {{guest_first_name}}");
    campaigns::update(&s.rt.app, &s.editor, &c.id, &edited, None).await.unwrap();

    assert_eq!(s.notifications("ap", "approval_requested").await, 2);
    for restricted in ["ap-porto", "admin-porto"] {
        let actor = Actor::load(&s.rt.app, restricted).await.unwrap();
        assert!(campaigns::get_visible(&s.rt.app, &actor, &c.id).await.is_err(), "{restricted} may not see it");
        let notes = s.rt.app.store.list_notifications(restricted).await.unwrap();
        assert!(notes.is_empty(), "{restricted} was told about a campaign it may not see: {notes:?}");
    }
}
