//! The committed OpenAPI document is the one the code generates, it is served at
//! `/openapi.json`, and every operation it lists is routed.
//! `UPDATE_OPENAPI=1 cargo test -p relais-http --test openapi` rewrites the committed file.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::http::{Method, StatusCode};
use common::*;

fn committed() -> String {
    format!("{}/openapi.json", manifest_dir())
}

#[test]
fn the_committed_document_is_current() {
    let generated = relais_http::openapi::document();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed(), format!("{generated}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(committed()).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "functions/http/openapi.json is stale: run UPDATE_OPENAPI=1 cargo test -p relais-http --test openapi"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
}

#[tokio::test]
async fn served_and_every_operation_is_routed() {
    let h = Harness::new().await;
    let r = h.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text.trim_end(), relais_http::openapi::document().trim_end());
    let paths = r.json["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        let concrete = path.replace("{id}", "x").replace("{pms}", "canonical").replace("{property_id}", "x");
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            operations += 1;
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = h.call(m, &concrete, Some("u-admin"), None).await;
            assert!(
                !(r.status == StatusCode::NOT_FOUND && r.json["error"]["message"] == "no such route")
                    && r.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed"
            );
            assert!(r.status.as_u16() < 500, "{method} {path}: {}", r.status);
        }
    }
    assert!(operations >= 36, "{operations} operations");
}

/// The package's directory as the test runner gives it when the test runs (a warm target dir
/// shared by checkouts at other paths holds binaries compiled elsewhere), else as compiled.
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
