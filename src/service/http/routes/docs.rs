//! `/docs`: an interactive reference of this service's `/openapi.json`,
//! drawn by Swagger UI 5.36.0 from files bundled in the binary
//! (`assets/swagger-ui/`), so it works offline and cannot drift from the
//! document it shows.

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::error::ApiError;
use crate::service::state::AppState;

const BUNDLE: &[u8] = include_bytes!("../../../../assets/swagger-ui/swagger-ui-bundle.js");
const CSS: &[u8] = include_bytes!("../../../../assets/swagger-ui/swagger-ui.css");
/// Changes with the bundled Swagger UI version and the page.
const ETAG: &str = "\"swagger-ui-5.36.0-1\"";

/// The page: Swagger UI on the document of the server that serves it (a
/// relative URL, so it works wherever the router is mounted behind a
/// proxy). No validator badge (it would call validator.swagger.io).
const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>passforge API reference</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<style>body{margin:0} .topbar{display:none}</style>
</head>
<body>
<div id="ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/init.js"></script>
</body>
</html>
"#;

const INIT: &str = r##"window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#ui",
  deepLinking: true,
  persistAuthorization: true,
  validatorUrl: null,
  tryItOutEnabled: true,
  displayRequestDuration: true
});
"##;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(page))
        .routes(routes!(asset))
}

fn cached(content_type: &'static str, body: &'static [u8], headers: &HeaderMap) -> Response {
    cached_as(ETAG, content_type, body, headers)
}

/// A file built into the binary, with its ETag (304 for a current copy).
pub(crate) fn cached_as(
    etag: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    headers: &HeaderMap,
) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, "public, max-age=3600"),
    ];
    if fresh {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (common, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// `GET /docs`
#[utoipa::path(get, path = "/docs", tag = "service", operation_id = "docs",
    summary = "The interactive API reference (Swagger UI, bundled; works offline)",
    responses(
        (status = 200, description = "The page", content_type = "text/html", body = String),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
pub(crate) async fn page(headers: HeaderMap) -> Response {
    cached("text/html; charset=utf-8", PAGE.as_bytes(), &headers)
}

/// `GET /docs/{file}`
#[utoipa::path(get, path = "/docs/{file}", tag = "service", operation_id = "docsAsset",
    summary = "A file of the API reference page",
    params(("file" = String, Path, description = "swagger-ui-bundle.js, swagger-ui.css or init.js")),
    responses(
        (status = 200, description = "The file", content_type = "text/javascript", body = String),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such file"),
    ))]
pub(crate) async fn asset(
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    Ok(match file.as_str() {
        "swagger-ui-bundle.js" => cached("text/javascript; charset=utf-8", BUNDLE, &headers),
        "swagger-ui.css" => cached("text/css; charset=utf-8", CSS, &headers),
        "init.js" => cached("text/javascript; charset=utf-8", INIT.as_bytes(), &headers),
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such file of the API reference; the page is /docs",
            ))
        }
    })
}
