//! `/v1/users`: the people who hold passes, their tokens; and `/v1/me/…`,
//! what a user token reaches (and nothing else).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::passes::download_answer;
use super::Binary;
use crate::service::clock::rfc3339;
use crate::service::domain::connections::{self, ConnectionQuery, ConnectionView};
use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::users::{
    self, UserTokenView, UserView, DEFAULT_TOKEN_SECS, MAX_TOKEN_SECS,
};
use crate::service::error::ApiError;
use crate::service::http::extract::{Checked, Params};
use crate::service::state::AppState;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create))
        .routes(routes!(get, delete))
        .routes(routes!(create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(my_passes))
        .routes(routes!(my_download))
        .routes(routes!(my_connections))
}

/// A new user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"externalId": "customer-1234"}))]
pub(crate) struct UserCreate {
    /// Your app's id for the person, 1 to 200 characters (unique).
    #[schema(min_length = 1, max_length = 200)]
    external_id: String,
}

/// `POST /v1/users`
#[utoipa::path(post, path = "/users", tag = "users", operation_id = "createUser",
    summary = "Create a user",
    request_body = UserCreate,
    responses(
        (status = 201, description = "The user", body = UserView),
        (status = 409, description = "A user with this externalId exists"),
        (status = 422, description = "No externalId, or a bad one"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<UserCreate>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let b = body.typed()?;
    let u = users::create(&state, &b.external_id).await?;
    Ok((StatusCode::CREATED, Json(u)).into_response())
}

/// `GET /v1/users/{id}`
#[utoipa::path(get, path = "/users/{id}", tag = "users", operation_id = "getUser",
    summary = "Get a user",
    params(("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 404, description = "No such user"),
    ))]
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<UserView>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(users::get(&state, &id).await?))
}

/// What happens to a deleted user's passes.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) enum PassesParam {
    /// Keep them, without a user.
    Detach,
    /// Delete them.
    Delete,
}

/// Query of `DELETE /v1/users/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeleteQuery {
    /// `detach` (default) or `delete`.
    #[param(value_type = Option<PassesParam>, inline)]
    passes: Option<String>,
}

/// `DELETE /v1/users/{id}`
#[utoipa::path(delete, path = "/users/{id}", tag = "users", operation_id = "deleteUser",
    summary = "Delete a user: their tokens are revoked, their passes detached or deleted",
    params(("id" = String, Path, description = "The user id"), DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such user"),
        (status = 422, description = "An unknown `passes`"),
    ))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Params(q): Params<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    let passes = match q.passes.as_deref() {
        None | Some("detach") => PassesParam::Detach,
        Some("delete") => PassesParam::Delete,
        Some(_) => {
            return Err(ApiError::problems(vec![
                crate::service::error::FieldProblem::new(
                    "passes",
                    "detach (keep the passes, without a user) or delete",
                ),
            ]))
        }
    };
    users::delete(&state, &id, matches!(passes, PassesParam::Delete)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new user token.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TokenCreate {
    /// Lifetime in seconds, 60 to 90 days (default a day).
    #[schema(minimum = 60, maximum = 7_776_000)]
    expires_in: Option<i64>,
}

/// `POST /v1/users/{id}/tokens`
#[utoipa::path(post, path = "/users/{id}/tokens", tag = "users", operation_id = "createUserToken",
    summary = "A user-scoped token (it reaches /v1/me/… only), shown once",
    params(("id" = String, Path, description = "The user id")),
    request_body(content = Option<TokenCreate>, description = "Optional: without a body the token lives a day"),
    responses(
        (status = 201, description = "The token", body = UserTokenView),
        (status = 404, description = "No such user"),
        (status = 422, description = "`expiresIn` out of range"),
    ))]
pub(crate) async fn create_token(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Option<Checked<TokenCreate>>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let b = match body {
        Some(b) => b.typed()?,
        None => TokenCreate::default(),
    };
    let secs = b.expires_in.unwrap_or(DEFAULT_TOKEN_SECS);
    if !(60..=MAX_TOKEN_SECS).contains(&secs) {
        return Err(ApiError::problems(vec![
            crate::service::error::FieldProblem::new(
                "/expiresIn",
                format!("seconds, 60 to {MAX_TOKEN_SECS}"),
            ),
        ]));
    }
    let t = users::create_token(&state, &id, secs).await?;
    Ok((StatusCode::CREATED, Json(t)).into_response())
}

/// `DELETE /v1/users/{id}/tokens/{token}`
#[utoipa::path(delete, path = "/users/{id}/tokens/{token}", tag = "users", operation_id = "revokeUserToken",
    summary = "Revoke a user token",
    params(("id" = String, Path, description = "The user id"), ("token" = String, Path, description = "The token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such live token of this user"),
    ))]
pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, token)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    users::revoke_token(&state, &id, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn me(principal: &Principal) -> Result<&str, ApiError> {
    principal.user_id.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "user_token_required",
            "/v1/me/… is for user tokens (POST /v1/users/{id}/tokens)",
        )
    })
}

/// One of the user's passes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MyPass {
    /// The pass id.
    id: String,
    /// Always `pass`.
    object: &'static str,
    /// Its template.
    template_id: String,
    /// Its serial number.
    serial_number: String,
    /// `active` or `voided`.
    status: &'static str,
    /// Its version.
    version: i64,
    /// When the current version was made.
    #[schema(format = DateTime)]
    updated_at: String,
}

/// The user's passes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct MyPasses {
    /// At most 100, oldest first.
    data: Vec<MyPass>,
}

/// `GET /v1/me/passes`
#[utoipa::path(get, path = "/me/passes", tag = "me", operation_id = "myPasses",
    summary = "The user's own passes (user tokens only)",
    responses(
        (status = 200, description = "The passes", body = MyPasses),
        (status = 403, description = "Not a user token"),
    ))]
pub(crate) async fn my_passes(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<MyPasses>, ApiError> {
    let user = me(&principal)?;
    let data = users::passes(&state, user)
        .await?
        .iter()
        .map(|p| MyPass {
            id: p.id.clone(),
            object: "pass",
            template_id: p.template_id.clone(),
            serial_number: p.serial_number.clone(),
            status: p.status.as_str(),
            version: p.version,
            updated_at: rfc3339(p.updated_at),
        })
        .collect();
    Ok(Json(MyPasses { data }))
}

/// `GET /v1/me/passes/{id}/download`
#[utoipa::path(get, path = "/me/passes/{id}/download", tag = "me", operation_id = "myPassDownload",
    summary = "One of the user's passes, signed (another user's is 404)",
    params(("id" = String, Path, description = "The pass id")),
    responses(
        (status = 200, description = "The pass", content_type = "application/vnd.apple.pkpass", body = Binary),
        (status = 304, description = "Not changed since"),
        (status = 403, description = "Not a user token"),
        (status = 404, description = "No such pass of this user"),
        (status = 422, description = "Its template has errors and no earlier valid version"),
    ))]
pub(crate) async fn my_download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let user = me(&principal)?;
    let pass = users::pass(&state, user, &id).await?;
    download_answer(&state, &pass, &headers).await
}

/// The wallets the user's passes are installed in.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct MyConnections {
    /// At most 100, oldest first.
    data: Vec<ConnectionView>,
}

/// `GET /v1/me/connections`
#[utoipa::path(get, path = "/me/connections", tag = "me", operation_id = "myConnections",
    summary = "The wallets the user's passes are installed in (user tokens only)",
    responses(
        (status = 200, description = "The connections", body = MyConnections),
        (status = 403, description = "Not a user token"),
    ))]
pub(crate) async fn my_connections(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<MyConnections>, ApiError> {
    let user = me(&principal)?.to_owned();
    let data = connections::list(
        &state,
        &ConnectionQuery {
            user_id: Some(user),
            limit: 100,
            ..ConnectionQuery::default()
        },
    )
    .await?
    .iter()
    .map(connections::view)
    .collect();
    Ok(Json(MyConnections { data }))
}
