//! Connections — one installation of a pass in one wallet (an Apple device
//! registration today): list, get, delete (stop pushing to it) and sync
//! (push now). States: `active`, `failing` (its pushes keep failing),
//! `removed`.

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sqlx::Row as _;

use super::auth::{Principal, Scope};
use super::db::now_ms;
use super::error::{ApiError, FieldProblem};
use super::{rfc3339, AppState};

/// Which connections to list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Filter {
    pub(crate) pass_id: Option<String>,
    pub(crate) user_id: Option<String>,
    pub(crate) platform: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) limit: Option<u32>,
    pub(crate) starting_after: Option<String>,
}

const COLUMNS: &str = "c.id, c.pass_id, c.platform, c.device_library_id, c.state, c.created_at, c.updated_at, p.serial_number, p.user_id";

fn connection_json(r: &sqlx::any::AnyRow) -> Result<Value, ApiError> {
    Ok(json!({
        "id": r.try_get::<String, _>("id").map_err(ApiError::from)?,
        "object": "connection",
        "passId": r.try_get::<String, _>("pass_id").map_err(ApiError::from)?,
        "serialNumber": r.try_get::<Option<String>, _>("serial_number").map_err(ApiError::from)?,
        "userId": r.try_get::<Option<String>, _>("user_id").map_err(ApiError::from)?,
        "platform": r.try_get::<String, _>("platform").map_err(ApiError::from)?,
        "deviceLibraryIdentifier": r.try_get::<String, _>("device_library_id").map_err(ApiError::from)?,
        "state": r.try_get::<String, _>("state").map_err(ApiError::from)?,
        "createdAt": rfc3339(r.try_get::<i64, _>("created_at").map_err(ApiError::from)?),
        "updatedAt": rfc3339(r.try_get::<i64, _>("updated_at").map_err(ApiError::from)?),
    }))
}

/// Connections matching `f`, oldest first, at most `limit`.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn query(
    state: &AppState,
    f: &Filter,
    limit: u32,
) -> Result<Vec<Value>, ApiError> {
    let mut sql = format!(
        "SELECT {COLUMNS} FROM connections c LEFT JOIN passes p ON p.id = c.pass_id WHERE 1 = 1"
    );
    let mut args: Vec<String> = Vec::new();
    let mut add = |sql: &mut String, clause: &str, v: &Option<String>| {
        if let Some(v) = v {
            args.push(v.clone());
            sql.push_str(&clause.replace('?', &format!("${}", args.len())));
        }
    };
    add(&mut sql, " AND c.id > ?", &f.starting_after);
    add(&mut sql, " AND c.pass_id = ?", &f.pass_id);
    add(&mut sql, " AND p.user_id = ?", &f.user_id);
    add(&mut sql, " AND c.platform = ?", &f.platform);
    add(&mut sql, " AND c.state = ?", &f.state);
    sql.push_str(&format!(" ORDER BY c.id LIMIT {}", limit.clamp(1, 101)));
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for a in args {
        q = q.bind(a);
    }
    let rows = q
        .fetch_all(state.inner.store.pool())
        .await
        .map_err(ApiError::from)?;
    rows.iter().map(connection_json).collect()
}

/// `GET /v1/connections?passId&userId&platform&state&limit&startingAfter`
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    query_params: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    let Query(f) = query_params.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    if let Some(s) = &f.state {
        if !["active", "failing", "removed"].contains(&s.as_str()) {
            return Err(ApiError::invalid(
                "bad state",
                vec![FieldProblem {
                    pointer: "state".into(),
                    detail: "active, failing or removed".into(),
                }],
            ));
        }
    }
    let limit = f.limit.unwrap_or(20).clamp(1, 100);
    let mut data = query(&state, &f, limit + 1).await?;
    let has_more = data.len() > limit as usize;
    data.truncate(limit as usize);
    let next = if has_more {
        data.last()
            .and_then(|c| c["id"].as_str())
            .map(str::to_owned)
    } else {
        None
    };
    Ok(Json(
        json!({"data": data, "hasMore": has_more, "nextStartingAfter": next}),
    ))
}

async fn one(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM connections c LEFT JOIN passes p ON p.id = c.pass_id WHERE c.id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?
    .ok_or_else(|| ApiError::not_found("connection", id))?;
    connection_json(&row)
}

/// `GET /v1/connections/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(one(&state, &id).await?))
}

/// `DELETE /v1/connections/{id}`: stop pushing to it (`connection.deleted`).
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    one(&state, &id).await?;
    super::apple::remove_connections(&state, "id = $1", &[&id], "deleted through the API").await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/connections/{id}/sync`: push to this installation now.
pub(crate) async fn sync(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let c = one(&state, &id).await?;
    if c["state"] == "removed" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "connection_removed",
            "this installation is removed; the device registers again when the pass is re-added",
        ));
    }
    let row = sqlx::query("SELECT pass_id, push_token FROM connections WHERE id = $1")
        .bind(&id)
        .fetch_one(state.inner.store.pool())
        .await
        .map_err(ApiError::from)?;
    let pass_id: String = row.try_get("pass_id").map_err(ApiError::from)?;
    let token: String = row.try_get("push_token").map_err(ApiError::from)?;
    let now = now_ms();
    let push_id = format!("psh_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(
        "INSERT INTO pushes (id, pass_id, push_token, topic, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
    )
    .bind(&push_id)
    .bind(&pass_id)
    .bind(&token)
    .bind(state.inner.config.identity.pass_type_id().as_str())
    .bind(now)
    .execute(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    state.inner.pushes_due.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"pushId": push_id, "connection": c})),
    )
        .into_response())
}

/// Install counts of a pass per platform (active and failing connections).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn install_counts(state: &AppState, pass_id: &str) -> Result<Value, ApiError> {
    let rows = sqlx::query(
        "SELECT platform, COUNT(*) AS n FROM connections WHERE pass_id = $1 AND state <> 'removed' GROUP BY platform",
    )
    .bind(pass_id)
    .fetch_all(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    let mut out = json!({"apple": 0, "google": 0});
    for r in rows {
        let platform: String = r.try_get("platform").map_err(ApiError::from)?;
        let n: i64 = r.try_get("n").map_err(ApiError::from)?;
        out[platform] = n.into();
    }
    Ok(out)
}
