//! The HTTP service: in-process with `oneshot`, and over a real listener.
//! Runs on SQLite temp files, or on PostgreSQL when
//! `PASSFORGE_TEST_DATABASE_URL` is set (every test then uses its own
//! serial numbers and user ids, so they share one database).
//!
//! This module is the one harness (instances, requests, the local
//! stand-ins for webhook receivers, APNs and Google) that the feature
//! files below share.

mod apns;
mod contract;
mod distribution;
mod docs;
mod door;
mod google;
mod jobs;
mod links;
mod passes;
mod personalize;
#[cfg(feature = "preview")]
mod preview;
mod reliability;
mod signed;
mod smartlinks;
mod templates;
mod users;
mod webhooks;

use std::path::{Path, PathBuf};

use axum::body::Body as HttpBody;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use passforge::google::{test_service_account, GoogleConfig, IssuerId};
use passforge::service::{create_key, Scope};
use passforge::service::{
    router, ApnsConfig, AppState, JwtAuth, RateLimit, ServiceConfig, Store, WebhookConfig,
};
use serde_json::{json, Value};
use tower::ServiceExt as _;

use crate::support::{
    copy_dir, google_claims, own_verify, passforge_env, root, shared_validate_google,
    shared_verify, stderr, stdout, write_template, zip_member,
};

const JWT_SECRET: &[u8] = b"test-only-jwt-secret-0123456789abcdef";

/// A value bound into [`Harness::db_execute`]'s statement.
enum DbArg {
    Text(String),
    Int(i64),
}

/// A retry queue whose state tests wait on.
#[derive(Clone, Copy)]
enum Queue {
    Pushes,
    GoogleUpdates,
}

struct Harness {
    state: AppState,
    _dir: tempfile::TempDir,
    dir: PathBuf,
    db_url: String,
}

/// The database for a test: this run's schema on
/// `PASSFORGE_TEST_DATABASE_URL` ([`postgres_url`]) or a fresh SQLite file.
async fn database_url(dir: &Path) -> String {
    match postgres_url().await {
        Some(url) => url,
        None => format!("sqlite://{}", dir.join("passforge.db").display()),
    }
}

/// This run's schema on `PASSFORGE_TEST_DATABASE_URL`, made on first use.
static POSTGRES: tokio::sync::OnceCell<Option<String>> = tokio::sync::OnceCell::const_new();

/// `PASSFORGE_TEST_DATABASE_URL` in a schema of this run's own (`it_<unix
/// seconds>_<random>`, made on first use): the service tests of one run
/// share it, each with its own serial numbers and user ids, and none sees
/// what an earlier run left there (webhook endpoints whose receivers are
/// gone would otherwise get every new pass's events, queued ahead of this
/// run's, and a second run on one database failed its webhook tests).
/// Earlier runs' schemas more than a day old are dropped.
async fn postgres_url() -> Option<String> {
    POSTGRES
        .get_or_init(|| async {
            let url = std::env::var("PASSFORGE_TEST_DATABASE_URL")
                .ok()
                .filter(|u| !u.is_empty())?;
            Some(run_schema(&url).await)
        })
        .await
        .clone()
}

/// Makes this run's schema on `url` (and drops day-old ones); its URL.
async fn run_schema(url: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let pool = sqlx::postgres::PgPool::connect(url)
        .await
        .expect("PostgreSQL at PASSFORGE_TEST_DATABASE_URL");
    let earlier: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'it\\_%'")
            .fetch_all(&pool)
            .await
            .expect("schemas");
    for (name,) in earlier {
        let made = name
            .split('_')
            .nth(1)
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(now);
        if now.saturating_sub(made) > 24 * 3600 {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA \"{name}\" CASCADE"
            )))
            .execute(&pool)
            .await
            .expect("drop an old run's schema");
        }
    }
    let schema = format!(
        "it_{now}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .expect("this run's schema");
    pool.close().await;
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// The value of the sample `series` (a metric's name with its labels, as
/// `/metrics` writes it) in `state`'s metrics.
fn metric(state: &AppState, series: &str) -> u64 {
    let text = state.inner.metrics.render();
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in {text}"))
}

/// Webhook settings for tests: loopback receivers allowed, retries in
/// a fraction of a second.
fn fast_webhooks() -> WebhookConfig {
    WebhookConfig {
        allow_private_networks: true,
        retry_schedule: vec![std::time::Duration::from_millis(300); 5],
        poll_interval: std::time::Duration::from_millis(50),
        timeout: std::time::Duration::from_secs(5),
        ..WebhookConfig::default()
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn test_config(rate_limit: RateLimit) -> ServiceConfig {
    let mut config = ServiceConfig::new(
        "http://127.0.0.1:8080",
        passforge::apple::test_identity::load().expect("test identity"),
    );
    config.web_service_url = Some("http://127.0.0.1:8080/apple".into());
    config.google = Some(GoogleConfig {
        issuer_id: IssuerId::parse(test_service_account::ISSUER_ID).expect("issuer"),
        service_account: test_service_account::load().expect("account"),
        origins: Vec::new(),
        public_url: Some("http://127.0.0.1:8080".into()),
    });
    config.jwt = Some(JwtAuth::hs256(JWT_SECRET));
    config.rate_limit = rate_limit;
    config.webhooks = fast_webhooks();
    // Only the tests with a stand-in send pushes and Google updates: on a
    // shared PostgreSQL database any instance's sender would take them.
    config.google_api = passforge::service::GoogleApiConfig {
        enabled: false,
        base_url: "http://127.0.0.1:9".into(),
        token_url: "http://127.0.0.1:9/token".into(),
        retry_schedule: vec![std::time::Duration::from_millis(100); 2],
        poll_interval: std::time::Duration::from_millis(50),
        timeout: std::time::Duration::from_secs(5),
    };
    config.apns = ApnsConfig {
        enabled: false,
        base_url: "https://127.0.0.1:9".into(),
        retry_schedule: vec![std::time::Duration::from_millis(200); 4],
        poll_interval: std::time::Duration::from_millis(50),
        ..ApnsConfig::default()
    };
    config
}

/// Another service instance on the database at `url`, with the example templates.
async fn instance(url: &str) -> AppState {
    let store = Store::connect(url).await.expect("database");
    AppState::new(
        store,
        &root().join("templates"),
        test_config(RateLimit::default()),
    )
}

/// A harness; with a templates folder of its own it runs on SQLite (on a
/// shared PostgreSQL database other tests' instances, serving other
/// folders, would take its batch chunks).
async fn harness_with(templates: Option<&Path>, rate_limit: RateLimit) -> Harness {
    harness_on(templates, rate_limit, templates.is_some()).await
}

/// The database URLs a test that must cover both backends runs on: SQLite
/// always, PostgreSQL too when `PASSFORGE_TEST_DATABASE_URL` is set.
fn backends() -> Vec<bool> {
    match std::env::var("PASSFORGE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => vec![true, false],
        _ => vec![true],
    }
}

/// A harness; `sqlite` forces a SQLite file even when a PostgreSQL URL is set.
async fn harness_on(templates: Option<&Path>, rate_limit: RateLimit, sqlite: bool) -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().to_path_buf();
    let db_url = if sqlite {
        format!("sqlite://{}", path.join("passforge.db").display())
    } else {
        database_url(&path).await
    };
    let store = Store::connect(&db_url).await.expect("database");
    let templates = templates.map_or_else(|| root().join("templates"), Path::to_path_buf);
    Harness {
        state: AppState::new(store, &templates, test_config(rate_limit)),
        _dir: dir,
        dir: path,
        db_url,
    }
}

/// A rate limit tests that poll never reach.
fn generous() -> RateLimit {
    RateLimit {
        per_minute: 60_000,
        burst: 10_000,
    }
}

async fn harness() -> Harness {
    harness_with(None, generous()).await
}

impl Harness {
    /// Waits until nothing of `pass` is queued or in flight in `queue`
    /// (`pushes` or `google_updates`): every item was sent, retried to its
    /// end, or dropped, so no more requests for it will reach a stand-in.
    /// Read from the database itself, as an outside observer.
    async fn drained(&self, queue: Queue, pass: &str) {
        let table = match queue {
            Queue::Pushes => "pushes",
            Queue::GoogleUpdates => "google_updates",
        };
        let pool = sqlx::AnyPool::connect(&self.db_url)
            .await
            .expect("database");
        let sql = format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE pass_id = $1 AND status IN ('pending', 'sending')"
        );
        for _ in 0..400 {
            let n: i64 = sqlx::Row::get(
                &sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .bind(pass.to_owned())
                    .fetch_one(&pool)
                    .await
                    .expect("count"),
                "n",
            );
            if n == 0 {
                pool.close().await;
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("{table} of pass {pass} never drained");
    }

    /// Runs one statement on the test's database as something outside the
    /// service would (an instance that died holding a claim, a clock that
    /// moved on); the rows it changed.
    async fn db_execute(&self, sql: &'static str, args: Vec<DbArg>) -> u64 {
        let pool = sqlx::AnyPool::connect(&self.db_url)
            .await
            .expect("database");
        let mut q = sqlx::query(sql);
        for a in args {
            q = match a {
                DbArg::Text(t) => q.bind(t),
                DbArg::Int(i) => q.bind(i),
            };
        }
        let n = q.execute(&pool).await.expect("statement").rows_affected();
        pool.close().await;
        n
    }

    /// How many items of `pass` wait in `queue` (see [`Harness::drained`]).
    async fn queued(&self, queue: Queue, pass: &str) -> i64 {
        let table = match queue {
            Queue::Pushes => "pushes",
            Queue::GoogleUpdates => "google_updates",
        };
        self.count(
            format!("SELECT COUNT(*) AS n FROM {table} WHERE pass_id = $1 AND status = 'pending'"),
            pass,
        )
        .await
    }

    /// The `n` that `sql` (one `$1` argument: `arg`) selects on this
    /// harness's database, read as an outside observer.
    async fn count(&self, sql: String, arg: &str) -> i64 {
        let pool = sqlx::AnyPool::connect(&self.db_url)
            .await
            .expect("database");
        let n = sqlx::Row::get(
            &sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(arg.to_owned())
                .fetch_one(&pool)
                .await
                .expect("count"),
            "n",
        );
        pool.close().await;
        n
    }

    async fn key(&self, scopes: &[Scope]) -> String {
        create_key(&self.state.inner.store, "test", scopes)
            .await
            .expect("key")
            .token
            .expose()
            .to_owned()
    }

    async fn send(
        &self,
        method: Method,
        uri: &str,
        auth: Option<(&str, &str)>,
        body: Option<Value>,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some((name, value)) = auth {
            req = req.header(name, value);
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(HttpBody::from(serde_json::to_vec(&b).expect("json"))),
            None => req.body(HttpBody::empty()),
        }
        .expect("request");
        let res = router(self.state.clone())
            .oneshot(req)
            .await
            .expect("answer");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (status, headers, bytes.to_vec())
    }

    async fn json(
        &self,
        method: Method,
        uri: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (status, headers, bytes) = self.send(method, uri, Some(("x-api-key", key)), body).await;
        let v = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!("{uri}: not JSON ({e}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                headers
                    .get(header::CONTENT_TYPE)
                    .map(|h| h.to_str().unwrap_or("")),
                Some("application/problem+json"),
                "{uri}: errors are problem+json"
            );
            assert_eq!(v["status"], status.as_u16(), "{v}");
        }
        assert!(headers.contains_key("x-request-id"), "{uri}: request id");
        (status, v)
    }
}

fn ticket(serial: &str, user: &str) -> Value {
    json!({
        "templateId": "event-ticket",
        "serialNumber": serial,
        "userId": user,
        "customFields": {
            "attendee": {"value": "Ada Lovelace", "label": "GUEST"},
            "seat": "A1",
            "doorsOpen": "2027-06-12T19:00:00+01:00"
        },
        "relevantDate": "2027-06-12T18:00:00+01:00"
    })
}

fn write_pkpass(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write pkpass");
    p
}

// ---- webhooks ----

/// A local webhook receiver: records every request and answers with the
/// scripted statuses (then 200).
/// Requests a receiver got: headers and body.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

#[derive(Clone, Default)]
struct Receiver {
    got: Received,
    script: std::sync::Arc<std::sync::Mutex<std::collections::VecDeque<u16>>>,
    /// Only requests whose body contains this consume the script (on a
    /// shared PostgreSQL database other tests' events arrive too).
    marker: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Receiver {
    async fn start() -> (Self, String, tokio::sync::oneshot::Sender<()>) {
        let me = Self::default();
        let app = axum::Router::new()
            .route(
                "/hook",
                axum::routing::post(
                    |axum::extract::State(r): axum::extract::State<Self>,
                     headers: HeaderMap,
                     body: axum::body::Bytes| async move {
                        r.got.lock().expect("lock").push((headers, body.to_vec()));
                        let marker = r.marker.lock().expect("lock").clone();
                        let ours = String::from_utf8_lossy(&body).contains(&marker);
                        let code = if ours {
                            r.script.lock().expect("lock").pop_front().unwrap_or(200)
                        } else {
                            200
                        };
                        StatusCode::from_u16(code).expect("status")
                    },
                ),
            )
            .with_state(me.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("receiver");
        });
        (me, url, stop)
    }

    /// The next requests whose body contains `marker` get `codes`.
    fn answer(&self, marker: &str, codes: &[u16]) {
        *self.marker.lock().expect("lock") = marker.to_owned();
        self.script.lock().expect("lock").extend(codes);
    }

    /// Requests whose event satisfies `keep` (other tests may share a
    /// PostgreSQL database and its endpoints).
    fn events(&self, keep: &dyn Fn(&Value) -> bool) -> Vec<(HeaderMap, Value)> {
        self.got
            .lock()
            .expect("lock")
            .iter()
            .map(|(h, b)| {
                (
                    h.clone(),
                    serde_json::from_slice::<Value>(b).expect("json body"),
                )
            })
            .filter(|(_, v)| keep(v))
            .collect()
    }

    async fn wait(&self, n: usize, keep: &dyn Fn(&Value) -> bool) -> Vec<(HeaderMap, Value)> {
        for _ in 0..300 {
            let got = self.events(keep);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver got {} of {n} expected requests",
            self.events(keep).len()
        );
    }
}

/// Serves `state` on a port of its own (the webhook worker runs with it).
fn serve(
    state: &AppState,
) -> (
    tokio::task::JoinHandle<std::io::Result<()>>,
    tokio::sync::oneshot::Sender<()>,
) {
    let (_, task, stop) = serve_std(state);
    (task, stop)
}

/// A new event ticket through `h`'s API (201 asserted).
async fn created_ticket(h: &Harness, key: &str, prefix: &str) -> Value {
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            key,
            Some(ticket(&unique(prefix), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    p
}

/// A GET over a real socket (with an API key when given): the status, the
/// answer's head (lower case) and its body bytes.
async fn raw_get(
    addr: std::net::SocketAddr,
    path: &str,
    key: Option<&str>,
) -> (u16, String, Vec<u8>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let key = key
        .map(|k| format!("x-api-key: {k}\r\n"))
        .unwrap_or_default();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: test\r\n{key}Connection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.expect("read");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    (status, head, raw[end + 4..].to_vec())
}

/// Serves `state` on a loopback port of its own, for a client outside the
/// test (a browser): the address, the server task and its stop signal.
fn serve_std(
    state: &AppState,
) -> (
    std::net::SocketAddr,
    tokio::task::JoinHandle<std::io::Result<()>>,
    tokio::sync::oneshot::Sender<()>,
) {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let addr = std_listener.local_addr().expect("addr");
    let state = state.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let listener = tokio::net::TcpListener::from_std(std_listener)?;
        passforge::service::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
    });
    (addr, task, stop)
}

/// Checks both signatures of a delivery independently (HMAC-SHA256 by
/// OpenSSL, as the Standard Webhooks specification describes it).
fn assert_signed(headers: &HeaderMap, body: &[u8], secret: &str) {
    use base64::Engine as _;
    // Standard Webhooks: the base64 after whsec_; a client's secret without
    // the prefix is its own bytes.
    let key = match secret.strip_prefix("whsec_") {
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("base64 secret"),
        None => secret.as_bytes().to_vec(),
    };
    let hmac = |data: &[u8]| {
        let pkey = openssl::pkey::PKey::hmac(&key).expect("key");
        let mut s = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &pkey)
            .expect("signer");
        s.update(data).expect("update");
        s.sign_to_vec().expect("sign")
    };
    let id = headers["webhook-id"].to_str().expect("id");
    let ts = headers["webhook-timestamp"].to_str().expect("ts");
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().expect("unix seconds");
    assert!((0..300).contains(&age), "timestamp is fresh: {age}");
    let signed = [id.as_bytes(), b".", ts.as_bytes(), b".", body].concat();
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(hmac(&signed))
    );
    let sigs = headers["webhook-signature"].to_str().expect("sig");
    assert!(
        sigs.split(' ').any(|s| s == expected),
        "{sigs} vs {expected}"
    );
    let plain: String = hmac(body).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        headers["x-passforge-signature"].to_str().expect("sig"),
        format!("sha256={plain}")
    );
}

async fn subscribe(h: &Harness, admin: &str, url: &str, events: &[&str]) -> (String, String) {
    let (status, w) = h
        .json(
            Method::POST,
            "/v1/webhooks",
            admin,
            Some(json!({"url": url, "events": events, "description": "test"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{w}");
    (
        w["id"].as_str().expect("id").to_owned(),
        w["secret"].as_str().expect("secret").to_owned(),
    )
}

/// The endpoint's deliveries once none is pending or in flight.
async fn settled_deliveries(h: &Harness, hook: &str, admin: &str) -> Value {
    let uri = format!("/v1/webhooks/{hook}/deliveries?limit=100");
    for _ in 0..200 {
        let (_, d) = h.json(Method::GET, &uri, admin, None).await;
        let settled = d["data"]
            .as_array()
            .expect("data")
            .iter()
            .all(|d| d["status"] != "delivering" && d["status"] != "pending");
        if settled {
            return d;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("deliveries never settled");
}

// ---- template upload ----

/// A zip of a folder's files under `prefix/` (how a designer zips a folder).
fn zip_folder(dir: &Path, prefix: &str) -> Vec<u8> {
    use std::io::Write as _;
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let e = e.expect("entry");
            let name = format!("{rel}{}", e.file_name().to_string_lossy());
            if e.file_type().expect("type").is_dir() {
                stack.push((e.path(), format!("{name}/")));
            } else {
                z.start_file(
                    format!("{prefix}{name}"),
                    zip::write::SimpleFileOptions::default(),
                )
                .expect("start");
                z.write_all(&std::fs::read(e.path()).expect("read"))
                    .expect("write");
            }
        }
    }
    z.finish().expect("zip").into_inner()
}

/// Every name in the templates folder, hidden ones included.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

async fn put_zip(h: &Harness, key: &str, id: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(Method::PUT)
        .uri(format!("/v1/templates/{id}"))
        .header("x-api-key", key)
        .header(header::CONTENT_TYPE, "application/zip")
        .body(HttpBody::from(body))
        .expect("request");
    let res = router(h.state.clone()).oneshot(req).await.expect("answer");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

// ---- Apple: PassKit web service and APNs against ../shared/apns/fake_apns.py ----

const PASS_TYPE_ID: &str = "pass.com.example.passforge";

/// `../shared/apns/fake_apns.py` on a free port, trusting certs-example's
/// stand-in WWDR CA for client certificates, with a server certificate
/// for 127.0.0.1 from a CA made for this test.
struct FakeApns {
    child: std::process::Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl FakeApns {
    fn start(script: &Value) -> Option<Self> {
        Self::start_with(script, &[])
    }

    /// Starts the fake with extra arguments; `{dir}` in them is the fake's folder.
    fn start_with(script: &Value, extra: &[&str]) -> Option<Self> {
        let fake = crate::support::shared_path("apns/fake_apns.py")?;
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        let openssl = |args: &[&str]| {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(d)
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        openssl(&[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=fake APNs test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:true",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        openssl(&[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        )
        .expect("ext");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.pem",
        ]);
        std::fs::write(
            d.join("script.json"),
            serde_json::to_vec(script).expect("json"),
        )
        .expect("script");
        let child = std::process::Command::new(
            std::env::var("FAKE_APNS_PYTHON").unwrap_or_else(|_| "python3".into()),
        )
        .arg(&fake)
        .args([
            "--cert",
            "server.pem",
            "--key",
            "server.key",
            "--port",
            "0",
            "--port-file",
            "port",
            "--log",
            "requests.jsonl",
            "--stats",
            "stats.json",
            "--script",
            "script.json",
            "--exit-on-stdin-eof",
            "--max-lifetime",
            "300",
        ])
        .args(if extra.contains(&"--token-auth") {
            Vec::new()
        } else {
            vec![
                "--client-ca".to_owned(),
                root()
                    .join("certs-example/wwdr-ca.pem")
                    .display()
                    .to_string(),
            ]
        })
        .args(
            extra
                .iter()
                .map(|a| a.replace("{dir}", &d.display().to_string())),
        )
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start fake_apns.py");
        let mut me = Self {
            child,
            dir,
            port: 0,
        };
        for _ in 0..200 {
            if let Ok(p) = std::fs::read_to_string(me.dir.path().join("port")) {
                me.port = p.trim().parse().expect("port");
                return Some(me);
            }
            if let Ok(Some(status)) = me.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = me.child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                panic!("fake_apns.py exited with {status}: {err} (it needs `pip install h2`)");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("fake_apns.py did not start");
    }

    fn config(&self) -> ApnsConfig {
        ApnsConfig {
            base_url: format!("https://127.0.0.1:{}", self.port),
            ca_pem: Some(std::fs::read(self.dir.path().join("ca.pem")).expect("ca")),
            retry_schedule: vec![std::time::Duration::from_millis(200); 4],
            poll_interval: std::time::Duration::from_millis(50),
            ..ApnsConfig::default()
        }
    }

    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            // The last line may be half-written while the fake appends it.
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    fn for_token(&self, token: &str) -> Vec<Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["token"] == token)
            .collect()
    }

    async fn wait(&self, token: &str, n: usize) -> Vec<Value> {
        for _ in 0..300 {
            let got = self.for_token(token);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let stats = self.stats();
        panic!(
            "fake APNs got {} of {n} pushes for {token}; connections {}, TLS failures {}, by status {}, by reason {}; first connection: {}",
            self.for_token(token).len(),
            stats["connections"],
            stats["tls_failures"],
            stats["by_status"],
            stats["by_reason"],
            stats["connection_details"][0]["error"]
        );
    }

    fn stats(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.dir.path().join("stats.json")).expect("stats"))
            .expect("json")
    }
}

impl Drop for FakeApns {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn device_token(n: u32) -> String {
    format!("{n:064x}")
}

async fn apns_harness(fake: &FakeApns) -> Harness {
    apns_harness_with(fake, &root().join("templates")).await
}

/// APNs tests run on SQLite: each has its own stand-in, and on a shared
/// PostgreSQL database another test's sender would take its pushes.
async fn apns_harness_with(fake: &FakeApns, templates: &Path) -> Harness {
    let h = harness_on(None, generous(), true).await;
    let mut config = test_config(generous());
    config.apns = fake.config();
    let store = Store::connect(&h.db_url).await.expect("database");
    Harness {
        state: AppState::new(store, templates, config),
        ..h
    }
}

/// Sends a PassKit web service request with `ApplePass <token>` (if any).
async fn apple(
    h: &Harness,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
    extra: Option<(&str, &str)>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("ApplePass {t}"));
    }
    if let Some((k, v)) = extra {
        req = req.header(k, v);
    }
    let req = req
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.map_or_else(HttpBody::empty, |b| HttpBody::from(b.to_string())))
        .expect("request");
    let res = router(h.state.clone()).oneshot(req).await.expect("answer");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

/// Creates a pass through the API; returns (id, serial, authenticationToken).
async fn issued_pass(h: &Harness, key: &str) -> (String, String, String) {
    let serial = unique("APPLE");
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            key,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    let id = pass["id"].as_str().expect("id").to_owned();
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", key)),
            None,
        )
        .await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["webServiceURL"], "http://127.0.0.1:8080/apple");
    let token = pj["authenticationToken"]
        .as_str()
        .expect("token")
        .to_owned();
    (id, serial, token)
}

fn registration(device: &str, serial: &str) -> String {
    format!("/apple/v1/devices/{device}/registrations/{PASS_TYPE_ID}/{serial}")
}

// ---- Google Wallet updates against a local stand-in ----

/// One call to the fake Google API: method, path, Authorization, body.
type GoogleCall = (String, String, String, Value);

#[derive(Clone, Default)]
struct FakeGoogle {
    calls: std::sync::Arc<std::sync::Mutex<Vec<GoogleCall>>>,
    tokens: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    missing: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl FakeGoogle {
    async fn start() -> (Self, String) {
        let me = Self::default();
        let app = axum::Router::new()
            .route(
                "/token",
                axum::routing::post(|axum::extract::State(g): axum::extract::State<Self>, body: String| async move {
                    let form: std::collections::HashMap<String, String> = body
                        .split('&')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.to_owned(), v.replace("%3A", ":")))
                        .collect();
                    assert_eq!(form["grant_type"], "urn:ietf:params:oauth:grant-type:jwt-bearer");
                    let claims = google_assertion_claims(&form["assertion"]);
                    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/wallet_object.issuer");
                    let n = g.tokens.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    axum::Json(json!({"access_token": format!("tok-{n}"), "expires_in": 3600, "token_type": "Bearer"}))
                }),
            )
            .route(
                "/walletobjects/v1/{*rest}",
                axum::routing::any(
                    |axum::extract::State(g): axum::extract::State<Self>,
                     method: Method,
                     uri: axum::http::Uri,
                     headers: HeaderMap,
                     body: String| async move {
                        let auth = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).unwrap_or("").to_owned();
                        let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                        let path = uri.path().to_owned();
                        g.calls.lock().expect("lock").push((method.to_string(), path.clone(), auth, body.clone()));
                        if g.missing.lock().expect("lock").iter().any(|m| path.contains(m.as_str())) {
                            return (StatusCode::NOT_FOUND, axum::Json(json!({"error": {"code": 404}})));
                        }
                        (StatusCode::OK, axum::Json(body))
                    },
                ),
            )
            .with_state(me.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("fake google") });
        (me, base)
    }

    fn calls_for(&self, object: &str) -> Vec<GoogleCall> {
        self.calls
            .lock()
            .expect("lock")
            .iter()
            .filter(|c| c.1.contains(object))
            .cloned()
            .collect()
    }

    async fn wait(&self, object: &str, n: usize) -> Vec<GoogleCall> {
        for _ in 0..200 {
            let c = self.calls_for(object);
            if c.len() >= n {
                return c;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!(
            "fake Google got {} of {n} calls for {object}",
            self.calls_for(object).len()
        );
    }
}

/// The claims of a token-request assertion, checked against the test
/// service account's public key.
fn google_assertion_claims(jwt: &str) -> Value {
    let sa: Value = serde_json::from_slice(
        &std::fs::read(root().join("certs-example/google-service-account.json")).expect("read"),
    )
    .expect("json");
    let key = openssl::pkey::PKey::private_key_from_pem(
        sa["private_key"].as_str().expect("pem").as_bytes(),
    )
    .expect("key");
    let public = key.public_key_to_pem().expect("public");
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_aud = false;
    jsonwebtoken::decode::<Value>(
        jwt,
        &jsonwebtoken::DecodingKey::from_rsa_pem(&public).expect("dk"),
        &v,
    )
    .expect("the assertion is signed by the service account")
    .claims
}
