//! Apple's PassKit web service, under `/apple` (the `webServiceURL` of
//! every pass the service issues). Apple's protocol fixes these routes and
//! their answers: 201/200 for registrations, 204 when no serial changed,
//! 304 for an unchanged pass, 401 for a wrong token or an unknown pass.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{http_date, not_modified_since, pkpass_answer, Binary};
use crate::service::domain::{apple, passes};
use crate::service::error::ApiError;
use crate::service::http::extract::{Checked, Params};
use crate::service::state::AppState;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register, unregister))
        .routes(routes!(serials))
        .routes(routes!(latest))
        .routes(routes!(personalize))
        .routes(routes!(log))
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
}

/// A registration.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Registration {
    /// The device's APNs token for this pass type.
    #[schema(min_length = 1, max_length = 200)]
    push_token: String,
}

/// `POST /apple/v1/devices/{device}/registrations/{passTypeId}/{serial}`
#[utoipa::path(post, path = "/v1/devices/{device}/registrations/{passTypeId}/{serial}",
    tag = "apple", operation_id = "registerDevice",
    summary = "Register a device for a pass's updates",
    params(
        ("device" = String, Path, description = "The device library identifier"),
        ("passTypeId" = String, Path, description = "The pass type identifier"),
        ("serial" = String, Path, description = "The serial number"),
        ("Authorization" = String, Header, description = "`ApplePass <authenticationToken>`"),
    ),
    request_body = Registration,
    responses(
        (status = 200, description = "Already registered (its push token updated)"),
        (status = 201, description = "Registered"),
        (status = 400, description = "The body is not `{\"pushToken\": \"…\"}`"),
        (status = 401, description = "A wrong or missing token, or an unknown pass"),
    ))]
pub(crate) async fn register(
    State(state): State<AppState>,
    Path((device, pass_type_id, serial)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<StatusCode, ApiError> {
    let pass =
        apple::authorized_pass(&state, authorization(&headers), &pass_type_id, &serial).await?;
    // Apple's protocol answers a bad body 400 (not this API's 422).
    let token = serde_json::from_slice::<Registration>(&body)
        .ok()
        .map(|r| r.push_token)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            ApiError::bad_request(
                "bad_registration",
                "the body must be {\"pushToken\": \"…\"}",
            )
        })?;
    let created = apple::register(&state, &device, &pass, &token).await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    })
}

/// `DELETE /apple/v1/devices/{device}/registrations/{passTypeId}/{serial}`
#[utoipa::path(delete, path = "/v1/devices/{device}/registrations/{passTypeId}/{serial}",
    tag = "apple", operation_id = "unregisterDevice",
    summary = "Unregister a device (200 also when there was nothing to remove)",
    params(
        ("device" = String, Path, description = "The device library identifier"),
        ("passTypeId" = String, Path, description = "The pass type identifier"),
        ("serial" = String, Path, description = "The serial number"),
        ("Authorization" = String, Header, description = "`ApplePass <authenticationToken>`"),
    ),
    responses(
        (status = 200, description = "Unregistered"),
        (status = 401, description = "A wrong or missing token, or an unknown pass"),
    ))]
pub(crate) async fn unregister(
    State(state): State<AppState>,
    Path((device, pass_type_id, serial)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let pass =
        apple::authorized_pass(&state, authorization(&headers), &pass_type_id, &serial).await?;
    apple::unregister(&state, &device, &pass).await?;
    Ok(StatusCode::OK)
}

/// Query of the serial-numbers route.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct SinceQuery {
    /// The `lastUpdated` tag of the previous answer.
    passes_updated_since: Option<String>,
}

/// Serial numbers that changed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SerialNumbers {
    /// The changed passes.
    serial_numbers: Vec<String>,
    /// The tag to send next time.
    last_updated: String,
}

/// `GET /apple/v1/devices/{device}/registrations/{passTypeId}`
#[utoipa::path(get, path = "/v1/devices/{device}/registrations/{passTypeId}",
    tag = "apple", operation_id = "changedSerials",
    summary = "The serial numbers of a device's passes that changed since a tag",
    params(
        ("device" = String, Path, description = "The device library identifier"),
        ("passTypeId" = String, Path, description = "The pass type identifier"),
        SinceQuery,
    ),
    responses(
        (status = 200, description = "Changed passes and a new tag", body = SerialNumbers),
        (status = 204, description = "None changed"),
    ))]
pub(crate) async fn serials(
    State(state): State<AppState>,
    Path((device, pass_type_id)): Path<(String, String)>,
    Params(q): Params<SinceQuery>,
) -> Result<Response, ApiError> {
    match apple::changed_serials(
        &state,
        &device,
        &pass_type_id,
        q.passes_updated_since.as_deref(),
    )
    .await?
    {
        Some((serial_numbers, last_updated)) => Ok(Json(SerialNumbers {
            serial_numbers,
            last_updated,
        })
        .into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `GET /apple/v1/passes/{passTypeId}/{serial}`
#[utoipa::path(get, path = "/v1/passes/{passTypeId}/{serial}",
    tag = "apple", operation_id = "latestPass",
    summary = "The latest version of a pass",
    params(
        ("passTypeId" = String, Path, description = "The pass type identifier"),
        ("serial" = String, Path, description = "The serial number"),
        ("Authorization" = String, Header, description = "`ApplePass <authenticationToken>`"),
        ("If-Modified-Since" = Option<String>, Header, description = "The Last-Modified of the version the device has"),
    ),
    responses(
        (status = 200, description = "The pass", content_type = "application/vnd.apple.pkpass", body = Binary,
            headers(("Last-Modified" = String))),
        (status = 304, description = "Not changed since"),
        (status = 401, description = "A wrong or missing token, or an unknown pass"),
        (status = 404, description = "The pass's template is gone"),
        (status = 422, description = "The pass's template has errors and no earlier valid version"),
    ))]
pub(crate) async fn latest(
    State(state): State<AppState>,
    Path((pass_type_id, serial)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pass =
        apple::authorized_pass(&state, authorization(&headers), &pass_type_id, &serial).await?;
    let secs = pass.updated_at.div_euclid(1000);
    let lm = HeaderValue::from_str(&http_date(secs * 1000)).map_err(|e| ApiError::internal(&e))?;
    if not_modified_since(&headers, secs) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::LAST_MODIFIED, lm)]).into_response());
    }
    let mut out = HeaderMap::new();
    out.insert(header::LAST_MODIFIED, lm);
    Ok(pkpass_answer(&passes::pkpass(&state, &pass).await?, out))
}

/// What Wallet posts when a holder signs up (Apple Rewards Enrollment).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Personalize {
    /// The holder's answers: `fullName`, `givenName`, `familyName`,
    /// `emailAddress`, `phoneNumber`, `postalCode`, `ISOCountryCode`.
    #[schema(value_type = Object)]
    required_personalization_info: serde_json::Map<String, serde_json::Value>,
    /// The token to sign.
    #[schema(min_length = 1, max_length = 4096)]
    personalization_token: String,
}

/// `POST /apple/v1/passes/{passTypeId}/{serial}/personalize`
#[utoipa::path(post, path = "/v1/passes/{passTypeId}/{serial}/personalize",
    tag = "apple", operation_id = "personalizePass",
    summary = "A holder signed up from Wallet (Rewards Enrollment): their answers fill the pass (a new version, without personalization.json) and a user; the answer is the token signed (detached PKCS#7, the pass certificate)",
    params(
        ("passTypeId" = String, Path, description = "The pass type identifier"),
        ("serial" = String, Path, description = "The serial number"),
        ("Authorization" = Option<String>, Header, description = "Wallet sends none; if sent, `ApplePass <authenticationToken>`"),
    ),
    request_body = Personalize,
    responses(
        (status = 200, description = "The signed token", content_type = "application/octet-stream", body = Binary),
        (status = 400, description = "The body is not Wallet's personalize request"),
        (status = 401, description = "An unknown pass, or a wrong token"),
        (status = 404, description = "The pass's template offers no sign-up (`not_personalizable`)"),
        (status = 409, description = "The pass changed meanwhile; Wallet retries"),
        (status = 422, description = "The answers make no valid pass (e.g. a name longer than the field takes)"),
    ))]
pub(crate) async fn personalize(
    State(state): State<AppState>,
    Path((pass_type_id, serial)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    // Apple's protocol answers a bad body 400 (not this API's 422).
    let b: Personalize = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_personalization",
            format!("the body must be {{\"requiredPersonalizationInfo\": {{…}}, \"personalizationToken\": \"…\"}}: {e}"),
        )
    })?;
    let signed = apple::personalize(
        &state,
        authorization(&headers),
        &pass_type_id,
        &serial,
        apple::Enrollment {
            token: b.personalization_token,
            info: b.required_personalization_info,
        },
    )
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], signed).into_response())
}

/// Log lines from a device.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Logs {
    /// The messages.
    logs: Vec<String>,
}

/// `POST /apple/v1/log`
#[utoipa::path(post, path = "/v1/log", tag = "apple", operation_id = "deviceLog",
    summary = "Log lines from a device (the newest 1,000 are kept)",
    request_body = Logs,
    responses(
        (status = 200, description = "Recorded"),
        (status = 422, description = "The body is not `{\"logs\": [\"…\"]}`"),
    ))]
pub(crate) async fn log(
    State(state): State<AppState>,
    body: Checked<Logs>,
) -> Result<StatusCode, ApiError> {
    let b = body.typed()?;
    apple::log(&state, &b.logs).await?;
    Ok(StatusCode::OK)
}
