//! Authentication of vendor webhooks that cannot sign requests the Relais way (SPEC 4).
//!
//! Smoobu, Mews and Cloudbeds let the integrator register any URL, and none of them signs its
//! webhooks (Mews documents a shared secret token in the URL as *the* way to authenticate it;
//! Smoobu and Cloudbeds document no signing). So the URL registered with the vendor carries the
//! property's webhook secret: `POST /webhooks/pms/{pms}/{property_id}?token=<secret>`. The bare
//! form `?<secret>` (Mews' own example puts the token alone in the query) is accepted too.
//!
//! The token is compared in constant time (SHA-256 of both sides, then `subtle`), with the
//! current secret and, during a rotation, with the previous one while `valid_until` is after
//! `now`. `now` comes from the caller's clock.

use chrono::{DateTime, Utc};
use relais_app::ports::{InboundRequest, VendorError};
use relais_domain::Property;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Query parameter that carries the secret.
pub const TOKEN_PARAM: &str = "token";

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn ct_eq(a: &str, b: &str) -> bool {
    bool::from(digest(a).ct_eq(&digest(b)))
}

/// The secrets accepted at `now`.
pub fn accepted_secrets(property: &Property, now: DateTime<Utc>) -> Vec<&str> {
    let mut out = Vec::with_capacity(2);
    if let Some(s) = property.webhook_secret.as_deref().filter(|s| !s.is_empty()) {
        out.push(s);
    }
    if let Some(prev) = &property.previous_webhook_secret
        && prev.valid_until > now
        && !prev.secret.is_empty()
    {
        out.push(prev.secret.as_str());
    }
    out
}

/// `Ok` when the request's URL token matches an accepted secret; `Unauthorized` otherwise.
pub fn check_url_token(property: &Property, request: &InboundRequest, now: DateTime<Utc>) -> Result<(), VendorError> {
    let mut presented: Vec<&str> = Vec::new();
    if let Some(t) = request.query.get(TOKEN_PARAM).map(String::as_str).filter(|t| !t.is_empty()) {
        presented.push(t);
    }
    presented.extend(request.query.iter().filter(|(k, v)| v.is_empty() && !k.is_empty()).map(|(k, _)| k.as_str()));
    if presented.is_empty() {
        return Err(VendorError::Unauthorized("missing webhook token (?token=...)".into()));
    }
    let secrets = accepted_secrets(property, now);
    if secrets.is_empty() {
        return Err(VendorError::Unauthorized("the property has no webhook secret".into()));
    }
    // No short-circuit: every comparison runs.
    let ok = presented.iter().fold(false, |acc, p| secrets.iter().fold(acc, |acc, s| acc | ct_eq(p, s)));
    if ok { Ok(()) } else { Err(VendorError::Unauthorized("wrong webhook token".into())) }
}

/// Where the vendor payload names the account it belongs to (Smoobu `user`, Mews
/// `EnterpriseId`, Cloudbeds `propertyID`) and the property's credentials pin one, they must
/// agree: a token leaked to or reused by another account cannot feed this property.
pub fn check_account(expected: Option<&str>, got: Option<&str>, what: &str) -> Result<(), VendorError> {
    match (expected, got) {
        (Some(e), Some(g)) if !e.trim().eq_ignore_ascii_case(g.trim()) => {
            Err(VendorError::Unauthorized(format!("webhook is for another {what}")))
        }
        _ => Ok(()),
    }
}
