//! WhatsApp Business Platform Cloud API client.
//!
//! - Sending ([`ChannelSender`]): `POST {base}/{version}/{phone_number_id}/messages` with
//!   `Authorization: Bearer <token>`. With `SendRequest.template_name` set, a template message
//!   (`type: "template"`, language from [`whatsapp_language`], one `body` component with the
//!   rendered parameters in order). Without a template name, a plain `type: "text"` message: Meta
//!   accepts that only inside the 24-hour customer-service window (the guest wrote to the number
//!   in the last 24 h); outside it the send fails with 131047, classified permanent. Business-
//!   initiated campaign messages must therefore always carry a template name.
//! - Template registration (WhatsApp Business Management API): `POST {base}/{version}/{waba_id}/
//!   message_templates`, plus [`find_template`](WhatsAppClient::find_template) and
//!   [`template_status`](WhatsAppClient::template_status) for polling.
//! - Errors: Graph error envelope `{"error": {"code", "message", "error_data": {"details"}}}`,
//!   classified by `code` ([`classify_whatsapp_error`]), falling back on the HTTP status.

use crate::errors::{ErrorClass, redact, retry_after_seconds, transport_outcome};
use crate::ratelimit::{RateLimiter, wait_seconds};
use async_trait::async_trait;
use relais_app::ports::{
    ChannelSender, SendOutcome, SendRequest, TemplateOutcome, TemplateRequest, TemplateStatusReport,
};
use relais_domain::{CallToActionButton, WhatsAppContent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::Arc;

pub const DEFAULT_API_BASE: &str = "https://graph.facebook.com";
/// Graph API v26.0 was released on 2026-07-29.
pub const DEFAULT_API_VERSION: &str = "v26.0";

/// Client for one Meta app (token); serves every chatbot's phone number.
#[derive(Clone)]
pub struct WhatsAppClient {
    pub api_base: String,
    pub api_version: String,
    token: String,
    pub http: reqwest::Client,
    limiter: Option<Arc<RateLimiter>>,
    /// WhatsApp Business Account used for templates when a chatbot has none of its own.
    default_waba_id: Option<String>,
}

impl std::fmt::Debug for WhatsAppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppClient")
            .field("api_base", &self.api_base)
            .field("api_version", &self.api_version)
            .field("token", &"<redacted>")
            .field("rate_limited", &self.limiter.is_some())
            .finish()
    }
}

impl WhatsAppClient {
    pub fn new(
        api_base: impl Into<String>,
        api_version: impl Into<String>,
        token: impl Into<String>,
        http: reqwest::Client,
    ) -> WhatsAppClient {
        WhatsAppClient {
            api_base: api_base.into().trim_end_matches('/').to_string(),
            api_version: api_version.into().trim_matches('/').to_string(),
            token: token.into(),
            http,
            limiter: None,
            default_waba_id: None,
        }
    }

    /// The WhatsApp Business Account templates are registered in when a chatbot has none.
    pub fn with_default_waba(mut self, waba_id: Option<String>) -> WhatsAppClient {
        self.default_waba_id = waba_id;
        self
    }

    /// Consult `limiter` (keyed by phone number id) before every send.
    pub fn with_rate_limiter(mut self, limiter: Arc<RateLimiter>) -> WhatsAppClient {
        self.limiter = Some(limiter);
        self
    }

    fn url(&self, tail: &str) -> String {
        format!("{}/{}/{}", self.api_base, self.api_version, tail)
    }

    /// Register one template (one language) for approval by Meta.
    pub async fn register_template(
        &self,
        waba_id: &str,
        spec: &TemplateSpec<'_>,
    ) -> Result<TemplateRegistration, TemplateError> {
        if !is_graph_id(waba_id) {
            return Err(TemplateError::Invalid("waba_id must be a Graph id".into()));
        }
        let payload = template_payload(spec)?;
        let response = self
            .http
            .post(self.url(&format!("{waba_id}/message_templates")))
            .bearer_auth(&self.token)
            .json(&payload)
            .send()
            .await;
        let created: CreatedTemplate = graph_json(response).await?;
        tracing::info!(provider = "whatsapp", template = spec.name, status = %created.status, "template registered");
        Ok(TemplateRegistration {
            id: created.id,
            name: spec.name.to_string(),
            language: whatsapp_language(spec.language),
            status: created.status,
            category: created.category,
            rejected_reason: None,
        })
    }

    /// The template `name` in `language` of a WABA, if it exists (idempotent approval: look
    /// before registering again after a timeout).
    pub async fn find_template(
        &self,
        waba_id: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<TemplateRegistration>, TemplateError> {
        if !is_graph_id(waba_id) {
            return Err(TemplateError::Invalid("waba_id must be a Graph id".into()));
        }
        let code = whatsapp_language(language);
        Ok(self.templates_named(waba_id, name).await?.into_iter().find(|t| t.language == code))
    }

    /// Every language of the template `name` in a WABA, with Meta's current status of each.
    pub async fn templates_named(&self, waba_id: &str, name: &str) -> Result<Vec<TemplateRegistration>, TemplateError> {
        if !is_graph_id(waba_id) {
            return Err(TemplateError::Invalid("waba_id must be a Graph id".into()));
        }
        let response = self
            .http
            .get(self.url(&format!("{waba_id}/message_templates")))
            .bearer_auth(&self.token)
            .query(&[("name", name), ("fields", TEMPLATE_FIELDS)])
            .send()
            .await;
        let list: TemplateList = graph_json(response).await?;
        // Meta's `name` filter matches by prefix: keep the exact name only.
        Ok(list
            .data
            .into_iter()
            .filter(|t| t.name.as_deref() == Some(name) && t.language.is_some())
            .map(|t| t.into_registration(name, ""))
            .collect())
    }

    /// Current status of a registered template (polling when the webhook is not subscribed).
    pub async fn template_status(&self, template_id: &str) -> Result<TemplateRegistration, TemplateError> {
        if !is_graph_id(template_id) {
            return Err(TemplateError::Invalid("template id must be a Graph id".into()));
        }
        let response = self
            .http
            .get(self.url(template_id))
            .bearer_auth(&self.token)
            .query(&[("fields", TEMPLATE_FIELDS)])
            .send()
            .await;
        let item: TemplateItem = graph_json(response).await?;
        Ok(item.into_registration("", ""))
    }
}

const TEMPLATE_FIELDS: &str = "id,name,language,status,category,rejected_reason";

#[async_trait]
impl ChannelSender for WhatsAppClient {
    /// The configured per-sender rate, enforced across dispatchers by the engine.
    fn max_per_second(&self, _sender: &str) -> Option<u32> {
        self.limiter.as_ref().map(|l| l.limit().per_second.ceil().max(1.0) as u32)
    }

    async fn send(&self, request: &SendRequest) -> SendOutcome {
        if !is_graph_id(&request.from) {
            return SendOutcome::Rejected {
                code: "invalid_sender".into(),
                detail: "WhatsApp phone_number_id must be a Graph id".into(),
                opted_out: false,
            };
        }
        if let Some(limiter) = &self.limiter
            && let Err(wait) = limiter.try_acquire(&request.from, 1.0)
        {
            tracing::info!(provider = "whatsapp", code = "rate_limited_local", "send deferred");
            return SendOutcome::Transient {
                code: "rate_limited_local".into(),
                detail: "per-number send rate reached".into(),
                retry_after_seconds: Some(wait_seconds(wait)),
            };
        }
        let payload = message_payload(request);
        let response = self
            .http
            .post(self.url(&format!("{}/messages", request.from)))
            .bearer_auth(&self.token)
            .json(&payload)
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => return transport_outcome(&e, "whatsapp"),
        };
        let status = response.status();
        let retry_after = retry_after_seconds(response.headers());
        let text = match response.text().await {
            Ok(t) => t,
            Err(e) => return transport_outcome(&e, "whatsapp"),
        };
        if status.is_success() {
            let id = serde_json::from_str::<SendResponse>(&text)
                .ok()
                .and_then(|r| r.messages.into_iter().next())
                .map(|m| m.id)
                .filter(|id| !id.is_empty());
            return match id {
                Some(provider_message_id) => {
                    tracing::info!(provider = "whatsapp", outcome = "accepted", "message accepted");
                    SendOutcome::Accepted { provider_message_id }
                }
                None => {
                    tracing::warn!(
                        provider = "whatsapp",
                        http_status = status.as_u16(),
                        "success without a message id"
                    );
                    SendOutcome::Transient {
                        code: "invalid_response".into(),
                        detail: "provider answered success without a message id".into(),
                        retry_after_seconds: None,
                    }
                }
            };
        }
        let failure = GraphFailure::from_response(status.as_u16(), retry_after, &text);
        tracing::warn!(
            provider = "whatsapp",
            code = %failure.code,
            http_status = status.as_u16(),
            class = ?failure.class,
            "send refused"
        );
        failure.into_outcome()
    }

    /// Register (or find, when a previous attempt timed out after Meta created it) the template
    /// of one language; Meta's review status decides the outcome.
    async fn register_template(&self, request: &TemplateRequest) -> TemplateOutcome {
        let Some(waba_id) = request.waba_id.clone().or_else(|| self.default_waba_id.clone()) else {
            return TemplateOutcome::NotSubmitted {
                reason: "no WhatsApp Business Account: set the chatbot's waba_id or RELAIS_WHATSAPP_WABA_ID".into(),
            };
        };
        let found = match self.find_template(&waba_id, &request.name, &request.language).await {
            Ok(found) => found,
            Err(e) => return template_error_outcome(e),
        };
        let registration = match found {
            Some(existing) => existing,
            None => {
                let spec = TemplateSpec {
                    name: &request.name,
                    language: &request.language,
                    category: TemplateCategory::Utility,
                    content: &request.content,
                    numbered_body: &request.numbered_body,
                    examples: &request.examples,
                };
                match self.register_template(&waba_id, &spec).await {
                    Ok(registration) => registration,
                    Err(e) => return template_error_outcome(e),
                }
            }
        };
        match registration.status.as_str() {
            "APPROVED" => TemplateOutcome::Approved,
            "REJECTED" | "DISABLED" | "PAUSED" => TemplateOutcome::Rejected {
                reason: registration.rejected_reason.unwrap_or_else(|| registration.status.to_lowercase()),
            },
            _ => TemplateOutcome::Pending,
        }
    }

    async fn template_statuses(&self, name: &str, waba_id: Option<&str>) -> Result<Vec<TemplateStatusReport>, String> {
        let Some(waba_id) = waba_id.map(str::to_string).or_else(|| self.default_waba_id.clone()) else {
            return Err("no WhatsApp Business Account: set the chatbot's waba_id or RELAIS_WHATSAPP_WABA_ID".into());
        };
        let templates = self.templates_named(&waba_id, name).await.map_err(|e| e.to_string())?;
        Ok(templates
            .into_iter()
            .map(|t| TemplateStatusReport { language: t.language, status: t.status, reason: t.rejected_reason })
            .collect())
    }
}

// ---------------------------------------------------------------- payloads

/// The JSON body of a send (public so the outbox and tests can show exactly what goes out).
pub fn message_payload(request: &SendRequest) -> Value {
    let mut payload = message_content(request);
    // Meta echoes it in the sent/delivered/read statuses: if this request times out but the
    // message went out, its status still names our message (see `engine::apply_status`).
    if !request.key.is_empty() && request.key.len() <= MAX_CALLBACK_DATA_BYTES {
        payload["biz_opaque_callback_data"] = Value::String(request.key.clone());
    }
    payload
}

/// Meta's limit for `biz_opaque_callback_data`.
const MAX_CALLBACK_DATA_BYTES: usize = 512;

fn message_content(request: &SendRequest) -> Value {
    let to = wa_recipient(&request.to);
    match &request.template_name {
        Some(name) => {
            let mut template = json!({
                "name": name,
                "language": {"code": whatsapp_language(&request.language)},
            });
            let mut components = Vec::new();
            if !request.parameters.is_empty() {
                let parameters: Vec<Value> =
                    request.parameters.iter().map(|p| json!({"type": "text", "text": clean_parameter(p)})).collect();
                components.push(json!({"type": "body", "parameters": parameters}));
            }
            // Quick-reply buttons are registered with their titles only; the payload Meta
            // hands back on a tap is set per send, one component per button.
            for (index, payload) in request.button_payloads.iter().enumerate() {
                components.push(json!({
                    "type": "button",
                    "sub_type": "quick_reply",
                    "index": index.to_string(),
                    "parameters": [{"type": "payload", "payload": payload}],
                }));
            }
            if !components.is_empty() {
                template["components"] = Value::Array(components);
            }
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "template",
                "template": template,
            })
        }
        None => json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": false, "body": request.body},
        }),
    }
}

/// Meta's examples give the recipient as digits with the country code and no `+`.
fn wa_recipient(e164: &str) -> String {
    e164.chars().filter(char::is_ascii_digit).collect()
}

/// Template parameters may not contain new lines or tabs, nor more than four spaces in a row
/// (Meta refuses the send). Replace them rather than fail the message.
fn clean_parameter(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut spaces = 0;
    for c in value.chars() {
        let c = if matches!(c, '\n' | '\r' | '\t') { ' ' } else { c };
        if c == ' ' {
            spaces += 1;
            if spaces > 4 {
                continue;
            }
        } else {
            spaces = 0;
        }
        out.push(c);
    }
    out
}

fn is_graph_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------- templates

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateCategory {
    Utility,
    Marketing,
    Authentication,
}

/// What to register: one template in one language.
#[derive(Debug, Clone, Copy)]
pub struct TemplateSpec<'a> {
    /// From `relais_domain::whatsapp::template_name`: `a-z`, `0-9`, `_`.
    pub name: &'a str,
    /// Our language (`en`, `pt`, `pt-BR`); sent as [`whatsapp_language`] of it.
    pub language: &'a str,
    pub category: TemplateCategory,
    /// The campaign's WhatsApp content (its buttons are registered with the template).
    pub content: &'a WhatsAppContent,
    /// The body with `{{1}}..{{n}}` in place of our variables (`Template::numbered()`).
    pub numbered_body: &'a str,
    /// One example value per numbered parameter, in order (Meta requires them for review).
    pub examples: &'a [String],
}

/// A template as Meta knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRegistration {
    pub id: String,
    pub name: String,
    /// Meta's language code (`en`, `pt_PT`, ...).
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`, `IN_APPEAL`, ...
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
}

impl TemplateRegistration {
    pub fn is_approved(&self) -> bool {
        self.status.eq_ignore_ascii_case("APPROVED")
    }
    pub fn is_rejected(&self) -> bool {
        self.status.eq_ignore_ascii_case("REJECTED")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Our request is wrong before it leaves (bad name, parameter count vs examples).
    #[error("invalid template: {0}")]
    Invalid(String),
    /// Meta refused the request for good (bad content, name clash, permissions).
    #[error("rejected by WhatsApp ({code}): {detail}")]
    Rejected { code: String, detail: String },
    /// Throttled, Meta unavailable, timeout: try again later.
    #[error("WhatsApp unavailable ({code}): {detail}")]
    Transient { code: String, detail: String, retry_after_seconds: Option<u32> },
}

/// The request body of a template registration.
pub fn template_payload(spec: &TemplateSpec<'_>) -> Result<Value, TemplateError> {
    if spec.name.is_empty()
        || spec.name.len() > 512
        || !spec.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(TemplateError::Invalid("name must be 1..512 characters of a-z, 0-9 and _".into()));
    }
    if spec.numbered_body.trim().is_empty() {
        return Err(TemplateError::Invalid("body is empty".into()));
    }
    let count = placeholder_count(spec.numbered_body).map_err(TemplateError::Invalid)?;
    if count != spec.examples.len() {
        return Err(TemplateError::Invalid(format!(
            "body has {count} parameters but {} examples were given",
            spec.examples.len()
        )));
    }
    let mut body = json!({"type": "BODY", "text": spec.numbered_body});
    if count > 0 {
        let examples: Vec<String> = spec.examples.iter().map(|e| clean_parameter(e)).collect();
        body["example"] = json!({"body_text": [examples]});
    }
    let mut components = vec![body];
    let buttons: Vec<Value> = match spec.content {
        WhatsAppContent::Text { .. } => Vec::new(),
        WhatsAppContent::QuickReply { buttons, .. } => {
            buttons.iter().map(|b| json!({"type": "QUICK_REPLY", "text": b.title})).collect()
        }
        WhatsAppContent::CallToAction { buttons, .. } => buttons
            .iter()
            .map(|b| match b {
                CallToActionButton::Phone { title, phone } => {
                    json!({"type": "PHONE_NUMBER", "text": title, "phone_number": wa_recipient(phone)})
                }
                CallToActionButton::Url { title, url } => json!({"type": "URL", "text": title, "url": url}),
            })
            .collect(),
    };
    if !buttons.is_empty() {
        components.push(json!({"type": "BUTTONS", "buttons": buttons}));
    }
    Ok(json!({
        "name": spec.name,
        "language": whatsapp_language(spec.language),
        "category": spec.category,
        "allow_category_change": true,
        "components": components,
    }))
}

/// Number of numbered parameters `{{1}}..{{n}}`; they must be exactly 1..=n.
fn placeholder_count(body: &str) -> Result<usize, String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut rest = body;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let inner = after[..end].trim();
                match inner.parse::<usize>() {
                    Ok(n) if n >= 1 => {
                        seen.insert(n);
                    }
                    _ => return Err(format!("body has a non-numbered placeholder {{{{{inner}}}}}")),
                }
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    let n = seen.len();
    if seen.iter().copied().eq(1..=n) {
        Ok(n)
    } else {
        Err("numbered parameters must run from {{1}} without gaps".into())
    }
}

/// Meta's template language code for our language tag (BCP 47 or primary subtag): `en` -> `en`,
/// `pt` -> `pt_PT`, `pt-BR` -> `pt_BR`, `zh` -> `zh_CN`, `no` -> `nb`. A tag with a region Meta
/// lists keeps it (`en-GB` -> `en_GB`); otherwise the plain language is used. Registration and
/// sending both go through this function, so they always agree.
pub fn whatsapp_language(language: &str) -> String {
    let mut parts = language.split(['-', '_']).filter(|p| !p.is_empty());
    let lang = parts.next().unwrap_or("en").to_ascii_lowercase();
    let region = parts.next().map(str::to_ascii_uppercase);
    if let Some(region) = region {
        let regional = format!("{lang}_{region}");
        if META_REGIONAL.contains(&regional.as_str()) {
            return regional;
        }
    }
    if META_PLAIN.contains(&lang.as_str()) {
        return lang;
    }
    match lang.as_str() {
        "pt" => "pt_PT".into(),
        "zh" => "zh_CN".into(),
        "no" | "nn" => "nb".into(),
        "iw" => "he".into(),
        "tl" => "fil".into(),
        "in" => "id".into(),
        _ => lang,
    }
}

/// Languages Meta lists without a region.
const META_PLAIN: &[&str] = &[
    "af", "sq", "ar", "az", "bn", "bg", "ca", "hr", "cs", "da", "nl", "en", "et", "fil", "fi", "fr", "de", "el", "gu",
    "ha", "he", "hi", "hu", "id", "ga", "it", "ja", "kn", "kk", "ko", "lo", "lv", "lt", "mk", "ms", "ml", "mr", "nb",
    "fa", "pl", "pa", "ro", "ru", "sr", "sk", "sl", "es", "sw", "sv", "ta", "te", "th", "tr", "uk", "ur", "uz", "vi",
    "zu",
];

/// Regional codes Meta lists.
const META_REGIONAL: &[&str] =
    &["en_GB", "en_US", "pt_BR", "pt_PT", "es_AR", "es_ES", "es_MX", "zh_CN", "zh_HK", "zh_TW"];

// ---------------------------------------------------------------- errors

/// How a WhatsApp error code is handled (providers.md §4). `code` is the Graph `error.code`
/// (sync answer) or `statuses[].errors[].code` (failed status webhook); `http_status` is used
/// when the code is unknown (pass 0 for webhooks).
pub fn classify_whatsapp_error(code: Option<i64>, http_status: u16) -> ErrorClass {
    match code {
        // The recipient stopped marketing messages from this business.
        Some(131050) => ErrorClass::OptedOut,
        // Throughput / call-rate / pair-rate / spam-rate limits, Meta-side outages.
        Some(4 | 80007 | 130429 | 131048 | 131056 | 1 | 2 | 131000 | 131016 | 131057 | 133004) => {
            ErrorClass::Transient
        }
        Some(
            // undeliverable, re-engagement window, Meta chose not to deliver (marketing cap:
            // "retry later" means hours, beyond our retry bound, so fall back now), unsupported
            // type, media, same sender and recipient, required / invalid parameter.
            131026 | 131047 | 131049 | 131051 | 131053 | 131021 | 131008 | 131009
            // template: parameter count, missing in language, too long, policy, format, paused,
            // disabled, and other 132xxx.
            | 132000 | 132001 | 132005 | 132007 | 132012 | 132015 | 132016 | 132068 | 132069
            // invalid parameter, token, permission, policy block, account / payment problems,
            // experiment, number not registered.
            | 100 | 190 | 10 | 200 | 368 | 131005 | 131031 | 131042 | 130472 | 133010 | 33,
        ) => ErrorClass::Permanent,
        // Unknown code: throttling and server errors are worth a retry, the rest is final.
        _ if http_status == 429 || http_status >= 500 => ErrorClass::Transient,
        _ => ErrorClass::Permanent,
    }
}

#[derive(Debug, Deserialize)]
struct SendResponse {
    #[serde(default)]
    messages: Vec<SentMessage>,
}

#[derive(Debug, Deserialize)]
struct SentMessage {
    #[serde(default)]
    id: String,
}

#[derive(Debug, Deserialize)]
struct GraphErrorEnvelope {
    error: GraphError,
}

#[derive(Debug, Deserialize)]
struct GraphError {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_data: Option<GraphErrorData>,
}

#[derive(Debug, Deserialize)]
struct GraphErrorData {
    #[serde(default)]
    details: Option<String>,
}

struct GraphFailure {
    class: ErrorClass,
    code: String,
    detail: String,
    retry_after: Option<u32>,
}

impl GraphFailure {
    fn from_response(http_status: u16, retry_after: Option<u32>, text: &str) -> GraphFailure {
        let error = serde_json::from_str::<GraphErrorEnvelope>(text).ok().map(|e| e.error);
        let code = error.as_ref().and_then(|e| e.code);
        let detail = error
            .as_ref()
            .and_then(|e| {
                e.error_data
                    .as_ref()
                    .and_then(|d| d.details.clone())
                    .filter(|d| !d.is_empty())
                    .or_else(|| e.message.clone())
            })
            .unwrap_or_else(|| format!("HTTP {http_status}"));
        GraphFailure {
            class: classify_whatsapp_error(code, http_status),
            code: code.map(|c| c.to_string()).unwrap_or_else(|| format!("http_{http_status}")),
            detail: redact(&detail),
            retry_after,
        }
    }

    fn into_outcome(self) -> SendOutcome {
        match self.class {
            ErrorClass::Transient => {
                SendOutcome::Transient { code: self.code, detail: self.detail, retry_after_seconds: self.retry_after }
            }
            ErrorClass::Permanent => SendOutcome::Rejected { code: self.code, detail: self.detail, opted_out: false },
            ErrorClass::OptedOut => SendOutcome::Rejected { code: self.code, detail: self.detail, opted_out: true },
        }
    }

    fn into_template_error(self) -> TemplateError {
        match self.class {
            ErrorClass::Transient => {
                TemplateError::Transient { code: self.code, detail: self.detail, retry_after_seconds: self.retry_after }
            }
            ErrorClass::Permanent | ErrorClass::OptedOut => {
                TemplateError::Rejected { code: self.code, detail: self.detail }
            }
        }
    }
}

/// Read a Graph management answer: the JSON on success, a classified [`TemplateError`] otherwise.
async fn graph_json<T: serde::de::DeserializeOwned>(
    response: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, TemplateError> {
    let transport = |e: reqwest::Error| match transport_outcome(&e, "whatsapp") {
        SendOutcome::Transient { code, detail, retry_after_seconds } => {
            TemplateError::Transient { code, detail, retry_after_seconds }
        }
        other => TemplateError::Transient {
            code: "transport".into(),
            detail: format!("{other:?}"),
            retry_after_seconds: None,
        },
    };
    let response = response.map_err(transport)?;
    let status = response.status();
    let retry_after = retry_after_seconds(response.headers());
    let text = response.text().await.map_err(transport)?;
    if status.is_success() {
        serde_json::from_str(&text).map_err(|e| TemplateError::Transient {
            code: "invalid_response".into(),
            detail: format!("unexpected answer: {e}"),
            retry_after_seconds: None,
        })
    } else {
        let failure = GraphFailure::from_response(status.as_u16(), retry_after, &text);
        tracing::warn!(provider = "whatsapp", code = %failure.code, http_status = status.as_u16(), "management call refused");
        // A refused token or missing permission is our set-up, not Meta's verdict on a template:
        // the approval must not turn into a rejection of the campaign.
        if matches!(status.as_u16(), 401 | 403) {
            return Err(TemplateError::Invalid(format!(
                "WhatsApp refused Relais's credentials (HTTP {}, code {}): check RELAIS_WHATSAPP_TOKEN and its permissions",
                status.as_u16(),
                failure.code
            )));
        }
        Err(failure.into_template_error())
    }
}

#[derive(Debug, Deserialize)]
struct CreatedTemplate {
    id: String,
    #[serde(default = "pending")]
    status: String,
    #[serde(default)]
    category: Option<String>,
}

fn pending() -> String {
    "PENDING".into()
}

#[derive(Debug, Deserialize)]
struct TemplateList {
    #[serde(default)]
    data: Vec<TemplateItem>,
}

#[derive(Debug, Deserialize)]
struct TemplateItem {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default = "pending")]
    status: String,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    rejected_reason: Option<String>,
}

impl TemplateItem {
    fn into_registration(self, name: &str, language: &str) -> TemplateRegistration {
        TemplateRegistration {
            id: self.id,
            name: self.name.unwrap_or_else(|| name.to_string()),
            language: self.language.unwrap_or_else(|| language.to_string()),
            status: self.status,
            category: self.category,
            rejected_reason: self.rejected_reason.filter(|r| !r.eq_ignore_ascii_case("NONE")),
        }
    }
}

fn template_error_outcome(error: TemplateError) -> TemplateOutcome {
    match error {
        TemplateError::Transient { detail, .. } => TemplateOutcome::Unavailable { reason: detail },
        TemplateError::Rejected { code, detail } => TemplateOutcome::Rejected { reason: format!("{detail} ({code})") },
        TemplateError::Invalid(reason) => TemplateOutcome::NotSubmitted { reason },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relais_domain::QuickReplyButton;

    fn request(template: Option<&str>, params: &[&str]) -> SendRequest {
        SendRequest {
            key: "m-1:whatsapp".into(),
            channel: relais_domain::Channel::Whatsapp,
            to: "+351912345678".into(),
            from: "1098765".into(),
            language: "pt".into(),
            body: "Olá Ana!".into(),
            template_name: template.map(str::to_string),
            parameters: params.iter().map(|p| p.to_string()).collect(),
            button_payloads: Vec::new(),
            status_callback: None,
        }
    }

    #[test]
    fn template_message_shape() {
        let v = message_payload(&request(Some("relais_x"), &["Ana", "10 de junho"]));
        assert_eq!(v["type"], "template");
        assert_eq!(v["to"], "351912345678");
        assert_eq!(v["template"]["language"]["code"], "pt_PT");
        assert_eq!(v["template"]["components"][0]["type"], "body");
        assert_eq!(v["template"]["components"][0]["parameters"][1]["text"], "10 de junho");
    }

    #[test]
    fn template_without_parameters_has_no_components() {
        let v = message_payload(&request(Some("relais_x"), &[]));
        assert!(v["template"].get("components").is_none());
    }

    #[test]
    fn quick_reply_buttons_carry_their_payloads() {
        let mut r = request(Some("relais_tpl_r1"), &["Ana"]);
        r.button_payloads = vec!["relais:b0:m-1".into(), "relais:b1:m-1".into()];
        let v = message_payload(&r);
        let components = v["template"]["components"].as_array().expect("components");
        assert_eq!(components[0]["type"], "body");
        assert_eq!(
            components[1],
            json!({"type": "button", "sub_type": "quick_reply", "index": "0",
            "parameters": [{"type": "payload", "payload": "relais:b0:m-1"}]})
        );
        assert_eq!(components[2]["index"], "1");
        assert_eq!(components[2]["parameters"][0]["payload"], "relais:b1:m-1");
    }

    #[test]
    fn text_message_shape() {
        let v = message_payload(&request(None, &[]));
        assert_eq!(v["type"], "text");
        assert_eq!(v["text"]["body"], "Olá Ana!");
    }

    #[test]
    fn parameters_are_cleaned() {
        assert_eq!(clean_parameter("a\nb\tc"), "a b c");
        assert_eq!(clean_parameter("a       b"), "a    b");
    }

    #[test]
    fn languages() {
        assert_eq!(whatsapp_language("en"), "en");
        assert_eq!(whatsapp_language("en-US"), "en_US");
        assert_eq!(whatsapp_language("en-IE"), "en");
        assert_eq!(whatsapp_language("pt"), "pt_PT");
        assert_eq!(whatsapp_language("pt-BR"), "pt_BR");
        assert_eq!(whatsapp_language("fr-CA"), "fr");
        assert_eq!(whatsapp_language("zh"), "zh_CN");
        assert_eq!(whatsapp_language("no"), "nb");
    }

    #[test]
    fn template_payload_with_buttons() {
        let content = WhatsAppContent::QuickReply {
            body: "Olá {{guest_first_name}}!".into(),
            buttons: vec![QuickReplyButton {
                title: "Check-in online".into(),
                flow_id: Some("f".into()),
                faq_id: None,
            }],
        };
        let examples = vec!["Ana".to_string()];
        let spec = TemplateSpec {
            name: "relais_x_pt",
            language: "pt",
            category: TemplateCategory::Utility,
            content: &content,
            numbered_body: "Olá {{1}}!",
            examples: &examples,
        };
        let v = template_payload(&spec).unwrap_or_default();
        assert_eq!(v["category"], "UTILITY");
        assert_eq!(v["language"], "pt_PT");
        assert_eq!(v["components"][0]["example"]["body_text"][0][0], "Ana");
        assert_eq!(v["components"][1]["buttons"][0]["type"], "QUICK_REPLY");

        let cta = WhatsAppContent::CallToAction {
            body: "Hi".into(),
            buttons: vec![
                CallToActionButton::Phone { title: "Call us".into(), phone: "+351210000000".into() },
                CallToActionButton::Url { title: "Directions".into(), url: "https://example.com/map".into() },
            ],
        };
        let spec = TemplateSpec { content: &cta, numbered_body: "Hi", examples: &[], ..spec };
        let v = template_payload(&spec).unwrap_or_default();
        assert!(v["components"][0].get("example").is_none());
        assert_eq!(v["components"][1]["buttons"][0]["phone_number"], "351210000000");
        assert_eq!(v["components"][1]["buttons"][1]["url"], "https://example.com/map");
    }

    #[test]
    fn template_payload_validation() {
        let content = WhatsAppContent::Text { body: "x".into() };
        let spec = TemplateSpec {
            name: "ok_name",
            language: "en",
            category: TemplateCategory::Utility,
            content: &content,
            numbered_body: "Hi {{1}} on {{2}}",
            examples: &["Ana".to_string()],
        };
        assert!(matches!(template_payload(&spec), Err(TemplateError::Invalid(_))));
        let two = ["Ana".to_string(), "May".to_string()];
        assert!(template_payload(&TemplateSpec { examples: &two, ..spec }).is_ok());
        assert!(template_payload(&TemplateSpec { name: "Bad-Name", examples: &two, ..spec }).is_err());
        assert!(template_payload(&TemplateSpec { numbered_body: "Hi {{2}}", examples: &two[..1], ..spec }).is_err());
        assert!(template_payload(&TemplateSpec { numbered_body: "Hi {{name}}", examples: &[], ..spec }).is_err());
    }

    #[test]
    fn classification_table() {
        use ErrorClass::*;
        for (code, class) in [
            (131026, Permanent),
            (131047, Permanent),
            (131049, Permanent),
            (131050, OptedOut),
            (131051, Permanent),
            (132000, Permanent),
            (132001, Permanent),
            (132015, Permanent),
            (100, Permanent),
            (190, Permanent),
            (368, Permanent),
            (131021, Permanent),
            (130429, Transient),
            (131048, Transient),
            (131056, Transient),
            (80007, Transient),
            (4, Transient),
            (131000, Transient),
            (131016, Transient),
            (131057, Transient),
        ] {
            assert_eq!(classify_whatsapp_error(Some(code), 400), class, "code {code}");
        }
        assert_eq!(classify_whatsapp_error(None, 429), Transient);
        assert_eq!(classify_whatsapp_error(None, 503), Transient);
        assert_eq!(classify_whatsapp_error(Some(999_999), 502), Transient);
        assert_eq!(classify_whatsapp_error(Some(999_999), 400), Permanent);
        assert_eq!(classify_whatsapp_error(None, 0), Permanent);
    }
}
