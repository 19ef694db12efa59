//! The signing identity (Pass Type ID certificate, its key and the WWDR
//! intermediate) and the detached CMS signature over manifest.json.
//!
//! OpenSSL's PKCS#7/CMS signing functions stamp `signingTime` from the
//! process clock and offer no way to pass it in. The SignedData structure is
//! fixed, so it is assembled here in DER (certificates and signer id
//! serialized once per identity) and only the signature itself is computed by
//! OpenSSL. The result verifies with `openssl cms -verify` and Apple's parser.

use chrono::{DateTime, Datelike, Timelike, Utc};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{Id, PKey, Private};
use openssl::x509::X509;

use crate::model::{PassTypeId, TeamId};

/// Why an identity could not be loaded or a manifest not signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// A certificate could not be parsed.
    #[error("cannot read the {what} certificate: not PEM or DER X.509 ({source})")]
    Certificate {
        /// Which certificate.
        what: &'static str,
        /// OpenSSL's reason.
        source: openssl::error::ErrorStack,
    },
    /// The private key could not be parsed.
    #[error("cannot read the private key: {hint} ({source})")]
    Key {
        /// What to do.
        hint: &'static str,
        /// OpenSSL's reason.
        source: openssl::error::ErrorStack,
    },
    /// A PKCS#12 file could not be read.
    #[error("cannot read the PKCS#12 file: {hint}")]
    Pkcs12 {
        /// What to do.
        hint: String,
    },
    /// The certificate is not usable for passes.
    #[error("{0}")]
    Identity(String),
    /// OpenSSL failed while signing.
    #[error("signing failed: {0}")]
    Openssl(#[from] openssl::error::ErrorStack),
}

/// What a certificate says about itself.
#[derive(Debug, Clone)]
pub struct CertInfo {
    /// The subject, one line.
    pub subject: String,
    /// The issuer, one line.
    pub issuer: String,
    /// The UID of the subject (the pass type identifier), if any.
    pub pass_type_id: Option<String>,
    /// The OU of the subject (the team identifier), if any.
    pub team_id: Option<String>,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint, lowercase hex.
    pub sha256_fingerprint: String,
    /// Whether it carries Apple's Pass Type ID marker extension (1.2.840.113635.100.6.1.16).
    pub has_pass_type_extension: bool,
    /// Whether it is passforge's TEST-ONLY certificate (certs-example/).
    pub is_test: bool,
}

impl CertInfo {
    /// Reads what a certificate says about itself.
    ///
    /// # Errors
    /// When OpenSSL cannot read its fields.
    pub fn of(cert: &X509) -> Result<Self, SignError> {
        let entry = |nid: Nid| {
            cert.subject_name()
                .entries_by_nid(nid)
                .next()
                .and_then(|e| e.data().to_string().ok())
        };
        let fingerprint = cert.digest(MessageDigest::sha256())?;
        let der = cert.to_der()?;
        let marker = [
            0x06, 0x0A, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x63, 0x64, 0x06, 0x01, 0x10,
        ];
        let organization = entry(Nid::ORGANIZATIONNAME).unwrap_or_default();
        Ok(Self {
            subject: name_line(cert.subject_name()),
            issuer: name_line(cert.issuer_name()),
            pass_type_id: entry(Nid::USERID),
            team_id: entry(Nid::ORGANIZATIONALUNITNAME),
            not_before: asn1_to_chrono(cert.not_before())?,
            not_after: asn1_to_chrono(cert.not_after())?,
            sha256_fingerprint: fingerprint.iter().map(|b| format!("{b:02x}")).collect(),
            has_pass_type_extension: der.windows(marker.len()).any(|w| w == marker),
            is_test: organization.contains("TEST ONLY"),
        })
    }
}

fn name_line(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let key = e.object().nid().short_name().unwrap_or("?");
            let val = e.data().to_string().unwrap_or_default();
            format!("{key}={val}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn asn1_to_chrono(t: &openssl::asn1::Asn1TimeRef) -> Result<DateTime<Utc>, SignError> {
    let epoch = openssl::asn1::Asn1Time::from_unix(0)?;
    let d = epoch.diff(t)?;
    let secs = i64::from(d.days) * 86_400 + i64::from(d.secs);
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| SignError::Identity("certificate date out of range".to_owned()))
}

/// Parses one certificate from PEM or DER.
///
/// # Errors
/// [`SignError::Certificate`] when it is neither.
pub fn parse_cert(bytes: &[u8], what: &'static str) -> Result<X509, SignError> {
    X509::from_pem(bytes)
        .or_else(|_| X509::from_der(bytes))
        .map_err(|source| SignError::Certificate { what, source })
}

/// A Pass Type ID certificate, its private key and the WWDR intermediate,
/// parsed once and shared by every signing thread.
pub struct SigningIdentity {
    /// Distinguishes identities in the per-thread signing context cache.
    id: u64,
    key: PKey<Private>,
    info: CertInfo,
    wwdr_info: CertInfo,
    pass_type_id: PassTypeId,
    team_id: TeamId,
    /// `[0] IMPLICIT` certificate set, serialized once.
    certs_field: Vec<u8>,
    /// SignerIdentifier (IssuerAndSerialNumber), serialized once.
    sid: Vec<u8>,
    /// The signature AlgorithmIdentifier matching the key.
    sig_alg: Vec<u8>,
    /// The pass certificate followed by the WWDR certificate, PEM (the
    /// client certificate chain for APNs).
    chain_pem: Vec<u8>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("pass_type_id", &self.pass_type_id)
            .field("team_id", &self.team_id)
            .field("subject", &self.info.subject)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// Gives every identity a distinct number for [`SIGNING_CONTEXT`].
static NEXT_IDENTITY: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// A thread's signing context, with the id of the identity it belongs to.
type CachedContext = Option<(u64, openssl::pkey_ctx::PkeyCtx<Private>)>;

thread_local! {
    /// Each thread keeps an initialized OpenSSL signing context for the last
    /// identity it signed with: creating one per signature (provider look-up,
    /// context set-up) is measurable next to an RSA-2048 signature, and
    /// sharing one between threads would serialize them.
    static SIGNING_CONTEXT: std::cell::RefCell<CachedContext> = const { std::cell::RefCell::new(None) };
}

static LEGACY_PROVIDER: std::sync::OnceLock<Option<openssl::provider::Provider>> =
    std::sync::OnceLock::new();

impl SigningIdentity {
    /// Loads an identity from a PEM (or DER) certificate, a PEM private key
    /// (PKCS#1 or PKCS#8, optionally encrypted with `key_password`) and the
    /// WWDR certificate (PEM or DER). `key_pem` may be `None` when the key is
    /// in the certificate file.
    ///
    /// # Errors
    /// When a file cannot be parsed or the key does not belong to the certificate.
    pub fn from_pem(
        cert: &[u8],
        key_pem: Option<&[u8]>,
        key_password: Option<&str>,
        wwdr: &[u8],
    ) -> Result<Self, SignError> {
        let cert = parse_cert(cert, "pass")?;
        let key_src = key_pem.unwrap_or_default();
        let key = match key_password {
            Some(p) => PKey::private_key_from_pem_passphrase(key_src, p.as_bytes()),
            None => PKey::private_key_from_pem(key_src),
        }
        .map_err(|source| SignError::Key {
            hint: if key_password.is_some() {
                "check the key password (PASSFORGE_KEY_PASSWORD) and that the file is a PEM private key"
            } else {
                "expected a PEM private key (PKCS#1 or PKCS#8); if it is encrypted, give its password with --key-password or PASSFORGE_KEY_PASSWORD"
            },
            source,
        })?;
        let wwdr = parse_cert(wwdr, "WWDR")?;
        Self::new(&cert, key, &wwdr)
    }

    /// Loads an identity from a PKCS#12 file (as exported from Keychain
    /// Access). The WWDR certificate is taken from `wwdr` or, failing that,
    /// from the file's own chain.
    ///
    /// Old Keychain exports are encrypted with RC2, which OpenSSL 3 only
    /// reads through its legacy provider; it is loaded on demand.
    ///
    /// # Errors
    /// When the file or its password is wrong, or it holds no key or certificate.
    pub fn from_pkcs12(p12: &[u8], password: &str, wwdr: Option<&[u8]>) -> Result<Self, SignError> {
        let parsed = Pkcs12::from_der(p12).map_err(|e| SignError::Pkcs12 {
            hint: format!("not a PKCS#12 file ({e})"),
        })?;
        let parsed = match parsed.parse2(password) {
            Ok(p) => p,
            Err(first) => {
                let legacy = LEGACY_PROVIDER.get_or_init(|| {
                    openssl::provider::Provider::try_load(None, "legacy", true).ok()
                });
                let retry = if legacy.is_some() {
                    parsed.parse2(password).ok()
                } else {
                    None
                };
                match retry {
                    Some(p) => p,
                    None => {
                        let msg = first.to_string();
                        let hint = if msg.contains("unsupported") || msg.contains("RC2") {
                            format!("it uses legacy RC2 encryption that this OpenSSL cannot read ({msg}); convert it with: openssl pkcs12 -legacy -in old.p12 -nodes -out pass-and-key.pem && openssl pkcs12 -export -in pass-and-key.pem -out pass.p12")
                        } else {
                            format!("wrong password or damaged file ({msg}); give the password with --key-password or PASSFORGE_KEY_PASSWORD")
                        };
                        return Err(SignError::Pkcs12 { hint });
                    }
                }
            }
        };
        let key = parsed.pkey.ok_or_else(|| SignError::Pkcs12 {
            hint: "the file holds no private key; export the certificate together with its key"
                .to_owned(),
        })?;
        let cert = parsed.cert.ok_or_else(|| SignError::Pkcs12 {
            hint: "the file holds no certificate".to_owned(),
        })?;
        let wwdr = match wwdr {
            Some(w) => parse_cert(w, "WWDR")?,
            None => parsed
                .ca
                .and_then(|mut s| s.pop())
                .ok_or_else(|| SignError::Identity("no WWDR certificate: the PKCS#12 file has no chain; give Apple's WWDR intermediate (AppleWWDRCAG4.cer) with --wwdr".to_owned()))?,
        };
        Self::new(&cert, key, &wwdr)
    }

    fn new(cert: &X509, key: PKey<Private>, wwdr: &X509) -> Result<Self, SignError> {
        let cert_pub = cert.public_key()?;
        if !cert_pub.public_eq(&key) {
            return Err(SignError::Identity(
                "the private key does not belong to the pass certificate".to_owned(),
            ));
        }
        let wwdr_pub = wwdr.public_key()?;
        if !cert.verify(&wwdr_pub).unwrap_or(false) {
            return Err(SignError::Identity(format!(
                "the WWDR certificate ({}) did not issue the pass certificate (issuer: {}); use the matching WWDR intermediate (Apple's current one is G4)",
                name_line(wwdr.subject_name()),
                name_line(cert.issuer_name())
            )));
        }
        let info = CertInfo::of(cert)?;
        let wwdr_info = CertInfo::of(wwdr)?;
        let pass_type_id = info
            .pass_type_id
            .as_deref()
            .and_then(|s| PassTypeId::parse(s).ok())
            .ok_or_else(|| SignError::Identity(format!("not a Pass Type ID certificate: its subject ({}) has no UID=pass.… ; create a Pass Type ID certificate in Apple's developer portal", info.subject)))?;
        let team_id = info
            .team_id
            .as_deref()
            .and_then(|s| TeamId::parse(s).ok())
            .ok_or_else(|| {
                SignError::Identity(format!(
                    "not a Pass Type ID certificate: its subject ({}) has no OU=<team id>",
                    info.subject
                ))
            })?;
        let sig_alg = match key.id() {
            Id::RSA => der::seq(&[&der::oid(der::OID_RSA_ENCRYPTION), der::NULL].concat()),
            Id::EC => der::seq(&der::oid(der::OID_ECDSA_SHA256)),
            other => {
                return Err(SignError::Identity(format!(
                    "unsupported key type {other:?}; Pass Type ID keys are RSA"
                )))
            }
        };
        let chain_pem = [cert.to_pem()?, wwdr.to_pem()?].concat();
        let mut certs = [cert.to_der()?, wwdr.to_der()?];
        certs.sort();
        let certs_field = der::tlv(0xA0, &certs.concat());
        let serial = cert.serial_number().to_bn()?.to_vec();
        let sid = der::seq(&[cert.issuer_name().to_der()?, der::integer(&serial)].concat());
        Ok(Self {
            id: NEXT_IDENTITY.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            key,
            info,
            wwdr_info,
            pass_type_id,
            team_id,
            certs_field,
            sid,
            sig_alg,
            chain_pem,
        })
    }

    /// The pass certificate and the WWDR certificate, PEM: the client
    /// certificate chain for APNs certificate authentication.
    pub fn chain_pem(&self) -> &[u8] {
        &self.chain_pem
    }

    /// The private key as PKCS#8 PEM, for the APNs TLS client. Secret:
    /// never log it.
    ///
    /// # Errors
    /// [`SignError::Openssl`] when OpenSSL cannot serialize the key.
    pub fn private_key_pkcs8_pem(&self) -> Result<Vec<u8>, SignError> {
        Ok(self.key.private_key_to_pem_pkcs8()?)
    }

    /// Replaces the pass type identifier and team written into passes (for
    /// certificates whose subject does not carry them as Apple's do).
    pub fn with_overrides(
        mut self,
        pass_type_id: Option<PassTypeId>,
        team_id: Option<TeamId>,
    ) -> Self {
        if let Some(p) = pass_type_id {
            self.pass_type_id = p;
        }
        if let Some(t) = team_id {
            self.team_id = t;
        }
        self
    }

    /// The pass type identifier stamped into every pass.
    pub fn pass_type_id(&self) -> &PassTypeId {
        &self.pass_type_id
    }

    /// The team identifier stamped into every pass.
    pub fn team_id(&self) -> &TeamId {
        &self.team_id
    }

    /// The pass certificate's details.
    pub fn cert_info(&self) -> &CertInfo {
        &self.info
    }

    /// The WWDR certificate's details.
    pub fn wwdr_info(&self) -> &CertInfo {
        &self.wwdr_info
    }

    /// Problems with the identity at `now`: expired or not yet valid
    /// certificates (errors), an identity that differs from the certificate
    /// or a missing Pass Type ID extension (warnings).
    pub fn check(&self, now: DateTime<Utc>) -> Vec<crate::model::Diagnostic> {
        use crate::model::{Diagnostic, Location};
        let mut out = Vec::new();
        for (what, info) in [
            ("pass certificate", &self.info),
            ("WWDR certificate", &self.wwdr_info),
        ] {
            if info.not_after < now {
                out.push(Diagnostic::error(
                    what,
                    Location::File,
                    "cert.expired",
                    format!(
                        "the {what} expired on {}; renew it in Apple's developer portal",
                        info.not_after.format("%Y-%m-%d")
                    ),
                ));
            } else if info.not_before > now {
                out.push(Diagnostic::error(
                    what,
                    Location::File,
                    "cert.not_yet_valid",
                    format!(
                        "the {what} is not valid before {}",
                        info.not_before.format("%Y-%m-%d %H:%M UTC")
                    ),
                ));
            }
        }
        if self.info.pass_type_id.as_deref() != Some(self.pass_type_id.as_str())
            || self.info.team_id.as_deref() != Some(self.team_id.as_str())
        {
            out.push(Diagnostic::warning("pass certificate", Location::File, "cert.identity_override", format!("passes will say {} / {} but the certificate is for {} / {}; Wallet rejects passes whose identifiers do not match the certificate", self.pass_type_id, self.team_id, self.info.pass_type_id.as_deref().unwrap_or("?"), self.info.team_id.as_deref().unwrap_or("?"))));
        }
        if self.info.is_test {
            out.push(Diagnostic::warning("pass certificate", Location::File, "cert.test_identity", "signing with passforge's TEST-ONLY certificate (certs-example/): Wallet will not open these passes; configure your own Pass Type ID certificate"));
        } else if !self.info.has_pass_type_extension {
            out.push(Diagnostic::warning("pass certificate", Location::File, "cert.no_pass_extension", "the certificate lacks Apple's Pass Type ID extension; Wallet accepts only certificates issued by Apple"));
        }
        out
    }

    /// Signs manifest.json: a detached CMS SignedData (DER) with signed
    /// attributes contentType, signingTime and messageDigest (SHA-256),
    /// carrying the pass certificate and the WWDR intermediate.
    ///
    /// # Errors
    /// [`SignError::Openssl`] when OpenSSL fails to sign.
    pub fn sign_manifest(
        &self,
        manifest: &[u8],
        signing_time: DateTime<Utc>,
    ) -> Result<Vec<u8>, SignError> {
        self.sign_manifest_valued(manifest, signing_time)
            .map(|(cms, _)| cms)
    }

    /// [`SigningIdentity::sign_manifest`], with the length of the
    /// signature value that ends the structure (what is worth keeping: the
    /// rest follows from the manifest, the time and this identity).
    ///
    /// # Errors
    /// As [`SigningIdentity::sign_manifest`].
    pub fn sign_manifest_valued(
        &self,
        manifest: &[u8],
        signing_time: DateTime<Utc>,
    ) -> Result<(Vec<u8>, usize), SignError> {
        let attrs = signed_attributes(manifest, signing_time);
        let value = self.sign_digest(&openssl::sha::sha256(&der::set(&attrs)))?;
        Ok((self.cms(&attrs, &value), value.len()))
    }

    /// The signature of `manifest` at `signing_time` made again from what
    /// was kept of an earlier one: its value alone (no longer than this
    /// key's signatures), around which the rest of the structure is laid
    /// out as [`SigningIdentity::sign_manifest`] does, or the whole
    /// structure ([`SigningIdentity::made_signature`]); with the value's
    /// length. `None` unless this identity's public key verifies the value
    /// over exactly these attributes.
    pub fn signature_from_kept(
        &self,
        kept: &[u8],
        manifest: &[u8],
        signing_time: DateTime<Utc>,
    ) -> Option<(Vec<u8>, usize)> {
        if kept.len() <= self.key.size() {
            let attrs = signed_attributes(manifest, signing_time);
            return (!kept.is_empty() && self.verifies(&attrs, kept))
                .then(|| (self.cms(&attrs, kept), kept.len()));
        }
        self.made_value_len(kept, manifest, signing_time)
            .map(|len| (kept.to_vec(), len))
    }

    /// Whether `signature` is exactly what [`SigningIdentity::sign_manifest`]
    /// made of `manifest` at `signing_time` with this identity: the same
    /// CMS structure byte for byte (attributes, certificates, signer) around
    /// a signature value this identity's public key verifies. A signature
    /// kept from an earlier signing can then be used again instead of
    /// signing anew (a public-key check costs a few percent of a signature).
    pub fn made_signature(
        &self,
        signature: &[u8],
        manifest: &[u8],
        signing_time: DateTime<Utc>,
    ) -> bool {
        self.made_value_len(signature, manifest, signing_time)
            .is_some()
    }

    /// The length of the value ending `signature` if it is what
    /// [`SigningIdentity::made_signature`] accepts.
    fn made_value_len(
        &self,
        signature: &[u8],
        manifest: &[u8],
        signing_time: DateTime<Utc>,
    ) -> Option<usize> {
        let attrs = signed_attributes(manifest, signing_time);
        // The value is the structure's last field; its length is the key's
        // size for RSA and a few bytes less than the most for ECDSA.
        let most = self.key.size();
        (most.saturating_sub(8)..=most).rev().find(|&len| {
            if len > signature.len() {
                return false;
            }
            let (frame, value) = signature.split_at(signature.len() - len);
            let expected = self.cms(&attrs, &vec![0; len]);
            expected.len() == signature.len()
                && &expected[..frame.len()] == frame
                && self.verifies(&attrs, value)
        })
    }

    /// Whether `value` is this identity's signature over the DER SET of
    /// `attrs`.
    fn verifies(&self, attrs: &[u8], value: &[u8]) -> bool {
        let check = || -> Result<bool, openssl::error::ErrorStack> {
            let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), &self.key)?;
            if self.key.id() == Id::RSA {
                v.set_rsa_padding(openssl::rsa::Padding::PKCS1)?;
            }
            v.update(&der::set(attrs))?;
            v.verify(value)
        };
        check().unwrap_or(false)
    }

    /// The CMS SignedData around signed attributes `attrs` and their
    /// signature `value`.
    fn cms(&self, attrs: &[u8], value: &[u8]) -> Vec<u8> {
        let sha256_alg = der::seq(&[der::oid(der::OID_SHA256), der::NULL.to_vec()].concat());
        let signer_info = der::seq(
            &[
                der::integer(&[1]),
                self.sid.clone(),
                sha256_alg.clone(),
                der::tlv(0xA0, attrs),
                self.sig_alg.clone(),
                der::tlv(0x04, value),
            ]
            .concat(),
        );
        let signed_data = der::seq(
            &[
                der::integer(&[1]),
                der::set(&sha256_alg),
                der::seq(&der::oid(der::OID_DATA)),
                self.certs_field.clone(),
                der::set(&signer_info),
            ]
            .concat(),
        );
        der::seq(&[der::oid(der::OID_SIGNED_DATA), der::tlv(0xA0, &signed_data)].concat())
    }
}

/// The signed attributes of a manifest's signature (contentType,
/// signingTime, messageDigest), in DER SET order, without the SET header.
fn signed_attributes(manifest: &[u8], signing_time: DateTime<Utc>) -> Vec<u8> {
    let digest = openssl::sha::sha256(manifest);
    let mut attrs = [
        der::seq(
            &[
                der::oid(der::OID_CONTENT_TYPE),
                der::set(&der::oid(der::OID_DATA)),
            ]
            .concat(),
        ),
        der::seq(
            &[
                der::oid(der::OID_SIGNING_TIME),
                der::set(&der::time(signing_time)),
            ]
            .concat(),
        ),
        der::seq(
            &[
                der::oid(der::OID_MESSAGE_DIGEST),
                der::set(&der::tlv(0x04, &digest)),
            ]
            .concat(),
        ),
    ];
    attrs.sort();
    attrs.concat()
}

impl SigningIdentity {
    /// Signs a SHA-256 digest (PKCS#1 v1.5 for RSA, DER ECDSA for EC) with
    /// this thread's cached signing context.
    fn sign_digest(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        SIGNING_CONTEXT.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.as_ref().is_none_or(|(id, _)| *id != self.id) {
                let mut ctx = openssl::pkey_ctx::PkeyCtx::new(&self.key)?;
                ctx.sign_init()?;
                if self.key.id() == Id::RSA {
                    ctx.set_rsa_padding(openssl::rsa::Padding::PKCS1)?;
                }
                ctx.set_signature_md(openssl::md::Md::sha256())?;
                *slot = Some((self.id, ctx));
            }
            let mut sig = Vec::with_capacity(512);
            match slot.as_mut() {
                Some((_, ctx)) => {
                    ctx.sign_to_vec(digest, &mut sig)?;
                    Ok(sig)
                }
                None => Err(SignError::Identity("no signing context".to_owned())),
            }
        })
    }

    /// One bare signature over a SHA-256 digest, as `openssl speed` measures
    /// it: the irreducible cost of a pass, for the throughput benchmark.
    ///
    /// # Errors
    /// When OpenSSL fails to sign.
    pub fn sign_digest_for_benchmark(&self, digest: &[u8; 32]) -> Result<Vec<u8>, SignError> {
        self.sign_digest(digest)
    }
}

/// Minimal DER encoding for the fixed CMS structure above.
mod der {
    use super::{DateTime, Datelike, Timelike, Utc};

    pub(super) const OID_SIGNED_DATA: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02];
    pub(super) const OID_DATA: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01];
    pub(super) const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    pub(super) const OID_RSA_ENCRYPTION: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    pub(super) const OID_ECDSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
    pub(super) const OID_CONTENT_TYPE: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x03];
    pub(super) const OID_MESSAGE_DIGEST: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x04];
    pub(super) const OID_SIGNING_TIME: &[u8] =
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05];
    pub(super) const NULL: &[u8] = &[0x05, 0x00];

    pub(super) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(content.len() + 6);
        out.push(tag);
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else {
            let bytes = len.to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            out.push(0x80 | (bytes.len() - skip) as u8);
            out.extend_from_slice(&bytes[skip..]);
        }
        out.extend_from_slice(content);
        out
    }

    pub(super) fn seq(content: &[u8]) -> Vec<u8> {
        tlv(0x30, content)
    }

    pub(super) fn set(content: &[u8]) -> Vec<u8> {
        tlv(0x31, content)
    }

    pub(super) fn oid(body: &[u8]) -> Vec<u8> {
        tlv(0x06, body)
    }

    /// An INTEGER from a big-endian unsigned magnitude.
    pub(super) fn integer(magnitude: &[u8]) -> Vec<u8> {
        let trimmed: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
        let mut content = Vec::with_capacity(trimmed.len() + 1);
        if trimmed.first().is_none_or(|b| b & 0x80 != 0) {
            content.push(0);
        }
        content.extend_from_slice(&trimmed);
        tlv(0x02, &content)
    }

    /// UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5652 §11.3).
    pub(super) fn time(t: DateTime<Utc>) -> Vec<u8> {
        let (y, rest) = (
            t.year(),
            format!(
                "{:02}{:02}{:02}{:02}{:02}Z",
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
        );
        if (1950..2050).contains(&y) {
            tlv(0x17, format!("{:02}{rest}", y % 100).as_bytes())
        } else {
            tlv(0x18, format!("{y:04}{rest}").as_bytes())
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn lengths_and_integers() {
            assert_eq!(tlv(0x04, &[1, 2]), [0x04, 2, 1, 2]);
            let long = tlv(0x04, &[0; 300]);
            assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2C]);
            assert_eq!(integer(&[0x80]), [0x02, 2, 0, 0x80]);
            assert_eq!(integer(&[0, 0, 5]), [0x02, 1, 5]);
            assert_eq!(integer(&[]), [0x02, 1, 0]);
        }

        #[test]
        fn times() {
            let t = DateTime::from_timestamp(1_800_000_000, 0).expect("time");
            assert_eq!(time(t), [&[0x17, 13][..], b"270115080000Z"].concat());
            let far = DateTime::from_timestamp(2_600_000_000, 0).expect("time");
            assert_eq!(time(far)[0], 0x18);
        }
    }
}
