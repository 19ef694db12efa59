//! `passforge certs`: inspect a certificate or PKCS#12 file.

use std::path::PathBuf;

use anyhow::Context as _;
use passforge::apple::{parse_cert, CertInfo, SigningIdentity};

use super::Outcome;

/// `passforge certs …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum CertsCommand {
    /// Show a certificate's pass type id, team id, subject and expiry.
    Inspect {
        /// A PEM or DER certificate, or a PKCS#12 (.p12/.pfx) file.
        file: PathBuf,
        /// Password of a PKCS#12 file.
        #[arg(long, env = "PASSFORGE_KEY_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

pub(crate) fn run(cmd: CertsCommand) -> anyhow::Result<Outcome> {
    let CertsCommand::Inspect { file, password } = cmd;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let is_p12 = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "p12" | "pfx"));
    let info = if is_p12 {
        let id = SigningIdentity::from_pkcs12(&bytes, password.as_deref().unwrap_or(""), None)
            .with_context(|| format!("cannot read {}", file.display()))?;
        id.cert_info().clone()
    } else {
        CertInfo::of(&parse_cert(&bytes, "given")?)?
    };
    let now = chrono::Utc::now();
    println!("subject:        {}", info.subject);
    println!("issuer:         {}", info.issuer);
    println!(
        "pass type id:   {}",
        info.pass_type_id
            .as_deref()
            .unwrap_or("(none: not a Pass Type ID certificate)")
    );
    println!(
        "team id:        {}",
        info.team_id.as_deref().unwrap_or("(none)")
    );
    println!(
        "valid from:     {}",
        info.not_before.format("%Y-%m-%d %H:%M:%S UTC")
    );
    println!(
        "valid until:    {}{}",
        info.not_after.format("%Y-%m-%d %H:%M:%S UTC"),
        if info.not_after < now {
            "  EXPIRED"
        } else {
            ""
        }
    );
    println!("sha256:         {}", info.sha256_fingerprint);
    println!(
        "apple pass ext: {}",
        if info.has_pass_type_extension {
            "yes"
        } else {
            "no"
        }
    );
    if info.is_test {
        println!("WARNING: this is passforge's TEST-ONLY certificate; Wallet will not open passes signed with it");
    }
    Ok(if info.not_after < now || info.pass_type_id.is_none() {
        Outcome::PartialFailure
    } else {
        Outcome::Success
    })
}
