//! Mews (Connector API). The General Webhook carries only ids:
//! `{EnterpriseId, IntegrationId, Events: [{Discriminator, Value: {Id}}]}`.
//!
//! - `ServiceOrderUpdated`: a reservation changed -> fetch it.
//! - `CustomerAdded` / `CustomerUpdated`: a guest changed -> fetch that customer's open
//!   (`Confirmed`, `Started`) reservations, so new contact data reaches pending messages.
//! - anything else (`ResourceUpdated`, `MessageAdded`, `PaymentUpdated`, future kinds): ignored.
//!   Event kinds are not statuses: Mews may add kinds to the webhook at any time and a 400 would
//!   make it re-send, then drop, the whole batch with the reservation events in it.
//!
//! Then, all with `ClientToken` / `AccessToken` / `Client` in the JSON body (Mews' auth) and
//! cursor pagination (`Limitation {Count, Cursor}`) until a short page or a null cursor:
//! `reservations/getAll/2023-06-06`, `customers/getAll`, `ageCategories/getAll`,
//! `orderItems/getAll` (amounts), `sourceAssignments/getAll` + `sources/getAll` (booking source
//! name; if Mews refuses those, the reservation `Origin` decides), `resources/getAll` (room
//! name, only when the property's units need it).
//!
//! | Mews `State` | canonical |
//! |---|---|
//! | `Confirmed` | `confirmed` |
//! | `Started` | `checked_in` |
//! | `Processed` | `checked_out` |
//! | `Canceled` | `canceled` |
//! | `Inquired` / `Enquired`, `Optional`, `Requested` | skipped: not a booking the guest and hotel both confirmed yet |
//! | anything else | 400 naming `Reservation.State` |

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use relais_app::ports::{VendorError, VendorEvent};
use relais_domain::time::local_date;
use relais_domain::{Amount, Guest, Property, Reservation, ReservationStatus, Source};
use serde_json::{Map, Value, json};

use crate::common::{
    bad, credential, decimal_of, nonempty, normalize_currency, normalize_email, normalize_language, normalize_phone,
    parse_utc, resolve_unit, source_from_channel_name, stable_event_id,
};
use crate::http::{Answer, client_error, send};

pub const DEFAULT_API_BASE: &str = "https://api.mews.com";
/// Credential names (`PmsCredentials.values`), matched case-insensitively.
pub const CLIENT_TOKEN: [&str; 2] = ["ClientToken", "client_token"];
pub const ACCESS_TOKEN: [&str; 2] = ["AccessToken", "access_token"];
pub const CLIENT_NAME: [&str; 2] = ["Client", "client"];
pub const ENTERPRISE_ID: [&str; 2] = ["EnterpriseId", "enterprise_id"];
/// Safety bound on pages per operation.
const MAX_PAGES: usize = 100;
/// Mews caps id filters at 1000 items.
const MAX_IDS: usize = 1000;

/// What a Mews General Webhook asks us to look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MewsWebhook {
    pub enterprise_id: Option<String>,
    pub reservation_ids: Vec<String>,
    pub customer_ids: Vec<String>,
}

fn valid_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Parse the General Webhook body (pure). `Ignored` when no event concerns reservations.
pub fn parse_webhook(body: &[u8]) -> Result<MewsWebhook, VendorError> {
    let v: Value = relais_domain::document::parse_value(body).map_err(|e| bad("body", format!("not JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad("body", "expected a JSON object"));
    }
    let events = match v.get("Events") {
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad("Events", "expected an array")),
        None => return Err(bad("Events", "missing")),
    };
    let mut hook = MewsWebhook { enterprise_id: nonempty(&v, &["EnterpriseId"]), ..Default::default() };
    let mut seen_res = BTreeSet::new();
    let mut seen_cust = BTreeSet::new();
    for (i, event) in events.iter().enumerate() {
        let disc = match event.get("Discriminator") {
            Some(Value::String(s)) => s.as_str(),
            _ => return Err(bad(format!("Events[{i}].Discriminator"), "expected a string")),
        };
        let wanted = match disc {
            "ServiceOrderUpdated" => Some(true),
            "CustomerAdded" | "CustomerUpdated" => Some(false),
            _ => None,
        };
        let Some(is_reservation) = wanted else { continue };
        let id = event
            .get("Value")
            .and_then(|val| val.get("Id"))
            .and_then(Value::as_str)
            .map(str::trim)
            .ok_or_else(|| bad(format!("Events[{i}].Value.Id"), "missing id"))?;
        if !valid_id(id) {
            return Err(bad(format!("Events[{i}].Value.Id"), "not a Mews identifier"));
        }
        if is_reservation {
            if seen_res.insert(id.to_string()) {
                hook.reservation_ids.push(id.to_string());
            }
        } else if seen_cust.insert(id.to_string()) {
            hook.customer_ids.push(id.to_string());
        }
    }
    if hook.reservation_ids.is_empty() && hook.customer_ids.is_empty() {
        return Err(VendorError::Ignored("no reservation or customer event in this Mews webhook".into()));
    }
    Ok(hook)
}

/// A Connector API client for one property's credentials.
pub struct MewsClient<'a> {
    http: &'a reqwest::Client,
    base: String,
    client_token: String,
    access_token: String,
    client_name: String,
    page_size: u32,
    timeout: Duration,
}

impl<'a> MewsClient<'a> {
    pub fn for_property(
        http: &'a reqwest::Client,
        property: &Property,
        default_client_name: &str,
        page_size: u32,
        timeout: Duration,
    ) -> Result<Self, VendorError> {
        let missing = |what: &str| VendorError::Unavailable(format!("the property has no Mews {what} configured"));
        let base = property
            .pms_credentials
            .as_ref()
            .and_then(|c| c.api_base.as_deref())
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
            .to_string();
        Ok(MewsClient {
            http,
            base,
            client_token: credential(property, &CLIENT_TOKEN).ok_or_else(|| missing("ClientToken"))?.to_string(),
            access_token: credential(property, &ACCESS_TOKEN).ok_or_else(|| missing("AccessToken"))?.to_string(),
            client_name: credential(property, &CLIENT_NAME).unwrap_or(default_client_name).to_string(),
            page_size: page_size.clamp(1, 1000),
            timeout,
        })
    }

    /// One paginated `getAll`: every item of `list_key` over all pages. `Err(status)` inside
    /// `Ok` when Mews answered a client error (e.g. an operation this integration may not use).
    pub async fn get_all(
        &self,
        operation: &str,
        filters: Map<String, Value>,
        list_key: &str,
    ) -> Result<Result<Vec<Value>, reqwest::StatusCode>, VendorError> {
        let url = format!("{}/api/connector/v1/{operation}", self.base);
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut body = filters.clone();
            body.insert("ClientToken".into(), json!(self.client_token));
            body.insert("AccessToken".into(), json!(self.access_token));
            body.insert("Client".into(), json!(self.client_name));
            let mut limitation = Map::new();
            limitation.insert("Count".into(), json!(self.page_size));
            if let Some(c) = &cursor {
                limitation.insert("Cursor".into(), json!(c));
            }
            body.insert("Limitation".into(), Value::Object(limitation));
            let request = self.http.post(&url).timeout(self.timeout).json(&Value::Object(body));
            let value = match send("Mews", operation, request).await? {
                Answer::Json(v) => v,
                Answer::ClientError(status) => return Ok(Err(status)),
            };
            let page = value
                .get(list_key)
                .and_then(Value::as_array)
                .ok_or_else(|| VendorError::Unavailable(format!("Mews API {operation}: answer has no {list_key}")))?;
            let n = page.len();
            items.extend(page.iter().cloned());
            let next = value.get("Cursor").and_then(Value::as_str).map(str::to_string);
            if n < self.page_size as usize || next.is_none() || next == cursor {
                break;
            }
            cursor = next;
        }
        Ok(Ok(items))
    }

    /// `get_all` over id chunks of at most 1000; client errors are `Unavailable` here.
    async fn get_by_ids(
        &self,
        operation: &str,
        id_filter: &str,
        ids: &[String],
        extra: &Map<String, Value>,
        list_key: &str,
    ) -> Result<Result<Vec<Value>, reqwest::StatusCode>, VendorError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(MAX_IDS) {
            let mut filters = extra.clone();
            filters.insert(id_filter.into(), json!(chunk));
            match self.get_all(operation, filters, list_key).await? {
                Ok(items) => out.extend(items),
                Err(status) => return Ok(Err(status)),
            }
        }
        Ok(Ok(out))
    }
}

fn required<T>(r: Result<T, reqwest::StatusCode>, operation: &str) -> Result<T, VendorError> {
    r.map_err(|status| client_error("Mews", operation, status))
}

/// Everything fetched for one webhook.
#[derive(Debug, Clone, Default)]
pub struct MewsData {
    pub reservations: Vec<Value>,
    pub customers: HashMap<String, Value>,
    pub age_categories: HashMap<String, Value>,
    pub order_items: Vec<Value>,
    /// Reservation group id -> primary source name.
    pub group_sources: HashMap<String, String>,
    /// Resource id -> name.
    pub resource_names: HashMap<String, String>,
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn unique(values: impl IntoIterator<Item = Option<String>>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    values.into_iter().flatten().filter(|v| seen.insert(v.clone())).collect()
}

/// Fetch the reservations a webhook names and what their mapping needs.
pub async fn fetch(client: &MewsClient<'_>, property: &Property, hook: &MewsWebhook) -> Result<MewsData, VendorError> {
    let mut data = MewsData::default();
    let op = "reservations/getAll/2023-06-06";
    let mut reservations = Vec::new();
    if !hook.reservation_ids.is_empty() {
        reservations.extend(required(
            client.get_by_ids(op, "ReservationIds", &hook.reservation_ids, &Map::new(), "Reservations").await?,
            op,
        )?);
    }
    if !hook.customer_ids.is_empty() {
        let mut extra = Map::new();
        extra.insert("States".into(), json!(["Confirmed", "Started"]));
        reservations.extend(required(
            client.get_by_ids(op, "AccountIds", &hook.customer_ids, &extra, "Reservations").await?,
            op,
        )?);
    }
    let mut seen = BTreeSet::new();
    reservations.retain(|r| str_of(r, "Id").is_some_and(|id| seen.insert(id)));
    // Keep only what maps to a canonical status; the rest needs no further calls.
    reservations.retain(|r| !matches!(r.get("State").and_then(Value::as_str), Some(s) if SKIPPED_STATES.contains(&s)));
    if reservations.is_empty() {
        data.reservations = reservations;
        return Ok(data);
    }

    let customer_ids = unique(
        reservations
            .iter()
            .filter(|r| r.get("AccountType").and_then(Value::as_str).is_none_or(|t| t == "Customer"))
            .map(|r| str_of(r, "AccountId")),
    );
    if !customer_ids.is_empty() {
        let op = "customers/getAll";
        let mut extra = Map::new();
        extra.insert("Extent".into(), json!({"Customers": true, "Addresses": false}));
        for c in required(client.get_by_ids(op, "CustomerIds", &customer_ids, &extra, "Customers").await?, op)? {
            if let Some(id) = str_of(&c, "Id") {
                data.customers.insert(id, c);
            }
        }
    }

    let age_ids = unique(reservations.iter().flat_map(|r| {
        r.get("PersonCounts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|pc| str_of(&pc, "AgeCategoryId"))
    }));
    if !age_ids.is_empty() {
        let op = "ageCategories/getAll";
        for a in required(client.get_by_ids(op, "AgeCategoryIds", &age_ids, &Map::new(), "AgeCategories").await?, op)? {
            if let Some(id) = str_of(&a, "Id") {
                data.age_categories.insert(id, a);
            }
        }
    }

    let res_ids = unique(reservations.iter().map(|r| str_of(r, "Id")));
    {
        let op = "orderItems/getAll";
        let mut extra = Map::new();
        extra.insert("AccountingStates".into(), json!(["Open", "Closed"]));
        data.order_items =
            required(client.get_by_ids(op, "ServiceOrderIds", &res_ids, &extra, "OrderItems").await?, op)?;
    }

    let group_ids = unique(reservations.iter().map(|r| str_of(r, "GroupId")));
    if !group_ids.is_empty()
        && let Ok(assignments) = client
            .get_by_ids("sourceAssignments/getAll", "ReservationGroupIds", &group_ids, &Map::new(), "SourceAssignments")
            .await?
    {
        let primary: Vec<(String, String)> = assignments
            .iter()
            .filter(|a| a.get("IsPrimary").and_then(Value::as_bool).unwrap_or(false))
            .filter_map(|a| Some((str_of(a, "ReservationGroupId")?, str_of(a, "SourceId")?)))
            .collect();
        let source_ids = unique(primary.iter().map(|(_, s)| Some(s.clone())));
        if !source_ids.is_empty()
            && let Ok(sources) =
                client.get_by_ids("sources/getAll", "SourceIds", &source_ids, &Map::new(), "Sources").await?
        {
            let names: HashMap<String, String> =
                sources.iter().filter_map(|s| Some((str_of(s, "Id")?, str_of(s, "Name")?))).collect();
            for (group, source) in primary {
                if let Some(name) = names.get(&source) {
                    data.group_sources.insert(group, name.clone());
                }
            }
        }
    }

    // Room names are needed only when the property's units are not Mews resource ids.
    let resource_ids = unique(reservations.iter().map(|r| str_of(r, "AssignedResourceId")));
    let needs_names =
        !property.units.is_empty() && resource_ids.iter().any(|id| !property.units.iter().any(|u| &u.id == id));
    if needs_names {
        let mut extra = Map::new();
        extra.insert("Extent".into(), json!({"Resources": true}));
        if let Ok(resources) =
            client.get_by_ids("resources/getAll", "ResourceIds", &resource_ids, &extra, "Resources").await?
        {
            data.resource_names =
                resources.iter().filter_map(|r| Some((str_of(r, "Id")?, str_of(r, "Name")?))).collect();
        }
    }
    data.reservations = reservations;
    Ok(data)
}

/// States that are not (yet) a booking: skipped, no event.
pub const SKIPPED_STATES: [&str; 4] = ["Inquired", "Enquired", "Optional", "Requested"];

/// The canonical status of a Mews `State`; `None` for the skipped states.
pub fn status_of(state: &str) -> Result<Option<ReservationStatus>, VendorError> {
    Ok(Some(match state {
        "Confirmed" => ReservationStatus::Confirmed,
        "Started" => ReservationStatus::CheckedIn,
        "Processed" => ReservationStatus::CheckedOut,
        "Canceled" | "Cancelled" => ReservationStatus::Canceled,
        s if SKIPPED_STATES.contains(&s) => return Ok(None),
        other => return Err(bad("Reservation.State", format!("unknown Mews reservation state {other:?}"))),
    }))
}

/// Source from the reservation `Origin` when no source name is available.
pub fn source_of_origin(origin: Option<&str>, commander_origin: Option<&str>) -> Source {
    match origin {
        Some("Distributor") | Some("Navigator") => Source::Direct,
        Some("Commander") if commander_origin != Some("Channel") => Source::Direct,
        _ => Source::Other,
    }
}

/// Map everything fetched (pure).
pub fn map_all(property: &Property, data: &MewsData) -> Result<Vec<VendorEvent>, VendorError> {
    let mut out = Vec::new();
    for r in &data.reservations {
        if let Some(e) = map_reservation(property, data, r)? {
            out.push(e);
        }
    }
    Ok(out)
}

/// Map one reservation (pure); `None` for states that are not bookings yet.
pub fn map_reservation(property: &Property, data: &MewsData, r: &Value) -> Result<Option<VendorEvent>, VendorError> {
    let id = str_of(r, "Id").ok_or_else(|| bad("Reservation.Id", "missing"))?;
    let state = r.get("State").and_then(Value::as_str).ok_or_else(|| bad("Reservation.State", "missing"))?;
    let Some(status) = status_of(state)? else { return Ok(None) };
    let tz = property.time_zone;
    let start = r
        .get("ScheduledStartUtc")
        .or_else(|| r.get("StartUtc"))
        .and_then(Value::as_str)
        .and_then(parse_utc)
        .ok_or_else(|| bad("Reservation.ScheduledStartUtc", "expected an RFC 3339 time"))?;
    let end = r
        .get("ScheduledEndUtc")
        .or_else(|| r.get("EndUtc"))
        .and_then(Value::as_str)
        .and_then(parse_utc)
        .ok_or_else(|| bad("Reservation.ScheduledEndUtc", "expected an RFC 3339 time"))?;
    let (check_in, check_out) = (local_date(tz, start), local_date(tz, end));
    if check_out <= check_in {
        return Err(bad("Reservation.ScheduledEndUtc", "the stay must end on a later local date than it starts"));
    }
    let res_updated_raw = str_of(r, "UpdatedUtc").ok_or_else(|| bad("Reservation.UpdatedUtc", "missing"))?;
    let res_updated =
        parse_utc(&res_updated_raw).ok_or_else(|| bad("Reservation.UpdatedUtc", "expected an RFC 3339 time"))?;

    let customer = str_of(r, "AccountId").and_then(|a| data.customers.get(&a));
    let cust_updated_raw = customer.and_then(|c| str_of(c, "UpdatedUtc")).unwrap_or_default();
    let updated_at = parse_utc(&cust_updated_raw).map_or(res_updated, |c| c.max(res_updated));
    let guest = match customer {
        Some(c) => Guest {
            first_name: str_of(c, "FirstName").unwrap_or_default(),
            last_name: str_of(c, "LastName").unwrap_or_default(),
            email: str_of(c, "Email").and_then(|e| normalize_email(&e)),
            phone: str_of(c, "Phone").and_then(|p| normalize_phone(&p)),
            language: str_of(c, "PreferredLanguageCode")
                .and_then(|l| normalize_language(&l))
                .or_else(|| str_of(c, "LanguageCode").and_then(|l| normalize_language(&l))),
            hometown: c.get("Address").and_then(|a| str_of(a, "City")),
        },
        None => Guest::default(),
    };

    let (mut adults, mut children) = (0u32, 0u32);
    for pc in r.get("PersonCounts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default() {
        let n = pc.get("Count").and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).unwrap_or(0);
        let class = str_of(pc, "AgeCategoryId")
            .and_then(|a| data.age_categories.get(&a))
            .and_then(|a| str_of(a, "Classification"));
        if class.as_deref() == Some("Child") {
            children = children.saturating_add(n);
        } else {
            adults = adults.saturating_add(n);
        }
    }

    let mut total: Option<Amount> = None;
    let mut currency: Option<String> = None;
    for item in data.order_items.iter().filter(|i| str_of(i, "ServiceOrderId").as_deref() == Some(id.as_str())) {
        if matches!(item.get("AccountingState").and_then(Value::as_str), Some("Canceled") | Some("Inactive")) {
            continue;
        }
        let Some(amount) = item.get("Amount") else { continue };
        if let Some(g) = amount.get("GrossValue").and_then(decimal_of) {
            total = Some(total.unwrap_or_default() + g);
        }
        if currency.is_none() {
            currency = str_of(amount, "Currency").and_then(|c| normalize_currency(&c));
        }
    }

    let source = match str_of(r, "GroupId").and_then(|g| data.group_sources.get(&g)) {
        Some(name) => source_from_channel_name(name),
        None => {
            source_of_origin(r.get("Origin").and_then(Value::as_str), r.get("CommanderOrigin").and_then(Value::as_str))
        }
    };
    let resource = str_of(r, "AssignedResourceId");
    let resource_name = resource.as_ref().and_then(|id| data.resource_names.get(id)).map(String::as_str);
    let unit_id = resolve_unit(property, resource.as_deref(), resource_name);

    let reservation = Reservation {
        id: id.clone(),
        property_id: property.id.clone(),
        unit_id,
        source,
        status,
        check_in,
        check_out,
        eta: None,
        etd: None,
        guest,
        adults,
        children,
        total_amount: total,
        host_payout: None,
        balance_due: None,
        currency,
        check_in_form_submitted: false,
        guest_app_forms: BTreeMap::new(),
        contract_signed: false,
        auto_review_enabled: None,
        review: None,
        payments: Vec::new(),
        custom_fields: BTreeMap::new(),
        updated_at,
    };
    // Mews events have no id of their own; what we fetched is the event. Duplicate deliveries
    // fetch the same content, hence the same id; any change (guest, amounts...) makes a new one.
    let content = serde_json::to_string(&reservation).unwrap_or_default();
    Ok(Some(VendorEvent { event_id: stable_event_id("mews", &[&id, &content]), reservation }))
}
