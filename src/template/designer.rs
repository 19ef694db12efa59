//! Bundles from Apple's Pass Designer (`.pkpasstemplate`): a pass.json, its
//! images and Pass Designer's own `tooling.json`. Such a bundle loads as it
//! is: `tooling.json` is set aside, and every field of the designed pass
//! becomes a column (its designed value the default), so a row can fill
//! any of them and a row that fills none issues the pass as designed.
//! Pure: files in, files out.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::json::parse_lenient;
use crate::apple::rules::{is_dynamic, FIELD_GROUPS, POSTER_GENERIC, STYLES};
use crate::model::{Diagnostic, Location};

/// Pass Designer's own file in its bundles.
pub(crate) const TOOLING: &str = "tooling.json";

/// Whether `files` are a Pass Designer bundle: a `tooling.json` and no
/// `template.json` of passforge's own.
pub(crate) fn is_designer_bundle(files: &BTreeMap<String, Vec<u8>>) -> bool {
    files.contains_key(TOOLING) && !files.contains_key("template.json")
}

/// A field key a placeholder can name.
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Turns a Pass Designer bundle into a template's files: `tooling.json`
/// removed, a `template.json` whose fields are the pass's field keys
/// (defaults: their designed values), and each such field's value in
/// `pass.json` replaced by its placeholder. Notes what it did in `diags`.
/// A pass.json that does not parse is left for the loader to report.
pub(crate) fn adopt(files: &mut BTreeMap<String, Vec<u8>>, diags: &mut Vec<Diagnostic>) {
    files.remove(TOOLING);
    diags.push(Diagnostic::info(
        TOOLING,
        Location::File,
        "template.designer_bundle",
        "a Pass Designer bundle: tooling.json is not used; every field key is a column whose default is its designed value",
    ));
    let Some(Ok((mut pass, _))) = files
        .get("pass.json")
        .map(|b| parse_lenient("pass.json", b))
    else {
        return;
    };
    let mut fields = Map::new();
    // iOS 27's poster style repeats the fields of the style it sits beside:
    // a field designed with the same key and value there is the same column.
    for style in STYLES.into_iter().chain([POSTER_GENERIC]) {
        let Some(Value::Object(body)) = pass.get_mut(style) else {
            continue;
        };
        for group in FIELD_GROUPS {
            let Some(Value::Array(list)) = body.get_mut(group) else {
                continue;
            };
            for (i, field) in list.iter_mut().enumerate() {
                let Some(Value::String(key)) = field.get("key").cloned() else {
                    continue;
                };
                let kind = match field.get("value") {
                    Some(Value::String(s)) if !is_dynamic(s) => "string",
                    Some(Value::Number(_)) => "number",
                    _ => continue,
                };
                let same = fields
                    .get(&key)
                    .is_some_and(|f: &Value| f["default"] == field["value"]);
                if style == POSTER_GENERIC && same {
                    field["value"] = Value::String(format!("{{{{ {key} }}}}"));
                    continue;
                }
                if !is_identifier(&key) || fields.contains_key(&key) {
                    diags.push(Diagnostic::warning(
                        "pass.json",
                        Location::Pointer(format!("/{style}/{group}/{i}/key")),
                        "template.designer_key",
                        format!("field {key:?} stays as designed and is not a column: a column needs a unique key of letters, digits and '_', not starting with a digit"),
                    ));
                    continue;
                }
                let mut spec = json!({"type": kind, "default": field["value"].clone()});
                if let Some(Value::String(label)) = field.get("label") {
                    spec["label"] = Value::String(label.clone());
                }
                fields.insert(key.clone(), spec);
                field["value"] = Value::String(format!("{{{{ {key} }}}}"));
            }
        }
    }
    let template = json!({"formatVersion": 1, "fields": fields});
    if let (Ok(p), Ok(t)) = (
        serde_json::to_vec_pretty(&pass),
        serde_json::to_vec_pretty(&template),
    ) {
        files.insert("pass.json".to_owned(), p);
        files.insert("template.json".to_owned(), t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p_value(files: &BTreeMap<String, Vec<u8>>) -> Value {
        serde_json::from_slice(&files["pass.json"]).expect("pass.json")
    }

    #[test]
    fn every_designed_field_becomes_a_column_with_its_value_as_default() {
        let pass = json!({
            "formatVersion": 1, "description": "d", "organizationName": "o",
            "passTypeIdentifier": "pass.x", "teamIdentifier": "T", "serialNumber": "1",
            "eventTicket": {
                "primaryFields": [{"key": "event", "label": "EVENT", "value": "Gala"}],
                "secondaryFields": [
                    {"key": "seats", "value": 2},
                    {"key": "bad-key", "value": "x"},
                    {"key": "fixed", "value": "{{ other }}"}
                ]
            },
            "posterGeneric": {
                "primaryFields": [{"key": "event", "value": "Gala"}],
                "footerFields": [{"key": "note", "value": "Black tie"}]
            }
        });
        let mut files = BTreeMap::from([
            (
                "pass.json".to_owned(),
                serde_json::to_vec(&pass).expect("json"),
            ),
            (TOOLING.to_owned(), b"{}".to_vec()),
        ]);
        assert!(is_designer_bundle(&files));
        let mut diags = Vec::new();
        adopt(&mut files, &mut diags);
        assert!(!files.contains_key(TOOLING));
        let t: Value = serde_json::from_slice(&files["template.json"]).expect("template.json");
        assert_eq!(
            t["fields"],
            json!({
                "event": {"type": "string", "default": "Gala", "label": "EVENT"},
                "seats": {"type": "number", "default": 2},
                "note": {"type": "string", "default": "Black tie"}
            })
        );
        assert_eq!(
            p_value(&files)["posterGeneric"]["primaryFields"][0]["value"],
            "{{ event }}",
            "the poster's copy of a field is the same column"
        );
        let p: Value = serde_json::from_slice(&files["pass.json"]).expect("pass.json");
        assert_eq!(p["eventTicket"]["primaryFields"][0]["value"], "{{ event }}");
        assert_eq!(p["eventTicket"]["secondaryFields"][1]["value"], "x", "kept");
        assert_eq!(
            p["eventTicket"]["secondaryFields"][2]["value"],
            "{{ other }}"
        );
        assert!(diags.iter().any(|d| d.code == "template.designer_key"
            && d.location == Location::Pointer("/eventTicket/secondaryFields/1/key".into())));
        // A bundle with passforge's own template.json is a plain template.
        files.insert(TOOLING.to_owned(), b"{}".to_vec());
        assert!(!is_designer_bundle(&files));
    }
}
