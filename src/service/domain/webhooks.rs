//! Webhook endpoints: create (with a generated secret), list, get, delete;
//! their deliveries, a redelivery, a test event. Sending is `delivery`'s.

use base64::Engine as _;
use http::StatusCode;
use serde_json::json;

use crate::service::clock::{now_ms, rfc3339};
use crate::service::db::events::{DeliveryRow, EndpointRow, NewEndpoint};
use crate::service::db::{self, Conn, StoreError};
use crate::service::domain::commit;
use crate::service::error::{ApiError, FieldProblem};
use crate::service::netguard::check_url;
use crate::service::outbox::{Audience, Effect, Event, EVENT_TYPES, TEST_EVENT};
use crate::service::state::AppState;

/// An endpoint as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookView {
    /// `wh_…`
    id: String,
    /// Always `webhook`.
    object: &'static str,
    /// Where events are posted.
    #[schema(format = "uri")]
    url: String,
    /// The event types it receives.
    events: Vec<String>,
    /// Free text.
    description: Option<String>,
    /// `enabled` or `disabled`.
    #[schema(pattern = "^(enabled|disabled)$")]
    status: String,
    /// Why it was disabled.
    disabled_reason: Option<String>,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// The signing secret (shown once, at creation).
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

/// The API's view of an endpoint (without its secret).
pub(crate) fn view(e: &EndpointRow) -> WebhookView {
    WebhookView {
        id: e.id.clone(),
        object: "webhook",
        url: e.url.clone(),
        events: e.events.clone(),
        description: e.description.clone(),
        status: e.status.clone(),
        disabled_reason: e.disabled_reason.clone(),
        created_at: rfc3339(e.created_at),
        secret: None,
    }
}

/// A delivery as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryView {
    /// `dlv_…`
    id: String,
    /// The event delivered.
    event_id: String,
    /// Its type.
    event_type: String,
    /// `pending`, `delivering`, `succeeded`, `failed` or `cancelled`.
    status: String,
    /// Attempts made.
    attempts: i64,
    /// The last answer's HTTP status.
    last_status_code: Option<i64>,
    /// The last error.
    last_error: Option<String>,
    /// When the next attempt is due (pending deliveries).
    #[schema(format = DateTime)]
    next_attempt_at: Option<String>,
    /// When it was queued.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    updated_at: String,
}

/// The API's view of a delivery.
pub(crate) fn delivery_view(d: &DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id.clone(),
        event_id: d.event_id.clone(),
        event_type: d.event_type.clone(),
        status: d.status.clone(),
        attempts: d.attempts,
        last_status_code: d.last_status_code,
        last_error: d.last_error.clone(),
        next_attempt_at: (d.status == "pending").then(|| rfc3339(d.next_attempt_at)),
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
    }
}

/// A new `whsec_…` secret (24 random bytes).
fn new_secret() -> Result<String, StoreError> {
    let mut raw = [0u8; 24];
    openssl::rand::rand_bytes(&mut raw)
        .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    ))
}

/// The fewest key bytes a signing secret may have.
pub(crate) const MIN_SECRET_BYTES: usize = 24;

/// Why a client's signing secret cannot be used, if it cannot: its key (the
/// base64 after `whsec_`, or the text's UTF-8 bytes) must have at least
/// [`MIN_SECRET_BYTES`] bytes.
pub(crate) fn secret_problem(secret: &str) -> Option<FieldProblem> {
    let key = match secret.strip_prefix("whsec_") {
        Some(b64) => match base64::engine::general_purpose::STANDARD.decode(b64) {
            Ok(k) => k,
            Err(_) => {
                return Some(FieldProblem::new(
                    "/secret",
                    "after `whsec_` a secret is the base64 of its key (Standard Webhooks); this is not base64. Send the key base64-encoded after whsec_, or a secret without the prefix (its bytes are the key)",
                ))
            }
        },
        None => secret.as_bytes().to_vec(),
    };
    (key.len() < MIN_SECRET_BYTES).then(|| {
        FieldProblem::new(
            "/secret",
            format!(
                "a signing secret needs at least {MIN_SECRET_BYTES} bytes of key; this one has {}. Use a longer random secret (e.g. `openssl rand -base64 32`), or leave `secret` out and passforge generates one",
                key.len()
            ),
        )
    })
}

/// Creates an endpoint in the caller's transaction (for `events`, which
/// may be empty: then it receives only deliveries addressed to it) with the
/// client's `secret` or a new one; its id and secret.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_endpoint(
    c: &mut Conn,
    url: &str,
    events: &[String],
    description: Option<&str>,
    secret: Option<&str>,
) -> Result<(String, String), StoreError> {
    let secret = match secret {
        Some(s) => s.to_owned(),
        None => new_secret()?,
    };
    let id = format!("wh_{}", uuid::Uuid::now_v7().simple());
    db::events::insert_endpoint(
        c,
        &NewEndpoint {
            id: &id,
            url,
            events,
            description,
            secret: &secret,
            now: now_ms(),
        },
    )
    .await?;
    Ok((id, secret))
}

/// The problem of an endpoint URL, if it has one (see
/// [`crate::service::netguard::check_url`]).
pub(crate) fn url_problem(state: &AppState, url: &str) -> Option<FieldProblem> {
    check_url(url, state.inner.config.webhooks.allow_private_networks)
        .err()
        .map(|e| FieldProblem::new("/url", e))
}

/// Checks and creates an endpoint; its view with the secret.
///
/// # Errors
/// 422 with every problem.
pub(crate) async fn create(
    state: &AppState,
    url: &str,
    events: &[String],
    description: Option<&str>,
    secret: Option<&str>,
) -> Result<WebhookView, ApiError> {
    let mut errors: Vec<FieldProblem> = secret.and_then(secret_problem).into_iter().collect();
    let url = match check_url(url, state.inner.config.webhooks.allow_private_networks) {
        Ok(u) => Some(u.to_string()),
        Err(e) => {
            errors.push(FieldProblem::new("/url", e));
            None
        }
    };
    for (i, e) in events.iter().enumerate() {
        if !EVENT_TYPES.contains(&e.as_str()) {
            errors.push(FieldProblem::new(
                format!("/events/{i}"),
                format!("unknown event {e}; known: {}", EVENT_TYPES.join(", ")),
            ));
        }
    }
    if events.is_empty() {
        errors.push(FieldProblem::new(
            "/events",
            format!("required: a non-empty list of {}", EVENT_TYPES.join(", ")),
        ));
    }
    let (Some(url), true) = (url, errors.is_empty()) else {
        return Err(ApiError::invalid(
            format!("the webhook has {} problem(s); see errors", errors.len()),
            errors,
        ));
    };
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    let mut conn = state.inner.store.conn().await?;
    let (id, secret) = insert_endpoint(&mut conn, &url, &events, description, secret).await?;
    tracing::info!(webhook = %id, "webhook endpoint created");
    let row = db::events::endpoint(&mut conn, &id)
        .await?
        .ok_or_else(|| ApiError::internal(&"a new endpoint vanished"))?;
    let mut v = view(&row);
    v.secret = Some(secret);
    Ok(v)
}

/// One endpoint.
///
/// # Errors
/// 404.
pub(crate) async fn get(state: &AppState, id: &str) -> Result<EndpointRow, ApiError> {
    db::events::endpoint(&mut *state.inner.store.conn().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook", id))
}

/// Every endpoint.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn list(state: &AppState) -> Result<Vec<EndpointRow>, ApiError> {
    Ok(db::events::endpoints(&mut *state.inner.store.conn().await?).await?)
}

/// Deletes an endpoint and its waiting deliveries.
///
/// # Errors
/// 404.
pub(crate) async fn delete(state: &AppState, id: &str) -> Result<(), ApiError> {
    let mut tx = state.inner.store.begin().await?;
    if !db::events::delete_endpoint(&mut tx, id).await? {
        return Err(ApiError::not_found("webhook", id));
    }
    db::commit(tx).await?;
    Ok(())
}

/// Up to `limit` deliveries of an endpoint after `after`, oldest first.
///
/// # Errors
/// 404.
pub(crate) async fn deliveries(
    state: &AppState,
    id: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>, ApiError> {
    get(state, id).await?;
    Ok(db::events::deliveries(&mut *state.inner.store.conn().await?, id, after, limit).await?)
}

fn disabled() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "webhook_disabled",
        "the endpoint is disabled; create a new one to receive events again",
    )
}

/// A new delivery of a delivery's event to the same endpoint, due now; its
/// id and the event's.
///
/// # Errors
/// 404; 409 when the endpoint is disabled.
pub(crate) async fn redeliver(
    state: &AppState,
    id: &str,
    delivery: &str,
) -> Result<(String, String), ApiError> {
    let event = db::events::delivery_event(&mut *state.inner.store.conn().await?, id, delivery)
        .await?
        .ok_or_else(|| ApiError::not_found("delivery", delivery))?;
    if get(state, id).await?.status != "enabled" {
        return Err(disabled());
    }
    let mut tx = state.inner.store.begin().await?;
    let new = db::events::insert_delivery(&mut tx, id, &event, now_ms()).await?;
    let written = crate::service::outbox::Written {
        deliveries: vec![new.clone()],
        ..Default::default()
    };
    db::commit(tx).await?;
    state.wake(&written);
    Ok((new, event))
}

/// Sends a test event to one endpoint; the event's id and its delivery's.
///
/// # Errors
/// 404; 409 when the endpoint is disabled.
pub(crate) async fn test(state: &AppState, id: &str) -> Result<(String, Option<String>), ApiError> {
    if get(state, id).await?.status != "enabled" {
        return Err(disabled());
    }
    let event = Event::new(TEST_EVENT, json!({"webhookId": id}));
    let event_id = event.id.clone();
    let tx = state.inner.store.begin().await?;
    let written = commit(
        state,
        tx,
        &[Effect::Event(event, Audience::Only(id.to_owned()))],
    )
    .await?;
    Ok((event_id, written.deliveries.into_iter().next()))
}
