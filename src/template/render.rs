//! Placeholders: compiled once per template with minijinja, substituted per
//! pass into the parsed JSON tree (never into raw text), then the concrete
//! pass.json is checked against Apple's rules again.

use std::fmt::Write as _;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde_json::{Map, Value};

use super::schema::{parse_datetime, FieldError, FieldSchema, FieldSpec, FieldType, BUILT_INS};
use super::Template;
use crate::apple::rules::{check_pass_json, is_dynamic, tag_kind, Kind, Mode};
use crate::model::{
    diag::pointer_segment, AuthToken, Diagnostic, Diagnostics, Location, PassTypeId, SerialNumber,
    TeamId,
};

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// One string leaf of pass.json that holds a placeholder.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    path: Vec<Seg>,
    kind: SlotKind,
}

#[derive(Debug, Clone)]
enum SlotKind {
    /// The whole string is `{{ name }}`: the value keeps its JSON type.
    Exact(String),
    /// Any other expression, rendered to a string by the named minijinja template.
    Expr(String),
}

fn pointer(path: &[Seg]) -> String {
    path.iter().fold(String::new(), |mut s, seg| {
        s.push('/');
        match seg {
            Seg::Key(k) => s.push_str(&pointer_segment(k)),
            Seg::Index(i) => s.push_str(&i.to_string()),
        }
        s
    })
}

/// If `s` is exactly `{{ identifier }}`, the identifier.
fn exact_placeholder(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
    let mut chars = inner.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    ok.then_some(inner)
}

/// The `date` filter: `{{ when | date("%d %b %Y") }}` formats a date or
/// date-time value with chrono's strftime syntax.
fn date_filter(value: &str, format: Option<&str>) -> Result<String, minijinja::Error> {
    let bad = |msg: String| minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, msg);
    let dt = parse_datetime(value)
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc().fixed_offset())
        })
        .ok_or_else(|| bad(format!("date filter: {value:?} is not a date")))?;
    let mut out = String::new();
    write!(out, "{}", dt.format(format.unwrap_or("%Y-%m-%d"))).map_err(|_| {
        bad(format!(
            "date filter: bad format string {:?}",
            format.unwrap_or("")
        ))
    })?;
    Ok(out)
}

fn new_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // A trailing newline in a pass string is content, not template layout.
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder()
        .keep_trailing_newline(true)
        .build()
    {
        env.set_syntax(syntax);
    }
    env.add_filter("date", date_filter);
    env
}

/// Compiles every placeholder of one JSON tree (pass.json, or the Google
/// override) into `env`, reporting syntax errors, placeholders in keys and
/// names the schema does not declare. Template names are `file#pointer`.
pub(crate) fn compile(
    tree: &Value,
    file: &'static str,
    env: &mut Environment<'static>,
    schema: &FieldSchema,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Slot> {
    let mut c = Compiler {
        file,
        env,
        schema,
        diags,
        slots: Vec::new(),
    };
    c.walk(tree, &mut Vec::new());
    c.slots
}

/// A fresh minijinja environment with passforge's settings and filters.
pub(crate) fn environment() -> Environment<'static> {
    new_env()
}

struct Compiler<'a> {
    file: &'static str,
    env: &'a mut Environment<'static>,
    schema: &'a FieldSchema,
    diags: &'a mut Vec<Diagnostic>,
    slots: Vec<Slot>,
}

impl Compiler<'_> {
    fn declared(&self, name: &str) -> bool {
        self.schema.contains(name) || BUILT_INS.contains(&name)
    }

    fn undeclared(&mut self, at: &str, name: &str) {
        let known: Vec<&str> = self
            .schema
            .fields()
            .keys()
            .map(String::as_str)
            .chain(BUILT_INS)
            .collect();
        self.diags.push(Diagnostic::error(
            self.file,
            Location::Pointer(at.to_owned()),
            "template.undeclared_placeholder",
            format!("placeholder `{name}` is not declared in template.json `fields` (declared and built-in: {})", known.join(", ")),
        ));
    }

    fn walk(&mut self, v: &Value, path: &mut Vec<Seg>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    path.push(Seg::Key(k.clone()));
                    if is_dynamic(k) {
                        self.diags.push(Diagnostic::error(
                            self.file,
                            Location::Pointer(pointer(path)),
                            "template.placeholder_in_key",
                            "placeholders may appear only in string values, never in keys",
                        ));
                    }
                    self.walk(child, path);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.walk(child, path);
                    path.pop();
                }
            }
            Value::String(s) if is_dynamic(s) => self.string(s, path),
            _ => {}
        }
    }

    fn string(&mut self, s: &str, path: &[Seg]) {
        let at = pointer(path);
        if let Some(name) = exact_placeholder(s) {
            if self.declared(name) {
                self.slots.push(Slot {
                    path: path.to_vec(),
                    kind: SlotKind::Exact(name.to_owned()),
                });
            } else {
                self.undeclared(&at, name);
            }
            return;
        }
        let name = format!("{}#{at}", self.file);
        if let Err(e) = self.env.add_template_owned(name.clone(), s.to_owned()) {
            self.diags.push(Diagnostic::error(
                self.file,
                Location::Pointer(at),
                "template.placeholder_syntax",
                format!(
                    "invalid placeholder expression: {}",
                    e.detail().unwrap_or("syntax error")
                ),
            ));
            return;
        }
        let mut names: Vec<String> = self
            .env
            .get_template(&name)
            .map(|t| t.undeclared_variables(false))
            .unwrap_or_default()
            .into_iter()
            .collect();
        names.sort();
        let missing: Vec<String> = names.into_iter().filter(|n| !self.declared(n)).collect();
        for n in &missing {
            self.undeclared(&at, n);
        }
        if missing.is_empty() {
            self.slots.push(Slot {
                path: path.to_vec(),
                kind: SlotKind::Expr(name),
            });
        }
    }
}

/// The type pass.json expects at `path`, for the keys whose type a
/// placeholder's field type can get wrong: semantic tags (at the top level,
/// in a field, or in an upcoming entry), their seats and performers, and
/// dates.
fn expected_kind(path: &[Seg]) -> Option<Kind> {
    let keys: Vec<&str> = path
        .iter()
        .map(|s| match s {
            Seg::Key(k) => k.as_str(),
            Seg::Index(_) => "#",
        })
        .collect();
    match keys.as_slice() {
        ["relevantDate" | "expirationDate"] => Some(Kind::Date),
        ["relevantDates", "#", "date" | "startDate" | "endDate"] => Some(Kind::Date),
        [.., "semantics", tag] => tag_kind(tag),
        [.., "semantics", tag, "#"] => match tag_kind(tag)? {
            Kind::Strings => Some(Kind::Str),
            Kind::Objects(shape) => Some(Kind::Object(shape)),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a field of `spec`'s type gives a value of `kind`.
fn gives(spec: &FieldSpec, kind: Kind) -> bool {
    use FieldType as T;
    let textual = matches!(
        spec.ty,
        T::String | T::Enum | T::Url | T::Email | T::Date | T::DateTime
    );
    match kind {
        Kind::Str | Kind::Color => textual,
        Kind::Num => matches!(spec.ty, T::Number | T::Integer),
        Kind::Bool => spec.ty == T::Boolean,
        Kind::Date => matches!(spec.ty, T::Date | T::DateTime),
        Kind::Strings => {
            spec.ty == T::Array && spec.items.as_deref().is_some_and(|i| gives(i, Kind::Str))
        }
        Kind::Object(_) => spec.ty == T::Object,
        Kind::Objects(_) => {
            spec.ty == T::Array && spec.items.as_deref().is_some_and(|i| i.ty == T::Object)
        }
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Str => "text (a string field)",
        Kind::Color => "a colour (a string field)",
        Kind::Num => "a number (a number or integer field)",
        Kind::Bool => "true or false (a boolean field)",
        Kind::Date => "a date (a date or datetime field)",
        Kind::Strings => "an array of strings (an array field with string items)",
        Kind::Object(_) => "an object (an object field)",
        Kind::Objects(_) => "an array of objects (an array field with object items)",
    }
}

/// Placeholders that stand for a whole value whose field type is not the
/// type Apple documents for that key (e.g. a string field as `flightNumber`,
/// which is a number): an error at load, instead of one per row.
pub(crate) fn check_slot_types(
    slots: &[Slot],
    schema: &FieldSchema,
    file: &'static str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for slot in slots {
        let SlotKind::Exact(name) = &slot.kind else {
            continue;
        };
        let (Some(kind), Some(spec)) = (expected_kind(&slot.path), schema.fields().get(name))
        else {
            continue;
        };
        if !gives(spec, kind) {
            out.push(Diagnostic::error(
                file,
                Location::Pointer(pointer(&slot.path)),
                "template.placeholder_type",
                format!(
                    "this key takes {}, but `{name}` is a field of type {}; change the field's type in template.json",
                    kind_name(kind),
                    spec.ty.name()
                ),
            ));
        }
    }
    out
}

/// What one pass is rendered from.
#[derive(Debug, Clone)]
pub struct RenderInput<'a> {
    /// The row's custom field values (`serialNumber` removed), not yet validated.
    pub fields: &'a Map<String, Value>,
    /// The pass's serial number.
    pub serial_number: &'a SerialNumber,
    /// The pass's web service token (written only when a web service is configured).
    pub authentication_token: &'a AuthToken,
    /// The web service URL, if the deployment has one.
    pub web_service_url: Option<&'a str>,
    /// The signing identity's pass type identifier.
    pub pass_type_identifier: &'a PassTypeId,
    /// The signing identity's team.
    pub team_identifier: &'a TeamId,
    /// Per-pass changes on top of the template (label overrides, dates,
    /// voided); `None` for a plain render.
    pub overrides: Option<&'a PassOverrides>,
}

/// Per-pass changes applied after substitution and checked with the rest of
/// the concrete pass.json.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassOverrides {
    /// Field name → label: every pass field whose value is exactly
    /// `{{ name }}` gets this label instead of the template's.
    pub labels: std::collections::BTreeMap<String, String>,
    /// `relevantDate` (W3C date-time), replacing the template's.
    pub relevant_date: Option<String>,
    /// `expirationDate` (W3C date-time), replacing the template's.
    pub expiration_date: Option<String>,
    /// Marks the pass voided (`"voided": true`).
    pub voided: bool,
    /// A message for the lock screen: the value of the pass field with key
    /// `message` (its `changeMessage` made to contain `%@`), or of a back
    /// field the engine adds when the template has none.
    pub message: Option<String>,
    /// The holder signed up from Wallet (Rewards Enrollment): the pass no
    /// longer carries the template's `personalization.json`.
    pub personalized: bool,
}

/// The key of the back field added for push messages when a template has no
/// `message` field.
pub const MESSAGE_FIELD_KEY: &str = "passforge.message";

/// A concrete pass: its pass.json tree and the validated field values.
#[derive(Debug, Clone)]
pub struct RenderedPass {
    /// The serial number.
    pub serial_number: SerialNumber,
    /// The concrete pass.json (strict JSON, every template key kept).
    pub pass_json: Value,
    /// The normalized custom field values.
    pub fields: Map<String, Value>,
    /// Warnings about the concrete pass.
    pub warnings: Vec<Diagnostic>,
    /// The template's Google override (`google.json` over template.json's
    /// `google` section), rendered with the same values.
    pub google_override: Option<Value>,
}

/// Why one row could not be rendered.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RenderError {
    /// Custom field values are missing or invalid.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Fields(Vec<FieldError>),
    /// An expression failed (for example a date filter on a non-date).
    #[error("pass.json#{pointer}: {message}")]
    Expression {
        /// JSON pointer of the string in pass.json.
        pointer: String,
        /// What went wrong.
        message: String,
    },
    /// The rendered pass.json breaks Apple's rules.
    #[error("the rendered pass is invalid: {0}")]
    Invalid(Diagnostics),
}

impl Template {
    /// Renders one pass: validates the row against the schema, substitutes
    /// values into the parsed tree, stamps the identity, serial number and web
    /// service, and checks the result against Apple's rules. Pure.
    ///
    /// # Errors
    /// [`RenderError`] naming the field, expression or pass.json location.
    pub fn render(&self, input: &RenderInput<'_>) -> Result<RenderedPass, RenderError> {
        let fields = self
            .schema
            .validate(input.fields)
            .map_err(RenderError::Fields)?;
        let mut ctx = Map::new();
        for key in self.schema.fields().keys() {
            ctx.insert(
                key.clone(),
                fields
                    .get(key)
                    .cloned()
                    .unwrap_or_else(|| Value::String(String::new())),
            );
        }
        ctx.insert("serialNumber".into(), input.serial_number.as_str().into());
        ctx.insert(
            "authenticationToken".into(),
            input.authentication_token.expose().into(),
        );
        ctx.insert(
            "webServiceURL".into(),
            input.web_service_url.unwrap_or("").into(),
        );
        ctx.insert(
            "passTypeIdentifier".into(),
            input.pass_type_identifier.as_str().into(),
        );
        ctx.insert(
            "teamIdentifier".into(),
            input.team_identifier.as_str().into(),
        );
        let mj_ctx = minijinja::Value::from(minijinja::value::Serde(&ctx));

        let mut pass = self.pass_json.clone();
        self.substitute(&mut pass, &self.slots, &ctx, &mj_ctx)?;
        let google_override = match &self.google {
            Some(g) => {
                let mut tree = g.tree.clone();
                self.substitute(&mut tree, &g.slots, &ctx, &mj_ctx)?;
                Some(tree)
            }
            None => None,
        };

        if let Some(root) = pass.as_object_mut() {
            root.insert(
                "passTypeIdentifier".into(),
                input.pass_type_identifier.as_str().into(),
            );
            root.insert(
                "teamIdentifier".into(),
                input.team_identifier.as_str().into(),
            );
            root.insert("serialNumber".into(), input.serial_number.as_str().into());
            match input.web_service_url {
                Some(url) => {
                    root.insert("webServiceURL".into(), url.into());
                    root.insert(
                        "authenticationToken".into(),
                        input.authentication_token.expose().into(),
                    );
                }
                None => {
                    root.remove("webServiceURL");
                    root.remove("authenticationToken");
                }
            }
        }
        if let Some(o) = input.overrides {
            self.apply_overrides(&mut pass, o);
        }
        let diags = check_pass_json(&pass, Mode::Pass);
        if diags.iter().any(Diagnostic::is_error) {
            return Err(RenderError::Invalid(Diagnostics(
                diags.into_iter().filter(Diagnostic::is_error).collect(),
            )));
        }
        let warnings = diags
            .into_iter()
            .filter(|d| d.severity == crate::model::Severity::Warning)
            .collect();
        Ok(RenderedPass {
            serial_number: input.serial_number.clone(),
            pass_json: pass,
            fields,
            warnings,
            google_override,
        })
    }

    /// The JSON pointers of the pass fields (objects with `key`, `label`,
    /// `value`) whose value is exactly `{{ name }}`.
    pub fn label_targets(&self, name: &str) -> Vec<String> {
        self.slots
            .iter()
            .filter(|s| matches!(&s.kind, SlotKind::Exact(n) if n == name))
            .filter(|s| matches!(s.path.last(), Some(Seg::Key(k)) if k == "value"))
            .map(|s| pointer(&s.path[..s.path.len() - 1]))
            .collect()
    }

    fn apply_overrides(&self, pass: &mut Value, o: &PassOverrides) {
        for (name, label) in &o.labels {
            for target in self.label_targets(name) {
                if let Some(Value::Object(field)) = pass.pointer_mut(&target) {
                    field.insert("label".into(), label.clone().into());
                }
            }
        }
        if let Some(root) = pass.as_object_mut() {
            if let Some(d) = &o.relevant_date {
                root.insert("relevantDate".into(), d.clone().into());
            }
            if let Some(d) = &o.expiration_date {
                root.insert("expirationDate".into(), d.clone().into());
            }
            if o.voided {
                root.insert("voided".into(), true.into());
            }
        }
        if let Some(msg) = &o.message {
            self.apply_message(pass, msg);
        }
    }

    fn apply_message(&self, pass: &mut Value, msg: &str) {
        const GROUPS: [&str; 5] = [
            "headerFields",
            "primaryFields",
            "secondaryFields",
            "auxiliaryFields",
            "backFields",
        ];
        let Some(style) = pass.get_mut(self.style).and_then(Value::as_object_mut) else {
            return;
        };
        for group in GROUPS {
            let fields = style.get_mut(group).and_then(Value::as_array_mut);
            for f in fields.into_iter().flatten() {
                if f.get("key").and_then(Value::as_str) == Some("message") {
                    f["value"] = msg.into();
                    let has = f
                        .get("changeMessage")
                        .and_then(Value::as_str)
                        .is_some_and(|c| c.contains("%@"));
                    if !has {
                        f["changeMessage"] = "%@".into();
                    }
                    return;
                }
            }
        }
        let back = style
            .entry("backFields")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Some(back) = back.as_array_mut() {
            back.retain(|f| f.get("key").and_then(Value::as_str) != Some(MESSAGE_FIELD_KEY));
            back.push(serde_json::json!({
                "key": MESSAGE_FIELD_KEY,
                "label": "Message",
                "value": msg,
                "changeMessage": "%@",
            }));
        }
    }

    /// Replaces every slot of `tree` with its value or rendered expression.
    fn substitute(
        &self,
        tree: &mut Value,
        slots: &[Slot],
        ctx: &Map<String, Value>,
        mj_ctx: &minijinja::Value,
    ) -> Result<(), RenderError> {
        for slot in slots {
            let new = match &slot.kind {
                SlotKind::Exact(name) => ctx.get(name).cloned().unwrap_or(Value::Null),
                SlotKind::Expr(name) => {
                    let rendered = self
                        .env
                        .get_template(name)
                        .and_then(|t| t.render(mj_ctx.clone()))
                        .map_err(|e| RenderError::Expression {
                            pointer: format!(
                                "{}{}",
                                name.split('#').next().map_or("", |f| if f == "pass.json" {
                                    ""
                                } else {
                                    f
                                }),
                                pointer(&slot.path)
                            ),
                            message: e.detail().map_or_else(|| e.to_string(), str::to_owned),
                        })?;
                    Value::String(rendered)
                }
            };
            if let Some(leaf) = leaf_mut(tree, &slot.path) {
                *leaf = new;
            }
        }
        Ok(())
    }
}

fn leaf_mut<'v>(v: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::Index(i) => v.get_mut(*i),
    })
}

#[cfg(test)]
#[allow(clippy::needless_pass_by_value)]
mod tests {
    use super::*;
    use crate::template::TemplateError;
    use std::collections::BTreeMap;

    fn template(pass: &Value, fields: &Value) -> Template {
        let mut files = BTreeMap::new();
        files.insert(
            "pass.json".to_owned(),
            serde_json::to_vec(pass).expect("json"),
        );
        files.insert(
            "template.json".to_owned(),
            serde_json::to_vec(&serde_json::json!({"formatVersion": 1, "fields": fields}))
                .expect("json"),
        );
        files.insert("icon.png".to_owned(), crate::test_support::png(29, 29));
        Template::from_files("t", files).expect("valid template")
    }

    fn ids() -> (SerialNumber, AuthToken, PassTypeId, TeamId) {
        (
            SerialNumber::parse("S1").expect("serial"),
            AuthToken::parse("0123456789abcdef").expect("token"),
            PassTypeId::parse("pass.com.example.t").expect("id"),
            TeamId::parse("TEAM123456").expect("team"),
        )
    }

    fn render(t: &Template, row: &Value, url: Option<&str>) -> Result<RenderedPass, RenderError> {
        let (s, a, p, team) = ids();
        let fields = row.as_object().cloned().unwrap_or_default();
        t.render(&RenderInput {
            fields: &fields,
            serial_number: &s,
            authentication_token: &a,
            web_service_url: url,
            pass_type_identifier: &p,
            team_identifier: &team,

            overrides: None,
        })
    }

    fn base(primary: Value) -> Value {
        serde_json::json!({"formatVersion": 1, "organizationName": "O", "description": "D",
            "storeCard": {"primaryFields": [primary], "backFields": [{"key": "serial", "value": "Card {{ serialNumber }} for {{ name | upper }}"}]}})
    }

    #[test]
    fn exact_placeholder_keeps_json_type() {
        let t = template(
            &base(
                serde_json::json!({"key": "balance", "value": "{{balance}}", "currencyCode": "EUR"}),
            ),
            &serde_json::json!({"balance": {"type": "number"}, "name": {}}),
        );
        let p = render(
            &t,
            &serde_json::json!({"balance": "12.5", "name": "ada"}),
            None,
        )
        .expect("render");
        assert_eq!(
            p.pass_json["storeCard"]["primaryFields"][0]["value"],
            serde_json::json!(12.5)
        );
        assert_eq!(
            p.pass_json["storeCard"]["backFields"][0]["value"],
            "Card S1 for ADA"
        );
        assert_eq!(p.pass_json["serialNumber"], "S1");
        assert_eq!(p.pass_json["teamIdentifier"], "TEAM123456");
        assert!(p.pass_json.get("webServiceURL").is_none());
        assert!(p.pass_json.get("authenticationToken").is_none());
    }

    #[test]
    fn semantic_placeholders_are_typed_and_arrays_land_whole() {
        let pass = serde_json::json!({"formatVersion": 1, "organizationName": "O", "description": "D",
            "semantics": {"flightNumber": "{{ flight }}", "seats": "{{ seats }}", "performerNames": "{{ acts }}",
                          "eventStartDate": "{{ start }}"},
            "relevantDates": [{"startDate": "{{ start }}", "endDate": "{{ start }}"}],
            "eventTicket": {"primaryFields": [{"key": "a", "value": "{{ flight }}"}]}});
        let fields = serde_json::json!({
            "flight": {"type": "integer"}, "start": {"type": "datetime"},
            "acts": {"type": "array", "items": {"type": "string"}},
            "seats": {"type": "array", "items": {"type": "object", "properties": {"seatRow": {}, "seatNumber": {}}}}
        });
        let t = template(&pass, &fields);
        let p = render(
            &t,
            &serde_json::json!({"flight": "101", "start": "2027-06-12T19:30:00+01:00",
                "acts": "[\"Ada\", \"Grace\"]", "seats": "[{\"seatRow\": \"F\", \"seatNumber\": \"12\"}]"}),
            None,
        )
        .expect("render");
        assert_eq!(p.pass_json["semantics"]["flightNumber"], 101);
        assert_eq!(
            p.pass_json["semantics"]["performerNames"],
            serde_json::json!(["Ada", "Grace"])
        );
        assert_eq!(
            p.pass_json["semantics"]["seats"],
            serde_json::json!([{"seatRow": "F", "seatNumber": "12"}])
        );

        // A field whose type cannot give the key's type fails at load.
        let mut files = BTreeMap::new();
        files.insert(
            "pass.json".to_owned(),
            serde_json::to_vec(&pass).expect("json"),
        );
        let wrong = serde_json::json!({"formatVersion": 1, "fields": {
            "flight": {"type": "string"}, "start": {"type": "string"},
            "acts": {"type": "string"}, "seats": {"type": "array", "items": {"type": "string"}}}});
        files.insert(
            "template.json".to_owned(),
            serde_json::to_vec(&wrong).expect("json"),
        );
        files.insert("icon.png".to_owned(), crate::test_support::png(29, 29));
        let Err(TemplateError::Invalid { diagnostics, .. }) = Template::from_files("t", files)
        else {
            panic!("wrong types must not load");
        };
        let mut at: Vec<String> = diagnostics
            .0
            .iter()
            .filter(|d| d.code == "template.placeholder_type")
            .map(|d| match &d.location {
                Location::Pointer(p) => p.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        at.sort();
        assert_eq!(
            at,
            [
                "/relevantDates/0/endDate",
                "/relevantDates/0/startDate",
                "/semantics/eventStartDate",
                "/semantics/flightNumber",
                "/semantics/performerNames",
                "/semantics/seats"
            ]
        );
    }

    #[test]
    fn values_are_never_rendered_as_templates() {
        let t = template(
            &base(serde_json::json!({"key": "n", "value": "Hi {{name}}!"})),
            &serde_json::json!({"name": {}, "balance": {}}),
        );
        let hostile = "{{ 7*7 }} \"quoted\" \\ back\nslash 🎉 שלום {% if %}";
        let p = render(
            &t,
            &serde_json::json!({"name": hostile}),
            Some("https://pf.example/apple"),
        )
        .expect("render");
        assert_eq!(
            p.pass_json["storeCard"]["primaryFields"][0]["value"],
            format!("Hi {hostile}!")
        );
        assert_eq!(p.pass_json["webServiceURL"], "https://pf.example/apple");
        assert_eq!(p.pass_json["authenticationToken"], "0123456789abcdef");
        let bytes = serde_json::to_vec(&p.pass_json).expect("json");
        let back: Value = serde_json::from_slice(&bytes).expect("valid json");
        assert_eq!(back, p.pass_json);
    }

    #[test]
    fn date_filter_formats() {
        let t = template(
            &base(serde_json::json!({"key": "d", "value": "{{ when | date(\"%d %b %Y\") }}"})),
            &serde_json::json!({"when": {"type": "date"}, "name": {}}),
        );
        let p = render(&t, &serde_json::json!({"when": "2026-12-24"}), None).expect("render");
        assert_eq!(
            p.pass_json["storeCard"]["primaryFields"][0]["value"],
            "24 Dec 2026"
        );
    }

    #[test]
    fn undeclared_placeholder_is_a_load_error() {
        let mut files = BTreeMap::new();
        files.insert(
            "pass.json".to_owned(),
            serde_json::to_vec(&base(
                serde_json::json!({"key": "x", "value": "{{ nmae }}"}),
            ))
            .expect("json"),
        );
        files.insert("icon.png".to_owned(), crate::test_support::png(29, 29));
        let err = Template::from_files("t", files).expect_err("undeclared");
        let super::super::TemplateError::Invalid { diagnostics, .. } = err else {
            panic!("expected Invalid")
        };
        let codes: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.location.clone()))
            .collect();
        assert!(
            codes.contains(&(
                "template.undeclared_placeholder",
                Location::Pointer("/storeCard/primaryFields/0/value".into())
            )),
            "{codes:?}"
        );
        assert!(
            codes.contains(&(
                "template.undeclared_placeholder",
                Location::Pointer("/storeCard/backFields/0/value".into())
            )),
            "{codes:?}"
        );
    }

    #[test]
    fn rendered_pass_is_checked_again() {
        let mut pass = base(serde_json::json!({"key": "x", "value": "v"}));
        pass["backgroundColor"] = "{{ color }}".into();
        let t = template(&pass, &serde_json::json!({"color": {}, "name": {}}));
        match render(&t, &serde_json::json!({"color": "purple"}), None) {
            Err(RenderError::Invalid(d)) => assert_eq!(d.0[0].code, "pass.bad_color"),
            other => panic!("expected invalid, got {other:?}"),
        }
        assert!(render(&t, &serde_json::json!({"color": "rgb(1, 2, 3)"}), None).is_ok());
    }
}
