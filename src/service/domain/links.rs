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
use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::service::clock::{now_ms, rfc3339};
pub(crate) use crate::service::db::links::LinkRow;
use crate::service::db::links::{CodeUse, LinkStatus};
use crate::service::db::{self, PassRecord};
use crate::service::domain::connections::{self, ConnectionQuery, ConnectionView};
use crate::service::domain::keys::secret_hash;
use crate::service::domain::users::{self, UserTokenView};
use crate::service::domain::{commit, passes, webhooks};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::netguard::{check_return_url, check_url};
use crate::service::outbox::{Audience, Effect, Event};
use crate::service::state::AppState;

/// Default lifetime of a link.
pub(crate) const DEFAULT_EXPIRES_SECS: i64 = 7 * 24 * 3600;

/// Longest lifetime of a link.
pub(crate) const MAX_EXPIRES_SECS: i64 = 365 * 24 * 3600;

/// Most passes of a multi-pass link (a `.pkpasses` bundle holds ten).
pub(crate) const MAX_LINK_PASSES: usize = crate::apple::MAX_BUNDLE_PASSES;

/// How long a link's one-time code can be exchanged.
pub(crate) const CODE_SECS: i64 = 10 * 60;

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
    /// A multi-pass link: hands out these passes together.
    pass_ids: Vec<String>,
    /// The user the passes of a template link belong to.
    user_id: Option<String>,
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

/// The passes stored beforehand that a pass link or a multi-pass link
/// hands out (none for a template link).
fn stored_passes(l: &LinkRow) -> impl Iterator<Item = &String> {
    l.pass_id.iter().chain(&l.pass_ids)
}

/// The fields a template link issues its passes with, as given (a field
/// may be `{value, label}`).
fn link_fields(l: &LinkRow) -> Map<String, Value> {
    l.custom_fields
        .as_deref()
        .and_then(|f| serde_json::from_str(f).ok())
        .unwrap_or_default()
}

/// Their values alone, the label overrides left out (both were checked
/// when the link was created).
fn link_values(l: &LinkRow) -> Map<String, Value> {
    passes::split_fields(&link_fields(l), "", &mut Vec::new()).0
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
        pass_ids: l.pass_ids.clone(),
        user_id: l.user_id.clone(),
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
    /// Or: the link hands out these passes together (2 to 10).
    pub(crate) pass_ids: Option<Vec<String>>,
    /// The user the passes of a template link belong to.
    pub(crate) user_id: Option<String>,
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
    let many = new.pass_ids.as_deref().unwrap_or_default();
    match (&new.template_id, &new.pass_id, &new.pass_ids) {
        (Some(t), None, None) => {
            // The fields must make a valid pass now, not at the first claim.
            let fields = Value::Object(new.custom_fields.clone().unwrap_or_default());
            passes::check_fields(state, Some(t), Some(&fields), "", &mut errors);
        }
        (None, Some(p), None) => {
            if state.inner.store.pass(p).await?.is_none() {
                errors.push(FieldProblem::new("/passId", "no such pass"));
            }
        }
        (None, None, Some(ids)) => {
            if !(2..=MAX_LINK_PASSES).contains(&ids.len()) {
                errors.push(FieldProblem::new(
                    "/passIds",
                    "2 to 10 passes (Apple's limit for one bundle); for one pass give passId",
                ));
            }
            for (i, p) in ids.iter().enumerate() {
                if ids[..i].contains(p) {
                    errors.push(FieldProblem::new(
                        format!("/passIds/{i}"),
                        "listed twice; give each pass once",
                    ));
                } else if state.inner.store.pass(p).await?.is_none() {
                    errors.push(FieldProblem::new(format!("/passIds/{i}"), "no such pass"));
                }
            }
        }
        _ => errors.push(FieldProblem::new(
            "/templateId",
            "give one of templateId (with customFields: each claim issues a pass), passId (the link hands out that pass) or passIds (it hands out those passes together)",
        )),
    }
    if let Some(u) = &new.user_id {
        if new.template_id.is_none() {
            errors.push(FieldProblem::new(
                "/userId",
                "only with templateId: the passes of a pass link already have their user",
            ));
        } else if db::users::user(&mut *state.inner.store.conn().await?, u)
            .await?
            .is_none()
        {
            errors.push(FieldProblem::new("/userId", "no such user"));
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
        pass_ids: many.to_vec(),
        user_id: new.user_id,
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
    Ok(shown(state, code).await?.and_then(|l| {
        if l.template_id.is_some() && l.claims >= l.max_claims {
            Err(Unusable::UsedUp)
        } else {
            Ok(l)
        }
    }))
}

/// A link whose pages can still be shown: usable, or used up (its last
/// holder may still be on its page, waiting to return to the app, with the
/// pass's picture on it); not one that expired or was revoked.
///
/// # Errors
/// Why not; [`ApiError`] for a database failure.
pub(crate) async fn shown(
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

/// Issues (or, for a pass link, hands out) the link's passes for
/// `platform` (`apple` or `google`): one, or a multi-pass link's several.
///
/// # Errors
/// `Err(Unusable::UsedUp)` inside when the last claim was taken meanwhile;
/// [`ApiError`] otherwise.
pub(crate) async fn claim(
    state: &AppState,
    l: &LinkRow,
    platform: &'static str,
) -> Result<Result<Vec<PassRecord>, Unusable>, ApiError> {
    advance(
        state,
        l,
        &[LinkStatus::Pending],
        LinkStatus::Opened,
        "link.opened",
        json!({"platform": platform}),
    )
    .await?;
    let stored: Vec<&String> = stored_passes(l).collect();
    let handed = if !stored.is_empty() {
        let mut all = Vec::with_capacity(stored.len());
        for pid in stored {
            all.push(passes::get(state, pid).await?);
        }
        all
    } else if let Some(t) = &l.template_id {
        // Take a claim first: two people cannot both take the last one.
        if !db::links::take_claim(&mut *state.inner.store.conn().await?, &l.id, now_ms()).await? {
            return Ok(Err(Unusable::UsedUp));
        }
        let new = passes::NewPass {
            template_id: t.clone(),
            custom_fields: link_fields(l),
            user_id: l.user_id.clone(),
            ..passes::NewPass::default()
        };
        let (record, template) = passes::prepare(state, new, uuid::Uuid::now_v7().to_string(), "")?;
        vec![passes::create(state, record, template).await?.0]
    } else {
        return Err(ApiError::internal(&"a link without template or pass"));
    };
    let now = now_ms();
    let mut tx = state.inner.store.begin().await?;
    let mut effects = Vec::new();
    for pass in &handed {
        let first = db::links::record_pass(&mut tx, &l.id, &pass.id, platform, now).await?;
        if first {
            let to = LinkStatus::Issued;
            let from = [LinkStatus::Pending, LinkStatus::Opened, LinkStatus::Issued];
            if db::links::advance(&mut tx, &l.id, &from, to, now).await? {
                let result = json!({"passId": pass.id, "serialNumber": pass.serial_number, "platform": platform});
                effects.push(step_effect(l, to, "link.issued", &result));
            }
        }
    }
    commit(state, tx, &effects).await?;
    Ok(Ok(handed))
}

/// A one-time code for the holder to carry back to the link's `returnUrl`,
/// once a wallet installed a pass the link handed out (`None` before, or
/// for a link without a `returnUrl`). Random, stored as its SHA-256 only,
/// good once within [`CODE_SECS`].
///
/// # Errors
/// [`ApiError`] for a database or randomness failure.
pub(crate) async fn return_code(state: &AppState, l: &LinkRow) -> Result<Option<String>, ApiError> {
    if l.return_url.is_none() || l.status != LinkStatus::Completed.as_str() {
        return Ok(None);
    }
    let mut raw = [0u8; 32];
    openssl::rand::rand_bytes(&mut raw).map_err(|e| ApiError::internal(&e))?;
    let code = format!(
        "pfc_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    );
    let now = now_ms();
    db::links::insert_code(
        &mut *state.inner.store.conn().await?,
        &secret_hash(&code),
        &l.id,
        now + CODE_SECS * 1000,
        now,
    )
    .await?;
    Ok(Some(code))
}

/// `returnUrl` with `code` added to its query.
pub(crate) fn return_to(return_url: &str, code: &str) -> String {
    let (base, fragment) = match return_url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (return_url, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let mut url = format!("{base}{sep}code={code}");
    if let Some(f) = fragment {
        url.push('#');
        url.push_str(f);
    }
    url
}

/// What a customer's server gets for a link's one-time code.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExchangeView {
    /// The link.
    link_id: String,
    /// Your id for the link.
    external_id: Option<String>,
    /// The passes it handed out.
    passes: Vec<LinkPass>,
    /// Where they are installed.
    connections: Vec<ConnectionView>,
    /// The holder, when the passes belong to a user: a new user token
    /// (valid a day, shown once) for your app to act as them.
    user_token: Option<UserTokenView>,
}

/// Exchanges a link's one-time code, once, within ten minutes.
///
/// # Errors
/// 404 for an unknown link or code, 410 `code_used` / `code_expired`.
pub(crate) async fn exchange(
    state: &AppState,
    link_id: &str,
    code: &str,
) -> Result<ExchangeView, ApiError> {
    let l = get(state, link_id).await?;
    let outcome = db::links::take_code(
        &mut *state.inner.store.conn().await?,
        &secret_hash(code),
        &l.id,
        now_ms(),
    )
    .await?;
    // Logged without the code: it is a credential until it is used.
    tracing::info!(link = %l.id, outcome = ?outcome, "link code exchange");
    match outcome {
        CodeUse::Taken => {}
        CodeUse::Unknown => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "code_not_found",
                "no such code for this link: pass the code your returnUrl received, to the link it came from",
            ))
        }
        CodeUse::Used => {
            return Err(ApiError::new(
                StatusCode::GONE,
                "code_used",
                "this code was exchanged before; each code is good once",
            ))
        }
        CodeUse::Expired => {
            return Err(ApiError::new(
                StatusCode::GONE,
                "code_expired",
                "this code is older than ten minutes; send the holder through the link again",
            ))
        }
    }
    let view = view(state, &l).await?;
    let mut connections = Vec::new();
    let mut user = l.user_id.clone();
    // A pass handed to both wallets is listed once per wallet; its
    // connections and user are read once.
    let mut ids: Vec<&String> = view.passes.iter().map(|p| &p.pass_id).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let q = ConnectionQuery {
            pass_id: Some(id.clone()),
            limit: 101,
            ..ConnectionQuery::default()
        };
        connections.extend(
            connections::list(state, &q)
                .await?
                .iter()
                .map(connections::view),
        );
        if user.is_none() {
            user = state.inner.store.pass(id).await?.and_then(|r| r.user_id);
        }
    }
    let user_token = match user {
        Some(u) => Some(users::create_token(state, &u, users::DEFAULT_TOKEN_SECS).await?),
        None => None,
    };
    Ok(ExchangeView {
        link_id: l.id,
        external_id: l.external_id,
        passes: view.passes,
        connections,
        user_token,
    })
}

/// One pass as a landing page shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct LandingItem {
    /// The organization, as the pass shows it.
    pub(crate) organization: String,
    /// The description rendered for this pass.
    pub(crate) description: String,
}

/// What a landing page shows of a link: its passes' texts, in the first
/// of the reader's languages the template has a `.lproj` for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Landing {
    /// The language the texts are in (a `.lproj` of the template), if
    /// the reader asked for one the template has.
    pub(crate) lang: Option<String>,
    /// One per pass (a template link: the pass a claim would issue).
    pub(crate) items: Vec<LandingItem>,
}

/// The first of `prefs` (language tags, most wanted first) that the
/// template has strings for: `fr-CA` takes `fr-CA.lproj`, else `fr.lproj`.
pub(crate) fn pick_lang(template: &crate::template::Template, prefs: &[String]) -> Option<String> {
    let has = |l: &str| template.strings().contains_key(l);
    for p in prefs {
        if has(p) {
            return Some(p.clone());
        }
        if let Some((primary, _)) = p.split_once('-') {
            if has(primary) {
                return Some(primary.to_owned());
            }
        }
    }
    None
}

/// `text` as the template's `lang` strings translate it (Wallet looks up
/// rendered texts as keys the same way).
fn translate(template: &crate::template::Template, lang: Option<&str>, text: String) -> String {
    lang.and_then(|l| template.strings().get(l))
        .and_then(|t| t.iter().find(|(k, _)| *k == text))
        .map_or(text, |(_, v)| v.clone())
}

/// What a landing page shows of a link, in the first of `prefs` the
/// template has.
pub(crate) async fn landing(state: &AppState, l: &LinkRow, prefs: &[String]) -> Landing {
    let mut records = Vec::new();
    for p in stored_passes(l) {
        if let Ok(Some(r)) = state.inner.store.pass(p).await {
            records.push(r);
        }
    }
    let mut out = Landing::default();
    if records.is_empty() {
        let Some(template) = l
            .template_id
            .as_deref()
            .and_then(|t| state.inner.templates.live(t).ok())
        else {
            return out;
        };
        // The texts as the link's pass will show them: placeholders filled
        // with the link's values, never shown as `{{ … }}`.
        let values = link_values(l);
        let rendered =
            crate::issue::Stamp::new("PREVIEW", "preview-token-0123456789", chrono::Utc::now())
                .ok()
                .and_then(|stamp| {
                    crate::issue::Issuer::new(&template, &state.inner.config.identity)
                        .render(&values, &stamp)
                        .ok()
                });
        out.lang = pick_lang(&template, prefs);
        let (organization, description) = texts(&template, rendered.map(|r| r.pass_json));
        out.items.push(LandingItem {
            organization: translate(&template, out.lang.as_deref(), organization),
            description: translate(&template, out.lang.as_deref(), description),
        });
        return out;
    }
    for r in &records {
        let Ok(template) = state.inner.templates.live(&r.template_id) else {
            out.items.push(LandingItem::default());
            continue;
        };
        if out.lang.is_none() {
            out.lang = pick_lang(&template, prefs);
        }
        let (organization, description) = pass_texts(state, &template, r);
        out.items.push(LandingItem {
            organization: translate(&template, out.lang.as_deref(), organization),
            description: translate(&template, out.lang.as_deref(), description),
        });
    }
    out
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

/// A picture of the link's `n`th pass (a template link: the pass a claim
/// would issue, drawn with the link's values), front side, at 2×.
///
/// # Errors
/// 404 when there is no such pass or template; 400 for a language the
/// template does not have.
#[cfg(feature = "preview")]
pub(crate) async fn picture(
    state: &AppState,
    l: &LinkRow,
    n: usize,
    lang: Option<String>,
) -> Result<Vec<u8>, ApiError> {
    use crate::service::domain::preview::{self, Look, Side};
    let look = Look {
        side: Side::Front,
        lang,
        scale: 2,
    };
    let ids: Vec<&String> = stored_passes(l).collect();
    if let Some(id) = ids.get(n) {
        let record = passes::get(state, id).await?;
        return preview::pass_png(state, &record, look).await;
    }
    let (Some(t), true) = (&l.template_id, ids.is_empty() && n == 0) else {
        return Err(ApiError::not_found("picture", &n.to_string()));
    };
    let template = state.inner.templates.live(t)?;
    preview::template_png(state, template, t, Some(link_values(l)), look).await
}
