//! Connections — one installation of a pass in one wallet (an Apple device
//! registration, a Google save): list, get, remove (stop pushing to it) and
//! sync (push now). States: `active`, `failing` (its pushes keep failing),
//! `removed`.

use http::StatusCode;
use serde_json::json;

use crate::service::clock::{now_ms, rfc3339};
pub(crate) use crate::service::db::apple::{ConnectionQuery, ConnectionRow, Removal};
use crate::service::db::{self, StoreError};
use crate::service::domain::commit;
use crate::service::error::ApiError;
use crate::service::outbox::Effect;
use crate::service::state::AppState;

/// A connection as the API and its events show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionView {
    /// `con_…`
    id: String,
    /// Always `connection`.
    object: &'static str,
    /// The pass installed.
    pass_id: String,
    /// Its serial number (none once the pass is deleted).
    serial_number: Option<String>,
    /// Its user.
    user_id: Option<String>,
    /// `apple` or `google`.
    #[schema(pattern = "^(apple|google)$")]
    platform: String,
    /// The device library id (Apple) or object id (Google).
    device_library_identifier: String,
    /// `active`, `failing` or `removed`.
    #[schema(pattern = "^(active|failing|removed)$")]
    state: String,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    updated_at: String,
}

/// The API's view of a connection.
pub(crate) fn view(c: &ConnectionRow) -> ConnectionView {
    ConnectionView {
        id: c.id.clone(),
        object: "connection",
        pass_id: c.pass_id.clone(),
        serial_number: c.serial_number.clone(),
        user_id: c.user_id.clone(),
        platform: c.platform.clone(),
        device_library_identifier: c.device_library_id.clone(),
        state: c.state.clone(),
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
    }
}

/// Connections matching `q`, oldest first.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn list(
    state: &AppState,
    q: &ConnectionQuery,
) -> Result<Vec<ConnectionRow>, ApiError> {
    Ok(db::apple::connections(&mut *state.inner.store.conn().await?, q).await?)
}

/// One connection.
///
/// # Errors
/// 404.
pub(crate) async fn get(state: &AppState, id: &str) -> Result<ConnectionRow, ApiError> {
    db::apple::connection(&mut *state.inner.store.conn().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection", id))
}

/// Marks matching live connections removed, each with a
/// `connection.deleted` event, in one transaction; how many.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn remove(
    state: &AppState,
    which: &Removal<'_>,
    reason: &str,
) -> Result<usize, StoreError> {
    let mut tx = state.inner.store.begin().await?;
    let removed = db::apple::remove_connections(&mut tx, which, now_ms()).await?;
    let effects: Vec<Effect> = removed
        .iter()
        .map(|r| {
            Effect::event(
                "connection.deleted",
                json!({"id": r.id, "object": "connection", "platform": r.platform, "passId": r.pass_id,
                       "deviceLibraryIdentifier": r.device_library_id, "state": "removed", "reason": reason}),
            )
        })
        .collect();
    commit(state, tx, &effects).await?;
    if !removed.is_empty() {
        tracing::info!(count = removed.len(), reason, "connections removed");
    }
    Ok(removed.len())
}

/// APNs reported `token` dead from `before` (Unix ms) on: its Apple
/// registrations made before then are removed; a device that registered
/// again since keeps its registration.
///
/// # Errors
/// [`StoreError`].
pub(crate) async fn remove_dead_token(
    state: AppState,
    token: String,
    before: i64,
    reason: String,
) -> Result<usize, StoreError> {
    remove(
        &state,
        &Removal::DeadToken {
            token: &token,
            before,
        },
        &reason,
    )
    .await
}

/// Stops pushing to a connection (`connection.deleted`).
///
/// # Errors
/// 404.
pub(crate) async fn delete(state: &AppState, id: &str) -> Result<(), ApiError> {
    get(state, id).await?;
    remove(state, &Removal::Id(id), "deleted through the API").await?;
    Ok(())
}

/// Queues a push to one installation now; the push's id and the connection.
///
/// # Errors
/// 404; 409 when the connection is removed.
pub(crate) async fn sync(state: &AppState, id: &str) -> Result<(String, ConnectionRow), ApiError> {
    let c = get(state, id).await?;
    if c.state == "removed" {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "connection_removed",
            "this installation is removed; the device registers again when the pass is re-added",
        ));
    }
    let mut tx = state.inner.store.begin().await?;
    let (pass_id, token) = db::apple::push_target(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("connection", id))?;
    let written = commit(
        state,
        tx,
        &[Effect::PushTo {
            pass_id,
            token,
            topic: state
                .inner
                .config
                .identity
                .pass_type_id()
                .as_str()
                .to_owned(),
        }],
    )
    .await?;
    let push = written
        .pushes
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal(&"no push was queued"))?;
    Ok((push, c))
}
