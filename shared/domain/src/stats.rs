//! Delivery statistics and the calendar of upcoming sends (docs/statistics.md): what one
//! message counts for, and the rates. Every backend counts with these functions, so that the
//! numbers of `GET /stats`, `relais simulate --stats` and a count of the messages one by one
//! are the same by construction.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::time::local_date;
use crate::validate::{FieldError, codes};
use crate::{Message, MessageState};

/// The longest range a statistics query or a set preview covers: `to - from` in days.
pub const MAX_RANGE_DAYS: i64 = 366;

/// A `from`..=`to` range of property-local dates: `to` not before `from`, at most
/// [`MAX_RANGE_DAYS`] apart. The error names `to`.
pub fn check_range(from: NaiveDate, to: NaiveDate) -> Result<(), FieldError> {
    let error = |code: &str, message: String| FieldError { field: "to".into(), code: code.into(), message };
    if to < from {
        return Err(error(codes::INVALID_ORDER, format!("`to` ({to}) is before `from` ({from})")));
    }
    let days = (to - from).num_days();
    if days > MAX_RANGE_DAYS {
        return Err(error(
            codes::OUT_OF_RANGE,
            format!("the range is {days} days; at most {MAX_RANGE_DAYS} days between `from` and `to`"),
        ));
    }
    Ok(())
}

/// Message counts: by current state, and what went out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub messages: u64,
    pub scheduled: u64,
    pub pending: u64,
    /// Claimed by a dispatcher, the provider's answer not yet recorded.
    pub sending: u64,
    pub sent: u64,
    pub delivered: u64,
    pub read: u64,
    pub failed: u64,
    pub skipped: u64,
    pub expired: u64,
    pub canceled: u64,
    /// Messages whose fallback channel went out after the primary channel failed.
    pub fallback_sent: u64,
    /// SMS segments of every SMS a provider accepted (what the carrier bills).
    pub sms_segments: u64,
    /// Quick-reply taps Relais acted on (an FAQ answered, a flow handed off), once per button.
    pub taps: u64,
}

impl Counts {
    /// Count one message in its current state.
    pub fn add(&mut self, message: &Message) {
        self.add_state(message.state);
        self.fallback_sent += u64::from(fallback_went_out(message));
        self.sms_segments += sms_segments_sent(message);
        self.taps += message.taps.len() as u64;
    }

    /// Count one message by its state only (a preview, where nothing was attempted).
    pub fn add_state(&mut self, state: MessageState) {
        self.messages += 1;
        *self.state_mut(state) += 1;
    }

    fn state_mut(&mut self, state: MessageState) -> &mut u64 {
        match state {
            MessageState::Scheduled => &mut self.scheduled,
            MessageState::Pending => &mut self.pending,
            MessageState::Sending => &mut self.sending,
            MessageState::Sent => &mut self.sent,
            MessageState::Delivered => &mut self.delivered,
            MessageState::Read => &mut self.read,
            MessageState::Failed => &mut self.failed,
            MessageState::Skipped => &mut self.skipped,
            MessageState::Expired => &mut self.expired,
            MessageState::Canceled => &mut self.canceled,
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.messages += other.messages;
        self.scheduled += other.scheduled;
        self.pending += other.pending;
        self.sending += other.sending;
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.read += other.read;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.expired += other.expired;
        self.canceled += other.canceled;
        self.fallback_sent += other.fallback_sent;
        self.sms_segments += other.sms_segments;
        self.taps += other.taps;
    }

    /// (delivered + read) / (sent + delivered + read + failed); `None` when nothing was sent.
    pub fn delivery_rate(&self) -> Option<f64> {
        ratio(self.delivered + self.read, self.sent + self.delivered + self.read + self.failed)
    }

    /// read / (delivered + read); `None` when nothing was delivered.
    pub fn read_rate(&self) -> Option<f64> {
        ratio(self.read, self.delivered + self.read)
    }

    /// The counts with both rates, as the API and `relais simulate --stats` show them.
    pub fn with_rates(self) -> RatedCounts {
        RatedCounts { delivery_rate: self.delivery_rate(), read_rate: self.read_rate(), counts: self }
    }
}

/// Rates rounded to 4 decimals (a percentage with two), so that a document compares as text.
fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0)
}

/// [`Counts`] and the two rates, flattened.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RatedCounts {
    #[serde(flatten)]
    pub counts: Counts,
    pub delivery_rate: Option<f64>,
    pub read_rate: Option<f64>,
}

/// A provider accepted an attempt on the fallback channel.
pub fn fallback_went_out(message: &Message) -> bool {
    message.attempts.iter().any(|a| a.fallback && a.provider_message_id.is_some())
}

/// Segments of the message's SMS attempts a provider accepted.
pub fn sms_segments_sent(message: &Message) -> u64 {
    message
        .attempts
        .iter()
        .filter(|a| a.channel == crate::Channel::Sms && a.provider_message_id.is_some())
        .map(|a| u64::from(a.segments.unwrap_or(0)))
        .sum()
}

/// The property-local date a message counts on: the date of its due time.
pub fn day_of(message: &Message, time_zone: Tz) -> NaiveDate {
    local_date(time_zone, message.due_at)
}

/// The UTC instants `[start, end)` covering the property-local dates `from..=to`.
pub fn utc_bounds(time_zone: Tz, from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = crate::time::local_to_utc(time_zone, from, chrono::NaiveTime::MIN);
    let end = crate::time::local_to_utc(time_zone, to + chrono::Duration::days(1), chrono::NaiveTime::MIN);
    (start, end)
}

/// One campaign's messages counted per property-local due date, only dates in `from..=to`.
pub fn per_day<'a>(
    messages: impl IntoIterator<Item = &'a Message>,
    time_zone: Tz,
    from: NaiveDate,
    to: NaiveDate,
) -> BTreeMap<NaiveDate, Counts> {
    let mut days: BTreeMap<NaiveDate, Counts> = BTreeMap::new();
    for message in messages {
        let day = day_of(message, time_zone);
        if day >= from && day <= to {
            days.entry(day).or_default().add(message);
        }
    }
    days
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;
    use crate::{Attempt, Channel, Occurrence};

    fn message(due_at: DateTime<Utc>, state: MessageState) -> Message {
        Message {
            id: format!("m{}", due_at.timestamp()),
            campaign_id: "c".into(),
            reservation_id: "r".into(),
            property_id: "p".into(),
            occurrence: Occurrence::Planned { n: 0 },
            anchor_date: None,
            due_at,
            held_from: None,
            expires_at: due_at,
            state,
            reason: None,
            language: None,
            channel: None,
            attempts: Vec::new(),
            retries: 0,
            version: 0,
            timeline: Vec::new(),
            taps: Vec::new(),
        }
    }

    fn attempt(channel: Channel, accepted: bool, segments: Option<u32>) -> Attempt {
        Attempt {
            channel,
            at: Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap(),
            provider_message_id: accepted.then(|| "pid".to_string()),
            status: MessageState::Sent,
            error: None,
            segments,
            fallback: channel == Channel::Sms,
        }
    }

    #[test]
    fn a_message_counts_on_its_property_local_due_date() {
        // 23:30 UTC on 31 May is 00:30 on 1 June in Lisbon (UTC+1) and 19:30 on 31 May in New York.
        let due = Utc.with_ymd_and_hms(2026, 5, 31, 23, 30, 0).unwrap();
        let m = message(due, MessageState::Scheduled);
        let lisbon: Tz = "Europe/Lisbon".parse().unwrap();
        let new_york: Tz = "America/New_York".parse().unwrap();
        assert_eq!(day_of(&m, lisbon), NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        assert_eq!(day_of(&m, new_york), NaiveDate::from_ymd_opt(2026, 5, 31).unwrap());
        let june = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        assert_eq!(per_day([&m], lisbon, june, june).len(), 1);
        assert!(per_day([&m], new_york, june, june).is_empty());
    }

    #[test]
    fn states_fallback_segments_and_taps_are_counted() {
        let due = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
        let mut fell_back = message(due, MessageState::Delivered);
        fell_back.attempts = vec![attempt(Channel::Whatsapp, true, None), attempt(Channel::Sms, true, Some(2))];
        let mut refused_sms = message(due, MessageState::Failed);
        refused_sms.attempts = vec![attempt(Channel::Whatsapp, true, None), attempt(Channel::Sms, false, Some(1))];
        let mut read = message(due, MessageState::Read);
        read.attempts = vec![attempt(Channel::Whatsapp, true, None)];
        read.taps = vec!["faq:parking".into(), "flow:checkin".into()];
        let mut counts = Counts::default();
        for m in [&fell_back, &refused_sms, &read, &message(due, MessageState::Skipped)] {
            counts.add(m);
        }
        assert_eq!(counts.messages, 4);
        assert_eq!((counts.delivered, counts.failed, counts.read, counts.skipped), (1, 1, 1, 1));
        assert_eq!(counts.fallback_sent, 1, "a refused SMS is no fallback sent");
        assert_eq!(counts.sms_segments, 2, "only segments a provider accepted");
        assert_eq!(counts.taps, 2);
        // (1 delivered + 1 read) / (0 sent + 1 + 1 + 1 failed); read / (delivered + read).
        assert_eq!(counts.delivery_rate(), Some(0.6667));
        assert_eq!(counts.read_rate(), Some(0.5));
        assert_eq!(Counts::default().delivery_rate(), None);
        assert_eq!(Counts::default().read_rate(), None);
    }

    #[test]
    fn ranges_are_at_most_366_days_and_in_order() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(check_range(d("2026-01-01"), d("2027-01-02")).is_ok());
        assert_eq!(check_range(d("2026-01-01"), d("2027-01-03")).unwrap_err().field, "to");
        assert_eq!(check_range(d("2026-06-02"), d("2026-06-01")).unwrap_err().field, "to");
        assert!(check_range(d("2026-06-01"), d("2026-06-01")).is_ok());
    }

    #[test]
    fn utc_bounds_cover_whole_local_days() {
        let lisbon: Tz = "Europe/Lisbon".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let (start, end) = utc_bounds(lisbon, d, d);
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 5, 31, 23, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2026, 6, 1, 23, 0, 0).unwrap());
    }
}
