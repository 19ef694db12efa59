//! Reading and verifying a `.pkpass` (or a `.pkpasses` bundle): ZIP layout,
//! manifest hashes, the CMS signature over manifest.json, the certificates'
//! validity and chain, and Apple's rules for pass.json and the other files.
//! Used by `passforge validate` and by the tests on every issued pass.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use chrono::{DateTime, Utc};
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::X509;

use super::files::check_files_for;
use super::manifest::sha1_hex;
use super::rules::{check_pass_json, Mode};
use super::sign::CertInfo;
use crate::model::{Diagnostic, Location};

/// How to verify.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The time certificates must be valid at.
    pub now: DateTime<Utc>,
    /// Report expired certificates as warnings instead of errors.
    pub ignore_expiry: bool,
    /// A trust anchor the intermediate must chain to (e.g. Apple's root, or
    /// the test stand-in CA). Without one the chain is only checked inside the pass.
    pub ca: Option<X509>,
}

/// What verifying one pass found.
#[derive(Debug, Default)]
pub struct VerifyReport {
    /// Every problem.
    pub diagnostics: Vec<Diagnostic>,
    /// The pass.json tree, if it parsed.
    pub pass_json: Option<serde_json::Value>,
    /// The signer certificate, if the signature carried one.
    pub signer: Option<CertInfo>,
    /// The CMS signingTime, if present.
    pub signing_time: Option<String>,
}

impl VerifyReport {
    /// Whether any error was found.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

const MAX_MEMBER: u64 = 64 * 1024 * 1024;

/// Reads every member of a ZIP, with checks on names. Errors become diagnostics.
fn read_zip(bytes: &[u8], out: &mut Vec<Diagnostic>) -> Option<BTreeMap<String, Vec<u8>>> {
    let mut zip = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            out.push(Diagnostic::error(
                "(archive)",
                Location::File,
                "zip.unreadable",
                format!("not a readable ZIP archive: {e}"),
            ));
            return None;
        }
    };
    let mut files = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                out.push(Diagnostic::error(
                    "(archive)",
                    Location::File,
                    "zip.bad_entry",
                    format!("entry {i} cannot be read: {e}"),
                ));
                continue;
            }
        };
        let name = String::from_utf8_lossy(f.name_raw()).into_owned();
        if f.is_dir() {
            continue;
        }
        if name.starts_with('/')
            || name.contains('\\')
            || name
                .split('/')
                .any(|s| s.is_empty() || s == "." || s == "..")
        {
            out.push(Diagnostic::error(
                name,
                Location::File,
                "zip.bad_name",
                "unsafe entry name (absolute, '..', empty segment or backslash)",
            ));
            continue;
        }
        if f.size() > MAX_MEMBER {
            out.push(Diagnostic::error(
                name,
                Location::File,
                "zip.too_large",
                "entry is larger than 64 MiB",
            ));
            continue;
        }
        let mut buf = Vec::with_capacity(usize::try_from(f.size()).unwrap_or(0));
        if let Err(e) = f.read_to_end(&mut buf) {
            out.push(Diagnostic::error(
                name,
                Location::File,
                "zip.bad_entry",
                format!("cannot be decompressed or its CRC is wrong: {e}"),
            ));
            continue;
        }
        if files.insert(name.clone(), buf).is_some() {
            out.push(Diagnostic::error(
                name,
                Location::File,
                "zip.duplicate",
                "the archive holds this name twice",
            ));
        }
    }
    Some(files)
}

/// Verifies one `.pkpass`.
pub fn verify_pkpass(bytes: &[u8], opts: &VerifyOptions) -> VerifyReport {
    let mut r = VerifyReport::default();
    let Some(files) = read_zip(bytes, &mut r.diagnostics) else {
        return r;
    };
    for required in ["pass.json", "manifest.json", "signature"] {
        if !files.contains_key(required) {
            let nested = files.keys().find(|k| k.ends_with(&format!("/{required}")));
            let hint = nested.map_or(String::new(), |n| format!(" (found {n}: the pass was zipped inside a folder; zip the folder's contents instead)"));
            r.diagnostics.push(Diagnostic::error(
                required,
                Location::File,
                "files.missing",
                format!("{required} is missing at the top level{hint}"),
            ));
        }
    }

    // pass.json
    if let Some(pj) = files.get("pass.json") {
        match crate::template::json::parse_lenient("pass.json", pj) {
            Ok((v, warnings)) => {
                r.diagnostics.extend(warnings);
                r.diagnostics.extend(
                    check_pass_json(&v, Mode::Pass)
                        .into_iter()
                        .filter(|d| d.severity != crate::model::Severity::Info),
                );
                r.pass_json = Some(v);
            }
            Err(e) => r.diagnostics.push(e),
        }
    }
    let style = r.pass_json.as_ref().and_then(super::rules::style_of);
    let others = files
        .iter()
        .filter(|(n, _)| !matches!(n.as_str(), "pass.json" | "manifest.json" | "signature"));
    let poster = r
        .pass_json
        .as_ref()
        .is_some_and(|p| p.get(super::rules::POSTER_GENERIC).is_some());
    r.diagnostics.extend(
        check_files_for(
            others.map(|(n, b)| (n.as_str(), b.as_slice())),
            style,
            poster,
        )
        .diagnostics,
    );

    // manifest.json
    if let Some(mj) = files.get("manifest.json") {
        match serde_json::from_slice::<BTreeMap<String, String>>(mj) {
            Err(e) => r.diagnostics.push(Diagnostic::error(
                "manifest.json",
                Location::LineColumn(e.line(), e.column()),
                "manifest.invalid",
                "manifest.json must be a JSON object of file name → SHA-1 hex",
            )),
            Ok(manifest) => {
                for (name, bytes) in files
                    .iter()
                    .filter(|(n, _)| !matches!(n.as_str(), "manifest.json" | "signature"))
                {
                    let at = Location::Pointer(format!(
                        "/{}",
                        crate::model::diag::pointer_segment(name)
                    ));
                    match manifest.get(name) {
                        None => r.diagnostics.push(Diagnostic::error(
                            "manifest.json",
                            at,
                            "manifest.missing_entry",
                            format!("{name} is in the archive but not in the manifest"),
                        )),
                        Some(h) if *h != sha1_hex(bytes) => r.diagnostics.push(Diagnostic::error(
                            "manifest.json",
                            at,
                            "manifest.hash_mismatch",
                            format!("the SHA-1 of {name} does not match the manifest"),
                        )),
                        Some(_) => {}
                    }
                }
                for name in manifest.keys().filter(|n| !files.contains_key(*n)) {
                    r.diagnostics.push(Diagnostic::error(
                        "manifest.json",
                        Location::Pointer(format!(
                            "/{}",
                            crate::model::diag::pointer_segment(name)
                        )),
                        "manifest.extra_entry",
                        format!("{name} is listed but not in the archive"),
                    ));
                }
            }
        }
    }

    if let (Some(sig), Some(mj)) = (files.get("signature"), files.get("manifest.json")) {
        verify_signature(sig, mj, opts, &mut r);
    }
    r
}

/// The value of the signingTime attribute, found by its OID in the DER.
fn find_signing_time(sig: &[u8]) -> Option<String> {
    const OID: [u8; 11] = [
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05,
    ];
    let at = sig.windows(OID.len()).position(|w| w == OID)? + OID.len();
    // SET { UTCTime | GeneralizedTime }
    let rest = sig.get(at..)?;
    let (set_tag, time_tag, len) = (*rest.first()?, *rest.get(2)?, usize::from(*rest.get(3)?));
    if set_tag != 0x31 || !matches!(time_tag, 0x17 | 0x18) {
        return None;
    }
    rest.get(4..4 + len)
        .map(|t| String::from_utf8_lossy(t).into_owned())
}

fn verify_signature(sig: &[u8], manifest: &[u8], opts: &VerifyOptions, r: &mut VerifyReport) {
    let err =
        |code: &'static str, msg: String| Diagnostic::error("signature", Location::File, code, msg);
    let p7 = match Pkcs7::from_der(sig) {
        Ok(p) => p,
        Err(e) => {
            r.diagnostics.push(err(
                "signature.unreadable",
                format!("not a DER/BER PKCS#7 SignedData: {e}"),
            ));
            return;
        }
    };
    r.signing_time = find_signing_time(sig);
    if r.signing_time.is_none() {
        r.diagnostics.push(err(
            "signature.no_signing_time",
            "the signed attributes have no signingTime; Wallet requires it".to_owned(),
        ));
    }
    let (Ok(empty), Ok(store)) = (
        Stack::<X509>::new(),
        X509StoreBuilder::new().map(X509StoreBuilder::build),
    ) else {
        r.diagnostics.push(err(
            "signature.internal",
            "OpenSSL could not allocate".to_owned(),
        ));
        return;
    };
    if let Err(e) = p7.verify(
        &empty,
        &store,
        Some(manifest),
        None,
        Pkcs7Flags::NOVERIFY | Pkcs7Flags::BINARY,
    ) {
        r.diagnostics.push(err(
            "signature.invalid",
            format!("the signature does not verify over manifest.json: {e}"),
        ));
    }
    let embedded: Vec<X509> = p7
        .signed()
        .and_then(|s| s.certificates())
        .map(|c| c.iter().map(|x| x.to_owned()).collect())
        .unwrap_or_default();
    let signer = p7
        .signers(&empty, Pkcs7Flags::empty())
        .ok()
        .and_then(|s| s.iter().next().map(|c| c.to_owned()));
    let Some(signer) = signer else {
        r.diagnostics.push(err(
            "signature.no_signer_cert",
            "the signer certificate is not embedded".to_owned(),
        ));
        return;
    };
    let expiry = |what: &str, c: &X509, r: &mut VerifyReport| {
        if let Ok(info) = CertInfo::of(c) {
            if info.not_after < opts.now {
                let msg = format!(
                    "the {what} ({}) expired on {}",
                    info.subject,
                    info.not_after.format("%Y-%m-%d")
                );
                r.diagnostics.push(if opts.ignore_expiry {
                    Diagnostic::warning("signature", Location::File, "cert.expired", msg)
                } else {
                    Diagnostic::error("signature", Location::File, "cert.expired", msg)
                });
            }
        }
    };
    expiry("signer certificate", &signer, r);
    let signer_der = signer.to_der().unwrap_or_default();
    let intermediate = embedded.iter().find(|c| {
        c.to_der().ok().as_deref() != Some(signer_der.as_slice())
            && c.public_key()
                .is_ok_and(|k| signer.verify(&k).unwrap_or(false))
    });
    match intermediate {
        None => r.diagnostics.push(err(
            "signature.no_intermediate",
            "the certificate that issued the signer (Apple's WWDR intermediate) is not embedded"
                .to_owned(),
        )),
        Some(wwdr) => {
            expiry("WWDR certificate", wwdr, r);
            if let Some(ca) = &opts.ca {
                let anchored = ca.to_der().ok() == wwdr.to_der().ok()
                    || ca
                        .public_key()
                        .is_ok_and(|k| wwdr.verify(&k).unwrap_or(false));
                if !anchored {
                    r.diagnostics.push(err(
                        "signature.untrusted_chain",
                        "the WWDR certificate does not chain to the given CA".to_owned(),
                    ));
                }
            }
        }
    }
    if let Ok(info) = CertInfo::of(&signer) {
        if let Some(p) = &r.pass_json {
            for (key, cert_val) in [
                ("passTypeIdentifier", &info.pass_type_id),
                ("teamIdentifier", &info.team_id),
            ] {
                if p.get(key).and_then(|v| v.as_str()) != cert_val.as_deref() {
                    r.diagnostics.push(Diagnostic::warning(
                        "pass.json",
                        Location::Pointer(format!("/{key}")),
                        "signature.identity_mismatch",
                        format!(
                            "{key} does not match the signer certificate ({})",
                            cert_val.as_deref().unwrap_or("none")
                        ),
                    ));
                }
            }
        }
        r.signer = Some(info);
    }
}

/// Verifies a `.pkpasses` bundle: each member `.pkpass` on its own.
/// Returns (member name, report) pairs; a bundle-level problem is reported
/// under the name `(bundle)`.
pub fn verify_bundle(bytes: &[u8], opts: &VerifyOptions) -> Vec<(String, VerifyReport)> {
    let mut top = VerifyReport::default();
    let Some(files) = read_zip(bytes, &mut top.diagnostics) else {
        return vec![("(bundle)".to_owned(), top)];
    };
    let passes: Vec<_> = files
        .iter()
        .filter(|(n, _)| n.ends_with(".pkpass"))
        .collect();
    if passes.is_empty() || passes.len() > super::MAX_BUNDLE_PASSES {
        top.diagnostics.push(Diagnostic::error(
            "(bundle)",
            Location::File,
            "bundle.size",
            format!(
                "a bundle holds 1 to {} passes; found {}",
                super::MAX_BUNDLE_PASSES,
                passes.len()
            ),
        ));
    }
    let mut out: Vec<(String, VerifyReport)> = passes
        .into_iter()
        .map(|(n, b)| (n.clone(), verify_pkpass(b, opts)))
        .collect();
    if !top.diagnostics.is_empty() {
        out.insert(0, ("(bundle)".to_owned(), top));
    }
    out
}
