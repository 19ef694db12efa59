//! The service's error: what the API answers as RFC 9457
//! `application/problem+json` (`{type, title, status, detail, code,
//! errors: [{pointer, detail}]}`; `http::problem` writes it). Domain
//! operations return it; server errors are logged with their cause and
//! answered without it.

use http::{header, HeaderValue, StatusCode};
use serde::Serialize;

use super::db::{Failure, StoreError};

/// One problem inside a request, located by a JSON pointer into the body
/// (or the name of a query parameter or header).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldProblem {
    /// Where: `/customFields/seat`, `limit`, `X-API-Key`.
    pub pointer: String,
    /// What is wrong and what to do.
    pub detail: String,
}

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `pass_not_found`.
    pub code: &'static str,
    /// Human explanation.
    pub detail: String,
    /// Located problems.
    pub errors: Vec<FieldProblem>,
    /// Extra headers (e.g. `Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl ApiError {
    /// A new error.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// 404 for a missing resource.
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {what} with id {id:?}"),
        )
    }

    /// 422 with located problems.
    pub fn invalid(detail: impl Into<String>, errors: Vec<FieldProblem>) -> Self {
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            )
        }
    }

    /// 400 for a malformed request.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 500: `cause` is logged, never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; the request id in the X-Request-Id header finds it in the log",
        )
    }

    /// Adds a header to the answer.
    #[must_use]
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{what} already exists"),
            ),
            e => match e.failure() {
                Failure::Unavailable => {
                    tracing::warn!(error = %e, "database unavailable");
                    Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "database_unavailable",
                        "the database cannot be reached just now; nothing was changed; retry after the Retry-After seconds",
                    )
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"))
                }
                Failure::Full => {
                    tracing::error!(error = %e, "storage full");
                    Self::new(
                        StatusCode::INSUFFICIENT_STORAGE,
                        "storage_full",
                        "the database has no room for this change; nothing was changed; reads still work (the operator must free space)",
                    )
                    .with_header(header::RETRY_AFTER, HeaderValue::from_static("60"))
                }
                Failure::Other => Self::internal(&e),
            },
        }
    }
}

impl FieldProblem {
    /// A problem at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

impl ApiError {
    /// 422 listing `errors` (`what` names the request: "the request has 2
    /// problem(s)").
    pub fn problems(errors: Vec<FieldProblem>) -> Self {
        Self::invalid(
            format!("the request has {} problem(s); see errors", errors.len()),
            errors,
        )
    }

    /// 409 with a code.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl std::error::Error for ApiError {}
