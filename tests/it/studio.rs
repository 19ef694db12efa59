//! `passforge studio` from outside: the real binary on a copy of the
//! event-ticket template, spoken to over HTTP/1.1 as a browser would. The
//! page lists the template, its view draws the sample rows, languages and
//! typed values; saving pass.json sends a `change` event and the next view
//! draws the edit; a broken edit keeps the last good pictures and locates
//! its error; a non-loopback Host is refused.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{copy_dir, root};

/// The studio process, stopped when dropped.
struct Studio {
    child: Child,
    addr: String,
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(folder: &std::path::Path) -> Studio {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_passforge"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PASSFORGE_")) {
        cmd.env_remove(k);
    }
    let mut child = cmd
        .args(["studio", folder.to_str().expect("utf-8"), "--port", "0"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start passforge studio");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the studio prints its URL");
    let addr = line
        .trim()
        .strip_prefix("http://")
        .and_then(|a| a.strip_suffix('/'))
        .unwrap_or_else(|| panic!("a URL on stdout, got {line:?}"))
        .to_owned();
    Studio { child, addr }
}

impl Studio {
    /// GET `path` with `host` as the Host header: status and body.
    fn get_as(&self, host: &str, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).expect("answer");
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("status");
        let body = if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            unchunk(body)
        } else {
            body.to_owned()
        };
        (status, body)
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.get_as(&self.addr, path)
    }

    fn view(&self, query: &str) -> Value {
        let (status, body) = self.get(&format!("/api/templates/event-ticket{query}"));
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("JSON")
    }

    /// The event stream, connected.
    fn events(&self) -> BufReader<TcpStream> {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(
            s,
            "GET /api/events HTTP/1.1\r\nHost: {}\r\nAccept: text/event-stream\r\n\r\n",
            self.addr
        )
        .expect("request");
        let mut r = BufReader::new(s);
        let mut line = String::new();
        r.read_line(&mut line).expect("status line");
        assert!(line.contains(" 200 "), "{line}");
        loop {
            line.clear();
            r.read_line(&mut line).expect("header");
            if line == "\r\n" {
                return r;
            }
        }
    }
}

/// The body of a chunked answer.
fn unchunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// Waits (up to 10 s) for a `change` event for `id`; how long it took.
fn changed(events: &mut BufReader<TcpStream>, id: &str, since: Instant) -> Duration {
    let mut line = String::new();
    while since.elapsed() < Duration::from_secs(10) {
        line.clear();
        if events.read_line(&mut line).is_err() {
            break;
        }
        if line.trim_end().ends_with(&format!("data: {id}"))
            || line.trim_end() == format!("data:{id}")
        {
            return since.elapsed();
        }
    }
    panic!("no change event for {id} within 10 s");
}

/// The studio on a folder holding a copy of the event-ticket example (the
/// temp dir lives as long as the first value).
fn on_event_ticket() -> (tempfile::TempDir, std::path::PathBuf, Studio) {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("templates");
    copy_dir(
        &root().join("templates/event-ticket"),
        &folder.join("event-ticket"),
    );
    let studio = start(&folder);
    (dir, folder, studio)
}

fn front(v: &Value) -> &str {
    v["pictures"]["front"].as_str().unwrap_or("")
}

#[test]
fn the_studio_draws_templates_and_redraws_them_when_a_file_is_saved() {
    let (_dir, folder, studio) = on_event_ticket();

    let (status, page) = studio.get("/");
    assert_eq!(status, 200);
    assert!(page.contains("passforge studio") && page.contains("EventSource"));
    let (status, list) = studio.get("/api/templates");
    assert_eq!(status, 200, "{list}");
    let list: Value = serde_json::from_str(&list).expect("JSON");
    assert_eq!(list[0]["id"], "event-ticket");
    assert_eq!(list[0]["status"], "ready");

    // The sample's rows, languages and typed values.
    let v = studio.view("");
    assert_eq!(v["status"], "ready");
    assert!(v["rows"].as_array().expect("rows").len() >= 2, "{v}");
    assert_eq!(v["langs"], serde_json::json!(["en", "fr"]));
    assert!(front(&v).contains("Ada Lovelace"), "row 1 is drawn");
    assert!(v["pictures"]["back"]
        .as_str()
        .expect("back")
        .contains("<svg"));
    assert!(v["pictures"]["google"]
        .as_str()
        .expect("google")
        .contains("<svg"));
    assert!(front(&studio.view("?row=2")).contains("Grace"), "row 2");
    assert!(
        front(&studio.view("?lang=fr")).contains("Participant"),
        "fr.lproj"
    );
    let typed = studio.view(
        "?values=%7B%22attendee%22%3A%22Zed%22%2C%22seat%22%3A%22Z9%22%2C%22doorsOpen%22%3A%222027-06-12T19%3A00%3A00%2B01%3A00%22%7D",
    );
    assert!(front(&typed).contains(">Zed<"), "typed values");
    let bad = studio.view("?values=%7B%22seat%22%3A5%7D");
    assert!(bad["renderError"].as_str().is_some(), "{bad}");

    // Saving pass.json: a change event, then the edit is drawn.
    let pass_json = folder.join("event-ticket/pass.json");
    let original = std::fs::read_to_string(&pass_json).expect("pass.json");
    assert!(original.contains("\"ATTENDEE\""), "the label to edit");
    let mut events = studio.events();
    let saved = Instant::now();
    std::fs::write(&pass_json, original.replace("\"ATTENDEE\"", "\"HOLDER\"")).expect("edit");
    let took = changed(&mut events, "event-ticket", saved);
    eprintln!(
        "studio: change event {} ms after the save",
        took.as_millis()
    );
    let v = studio.view("");
    assert!(front(&v).contains(">HOLDER<"), "the edit is drawn");

    // A broken edit: the errors, located, and the last good pictures.
    let saved = Instant::now();
    std::fs::write(
        &pass_json,
        original
            .replace("\"HOLDER\"", "")
            .replacen('{', "{ nope", 1),
    )
    .expect("break");
    changed(&mut events, "event-ticket", saved);
    let v = studio.view("");
    assert_eq!(v["status"], "stale", "{v}");
    let problems = v["problems"].as_array().expect("problems");
    assert!(
        problems.iter().any(|p| p["severity"] == "error"
            && p["file"] == "pass.json"
            && p["at"].as_str().unwrap_or("").starts_with("line 1")),
        "{problems:?}"
    );
    assert!(
        front(&v).contains(">HOLDER<"),
        "the last good version is still drawn"
    );
    let (_, list) = studio.get("/api/templates");
    assert!(list.contains("\"stale\""), "{list}");

    // Only loopback hosts.
    let (status, _) = studio.get_as("evil.example", "/api/templates");
    assert_eq!(status, 403);
    let (status, _) = studio.get("/api/templates/nope");
    assert_eq!(status, 404);
}

/// The front picture's SVG text, as the page shows it.
const FRONT: &str = "const img = document.getElementById('front'); \
    const src = img && img.getAttribute('src') || ''; \
    const svg = decodeURIComponent(src.slice(src.indexOf(',') + 1));";

#[test]
fn in_a_browser_the_page_follows_the_folder() {
    let Some(browser) = crate::browser::Browser::start("studio page in a browser") else {
        return;
    };
    let (_dir, folder, studio) = on_event_ticket();
    browser.goto(&format!("http://{}/?template=event-ticket", studio.addr));

    // The template's field values, drawn; its languages offered.
    browser.wait_for(
        "the sample row drawn",
        &format!("{FRONT} return svg.includes('>Ada Lovelace<');"),
    );
    assert_eq!(
        browser.eval(
            "return [...document.querySelectorAll('#lang option')].map(o => o.value).join(',');"
        ),
        ",en,fr"
    );
    assert_eq!(
        browser.eval(
            "return document.querySelector('nav a[data-id=\"event-ticket\"] .badge').textContent;"
        ),
        "ready"
    );

    // A saved change to pass.json shows without a reload.
    let pass_json = folder.join("event-ticket/pass.json");
    let original = std::fs::read_to_string(&pass_json).expect("pass.json");
    std::fs::write(&pass_json, original.replace("\"ATTENDEE\"", "\"HOLDER\"")).expect("edit");
    let took = browser.wait_for(
        "the edit drawn",
        &format!("{FRONT} return svg.includes('>HOLDER<');"),
    );
    eprintln!(
        "studio in chromium: an edit shown {} ms after the save",
        took.as_millis()
    );

    // A broken edit: its error, located, above the last good picture.
    std::fs::write(
        &pass_json,
        original
            .replace("\"ATTENDEE\"", "\"HOLDER\"")
            .replacen('{', "{ nope", 1),
    )
    .expect("break");
    browser.wait_for(
        "the error shown",
        "return [...document.querySelectorAll('#problems li.error')].some(li => li.textContent.includes('pass.json line 1'));",
    );
    assert_eq!(
        browser.eval(&format!("{FRONT} return svg.includes('>HOLDER<');")),
        true,
        "the last good picture stays"
    );
    assert_eq!(
        browser.eval("return document.body.dataset.status;"),
        "stale"
    );
}
