//! Twilio Programmable Messaging (SMS).
//!
//! - Sending ([`ChannelSender`]): `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
//!   form-encoded `To`, `From` (or `MessagingServiceSid` when the sender is an `MG…` service),
//!   `Body`, `StatusCallback`; HTTP Basic auth `AccountSid:AuthToken`. Success is `201` with the
//!   message resource (`sid`); errors are `{"code", "message", "more_info", "status"}`.
//! - Callbacks: [`verify_twilio_signature`] (`X-Twilio-Signature`), [`parse_status_callback`],
//!   [`parse_inbound`] with the opt-out / opt-in keywords of `relais_domain::opt_out`.

use crate::errors::{ErrorClass, ParseError, redact, retry_after_seconds, transport_outcome};
use crate::ratelimit::{RateLimiter, wait_seconds};
use async_trait::async_trait;
use base64::Engine;
use hmac::{Hmac, Mac};
use relais_app::ports::{ChannelSender, SendOutcome, SendRequest};
pub use relais_domain::opt_out::{OptAction, opt_keyword};
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use std::collections::BTreeMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub const DEFAULT_API_BASE: &str = "https://api.twilio.com";

/// Client for one Twilio account; serves every chatbot's SMS sender.
#[derive(Clone)]
pub struct TwilioClient {
    pub api_base: String,
    pub account_sid: String,
    auth_token: String,
    pub http: reqwest::Client,
    /// Used when a [`SendRequest`] carries no `status_callback`.
    pub default_status_callback: Option<String>,
    limiter: Option<Arc<RateLimiter>>,
}

impl std::fmt::Debug for TwilioClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioClient")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("default_status_callback", &self.default_status_callback)
            .field("rate_limited", &self.limiter.is_some())
            .finish()
    }
}

impl TwilioClient {
    pub fn new(
        api_base: impl Into<String>,
        account_sid: impl Into<String>,
        auth_token: impl Into<String>,
        http: reqwest::Client,
    ) -> TwilioClient {
        TwilioClient {
            api_base: api_base.into().trim_end_matches('/').to_string(),
            account_sid: account_sid.into(),
            auth_token: auth_token.into(),
            http,
            default_status_callback: None,
            limiter: None,
        }
    }

    pub fn with_status_callback(mut self, url: impl Into<String>) -> TwilioClient {
        self.default_status_callback = Some(url.into());
        self
    }

    /// Consult `limiter` (keyed by sender; a message costs its segment count) before every send.
    pub fn with_rate_limiter(mut self, limiter: Arc<RateLimiter>) -> TwilioClient {
        self.limiter = Some(limiter);
        self
    }

    /// The auth token, to check `X-Twilio-Signature` on callbacks.
    pub fn auth_token(&self) -> &str {
        &self.auth_token
    }

    fn messages_url(&self) -> String {
        format!("{}/2010-04-01/Accounts/{}/Messages.json", self.api_base, self.account_sid)
    }

    /// The form fields of a send (public so tests and the outbox can show what goes out).
    pub fn form(&self, request: &SendRequest) -> Vec<(&'static str, String)> {
        let mut form = vec![("To", request.to.clone())];
        if is_messaging_service(&request.from) {
            form.push(("MessagingServiceSid", request.from.clone()));
        } else {
            form.push(("From", request.from.clone()));
        }
        form.push(("Body", request.body.clone()));
        if let Some(cb) = request.status_callback.as_ref().or(self.default_status_callback.as_ref()) {
            form.push(("StatusCallback", status_callback_with_key(cb, &request.key)));
        }
        form
    }
}

/// The status callback URL with our send key as `relais_key`, so that a status names our
/// message even when the send's own answer was lost (Twilio signs the URL with its query).
pub fn status_callback_with_key(callback: &str, key: &str) -> String {
    match reqwest::Url::parse(callback) {
        Ok(mut url) if !key.is_empty() => {
            url.query_pairs_mut().append_pair(SEND_KEY_PARAMETER, key);
            url.to_string()
        }
        _ => callback.to_string(),
    }
}

/// The query parameter of the status callback URL that carries our send key.
pub const SEND_KEY_PARAMETER: &str = "relais_key";

fn is_messaging_service(from: &str) -> bool {
    from.len() == 34 && from.starts_with("MG") && from.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_account_sid(sid: &str) -> bool {
    sid.len() == 34 && sid.starts_with("AC") && sid.chars().all(|c| c.is_ascii_alphanumeric())
}

#[async_trait]
impl ChannelSender for TwilioClient {
    /// The configured per-sender rate, enforced across dispatchers by the engine.
    fn max_per_second(&self, _sender: &str) -> Option<u32> {
        self.limiter.as_ref().map(|l| l.limit().per_second.ceil().max(1.0) as u32)
    }

    async fn send(&self, request: &SendRequest) -> SendOutcome {
        if !is_account_sid(&self.account_sid) {
            return SendOutcome::Rejected {
                code: "invalid_account".into(),
                detail: "Twilio account SID must be AC followed by 32 characters".into(),
                opted_out: false,
            };
        }
        if let Some(limiter) = &self.limiter {
            let cost = relais_domain::sms::segments(&request.body).segments.max(1) as f64;
            if let Err(wait) = limiter.try_acquire(&request.from, cost) {
                tracing::info!(provider = "twilio", code = "rate_limited_local", "send deferred");
                return SendOutcome::Transient {
                    code: "rate_limited_local".into(),
                    detail: "per-sender send rate reached".into(),
                    retry_after_seconds: Some(wait_seconds(wait)),
                };
            }
        }
        let response = self
            .http
            .post(self.messages_url())
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&self.form(request))
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => return transport_outcome(&e, "twilio"),
        };
        let status = response.status();
        let retry_after = retry_after_seconds(response.headers());
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => return transport_outcome(&e, "twilio"),
        };
        if status.is_success() {
            return match serde_json::from_str::<MessageResource>(&text).ok().map(|m| m.sid).filter(|s| !s.is_empty()) {
                Some(provider_message_id) => {
                    tracing::info!(provider = "twilio", outcome = "accepted", "message accepted");
                    SendOutcome::Accepted { provider_message_id }
                }
                None => {
                    tracing::warn!(provider = "twilio", http_status = status.as_u16(), "success without a sid");
                    SendOutcome::Transient {
                        code: "invalid_response".into(),
                        detail: "provider answered success without a message sid".into(),
                        retry_after_seconds: None,
                    }
                }
            };
        }
        let error = serde_json::from_str::<TwilioError>(&text).ok();
        let code = error.as_ref().and_then(|e| e.code);
        let class = classify_twilio_error(code, status.as_u16());
        let code_text = code.map(|c| c.to_string()).unwrap_or_else(|| format!("http_{}", status.as_u16()));
        let detail = redact(&error.and_then(|e| e.message).unwrap_or_else(|| format!("HTTP {}", status.as_u16())));
        tracing::warn!(provider = "twilio", code = %code_text, http_status = status.as_u16(), class = ?class, "send refused");
        match class {
            ErrorClass::Transient => {
                SendOutcome::Transient { code: code_text, detail, retry_after_seconds: retry_after }
            }
            ErrorClass::Permanent => SendOutcome::Rejected { code: code_text, detail, opted_out: false },
            ErrorClass::OptedOut => SendOutcome::Rejected { code: code_text, detail, opted_out: true },
        }
    }
}

#[derive(Deserialize)]
struct MessageResource {
    #[serde(default)]
    sid: String,
}

#[derive(Deserialize)]
struct TwilioError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

/// How a Twilio error code is handled: `code` from a synchronous error body or a status
/// callback's `ErrorCode`; `http_status` decides for unknown codes (pass 0 for callbacks).
pub fn classify_twilio_error(code: Option<i64>, http_status: u16) -> ErrorClass {
    match code {
        // The recipient replied STOP (or another opt-out keyword).
        Some(21610) => ErrorClass::OptedOut,
        // Too many concurrent requests, Twilio internal / unavailable, queue overflow;
        // unreachable handset and unknown error (callbacks): one or two delayed retries.
        Some(20429 | 20500 | 20503 | 30001 | 30003 | 30008) => ErrorClass::Transient,
        Some(
            // invalid To, From not valid / not SMS-capable, unverified (trial), body missing /
            // too long, To missing, region disabled, unreachable by SMS, not a mobile number,
            // auth failed, resource not found, carrier blocked, unknown / landline number,
            // filtered as spam, unregistered 10DLC.
            21211 | 21212 | 21606 | 21608 | 21602 | 21617 | 21604 | 21603 | 21408 | 21612 | 21614 | 21601 | 21659
            | 21660 | 20003 | 20404 | 30004 | 30005 | 30006 | 30007 | 30032 | 30034,
        ) => ErrorClass::Permanent,
        _ if http_status == 429 || http_status >= 500 => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

// ---------------------------------------------------------------- signatures

/// `X-Twilio-Signature` for a request to `url` with form `params`: base64 of HMAC-SHA1 keyed
/// with the auth token over the URL followed by each parameter name and value, names sorted.
pub fn twilio_signature(auth_token: &str, url: &str, params: &BTreeMap<String, String>) -> String {
    let mut data = String::from(url);
    for (k, v) in params {
        data.push_str(k);
        data.push_str(v);
    }
    match Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Whether `header` is Twilio's signature of a request to `full_url` (exactly as Twilio
/// requested it, query string included: `RELAIS_PUBLIC_URL` + route) with form `params`.
/// Accepts the URL with or without the scheme's default port, as Twilio's own validators do.
/// Constant-time. Params are single-valued here (status and inbound callbacks are).
pub fn verify_twilio_signature(
    auth_token: &str,
    full_url: &str,
    params: &BTreeMap<String, String>,
    header: Option<&str>,
) -> bool {
    if auth_token.is_empty() {
        return false;
    }
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else { return false };
    url_variants(full_url).iter().any(|url| {
        let expected = twilio_signature(auth_token, url, params);
        bool::from(expected.as_bytes().ct_eq(header.as_bytes()))
    })
}

/// The URL as given, plus the same URL with the default port removed (if present) or added.
fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else { return variants };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    let (host, port) = split_port(hostport);
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => Some("443"),
        "http" => Some("80"),
        _ => None,
    };
    match (port, default_port) {
        (Some(_), _) => variants.push(format!("{scheme}://{userinfo}{host}{tail}")),
        (None, Some(d)) => variants.push(format!("{scheme}://{userinfo}{host}:{d}{tail}")),
        (None, None) => {}
    }
    variants
}

fn split_port(hostport: &str) -> (&str, Option<&str>) {
    let candidate = if hostport.starts_with('[') { hostport.rfind("]:").map(|i| i + 1) } else { hostport.rfind(':') };
    match candidate {
        Some(i) if i + 1 < hostport.len() && hostport[i + 1..].chars().all(|c| c.is_ascii_digit()) => {
            (&hostport[..i], Some(&hostport[i + 1..]))
        }
        _ => (hostport, None),
    }
}

/// Decode an `application/x-www-form-urlencoded` body (a repeated name keeps its last value).
pub fn parse_form(body: &[u8]) -> BTreeMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

// ---------------------------------------------------------------- callbacks

/// Message statuses of the Twilio Message resource.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TwilioMessageStatus {
    Queued,
    Sending,
    Sent,
    Failed,
    Delivered,
    Undelivered,
    Receiving,
    Received,
    Accepted,
    Scheduled,
    Read,
    PartiallyDelivered,
    Canceled,
    /// A status Twilio added later: no state change.
    Other(String),
}

impl TwilioMessageStatus {
    pub fn parse(s: &str) -> TwilioMessageStatus {
        use TwilioMessageStatus::*;
        match s.trim().to_ascii_lowercase().as_str() {
            "queued" => Queued,
            "sending" => Sending,
            "sent" => Sent,
            "failed" => Failed,
            "delivered" => Delivered,
            "undelivered" => Undelivered,
            "receiving" => Receiving,
            "received" => Received,
            "accepted" => Accepted,
            "scheduled" => Scheduled,
            "read" => Read,
            "partially_delivered" => PartiallyDelivered,
            "canceled" => Canceled,
            other => Other(other.to_string()),
        }
    }
}

/// A status callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwilioStatus {
    pub message_sid: String,
    pub status: TwilioMessageStatus,
    /// `ErrorCode` on `failed` / `undelivered` (classify with [`classify_twilio_error`]).
    pub error_code: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
}

/// Parse a status callback's form parameters (`MessageSid`/`SmsSid`, `MessageStatus`/`SmsStatus`,
/// `ErrorCode`). Verify the signature first.
pub fn parse_status_callback(form: &BTreeMap<String, String>) -> Result<TwilioStatus, ParseError> {
    let get = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let message_sid = get("MessageSid").or_else(|| get("SmsSid")).ok_or_else(|| ParseError::missing("MessageSid"))?;
    let status =
        get("MessageStatus").or_else(|| get("SmsStatus")).ok_or_else(|| ParseError::missing("MessageStatus"))?;
    Ok(TwilioStatus {
        message_sid,
        status: TwilioMessageStatus::parse(&status),
        error_code: get("ErrorCode"),
        to: get("To"),
        from: get("From"),
    })
}

/// An inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwilioInbound {
    pub message_sid: Option<String>,
    /// The guest (E.164).
    pub from: String,
    /// Our number.
    pub to: Option<String>,
    /// The sender it came to, as a chatbot names it: the Messaging Service (`MG…`) when the
    /// number belongs to one, else our number. Opt-outs are keyed by it.
    pub sender: Option<String>,
    pub body: String,
    pub opt: Option<OptAction>,
}

/// Parse an inbound SMS webhook's form (`From`, `To`, `Body`, `MessageSid`). With a Messaging
/// Service using Advanced Opt-Out, Twilio says which keyword matched in `OptOutType`
/// (`STOP` / `START` / `HELP`), which then wins over our keyword list (custom keywords).
pub fn parse_inbound(form: &BTreeMap<String, String>) -> Result<TwilioInbound, ParseError> {
    let get = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_string);
    let from = get("From").ok_or_else(|| ParseError::missing("From"))?;
    let body = form.get("Body").cloned().unwrap_or_default();
    let opt = match get("OptOutType").map(|t| t.to_ascii_uppercase()).as_deref() {
        Some("STOP") => Some(OptAction::OptOut),
        Some("START") => Some(OptAction::OptIn),
        Some(_) => None,
        None => opt_keyword(&body),
    };
    Ok(TwilioInbound {
        message_sid: get("MessageSid").or_else(|| get("SmsSid")),
        from,
        to: get("To"),
        sender: get("MessagingServiceSid").or_else(|| get("To")),
        body,
        opt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_variants_add_or_remove_default_port() {
        assert_eq!(
            url_variants("https://relais.example.com/webhooks/twilio/status?x=1"),
            vec![
                "https://relais.example.com/webhooks/twilio/status?x=1".to_string(),
                "https://relais.example.com:443/webhooks/twilio/status?x=1".to_string()
            ]
        );
        assert_eq!(
            url_variants("https://relais.example.com:443/a"),
            vec!["https://relais.example.com:443/a".to_string(), "https://relais.example.com/a".to_string()]
        );
        assert_eq!(url_variants("http://[::1]:8080/a")[1], "http://[::1]/a");
        assert_eq!(url_variants("not a url"), vec!["not a url".to_string()]);
    }

    #[test]
    fn classification_table() {
        use ErrorClass::*;
        for (code, class) in [
            (21610, OptedOut),
            (21211, Permanent),
            (21408, Permanent),
            (21612, Permanent),
            (21614, Permanent),
            (30005, Permanent),
            (30006, Permanent),
            (30007, Permanent),
            (20429, Transient),
            (30003, Transient),
            (30008, Transient),
        ] {
            assert_eq!(classify_twilio_error(Some(code), 400), class, "code {code}");
        }
        assert_eq!(classify_twilio_error(None, 429), Transient);
        assert_eq!(classify_twilio_error(None, 500), Transient);
        assert_eq!(classify_twilio_error(Some(12345), 400), Permanent);
    }

    #[test]
    fn status_parse() {
        let mut f = BTreeMap::new();
        f.insert("SmsSid".to_string(), "SM1".to_string());
        f.insert("SmsStatus".to_string(), "undelivered".to_string());
        f.insert("ErrorCode".to_string(), "30003".to_string());
        let s = parse_status_callback(&f).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.message_sid, "SM1");
        assert_eq!(s.status, TwilioMessageStatus::Undelivered);
        assert_eq!(s.error_code.as_deref(), Some("30003"));
        assert!(parse_status_callback(&BTreeMap::new()).is_err());
        f.insert("MessageStatus".to_string(), "something_new".to_string());
        assert_eq!(parse_status_callback(&f).map(|s| s.status), Ok(TwilioMessageStatus::Other("something_new".into())));
    }
}
