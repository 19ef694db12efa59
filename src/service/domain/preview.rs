//! Pictures of templates and passes as Wallet shows them (the library's
//! `preview` renderer): for dashboards, e-mails and designers. Rendering
//! runs off the async workers.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::issue::{Issuer, Stamp};
use crate::preview::{back, front, google_card, png, Images, Lang};
use crate::service::domain::passes::PassRecord;
use crate::service::error::{ApiError, FieldProblem};
use crate::service::state::AppState;
use crate::template::{PassOverrides, Template};

/// Which picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Side {
    /// The front, as iPhone Wallet lays it out.
    Front,
    /// The back fields.
    Back,
    /// The Google Wallet card of the same values.
    Google,
}

impl Side {
    /// Its name in URLs and ETags.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Front => "front",
            Self::Back => "back",
            Self::Google => "google",
        }
    }
}

/// How to draw: which side, in which localization, at which scale.
#[derive(Debug, Clone)]
pub(crate) struct Look {
    /// Which picture.
    pub(crate) side: Side,
    /// A `.lproj` of the template, e.g. `fr`.
    pub(crate) lang: Option<String>,
    /// Pixels per point, 1 to 3.
    pub(crate) scale: u8,
}

/// Most pixels per point.
pub(crate) const MAX_SCALE: u8 = 3;

/// The stamp of a picture that is not of an issued pass: the values'
/// `serialNumber` (taken out of them) when they have one, else `PREVIEW`.
fn sample_stamp(fields: &mut Map<String, Value>, origin: &str) -> Result<Stamp, ApiError> {
    let serial = crate::issue::take_serial_number(fields)
        .map_err(|e| {
            ApiError::problems(vec![FieldProblem::new(
                format!("{origin}/serialNumber"),
                e.to_string(),
            )])
        })?
        .map_or_else(|| "PREVIEW".to_owned(), |s| s.as_str().to_owned());
    Stamp::new(&serial, "preview-authentication-token", chrono::Utc::now())
        .map_err(|e| ApiError::internal(&e))
}

/// Checks `look` against `template` before any work: the scale and the
/// language exist; Google is configured for a Google card.
fn check(state: &AppState, template: &Template, look: &Look) -> Result<(), ApiError> {
    let mut problems = Vec::new();
    if !(1..=MAX_SCALE).contains(&look.scale) {
        problems.push(FieldProblem::new(
            "scale",
            format!("must be 1 to {MAX_SCALE} (pixels per point)"),
        ));
    }
    if let Some(lang) = &look.lang {
        if !template.strings().contains_key(lang) {
            let known: Vec<&str> = template.strings().keys().map(String::as_str).collect();
            problems.push(FieldProblem::new(
                "lang",
                format!(
                    "the template has no {lang}.lproj (it has: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::problems(problems));
    }
    if look.side == Side::Google && state.inner.config.google.is_none() {
        return Err(super::passes::google_not_configured());
    }
    Ok(())
}

/// Draws `fields` (with `overrides`) on `template` as `look` asks: a PNG.
fn draw(
    state: &AppState,
    template: &Template,
    fields: &Map<String, Value>,
    stamp: &Stamp,
    overrides: &PassOverrides,
    look: &Look,
) -> Result<Vec<u8>, ApiError> {
    let cfg = &state.inner.config;
    let issuer = Issuer::new(template, &cfg.identity)
        .web_service_url(cfg.web_service_url.as_deref())
        .apple(false)
        .google(cfg.google.as_ref());
    let images = Images::of(template);
    let lang = look
        .lang
        .as_deref()
        .and_then(|code| Lang::of(template, code));
    let svg = match look.side {
        Side::Google => {
            let g = issuer
                .google_pass(fields, stamp, overrides)
                .map_err(super::passes::issue_error)?;
            google_card(&g, &images)
        }
        side => {
            let rendered = issuer
                .render_with(fields, stamp, Some(overrides))
                .map_err(|e| super::passes::issue_error(e.into()))?;
            if side == Side::Front {
                front(&rendered.pass_json, &images, lang)
            } else {
                back(&rendered.pass_json, lang)
            }
        }
    };
    png(&svg, f32::from(look.scale)).map_err(|e| ApiError::internal(&e))
}

/// The first row of template `id`'s sample file (none: no values).
fn sample_row(state: &AppState, id: &str) -> Result<Map<String, Value>, ApiError> {
    crate::data::sample_rows(&state.inner.templates.dir().join(id), 1)
        .map(|rows| rows.into_iter().next().unwrap_or_default())
        .map_err(|e| {
            ApiError::invalid(
                format!("cannot read the template's {e}; fix it or give `fields`"),
                Vec::new(),
            )
        })
}

/// A PNG of template `id` filled with `fields` (default: the first row of
/// its sample file).
///
/// # Errors
/// 404 for an unknown template; 400/422 for a bad look or values that make
/// no valid pass (each field named); 409 for a Google card without Google.
pub(crate) async fn template_png(
    state: &AppState,
    template: Arc<Template>,
    id: &str,
    fields: Option<Map<String, Value>>,
    look: Look,
) -> Result<Vec<u8>, ApiError> {
    check(state, &template, &look)?;
    let state = state.clone();
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        let (mut fields, origin) = match fields {
            Some(f) => (f, "fields"),
            None => (sample_row(&state, &id)?, "sample"),
        };
        let stamp = sample_stamp(&mut fields, origin)?;
        draw(
            &state,
            &template,
            &fields,
            &stamp,
            &PassOverrides::default(),
            &look,
        )
        .map_err(|mut e| {
            // The values came from the `fields` parameter or the sample
            // file, not from a pass's customFields.
            for p in &mut e.errors {
                if let Some(rest) = p.pointer.strip_prefix("/customFields") {
                    p.pointer = format!("{origin}{rest}");
                }
            }
            e
        })
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
}

/// A PNG of a stored pass's current version.
///
/// # Errors
/// 404 when its template is gone; 400/422 for a bad look; 409 for a Google
/// card without Google.
pub(crate) async fn pass_png(
    state: &AppState,
    record: &PassRecord,
    look: Look,
) -> Result<Vec<u8>, ApiError> {
    let template = state.inner.templates.live(&record.template_id)?;
    check(state, &template, &look)?;
    let state = state.clone();
    let record = record.clone();
    tokio::task::spawn_blocking(move || {
        let (stamp, overrides) = super::passes::version_of(&record)?;
        draw(
            &state,
            &template,
            &record.custom_fields,
            &stamp,
            &overrides,
            &look,
        )
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
}
