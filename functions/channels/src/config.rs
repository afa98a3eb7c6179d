//! Provider settings (SPEC 5.1). Locally they are environment variables; in AWS the secret ones
//! (`RELAIS_WHATSAPP_TOKEN`, `RELAIS_WHATSAPP_APP_SECRET`, `RELAIS_WHATSAPP_VERIFY_TOKEN`,
//! `RELAIS_TWILIO_AUTH_TOKEN`) hold the name of an SSM parameter or secret: resolve them first
//! and hand the values to [`ChannelsConfig::from_lookup`].
//!
//! | variable | default |
//! |---|---|
//! | `RELAIS_PUBLIC_URL` | none (no status callback URL for Twilio) |
//! | `RELAIS_WHATSAPP_API_BASE` | `https://graph.facebook.com` |
//! | `RELAIS_WHATSAPP_API_VERSION` | `v26.0` |
//! | `RELAIS_WHATSAPP_TOKEN` | none: WhatsApp not configured (outbox) |
//! | `RELAIS_WHATSAPP_APP_SECRET`, `RELAIS_WHATSAPP_VERIFY_TOKEN`, `RELAIS_WHATSAPP_WABA_ID` | none |
//! | `RELAIS_WHATSAPP_RATE_PER_SECOND` | 80 (messages per second per phone number) |
//! | `RELAIS_TWILIO_API_BASE` | `https://api.twilio.com` |
//! | `RELAIS_TWILIO_ACCOUNT_SID`, `RELAIS_TWILIO_AUTH_TOKEN` | none: SMS not configured (outbox) |
//! | `RELAIS_TWILIO_RATE_PER_SECOND` | 1 (segments per second per sender: a long code) |

use crate::ratelimit::{RateLimit, RateLimiter};
use crate::twilio::{self, TwilioClient};
use crate::whatsapp::{self, WhatsAppClient};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

#[derive(Clone, PartialEq)]
pub struct WhatsAppConfig {
    pub api_base: String,
    pub api_version: String,
    pub token: String,
    pub app_secret: Option<String>,
    pub verify_token: Option<String>,
    pub waba_id: Option<String>,
    pub rate_per_second: f64,
}

impl std::fmt::Debug for WhatsAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppConfig")
            .field("api_base", &self.api_base)
            .field("api_version", &self.api_version)
            .field("token", &"<redacted>")
            .field("app_secret", &self.app_secret.as_ref().map(|_| "<redacted>"))
            .field("verify_token", &self.verify_token.as_ref().map(|_| "<redacted>"))
            .field("waba_id", &self.waba_id)
            .field("rate_per_second", &self.rate_per_second)
            .finish()
    }
}

#[derive(Clone, PartialEq)]
pub struct TwilioConfig {
    pub api_base: String,
    pub account_sid: String,
    pub auth_token: String,
    pub rate_per_second: f64,
}

impl std::fmt::Debug for TwilioConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioConfig")
            .field("api_base", &self.api_base)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"<redacted>")
            .field("rate_per_second", &self.rate_per_second)
            .finish()
    }
}

/// Everything the channel adapters and callback routes need.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChannelsConfig {
    /// Base URL of the deployment, without a trailing `/`.
    pub public_url: Option<String>,
    pub whatsapp: Option<WhatsAppConfig>,
    pub twilio: Option<TwilioConfig>,
}

impl ChannelsConfig {
    /// Read the process environment.
    pub fn from_env() -> Result<ChannelsConfig, ConfigError> {
        ChannelsConfig::from_lookup(|name| std::env::var(name).ok())
    }

    /// Read settings through `lookup` (environment, resolved secrets, a test map). Empty values
    /// count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<ChannelsConfig, ConfigError> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let public_url = match get("RELAIS_PUBLIC_URL") {
            Some(url) => Some(http_url("RELAIS_PUBLIC_URL", &url)?),
            None => None,
        };

        let whatsapp = match get("RELAIS_WHATSAPP_TOKEN") {
            None => None,
            Some(token) => {
                let api_base = http_url(
                    "RELAIS_WHATSAPP_API_BASE",
                    &get("RELAIS_WHATSAPP_API_BASE").unwrap_or_else(|| whatsapp::DEFAULT_API_BASE.into()),
                )?;
                let api_version =
                    get("RELAIS_WHATSAPP_API_VERSION").unwrap_or_else(|| whatsapp::DEFAULT_API_VERSION.into());
                if !is_version(&api_version) {
                    return Err(ConfigError::Invalid {
                        name: "RELAIS_WHATSAPP_API_VERSION",
                        message: "expected vNN.N, e.g. v26.0".into(),
                    });
                }
                Some(WhatsAppConfig {
                    api_base,
                    api_version,
                    token,
                    app_secret: get("RELAIS_WHATSAPP_APP_SECRET"),
                    verify_token: get("RELAIS_WHATSAPP_VERIFY_TOKEN"),
                    waba_id: get("RELAIS_WHATSAPP_WABA_ID"),
                    rate_per_second: rate(&get, "RELAIS_WHATSAPP_RATE_PER_SECOND", 80.0)?,
                })
            }
        };

        let twilio = match (get("RELAIS_TWILIO_ACCOUNT_SID"), get("RELAIS_TWILIO_AUTH_TOKEN")) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    name: "RELAIS_TWILIO_AUTH_TOKEN",
                    message: "is required with the account SID".into(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "RELAIS_TWILIO_ACCOUNT_SID",
                    message: "is required with the auth token".into(),
                });
            }
            (Some(account_sid), Some(auth_token)) => {
                if !(account_sid.len() == 34 && account_sid.starts_with("AC")) {
                    return Err(ConfigError::Invalid {
                        name: "RELAIS_TWILIO_ACCOUNT_SID",
                        message: "expected AC followed by 32 characters".into(),
                    });
                }
                let api_base = http_url(
                    "RELAIS_TWILIO_API_BASE",
                    &get("RELAIS_TWILIO_API_BASE").unwrap_or_else(|| twilio::DEFAULT_API_BASE.into()),
                )?;
                Some(TwilioConfig {
                    api_base,
                    account_sid,
                    auth_token,
                    rate_per_second: rate(&get, "RELAIS_TWILIO_RATE_PER_SECOND", 1.0)?,
                })
            }
        };

        Ok(ChannelsConfig { public_url, whatsapp, twilio })
    }

    /// `{RELAIS_PUBLIC_URL}/webhooks/twilio/status`: the URL given to Twilio as `StatusCallback`
    /// and the one its `X-Twilio-Signature` signs.
    pub fn twilio_status_url(&self) -> Option<String> {
        self.public_url.as_ref().map(|u| format!("{u}/webhooks/twilio/status"))
    }

    /// `{RELAIS_PUBLIC_URL}/webhooks/twilio/inbound` (configure it on the Twilio number).
    pub fn twilio_inbound_url(&self) -> Option<String> {
        self.public_url.as_ref().map(|u| format!("{u}/webhooks/twilio/inbound"))
    }

    /// `{RELAIS_PUBLIC_URL}/webhooks/whatsapp` (configure it in the Meta app).
    pub fn whatsapp_webhook_url(&self) -> Option<String> {
        self.public_url.as_ref().map(|u| format!("{u}/webhooks/whatsapp"))
    }

    /// The WhatsApp client (with its per-number rate limiter), if WhatsApp is configured.
    pub fn whatsapp_client(&self, http: reqwest::Client) -> Option<WhatsAppClient> {
        self.whatsapp.as_ref().map(|w| {
            WhatsAppClient::new(&w.api_base, &w.api_version, &w.token, http)
                .with_rate_limiter(Arc::new(RateLimiter::new(RateLimit::per_second(w.rate_per_second))))
                .with_default_waba(w.waba_id.clone())
        })
    }

    /// The Twilio client (with its per-sender rate limiter and the status callback URL), if
    /// Twilio is configured.
    pub fn twilio_client(&self, http: reqwest::Client) -> Option<TwilioClient> {
        self.twilio.as_ref().map(|t| {
            let client = TwilioClient::new(&t.api_base, &t.account_sid, &t.auth_token, http)
                .with_rate_limiter(Arc::new(RateLimiter::new(RateLimit::per_second(t.rate_per_second))));
            match self.twilio_status_url() {
                Some(url) => client.with_status_callback(url),
                None => client,
            }
        })
    }
}

/// Both clients from the process environment, sharing one HTTP client with
/// [`default_http_client`](crate::default_http_client) timeouts. `(None, None)`: nothing is
/// configured and the caller keeps the outbox.
pub fn from_env() -> Result<(Option<WhatsAppClient>, Option<TwilioClient>), ConfigError> {
    let config = ChannelsConfig::from_env()?;
    if config.whatsapp.is_none() && config.twilio.is_none() {
        return Ok((None, None));
    }
    let http = crate::default_http_client().map_err(|e| ConfigError::Http(e.to_string()))?;
    Ok((config.whatsapp_client(http.clone()), config.twilio_client(http)))
}

fn http_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let lower = value.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) || value.contains(char::is_whitespace) {
        return Err(ConfigError::Invalid { name, message: "expected an http(s) URL".into() });
    }
    Ok(value.trim_end_matches('/').to_string())
}

fn is_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else { return false };
    let mut parts = rest.split('.');
    let ok = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

fn rate(get: &impl Fn(&str) -> Option<String>, name: &'static str, default: f64) -> Result<f64, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<f64>() {
            Ok(r) if r.is_finite() && r > 0.0 => Ok(r),
            _ => Err(ConfigError::Invalid { name, message: "expected a positive number".into() }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<ChannelsConfig, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ChannelsConfig::from_lookup(|k| map.get(k).cloned())
    }

    const SID: &str = "AC00000000000000000000000000000000";

    #[test]
    fn nothing_configured() {
        assert_eq!(cfg(&[]), Ok(ChannelsConfig::default()));
    }

    #[test]
    fn defaults() {
        let c = cfg(&[
            ("RELAIS_WHATSAPP_TOKEN", "t"),
            ("RELAIS_TWILIO_ACCOUNT_SID", SID),
            ("RELAIS_TWILIO_AUTH_TOKEN", "a"),
            ("RELAIS_PUBLIC_URL", "https://relais.example.com/"),
        ])
        .unwrap_or_default();
        let w = c.whatsapp.clone().map(|w| (w.api_base, w.api_version, w.rate_per_second));
        assert_eq!(w, Some(("https://graph.facebook.com".into(), "v26.0".into(), 80.0)));
        let t = c.twilio.clone().map(|t| (t.api_base, t.rate_per_second));
        assert_eq!(t, Some(("https://api.twilio.com".into(), 1.0)));
        assert_eq!(c.twilio_status_url().as_deref(), Some("https://relais.example.com/webhooks/twilio/status"));
        let http = reqwest::Client::new();
        let tw = c.twilio_client(http.clone());
        assert_eq!(
            tw.and_then(|t| t.default_status_callback),
            Some("https://relais.example.com/webhooks/twilio/status".into())
        );
        assert!(c.whatsapp_client(http).is_some());
        assert!(!format!("{c:?}").contains("\"t\""), "secrets are not printed");
    }

    #[test]
    fn errors_name_the_variable() {
        let e = cfg(&[("RELAIS_TWILIO_ACCOUNT_SID", SID)]);
        assert!(matches!(e, Err(ConfigError::Invalid { name: "RELAIS_TWILIO_AUTH_TOKEN", .. })));
        let e = cfg(&[("RELAIS_WHATSAPP_TOKEN", "t"), ("RELAIS_WHATSAPP_API_VERSION", "26")]);
        assert!(matches!(e, Err(ConfigError::Invalid { name: "RELAIS_WHATSAPP_API_VERSION", .. })));
        let e = cfg(&[("RELAIS_WHATSAPP_TOKEN", "t"), ("RELAIS_WHATSAPP_API_BASE", "ftp://x")]);
        assert!(matches!(e, Err(ConfigError::Invalid { name: "RELAIS_WHATSAPP_API_BASE", .. })));
        let e = cfg(&[("RELAIS_TWILIO_ACCOUNT_SID", "nope"), ("RELAIS_TWILIO_AUTH_TOKEN", "a")]);
        assert!(matches!(e, Err(ConfigError::Invalid { name: "RELAIS_TWILIO_ACCOUNT_SID", .. })));
        let e = cfg(&[("RELAIS_WHATSAPP_TOKEN", "t"), ("RELAIS_WHATSAPP_RATE_PER_SECOND", "-1")]);
        assert!(matches!(e, Err(ConfigError::Invalid { name: "RELAIS_WHATSAPP_RATE_PER_SECOND", .. })));
    }
}
