//! Notifications and e-mails are written in each recipient's language (English and French).

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use relais_app::campaigns::{self, Actor};
use relais_app::embedded::VirtualClock;
use relais_app::local::{LocalParts, LocalRuntime};
use serde_json::json;

#[tokio::test]
async fn each_recipient_reads_notifications_and_e_mails_in_their_own_language() {
    let clock = Arc::new(VirtualClock::new(Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()));
    let rt = LocalRuntime::new(LocalParts::in_memory(clock));
    let scenario = json!({
        "version": 1, "start": "2026-06-01T00:00:00Z", "end": "2026-06-20T00:00:00Z",
        "account": {"id": "acc", "name": "Casa"},
        "users": [{"id": "ed", "role": "editor", "name": "Eduarda", "email": "ed@example.com",
                   "email_notifications": true, "language": "fr"},
                  {"id": "ap", "role": "approver", "name": "Paulo"}],
        "properties": [{"id": "lisboa", "name": "Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
                        "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s"}],
        "chatbots": [{"id": "bot", "property_ids": ["lisboa"], "sms": {"sender": "+15550001111"}}],
        "campaigns": [], "events": []
    });
    let (scenario, _) = relais_domain::validate::parse_scenario(&scenario).unwrap();
    relais_app::simulate::setup(&rt.app, &scenario, &mut Default::default()).await.unwrap();
    let editor = Actor::load(&rt.app, "ed").await.unwrap();
    let approver = Actor::load(&rt.app, "ap").await.unwrap();
    let body = json!({"category": "arrival", "name": "Bienvenue", "property_id": "lisboa", "chatbot_id": "bot",
        "trigger": {"type": "status_change"}, "target": {"status": "checked_in"},
        "channel": {"primary": "sms", "fallback": null},
        "messages": {"en": {"sms": {"type": "text", "body": "Welcome {{guest_first_name}}"}}}});
    campaigns::create(&rt.app, &editor, &body, Some("c-1".into())).await.unwrap();
    campaigns::submit(&rt.app, &editor, "c-1", None).await.unwrap();
    campaigns::reject(&rt.app, &approver, "c-1", "trop long", None).await.unwrap();

    let titles = |user: &'static str| {
        let store = rt.store.clone();
        async move {
            let mut list = relais_app::ports::Store::list_notifications(store.as_ref(), user).await.unwrap();
            list.sort_by_key(|n| n.at);
            list.into_iter().map(|n| n.title).collect::<Vec<_>>()
        }
    };
    let creator = titles("ed").await;
    assert!(creator.contains(&"Campagne « Bienvenue » soumise pour approbation".to_string()), "{creator:?}");
    assert!(creator.contains(&"Campagne « Bienvenue » rejetée".to_string()), "{creator:?}");
    assert_eq!(titles("ap").await, vec!["Campaign \"Bienvenue\" submitted for approval".to_string()]);
    let mails = rt.mail.mails();
    let rejected = mails.iter().find(|m| m.subject == "Campagne « Bienvenue » rejetée").expect("French e-mail");
    assert!(rejected.body.starts_with("Paulo a rejeté votre campagne « Bienvenue »\u{a0}: trop long."), "{rejected:?}");
    assert!(mails.iter().all(|m| m.subject.starts_with("Campagne")), "{mails:?}");
}
