//! Unit tests of the planner: one per rule of SPEC 3 that the planner decides.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::*;
use crate::model::*;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn property(tz: &str) -> Property {
    Property {
        id: "p".into(),
        account_id: Some("a".into()),
        name: "Casa".into(),
        time_zone: tz.parse().unwrap(),
        check_in_time: "15:00".parse().unwrap(),
        check_out_time: "11:00".parse().unwrap(),
        pms: "mews".into(),
        webhook_secret: None,
        previous_webhook_secret: None,
        units: vec![],
        pms_credentials: None,
        default_guest_language: None,
        quiet_hours: None,
    }
}

fn chatbot() -> Chatbot {
    Chatbot {
        id: "bot".into(),
        account_id: Some("a".into()),
        name: None,
        property_ids: vec!["p".into()],
        languages: vec!["pt".into()],
        whatsapp: Some(WhatsAppSettings { phone_number_id: "1".into(), waba_id: None }),
        sms: Some(SmsSettings { sender: "+15550001111".into() }),
        faqs: Vec::new(),
        flows: Vec::new(),
    }
}

fn campaign(trigger: Trigger, target: Target) -> Campaign {
    let mut messages = BTreeMap::new();
    messages.insert(
        "en".to_string(),
        LanguageContent {
            whatsapp: Some(WhatsAppContent::Text { body: "Hi {{guest_first_name}}".into() }),
            sms: Some(SmsContent::Text { body: "Hi {{guest_first_name}} on {{check_in_date}}".into() }),
        },
    );
    messages.insert(
        "pt".to_string(),
        LanguageContent {
            whatsapp: Some(WhatsAppContent::Text { body: "Olá {{guest_first_name}}".into() }),
            sms: Some(SmsContent::Text { body: "Olá {{guest_first_name}}".into() }),
        },
    );
    Campaign {
        id: "c".into(),
        account_id: "a".into(),
        created_by: "u".into(),
        status: CampaignStatus::Active,
        rejection_reason: None,
        version: 1,
        created_at: utc(2026, 1, 1, 0, 0),
        updated_at: utc(2026, 1, 1, 0, 0),
        activated_at: Some(utc(2026, 1, 1, 0, 0)),
        awaiting_meta: false,
        template_revision: None,
        whatsapp_templates: BTreeMap::new(),
        spec: CampaignSpec {
            category: Category::PreStay,
            name: "n".into(),
            property_id: "p".into(),
            chatbot_id: "bot".into(),
            period: Period::default(),
            trigger,
            target,
            channel: ChannelChoice { primary: Channel::Whatsapp, fallback: Some(Channel::Sms) },
            messages,
            reservation_conditions: vec![],
            message_conditions: vec![],
            quiet_hours: QuietHoursPolicy::Respect,
        },
    }
}

fn schedule(hours: Vec<u8>, anchor: Anchor, offset: i32) -> Campaign {
    use DayOfWeek::*;
    campaign(
        Trigger::Schedule { days: vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun], hours },
        Target {
            status: Some(ReservationStatus::Confirmed),
            anchor: Some(anchor),
            send_offset_days: Some(offset),
            statuses: None,
        },
    )
}

fn relative(anchor: RelativeAnchor, offset_days: i32, at: Option<&str>) -> Campaign {
    campaign(
        Trigger::Relative { anchor, offset_days, offset_minutes: 0, at: at.map(|a| a.parse().unwrap()) },
        Target::default(),
    )
}

fn reservation(check_in: NaiveDate, check_out: NaiveDate) -> Reservation {
    Reservation {
        id: "r".into(),
        property_id: "p".into(),
        unit_id: None,
        source: Source::Airbnb,
        status: ReservationStatus::Confirmed,
        check_in,
        check_out,
        eta: None,
        etd: None,
        guest: Guest {
            first_name: "Ana".into(),
            last_name: "Silva".into(),
            email: None,
            phone: Some("+351912345678".into()),
            language: Some("pt-BR".into()),
            hometown: None,
        },
        adults: 2,
        children: 0,
        total_amount: None,
        host_payout: None,
        balance_due: None,
        currency: None,
        check_in_form_submitted: false,
        guest_app_forms: BTreeMap::new(),
        contract_signed: false,
        auto_review_enabled: None,
        review: None,
        payments: vec![],
        custom_fields: BTreeMap::new(),
        updated_at: utc(2026, 6, 1, 9, 0),
    }
}

fn view<'a>(
    r: &'a Reservation,
    transitions: &'a [Transition],
    confirmed_at: Option<DateTime<Utc>>,
) -> ReservationView<'a> {
    ReservationView { reservation: r, transitions, confirmed_at }
}

fn created(actions: Vec<PlanAction>) -> Message {
    match actions.as_slice() {
        [PlanAction::Create(m)] => m.clone(),
        other => panic!("expected one created message, got {other:?}"),
    }
}

fn updated(actions: Vec<PlanAction>) -> Message {
    match actions.as_slice() {
        [PlanAction::Update { message, .. }] => message.clone(),
        other => panic!("expected one update, got {other:?}"),
    }
}

#[test]
fn schedule_due_at_first_slot_of_send_date_in_property_time() {
    // Lisbon in June is UTC+1: the 10:00 slot three days before a June 10 check-in is 09:00Z.
    let c = schedule(vec![16, 10], Anchor::CheckIn, -3);
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m = created(plan(&c, &property("Europe/Lisbon"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    assert_eq!(m.due_at, utc(2026, 6, 7, 9, 0));
    assert_eq!(m.anchor_date, Some(date(2026, 6, 10)));
    // Confirmed on the send date after the first slot: the next slot that day.
    let m = created(plan(&c, &property("Europe/Lisbon"), &view(&r, &[], None), &[], utc(2026, 6, 7, 9, 30)));
    assert_eq!(m.due_at, utc(2026, 6, 7, 15, 0));
    // After the last slot of the send date: never in the audience, no message.
    assert!(plan(&c, &property("Europe/Lisbon"), &view(&r, &[], None), &[], utc(2026, 6, 7, 15, 1)).is_empty());
}

#[test]
fn schedule_only_listed_days_and_inside_the_period() {
    let mut c = schedule(vec![10], Anchor::CheckIn, -3);
    c.spec.trigger = Trigger::Schedule { days: vec![DayOfWeek::Mon], hours: vec![10] };
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13)); // send date Sunday June 7
    assert!(plan(&c, &property("UTC"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)).is_empty());
    let mut c = schedule(vec![10], Anchor::CheckIn, -3);
    c.spec.period = Period { start: Some(date(2026, 6, 8)), end: None };
    assert!(plan(&c, &property("UTC"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)).is_empty());
}

#[test]
fn schedule_message_follows_a_moved_anchor_and_keeps_its_identity() {
    let c = schedule(vec![10], Anchor::CheckIn, -3);
    let p = property("UTC");
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m = created(plan(&c, &p, &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    r.check_in = date(2026, 6, 20);
    r.check_out = date(2026, 6, 22);
    let moved = updated(plan(&c, &p, &view(&r, &[], None), std::slice::from_ref(&m), utc(2026, 6, 2, 9, 0)));
    assert_eq!(moved.id, m.id);
    assert_eq!(moved.due_at, utc(2026, 6, 17, 10, 0));
    assert_eq!(moved.state, MessageState::Scheduled);
}

#[test]
fn schedule_at_most_once_per_anchor_date_but_again_for_a_new_one() {
    let c = schedule(vec![10], Anchor::CheckIn, -3);
    let p = property("UTC");
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let mut sent = created(plan(&c, &p, &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    sent.transition(utc(2026, 6, 7, 10, 0), MessageState::Sent, None);
    // Same anchor date: nothing more.
    assert!(plan(&c, &p, &view(&r, &[], None), std::slice::from_ref(&sent), utc(2026, 6, 7, 11, 0)).is_empty());
    // Moved after the send: a second message for the new anchor date.
    r.check_in = date(2026, 6, 15);
    let second = created(plan(&c, &p, &view(&r, &[], None), std::slice::from_ref(&sent), utc(2026, 6, 8, 9, 0)));
    assert_ne!(second.id, sent.id);
    assert_eq!(second.due_at, utc(2026, 6, 12, 10, 0));
}

#[test]
fn dst_spring_forward_slot_in_the_gap_happens_once_at_the_jump() {
    // America/New_York 2026-03-08: 02:00 -> 03:00. A 02:00 slot maps to 07:00Z (03:00 EDT).
    let c = schedule(vec![2], Anchor::CheckIn, 0);
    let r = reservation(date(2026, 3, 8), date(2026, 3, 9));
    let m = created(plan(&c, &property("America/New_York"), &view(&r, &[], None), &[], utc(2026, 3, 1, 0, 0)));
    assert_eq!(m.due_at, utc(2026, 3, 8, 7, 0));
}

#[test]
fn relative_due_with_at_and_already_passed() {
    let c = relative(RelativeAnchor::CheckIn, -2, Some("10:00"));
    let p = property("Europe/Lisbon");
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let confirmed = Some(utc(2026, 6, 1, 9, 0));
    let m = created(plan(&c, &p, &view(&r, &[], confirmed), &[], utc(2026, 6, 1, 9, 0)));
    assert_eq!(m.due_at, utc(2026, 6, 8, 9, 0));
    // Not attached before confirmation.
    assert!(plan(&c, &p, &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)).is_empty());
    // Confirmation anchor, +1 day, no `at`: same wall time next day.
    let c = relative(RelativeAnchor::Confirmation, 1, None);
    let m = created(plan(&c, &p, &view(&r, &[], confirmed), &[], utc(2026, 6, 1, 9, 0)));
    assert_eq!(m.due_at, utc(2026, 6, 2, 9, 0));
}

#[test]
fn relative_follows_date_changes() {
    let c = relative(RelativeAnchor::CheckIn, -2, Some("10:00"));
    let p = property("UTC");
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let confirmed = Some(utc(2026, 6, 1, 9, 0));
    let m = created(plan(&c, &p, &view(&r, &[], confirmed), &[], utc(2026, 6, 1, 9, 0)));
    r.check_in = date(2026, 6, 12);
    r.check_out = date(2026, 6, 14);
    let moved = updated(plan(&c, &p, &view(&r, &[], confirmed), &[m], utc(2026, 6, 2, 9, 0)));
    assert_eq!(moved.due_at, utc(2026, 6, 10, 10, 0));
}

#[test]
fn status_change_one_message_per_transition_inside_the_period() {
    let mut c =
        campaign(Trigger::StatusChange, Target { status: Some(ReservationStatus::CheckedIn), ..Target::default() });
    let p = property("UTC");
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let transitions = vec![
        Transition { seq: 1, from: None, to: ReservationStatus::Confirmed, at: utc(2026, 6, 1, 9, 0) },
        Transition {
            seq: 2,
            from: Some(ReservationStatus::Confirmed),
            to: ReservationStatus::CheckedIn,
            at: utc(2026, 6, 10, 15, 0),
        },
    ];
    let m = created(plan(&c, &p, &view(&r, &transitions, None), &[], utc(2026, 6, 10, 15, 0)));
    assert_eq!(m.due_at, utc(2026, 6, 10, 15, 0));
    assert!(plan(&c, &p, &view(&r, &transitions, None), &[m], utc(2026, 6, 10, 15, 5)).is_empty());
    c.spec.period = Period { start: None, end: Some(date(2026, 6, 9)) };
    assert!(plan(&c, &p, &view(&r, &transitions, None), &[], utc(2026, 6, 10, 15, 0)).is_empty());
}

#[test]
fn expiry_rules() {
    let p = property("Europe/Lisbon");
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let due = utc(2026, 6, 7, 9, 0);
    // Anchored on check-in: the check-out moment (11:00 Lisbon = 10:00Z).
    assert_eq!(expiry(&schedule(vec![10], Anchor::CheckIn, -3), &p, &r, due), utc(2026, 6, 13, 10, 0));
    // Anchored on check-out: due + 7 days.
    assert_eq!(expiry(&schedule(vec![10], Anchor::CheckOut, 1), &p, &r, due), utc(2026, 6, 14, 9, 0));
    let checked_out =
        campaign(Trigger::StatusChange, Target { status: Some(ReservationStatus::CheckedOut), ..Target::default() });
    assert_eq!(expiry(&checked_out, &p, &r, due), utc(2026, 6, 14, 9, 0));
}

#[test]
fn cancellation_voids_open_messages_except_for_campaigns_targeting_canceled() {
    let c = schedule(vec![10], Anchor::CheckIn, -3);
    let p = property("UTC");
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m = created(plan(&c, &p, &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    let canceled = updated(cancel_for_reservation(&c, std::slice::from_ref(&m), utc(2026, 6, 2, 0, 0)));
    assert_eq!(canceled.state, MessageState::Canceled);
    assert_eq!(canceled.reason.as_deref(), Some("reservation_canceled"));
    let on_cancel =
        campaign(Trigger::StatusChange, Target { status: Some(ReservationStatus::Canceled), ..Target::default() });
    assert!(cancel_for_reservation(&on_cancel, &[m], utc(2026, 6, 2, 0, 0)).is_empty());
}

fn decide(
    c: &Campaign,
    r: &Reservation,
    m: &Message,
    now: DateTime<Utc>,
    opted_out: &dyn Fn(Channel) -> bool,
) -> DueDecision {
    let p = property("UTC");
    let bot = chatbot();
    let ctx = DueContext {
        campaign: c,
        property: &p,
        chatbot: &bot,
        view: view(r, &[], None),
        conditions: crate::conditions::ConditionContext {
            reservation: r,
            property: &p,
            guest_history: &[],
            unit_reservations: &[],
        },
        message: m,
        opted_out,
        now,
    };
    decide_due(&ctx)
}

#[test]
fn due_decision_order_and_reasons() {
    let never = |_: Channel| false;
    let mut c = schedule(vec![10], Anchor::CheckIn, -3);
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m = created(plan(&c, &property("UTC"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    let due = utc(2026, 6, 7, 10, 0);
    assert_eq!(decide(&c, &r, &m, due - chrono::Duration::minutes(1), &never), DueDecision::Nothing);
    match decide(&c, &r, &m, due, &never) {
        DueDecision::Send(rendered) => {
            assert_eq!(rendered.channel, Channel::Whatsapp);
            assert_eq!(rendered.language, "pt"); // pt-BR guest -> pt content
            assert_eq!(rendered.body, "Olá Ana");
        }
        other => panic!("{other:?}"),
    }
    // Expired once the check-out moment (11:00) has passed; at that very moment it still goes.
    assert!(matches!(decide(&c, &r, &m, utc(2026, 6, 13, 11, 0), &never), DueDecision::Send(_)));
    assert_eq!(decide(&c, &r, &m, utc(2026, 6, 13, 11, 1), &never), DueDecision::Expire);
    // Opted out of WhatsApp: the SMS fallback goes instead; out of both: skipped.
    match decide(&c, &r, &m, due, &|ch| ch == Channel::Whatsapp) {
        DueDecision::Send(rendered) => {
            assert_eq!(rendered.channel, Channel::Sms);
            assert_eq!(rendered.reason.as_deref(), Some("fallback_after:whatsapp_opted_out"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(decide(&c, &r, &m, due, &|_| true), DueDecision::Skip("opted_out".into()));
    c.spec.message_conditions = vec![MessageCondition::CheckInFormSubmitted { value: true }];
    assert_eq!(
        decide(&c, &r, &m, due, &never),
        DueDecision::Pending("conditions_not_met:check_in_form_submitted".into())
    );
    c.spec.reservation_conditions = vec![ReservationCondition::Source { op: InOp::NotIn, value: vec![Source::Airbnb] }];
    assert_eq!(decide(&c, &r, &m, due, &never), DueDecision::Skip("reservation_conditions_not_met:source".into()));
    c.spec.reservation_conditions.clear();
    r.guest.phone = None;
    assert_eq!(decide(&c, &r, &m, due, &never), DueDecision::Skip("no_phone".into()));
    r.guest.phone = Some("+351912345678".into());
    c.status = CampaignStatus::Paused;
    assert_eq!(decide(&c, &r, &m, due, &never), DueDecision::Skip("campaign_paused".into()));
    c.status = CampaignStatus::Archived;
    assert_eq!(decide(&c, &r, &m, due, &never), DueDecision::Cancel("campaign_archived".into()));
    c.status = CampaignStatus::Active;
    r.status = ReservationStatus::Canceled;
    assert_eq!(decide(&c, &r, &m, due, &never), DueDecision::Cancel("reservation_canceled".into()));
}

#[test]
fn missing_variable_holds_the_message_pending() {
    let never = |_: Channel| false;
    let mut c = schedule(vec![10], Anchor::CheckIn, -3);
    c.spec.channel = ChannelChoice { primary: Channel::Sms, fallback: None };
    for content in c.spec.messages.values_mut() {
        content.sms = Some(SmsContent::Text { body: "Arriving at {{eta}}?".into() });
    }
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m = created(plan(&c, &property("UTC"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    let due = utc(2026, 6, 7, 10, 0);
    assert_eq!(decide(&c, &r, &m, due, &never), DueDecision::Pending("missing_variable:eta".into()));
    r.eta = Some("16:30".parse().unwrap());
    match decide(&c, &r, &m, due, &never) {
        DueDecision::Send(rendered) => assert_eq!(rendered.body, "Arriving at 16:30?"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn expiry_follows_a_changed_check_out() {
    let never = |_: Channel| false;
    let c = relative(RelativeAnchor::CheckIn, 2, Some("10:00"));
    let p = property("UTC");
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let confirmed = Some(utc(2026, 6, 1, 9, 0));
    let m = created(plan(&c, &p, &view(&r, &[], confirmed), &[], utc(2026, 6, 1, 9, 0)));
    assert_eq!(m.due_at, utc(2026, 6, 12, 10, 0));
    // The stay is shortened to end before the due moment: the message expires, unsent.
    r.check_out = date(2026, 6, 11);
    assert_eq!(decide(&c, &r, &m, utc(2026, 6, 12, 10, 0), &never), DueDecision::Expire);
    // The planner keeps the stored expiry in step with the reservation.
    let moved = updated(plan(&c, &p, &view(&r, &[], confirmed), std::slice::from_ref(&m), utc(2026, 6, 2, 0, 0)));
    assert_eq!(moved.expires_at, utc(2026, 6, 11, 11, 0));
}

#[test]
fn relative_due_outside_the_period_is_not_attached() {
    let mut c = relative(RelativeAnchor::CheckIn, -2, Some("10:00"));
    c.spec.period = Period { start: Some(date(2026, 6, 15)), end: None };
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    assert!(
        plan(&c, &property("UTC"), &view(&r, &[], Some(utc(2026, 6, 1, 9, 0))), &[], utc(2026, 6, 1, 9, 0)).is_empty()
    );
}

#[test]
fn a_paused_campaign_holds_relative_and_pending_messages() {
    let never = |_: Channel| false;
    let mut c = relative(RelativeAnchor::CheckIn, -2, Some("10:00"));
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m =
        created(plan(&c, &property("UTC"), &view(&r, &[], Some(utc(2026, 6, 1, 9, 0))), &[], utc(2026, 6, 1, 9, 0)));
    c.status = CampaignStatus::Paused;
    assert_eq!(decide(&c, &r, &m, utc(2026, 6, 8, 10, 0), &never), DueDecision::Nothing);
    c.status = CampaignStatus::Active;
    assert!(matches!(decide(&c, &r, &m, utc(2026, 6, 8, 12, 0), &never), DueDecision::Send(_)));
}

#[test]
fn after_the_primary_failed_the_message_goes_as_the_fallback() {
    let never = |_: Channel| false;
    let c = schedule(vec![10], Anchor::CheckIn, -3);
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let mut m = created(plan(&c, &property("UTC"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    m.attempts.push(Attempt {
        channel: Channel::Whatsapp,
        at: utc(2026, 6, 7, 10, 0),
        provider_message_id: Some("wamid.1".into()),
        status: MessageState::Failed,
        error: Some("131026".into()),
        segments: None,
        fallback: false,
    });
    m.transition(utc(2026, 6, 7, 10, 5), MessageState::Pending, Some("missing_variable:eta".into()));
    match decide(&c, &r, &m, utc(2026, 6, 7, 11, 0), &never) {
        DueDecision::Send(rendered) => {
            assert_eq!(rendered.channel, Channel::Sms);
            assert_eq!(rendered.reason.as_deref(), Some("fallback_after:whatsapp_failed"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        decide(&c, &r, &m, utc(2026, 6, 7, 11, 0), &|ch| ch == Channel::Sms),
        DueDecision::Skip("opted_out".into())
    );
}

#[test]
fn activation_plans_only_moments_at_or_after_it_for_reservations_received_before() {
    // "1 day after confirmation", approved on June 5; bookings confirmed June 1 and June 4.
    let mut c = relative(RelativeAnchor::Confirmation, 1, None);
    c.activated_at = Some(utc(2026, 6, 5, 0, 0));
    let p = property("UTC");
    let r = reservation(date(2026, 6, 20), date(2026, 6, 23));
    let activation = utc(2026, 6, 5, 0, 0);
    // Due June 2, before activation: no message at all.
    assert!(plan(&c, &p, &view(&r, &[], Some(utc(2026, 6, 1, 9, 0))), &[], activation).is_empty());
    // Due June 5 09:00, after activation: planned as usual.
    let m = created(plan(&c, &p, &view(&r, &[], Some(utc(2026, 6, 4, 9, 0))), &[], activation));
    assert_eq!(m.due_at, utc(2026, 6, 5, 9, 0));
    // Confirmed while active with the moment already passed: due at once.
    let c = relative(RelativeAnchor::CheckIn, -10, None);
    let m = created(plan(&c, &p, &view(&r, &[], Some(utc(2026, 6, 15, 9, 0))), &[], utc(2026, 6, 15, 9, 0)));
    assert!(m.due_at < utc(2026, 6, 15, 9, 0));
    assert_eq!(m.state, MessageState::Scheduled);
}

#[test]
fn status_change_reacts_only_to_transitions_after_activation() {
    let mut c =
        campaign(Trigger::StatusChange, Target { status: Some(ReservationStatus::CheckedIn), ..Target::default() });
    c.activated_at = Some(utc(2026, 6, 5, 0, 0));
    let mut r = reservation(date(2026, 6, 4), date(2026, 6, 8));
    r.status = ReservationStatus::CheckedIn;
    let before = [Transition { seq: 1, from: None, to: ReservationStatus::CheckedIn, at: utc(2026, 6, 4, 15, 0) }];
    assert!(plan(&c, &property("UTC"), &view(&r, &before, None), &[], utc(2026, 6, 5, 0, 0)).is_empty());
}

#[test]
fn a_held_message_is_canceled_when_the_reservation_leaves_the_audience_and_comes_back() {
    // "Confirmed, 3 days before check-in, only when the ETA is known".
    let never = |_: Channel| false;
    let mut c = schedule(vec![10], Anchor::CheckIn, -3);
    c.spec.message_conditions = vec![MessageCondition::EtaProvided { value: true }];
    let p = property("UTC");
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m = created(plan(&c, &p, &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    let due = utc(2026, 6, 7, 10, 0);
    assert_eq!(decide(&c, &r, &m, due, &never), DueDecision::Pending("conditions_not_met:eta_provided".into()));
    let mut held = m.clone();
    held.transition(due, MessageState::Pending, Some("conditions_not_met:eta_provided".into()));
    // Checked in, then the ETA arrives: never sent to a checked-in guest.
    r.status = ReservationStatus::CheckedIn;
    r.eta = Some("16:00".parse().unwrap());
    assert_eq!(
        decide(&c, &r, &held, utc(2026, 6, 8, 9, 0), &never),
        DueDecision::Cancel("status_changed:checked_in".into())
    );
    let canceled = updated(plan(&c, &p, &view(&r, &[], None), std::slice::from_ref(&held), utc(2026, 6, 8, 9, 0)));
    assert_eq!(canceled.state, MessageState::Canceled);
    assert_eq!(canceled.reason.as_deref(), Some("status_changed:checked_in"));
    // Back to confirmed while it can still be sent: the same message, due at once.
    r.status = ReservationStatus::Confirmed;
    let back = updated(plan(&c, &p, &view(&r, &[], None), std::slice::from_ref(&canceled), utc(2026, 6, 8, 10, 0)));
    assert_eq!(back.id, m.id);
    assert_eq!(back.state, MessageState::Scheduled);
    assert_eq!(back.due_at, due);
}

#[test]
fn a_relative_message_leaves_with_its_reservation_but_waits_for_one_not_yet_in_the_audience() {
    let never = |_: Channel| false;
    let c = relative(RelativeAnchor::CheckIn, 1, Some("10:00")); // default statuses: confirmed, checked_in
    let p = property("UTC");
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let confirmed = Some(utc(2026, 6, 1, 9, 0));
    let m = created(plan(&c, &p, &view(&r, &[], confirmed), &[], utc(2026, 6, 1, 9, 0)));
    r.status = ReservationStatus::CheckedOut;
    let left = [Transition {
        seq: 2,
        from: Some(ReservationStatus::Confirmed),
        to: ReservationStatus::CheckedOut,
        at: utc(2026, 6, 10, 9, 0),
    }];
    let canceled = updated(plan(&c, &p, &view(&r, &left, confirmed), std::slice::from_ref(&m), utc(2026, 6, 10, 9, 0)));
    assert_eq!(canceled.reason.as_deref(), Some("status_changed:checked_out"));
    // Target `checked_in` only, the reservation still confirmed: it waits (pending), not canceled.
    let mut c = relative(RelativeAnchor::CheckIn, 0, Some("17:00"));
    c.spec.target.statuses = Some(vec![ReservationStatus::CheckedIn]);
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let first = [Transition { seq: 1, from: None, to: ReservationStatus::Confirmed, at: utc(2026, 6, 1, 9, 0) }];
    let m = created(plan(&c, &p, &view(&r, &first, confirmed), &[], utc(2026, 6, 1, 9, 0)));
    assert!(plan(&c, &p, &view(&r, &first, confirmed), std::slice::from_ref(&m), utc(2026, 6, 2, 9, 0)).is_empty());
    assert_eq!(
        decide(&c, &r, &m, utc(2026, 6, 10, 17, 0), &never),
        DueDecision::Pending("status_not_targeted:confirmed".into())
    );
}

#[test]
fn quiet_hours_hold_a_due_message_until_they_end_unless_the_campaign_ignores_them() {
    let never = |_: Channel| false;
    let mut c = schedule(vec![22], Anchor::CheckIn, -3);
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let m = created(plan(&c, &property("UTC"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    let quiet = QuietHours { start: "21:00".parse().unwrap(), end: "08:00".parse().unwrap() };
    let mut p = property("UTC");
    p.quiet_hours = Some(quiet);
    let bot = chatbot();
    let due = utc(2026, 6, 7, 22, 0);
    let decide_at = |c: &Campaign, p: &Property, now| {
        decide_due(&DueContext {
            campaign: c,
            property: p,
            chatbot: &bot,
            view: view(&r, &[], None),
            conditions: crate::conditions::ConditionContext {
                reservation: &r,
                property: p,
                guest_history: &[],
                unit_reservations: &[],
            },
            message: &m,
            opted_out: &never,
            now,
        })
    };
    // Crossing midnight: 22:00 is held to 08:00 the next morning.
    assert_eq!(decide_at(&c, &p, due), DueDecision::HoldForQuietHours(utc(2026, 6, 8, 8, 0)));
    // After midnight, to 08:00 the same day; at 08:00 it goes.
    assert_eq!(decide_at(&c, &p, utc(2026, 6, 8, 3, 0)), DueDecision::HoldForQuietHours(utc(2026, 6, 8, 8, 0)));
    assert!(matches!(decide_at(&c, &p, utc(2026, 6, 8, 8, 0)), DueDecision::Send(_)));
    // A window inside one day.
    p.quiet_hours = Some(QuietHours { start: "12:00".parse().unwrap(), end: "14:00".parse().unwrap() });
    assert!(matches!(decide_at(&c, &p, due), DueDecision::Send(_)));
    assert_eq!(decide_at(&c, &p, utc(2026, 6, 8, 13, 59)), DueDecision::HoldForQuietHours(utc(2026, 6, 8, 14, 0)));
    // Ignored by the campaign; none without property quiet hours.
    p.quiet_hours = Some(quiet);
    c.spec.quiet_hours = QuietHoursPolicy::Ignore;
    assert!(matches!(decide_at(&c, &p, due), DueDecision::Send(_)));
    c.spec.quiet_hours = QuietHoursPolicy::Respect;
    assert!(matches!(decide_at(&c, &property("UTC"), due), DueDecision::Send(_)));
    // Property-local: 21:00-08:00 in Lisbon (UTC+1 in June) is 20:00Z-07:00Z.
    let mut lisbon = property("Europe/Lisbon");
    lisbon.quiet_hours = Some(quiet);
    assert_eq!(quiet.end_if_inside(lisbon.time_zone, utc(2026, 6, 7, 20, 0)), Some(utc(2026, 6, 8, 7, 0)));
    assert_eq!(quiet.end_if_inside(lisbon.time_zone, utc(2026, 6, 7, 19, 59)), None);
}

#[test]
fn a_held_message_still_expires_from_its_planned_due_moment() {
    let never = |_: Channel| false;
    let c = schedule(vec![10], Anchor::CheckIn, -3);
    let r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    let mut m = created(plan(&c, &property("UTC"), &view(&r, &[], None), &[], utc(2026, 6, 1, 9, 0)));
    // Held past the check-out moment (11:00 on June 13): expired when it comes due.
    m.held_from = Some(m.due_at);
    m.due_at = utc(2026, 6, 13, 12, 0);
    assert_eq!(decide(&c, &r, &m, utc(2026, 6, 13, 12, 0), &never), DueDecision::Expire);
}

#[test]
fn the_property_default_guest_language_applies_when_the_guest_has_none() {
    let c = schedule(vec![10], Anchor::CheckIn, -3);
    let mut p = property("UTC");
    p.default_guest_language = Some("pt-PT".into());
    let mut r = reservation(date(2026, 6, 10), date(2026, 6, 13));
    r.guest.language = None;
    assert_eq!(render(&c, &p, &r, Channel::Sms, "+1").unwrap().language, "pt");
    r.guest.language = Some("de".into()); // the guest's own language wins, English without de content
    assert_eq!(render(&c, &p, &r, Channel::Sms, "+1").unwrap().language, "en");
    r.guest.language = None;
    assert_eq!(render(&c, &property("UTC"), &r, Channel::Sms, "+1").unwrap().language, "en");
}
