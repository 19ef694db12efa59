//! Loading: a folder (or in-memory files) → a validated [`Template`].

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::json::parse_lenient;
use super::render::{compile, environment, Slot};
use super::schema::FieldSchema;
use super::{Asset, GoogleOverride, Template, TemplateError, TemplateMeta};
use crate::apple::files::{check_files_for, classify, in_lproj_dir, lproj_name_problem, FileKind};
use crate::apple::rules::{check_pass_json, style_of, Mode};
use crate::model::{Diagnostic, Diagnostics, Location};

/// Files larger than this are refused (no pass image comes near it).
pub const MAX_TEMPLATE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Files that describe the template and are not packaged into passes.
/// Where a template keeps the images its `upcomingPassInformation` entries
/// point to (`upcoming/header.png` for `https://…/header.png`), so their
/// `SHA256` and `size` can be checked against the files.
const UPCOMING_DIR: &str = "upcoming/";

/// The images of `upcomingPassInformation` entries that the template holds
/// in `upcoming/` (by the last segment of their URL): the entry's `SHA256`
/// must be the file's SHA-256 and its `size` (if given) the file's length.
fn check_upcoming_images(pass: &Value, files: &BTreeMap<String, Vec<u8>>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let entries = pass
        .get("upcomingPassInformation")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate();
    for (i, entry) in entries {
        let images = entry
            .get("images")
            .and_then(Value::as_object)
            .into_iter()
            .flatten();
        for (slot, image) in images {
            let urls = image
                .get("URLs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate();
            for (j, u) in urls {
                let Some(url) = u.get("URL").and_then(Value::as_str) else {
                    continue;
                };
                let file_name = url.rsplit('/').next().unwrap_or_default();
                let name = format!("{UPCOMING_DIR}{file_name}");
                let Some(bytes) = files.get(&name).filter(|_| !file_name.is_empty()) else {
                    continue;
                };
                let at = format!("/upcomingPassInformation/{i}/images/{slot}/URLs/{j}");
                let digest = crate::model::hex(&openssl::sha::sha256(bytes));
                match u.get("SHA256").and_then(Value::as_str) {
                    Some(given) if crate::apple::rules::is_dynamic(given) => {}
                    Some(given) if given.eq_ignore_ascii_case(&digest) => {}
                    Some(given) => out.push(Diagnostic::error(
                        "pass.json",
                        Location::Pointer(format!("{at}/SHA256")),
                        "template.upcoming_digest",
                        format!("{given:?} is not the SHA-256 of {name} ({digest}); Wallet refuses an image whose digest does not match: write \"{digest}\" (or upload the file this digest belongs to)"),
                    )),
                    None => out.push(Diagnostic::error(
                        "pass.json",
                        Location::Pointer(format!("{at}/SHA256")),
                        "template.upcoming_digest",
                        format!("the image has no SHA256; {name} has \"{digest}\""),
                    )),
                }
                if let Some(size) = u.get("size").and_then(Value::as_u64) {
                    if u64::try_from(bytes.len()).ok() != Some(size) {
                        out.push(Diagnostic::error(
                            "pass.json",
                            Location::Pointer(format!("{at}/size")),
                            "template.upcoming_digest",
                            format!(
                                "size {size} is not the size of {name} ({} bytes)",
                                bytes.len()
                            ),
                        ));
                    }
                }
            }
        }
    }
    out
}

const TEMPLATE_ONLY: [&str; 5] = [
    "template.json",
    "google.json",
    "sample.csv",
    "sample.jsonl",
    super::design::DESIGN_FILE,
];

/// Reads a template folder and builds the template.
///
/// Subfolders other than `*.lproj` and `upcoming/` and hidden files
/// (`.DS_Store`, …) are skipped with a note.
///
/// # Errors
/// [`TemplateError::Io`] when the folder or a file cannot be read;
/// [`TemplateError::Invalid`] with every problem when it is not a valid template.
pub fn load_dir(dir: &Path) -> Result<Template, TemplateError> {
    let io = |path: &Path, source| TemplateError::Io {
        path: path.display().to_string(),
        source,
    };
    let id = dir
        .canonicalize()
        .ok()
        .as_deref()
        .and_then(Path::file_name)
        .or_else(|| dir.file_name())
        .map_or_else(
            || "template".to_owned(),
            |n| {
                let n = n.to_string_lossy();
                n.strip_suffix(".pkpasstemplate")
                    .or_else(|| n.strip_suffix(".pass"))
                    .unwrap_or(&n)
                    .to_owned()
            },
        );
    let mut files = BTreeMap::new();
    let mut notes = Vec::new();
    let mut read_level = |dir: &Path,
                          prefix: &str,
                          files: &mut BTreeMap<String, Vec<u8>>,
                          subdirs: &mut Vec<(std::path::PathBuf, String)>|
     -> Result<(), TemplateError> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io(dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| io(dir, e))?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{prefix}{name}");
            let path = entry.path();
            if name.starts_with('.') {
                notes.push(Diagnostic::info(
                    rel,
                    Location::File,
                    "template.hidden_file",
                    "hidden file skipped",
                ));
                continue;
            }
            let meta = std::fs::metadata(&path).map_err(|e| io(&path, e))?;
            if meta.is_dir() {
                if prefix.is_empty()
                    && (name.ends_with(".lproj") || format!("{name}/") == UPCOMING_DIR)
                {
                    subdirs.push((path, format!("{rel}/")));
                } else {
                    notes.push(Diagnostic::warning(
                        rel,
                        Location::File,
                        "template.subfolder_skipped",
                        "subfolder skipped: only xx.lproj folders and upcoming/ belong in a template",
                    ));
                }
                continue;
            }
            if meta.len() > MAX_TEMPLATE_FILE_BYTES {
                notes.push(Diagnostic::error(
                    rel,
                    Location::File,
                    "template.file_too_large",
                    format!(
                        "file is {} bytes; at most {MAX_TEMPLATE_FILE_BYTES} are allowed",
                        meta.len()
                    ),
                ));
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
            files.insert(rel, bytes);
        }
        Ok(())
    };
    let mut subdirs = Vec::new();
    read_level(dir, "", &mut files, &mut subdirs)?;
    for (path, prefix) in std::mem::take(&mut subdirs) {
        read_level(&path, &prefix, &mut files, &mut subdirs)?;
    }
    Template::build(&id, files, notes)
}

impl Template {
    /// Builds a template from its files (path inside the folder → bytes).
    /// Pure: used by [`load_dir`] and for uploaded archives.
    ///
    /// # Errors
    /// [`TemplateError::Invalid`] with every problem found.
    pub fn from_files(id: &str, files: BTreeMap<String, Vec<u8>>) -> Result<Self, TemplateError> {
        Self::build(id, files, Vec::new())
    }

    fn build(
        id: &str,
        mut files: BTreeMap<String, Vec<u8>>,
        notes: Vec<Diagnostic>,
    ) -> Result<Self, TemplateError> {
        let mut diags: Vec<Diagnostic> = notes;
        if super::designer::is_designer_bundle(&files) {
            super::designer::adopt(&mut files, &mut diags);
        }

        // template.json (optional).
        let mut meta = TemplateMeta {
            name: id.to_owned(),
            ..TemplateMeta::default()
        };
        let mut schema = FieldSchema::default();
        let mut google = None;
        if let Some(bytes) = files.remove("template.json") {
            match parse_lenient("template.json", &bytes) {
                Ok((v, w)) => {
                    diags.extend(w);
                    parse_template_json(&v, &mut meta, &mut schema, &mut google, &mut diags);
                }
                Err(e) => diags.push(e),
            }
        }

        // pass.json (required).
        let mut pass_json = None;
        match files.get("pass.json") {
            None => diags.push(Diagnostic::error(
                "pass.json",
                Location::File,
                "files.missing_pass_json",
                "a template needs a pass.json",
            )),
            Some(bytes) => match parse_lenient("pass.json", bytes) {
                Ok((v, w)) => {
                    diags.extend(w);
                    diags.extend(check_pass_json(&v, Mode::Template));
                    pass_json = Some(v);
                }
                Err(e) => diags.push(e),
            },
        }
        let style = pass_json.as_ref().and_then(style_of).unwrap_or("generic");
        if let Some(p) = &pass_json {
            for key in ["serialNumber", "authenticationToken", "webServiceURL"] {
                if let Some(Value::String(s)) = p.get(key) {
                    if !crate::apple::rules::is_dynamic(s) {
                        diags.push(Diagnostic::warning("pass.json", Location::Pointer(format!("/{key}")), "template.stamped_key", format!("`{key}` is set per pass by passforge; the template's value {s:?} is not used")));
                    }
                }
            }
        }

        // google.json (optional).
        let mut google_json = None;
        let files_had_google_json = files.contains_key("google.json");
        if let Some(bytes) = files.remove("google.json") {
            match parse_lenient("google.json", &bytes) {
                Ok((v, w)) => {
                    diags.extend(w);
                    if v.is_object() {
                        google_json = Some(v);
                    } else {
                        diags.push(Diagnostic::error(
                            "google.json",
                            Location::Pointer(String::new()),
                            "google.not_object",
                            "google.json must be a JSON object",
                        ));
                    }
                }
                Err(e) => diags.push(e),
            }
        }

        if let Some(p) = &pass_json {
            diags.extend(check_upcoming_images(p, &files));
        }
        // personalization.json goes into passes until they are personalized.
        let personalization = super::personalize::load(
            files.remove(super::personalize::FILE),
            meta.personalize.clone(),
            pass_json.as_ref(),
            &mut diags,
        );

        // Assets: everything Wallet reads besides pass.json.
        let mut assets = Vec::new();
        for (name, bytes) in files {
            if TEMPLATE_ONLY.contains(&name.as_str()) {
                continue;
            }
            if name.starts_with(UPCOMING_DIR) {
                diags.push(Diagnostic::info(
                    name.as_str(),
                    Location::File,
                    "template.not_packaged",
                    "an upcoming event's image: its digest and size are checked against pass.json; Wallet downloads it from its URL, so it is not packaged",
                ));
                continue;
            }
            match classify(&name) {
                FileKind::Other if lproj_name_problem(&name).is_some() => {
                    diags.extend(lproj_name_problem(&name));
                }
                FileKind::Other if in_lproj_dir(&name) || name.ends_with(".png") => {
                    diags.push(Diagnostic::warning(name.as_str(), Location::File, "template.not_packaged", "not a file Wallet reads (images are icon, logo, strip, … .png with @2x/@3x; localizations are xx.lproj/pass.strings); it is not packaged"));
                }
                FileKind::Other => {
                    diags.push(Diagnostic::info(
                        name.as_str(),
                        Location::File,
                        "template.not_packaged",
                        "not packaged into passes",
                    ));
                }
                _ => assets.push(Asset::new(name, bytes)),
            }
        }
        let poster = pass_json
            .as_ref()
            .is_some_and(|p| p.get(crate::apple::rules::POSTER_GENERIC).is_some());
        let report = check_files_for(
            assets.iter().map(|a| (a.name.as_str(), a.bytes.as_slice())),
            Some(style),
            poster,
        );
        diags.extend(report.diagnostics);

        // Placeholders: compile once, and check every name is declared.
        let mut env = environment();
        let slots = match &pass_json {
            Some(p) => {
                let slots = compile(p, "pass.json", &mut env, &schema, &mut diags);
                diags.extend(super::render::check_slot_types(
                    &slots,
                    &schema,
                    "pass.json",
                ));
                slots
            }
            None => Vec::<Slot>::new(),
        };
        let google = merge_google(google, google_json, &mut diags).map(|tree| {
            let file = if files_had_google_json {
                "google.json"
            } else {
                "template.json"
            };
            let slots = compile(&tree, file, &mut env, &schema, &mut diags);
            GoogleOverride { tree, slots }
        });

        let packed = match crate::apple::PackedAssets::new(assets) {
            Ok(p) => Some(p),
            Err(e) => {
                diags.push(Diagnostic::error(
                    "(template)",
                    Location::File,
                    "template.pack",
                    format!("cannot pack the template's files: {e}"),
                ));
                None
            }
        };
        let diagnostics = Diagnostics(diags);
        match (pass_json, packed) {
            (Some(pass_json), Some(assets)) if !diagnostics.has_errors() => Ok(Self {
                id: id.to_owned(),
                meta,
                schema,
                pass_json,
                style,
                slots,
                env,
                assets,
                strings: report.strings,
                google,
                personalization,
                diagnostics,
            }),
            _ => Err(TemplateError::Invalid {
                name: id.to_owned(),
                diagnostics,
            }),
        }
    }
}

fn parse_template_json(
    v: &Value,
    meta: &mut TemplateMeta,
    schema: &mut FieldSchema,
    google: &mut Option<Value>,
    diags: &mut Vec<Diagnostic>,
) {
    const FILE: &str = "template.json";
    let Some(obj) = v.as_object() else {
        diags.push(Diagnostic::error(
            FILE,
            Location::Pointer(String::new()),
            "template.not_object",
            "template.json must be a JSON object",
        ));
        return;
    };
    match obj.get("formatVersion") {
        Some(Value::Number(n)) if n.as_u64() == Some(1) => {}
        None => diags.push(Diagnostic::warning(
            FILE,
            Location::Pointer("/formatVersion".into()),
            "template.format_version",
            "no formatVersion; assuming 1 (add \"formatVersion\": 1)",
        )),
        Some(other) => diags.push(Diagnostic::error(
            FILE,
            Location::Pointer("/formatVersion".into()),
            "template.format_version",
            format!("formatVersion {other} is not supported; this passforge reads version 1"),
        )),
    }
    if let Some(n) = obj.get("name").and_then(Value::as_str) {
        n.clone_into(&mut meta.name);
    }
    meta.description = obj
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    *schema = FieldSchema::parse(obj.get("fields"), FILE, diags);
    *google = obj.get("google").cloned();
    meta.usage = super::Usage::parse(obj, schema, FILE, diags);
    meta.personalize =
        super::personalize::parse_mapping(obj.get("personalize"), schema, FILE, diags);
    match obj.get("unsignedFields") {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(f) if schema.contains(f) => meta.unsigned_fields.push(f.to_owned()),
                    _ => diags.push(Diagnostic::error(
                        FILE,
                        Location::Pointer(format!("/unsignedFields/{i}")),
                        "template.unsigned_fields",
                        format!("{item} is not a field of this template; list the keys of declared fields a smart link may carry unsigned"),
                    )),
                }
            }
        }
        Some(_) => diags.push(Diagnostic::error(
            FILE,
            Location::Pointer("/unsignedFields".into()),
            "template.unsigned_fields",
            "`unsignedFields` must be an array of field keys, e.g. [\"attendee\"]",
        )),
    }
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "formatVersion"
                | "name"
                | "description"
                | "fields"
                | "google"
                | "redemption"
                | "timeZone"
                | "unsignedFields"
                | "personalize"
        ) {
            diags.push(Diagnostic::warning(FILE, Location::Pointer(format!("/{key}")), "template.unknown_key", format!("unknown key {key:?}; it is ignored (known: formatVersion, name, description, fields, google, redemption, timeZone, unsignedFields, personalize)")));
        }
    }
}

/// Merges template.json's `google` section and google.json (which wins) into
/// one override `{"class": {…}, "object": {…}}`, checking its shape.
fn merge_google(
    section: Option<Value>,
    file: Option<Value>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let mut out: Option<Value> = None;
    for (name, v) in [("template.json", section), ("google.json", file)] {
        let Some(v) = v else { continue };
        let prefix = if name == "template.json" {
            "/google"
        } else {
            ""
        };
        let Some(obj) = v.as_object() else {
            diags.push(Diagnostic::error(
                name,
                Location::Pointer(prefix.to_owned()),
                "google.not_object",
                "the Google override must be an object {\"class\": {…}, \"object\": {…}}",
            ));
            continue;
        };
        let mut ok = true;
        for (k, part) in obj {
            if !matches!(k.as_str(), "class" | "object") {
                diags.push(Diagnostic::error(
                    name,
                    Location::Pointer(format!("{prefix}/{k}")),
                    "google.unknown_key",
                    format!("unknown key {k:?}; the Google override has `class` and `object`"),
                ));
                ok = false;
            } else if !part.is_object() {
                diags.push(Diagnostic::error(
                    name,
                    Location::Pointer(format!("{prefix}/{k}")),
                    "google.not_object",
                    format!("`{k}` must be an object of Google Wallet {k} fields"),
                ));
                ok = false;
            }
        }
        if ok {
            out = Some(match out {
                Some(mut base) => {
                    crate::google::merge(&mut base, v);
                    base
                }
                None => v,
            });
        }
    }
    out
}
