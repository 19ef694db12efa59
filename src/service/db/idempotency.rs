//! Remembered answers to requests with an `Idempotency-Key`
//! (`idempotency_keys`).

use sqlx::Row as _;

use super::{now_ms, Store, StoreError};

/// A claimed Idempotency-Key whose request has not answered after this long
/// (twice the request timeout) belonged to a process that died.
const ABANDONED_AFTER_MS: i64 = 60_000;

/// How long an Idempotency-Key is remembered.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

impl Store {
    /// Claims `(principal, key)` for a new request with `hash`; when the key
    /// was seen before (and has not expired), returns what is stored instead.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn claim_idempotency(
        &self,
        principal: &str,
        key: &str,
        hash: &str,
    ) -> Result<Option<IdempotentAnswer>, StoreError> {
        let now = now_ms();
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(now - IDEMPOTENCY_TTL_MS)
            .execute(&self.pool)
            .await?;
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (principal, idem_key, request_hash, status, created_at) \
             VALUES ($1, $2, $3, 0, $4)",
        )
        .bind(principal)
        .bind(key)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await;
        match inserted {
            Ok(_) => Ok(None),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                // A first request that never finished (its process died) is
                // taken over once it is older than any request may run.
                let taken = sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $1 WHERE principal = $2 \
                     AND idem_key = $3 AND request_hash = $4 AND status = 0 AND created_at < $5",
                )
                .bind(now)
                .bind(principal)
                .bind(key)
                .bind(hash)
                .bind(now - ABANDONED_AFTER_MS)
                .execute(&self.pool)
                .await?;
                if taken.rows_affected() > 0 {
                    return Ok(None);
                }
                let row = sqlx::query(
                    "SELECT request_hash, status, content_type, location, body FROM idempotency_keys \
                     WHERE principal = $1 AND idem_key = $2",
                )
                .bind(principal)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(r) => Ok(Some(IdempotentAnswer {
                        request_hash: r.try_get("request_hash")?,
                        status: r.try_get("status")?,
                        content_type: r.try_get("content_type")?,
                        location: r.try_get("location")?,
                        body: r.try_get("body")?,
                    })),
                    // Expired and deleted between the two statements: try once more.
                    None => Box::pin(self.claim_idempotency(principal, key, hash)).await,
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Stores the answer of a claimed key.
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn finish_idempotency(
        &self,
        principal: &str,
        key: &str,
        answer: &IdempotentAnswer,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE idempotency_keys SET status = $1, content_type = $2, location = $3, body = $4 \
             WHERE principal = $5 AND idem_key = $6",
        )
        .bind(answer.status)
        .bind(answer.content_type.clone())
        .bind(answer.location.clone())
        .bind(answer.body.clone())
        .bind(principal)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a claimed key (the request failed on the server's side and
    /// may be retried with the same key).
    ///
    /// # Errors
    /// [`StoreError`].
    pub async fn release_idempotency(&self, principal: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM idempotency_keys WHERE principal = $1 AND idem_key = $2")
            .bind(principal)
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// In the transaction of the change a request makes: marks its key as
/// committed (status 1), or stores its whole answer when it is known.
/// Only a key still waiting for its first change is touched.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn record_idempotent(
    tx: &mut super::Tx,
    principal: &str,
    key: &str,
    answer: Option<&IdempotentAnswer>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = $1, content_type = $2, location = $3, body = $4 \
         WHERE principal = $5 AND idem_key = $6 AND status = 0",
    )
    .bind(answer.map_or(1, |a| a.status))
    .bind(answer.and_then(|a| a.content_type.clone()))
    .bind(answer.and_then(|a| a.location.clone()))
    .bind(answer.and_then(|a| a.body.clone()))
    .bind(principal.to_owned())
    .bind(key.to_owned())
    .execute(&mut ***tx)
    .await?;
    Ok(())
}

/// A remembered answer to an idempotent request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotentAnswer {
    /// SHA-256 (hex) of method, path and body of the first request.
    pub request_hash: String,
    /// HTTP status; 0 while the first request runs.
    pub status: i64,
    /// Content-Type of the answer.
    pub content_type: Option<String>,
    /// Location header of the answer.
    pub location: Option<String>,
    /// The body (UTF-8 JSON).
    pub body: Option<String>,
}
