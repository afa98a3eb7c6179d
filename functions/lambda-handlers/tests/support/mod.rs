//! Test support: fixtures, signed webhook requests, the router called as lambda_http would, and
//! a moto server for the end-to-end tests.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub fn repo_root() -> PathBuf {
    PathBuf::from(manifest_dir()).join("../..")
}

pub fn fixture(name: &str) -> Value {
    let path = PathBuf::from(manifest_dir()).join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn scenario(name: &str) -> Value {
    let path = repo_root().join("tests/scenarios").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The API Gateway HTTP API (v2) request of a signed canonical webhook, from the fixture.
pub fn signed_webhook(property_id: &str, secret: &str, body: &Value, at: chrono::DateTime<chrono::Utc>) -> Value {
    let body = serde_json::to_string(body).unwrap();
    let mut request = fixture("apigw-v2-pms-webhook.json");
    let path = format!("/webhooks/pms/canonical/{property_id}");
    request["rawPath"] = Value::String(path.clone());
    request["requestContext"]["http"]["path"] = Value::String(path);
    request["pathParameters"]["property_id"] = Value::String(property_id.into());
    request["headers"]["x-relais-timestamp"] = Value::String(at.timestamp().to_string());
    request["headers"]["x-relais-signature"] = Value::String(sign(secret, at.timestamp(), body.as_bytes()));
    request["requestContext"]["timeEpoch"] = Value::from(at.timestamp_millis());
    request["body"] = Value::String(body);
    request
}

/// Send an API Gateway v2 event through the router, as lambda_http does; (status, JSON body).
pub async fn call(router: axum::Router, event: &Value) -> (u16, Value) {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()));
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    (status, json)
}

/// The moto server's URL (see functions/aws/tests/support), or `None` outside CI without python.
pub fn moto_url() -> Option<String> {
    static URL: OnceLock<Option<String>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("RELAIS_MOTO_URL")
            && !url.is_empty()
        {
            return Some(url);
        }
        let out = Command::new("bash").arg(repo_root().join("infra/moto.sh")).arg("start").output().unwrap();
        if out.status.success() {
            return Some(String::from_utf8_lossy(&out.stdout).trim().lines().last().unwrap_or("").to_string());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        if out.status.code() == Some(3) && std::env::var("CI").as_deref() != Ok("true") {
            eprintln!("\n!!!!!!!! SKIPPING moto end-to-end tests: no python3 ({stderr}) !!!!!!!!\n");
            return None;
        }
        panic!("infra/moto.sh start failed: {stderr}");
    })
    .clone()
}

pub async fn sdk_config(url: &str) -> aws_config::SdkConfig {
    relais_aws::sdk_loader()
        .endpoint_url(url)
        .region(aws_config::Region::new("eu-west-1"))
        .test_credentials()
        .load()
        .await
}

pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}-{}-{:x}-{}", std::process::id(), nanos % 0xffff_ffff, N.fetch_add(1, Ordering::Relaxed))
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
