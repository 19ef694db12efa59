//! The retry queues' rows: claiming with a lease, and settling only while
//! the lease is held.
//!
//! Four tables share one shape (`id, status, attempts, next_attempt_at,
//! claimed_by, claimed_until, updated_at` and a last-error column): webhook
//! deliveries, APNs pushes, Google Wallet updates and batch job chunks. A
//! claim sets the item in flight for one worker until its lease ends and
//! counts the attempt; settling writes the attempt's outcome only where the
//! same worker still holds the same attempt, so a worker whose lease ran out
//! (and whose item another worker took over) changes nothing.
//!
//! Table and column names live in [`Queue`]; nothing from outside this
//! module reaches the SQL text.

use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};

use super::{now_ms, Backend, Store, StoreError};

/// A durable retry queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Queue {
    /// Webhook deliveries (`webhook_deliveries`).
    Deliveries,
    /// APNs pushes (`pushes`).
    Pushes,
    /// Google Wallet object updates (`google_updates`).
    GoogleUpdates,
    /// Batch job chunks (`job_chunks`).
    JobChunks,
}

impl Queue {
    /// Every queue.
    #[cfg(test)]
    const ALL: [Self; 4] = [
        Self::Deliveries,
        Self::Pushes,
        Self::GoogleUpdates,
        Self::JobChunks,
    ];

    const fn table(self) -> &'static str {
        match self {
            Self::Deliveries => "webhook_deliveries",
            Self::Pushes => "pushes",
            Self::GoogleUpdates => "google_updates",
            Self::JobChunks => "job_chunks",
        }
    }

    /// The status of a claimed item.
    const fn in_flight(self) -> &'static str {
        match self {
            Self::Deliveries => "delivering",
            Self::Pushes | Self::GoogleUpdates => "sending",
            Self::JobChunks => "running",
        }
    }

    /// The column that keeps the last attempt's error.
    const fn error_column(self) -> &'static str {
        match self {
            Self::Pushes => "last_reason",
            Self::Deliveries | Self::GoogleUpdates | Self::JobChunks => "last_error",
        }
    }

    /// Whether the table keeps the last attempt's HTTP status.
    const fn has_status_code(self) -> bool {
        !matches!(self, Self::JobChunks)
    }

    /// The column items are grouped by for fairness (a webhook endpoint, a
    /// device's push token) and how many of one group may be in flight at
    /// once: one slow receiver or device holds at most that many of a
    /// worker's slots, never the deliveries queued for the others.
    const fn group(self) -> Option<(&'static str, i64)> {
        match self {
            Self::Deliveries => Some(("endpoint_id", 4)),
            Self::Pushes => Some(("push_token", 4)),
            Self::GoogleUpdates | Self::JobChunks => None,
        }
    }

    /// The claiming order. Google updates go in the order they were queued
    /// (a pass's PATCH before its message); job chunks in job order.
    const fn order(self) -> &'static str {
        match self {
            Self::Deliveries | Self::Pushes => "next_attempt_at, id",
            Self::GoogleUpdates | Self::JobChunks => "id",
        }
    }
}

/// Who holds a claimed item, at which attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lease {
    /// The item's id.
    pub(crate) id: String,
    /// The worker that claimed it.
    pub(crate) worker: String,
    /// The attempt this claim made (1 for the first).
    pub(crate) attempts: i64,
}

/// A claimed item of a queue.
#[derive(Debug)]
pub(crate) struct Claimed<T> {
    /// The claim.
    pub(crate) lease: Lease,
    /// The queue's columns of the item.
    pub(crate) item: T,
}

/// The columns a queue's claim returns.
pub(crate) trait Item: Sized + Send + 'static {
    /// The queue.
    const QUEUE: Queue;
    /// Columns returned besides `id` and `attempts`.
    const COLUMNS: &'static str;
    /// Reads them.
    ///
    /// # Errors
    /// [`StoreError`] when a column is missing or damaged.
    fn from_row(r: &AnyRow) -> Result<Self, StoreError>;
}

/// A claimed webhook delivery (its event and endpoint are read after the
/// claim: see `db::webhooks`).
#[derive(Debug)]
pub(crate) struct DeliveryItem;

impl Item for DeliveryItem {
    const QUEUE: Queue = Queue::Deliveries;
    const COLUMNS: &'static str = "endpoint_id";
    fn from_row(_: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self)
    }
}

/// A claimed APNs push.
#[derive(Debug)]
pub(crate) struct PushItem {
    /// The pass that changed.
    pub(crate) pass_id: String,
    /// The device's push token.
    pub(crate) token: String,
    /// The APNs topic (the pass type id).
    pub(crate) topic: String,
}

impl Item for PushItem {
    const QUEUE: Queue = Queue::Pushes;
    const COLUMNS: &'static str = "pass_id, push_token, topic";
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            pass_id: r.try_get("pass_id")?,
            token: r.try_get("push_token")?,
            topic: r.try_get("topic")?,
        })
    }
}

/// A claimed Google Wallet update.
#[derive(Debug)]
pub(crate) struct GoogleItem {
    /// The pass whose object changes.
    pub(crate) pass_id: String,
    /// `patch` or `message`.
    pub(crate) kind: String,
    /// The message (for `message`), JSON text.
    pub(crate) payload: String,
}

impl Item for GoogleItem {
    const QUEUE: Queue = Queue::GoogleUpdates;
    const COLUMNS: &'static str = "pass_id, kind, payload";
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            pass_id: r.try_get("pass_id")?,
            kind: r.try_get("kind")?,
            payload: r.try_get("payload")?,
        })
    }
}

/// A claimed batch job chunk.
#[derive(Debug)]
pub(crate) struct ChunkItem {
    /// The job.
    pub(crate) job_id: String,
    /// The chunk's number in the job.
    pub(crate) chunk: i64,
}

impl Item for ChunkItem {
    const QUEUE: Queue = Queue::JobChunks;
    const COLUMNS: &'static str = "job_id, chunk";
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        Ok(Self {
            job_id: r.try_get("job_id")?,
            chunk: r.try_get("chunk")?,
        })
    }
}

/// How an attempt leaves an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settlement {
    /// The item's new status (`pending` to try again).
    pub(crate) status: &'static str,
    /// When it is due again (Unix ms; now when it is finished).
    pub(crate) next_attempt_at: i64,
    /// The HTTP status of the attempt, if it got one.
    pub(crate) status_code: Option<u16>,
    /// What went wrong (cut to 500 characters).
    pub(crate) error: Option<String>,
}

impl Store {
    /// Claims up to `limit` due items of `T`'s queue for `worker` until
    /// `now + lease_ms`: items `pending` whose time has come, and items in
    /// flight whose lease ran out (their worker died). Each claim counts
    /// one attempt.
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn claim<T: Item>(
        &self,
        worker: &str,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Claimed<T>>, StoreError> {
        let q = T::QUEUE;
        let (table, in_flight, order, columns) = (q.table(), q.in_flight(), q.order(), T::COLUMNS);
        // PostgreSQL: skip rows another instance is claiming right now;
        // SQLite runs the claiming UPDATE under its single write lock.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let due = format!(
            "(status = 'pending' AND next_attempt_at <= $3) \
             OR (status = '{in_flight}' AND claimed_until < $3)"
        );
        // With a group: at most `cap` of one group in flight, counting those
        // held now and those this claim takes (ranked within the group).
        // The due condition stays at the level that locks the rows: on
        // PostgreSQL a row another instance claimed meanwhile is re-checked
        // against it once its lock is free (a condition only inside the
        // subquery is not re-checked, and the row would be claimed twice).
        let eligible = match q.group() {
            None => format!("SELECT id FROM {table} WHERE {due}"),
            Some((group, cap)) => format!(
                "SELECT id FROM {table} WHERE ({due}) AND id IN (SELECT d.id FROM \
                 (SELECT id, {group} AS grp, ROW_NUMBER() OVER (PARTITION BY {group} ORDER BY {order}) AS n \
                 FROM {table} WHERE {due}) d WHERE d.n + (SELECT COUNT(*) FROM {table} b \
                 WHERE b.{group} = d.grp AND b.status = '{in_flight}' AND b.claimed_until >= $3) <= {cap})"
            ),
        };
        let sql = format!(
            "UPDATE {table} SET status = '{in_flight}', claimed_by = $1, claimed_until = $2, \
             attempts = attempts + 1, updated_at = $3 WHERE id IN ({eligible} \
             ORDER BY {order} LIMIT $4{lock}) RETURNING id, attempts, {columns}"
        );
        let now = now_ms();
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(worker.to_owned())
            .bind(now.saturating_add(lease_ms))
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = rows
            .iter()
            .map(|r| {
                Ok(Claimed {
                    lease: Lease {
                        id: r.try_get("id")?,
                        worker: worker.to_owned(),
                        attempts: r.try_get("attempts")?,
                    },
                    item: T::from_row(r)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING gives no order: put the claimed items in queue order.
        if q.order() == "id" {
            claimed.sort_by(|a, b| a.lease.id.cmp(&b.lease.id));
        }
        Ok(claimed)
    }

    /// Extends the lease of every item `worker` holds of `T`'s queue to
    /// `now + lease_ms`: a runner renews its claims while it works on them,
    /// so leases can be short and a dead worker's items are retaken within
    /// seconds. The number of items renewed.
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn renew<T: Item>(
        &self,
        worker: &str,
        lease_ms: i64,
    ) -> Result<u64, StoreError> {
        let q = T::QUEUE;
        let sql = format!(
            "UPDATE {} SET claimed_until = $1 WHERE claimed_by = $2 AND status = '{}'",
            q.table(),
            q.in_flight()
        );
        let now = now_ms();
        let done = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.saturating_add(lease_ms))
            .bind(worker.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Settles a claimed item in its own transaction; see [`settle`].
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn settle(
        &self,
        queue: Queue,
        lease: &Lease,
        outcome: &Settlement,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        let held = settle(&mut tx, queue, lease, outcome).await?;
        tx.commit().await?;
        Ok(held)
    }

    /// Whether `lease` still holds its item: the same worker, the same
    /// attempt, still in flight.
    ///
    /// # Errors
    /// [`StoreError`].
    pub(crate) async fn holds(&self, queue: Queue, lease: &Lease) -> Result<bool, StoreError> {
        let (table, in_flight) = (queue.table(), queue.in_flight());
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT 1 AS held FROM {table} WHERE id = $1 AND claimed_by = $2 AND attempts = $3 \
             AND status = '{in_flight}'"
        )))
        .bind(lease.id.clone())
        .bind(lease.worker.clone())
        .bind(lease.attempts)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }
}

/// Writes an attempt's outcome, in the caller's transaction, only while
/// `lease` still holds the item (same worker, same attempt, still in
/// flight); false, and nothing written, when it does not: the lease ran out
/// and another worker took the item over (or already settled it).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn settle(
    tx: &mut Transaction<'static, Any>,
    queue: Queue,
    lease: &Lease,
    outcome: &Settlement,
) -> Result<bool, StoreError> {
    let (table, in_flight, error_column) = (queue.table(), queue.in_flight(), queue.error_column());
    let code = if queue.has_status_code() {
        ", last_status_code = $8"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE {table} SET status = $1, next_attempt_at = $2, {error_column} = $3, \
         claimed_by = NULL, claimed_until = NULL, updated_at = $4{code} \
         WHERE id = $5 AND claimed_by = $6 AND attempts = $7 AND status = '{in_flight}'"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(outcome.status)
        .bind(outcome.next_attempt_at)
        .bind(
            outcome
                .error
                .as_deref()
                .map(|e| e.chars().take(500).collect::<String>()),
        )
        .bind(now_ms())
        .bind(lease.id.clone())
        .bind(lease.worker.clone())
        .bind(lease.attempts);
    if queue.has_status_code() {
        q = q.bind(outcome.status_code.map(i64::from));
    }
    let done = q.execute(&mut **tx).await?;
    Ok(done.rows_affected() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One pending item in `queue`, due now.
    async fn insert(store: &Store, queue: Queue, id: &str) {
        let sql = match queue {
            Queue::Deliveries => {
                "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, \
                 next_attempt_at, created_at, updated_at) VALUES ($1, 'wh_1', 'evt_1', 'pending', 0, 0, 0, 0)"
            }
            Queue::Pushes => {
                "INSERT INTO pushes (id, pass_id, push_token, topic, status, attempts, \
                 next_attempt_at, created_at, updated_at) VALUES ($1, 'p', 't', 'topic', 'pending', 0, 0, 0, 0)"
            }
            Queue::GoogleUpdates => {
                "INSERT INTO google_updates (id, pass_id, kind, payload, status, attempts, \
                 next_attempt_at, created_at, updated_at) VALUES ($1, 'p', 'patch', '{}', 'pending', 0, 0, 0, 0)"
            }
            Queue::JobChunks => {
                "INSERT INTO job_chunks (id, job_id, chunk, status) VALUES ($1, 'job_1', 0, 'pending')"
            }
        };
        sqlx::query(sql)
            .bind(id.to_owned())
            .execute(&store.pool)
            .await
            .expect("insert");
    }

    async fn status(store: &Store, queue: Queue, id: &str) -> (String, Option<String>, i64) {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT status, claimed_by, attempts FROM {} WHERE id = $1",
            queue.table()
        )))
        .bind(id.to_owned())
        .fetch_one(&store.pool)
        .await
        .expect("row");
        (
            r.get("status"),
            r.get::<Option<String>, _>("claimed_by"),
            r.get("attempts"),
        )
    }

    async fn claim_one(store: &Store, queue: Queue, worker: &str, lease_ms: i64) -> Vec<Lease> {
        match queue {
            Queue::Deliveries => store
                .claim::<DeliveryItem>(worker, lease_ms, 10)
                .await
                .map(|v| v.into_iter().map(|c| c.lease).collect()),
            Queue::Pushes => store
                .claim::<PushItem>(worker, lease_ms, 10)
                .await
                .map(|v| v.into_iter().map(|c| c.lease).collect()),
            Queue::GoogleUpdates => store
                .claim::<GoogleItem>(worker, lease_ms, 10)
                .await
                .map(|v| v.into_iter().map(|c| c.lease).collect()),
            Queue::JobChunks => store
                .claim::<ChunkItem>(worker, lease_ms, 10)
                .await
                .map(|v| v.into_iter().map(|c| c.lease).collect()),
        }
        .expect("claim")
    }

    fn finished(status: &'static str) -> Settlement {
        Settlement {
            status,
            next_attempt_at: now_ms(),
            status_code: Some(200),
            error: None,
        }
    }

    fn retry_later() -> Settlement {
        Settlement {
            status: "pending",
            next_attempt_at: now_ms() + 60_000,
            status_code: None,
            error: Some("connection refused".into()),
        }
    }

    #[tokio::test]
    async fn a_worker_whose_lease_ran_out_cannot_settle_or_put_back_a_taken_over_item() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (store, schema) in super::super::testing::stores(dir.path()).await {
            leases_hold(&store).await;
            if let Some(schema) = schema {
                super::super::testing::drop_schema(&store, &schema).await;
            }
            store.close().await;
        }
    }

    #[tokio::test]
    async fn one_endpoint_takes_at_most_four_slots_and_held_claims_are_renewed() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (store, schema) in super::super::testing::stores(dir.path()).await {
            for i in 0..6 {
                insert(&store, Queue::Deliveries, &format!("d_slow_{i}")).await;
            }
            sqlx::query(
                "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, \
                 next_attempt_at, created_at, updated_at) VALUES ('d_other', 'wh_2', 'evt_1', 'pending', 0, 0, 0, 0)",
            )
            .execute(&store.pool)
            .await
            .expect("insert");
            let first = claim_one(&store, Queue::Deliveries, "w1", 60_000).await;
            let ids: Vec<&str> = first.iter().map(|l| l.id.as_str()).collect();
            assert_eq!(ids.len(), 5, "{ids:?}");
            assert!(
                ids.contains(&"d_other"),
                "the other endpoint is not starved: {ids:?}"
            );
            assert!(
                claim_one(&store, Queue::Deliveries, "w2", 60_000)
                    .await
                    .is_empty(),
                "four of one endpoint are in flight already"
            );
            // Renewal keeps the claims of a worker that is still working.
            sqlx::query("UPDATE webhook_deliveries SET claimed_until = 0 WHERE claimed_by = 'w1'")
                .execute(&store.pool)
                .await
                .expect("age");
            assert_eq!(
                store
                    .renew::<DeliveryItem>("w1", 60_000)
                    .await
                    .expect("renew"),
                5
            );
            assert!(
                claim_one(&store, Queue::Deliveries, "w2", 60_000)
                    .await
                    .is_empty(),
                "renewed claims are not taken over"
            );
            assert!(store
                .holds(Queue::Deliveries, &first[0])
                .await
                .expect("holds"));
            if let Some(schema) = schema {
                super::super::testing::drop_schema(&store, &schema).await;
            }
            store.close().await;
        }
    }

    async fn leases_hold(store: &Store) {
        let store = store.clone();
        assert!(
            store
                .claim::<PushItem>("w", 60_000, 10)
                .await
                .expect("claim")
                .is_empty(),
            "a fresh database has no queued items"
        );
        for queue in Queue::ALL {
            let id = format!("{}_1", queue.table());
            insert(&store, queue, &id).await;
            // Worker A claims with a lease that has already run out (as if
            // it had stalled for longer than its lease).
            let a = claim_one(&store, queue, "worker_a", -1).await;
            assert_eq!(a.len(), 1, "{queue:?}");
            assert_eq!(a[0].attempts, 1);
            // Worker B takes the item over.
            let b = claim_one(&store, queue, "worker_b", 60_000).await;
            assert_eq!(b.len(), 1, "{queue:?}: an expired lease is taken over");
            assert_eq!(b[0].attempts, 2);
            assert!(
                claim_one(&store, queue, "worker_c", 60_000)
                    .await
                    .is_empty(),
                "{queue:?}: a held lease is not taken"
            );
            // A can neither settle it nor put it back for a retry.
            for outcome in [finished("failed"), retry_later()] {
                assert!(
                    !store.settle(queue, &a[0], &outcome).await.expect("settle"),
                    "{queue:?}: {outcome:?} by a worker that lost its lease"
                );
                assert_eq!(
                    status(&store, queue, &id).await,
                    (queue.in_flight().to_owned(), Some("worker_b".to_owned()), 2),
                    "{queue:?}: the item stays with worker B"
                );
            }
            assert!(!store.holds(queue, &a[0]).await.expect("holds"));
            assert!(store.holds(queue, &b[0]).await.expect("holds"));
            // B settles it, once.
            assert!(store
                .settle(queue, &b[0], &retry_later())
                .await
                .expect("settle"));
            assert!(
                !store
                    .settle(queue, &b[0], &finished("failed"))
                    .await
                    .expect("settle"),
                "{queue:?}: a settled claim cannot settle again"
            );
            assert_eq!(
                status(&store, queue, &id).await,
                ("pending".to_owned(), None, 2)
            );
            assert!(
                claim_one(&store, queue, "worker_a", 60_000)
                    .await
                    .is_empty(),
                "{queue:?}: not due before its next attempt"
            );
        }
    }
}
