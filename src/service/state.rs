//! The state every request and worker shares: the database, the live
//! templates, the configuration, counters, rate-limit buckets and the
//! notifiers that wake the queue workers.

use std::path::Path;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::service::config::ServiceConfig;
use crate::service::db::Store;
use crate::service::metrics::Metrics;
use crate::service::outbox::Written;
use crate::service::ratelimit::Limiter;
use crate::service::signed::SignedCache;
use crate::service::templates::Templates;

/// Shared state of every request.
#[derive(Debug)]
pub struct Inner {
    /// The database.
    pub store: Store,
    /// The live templates.
    pub templates: Arc<Templates>,
    /// The templates folder watcher, once started.
    pub(crate) watcher: Mutex<Option<notify::RecommendedWatcher>>,
    /// Signing and links.
    pub config: ServiceConfig,
    /// Counters.
    pub metrics: Metrics,
    /// Per-credential token buckets.
    pub(crate) limiter: Limiter,
    /// API keys checked recently (see `domain::keys::KeyCache`).
    pub(crate) keys: crate::service::domain::keys::KeyCache,
    /// Signed passes kept in memory (see `service::signed`).
    pub(crate) signed: SignedCache,
    /// The issuer's part of every signed pass's key.
    pub(crate) issuer_print: String,
    /// The threads that sign, one per core, and their turns (see
    /// `service::signers` and `domain::passes::signer_turn`).
    pub(crate) signing: crate::service::signers::Signers,
    /// New passes waiting to be written together (group commit).
    pub(crate) creates: crate::service::domain::creates::Queue,
    /// Wakes the webhook worker when deliveries were written.
    pub(crate) deliveries_due: Notify,
    /// Wakes the job worker when a job was queued.
    pub(crate) jobs_due: Notify,
    /// Wakes the push worker when pushes were queued.
    pub(crate) pushes_due: Notify,
    /// Wakes the Google updater when updates were queued.
    pub(crate) google_due: Notify,
}

/// Cheap-to-clone handle on the shared state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The state.
    pub inner: Arc<Inner>,
}

impl AppState {
    /// Builds the state: loads the templates folder.
    pub fn new(store: Store, templates_dir: &Path, config: ServiceConfig) -> Self {
        let limiter = Limiter::new(config.rate_limit);
        let signed = SignedCache::new(config.signed_cache_bytes);
        let issuer_print = crate::service::signed::issuer_fingerprint(
            &config.identity,
            config.web_service_url.as_deref(),
        );
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self {
            inner: Arc::new(Inner {
                store,
                templates: Arc::new(Templates::load(templates_dir)),
                watcher: Mutex::new(None),
                config,
                metrics: Metrics::default(),
                limiter,
                keys: crate::service::domain::keys::KeyCache::default(),
                signed,
                issuer_print,
                signing: crate::service::signers::Signers::new(cores),
                creates: crate::service::domain::creates::Queue::default(),
                deliveries_due: Notify::new(),
                jobs_due: Notify::new(),
                pushes_due: Notify::new(),
                google_due: Notify::new(),
            }),
        }
    }

    /// Wakes the workers whose queues `written` added to (after the commit
    /// that wrote them).
    pub(crate) fn wake(&self, written: &Written) {
        if !written.deliveries.is_empty() {
            self.inner.deliveries_due.notify_one();
        }
        if !written.pushes.is_empty() {
            self.inner.pushes_due.notify_one();
        }
        if written.google {
            self.inner.google_due.notify_one();
        }
    }

    /// Wakes the batch job worker.
    pub(crate) fn wake_jobs(&self) {
        self.inner.jobs_due.notify_one();
    }
}
