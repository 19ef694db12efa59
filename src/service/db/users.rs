//! The people who hold passes: `users` and their `user_tokens`.

use sqlx::Row as _;

use super::{Conn, StoreError};

/// A stored user.
#[derive(Debug, Clone)]
pub(crate) struct UserRow {
    /// `usr_…`
    pub(crate) id: String,
    /// The app's own id for the person.
    pub(crate) external_id: String,
    /// Unix ms.
    pub(crate) created_at: i64,
    /// What they typed into Wallet's sign-up form (JSON text).
    pub(crate) personal_info: Option<String>,
}

/// Stores a user.
///
/// # Errors
/// [`StoreError::Conflict`] when the external id is taken.
pub(crate) async fn insert_user(c: &mut Conn, u: &UserRow) -> Result<(), StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO users (id, external_id, created_at, personal_info) VALUES ($1, $2, $3, $4)",
    )
    .bind(u.id.clone())
    .bind(u.external_id.clone())
    .bind(u.created_at)
    .bind(u.personal_info.clone())
    .execute(&mut *c)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            Err(StoreError::Conflict("a user with this externalId"))
        }
        Err(e) => Err(e.into()),
    }
}

/// One user.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn user(c: &mut Conn, id: &str) -> Result<Option<UserRow>, StoreError> {
    let row =
        sqlx::query("SELECT id, external_id, created_at, personal_info FROM users WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(&mut *c)
            .await?;
    row.map(|r| {
        Ok(UserRow {
            id: r.try_get("id")?,
            external_id: r.try_get("external_id")?,
            created_at: r.try_get("created_at")?,
            personal_info: r.try_get("personal_info")?,
        })
    })
    .transpose()
}

/// Replaces what a user typed into Wallet's sign-up form; false when there
/// is no such user.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn set_personal_info(
    c: &mut Conn,
    id: &str,
    info: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE users SET personal_info = $1 WHERE id = $2")
        .bind(info.to_owned())
        .bind(id.to_owned())
        .execute(&mut *c)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// How many passes belong to a user.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn pass_count(c: &mut Conn, id: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query("SELECT COUNT(*) AS n FROM passes WHERE user_id = $1")
            .bind(id.to_owned())
            .fetch_one(&mut *c)
            .await?
            .try_get("n")?,
    )
}

/// Deletes a user: revokes their tokens, then deletes or detaches their
/// passes; returns how many passes.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn delete_user(
    c: &mut Conn,
    id: &str,
    delete_passes: bool,
    now: i64,
) -> Result<u64, StoreError> {
    sqlx::query("UPDATE user_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id.to_owned())
        .execute(&mut *c)
        .await?;
    let passes = if delete_passes {
        sqlx::query("DELETE FROM passes WHERE user_id = $1")
    } else {
        sqlx::query("UPDATE passes SET user_id = NULL WHERE user_id = $1")
    }
    .bind(id.to_owned())
    .execute(&mut *c)
    .await?
    .rows_affected();
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id.to_owned())
        .execute(&mut *c)
        .await?;
    Ok(passes)
}

/// A stored user token (its secret hashed).
#[derive(Debug, Clone)]
pub(crate) struct UserTokenRow {
    /// `ut…`
    pub(crate) id: String,
    /// Whose.
    pub(crate) user_id: String,
    /// Hex SHA-256 of the secret.
    pub(crate) secret_hash: String,
    /// Unix ms.
    pub(crate) expires_at: i64,
    /// Unix ms.
    pub(crate) revoked_at: Option<i64>,
    /// Unix ms.
    pub(crate) created_at: i64,
}

/// Stores a user token.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_token(c: &mut Conn, t: &UserTokenRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO user_tokens (id, user_id, secret_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(t.id.clone())
    .bind(t.user_id.clone())
    .bind(t.secret_hash.clone())
    .bind(t.expires_at)
    .bind(t.created_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// One user token.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn token(c: &mut Conn, id: &str) -> Result<Option<UserTokenRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, user_id, secret_hash, expires_at, revoked_at, created_at FROM user_tokens WHERE id = $1",
    )
    .bind(id.to_owned())
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok(UserTokenRow {
            id: r.try_get("id")?,
            user_id: r.try_get("user_id")?,
            secret_hash: r.try_get("secret_hash")?,
            expires_at: r.try_get("expires_at")?,
            revoked_at: r.try_get("revoked_at")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .transpose()
}

/// Revokes one of a user's tokens; false when there is no such live token.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn revoke_token(
    c: &mut Conn,
    user: &str,
    id: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE user_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(id.to_owned())
    .bind(user.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}
