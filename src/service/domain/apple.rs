//! Apple's PassKit web service (the `webServiceURL` of every pass the
//! service issues): device registrations (stored as connections), the
//! serial numbers that changed, the latest pass, and device logs. Requests
//! about a pass carry its authentication token, compared in constant time;
//! a wrong or missing token and an unknown pass are both 401, so serial
//! numbers cannot be probed.

use http::StatusCode;
use serde_json::json;

use crate::service::clock::now_ms;
use crate::service::db::apple::Removal;
use crate::service::db::{self, PassRecord};
use crate::service::domain::{commit, connections, links};
use crate::service::error::ApiError;
use crate::service::outbox::Effect;
use crate::service::state::AppState;

/// Most device log lines kept; older ones are dropped.
pub(crate) const MAX_DEVICE_LOGS: i64 = 1000;

/// Longest device log line kept (longer ones are cut).
const MAX_LOG_CHARS: usize = 2000;

/// Device log lines taken from one request.
const MAX_LOG_LINES: usize = 100;

/// The 401 of every request about a pass that is not allowed.
pub(crate) fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing or wrong `Authorization: ApplePass <authenticationToken>`",
    )
}

/// The pass named by the path, if `authorization` (the header as sent)
/// carries its token.
///
/// # Errors
/// 401.
pub(crate) async fn authorized_pass(
    state: &AppState,
    authorization: Option<&str>,
    pass_type_id: &str,
    serial: &str,
) -> Result<PassRecord, ApiError> {
    if pass_type_id != state.inner.config.identity.pass_type_id().as_str() {
        return Err(unauthorized());
    }
    let token = authorization
        .and_then(|h| h.strip_prefix("ApplePass "))
        .map(str::trim)
        .ok_or_else(unauthorized)?;
    let pass = state
        .inner
        .store
        .pass_by_serial(serial)
        .await?
        .ok_or_else(unauthorized)?;
    let ok = token.len() == pass.auth_token.len()
        && openssl::memcmp::eq(token.as_bytes(), pass.auth_token.as_bytes());
    if ok {
        Ok(pass)
    } else {
        Err(unauthorized())
    }
}

/// Registers `device` for pushes about `pass` with `push_token`: true for a
/// new registration, false for a known one (its token updated).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn register(
    state: &AppState,
    device: &str,
    pass: &PassRecord,
    push_token: &str,
) -> Result<bool, ApiError> {
    let now = now_ms();
    let mut tx = state.inner.store.begin().await?;
    if db::apple::refresh_registration(&mut tx, device, &pass.id, push_token, now).await? {
        db::commit(tx).await?;
        return Ok(false);
    }
    let id = format!("con_{}", uuid::Uuid::now_v7().simple());
    db::apple::insert_registration(&mut tx, &id, device, &pass.id, push_token, now).await?;
    let event = json!({
        "id": id, "object": "connection", "platform": "apple", "passId": pass.id,
        "serialNumber": pass.serial_number, "deviceLibraryIdentifier": device, "state": "active",
    });
    commit(state, tx, &[Effect::event("connection.created", event)]).await?;
    tracing::info!(pass = %pass.id, connection = %id, "device registered");
    links::pass_installed(state, &pass.id, "apple").await?;
    Ok(true)
}

/// Removes a device's registration of a pass (nothing to remove is fine).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn unregister(
    state: &AppState,
    device: &str,
    pass: &PassRecord,
) -> Result<(), ApiError> {
    connections::remove(
        state,
        &Removal::Device {
            platform: "apple",
            device,
            pass_id: &pass.id,
        },
        "unregistered by the device",
    )
    .await?;
    Ok(())
}

/// The serial numbers of a device's passes changed after `since` (a tag
/// this service gave out: Unix ms), with the new tag; `None` when none
/// changed (or the pass type is not this service's).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn changed_serials(
    state: &AppState,
    device: &str,
    pass_type_id: &str,
    since: Option<&str>,
) -> Result<Option<(Vec<String>, String)>, ApiError> {
    if pass_type_id != state.inner.config.identity.pass_type_id().as_str() {
        return Ok(None);
    }
    let since: i64 = since.and_then(|t| t.parse().ok()).unwrap_or(-1);
    let rows =
        db::apple::changed_serials(&mut *state.inner.store.conn().await?, device, since).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let last = rows.iter().map(|(_, t)| *t).fold(since, i64::max);
    Ok(Some((
        rows.into_iter().map(|(s, _)| s).collect(),
        last.to_string(),
    )))
}

/// Records device log lines (the newest [`MAX_DEVICE_LOGS`] are kept) and
/// writes them to the service log.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn log(state: &AppState, lines: &[String]) -> Result<(), ApiError> {
    let lines: Vec<String> = lines
        .iter()
        .take(MAX_LOG_LINES)
        .map(|l| l.chars().take(MAX_LOG_CHARS).collect())
        .collect();
    if lines.is_empty() {
        return Ok(());
    }
    for line in &lines {
        tracing::info!(device_log = %line, "Wallet device log");
    }
    let mut tx = state.inner.store.begin().await?;
    db::apple::insert_device_logs(&mut tx, &lines, now_ms(), MAX_DEVICE_LOGS).await?;
    db::commit(tx).await?;
    Ok(())
}

/// What Wallet posts to the `personalize` endpoint (Apple Rewards
/// Enrollment): the holder's answers and the token to sign.
#[derive(Debug, Clone)]
pub(crate) struct Enrollment {
    /// `personalizationToken`.
    pub(crate) token: String,
    /// `requiredPersonalizationInfo`.
    pub(crate) info: serde_json::Map<String, serde_json::Value>,
}

/// Longest personalization token taken.
const MAX_TOKEN_CHARS: usize = 4096;

/// Longest answer taken.
const MAX_ANSWER_CHARS: usize = 256;

/// A holder signed up from Wallet: their answers go to a user (created, or
/// the pass's own) and, through template.json's `personalize`, into the
/// pass's fields; the pass becomes a new version without
/// `personalization.json` (`pass.personalized`, pushed), which Wallet
/// fetches next. Returns the token signed as Apple asks: a detached PKCS#7
/// signature with the pass certificate. A repeated request (Wallet retrying
/// after a lost answer) signs again and changes nothing.
///
/// Wallet sends no `Authorization` with this request; when one is sent it
/// must be the pass's.
///
/// # Errors
/// 401 for an unknown pass or a wrong token, 404 when its template offers
/// no sign-up, 400 for a malformed body, 422 when the answers make no valid
/// pass.
pub(crate) async fn personalize(
    state: &AppState,
    authorization: Option<&str>,
    pass_type_id: &str,
    serial: &str,
    enrollment: Enrollment,
) -> Result<Vec<u8>, ApiError> {
    let pass = match authorization {
        Some(_) => authorized_pass(state, authorization, pass_type_id, serial).await?,
        None => {
            if pass_type_id != state.inner.config.identity.pass_type_id().as_str() {
                return Err(unauthorized());
            }
            state
                .inner
                .store
                .pass_by_serial(serial)
                .await?
                .ok_or_else(unauthorized)?
        }
    };
    let template = state.inner.templates.live(&pass.template_id)?;
    let Some(plan) = template.personalization() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_personalizable",
            "this pass's template has no personalization.json: it offers no sign-up from Wallet",
        ));
    };
    let bad = |detail: &str| ApiError::bad_request("bad_personalization", detail);
    if enrollment.token.is_empty() || enrollment.token.len() > MAX_TOKEN_CHARS {
        return Err(bad(
            "personalizationToken must be a string of 1 to 4,096 characters",
        ));
    }
    let mut info = serde_json::Map::new();
    for (k, v) in &enrollment.info {
        match v.as_str() {
            Some(s) if s.chars().count() <= MAX_ANSWER_CHARS => {
                if crate::template::personalize::INFO_KEYS.contains(&k.as_str()) {
                    info.insert(k.clone(), v.clone());
                }
            }
            _ => {
                return Err(bad(&format!(
                    "requiredPersonalizationInfo.{k} must be a string of at most 256 characters"
                )))
            }
        }
    }
    if !pass.overrides.personalized {
        let mut new = pass.clone();
        new.custom_fields.extend(plan.values(&info));
        new.overrides.personalized = true;
        let (user_id, created) = match &pass.user_id {
            Some(u) => (u.clone(), false),
            None => (format!("usr_{}", uuid::Uuid::now_v7().simple()), true),
        };
        new.user_id = Some(user_id.clone());
        // Re-signed first: answers that make no valid pass write nothing.
        let (new, signed) = super::passes::next_version(state, &pass, new).await?;
        let info_json = serde_json::Value::Object(info.clone()).to_string();
        let now = now_ms();
        let mut tx = state.inner.store.begin().await?;
        let mut effects = Vec::new();
        if created {
            let row = db::users::UserRow {
                id: user_id.clone(),
                external_id: format!("wallet:{}", pass.serial_number),
                created_at: now,
                personal_info: Some(info_json),
            };
            db::users::insert_user(&mut tx, &row).await?;
            effects.push(Effect::event(
                "user.created",
                json!({"id": row.id, "object": "user", "externalId": row.external_id, "createdAt": crate::service::clock::rfc3339(now)}),
            ));
        } else {
            db::users::set_personal_info(&mut tx, &user_id, &info_json).await?;
        }
        if !db::update_pass(&mut tx, &new, pass.version).await? {
            return Err(super::passes::concurrent_update());
        }
        super::passes::store_signed(&mut tx, &new, signed.as_ref()).await?;
        effects.extend(super::passes::version_effects(
            state,
            &pass,
            &new,
            "pass.personalized",
        ));
        commit(state, tx, &effects).await?;
        super::passes::remember(state, &new, signed);
        tracing::info!(pass = %new.id, user = %user_id, version = new.version, "pass personalized");
    }
    let _turn = super::passes::signer_turn(state).await?;
    let token = enrollment.token;
    super::passes::on_signing_thread(state, move |state| {
        state
            .inner
            .config
            .identity
            .sign_manifest(token.as_bytes(), chrono::Utc::now())
    })
    .await?
    .map_err(|e| ApiError::internal(&e))
}
