//! The Google Wallet target: the same rendered pass as a Google Wallet class
//! and object, and the signed "Save to Google Wallet" JWT.
//!
//! Sync and IO-free: the issue time is an argument.

mod objects;
mod sign;

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{json, Value};

pub use objects::{map_pass, GooglePass, GoogleType, Warning};

/// Save links longer than this may not work everywhere (Google's own converter
/// falls back to REST inserts past about 1,800 characters).
pub const MAX_SAVE_URL_CHARS: usize = 1800;

/// The prefix of every save link.
pub const SAVE_URL_PREFIX: &str = "https://pay.google.com/gp/v/save/";

/// Why a Google pass or JWT could not be made.
#[derive(Debug, thiserror::Error)]
pub enum GoogleError {
    /// The service-account key file is not usable.
    #[error("invalid Google service-account key: {0}")]
    ServiceAccount(String),
    /// The issuer id is not a number.
    #[error(
        "invalid Google issuer id {0:?}: it is the number shown in the Google Pay & Wallet Console"
    )]
    IssuerId(String),
    /// The pass cannot be expressed as the Google type.
    #[error("cannot map the pass to a Google {kind} pass: {message}")]
    Mapping {
        /// The Google type.
        kind: &'static str,
        /// What is missing and how to supply it.
        message: String,
    },
    /// Signing the JWT failed.
    #[error("cannot sign the save JWT: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// A Google Wallet issuer id (digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerId(String);

impl IssuerId {
    /// Parses an issuer id.
    ///
    /// # Errors
    /// [`GoogleError::IssuerId`] when it is not 1 to 25 digits.
    pub fn parse(s: &str) -> Result<Self, GoogleError> {
        if s.is_empty() || s.len() > 25 || !s.chars().all(|c| c.is_ascii_digit()) {
            return Err(GoogleError::IssuerId(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for IssuerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Google service account: its e-mail and RSA signing key.
pub struct ServiceAccount {
    email: String,
    key_id: Option<String>,
    key: jsonwebtoken::EncodingKey,
    is_test: bool,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("email", &self.email)
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct KeyFile {
    client_email: String,
    private_key: String,
    private_key_id: Option<String>,
    project_id: Option<String>,
}

impl ServiceAccount {
    /// Reads a service-account JSON key file (as downloaded from Google Cloud).
    ///
    /// # Errors
    /// [`GoogleError::ServiceAccount`] when the JSON or its key is not usable.
    pub fn from_json(bytes: &[u8]) -> Result<Self, GoogleError> {
        let f: KeyFile = serde_json::from_slice(bytes).map_err(|e| GoogleError::ServiceAccount(format!("not a service-account JSON key file ({e}); download one from Google Cloud (IAM → Service accounts → Keys)")))?;
        if !f.client_email.contains('@') {
            return Err(GoogleError::ServiceAccount(format!(
                "client_email {:?} is not an e-mail address",
                f.client_email
            )));
        }
        let key =
            jsonwebtoken::EncodingKey::from_rsa_pem(f.private_key.as_bytes()).map_err(|e| {
                GoogleError::ServiceAccount(format!("private_key is not an RSA PEM key ({e})"))
            })?;
        Ok(Self {
            is_test: f.project_id.as_deref() == Some("passforge-test"),
            email: f.client_email,
            key_id: f.private_key_id,
            key,
        })
    }

    /// The service account's e-mail (the JWT's `iss`).
    pub fn email(&self) -> &str {
        &self.email
    }

    /// Whether this is passforge's TEST-ONLY key from certs-example/.
    pub fn is_test(&self) -> bool {
        self.is_test
    }
}

/// passforge's TEST-ONLY Google service account (certs-example/).
pub mod test_service_account {
    /// The key file.
    pub const JSON: &[u8] = include_bytes!("../../certs-example/google-service-account.json");
    /// A made-up issuer id used with it.
    pub const ISSUER_ID: &str = "3388000000000000001";

    /// Loads it.
    ///
    /// # Errors
    /// Only if the embedded file is damaged.
    pub fn load() -> Result<super::ServiceAccount, super::GoogleError> {
        super::ServiceAccount::from_json(JSON)
    }
}

/// Everything Google issuance needs besides the pass.
#[derive(Debug)]
pub struct GoogleConfig {
    /// The issuer id from the Google Pay & Wallet Console.
    pub issuer_id: IssuerId,
    /// The service account that signs save JWTs.
    pub service_account: ServiceAccount,
    /// Web origins allowed to show the "Add to Google Wallet" button.
    pub origins: Vec<String>,
    /// The public base URL of the service; template images are referenced as
    /// `<public_url>/templates/<template id>/<file>`.
    pub public_url: Option<String>,
}

/// A signed save JWT and its link.
#[derive(Debug, Clone)]
pub struct SaveJwt {
    /// The compact JWT.
    pub jwt: String,
    /// `https://pay.google.com/gp/v/save/<jwt>`.
    pub url: String,
    /// Problems that do not stop the link from working (e.g. its length).
    pub warnings: Vec<Warning>,
}

/// The OAuth2 scope of the Wallet Objects API.
pub const WALLET_SCOPE: &str = "https://www.googleapis.com/auth/wallet_object.issuer";

/// The signed assertion of an OAuth2 JWT-bearer grant
/// (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`) for the
/// Wallet Objects API: `iss` the service account, `aud` the token URL,
/// valid one hour from `now`. Pure; the caller posts it.
///
/// # Errors
/// [`GoogleError::Jwt`] when signing fails.
pub fn token_assertion(
    config: &GoogleConfig,
    token_url: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<String, GoogleError> {
    let iat = now.timestamp();
    let claims = json!({
        "iss": config.service_account.email,
        "scope": WALLET_SCOPE,
        "aud": token_url,
        "iat": iat,
        "exp": iat + 3600,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid.clone_from(&config.service_account.key_id);
    sign::install();
    Ok(jsonwebtoken::encode(
        &header,
        &claims,
        &config.service_account.key,
    )?)
}

/// Signs the "Save to Google Wallet" JWT for a mapped pass. With `skinny`,
/// the payload holds only the object reference (for classes and objects
/// inserted over REST beforehand).
///
/// # Errors
/// [`GoogleError::Jwt`] when signing fails.
pub fn save_jwt(
    pass: &GooglePass,
    config: &GoogleConfig,
    issued_at: chrono::DateTime<chrono::Utc>,
    skinny: bool,
) -> Result<SaveJwt, GoogleError> {
    save_jwt_many(std::slice::from_ref(pass), config, issued_at, skinny)
}

/// Signs one "Save to Google Wallet" JWT for several passes (an order's
/// tickets): every object, and each class once. With `skinny`, only the
/// object references.
///
/// # Errors
/// [`GoogleError::Jwt`] when signing fails.
pub fn save_jwt_many(
    passes: &[GooglePass],
    config: &GoogleConfig,
    issued_at: chrono::DateTime<chrono::Utc>,
    skinny: bool,
) -> Result<SaveJwt, GoogleError> {
    // Each class once (by id), every object; borrowed, not copied: the
    // claims serialize to the same bytes as the JSON value they describe
    // (keys in order, as serde_json's map sorts them).
    fn push<'a>(
        payload: &mut BTreeMap<String, Vec<Cow<'a, Value>>>,
        key: String,
        v: Cow<'a, Value>,
    ) {
        let list = payload.entry(key).or_default();
        if !list.iter().any(|x| x.get("id") == v.get("id")) {
            list.push(v);
        }
    }
    let mut payload = BTreeMap::new();
    for pass in passes {
        let ty = pass.google_type;
        if skinny {
            push(
                &mut payload,
                ty.objects_key(),
                Cow::Owned(json!({"id": pass.object_id, "classId": pass.class_id})),
            );
        } else {
            push(&mut payload, ty.classes_key(), Cow::Borrowed(&pass.class));
            push(&mut payload, ty.objects_key(), Cow::Borrowed(&pass.object));
        }
    }
    let claims = SaveClaims {
        aud: "google",
        iat: issued_at.timestamp(),
        iss: &config.service_account.email,
        origins: &config.origins,
        payload,
        typ: "savetowallet",
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid.clone_from(&config.service_account.key_id);
    sign::install();
    let jwt = jsonwebtoken::encode(&header, &claims, &config.service_account.key)?;
    let url = format!("{SAVE_URL_PREFIX}{jwt}");
    let mut warnings: Vec<Warning> = passes.iter().flat_map(|p| p.warnings.clone()).collect();
    if url.len() > MAX_SAVE_URL_CHARS {
        warnings.push(Warning {
            code: "google.save_url_long",
            message: format!(
                "the save link is {} characters long (more than about {MAX_SAVE_URL_CHARS} may fail in some browsers); insert the class and object over REST and use skinny links",
                url.len()
            ),
        });
    }
    Ok(SaveJwt { jwt, url, warnings })
}

/// The claims of a save JWT. Fields in alphabetical order: the bytes are
/// those of the same claims as a `serde_json` object (whose keys sort).
#[derive(serde::Serialize)]
struct SaveClaims<'a> {
    aud: &'static str,
    iat: i64,
    iss: &'a str,
    origins: &'a [String],
    payload: BTreeMap<String, Vec<Cow<'a, Value>>>,
    typ: &'static str,
}

/// Makes a Google object or class id suffix from any string: kept as is when
/// it uses only Google's characters (`A–Z a–z 0–9 . _ -`), otherwise the other
/// characters become `_` and a short hash of the original is appended, so two
/// different inputs never give the same suffix.
pub fn id_suffix(s: &str) -> String {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !s.is_empty() && s.chars().all(ok) {
        return s.to_owned();
    }
    let cleaned: String = s.chars().map(|c| if ok(c) { c } else { '_' }).collect();
    let hash = crate::apple::manifest::sha1_hex(s.as_bytes());
    format!("{cleaned}-{}", &hash[..10])
}

/// Deep-merges `over` into `base`: objects merge key by key, anything else
/// (arrays included) replaces.
pub fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_suffixes_are_valid_stable_and_distinct() {
        assert_eq!(id_suffix("TICKET-0001"), "TICKET-0001");
        let a = id_suffix("Zoë's pass");
        let b = id_suffix("Zoe_s pass");
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c)),
            "{a}"
        );
        assert_ne!(a, b);
        assert_eq!(a, id_suffix("Zoë's pass"));
    }

    #[test]
    fn merge_is_deep() {
        let mut base = json!({"a": {"b": 1, "c": [1]}, "d": 1});
        merge(&mut base, json!({"a": {"c": [2], "e": 3}}));
        assert_eq!(base, json!({"a": {"b": 1, "c": [2], "e": 3}, "d": 1}));
    }

    /// A made-up mapped pass of `class` with object `object`.
    fn pass(class: &str, object: &str) -> GooglePass {
        GooglePass {
            google_type: GoogleType::EventTicket,
            class_id: format!("1234.{class}"),
            object_id: format!("1234.{object}"),
            class: json!({"id": format!("1234.{class}"), "eventName": {"defaultValue": {"language": "en", "value": "Zoë's \"gig\""}}}),
            object: json!({"id": format!("1234.{object}"), "classId": format!("1234.{class}"), "state": "ACTIVE"}),
            warnings: vec![],
        }
    }

    /// The claims as one JSON value, as save JWTs were first built.
    fn claims_value(passes: &[GooglePass], config: &GoogleConfig, iat: i64, skinny: bool) -> Value {
        let mut payload = serde_json::Map::new();
        for p in passes {
            let mut push = |key: String, v: Value| {
                let list = payload.entry(key).or_insert_with(|| json!([]));
                let list = list.as_array_mut().expect("array");
                if !list.iter().any(|x| x.get("id") == v.get("id")) {
                    list.push(v);
                }
            };
            if skinny {
                push(
                    p.google_type.objects_key(),
                    json!({"id": p.object_id, "classId": p.class_id}),
                );
            } else {
                push(p.google_type.classes_key(), p.class.clone());
                push(p.google_type.objects_key(), p.object.clone());
            }
        }
        json!({"iss": config.service_account.email, "aud": "google", "typ": "savetowallet",
               "iat": iat, "origins": config.origins, "payload": payload})
    }

    #[test]
    fn save_jwt_claims_are_the_bytes_of_the_json_value_they_describe() {
        use base64::Engine as _;
        let config = GoogleConfig {
            issuer_id: IssuerId::parse("1234").expect("issuer"),
            service_account: test_service_account::load().expect("key"),
            origins: vec!["https://shop.example".to_owned()],
            public_url: None,
        };
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
        // Two tickets of one class (the class once) and one of another.
        let passes = [pass("gig", "t1"), pass("gig", "t2"), pass("fest", "t3")];
        for skinny in [false, true] {
            let jwt = save_jwt_many(&passes, &config, at, skinny).expect("signed");
            let claims = jwt.jwt.split('.').nth(1).expect("three parts");
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(claims)
                .expect("base64url");
            let expected = claims_value(&passes, &config, at.timestamp(), skinny);
            assert_eq!(
                String::from_utf8(bytes).expect("utf-8"),
                serde_json::to_string(&expected).expect("json"),
                "skinny: {skinny}"
            );
        }
        let full = claims_value(&passes, &config, 0, false);
        assert_eq!(
            full["payload"]["eventTicketClasses"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        assert_eq!(
            full["payload"]["eventTicketObjects"]
                .as_array()
                .map(Vec::len),
            Some(3)
        );
    }

    #[test]
    fn issuer_ids_are_digits() {
        assert!(IssuerId::parse("3388000000000000001").is_ok());
        assert!(IssuerId::parse("33a").is_err());
        assert!(ServiceAccount::from_json(b"{}").is_err());
        let sa = test_service_account::load().expect("test key");
        assert!(sa.is_test());
        assert!(!format!("{sa:?}").contains("PRIVATE"));
    }
}
