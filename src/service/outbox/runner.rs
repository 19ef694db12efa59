//! The one retry-queue runner. Webhook deliveries, APNs pushes, Google
//! Wallet updates and batch job chunks each have a [`Handler`]; the runner
//! claims their due items with a lease (`db::Store::claim`), runs them
//! (several at once, or one at a time in queue order), claims more as soon
//! as a slot frees (one slow item never holds back the others) and stops
//! when told, after the items in hand have finished. A handler settles each
//! item through `db::settle`, which writes only while the claim is still
//! held. Leases are short (seconds) and renewed every third of a lease while
//! items are in hand, so a worker that dies loses its claims within one
//! lease and another instance takes them over.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::service::db::{Claimed, Item, Store};

/// How a queue is run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    /// What the runner is called in logs.
    pub(crate) name: &'static str,
    /// How long a claim belongs to this worker without renewal (it is
    /// renewed every third of it while the item runs).
    pub(crate) lease: Duration,
    /// Items in flight at most (and claimed at once).
    pub(crate) capacity: usize,
    /// One item at a time, in queue order.
    pub(crate) in_order: bool,
    /// How often to look for due items when not woken.
    pub(crate) poll: Duration,
}

/// Runs the items of one queue.
pub(crate) trait Handler: Send + Sync + 'static {
    /// The queue's claimed columns.
    type Item: Item;

    /// How the queue is run.
    fn settings(&self) -> Settings;

    /// The database.
    fn store(&self) -> &Store;

    /// Woken when items were queued.
    fn due(&self) -> &Notify;

    /// Runs one claimed item and settles it.
    fn run(self: Arc<Self>, claimed: Claimed<Self::Item>) -> impl Future<Output = ()> + Send;
}

/// Runs `handler`'s queue as `worker` until `stop` turns true; the items in
/// flight finish first.
pub(crate) async fn run<H: Handler>(
    handler: Arc<H>,
    worker: String,
    mut stop: watch::Receiver<bool>,
) {
    let s = handler.settings();
    let lease_ms = i64::try_from(s.lease.as_millis()).unwrap_or(i64::MAX);
    let capacity = s.capacity.max(1);
    let mut running = tokio::task::JoinSet::new();
    // Renews this worker's claims while it runs (in-order queues run items
    // inline, so renewal has its own task).
    let busy = Arc::new(AtomicUsize::new(0));
    let renewal = {
        let handler = handler.clone();
        let worker = worker.clone();
        let busy = busy.clone();
        let every = (s.lease / 3).max(Duration::from_millis(50));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if busy.load(Ordering::SeqCst) == 0 {
                    continue;
                }
                if let Err(e) = handler.store().renew::<H::Item>(&worker, lease_ms).await {
                    tracing::warn!(error = %e, queue = s.name, "cannot renew queue claims");
                }
            }
        })
    };
    // Runs one item, counted as in hand while it runs.
    let run_one = |item: Claimed<H::Item>| {
        let handler = handler.clone();
        let busy = busy.clone();
        busy.fetch_add(1, Ordering::SeqCst);
        async move {
            handler.run(item).await;
            busy.fetch_sub(1, Ordering::SeqCst);
        }
    };
    loop {
        if *stop.borrow() {
            break;
        }
        let free = capacity.saturating_sub(running.len());
        if free > 0 {
            let limit = i64::try_from(free).unwrap_or(i64::MAX);
            match handler
                .store()
                .claim::<H::Item>(&worker, lease_ms, limit)
                .await
            {
                Ok(batch) if s.in_order && !batch.is_empty() => {
                    for item in batch {
                        run_one(item).await;
                    }
                    continue;
                }
                Ok(batch) => {
                    for item in batch {
                        running.spawn(run_one(item));
                    }
                }
                Err(e) => tracing::warn!(error = %e, queue = s.name, "cannot claim queue items"),
            }
        }
        tokio::select! {
            _ = stop.changed() => {},
            Some(_) = running.join_next(), if !running.is_empty() => {},
            () = handler.due().notified() => {},
            () = tokio::time::sleep(s.poll) => {},
        }
    }
    while running.join_next().await.is_some() {}
    renewal.abort();
}

/// A worker name unique to this process and queue.
pub(crate) fn worker_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A random factor in [0.8, 1.2) for retry waits.
pub(crate) fn jitter() -> f64 {
    let mut b = [0u8; 2];
    if openssl::rand::rand_bytes(&mut b).is_err() {
        return 1.0;
    }
    0.8 + 0.4 * f64::from(u16::from_le_bytes(b)) / 65536.0
}
