//! Remembered answers of requests sent with an `Idempotency-Key` (per
//! credential, for 24 hours): the HTTP layer claims a key before running a
//! request and stores its answer after.

use crate::service::error::ApiError;
use crate::service::state::AppState;

pub(crate) use crate::service::db::IdempotentAnswer as Answer;

/// Claims `(principal, key)` for a request with `hash`; what is stored
/// when the key was seen before.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn claim(
    state: &AppState,
    principal: &str,
    key: &str,
    hash: &str,
) -> Result<Option<Answer>, ApiError> {
    Ok(state
        .inner
        .store
        .claim_idempotency(principal, key, hash)
        .await?)
}

/// Stores the answer of a claimed key.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn finish(
    state: &AppState,
    principal: &str,
    key: &str,
    answer: &Answer,
) -> Result<(), ApiError> {
    Ok(state
        .inner
        .store
        .finish_idempotency(principal, key, answer)
        .await?)
}

/// Forgets a claimed key (the request failed on the server's side and may
/// be retried with the same key).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn release(state: &AppState, principal: &str, key: &str) -> Result<(), ApiError> {
    Ok(state
        .inner
        .store
        .release_idempotency(principal, key)
        .await?)
}
