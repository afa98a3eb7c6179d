//! Key design of the single table (see `infra/dynamodb.md` for the access-pattern table).
//!
//! Every item has `PK`/`SK` strings with typed prefixes, an `entity` attribute and the domain
//! value under `data` (a map written by serde_dynamo). Secondary indexes are overloaded
//! (`GSI1`..`GSI4`) or sparse (`DUE`, `OPEN`): an item is in a sparse index only while it holds
//! that index's key attributes, and every message write replaces the whole item, so a message
//! leaves the due indexes the moment it is written in a state that is no longer open.

use chrono::{DateTime, Duration, Timelike, Utc};
use relais_domain::{Channel, Message, MessageState};
use sha2::{Digest, Sha256};

pub const PK: &str = "PK";
pub const SK: &str = "SK";
pub const ENTITY: &str = "entity";
pub const DATA: &str = "data";
pub const VERSION: &str = "version";
pub const TTL: &str = "ttl";

pub const GSI1: &str = "GSI1";
pub const GSI2: &str = "GSI2";
pub const GSI3: &str = "GSI3";
pub const GSI4: &str = "GSI4";
/// Future scheduled messages, by hour bucket and shard.
pub const DUE: &str = "DUE";
/// Messages already due and still open or in flight (pending, sending, overdue scheduled).
pub const OPEN: &str = "OPEN";

/// The overloaded and sparse global secondary indexes: (index name, partition attr, sort attr).
pub const INDEXES: [(&str, &str, &str); 6] = [
    (GSI1, "GSI1PK", "GSI1SK"),
    (GSI2, "GSI2PK", "GSI2SK"),
    (GSI3, "GSI3PK", "GSI3SK"),
    (GSI4, "GSI4PK", "GSI4SK"),
    (DUE, "DUEPK", "DUESK"),
    (OPEN, "OPENPK", "OPENSK"),
];

/// `GSI3` partition of the campaigns waiting for Meta's template review (sparse, small: the
/// sweep polls Meta about them).
pub const CAMPAIGNS_AWAITING_META: &str = "META_REVIEW";

/// Shards of the due indexes (spread the writes of one busy hour over several partitions).
pub const DUE_SHARDS: u8 = 4;

pub fn index_attrs(index: &str) -> (&'static str, &'static str) {
    INDEXES.iter().find(|(name, _, _)| *name == index).map(|(_, pk, sk)| (*pk, *sk)).unwrap_or(("GSI1PK", "GSI1SK"))
}

/// Fixed-width UTC instant: sorts lexicographically in time order.
pub fn instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

/// Hour bucket of the `DUE` index.
pub fn hour_bucket(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

/// Start of the hour `at` falls in.
pub fn hour_start(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_nanosecond(0).and_then(|t| t.with_second(0)).and_then(|t| t.with_minute(0)).unwrap_or(at)
}

pub fn parse_bucket(bucket: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(&format!("{bucket}:00:00"), "%Y-%m-%dT%H:%M:%S").ok().map(|t| t.and_utc())
}

/// Every hour bucket from `from` to `to`, inclusive.
pub fn buckets_between(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<String> {
    let mut out = Vec::new();
    let mut t = hour_start(from);
    let end = hour_start(to);
    while t <= end {
        out.push(hour_bucket(t));
        t += Duration::hours(1);
    }
    out
}

pub fn shard_of(id: &str) -> u8 {
    let digest = Sha256::digest(id.as_bytes());
    digest[0] % DUE_SHARDS
}

/// A short, stable digest used where personal data (e-mail, phone) would otherwise be a key.
pub fn digest(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    hex::encode(&digest[..16])
}

pub fn account(id: &str) -> (String, String) {
    (format!("ACC#{id}"), "ACCOUNT".into())
}
pub fn user(id: &str) -> (String, String) {
    (format!("USER#{id}"), "USER".into())
}
pub fn property(id: &str) -> (String, String) {
    (format!("PROP#{id}"), "PROPERTY".into())
}
pub fn chatbot(id: &str) -> (String, String) {
    (format!("BOT#{id}"), "CHATBOT".into())
}
pub fn campaign(id: &str) -> (String, String) {
    (format!("CAMP#{id}"), "CAMPAIGN".into())
}
pub fn reservation(property_id: &str, id: &str) -> (String, String) {
    (format!("PROP#{property_id}#RES#{id}"), "RESERVATION".into())
}
pub fn message(id: &str) -> (String, String) {
    (format!("MSG#{id}"), "MESSAGE".into())
}
pub fn provider_id(provider_message_id: &str) -> (String, String) {
    (format!("PMID#{provider_message_id}"), "PMID".into())
}
pub fn idempotency(key: &str) -> (String, String) {
    (format!("IDEM#{key}"), "IDEM".into())
}
/// A guest's opt-out records on a channel share one partition: the sender-less one (sort key
/// `OPTOUT`, the only kind before opt-outs were keyed by sender, so older tables keep theirs in
/// force) and one per sending number (`SENDER#<digest>`), read together by one BatchGetItem.
pub fn opt_out(channel: Channel, sender: Option<&str>, phone: &str) -> (String, String) {
    let sort = match sender {
        None => OPT_OUT_WITHOUT_SENDER.to_string(),
        Some(sender) => format!("SENDER#{}", digest(sender)),
    };
    (opt_out_partition(channel, phone), sort)
}
fn opt_out_partition(channel: Channel, phone: &str) -> String {
    format!("OPTOUT#{}#{}", channel.as_str(), digest(phone))
}
const OPT_OUT_WITHOUT_SENDER: &str = "OPTOUT";
pub fn watermark(name: &str) -> (String, String) {
    (format!("WM#{name}"), "WATERMARK".into())
}
pub fn due_floor() -> (String, String) {
    ("META#DUEFLOOR".into(), "META".into())
}
pub fn notification(user_id: &str, at: DateTime<Utc>, id: &str) -> (String, String) {
    (format!("USER#{user_id}"), format!("NOTIF#{}#{id}", instant(at)))
}
pub const NOTIF_PREFIX: &str = "NOTIF#";

// ---- overloaded index partitions
pub fn users_of_account(account_id: &str) -> String {
    format!("ACC#{account_id}#USERS")
}
pub fn properties_of_account(account_id: &str) -> String {
    format!("ACC#{account_id}#PROPS")
}
pub fn chatbots_of_account(account_id: &str) -> String {
    format!("ACC#{account_id}#BOTS")
}
pub fn campaigns_of_account(account_id: &str) -> String {
    format!("ACC#{account_id}#CAMPS")
}
pub fn campaigns_of_property(property_id: &str) -> String {
    format!("PROP#{property_id}#CAMPS")
}
pub fn reservations_of_unit(property_id: &str, unit_id: &str) -> String {
    format!("PROP#{property_id}#UNIT#{unit_id}")
}
pub fn reservations_by_check_out(property_id: &str) -> String {
    format!("PROP#{property_id}#CHECKOUT")
}
pub fn reservations_of_email(property_id: &str, email: &str) -> String {
    format!("PROP#{property_id}#EMAIL#{}", digest(&email.to_lowercase()))
}
pub fn reservations_of_phone(property_id: &str, phone: &str) -> String {
    format!("PROP#{property_id}#PHONE#{}", digest(phone))
}
pub fn messages_of_reservation(property_id: &str, reservation_id: &str) -> String {
    format!("PROP#{property_id}#RES#{reservation_id}#MSGS")
}
/// `GSI3`: every message of a campaign by due time (statistics and the calendar).
pub fn messages_of_campaign(campaign_id: &str) -> String {
    format!("CAMP#{campaign_id}#MSGS")
}
pub fn open_messages_of_campaign(campaign_id: &str) -> String {
    format!("CAMP#{campaign_id}#OPEN")
}
pub fn due_partition(bucket: &str, shard: u8) -> String {
    format!("DUE#{bucket}#{shard}")
}
pub fn open_partition(shard: u8) -> String {
    format!("OPEN#{shard}")
}
pub fn due_sort(message: &Message) -> String {
    format!("{}#{}", instant(message.due_at), message.id)
}

/// Whether a message belongs in the due indexes at all: open or in flight.
pub fn is_due_tracked(state: MessageState) -> bool {
    state.is_open() || state == MessageState::Sending
}

/// Where a message sits in the due indexes when written at `now`: a scheduled message due in
/// the future goes to its hour bucket of `DUE`; anything else open or in flight (already due,
/// pending, sending) goes to `OPEN`; closed messages are in neither.
pub enum DuePlacement {
    Bucket(String, u8),
    Open(u8),
    None,
}

pub fn due_placement(message: &Message, now: DateTime<Utc>) -> DuePlacement {
    if !is_due_tracked(message.state) {
        return DuePlacement::None;
    }
    let shard = shard_of(&message.id);
    if message.state == MessageState::Scheduled && message.due_at > now {
        DuePlacement::Bucket(hour_bucket(message.due_at), shard)
    } else {
        DuePlacement::Open(shard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn instants_sort_in_time_order() {
        let a = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).single().unwrap_or_default();
        let b = a + Duration::nanoseconds(1);
        let c = a + Duration::hours(30);
        assert!(instant(a) < instant(b));
        assert!(instant(b) < instant(c));
        assert_eq!(instant(a).len(), instant(c).len());
    }

    #[test]
    fn buckets_cover_the_range() {
        let a = Utc.with_ymd_and_hms(2026, 6, 1, 22, 59, 0).single().unwrap_or_default();
        let b = Utc.with_ymd_and_hms(2026, 6, 2, 1, 0, 0).single().unwrap_or_default();
        assert_eq!(buckets_between(a, b), vec!["2026-06-01T22", "2026-06-01T23", "2026-06-02T00", "2026-06-02T01"]);
        assert_eq!(parse_bucket("2026-06-01T22"), Some(hour_start(a)));
        assert!(buckets_between(b, a).is_empty());
    }
}
