//! The library's front door: the examples a user starts from, built by
//! `cargo test` itself (target/…/examples/).

use std::io::{BufRead as _, BufReader, Read as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::support::{own_verify, shared_verify};

/// An example's binary, built beside this test binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    // target/<profile>/deps/it-… → target/<profile>/examples/<name>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target dir")
        .join("examples");
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built (cargo test builds the examples)",
        path.display()
    );
    path
}

#[test]
fn issue_one_writes_a_pass_that_verifies() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("one.pkpass");
    let run = Command::new(example("issue_one"))
        .arg(&out)
        .output()
        .expect("run issue_one");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(out.is_file());
    own_verify(std::slice::from_ref(&out));
    shared_verify(&[out]);
}

#[cfg(feature = "server")]
#[test]
fn embed_service_nests_the_router_runs_the_workers_and_stops() {
    let mut child = Command::new(example("embed_service"))
        .args(["0", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run embed_service");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let base = first
        .strip_prefix("listening on ")
        .and_then(|l| l.split(';').next())
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert!(first.ends_with("try:"), "{first}");
    let curl = lines.next().expect("a line").expect("utf-8");
    let key = curl
        .split('\'')
        .nth(1)
        .and_then(|h| h.strip_prefix("X-API-Key: "))
        .unwrap_or_else(|| panic!("{curl}"))
        .to_owned();
    let request = |method: &str,
                   path: &str,
                   auth: Option<&str>,
                   body: Option<&str>|
     -> (u16, String) {
        let addr = base.strip_prefix("http://").expect("http");
        let mut s = std::net::TcpStream::connect(addr).expect("connect");
        let auth = auth.map(|a| format!("{a}\r\n")).unwrap_or_default();
        let body = body.unwrap_or("");
        let kind = if body.is_empty() {
            ""
        } else {
            "Content-Type: application/json\r\n"
        };
        std::io::Write::write_all(
            &mut s,
            format!(
                "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}{kind}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .expect("write");
        let mut text = String::new();
        s.read_to_string(&mut text).expect("read");
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, text)
    };
    let api_key = format!("X-API-Key: {key}");
    let get =
        |path: &str, key: Option<&str>| request("GET", path, key.map(|_| api_key.as_str()), None);
    let (status, text) = get("/", None);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("my application"), "{text}");
    let (status, text) = get("/wallet/v1/templates", Some(&key));
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("event-ticket"), "{text}");
    let (status, _) = get("/wallet/v1/templates", None);
    assert_eq!(status, 401, "passforge's guard runs inside the app");
    let (status, text) = get("/wallet/openapi.json", None);
    assert_eq!(status, 200, "{text}");
    // A user token reaches /v1/me/… under the app's prefix too.
    let json_of = |text: &str| -> serde_json::Value {
        serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap_or("")).expect("json body")
    };
    let (status, text) = request(
        "POST",
        "/wallet/v1/users",
        Some(&api_key),
        Some(r#"{"externalId": "embedded-1"}"#),
    );
    assert_eq!(status, 201, "{text}");
    let user = json_of(&text)["id"].as_str().expect("id").to_owned();
    let (status, text) = request(
        "POST",
        &format!("/wallet/v1/users/{user}/tokens"),
        Some(&api_key),
        None,
    );
    assert_eq!(status, 201, "{text}");
    let bearer = format!(
        "Authorization: Bearer {}",
        json_of(&text)["token"].as_str().expect("token")
    );
    let (status, text) = request("GET", "/wallet/v1/me/passes", Some(&bearer), None);
    assert_eq!(status, 200, "{text}");
    let (status, _) = request("GET", "/wallet/v1/templates", Some(&bearer), None);
    assert_eq!(status, 403, "a user token reaches only /v1/me/…");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let exit = child.wait().expect("wait");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(exit.success(), "{err}");
    assert_eq!(
        rest.last().map(String::as_str),
        Some("stopped"),
        "{rest:?} {err}"
    );
}
