//! `/v1/link-keys`: the keys customers sign smart links with (admin).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::smartlinks::{self, LinkKeyView};
use crate::service::error::ApiError;
use crate::service::http::extract::Checked;
use crate::service::state::AppState;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(revoke))
}

/// A new link-signing key.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "shop backend, 2027"}))]
pub(crate) struct LinkKeyCreate {
    /// What it is for.
    #[schema(max_length = 200)]
    description: Option<String>,
}

/// The link-signing keys.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LinkKeyList {
    /// Newest first (at most 100), without secrets.
    data: Vec<LinkKeyView>,
}

/// `POST /v1/link-keys`
#[utoipa::path(post, path = "/link-keys", tag = "links", operation_id = "createLinkKey",
    summary = "Make a link-signing key for smart links; its secret is in this answer only. Several can be live at once (rotation).",
    request_body(content = Option<LinkKeyCreate>, description = "Optional: a description"),
    responses(
        (status = 201, description = "The key with its secret", body = LinkKeyView),
        (status = 422, description = "A description that is too long"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Option<Checked<LinkKeyCreate>>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let b = match body {
        Some(b) => b.typed()?,
        None => LinkKeyCreate::default(),
    };
    let k = smartlinks::create_key(&state, b.description).await?;
    Ok((StatusCode::CREATED, Json(k)).into_response())
}

/// `GET /v1/link-keys`
#[utoipa::path(get, path = "/link-keys", tag = "links", operation_id = "listLinkKeys",
    summary = "The link-signing keys (no secrets)",
    responses((status = 200, description = "The keys", body = LinkKeyList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<LinkKeyList>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(LinkKeyList {
        data: smartlinks::list_keys(&state).await?,
    }))
}

/// `DELETE /v1/link-keys/{id}`
#[utoipa::path(delete, path = "/link-keys/{id}", tag = "links", operation_id = "revokeLinkKey",
    summary = "Revoke a link-signing key: links signed with it no longer open (403)",
    params(("id" = String, Path, description = "The key id (lk_…)")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No live key with this id"),
    ))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Admin)?;
    smartlinks::revoke_key(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
