//! Webhooks: endpoints, the event outbox and durable delivery.
//!
//! A change and its event are written in one transaction, with one
//! `webhook_deliveries` row per subscribed endpoint. A worker in every
//! instance claims due deliveries (`FOR UPDATE SKIP LOCKED` on PostgreSQL;
//! on SQLite the claiming UPDATE runs under the database's single write
//! lock), posts them with the Standard Webhooks signature headers and
//! `X-Passforge-Signature`, and records the outcome: 2xx done, 410 disables
//! the endpoint, anything else is retried with exponential backoff and
//! jitter for about three days. A claim is a lease: deliveries of an
//! instance that died are taken over when the lease ends.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::{Any, Row as _, Transaction};

use super::auth::{hex, Principal, Scope};
use super::db::{now_ms, Claimed as DbClaimed, DeliveryItem, Lease, Queue, StoreError};
use super::error::{ApiError, FieldProblem};
use super::outbox::retry::{self, Attempt, Decision, Policy};
use super::outbox::runner::{self, Handler, Settings};
use super::{rfc3339, AppState, Body};

/// Event types an endpoint can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "pass.created",
    "pass.updated",
    "pass.voided",
    "pass.deleted",
    "template.created",
    "template.updated",
    "connection.created",
    "connection.deleted",
    "user.created",
    "user.deleted",
    "link.opened",
    "link.issued",
    "link.completed",
];

/// The test event (`POST /v1/webhooks/{id}/test`), sent to one endpoint.
pub const TEST_EVENT: &str = "webhook.test";

/// How long a claimed delivery belongs to its instance.
const LEASE: Duration = Duration::from_secs(60);

/// Deliveries in flight at once in one instance.
const CONCURRENCY: usize = 16;

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Allow endpoints on loopback and private networks (off in production:
    /// webhooks must not reach the service's own network).
    pub allow_private_networks: bool,
    /// Waits before each retry; attempts = 1 + its length.
    pub retry_schedule: Vec<Duration>,
    /// How often the worker looks for due deliveries when not woken.
    pub poll_interval: Duration,
    /// Timeout of one delivery.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        let secs = [
            5, 60, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 72_000,
        ];
        Self {
            allow_private_networks: false,
            retry_schedule: secs.iter().map(|s| Duration::from_secs(*s)).collect(),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// One event: `{id, type, createdAt, data}`.
#[derive(Debug, Clone)]
pub struct Event {
    /// `evt_…`
    pub id: String,
    /// One of [`EVENT_TYPES`] or [`TEST_EVENT`].
    pub ty: &'static str,
    /// Unix ms.
    pub created_at: i64,
    /// The resource.
    pub data: Value,
}

impl Event {
    /// A new event now.
    pub fn new(ty: &'static str, data: Value) -> Self {
        Self {
            id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            ty,
            created_at: now_ms(),
            data,
        }
    }

    /// The delivered body: `{id, type, createdAt, data}`; link events also
    /// carry their fields at the top (`{event, linkId, status, result,
    /// error, timestamp}`).
    pub fn body(&self) -> Value {
        let mut body = json!({
            "id": self.id,
            "type": self.ty,
            "createdAt": rfc3339(self.created_at),
            "data": self.data,
        });
        if self.ty.starts_with("link.") {
            if let (Some(b), Some(d)) = (body.as_object_mut(), self.data.as_object()) {
                for (k, v) in d {
                    b.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
        }
        body
    }
}

/// Writes `event` and a pending delivery for every enabled endpoint that
/// subscribes to it (or only for `only`), inside the caller's transaction.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn emit(
    tx: &mut Transaction<'static, Any>,
    event: &Event,
    only: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    sqlx::query("INSERT INTO events (id, type, created_at, data) VALUES ($1, $2, $3, $4)")
        .bind(&event.id)
        .bind(event.ty)
        .bind(event.created_at)
        .bind(event.data.to_string())
        .execute(&mut **tx)
        .await?;
    let rows = sqlx::query("SELECT id, events FROM webhook_endpoints WHERE status = 'enabled'")
        .fetch_all(&mut **tx)
        .await?;
    let mut ids = Vec::new();
    for r in rows {
        let endpoint: String = r.try_get("id")?;
        let events: String = r.try_get("events")?;
        let wanted = match only {
            Some(o) => o == endpoint,
            None => events.split(',').any(|e| e == event.ty),
        };
        if wanted {
            ids.push(insert_delivery(tx, &endpoint, &event.id, event.created_at).await?);
        }
    }
    Ok(ids)
}

async fn insert_delivery(
    tx: &mut Transaction<'static, Any>,
    endpoint: &str,
    event: &str,
    now: i64,
) -> Result<String, StoreError> {
    let id = format!("dlv_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)",
    )
    .bind(&id)
    .bind(endpoint)
    .bind(event)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Queues a delivery of an already written event to one endpoint.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_delivery_for(
    tx: &mut Transaction<'static, Any>,
    endpoint: &str,
    event: &str,
    now: i64,
) -> Result<(), StoreError> {
    insert_delivery(tx, endpoint, event, now).await.map(|_| ())
}

/// Creates an endpoint (for `events`, which may be empty: then it receives
/// only deliveries addressed to it) and returns its id and secret.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_endpoint(
    tx: &mut Transaction<'static, Any>,
    url: &str,
    events: &[&str],
    description: Option<&str>,
) -> Result<(String, String), StoreError> {
    let mut raw = [0u8; 24];
    openssl::rand::rand_bytes(&mut raw)
        .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    );
    let id = format!("wh_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, url, events, description, secret, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'enabled', $6)",
    )
    .bind(&id)
    .bind(url)
    .bind(events.join(","))
    .bind(description.map(str::to_owned))
    .bind(&secret)
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok((id, secret))
}

/// Records an event with no other change (template events, test events).
///
/// # Errors
/// [`StoreError`].
pub async fn record(
    state: &AppState,
    event: &Event,
    only: Option<&str>,
) -> Result<Vec<String>, StoreError> {
    let mut tx = state.inner.store.pool().begin().await?;
    let ids = emit(&mut tx, event, only).await?;
    tx.commit().await?;
    state.inner.deliveries_due.notify_one();
    Ok(ids)
}

// ---- network guard ----

/// Whether `ip` is loopback, private, link-local or otherwise not public.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || o[0] == 0
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// A resolver that drops private addresses unless they are allowed, so a
/// public name cannot point a webhook into the service's own network.
struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| allow || !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves to no public address (private networks are not allowed)"
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Checks a webhook URL: http(s), a host, and (for IP literals and
/// `localhost`) not private unless allowed.
pub(crate) fn check_url(url: &str, allow_private: bool) -> Result<reqwest::Url, String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err("use an http:// or https:// URL".into());
    }
    let host = u.host_str().ok_or("the URL has no host")?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err("credentials in the URL are not allowed".into());
    }
    if !allow_private {
        let literal = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .ok();
        if literal.is_some_and(is_private) || host.eq_ignore_ascii_case("localhost") {
            return Err(
                "the URL points at a loopback or private address; webhooks go to public hosts"
                    .into(),
            );
        }
    }
    Ok(u)
}

/// The HTTP client of the delivery worker.
///
/// # Errors
/// When the TLS backend cannot start.
pub fn client(config: &WebhookConfig) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .connect_timeout(config.timeout)
        .user_agent(concat!("passforge-webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver {
            allow_private: config.allow_private_networks,
        }))
        .build()
}

// ---- signatures ----

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let key = openssl::pkey::PKey::hmac(key)?;
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key)?;
    for p in parts {
        signer.update(p)?;
    }
    signer.sign_to_vec()
}

/// The secret's key bytes (`whsec_<base64>`).
fn secret_key(secret: &str) -> Vec<u8> {
    let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_else(|_| b64.as_bytes().to_vec())
}

/// The signature headers of one delivery: `webhook-id`,
/// `webhook-timestamp`, `webhook-signature` (Standard Webhooks: `v1,`
/// base64 HMAC-SHA256 of `id.timestamp.body`) and `X-Passforge-Signature`
/// (`sha256=` hex HMAC-SHA256 of the body).
///
/// # Errors
/// When OpenSSL fails.
pub fn signature_headers(
    secret: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Vec<(&'static str, String)>, openssl::error::ErrorStack> {
    let key = secret_key(secret);
    let ts = timestamp.to_string();
    let standard = hmac_sha256(&key, &[msg_id.as_bytes(), b".", ts.as_bytes(), b".", body])?;
    let plain = hmac_sha256(&key, &[body])?;
    Ok(vec![
        ("webhook-id", msg_id.to_owned()),
        ("webhook-timestamp", ts),
        (
            "webhook-signature",
            format!(
                "v1,{}",
                base64::engine::general_purpose::STANDARD.encode(standard)
            ),
        ),
        ("x-passforge-signature", format!("sha256={}", hex(&plain))),
    ])
}

// ---- the worker ----

struct Claimed {
    id: String,
    endpoint_id: String,
    url: String,
    secret: String,
    endpoint_status: String,
    event: Event,
}

fn event_type(s: &str) -> &'static str {
    EVENT_TYPES
        .iter()
        .chain(std::iter::once(&TEST_EVENT))
        .find(|t| **t == s)
        .copied()
        .unwrap_or("unknown")
}

/// Reads a claimed delivery's event and endpoint; `None` when the
/// endpoint was deleted.
async fn load(state: &AppState, lease: &Lease) -> Result<Option<Claimed>, StoreError> {
    let row = sqlx::query(
        "SELECT d.id, d.endpoint_id, e.url, e.secret, e.status AS endpoint_status, \
         ev.id AS event_id, ev.type AS event_type, ev.created_at AS event_created_at, ev.data \
         FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         JOIN events ev ON ev.id = d.event_id WHERE d.id = $1 AND d.claimed_by = $2",
    )
    .bind(&lease.id)
    .bind(&lease.worker)
    .fetch_optional(state.inner.store.pool())
    .await?;
    row.as_ref().map(claimed).transpose()
}

fn claimed(r: &AnyRow) -> Result<Claimed, StoreError> {
    let ty: String = r.try_get("event_type")?;
    let data: String = r.try_get("data")?;
    Ok(Claimed {
        id: r.try_get("id")?,
        endpoint_id: r.try_get("endpoint_id")?,
        url: r.try_get("url")?,
        secret: r.try_get("secret")?,
        endpoint_status: r.try_get("endpoint_status")?,
        event: Event {
            id: r.try_get("event_id")?,
            ty: event_type(&ty),
            created_at: r.try_get("event_created_at")?,
            data: serde_json::from_str(&data)
                .map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?,
        },
    })
}

/// Posts one event to its endpoint.
async fn post(
    cfg: &WebhookConfig,
    client: &reqwest::Client,
    d: &Claimed,
    now: i64,
) -> Result<u16, String> {
    let body = d.event.body().to_string();
    check_url(&d.url, cfg.allow_private_networks)?;
    let headers = signature_headers(&d.secret, &d.event.id, now / 1000, body.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut req = client
        .post(&d.url)
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let res = req.body(body).send().await.map_err(|e| {
        let mut s = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(inner) = src {
            s.push_str(": ");
            s.push_str(&inner.to_string());
            src = inner.source();
        }
        s
    })?;
    Ok(res.status().as_u16())
}

/// Delivers one claimed delivery and settles it while the claim holds.
async fn deliver(state: &AppState, client: &reqwest::Client, lease: Lease) {
    let cfg = &state.inner.config.webhooks;
    let store = &state.inner.store;
    let now = now_ms();
    let d = match load(state, &lease).await {
        Ok(Some(d)) => d,
        Ok(None) => {
            // The endpoint was deleted: nothing to deliver to.
            let cancelled = Decision::Finish("cancelled").settlement(
                now,
                None,
                Some("endpoint deleted".into()),
            );
            if let Err(e) = store.settle(Queue::Deliveries, &lease, &cancelled).await {
                tracing::warn!(error = %e, delivery = %lease.id, "cannot record a webhook delivery");
            }
            return;
        }
        Err(e) => {
            // Left in flight: the claim runs out and the delivery is retried.
            tracing::warn!(error = %e, delivery = %lease.id, "cannot read a claimed webhook delivery");
            return;
        }
    };
    let (attempt, code, error, outcome_name) = if d.endpoint_status == "enabled" {
        match post(cfg, client, &d, now).await {
            Ok(c) if (200..300).contains(&c) => {
                (Attempt::Done("succeeded"), Some(c), None, "succeeded")
            }
            Ok(410) => (
                Attempt::Final,
                Some(410),
                Some("410 Gone: endpoint disabled".to_owned()),
                "gone",
            ),
            Ok(c) => (Attempt::Transient, Some(c), Some(format!("HTTP {c}")), ""),
            Err(e) => (Attempt::Transient, None, Some(e), ""),
        }
    } else {
        (
            Attempt::Done("cancelled"),
            None,
            Some("endpoint disabled".to_owned()),
            "cancelled",
        )
    };
    let policy = Policy {
        schedule: &cfg.retry_schedule,
        forever: false,
    };
    let decision = retry::decide(attempt, lease.attempts, policy, now, runner::jitter());
    let (outcome_name, error) = match decision {
        Decision::RetryAt(_) => ("retrying", error),
        Decision::GiveUp if attempt == Attempt::Transient => (
            "failed",
            error.map(|e| format!("{e}; gave up after {} attempts", lease.attempts)),
        ),
        _ => (outcome_name, error),
    };
    tracing::info!(delivery = %d.id, event = %d.event.id, attempt = lease.attempts, outcome = outcome_name, status_code = ?code, "webhook delivery");
    if outcome_name != "cancelled" {
        state.inner.metrics.webhook_delivery(outcome_name);
    }
    let settlement = decision.settlement(now, code, error);
    match store.settle(Queue::Deliveries, &lease, &settlement).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(delivery = %d.id, "a webhook delivery outlived its claim; another worker has it");
            return;
        }
        Err(e) => {
            tracing::warn!(error = %e, delivery = %d.id, "cannot record a webhook delivery");
            return;
        }
    }
    if code == Some(410) {
        if let Err(e) = disable(state, &d.endpoint_id, "the endpoint answered 410 Gone").await {
            tracing::warn!(error = %e, "cannot disable a webhook endpoint");
        }
    }
}

async fn disable(state: &AppState, endpoint: &str, reason: &str) -> Result<(), StoreError> {
    let mut tx = state.inner.store.pool().begin().await?;
    sqlx::query(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $1 WHERE id = $2",
    )
    .bind(reason)
    .bind(endpoint)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'cancelled', last_error = $1, updated_at = $2 \
         WHERE endpoint_id = $3 AND status = 'pending'",
    )
    .bind(reason)
    .bind(now_ms())
    .bind(endpoint)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::warn!(endpoint, reason, "webhook endpoint disabled");
    Ok(())
}

/// The webhook queue's handler.
struct Deliveries {
    state: AppState,
    client: reqwest::Client,
}

impl Handler for Deliveries {
    type Item = DeliveryItem;

    fn settings(&self) -> Settings {
        Settings {
            name: "webhooks",
            lease: LEASE,
            capacity: CONCURRENCY,
            in_order: false,
            poll: self.state.inner.config.webhooks.poll_interval,
        }
    }

    fn store(&self) -> &super::Store {
        &self.state.inner.store
    }

    fn due(&self) -> &tokio::sync::Notify {
        &self.state.inner.deliveries_due
    }

    async fn run(self: Arc<Self>, claimed: DbClaimed<DeliveryItem>) {
        deliver(&self.state, &self.client, claimed.lease).await;
    }
}

/// Runs the delivery worker until `stop` turns true; deliveries in flight
/// finish first.
pub async fn run_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    let client = match client(&state.inner.config.webhooks) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker cannot start its HTTP client");
            return;
        }
    };
    let handler = Arc::new(Deliveries { state, client });
    runner::run(handler, runner::worker_name("worker"), stop).await;
}

// ---- API ----

fn endpoint_json(r: &AnyRow) -> Result<Value, StoreError> {
    let events: String = r.try_get("events")?;
    let created: i64 = r.try_get("created_at")?;
    Ok(json!({
        "id": r.try_get::<String, _>("id")?,
        "object": "webhook",
        "url": r.try_get::<String, _>("url")?,
        "events": events.split(',').filter(|e| !e.is_empty()).collect::<Vec<_>>(),
        "description": r.try_get::<Option<String>, _>("description")?,
        "status": r.try_get::<String, _>("status")?,
        "disabledReason": r.try_get::<Option<String>, _>("disabled_reason")?,
        "createdAt": rfc3339(created),
    }))
}

const ENDPOINT_COLUMNS: &str = "id, url, events, description, status, disabled_reason, created_at";

/// `POST /v1/webhooks`
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Body(body): Body,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let mut errors = Vec::new();
    let p = |pointer: &str, detail: String| FieldProblem {
        pointer: pointer.into(),
        detail,
    };
    let obj = body.as_object().cloned().unwrap_or_default();
    for k in obj.keys() {
        if !["url", "events", "description"].contains(&k.as_str()) {
            errors.push(p(
                &format!("/{k}"),
                "unknown member; allowed: url, events, description".into(),
            ));
        }
    }
    let url = match obj.get("url").and_then(Value::as_str) {
        Some(u) => match check_url(u, state.inner.config.webhooks.allow_private_networks) {
            Ok(u) => Some(u.to_string()),
            Err(e) => {
                errors.push(p("/url", e));
                None
            }
        },
        None => {
            errors.push(p(
                "/url",
                "required: the https URL to POST events to".into(),
            ));
            None
        }
    };
    let mut events = Vec::new();
    match obj.get("events").and_then(Value::as_array) {
        Some(list) if !list.is_empty() => {
            for (i, e) in list.iter().enumerate() {
                match e.as_str().filter(|e| EVENT_TYPES.contains(e)) {
                    Some(e) => events.push(e.to_owned()),
                    None => errors.push(p(
                        &format!("/events/{i}"),
                        format!("unknown event {e}; known: {}", EVENT_TYPES.join(", ")),
                    )),
                }
            }
        }
        _ => errors.push(p(
            "/events",
            format!("required: a non-empty list of {}", EVENT_TYPES.join(", ")),
        )),
    }
    let description = match obj.get("description") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(p("/description", "expected a string".into()));
            None
        }
    };
    let (Some(url), true) = (url, errors.is_empty()) else {
        return Err(ApiError::invalid(
            format!("the webhook has {} problem(s); see errors", errors.len()),
            errors,
        ));
    };
    events.sort();
    events.dedup();
    let mut raw = [0u8; 24];
    openssl::rand::rand_bytes(&mut raw).map_err(|e| ApiError::internal(&e))?;
    let secret = format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    );
    let id = format!("wh_{}", uuid::Uuid::now_v7().simple());
    let now = now_ms();
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, url, events, description, secret, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'enabled', $6)",
    )
    .bind(&id)
    .bind(&url)
    .bind(events.join(","))
    .bind(description.clone())
    .bind(&secret)
    .bind(now)
    .execute(state.inner.store.pool())
    .await
    .map_err(|e| ApiError::from(StoreError::from(e)))?;
    tracing::info!(webhook = %id, "webhook endpoint created");
    let v = json!({
        "id": id, "object": "webhook", "url": url, "events": events, "description": description,
        "status": "enabled", "disabledReason": null, "createdAt": rfc3339(now),
        "secret": secret,
    });
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn endpoint(state: &AppState, id: &str) -> Result<Value, ApiError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(state.inner.store.pool())
    .await
    .map_err(StoreError::from)?;
    let row = row.ok_or_else(|| ApiError::not_found("webhook", id))?;
    Ok(endpoint_json(&row)?)
}

/// `GET /v1/webhooks`
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Admin)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
    )))
    .fetch_all(state.inner.store.pool())
    .await
    .map_err(StoreError::from)?;
    let data = rows
        .iter()
        .map(endpoint_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "data": data })))
}

/// `GET /v1/webhooks/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(endpoint(&state, &id).await?))
}

/// `DELETE /v1/webhooks/{id}`: the endpoint and its deliveries.
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Admin)?;
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(StoreError::from)?;
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found("webhook", &id));
    }
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'delivering'")
        .bind(&id)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

fn delivery_json(r: &AnyRow) -> Result<Value, StoreError> {
    let status: String = r.try_get("status")?;
    let next: i64 = r.try_get("next_attempt_at")?;
    Ok(json!({
        "id": r.try_get::<String, _>("id")?,
        "eventId": r.try_get::<String, _>("event_id")?,
        "eventType": r.try_get::<String, _>("event_type")?,
        "status": status,
        "attempts": r.try_get::<i64, _>("attempts")?,
        "lastStatusCode": r.try_get::<Option<i64>, _>("last_status_code")?,
        "lastError": r.try_get::<Option<String>, _>("last_error")?,
        "nextAttemptAt": if status == "pending" { Value::from(rfc3339(next)) } else { Value::Null },
        "createdAt": rfc3339(r.try_get::<i64, _>("created_at")?),
        "updatedAt": rfc3339(r.try_get::<i64, _>("updated_at")?),
    }))
}

/// Query of the deliveries list.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DeliveriesQuery {
    limit: Option<u32>,
    starting_after: Option<String>,
}

/// `GET /v1/webhooks/{id}/deliveries`: oldest first, with a cursor.
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
    query: Result<Query<DeliveriesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Admin)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    endpoint(&state, &id).await?;
    let limit = q.limit.unwrap_or(20).clamp(1, 100);
    let rows = sqlx::query(
        "SELECT d.id, d.event_id, ev.type AS event_type, d.status, d.attempts, d.last_status_code, \
         d.last_error, d.next_attempt_at, d.created_at, d.updated_at FROM webhook_deliveries d \
         JOIN events ev ON ev.id = d.event_id WHERE d.endpoint_id = $1 AND d.id > $2 \
         ORDER BY d.id LIMIT $3",
    )
    .bind(&id)
    .bind(q.starting_after.unwrap_or_default())
    .bind(i64::from(limit) + 1)
    .fetch_all(state.inner.store.pool())
    .await
    .map_err(StoreError::from)?;
    let has_more = rows.len() > limit as usize;
    let data = rows
        .iter()
        .take(limit as usize)
        .map(delivery_json)
        .collect::<Result<Vec<_>, _>>()?;
    let next = if has_more {
        data.last()
            .and_then(|d| d["id"].as_str())
            .map(str::to_owned)
    } else {
        None
    };
    Ok(Json(
        json!({"data": data, "hasMore": has_more, "nextStartingAfter": next}),
    ))
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery}/redeliver`: a new delivery
/// of the same event to the same endpoint, due now.
pub(crate) async fn redeliver(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath((id, delivery)): UrlPath<(String, String)>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let row =
        sqlx::query("SELECT event_id FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2")
            .bind(&delivery)
            .bind(&id)
            .fetch_optional(state.inner.store.pool())
            .await
            .map_err(StoreError::from)?
            .ok_or_else(|| ApiError::not_found("delivery", &delivery))?;
    let event: String = row.try_get("event_id").map_err(StoreError::from)?;
    let ep = endpoint(&state, &id).await?;
    if ep["status"] != "enabled" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "webhook_disabled",
            "the endpoint is disabled; create a new one to receive events again",
        ));
    }
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(StoreError::from)?;
    let new = insert_delivery(&mut tx, &id, &event, now_ms()).await?;
    tx.commit().await.map_err(StoreError::from)?;
    state.inner.deliveries_due.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"id": new, "eventId": event, "status": "pending"})),
    )
        .into_response())
}

/// `POST /v1/webhooks/{id}/test`: a `webhook.test` event to this endpoint.
pub(crate) async fn test(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let ep = endpoint(&state, &id).await?;
    if ep["status"] != "enabled" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "webhook_disabled",
            "the endpoint is disabled",
        ));
    }
    let event = Event::new(TEST_EVENT, json!({"webhookId": id}));
    let ids = record(&state, &event, Some(&id)).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({"eventId": event.id, "deliveryId": ids.first()})),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognized() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["8.8.8.8", "2001:4860:4860::8888", "172.32.0.1"] {
            assert!(!is_private(ip.parse().expect("ip")), "{ip}");
        }
        assert!(check_url("http://127.0.0.1:9/x", false).is_err());
        assert!(check_url("http://[::1]/x", false).is_err());
        assert!(check_url("http://localhost/x", false).is_err());
        assert!(check_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("https://user:pw@example.com/", true).is_err());
        assert!(check_url("https://hooks.example.com/passforge", false).is_ok());
    }

    #[test]
    fn standard_webhooks_signature_matches_the_spec_example() {
        // The example of the Standard Webhooks specification.
        let h = signature_headers(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        )
        .expect("sign");
        assert_eq!(h[2].1, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
