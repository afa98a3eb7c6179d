//! Reservation conditions and message conditions (SPEC 2.3, Appendix A.3).
//!
//! Pure: everything a condition looks at is in the [`ConditionContext`]. Choices where the SPEC
//! is silent (documented per condition below):
//! - A boolean condition with `value: false` is the exact negation of the same condition with
//!   `value: true` (including `auto_review_enabled`, `review_submitted`, `available_nights`).
//! - `fully_paid`: paid means a known `balance_due` <= 0 (zero, or a credit); an absent balance is
//!   not proof of payment, so `fully_paid: true` fails and `fully_paid: false` holds.
//! - `guest_app_form_submitted`, `custom_field`: an absent key is "no".
//! - `planned_arrival` / `planned_departure`: strictly before / strictly after the given time.
//! - `preferred_language`: primary subtags compared case-insensitively; a guest without a
//!   language is treated as English (`en`).
//! - `hometown`: trimmed, case-insensitive; without a hometown `is` and `contains` fail and
//!   `is_not` holds.
//! - `total_payout`: numeric comparison (`400` is `400.00`); without a host payout every operator
//!   fails.
//! - `auto_review_enabled` is true only for Airbnb and Vrbo reservations with auto review on;
//!   `review_submitted` only for Airbnb, Booking.com and Vrbo with a submitted review meeting every
//!   minimum rating (a category without a rating fails).
//! - `available_nights`: see [`available_nights`].

use chrono::{Datelike, NaiveDate, Weekday};

use crate::language::{DEFAULT_LANGUAGE, primary_subtag};
use crate::model::{
    AmountOp, CountOp, GapDays, GapSide, HoldOutcome, InOp, IsOp, MessageCondition, PaymentKind, PaymentOutcome,
    PaymentStatus, Property, Reservation, ReservationCondition, ReservationStatus, Source, TextOp, TimeOp,
};
use crate::time::LocalTime;

/// What message conditions are evaluated against.
#[derive(Debug, Clone, Copy)]
pub struct ConditionContext<'a> {
    pub reservation: &'a Reservation,
    pub property: &'a Property,
    /// Other reservations of the same property with the same e-mail or phone (may include this
    /// one; it is ignored). Used by `returning_guest`.
    pub guest_history: &'a [Reservation],
    /// Reservations of the same unit (may include this one; it and canceled ones are ignored).
    /// Used by `available_nights`.
    pub unit_reservations: &'a [Reservation],
}

/// Whether a reservation condition holds. `unit` on a reservation without a unit: `in` fails,
/// `not_in` holds.
pub fn reservation_condition_holds(condition: &ReservationCondition, reservation: &Reservation) -> bool {
    let (op, member) = match condition {
        ReservationCondition::Source { op, value } => (op, value.contains(&reservation.source)),
        ReservationCondition::Unit { op, value } => {
            (op, reservation.unit_id.as_ref().is_some_and(|u| value.iter().any(|v| v == u)))
        }
    };
    match op {
        InOp::In => member,
        InOp::NotIn => !member,
    }
}

/// The first reservation condition that does not hold, if any.
pub fn failing_reservation_condition<'a>(
    conditions: &'a [ReservationCondition],
    reservation: &Reservation,
) -> Option<&'a ReservationCondition> {
    conditions.iter().find(|c| !reservation_condition_holds(c, reservation))
}

/// The first message condition that does not hold, if any (its [`MessageCondition::kind`] makes
/// the reason `conditions_not_met:<kind>`).
pub fn first_failing<'a>(conditions: &'a [MessageCondition], ctx: &ConditionContext) -> Option<&'a MessageCondition> {
    conditions.iter().find(|c| !message_condition_holds(c, ctx))
}

fn compare_time(op: TimeOp, time: LocalTime, limit: LocalTime) -> bool {
    match op {
        TimeOp::Before => time < limit,
        TimeOp::After => time > limit,
    }
}

fn norm_text(s: &str) -> String {
    s.trim().to_lowercase()
}

/// Whether one message condition holds for the reservation in `ctx`.
pub fn message_condition_holds(condition: &MessageCondition, ctx: &ConditionContext) -> bool {
    let r = ctx.reservation;
    match condition {
        MessageCondition::GuestsCount { op, value } => {
            let count = r.guests_count();
            match op {
                CountOp::Is => count == *value,
                CountOp::IsNot => count != *value,
                CountOp::MoreThan => count > *value,
                CountOp::LessThan => count < *value,
            }
        }
        MessageCondition::FullyPaid { value } => is_fully_paid(r) == *value,
        MessageCondition::CheckInFormSubmitted { value } => r.check_in_form_submitted == *value,
        MessageCondition::GuestAppFormSubmitted { app_id, value } => {
            r.guest_app_forms.get(app_id).copied().unwrap_or(false) == *value
        }
        MessageCondition::ContractSigned { value } => r.contract_signed == *value,
        MessageCondition::PlannedArrival { op, value } => {
            compare_time(*op, r.eta.unwrap_or(ctx.property.check_in_time), *value)
        }
        MessageCondition::EtaProvided { value } => r.eta.is_some() == *value,
        MessageCondition::PlannedDeparture { op, value } => {
            compare_time(*op, r.etd.unwrap_or(ctx.property.check_out_time), *value)
        }
        MessageCondition::EtdProvided { value } => r.etd.is_some() == *value,
        MessageCondition::PreferredLanguage { op, value } => {
            let guest = r
                .guest
                .language
                .as_deref()
                .map(primary_subtag)
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| DEFAULT_LANGUAGE.to_string());
            let listed = value.iter().any(|l| primary_subtag(l) == guest);
            match op {
                IsOp::Is => listed,
                IsOp::IsNot => !listed,
            }
        }
        MessageCondition::Hometown { op, value } => {
            let hometown = r.guest.hometown.as_deref().map(norm_text).filter(|h| !h.is_empty());
            let wanted = norm_text(value);
            match (op, hometown) {
                (TextOp::Is, Some(h)) => h == wanted,
                (TextOp::IsNot, Some(h)) => h != wanted,
                (TextOp::Contains, Some(h)) => h.contains(&wanted),
                (TextOp::Is | TextOp::Contains, None) => false,
                (TextOp::IsNot, None) => true,
            }
        }
        MessageCondition::ReturningGuest { value } => is_returning_guest(r, ctx.guest_history) == *value,
        MessageCondition::TotalPayout { op, value } => match r.host_payout {
            None => false,
            Some(payout) => match op {
                AmountOp::MoreThan => payout > *value,
                AmountOp::LessThan => payout < *value,
                AmountOp::Is => payout == *value,
            },
        },
        MessageCondition::AutoReviewEnabled { value } => {
            let enabled = matches!(r.source, Source::Airbnb | Source::Vrbo) && r.auto_review_enabled == Some(true);
            enabled == *value
        }
        MessageCondition::ReviewSubmitted { value, min_ratings } => {
            let submitted = matches!(r.source, Source::Airbnb | Source::BookingCom | Source::Vrbo)
                && r.review.as_ref().is_some_and(|review| {
                    review.submitted
                        && min_ratings
                            .iter()
                            .flatten()
                            .all(|(category, min)| review.ratings.get(category).is_some_and(|rating| rating >= min))
                });
            submitted == *value
        }
        MessageCondition::AuthorizationHold { value } => hold_outcome(r, PaymentKind::AuthorizationHold, *value),
        MessageCondition::SecurityDeposit { value } => hold_outcome(r, PaymentKind::SecurityDeposit, *value),
        MessageCondition::Payment { value } => {
            let has =
                |status: PaymentStatus| r.payments.iter().any(|p| p.kind == PaymentKind::Payment && p.status == status);
            match value {
                PaymentOutcome::Succeeded => has(PaymentStatus::Succeeded),
                PaymentOutcome::PendingAuthentication => has(PaymentStatus::PendingAuthentication),
                PaymentOutcome::Failed => {
                    has(PaymentStatus::Failed)
                        && !has(PaymentStatus::Succeeded)
                        && !has(PaymentStatus::PendingAuthentication)
                }
            }
        }
        MessageCondition::AvailableNights { side, days, max_gap_nights, value } => {
            available_nights(r, ctx.unit_reservations, *side, *days, *max_gap_nights) == *value
        }
        MessageCondition::CustomField { key, value } => r.custom_fields.get(key).copied().unwrap_or(false) == *value,
    }
}

/// Fully paid: a known balance due that is zero or less (a credit). Absent balance: not paid.
pub fn is_fully_paid(reservation: &Reservation) -> bool {
    reservation.balance_due.is_some_and(|b| b <= rust_decimal::Decimal::ZERO)
}

/// `authorization_hold` / `security_deposit`: succeeded = at least one success; failed = at
/// least one failure and no success.
fn hold_outcome(r: &Reservation, kind: PaymentKind, outcome: HoldOutcome) -> bool {
    let has = |status: PaymentStatus| r.payments.iter().any(|p| p.kind == kind && p.status == status);
    match outcome {
        HoldOutcome::Succeeded => has(PaymentStatus::Succeeded),
        HoldOutcome::Failed => has(PaymentStatus::Failed) && !has(PaymentStatus::Succeeded),
    }
}

fn same_email(a: Option<&str>, b: Option<&str>) -> bool {
    match (a.map(str::trim), b.map(str::trim)) {
        (Some(a), Some(b)) => !a.is_empty() && a.to_lowercase() == b.to_lowercase(),
        _ => false,
    }
}

fn phone_digits(p: &str) -> String {
    p.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

fn same_phone(a: Option<&str>, b: Option<&str>) -> bool {
    match (a.map(phone_digits), b.map(phone_digits)) {
        (Some(a), Some(b)) => a.chars().any(|c| c.is_ascii_digit()) && a == b,
        _ => false,
    }
}

/// A returning guest has an earlier checked-out reservation (another id, status `checked_out`,
/// check-out on or before this check-in) at the same property with the same e-mail
/// (case-insensitive) or the same phone (compared on digits and `+`).
pub fn is_returning_guest(reservation: &Reservation, history: &[Reservation]) -> bool {
    let r = reservation;
    history.iter().any(|h| {
        h.id != r.id
            && h.property_id == r.property_id
            && h.status == ReservationStatus::CheckedOut
            && h.check_out <= r.check_in
            && (same_email(h.guest.email.as_deref(), r.guest.email.as_deref())
                || same_phone(h.guest.phone.as_deref(), r.guest.phone.as_deref()))
    })
}

/// A weekend night is a Friday or Saturday night; the others (Sunday to Thursday nights) are
/// weekday nights. A night is dated by the evening it starts.
pub fn is_weekend_night(night: NaiveDate) -> bool {
    matches!(night.weekday(), Weekday::Fri | Weekday::Sat)
}

fn gap_qualifies(first_night: NaiveDate, nights: i64, days: GapDays, max_gap_nights: u32) -> bool {
    if nights < 1 || nights > i64::from(max_gap_nights) {
        return false;
    }
    first_night.iter_days().take(usize::try_from(nights).unwrap_or(0)).any(|night| match days {
        GapDays::Any => true,
        GapDays::Weekdays => !is_weekend_night(night),
        GapDays::Weekends => is_weekend_night(night),
    })
}

/// `available_nights`: free nights in the same unit between this stay and a neighbouring stay.
///
/// Neighbours are the other non-canceled reservations of the reservation's unit (same property,
/// at least one night). `before`: the free nights run from the latest check-out of the
/// neighbours that start before this check-in, up to this check-in. `after`: from this check-out
/// up to the earliest check-in of the neighbours that end after this check-out. The side
/// qualifies when that gap is 1..=`max_gap_nights` nights and at least one of its nights is of the
/// chosen kind (`weekends`: Friday and Saturday nights; `weekdays`: the others). No neighbour on
/// a side (unbounded availability), an overlap, or a reservation without a unit: not available.
pub fn available_nights(
    reservation: &Reservation,
    unit_reservations: &[Reservation],
    side: GapSide,
    days: GapDays,
    max_gap_nights: u32,
) -> bool {
    let r = reservation;
    let Some(unit) = r.unit_id.as_deref() else {
        return false;
    };
    let neighbours = || {
        unit_reservations.iter().filter(move |n| {
            n.id != r.id
                && n.status != ReservationStatus::Canceled
                && n.property_id == r.property_id
                && n.unit_id.as_deref() == Some(unit)
                && n.check_out > n.check_in
        })
    };
    let before =
        || {
            neighbours().filter(|n| n.check_in < r.check_in).map(|n| n.check_out).max().is_some_and(|prev_out| {
                gap_qualifies(prev_out, (r.check_in - prev_out).num_days(), days, max_gap_nights)
            })
        };
    let after =
        || {
            neighbours().filter(|n| n.check_out > r.check_out).map(|n| n.check_in).min().is_some_and(|next_in| {
                gap_qualifies(r.check_out, (next_in - r.check_out).num_days(), days, max_gap_nights)
            })
        };
    match side {
        GapSide::Before => before(),
        GapSide::After => after(),
        GapSide::BeforeOrAfter => before() || after(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Payment, Review};
    use chrono::{TimeZone, Utc};
    use std::collections::BTreeMap;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> LocalTime {
        s.parse().unwrap()
    }

    fn property() -> Property {
        serde_json::from_value(serde_json::json!({
            "id": "p-lis", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon",
            "check_in_time": "15:00", "check_out_time": "11:00", "pms": "mews",
            "units": [{"id": "101", "name": "Room 101"}, {"id": "102", "name": "Room 102"}]
        }))
        .unwrap()
    }

    /// r-1: Wed 2026-06-10 -> Sat 2026-06-13, unit 101, Airbnb.
    fn res() -> Reservation {
        serde_json::from_value(serde_json::json!({
            "id": "r-1", "property_id": "p-lis", "unit_id": "101", "source": "airbnb",
            "status": "confirmed", "check_in": "2026-06-10", "check_out": "2026-06-13", "eta": "16:30",
            "guest": {"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com",
                      "phone": "+351912345678", "language": "pt-PT", "hometown": "Porto"},
            "adults": 2, "children": 0, "total_amount": "450.00", "host_payout": "400.00", "balance_due": "0.00",
            "currency": "EUR", "check_in_form_submitted": false, "updated_at": "2026-06-01T09:00:00Z"
        }))
        .unwrap()
    }

    fn other(id: &str, check_in: &str, check_out: &str, status: ReservationStatus) -> Reservation {
        let mut r = res();
        r.id = id.into();
        r.check_in = d(check_in);
        r.check_out = d(check_out);
        r.status = status;
        r.guest.email = Some("someone@example.com".into());
        r.guest.phone = Some("+15550000000".into());
        r
    }

    fn holds_with(c: &MessageCondition, r: &Reservation, history: &[Reservation], unit: &[Reservation]) -> bool {
        let p = property();
        let ctx = ConditionContext { reservation: r, property: &p, guest_history: history, unit_reservations: unit };
        message_condition_holds(c, &ctx)
    }

    fn holds(c: &MessageCondition, r: &Reservation) -> bool {
        holds_with(c, r, &[], &[])
    }

    fn cond(json: serde_json::Value) -> MessageCondition {
        serde_json::from_value(json).unwrap()
    }

    /// Asserts `c` (a boolean condition with `value: true`) holds exactly when `expected`, and its
    /// `value: false` form holds exactly when not.
    fn check_bool(mut json: serde_json::Value, r: &Reservation, expected: bool) {
        json["value"] = true.into();
        assert_eq!(holds(&cond(json.clone()), r), expected, "{json}");
        json["value"] = false.into();
        assert_eq!(holds(&cond(json.clone()), r), !expected, "{json}");
    }

    #[test]
    fn guests_count() {
        let r = res(); // 2 adults, 0 children
        let c = |op: &str, n: u32| cond(serde_json::json!({"type": "guests_count", "op": op, "value": n}));
        assert!(holds(&c("is", 2), &r));
        assert!(!holds(&c("is", 3), &r));
        assert!(holds(&c("is_not", 3), &r));
        assert!(!holds(&c("is_not", 2), &r));
        assert!(holds(&c("more_than", 1), &r));
        assert!(!holds(&c("more_than", 2), &r));
        assert!(holds(&c("less_than", 3), &r));
        assert!(!holds(&c("less_than", 2), &r));
        let mut r = r;
        r.children = 2;
        assert!(holds(&c("more_than", 3), &r));
    }

    #[test]
    fn fully_paid() {
        let j = serde_json::json!({"type": "fully_paid"});
        let mut r = res();
        check_bool(j.clone(), &r, true); // "0.00"
        r.balance_due = Some("0".parse().unwrap());
        check_bool(j.clone(), &r, true);
        r.balance_due = Some("-5.00".parse().unwrap()); // a credit: nothing due
        check_bool(j.clone(), &r, true);
        r.balance_due = Some("0.01".parse().unwrap());
        check_bool(j.clone(), &r, false);
        r.balance_due = None; // not proven
        check_bool(j, &r, false);
    }

    #[test]
    fn paperwork() {
        let mut r = res();
        check_bool(serde_json::json!({"type": "check_in_form_submitted"}), &r, false);
        check_bool(serde_json::json!({"type": "contract_signed"}), &r, false);
        r.check_in_form_submitted = true;
        r.contract_signed = true;
        check_bool(serde_json::json!({"type": "check_in_form_submitted"}), &r, true);
        check_bool(serde_json::json!({"type": "contract_signed"}), &r, true);

        let app = serde_json::json!({"type": "guest_app_form_submitted", "app_id": "upsell"});
        check_bool(app.clone(), &r, false); // absent
        r.guest_app_forms.insert("upsell".into(), false);
        check_bool(app.clone(), &r, false);
        r.guest_app_forms.insert("other".into(), true);
        check_bool(app.clone(), &r, false);
        r.guest_app_forms.insert("upsell".into(), true);
        check_bool(app, &r, true);
    }

    #[test]
    fn planned_arrival_and_departure() {
        let arrival = |op: &str, v: &str| cond(serde_json::json!({"type": "planned_arrival", "op": op, "value": v}));
        let departure =
            |op: &str, v: &str| cond(serde_json::json!({"type": "planned_departure", "op": op, "value": v}));
        let mut r = res(); // ETA 16:30; default check-in 15:00, check-out 11:00
        assert!(holds(&arrival("after", "16:00"), &r));
        assert!(!holds(&arrival("after", "16:30"), &r)); // strictly
        assert!(!holds(&arrival("before", "16:30"), &r)); // strictly
        assert!(holds(&arrival("before", "16:31"), &r));
        r.eta = None; // falls back to 15:00
        assert!(holds(&arrival("before", "16:00"), &r));
        assert!(!holds(&arrival("after", "15:00"), &r));
        assert!(holds(&arrival("after", "14:59"), &r));

        assert!(holds(&departure("before", "12:00"), &r)); // default 11:00
        assert!(!holds(&departure("after", "11:00"), &r));
        r.etd = Some(t("13:15"));
        assert!(holds(&departure("after", "12:00"), &r));
        assert!(!holds(&departure("before", "13:15"), &r));
    }

    #[test]
    fn eta_and_etd_provided() {
        let mut r = res();
        check_bool(serde_json::json!({"type": "eta_provided"}), &r, true);
        check_bool(serde_json::json!({"type": "etd_provided"}), &r, false);
        r.eta = None;
        r.etd = Some(t("10:00"));
        check_bool(serde_json::json!({"type": "eta_provided"}), &r, false);
        check_bool(serde_json::json!({"type": "etd_provided"}), &r, true);
    }

    #[test]
    fn preferred_language() {
        let c = |op: &str, v: &[&str]| cond(serde_json::json!({"type": "preferred_language", "op": op, "value": v}));
        let mut r = res(); // pt-PT
        assert!(holds(&c("is", &["fr", "pt"]), &r));
        assert!(holds(&c("is", &["PT-br"]), &r));
        assert!(!holds(&c("is", &["fr", "en"]), &r));
        assert!(holds(&c("is_not", &["fr", "en"]), &r));
        assert!(!holds(&c("is_not", &["pt"]), &r));
        r.guest.language = Some("FR-ca".into());
        assert!(holds(&c("is", &["fr"]), &r));
        r.guest.language = None; // treated as English
        assert!(holds(&c("is", &["en"]), &r));
        assert!(!holds(&c("is", &["pt"]), &r));
        assert!(holds(&c("is_not", &["pt"]), &r));
        assert!(!holds(&c("is_not", &["en", "pt"]), &r));
        r.guest.language = Some(" ".into());
        assert!(holds(&c("is", &["en"]), &r));
    }

    #[test]
    fn hometown() {
        let c = |op: &str, v: &str| cond(serde_json::json!({"type": "hometown", "op": op, "value": v}));
        let mut r = res();
        r.guest.hometown = Some("Lisboa".into());
        assert!(holds(&c("is", "lisboa"), &r));
        assert!(holds(&c("is", " LISBOA "), &r));
        assert!(!holds(&c("is", "Lis"), &r));
        assert!(holds(&c("is_not", "Porto"), &r));
        assert!(!holds(&c("is_not", "LISBOA"), &r));
        assert!(holds(&c("contains", "lis"), &r));
        assert!(holds(&c("contains", "BOA"), &r));
        assert!(!holds(&c("contains", "porto"), &r));
        r.guest.hometown = Some("Évora".into());
        assert!(holds(&c("is", "évora"), &r)); // Unicode case folding
        r.guest.hometown = None;
        assert!(!holds(&c("is", "lisboa"), &r));
        assert!(holds(&c("is_not", "lisboa"), &r));
        assert!(!holds(&c("contains", "lis"), &r));
        r.guest.hometown = Some("  ".into());
        assert!(!holds(&c("is", ""), &r));
        assert!(holds(&c("is_not", "lisboa"), &r));
    }

    #[test]
    fn returning_guest() {
        let rg = serde_json::json!({"type": "returning_guest"});
        let r = res(); // check-in 2026-06-10
        let check = |history: &[Reservation], expected: bool| {
            let mut j = rg.clone();
            j["value"] = true.into();
            assert_eq!(holds_with(&cond(j.clone()), &r, history, &[]), expected);
            j["value"] = false.into();
            assert_eq!(holds_with(&cond(j), &r, history, &[]), !expected);
        };
        check(&[], false);
        // This reservation itself in the history is ignored.
        check(std::slice::from_ref(&r), false);

        let mut past = other("r-0", "2025-08-01", "2025-08-05", ReservationStatus::CheckedOut);
        // Neither e-mail nor phone match.
        check(&[past.clone()], false);
        // Same e-mail, different case.
        past.guest.email = Some("ANA@Example.com".into());
        check(&[past.clone()], true);
        // Same phone only.
        past.guest.email = None;
        past.guest.phone = Some("+351 912 345 678".into());
        check(&[past.clone()], true);
        // Checking out the day this one checks in still counts.
        let mut adjacent = past.clone();
        adjacent.check_in = d("2026-06-07");
        adjacent.check_out = d("2026-06-10");
        check(&[adjacent], true);
        // Not checked out: canceled, confirmed, checked in.
        for status in [ReservationStatus::Canceled, ReservationStatus::Confirmed, ReservationStatus::CheckedIn] {
            let mut p = past.clone();
            p.status = status;
            check(&[p], false);
        }
        // A future stay (even marked checked_out by bad data) does not count.
        let mut future = past.clone();
        future.check_in = d("2026-07-01");
        future.check_out = d("2026-07-03");
        check(&[future], false);
        // Another property does not count.
        let mut elsewhere = past.clone();
        elsewhere.property_id = "p-other".into();
        check(&[elsewhere], false);
        // Empty contacts never match each other.
        let mut blank = past.clone();
        blank.guest.phone = Some("".into());
        let mut me = r.clone();
        me.guest.email = None;
        me.guest.phone = Some("".into());
        let p = property();
        let ctx = ConditionContext {
            reservation: &me,
            property: &p,
            guest_history: std::slice::from_ref(&blank),
            unit_reservations: &[],
        };
        assert!(!is_returning_guest(ctx.reservation, ctx.guest_history));
    }

    #[test]
    fn total_payout() {
        let c = |op: &str, v: &str| cond(serde_json::json!({"type": "total_payout", "op": op, "value": v}));
        let mut r = res(); // 400.00
        assert!(holds(&c("more_than", "399.99"), &r));
        assert!(!holds(&c("more_than", "400"), &r));
        assert!(holds(&c("less_than", "500.00"), &r));
        assert!(!holds(&c("less_than", "400.00"), &r));
        assert!(holds(&c("is", "400"), &r)); // numeric equality
        assert!(holds(&c("is", "400.00"), &r));
        assert!(!holds(&c("is", "400.01"), &r));
        r.host_payout = None;
        for op in ["more_than", "less_than", "is"] {
            assert!(!holds(&c(op, "0"), &r), "{op}");
        }
    }

    #[test]
    fn auto_review_per_source() {
        let j = serde_json::json!({"type": "auto_review_enabled"});
        let mut r = res();
        r.auto_review_enabled = Some(true);
        for (source, expected) in [
            (Source::Airbnb, true),
            (Source::Vrbo, true),
            (Source::BookingCom, false),
            (Source::Expedia, false),
            (Source::Direct, false),
            (Source::Other, false),
        ] {
            r.source = source;
            check_bool(j.clone(), &r, expected);
        }
        r.source = Source::Airbnb;
        r.auto_review_enabled = Some(false);
        check_bool(j.clone(), &r, false);
        r.auto_review_enabled = None;
        check_bool(j, &r, false);
    }

    #[test]
    fn review_submitted_per_source_and_ratings() {
        let plain = serde_json::json!({"type": "review_submitted"});
        let rated = serde_json::json!({"type": "review_submitted", "min_ratings": {"cleanliness": 4, "location": 3}});
        let mut r = res();
        check_bool(plain.clone(), &r, false); // no review
        r.review = Some(Review {
            submitted: true,
            ratings: BTreeMap::from([("cleanliness".to_string(), 4), ("location".to_string(), 5)]),
        });
        for (source, expected) in [
            (Source::Airbnb, true),
            (Source::BookingCom, true),
            (Source::Vrbo, true),
            (Source::Expedia, false),
            (Source::Direct, false),
            (Source::Other, false),
        ] {
            r.source = source;
            check_bool(plain.clone(), &r, expected);
            check_bool(rated.clone(), &r, expected);
        }
        r.source = Source::BookingCom;
        // A rating under the minimum fails.
        if let Some(review) = r.review.as_mut() {
            review.ratings.insert("cleanliness".into(), 3);
        }
        check_bool(plain.clone(), &r, true);
        check_bool(rated.clone(), &r, false);
        // A category without a rating fails.
        if let Some(review) = r.review.as_mut() {
            review.ratings.insert("cleanliness".into(), 5);
            review.ratings.remove("location");
        }
        check_bool(rated.clone(), &r, false);
        // Not submitted.
        if let Some(review) = r.review.as_mut() {
            review.submitted = false;
            review.ratings.insert("location".into(), 5);
        }
        check_bool(plain, &r, false);
        check_bool(rated, &r, false);
    }

    fn pay(kind: PaymentKind, status: PaymentStatus) -> Payment {
        Payment { kind, status, at: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap() }
    }

    #[test]
    fn authorization_hold_and_security_deposit() {
        use PaymentStatus::*;
        for (kind, name) in
            [(PaymentKind::AuthorizationHold, "authorization_hold"), (PaymentKind::SecurityDeposit, "security_deposit")]
        {
            let succeeded = cond(serde_json::json!({"type": name, "value": "succeeded"}));
            let failed = cond(serde_json::json!({"type": name, "value": "failed"}));
            let mut r = res();
            let case = |r: &Reservation, s: bool, f: bool| {
                assert_eq!(holds(&succeeded, r), s, "{name} succeeded {:?}", r.payments);
                assert_eq!(holds(&failed, r), f, "{name} failed {:?}", r.payments);
            };
            case(&r, false, false);
            r.payments = vec![pay(kind, Failed)];
            case(&r, false, true);
            r.payments = vec![pay(kind, Failed), pay(kind, PendingAuthentication)];
            case(&r, false, true);
            r.payments = vec![pay(kind, Failed), pay(kind, Succeeded)];
            case(&r, true, false);
            r.payments = vec![pay(kind, Succeeded)];
            case(&r, true, false);
            // Other kinds do not count.
            r.payments = vec![pay(PaymentKind::Payment, Succeeded), pay(PaymentKind::Payment, Failed)];
            case(&r, false, false);
        }
    }

    #[test]
    fn payment() {
        use PaymentStatus::*;
        let c = |v: &str| cond(serde_json::json!({"type": "payment", "value": v}));
        let (succeeded, failed, pending) = (c("succeeded"), c("failed"), c("pending_authentication"));
        let mut r = res();
        let case = |r: &Reservation, s: bool, f: bool, p: bool| {
            assert_eq!(holds(&succeeded, r), s, "succeeded {:?}", r.payments);
            assert_eq!(holds(&failed, r), f, "failed {:?}", r.payments);
            assert_eq!(holds(&pending, r), p, "pending {:?}", r.payments);
        };
        let k = PaymentKind::Payment;
        case(&r, false, false, false);
        r.payments = vec![pay(k, Failed)];
        case(&r, false, true, false);
        r.payments = vec![pay(k, Failed), pay(k, Failed)];
        case(&r, false, true, false);
        r.payments = vec![pay(k, Failed), pay(k, Succeeded)];
        case(&r, true, false, false);
        r.payments = vec![pay(k, Failed), pay(k, PendingAuthentication)];
        case(&r, false, false, true);
        r.payments = vec![pay(k, PendingAuthentication), pay(k, Succeeded)];
        case(&r, true, false, true);
        // Holds and deposits are not payments.
        r.payments = vec![pay(PaymentKind::SecurityDeposit, Failed), pay(PaymentKind::AuthorizationHold, Succeeded)];
        case(&r, false, false, false);
    }

    #[test]
    fn custom_field() {
        let c = |v: bool| cond(serde_json::json!({"type": "custom_field", "key": "vip", "value": v}));
        let mut r = res();
        assert!(!holds(&c(true), &r)); // absent = no
        assert!(holds(&c(false), &r));
        r.custom_fields.insert("vip".into(), true);
        assert!(holds(&c(true), &r));
        assert!(!holds(&c(false), &r));
        r.custom_fields.insert("vip".into(), false);
        assert!(!holds(&c(true), &r));
        assert!(holds(&c(false), &r));
    }

    // ---- available_nights. r-1 is Wed 10 June -> Sat 13 June 2026 in unit 101.
    // June 2026: Fri 5, Sat 6, Sun 7, Mon 8, Tue 9, Wed 10, ..., Sat 13, Sun 14, Mon 15.

    fn nights(side: &str, days: &str, max: u32, value: bool) -> MessageCondition {
        cond(serde_json::json!({"type": "available_nights", "side": side, "days": days,
                                "max_gap_nights": max, "value": value}))
    }

    fn avail(side: &str, days: &str, max: u32, unit: &[Reservation]) -> bool {
        let r = res();
        let yes = holds_with(&nights(side, days, max, true), &r, &[], unit);
        let no = holds_with(&nights(side, days, max, false), &r, &[], unit);
        assert_ne!(yes, no, "value: false is the negation");
        yes
    }

    #[test]
    fn available_nights_after_on_a_weekend() {
        // Next stay from Mon 15: free nights Sat 13 and Sun 14 (2 nights, Saturday is a weekend night).
        let unit = [res(), other("r-next", "2026-06-15", "2026-06-17", ReservationStatus::Confirmed)];
        assert!(avail("after", "weekends", 2, &unit));
        assert!(avail("after", "any", 2, &unit));
        assert!(avail("after", "weekdays", 2, &unit)); // Sunday night is a weekday night
        assert!(!avail("after", "weekends", 1, &unit)); // gap of 2 > 1
        assert!(avail("before_or_after", "weekends", 2, &unit));
        assert!(!avail("before", "any", 5, &unit)); // no previous stay: not a bounded gap
    }

    #[test]
    fn available_nights_after_weekday_only() {
        // Next stay from Sun 14: one free night, Saturday 13 -> weekend only.
        let unit = [other("r-next", "2026-06-14", "2026-06-16", ReservationStatus::CheckedIn)];
        assert!(avail("after", "weekends", 3, &unit));
        assert!(!avail("after", "weekdays", 3, &unit));
        // Adjacent next stay: no gap.
        let unit = [other("r-next", "2026-06-13", "2026-06-16", ReservationStatus::Confirmed)];
        assert!(!avail("after", "any", 3, &unit));
    }

    #[test]
    fn available_nights_before() {
        // Previous stay checks out Mon 8: free nights Mon 8 and Tue 9 (weekdays).
        let unit = [other("r-prev", "2026-06-05", "2026-06-08", ReservationStatus::CheckedOut), res()];
        assert!(avail("before", "weekdays", 2, &unit));
        assert!(avail("before", "any", 3, &unit));
        assert!(!avail("before", "weekends", 2, &unit));
        assert!(!avail("before", "weekdays", 1, &unit));
        assert!(!avail("after", "any", 9, &unit));
        assert!(avail("before_or_after", "weekdays", 2, &unit));
        // Previous stay checks out Sat 6: free nights Sat 6 .. Tue 9 (4 nights, one weekend night).
        let unit = [other("r-prev", "2026-06-01", "2026-06-06", ReservationStatus::CheckedOut)];
        assert!(avail("before", "weekends", 4, &unit));
        assert!(!avail("before", "weekends", 3, &unit));
        // The latest of several previous stays bounds the gap.
        let unit = [
            other("r-a", "2026-06-01", "2026-06-03", ReservationStatus::CheckedOut),
            other("r-b", "2026-06-05", "2026-06-09", ReservationStatus::Confirmed),
        ];
        assert!(avail("before", "weekdays", 1, &unit)); // Tue 9 only
        assert!(!avail("before", "weekends", 7, &unit));
    }

    #[test]
    fn available_nights_ignores_canceled_and_other_units() {
        // The canceled stay would leave one Saturday night free; ignoring it, the next is far away.
        let unit = [
            other("r-canceled", "2026-06-14", "2026-06-16", ReservationStatus::Canceled),
            other("r-next", "2026-06-25", "2026-06-27", ReservationStatus::Confirmed),
        ];
        assert!(!avail("after", "weekends", 3, &unit));
        assert!(avail("after", "weekends", 12, &unit));
        // A neighbour in another unit does not count.
        let mut elsewhere = other("r-102", "2026-06-14", "2026-06-16", ReservationStatus::Confirmed);
        elsewhere.unit_id = Some("102".into());
        assert!(!avail("after", "any", 3, &[elsewhere]));
        // A canceled previous stay is ignored as well.
        let unit = [other("r-prev", "2026-06-05", "2026-06-09", ReservationStatus::Canceled)];
        assert!(!avail("before", "any", 3, &unit));
    }

    #[test]
    fn available_nights_overlap_and_no_unit() {
        // An overlapping stay leaves no free night before.
        let unit = [other("r-overlap", "2026-06-08", "2026-06-11", ReservationStatus::Confirmed)];
        assert!(!avail("before", "any", 5, &unit));
        // Without a unit: never available (and value: false holds).
        let mut r = res();
        r.unit_id = None;
        let unit = [other("r-next", "2026-06-14", "2026-06-16", ReservationStatus::Confirmed)];
        assert!(!holds_with(&nights("after", "any", 3, true), &r, &[], &unit));
        assert!(holds_with(&nights("after", "any", 3, false), &r, &[], &unit));
        assert!(is_weekend_night(d("2026-06-12")) && is_weekend_night(d("2026-06-13")));
        assert!(!is_weekend_night(d("2026-06-14")));
    }

    #[test]
    fn reservation_conditions() {
        let c = |j: serde_json::Value| -> ReservationCondition { serde_json::from_value(j).unwrap() };
        let mut r = res(); // airbnb, unit 101
        let src_in = c(serde_json::json!({"type": "source", "op": "in", "value": ["airbnb", "direct"]}));
        let src_not_in = c(serde_json::json!({"type": "source", "op": "not_in", "value": ["airbnb"]}));
        let unit_in = c(serde_json::json!({"type": "unit", "op": "in", "value": ["101"]}));
        let unit_not_in = c(serde_json::json!({"type": "unit", "op": "not_in", "value": ["101"]}));
        assert!(reservation_condition_holds(&src_in, &r));
        assert!(!reservation_condition_holds(&src_not_in, &r));
        assert!(reservation_condition_holds(&unit_in, &r));
        assert!(!reservation_condition_holds(&unit_not_in, &r));
        let all = [src_in.clone(), unit_in.clone(), src_not_in.clone(), unit_not_in.clone()];
        assert_eq!(failing_reservation_condition(&all, &r), Some(&src_not_in));
        assert_eq!(failing_reservation_condition(&all[..2], &r), None);
        r.source = Source::BookingCom;
        r.unit_id = None;
        assert!(!reservation_condition_holds(&src_in, &r));
        assert!(reservation_condition_holds(&src_not_in, &r));
        assert!(!reservation_condition_holds(&unit_in, &r));
        assert!(reservation_condition_holds(&unit_not_in, &r));
        assert_eq!(failing_reservation_condition(&all, &r), Some(&src_in));
    }

    #[test]
    fn first_failing_message_condition() {
        let r = res();
        let p = property();
        let ctx = ConditionContext { reservation: &r, property: &p, guest_history: &[], unit_reservations: &[] };
        let conditions = [
            cond(serde_json::json!({"type": "eta_provided", "value": true})),
            cond(serde_json::json!({"type": "check_in_form_submitted", "value": true})),
            cond(serde_json::json!({"type": "fully_paid", "value": false})),
        ];
        assert_eq!(first_failing(&conditions, &ctx).map(MessageCondition::kind), Some("check_in_form_submitted"));
        assert_eq!(first_failing(&conditions[..1], &ctx), None);
        assert_eq!(first_failing(&[], &ctx), None);
    }
}
