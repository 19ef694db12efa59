//! Batch jobs: `jobs`, their `job_chunks` (a retry queue: see `queue.rs`)
//! and `job_items`.

use sqlx::Row as _;

use super::{Conn, Lease, StoreError};

/// A stored job.
#[derive(Debug, Clone)]
pub(crate) struct JobRow {
    /// `job_…`
    pub(crate) id: String,
    /// The template every item uses.
    pub(crate) template_id: String,
    /// queued, running, completed.
    pub(crate) status: String,
    /// Items.
    pub(crate) total: i64,
    /// Items issued.
    pub(crate) succeeded: i64,
    /// Items failed.
    pub(crate) failed: i64,
    /// Unix ms.
    pub(crate) created_at: i64,
    /// Unix ms, once completed.
    pub(crate) finished_at: Option<i64>,
}

/// Stores a queued job with its chunks of `chunk_items` items; each item
/// gets its pass id now (so a re-run finds its pass instead of issuing a
/// second).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_job(
    c: &mut Conn,
    id: &str,
    template_id: &str,
    items: &[String],
    chunk_items: usize,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO jobs (id, template_id, status, total, succeeded, failed, created_at, updated_at) \
         VALUES ($1, $2, 'queued', $3, 0, 0, $4, $4)",
    )
    .bind(id.to_owned())
    .bind(template_id.to_owned())
    .bind(i64::try_from(items.len()).unwrap_or(i64::MAX))
    .bind(now)
    .execute(&mut *c)
    .await?;
    for (i, item) in items.iter().enumerate() {
        let chunk = i64::try_from(i / chunk_items.max(1)).unwrap_or(i64::MAX);
        if i % chunk_items.max(1) == 0 {
            sqlx::query(
                "INSERT INTO job_chunks (id, job_id, chunk, status, updated_at) VALUES ($1, $2, $3, 'pending', $4)",
            )
            .bind(format!("{id}:{chunk}"))
            .bind(id.to_owned())
            .bind(chunk)
            .bind(now)
            .execute(&mut *c)
            .await?;
        }
        sqlx::query(
            "INSERT INTO job_items (job_id, idx, chunk, input, pass_id, status) \
             VALUES ($1, $2, $3, $4, $5, 'pending')",
        )
        .bind(id.to_owned())
        .bind(i64::try_from(i).unwrap_or(i64::MAX))
        .bind(chunk)
        .bind(item.clone())
        .bind(uuid::Uuid::now_v7().to_string())
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

/// One job.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn job(c: &mut Conn, id: &str) -> Result<Option<JobRow>, StoreError> {
    let row = sqlx::query(
        "SELECT id, template_id, status, total, succeeded, failed, created_at, finished_at FROM jobs WHERE id = $1",
    )
    .bind(id.to_owned())
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok(JobRow {
            id: r.try_get("id")?,
            template_id: r.try_get("template_id")?,
            status: r.try_get("status")?,
            total: r.try_get("total")?,
            succeeded: r.try_get("succeeded")?,
            failed: r.try_get("failed")?,
            created_at: r.try_get("created_at")?,
            finished_at: r.try_get("finished_at")?,
        })
    })
    .transpose()
}

/// The first `limit` failed items: index and error (JSON text).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn failures(
    c: &mut Conn,
    id: &str,
    limit: i64,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT idx, error FROM job_items WHERE job_id = $1 AND status = 'failed' ORDER BY idx LIMIT $2",
    )
    .bind(id.to_owned())
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("idx")?, r.try_get("error")?)))
        .collect()
}

/// The pass ids of the issued items, in item order.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn issued_passes(c: &mut Conn, id: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query(
        "SELECT pass_id FROM job_items WHERE job_id = $1 AND status = 'succeeded' ORDER BY idx",
    )
    .bind(id.to_owned())
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(|r| Ok(r.try_get("pass_id")?)).collect()
}

/// Marks a queued job running.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn mark_running(c: &mut Conn, id: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET status = 'running', updated_at = $1 WHERE id = $2 AND status = 'queued'",
    )
    .bind(now)
    .bind(id.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// An item still to issue.
#[derive(Debug, Clone)]
pub(crate) struct PendingItem {
    /// Its index in the job.
    pub(crate) idx: i64,
    /// Its request, JSON text.
    pub(crate) input: String,
    /// The pass id it issues.
    pub(crate) pass_id: String,
}

/// The pending items of a chunk, in order.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn pending_items(
    c: &mut Conn,
    job: &str,
    chunk: i64,
) -> Result<Vec<PendingItem>, StoreError> {
    let rows = sqlx::query(
        "SELECT idx, input, pass_id FROM job_items WHERE job_id = $1 AND chunk = $2 AND status = 'pending' ORDER BY idx",
    )
    .bind(job.to_owned())
    .bind(chunk)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(PendingItem {
                idx: r.try_get("idx")?,
                input: r.try_get("input")?,
                pass_id: r.try_get("pass_id")?,
            })
        })
        .collect()
}

/// Records an item's outcome, only while `lease` holds the item's chunk
/// (a worker that lost its chunk never overwrites what the worker that
/// took it over records); false when it does not.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn record_item(
    c: &mut Conn,
    lease: &Lease,
    job: &str,
    idx: i64,
    status: &str,
    error: Option<&str>,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE job_items SET status = $1, error = $2 WHERE job_id = $3 AND idx = $4 \
         AND EXISTS (SELECT 1 FROM job_chunks WHERE id = $5 AND claimed_by = $6 \
         AND attempts = $7 AND status = 'running')",
    )
    .bind(status.to_owned())
    .bind(error.map(str::to_owned))
    .bind(job.to_owned())
    .bind(idx)
    .bind(lease.id.clone())
    .bind(lease.worker.clone())
    .bind(lease.attempts)
    .execute(&mut *c)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Recounts a job's items and completes it when every chunk is done.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn recount(c: &mut Conn, job: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET \
         succeeded = (SELECT COUNT(*) FROM job_items WHERE job_id = $1 AND status = 'succeeded'), \
         failed = (SELECT COUNT(*) FROM job_items WHERE job_id = $1 AND status = 'failed'), \
         updated_at = $2 WHERE id = $1",
    )
    .bind(job.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE jobs SET status = 'completed', finished_at = $2 WHERE id = $1 AND status <> 'completed' \
         AND NOT EXISTS (SELECT 1 FROM job_chunks WHERE job_id = $1 AND status <> 'done')",
    )
    .bind(job.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(())
}
