//! At the door: `POST /v1/scans`, `POST /v1/passes/{id}/redeem`,
//! `POST /v1/passes/{id}/adjust`, `GET /v1/passes/{id}/redemptions`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{check_limit, none_match, page};
use crate::service::domain::keys::{Principal, Scope};
use crate::service::domain::passes::{self, PassView};
use crate::service::domain::redemptions::{
    self, refusal_error, Actor, DoorList, Offline, OfflineUse, Outcome, RedemptionView, Standing,
    UploadResult,
};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::http::extract::{Checked, Params};
use crate::service::state::AppState;

/// The routes.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(scan))
        .routes(routes!(redeem))
        .routes(routes!(adjust))
        .routes(routes!(list))
        .routes(routes!(scan_list))
        .routes(routes!(upload))
}

/// Longest gate name.
const MAX_GATE_CHARS: usize = 100;

/// What a scanner read.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"message": "TICKET-0042", "gate": "North door", "templateIds": ["event-ticket"], "redeem": true}))]
pub(crate) struct ScanRequest {
    /// The barcode's message (or a serial number typed in).
    #[schema(min_length = 1, max_length = 4000)]
    message: String,
    /// The gate or scanner, as door staff name it (shown in the history).
    #[schema(max_length = 100)]
    gate: Option<String>,
    /// The templates this gate takes; a pass of another is refused
    /// (`wrong_template`). All when absent.
    template_ids: Option<Vec<String>>,
    /// Redeem the pass in the same step when it can be used.
    #[serde(default)]
    redeem: bool,
}

/// The redemption counts of a pass in its template's window.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UseCounts {
    /// Successful redemptions in the window (today, or in all).
    used: u32,
    /// The template's limit (none: not redeemable at the door).
    limit: Option<u32>,
    /// Uses left in the window.
    remaining: Option<u32>,
    /// `day` when the limit is per day.
    per: Option<&'static str>,
}

fn counts(s: &Standing) -> UseCounts {
    UseCounts {
        used: s.used,
        limit: s.limit,
        remaining: s.remaining(),
        per: s.per_day.then_some("day"),
    }
}

/// The answer to a scan: the pass, whether it can be used now and why not.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ScanAnswer {
    /// Green (true) or red (false).
    can_use: bool,
    /// Why not: `already_used`, `voided`, `expired`, `wrong_template`,
    /// `not_redeemable`, `not_yet_valid`.
    reason: Option<&'static str>,
    /// The answer in words for the scanner's screen, e.g. "Already used at
    /// 2027-06-12T19:02:00Z by key3 (North door)".
    message: String,
    /// The scan redeemed the pass (with `redeem: true`).
    redeemed: bool,
    /// The pass.
    pass: PassView,
    /// The fields the template shows at the door (`"showAtScan": true`).
    #[schema(value_type = Object)]
    holder: Map<String, Value>,
    /// Its counter fields (points, balance, stamps).
    #[schema(value_type = Object)]
    counters: Map<String, Value>,
    /// Its redemptions in the template's window.
    uses: UseCounts,
    /// The latest redemption in the window.
    last_use: Option<RedemptionView>,
}

fn gate_of(gate: Option<String>) -> Result<Option<String>, ApiError> {
    match gate {
        Some(g) if g.chars().count() > MAX_GATE_CHARS => {
            Err(ApiError::problems(vec![FieldProblem::new(
                "/gate",
                format!("at most {MAX_GATE_CHARS} characters"),
            )]))
        }
        g => Ok(g.filter(|g| !g.trim().is_empty())),
    }
}

/// `POST /v1/scans`
#[utoipa::path(post, path = "/scans", tag = "door", operation_id = "scan",
    summary = "What a scanner read → the pass, its holder fields, and whether it can be used now (and why not); with `redeem` it is used in the same step",
    request_body = ScanRequest,
    responses(
        (status = 200, description = "The pass and the answer (green or red)", body = ScanAnswer),
        (status = 404, description = "No pass carries this barcode (`unknown_barcode`)"),
        (status = 409, description = "The pass changed many times while this request ran"),
        (status = 422, description = "No message, or a gate name that is too long"),
    ))]
pub(crate) async fn scan(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<ScanRequest>,
) -> Result<Json<ScanAnswer>, ApiError> {
    principal.require(Scope::Scan)?;
    let b = body.typed()?;
    let actor = Actor {
        id: principal.id.clone(),
        gate: gate_of(b.gate)?,
    };
    let s = redemptions::scan(
        &state,
        &b.message,
        &actor,
        b.template_ids.as_deref(),
        b.redeem,
    )
    .await?;
    Ok(Json(ScanAnswer {
        can_use: s.standing.refusal.is_none(),
        reason: s.standing.refusal.map(|r| r.code()),
        message: s.standing.message.clone(),
        redeemed: s.redeemed,
        pass: passes::view(&state, &s.pass),
        holder: s.holder,
        counters: s.counters,
        uses: counts(&s.standing),
        last_use: s.standing.last_use.as_ref().map(redemptions::view),
    }))
}

/// Where a pass is redeemed.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(example = json!({"gate": "North door"}))]
pub(crate) struct RedeemRequest {
    /// The gate or scanner, as door staff name it.
    #[schema(max_length = 100)]
    gate: Option<String>,
    /// The templates this gate takes; a pass of another is refused.
    template_ids: Option<Vec<String>>,
}

/// A redemption or adjustment, and the pass's new version.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UseAnswer {
    /// The pass's new version (pushed to its devices).
    pass: PassView,
    /// The recorded use.
    redemption: RedemptionView,
}

/// `POST /v1/passes/{id}/redeem`
#[utoipa::path(post, path = "/passes/{id}/redeem", tag = "door", operation_id = "redeemPass",
    summary = "Use a pass once against its template's redemption rule: a new version (pushed), `pass.redeemed`; two at the same moment on a single-use pass: exactly one succeeds",
    params(("id" = String, Path, description = "The pass id")),
    request_body(content = Option<RedeemRequest>, description = "Optional: the gate"),
    responses(
        (status = 200, description = "Redeemed", body = UseAnswer),
        (status = 404, description = "No such pass"),
        (status = 409, description = "Not usable now: `already_used` (when and by whom in `detail`), `voided`, `expired`, `not_yet_valid`, `wrong_template`, `not_redeemable`"),
        (status = 422, description = "A gate name that is too long"),
    ))]
pub(crate) async fn redeem(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Option<Checked<RedeemRequest>>,
) -> Result<Json<UseAnswer>, ApiError> {
    principal.require(Scope::Scan)?;
    let b = match body {
        Some(b) => b.typed()?,
        None => RedeemRequest::default(),
    };
    let actor = Actor {
        id: principal.id.clone(),
        gate: gate_of(b.gate)?,
    };
    match redemptions::redeem(
        &state,
        &id,
        &actor,
        b.template_ids.as_deref(),
        Offline::default(),
    )
    .await?
    {
        Outcome::Redeemed(r) => Ok(Json(UseAnswer {
            pass: passes::view(&state, &r.pass),
            redemption: redemptions::view(&r.redemption),
        })),
        Outcome::Refused(b) => Err(refusal_error(&b.1)),
    }
}

/// Amounts to add to counter fields, by field: whole numbers (a balance in
/// minor units of its currency: -1250 is -12.50 EUR); `gate` names where.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[schema(value_type = Object, example = json!({"points": 10, "gate": "Till 2"}))]
pub(crate) struct AdjustRequest(Map<String, Value>);

/// `POST /v1/passes/{id}/adjust`
#[utoipa::path(post, path = "/passes/{id}/adjust", tag = "door", operation_id = "adjustPass",
    summary = "Add to counter fields (points, balance, stamps) within their bounds: one new version (pushed), `pass.adjusted`",
    params(("id" = String, Path, description = "The pass id")),
    request_body = AdjustRequest,
    responses(
        (status = 200, description = "Adjusted", body = UseAnswer),
        (status = 404, description = "No such pass"),
        (status = 409, description = "A voided pass (`voided`), or many changes while this request ran"),
        (status = 422, description = "Every problem located: not a counter, not a whole number, out of bounds (with the current value)"),
    ))]
pub(crate) async fn adjust(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    body: Checked<AdjustRequest>,
) -> Result<Json<UseAnswer>, ApiError> {
    principal.require(Scope::Scan)?;
    let AdjustRequest(mut changes) = body.typed()?;
    let gate = match changes.remove("gate") {
        None | Some(Value::Null) => None,
        Some(Value::String(g)) => Some(g),
        Some(_) => {
            return Err(ApiError::problems(vec![FieldProblem::new(
                "/gate",
                "the gate's name, a string",
            )]))
        }
    };
    let actor = Actor {
        id: principal.id.clone(),
        gate: gate_of(gate)?,
    };
    let (pass, r) = redemptions::adjust(&state, &id, &actor, &changes).await?;
    Ok(Json(UseAnswer {
        pass: passes::view(&state, &pass),
        redemption: redemptions::view(&r),
    }))
}

/// Query of `GET /v1/passes/{id}/redemptions`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub(crate) struct ListQuery {
    /// Per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `nextStartingAfter` of the previous page.
    starting_after: Option<String>,
}

/// A page of a pass's uses.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RedemptionList {
    /// Oldest first.
    data: Vec<RedemptionView>,
    /// Whether more follow.
    has_more: bool,
    /// Pass it as `startingAfter` for the next page.
    next_starting_after: Option<String>,
}

/// `GET /v1/passes/{id}/redemptions`
#[utoipa::path(get, path = "/passes/{id}/redemptions", tag = "door", operation_id = "listRedemptions",
    summary = "A pass's scans, redemptions and adjustments: who, when, where, with what outcome",
    params(("id" = String, Path, description = "The pass id"), ListQuery),
    responses(
        (status = 200, description = "A page", body = RedemptionList),
        (status = 404, description = "No such pass"),
        (status = 422, description = "`limit` out of range"),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    Params(q): Params<ListQuery>,
) -> Result<Json<RedemptionList>, ApiError> {
    principal.require(Scope::Read)?;
    let limit = check_limit(q.limit, 100)?;
    let rows = redemptions::list(&state, &id, q.starting_after.as_deref(), limit + 1).await?;
    let (rows, has_more, next) = page(rows, limit, |r| r.id.clone());
    Ok(Json(RedemptionList {
        data: rows.iter().map(redemptions::view).collect(),
        has_more,
        next_starting_after: next,
    }))
}

/// `GET /v1/templates/{id}/scan-list`
#[utoipa::path(get, path = "/templates/{id}/scan-list", tag = "door", operation_id = "scanList",
    summary = "A template's door list: every pass's barcode message, state and uses left, for a gate that checks offline (ETag: send If-None-Match)",
    params(
        ("id" = String, Path, description = "The template id"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag of the list the gate has"),
    ),
    responses(
        (status = 200, description = "The list", body = DoorList,
            headers(("ETag" = String, description = "Changes with any pass, use or rule"))),
        (status = 304, description = "The gate's list is current"),
        (status = 404, description = "No such template"),
    ))]
pub(crate) async fn scan_list(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    principal.require(Scope::Scan)?;
    let list = redemptions::door_list(&state, &id).await?;
    let body = serde_json::to_vec(&list).map_err(|e| ApiError::internal(&e))?;
    let digest = <sha1::Sha1 as sha1::Digest>::digest(&body);
    let etag = format!("\"{}\"", crate::model::hex(&digest));
    let tag = HeaderValue::from_str(&etag).map_err(|e| ApiError::internal(&e))?;
    if none_match(&headers, &etag) == Some(true) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response());
    }
    Ok((
        [
            (header::ETAG, tag),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ],
        body,
    )
        .into_response())
}

/// One use an offline gate made.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct OfflineItem {
    /// The gate's unique id for this use (e.g. `north-1-000042`): an upload
    /// sent again counts it once.
    #[schema(min_length = 1, max_length = 200)]
    client_id: String,
    /// What the gate scanned.
    #[schema(min_length = 1, max_length = 4000)]
    message: String,
    /// When, by the gate's clock.
    #[schema(format = DateTime)]
    at: String,
    /// Which gate.
    #[schema(max_length = 100)]
    gate: Option<String>,
}

/// Uses made offline, in the order they happened.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": [{"clientId": "north-1-000042", "message": "TICKET-0042", "at": "2027-06-12T19:02:00+01:00", "gate": "North 1"}]}))]
pub(crate) struct UploadRequest {
    /// 1 to 1,000 uses.
    #[schema(min_items = 1, max_items = 1000)]
    items: Vec<OfflineItem>,
}

/// What became of each uploaded use.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UploadAnswer {
    /// One per item, in order.
    results: Vec<UploadResult>,
    /// Items counted now.
    redeemed: usize,
    /// Items counted before (not again).
    duplicates: usize,
    /// Items the passes no longer allowed (e.g. another gate used the
    /// ticket first).
    conflicts: usize,
}

/// `POST /v1/redemptions`
#[utoipa::path(post, path = "/redemptions", tag = "door", operation_id = "uploadRedemptions",
    summary = "Upload the redemptions an offline gate made: each counted once (by its clientId), conflicts reported",
    request_body = UploadRequest,
    responses(
        (status = 200, description = "Each item's outcome", body = UploadAnswer),
        (status = 422, description = "Every problem located (`/items/3/at`)"),
    ))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    body: Checked<UploadRequest>,
) -> Result<Json<UploadAnswer>, ApiError> {
    principal.require(Scope::Scan)?;
    let b = body.typed()?;
    let mut problems = Vec::new();
    let mut uses = Vec::with_capacity(b.items.len());
    for (i, item) in b.items.into_iter().enumerate() {
        let at = match chrono::DateTime::parse_from_rfc3339(&item.at) {
            Ok(t) => t.timestamp_millis(),
            Err(_) => {
                problems.push(FieldProblem::new(
                    format!("/items/{i}/at"),
                    "expected a date-time with a time zone, e.g. 2027-06-12T19:02:00+01:00",
                ));
                continue;
            }
        };
        uses.push(OfflineUse {
            client_id: item.client_id,
            message: item.message,
            at,
            gate: item.gate,
        });
    }
    if !problems.is_empty() {
        return Err(ApiError::problems(problems));
    }
    let results = redemptions::upload(&state, &principal.id, uses).await?;
    let count = |o: &str| results.iter().filter(|r| r.outcome() == o).count();
    let redeemed = count("ok");
    let duplicates = count("duplicate");
    Ok(Json(UploadAnswer {
        conflicts: results.len() - redeemed - duplicates,
        redeemed,
        duplicates,
        results,
    }))
}
