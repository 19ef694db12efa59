//! The HTTP service (`passforge serve`): a thin JSON API over the core.
//!
//! Shape: [`AppState`] holds the store, the live template registry and the
//! signing configuration; [`router`] builds the axum app (auth, rate limits,
//! request ids, metrics, body limits and timeouts as layers); [`serve`] runs
//! it until shutdown. Signing runs on tokio's blocking pool, never on the
//! async workers.

pub mod apns;
pub mod apple;
pub mod auth;
pub mod callbacks;
pub mod connections;
pub mod db;
pub mod error;
pub mod google;
mod idempotency;
pub mod jobs;
pub mod links;
pub mod openapi;
mod outbox;
pub mod passes;
pub mod ratelimit;
pub mod templates;
pub mod upload;
pub mod users;
pub mod webhooks;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{FromRequest, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::apple::SigningIdentity;
use crate::google::GoogleConfig;
pub use apns::{ApnsAuth, ApnsConfig};
pub use auth::JwtAuth;
pub use db::Store;
pub use error::ApiError;
pub use google::GoogleApiConfig;
pub use ratelimit::RateLimit;
pub use templates::Templates;
pub use webhooks::WebhookConfig;

/// Largest request body accepted (JSON); template uploads have their own limit.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long one request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything the service needs besides the database.
#[derive(Debug)]
pub struct ServiceConfig {
    /// Base URL clients reach the service at (links in answers).
    pub public_url: String,
    /// PassKit web service URL written into passes.
    pub web_service_url: Option<String>,
    /// The Apple signing identity.
    pub identity: SigningIdentity,
    /// Google Wallet, when configured.
    pub google: Option<GoogleConfig>,
    /// Bearer-token verification, when enabled.
    pub jwt: Option<JwtAuth>,
    /// Requests per minute and burst per credential.
    pub rate_limit: RateLimit,
    /// Webhook delivery settings.
    pub webhooks: WebhookConfig,
    /// APNs push settings.
    pub apns: ApnsConfig,
    /// Google Wallet REST settings (used when `google` is set).
    pub google_api: GoogleApiConfig,
    /// Google Wallet callback verification (`/google/callbacks` answers 404
    /// without it).
    pub google_callbacks: Option<callbacks::CallbackConfig>,
}

/// (method, route, status) → (count, seconds).
type RequestCounts = BTreeMap<(String, String, u16), (u64, f64)>;

/// Request counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<RequestCounts>,
    passes_issued: AtomicU64,
    deliveries: Mutex<BTreeMap<&'static str, u64>>,
    pushes: Mutex<BTreeMap<&'static str, u64>>,
}

impl Metrics {
    /// Counts one issued pass.
    pub fn passes_issued(&self) {
        self.passes_issued.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts one webhook delivery attempt by outcome.
    pub fn webhook_delivery(&self, outcome: &'static str) {
        if let Ok(mut m) = self.deliveries.lock() {
            *m.entry(outcome).or_insert(0) += 1;
        }
    }

    /// Counts one APNs push attempt by outcome.
    pub fn push(&self, outcome: &'static str) {
        if let Ok(mut m) = self.pushes.lock() {
            *m.entry(outcome).or_insert(0) += 1;
        }
    }

    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.requests.lock() {
            let e = m
                .entry((method.to_owned(), route.to_owned(), status))
                .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += seconds;
        }
    }

    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        s.push_str("# HELP passforge_http_requests_total HTTP requests by route and status.\n");
        s.push_str("# TYPE passforge_http_requests_total counter\n");
        let requests = self.requests.lock().map(|m| m.clone()).unwrap_or_default();
        for ((method, route, status), (n, _)) in &requests {
            let _ = writeln!(
                s,
                "passforge_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        s.push_str(
            "# HELP passforge_http_request_duration_seconds_sum Time spent answering, by route.\n",
        );
        s.push_str("# TYPE passforge_http_request_duration_seconds_sum counter\n");
        for ((method, route, status), (_, secs)) in &requests {
            let _ = writeln!(
                s,
                "passforge_http_request_duration_seconds_sum{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {secs:.6}"
            );
        }
        s.push_str(
            "# HELP passforge_webhook_deliveries_total Webhook delivery attempts by outcome.\n",
        );
        s.push_str("# TYPE passforge_webhook_deliveries_total counter\n");
        let deliveries = self
            .deliveries
            .lock()
            .map(|m| m.clone())
            .unwrap_or_default();
        for (outcome, n) in &deliveries {
            let _ = writeln!(
                s,
                "passforge_webhook_deliveries_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        s.push_str("# HELP passforge_apns_pushes_total APNs push attempts by outcome.\n");
        s.push_str("# TYPE passforge_apns_pushes_total counter\n");
        let pushes = self.pushes.lock().map(|m| m.clone()).unwrap_or_default();
        for (outcome, n) in &pushes {
            let _ = writeln!(
                s,
                "passforge_apns_pushes_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        s.push_str("# HELP passforge_passes_issued_total Passes created.\n");
        s.push_str("# TYPE passforge_passes_issued_total counter\n");
        let _ = writeln!(
            s,
            "passforge_passes_issued_total {}",
            self.passes_issued.load(Ordering::Relaxed)
        );
        s
    }
}

/// Shared state of every request.
#[derive(Debug)]
pub struct Inner {
    /// The database.
    pub store: Store,
    /// The live templates.
    pub templates: Arc<Templates>,
    /// The templates folder watcher, once started.
    watcher: Mutex<Option<notify::RecommendedWatcher>>,
    /// Signing and links.
    pub config: ServiceConfig,
    /// Counters.
    pub metrics: Metrics,
    /// Per-credential token buckets.
    pub limiter: ratelimit::Limiter,
    /// Wakes the webhook worker when deliveries were written.
    pub deliveries_due: tokio::sync::Notify,
    /// Wakes the job worker when a job was queued.
    pub jobs_due: tokio::sync::Notify,
    /// Wakes the push worker when pushes were queued.
    pub pushes_due: tokio::sync::Notify,
    /// Wakes the Google updater when updates were queued.
    pub google_due: tokio::sync::Notify,
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
        let limiter = ratelimit::Limiter::new(config.rate_limit);
        Self {
            inner: Arc::new(Inner {
                store,
                templates: Arc::new(Templates::load(templates_dir)),
                watcher: Mutex::new(None),
                config,
                metrics: Metrics::default(),
                limiter,
                deliveries_due: tokio::sync::Notify::new(),
                jobs_due: tokio::sync::Notify::new(),
                pushes_due: tokio::sync::Notify::new(),
                google_due: tokio::sync::Notify::new(),
            }),
        }
    }
}

impl AppState {
    /// Starts watching the templates folder (see [`Templates::watch`]);
    /// the watch lasts as long as the state.
    ///
    /// # Errors
    /// When the folder cannot be watched.
    pub fn watch_templates(&self) -> notify::Result<()> {
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|e| notify::Error::generic(&format!("no async runtime: {e}")))?;
        let weak = Arc::downgrade(&self.inner);
        let watcher = self.inner.templates.watch(move |id, change| {
            let Some(inner) = weak.upgrade() else { return };
            let state = Self { inner };
            let ty = match change {
                templates::Change::Created => "template.created",
                templates::Change::Updated => "template.updated",
            };
            let event = webhooks::Event::new(ty, json!({"id": id, "object": "template"}));
            let id = id.to_owned();
            handle.spawn(async move {
                if let Err(e) = webhooks::record(&state, &event, None).await {
                    tracing::warn!(error = %e, "cannot record a template event");
                }
                if change == templates::Change::Updated {
                    if let Err(e) = apns::template_changed(&state, &id).await {
                        tracing::warn!(error = %e, template = %id, "cannot update the template's passes");
                    }
                }
            });
        })?;
        if let Ok(mut w) = self.inner.watcher.lock() {
            *w = Some(watcher);
        }
        Ok(())
    }
}

/// RFC 3339 (UTC, milliseconds) for Unix milliseconds.
pub(crate) fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A JSON request body; malformed JSON, a wrong content type or an
/// oversized body become problem+json answers.
#[derive(Debug)]
pub struct Body(pub Value);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<Value>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(e) => {
                let status = e.status();
                let code = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    _ => "malformed_json",
                };
                Err(ApiError::new(status, code, e.body_text()))
            }
        }
    }
}

/// Authenticates every `/v1` request and applies the rate limit of its
/// credential, adding the rate-limit headers to the answer.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let principal = match auth::authenticate(&parts, &state).await {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if principal.user_id.is_some() {
        let path = parts
            .extensions
            .get::<axum::extract::OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
        if !path.starts_with("/v1/me/") {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "user_token",
                "a user token reaches only /v1/me/passes, /v1/me/passes/{id}/download and /v1/me/connections",
            )
            .into_response();
        }
    }
    let decision = state.inner.limiter.check(&principal.id);
    let headers = decision.headers();
    if !decision.allowed {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many requests for this credential; retry in {} s",
                decision.retry_after_secs
            ),
        );
        for (k, v) in headers {
            e = e.with_header(k, v);
        }
        return e.into_response();
    }
    parts.extensions.insert(principal);
    let mut res = next.run(Request::from_parts(parts, body)).await;
    for (k, v) in headers {
        res.headers_mut().insert(k, v);
    }
    res
}

/// Counts requests by route and status, and logs each one with its id.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Every log line of the request carries its id (the span's field).
    let span = tracing::info_span!("request", request_id = %id);
    let res = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let _entered = span.enter();
    let secs = start.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    state.inner.metrics.record(&method, &route, status, secs);
    tracing::info!(request_id = %id, %method, %route, status, ms = secs * 1000.0, "request");
    res
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.inner.store.ping().await {
        Ok(()) => Json(json!({"status": "ready"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database unreachable");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the database is unreachable",
            )
            .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut res = state.inner.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    res
}

/// `GET /v1/providers`: what each wallet provider is configured for and
/// the shape of its results.
async fn providers(
    State(state): State<AppState>,
    principal: auth::Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require(auth::Scope::Read)?;
    let cfg = &state.inner.config;
    let cert = cfg.identity.cert_info();
    let google = cfg.google.as_ref();
    Ok(Json(json!({"data": [
        {
            "id": "apple",
            "configured": true,
            "testCertificate": cert.is_test,
            "passTypeIdentifier": cfg.identity.pass_type_id().as_str(),
            "teamIdentifier": cfg.identity.team_id().as_str(),
            "certificateExpires": cert.not_after.to_rfc3339(),
            "webServiceURL": cfg.web_service_url,
            "operations": ["issue", "update", "void"],
            "resultSchema": {
                "issue": {
                    "type": "string",
                    "contentMediaType": "application/vnd.apple.pkpass",
                    "description": "GET /v1/passes/{id}/download: the signed .pkpass of the pass's current version"
                }
            }
        },
        {
            "id": "google",
            "configured": google.is_some(),
            "testServiceAccount": google.map(|g| g.service_account.is_test()),
            "issuerId": google.map(|g| g.issuer_id.as_str().to_owned()),
            "operations": if google.is_some() { json!(["issue", "update", "void"]) } else { json!([]) },
            "resultSchema": {
                "issue": {
                    "type": "object",
                    "required": ["saveUrl", "objectId", "classId"],
                    "properties": {
                        "saveUrl": {"type": "string", "format": "uri", "description": "https://pay.google.com/gp/v/save/<JWT>"},
                        "objectId": {"type": "string"},
                        "classId": {"type": "string"}
                    }
                }
            }
        }
    ]})))
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "no such route; the API is described at /openapi.json",
    )
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/providers", get(providers))
        .route("/templates", get(templates::list))
        .route(
            "/templates/{id}",
            get(templates::get)
                .put(upload::upload)
                .delete(upload::delete)
                .layer(axum::extract::DefaultBodyLimit::max(
                    upload::MAX_UPLOAD_BYTES,
                )),
        )
        .route("/passes", post(passes::create).get(passes::list))
        .route(
            "/passes/{id}",
            get(passes::get)
                .patch(passes::update)
                .delete(passes::delete),
        )
        .route(
            "/passes/batch",
            post(jobs::create).layer(axum::extract::DefaultBodyLimit::max(
                jobs::MAX_BATCH_BODY_BYTES,
            )),
        )
        .route("/jobs/{id}", get(jobs::get))
        .route("/jobs/{id}/download", get(jobs::download))
        .route("/passes/{id}/void", post(passes::void))
        .route(
            "/passes/{id}/push-notifications",
            post(passes::push_notification),
        )
        .route("/passes/{id}/download", get(passes::download))
        .route("/passes/{id}/google", get(passes::google))
        .route("/links", post(links::create).get(links::list))
        .route("/links/{id}", get(links::get))
        .route("/links/{id}/revoke", post(links::revoke))
        .route("/connections", get(connections::list))
        .route(
            "/connections/{id}",
            get(connections::get).delete(connections::delete),
        )
        .route("/connections/{id}/sync", post(connections::sync))
        .route("/users", post(users::create))
        .route("/users/{id}", get(users::get).delete(users::delete))
        .route("/users/{id}/tokens", post(users::create_token))
        .route("/users/{id}/tokens/{token}", delete(users::revoke_token))
        .route("/me/passes", get(users::my_passes))
        .route("/me/passes/{id}/download", get(users::my_download))
        .route("/me/connections", get(users::my_connections))
        .route("/webhooks", post(webhooks::create).get(webhooks::list))
        .route(
            "/webhooks/{id}",
            get(webhooks::get).delete(webhooks::delete),
        )
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(webhooks::redeliver),
        )
        .route("/webhooks/{id}/test", post(webhooks::test))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), guard));
    let apple = Router::new()
        .route(
            "/v1/devices/{device}/registrations/{pass_type_id}/{serial}",
            post(apple::register).delete(apple::unregister),
        )
        .route(
            "/v1/devices/{device}/registrations/{pass_type_id}",
            get(apple::serials),
        )
        .route("/v1/passes/{pass_type_id}/{serial}", get(apple::latest))
        .route("/v1/log", post(apple::log));
    Router::new()
        .nest("/v1", v1)
        .nest("/apple", apple)
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(|| async { Json(openapi::document()) }))
        .route("/templates/{id}/{file}", get(templates::asset))
        .route("/google/callbacks", post(callbacks::receive))
        .route("/l/{code}", get(links::open))
        .route("/l/{code}/apple", get(links::open_apple))
        .route("/l/{code}/google", get(links::open_google))
        .route("/l/{code}/qr.png", get(links::qr))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves `app` on `listener` and runs the webhook worker until `shutdown`
/// resolves, then finishes the requests and deliveries in flight.
///
/// # Errors
/// IO errors of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state.clone());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(webhooks::run_worker(state.clone(), stopped.clone()));
    let job_worker = tokio::spawn(jobs::run_worker(state.clone(), stopped.clone()));
    let push_worker = tokio::spawn(apns::run_worker(state.clone(), stopped.clone()));
    let google_worker = tokio::spawn(google::run_worker(state.clone(), stopped));
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    let _ = stop.send(true);
    if let Err(e) = worker.await {
        tracing::error!(error = %e, "the webhook worker failed");
    }
    if let Err(e) = job_worker.await {
        tracing::error!(error = %e, "the job worker failed");
    }
    if let Err(e) = push_worker.await {
        tracing::error!(error = %e, "the push worker failed");
    }
    if let Err(e) = google_worker.await {
        tracing::error!(error = %e, "the Google updater failed");
    }
    state.inner.store.close().await;
    served
}
