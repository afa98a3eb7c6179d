//! Fault injection for reliability tests: a [`Store`] wrapper that yields to other tasks at
//! every call (so concurrent workers interleave between read and write, as Lambdas do) and,
//! with a seeded generator, fails calls at random — before the write (nothing happened) or
//! after it (the write happened but the caller saw an error, like a timeout).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use relais_domain::{Account, Campaign, Channel, Chatbot, Message, Property, Reservation, User};

use crate::ports::{Notification, ReservationRecord, Store, StoreError, StoreResult};

pub struct ChaosStore {
    inner: Arc<dyn Store>,
    seed: AtomicU64,
    /// Failures per 1000 calls while enabled.
    per_mille: u64,
    enabled: AtomicBool,
}

impl ChaosStore {
    pub fn new(inner: Arc<dyn Store>, seed: u64, per_mille: u64) -> ChaosStore {
        ChaosStore { inner, seed: AtomicU64::new(seed | 1), per_mille, enabled: AtomicBool::new(per_mille > 0) }
    }

    /// Stop (or restart) injecting faults; calls keep yielding.
    pub fn set_faults(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
    }

    fn roll(&self) -> bool {
        if !self.enabled.load(Ordering::SeqCst) {
            return false;
        }
        // xorshift64: deterministic for a seed, no dependency.
        let mut x = self.seed.load(Ordering::SeqCst);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Ordering::SeqCst);
        x % 1000 < self.per_mille
    }

    async fn before(&self, call: &str) -> StoreResult<()> {
        tokio::task::yield_now().await;
        if self.roll() {
            return Err(StoreError::Unavailable(format!("injected fault before {call}")));
        }
        Ok(())
    }

    fn after<T>(&self, call: &str, result: StoreResult<T>) -> StoreResult<T> {
        match result {
            Ok(_) if self.roll() => Err(StoreError::Unavailable(format!("injected fault after {call}"))),
            other => other,
        }
    }
}

#[async_trait]
impl Store for ChaosStore {
    async fn put_account(&self, account: &Account) -> StoreResult<()> {
        self.before("put_account").await?;
        let result = self.inner.put_account(account).await;
        self.after("put_account", result)
    }
    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>> {
        self.before("get_account").await?;
        self.inner.get_account(id).await
    }
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        self.before("put_user").await?;
        let result = self.inner.put_user(user).await;
        self.after("put_user", result)
    }
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        self.before("get_user").await?;
        self.inner.get_user(id).await
    }
    async fn list_users(&self, account_id: &str) -> StoreResult<Vec<User>> {
        self.before("list_users").await?;
        self.inner.list_users(account_id).await
    }
    async fn put_property(&self, property: &Property) -> StoreResult<()> {
        self.before("put_property").await?;
        let result = self.inner.put_property(property).await;
        self.after("put_property", result)
    }
    async fn get_property(&self, id: &str) -> StoreResult<Option<Property>> {
        self.before("get_property").await?;
        self.inner.get_property(id).await
    }
    async fn list_properties(&self, account_id: &str) -> StoreResult<Vec<Property>> {
        self.before("list_properties").await?;
        self.inner.list_properties(account_id).await
    }
    async fn put_chatbot(&self, chatbot: &Chatbot) -> StoreResult<()> {
        self.before("put_chatbot").await?;
        let result = self.inner.put_chatbot(chatbot).await;
        self.after("put_chatbot", result)
    }
    async fn get_chatbot(&self, id: &str) -> StoreResult<Option<Chatbot>> {
        self.before("get_chatbot").await?;
        self.inner.get_chatbot(id).await
    }
    async fn list_chatbots(&self, account_id: &str) -> StoreResult<Vec<Chatbot>> {
        self.before("list_chatbots").await?;
        self.inner.list_chatbots(account_id).await
    }
    async fn put_campaign(&self, campaign: &Campaign, expected_version: Option<u64>) -> StoreResult<()> {
        self.before("put_campaign").await?;
        let result = self.inner.put_campaign(campaign, expected_version).await;
        self.after("put_campaign", result)
    }
    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>> {
        self.before("get_campaign").await?;
        self.inner.get_campaign(id).await
    }
    async fn list_campaigns(&self, account_id: &str) -> StoreResult<Vec<Campaign>> {
        self.before("list_campaigns").await?;
        self.inner.list_campaigns(account_id).await
    }
    async fn campaigns_of_property(&self, property_id: &str) -> StoreResult<Vec<Campaign>> {
        self.before("campaigns_of_property").await?;
        self.inner.campaigns_of_property(property_id).await
    }
    async fn campaigns_awaiting_meta(&self) -> StoreResult<Vec<Campaign>> {
        self.before("campaigns_awaiting_meta").await?;
        self.inner.campaigns_awaiting_meta().await
    }
    async fn get_reservation(&self, property_id: &str, id: &str) -> StoreResult<Option<ReservationRecord>> {
        self.before("get_reservation").await?;
        self.inner.get_reservation(property_id, id).await
    }
    async fn put_reservation(&self, record: &ReservationRecord, expected_version: Option<u64>) -> StoreResult<()> {
        self.before("put_reservation").await?;
        let result = self.inner.put_reservation(record, expected_version).await;
        self.after("put_reservation", result)
    }
    async fn reservations_in_unit(&self, property_id: &str, unit_id: &str) -> StoreResult<Vec<Reservation>> {
        self.before("reservations_in_unit").await?;
        self.inner.reservations_in_unit(property_id, unit_id).await
    }
    async fn reservations_of_guest(
        &self,
        property_id: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> StoreResult<Vec<Reservation>> {
        self.before("reservations_of_guest").await?;
        self.inner.reservations_of_guest(property_id, email, phone).await
    }
    async fn reservations_checking_out_from(
        &self,
        property_id: &str,
        from: NaiveDate,
    ) -> StoreResult<Vec<ReservationRecord>> {
        self.before("reservations_checking_out_from").await?;
        self.inner.reservations_checking_out_from(property_id, from).await
    }
    async fn remember(&self, key: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> StoreResult<bool> {
        self.before("remember").await?;
        let result = self.inner.remember(key, now, expires).await;
        self.after("remember", result)
    }
    async fn get_message(&self, id: &str) -> StoreResult<Option<Message>> {
        self.before("get_message").await?;
        self.inner.get_message(id).await
    }
    async fn create_message(&self, message: &Message) -> StoreResult<bool> {
        self.before("create_message").await?;
        let result = self.inner.create_message(message).await;
        self.after("create_message", result)
    }
    async fn update_message(&self, message: &Message, expected_version: u64) -> StoreResult<()> {
        self.before("update_message").await?;
        let result = self.inner.update_message(message, expected_version).await;
        self.after("update_message", result)
    }
    async fn messages_of_reservation(&self, property_id: &str, reservation_id: &str) -> StoreResult<Vec<Message>> {
        self.before("messages_of_reservation").await?;
        self.inner.messages_of_reservation(property_id, reservation_id).await
    }
    async fn due_messages(&self, until: DateTime<Utc>) -> StoreResult<Vec<Message>> {
        self.before("due_messages").await?;
        self.inner.due_messages(until).await
    }
    async fn open_messages_of_campaign(&self, campaign_id: &str) -> StoreResult<Vec<Message>> {
        self.before("open_messages_of_campaign").await?;
        self.inner.open_messages_of_campaign(campaign_id).await
    }
    async fn messages_of_campaign_due(
        &self,
        campaign_id: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<Message>> {
        self.before("messages_of_campaign_due").await?;
        self.inner.messages_of_campaign_due(campaign_id, from, until).await
    }
    async fn message_by_provider_id(&self, provider_message_id: &str) -> StoreResult<Option<Message>> {
        self.before("message_by_provider_id").await?;
        self.inner.message_by_provider_id(provider_message_id).await
    }
    async fn set_opt_out(
        &self,
        channel: Channel,
        sender: Option<&str>,
        phone: &str,
        opted_out: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.before("set_opt_out").await?;
        let result = self.inner.set_opt_out(channel, sender, phone, opted_out, at).await;
        self.after("set_opt_out", result)
    }
    async fn is_opted_out(&self, channel: Channel, sender: &str, phone: &str) -> StoreResult<bool> {
        self.before("is_opted_out").await?;
        self.inner.is_opted_out(channel, sender, phone).await
    }
    async fn get_watermark(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        self.before("get_watermark").await?;
        self.inner.get_watermark(name).await
    }
    async fn advance_watermark(&self, name: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> StoreResult<bool> {
        self.before("advance_watermark").await?;
        let result = self.inner.advance_watermark(name, from, to).await;
        self.after("advance_watermark", result)
    }
    async fn add_notification(&self, notification: &Notification) -> StoreResult<()> {
        self.before("add_notification").await?;
        let result = self.inner.add_notification(notification).await;
        self.after("add_notification", result)
    }
    async fn list_notifications(&self, user_id: &str) -> StoreResult<Vec<Notification>> {
        self.before("list_notifications").await?;
        self.inner.list_notifications(user_id).await
    }
    async fn mark_notification_read(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        self.before("mark_notification_read").await?;
        let result = self.inner.mark_notification_read(user_id, id).await;
        self.after("mark_notification_read", result)
    }
}
