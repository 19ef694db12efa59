//! Template folders on disk: an upload (a zip of the folder) is unpacked
//! in memory with every entry checked
//! (no absolute paths, `..`, symlinks, oversized files or archives),
//! validated as a template, and only then written: into a hidden folder
//! beside the templates, swapped into place. A failure writes nothing; a
//! crash leaves the old or the new version live, and [`recover`] clears
//! what it left behind at the next start.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use crate::service::error::FieldProblem;
use crate::template::MAX_TEMPLATE_FILE_BYTES;

/// Largest accepted upload (the zip itself).
pub(crate) const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// Largest total of the unpacked files.
pub(crate) const MAX_UNPACKED_BYTES: u64 = 50 * 1024 * 1024;

/// Most entries in one upload.
pub(crate) const MAX_ENTRIES: usize = 500;

fn problem(pointer: &str, detail: impl Into<String>) -> FieldProblem {
    FieldProblem {
        pointer: pointer.to_owned(),
        detail: detail.into(),
    }
}

/// Whether `id` can name a template folder.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Unpacks a template zip into `path → bytes`, checking every entry. A
/// single folder wrapping everything (how a folder is usually zipped) is
/// stripped; `__MACOSX/` and hidden files are skipped.
///
/// # Errors
/// Every refused entry, located by its name in the zip.
pub(crate) fn unpack(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, Vec<FieldProblem>> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| vec![problem("", format!("the body is not a zip archive: {e}"))])?;
    if zip.len() > MAX_ENTRIES {
        return Err(vec![problem(
            "",
            format!(
                "the archive has {} entries; at most {MAX_ENTRIES}",
                zip.len()
            ),
        )]);
    }
    let mut errors = Vec::new();
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                errors.push(problem(&format!("#{i}"), format!("unreadable entry: {e}")));
                continue;
            }
        };
        let raw = match f.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                errors.push(problem(
                    &format!("#{i}"),
                    format!("unreadable entry name: {e}"),
                ));
                continue;
            }
        };
        let at = raw.clone();
        if f.is_symlink() {
            errors.push(problem(&at, "symbolic links are not allowed"));
            continue;
        }
        let unsafe_path = raw.starts_with('/')
            || raw.contains('\\')
            || raw.split('/').any(|c| c == "..")
            || raw.contains(':')
            || f.enclosed_name().is_none();
        if unsafe_path {
            errors.push(problem(
                &at,
                "absolute paths, `..`, drive letters and backslashes are not allowed",
            ));
            continue;
        }
        if f.is_dir() {
            continue;
        }
        if raw
            .split('/')
            .any(|c| c.starts_with('.') || c == "__MACOSX")
        {
            continue;
        }
        if f.size() > MAX_TEMPLATE_FILE_BYTES {
            errors.push(problem(
                &at,
                format!(
                    "{} bytes unpacked; a file may have at most {MAX_TEMPLATE_FILE_BYTES}",
                    f.size()
                ),
            ));
            continue;
        }
        let mut data = Vec::new();
        // The declared size can lie: read at most one byte past the limit.
        if let Err(e) = (&mut f)
            .take(MAX_TEMPLATE_FILE_BYTES + 1)
            .read_to_end(&mut data)
        {
            errors.push(problem(&at, format!("cannot unpack: {e}")));
            continue;
        }
        let len = data.len() as u64;
        if len > MAX_TEMPLATE_FILE_BYTES {
            errors.push(problem(
                &at,
                format!("more than {MAX_TEMPLATE_FILE_BYTES} bytes unpacked"),
            ));
            continue;
        }
        total += len;
        if total > MAX_UNPACKED_BYTES {
            return Err(vec![problem(
                "",
                format!("the archive unpacks to more than {MAX_UNPACKED_BYTES} bytes"),
            )]);
        }
        files.insert(raw, data);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // Strip one wrapping folder.
    let first = files
        .keys()
        .next()
        .and_then(|k| k.split_once('/'))
        .map(|(d, _)| format!("{d}/"));
    if let Some(prefix) = first {
        if files.keys().all(|k| k.starts_with(&prefix)) {
            files = files
                .into_iter()
                .map(|(k, v)| (k[prefix.len()..].to_owned(), v))
                .collect();
        }
    }
    if files.is_empty() {
        return Err(vec![problem("", "the archive holds no files")]);
    }
    Ok(files)
}

/// Prefix of the hidden folder an upload is written into before it goes live.
const STAGING: &str = ".upload-";
/// Prefix of the hidden folder a replaced version waits in, where the
/// folders cannot be swapped in one step (`.replaced-<tag>-<id>`).
const REPLACED: &str = ".replaced-";
/// Prefix of the hidden folder a deleted template is removed from.
const DELETED: &str = ".deleted-";
/// A staging folder untouched this long belongs to no running upload.
const STALE_STAGING: std::time::Duration = std::time::Duration::from_secs(600);

/// Every file of template folder `dir/id` (its top level and its
/// subfolders, one level down), by path inside the folder.
pub(crate) fn read_all(dir: &Path, id: &str) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let root = dir.join(id);
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&root)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        if entry.file_type()?.is_dir() {
            for inner in std::fs::read_dir(entry.path())? {
                let inner = inner?;
                let inner_name = inner.file_name().to_string_lossy().into_owned();
                if inner.file_type()?.is_file() && !inner_name.starts_with('.') {
                    out.insert(format!("{name}/{inner_name}"), std::fs::read(inner.path())?);
                }
            }
        } else {
            out.insert(name, std::fs::read(entry.path())?);
        }
    }
    Ok(out)
}

/// The file `name` of template folder `dir/id`, if it has one.
pub(crate) fn read(dir: &Path, id: &str, name: &str) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::read(dir.join(id).join(name)) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Writes `files` as `dir/id`, replacing an existing folder atomically: a
/// crash at any moment leaves the old or the new version live (never
/// none), plus at most one hidden leftover that [`recover`] clears.
pub(crate) fn install(
    dir: &Path,
    id: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> std::io::Result<()> {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let staging = dir.join(format!("{STAGING}{tag}"));
    let write = || -> std::io::Result<()> {
        for (name, bytes) in files {
            let path = staging.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
        }
        Ok(())
    };
    std::fs::create_dir_all(dir)?;
    std::fs::create_dir(&staging)?;
    if let Err(e) = write() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    let target = dir.join(id);
    let had = target.symlink_metadata().is_ok();
    if had {
        match exchange(&staging, &target) {
            // The staging folder now holds the old version.
            Ok(true) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Ok(());
            }
            Ok(false) => {}
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                return Err(e);
            }
        }
    }
    // No old version, or a file system that cannot swap two folders: move
    // the old one aside under a name that says where it belongs, so that
    // `recover` can put it back if the process dies between the renames.
    let old = dir.join(format!("{REPLACED}{tag}-{id}"));
    if had {
        if let Err(e) = std::fs::rename(&target, &old) {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    }
    if let Err(e) = std::fs::rename(&staging, &target) {
        if had {
            let _ = std::fs::rename(&old, &target);
        }
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if had {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

/// Swaps two folders in one step (`renameat2` with `RENAME_EXCHANGE`).
/// `Ok(false)` when the file system or kernel cannot.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Swaps two folders in one step: not available here.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn exchange(_a: &Path, _b: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// What [`recover`] did to the templates folder.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// Templates whose previous version was put back: an upload replacing
    /// them was interrupted between its two renames.
    pub restored: Vec<String>,
    /// Hidden leftovers of interrupted uploads and deletions removed.
    pub removed: usize,
}

/// Puts the templates folder in order after a crash during an upload or a
/// deletion: a replaced version whose template folder is missing is moved
/// back, the leftovers of deletions and of replacements that landed are
/// removed, and so are staging folders untouched for ten minutes (younger
/// ones may belong to an upload running in another instance).
pub(crate) fn recover(dir: &Path) -> Recovered {
    let mut out = Recovered::default();
    let Ok(read) = std::fs::read_dir(dir) else {
        return out;
    };
    let is_tag = |t: &str| t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit());
    for e in read.flatten() {
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        let path = e.path();
        let remove = if let Some(rest) = name.strip_prefix(REPLACED) {
            let Some(id) = rest
                .split_at_checked(32)
                .filter(|(tag, _)| is_tag(tag))
                .and_then(|(_, id)| id.strip_prefix('-'))
                .filter(|id| valid_id(id))
            else {
                continue;
            };
            let target = dir.join(id);
            if target.symlink_metadata().is_err() && std::fs::rename(&path, &target).is_ok() {
                out.restored.push(id.to_owned());
                continue;
            }
            true
        } else if let Some(tag) = name.strip_prefix(DELETED) {
            is_tag(tag)
        } else if let Some(tag) = name.strip_prefix(STAGING) {
            is_tag(tag)
                && e.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age >= STALE_STAGING)
        } else {
            false
        };
        if remove && std::fs::remove_dir_all(&path).is_ok() {
            out.removed += 1;
        }
    }
    out
}

/// Removes a template folder: renamed away first (the template is gone
/// then), its files removed after; what a crash leaves is only disk space,
/// which [`recover`] reclaims at the next start.
///
/// # Errors
/// When the folder cannot be renamed.
pub(crate) fn remove(dir: &Path, id: &str) -> std::io::Result<()> {
    let trash = dir.join(format!("{DELETED}{}", uuid::Uuid::new_v4().simple()));
    std::fs::rename(dir.join(id), &trash)?;
    if let Err(e) = std::fs::remove_dir_all(&trash) {
        tracing::warn!(folder = %trash.display(), error = %e, "could not remove a deleted template's files");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, bytes) in entries {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .expect("start");
            z.write_all(bytes).expect("write");
        }
        z.finish().expect("finish").into_inner()
    }

    #[test]
    fn ids() {
        assert!(valid_id("event-ticket"));
        assert!(!valid_id(".hidden"));
        assert!(!valid_id("a/b"));
        assert!(!valid_id(""));
    }

    #[test]
    fn a_wrapping_folder_is_stripped_and_hidden_files_skipped() {
        let files = unpack(&zip_of(&[
            ("card/pass.json", b"{}"),
            ("card/en.lproj/pass.strings", b""),
            ("card/.DS_Store", b"x"),
            ("__MACOSX/card/._pass.json", b"x"),
        ]))
        .expect("unpack");
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            ["en.lproj/pass.strings", "pass.json"]
        );
    }

    #[test]
    fn traversal_is_refused() {
        let errors =
            unpack(&zip_of(&[("pass.json", b"{}"), ("../evil", b"x")])).expect_err("refused");
        assert_eq!(errors[0].pointer, "../evil");
        assert!(unpack(b"not a zip").is_err());
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_replacement_is_swapped_in_and_leaves_nothing_beside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let files = |v: &str| {
            BTreeMap::from([
                ("pass.json".to_owned(), v.as_bytes().to_vec()),
                (format!("{v}.txt"), Vec::new()),
            ])
        };
        install(dir.path(), "t", &files("1")).expect("install");
        install(dir.path(), "t", &files("2")).expect("replace");
        assert_eq!(names(dir.path()), ["t"]);
        assert_eq!(names(&dir.path().join("t")), ["2.txt", "pass.json"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn two_folders_are_swapped_in_one_step() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).expect("mkdir");
        std::fs::create_dir(&b).expect("mkdir");
        std::fs::write(a.join("from-a"), "").expect("write");
        assert!(
            exchange(&a, &b).expect("exchange"),
            "this file system swaps folders"
        );
        assert!(names(&a).is_empty());
        assert_eq!(names(&b), ["from-a"]);
    }

    #[test]
    fn recover_reads_only_names_it_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        for name in [
            ".replaced-xyz-club",
            ".replaced-0123456789abcdef0123456789abcdef-.hidden",
            ".deleted-notatag",
        ] {
            std::fs::create_dir(dir.path().join(name)).expect("mkdir");
        }
        assert_eq!(recover(dir.path()), Recovered::default());
        assert_eq!(names(dir.path()).len(), 3);
        assert_eq!(recover(&dir.path().join("missing")), Recovered::default());
    }
}
