//! The command-line shell: parses arguments, reads files, prints, and picks
//! exit codes (0 all good, 1 some rows or checks failed, 2 bad usage,
//! configuration or template). The only module that prints.

mod bench;
mod certs;
mod config;
mod google;
mod issue;
mod link;
#[cfg(feature = "preview")]
mod preview;
mod report;
#[cfg(feature = "server")]
mod serve;
#[cfg(feature = "studio")]
mod studio;
mod validate;
mod zip_temp;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for bad usage, configuration or template.
const EXIT_USAGE: u8 = 2;

/// passforge: wallet passes from templates.
#[derive(Debug, Parser)]
#[command(
    name = "passforge",
    version,
    about = "Render pass templates into signed Apple Wallet passes",
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Issue one pass per data row from a template.
    Issue(Box<issue::IssueArgs>),
    /// Lint a template folder, or verify a .pkpass / .pkpasses file.
    Validate(validate::ValidateArgs),
    /// Inspect certificates.
    #[command(subcommand)]
    Certs(certs::CertsCommand),
    /// Measure issuing throughput against OpenSSL's signing rate.
    Bench(Box<bench::BenchArgs>),
    /// Google Wallet save links.
    #[command(subcommand)]
    Google(google::GoogleCommand),
    /// Signed smart links (minted offline; the pass is made when opened).
    #[command(subcommand)]
    Link(link::LinkCommand),
    /// Pictures of one pass as Wallet shows it (front, back, Google card).
    #[cfg(feature = "preview")]
    Preview(Box<preview::PreviewArgs>),
    /// A local page that shows every template as Wallet shows it and
    /// redraws when a file is saved.
    #[cfg(feature = "studio")]
    Studio(Box<studio::StudioArgs>),
    /// Run the HTTP service (JSON API) on a SQLite or PostgreSQL database.
    #[cfg(feature = "server")]
    Serve(Box<serve::ServeArgs>),
    /// Manage the service's API keys.
    #[cfg(feature = "server")]
    #[command(subcommand)]
    Keys(serve::KeysCommand),
    /// Print the service's OpenAPI 3.1 document (as `GET /openapi.json`
    /// answers it), without a server.
    #[cfg(feature = "server")]
    Openapi,
}

/// The outcome of a command that ran to the end.
pub(crate) enum Outcome {
    /// Everything succeeded.
    Success,
    /// The command finished but some rows or checks failed.
    PartialFailure,
}

/// Runs a parsed command line and returns the process exit code.
pub(crate) fn run(cli: Cli) -> ExitCode {
    let result = match cli.command {
        Command::Issue(args) => issue::run(&args),
        Command::Validate(args) => validate::run(&args),
        Command::Certs(cmd) => certs::run(cmd),
        Command::Google(cmd) => google::run(cmd),
        Command::Link(cmd) => link::run(&cmd),
        Command::Bench(args) => bench::run(&args),
        #[cfg(feature = "preview")]
        Command::Preview(args) => preview::run(&args),
        #[cfg(feature = "studio")]
        Command::Studio(args) => studio::run(&args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(&args),
        #[cfg(feature = "server")]
        Command::Keys(cmd) => serve::keys(&cmd),
        #[cfg(feature = "server")]
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&passforge::service::openapi_document())
                    .unwrap_or_default()
            );
            Ok(Outcome::Success)
        }
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::PartialFailure) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Prints diagnostics to stderr, file names prefixed with `prefix` (the
/// template folder or archive); info lines only when `verbose`.
fn print_diagnostics<'a>(
    diags: impl IntoIterator<Item = &'a passforge::model::Diagnostic>,
    prefix: &str,
    verbose: bool,
) {
    for d in diags {
        if verbose || d.severity != passforge::model::Severity::Info {
            let mut d = d.clone();
            d.file = format!("{prefix}{}", d.file);
            eprintln!("{d}");
        }
    }
}

/// A template folder's load result for a command: the template, or every
/// problem printed (file names under `dir`) and an error saying what
/// `command` did not do (e.g. "nothing was issued").
fn template_or_report(
    dir: &std::path::Path,
    loaded: Result<passforge::template::Template, passforge::template::TemplateError>,
    verbose: bool,
    consequence: &str,
) -> anyhow::Result<passforge::template::Template> {
    match loaded {
        Ok(t) => Ok(t),
        Err(passforge::template::TemplateError::Invalid { name, diagnostics }) => {
            print_diagnostics(diagnostics.iter(), &dir_prefix(dir), verbose);
            anyhow::bail!(
                "template {name:?} in {} has {} error(s){consequence}",
                dir.display(),
                diagnostics.error_count()
            );
        }
        Err(e) => Err(e.into()),
    }
}

/// The stamp of a one-off pass from a row: its `serialNumber` column if it
/// has one (taken out of the row), else a random serial; a fresh
/// authentication token; signed now.
fn stamp_for(
    row: &mut serde_json::Map<String, serde_json::Value>,
) -> anyhow::Result<passforge::issue::Stamp> {
    use chrono::SubsecRound as _;
    let serial_number = passforge::issue::take_serial_number(row)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .unwrap_or_else(passforge::model::SerialNumber::random);
    Ok(passforge::issue::Stamp {
        serial_number,
        authentication_token: passforge::model::AuthToken::random(),
        signing_time: chrono::Utc::now().trunc_subsecs(0),
    })
}

/// Worker threads for `issue` and `bench`: the `--threads` given, else one
/// per core; at least one.
fn worker_threads(requested: Option<usize>) -> usize {
    requested
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
        .max(1)
}

/// `dir` as a prefix for the names of files inside it.
fn dir_prefix(dir: &std::path::Path) -> String {
    let s = dir.display().to_string();
    if s.ends_with('/') {
        s
    } else {
        format!("{s}/")
    }
}

#[cfg(test)]
mod tests {
    use super::worker_threads;

    #[test]
    fn worker_threads_default_to_the_cores_and_are_never_zero() {
        assert_eq!(worker_threads(Some(3)), 3);
        assert_eq!(worker_threads(Some(0)), 1);
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        assert_eq!(worker_threads(None), cores);
    }
}
