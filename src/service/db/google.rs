//! Google Wallet: queued object updates (`google_updates`) and the nonces
//! of callbacks already received (`google_callback_nonces`).

use sqlx::Row as _;

use super::{Conn, StoreError};

/// Whether a PATCH of the pass's object is waiting.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn patch_pending(c: &mut Conn, pass_id: &str) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM google_updates WHERE pass_id = $1 AND kind = 'patch' AND status = 'pending'",
    )
    .bind(pass_id.to_owned())
    .fetch_one(&mut *c)
    .await?
    .try_get("n")?;
    Ok(n > 0)
}

/// How many notifying messages the pass sent or queued since `since` (Unix
/// ms).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn notifying_messages_since(
    c: &mut Conn,
    pass_id: &str,
    since: i64,
) -> Result<i64, StoreError> {
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM google_updates WHERE pass_id = $1 AND kind = 'message' \
         AND status <> 'failed' AND created_at > $2 AND payload LIKE '%TEXT_AND_NOTIFY%'",
    )
    .bind(pass_id.to_owned())
    .bind(since)
    .fetch_one(&mut *c)
    .await?
    .try_get("n")?)
}

/// Queues an update (`patch` or `message`, with its JSON payload).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_update(
    c: &mut Conn,
    pass_id: &str,
    kind: &str,
    payload: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO google_updates (id, pass_id, kind, payload, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
    )
    .bind(format!("gup_{}", uuid::Uuid::now_v7().simple()))
    .bind(pass_id.to_owned())
    .bind(kind.to_owned())
    .bind(payload.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Remembers a callback's nonce; false when it was seen before (a replay).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn fresh_nonce(c: &mut Conn, nonce: &str, now: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO google_callback_nonces (nonce, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(nonce.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}
