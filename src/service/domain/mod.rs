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

/// Services and signer turns for the domain's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use crate::service::{AppState, ServiceConfig, Store};

    /// A service on a SQLite file in `dir` with the project's templates.
    pub(crate) async fn service(dir: &Path, change: impl FnOnce(&mut ServiceConfig)) -> AppState {
        let store = Store::connect(&format!("sqlite://{}", dir.join("t.db").display()))
            .await
            .expect("database");
        let identity = crate::apple::test_identity::load().expect("test identity");
        let mut config = ServiceConfig::new("http://127.0.0.1:8080", identity);
        change(&mut config);
        let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        AppState::new(store, &templates, config)
    }

    /// Every signer's turn, taken.
    pub(crate) async fn all_turns(state: &AppState) -> tokio::sync::SemaphorePermit<'_> {
        let turns = &state.inner.signing.turns;
        let n = u32::try_from(turns.available_permits()).expect("permits");
        turns.acquire_many(n).await.expect("permits")
    }

    /// Waits (up to 10 s) until a signing waits for its turn; `what` says
    /// what should be waiting.
    pub(crate) async fn until_waiting_to_sign(state: &AppState, what: &str) {
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while state.inner.metrics.signings_waiting() == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{what} waits for a signer's turn"));
    }
}
