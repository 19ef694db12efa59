//! Webhook events, endpoints and deliveries (`events`,
//! `webhook_endpoints`, `webhook_deliveries`).

use sqlx::any::AnyRow;
use sqlx::Row as _;

use super::{now_ms, Conn, Lease, StoreError};

/// A stored webhook endpoint.
#[derive(Debug, Clone)]
pub(crate) struct EndpointRow {
    /// `wh_…`
    pub(crate) id: String,
    /// Where deliveries are posted.
    pub(crate) url: String,
    /// Subscribed event types (empty: only deliveries addressed to it).
    pub(crate) events: Vec<String>,
    /// Free text.
    pub(crate) description: Option<String>,
    /// `enabled` or `disabled`.
    pub(crate) status: String,
    /// Why it was disabled.
    pub(crate) disabled_reason: Option<String>,
    /// Unix ms.
    pub(crate) created_at: i64,
}

const ENDPOINT_COLUMNS: &str = "id, url, events, description, status, disabled_reason, created_at";

impl EndpointRow {
    fn from_row(r: &AnyRow) -> Result<Self, StoreError> {
        let events: String = r.try_get("events")?;
        Ok(Self {
            id: r.try_get("id")?,
            url: r.try_get("url")?,
            events: events
                .split(',')
                .filter(|e| !e.is_empty())
                .map(str::to_owned)
                .collect(),
            description: r.try_get("description")?,
            status: r.try_get("status")?,
            disabled_reason: r.try_get("disabled_reason")?,
            created_at: r.try_get("created_at")?,
        })
    }
}

/// An event row to write.
#[derive(Debug)]
pub(crate) struct NewEvent<'a> {
    /// `evt_…`
    pub(crate) id: &'a str,
    /// Its type, e.g. `pass.created`.
    pub(crate) ty: &'a str,
    /// Unix milliseconds.
    pub(crate) created_at: i64,
    /// Its data as JSON text.
    pub(crate) data: String,
}

/// Writes event rows, many to a statement.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_events(
    c: &mut Conn,
    events: Vec<NewEvent<'_>>,
) -> Result<(), StoreError> {
    super::insert_rows(
        c,
        "events (id, type, created_at, data)",
        "",
        4,
        events,
        |q, e| {
            q.bind(e.id.to_owned())
                .bind(e.ty.to_owned())
                .bind(e.created_at)
                .bind(e.data)
        },
    )
    .await?;
    Ok(())
}

/// The enabled endpoints with the event types each subscribes to.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn enabled_endpoints(
    c: &mut Conn,
) -> Result<Vec<(String, Vec<String>)>, StoreError> {
    let rows = sqlx::query("SELECT id, events FROM webhook_endpoints WHERE status = 'enabled'")
        .fetch_all(&mut *c)
        .await?;
    rows.iter()
        .map(|r| {
            let events: String = r.try_get("events")?;
            Ok((
                r.try_get("id")?,
                events.split(',').map(str::to_owned).collect(),
            ))
        })
        .collect()
}

/// Queues a delivery of event `event` to `endpoint`, due at `now`; returns
/// its id.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_delivery(
    c: &mut Conn,
    endpoint: &str,
    event: &str,
    now: i64,
) -> Result<String, StoreError> {
    let id = format!("dlv_{}", uuid::Uuid::now_v7().simple());
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, \
         next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4)",
    )
    .bind(id.clone())
    .bind(endpoint.to_owned())
    .bind(event.to_owned())
    .bind(now)
    .execute(&mut *c)
    .await?;
    Ok(id)
}

/// A new endpoint to store.
#[derive(Debug)]
pub(crate) struct NewEndpoint<'a> {
    /// `wh_…`
    pub(crate) id: &'a str,
    /// Where deliveries go.
    pub(crate) url: &'a str,
    /// Subscribed types.
    pub(crate) events: &'a [String],
    /// Free text.
    pub(crate) description: Option<&'a str>,
    /// The signing secret.
    pub(crate) secret: &'a str,
    /// Unix ms.
    pub(crate) now: i64,
}

/// Stores a new, enabled endpoint.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn insert_endpoint(c: &mut Conn, e: &NewEndpoint<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, url, events, description, secret, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'enabled', $6)",
    )
    .bind(e.id.to_owned())
    .bind(e.url.to_owned())
    .bind(e.events.join(","))
    .bind(e.description.map(str::to_owned))
    .bind(e.secret.to_owned())
    .bind(e.now)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// One endpoint.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn endpoint(c: &mut Conn, id: &str) -> Result<Option<EndpointRow>, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1"
    )))
    .bind(id.to_owned())
    .fetch_optional(&mut *c)
    .await?;
    row.as_ref().map(EndpointRow::from_row).transpose()
}

/// Every endpoint, in id order (links' own endpoints included).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn endpoints(c: &mut Conn) -> Result<Vec<EndpointRow>, StoreError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY id"
    )))
    .fetch_all(&mut *c)
    .await?;
    rows.iter().map(EndpointRow::from_row).collect()
}

/// Deletes an endpoint and its deliveries not in flight; false when there
/// was none.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn delete_endpoint(c: &mut Conn, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
        .bind(id.to_owned())
        .execute(&mut *c)
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'delivering'")
        .bind(id.to_owned())
        .execute(&mut *c)
        .await?;
    Ok(true)
}

/// Disables an endpoint and cancels its pending deliveries.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn disable_endpoint(
    c: &mut Conn,
    id: &str,
    reason: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $1 WHERE id = $2",
    )
    .bind(reason.to_owned())
    .bind(id.to_owned())
    .execute(&mut *c)
    .await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = 'cancelled', last_error = $1, updated_at = $2 \
         WHERE endpoint_id = $3 AND status = 'pending'",
    )
    .bind(reason.to_owned())
    .bind(now_ms())
    .bind(id.to_owned())
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// A delivery as the API lists it.
#[derive(Debug, Clone)]
pub(crate) struct DeliveryRow {
    /// `dlv_…`
    pub(crate) id: String,
    /// The event delivered.
    pub(crate) event_id: String,
    /// Its type.
    pub(crate) event_type: String,
    /// pending, delivering, succeeded, failed, cancelled.
    pub(crate) status: String,
    /// Attempts made.
    pub(crate) attempts: i64,
    /// The last answer's HTTP status.
    pub(crate) last_status_code: Option<i64>,
    /// The last error.
    pub(crate) last_error: Option<String>,
    /// When it is due again (Unix ms).
    pub(crate) next_attempt_at: i64,
    /// Unix ms.
    pub(crate) created_at: i64,
    /// Unix ms.
    pub(crate) updated_at: i64,
}

/// Up to `limit` deliveries of `endpoint` with ids after `after`, oldest
/// first.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn deliveries(
    c: &mut Conn,
    endpoint: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.id, d.event_id, ev.type AS event_type, d.status, d.attempts, d.last_status_code, \
         d.last_error, d.next_attempt_at, d.created_at, d.updated_at FROM webhook_deliveries d \
         JOIN events ev ON ev.id = d.event_id WHERE d.endpoint_id = $1 AND d.id > $2 \
         ORDER BY d.id LIMIT $3",
    )
    .bind(endpoint.to_owned())
    .bind(after.to_owned())
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DeliveryRow {
                id: r.try_get("id")?,
                event_id: r.try_get("event_id")?,
                event_type: r.try_get("event_type")?,
                status: r.try_get("status")?,
                attempts: r.try_get("attempts")?,
                last_status_code: r.try_get("last_status_code")?,
                last_error: r.try_get("last_error")?,
                next_attempt_at: r.try_get("next_attempt_at")?,
                created_at: r.try_get("created_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// The event of delivery `delivery` to `endpoint`.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn delivery_event(
    c: &mut Conn,
    endpoint: &str,
    delivery: &str,
) -> Result<Option<String>, StoreError> {
    let row =
        sqlx::query("SELECT event_id FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2")
            .bind(delivery.to_owned())
            .bind(endpoint.to_owned())
            .fetch_optional(&mut *c)
            .await?;
    Ok(row.map(|r| r.try_get("event_id")).transpose()?)
}

/// A claimed delivery with what sending it needs.
#[derive(Debug, Clone)]
pub(crate) struct ClaimedDelivery {
    /// The endpoint.
    pub(crate) endpoint_id: String,
    /// Its URL.
    pub(crate) url: String,
    /// Its secret.
    pub(crate) secret: String,
    /// Its status (a disabled endpoint gets nothing).
    pub(crate) endpoint_status: String,
    /// The event's id.
    pub(crate) event_id: String,
    /// The event's type.
    pub(crate) event_type: String,
    /// When the event happened (Unix ms).
    pub(crate) event_created_at: i64,
    /// The event's data, JSON text.
    pub(crate) data: String,
}

/// Reads a claimed delivery's endpoint and event; `None` when the endpoint
/// was deleted (or the claim is no longer `lease`'s).
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn claimed_delivery(
    c: &mut Conn,
    lease: &Lease,
) -> Result<Option<ClaimedDelivery>, StoreError> {
    let row = sqlx::query(
        "SELECT d.endpoint_id, e.url, e.secret, e.status AS endpoint_status, \
         ev.id AS event_id, ev.type AS event_type, ev.created_at AS event_created_at, ev.data \
         FROM webhook_deliveries d \
         JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         JOIN events ev ON ev.id = d.event_id WHERE d.id = $1 AND d.claimed_by = $2",
    )
    .bind(lease.id.clone())
    .bind(lease.worker.clone())
    .fetch_optional(&mut *c)
    .await?;
    row.map(|r| {
        Ok(ClaimedDelivery {
            endpoint_id: r.try_get("endpoint_id")?,
            url: r.try_get("url")?,
            secret: r.try_get("secret")?,
            endpoint_status: r.try_get("endpoint_status")?,
            event_id: r.try_get("event_id")?,
            event_type: r.try_get("event_type")?,
            event_created_at: r.try_get("event_created_at")?,
            data: r.try_get("data")?,
        })
    })
    .transpose()
}
