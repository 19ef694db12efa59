//! The HTTP service: in-process with `oneshot`, and over a real listener.
//! Runs on SQLite temp files, or on PostgreSQL when
//! `PASSFORGE_TEST_DATABASE_URL` is set (every test then uses its own
//! serial numbers and user ids, so they share one database).

use std::path::{Path, PathBuf};

use axum::body::Body as HttpBody;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use passforge::google::{test_service_account, GoogleConfig, IssuerId};
use passforge::service::auth::{create_key, Scope};
use passforge::service::{
    router, ApnsConfig, AppState, JwtAuth, RateLimit, ServiceConfig, Store, WebhookConfig,
};
use serde_json::{json, Value};
use tower::ServiceExt as _;

use crate::support::{
    google_claims, own_verify, passforge_env, root, shared_validate_google, shared_verify, stderr,
    stdout, write_template, zip_member,
};

const JWT_SECRET: &[u8] = b"test-only-jwt-secret-0123456789abcdef";

struct Harness {
    state: AppState,
    _dir: tempfile::TempDir,
    dir: PathBuf,
    db_url: String,
}

/// The database for a test: `PASSFORGE_TEST_DATABASE_URL` or a fresh SQLite file.
fn database_url(dir: &Path) -> String {
    match std::env::var("PASSFORGE_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => format!("sqlite://{}", dir.join("passforge.db").display()),
    }
}

/// Webhook settings for tests: loopback receivers allowed, retries in
/// a fraction of a second.
fn fast_webhooks() -> WebhookConfig {
    WebhookConfig {
        allow_private_networks: true,
        retry_schedule: vec![std::time::Duration::from_millis(300); 5],
        poll_interval: std::time::Duration::from_millis(50),
        timeout: std::time::Duration::from_secs(5),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn test_config(rate_limit: RateLimit) -> ServiceConfig {
    ServiceConfig {
        public_url: "http://127.0.0.1:8080".into(),
        web_service_url: Some("http://127.0.0.1:8080/apple".into()),
        identity: passforge::apple::test_identity::load().expect("test identity"),
        google: Some(GoogleConfig {
            issuer_id: IssuerId::parse(test_service_account::ISSUER_ID).expect("issuer"),
            service_account: test_service_account::load().expect("account"),
            origins: Vec::new(),
            public_url: Some("http://127.0.0.1:8080".into()),
        }),
        jwt: Some(JwtAuth::hs256(JWT_SECRET)),
        rate_limit,
        webhooks: fast_webhooks(),
        google_callbacks: None,
        // Only the tests with a stand-in send pushes and Google updates: on a
        // shared PostgreSQL database any instance's sender would take them.
        google_api: passforge::service::GoogleApiConfig {
            enabled: false,
            base_url: "http://127.0.0.1:9".into(),
            token_url: "http://127.0.0.1:9/token".into(),
            retry_schedule: vec![std::time::Duration::from_millis(100); 2],
            poll_interval: std::time::Duration::from_millis(50),
            timeout: std::time::Duration::from_secs(5),
        },
        apns: ApnsConfig {
            enabled: false,
            base_url: "https://127.0.0.1:9".into(),
            retry_schedule: vec![std::time::Duration::from_millis(200); 4],
            poll_interval: std::time::Duration::from_millis(50),
            ..ApnsConfig::default()
        },
    }
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
        database_url(&path)
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

#[tokio::test]
async fn create_download_and_google_link_verify() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let serial = unique("SVC");
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    assert_eq!(pass["serialNumber"], serial.as_str());
    assert_eq!(pass["status"], "active");
    assert_eq!(pass["version"], 1);
    assert_eq!(
        pass["customFields"]["section"], "GA",
        "defaults are stored: {pass}"
    );
    let id = pass["id"].as_str().expect("id").to_owned();
    assert!(pass["downloadUrl"]
        .as_str()
        .expect("url")
        .ends_with(&format!("/v1/passes/{id}/download")));

    // The Google link from create validates, and GET /google gives the same object.
    let save = pass["googleSaveUrl"]
        .as_str()
        .expect("google url")
        .to_owned();
    assert!(save.starts_with("https://pay.google.com/gp/v/save/"));
    let claims = google_claims(&save);
    assert_eq!(
        claims["payload"]["eventTicketObjects"][0]["id"],
        format!("{}.{serial}", test_service_account::ISSUER_ID)
    );
    let (status, g) = h
        .json(Method::GET, &format!("/v1/passes/{id}/google"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    shared_validate_google(&[save, g["saveUrl"].as_str().expect("url").to_owned()]);

    // Download: the stored version signed, verified by both checkers.
    let (status, headers, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpass"
    );
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();
    assert!(headers.contains_key(header::LAST_MODIFIED));
    let file = write_pkpass(&h.dir, "svc.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["serialNumber"], serial.as_str());
    assert_eq!(pj["relevantDate"], "2027-06-12T18:00:00+01:00");
    let fields = pj["eventTicket"].to_string();
    assert!(
        fields.contains("\"label\":\"GUEST\""),
        "label override: {fields}"
    );

    // Same version again: byte-identical; conditional GET: 304.
    let (_, _, again) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(again, bytes, "a stored version signs to the same bytes");
    let (status, _, body) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.is_empty());
    let req = Request::builder()
        .uri(format!("/v1/passes/{id}/download"))
        .header("x-api-key", &key)
        .header(header::IF_NONE_MATCH, &etag)
        .body(HttpBody::empty())
        .expect("request");
    let res = router(h.state.clone()).oneshot(req).await.expect("answer");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn update_void_and_delete_make_new_versions() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (_, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&unique("UPD"), &unique("u"))),
        )
        .await;
    let id = pass["id"].as_str().expect("id").to_owned();
    let url = format!("/v1/passes/{id}");

    let (status, updated) = h
        .json(
            Method::PATCH,
            &url,
            &key,
            Some(json!({"customFields": {"seat": "B7", "attendee": {"value": "Grace Hopper", "label": null}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["customFields"]["seat"], "B7");
    assert_eq!(updated["labels"], json!({}), "label override removed");
    let (_, headers, bytes) = h
        .send(
            Method::GET,
            &format!("{url}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(
        headers[header::ETAG].to_str().expect("etag"),
        format!("\"{id}-v2\"")
    );
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert!(pj.to_string().contains("Grace Hopper") && pj.to_string().contains("B7"));

    // An invalid change is refused and the stored version is kept.
    let (status, problem) = h
        .json(
            Method::PATCH,
            &url,
            &key,
            Some(json!({"customFields": {"doorsOpen": "soon"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/customFields/doorsOpen");
    let (_, still) = h.json(Method::GET, &url, &key, None).await;
    assert_eq!(still["version"], 2);

    let (status, voided) = h
        .json(Method::POST, &format!("{url}/void"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(voided["status"], "voided");
    assert_eq!(voided["version"], 3);
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!("{url}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["voided"], true);
    let file = write_pkpass(&h.dir, "voided.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let (_, again) = h
        .json(Method::POST, &format!("{url}/void"), &key, None)
        .await;
    assert_eq!(again["version"], 3, "voiding twice changes nothing");

    let (status, _) = h.json(Method::DELETE, &url, &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = h.json(Method::GET, &url, &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
    let (status, _) = h.json(Method::DELETE, &url, &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_say_where() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"seat": "A1", "doorsOpen": "not a date", "colour": "red"},
                "expirationDate": "tomorrow",
                "extra": 1
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(pointers.contains(&"/extra"), "{p}");
    assert!(pointers.contains(&"/expirationDate"), "{p}");

    // Field problems come from the template's schema, each located.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "event-ticket", "customFields": {"seat": "A1", "doorsOpen": "not a date", "colour": "red"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for expected in [
        "/customFields/attendee",
        "/customFields/doorsOpen",
        "/customFields/colour",
    ] {
        assert!(pointers.contains(&expected), "{expected} in {p}");
    }

    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "nope", "customFields": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["pointer"], "/templateId");

    let serial = unique("DUP");
    let (status, _) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, p) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");

    // Malformed JSON and an unknown route are problems too.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/passes")
        .header("x-api-key", &key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(HttpBody::from("{\"templateId\": "))
        .expect("request");
    let res = router(h.state.clone()).oneshot(req).await.expect("answer");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let (status, _) = h.json(Method::GET, "/v1/nothing", &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.json(Method::GET, "/v1/passes?limit=0", &key, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = h
        .json(Method::GET, "/v1/passes?colour=red", &key, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn credentials_and_scopes() {
    let h = harness().await;
    let reader = h.key(&[Scope::Read]).await;
    let writer = h.key(&[Scope::Write]).await;

    let (status, headers, body) = h.send(Method::GET, "/v1/templates", None, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    let (status, _) = h
        .json(Method::GET, "/v1/templates", "pfk_nothere_secret", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let tampered = format!("{}x", &writer);
    let (status, _) = h.json(Method::GET, "/v1/templates", &tampered, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = h.json(Method::GET, "/v1/templates", &reader, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &reader,
            Some(ticket(&unique("RO"), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(p["code"], "insufficient_scope");

    // Bearer JWTs: scope and exp checked.
    let token = |scope: &str, exp: i64| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({"sub": "app-1", "scope": scope, "exp": exp}),
            &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET),
        )
        .expect("jwt")
    };
    let now = chrono::Utc::now().timestamp();
    let bearer = |t: &str| format!("Bearer {t}");
    let good = bearer(&token("read write", now + 600));
    let (status, _, _) = h
        .send(
            Method::POST,
            "/v1/passes",
            Some(("authorization", &good)),
            Some(ticket(&unique("JWT"), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let read_only = bearer(&token("read", now + 600));
    let (status, _, _) = h
        .send(
            Method::POST,
            "/v1/passes",
            Some(("authorization", &read_only)),
            Some(ticket(&unique("JWT"), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let expired = bearer(&token("read", now - 3600));
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("authorization", &expired)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "x", "scope": "admin", "exp": now + 600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another secret, not the server's"),
    )
    .expect("jwt");
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("authorization", &bearer(&forged))),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A revoked key stops working.
    let id = reader.split('_').nth(1).expect("id");
    assert!(h.state.inner.store.revoke_key(id).await.expect("revoke"));
    let (status, p) = h.json(Method::GET, "/v1/templates", &reader, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(p["detail"].as_str().expect("detail").contains("revoked"));
}

#[tokio::test]
async fn list_pages_with_a_cursor_and_filters() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let user = unique("user");
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, p) = h
            .json(
                Method::POST,
                "/v1/passes",
                &key,
                Some(ticket(&unique(&format!("PG{i}")), &user)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(p["id"].as_str().expect("id").to_owned());
    }
    let (_, p) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{}/void", ids[1]),
            &key,
            None,
        )
        .await;
    assert_eq!(p["status"], "voided");

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let uri = match &after {
            Some(a) => format!("/v1/passes?userId={user}&limit=2&startingAfter={a}"),
            None => format!("/v1/passes?userId={user}&limit=2"),
        };
        let (status, page) = h.json(Method::GET, &uri, &key, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= 2);
        seen.extend(
            data.iter()
                .map(|p| p["id"].as_str().expect("id").to_owned()),
        );
        if page["hasMore"] == false {
            assert!(page["nextStartingAfter"].is_null());
            break;
        }
        after = page["nextStartingAfter"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ids, "every pass once, in creation order");

    let (_, page) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user}&status=voided"),
            &key,
            None,
        )
        .await;
    assert_eq!(page["data"].as_array().expect("data").len(), 1);
    assert_eq!(page["data"][0]["id"], ids[1].as_str());
    let (_, page) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user}&templateId=coupon"),
            &key,
            None,
        )
        .await;
    assert_eq!(page["data"], json!([]));
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let h = harness_with(
        None,
        RateLimit {
            per_minute: 1,
            burst: 2,
        },
    )
    .await;
    let key = h.key(&[Scope::Read]).await;
    let (status, headers, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-limit"], "2");
    assert_eq!(headers["x-ratelimit-remaining"], "1");
    assert!(headers.contains_key("ratelimit-policy") && headers.contains_key("ratelimit"));
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let p: Value = serde_json::from_slice(&body).expect("problem");
    assert_eq!(p["code"], "rate_limited");
    // Another credential has its own bucket.
    let other = h.key(&[Scope::Read]).await;
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &other)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn templates_show_schema_problems_and_images() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("member");
    write_template(
        &good,
        &json!({
            "formatVersion": 1, "passTypeIdentifier": "pass.x", "teamIdentifier": "T", "serialNumber": "x",
            "organizationName": "Org", "description": "Member card",
            "generic": {"primaryFields": [{"key": "name", "label": "NAME", "value": "{{ name }}"}]}
        }),
        &json!({"name": {"type": "string", "required": true}}),
    );
    let bad = dir.path().join("broken");
    write_template(
        &bad,
        &json!({"formatVersion": 1, "description": "x", "generic": {"primaryFields": [{"key": "a", "value": "{{ missing }}"}]}}),
        &json!({}),
    );
    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    let key = h.key(&[Scope::Read]).await;
    let (status, list) = h.json(Method::GET, "/v1/templates", &key, None).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(ids, ["broken", "member"]);

    let (_, t) = h
        .json(Method::GET, "/v1/templates/member", &key, None)
        .await;
    assert_eq!(t["status"], "ready");
    assert_eq!(t["appleStyle"], "generic");
    assert_eq!(t["googleType"], "generic");
    assert_eq!(t["fieldsSchema"]["required"], json!(["name"]), "{t}");

    let (_, t) = h
        .json(Method::GET, "/v1/templates/broken", &key, None)
        .await;
    assert_eq!(t["status"], "invalid");
    let problems = t["problems"].to_string();
    assert!(problems.contains("missing"), "{problems}");
    let (status, _) = h
        .json(Method::GET, "/v1/templates/nothing", &key, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let writer = h.key(&[Scope::Write]).await;
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &writer,
            Some(json!({"templateId": "broken", "customFields": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    // Images are public (Google fetches them); other files are not served.
    let (status, headers, bytes) = h
        .send(Method::GET, "/templates/member/icon.png", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(bytes, std::fs::read(good.join("icon.png")).expect("icon"));
    let (status, _, _) = h
        .send(Method::GET, "/templates/member/pass.json", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A minimal HTTP/1.1 GET over a real socket.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    let code = out
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status line");
    (code, out)
}

#[tokio::test]
async fn real_listener_health_metrics_and_graceful_shutdown() {
    let h = harness().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(passforge::service::serve(
        listener,
        h.state.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let (code, body) = http_get(addr, "/healthz").await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = http_get(addr, "/readyz").await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = http_get(addr, "/v1/templates").await;
    assert_eq!(code, 401, "{body}");
    assert!(body.to_ascii_lowercase().contains("x-request-id"), "{body}");
    let (code, body) = http_get(addr, "/metrics").await;
    assert_eq!(code, 200);
    assert!(
        body.contains(
            "passforge_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{body}"
    );
    assert!(
        body.contains("route=\"/v1/templates\",status=\"401\""),
        "{body}"
    );
    stop.send(()).expect("stop");
    server.await.expect("join").expect("clean shutdown");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
}

#[test]
fn keys_cli_creates_lists_and_revokes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let env = [("PASSFORGE_DATABASE_URL", url.as_str())];
    let out = passforge_env(
        dir.path(),
        &["keys", "create", "--name", "ci", "--scopes", "read,admin"],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let key = stdout(&out).trim().to_owned();
    assert!(key.starts_with("pfk_"), "{key}");
    let id = key.split('_').nth(1).expect("id").to_owned();
    let out = passforge_env(dir.path(), &["keys", "list"], &env);
    let listed = stdout(&out);
    assert!(
        listed.contains(&id) && listed.contains("read,admin") && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(key.splitn(3, '_').nth(2).expect("secret")),
        "secrets are never listed"
    );
    let out = passforge_env(dir.path(), &["keys", "revoke", &id], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&passforge_env(dir.path(), &["keys", "list"], &env)).contains("revoked"));
    let out = passforge_env(dir.path(), &["keys", "revoke", &id], &env);
    assert_eq!(
        out.status.code(),
        Some(2),
        "revoking twice is an error: {}",
        stderr(&out)
    );
    let out = passforge_env(
        dir.path(),
        &["keys", "create", "--name", "x", "--scopes", "owner"],
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("owner"));
}

#[tokio::test]
async fn idempotency_key_replays_refuses_and_waits() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let send = |idem: &str, body: &Value| {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/v1/passes")
            .header("x-api-key", &key)
            .header("idempotency-key", idem)
            .header(header::CONTENT_TYPE, "application/json")
            .body(HttpBody::from(serde_json::to_vec(body).expect("json")))
            .expect("request");
        let app = router(h.state.clone());
        async move {
            let res = app.oneshot(req).await.expect("answer");
            let status = res.status();
            let headers = res.headers().clone();
            let bytes = res.into_body().collect().await.expect("body").to_bytes();
            let v: Value = serde_json::from_slice(&bytes).expect("json");
            (status, headers, v)
        }
    };
    let idem = unique("idem");
    let body = ticket(&unique("IDEM"), "u");
    let (status, headers, first) = send(&idem, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!headers.contains_key("idempotent-replayed"));
    let (status, headers, again) = send(&idem, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(again, first, "the same answer, not a second pass");
    assert_eq!(
        headers[header::LOCATION],
        format!("/v1/passes/{}", first["id"].as_str().expect("id"))
    );

    // The same key with another body: 422.
    let other = ticket(&unique("IDEM"), "u");
    let (status, _, p) = send(&idem, &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["code"], "idempotency_key_reused");

    // A 4xx answer is remembered too.
    let bad = json!({"templateId": "event-ticket", "customFields": {}});
    let idem_bad = unique("idem");
    let (status, _, p1) = send(&idem_bad, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, p2) = send(&idem_bad, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(p1, p2);

    // While the first request with a key runs: 409.
    let idem_busy = unique("idem");
    let busy = ticket(&unique("IDEM"), "u");
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(b"POST /v1/passes\n");
    hasher.update(&serde_json::to_vec(&busy).expect("json"));
    let hash: String = hasher.finish().iter().map(|b| format!("{b:02x}")).collect();
    let principal = key.split('_').nth(1).expect("id");
    let claimed = h
        .state
        .inner
        .store
        .claim_idempotency(principal, &idem_busy, &hash)
        .await
        .expect("claim");
    assert_eq!(claimed, None);
    let (status, _, p) = send(&idem_busy, &busy).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["code"], "idempotency_in_flight");
}

fn member_pass(label: &str) -> Value {
    json!({
        "formatVersion": 1, "passTypeIdentifier": "pass.x", "teamIdentifier": "T", "serialNumber": "x",
        "organizationName": "Org", "description": "Member card",
        "generic": {"primaryFields": [{"key": "name", "label": label, "value": "{{ name }}"}]}
    })
}

/// Polls `GET /v1/templates/{id}` until `done` holds (the watcher reloads
/// about 200 ms after the last change; this waits up to 10 s on a busy machine).
async fn wait_for_template(
    h: &Harness,
    key: &str,
    id: &str,
    done: impl Fn(StatusCode, &Value) -> bool,
) -> Value {
    for _ in 0..200 {
        let (status, t) = h
            .json(Method::GET, &format!("/v1/templates/{id}"), key, None)
            .await;
        if done(status, &t) {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("template {id} never reached the expected state");
}

#[tokio::test]
async fn templates_folder_is_watched_and_a_bad_edit_keeps_the_live_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fields = json!({"name": {"type": "string", "required": true}});
    write_template(&dir.path().join("member"), &member_pass("NAME"), &fields);
    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    h.state.watch_templates().expect("watch");
    let key = h.key(&[Scope::Write]).await;

    // A folder dropped in goes live.
    write_template(&dir.path().join("club"), &member_pass("MEMBER"), &fields);
    wait_for_template(&h, &key, "club", |s, t| {
        s == StatusCode::OK && t["status"] == "ready"
    })
    .await;

    // An invalid edit: problems shown, the previous version still issues.
    std::fs::write(
        dir.path().join("member/pass.json"),
        "{\"formatVersion\": 1, \"generic\": ",
    )
    .expect("write");
    let t = wait_for_template(&h, &key, "member", |_, t| t["status"] == "stale").await;
    assert!(
        !t["problems"].as_array().expect("problems").is_empty(),
        "{t}"
    );
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "member", "customFields": {"name": "Ada"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");

    // Fixed: the new version is live.
    write_template(
        &dir.path().join("member"),
        &member_pass("MEMBER NAME"),
        &fields,
    );
    wait_for_template(&h, &key, "member", |_, t| t["status"] == "ready").await;
    let (_, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "member", "customFields": {"name": "Ada"}})),
        )
        .await;
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{}/download", p["id"].as_str().expect("id")),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["generic"]["primaryFields"][0]["label"], "MEMBER NAME");

    // Removed: gone.
    std::fs::remove_dir_all(dir.path().join("club")).expect("remove");
    wait_for_template(&h, &key, "club", |s, _| s == StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn providers_describe_apple_and_google() {
    let h = harness().await;
    let key = h.key(&[Scope::Read]).await;
    let (status, v) = h.json(Method::GET, "/v1/providers", &key, None).await;
    assert_eq!(status, StatusCode::OK);
    let apple = &v["data"][0];
    assert_eq!(apple["id"], "apple");
    assert_eq!(apple["configured"], true);
    assert_eq!(apple["testCertificate"], true);
    assert_eq!(apple["passTypeIdentifier"], "pass.com.example.passforge");
    let google = &v["data"][1];
    assert_eq!(google["id"], "google");
    assert_eq!(google["issuerId"], test_service_account::ISSUER_ID);
    assert_eq!(
        google["resultSchema"]["issue"]["required"],
        json!(["saveUrl", "objectId", "classId"])
    );
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
    let state = state.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        passforge::service::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await
    });
    (task, stop)
}

/// Checks both signatures of a delivery independently (HMAC-SHA256 by
/// OpenSSL, as the Standard Webhooks specification describes it).
fn assert_signed(headers: &HeaderMap, body: &[u8], secret: &str) {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
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

#[tokio::test]
async fn webhooks_are_signed_retried_redelivered_and_disabled_by_410() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    let (server, stop) = serve(&h.state);

    // Validation and scope first.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/webhooks",
            &admin,
            Some(json!({"url": "ftp://x", "events": ["pass.exploded"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let pointers = p["errors"].to_string();
    assert!(
        pointers.contains("/url") && pointers.contains("/events/0"),
        "{p}"
    );
    let (status, _) = h
        .json(
            Method::POST,
            "/v1/webhooks",
            &writer,
            Some(json!({"url": url, "events": ["pass.created"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (hook, secret) = subscribe(&h, &admin, &url, &["pass.created", "pass.voided"]).await;
    let (_, got) = h
        .json(Method::GET, &format!("/v1/webhooks/{hook}"), &admin, None)
        .await;
    assert_eq!(got["status"], "enabled");
    assert!(
        got.get("secret").is_none(),
        "the secret is shown only at creation"
    );

    // Two 500s, then 200: three attempts of one message.
    let serial = unique("WH");
    receiver.answer(&serial, &[500, 500]);
    let (_, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &writer,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    let pass_id = pass["id"].as_str().expect("id").to_owned();
    let mine = |v: &Value| v["data"]["id"] == pass_id.as_str();
    let got = receiver.wait(3, &mine).await;
    let raw = receiver.got.lock().expect("lock").clone();
    let ids: Vec<&str> = got
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().expect("id"))
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "retries keep the message id: {ids:?}"
    );
    for (headers, body) in raw
        .iter()
        .filter(|(_, b)| String::from_utf8_lossy(b).contains(&pass_id))
    {
        assert_signed(headers, body, &secret);
    }
    let (_, event) = &got[2];
    assert_eq!(event["type"], "pass.created");
    assert_eq!(event["id"], ids[0]);
    assert_eq!(event["data"]["serialNumber"], pass["serialNumber"]);

    let d = settled_deliveries(&h, &hook, &admin).await;
    let first = d["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|d| d["eventId"] == ids[0])
        .expect("our delivery");
    assert_eq!(first["status"], "succeeded", "{d}");
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["lastStatusCode"], 200);
    assert_eq!(first["eventType"], "pass.created");

    // Redeliver: the same message again.
    let (status, r) = h
        .json(
            Method::POST,
            &format!(
                "/v1/webhooks/{hook}/deliveries/{}/redeliver",
                first["id"].as_str().expect("id")
            ),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    let got = receiver.wait(4, &mine).await;
    assert_eq!(got[3].0["webhook-id"], ids[0]);

    // A test event goes to this endpoint only.
    let (status, t) = h
        .json(
            Method::POST,
            &format!("/v1/webhooks/{hook}/test"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let test_id = t["eventId"].as_str().expect("event").to_owned();
    let got = receiver.wait(1, &|v| v["id"] == test_id.as_str()).await;
    assert_eq!(got[0].1["type"], "webhook.test");

    // 410 Gone disables the endpoint.
    receiver.answer(&serial, &[410]);
    let (_, voided) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{pass_id}/void"),
            &writer,
            None,
        )
        .await;
    assert_eq!(voided["status"], "voided");
    receiver
        .wait(1, &|v| {
            v["type"] == "pass.voided" && v["data"]["id"] == pass_id.as_str()
        })
        .await;
    let mut disabled = Value::Null;
    for _ in 0..100 {
        let (_, w) = h
            .json(Method::GET, &format!("/v1/webhooks/{hook}"), &admin, None)
            .await;
        if w["status"] == "disabled" {
            disabled = w;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        disabled["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("410")),
        "{disabled}"
    );

    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/webhooks/{hook}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h
        .json(Method::GET, &format!("/v1/webhooks/{hook}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_retry_survives_a_restart() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    let (hook, secret) = subscribe(&h, &admin, &url, &["pass.deleted"]).await;
    let serial = unique("RS");
    receiver.answer(&serial, &[503]);
    let (server, stop) = serve(&h.state);
    let writer = h.key(&[Scope::Write]).await;
    let (_, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &writer,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    let pass_id = pass["id"].as_str().expect("id").to_owned();
    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/passes/{pass_id}"),
            &writer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mine = |v: &Value| v["data"]["id"] == pass_id.as_str();
    receiver.wait(1, &mine).await;
    // Stop the instance while the retry waits; start a new one on the same database.
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
    let second = instance(&h.db_url).await;
    let (server, stop) = serve(&second);
    let got = receiver.wait(2, &mine).await;
    assert_eq!(got[0].0["webhook-id"], got[1].0["webhook-id"]);
    assert_eq!(got[1].1["type"], "pass.deleted");
    let raw = receiver.got.lock().expect("lock").clone();
    let (headers, body) = raw
        .iter()
        .rev()
        .find(|(_, b)| String::from_utf8_lossy(b).contains(&pass_id))
        .expect("delivery");
    assert_signed(headers, body, &secret);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
    let _ = hook;
}

#[tokio::test]
async fn two_instances_on_one_database_never_deliver_twice() {
    for sqlite in backends() {
        two_instances_never_deliver_twice_on(sqlite).await;
    }
}

async fn two_instances_never_deliver_twice_on(sqlite: bool) {
    let h = harness_on(None, generous(), sqlite).await;
    let admin = h.key(&[Scope::Admin]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    subscribe(&h, &admin, &url, &["pass.created"]).await;
    let second = instance(&h.db_url).await;
    let (server_a, stop_a) = serve(&h.state);
    let (server_b, stop_b) = serve(&second);
    let user = unique("twice");
    let n = 24;
    for i in 0..n {
        let app = if i % 2 == 0 {
            router(h.state.clone())
        } else {
            router(second.clone())
        };
        let req = Request::builder()
            .method(Method::POST)
            .uri("/v1/passes")
            .header("x-api-key", &writer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(HttpBody::from(
                serde_json::to_vec(&ticket(&unique("TW"), &user)).expect("json"),
            ))
            .expect("request");
        assert_eq!(
            app.oneshot(req).await.expect("answer").status(),
            StatusCode::CREATED
        );
    }
    let mine = |v: &Value| v["data"]["userId"] == user.as_str();
    receiver.wait(n, &mine).await;
    // Give a double delivery time to show up.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let got = receiver.events(&mine);
    let mut ids: Vec<String> = got
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().expect("id").to_owned())
        .collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, n, "each event delivered exactly once");
    assert_eq!(ids.len(), n);
    stop_a.send(()).expect("stop");
    stop_b.send(()).expect("stop");
    server_a.await.expect("join").expect("served");
    server_b.await.expect("join").expect("served");
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

#[tokio::test]
async fn template_upload_replace_attacks_and_delete() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    let admin = h.key(&[Scope::Admin]).await;
    let generic = root().join("templates/generic");

    let (status, _) = put_zip(
        &h,
        &h.key(&[Scope::Write]).await,
        "club",
        zip_folder(&generic, "generic/"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, t) = put_zip(&h, &admin, "club", zip_folder(&generic, "generic/")).await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    assert!(dir.path().join("club/pass.json").is_file());
    let (_, t) = h
        .json(Method::GET, "/v1/templates/club", &admin, None)
        .await;
    assert_eq!(t["status"], "ready", "{t}");
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &admin,
            Some(json!({"templateId": "club", "customFields": {"name": "Ada", "memberSince": "2020-01-01"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{}/download", pass["id"].as_str().expect("id")),
            Some(("x-api-key", &admin)),
            None,
        )
        .await;
    let file = write_pkpass(&h.dir, "uploaded.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // Replace (no wrapping folder this time): 200, and nothing left beside.
    let (status, _) = put_zip(&h, &admin, "club", zip_folder(&generic, "")).await;
    assert_eq!(status, StatusCode::OK);
    let before = listing(dir.path());
    assert_eq!(before, ["club"]);
    let pass_json_before = std::fs::read(dir.path().join("club/pass.json")).expect("read");

    // Attacks and bad templates: 422, nothing written, the live version kept.
    let mut slip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    slip.start_file("pass.json", zip::write::SimpleFileOptions::default())
        .expect("start");
    slip.write_all(b"{}").expect("write");
    slip.start_file(
        "../../escaped.txt",
        zip::write::SimpleFileOptions::default(),
    )
    .expect("start");
    slip.write_all(b"owned").expect("write");
    let slip = slip.finish().expect("zip").into_inner();

    let mut link = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    link.add_symlink(
        "icon.png",
        "/etc/passwd",
        zip::write::SimpleFileOptions::default(),
    )
    .expect("symlink");
    let link = link.finish().expect("zip").into_inner();

    let mut bomb = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    bomb.start_file(
        "pass.json",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated),
    )
    .expect("start");
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..17 {
        bomb.write_all(&zeros).expect("write");
    }
    let bomb = bomb.finish().expect("zip").into_inner();
    assert!(
        bomb.len() < 1024 * 1024,
        "a small archive that unpacks to 17 MB"
    );

    let invalid = {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file("pass.json", zip::write::SimpleFileOptions::default())
            .expect("start");
        z.write_all(br#"{"formatVersion": 1, "description": "x", "generic": {"primaryFields": [{"key": "a", "value": "{{ nope }}"}]}}"#)
            .expect("write");
        z.finish().expect("zip").into_inner()
    };
    for (what, body, needle) in [
        ("zip-slip", slip, "../../escaped.txt"),
        ("symlink", link, "symbolic"),
        ("zip bomb", bomb, "bytes"),
        ("invalid template", invalid, "nope"),
        ("not a zip", b"hello".to_vec(), "not a zip"),
    ] {
        let (status, p) = put_zip(&h, &admin, "club", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {p}");
        assert!(p.to_string().contains(needle), "{what}: {p}");
        assert_eq!(listing(dir.path()), before, "{what}: nothing written");
        assert_eq!(
            std::fs::read(dir.path().join("club/pass.json")).expect("read"),
            pass_json_before,
            "{what}"
        );
    }
    assert!(!dir
        .path()
        .parent()
        .expect("parent")
        .join("escaped.txt")
        .exists());
    let (status, _) = put_zip(&h, &admin, ".hidden", zip_folder(&generic, "")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // Delete: refused while a pass uses it, then forced.
    let (status, p) = h
        .json(Method::DELETE, "/v1/templates/club", &admin, None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    let (status, _) = h
        .json(
            Method::DELETE,
            "/v1/templates/club?force=true",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(listing(dir.path()).is_empty(), "{:?}", listing(dir.path()));
    let (status, _) = h
        .json(Method::GET, "/v1/templates/club", &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_start_after_an_interrupted_upload_puts_the_template_back_and_clears_leftovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generic = root().join("templates/generic");
    let at = |name: &str| dir.path().join(name);
    let tag = |c: char| c.to_string().repeat(32);
    // Killed between its two renames: `club` moved aside, the new version
    // not yet in place.
    copy_dir(&generic, &at(&format!(".replaced-{}-club", tag('a'))));
    // Landed, but killed before the old version was removed.
    copy_dir(&generic, &at("kept"));
    std::fs::write(at("kept/marker.txt"), "new").expect("write");
    copy_dir(&generic, &at(&format!(".replaced-{}-kept", tag('b'))));
    // A killed upload's staging folder, one of an upload that may still be
    // running in another instance, and a killed deletion's files.
    let stale = at(&format!(".upload-{}", tag('c')));
    copy_dir(&generic, &stale);
    std::fs::File::open(&stale)
        .expect("open")
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
        .expect("set mtime");
    copy_dir(&generic, &at(&format!(".upload-{}", tag('d'))));
    copy_dir(&generic, &at(&format!(".deleted-{}", tag('e'))));
    // Hidden folders passforge did not make are not its to touch.
    std::fs::create_dir(at(".git")).expect("mkdir");
    std::fs::create_dir(at(".upload-mine")).expect("mkdir");

    let h = harness_with(Some(dir.path()), RateLimit::default()).await;
    assert_eq!(
        listing(dir.path()),
        [
            ".git".to_owned(),
            format!(".upload-{}", tag('d')),
            ".upload-mine".to_owned(),
            "club".to_owned(),
            "kept".to_owned()
        ]
    );
    assert_eq!(
        std::fs::read_to_string(at("kept/marker.txt")).expect("read"),
        "new",
        "the version that landed stays"
    );
    let admin = h.key(&[Scope::Admin]).await;
    for id in ["club", "kept"] {
        let (status, t) = h
            .json(Method::GET, &format!("/v1/templates/{id}"), &admin, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{id}: {t}");
        assert_eq!(t["status"], "ready", "{id}: {t}");
    }
}

// ---- batch jobs ----

async fn wait_job(h: &Harness, key: &str, id: &str) -> Value {
    for _ in 0..600 {
        let (status, job) = h
            .json(Method::GET, &format!("/v1/jobs/{id}"), key, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] == "completed" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("job {id} never completed");
}

#[tokio::test]
async fn batch_job_spreads_over_instances_reports_item_errors_and_zips() {
    for sqlite in backends() {
        batch_job_on(sqlite).await;
    }
}

async fn batch_job_on(sqlite: bool) {
    let h = harness_on(None, generous(), sqlite).await;
    let key = h.key(&[Scope::Write]).await;
    let user = unique("batch");
    let n = 120;
    let items: Vec<Value> = (0..n)
        .map(|i| match i {
            5 => json!({"customFields": {"attendee": "X", "seat": "A1", "doorsOpen": "whenever"}}),
            77 => json!({"userId": user, "customFields": {"seat": "A1"}}),
            _ => json!({
                "serialNumber": format!("{user}-{i:03}"),
                "userId": user,
                "customFields": {"attendee": format!("Guest {i}"), "seat": format!("R{i}"), "doorsOpen": "2027-06-12T19:00:00+01:00"}
            }),
        })
        .collect();

    // Validation first.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes/batch",
            &key,
            Some(json!({"templateId": "nope", "items": [1]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = p["errors"].to_string();
    assert!(
        text.contains("/templateId") && text.contains("/items/0"),
        "{p}"
    );

    // Queued while no instance runs workers; download refused until completed.
    let (status, job) = h
        .json(
            Method::POST,
            "/v1/passes/batch",
            &key,
            Some(json!({"templateId": "event-ticket", "items": items})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], "queued");
    assert_eq!(job["total"], n);
    let id = job["id"].as_str().expect("id").to_owned();
    let (status, _, _) = h
        .send(
            Method::GET,
            &format!("/v1/jobs/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Two instances share the work.
    let second = instance(&h.db_url).await;
    let (server_a, stop_a) = serve(&h.state);
    let (server_b, stop_b) = serve(&second);
    let job = wait_job(&h, &key, &id).await;
    assert_eq!(job["succeeded"], n - 2, "{job}");
    assert_eq!(job["failed"], 2);
    assert_eq!(job["progress"], 1.0);
    let errors = job["errors"].as_array().expect("errors");
    assert_eq!(errors[0]["index"], 5);
    assert!(
        errors[0]["errors"]
            .to_string()
            .contains("/items/5/customFields/doorsOpen"),
        "{job}"
    );
    assert_eq!(errors[1]["index"], 77);
    assert!(
        errors[1]["errors"]
            .to_string()
            .contains("/items/77/customFields/attendee"),
        "{job}"
    );

    let (_, page) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user}&limit=100"),
            &key,
            None,
        )
        .await;
    assert_eq!(page["data"].as_array().expect("data").len(), 100);
    assert_eq!(page["hasMore"], true);

    let (status, headers, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/jobs/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    assert_eq!(zip.len(), n - 2);
    let out = h.dir.join("job");
    std::fs::create_dir_all(&out).expect("mkdir");
    let mut files = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let name = f.name().expect("name").into_owned();
        assert!(
            name.starts_with(&user) && name.ends_with(".pkpass"),
            "{name}"
        );
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).expect("read");
        files.push(write_pkpass(&out, &name, &data));
    }
    own_verify(&files);
    shared_verify(&files[..6]);

    stop_a.send(()).expect("stop");
    stop_b.send(()).expect("stop");
    server_a.await.expect("join").expect("served");
    server_b.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_chunk_of_a_dead_instance_is_taken_over() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let items: Vec<Value> = (0..3)
        .map(|i| json!({"customFields": {"attendee": format!("G{i}"), "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"}}))
        .collect();
    let (_, job) = h
        .json(
            Method::POST,
            "/v1/passes/batch",
            &key,
            Some(json!({"templateId": "event-ticket", "items": items})),
        )
        .await;
    let id = job["id"].as_str().expect("id").to_owned();
    // An instance claimed the chunk and died: its lease ran out a minute ago.
    let store = Store::connect(&h.db_url).await.expect("database");
    let expired = chrono::Utc::now().timestamp_millis() - 60_000;
    let claimed =
        passforge::service::jobs::mark_claimed_for_test(&store, &id, "dead-instance", expired)
            .await
            .expect("claim");
    assert_eq!(claimed, 1);
    let (server, stop) = serve(&h.state);
    let job = wait_job(&h, &key, &id).await;
    assert_eq!(job["succeeded"], 3, "{job}");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn openapi_documents_every_route_and_only_routes() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let (status, _, body) = h.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("ops") {
            documented += 1;
            let uri = path.replace('{', "x").replace('}', "");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let (status, _, body) = h
                .send(method.clone(), &uri, Some(("x-api-key", &admin)), None)
                .await;
            let text = String::from_utf8_lossy(&body);
            assert_ne!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed"
            );
            assert!(
                !text.contains("route_not_found"),
                "{method} {path} is documented but not routed"
            );
            // Every $ref resolves.
            for r in op
                .to_string()
                .split("\"$ref\":\"#/components/schemas/")
                .skip(1)
            {
                let name = r.split('"').next().expect("name");
                assert!(doc["components"]["schemas"].get(name).is_some(), "{name}");
            }
        }
    }
    assert_eq!(documented, passforge::service::openapi::ROUTES.len());
    // A route missing from the table would show up here.
    for (method, uri) in [("GET", "/v1/nothing"), ("POST", "/v1/templates")] {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let (status, _, _) = h.send(method, uri, Some(("x-api-key", &admin)), None).await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED);
    }
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

#[tokio::test]
async fn an_iphone_registers_is_pushed_and_fetches_the_update() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let push_token = device_token(0xA11CE);
    let reg = registration("device-1", &serial);
    let body = json!({"pushToken": push_token});

    // A wrong or missing token: 401 everywhere.
    for t in [None, Some("wrong-token-0123456789abcdef")] {
        let (status, _, _) = apple(&h, Method::POST, &reg, t, Some(body.clone()), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = apple(&h, Method::DELETE, &reg, t, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = apple(
            &h,
            Method::GET,
            &format!("/apple/v1/passes/{PASS_TYPE_ID}/{serial}"),
            t,
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    let (status, _, _) = apple(
        &h,
        Method::POST,
        &reg,
        Some(&token),
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &reg,
        Some(&token),
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "already registered");

    let serials_uri = format!("/apple/v1/devices/device-1/registrations/{PASS_TYPE_ID}");
    let (status, _, b) = apple(&h, Method::GET, &serials_uri, None, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let first: Value = serde_json::from_slice(&b).expect("json");
    assert_eq!(first["serialNumbers"], json!([serial]));
    let tag = first["lastUpdated"]
        .as_str()
        .expect("a string tag")
        .to_owned();
    let (status, _, _) = apple(
        &h,
        Method::GET,
        &format!("{serials_uri}?passesUpdatedSince={tag}"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "nothing changed since the tag"
    );

    // A change: exactly one push, as Wallet expects it.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "Z9"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let pushes = fake.wait(&push_token, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(fake.for_token(&push_token).len(), 1, "one push per change");
    let push = &pushes[0];
    assert_eq!(push["headers"]["apns-topic"], PASS_TYPE_ID);
    assert_eq!(push["body"], "{}");
    assert_eq!(
        push["client_uid"], PASS_TYPE_ID,
        "certificate authentication with the pass certificate"
    );
    assert_eq!(push["status"], 200);

    let (status, _, b) = apple(
        &h,
        Method::GET,
        &format!("{serials_uri}?passesUpdatedSince={tag}"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let changed: Value = serde_json::from_slice(&b).expect("json");
    assert_eq!(changed["serialNumbers"], json!([serial]));
    let new_tag = changed["lastUpdated"].as_str().expect("tag");
    assert_ne!(new_tag, tag);

    let pass_uri = format!("/apple/v1/passes/{PASS_TYPE_ID}/{serial}");
    let (status, headers, bytes) =
        apple(&h, Method::GET, &pass_uri, Some(&token), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpass"
    );
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert!(pj.to_string().contains("Z9"), "the new value");
    let file = write_pkpass(&h.dir, "updated.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let lm = headers[header::LAST_MODIFIED]
        .to_str()
        .expect("date")
        .to_owned();
    let (status, _, _) = apple(
        &h,
        Method::GET,
        &pass_uri,
        Some(&token),
        None,
        Some(("if-modified-since", &lm)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    let (status, _, _) = apple(
        &h,
        Method::POST,
        "/apple/v1/log",
        None,
        Some(json!({"logs": ["Web service error for pass.com.example.passforge: test"]})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, _) = apple(&h, Method::DELETE, &reg, Some(&token), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = apple(&h, Method::DELETE, &reg, Some(&token), None, None).await;
    assert_eq!(status, StatusCode::OK, "idempotent");
    let (status, _, _) = apple(&h, Method::GET, &serials_uri, None, None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn dead_tokens_are_removed_and_busy_ones_retried() {
    let dead = device_token(0xDEAD);
    let flaky = device_token(0xF1A);
    let fine = device_token(0xF1E);
    let script = json!({"tokens": {
        dead.clone(): {"status": 410, "reason": "Unregistered"},
        flaky.clone(): [{"status": 503, "times": 1}, {"status": 200}]
    }, "default": {"status": 200}});
    let Some(fake) = FakeApns::start(&script) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let admin = h.key(&[Scope::Admin]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    subscribe(
        &h,
        &admin,
        &url,
        &["connection.created", "connection.deleted"],
    )
    .await;
    let (server, stop) = serve(&h.state);
    let (id, serial, token) = issued_pass(&h, &admin).await;
    for (device, push) in [("d-dead", &dead), ("d-flaky", &flaky), ("d-fine", &fine)] {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(device, &serial),
            Some(&token),
            Some(json!({"pushToken": push})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &admin,
            Some(json!({"customFields": {"seat": "K1"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let flaky_pushes = fake.wait(&flaky, 2).await;
    assert_eq!(flaky_pushes[0]["status"], 503);
    assert_eq!(flaky_pushes[1]["status"], 200, "retried after 503");
    fake.wait(&dead, 1).await;
    fake.wait(&fine, 1).await;
    let deleted = receiver
        .wait(1, &|v| {
            v["type"] == "connection.deleted" && v["data"]["deviceLibraryIdentifier"] == "d-dead"
        })
        .await;
    assert!(
        deleted[0].1["data"]["reason"]
            .as_str()
            .expect("reason")
            .contains("Unregistered"),
        "{}",
        deleted[0].1
    );

    // The next change does not push to the removed token.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &admin,
            Some(json!({"customFields": {"seat": "K2"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    fake.wait(&fine, 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(fake.for_token(&dead).len(), 1);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_thousand_devices_are_pushed_over_one_or_two_connections() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let n = 1000;
    for i in 0..n {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(&format!("dev{i}"), &serial),
            Some(&token),
            Some(json!({"pushToken": device_token(0x10_0000 + i)})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (server, stop) = serve(&h.state);
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "M5"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..600 {
        if fake.requests().len() >= n as usize {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), n as usize, "one push per device");
    assert!(requests.iter().all(|r| r["status"] == 200));
    let stats = fake.stats();
    let connections = stats["connections"].as_u64().expect("connections");
    let streams = stats["max_streams_in_flight"].as_u64().expect("streams");
    assert!((1..=2).contains(&connections), "{connections} connections");
    assert!(
        streams > 1,
        "multiplexed: at most {streams} streams at once"
    );
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn the_push_queue_survives_a_restart() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let push_token = device_token(0xBEEF);
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("d1", &serial),
        Some(&token),
        Some(json!({"pushToken": push_token})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // The change is made while no instance runs a push worker.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "R2"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(fake.for_token(&push_token).is_empty());
    // A new instance on the same database sends it.
    let mut config = test_config(generous());
    config.apns = fake.config();
    let second = AppState::new(
        Store::connect(&h.db_url).await.expect("db"),
        &root().join("templates"),
        config,
    );
    let (server, stop) = serve(&second);
    fake.wait(&push_token, 1).await;
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

/// Copies a folder (one level of subfolders, as templates have).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

#[tokio::test]
async fn a_message_and_a_template_change_reach_the_phone() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let templates = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &root().join("templates/event-ticket"),
        &templates.path().join("event-ticket"),
    );
    let h = apns_harness_with(&fake, templates.path()).await;
    let (server, stop) = serve(&h.state);
    let admin = h.key(&[Scope::Admin]).await;
    let (id, serial, token) = issued_pass(&h, &admin).await;
    let push_token = device_token(0x3E55A6E);
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("d1", &serial),
        Some(&token),
        Some(json!({"pushToken": push_token})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // A message: a new version with the message field, and a push.
    let (status, p) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/push-notifications"),
            &admin,
            Some(json!({"message": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/push-notifications"),
            &admin,
            Some(json!({"message": "Doors open at 19:30"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["version"], 2);
    fake.wait(&push_token, 1).await;
    let pass_uri = format!("/apple/v1/passes/{PASS_TYPE_ID}/{serial}");
    let (_, _, bytes) = apple(&h, Method::GET, &pass_uri, Some(&token), None, None).await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    let back = pj["eventTicket"]["backFields"]
        .as_array()
        .expect("back fields");
    let msg = back
        .iter()
        .find(|f| f["key"] == "passforge.message")
        .expect("message field");
    assert_eq!(msg["value"], "Doors open at 19:30");
    assert_eq!(msg["changeMessage"], "%@");
    let file = write_pkpass(&h.dir, "message.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // A template change reaches issued passes: a new version and a push.
    let dir = templates.path().join("event-ticket");
    let mut pass: Value =
        serde_json::from_slice(&std::fs::read(dir.join("pass.json")).expect("read")).expect("json");
    pass["organizationName"] = "Passforge Live (moved venue)".into();
    let changed = tempfile::tempdir().expect("tempdir");
    copy_dir(&dir, changed.path());
    std::fs::write(
        changed.path().join("pass.json"),
        serde_json::to_vec_pretty(&pass).expect("json"),
    )
    .expect("write");
    let (status, t) = put_zip(&h, &admin, "event-ticket", zip_folder(changed.path(), "")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    fake.wait(&push_token, 2).await;
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &admin, None)
        .await;
    assert_eq!(p["version"], 3);
    let (_, _, bytes) = apple(&h, Method::GET, &pass_uri, Some(&token), None, None).await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["organizationName"], "Passforge Live (moved venue)");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn provider_token_authentication() {
    let keys = tempfile::tempdir().expect("tempdir");
    let p8 = keys.path().join("AuthKey_TESTKEY123.p8");
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&p8)
        .output()
        .expect("openssl");
    assert!(out.status.success());
    let key_arg = format!("TESTKEY123={}", p8.display());
    let Some(fake) = FakeApns::start_with(
        &json!({"default": {"status": 200}}),
        &[
            "--token-auth",
            "--token-key",
            &key_arg,
            "--team-id",
            "PFTEST1234",
            "--topic",
            PASS_TYPE_ID,
        ],
    ) else {
        return;
    };
    let h = harness_on(None, generous(), true).await;
    let mut config = test_config(generous());
    config.apns = ApnsConfig {
        auth: passforge::service::ApnsAuth::Token {
            key_id: "TESTKEY123".into(),
            team_id: "PFTEST1234".into(),
            key_pem: std::fs::read(&p8).expect("key"),
        },
        ..fake.config()
    };
    let h = Harness {
        state: AppState::new(
            Store::connect(&h.db_url).await.expect("db"),
            &root().join("templates"),
            config,
        ),
        ..h
    };
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let tokens: Vec<String> = (0..3).map(|i| device_token(0x70_0000 + i)).collect();
    for (i, t) in tokens.iter().enumerate() {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(&format!("t{i}"), &serial),
            Some(&token),
            Some(json!({"pushToken": t})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    for seat in ["T1", "T2"] {
        let (status, _) = h
            .json(
                Method::PATCH,
                &format!("/v1/passes/{id}"),
                &key,
                Some(json!({"customFields": {"seat": seat}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for t in &tokens {
            fake.wait(t, if seat == "T1" { 1 } else { 2 }).await;
        }
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), 6);
    for r in &requests {
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["auth"], "token");
        assert_eq!(r["bearer"]["verified"], true, "{r}");
        assert_eq!(r["bearer"]["kid"], "TESTKEY123");
    }
    let iats: std::collections::BTreeSet<String> = requests
        .iter()
        .map(|r| r["bearer"]["iat"].to_string())
        .collect();
    assert_eq!(iats.len(), 1, "one token reused, not one per push");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
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

#[tokio::test]
async fn google_objects_are_patched_voided_and_messaged_within_the_limit() {
    let (fake, base) = FakeGoogle::start().await;
    let h = harness_on(None, generous(), true).await;
    let mut config = test_config(generous());
    config.google_api.enabled = true;
    config.google_api.base_url = base.clone();
    config.google_api.token_url = format!("{base}/token");
    let h = Harness {
        state: AppState::new(
            Store::connect(&h.db_url).await.expect("db"),
            &root().join("templates"),
            config,
        ),
        ..h
    };
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let serial = unique("G");
    let (_, pass) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    let id = pass["id"].as_str().expect("id").to_owned();
    let object_id = format!("{}.{serial}", test_service_account::ISSUER_ID);

    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "G7"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let calls = fake.wait(&object_id, 1).await;
    let (method, path, auth, body) = &calls[0];
    assert_eq!(method, "PATCH");
    assert_eq!(
        path,
        &format!("/walletobjects/v1/eventTicketObject/{object_id}")
    );
    assert_eq!(auth, "Bearer tok-1");
    assert!(body.to_string().contains("G7"), "{body}");
    assert_eq!(body["id"], object_id.as_str());

    // Void: the object goes INACTIVE; the token is reused.
    let (status, _) = h
        .json(Method::POST, &format!("/v1/passes/{id}/void"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let calls = fake.wait(&object_id, 2).await;
    assert_eq!(calls[1].3["state"], "INACTIVE");
    assert_eq!(calls[1].2, "Bearer tok-1", "the access token is cached");
    assert_eq!(fake.tokens.load(std::sync::atomic::Ordering::SeqCst), 1);

    // Messages: three notify, the fourth is reported and added without one.
    for i in 1..=4 {
        let (status, p) = h
            .json(
                Method::POST,
                &format!("/v1/passes/{id}/push-notifications"),
                &key,
                Some(json!({"message": format!("Note {i}")})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        if i == 4 {
            assert!(
                p["warnings"].to_string().contains("3 times in 24 hours"),
                "{p}"
            );
        } else {
            assert!(p.get("warnings").is_none(), "{p}");
        }
        // Wait for this message before the next (the limit counts queued ones).
        fake.wait(&format!("{object_id}/addMessage"), i).await;
    }
    let messages = fake.calls_for(&format!("{object_id}/addMessage"));
    let types: Vec<&str> = messages
        .iter()
        .map(|c| c.3["message"]["messageType"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "TEXT_AND_NOTIFY",
            "TEXT_AND_NOTIFY",
            "TEXT_AND_NOTIFY",
            "TEXT"
        ]
    );
    assert_eq!(messages[3].3["message"]["body"], "Note 4");

    // An object never saved to a wallet (404) is not retried.
    let serial2 = unique("G");
    let object2 = format!("{}.{serial2}", test_service_account::ISSUER_ID);
    fake.missing.lock().expect("lock").push(object2.clone());
    let (_, pass2) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&serial2, "u")),
        )
        .await;
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{}", pass2["id"].as_str().expect("id")),
            &key,
            Some(json!({"customFields": {"seat": "C3"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    fake.wait(&object2, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(fake.calls_for(&object2).len(), 1, "404 is final");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

// ---- users and connections ----

#[tokio::test]
async fn user_tokens_see_only_their_own_passes_and_connections() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let mut users = Vec::new();
    for name in ["ada", "grace"] {
        let (status, u) = h
            .json(
                Method::POST,
                "/v1/users",
                &key,
                Some(json!({"externalId": unique(name)})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{u}");
        users.push(u["id"].as_str().expect("id").to_owned());
    }
    let (status, _) = h
        .json(Method::POST, "/v1/users", &key, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut passes = Vec::new();
    for u in &users {
        let (_, p) = h
            .json(
                Method::POST,
                "/v1/passes",
                &key,
                Some(ticket(&unique("U"), u)),
            )
            .await;
        passes.push(p);
    }
    // A device installs Ada's pass.
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!(
                "/v1/passes/{}/download",
                passes[0]["id"].as_str().expect("id")
            ),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration(
            "ada-phone",
            passes[0]["serialNumber"].as_str().expect("serial"),
        ),
        pj["authenticationToken"].as_str(),
        Some(json!({"pushToken": device_token(0xADA)})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, t) = h
        .json(
            Method::POST,
            &format!("/v1/users/{}/tokens", users[0]),
            &key,
            Some(json!({"expiresIn": 3600})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("pfu_"));
    let bearer = format!("Bearer {token}");
    let as_user = |method: Method, uri: String| {
        let bearer = bearer.clone();
        let h = &h;
        async move {
            h.send(method, &uri, Some(("authorization", &bearer)), None)
                .await
        }
    };

    let (status, _, body) = as_user(Method::GET, "/v1/me/passes".into()).await;
    assert_eq!(status, StatusCode::OK);
    let mine: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(mine["data"].as_array().expect("data").len(), 1);
    assert_eq!(mine["data"][0]["id"], passes[0]["id"]);
    let (status, _, pkpass) = as_user(
        Method::GET,
        format!(
            "/v1/me/passes/{}/download",
            passes[0]["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pkpass.len() > 1000);
    let (status, _, _) = as_user(
        Method::GET,
        format!(
            "/v1/me/passes/{}/download",
            passes[1]["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's pass");
    let (status, _, body) = as_user(Method::GET, "/v1/me/connections".into()).await;
    assert_eq!(status, StatusCode::OK);
    let conns: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(conns["data"].as_array().expect("data").len(), 1);
    assert_eq!(conns["data"][0]["deviceLibraryIdentifier"], "ada-phone");

    // Every other route is 403 for a user token.
    for (method, uri) in [
        (Method::GET, "/v1/passes".to_owned()),
        (
            Method::GET,
            format!("/v1/passes/{}", passes[0]["id"].as_str().expect("id")),
        ),
        (Method::GET, "/v1/templates".to_owned()),
        (Method::GET, "/v1/connections".to_owned()),
        (Method::POST, "/v1/passes".to_owned()),
        (Method::GET, format!("/v1/users/{}", users[0])),
        (Method::GET, "/v1/webhooks".to_owned()),
    ] {
        let (status, _, body) = as_user(method.clone(), uri.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // And /v1/me is not for API keys.
    let (status, _) = h.json(Method::GET, "/v1/me/passes", &key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, u) = h
        .json(Method::GET, &format!("/v1/users/{}", users[0]), &key, None)
        .await;
    assert_eq!(u["passes"], 1);
    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/users/{}?passes=detach", users[0]),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = as_user(Method::GET, "/v1/me/passes".into()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "tokens of a deleted user are revoked"
    );
    let (_, p) = h
        .json(
            Method::GET,
            &format!("/v1/passes/{}", passes[0]["id"].as_str().expect("id")),
            &key,
            None,
        )
        .await;
    assert!(p["userId"].is_null(), "detached: {p}");
    assert_eq!(p["installs"], json!({"apple": 1, "google": 0}));
}

#[tokio::test]
async fn connections_are_listed_filtered_synced_and_deleted() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let tokens = [device_token(0xC0), device_token(0xC1)];
    for (i, t) in tokens.iter().enumerate() {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(&format!("c{i}"), &serial),
            Some(&token),
            Some(json!({"pushToken": t})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, list) = h
        .json(
            Method::GET,
            &format!("/v1/connections?passId={id}&limit=1"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["data"].as_array().expect("data").len(), 1);
    assert_eq!(list["hasMore"], true);
    let (_, all) = h
        .json(
            Method::GET,
            &format!("/v1/connections?passId={id}&platform=apple&state=active"),
            &key,
            None,
        )
        .await;
    let all = all["data"].as_array().expect("data").clone();
    assert_eq!(all.len(), 2);
    let first = all[0]["id"].as_str().expect("id").to_owned();
    let (status, c) = h
        .json(Method::GET, &format!("/v1/connections/{first}"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["serialNumber"], serial.as_str());

    let (status, _) = h
        .json(
            Method::POST,
            &format!("/v1/connections/{first}/sync"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    fake.wait(&tokens[0], 1).await;
    assert!(
        fake.for_token(&tokens[1]).is_empty(),
        "sync pushes only that connection"
    );

    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/connections/{first}"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, c) = h
        .json(Method::GET, &format!("/v1/connections/{first}"), &key, None)
        .await;
    assert_eq!(c["state"], "removed");
    let (status, _) = h
        .json(
            Method::POST,
            &format!("/v1/connections/{first}/sync"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h
        .json(Method::GET, "/v1/connections?state=bogus", &key, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &key, None)
        .await;
    assert_eq!(p["installs"]["apple"], 1);
    // The next change pushes only to the remaining installation.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "D4"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    fake.wait(&tokens[1], 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(fake.for_token(&tokens[0]).len(), 1);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

// ---- links ----

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

async fn open_link(h: &Harness, path: &str, ua: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    h.send(Method::GET, path, Some(("user-agent", ua)), None)
        .await
}

#[tokio::test]
async fn links_serve_each_wallet_and_walk_their_lifecycle() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (receiver, hook_url, _stop_receiver) = Receiver::start().await;
    let (server, stop) = serve(&h.state);
    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"attendee": "Link Guest", "seat": "L1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
                "maxClaims": 2,
                "webhookUrl": hook_url,
                "externalId": "order-42"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["status"], "pending");
    let link_id = link["id"].as_str().expect("id").to_owned();
    let secret = link["webhookSecret"].as_str().expect("secret").to_owned();
    let url = link["url"].as_str().expect("url").to_owned();
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .expect("public url")
        .to_owned();
    let (status, bad) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"templateId": "event-ticket", "customFields": {"seat": "nope"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    // A desktop browser: a landing page with both links and a QR code of the URL.
    let (status, _, html) = open_link(&h, &path, DESKTOP).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).expect("utf-8");
    assert!(
        html.contains(&format!("{path}/apple")) && html.contains(&format!("{path}/google")),
        "{html}"
    );
    assert!(html.contains("Passforge Live"), "the organization: {html}");
    let (status, headers, png) = h
        .send(Method::GET, &format!("{path}/qr.png"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    let img = image::load_from_memory(&png).expect("png").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().expect("decodes");
    assert_eq!(content, url, "the QR code is the link");
    let (_, l) = h
        .json(Method::GET, &format!("/v1/links/{link_id}"), &key, None)
        .await;
    assert_eq!(l["status"], "opened");

    // An iPhone gets the pass.
    let (status, headers, pkpass) = open_link(&h, &path, IPHONE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpass"
    );
    let file = write_pkpass(&h.dir, "link.pkpass", &pkpass);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let pj: Value = serde_json::from_slice(&zip_member(&pkpass, "pass.json")).expect("pass.json");
    let (_, l) = h
        .json(Method::GET, &format!("/v1/links/{link_id}"), &key, None)
        .await;
    assert_eq!(l["status"], "issued");
    assert_eq!(l["passes"][0]["platform"], "apple");
    assert_eq!(l["passes"][0]["serialNumber"], pj["serialNumber"]);

    // An Android phone is sent to Google with its own pass; then the link is used up.
    let (status, headers, _) = open_link(&h, &path, ANDROID).await;
    assert_eq!(status, StatusCode::FOUND);
    let save = headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(save.starts_with("https://pay.google.com/gp/v/save/"));
    shared_validate_google(&[save]);
    let (status, _, page) = open_link(&h, &path, IPHONE).await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "{}",
        String::from_utf8_lossy(&page)
    );

    // The phone registers the pass: completed, and link.completed arrives signed.
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("link-phone", pj["serialNumber"].as_str().expect("serial")),
        pj["authenticationToken"].as_str(),
        Some(json!({"pushToken": device_token(0x11_4C)})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, l) = h
        .json(Method::GET, &format!("/v1/links/{link_id}"), &key, None)
        .await;
    assert_eq!(l["status"], "completed");
    let got = receiver.wait(1, &|v| v["type"] == "link.completed").await;
    let body = &got[0].1;
    assert_eq!(body["event"], "link.completed");
    assert_eq!(body["linkId"], link_id.as_str());
    assert_eq!(body["status"], "completed");
    assert_eq!(body["result"]["platform"], "apple");
    assert_eq!(body["result"]["serialNumber"], pj["serialNumber"]);
    let raw = receiver.got.lock().expect("lock").clone();
    let (headers, bytes) = raw
        .iter()
        .find(|(_, b)| String::from_utf8_lossy(b).contains("link.completed"))
        .expect("delivery");
    assert_signed(headers, bytes, &secret);
    let kinds: Vec<String> = receiver
        .events(&|_| true)
        .iter()
        .map(|(_, v)| v["type"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        kinds.contains(&"link.opened".to_owned()) && kinds.contains(&"link.issued".to_owned()),
        "{kinds:?}"
    );

    // Expired and revoked links are 410; unknown codes 404.
    for end in ["expire", "revoke"] {
        let (_, l2) = h
            .json(
                Method::POST,
                "/v1/links",
                &key,
                Some(json!({"passId": l["passes"][0]["passId"]})),
            )
            .await;
        let id2 = l2["id"].as_str().expect("id").to_owned();
        let p2 = l2["url"]
            .as_str()
            .expect("url")
            .strip_prefix("http://127.0.0.1:8080")
            .expect("path")
            .to_owned();
        let (status, _, _) = open_link(&h, &p2, IPHONE).await;
        assert_eq!(status, StatusCode::OK, "a pass link hands out its pass");
        if end == "expire" {
            assert!(
                passforge::service::links::expire_for_test(&h.state.inner.store, &id2)
                    .await
                    .expect("expire")
            );
        } else {
            let (status, _) = h
                .json(Method::POST, &format!("/v1/links/{id2}/revoke"), &key, None)
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, _, _) = open_link(&h, &p2, IPHONE).await;
        assert_eq!(status, StatusCode::GONE, "{end}");
        let (_, l2) = h
            .json(Method::GET, &format!("/v1/links/{id2}"), &key, None)
            .await;
        assert_eq!(
            l2["status"],
            if end == "expire" {
                "expired"
            } else {
                "revoked"
            }
        );
    }
    let (status, _, _) = open_link(&h, "/l/no-such-code", IPHONE).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

// ---- Google Wallet callbacks (ECv2SigningOnly) ----

/// A P-256 key and its base64 DER SubjectPublicKeyInfo.
fn p256() -> (openssl::pkey::PKey<openssl::pkey::Private>, String) {
    use base64::Engine as _;
    let group =
        openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).expect("group");
    let key = openssl::pkey::PKey::from_ec_key(openssl::ec::EcKey::generate(&group).expect("key"))
        .expect("pkey");
    let public =
        base64::engine::general_purpose::STANDARD.encode(key.public_key_to_der().expect("der"));
    (key, public)
}

fn ecdsa(key: &openssl::pkey::PKey<openssl::pkey::Private>, fields: &[&str]) -> String {
    use base64::Engine as _;
    let mut data = Vec::new();
    for f in fields {
        data.extend_from_slice(&(f.len() as u32).to_le_bytes());
        data.extend_from_slice(f.as_bytes());
    }
    let mut s =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), key).expect("signer");
    s.update(&data).expect("update");
    base64::engine::general_purpose::STANDARD.encode(s.sign_to_vec().expect("sign"))
}

/// A callback as Google sends it, signed by `root` through a fresh intermediate key.
fn callback(root: &openssl::pkey::PKey<openssl::pkey::Private>, message: &Value) -> Value {
    let (intermediate, intermediate_public) = p256();
    let expiration = (chrono::Utc::now().timestamp_millis() + 3_600_000).to_string();
    let signed_key =
        json!({"keyValue": intermediate_public, "keyExpiration": expiration}).to_string();
    let signed_message = message.to_string();
    json!({
        "signature": ecdsa(&intermediate, &["GooglePayPasses", test_service_account::ISSUER_ID, "ECv2SigningOnly", &signed_message]),
        "intermediateSigningKey": {
            "signedKey": signed_key,
            "signatures": [ecdsa(root, &["GooglePayPasses", "ECv2SigningOnly", &signed_key])]
        },
        "protocolVersion": "ECv2SigningOnly",
        "signedMessage": signed_message
    })
}

#[tokio::test]
async fn google_callbacks_create_and_remove_connections() {
    let (root_key, root_public) = p256();
    let h = harness().await;
    let mut config = test_config(generous());
    config.google_callbacks = Some(passforge::service::callbacks::CallbackConfig {
        root_keys: vec![root_public],
        sender_id: "GooglePayPasses".into(),
        recipient_id: test_service_account::ISSUER_ID.into(),
    });
    let h = Harness {
        state: AppState::new(
            Store::connect(&h.db_url).await.expect("db"),
            &root().join("templates"),
            config,
        ),
        ..h
    };
    let key = h.key(&[Scope::Write]).await;
    let serial = unique("GCB");
    let (_, pass) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    let pass_id = pass["id"].as_str().expect("id").to_owned();
    let object_id = format!("{}.{serial}", test_service_account::ISSUER_ID);
    let message = |event: &str, nonce: &str, exp: i64| json!({"classId": "x", "objectId": object_id, "expTimeMillis": exp, "eventType": event, "nonce": nonce});
    let later = chrono::Utc::now().timestamp_millis() + 60_000;
    let post = |body: Value| {
        let h = &h;
        async move {
            h.send(Method::POST, "/google/callbacks", None, Some(body))
                .await
                .0
        }
    };
    let connections = || {
        let (h, key, pass_id) = (&h, key.clone(), pass_id.clone());
        async move {
            let (_, c) = h
                .json(
                    Method::GET,
                    &format!("/v1/connections?passId={pass_id}&platform=google"),
                    &key,
                    None,
                )
                .await;
            c["data"].as_array().expect("data").clone()
        }
    };

    // A bad signature (signed by a key that is not a configured root): 401.
    let (other_root, _) = p256();
    assert_eq!(
        post(callback(&other_root, &message("save", &unique("n"), later))).await,
        StatusCode::UNAUTHORIZED
    );
    // A tampered message: 401.
    let mut tampered = callback(&root_key, &message("save", &unique("n"), later));
    tampered["signedMessage"] = message("save", "other", later).to_string().into();
    assert_eq!(post(tampered).await, StatusCode::UNAUTHORIZED);
    // An expired message: rejected.
    let past = chrono::Utc::now().timestamp_millis() - 1000;
    assert_eq!(
        post(callback(&root_key, &message("save", &unique("n"), past))).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(connections().await.is_empty());

    // save: a connection.
    let nonce = unique("nonce");
    let save = callback(&root_key, &message("save", &nonce, later));
    assert_eq!(post(save.clone()).await, StatusCode::OK);
    let c = connections().await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["state"], "active");
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{pass_id}"), &key, None)
        .await;
    assert_eq!(p["installs"]["google"], 1);
    // A replayed nonce changes nothing.
    let (_, first) = h
        .json(
            Method::GET,
            &format!("/v1/connections/{}", c[0]["id"].as_str().expect("id")),
            &key,
            None,
        )
        .await;
    assert_eq!(post(save).await, StatusCode::OK);
    assert_eq!(connections().await.len(), 1);
    let (_, again) = h
        .json(
            Method::GET,
            &format!("/v1/connections/{}", c[0]["id"].as_str().expect("id")),
            &key,
            None,
        )
        .await;
    assert_eq!(first["updatedAt"], again["updatedAt"]);

    // del: removed.
    assert_eq!(
        post(callback(
            &root_key,
            &message("del", &unique("nonce"), later)
        ))
        .await,
        StatusCode::OK
    );
    let c = connections().await;
    assert_eq!(c[0]["state"], "removed");
}
