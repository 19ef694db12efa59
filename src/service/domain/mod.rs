//! What the service does, without HTTP: operations on passes, templates,
//! links, connections, users, keys, webhooks and batch jobs. An operation
//! takes the shared state and plain values, changes the database in one
//! transaction and returns what it changed; its side effects (webhook
//! events, pushes, Google updates) are values (`outbox::Effect`) written in
//! the same transaction ([`commit`]). No axum here, and no SQL: that is
//! `db`'s.

pub(crate) mod apple;
pub(crate) mod callbacks;
pub(crate) mod connections;
pub(crate) mod creates;
pub(crate) mod idempotency;
pub(crate) mod jobs;
pub(crate) mod keys;
pub(crate) mod links;
pub(crate) mod passes;
#[cfg(feature = "preview")]
pub(crate) mod preview;
pub(crate) mod redemptions;
pub(crate) mod smartlinks;
pub(crate) mod templates;
pub(crate) mod users;
pub(crate) mod webhooks;

use crate::service::db::{self, StoreError, Tx};
use crate::service::outbox::{self, Effect, Written};
use crate::service::state::AppState;

/// Writes `effects` into `tx` (the transaction of the change that causes
/// them), commits, and wakes the workers that have new work.
///
/// # Errors
/// [`StoreError`]; nothing is committed then.
pub(crate) async fn commit(
    state: &AppState,
    tx: Tx,
    effects: &[Effect],
) -> Result<Written, StoreError> {
    // An idempotent request's key records the change in its transaction.
    let scope = idempotency::current();
    commit_for(state, tx, effects, scope.as_deref().as_slice()).await
}

/// Like [`commit`], recording the idempotency keys of the requests `tx`
/// writes changes for (another task's: see `creates`) instead of the
/// running request's.
///
/// # Errors
/// [`StoreError`]; nothing is committed then.
pub(crate) async fn commit_for(
    state: &AppState,
    mut tx: Tx,
    effects: &[Effect],
    keys: &[&idempotency::Scope],
) -> Result<Written, StoreError> {
    let written = outbox::write(&mut tx, effects).await?;
    for scope in keys {
        idempotency::record(&mut tx, scope).await?;
    }
    db::commit(tx).await?;
    state.wake(&written);
    Ok(written)
}
