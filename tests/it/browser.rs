//! The one browser harness page tests share: Debian's `chromium`, driven
//! headless through `chromedriver` (WebDriver: JSON over HTTP, spoken here
//! over a plain socket). Without them a test says plainly that it did not
//! run, unless `PASSFORGE_REQUIRE_BROWSER=1` (set by `.ci/run`), which makes
//! that a failure.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A headless Chromium session, closed when dropped.
pub(crate) struct Browser {
    driver: Child,
    addr: String,
    session: String,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = request(
            &self.addr,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// One WebDriver request; its `value`.
fn request(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .map_err(|e| e.to_string())?;
    // chromedriver keeps the connection open: read the head, then
    // Content-Length bytes.
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    let (head_len, length) = loop {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the connection closed before an answer".into());
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or("an answer without Content-Length")?;
            break (end + 4, length);
        }
    };
    while raw.len() < head_len + length {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&raw[head_len..]);
    let v: Value = serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?;
    if let Some(err) = v["value"]["error"].as_str() {
        return Err(format!("{err}: {}", v["value"]["message"]));
    }
    Ok(v["value"].clone())
}

fn which(name: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    })
}

impl Browser {
    /// A fresh headless browser, or `None` (having said why) when this
    /// machine has none and `PASSFORGE_REQUIRE_BROWSER` is not `1`.
    pub(crate) fn start(test: &str) -> Option<Self> {
        let (Some(chromium), Some(driver)) = (
            which("chromium").or_else(|| which("chromium-browser")),
            which("chromedriver"),
        ) else {
            let why = "chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver)";
            assert!(
                std::env::var("PASSFORGE_REQUIRE_BROWSER").as_deref() != Ok("1"),
                "{test}: {why}, and PASSFORGE_REQUIRE_BROWSER=1"
            );
            eprintln!("NOT RUN: {test}: {why}");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        while request(&addr, "GET", "/status", None).map_or(true, |v| v["ready"] != true) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000"]
            }
        }}});
        let session = match request(&addr, "POST", "/session", Some(&caps)) {
            Ok(v) => v["sessionId"].as_str().expect("session id").to_owned(),
            Err(e) => panic!("chromedriver cannot start chromium: {e}"),
        };
        Some(Self {
            driver,
            addr,
            session,
        })
    }

    /// Opens `url`.
    pub(crate) fn goto(&self, url: &str) {
        request(
            &self.addr,
            "POST",
            &format!("/session/{}/url", self.session),
            Some(&json!({ "url": url })),
        )
        .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The value of a JavaScript function body run in the page.
    pub(crate) fn eval(&self, script: &str) -> Value {
        request(
            &self.addr,
            "POST",
            &format!("/session/{}/execute/sync", self.session),
            Some(&json!({ "script": script, "args": [] })),
        )
        .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Waits (up to 10 s) until `script` returns `true`; how long it took.
    pub(crate) fn wait_for(&self, what: &str, script: &str) -> Duration {
        let started = Instant::now();
        loop {
            if self.eval(script) == Value::Bool(true) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{what}: not within 10 s; the page holds: {}",
                self.eval("return document.body.innerText;")
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}
