//! The `.pkpass` ZIP: pass.json, the assets, manifest.json and signature; and
//! `.pkpasses` bundles of up to ten passes.

use std::io::{Seek, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

use super::manifest::{manifest_json, sha1_hex};
use super::sign::{SignError, SigningIdentity};
use crate::template::Asset;

/// At most this many passes go into one `.pkpasses` bundle (Apple's limit).
pub const MAX_BUNDLE_PASSES: usize = 10;

/// Why a pass could not be packaged.
#[derive(Debug, thiserror::Error)]
pub enum PkpassError {
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Writing the archive failed.
    #[error("cannot write the archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing to the output failed.
    #[error("cannot write the archive: {0}")]
    Io(#[from] std::io::Error),
    /// A bundle had no passes or more than ten.
    #[error("a .pkpasses bundle holds 1 to {MAX_BUNDLE_PASSES} passes; got {0}")]
    BundleSize(usize),
}

/// A per-pass file (other than pass.json), such as a personalized image.
#[derive(Debug, Clone)]
pub struct PassFile {
    /// Path inside the pass.
    pub name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

fn options(name: &str, time: DateTime<Utc>) -> SimpleFileOptions {
    let method = if name.ends_with(".png") || name.ends_with(".pkpass") {
        CompressionMethod::Stored
    } else {
        CompressionMethod::Deflated
    };
    let stamp = zip::DateTime::from_date_and_time(
        u16::try_from(time.year()).unwrap_or(1980),
        time.month() as u8,
        time.day() as u8,
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
    )
    .unwrap_or_default();
    SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(stamp)
        .unix_permissions(0o644)
}

/// Writes one signed `.pkpass` to `w`: `pass_json` (the serialized, concrete
/// pass.json), the template's assets (hashed at load), any per-pass files, the
/// manifest and the signature. Deterministic for the same inputs.
///
/// # Errors
/// [`PkpassError`] when signing or writing fails.
pub fn write_pkpass<W: Write + Seek>(
    w: W,
    pass_json: &[u8],
    assets: &[Asset],
    extra: &[PassFile],
    identity: &SigningIdentity,
    signing_time: DateTime<Utc>,
) -> Result<W, PkpassError> {
    let pass_sha = sha1_hex(pass_json);
    let extra_sha: Vec<String> = extra.iter().map(|f| sha1_hex(&f.bytes)).collect();
    let manifest = manifest_json(
        std::iter::once(("pass.json", pass_sha.as_str()))
            .chain(
                assets
                    .iter()
                    .map(|a| (a.name.as_str(), a.sha1_hex.as_str())),
            )
            .chain(
                extra
                    .iter()
                    .zip(&extra_sha)
                    .map(|(f, s)| (f.name.as_str(), s.as_str())),
            ),
    );
    let signature = identity.sign_manifest(&manifest, signing_time)?;

    let mut zip = zip::ZipWriter::new(w);
    let add = |zip: &mut zip::ZipWriter<W>, name: &str, bytes: &[u8]| -> Result<(), PkpassError> {
        zip.start_file(name, options(name, signing_time))?;
        zip.write_all(bytes)?;
        Ok(())
    };
    add(&mut zip, "pass.json", pass_json)?;
    for a in assets {
        add(&mut zip, &a.name, &a.bytes)?;
    }
    for f in extra {
        add(&mut zip, &f.name, &f.bytes)?;
    }
    add(&mut zip, "manifest.json", &manifest)?;
    add(&mut zip, "signature", &signature)?;
    Ok(zip.finish()?)
}

/// Writes a `.pkpasses` bundle: each `(file name, .pkpass bytes)` stored as is.
///
/// # Errors
/// [`PkpassError::BundleSize`] for 0 or more than 10 passes; IO errors.
pub fn write_pkpasses<W: Write + Seek>(
    w: W,
    passes: &[(String, Vec<u8>)],
    time: DateTime<Utc>,
) -> Result<W, PkpassError> {
    if passes.is_empty() || passes.len() > MAX_BUNDLE_PASSES {
        return Err(PkpassError::BundleSize(passes.len()));
    }
    let mut zip = zip::ZipWriter::new(w);
    for (name, bytes) in passes {
        zip.start_file(name.as_str(), options(name, time))?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?)
}
