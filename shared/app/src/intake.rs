//! `POST /webhooks/pms/{pms}/{property_id}` (SPEC 4): authenticate, normalise, store the
//! reservation with its status transitions, and emit `ReservationChanged` once per real change.
//! One handler for every host (API Gateway Lambda, local runner, simulator).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use relais_domain::intake::{
    MAX_BODY_BYTES, SIGNATURE_HEADER, TIMESTAMP_HEADER, check_reservation, parse_canonical, verify_signature,
};
use relais_domain::{Property, Reservation, ReservationStatus, Transition};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::App;
use crate::ports::{InboundRequest, ReservationChanged, ReservationRecord, StoreError, VendorError};

/// How many recent event ids a reservation remembers (duplicate deliveries).
const REMEMBERED_EVENT_IDS: usize = 32;
/// Conditional-write retries before answering 503 (the PMS retries later).
const WRITE_ATTEMPTS: usize = 4;

/// An HTTP answer, whatever carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpReply {
    pub status: u16,
    pub body: serde_json::Value,
}

impl HttpReply {
    pub fn ok(body: serde_json::Value) -> HttpReply {
        HttpReply { status: 200, body }
    }
    /// The SPEC's error shape: `{"error": {"code", "message", "field"}}`.
    pub fn error(status: u16, code: &str, message: impl Into<String>, field: Option<&str>) -> HttpReply {
        let mut error = json!({"code": code, "message": message.into()});
        if let Some(field) = field {
            error["field"] = json!(field);
        }
        HttpReply { status, body: json!({ "error": error }) }
    }
}

/// What storing one reservation change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    Stored,
    Duplicate,
    Stale,
}

impl IngestOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            IngestOutcome::Stored => "stored",
            IngestOutcome::Duplicate => "duplicate",
            IngestOutcome::Stale => "stale",
        }
    }
}

/// The secrets a property accepts right now (two during a rotation).
pub fn valid_secrets(property: &Property, now: DateTime<Utc>) -> Vec<&str> {
    let mut secrets: Vec<&str> = property.webhook_secret.as_deref().into_iter().collect();
    if let Some(previous) = &property.previous_webhook_secret
        && previous.valid_until > now
    {
        secrets.push(&previous.secret);
    }
    secrets
}

pub async fn handle_pms_webhook(app: &App, pms: &str, property_id: &str, request: &InboundRequest) -> HttpReply {
    let now = app.clock.now();
    if request.body.len() > MAX_BODY_BYTES {
        return HttpReply::error(413, "payload_too_large", "the body is larger than 256 KiB", None);
    }
    let cache = app.config.property_cache.as_deref();
    if let Some(property) = cache.and_then(|c| c.get(property_id, now)) {
        let reply = handle_for_property(app, pms, property, request, now).await;
        // A cached property only ever accepts: a refusal may come from secrets changed since,
        // so it is decided again on the stored property.
        if reply.status != 401 {
            return reply;
        }
    }
    let property = match app.store.get_property(property_id).await {
        Ok(Some(property)) => property,
        Ok(None) => return HttpReply::error(404, "not_found", "unknown property", Some("property_id")),
        Err(e) => return unavailable(&e),
    };
    if let Some(cache) = cache {
        cache.put(&property, now);
    }
    handle_for_property(app, pms, property, request, now).await
}

/// Properties the webhook intake read recently, kept for a short while (the pms-webhook
/// function, warm, reads a property once a minute instead of once a webhook). Safe: a cached
/// property is only trusted to accept a webhook, and a rotated secret stays valid for 24 hours.
#[derive(Debug)]
pub struct PropertyCache {
    ttl: chrono::Duration,
    entries: std::sync::Mutex<std::collections::HashMap<String, (DateTime<Utc>, Property)>>,
}

impl PropertyCache {
    /// Most properties a cache holds: a function serves few, and memory stays bounded.
    const CAPACITY: usize = 1024;

    pub fn new(ttl_seconds: i64) -> PropertyCache {
        PropertyCache { ttl: chrono::Duration::seconds(ttl_seconds), entries: Default::default() }
    }
    fn get(&self, id: &str, now: DateTime<Utc>) -> Option<Property> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(id).filter(|(read_at, _)| now - *read_at < self.ttl && *read_at <= now).map(|(_, p)| p.clone())
    }
    fn put(&self, property: &Property, now: DateTime<Utc>) {
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= PropertyCache::CAPACITY {
            entries.clear();
        }
        entries.insert(property.id.clone(), (now, property.clone()));
    }
}

async fn handle_for_property(
    app: &App,
    pms: &str,
    property: Property,
    request: &InboundRequest,
    now: DateTime<Utc>,
) -> HttpReply {
    let property_id = property.id.as_str();
    let events: Vec<(String, Reservation)> = if pms == "canonical" {
        let secrets = valid_secrets(&property, now);
        if let Err(e) = verify_signature(
            &secrets,
            request.header(TIMESTAMP_HEADER),
            request.header(SIGNATURE_HEADER),
            &request.body,
            now,
        ) {
            tracing::info!(property_id, reason = %e, "webhook refused: signature");
            return HttpReply::error(401, "unauthorized", e.to_string(), None);
        }
        match parse_canonical(&request.body) {
            Ok(event) => vec![(event.event_id, event.reservation)],
            Err(e) => return HttpReply::error(400, "invalid_payload", e.message, Some(&e.field)),
        }
    } else {
        let Some(vendors) = app.vendors.as_ref().filter(|v| v.supports(pms)) else {
            return HttpReply::error(404, "not_found", format!("no webhook adapter for PMS '{pms}'"), Some("pms"));
        };
        if property.pms != pms {
            return HttpReply::error(
                404,
                "not_found",
                format!("this property is connected to '{}', not '{pms}'", property.pms),
                Some("pms"),
            );
        }
        match vendors.to_canonical(pms, &property, request).await {
            Ok(events) => events.into_iter().map(|e| (e.event_id, e.reservation)).collect(),
            Err(VendorError::Unauthorized(m)) => return HttpReply::error(401, "unauthorized", m, None),
            Err(VendorError::BadPayload { field, message }) => {
                return HttpReply::error(400, "invalid_payload", message, Some(&field));
            }
            Err(VendorError::Unavailable(m)) => {
                tracing::warn!(property_id, pms, error = %m, "vendor API unavailable");
                return HttpReply::error(503, "vendor_unavailable", "the PMS API did not answer; retry later", None);
            }
            Err(VendorError::Ignored(m)) => return HttpReply::ok(json!({"result": "ignored", "detail": m})),
            Err(VendorError::Deleted { event_id, reservation_id }) => {
                return match cancel_deleted(app, &property, &event_id, &reservation_id, now).await {
                    Ok(reply) => reply,
                    Err(e) => unavailable(&e),
                };
            }
        }
    };
    // Check everything before storing anything: a batch is all-or-nothing at validation.
    for (_, reservation) in &events {
        if reservation.property_id != property.id {
            return HttpReply::error(
                400,
                "invalid_payload",
                "does not match the property in the URL",
                Some("reservation.property_id"),
            );
        }
        if let Err(e) = check_reservation(reservation, "reservation.") {
            return HttpReply::error(400, "invalid_payload", e.message, Some(&e.field));
        }
    }
    let mut results = Vec::new();
    for (event_id, reservation) in events {
        match ingest(app, &event_id, reservation, now).await {
            Ok((outcome, id)) => results.push(json!({"reservation_id": id, "result": outcome.as_str()})),
            Err(e) => return unavailable(&e),
        }
    }
    match results.len() {
        1 => HttpReply::ok(results.remove(0)),
        _ => HttpReply::ok(json!({ "results": results })),
    }
}

/// A booking deleted in the PMS, which no longer gives its data: the reservation stored under
/// that id becomes `canceled` through the normal intake path (transition, messages canceled).
async fn cancel_deleted(
    app: &App,
    property: &Property,
    event_id: &str,
    reservation_id: &str,
    now: DateTime<Utc>,
) -> Result<HttpReply, StoreError> {
    let Some(record) = app.store.get_reservation(&property.id, reservation_id).await? else {
        return Ok(HttpReply::ok(json!({
            "reservation_id": reservation_id,
            "result": "ignored",
            "detail": "deleted in the PMS before Relais knew it"
        })));
    };
    let mut reservation = record.reservation;
    if reservation.status != ReservationStatus::Canceled {
        reservation.status = ReservationStatus::Canceled;
        reservation.updated_at = reservation.updated_at.max(now);
    }
    let (outcome, id) = ingest(app, event_id, reservation, now).await?;
    Ok(HttpReply::ok(json!({"reservation_id": id, "result": outcome.as_str()})))
}

fn unavailable(e: &StoreError) -> HttpReply {
    tracing::error!(error = %e, "store unavailable during intake");
    HttpReply::error(503, "unavailable", "temporarily unavailable; retry later", None)
}

fn content_hash(reservation: &Reservation) -> String {
    let bytes = serde_json::to_vec(reservation).unwrap_or_default();
    hex::encode(Sha256::digest(bytes))
}

/// Store one reservation change: ignore stale and duplicate deliveries, record the status
/// transition, and publish `ReservationChanged` exactly for real changes. Safe to retry: a
/// change stored but not yet published is published by the retry.
pub async fn ingest(
    app: &App,
    event_id: &str,
    reservation: Reservation,
    now: DateTime<Utc>,
) -> Result<(IngestOutcome, String), StoreError> {
    let id = reservation.id.clone();
    for _ in 0..WRITE_ATTEMPTS {
        let existing = app.store.get_reservation(&reservation.property_id, &reservation.id).await?;
        let (record, expected) = match existing {
            Some(mut record) => {
                let same_content = content_hash(&record.reservation) == content_hash(&reservation);
                if record.event_ids.iter().any(|e| e == event_id) || same_content {
                    if let Some(event) = record.unpublished.clone() {
                        publish_and_clear(app, record, event).await?;
                    }
                    return Ok((IngestOutcome::Duplicate, id));
                }
                if reservation.updated_at < record.reservation.updated_at {
                    return Ok((IngestOutcome::Stale, id));
                }
                let expected = record.version;
                let transition = (record.reservation.status != reservation.status).then(|| Transition {
                    seq: record.transitions.len() as u32 + 1,
                    from: Some(record.reservation.status),
                    to: reservation.status,
                    at: now,
                });
                // Confirmation instant: the first one, or the one that reinstates a canceled
                // reservation (relative campaigns anchored on confirmation count from it).
                let reinstated = record.reservation.status == ReservationStatus::Canceled
                    && reservation.status != ReservationStatus::Canceled;
                if reservation.status != ReservationStatus::Canceled && (record.confirmed_at.is_none() || reinstated) {
                    record.confirmed_at = Some(now);
                }
                record.transitions.extend(transition.clone());
                record.reservation = reservation.clone();
                record.version += 1;
                record.unpublished = Some(changed(&reservation, transition, now));
                remember_event(&mut record.event_ids, event_id);
                (record, Some(expected))
            }
            None => {
                let transition = Transition { seq: 1, from: None, to: reservation.status, at: now };
                let mut record = ReservationRecord {
                    confirmed_at: (reservation.status != ReservationStatus::Canceled).then_some(now),
                    transitions: vec![transition.clone()],
                    unpublished: Some(changed(&reservation, Some(transition), now)),
                    reservation: reservation.clone(),
                    version: 1,
                    event_ids: Vec::new(),
                    operator_custom_fields: BTreeMap::new(),
                    events: Vec::new(),
                };
                remember_event(&mut record.event_ids, event_id);
                (record, None)
            }
        };
        match app.store.put_reservation(&record, expected).await {
            Ok(()) => {
                let event = record.unpublished.clone();
                if let Some(event) = event {
                    publish_and_clear(app, record, event).await?;
                }
                tracing::info!(property_id = %reservation.property_id, reservation_id = %id, "reservation stored");
                return Ok((IngestOutcome::Stored, id));
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Unavailable("too many concurrent updates of one reservation".into()))
}

fn changed(reservation: &Reservation, transition: Option<Transition>, now: DateTime<Utc>) -> ReservationChanged {
    ReservationChanged {
        property_id: reservation.property_id.clone(),
        reservation_id: reservation.id.clone(),
        at: now,
        transition,
    }
}

fn remember_event(event_ids: &mut Vec<String>, event_id: &str) {
    event_ids.push(event_id.to_string());
    if event_ids.len() > REMEMBERED_EVENT_IDS {
        let excess = event_ids.len() - REMEMBERED_EVENT_IDS;
        event_ids.drain(..excess);
    }
}

async fn publish_and_clear(
    app: &App,
    mut record: ReservationRecord,
    event: ReservationChanged,
) -> Result<(), StoreError> {
    app.bus.publish(&event).await.map_err(StoreError::Unavailable)?;
    let expected = record.version;
    record.unpublished = None;
    record.version += 1;
    match app.store.put_reservation(&record, Some(expected)).await {
        // A newer change landed meanwhile; it carries its own event.
        Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
        Err(e) => Err(e),
    }
}
