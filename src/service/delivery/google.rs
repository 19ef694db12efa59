//! Google Wallet updates through the Wallet Objects REST API.
//!
//! A pass change queues a `patch` (the object as mapped now; `state:
//! INACTIVE` when voided) and a push message queues a `message`
//! (`addMessage`), in the transaction of the change, claimed by a worker
//! like pushes. Access tokens come from the OAuth2 JWT-bearer grant and are
//! cached until a minute before they expire. A 404 means the object was
//! never saved to a wallet: nothing to update (a later save link carries
//! the latest version).

use std::time::Duration;

use serde_json::Value;

use crate::issue::{Issuer, Stamp};
use crate::service::clock::now_ms;
use crate::service::db::{Claimed, GoogleItem, Lease, PassRecord, PassStatus, Queue, StoreError};
use crate::service::outbox::retry::{self, Attempt, Policy};
use crate::service::outbox::runner::{self, Handler, Settings};
use crate::service::state::AppState;

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
    let issuer = Issuer::new(&template, &cfg.identity)
        .apple(false)
        .google(cfg.google.as_ref());
    let mut overrides = pass.overrides.clone();
    overrides.voided = pass.status == PassStatus::Voided;
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
            lease: Duration::from_secs(10),
            capacity: 100,
            in_order: true,
            poll: self.state.inner.config.google_api.poll_interval,
        }
    }

    fn store(&self) -> &crate::service::db::Store {
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
pub(crate) async fn run_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
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

/// Inserts the classes and objects of `mapped` over REST (each class once;
/// one that exists already, 409, is fine), so a save link can name them
/// without carrying them: for multi-pass links whose full JWT would pass
/// Google's link budget.
///
/// # Errors
/// A sentence for the log when the token or an insert fails.
pub(crate) async fn insert(
    state: &AppState,
    mapped: &[crate::google::GooglePass],
) -> Result<(), String> {
    let cfg = &state.inner.config.google_api;
    let http = reqwest::Client::builder()
        .timeout(cfg.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let token = Token {
        current: tokio::sync::Mutex::new(None),
    };
    let access = token.get(state, &http).await?;
    let base = cfg.base_url.trim_end_matches('/');
    let mut classes = std::collections::BTreeSet::new();
    for p in mapped {
        let ty = p.google_type.name();
        let mut bodies = Vec::with_capacity(2);
        if classes.insert(p.class_id.clone()) {
            bodies.push((format!("{base}/walletobjects/v1/{ty}Class"), &p.class));
        }
        bodies.push((format!("{base}/walletobjects/v1/{ty}Object"), &p.object));
        for (url, body) in bodies {
            let res = http
                .post(&url)
                .json_body(body)
                .bearer_auth(&access)
                .send()
                .await
                .map_err(|e| format!("Google insert failed: {e}"))?;
            let code = res.status().as_u16();
            if !(200..300).contains(&code) && code != 409 {
                let text: String = res
                    .text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect();
                return Err(format!("Google answered {code} to an insert: {text}"));
            }
        }
    }
    Ok(())
}
