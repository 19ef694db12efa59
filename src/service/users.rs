//! Users — the people who hold passes — with user-scoped tokens, and the
//! `/v1/me/…` routes those tokens reach (and nothing else).

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sqlx::Row as _;

use super::auth::{new_user_token, Principal, Scope};
use super::db::{now_ms, PassQuery};
use super::error::{ApiError, FieldProblem};
use super::webhooks::{emit, Event};
use super::{rfc3339, AppState, Body};

/// Default lifetime of a user token.
const DEFAULT_TOKEN_SECS: i64 = 24 * 3600;

/// Longest lifetime of a user token.
const MAX_TOKEN_SECS: i64 = 90 * 24 * 3600;

fn problem(pointer: &str, detail: impl Into<String>) -> FieldProblem {
    FieldProblem {
        pointer: pointer.to_owned(),
        detail: detail.into(),
    }
}

async fn user_json(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let pool = state.inner.store.pool();
    let row = sqlx::query("SELECT id, external_id, created_at FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::not_found("user", id))?;
    let passes: i64 = sqlx::query("SELECT COUNT(*) AS n FROM passes WHERE user_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .map_err(ApiError::from)?
        .try_get("n")
        .map_err(ApiError::from)?;
    Ok(json!({
        "id": row.try_get::<String, _>("id").map_err(ApiError::from)?,
        "object": "user",
        "externalId": row.try_get::<String, _>("external_id").map_err(ApiError::from)?,
        "passes": passes,
        "createdAt": rfc3339(row.try_get::<i64, _>("created_at").map_err(ApiError::from)?),
    }))
}

/// `POST /v1/users {externalId}`
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Body(body): Body,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let external = body
        .get("externalId")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .ok_or_else(|| {
            ApiError::invalid(
                "a user needs an externalId",
                vec![problem(
                    "/externalId",
                    "required: your app's id for this person (1 to 200 characters)",
                )],
            )
        })?
        .to_owned();
    let id = format!("usr_{}", uuid::Uuid::now_v7().simple());
    let now = now_ms();
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(ApiError::from)?;
    let inserted =
        sqlx::query("INSERT INTO users (id, external_id, created_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(&external)
            .bind(now)
            .execute(&mut *tx)
            .await;
    match inserted {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("a user with externalId {external:?} exists"),
            ))
        }
        Err(e) => return Err(e.into()),
        Ok(_) => {}
    }
    let data =
        json!({"id": id, "object": "user", "externalId": external, "createdAt": rfc3339(now)});
    emit(&mut tx, &Event::new("user.created", data.clone()), None).await?;
    tx.commit().await.map_err(ApiError::from)?;
    state.inner.deliveries_due.notify_one();
    let mut out = data;
    out["passes"] = 0.into();
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

/// `GET /v1/users/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(user_json(&state, &id).await?))
}

/// Query of `DELETE /v1/users/{id}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteQuery {
    passes: Option<String>,
}

/// `DELETE /v1/users/{id}?passes=detach|delete`: the user's tokens are
/// revoked; their passes are detached (default) or deleted.
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
    query: Result<Query<DeleteQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let delete_passes = match q.passes.as_deref() {
        None | Some("detach") => false,
        Some("delete") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "bad passes parameter",
                vec![problem(
                    "passes",
                    "detach (keep the passes, without a user) or delete",
                )],
            ))
        }
    };
    user_json(&state, &id).await?;
    let now = now_ms();
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(ApiError::from)?;
    sqlx::query("UPDATE user_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(&id)
        .execute(&mut *tx)
        .await
        .map_err(ApiError::from)?;
    let passes = if delete_passes {
        sqlx::query("DELETE FROM passes WHERE user_id = $1")
    } else {
        sqlx::query("UPDATE passes SET user_id = NULL WHERE user_id = $1")
    }
    .bind(&id)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?
    .rows_affected();
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await
        .map_err(ApiError::from)?;
    emit(
        &mut tx,
        &Event::new(
            "user.deleted",
            json!({"id": id, "object": "user", "passes": if delete_passes { "deleted" } else { "detached" }, "passCount": passes}),
        ),
        None,
    )
    .await?;
    tx.commit().await.map_err(ApiError::from)?;
    state.inner.deliveries_due.notify_one();
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/users/{id}/tokens {expiresIn?}` (seconds): a user-scoped
/// token, shown once.
pub(crate) async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
    body: Option<Json<Value>>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    user_json(&state, &id).await?;
    let secs = match body.as_ref().and_then(|b| b.get("expiresIn")) {
        None => DEFAULT_TOKEN_SECS,
        Some(v) => match v.as_i64().filter(|s| (60..=MAX_TOKEN_SECS).contains(s)) {
            Some(s) => s,
            None => {
                return Err(ApiError::invalid(
                    "bad expiresIn",
                    vec![problem(
                        "/expiresIn",
                        format!("seconds, 60 to {MAX_TOKEN_SECS}"),
                    )],
                ))
            }
        },
    };
    let (token_id, hash, token) = new_user_token()?;
    let now = now_ms();
    let expires = now + secs * 1000;
    sqlx::query(
        "INSERT INTO user_tokens (id, user_id, secret_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&token_id)
    .bind(&id)
    .bind(&hash)
    .bind(expires)
    .bind(now)
    .execute(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": token_id, "object": "user_token", "userId": id, "token": token.expose(), "expiresAt": rfc3339(expires)})),
    )
        .into_response())
}

/// `DELETE /v1/users/{id}/tokens/{token}`: revokes a user token.
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath((id, token)): UrlPath<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    let done = sqlx::query("UPDATE user_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now_ms())
        .bind(&token)
        .bind(&id)
        .execute(state.inner.store.pool())
        .await
        .map_err(ApiError::from)?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found("user token", &token));
    }
    Ok(StatusCode::NO_CONTENT)
}

fn me(principal: &Principal) -> Result<&str, ApiError> {
    principal.user_id.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "user_token_required",
            "/v1/me/… is for user tokens (POST /v1/users/{id}/tokens)",
        )
    })
}

/// `GET /v1/me/passes`: the user's own passes.
pub(crate) async fn my_passes(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let user = me(&principal)?.to_owned();
    let passes = state
        .inner
        .store
        .passes(&PassQuery {
            user_id: Some(user),
            limit: 100,
            ..PassQuery::default()
        })
        .await?;
    let data: Vec<Value> = passes
        .iter()
        .map(|p| {
            json!({
                "id": p.id, "object": "pass", "templateId": p.template_id, "serialNumber": p.serial_number,
                "status": p.status.as_str(), "version": p.version, "updatedAt": rfc3339(p.updated_at),
            })
        })
        .collect();
    Ok(Json(json!({"data": data})))
}

/// `GET /v1/me/passes/{id}/download`: one of the user's passes; another
/// user's is 404.
pub(crate) async fn my_download(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = me(&principal)?;
    let pass = state
        .inner
        .store
        .pass(&id)
        .await?
        .filter(|p| p.user_id.as_deref() == Some(user))
        .ok_or_else(|| ApiError::not_found("pass", &id))?;
    super::passes::download_record(&state, &pass, &headers).await
}

/// `GET /v1/me/connections`: the wallets the user's passes are installed in.
pub(crate) async fn my_connections(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    let user = me(&principal)?.to_owned();
    let data = super::connections::query(
        &state,
        &super::connections::Filter {
            user_id: Some(user),
            ..Default::default()
        },
        100,
    )
    .await?;
    Ok(Json(json!({"data": data})))
}
