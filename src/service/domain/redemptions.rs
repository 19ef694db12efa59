//! At the door: scans (what a scanner read → the pass and whether it can
//! be used now), redemptions (a use counted against the template's rule)
//! and adjustments of counter fields (points, balances, stamps).
//!
//! A redemption or adjustment is a new version of the pass, written with
//! its record and its effects (the event, pushes, the Google update) in one
//! transaction, on the condition that the pass is still at the version the
//! decision was made on. Two scanners redeeming a single-use ticket at the
//! same moment both decide "unused"; one writes, the other finds the
//! version moved, decides again on the new state, and is refused: exactly
//! one use, on SQLite and on PostgreSQL with any number of instances.

use serde_json::{json, Map, Value};

use crate::issue::Issuer;
use crate::model::diag::pointer_segment;
use crate::service::clock::{now_ms, rfc3339};
use crate::service::db::{self, redemptions, PassRecord, PassStatus, RedemptionRecord, StoreError};
use crate::service::domain::commit;
use crate::service::domain::passes::{self, concurrent_update, version_effects, version_of};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::outbox::Effect;
use crate::service::state::AppState;
use crate::template::{Template, Usage};

/// Attempts at writing a decision before giving up with 409 (each lost
/// race means another use was written, so this is only reached under a
/// stream of changes to one pass).
const ATTEMPTS: usize = 8;

/// Who uses a pass, and where.
#[derive(Debug, Clone, Default)]
pub(crate) struct Actor {
    /// The credential's id (a key id, `jwt:<sub>`).
    pub(crate) id: String,
    /// The gate or scanner, as it names itself.
    pub(crate) gate: Option<String>,
}

/// Why a pass cannot be used now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The gate accepts other templates.
    WrongTemplate,
    /// The redemption limit is reached (in all, or today).
    AlreadyUsed,
    /// The pass is voided.
    Voided,
    /// The pass's expiration date has passed.
    Expired,
    /// Its template has no redemption rule.
    NotRedeemable,
    /// Before the time its template's `validFrom` field gives.
    NotYetValid,
}

impl Refusal {
    /// The stable code (the problem's `code`, the scan's `reason`).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::WrongTemplate => "wrong_template",
            Self::AlreadyUsed => "already_used",
            Self::Voided => "voided",
            Self::Expired => "expired",
            Self::NotRedeemable => "not_redeemable",
            Self::NotYetValid => "not_yet_valid",
        }
    }
}

/// What a pass allows now.
#[derive(Debug, Clone)]
pub(crate) struct Standing {
    /// Why it cannot be used, if it cannot.
    pub(crate) refusal: Option<Refusal>,
    /// The answer in words, for the scanner's screen.
    pub(crate) message: String,
    /// Successful redemptions in the rule's window (today, or in all).
    pub(crate) used: u32,
    /// The template's limit, if it has a rule.
    pub(crate) limit: Option<u32>,
    /// The limit counts per day.
    pub(crate) per_day: bool,
    /// The latest redemption in the window.
    pub(crate) last_use: Option<RedemptionRecord>,
}

impl Standing {
    /// Redemptions left in the window.
    pub(crate) fn remaining(&self) -> Option<u32> {
        self.limit.map(|l| l.saturating_sub(self.used))
    }
}

fn describe_use(r: &RedemptionRecord) -> String {
    let mut s = format!("at {} by {}", rfc3339(r.at), r.actor);
    if let Some(g) = &r.gate {
        s.push_str(&format!(" ({g})"));
    }
    s
}

/// When a pass becomes valid: the value of its template's `validFrom`
/// field (Unix ms).
fn valid_from(usage: &Usage, pass: &PassRecord) -> Option<i64> {
    let field = usage.redemption.as_ref()?.valid_from.as_deref()?;
    let text = pass.custom_fields.get(field)?.as_str()?;
    crate::template::schema::parse_datetime(text).map(|d| d.timestamp_millis())
}

/// Decides whether `pass` can be redeemed now (pure): `uses` are its
/// successful redemptions in the rule's window, `expires_at` its rendered
/// expiration date, `accepted` the templates the gate takes.
pub(crate) fn standing(
    usage: &Usage,
    pass: &PassRecord,
    uses: &[RedemptionRecord],
    now: i64,
    expires_at: Option<i64>,
    accepted: Option<&[String]>,
) -> Standing {
    let rule = usage.redemption.as_ref();
    let used = u32::try_from(uses.len()).unwrap_or(u32::MAX);
    let mut out = Standing {
        refusal: None,
        message: String::new(),
        used,
        limit: rule.map(|r| r.limit),
        per_day: rule.is_some_and(|r| r.per_day),
        last_use: uses.last().cloned(),
    };
    let refuse = |out: &mut Standing, r: Refusal, message: String| {
        out.refusal = Some(r);
        out.message = message;
    };
    if let Some(list) = accepted.filter(|l| !l.is_empty()) {
        if !list.contains(&pass.template_id) {
            let msg = format!(
                "Wrong pass for this gate: a {} pass; this gate takes {}",
                pass.template_id,
                list.join(", ")
            );
            refuse(&mut out, Refusal::WrongTemplate, msg);
            return out;
        }
    }
    if let Some(rule) = rule {
        if used >= rule.limit {
            let first = uses.first().map(describe_use).unwrap_or_default();
            let msg = match (rule.limit, rule.per_day) {
                (1, false) => format!("Already used {first}"),
                (n, false) => format!("Used up: all {n} uses taken, the first {first}"),
                (n, true) => format!("Used {n} times today already, the first {first}"),
            };
            refuse(&mut out, Refusal::AlreadyUsed, msg);
            return out;
        }
    }
    if pass.status == PassStatus::Voided {
        refuse(
            &mut out,
            Refusal::Voided,
            "Voided: this pass is no longer valid".to_owned(),
        );
        return out;
    }
    if let Some(exp) = expires_at.filter(|e| *e <= now) {
        refuse(
            &mut out,
            Refusal::Expired,
            format!("Expired at {}", rfc3339(exp)),
        );
        return out;
    }
    if let Some(from) = valid_from(usage, pass).filter(|f| *f > now) {
        refuse(
            &mut out,
            Refusal::NotYetValid,
            format!("Not valid yet: from {}", rfc3339(from)),
        );
        return out;
    }
    match rule {
        None => {
            out.message = "Valid (this pass is not redeemed at the door)".to_owned();
        }
        Some(r) => {
            let left = r.limit - used;
            out.message = if r.limit == 1 {
                "Valid: not used yet".to_owned()
            } else if r.per_day {
                format!("Valid: {left} of {} uses left today", r.limit)
            } else {
                format!("Valid: {left} of {} uses left", r.limit)
            };
        }
    }
    out
}

/// The expiration date (Unix ms) of a pass's current version, as rendered.
fn expires_at(state: &AppState, template: &Template, pass: &PassRecord) -> Option<i64> {
    let (stamp, overrides) = version_of(pass).ok()?;
    let rendered = Issuer::new(template, &state.inner.config.identity)
        .render_with(&pass.custom_fields, &stamp, Some(&overrides))
        .ok()?;
    let text = rendered.pass_json.get("expirationDate")?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|d| d.timestamp_millis())
}

/// The start of the rule's window at `now` (midnight in the template's time
/// zone for a limit per day, else the beginning of time).
fn window_start(usage: &Usage, now: i64) -> i64 {
    match &usage.redemption {
        Some(r) if r.per_day => chrono::DateTime::from_timestamp_millis(now)
            .map_or(0, |t| usage.day_start(t).timestamp_millis()),
        _ => 0,
    }
}

/// A pass's standing now.
async fn standing_of(
    state: &AppState,
    template: &Template,
    pass: &PassRecord,
    now: i64,
    accepted: Option<&[String]>,
) -> Result<Standing, ApiError> {
    let usage = &template.meta().usage;
    let uses = redemptions::redeemed_since(
        &mut *state.inner.store.conn().await?,
        &pass.id,
        window_start(usage, now),
    )
    .await?;
    Ok(standing(
        usage,
        pass,
        &uses,
        now,
        expires_at(state, template, pass),
        accepted,
    ))
}

/// Records a use that changed nothing (a scan, a refusal) on its own.
async fn record(
    state: &AppState,
    pass_id: Option<&str>,
    kind: &'static str,
    outcome: &str,
    actor: &Actor,
    at: i64,
    client_id: Option<String>,
) -> Result<RedemptionRecord, ApiError> {
    let r = RedemptionRecord {
        id: uuid::Uuid::now_v7().to_string(),
        pass_id: pass_id.map(str::to_owned),
        kind: kind.to_owned(),
        outcome: outcome.to_owned(),
        changes: None,
        version: None,
        actor: actor.id.clone(),
        gate: actor.gate.clone(),
        at,
        recorded_at: now_ms(),
        client_id,
    };
    let mut c = state.inner.store.conn().await?;
    redemptions::insert(&mut c, &r).await?;
    state.inner.metrics.pass_use(kind, outcome);
    Ok(r)
}

/// A use as the API shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RedemptionView {
    /// Id (UUIDv7).
    id: String,
    /// Always `redemption`.
    #[schema(example = "redemption")]
    object: &'static str,
    /// The pass (none for a scan that found none).
    pass_id: Option<String>,
    /// `scan`, `redeem` or `adjust`.
    #[schema(value_type = String, pattern = "^(scan|redeem|adjust)$")]
    kind: String,
    /// `ok`, or why it was refused (`already_used`, `voided`, `expired`,
    /// `not_yet_valid`, `wrong_template`, `not_redeemable`,
    /// `unknown_barcode`).
    outcome: String,
    /// An adjustment's changes, e.g. `{"points": 10}`.
    #[schema(value_type = Option<Object>)]
    changes: Option<Value>,
    /// The pass version it made.
    version: Option<i64>,
    /// Who: the key id (or `jwt:<sub>`).
    actor: String,
    /// Where: the gate or scanner's name.
    gate: Option<String>,
    /// When it happened (an offline gate's own time for an upload).
    #[schema(format = DateTime)]
    at: String,
    /// When passforge recorded it.
    #[schema(format = DateTime)]
    recorded_at: String,
    /// An offline gate's id for it.
    client_id: Option<String>,
}

/// The API's view of a use.
pub(crate) fn view(r: &RedemptionRecord) -> RedemptionView {
    RedemptionView {
        id: r.id.clone(),
        object: "redemption",
        pass_id: r.pass_id.clone(),
        kind: r.kind.clone(),
        outcome: r.outcome.clone(),
        changes: r.changes.clone(),
        version: r.version,
        actor: r.actor.clone(),
        gate: r.gate.clone(),
        at: rfc3339(r.at),
        recorded_at: rfc3339(r.recorded_at),
        client_id: r.client_id.clone(),
    }
}

/// A redemption that was written.
#[derive(Debug, Clone)]
pub(crate) struct Redeemed {
    /// The pass's new version.
    pub(crate) pass: PassRecord,
    /// The recorded use.
    pub(crate) redemption: RedemptionRecord,
    /// The standing it was decided on (before this use).
    pub(crate) before: Standing,
}

/// A redemption's result: written, or refused with the standing that
/// refused it (recorded either way).
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Used.
    Redeemed(Box<Redeemed>),
    /// Not used, and why.
    Refused(Box<(PassRecord, Standing)>),
}

/// The 409 of a refusal.
pub(crate) fn refusal_error(standing: &Standing) -> ApiError {
    let code = standing.refusal.map_or("not_redeemable", Refusal::code);
    ApiError::conflict(code, standing.message.clone())
}

/// Where and when an offline gate used a pass.
#[derive(Debug, Clone, Default)]
pub(crate) struct Offline {
    /// The gate's time of the use (Unix ms).
    pub(crate) at: Option<i64>,
    /// The gate's id for the use: recorded once.
    pub(crate) client_id: Option<String>,
}

/// Redeems pass `id` once against its template's rule.
///
/// # Errors
/// 404; 409 `duplicate` for an offline use recorded before, 409 on a
/// stream of concurrent changes; 422 when the pass no longer makes a valid
/// pass.
pub(crate) async fn redeem(
    state: &AppState,
    id: &str,
    actor: &Actor,
    accepted: Option<&[String]>,
    offline: Offline,
) -> Result<Outcome, ApiError> {
    if let Some(cid) = &offline.client_id {
        if let Some(done) = state.inner.store.redemption_by_client_id(cid).await? {
            return Err(duplicate(&done));
        }
    }
    for _ in 0..ATTEMPTS {
        let old = passes::get(state, id).await?;
        let template = state.inner.templates.live(&old.template_id)?;
        let now = offline.at.unwrap_or_else(now_ms);
        let mut before = standing_of(state, &template, &old, now, accepted).await?;
        let rule = template.meta().usage.redemption.as_ref();
        if before.refusal.is_none() && rule.is_none() {
            before.refusal = Some(Refusal::NotRedeemable);
            before.message = format!(
                "Not redeemable: passes of {} are not used up at the door (its template.json has no \"redemption\" rule)",
                old.template_id
            );
        }
        if let Some(r) = before.refusal {
            record(
                state,
                Some(id),
                "redeem",
                r.code(),
                actor,
                now,
                offline.client_id.clone(),
            )
            .await
            .or_else(|e| duplicate_or(e, &offline))?;
            return Ok(Outcome::Refused(Box::new((old, before))));
        }
        let mut new = old.clone();
        if rule.is_some_and(|r| r.void_when_used_up && before.used + 1 >= r.limit) {
            new.status = PassStatus::Voided;
        }
        let (new, signed) = passes::next_version(state, &old, new).await?;
        let redemption = RedemptionRecord {
            id: uuid::Uuid::now_v7().to_string(),
            pass_id: Some(id.to_owned()),
            kind: "redeem".to_owned(),
            outcome: "ok".to_owned(),
            changes: None,
            version: Some(new.version),
            actor: actor.id.clone(),
            gate: actor.gate.clone(),
            at: now,
            recorded_at: now_ms(),
            client_id: offline.client_id.clone(),
        };
        let data = json!({"pass": passes::view_json(state, &new), "redemption": view(&redemption)});
        if write_use(
            state,
            (&old, &new, signed),
            &redemption,
            "pass.redeemed",
            data,
        )
        .await
        .or_else(|e| duplicate_or(e, &offline))?
        {
            state.inner.metrics.pass_use("redeem", "ok");
            tracing::info!(pass = %id, version = new.version, actor = %actor.id, "pass redeemed");
            return Ok(Outcome::Redeemed(Box::new(Redeemed {
                pass: new,
                redemption,
                before,
            })));
        }
    }
    Err(concurrent_update())
}

/// Writes a new version (with its signed bytes) with its use and effects
/// if the pass is still at `old`'s version; false when another writer got
/// there first.
async fn write_use(
    state: &AppState,
    (old, new, signed): (&PassRecord, &PassRecord, Option<passes::Signed>),
    r: &RedemptionRecord,
    event: &'static str,
    data: Value,
) -> Result<bool, ApiError> {
    let mut tx = state.inner.store.begin().await?;
    if !db::update_pass(&mut tx, new, old.version).await? {
        return Ok(false);
    }
    passes::store_signed(&mut tx, new, signed.as_ref()).await?;
    match redemptions::insert(&mut tx, r).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(
                "duplicate",
                "this offline use was recorded before",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let mut effects = version_effects(state, old, new, event);
    effects[0] = Effect::event(event, data);
    commit(state, tx, &effects).await?;
    passes::remember(state, new, signed);
    Ok(true)
}

/// 409 `duplicate`: an offline use recorded before (never counted twice).
fn duplicate(done: &RedemptionRecord) -> ApiError {
    ApiError::conflict(
        "duplicate",
        format!(
            "this offline use was recorded before (redemption {}, outcome {}): it is not counted again",
            done.id, done.outcome
        ),
    )
}

/// A unique-id conflict while recording an offline use is its duplicate.
fn duplicate_or<T>(e: ApiError, offline: &Offline) -> Result<T, ApiError> {
    if offline.client_id.is_some() && e.code == "conflict" {
        return Err(ApiError::conflict(
            "duplicate",
            "this offline use was recorded before: it is not counted again",
        ));
    }
    Err(e)
}

/// Changes counter fields by the given amounts (`{"points": 10}`) as one
/// new version: every counter stays within its bounds, or nothing changes.
///
/// # Errors
/// 404; 409 for a voided pass or a stream of concurrent changes; 422 with
/// every problem located (`/points`), the current value named.
pub(crate) async fn adjust(
    state: &AppState,
    id: &str,
    actor: &Actor,
    changes: &Map<String, Value>,
) -> Result<(PassRecord, RedemptionRecord), ApiError> {
    for _ in 0..ATTEMPTS {
        let old = passes::get(state, id).await?;
        let template = state.inner.templates.live(&old.template_id)?;
        let deltas = check_changes(&template, &old, changes)?;
        if old.status == PassStatus::Voided {
            record(state, Some(id), "adjust", "voided", actor, now_ms(), None).await?;
            return Err(ApiError::conflict(
                "voided",
                "Voided: a voided pass's counters do not change",
            ));
        }
        let mut new = old.clone();
        for (k, v) in &deltas {
            new.custom_fields.insert(k.clone(), Value::from(*v));
        }
        let (new, signed) = passes::next_version(state, &old, new).await?;
        let now = now_ms();
        let redemption = RedemptionRecord {
            id: uuid::Uuid::now_v7().to_string(),
            pass_id: Some(id.to_owned()),
            kind: "adjust".to_owned(),
            outcome: "ok".to_owned(),
            changes: Some(Value::Object(changes.clone())),
            version: Some(new.version),
            actor: actor.id.clone(),
            gate: actor.gate.clone(),
            at: now,
            recorded_at: now,
            client_id: None,
        };
        let data = json!({"pass": passes::view_json(state, &new), "redemption": view(&redemption)});
        if write_use(
            state,
            (&old, &new, signed),
            &redemption,
            "pass.adjusted",
            data,
        )
        .await?
        {
            state.inner.metrics.pass_use("adjust", "ok");
            tracing::info!(pass = %id, version = new.version, actor = %actor.id, "pass adjusted");
            return Ok((new, redemption));
        }
    }
    Err(concurrent_update())
}

/// The new value of each changed counter, or every problem located.
fn check_changes(
    template: &Template,
    pass: &PassRecord,
    changes: &Map<String, Value>,
) -> Result<Vec<(String, i64)>, ApiError> {
    let fields = template.schema().fields();
    let counters: Vec<&str> = fields
        .iter()
        .filter(|(_, f)| f.counter.is_some())
        .map(|(k, _)| k.as_str())
        .collect();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    if changes.is_empty() {
        errors.push(FieldProblem::new(
            "",
            format!(
                "give at least one counter and the amount to add, e.g. {{\"{}\": 10}}",
                counters.first().copied().unwrap_or("points")
            ),
        ));
    }
    for (k, v) in changes {
        let at = format!("/{}", pointer_segment(k));
        let Some(counter) = fields.get(k).and_then(|f| f.counter.as_ref()) else {
            errors.push(FieldProblem::new(
                at,
                if counters.is_empty() {
                    format!("this template ({}) has no counter fields", template.id())
                } else {
                    format!(
                        "not a counter of this template (its counters: {})",
                        counters.join(", ")
                    )
                },
            ));
            continue;
        };
        let unit = counter
            .currency
            .as_deref()
            .map(|c| format!(" in minor units of {c}"))
            .unwrap_or_default();
        let Some(delta) = v.as_i64() else {
            let hint = match (v.as_f64(), &counter.currency) {
                (Some(f), Some(c)) => format!(" ({f} {c} is {})", (f * 100.0).round() as i64),
                _ => String::new(),
            };
            errors.push(FieldProblem::new(
                at,
                format!("expected a whole number to add{unit}, got {v}{hint}"),
            ));
            continue;
        };
        let current = pass
            .custom_fields
            .get(k)
            .and_then(Value::as_i64)
            .unwrap_or(0);
        match current.checked_add(delta) {
            Some(next) => match counter.out_of_bounds(next) {
                None => out.push((k.clone(), next)),
                Some(why) => errors.push(FieldProblem::new(
                    at,
                    format!("{k} is {current}{unit}; adding {delta} makes {next}, {why}"),
                )),
            },
            None => errors.push(FieldProblem::new(at, "the amount is out of range")),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ApiError::problems(errors))
    }
}

/// What a scan found.
#[derive(Debug, Clone)]
pub(crate) struct Scanned {
    /// The pass (its new version when the scan redeemed it).
    pub(crate) pass: PassRecord,
    /// Its standing (after the use when the scan redeemed it).
    pub(crate) standing: Standing,
    /// The scan redeemed the pass.
    pub(crate) redeemed: bool,
    /// The holder fields the template shows at the door.
    pub(crate) holder: Map<String, Value>,
    /// Its counter fields.
    pub(crate) counters: Map<String, Value>,
}

/// Looks up what a scanner read (a barcode message, or a serial number),
/// says whether the pass can be used now, and with `redeem` uses it.
///
/// # Errors
/// 404 `unknown_barcode` when no pass carries the message (recorded).
pub(crate) async fn scan(
    state: &AppState,
    message: &str,
    actor: &Actor,
    accepted: Option<&[String]>,
    redeem_it: bool,
) -> Result<Scanned, ApiError> {
    let Some(pass) = state.inner.store.pass_by_scan(message).await? else {
        record(
            state,
            None,
            "scan",
            "unknown_barcode",
            actor,
            now_ms(),
            None,
        )
        .await?;
        return Err(ApiError::new(
            http::StatusCode::NOT_FOUND,
            "unknown_barcode",
            "No pass carries this barcode: not a pass of this service, or deleted",
        ));
    };
    let (pass, standing, redeemed) = if redeem_it {
        match redeem(state, &pass.id, actor, accepted, Offline::default()).await? {
            Outcome::Redeemed(r) => {
                let mut after = r.before.clone();
                after.used += 1;
                after.last_use = Some(r.redemption.clone());
                after.message = match after.remaining() {
                    Some(0) | None => "OK: admitted".to_owned(),
                    Some(n) => format!("OK: admitted ({n} uses left)"),
                };
                (r.pass, after, true)
            }
            Outcome::Refused(b) => (b.0, b.1, false),
        }
    } else {
        let template = state.inner.templates.live(&pass.template_id)?;
        let s = standing_of(state, &template, &pass, now_ms(), accepted).await?;
        record(
            state,
            Some(&pass.id),
            "scan",
            s.refusal.map_or("ok", Refusal::code),
            actor,
            now_ms(),
            None,
        )
        .await?;
        (pass, s, false)
    };
    let template = state.inner.templates.live(&pass.template_id)?;
    let fields = template.schema().fields();
    let pick = |keep: &dyn Fn(&crate::template::FieldSpec) -> bool| -> Map<String, Value> {
        fields
            .iter()
            .filter(|(_, f)| keep(f))
            .filter_map(|(k, _)| Some((k.clone(), pass.custom_fields.get(k)?.clone())))
            .collect()
    };
    let holder = pick(&|f| f.show_at_scan);
    let counters = pick(&|f| f.counter.is_some());
    Ok(Scanned {
        pass,
        standing,
        redeemed,
        holder,
        counters,
    })
}

/// A page of a pass's uses (scans, redemptions, adjustments), oldest first.
///
/// # Errors
/// 404 when there is no such pass.
pub(crate) async fn list(
    state: &AppState,
    pass_id: &str,
    after: Option<&str>,
    limit: u32,
) -> Result<Vec<RedemptionRecord>, ApiError> {
    passes::get(state, pass_id).await?;
    Ok(state.inner.store.redemptions(pass_id, after, limit).await?)
}

/// One pass on a template's door list.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DoorEntry {
    /// What its barcode carries (its serial number for a pass written
    /// before messages were stored).
    message: String,
    /// The pass id.
    pass_id: String,
    /// Its serial number.
    serial_number: String,
    /// `active` or `voided`.
    #[schema(value_type = String, pattern = "^(active|voided)$")]
    status: &'static str,
    /// Successful redemptions in the rule's window (today, or in all).
    used: i64,
    /// Uses left in the window (none: the template has no rule).
    remaining: Option<i64>,
    /// The fields the template shows at the door.
    #[schema(value_type = Object)]
    holder: Map<String, Value>,
}

/// A template's door list: what an offline gate checks scans against.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DoorList {
    /// The template.
    template_id: String,
    /// Its redemption limit (none: not redeemed at the door).
    limit: Option<u32>,
    /// `day` when the limit is per day.
    per: Option<&'static str>,
    /// The IANA time zone its days are counted in.
    time_zone: String,
    /// Every pass of the template, in id order.
    data: Vec<DoorEntry>,
}

/// A template's door list now.
///
/// # Errors
/// 404 when there is no such template.
pub(crate) async fn door_list(state: &AppState, template_id: &str) -> Result<DoorList, ApiError> {
    let template = state.inner.templates.live(template_id)?;
    let usage = &template.meta().usage;
    let counts = state
        .inner
        .store
        .redeemed_counts(template_id, window_start(usage, now_ms()))
        .await?;
    let fields = template.schema().fields();
    let mut data = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let rows = state
            .inner
            .store
            .scan_list(template_id, after.as_deref(), 1000)
            .await?;
        let Some(last) = rows.last() else { break };
        after = Some(last.id.clone());
        for p in rows {
            let used = counts.get(&p.id).copied().unwrap_or(0);
            data.push(DoorEntry {
                message: p
                    .barcode_message
                    .clone()
                    .unwrap_or_else(|| p.serial_number.clone()),
                pass_id: p.id.clone(),
                serial_number: p.serial_number.clone(),
                status: p.status.as_str(),
                used,
                remaining: usage
                    .redemption
                    .as_ref()
                    .map(|r| (i64::from(r.limit) - used).max(0)),
                holder: fields
                    .iter()
                    .filter(|(_, f)| f.show_at_scan)
                    .filter_map(|(k, _)| Some((k.clone(), p.custom_fields.get(k)?.clone())))
                    .collect(),
            });
        }
    }
    Ok(DoorList {
        template_id: template_id.to_owned(),
        limit: usage.redemption.as_ref().map(|r| r.limit),
        per: usage
            .redemption
            .as_ref()
            .is_some_and(|r| r.per_day)
            .then_some("day"),
        time_zone: usage.time_zone.unwrap_or(chrono_tz::UTC).name().to_owned(),
        data,
    })
}

/// A use an offline gate made and uploads later.
#[derive(Debug, Clone)]
pub(crate) struct OfflineUse {
    /// The gate's unique id for it: an upload sent twice counts once.
    pub(crate) client_id: String,
    /// What the gate scanned.
    pub(crate) message: String,
    /// When (Unix ms, the gate's clock).
    pub(crate) at: i64,
    /// Which gate.
    pub(crate) gate: Option<String>,
}

/// What became of one uploaded use.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UploadResult {
    /// The gate's id for it.
    client_id: String,
    /// `ok` (counted now), `duplicate` (counted before: not again), or why
    /// it conflicts (`already_used`, `voided`, `expired`,
    /// `not_redeemable`, `unknown_barcode`).
    outcome: String,
    /// The pass it used.
    pass_id: Option<String>,
    /// What happened, in words.
    detail: String,
}

impl UploadResult {
    /// `ok`, `duplicate`, or the conflict.
    pub(crate) fn outcome(&self) -> &str {
        &self.outcome
    }
}

/// Redeems uploaded offline uses in order, each once: a use recorded
/// before is reported `duplicate` and not counted again; one the pass no
/// longer allows (another gate used it first) is reported as a conflict.
///
/// # Errors
/// [`ApiError`] for a database or signing failure.
pub(crate) async fn upload(
    state: &AppState,
    actor_id: &str,
    uses: Vec<OfflineUse>,
) -> Result<Vec<UploadResult>, ApiError> {
    let mut out = Vec::with_capacity(uses.len());
    for u in uses {
        let actor = Actor {
            id: actor_id.to_owned(),
            gate: u.gate.clone(),
        };
        let offline = Offline {
            at: Some(u.at),
            client_id: Some(u.client_id.clone()),
        };
        let result = |outcome: &str, pass_id: Option<String>, detail: String| UploadResult {
            client_id: u.client_id.clone(),
            outcome: outcome.to_owned(),
            pass_id,
            detail,
        };
        let Some(pass) = state.inner.store.pass_by_scan(&u.message).await? else {
            let detail = "No pass carries this barcode".to_owned();
            let r = match record(
                state,
                None,
                "redeem",
                "unknown_barcode",
                &actor,
                u.at,
                Some(u.client_id.clone()),
            )
            .await
            {
                Ok(_) => result("unknown_barcode", None, detail),
                Err(e) if e.code == "conflict" => result(
                    "duplicate",
                    None,
                    "recorded before: not counted again".to_owned(),
                ),
                Err(e) => return Err(e),
            };
            out.push(r);
            continue;
        };
        out.push(match redeem(state, &pass.id, &actor, None, offline).await {
            Ok(Outcome::Redeemed(r)) => result(
                "ok",
                Some(pass.id.clone()),
                format!("Redeemed (version {})", r.pass.version),
            ),
            Ok(Outcome::Refused(b)) => result(
                b.1.refusal.map_or("not_redeemable", Refusal::code),
                Some(pass.id.clone()),
                b.1.message.clone(),
            ),
            Err(e) if e.code == "duplicate" => result("duplicate", Some(pass.id.clone()), e.detail),
            Err(e) if e.status.is_client_error() => result(e.code, Some(pass.id.clone()), e.detail),
            Err(e) => return Err(e),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::{PassOverrides, Redemption};

    fn pass(status: PassStatus) -> PassRecord {
        PassRecord {
            id: "p1".into(),
            template_id: "event-ticket".into(),
            serial_number: "S1".into(),
            auth_token: "t".repeat(16),
            status,
            custom_fields: Map::new(),
            overrides: PassOverrides::default(),
            user_id: None,
            version: 1,
            created_at: 0,
            updated_at: 0,
            barcode_message: Some("S1".into()),
        }
    }

    fn used(at: i64) -> RedemptionRecord {
        RedemptionRecord {
            id: format!("r{at}"),
            pass_id: Some("p1".into()),
            kind: "redeem".into(),
            outcome: "ok".into(),
            changes: None,
            version: Some(2),
            actor: "key1".into(),
            gate: Some("Gate A".into()),
            at,
            recorded_at: at,
            client_id: None,
        }
    }

    fn usage(limit: u32, per_day: bool) -> Usage {
        Usage {
            redemption: Some(Redemption {
                limit,
                per_day,
                void_when_used_up: false,
                valid_from: Some("doorsOpen".into()),
            }),
            time_zone: None,
        }
    }

    #[test]
    fn a_single_use_ticket_is_refused_after_its_use_with_when_and_by_whom() {
        let u = usage(1, false);
        let fresh = standing(&u, &pass(PassStatus::Active), &[], 10, None, None);
        assert_eq!(fresh.refusal, None);
        assert_eq!(fresh.remaining(), Some(1));
        let first = 1_812_222_120_000; // 2027-06-05T19:02:00Z
        let s = standing(
            &u,
            &pass(PassStatus::Voided),
            &[used(first)],
            first + 5,
            None,
            None,
        );
        assert_eq!(s.refusal, Some(Refusal::AlreadyUsed), "used beats voided");
        assert!(s.message.contains(&rfc3339(first)), "{}", s.message);
        assert!(s.message.contains("key1") && s.message.contains("Gate A"));
    }

    #[test]
    fn voided_expired_unredeemable_and_wrong_gate_each_say_so() {
        let p = pass(PassStatus::Active);
        let gate = vec!["coupon".to_owned()];
        let s = standing(&usage(1, false), &p, &[], 10, None, Some(&gate));
        assert_eq!(s.refusal, Some(Refusal::WrongTemplate));
        let s = standing(
            &usage(1, false),
            &pass(PassStatus::Voided),
            &[],
            10,
            None,
            None,
        );
        assert_eq!(s.refusal, Some(Refusal::Voided));
        let s = standing(&usage(1, false), &p, &[], 10, Some(5), None);
        assert_eq!(s.refusal, Some(Refusal::Expired));
        let s = standing(&Usage::default(), &p, &[], 10, None, None);
        assert_eq!(s.refusal, None, "a pass without a rule is valid to scan");
        assert_eq!(s.limit, None);
        let mut early = pass(PassStatus::Active);
        early
            .custom_fields
            .insert("doorsOpen".into(), "2027-06-12T19:00:00+01:00".into());
        let doors = 1_812_823_200_000; // 2027-06-12T18:00:00Z
        let s = standing(&usage(1, false), &early, &[], doors - 1, None, None);
        assert_eq!(s.refusal, Some(Refusal::NotYetValid));
        assert!(s.message.contains("2027-06-12T18:00:00"), "{}", s.message);
        let s = standing(&usage(1, false), &early, &[], doors, None, None);
        assert_eq!(s.refusal, None, "valid from the minute doors open");
        let s = standing(&usage(3, true), &p, &[used(1), used(2)], 10, None, None);
        assert_eq!((s.refusal, s.remaining()), (None, Some(1)));
        assert!(s.message.contains("1 of 3"), "{}", s.message);
    }
}
