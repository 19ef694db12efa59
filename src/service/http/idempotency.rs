//! `Idempotency-Key` on POST: the first answer (2xx or 4xx) is stored and
//! replayed for the same key and request; the same key with a different
//! request is 422; while the first request runs, 409. Keys are per
//! credential and remembered for 24 hours. A 5xx answer before any change
//! is not stored, so the client may retry with the same key. The change a
//! request makes records itself on the key in its own transaction (a
//! create with its whole answer), so a crash between commit and answer
//! never runs the request twice.

use axum::body::Body as HttpBody;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::Digest as _;

use crate::service::domain::idempotency::{self, Answer};
use crate::service::domain::keys::{hex, Principal};
use crate::service::error::ApiError;
use crate::service::http::routes::jobs::MAX_BATCH_BODY_BYTES;
use crate::service::state::AppState;

/// Longest accepted Idempotency-Key.
const MAX_KEY_LEN: usize = 255;

/// The middleware (after the guard: the principal is known).
pub(crate) async fn idempotency(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get("idempotency-key") else {
        return next.run(req).await;
    };
    let key = match key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_KEY_LEN => k.to_owned(),
        _ => {
            return ApiError::bad_request(
                "bad_idempotency_key",
                format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters, e.g. a UUID"
            ),
            )
            .into_response()
        }
    };
    let Some(principal) = req.extensions().get::<Principal>().map(|p| p.id.clone()) else {
        return ApiError::internal(&"idempotency layer ran before authentication").into_response();
    };
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BATCH_BODY_BYTES).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {MAX_BATCH_BODY_BYTES} bytes"),
        )
        .into_response();
    };
    let mut h = sha2::Sha256::new();
    h.update(parts.method.as_str().as_bytes());
    h.update(b" ");
    // Nested routers see the path without /v1: hash the path as sent.
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| parts.uri.path().to_owned(), |u| u.path().to_owned());
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(&bytes);
    let hash = hex(&h.finalize());
    match idempotency::claim(&state, &principal, &key, &hash).await {
        Err(e) => return e.into_response(),
        Ok(Some(seen)) if seen.request_hash != hash => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request; use a new key for a new request",
            )
            .into_response()
        }
        Ok(Some(seen)) if seen.status == idempotency::COMMITTED => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_answer_lost",
                "the first request with this Idempotency-Key made its change, but the server stopped before answering; read the result (GET) instead of retrying",
            )
            .into_response()
        }
        Ok(Some(seen)) if seen.status == 0 => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_in_flight",
                "the first request with this Idempotency-Key is still running; retry shortly",
            )
            .into_response()
        }
        Ok(Some(seen)) => return replay(&seen),
        Ok(None) => {}
    }
    let (res, scope) = idempotency::scoped(
        &principal,
        &key,
        next.run(Request::from_parts(parts, HttpBody::from(bytes))),
    )
    .await;
    if scope.committed() && state.inner.config.faults.die_after_commit {
        // A test's stand-in for a process that dies right after the
        // commit: nothing more is stored or sent.
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "injected_fault",
            "the process stopped after committing (a fault a test injected)",
        )
        .into_response();
    }
    let status = res.status();
    // A 5xx before any change commits is forgotten, so a retry runs again;
    // after one, the answer is stored like any other.
    if status.is_server_error() && !scope.committed() {
        if let Err(e) = idempotency::release(&state, &principal, &key).await {
            tracing::warn!(error = %e, "cannot release an idempotency key");
        }
        return res;
    }
    if scope.answered() {
        // Stored with the change, in its transaction.
        return res;
    }
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return ApiError::internal(&e).into_response(),
    };
    let text = |h: header::HeaderName| {
        parts
            .headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let answer = Answer {
        request_hash: hash,
        status: i64::from(status.as_u16()),
        content_type: text(header::CONTENT_TYPE),
        location: text(header::LOCATION),
        body: Some(String::from_utf8_lossy(&bytes).into_owned()),
    };
    if let Err(e) = idempotency::finish(&state, &principal, &key, &answer).await {
        tracing::warn!(error = %e, "cannot store an idempotent answer");
    }
    Response::from_parts(parts, HttpBody::from(bytes))
}

fn replay(seen: &Answer) -> Response {
    let status = u16::try_from(seen.status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, seen.body.clone().unwrap_or_default()).into_response();
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, &seen.content_type),
        (header::LOCATION, &seen.location),
    ] {
        if let Some(v) = value.as_deref().and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(name, v);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}
