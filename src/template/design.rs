//! Templates designed as JSON (`POST /v1/templates`): a small design — name,
//! pass type, colours, fields with their placement, a barcode — becomes an
//! ordinary template folder (pass.json, template.json, generated icon and
//! logo), which then loads and validates like a designer's folder. The
//! design itself is kept beside them as `design.json`, so a JSON merge
//! patch (RFC 7396) can change it later. Pure: values in, files out.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::apple::rules::parse_rgb;
use crate::model::diag::pointer_segment;

/// The file a designed template keeps its design in.
pub const DESIGN_FILE: &str = "design.json";

/// The images generated when a design brings none (icon and logo, at 1x,
/// 2x and 3x).
pub const GENERATED_IMAGES: [&str; 6] = [
    "icon.png",
    "icon@2x.png",
    "icon@3x.png",
    "logo.png",
    "logo@2x.png",
    "logo@3x.png",
];

const PASS_TYPES: [&str; 5] = [
    "eventTicket",
    "boardingPass",
    "coupon",
    "storeCard",
    "generic",
];
const PLACEMENTS: [&str; 5] = ["header", "primary", "secondary", "auxiliary", "back"];
const FIELD_TYPES: [&str; 9] = [
    "string", "number", "integer", "boolean", "date", "datetime", "enum", "url", "email",
];
const DESIGN_KEYS: [&str; 12] = [
    "id",
    "name",
    "description",
    "passType",
    "transitType",
    "organizationName",
    "logoText",
    "backgroundColor",
    "foregroundColor",
    "labelColor",
    "fields",
    "barcode",
];
const FIELD_KEYS: [&str; 10] = [
    "key",
    "label",
    "placement",
    "type",
    "required",
    "default",
    "maxLength",
    "pattern",
    "enum",
    "description",
];

/// One problem of a design: where (a JSON pointer into the design) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignProblem {
    /// JSON pointer into the design.
    pub pointer: String,
    /// What is wrong and what to do.
    pub message: String,
}

fn problem(pointer: impl Into<String>, message: impl Into<String>) -> DesignProblem {
    DesignProblem {
        pointer: pointer.into(),
        message: message.into(),
    }
}

/// A colour as Wallet writes it: `#rrggbb` (or `#rgb`) becomes
/// `rgb(r, g, b)`; `rgb(…)` is kept.
pub fn wallet_color(s: &str) -> Option<String> {
    let s = s.trim();
    if let Some(hex) = s.strip_prefix('#') {
        let full: String = match hex.len() {
            3 => hex.chars().flat_map(|c| [c, c]).collect(),
            6 => hex.to_owned(),
            _ => return None,
        };
        let byte = |i: usize| u8::from_str_radix(full.get(i..i + 2)?, 16).ok();
        return Some(format!("rgb({}, {}, {})", byte(0)?, byte(2)?, byte(4)?));
    }
    let [r, g, b] = parse_rgb(s)?;
    Some(format!("rgb({r}, {g}, {b})"))
}

/// A template id made from a name: lower case letters and digits, runs of
/// anything else as one `-` (`VIP Event Ticket` → `vip-event-ticket`).
pub fn id_from_name(name: &str) -> String {
    let mut id = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.ends_with('-') && !id.is_empty() {
            id.push('-');
        }
    }
    let id = id.trim_end_matches('-');
    id.chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_owned()
}

fn barcode_format(s: &str) -> Option<&'static str> {
    Some(
        match s.to_ascii_lowercase().trim_start_matches("pkbarcodeformat") {
            "qr" => "PKBarcodeFormatQR",
            "pdf417" => "PKBarcodeFormatPDF417",
            "aztec" => "PKBarcodeFormatAztec",
            "code128" => "PKBarcodeFormatCode128",
            _ => return None,
        },
    )
}

/// The files of a designed template: pass.json, template.json, design.json
/// and, unless `keep_images`, a generated icon and logo in its colours.
///
/// # Errors
/// Every problem of the design, located by JSON pointer.
pub fn files_of(
    design: &Value,
    keep_images: bool,
) -> Result<BTreeMap<String, Vec<u8>>, Vec<DesignProblem>> {
    let mut errors = Vec::new();
    let Some(d) = design.as_object() else {
        return Err(vec![problem("", "a template design is a JSON object")]);
    };
    for k in d.keys() {
        if !DESIGN_KEYS.contains(&k.as_str()) {
            errors.push(problem(
                format!("/{}", pointer_segment(k)),
                format!("unknown key; a design has {}", DESIGN_KEYS.join(", ")),
            ));
        }
    }
    let text = |key: &str, required: bool, errors: &mut Vec<DesignProblem>| -> Option<String> {
        match d.get(key) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
            Some(Value::String(_)) | None if required => {
                errors.push(problem(format!("/{key}"), "required: a non-empty string"));
                None
            }
            None | Some(Value::Null) => None,
            Some(_) => {
                errors.push(problem(format!("/{key}"), "must be a string"));
                None
            }
        }
    };
    let name = text("name", true, &mut errors);
    let description = text("description", false, &mut errors);
    let organization = text("organizationName", true, &mut errors);
    let logo_text = text("logoText", false, &mut errors);
    let pass_type = match text("passType", true, &mut errors) {
        Some(t) if PASS_TYPES.contains(&t.as_str()) => Some(t),
        Some(t) => {
            errors.push(problem(
                "/passType",
                format!(
                    "{t:?} is not a pass type; use one of {}",
                    PASS_TYPES.join(", ")
                ),
            ));
            None
        }
        None => None,
    };
    let transit = text("transitType", false, &mut errors);
    let mut colors = Map::new();
    for key in ["backgroundColor", "foregroundColor", "labelColor"] {
        if let Some(c) = text(key, false, &mut errors) {
            match wallet_color(&c) {
                Some(rgb) => {
                    colors.insert(key.to_owned(), rgb.into());
                }
                None => errors.push(problem(
                    format!("/{key}"),
                    format!("{c:?} is not a colour; write #rrggbb or rgb(r, g, b)"),
                )),
            }
        }
    }

    // Fields: each becomes a template field and a pass field in its group.
    let mut groups: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut schema = Map::new();
    let mut seen: Vec<String> = Vec::new();
    match d.get("fields") {
        None => {}
        Some(Value::Array(fields)) => {
            for (i, f) in fields.iter().enumerate() {
                let at = format!("/fields/{i}");
                let Some(f) = f.as_object() else {
                    errors.push(problem(
                        at,
                        "a field is an object with key, label, placement and type",
                    ));
                    continue;
                };
                for k in f.keys() {
                    if !FIELD_KEYS.contains(&k.as_str()) {
                        errors.push(problem(
                            format!("{at}/{}", pointer_segment(k)),
                            format!("unknown key; a field has {}", FIELD_KEYS.join(", ")),
                        ));
                    }
                }
                let key = match f.get("key").and_then(Value::as_str) {
                    Some(k)
                        if k.chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                    {
                        if seen.iter().any(|s| s == k) {
                            errors.push(problem(
                                format!("{at}/key"),
                                format!("{k:?} is already a field; keys are unique"),
                            ));
                            continue;
                        }
                        seen.push(k.to_owned());
                        k.to_owned()
                    }
                    _ => {
                        errors.push(problem(format!("{at}/key"), "required: letters, digits and '_', not starting with a digit (placeholders name the field by it)"));
                        continue;
                    }
                };
                let placement = match f
                    .get("placement")
                    .and_then(Value::as_str)
                    .unwrap_or("secondary")
                {
                    p if PLACEMENTS.contains(&p) => p,
                    p => {
                        errors.push(problem(
                            format!("{at}/placement"),
                            format!(
                                "{p:?} is not a placement; use one of {}",
                                PLACEMENTS.join(", ")
                            ),
                        ));
                        continue;
                    }
                };
                let ty = f.get("type").and_then(Value::as_str).unwrap_or("string");
                if !FIELD_TYPES.contains(&ty) {
                    errors.push(problem(
                        format!("{at}/type"),
                        format!(
                            "{ty:?} is not a field type; use one of {}",
                            FIELD_TYPES.join(", ")
                        ),
                    ));
                    continue;
                }
                let label = f.get("label").and_then(Value::as_str);
                // The template field: every member but where it shows.
                let def: Map<String, Value> = FIELD_KEYS
                    .iter()
                    .filter(|k| !matches!(**k, "key" | "placement"))
                    .filter_map(|k| f.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                    .collect();
                schema.insert(key.clone(), Value::Object(def));
                let mut pf = json!({"key": key, "value": format!("{{{{ {key} }}}}")});
                if let Some(l) = label {
                    pf["label"] = l.into();
                }
                match ty {
                    "date" => {
                        pf["dateStyle"] = "PKDateStyleMedium".into();
                        pf["timeStyle"] = "PKDateStyleNone".into();
                        pf["ignoresTimeZone"] = true.into();
                    }
                    "datetime" => {
                        pf["dateStyle"] = "PKDateStyleMedium".into();
                        pf["timeStyle"] = "PKDateStyleShort".into();
                    }
                    _ => {}
                }
                groups.entry(placement).or_default().push(pf);
            }
        }
        Some(_) => errors.push(problem("/fields", "must be an array of fields")),
    }

    let barcode = match d.get("barcode") {
        None | Some(Value::Null) => None,
        Some(Value::Object(b)) => {
            let format = b.get("format").and_then(Value::as_str).unwrap_or("qr");
            match barcode_format(format) {
                Some(f) => {
                    let message = b
                        .get("message")
                        .and_then(Value::as_str)
                        .unwrap_or("{{ serialNumber }}");
                    let mut v =
                        json!({"format": f, "message": message, "messageEncoding": "iso-8859-1"});
                    if let Some(alt) = b.get("altText").and_then(Value::as_str) {
                        v["altText"] = alt.into();
                    }
                    Some(v)
                }
                None => {
                    errors.push(problem(
                        "/barcode/format",
                        format!(
                            "{format:?} is not a barcode format; use qr, pdf417, aztec or code128"
                        ),
                    ));
                    None
                }
            }
        }
        Some(_) => {
            errors.push(problem(
                "/barcode",
                "an object such as {\"format\": \"qr\", \"message\": \"{{ serialNumber }}\"}",
            ));
            None
        }
    };
    let (Some(name), Some(organization), Some(pass_type), true) =
        (name, organization, pass_type, errors.is_empty())
    else {
        return Err(errors);
    };

    let mut style = Map::new();
    if pass_type == "boardingPass" {
        style.insert(
            "transitType".into(),
            transit
                .unwrap_or_else(|| "PKTransitTypeGeneric".to_owned())
                .into(),
        );
    }
    for (placement, fields) in groups {
        style.insert(format!("{placement}Fields"), Value::Array(fields));
    }
    let mut pass = json!({
        "formatVersion": 1,
        "organizationName": organization,
        "description": description.clone().unwrap_or_else(|| name.clone()),
    });
    if let Some(t) = logo_text {
        pass["logoText"] = t.into();
    }
    for (k, v) in &colors {
        pass[k] = v.clone();
    }
    if let Some(b) = barcode {
        pass["barcodes"] = json!([b]);
    }
    pass[pass_type.as_str()] = Value::Object(style);
    let mut template = json!({"formatVersion": 1, "name": name, "fields": schema});
    if let Some(desc) = description {
        template["description"] = desc.into();
    }
    let mut files = BTreeMap::new();
    let to_vec = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    files.insert("pass.json".to_owned(), to_vec(&pass));
    files.insert("template.json".to_owned(), to_vec(&template));
    files.insert(DESIGN_FILE.to_owned(), to_vec(design));
    if !keep_images {
        let bg = colors
            .get("backgroundColor")
            .and_then(Value::as_str)
            .and_then(parse_rgb)
            .unwrap_or([40, 44, 52]);
        let fg = colors
            .get("labelColor")
            .or_else(|| colors.get("foregroundColor"))
            .and_then(Value::as_str)
            .and_then(parse_rgb)
            .unwrap_or([255, 255, 255]);
        for scale in 1..=3u32 {
            let suffix = if scale == 1 {
                String::new()
            } else {
                format!("@{scale}x")
            };
            files.insert(
                format!("icon{suffix}.png"),
                badge(29 * scale, 29 * scale, bg, fg, true),
            );
            files.insert(
                format!("logo{suffix}.png"),
                badge(50 * scale, 50 * scale, bg, fg, false),
            );
        }
    }
    Ok(files)
}

/// A generated image: a disc of `fg` (on `bg` for an icon, transparent for
/// a logo), as PNG bytes.
fn badge(w: u32, h: u32, bg: [u8; 3], fg: [u8; 3], opaque: bool) -> Vec<u8> {
    let mut img = image::RgbaImage::new(w, h);
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let r = w.min(h) as f32 * 0.32;
    for (x, y, p) in img.enumerate_pixels_mut() {
        let d = ((x as f32 + 0.5 - cx).powi(2) + (y as f32 + 0.5 - cy).powi(2)).sqrt();
        let cover = (r + 0.5 - d).clamp(0.0, 1.0);
        let mix =
            |a: u8, b: u8| (f32::from(a) + (f32::from(b) - f32::from(a)) * cover).round() as u8;
        *p = if opaque {
            image::Rgba([mix(bg[0], fg[0]), mix(bg[1], fg[1]), mix(bg[2], fg[2]), 255])
        } else {
            image::Rgba([fg[0], fg[1], fg[2], (cover * 255.0).round() as u8])
        };
    }
    let mut out = std::io::Cursor::new(Vec::new());
    let _ = img.write_to(&mut out, image::ImageFormat::Png);
    out.into_inner()
}

/// RFC 7396 JSON merge patch of `patch` onto `target`.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::Template;

    fn vip() -> Value {
        json!({
            "name": "VIP Event Ticket", "description": "Backstage access", "passType": "eventTicket",
            "organizationName": "Passforge Live", "backgroundColor": "#1f2937", "foregroundColor": "#ffffff",
            "labelColor": "#9ca3af", "logoText": "Passforge Live",
            "fields": [
                {"key": "customerName", "label": "Guest Name", "placement": "secondary", "type": "string", "required": true},
                {"key": "eventName", "label": "Event", "placement": "primary", "default": "Passforge Live"},
                {"key": "doors", "label": "Doors", "placement": "auxiliary", "type": "datetime", "required": true}
            ],
            "barcode": {"format": "qr"}
        })
    }

    #[test]
    fn a_design_becomes_a_template_that_loads() {
        let files = files_of(&vip(), false).expect("design");
        let pass: Value = serde_json::from_slice(&files["pass.json"]).expect("pass.json");
        assert_eq!(pass["backgroundColor"], "rgb(31, 41, 55)");
        assert_eq!(
            pass["eventTicket"]["secondaryFields"][0]["value"],
            "{{ customerName }}"
        );
        assert_eq!(
            pass["eventTicket"]["secondaryFields"][0]["label"],
            "Guest Name"
        );
        assert_eq!(
            pass["eventTicket"]["auxiliaryFields"][0]["timeStyle"],
            "PKDateStyleShort"
        );
        assert_eq!(pass["barcodes"][0]["format"], "PKBarcodeFormatQR");
        let t = Template::from_files("vip", files).expect("loads like a folder");
        assert!(t.schema().fields()["customerName"].required);
        assert_eq!(id_from_name("VIP Event Ticket!"), "vip-event-ticket");
        assert_eq!(wallet_color("#fff").as_deref(), Some("rgb(255, 255, 255)"));
    }

    #[test]
    fn every_problem_of_a_design_is_located() {
        let bad = json!({"name": "", "passType": "ticket", "backgroundColor": "navy", "colour": 1,
            "fields": [{"key": "1x"}, {"key": "a", "placement": "middle"}, {"key": "b", "type": "money"}],
            "barcode": {"format": "dotcode"}});
        let errs = files_of(&bad, false).expect_err("bad");
        let at: Vec<&str> = errs.iter().map(|e| e.pointer.as_str()).collect();
        assert_eq!(
            at,
            [
                "/colour",
                "/name",
                "/organizationName",
                "/passType",
                "/backgroundColor",
                "/fields/0/key",
                "/fields/1/placement",
                "/fields/2/type",
                "/barcode/format"
            ]
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut v = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut v, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(v, json!({"a": "z", "c": {"d": "e"}}));
        merge_patch(&mut v, &json!({"fields": [1]}));
        assert_eq!(v["fields"], json!([1]), "arrays are replaced whole");
    }
}
