//! Apple's PassKit web service, under `<public URL>/apple` (the
//! `webServiceURL` of every pass the service issues): device registrations
//! (stored as connections), changed serial numbers, the latest pass, and
//! device logs. Requests about a pass carry `Authorization: ApplePass
//! <authenticationToken>`, compared in constant time; a wrong or missing
//! token and an unknown pass both answer 401, so serial numbers cannot be
//! probed.

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sqlx::Row as _;

use super::db::{now_ms, PassRecord, StoreError};
use super::error::ApiError;
use super::passes::issue_record;
use super::webhooks::{emit, Event};
use super::AppState;

/// Most device log lines kept; older ones are dropped.
pub const MAX_DEVICE_LOGS: i64 = 1000;

/// Longest device log line kept (longer ones are cut).
const MAX_LOG_CHARS: usize = 2000;

fn unauthorized() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "missing or wrong `Authorization: ApplePass <authenticationToken>`",
    )
}

/// The pass named by the path, if the request carries its token.
async fn authorized_pass(
    state: &AppState,
    headers: &HeaderMap,
    pass_type_id: &str,
    serial: &str,
) -> Result<PassRecord, ApiError> {
    if pass_type_id != state.inner.config.identity.pass_type_id().as_str() {
        return Err(unauthorized());
    }
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
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

fn connection_json(id: &str, pass: &PassRecord, device: &str, state: &str) -> Value {
    json!({
        "id": id, "object": "connection", "platform": "apple", "passId": pass.id,
        "serialNumber": pass.serial_number, "deviceLibraryIdentifier": device, "state": state,
    })
}

/// `POST /apple/v1/devices/{device}/registrations/{passTypeId}/{serial}`
/// `{pushToken}`: 201 for a new registration, 200 for a known one (its
/// push token updated).
pub(crate) async fn register(
    State(state): State<AppState>,
    UrlPath((device, pass_type_id, serial)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let pass = authorized_pass(&state, &headers, &pass_type_id, &serial).await?;
    let token = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| {
            v.get("pushToken")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_registration",
                "the body must be {\"pushToken\": \"…\"}",
            )
        })?;
    let now = now_ms();
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(ApiError::from)?;
    // Write first (SQLite takes the write lock now, not on an upgrade).
    let updated = sqlx::query(
        "UPDATE connections SET push_token = $1, updated_at = $2, state = 'active' \
         WHERE platform = 'apple' AND device_library_id = $3 AND pass_id = $4 AND state <> 'removed'",
    )
    .bind(&token)
    .bind(now)
    .bind(&device)
    .bind(&pass.id)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    if updated.rows_affected() > 0 {
        tx.commit().await.map_err(ApiError::from)?;
        return Ok(StatusCode::OK.into_response());
    }
    let id = format!("con_{}", uuid::Uuid::now_v7().simple());
    // A removed registration is replaced by the new one.
    sqlx::query(
        "DELETE FROM connections WHERE platform = 'apple' AND device_library_id = $1 AND pass_id = $2",
    )
    .bind(&device)
    .bind(&pass.id)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    sqlx::query(
        "INSERT INTO connections (id, pass_id, platform, device_library_id, push_token, state, created_at, updated_at) \
         VALUES ($1, $2, 'apple', $3, $4, 'active', $5, $5)",
    )
    .bind(&id)
    .bind(&pass.id)
    .bind(&device)
    .bind(&token)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    emit(
        &mut tx,
        &Event::new(
            "connection.created",
            connection_json(&id, &pass, &device, "active"),
        ),
        None,
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    state.inner.deliveries_due.notify_one();
    tracing::info!(pass = %pass.id, connection = %id, "device registered");
    super::links::pass_installed(&state, &pass.id, "apple").await?;
    Ok(StatusCode::CREATED.into_response())
}

/// `DELETE /apple/v1/devices/{device}/registrations/{passTypeId}/{serial}`:
/// 200, also when there was nothing to remove.
pub(crate) async fn unregister(
    State(state): State<AppState>,
    UrlPath((device, pass_type_id, serial)): UrlPath<(String, String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let pass = authorized_pass(&state, &headers, &pass_type_id, &serial).await?;
    remove_connections(
        &state,
        "platform = 'apple' AND device_library_id = $1 AND pass_id = $2",
        &[&device, &pass.id],
        "unregistered by the device",
    )
    .await?;
    Ok(StatusCode::OK)
}

/// Marks matching active connections removed, each with a
/// `connection.deleted` event, in one transaction. `filter` uses `$1`, `$2`…
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn remove_connections(
    state: &AppState,
    filter: &str,
    args: &[&str],
    reason: &str,
) -> Result<usize, StoreError> {
    let mut tx = state.inner.store.pool().begin().await?;
    let n = args.len();
    let sql = format!(
        "UPDATE connections SET state = 'removed', updated_at = ${} WHERE state <> 'removed' AND {filter} \
         RETURNING id, pass_id, device_library_id, platform",
        n + 1
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind((*a).to_owned());
    }
    let rows = q.bind(now_ms()).fetch_all(&mut *tx).await?;
    for r in &rows {
        let id: String = r.try_get("id")?;
        let pass_id: String = r.try_get("pass_id")?;
        let device: String = r.try_get("device_library_id")?;
        let platform: String = r.try_get("platform")?;
        let event = Event::new(
            "connection.deleted",
            json!({"id": id, "object": "connection", "platform": platform, "passId": pass_id,
                   "deviceLibraryIdentifier": device, "state": "removed", "reason": reason}),
        );
        emit(&mut tx, &event, None).await?;
    }
    tx.commit().await?;
    if !rows.is_empty() {
        state.inner.deliveries_due.notify_one();
        tracing::info!(count = rows.len(), reason, "connections removed");
    }
    Ok(rows.len())
}

/// Query of the serial-numbers route.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SinceQuery {
    passes_updated_since: Option<String>,
}

/// `GET /apple/v1/devices/{device}/registrations/{passTypeId}?passesUpdatedSince=tag`:
/// the serial numbers of this device's passes changed after `tag`, and a new
/// tag; 204 when none changed.
pub(crate) async fn serials(
    State(state): State<AppState>,
    UrlPath((device, pass_type_id)): UrlPath<(String, String)>,
    Query(q): Query<SinceQuery>,
) -> Result<Response, ApiError> {
    if pass_type_id != state.inner.config.identity.pass_type_id().as_str() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let since: i64 = q
        .passes_updated_since
        .as_deref()
        .and_then(|t| t.parse().ok())
        .unwrap_or(-1);
    let rows = sqlx::query(
        "SELECT p.serial_number, p.updated_at FROM passes p JOIN connections c ON c.pass_id = p.id \
         WHERE c.platform = 'apple' AND c.device_library_id = $1 AND c.state <> 'removed' \
         AND p.updated_at > $2 ORDER BY p.serial_number",
    )
    .bind(&device)
    .bind(since)
    .fetch_all(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    if rows.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let mut serials = Vec::new();
    let mut last = since;
    for r in rows {
        serials.push(
            r.try_get::<String, _>("serial_number")
                .map_err(ApiError::from)?,
        );
        last = last.max(r.try_get::<i64, _>("updated_at").map_err(ApiError::from)?);
    }
    Ok(Json(json!({"serialNumbers": serials, "lastUpdated": last.to_string()})).into_response())
}

/// `GET /apple/v1/passes/{passTypeId}/{serial}`: the latest `.pkpass`, with
/// `Last-Modified`; 304 for an `If-Modified-Since` at or after it.
pub(crate) async fn latest(
    State(state): State<AppState>,
    UrlPath((pass_type_id, serial)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pass = authorized_pass(&state, &headers, &pass_type_id, &serial).await?;
    let modified_secs = pass.updated_at.div_euclid(1000);
    let last_modified = chrono::DateTime::from_timestamp(modified_secs, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let not_modified = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|h| h.to_str().ok())
        .and_then(|v| chrono::NaiveDateTime::parse_from_str(v, "%a, %d %b %Y %H:%M:%S GMT").ok())
        .is_some_and(|since| since.and_utc().timestamp() >= modified_secs);
    let lm = HeaderValue::from_str(&last_modified).map_err(|e| ApiError::internal(&e))?;
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, [(header::LAST_MODIFIED, lm)]).into_response());
    }
    let template = state.inner.templates.live(&pass.template_id)?;
    let issued = issue_record(&state, template, &pass, true, false).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.apple.pkpass"),
            ),
            (header::LAST_MODIFIED, lm),
        ],
        super::passes::pkpass_bytes(&issued)?,
    )
        .into_response())
}

/// `POST /apple/v1/log` `{logs: [...]}`: recorded (the newest
/// [`MAX_DEVICE_LOGS`] kept) and written to the service log.
pub(crate) async fn log(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let logs: Vec<String> = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("logs").and_then(Value::as_array).cloned())
        .unwrap_or_default()
        .iter()
        .take(100)
        .map(|l| {
            l.as_str()
                .map_or_else(|| l.to_string(), str::to_owned)
                .chars()
                .take(MAX_LOG_CHARS)
                .collect()
        })
        .collect();
    if logs.is_empty() {
        return Ok(StatusCode::OK);
    }
    let pool = state.inner.store.pool();
    let mut tx = pool.begin().await.map_err(ApiError::from)?;
    for line in &logs {
        tracing::info!(device_log = %line, "Wallet device log");
        sqlx::query("INSERT INTO device_logs (id, created_at, message) VALUES ($1, $2, $3)")
            .bind(format!("log_{}", uuid::Uuid::now_v7().simple()))
            .bind(now_ms())
            .bind(line)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
    }
    sqlx::query(
        "DELETE FROM device_logs WHERE id NOT IN (SELECT id FROM device_logs ORDER BY id DESC LIMIT $1)",
    )
    .bind(MAX_DEVICE_LOGS)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    tx.commit().await.map_err(ApiError::from)?;
    Ok(StatusCode::OK)
}
