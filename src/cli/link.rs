//! `passforge link sign`: mints a signed smart link (format v1, see
//! `passforge::smartlink` and the README), offline, with a link-signing key.

use anyhow::Context as _;
use clap::{Args, Subcommand};

use super::Outcome;

/// Smart links.
#[derive(Debug, Subcommand)]
pub(crate) enum LinkCommand {
    /// Mint a signed smart link: the pass is created when it is first opened.
    Sign(SignArgs),
}

/// `passforge link sign`.
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The service's public base URL.
    #[arg(
        long,
        env = "PASSFORGE_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    base_url: String,
    /// The template id.
    #[arg(long)]
    template: String,
    /// A signed field value, `key=value` (repeat for more).
    #[arg(long = "field", value_name = "KEY=VALUE")]
    fields: Vec<String>,
    /// An unsigned field value the template allows, `key=value`.
    #[arg(long = "unsigned", value_name = "KEY=VALUE")]
    unsigned: Vec<String>,
    /// The link id: one pass per template and link id (e.g. an order line).
    #[arg(long)]
    link_id: String,
    /// Seconds from now until the link expires.
    #[arg(long)]
    expires_in: Option<i64>,
    /// The link-signing key's id (`lk_…`).
    #[arg(long, env = "PASSFORGE_LINK_KEY_ID")]
    key_id: String,
    /// The link-signing key's secret (better from the environment).
    #[arg(long, env = "PASSFORGE_LINK_SECRET", hide_env_values = true)]
    secret: String,
}

fn pairs(items: &[String], flag: &str) -> anyhow::Result<Vec<(String, String)>> {
    items
        .iter()
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .with_context(|| format!("{flag} {f:?}: write it as key=value"))
        })
        .collect()
}

/// Runs a `link` command.
pub(crate) fn run(cmd: &LinkCommand) -> anyhow::Result<Outcome> {
    match cmd {
        LinkCommand::Sign(a) => {
            let expires = a.expires_in.map(|s| chrono::Utc::now().timestamp() + s);
            let url = passforge::smartlink::mint(&passforge::smartlink::NewLink {
                base_url: &a.base_url,
                template: &a.template,
                fields: pairs(&a.fields, "--field")?,
                unsigned: pairs(&a.unsigned, "--unsigned")?,
                link_id: &a.link_id,
                expires,
                key_id: &a.key_id,
                secret: &a.secret,
            })
            .context("--link-id")?;
            println!("{url}");
            Ok(Outcome::Success)
        }
    }
}
