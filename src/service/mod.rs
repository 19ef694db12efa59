//! The HTTP service (`passforge serve`): a thin JSON API over the core, in
//! one-way layers.
//!
//! - [`http`](self) — the only code that names axum: the route table (each
//!   route with its OpenAPI documentation), the guard, extractors that
//!   collect every problem of a request, problem+json answers.
//! - `domain` — operations on passes, templates, links, connections,
//!   users, keys, webhooks and batch jobs; no axum, no SQL. Side effects
//!   are values written with the change.
//! - `outbox` — those effects (events, pushes, Google updates) and the one
//!   retry-queue runner.
//! - `delivery` — the webhook sender, the APNs client and the Google
//!   client: handlers of queue items; they never import `domain` or `http`.
//! - [`db`] — the only code that names sqlx.
//!
//! `http → domain → {outbox, db}`, `delivery → {outbox, db}`,
//! `outbox → db`. This module wires them: [`AppState`], [`router`],
//! [`start_workers`] and [`serve`].
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! # let config: passforge::service::ServiceConfig = todo!();
//! use passforge::service::{router, start_workers, AppState, Store};
//! let store = Store::connect("sqlite://passforge.db").await?;
//! let state = AppState::new(store, "templates".as_ref(), config);
//! let workers = start_workers(&state);
//! let app = axum::Router::new().nest("/wallet", router(state));
//! // … serve `app`; then, on shutdown:
//! workers.stop().await;
//! # Ok(()) }
//! ```

pub(crate) mod clock;
pub mod config;
pub mod db;
pub(crate) mod delivery;
pub(crate) mod domain;
pub mod error;
pub(crate) mod http;
pub(crate) mod metrics;
pub(crate) mod netguard;
pub(crate) mod outbox;
pub mod ratelimit;
pub(crate) mod signed;
pub(crate) mod signers;
pub(crate) mod state;
pub mod templates;

use std::sync::Arc;

pub use config::{
    ApnsAuth, ApnsConfig, CallbackConfig, Faults, GoogleApiConfig, JwtAuth, ServiceConfig,
    WebhookConfig, PROTOCOL as CALLBACK_PROTOCOL,
};
pub use db::{Backend, Store, StoreError};
pub use delivery::signature_headers as webhook_signature_headers;
pub use domain::keys::{create_key, parse_scopes, ApiKeyToken, NewKey, Principal, Scope};
pub use error::{ApiError, FieldProblem};
pub use http::openapi::document as openapi_document;
pub use http::router;
pub use http::{MAX_BODY_BYTES, REQUEST_TIMEOUT};
pub use metrics::Metrics;
pub use outbox::{Event, EVENT_TYPES, TEST_EVENT};
pub use ratelimit::RateLimit;
pub use state::{AppState, Inner};
pub use templates::Templates;

pub(crate) use clock::rfc3339;

impl AppState {
    /// Starts watching the templates folder: a saved edit reloads its
    /// template (an edit that breaks it keeps the last good version live)
    /// and a change of a live template sends its event and gives every
    /// pass issued from it a new version, pushed. The watch lasts as long
    /// as the state.
    ///
    /// # Errors
    /// When the folder cannot be watched.
    pub fn watch_templates(&self) -> notify::Result<()> {
        domain::templates::watch(self)
    }
}

/// The running queue workers of one state (webhook deliveries, APNs
/// pushes, Google updates, batch jobs); [`Workers::stop`] ends them after
/// the items in hand.
#[derive(Debug)]
#[must_use = "stop the workers at shutdown"]
pub struct Workers {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<(&'static str, tokio::task::JoinHandle<()>)>,
}

impl Workers {
    /// Stops the workers and waits for the items in flight.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for (name, task) in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, worker = name, "a queue worker failed");
            }
        }
    }
}

/// Starts the queue workers of `state` on the current tokio runtime: every
/// instance sharing a database runs them, and each item is claimed by one.
/// An application that nests [`router`] in its own app calls this too, or
/// webhooks, pushes, Google updates and batch jobs stay queued.
///
/// # Panics
/// Outside a tokio runtime.
pub fn start_workers(state: &AppState) -> Workers {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_dead: delivery::apns::DeadTokenHook = Arc::new(|state, token, before, reason| {
        Box::pin(domain::connections::remove_dead_token(
            state, token, before, reason,
        ))
    });
    let tasks = vec![
        (
            "webhooks",
            tokio::spawn(delivery::webhooks::run_worker(
                state.clone(),
                stopped.clone(),
            )),
        ),
        (
            "jobs",
            tokio::spawn(domain::jobs::run_worker(state.clone(), stopped.clone())),
        ),
        (
            "apns",
            tokio::spawn(delivery::apns::run_worker(
                state.clone(),
                stopped.clone(),
                on_dead,
            )),
        ),
        (
            "google",
            tokio::spawn(delivery::google::run_worker(state.clone(), stopped.clone())),
        ),
        (
            "checkpoints",
            tokio::spawn(checkpoints(state.clone(), stopped)),
        ),
    ];
    Workers { stop, tasks }
}

/// Keeps a SQLite database's write-ahead log short with a passive
/// checkpoint every 250 ms (see `db::Store::checkpoint`), so no request's
/// commit pays for copying the log and its fsync; nothing on PostgreSQL.
async fn checkpoints(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let store = &state.inner.store;
    if store.backend() != db::Backend::Sqlite {
        return;
    }
    loop {
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                if let Err(e) = store.checkpoint().await {
                    tracing::debug!(error = %e, "checkpoint skipped");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Serves [`router`] on `listener` with the queue workers until `shutdown`
/// resolves, then finishes the requests and queue items in flight.
///
/// # Errors
/// IO errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let workers = start_workers(&state);
    let served = http::serve(listener, state.clone(), shutdown).await;
    workers.stop().await;
    state.inner.store.close().await;
    served
}
