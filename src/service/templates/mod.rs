//! The live template registry: the templates folder, loaded at start and
//! reloaded when a folder changes (watched) or is uploaded; an edit that
//! breaks a template keeps its last good version live. Loading is blocking
//! work (folder fingerprint, PNG decoding, deflate): callers on the async
//! runtime run it on the blocking pool.

pub(crate) mod files;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::model::{Diagnostic, Location, Severity};
use crate::service::clock::now_ms;
use crate::service::error::ApiError;
use crate::template::{load_dir, Template, TemplateError};

/// One template folder as the service sees it: the version being served
/// (if any loaded) and the problems of the latest load.
#[derive(Debug, Clone)]
pub struct TemplateEntry {
    /// Folder name.
    pub id: String,
    /// The live version; kept when a later edit is invalid.
    pub template: Option<Arc<Template>>,
    /// Problems (and warnings) of the latest load attempt.
    pub problems: Vec<Diagnostic>,
    /// Whether the latest load attempt failed.
    pub failed: bool,
    /// When the latest load attempt ran (Unix ms).
    pub loaded_at: i64,
    /// Fingerprint of the files of the latest load attempt.
    pub fingerprint: Option<String>,
    /// Fingerprint of the live version's files (what signed passes of it
    /// are keyed by); a version whose folder could not be fingerprinted
    /// gets one unique to its load.
    pub live_fingerprint: Option<Arc<str>>,
}

/// What a reload changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A template that was not live is now.
    Created,
    /// A new version of a live template is live.
    Updated,
}

/// The templates folder, loaded.
#[derive(Debug)]
pub struct Templates {
    dir: PathBuf,
    entries: RwLock<BTreeMap<String, TemplateEntry>>,
}

/// Whether `dir` looks like a template folder (hidden folders, such as
/// uploads being written, are not).
fn is_template_dir(dir: &Path) -> bool {
    let hidden = dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_none_or(|n| n.starts_with('.'));
    !hidden && (dir.join("pass.json").is_file() || dir.join("template.json").is_file())
}

/// SHA-256 over the folder's files (relative paths and bytes, sorted): a
/// reload that finds the same fingerprint changes nothing.
fn fingerprint(dir: &Path) -> Option<String> {
    use sha2::Digest as _;
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, std::path::PathBuf)>) -> Option<()> {
        for e in std::fs::read_dir(dir).ok()? {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            let rel = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            let ty = e.file_type().ok()?;
            if ty.is_dir() {
                walk(&e.path(), &rel, out)?;
            } else {
                out.push((rel, e.path()));
            }
        }
        Some(())
    }
    let mut files = Vec::new();
    walk(dir, "", &mut files)?;
    files.sort();
    let mut h = sha2::Sha256::new();
    for (rel, path) in files {
        h.update(rel.as_bytes());
        h.update([0]);
        h.update(std::fs::read(path).ok()?);
        h.update([0]);
    }
    Some(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether a watch event may have changed a file: an open, a read or a
/// close after reading did not. (The watcher hears opens too, and a reload
/// opens every file: heeding them made each reload trigger the next, a
/// reload of every template five times a second while nothing changed.)
fn changes_files(kind: &notify::EventKind) -> bool {
    use notify::event::{AccessKind, AccessMode};
    match kind {
        notify::EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        notify::EventKind::Access(_) => false,
        _ => true,
    }
}

/// 422: a template that has errors and was never live.
fn never_loaded(id: &str) -> ApiError {
    ApiError::invalid(
        format!("template {id:?} has errors and no earlier valid version; GET /v1/templates/{id} lists them"),
        Vec::new(),
    )
}

impl Templates {
    /// Loads every template folder under `dir` (a missing folder is empty),
    /// first putting it in order after an interrupted upload or deletion
    /// (see [`files::recover`]).
    pub fn load(dir: &Path) -> Self {
        let recovered = files::recover(dir);
        for id in &recovered.restored {
            tracing::warn!(template = %id, "an upload replacing this template was interrupted; its previous version is live again");
        }
        if recovered.removed > 0 {
            tracing::info!(
                count = recovered.removed,
                "removed the leftovers of interrupted template uploads and deletions"
            );
        }
        let me = Self {
            dir: dir.to_path_buf(),
            entries: RwLock::new(BTreeMap::new()),
        };
        me.rescan();
        me
    }

    /// The folder served.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads every folder again (new, changed and removed ones).
    pub fn rescan(&self) {
        let mut seen = Vec::new();
        if let Ok(read) = std::fs::read_dir(&self.dir) {
            let mut names: Vec<String> = read
                .filter_map(Result::ok)
                .filter(|e| is_template_dir(&e.path()))
                .filter_map(|e| e.file_name().into_string().ok())
                .collect();
            names.sort();
            for name in names {
                self.reload(&name);
                seen.push(name);
            }
        }
        if let Ok(mut entries) = self.entries.write() {
            entries.retain(|k, _| seen.contains(k));
        }
    }

    /// Loads one folder; on failure the previous version stays live and
    /// the problems are recorded and logged.
    pub fn reload(&self, id: &str) -> Option<Change> {
        let path = self.dir.join(id);
        if !is_template_dir(&path) {
            if let Ok(mut entries) = self.entries.write() {
                if entries.remove(id).is_some() {
                    tracing::info!(template = id, "template removed");
                }
            }
            return None;
        }
        let print = fingerprint(&path);
        if print.is_some() {
            let same = self
                .entries
                .read()
                .ok()
                .and_then(|e| e.get(id).map(|e| e.fingerprint == print));
            if same == Some(true) {
                return None;
            }
        }
        let (template, problems, failed) = match load_dir(&path) {
            Ok(t) => {
                let problems = t
                    .diagnostics()
                    .iter()
                    .filter(|d| d.severity != Severity::Info)
                    .cloned()
                    .collect();
                (Some(Arc::new(t)), problems, false)
            }
            Err(TemplateError::Invalid { diagnostics, .. }) => {
                for d in diagnostics.iter().filter(|d| d.is_error()) {
                    tracing::warn!(template = id, problem = %d, "template is invalid");
                }
                (None, diagnostics.0, true)
            }
            Err(e) => {
                tracing::warn!(template = id, error = %e, "template cannot be read");
                (
                    None,
                    vec![Diagnostic::error(
                        "",
                        Location::File,
                        "template.unreadable",
                        e.to_string(),
                    )],
                    true,
                )
            }
        };
        let mut entries = self.entries.write().ok()?;
        let previous = entries
            .get(id)
            .and_then(|e| Some((e.template.clone()?, e.live_fingerprint.clone())));
        let change = match (&template, &previous) {
            (Some(_), Some(_)) => Some(Change::Updated),
            (Some(_), None) => Some(Change::Created),
            (None, _) => None,
        };
        let loaded_at = now_ms();
        let (template, live_fingerprint) = match template {
            Some(t) => {
                tracing::info!(template = id, "template loaded");
                let live: Arc<str> = match &print {
                    Some(p) => p.as_str().into(),
                    None => format!("unprinted-{loaded_at}-{:p}", Arc::as_ptr(&t)).into(),
                };
                (Some(t), Some(live))
            }
            None => match previous {
                Some((t, live)) => (Some(t), live),
                None => (None, None),
            },
        };
        entries.insert(
            id.to_owned(),
            TemplateEntry {
                id: id.to_owned(),
                template,
                problems,
                failed,
                loaded_at,
                fingerprint: print,
                live_fingerprint,
            },
        );
        change
    }

    /// Watches the folder: a template folder added, edited or removed is
    /// reloaded about 200 ms after its last change (editors write in
    /// several steps), and `on_change` hears of it with what went live
    /// (`None`: nothing did: the edit failed, the folder went away, or
    /// nothing changed). The watch stops when the returned watcher is
    /// dropped.
    ///
    /// # Errors
    /// When the folder cannot be watched.
    pub fn watch(
        self: &Arc<Self>,
        on_change: impl Fn(&str, Option<Change>) + Send + 'static,
    ) -> notify::Result<notify::RecommendedWatcher> {
        use notify::Watcher as _;
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let dir = std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        let root = dir.clone();
        let mut watcher =
            notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
                Ok(event) if !changes_files(&event.kind) => {}
                Ok(event) => {
                    for path in &event.paths {
                        let id = path
                            .strip_prefix(&root)
                            .ok()
                            .and_then(|rel| rel.components().next())
                            .and_then(|c| c.as_os_str().to_str())
                            .filter(|id| !id.starts_with('.'));
                        if let Some(id) = id {
                            let _ = tx.send(id.to_owned());
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "template watch error"),
            })?;
        watcher.watch(&dir, notify::RecursiveMode::Recursive)?;
        let me = Arc::downgrade(self);
        std::thread::Builder::new()
            .name("passforge-templates".into())
            .spawn(move || {
                let quiet = std::time::Duration::from_millis(200);
                while let Ok(first) = rx.recv() {
                    let mut ids = std::collections::BTreeSet::from([first]);
                    while let Ok(id) = rx.recv_timeout(quiet) {
                        ids.insert(id);
                    }
                    let Some(me) = me.upgrade() else { return };
                    for id in ids {
                        let change = me.reload(&id);
                        on_change(&id, change);
                    }
                }
            })
            .map_err(|e| notify::Error::generic(&e.to_string()))?;
        Ok(watcher)
    }

    /// One entry.
    pub fn get(&self, id: &str) -> Option<TemplateEntry> {
        self.entries.read().ok()?.get(id).cloned()
    }

    /// The live template with this id, or a 404 / 422 saying why not.
    ///
    /// # Errors
    /// [`ApiError`] 404 when unknown, 422 when it never loaded.
    pub fn live(&self, id: &str) -> Result<Arc<Template>, ApiError> {
        self.live_printed(id).map(|(template, _)| template)
    }

    /// The live template with this id and its files' fingerprint (see
    /// [`TemplateEntry::live_fingerprint`]), without copying the entry.
    ///
    /// # Errors
    /// As [`Templates::live`].
    pub(crate) fn live_printed(&self, id: &str) -> Result<(Arc<Template>, Arc<str>), ApiError> {
        let found = self.entries.read().ok().and_then(|e| {
            e.get(id)
                .map(|e| (e.template.clone(), e.live_fingerprint.clone()))
        });
        match found {
            Some((Some(t), Some(print))) => Ok((t, print)),
            Some(_) => Err(never_loaded(id)),
            None => Err(ApiError::not_found("template", id)),
        }
    }

    /// Every entry, by id.
    pub fn list(&self) -> Vec<TemplateEntry> {
        self.entries
            .read()
            .map(|e| e.values().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::changes_files;
    use notify::event::{
        AccessKind, AccessMode, CreateKind, DataChange, EventKind, ModifyKind, RemoveKind,
    };

    /// A watched folder whose files are only read (as every reload reads
    /// them) reloads nothing; an edit reloads its template.
    #[test]
    fn a_watched_folder_reloads_on_edits_not_on_reads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/coupon");
        let to = dir.path().join("coupon");
        std::fs::create_dir(&to).expect("mkdir");
        for entry in std::fs::read_dir(&from).expect("read templates/coupon") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
        }
        let templates = std::sync::Arc::new(super::Templates::load(dir.path()));
        let (tx, rx) = std::sync::mpsc::channel();
        let _watcher = templates
            .watch(move |id, _| {
                let _ = tx.send(id.to_owned());
            })
            .expect("watch");
        for entry in std::fs::read_dir(&to).expect("read") {
            std::fs::read(entry.expect("entry").path()).expect("read a file");
        }
        let wait = std::time::Duration::from_millis(800);
        assert_eq!(
            rx.recv_timeout(wait).ok(),
            None,
            "reads reloaded a template"
        );
        let pass = to.join("pass.json");
        let text = std::fs::read_to_string(&pass).expect("pass.json");
        std::fs::write(&pass, text.replacen('{', "{ ", 1)).expect("edit pass.json");
        let heard = rx.recv_timeout(std::time::Duration::from_secs(5));
        assert_eq!(heard.as_deref(), Ok("coupon"), "an edit was not heard");
        // The reload's own reads start no further reloads.
        assert_eq!(rx.recv_timeout(wait).ok(), None, "a reload reloaded again");
    }

    #[test]
    fn reading_a_file_is_not_a_change_and_writing_one_is() {
        for quiet in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Any),
        ] {
            assert!(!changes_files(&quiet), "{quiet:?}");
        }
        for change in [
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Remove(RemoveKind::Folder),
            EventKind::Any,
        ] {
            assert!(changes_files(&change), "{change:?}");
        }
    }
}
