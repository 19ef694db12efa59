//! Push fan-out benchmark (not a test): one pass registered on N devices
//! (default 10,000), one change, and the time until every push has reached
//! `../shared/apns/fake_apns.py` (over real HTTP/2 + TLS with the pass
//! certificate). Prints pushes/s. The fake is Python: on a small machine it
//! may be the slower side, which the printed connection stats show.
//!
//! `cargo bench --bench push -- [devices]`

use std::path::Path;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Method, Request};
use passforge::service::{create_key, Scope};
use passforge::service::{router, ApnsConfig, AppState, RateLimit, ServiceConfig, Store};
use tower::ServiceExt as _;

type Error = Box<dyn std::error::Error + Send + Sync>;

fn openssl(dir: &Path, args: &[&str]) -> Result<(), Error> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()?;
    if !out.status.success() {
        return Err(format!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(())
}

async fn call(state: &AppState, req: Request<Body>) -> Result<(u16, Vec<u8>), Error> {
    let res = router(state.clone()).oneshot(req).await?;
    let status = res.status().as_u16();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await?;
    Ok((status, body.to_vec()))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let devices: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fake = root.join("../shared/apns/fake_apns.py");
    if !fake.is_file() {
        eprintln!(
            "{} not found: this benchmark needs ../shared beside the project",
            fake.display()
        );
        return Ok(());
    }
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=bench CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:true",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    )?;
    openssl(
        d,
        &[
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
        ],
    )?;
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )?;
    openssl(
        d,
        &[
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
        ],
    )?;
    let mut child = std::process::Command::new("python3")
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
            "--stats",
            "stats.json",
            "--exit-on-stdin-eof",
        ])
        .arg("--client-ca")
        .arg(root.join("certs-example/wwdr-ca.pem"))
        .current_dir(d)
        .stdin(std::process::Stdio::piped())
        .spawn()?;
    let mut port = None;
    for _ in 0..200 {
        if let Ok(p) = std::fs::read_to_string(d.join("port")) {
            port = Some(p.trim().parse::<u16>()?);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let port = port.ok_or("fake_apns.py did not start (pip install h2)")?;

    let store = Store::connect(&format!("sqlite://{}", d.join("bench.db").display())).await?;
    let key = create_key(&store, "bench", &[Scope::Write])
        .await?
        .token
        .expose()
        .to_owned();
    let mut config =
        ServiceConfig::new("http://127.0.0.1", passforge::apple::test_identity::load()?);
    config.web_service_url = Some("http://127.0.0.1/apple".into());
    config.rate_limit = RateLimit {
        per_minute: u32::MAX / 2,
        burst: u32::MAX / 2,
    };
    config.apns = ApnsConfig {
        base_url: format!("https://127.0.0.1:{port}"),
        ca_pem: Some(std::fs::read(d.join("ca.pem"))?),
        poll_interval: Duration::from_millis(20),
        ..ApnsConfig::default()
    };
    let state = AppState::new(store, &root.join("templates"), config);
    let body = serde_json::json!({"templateId": "event-ticket", "customFields": {"attendee": "Bench", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"}});
    let (status, out) = call(
        &state,
        Request::post("/v1/passes")
            .header("x-api-key", &key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))?,
    )
    .await?;
    if status != 201 {
        return Err(format!("create: {status} {}", String::from_utf8_lossy(&out)).into());
    }
    let pass: serde_json::Value = serde_json::from_slice(&out)?;
    let id = pass["id"].as_str().ok_or("id")?.to_owned();
    let serial = pass["serialNumber"].as_str().ok_or("serial")?.to_owned();
    let (_, pkpass) = call(
        &state,
        Request::get(format!("/v1/passes/{id}/download"))
            .header("x-api-key", &key)
            .body(Body::empty())?,
    )
    .await?;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(pkpass))?;
    let pj: serde_json::Value = serde_json::from_reader(zip.by_name("pass.json")?)?;
    let token = pj["authenticationToken"]
        .as_str()
        .ok_or("token")?
        .to_owned();
    eprintln!("registering {devices} devices…");
    for i in 0..devices {
        let uri =
            format!("/apple/v1/devices/dev{i}/registrations/pass.com.example.passforge/{serial}");
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("ApplePass {token}"))
            .body(Body::from(format!("{{\"pushToken\":\"{:064x}\"}}", i + 1)))?;
        let (status, _) = call(&state, req).await?;
        if status != 201 {
            return Err(format!("registration {i}: {status}").into());
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(passforge::service::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let start = Instant::now();
    let patch = serde_json::json!({"customFields": {"seat": "B2"}});
    let (status, _) = call(
        &state,
        Request::patch(format!("/v1/passes/{id}"))
            .header("x-api-key", &key)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(patch.to_string()))?,
    )
    .await?;
    if status != 200 {
        return Err(format!("patch: {status}").into());
    }
    let stats = loop {
        if let Ok(bytes) = std::fs::read(d.join("stats.json")) {
            let stats: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            if stats["requests"].as_u64().unwrap_or(0) >= u64::from(devices) {
                break stats;
            }
        }
        if start.elapsed() > Duration::from_secs(600) {
            return Err("not every push arrived within 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{devices} pushes in {secs:.2} s = {:.0} pushes/s ({} connection(s), up to {} streams in flight, statuses {})",
        f64::from(devices) / secs,
        stats["connections"],
        stats["max_streams_in_flight"],
        stats["by_status"]
    );
    let _ = stop.send(());
    server.await??;
    drop(child.stdin.take());
    let _ = child.wait();
    Ok(())
}
