//! Load benchmark of the service (not a test): concurrent clients each
//! create a pass and download it, over real keep-alive HTTP/1.1 connections
//! to an in-process server on a SQLite file. Prints requests/s and p50/p99
//! latency per route.
//!
//! `cargo bench --bench service -- [clients] [passes per client]`

use std::time::{Duration, Instant};

use passforge::google::{test_service_account, GoogleConfig, IssuerId};
use passforge::service::{create_key, Scope};
use passforge::service::{AppState, RateLimit, ServiceConfig, Store};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// Sends one request on a keep-alive connection; returns status and body.
async fn request(
    conn: &mut BufReader<tokio::net::TcpStream>,
    head: &str,
    body: &[u8],
) -> Result<(u16, Vec<u8>), Error> {
    // One write per request: a head and a body in two writes meet Nagle's
    // algorithm and delayed ACKs (a 40 ms stall per POST).
    let mut req = format!(
        "{head}Host: bench\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    conn.get_mut().write_all(&req).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line.split(' ').nth(1).ok_or("no status")?.parse()?;
    let mut len = 0usize;
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse()?;
            }
        }
    }
    let mut out = vec![0; len];
    conn.read_exact(&mut out).await?;
    Ok((status, out))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(16);
    let per_client = args.get(1).copied().unwrap_or(50);
    let dir = tempfile::tempdir()?;
    let store = Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("bench.db").display()
    ))
    .await?;
    let key = create_key(&store, "bench", &[Scope::Write]).await?;
    let key = key.token.expose().to_owned();
    let mut config =
        ServiceConfig::new("http://127.0.0.1", passforge::apple::test_identity::load()?);
    config.google = Some(GoogleConfig {
        issuer_id: IssuerId::parse(test_service_account::ISSUER_ID)?,
        service_account: test_service_account::load()?,
        origins: Vec::new(),
        public_url: Some("http://127.0.0.1".into()),
    });
    config.rate_limit = RateLimit {
        per_minute: u32::MAX / 2,
        burst: u32::MAX / 2,
    };
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let state = AppState::new(store, &templates, config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(passforge::service::serve(listener, state, async {
        let _ = stopped.await;
    }));

    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            let mut conn = BufReader::new(stream);
            let (mut creates, mut downloads) = (Vec::new(), Vec::new());
            for i in 0..per_client {
                let body = serde_json::to_vec(&serde_json::json!({
                    "templateId": "event-ticket",
                    "customFields": {"attendee": format!("Client {c} pass {i}"), "seat": "A1",
                                     "doorsOpen": "2027-06-12T19:00:00+01:00"}
                }))?;
                let t = Instant::now();
                let (status, out) = request(
                    &mut conn,
                    &format!("POST /v1/passes HTTP/1.1\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\n"),
                    &body,
                )
                .await?;
                creates.push(t.elapsed());
                if status != 201 {
                    return Err(format!("create: {status} {}", String::from_utf8_lossy(&out)).into());
                }
                let v: serde_json::Value = serde_json::from_slice(&out)?;
                let id = v["id"].as_str().ok_or("no id")?;
                let t = Instant::now();
                let (status, pkpass) = request(
                    &mut conn,
                    &format!("GET /v1/passes/{id}/download HTTP/1.1\r\nX-API-Key: {key}\r\n"),
                    b"",
                )
                .await?;
                downloads.push(t.elapsed());
                if status != 200 || pkpass.len() < 1000 {
                    return Err(format!("download: {status}").into());
                }
            }
            Ok::<_, Error>((creates, downloads))
        }));
    }
    let (mut creates, mut downloads) = (Vec::new(), Vec::new());
    for t in tasks {
        let (c, d) = t.await??;
        creates.extend(c);
        downloads.extend(d);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let _ = stop.send(());
    server.await??;
    creates.sort();
    downloads.sort();
    let total = creates.len() + downloads.len();
    println!(
        "{clients} clients × {per_client} (create + download) on {} core(s), SQLite:",
        std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
    );
    println!(
        "  all requests      {:>8.0} requests/s",
        total as f64 / elapsed
    );
    for (name, v) in [
        ("POST /v1/passes", &creates),
        ("GET …/download", &downloads),
    ] {
        println!(
            "  {name:<17} {:>8.0} requests/s  p50 {:>6.1} ms  p99 {:>6.1} ms",
            v.len() as f64 / elapsed,
            percentile(v, 0.50),
            percentile(v, 0.99)
        );
    }
    Ok(())
}
