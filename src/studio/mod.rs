//! `passforge studio`: a local web page that shows every template of a
//! folder as Wallet shows it (front, back, Google card), for a row of its
//! sample file or values typed into the page, in any of its languages,
//! with every problem located, and redraws within a second of a file being
//! saved. A broken edit keeps the last good version's pictures and shows
//! the errors above them.
//!
//! It reuses the service's template registry (load, last good version,
//! problems, folder watch) and the `preview` renderer. It answers only
//! requests whose `Host` is loopback, so a web page elsewhere cannot reach
//! it through DNS rebinding.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::apple::SigningIdentity;
use crate::google::GoogleConfig;
use crate::issue::{take_serial_number, Issuer, Stamp};
use crate::model::{Diagnostic, Location};
use crate::preview::{preview, Images, Lang};
use crate::service::templates::{TemplateEntry, Templates};
use crate::template::PassOverrides;

/// Most sample rows offered in the page's row picker.
const MAX_ROWS: usize = 50;

/// What the studio serves.
#[derive(Debug)]
pub struct Studio {
    templates: Arc<Templates>,
    identity: SigningIdentity,
    google: Option<GoogleConfig>,
    changes: broadcast::Sender<String>,
    _watcher: Option<notify::RecommendedWatcher>,
}

/// Why the studio cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StudioError {
    /// The folder is not there.
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    /// The folder cannot be watched.
    #[error("cannot watch {path}: {source}")]
    Watch {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: notify::Error,
    },
}

impl Studio {
    /// Loads every template in `dir` and watches it; pictures are signed
    /// (for their ids) with `identity`, Google cards mapped with `google`.
    ///
    /// # Errors
    /// [`StudioError`] when `dir` is not a folder or cannot be watched.
    pub fn open(
        dir: &Path,
        identity: SigningIdentity,
        google: Option<GoogleConfig>,
    ) -> Result<Arc<Self>, StudioError> {
        if !dir.is_dir() {
            return Err(StudioError::NotAFolder(dir.to_path_buf()));
        }
        let templates = Arc::new(Templates::load(dir));
        let (changes, _) = broadcast::channel(64);
        let tx = changes.clone();
        let watcher = templates
            .watch(move |id, _| {
                let _ = tx.send(id.to_owned());
            })
            .map_err(|source| StudioError::Watch {
                path: dir.to_path_buf(),
                source,
            })?;
        Ok(Arc::new(Self {
            templates,
            identity,
            google,
            changes,
            _watcher: Some(watcher),
        }))
    }

    /// The page and its JSON and event routes.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/", axum::routing::get(page))
            .route("/api/templates", axum::routing::get(list))
            .route("/api/templates/{id}", axum::routing::get(show))
            .route("/api/events", axum::routing::get(events))
            .layer(axum::middleware::from_fn(loopback_only))
            .with_state(Arc::clone(self))
    }
}

/// Refuses requests whose `Host` is not loopback (DNS rebinding).
async fn loopback_only(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if is_loopback_host(host) {
        next.run(req).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "passforge studio answers only on 127.0.0.1, [::1] and localhost\n",
        )
            .into_response()
    }
}

/// Whether a `Host` header names this machine.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

async fn page() -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(include_str!("page.html")),
    )
}

/// A template in the list.
#[derive(Debug, Serialize)]
struct Summary {
    id: String,
    /// `ready`, `stale` (the latest edit failed; the last good version is
    /// shown) or `invalid`.
    status: &'static str,
    errors: usize,
    warnings: usize,
}

fn status(e: &TemplateEntry) -> &'static str {
    match (&e.template, e.failed) {
        (Some(_), false) => "ready",
        (Some(_), true) => "stale",
        (None, _) => "invalid",
    }
}

async fn list(State(studio): State<Arc<Studio>>) -> Json<Vec<Summary>> {
    let mut all: Vec<Summary> = studio
        .templates
        .list()
        .iter()
        .map(|e| Summary {
            id: e.id.clone(),
            status: status(e),
            errors: e.problems.iter().filter(|d| d.is_error()).count(),
            warnings: e
                .problems
                .iter()
                .filter(|d| d.severity == crate::model::Severity::Warning)
                .count(),
        })
        .collect();
    all.sort_by(|a, b| a.id.cmp(&b.id));
    Json(all)
}

/// Query of a template's view.
#[derive(Debug, Deserialize)]
struct ShowQuery {
    /// 1-based row of the sample file.
    row: Option<usize>,
    /// A `.lproj` name.
    lang: Option<String>,
    /// Values typed into the page: a JSON object.
    values: Option<String>,
}

/// A problem, located.
#[derive(Debug, Serialize)]
struct Problem {
    severity: String,
    file: String,
    /// `line 3, column 7`, `/eventTicket/primaryFields/0`, or empty.
    at: String,
    code: String,
    message: String,
}

fn problem(d: &Diagnostic) -> Problem {
    Problem {
        severity: d.severity.to_string(),
        file: d.file.clone(),
        at: match &d.location {
            Location::File => String::new(),
            Location::Pointer(p) => p.clone(),
            Location::LineColumn(l, c) => format!("line {l}, column {c}"),
            Location::Line(l) => format!("line {l}"),
        },
        code: d.code.to_owned(),
        message: d.message.clone(),
    }
}

/// The pictures of one row.
#[derive(Debug, Serialize)]
struct Pictures {
    front: String,
    back: String,
    google: Option<String>,
}

/// Everything the page shows of a template.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct View {
    id: String,
    status: &'static str,
    problems: Vec<Problem>,
    /// The sample rows, each as a short label.
    rows: Vec<String>,
    /// The row drawn (1-based), when one of the sample's.
    row: Option<usize>,
    langs: Vec<String>,
    /// The values drawn.
    values: Map<String, Value>,
    /// The pictures (SVG) of the live version: the last good one when the
    /// latest edit failed; none when no version ever loaded.
    pictures: Option<Pictures>,
    /// Why these values make no pass, when they do not.
    render_error: Option<String>,
}

async fn show(
    State(studio): State<Arc<Studio>>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let Some(entry) = studio.templates.get(&id) else {
        return (StatusCode::NOT_FOUND, format!("no template {id:?}\n")).into_response();
    };
    let studio = Arc::clone(&studio);
    match tokio::task::spawn_blocking(move || view(&studio, &entry, &q)).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn label(row: &Map<String, Value>, n: usize) -> String {
    let first: Vec<String> = row
        .values()
        .take(2)
        .map(|v| match v {
            Value::String(s) => s.clone(),
            v => v.to_string(),
        })
        .collect();
    format!("{n}: {}", first.join(", "))
}

fn view(studio: &Studio, entry: &TemplateEntry, q: &ShowQuery) -> View {
    let mut problems: Vec<Problem> = entry.problems.iter().map(problem).collect();
    let samples = match crate::data::sample_rows(&studio.templates.dir().join(&entry.id), MAX_ROWS)
    {
        Ok(rows) => rows,
        Err(e) => {
            problems.push(Problem {
                severity: "error".into(),
                file: "sample".into(),
                at: String::new(),
                code: "sample.unreadable".into(),
                message: e,
            });
            Vec::new()
        }
    };
    let mut out = View {
        id: entry.id.clone(),
        status: status(entry),
        problems,
        rows: samples
            .iter()
            .enumerate()
            .map(|(i, r)| label(r, i + 1))
            .collect(),
        row: None,
        langs: Vec::new(),
        values: Map::new(),
        pictures: None,
        render_error: None,
    };
    let Some(template) = &entry.template else {
        return out;
    };
    out.langs = template.strings().keys().cloned().collect();
    let mut values = match &q.values {
        Some(text) if !text.trim().is_empty() => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                out.render_error = Some("the values must be one JSON object".into());
                return out;
            }
            Err(e) => {
                out.render_error = Some(format!("the values are not JSON: {e}"));
                return out;
            }
        },
        _ => {
            let n = q.row.unwrap_or(1).clamp(1, samples.len().max(1));
            out.row = (!samples.is_empty()).then_some(n);
            samples.get(n - 1).cloned().unwrap_or_default()
        }
    };
    out.values = values.clone();
    let serial = match take_serial_number(&mut values) {
        Ok(s) => s.map_or_else(|| "PREVIEW".to_owned(), |s| s.as_str().to_owned()),
        Err(e) => {
            out.render_error = Some(e.to_string());
            return out;
        }
    };
    let stamp = match Stamp::new(&serial, "studio-authentication-token", chrono::Utc::now()) {
        Ok(s) => s,
        Err(e) => {
            out.render_error = Some(e.to_string());
            return out;
        }
    };
    let issuer = Issuer::new(template, &studio.identity).google(studio.google.as_ref());
    let rendered = match issuer.render(&values, &stamp) {
        Ok(r) => r,
        Err(e) => {
            out.render_error = Some(e.to_string());
            return out;
        }
    };
    let google = issuer
        .google_pass(&values, &stamp, &PassOverrides::default())
        .ok();
    let lang = q.lang.as_deref().and_then(|code| Lang::of(template, code));
    let p = preview(
        &rendered.pass_json,
        &Images::of(template),
        lang,
        google.as_ref(),
    );
    out.pictures = Some(Pictures {
        front: p.front,
        back: p.back,
        google: p.google,
    });
    out
}

/// Server-sent events: `change` with a template id whenever that folder
/// was reloaded (whether or not the edit loaded).
async fn events(State(studio): State<Arc<Studio>>) -> impl IntoResponse {
    let rx = studio.changes.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(id) => {
                    let event = Event::default().event("change").data(id);
                    return Some((Ok::<_, std::convert::Infallible>(event), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn only_loopback_hosts_are_answered() {
        for host in [
            "127.0.0.1:7878",
            "127.0.0.1",
            "localhost:7878",
            "LOCALHOST",
            "[::1]:7878",
            "127.1.2.3:80",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "",
            "evil.example:7878",
            "localhost.evil.example",
            "10.0.0.1:7878",
            "[::2]:7878",
            "0.0.0.0:7878",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }
}
