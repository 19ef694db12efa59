//! `/v1/passes`: create, read, list, change, void, push a message, delete,
//! download (signed from the stored version) and the Google save link.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{check_limit, http_date, none_match, not_modified_since, page, pkpass_answer, Binary};
use crate::service::domain::idempotency::Answer;
use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::passes::{
    self, NewPass, PassChange, PassQuery, PassRecord, PassStatus, PassView, MAX_MESSAGE_CHARS,
};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::http::extract::{Checked, Params};
use crate::service::outbox::NOTIFY_LIMIT_PER_DAY;
use crate::service::state::AppState;

/// Most passes one list page returns.
const MAX_PAGE: u32 = 100;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(get, update, delete))
        .routes(routes!(void))
        .routes(routes!(push_notification))
        .routes(routes!(download))
        .routes(routes!(google))
}

/// A new pass.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({
    "templateId": "event-ticket",
    "serialNumber": "TICKET-0042",
    "customFields": {
        "attendee": {"value": "Ada Lovelace", "label": "GUEST"},
        "seat": "A1",
        "doorsOpen": "2027-06-12T19:00:00+01:00"
    },
    "relevantDate": "2027-06-12T18:00:00+01:00"
}))]
pub(crate) struct PassCreate {
    /// The template (`GET /v1/templates`).
    template_id: String,
    /// Its serial number: `A–Z a–z 0–9 . _ -`, at most 128, not starting
    /// with `.`; random when absent.
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$")]
    serial_number: Option<String>,
    /// Field → value, or `{value, label}` to give the field a label of its
    /// own on this pass. The template's fields schema
    /// (`GET /v1/templates/{id}`) says which fields and types.
    #[serde(default)]
    #[schema(value_type = Object)]
    custom_fields: Map<String, Value>,
    /// Replaces the template's `relevantDate`.
    #[schema(format = DateTime)]
    relevant_date: Option<String>,
    /// Replaces the template's `expirationDate`.
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    /// Your app's user it belongs to.
    user_id: Option<String>,
}

/// A created pass, with its Google save link when Google is configured.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PassCreated {
    #[serde(flatten)]
    pass: PassView,
    /// The Google Wallet save link.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = "uri")]
    google_save_url: Option<String>,
}

/// `POST /v1/passes`
#[utoipa::path(post, path = "/passes", tag = "passes", operation_id = "createPass",
    summary = "Create a pass (signed once to check it)",
    request_body = PassCreate,
    responses(
        (status = 201, description = "The pass", body = PassCreated,
            headers(("Location" = String, description = "The pass's URL"))),
        (status = 409, description = "A pass with this serial number exists"),
        (status = 422, description = "Every problem of the body and its fields, located"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<PassCreate>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Write)?;
    let mut more = Vec::new();
    let raw = body.raw();
    passes::check_fields(
        &state,
        raw.get("templateId").and_then(Value::as_str),
        raw.get("customFields"),
        "",
        &mut more,
    );
    let b = body.typed_with(more)?;
    let new = NewPass {
        template_id: b.template_id,
        serial_number: b.serial_number,
        custom_fields: b.custom_fields,
        relevant_date: b.relevant_date,
        expiration_date: b.expiration_date,
        user_id: b.user_id,
    };
    let (record, template) = passes::prepare(&state, new, uuid::Uuid::now_v7().to_string(), "")?;
    // The answer is made from the pass before it is stored, so an
    // idempotent request stores it with the pass (one transaction).
    let answer = passes::create_answering(&state, record, template, |record, issued| {
        let out = PassCreated {
            pass: passes::view(&state, record),
            google_save_url: issued.google.as_ref().map(|g| g.save.url.clone()),
        };
        Ok(Answer {
            request_hash: String::new(),
            status: 201,
            content_type: Some("application/json".to_owned()),
            location: Some(format!("/v1/passes/{}", record.id)),
            body: Some(serde_json::to_string(&out).map_err(|e| ApiError::internal(&e))?),
        })
    })
    .await?;
    let mut res = (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body.unwrap_or_default(),
    )
        .into_response();
    if let Some(h) = answer
        .location
        .as_deref()
        .and_then(|l| HeaderValue::from_str(l).ok())
    {
        res.headers_mut().insert(header::LOCATION, h);
    }
    Ok(res)
}

/// A pass and where it is installed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct PassWithInstalls {
    #[serde(flatten)]
    pass: PassView,
    /// Installations per wallet (active and failing connections).
    installs: Installs,
}

/// Installations per wallet.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Installs {
    /// Apple Wallet devices.
    apple: i64,
    /// Google Wallet saves.
    google: i64,
}

/// `GET /v1/passes/{id}`
#[utoipa::path(get, path = "/passes/{id}", tag = "passes", operation_id = "getPass",
    summary = "Get a pass",
    params(("id" = String, Path, description = "The pass id")),
    responses(
        (status = 200, description = "The pass", body = PassWithInstalls),
        (status = 404, description = "No such pass"),
    ))]
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<PassWithInstalls>, ApiError> {
    principal.require(Scope::Read)?;
    let p = passes::get(&state, &id).await?;
    let (apple, google) = passes::installs(&state, &p.id).await?;
    Ok(Json(PassWithInstalls {
        pass: passes::view(&state, &p),
        installs: Installs { apple, google },
    }))
}

/// A pass status.
#[derive(Debug, Clone, Copy, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub(crate) enum StatusParam {
    /// Issued and valid.
    Active,
    /// Voided.
    Voided,
}

/// Query of `GET /v1/passes`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct ListQuery {
    /// Passes per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `nextStartingAfter` of the previous page.
    starting_after: Option<String>,
    /// Only this template's passes.
    template_id: Option<String>,
    /// Only passes with this status.
    #[param(value_type = Option<StatusParam>, inline)]
    status: Option<String>,
    /// Only this user's passes.
    user_id: Option<String>,
}

/// A page of passes.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PassList {
    /// The passes, oldest first.
    data: Vec<PassView>,
    /// Whether more follow.
    has_more: bool,
    /// Pass it as `startingAfter` for the next page.
    next_starting_after: Option<String>,
}

/// `GET /v1/passes`
#[utoipa::path(get, path = "/passes", tag = "passes", operation_id = "listPasses",
    summary = "List passes, oldest first, a page at a time",
    params(ListQuery),
    responses(
        (status = 200, description = "A page", body = PassList),
        (status = 422, description = "`limit` out of range, or an unknown `status`"),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Params(q): Params<ListQuery>,
) -> Result<Json<PassList>, ApiError> {
    principal.require(Scope::Read)?;
    let limit = check_limit(q.limit, MAX_PAGE)?;
    let status = match q.status.as_deref() {
        None => None,
        Some("active") => Some(StatusParam::Active),
        Some("voided") => Some(StatusParam::Voided),
        Some(_) => {
            return Err(ApiError::problems(vec![FieldProblem::new(
                "status",
                "must be active or voided",
            )]))
        }
    }
    .map(|s| match s {
        StatusParam::Active => PassStatus::Active,
        StatusParam::Voided => PassStatus::Voided,
    });
    let rows = passes::list(
        &state,
        &PassQuery {
            after: q.starting_after,
            template_id: q.template_id,
            status,
            user_id: q.user_id,
            limit: limit + 1,
        },
    )
    .await?;
    let (rows, has_more, next) = page(rows, limit, |p| p.id.clone());
    Ok(Json(PassList {
        data: rows.iter().map(|p| passes::view(&state, p)).collect(),
        has_more,
        next_starting_after: next,
    }))
}

/// Deserializes a present member (null included) as `Some`, so that an
/// absent member (`None`) and `null` (`Some(None)`) differ.
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// A change of a pass (a new version, pushed to its devices).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PassUpdate {
    /// Members replace the stored fields; `null` removes one; `{value,
    /// label}` sets its label too (a `null` label removes it).
    #[schema(value_type = Option<Object>)]
    custom_fields: Option<Map<String, Value>>,
    /// The new `relevantDate`; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    relevant_date: Option<Option<String>>,
    /// The new `expirationDate`; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, format = DateTime)]
    expiration_date: Option<Option<String>>,
    /// The new user; `null` detaches the pass.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    user_id: Option<Option<String>>,
}

/// `PATCH /v1/passes/{id}`
#[utoipa::path(patch, path = "/passes/{id}", tag = "passes", operation_id = "updatePass",
    summary = "Change a pass (a new version, pushed)",
    params(("id" = String, Path, description = "The pass id")),
    request_body = PassUpdate,
    responses(
        (status = 200, description = "The new version", body = PassView),
        (status = 404, description = "No such pass"),
        (status = 409, description = "The pass changed while this request ran"),
        (status = 422, description = "Every problem, located; the stored version is kept"),
    ))]
pub(crate) async fn update(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Checked<PassUpdate>,
) -> Result<Json<PassView>, ApiError> {
    principal.require(Scope::Write)?;
    let b = body.typed()?;
    let change = PassChange {
        custom_fields: b.custom_fields,
        relevant_date: b.relevant_date,
        expiration_date: b.expiration_date,
        user_id: b.user_id,
    };
    let new = passes::update(&state, &id, change).await?;
    Ok(Json(passes::view(&state, &new)))
}

/// `POST /v1/passes/{id}/void`
#[utoipa::path(post, path = "/passes/{id}/void", tag = "passes", operation_id = "voidPass",
    summary = "Void a pass (a new version); voiding a voided pass changes nothing",
    params(("id" = String, Path, description = "The pass id")),
    responses(
        (status = 200, description = "The voided pass", body = PassView),
        (status = 404, description = "No such pass"),
        (status = 409, description = "The pass changed while this request ran"),
        (status = 422, description = "The pass's template no longer makes a valid pass"),
    ))]
pub(crate) async fn void(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<PassView>, ApiError> {
    principal.require(Scope::Write)?;
    let p = passes::void(&state, &id).await?;
    Ok(Json(passes::view(&state, &p)))
}

/// A message for the lock screen.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"message": "Doors open at 19:00 at gate B"}))]
pub(crate) struct PushMessage {
    /// The text to show, 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    message: String,
}

/// A pass after a push message, with what Google did not do.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct PassNotified {
    #[serde(flatten)]
    pass: PassView,
    /// E.g. that Google's daily notification limit was reached.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// `POST /v1/passes/{id}/push-notifications`
#[utoipa::path(post, path = "/passes/{id}/push-notifications", tag = "passes",
    operation_id = "pushNotification",
    summary = "Show a message on the lock screen: it goes into the pass's message field (a new version) and is pushed",
    params(("id" = String, Path, description = "The pass id")),
    request_body = PushMessage,
    responses(
        (status = 200, description = "The new version", body = PassNotified),
        (status = 404, description = "No such pass"),
        (status = 409, description = "The pass changed while this request ran"),
        (status = 422, description = "No message, or one that is too long"),
    ))]
pub(crate) async fn push_notification(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Checked<PushMessage>,
) -> Result<Json<PassNotified>, ApiError> {
    principal.require(Scope::Write)?;
    let message = body.typed()?.message;
    if message.trim().is_empty() || message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::problems(vec![FieldProblem::new(
            "/message",
            format!("required: the text to show, 1 to {MAX_MESSAGE_CHARS} characters"),
        )]));
    }
    let (new, limited) = passes::notify(&state, &id, message).await?;
    let warnings = if limited {
        vec![format!(
            "google: this pass already notified {NOTIFY_LIMIT_PER_DAY} times in 24 hours (Google's limit); the message is added to the Google pass without a notification"
        )]
    } else {
        Vec::new()
    };
    Ok(Json(PassNotified {
        pass: passes::view(&state, &new),
        warnings,
    }))
}

/// `DELETE /v1/passes/{id}`
#[utoipa::path(delete, path = "/passes/{id}", tag = "passes", operation_id = "deletePass",
    summary = "Delete a pass",
    params(("id" = String, Path, description = "The pass id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such pass"),
    ))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Write)?;
    passes::delete(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The `.pkpass` of a stored pass as an answer, with `ETag` and
/// `Last-Modified` (and 304 for a matching `If-None-Match` /
/// `If-Modified-Since`).
///
/// # Errors
/// [`ApiError`] when the template is gone or signing fails.
pub(crate) async fn download_answer(
    state: &AppState,
    p: &PassRecord,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let etag = format!("\"{}-v{}\"", p.id, p.version);
    let secs = p.updated_at.div_euclid(1000);
    let not_modified =
        none_match(headers, &etag).unwrap_or_else(|| not_modified_since(headers, secs));
    let mut out = HeaderMap::new();
    for (k, v) in [
        (header::ETAG, etag),
        (header::LAST_MODIFIED, http_date(secs * 1000)),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            out.insert(k, v);
        }
    }
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    let bytes = passes::pkpass(state, p).await?;
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{}.pkpass\"",
        p.serial_number
    )) {
        out.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(pkpass_answer(&bytes, out))
}

/// `GET /v1/passes/{id}/download`
#[utoipa::path(get, path = "/passes/{id}/download", tag = "passes", operation_id = "downloadPass",
    summary = "The signed .pkpass of the current version",
    params(
        ("id" = String, Path, description = "The pass id"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag of an earlier download"),
        ("If-Modified-Since" = Option<String>, Header, description = "The Last-Modified of an earlier download"),
    ),
    responses(
        (status = 200, description = "The pass", content_type = "application/vnd.apple.pkpass", body = Binary,
            headers(("ETag" = String, description = "`\"<id>-v<version>\"`"), ("Last-Modified" = String))),
        (status = 304, description = "Not changed since"),
        (status = 404, description = "No such pass, or its template is gone"),
        (status = 422, description = "Its template has errors and no earlier valid version"),
    ))]
pub(crate) async fn download(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Read)?;
    let p = passes::get(&state, &id).await?;
    download_answer(&state, &p, &headers).await
}

/// A Google Wallet save link.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GoogleSave {
    /// `https://pay.google.com/gp/v/save/<JWT>`
    #[schema(format = "uri")]
    save_url: String,
    /// The Google Wallet object.
    object_id: String,
    /// Its class.
    class_id: String,
}

/// `GET /v1/passes/{id}/google`
#[utoipa::path(get, path = "/passes/{id}/google", tag = "passes", operation_id = "googleSaveLink",
    summary = "The Google Wallet save link of the current version",
    params(("id" = String, Path, description = "The pass id")),
    responses(
        (status = 200, description = "The link", body = GoogleSave),
        (status = 404, description = "No such pass, or its template is gone"),
        (status = 409, description = "Google Wallet is not configured on this server"),
        (status = 422, description = "The pass cannot be mapped to Google Wallet"),
    ))]
pub(crate) async fn google(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<GoogleSave>, ApiError> {
    principal.require(Scope::Read)?;
    let p = passes::get(&state, &id).await?;
    let g = passes::google_save(&state, &p).await?;
    Ok(Json(GoogleSave {
        save_url: g.save.url,
        object_id: g.object_id,
        class_id: g.class_id,
    }))
}
