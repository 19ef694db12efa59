//! Batch jobs: a job's items are split into chunks of [`CHUNK_ITEMS`]; a
//! worker in every instance sharing the database claims chunks (a retry
//! queue run by `outbox::runner`) and issues their items, so a large job
//! spreads over every instance. Each item's pass id is assigned when the
//! job is created, so an item re-run after a crash finds its pass instead
//! of issuing a second one.

use std::io::{Seek as _, Write as _};
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use serde_json::{json, Map, Value};

use crate::service::clock::{now_ms, rfc3339};
use crate::service::db::jobs::JobRow;
use crate::service::db::{self, ChunkItem, Claimed, Lease, Queue, StoreError};
use crate::service::domain::passes::{self, NewPass};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::outbox::retry::{self, Attempt, Decision, Policy};
use crate::service::outbox::runner::{self, Handler, Settings};
use crate::service::signed::{PassBytes, SignedKey};
use crate::service::state::AppState;

/// Items per chunk (the unit an instance claims).
pub(crate) const CHUNK_ITEMS: usize = 50;

/// How long a claimed chunk belongs to its instance.
const LEASE: Duration = Duration::from_secs(20);

/// Failed items listed in a job's view.
const MAX_LISTED_ERRORS: i64 = 100;

/// Waits before a failed chunk's next attempt; the last repeats: a chunk
/// is retried until it finishes.
const CHUNK_RETRIES: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(60),
];

/// A failed item of a job.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemError {
    /// The item's index in the request.
    index: i64,
    /// The HTTP status creating it would have answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    /// The problem code.
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<String>,
    /// What went wrong.
    detail: String,
    /// Located problems (`/items/<index>/…`).
    #[serde(default)]
    errors: Vec<FieldProblem>,
}

/// A job as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct JobView {
    /// `job_…`
    id: String,
    /// Always `job`.
    object: &'static str,
    /// The template of every item.
    template_id: String,
    /// `queued`, `running` or `completed`.
    #[schema(pattern = "^(queued|running|completed)$")]
    status: String,
    /// Items.
    total: i64,
    /// Items issued.
    succeeded: i64,
    /// Items failed.
    failed: i64,
    /// Done items / total, 0 to 1.
    progress: f64,
    /// The first failed items.
    errors: Vec<ItemError>,
    /// When it was queued.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it completed.
    #[schema(format = DateTime)]
    finished_at: Option<String>,
    /// A zip of its passes, once completed.
    #[schema(format = "uri")]
    download_url: String,
}

impl JobView {
    /// Whether every item was processed.
    pub(crate) fn completed(&self) -> bool {
        self.status == "completed"
    }
}

/// Queues a job of `items` (each a new pass request without `templateId`).
///
/// # Errors
/// 422 when the template is not live.
pub(crate) async fn create(
    state: &AppState,
    template_id: &str,
    items: &[Value],
) -> Result<JobView, ApiError> {
    let mut errors = Vec::new();
    if let Err(e) = state.inner.templates.live(template_id) {
        errors.push(FieldProblem::new("/templateId", e.detail));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            format!("the batch has {} problem(s); see errors", errors.len()),
            errors,
        ));
    }
    let id = format!("job_{}", uuid::Uuid::now_v7().simple());
    let inputs: Vec<String> = items.iter().map(Value::to_string).collect();
    let mut tx = state.inner.store.begin().await?;
    db::jobs::insert_job(&mut tx, &id, template_id, &inputs, CHUNK_ITEMS, now_ms()).await?;
    db::commit(tx).await?;
    state.wake_jobs();
    tracing::info!(job = %id, items = items.len(), "batch job queued");
    get(state, &id).await
}

/// A job's view.
///
/// # Errors
/// 404.
pub(crate) async fn get(state: &AppState, id: &str) -> Result<JobView, ApiError> {
    let mut c = state.inner.store.conn().await?;
    let job: JobRow = db::jobs::job(&mut c, id)
        .await?
        .ok_or_else(|| ApiError::not_found("job", id))?;
    let errors = db::jobs::failures(&mut c, id, MAX_LISTED_ERRORS)
        .await?
        .into_iter()
        .map(|(index, error)| {
            let e: Value = error
                .and_then(|e| serde_json::from_str(&e).ok())
                .unwrap_or_else(|| json!({"detail": "failed"}));
            ItemError {
                index,
                status: e["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
                code: e["code"].as_str().map(str::to_owned),
                detail: e["detail"].as_str().unwrap_or("failed").to_owned(),
                errors: serde_json::from_value(e["errors"].clone()).unwrap_or_default(),
            }
        })
        .collect();
    let base = &state.inner.config.public_url;
    #[allow(clippy::cast_precision_loss)]
    let progress = if job.total > 0 {
        (job.succeeded + job.failed) as f64 / job.total as f64
    } else {
        1.0
    };
    Ok(JobView {
        id: job.id.clone(),
        object: "job",
        template_id: job.template_id,
        status: job.status,
        total: job.total,
        succeeded: job.succeeded,
        failed: job.failed,
        progress,
        errors,
        created_at: rfc3339(job.created_at),
        finished_at: job.finished_at.map(rfc3339),
        download_url: format!("{base}/v1/jobs/{}/download", job.id),
    })
}

/// A new pass request from a job item (its JSON as queued).
fn item_request(template_id: &str, input: &str) -> Result<NewPass, StoreError> {
    let v: Map<String, Value> =
        serde_json::from_str(input).map_err(|e| StoreError::Corrupt(format!("job item: {e}")))?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(NewPass {
        template_id: template_id.to_owned(),
        serial_number: text("serialNumber"),
        custom_fields: v
            .get("customFields")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        relevant_date: text("relevantDate"),
        expiration_date: text("expirationDate"),
        user_id: text("userId"),
    })
}

/// Issues the unfinished items of one claimed chunk, each recorded only
/// while the claim holds, then settles the chunk and the job's counts.
/// `Ok(false)`: the claim ran out and another worker has the chunk.
async fn run_chunk(
    state: &AppState,
    lease: &Lease,
    job: &str,
    chunk: i64,
) -> Result<bool, StoreError> {
    let store = &state.inner.store;
    let (template_id, items) = {
        let mut c = store.conn().await?;
        db::jobs::mark_running(&mut c, job, now_ms()).await?;
        let template_id = db::jobs::job(&mut c, job)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("job {job} is gone")))?
            .template_id;
        (
            template_id,
            db::jobs::pending_items(&mut c, job, chunk).await?,
        )
    };
    for item in items {
        if !store.holds(Queue::JobChunks, lease).await? {
            return Ok(false);
        }
        let outcome = if store.pass(&item.pass_id).await?.is_some() {
            // Issued before a crash, not yet recorded.
            Ok(())
        } else {
            let new = item_request(&template_id, &item.input)?;
            match passes::prepare(state, new, item.pass_id.clone(), "") {
                Ok((record, template)) => passes::create(state, record, template).await.map(|_| ()),
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
                        "errors": e.errors.iter().map(|p| json!({"pointer": format!("/items/{}{}", item.idx, p.pointer), "detail": p.detail})).collect::<Vec<_>>(),
                    })
                    .to_string(),
                ),
            ),
        };
        // Recorded only while the claim holds: a worker that lost its chunk
        // never overwrites what the worker that took it over records.
        let recorded = db::jobs::record_item(
            &mut *store.conn().await?,
            lease,
            job,
            item.idx,
            status,
            error.as_deref(),
        )
        .await?;
        if !recorded {
            return Ok(false);
        }
    }
    let now = now_ms();
    let mut tx = store.begin().await?;
    let done = Decision::Finish("done").settlement(now, None, None);
    if !db::settle(&mut tx, Queue::JobChunks, lease, &done).await? {
        return Ok(false);
    }
    db::jobs::recount(&mut tx, job, now).await?;
    db::commit(tx).await?;
    Ok(true)
}

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

    fn store(&self) -> &db::Store {
        &self.state.inner.store
    }

    fn due(&self) -> &tokio::sync::Notify {
        &self.state.inner.jobs_due
    }

    async fn run(self: Arc<Self>, claimed: Claimed<ChunkItem>) {
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
pub(crate) async fn run_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let handler = Arc::new(Chunks { state });
    runner::run(handler, runner::worker_name("jobs"), stop).await;
}

/// A `.pkpass` made for a job's zip, to keep: its key and what was made.
type Fresh = (SignedKey, passes::Made);

/// A zip of a completed job's passes (`<serialNumber>.pkpass`, their
/// current versions' kept bytes, made again only where not kept; passes
/// deleted since are left out), in an anonymous temp file, rewound.
///
/// # Errors
/// 404; 409 until the job has completed.
pub(crate) async fn zip(state: &AppState, id: &str) -> Result<std::fs::File, ApiError> {
    let job = get(state, id).await?;
    if !job.completed() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "job_not_completed",
            format!(
                "the job is {}; download it once it has completed",
                job.status
            ),
        ));
    }
    let ids = db::jobs::issued_passes(&mut *state.inner.store.conn().await?, id).await?;
    let mut records = Vec::with_capacity(ids.len());
    for pass_id in ids {
        if let Some(p) = state.inner.store.pass(&pass_id).await? {
            records.push(p);
        }
    }
    let file = tempfile::tempfile().map_err(|e| ApiError::internal(&e))?;
    let mut zip = zip::ZipWriter::new(file);
    // 64 passes at a time: the kept ones read, the rest signed in parallel
    // (and kept), then all written in order.
    for chunk in records.chunks(64) {
        let mut found = Vec::with_capacity(chunk.len());
        for r in chunk {
            found.push(passes::lookup(state, r).await?);
        }
        // Passes whose signature is not kept are signed again (in
        // parallel): with signers' turns, like creates and reads.
        let to_sign = found.iter().filter(|f| f.signs()).count();
        let turns = passes::signer_turns(state, to_sign).await?;
        let (state2, chunk2) = (state.clone(), chunk.to_vec());
        let (z, made) = tokio::task::spawn_blocking(move || {
            use rayon::prelude::*;
            // Each pass's bytes, and what a pass not in memory made (to keep).
            let made: Vec<Result<(PassBytes, Option<Fresh>), ApiError>> = found
                .into_par_iter()
                .zip(chunk2.par_iter())
                .map(|(found, r)| match found {
                    passes::Lookup::Kept(bytes) => Ok((bytes, None)),
                    passes::Lookup::Make {
                        template,
                        key,
                        signature,
                    } => {
                        let made =
                            passes::make_current(&state2, &template, r, signature.as_deref())?;
                        Ok((made.bytes(), Some((key, made))))
                    }
                })
                .collect();
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .unix_permissions(0o644);
            let mut kept = Vec::new();
            for (r, m) in chunk2.iter().zip(made) {
                let (bytes, fresh) = m?;
                zip.start_file(format!("{}.pkpass", r.serial_number), options)
                    .map_err(|e| ApiError::internal(&e))?;
                for chunk in bytes.chunks() {
                    zip.write_all(&chunk).map_err(|e| ApiError::internal(&e))?;
                }
                if let Some((key, made)) = fresh {
                    kept.push((r.clone(), key, made));
                }
            }
            Ok::<_, ApiError>((zip, kept))
        })
        .await
        .map_err(|e| ApiError::internal(&e))??;
        drop(turns);
        zip = z;
        for (r, key, m) in made {
            passes::keep(state, &r, key, m).await;
        }
    }
    tokio::task::spawn_blocking(move || {
        let mut file = zip.finish().map_err(|e| ApiError::internal(&e))?;
        file.rewind().map_err(|e| ApiError::internal(&e))?;
        Ok(file)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::domain::testing::{all_turns, service, until_waiting_to_sign};

    /// A completed job of two event tickets, run by the job worker.
    async fn completed_job(state: &AppState) -> String {
        let items = [
            json!({"customFields": {"attendee": "Ada", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"}}),
            json!({"customFields": {"attendee": "Grace", "seat": "A2", "doorsOpen": "2027-06-12T19:00:00+01:00"}}),
        ];
        let job = create(state, "event-ticket", &items).await.expect("queued");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(run_worker(state.clone(), stopped));
        tokio::time::timeout(Duration::from_secs(60), async {
            while !get(state, &job.id).await.expect("job").completed() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .expect("the job completes");
        stop.send(true).expect("worker listening");
        worker.await.expect("worker stopped");
        job.id
    }

    #[tokio::test]
    async fn a_zip_that_signs_passes_again_waits_for_signers_turns_and_is_counted_meanwhile() {
        let dir = tempfile::tempdir().expect("dir");
        let job = completed_job(&service(dir.path(), |_| {}).await).await;
        // The same database, with no signature kept: the zip signs both.
        let state = service(dir.path(), |c| c.sign_every_read = true).await;
        let turns = all_turns(&state).await;
        let zipping = tokio::spawn({
            let (state, job) = (state.clone(), job.clone());
            async move { zip(&state, &job).await }
        });
        until_waiting_to_sign(&state, "the zip").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!zipping.is_finished(), "it signs only when turns are free");

        drop(turns);
        let file = tokio::time::timeout(Duration::from_secs(60), zipping)
            .await
            .expect("made once turns are free")
            .expect("task")
            .expect("zip");
        assert_eq!(state.inner.metrics.signings_waiting(), 0);
        let mut archive = zip::ZipArchive::new(file).expect("a zip");
        assert_eq!(archive.len(), 2, "both passes");
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).expect("entry");
            let name = entry.name().expect("a name").into_owned();
            assert!(name.ends_with(".pkpass"), "{name}");
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut entry, &mut bytes).expect("read");
            assert!(bytes.starts_with(b"PK"), "a .pkpass is a zip");
        }
        let served = state.inner.metrics.render();
        assert!(
            served.contains("passforge_pkpass_served_total{source=\"signed\"} 2\n"),
            "{served}"
        );
    }

    #[tokio::test]
    async fn a_zip_of_kept_signatures_needs_no_turn() {
        let dir = tempfile::tempdir().expect("dir");
        let job = completed_job(&service(dir.path(), |_| {}).await).await;
        // A second instance: nothing in memory, the signatures in the database.
        let state = service(dir.path(), |_| {}).await;
        let _turns = all_turns(&state).await;
        let file = tokio::time::timeout(Duration::from_secs(60), zip(&state, &job))
            .await
            .expect("not waiting for a signer")
            .expect("zip");
        assert_eq!(zip::ZipArchive::new(file).expect("a zip").len(), 2);
        assert_eq!(state.inner.metrics.signings_waiting(), 0);
    }
}
