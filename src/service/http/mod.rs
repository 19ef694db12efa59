//! The HTTP edge: the only code that names axum or tower. It builds the
//! router from one table of routes (each handler with its
//! `#[utoipa::path]`, registered through `utoipa_axum`, so that a route and
//! its documentation cannot exist one without the other), authenticates
//! and rate-limits every `/v1` request in one guard, turns bodies and
//! queries into typed values with every problem located, calls `domain`,
//! and writes answers (problem+json for errors).

pub(crate) mod extract;
mod idempotency;
pub(crate) mod openapi;
pub(crate) mod problem;
pub(crate) mod routes;

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use utoipa_axum::router::OpenApiRouter;

use crate::service::domain::keys;
use crate::service::error::ApiError;
use crate::service::state::AppState;

/// Largest request body accepted (JSON); template uploads and batches have
/// their own limits.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long one request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The route table: every route with its documentation, and (given the
/// state they need) the layers of the `/v1` routes: the guard and
/// idempotency. The document needs no state: layers document nothing.
pub(crate) fn table(state: Option<&AppState>) -> OpenApiRouter<AppState> {
    let mut v1 = OpenApiRouter::new()
        .merge(routes::system::v1())
        .merge(routes::templates::routes())
        .merge(routes::passes::routes())
        .merge(routes::redemptions::routes())
        .merge(routes::jobs::routes())
        .merge(routes::links::routes())
        .merge(routes::link_keys::routes())
        .merge(routes::connections::routes())
        .merge(routes::users::routes())
        .merge(routes::webhooks::routes());
    #[cfg(feature = "preview")]
    {
        v1 = v1.merge(routes::preview::routes());
    }
    if let Some(state) = state {
        v1 = v1
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                idempotency::idempotency,
            ))
            .route_layer(middleware::from_fn_with_state(state.clone(), guard));
    }
    OpenApiRouter::with_openapi(openapi::base())
        .nest("/v1", v1)
        .nest("/apple", routes::apple::routes())
        .merge(routes::system::routes())
        .merge(routes::docs::routes())
        .merge(routes::scan_page::routes())
        .merge(routes::templates::assets())
        .merge(routes::links::pages())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (router, _) = table(Some(&state)).split_for_parts();
    router
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves [`router`] on `listener` until `shutdown` resolves, then
/// finishes the requests in flight.
///
/// # Errors
/// IO errors of the listener.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "no such route; the API is described at /openapi.json and /docs",
    )
}

/// Authenticates every `/v1` request and applies the rate limit of its
/// credential, adding the rate-limit headers to the answer.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let principal = match extract::credential(&parts) {
        Ok(c) => keys::authenticate(c, &state).await,
        Err(e) => Err(e),
    };
    let principal = match principal {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    // The route matched (its template), wherever an app nests this router.
    let me_route = parts
        .extensions
        .get::<MatchedPath>()
        .map_or_else(|| parts.uri.path(), MatchedPath::as_str)
        .contains("/v1/me/");
    if principal.user_id.is_some() && !me_route {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "user_token",
            "a user token reaches only /v1/me/passes, /v1/me/passes/{id}/download and /v1/me/connections",
        )
        .into_response();
    }
    let decision = state.inner.limiter.check(&principal.id);
    let headers = decision.headers();
    if !decision.allowed {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many requests for this credential; retry in {} s",
                decision.retry_after_secs
            ),
        );
        for (k, v) in headers {
            e = e.with_header(k, v);
        }
        return e.into_response();
    }
    parts.extensions.insert(principal);
    let mut res = next.run(Request::from_parts(parts, body)).await;
    for (k, v) in headers {
        res.headers_mut().insert(k, v);
    }
    res
}

/// Counts requests by route and status, and logs each one with its id.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    // Every log line of the request carries its id (the span's field).
    let span = tracing::info_span!("request", request_id = %id);
    let res = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let _entered = span.enter();
    let secs = start.elapsed().as_secs_f64();
    let status = res.status().as_u16();
    state.inner.metrics.record(&method, &route, status, secs);
    tracing::info!(request_id = %id, %method, %route, status, ms = secs * 1000.0, "request");
    res
}
