//! Entry points for fuzzing every parser a stranger's bytes reach: one
//! function per target, used by the cargo-fuzz targets in `fuzz/` and by
//! the stable `cargo test` that replays their committed corpora
//! (`tests/it/fuzz_corpus.rs`). Each takes arbitrary bytes and must return
//! without panicking, whatever they hold; what the parsers answer is
//! checked by the ordinary tests.
//!
//! Not a stable API.

use std::collections::BTreeMap;

/// Splits `data` at its first NUL byte: two inputs from one.
fn halves(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

/// A template folder's `pass.json` and `template.json` (the bytes before
/// and after the first NUL), loaded as a template with a valid icon.
pub fn template(data: &[u8]) {
    let (pass_json, template_json) = halves(data);
    let mut files = BTreeMap::new();
    files.insert("pass.json".to_owned(), pass_json.to_vec());
    if !template_json.is_empty() {
        files.insert("template.json".to_owned(), template_json.to_vec());
    }
    files.insert("icon.png".to_owned(), ICON.to_vec());
    if let Ok(t) = crate::template::Template::from_files("fuzz", files) {
        // A template that loads renders its own sample-free values too.
        if let Ok(stamp) =
            crate::issue::Stamp::new("FUZZ-1", "fuzz-token-0123456789", chrono::Utc::now())
        {
            let identity = crate::apple::test_identity::load();
            if let Ok(identity) = identity {
                let _ = crate::issue::Issuer::new(&t, &identity)
                    .render(&serde_json::Map::new(), &stamp);
            }
        }
    }
}

/// A localization's `pass.strings` (UTF-8 or UTF-16 with a BOM).
pub fn strings(data: &[u8]) {
    let _ = crate::template::strings::parse_strings("fr.lproj/pass.strings", data);
}

/// Rows of a data file: the bytes as CSV, JSON and JSONL, every row read.
pub fn rows(data: &[u8]) {
    use crate::data::DataFormat;
    for format in [DataFormat::Csv, DataFormat::Json, DataFormat::Jsonl] {
        if let Ok(rows) = crate::data::rows(std::io::Cursor::new(data.to_vec()), format) {
            let _ = rows.columns().map(<[String]>::len);
            for row in rows.take(10_000) {
                let _ = row;
            }
        }
    }
    let _ = crate::passbuilder::row(data);
}

/// A `.pkpass` (or `.pkpasses` bundle) read and verified against the test
/// CA.
pub fn pkpass(data: &[u8]) {
    let ca = crate::apple::parse_cert(crate::apple::test_identity::WWDR_PEM, "CA").ok();
    let opts = crate::apple::verify::VerifyOptions {
        now: chrono::Utc::now(),
        ignore_expiry: false,
        ca,
    };
    let _ = crate::apple::verify::verify_pkpass(data, &opts);
    let _ = crate::apple::verify::verify_bundle(data, &opts);
}

/// A template upload (`POST /v1/templates/{id}` with a zip) unpacked.
#[cfg(feature = "server")]
pub fn template_zip(data: &[u8]) {
    if let Ok(files) = crate::service::templates::files::unpack(data) {
        let _ = crate::template::Template::from_files("fuzz", files);
    }
}

/// A Google Wallet callback body verified (with a made-up root key: every
/// body is refused, on the way through every check).
#[cfg(feature = "server")]
pub fn google_callback(data: &[u8]) {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let cfg = crate::service::CallbackConfig {
        root_keys: vec![GOOGLE_TEST_ROOT.to_owned()],
        sender_id: "GooglePayPasses".to_owned(),
        recipient_id: "3388000000000000001".to_owned(),
    };
    let _ = crate::service::domain::callbacks::verify_callback(&cfg, &body, 1_800_000_000_000);
}

/// A request to the PassKit web service (`/apple/…`): the bytes before the
/// first NUL are `METHOD path` (and an optional `Authorization` value after
/// a tab), the rest the body; answered by a service on a SQLite file.
#[cfg(feature = "server")]
pub fn passkit(data: &[u8]) {
    use tower::ServiceExt as _;
    let (head, body) = halves(data);
    let head = String::from_utf8_lossy(head);
    let (head, auth) = head.split_once('\t').unwrap_or((&head, ""));
    let (method, path) = head.split_once(' ').unwrap_or(("GET", head));
    let Ok(method) = http::Method::from_bytes(method.as_bytes()) else {
        return;
    };
    let mut req = http::Request::builder()
        .method(method)
        .uri(format!("/apple{path}"));
    if !auth.is_empty() {
        req = req.header(http::header::AUTHORIZATION, auth);
    }
    let Ok(req) = req.body(axum::body::Body::from(body.to_vec())) else {
        return;
    };
    let (rt, state) = service();
    rt.block_on(async {
        let Ok(res) = crate::service::router(state.clone()).oneshot(req).await;
        assert!(
            !res.status().is_server_error(),
            "the web service failed on a stranger's request: {}",
            res.status()
        );
    });
}

/// One service on a SQLite file in a temporary folder, kept for the whole
/// fuzzing run.
#[cfg(feature = "server")]
fn service() -> &'static (tokio::runtime::Runtime, crate::service::AppState) {
    static SERVICE: std::sync::OnceLock<(tokio::runtime::Runtime, crate::service::AppState)> =
        std::sync::OnceLock::new();
    SERVICE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("a runtime: {e}"));
        let dir = std::env::temp_dir().join(format!("passforge-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join("templates"));
        let state = rt.block_on(async {
            let store = crate::service::Store::connect(&format!(
                "sqlite://{}",
                dir.join("fuzz.db").display()
            ))
            .await
            .unwrap_or_else(|e| panic!("a database: {e}"));
            let identity = crate::apple::test_identity::load()
                .unwrap_or_else(|e| panic!("the test identity: {e}"));
            let mut config = crate::service::ServiceConfig::new("http://127.0.0.1:8080", identity);
            config.web_service_url = Some("http://127.0.0.1:8080/apple".to_owned());
            crate::service::AppState::new(store, &dir.join("templates"), config)
        });
        (rt, state)
    })
}

/// The smallest valid icon (a 29×29 PNG), so a fuzzed pass.json is the
/// template's only problem.
const ICON: &[u8] = include_bytes!("../templates/generic/icon.png");

/// A P-256 public key (SubjectPublicKeyInfo, base64 DER) no one signs with.
#[cfg(feature = "server")]
const GOOGLE_TEST_ROOT: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/kzGnXHuppq6LXOZXMRp0D2NtJQ59q7FW7qDcUkmgTfJLmS2HtQviq+cjsjiBizMLNtg9/FROTrJj33xkFoXtQ==";
