//! APNs: the push queue and its sender.
//!
//! A pass change enqueues one push per distinct push token of the pass's
//! active Apple connections, in the transaction of the change (a token
//! with a push still pending is not queued twice: one push fetches the
//! latest version). A worker in every instance claims due pushes (a lease,
//! like webhook deliveries) and sends them over HTTP/2 with the Pass Type ID
//! certificate as TLS client certificate, `apns-topic` = the pass type
//! identifier and the body `{}`. reqwest keeps one connection per host and
//! multiplexes the pushes as concurrent streams on it.
//!
//! Outcomes: 200 sent; 410 (Unregistered, ExpiredToken) and 400
//! BadDeviceToken / DeviceTokenNotForTopic remove the token's connections
//! (`connection.deleted`); 429, 500 and 503 are retried with backoff; any
//! other answer fails the push. Every attempt is recorded with APNs' reason
//! verbatim, known to this code or not.

use std::time::Duration;

use sqlx::{Any, Row as _, Transaction};

use super::db::{self, now_ms, Claimed, Lease, PushItem, Queue, StoreError};
use super::outbox::retry::{self, Attempt, Decision, Policy};
use super::outbox::runner::{self, Handler, Settings};
use super::AppState;

/// How the sender authenticates to APNs.
#[derive(Clone, Default)]
pub enum ApnsAuth {
    /// TLS client certificate: the Pass Type ID certificate that signs passes.
    #[default]
    Certificate,
    /// Provider token: an ES256 JWT signed with a `.p8` key, renewed before
    /// it is 50 minutes old.
    Token {
        /// The key's id (10 characters, from the developer portal).
        key_id: String,
        /// The team id (`iss`).
        team_id: String,
        /// The `.p8` file's PEM (PKCS#8 P-256 private key). Secret.
        key_pem: Vec<u8>,
    },
}

impl std::fmt::Debug for ApnsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Certificate => f.write_str("Certificate"),
            Self::Token {
                key_id, team_id, ..
            } => f
                .debug_struct("Token")
                .field("key_id", key_id)
                .field("team_id", team_id)
                .finish_non_exhaustive(),
        }
    }
}

/// A provider token renewed before APNs' one-hour limit (and not more often
/// than every 20 minutes, which APNs refuses).
struct ProviderToken {
    encoding: jsonwebtoken::EncodingKey,
    key_id: String,
    team_id: String,
    current: std::sync::Mutex<Option<(String, i64)>>,
}

/// Age at which a provider token is replaced.
const TOKEN_RENEW_SECS: i64 = 50 * 60;

impl ProviderToken {
    fn new(key_id: &str, team_id: &str, pem: &[u8]) -> Result<Self, String> {
        Ok(Self {
            encoding: jsonwebtoken::EncodingKey::from_ec_pem(pem)
                .map_err(|e| format!("the APNs key is not a P-256 .p8 key: {e}"))?,
            key_id: key_id.to_owned(),
            team_id: team_id.to_owned(),
            current: std::sync::Mutex::new(None),
        })
    }

    fn bearer(&self) -> Result<String, String> {
        let now = chrono::Utc::now().timestamp();
        let mut cur = self
            .current
            .lock()
            .map_err(|_| "token lock poisoned".to_owned())?;
        if let Some((jwt, iat)) = cur.as_ref() {
            if now - iat < TOKEN_RENEW_SECS {
                return Ok(format!("bearer {jwt}"));
            }
        }
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let jwt = jsonwebtoken::encode(
            &header,
            &serde_json::json!({"iss": self.team_id, "iat": now}),
            &self.encoding,
        )
        .map_err(|e| format!("cannot sign the APNs provider token: {e}"))?;
        *cur = Some((jwt.clone(), now));
        Ok(format!("bearer {jwt}"))
    }
}

/// Push settings.
#[derive(Debug, Clone)]
pub struct ApnsConfig {
    /// Whether this instance sends pushes (instances sharing a database
    /// must share this configuration; one may also leave sending to others).
    pub enabled: bool,
    /// Base URL: `https://api.push.apple.com` in production.
    pub base_url: String,
    /// Certificate or provider-token authentication.
    pub auth: ApnsAuth,
    /// Trusted roots (PEM) instead of the system's, e.g. a test CA.
    pub ca_pem: Option<Vec<u8>>,
    /// Waits before each retry of a 429/500/503; attempts = 1 + its length.
    pub retry_schedule: Vec<Duration>,
    /// How often the worker looks for due pushes when not woken.
    pub poll_interval: Duration,
    /// Timeout of one push.
    pub timeout: Duration,
}

impl Default for ApnsConfig {
    fn default() -> Self {
        let secs = [1, 5, 30, 120, 600, 1800, 3600];
        Self {
            enabled: true,
            base_url: "https://api.push.apple.com".into(),
            auth: ApnsAuth::Certificate,
            ca_pem: None,
            retry_schedule: secs.iter().map(|s| Duration::from_secs(*s)).collect(),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// How long a claimed push belongs to its instance.
const LEASE: Duration = Duration::from_secs(60);

/// Pushes in flight at once in one instance (HTTP/2 streams over one or
/// two connections).
const CONCURRENCY: usize = 500;

/// Queues pushes for a changed pass inside the caller's transaction.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    pass_id: &str,
    topic: &str,
) -> Result<usize, StoreError> {
    let now = now_ms();
    let rows = sqlx::query(
        "SELECT DISTINCT push_token FROM connections WHERE pass_id = $1 AND platform = 'apple' \
         AND state <> 'removed' AND push_token NOT IN \
         (SELECT push_token FROM pushes WHERE pass_id = $1 AND status = 'pending')",
    )
    .bind(pass_id)
    .fetch_all(&mut **tx)
    .await?;
    for r in &rows {
        let token: String = r.try_get("push_token")?;
        sqlx::query(
            "INSERT INTO pushes (id, pass_id, push_token, topic, status, attempts, next_attempt_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
        )
        .bind(format!("psh_{}", uuid::Uuid::now_v7().simple()))
        .bind(pass_id)
        .bind(token)
        .bind(topic)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(rows.len())
}

/// A template changed: every pass issued from it gets a new version (its
/// content changed with the template) and pushes, in one transaction.
///
/// # Errors
/// [`StoreError`].
pub async fn template_changed(state: &AppState, template_id: &str) -> Result<usize, StoreError> {
    let topic = state
        .inner
        .config
        .identity
        .pass_type_id()
        .as_str()
        .to_owned();
    let mut tx = state.inner.store.pool().begin().await?;
    let rows = sqlx::query(
        "UPDATE passes SET version = version + 1, \
         updated_at = CASE WHEN updated_at + 1000 > $1 THEN updated_at + 1000 ELSE $1 END \
         WHERE template_id = $2 RETURNING id",
    )
    .bind(now_ms())
    .bind(template_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut pushes = 0;
    for r in &rows {
        let id: String = r.try_get("id")?;
        pushes += enqueue(&mut tx, &id, &topic).await?;
        if state.inner.config.google.is_some() {
            super::google::enqueue(&mut tx, &id, &super::google::GoogleWork::default()).await?;
        }
    }
    tx.commit().await?;
    if pushes > 0 {
        state.inner.pushes_due.notify_one();
    }
    state.inner.google_due.notify_one();
    tracing::info!(
        template = template_id,
        passes = rows.len(),
        pushes,
        "template change reaches issued passes"
    );
    Ok(rows.len())
}

/// The HTTP/2 client: the signing identity as client certificate, the
/// configured roots, keep-alive pings, no redirects.
///
/// # Errors
/// When the identity or the roots cannot be loaded.
pub fn client(state: &AppState) -> Result<reqwest::Client, String> {
    let cfg = &state.inner.config;
    let mut b = reqwest::Client::builder();
    if matches!(cfg.apns.auth, ApnsAuth::Certificate) {
        let key = cfg
            .identity
            .private_key_pkcs8_pem()
            .map_err(|e| e.to_string())?;
        let identity = reqwest::Identity::from_pkcs8_pem(cfg.identity.chain_pem(), &key)
            .map_err(|e| format!("the pass certificate cannot be a TLS client identity: {e}"))?;
        b = b.identity(identity);
    }
    let mut b = b
        .redirect(reqwest::redirect::Policy::none())
        .timeout(cfg.apns.timeout)
        .tcp_nodelay(true)
        // APNs speaks only HTTP/2: knowing it before connecting lets
        // concurrent pushes wait for the one connection being opened
        // instead of each opening its own.
        .http2_prior_knowledge()
        .http2_keep_alive_interval(Duration::from_secs(60))
        .http2_keep_alive_while_idle(true)
        .pool_max_idle_per_host(2)
        .user_agent(concat!("passforge/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &cfg.apns.ca_pem {
        let roots = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| format!("the APNs CA file is not PEM: {e}"))?;
        b = b.tls_certs_only(roots);
    }
    b.build().map_err(|e| e.to_string())
}

/// What APNs answered.
struct Answer {
    status: Option<u16>,
    reason: Option<String>,
    apns_id: Option<String>,
}

async fn send(
    client: &reqwest::Client,
    base: &str,
    token: Option<&ProviderToken>,
    p: &PushItem,
) -> Answer {
    let url = format!("{}/3/device/{}", base.trim_end_matches('/'), p.token);
    let mut req = client
        .post(&url)
        .header("apns-topic", &p.topic)
        .header("content-type", "application/json")
        .body("{}");
    if let Some(t) = token {
        match t.bearer() {
            Ok(b) => req = req.header("authorization", b),
            Err(e) => {
                return Answer {
                    status: None,
                    reason: Some(e),
                    apns_id: None,
                }
            }
        }
    }
    let res = req.send().await;
    match res {
        Ok(res) => {
            let status = res.status().as_u16();
            let apns_id = res
                .headers()
                .get("apns-id")
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned);
            let body = res.bytes().await.unwrap_or_default();
            let reason = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned));
            Answer {
                status: Some(status),
                reason,
                apns_id,
            }
        }
        Err(e) => {
            let mut s = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(inner) = src {
                s.push_str(": ");
                s.push_str(&inner.to_string());
                src = inner.source();
            }
            Answer {
                status: None,
                reason: Some(s),
                apns_id: None,
            }
        }
    }
}

/// Whether the answer means the token is dead.
fn token_is_dead(status: Option<u16>, reason: Option<&str>) -> bool {
    status == Some(410)
        || (status == Some(400)
            && matches!(reason, Some("BadDeviceToken" | "DeviceTokenNotForTopic")))
}

/// Settles one push while its claim holds: the attempt's row, the push's
/// state and its connection's health in one transaction; a dead token's
/// connections are removed after.
async fn settle(
    state: &AppState,
    lease: &Lease,
    p: &PushItem,
    a: &Answer,
) -> Result<(), StoreError> {
    let cfg = &state.inner.config.apns;
    let now = now_ms();
    let dead = token_is_dead(a.status, a.reason.as_deref());
    let attempt = match a.status {
        Some(200) => Attempt::Done("sent"),
        _ if dead => Attempt::Final,
        None | Some(429 | 500 | 503) => Attempt::Transient,
        _ => Attempt::Final,
    };
    let policy = Policy {
        schedule: &cfg.retry_schedule,
        forever: false,
    };
    let decision = retry::decide(attempt, lease.attempts, policy, now, 1.0);
    let outcome = match decision {
        Decision::Finish(_) => "sent",
        Decision::RetryAt(_) => "retrying",
        Decision::GiveUp if dead => "token_removed",
        Decision::GiveUp => "failed",
    };
    let mut tx = state.inner.store.pool().begin().await?;
    let settlement = decision.settlement(now, a.status, a.reason.clone());
    if !db::settle(&mut tx, Queue::Pushes, lease, &settlement).await? {
        tracing::warn!(push = %lease.id, "a push outlived its claim; another worker has it");
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO push_attempts (push_id, attempt, status_code, reason, apns_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&lease.id)
    .bind(lease.attempts)
    .bind(a.status.map(i64::from))
    .bind(a.reason.clone())
    .bind(a.apns_id.clone())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // A connection whose pushes keep failing is `failing` until one succeeds.
    let connection_state = match outcome {
        "sent" => Some(("active", "failing")),
        "failed" => Some(("failing", "active")),
        _ => None,
    };
    if let Some((to, from)) = connection_state {
        sqlx::query("UPDATE connections SET state = $1, updated_at = $2 WHERE push_token = $3 AND state = $4")
            .bind(to)
            .bind(now)
            .bind(&p.token)
            .bind(from)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    state.inner.metrics.push(outcome);
    tracing::info!(push = %lease.id, pass = %p.pass_id, attempt = lease.attempts, status_code = ?a.status, reason = ?a.reason, outcome, "APNs push");
    if outcome == "token_removed" {
        let reason = format!(
            "APNs answered {} {}",
            a.status.unwrap_or_default(),
            a.reason.as_deref().unwrap_or("")
        );
        super::apple::remove_connections(
            state,
            "platform = 'apple' AND push_token = $1",
            &[&p.token],
            reason.trim(),
        )
        .await?;
    }
    Ok(())
}

/// The push queue's handler.
struct Pushes {
    state: AppState,
    client: reqwest::Client,
    token: Option<ProviderToken>,
}

impl Handler for Pushes {
    type Item = PushItem;

    fn settings(&self) -> Settings {
        Settings {
            name: "apns",
            lease: LEASE,
            capacity: CONCURRENCY,
            in_order: false,
            poll: self.state.inner.config.apns.poll_interval,
        }
    }

    fn store(&self) -> &super::Store {
        &self.state.inner.store
    }

    fn due(&self) -> &tokio::sync::Notify {
        &self.state.inner.pushes_due
    }

    async fn run(self: std::sync::Arc<Self>, claimed: Claimed<PushItem>) {
        let base = &self.state.inner.config.apns.base_url;
        let answer = send(&self.client, base, self.token.as_ref(), &claimed.item).await;
        if let Err(e) = settle(&self.state, &claimed.lease, &claimed.item, &answer).await {
            tracing::warn!(error = %e, push = %claimed.lease.id, "cannot record a push");
        }
    }
}

/// Runs the push worker until `stop` turns true; pushes in flight finish
/// first.
pub async fn run_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
    if !state.inner.config.apns.enabled {
        return;
    }
    let client = match client(&state) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "the APNs sender cannot start; pushes stay queued");
            return;
        }
    };
    let token = match &state.inner.config.apns.auth {
        ApnsAuth::Certificate => None,
        ApnsAuth::Token {
            key_id,
            team_id,
            key_pem,
        } => match ProviderToken::new(key_id, team_id, key_pem) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(error = %e, "the APNs sender cannot start; pushes stay queued");
                return;
            }
        },
    };
    let handler = std::sync::Arc::new(Pushes {
        state,
        client,
        token,
    });
    runner::run(handler, runner::worker_name("apns"), stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_tokens() {
        assert!(token_is_dead(Some(410), Some("Unregistered")));
        assert!(token_is_dead(Some(410), Some("ExpiredToken")));
        assert!(token_is_dead(Some(410), Some("SomethingNew")));
        assert!(token_is_dead(Some(400), Some("BadDeviceToken")));
        assert!(token_is_dead(Some(400), Some("DeviceTokenNotForTopic")));
        assert!(!token_is_dead(Some(400), Some("BadTopic")));
        assert!(!token_is_dead(Some(503), None));
        assert!(!token_is_dead(None, Some("connection refused")));
    }
}

#[cfg(test)]
mod token_tests {
    use super::*;

    #[test]
    fn provider_token_is_es256_with_kid_and_reused() {
        let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1)
            .expect("group");
        let key =
            openssl::pkey::PKey::from_ec_key(openssl::ec::EcKey::generate(&group).expect("key"))
                .expect("pkey");
        let pem = key.private_key_to_pem_pkcs8().expect("pem");
        let t = ProviderToken::new("KEYID12345", "TEAM123456", &pem).expect("token");
        let a = t.bearer().expect("bearer");
        let b = t.bearer().expect("bearer");
        assert_eq!(a, b, "reused within 50 minutes");
        let jwt = a.strip_prefix("bearer ").expect("scheme");
        let header = jsonwebtoken::decode_header(jwt).expect("header");
        assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
        assert_eq!(header.kid.as_deref(), Some("KEYID12345"));
    }
}
