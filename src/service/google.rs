//! Google Wallet updates through the Wallet Objects REST API.
//!
//! A pass change queues a `patch` (the object as mapped now; `state:
//! INACTIVE` when voided) and a push message queues a `message`
//! (`addMessage`), in the transaction of the change, claimed by a worker
//! like pushes. Access tokens come from the OAuth2 JWT-bearer grant and are
//! cached until a minute before they expire. Google lets a pass notify at
//! most 3 times per 24 hours: a 4th message is still added, as
//! `TEXT` (shown on the pass, no notification), and the API answer says so.
//! A 404 means the object was never saved to a wallet: nothing to update
//! (a later save link carries the latest version).

use std::time::Duration;

use serde_json::{json, Value};
use sqlx::{Any, Row as _, Transaction};

use super::db::{now_ms, Claimed, GoogleItem, Lease, PassRecord, Queue, StoreError};
use super::outbox::retry::{self, Attempt, Policy};
use super::outbox::runner::{self, Handler, Settings};
use super::AppState;
use crate::issue::{Issuer, Stamp};

/// Notifying messages Google allows per pass per 24 hours.
pub const NOTIFY_LIMIT_PER_DAY: i64 = 3;

/// REST settings.
#[derive(Debug, Clone)]
pub struct GoogleApiConfig {
    /// Whether this instance sends Google updates (see `ApnsConfig::enabled`).
    pub enabled: bool,
    /// `https://walletobjects.googleapis.com` in production.
    pub base_url: String,
    /// `https://oauth2.googleapis.com/token` in production.
    pub token_url: String,
    /// Waits before each retry of a 429/5xx; attempts = 1 + its length.
    pub retry_schedule: Vec<Duration>,
    /// How often the worker looks for due updates when not woken.
    pub poll_interval: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl Default for GoogleApiConfig {
    fn default() -> Self {
        let secs = [2, 10, 60, 300, 1800, 3600];
        Self {
            enabled: true,
            base_url: "https://walletobjects.googleapis.com".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            retry_schedule: secs.iter().map(|s| Duration::from_secs(*s)).collect(),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// What a change asks of Google.
#[derive(Debug, Clone, Default)]
pub struct GoogleWork {
    /// A message to add (`addMessage`), besides the object PATCH.
    pub message: Option<String>,
}

/// How many notifying messages this pass sent or queued in the last 24 hours.
///
/// # Errors
/// [`StoreError`].
pub async fn notifying_messages_today(state: &AppState, pass_id: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM google_updates WHERE pass_id = $1 AND kind = 'message' \
         AND status <> 'failed' AND created_at > $2 AND payload LIKE '%TEXT_AND_NOTIFY%'",
    )
    .bind(pass_id)
    .bind(now_ms() - 24 * 3600 * 1000)
    .fetch_one(state.inner.store.pool())
    .await?;
    Ok(row.try_get("n")?)
}

async fn insert(
    tx: &mut Transaction<'static, Any>,
    pass_id: &str,
    kind: &str,
    payload: &Value,
) -> Result<(), StoreError> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO google_updates (id, pass_id, kind, payload, status, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
    )
    .bind(format!("gup_{}", uuid::Uuid::now_v7().simple()))
    .bind(pass_id)
    .bind(kind)
    .bind(payload.to_string())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues a PATCH of the pass's object (unless one is pending: it sends the
/// latest version anyway) and, with `work.message`, an `addMessage`
/// (notifying unless the pass reached Google's daily limit).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    pass_id: &str,
    work: &GoogleWork,
) -> Result<(), StoreError> {
    let pending = sqlx::query(
        "SELECT COUNT(*) AS n FROM google_updates WHERE pass_id = $1 AND kind = 'patch' AND status = 'pending'",
    )
    .bind(pass_id)
    .fetch_one(&mut **tx)
    .await?;
    if pending.try_get::<i64, _>("n")? == 0 {
        insert(tx, pass_id, "patch", &json!({})).await?;
    }
    if let Some(msg) = &work.message {
        let today = sqlx::query(
            "SELECT COUNT(*) AS n FROM google_updates WHERE pass_id = $1 AND kind = 'message' \
             AND status <> 'failed' AND created_at > $2 AND payload LIKE '%TEXT_AND_NOTIFY%'",
        )
        .bind(pass_id)
        .bind(now_ms() - 24 * 3600 * 1000)
        .fetch_one(&mut **tx)
        .await?
        .try_get::<i64, _>("n")?;
        let kind = if today < NOTIFY_LIMIT_PER_DAY {
            "TEXT_AND_NOTIFY"
        } else {
            "TEXT"
        };
        insert(
            tx,
            pass_id,
            "message",
            &json!({"message": {
                "header": "Update",
                "body": msg,
                "id": uuid::Uuid::new_v4().simple().to_string(),
                "messageType": kind,
            }}),
        )
        .await?;
    }
    Ok(())
}

/// The cached access token.
struct Token {
    current: tokio::sync::Mutex<Option<(String, i64)>>,
}

impl Token {
    async fn get(&self, state: &AppState, http: &reqwest::Client) -> Result<String, String> {
        let mut cur = self.current.lock().await;
        let now = chrono::Utc::now().timestamp();
        if let Some((t, expires)) = cur.as_ref() {
            if now < expires - 60 {
                return Ok(t.clone());
            }
        }
        let cfg = &state.inner.config;
        let google = cfg
            .google
            .as_ref()
            .ok_or("Google Wallet is not configured")?;
        let assertion =
            crate::google::token_assertion(google, &cfg.google_api.token_url, chrono::Utc::now())
                .map_err(|e| e.to_string())?;
        let body = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        );
        let res = http
            .post(&cfg.google_api.token_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("token request failed: {e}"))?;
        let status = res.status();
        let v: Value =
            serde_json::from_slice(&res.bytes().await.unwrap_or_default()).unwrap_or_default();
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the token endpoint answered {status}: {v}"))?
            .to_owned();
        let expires = now + v.get("expires_in").and_then(Value::as_i64).unwrap_or(3600);
        *cur = Some((token.clone(), expires));
        Ok(token)
    }

    async fn forget(&self) {
        *self.current.lock().await = None;
    }
}

/// The object's REST path and body for a pass's current version.
fn object_request(state: &AppState, pass: &PassRecord) -> Result<(String, Value), String> {
    let cfg = &state.inner.config;
    let template = state
        .inner
        .templates
        .live(&pass.template_id)
        .map_err(|e| e.detail)?;
    let signing_time =
        chrono::DateTime::from_timestamp(pass.updated_at.div_euclid(1000), 0).unwrap_or_default();
    let stamp = Stamp::new(&pass.serial_number, &pass.auth_token, signing_time)
        .map_err(|e| e.to_string())?;
    let issuer = Issuer {
        template: &template,
        identity: &cfg.identity,
        web_service_url: None,
        apple: false,
        google: cfg.google.as_ref(),
        google_skinny: false,
    };
    let mut overrides = pass.overrides.clone();
    overrides.voided = pass.status == super::db::PassStatus::Voided;
    overrides.message = None;
    let mapped = issuer
        .google_pass(&pass.custom_fields, &stamp, &overrides)
        .map_err(|e| e.to_string())?;
    let mut object = mapped.object;
    if overrides.voided {
        object["state"] = "INACTIVE".into();
    }
    let path = format!(
        "/walletobjects/v1/{}Object/{}",
        mapped.google_type.name(),
        mapped.object_id
    );
    Ok((path, object))
}

async fn process(
    state: &AppState,
    http: &reqwest::Client,
    token: &Token,
    u: &GoogleItem,
) -> (Option<u16>, Result<(), String>) {
    let pass = match state.inner.store.pass(&u.pass_id).await {
        Ok(Some(p)) => p,
        Ok(None) => return (None, Ok(())),
        Err(e) => return (None, Err(e.to_string())),
    };
    let (path, object) = match object_request(state, &pass) {
        Ok(x) => x,
        Err(e) => return (None, Err(e)),
    };
    let base = state.inner.config.google_api.base_url.trim_end_matches('/');
    let access = match token.get(state, http).await {
        Ok(t) => t,
        Err(e) => return (None, Err(e)),
    };
    let req = if u.kind == "message" {
        let payload: Value = match serde_json::from_str(&u.payload) {
            Ok(v) => v,
            Err(e) => return (None, Err(format!("stored message is damaged: {e}"))),
        };
        http.post(format!("{base}{path}/addMessage"))
            .json_body(&payload)
    } else {
        http.patch(format!("{base}{path}")).json_body(&object)
    };
    match req.bearer_auth(&access).send().await {
        Ok(res) => {
            let code = res.status().as_u16();
            if code == 401 {
                token.forget().await;
            }
            let text = res.text().await.unwrap_or_default();
            if (200..300).contains(&code) {
                (Some(code), Ok(()))
            } else {
                (Some(code), Err(text.chars().take(500).collect()))
            }
        }
        Err(e) => (None, Err(e.to_string())),
    }
}

trait JsonBody {
    fn json_body(self, v: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, v: &Value) -> Self {
        self.header("content-type", "application/json")
            .body(v.to_string())
    }
}

/// Settles one update while its claim holds.
async fn settle(
    state: &AppState,
    lease: &Lease,
    u: &GoogleItem,
    code: Option<u16>,
    outcome: Result<(), String>,
) -> Result<(), StoreError> {
    let cfg = &state.inner.config.google_api;
    let now = now_ms();
    let retryable = code.is_none_or(|c| c == 401 || c == 429 || c >= 500);
    let (attempt, error) = match (outcome, code) {
        (Ok(()), _) => (Attempt::Done("sent"), None),
        // Never saved to a wallet: nothing to update.
        (Err(_), Some(404)) => (Attempt::Done("not_saved"), None),
        (Err(e), _) if retryable => (Attempt::Transient, Some(e)),
        (Err(e), _) => (Attempt::Final, Some(e)),
    };
    let policy = Policy {
        schedule: &cfg.retry_schedule,
        forever: false,
    };
    let settlement =
        retry::decide(attempt, lease.attempts, policy, now, 1.0).settlement(now, code, error);
    tracing::info!(update = %lease.id, pass = %u.pass_id, kind = %u.kind, status_code = ?code, status = settlement.status, "Google Wallet update");
    if !state
        .inner
        .store
        .settle(Queue::GoogleUpdates, lease, &settlement)
        .await?
    {
        tracing::warn!(update = %lease.id, "a Google update outlived its claim; another worker has it");
    }
    Ok(())
}

/// The Google update queue's handler: one update at a time, in the order
/// they were queued (a pass's PATCH before its message).
struct Updates {
    state: AppState,
    http: reqwest::Client,
    token: Token,
}

impl Handler for Updates {
    type Item = GoogleItem;

    fn settings(&self) -> Settings {
        Settings {
            name: "google",
            lease: Duration::from_secs(60),
            capacity: 100,
            in_order: true,
            poll: self.state.inner.config.google_api.poll_interval,
        }
    }

    fn store(&self) -> &super::Store {
        &self.state.inner.store
    }

    fn due(&self) -> &tokio::sync::Notify {
        &self.state.inner.google_due
    }

    async fn run(self: std::sync::Arc<Self>, claimed: Claimed<GoogleItem>) {
        let (code, outcome) = process(&self.state, &self.http, &self.token, &claimed.item).await;
        if let Err(e) = settle(&self.state, &claimed.lease, &claimed.item, code, outcome).await {
            tracing::warn!(error = %e, "cannot record a Google update");
        }
    }
}

/// Runs the Google update worker until `stop` turns true (only when Google
/// is configured).
pub async fn run_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    if state.inner.config.google.is_none() || !state.inner.config.google_api.enabled {
        return;
    }
    let http = match reqwest::Client::builder()
        .timeout(state.inner.config.google_api.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the Google updater cannot start");
            return;
        }
    };
    let token = Token {
        current: tokio::sync::Mutex::new(None),
    };
    let handler = std::sync::Arc::new(Updates { state, http, token });
    runner::run(handler, runner::worker_name("google"), stop).await;
}
