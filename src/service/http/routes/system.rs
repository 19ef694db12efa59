//! The service itself: health, readiness, metrics, the API document, the
//! wallet providers, and Google Wallet's callbacks.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::domain::callbacks;
use crate::service::domain::keys::{Principal, Scope};
use crate::service::error::ApiError;
use crate::service::state::AppState;

/// The public routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(google_callbacks))
}

/// The `/v1` routes.
pub(crate) fn v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(providers))
}

/// A status.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Status {
    /// `ok` or `ready`.
    status: &'static str,
}

/// `GET /healthz`
#[utoipa::path(get, path = "/healthz", tag = "service", operation_id = "healthz",
    summary = "Liveness",
    responses((status = 200, description = "Alive", body = Status)))]
pub(crate) async fn healthz() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// `GET /readyz`
#[utoipa::path(get, path = "/readyz", tag = "service", operation_id = "readyz",
    summary = "Readiness: the database answers",
    responses(
        (status = 200, description = "Ready", body = Status),
        (status = 503, description = "The database is unreachable"),
    ))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    match state.inner.store.ping().await {
        Ok(()) => Ok(Json(Status { status: "ready" })),
        Err(e) => {
            tracing::warn!(error = %e, "database unreachable");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "not_ready",
                "the database is unreachable",
            ))
        }
    }
}

/// `GET /metrics`
#[utoipa::path(get, path = "/metrics", tag = "service", operation_id = "metrics",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Text exposition format 0.0.4", content_type = "text/plain", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let mut res = state.inner.metrics.render().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    res
}

/// `GET /openapi.json`
#[utoipa::path(get, path = "/openapi.json", tag = "service", operation_id = "openapi",
    summary = "This document (OpenAPI 3.1)",
    responses((status = 200, description = "The document", body = Object)))]
pub(crate) async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::service::http::openapi::json().to_owned(),
    )
        .into_response()
}

/// The key that signed a callback, signed by one of Google's root keys.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IntermediateSigningKey {
    /// The key (JSON text: `keyValue`, `keyExpiration`).
    #[allow(dead_code)]
    signed_key: String,
    /// Its signatures by Google's root keys.
    #[allow(dead_code)]
    signatures: Vec<String>,
}

/// A Google Wallet callback (`ECv2SigningOnly`).
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Callback {
    /// The message's signature by the intermediate key.
    #[allow(dead_code)]
    signature: String,
    /// The intermediate signing key.
    #[allow(dead_code)]
    intermediate_signing_key: IntermediateSigningKey,
    /// `ECv2SigningOnly`.
    #[allow(dead_code)]
    protocol_version: String,
    /// The message (JSON text: `eventType`, `objectId`, `nonce`, `expTimeMillis`, …).
    #[allow(dead_code)]
    signed_message: String,
}

/// `POST /google/callbacks`
#[utoipa::path(post, path = "/google/callbacks", tag = "google", operation_id = "googleCallback",
    summary = "Google Wallet save/delete callbacks (ECv2SigningOnly)",
    request_body = Callback,
    responses(
        (status = 200, description = "Received (replays and unknown objects too)"),
        (status = 422, description = "Not a callback"),
        (status = 401, description = "The callback does not verify"),
        (status = 404, description = "Callbacks are not configured on this server"),
    ))]
pub(crate) async fn google_callbacks(
    State(state): State<AppState>,
    body: crate::service::http::extract::Checked<Callback>,
) -> Result<StatusCode, ApiError> {
    let raw = body.raw().clone();
    body.typed()?;
    callbacks::receive(&state, &raw).await?;
    Ok(StatusCode::OK)
}

/// A wallet provider.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Provider {
    /// `apple` or `google`.
    id: &'static str,
    /// Whether this server is set up for it.
    configured: bool,
    /// What it does for a pass: `issue`, `update`, `void`.
    operations: Vec<&'static str>,
    /// The shape of each operation's result.
    #[schema(value_type = Object)]
    result_schema: Value,
    /// Apple: whether the signing certificate is the test one.
    #[serde(skip_serializing_if = "Option::is_none")]
    test_certificate: Option<bool>,
    /// Apple: the pass type identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pass_type_identifier: Option<String>,
    /// Apple: the team identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    team_identifier: Option<String>,
    /// Apple: when the certificate expires.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    certificate_expires: Option<String>,
    /// Apple: the web service URL written into passes.
    #[serde(rename = "webServiceURL", skip_serializing_if = "Option::is_none")]
    web_service_url: Option<Option<String>>,
    /// Google: whether the service account is the test one.
    #[serde(skip_serializing_if = "Option::is_none")]
    test_service_account: Option<Option<bool>>,
    /// Google: the issuer id.
    #[serde(skip_serializing_if = "Option::is_none")]
    issuer_id: Option<Option<String>>,
}

/// The providers.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ProviderList {
    /// Apple, then Google.
    data: Vec<Provider>,
}

/// `GET /v1/providers`
#[utoipa::path(get, path = "/providers", tag = "service", operation_id = "listProviders",
    summary = "Wallet providers: configuration, operations, result schemas",
    responses((status = 200, description = "The providers", body = ProviderList)))]
pub(crate) async fn providers(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<ProviderList>, ApiError> {
    principal.require(Scope::Read)?;
    let cfg = &state.inner.config;
    let cert = cfg.identity.cert_info();
    let google = cfg.google.as_ref();
    let apple = Provider {
        id: "apple",
        configured: true,
        operations: vec!["issue", "update", "void"],
        result_schema: json!({
            "issue": {
                "type": "string",
                "contentMediaType": "application/vnd.apple.pkpass",
                "description": "GET /v1/passes/{id}/download: the signed .pkpass of the pass's current version"
            }
        }),
        test_certificate: Some(cert.is_test),
        pass_type_identifier: Some(cfg.identity.pass_type_id().as_str().to_owned()),
        team_identifier: Some(cfg.identity.team_id().as_str().to_owned()),
        certificate_expires: Some(cert.not_after.to_rfc3339()),
        web_service_url: Some(cfg.web_service_url.clone()),
        test_service_account: None,
        issuer_id: None,
    };
    let google = Provider {
        id: "google",
        configured: google.is_some(),
        operations: if google.is_some() {
            vec!["issue", "update", "void"]
        } else {
            Vec::new()
        },
        result_schema: json!({
            "issue": {
                "type": "object",
                "required": ["saveUrl", "objectId", "classId"],
                "properties": {
                    "saveUrl": {"type": "string", "format": "uri", "description": "https://pay.google.com/gp/v/save/<JWT>"},
                    "objectId": {"type": "string"},
                    "classId": {"type": "string"}
                }
            }
        }),
        test_certificate: None,
        pass_type_identifier: None,
        team_identifier: None,
        certificate_expires: None,
        web_service_url: None,
        test_service_account: Some(google.map(|g| g.service_account.is_test())),
        issuer_id: Some(google.map(|g| g.issuer_id.as_str().to_owned())),
    };
    Ok(Json(ProviderList {
        data: vec![apple, google],
    }))
}
