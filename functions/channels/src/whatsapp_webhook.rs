//! WhatsApp webhooks (`GET` / `POST /webhooks/whatsapp`).
//!
//! - `GET ?hub.mode=subscribe&hub.challenge=X&hub.verify_token=T`: answer 200 with `X` when
//!   `T` is our verify token ([`verification_challenge`]), else 403.
//! - `POST`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`
//!   ([`verify_signature`]; 401 when it fails, before parsing anything), then
//!   [`parse_webhook`]: one POST may batch several entries and changes. Meta retries for days and
//!   may reorder: callers dedupe and apply [`should_apply`](crate::status::should_apply).

use crate::errors::ParseError;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// Whether `header` (the `X-Hub-Signature-256` value) signs `body` with `app_secret`.
/// Constant-time; `false` for a missing or malformed header or an empty secret.
pub fn verify_signature(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    if app_secret.is_empty() {
        return false;
    }
    let Some(header) = header else { return false };
    let header = header.trim();
    let Some(hex_sig) = header.strip_prefix("sha256=").or_else(|| header.strip_prefix("SHA256=")) else {
        return false;
    };
    let Ok(signature) = hex::decode(hex_sig) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

/// `X-Hub-Signature-256` value for `body` (tests, the local simulator).
pub fn sign(app_secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// The body to answer a verification request with, or `None` (answer 403). `query` holds the
/// decoded query parameters (`hub.mode`, `hub.verify_token`, `hub.challenge`).
pub fn verification_challenge(query: &BTreeMap<String, String>, verify_token: &str) -> Option<String> {
    if verify_token.is_empty() {
        return None;
    }
    if query.get("hub.mode").map(String::as_str) != Some("subscribe") {
        return None;
    }
    let token = query.get("hub.verify_token")?;
    if !bool::from(token.as_bytes().ct_eq(verify_token.as_bytes())) {
        return None;
    }
    query.get("hub.challenge").cloned()
}

/// A delivery status as WhatsApp reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WhatsAppStatus {
    Sent,
    Delivered,
    Read,
    Failed,
    /// Anything else (e.g. `deleted`, `played`): no state change.
    Other(String),
}

impl WhatsAppStatus {
    fn parse(s: &str) -> WhatsAppStatus {
        match s {
            "sent" => WhatsAppStatus::Sent,
            "delivered" => WhatsAppStatus::Delivered,
            "read" => WhatsAppStatus::Read,
            "failed" => WhatsAppStatus::Failed,
            other => WhatsAppStatus::Other(other.to_string()),
        }
    }
}

/// One thing a WhatsApp webhook tells us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WhatsAppWebhookEvent {
    /// `statuses[]` of a `messages` change.
    Status {
        /// The business number the message went from (`metadata.phone_number_id`).
        phone_number_id: Option<String>,
        /// wamid of the message we sent.
        provider_message_id: String,
        status: WhatsAppStatus,
        /// Unix seconds.
        timestamp: Option<i64>,
        /// WhatsApp id of the guest (digits).
        recipient: String,
        /// First error's code on `failed` (classify with
        /// [`classify_whatsapp_error`](crate::whatsapp::classify_whatsapp_error)).
        error_code: Option<String>,
        error_title: Option<String>,
        /// `biz_opaque_callback_data`: the send's key we gave Meta (`SendRequest::key`), so a
        /// status names our message even when the send's own answer was lost.
        send_key: Option<String>,
    },
    /// `messages[]` of a `messages` change: the guest wrote to the business.
    Inbound {
        phone_number_id: Option<String>,
        message_id: String,
        /// WhatsApp id of the guest (digits).
        from: String,
        /// Text of a text message, the title of a tapped button; `None` for media etc.
        text: Option<String>,
        /// Quick-reply payload (`button.payload`) or interactive reply id.
        button_payload: Option<String>,
        timestamp: Option<i64>,
    },
    /// A `message_template_status_update` change.
    TemplateStatus {
        waba_id: String,
        template_id: Option<String>,
        template_name: String,
        /// Meta's language code (`en`, `pt_PT`, ...).
        language: String,
        /// `APPROVED`, `REJECTED`, `PENDING`, `PAUSED`, `DISABLED`, `FLAGGED`, ...
        event: String,
        /// Meta's reason (`INVALID_FORMAT`, `PROMOTIONAL`, ...); `None` when `NONE`.
        reason: Option<String>,
    },
    /// A `user_preferences` change: the guest stopped (`opted_out`) or resumed marketing
    /// messages from this business.
    UserPreference {
        /// Our number the preference is about (`metadata.phone_number_id`).
        phone_number_id: Option<String>,
        wa_id: String,
        category: String,
        opted_out: bool,
        timestamp: Option<i64>,
    },
    /// `value.errors[]`: an error not tied to one message.
    Error { code: String, title: Option<String> },
}

/// Parse a verified `POST /webhooks/whatsapp` body. Unknown change fields and message types are
/// skipped; a body that is not a WhatsApp Business Account notification is an error.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<WhatsAppWebhookEvent>, ParseError> {
    let envelope: Envelope = relais_domain::document::parse(body).map_err(|e| ParseError::Malformed(e.to_string()))?;
    if envelope.object != "whatsapp_business_account" {
        return Err(ParseError::Field { field: "object".into(), message: "is not whatsapp_business_account".into() });
    }
    let mut events = Vec::new();
    for entry in envelope.entry {
        for change in entry.changes {
            match change.field.as_str() {
                "messages" => messages_change(change.value, &mut events)?,
                "message_template_status_update" => {
                    let v: TemplateStatusValue = serde_json::from_value(change.value)
                        .map_err(|e| ParseError::Field { field: "value".into(), message: e.to_string() })?;
                    let reason = v
                        .reason
                        .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("NONE"))
                        .or_else(|| v.rejection_info.and_then(|i| i.reason))
                        .filter(|r| !r.eq_ignore_ascii_case("NONE"));
                    events.push(WhatsAppWebhookEvent::TemplateStatus {
                        waba_id: entry.id.clone(),
                        template_id: v.message_template_id.map(|id| id_string(&id)),
                        template_name: v.message_template_name,
                        language: v.message_template_language,
                        event: v.event,
                        reason,
                    });
                }
                "user_preferences" => {
                    let v: PreferencesValue = serde_json::from_value(change.value)
                        .map_err(|e| ParseError::Field { field: "value".into(), message: e.to_string() })?;
                    for p in v.user_preferences {
                        let opted_out = match p.value.as_str() {
                            "stop" => true,
                            "resume" => false,
                            _ => continue,
                        };
                        events.push(WhatsAppWebhookEvent::UserPreference {
                            phone_number_id: v.metadata.as_ref().and_then(|m| m.phone_number_id.clone()),
                            wa_id: p.wa_id,
                            category: p.category,
                            opted_out,
                            timestamp: p.timestamp.as_ref().and_then(unix),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    Ok(events)
}

fn messages_change(value: serde_json::Value, events: &mut Vec<WhatsAppWebhookEvent>) -> Result<(), ParseError> {
    let v: MessagesValue = serde_json::from_value(value)
        .map_err(|e| ParseError::Field { field: "value".into(), message: e.to_string() })?;
    let phone_number_id = v.metadata.and_then(|m| m.phone_number_id);
    for s in v.statuses {
        if s.id.is_empty() {
            return Err(ParseError::missing("statuses[].id"));
        }
        let first = s.errors.into_iter().next();
        events.push(WhatsAppWebhookEvent::Status {
            phone_number_id: phone_number_id.clone(),
            provider_message_id: s.id,
            status: WhatsAppStatus::parse(&s.status),
            timestamp: s.timestamp.as_ref().and_then(unix),
            recipient: s.recipient_id,
            error_code: first.as_ref().and_then(|e| e.code.as_ref()).map(id_string),
            error_title: first.and_then(|e| e.title.or(e.message)),
            send_key: s.biz_opaque_callback_data.filter(|k| !k.is_empty()),
        });
    }
    for m in v.messages {
        if m.from.is_empty() {
            return Err(ParseError::missing("messages[].from"));
        }
        let (text, button_payload) = match m.kind.as_str() {
            "text" => (m.text.map(|t| t.body), None),
            "button" => match m.button {
                Some(b) => (b.text, b.payload),
                None => (None, None),
            },
            "interactive" => match m.interactive {
                Some(i) => match i.button_reply.or(i.list_reply) {
                    Some(r) => (r.title, r.id),
                    None => (None, None),
                },
                None => (None, None),
            },
            _ => (None, None),
        };
        events.push(WhatsAppWebhookEvent::Inbound {
            phone_number_id: phone_number_id.clone(),
            message_id: m.id,
            from: m.from,
            text,
            button_payload,
            timestamp: m.timestamp.as_ref().and_then(unix),
        });
    }
    for e in v.errors {
        events.push(WhatsAppWebhookEvent::Error {
            code: e.code.as_ref().map(id_string).unwrap_or_default(),
            title: e.title.or(e.message),
        });
    }
    Ok(())
}

/// Ids and codes come as numbers or strings depending on the field; keep them as strings.
fn id_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn unix(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::String(s) => s.parse().ok(),
        serde_json::Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default, deserialize_with = "string_or_number")]
    id: String,
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: serde_json::Value,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(id_string(&v))
}

#[derive(Deserialize)]
struct MessagesValue {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    statuses: Vec<StatusItem>,
    #[serde(default)]
    messages: Vec<MessageItem>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: Option<String>,
}

#[derive(Deserialize)]
struct StatusItem {
    #[serde(default)]
    id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    #[serde(default)]
    recipient_id: String,
    #[serde(default)]
    biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct MessageItem {
    #[serde(default)]
    id: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<TextBody>,
    #[serde(default)]
    button: Option<ButtonBody>,
    #[serde(default)]
    interactive: Option<InteractiveBody>,
}

#[derive(Deserialize)]
struct TextBody {
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct ButtonBody {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    payload: Option<String>,
}

#[derive(Deserialize)]
struct InteractiveBody {
    #[serde(default)]
    button_reply: Option<Reply>,
    #[serde(default)]
    list_reply: Option<Reply>,
}

#[derive(Deserialize)]
struct Reply {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize)]
struct TemplateStatusValue {
    #[serde(default)]
    event: String,
    #[serde(default)]
    message_template_id: Option<serde_json::Value>,
    #[serde(default)]
    message_template_name: String,
    #[serde(default)]
    message_template_language: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    rejection_info: Option<RejectionInfo>,
}

#[derive(Deserialize)]
struct RejectionInfo {
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct PreferencesValue {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    user_preferences: Vec<PreferenceItem>,
}

#[derive(Deserialize)]
struct PreferenceItem {
    #[serde(default)]
    wa_id: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    timestamp: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_roundtrip() {
        let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let sig = sign("secret", body);
        assert!(verify_signature("secret", body, Some(&sig)));
        assert!(verify_signature("secret", body, Some(&sig.to_uppercase().replace("SHA256=", "sha256="))));
        assert!(!verify_signature("other", body, Some(&sig)));
        assert!(!verify_signature("secret", b"{}", Some(&sig)));
        assert!(!verify_signature("secret", body, None));
        assert!(!verify_signature("secret", body, Some("sha256=zz")));
        assert!(!verify_signature("secret", body, Some(sig.trim_start_matches("sha256="))));
        assert!(!verify_signature("", body, Some(&sign("", body))));
    }

    #[test]
    fn challenge() {
        let mut q = BTreeMap::new();
        q.insert("hub.mode".to_string(), "subscribe".to_string());
        q.insert("hub.verify_token".to_string(), "tok".to_string());
        q.insert("hub.challenge".to_string(), "1158201444".to_string());
        assert_eq!(verification_challenge(&q, "tok").as_deref(), Some("1158201444"));
        assert_eq!(verification_challenge(&q, "other"), None);
        assert_eq!(verification_challenge(&q, ""), None);
        q.insert("hub.mode".to_string(), "unsubscribe".to_string());
        assert_eq!(verification_challenge(&q, "tok"), None);
    }

    #[test]
    fn rejects_other_objects_and_garbage() {
        assert!(parse_webhook(b"not json").is_err());
        assert!(parse_webhook(br#"{"object":"page","entry":[]}"#).is_err());
        assert_eq!(parse_webhook(br#"{"object":"whatsapp_business_account","entry":[]}"#), Ok(vec![]));
    }
}
