//! Credentials: API keys (`X-API-Key: pfk_<id>_<secret>`, stored as the
//! SHA-256 of the secret), user tokens (`Bearer pfu_<id>_<secret>`) and
//! bearer JWTs (HS256 secret or RS256 public key from configuration; `exp`
//! and `scope` checked). Scopes: `read` ⊂ `write` ⊂ `admin`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http::{header, HeaderValue, StatusCode};
use sha2::Digest as _;

use crate::service::clock::now_ms;
use crate::service::config::JwtAuth;
use crate::service::db::{self, KeyRecord, Store, StoreError};
use crate::service::error::ApiError;
use crate::service::state::AppState;

/// What a credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// GET anything.
    Read,
    /// Create, change and delete passes.
    Write,
    /// Templates, webhooks and everything else.
    Admin,
    /// Door staff: scans, redeem and adjust, the scan list and offline
    /// redemption uploads, nothing else. `write` and `admin` include it.
    Scan,
}

impl Scope {
    /// Parses `read`, `write` or `admin`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "read" => Some(Self::Read),
            "write" => Some(Self::Write),
            "admin" => Some(Self::Admin),
            "scan" => Some(Self::Scan),
            _ => None,
        }
    }

    /// The spelling used in keys and tokens.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
            Self::Scan => "scan",
        }
    }

    /// Whether holding `self` grants `needed`: read ⊂ write ⊂ admin, and
    /// scan beside them (write and admin include it; it includes nothing).
    pub fn includes(self, needed: Self) -> bool {
        match (self, needed) {
            (Self::Scan, n) => n == Self::Scan,
            (have, Self::Scan) => have >= Self::Write,
            (have, n) => have >= n,
        }
    }
}

/// Parses a list of scopes separated by commas or spaces.
///
/// # Errors
/// The first unknown scope.
pub fn parse_scopes(s: &str) -> Result<Vec<Scope>, String> {
    let mut out: Vec<Scope> = s
        .split([',', ' '])
        .filter(|p| !p.trim().is_empty())
        .map(|p| Scope::parse(p).ok_or_else(|| p.trim().to_owned()))
        .collect::<Result<_, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

/// A new API key's secret, shown once. Its Debug output is redacted.
pub struct NewKey {
    /// The stored record (hash only).
    pub record: KeyRecord,
    /// The whole key to hand to the client: `pfk_<id>_<secret>`.
    pub token: ApiKeyToken,
}

/// A full API key. Never logged: Debug is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeyToken(String);

impl ApiKeyToken {
    /// The key, to print once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for ApiKeyToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKeyToken(<redacted>)")
    }
}

fn random(n: usize) -> Result<Vec<u8>, StoreError> {
    let mut buf = vec![0u8; n];
    openssl::rand::rand_bytes(&mut buf)
        .map_err(|e| StoreError::Corrupt(format!("no randomness: {e}")))?;
    Ok(buf)
}

pub(crate) use crate::model::hex;

pub(crate) fn secret_hash(secret: &str) -> String {
    hex(&sha2::Sha256::digest(secret.as_bytes()))
}

/// Creates and stores a key with `scopes`.
///
/// # Errors
/// [`StoreError`].
pub async fn create_key(store: &Store, name: &str, scopes: &[Scope]) -> Result<NewKey, StoreError> {
    let id = hex(&random(6)?);
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random(24)?);
    let record = KeyRecord {
        id: id.clone(),
        name: name.to_owned(),
        secret_hash: secret_hash(&secret),
        scopes: scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(","),
        created_at: now_ms(),
        revoked_at: None,
    };
    store.insert_key(&record).await?;
    Ok(NewKey {
        record,
        token: ApiKeyToken(format!("pfk_{id}_{secret}")),
    })
}

/// Who is calling and what they may do.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Key id, or the JWT's `sub` (prefixed `jwt:`), or `user:<token id>`.
    pub id: String,
    /// Granted scopes (none for a user token).
    pub scopes: Vec<Scope>,
    /// The user a user-scoped token belongs to: such a token reaches only
    /// `/v1/me/…`.
    pub user_id: Option<String>,
}

impl Principal {
    /// 403 unless the principal holds `scope` (or a larger one).
    ///
    /// # Errors
    /// [`ApiError`] 403.
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        if self.user_id.is_some() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "user_token",
                "a user token reaches only /v1/me/passes, /v1/me/passes/{id}/download and /v1/me/connections",
            ));
        }
        if self.scopes.iter().any(|s| s.includes(scope)) {
            Ok(())
        } else {
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!(
                    "this credential lacks the {:?} scope (it has: {})",
                    scope.as_str(),
                    self.scopes
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ))
        }
    }
}

#[derive(serde::Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// A credential as the request carries it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Credential<'a> {
    /// `X-API-Key`.
    ApiKey(&'a str),
    /// `Authorization: Bearer` (a JWT or a user token).
    Bearer(&'a str),
}

/// Checks a credential.
///
/// # Errors
/// 401 when it is not valid.
pub(crate) async fn authenticate(
    credential: Credential<'_>,
    state: &AppState,
) -> Result<Principal, ApiError> {
    let store = &state.inner.store;
    match credential {
        Credential::ApiKey(key) => api_key(key, store, &state.inner.keys).await,
        Credential::Bearer(token) if token.starts_with("pfu_") => user_token(token, store).await,
        Credential::Bearer(token) => bearer(token, state.inner.config.jwt.as_ref()),
    }
}

/// How long a checked API key is trusted without reading its row again: a
/// key revoked elsewhere (`passforge keys revoke`, another instance) stops
/// working within this time.
pub(crate) const KEY_CACHE_TTL: Duration = Duration::from_secs(2);

/// Most keys remembered at once (all are forgotten when it is reached).
const KEY_CACHE_MAX: usize = 10_000;

/// API keys checked in the last [`KEY_CACHE_TTL`]: key id → the stored
/// secret hash and what the key may do, so a request with a key just seen
/// costs a SHA-256 and no query. Only valid, unrevoked keys are kept.
#[derive(Debug, Default)]
pub(crate) struct KeyCache {
    entries: Mutex<HashMap<String, CheckedKey>>,
}

#[derive(Debug, Clone)]
struct CheckedKey {
    secret_hash: String,
    principal: Principal,
    at: Instant,
}

impl KeyCache {
    /// The principal of key `id` if it was checked recently with the
    /// secret hashing to `hash`.
    fn get(&self, id: &str, hash: &str) -> Option<Principal> {
        let entries = self.entries.lock().ok()?;
        let e = entries.get(id)?;
        (e.at.elapsed() < KEY_CACHE_TTL && same_hash(hash, &e.secret_hash))
            .then(|| e.principal.clone())
    }

    fn put(&self, id: &str, secret_hash: &str, principal: &Principal) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= KEY_CACHE_MAX {
                entries.clear();
            }
            entries.insert(
                id.to_owned(),
                CheckedKey {
                    secret_hash: secret_hash.to_owned(),
                    principal: principal.clone(),
                    at: Instant::now(),
                },
            );
        }
    }
}

/// Constant-time comparison of two hex hashes.
fn same_hash(a: &str, b: &str) -> bool {
    a.len() == b.len() && openssl::memcmp::eq(a.as_bytes(), b.as_bytes())
}

/// 401 with `WWW-Authenticate`.
pub(crate) fn unauthorized(detail: &str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", detail).with_header(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"passforge\""),
    )
}

async fn api_key(key: &str, store: &Store, cache: &KeyCache) -> Result<Principal, ApiError> {
    let bad = || unauthorized("the API key is not valid; create one with `passforge keys create`");
    let rest = key.trim().strip_prefix("pfk_").ok_or_else(bad)?;
    let (id, secret) = rest.split_once('_').ok_or_else(bad)?;
    let hash = secret_hash(secret);
    if let Some(p) = cache.get(id, &hash) {
        return Ok(p);
    }
    let record = store.key(id).await?.ok_or_else(bad)?;
    if !same_hash(&hash, &record.secret_hash) {
        return Err(bad());
    }
    if record.revoked_at.is_some() {
        return Err(unauthorized("this API key was revoked"));
    }
    let scopes = parse_scopes(&record.scopes).map_err(|s| {
        ApiError::internal(&format!(
            "key {} has an unknown stored scope {s:?}",
            record.id
        ))
    })?;
    let principal = Principal {
        id: record.id,
        scopes,
        user_id: None,
    };
    cache.put(id, &record.secret_hash, &principal);
    Ok(principal)
}

/// A new user token: `pfu_<id>_<secret>`, its record id and the hash to store.
///
/// # Errors
/// [`StoreError`] when randomness is unavailable.
pub(crate) fn new_user_token() -> Result<(String, String, ApiKeyToken), StoreError> {
    let id = format!("ut{}", hex(&random(6)?));
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random(24)?);
    let hash = secret_hash(&secret);
    Ok((id.clone(), hash, ApiKeyToken(format!("pfu_{id}_{secret}"))))
}

async fn user_token(token: &str, store: &Store) -> Result<Principal, ApiError> {
    let bad = || unauthorized("the user token is not valid, expired or was revoked");
    let rest = token.strip_prefix("pfu_").ok_or_else(bad)?;
    let (id, secret) = rest.split_once('_').ok_or_else(bad)?;
    let row = db::users::token(&mut *store.conn().await?, id)
        .await?
        .ok_or_else(bad)?;
    if !same_hash(&secret_hash(secret), &row.secret_hash)
        || row.revoked_at.is_some()
        || row.expires_at <= now_ms()
    {
        return Err(bad());
    }
    Ok(Principal {
        id: format!("user:{id}"),
        scopes: Vec::new(),
        user_id: Some(row.user_id),
    })
}

fn bearer(token: &str, jwt: Option<&JwtAuth>) -> Result<Principal, ApiError> {
    let Some(jwt) = jwt else {
        return Err(unauthorized(
            "bearer tokens are not enabled on this server (configure --jwt-hs256-secret or --jwt-rs256-public-key); use X-API-Key",
        ));
    };
    let mut validation = jsonwebtoken::Validation::new(jwt.algorithm);
    validation.set_required_spec_claims(&["exp"]);
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Claims>(token, &jwt.key, &validation)
        .map_err(|e| unauthorized(&format!("the bearer token is not valid: {e}")))?;
    let scopes = parse_scopes(data.claims.scope.as_deref().unwrap_or(""))
        .map_err(|s| unauthorized(&format!("the bearer token has an unknown scope {s:?}")))?;
    Ok(Principal {
        id: format!("jwt:{}", data.claims.sub.unwrap_or_default()),
        scopes,
        user_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_order() {
        assert_eq!(
            parse_scopes("write, read").expect("valid"),
            vec![Scope::Read, Scope::Write]
        );
        assert_eq!(parse_scopes("read,owner"), Err("owner".to_owned()));
        let p = Principal {
            id: "k".into(),
            scopes: vec![Scope::Write],
            user_id: None,
        };
        assert!(p.require(Scope::Read).is_ok());
        assert!(p.require(Scope::Write).is_ok());
        assert_eq!(
            p.require(Scope::Admin).map_err(|e| e.status),
            Err(StatusCode::FORBIDDEN)
        );
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = ApiKeyToken("pfk_abc_secret".into());
        assert!(!format!("{t:?}").contains("secret"));
    }
}
