//! Templates: `/v1/templates` to list, read, upload (a zip of the folder)
//! and delete them; and their public images (`/templates/{id}/{file}`,
//! fetched by Google Wallet).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Binary;
use crate::google::GoogleType;
use crate::model::{Diagnostic, Location};
use crate::service::clock::rfc3339;
use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::templates;
use crate::service::error::ApiError;
use crate::service::http::extract::{Checked, Params};
use crate::service::state::AppState;
use crate::service::templates::files::MAX_UPLOAD_BYTES;
use crate::service::templates::{Change, TemplateEntry};

/// The `/v1` routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, create)).merge(
        OpenApiRouter::new()
            .routes(routes!(get, upload, delete, patch))
            .routes(routes!(add_images))
            .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
    )
}

/// The public image route.
pub(crate) fn assets() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(asset))
}

/// A problem (or warning) of a template, located in its folder.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct DiagnosticView {
    /// `error`, `warning` or `info`.
    severity: String,
    /// The file, relative to the template folder.
    file: String,
    /// A stable code.
    code: String,
    /// What is wrong and what to do.
    message: String,
    /// A JSON pointer into the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<String>,
    /// A line in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    /// A column in the line.
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
}

fn diagnostic(d: &Diagnostic) -> DiagnosticView {
    let (pointer, line, column) = match &d.location {
        Location::File => (None, None, None),
        Location::Pointer(p) => (Some(p.clone()), None, None),
        Location::LineColumn(l, c) => (None, Some(*l), Some(*c)),
        Location::Line(l) => (None, Some(*l), None),
    };
    DiagnosticView {
        severity: d.severity.to_string(),
        file: d.file.clone(),
        code: d.code.to_owned(),
        message: d.message.clone(),
        pointer,
        line,
        column,
    }
}

/// A template as the API shows it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TemplateView {
    /// The folder name.
    id: String,
    /// `ready`; `stale` (the latest edit failed, the last good version is
    /// live); `invalid` (no version loads).
    #[schema(pattern = "^(ready|stale|invalid)$")]
    status: &'static str,
    /// When the folder was last loaded.
    #[schema(format = DateTime)]
    loaded_at: String,
    /// Problems and warnings of the latest load.
    problems: Vec<DiagnosticView>,
    /// Its name (template.json).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Its description (template.json).
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    /// The Apple pass style.
    #[serde(skip_serializing_if = "Option::is_none")]
    apple_style: Option<&'static str>,
    /// The Google Wallet pass type.
    #[serde(skip_serializing_if = "Option::is_none")]
    google_type: Option<&'static str>,
    /// The JSON Schema of its custom fields (on `GET /v1/templates/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    fields_schema: Option<Value>,
}

fn view(e: &TemplateEntry, full: bool) -> TemplateView {
    let status = match (&e.template, e.failed) {
        (Some(_), false) => "ready",
        (Some(_), true) => "stale",
        (None, _) => "invalid",
    };
    let t = e.template.as_deref();
    TemplateView {
        id: e.id.clone(),
        status,
        loaded_at: rfc3339(e.loaded_at),
        problems: e.problems.iter().map(diagnostic).collect(),
        name: t.map(|t| t.meta().name.clone()),
        description: t.and_then(|t| t.meta().description.clone()),
        apple_style: t.map(crate::template::Template::style),
        google_type: t.map(|t| GoogleType::for_pass(t.style(), t.pass_json()).name()),
        fields_schema: t.filter(|_| full).map(|t| t.schema().json_schema()),
    }
}

/// The templates.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TemplateList {
    /// By id.
    data: Vec<TemplateView>,
}

/// `GET /v1/templates`
#[utoipa::path(get, path = "/templates", tag = "templates", operation_id = "listTemplates",
    summary = "List templates",
    responses((status = 200, description = "The templates", body = TemplateList)))]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
) -> Result<Json<TemplateList>, ApiError> {
    principal.require(Scope::Read)?;
    let data = state
        .inner
        .templates
        .list()
        .iter()
        .map(|e| view(e, false))
        .collect();
    Ok(Json(TemplateList { data }))
}

/// `GET /v1/templates/{id}`
#[utoipa::path(get, path = "/templates/{id}", tag = "templates", operation_id = "getTemplate",
    summary = "Get a template with the JSON Schema of its fields",
    params(("id" = String, Path, description = "The template id")),
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 404, description = "No such template"),
    ))]
pub(crate) async fn get(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> Result<Json<TemplateView>, ApiError> {
    principal.require(Scope::Read)?;
    let e = state
        .inner
        .templates
        .get(&id)
        .ok_or_else(|| ApiError::not_found("template", &id))?;
    Ok(Json(view(&e, true)))
}

/// A pass type.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum PassType {
    /// A concert, match or conference ticket.
    EventTicket,
    /// A flight, train, bus or boat boarding pass.
    BoardingPass,
    /// An offer.
    Coupon,
    /// A loyalty or gift card.
    StoreCard,
    /// Anything else: a membership, an ID.
    Generic,
}

/// Where a field shows on the pass.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Placement {
    /// Top right, beside the logo.
    Header,
    /// The large field.
    Primary,
    /// The row below.
    Secondary,
    /// The row below that.
    Auxiliary,
    /// The back of the pass.
    Back,
}

/// A field type.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum DesignFieldType {
    /// Text.
    String,
    /// A number.
    Number,
    /// A whole number.
    Integer,
    /// true or false.
    Boolean,
    /// A date.
    Date,
    /// A date and time with a time zone.
    Datetime,
    /// One of `enum`.
    Enum,
    /// An absolute URL.
    Url,
    /// An e-mail address.
    Email,
}

/// A field of a designed template: a custom field every pass gives (or
/// its default), shown at `placement`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // the request's schema; the domain reads the checked JSON
pub(crate) struct DesignField {
    /// Its name in `customFields` (letters, digits, `_`).
    #[schema(pattern = "^[A-Za-z_][A-Za-z0-9_]*$")]
    key: String,
    /// The label the pass shows.
    label: Option<String>,
    /// Where it shows (default secondary).
    placement: Option<Placement>,
    /// Its type (default string).
    #[serde(rename = "type")]
    ty: Option<DesignFieldType>,
    /// Whether every pass must give it.
    required: Option<bool>,
    /// The value when a pass gives none (of the field's type).
    default: Option<Value>,
    /// The longest text allowed.
    max_length: Option<u32>,
    /// A regular expression the value must match.
    pattern: Option<String>,
    /// The allowed values (type enum).
    #[serde(rename = "enum")]
    allowed: Option<Vec<String>>,
    /// Free text.
    description: Option<String>,
}

/// The barcode of a designed template.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // the request's schema; the domain reads the checked JSON
pub(crate) struct DesignBarcode {
    /// qr (default), pdf417, aztec or code128.
    format: Option<String>,
    /// What it encodes; placeholders allowed (default `{{ serialNumber }}`).
    message: Option<String>,
    /// The text under it.
    alt_text: Option<String>,
}

/// A template designed as JSON.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)] // the request's schema; the domain reads the checked JSON
#[schema(example = json!({"name": "VIP Event Ticket", "description": "Backstage access", "passType": "eventTicket",
    "organizationName": "Passforge Live", "backgroundColor": "#1f2937", "foregroundColor": "#ffffff",
    "labelColor": "#9ca3af", "logoText": "Passforge Live",
    "fields": [{"key": "customerName", "label": "Guest Name", "placement": "secondary", "type": "string", "required": true}],
    "barcode": {"format": "qr"}}))]
pub(crate) struct TemplateDesign {
    /// The template id (default: made from `name`, e.g. `vip-event-ticket`).
    #[schema(pattern = "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    id: Option<String>,
    /// Its name.
    #[schema(min_length = 1)]
    name: String,
    /// What its passes are (the pass's description, which VoiceOver reads).
    description: Option<String>,
    /// The Apple pass style.
    pass_type: PassType,
    /// A boarding pass's transit type (default PKTransitTypeGeneric).
    transit_type: Option<String>,
    /// The issuer's name.
    #[schema(min_length = 1)]
    organization_name: String,
    /// Text beside the logo.
    logo_text: Option<String>,
    /// `#rrggbb` or `rgb(r, g, b)`.
    background_color: Option<String>,
    /// `#rrggbb` or `rgb(r, g, b)`.
    foreground_color: Option<String>,
    /// `#rrggbb` or `rgb(r, g, b)`.
    label_color: Option<String>,
    /// Its fields, in order.
    fields: Option<Vec<DesignField>>,
    /// Its barcode.
    barcode: Option<DesignBarcode>,
}

/// `POST /v1/templates`
#[utoipa::path(post, path = "/templates", tag = "templates", operation_id = "createTemplate",
    summary = "Create a template from a JSON design (a folder with pass.json, template.json and a generated icon and logo)",
    request_body = TemplateDesign,
    responses(
        (status = 201, description = "Created", body = TemplateView),
        (status = 409, description = "A template with this id exists"),
        (status = 422, description = "Every problem of the design, located"),
    ))]
pub(crate) async fn create(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<TemplateDesign>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let design = body.raw().clone();
    // The design's own problems, with the schema's, in one answer.
    let more = match crate::template::design::files_of(&design, true) {
        Ok(_) => Vec::new(),
        Err(p) => p
            .into_iter()
            .map(|p| crate::service::error::FieldProblem::new(p.pointer, p.message))
            .collect(),
    };
    body.typed_with(more)?;
    let entry = templates::create_from_design(&state, design).await?;
    Ok((StatusCode::CREATED, Json(view(&entry, true))).into_response())
}

/// A JSON merge patch (RFC 7396) of a template's design: members replace
/// the design's, `null` removes one, `fields` is replaced whole.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(value_type = Object, example = json!({"backgroundColor": "#111827", "logoText": null}))]
pub(crate) struct DesignPatch(serde_json::Map<String, Value>);

/// `PATCH /v1/templates/{id}`
#[utoipa::path(patch, path = "/templates/{id}", tag = "templates", operation_id = "patchTemplate",
    summary = "Change a designed template with a JSON merge patch of its design; its passes get a new version and are pushed",
    params(("id" = String, Path, description = "The template id")),
    request_body(content = DesignPatch, description = "A JSON merge patch (sent as application/json or application/merge-patch+json)"),
    responses(
        (status = 200, description = "Changed", body = TemplateView),
        (status = 404, description = "No such template"),
        (status = 409, description = "The template was not made from a JSON design"),
        (status = 422, description = "Every problem of the patched design, located"),
    ))]
pub(crate) async fn patch(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Checked<DesignPatch>,
) -> Result<Json<TemplateView>, ApiError> {
    principal.require(Scope::Admin)?;
    let DesignPatch(patch) = body.typed()?;
    let entry = templates::patch_design(&state, &id, &Value::Object(patch)).await?;
    Ok(Json(view(&entry, true)))
}

/// A zip upload's bytes, or its refusal (over the upload limit).
fn zip_body(
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Vec<u8>, ApiError> {
    body.map(|b| b.to_vec())
        .map_err(|e| ApiError::new(e.status(), "body_too_large", e.body_text()))
}

/// `PUT /v1/templates/{id}`
#[utoipa::path(put, path = "/templates/{id}", tag = "templates", operation_id = "uploadTemplate",
    summary = "Create or replace a template from a zip of its folder (checked first; nothing is written unless it loads)",
    params(("id" = String, Path, description = "The template id: 1 to 64 of A-Z a-z 0-9 . _ -, not starting with `.`")),
    request_body(content = Binary, content_type = "application/zip", description = "A zip of the template folder"),
    responses(
        (status = 200, description = "Replaced", body = TemplateView),
        (status = 201, description = "Created", body = TemplateView),
        (status = 413, description = "The zip is larger than 20 MiB"),
        (status = 422, description = "A bad id, a refused archive or an invalid template: every problem, located"),
    ))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, ApiError> {
    principal.require(Scope::Admin)?;
    let (change, entry) = templates::upload(&state, &id, zip_body(body)?).await?;
    let status = match change {
        Some(Change::Created) => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    Ok((status, Json(view(&entry, false))).into_response())
}

/// `PUT /v1/templates/{id}/images`
#[utoipa::path(put, path = "/templates/{id}/images", tag = "templates", operation_id = "addTemplateImages",
    summary = "Add images to a template (a zip of PNGs), replacing those of the same name; its passes get a new version",
    params(("id" = String, Path, description = "The template id")),
    request_body(content = Binary, content_type = "application/zip", description = "A zip of images: icon.png, logo@2x.png, strip.png, fr.lproj/logo.png, …"),
    responses(
        (status = 200, description = "Added", body = TemplateView),
        (status = 404, description = "No such template"),
        (status = 413, description = "The zip is larger than 20 MiB"),
        (status = 422, description = "An entry that is not an image of a pass, or images that make the template invalid: every problem, located"),
    ))]
pub(crate) async fn add_images(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<TemplateView>, ApiError> {
    principal.require(Scope::Admin)?;
    let entry = templates::add_images(&state, &id, zip_body(body)?).await?;
    Ok(Json(view(&entry, true)))
}

/// Query of `DELETE /v1/templates/{id}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DeleteQuery {
    /// Delete even while passes use it (they can then no longer be
    /// downloaded).
    #[serde(default)]
    force: bool,
}

/// `DELETE /v1/templates/{id}`
#[utoipa::path(delete, path = "/templates/{id}", tag = "templates", operation_id = "deleteTemplate",
    summary = "Delete a template (409 while passes use it, unless force=true)",
    params(("id" = String, Path, description = "The template id"), DeleteQuery),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such template"),
        (status = 409, description = "Passes use it"),
    ))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Params(q): Params<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    principal.require(Scope::Admin)?;
    templates::delete(&state, &id, q.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /templates/{id}/{file}`
#[utoipa::path(get, path = "/templates/{id}/{file}", tag = "templates", operation_id = "templateImage",
    summary = "A template image (public: Google Wallet fetches pass images from here)",
    params(("id" = String, Path, description = "The template id"), ("file" = String, Path, description = "An image of it, e.g. `logo.png`")),
    responses(
        (status = 200, description = "The image", content_type = "image/png", body = Binary),
        (status = 404, description = "No such template or image"),
        (status = 422, description = "The template has errors and no earlier valid version"),
    ))]
pub(crate) async fn asset(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let template = state.inner.templates.live(&id)?;
    let asset = template
        .assets()
        .iter()
        .find(|a| a.name == file && a.name.ends_with(".png"))
        .ok_or_else(|| ApiError::not_found("image", &format!("{id}/{file}")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        asset.bytes.clone(),
    )
        .into_response())
}
