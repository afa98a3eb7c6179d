//! `handle_pms_webhook` on an embedded App (memory store, PMS adapters without vendor API
//! credentials, so no network) with arbitrary bodies and headers.
//!
//! Input: one control byte, then the body. Control bits:
//! - 0..=2: route `pms`: 0 canonical, 1 smoobu, 2 mews, 3 cloudbeds, 4 an unknown PMS, else canonical;
//! - 3..=4: authentication: 0 signed (or `?token=`) with the current secret, 1 raw headers taken
//!   from the input (`<timestamp>\n<signature>\n<body>`), 2 none, 3 signed with the rotated-out secret;
//! - 5: an unknown property in the URL;
//! - 6: the store already holds a reservation (r-1001, delivered signed first);
//! - 7: the property is connected to another PMS than the route's.
//!
//! Invariants: never panics; only 200/400/401/404/413/503; unless the answer is 200 nothing is
//! stored and no event is published; a 200 that is a duplicate, stale or ignored delivery
//! changes nothing either.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use relais_app::AppConfig;
use relais_app::embedded::{MailOutbox, MemoryStore, OutboxChannel};
use relais_app::intake::handle_pms_webhook;
use relais_app::local::{LocalParts, LocalRuntime};
use relais_app::ports::{InboundRequest, PmsVendors, Store};
use relais_domain::Channel;
use relais_domain::intake::sign;
use relais_fuzz::{OLD_SECRET, SECRET, clock, now, property, split_line};

const EXISTING: &[u8] = include_bytes!("../../tests/fixtures/canonical/new_reservation.json");

fn vendors() -> Arc<dyn PmsVendors> {
    static VENDORS: OnceLock<Arc<dyn PmsVendors>> = OnceLock::new();
    VENDORS.get_or_init(|| Arc::new(relais_pms::PmsAdapters::new(clock()).expect("HTTP client builds"))).clone()
}

fn tokio() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime"))
}

fn signed(secret: &str, body: &[u8], pms: &str) -> InboundRequest {
    let mut request = InboundRequest { body: body.to_vec(), ..InboundRequest::default() };
    let t = now().timestamp();
    request.headers.insert("x-relais-timestamp".into(), t.to_string());
    request.headers.insert("x-relais-signature".into(), sign(secret, t, body));
    if pms != "canonical" {
        request.query.insert("token".into(), secret.into());
    }
    request
}

async fn run(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else { return };
    let pms = ["canonical", "smoobu", "mews", "cloudbeds", "unknown-pms", "canonical", "canonical", "canonical"]
        [usize::from(control & 0b111)];
    let connected = if control & 0x80 != 0 {
        "smoobu-other"
    } else if pms == "canonical" {
        "mews"
    } else {
        pms
    };
    let property_id = if control & 0x20 != 0 { "p-nope" } else { "p-lis" };

    let store = Arc::new(MemoryStore::new());
    let rt = LocalRuntime::new(LocalParts {
        store: store.clone(),
        clock: clock(),
        outbox: OutboxChannel::new(Channel::Whatsapp, Vec::new(), clock()),
        whatsapp: None,
        sms: None,
        mail: MailOutbox::new(None),
        vendors: Some(vendors()),
        config: AppConfig::default(),
        whatsapp_rejects: vec![],
        sms_rejects: vec![],
    });
    store.put_property(&property(connected)).await.expect("memory store");
    if control & 0x40 != 0 {
        let reply = handle_pms_webhook(&rt.app, "canonical", "p-lis", &signed(SECRET, EXISTING, "canonical")).await;
        assert_eq!(reply.status, 200, "the seed reservation is accepted: {:?}", reply.body);
        rt.bus.take_all();
    }

    let request = match (control >> 3) & 0b11 {
        0 => signed(SECRET, rest, pms),
        1 => {
            let (ts, after) = split_line(rest);
            let (sig, body) = split_line(after);
            let mut request = InboundRequest { body: body.to_vec(), ..InboundRequest::default() };
            request.headers.insert("x-relais-timestamp".into(), String::from_utf8_lossy(ts).into_owned());
            request.headers.insert("x-relais-signature".into(), String::from_utf8_lossy(sig).into_owned());
            request.query.insert("token".into(), String::from_utf8_lossy(sig).into_owned());
            request
        }
        2 => InboundRequest { body: rest.to_vec(), ..InboundRequest::default() },
        _ => signed(OLD_SECRET, rest, pms),
    };

    let before = serde_json::to_string(&store.all_reservations()).expect("records serialize");
    let reply = handle_pms_webhook(&rt.app, pms, property_id, &request).await;
    let after = serde_json::to_string(&store.all_reservations()).expect("records serialize");
    let events = rt.bus.take_all();
    assert!(matches!(reply.status, 200 | 400 | 401 | 404 | 413 | 503), "unexpected status {}", reply.status);
    if reply.status != 200 {
        assert_eq!(before, after, "a {} reply changed the store: {:?}", reply.status, reply.body);
        assert!(events.is_empty(), "a {} reply published {events:?}", reply.status);
        assert!(reply.body["error"]["code"].is_string(), "error replies carry a code: {:?}", reply.body);
    } else {
        let results = match reply.body.get("results") {
            Some(serde_json::Value::Array(all)) => all.clone(),
            _ => vec![reply.body.clone()],
        };
        let stored = results.iter().any(|r| r["result"] == "stored");
        if !stored {
            assert_eq!(before, after, "a 200 without `stored` changed the store: {:?}", reply.body);
            assert!(events.is_empty(), "a 200 without `stored` published {events:?}");
        } else {
            assert!(!events.is_empty(), "a stored change published nothing: {:?}", reply.body);
        }
    }
    let property_after = store.get_property("p-lis").await.expect("memory store");
    assert_eq!(property_after, Some(property(connected)), "intake changed the property");
}

fuzz_target!(|data: &[u8]| {
    tokio().block_on(run(data));
});
