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
use crate::template::{Template, TemplateError};

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
        match Template::from_files(&id2, files.clone()) {
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
        files::install(templates.dir(), &id2, &files).map_err(|e| ApiError::internal(&e))?;
        Ok(templates.reload(&id2))
    })
    .await
    .map_err(|e| ApiError::internal(&e))??;
    let entry = state
        .inner
        .templates
        .get(id)
        .ok_or_else(|| ApiError::internal(&"an installed template did not load"))?;
    if let Some(change) = change {
        changed(state, id, change).await?;
    }
    tracing::info!(template = %id, "template uploaded");
    Ok((change, entry))
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
