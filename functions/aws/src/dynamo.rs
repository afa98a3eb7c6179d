//! The DynamoDB single-table [`Store`].
//!
//! Every decision the trait calls conditional is a conditional write here: versioned puts of
//! campaigns, reservations and messages (`version = :v`, or `attribute_not_exists(PK)` for a
//! first insert), put-if-absent of messages, idempotency records
//! (`attribute_not_exists(PK) OR expires_at < :now`, with a TTL attribute), the watermark
//! compare-and-set. A lost condition is [`StoreError::Conflict`] (or `false` where the trait
//! returns a boolean); throttling and other failures are [`StoreError::Unavailable`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use futures::{StreamExt, TryStreamExt};
use relais_app::ports::{
    Clock, DispatchKeys, DispatchReads, Notification, ReservationRecord, Store, StoreError, StoreResult,
};
use relais_domain::{Account, Campaign, Channel, Chatbot, Message, MessageState, Property, Reservation, User};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::keys::{self, DuePlacement};

type Item = HashMap<String, AttributeValue>;

/// Rounds of one BatchGetItem before its unprocessed keys are reported unavailable.
const BATCH_GET_ROUNDS: usize = 4;

/// The item of `items` under `key`.
fn take_item(items: &mut Vec<Item>, key: &(String, String)) -> Option<Item> {
    let position = items.iter().position(|item| {
        string_attr(item, keys::PK).as_deref() == Some(key.0.as_str())
            && string_attr(item, keys::SK).as_deref() == Some(key.1.as_str())
    })?;
    Some(items.swap_remove(position))
}

/// How many index queries one `due_messages` runs at once.
const QUERY_CONCURRENCY: usize = 8;

/// The DynamoDB store. Cheap to clone; build it once per process.
#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    clock: Arc<dyn Clock>,
    floor_exists: Arc<AtomicBool>,
}

/// The flag of an opt-out record: `false` for a sender's opt-in.
const OPTED_OUT: &str = "opted_out";

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

fn encode<T: Serialize>(value: &T) -> StoreResult<AttributeValue> {
    serde_dynamo::aws_sdk_dynamodb_1::to_attribute_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode<T: DeserializeOwned>(mut item: Item) -> StoreResult<T> {
    let pk = match item.get(keys::PK) {
        Some(AttributeValue::S(pk)) => pk.clone(),
        _ => String::new(),
    };
    let data = item.remove(keys::DATA).ok_or_else(|| StoreError::Corrupt(format!("{pk}: no data attribute")))?;
    serde_dynamo::aws_sdk_dynamodb_1::from_attribute_value(data).map_err(|e| StoreError::Corrupt(format!("{pk}: {e}")))
}

fn string_attr(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

fn parse_instant(value: &str) -> StoreResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("instant {value}: {e}")))
}

/// The base of an item: keys, entity type and data.
fn item<T: Serialize>(key: (String, String), entity: &str, value: &T) -> StoreResult<Item> {
    let mut item = Item::new();
    item.insert(keys::PK.into(), s(key.0));
    item.insert(keys::SK.into(), s(key.1));
    item.insert(keys::ENTITY.into(), s(entity));
    item.insert(keys::DATA.into(), encode(value)?);
    Ok(item)
}

fn with_index(mut item: Item, index: &str, pk: impl Into<String>, sk: impl Into<String>) -> Item {
    let (pk_attr, sk_attr) = keys::index_attrs(index);
    item.insert(pk_attr.into(), s(pk));
    item.insert(sk_attr.into(), s(sk));
    item
}

fn key_map(key: (String, String)) -> Item {
    HashMap::from([(keys::PK.to_string(), s(key.0)), (keys::SK.to_string(), s(key.1))])
}

fn is_conditional_put(err: &SdkError<PutItemError, aws_sdk_dynamodb::config::http::HttpResponse>) -> bool {
    err.as_service_error().is_some_and(PutItemError::is_conditional_check_failed_exception)
}

fn is_conditional_update(err: &SdkError<UpdateItemError, aws_sdk_dynamodb::config::http::HttpResponse>) -> bool {
    err.as_service_error().is_some_and(UpdateItemError::is_conditional_check_failed_exception)
}

/// A transaction canceled because one of its conditions failed (not throttling or a conflict
/// with another transaction, which are retryable).
fn is_conditional_transaction(
    err: &SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
            e.cancellation_reasons().iter().any(|r| r.code() == Some("ConditionalCheckFailed"))
        }
        _ => false,
    }
}

impl DynamoStore {
    /// `clock` places messages in the due indexes (due in the future or already due) and moves
    /// the due-index floor; the Lambdas pass the system clock, the simulator its virtual one.
    pub fn new(client: Client, table: impl Into<String>, clock: Arc<dyn Clock>) -> DynamoStore {
        DynamoStore { client, table: table.into(), clock, floor_exists: Arc::new(AtomicBool::new(false)) }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    async fn get<T: DeserializeOwned>(&self, key: (String, String)) -> StoreResult<Option<T>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item.map(decode).transpose()
    }

    /// The items under `keys` (at most 100, distinct), strongly consistent, in one
    /// BatchGetItem; keys DynamoDB leaves unprocessed (throttling) are asked again.
    async fn batch_get(&self, keys: Vec<(String, String)>) -> StoreResult<Vec<Item>> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let mut found = Vec::new();
        let mut pending: Vec<Item> = keys.into_iter().map(key_map).collect();
        for _ in 0..BATCH_GET_ROUNDS {
            if pending.is_empty() {
                return Ok(found);
            }
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?;
            let out =
                self.client.batch_get_item().request_items(&self.table, request).send().await.map_err(unavailable)?;
            found.extend(out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
            pending = out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
        }
        if pending.is_empty() {
            Ok(found)
        } else {
            Err(StoreError::Unavailable(format!("BatchGetItem left {} keys unprocessed", pending.len())))
        }
    }

    async fn put(&self, item: Item) -> StoreResult<()> {
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(unavailable)?;
        Ok(())
    }

    /// Put with a version condition: `None` must not exist, `Some(v)` must be at version `v`.
    async fn put_versioned(&self, item: Item, expected_version: Option<u64>, what: &str) -> StoreResult<()> {
        let request = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let request = match expected_version {
            None => request.condition_expression("attribute_not_exists(PK)"),
            Some(v) => request
                .condition_expression("#v = :v")
                .expression_attribute_names("#v", keys::VERSION)
                .expression_attribute_values(":v", n(v)),
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_put(&e) => Err(StoreError::Conflict(format!("{what} changed"))),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Every item of a partition (of the table or of an index), following pages.
    async fn query(&self, index: Option<&str>, pk: String, sk: SortCondition) -> StoreResult<Vec<Item>> {
        let (pk_attr, sk_attr) = match index {
            Some(index) => keys::index_attrs(index),
            None => (keys::PK, keys::SK),
        };
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .expression_attribute_names("#pk", pk_attr)
                .expression_attribute_values(":pk", s(pk.clone()))
                .set_exclusive_start_key(start.take());
            let condition = match &sk {
                SortCondition::Any => "#pk = :pk",
                SortCondition::From(v) => {
                    request =
                        request.expression_attribute_names("#sk", sk_attr).expression_attribute_values(":sk", s(v));
                    "#pk = :pk AND #sk >= :sk"
                }
                SortCondition::Below(v) => {
                    request =
                        request.expression_attribute_names("#sk", sk_attr).expression_attribute_values(":sk", s(v));
                    "#pk = :pk AND #sk < :sk"
                }
                SortCondition::Between(low, high) => {
                    request = request
                        .expression_attribute_names("#sk", sk_attr)
                        .expression_attribute_values(":lo", s(low))
                        .expression_attribute_values(":hi", s(high));
                    "#pk = :pk AND #sk BETWEEN :lo AND :hi"
                }
                SortCondition::Prefix(v) => {
                    request =
                        request.expression_attribute_names("#sk", sk_attr).expression_attribute_values(":sk", s(v));
                    "#pk = :pk AND begins_with(#sk, :sk)"
                }
            };
            if index.is_none() {
                request = request.consistent_read(true);
            }
            let out = request.key_condition_expression(condition).send().await.map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        Ok(items)
    }

    async fn query_data<T: DeserializeOwned>(&self, index: &str, pk: String) -> StoreResult<Vec<T>> {
        self.query(Some(index), pk, SortCondition::Any).await?.into_iter().map(decode).collect()
    }

    fn message_item(&self, message: &Message) -> StoreResult<Item> {
        let due_sort = keys::due_sort(message);
        let mut item = item(keys::message(&message.id), "message", message)?;
        item.insert(keys::VERSION.into(), n(message.version));
        item.insert("state".into(), s(message.state.as_str()));
        let mut item = with_index(
            item,
            keys::GSI1,
            keys::messages_of_reservation(&message.property_id, &message.reservation_id),
            due_sort.clone(),
        );
        item = with_index(item, keys::GSI3, keys::messages_of_campaign(&message.campaign_id), due_sort.clone());
        if message.state.is_open() {
            item =
                with_index(item, keys::GSI2, keys::open_messages_of_campaign(&message.campaign_id), due_sort.clone());
        }
        match keys::due_placement(message, self.clock.now()) {
            DuePlacement::Bucket(bucket, shard) => {
                item = with_index(item, keys::DUE, keys::due_partition(&bucket, shard), due_sort);
            }
            DuePlacement::Open(shard) => {
                item = with_index(item, keys::OPEN, keys::open_partition(shard), due_sort);
            }
            DuePlacement::None => {}
        }
        Ok(item)
    }

    /// Lookup items from each provider message id to the message (status callbacks).
    fn provider_id_puts(&self, message: &Message) -> Vec<TransactWriteItem> {
        let mut seen = std::collections::BTreeSet::new();
        message
            .attempts
            .iter()
            .filter_map(|a| a.provider_message_id.as_deref())
            .filter(|pid| seen.insert(pid.to_string()))
            .filter_map(|pid| {
                let (pk, sk) = keys::provider_id(pid);
                let item = HashMap::from([
                    (keys::PK.to_string(), s(pk)),
                    (keys::SK.to_string(), s(sk)),
                    (keys::ENTITY.to_string(), s("provider_id")),
                    ("message_id".to_string(), s(&message.id)),
                ]);
                let put = Put::builder().table_name(&self.table).set_item(Some(item)).build().ok()?;
                Some(TransactWriteItem::builder().put(put).build())
            })
            .collect()
    }

    /// Write a message under a condition; with provider ids, in one transaction with their
    /// lookup items. `Ok(false)`: the condition failed.
    async fn write_message(
        &self,
        message: &Message,
        condition: &str,
        values: Vec<(&str, AttributeValue)>,
    ) -> StoreResult<bool> {
        if matches!(keys::due_placement(message, self.clock.now()), DuePlacement::Bucket(..)) {
            self.ensure_due_floor().await?;
        }
        let item = self.message_item(message)?;
        let lookups = self.provider_id_puts(message);
        if lookups.is_empty() {
            let mut request =
                self.client.put_item().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
            if condition.contains("#v") {
                request = request.expression_attribute_names("#v", keys::VERSION);
            }
            for (name, value) in values {
                request = request.expression_attribute_values(name, value);
            }
            return match request.send().await {
                Ok(_) => Ok(true),
                Err(e) if is_conditional_put(&e) => Ok(false),
                Err(e) => Err(unavailable(e)),
            };
        }
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item)).condition_expression(condition);
        if condition.contains("#v") {
            put = put.expression_attribute_names("#v", keys::VERSION);
        }
        for (name, value) in values {
            put = put.expression_attribute_values(name, value);
        }
        let put = put.build().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut request =
            self.client.transact_write_items().transact_items(TransactWriteItem::builder().put(put).build());
        for lookup in lookups {
            request = request.transact_items(lookup);
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_transaction(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// The due-index floor: the oldest hour bucket of `DUE` that may still hold a message. It
    /// exists before the first message enters a bucket, so a first sweep knows where to start.
    async fn ensure_due_floor(&self) -> StoreResult<()> {
        if self.floor_exists.load(Ordering::Relaxed) {
            return Ok(());
        }
        let bucket = keys::hour_bucket(self.clock.now() - Duration::hours(1));
        let (pk, sk) = keys::due_floor();
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(pk))
            .item(keys::SK, s(sk))
            .item(keys::ENTITY, s("due_floor"))
            .item("bucket", s(bucket))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(e) if is_conditional_put(&e) => {}
            Err(e) => return Err(unavailable(e)),
        }
        self.floor_exists.store(true, Ordering::Relaxed);
        Ok(())
    }

    async fn due_floor(&self) -> StoreResult<Option<String>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(keys::due_floor())))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item.as_ref().and_then(|i| string_attr(i, "bucket")))
    }

    /// Move the floor forward (never back) to `bucket`.
    async fn raise_due_floor(&self, bucket: &str) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(keys::due_floor())))
            .update_expression("SET #b = :b")
            .condition_expression("attribute_exists(PK) AND #b < :b")
            .expression_attribute_names("#b", "bucket")
            .expression_attribute_values(":b", s(bucket))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_update(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    /// A scheduled message still in a `DUE` bucket long after its due time (its dispatch was
    /// lost or postponed) moves to `OPEN`, so the floor can pass its bucket. Conditional on the
    /// version read: a message rewritten meanwhile was placed afresh by that write.
    async fn move_to_open(&self, message: &Message) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_map(keys::message(&message.id))))
            .update_expression("SET OPENPK = :opk, OPENSK = :osk REMOVE DUEPK, DUESK")
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", keys::VERSION)
            .expression_attribute_values(":v", n(message.version))
            .expression_attribute_values(":opk", s(keys::open_partition(keys::shard_of(&message.id))))
            .expression_attribute_values(":osk", s(keys::due_sort(message)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if is_conditional_update(&e) => Ok(()),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn query_due_partitions(
        &self,
        index: &'static str,
        partitions: Vec<String>,
        below: String,
    ) -> StoreResult<Vec<Item>> {
        let results: Vec<Vec<Item>> = futures::stream::iter(partitions)
            .map(|pk| self.query(Some(index), pk, SortCondition::Below(below.clone())))
            .buffered(QUERY_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(results.into_iter().flatten().collect())
    }
}

enum SortCondition {
    Any,
    From(String),
    Below(String),
    Prefix(String),
    /// `BETWEEN` two values, both included.
    Between(String, String),
}

fn sort_by_id<T>(mut items: Vec<T>, id: impl Fn(&T) -> &str) -> Vec<T> {
    items.sort_by(|a, b| id(a).cmp(id(b)));
    items
}

#[async_trait]
impl Store for DynamoStore {
    async fn put_account(&self, account: &Account) -> StoreResult<()> {
        self.put(item(keys::account(&account.id), "account", account)?).await
    }
    async fn get_account(&self, id: &str) -> StoreResult<Option<Account>> {
        self.get(keys::account(id)).await
    }
    async fn put_user(&self, user: &User) -> StoreResult<()> {
        let mut it = item(keys::user(&user.id), "user", user)?;
        if let Some(account_id) = &user.account_id {
            it = with_index(it, keys::GSI1, keys::users_of_account(account_id), format!("USER#{}", user.id));
        }
        self.put(it).await
    }
    async fn get_user(&self, id: &str) -> StoreResult<Option<User>> {
        self.get(keys::user(id)).await
    }
    async fn list_users(&self, account_id: &str) -> StoreResult<Vec<User>> {
        Ok(sort_by_id(self.query_data(keys::GSI1, keys::users_of_account(account_id)).await?, |u: &User| &u.id))
    }
    async fn put_property(&self, property: &Property) -> StoreResult<()> {
        let mut it = item(keys::property(&property.id), "property", property)?;
        if let Some(account_id) = &property.account_id {
            it = with_index(it, keys::GSI1, keys::properties_of_account(account_id), format!("PROP#{}", property.id));
        }
        self.put(it).await
    }
    async fn get_property(&self, id: &str) -> StoreResult<Option<Property>> {
        self.get(keys::property(id)).await
    }
    async fn list_properties(&self, account_id: &str) -> StoreResult<Vec<Property>> {
        Ok(sort_by_id(self.query_data(keys::GSI1, keys::properties_of_account(account_id)).await?, |p: &Property| {
            &p.id
        }))
    }
    async fn put_chatbot(&self, chatbot: &Chatbot) -> StoreResult<()> {
        let mut it = item(keys::chatbot(&chatbot.id), "chatbot", chatbot)?;
        if let Some(account_id) = &chatbot.account_id {
            it = with_index(it, keys::GSI1, keys::chatbots_of_account(account_id), format!("BOT#{}", chatbot.id));
        }
        self.put(it).await
    }
    async fn get_chatbot(&self, id: &str) -> StoreResult<Option<Chatbot>> {
        self.get(keys::chatbot(id)).await
    }
    async fn list_chatbots(&self, account_id: &str) -> StoreResult<Vec<Chatbot>> {
        Ok(sort_by_id(self.query_data(keys::GSI1, keys::chatbots_of_account(account_id)).await?, |c: &Chatbot| &c.id))
    }

    async fn put_campaign(&self, campaign: &Campaign, expected_version: Option<u64>) -> StoreResult<()> {
        let mut it = item(keys::campaign(&campaign.id), "campaign", campaign)?;
        it.insert(keys::VERSION.into(), n(campaign.version));
        let it = with_index(
            it,
            keys::GSI1,
            keys::campaigns_of_account(&campaign.account_id),
            format!("CAMP#{}", campaign.id),
        );
        let mut it = with_index(
            it,
            keys::GSI2,
            keys::campaigns_of_property(&campaign.spec.property_id),
            format!("CAMP#{}", campaign.id),
        );
        // Sparse: only while the campaign waits for Meta (every put replaces the whole item).
        if campaign.awaits_meta_review() {
            it = with_index(it, keys::GSI3, keys::CAMPAIGNS_AWAITING_META.to_string(), format!("CAMP#{}", campaign.id));
        }
        self.put_versioned(it, expected_version, &format!("campaign {}", campaign.id)).await
    }
    async fn campaigns_awaiting_meta(&self) -> StoreResult<Vec<Campaign>> {
        let campaigns: Vec<Campaign> = self.query_data(keys::GSI3, keys::CAMPAIGNS_AWAITING_META.to_string()).await?;
        Ok(sort_by_id(campaigns, |c: &Campaign| &c.id))
    }
    async fn get_campaign(&self, id: &str) -> StoreResult<Option<Campaign>> {
        self.get(keys::campaign(id)).await
    }
    async fn list_campaigns(&self, account_id: &str) -> StoreResult<Vec<Campaign>> {
        Ok(sort_by_id(self.query_data(keys::GSI1, keys::campaigns_of_account(account_id)).await?, |c: &Campaign| &c.id))
    }
    async fn campaigns_of_property(&self, property_id: &str) -> StoreResult<Vec<Campaign>> {
        Ok(sort_by_id(self.query_data(keys::GSI2, keys::campaigns_of_property(property_id)).await?, |c: &Campaign| {
            &c.id
        }))
    }

    async fn get_reservation(&self, property_id: &str, id: &str) -> StoreResult<Option<ReservationRecord>> {
        self.get(keys::reservation(property_id, id)).await
    }
    async fn put_reservation(&self, record: &ReservationRecord, expected_version: Option<u64>) -> StoreResult<()> {
        let r = &record.reservation;
        let mut it = item(keys::reservation(&r.property_id, &r.id), "reservation", record)?;
        it.insert(keys::VERSION.into(), n(record.version));
        if let Some(unit_id) = &r.unit_id {
            it = with_index(
                it,
                keys::GSI1,
                keys::reservations_of_unit(&r.property_id, unit_id),
                format!("{}#{}", r.check_in, r.id),
            );
        }
        it = with_index(
            it,
            keys::GSI2,
            keys::reservations_by_check_out(&r.property_id),
            format!("{}#{}", r.check_out, r.id),
        );
        if let Some(email) = r.guest.email.as_deref().filter(|e| !e.is_empty()) {
            it =
                with_index(it, keys::GSI3, keys::reservations_of_email(&r.property_id, email), format!("RES#{}", r.id));
        }
        if let Some(phone) = r.guest.phone.as_deref().filter(|p| !p.is_empty()) {
            it =
                with_index(it, keys::GSI4, keys::reservations_of_phone(&r.property_id, phone), format!("RES#{}", r.id));
        }
        self.put_versioned(it, expected_version, &format!("reservation {}/{}", r.property_id, r.id)).await
    }
    async fn reservations_in_unit(&self, property_id: &str, unit_id: &str) -> StoreResult<Vec<Reservation>> {
        let records: Vec<ReservationRecord> =
            self.query_data(keys::GSI1, keys::reservations_of_unit(property_id, unit_id)).await?;
        Ok(sort_by_id(records.into_iter().map(|r| r.reservation).collect(), |r: &Reservation| &r.id))
    }
    async fn reservations_of_guest(
        &self,
        property_id: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> StoreResult<Vec<Reservation>> {
        let mut found: BTreeMap<String, Reservation> = BTreeMap::new();
        if let Some(email) = email.filter(|e| !e.is_empty()) {
            let records: Vec<ReservationRecord> =
                self.query_data(keys::GSI3, keys::reservations_of_email(property_id, email)).await?;
            for r in records {
                found.insert(r.reservation.id.clone(), r.reservation);
            }
        }
        if let Some(phone) = phone.filter(|p| !p.is_empty()) {
            let records: Vec<ReservationRecord> =
                self.query_data(keys::GSI4, keys::reservations_of_phone(property_id, phone)).await?;
            for r in records {
                found.insert(r.reservation.id.clone(), r.reservation);
            }
        }
        Ok(found.into_values().collect())
    }
    async fn reservations_checking_out_from(
        &self,
        property_id: &str,
        from: NaiveDate,
    ) -> StoreResult<Vec<ReservationRecord>> {
        let items = self
            .query(
                Some(keys::GSI2),
                keys::reservations_by_check_out(property_id),
                SortCondition::From(from.to_string()),
            )
            .await?;
        let records = items.into_iter().map(decode::<ReservationRecord>).collect::<StoreResult<Vec<_>>>()?;
        Ok(sort_by_id(records, |r: &ReservationRecord| &r.reservation.id))
    }

    async fn remember(&self, key: &str, now: DateTime<Utc>, expires: DateTime<Utc>) -> StoreResult<bool> {
        let (pk, sk) = keys::idempotency(key);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(pk))
            .item(keys::SK, s(sk))
            .item(keys::ENTITY, s("idempotency"))
            .item("expires_at", n(expires.timestamp_micros()))
            // DynamoDB deletes the record some time after this (epoch seconds); the condition
            // below is what makes an expired record count as absent before then.
            .item(keys::TTL, n(expires.timestamp() + 1))
            .condition_expression("attribute_not_exists(PK) OR expires_at < :now")
            .expression_attribute_values(":now", n(now.timestamp_micros()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_put(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn get_message(&self, id: &str) -> StoreResult<Option<Message>> {
        self.get(keys::message(id)).await
    }
    async fn create_message(&self, message: &Message) -> StoreResult<bool> {
        self.write_message(message, "attribute_not_exists(PK)", Vec::new()).await
    }
    async fn update_message(&self, message: &Message, expected_version: u64) -> StoreResult<()> {
        if message.version != expected_version.saturating_add(1) {
            return Err(StoreError::Conflict(format!(
                "message {} must carry version {} (has {})",
                message.id,
                expected_version.saturating_add(1),
                message.version
            )));
        }
        if self.write_message(message, "#v = :v", vec![(":v", n(expected_version))]).await? {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!("message {} changed", message.id)))
        }
    }
    async fn messages_of_reservation(&self, property_id: &str, reservation_id: &str) -> StoreResult<Vec<Message>> {
        let messages = self.query_data(keys::GSI1, keys::messages_of_reservation(property_id, reservation_id)).await?;
        Ok(sort_by_id(messages, |m: &Message| &m.id))
    }

    async fn due_messages(&self, until: DateTime<Utc>) -> StoreResult<Vec<Message>> {
        let now = self.clock.now();
        let below = keys::instant(until + Duration::nanoseconds(1));
        // Hour buckets from the floor to `until`, plus the already-due partitions.
        let floor = match self.due_floor().await? {
            Some(bucket) => keys::parse_bucket(&bucket),
            None => None,
        };
        let first = floor.unwrap_or_else(|| keys::hour_start(until.min(now) - Duration::hours(1)));
        let buckets = keys::buckets_between(first, until);
        let due_partitions: Vec<String> = buckets
            .iter()
            .flat_map(|b| (0..keys::DUE_SHARDS).map(move |shard| keys::due_partition(b, shard)))
            .collect();
        let open_partitions: Vec<String> = (0..keys::DUE_SHARDS).map(keys::open_partition).collect();
        let bucketed = self.query_due_partitions(keys::DUE, due_partitions, below.clone()).await?;
        let open = self.query_due_partitions(keys::OPEN, open_partitions, below).await?;

        // The floor may pass every bucket that ends an hour before now: what is still there
        // moves to OPEN first.
        let new_floor = keys::hour_start(until.min(now) - Duration::hours(1));
        let mut floor_ok = new_floor;
        let mut messages: BTreeMap<String, Message> = BTreeMap::new();
        for it in bucketed {
            let message: Message = decode(it)?;
            if !keys::is_due_tracked(message.state) || message.due_at > until {
                continue;
            }
            if message.state == MessageState::Scheduled
                && keys::hour_start(message.due_at) < new_floor
                && self.move_to_open(&message).await.is_err()
            {
                floor_ok = floor_ok.min(keys::hour_start(message.due_at));
            }
            messages.insert(message.id.clone(), message);
        }
        for it in open {
            let message: Message = decode(it)?;
            if keys::is_due_tracked(message.state) && message.due_at <= until {
                messages.insert(message.id.clone(), message);
            }
        }
        if floor.is_some_and(|f| f < floor_ok) {
            self.raise_due_floor(&keys::hour_bucket(floor_ok)).await?;
        }
        let mut out: Vec<Message> = messages.into_values().collect();
        out.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }
    async fn open_messages_of_campaign(&self, campaign_id: &str) -> StoreResult<Vec<Message>> {
        let messages: Vec<Message> = self.query_data(keys::GSI2, keys::open_messages_of_campaign(campaign_id)).await?;
        Ok(sort_by_id(messages.into_iter().filter(|m| m.state.is_open()).collect(), |m: &Message| &m.id))
    }
    async fn messages_of_campaign_due(
        &self,
        campaign_id: &str,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<Vec<Message>> {
        if until <= from {
            return Ok(Vec::new());
        }
        // Sort keys are `instant#id`: every key of a message due before `until` sorts below the
        // bare instant of `until`, and every key due at or after `from` above that of `from`.
        let range = SortCondition::Between(keys::instant(from), keys::instant(until));
        let items = self.query(Some(keys::GSI3), keys::messages_of_campaign(campaign_id), range).await?;
        let mut messages = items.into_iter().map(decode::<Message>).collect::<StoreResult<Vec<_>>>()?;
        messages.retain(|m| m.due_at >= from && m.due_at < until);
        messages.sort_by(|a, b| a.due_at.cmp(&b.due_at).then_with(|| a.id.cmp(&b.id)));
        Ok(messages)
    }
    async fn message_by_provider_id(&self, provider_message_id: &str) -> StoreResult<Option<Message>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(keys::provider_id(provider_message_id))))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        match out.item.as_ref().and_then(|i| string_attr(i, "message_id")) {
            Some(id) => self.get_message(&id).await,
            None => Ok(None),
        }
    }

    async fn set_opt_out(
        &self,
        channel: Channel,
        sender: Option<&str>,
        phone: &str,
        opted_out: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let (pk, sk) = keys::opt_out(channel, sender, phone);
        let Some(record) = relais_domain::opt_out::record_of_choice(sender.is_some(), opted_out) else {
            self.client
                .delete_item()
                .table_name(&self.table)
                .set_key(Some(key_map((pk, sk))))
                .send()
                .await
                .map_err(unavailable)?;
            return Ok(());
        };
        self.client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(pk))
            .item(keys::SK, s(sk))
            .item(keys::ENTITY, s("opt_out"))
            .item("channel", s(channel.as_str()))
            .item(OPTED_OUT, AttributeValue::Bool(record))
            .item("at", s(keys::instant(at)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
    async fn is_opted_out(&self, channel: Channel, sender: &str, phone: &str) -> StoreResult<bool> {
        Ok(self.opted_out_channels(phone, &[(channel, sender)]).await?.contains(&channel))
    }

    async fn opted_out_channels(
        &self,
        phone: &str,
        senders: &[(Channel, &str)],
    ) -> StoreResult<std::collections::BTreeSet<Channel>> {
        let mut wanted = Vec::new();
        for (channel, sender) in senders {
            for key in [keys::opt_out(*channel, Some(sender), phone), keys::opt_out(*channel, None, phone)] {
                if !wanted.contains(&key) {
                    wanted.push(key);
                }
            }
        }
        if wanted.is_empty() {
            return Ok(std::collections::BTreeSet::new());
        }
        let mut items = self.batch_get(wanted).await?;
        // Records from before opt-ins were kept have no flag: they opt out.
        let mut record = |key: (String, String)| {
            take_item(&mut items, &key).map(|item| !matches!(item.get(OPTED_OUT), Some(AttributeValue::Bool(false))))
        };
        let mut out = std::collections::BTreeSet::new();
        for (channel, sender) in senders {
            let own = record(keys::opt_out(*channel, Some(sender), phone));
            let sender_less = record(keys::opt_out(*channel, None, phone));
            if relais_domain::opt_out::opted_out_of_sender(own, sender_less) {
                out.insert(*channel);
            }
        }
        Ok(out)
    }

    async fn dispatch_reads(&self, message_id: &str, wanted: &DispatchKeys) -> StoreResult<DispatchReads> {
        let message = keys::message(message_id);
        let campaign = keys::campaign(&wanted.campaign_id);
        let property = keys::property(&wanted.property_id);
        let chatbot = keys::chatbot(&wanted.chatbot_id);
        let reservation = keys::reservation(&wanted.property_id, &wanted.reservation_id);
        let all = vec![message.clone(), campaign.clone(), property.clone(), chatbot.clone(), reservation.clone()];
        let mut items = self.batch_get(all).await?;
        let mut one = |key: &(String, String)| take_item(&mut items, key);
        Ok(DispatchReads {
            message: one(&message).map(decode).transpose()?,
            campaign: one(&campaign).map(decode).transpose()?,
            property: one(&property).map(decode).transpose()?,
            chatbot: one(&chatbot).map(decode).transpose()?,
            reservation: one(&reservation).map(decode).transpose()?,
        })
    }

    async fn get_watermark(&self, name: &str) -> StoreResult<Option<DateTime<Utc>>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_map(keys::watermark(name))))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item.as_ref().and_then(|i| string_attr(i, "at")).map(|at| parse_instant(&at)).transpose()
    }
    async fn advance_watermark(&self, name: &str, from: Option<DateTime<Utc>>, to: DateTime<Utc>) -> StoreResult<bool> {
        let (pk, sk) = keys::watermark(name);
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(pk))
            .item(keys::SK, s(sk))
            .item(keys::ENTITY, s("watermark"))
            .item("at", s(keys::instant(to)));
        let request = match from {
            None => request.condition_expression("attribute_not_exists(PK)"),
            Some(from) => request
                .condition_expression("#at = :from")
                .expression_attribute_names("#at", "at")
                .expression_attribute_values(":from", s(keys::instant(from))),
        };
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if is_conditional_put(&e) => Ok(false),
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn add_notification(&self, notification: &Notification) -> StoreResult<()> {
        self.put(item(
            keys::notification(&notification.user_id, notification.at, &notification.id),
            "notification",
            notification,
        )?)
        .await
    }
    async fn list_notifications(&self, user_id: &str) -> StoreResult<Vec<Notification>> {
        let (pk, _) = keys::user(user_id);
        let items = self.query(None, pk, SortCondition::Prefix(keys::NOTIF_PREFIX.into())).await?;
        items.into_iter().map(decode).collect()
    }
    async fn mark_notification_read(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let notifications = self.list_notifications(user_id).await?;
        let Some(mut notification) = notifications.into_iter().find(|n| n.id == id) else {
            return Ok(false);
        };
        notification.read = true;
        self.add_notification(&notification).await?;
        Ok(true)
    }
}
