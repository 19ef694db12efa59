//! Users — the people who hold passes — with user-scoped tokens (which
//! reach `/v1/me/…` and nothing else).

use serde_json::json;

use crate::service::clock::{now_ms, rfc3339};
use crate::service::db::users::{UserRow, UserTokenRow};
use crate::service::db::{self, PassQuery, PassRecord, StoreError};
use crate::service::domain::commit;
use crate::service::domain::keys::{new_user_token, ApiKeyToken};
use crate::service::error::ApiError;
use crate::service::outbox::Effect;
use crate::service::state::AppState;

/// Default lifetime of a user token.
pub(crate) const DEFAULT_TOKEN_SECS: i64 = 24 * 3600;

/// Longest lifetime of a user token.
pub(crate) const MAX_TOKEN_SECS: i64 = 90 * 24 * 3600;

/// A user as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserView {
    /// `usr_…`
    id: String,
    /// Always `user`.
    object: &'static str,
    /// Your app's id for the person.
    external_id: String,
    /// How many passes belong to the user.
    passes: i64,
    /// What they typed into Wallet's sign-up form (Apple Rewards
    /// Enrollment: fullName, emailAddress, …), if they signed up there.
    #[schema(value_type = Option<Object>)]
    personal_info: Option<serde_json::Value>,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
}

fn view(u: &UserRow, passes: i64) -> UserView {
    UserView {
        id: u.id.clone(),
        object: "user",
        external_id: u.external_id.clone(),
        passes,
        personal_info: u
            .personal_info
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok()),
        created_at: rfc3339(u.created_at),
    }
}

/// A user token, shown once.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserTokenView {
    /// `ut…`
    id: String,
    /// Always `user_token`.
    object: &'static str,
    /// Whose.
    user_id: String,
    /// `pfu_<id>_<secret>`: send as `Authorization: Bearer`.
    token: String,
    /// When it stops working.
    #[schema(format = DateTime)]
    expires_at: String,
}

/// Creates a user (`user.created`).
///
/// # Errors
/// 409 when the external id is taken.
pub(crate) async fn create(state: &AppState, external_id: &str) -> Result<UserView, ApiError> {
    let row = UserRow {
        id: format!("usr_{}", uuid::Uuid::now_v7().simple()),
        external_id: external_id.to_owned(),
        created_at: now_ms(),
        personal_info: None,
    };
    let mut tx = state.inner.store.begin().await?;
    match db::users::insert_user(&mut tx, &row).await {
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(
                "conflict",
                format!("a user with externalId {external_id:?} exists"),
            ))
        }
        r => r?,
    }
    let data = json!({"id": row.id, "object": "user", "externalId": row.external_id, "createdAt": rfc3339(row.created_at)});
    commit(state, tx, &[Effect::event("user.created", data)]).await?;
    Ok(view(&row, 0))
}

/// One user.
///
/// # Errors
/// 404.
pub(crate) async fn get(state: &AppState, id: &str) -> Result<UserView, ApiError> {
    let mut c = state.inner.store.conn().await?;
    let u = db::users::user(&mut c, id)
        .await?
        .ok_or_else(|| ApiError::not_found("user", id))?;
    let passes = db::users::pass_count(&mut c, id).await?;
    Ok(view(&u, passes))
}

/// Deletes a user: their tokens are revoked, their passes detached or
/// deleted (`user.deleted`).
///
/// # Errors
/// 404.
pub(crate) async fn delete(
    state: &AppState,
    id: &str,
    delete_passes: bool,
) -> Result<(), ApiError> {
    get(state, id).await?;
    let mut tx = state.inner.store.begin().await?;
    let now = now_ms();
    let passes = db::users::delete_user(&mut tx, id, delete_passes, now).await?;
    // Links that would issue passes for them keep none of their values.
    db::links::erase_user(&mut tx, id, now).await?;
    let data = json!({"id": id, "object": "user", "passes": if delete_passes { "deleted" } else { "detached" }, "passCount": passes});
    commit(state, tx, &[Effect::event("user.deleted", data)]).await?;
    Ok(())
}

/// A user-scoped token valid for `secs` seconds, shown once.
///
/// # Errors
/// 404.
pub(crate) async fn create_token(
    state: &AppState,
    id: &str,
    secs: i64,
) -> Result<UserTokenView, ApiError> {
    get(state, id).await?;
    let (token_id, hash, token): (String, String, ApiKeyToken) = new_user_token()?;
    let now = now_ms();
    let row = UserTokenRow {
        id: token_id,
        user_id: id.to_owned(),
        secret_hash: hash,
        expires_at: now + secs * 1000,
        revoked_at: None,
        created_at: now,
    };
    db::users::insert_token(&mut *state.inner.store.conn().await?, &row).await?;
    Ok(UserTokenView {
        id: row.id,
        object: "user_token",
        user_id: row.user_id,
        token: token.expose().to_owned(),
        expires_at: rfc3339(row.expires_at),
    })
}

/// Revokes one of a user's tokens.
///
/// # Errors
/// 404 when there is no such live token.
pub(crate) async fn revoke_token(state: &AppState, id: &str, token: &str) -> Result<(), ApiError> {
    if db::users::revoke_token(&mut *state.inner.store.conn().await?, id, token, now_ms()).await? {
        Ok(())
    } else {
        Err(ApiError::not_found("user token", token))
    }
}

/// A user's own passes (at most 100).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn passes(state: &AppState, user: &str) -> Result<Vec<PassRecord>, ApiError> {
    Ok(state
        .inner
        .store
        .passes(&PassQuery {
            user_id: Some(user.to_owned()),
            limit: 100,
            ..PassQuery::default()
        })
        .await?)
}

/// One of a user's passes (another user's is 404).
///
/// # Errors
/// 404.
pub(crate) async fn pass(state: &AppState, user: &str, id: &str) -> Result<PassRecord, ApiError> {
    state
        .inner
        .store
        .pass(id)
        .await?
        .filter(|p| p.user_id.as_deref() == Some(user))
        .ok_or_else(|| ApiError::not_found("pass", id))
}
