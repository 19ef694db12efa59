//! APNs: the sender of queued pushes.
//!
//! A worker in every instance claims due pushes (see `outbox::runner`) and
//! sends them over HTTP/2 with the Pass Type ID certificate as TLS client
//! certificate (or a provider token), `apns-topic` = the pass type
//! identifier and the body `{}`. reqwest keeps one connection per host and
//! multiplexes the pushes as concurrent streams on it.
//!
//! Outcomes: 200 sent; 410 (Unregistered, ExpiredToken) and 400
//! BadDeviceToken / DeviceTokenNotForTopic report the token dead, and the
//! registrations of it made before APNs learned so (410's `timestamp`) are
//! removed through the hook the service wires in; 429, 500 and 503 are
//! retried with backoff; any other answer fails the push. Every attempt is
//! recorded with APNs' reason verbatim, known to this code or not.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::service::clock::now_ms;
use crate::service::config::ApnsAuth;
use crate::service::db::{self, Claimed, Lease, PushItem, Queue, StoreError};
use crate::service::outbox::retry::{self, Attempt, Decision, Policy};
use crate::service::outbox::runner::{self, Handler, Settings};
use crate::service::state::AppState;

/// How long a claimed push belongs to its instance.
const LEASE: Duration = Duration::from_secs(10);

/// Pushes in flight at once in one instance (HTTP/2 streams over one or
/// two connections).
const CONCURRENCY: usize = 500;

/// What the service does with a dead token: `(state, token, before,
/// reason)` removes the token's registrations made before `before` (Unix
/// ms). Wired in by the service, so that this sender needs nothing of the
/// domain.
pub(crate) type DeadTokenHook = Arc<
    dyn Fn(
            AppState,
            String,
            i64,
            String,
        ) -> Pin<Box<dyn Future<Output = Result<usize, StoreError>> + Send>>
        + Send
        + Sync,
>;

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

/// The HTTP/2 client: the signing identity as client certificate, the
/// configured roots, keep-alive pings, no redirects.
///
/// # Errors
/// When the identity or the roots cannot be loaded.
pub(crate) fn client(state: &AppState) -> Result<reqwest::Client, String> {
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
    /// For 410: when APNs learned the token was no longer valid (Unix ms).
    timestamp: Option<i64>,
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
                    timestamp: None,
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
            let json = serde_json::from_slice::<serde_json::Value>(&body).ok();
            let reason = json
                .as_ref()
                .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned));
            let timestamp = json
                .as_ref()
                .and_then(|v| v.get("timestamp").and_then(serde_json::Value::as_i64));
            Answer {
                status: Some(status),
                reason,
                apns_id,
                timestamp,
            }
        }
        Err(e) => Answer {
            status: None,
            reason: Some(super::error_chain(&e)),
            apns_id: None,
            timestamp: None,
        },
    }
}

/// When APNs' answer reports the token dead, the time from which on it
/// was (Unix ms): registrations made before it are removed, a device that
/// registered again since keeps its registration. 410 carries the time
/// APNs learned it; 400 BadDeviceToken / DeviceTokenNotForTopic mean the
/// token never worked.
fn dead_since(status: Option<u16>, reason: Option<&str>, timestamp: Option<i64>) -> Option<i64> {
    match (status, reason) {
        (Some(410), _) => Some(timestamp.unwrap_or(i64::MAX)),
        (Some(400), Some("BadDeviceToken" | "DeviceTokenNotForTopic")) => Some(i64::MAX),
        _ => None,
    }
}

/// What one push attempt came to.
fn attempt_of(status: Option<u16>, dead: bool) -> Attempt {
    match status {
        Some(200) => Attempt::Done("sent"),
        _ if dead => Attempt::Final,
        None | Some(429 | 500 | 503) => Attempt::Transient,
        _ => Attempt::Final,
    }
}

/// The push queue's handler.
struct Pushes {
    state: AppState,
    client: reqwest::Client,
    token: Option<ProviderToken>,
    on_dead: DeadTokenHook,
}

impl Pushes {
    /// Settles one push while its claim holds: the attempt's row, the
    /// push's state and its connections' health in one transaction; a dead
    /// token's registrations are removed after.
    async fn settle(&self, lease: &Lease, p: &PushItem, a: &Answer) -> Result<(), StoreError> {
        let state = &self.state;
        let cfg = &state.inner.config.apns;
        let now = now_ms();
        let dead = dead_since(a.status, a.reason.as_deref(), a.timestamp);
        let policy = Policy {
            schedule: &cfg.retry_schedule,
            forever: false,
        };
        let decision = retry::decide(
            attempt_of(a.status, dead.is_some()),
            lease.attempts,
            policy,
            now,
            1.0,
        );
        let outcome = match decision {
            Decision::Finish(_) => "sent",
            Decision::RetryAt(_) => "retrying",
            Decision::GiveUp if dead.is_some() => "token_dead",
            Decision::GiveUp => "failed",
        };
        let mut tx = state.inner.store.begin().await?;
        let settlement = decision.settlement(now, a.status, a.reason.clone());
        if !db::settle(&mut tx, Queue::Pushes, lease, &settlement).await? {
            tracing::warn!(push = %lease.id, "a push outlived its claim; another worker has it");
            return Ok(());
        }
        db::apple::insert_push_attempt(
            &mut tx,
            &db::apple::PushAttempt {
                push_id: &lease.id,
                attempt: lease.attempts,
                status_code: a.status,
                reason: a.reason.as_deref(),
                apns_id: a.apns_id.as_deref(),
                at: now,
            },
        )
        .await?;
        // A connection whose pushes keep failing is `failing` until one succeeds.
        match outcome {
            "sent" => {
                db::apple::set_token_state(&mut tx, &p.token, "failing", "active", now).await?
            }
            "failed" => {
                db::apple::set_token_state(&mut tx, &p.token, "active", "failing", now).await?
            }
            _ => {}
        }
        db::commit(tx).await?;
        let mut removed = 0;
        if let Some(before) = dead {
            let reason = format!(
                "APNs answered {} {}",
                a.status.unwrap_or_default(),
                a.reason.as_deref().unwrap_or("")
            );
            removed = (self.on_dead)(
                state.clone(),
                p.token.clone(),
                before,
                reason.trim().to_owned(),
            )
            .await?;
        }
        let outcome = if outcome == "token_dead" && removed > 0 {
            "token_removed"
        } else {
            outcome
        };
        state.inner.metrics.push(outcome);
        tracing::info!(push = %lease.id, pass = %p.pass_id, attempt = lease.attempts, status_code = ?a.status, reason = ?a.reason, outcome, "APNs push");
        Ok(())
    }
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

    fn store(&self) -> &db::Store {
        &self.state.inner.store
    }

    fn due(&self) -> &tokio::sync::Notify {
        &self.state.inner.pushes_due
    }

    async fn run(self: Arc<Self>, claimed: Claimed<PushItem>) {
        let base = &self.state.inner.config.apns.base_url;
        let answer = send(&self.client, base, self.token.as_ref(), &claimed.item).await;
        if let Err(e) = self.settle(&claimed.lease, &claimed.item, &answer).await {
            tracing::warn!(error = %e, push = %claimed.lease.id, "cannot record a push");
        }
    }
}

/// Runs the push worker until `stop` turns true; pushes in flight finish
/// first.
pub(crate) async fn run_worker(
    state: AppState,
    stop: tokio::sync::watch::Receiver<bool>,
    on_dead: DeadTokenHook,
) {
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
    let handler = Arc::new(Pushes {
        state,
        client,
        token,
        on_dead,
    });
    runner::run(handler, runner::worker_name("apns"), stop).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_tokens_and_since_when() {
        // (status, reason, timestamp, registrations removed if made before)
        type Case = (Option<u16>, Option<&'static str>, Option<i64>, Option<i64>);
        let cases: [Case; 9] = [
            (
                Some(410),
                Some("Unregistered"),
                Some(1_700_000_000_000),
                Some(1_700_000_000_000),
            ),
            (Some(410), Some("ExpiredToken"), None, Some(i64::MAX)),
            (Some(410), Some("SomethingNew"), Some(5), Some(5)),
            (Some(400), Some("BadDeviceToken"), None, Some(i64::MAX)),
            (
                Some(400),
                Some("DeviceTokenNotForTopic"),
                Some(5),
                Some(i64::MAX),
            ),
            (Some(400), Some("BadTopic"), None, None),
            (Some(503), None, None, None),
            (Some(200), None, None, None),
            (None, Some("connection refused"), None, None),
        ];
        for (status, reason, timestamp, want) in cases {
            assert_eq!(
                dead_since(status, reason, timestamp),
                want,
                "{status:?} {reason:?} {timestamp:?}"
            );
        }
    }

    #[test]
    fn attempts() {
        assert_eq!(attempt_of(Some(200), false), Attempt::Done("sent"));
        assert_eq!(attempt_of(Some(410), true), Attempt::Final);
        assert_eq!(attempt_of(Some(429), false), Attempt::Transient);
        assert_eq!(attempt_of(Some(503), false), Attempt::Transient);
        assert_eq!(attempt_of(None, false), Attempt::Transient);
        assert_eq!(attempt_of(Some(403), false), Attempt::Final);
    }

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
