//! Property-local time: `HH:MM` wall-clock times and the conversion of local dates and times to
//! UTC instants, including daylight-saving gaps and overlaps. Nothing here reads a clock.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A local wall-clock time written `HH:MM` (24 h).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime(NaiveTime);

impl LocalTime {
    pub fn new(hour: u32, minute: u32) -> Option<LocalTime> {
        NaiveTime::from_hms_opt(hour, minute, 0).map(LocalTime)
    }
    pub fn naive(self) -> NaiveTime {
        self.0
    }
    pub fn hour(self) -> u32 {
        self.0.hour()
    }
    pub fn minute(self) -> u32 {
        self.0.minute()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected a time written HH:MM (00:00 to 23:59), got {0:?}")]
pub struct LocalTimeError(pub String);

impl FromStr for LocalTime {
    type Err = LocalTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        let well_formed =
            bytes.len() == 5 && bytes[2] == b':' && bytes.iter().enumerate().all(|(i, b)| i == 2 || b.is_ascii_digit());
        if !well_formed {
            return Err(LocalTimeError(s.to_string()));
        }
        let hour: u32 = s[0..2].parse().map_err(|_| LocalTimeError(s.to_string()))?;
        let minute: u32 = s[3..5].parse().map_err(|_| LocalTimeError(s.to_string()))?;
        LocalTime::new(hour, minute).ok_or_else(|| LocalTimeError(s.to_string()))
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0.hour(), self.0.minute())
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The UTC instant of a local date and time in `tz`.
///
/// DST overlap (the wall time happens twice): the first occurrence. DST gap (the wall time does
/// not exist): the first instant after the gap, so a 02:30 slot on a spring-forward day still
/// happens once, at the moment the clocks jump.
pub fn local_to_utc(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = NaiveDateTime::new(date, time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Walk forward minute by minute to the end of the gap (gaps are at most a few hours).
            let mut probe = naive;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    // The first valid wall time after the gap is the instant of the jump.
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&naive)
        }
    }
}

/// The local date of an instant in `tz`.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The local date and time of an instant in `tz`.
pub fn local_datetime(tz: Tz, at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&tz).naive_local()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_hh_mm() {
        let t: LocalTime = "09:05".parse().unwrap();
        assert_eq!(t.to_string(), "09:05");
        for bad in ["9:05", "24:00", "12:60", "12-00", "", "12:000", "ab:cd"] {
            assert!(bad.parse::<LocalTime>().is_err(), "{bad}");
        }
    }

    #[test]
    fn spring_forward_gap_maps_to_the_jump() {
        // Europe/Lisbon 2026-03-29: 01:00 -> 02:00 local.
        let tz: Tz = "Europe/Lisbon".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        let t = local_to_utc(tz, d, NaiveTime::from_hms_opt(1, 30, 0).unwrap());
        assert_eq!(t.to_rfc3339(), "2026-03-29T01:00:00+00:00");
    }

    #[test]
    fn fall_back_overlap_takes_first_occurrence() {
        // America/New_York 2026-11-01: 01:00-02:00 happens twice; first is EDT (UTC-4).
        let tz: Tz = "America/New_York".parse().unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let t = local_to_utc(tz, d, NaiveTime::from_hms_opt(1, 30, 0).unwrap());
        assert_eq!(t.to_rfc3339(), "2026-11-01T05:30:00+00:00");
    }
}
