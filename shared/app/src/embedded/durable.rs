//! Persistence of the embedded store in `dir/store.redb` (redb: pure Rust, one file,
//! copy-on-write B-trees, crash-safe commits).
//!
//! [`MemoryStore`](super::MemoryStore) keeps the whole state in memory as its read cache and
//! writes through: a mutation is decided against the cache under the store's lock, the entity it
//! changes (at most one per call) is written to its redb table in one write transaction committed
//! with [`Durability::Immediate`](redb::Durability::Immediate) (fsync) while that lock is still
//! held, and only then applied to the cache. A write that fails to commit leaves the cache as it
//! was and answers [`StoreError::Unavailable`].
//!
//! One table per entity kind, keyed as the in-memory maps are (`property_id/reservation_id` for
//! reservations, `channel:phone` for opt-outs, the position for notifications), values as JSON.
//! The derived indexes (due messages, provider message ids) are not stored: they are rebuilt on
//! open. A `store.json` left by the snapshot format of earlier versions is imported once, in the
//! same transaction that records the import, then deleted (it holds secrets in clear).
//!
//! The database is opened in redb's single-writer mode: while one process (`relais serve`) has
//! it open for writing, another (`relais token`) opens a read-only snapshot of it, whose writes
//! answer [`StoreError::Unavailable`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use redb::{ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use relais_domain::{Account, Campaign, Chatbot, Message, Property, User};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::State;
use super::index::Indexes;
use crate::ports::{Notification, ReservationRecord, StoreError, StoreResult};

/// The database file in a data directory.
pub(super) const FILE: &str = "store.redb";
/// The snapshot file of earlier versions.
pub(super) const LEGACY_FILE: &str = "store.json";

type Table = TableDefinition<'static, &'static str, &'static [u8]>;

const ACCOUNTS: Table = TableDefinition::new("accounts");
const USERS: Table = TableDefinition::new("users");
const PROPERTIES: Table = TableDefinition::new("properties");
const CHATBOTS: Table = TableDefinition::new("chatbots");
const CAMPAIGNS: Table = TableDefinition::new("campaigns");
const RESERVATIONS: Table = TableDefinition::new("reservations");
const REMEMBERED: Table = TableDefinition::new("remembered");
const MESSAGES: Table = TableDefinition::new("messages");
/// Keys only (the value is empty): a key present is an opt-out.
const OPT_OUTS: Table = TableDefinition::new("opt_outs");
/// Values of `OPT_OUTS` rows: an opt-out is empty (as every row was before opt-ins were kept).
const OPTED_OUT: &[u8] = &[];
const OPTED_IN: &[u8] = &[0];
const WATERMARKS: Table = TableDefinition::new("watermarks");
/// Key: the notification's position in the store's list (insertion order).
const NOTIFICATIONS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("notifications");
/// Format facts: `format` and, after an import, `imported_store_json`.
const META: Table = TableDefinition::new("meta");

const STRING_TABLES: [Table; 11] =
    [ACCOUNTS, USERS, PROPERTIES, CHATBOTS, CAMPAIGNS, RESERVATIONS, REMEMBERED, MESSAGES, OPT_OUTS, WATERMARKS, META];

/// Page cache of redb. Reads are served from the in-memory state, so this only has to hold the
/// pages a commit touches.
const CACHE_BYTES: usize = 32 * 1024 * 1024;

/// The one entity a mutation changes, decided under the store's lock, written to redb, then
/// applied to the in-memory state. One short-lived value per write: not boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub(super) enum Change {
    Account(Account),
    User(User),
    Property(Property),
    Chatbot(Chatbot),
    Campaign(Campaign),
    /// Key `property_id/reservation_id`.
    Reservation(String, ReservationRecord),
    /// An idempotency key and when it expires.
    Remembered(String, DateTime<Utc>),
    /// A new or updated message.
    Message(Message),
    /// An opt-out key (`opt_out_key`) and its record: opted out, opted in, or none.
    OptOut(String, Option<bool>),
    Watermark(String, DateTime<Utc>),
    /// A notification at its position (the end of the list for a new one).
    Notification(usize, Notification),
}

impl State {
    /// Apply a change to the in-memory state and its indexes.
    pub(super) fn apply(&mut self, change: Change) {
        match change {
            Change::Account(a) => {
                self.accounts.insert(a.id.clone(), a);
            }
            Change::User(u) => {
                let before = self.users.get(&u.id).and_then(|b| b.account_id.as_deref());
                Indexes::owned(&mut self.index.users_of_account, before, u.account_id.as_deref(), &u.id);
                self.users.insert(u.id.clone(), u);
            }
            Change::Property(p) => {
                let before = self.properties.get(&p.id).and_then(|b| b.account_id.as_deref());
                Indexes::owned(&mut self.index.properties_of_account, before, p.account_id.as_deref(), &p.id);
                self.properties.insert(p.id.clone(), p);
            }
            Change::Chatbot(c) => {
                let before = self.chatbots.get(&c.id).and_then(|b| b.account_id.as_deref());
                Indexes::owned(&mut self.index.chatbots_of_account, before, c.account_id.as_deref(), &c.id);
                self.chatbots.insert(c.id.clone(), c);
            }
            Change::Campaign(c) => {
                self.index.campaign(self.campaigns.get(&c.id), &c);
                self.campaigns.insert(c.id.clone(), c);
            }
            Change::Reservation(key, record) => {
                self.index.reservation(&key, self.reservations.get(&key), &record);
                self.reservations.insert(key, record);
            }
            Change::Remembered(key, until) => {
                self.remembered.insert(key, until);
            }
            Change::Message(message) => {
                self.index.message(self.messages.get(&message.id), &message);
                self.messages.insert(message.id.clone(), message);
            }
            Change::OptOut(key, choice) => {
                self.opt_ins.remove(&key);
                self.opt_outs.remove(&key);
                match choice {
                    Some(true) => self.opt_outs.insert(key),
                    Some(false) => self.opt_ins.insert(key),
                    None => false,
                };
            }
            Change::Watermark(name, at) => {
                self.watermarks.insert(name, at);
            }
            Change::Notification(position, notification) => match self.notifications.get_mut(position) {
                Some(slot) => *slot = notification,
                None => {
                    let position = self.notifications.len();
                    self.index.notification(position, &notification);
                    self.notifications.push(notification);
                }
            },
        }
    }
}

/// Changes applied in memory and not yet on disk, numbered in the order they were applied
/// (group commit: one committer at a time writes all of them in one transaction).
#[derive(Default)]
pub(super) struct Journal {
    queued: Vec<Change>,
    /// Number of the last change queued (0: none yet).
    last_queued: u64,
    /// Number of the last change on disk.
    durable: u64,
    committing: bool,
    /// Transactions committed (tests).
    pub(super) commits: u64,
    /// Changes lost by a failed commit: first and last number, and the error.
    lost: Vec<(u64, u64, String)>,
}

impl Journal {
    /// Queue a change; its number is the ticket its writer waits on.
    pub(super) fn queue(&mut self, change: Change) -> u64 {
        self.queued.push(change);
        self.last_queued += 1;
        self.last_queued
    }
    pub(super) fn last_queued(&self) -> u64 {
        self.last_queued
    }
    /// Whether change `ticket` is on disk, lost, or neither yet.
    pub(super) fn outcome(&self, ticket: u64) -> Option<StoreResult<()>> {
        if let Some((_, _, error)) = self.lost.iter().find(|(first, last, _)| (*first..=*last).contains(&ticket)) {
            return Some(Err(StoreError::Unavailable(error.clone())));
        }
        (ticket <= self.durable).then_some(Ok(()))
    }
    /// Everything queued, and the number of its last change, unless someone is committing.
    pub(super) fn take_batch(&mut self) -> Option<(Vec<Change>, u64)> {
        if self.committing || self.queued.is_empty() {
            return None;
        }
        self.committing = true;
        Some((std::mem::take(&mut self.queued), self.last_queued))
    }
    pub(super) fn committed(&mut self, last: u64) {
        self.committing = false;
        self.commits += 1;
        self.durable = last;
    }
    /// The batch being committed failed: it and everything queued since are lost.
    pub(super) fn failed(&mut self, error: &StoreError) {
        self.committing = false;
        self.lost.push((self.durable + 1, self.last_queued, error.to_string()));
        self.queued.clear();
        self.durable = self.last_queued;
    }
}

/// The store's database, or a read-only snapshot of one another process is writing.
pub(super) enum Disk {
    Writable(redb::Database),
    ReadOnly(PathBuf),
}

impl Disk {
    /// Open (or create) `dir/store.redb`, importing a legacy `dir/store.json` once, and load the
    /// whole state (indexes rebuilt).
    /// `snapshot_if_busy`: a database another process has open for writing is opened as a
    /// read-only snapshot (`relais token`); otherwise that is an error (`relais serve`).
    pub(super) fn open(dir: &Path, snapshot_if_busy: bool) -> StoreResult<(State, Disk)> {
        super::private::dir(dir).map_err(|e| StoreError::Unavailable(format!("{}: {e}", dir.display())))?;
        let path = dir.join(FILE);
        // Created 0600 before redb opens it (redb initialises an empty file), or tightened if an
        // earlier version left it world-readable.
        let private_file = |path: &Path| -> StoreResult<()> {
            let created = super::private::file_options().write(true).create(true).truncate(false).open(path);
            match created {
                Ok(_) => super::private::file(path),
                // Read-only file system or permissions: redb says what is wrong.
                Err(_) => Ok(()),
            }
            .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))
        };
        private_file(&path)?;
        let unavailable = |e: &dyn std::fmt::Display| StoreError::Unavailable(format!("{}: {e}", path.display()));
        let mut builder = redb::Builder::new();
        builder.set_cache_size(CACHE_BYTES).set_concurrency_mode(redb::ConcurrencyMode::SingleWriter);
        let (mut state, disk) = match builder.create(&path) {
            Ok(db) => {
                prepare(&db, dir)?;
                let txn = db.begin_read().map_err(|e| unavailable(&e))?;
                (load(&txn, &path)?, Disk::Writable(db))
            }
            Err(redb::DatabaseError::DatabaseAlreadyOpen) if !snapshot_if_busy => {
                return Err(StoreError::Unavailable(format!(
                    "{} is open for writing in another process",
                    path.display()
                )));
            }
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                let db = builder.open_read_only(&path).map_err(|e| unavailable(&e))?;
                let txn = db.begin_read().map_err(|e| unavailable(&e))?;
                (load(&txn, &path)?, Disk::ReadOnly(path.clone()))
            }
            Err(e) => return Err(unavailable(&e)),
        };
        state.rebuild_indexes();
        Ok((state, disk))
    }

    /// Refuse writes up front on a read-only snapshot, before anything changes in memory.
    pub(super) fn check_writable(&self) -> StoreResult<()> {
        match self {
            Disk::Writable(_) => Ok(()),
            Disk::ReadOnly(path) => Err(StoreError::Unavailable(format!(
                "{} is open for writing in another process; this store is a read-only snapshot",
                path.display()
            ))),
        }
    }

    /// Write `changes` in one transaction (one fsync), durable when this returns.
    pub(super) fn persist_all(&self, changes: &[Change]) -> StoreResult<()> {
        self.check_writable()?;
        let Disk::Writable(db) = self else { return Ok(()) };
        let txn = db.begin_write().map_err(io)?;
        for change in changes {
            write_change(&txn, change)?;
        }
        txn.commit().map_err(io)
    }

    /// The state as it is on disk (after a failed commit, to forget what did not reach it).
    pub(super) fn reload(&self) -> StoreResult<State> {
        let Disk::Writable(db) = self else {
            return Err(StoreError::Unavailable("a read-only snapshot is never written".into()));
        };
        let txn = db.begin_read().map_err(io)?;
        let mut state = load(&txn, Path::new(FILE))?;
        state.rebuild_indexes();
        Ok(state)
    }
}

fn io(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("{FILE}: {e}"))
}

fn encode<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Unavailable(format!("cannot encode: {e}")))
}

fn put<T: Serialize>(txn: &WriteTransaction, table: Table, key: &str, value: &T) -> StoreResult<()> {
    let bytes = encode(value)?;
    txn.open_table(table).map_err(io)?.insert(key, bytes.as_slice()).map_err(io)?;
    Ok(())
}

fn write_change(txn: &WriteTransaction, change: &Change) -> StoreResult<()> {
    match change {
        Change::Account(a) => put(txn, ACCOUNTS, &a.id, a),
        Change::User(u) => put(txn, USERS, &u.id, u),
        Change::Property(p) => put(txn, PROPERTIES, &p.id, p),
        Change::Chatbot(c) => put(txn, CHATBOTS, &c.id, c),
        Change::Campaign(c) => put(txn, CAMPAIGNS, &c.id, c),
        Change::Reservation(key, record) => put(txn, RESERVATIONS, key, record),
        Change::Remembered(key, until) => put(txn, REMEMBERED, key, until),
        Change::Message(m) => put(txn, MESSAGES, &m.id, m),
        Change::OptOut(key, choice) => {
            let mut table = txn.open_table(OPT_OUTS).map_err(io)?;
            match choice {
                Some(true) => table.insert(key.as_str(), OPTED_OUT).map_err(io)?,
                Some(false) => table.insert(key.as_str(), OPTED_IN).map_err(io)?,
                None => table.remove(key.as_str()).map_err(io)?,
            };
            Ok(())
        }
        Change::Watermark(name, at) => put(txn, WATERMARKS, name, at),
        Change::Notification(position, n) => {
            let bytes = encode(n)?;
            let key = u64::try_from(*position).map_err(io)?;
            txn.open_table(NOTIFICATIONS).map_err(io)?.insert(key, bytes.as_slice()).map_err(io)?;
            Ok(())
        }
    }
}

/// Create the tables, record the format, and import a legacy snapshot not imported yet: one
/// transaction, so a crash leaves either nothing or everything imported.
fn prepare(db: &redb::Database, dir: &Path) -> StoreResult<()> {
    let txn = db.begin_write().map_err(io)?;
    for table in STRING_TABLES {
        txn.open_table(table).map_err(io)?;
    }
    txn.open_table(NOTIFICATIONS).map_err(io)?;
    let legacy = dir.join(LEGACY_FILE);
    let imported = {
        let mut meta = txn.open_table(META).map_err(io)?;
        if meta.get("format").map_err(io)?.is_none() {
            meta.insert("format", b"1".as_slice()).map_err(io)?;
        }
        meta.get("imported_store_json").map_err(io)?.is_some()
    };
    let import = !imported && legacy.exists();
    if import {
        let bytes =
            std::fs::read(&legacy).map_err(|e| StoreError::Unavailable(format!("{}: {e}", legacy.display())))?;
        let state: State =
            serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt(format!("{}: {e}", legacy.display())))?;
        import_state(&txn, &state)?;
        let at = encode(&Utc::now())?;
        txn.open_table(META).map_err(io)?.insert("imported_store_json", at.as_slice()).map_err(io)?;
    }
    txn.commit().map_err(io)?;
    if import {
        // The snapshot (webhook secrets in clear) is now in the database: delete it. A failed
        // delete is harmless for the data (the import is recorded and never repeated) but is
        // reported, since the file holds secrets.
        if let Err(e) = std::fs::remove_file(&legacy) {
            tracing::warn!(error = %e, "the imported store.json could not be deleted; delete it by hand");
        }
    }
    // A copy kept by versions that renamed the snapshot instead of deleting it.
    let kept = dir.join(format!("{LEGACY_FILE}.imported"));
    if (import || imported) && kept.exists() {
        let _ = std::fs::remove_file(&kept);
    }
    Ok(())
}

fn import_state(txn: &WriteTransaction, state: &State) -> StoreResult<()> {
    fn all<T: Serialize>(txn: &WriteTransaction, table: Table, items: &BTreeMap<String, T>) -> StoreResult<()> {
        let mut t = txn.open_table(table).map_err(io)?;
        for (key, value) in items {
            t.insert(key.as_str(), encode(value)?.as_slice()).map_err(io)?;
        }
        Ok(())
    }
    all(txn, ACCOUNTS, state.accounts.rows())?;
    all(txn, USERS, state.users.rows())?;
    all(txn, PROPERTIES, state.properties.rows())?;
    all(txn, CHATBOTS, state.chatbots.rows())?;
    all(txn, CAMPAIGNS, state.campaigns.rows())?;
    all(txn, RESERVATIONS, state.reservations.rows())?;
    all(txn, REMEMBERED, state.remembered.rows())?;
    all(txn, MESSAGES, state.messages.rows())?;
    all(txn, WATERMARKS, state.watermarks.rows())?;
    let mut opt_outs = txn.open_table(OPT_OUTS).map_err(io)?;
    for key in &state.opt_outs {
        opt_outs.insert(key.as_str(), OPTED_OUT).map_err(io)?;
    }
    for key in &state.opt_ins {
        opt_outs.insert(key.as_str(), OPTED_IN).map_err(io)?;
    }
    let mut notifications = txn.open_table(NOTIFICATIONS).map_err(io)?;
    for (position, n) in (0u64..).zip(&state.notifications) {
        notifications.insert(position, encode(n)?.as_slice()).map_err(io)?;
    }
    Ok(())
}

/// Read every table into a fresh state (indexes not built). A table that does not exist yet
/// (a read-only snapshot of a database being created) is empty.
fn load(txn: &ReadTransaction, path: &Path) -> StoreResult<State> {
    let corrupt = |table: &str, key: &str, e: &dyn std::fmt::Display| {
        StoreError::Corrupt(format!("{}: {table}/{key}: {e}", path.display()))
    };
    let map = |table: Table| -> StoreResult<Vec<(String, Vec<u8>)>> {
        let t = match txn.open_table(table) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
            Err(e) => return Err(io(e)),
        };
        let mut out = Vec::new();
        for entry in t.iter().map_err(io)? {
            let (k, v) = entry.map_err(io)?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    };
    fn decode<T: DeserializeOwned>(
        rows: Vec<(String, Vec<u8>)>,
        table: &str,
        corrupt: &dyn Fn(&str, &str, &dyn std::fmt::Display) -> StoreError,
    ) -> StoreResult<BTreeMap<String, T>> {
        rows.into_iter()
            .map(|(k, v)| match serde_json::from_slice(&v) {
                Ok(value) => Ok((k, value)),
                Err(e) => Err(corrupt(table, &k, &e)),
            })
            .collect()
    }
    let mut state = State {
        accounts: decode(map(ACCOUNTS)?, "accounts", &corrupt)?.into(),
        users: decode(map(USERS)?, "users", &corrupt)?.into(),
        properties: decode(map(PROPERTIES)?, "properties", &corrupt)?.into(),
        chatbots: decode(map(CHATBOTS)?, "chatbots", &corrupt)?.into(),
        campaigns: decode(map(CAMPAIGNS)?, "campaigns", &corrupt)?.into(),
        reservations: decode(map(RESERVATIONS)?, "reservations", &corrupt)?.into(),
        remembered: decode(map(REMEMBERED)?, "remembered", &corrupt)?.into(),
        messages: decode(map(MESSAGES)?, "messages", &corrupt)?.into(),
        watermarks: decode(map(WATERMARKS)?, "watermarks", &corrupt)?.into(),
        ..State::default()
    };
    for (key, value) in map(OPT_OUTS)? {
        if value.as_slice() == OPTED_IN {
            state.opt_ins.insert(key);
        } else {
            state.opt_outs.insert(key);
        }
    }
    match txn.open_table(NOTIFICATIONS) {
        Ok(t) => {
            for entry in t.iter().map_err(io)? {
                let (k, v) = entry.map_err(io)?;
                let n = serde_json::from_slice(v.value())
                    .map_err(|e| corrupt("notifications", &k.value().to_string(), &e))?;
                state.notifications.push(n);
            }
        }
        Err(redb::TableError::TableDoesNotExist(_)) => {}
        Err(e) => return Err(io(e)),
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::Instant;

    use chrono::{Duration, Utc};
    use relais_domain::{Attempt, Channel, MessageState};

    use super::super::{MemoryStore, State, lock};
    use super::{Change, FILE, Journal, LEGACY_FILE};
    use crate::ports::{Notification, Store, StoreError};
    use crate::store_contract::{self, account, campaign, chatbot, message, property, record, reservation, user};

    /// A fresh directory under the system temp dir, removed on drop.
    pub(crate) struct TempDir(pub PathBuf);
    impl TempDir {
        pub fn new(tag: &str) -> TempDir {
            let nanos = Utc::now().timestamp_nanos_opt().unwrap_or_default();
            let dir = std::env::temp_dir().join(format!("relais-{tag}-{}-{nanos:x}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writers_share_commits_and_every_answered_write_is_on_disk() {
        let dir = TempDir::new("group");
        let store = Arc::new(MemoryStore::open(&dir.0).unwrap());
        let due = Utc::now() + Duration::days(1);
        let writers: Vec<_> = (0..64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let m = message(&format!("g{i:02}"), "c1", "p1", &format!("r{i}"), due);
                    store.create_message(&m).await.unwrap()
                })
            })
            .collect();
        for w in writers {
            assert!(w.await.unwrap());
        }
        let commits = lock(&store.journal).commits;
        assert!(commits < 64, "64 concurrent writes took {commits} commits: they share them");
        drop(store);
        let reopened = MemoryStore::open(&dir.0).unwrap();
        assert_eq!(reopened.all_messages().len(), 64, "every answered write is on disk");
    }

    #[test]
    fn a_failed_commit_loses_its_batch_and_what_was_queued_after_it_only() {
        let change = || Change::Watermark("w".into(), Utc::now());
        let mut journal = Journal::default();
        let first = journal.queue(change());
        let (batch, last) = journal.take_batch().unwrap();
        assert_eq!((batch.len(), last), (1, first));
        assert!(journal.take_batch().is_none(), "one committer at a time");
        journal.committed(last);
        assert!(matches!(journal.outcome(first), Some(Ok(()))));

        let lost = journal.queue(change());
        let (_, last) = journal.take_batch().unwrap();
        // Queued while the failing commit runs: decided on top of the lost change.
        let queued_after = journal.queue(change());
        journal.failed(&StoreError::Unavailable("disk full".into()));
        assert_ne!(last, queued_after);
        for ticket in [lost, queued_after] {
            assert!(
                matches!(journal.outcome(ticket), Some(Err(StoreError::Unavailable(e))) if e.contains("disk full"))
            );
        }
        let next = journal.queue(change());
        assert!(journal.outcome(next).is_none(), "not on disk yet");
        let (batch, last) = journal.take_batch().unwrap();
        assert_eq!(batch.len(), 1, "the lost changes are not written later");
        journal.committed(last);
        assert!(matches!(journal.outcome(next), Some(Ok(()))));
        assert!(matches!(journal.outcome(lost), Some(Err(_))), "still lost after a later commit");
        assert!(matches!(journal.outcome(first), Some(Ok(()))));
    }

    #[tokio::test]
    async fn persisted_store_keeps_the_store_contract_across_a_reopen() {
        let dir = TempDir::new("contract");
        store_contract::run_store_contract(Arc::new(MemoryStore::open(&dir.0).unwrap())).await;
        // Reopened, it holds the first run's data and keeps the contract again.
        let reopened = MemoryStore::open(&dir.0).unwrap();
        assert!(!reopened.all_messages().is_empty());
        store_contract::run_store_contract(Arc::new(reopened)).await;
    }

    /// Everything observable, the derived indexes included.
    fn snapshot(store: &MemoryStore) -> (serde_json::Value, String) {
        let state = lock(&store.state);
        (serde_json::to_value(&*state).unwrap(), format!("{:?}", state.index))
    }

    fn notification(id: &str, user_id: &str) -> Notification {
        Notification {
            id: id.into(),
            account_id: "acc".into(),
            user_id: user_id.into(),
            at: Utc::now(),
            kind: "campaign_submitted".into(),
            campaign_id: "c1".into(),
            title: "Campaign submitted".into(),
            body: "waiting for approval".into(),
            read: false,
        }
    }

    #[tokio::test]
    async fn a_reopened_store_holds_every_kind_of_write() {
        let dir = TempDir::new("reopen");
        let t = Utc::now();
        let store = MemoryStore::open(&dir.0).unwrap();
        assert!(store.is_empty());
        store.put_account(&account("acc")).await.unwrap();
        store.put_user(&user("u1", "acc")).await.unwrap();
        let mut u1 = user("u1", "acc");
        u1.email_notifications = false;
        store.put_user(&u1).await.unwrap();
        store.put_property(&property("p1", "acc")).await.unwrap();
        store.put_chatbot(&chatbot("b1", "acc", "p1")).await.unwrap();
        store.put_campaign(&campaign("c1", "acc", "p1", 1), None).await.unwrap();
        store.put_campaign(&campaign("c1", "acc", "p1", 2), Some(1)).await.unwrap();
        assert!(matches!(
            store.put_campaign(&campaign("c1", "acc", "p1", 9), Some(1)).await,
            Err(StoreError::Conflict(_))
        ));
        let r1 = reservation("p1", "r1", Some("101"), "2026-06-13");
        store.put_reservation(&record(r1.clone(), 1), None).await.unwrap();
        store.put_reservation(&record(r1.clone(), 2), Some(1)).await.unwrap();
        assert!(store.remember("evt-1", t, t + Duration::hours(1)).await.unwrap());
        // Messages: open (due), claimed and sent (provider id), pending, canceled.
        let due = t - Duration::minutes(5);
        let open = message("m-open", "c1", "p1", "r1", due);
        let later = message("m-later", "c1", "p1", "r1", t + Duration::days(2));
        let mut pending = message("m-pending", "c1", "p1", "r1", due - Duration::hours(1));
        pending.state = MessageState::Pending;
        let sent = message("m-sent", "c1", "p1", "r1", due);
        let canceled = message("m-canceled", "c1", "p1", "r1", due);
        for m in [&open, &later, &pending, &sent, &canceled] {
            assert!(store.create_message(m).await.unwrap());
        }
        assert!(!store.create_message(&open).await.unwrap());
        let mut claimed = sent.clone();
        claimed.version = 1;
        claimed.transition(due, MessageState::Sending, None);
        store.update_message(&claimed, 0).await.unwrap();
        let mut done = claimed.clone();
        done.version = 2;
        done.attempts.push(Attempt {
            channel: Channel::Whatsapp,
            at: due,
            provider_message_id: Some("wamid-1".into()),
            status: MessageState::Sent,
            error: None,
            segments: None,
            fallback: false,
        });
        done.transition(due, MessageState::Sent, None);
        store.update_message(&done, 1).await.unwrap();
        let mut gone = canceled.clone();
        gone.version = 1;
        gone.transition(t, MessageState::Canceled, Some("reservation_canceled".into()));
        store.update_message(&gone, 0).await.unwrap();
        store.set_opt_out(Channel::Sms, Some("+15550001111"), "+351911111111", true, t).await.unwrap();
        store.set_opt_out(Channel::Whatsapp, Some("1098765"), "+351922222222", true, t).await.unwrap();
        store.set_opt_out(Channel::Whatsapp, Some("1098765"), "+351922222222", false, t).await.unwrap();
        store.set_opt_out(Channel::Whatsapp, None, "+351933333333", true, t).await.unwrap();
        store.set_opt_out(Channel::Whatsapp, Some("1098765"), "+351933333333", false, t).await.unwrap();
        assert!(store.advance_watermark("sweep", None, t).await.unwrap());
        let t2 = t + Duration::minutes(5) + Duration::nanoseconds(1);
        assert!(store.advance_watermark("sweep", Some(t), t2).await.unwrap());
        store.add_notification(&notification("n1", "u1")).await.unwrap();
        store.add_notification(&notification("n2", "u1")).await.unwrap();
        store.add_notification(&notification("n3", "u2")).await.unwrap();
        assert!(store.mark_notification_read("u1", "n2").await.unwrap());

        let before = snapshot(&store);
        let due_before = store.due_messages(t).await.unwrap();
        drop(store);
        assert!(dir.0.join(FILE).exists());
        assert!(!dir.0.join(LEGACY_FILE).exists(), "no snapshot file any more");

        let store = MemoryStore::open(&dir.0).unwrap();
        assert_eq!(snapshot(&store), before, "the reopened state and its indexes are identical");
        assert!(!store.is_empty());
        let due_after = store.due_messages(t).await.unwrap();
        assert_eq!(due_after, due_before);
        let ids: Vec<&str> = due_after.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["m-pending", "m-open"], "the due index is rebuilt: open messages, in due order");
        assert_eq!(store.due_messages(t + Duration::days(3)).await.unwrap().len(), 3);
        assert_eq!(store.message_by_provider_id("wamid-1").await.unwrap(), Some(done.clone()));
        assert_eq!(store.get_user("u1").await.unwrap(), Some(u1));
        assert_eq!(store.get_campaign("c1").await.unwrap().map(|c| c.version), Some(2));
        assert_eq!(store.get_reservation("p1", "r1").await.unwrap(), Some(record(r1, 2)));
        assert!(!store.remember("evt-1", t, t + Duration::hours(1)).await.unwrap(), "remembered keys survive");
        assert!(store.is_opted_out(Channel::Sms, "+15550001111", "+351911111111").await.unwrap());
        assert!(!store.is_opted_out(Channel::Whatsapp, "1098765", "+351922222222").await.unwrap());
        assert!(store.is_opted_out(Channel::Whatsapp, "2098765", "+351933333333").await.unwrap(), "sender-less");
        assert!(!store.is_opted_out(Channel::Whatsapp, "1098765", "+351933333333").await.unwrap(), "opted in");
        assert_eq!(store.get_watermark("sweep").await.unwrap(), Some(t2), "full precision");
        let read: Vec<(String, bool)> =
            store.list_notifications("u1").await.unwrap().into_iter().map(|n| (n.id, n.read)).collect();
        assert_eq!(read, [("n1".to_string(), false), ("n2".to_string(), true)], "order and read flags");
        // Writes continue where they left off: a conditional write sees the persisted version.
        let mut next = done.clone();
        next.version = 3;
        assert!(matches!(store.update_message(&next, 1).await, Err(StoreError::Conflict(_))));
        store.update_message(&next, 2).await.unwrap();
        store.add_notification(&notification("n4", "u1")).await.unwrap();
        drop(store);
        let store = MemoryStore::open(&dir.0).unwrap();
        assert_eq!(store.get_message("m-sent").await.unwrap().map(|m| m.version), Some(3));
        let ids: Vec<String> = store.list_notifications("u1").await.unwrap().into_iter().map(|n| n.id).collect();
        assert_eq!(ids, ["n1", "n2", "n4"]);
    }

    #[tokio::test]
    async fn a_store_json_snapshot_is_imported_once() {
        let dir = TempDir::new("import");
        let t = Utc::now();
        // The snapshot format of earlier versions: the whole state as one JSON document.
        let legacy = MemoryStore::new();
        legacy.put_account(&account("acc")).await.unwrap();
        legacy.put_property(&property("p1", "acc")).await.unwrap();
        legacy.put_campaign(&campaign("c1", "acc", "p1", 1), None).await.unwrap();
        legacy.create_message(&message("m1", "c1", "p1", "r1", t - Duration::minutes(1))).await.unwrap();
        // Opt-outs of earlier versions had no sender: they stay in force for every sender.
        legacy.set_opt_out(Channel::Sms, None, "+351911111111", true, t).await.unwrap();
        legacy.advance_watermark("sweep", None, t).await.unwrap();
        legacy.add_notification(&notification("n1", "u1")).await.unwrap();
        let json = serde_json::to_vec(&*lock(&legacy.state)).unwrap();
        std::fs::write(dir.0.join(LEGACY_FILE), &json).unwrap();
        assert!(MemoryStore::exists_in(&dir.0));

        let store = MemoryStore::open(&dir.0).unwrap();
        assert_eq!(snapshot(&store), snapshot(&legacy), "everything imported, indexes rebuilt");
        assert_eq!(store.due_messages(t).await.unwrap().len(), 1);
        assert!(store.is_opted_out(Channel::Sms, "+15550001111", "+351911111111").await.unwrap());
        assert!(dir.0.join(FILE).exists());
        assert!(!dir.0.join(LEGACY_FILE).exists(), "the snapshot, secrets in clear, is deleted");
        assert!(!dir.0.join(format!("{LEGACY_FILE}.imported")).exists(), "and no copy kept");
        store.put_campaign(&campaign("c1", "acc", "p1", 2), Some(1)).await.unwrap();
        drop(store);

        // A snapshot showing up again is not imported over newer data.
        std::fs::write(dir.0.join(LEGACY_FILE), &json).unwrap();
        let store = MemoryStore::open(&dir.0).unwrap();
        assert_eq!(store.get_campaign("c1").await.unwrap().map(|c| c.version), Some(2));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_data_directory_and_its_files_are_private() {
        use crate::embedded::{MailOutbox, OutboxChannel};
        use crate::ports::{ChannelSender, Mailer, SendRequest};
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let parent = TempDir::new("private");
        let dir = parent.0.join("data");
        let store = MemoryStore::open(&dir).unwrap();
        store.put_account(&account("acc")).await.unwrap();
        assert_eq!(mode(&dir), 0o700, "data directory");
        assert_eq!(mode(&dir.join(FILE)), 0o600, "store.redb");

        let clock: std::sync::Arc<dyn crate::ports::Clock> = std::sync::Arc::new(crate::clock::SystemClock);
        let outbox = OutboxChannel::new(Channel::Sms, Vec::new(), clock).with_file(dir.join("outbox.jsonl"));
        let request: SendRequest = serde_json::from_value(serde_json::json!({
            "key": "k1", "channel": "sms", "to": "+351911111111", "from": "+15550001111", "language": "en", "body": "hi"
        }))
        .unwrap();
        outbox.send(&request).await;
        assert_eq!(mode(&dir.join("outbox.jsonl")), 0o600, "outbox.jsonl");
        let mail = MailOutbox::new(Some(dir.join("mail")));
        mail.send_email("ed@example.com", "s", "b").await.unwrap();
        assert_eq!(mode(&dir.join("mail")), 0o700, "mail/");
        assert_eq!(mode(&dir.join("mail").join("000001.eml")), 0o600, "mail/*.eml");
        drop(store);

        // A data directory an earlier version left world-readable is tightened when opened.
        for path in [&dir, &dir.join(FILE), &dir.join("outbox.jsonl")] {
            let m = if path.is_dir() { 0o755 } else { 0o644 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap();
        }
        let store = MemoryStore::open(&dir).unwrap();
        OutboxChannel::new(Channel::Sms, Vec::new(), std::sync::Arc::new(crate::clock::SystemClock))
            .with_file(dir.join("outbox.jsonl"))
            .resume_from_file()
            .unwrap();
        assert_eq!((mode(&dir), mode(&dir.join(FILE)), mode(&dir.join("outbox.jsonl"))), (0o700, 0o600, 0o600));
        drop(store);
    }

    #[tokio::test]
    async fn a_corrupt_snapshot_is_reported_and_imports_nothing() {
        let dir = TempDir::new("corrupt");
        std::fs::write(dir.0.join(LEGACY_FILE), b"{\"accounts\": 4").unwrap();
        assert!(matches!(MemoryStore::open(&dir.0), Err(StoreError::Corrupt(_))));
        assert!(dir.0.join(LEGACY_FILE).exists(), "kept for the operator to look at");
    }

    #[tokio::test]
    async fn a_writable_open_is_refused_while_another_writer_holds_the_store() {
        let dir = TempDir::new("exclusive");
        let writer = MemoryStore::open_writable(&dir.0).unwrap();
        writer.put_account(&account("acc")).await.unwrap();
        match MemoryStore::open_writable(&dir.0) {
            Err(StoreError::Unavailable(message)) => assert!(message.contains("open for writing"), "{message}"),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("a second writable store on the same directory"),
        }
        drop(writer);
        assert!(MemoryStore::open_writable(&dir.0).is_ok(), "free again once the writer is gone");
    }

    #[tokio::test]
    async fn a_second_opener_gets_a_read_only_snapshot() {
        let dir = TempDir::new("shared");
        let writer = MemoryStore::open(&dir.0).unwrap();
        writer.put_account(&account("acc")).await.unwrap();
        writer.put_user(&user("u1", "acc")).await.unwrap();
        let reader = MemoryStore::open(&dir.0).unwrap();
        assert_eq!(reader.get_user("u1").await.unwrap(), Some(user("u1", "acc")), "sees committed writes");
        assert!(matches!(reader.put_account(&account("other")).await, Err(StoreError::Unavailable(_))));
        assert_eq!(reader.get_account("other").await.unwrap(), None, "a refused write changes nothing");
        writer.put_account(&account("acc2")).await.unwrap();
        drop(reader);
        drop(writer);
        let store = MemoryStore::open(&dir.0).unwrap();
        assert!(store.get_account("acc2").await.unwrap().is_some());
        assert!(store.get_account("other").await.unwrap().is_none());
    }

    /// `relais token` opening the data directory of a running `relais serve`: another process.
    #[tokio::test]
    async fn another_process_reads_while_this_one_writes() {
        let dir = TempDir::new("process");
        let writer = MemoryStore::open(&dir.0).unwrap();
        writer.put_user(&user("u1", "acc")).await.unwrap();
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["embedded::durable::tests::child_reads_the_store", "--exact", "--ignored", "--nocapture"])
            .env("RELAIS_DURABLE_CHILD_DIR", &dir.0)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("1 passed"), "{stdout}");
        // The writer is unaffected.
        writer.put_user(&user("u2", "acc")).await.unwrap();
    }

    #[tokio::test]
    #[ignore = "run by another_process_reads_while_this_one_writes"]
    async fn child_reads_the_store() {
        let dir = PathBuf::from(std::env::var_os("RELAIS_DURABLE_CHILD_DIR").expect("run by the parent test"));
        let store = MemoryStore::open(&dir).unwrap();
        assert_eq!(store.get_user("u1").await.unwrap(), Some(user("u1", "acc")));
        assert!(matches!(store.put_user(&user("u3", "acc")).await, Err(StoreError::Unavailable(_))));
    }

    /// Writes per second with 10k messages stored: the whole-state JSON snapshot of earlier
    /// versions (as it was: tmp file + rename, no fsync; and the same with an fsync) against redb
    /// (one committed, fsynced transaction per write). Run by hand:
    /// `cargo test --release -p relais-app --lib write_throughput -- --ignored --nocapture`
    /// (`RELAIS_BENCH_STORED`, `RELAIS_BENCH_WRITES` change the sizes).
    #[tokio::test]
    #[ignore = "timing, run by hand in release"]
    async fn write_throughput() {
        let env = |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
        let stored = env("RELAIS_BENCH_STORED", 10_000);
        let writes = env("RELAIS_BENCH_WRITES", 200);
        let start = Utc::now();
        let mut state = State::default();
        for i in 0..stored {
            let m = message(&format!("m{i:06}"), "c1", "p1", &format!("r{i}"), start + Duration::days(1));
            state.messages.insert(m.id.clone(), m);
        }
        let legacy_json = serde_json::to_vec(&state).unwrap();

        /// `writes` creates, then `writes` updates, each followed by `after`.
        async fn run(label: &str, store: &MemoryStore, writes: usize, after: impl Fn(&MemoryStore)) {
            let due = Utc::now() + Duration::days(1);
            let t = Instant::now();
            for i in 0..writes {
                assert!(store.create_message(&message(&format!("n{i:06}"), "c1", "p1", "rn", due)).await.unwrap());
                after(store);
            }
            let creates = writes as f64 / t.elapsed().as_secs_f64();
            let t = Instant::now();
            for i in 0..writes {
                let mut m = store.get_message(&format!("m{i:06}")).await.unwrap().unwrap();
                m.version += 1;
                m.state = MessageState::Sending;
                store.update_message(&m, m.version - 1).await.unwrap();
                after(store);
            }
            let updates = writes as f64 / t.elapsed().as_secs_f64();
            println!("{label:<34} create_message {creates:>7.0}/s   update_message {updates:>7.0}/s");
        }

        // Before: the state in memory, the whole of it written after every write.
        for fsync in [false, true] {
            let dir = TempDir::new("bench-json");
            let store = MemoryStore::new();
            *lock(&store.state) = serde_json::from_slice(&legacy_json).unwrap();
            lock(&store.state).rebuild_indexes();
            let file = dir.0.join(LEGACY_FILE);
            let snapshot = |store: &MemoryStore| {
                use std::io::Write;
                let bytes = serde_json::to_vec(&*lock(&store.state)).unwrap();
                let tmp = file.with_extension("json.tmp");
                let mut f = std::fs::File::create(&tmp).unwrap();
                f.write_all(&bytes).unwrap();
                if fsync {
                    f.sync_all().unwrap();
                }
                std::fs::rename(&tmp, &file).unwrap();
            };
            let label = if fsync { "json snapshot + fsync" } else { "json snapshot (before)" };
            run(label, &store, writes, snapshot).await;
        }

        // After: redb, the changed entity only.
        let dir = TempDir::new("bench-redb");
        std::fs::write(dir.0.join(LEGACY_FILE), &legacy_json).unwrap();
        let t = Instant::now();
        let store = MemoryStore::open(&dir.0).unwrap();
        let import = t.elapsed();
        run("redb (after)", &store, writes, |_| {}).await;
        drop(store);
        let t = Instant::now();
        let store = MemoryStore::open(&dir.0).unwrap();
        let size = std::fs::metadata(dir.0.join(FILE)).unwrap().len();
        println!(
            "{stored} messages: json {} bytes; redb import {import:?}, reopen of {} messages {:?}, {size} bytes",
            legacy_json.len(),
            store.all_messages().len(),
            t.elapsed()
        );
    }
}
