//! Webhook delivery: posts each claimed delivery with the Standard Webhooks
//! signature headers and `X-Passforge-Signature`, and records the outcome:
//! 2xx done, 410 disables the endpoint, anything else is retried with
//! exponential backoff and jitter for about three days. Deliveries are at
//! least once: a delivery whose sender died after posting is posted again
//! once its claim runs out (receivers deduplicate by `webhook-id`).

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine as _;

use crate::service::clock::now_ms;
use crate::service::config::WebhookConfig;
use crate::service::db::{self, Claimed, DeliveryItem, Lease, Queue, StoreError};
use crate::service::netguard::{check_url, is_private};
use crate::service::outbox::retry::{self, Attempt, Decision, Policy};
use crate::service::outbox::runner::{self, Handler, Settings};
use crate::service::outbox::Event;
use crate::service::state::AppState;

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

/// The HTTP client of the delivery worker.
///
/// # Errors
/// When the TLS backend cannot start.
pub(crate) fn client(config: &WebhookConfig) -> reqwest::Result<reqwest::Client> {
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

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Result<Vec<u8>, openssl::error::ErrorStack> {
    let key = openssl::pkey::PKey::hmac(key)?;
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key)?;
    for p in parts {
        signer.update(p)?;
    }
    signer.sign_to_vec()
}

/// The secret's key bytes: the base64 after `whsec_` (Standard Webhooks;
/// every generated secret), else the secret's own bytes (a client's secret
/// without the prefix, used as written).
fn secret_key(secret: &str) -> Vec<u8> {
    match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_else(|_| b64.as_bytes().to_vec()),
        None => secret.as_bytes().to_vec(),
    }
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
        (
            "x-passforge-signature",
            format!("sha256={}", crate::model::hex(&plain)),
        ),
    ])
}

/// Posts one event to its endpoint; the answer's status.
async fn post(
    cfg: &WebhookConfig,
    client: &reqwest::Client,
    d: &db::events::ClaimedDelivery,
    event: &Event,
    now: i64,
) -> Result<u16, String> {
    let body = event.body().to_string();
    check_url(&d.url, cfg.allow_private_networks)?;
    let headers = signature_headers(&d.secret, &event.id, now / 1000, body.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut req = client
        .post(&d.url)
        .header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(k, v);
    }
    let res = req
        .body(body)
        .send()
        .await
        .map_err(|e| super::error_chain(&e))?;
    Ok(res.status().as_u16())
}

/// What one delivery attempt came to, from the endpoint's answer.
fn attempt_of(answer: &Result<u16, String>) -> (Attempt, Option<u16>, Option<String>) {
    match answer {
        Ok(c) if (200..300).contains(c) => (Attempt::Done("succeeded"), Some(*c), None),
        Ok(410) => (
            Attempt::Final,
            Some(410),
            Some("410 Gone: endpoint disabled".to_owned()),
        ),
        Ok(c) => (Attempt::Transient, Some(*c), Some(format!("HTTP {c}"))),
        Err(e) => (Attempt::Transient, None, Some(e.clone())),
    }
}

/// Delivers one claimed delivery and settles it while the claim holds.
async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    lease: Lease,
) -> Result<(), StoreError> {
    let cfg = &state.inner.config.webhooks;
    let store = &state.inner.store;
    let now = now_ms();
    let loaded = db::events::claimed_delivery(&mut *store.conn().await?, &lease).await?;
    let Some(d) = loaded else {
        // The endpoint was deleted: nothing to deliver to.
        let cancelled =
            Decision::Finish("cancelled").settlement(now, None, Some("endpoint deleted".into()));
        store.settle(Queue::Deliveries, &lease, &cancelled).await?;
        return Ok(());
    };
    let event = Event {
        id: d.event_id.clone(),
        ty: Event::type_named(&d.event_type),
        created_at: d.event_created_at,
        data: serde_json::from_str(&d.data)
            .map_err(|e| StoreError::Corrupt(format!("event data: {e}")))?,
    };
    let (attempt, code, error) = if d.endpoint_status == "enabled" {
        attempt_of(&post(cfg, client, &d, &event, now).await)
    } else {
        (
            Attempt::Done("cancelled"),
            None,
            Some("endpoint disabled".to_owned()),
        )
    };
    let policy = Policy {
        schedule: &cfg.retry_schedule,
        forever: false,
    };
    let decision = retry::decide(attempt, lease.attempts, policy, now, runner::jitter());
    let (outcome, error) = match (decision, attempt) {
        (Decision::RetryAt(_), _) => ("retrying", error),
        (Decision::GiveUp, Attempt::Transient) => (
            "failed",
            error.map(|e| format!("{e}; gave up after {} attempts", lease.attempts)),
        ),
        (Decision::GiveUp, _) => ("gone", error),
        (Decision::Finish(status), _) => (status, error),
    };
    tracing::info!(delivery = %lease.id, event = %event.id, attempt = lease.attempts, outcome, status_code = ?code, "webhook delivery");
    if outcome != "cancelled" {
        state.inner.metrics.webhook_delivery(outcome);
    }
    let mut tx = store.begin().await?;
    if !db::settle(
        &mut tx,
        Queue::Deliveries,
        &lease,
        &decision.settlement(now, code, error),
    )
    .await?
    {
        tracing::warn!(delivery = %lease.id, "a webhook delivery outlived its claim; another worker has it");
        return Ok(());
    }
    if code == Some(410) {
        let reason = "the endpoint answered 410 Gone";
        db::events::disable_endpoint(&mut tx, &d.endpoint_id, reason).await?;
        tracing::warn!(endpoint = %d.endpoint_id, reason, "webhook endpoint disabled");
    }
    db::commit(tx).await
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
            lease: self.state.inner.config.webhooks.lease,
            capacity: self.state.inner.config.webhooks.concurrency,
            in_order: false,
            poll: self.state.inner.config.webhooks.poll_interval,
        }
    }

    fn store(&self) -> &db::Store {
        &self.state.inner.store
    }

    fn due(&self) -> &tokio::sync::Notify {
        &self.state.inner.deliveries_due
    }

    async fn run(self: Arc<Self>, claimed: Claimed<DeliveryItem>) {
        let id = claimed.lease.id.clone();
        if let Err(e) = deliver(&self.state, &self.client, claimed.lease).await {
            // Left in flight: the claim runs out and the delivery is retried.
            tracing::warn!(error = %e, delivery = %id, "cannot record a webhook delivery");
        }
    }
}

/// Runs the delivery worker until `stop` turns true; deliveries in flight
/// finish first.
pub(crate) async fn run_worker(state: AppState, stop: tokio::sync::watch::Receiver<bool>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
