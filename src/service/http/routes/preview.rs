//! Pictures as Wallet shows them: `GET /v1/templates/{id}/preview.png`
//! (sample or given values) and `GET /v1/passes/{id}/preview.png` (a
//! stored pass's current version), for dashboards, e-mails and designers.
//! Both carry an ETag of everything the picture depends on, so a client
//! (or a cache) asking again gets 304 without a render.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{none_match, Binary};
use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::passes;
use crate::service::domain::preview::{self, Look, Side};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::http::extract::Params;
use crate::service::state::AppState;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(template_preview))
        .routes(routes!(pass_preview))
}

/// Query of `GET /v1/passes/{id}/preview.png`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PictureQuery {
    /// `front` (default), `back` or `google` (the Google Wallet card).
    #[param(value_type = Option<Side>, inline)]
    side: Option<Side>,
    /// A localization of the template (one of its `.lproj` folders, e.g. `fr`).
    lang: Option<String>,
    /// Pixels per point, 1 to 3 (default 2).
    #[param(minimum = 1, maximum = 3)]
    scale: Option<u8>,
}

/// Query of `GET /v1/templates/{id}/preview.png`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct TemplatePictureQuery {
    /// `front` (default), `back` or `google` (the Google Wallet card).
    #[param(value_type = Option<Side>, inline)]
    side: Option<Side>,
    /// A localization of the template (one of its `.lproj` folders, e.g. `fr`).
    lang: Option<String>,
    /// Pixels per point, 1 to 3 (default 2).
    #[param(minimum = 1, maximum = 3)]
    scale: Option<u8>,
    /// The custom field values as a JSON object, e.g.
    /// `{"attendee":"Ada"}` (URL-encoded); default: the first row of the
    /// template's `sample.csv` or `sample.jsonl`.
    fields: Option<String>,
}

fn look(side: Option<Side>, lang: Option<String>, scale: Option<u8>) -> Look {
    Look {
        side: side.unwrap_or(Side::Front),
        lang,
        scale: scale.unwrap_or(2),
    }
}

/// An ETag for the picture of everything in `parts`.
fn etag(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let digest = h.finalize();
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// 304 when `headers` already hold `tag`; else the PNG `make` draws.
async fn answer(
    headers: &HeaderMap,
    tag: String,
    cache: &'static str,
    make: impl std::future::Future<Output = Result<Vec<u8>, ApiError>>,
) -> Result<Response, ApiError> {
    let mut out = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        out.insert(header::ETAG, v);
    }
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if none_match(headers, &tag) == Some(true) {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    let png = make.await?;
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    Ok((out, png).into_response())
}

/// `GET /v1/templates/{id}/preview.png`
#[utoipa::path(get, path = "/templates/{id}/preview.png", tag = "templates", operation_id = "previewTemplate",
    summary = "A picture of the template as Wallet shows it, filled with sample or given values",
    params(
        ("id" = String, Path, description = "The template id"),
        TemplatePictureQuery,
        ("If-None-Match" = Option<String>, Header, description = "The ETag of an earlier picture"),
    ),
    responses(
        (status = 200, description = "The picture", content_type = "image/png", body = Binary,
            headers(("ETag" = String, description = "Changes with the template's files and the query"), ("Cache-Control" = String))),
        (status = 304, description = "Not changed since"),
        (status = 400, description = "A malformed query"),
        (status = 404, description = "No such template"),
        (status = 409, description = "side=google and Google Wallet is not configured on this server"),
        (status = 422, description = "A bad query or values that make no valid pass: every problem, located (`fields/<key>` or `sample/<key>`)"),
    ))]
pub(crate) async fn template_preview(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Params(q): Params<TemplatePictureQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let entry = state
        .inner
        .templates
        .get(&id)
        .ok_or_else(|| ApiError::not_found("template", &id))?;
    let template = state.inner.templates.live(&id)?;
    let fields = match &q.fields {
        None => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => Some(m),
            Ok(_) => {
                return Err(ApiError::problems(vec![FieldProblem::new(
                    "fields",
                    "must be a JSON object of field values, e.g. {\"attendee\":\"Ada\"}",
                )]))
            }
            Err(e) => {
                return Err(ApiError::problems(vec![FieldProblem::new(
                    "fields",
                    format!("is not JSON: {e}"),
                )]))
            }
        },
    };
    let look = look(q.side, q.lang, q.scale);
    // The template's files (its fingerprint; the load time when unknown),
    // the sample (when used, it is one of those files) and the query.
    let version = entry
        .fingerprint
        .clone()
        .unwrap_or_else(|| entry.loaded_at.to_string());
    let tag = etag(&[
        "template",
        &id,
        &version,
        look.side.name(),
        look.lang.as_deref().unwrap_or(""),
        &look.scale.to_string(),
        &fields
            .as_ref()
            .map(|f| Value::Object(f.clone()).to_string())
            .unwrap_or_default(),
    ]);
    answer(
        &headers,
        tag,
        "private, max-age=60",
        preview::template_png(&state, template, &id, fields, look),
    )
    .await
}

/// `GET /v1/passes/{id}/preview.png`
#[utoipa::path(get, path = "/passes/{id}/preview.png", tag = "passes", operation_id = "previewPass",
    summary = "A picture of the pass's current version as Wallet shows it",
    params(
        ("id" = String, Path, description = "The pass id"),
        PictureQuery,
        ("If-None-Match" = Option<String>, Header, description = "The ETag of an earlier picture"),
    ),
    responses(
        (status = 200, description = "The picture", content_type = "image/png", body = Binary,
            headers(("ETag" = String, description = "Changes with the pass's version, its template and the query"), ("Cache-Control" = String))),
        (status = 304, description = "Not changed since"),
        (status = 400, description = "A malformed query"),
        (status = 404, description = "No such pass, or its template is gone"),
        (status = 409, description = "side=google and Google Wallet is not configured on this server"),
        (status = 422, description = "A bad query, or its template has errors and no earlier valid version"),
    ))]
pub(crate) async fn pass_preview(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Params(q): Params<PictureQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let p = passes::get(&state, &id).await?;
    let template_version = state
        .inner
        .templates
        .get(&p.template_id)
        .and_then(|e| e.fingerprint.or_else(|| Some(e.loaded_at.to_string())))
        .unwrap_or_default();
    let look = look(q.side, q.lang, q.scale);
    let tag = etag(&[
        "pass",
        &p.id,
        &p.version.to_string(),
        &template_version,
        look.side.name(),
        look.lang.as_deref().unwrap_or(""),
        &look.scale.to_string(),
    ]);
    answer(
        &headers,
        tag,
        "private, max-age=60",
        preview::pass_png(&state, &p, look),
    )
    .await
}
