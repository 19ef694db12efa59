//! `passforge serve` and `passforge keys`: the HTTP service and its API keys.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use passforge::service::{create_key, parse_scopes};
use passforge::service::{AppState, JwtAuth, RateLimit, ServiceConfig, Store};

use super::config::{ConfigArgs, Secret};
use super::Outcome;

/// The database URL used when none is given: a SQLite file in the working directory.
const DEFAULT_DATABASE_URL: &str = "sqlite://passforge.db";

/// Where the service keeps its data.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct DatabaseArgs {
    /// Database URL: sqlite://FILE (created on first start) or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "PASSFORGE_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, hide_env_values = true)]
    database_url: String,
}

/// Log line format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `passforge serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "PASSFORGE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The templates folder (every sub-folder is a template).
    #[arg(long, env = "PASSFORGE_TEMPLATES", default_value = "templates")]
    templates: PathBuf,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Log format.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// Accept bearer JWTs signed with this HS256 secret.
    #[arg(long, env = "PASSFORGE_JWT_HS256_SECRET", hide_env_values = true)]
    jwt_hs256_secret: Option<Secret>,
    /// Accept bearer JWTs signed by this RS256 key (PEM public key file).
    #[arg(long, env = "PASSFORGE_JWT_RS256_PUBLIC_KEY", value_name = "FILE")]
    jwt_rs256_public_key: Option<PathBuf>,
    /// Sustained requests per minute per credential.
    #[arg(long, env = "PASSFORGE_RATE_LIMIT_PER_MINUTE", default_value_t = 600)]
    rate_limit_per_minute: u32,
    /// APNs base URL (a local stand-in for tests).
    #[arg(
        long,
        env = "PASSFORGE_APNS_URL",
        default_value = "https://api.push.apple.com"
    )]
    apns_url: String,
    /// Trust only these CA certificates (PEM) for APNs instead of the system roots.
    #[arg(long, env = "PASSFORGE_APNS_CA", value_name = "FILE")]
    apns_ca: Option<PathBuf>,
    /// Google Wallet Objects API base URL (a local stand-in for tests).
    #[arg(
        long,
        env = "PASSFORGE_GOOGLE_API_URL",
        default_value = "https://walletobjects.googleapis.com"
    )]
    google_api_url: String,
    /// Google OAuth2 token URL.
    #[arg(
        long,
        env = "PASSFORGE_GOOGLE_TOKEN_URL",
        default_value = "https://oauth2.googleapis.com/token"
    )]
    google_token_url: String,
    /// Google's root signing keys for Wallet callbacks: the JSON key list Google publishes ({"keys": [{"keyValue", "protocolVersion"}]}). Without it /google/callbacks answers 404.
    #[arg(long, env = "PASSFORGE_GOOGLE_CALLBACK_KEYS", value_name = "FILE")]
    google_callback_keys: Option<PathBuf>,
    /// Sender id of Google Wallet callbacks.
    #[arg(
        long,
        env = "PASSFORGE_GOOGLE_CALLBACK_SENDER_ID",
        default_value = "GooglePayPasses"
    )]
    google_callback_sender_id: String,
    /// APNs provider-token authentication: the .p8 key file (instead of the pass certificate).
    #[arg(
        long,
        env = "PASSFORGE_APNS_KEY",
        value_name = "FILE",
        requires = "apns_key_id"
    )]
    apns_key: Option<PathBuf>,
    /// The .p8 key's id (from Apple's developer portal).
    #[arg(long, env = "PASSFORGE_APNS_KEY_ID", value_name = "ID")]
    apns_key_id: Option<String>,
    /// Team id for the provider token (default: the pass certificate's team).
    #[arg(long, env = "PASSFORGE_APNS_TEAM_ID", value_name = "ID")]
    apns_team_id: Option<String>,
    /// Allow webhook endpoints on loopback and private networks (for local development).
    #[arg(long, env = "PASSFORGE_WEBHOOKS_ALLOW_PRIVATE_NETWORKS")]
    webhooks_allow_private_networks: bool,
    /// Requests per credential allowed at once.
    #[arg(long, env = "PASSFORGE_RATE_LIMIT_BURST", default_value_t = 100)]
    rate_limit_burst: u32,
    /// Memory for signed passes kept between downloads, in MiB: each pass's
    /// own bytes (a few KB; its template's images are shared by all its
    /// passes). 0: none in memory; the signatures kept in the database
    /// still save signing.
    #[arg(long, env = "PASSFORGE_SIGNED_CACHE_MB", default_value_t = 64)]
    signed_cache_mb: usize,
    /// Benchmarks only: sign every download again and keep nothing (the
    /// baseline `benches/load/load.py` compares with).
    #[arg(long, hide = true)]
    bench_sign_every_read: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PASSFORGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        // Colors only on a terminal, not in a log file or a collector.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The async runtime of `serve` and `studio`.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// Resolves on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Runs the service until SIGTERM or Ctrl-C.
pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<Outcome> {
    init_logging(args.log_format);
    let signing = args.config.apple()?;
    let listening = format!("http://{}", args.listen);
    let public_url = args
        .config
        .public_url()?
        .unwrap_or_else(|| listening.clone())
        .trim_end_matches('/')
        .to_owned();
    let google = args.config.google_at(Some(&public_url))?;
    let jwt = match (&args.jwt_hs256_secret, &args.jwt_rs256_public_key) {
        (Some(_), Some(_)) => {
            anyhow::bail!("give --jwt-hs256-secret or --jwt-rs256-public-key, not both")
        }
        (Some(s), None) => Some(JwtAuth::hs256(s.expose().as_bytes())),
        (None, Some(p)) => {
            let pem = std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?;
            Some(
                JwtAuth::rs256(&pem)
                    .with_context(|| format!("{} is not an RSA public key (PEM)", p.display()))?,
            )
        }
        (None, None) => None,
    };
    if !args.templates.is_dir() {
        eprintln!(
            "warning: the templates folder {} does not exist; the service starts with no templates",
            args.templates.display()
        );
    }
    // Passes issued by the service are updatable: their web service is this
    // service's PassKit endpoint unless configured otherwise.
    let web_service_url = signing
        .web_service_url
        .or_else(|| Some(format!("{public_url}/apple")));
    let apns_ca = match &args.apns_ca {
        Some(p) => Some(std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?),
        None => None,
    };
    let apns_auth = match (&args.apns_key, &args.apns_key_id) {
        (Some(p), Some(kid)) => passforge::service::ApnsAuth::Token {
            key_id: kid.clone(),
            team_id: args
                .apns_team_id
                .clone()
                .unwrap_or_else(|| signing.identity.team_id().as_str().to_owned()),
            key_pem: std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
        },
        _ => passforge::service::ApnsAuth::Certificate,
    };
    let google_callbacks = match &args.google_callback_keys {
        Some(p) => {
            let v: serde_json::Value = serde_json::from_slice(
                &std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            )
            .with_context(|| format!("{} is not JSON", p.display()))?;
            let root_keys: Vec<String> = v["keys"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|k| k["protocolVersion"] == passforge::service::CALLBACK_PROTOCOL)
                        .filter_map(|k| k["keyValue"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if root_keys.is_empty() {
                anyhow::bail!(
                    "{} holds no {} key (expected {{\"keys\": [{{\"keyValue\": …, \"protocolVersion\": \"ECv2SigningOnly\"}}]}})",
                    p.display(),
                    passforge::service::CALLBACK_PROTOCOL
                );
            }
            Some(passforge::service::CallbackConfig {
                root_keys,
                sender_id: args.google_callback_sender_id.clone(),
                recipient_id: google.issuer_id.as_str().to_owned(),
            })
        }
        None => None,
    };
    let config = {
        let mut config = ServiceConfig::new(public_url, signing.identity);
        config.web_service_url = web_service_url;
        config.google = Some(google);
        config.jwt = jwt;
        config.rate_limit = RateLimit {
            per_minute: args.rate_limit_per_minute,
            burst: args.rate_limit_burst,
        };
        config.signed_cache_bytes = args.signed_cache_mb.saturating_mul(1 << 20);
        config.sign_every_read = args.bench_sign_every_read;
        config.webhooks = passforge::service::WebhookConfig {
            allow_private_networks: args.webhooks_allow_private_networks,
            ..passforge::service::WebhookConfig::default()
        };
        config.google_callbacks = google_callbacks;
        config.google_api = passforge::service::GoogleApiConfig {
            base_url: args.google_api_url.clone(),
            token_url: args.google_token_url.clone(),
            ..passforge::service::GoogleApiConfig::default()
        };
        config.apns = passforge::service::ApnsConfig {
            base_url: args.apns_url.clone(),
            auth: apns_auth,
            ca_pem: apns_ca,
            ..passforge::service::ApnsConfig::default()
        };
        config
    };
    runtime()?.block_on(async {
        let store = Store::connect(&args.database.database_url)
            .await
            .context("cannot open the database")?;
        let state = AppState::new(store, &args.templates, config);
        if args.templates.is_dir() {
            state
                .watch_templates()
                .with_context(|| format!("cannot watch {}", args.templates.display()))?;
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let templates = state.inner.templates.list();
        tracing::info!(
            address = %listener.local_addr()?,
            templates = templates.len(),
            "passforge listening"
        );
        eprintln!(
            "listening on {listening} ({} template(s) from {})",
            templates.len(),
            args.templates.display()
        );
        passforge::service::serve(listener, state, shutdown_signal()).await?;
        Ok(Outcome::Success)
    })
}

/// `passforge keys …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum KeysCommand {
    /// Create an API key; it is printed once and stored hashed.
    Create {
        /// A name to recognize the key by.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: read, write, admin (each includes the one before), or scan (door staff: scans and redemptions only; write and admin include it).
        #[arg(long, default_value = "read,write")]
        scopes: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List keys (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a key by its id.
    Revoke {
        /// The key id (the part after `pfk_`).
        id: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// Runs a `keys` command.
pub(crate) fn keys(cmd: &KeysCommand) -> anyhow::Result<Outcome> {
    runtime()?.block_on(async {
        match cmd {
            KeysCommand::Create {
                name,
                scopes,
                database,
            } => {
                let scopes = parse_scopes(scopes).map_err(|s| {
                    anyhow::anyhow!("unknown scope {s:?}: use read, write, admin and/or scan")
                })?;
                if scopes.is_empty() {
                    anyhow::bail!("give at least one scope: read, write, admin and/or scan");
                }
                let store = Store::connect(&database.database_url).await?;
                let key = create_key(&store, name, &scopes).await?;
                eprintln!(
                    "created key {} ({}) with scopes {}; it is shown only now:",
                    key.record.id, key.record.name, key.record.scopes
                );
                println!("{}", key.token.expose());
                store.close().await;
                Ok(Outcome::Success)
            }
            KeysCommand::List { database } => {
                let store = Store::connect(&database.database_url).await?;
                for k in store.keys().await? {
                    let created = chrono::DateTime::from_timestamp_millis(k.created_at)
                        .unwrap_or_default()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    let state = if k.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!("{}\t{}\t{}\t{}\t{}", k.id, k.name, k.scopes, created, state);
                }
                store.close().await;
                Ok(Outcome::Success)
            }
            KeysCommand::Revoke { id, database } => {
                let store = Store::connect(&database.database_url).await?;
                let id = id.trim_start_matches("pfk_");
                let id = id.split('_').next().unwrap_or(id);
                let done = store.revoke_key(id).await?;
                store.close().await;
                if done {
                    eprintln!("revoked key {id}");
                    Ok(Outcome::Success)
                } else {
                    anyhow::bail!("no active key with id {id:?} (see `passforge keys list`)")
                }
            }
        }
    })
}
