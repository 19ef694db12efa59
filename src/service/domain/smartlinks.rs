//! Signed smart links: link-signing keys (several live at once, for
//! rotation) and opening `/s/{template}?…`: the signature checked in
//! constant time, then the pass made on first open — once per template and
//! link id, however often and however concurrently it is opened.

use base64::Engine as _;
use http::StatusCode;
use serde_json::{Map, Value};

use crate::service::clock::{now_ms, rfc3339};
use crate::service::db::smartlinks::{insert_smart_link, LinkKeyRecord, SmartLinkRecord};
use crate::service::db::{PassRecord, StoreError};
use crate::service::domain::passes::{self, NewPass};
use crate::service::error::ApiError;
use crate::service::state::AppState;
use crate::smartlink::{self, LinkQuery};

/// A link-signing key as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkKeyView {
    /// `lk_…`: the `kid` of links signed with it.
    id: String,
    /// The secret, only in the answer that creates the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// What it is for.
    description: Option<String>,
    /// `active` or `revoked`.
    #[schema(value_type = String, pattern = "^(active|revoked)$")]
    status: &'static str,
    /// When it was made.
    #[schema(format = DateTime)]
    created_at: String,
}

fn key_view(k: &LinkKeyRecord, with_secret: bool) -> LinkKeyView {
    LinkKeyView {
        id: k.id.clone(),
        secret: with_secret.then(|| k.secret.clone()),
        description: k.description.clone(),
        status: if k.revoked_at.is_some() {
            "revoked"
        } else {
            "active"
        },
        created_at: rfc3339(k.created_at),
    }
}

/// Makes a link-signing key; its secret is shown only in this answer.
///
/// # Errors
/// [`ApiError`] for a database or randomness failure.
pub(crate) async fn create_key(
    state: &AppState,
    description: Option<String>,
) -> Result<LinkKeyView, ApiError> {
    let mut raw = [0u8; 32];
    openssl::rand::rand_bytes(&mut raw).map_err(|e| ApiError::internal(&e))?;
    let k = LinkKeyRecord {
        id: format!("lk_{}", uuid::Uuid::now_v7().simple()),
        secret: format!(
            "lks_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        ),
        description,
        created_at: now_ms(),
        revoked_at: None,
    };
    state.inner.store.insert_link_key(&k).await?;
    tracing::info!(key = %k.id, "link-signing key created");
    Ok(key_view(&k, true))
}

/// Every link-signing key (no secrets).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn list_keys(state: &AppState) -> Result<Vec<LinkKeyView>, ApiError> {
    Ok(state
        .inner
        .store
        .link_keys()
        .await?
        .iter()
        .map(|k| key_view(k, false))
        .collect())
}

/// Revokes a key: links signed with it no longer open.
///
/// # Errors
/// 404 when there is no live key with that id.
pub(crate) async fn revoke_key(state: &AppState, id: &str) -> Result<(), ApiError> {
    if !state.inner.store.revoke_link_key(id, now_ms()).await? {
        return Err(ApiError::not_found("live link-signing key", id));
    }
    tracing::info!(key = %id, "link-signing key revoked");
    Ok(())
}

/// The pass of a smart link, made on its first open.
///
/// # Errors
/// 400 `bad_link` (unreadable, or an unsigned field the template does not
/// allow), 403 `link_signature` (tampered, or not signed by a live key),
/// 404 (no such template), 409 `link_values_changed` (the link id was
/// opened with other values), 410 `link_expired`, 422 (values that make no
/// valid pass).
pub(crate) async fn open(
    state: &AppState,
    template_id: &str,
    pairs: &[(String, String)],
) -> Result<PassRecord, ApiError> {
    let q = smartlink::parse(pairs)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_link", e.to_string()))?;
    let template = state.inner.templates.live(template_id)?;
    let forged = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "link_signature",
            "This link's signature does not check out: it was changed, or its key was revoked",
        )
    };
    let key = match state.inner.store.link_key(&q.key_id).await? {
        Some(k) if k.revoked_at.is_none() => k,
        _ => return Err(forged()),
    };
    if !q.signed_with(template_id, &key.secret) {
        return Err(forged());
    }
    if let Some(exp) = q.expires.filter(|e| e.saturating_mul(1000) <= now_ms()) {
        return Err(ApiError::new(
            StatusCode::GONE,
            "link_expired",
            format!(
                "This link expired at {}; ask the sender for a new one",
                rfc3339(exp.saturating_mul(1000))
            ),
        ));
    }
    let allowed = &template.meta().unsigned_fields;
    if let Some((f, _)) = q.unsigned.iter().find(|(f, _)| !allowed.contains(f)) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_link",
            format!("u.{f}: this template does not take {f:?} unsigned"),
        ));
    }
    let id = format!("{template_id}\n{}", q.link_id);
    let hash = crate::model::hex(&<sha2::Sha256 as sha2::Digest>::digest(
        q.canonical(template_id).as_bytes(),
    ));
    if let Some(done) = state.inner.store.smart_link(&id).await? {
        return reopened(state, &done, &hash).await;
    }
    let pass = make_pass(state, template_id, &q).await?;
    let record = SmartLinkRecord {
        id: id.clone(),
        canonical_hash: hash.clone(),
        pass_id: pass.id.clone(),
    };
    // The connection goes back to the pool before any other query.
    let inserted = {
        let mut c = state.inner.store.conn().await?;
        insert_smart_link(
            &mut c,
            &record,
            template_id,
            &q.link_id,
            &q.key_id,
            now_ms(),
        )
        .await
    };
    match inserted {
        Ok(()) => Ok(pass),
        Err(StoreError::Conflict(_)) => match state.inner.store.smart_link(&id).await? {
            Some(done) => reopened(state, &done, &hash).await,
            None => Err(ApiError::internal(&"a smart link vanished")),
        },
        Err(e) => Err(e.into()),
    }
}

/// The pass of a link opened before, if it carries the same values.
async fn reopened(
    state: &AppState,
    done: &SmartLinkRecord,
    hash: &str,
) -> Result<PassRecord, ApiError> {
    if done.canonical_hash != hash {
        return Err(ApiError::conflict(
            "link_values_changed",
            "This link id was opened before with other values: a link id names one pass",
        ));
    }
    passes::get(state, &done.pass_id).await
}

/// The pass of a first open: its serial number follows from the template
/// and link id, so two first opens at once make one pass (the second
/// insert meets the first's serial number and takes its pass).
async fn make_pass(
    state: &AppState,
    template_id: &str,
    q: &LinkQuery,
) -> Result<PassRecord, ApiError> {
    let digest = <sha2::Sha256 as sha2::Digest>::digest(format!("{template_id}\n{}", q.link_id));
    let serial = format!("SL-{}", &crate::model::hex(&digest)[..32]);
    if let Some(p) = state.inner.store.pass_by_serial(&serial).await? {
        return Ok(p);
    }
    let pass_id = uuid::Uuid::now_v7().to_string();
    let custom_fields: Map<String, Value> = q
        .fields
        .iter()
        .chain(q.unsigned.iter())
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let (record, template) = passes::prepare(
        state,
        NewPass {
            template_id: template_id.to_owned(),
            serial_number: Some(serial.clone()),
            custom_fields,
            ..NewPass::default()
        },
        pass_id.clone(),
        "",
    )
    .map_err(|e| located_in_query(e, q))?;
    match passes::create(state, record, template).await {
        Ok((p, _)) => Ok(p),
        Err(e) if e.status == StatusCode::CONFLICT => state
            .inner
            .store
            .pass_by_serial(&serial)
            .await?
            .ok_or_else(|| ApiError::internal(&"a smart link's pass vanished")),
        Err(e) => Err(located_in_query(e, q)),
    }
}

/// Problems located as query parameters (`/customFields/seat` → `f.seat`).
fn located_in_query(mut e: ApiError, q: &LinkQuery) -> ApiError {
    for p in &mut e.errors {
        if let Some(f) = p.pointer.strip_prefix("/customFields/") {
            let f = f.split('/').next().unwrap_or(f);
            let signed = q.fields.iter().any(|(k, _)| k == f);
            p.pointer = format!("{}{f}", if signed { "f." } else { "u." });
        }
    }
    e
}

/// The organization and description of a smart link's pass, as it shows them.
pub(crate) fn texts(state: &AppState, pass: &PassRecord) -> (String, String) {
    match state.inner.templates.live(&pass.template_id) {
        Ok(t) => crate::service::domain::links::pass_texts(state, &t, pass),
        Err(_) => Default::default(),
    }
}
