//! Mews: `parse_webhook` on the bytes before the first NUL, and `map_all` on what a Connector
//! API could answer, taken from the JSON after it:
//! `{"Reservations": [..], "Customers": [..], "AgeCategories": [..], "OrderItems": [..],
//!   "GroupSources": {group: name}, "ResourceNames": {id: name}}`. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relais_fuzz::{json_or_null, property, split_nul};
use relais_pms::mews::{MewsData, map_all, parse_webhook};
use serde_json::Value;

fn list(v: &Value, key: &str) -> Vec<Value> {
    v.get(key).and_then(Value::as_array).cloned().unwrap_or_default()
}

fn by_id(v: &Value, key: &str) -> std::collections::HashMap<String, Value> {
    list(v, key).into_iter().filter_map(|item| Some((item.get("Id")?.as_str()?.to_string(), item))).collect()
}

fn names(v: &Value, key: &str) -> std::collections::HashMap<String, String> {
    v.get(key)
        .and_then(Value::as_object)
        .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let (hook, api) = split_nul(data);
    let _ = parse_webhook(hook);
    let api = json_or_null(api);
    let data = MewsData {
        reservations: list(&api, "Reservations"),
        customers: by_id(&api, "Customers"),
        age_categories: by_id(&api, "AgeCategories"),
        order_items: list(&api, "OrderItems"),
        group_sources: names(&api, "GroupSources"),
        resource_names: names(&api, "ResourceNames"),
    };
    let p = property("mews");
    if let Ok(events) = map_all(&p, &data) {
        for event in events {
            serde_json::to_vec(&event.reservation).expect("a mapped reservation serializes");
        }
    }
});
