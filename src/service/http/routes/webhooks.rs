//! `/v1/webhooks`: endpoints (create, list, get, delete), their
//! deliveries, a redelivery and a test event.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{check_limit, page};
use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::webhooks::{self, DeliveryView, WebhookView};
use crate::service::error::ApiError;
use crate::service::http::extract::{Checked, Params};
use crate::service::state::AppState;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, delete))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
        .routes(routes!(test))
}

/// A new endpoint.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://hooks.example.com/passforge", "events": ["pass.created", "pass.updated"], "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}))]
pub(crate) struct WebhookCreate {
    /// The https URL to POST events to.
    #[schema(format = "uri")]
    url: String,
    /// The event types it receives.
    #[schema(min_items = 1, value_type = Vec<EventType>)]
    events: Vec<String>,
    /// Free text.
    description: Option<String>,
    /// The signing secret, when the client chooses it (else one is
    /// generated): `whsec_` and the base64 of the key (Standard Webhooks),
    /// or any other text, whose UTF-8 bytes are the key. At least 24 bytes
    /// of key.
    #[schema(min_length = 24, max_length = 256)]
    secret: Option<String>,
}

/// An event type.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // the schema of `WebhookCreate::events`; values are checked by domain::webhooks
pub(crate) enum EventType {
    /// A pass was created.
    #[schema(rename = "pass.created")]
    PassCreated,
    /// A pass has a new version.
    #[schema(rename = "pass.updated")]
    PassUpdated,
    /// A pass was voided.
    #[schema(rename = "pass.voided")]
    PassVoided,
    /// A pass was deleted.
    #[schema(rename = "pass.deleted")]
    PassDeleted,
    /// A pass was redeemed (at the door, or from an offline gate's upload).
    #[schema(rename = "pass.redeemed")]
    PassRedeemed,
    /// A pass's counters (points, balance, stamps) were adjusted.
    #[schema(rename = "pass.adjusted")]
    PassAdjusted,
    /// A holder signed up from Wallet (Apple Rewards Enrollment): the pass
    /// has a new version with their answers, and a user.
    #[schema(rename = "pass.personalized")]
    PassPersonalized,
    /// A template folder appeared.
    #[schema(rename = "template.created")]
    TemplateCreated,
    /// A live template has a new version.
    #[schema(rename = "template.updated")]
    TemplateUpdated,
    /// A wallet installed a pass.
    #[schema(rename = "connection.created")]
    ConnectionCreated,
    /// An installation was removed.
    #[schema(rename = "connection.deleted")]
    ConnectionDeleted,
    /// A user was created.
    #[schema(rename = "user.created")]
    UserCreated,
    /// A user was deleted.
    #[schema(rename = "user.deleted")]
    UserDeleted,
    /// A link was opened.
    #[schema(rename = "link.opened")]
    LinkOpened,
    /// A link handed out a pass.
    #[schema(rename = "link.issued")]
    LinkIssued,
    /// A wallet installed a pass a link handed out.
    #[schema(rename = "link.completed")]
    LinkCompleted,
}

/// `POST /v1/webhooks`
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", operation_id = "createWebhook",
    summary = "Create an endpoint (its signing secret is in the answer, once)",
    request_body = WebhookCreate,
    responses(
        (status = 201, description = "The endpoint, with its secret", body = WebhookView),
        (status = 422, description = "Every problem, located"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<WebhookCreate>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    // The URL's own problem is reported with the body's other problems.
    let raw = body.raw();
    let more = raw
        .get("url")
        .and_then(serde_json::Value::as_str)
        .and_then(|u| webhooks::url_problem(&state, u))
        .into_iter()
        .chain(
            raw.get("secret")
                .and_then(serde_json::Value::as_str)
                .and_then(webhooks::secret_problem),
        )
        .collect();
    let b = body.typed_with(more)?;
    let v = webhooks::create(
        &state,
        &b.url,
        &b.events,
        b.description.as_deref(),
        b.secret.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The endpoints.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct WebhookList {
    /// In id order.
    data: Vec<WebhookView>,
}

/// `GET /v1/webhooks`
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", operation_id = "listWebhooks",
    summary = "List endpoints",
    responses((status = 200, description = "The endpoints", body = WebhookList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<WebhookList>, ApiError> {
    principal.require(Scope::Admin)?;
    let data = webhooks::list(&state)
        .await?
        .iter()
        .map(webhooks::view)
        .collect();
    Ok(Json(WebhookList { data }))
}

/// `GET /v1/webhooks/{id}`
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", operation_id = "getWebhook",
    summary = "Get an endpoint",
    params(("id" = String, Path, description = "The endpoint id")),
    responses(
        (status = 200, description = "The endpoint", body = WebhookView),
        (status = 404, description = "No such endpoint"),
    ))]
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<WebhookView>, ApiError> {
    principal.require(Scope::Admin)?;
    Ok(Json(webhooks::view(&webhooks::get(&state, &id).await?)))
}

/// `DELETE /v1/webhooks/{id}`
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    summary = "Delete an endpoint and its waiting deliveries",
    params(("id" = String, Path, description = "The endpoint id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint"),
    ))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Admin)?;
    webhooks::delete(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of the deliveries list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct DeliveriesQuery {
    /// Per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `nextStartingAfter` of the previous page.
    starting_after: Option<String>,
}

/// A page of deliveries.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeliveryList {
    /// Oldest first.
    data: Vec<DeliveryView>,
    /// Whether more follow.
    has_more: bool,
    /// Pass it as `startingAfter` for the next page.
    next_starting_after: Option<String>,
}

/// `GET /v1/webhooks/{id}/deliveries`
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listDeliveries",
    summary = "An endpoint's deliveries, oldest first, a page at a time",
    params(("id" = String, Path, description = "The endpoint id"), DeliveriesQuery),
    responses(
        (status = 200, description = "A page", body = DeliveryList),
        (status = 404, description = "No such endpoint"),
        (status = 422, description = "`limit` out of range"),
    ))]
pub(crate) async fn deliveries(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Params(q): Params<DeliveriesQuery>,
) -> Result<Json<DeliveryList>, ApiError> {
    principal.require(Scope::Admin)?;
    let limit = check_limit(q.limit, 100)?;
    let after = q.starting_after.unwrap_or_default();
    let rows = webhooks::deliveries(&state, &id, &after, i64::from(limit) + 1).await?;
    let (rows, has_more, next) = page(rows, limit, |d| d.id.clone());
    Ok(Json(DeliveryList {
        data: rows.iter().map(webhooks::delivery_view).collect(),
        has_more,
        next_starting_after: next,
    }))
}

/// A delivery queued.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Redelivery {
    /// The new delivery.
    id: String,
    /// Its event.
    event_id: String,
    /// `pending`.
    status: &'static str,
}

/// `POST /v1/webhooks/{id}/deliveries/{delivery}/redeliver`
#[utoipa::path(post, path = "/webhooks/{id}/deliveries/{delivery}/redeliver", tag = "webhooks",
    operation_id = "redeliver",
    summary = "Deliver a delivery's event again, now",
    params(("id" = String, Path, description = "The endpoint id"), ("delivery" = String, Path, description = "The delivery id")),
    responses(
        (status = 202, description = "Queued", body = Redelivery),
        (status = 404, description = "No such endpoint or delivery"),
        (status = 409, description = "The endpoint is disabled"),
    ))]
pub(crate) async fn redeliver(
    State(state): State<AppState>,
    principal: Principal,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let (new, event) = webhooks::redeliver(&state, &id, &delivery).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Redelivery {
            id: new,
            event_id: event,
            status: "pending",
        }),
    )
        .into_response())
}

/// A test event queued.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TestQueued {
    /// The `webhook.test` event.
    event_id: String,
    /// Its delivery.
    delivery_id: Option<String>,
}

/// `POST /v1/webhooks/{id}/test`
#[utoipa::path(post, path = "/webhooks/{id}/test", tag = "webhooks", operation_id = "testWebhook",
    summary = "Send a `webhook.test` event to the endpoint",
    params(("id" = String, Path, description = "The endpoint id")),
    responses(
        (status = 202, description = "Queued", body = TestQueued),
        (status = 404, description = "No such endpoint"),
        (status = 409, description = "The endpoint is disabled"),
    ))]
pub(crate) async fn test(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let (event_id, delivery_id) = webhooks::test(&state, &id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(TestQueued {
            event_id,
            delivery_id,
        }),
    )
        .into_response())
}
