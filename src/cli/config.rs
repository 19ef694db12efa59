//! Configuration: flags, `PASSFORGE_*` environment variables and a TOML
//! config file, with the same names, in that order of precedence; the
//! built-in TEST-ONLY Apple identity and Google service account when nothing
//! is configured.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use passforge::apple::{test_identity, SigningIdentity};
use passforge::google::{test_service_account, GoogleConfig, IssuerId, ServiceAccount};
use passforge::model::{PassTypeId, TeamId};

/// A secret string whose Debug output is redacted.
#[derive(Clone)]
pub(crate) struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Secret {
    /// The secret itself, to hand to the code that uses it (never to print).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self)
    }
}

/// Where the signing identities, web service and public URL come from.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConfigArgs {
    /// TOML config file with the same keys as these flags (cert, key, key-password, wwdr, pass-type-id, team-id, web-service-url, google-issuer-id, google-service-account, google-origins, public-url).
    #[arg(long, env = "PASSFORGE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Pass Type ID certificate: PEM or DER, or a PKCS#12 (.p12/.pfx) holding certificate and key.
    #[arg(long, env = "PASSFORGE_CERT", value_name = "FILE")]
    cert: Option<PathBuf>,
    /// Private key (PEM, PKCS#1 or PKCS#8) when --cert is PEM/DER; may be the same file as --cert.
    #[arg(long, env = "PASSFORGE_KEY", value_name = "FILE")]
    key: Option<PathBuf>,
    /// Password of an encrypted key or of the PKCS#12 file.
    #[arg(
        long,
        env = "PASSFORGE_KEY_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    key_password: Option<Secret>,
    /// Apple WWDR intermediate certificate (PEM or DER), e.g. AppleWWDRCAG4.cer.
    #[arg(long, env = "PASSFORGE_WWDR", value_name = "FILE")]
    wwdr: Option<PathBuf>,
    /// Override the pass type identifier taken from the certificate.
    #[arg(long, env = "PASSFORGE_PASS_TYPE_ID", value_name = "ID")]
    pass_type_id: Option<String>,
    /// Override the team identifier taken from the certificate.
    #[arg(long, env = "PASSFORGE_TEAM_ID", value_name = "ID")]
    team_id: Option<String>,
    /// The PassKit web service URL written into passes (omitted when unset).
    #[arg(long, env = "PASSFORGE_WEB_SERVICE_URL", value_name = "URL")]
    web_service_url: Option<String>,
    /// Google Wallet issuer id (from the Google Pay & Wallet Console).
    #[arg(long, env = "PASSFORGE_GOOGLE_ISSUER_ID", value_name = "ID")]
    google_issuer_id: Option<String>,
    /// Google service-account JSON key file that signs save links.
    #[arg(long, env = "PASSFORGE_GOOGLE_SERVICE_ACCOUNT", value_name = "FILE")]
    google_service_account: Option<PathBuf>,
    /// Web origins allowed to show the "Add to Google Wallet" button (repeat, or comma-separated).
    #[arg(
        long = "google-origin",
        env = "PASSFORGE_GOOGLE_ORIGINS",
        value_name = "URL",
        value_delimiter = ','
    )]
    google_origins: Vec<String>,
    /// Public base URL of the service; Google images are served from <URL>/templates/<template>/<file>.
    #[arg(long, env = "PASSFORGE_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct FileConfig {
    cert: Option<PathBuf>,
    key: Option<PathBuf>,
    key_password: Option<Secret>,
    wwdr: Option<PathBuf>,
    pass_type_id: Option<String>,
    team_id: Option<String>,
    web_service_url: Option<String>,
    google_issuer_id: Option<String>,
    google_service_account: Option<PathBuf>,
    google_origins: Option<Vec<String>>,
    public_url: Option<String>,
}

/// The resolved Apple signing setup.
pub(crate) struct Signing {
    pub(crate) identity: SigningIdentity,
    pub(crate) web_service_url: Option<String>,
}

/// Where Google images are referenced from when no public URL is configured
/// (the service's default listening address).
const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

fn read(path: &Path, what: &str) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read the {what} file {}", path.display()))
}

fn check_url(flag: &str, url: &str) -> anyhow::Result<()> {
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.chars().any(char::is_whitespace)
    {
        bail!("--{flag} must be an http(s) URL, got {url:?}");
    }
    Ok(())
}

impl ConfigArgs {
    fn file(&self) -> anyhow::Result<FileConfig> {
        let Some(path) = &self.config else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let mut cfg: FileConfig = toml::from_str(&text)
            .with_context(|| format!("invalid config file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for p in [
            &mut cfg.cert,
            &mut cfg.key,
            &mut cfg.wwdr,
            &mut cfg.google_service_account,
        ]
        .into_iter()
        .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(cfg)
    }

    /// Merges flags, environment and config file, loads and checks the Apple identity.
    pub(crate) fn apple(&self) -> anyhow::Result<Signing> {
        let file = self.file()?;
        let cert = self.cert.clone().or(file.cert);
        let key = self.key.clone().or(file.key);
        let password = self.key_password.clone().or(file.key_password);
        let wwdr = self.wwdr.clone().or(file.wwdr);
        let pass_type_id = self.pass_type_id.clone().or(file.pass_type_id);
        let team_id = self.team_id.clone().or(file.team_id);
        let web_service_url = self
            .web_service_url
            .clone()
            .or(file.web_service_url)
            .filter(|u| !u.is_empty());

        let identity = match &cert {
            None => {
                if key.is_some() || wwdr.is_some() {
                    bail!("--key or --wwdr given without --cert; give the Pass Type ID certificate with --cert (or PASSFORGE_CERT)");
                }
                test_identity::load().context("the built-in test identity is damaged")?
            }
            Some(cert_path) => {
                let bytes = read(cert_path, "certificate")?;
                let wwdr_bytes = wwdr.as_deref().map(|p| read(p, "WWDR")).transpose()?;
                let is_p12 = cert_path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "p12" | "pfx"));
                let id = if is_p12 {
                    SigningIdentity::from_pkcs12(
                        &bytes,
                        password.as_ref().map_or("", |s| s.0.as_str()),
                        wwdr_bytes.as_deref(),
                    )
                } else {
                    let Some(wwdr_bytes) = wwdr_bytes else {
                        bail!("no WWDR certificate: give Apple's WWDR intermediate with --wwdr (or PASSFORGE_WWDR); download AppleWWDRCAG4.cer from Apple's certificate authority page");
                    };
                    let key_bytes = match &key {
                        Some(k) => read(k, "key")?,
                        None => bytes.clone(),
                    };
                    SigningIdentity::from_pem(
                        &bytes,
                        Some(&key_bytes),
                        password.as_ref().map(|s| s.0.as_str()),
                        &wwdr_bytes,
                    )
                };
                id.with_context(|| {
                    format!(
                        "cannot load the signing identity from {}",
                        cert_path.display()
                    )
                })?
            }
        };
        let pass_type_id = pass_type_id
            .map(|s| PassTypeId::parse(&s))
            .transpose()
            .context("invalid --pass-type-id")?;
        let team_id = team_id
            .map(|s| TeamId::parse(&s))
            .transpose()
            .context("invalid --team-id")?;
        let identity = identity.with_overrides(pass_type_id, team_id);
        let problems = identity.check(chrono::Utc::now());
        super::print_diagnostics(&problems, "", false);
        if problems.iter().any(passforge::model::Diagnostic::is_error) {
            bail!("the signing identity cannot be used");
        }
        if let Some(url) = &web_service_url {
            check_url("web-service-url", url)?;
        }
        eprintln!(
            "signing as {} (team {}) with {}, valid until {}",
            identity.pass_type_id(),
            identity.team_id(),
            cert.as_ref().map_or_else(
                || "the built-in TEST-ONLY certificate".to_owned(),
                |p| p.display().to_string()
            ),
            identity.cert_info().not_after.format("%Y-%m-%d")
        );
        Ok(Signing {
            identity,
            web_service_url,
        })
    }

    /// Merges flags, environment and config file into the Google settings.
    pub(crate) fn google(&self) -> anyhow::Result<GoogleConfig> {
        self.google_at(None)
    }

    /// The configured public URL, if any.
    pub(crate) fn public_url(&self) -> anyhow::Result<Option<String>> {
        let file = self.file()?;
        let url = self.public_url.clone().or(file.public_url);
        if let Some(u) = &url {
            check_url("public-url", u)?;
        }
        Ok(url)
    }

    /// As [`ConfigArgs::google`]; without a configured public URL, images
    /// point at `listening` (the service's own address) when given.
    pub(crate) fn google_at(&self, listening: Option<&str>) -> anyhow::Result<GoogleConfig> {
        let file = self.file()?;
        let account_path = self
            .google_service_account
            .clone()
            .or(file.google_service_account);
        let issuer = self.google_issuer_id.clone().or(file.google_issuer_id);
        let service_account = match &account_path {
            Some(p) => ServiceAccount::from_json(&read(p, "Google service-account")?)
                .with_context(|| format!("cannot use {}", p.display()))?,
            None => {
                test_service_account::load().context("the built-in Google test key is damaged")?
            }
        };
        let issuer_id = match (&issuer, &account_path) {
            (Some(i), _) => IssuerId::parse(i)?,
            (None, None) => IssuerId::parse(test_service_account::ISSUER_ID)?,
            (None, Some(_)) => bail!("no Google issuer id: give it with --google-issuer-id (or PASSFORGE_GOOGLE_ISSUER_ID); it is shown in the Google Pay & Wallet Console"),
        };
        if service_account.is_test() {
            eprintln!("warning: Google save links are signed with passforge's TEST-ONLY service account (certs-example/): Google will reject them; configure --google-service-account and --google-issuer-id");
        }
        let origins = if self.google_origins.is_empty() {
            file.google_origins.unwrap_or_default()
        } else {
            self.google_origins.clone()
        };
        for o in &origins {
            check_url("google-origin", o)?;
        }
        let public_url = match self.public_url.clone().or(file.public_url) {
            Some(u) => {
                check_url("public-url", &u)?;
                u
            }
            None => {
                let url = listening.unwrap_or(DEFAULT_PUBLIC_URL);
                eprintln!("warning: no --public-url (PASSFORGE_PUBLIC_URL): Google pass images point at {url}, the service's own address");
                url.to_owned()
            }
        };
        eprintln!(
            "google: issuer {issuer_id}, service account {}",
            service_account.email()
        );
        Ok(GoogleConfig {
            issuer_id,
            service_account,
            origins,
            public_url: Some(public_url),
        })
    }
}
