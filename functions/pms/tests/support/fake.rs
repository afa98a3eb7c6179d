//! Fake vendor APIs on 127.0.0.1:0 (axum), speaking the fixtures.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// Behaviour knobs shared by both fakes.
#[derive(Default)]
pub struct Knobs {
    /// operation -> HTTP status to answer instead of data.
    pub fail: HashMap<String, u16>,
    pub delay: Option<Duration>,
}

// ------------------------------------------------------------------ Mews Connector API

pub struct MewsFake {
    pub data: Value,
    pub knobs: Knobs,
    pub calls: Mutex<Vec<(String, Value)>>,
}

impl MewsFake {
    pub fn calls_to(&self, op: &str) -> Vec<Value> {
        self.calls.lock().unwrap().iter().filter(|(o, _)| o == op).map(|(_, b)| b.clone()).collect()
    }
    pub fn total_calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

fn list_key(op: &str) -> Option<&'static str> {
    Some(match op {
        "reservations/getAll/2023-06-06" => "Reservations",
        "customers/getAll" => "Customers",
        "ageCategories/getAll" => "AgeCategories",
        "orderItems/getAll" => "OrderItems",
        "sourceAssignments/getAll" => "SourceAssignments",
        "sources/getAll" => "Sources",
        "resources/getAll" => "Resources",
        _ => return None,
    })
}

const FILTERS: [(&str, &str); 10] = [
    ("ReservationIds", "Id"),
    ("AccountIds", "AccountId"),
    ("States", "State"),
    ("CustomerIds", "Id"),
    ("AgeCategoryIds", "Id"),
    ("ServiceOrderIds", "ServiceOrderId"),
    ("ReservationGroupIds", "ReservationGroupId"),
    ("SourceIds", "Id"),
    ("ResourceIds", "Id"),
    ("AccountingStates", "AccountingState"),
];

async fn mews_handler(
    State(fake): State<Arc<MewsFake>>,
    Path(op): Path<String>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    if let Some(d) = fake.knobs.delay {
        tokio::time::sleep(d).await;
    }
    // Mews authenticates with tokens in the JSON body.
    let authed = body.get("ClientToken").and_then(Value::as_str) == Some("ct-demo")
        && body.get("AccessToken").and_then(Value::as_str) == Some("at-demo")
        && body.get("Client").and_then(Value::as_str).is_some_and(|c| !c.is_empty());
    if !authed {
        return (StatusCode::UNAUTHORIZED, Json(json!({"Message": "Invalid AccessToken."})));
    }
    fake.calls.lock().unwrap().push((op.clone(), body.clone()));
    if let Some(code) = fake.knobs.fail.get(&op) {
        return (StatusCode::from_u16(*code).unwrap(), Json(json!({"Message": "failure"})));
    }
    let Some(key) = list_key(&op) else { return (StatusCode::NOT_FOUND, Json(json!({"Message": "unknown"}))) };
    let Some(count) = body.pointer("/Limitation/Count").and_then(Value::as_u64) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"Message": "Limitation required"})));
    };
    let mut items: Vec<Value> = fake.data.get(op.as_str()).and_then(Value::as_array).cloned().unwrap_or_default();
    for (filter, item_key) in FILTERS {
        if let Some(wanted) = body.get(filter).and_then(Value::as_array) {
            items.retain(|i| i.get(item_key).is_some_and(|v| wanted.contains(v)));
        }
    }
    if let Some(cursor) = body.pointer("/Limitation/Cursor").and_then(Value::as_str) {
        match items.iter().position(|i| i.get("Id").and_then(Value::as_str) == Some(cursor)) {
            Some(p) => items.drain(..=p).for_each(drop),
            None => items.clear(),
        }
    }
    items.truncate(count as usize);
    let cursor = items.last().and_then(|i| i.get("Id")).cloned().unwrap_or(Value::Null);
    (StatusCode::OK, Json(json!({ key: items, "Cursor": cursor })))
}

pub async fn mews(data: Value, knobs: Knobs) -> (String, Arc<MewsFake>) {
    let fake = Arc::new(MewsFake { data, knobs, calls: Mutex::new(Vec::new()) });
    let app = Router::new().route("/api/connector/v1/{*op}", post(mews_handler)).with_state(fake.clone());
    (serve(app).await, fake)
}

// ------------------------------------------------------------------ Cloudbeds API

pub struct CloudbedsFake {
    /// reservationID -> getReservation `data`
    pub reservations: Mutex<HashMap<String, Value>>,
    pub knobs: Knobs,
    pub calls: Mutex<Vec<HashMap<String, String>>>,
}

async fn cloudbeds_handler(
    State(fake): State<Arc<CloudbedsFake>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    if let Some(d) = fake.knobs.delay {
        tokio::time::sleep(d).await;
    }
    let key_ok = headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some("cb-key");
    let bearer_ok = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some("Bearer cb-oauth");
    if !key_ok && !bearer_ok {
        return (StatusCode::UNAUTHORIZED, Json(json!({"success": false, "message": "Invalid token"})));
    }
    fake.calls.lock().unwrap().push(q.clone());
    if let Some(code) = fake.knobs.fail.get("getReservation") {
        return (StatusCode::from_u16(*code).unwrap(), Json(json!({"success": false, "message": "error"})));
    }
    let id = q.get("reservationID").cloned().unwrap_or_default();
    match fake.reservations.lock().unwrap().get(&id) {
        Some(data) if q.get("propertyID").map(String::as_str) == Some("318267") => {
            (StatusCode::OK, Json(json!({"success": true, "data": data})))
        }
        _ => (StatusCode::OK, Json(json!({"success": false, "message": "Reservation not found"}))),
    }
}

pub async fn cloudbeds(reservations: HashMap<String, Value>, knobs: Knobs) -> (String, Arc<CloudbedsFake>) {
    let fake = Arc::new(CloudbedsFake { reservations: Mutex::new(reservations), knobs, calls: Mutex::new(Vec::new()) });
    let app = Router::new().route("/api/v1.3/getReservation", get(cloudbeds_handler)).with_state(fake.clone());
    (format!("{}/api/v1.3", serve(app).await), fake)
}
