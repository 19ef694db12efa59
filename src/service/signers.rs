//! Threads that sign, one per core, kept as long as the service's state,
//! and the turns to use them.
//!
//! Signing was handed to tokio's blocking pool, whose idle threads are woken
//! longest-idle first: under a steady load of creates each signature ran on
//! whichever of half a dozen threads had waited longest, with that thread's
//! caches, allocator pages and OpenSSL context cold. Here a signature runs
//! on one of `cores` threads that do nothing else, taken in turn through one
//! queue, so on one core it is always the same thread. A signature first
//! takes one of [`Signers::turns`] (one per thread, through
//! `domain::passes::signer_turn`): more signers than cores only preempt one
//! another, and a job sent with a turn finds an idle thread.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The signing threads, started at the first job, and their turns;
/// dropping the handle lets the threads end.
pub(crate) struct Signers {
    threads: usize,
    /// One permit per thread: a signature holds one while it signs (a job's
    /// zip one per pass it signs in parallel, at most every thread).
    pub(crate) turns: tokio::sync::Semaphore,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
}

impl std::fmt::Debug for Signers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signers")
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

/// Why a job did not run to its end.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SignersError {
    /// The system refused a thread.
    #[error("cannot start a signing thread: {0}")]
    Start(#[from] std::io::Error),
    /// The threads are gone.
    #[error("no signing thread is running")]
    Gone,
    /// The job panicked; its thread carries on.
    #[error("signing panicked")]
    Panicked,
}

impl Signers {
    /// `n` (at least one) signing threads, started when the first job
    /// comes, and as many turns.
    pub(crate) fn new(n: usize) -> Self {
        let threads = n.max(1);
        Self {
            threads,
            turns: tokio::sync::Semaphore::new(threads),
            jobs: Mutex::new(None),
        }
    }

    /// How many threads sign (and turns there are).
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// The queue to the threads, starting them if they are not running.
    fn queue(&self) -> Result<mpsc::Sender<Job>, SignersError> {
        let mut jobs = self.jobs.lock().map_err(|_| SignersError::Gone)?;
        if let Some(tx) = jobs.as_ref() {
            return Ok(tx.clone());
        }
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..self.threads {
            let rx = Arc::clone(&rx);
            std::thread::Builder::new()
                .name(format!("passforge-signer-{i}"))
                .spawn(move || loop {
                    // The lock is held while waiting for the next job,
                    // never while one runs.
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(mpsc::RecvError) => return,
                    }
                })?;
        }
        *jobs = Some(tx.clone());
        Ok(tx)
    }

    /// Runs `f` on a signing thread and waits for its result.
    ///
    /// # Errors
    /// [`SignersError`] when `f` panicked or no thread runs.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, SignersError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
            let _ = tx.send(out.map_err(|_| SignersError::Panicked));
        });
        self.queue()?.send(job).map_err(|_| SignersError::Gone)?;
        rx.await.map_err(|_| SignersError::Gone)?
    }
}

#[cfg(test)]
mod tests {
    use super::{Signers, SignersError};

    #[tokio::test]
    async fn jobs_run_on_the_pools_own_threads_and_a_panic_leaves_it_working() {
        let signers = Signers::new(1);
        let name = signers
            .run(|| std::thread::current().name().map(str::to_owned))
            .await
            .expect("ran");
        assert_eq!(name.as_deref(), Some("passforge-signer-0"));
        let r = signers.run(|| -> u8 { panic!("boom") }).await;
        assert!(matches!(r, Err(SignersError::Panicked)), "{r:?}");
        // The one thread survived the panic and takes the next job.
        let ids: Vec<_> = futures_util::future::join_all(
            (0..4).map(|i| signers.run(move || (i * 2, std::thread::current().id()))),
        )
        .await
        .into_iter()
        .map(|r| r.expect("ran"))
        .collect();
        assert_eq!(
            ids.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
            vec![0, 2, 4, 6]
        );
        assert!(
            ids.iter().all(|(_, t)| *t == ids[0].1),
            "one thread, reused"
        );
    }

    #[test]
    fn there_are_as_many_turns_as_threads_and_at_least_one() {
        for (asked, threads) in [(0, 1), (1, 1), (3, 3)] {
            let signers = Signers::new(asked);
            assert_eq!(signers.threads(), threads);
            assert_eq!(signers.turns.available_permits(), threads);
        }
    }
}
