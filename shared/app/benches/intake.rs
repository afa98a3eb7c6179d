//! Webhook handling time (SPEC 4): `handle_pms_webhook` for a signed canonical body on the
//! embedded store: verify the signature, parse and check the body, decide (new, update,
//! duplicate), store the record with its transition and publish `ReservationChanged`.
//! The store already holds 10 000 other reservations of the property. The request is built
//! (and signed) outside the measurement; the evaluator that consumes the event is not run.

// Tests may unwrap, expect and panic: a failing check is what they are for.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use relais_app::embedded::VirtualClock;
use relais_app::intake::{handle_pms_webhook, ingest};
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{InboundRequest, Store};
use relais_domain::Property;
use relais_domain::intake::{parse_canonical, sign};
use serde_json::json;

const SECRET: &str = "s3cret";
const OTHERS: usize = 10_000;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

fn body(id: &str, event: &str, check_in: &str, check_out: &str, minutes: i64) -> Vec<u8> {
    let updated_at = now() - Duration::hours(1) + Duration::minutes(minutes);
    serde_json::to_vec(&json!({
        "event_id": event, "occurred_at": updated_at,
        "reservation": {"id": id, "property_id": "p-lis", "unit_id": "101", "source": "booking_com",
            "status": "confirmed", "check_in": check_in, "check_out": check_out, "eta": "16:30",
            "guest": {"first_name": "Ana", "last_name": "Silva", "email": "ana.silva@example.com",
                      "phone": "+351912345678", "language": "pt-PT"},
            "adults": 2, "children": 1, "total_amount": "420.00", "currency": "EUR", "updated_at": updated_at}
    }))
    .unwrap()
}

fn signed(body: Vec<u8>) -> InboundRequest {
    let t = now().timestamp();
    let mut request = InboundRequest::default();
    request.headers.insert("x-relais-timestamp".into(), t.to_string());
    request.headers.insert("x-relais-signature".into(), sign(SECRET, t, &body));
    request.body = body;
    request
}

/// An embedded App whose store holds the property, `OTHERS` reservations and r-1001 (v1).
fn runtime(tokio: &tokio::runtime::Runtime) -> LocalRuntime {
    let clock = Arc::new(VirtualClock::new(now()));
    let rt = LocalRuntime::new(LocalParts { ..LocalParts::in_memory(clock.clone()) });
    let property: Property = serde_json::from_value(json!({
        "id": "p-lis", "account_id": "acc-1", "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon",
        "check_in_time": "15:00", "check_out_time": "11:00", "pms": "mews", "webhook_secret": SECRET,
        "units": [{"id": "101"}]
    }))
    .unwrap();
    tokio.block_on(async {
        rt.store.put_property(&property).await.unwrap();
        for i in 0..=OTHERS {
            let id = if i == OTHERS { "r-1001".to_string() } else { format!("r-other-{i}") };
            let event = parse_canonical(&body(&id, &format!("e-{id}"), "2030-07-10", "2030-07-13", 0)).unwrap();
            ingest(&rt.app, &event.event_id, event.reservation, now()).await.unwrap();
        }
        rt.bus.take_all();
    });
    rt
}

fn bench(c: &mut Criterion) {
    let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let rt = runtime(&tokio);
    let mut group = c.benchmark_group("intake");

    // A new reservation: a fresh id each iteration (the store grows by one record per iteration).
    let mut n = 0u64;
    group.bench_function("new reservation", |b| {
        b.to_async(&tokio).iter_batched(
            || {
                n += 1;
                signed(body(&format!("r-new-{n}"), &format!("e-new-{n}"), "2030-07-10", "2030-07-13", 0))
            },
            |request| {
                let app = &rt.app;
                async move {
                    let reply = handle_pms_webhook(app, "canonical", "p-lis", &request).await;
                    assert_eq!(reply.body["result"], "stored");
                }
            },
            BatchSize::SmallInput,
        )
    });

    // An update of r-1001 (date change): each iteration a newer version.
    let mut v = 0i64;
    group.bench_function("update (date change)", |b| {
        b.to_async(&tokio).iter_batched(
            || {
                v += 1;
                let (check_in, check_out) =
                    if v % 2 == 0 { ("2030-07-10", "2030-07-13") } else { ("2030-07-12", "2030-07-16") };
                signed(body("r-1001", &format!("e-upd-{v}"), check_in, check_out, v))
            },
            |request| {
                let app = &rt.app;
                async move {
                    let reply = handle_pms_webhook(app, "canonical", "p-lis", &request).await;
                    assert_eq!(reply.body["result"], "stored");
                }
            },
            BatchSize::SmallInput,
        )
    });

    // A duplicate delivery of an already stored event.
    let duplicate = signed(body("r-other-7", "e-r-other-7", "2030-07-10", "2030-07-13", 0));
    group.bench_function("duplicate", |b| {
        b.to_async(&tokio).iter(|| async {
            let reply = handle_pms_webhook(&rt.app, "canonical", "p-lis", &duplicate).await;
            assert_eq!(reply.body["result"], "duplicate");
        })
    });

    // A refused delivery (wrong signature): the cost of turning a forged request away.
    let mut forged = signed(body("r-x", "e-x", "2030-07-10", "2030-07-13", 0));
    forged.headers.insert("x-relais-signature".into(), sign("wrong", now().timestamp(), &forged.body));
    group.bench_function("refused (bad signature)", |b| {
        b.to_async(&tokio).iter(|| async {
            let reply = handle_pms_webhook(&rt.app, "canonical", "p-lis", &forged).await;
            assert_eq!(reply.status, 401);
        })
    });
    group.finish();
    rt.bus.take_all();
}

criterion_group!(benches, bench);
criterion_main!(benches);
