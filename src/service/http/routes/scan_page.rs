//! `/scan`: the door page for staff with a scan-scoped key (files in
//! `assets/scan/`, built into the binary): codes from a USB scanner, the
//! keyboard or the camera (BarcodeDetector) go to `POST /v1/scans`, and
//! the answer is big green or red, in words, with a sound.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::docs::cached_as;
use crate::service::error::ApiError;
use crate::service::state::AppState;

const PAGE: &str = include_str!("../../../../assets/scan/scan.html");
const SCRIPT: &str = include_str!("../../../../assets/scan/scan.js");

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(page))
        .routes(routes!(script))
}

/// An ETag of the page and its script together, made once.
fn etag() -> &'static str {
    static TAG: OnceLock<String> = OnceLock::new();
    TAG.get_or_init(|| {
        let digest =
            <sha1::Sha1 as sha1::Digest>::digest([PAGE.as_bytes(), SCRIPT.as_bytes()].concat());
        format!("\"scan-{}\"", crate::model::hex(&digest))
    })
}

/// `GET /scan`
#[utoipa::path(get, path = "/scan", tag = "door", operation_id = "scanPage",
    summary = "The door page: log in with a scan key, scan or type codes, see a green or red answer",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
pub(crate) async fn page(headers: HeaderMap) -> Response {
    cached_as(
        etag(),
        "text/html; charset=utf-8",
        PAGE.as_bytes(),
        &headers,
    )
}

/// `GET /scan/{file}`
#[utoipa::path(get, path = "/scan/{file}", tag = "door", operation_id = "scanPageAsset",
    summary = "A file of the door page",
    params(("file" = String, Path, description = "scan.js")),
    responses(
        (status = 200, description = "The file", content_type = "text/javascript", body = String),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such file"),
    ))]
pub(crate) async fn script(
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    match file.as_str() {
        "scan.js" => Ok(cached_as(
            etag(),
            "text/javascript; charset=utf-8",
            SCRIPT.as_bytes(),
            &headers,
        )),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such file of the door page; the page is /scan",
        )),
    }
}
