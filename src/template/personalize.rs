//! Apple's Rewards Enrollment (pass personalization): a store card whose
//! template carries `personalization.json` asks its holder to sign up from
//! Wallet itself. Wallet posts the holder's answers to the web service's
//! `personalize` endpoint; template.json's `personalize` says which of the
//! template's fields each answer fills.
//!
//! ```json
//! "personalize": { "fullName": "memberName", "emailAddress": "email" }
//! ```
//!
//! Apple's preconditions are checked at load: a `storeCard` with an `nfc`
//! dictionary; `personalization.json` with `requiredPersonalizationFields`
//! (some of `PKPassPersonalizationFieldName`, `…PostalCode`,
//! `…EmailAddress`, `…PhoneNumber`) and a `description`.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::schema::FieldSchema;
use crate::model::{Diagnostic, Location};

/// The file a personalizable pass carries.
pub const FILE: &str = "personalization.json";

/// The keys of the holder's answers (`requiredPersonalizationInfo`).
pub const INFO_KEYS: [&str; 7] = [
    "fullName",
    "givenName",
    "familyName",
    "emailAddress",
    "phoneNumber",
    "postalCode",
    "ISOCountryCode",
];

/// What Wallet may ask for (`requiredPersonalizationFields`).
pub const REQUESTABLE: [&str; 4] = [
    "PKPassPersonalizationFieldName",
    "PKPassPersonalizationFieldPostalCode",
    "PKPassPersonalizationFieldEmailAddress",
    "PKPassPersonalizationFieldPhoneNumber",
];

/// A template's Rewards Enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Personalization {
    /// `personalization.json` as passes carry it (until personalized).
    pub json: Vec<u8>,
    /// What Wallet asks the holder for.
    pub required: Vec<String>,
    /// The sign-up form's description.
    pub description: String,
    /// Answer key (`fullName`, …) → the template field it fills.
    pub fields: BTreeMap<String, String>,
}

impl Personalization {
    /// The custom field values the holder's answers give: each mapped
    /// answer that is a non-empty string (a missing `fullName` is made of
    /// `givenName` and `familyName`).
    pub fn values(&self, info: &Map<String, Value>) -> Map<String, Value> {
        let text = |k: &str| {
            info.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let mut out = Map::new();
        for (answer, field) in &self.fields {
            let v = text(answer).or_else(|| {
                (answer == "fullName")
                    .then(|| {
                        let parts: Vec<String> = ["givenName", "familyName"]
                            .iter()
                            .filter_map(|k| text(k))
                            .collect();
                        (!parts.is_empty()).then(|| parts.join(" "))
                    })
                    .flatten()
            });
            if let Some(v) = v {
                out.insert(field.clone(), Value::String(v));
            }
        }
        out
    }
}

/// template.json's `personalize`: answer key → template field.
pub(crate) fn parse_mapping(
    v: Option<&Value>,
    schema: &FieldSchema,
    file: &str,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(v) = v else {
        return out;
    };
    let Some(obj) = v.as_object() else {
        diags.push(Diagnostic::error(
            file,
            Location::Pointer("/personalize".into()),
            "template.personalize",
            "`personalize` maps the holder's answers to fields, e.g. {\"fullName\": \"memberName\", \"emailAddress\": \"email\"}",
        ));
        return out;
    };
    for (answer, field) in obj {
        let at = Location::Pointer(format!(
            "/personalize/{}",
            crate::model::diag::pointer_segment(answer)
        ));
        if !INFO_KEYS.contains(&answer.as_str()) {
            diags.push(Diagnostic::error(
                file,
                at,
                "template.personalize",
                format!(
                    "{answer:?} is not one of Wallet's answers ({})",
                    INFO_KEYS.join(", ")
                ),
            ));
            continue;
        }
        match field.as_str() {
            Some(f) if schema.contains(f) => {
                if schema.fields().get(f).is_some_and(|d| d.required) {
                    diags.push(Diagnostic::error(
                        file,
                        at,
                        "template.personalize",
                        format!("field {f:?} is required, but a personalizable pass is issued before the holder answers; make it optional or give it a default"),
                    ));
                } else {
                    out.insert(answer.clone(), f.to_owned());
                }
            }
            _ => diags.push(Diagnostic::error(
                file,
                at,
                "template.personalize",
                format!("{field} is not a field of this template; name a declared field"),
            )),
        }
    }
    out
}

/// Reads `personalization.json` (if any) and checks Apple's preconditions
/// against the template's pass.json; `mapping` is template.json's
/// `personalize`.
pub(crate) fn load(
    bytes: Option<Vec<u8>>,
    mapping: BTreeMap<String, String>,
    pass_json: Option<&Value>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Personalization> {
    let Some(bytes) = bytes else {
        if !mapping.is_empty() {
            diags.push(Diagnostic::error(
                "template.json",
                Location::Pointer("/personalize".into()),
                "template.personalize",
                "`personalize` needs a personalization.json beside pass.json (Apple's Rewards Enrollment)",
            ));
        }
        return None;
    };
    let err = |pointer: &str, msg: String| {
        Diagnostic::error(
            FILE,
            Location::Pointer(pointer.to_owned()),
            "personalization.invalid",
            msg,
        )
    };
    let v: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            diags.push(Diagnostic::error(
                FILE,
                Location::File,
                "personalization.invalid",
                format!("not JSON: {e}"),
            ));
            return None;
        }
    };
    let Some(obj) = v.as_object() else {
        diags.push(err("", "personalization.json must be a JSON object".into()));
        return None;
    };
    let mut required = Vec::new();
    match obj.get("requiredPersonalizationFields") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                match item.as_str() {
                    Some(s) if REQUESTABLE.contains(&s) => required.push(s.to_owned()),
                    _ => diags.push(err(
                        &format!("/requiredPersonalizationFields/{i}"),
                        format!("{item} is not one of {}", REQUESTABLE.join(", ")),
                    )),
                }
            }
        }
        _ => diags.push(err(
            "/requiredPersonalizationFields",
            format!(
                "a non-empty array of what Wallet asks for: {}",
                REQUESTABLE.join(", ")
            ),
        )),
    }
    let description = match obj.get("description").and_then(Value::as_str) {
        Some(d) if !d.trim().is_empty() => d.to_owned(),
        _ => {
            diags.push(err(
                "/description",
                "a description of the programme, shown on Wallet's sign-up form".into(),
            ));
            String::new()
        }
    };
    if obj
        .get("termsAndConditions")
        .is_some_and(|t| !t.is_string())
    {
        diags.push(err(
            "/termsAndConditions",
            "termsAndConditions must be a string".into(),
        ));
    }
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "requiredPersonalizationFields" | "description" | "termsAndConditions"
        ) {
            diags.push(Diagnostic::warning(
                FILE,
                Location::Pointer(format!("/{key}")),
                "personalization.unknown_key",
                format!("unknown key {key:?}; Wallet ignores it"),
            ));
        }
    }
    if let Some(p) = pass_json {
        if p.get("storeCard").is_none() {
            diags.push(Diagnostic::error(
                "pass.json",
                Location::Pointer(String::new()),
                "personalization.not_store_card",
                "Rewards Enrollment is for store cards: make pass.json a storeCard or remove personalization.json",
            ));
        }
        if !p.get("nfc").is_some_and(Value::is_object) {
            diags.push(Diagnostic::error(
                "pass.json",
                Location::Pointer("/nfc".into()),
                "personalization.needs_nfc",
                "Rewards Enrollment needs an NFC-enabled pass: add an `nfc` dictionary (message, encryptionPublicKey) to pass.json",
            ));
        }
    }
    Some(Personalization {
        json: bytes,
        required,
        description,
        fields: mapping,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> FieldSchema {
        let mut d = Vec::new();
        let s = FieldSchema::parse(
            Some(
                &json!({"member": {"type": "string"}, "id": {"type": "string", "required": true}}),
            ),
            "template.json",
            &mut d,
        );
        assert!(d.is_empty(), "{d:?}");
        s
    }

    #[test]
    fn answers_fill_the_mapped_fields() {
        let mut d = Vec::new();
        let mapping = parse_mapping(
            Some(
                &json!({"fullName": "member", "emailAddress": "id", "shoeSize": "member", "postalCode": "nope"}),
            ),
            &schema(),
            "template.json",
            &mut d,
        );
        let at: Vec<String> = d.iter().map(|x| format!("{:?}", x.location)).collect();
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(
            at.iter().any(|a| a.contains("/personalize/emailAddress")),
            "{at:?}"
        );
        assert!(
            at.iter().any(|a| a.contains("/personalize/shoeSize")),
            "{at:?}"
        );
        assert!(
            at.iter().any(|a| a.contains("/personalize/postalCode")),
            "{at:?}"
        );
        let p = Personalization {
            json: Vec::new(),
            required: Vec::new(),
            description: String::new(),
            fields: mapping,
        };
        let info = json!({"givenName": "Ada", "familyName": "Lovelace"});
        let got = p.values(info.as_object().expect("object"));
        assert_eq!(Value::Object(got), json!({"member": "Ada Lovelace"}));
    }

    #[test]
    fn apples_preconditions_are_checked() {
        let mut d = Vec::new();
        let p = load(
            Some(
                br#"{"requiredPersonalizationFields": ["PKPassPersonalizationFieldShoe"], "x": 1}"#
                    .to_vec(),
            ),
            BTreeMap::new(),
            Some(&json!({"generic": {}})),
            &mut d,
        );
        assert!(p.is_some());
        let codes: Vec<&str> = d.iter().map(|x| x.code).collect();
        for c in [
            "personalization.invalid",
            "personalization.unknown_key",
            "personalization.not_store_card",
            "personalization.needs_nfc",
        ] {
            assert!(codes.contains(&c), "{c}: {codes:?}");
        }
        let mut d = Vec::new();
        load(
            None,
            BTreeMap::from([("fullName".into(), "member".into())]),
            None,
            &mut d,
        );
        assert_eq!(d[0].code, "template.personalize");
    }
}
