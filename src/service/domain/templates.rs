//! Templates as the service changes them: uploads (a zip of the folder,
//! checked, then swapped into place), deletion, and what a change of a
//! live template causes: its event, and a new version of every pass issued
//! from it (their content changed with it), pushed. Loading runs on the
//! blocking pool, never on the async workers.

use std::collections::BTreeMap;

use http::StatusCode;
use serde_json::json;

use crate::service::clock::now_ms;
use crate::service::db;
use crate::service::domain::commit;
use crate::service::error::{ApiError, FieldProblem};
use crate::service::outbox::Effect;
use crate::service::state::AppState;
use crate::service::templates::files::{self, unpack, valid_id};
use crate::service::templates::{Change, TemplateEntry};
use crate::template::{design, Template, TemplateError};

/// The effects of a template change: its event and, for a new version of
/// a live template, a new version of every pass issued from it (written by
/// [`changed`] with the pushes and Google updates of each).
fn event_of(id: &str, change: Change) -> Effect {
    let ty = match change {
        Change::Created => "template.created",
        Change::Updated => "template.updated",
    };
    Effect::event(ty, json!({"id": id, "object": "template"}))
}

/// A template's folder changed (`change`): its event; for a new version,
/// every pass issued from it gets a new version (their content changed
/// with the template), with its pushes and Google update, in one
/// transaction.
///
/// # Errors
/// [`ApiError`] for a database failure.
pub(crate) async fn changed(state: &AppState, id: &str, change: Change) -> Result<usize, ApiError> {
    let mut tx = state.inner.store.begin().await?;
    let mut effects = vec![event_of(id, change)];
    let mut passes = 0;
    if change == Change::Updated {
        let cfg = &state.inner.config;
        let topic = cfg.identity.pass_type_id().as_str().to_owned();
        let ids = db::bump_template_passes(&mut tx, id, now_ms()).await?;
        passes = ids.len();
        for pass_id in ids {
            effects.push(Effect::Push {
                pass_id: pass_id.clone(),
                topic: topic.clone(),
            });
            if cfg.google.is_some() {
                effects.push(Effect::GoogleUpdate {
                    pass_id,
                    message: None,
                });
            }
        }
    }
    let written = commit(state, tx, &effects).await?;
    if change == Change::Updated {
        tracing::info!(
            template = id,
            passes,
            pushes = written.pushes.len(),
            "template change reaches issued passes"
        );
    }
    Ok(passes)
}

/// Starts watching the templates folder: a saved edit reloads its
/// template and, when the live version changed, runs [`changed`]. The
/// watch lasts as long as the state.
///
/// # Errors
/// When the folder cannot be watched.
pub(crate) fn watch(state: &AppState) -> notify::Result<()> {
    let handle = tokio::runtime::Handle::try_current()
        .map_err(|e| notify::Error::generic(&format!("no async runtime: {e}")))?;
    let weak = std::sync::Arc::downgrade(&state.inner);
    let watcher = state.inner.templates.watch(move |id, change| {
        let (Some(change), Some(inner)) = (change, weak.upgrade()) else {
            return;
        };
        let state = AppState { inner };
        let id = id.to_owned();
        handle.spawn(async move {
            if let Err(e) = changed(&state, &id, change).await {
                tracing::warn!(error = %e.detail, template = %id, "cannot record a template change");
            }
        });
    })?;
    if let Ok(mut w) = state.inner.watcher.lock() {
        *w = Some(watcher);
    }
    Ok(())
}

/// The template folder of `id` replaced by (or created from) a zip; what
/// changed and the entry now live.
///
/// # Errors
/// 422 for a bad id, a refused archive or an invalid template (every
/// problem listed; nothing written).
pub(crate) async fn upload(
    state: &AppState,
    id: &str,
    zip: Vec<u8>,
) -> Result<(Option<Change>, TemplateEntry), ApiError> {
    if !valid_id(id) {
        return Err(ApiError::invalid(
            "bad template id",
            vec![FieldProblem::new(
                "id",
                "1 to 64 of A-Z a-z 0-9 . _ -, not starting with `.`",
            )],
        ));
    }
    let templates = state.inner.templates.clone();
    let id2 = id.to_owned();
    // Unpacking, checking, writing and reloading are blocking work.
    let change = tokio::task::spawn_blocking(move || -> Result<Option<Change>, ApiError> {
        let files: BTreeMap<String, Vec<u8>> = unpack(&zip).map_err(|errors| {
            ApiError::invalid("the archive was refused; nothing was written", errors)
        })?;
        check_and_install(&templates, &id2, &files)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let entry = after_install(state, id, change).await?;
    tracing::info!(template = %id, "template uploaded");
    Ok((change, entry))
}

/// Loads `files` as template `id` and, when it loads, writes them as its
/// folder and reloads it (blocking work). Nothing is written otherwise.
fn check_and_install(
    templates: &crate::service::templates::Templates,
    id: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<Option<Change>, ApiError> {
    match Template::from_files(id, files.clone()) {
        Ok(_) => {}
        Err(TemplateError::Invalid { diagnostics, .. }) => {
            return Err(ApiError::invalid(
                format!(
                    "the template has {} error(s); nothing was written",
                    diagnostics.error_count()
                ),
                diagnostics
                    .iter()
                    .filter(|d| d.is_error())
                    .map(|d| FieldProblem::new(d.file.clone(), d.to_string()))
                    .collect(),
            ));
        }
        Err(e) => return Err(ApiError::internal(&e)),
    }
    files::install(templates.dir(), id, files).map_err(|e| ApiError::internal(&e))?;
    Ok(templates.reload(id))
}

/// The entry of a just-installed template; its change recorded (event,
/// and new versions of its passes for an update).
async fn after_install(
    state: &AppState,
    id: &str,
    change: Option<Change>,
) -> Result<TemplateEntry, ApiError> {
    let entry = state
        .inner
        .templates
        .get(id)
        .ok_or_else(|| ApiError::internal(&"an installed template did not load"))?;
    if let Some(change) = change {
        changed(state, id, change).await?;
    }
    Ok(entry)
}

fn design_problems(problems: Vec<design::DesignProblem>) -> Vec<FieldProblem> {
    problems
        .into_iter()
        .map(|p| FieldProblem::new(p.pointer, p.message))
        .collect()
}

/// Creates a template from a JSON design (its id from `id`, else made from
/// `name`): a folder with pass.json, template.json, the design and a
/// generated icon and logo.
///
/// # Errors
/// 422 with every problem of the design; 409 when the id is taken.
pub(crate) async fn create_from_design(
    state: &AppState,
    design: serde_json::Value,
) -> Result<TemplateEntry, ApiError> {
    let id = match design.get("id").and_then(serde_json::Value::as_str) {
        Some(id) => id.to_owned(),
        None => design::id_from_name(
            design
                .get("name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default(),
        ),
    };
    if !valid_id(&id) {
        return Err(ApiError::invalid(
            "bad template id",
            vec![FieldProblem::new(
                "/id",
                "1 to 64 of A-Z a-z 0-9 . _ -, not starting with `.`; give `id`, or a `name` with letters or digits",
            )],
        ));
    }
    if state.inner.templates.get(&id).is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "template_exists",
            format!("a template {id:?} exists; change it with PATCH /v1/templates/{id}, or choose another id"),
        ));
    }
    let entry = install_design(state, &id, design).await?;
    tracing::info!(template = %id, "template created from a design");
    Ok(entry)
}

/// Makes `design`'s folder (with `id`), checks it and installs it.
async fn install_design(
    state: &AppState,
    id: &str,
    design: serde_json::Value,
) -> Result<TemplateEntry, ApiError> {
    install_design_over(state, id, design, BTreeMap::new(), &BTreeMap::new()).await
}

/// [`install_design`] over a folder's `current` files: the design's files
/// replace them, but an image the client uploaded (one that differs from
/// what the previous design generated, `before`) is kept.
async fn install_design_over(
    state: &AppState,
    id: &str,
    mut design: serde_json::Value,
    current: BTreeMap<String, Vec<u8>>,
    before: &BTreeMap<String, Vec<u8>>,
) -> Result<TemplateEntry, ApiError> {
    design["id"] = id.into();
    let made = design::files_of(&design, false).map_err(|p| {
        ApiError::invalid(
            "the design has problems; nothing was written",
            design_problems(p),
        )
    })?;
    let mut files = current;
    for (name, bytes) in made {
        let uploaded = design::GENERATED_IMAGES.contains(&name.as_str())
            && files
                .get(&name)
                .is_some_and(|now| before.get(&name) != Some(now));
        if !uploaded {
            files.insert(name, bytes);
        }
    }
    let templates = state.inner.templates.clone();
    let id2 = id.to_owned();
    let change = tokio::task::spawn_blocking(move || check_and_install(&templates, &id2, &files))
        .await
        .map_err(|e| ApiError::internal(&e))??;
    after_install(state, id, change).await
}

/// Changes a designed template with a JSON merge patch (RFC 7396) of its
/// design; its passes get a new version (and their pushes).
///
/// # Errors
/// 404; 409 for a template not made from a design; 422 with every problem.
pub(crate) async fn patch_design(
    state: &AppState,
    id: &str,
    patch: &serde_json::Value,
) -> Result<TemplateEntry, ApiError> {
    if !valid_id(id) || state.inner.templates.get(id).is_none() {
        return Err(ApiError::not_found("template", id));
    }
    let current = files::read(state.inner.templates.dir(), id, design::DESIGN_FILE)
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::CONFLICT,
                "not_designed",
                format!("template {id:?} was not made from a JSON design (it is a folder or a zip); change it by uploading its folder with PUT /v1/templates/{id}"),
            )
        })?;
    let mut design: serde_json::Value =
        serde_json::from_slice(&current).map_err(|e| ApiError::internal(&e))?;
    if let Some(new_id) = patch.get("id").and_then(serde_json::Value::as_str) {
        if new_id != id {
            return Err(ApiError::invalid(
                "a template keeps its id",
                vec![FieldProblem::new(
                    "/id",
                    "a template's id cannot change; create a new template instead",
                )],
            ));
        }
    }
    let before = design::files_of(&design, false).unwrap_or_default();
    design::merge_patch(&mut design, patch);
    let current =
        files::read_all(state.inner.templates.dir(), id).map_err(|e| ApiError::internal(&e))?;
    let entry = install_design_over(state, id, design, current, &before).await?;
    tracing::info!(template = %id, "template design changed");
    Ok(entry)
}

/// Adds images (a zip of PNGs: `strip.png`, `icon@2x.png`,
/// `fr.lproj/logo.png`, …) to a template's folder, replacing those of the
/// same name (a designed template's generated icon or logo too); its passes
/// get a new version.
///
/// # Errors
/// 404; 422 for an entry that is not an image of a pass, or a template the
/// images make invalid (nothing is written).
pub(crate) async fn add_images(
    state: &AppState,
    id: &str,
    zip: Vec<u8>,
) -> Result<TemplateEntry, ApiError> {
    if !valid_id(id) || state.inner.templates.get(id).is_none() {
        return Err(ApiError::not_found("template", id));
    }
    let templates = state.inner.templates.clone();
    let id2 = id.to_owned();
    let change = tokio::task::spawn_blocking(move || -> Result<Option<Change>, ApiError> {
        let images = unpack(&zip).map_err(|errors| {
            ApiError::invalid("the archive was refused; nothing was written", errors)
        })?;
        let refused: Vec<FieldProblem> = images
            .keys()
            .filter(|name| {
                !matches!(
                    crate::apple::files::classify(name),
                    crate::apple::files::FileKind::Image { .. }
                )
            })
            .map(|name| {
                FieldProblem::new(
                    name.clone(),
                    "not an image of a pass (icon, logo, strip, thumbnail, background, footer, … .png, with @2x/@3x, at the top or in xx.lproj/); upload other files with PUT /v1/templates/{id}",
                )
            })
            .collect();
        if !refused.is_empty() || images.is_empty() {
            return Err(ApiError::invalid(
                "only images can be added; nothing was written",
                if refused.is_empty() {
                    vec![FieldProblem::new("", "the archive holds no image")]
                } else {
                    refused
                },
            ));
        }
        let mut files = files::read_all(templates.dir(), &id2).map_err(|e| ApiError::internal(&e))?;
        files.extend(images);
        check_and_install(&templates, &id2, &files)
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let entry = after_install(state, id, change).await?;
    tracing::info!(template = %id, "template images added");
    Ok(entry)
}

/// Deletes a template: refused with 409 while passes use it, unless
/// `force` (those passes can then no longer be downloaded).
///
/// # Errors
/// 404; 409 while passes use it.
pub(crate) async fn delete(state: &AppState, id: &str, force: bool) -> Result<(), ApiError> {
    if !valid_id(id) || state.inner.templates.get(id).is_none() {
        return Err(ApiError::not_found("template", id));
    }
    let used = state.inner.store.count_passes_of(id).await?;
    if used > 0 && !force {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "template_in_use",
            format!("{used} pass(es) use this template; delete them first or pass ?force=true"),
        ));
    }
    let templates = state.inner.templates.clone();
    let id2 = id.to_owned();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        files::remove(templates.dir(), &id2)?;
        templates.reload(&id2);
        Ok(())
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(|e| ApiError::internal(&e))?;
    tracing::info!(template = %id, "template deleted");
    Ok(())
}
