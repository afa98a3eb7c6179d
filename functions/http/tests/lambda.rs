//! The router behind lambda_http: identity from the API Gateway JWT authorizer's claims.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(feature = "lambda")]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use relais_http::auth::GatewayClaims;
use serde_json::json;
use tower::ServiceExt;

fn event(path: &str, claims: serde_json::Value) -> String {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "api.example.com", "content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com", "domainPrefix": "api",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"},
            "requestId": "req-1", "routeKey": "$default", "stage": "$default", "time": "01/Jun/2026:08:00:00 +0000",
            "timeEpoch": 1780300800000u64,
            "authorizer": {"jwt": {"claims": claims, "scopes": null}}
        },
        "isBase64Encoded": false
    })
    .to_string()
}

#[tokio::test]
async fn claims_come_from_the_jwt_authorizer() {
    let h = Harness::new().await;
    let mut state = h.state.clone();
    state.auth = Arc::new(GatewayClaims);
    let router = relais_http::router(state);
    let call = |path: &str, claims: serde_json::Value| {
        let request = lambda_http::request::from_str(&event(path, claims)).unwrap();
        let router = router.clone();
        async move { router.oneshot(request).await.unwrap().status() }
    };
    let admin = json!({"sub": "u-admin", "account_id": "acc-1", "role": "admin", "iss": "https://issuer"});
    assert_eq!(call("/users", admin.clone()).await, StatusCode::OK);
    assert_eq!(call("/properties/p2", admin).await, StatusCode::NOT_FOUND);
    let viewer = json!({"sub": "u-view", "account_id": "acc-1", "role": "viewer"});
    assert_eq!(call("/users", viewer).await, StatusCode::FORBIDDEN);
    assert_eq!(call("/users", json!({"sub": "u-admin"})).await, StatusCode::UNAUTHORIZED);
    // A plain request without the Lambda context: 401.
    let plain = h.call(axum::http::Method::GET, "/users", Some("u-admin"), None).await;
    assert_eq!(plain.status, StatusCode::OK);
    let request = axum::http::Request::builder().uri("/users").body(axum::body::Body::empty()).unwrap();
    assert_eq!(router.clone().oneshot(request).await.unwrap().status(), StatusCode::UNAUTHORIZED);
}
