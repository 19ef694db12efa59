//! Templates: a folder (format version 1) loaded once, validated as a whole,
//! and stamped many times.
//!
//! [`Template::from_files`] builds a template from in-memory files and is pure;
//! [`load_dir`] is the only code in the core that touches the filesystem.
//! Rendering ([`Template::render`]) is pure and deterministic.

pub mod design;
mod designer;
pub(crate) mod json;
mod load;
pub mod personalize;
mod render;
pub mod schema;
pub(crate) mod strings;
mod usage;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::model::{Diagnostic, Diagnostics};

pub use load::{load_dir, MAX_TEMPLATE_FILE_BYTES};
pub use render::{PassOverrides, RenderError, RenderInput, RenderedPass, MESSAGE_FIELD_KEY};
pub use schema::{Counter, FieldError, FieldSchema, FieldSpec, FieldType};
pub use strings::StringsTable;
pub use usage::{Redemption, Usage};

/// Why a template could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The folder or one of its files could not be read.
    #[error("cannot read template {path}: {source}")]
    Io {
        /// The path that failed.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The template has errors; every problem is listed.
    #[error("template {name:?} is invalid: {count} error(s)\n{diagnostics}", count = diagnostics.error_count())]
    Invalid {
        /// The template's name.
        name: String,
        /// Every diagnostic, errors and warnings.
        diagnostics: Diagnostics,
    },
}

/// A file packaged into every pass unchanged (image or localization), with
/// its SHA-1 computed once at load.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Path inside the pass, e.g. `icon@2x.png` or `fr.lproj/pass.strings`.
    pub name: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Lowercase hex SHA-1 of the bytes, as manifest.json wants it.
    pub sha1_hex: String,
}

impl Asset {
    /// Wraps bytes as an asset, hashing them.
    pub fn new(name: impl Into<String>, bytes: Vec<u8>) -> Self {
        let sha1_hex = crate::apple::manifest::sha1_hex(&bytes);
        Self {
            name: name.into(),
            bytes,
            sha1_hex,
        }
    }
}

/// Metadata from template.json.
#[derive(Debug, Clone, Default)]
pub struct TemplateMeta {
    /// Display name (defaults to the folder name).
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// How its passes are used at the door (`redemption`, `timeZone`).
    pub usage: Usage,
    /// Fields a signed smart link may carry unsigned (`unsignedFields`:
    /// e.g. a name typed on a form), validated like any value.
    pub unsigned_fields: Vec<String>,
    /// template.json's `personalize`: the holder's Rewards Enrollment
    /// answers (`fullName`, …) → the fields they fill.
    pub personalize: BTreeMap<String, String>,
}

/// A loaded, validated template: the pass.json tree with compiled
/// placeholders, the field schema and the asset bytes with their hashes.
pub struct Template {
    id: String,
    meta: TemplateMeta,
    schema: FieldSchema,
    pass_json: Value,
    style: &'static str,
    slots: Vec<render::Slot>,
    env: minijinja::Environment<'static>,
    assets: crate::apple::PackedAssets,
    strings: BTreeMap<String, StringsTable>,
    google: Option<GoogleOverride>,
    personalization: Option<personalize::Personalization>,
    diagnostics: Diagnostics,
}

/// The Google override tree with its compiled placeholders.
#[derive(Debug, Clone)]
pub(crate) struct GoogleOverride {
    tree: Value,
    slots: Vec<render::Slot>,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("id", &self.id)
            .field("style", &self.style)
            .field("fields", &self.schema.fields().keys().collect::<Vec<_>>())
            .field(
                "assets",
                &self
                    .assets
                    .assets()
                    .iter()
                    .map(|a| &a.name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Template {
    /// The template's id (its folder name).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Metadata from template.json.
    pub fn meta(&self) -> &TemplateMeta {
        &self.meta
    }

    /// The custom field schema.
    pub fn schema(&self) -> &FieldSchema {
        &self.schema
    }

    /// The Apple style key (`eventTicket`, `boardingPass`, …).
    pub fn style(&self) -> &'static str {
        self.style
    }

    /// The template's pass.json tree, placeholders unrendered.
    pub fn pass_json(&self) -> &Value {
        &self.pass_json
    }

    /// The files packaged into every pass, sorted by name.
    pub fn assets(&self) -> &[Asset] {
        self.assets.assets()
    }

    /// The assets packed into ZIP entries once, for `.pkpass` writing.
    pub fn packed_assets(&self) -> &crate::apple::PackedAssets {
        &self.assets
    }

    /// Apple's Rewards Enrollment, when the template has a
    /// `personalization.json`.
    pub fn personalization(&self) -> Option<&personalize::Personalization> {
        self.personalization.as_ref()
    }

    /// Localized strings by language code.
    pub fn strings(&self) -> &BTreeMap<String, StringsTable> {
        &self.strings
    }

    /// The Google override (`{"class": {…}, "object": {…}}`): template.json's
    /// `google` section with google.json merged over it, placeholders unrendered.
    pub fn google_override(&self) -> Option<&Value> {
        self.google.as_ref().map(|g| &g.tree)
    }

    /// Warnings and notes found while loading (errors make loading fail).
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// Warnings about values the signing identity replaces: a template that
    /// hard-codes another pass type identifier or team still issues, under
    /// the identity's values.
    pub fn identity_warnings(&self, pass_type_id: &str, team_id: &str) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        for (key, ours) in [
            ("passTypeIdentifier", pass_type_id),
            ("teamIdentifier", team_id),
        ] {
            if let Some(Value::String(s)) = self.pass_json.get(key) {
                if s != ours && !crate::apple::rules::is_dynamic(s) {
                    out.push(Diagnostic::warning(
                        "pass.json",
                        crate::model::Location::Pointer(format!("/{key}")),
                        "template.identity_replaced",
                        format!("{key} {s:?} is replaced by the signing identity's {ours:?}"),
                    ));
                }
            }
        }
        out
    }
}
