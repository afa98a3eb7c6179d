//! Embedded adapters: an in-memory store (optionally persisted to a data directory, in redb), an
//! in-memory queue and event bus, a virtual clock, and outbox channels and mailer that record
//! what would have been sent. The local runner and the simulator use these.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{Account, Campaign, Channel, Chatbot, Message, Property, Reservation, User};
use serde::{Deserialize, Serialize};

mod durable;
mod index;
mod private;

use self::durable::Change;
use self::index::{Indexes, Table, Visits, owned_by, third_below, third_from, third_of};
use crate::ports::{
    ChannelSender, Clock, DispatchJob, EventBus, GuestChoseFlow, Mailer, Notification, ReservationChanged,
    ReservationRecord, SendOutcome, SendRequest, Store, StoreError, StoreResult, WorkQueue,
};

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave our maps half-written (every mutation is one
    // `Change` applied after it is persisted), so a poisoned lock is still safe to use.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    accounts: Table<Account>,
    users: Table<User>,
    properties: Table<Property>,
    chatbots: Table<Chatbot>,
    campaigns: Table<Campaign>,
    /// Key: `property_id/reservation_id`.
    reservations: Table<ReservationRecord>,
    remembered: Table<DateTime<Utc>>,
    messages: Table<Message>,
    /// Opted-out keys (`opt_out_key`): a sender's, or the sender-less one of a channel.
    opt_outs: BTreeSet<String>,
    /// A sender's explicit opt-in, which overrides a sender-less opt-out.
    #[serde(default)]
    opt_ins: BTreeSet<String>,
    watermarks: Table<DateTime<Utc>>,
    notifications: Vec<Notification>,
    /// Derived; rebuilt on open.
    #[serde(skip)]
    index: Indexes,
    #[serde(skip)]
    visits: Visits,
}

impl State {
    /// The opt-out record under `key`: opted out, opted in, or none.
    fn opt_record(&self, key: &str) -> Option<bool> {
        if self.opt_outs.contains(key) {
            Some(true)
        } else if self.opt_ins.contains(key) {
            Some(false)
        } else {
            None
        }
    }
    fn rebuild_indexes(&mut self) {
        let mut index = Indexes::default();
        for u in self.users.values() {
            Indexes::owned(&mut index.users_of_account, None, u.account_id.as_deref(), &u.id);
        }
        for p in self.properties.values() {
            Indexes::owned(&mut index.properties_of_account, None, p.account_id.as_deref(), &p.id);
        }
        for c in self.chatbots.values() {
            Indexes::owned(&mut index.chatbots_of_account, None, c.account_id.as_deref(), &c.id);
        }
        for c in self.campaigns.values() {
            index.campaign(None, c);
        }
        for (key, record) in self.reservations.iter() {
            index.reservation(key, None, record);
        }
        for m in self.messages.values() {
            index.message(None, m);
        }
        for (position, n) in self.notifications.iter().enumerate() {
            index.notification(position, n);
        }
        self.index = index;
    }
    fn reservations_at<'a>(&'a self, keys: impl IntoIterator<Item = &'a String>) -> Vec<Reservation> {
        keys.into_iter().filter_map(|k| self.reservations.get(k)).map(|r| r.reservation.clone()).collect()
    }
}

fn reservation_key(property_id: &str, id: &str) -> String {
    format!("{property_id}/{id}")
}

/// `channel:phone` without a sender (the key every opt-out had before they were keyed by
/// sender, so older data files keep theirs in force), `channel@len:sender:phone` with one: the
/// length makes the key unambiguous whatever the sender and the number contain.
fn opt_out_key(channel: Channel, sender: Option<&str>, phone: &str) -> String {
    match sender {
        None => format!("{}:{phone}", channel.as_str()),
        Some(sender) => format!("{}@{}:{sender}:{phone}", channel.as_str(), sender.len()),
    }
}

/// The embedded store. With a data directory, every write is persisted to `dir/store.redb`
/// (the changed entity only; concurrent writes share one committed redb transaction) before it
/// is acknowledged, so a restart loses nothing; reads are served from memory, each query from
/// an index of its own (docs/performance.md).
#[derive(Default)]
pub struct MemoryStore {
    state: Mutex<State>,
    disk: Option<durable::Disk>,
    /// Changes applied in memory and not yet on disk. Locked after `state` when both are.
    journal: Mutex<durable::Journal>,
    /// Woken after each commit.
    commits: tokio::sync::Notify,
}

impl MemoryStore {
    /// A store in memory only.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// A store persisted in `dir/store.redb` (created if missing; a `dir/store.json` snapshot of
    /// earlier versions is imported once). When another process has it open for writing, this
    /// is a read-only snapshot whose writes answer [`StoreError::Unavailable`].
    pub fn open(dir: &Path) -> Result<MemoryStore, StoreError> {
        let (state, disk) = durable::Disk::open(dir, true)?;
        Ok(MemoryStore::with_disk(state, disk))
    }

    /// As [`MemoryStore::open`], but refused when another process has the database open for
    /// writing, instead of falling back to a read-only snapshot (`relais serve`).
    pub fn open_writable(dir: &Path) -> Result<MemoryStore, StoreError> {
        let (state, disk) = durable::Disk::open(dir, false)?;
        Ok(MemoryStore::with_disk(state, disk))
    }

    fn with_disk(state: State, disk: durable::Disk) -> MemoryStore {
        MemoryStore { state: Mutex::new(state), disk: Some(disk), ..MemoryStore::default() }
    }

    /// Whether `dir` holds a persisted store (of this version or an earlier one).
    pub fn exists_in(dir: &Path) -> bool {
        dir.join(durable::FILE).exists() || dir.join(durable::LEGACY_FILE).exists()
    }

    /// Whether nothing has been stored yet (for `--seed` into an empty data directory).
    pub fn is_empty(&self) -> bool {
        let state = lock(&self.state);
        state.accounts.is_empty() && state.properties.is_empty() && state.campaigns.is_empty()
    }

    /// Every message (simulation output, tests).
    pub fn all_messages(&self) -> Vec<Message> {
        lock(&self.state).messages.values().cloned().collect()
    }

    /// How many index entries and rows the queries of this store have looked at: a query visits
    /// about two per row it answers, whatever else the store holds (tests, benchmarks).
    pub fn rows_visited(&self) -> u64 {
        let s = lock(&self.state);
        let tables = [
            s.accounts.visits(),
            s.users.visits(),
            s.properties.visits(),
            s.chatbots.visits(),
            s.campaigns.visits(),
            s.reservations.visits(),
            s.remembered.visits(),
            s.messages.visits(),
            s.watermarks.visits(),
        ];
        s.visits.total() + tables.iter().sum::<u64>()
    }

    /// Every reservation record (tests, simulation).
    pub fn all_reservations(&self) -> Vec<ReservationRecord> {
        lock(&self.state).reservations.values().cloned().collect()
    }

    /// A mutation: `decide` reads the state and answers the result and the entity to change, if
    /// any. Under the same lock, the change is applied in memory and queued for the disk; the
    /// answer waits until it is committed. Concurrent writers share one commit (group commit,
    /// docs/performance.md), so an answer still means the write is on disk. A decision that
    /// changes nothing also waits for the changes it read: it may answer from them.
    async fn write<R>(&self, decide: impl FnOnce(&State) -> StoreResult<(R, Option<Change>)>) -> StoreResult<R> {
        let (result, ticket) = {
            let mut state = lock(&self.state);
            let (result, change) = decide(&state)?;
            let Some(disk) = &self.disk else {
                if let Some(change) = change {
                    state.apply(change);
                }
                return Ok(result);
            };
            let mut journal = lock(&self.journal);
            let ticket = match change {
                Some(change) => {
                    disk.check_writable()?;
                    state.apply(change.clone());
                    journal.queue(change)
                }
                None => journal.last_queued(),
            };
            drop(journal);
            (result, ticket)
        };
        self.committed(ticket).await?;
        Ok(result)
    }

    /// Wait until the change `ticket` is on disk: commit the queued changes if no one else is
    /// committing (taking everything queued meanwhile), else wait for the committer.
    async fn committed(&self, ticket: u64) -> StoreResult<()> {
        let Some(disk) = &self.disk else { return Ok(()) };
        loop {
            let mut notified = std::pin::pin!(self.commits.notified());
            notified.as_mut().enable();
            let batch = {
                let mut journal = lock(&self.journal);
                if let Some(outcome) = journal.outcome(ticket) {
                    return outcome;
                }
                journal.take_batch()
            };
            let Some((changes, last)) = batch else {
                notified.await;
                continue;
            };
            let result = disk.persist_all(&changes);
            if let Err(e) = &result {
                // What did not reach the disk is forgotten, and so is every change queued
                // after it (each was decided on top of it): those writers are answered the error.
                let mut state = lock(&self.state);
                let reloaded = disk.reload();
                let mut journal = lock(&self.journal);
                journal.failed(e);
                if let Ok(fresh) = reloaded {
                    *state = fresh;
                }
            } else {
                lock(&self.journal).committed(last);
            }
            self.commits.notify_waiters();
        }
    }

    fn read<R>(&self, query: impl FnOnce(&State) -> R) -> StoreResult<R> {
        Ok(query(&lock(&self.state)))
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn put_account(&self, account: &Account) -> StoreResult<()> {
        self.write(|_| Ok(((), Some(Change::Account(account.clone()))))).await
    }
    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>> {
        self.read(|s| s.accounts.get(id).cloned())
    }
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        self.write(|_| Ok(((), Some(Change::User(user.clone()))))).await
    }
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        self.read(|s| s.users.get(id).cloned())
    }
    async fn list_users(&self, account_id: &str) -> StoreResult<Vec<User>> {
        self.read(|s| s.users.fetch(owned_by(&s.index.users_of_account, account_id, &s.visits)))
    }
    async fn put_property(&self, property: &Property) -> StoreResult<()> {
        self.write(|_| Ok(((), Some(Change::Property(property.clone()))))).await
    }
    async fn get_property(&self, id: &str) -> StoreResult<Option<Property>> {
        self.read(|s| s.properties.get(id).cloned())
    }
    async fn list_properties(&self, account_id: &str) -> StoreResult<Vec<Property>> {
        self.read(|s| s.properties.fetch(owned_by(&s.index.properties_of_account, account_id, &s.visits)))
    }
    async fn put_chatbot(&self, chatbot: &Chatbot) -> StoreResult<()> {
        self.write(|_| Ok(((), Some(Change::Chatbot(chatbot.clone()))))).await
    }
    async fn get_chatbot(&self, id: &str) -> StoreResult<Option<Chatbot>> {
        self.read(|s| s.chatbots.get(id).cloned())
    }
    async fn list_chatbots(&self, account_id: &str) -> StoreResult<Vec<Chatbot>> {
        self.read(|s| s.chatbots.fetch(owned_by(&s.index.chatbots_of_account, account_id, &s.visits)))
    }

    async fn put_campaign(&self, campaign: &Campaign, expected_version: Option<u64>) -> StoreResult<()> {
        self.write(|s| {
            let current = s.campaigns.get(&campaign.id).map(|c| c.version);
            if current != expected_version {
                return Err(StoreError::Conflict(format!("campaign {} changed", campaign.id)));
            }
            Ok(((), Some(Change::Campaign(campaign.clone()))))
        })
        .await
    }
    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>> {
        self.read(|s| s.campaigns.get(id).cloned())
    }
    async fn list_campaigns(&self, account_id: &str) -> StoreResult<Vec<Campaign>> {
        self.read(|s| s.campaigns.fetch(owned_by(&s.index.campaigns_of_account, account_id, &s.visits)))
    }
    async fn campaigns_of_property(&self, property_id: &str) -> StoreResult<Vec<Campaign>> {
        self.read(|s| s.campaigns.fetch(owned_by(&s.index.campaigns_of_property, property_id, &s.visits)))
    }
    async fn campaigns_awaiting_meta(&self) -> StoreResult<Vec<Campaign>> {
        self.read(|s| s.campaigns.fetch(s.index.awaiting_meta.iter().map(|id| s.visits.count(id))))
    }

    async fn get_reservation(&self, property_id: &str, id: &str) -> StoreResult<Option<ReservationRecord>> {
        self.read(|s| s.reservations.get(&reservation_key(property_id, id)).cloned())
    }
    async fn put_reservation(&self, record: &ReservationRecord, expected_version: Option<u64>) -> StoreResult<()> {
        let r = &record.reservation;
        let key = reservation_key(&r.property_id, &r.id);
        self.write(|s| {
            let current = s.reservations.get(&key).map(|c| c.version);
            if current != expected_version {
                return Err(StoreError::Conflict(format!("reservation {key} changed")));
            }
            Ok(((), Some(Change::Reservation(key, record.clone()))))
        })
        .await
    }
    async fn reservations_in_unit(&self, property_id: &str, unit_id: &str) -> StoreResult<Vec<Reservation>> {
        self.read(|s| {
            s.reservations_at(third_of(&s.index.reservations_in_unit, property_id, unit_id.to_string(), &s.visits))
        })
    }
    async fn reservations_of_guest(
        &self,
        property_id: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> StoreResult<Vec<Reservation>> {
        self.read(|s| {
            // One reservation found by both its e-mail and its phone is answered once, and the
            // answer is in reservation order, as a scan would give it.
            let mut keys = BTreeSet::new();
            if let Some(email) = email {
                keys.extend(third_of(&s.index.reservations_by_email, property_id, email.to_lowercase(), &s.visits));
            }
            if let Some(phone) = phone {
                keys.extend(third_of(&s.index.reservations_by_phone, property_id, phone.to_string(), &s.visits));
            }
            s.reservations_at(keys)
        })
    }
    async fn reservations_checking_out_from(
        &self,
        property_id: &str,
        from: NaiveDate,
    ) -> StoreResult<Vec<ReservationRecord>> {
        self.read(|s| {
            let keys: BTreeSet<&String> =
                third_from(&s.index.reservations_by_check_out, property_id, from, &s.visits).collect();
            s.reservations.fetch(keys)
        })
    }

    async fn remember(&self, key: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> StoreResult<bool> {
        self.write(|s| {
            // An expired key is forgotten: the same work may happen again after its TTL.
            let fresh = s.remembered.get(key).is_none_or(|until| *until < now);
            Ok((fresh, fresh.then(|| Change::Remembered(key.to_string(), expires))))
        })
        .await
    }

    async fn get_message(&self, id: &str) -> StoreResult<Option<Message>> {
        self.read(|s| s.messages.get(id).cloned())
    }
    async fn create_message(&self, message: &Message) -> StoreResult<bool> {
        self.write(|s| {
            if s.messages.contains_key(&message.id) {
                return Ok((false, None));
            }
            Ok((true, Some(Change::Message(message.clone()))))
        })
        .await
    }
    async fn update_message(&self, message: &Message, expected_version: u64) -> StoreResult<()> {
        self.write(|s| {
            let Some(current) = s.messages.get(&message.id) else {
                return Err(StoreError::Conflict(format!("message {} does not exist", message.id)));
            };
            if current.version != expected_version || message.version != expected_version + 1 {
                return Err(StoreError::Conflict(format!("message {} changed", message.id)));
            }
            Ok(((), Some(Change::Message(message.clone()))))
        })
        .await
    }
    async fn messages_of_reservation(&self, property_id: &str, reservation_id: &str) -> StoreResult<Vec<Message>> {
        self.read(|s| {
            let ids = third_of(&s.index.messages_of_reservation, property_id, reservation_id.to_string(), &s.visits);
            s.messages.fetch(ids)
        })
    }
    async fn due_messages(&self, until: DateTime<Utc>) -> StoreResult<Vec<Message>> {
        self.read(|s| {
            let ids = s.index.due.iter().map(|entry| s.visits.count(entry)).take_while(|(due, _)| *due <= until);
            s.messages.fetch(ids.map(|(_, id)| id))
        })
    }
    async fn open_messages_of_campaign(&self, campaign_id: &str) -> StoreResult<Vec<Message>> {
        self.read(|s| s.messages.fetch(owned_by(&s.index.open_of_campaign, campaign_id, &s.visits)))
    }
    async fn messages_of_campaign_due(
        &self,
        campaign_id: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<Message>> {
        self.read(|s| {
            s.messages.fetch(third_below(&s.index.messages_by_campaign_due, campaign_id, from, until, &s.visits))
        })
    }
    async fn message_by_provider_id(&self, provider_message_id: &str) -> StoreResult<Option<Message>> {
        self.read(|s| s.messages.fetch(s.index.by_provider_id.get(provider_message_id)).pop())
    }

    async fn set_opt_out(
        &self,
        channel: Channel,
        sender: Option<&str>,
        phone: &str,
        opted_out: bool,
        _at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.write(|s| {
            let key = opt_out_key(channel, sender, phone);
            let choice = relais_domain::opt_out::record_of_choice(sender.is_some(), opted_out);
            Ok(((), (s.opt_record(&key) != choice).then_some(Change::OptOut(key, choice))))
        })
        .await
    }
    async fn is_opted_out(&self, channel: Channel, sender: &str, phone: &str) -> StoreResult<bool> {
        self.read(|s| {
            let own = s.opt_record(&opt_out_key(channel, Some(sender), phone));
            let sender_less = s.opt_record(&opt_out_key(channel, None, phone));
            relais_domain::opt_out::opted_out_of_sender(own, sender_less)
        })
    }

    async fn get_watermark(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.read(|s| s.watermarks.get(name).copied())
    }
    async fn advance_watermark(&self, name: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> StoreResult<bool> {
        self.write(|s| {
            if s.watermarks.get(name).copied() != from {
                return Ok((false, None));
            }
            Ok((true, Some(Change::Watermark(name.to_string(), to))))
        })
        .await
    }

    async fn add_notification(&self, notification: &Notification) -> StoreResult<()> {
        self.write(|s| Ok(((), Some(Change::Notification(s.notifications.len(), notification.clone()))))).await
    }
    async fn list_notifications(&self, user_id: &str) -> StoreResult<Vec<Notification>> {
        self.read(|s| {
            let positions = s.index.notifications_of_user.get(user_id).into_iter().flatten();
            positions.filter_map(|p| s.notifications.get(*p)).map(|n| s.visits.count(n).clone()).collect()
        })
    }
    async fn mark_notification_read(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        self.write(|s| {
            let Some(&position) = s.index.notification_position.get(&(user_id.to_string(), id.to_string())) else {
                return Ok((false, None));
            };
            let mut read = s.notifications[position].clone();
            if read.read {
                return Ok((true, None));
            }
            read.read = true;
            Ok((true, Some(Change::Notification(position, read))))
        })
        .await
    }
}

// ---------------------------------------------------------------- clock

/// A clock the simulator moves by hand.
pub struct VirtualClock(Mutex<DateTime<Utc>>);

impl VirtualClock {
    pub fn new(start: DateTime<Utc>) -> VirtualClock {
        VirtualClock(Mutex::new(start))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *lock(&self.0) = at;
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

// ---------------------------------------------------------------- queue and bus

/// In-memory work queue with delayed visibility.
pub struct MemoryQueue {
    jobs: Mutex<Vec<(DateTime<Utc>, u64, DispatchJob)>>,
    clock: std::sync::Arc<dyn Clock>,
    sequence: std::sync::atomic::AtomicU64,
}

impl MemoryQueue {
    pub fn new(clock: std::sync::Arc<dyn Clock>) -> MemoryQueue {
        MemoryQueue { jobs: Mutex::new(Vec::new()), clock, sequence: std::sync::atomic::AtomicU64::new(0) }
    }
    /// Take every job visible at `now`, in the order queued.
    pub fn take_ready(&self, now: DateTime<Utc>) -> Vec<DispatchJob> {
        let mut jobs = lock(&self.jobs);
        let (ready, waiting): (Vec<_>, Vec<_>) = jobs.drain(..).partition(|(visible, _, _)| *visible <= now);
        *jobs = waiting;
        let mut ready = ready;
        ready.sort_by_key(|(visible, seq, _)| (*visible, *seq));
        ready.into_iter().map(|(_, _, job)| job).collect()
    }
    pub fn len(&self) -> usize {
        lock(&self.jobs).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl WorkQueue for MemoryQueue {
    async fn enqueue(&self, job: &DispatchJob, delay_seconds: u32) -> Result<(), String> {
        let now = self.clock.now();
        let visible = now + chrono::Duration::seconds(i64::from(delay_seconds));
        let seq = self.sequence.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        lock(&self.jobs).push((visible, seq, job.clone()));
        Ok(())
    }
}

/// In-memory event bus: events wait until the runner hands them to the evaluator.
#[derive(Default)]
pub struct MemoryBus {
    events: Mutex<VecDeque<ReservationChanged>>,
    /// Every `GuestChoseFlow` published, in order: locally there is no chatbot platform to
    /// consume them, so they are kept for the simulator's `flow` lines and for tests.
    flow_choices: Mutex<Vec<GuestChoseFlow>>,
}

impl MemoryBus {
    pub fn take_all(&self) -> Vec<ReservationChanged> {
        lock(&self.events).drain(..).collect()
    }
    pub fn flow_choices(&self) -> Vec<GuestChoseFlow> {
        lock(&self.flow_choices).clone()
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, event: &ReservationChanged) -> Result<(), String> {
        lock(&self.events).push_back(event.clone());
        Ok(())
    }
    async fn publish_flow_choice(&self, event: &GuestChoseFlow) -> Result<(), String> {
        lock(&self.flow_choices).push(event.clone());
        Ok(())
    }
}

// ---------------------------------------------------------------- outbox channel and mailer

/// What the outbox recorded for one send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub at: DateTime<Utc>,
    pub provider_message_id: String,
    pub request: SendRequest,
}

/// The sends of an outbox in order, and their provider ids by request key (a repeated key is
/// answered from it, without a scan of every send).
#[derive(Default)]
struct OutboxRecords {
    sent: Vec<OutboxRecord>,
    by_key: std::collections::HashMap<String, String>,
}

impl OutboxRecords {
    fn push(&mut self, record: OutboxRecord) {
        self.by_key.entry(record.request.key.clone()).or_insert_with(|| record.provider_message_id.clone());
        self.sent.push(record);
    }
}

/// A channel that records sends instead of calling a provider. Numbers in `rejects` are
/// refused for good, as the provider would refuse a number that is not on the channel.
/// Sends are idempotent by request key: the same key never produces a second record.
pub struct OutboxChannel {
    channel: Channel,
    rejects: HashSet<String>,
    clock: std::sync::Arc<dyn Clock>,
    /// Shared by the channels of one outbox, so that records keep the global send order.
    records: std::sync::Arc<Mutex<OutboxRecords>>,
    file: Option<PathBuf>,
}

impl OutboxChannel {
    pub fn new(
        channel: Channel,
        rejects: impl IntoIterator<Item = String>,
        clock: std::sync::Arc<dyn Clock>,
    ) -> OutboxChannel {
        OutboxChannel {
            channel,
            rejects: rejects.into_iter().collect(),
            clock,
            records: std::sync::Arc::new(Mutex::new(OutboxRecords::default())),
            file: None,
        }
    }
    /// Another channel writing to the same outbox (records and file).
    pub fn sibling(&self, channel: Channel, rejects: impl IntoIterator<Item = String>) -> OutboxChannel {
        OutboxChannel {
            channel,
            rejects: rejects.into_iter().collect(),
            clock: self.clock.clone(),
            records: self.records.clone(),
            file: self.file.clone(),
        }
    }
    /// Also append each record as a JSON line to `file`.
    pub fn with_file(mut self, file: PathBuf) -> OutboxChannel {
        self.file = Some(file);
        self
    }
    /// Every send of this outbox (all its channels), in send order.
    pub fn records(&self) -> Vec<OutboxRecord> {
        lock(&self.records).sent.clone()
    }
    /// Take back the records an earlier process appended to this outbox's file (the local
    /// runner restarting), so that send order, idempotency by key and provider message ids
    /// continue from them instead of starting over. A line cut by a crash is skipped.
    pub fn resume_from_file(self) -> Result<OutboxChannel, String> {
        if let Some(file) = &self.file {
            // An outbox written by an earlier version may be world-readable.
            private::file(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let text = match std::fs::read_to_string(file) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Err(format!("{}: {e}", file.display())),
            };
            let earlier = text.lines().filter_map(|line| serde_json::from_str::<OutboxRecord>(line).ok());
            let mut records = lock(&self.records);
            for record in earlier {
                records.push(record);
            }
        }
        Ok(self)
    }
}

#[async_trait]
impl ChannelSender for OutboxChannel {
    async fn send(&self, request: &SendRequest) -> SendOutcome {
        if self.rejects.contains(&request.to) {
            let code = match self.channel {
                Channel::Whatsapp => "131026",
                Channel::Sms => "21211",
            };
            return SendOutcome::Rejected {
                code: code.into(),
                detail: "recipient cannot receive messages on this channel".into(),
                opted_out: false,
            };
        }
        let mut records = lock(&self.records);
        if let Some(provider_message_id) = records.by_key.get(&request.key) {
            return SendOutcome::Accepted { provider_message_id: provider_message_id.clone() };
        }
        let record = OutboxRecord {
            at: self.clock.now(),
            provider_message_id: format!("outbox-{}-{}", self.channel.as_str(), records.sent.len() + 1),
            request: request.clone(),
        };
        if let Some(file) = &self.file {
            use std::io::Write;
            let appended = serde_json::to_string(&record).map_err(std::io::Error::other).and_then(|line| {
                let mut f = private::file_options().create(true).append(true).open(file)?;
                writeln!(f, "{line}")
            });
            if let Err(e) = appended {
                return SendOutcome::Transient {
                    code: "outbox_io".into(),
                    detail: e.to_string(),
                    retry_after_seconds: None,
                };
            }
        }
        let provider_message_id = record.provider_message_id.clone();
        records.push(record);
        SendOutcome::Accepted { provider_message_id }
    }
}

/// One e-mail the mail outbox recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Records e-mails (and writes each to `dir/<n>.eml` when a directory is set).
#[derive(Default)]
pub struct MailOutbox {
    mails: Mutex<Vec<Mail>>,
    dir: Option<PathBuf>,
}

impl MailOutbox {
    pub fn new(dir: Option<PathBuf>) -> MailOutbox {
        MailOutbox { mails: Mutex::new(Vec::new()), dir }
    }
    pub fn mails(&self) -> Vec<Mail> {
        lock(&self.mails).clone()
    }
}

#[async_trait]
impl Mailer for MailOutbox {
    async fn send_email(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let mut mails = lock(&self.mails);
        if let Some(dir) = &self.dir {
            private::dir(dir).map_err(|e| e.to_string())?;
            let file = dir.join(format!("{:06}.eml", mails.len() + 1));
            private::write(&file, format!("To: {to}\nSubject: {subject}\n\n{body}\n").as_bytes())
                .map_err(|e| e.to_string())?;
        }
        mails.push(Mail { to: to.into(), subject: subject.into(), body: body.into() });
        Ok(())
    }
}
