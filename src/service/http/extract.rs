//! Extractors: the caller ([`Principal`], checked by the guard), JSON
//! bodies validated against their type's schema with every problem
//! collected ([`Checked`]), and typed query parameters ([`Params`]).
//!
//! A body is parsed to JSON, then checked against the JSON Schema that
//! `utoipa` derives from its request type (the same schema the OpenAPI
//! document shows), collecting every problem with its JSON pointer; the
//! typed value is built only then. serde stopping at the first error never
//! decides a 422.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::service::domain::keys::{self, Credential, Principal};
use crate::service::error::{ApiError, FieldProblem};
use crate::service::state::AppState;

/// The schema validator of a request type, compiled once.
fn validator<T: utoipa::ToSchema + 'static>() -> Result<Arc<jsonschema::Validator>, ApiError> {
    static CACHE: OnceLock<Mutex<HashMap<&'static str, Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let key = std::any::type_name::<T>();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(key).cloned()) {
        return Ok(v);
    }
    let schema = schema_document::<T>();
    let v = Arc::new(
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| {
                ApiError::internal(&format!("the schema of {key} does not compile: {e}"))
            })?,
    );
    if let Ok(mut c) = cache.lock() {
        c.insert(key, v.clone());
    }
    Ok(v)
}

/// `T`'s JSON Schema as one document: its own schema at the root and the
/// schemas it refers to under `components/schemas` (where the OpenAPI
/// document's `$ref`s point).
pub(crate) fn schema_document<T: utoipa::ToSchema>() -> Value {
    let mut deps = Vec::new();
    T::schemas(&mut deps);
    let mut root = serde_json::to_value(T::schema()).unwrap_or_default();
    let components: serde_json::Map<String, Value> = deps
        .into_iter()
        .map(|(name, s)| (name, serde_json::to_value(s).unwrap_or_default()))
        .collect();
    if let Value::Object(m) = &mut root {
        m.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        m.insert(
            "components".into(),
            serde_json::json!({ "schemas": components }),
        );
    }
    root
}

/// Every problem of `instance` against `T`'s schema, located.
pub(crate) fn problems_of<T: utoipa::ToSchema + 'static>(
    instance: &Value,
) -> Result<Vec<FieldProblem>, ApiError> {
    let v = validator::<T>()?;
    let mut out = Vec::new();
    for e in v.iter_errors(instance) {
        let at = e.instance_path().as_str().to_owned();
        match e.kind() {
            jsonschema::error::ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_owned);
                out.push(FieldProblem::new(
                    format!("{at}/{}", crate::model::diag::pointer_segment(&name)),
                    "required",
                ));
            }
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                for name in unexpected {
                    out.push(FieldProblem::new(
                        format!("{at}/{}", crate::model::diag::pointer_segment(name)),
                        "unknown member",
                    ));
                }
            }
            kind => out.push(FieldProblem::new(at, describe(kind, &e))),
        }
    }
    Ok(out)
}

/// What a schema violation means, without repeating the value (which may be
/// large).
fn describe(
    kind: &jsonschema::error::ValidationErrorKind,
    e: &jsonschema::ValidationError<'_>,
) -> String {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    match kind {
        K::Type { kind } => {
            let want = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(ts) => ts
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let want = want.replace(" or null", "").replace("null or ", "");
            format!("expected {want}")
        }
        K::Format { format } => match format.as_str() {
            "date-time" => {
                "expected a W3C date-time with a time zone, e.g. 2027-06-12T19:00:00+01:00"
                    .to_owned()
            }
            f => format!("expected the {f} format"),
        },
        K::MinItems { limit } => format!("at least {limit} item(s)"),
        K::MaxItems { limit } => format!("at most {limit} items"),
        K::MinLength { limit } => format!("at least {limit} character(s)"),
        K::MaxLength { limit } => format!("at most {limit} characters"),
        K::Minimum { limit } => format!("at least {limit}"),
        K::Maximum { limit } => format!("at most {limit}"),
        K::Pattern { pattern } => format!("must match {pattern}"),
        K::Enum { options } => format!("one of {options}"),
        _ => e.to_string().chars().take(300).collect(),
    }
}

/// A JSON body of type `T`, checked against `T`'s schema: the raw JSON and
/// every problem found. [`Checked::typed`] gives the value or one 422 with
/// every problem (the schema's and any the handler adds).
#[derive(Debug)]
pub(crate) struct Checked<T> {
    raw: Value,
    problems: Vec<FieldProblem>,
    _t: PhantomData<T>,
}

impl<T: DeserializeOwned> Checked<T> {
    /// The body as sent.
    pub(crate) fn raw(&self) -> &Value {
        &self.raw
    }

    /// The typed body, or a 422 listing every problem of the schema and
    /// `more`.
    ///
    /// # Errors
    /// 422.
    pub(crate) fn typed_with(self, more: Vec<FieldProblem>) -> Result<T, ApiError> {
        // Where the domain has its own word on a place the schema faulted,
        // its word (which says what to do) replaces the schema's.
        let mut problems: Vec<FieldProblem> = self
            .problems
            .into_iter()
            .filter(|p| !more.iter().any(|m| m.pointer == p.pointer))
            .collect();
        problems.extend(more);
        if !problems.is_empty() {
            return Err(ApiError::problems(problems));
        }
        serde_json::from_value(integral(self.raw))
            .map_err(|e| ApiError::problems(vec![FieldProblem::new("", e.to_string())]))
    }

    /// The typed body, or a 422 listing every problem.
    ///
    /// # Errors
    /// 422.
    pub(crate) fn typed(self) -> Result<T, ApiError> {
        self.typed_with(Vec::new())
    }
}

impl<S, T> FromRequest<S> for Checked<T>
where
    S: Send + Sync,
    T: utoipa::ToSchema + DeserializeOwned + 'static,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let raw = match Json::<Value>::from_request(req, state).await {
            Ok(Json(v)) => v,
            Err(e) => {
                let status = e.status();
                let code = match status {
                    StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    _ => "malformed_json",
                };
                return Err(ApiError::new(status, code, e.body_text()));
            }
        };
        let problems = problems_of::<T>(&raw)?;
        Ok(Self {
            raw,
            problems,
            _t: PhantomData,
        })
    }
}

/// `value` with every number that is a whole number written as a float
/// (`60.0`) made an integer: JSON Schema counts it as one (the schema check
/// accepted it), serde's integers do not.
fn integral(value: Value) -> Value {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            #[allow(clippy::cast_possible_truncation, clippy::float_cmp)]
            Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(a) => Value::Array(a.into_iter().map(integral).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, integral(v))).collect()),
        v => v,
    }
}

/// Typed query parameters; a value that is not of its parameter's type is
/// 400 `bad_query`.
#[derive(Debug)]
pub(crate) struct Params<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for Params<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(q)) => Ok(Self(q)),
            Err(e) => Err(ApiError::bad_request("bad_query", e.body_text())),
        }
    }
}

/// The credential a request carries.
///
/// # Errors
/// 401 when it carries none or a malformed one.
pub(crate) fn credential(parts: &Parts) -> Result<Credential<'_>, ApiError> {
    if let Some(key) = parts.headers.get("x-api-key") {
        let key = key
            .to_str()
            .map_err(|_| keys::unauthorized("the X-API-Key header is not valid text"))?;
        return Ok(Credential::ApiKey(key));
    }
    if let Some(h) = parts.headers.get(axum::http::header::AUTHORIZATION) {
        let h = h
            .to_str()
            .map_err(|_| keys::unauthorized("the Authorization header is not valid text"))?;
        let Some(token) = h.strip_prefix("Bearer ").map(str::trim) else {
            return Err(keys::unauthorized(
                "the Authorization header must be `Bearer <JWT>`",
            ));
        };
        return Ok(Credential::Bearer(token));
    }
    Err(keys::unauthorized(
        "send an API key in the X-API-Key header (create one with `passforge keys create`) or a bearer JWT",
    ))
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(p) = parts.extensions.get::<Self>() {
            return Ok(p.clone());
        }
        let p = keys::authenticate(credential(parts)?, state).await?;
        parts.extensions.insert(p.clone());
        Ok(p)
    }
}

impl<S, T> axum::extract::OptionalFromRequest<S> for Checked<T>
where
    S: Send + Sync,
    T: utoipa::ToSchema + DeserializeOwned + 'static,
{
    type Rejection = ApiError;

    /// No body (no `Content-Type`) or a JSON `null` is `None`; anything
    /// else is checked.
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .is_none()
        {
            return Ok(None);
        }
        let checked = <Self as FromRequest<S>>::from_request(req, state).await?;
        Ok((!checked.raw.is_null()).then_some(checked))
    }
}
