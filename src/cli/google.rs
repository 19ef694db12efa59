//! `passforge google jwt`: one Google Wallet save link from a template and a row.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use passforge::issue::Issuer;
use passforge::template::load_dir;

use super::config::ConfigArgs;
use super::{stamp_for, template_or_report, Outcome};

/// `passforge google …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum GoogleCommand {
    /// Print the "Save to Google Wallet" link for one row.
    Jwt(Box<JwtArgs>),
}

/// Arguments of `passforge google jwt`.
#[derive(Debug, clap::Args)]
pub(crate) struct JwtArgs {
    /// The template folder.
    #[arg(long, value_name = "DIR")]
    template: PathBuf,
    /// One row of custom field values as a JSON object (with an optional serialNumber).
    #[arg(long, value_name = "ROW.json")]
    data: PathBuf,
    /// Print only the JWT, not the save URL.
    #[arg(long)]
    jwt_only: bool,
    /// Reference a class and object inserted over REST instead of carrying them.
    #[arg(long)]
    skinny: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

pub(crate) fn run(cmd: GoogleCommand) -> anyhow::Result<Outcome> {
    let GoogleCommand::Jwt(args) = cmd;
    let signing = args.config.apple()?;
    let google = args.config.google()?;
    let template = template_or_report(&args.template, load_dir(&args.template), false, "")?;
    let text = std::fs::read(&args.data)
        .with_context(|| format!("cannot read {}", args.data.display()))?;
    let serde_json::Value::Object(mut row) = serde_json::from_slice(&text)
        .with_context(|| format!("{} is not valid JSON", args.data.display()))?
    else {
        bail!(
            "{} must hold one JSON object of field values",
            args.data.display()
        );
    };
    let stamp = stamp_for(&mut row).with_context(|| format!("{}", args.data.display()))?;
    let issuer = Issuer::new(&template, &signing.identity)
        .web_service_url(signing.web_service_url.as_deref())
        .apple(false)
        .google(Some(&google))
        .google_skinny(args.skinny);
    let issued = issuer
        .issue(&row, &stamp)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.data.display()))?;
    let g = issued.google.context("no Google output was produced")?;
    for w in &g.save.warnings {
        eprintln!("warning: {w}");
    }
    eprintln!("object {} of class {}", g.object_id, g.class_id);
    println!(
        "{}",
        if args.jwt_only {
            &g.save.jwt
        } else {
            &g.save.url
        }
    );
    Ok(Outcome::Success)
}
