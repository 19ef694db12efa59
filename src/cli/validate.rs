//! `passforge validate`: lint a template folder or verify a `.pkpass` /
//! `.pkpasses` file.

use std::path::PathBuf;

use anyhow::Context as _;
use passforge::apple::parse_cert;
use passforge::apple::verify::{verify_bundle, verify_pkpass, VerifyOptions, VerifyReport};
use passforge::template::{load_dir, TemplateError};

use super::{dir_prefix, print_diagnostics, Outcome};

/// Arguments of `passforge validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct ValidateArgs {
    /// A template folder, a .pkpass or a .pkpasses file.
    path: PathBuf,
    /// Trust anchor (PEM) the pass's WWDR certificate must chain to.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Report expired certificates as warnings (for old passes such as Apple's samples).
    #[arg(long)]
    ignore_expiry: bool,
    /// Also print info notes.
    #[arg(long, short)]
    verbose: bool,
}

pub(crate) fn run(args: &ValidateArgs) -> anyhow::Result<Outcome> {
    let meta = std::fs::metadata(&args.path)
        .with_context(|| format!("cannot read {}", args.path.display()))?;
    if meta.is_dir() {
        let prefix = dir_prefix(&args.path);
        return match load_dir(&args.path) {
            Ok(t) => {
                print_diagnostics(t.diagnostics().iter(), &prefix, args.verbose);
                let warnings = t
                    .diagnostics()
                    .iter()
                    .filter(|d| d.severity == passforge::model::Severity::Warning)
                    .count();
                println!(
                    "OK template {:?}: {} pass, {} custom field(s), {} packaged file(s), {warnings} warning(s)",
                    t.id(),
                    t.style(),
                    t.schema().fields().len(),
                    t.assets().len()
                );
                Ok(Outcome::Success)
            }
            Err(TemplateError::Invalid { diagnostics, .. }) => {
                print_diagnostics(diagnostics.iter(), &prefix, args.verbose);
                println!(
                    "FAIL template {}: {} error(s)",
                    args.path.display(),
                    diagnostics.error_count()
                );
                Ok(Outcome::PartialFailure)
            }
            Err(e) => Err(e.into()),
        };
    }
    let bytes = std::fs::read(&args.path)
        .with_context(|| format!("cannot read {}", args.path.display()))?;
    let ca = match &args.ca {
        Some(p) => Some(parse_cert(
            &std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
            "CA",
        )?),
        None => None,
    };
    let opts = VerifyOptions {
        now: chrono::Utc::now(),
        ignore_expiry: args.ignore_expiry,
        ca,
    };
    let is_bundle = args
        .path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pkpasses"));
    let reports: Vec<(String, VerifyReport)> = if is_bundle {
        verify_bundle(&bytes, &opts)
    } else {
        vec![(String::new(), verify_pkpass(&bytes, &opts))]
    };
    let mut errors = 0;
    for (member, r) in &reports {
        let prefix = if member.is_empty() {
            format!("{}!", args.path.display())
        } else {
            format!("{}!{member}!", args.path.display())
        };
        print_diagnostics(&r.diagnostics, &prefix, args.verbose);
        if let Some(s) = &r.signer {
            if args.verbose {
                eprintln!(
                    "info: signer {} (valid until {}), signingTime {}",
                    s.subject,
                    s.not_after.format("%Y-%m-%d"),
                    r.signing_time.as_deref().unwrap_or("none")
                );
            }
        }
        errors += r.diagnostics.iter().filter(|d| d.is_error()).count();
    }
    if errors == 0 {
        println!(
            "OK {} ({} pass{})",
            args.path.display(),
            reports.len(),
            if reports.len() == 1 { "" } else { "es" }
        );
        Ok(Outcome::Success)
    } else {
        println!("FAIL {}: {errors} error(s)", args.path.display());
        Ok(Outcome::PartialFailure)
    }
}
