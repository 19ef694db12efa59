//! `ApiError` as an answer: RFC 9457 `application/problem+json`, with its
//! extra headers. Server errors were logged where they were made and are
//! answered without their cause.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::service::error::{ApiError, FieldProblem};

/// A problem answer (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(format = "uri")]
    ty: String,
    /// The HTTP status's reason phrase.
    title: String,
    /// The HTTP status.
    status: u16,
    /// What went wrong and what to do.
    detail: String,
    /// A stable machine-readable code, e.g. `not_found`,
    /// `validation_failed`, `rate_limited`.
    code: String,
    /// Located problems (422): each with a JSON pointer into the body, or
    /// the name of a query parameter or header.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
}

impl Problem {
    /// The body of `e`.
    pub(crate) fn of(e: &ApiError) -> Self {
        Self {
            ty: format!(
                "https://passforge.dev/problems/{}",
                e.code.replace('_', "-")
            ),
            title: e.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: e.status.as_u16(),
            detail: e.detail.clone(),
            code: e.code.to_owned(),
            errors: e.errors.clone(),
        }
    }
}

/// The media type of problem answers.
pub(crate) const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&Problem::of(&self)).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        for (k, v) in self.headers {
            res.headers_mut().insert(k, v);
        }
        res
    }
}
