//! Distribution links: one URL (`/l/{code}`) that gets a pass into
//! whichever wallet the person has — the `.pkpass` for Apple devices, a
//! redirect to the Google save URL for Android, a landing page with both
//! and a QR code elsewhere.
//!
//! Lifecycle: `pending → opened → issued → completed` (an Apple device
//! registered a pass the link issued) `| expired | revoked`. Each step sends
//! `link.opened`, `link.issued`, `link.completed` to subscribed endpoints and
//! to the link's own `webhookUrl` (a hidden endpoint with its own secret,
//! returned once at creation).

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::Engine as _;
use serde_json::{json, Value};
use sqlx::Row as _;

use super::auth::{Principal, Scope};
use super::db::{now_ms, StoreError};
use super::error::{ApiError, FieldProblem};
use super::passes::{create_pass, issue_record, parse_new};
use super::webhooks::{emit, Event};
use super::{rfc3339, AppState, Body};

/// Default lifetime of a link.
const DEFAULT_EXPIRES_SECS: i64 = 7 * 24 * 3600;

fn problem(pointer: &str, detail: impl Into<String>) -> FieldProblem {
    FieldProblem {
        pointer: pointer.to_owned(),
        detail: detail.into(),
    }
}

/// A stored link.
#[derive(Debug, Clone)]
struct Link {
    id: String,
    code: String,
    template_id: Option<String>,
    pass_id: Option<String>,
    custom_fields: Option<Value>,
    max_claims: i64,
    claims: i64,
    endpoint_id: Option<String>,
    return_url: Option<String>,
    external_id: Option<String>,
    status: String,
    expires_at: i64,
    created_at: i64,
}

const COLUMNS: &str =
    "id, code, template_id, pass_id, custom_fields, max_claims, claims, endpoint_id, \
                       return_url, external_id, status, expires_at, created_at";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Link, sqlx::Error> {
    let fields: Option<String> = r.try_get("custom_fields")?;
    Ok(Link {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        template_id: r.try_get("template_id")?,
        pass_id: r.try_get("pass_id")?,
        custom_fields: fields.and_then(|f| serde_json::from_str(&f).ok()),
        max_claims: r.try_get("max_claims")?,
        claims: r.try_get("claims")?,
        endpoint_id: r.try_get("endpoint_id")?,
        return_url: r.try_get("return_url")?,
        external_id: r.try_get("external_id")?,
        status: r.try_get("status")?,
        expires_at: r.try_get("expires_at")?,
        created_at: r.try_get("created_at")?,
    })
}

async fn load_by(state: &AppState, column: &str, value: &str) -> Result<Option<Link>, ApiError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE {column} = $1"
    )))
    .bind(value.to_owned())
    .fetch_optional(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .map_err(ApiError::from)
}

/// The link's status now (`expired` once past its time).
fn effective_status(l: &Link) -> &str {
    if l.status != "revoked" && l.status != "completed" && now_ms() >= l.expires_at {
        "expired"
    } else {
        &l.status
    }
}

async fn link_json(state: &AppState, l: &Link) -> Result<Value, ApiError> {
    let base = &state.inner.config.public_url;
    let rows = sqlx::query(
        "SELECT lp.pass_id, lp.platform, p.serial_number FROM link_passes lp \
         LEFT JOIN passes p ON p.id = lp.pass_id WHERE lp.link_id = $1 ORDER BY lp.created_at",
    )
    .bind(&l.id)
    .fetch_all(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    let passes: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "passId": r.try_get::<String, _>("pass_id").unwrap_or_default(),
                "platform": r.try_get::<String, _>("platform").unwrap_or_default(),
                "serialNumber": r.try_get::<Option<String>, _>("serial_number").unwrap_or_default(),
            })
        })
        .collect();
    Ok(json!({
        "id": l.id,
        "object": "link",
        "url": format!("{base}/l/{}", l.code),
        "qrCodeUrl": format!("{base}/l/{}/qr.png", l.code),
        "status": effective_status(l),
        "templateId": l.template_id,
        "passId": l.pass_id,
        "maxClaims": l.max_claims,
        "claims": l.claims,
        "externalId": l.external_id,
        "returnUrl": l.return_url,
        "expiresAt": rfc3339(l.expires_at),
        "createdAt": rfc3339(l.created_at),
        "passes": passes,
    }))
}

/// `POST /v1/links`
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Body(body): Body,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let obj = body.as_object().cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let allowed = [
        "templateId",
        "customFields",
        "passId",
        "maxClaims",
        "webhookUrl",
        "returnUrl",
        "expiresIn",
        "externalId",
    ];
    for k in obj.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(problem(
            &format!("/{k}"),
            format!("unknown member; allowed: {}", allowed.join(", ")),
        ));
    }
    let text = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_owned);
    let template_id = text("templateId");
    let pass_id = text("passId");
    match (&template_id, &pass_id) {
        (Some(_), Some(_)) | (None, None) => errors.push(problem(
            "/templateId",
            "give templateId (with customFields: each claim issues a pass) or passId (the link hands out that pass)",
        )),
        (Some(t), None) => {
            // The fields must make a valid pass now, not at the first claim.
            let probe = json!({"templateId": t, "customFields": obj.get("customFields").cloned().unwrap_or(json!({}))});
            match parse_new(&state, &probe, "probe".into()) {
                Err(e) => errors.extend(e.errors),
                Ok((record, template)) => {
                    if let Err(fields) = template.schema().validate(&record.custom_fields) {
                        errors.extend(fields.into_iter().map(|f| {
                            problem(
                                &format!("/customFields/{}", crate::model::diag::pointer_segment(&f.field)),
                                f.message,
                            )
                        }));
                    }
                }
            }
        }
        (None, Some(p)) => {
            if state.inner.store.pass(p).await?.is_none() {
                errors.push(problem("/passId", "no such pass"));
            }
        }
    }
    let max_claims = match obj.get("maxClaims") {
        None => 1,
        Some(v) => match v.as_i64().filter(|n| (1..=1_000_000).contains(n)) {
            Some(n) => n,
            None => {
                errors.push(problem("/maxClaims", "an integer from 1 to 1,000,000"));
                1
            }
        },
    };
    let expires_in = match obj.get("expiresIn") {
        None => DEFAULT_EXPIRES_SECS,
        Some(v) => match v.as_i64().filter(|n| (60..=365 * 24 * 3600).contains(n)) {
            Some(n) => n,
            None => {
                errors.push(problem("/expiresIn", "seconds, 60 to one year"));
                DEFAULT_EXPIRES_SECS
            }
        },
    };
    let webhook_url = text("webhookUrl");
    if let Some(u) = &webhook_url {
        if let Err(e) =
            super::webhooks::check_url(u, state.inner.config.webhooks.allow_private_networks)
        {
            errors.push(problem("/webhookUrl", e));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(
            format!("the link has {} problem(s); see errors", errors.len()),
            errors,
        ));
    }
    let now = now_ms();
    let id = format!("lnk_{}", uuid::Uuid::now_v7().simple());
    let mut raw = [0u8; 18];
    openssl::rand::rand_bytes(&mut raw).map_err(|e| ApiError::internal(&e))?;
    let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(ApiError::from)?;
    let (endpoint_id, secret) = match &webhook_url {
        Some(u) => {
            let (eid, secret) =
                super::webhooks::insert_endpoint(&mut tx, u, &[], Some(&format!("link {id}")))
                    .await?;
            (Some(eid), Some(secret))
        }
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO links (id, code, template_id, pass_id, custom_fields, max_claims, claims, endpoint_id, \
         return_url, external_id, status, expires_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, 'pending', $10, $11, $11)",
    )
    .bind(&id)
    .bind(&code)
    .bind(template_id)
    .bind(pass_id)
    .bind(obj.get("customFields").map(Value::to_string))
    .bind(max_claims)
    .bind(endpoint_id)
    .bind(text("returnUrl"))
    .bind(text("externalId"))
    .bind(now + expires_in * 1000)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    tx.commit().await.map_err(ApiError::from)?;
    let link = load_by(&state, "id", &id)
        .await?
        .ok_or_else(|| ApiError::internal(&"a new link vanished"))?;
    let mut v = link_json(&state, &link).await?;
    if let Some(s) = secret {
        v["webhookSecret"] = s.into();
    }
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// `GET /v1/links/{id}`: the source of truth.
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    let l = load_by(&state, "id", &id)
        .await?
        .ok_or_else(|| ApiError::not_found("link", &id))?;
    Ok(Json(link_json(&state, &l).await?))
}

/// `GET /v1/links`: newest 100.
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links ORDER BY id DESC LIMIT 100"
    )))
    .fetch_all(state.inner.store.pool())
    .await
    .map_err(ApiError::from)?;
    let mut data = Vec::new();
    for r in &rows {
        data.push(link_json(&state, &from_row(r).map_err(ApiError::from)?).await?);
    }
    Ok(Json(json!({"data": data})))
}

/// `POST /v1/links/{id}/revoke`
pub(crate) async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Write)?;
    sqlx::query("UPDATE links SET status = 'revoked', updated_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(&id)
        .execute(state.inner.store.pool())
        .await
        .map_err(ApiError::from)?;
    let l = load_by(&state, "id", &id)
        .await?
        .ok_or_else(|| ApiError::not_found("link", &id))?;
    Ok(Json(link_json(&state, &l).await?))
}

/// Moves a link to `to` (if it is in one of `from`) and sends `event` to
/// subscribers and the link's own endpoint, in one transaction.
async fn advance(
    state: &AppState,
    l: &Link,
    from: &[&str],
    to: &str,
    event: &'static str,
    result: Value,
) -> Result<(), ApiError> {
    let mut tx = state
        .inner
        .store
        .pool()
        .begin()
        .await
        .map_err(ApiError::from)?;
    let list = from
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE links SET status = $1, updated_at = $2 WHERE id = $3 AND status IN ({list})"
    )))
    .bind(to)
    .bind(now_ms())
    .bind(&l.id)
    .execute(&mut *tx)
    .await
    .map_err(ApiError::from)?;
    if done.rows_affected() > 0 {
        let data = json!({
            "event": event, "linkId": l.id, "status": to, "result": result, "error": null,
            "timestamp": rfc3339(now_ms()), "externalId": l.external_id,
        });
        let e = Event::new(event, data);
        emit(&mut tx, &e, None).await?;
        if let Some(own) = &l.endpoint_id {
            emit_to_own(&mut tx, &e, own).await?;
        }
    }
    tx.commit().await.map_err(ApiError::from)?;
    state.inner.deliveries_due.notify_one();
    Ok(())
}

/// Queues a delivery of an already written event to the link's own endpoint.
async fn emit_to_own(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    e: &Event,
    endpoint: &str,
) -> Result<(), StoreError> {
    super::webhooks::insert_delivery_for(tx, endpoint, &e.id, e.created_at).await
}

/// Called when an Apple device registers `pass_id`: the links that issued
/// it are completed.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn pass_installed(
    state: &AppState,
    pass_id: &str,
    platform: &str,
) -> Result<(), ApiError> {
    let rows = sqlx::query("SELECT DISTINCT link_id FROM link_passes WHERE pass_id = $1")
        .bind(pass_id)
        .fetch_all(state.inner.store.pool())
        .await
        .map_err(ApiError::from)?;
    for r in rows {
        let link_id: String = r.try_get("link_id").map_err(ApiError::from)?;
        if let Some(l) = load_by(state, "id", &link_id).await? {
            let serial = state
                .inner
                .store
                .pass(pass_id)
                .await?
                .map(|p| p.serial_number);
            advance(
                state,
                &l,
                &["pending", "opened", "issued"],
                "completed",
                "link.completed",
                json!({"passId": pass_id, "serialNumber": serial, "platform": platform}),
            )
            .await?;
        }
    }
    Ok(())
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title}</title></head><body style=\"font-family:sans-serif;max-width:32em;margin:3em auto;text-align:center\">{body}</body></html>"
    );
    (status, Html(html)).into_response()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A link that can be used now, or the page saying why not.
async fn usable(state: &AppState, code: &str) -> Result<Link, Response> {
    let l = match load_by(state, "code", code).await {
        Ok(Some(l)) => l,
        Ok(None) => {
            return Err(page(
                StatusCode::NOT_FOUND,
                "Not found",
                "<h1>This link does not exist</h1>",
            ))
        }
        Err(e) => return Err(e.into_response()),
    };
    let why = match effective_status(&l) {
        "expired" => Some("This link has expired."),
        "revoked" => Some("This link was withdrawn."),
        _ if l.template_id.is_some() && l.claims >= l.max_claims => {
            Some("This link has been used up.")
        }
        _ => None,
    };
    if let Some(why) = why {
        return Err(page(
            StatusCode::GONE,
            "Link no longer valid",
            &format!("<h1>{why}</h1><p>Ask the sender for a new one.</p>"),
        ));
    }
    Ok(l)
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

/// Issues (or, for a pass link, hands out) the link's pass for `platform`.
async fn claim(state: &AppState, l: &Link, platform: &str) -> Result<Response, ApiError> {
    advance(
        state,
        l,
        &["pending"],
        "opened",
        "link.opened",
        json!({"platform": platform}),
    )
    .await?;
    let pass = match (&l.template_id, &l.pass_id) {
        (_, Some(pid)) => state
            .inner
            .store
            .pass(pid)
            .await?
            .ok_or_else(|| ApiError::not_found("pass", pid))?,
        (Some(t), None) => {
            // Take a claim first: two people cannot both take the last one.
            let taken = sqlx::query("UPDATE links SET claims = claims + 1, updated_at = $1 WHERE id = $2 AND claims < max_claims")
                .bind(now_ms())
                .bind(&l.id)
                .execute(state.inner.store.pool())
                .await
                .map_err(ApiError::from)?;
            if taken.rows_affected() == 0 {
                return Ok(page(
                    StatusCode::GONE,
                    "Link no longer valid",
                    "<h1>This link has been used up.</h1>",
                ));
            }
            let body = json!({"templateId": t, "customFields": l.custom_fields.clone().unwrap_or(json!({}))});
            let (record, template) = parse_new(state, &body, uuid::Uuid::now_v7().to_string())?;
            create_pass(state, record, template).await?.0
        }
        (None, None) => return Err(ApiError::internal(&"a link without template or pass")),
    };
    sqlx::query("INSERT INTO link_passes (link_id, pass_id, platform, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(&l.id)
        .bind(&pass.id)
        .bind(platform)
        .bind(now_ms())
        .execute(state.inner.store.pool())
        .await
        .map_err(ApiError::from)?;
    let result =
        json!({"passId": pass.id, "serialNumber": pass.serial_number, "platform": platform});
    advance(
        state,
        l,
        &["pending", "opened", "issued"],
        "issued",
        "link.issued",
        result,
    )
    .await?;
    let template = state.inner.templates.live(&pass.template_id)?;
    if platform == "apple" {
        let issued = issue_record(state, template, &pass, true, false).await?;
        Ok((
            [(header::CONTENT_TYPE, "application/vnd.apple.pkpass")],
            super::passes::pkpass_bytes(&issued)?,
        )
            .into_response())
    } else {
        let issued = issue_record(state, template, &pass, false, true).await?;
        let g = issued
            .google
            .ok_or_else(|| ApiError::internal(&"Google Wallet is not configured"))?;
        Ok((StatusCode::FOUND, [(header::LOCATION, g.save.url)]).into_response())
    }
}

/// `GET /l/{code}`: by User-Agent.
pub(crate) async fn open(
    State(state): State<AppState>,
    UrlPath(code): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let l = match usable(&state, &code).await {
        Ok(l) => l,
        Err(r) => return r,
    };
    match platform(&headers) {
        Some(p) => claim(&state, &l, p)
            .await
            .unwrap_or_else(IntoResponse::into_response),
        None => {
            if let Err(e) = advance(
                &state,
                &l,
                &["pending"],
                "opened",
                "link.opened",
                json!({"platform": null}),
            )
            .await
            {
                return e.into_response();
            }
            landing(&state, &l).await
        }
    }
}

/// `GET /l/{code}/apple`
pub(crate) async fn open_apple(
    State(state): State<AppState>,
    UrlPath(code): UrlPath<String>,
) -> Response {
    match usable(&state, &code).await {
        Ok(l) => claim(&state, &l, "apple")
            .await
            .unwrap_or_else(IntoResponse::into_response),
        Err(r) => r,
    }
}

/// `GET /l/{code}/google`
pub(crate) async fn open_google(
    State(state): State<AppState>,
    UrlPath(code): UrlPath<String>,
) -> Response {
    match usable(&state, &code).await {
        Ok(l) => claim(&state, &l, "google")
            .await
            .unwrap_or_else(IntoResponse::into_response),
        Err(r) => r,
    }
}

/// `GET /l/{code}/qr.png`: the QR code of the link's URL.
pub(crate) async fn qr(State(state): State<AppState>, UrlPath(code): UrlPath<String>) -> Response {
    if load_by(&state, "code", &code)
        .await
        .ok()
        .flatten()
        .is_none()
    {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "<h1>This link does not exist</h1>",
        );
    }
    let url = format!("{}/l/{code}", state.inner.config.public_url);
    match qr_png(&url) {
        Ok(png) => ([(header::CONTENT_TYPE, "image/png")], png).into_response(),
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

/// A PNG QR code of `text`.
///
/// # Errors
/// When the text does not fit a QR code or the PNG cannot be written.
pub fn qr_png(text: &str) -> Result<Vec<u8>, String> {
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

async fn landing(state: &AppState, l: &Link) -> Response {
    let template_id = match (&l.template_id, &l.pass_id) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(p)) => state
            .inner
            .store
            .pass(p)
            .await
            .ok()
            .flatten()
            .map(|p| p.template_id),
        _ => None,
    };
    let (org, description) = template_id
        .and_then(|t| state.inner.templates.live(&t).ok())
        .map(|t| {
            let pj = t.pass_json();
            let get = |k: &str| pj.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            (get("organizationName"), get("description"))
        })
        .unwrap_or_default();
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

/// Moves a link's expiry into the past. For tests of expiry; returns
/// whether a link was changed.
///
/// # Errors
/// [`StoreError`].
#[doc(hidden)]
pub async fn expire_for_test(store: &super::Store, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE links SET expires_at = $1 WHERE id = $2")
        .bind(now_ms() - 1000)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}
