//! Batch jobs: `POST /v1/passes/batch` queues one, `GET /v1/jobs/{id}`
//! shows its progress and item errors, `GET /v1/jobs/{id}/download`
//! streams a zip of its passes.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Binary;
use crate::service::domain::jobs::{self, JobView};
use crate::service::domain::keys::{Principal, Scope};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::http::extract::Checked;
use crate::service::state::AppState;

/// Largest batch request body.
pub(crate) const MAX_BATCH_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(create))
                .layer(axum::extract::DefaultBodyLimit::max(MAX_BATCH_BODY_BYTES)),
        )
        .routes(routes!(get))
        .routes(routes!(download))
}

/// One pass of a batch (a new pass without its template: the job's
/// applies).
#[derive(Debug, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct BatchItem {
    /// Its serial number (random when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")]
    serial_number: Option<String>,
    /// Field → value, or `{value, label}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    custom_fields: Option<Map<String, Value>>,
    /// Replaces the template's `relevantDate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    relevant_date: Option<String>,
    /// Replaces the template's `expirationDate`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    /// Your app's user it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
}

/// A batch of passes of one template.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "templateId": "event-ticket",
    "items": [
        {"customFields": {"attendee": "Ada Lovelace", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"}},
        {"customFields": {"attendee": "Grace Hopper", "seat": "A2", "doorsOpen": "2027-06-12T19:00:00+01:00"}}
    ]
}))]
pub(crate) struct BatchCreate {
    /// The template of every item.
    template_id: String,
    /// The passes, 1 to 10,000. An item that fails does not stop the
    /// others: the job lists its problems.
    #[schema(min_items = 1, max_items = 10000)]
    items: Vec<BatchItem>,
}

/// `POST /v1/passes/batch`
#[utoipa::path(post, path = "/passes/batch", tag = "jobs", operation_id = "createBatch",
    summary = "Queue a batch job; any instance sharing the database issues its chunks",
    request_body = BatchCreate,
    responses(
        (status = 202, description = "Queued", body = JobView),
        (status = 422, description = "Every problem of the body, located"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<BatchCreate>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let mut more = Vec::new();
    if let Some(id) = body.raw().get("templateId").and_then(Value::as_str) {
        if let Err(e) = state.inner.templates.live(id) {
            more.push(FieldProblem::new("/templateId", e.detail));
        }
    }
    let b = body.typed_with(more)?;
    let items: Vec<Value> = b
        .items
        .iter()
        .map(|i| serde_json::to_value(i).unwrap_or_default())
        .collect();
    let job = jobs::create(&state, &b.template_id, &items).await?;
    Ok((StatusCode::ACCEPTED, Json(job)).into_response())
}

/// `GET /v1/jobs/{id}`
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", operation_id = "getJob",
    summary = "A job's progress and item errors",
    params(("id" = String, Path, description = "The job id")),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 404, description = "No such job"),
    ))]
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<JobView>, ApiError> {
    principal.require(Scope::Read)?;
    Ok(Json(jobs::get(&state, &id).await?))
}

/// `GET /v1/jobs/{id}/download`
#[utoipa::path(get, path = "/jobs/{id}/download", tag = "jobs", operation_id = "downloadJob",
    summary = "A zip of the job's passes (`<serialNumber>.pkpass`, signed from their stored versions)",
    params(("id" = String, Path, description = "The job id")),
    responses(
        (status = 200, description = "The zip", content_type = "application/zip", body = Binary),
        (status = 404, description = "No such job"),
        (status = 409, description = "The job has not completed yet"),
        (status = 422, description = "A pass of the job no longer makes a valid pass with its template's current version (the template changed since)"),
    ))]
pub(crate) async fn download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let file = jobs::zip(&state, &id).await?;
    let len = file.metadata().map_err(|e| ApiError::internal(&e))?.len();
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let headers = [
        (header::CONTENT_TYPE, "application/zip".to_owned()),
        (header::CONTENT_LENGTH, len.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{id}.zip\""),
        ),
    ];
    Ok((headers, axum::body::Body::from_stream(stream)).into_response())
}
