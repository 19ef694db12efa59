//! Passes: create (signed once to validate), read, list, change (a new
//! version, pushed), void, notify, delete, and the signed `.pkpass` or
//! Google save link of the current version.
//!
//! Every change re-renders and re-signs before it is written, so a change
//! that would make an invalid pass is refused and the stored version kept.
//! A version's time is its signing time, so a version always gives the same
//! bytes. The signature made when a version is written is kept with it and
//! its `.pkpass` served from then on (see `service::signed`): a version is
//! signed again only when its signature is gone or another template or
//! issuer made it. Side effects (the webhook event, pushes, the Google
//! update) are values written with the change.

use std::sync::Arc;

use http::StatusCode;
use serde_json::{Map, Value};

use crate::apple::Pkpass;
use crate::issue::{IssueError, IssuedPass, Issuer, Stamp};
use crate::model::diag::pointer_segment;
use crate::model::{AuthToken, SerialNumber};
use crate::service::clock::{now_ms, rfc3339};
use crate::service::db;
pub(crate) use crate::service::db::{PassQuery, PassRecord, PassStatus};
use crate::service::domain::commit;
use crate::service::error::{ApiError, FieldProblem};
use crate::service::metrics::Source;
use crate::service::outbox::{Effect, NOTIFY_LIMIT_PER_DAY};
use crate::service::signed::{PassBytes, SignedKey};
use crate::service::state::AppState;
use crate::template::{PassOverrides, RenderError, Template};

/// A pass as the API and its events show it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PassView {
    /// Pass id (UUIDv7: ids sort by creation).
    id: String,
    /// Always `pass`.
    #[schema(example = "pass")]
    object: &'static str,
    /// The template it is issued from.
    template_id: String,
    /// Its serial number.
    serial_number: String,
    /// `active` or `voided`.
    #[schema(value_type = String, pattern = "^(active|voided)$")]
    status: &'static str,
    /// Custom field values (normalized: defaults filled in, types fixed).
    #[schema(value_type = Object)]
    custom_fields: Map<String, Value>,
    /// Label overrides by field.
    #[schema(value_type = Object)]
    labels: Map<String, Value>,
    /// Replaces the template's `relevantDate`.
    #[schema(format = DateTime)]
    relevant_date: Option<String>,
    /// Replaces the template's `expirationDate`.
    #[schema(format = DateTime)]
    expiration_date: Option<String>,
    /// The app's user it belongs to.
    user_id: Option<String>,
    /// From 1, increased by every change.
    version: i64,
    /// When it was created.
    #[schema(format = DateTime)]
    created_at: String,
    /// When its current version was made (its signing time).
    #[schema(format = DateTime)]
    updated_at: String,
    /// `GET` this for the signed `.pkpass`.
    #[schema(format = "uri")]
    download_url: String,
    /// `GET` this for the Google save link.
    #[schema(format = "uri")]
    google_url: String,
}

/// The API's view of a stored pass.
pub(crate) fn view(state: &AppState, p: &PassRecord) -> PassView {
    let base = &state.inner.config.public_url;
    PassView {
        id: p.id.clone(),
        object: "pass",
        template_id: p.template_id.clone(),
        serial_number: p.serial_number.clone(),
        status: p.status.as_str(),
        custom_fields: p.custom_fields.clone(),
        labels: p
            .overrides
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect(),
        relevant_date: p.overrides.relevant_date.clone(),
        expiration_date: p.overrides.expiration_date.clone(),
        user_id: p.user_id.clone(),
        version: p.version,
        created_at: rfc3339(p.created_at),
        updated_at: rfc3339(p.updated_at),
        download_url: format!("{base}/v1/passes/{}/download", p.id),
        google_url: format!("{base}/v1/passes/{}/google", p.id),
    }
}

/// The view as JSON (event data).
pub(crate) fn view_json(state: &AppState, p: &PassRecord) -> Value {
    serde_json::to_value(view(state, p)).unwrap_or_default()
}

/// A new pass as requested.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewPass {
    /// The template.
    pub(crate) template_id: String,
    /// Its serial number (random when none).
    pub(crate) serial_number: Option<String>,
    /// Field → value, or `{value, label}`.
    pub(crate) custom_fields: Map<String, Value>,
    /// `relevantDate` (W3C date-time).
    pub(crate) relevant_date: Option<String>,
    /// `expirationDate` (W3C date-time).
    pub(crate) expiration_date: Option<String>,
    /// The app's user.
    pub(crate) user_id: Option<String>,
}

/// Label overrides from a request: field → new label (`None` removes it).
type Labels = Vec<(String, Option<String>)>;

/// Splits `customFields` into values and label overrides: each member is a
/// value or `{value, label}` (problems located under `at`).
pub(crate) fn split_fields(
    fields: &Map<String, Value>,
    at: &str,
    errors: &mut Vec<FieldProblem>,
) -> (Map<String, Value>, Labels) {
    let mut values = Map::new();
    let mut labels = Vec::new();
    for (k, v) in fields {
        let here = format!("{at}/{}", pointer_segment(k));
        match v {
            Value::Object(o) if o.contains_key("value") => {
                for extra in o.keys().filter(|x| *x != "value" && *x != "label") {
                    errors.push(FieldProblem::new(
                        format!("{here}/{extra}"),
                        "unknown member; a field is {value, label}",
                    ));
                }
                match o.get("label") {
                    None => {}
                    Some(Value::Null) => labels.push((k.clone(), None)),
                    Some(Value::String(l)) => labels.push((k.clone(), Some(l.clone()))),
                    Some(other) => errors.push(FieldProblem::new(
                        format!("{here}/label"),
                        format!("expected a string, got {other}"),
                    )),
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

/// Checks a new pass's template and custom fields against that template
/// (every missing, unknown or mistyped field, each label override), adding
/// the problems located under `at` (`""` for a request body, `/items/3`
/// for a batch item). Works on the body as sent, so that these problems
/// are reported with the body's other problems in one answer.
pub(crate) fn check_fields(
    state: &AppState,
    template_id: Option<&str>,
    custom_fields: Option<&Value>,
    at: &str,
    errors: &mut Vec<FieldProblem>,
) {
    let Some(id) = template_id else { return };
    let template = match state.inner.templates.live(id) {
        Ok(t) => t,
        Err(e) => {
            errors.push(FieldProblem::new(format!("{at}/templateId"), e.detail));
            return;
        }
    };
    let empty = Map::new();
    let fields = match custom_fields {
        None => &empty,
        Some(Value::Object(m)) => m,
        // The body's structure check reports it.
        Some(_) => return,
    };
    let (values, labels) = split_fields(fields, &format!("{at}/customFields"), errors);
    for (k, _) in &labels {
        if template.label_targets(k).is_empty() && template.schema().contains(k) {
            errors.push(FieldProblem::new(
                format!("{at}/customFields/{}/label", pointer_segment(k)),
                "this template shows the field in no pass field of its own (no `\"value\": \"{{ name }}\"`), so it has no label to override",
            ));
        }
    }
    if let Err(fields) = template.schema().validate(&values) {
        errors.extend(fields.into_iter().map(|f| {
            FieldProblem::new(
                format!("{at}/customFields/{}", pointer_segment(&f.field)),
                f.message,
            )
        }));
    }
}

/// A date-time request value, or a problem at `pointer`.
fn date_time(v: Option<String>, pointer: &str, errors: &mut Vec<FieldProblem>) -> Option<String> {
    let s = v?;
    if chrono::DateTime::parse_from_rfc3339(&s).is_err() {
        errors.push(FieldProblem::new(
            pointer,
            "expected a W3C date-time with a time zone, e.g. 2027-06-12T19:00:00+01:00",
        ));
        return None;
    }
    Some(s)
}

/// The record to issue for `new`, with pass id `id`.
///
/// # Errors
/// 422 with every located problem (under `at`).
pub(crate) fn prepare(
    state: &AppState,
    new: NewPass,
    id: String,
    at: &str,
) -> Result<(PassRecord, Arc<Template>), ApiError> {
    let mut errors = Vec::new();
    let fields = Value::Object(new.custom_fields.clone());
    check_fields(
        state,
        Some(&new.template_id),
        Some(&fields),
        at,
        &mut errors,
    );
    let (values, labels) = split_fields(
        &new.custom_fields,
        &format!("{at}/customFields"),
        &mut Vec::new(),
    );
    let serial = match new.serial_number.as_deref().map(SerialNumber::parse) {
        None => SerialNumber::random().as_str().to_owned(),
        Some(Ok(s)) => s.as_str().to_owned(),
        Some(Err(e)) => {
            errors.push(FieldProblem::new(
                format!("{at}/serialNumber"),
                e.to_string(),
            ));
            String::new()
        }
    };
    let relevant_date = date_time(
        new.relevant_date,
        &format!("{at}/relevantDate"),
        &mut errors,
    );
    let expiration_date = date_time(
        new.expiration_date,
        &format!("{at}/expirationDate"),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::problems(errors));
    }
    let template = state.inner.templates.live(&new.template_id)?;
    let now = now_ms();
    let record = PassRecord {
        id,
        template_id: new.template_id,
        serial_number: serial,
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
            personalized: false,
        },
        user_id: new.user_id,
        version: 1,
        created_at: now,
        updated_at: now,
        barcode_message: None,
    };
    Ok((record, template))
}

/// Signs (Apple and/or Google) a stored pass's current version, off the
/// async workers.
///
/// # Errors
/// 422 when the values make no valid pass, 500 when signing fails.
pub(crate) async fn issue_record(
    state: &AppState,
    template: Arc<Template>,
    record: &PassRecord,
    apple: bool,
    google: bool,
) -> Result<IssuedPass, ApiError> {
    let _turn = signer_turn(state).await?;
    let record = record.clone();
    on_signing_thread(state, move |state| {
        sign_record(state, &template, &record, apple, google)
    })
    .await?
}

/// Runs `f` with the state on one of the signing threads and waits for its
/// result; the caller holds the turns the work needs (a read around a kept
/// signature needs none).
///
/// # Errors
/// 500 when `f` panicked or no signing thread runs.
pub(crate) async fn on_signing_thread<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&AppState) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let own = state.clone();
    state
        .inner
        .signing
        .run(move || f(&own))
        .await
        .map_err(|e| ApiError::internal(&e))
}

/// A turn on a core for signing: one permit per core, since more signers
/// than cores only preempt one another and a burst of them would take the
/// cores from everything else. Counted in `passforge_signings_waiting`
/// while it waits.
///
/// # Errors
/// 500 if the permits were closed (never: they live as long as the state).
pub(crate) async fn signer_turn(
    state: &AppState,
) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
    turns(state, 1).await
}

/// Turns for signing `n` passes in parallel (a job's zip): one per pass,
/// at most one per core, none for none. Taken together, in their order
/// among the creates and reads waiting, so a zip that signs thousands of
/// passes again shares the cores with them instead of taking every core.
///
/// # Errors
/// As [`signer_turn`].
pub(crate) async fn signer_turns(
    state: &AppState,
    n: usize,
) -> Result<Option<tokio::sync::SemaphorePermit<'_>>, ApiError> {
    if n == 0 {
        return Ok(None);
    }
    turns(state, n.min(state.inner.signing.threads()))
        .await
        .map(Some)
}

async fn turns(state: &AppState, n: usize) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
    let _waiting = state.inner.metrics.waiting_to_sign();
    let n = u32::try_from(n).map_err(|e| ApiError::internal(&e))?;
    state
        .inner
        .signing
        .turns
        .acquire_many(n)
        .await
        .map_err(|e| ApiError::internal(&e))
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
    let (stamp, overrides) = version_of(record)?;
    issuer(state, template)
        .apple(apple)
        .google(if google {
            state.inner.config.google.as_ref()
        } else {
            None
        })
        .issue_with(&record.custom_fields, &stamp, &overrides)
        .map_err(issue_error)
}

/// The service's issuer for `template`: its identity and web service URL.
fn issuer<'a>(state: &'a AppState, template: &'a Template) -> Issuer<'a> {
    let cfg = &state.inner.config;
    Issuer::new(template, &cfg.identity).web_service_url(cfg.web_service_url.as_deref())
}

/// A stored pass's current version as the issuer takes it: its stamp (the
/// version's time is the signing time) and its changes on top of the
/// template, voided included.
///
/// # Errors
/// 500 when the stored serial or token is not one (a corrupt row).
pub(crate) fn version_of(record: &PassRecord) -> Result<(Stamp, PassOverrides), ApiError> {
    let signing_time =
        chrono::DateTime::from_timestamp(record.updated_at.div_euclid(1000), 0).unwrap_or_default();
    let stamp = Stamp::new(&record.serial_number, &record.auth_token, signing_time)
        .map_err(|e| ApiError::internal(&e))?;
    let mut overrides = record.overrides.clone();
    overrides.voided = record.status == PassStatus::Voided;
    Ok((stamp, overrides))
}

/// Maps a render or signing failure to 422 (the caller's data) or 500.
pub(crate) fn issue_error(e: IssueError) -> ApiError {
    match e {
        IssueError::Render(RenderError::Fields(fields)) => ApiError::problems(
            fields
                .into_iter()
                .map(|f| {
                    FieldProblem::new(
                        format!("/customFields/{}", pointer_segment(&f.field)),
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

/// Issues (Apple and, when configured, Google) and stores a new pass with
/// its `pass.created` event.
///
/// # Errors
/// 422 when the values make no valid pass; 409 for a taken serial number.
pub(crate) async fn create(
    state: &AppState,
    record: PassRecord,
    template: Arc<Template>,
) -> Result<(PassRecord, IssuedPass), ApiError> {
    let coming = super::creates::coming(state);
    let (record, issued, signed) = issue_new(state, record, template).await?;
    store_new(state, &record, signed, coming).await?;
    Ok((record, issued))
}

/// Like [`create`], answering with what `answer` makes of the pass before
/// it is stored: an idempotent request stores that answer with the pass,
/// in its transaction (see `idempotency::answer_with`).
///
/// # Errors
/// As [`create`], and what `answer` returns.
pub(crate) async fn create_answering(
    state: &AppState,
    record: PassRecord,
    template: Arc<Template>,
    answer: impl FnOnce(&PassRecord, &IssuedPass) -> Result<super::idempotency::Answer, ApiError>,
) -> Result<super::idempotency::Answer, ApiError> {
    let coming = super::creates::coming(state);
    let (record, issued, signed) = issue_new(state, record, template).await?;
    let answer = answer(&record, &issued)?;
    super::idempotency::answer_with(|| answer.clone());
    store_new(state, &record, signed, coming).await?;
    Ok(answer)
}

/// Signs a new pass (Apple and, when configured, Google); the record with
/// its normalized values (defaults filled in, types fixed) and its signed
/// `.pkpass`.
async fn issue_new(
    state: &AppState,
    record: PassRecord,
    template: Arc<Template>,
) -> Result<(PassRecord, IssuedPass, Option<Signed>), ApiError> {
    let google = state.inner.config.google.is_some();
    let print = template_print(state, &record.template_id, &template);
    let mut issued = issue_record(state, template, &record, true, google).await?;
    let record = PassRecord {
        custom_fields: issued.rendered.fields.clone(),
        barcode_message: barcode_message(&issued.rendered.pass_json),
        ..record
    };
    let signed = signed_of(state, &record, print.as_deref(), &mut issued);
    Ok((record, issued, signed))
}

/// A pass version's signed `.pkpass`, its signature and the key they are
/// kept under.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    key: SignedKey,
    bytes: PassBytes,
    signature: Vec<u8>,
}

/// The fingerprint of `template` if it is the live version of `id` (a
/// template reloaded meanwhile: none, and nothing is kept).
fn template_print(state: &AppState, id: &str, template: &Arc<Template>) -> Option<Arc<str>> {
    let (live, print) = state.inner.templates.live_printed(id).ok()?;
    Arc::ptr_eq(&live, template).then_some(print)
}

/// The key of a stored pass's current version made from the template files
/// with fingerprint `template`.
fn key_of(state: &AppState, p: &PassRecord, template: &str) -> SignedKey {
    SignedKey::new(p.version, p.updated_at, template, &state.inner.issuer_print)
}

/// What `issued` made of `p`, with its key (the `.pkpass` taken out of
/// `issued`, not copied).
fn signed_of(
    state: &AppState,
    p: &PassRecord,
    template: Option<&str>,
    issued: &mut IssuedPass,
) -> Option<Signed> {
    let key = key_of(state, p, template?);
    let pkpass = issued.pkpass.take()?;
    Some(Signed {
        key,
        signature: kept_form(&pkpass).to_vec(),
        bytes: PassBytes::new(pkpass),
    })
}

/// What the database keeps of a `.pkpass`'s signature: its value (256
/// bytes for RSA-2048, where the whole CMS structure with its certificates
/// is ~3.5 KB); the rest is laid out again around it from the manifest,
/// the signing time and the identity, which the key already names.
fn kept_form(pkpass: &Pkpass) -> &[u8] {
    pkpass.signature_value().unwrap_or(pkpass.signature())
}

/// Stores a version's signature in its transaction.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn store_signed(
    tx: &mut db::Tx,
    p: &PassRecord,
    signed: Option<&Signed>,
) -> Result<(), ApiError> {
    if let Some(s) = signed {
        db::signed::put_signed(tx, &p.id, s.key.version, &s.key.tag, &s.signature, now_ms())
            .await?;
    }
    Ok(())
}

/// Stores new passes' signatures in the transaction that writes them (a
/// group of creates), in one statement.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn store_signed_new(
    tx: &mut db::Tx,
    passes: impl Iterator<Item = (&PassRecord, Option<&Signed>)>,
) -> Result<(), ApiError> {
    let rows: Vec<db::signed::NewSigned<'_>> = passes
        .filter_map(|(p, s)| {
            s.map(|s| db::signed::NewSigned {
                pass: &p.id,
                version: s.key.version,
                tag: &s.key.tag,
                signature: &s.signature,
            })
        })
        .collect();
    db::signed::put_signed_with_passes(tx, rows, now_ms()).await?;
    Ok(())
}

/// Keeps a committed version's signed bytes in memory.
pub(crate) fn remember(state: &AppState, p: &PassRecord, signed: Option<Signed>) {
    if let Some(s) = signed {
        state.inner.signed.put(&p.id, s.key, s.bytes);
    }
}

/// Stores a new pass with its `pass.created` event and signed bytes
/// (grouped with the creates written at the same time: see
/// [`creates`](super::creates)).
async fn store_new(
    state: &AppState,
    record: &PassRecord,
    signed: Option<Signed>,
    coming: super::creates::Coming<'_>,
) -> Result<(), ApiError> {
    super::creates::store(state, record, signed, view_json(state, record), coming).await
}

/// One pass.
///
/// # Errors
/// 404 when there is none.
pub(crate) async fn get(state: &AppState, id: &str) -> Result<PassRecord, ApiError> {
    state
        .inner
        .store
        .pass(id)
        .await?
        .ok_or_else(|| ApiError::not_found("pass", id))
}

/// A page of passes.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn list(state: &AppState, q: &PassQuery) -> Result<Vec<PassRecord>, ApiError> {
    Ok(state.inner.store.passes(q).await?)
}

/// The side effects of a new version: its event, a push to every device
/// that has the pass, and (with Google configured) an update of its Google
/// object carrying a new message.
pub(crate) fn version_effects(
    state: &AppState,
    old: &PassRecord,
    new: &PassRecord,
    event: &'static str,
) -> Vec<Effect> {
    let cfg = &state.inner.config;
    let mut effects = vec![
        Effect::event(event, view_json(state, new)),
        Effect::Push {
            pass_id: new.id.clone(),
            topic: cfg.identity.pass_type_id().as_str().to_owned(),
        },
    ];
    if cfg.google.is_some() {
        effects.push(Effect::GoogleUpdate {
            pass_id: new.id.clone(),
            message: (new.overrides.message != old.overrides.message)
                .then(|| new.overrides.message.clone())
                .flatten(),
        });
    }
    effects
}

/// Stores `new` as the next version of `old`, re-signing it first so a
/// change that would make an invalid pass is refused and nothing is written.
async fn save_version(
    state: &AppState,
    old: &PassRecord,
    new: PassRecord,
    event: &'static str,
) -> Result<PassRecord, ApiError> {
    let (new, signed) = next_version(state, old, new).await?;
    let mut tx = state.inner.store.begin().await?;
    if !db::update_pass(&mut tx, &new, old.version).await? {
        return Err(concurrent_update());
    }
    store_signed(&mut tx, &new, signed.as_ref()).await?;
    commit(state, tx, &version_effects(state, old, &new, event)).await?;
    remember(state, &new, signed);
    Ok(new)
}

/// `new` as the version after `old`, signed (so values that make no valid
/// pass are refused) but not written: its number, time, normalized fields
/// and barcode message, and its signed bytes (to store with it: see
/// [`store_signed`]).
///
/// # Errors
/// 422 when the values make no valid pass, 500 when signing fails.
pub(crate) async fn next_version(
    state: &AppState,
    old: &PassRecord,
    mut new: PassRecord,
) -> Result<(PassRecord, Option<Signed>), ApiError> {
    let (template, print) = state.inner.templates.live_printed(&new.template_id)?;
    new.version = old.version + 1;
    // Versions are at least a second apart in signing time: Wallet compares
    // Last-Modified at second resolution.
    new.updated_at = now_ms().max(old.updated_at + 1000);
    let mut issued = issue_record(state, template, &new, true, false).await?;
    new.custom_fields = issued.rendered.fields.clone();
    new.barcode_message = barcode_message(&issued.rendered.pass_json);
    let signed = signed_of(state, &new, Some(&print), &mut issued);
    Ok((new, signed))
}

/// 409: another writer made a version first.
pub(crate) fn concurrent_update() -> ApiError {
    ApiError::conflict(
        "concurrent_update",
        "the pass changed while this request ran; read it again and retry",
    )
}

/// The message of a rendered pass's first barcode (what a scanner reads).
pub(crate) fn barcode_message(pass_json: &Value) -> Option<String> {
    pass_json
        .get("barcodes")
        .and_then(|b| b.get(0))
        .or_else(|| pass_json.get("barcode"))
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A change of a pass: `customFields` members replace the stored ones
/// (null removes one; `{value, label}` sets a label, a null label removes
/// it); the dates and `userId` replace theirs (null removes).
#[derive(Debug, Clone, Default)]
pub(crate) struct PassChange {
    /// Field changes.
    pub(crate) custom_fields: Option<Map<String, Value>>,
    /// New `relevantDate` (`Some(None)` removes it).
    pub(crate) relevant_date: Option<Option<String>>,
    /// New `expirationDate` (`Some(None)` removes it).
    pub(crate) expiration_date: Option<Option<String>>,
    /// New user (`Some(None)` detaches).
    pub(crate) user_id: Option<Option<String>>,
}

/// Applies a change as a new version (pushed).
///
/// # Errors
/// 404, 409 on a concurrent change, 422 with every problem.
pub(crate) async fn update(
    state: &AppState,
    id: &str,
    change: PassChange,
) -> Result<PassRecord, ApiError> {
    let old = get(state, id).await?;
    let mut errors = Vec::new();
    let mut new = old.clone();
    if let Some(cf) = &change.custom_fields {
        let (values, labels) = split_fields(cf, "/customFields", &mut errors);
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
    if let Some(d) = change.relevant_date {
        new.overrides.relevant_date =
            d.and_then(|d| date_time(Some(d), "/relevantDate", &mut errors));
    }
    if let Some(d) = change.expiration_date {
        new.overrides.expiration_date =
            d.and_then(|d| date_time(Some(d), "/expirationDate", &mut errors));
    }
    if let Some(u) = change.user_id {
        new.user_id = u;
    }
    if !errors.is_empty() {
        return Err(ApiError::problems(errors));
    }
    let new = save_version(state, &old, new, "pass.updated").await?;
    tracing::info!(pass = %new.id, version = new.version, "pass updated");
    Ok(new)
}

/// Voids a pass (a new version); voiding a voided pass changes nothing.
///
/// # Errors
/// 404, 409 on a concurrent change.
pub(crate) async fn void(state: &AppState, id: &str) -> Result<PassRecord, ApiError> {
    let old = get(state, id).await?;
    if old.status == PassStatus::Voided {
        return Ok(old);
    }
    let new = PassRecord {
        status: PassStatus::Voided,
        ..old.clone()
    };
    let new = save_version(state, &old, new, "pass.voided").await?;
    tracing::info!(pass = %new.id, "pass voided");
    Ok(new)
}

/// Longest push message.
pub(crate) const MAX_MESSAGE_CHARS: usize = 500;

/// Puts `message` into the pass's message field (a new version) and pushes
/// it, so the lock screen shows it. The flag: Google's daily limit of
/// notifications was reached (the message is added without one).
///
/// # Errors
/// 404, 409 on a concurrent change.
pub(crate) async fn notify(
    state: &AppState,
    id: &str,
    message: String,
) -> Result<(PassRecord, bool), ApiError> {
    let old = get(state, id).await?;
    let mut new = old.clone();
    new.overrides.message = Some(message);
    let limited = state.inner.config.google.is_some()
        && db::google::notifying_messages_since(
            &mut *state.inner.store.conn().await?,
            id,
            now_ms() - 24 * 3600 * 1000,
        )
        .await?
            >= NOTIFY_LIMIT_PER_DAY;
    let new = save_version(state, &old, new, "pass.updated").await?;
    tracing::info!(pass = %new.id, "push notification queued");
    Ok((new, limited))
}

/// Deletes a pass (`pass.deleted`).
///
/// # Errors
/// 404.
pub(crate) async fn delete(state: &AppState, id: &str) -> Result<(), ApiError> {
    let old = get(state, id).await?;
    let event = serde_json::json!({"id": old.id, "object": "pass", "serialNumber": old.serial_number, "templateId": old.template_id, "deleted": true});
    let mut tx = state.inner.store.begin().await?;
    if !db::delete_pass(&mut tx, id).await? {
        return Err(ApiError::not_found("pass", id));
    }
    commit(state, tx, &[Effect::event("pass.deleted", event)]).await?;
    state.inner.signed.remove(id);
    tracing::info!(pass = %id, "pass deleted");
    Ok(())
}

/// The signed `.pkpass` bytes of a pass's current version: from memory,
/// else assembled around the signature kept in the database, else signed
/// again (and kept in both) when a signer's turn comes ([`signer_turn`]:
/// a burst of such reads, after a certificate renewal say, shares the
/// cores with creates instead of taking them).
///
/// # Errors
/// 404 when its template is gone; 500 when signing fails.
pub(crate) async fn pkpass(state: &AppState, p: &PassRecord) -> Result<PassBytes, ApiError> {
    let found = lookup(state, p).await?;
    let signs = found.signs();
    match found {
        Lookup::Kept(bytes) => Ok(bytes),
        Lookup::Make {
            template,
            key,
            signature,
        } => {
            let made = {
                // Held while signing, not while the signature is kept.
                let _turn = signer_turns(state, usize::from(signs)).await?;
                let p = p.clone();
                on_signing_thread(state, move |state| {
                    make_current(state, &template, &p, signature.as_deref())
                })
                .await??
            };
            let bytes = made.bytes();
            keep(state, p, key, made).await;
            Ok(bytes)
        }
    }
}

/// Where a pass's current version's bytes are: in memory, or to be made
/// from this template (around a kept signature, if any) and kept under
/// this key.
pub(crate) enum Lookup {
    /// The bytes, from memory.
    Kept(PassBytes),
    /// Not in memory: make them with [`make_current`], then [`keep`] them.
    Make {
        /// The live template.
        template: Arc<Template>,
        /// The key to keep the bytes under.
        key: SignedKey,
        /// The version's signature kept in the database.
        signature: Option<Vec<u8>>,
    },
}

impl Lookup {
    /// Whether making the bytes signs anew (no kept signature): a signer's
    /// turn is needed.
    pub(crate) fn signs(&self) -> bool {
        matches!(
            self,
            Self::Make {
                signature: None,
                ..
            }
        )
    }
}

/// Looks for a pass's current version's bytes in memory, then for its
/// signature in the database.
///
/// # Errors
/// 404 when its template is gone; [`ApiError`] for a database failure.
pub(crate) async fn lookup(state: &AppState, p: &PassRecord) -> Result<Lookup, ApiError> {
    let (template, print) = state.inner.templates.live_printed(&p.template_id)?;
    let key = key_of(state, p, &print);
    if state.inner.config.sign_every_read {
        return Ok(Lookup::Make {
            template,
            key,
            signature: None,
        });
    }
    if let Some(bytes) = state.inner.signed.get(&p.id, &key) {
        state.inner.metrics.signed_served(Source::Memory);
        return Ok(Lookup::Kept(bytes));
    }
    let signature = state
        .inner
        .store
        .signed_pass(&p.id, key.version, &key.tag)
        .await?;
    Ok(Lookup::Make {
        template,
        key,
        signature,
    })
}

/// A current version's `.pkpass` made on a read.
#[derive(Debug)]
pub(crate) struct Made {
    bytes: PassBytes,
    signature: Vec<u8>,
    /// Whether the kept signature was used (nothing new to keep in the
    /// database).
    reused: bool,
}

impl Made {
    /// The `.pkpass` bytes (shared, not copied).
    pub(crate) fn bytes(&self) -> PassBytes {
        self.bytes.clone()
    }
}

/// Makes a stored pass's current version's `.pkpass` (blocking): around
/// `signature` when it is this version's, else signed anew.
///
/// # Errors
/// 422 when it no longer makes a valid pass, 500 when signing fails.
pub(crate) fn make_current(
    state: &AppState,
    template: &Template,
    p: &PassRecord,
    signature: Option<&[u8]>,
) -> Result<Made, ApiError> {
    let (stamp, overrides) = version_of(p)?;
    let issued = issuer(state, template)
        .reuse_signature(signature)
        .issue_with(&p.custom_fields, &stamp, &overrides)
        .map_err(issue_error)?;
    let pkpass = issued
        .pkpass
        .ok_or_else(|| ApiError::internal(&"the pass was issued without its Apple side"))?;
    let value = kept_form(&pkpass);
    // Kept as its value, or (kept by an earlier release) whole.
    let reused = signature.is_some_and(|k| k == value || k == pkpass.signature());
    state.inner.metrics.signed_served(if reused {
        Source::Database
    } else {
        Source::Signed
    });
    Ok(Made {
        signature: value.to_vec(),
        bytes: PassBytes::new(pkpass),
        reused,
    })
}

/// Keeps what a read made: its signature in the database (unless it was
/// the kept one) and its bytes in memory. Failing to keep the signature
/// costs only a signing later, so it is logged, not answered.
pub(crate) async fn keep(state: &AppState, p: &PassRecord, key: SignedKey, made: Made) {
    if state.inner.config.sign_every_read {
        return;
    }
    if !made.reused {
        if let Err(e) = state
            .inner
            .store
            .keep_signed(&p.id, key.version, &key.tag, &made.signature, now_ms())
            .await
        {
            tracing::warn!(pass = %p.id, error = %e, "signature not kept");
        }
    }
    state.inner.signed.put(&p.id, key, made.bytes);
}

/// A `.pkpasses` bundle of several passes' current versions (1 to 10).
///
/// # Errors
/// 422 when a pass no longer makes a valid pass, 500 when signing fails.
pub(crate) async fn pkpasses(
    state: &AppState,
    records: &[PassRecord],
) -> Result<Vec<u8>, ApiError> {
    let mut files = Vec::with_capacity(records.len());
    for (i, p) in records.iter().enumerate() {
        let name = format!(
            "{:02}-{}.pkpass",
            i + 1,
            crate::google::id_suffix(&p.serial_number)
        );
        files.push((name, pkpass(state, p).await?.to_vec()));
    }
    let out =
        crate::apple::write_pkpasses(std::io::Cursor::new(Vec::new()), &files, chrono::Utc::now())
            .map_err(|e| ApiError::internal(&e))?;
    Ok(out.into_inner())
}

/// A pass's Google Wallet save link.
///
/// # Errors
/// 409 when Google is not configured; 404.
pub(crate) async fn google_save(
    state: &AppState,
    p: &PassRecord,
) -> Result<crate::issue::GoogleSave, ApiError> {
    if state.inner.config.google.is_none() {
        return Err(google_not_configured());
    }
    let template = state.inner.templates.live(&p.template_id)?;
    issue_record(state, template, p, false, true)
        .await?
        .google
        .ok_or_else(|| ApiError::internal(&"google output missing"))
}

/// The Google class and object of each pass's current version (blocking
/// work on the blocking pool).
///
/// # Errors
/// 409 without Google configured, 422 when a pass cannot be mapped.
pub(crate) async fn google_passes(
    state: &AppState,
    records: &[PassRecord],
) -> Result<Vec<crate::google::GooglePass>, ApiError> {
    if state.inner.config.google.is_none() {
        return Err(google_not_configured());
    }
    let mut out = Vec::with_capacity(records.len());
    for p in records {
        let template = state.inner.templates.live(&p.template_id)?;
        let state2 = state.clone();
        let p = p.clone();
        let mapped = tokio::task::spawn_blocking(move || {
            let cfg = &state2.inner.config;
            let (stamp, overrides) = version_of(&p)?;
            Issuer::new(&template, &cfg.identity)
                .apple(false)
                .google(cfg.google.as_ref())
                .google_pass(&p.custom_fields, &stamp, &overrides)
                .map_err(issue_error)
        })
        .await
        .map_err(|e| ApiError::internal(&e))??;
        out.push(mapped);
    }
    Ok(out)
}

/// One save link for several passes; `skinny` when their classes and
/// objects were inserted over REST beforehand.
///
/// # Errors
/// 409 without Google configured, 500 when signing fails.
pub(crate) fn google_save_many(
    state: &AppState,
    mapped: &[crate::google::GooglePass],
    skinny: bool,
) -> Result<crate::google::SaveJwt, ApiError> {
    let config = state
        .inner
        .config
        .google
        .as_ref()
        .ok_or_else(google_not_configured)?;
    crate::google::save_jwt_many(mapped, config, chrono::Utc::now(), skinny)
        .map_err(|e| ApiError::internal(&e))
}

/// A pass's installations per platform (active and failing).
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn installs(state: &AppState, id: &str) -> Result<(i64, i64), ApiError> {
    let mut apple = 0;
    let mut google = 0;
    for (platform, n) in
        db::apple::install_counts(&mut *state.inner.store.conn().await?, id).await?
    {
        match platform.as_str() {
            "apple" => apple = n,
            "google" => google = n,
            _ => {}
        }
    }
    Ok((apple, google))
}

/// 409: this server has no Google Wallet configuration.
pub(crate) fn google_not_configured() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "provider_not_configured",
        "Google Wallet is not configured on this server (set --google-issuer-id and --google-service-account)",
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::service::domain::testing::{all_turns, service, until_waiting_to_sign};

    /// Creates an event ticket.
    async fn ticket(state: &AppState) -> PassRecord {
        let new = NewPass {
            template_id: "event-ticket".to_owned(),
            custom_fields: serde_json::json!({"attendee": "Ada", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"})
                .as_object()
                .cloned()
                .expect("object"),
            ..NewPass::default()
        };
        let (record, template) =
            prepare(state, new, uuid::Uuid::now_v7().to_string(), "").expect("valid");
        create(state, record, template).await.expect("created").0
    }

    const LONG: Duration = Duration::from_secs(60);

    /// The key `p`'s current version is kept under, from its live template.
    fn live_key(state: &AppState, p: &PassRecord) -> SignedKey {
        let (_, print) = state
            .inner
            .templates
            .live_printed(&p.template_id)
            .expect("live");
        key_of(state, p, &print)
    }

    #[tokio::test]
    async fn a_read_that_must_sign_again_waits_for_a_signers_turn_and_is_counted_meanwhile() {
        let dir = tempfile::tempdir().expect("dir");
        let state = service(dir.path(), |c| c.sign_every_read = true).await;
        let p = ticket(&state).await;
        let created = state
            .inner
            .signed
            .get(&p.id, &live_key(&state, &p))
            .expect("the create's bytes in memory");

        let turns = all_turns(&state).await;
        let read = tokio::spawn({
            let (state, p) = (state.clone(), p.clone());
            async move { pkpass(&state, &p).await }
        });
        until_waiting_to_sign(&state, "the read").await;
        assert_eq!(state.inner.metrics.signings_waiting(), 1);
        assert!(!read.is_finished(), "it signs only when its turn comes");
        assert!(state
            .inner
            .metrics
            .render()
            .contains("\npassforge_signings_waiting 1\n"));

        drop(turns);
        let bytes = tokio::time::timeout(LONG, read)
            .await
            .expect("signed once a turn is free")
            .expect("task")
            .expect("bytes");
        assert_eq!(
            bytes.to_vec(),
            created.to_vec(),
            "signed again to the same bytes"
        );
        assert_eq!(state.inner.metrics.signings_waiting(), 0);
    }

    #[tokio::test]
    async fn passes_in_memory_share_their_templates_images_and_weigh_their_own_bytes() {
        use crate::service::signed::Weighed as _;
        let dir = tempfile::tempdir().expect("dir");
        let state = service(dir.path(), |_| {}).await;
        let (a, b) = (ticket(&state).await, ticket(&state).await);
        let kept = |p: &PassRecord| {
            state
                .inner
                .signed
                .get(&p.id, &live_key(&state, p))
                .expect("in memory")
        };
        let (ka, kb) = (kept(&a), kept(&b));
        assert!(ka.shares_images_with(&kb), "one copy of the images");
        assert!(
            ka.weight() * 4 < ka.len(),
            "weighed by its own {} of {} bytes",
            ka.weight(),
            ka.len()
        );
        let whole = ka.to_vec();
        assert_eq!(whole.len(), ka.len());
        assert_eq!(ka.chunks().iter().map(|c| c.len()).sum::<usize>(), ka.len());
        // What is served is what a read signing again makes (own checks:
        // manifest hashes and the signature, in the integration tests).
        let again = service(dir.path(), |c| c.sign_every_read = true).await;
        assert_eq!(pkpass(&again, &a).await.expect("bytes").to_vec(), whole);
        assert_ne!(kb.to_vec(), whole, "each pass its own bytes");
    }

    #[tokio::test]
    async fn the_database_keeps_a_signatures_value_and_a_whole_one_kept_earlier_still_serves() {
        let dir = tempfile::tempdir().expect("dir");
        let state = service(dir.path(), |c| c.signed_cache_bytes = 0).await;
        let p = ticket(&state).await;
        let key = live_key(&state, &p);
        let kept = state
            .inner
            .store
            .signed_pass(&p.id, key.version, &key.tag)
            .await
            .expect("read")
            .expect("kept by the create");
        assert_eq!(kept.len(), 256, "the RSA value, not the ~3.5 KB structure");
        let bytes = pkpass(&state, &p).await.expect("bytes").to_vec();
        let mut signature = Vec::new();
        std::io::Read::read_to_end(
            &mut zip::ZipArchive::new(std::io::Cursor::new(&bytes[..]))
                .expect("zip")
                .by_name("signature")
                .expect("signature member"),
            &mut signature,
        )
        .expect("read");
        assert!(signature.ends_with(&kept) && signature.len() > 2_000);

        // A row written by an earlier release holds the whole structure:
        // served from it as it is, not signed again.
        state
            .inner
            .store
            .keep_signed(&p.id, key.version, &key.tag, &signature, now_ms())
            .await
            .expect("keep");
        let _turns = all_turns(&state).await;
        let again = tokio::time::timeout(LONG, pkpass(&state, &p))
            .await
            .expect("not waiting for a signer")
            .expect("bytes");
        assert_eq!(again.to_vec(), bytes);
        assert!(state
            .inner
            .metrics
            .render()
            .contains("passforge_pkpass_served_total{source=\"database\"} 2\n"));
    }

    #[tokio::test]
    async fn a_read_around_a_kept_signature_needs_no_turn() {
        let dir = tempfile::tempdir().expect("dir");
        let state = service(dir.path(), |c| c.signed_cache_bytes = 0).await;
        let p = ticket(&state).await;
        let _turns = all_turns(&state).await;
        let bytes = tokio::time::timeout(LONG, pkpass(&state, &p))
            .await
            .expect("not waiting for a signer")
            .expect("bytes");
        assert!(bytes.to_vec().starts_with(b"PK"), "a zip");
        assert_eq!(state.inner.metrics.signings_waiting(), 0);
        let served = state.inner.metrics.render();
        assert!(
            served.contains("passforge_pkpass_served_total{source=\"database\"} 1\n"),
            "{served}"
        );
    }
}
