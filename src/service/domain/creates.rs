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
//! Under load the writer waits a little for creates still being signed
//! (up to [`LINGER`], and only while some are): a group of one costs a
//! transaction of its own, and a create signed a millisecond later would
//! start the next. A create alone is written at once.
//!
//! Each create keeps its own outcome: when a group fails for one create's
//! sake (a serial number taken, say) nothing of it is kept and each of its
//! creates is written again in a transaction of its own, so only the one at
//! fault fails, with its own error; when it fails for the database's
//! (unreachable, full) all of its creates fail with that error. A request that goes away after handing its create over
//! does not take the create back: it is written (as if its answer had been
//! lost on the way).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, Notify};

use crate::service::db::{self, PassRecord};
use crate::service::domain::commit_for;
use crate::service::domain::idempotency::{self, Scope};
use crate::service::domain::passes::{remember, store_signed_new, Signed};
use crate::service::error::ApiError;
use crate::service::outbox::Effect;
use crate::service::state::{AppState, Inner};

/// The most creates written in one transaction.
pub(crate) const MAX_GROUP: usize = 64;

/// The longest the writer waits for creates still being signed before it
/// writes what has queued: a few signatures' time, a small part of a
/// loaded create's latency (its turn for a signer), and under a steady
/// load groups several times larger (measured: 1.8 creates a transaction
/// without waiting, 5.7 with).
pub(crate) const LINGER: Duration = Duration::from_millis(5);

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
    /// Creates on their way (being signed, or waiting for a signer).
    coming: AtomicUsize,
    /// Told when one of them arrives or drops out.
    arrived: Notify,
}

/// A create on its way to the queue: while any is, the writer waits for it
/// (up to [`LINGER`]). Dropped once the create is queued or has failed.
#[derive(Debug)]
pub(crate) struct Coming<'a> {
    queue: &'a Queue,
}

impl Drop for Coming<'_> {
    fn drop(&mut self) {
        self.queue.coming.fetch_sub(1, Ordering::AcqRel);
        self.queue.arrived.notify_one();
    }
}

/// Marks a create as on its way: call before signing it, and hand the mark
/// to [`store`] with it.
pub(crate) fn coming(state: &AppState) -> Coming<'_> {
    state.inner.creates.coming()
}

impl Queue {
    /// Marks a create as on its way (see [`coming`]).
    fn coming(&self) -> Coming<'_> {
        self.coming.fetch_add(1, Ordering::AcqRel);
        Coming { queue: self }
    }
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
            coming: AtomicUsize::new(0),
            arrived: Notify::new(),
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
    coming: Coming<'_>,
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
    let sent = queue.tx.send(pending);
    // Queued (or not): no longer on its way.
    drop(coming);
    match sent {
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
        let Some(inner) = state.upgrade() else { return };
        let queue = &inner.creates;
        let group = gather(&mut rx, &queue.coming, &queue.arrived, first, LINGER).await;
        write_group(&AppState { inner }, group).await;
    }
}

/// The group that starts with `first`: what has queued, and what arrives
/// while creates are still `coming`, until none is, the group is full
/// ([`MAX_GROUP`]) or `linger` has passed.
async fn gather<T>(
    rx: &mut mpsc::UnboundedReceiver<T>,
    coming: &AtomicUsize,
    arrived: &Notify,
    first: T,
    linger: Duration,
) -> Vec<T> {
    let mut group = vec![first];
    let deadline = tokio::time::Instant::now() + linger;
    loop {
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(p) => group.push(p),
                Err(_) => break,
            }
        }
        if group.len() >= MAX_GROUP || coming.load(Ordering::Acquire) == 0 {
            return group;
        }
        tokio::select! {
            p = rx.recv() => match p {
                Some(p) => group.push(p),
                None => return group,
            },
            () = arrived.notified() => {}
            () = tokio::time::sleep_until(deadline) => return group,
        }
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
    let records: Vec<&PassRecord> = group.iter().map(|p| &p.record).collect();
    db::insert_passes(&mut tx, &records).await?;
    store_signed_new(
        &mut tx,
        group.iter().map(|p| (&p.record, p.signed.as_ref())),
    )
    .await?;
    let effects: Vec<Effect> = group
        .iter()
        .map(|p| Effect::event("pass.created", p.view.clone()))
        .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A test's view of the queue: its channel, the count of creates on
    /// their way and the notice of arrivals.
    struct Line {
        tx: mpsc::UnboundedSender<u32>,
        rx: mpsc::UnboundedReceiver<u32>,
        coming: Arc<AtomicUsize>,
        arrived: Arc<Notify>,
    }

    fn line(coming: usize) -> Line {
        let (tx, rx) = mpsc::unbounded_channel();
        Line {
            tx,
            rx,
            coming: Arc::new(AtomicUsize::new(coming)),
            arrived: Arc::new(Notify::new()),
        }
    }

    /// One on its way arrives (`send`) or drops out after `after`.
    fn arrive(l: &Line, after: Duration, send: Option<u32>) {
        let (tx, coming, arrived) = (l.tx.clone(), l.coming.clone(), l.arrived.clone());
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            if let Some(v) = send {
                tx.send(v).expect("the test holds the receiver");
            }
            coming.fetch_sub(1, Ordering::AcqRel);
            arrived.notify_one();
        });
    }

    const LONG: Duration = Duration::from_secs(30);

    /// The group starting with 1 that `l` gathers, lingering up to `LONG`;
    /// the test fails if that takes seconds (`why`: what should end it).
    async fn gathered(l: &mut Line, why: &str) -> Vec<u32> {
        tokio::time::timeout(
            Duration::from_secs(5),
            gather(&mut l.rx, &l.coming, &l.arrived, 1, LONG),
        )
        .await
        .expect(why)
    }

    #[tokio::test]
    async fn a_create_counts_as_coming_until_its_mark_is_dropped_which_tells_the_writer() {
        let queue = Queue::default();
        let first = queue.coming();
        let second = queue.coming();
        assert_eq!(queue.coming.load(Ordering::Acquire), 2);
        drop(first);
        assert_eq!(queue.coming.load(Ordering::Acquire), 1);
        tokio::time::timeout(Duration::from_secs(5), queue.arrived.notified())
            .await
            .expect("the writer is told");
        drop(second);
        assert_eq!(queue.coming.load(Ordering::Acquire), 0);
    }

    #[tokio::test]
    async fn nothing_on_its_way_writes_what_has_queued_at_once() {
        let mut l = line(0);
        l.tx.send(2).expect("open");
        l.tx.send(3).expect("open");
        let group = gathered(&mut l, "no wait when nothing is on its way").await;
        assert_eq!(group, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn creates_being_signed_join_the_group_and_the_wait_ends_when_they_are_in() {
        let mut l = line(2);
        arrive(&l, Duration::from_millis(20), Some(2));
        arrive(&l, Duration::from_millis(40), Some(3));
        let group = gathered(
            &mut l,
            "the wait ends when the last one is in, not at the linger's end",
        )
        .await;
        assert_eq!(group, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn a_create_that_fails_on_its_way_ends_the_wait_without_it() {
        let mut l = line(1);
        arrive(&l, Duration::from_millis(20), None);
        let group = gathered(&mut l, "the wait ends when none is on its way").await;
        assert_eq!(group, vec![1]);
    }

    #[tokio::test]
    async fn the_wait_is_bounded_by_the_linger_and_the_group_by_its_size() {
        let mut l = line(1);
        let started = std::time::Instant::now();
        let group = tokio::time::timeout(
            Duration::from_secs(5),
            gather(
                &mut l.rx,
                &l.coming,
                &l.arrived,
                1,
                Duration::from_millis(50),
            ),
        )
        .await
        .expect("the linger ends the wait");
        assert_eq!(group, vec![1]);
        assert!(started.elapsed() >= Duration::from_millis(50));

        let mut l = line(1);
        for v in 2..=(MAX_GROUP as u32 + 5) {
            l.tx.send(v).expect("open");
        }
        let group = gathered(&mut l, "a full group is written without waiting").await;
        assert_eq!(group.len(), MAX_GROUP);
        assert_eq!(l.rx.try_recv().ok(), Some(MAX_GROUP as u32 + 1));
    }
}
