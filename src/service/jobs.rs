//! Batch jobs: `POST /v1/passes/batch {templateId, items[]}` → 202 and a
//! job split into chunks of [`CHUNK_ITEMS`]; a worker in every instance
//! sharing the database claims chunks (a lease, `SKIP LOCKED` on
//! PostgreSQL) and issues their items, so a large job spreads over every
//! instance. `GET /v1/jobs/{id}` shows progress and per-item errors;
//! `GET /v1/jobs/{id}/download` streams a `.zip` of the issued passes.

use std::io::Seek as _;
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sqlx::Row as _;

use super::auth::{Principal, Scope};
use super::db::{self, now_ms, ChunkItem, Claimed, Lease, Queue, StoreError};
use super::error::{ApiError, FieldProblem};
use super::outbox::retry::{self, Attempt, Decision, Policy};
use super::outbox::runner::{self, Handler, Settings};
use super::passes::{create_pass, parse_new, sign_record};
use super::{rfc3339, AppState, Body};

/// Items per chunk (the unit an instance claims).
pub const CHUNK_ITEMS: usize = 50;

/// Most items in one job.
pub const MAX_ITEMS: usize = 10_000;

/// Largest batch request body.
pub const MAX_BATCH_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How long a claimed chunk belongs to its instance.
const LEASE: Duration = Duration::from_secs(120);

/// Failed items listed in `GET /v1/jobs/{id}`.
const MAX_LISTED_ERRORS: i64 = 100;

/// `POST /v1/passes/batch`
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Body(body): Body,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let p = |pointer: &str, detail: String| FieldProblem {
        pointer: pointer.into(),
        detail,
    };
    let mut errors = Vec::new();
    let obj = body.as_object().cloned().unwrap_or_default();
    for k in obj.keys().filter(|k| *k != "templateId" && *k != "items") {
        errors.push(p(
            &format!("/{k}"),
            "unknown member; allowed: templateId, items".into(),
        ));
    }
    let template_id = obj
        .get("templateId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    match &template_id {
        None => errors.push(p("/templateId", "required: a template id".into())),
        Some(id) => {
            if let Err(e) = state.inner.templates.live(id) {
                errors.push(p("/templateId", e.detail));
            }
        }
    }
    let items = match obj.get("items").and_then(Value::as_array) {
        Some(items) if !items.is_empty() && items.len() <= MAX_ITEMS => items.clone(),
        Some(items) if items.len() > MAX_ITEMS => {
            errors.push(p(
                "/items",
                format!("{} items; at most {MAX_ITEMS} per job", items.len()),
            ));
            Vec::new()
        }
        _ => {
            errors.push(p("/items", "required: a non-empty list of {serialNumber?, customFields, relevantDate?, expirationDate?, userId?}".into()));
            Vec::new()
        }
    };
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            errors.push(p(&format!("/items/{i}"), "expected an object".into()));
        } else if item.get("templateId").is_some() {
            errors.push(p(
                &format!("/items/{i}/templateId"),
                "the job's templateId applies to every item".into(),
            ));
        }
    }
    let (Some(template_id), true) = (template_id, errors.is_empty()) else {
        return Err(ApiError::invalid(
            format!("the batch has {} problem(s); see errors", errors.len()),
            errors,
        ));
    };
    let id = format!("job_{}", uuid::Uuid::now_v7().simple());
    let now = now_ms();
    let total = items.len();
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(ApiError::from)?;
    sqlx::query(
        "INSERT INTO jobs (id, template_id, status, total, succeeded, failed, created_at, updated_at) \
         VALUES ($1, $2, 'queued', $3, 0, 0, $4, $4)",
    )
    .bind(&id)
    .bind(&template_id)
    .bind(i64::try_from(total).unwrap_or(i64::MAX))
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    for (i, item) in items.iter().enumerate() {
        let chunk = (i / CHUNK_ITEMS) as i64;
        if i % CHUNK_ITEMS == 0 {
            sqlx::query(
                "INSERT INTO job_chunks (id, job_id, chunk, status) VALUES ($1, $2, $3, 'pending')",
            )
            .bind(format!("{id}:{chunk}"))
            .bind(&id)
            .bind(chunk)
            .execute(&mut *tx)
            .await
            .map_err(ApiError::from)?;
        }
        sqlx::query(
            "INSERT INTO job_items (job_id, idx, chunk, input, pass_id, status) \
             VALUES ($1, $2, $3, $4, $5, 'pending')",
        )
        .bind(&id)
        .bind(i as i64)
        .bind(chunk)
        .bind(item.to_string())
        .bind(uuid::Uuid::now_v7().to_string())
        .execute(&mut *tx)
        .await
        .map_err(ApiError::from)?;
    }
    tx.commit().await.map_err(ApiError::from)?;
    state.inner.jobs_due.notify_waiters();
    tracing::info!(job = %id, items = total, "batch job queued");
    let v = job_json(&state, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(v)).into_response())
}

async fn job_json(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let pool = state.inner.store.pool();
    let row = sqlx::query(
        "SELECT id, template_id, status, total, succeeded, failed, created_at, finished_at FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(ApiError::from)?
    .ok_or_else(|| ApiError::not_found("job", id))?;
    let total: i64 = row.try_get("total").map_err(ApiError::from)?;
    let succeeded: i64 = row.try_get("succeeded").map_err(ApiError::from)?;
    let failed: i64 = row.try_get("failed").map_err(ApiError::from)?;
    let finished: Option<i64> = row.try_get("finished_at").map_err(ApiError::from)?;
    let failures = sqlx::query(
        "SELECT idx, error FROM job_items WHERE job_id = $1 AND status = 'failed' ORDER BY idx LIMIT $2",
    )
    .bind(id)
    .bind(MAX_LISTED_ERRORS)
    .fetch_all(pool)
    .await
    .map_err(ApiError::from)?;
    let errors: Vec<Value> = failures
        .iter()
        .map(|r| {
            let idx: i64 = r.try_get("idx").unwrap_or(-1);
            let error: Option<String> = r.try_get("error").unwrap_or(None);
            let mut e: Value = error
                .and_then(|e| serde_json::from_str(&e).ok())
                .unwrap_or_else(|| json!({"detail": "failed"}));
            e["index"] = idx.into();
            e
        })
        .collect();
    let base = &state.inner.config.public_url;
    Ok(json!({
        "id": id,
        "object": "job",
        "templateId": row.try_get::<String, _>("template_id").map_err(ApiError::from)?,
        "status": row.try_get::<String, _>("status").map_err(ApiError::from)?,
        "total": total,
        "succeeded": succeeded,
        "failed": failed,
        "progress": if total > 0 { (succeeded + failed) as f64 / total as f64 } else { 1.0 },
        "errors": errors,
        "createdAt": rfc3339(row.try_get::<i64, _>("created_at").map_err(ApiError::from)?),
        "finishedAt": finished.map(rfc3339),
        "downloadUrl": format!("{base}/v1/jobs/{id}/download"),
    }))
}

/// `GET /v1/jobs/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(job_json(&state, &id).await?))
}

// ---- the worker ----

/// Issues the unfinished items of one claimed chunk, each recorded only
/// while the claim holds, then settles the chunk and the job's counts.
/// `Ok(false)`: the claim ran out and another worker has the chunk.
async fn run_chunk(
    state: &AppState,
    lease: &Lease,
    job: &str,
    chunk: i64,
) -> Result<bool, StoreError> {
    let pool = state.inner.store.pool();
    sqlx::query(
        "UPDATE jobs SET status = 'running', updated_at = $1 WHERE id = $2 AND status = 'queued'",
    )
    .bind(now_ms())
    .bind(job)
    .execute(pool)
    .await?;
    let template_id: String = sqlx::query("SELECT template_id FROM jobs WHERE id = $1")
        .bind(job)
        .fetch_one(pool)
        .await?
        .try_get("template_id")?;
    let items = sqlx::query(
        "SELECT idx, input, pass_id FROM job_items WHERE job_id = $1 AND chunk = $2 AND status = 'pending' ORDER BY idx",
    )
    .bind(job)
    .bind(chunk)
    .fetch_all(pool)
    .await?;
    for item in items {
        let idx: i64 = item.try_get("idx")?;
        let input: String = item.try_get("input")?;
        let pass_id: String = item.try_get("pass_id")?;
        if !state.inner.store.holds(Queue::JobChunks, lease).await? {
            return Ok(false);
        }
        let outcome = if state.inner.store.pass(&pass_id).await?.is_some() {
            // Issued before a crash, not yet recorded.
            Ok(())
        } else {
            let mut body: Value = serde_json::from_str(&input)
                .map_err(|e| StoreError::Corrupt(format!("job item: {e}")))?;
            body["templateId"] = template_id.clone().into();
            match parse_new(state, &body, pass_id.clone()) {
                Ok((record, template)) => create_pass(state, record, template).await.map(|_| ()),
                Err(e) => Err(e),
            }
        };
        let (status, error) = match outcome {
            Ok(()) => ("succeeded", None),
            Err(e) if e.status.is_server_error() => return Err(StoreError::Corrupt(e.detail)),
            Err(e) => (
                "failed",
                Some(
                    json!({
                        "status": e.status.as_u16(),
                        "code": e.code,
                        "detail": e.detail,
                        "errors": e.errors.iter().map(|p| json!({"pointer": format!("/items/{idx}{}", p.pointer), "detail": p.detail})).collect::<Vec<_>>(),
                    })
                    .to_string(),
                ),
            ),
        };
        // Recorded only while the claim holds: a worker that lost its chunk
        // never overwrites what the worker that took it over records.
        let recorded = sqlx::query(
            "UPDATE job_items SET status = $1, error = $2 WHERE job_id = $3 AND idx = $4 \
             AND EXISTS (SELECT 1 FROM job_chunks WHERE id = $5 AND claimed_by = $6 \
             AND attempts = $7 AND status = 'running')",
        )
        .bind(status)
        .bind(error)
        .bind(job)
        .bind(idx)
        .bind(&lease.id)
        .bind(&lease.worker)
        .bind(lease.attempts)
        .execute(pool)
        .await?;
        if recorded.rows_affected() == 0 {
            return Ok(false);
        }
    }
    let now = now_ms();
    let mut tx = pool.begin().await?;
    let done = Decision::Finish("done").settlement(now, None, None);
    if !db::settle(&mut tx, Queue::JobChunks, lease, &done).await? {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE jobs SET \
         succeeded = (SELECT COUNT(*) FROM job_items WHERE job_id = $1 AND status = 'succeeded'), \
         failed = (SELECT COUNT(*) FROM job_items WHERE job_id = $1 AND status = 'failed'), \
         updated_at = $2 WHERE id = $1",
    )
    .bind(job)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE jobs SET status = 'completed', finished_at = $2 WHERE id = $1 AND status <> 'completed' \
         AND NOT EXISTS (SELECT 1 FROM job_chunks WHERE job_id = $1 AND status <> 'done')",
    )
    .bind(job)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Waits before a failed chunk's next attempt; the last repeats: a chunk
/// is retried until it finishes.
const CHUNK_RETRIES: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(60),
];

/// The batch chunk queue's handler.
struct Chunks {
    state: AppState,
}

impl Handler for Chunks {
    type Item = ChunkItem;

    fn settings(&self) -> Settings {
        Settings {
            name: "jobs",
            lease: LEASE,
            // One chunk per core at a time: issuing is CPU-bound.
            capacity: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            in_order: false,
            poll: Duration::from_secs(1),
        }
    }

    fn store(&self) -> &super::Store {
        &self.state.inner.store
    }

    fn due(&self) -> &tokio::sync::Notify {
        &self.state.inner.jobs_due
    }

    async fn run(self: std::sync::Arc<Self>, claimed: Claimed<ChunkItem>) {
        let Claimed { lease, item } = claimed;
        let (job, chunk) = (&item.job_id, item.chunk);
        match run_chunk(&self.state, &lease, job, chunk).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    job,
                    chunk,
                    "a batch chunk outlived its claim; another worker has it"
                );
            }
            Err(e) => {
                tracing::warn!(error = %e, job, chunk, attempt = lease.attempts, "batch chunk failed; it will be retried");
                let policy = Policy {
                    schedule: &CHUNK_RETRIES,
                    forever: true,
                };
                let now = now_ms();
                let retry = retry::decide(Attempt::Transient, lease.attempts, policy, now, 1.0)
                    .settlement(now, None, Some(e.to_string()));
                // Put back only while still ours: a worker whose claim ran
                // out must not take the chunk from the one that has it now.
                match self
                    .state
                    .inner
                    .store
                    .settle(Queue::JobChunks, &lease, &retry)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        job,
                        chunk,
                        "a failed batch chunk belongs to another worker now"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, job, chunk, "cannot put a batch chunk back")
                    }
                }
            }
        }
    }
}

/// Runs the job worker until `stop` turns true: up to one chunk per core at
/// a time; the chunks in hand are finished before it stops.
pub async fn run_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let handler = std::sync::Arc::new(Chunks { state });
    runner::run(handler, runner::worker_name("jobs"), stop).await;
}

/// Marks a job's chunks as claimed by `worker` until `until` (Unix ms), as
/// an instance that then died would leave them. For tests of lease
/// take-over; returns the number of chunks marked.
///
/// # Errors
/// [`StoreError`].
#[doc(hidden)]
pub async fn mark_claimed_for_test(
    store: &super::Store,
    job: &str,
    worker: &str,
    until: i64,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE job_chunks SET status = 'running', claimed_by = $1, claimed_until = $2 WHERE job_id = $3",
    )
    .bind(worker)
    .bind(until)
    .bind(job)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}

// ---- download ----

/// `GET /v1/jobs/{id}/download`: a `.zip` of the job's passes
/// (`<serialNumber>.pkpass`, signed from their stored versions), written to
/// an anonymous temp file and streamed. 409 until the job has completed.
pub(crate) async fn download(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let job = job_json(&state, &id).await?;
    if job["status"] != "completed" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "job_not_completed",
            format!(
                "the job is {}; download it once it has completed",
                job["status"]
            ),
        ));
    }
    let rows = sqlx::query(
        "SELECT pass_id FROM job_items WHERE job_id = $1 AND status = 'succeeded' ORDER BY idx",
    )
    .bind(&id)
    .fetch_all(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    let mut records = Vec::with_capacity(rows.len());
    for r in rows {
        let pass_id: String = r.try_get("pass_id").map_err(ApiError::from)?;
        // Passes deleted since are left out.
        if let Some(p) = state.inner.store.pass(&pass_id).await? {
            records.push(p);
        }
    }
    let state2 = state.clone();
    let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, ApiError> {
        use rayon::prelude::*;
        let mut file = tempfile::tempfile().map_err(|e| ApiError::internal(&e))?;
        let mut zip = zip::ZipWriter::new(&mut file);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .unix_permissions(0o644);
        for chunk in records.chunks(64) {
            let signed: Vec<Result<(String, crate::apple::Pkpass), ApiError>> = chunk
                .par_iter()
                .map(|r| {
                    let template = state2.inner.templates.live(&r.template_id)?;
                    let issued = sign_record(&state2, &template, r, true, false)?;
                    let pkpass = super::passes::apple_side(issued.pkpass)?;
                    Ok((r.serial_number.clone(), pkpass))
                })
                .collect();
            for s in signed {
                let (serial, pkpass) = s?;
                zip.start_file(format!("{serial}.pkpass"), options)
                    .map_err(|e| ApiError::internal(&e))?;
                pkpass
                    .write_to(&mut zip)
                    .map_err(|e| ApiError::internal(&e))?;
            }
        }
        zip.finish().map_err(|e| ApiError::internal(&e))?;
        file.rewind().map_err(|e| ApiError::internal(&e))?;
        Ok(file)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let len = file.metadata().map_err(|e| ApiError::internal(&e))?.len();
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let headers = [
        (header::CONTENT_TYPE, "application/zip".to_owned()),
        (header::CONTENT_LENGTH, len.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{id}.zip\""),
        ),
    ];
    Ok((headers, axum::body::Body::from_stream(stream)).into_response())
}
