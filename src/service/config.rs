//! The service's configuration: everything it needs besides the database
//! and the templates folder, parsed once (by the CLI or an embedding
//! application) and passed down.

use std::time::Duration;

use crate::apple::SigningIdentity;
use crate::google::GoogleConfig;
pub use crate::service::ratelimit::RateLimit;

/// Everything the service needs besides the database. Made with
/// [`ServiceConfig::new`]; set the rest by field (more may come, so it is
/// not built as a struct literal outside this crate).
#[derive(Debug)]
#[non_exhaustive]
pub struct ServiceConfig {
    /// Base URL clients reach the service at (links in answers).
    pub public_url: String,
    /// PassKit web service URL written into passes.
    pub web_service_url: Option<String>,
    /// The Apple signing identity.
    pub identity: SigningIdentity,
    /// Google Wallet, when configured.
    pub google: Option<GoogleConfig>,
    /// Bearer-token verification, when enabled.
    pub jwt: Option<JwtAuth>,
    /// Requests per minute and burst per credential.
    pub rate_limit: RateLimit,
    /// Webhook delivery settings.
    pub webhooks: WebhookConfig,
    /// APNs push settings.
    pub apns: ApnsConfig,
    /// Google Wallet REST settings (used when `google` is set).
    pub google_api: GoogleApiConfig,
    /// Google Wallet callback verification (`/google/callbacks` answers 404
    /// without it).
    pub google_callbacks: Option<CallbackConfig>,
    /// Memory for signed passes kept between downloads (bytes: each pass's
    /// own, its template's images being shared by all its passes; 0 keeps
    /// none in memory, the signatures kept in the database still save
    /// signing).
    pub signed_cache_bytes: usize,
    /// Benchmarks' baseline: every read signs the version again and keeps
    /// nothing (how downloads worked before versions were signed once).
    #[doc(hidden)]
    pub sign_every_read: bool,
    /// Faults tests inject (none in service): see [`Faults`].
    #[doc(hidden)]
    pub faults: Faults,
}

/// Faults a test can inject to show what survives them.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// The process "dies" right after a change commits: the answer is
    /// never sent nor stored by the HTTP layer (the client sees a 503).
    pub die_after_commit: bool,
}

impl ServiceConfig {
    /// A service reached at `public_url` that signs with `identity`: no web
    /// service URL in passes (so no pushes), no Google Wallet, API keys
    /// only, the default rate limit, webhook, APNs and Google REST settings.
    pub fn new(public_url: impl Into<String>, identity: SigningIdentity) -> Self {
        Self {
            public_url: public_url.into(),
            web_service_url: None,
            identity,
            google: None,
            jwt: None,
            rate_limit: RateLimit::default(),
            webhooks: WebhookConfig::default(),
            apns: ApnsConfig::default(),
            google_api: GoogleApiConfig::default(),
            google_callbacks: None,
            signed_cache_bytes: 64 << 20,
            sign_every_read: false,
            faults: Faults::default(),
        }
    }
}

/// How the sender authenticates to APNs.
#[derive(Clone, Default)]
pub enum ApnsAuth {
    /// TLS client certificate: the Pass Type ID certificate that signs passes.
    #[default]
    Certificate,
    /// Provider token: an ES256 JWT signed with a `.p8` key, renewed before
    /// it is 50 minutes old.
    Token {
        /// The key's id (10 characters, from the developer portal).
        key_id: String,
        /// The team id (`iss`).
        team_id: String,
        /// The `.p8` file's PEM (PKCS#8 P-256 private key). Secret.
        key_pem: Vec<u8>,
    },
}

impl std::fmt::Debug for ApnsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Certificate => f.write_str("Certificate"),
            Self::Token {
                key_id, team_id, ..
            } => f
                .debug_struct("Token")
                .field("key_id", key_id)
                .field("team_id", team_id)
                .finish_non_exhaustive(),
        }
    }
}

/// Push settings.
#[derive(Debug, Clone)]
pub struct ApnsConfig {
    /// Whether this instance sends pushes (instances sharing a database
    /// must share this configuration; one may also leave sending to others).
    pub enabled: bool,
    /// Base URL: `https://api.push.apple.com` in production.
    pub base_url: String,
    /// Certificate or provider-token authentication.
    pub auth: ApnsAuth,
    /// Trusted roots (PEM) instead of the system's, e.g. a test CA.
    pub ca_pem: Option<Vec<u8>>,
    /// Waits before each retry of a 429/500/503; attempts = 1 + its length.
    pub retry_schedule: Vec<Duration>,
    /// How often the worker looks for due pushes when not woken.
    pub poll_interval: Duration,
    /// Timeout of one push.
    pub timeout: Duration,
}

impl Default for ApnsConfig {
    fn default() -> Self {
        let secs = [1, 5, 30, 120, 600, 1800, 3600];
        Self {
            enabled: true,
            base_url: "https://api.push.apple.com".into(),
            auth: ApnsAuth::Certificate,
            ca_pem: None,
            retry_schedule: secs.iter().map(|s| Duration::from_secs(*s)).collect(),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// REST settings.
#[derive(Debug, Clone)]
pub struct GoogleApiConfig {
    /// Whether this instance sends Google updates (see `ApnsConfig::enabled`).
    pub enabled: bool,
    /// `https://walletobjects.googleapis.com` in production.
    pub base_url: String,
    /// `https://oauth2.googleapis.com/token` in production.
    pub token_url: String,
    /// Waits before each retry of a 429/5xx; attempts = 1 + its length.
    pub retry_schedule: Vec<Duration>,
    /// How often the worker looks for due updates when not woken.
    pub poll_interval: Duration,
    /// Timeout of one request.
    pub timeout: Duration,
}

impl Default for GoogleApiConfig {
    fn default() -> Self {
        let secs = [2, 10, 60, 300, 1800, 3600];
        Self {
            enabled: true,
            base_url: "https://walletobjects.googleapis.com".into(),
            token_url: "https://oauth2.googleapis.com/token".into(),
            retry_schedule: secs.iter().map(|s| Duration::from_secs(*s)).collect(),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
        }
    }
}

/// Delivery settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Allow endpoints on loopback and private networks (off in production:
    /// webhooks must not reach the service's own network).
    pub allow_private_networks: bool,
    /// Waits before each retry; attempts = 1 + its length.
    pub retry_schedule: Vec<Duration>,
    /// How often the worker looks for due deliveries when not woken.
    pub poll_interval: Duration,
    /// Timeout of one delivery.
    pub timeout: Duration,
    /// How long a claimed delivery belongs to its instance without renewal
    /// (renewed every third of it while it runs): a dead instance's
    /// deliveries are sent by another within about this long.
    pub lease: Duration,
    /// Deliveries in flight at once in one instance (at most 4 of them to
    /// one endpoint, so a slow receiver never holds up the others).
    pub concurrency: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        let secs = [
            5, 60, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 72_000,
        ];
        Self {
            allow_private_networks: false,
            retry_schedule: secs.iter().map(|s| Duration::from_secs(*s)).collect(),
            poll_interval: Duration::from_secs(1),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(10),
            concurrency: 64,
        }
    }
}

/// The protocol version Google Wallet callbacks use.
pub const PROTOCOL: &str = "ECv2SigningOnly";

/// Callback verification settings.
#[derive(Debug, Clone, Default)]
pub struct CallbackConfig {
    /// Google's root signing keys: base64 DER SubjectPublicKeyInfo (the
    /// `keyValue`s of Google's published key list for `ECv2SigningOnly`).
    pub root_keys: Vec<String>,
    /// The sender id (`GooglePayPasses` for Wallet callbacks).
    pub sender_id: String,
    /// The recipient id: the issuer id.
    pub recipient_id: String,
}

/// Bearer-token verification settings.
#[derive(Clone)]
pub struct JwtAuth {
    pub(crate) key: jsonwebtoken::DecodingKey,
    pub(crate) algorithm: jsonwebtoken::Algorithm,
}

impl std::fmt::Debug for JwtAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtAuth")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl JwtAuth {
    /// HS256 with a shared secret.
    pub fn hs256(secret: &[u8]) -> Self {
        Self {
            key: jsonwebtoken::DecodingKey::from_secret(secret),
            algorithm: jsonwebtoken::Algorithm::HS256,
        }
    }

    /// RS256 with a PEM public key.
    ///
    /// # Errors
    /// When the PEM is not an RSA public key.
    pub fn rs256(public_pem: &[u8]) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(Self {
            key: jsonwebtoken::DecodingKey::from_rsa_pem(public_pem)?,
            algorithm: jsonwebtoken::Algorithm::RS256,
        })
    }
}
