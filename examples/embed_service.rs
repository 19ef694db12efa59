//! passforge's service inside an application of your own: an axum app that
//! nests passforge's router under `/wallet` beside its own routes, starts
//! passforge's queue workers (webhooks, APNs pushes, Google updates, batch
//! jobs) through [`start_workers`], and shuts down gracefully: requests in
//! flight finish, then the workers finish the items in hand.
//!
//! ```sh
//! cargo run --example embed_service            # http://127.0.0.1:8090
//! cargo run --example embed_service -- 0 2     # any free port; stop after 2 s
//! ```
//!
//! Builds with the `server` feature alone (no CLI crates):
//! `cargo build --no-default-features --features server --example embed_service`.

use std::time::Duration;

use axum::routing::get;
use axum::Router;
use passforge::service::{
    create_key, router, start_workers, AppState, Scope, ServiceConfig, Store,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map_or(Ok(8090), |p| p.parse())?;
    let stop_after: Option<u64> = args.next().map(|s| s.parse()).transpose()?;

    let dir = std::env::temp_dir().join(format!("passforge-embed-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store = Store::connect(&format!("sqlite://{}", dir.join("wallet.db").display())).await?;
    let key = create_key(&store, "embedded", &[Scope::Admin]).await?;

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let identity = passforge::apple::test_identity::load()?;
    let config = ServiceConfig::new(format!("{base}/wallet"), identity);
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let state = AppState::new(store, &templates, config);

    let workers = start_workers(&state);
    let app = Router::new()
        .route(
            "/",
            get(|| async { "my application; passforge is at /wallet" }),
        )
        .nest("/wallet", router(state.clone()));
    println!("listening on {base}; try:");
    println!(
        "  curl -H 'X-API-Key: {}' {base}/wallet/v1/templates",
        key.token.expose()
    );

    let shutdown = async move {
        match stop_after {
            Some(secs) => tokio::time::sleep(Duration::from_secs(secs)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    workers.stop().await;
    state.inner.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    println!("stopped");
    Ok(())
}
