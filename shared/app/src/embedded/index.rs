//! The embedded store's indexes: one per query of the `Store` port, so that a query visits only
//! the rows it answers, whatever else the store holds (docs/performance.md). They are derived
//! from the entities, kept in step by `State::apply`, and rebuilt when a store is opened.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{Campaign, Message, MessageState};

use crate::ports::{Notification, ReservationRecord};

/// `(owner, id)` pairs: the ids of one owner are a contiguous range.
type Owned = BTreeSet<(String, String)>;

#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Indexes {
    /// Open and in-flight messages by due time.
    pub(super) due: BTreeSet<(DateTime<Utc>, String)>,
    pub(super) by_provider_id: BTreeMap<String, String>,
    pub(super) users_of_account: Owned,
    pub(super) properties_of_account: Owned,
    pub(super) chatbots_of_account: Owned,
    pub(super) campaigns_of_account: Owned,
    pub(super) campaigns_of_property: Owned,
    /// Campaigns the sweep polls Meta for.
    pub(super) awaiting_meta: BTreeSet<String>,
    /// `(property, unit, reservation key)`.
    pub(super) reservations_in_unit: BTreeSet<(String, String, String)>,
    /// `(property, lower-case e-mail, reservation key)`.
    pub(super) reservations_by_email: BTreeSet<(String, String, String)>,
    /// `(property, phone, reservation key)`.
    pub(super) reservations_by_phone: BTreeSet<(String, String, String)>,
    /// `(property, check-out date, reservation key)`.
    pub(super) reservations_by_check_out: BTreeSet<(String, NaiveDate, String)>,
    /// `(property, reservation, message id)`.
    pub(super) messages_of_reservation: BTreeSet<(String, String, String)>,
    /// Every message: `(campaign, due time, message id)`.
    pub(super) messages_by_campaign_due: BTreeSet<(String, DateTime<Utc>, String)>,
    /// Open messages: `(campaign, message id)`.
    pub(super) open_of_campaign: Owned,
    /// A user's notifications, by position in the store's list (oldest first).
    pub(super) notifications_of_user: BTreeMap<String, Vec<usize>>,
    /// `(user, notification id)` -> position of the first notification with that id.
    pub(super) notification_position: BTreeMap<(String, String), usize>,
}

/// Rows a query looked at: index entries and the rows they lead to. Tests compare it with the
/// rows answered, to prove that a query's cost does not grow with unrelated data.
#[derive(Debug, Default)]
pub(super) struct Visits(AtomicU64);

impl Visits {
    pub(super) fn count<T>(&self, item: T) -> T {
        self.0.fetch_add(1, Ordering::Relaxed);
        item
    }
    pub(super) fn total(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The ids in `set` owned by `owner`, in id order.
pub(super) fn owned_by<'a>(set: &'a Owned, owner: &str, visits: &'a Visits) -> impl Iterator<Item = &'a String> + 'a {
    let owner = owner.to_string();
    set.range((Bound::Included((owner.clone(), String::new())), Bound::Unbounded))
        .map(|entry| visits.count(entry))
        .take_while(move |(o, _)| *o == owner)
        .map(|(_, id)| id)
}

/// The triples of `set` that start with `first` and whose second part is at least `from`, in
/// order, each visit counted.
fn triples_from<'a, S: Ord + 'a>(
    set: &'a BTreeSet<(String, S, String)>,
    first: &str,
    from: S,
    visits: &'a Visits,
) -> impl Iterator<Item = &'a (String, S, String)> + 'a {
    let first = first.to_string();
    set.range((Bound::Included((first.clone(), from, String::new())), Bound::Unbounded))
        .map(|entry| visits.count(entry))
        .take_while(move |(f, _, _)| *f == first)
}

/// The third parts of the triples in `set` that start with `(first, second)`, in order.
pub(super) fn third_of<'a, S: Ord + Clone + 'a>(
    set: &'a BTreeSet<(String, S, String)>,
    first: &str,
    second: S,
    visits: &'a Visits,
) -> impl Iterator<Item = &'a String> + 'a {
    triples_from(set, first, second.clone(), visits).take_while(move |(_, s, _)| *s == second).map(|(_, _, key)| key)
}

/// The third parts of the triples in `set` that start with `first` and whose second part is at
/// least `from`.
pub(super) fn third_from<'a, S: Ord + 'a>(
    set: &'a BTreeSet<(String, S, String)>,
    first: &str,
    from: S,
    visits: &'a Visits,
) -> impl Iterator<Item = &'a String> + 'a {
    triples_from(set, first, from, visits).map(|(_, _, key)| key)
}

/// The third parts of the triples in `set` that start with `first` and whose second part is in
/// `[from, below)`.
pub(super) fn third_below<'a, S: Ord + 'a>(
    set: &'a BTreeSet<(String, S, String)>,
    first: &str,
    from: S,
    below: S,
    visits: &'a Visits,
) -> impl Iterator<Item = &'a String> + 'a {
    triples_from(set, first, from, visits).take_while(move |(_, s, _)| *s < below).map(|(_, _, key)| key)
}

/// The rows of one entity by id. Every read counts its visits, so a query that scans rows it
/// does not answer shows in [`MemoryStore::rows_visited`](super::MemoryStore::rows_visited).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(super) struct Table<T> {
    rows: BTreeMap<String, T>,
    #[serde(skip)]
    visits: Visits,
}

impl<T> Default for Table<T> {
    fn default() -> Table<T> {
        BTreeMap::new().into()
    }
}

impl<T> From<BTreeMap<String, T>> for Table<T> {
    fn from(rows: BTreeMap<String, T>) -> Table<T> {
        Table { rows, visits: Visits::default() }
    }
}

impl<T> Table<T> {
    pub(super) fn get(&self, id: &str) -> Option<&T> {
        self.visits.count(self.rows.get(id))
    }
    pub(super) fn contains_key(&self, id: &str) -> bool {
        self.get(id).is_some()
    }
    pub(super) fn insert(&mut self, id: String, row: T) {
        self.rows.insert(id, row);
    }
    pub(super) fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.rows.iter().map(|row| self.visits.count(row))
    }
    pub(super) fn values(&self) -> impl Iterator<Item = &T> {
        self.iter().map(|(_, row)| row)
    }
    /// The rows under `keys`, each visit counted, in the order of `keys` (missing ones left out).
    pub(super) fn fetch<'a>(&'a self, keys: impl IntoIterator<Item = &'a String>) -> Vec<T>
    where
        T: Clone,
    {
        keys.into_iter().filter_map(|k| self.get(k)).cloned().collect()
    }
    pub(super) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// Every row, uncounted (the one-off import of a legacy snapshot).
    pub(super) fn rows(&self) -> &BTreeMap<String, T> {
        &self.rows
    }
    pub(super) fn visits(&self) -> u64 {
        self.visits.total()
    }
}

fn pair(owner: &str, id: &str) -> (String, String) {
    (owner.to_string(), id.to_string())
}

impl Indexes {
    pub(super) fn owned(set: &mut Owned, before: Option<&str>, after: Option<&str>, id: &str) {
        if let Some(owner) = before.filter(|b| Some(*b) != after) {
            set.remove(&pair(owner, id));
        }
        if let Some(owner) = after {
            set.insert(pair(owner, id));
        }
    }

    pub(super) fn campaign(&mut self, before: Option<&Campaign>, after: &Campaign) {
        let id = &after.id;
        Indexes::owned(
            &mut self.campaigns_of_account,
            before.map(|c| c.account_id.as_str()),
            Some(&after.account_id),
            id,
        );
        Indexes::owned(
            &mut self.campaigns_of_property,
            before.map(|c| c.spec.property_id.as_str()),
            Some(&after.spec.property_id),
            id,
        );
        if after.awaits_meta_review() {
            self.awaiting_meta.insert(id.clone());
        } else {
            self.awaiting_meta.remove(id);
        }
    }

    fn reservation_entries(key: &str, record: &ReservationRecord, add: bool, indexes: &mut Indexes) {
        let r = &record.reservation;
        let p = &r.property_id;
        let k = key.to_string();
        let unit = r.unit_id.as_ref().map(|u| (p.clone(), u.clone(), k.clone()));
        let email = r.guest.email.as_ref().map(|e| (p.clone(), e.to_lowercase(), k.clone()));
        let phone = r.guest.phone.as_ref().map(|n| (p.clone(), n.clone(), k.clone()));
        let check_out = (p.clone(), r.check_out, k);
        fn put<T: Ord>(set: &mut BTreeSet<T>, entry: T, add: bool) {
            if add {
                set.insert(entry);
            } else {
                set.remove(&entry);
            }
        }
        if let Some(entry) = unit {
            put(&mut indexes.reservations_in_unit, entry, add);
        }
        if let Some(entry) = email {
            put(&mut indexes.reservations_by_email, entry, add);
        }
        if let Some(entry) = phone {
            put(&mut indexes.reservations_by_phone, entry, add);
        }
        put(&mut indexes.reservations_by_check_out, check_out, add);
    }

    pub(super) fn reservation(&mut self, key: &str, before: Option<&ReservationRecord>, after: &ReservationRecord) {
        if let Some(before) = before {
            Indexes::reservation_entries(key, before, false, self);
        }
        Indexes::reservation_entries(key, after, true, self);
    }

    pub(super) fn message(&mut self, before: Option<&Message>, after: &Message) {
        if let Some(before) = before {
            self.due.remove(&(before.due_at, before.id.clone()));
            self.open_of_campaign.remove(&pair(&before.campaign_id, &before.id));
            self.messages_by_campaign_due.remove(&(before.campaign_id.clone(), before.due_at, before.id.clone()));
            self.messages_of_reservation.remove(&(
                before.property_id.clone(),
                before.reservation_id.clone(),
                before.id.clone(),
            ));
        }
        if after.state.is_open() || after.state == MessageState::Sending {
            self.due.insert((after.due_at, after.id.clone()));
        }
        if after.state.is_open() {
            self.open_of_campaign.insert(pair(&after.campaign_id, &after.id));
        }
        self.messages_by_campaign_due.insert((after.campaign_id.clone(), after.due_at, after.id.clone()));
        self.messages_of_reservation.insert((
            after.property_id.clone(),
            after.reservation_id.clone(),
            after.id.clone(),
        ));
        for attempt in &after.attempts {
            if let Some(pid) = &attempt.provider_message_id {
                self.by_provider_id.insert(pid.clone(), after.id.clone());
            }
        }
    }

    /// A new notification, at `position` in the store's list (a notification marked read keeps
    /// its user, id and position: nothing to re-index).
    pub(super) fn notification(&mut self, position: usize, notification: &Notification) {
        self.notifications_of_user.entry(notification.user_id.clone()).or_default().push(position);
        self.notification_position.entry(pair(&notification.user_id, &notification.id)).or_insert(position);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use chrono::{DateTime, NaiveDate, Utc};

    use super::super::MemoryStore;
    use crate::ports::{Notification, Store};
    use crate::store_contract::{account, campaign, chatbot, message, property, record, reservation, user};

    fn notification(id: &str, user_id: &str, at: DateTime<Utc>) -> Notification {
        Notification {
            id: id.into(),
            account_id: "acc".into(),
            user_id: user_id.into(),
            at,
            kind: "campaign_submitted".into(),
            campaign_id: "c".into(),
            title: "t".into(),
            body: "b".into(),
            read: false,
        }
    }

    /// One account's world, `tag` making every id distinct: the rows the queries below answer
    /// when `tag` is the target, unrelated rows otherwise. Unrelated rows share the target's
    /// property where an index must tell them apart by a later key part (unit, guest, check-out).
    async fn world(store: &MemoryStore, tag: &str, target_property: &str, at: DateTime<Utc>) {
        let acc = format!("{tag}-acc");
        let prop = format!("{tag}-p");
        store.put_account(&account(&acc)).await.unwrap();
        store.put_user(&user(&format!("{tag}-u"), &acc)).await.unwrap();
        store.put_property(&property(&prop, &acc)).await.unwrap();
        store.put_chatbot(&chatbot(&format!("{tag}-bot"), &acc, &prop)).await.unwrap();
        let mut meta = campaign(&format!("{tag}-c"), &acc, &prop, 1);
        meta.status = relais_domain::CampaignStatus::Pending;
        meta.awaiting_meta = tag == "target";
        store.put_campaign(&meta, None).await.unwrap();
        for (property_id, unit, check_out) in
            [(prop.as_str(), "u1", "2026-06-12"), (target_property, "other", "2026-01-02")]
        {
            let id = format!("{tag}-r-{unit}");
            let mut r = reservation(property_id, &id, Some(unit), check_out);
            r.guest.email = Some(format!("{tag}@example.com"));
            r.guest.phone = Some(format!("+3519{:08}", tag.len() * 7919 % 100_000_000));
            store.put_reservation(&record(r, 1), None).await.unwrap();
            for n in 0..2 {
                let mut m = message(&format!("{tag}-m-{unit}-{n}"), &meta.id, property_id, &id, at);
                if n == 1 {
                    m.state = relais_domain::MessageState::Sent;
                }
                store.create_message(&m).await.unwrap();
            }
        }
        store.add_notification(&notification(&format!("{tag}-n"), &format!("{tag}-u"), at)).await.unwrap();
    }

    /// Each query's answer and the rows it visited.
    async fn queries(store: &MemoryStore, at: DateTime<Utc>) -> Vec<(&'static str, usize, u64)> {
        let mut out = Vec::new();
        let mut run = |name: &'static str, answered: usize, before: u64| {
            out.push((name, answered, store.rows_visited() - before));
        };
        let from = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        macro_rules! measure {
            ($name:literal, $query:expr) => {{
                let before = store.rows_visited();
                let answered = $query.await.unwrap().len();
                run($name, answered, before);
            }};
        }
        measure!("list_users", store.list_users("target-acc"));
        measure!("list_properties", store.list_properties("target-acc"));
        measure!("list_chatbots", store.list_chatbots("target-acc"));
        measure!("list_campaigns", store.list_campaigns("target-acc"));
        measure!("campaigns_of_property", store.campaigns_of_property("target-p"));
        measure!("campaigns_awaiting_meta", store.campaigns_awaiting_meta());
        measure!("reservations_in_unit", store.reservations_in_unit("target-p", "u1"));
        measure!(
            "reservations_of_guest",
            store.reservations_of_guest("target-p", Some("TARGET@example.com"), Some("+351900000042"))
        );
        measure!("reservations_checking_out_from", store.reservations_checking_out_from("target-p", from));
        measure!("messages_of_reservation", store.messages_of_reservation("target-p", "target-r-u1"));
        measure!("open_messages_of_campaign", store.open_messages_of_campaign("target-c"));
        measure!("due_messages", store.due_messages(at));
        measure!(
            "messages_of_campaign_due",
            store.messages_of_campaign_due("target-c", at - chrono::Duration::days(1), at + chrono::Duration::days(1))
        );
        measure!("list_notifications", store.list_notifications("target-u"));
        out
    }

    #[tokio::test]
    async fn no_query_visits_rows_it_does_not_answer() {
        let at = Utc::now();
        let small = MemoryStore::new();
        world(&small, "target", "target-p", at).await;
        let alone = queries(&small, at).await;

        let large = MemoryStore::new();
        world(&large, "target", "target-p", at).await;
        // Unrelated rows: other accounts and properties, and in the target property other units,
        // guests and earlier check-outs; later messages are not due yet.
        for n in 0..300 {
            world(&large, &format!("other{n:03}"), "target-p", at + chrono::Duration::hours(1)).await;
        }
        let among_others = queries(&large, at).await;

        for ((name, answered, visits), (_, answered_alone, visits_alone)) in among_others.iter().zip(&alone) {
            assert_eq!(answered, answered_alone, "{name}: the same answer among unrelated rows");
            assert!(*answered > 0, "{name}: the fixture answers something");
            // An index entry and its row per answer, and at most one entry looked at past the end.
            assert!(
                *visits <= 2 * *answered as u64 + 1,
                "{name} visited {visits} rows to answer {answered} (alone: {visits_alone})"
            );
        }
    }
}
