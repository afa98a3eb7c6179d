//! Identity (SPEC 6): JWT claims `sub`, `account_id`, `role`.
//!
//! Where the claims come from is pluggable ([`Authenticator`]):
//! - [`Hs256`]: the local runner verifies `Authorization: Bearer <JWT>` signed HS256 with a
//!   local secret (`relais token` mints them with [`mint_hs256`]);
//! - `GatewayClaims` (feature `lambda`): in AWS the API Gateway JWT authorizer has already
//!   verified the token; the claims are read from lambda_http's request context.
//!
//! The claims name the user; the stored user decides the rest (account, visible properties and
//! chatbots), and the role is the lower of the claim's and the stored one, so that a role taken
//! away takes effect before old tokens expire.

use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use relais_domain::Role;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The claims Relais reads from a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub account_id: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
}

/// Why a request is not authenticated (always 401, with this message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError(pub String);

impl std::fmt::Display for AuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AuthError {}

fn auth_error(message: impl Into<String>) -> AuthError {
    AuthError(message.into())
}

/// Turns a request into verified claims.
pub trait Authenticator: Send + Sync {
    fn authenticate(&self, parts: &Parts, now: DateTime<Utc>) -> Result<Claims, AuthError>;
}

/// Local HS256 verification of `Authorization: Bearer <JWT>`.
pub struct Hs256 {
    secret: Vec<u8>,
}

impl Hs256 {
    pub fn new(secret: impl AsRef<[u8]>) -> Hs256 {
        Hs256 { secret: secret.as_ref().to_vec() }
    }
}

impl std::fmt::Debug for Hs256 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hs256(<secret>)")
    }
}

impl Authenticator for Hs256 {
    fn authenticate(&self, parts: &Parts, now: DateTime<Utc>) -> Result<Claims, AuthError> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| auth_error("missing Authorization header: send `Authorization: Bearer <token>`"))?;
        let header = header.to_str().map_err(|_| auth_error("malformed Authorization header"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| auth_error("the Authorization header must be `Bearer <token>`"))?;
        verify_hs256(&self.secret, token, now)
    }
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8]) -> Result<HmacSha256, AuthError> {
    HmacSha256::new_from_slice(secret).map_err(|_| auth_error("invalid signing key"))
}

/// A compact HS256 JWT for `claims`.
pub fn mint_hs256(secret: &[u8], claims: &Claims) -> Result<String, AuthError> {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = serde_json::to_vec(claims).map_err(|e| auth_error(e.to_string()))?;
    let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let mut mac = mac(secret)?;
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    Ok(format!("{signing_input}.{signature}"))
}

/// Longest lifetime of a token the local runner accepts: `exp` at most this far ahead of now
/// (docs/hardening.md, "Tokens"). `relais token` issues tokens of exactly this lifetime.
pub const MAX_TOKEN_LIFETIME_SECONDS: i64 = 30 * 24 * 3600;
/// Clock skew allowed on top of [`MAX_TOKEN_LIFETIME_SECONDS`] (a token minted on a machine
/// whose clock runs a little ahead).
const TOKEN_SKEW_SECONDS: i64 = 300;

/// Verify an HS256 JWT: algorithm, signature (constant time), `exp` (required, in the future and
/// at most [`MAX_TOKEN_LIFETIME_SECONDS`] ahead), `nbf` when present.
pub fn verify_hs256(secret: &[u8], token: &str, now: DateTime<Utc>) -> Result<Claims, AuthError> {
    let invalid = || auth_error("invalid token");
    let mut pieces = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err(invalid());
    };
    let header: serde_json::Value =
        relais_domain::document::parse_value(&URL_SAFE_NO_PAD.decode(header).map_err(|_| invalid())?)
            .map_err(|_| invalid())?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
        return Err(auth_error("only HS256 tokens are accepted"));
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| invalid())?;
    let mut mac = mac(secret)?;
    mac.update(header_and_payload(token).as_bytes());
    mac.verify_slice(&signature).map_err(|_| auth_error("bad token signature"))?;
    let payload: serde_json::Value =
        relais_domain::document::parse_value(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?)
            .map_err(|_| invalid())?;
    let now = now.timestamp();
    let exp = payload
        .get("exp")
        .ok_or_else(|| auth_error("the token has no `exp` claim: tokens must expire"))?
        .as_i64()
        .ok_or_else(invalid)?;
    if now >= exp {
        return Err(auth_error("token expired"));
    }
    let too_long = exp.checked_sub(now).is_none_or(|left| left > MAX_TOKEN_LIFETIME_SECONDS + TOKEN_SKEW_SECONDS);
    if too_long {
        return Err(auth_error("the token's `exp` is more than 30 days away: mint a new one with `relais token`"));
    }
    if let Some(nbf) = payload.get("nbf") {
        let nbf = nbf.as_i64().ok_or_else(invalid)?;
        if now < nbf {
            return Err(auth_error("token not valid yet"));
        }
    }
    claims_from_map(|name| payload.get(name).and_then(|v| v.as_str()).map(str::to_string))
}

fn header_and_payload(token: &str) -> &str {
    token.rsplit_once('.').map_or(token, |(signed, _)| signed)
}

/// Claims from a name -> value lookup (JWT payload, API Gateway claims map).
pub fn claims_from_map(get: impl Fn(&str) -> Option<String>) -> Result<Claims, AuthError> {
    let sub = get("sub").filter(|s| !s.is_empty()).ok_or_else(|| auth_error("the token has no `sub` claim"))?;
    let account_id =
        get("account_id").filter(|s| !s.is_empty()).ok_or_else(|| auth_error("the token has no `account_id` claim"))?;
    let role = get("role").ok_or_else(|| auth_error("the token has no `role` claim"))?;
    let role: Role = serde_json::from_value(serde_json::Value::String(role))
        .map_err(|_| auth_error("the token's `role` is not viewer, editor, approver or admin"))?;
    Ok(Claims { sub, account_id, role, iat: None, exp: None })
}

/// In AWS: the claims the API Gateway HTTP API JWT authorizer verified, from lambda_http's
/// request context. A request without them (authorizer not configured on the route) is 401.
#[cfg(feature = "lambda")]
#[derive(Debug, Default, Clone, Copy)]
pub struct GatewayClaims;

#[cfg(feature = "lambda")]
impl Authenticator for GatewayClaims {
    fn authenticate(&self, parts: &Parts, _now: DateTime<Utc>) -> Result<Claims, AuthError> {
        use lambda_http::request::RequestContext;
        let Some(RequestContext::ApiGatewayV2(context)) = parts.extensions.get::<RequestContext>() else {
            return Err(auth_error("no API Gateway request context"));
        };
        let claims = context
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims)
            .ok_or_else(|| auth_error("no JWT authorizer claims"))?;
        claims_from_map(|name| claims.get(name).cloned())
    }
}

/// A random secret: 32 bytes, hex.
pub fn random_secret() -> Result<String, String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(hex::encode(bytes))
}

/// A random id with a type prefix (`prop_1f2e...`).
pub fn random_id(prefix: &str) -> Result<String, String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(format!("{prefix}_{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims() -> Claims {
        Claims { sub: "u1".into(), account_id: "a1".into(), role: Role::Editor, iat: Some(0), exp: Some(1_800_000_600) }
    }

    #[test]
    fn a_token_must_expire_within_the_maximum_lifetime() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let with_exp = |exp: Option<i64>| mint_hs256(b"k", &Claims { exp, ..claims() }).unwrap();
        assert_eq!(
            verify_hs256(b"k", &with_exp(None), now).unwrap_err().0,
            "the token has no `exp` claim: tokens must expire"
        );
        let last = 1_800_000_000 + MAX_TOKEN_LIFETIME_SECONDS + TOKEN_SKEW_SECONDS;
        assert!(verify_hs256(b"k", &with_exp(Some(last)), now).is_ok());
        for exp in [last + 1, i64::MAX] {
            let error = verify_hs256(b"k", &with_exp(Some(exp)), now).unwrap_err().0;
            assert!(error.contains("more than 30 days"), "{exp}: {error}");
        }
        for exp in [1_800_000_000, i64::MIN] {
            assert_eq!(verify_hs256(b"k", &with_exp(Some(exp)), now).unwrap_err().0, "token expired", "{exp}");
        }
        let text_exp = URL_SAFE_NO_PAD.encode(br#"{"sub":"u1","account_id":"a1","role":"editor","exp":"soon"}"#);
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let signing_input = format!("{header}.{text_exp}");
        let mut mac = mac(b"k").unwrap();
        mac.update(signing_input.as_bytes());
        let token = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
        assert_eq!(verify_hs256(b"k", &token, now).unwrap_err().0, "invalid token");
    }

    #[test]
    fn round_trip_and_tampering() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let token = mint_hs256(b"k", &claims()).unwrap();
        let got = verify_hs256(b"k", &token, now).unwrap();
        assert_eq!((got.sub.as_str(), got.account_id.as_str(), got.role), ("u1", "a1", Role::Editor));
        assert!(verify_hs256(b"other", &token, now).is_err());
        let (signed, sig) = token.rsplit_once('.').unwrap();
        let (_, payload) = signed.split_once('.').unwrap();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"u1","account_id":"a1","role":"admin"}"#);
        let forged = token.replace(payload, &forged_payload);
        assert!(verify_hs256(b"k", &forged, now).is_err());
        assert!(verify_hs256(b"k", &format!("{signed}.{sig}x"), now).is_err());
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#), payload);
        assert!(verify_hs256(b"k", &none, now).is_err());
        let late = DateTime::from_timestamp(1_800_000_600, 0).unwrap();
        assert_eq!(verify_hs256(b"k", &token, late).unwrap_err().0, "token expired");
        assert!(verify_hs256(b"k", "a.b", now).is_err());
        assert!(verify_hs256(b"k", "", now).is_err());
    }
}
