//! The contract every [`Store`] implementation keeps, as one async test suite: run against the
//! embedded [`MemoryStore`](crate::embedded::MemoryStore) here and against DynamoDB (on moto) in
//! `relais-aws`. Compiled for tests and behind the `contract` feature; it asserts (panics) on
//! the first broken promise, naming it.
//!
//! Ids carry a random run prefix, so the suite may run against a store that holds other data;
//! `due_messages` results are filtered to the run's messages.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use relais_domain::{
    Account, Attempt, Campaign, CampaignStatus, Channel, Chatbot, Message, MessageState, Property, Reservation,
    Transition, User,
};
use serde_json::json;

use crate::ports::{Notification, ReservationRecord, Store, StoreError};

/// Run the whole contract against `store`.
pub async fn run_store_contract(store: Arc<dyn Store>) {
    let run = run_prefix();
    setup_entities(&*store, &run).await;
    campaigns(&*store, &run).await;
    reservations(&*store, &run).await;
    pms_ids_with_separators(&*store, &run).await;
    remember(&*store, &run).await;
    messages(&*store, &run).await;
    concurrent_claims(store.clone(), &run).await;
    due_index(&*store, &run).await;
    opt_outs(&*store, &run).await;
    watermark(store.clone(), &run).await;
    notifications(&*store, &run).await;
}

fn run_prefix() -> String {
    let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
    format!("c{:x}", nanos ^ i64::from(std::process::id()))
}

fn now() -> DateTime<Utc> {
    // A sub-second part exercises the precision of stored instants.
    Utc::now().trunc_subsecs(6)
}

fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("fixture")
}

fn ids<T>(items: &[T], id: impl Fn(&T) -> &str) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(|i| id(i).to_string()).collect();
    out.sort();
    out
}

pub fn account(id: &str) -> Account {
    from_json(json!({"id": id, "name": "Casa Azul Hotels"}))
}

pub fn user(id: &str, account_id: &str) -> User {
    from_json(json!({"id": id, "account_id": account_id, "role": "editor", "email": "ed@example.com",
                     "email_notifications": true, "language": "fr"}))
}

pub fn property(id: &str, account_id: &str) -> Property {
    from_json(json!({"id": id, "account_id": account_id, "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon",
                     "check_in_time": "15:00", "check_out_time": "11:00", "pms": "mews", "webhook_secret": "s3cret",
                     "units": [{"id": "101", "name": "Room 101"}, {"id": "102"}],
                     "default_guest_language": "pt-PT", "quiet_hours": {"start": "21:00", "end": "08:00"}}))
}

pub fn chatbot(id: &str, account_id: &str, property_id: &str) -> Chatbot {
    from_json(json!({"id": id, "account_id": account_id, "property_ids": [property_id], "languages": ["en", "pt"],
                     "whatsapp": {"phone_number_id": "1098765"}, "sms": {"sender": "+15550001111"},
                     "faqs": [{"id": "faq-1", "question": {"en": "Is there parking?"},
                               "answer": {"en": "Yes, free parking on site.", "pt": "Sim, estacionamento gratuito no local."}}],
                     "flows": [{"id": "flow-checkin", "name": "Online check-in"}]}))
}

/// A campaign with most of the model's shapes (trigger, buttons, conditions).
pub fn campaign(id: &str, account_id: &str, property_id: &str, version: u64) -> Campaign {
    from_json(json!({
        "id": id, "account_id": account_id, "created_by": "u-ed", "status": "active", "version": version,
        "created_at": "2026-06-01T09:00:00Z", "updated_at": "2026-06-01T09:00:00.123456Z",
        "activated_at": "2026-06-01T10:00:00Z",
        "category": "pre_stay", "name": "Welcome, 3 days out", "property_id": property_id, "chatbot_id": "bot-1",
        "period": {"start": null, "end": "2026-09-30"},
        "trigger": {"type": "schedule", "days": ["mon", "sat"], "hours": [10, 18]},
        "target": {"status": "confirmed", "anchor": "check_in", "send_offset_days": -3},
        "channel": {"primary": "whatsapp", "fallback": "sms"},
        "messages": {
            "en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}!"},
                   "sms": {"type": "text", "body": "Hi {{guest_first_name|there}}!"}},
            "pt": {"whatsapp": {"type": "quick_reply", "body": "Olá {{guest_first_name}}!",
                                "buttons": [{"title": "Check-in online", "flow_id": "flow-checkin"},
                                            {"title": "Perguntas", "faq_id": "faq-1"}]},
                   "sms": {"type": "text", "body": "Olá!"}}
        },
        "reservation_conditions": [{"type": "source", "op": "in", "value": ["airbnb", "direct"]}],
        "message_conditions": [{"type": "check_in_form_submitted", "value": false},
                               {"type": "total_payout", "op": "more_than", "value": "500.00"},
                               {"type": "planned_arrival", "op": "after", "value": "18:00"}]
    }))
}

pub fn reservation(property_id: &str, id: &str, unit: Option<&str>, check_out: &str) -> Reservation {
    from_json(json!({
        "id": id, "property_id": property_id, "unit_id": unit, "source": "airbnb", "status": "confirmed",
        "check_in": "2026-06-10", "check_out": check_out, "eta": "16:30",
        "guest": {"first_name": "Ana", "last_name": "Silva", "email": "Ana@Example.com", "phone": "+351912345678",
                  "language": "pt-PT"},
        "adults": 2, "children": 1, "total_amount": "450.00", "balance_due": "0.00", "currency": "EUR",
        "guest_app_forms": {"upsell": true}, "custom_fields": {"vip": false},
        "payments": [{"kind": "payment", "status": "succeeded", "at": "2026-06-01T09:00:00Z"}],
        "review": {"submitted": true, "ratings": {"cleanliness": 5}},
        "updated_at": "2026-06-01T09:00:00.5Z"
    }))
}

pub fn record(reservation: Reservation, version: u64) -> ReservationRecord {
    ReservationRecord {
        transitions: vec![Transition { seq: 1, from: None, to: reservation.status, at: reservation.updated_at }],
        confirmed_at: Some(reservation.updated_at),
        event_ids: vec!["evt-1".into()],
        unpublished: Some(crate::ports::ReservationChanged {
            property_id: reservation.property_id.clone(),
            reservation_id: reservation.id.clone(),
            at: reservation.updated_at,
            transition: None,
        }),
        reservation,
        version,
        // Stored apart from the PMS's data: every backend keeps them through later PMS updates.
        operator_custom_fields: std::collections::BTreeMap::from([("vip".to_string(), true)]),
        events: vec![crate::ports::ReservationEvent::CustomField {
            at: chrono::DateTime::<chrono::Utc>::from_timestamp(1_780_000_000, 0).unwrap_or_default(),
            by: "u-ed".into(),
            key: "vip".into(),
            value: Some(true),
        }],
    }
}

pub fn message(id: &str, campaign_id: &str, property_id: &str, reservation_id: &str, due_at: DateTime<Utc>) -> Message {
    from_json(json!({
        "id": id, "campaign_id": campaign_id, "reservation_id": reservation_id, "property_id": property_id,
        "occurrence": {"kind": "planned", "n": 0}, "anchor_date": "2026-06-10",
        "due_at": due_at, "expires_at": due_at + Duration::days(7),
        "state": "scheduled", "version": 0,
        "timeline": [{"at": due_at - Duration::days(1), "state": "scheduled"}]
    }))
}

async fn setup_entities(store: &dyn Store, run: &str) {
    let acc = format!("{run}-acc");
    let other = format!("{run}-other");
    store.put_account(&account(&acc)).await.unwrap();
    assert_eq!(store.get_account(&acc).await.unwrap(), Some(account(&acc)), "get_account returns what was put");
    assert_eq!(store.get_account(&format!("{run}-none")).await.unwrap(), None, "get_account of unknown id");

    let u1 = user(&format!("{run}-u1"), &acc);
    let u2 = user(&format!("{run}-u2"), &acc);
    let u3 = user(&format!("{run}-u3"), &other);
    for u in [&u1, &u2, &u3] {
        store.put_user(u).await.unwrap();
    }
    let mut u1b = u1.clone();
    u1b.email_notifications = false;
    store.put_user(&u1b).await.unwrap();
    assert_eq!(store.get_user(&u1.id).await.unwrap(), Some(u1b.clone()), "put_user replaces");
    assert_eq!(ids(&store.list_users(&acc).await.unwrap(), |u| &u.id), vec![u1.id.clone(), u2.id.clone()]);

    let p1 = property(&format!("{run}-p1"), &acc);
    let p2 = property(&format!("{run}-p2"), &other);
    store.put_property(&p1).await.unwrap();
    store.put_property(&p2).await.unwrap();
    assert_eq!(store.get_property(&p1.id).await.unwrap(), Some(p1.clone()), "property round trip");
    assert_eq!(ids(&store.list_properties(&acc).await.unwrap(), |p| &p.id), vec![p1.id.clone()]);

    let b1 = chatbot(&format!("{run}-b1"), &acc, &p1.id);
    store.put_chatbot(&b1).await.unwrap();
    assert_eq!(store.get_chatbot(&b1.id).await.unwrap(), Some(b1.clone()), "chatbot round trip");
    assert_eq!(ids(&store.list_chatbots(&acc).await.unwrap(), |c| &c.id), vec![b1.id.clone()]);
    assert!(store.list_chatbots(&format!("{run}-nobody")).await.unwrap().is_empty());
}

async fn campaigns(store: &dyn Store, run: &str) {
    let acc = format!("{run}-acc");
    let p1 = format!("{run}-p1");
    let p2 = format!("{run}-p2");
    let c1 = campaign(&format!("{run}-c1"), &acc, &p1, 1);
    store.put_campaign(&c1, None).await.unwrap();
    assert_eq!(store.get_campaign(&c1.id).await.unwrap(), Some(c1.clone()), "campaign round trip");
    assert!(
        matches!(store.put_campaign(&c1, None).await, Err(StoreError::Conflict(_))),
        "inserting an existing campaign is a conflict"
    );
    let mut c1v2 = c1.clone();
    c1v2.version = 2;
    c1v2.spec.name = "Renamed".into();
    assert!(
        matches!(store.put_campaign(&c1v2, Some(7)).await, Err(StoreError::Conflict(_))),
        "replacing with a wrong expected version is a conflict"
    );
    store.put_campaign(&c1v2, Some(1)).await.unwrap();
    assert!(
        matches!(store.put_campaign(&c1v2, Some(1)).await, Err(StoreError::Conflict(_))),
        "replacing a stale version is a conflict"
    );
    assert_eq!(store.get_campaign(&c1.id).await.unwrap(), Some(c1v2.clone()));
    let c2 = campaign(&format!("{run}-c2"), &acc, &p2, 1);
    store.put_campaign(&c2, None).await.unwrap();
    let c3 = campaign(&format!("{run}-c3"), &format!("{run}-other"), &p1, 1);
    store.put_campaign(&c3, None).await.unwrap();
    assert_eq!(ids(&store.list_campaigns(&acc).await.unwrap(), |c| &c.id), vec![c1.id.clone(), c2.id.clone()]);
    assert_eq!(ids(&store.campaigns_of_property(&p1).await.unwrap(), |c| &c.id), vec![c1.id.clone(), c3.id.clone()]);
    // Moving a campaign to another property moves it between the lists.
    let mut c1v3 = c1v2.clone();
    c1v3.version = 3;
    c1v3.spec.property_id = p2.clone();
    store.put_campaign(&c1v3, Some(2)).await.unwrap();
    assert_eq!(ids(&store.campaigns_of_property(&p1).await.unwrap(), |c| &c.id), vec![c3.id.clone()]);
    assert_eq!(ids(&store.campaigns_of_property(&p2).await.unwrap(), |c| &c.id), vec![c1.id.clone(), c2.id.clone()]);
    // Only campaigns waiting for Meta (pending with awaiting_meta) are in that index; leaving
    // the wait leaves it.
    let mut waiting = c3.clone();
    waiting.status = CampaignStatus::Pending;
    waiting.awaiting_meta = true;
    waiting.version = c3.version + 1;
    store.put_campaign(&waiting, Some(c3.version)).await.unwrap();
    let awaiting =
        |list: Vec<Campaign>| list.into_iter().filter(|c| c.id.starts_with(run)).map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(awaiting(store.campaigns_awaiting_meta().await.unwrap()), vec![c3.id.clone()]);
    let mut settled = waiting.clone();
    settled.status = CampaignStatus::Active;
    settled.awaiting_meta = false;
    settled.version = waiting.version + 1;
    store.put_campaign(&settled, Some(waiting.version)).await.unwrap();
    assert!(awaiting(store.campaigns_awaiting_meta().await.unwrap()).is_empty());
    assert_eq!(store.get_campaign(&format!("{run}-none")).await.unwrap(), None);
}

async fn reservations(store: &dyn Store, run: &str) {
    let p = format!("{run}-p1");
    let r1 = reservation(&p, &format!("{run}-r1"), Some("101"), "2026-06-13");
    let rec1 = record(r1.clone(), 1);
    store.put_reservation(&rec1, None).await.unwrap();
    assert_eq!(store.get_reservation(&p, &r1.id).await.unwrap(), Some(rec1.clone()), "reservation round trip");
    assert_eq!(store.get_reservation(&format!("{run}-p2"), &r1.id).await.unwrap(), None, "keyed by property");
    assert!(
        matches!(store.put_reservation(&rec1, None).await, Err(StoreError::Conflict(_))),
        "inserting an existing reservation is a conflict"
    );
    let mut rec1b = rec1.clone();
    rec1b.version = 2;
    rec1b.reservation.unit_id = Some("102".into());
    rec1b.reservation.guest.email = Some("ana.silva@example.com".into());
    store.put_reservation(&rec1b, Some(1)).await.unwrap();
    assert!(
        matches!(store.put_reservation(&rec1b, Some(1)).await, Err(StoreError::Conflict(_))),
        "a stale reservation version is a conflict"
    );

    let r2 = reservation(&p, &format!("{run}-r2"), Some("102"), "2026-06-20");
    let mut r2 = r2;
    r2.guest.email = None;
    store.put_reservation(&record(r2.clone(), 1), None).await.unwrap();
    let mut r3 = reservation(&p, &format!("{run}-r3"), None, "2026-06-12");
    r3.guest.phone = Some("+15550009999".into());
    store.put_reservation(&record(r3.clone(), 1), None).await.unwrap();
    // Same guest at another property: never returned for this one.
    let r4 = reservation(&format!("{run}-p2"), &format!("{run}-r4"), Some("102"), "2026-06-13");
    store.put_reservation(&record(r4.clone(), 1), None).await.unwrap();

    assert!(store.reservations_in_unit(&p, "101").await.unwrap().is_empty(), "a reservation leaves its old unit");
    assert_eq!(
        ids(&store.reservations_in_unit(&p, "102").await.unwrap(), |r| &r.id),
        vec![r1.id.clone(), r2.id.clone()]
    );
    let in_unit = store.reservations_in_unit(&p, "102").await.unwrap();
    assert!(in_unit.contains(&rec1b.reservation), "units return the current reservation");

    let by_email = store.reservations_of_guest(&p, Some("ANA.SILVA@example.com"), None).await.unwrap();
    assert_eq!(ids(&by_email, |r| &r.id), vec![r1.id.clone()], "e-mail match is case-insensitive, old e-mail gone");
    let old_email = store.reservations_of_guest(&p, Some("ana@example.com"), None).await.unwrap();
    assert_eq!(ids(&old_email, |r| &r.id), vec![r3.id.clone()]);
    let by_phone = store.reservations_of_guest(&p, None, Some("+351912345678")).await.unwrap();
    assert_eq!(ids(&by_phone, |r| &r.id), vec![r1.id.clone(), r2.id.clone()]);
    let both = store.reservations_of_guest(&p, Some("ana@example.com"), Some("+351912345678")).await.unwrap();
    assert_eq!(
        ids(&both, |r| &r.id),
        vec![r1.id.clone(), r2.id.clone(), r3.id.clone()],
        "either contact, no duplicates"
    );
    assert!(store.reservations_of_guest(&p, None, None).await.unwrap().is_empty());

    let from = NaiveDate::from_ymd_opt(2026, 6, 13).unwrap();
    let out = store.reservations_checking_out_from(&p, from).await.unwrap();
    assert_eq!(ids(&out, |r| &r.reservation.id), vec![r1.id.clone(), r2.id.clone()], "check-out on or after the date");
    assert!(out.iter().all(|r| r.version > 0 && !r.transitions.is_empty()), "whole records");
    let later = NaiveDate::from_ymd_opt(2026, 6, 21).unwrap();
    assert!(store.reservations_checking_out_from(&p, later).await.unwrap().is_empty());
}

/// PMS ids may hold any printable character (docs/hardening.md "Ids and text"): each one is its
/// own reservation, and none is reachable from another property or through another id.
async fn pms_ids_with_separators(store: &dyn Store, run: &str) {
    let p = format!("{run}-px");
    let other = format!("{run}-py");
    let odd = ["a/b", "a#b", "a|b", "..", "../a", "a#RES#b", "予約/7", "x~t0", "RESERVATION", "a b"];
    for (n, id) in odd.iter().enumerate() {
        let mut r = reservation(&p, id, None, "2026-06-13");
        r.adults = n as u32 + 1;
        store.put_reservation(&record(r, 1), None).await.unwrap();
    }
    for (n, id) in odd.iter().enumerate() {
        let got = store.get_reservation(&p, id).await.unwrap().unwrap_or_else(|| panic!("{id:?} reads back"));
        assert_eq!((got.reservation.id.as_str(), got.reservation.adults), (*id, n as u32 + 1), "{id:?} is its own");
        assert_eq!(store.get_reservation(&other, id).await.unwrap(), None, "{id:?} is keyed by its property");
    }
    // Property ids are plain (no separator), so a key joining one with any PMS id splits one
    // way only: "a/b" of px is not "b" of a property "px/a" (which cannot exist).
    let plain_neighbour = format!("{p}.a");
    assert_eq!(
        store.get_reservation(&plain_neighbour, "b").await.unwrap(),
        None,
        "a longer plain id is another property"
    );
}

async fn remember(store: &dyn Store, run: &str) {
    let t = now();
    let key = format!("{run}-webhook-evt-1");
    assert!(store.remember(&key, t, t + Duration::hours(1)).await.unwrap(), "first time: remembered");
    assert!(!store.remember(&key, t + Duration::minutes(5), t + Duration::hours(2)).await.unwrap(), "known key");
    assert!(
        !store.remember(&key, t + Duration::hours(1), t + Duration::hours(3)).await.unwrap(),
        "still known at its expiry instant"
    );
    assert!(
        store.remember(&key, t + Duration::hours(1) + Duration::seconds(1), t + Duration::hours(3)).await.unwrap(),
        "an expired key is forgotten"
    );
    assert!(!store.remember(&key, t + Duration::hours(2), t + Duration::hours(4)).await.unwrap(), "renewed");
    assert!(store.remember(&format!("{run}-other-key"), t, t + Duration::hours(1)).await.unwrap(), "keys independent");
}

async fn messages(store: &dyn Store, run: &str) {
    let p = format!("{run}-p1");
    let r1 = format!("{run}-r1");
    let c1 = format!("{run}-c1");
    let due = now() - Duration::minutes(10);
    let m1 = message(&format!("{run}-m1"), &c1, &p, &r1, due);
    assert!(store.create_message(&m1).await.unwrap(), "create: absent");
    let mut imposter = m1.clone();
    imposter.state = MessageState::Canceled;
    assert!(!store.create_message(&imposter).await.unwrap(), "create: present, not replaced");
    assert_eq!(store.get_message(&m1.id).await.unwrap(), Some(m1.clone()), "message round trip");
    assert_eq!(store.get_message(&format!("{run}-none")).await.unwrap(), None);

    // Claim: scheduled v0 -> sending v1.
    let mut claimed = m1.clone();
    claimed.version = 1;
    claimed.transition(due, MessageState::Sending, None);
    claimed.channel = Some(Channel::Whatsapp);
    store.update_message(&claimed, 0).await.unwrap();
    let mut stale = m1.clone();
    stale.version = 1;
    stale.state = MessageState::Canceled;
    assert!(
        matches!(store.update_message(&stale, 0).await, Err(StoreError::Conflict(_))),
        "update from a stale version is a conflict"
    );
    let mut skipped_version = claimed.clone();
    skipped_version.version = 5;
    assert!(
        matches!(store.update_message(&skipped_version, 1).await, Err(StoreError::Conflict(_))),
        "the new version must be expected + 1"
    );
    let mut ghost = message(&format!("{run}-ghost"), &c1, &p, &r1, due);
    ghost.version = 1;
    assert!(
        matches!(store.update_message(&ghost, 0).await, Err(StoreError::Conflict(_))),
        "updating a message that does not exist is a conflict"
    );
    assert!(store.get_message(&ghost.id).await.unwrap().is_none(), "no message appears from a failed update");

    // Sent on WhatsApp, then failed, then SMS fallback: both provider ids lead to the message.
    let mut sent = claimed.clone();
    sent.version = 2;
    sent.attempts.push(Attempt {
        channel: Channel::Whatsapp,
        at: due,
        provider_message_id: Some(format!("{run}-wamid-1")),
        status: MessageState::Sent,
        error: None,
        segments: None,
        fallback: false,
    });
    sent.transition(due, MessageState::Sent, None);
    store.update_message(&sent, 1).await.unwrap();
    let mut fallback = sent.clone();
    fallback.version = 3;
    fallback.attempts[0].status = MessageState::Failed;
    fallback.attempts.push(Attempt {
        channel: Channel::Sms,
        at: due + Duration::minutes(1),
        provider_message_id: Some(format!("{run}-SM-1")),
        status: MessageState::Sent,
        error: None,
        segments: None,
        fallback: false,
    });
    fallback.channel = Some(Channel::Sms);
    fallback.reason = Some("fallback_after:whatsapp_failed".into());
    store.update_message(&fallback, 2).await.unwrap();
    assert_eq!(store.get_message(&m1.id).await.unwrap(), Some(fallback.clone()));
    assert_eq!(store.message_by_provider_id(&format!("{run}-wamid-1")).await.unwrap(), Some(fallback.clone()));
    assert_eq!(store.message_by_provider_id(&format!("{run}-SM-1")).await.unwrap(), Some(fallback.clone()));
    assert_eq!(store.message_by_provider_id(&format!("{run}-unknown")).await.unwrap(), None);

    // Per reservation and open per campaign.
    let m2 = message(&format!("{run}-m2"), &c1, &p, &r1, due + Duration::days(2));
    let mut m3 = message(&format!("{run}-m3"), &format!("{run}-c2"), &p, &r1, due);
    m3.state = MessageState::Pending;
    m3.reason = Some("conditions_not_met:check_in_form_submitted".into());
    let m4 = message(&format!("{run}-m4"), &c1, &p, &format!("{run}-r2"), due);
    for m in [&m2, &m3, &m4] {
        assert!(store.create_message(m).await.unwrap());
    }
    let of_r1 = store.messages_of_reservation(&p, &r1).await.unwrap();
    assert_eq!(ids(&of_r1, |m| &m.id), vec![m1.id.clone(), m2.id.clone(), m3.id.clone()]);
    assert!(of_r1.contains(&fallback), "messages of a reservation are current");
    let open = store.open_messages_of_campaign(&c1).await.unwrap();
    assert_eq!(ids(&open, |m| &m.id), vec![m2.id.clone(), m4.id.clone()], "open = scheduled or pending only");
    let open2 = store.open_messages_of_campaign(&format!("{run}-c2")).await.unwrap();
    assert_eq!(ids(&open2, |m| &m.id), vec![m3.id.clone()], "pending is open");
    // Canceling leaves the open list.
    let mut m2c = m2.clone();
    m2c.version = 1;
    m2c.transition(due, MessageState::Canceled, Some("reservation_canceled".into()));
    store.update_message(&m2c, 0).await.unwrap();
    let open = store.open_messages_of_campaign(&c1).await.unwrap();
    assert_eq!(ids(&open, |m| &m.id), vec![m4.id.clone()], "a canceled message is no longer open");

    // Every message of a campaign by due time, in [from, until), whatever its state.
    let of_c1 = store.messages_of_campaign_due(&c1, due, due + Duration::days(3)).await.unwrap();
    let in_order: Vec<&str> = of_c1.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(in_order, [&m1.id, &m4.id, &m2.id], "by due time, then id; closed ones included");
    assert!(of_c1.contains(&m2c), "messages of a campaign are current");
    let before_m2 = store.messages_of_campaign_due(&c1, due, due + Duration::days(2)).await.unwrap();
    assert_eq!(before_m2.len(), 2, "`until` is excluded");
    let after_m1 = store.messages_of_campaign_due(&c1, due + Duration::nanoseconds(1), due + Duration::days(3)).await;
    assert_eq!(ids(&after_m1.unwrap(), |m| &m.id), vec![m2.id.clone()], "earlier than `from`: left out");
    let mut moved = m2c.clone();
    moved.version = 2;
    moved.due_at = due + Duration::days(10);
    store.update_message(&moved, 1).await.unwrap();
    let of_c1 = store.messages_of_campaign_due(&c1, due, due + Duration::days(3)).await.unwrap();
    assert_eq!(of_c1.len(), 2, "a message whose due time moved leaves its old place");
    let of_c2 = store.messages_of_campaign_due(&format!("{run}-c2"), due, due + Duration::days(3)).await.unwrap();
    assert_eq!(ids(&of_c2, |m| &m.id), vec![m3.id.clone()]);
}

/// Two dispatchers claim the same message at once: exactly one wins.
async fn concurrent_claims(store: Arc<dyn Store>, run: &str) {
    let p = format!("{run}-p1");
    for round in 0..5 {
        let m = message(&format!("{run}-race-{round}"), &format!("{run}-c1"), &p, &format!("{run}-r9"), now());
        assert!(store.create_message(&m).await.unwrap());
        let mut tasks = Vec::new();
        for worker in 0..2 {
            let store = store.clone();
            let mut claim = m.clone();
            claim.version = 1;
            claim.transition(now(), MessageState::Sending, Some(format!("worker-{worker}")));
            tasks.push(tokio::spawn(async move { store.update_message(&claim, 0).await }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => wins += 1,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => panic!("claim failed with {e}"),
            }
        }
        assert_eq!(wins, 1, "exactly one of two concurrent claims wins (round {round})");
        let stored = store.get_message(&m.id).await.unwrap().unwrap();
        assert_eq!(stored.version, 1);
        assert_eq!(stored.state, MessageState::Sending);
    }
}

async fn due_index(store: &dyn Store, run: &str) {
    let p = format!("{run}-p1");
    let c = format!("{run}-cdue");
    let r = format!("{run}-rdue");
    let t = now();
    let prefix = format!("{run}-due-");
    let mine = |messages: Vec<Message>| -> Vec<String> {
        messages.into_iter().filter(|m| m.id.starts_with(&prefix)).map(|m| m.id).collect()
    };
    let past = message(&format!("{prefix}a-past"), &c, &p, &r, t - Duration::days(3));
    let recent = message(&format!("{prefix}b-recent"), &c, &p, &r, t - Duration::minutes(1));
    let soon = message(&format!("{prefix}c-soon"), &c, &p, &r, t + Duration::minutes(30));
    let later = message(&format!("{prefix}d-later"), &c, &p, &r, t + Duration::days(2));
    let mut pending = message(&format!("{prefix}e-pending"), &c, &p, &r, t - Duration::hours(5));
    pending.state = MessageState::Pending;
    let mut sending = message(&format!("{prefix}f-sending"), &c, &p, &r, t - Duration::hours(2));
    sending.state = MessageState::Sending;
    let mut done = message(&format!("{prefix}g-sent"), &c, &p, &r, t - Duration::hours(1));
    done.state = MessageState::Sent;
    let mut canceled = message(&format!("{prefix}h-canceled"), &c, &p, &r, t - Duration::hours(1));
    canceled.state = MessageState::Canceled;
    for m in [&past, &recent, &soon, &later, &pending, &sending, &done, &canceled] {
        assert!(store.create_message(m).await.unwrap());
    }
    // Ordered by due time.
    let due_now = mine(store.due_messages(t).await.unwrap());
    assert_eq!(
        due_now,
        vec![past.id.clone(), pending.id.clone(), sending.id.clone(), recent.id.clone()],
        "due now: open and in-flight messages due at or before `until`, in due order"
    );
    let exact = mine(store.due_messages(soon.due_at).await.unwrap());
    assert!(exact.contains(&soon.id), "a message due exactly at `until` is due");
    let just_before = mine(store.due_messages(soon.due_at - Duration::microseconds(1)).await.unwrap());
    assert!(!just_before.contains(&soon.id));
    let in_three_days = mine(store.due_messages(t + Duration::days(3)).await.unwrap());
    assert_eq!(in_three_days.len(), 6, "future messages become due: {in_three_days:?}");

    // Leaving the index: sent, skipped, expired, canceled.
    let mut sent = recent.clone();
    sent.version = 1;
    sent.transition(t, MessageState::Sent, None);
    store.update_message(&sent, 0).await.unwrap();
    let mut expired = past.clone();
    expired.version = 1;
    expired.transition(t, MessageState::Expired, None);
    store.update_message(&expired, 0).await.unwrap();
    let mut resolved = sending.clone();
    resolved.version = 1;
    resolved.transition(t, MessageState::Skipped, Some("opted_out".into()));
    store.update_message(&resolved, 0).await.unwrap();
    let due_now = mine(store.due_messages(t).await.unwrap());
    assert_eq!(due_now, vec![pending.id.clone()], "handled messages leave the due index");

    // The due time moves with the anchor: earlier (now due) and later (no longer due).
    let mut moved = soon.clone();
    moved.version = 1;
    moved.due_at = t - Duration::minutes(3);
    store.update_message(&moved, 0).await.unwrap();
    let mut postponed = pending.clone();
    postponed.version = 1;
    postponed.state = MessageState::Scheduled;
    postponed.due_at = t + Duration::days(1);
    store.update_message(&postponed, 0).await.unwrap();
    let due_now = mine(store.due_messages(t).await.unwrap());
    assert_eq!(due_now, vec![moved.id.clone()], "the due index follows due_at changes");
    let tomorrow = mine(store.due_messages(t + Duration::days(1)).await.unwrap());
    assert_eq!(tomorrow, vec![moved.id.clone(), postponed.id.clone()]);
    let returned = store.due_messages(t).await.unwrap();
    let found = returned.iter().find(|m| m.id == moved.id).unwrap();
    assert_eq!(found, &moved, "due_messages returns the current message");
}

async fn opt_outs(store: &dyn Store, run: &str) {
    // A number of its own per run: the contract runs again on a reopened store.
    // The prefix's last characters: they change from one run to the next, its first do not.
    let digits: String = run.bytes().rev().map(|b| char::from(b'0' + b % 10)).take(10).collect();
    let phone = format!("+1555{digits}");
    let (ours, theirs) = (format!("+1666{digits}"), "MG0123456789abcdef0123456789abcdef");
    let ours = ours.as_str();
    let t = now();
    let out = |channel, sender| {
        let phone = phone.clone();
        async move { store.is_opted_out(channel, sender, &phone).await.unwrap() }
    };
    assert!(!out(Channel::Sms, ours).await);
    store.set_opt_out(Channel::Sms, Some(ours), &phone, true, t).await.unwrap();
    assert!(out(Channel::Sms, ours).await, "opted out of our SMS sender");
    assert!(!out(Channel::Sms, theirs).await, "another sender (another account) may still write");
    assert!(!out(Channel::Whatsapp, ours).await, "opt-outs are per channel");
    store.set_opt_out(Channel::Sms, Some(ours), &phone, true, t).await.unwrap();
    assert!(out(Channel::Sms, ours).await, "idempotent");
    store.set_opt_out(Channel::Sms, Some(ours), &phone, false, t).await.unwrap();
    assert!(!out(Channel::Sms, ours).await, "opted back in");

    // An opt-out without a sender (and every one stored before opt-outs had senders) holds
    // for every sender, until the guest opts back in to one of them.
    store.set_opt_out(Channel::Whatsapp, None, &phone, true, t).await.unwrap();
    assert!(out(Channel::Whatsapp, ours).await && out(Channel::Whatsapp, theirs).await, "sender-less");
    store.set_opt_out(Channel::Whatsapp, Some(theirs), &phone, false, t).await.unwrap();
    assert!(!out(Channel::Whatsapp, theirs).await, "an opt-in to one sender overrides it");
    assert!(out(Channel::Whatsapp, ours).await, "for that sender only");
    store.set_opt_out(Channel::Whatsapp, Some(ours), &phone, true, t).await.unwrap();
    store.set_opt_out(Channel::Whatsapp, None, &phone, false, t).await.unwrap();
    assert!(out(Channel::Whatsapp, ours).await, "a sender's own opt-out outlives the sender-less one");
    assert!(!out(Channel::Whatsapp, theirs).await);
    store.set_opt_out(Channel::Whatsapp, Some(ours), &phone, false, t).await.unwrap();
    assert!(!out(Channel::Whatsapp, ours).await);
}

async fn watermark(store: Arc<dyn Store>, run: &str) {
    let name = format!("{run}-sweep");
    let t1 = Utc::now();
    let t2 = t1 + Duration::minutes(5) + Duration::nanoseconds(1);
    let t3 = t2 + Duration::minutes(5);
    assert_eq!(store.get_watermark(&name).await.unwrap(), None);
    assert!(store.advance_watermark(&name, None, t1).await.unwrap(), "first advance");
    assert!(!store.advance_watermark(&name, None, t2).await.unwrap(), "from None once it exists: lost");
    assert_eq!(store.get_watermark(&name).await.unwrap(), Some(t1), "watermark keeps full precision");
    assert!(store.advance_watermark(&name, Some(t1), t2).await.unwrap());
    assert!(!store.advance_watermark(&name, Some(t1), t3).await.unwrap(), "from a stale value: lost");
    assert_eq!(store.get_watermark(&name).await.unwrap(), Some(t2));
    // Two sweeps race from the same reading: exactly one moves it.
    for round in 0..5 {
        let from = store.get_watermark(&name).await.unwrap();
        let mut tasks = Vec::new();
        for worker in 0..2i64 {
            let store = store.clone();
            let name = name.clone();
            let to = from.unwrap_or(t1) + Duration::minutes(5 + worker);
            tasks.push(tokio::spawn(async move { store.advance_watermark(&name, from, to).await }));
        }
        let mut wins = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() {
                wins += 1;
            }
        }
        assert_eq!(wins, 1, "exactly one of two racing sweeps advances the watermark (round {round})");
    }
    assert_eq!(store.get_watermark(&format!("{run}-other")).await.unwrap(), None, "watermarks are per name");
}

async fn notifications(store: &dyn Store, run: &str) {
    let u1 = format!("{run}-u1");
    let u2 = format!("{run}-u2");
    let t = now();
    let n = |id: &str, user: &str, at: DateTime<Utc>| Notification {
        id: id.into(),
        account_id: format!("{run}-acc"),
        user_id: user.into(),
        at,
        kind: "campaign_submitted".into(),
        campaign_id: format!("{run}-c1"),
        title: "Campaign submitted".into(),
        body: "Welcome, 3 days out is waiting for approval".into(),
        read: false,
    };
    store.add_notification(&n("n1", &u1, t)).await.unwrap();
    store.add_notification(&n("n2", &u1, t + Duration::seconds(1))).await.unwrap();
    store.add_notification(&n("n3", &u2, t)).await.unwrap();
    let list = store.list_notifications(&u1).await.unwrap();
    assert_eq!(ids(&list, |n| &n.id), vec!["n1".to_string(), "n2".to_string()], "a user's own notifications");
    assert!(list.iter().all(|n| !n.read));
    assert!(store.mark_notification_read(&u1, "n2").await.unwrap());
    assert!(!store.mark_notification_read(&u1, "n3").await.unwrap(), "another user's notification");
    assert!(!store.mark_notification_read(&u1, "n9").await.unwrap(), "unknown notification");
    let list = store.list_notifications(&u1).await.unwrap();
    let read: Vec<bool> = {
        let mut l = list.clone();
        l.sort_by(|a, b| a.id.cmp(&b.id));
        l.iter().map(|n| n.read).collect()
    };
    assert_eq!(read, vec![false, true], "the read flag is stored");
    assert_eq!(list.iter().find(|n| n.id == "n2").map(|n| n.at), Some(t + Duration::seconds(1)));
    assert_eq!(store.list_notifications(&u2).await.unwrap().len(), 1);
    assert!(store.list_notifications(&format!("{run}-nobody")).await.unwrap().is_empty());
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn memory_store_keeps_the_store_contract() {
        super::run_store_contract(std::sync::Arc::new(crate::embedded::MemoryStore::new())).await;
    }
}
