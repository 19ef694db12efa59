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

/// The request being served under an `Idempotency-Key`, for the request's
/// task: the first change the request commits records, in its own
/// transaction, that it happened — with the whole answer when the
/// operation knows it before committing (a create) — so a process that dies
/// between the commit and the answer leaves no key that runs the request
/// twice.
#[derive(Debug)]
pub(crate) struct Scope {
    principal: String,
    key: String,
    /// The answer to record with the change, when known before it commits.
    answer: std::sync::Mutex<Option<Answer>>,
    /// Whether a change of this request committed its record.
    recorded: std::sync::atomic::AtomicBool,
    /// Whether that record holds the whole answer.
    answered: std::sync::atomic::AtomicBool,
}

/// The stored status of a key whose change committed before its answer was
/// stored.
pub(crate) const COMMITTED: i64 = 1;

tokio::task_local! {
    static SCOPE: std::sync::Arc<Scope>;
}

impl Scope {
    /// Whether a change of the request committed.
    pub(crate) fn committed(&self) -> bool {
        self.recorded.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether the request's answer was stored with its change (nothing
    /// is left to store after it).
    pub(crate) fn answered(&self) -> bool {
        self.answered.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Runs `fut` (the request) under the key `(principal, key)`; its scope
/// afterwards.
pub(crate) async fn scoped<F: std::future::Future>(
    principal: &str,
    key: &str,
    fut: F,
) -> (F::Output, std::sync::Arc<Scope>) {
    let scope = std::sync::Arc::new(Scope {
        principal: principal.to_owned(),
        key: key.to_owned(),
        answer: std::sync::Mutex::new(None),
        recorded: std::sync::atomic::AtomicBool::new(false),
        answered: std::sync::atomic::AtomicBool::new(false),
    });
    let out = SCOPE.scope(scope.clone(), fut).await;
    (out, scope)
}

/// The answer the request will give, known before its change commits: it
/// is then stored with the change. Nothing outside an idempotent request.
pub(crate) fn answer_with(answer: impl FnOnce() -> Answer) {
    let _ = SCOPE.try_with(|s| {
        if let Ok(mut slot) = s.answer.lock() {
            *slot = Some(answer());
        }
    });
}

/// In a change's transaction: records for `scope`'s key (only for its
/// first change) that the change is written, with the answer if it is
/// known; the key counts as recorded from then on (a commit that then
/// fails leaves it held, never released for a retry that might repeat a
/// change that did commit).
///
/// # Errors
/// [`StoreError`](crate::service::db::StoreError); the change does not
/// commit then.
pub(crate) async fn record(
    tx: &mut crate::service::db::Tx,
    scope: &Scope,
) -> Result<(), crate::service::db::StoreError> {
    if scope.committed() {
        return Ok(());
    }
    let answer = scope.answer.lock().ok().and_then(|a| a.clone());
    crate::service::db::record_idempotent(tx, &scope.principal, &scope.key, answer.as_ref())
        .await?;
    scope
        .answered
        .store(answer.is_some(), std::sync::atomic::Ordering::SeqCst);
    scope
        .recorded
        .store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// The running request's idempotency scope, if it has a key: for a change
/// written by another task for it (see `domain::creates`).
pub(crate) fn current() -> Option<std::sync::Arc<Scope>> {
    SCOPE.try_with(std::sync::Arc::clone).ok()
}
