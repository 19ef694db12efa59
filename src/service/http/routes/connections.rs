//! `/v1/connections`: the installations of passes in wallets — list, get,
//! stop pushing to one, push to one now.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{check_limit, page};
use crate::service::domain::connections::{self, ConnectionQuery, ConnectionView};
use crate::service::domain::keys::{Principal, Scope};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::http::extract::Params;
use crate::service::state::AppState;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get, delete))
        .routes(routes!(sync))
}

/// A wallet.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) enum Platform {
    /// Apple Wallet.
    Apple,
    /// Google Wallet.
    Google,
}

/// A connection's state.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) enum ConnectionState {
    /// Installed, pushes work.
    Active,
    /// Installed, its pushes keep failing.
    Failing,
    /// Removed from the wallet (or deleted).
    Removed,
}

/// Query of `GET /v1/connections`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct ListQuery {
    /// Only this pass's.
    pass_id: Option<String>,
    /// Only the installations of this user's passes.
    user_id: Option<String>,
    /// Only this wallet's.
    #[param(value_type = Option<Platform>, inline)]
    platform: Option<String>,
    /// Only in this state.
    #[param(value_type = Option<ConnectionState>, inline)]
    state: Option<String>,
    /// Per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `nextStartingAfter` of the previous page.
    starting_after: Option<String>,
}

/// A page of connections.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectionList {
    /// Oldest first.
    data: Vec<ConnectionView>,
    /// Whether more follow.
    has_more: bool,
    /// Pass it as `startingAfter` for the next page.
    next_starting_after: Option<String>,
}

/// `GET /v1/connections`
#[utoipa::path(get, path = "/connections", tag = "connections", operation_id = "listConnections",
    summary = "List connections (installations of passes in wallets)",
    params(ListQuery),
    responses(
        (status = 200, description = "A page", body = ConnectionList),
        (status = 422, description = "`limit` out of range, or an unknown `state` or `platform`"),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<ListQuery>,
) -> Result<Json<ConnectionList>, ApiError> {
    principal.require(Scope::Read)?;
    let limit = check_limit(q.limit, 100)?;
    let mut problems = Vec::new();
    let state_filter = match q.state.as_deref() {
        None => None,
        Some("active") => Some(ConnectionState::Active),
        Some("failing") => Some(ConnectionState::Failing),
        Some("removed") => Some(ConnectionState::Removed),
        Some(_) => {
            problems.push(FieldProblem::new("state", "active, failing or removed"));
            None
        }
    };
    let platform = match q.platform.as_deref() {
        None => None,
        Some("apple") => Some(Platform::Apple),
        Some("google") => Some(Platform::Google),
        Some(_) => {
            problems.push(FieldProblem::new("platform", "apple or google"));
            None
        }
    };
    if !problems.is_empty() {
        return Err(ApiError::problems(problems));
    }
    let data = connections::list(
        &state,
        &ConnectionQuery {
            after: q.starting_after,
            pass_id: q.pass_id,
            user_id: q.user_id,
            platform: platform.map(|p| {
                match p {
                    Platform::Apple => "apple",
                    Platform::Google => "google",
                }
                .to_owned()
            }),
            state: state_filter.map(|s| {
                match s {
                    ConnectionState::Active => "active",
                    ConnectionState::Failing => "failing",
                    ConnectionState::Removed => "removed",
                }
                .to_owned()
            }),
            limit: limit + 1,
        },
    )
    .await?;
    let (data, has_more, next) = page(data, limit, |c| c.id.clone());
    Ok(Json(ConnectionList {
        data: data.iter().map(connections::view).collect(),
        has_more,
        next_starting_after: next,
    }))
}

/// `GET /v1/connections/{id}`
#[utoipa::path(get, path = "/connections/{id}", tag = "connections", operation_id = "getConnection",
    summary = "Get a connection",
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 200, description = "The connection", body = ConnectionView),
        (status = 404, description = "No such connection"),
    ))]
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<ConnectionView>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(connections::view(
        &connections::get(&state, &id).await?,
    )))
}

/// `DELETE /v1/connections/{id}`
#[utoipa::path(delete, path = "/connections/{id}", tag = "connections", operation_id = "deleteConnection",
    summary = "Stop pushing to a connection (`connection.deleted`)",
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such connection"),
    ))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    connections::delete(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A push queued to one installation.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SyncQueued {
    /// The push.
    push_id: String,
    /// The connection.
    connection: ConnectionView,
}

/// `POST /v1/connections/{id}/sync`
#[utoipa::path(post, path = "/connections/{id}/sync", tag = "connections", operation_id = "syncConnection",
    summary = "Push to a connection now",
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 202, description = "The push is queued", body = SyncQueued),
        (status = 404, description = "No such connection"),
        (status = 409, description = "The connection is removed"),
    ))]
pub(crate) async fn sync(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let (push_id, c) = connections::sync(&state, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(SyncQueued {
            push_id,
            connection: connections::view(&c),
        }),
    )
        .into_response())
}
