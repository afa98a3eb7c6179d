//! Lambda-shaped inputs: signed PMS webhooks as API Gateway HTTP API (v2) events sent through
//! the functions' HTTP router as `lambda_http` would, and SQS batches for the SQS consumers.

use aws_lambda_events::event::sqs::SqsEvent;
use chrono::{DateTime, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

/// The API Gateway v2 event of a signed canonical webhook for `property_id`, sent at `at`.
pub fn webhook_event(property_id: &str, secret: &str, body: &Value, at: DateTime<Utc>) -> Value {
    let body = serde_json::to_string(body).unwrap();
    let path = format!("/webhooks/pms/canonical/{property_id}");
    let ts = at.timestamp();
    json!({
        "version": "2.0",
        "routeKey": "POST /webhooks/pms/{pms}/{property_id}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "host": "abc123.execute-api.eu-west-1.amazonaws.com",
            "x-relais-timestamp": ts.to_string(),
            "x-relais-signature": relais_domain::intake::sign(secret, ts, body.as_bytes()),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.10", "userAgent": "pms"},
            "requestId": format!("req-{ts}"),
            "routeKey": "POST /webhooks/pms/{pms}/{property_id}",
            "stage": "$default",
            "time": "01/Jun/2026:00:00:00 +0000",
            "timeEpoch": at.timestamp_millis(),
        },
        "pathParameters": {"pms": "canonical", "property_id": property_id},
        "body": body,
        "isBase64Encoded": false,
    })
}

/// Send an API Gateway v2 event through the router, as `lambda_http::run` does: (status, body).
pub async fn call(router: axum::Router, event: &Value) -> (u16, Value) {
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let (parts, body) = request.into_parts();
    let request = axum::http::Request::from_parts(parts, axum::body::Body::from(body.as_ref().to_vec()));
    let response = router.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// An SQS event of these bodies, as the Lambda service delivers a batch.
pub fn sqs_batch(bodies: &[String], first_id: usize) -> SqsEvent {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({
                "messageId": format!("m-{}", first_id + i),
                "receiptHandle": format!("rh-{}", first_id + i),
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:bench",
                "awsRegion": "eu-west-1",
            })
        })
        .collect();
    serde_json::from_value(json!({ "Records": records })).unwrap()
}
