//! Group commit of new passes: creates that arrive while one is being
//! written are written together, in one transaction, by one task.
//!
//! A create is signed by its own request (the costly part, spread over the
//! cores), then handed here with its `pass.created` event. The writer takes
//! what has queued (up to [`MAX_GROUP`]) and writes it in one transaction:
//! the rows, their kept signatures, their events (the webhook endpoints
//! read once) and their idempotency keys, with one `BEGIN` and one
//! `COMMIT` where each create had its own, and pages that several rows share
//! written to the log once. Under a steady load of creates this removes
//! most of the database's share of the work; alone, a create is written as
//! before.
//!
//! Each create keeps its own outcome: when a group fails for one create's
//! sake (a serial number taken, say) nothing of it is kept and each of its
//! creates is written again in a transaction of its own, so only the one at
//! fault fails, with its own error; when it fails for the database's
//! (unreachable, full) all of its creates fail with that error. A request that goes away after handing its create over
//! does not take the create back: it is written (as if its answer had been
//! lost on the way).

use std::sync::{Arc, Mutex, Weak};

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use crate::service::db::{self, PassRecord};
use crate::service::domain::commit_for;
use crate::service::domain::idempotency::{self, Scope};
use crate::service::domain::passes::{remember, store_signed, Signed};
use crate::service::error::ApiError;
use crate::service::outbox::Effect;
use crate::service::state::{AppState, Inner};

/// The most creates written in one transaction.
pub(crate) const MAX_GROUP: usize = 64;

/// A signed create to write.
struct Create {
    record: PassRecord,
    signed: Option<Signed>,
    /// The `pass.created` event's data.
    view: Value,
    /// The request's idempotency key, recorded in the same transaction.
    scope: Option<Arc<Scope>>,
}

/// A create waiting to be written, and where its outcome goes.
struct Pending {
    create: Create,
    done: oneshot::Sender<Result<(), ApiError>>,
}

/// The queue of creates to write and its writer, started on first use in
/// the runtime that uses it.
pub(crate) struct Queue {
    tx: mpsc::UnboundedSender<Pending>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<Pending>>>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue").finish_non_exhaustive()
    }
}

impl Default for Queue {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
        }
    }
}

/// Writes a new, signed pass with its `pass.created` event (and the
/// request's idempotency key), grouped with the creates written at the
/// same time; then keeps its signed bytes in memory and counts it.
///
/// # Errors
/// 409 when its serial number is taken, 503 or 500 when the database fails;
/// nothing of it is written then.
pub(crate) async fn store(
    state: &AppState,
    record: &PassRecord,
    signed: Option<Signed>,
    view: Value,
) -> Result<(), ApiError> {
    let queue = &state.inner.creates;
    if let Some(rx) = queue.rx.lock().ok().and_then(|mut rx| rx.take()) {
        tokio::spawn(run(Arc::downgrade(&state.inner), rx));
    }
    let (done, outcome) = oneshot::channel();
    let pending = Pending {
        create: Create {
            record: record.clone(),
            signed,
            view,
            scope: idempotency::current(),
        },
        done,
    };
    match queue.tx.send(pending) {
        Ok(()) => outcome.await.unwrap_or_else(|_| {
            Err(ApiError::internal(
                &"the writer of new passes stopped (the service is shutting down)",
            ))
        }),
        // The writer's runtime is gone (a state used from another runtime):
        // written here, alone.
        Err(mpsc::error::SendError(p)) => write_alone(state, p.create).await,
    }
}

/// The writer: takes what has queued, writes it, and again.
async fn run(state: Weak<Inner>, mut rx: mpsc::UnboundedReceiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        let Some(inner) = state.upgrade() else { return };
        write_group(&AppState { inner }, group).await;
    }
}

/// Writes `group` in one transaction, and tells each create its outcome.
/// When that fails for one create's sake (a 4xx: a taken serial number),
/// each is written again alone; when it fails for the database's (a 5xx:
/// unreachable, full), all fail with that error at once rather than each
/// waiting for the database in turn.
async fn write_group(state: &AppState, group: Vec<Pending>) {
    let (creates, dones): (Vec<Create>, Vec<_>) =
        group.into_iter().map(|p| (p.create, p.done)).unzip();
    let together = if creates.len() > 1 {
        match write(state, &creates).await {
            Ok(()) => Ok(true),
            Err(e) if e.status.is_server_error() => Err(e),
            Err(e) => {
                tracing::debug!(error = ?e, size = creates.len(), "a group of creates failed; writing each alone");
                Ok(false)
            }
        }
    } else {
        Ok(false)
    };
    for (create, done) in creates.into_iter().zip(dones) {
        let outcome = match &together {
            Ok(true) => {
                written(state, create);
                Ok(())
            }
            Ok(false) => write_alone(state, create).await,
            Err(e) => Err(e.clone()),
        };
        let _ = done.send(outcome);
    }
}

/// Writes one create in a transaction of its own.
async fn write_alone(state: &AppState, create: Create) -> Result<(), ApiError> {
    write(state, std::slice::from_ref(&create)).await?;
    written(state, create);
    Ok(())
}

/// Writes `group` in one transaction (see [`commit_for`]).
async fn write(state: &AppState, group: &[Create]) -> Result<(), ApiError> {
    let mut tx = state.inner.store.begin().await?;
    let mut effects = Vec::with_capacity(group.len());
    for p in group {
        db::insert_pass(&mut tx, &p.record).await?;
        store_signed(&mut tx, &p.record, p.signed.as_ref()).await?;
        effects.push(Effect::event("pass.created", p.view.clone()));
    }
    let keys: Vec<&Scope> = group.iter().filter_map(|c| c.scope.as_deref()).collect();
    commit_for(state, tx, &effects, &keys).await?;
    state.inner.metrics.create_commit(group.len());
    Ok(())
}

/// After a create committed: its bytes in memory, the count, the log.
fn written(state: &AppState, c: Create) {
    remember(state, &c.record, c.signed);
    state.inner.metrics.passes_issued();
    tracing::info!(pass = %c.record.id, template = %c.record.template_id, "pass created");
}
