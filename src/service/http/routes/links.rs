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
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::landing::{self, escape, page, Targets};
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
        .routes(routes!(exchange))
}

/// The public pages.
pub(crate) fn pages() -> OpenApiRouter<AppState> {
    let pages = OpenApiRouter::new()
        .routes(routes!(open))
        .routes(routes!(open_apple))
        .routes(routes!(open_google))
        .routes(routes!(qr))
        .routes(routes!(back))
        .routes(routes!(smart));
    #[cfg(feature = "preview")]
    let pages = pages.routes(routes!(picture));
    pages
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
    /// Or: the link hands out these passes together (an order's tickets):
    /// a `.pkpasses` bundle on iPhone, one Google save link on Android, a
    /// list on a desktop.
    #[schema(min_items = 2, max_items = 10)]
    pass_ids: Option<Vec<String>>,
    /// The user the passes of a template link belong to (with templateId).
    user_id: Option<String>,
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
            pass_ids: b.pass_ids,
            user_id: b.user_id,
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

/// Issues (or hands out) the link's passes into `platform`'s wallet.
async fn claim(
    state: &AppState,
    l: &LinkRow,
    platform: &'static str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    if platform == "google" && state.inner.config.google.is_none() {
        return Err(passes::google_not_configured());
    }
    let handed = match links::claim(state, l, platform).await? {
        Ok(p) => p,
        Err(why) => return Ok(unusable(why, headers)),
    };
    match handed.as_slice() {
        [one] => deliver(state, one, platform).await,
        many => deliver_many(state, many, platform).await,
    }
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
            &passes::pkpass(state, pass).await?,
            HeaderMap::new(),
        ))
    } else {
        let g = passes::google_save(state, pass).await?;
        Ok((StatusCode::FOUND, [(header::LOCATION, g.save.url)]).into_response())
    }
}

/// Several passes at once: a `.pkpasses` bundle for Apple; for Google one
/// save link holding every object, or, when that would pass Google's link
/// budget, naming objects inserted over REST first.
async fn deliver_many(
    state: &AppState,
    many: &[PassRecord],
    platform: &str,
) -> Result<Response, ApiError> {
    if platform == "apple" {
        let bundle = passes::pkpasses(state, many).await?;
        return Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/vnd.apple.pkpasses"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"passes.pkpasses\"",
                ),
            ],
            bundle,
        )
            .into_response());
    }
    let mapped = passes::google_passes(state, many).await?;
    let mut save = passes::google_save_many(state, &mapped, false)?;
    if save.url.len() > crate::google::MAX_SAVE_URL_CHARS && state.inner.config.google_api.enabled {
        crate::service::delivery::google::insert(state, &mapped)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "cannot insert Google objects for a multi-pass link");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "google_unavailable",
                    "Google Wallet did not take the passes just now; try the link again in a minute",
                )
            })?;
        save = passes::google_save_many(state, &mapped, true)?;
    }
    Ok((StatusCode::FOUND, [(header::LOCATION, save.url)]).into_response())
}

/// The landing page of a link: each pass, both badges, the QR code; while
/// a link with a `returnUrl` waits for the wallet, it looks again every
/// few seconds (`/l/{code}/return`).
async fn landing(state: &AppState, l: &LinkRow, headers: &HeaderMap) -> Response {
    let view = links::landing(state, l, &landing::prefs(headers)).await;
    let code = &l.code;
    let lang = view
        .lang
        .as_ref()
        .map_or_else(String::new, |l| format!("&lang={l}"));
    let pictures = if cfg!(feature = "preview") {
        (0..view.items.len())
            .map(|i| format!("/l/{code}/picture.png?n={i}{lang}"))
            .collect()
    } else {
        Vec::new()
    };
    landing::landing_page(
        &view,
        &Targets {
            apple: format!("/l/{code}/apple"),
            google: format!("/l/{code}/google"),
            qr: Some(format!("/l/{code}/qr.png")),
            pictures,
            refresh: l.return_url.as_ref().map(|_| format!("/l/{code}/return")),
        },
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
        // A link that returns to an app keeps its page open on the phone
        // too, to take the holder back once the pass is in the wallet.
        Some(p) if l.return_url.is_none() => claim(&state, &l, p, &headers).await,
        _ => {
            links::opened(&state, &l).await?;
            Ok(landing(&state, &l, &headers).await)
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
            let (organization, description) = smartlinks::texts(&state, &pass);
            let view = links::Landing {
                lang: None,
                items: vec![links::LandingItem {
                    organization,
                    description,
                }],
            };
            Ok(landing::landing_page(
                &view,
                &Targets {
                    apple: format!("{here}&wallet=apple"),
                    google: format!("{here}&wallet=google"),
                    qr: None,
                    pictures: Vec::new(),
                    refresh: None,
                },
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

/// `GET /l/{code}/return`
#[utoipa::path(get, path = "/l/{code}/return", tag = "links", operation_id = "returnFromLink",
    summary = "Back to the link's returnUrl with a one-time code once a wallet has a pass the link handed out; until then a page that looks again every few seconds",
    params(("code" = String, Path, description = "The link's code")),
    responses(
        (status = 200, description = "Waiting for the wallet (the landing page, refreshing)", content_type = "text/html", body = String),
        (status = 302, description = "To returnUrl with ?code= (good once, for ten minutes: exchange it with POST /v1/links/{id}/exchange)", headers(("Location" = String))),
        (status = 404, description = "No such link, or it has no returnUrl", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 410, description = "Expired or revoked", content((String = "text/html"), (Problem = "application/problem+json"))),
    ))]
pub(crate) async fn back(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // A used-up template link still returns its holder.
    let l = match links::shown(&state, &code).await? {
        Ok(l) => l,
        Err(why) => return Ok(unusable(why, &headers)),
    };
    let Some(return_url) = l.return_url.clone() else {
        return Ok(unusable(Unusable::NotFound, &headers));
    };
    match links::return_code(&state, &l).await? {
        Some(one_time) => Ok((
            StatusCode::FOUND,
            landing::PAGE_HEADERS,
            [(header::LOCATION, links::return_to(&return_url, &one_time))],
        )
            .into_response()),
        None => Ok(landing(&state, &l, &headers).await),
    }
}

/// A one-time code to exchange.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CodeExchange {
    /// The `code` your returnUrl received.
    #[schema(min_length = 1, max_length = 200)]
    code: String,
}

/// `POST /v1/links/{id}/exchange`
#[utoipa::path(post, path = "/links/{id}/exchange", tag = "links", operation_id = "exchangeLinkCode",
    summary = "Exchange the one-time code a link's returnUrl received (once, within ten minutes) for the passes, their connections and a token of their user",
    params(("id" = String, Path, description = "The link id")),
    request_body = CodeExchange,
    responses(
        (status = 200, description = "What the holder did", body = links::ExchangeView),
        (status = 404, description = "No such link, or no such code for it (`code_not_found`)"),
        (status = 410, description = "Exchanged before (`code_used`) or older than ten minutes (`code_expired`)"),
    ))]
pub(crate) async fn exchange(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Checked<CodeExchange>,
) -> Result<Json<links::ExchangeView>, ApiError> {
    principal.require(Scope::Write)?;
    let b = body.typed()?;
    Ok(Json(links::exchange(&state, &id, &b.code).await?))
}

/// Query of `GET /l/{code}/picture.png`.
#[cfg(feature = "preview")]
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PictureQuery {
    /// Which of the link's passes, from 0 (default 0).
    #[param(minimum = 0, maximum = 9)]
    n: Option<usize>,
    /// A localization of the template (one of its `.lproj` folders).
    lang: Option<String>,
}

/// `GET /l/{code}/picture.png`
#[cfg(feature = "preview")]
#[utoipa::path(get, path = "/l/{code}/picture.png", tag = "links", operation_id = "linkPicture",
    summary = "A picture of a link's pass as Wallet shows it (the landing page's)",
    params(("code" = String, Path, description = "The link's code"), PictureQuery),
    responses(
        (status = 200, description = "A PNG", content_type = "image/png", body = Binary),
        (status = 400, description = "A language the template does not have"),
        (status = 404, description = "No such link or pass", content((String = "text/html"), (Problem = "application/problem+json"))),
        (status = 410, description = "Expired or revoked", content((String = "text/html"), (Problem = "application/problem+json"))),
    ))]
pub(crate) async fn picture(
    State(state): State<AppState>,
    Path(code): Path<String>,
    crate::service::http::extract::Params(q): crate::service::http::extract::Params<PictureQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Shown on the page of a used-up link too (its holder waiting to return).
    let l = match links::shown(&state, &code).await? {
        Ok(l) => l,
        Err(why) => return Ok(unusable(why, &headers)),
    };
    let png = links::picture(&state, &l, q.n.unwrap_or(0), q.lang).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        png,
    )
        .into_response())
}
