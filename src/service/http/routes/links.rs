//! Distribution links: `/v1/links` to create and follow them, and the
//! public `/l/{code}` pages people open: the `.pkpass` for Apple devices,
//! a redirect to the Google save URL for Android, a landing page with both
//! and a QR code elsewhere.
//!
//! A link that does not exist, has expired, was revoked or is used up is
//! answered 404 or 410: an HTML page to a browser (`Accept: text/html`),
//! problem+json otherwise.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{pkpass_answer, Binary};
use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::links::{self, LinkRow, LinkView, NewLink, Unusable};
use crate::service::domain::passes::{self, PassRecord};
use crate::service::domain::smartlinks;
use crate::service::error::ApiError;
use crate::service::http::extract::Checked;
use crate::service::http::problem::Problem;
use crate::service::state::AppState;

/// The `/v1` routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get))
        .routes(routes!(revoke))
}

/// The public pages.
pub(crate) fn pages() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open))
        .routes(routes!(open_apple))
        .routes(routes!(open_google))
        .routes(routes!(qr))
        .routes(routes!(smart))
}

/// A new link: `templateId` (each claim issues a pass with
/// `customFields`) or `passId` (the link hands out that pass).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LinkCreate {
    /// Each claim issues a pass of this template…
    template_id: Option<String>,
    /// …with these fields (checked now, not at the first claim).
    #[schema(value_type = Option<Object>)]
    custom_fields: Option<Map<String, Value>>,
    /// Or: the link hands out this pass.
    pass_id: Option<String>,
    /// Most claims, 1 to 1,000,000 (default 1).
    #[schema(minimum = 1, maximum = 1_000_000)]
    max_claims: Option<i64>,
    /// The link's own webhook: its events are posted there too (its
    /// secret is in the answer, once).
    #[schema(format = "uri")]
    webhook_url: Option<String>,
    /// Where the holder returns: `https://` (`http://` only to localhost,
    /// for development), at most 2,048 bytes.
    #[schema(format = "uri", max_length = 2048)]
    return_url: Option<String>,
    /// Lifetime in seconds, 60 to a year (default a week).
    #[schema(minimum = 60, maximum = 31_536_000)]
    expires_in: Option<i64>,
    /// Your id for the link.
    external_id: Option<String>,
}

/// `POST /v1/links`
#[utoipa::path(post, path = "/links", tag = "links", operation_id = "createLink",
    summary = "Create a distribution link (templateId + customFields, or passId)",
    request_body = LinkCreate,
    responses(
        (status = 201, description = "The link (with its webhook's secret, once)", body = LinkView),
        (status = 422, description = "Every problem, located"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<LinkCreate>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let b = body.typed()?;
    let link = links::create(
        &state,
        NewLink {
            template_id: b.template_id,
            custom_fields: b.custom_fields,
            pass_id: b.pass_id,
            max_claims: b.max_claims,
            webhook_url: b.webhook_url,
            return_url: b.return_url,
            expires_in: b.expires_in,
            external_id: b.external_id,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(link)).into_response())
}

/// The newest links.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LinkList {
    /// At most 100, newest first.
    data: Vec<LinkView>,
}

/// `GET /v1/links`
#[utoipa::path(get, path = "/links", tag = "links", operation_id = "listLinks",
    summary = "List links (the newest 100)",
    responses((status = 200, description = "The links", body = LinkList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<LinkList>, ApiError> {
    principal.require(Scope::Read)?;
    let mut data = Vec::new();
    for l in links::list(&state).await? {
        data.push(links::view(&state, &l).await?);
    }
    Ok(Json(LinkList { data }))
}

/// `GET /v1/links/{id}`
#[utoipa::path(get, path = "/links/{id}", tag = "links", operation_id = "getLink",
    summary = "A link: its status and the passes it issued",
    params(("id" = String, Path, description = "The link id")),
    responses(
        (status = 200, description = "The link", body = LinkView),
        (status = 404, description = "No such link"),
    ))]
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<LinkView>, ApiError> {
    principal.require(Scope::Read)?;
    let l = links::get(&state, &id).await?;
    Ok(Json(links::view(&state, &l).await?))
}

/// `POST /v1/links/{id}/revoke`
#[utoipa::path(post, path = "/links/{id}/revoke", tag = "links", operation_id = "revokeLink",
    summary = "Revoke a link",
    params(("id" = String, Path, description = "The link id")),
    responses(
        (status = 200, description = "The revoked link", body = LinkView),
        (status = 404, description = "No such link"),
    ))]
pub(crate) async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<LinkView>, ApiError> {
    principal.require(Scope::Write)?;
    let l = links::revoke(&state, &id).await?;
    Ok(Json(links::view(&state, &l).await?))
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:3em auto;text-align:center\">{body}</body></html>"
    );
    (status, PAGE_HEADERS, Html(html)).into_response()
}

/// Headers of every link page: the link's code is in its URL, so no
/// referrer carries it elsewhere and no cache keeps the page; the page
/// loads nothing but its own QR code.
const PAGE_HEADERS: [(header::HeaderName, &str); 4] = [
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether the caller is a browser that asked for HTML.
fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// The answer for a link that cannot be used: a page to a browser,
/// problem+json otherwise.
fn unusable(why: Unusable, headers: &HeaderMap) -> Response {
    let (status, code) = match why {
        Unusable::NotFound => (StatusCode::NOT_FOUND, "link_not_found"),
        Unusable::Expired => (StatusCode::GONE, "link_expired"),
        Unusable::Revoked => (StatusCode::GONE, "link_revoked"),
        Unusable::UsedUp => (StatusCode::GONE, "link_used_up"),
    };
    if wants_html(headers) {
        match why {
            Unusable::NotFound => {
                page(status, "Not found", &format!("<h1>{}</h1>", why.sentence()))
            }
            _ => page(
                status,
                "Link no longer valid",
                &format!(
                    "<h1>{}</h1><p>Ask the sender for a new one.</p>",
                    why.sentence()
                ),
            ),
        }
    } else {
        ApiError::new(status, code, why.sentence()).into_response()
    }
}

/// Which wallet the User-Agent belongs to.
fn platform(headers: &HeaderMap) -> Option<&'static str> {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let ios = ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod");
    let mac_safari = ua.contains("Macintosh")
        && ua.contains("Safari")
        && !ua.contains("Chrome")
        && !ua.contains("Firefox");
    if ua.contains("Android") {
        Some("google")
    } else if ios || mac_safari {
        Some("apple")
    } else {
        None
    }
}

/// Issues (or hands out) the link's pass into `platform`'s wallet.
async fn claim(
    state: &AppState,
    l: &LinkRow,
    platform: &'static str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if platform == "google" && state.inner.config.google.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "provider_not_configured",
            "Google Wallet is not configured on this server",
        ));
    }
    let pass = match links::claim(state, l, platform).await? {
        Ok(p) => p,
        Err(why) => return Ok(unusable(why, headers)),
    };
    deliver(state, &pass, platform).await
}

/// A pass into `platform`'s wallet: the `.pkpass` for Apple, a redirect to
/// its Google save link otherwise (409 without Google configured).
async fn deliver(
    state: &AppState,
    pass: &PassRecord,
    platform: &str,
) -> Result<Response, ApiError> {
    if platform == "apple" {
        Ok(pkpass_answer(
            passes::pkpass(state, pass).await?,
            HeaderMap::new(),
        ))
    } else {
        let g = passes::google_save(state, pass).await?;
        Ok((StatusCode::FOUND, [(header::LOCATION, g.save.url)]).into_response())
    }
}

/// A landing page: the pass's organization and description, a link for
/// each wallet and a QR code for a phone.
async fn landing(state: &AppState, l: &LinkRow) -> Response {
    let (org, description) = links::landing(state, l).await;
    let code = &l.code;
    page(
        StatusCode::OK,
        &escape(&org),
        &format!(
            "<h1>{}</h1><p>{}</p>\
             <p><a href=\"/l/{code}/apple\">Add to Apple Wallet</a></p>\
             <p><a href=\"/l/{code}/google\">Add to Google Wallet</a></p>\
             <p><img src=\"/l/{code}/qr.png\" alt=\"QR code of this page\" width=\"240\" height=\"240\"></p>\
             <p>Scan with your phone to add it there.</p>",
            escape(&org),
            escape(&description)
        ),
    )
}

/// `GET /l/{code}`
#[utoipa::path(get, path = "/l/{code}", tag = "links", operation_id = "openLink",
    summary = "Open a link: the .pkpass for Apple devices, a redirect to Google for Android, a landing page otherwise (by User-Agent)",
    params(("code" = String, Path, description = "The link's code")),
    responses(
        (status = 200, description = "The landing page, or the pass for an Apple device",
            content((String = "text/html"), (Binary = "application/vnd.apple.pkpass"))),
        (status = 302, description = "To the Google save URL (Android)", headers(("Location" = String))),
        (status = 404, description = "No such link", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 409, description = "Google Wallet is not configured on this server"),
        (status = 410, description = "Expired, revoked or used up", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 422, description = "The link's pass no longer makes a valid pass"),
    ))]
pub(crate) async fn open(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let l = match links::usable(&state, &code).await? {
        Ok(l) => l,
        Err(why) => return Ok(unusable(why, &headers)),
    };
    match platform(&headers) {
        Some(p) => claim(&state, &l, p, &headers).await,
        None => {
            links::opened(&state, &l).await?;
            Ok(landing(&state, &l).await)
        }
    }
}

/// `GET /l/{code}/apple`
#[utoipa::path(get, path = "/l/{code}/apple", tag = "links", operation_id = "openLinkApple",
    summary = "Open a link for Apple Wallet",
    params(("code" = String, Path, description = "The link's code")),
    responses(
        (status = 200, description = "The pass", content_type = "application/vnd.apple.pkpass", body = Binary),
        (status = 404, description = "No such link", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 410, description = "Expired, revoked or used up", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 422, description = "The link's pass no longer makes a valid pass"),
    ))]
pub(crate) async fn open_apple(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    match links::usable(&state, &code).await? {
        Ok(l) => claim(&state, &l, "apple", &headers).await,
        Err(why) => Ok(unusable(why, &headers)),
    }
}

/// `GET /l/{code}/google`
#[utoipa::path(get, path = "/l/{code}/google", tag = "links", operation_id = "openLinkGoogle",
    summary = "Open a link for Google Wallet (302 to the save URL)",
    params(("code" = String, Path, description = "The link's code")),
    responses(
        (status = 302, description = "To the Google save URL", headers(("Location" = String))),
        (status = 404, description = "No such link", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 409, description = "Google Wallet is not configured on this server"),
        (status = 410, description = "Expired, revoked or used up", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 422, description = "The link's pass cannot be mapped to Google Wallet"),
    ))]
pub(crate) async fn open_google(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    match links::usable(&state, &code).await? {
        Ok(l) => claim(&state, &l, "google", &headers).await,
        Err(why) => Ok(unusable(why, &headers)),
    }
}

/// `GET /l/{code}/qr.png`
#[utoipa::path(get, path = "/l/{code}/qr.png", tag = "links", operation_id = "linkQrCode",
    summary = "The QR code of a link",
    params(("code" = String, Path, description = "The link's code")),
    responses(
        (status = 200, description = "A PNG", content_type = "image/png", body = Binary),
        (status = 404, description = "No such link", content((String = "text/html"), (Problem = "application/problem+json"))),
    ))]
pub(crate) async fn qr(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if !links::exists(&state, &code).await? {
        return Ok(unusable(Unusable::NotFound, &headers));
    }
    let url = format!("{}/l/{code}", state.inner.config.public_url);
    let png = qr_png(&url).map_err(|e| ApiError::internal(&e))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// A PNG QR code of `text`.
///
/// # Errors
/// When the text does not fit a QR code or the PNG cannot be written.
pub(crate) fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    let img = code
        .render::<image::Luma<u8>>()
        .min_dimensions(240, 240)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The fixed parameters of a smart link (its `f.<field>` and `u.<field>`
/// values are named by the template's fields; see the README's format).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // documents the query; `smartlink::parse` reads it
pub(crate) struct SmartQuery {
    /// The link id: one pass per template and link id.
    #[param(pattern = "^[A-Za-z0-9._~-]{1,128}$")]
    lid: String,
    /// The link-signing key's id.
    #[param(min_length = 1, max_length = 200)]
    kid: String,
    /// base64url HMAC-SHA256 of the canonical string, no padding.
    #[param(pattern = "^[A-Za-z0-9_-]{43}$")]
    sig: String,
    /// Expiry, Unix seconds.
    exp: Option<i64>,
    /// Which wallet to serve (the landing page's buttons; not signed).
    #[param(value_type = Option<String>, pattern = "^(apple|google)$")]
    wallet: Option<String>,
}

/// `GET /s/{template}`
#[utoipa::path(get, path = "/s/{template}", tag = "links", operation_id = "openSmartLink",
    summary = "Open a signed smart link (minted offline; see the README's format): the pass is made on the first open, once per link id, and served like /l/{code}",
    params(("template" = String, Path, description = "The template id"), SmartQuery),
    responses(
        (status = 200, description = "The landing page, or the pass for an Apple device",
            content((String = "text/html"), (Binary = "application/vnd.apple.pkpass"))),
        (status = 302, description = "To the Google save link (Android)"),
        (status = 400, description = "Unreadable, or an unsigned field the template does not take (`bad_link`)"),
        (status = 403, description = "Changed, or signed with an unknown or revoked key (`link_signature`)"),
        (status = 404, description = "No such template"),
        (status = 409, description = "The link id was opened with other values (`link_values_changed`)"),
        (status = 410, description = "Expired (`link_expired`)"),
        (status = 422, description = "Values that make no valid pass, located as query parameters (`f.seat`)"),
    ))]
pub(crate) async fn smart(
    State(state): State<AppState>,
    Path(template): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect();
    let wallet = pairs
        .iter()
        .find(|(k, _)| k == "wallet")
        .map(|(_, v)| v.as_str());
    let pass = match smartlinks::open(&state, &template, &pairs).await {
        Ok(p) => p,
        Err(e) if wants_html(&headers) && e.status.is_client_error() => {
            let title = if e.status == StatusCode::GONE {
                "Link expired"
            } else {
                "This link cannot be used"
            };
            let mut body = format!("<h1>{title}</h1><p>{}</p>", escape(&e.detail));
            for p in &e.errors {
                body.push_str(&format!(
                    "<p>{}: {}</p>",
                    escape(&p.pointer),
                    escape(&p.detail)
                ));
            }
            return Ok(page(e.status, title, &body));
        }
        Err(e) => return Err(e),
    };
    let platform = match wallet {
        Some("apple") => Some("apple"),
        Some("google") => Some("google"),
        _ => platform(&headers),
    };
    match platform {
        Some(p) => deliver(&state, &pass, p).await,
        None => {
            let here = format!("/s/{template}?{}", query_of(&pairs));
            let (org, description) = smartlinks::texts(&state, &pass);
            Ok(page(
                StatusCode::OK,
                &escape(&org),
                &format!(
                    "<h1>{}</h1><p>{}</p>\
                     <p><a href=\"{}&amp;wallet=apple\">Add to Apple Wallet</a></p>\
                     <p><a href=\"{}&amp;wallet=google\">Add to Google Wallet</a></p>",
                    escape(&org),
                    escape(&description),
                    escape(&here),
                    escape(&here)
                ),
            ))
        }
    }
}

/// A query string of decoded pairs, `wallet` left out.
fn query_of(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(k, _)| k != "wallet"))
        .finish()
}
