//! Signed smart links (format v1): a URL a customer's backend mints
//! offline, `…/s/{template}?f.<field>=…&lid=…&exp=…&kid=…&sig=…`, which
//! creates the pass when someone first opens it.
//!
//! The signature is HMAC-SHA256, keyed with the link-signing secret's
//! UTF-8 bytes, over the canonical string
//!
//! ```text
//! passforge-link-v1 LF <template, percent-encoded> LF <signed parameters>
//! ```
//!
//! where the signed parameters are every query parameter except `sig` and
//! the unsigned `u.<field>` ones, each written `name=value` with name and
//! value percent-encoded (every byte but `A–Z a–z 0–9 - . _ ~` as `%XX`,
//! upper-case hex), sorted by that text, joined with `&`. The signature is
//! written base64url without padding. Pure functions: no clock, no IO.

use base64::Engine as _;

/// The first line of the canonical string.
pub const CANONICAL_PREFIX: &str = "passforge-link-v1";

/// Why a smart link's query cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// A parameter passforge does not know.
    #[error("unknown parameter {0:?} (known: f.<field>, u.<field>, lid, exp, kid, sig, wallet)")]
    Unknown(String),
    /// A required parameter is missing.
    #[error("the link has no {0} parameter")]
    Missing(&'static str),
    /// A parameter given twice.
    #[error("the parameter {0:?} is given twice")]
    Twice(String),
    /// `exp` is not a number of seconds.
    #[error("exp must be Unix seconds, got {0:?}")]
    Expiry(String),
    /// A link id that is empty, too long or uses other characters.
    #[error("lid must be 1 to 128 of A–Z a–z 0–9 - . _ ~")]
    LinkId,
    /// OpenSSL could not compute the signature.
    #[error("signing failed: {0}")]
    Signing(String),
}

/// A smart link's query, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkQuery {
    /// Signed field values (`f.<field>`), by field.
    pub fields: Vec<(String, String)>,
    /// Unsigned field values (`u.<field>`), by field.
    pub unsigned: Vec<(String, String)>,
    /// The link id: the pass is created once per template and link id.
    pub link_id: String,
    /// Expiry, Unix seconds.
    pub expires: Option<i64>,
    /// The signing key's id.
    pub key_id: String,
    /// The signature as given.
    pub signature: String,
    /// The signed parameters as sent, decoded (for the canonical string).
    signed: Vec<(String, String)>,
}

/// Percent-encodes every byte but the unreserved ones (RFC 3986).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical string of a template and its signed parameters.
pub fn canonical(template: &str, signed: &[(String, String)]) -> String {
    let mut pairs: Vec<String> = signed
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect();
    pairs.sort();
    format!(
        "{CANONICAL_PREFIX}\n{}\n{}",
        percent_encode(template),
        pairs.join("&")
    )
}

/// The signature of a canonical string: base64url HMAC-SHA256, no padding.
///
/// # Errors
/// When OpenSSL fails.
pub fn signature(secret: &str, canonical: &str) -> Result<String, openssl::error::ErrorStack> {
    let key = openssl::pkey::PKey::hmac(secret.as_bytes())?;
    let mut signer = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key)?;
    signer.update(canonical.as_bytes())?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signer.sign_to_vec()?))
}

/// What a smart link carries.
#[derive(Debug, Clone, Default)]
pub struct NewLink<'a> {
    /// The service's public base URL (`https://passes.example.com`).
    pub base_url: &'a str,
    /// The template id.
    pub template: &'a str,
    /// Signed field values.
    pub fields: Vec<(String, String)>,
    /// Unsigned field values (only fields the template allows).
    pub unsigned: Vec<(String, String)>,
    /// The link id (1 to 128 of `A–Z a–z 0–9 - . _ ~`).
    pub link_id: &'a str,
    /// Expiry, Unix seconds.
    pub expires: Option<i64>,
    /// The signing key's id.
    pub key_id: &'a str,
    /// The signing key's secret.
    pub secret: &'a str,
}

fn valid_link_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Mints a signed smart link.
///
/// # Errors
/// [`LinkError::LinkId`] for a bad link id, [`LinkError::Signing`] when
/// OpenSSL fails.
pub fn mint(link: &NewLink<'_>) -> Result<String, LinkError> {
    if !valid_link_id(link.link_id) {
        return Err(LinkError::LinkId);
    }
    let mut signed: Vec<(String, String)> = link
        .fields
        .iter()
        .map(|(k, v)| (format!("f.{k}"), v.clone()))
        .collect();
    signed.push(("lid".into(), link.link_id.into()));
    if let Some(e) = link.expires {
        signed.push(("exp".into(), e.to_string()));
    }
    signed.push(("kid".into(), link.key_id.into()));
    let sig = signature(link.secret, &canonical(link.template, &signed))
        .map_err(|e| LinkError::Signing(e.to_string()))?;
    let unsigned = link.unsigned.iter().map(|(k, v)| (format!("u.{k}"), v));
    let mut query: Vec<String> = signed
        .iter()
        .map(|(k, v)| (k.clone(), v))
        .chain(unsigned)
        .map(|(k, v)| format!("{}={}", percent_encode(&k), percent_encode(v)))
        .collect();
    query.sort();
    query.push(format!("sig={sig}"));
    Ok(format!(
        "{}/s/{}?{}",
        link.base_url.trim_end_matches('/'),
        percent_encode(link.template),
        query.join("&")
    ))
}

/// Reads a smart link's query (already split into decoded pairs).
///
/// # Errors
/// [`LinkError`] for unknown, repeated or missing parameters.
pub fn parse(pairs: &[(String, String)]) -> Result<LinkQuery, LinkError> {
    let mut q = LinkQuery {
        fields: Vec::new(),
        unsigned: Vec::new(),
        link_id: String::new(),
        expires: None,
        key_id: String::new(),
        signature: String::new(),
        signed: Vec::new(),
    };
    let mut seen = std::collections::BTreeSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(LinkError::Twice(k.clone()));
        }
        if let Some(f) = k.strip_prefix("f.").filter(|f| !f.is_empty()) {
            q.fields.push((f.to_owned(), v.clone()));
            q.signed.push((k.clone(), v.clone()));
        } else if let Some(f) = k.strip_prefix("u.").filter(|f| !f.is_empty()) {
            q.unsigned.push((f.to_owned(), v.clone()));
        } else {
            match k.as_str() {
                "lid" => {
                    if !valid_link_id(v) {
                        return Err(LinkError::LinkId);
                    }
                    q.link_id.clone_from(v);
                    q.signed.push((k.clone(), v.clone()));
                }
                "exp" => {
                    q.expires = Some(v.parse().map_err(|_| LinkError::Expiry(v.clone()))?);
                    q.signed.push((k.clone(), v.clone()));
                }
                "kid" => {
                    q.key_id.clone_from(v);
                    q.signed.push((k.clone(), v.clone()));
                }
                "sig" => q.signature.clone_from(v),
                // Which wallet to serve (the landing page's buttons): not signed.
                "wallet" => {}
                _ => return Err(LinkError::Unknown(k.clone())),
            }
        }
    }
    for (name, value) in [
        ("lid", &q.link_id),
        ("kid", &q.key_id),
        ("sig", &q.signature),
    ] {
        if value.is_empty() {
            return Err(LinkError::Missing(name));
        }
    }
    Ok(q)
}

impl LinkQuery {
    /// The canonical string this link was signed over.
    pub fn canonical(&self, template: &str) -> String {
        canonical(template, &self.signed)
    }

    /// Whether `secret` made this link's signature (compared in constant
    /// time).
    pub fn signed_with(&self, template: &str, secret: &str) -> bool {
        let Ok(expected) = signature(secret, &self.canonical(template)) else {
            return false;
        };
        expected.len() == self.signature.len()
            && openssl::memcmp::eq(expected.as_bytes(), self.signature.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(url: &str) -> Vec<(String, String)> {
        let query = url.split_once('?').map_or("", |(_, q)| q);
        query
            .split('&')
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (unescape(k), unescape(v))
            })
            .collect()
    }

    fn unescape(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() + 1 {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).expect("hex"));
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf8")
    }

    /// The README's test vector.
    fn vector() -> NewLink<'static> {
        NewLink {
            base_url: "https://passes.example.com",
            template: "event-ticket",
            fields: vec![
                ("attendee".into(), "Zoë O'Brien".into()),
                ("seat".into(), "A12".into()),
            ],
            unsigned: vec![],
            link_id: "order-1001",
            expires: Some(1_812_823_200),
            key_id: "lk_test",
            secret: "lks_test-secret-do-not-use",
        }
    }

    #[test]
    fn the_canonical_string_sorts_and_percent_encodes() {
        let url = mint(&vector()).expect("mint");
        // Computed independently with Python's hmac, hashlib and
        // urllib.parse.quote(s, safe="-._~"): the README's test vector.
        assert_eq!(
            url,
            "https://passes.example.com/s/event-ticket?exp=1812823200&f.attendee=Zo%C3%AB%20O%27Brien&f.seat=A12&kid=lk_test&lid=order-1001&sig=EU6QTu8wowpjcdsZpki9PQdX0yDMoUf_Xz2aQT4iKJk"
        );
        let q = parse(&decoded(&url)).expect("parse");
        assert_eq!(
            q.canonical("event-ticket"),
            "passforge-link-v1\nevent-ticket\nexp=1812823200&f.attendee=Zo%C3%AB%20O%27Brien&f.seat=A12&kid=lk_test&lid=order-1001"
        );
    }

    #[test]
    fn a_minted_link_verifies_and_any_change_breaks_it() {
        let url = mint(&vector()).expect("mint");
        let q = parse(&decoded(&url)).expect("parse");
        assert!(q.signed_with("event-ticket", "lks_test-secret-do-not-use"));
        assert!(
            !q.signed_with("event-ticket", "lks_other"),
            "another secret"
        );
        assert!(
            !q.signed_with("coupon", "lks_test-secret-do-not-use"),
            "another template"
        );
        let tampered = url.replace("A12", "A13");
        let t = parse(&decoded(&tampered)).expect("parse");
        assert!(!t.signed_with("event-ticket", "lks_test-secret-do-not-use"));
        // Unsigned values change nothing.
        let mut v = vector();
        v.unsigned = vec![("nickname".into(), "Zo".into())];
        let with = parse(&decoded(&mint(&v).expect("mint"))).expect("parse");
        assert_eq!(with.signature, q.signature);
        assert_eq!(
            with.unsigned,
            vec![("nickname".to_owned(), "Zo".to_owned())]
        );
    }

    #[test]
    fn unreadable_queries_say_what_is_wrong() {
        let p = |pairs: &[(&str, &str)]| {
            parse(
                &pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            p(&[("lid", "a"), ("kid", "k")]),
            Err(LinkError::Missing("sig"))
        );
        assert_eq!(
            p(&[("lid", "a"), ("kid", "k"), ("sig", "s"), ("x", "1")]),
            Err(LinkError::Unknown("x".into()))
        );
        assert_eq!(
            p(&[("lid", "a"), ("lid", "b")]),
            Err(LinkError::Twice("lid".into()))
        );
        assert_eq!(p(&[("lid", "a b")]), Err(LinkError::LinkId));
        assert!(matches!(p(&[("exp", "soon")]), Err(LinkError::Expiry(_))));
    }
}
