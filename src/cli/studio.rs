//! `passforge studio`: the designer's live page (see `passforge::studio`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use passforge::studio::Studio;

use super::config::ConfigArgs;
use super::serve::{runtime, shutdown_signal};
use super::Outcome;

/// Arguments of `passforge studio`.
#[derive(Debug, clap::Args)]
pub(crate) struct StudioArgs {
    /// The templates folder.
    #[arg(default_value = "templates", value_name = "FOLDER")]
    folder: PathBuf,
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 7878)]
    port: u16,
    #[command(flatten)]
    config: ConfigArgs,
}

pub(crate) fn run(args: &StudioArgs) -> anyhow::Result<Outcome> {
    let signing = args.config.apple()?;
    let google = match args.config.google() {
        Ok(g) => Some(g),
        Err(e) => {
            eprintln!("warning: no Google Wallet cards: {e:#}");
            None
        }
    };
    runtime()?.block_on(async {
        let studio = Studio::open(&args.folder, signing.identity, google)?;
        let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} (try another --port)"))?;
        let local = listener.local_addr()?;
        eprintln!(
            "passforge studio: watching {} (Ctrl-C to stop)",
            args.folder.display()
        );
        println!("http://{local}/");
        axum::serve(listener, studio.router())
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("the studio stopped")?;
        Ok(Outcome::Success)
    })
}
