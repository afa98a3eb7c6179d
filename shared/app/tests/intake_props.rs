//! `handle_pms_webhook` under generated input (SPEC 4):
//! - arbitrary bodies and headers never panic the handler, and nothing is stored and no event is
//!   published unless the answer is 200 (a 200 that is a duplicate or stale delivery changes
//!   nothing either);
//! - valid signed bodies are stored exactly once even when delivered repeatedly and out of order:
//!   the newest version wins, each version is stored at most once, one `ReservationChanged` per
//!   stored change, and redelivering everything afterwards changes nothing.
//!
//! `RELAIS_INTAKE_CASES` sets the number of generated cases (default 256 and 64).

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use relais_app::embedded::VirtualClock;
use relais_app::intake::{HttpReply, handle_pms_webhook};
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{InboundRequest, Store};
use relais_domain::Property;
use relais_domain::intake::{MAX_BODY_BYTES, sign};
use serde_json::{Value, json};

const SECRET: &str = "s3cret";
const OLD_SECRET: &str = "old-s3cret";

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

fn property() -> Property {
    serde_json::from_value(json!({
        "id": "p-lis", "account_id": "acc-1", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon",
        "check_in_time": "15:00", "check_out_time": "11:00", "pms": "mews", "webhook_secret": SECRET,
        "previous_webhook_secret": {"secret": OLD_SECRET, "valid_until": "2026-06-02T00:00:00Z"},
        "units": [{"id": "101"}, {"id": "102"}]
    }))
    .unwrap()
}

async fn runtime() -> LocalRuntime {
    let clock = Arc::new(VirtualClock::new(start()));
    let rt = LocalRuntime::new(LocalParts { ..LocalParts::in_memory(clock.clone()) });
    rt.store.put_property(&property()).await.unwrap();
    rt
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn cases(default: u32) -> u32 {
    std::env::var("RELAIS_INTAKE_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A valid canonical body: reservation `r{guest}`, version `version` (its `updated_at`).
fn canonical(guest: u8, version: u32, status: usize, check_in_day: u32, nights: u32, event: &str) -> Value {
    let statuses = ["confirmed", "checked_in", "checked_out", "canceled"];
    let check_in = NaiveDate::from_ymd_opt(2030, 7, check_in_day).unwrap();
    let updated_at = start() - Duration::days(1) + Duration::minutes(i64::from(version));
    json!({
        "event_id": event,
        "occurred_at": updated_at,
        "reservation": {
            "id": format!("r{guest}"), "property_id": "p-lis", "unit_id": "101", "source": "direct",
            "status": statuses[status], "check_in": check_in, "check_out": check_in + Duration::days(i64::from(nights)),
            "guest": {"first_name": "Ana", "last_name": "Silva", "phone": "+351912345678", "language": "pt-PT"},
            "adults": 2, "children": 0, "total_amount": "420.00", "currency": "EUR", "updated_at": updated_at
        }
    })
}

#[derive(Debug, Clone)]
enum Auth {
    Signed,
    OldSecret,
    WrongSecret,
    Stale(i64),
    Missing,
    Raw(Option<String>, Option<String>),
}

#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Valid(Value),
    /// A valid body with the value at a path replaced (or removed, for `None`).
    Mutated(Value, Vec<String>, Option<Value>),
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("2030-02-30"),
            Just("2030-07-01"),
            Just("2026-06-01T09:00:00Z"),
            Just("2026-06-01T09:00:00+25:00"),
            Just("confirmed"),
            Just("canceled"),
            Just("+351912345678"),
            Just("+0123"),
            Just("pt-BR"),
            Just("-1"),
            Just("1e400"),
            Just("p-other"),
            Just(""),
            Just(" "),
        ]
        .prop_map(|s| json!(s)),
        Just(json!({})),
        Just(json!([])),
    ]
}

fn path_in(body: &Value) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    fn walk(v: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        if let Value::Object(map) = v {
            for (k, child) in map {
                prefix.push(k.clone());
                out.push(prefix.clone());
                walk(child, prefix, out);
                prefix.pop();
            }
        }
    }
    walk(body, &mut Vec::new(), &mut out);
    out.push(vec!["reservation".into(), "review".into()]);
    out.push(vec!["reservation".into(), "eta".into()]);
    out.push(vec!["extra".into()]);
    out
}

fn body() -> impl Strategy<Value = Body> {
    let valid = (0u8..3, 0u32..50, 0usize..4, 1u32..28, 0u32..5, "[a-z0-9-]{1,8}")
        .prop_map(|(g, v, s, d, n, e)| canonical(g, v, s, d, n, &e));
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..600).prop_map(Body::Bytes),
        1 => ".{0,200}".prop_map(|s| Body::Bytes(s.into_bytes())),
        2 => valid.clone().prop_map(Body::Valid),
        5 => (valid, any::<prop::sample::Index>(), prop::option::weighted(0.8, json_leaf())).prop_map(|(v, i, leaf)| {
            let paths = path_in(&v);
            let path = paths[i.index(paths.len())].clone();
            Body::Mutated(v, path, leaf)
        }),
    ]
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        6 => Just(Auth::Signed),
        1 => Just(Auth::OldSecret),
        1 => Just(Auth::WrongSecret),
        1 => prop_oneof![-100_000i64..-301, 301i64..100_000].prop_map(Auth::Stale),
        1 => Just(Auth::Missing),
        2 => (
            prop::option::of(prop_oneof![".{0,24}", "-?[0-9]{1,20}", Just(" 1780304400 ".to_string())]),
            prop::option::of(prop_oneof![".{0,40}", "sha256=[0-9a-fA-F]{0,70}", Just("sha256=".to_string())]),
        )
            .prop_map(|(t, s)| Auth::Raw(t, s)),
    ]
}

fn render(body: &Body) -> Vec<u8> {
    match body {
        Body::Bytes(b) => b.clone(),
        Body::Valid(v) => serde_json::to_vec(v).unwrap(),
        Body::Mutated(v, path, leaf) => {
            let mut v = v.clone();
            let (last, parents) = path.split_last().unwrap();
            let mut at = &mut v;
            for p in parents {
                at = at.get_mut(p.as_str()).unwrap();
            }
            if let Value::Object(map) = at {
                match leaf {
                    Some(leaf) => {
                        map.insert(last.clone(), leaf.clone());
                    }
                    None => {
                        map.remove(last.as_str());
                    }
                }
            }
            serde_json::to_vec(&v).unwrap()
        }
    }
}

fn request(auth: &Auth, body: &[u8]) -> InboundRequest {
    let mut request = InboundRequest { body: body.to_vec(), ..InboundRequest::default() };
    let now = start().timestamp();
    let mut headers = |t: Option<String>, s: Option<String>| {
        if let Some(t) = t {
            request.headers.insert("x-relais-timestamp".into(), t);
        }
        if let Some(s) = s {
            request.headers.insert("x-relais-signature".into(), s);
        }
    };
    match auth {
        Auth::Signed => headers(Some(now.to_string()), Some(sign(SECRET, now, body))),
        Auth::OldSecret => headers(Some(now.to_string()), Some(sign(OLD_SECRET, now, body))),
        Auth::WrongSecret => headers(Some(now.to_string()), Some(sign("not-the-secret", now, body))),
        Auth::Stale(skew) => headers(Some((now + skew).to_string()), Some(sign(SECRET, now + skew, body))),
        Auth::Missing => headers(None, None),
        Auth::Raw(t, s) => headers(t.clone(), s.clone()),
    }
    request
}

fn results(reply: &HttpReply) -> Vec<Value> {
    match reply.body.get("results") {
        Some(Value::Array(all)) => all.clone(),
        _ => vec![reply.body.clone()],
    }
}

fn snapshot(rt: &LocalRuntime) -> String {
    serde_json::to_string(&rt.store.all_reservations()).unwrap()
}

/// One delivery, with the invariants every delivery keeps.
async fn deliver(rt: &LocalRuntime, pms: &str, property_id: &str, request: &InboundRequest) -> HttpReply {
    let before = snapshot(rt);
    let reply = handle_pms_webhook(&rt.app, pms, property_id, request).await;
    let after = snapshot(rt);
    let events = rt.bus.take_all();
    assert!(matches!(reply.status, 200 | 400 | 401 | 404 | 413), "unexpected {}: {:?}", reply.status, reply.body);
    let stored = reply.status == 200 && results(&reply).iter().any(|r| r["result"] == "stored");
    if stored {
        assert_eq!(events.len(), 1, "one ReservationChanged per stored change: {events:?}");
        assert_ne!(before, after);
    } else {
        assert_eq!(before, after, "a {} reply changed the store: {:?}", reply.status, reply.body);
        assert!(events.is_empty(), "a {} reply published {events:?}", reply.status);
    }
    if reply.status != 200 {
        assert!(reply.body["error"]["code"].is_string(), "{:?}", reply.body);
        assert!(reply.body["error"]["message"].is_string(), "{:?}", reply.body);
    }
    reply
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    /// Arbitrary bodies and headers: no panic, nothing stored unless 200, and the status the
    /// SPEC gives for each kind of request.
    #[test]
    fn arbitrary_requests_never_panic_nor_store_unless_200(
        deliveries in prop::collection::vec(
            (body(), auth(), prop::sample::select(vec!["canonical", "canonical", "canonical", "mews", "nope"]),
             prop::sample::select(vec!["p-lis", "p-lis", "p-lis", "p-unknown"])),
            1..8,
        )
    ) {
        block_on(async {
            let rt = runtime().await;
            for (body, auth, pms, property_id) in &deliveries {
                let bytes = render(body);
                let request = request(auth, &bytes);
                let reply = deliver(&rt, pms, property_id, &request).await;
                if *property_id != "p-lis" {
                    assert_eq!(reply.status, 404, "{:?}", reply.body);
                    continue;
                }
                if *pms != "canonical" {
                    // No vendor adapters in this App: an unknown PMS route.
                    assert_eq!(reply.status, 404, "{:?}", reply.body);
                    assert_eq!(reply.body["error"]["field"], "pms");
                    continue;
                }
                match auth {
                    Auth::Signed | Auth::OldSecret => {
                        assert!(matches!(reply.status, 200 | 400), "{auth:?}: {} {:?}", reply.status, reply.body);
                    }
                    Auth::WrongSecret | Auth::Stale(_) | Auth::Missing => {
                        assert_eq!(reply.status, 401, "{auth:?}: {:?}", reply.body);
                    }
                    // The fuzzer cannot forge an HMAC.
                    Auth::Raw(..) => assert_eq!(reply.status, 401, "{auth:?}: {:?}", reply.body),
                }
                if let (Body::Valid(_), Auth::Signed | Auth::OldSecret) = (body, auth) {
                    assert_eq!(reply.status, 200, "a valid signed body is accepted: {:?}", reply.body);
                }
                if reply.status == 400 {
                    assert!(reply.body["error"]["field"].is_string(), "a 400 names the field: {:?}", reply.body);
                    assert_eq!(reply.body["error"]["code"], "invalid_payload");
                }
            }
        });
    }

    /// Valid signed bodies, delivered repeatedly and in any order: stored exactly once each,
    /// the newest version wins, and a second delivery of everything changes nothing.
    #[test]
    fn valid_signed_bodies_are_stored_exactly_once(
        versions in prop::collection::vec((0u8..3, 0usize..4, 1u32..28, 0u32..5), 1..10),
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..30),
        old_secret in any::<bool>(),
    ) {
        block_on(async {
            let rt = runtime().await;
            // Version i of its reservation; updated_at grows with i, so every version differs.
            let bodies: Vec<(String, u32, Vec<u8>)> = versions
                .iter()
                .enumerate()
                .map(|(i, (guest, status, day, nights))| {
                    let event = format!("evt-{i}");
                    let v = canonical(*guest, i as u32, *status, *day, *nights, &event);
                    (format!("r{guest}"), i as u32, serde_json::to_vec(&v).unwrap())
                })
                .collect();
            // Every version at least once, then repeats and reorderings.
            let mut schedule: Vec<usize> = (0..bodies.len()).collect();
            for (k, pick) in order.iter().enumerate() {
                let i = pick.index(bodies.len());
                let at = (k * 7 + i) % (schedule.len() + 1);
                schedule.insert(at, i);
            }
            let secret = if old_secret { OLD_SECRET } else { SECRET };
            let mut stored_versions: BTreeMap<usize, u32> = BTreeMap::new();
            let mut newest_seen: BTreeMap<String, u32> = BTreeMap::new();
            for &i in &schedule {
                let (id, version, bytes) = &bodies[i];
                let now = start().timestamp();
                let mut request = InboundRequest { body: bytes.clone(), ..InboundRequest::default() };
                request.headers.insert("x-relais-timestamp".into(), now.to_string());
                request.headers.insert("x-relais-signature".into(), sign(secret, now, bytes));
                let reply = deliver(&rt, "canonical", "p-lis", &request).await;
                assert_eq!(reply.status, 200, "{:?}", reply.body);
                let result = reply.body["result"].as_str().unwrap().to_string();
                let newest = newest_seen.get(id).copied();
                match result.as_str() {
                    "stored" => {
                        *stored_versions.entry(i).or_default() += 1;
                        assert!(newest.is_none_or(|n| *version > n), "v{version} of {id} stored after v{newest:?}");
                    }
                    "stale" => assert!(newest.is_some_and(|n| *version < n), "v{version} of {id} stale, newest {newest:?}"),
                    "duplicate" => assert!(stored_versions.contains_key(&i), "v{version} of {id} duplicate before stored"),
                    other => panic!("unexpected result {other}"),
                }
                newest_seen.insert(id.clone(), newest.map_or(*version, |n| n.max(*version)));
            }
            for (i, count) in &stored_versions {
                assert_eq!(*count, 1, "version {i} stored {count} times");
            }
            // The newest version of each reservation is stored, once.
            let mut newest_index: BTreeMap<&str, usize> = BTreeMap::new();
            for (i, (id, _, _)) in bodies.iter().enumerate() {
                newest_index.insert(id, i);
            }
            let records = rt.store.all_reservations();
            assert_eq!(records.len(), newest_index.len());
            for (id, i) in &newest_index {
                assert_eq!(stored_versions.get(i), Some(&1), "newest version of {id} not stored once");
                let record = records.iter().find(|r| r.reservation.id == *id).unwrap();
                let expected = relais_domain::intake::parse_canonical(&bodies[*i].2).unwrap();
                assert_eq!(record.reservation, expected.reservation);
                assert!(record.unpublished.is_none(), "{id}: a stored change left unpublished");
                let seqs: Vec<u32> = record.transitions.iter().map(|t| t.seq).collect();
                assert_eq!(seqs, (1..=seqs.len() as u32).collect::<Vec<_>>());
            }
            // Redelivering everything (in reverse) changes nothing.
            let before = snapshot(&rt);
            let mut ids = BTreeSet::new();
            for (id, _, bytes) in bodies.iter().rev() {
                ids.insert(id.clone());
                let now = start().timestamp();
                let mut request = InboundRequest { body: bytes.clone(), ..InboundRequest::default() };
                request.headers.insert("x-relais-timestamp".into(), now.to_string());
                request.headers.insert("x-relais-signature".into(), sign(SECRET, now, bytes));
                let reply = deliver(&rt, "canonical", "p-lis", &request).await;
                assert!(reply.body["result"] == "duplicate" || reply.body["result"] == "stale", "{:?}", reply.body);
            }
            assert_eq!(before, snapshot(&rt));
        });
    }
}

/// 413 over 256 KiB, even when signed, and nothing stored.
#[test]
fn oversized_body_is_413_and_stores_nothing() {
    block_on(async {
        let rt = runtime().await;
        let mut v = canonical(0, 1, 0, 10, 2, "evt-big");
        v["reservation"]["guest"]["hometown"] = json!("x".repeat(MAX_BODY_BYTES));
        let bytes = serde_json::to_vec(&v).unwrap();
        let reply = deliver(&rt, "canonical", "p-lis", &request(&Auth::Signed, &bytes)).await;
        assert_eq!(reply.status, 413, "{:?}", reply.body);
        assert!(rt.store.all_reservations().is_empty());
    });
}

/// A canonical body for another property, signed with this one's secret: 400 naming the field.
#[test]
fn reservation_for_another_property_is_refused() {
    block_on(async {
        let rt = runtime().await;
        let mut v = canonical(0, 1, 0, 10, 2, "evt-other");
        v["reservation"]["property_id"] = json!("p-other");
        let bytes = serde_json::to_vec(&v).unwrap();
        let reply = deliver(&rt, "canonical", "p-lis", &request(&Auth::Signed, &bytes)).await;
        assert_eq!(reply.status, 400, "{:?}", reply.body);
        assert_eq!(reply.body["error"]["field"], "reservation.property_id");
    });
}
