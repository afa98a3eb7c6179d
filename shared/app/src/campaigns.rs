//! Campaign life cycle (SPEC 2.4): create, edit, submit, approve, reject, pause, resume,
//! archive; with role checks, account scoping, notifications, and (re)planning of messages.

use chrono::{DateTime, Utc};
use relais_domain::validate::{FieldError, ValidationContext, validate_campaign};
use std::collections::BTreeMap;

use relais_domain::language::same_language;
use relais_domain::notices::{Notice, Written};
use relais_domain::template::{Template, variables_for};
use relais_domain::whatsapp::{parse_template_name, template_name as whatsapp_template_name};
use relais_domain::{Campaign, CampaignStatus, Channel, TemplateReview, TemplateReviewStatus, User};
use sha2::{Digest, Sha256};

use crate::App;
use crate::engine::{self, EngineError};
use crate::ports::{Notification, StoreError, TemplateOutcome, TemplateRequest};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("invalid: {} error(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// A version mismatch (edit conflict) or an action the current state does not allow.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A provider needed to complete the action did not answer; nothing changed, retry later.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            other => ServiceError::Engine(EngineError::Store(other)),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// The acting user, as authenticated (JWT claims) or named in a scenario.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub account_id: String,
}

impl Actor {
    pub async fn load(app: &App, user_id: &str) -> ServiceResult<Actor> {
        let user = app.store.get_user(user_id).await?.ok_or_else(|| ServiceError::NotFound("user".into()))?;
        let account_id =
            user.account_id.clone().ok_or_else(|| ServiceError::Forbidden("user has no account".into()))?;
        Ok(Actor { user, account_id })
    }
}

/// Whether `user`, of `account_id`, may see `campaign`: one of its account, on a property
/// the user has permission for. The routes and the notifications of approvers share this rule.
fn may_see(user: &User, account_id: &str, campaign: &Campaign) -> bool {
    campaign.account_id == account_id && user.may_see_property(&campaign.spec.property_id)
}

/// A campaign of the actor's account that the actor may see; another account's id is "not
/// found", never data.
pub async fn get_visible(app: &App, actor: &Actor, id: &str) -> ServiceResult<Campaign> {
    let campaign = app.store.get_campaign(id).await?;
    match campaign {
        Some(c) if may_see(&actor.user, &actor.account_id, &c) => Ok(c),
        _ => Err(ServiceError::NotFound("campaign".into())),
    }
}

pub async fn list_visible(app: &App, actor: &Actor) -> ServiceResult<Vec<Campaign>> {
    let mut campaigns = app.store.list_campaigns(&actor.account_id).await?;
    campaigns.retain(|c| may_see(&actor.user, &actor.account_id, c));
    campaigns.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    Ok(campaigns)
}

fn require(allowed: bool, what: &str) -> ServiceResult<()> {
    if allowed { Ok(()) } else { Err(ServiceError::Forbidden(format!("your role may not {what}"))) }
}

async fn validate(app: &App, actor: &Actor, body: &serde_json::Value) -> ServiceResult<relais_domain::CampaignSpec> {
    let properties = app.store.list_properties(&actor.account_id).await?;
    let chatbots = app.store.list_chatbots(&actor.account_id).await?;
    let ctx = ValidationContext { user: &actor.user, properties: &properties, chatbots: &chatbots };
    validate_campaign(body, &ctx).map_err(ServiceError::Invalid)
}

fn new_id(actor: &Actor, now: DateTime<Utc>, body: &serde_json::Value) -> String {
    let mut hasher = Sha256::new();
    hasher.update(actor.account_id.as_bytes());
    hasher.update(actor.user.id.as_bytes());
    hasher.update(now.timestamp_nanos_opt().unwrap_or_default().to_le_bytes());
    hasher.update(body.to_string().as_bytes());
    format!("cmp_{}", &hex::encode(hasher.finalize())[..16])
}

/// Create a draft. `id` is set by scenarios; the API assigns one.
pub async fn create(app: &App, actor: &Actor, body: &serde_json::Value, id: Option<String>) -> ServiceResult<Campaign> {
    let campaign = unsaved_draft(app, actor, body, id).await?;
    app.store.put_campaign(&campaign, None).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict(format!("a campaign with id {} exists", campaign.id)),
        other => other.into(),
    })?;
    Ok(campaign)
}

/// The draft `body` would create, validated as `POST /campaigns` and not stored (a set
/// preview runs drafts next to stored campaigns).
pub async fn unsaved_draft(
    app: &App,
    actor: &Actor,
    body: &serde_json::Value,
    id: Option<String>,
) -> ServiceResult<Campaign> {
    require(actor.user.role.can_edit(), "create campaigns")?;
    let spec = validate(app, actor, body).await?;
    let now = app.clock.now();
    Ok(Campaign {
        id: id.unwrap_or_else(|| new_id(actor, now, body)),
        account_id: actor.account_id.clone(),
        created_by: actor.user.id.clone(),
        status: CampaignStatus::Draft,
        rejection_reason: None,
        version: 1,
        created_at: now,
        updated_at: now,
        activated_at: None,
        awaiting_meta: false,
        template_revision: None,
        whatsapp_templates: Default::default(),
        spec,
    })
}

async fn save(app: &App, mut campaign: Campaign, expected_version: u64) -> ServiceResult<Campaign> {
    campaign.version = expected_version + 1;
    campaign.updated_at = app.clock.now();
    app.store.put_campaign(&campaign, Some(expected_version)).await.map_err(|e| match e {
        StoreError::Conflict(_) => ServiceError::Conflict("the campaign changed since you read it".into()),
        other => other.into(),
    })?;
    Ok(campaign)
}

fn check_version(campaign: &Campaign, expected: Option<u64>) -> ServiceResult<()> {
    match expected {
        Some(v) if v != campaign.version => Err(ServiceError::Conflict(format!(
            "the campaign is at version {}, not {v}: reload it and apply your change again",
            campaign.version
        ))),
        _ => Ok(()),
    }
}

/// Replace a campaign's definition. An approved campaign (active, paused, or waiting for
/// Meta's review of its WhatsApp templates) goes back to plain `pending`: changed content or
/// targeting needs approval again.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: &str,
    body: &serde_json::Value,
    expected_version: Option<u64>,
) -> ServiceResult<Campaign> {
    require(actor.user.role.can_edit(), "edit campaigns")?;
    let mut campaign = get_visible(app, actor, id).await?;
    check_version(&campaign, expected_version)?;
    if campaign.status == CampaignStatus::Archived {
        return Err(ServiceError::Conflict("an archived campaign cannot be edited".into()));
    }
    let spec = validate(app, actor, body).await?;
    if spec == campaign.spec {
        return Ok(campaign);
    }
    // The name and category are labels; anything else changes what guests get or who gets it.
    let relabel_only = {
        let mut relabeled = campaign.spec.clone();
        relabeled.name = spec.name.clone();
        relabeled.category = spec.category;
        relabeled == spec
    };
    let version = campaign.version;
    // Waiting for Meta means an approver approved the content Meta now reviews: new content
    // was approved by nobody, and Meta's verdict on the old templates no longer applies.
    let was_approved =
        matches!(campaign.status, CampaignStatus::Active | CampaignStatus::Paused) || campaign.awaiting_meta;
    campaign.spec = spec;
    if relabel_only {
        return save(app, campaign, version).await;
    }
    if was_approved {
        campaign.status = CampaignStatus::Pending;
        campaign.awaiting_meta = false;
    }
    let campaign = save(app, campaign, version).await?;
    if was_approved {
        notify_submission(app, actor, &campaign, "campaign_changed").await?;
    }
    if campaign.activated_at.is_some() {
        engine::replan_campaign(app, &campaign, "campaign_changed").await?;
    }
    Ok(campaign)
}

async fn transition(
    app: &App,
    actor: &Actor,
    id: &str,
    expected_version: Option<u64>,
    allowed_from: &[CampaignStatus],
    to: CampaignStatus,
) -> ServiceResult<Campaign> {
    let mut campaign = get_visible(app, actor, id).await?;
    check_version(&campaign, expected_version)?;
    if !allowed_from.contains(&campaign.status) {
        return Err(ServiceError::Conflict(format!(
            "a {} campaign cannot become {}",
            campaign.status.as_str(),
            to.as_str()
        )));
    }
    let version = campaign.version;
    campaign.status = to;
    if to == CampaignStatus::Active && campaign.activated_at.is_none() {
        campaign.activated_at = Some(app.clock.now());
    }
    if to != CampaignStatus::Rejected {
        campaign.rejection_reason = None;
    }
    // Only `approve` starts a wait for Meta; whatever moves the campaign ends it (archived or
    // rejected by an approver, Meta's verdict must not revive it).
    campaign.awaiting_meta = false;
    save(app, campaign, version).await
}

pub async fn submit(app: &App, actor: &Actor, id: &str, expected_version: Option<u64>) -> ServiceResult<Campaign> {
    require(actor.user.role.can_edit(), "submit campaigns")?;
    let campaign = transition(
        app,
        actor,
        id,
        expected_version,
        &[CampaignStatus::Draft, CampaignStatus::Rejected],
        CampaignStatus::Pending,
    )
    .await?;
    notify_submission(app, actor, &campaign, "campaign_submitted").await?;
    Ok(campaign)
}

pub async fn approve(app: &App, actor: &Actor, id: &str, expected_version: Option<u64>) -> ServiceResult<Campaign> {
    require(actor.user.role.can_approve(), "approve campaigns")?;
    let mut campaign = get_visible(app, actor, id).await?;
    check_version(&campaign, expected_version)?;
    if campaign.status != CampaignStatus::Pending || campaign.awaiting_meta {
        let what = if campaign.awaiting_meta {
            "already approved, waiting for WhatsApp's review"
        } else {
            campaign.status.as_str()
        };
        return Err(ServiceError::Conflict(format!("the campaign cannot be approved: it is {what}")));
    }
    // WhatsApp needs a template approved by Meta for business-initiated messages: register
    // one per language; the campaign becomes active once Meta approves them all.
    let revision = campaign.version;
    let reviews = register_templates(app, &campaign, revision).await?;
    campaign.template_revision = Some(revision);
    campaign.whatsapp_templates = reviews;
    let version = campaign.version;
    campaign.awaiting_meta = true;
    let campaign = save(app, campaign, version).await?;
    let by = display_name(&actor.user);
    notify_creator(app, &campaign, "campaign_approved", &Notice::Approved { campaign: &campaign.spec.name, by: &by })
        .await?;
    settle_meta_review(app, campaign).await
}

/// Register the campaign's WhatsApp templates (one per language with WhatsApp content).
async fn register_templates(
    app: &App,
    campaign: &Campaign,
    revision: u64,
) -> ServiceResult<BTreeMap<String, TemplateReview>> {
    let mut reviews = BTreeMap::new();
    if campaign.spec.channel.primary != Channel::Whatsapp {
        return Ok(reviews);
    }
    let chatbot = app.store.get_chatbot(&campaign.spec.chatbot_id).await?;
    let property = app.store.get_property(&campaign.spec.property_id).await?;
    for (language, content) in &campaign.spec.messages {
        let Some(whatsapp) = &content.whatsapp else { continue };
        let template = Template::parse(whatsapp.body())
            .map_err(|e| ServiceError::Conflict(format!("the {language} WhatsApp body cannot be registered: {e}")))?;
        let examples = example_parameters(&template, property.as_ref(), language);
        let request = TemplateRequest {
            name: whatsapp_template_name(&campaign.id, revision),
            language: language.clone(),
            waba_id: chatbot.as_ref().and_then(|c| c.whatsapp.as_ref()).and_then(|w| w.waba_id.clone()),
            content: whatsapp.clone(),
            numbered_body: template.numbered(),
            examples,
        };
        let review = match app.whatsapp.register_template(&request).await {
            TemplateOutcome::Approved => TemplateReview { status: TemplateReviewStatus::Approved, reason: None },
            TemplateOutcome::Pending => TemplateReview { status: TemplateReviewStatus::Pending, reason: None },
            TemplateOutcome::NotSubmitted { reason } => {
                // Nothing was sent to Meta: a set-up problem to fix, not a verdict on the campaign,
                // which stays pending for an approver.
                return Err(ServiceError::Conflict(format!(
                    "the campaign cannot be approved until WhatsApp templates can be registered: {reason}"
                )));
            }
            TemplateOutcome::Rejected { reason } => {
                TemplateReview { status: TemplateReviewStatus::Rejected, reason: Some(reason) }
            }
            TemplateOutcome::Unavailable { reason } => {
                return Err(ServiceError::Unavailable(format!("WhatsApp could not register the templates: {reason}")));
            }
        };
        reviews.insert(language.clone(), review);
    }
    Ok(reviews)
}

/// Example values Meta reviews the template with: the variables of a sample stay.
fn example_parameters(template: &Template, property: Option<&relais_domain::Property>, language: &str) -> Vec<String> {
    let sample = property.map(|p| variables_for(&sample_reservation(p), p, language));
    template
        .variables()
        .map(|name| sample.as_ref().and_then(|v| v.get(name)).map_or_else(|| name.replace('_', " "), str::to_string))
        .collect()
}

fn sample_reservation(property: &relais_domain::Property) -> relais_domain::Reservation {
    let check_in = chrono::NaiveDate::from_ymd_opt(2026, 6, 10).unwrap_or_default();
    relais_domain::Reservation {
        id: "BK-1042".into(),
        property_id: property.id.clone(),
        unit_id: property.units.first().map(|u| u.id.clone()),
        source: relais_domain::Source::Direct,
        status: relais_domain::ReservationStatus::Confirmed,
        check_in,
        check_out: check_in + chrono::Duration::days(3),
        eta: relais_domain::time::LocalTime::new(16, 30),
        etd: relais_domain::time::LocalTime::new(10, 0),
        guest: relais_domain::Guest {
            first_name: "Ana".into(),
            last_name: "Silva".into(),
            email: None,
            phone: None,
            language: None,
            hometown: Some("Porto".into()),
        },
        adults: 2,
        children: 1,
        total_amount: Some(relais_domain::Amount::new(45000, 2)),
        host_payout: Some(relais_domain::Amount::new(40000, 2)),
        balance_due: Some(relais_domain::Amount::new(0, 2)),
        currency: Some("EUR".into()),
        check_in_form_submitted: false,
        guest_app_forms: BTreeMap::new(),
        contract_signed: false,
        auto_review_enabled: None,
        review: None,
        payments: Vec::new(),
        custom_fields: BTreeMap::new(),
        updated_at: chrono::DateTime::<chrono::Utc>::default(),
    }
}

/// A campaign waiting for Meta: active once every template is approved, rejected with Meta's
/// reason as soon as one is rejected, still waiting otherwise.
async fn settle_meta_review(app: &App, mut campaign: Campaign) -> ServiceResult<Campaign> {
    if !waits_for_meta(&campaign) {
        return Ok(campaign);
    }
    let rejected = campaign
        .whatsapp_templates
        .iter()
        .find(|(_, r)| r.status == TemplateReviewStatus::Rejected)
        .map(|(language, r)| (language.clone(), r.reason.clone().unwrap_or_else(|| "no reason given".into())));
    let all_approved = campaign.whatsapp_templates.values().all(|r| r.status == TemplateReviewStatus::Approved);
    let version = campaign.version;
    if let Some((language, reason)) = rejected {
        campaign.awaiting_meta = false;
        campaign.status = CampaignStatus::Rejected;
        campaign.rejection_reason = Some(format!("WhatsApp (Meta) rejected the {language} template: {reason}"));
        let campaign = save(app, campaign, version).await?;
        let notice = Notice::RejectedByWhatsApp { campaign: &campaign.spec.name, language: &language, reason: &reason };
        notify_creator(app, &campaign, "campaign_rejected", &notice).await?;
        return Ok(campaign);
    }
    if !all_approved {
        return Ok(campaign);
    }
    campaign.awaiting_meta = false;
    campaign.status = CampaignStatus::Active;
    if campaign.activated_at.is_none() {
        campaign.activated_at = Some(app.clock.now());
    }
    let campaign = save(app, campaign, version).await?;
    if !campaign.whatsapp_templates.is_empty() {
        notify_creator(app, &campaign, "campaign_active", &Notice::Active { campaign: &campaign.spec.name }).await?;
    }
    engine::plan_campaign(app, &campaign).await?;
    Ok(campaign)
}

/// Approved by an approver and waiting for Meta's review. `awaiting_meta` alone is not enough:
/// campaigns archived or rejected before `transition` cleared it still carry it in the store.
fn waits_for_meta(campaign: &Campaign) -> bool {
    campaign.status == CampaignStatus::Pending && campaign.awaiting_meta
}

/// A template status from Meta (webhook `message_template_status_update`, or polling).
/// `language` is Meta's code (`pt_PT`); `event` is `APPROVED`, `REJECTED`, `PENDING`, ...
/// `None` when the template is not the current revision of one of our campaigns.
pub async fn on_template_status(
    app: &App,
    template_name: &str,
    language: &str,
    event: &str,
    reason: Option<&str>,
) -> ServiceResult<Option<Campaign>> {
    let Some((campaign_id, revision)) = parse_template_name(template_name) else {
        return Ok(None); // not one of ours
    };
    let Some(mut campaign) = app.store.get_campaign(&campaign_id).await? else {
        return Ok(None);
    };
    if campaign.template_revision != Some(revision) {
        return Ok(None); // a review of an older revision of the campaign
    }
    if !waits_for_meta(&campaign) {
        // Already settled, archived, rejected by an approver, or changed since it was approved:
        // Meta's verdict on these templates decides nothing any more.
        return Ok(Some(campaign));
    }
    let status = match event {
        "APPROVED" => TemplateReviewStatus::Approved,
        "REJECTED" => TemplateReviewStatus::Rejected,
        "PENDING" | "IN_APPEAL" => TemplateReviewStatus::Pending,
        other => {
            tracing::warn!(campaign_id = %campaign.id, event = other, "WhatsApp template status not acted on");
            return Ok(Some(campaign));
        }
    };
    let key = campaign
        .whatsapp_templates
        .keys()
        .find(|k| k.replace('-', "_").eq_ignore_ascii_case(language))
        .or_else(|| campaign.whatsapp_templates.keys().find(|k| same_language(k, language)))
        .cloned();
    let Some(key) = key else {
        return Ok(Some(campaign));
    };
    let review =
        TemplateReview { status, reason: reason.filter(|r| !r.is_empty() && *r != "NONE").map(str::to_string) };
    if campaign.whatsapp_templates.get(&key) == Some(&review) {
        return Ok(Some(campaign)); // a repeated status changes nothing
    }
    campaign.whatsapp_templates.insert(key, review);
    let version = campaign.version;
    let campaign = save(app, campaign, version).await?;
    settle_meta_review(app, campaign).await.map(Some)
}

/// Meta is asked about a waiting campaign's templates at most this often.
pub const META_POLL_EVERY_MINUTES: i64 = 10;

/// Poll Meta for the templates of every campaign waiting for its review (the sweep calls this):
/// the verdicts are applied exactly as the template webhook's, so a webhook that never arrives
/// (not subscribed, lost) does not leave a campaign waiting forever. Each campaign is polled at
/// most every [`META_POLL_EVERY_MINUTES`], whatever the sweep's rate or how many sweeps overlap.
/// Returns how many campaigns were polled.
pub async fn poll_meta_reviews(app: &App) -> ServiceResult<usize> {
    let now = app.clock.now();
    let mut polled = 0;
    for campaign in app.store.campaigns_awaiting_meta().await? {
        let Some(revision) = campaign.template_revision.filter(|_| waits_for_meta(&campaign)) else { continue };
        let key = format!("meta-poll~{}", campaign.id);
        // The record lapses just before the next poll is due, so a sweep exactly 10 minutes on polls.
        let lapses = now + chrono::Duration::minutes(META_POLL_EVERY_MINUTES) - chrono::Duration::seconds(1);
        if !app.store.remember(&key, now, lapses).await? {
            continue;
        }
        polled += 1;
        let waba_id =
            app.store.get_chatbot(&campaign.spec.chatbot_id).await?.and_then(|c| c.whatsapp).and_then(|w| w.waba_id);
        let name = whatsapp_template_name(&campaign.id, revision);
        let reports = match app.whatsapp.template_statuses(&name, waba_id.as_deref()).await {
            Ok(reports) => reports,
            Err(e) => {
                // Meta unreachable: the next poll (10 minutes on) asks again.
                tracing::warn!(campaign_id = %campaign.id, error = %e, "WhatsApp template status poll failed");
                continue;
            }
        };
        for report in reports {
            on_template_status(app, &name, &report.language, &report.status, report.reason.as_deref()).await?;
        }
    }
    Ok(polled)
}

pub async fn reject(
    app: &App,
    actor: &Actor,
    id: &str,
    reason: &str,
    expected_version: Option<u64>,
) -> ServiceResult<Campaign> {
    require(actor.user.role.can_approve(), "reject campaigns")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ServiceError::Invalid(vec![FieldError {
            field: "reason".into(),
            code: "required".into(),
            message: "say why the campaign is rejected, so that its creator can fix it".into(),
        }]));
    }
    let mut campaign =
        transition(app, actor, id, expected_version, &[CampaignStatus::Pending], CampaignStatus::Rejected).await?;
    let version = campaign.version;
    campaign.rejection_reason = Some(reason.to_string());
    let campaign = save(app, campaign, version).await?;
    let by = display_name(&actor.user);
    let notice = Notice::Rejected { campaign: &campaign.spec.name, by: &by, reason };
    notify_creator(app, &campaign, "campaign_rejected", &notice).await?;
    Ok(campaign)
}

pub async fn pause(app: &App, actor: &Actor, id: &str, expected_version: Option<u64>) -> ServiceResult<Campaign> {
    require(actor.user.role.can_edit(), "pause campaigns")?;
    transition(app, actor, id, expected_version, &[CampaignStatus::Active], CampaignStatus::Paused).await
}

pub async fn resume(app: &App, actor: &Actor, id: &str, expected_version: Option<u64>) -> ServiceResult<Campaign> {
    require(actor.user.role.can_edit(), "resume campaigns")?;
    let campaign =
        transition(app, actor, id, expected_version, &[CampaignStatus::Paused], CampaignStatus::Active).await?;
    engine::plan_campaign(app, &campaign).await?;
    Ok(campaign)
}

pub async fn archive(app: &App, actor: &Actor, id: &str, expected_version: Option<u64>) -> ServiceResult<Campaign> {
    require(actor.user.role.can_edit(), "archive campaigns")?;
    let all = [
        CampaignStatus::Draft,
        CampaignStatus::Pending,
        CampaignStatus::Active,
        CampaignStatus::Rejected,
        CampaignStatus::Paused,
    ];
    let campaign = transition(app, actor, id, expected_version, &all, CampaignStatus::Archived).await?;
    engine::cancel_open_messages(app, &campaign.id, "campaign_archived").await?;
    Ok(campaign)
}

fn display_name(user: &User) -> String {
    user.name.clone().unwrap_or_else(|| user.id.clone())
}

async fn notify_submission(app: &App, actor: &Actor, campaign: &Campaign, kind: &str) -> ServiceResult<()> {
    let changed = kind == "campaign_changed";
    let by = display_name(&actor.user);
    let name = campaign.spec.name.as_str();
    let notice = if changed {
        Notice::Changed { campaign: name, by: &by }
    } else {
        Notice::Submitted { campaign: name, by: &by }
    };
    notify_creator(app, campaign, kind, &notice).await?;
    // Approvers see what waits for them in their console.
    let approvers = app.store.list_users(&campaign.account_id).await?;
    let may_approve = |u: &&User| {
        u.role.can_approve()
            && u.id != campaign.created_by
            && u.account_id.as_deref().is_some_and(|account_id| may_see(u, account_id, campaign))
    };
    let request = Notice::ApprovalRequested { campaign: name, by: &by, changed };
    for approver in approvers.iter().filter(may_approve) {
        add_notification(app, campaign, approver, "approval_requested", &request).await?;
    }
    Ok(())
}

/// The creator's console notification, and an e-mail when they want them, in their language.
async fn notify_creator(app: &App, campaign: &Campaign, kind: &str, notice: &Notice<'_>) -> ServiceResult<()> {
    let Some(user) = app.store.get_user(&campaign.created_by).await? else {
        return Ok(());
    };
    let written = add_notification(app, campaign, &user, kind, notice).await?;
    if user.email_notifications
        && let Some(email) = user.email.as_deref()
    {
        // A mail failure must not undo the life-cycle change; it is logged (without the address).
        if let Err(e) = app.mailer.send_email(email, &written.title, &written.body).await {
            tracing::warn!(campaign_id = %campaign.id, error = %e, "notification e-mail not sent");
        }
    }
    Ok(())
}

async fn add_notification(
    app: &App,
    campaign: &Campaign,
    user: &User,
    kind: &str,
    notice: &Notice<'_>,
) -> ServiceResult<Written> {
    let now = app.clock.now();
    let written = notice.write(user.language);
    let id = format!("ntf_{}_{}_{}_{}", campaign.id, kind, campaign.version, user.id);
    let notification = Notification {
        id,
        account_id: campaign.account_id.clone(),
        user_id: user.id.clone(),
        at: now,
        kind: kind.to_string(),
        campaign_id: campaign.id.clone(),
        title: written.title.clone(),
        body: written.body.clone(),
        read: false,
    };
    app.store.add_notification(&notification).await?;
    Ok(written)
}
