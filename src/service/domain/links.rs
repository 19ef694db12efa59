//! Distribution links: one URL (`/l/{code}`) that gets a pass into
//! whichever wallet the person has.
//!
//! Lifecycle: `pending → opened → issued → completed` (a wallet installed a
//! pass the link issued) `| expired | revoked`. Each step sends
//! `link.opened`, `link.issued`, `link.completed` to subscribed endpoints and
//! to the link's own `webhookUrl` (a hidden endpoint with its own secret,
//! returned once at creation). `link.issued` is sent once per pass the link
//! hands out: opening a pass link again, on another device or wallet, sends
//! nothing more.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::service::clock::{now_ms, rfc3339};
pub(crate) use crate::service::db::links::LinkRow;
use crate::service::db::links::LinkStatus;
use crate::service::db::{self, PassRecord};
use crate::service::domain::{commit, passes, webhooks};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::netguard::{check_return_url, check_url};
use crate::service::outbox::{Audience, Effect, Event};
use crate::service::state::AppState;

/// Default lifetime of a link.
pub(crate) const DEFAULT_EXPIRES_SECS: i64 = 7 * 24 * 3600;

/// Longest lifetime of a link.
pub(crate) const MAX_EXPIRES_SECS: i64 = 365 * 24 * 3600;

/// Most claims of one link.
pub(crate) const MAX_CLAIMS: i64 = 1_000_000;

/// A pass a link handed out.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkPass {
    /// The pass.
    pass_id: String,
    /// `apple` or `google`.
    platform: String,
    /// Its serial number (none once deleted).
    serial_number: Option<String>,
}

/// A link as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkView {
    /// `lnk_…`
    id: String,
    /// Always `link`.
    object: &'static str,
    /// The link to hand out.
    #[schema(format = "uri")]
    url: String,
    /// A PNG QR code of the link.
    #[schema(format = "uri")]
    qr_code_url: String,
    /// `pending`, `opened`, `issued`, `completed`, `expired` or `revoked`.
    #[schema(pattern = "^(pending|opened|issued|completed|expired|revoked)$")]
    status: String,
    /// A template link: each claim issues a pass.
    template_id: Option<String>,
    /// A pass link: hands out this pass.
    pass_id: Option<String>,
    /// Most claims.
    max_claims: i64,
    /// Claims so far.
    claims: i64,
    /// Your id for the link.
    external_id: Option<String>,
    /// Where the holder returns.
    return_url: Option<String>,
    /// When it expires.
    #[schema(format = DateTime)]
    expires_at: String,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// The passes it handed out.
    passes: Vec<LinkPass>,
    /// The secret of the link's own webhook (shown once, at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_secret: Option<String>,
}

/// The link's status now (`expired` once past its time).
fn effective_status(l: &LinkRow) -> &str {
    if l.status != "revoked" && l.status != "completed" && now_ms() >= l.expires_at {
        "expired"
    } else {
        &l.status
    }
}

/// The API's view of a link.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn view(state: &AppState, l: &LinkRow) -> Result<LinkView, ApiError> {
    let base = &state.inner.config.public_url;
    let passes = db::links::passes_of(&mut *state.inner.store.conn().await?, &l.id)
        .await?
        .into_iter()
        .map(|(pass_id, platform, serial_number)| LinkPass {
            pass_id,
            platform,
            serial_number,
        })
        .collect();
    Ok(LinkView {
        id: l.id.clone(),
        object: "link",
        url: format!("{base}/l/{}", l.code),
        qr_code_url: format!("{base}/l/{}/qr.png", l.code),
        status: effective_status(l).to_owned(),
        template_id: l.template_id.clone(),
        pass_id: l.pass_id.clone(),
        max_claims: l.max_claims,
        claims: l.claims,
        external_id: l.external_id.clone(),
        return_url: l.return_url.clone(),
        expires_at: rfc3339(l.expires_at),
        created_at: rfc3339(l.created_at),
        passes,
        webhook_secret: None,
    })
}

/// A new link as requested.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewLink {
    /// Each claim issues a pass of this template…
    pub(crate) template_id: Option<String>,
    /// …with these fields.
    pub(crate) custom_fields: Option<Map<String, Value>>,
    /// Or: the link hands out this pass.
    pub(crate) pass_id: Option<String>,
    /// Most claims (default 1).
    pub(crate) max_claims: Option<i64>,
    /// The link's own webhook.
    pub(crate) webhook_url: Option<String>,
    /// Where the holder returns.
    pub(crate) return_url: Option<String>,
    /// Lifetime in seconds (default a week).
    pub(crate) expires_in: Option<i64>,
    /// Your id for the link.
    pub(crate) external_id: Option<String>,
}

/// Checks a new link (every problem located) and stores it; the link and
/// the secret of its own webhook, if it has one.
///
/// # Errors
/// 422 with every problem.
pub(crate) async fn create(state: &AppState, new: NewLink) -> Result<LinkView, ApiError> {
    let mut errors = Vec::new();
    match (&new.template_id, &new.pass_id) {
        (Some(_), Some(_)) | (None, None) => errors.push(FieldProblem::new(
            "/templateId",
            "give templateId (with customFields: each claim issues a pass) or passId (the link hands out that pass)",
        )),
        (Some(t), None) => {
            // The fields must make a valid pass now, not at the first claim.
            let fields = Value::Object(new.custom_fields.clone().unwrap_or_default());
            passes::check_fields(state, Some(t), Some(&fields), "", &mut errors);
        }
        (None, Some(p)) => {
            if state.inner.store.pass(p).await?.is_none() {
                errors.push(FieldProblem::new("/passId", "no such pass"));
            }
        }
    }
    let max_claims = new.max_claims.unwrap_or(1);
    if !(1..=MAX_CLAIMS).contains(&max_claims) {
        errors.push(FieldProblem::new(
            "/maxClaims",
            "an integer from 1 to 1,000,000",
        ));
    }
    let expires_in = new.expires_in.unwrap_or(DEFAULT_EXPIRES_SECS);
    if !(60..=MAX_EXPIRES_SECS).contains(&expires_in) {
        errors.push(FieldProblem::new("/expiresIn", "seconds, 60 to one year"));
    }
    if let Some(u) = &new.return_url {
        if let Err(e) = check_return_url(u) {
            errors.push(FieldProblem::new("/returnUrl", e));
        }
    }
    if let Some(u) = &new.webhook_url {
        if let Err(e) = check_url(u, state.inner.config.webhooks.allow_private_networks) {
            errors.push(FieldProblem::new("/webhookUrl", e));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            format!("the link has {} problem(s); see errors", errors.len()),
            errors,
        ));
    }
    let now = now_ms();
    let id = format!("lnk_{}", uuid::Uuid::now_v7().simple());
    let mut raw = [0u8; 18];
    openssl::rand::rand_bytes(&mut raw).map_err(|e| ApiError::internal(&e))?;
    let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let mut tx = state.inner.store.begin().await?;
    let (endpoint_id, secret) = match &new.webhook_url {
        Some(u) => {
            let (eid, secret) =
                webhooks::insert_endpoint(&mut tx, u, &[], Some(&format!("link {id}")), None)
                    .await?;
            (Some(eid), Some(secret))
        }
        None => (None, None),
    };
    let row = LinkRow {
        id,
        code,
        template_id: new.template_id,
        pass_id: new.pass_id,
        custom_fields: new.custom_fields.map(|f| Value::Object(f).to_string()),
        max_claims,
        claims: 0,
        endpoint_id,
        return_url: new.return_url,
        external_id: new.external_id,
        status: LinkStatus::Pending.as_str().to_owned(),
        expires_at: now + expires_in * 1000,
        created_at: now,
    };
    db::links::insert_link(&mut tx, &row).await?;
    db::commit(tx).await?;
    let mut v = view(state, &row).await?;
    v.webhook_secret = secret;
    Ok(v)
}

/// One link.
///
/// # Errors
/// 404.
pub(crate) async fn get(state: &AppState, id: &str) -> Result<LinkRow, ApiError> {
    db::links::link(&mut *state.inner.store.conn().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("link", id))
}

/// The newest 100 links.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn list(state: &AppState) -> Result<Vec<LinkRow>, ApiError> {
    Ok(db::links::newest_links(&mut *state.inner.store.conn().await?, 100).await?)
}

/// Revokes a link.
///
/// # Errors
/// 404.
pub(crate) async fn revoke(state: &AppState, id: &str) -> Result<LinkRow, ApiError> {
    if !db::links::revoke(&mut *state.inner.store.conn().await?, id, now_ms()).await? {
        return Err(ApiError::not_found("link", id));
    }
    get(state, id).await
}

/// The event of a link step, for its subscribers and its own endpoint.
fn step_effect(l: &LinkRow, to: LinkStatus, event: &'static str, result: &Value) -> Effect {
    let data = json!({
        "event": event, "linkId": l.id, "status": to.as_str(), "result": result, "error": null,
        "timestamp": rfc3339(now_ms()), "externalId": l.external_id,
    });
    let audience = match &l.endpoint_id {
        Some(own) => Audience::SubscribersAnd(own.clone()),
        None => Audience::Subscribers,
    };
    Effect::Event(Event::new(event, data), audience)
}

/// Moves a link to `to` if it is in one of `from`, with `event`.
async fn advance(
    state: &AppState,
    l: &LinkRow,
    from: &[LinkStatus],
    to: LinkStatus,
    event: &'static str,
    result: Value,
) -> Result<(), ApiError> {
    let mut tx = state.inner.store.begin().await?;
    let effects = if db::links::advance(&mut tx, &l.id, from, to, now_ms()).await? {
        vec![step_effect(l, to, event, &result)]
    } else {
        Vec::new()
    };
    commit(state, tx, &effects).await?;
    Ok(())
}

/// A wallet installed `pass_id`: the links that issued it are completed.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn pass_installed(
    state: &AppState,
    pass_id: &str,
    platform: &str,
) -> Result<(), ApiError> {
    let links = db::links::links_of_pass(&mut *state.inner.store.conn().await?, pass_id).await?;
    for link_id in links {
        let Ok(l) = get(state, &link_id).await else {
            continue;
        };
        let serial = state
            .inner
            .store
            .pass(pass_id)
            .await?
            .map(|p| p.serial_number);
        advance(
            state,
            &l,
            &[LinkStatus::Pending, LinkStatus::Opened, LinkStatus::Issued],
            LinkStatus::Completed,
            "link.completed",
            json!({"passId": pass_id, "serialNumber": serial, "platform": platform}),
        )
        .await?;
    }
    Ok(())
}

/// Why a link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// No link has this code.
    NotFound,
    /// Past its time.
    Expired,
    /// Withdrawn.
    Revoked,
    /// Every claim taken.
    UsedUp,
}

impl Unusable {
    /// A sentence for the person who opened it.
    pub(crate) fn sentence(self) -> &'static str {
        match self {
            Self::NotFound => "This link does not exist",
            Self::Expired => "This link has expired.",
            Self::Revoked => "This link was withdrawn.",
            Self::UsedUp => "This link has been used up.",
        }
    }
}

/// A link that can be used now.
///
/// # Errors
/// Why not; [`ApiError`] for a database failure.
pub(crate) async fn usable(
    state: &AppState,
    code: &str,
) -> Result<Result<LinkRow, Unusable>, ApiError> {
    let Some(l) = db::links::link_by_code(&mut *state.inner.store.conn().await?, code).await?
    else {
        return Ok(Err(Unusable::NotFound));
    };
    Ok(match effective_status(&l) {
        "expired" => Err(Unusable::Expired),
        "revoked" => Err(Unusable::Revoked),
        _ if l.template_id.is_some() && l.claims >= l.max_claims => Err(Unusable::UsedUp),
        _ => Ok(l),
    })
}

/// Whether a link with this code exists.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn exists(state: &AppState, code: &str) -> Result<bool, ApiError> {
    Ok(
        db::links::link_by_code(&mut *state.inner.store.conn().await?, code)
            .await?
            .is_some(),
    )
}

/// The link was opened where no wallet is known (a desktop browser).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn opened(state: &AppState, l: &LinkRow) -> Result<(), ApiError> {
    advance(
        state,
        l,
        &[LinkStatus::Pending],
        LinkStatus::Opened,
        "link.opened",
        json!({"platform": null}),
    )
    .await
}

/// Issues (or, for a pass link, hands out) the link's pass for `platform`
/// (`apple` or `google`).
///
/// # Errors
/// `Err(Unusable::UsedUp)` inside when the last claim was taken meanwhile;
/// [`ApiError`] otherwise.
pub(crate) async fn claim(
    state: &AppState,
    l: &LinkRow,
    platform: &'static str,
) -> Result<Result<PassRecord, Unusable>, ApiError> {
    advance(
        state,
        l,
        &[LinkStatus::Pending],
        LinkStatus::Opened,
        "link.opened",
        json!({"platform": platform}),
    )
    .await?;
    let pass = match (&l.template_id, &l.pass_id) {
        (_, Some(pid)) => passes::get(state, pid).await?,
        (Some(t), None) => {
            // Take a claim first: two people cannot both take the last one.
            if !db::links::take_claim(&mut *state.inner.store.conn().await?, &l.id, now_ms())
                .await?
            {
                return Ok(Err(Unusable::UsedUp));
            }
            let fields = l
                .custom_fields
                .as_deref()
                .and_then(|f| serde_json::from_str::<Map<String, Value>>(f).ok())
                .unwrap_or_default();
            let new = passes::NewPass {
                template_id: t.clone(),
                custom_fields: fields,
                ..passes::NewPass::default()
            };
            let (record, template) =
                passes::prepare(state, new, uuid::Uuid::now_v7().to_string(), "")?;
            passes::create(state, record, template).await?.0
        }
        (None, None) => return Err(ApiError::internal(&"a link without template or pass")),
    };
    let now = now_ms();
    let mut tx = state.inner.store.begin().await?;
    let first = db::links::record_pass(&mut tx, &l.id, &pass.id, platform, now).await?;
    let mut effects = Vec::new();
    if first {
        let to = LinkStatus::Issued;
        let from = [LinkStatus::Pending, LinkStatus::Opened, LinkStatus::Issued];
        if db::links::advance(&mut tx, &l.id, &from, to, now).await? {
            let result = json!({"passId": pass.id, "serialNumber": pass.serial_number, "platform": platform});
            effects.push(step_effect(l, to, "link.issued", &result));
        }
    }
    commit(state, tx, &effects).await?;
    Ok(Ok(pass))
}

/// What a landing page shows of a link's pass: the organization and the
/// description of its template.
pub(crate) async fn landing(state: &AppState, l: &LinkRow) -> (String, String) {
    let pass = match &l.pass_id {
        Some(p) => state.inner.store.pass(p).await.ok().flatten(),
        None => None,
    };
    let Some(template) = pass
        .as_ref()
        .map(|p| p.template_id.clone())
        .or_else(|| l.template_id.clone())
        .and_then(|t| state.inner.templates.live(&t).ok())
    else {
        return Default::default();
    };
    // The texts as this link's pass shows them: placeholders filled with
    // the pass's values (or the link's), never shown as `{{ … }}`.
    let rendered = match &pass {
        Some(p) => return pass_texts(state, &template, p),
        None => {
            let fields: Map<String, Value> = l
                .custom_fields
                .as_deref()
                .and_then(|f| serde_json::from_str(f).ok())
                .unwrap_or_default();
            // The values without their label overrides (checked at creation).
            let (values, _) = passes::split_fields(&fields, "", &mut Vec::new());
            crate::issue::Stamp::new("PREVIEW", "preview-token-0123456789", chrono::Utc::now())
                .ok()
                .and_then(|stamp| {
                    crate::issue::Issuer::new(&template, &state.inner.config.identity)
                        .render(&values, &stamp)
                        .ok()
                })
        }
    };
    texts(&template, rendered.map(|r| r.pass_json))
}

/// The organization and description of a pass as it shows them.
pub(crate) fn pass_texts(
    state: &AppState,
    template: &crate::template::Template,
    p: &PassRecord,
) -> (String, String) {
    let rendered = passes::version_of(p).ok().and_then(|(stamp, overrides)| {
        crate::issue::Issuer::new(template, &state.inner.config.identity)
            .render_with(&p.custom_fields, &stamp, Some(&overrides))
            .ok()
    });
    texts(template, rendered.map(|r| r.pass_json))
}

/// Organization and description from a rendered pass.json (else the
/// template's, without placeholders).
fn texts(template: &crate::template::Template, rendered: Option<Value>) -> (String, String) {
    let pj = rendered.unwrap_or_else(|| template.pass_json().clone());
    let text = |k: &str| {
        pj.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.contains("{{"))
            .map(str::to_owned)
    };
    (
        text("organizationName").unwrap_or_default(),
        text("description").unwrap_or_else(|| template.meta().name.clone()),
    )
}
