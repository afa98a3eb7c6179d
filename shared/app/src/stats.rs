//! `GET /stats` and `relais simulate --stats` (docs/statistics.md): each campaign's messages
//! counted by the property-local date of their due time, in their current state. A range in
//! the past says what happened; a range in the future is the calendar of upcoming sends.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use relais_domain::stats::{self, Counts, RatedCounts};
use relais_domain::time::local_date;
pub use relais_domain::validate::StatsParams as StatsQuery;
use relais_domain::{Campaign, Property};
use serde::Serialize;

use crate::App;
use crate::campaigns::{Actor, ServiceError, ServiceResult, list_visible};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: RatedCounts,
    pub campaigns: Vec<CampaignStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CampaignStats {
    pub campaign_id: String,
    pub name: String,
    pub property_id: String,
    pub status: &'static str,
    pub totals: RatedCounts,
    /// The dates with at least one message, in order.
    pub days: Vec<DayStats>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayStats {
    pub date: NaiveDate,
    #[serde(flatten)]
    pub counts: RatedCounts,
}

/// The statistics the actor may see (any role): the campaigns of the properties it may see.
/// An unknown or invisible property or campaign is "not found".
pub async fn stats(app: &App, actor: &Actor, query: &StatsQuery) -> ServiceResult<Stats> {
    stats::check_range(query.from, query.to).map_err(|e| ServiceError::Invalid(vec![e]))?;
    let properties: BTreeMap<String, Property> = app
        .store
        .list_properties(&actor.account_id)
        .await?
        .into_iter()
        .filter(|p| actor.user.may_see_property(&p.id))
        .map(|p| (p.id.clone(), p))
        .collect();
    if let Some(id) = &query.property_id
        && !properties.contains_key(id)
    {
        return Err(ServiceError::NotFound("property".into()));
    }
    let mut campaigns = list_visible(app, actor).await?;
    campaigns.retain(|c| query.property_id.as_ref().is_none_or(|p| *p == c.spec.property_id));
    if let Some(id) = &query.campaign_id {
        campaigns.retain(|c| c.id == *id);
        if campaigns.is_empty() {
            return Err(ServiceError::NotFound("campaign".into()));
        }
    }
    let (totals, campaigns) = each_campaign(app, campaigns, &properties, |_| (query.from, query.to)).await?;
    Ok(Stats { from: query.from, to: query.to, totals, campaigns })
}

/// The campaigns' counts (by id), each over the dates `range` gives for its property, and
/// their totals. A campaign whose property is not in `properties` is left out.
async fn each_campaign(
    app: &App,
    mut campaigns: Vec<Campaign>,
    properties: &BTreeMap<String, Property>,
    range: impl Fn(&Property) -> (NaiveDate, NaiveDate),
) -> ServiceResult<(RatedCounts, Vec<CampaignStats>)> {
    campaigns.sort_by(|a, b| a.id.cmp(&b.id));
    let mut totals = Counts::default();
    let mut out = Vec::with_capacity(campaigns.len());
    for campaign in &campaigns {
        let Some(property) = properties.get(&campaign.spec.property_id) else { continue };
        let (from, to) = range(property);
        let entry = campaign_stats(app, campaign, property, from, to).await?;
        totals.merge(&entry.totals.counts);
        out.push(entry);
    }
    Ok((totals.with_rates(), out))
}

/// Every campaign of an account over the dates local to each property from `start` to `end`
/// (`relais simulate --stats`: what a scenario's run sent, by campaign and day). The range is
/// the scenario's, however long.
pub async fn account_stats(
    app: &App,
    account_id: &str,
    start: chrono::DateTime<chrono::Utc>,
    end: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<Stats> {
    let properties: BTreeMap<String, Property> =
        app.store.list_properties(account_id).await?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let campaigns = app.store.list_campaigns(account_id).await?;
    let (totals, campaigns) = each_campaign(app, campaigns, &properties, |property| {
        (local_date(property.time_zone, start), local_date(property.time_zone, end))
    })
    .await?;
    Ok(Stats { from: start.date_naive(), to: end.date_naive(), totals, campaigns })
}

/// One campaign's counts over `from..=to` (dates local to its property).
pub async fn campaign_stats(
    app: &App,
    campaign: &Campaign,
    property: &Property,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<CampaignStats> {
    let (start, end) = stats::utc_bounds(property.time_zone, from, to);
    let messages = app.store.messages_of_campaign_due(&campaign.id, start, end).await?;
    let days = stats::per_day(&messages, property.time_zone, from, to);
    let mut totals = Counts::default();
    for counts in days.values() {
        totals.merge(counts);
    }
    Ok(CampaignStats {
        campaign_id: campaign.id.clone(),
        name: campaign.spec.name.clone(),
        property_id: campaign.spec.property_id.clone(),
        status: campaign.status.as_str(),
        totals: totals.with_rates(),
        days: days.into_iter().map(|(date, counts)| DayStats { date, counts: counts.with_rates() }).collect(),
    })
}
