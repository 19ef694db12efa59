//! `/v1/passes`: create, read, list, change, void, delete, download (signed
//! from the stored version) and the Google save link.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::auth::{Principal, Scope};
use super::db::{now_ms, PassQuery, PassRecord, PassStatus};
use super::error::{ApiError, FieldProblem};
use super::webhooks::Event;
use super::{rfc3339, AppState, Body};
use crate::issue::{IssueError, IssuedPass, Issuer, Stamp};
use crate::model::{AuthToken, SerialNumber};
use crate::template::{PassOverrides, RenderError, Template};

/// Most passes one list page returns.
const MAX_PAGE: u32 = 100;

fn problem(pointer: &str, detail: impl Into<String>) -> FieldProblem {
    FieldProblem {
        pointer: pointer.to_owned(),
        detail: detail.into(),
    }
}

/// Rejects keys of `body` not in `allowed`.
fn unknown_keys(body: &Map<String, Value>, allowed: &[&str], errors: &mut Vec<FieldProblem>) {
    for k in body.keys() {
        if !allowed.contains(&k.as_str()) {
            errors.push(problem(
                &format!("/{}", crate::model::diag::pointer_segment(k)),
                format!("unknown member; allowed: {}", allowed.join(", ")),
            ));
        }
    }
}

fn optional_string(
    body: &Map<String, Value>,
    key: &str,
    errors: &mut Vec<FieldProblem>,
) -> Option<Option<String>> {
    match body.get(key) {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(other) => {
            errors.push(problem(
                &format!("/{key}"),
                format!("expected a string or null, got {other}"),
            ));
            None
        }
    }
}

fn date(
    body: &Map<String, Value>,
    key: &str,
    errors: &mut Vec<FieldProblem>,
) -> Option<Option<String>> {
    let v = optional_string(body, key, errors)?;
    if let Some(s) = &v {
        if chrono::DateTime::parse_from_rfc3339(s).is_err() {
            errors.push(problem(
                &format!("/{key}"),
                "expected a W3C date-time with a time zone, e.g. 2027-06-12T19:00:00+01:00",
            ));
            return None;
        }
    }
    Some(v)
}

/// Label overrides from a request: field → new label (`None` removes it).
type Labels = Vec<(String, Option<String>)>;

/// Splits `customFields` into values and label overrides: each member is a
/// value or `{value, label}`.
fn custom_fields(v: &Value, errors: &mut Vec<FieldProblem>) -> (Map<String, Value>, Labels) {
    let mut values = Map::new();
    let mut labels = Vec::new();
    let Value::Object(m) = v else {
        errors.push(problem(
            "/customFields",
            "expected an object of field name → value (or {value, label})",
        ));
        return (values, labels);
    };
    for (k, v) in m {
        let at = format!("/customFields/{}", crate::model::diag::pointer_segment(k));
        match v {
            Value::Object(o) if o.contains_key("value") => {
                for extra in o.keys().filter(|x| *x != "value" && *x != "label") {
                    errors.push(problem(
                        &format!("{at}/{extra}"),
                        "unknown member; a field is {value, label}",
                    ));
                }
                match o.get("label") {
                    None => {}
                    Some(Value::Null) => labels.push((k.clone(), None)),
                    Some(Value::String(l)) => labels.push((k.clone(), Some(l.clone()))),
                    Some(other) => {
                        errors.push(problem(
                            &format!("{at}/label"),
                            format!("expected a string, got {other}"),
                        ));
                    }
                }
                values.insert(k.clone(), o.get("value").cloned().unwrap_or(Value::Null));
            }
            v => {
                values.insert(k.clone(), v.clone());
            }
        }
    }
    (values, labels)
}

fn invalid(errors: Vec<FieldProblem>) -> ApiError {
    ApiError::invalid(
        format!("the request has {} problem(s); see errors", errors.len()),
        errors,
    )
}

/// Signs (Apple and/or Google) a stored pass's current version, off the
/// async workers.
pub(crate) async fn issue_record(
    state: &AppState,
    template: Arc<Template>,
    record: &PassRecord,
    apple: bool,
    google: bool,
) -> Result<IssuedPass, ApiError> {
    let state = state.clone();
    let record = record.clone();
    tokio::task::spawn_blocking(move || sign_record(&state, &template, &record, apple, google))
        .await
        .map_err(|e| ApiError::internal(&e))?
}

/// Signs a stored pass's current version (blocking): the version's time is
/// the signing time, so a version always gives the same bytes.
///
/// # Errors
/// 422 when the values make no valid pass, 500 when signing fails.
pub(crate) fn sign_record(
    state: &AppState,
    template: &Template,
    record: &PassRecord,
    apple: bool,
    google: bool,
) -> Result<IssuedPass, ApiError> {
    let cfg = &state.inner.config;
    let signing_time =
        chrono::DateTime::from_timestamp(record.updated_at.div_euclid(1000), 0).unwrap_or_default();
    let stamp = Stamp::new(&record.serial_number, &record.auth_token, signing_time)
        .map_err(|e| ApiError::internal(&e))?;
    let issuer = Issuer {
        template,
        identity: &cfg.identity,
        web_service_url: cfg.web_service_url.as_deref(),
        apple,
        google: if google { cfg.google.as_ref() } else { None },
        google_skinny: false,
    };
    let mut overrides = record.overrides.clone();
    overrides.voided = record.status == PassStatus::Voided;
    issuer
        .issue_with(&record.custom_fields, &stamp, &overrides)
        .map_err(issue_error)
}

/// Maps a render or signing failure to 422 (the caller's data) or 500.
fn issue_error(e: IssueError) -> ApiError {
    match e {
        IssueError::Render(RenderError::Fields(fields)) => invalid(
            fields
                .into_iter()
                .map(|f| {
                    problem(
                        &format!(
                            "/customFields/{}",
                            crate::model::diag::pointer_segment(&f.field)
                        ),
                        f.message,
                    )
                })
                .collect(),
        ),
        IssueError::Render(e @ (RenderError::Expression { .. } | RenderError::Invalid(_))) => {
            ApiError::invalid(
                format!("these values make an invalid pass: {e}"),
                Vec::new(),
            )
        }
        IssueError::Google(e) => ApiError::invalid(
            format!("these values cannot be mapped to Google Wallet: {e}"),
            Vec::new(),
        ),
        e => ApiError::internal(&e),
    }
}

fn pass_json(state: &AppState, p: &PassRecord) -> Value {
    let base = &state.inner.config.public_url;
    let labels: Map<String, Value> = p
        .overrides
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    json!({
        "id": p.id,
        "object": "pass",
        "templateId": p.template_id,
        "serialNumber": p.serial_number,
        "status": p.status.as_str(),
        "customFields": p.custom_fields,
        "labels": labels,
        "relevantDate": p.overrides.relevant_date,
        "expirationDate": p.overrides.expiration_date,
        "userId": p.user_id,
        "version": p.version,
        "createdAt": rfc3339(p.created_at),
        "updatedAt": rfc3339(p.updated_at),
        "downloadUrl": format!("{base}/v1/passes/{}/download", p.id),
        "googleUrl": format!("{base}/v1/passes/{}/google", p.id),
    })
}

/// `POST /v1/passes`
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Body(body): Body,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let (record, template) = parse_new(&state, &body, uuid::Uuid::now_v7().to_string())?;
    let (record, issued) = create_pass(&state, record, template).await?;
    let mut v = pass_json(&state, &record);
    if let Some(g) = &issued.google {
        v["googleSaveUrl"] = g.save.url.clone().into();
    }
    let location = format!("/v1/passes/{}", record.id);
    let mut res = (StatusCode::CREATED, Json(v)).into_response();
    if let Ok(h) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, h);
    }
    Ok(res)
}

/// Validates a new pass request (the `POST /v1/passes` body, or a batch
/// item) into the record to issue, with pass id `id`.
///
/// # Errors
/// 422 with every located problem.
pub(crate) fn parse_new(
    state: &AppState,
    body: &Value,
    id: String,
) -> Result<(PassRecord, Arc<Template>), ApiError> {
    let Value::Object(body) = body else {
        return Err(invalid(vec![problem("", "expected a JSON object")]));
    };
    let mut errors = Vec::new();
    unknown_keys(
        body,
        &[
            "templateId",
            "serialNumber",
            "customFields",
            "relevantDate",
            "expirationDate",
            "userId",
        ],
        &mut errors,
    );
    let template_id = match body.get("templateId") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            errors.push(problem(
                "/templateId",
                format!("expected a string, got {other}"),
            ));
            None
        }
        None => {
            errors.push(problem(
                "/templateId",
                "required: the id of a template (GET /v1/templates)",
            ));
            None
        }
    };
    let serial = match optional_string(body, "serialNumber", &mut errors).flatten() {
        Some(s) => match SerialNumber::parse(&s) {
            Ok(s) => Some(s.as_str().to_owned()),
            Err(e) => {
                errors.push(problem("/serialNumber", e.to_string()));
                None
            }
        },
        None => None,
    };
    let (values, labels) = custom_fields(
        body.get("customFields")
            .unwrap_or(&Value::Object(Map::new())),
        &mut errors,
    );
    let relevant_date = date(body, "relevantDate", &mut errors).flatten();
    let expiration_date = date(body, "expirationDate", &mut errors).flatten();
    let user_id = optional_string(body, "userId", &mut errors).flatten();
    let template = match &template_id {
        Some(id) => match state.inner.templates.live(id) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(problem("/templateId", e.detail));
                None
            }
        },
        None => None,
    };
    for (k, _) in &labels {
        if let Some(t) = &template {
            if t.label_targets(k).is_empty() && t.schema().contains(k) {
                errors.push(problem(
                    &format!("/customFields/{}/label", crate::model::diag::pointer_segment(k)),
                    "this template shows the field in no pass field of its own (no `\"value\": \"{{ name }}\"`), so it has no label to override",
                ));
            }
        }
    }
    let (Some(template), Some(template_id), true) = (template, template_id, errors.is_empty())
    else {
        return Err(invalid(errors));
    };
    let now = now_ms();
    let record = PassRecord {
        id,
        template_id,
        serial_number: match serial {
            Some(s) => s,
            None => SerialNumber::random().as_str().to_owned(),
        },
        auth_token: AuthToken::random().expose().to_owned(),
        status: PassStatus::Active,
        custom_fields: values,
        overrides: PassOverrides {
            labels: labels
                .into_iter()
                .filter_map(|(k, l)| Some((k, l?)))
                .collect(),
            relevant_date,
            expiration_date,
            voided: false,
            message: None,
        },
        user_id,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    Ok((record, template))
}

/// Issues (Apple and, when configured, Google) and stores a new pass with
/// its `pass.created` event.
///
/// # Errors
/// 422 when the values make no valid pass; 409 for a taken serial number.
pub(crate) async fn create_pass(
    state: &AppState,
    record: PassRecord,
    template: Arc<Template>,
) -> Result<(PassRecord, IssuedPass), ApiError> {
    let google = state.inner.config.google.is_some();
    let issued = issue_record(state, template, &record, true, google).await?;
    // Store the normalized values (defaults filled in, types fixed).
    let record = PassRecord {
        custom_fields: issued.rendered.fields.clone(),
        ..record
    };
    let event = Event::new("pass.created", pass_json(state, &record));
    state.inner.store.insert_pass(&record, &[event]).await?;
    state.inner.deliveries_due.notify_one();
    state.inner.metrics.passes_issued();
    tracing::info!(pass = %record.id, template = %record.template_id, "pass created");
    Ok((record, issued))
}

async fn load(state: &AppState, id: &str) -> Result<PassRecord, ApiError> {
    state
        .inner
        .store
        .pass(id)
        .await?
        .ok_or_else(|| ApiError::not_found("pass", id))
}

/// `GET /v1/passes/{id}`
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    let p = load(&state, &id).await?;
    let mut v = pass_json(&state, &p);
    v["installs"] = super::connections::install_counts(&state, &p.id).await?;
    Ok(Json(v))
}

/// Query of `GET /v1/passes`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ListQuery {
    limit: Option<u32>,
    starting_after: Option<String>,
    template_id: Option<String>,
    status: Option<String>,
    user_id: Option<String>,
}

/// `GET /v1/passes`
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request("bad_query", e.body_text()))?;
    let mut errors = Vec::new();
    let limit = q.limit.unwrap_or(20);
    if limit == 0 || limit > MAX_PAGE {
        errors.push(problem("limit", format!("must be 1 to {MAX_PAGE}")));
    }
    let status = match q.status.as_deref() {
        None => None,
        Some(s) => match PassStatus::parse(s) {
            Some(s) => Some(s),
            None => {
                errors.push(problem("status", "must be active or voided"));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let mut page = state
        .inner
        .store
        .passes(&PassQuery {
            after: q.starting_after,
            template_id: q.template_id,
            status,
            user_id: q.user_id,
            limit: limit + 1,
        })
        .await?;
    let has_more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let next = if has_more {
        page.last().map(|p| p.id.clone())
    } else {
        None
    };
    Ok(Json(json!({
        "data": page.iter().map(|p| pass_json(&state, p)).collect::<Vec<_>>(),
        "hasMore": has_more,
        "nextStartingAfter": next,
    })))
}

/// Stores `new` as the next version of `old`, re-signing it first so a
/// change that would make an invalid pass is refused and nothing is written.
async fn save_version(
    state: &AppState,
    old: &PassRecord,
    mut new: PassRecord,
    event: &'static str,
) -> Result<PassRecord, ApiError> {
    let template = state.inner.templates.live(&new.template_id)?;
    new.version = old.version + 1;
    // Versions are at least a second apart in signing time: Wallet compares
    // Last-Modified at second resolution.
    new.updated_at = now_ms().max(old.updated_at + 1000);
    let issued = issue_record(state, template, &new, true, false).await?;
    new.custom_fields = issued.rendered.fields;
    let event = Event::new(event, pass_json(state, &new));
    let topic = state.inner.config.identity.pass_type_id().as_str();
    let google = state
        .inner
        .config
        .google
        .is_some()
        .then(|| super::google::GoogleWork {
            message: (new.overrides.message != old.overrides.message)
                .then(|| new.overrides.message.clone())
                .flatten(),
        });
    if !state
        .inner
        .store
        .update_pass(&new, old.version, &[event], Some(topic), google.as_ref())
        .await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "concurrent_update",
            "the pass changed while this request ran; read it again and retry",
        ));
    }
    state.inner.deliveries_due.notify_one();
    state.inner.pushes_due.notify_one();
    state.inner.google_due.notify_one();
    Ok(new)
}

/// `PATCH /v1/passes/{id}`: customFields members replace the stored ones
/// (null removes one); dates and userId replace theirs.
pub(crate) async fn update(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Write)?;
    let Value::Object(body) = body else {
        return Err(invalid(vec![problem("", "expected a JSON object")]));
    };
    let old = load(&state, &id).await?;
    let mut errors = Vec::new();
    unknown_keys(
        &body,
        &["customFields", "relevantDate", "expirationDate", "userId"],
        &mut errors,
    );
    let mut new = old.clone();
    if let Some(cf) = body.get("customFields") {
        let (values, labels) = custom_fields(cf, &mut errors);
        for (k, v) in values {
            if v.is_null() {
                new.custom_fields.remove(&k);
                new.overrides.labels.remove(&k);
            } else {
                new.custom_fields.insert(k, v);
            }
        }
        for (k, l) in labels {
            match l {
                Some(l) => new.overrides.labels.insert(k, l),
                None => new.overrides.labels.remove(&k),
            };
        }
    }
    if let Some(d) = date(&body, "relevantDate", &mut errors) {
        new.overrides.relevant_date = d;
    }
    if let Some(d) = date(&body, "expirationDate", &mut errors) {
        new.overrides.expiration_date = d;
    }
    if let Some(u) = optional_string(&body, "userId", &mut errors) {
        new.user_id = u;
    }
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let new = save_version(&state, &old, new, "pass.updated").await?;
    tracing::info!(pass = %new.id, version = new.version, "pass updated");
    Ok(Json(pass_json(&state, &new)))
}

/// `POST /v1/passes/{id}/void`: marks the pass voided (a new version);
/// voiding a voided pass changes nothing.
pub(crate) async fn void(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Write)?;
    let old = load(&state, &id).await?;
    if old.status == PassStatus::Voided {
        return Ok(Json(pass_json(&state, &old)));
    }
    let new = save_version(
        &state,
        &old,
        PassRecord {
            status: PassStatus::Voided,
            ..old.clone()
        },
        "pass.voided",
    )
    .await?;
    tracing::info!(pass = %new.id, "pass voided");
    Ok(Json(pass_json(&state, &new)))
}

/// Longest push message.
const MAX_MESSAGE_CHARS: usize = 500;

/// `POST /v1/passes/{id}/push-notifications {message}`: puts the message
/// into the pass's message field (a new version) and pushes it, so the lock
/// screen shows it.
pub(crate) async fn push_notification(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
    Body(body): Body,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Write)?;
    let message = match body.get("message") {
        Some(Value::String(m))
            if !m.trim().is_empty() && m.chars().count() <= MAX_MESSAGE_CHARS =>
        {
            m.clone()
        }
        _ => {
            return Err(invalid(vec![problem(
                "/message",
                format!("required: the text to show, 1 to {MAX_MESSAGE_CHARS} characters"),
            )]))
        }
    };
    if let Some(extra) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "message"))
    {
        return Err(invalid(vec![problem(
            &format!("/{extra}"),
            "unknown member; allowed: message",
        )]));
    }
    let old = load(&state, &id).await?;
    let mut new = old.clone();
    new.overrides.message = Some(message);
    let limited = state.inner.config.google.is_some()
        && super::google::notifying_messages_today(&state, &id).await?
            >= super::google::NOTIFY_LIMIT_PER_DAY;
    let new = save_version(&state, &old, new, "pass.updated").await?;
    tracing::info!(pass = %new.id, "push notification queued");
    let mut v = pass_json(&state, &new);
    if limited {
        v["warnings"] = json!([format!(
            "google: this pass already notified {} times in 24 hours (Google's limit); the message is added to the Google pass without a notification",
            super::google::NOTIFY_LIMIT_PER_DAY
        )]);
    }
    Ok(Json(v))
}

/// `DELETE /v1/passes/{id}`
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    let old = load(&state, &id).await?;
    let event = Event::new(
        "pass.deleted",
        json!({"id": old.id, "object": "pass", "serialNumber": old.serial_number, "templateId": old.template_id, "deleted": true}),
    );
    if state.inner.store.delete_pass(&id, &[event]).await? {
        state.inner.deliveries_due.notify_one();
        tracing::info!(pass = %id, "pass deleted");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("pass", &id))
    }
}

/// An HTTP date (RFC 9110 IMF-fixdate) for Unix milliseconds.
fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// `GET /v1/passes/{id}/download`: the `.pkpass` signed from the stored
/// version, with `ETag` and `Last-Modified` (and 304 for a matching
/// `If-None-Match` / `If-Modified-Since`).
pub(crate) async fn download(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let p = load(&state, &id).await?;
    download_record(&state, &p, &headers).await
}

/// The `.pkpass` of a stored pass as an HTTP answer, with `ETag`,
/// `Last-Modified` and conditional 304s.
///
/// # Errors
/// [`ApiError`] when the template is gone or signing fails.
pub(crate) async fn download_record(
    state: &AppState,
    p: &PassRecord,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let etag = format!("\"{}-v{}\"", p.id, p.version);
    let modified = http_date(p.updated_at.div_euclid(1000) * 1000);
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        Some(h) => h
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*")),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|h| h.to_str().ok())
            .and_then(|v| {
                chrono::NaiveDateTime::parse_from_str(v, "%a, %d %b %Y %H:%M:%S GMT").ok()
            })
            .is_some_and(|since| since.and_utc().timestamp() >= p.updated_at.div_euclid(1000)),
    };
    let mut out = HeaderMap::new();
    let put = |out: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            out.insert(k, v);
        }
    };
    put(&mut out, header::ETAG, &etag);
    put(&mut out, header::LAST_MODIFIED, &modified);
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    let template = state.inner.templates.live(&p.template_id)?;
    let issued = issue_record(state, template, p, true, false).await?;
    put(
        &mut out,
        header::CONTENT_TYPE,
        "application/vnd.apple.pkpass",
    );
    put(
        &mut out,
        header::CONTENT_DISPOSITION,
        &format!("attachment; filename=\"{}.pkpass\"", p.serial_number),
    );
    Ok((StatusCode::OK, out, pkpass_bytes(&issued)?).into_response())
}

/// The `.pkpass` bytes of a pass issued with its Apple side.
pub(crate) fn pkpass_bytes(issued: &IssuedPass) -> Result<Vec<u8>, ApiError> {
    apple_side(issued.pkpass.as_ref()).map(crate::apple::Pkpass::to_vec)
}

/// The Apple side of a pass the service issued with one (owned or borrowed).
pub(crate) fn apple_side<T>(pkpass: Option<T>) -> Result<T, ApiError> {
    pkpass.ok_or_else(|| ApiError::internal(&"the pass was issued without its Apple side"))
}

/// `GET /v1/passes/{id}/google`: the Google Wallet save link.
pub(crate) async fn google(
    State(state): State<AppState>,
    principal: Principal,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    principal.require(Scope::Read)?;
    if state.inner.config.google.is_none() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "provider_not_configured",
            "Google Wallet is not configured on this server (set --google-issuer-id and --google-service-account)",
        ));
    }
    let p = load(&state, &id).await?;
    let template = state.inner.templates.live(&p.template_id)?;
    let issued = issue_record(&state, template, &p, false, true).await?;
    let g = issued
        .google
        .ok_or_else(|| ApiError::internal(&"google output missing"))?;
    Ok(Json(json!({
        "saveUrl": g.save.url,
        "objectId": g.object_id,
        "classId": g.class_id,
    })))
}
