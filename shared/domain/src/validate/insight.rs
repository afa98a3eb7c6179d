//! The statistics query (`GET /stats`) and the set preview request (`POST /preview`),
//! docs/statistics.md.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::Value;

use super::json::{Checker, index_path};
use super::{FieldError, codes};
use crate::stats::check_range;

/// Most campaigns (stored and drafts together) one set preview runs.
pub const PREVIEW_MAX_CAMPAIGNS: usize = 10;
/// `max_per_guest_per_day` when the request leaves it out: more than one message to a guest on
/// one day is worth a warning.
pub const DEFAULT_MAX_PER_GUEST_PER_DAY: u32 = 1;

/// `GET /stats` parameters, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsParams {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub property_id: Option<String>,
    pub campaign_id: Option<String>,
}

fn date_param(checker: &mut Checker, params: &BTreeMap<String, String>, name: &str) -> Option<NaiveDate> {
    match params.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => {
            checker.error(name, codes::REQUIRED, format!("{name} is required, a date written YYYY-MM-DD"));
            None
        }
        Some(text) => checker.date(name, &Value::String(text.to_string())),
    }
}

/// Check the query parameters of `GET /stats`: `from` and `to` required (YYYY-MM-DD, at most
/// 366 days apart), `property_id` and `campaign_id` optional; any other parameter is refused.
pub fn parse_stats_params(params: &BTreeMap<String, String>) -> Result<StatsParams, Vec<FieldError>> {
    let mut checker = Checker::default();
    for name in params.keys() {
        if !["from", "to", "property_id", "campaign_id"].contains(&name.as_str()) {
            checker.error(
                name,
                codes::UNKNOWN_FIELD,
                format!("unknown parameter `{name}` (from, to, property_id, campaign_id)"),
            );
        }
    }
    let from = date_param(&mut checker, params, "from");
    let to = date_param(&mut checker, params, "to");
    if let (Some(from), Some(to)) = (from, to)
        && let Err(e) = check_range(from, to)
    {
        checker.errors.push(e);
    }
    let optional = |name: &str| params.get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    match (from, to) {
        (Some(from), Some(to)) if checker.is_clean() => {
            Ok(StatsParams { from, to, property_id: optional("property_id"), campaign_id: optional("campaign_id") })
        }
        _ => Err(checker.errors),
    }
}

/// `POST /preview`, checked as far as it can be without the account: the drafts are returned
/// as written, to be validated as `POST /campaigns` bodies (errors then prefixed `drafts[i].`).
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewRequest {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub campaign_ids: Vec<String>,
    pub drafts: Vec<Value>,
    pub max_per_guest_per_day: u32,
}

pub fn parse_preview_request(body: &Value) -> Result<PreviewRequest, Vec<FieldError>> {
    let mut checker = Checker::default();
    let Some(map) = checker.object("", body) else { return Err(checker.errors) };
    checker.only_fields("", map, &["from", "to", "campaign_ids", "drafts", "max_per_guest_per_day"]);
    let from = checker.required("", map, "from").and_then(|v| checker.date("from", v));
    let to = checker.required("", map, "to").and_then(|v| checker.date("to", v));
    if let (Some(from), Some(to)) = (from, to)
        && let Err(e) = check_range(from, to)
    {
        checker.errors.push(e);
    }
    let mut campaign_ids = Vec::new();
    if let Some(list) = Checker::optional(map, "campaign_ids") {
        match list.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = index_path("campaign_ids", i);
                    if let Some(id) = checker.non_empty_string(&path, item) {
                        if campaign_ids.iter().any(|known| known == id) {
                            checker.error(&path, codes::DUPLICATE, format!("campaign {id} is listed twice"));
                        } else {
                            campaign_ids.push(id.to_string());
                        }
                    }
                }
            }
            None => checker.error("campaign_ids", codes::INVALID_TYPE, "campaign_ids must be a list of campaign ids"),
        }
    }
    let mut drafts = Vec::new();
    if let Some(list) = Checker::optional(map, "drafts") {
        match list.as_array() {
            Some(items) => drafts.extend(items.iter().cloned()),
            None => checker.error("drafts", codes::INVALID_TYPE, "drafts must be a list of campaign bodies"),
        }
    }
    let total = campaign_ids.len() + drafts.len();
    if total == 0 && checker.is_clean() {
        checker.error("campaign_ids", codes::EMPTY, "name at least one campaign in campaign_ids or drafts");
    }
    if total > PREVIEW_MAX_CAMPAIGNS {
        checker.error(
            "campaign_ids",
            codes::TOO_MANY,
            format!(
                "{total} campaigns; a preview runs at most {PREVIEW_MAX_CAMPAIGNS} (campaign_ids and drafts together)"
            ),
        );
    }
    let max_per_guest_per_day = match Checker::optional(map, "max_per_guest_per_day") {
        None => Some(i64::from(DEFAULT_MAX_PER_GUEST_PER_DAY)),
        Some(v) => checker.integer("max_per_guest_per_day", v, 1, 100),
    };
    match (from, to, max_per_guest_per_day.and_then(|n| u32::try_from(n).ok())) {
        (Some(from), Some(to), Some(max_per_guest_per_day)) if checker.is_clean() => {
            Ok(PreviewRequest { from, to, campaign_ids, drafts, max_per_guest_per_day })
        }
        _ => Err(checker.errors),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn stats_parameters_name_what_is_wrong() {
        let ok = parse_stats_params(&params(&[("from", "2026-06-01"), ("to", "2026-06-30"), ("property_id", "p")]));
        assert_eq!(ok.unwrap().property_id.as_deref(), Some("p"));
        assert_eq!(fields(parse_stats_params(&params(&[("to", "2026-06-30")])).unwrap_err()), ["from"]);
        assert_eq!(
            fields(parse_stats_params(&params(&[("from", "06/01/2026"), ("to", "2026-06-30")])).unwrap_err()),
            ["from"]
        );
        assert_eq!(
            fields(parse_stats_params(&params(&[("from", "2026-01-01"), ("to", "2027-06-30")])).unwrap_err()),
            ["to"]
        );
        assert_eq!(
            fields(
                parse_stats_params(&params(&[("from", "2026-06-01"), ("to", "2026-06-30"), ("form", "x")]))
                    .unwrap_err()
            ),
            ["form"]
        );
    }

    #[test]
    fn preview_requests_are_bounded() {
        let ok = parse_preview_request(&json!({"from": "2026-06-01", "to": "2026-09-30", "campaign_ids": ["c-1"]}));
        assert_eq!(ok.unwrap().max_per_guest_per_day, DEFAULT_MAX_PER_GUEST_PER_DAY);
        let none = parse_preview_request(&json!({"from": "2026-06-01", "to": "2026-09-30"}));
        assert_eq!(fields(none.unwrap_err()), ["campaign_ids"]);
        let ids: Vec<String> = (0..11).map(|i| format!("c-{i}")).collect();
        let many = parse_preview_request(&json!({"from": "2026-06-01", "to": "2026-06-30", "campaign_ids": ids}));
        assert_eq!(fields(many.unwrap_err()), ["campaign_ids"]);
        let bad = parse_preview_request(&json!({"from": "2026-06-01", "to": "2028-01-01", "campaign_ids": ["c", "c"],
            "max_per_guest_per_day": 0, "extra": 1}));
        assert_eq!(fields(bad.unwrap_err()), ["extra", "to", "campaign_ids[1]", "max_per_guest_per_day"]);
    }
}
