//! One file per resource: its routes (each a handler with its
//! `#[utoipa::path]`), and its typed request and response structs.

pub(crate) mod apple;
pub(crate) mod connections;
pub(crate) mod docs;
pub(crate) mod jobs;
pub(crate) mod landing;
pub(crate) mod link_keys;
pub(crate) mod links;
pub(crate) mod passes;
#[cfg(feature = "preview")]
pub(crate) mod preview;
pub(crate) mod redemptions;
pub(crate) mod scan_page;
pub(crate) mod system;
pub(crate) mod templates;
pub(crate) mod users;
pub(crate) mod webhooks;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::service::signed::PassBytes;

/// Bytes of another media type (a `.pkpass`, a PNG, a zip) in the API
/// document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub(crate) struct Binary(#[allow(dead_code)] Vec<u8>);

/// Whether a request's page size is allowed.
pub(crate) fn check_limit(
    limit: Option<u32>,
    max: u32,
) -> Result<u32, crate::service::error::ApiError> {
    let limit = limit.unwrap_or(20);
    if limit == 0 || limit > max {
        return Err(crate::service::error::ApiError::problems(vec![
            crate::service::error::FieldProblem::new("limit", format!("must be 1 to {max}")),
        ]));
    }
    Ok(limit)
}

/// An HTTP date (RFC 9110 IMF-fixdate) for Unix milliseconds.
pub(crate) fn http_date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// Whether `If-None-Match` in `headers` is `*` or lists `etag`; `None`
/// without the header.
pub(crate) fn none_match(headers: &HeaderMap, etag: &str) -> Option<bool> {
    headers.get(header::IF_NONE_MATCH).map(|h| {
        h.to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    })
}

/// Whether `If-Modified-Since` in `headers` is at or after `secs`.
pub(crate) fn not_modified_since(headers: &HeaderMap, secs: i64) -> bool {
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|h| h.to_str().ok())
        .and_then(|v| chrono::NaiveDateTime::parse_from_str(v, "%a, %d %b %Y %H:%M:%S GMT").ok())
        .is_some_and(|since| since.and_utc().timestamp() >= secs)
}

/// A `.pkpass` answer.
pub(crate) fn pkpass_answer(bytes: &PassBytes, mut headers: HeaderMap) -> Response {
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.apple.pkpass"),
    );
    let body = axum::body::Body::new(Chunks::new(bytes.chunks()));
    (StatusCode::OK, headers, body).into_response()
}

/// A body of buffers sent in order, its length known (`Content-Length`):
/// a `.pkpass` goes out as its template's shared images and its own bytes,
/// never copied into one buffer.
struct Chunks {
    rest: std::collections::VecDeque<axum::body::Bytes>,
    len: u64,
}

impl Chunks {
    fn new(chunks: impl IntoIterator<Item = axum::body::Bytes>) -> Self {
        let rest: std::collections::VecDeque<_> =
            chunks.into_iter().filter(|c| !c.is_empty()).collect();
        let len = rest.iter().map(|c| c.len() as u64).sum();
        Self { rest, len }
    }
}

impl http_body::Body for Chunks {
    type Data = axum::body::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let next = self.rest.pop_front();
        if let Some(c) = &next {
            self.len -= c.len() as u64;
        }
        std::task::Poll::Ready(next.map(|c| Ok(http_body::Frame::data(c))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.len)
    }
}

/// One page of `rows` fetched with `limit + 1`: at most `limit` rows,
/// whether more follow, and the cursor (`id` of the last row) for the next
/// page.
pub(crate) fn page<T>(
    mut rows: Vec<T>,
    limit: u32,
    id: impl Fn(&T) -> String,
) -> (Vec<T>, bool, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > limit;
    rows.truncate(limit);
    let next = if has_more { rows.last().map(id) } else { None };
    (rows, has_more, next)
}
