//! The custom field schema of a template (`template.json` → `fields`), the
//! validation and normalization of a row's values against it, and the JSON
//! Schema (2020-12) derived from it.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde_json::{json, Map, Value};

use crate::model::{diag::pointer_segment, Diagnostic, Location};

/// The type of a custom field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Any text.
    String,
    /// A finite number; rendered as a JSON number.
    Number,
    /// A whole number; rendered as a JSON integer.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// A calendar date, normalized to `YYYY-MM-DDT00:00:00Z`.
    Date,
    /// A date and time with a time zone, normalized to RFC 3339.
    DateTime,
    /// One of the strings listed in `enum`.
    Enum,
    /// An absolute URL.
    Url,
    /// An e-mail address.
    Email,
    /// An array whose items all have the type given by `items`; in CSV, one
    /// cell holding JSON text (`["A", "B"]`).
    Array,
    /// An object with the members declared in `properties` (an array's
    /// items, such as seats); in CSV, one cell holding a JSON object.
    Object,
}

impl FieldType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "string" => Self::String,
            "number" => Self::Number,
            "integer" => Self::Integer,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "datetime" => Self::DateTime,
            "enum" => Self::Enum,
            "url" => Self::Url,
            "email" => Self::Email,
            "array" => Self::Array,
            "object" => Self::Object,
            _ => return None,
        })
    }

    /// The name used in template.json.
    pub fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::DateTime => "datetime",
            Self::Enum => "enum",
            Self::Url => "url",
            Self::Email => "email",
            Self::Array => "array",
            Self::Object => "object",
        }
    }
}

/// One declared custom field.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    /// The field's type.
    pub ty: FieldType,
    /// Whether a row must give a value (when there is no default).
    pub required: bool,
    /// The normalized default value.
    pub default: Option<Value>,
    /// A human label.
    pub label: Option<String>,
    /// The maximum length in characters (strings).
    pub max_length: Option<usize>,
    /// A regular expression the value must match (searched, as in JSON Schema).
    pub pattern: Option<regex::Regex>,
    /// The allowed values.
    pub allowed: Option<Vec<String>>,
    /// The type of an array's items.
    pub items: Option<Box<Self>>,
    /// The fewest and most items an array may have.
    pub item_count: (usize, Option<usize>),
    /// The members of an object, by key.
    pub properties: BTreeMap<String, Self>,
    /// A number that changes by use (points, a balance, stamps), changed
    /// through `POST /v1/passes/{id}/adjust` within its bounds.
    pub counter: Option<Counter>,
    /// Shown to door staff in scan answers (`"showAtScan": true`); other
    /// fields are not.
    pub show_at_scan: bool,
}

/// The bounds of a counter field (an integer): `min` (default 0, so a
/// balance never goes below zero), `max`, and for a balance the ISO 4217
/// currency its integer minor units are in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// The lowest value (default 0).
    pub min: i64,
    /// The highest value, if any (stamps of 10: `max` 10).
    pub max: Option<i64>,
    /// The currency of a balance in minor units (`EUR`: 1250 is 12.50 EUR).
    pub currency: Option<String>,
}

impl Counter {
    /// Why `value` is out of bounds, or `None`.
    pub fn out_of_bounds(&self, value: i64) -> Option<String> {
        if value < self.min {
            return Some(format!("below the counter's minimum {}", self.min));
        }
        self.max
            .filter(|m| value > *m)
            .map(|max| format!("above the counter's maximum {max}"))
    }
}

/// A row-level problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field key (or `serialNumber`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.message)
    }
}

/// The declared custom fields of a template, by key.
#[derive(Debug, Clone, Default)]
pub struct FieldSchema {
    fields: BTreeMap<String, FieldSpec>,
}

/// Names every template may use without declaring them.
pub const BUILT_INS: [&str; 5] = [
    "serialNumber",
    "authenticationToken",
    "webServiceURL",
    "passTypeIdentifier",
    "teamIdentifier",
];

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl FieldSchema {
    /// Parses the `fields` object of template.json, reporting every problem.
    pub(crate) fn parse(fields: Option<&Value>, file: &str, diags: &mut Vec<Diagnostic>) -> Self {
        let mut out = BTreeMap::new();
        let Some(fields) = fields else {
            return Self { fields: out };
        };
        let Some(obj) = fields.as_object() else {
            diags.push(Diagnostic::error(
                file,
                Location::Pointer("/fields".into()),
                "template.fields_type",
                "`fields` must be an object of field key → field definition",
            ));
            return Self { fields: out };
        };
        for (key, def) in obj {
            let at = format!("/fields/{}", pointer_segment(key));
            if !is_identifier(key) {
                diags.push(Diagnostic::error(file, Location::Pointer(at), "template.field_key", format!("field key {key:?} must be an identifier (letters, digits and '_', not starting with a digit) so placeholders can name it")));
                continue;
            }
            if BUILT_INS.contains(&key.as_str()) {
                diags.push(Diagnostic::error(
                    file,
                    Location::Pointer(at),
                    "template.field_key",
                    format!("field key {key:?} is a built-in placeholder and cannot be redeclared"),
                ));
                continue;
            }
            if let Some(spec) = FieldSpec::parse(def, &at, file, diags, 0) {
                if key == "gate" && spec.counter.is_some() {
                    diags.push(Diagnostic::error(file, Location::Pointer(format!("{at}/counter")), "template.field_counter", "a counter cannot be named `gate`: adjustments name the gate with that member; rename the field"));
                    continue;
                }
                out.insert(key.clone(), spec);
            }
        }
        Self { fields: out }
    }

    /// The declared fields by key.
    pub fn fields(&self) -> &BTreeMap<String, FieldSpec> {
        &self.fields
    }

    /// Whether `name` is a declared field.
    pub fn contains(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The problems that the columns of a data file (a CSV header) give
    /// every one of its rows, found before any row is read: a column that
    /// is not a declared field (`serialNumber` is always allowed), and a
    /// required field without a default that no column gives.
    pub fn check_columns(&self, columns: &[String]) -> Vec<FieldError> {
        let declared = || {
            let known: Vec<&str> = self.fields.keys().map(String::as_str).collect();
            if known.is_empty() {
                "this template declares no custom fields".to_owned()
            } else {
                format!("the template declares: {}", known.join(", "))
            }
        };
        let unknown = columns
            .iter()
            .filter(|c| *c != "serialNumber" && !self.fields.contains_key(*c))
            .map(|c| FieldError {
                field: c.clone(),
                message: format!(
                    "a column that is not a field of the template ({}); remove the column or declare the field in template.json",
                    declared()
                ),
            });
        let missing = self
            .fields
            .iter()
            .filter(|(key, spec)| spec.required && spec.default.is_none() && !columns.contains(key))
            .map(|(key, _)| FieldError {
                field: key.clone(),
                message: "required, and no column gives it; add the column (or a default for the field in template.json)".to_owned(),
            });
        unknown.chain(missing).collect()
    }

    /// Validates and normalizes a row's values. `serialNumber` is not a custom
    /// field and must be removed by the caller first. Returns the values of
    /// every declared field (defaults filled in, optional ones absent), or
    /// every problem of the row.
    ///
    /// # Errors
    /// One [`FieldError`] per missing, unknown or invalid field.
    pub fn validate(
        &self,
        values: &Map<String, Value>,
    ) -> Result<Map<String, Value>, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut out = Map::new();
        for key in values.keys() {
            if !self.fields.contains_key(key) {
                let known: Vec<&str> = self.fields.keys().map(String::as_str).collect();
                errors.push(FieldError {
                    field: key.clone(),
                    message: if known.is_empty() {
                        "unknown field; this template declares no custom fields".to_owned()
                    } else {
                        format!("unknown field; the template declares: {}", known.join(", "))
                    },
                });
            }
        }
        for (key, spec) in &self.fields {
            match values.get(key).filter(|v| !is_blank(v)) {
                Some(v) => match spec.normalize(v) {
                    Ok(v) => {
                        out.insert(key.clone(), v);
                    }
                    Err(message) => errors.push(FieldError {
                        field: key.clone(),
                        message,
                    }),
                },
                None => {
                    if let Some(d) = &spec.default {
                        out.insert(key.clone(), d.clone());
                    } else if spec.required {
                        errors.push(FieldError {
                            field: key.clone(),
                            message: "required field is missing".to_owned(),
                        });
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The JSON Schema (2020-12) of a row of custom fields.
    pub fn json_schema(&self) -> Value {
        let mut props = Map::new();
        let mut required = Vec::new();
        for (key, spec) in &self.fields {
            let p = spec.json_schema();
            if spec.required && spec.default.is_none() {
                required.push(Value::from(key.clone()));
            }
            props.insert(key.clone(), p);
        }
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": false,
        })
    }
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn describe(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

impl Counter {
    /// Parses a field's `counter` at `at`, reporting every problem.
    fn parse(
        def: &Value,
        ty: FieldType,
        depth: usize,
        at: &str,
        file: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Self> {
        let err = |pointer: String, msg: String| {
            Diagnostic::error(
                file,
                Location::Pointer(pointer),
                "template.field_counter",
                msg,
            )
        };
        if depth > 0 {
            diags.push(err(
                at.to_owned(),
                "`counter` belongs to top-level fields".to_owned(),
            ));
            return None;
        }
        if ty != FieldType::Integer {
            diags.push(err(at.to_owned(), format!("a counter counts whole units: give the field \"type\": \"integer\" (it is {}); a balance is in minor units with its currency, e.g. {{\"type\": \"integer\", \"counter\": {{\"currency\": \"EUR\"}}}}", ty.name())));
            return None;
        }
        let obj = match def {
            Value::Bool(true) => {
                return Some(Self {
                    min: 0,
                    max: None,
                    currency: None,
                })
            }
            Value::Object(o) => o,
            _ => {
                diags.push(err(
                    at.to_owned(),
                    "`counter` must be true or an object {\"min\", \"max\", \"currency\"}"
                        .to_owned(),
                ));
                return None;
            }
        };
        let before = diags.len();
        for k in obj
            .keys()
            .filter(|k| !matches!(k.as_str(), "min" | "max" | "currency"))
        {
            diags.push(err(
                format!("{at}/{}", pointer_segment(k)),
                format!("unknown counter property {k:?} (known: min, max, currency)"),
            ));
        }
        let int = |key: &str, diags: &mut Vec<Diagnostic>| match obj.get(key) {
            None => None,
            Some(v) => match v.as_i64() {
                Some(n) => Some(n),
                None => {
                    diags.push(err(
                        format!("{at}/{key}"),
                        format!("`{key}` must be a whole number"),
                    ));
                    None
                }
            },
        };
        let min = int("min", diags).unwrap_or(0);
        let max = int("max", diags);
        if let Some(m) = max.filter(|m| *m < min) {
            diags.push(err(
                format!("{at}/max"),
                format!("`max` {m} is below `min` {min}"),
            ));
        }
        let currency = match obj.get("currency") {
            None => None,
            Some(Value::String(c)) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => {
                Some(c.clone())
            }
            Some(other) => {
                diags.push(err(
                    format!("{at}/currency"),
                    format!("`currency` must be an ISO 4217 code such as \"EUR\", got {other}"),
                ));
                None
            }
        };
        (diags.len() == before).then_some(Self { min, max, currency })
    }
}

/// For a number written the way a spreadsheet's locale shows it ("1,5",
/// "1,500"): how to write it instead. Empty otherwise.
fn number_hint(s: &str) -> &'static str {
    let t = s.trim().trim_start_matches('-');
    if t.contains(',')
        && t.bytes()
            .all(|c| c.is_ascii_digit() || c == b',' || c == b'.')
    {
        "; write numbers with `.` as the decimal point and no thousands separators (1.5, 1500)"
    } else {
        ""
    }
}

impl FieldSpec {
    /// Parses one field definition at `at` (a JSON pointer in `file`),
    /// reporting every problem; `None` when it cannot be used. `depth`
    /// counts the arrays and objects around it.
    fn parse(
        def: &Value,
        at: &str,
        file: &str,
        diags: &mut Vec<Diagnostic>,
        depth: usize,
    ) -> Option<Self> {
        let err = |code: &'static str, msg: String| {
            Diagnostic::error(file, Location::Pointer(at.to_owned()), code, msg)
        };
        let Some(def) = def.as_object() else {
            diags.push(err(
                "template.field_def",
                "a field definition must be an object such as {\"type\": \"string\"}".to_owned(),
            ));
            return None;
        };
        const KNOWN: [&str; 14] = [
            "type",
            "required",
            "default",
            "label",
            "maxLength",
            "pattern",
            "enum",
            "description",
            "items",
            "properties",
            "minItems",
            "maxItems",
            "counter",
            "showAtScan",
        ];
        for k in def.keys() {
            if !KNOWN.contains(&k.as_str()) {
                diags.push(Diagnostic::warning(
                    file,
                    Location::Pointer(format!("{at}/{}", pointer_segment(k))),
                    "template.unknown_key",
                    format!(
                        "unknown field property {k:?}; it is ignored (known: {})",
                        KNOWN.join(", ")
                    ),
                ));
            }
        }
        let ty = match def.get("type") {
            None => FieldType::String,
            Some(Value::String(t)) => match FieldType::parse(t) {
                Some(t) => t,
                None => {
                    diags.push(err("template.field_type", format!("unknown type {t:?}; use one of string, number, integer, boolean, date, datetime, enum, url, email, array, object")));
                    return None;
                }
            },
            Some(_) => {
                diags.push(err(
                    "template.field_type",
                    "`type` must be a string".to_owned(),
                ));
                return None;
            }
        };
        if depth > 4 && matches!(ty, FieldType::Array | FieldType::Object) {
            diags.push(err(
                "template.field_def",
                "arrays and objects nest at most 4 deep".to_owned(),
            ));
            return None;
        }
        let required = match def.get("required") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                diags.push(err(
                    "template.field_def",
                    "`required` must be true or false".to_owned(),
                ));
                false
            }
        };
        let label = def.get("label").and_then(Value::as_str).map(str::to_owned);
        let count = |key: &str, diags: &mut Vec<Diagnostic>| match def.get(key) {
            None => None,
            Some(v) => match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
                Some(n) => Some(n),
                None => {
                    diags.push(err(
                        "template.field_def",
                        format!("`{key}` must be a non-negative integer"),
                    ));
                    None
                }
            },
        };
        let max_length = count("maxLength", diags);
        let item_count = (
            count("minItems", diags).unwrap_or(0),
            count("maxItems", diags),
        );
        let pattern = match def.get("pattern") {
            None => None,
            Some(Value::String(p)) => match regex::Regex::new(p) {
                Ok(r) => Some(r),
                Err(e) => {
                    diags.push(err(
                        "template.field_pattern",
                        format!("`pattern` is not a valid regular expression: {e}"),
                    ));
                    None
                }
            },
            Some(_) => {
                diags.push(err(
                    "template.field_def",
                    "`pattern` must be a string".to_owned(),
                ));
                None
            }
        };
        let allowed = match def.get("enum") {
            None => None,
            Some(Value::Array(items))
                if !items.is_empty() && items.iter().all(Value::is_string) =>
            {
                Some(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect::<Vec<_>>(),
                )
            }
            Some(_) => {
                diags.push(err(
                    "template.field_enum",
                    "`enum` must be a non-empty array of strings".to_owned(),
                ));
                None
            }
        };
        if ty == FieldType::Enum && allowed.is_none() {
            diags.push(err(
                "template.field_enum",
                "a field of type enum needs an `enum` list of allowed strings".to_owned(),
            ));
            return None;
        }
        let items = match (ty, def.get("items")) {
            (FieldType::Array, Some(d)) => Some(Box::new(Self::parse(
                d,
                &format!("{at}/items"),
                file,
                diags,
                depth + 1,
            )?)),
            (FieldType::Array, None) => {
                diags.push(err("template.field_items", "a field of type array needs `items`, the definition of one item, e.g. {\"type\": \"string\"}".to_owned()));
                return None;
            }
            (_, Some(_)) => {
                diags.push(err(
                    "template.field_def",
                    "`items` belongs to fields of type array".to_owned(),
                ));
                None
            }
            (_, None) => None,
        };
        let mut properties = BTreeMap::new();
        match (ty, def.get("properties")) {
            (FieldType::Object, Some(Value::Object(props))) if !props.is_empty() => {
                let before = diags.len();
                for (k, d) in props {
                    let here = format!("{at}/properties/{}", pointer_segment(k));
                    if let Some(spec) = Self::parse(d, &here, file, diags, depth + 1) {
                        properties.insert(k.clone(), spec);
                    }
                }
                if diags[before..].iter().any(Diagnostic::is_error) {
                    return None;
                }
            }
            (FieldType::Object, _) => {
                diags.push(err("template.field_properties", "a field of type object needs `properties`: its members and their definitions, e.g. {\"seatRow\": {\"type\": \"string\"}}".to_owned()));
                return None;
            }
            (_, Some(_)) => diags.push(err(
                "template.field_def",
                "`properties` belongs to fields of type object".to_owned(),
            )),
            (_, None) => {}
        }
        let show_at_scan = match def.get("showAtScan") {
            None => false,
            Some(Value::Bool(b)) if depth == 0 => *b,
            Some(Value::Bool(_)) => {
                diags.push(err(
                    "template.field_def",
                    "`showAtScan` belongs to top-level fields".to_owned(),
                ));
                false
            }
            Some(_) => {
                diags.push(err(
                    "template.field_def",
                    "`showAtScan` must be true or false".to_owned(),
                ));
                false
            }
        };
        let counter = def
            .get("counter")
            .and_then(|c| Counter::parse(c, ty, depth, &format!("{at}/counter"), file, diags));
        let mut spec = Self {
            ty,
            required,
            default: None,
            label,
            max_length,
            pattern,
            allowed,
            items,
            item_count,
            properties,
            counter,
            show_at_scan,
        };
        if let Some(d) = def.get("default") {
            match spec.normalize(d) {
                Ok(v) => spec.default = Some(v),
                Err(msg) => diags.push(Diagnostic::error(
                    file,
                    Location::Pointer(format!("{at}/default")),
                    "template.field_default",
                    format!("default value is invalid: {msg}"),
                )),
            }
        }
        Some(spec)
    }

    /// This definition as JSON Schema (2020-12).
    fn json_schema(&self) -> Value {
        let mut p = match self.ty {
            FieldType::String => json!({"type": "string"}),
            FieldType::Number => json!({"type": "number"}),
            FieldType::Integer => match &self.counter {
                Some(c) => {
                    let mut i = json!({"type": "integer", "minimum": c.min});
                    if let Some(max) = c.max {
                        i["maximum"] = max.into();
                    }
                    i
                }
                None => json!({"type": "integer"}),
            },
            FieldType::Boolean => json!({"type": "boolean"}),
            FieldType::Date => json!({"type": "string", "format": "date"}),
            FieldType::DateTime => json!({"type": "string", "format": "date-time"}),
            FieldType::Enum => json!({"type": "string"}),
            FieldType::Url => json!({"type": "string", "format": "uri"}),
            FieldType::Email => json!({"type": "string", "format": "email"}),
            FieldType::Array => {
                let mut a = json!({"type": "array"});
                if let Some(items) = &self.items {
                    a["items"] = items.json_schema();
                }
                if self.item_count.0 > 0 {
                    a["minItems"] = self.item_count.0.into();
                }
                if let Some(max) = self.item_count.1 {
                    a["maxItems"] = max.into();
                }
                a
            }
            FieldType::Object => {
                let props: Map<String, Value> = self
                    .properties
                    .iter()
                    .map(|(k, p)| (k.clone(), p.json_schema()))
                    .collect();
                let required: Vec<&String> = self
                    .properties
                    .iter()
                    .filter(|(_, p)| p.required && p.default.is_none())
                    .map(|(k, _)| k)
                    .collect();
                json!({"type": "object", "properties": props, "required": required, "additionalProperties": false})
            }
        };
        if let Some(obj) = p.as_object_mut() {
            if let Some(l) = &self.label {
                obj.insert("title".into(), l.clone().into());
            }
            if let Some(m) = self.max_length {
                obj.insert("maxLength".into(), m.into());
            }
            if let Some(r) = &self.pattern {
                obj.insert("pattern".into(), r.as_str().into());
            }
            if let Some(a) = &self.allowed {
                obj.insert("enum".into(), a.clone().into());
            }
            if let Some(d) = &self.default {
                obj.insert("default".into(), d.clone());
            }
        }
        p
    }

    /// An array's or object's value: JSON, or JSON text (a CSV cell).
    fn structured(&self, v: &Value) -> Result<Value, String> {
        let parsed;
        let v = match v {
            Value::String(s) => {
                parsed = serde_json::from_str::<Value>(s.trim()).map_err(|e| {
                    format!(
                        "expected JSON text of {} (in CSV, one cell such as {}), got {}: {e}",
                        if self.ty == FieldType::Array {
                            "an array"
                        } else {
                            "an object"
                        },
                        if self.ty == FieldType::Array {
                            "[\"A\", \"B\"]"
                        } else {
                            "{\"seatRow\": \"F\"}"
                        },
                        describe(v)
                    )
                })?;
                &parsed
            }
            other => other,
        };
        match (self.ty, v) {
            (FieldType::Array, Value::Array(items)) => {
                let (min, max) = self.item_count;
                if items.len() < min {
                    return Err(format!(
                        "has {} items; at least {min} are needed",
                        items.len()
                    ));
                }
                if let Some(max) = max.filter(|m| items.len() > *m) {
                    return Err(format!(
                        "has {} items; at most {max} are allowed",
                        items.len()
                    ));
                }
                let Some(spec) = &self.items else {
                    return Ok(v.clone());
                };
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| spec.normalize(x).map_err(|m| format!("item {i}: {m}")))
                    .collect::<Result<Vec<_>, _>>()
                    .map(Value::Array)
            }
            (FieldType::Object, Value::Object(o)) => {
                let mut out = Map::new();
                let mut problems = Vec::new();
                for k in o.keys() {
                    if !self.properties.contains_key(k) {
                        problems.push(format!(
                            "`{k}` is not one of its members ({})",
                            self.properties
                                .keys()
                                .map(String::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
                for (k, spec) in &self.properties {
                    match o.get(k).filter(|x| !is_blank(x)) {
                        Some(x) => match spec.normalize(x) {
                            Ok(x) => {
                                out.insert(k.clone(), x);
                            }
                            Err(m) => problems.push(format!("`{k}` {m}")),
                        },
                        None => match &spec.default {
                            Some(d) => {
                                out.insert(k.clone(), d.clone());
                            }
                            None if spec.required => problems.push(format!("`{k}` is required")),
                            None => {}
                        },
                    }
                }
                if problems.is_empty() {
                    Ok(Value::Object(out))
                } else {
                    Err(problems.join("; "))
                }
            }
            (FieldType::Array, _) => Err(format!("expected an array, got {}", describe(v))),
            _ => Err(format!("expected an object, got {}", describe(v))),
        }
    }

    /// Checks one value and returns its normalized JSON form.
    fn normalize(&self, v: &Value) -> Result<Value, String> {
        let text = || -> Result<String, String> {
            match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                _ => Err(format!("expected text, got {}", describe(v))),
            }
        };
        let out = match self.ty {
            FieldType::Array | FieldType::Object => return self.structured(v),
            FieldType::String | FieldType::Enum => Value::String(text()?),
            FieldType::Number => match v {
                Value::Number(_) => v.clone(),
                Value::String(s) => {
                    let n: f64 = s.trim().parse().map_err(|_| {
                        format!("expected a number, got {}{}", describe(v), number_hint(s))
                    })?;
                    if let Ok(i) = s.trim().parse::<i64>() {
                        Value::from(i)
                    } else {
                        serde_json::Number::from_f64(n)
                            .map(Value::Number)
                            .ok_or_else(|| {
                                format!("expected a finite number, got {}", describe(v))
                            })?
                    }
                }
                _ => return Err(format!("expected a number, got {}", describe(v))),
            },
            FieldType::Integer => match v {
                Value::Number(n) if n.is_i64() || n.is_u64() => v.clone(),
                Value::String(s) => Value::from(s.trim().parse::<i64>().map_err(|_| {
                    format!(
                        "expected a whole number, got {}{}",
                        describe(v),
                        number_hint(s)
                    )
                })?),
                _ => return Err(format!("expected a whole number, got {}", describe(v))),
            },
            FieldType::Boolean => match v {
                Value::Bool(_) => v.clone(),
                Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" => Value::Bool(true),
                    "false" | "no" | "0" => Value::Bool(false),
                    _ => return Err(format!("expected true or false, got {}", describe(v))),
                },
                _ => return Err(format!("expected true or false, got {}", describe(v))),
            },
            FieldType::Date => {
                let s = text()?;
                let s = s.trim();
                if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Value::String(format!("{}T00:00:00Z", d.format("%Y-%m-%d")))
                } else if let Some(dt) = parse_datetime(s) {
                    Value::String(dt.to_rfc3339_opts(SecondsFormat::AutoSi, true))
                } else {
                    return Err(format!(
                        "expected a date like 2026-05-01, got {}",
                        describe(v)
                    ));
                }
            }
            FieldType::DateTime => {
                let s = text()?;
                match parse_datetime(s.trim()) {
                    Some(dt) => Value::String(dt.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
                    None => return Err(format!("expected a date and time with a time zone like 2026-05-01T19:30:00+02:00, got {}", describe(v))),
                }
            }
            FieldType::Url => {
                let s = text()?;
                if !looks_like_url(&s) {
                    return Err(format!(
                        "expected an absolute URL like https://example.com/, got {}",
                        describe(v)
                    ));
                }
                Value::String(s)
            }
            FieldType::Email => {
                let s = text()?;
                if !looks_like_email(&s) {
                    return Err(format!("expected an e-mail address, got {}", describe(v)));
                }
                Value::String(s)
            }
        };
        if let (Some(c), Some(n)) = (&self.counter, out.as_i64()) {
            if let Some(why) = c.out_of_bounds(n) {
                return Err(format!("{n} is {why}"));
            }
        }
        if let Value::String(s) = &out {
            if let Some(max) = self.max_length {
                let n = s.chars().count();
                if n > max {
                    return Err(format!("is {n} characters long; at most {max} are allowed"));
                }
            }
            if let Some(re) = &self.pattern {
                if !re.is_match(s) {
                    return Err(format!(
                        "{} does not match the pattern {}",
                        describe(&out),
                        re.as_str()
                    ));
                }
            }
            if let Some(allowed) = &self.allowed {
                if !allowed.iter().any(|a| a == s) {
                    return Err(format!(
                        "{} is not one of: {}",
                        describe(&out),
                        allowed.join(", ")
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Parses a W3C date-time with a time zone (seconds optional), as Apple's
/// pass.json dates are written.
pub(crate) fn parse_datetime(s: &str) -> Option<DateTime<FixedOffset>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt);
    }
    // Without seconds: 2012-07-22T14:25-08:00 or 2012-07-22T14:25Z.
    let s2 = s.strip_suffix('Z').map(|p| format!("{p}+00:00"));
    let s = s2.as_deref().unwrap_or(s);
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M%:z").ok()
}

fn looks_like_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut sc = scheme.chars();
    matches!(sc.next(), Some(c) if c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        && !rest.is_empty()
        && !s.chars().any(char::is_whitespace)
        && (!matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https")
            || rest.starts_with("//") && rest.len() > 2)
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

#[cfg(test)]
#[allow(clippy::needless_pass_by_value)]
mod tests {
    use super::*;

    fn schema(v: Value) -> (FieldSchema, Vec<Diagnostic>) {
        let mut d = Vec::new();
        let s = FieldSchema::parse(Some(&v), "template.json", &mut d);
        (s, d)
    }

    fn row(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn counters_are_integers_with_bounds_and_their_problems_are_located() {
        let (s, d) = schema(json!({
            "points": {"type": "integer", "default": 0, "counter": {"min": 0, "max": 100}},
            "balance": {"type": "integer", "counter": {"currency": "EUR"}},
            "who": {"type": "string", "showAtScan": true}
        }));
        assert!(d.is_empty(), "{d:?}");
        let points = &s.fields()["points"];
        assert_eq!(
            points.counter,
            Some(Counter {
                min: 0,
                max: Some(100),
                currency: None
            })
        );
        assert!(s.fields()["who"].show_at_scan);
        assert_eq!(
            s.fields()["balance"].counter.as_ref().map(|c| c.min),
            Some(0),
            "never below zero"
        );
        let errors = s
            .validate(&row(json!({"points": 101, "balance": -1})))
            .expect_err("bounds");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors
            .iter()
            .any(|e| e.field == "points" && e.message.contains("maximum 100")));
        assert_eq!(s.json_schema()["properties"]["points"]["maximum"], 100);

        let (s, d) = schema(json!({
            "name": {"type": "string", "counter": true},
            "stamps": {"type": "integer", "counter": {"min": 5, "max": 2, "currency": "euro", "step": 1}},
            "gate": {"type": "integer", "counter": true}
        }));
        let at: Vec<String> = d.iter().map(|d| format!("{:?}", d.location)).collect();
        for p in [
            "/fields/name/counter",
            "/fields/stamps/counter/max",
            "/fields/stamps/counter/currency",
            "/fields/stamps/counter/step",
            "/fields/gate/counter",
        ] {
            assert!(at.iter().any(|a| a.contains(p)), "{p} in {at:?}");
        }
        assert!(s
            .fields()
            .get("stamps")
            .is_some_and(|f| f.counter.is_none()));
    }

    #[test]
    fn normalizes_types() {
        let (s, d) = schema(json!({
            "n": {"type": "number"}, "i": {"type": "integer"}, "b": {"type": "boolean"},
            "d": {"type": "date"}, "t": {"type": "datetime"}, "e": {"type": "enum", "enum": ["A", "B"]},
            "u": {"type": "url"}, "m": {"type": "email"}, "s": {"default": "x"}
        }));
        assert!(d.is_empty(), "{d:?}");
        let out = s.validate(&row(json!({
            "n": "12.5", "i": "42", "b": "yes", "d": "2026-05-01", "t": "2026-05-01T19:30+02:00",
            "e": "B", "u": "https://example.com/x", "m": "a@b.example"
        }))).expect("valid row");
        assert_eq!(out["n"], json!(12.5));
        assert_eq!(out["i"], json!(42));
        assert_eq!(out["b"], json!(true));
        assert_eq!(out["d"], json!("2026-05-01T00:00:00Z"));
        assert_eq!(out["t"], json!("2026-05-01T19:30:00+02:00"));
        assert_eq!(out["s"], json!("x"));
    }

    #[test]
    fn columns_that_fail_every_row_are_found_from_the_header() {
        let (s, _) = schema(json!({
            "name": {"required": true}, "tier": {"required": true, "default": "basic"},
            "note": {}
        }));
        let cols = |c: &[&str]| -> Vec<String> { c.iter().map(|&c| c.to_owned()).collect() };
        assert!(s.check_columns(&cols(&["serialNumber", "name"])).is_empty());
        assert!(s.check_columns(&cols(&["name", "tier", "note"])).is_empty());
        let problems = s.check_columns(&cols(&["serialNumber", "nmae", "note"]));
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["nmae", "name"]);
        assert!(
            problems[0].message.contains("declares: name, note, tier"),
            "{}",
            problems[0]
        );
        assert!(
            problems[1].message.starts_with("required, and no column"),
            "{}",
            problems[1]
        );
        let (none, _) = schema(json!({}));
        assert!(none.check_columns(&cols(&["x"]))[0]
            .message
            .contains("declares no custom fields"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let (s, _) = schema(json!({
            "name": {"required": true}, "price": {"type": "number"},
            "tier": {"type": "enum", "enum": ["gold"]}, "when": {"type": "date"},
            "code": {"pattern": "^[A-Z]{3}$", "maxLength": 3}
        }));
        let errs = s.validate(&row(json!({"price": "abc", "tier": "silver", "when": "31/12/2026", "code": "abcd", "extra": 1}))).expect_err("invalid");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["extra", "code", "name", "price", "tier", "when"]);
        assert!(errs[2].message.contains("required"));
        assert!(errs[4].message.contains("not one of: gold"));
    }

    #[test]
    fn a_localized_number_says_how_to_write_it() {
        let (s, _) = schema(json!({"n": {"type": "number"}, "i": {"type": "integer"}}));
        for (key, v) in [
            ("n", "1,5"),
            ("n", "1,500"),
            ("n", "-2.000,75"),
            ("i", "1,500"),
        ] {
            let e = s.validate(&row(json!({key: v}))).expect_err("comma");
            assert!(
                e[0].message.ends_with("write numbers with `.` as the decimal point and no thousands separators (1.5, 1500)"),
                "{v}: {}",
                e[0]
            );
        }
        let e = s.validate(&row(json!({"n": "ten"}))).expect_err("word");
        assert_eq!(e[0].message, "expected a number, got \"ten\"");
        assert_eq!(
            s.validate(&row(json!({"n": "1.5"}))).expect("ok")["n"],
            json!(1.5)
        );
    }

    #[test]
    fn naive_datetime_is_rejected() {
        let (s, _) = schema(json!({"t": {"type": "datetime"}}));
        let e = s
            .validate(&row(json!({"t": "2026-05-01T19:30:00"})))
            .expect_err("no tz");
        assert!(e[0].message.contains("time zone"));
    }

    #[test]
    fn bad_schema_is_reported() {
        let (_, d) = schema(
            json!({"1x": {}, "serialNumber": {}, "a": {"type": "money"}, "b": {"type": "enum"}, "c": {"type": "integer", "default": "x"}}),
        );
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                "template.field_key",
                "template.field_type",
                "template.field_enum",
                "template.field_default",
                "template.field_key"
            ]
        );
    }

    #[test]
    fn json_schema_lists_required_fields() {
        let (s, _) =
            schema(json!({"name": {"required": true, "maxLength": 5}, "n": {"type": "integer"}}));
        let js = s.json_schema();
        assert_eq!(js["required"], json!(["name"]));
        assert_eq!(js["properties"]["n"]["type"], "integer");
        assert_eq!(js["properties"]["name"]["maxLength"], 5);
    }
    #[test]
    fn arrays_of_typed_items_come_from_json_or_from_one_csv_cell() {
        let (s, d) = schema(json!({
            "performers": {"type": "array", "items": {"type": "string", "maxLength": 20}, "minItems": 1},
            "seats": {"type": "array", "maxItems": 2, "items": {"type": "object", "properties": {
                "seatSection": {"type": "string", "required": true},
                "seatNumber": {"type": "string"},
                "seatSectionColor": {"type": "string", "default": "rgb(0, 0, 0)"}
            }}}
        }));
        assert!(d.is_empty(), "{d:?}");
        let out = s
            .validate(&row(json!({
                "performers": "[\"Ada\", \"Grace\"]",
                "seats": [{"seatSection": "A", "seatNumber": 12}]
            })))
            .expect("valid");
        assert_eq!(out["performers"], json!(["Ada", "Grace"]));
        assert_eq!(
            out["seats"],
            json!([{"seatSection": "A", "seatNumber": "12", "seatSectionColor": "rgb(0, 0, 0)"}])
        );
        let errs = s
            .validate(&row(json!({
                "performers": "Ada, Grace",
                "seats": "[{\"seatNumber\": \"1\", \"row\": \"F\"}, {}, {}]"
            })))
            .expect_err("invalid");
        assert!(
            errs[0]
                .message
                .starts_with("expected JSON text of an array"),
            "{}",
            errs[0]
        );
        assert!(errs[1].message.contains("at most 2"), "{}", errs[1]);
        let errs = s
            .validate(&row(
                json!({"performers": [], "seats": [{"seatNumber": "1", "row": "F"}]}),
            ))
            .expect_err("invalid");
        assert!(errs[0].message.contains("at least 1"), "{}", errs[0]);
        assert!(
            errs[1]
                .message
                .contains("item 0: `row` is not one of its members"),
            "{}",
            errs[1]
        );
        assert!(
            errs[1].message.contains("`seatSection` is required"),
            "{}",
            errs[1]
        );
        let js = s.json_schema();
        assert_eq!(
            js["properties"]["seats"]["items"]["required"],
            json!(["seatSection"])
        );
        assert_eq!(js["properties"]["performers"]["minItems"], 1);

        let (_, d) = schema(
            json!({"a": {"type": "array"}, "o": {"type": "object"}, "n": {"type": "number", "items": {}}}),
        );
        let codes: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(
            codes,
            [
                "template.field_items",
                "template.field_def",
                "template.field_properties"
            ]
        );
    }
}
