//! The `.pkpass` ZIP: pass.json, the assets, manifest.json and signature; and
//! `.pkpasses` bundles of up to ten passes.

use std::io::{Cursor, Seek, Write};
use std::sync::Arc;

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

/// Files smaller than this are stored even when they would compress: for a
/// 1–2 KB pass.json, setting up a deflate stream costs about a tenth of the
/// pass's whole time and saves about 1% of the archive.
const DEFLATE_MIN_BYTES: usize = 4096;

/// Entry options: PNGs and passes stored (already compressed), JSON and
/// strings deflated at level 1 when they are large enough to gain from it
/// (constant assets are always deflated: that happens once per template).
fn options(name: &str, len: usize, time: DateTime<Utc>) -> SimpleFileOptions {
    let (method, level) =
        if name.ends_with(".png") || name.ends_with(".pkpass") || len < DEFLATE_MIN_BYTES {
            (CompressionMethod::Stored, None)
        } else {
            (CompressionMethod::Deflated, Some(1))
        };
    SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(level)
        .last_modified_time(zip_time(time))
        .unix_permissions(0o644)
}

/// A ZIP (MS-DOS) timestamp for `time`; 1980-01-01 when out of range.
fn zip_time(time: DateTime<Utc>) -> zip::DateTime {
    zip::DateTime::from_date_and_time(
        u16::try_from(time.year()).unwrap_or(1980),
        time.month() as u8,
        time.day() as u8,
        time.hour() as u8,
        time.minute() as u8,
        time.second() as u8,
    )
    .unwrap_or_default()
}

/// A template's assets, hashed and packed into ZIP entries once (PNGs
/// stored, the rest deflated), so each pass copies their compressed bytes and
/// checksums instead of compressing and checksumming them again.
#[derive(Clone)]
pub struct PackedAssets {
    assets: Vec<Asset>,
    archive: zip::ZipArchive<Cursor<Arc<[u8]>>>,
}

impl std::fmt::Debug for PackedAssets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.assets.iter().map(|a| &a.name))
            .finish()
    }
}

impl PackedAssets {
    /// Packs the assets.
    ///
    /// # Errors
    /// [`PkpassError::Zip`] if the in-memory archive cannot be written.
    pub fn new(assets: Vec<Asset>) -> Result<Self, PkpassError> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for a in &assets {
            let len = if a.name.ends_with(".png") {
                0
            } else {
                usize::MAX
            };
            zip.start_file(
                a.name.as_str(),
                options(&a.name, len, DateTime::<Utc>::UNIX_EPOCH),
            )?;
            zip.write_all(&a.bytes)?;
        }
        let bytes: Arc<[u8]> = zip.finish()?.into_inner().into();
        let archive = zip::ZipArchive::new(Cursor::new(bytes))?;
        Ok(Self { assets, archive })
    }

    /// The assets, in packing order.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }
}

/// Writes one signed `.pkpass` to `w`: `pass_json` (the serialized, concrete
/// pass.json), the template's packed assets (hashed and compressed at load),
/// any per-pass files, the manifest and the signature. Deterministic for the
/// same inputs.
///
/// # Errors
/// [`PkpassError`] when signing or writing fails.
pub fn write_pkpass<W: Write + Seek>(
    w: W,
    pass_json: &[u8],
    assets: &PackedAssets,
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
                    .assets
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
    write_archive(
        w,
        pass_json,
        assets,
        extra,
        &manifest,
        &signature,
        signing_time,
    )
}

/// Writes the ZIP of a pass whose manifest and signature are already made
/// (the packaging step of [`write_pkpass`] on its own, for benchmarks).
///
/// # Errors
/// [`PkpassError`] when writing fails.
pub fn write_archive<W: Write + Seek>(
    w: W,
    pass_json: &[u8],
    assets: &PackedAssets,
    extra: &[PassFile],
    manifest: &[u8],
    signature: &[u8],
    signing_time: DateTime<Utc>,
) -> Result<W, PkpassError> {
    let mut zip = zip::ZipWriter::new(w);
    let add = |zip: &mut zip::ZipWriter<W>, name: &str, bytes: &[u8]| -> Result<(), PkpassError> {
        zip.start_file(name, options(name, bytes.len(), signing_time))?;
        zip.write_all(bytes)?;
        Ok(())
    };
    add(&mut zip, "pass.json", pass_json)?;
    let mut packed = assets.archive.clone();
    let stamp = zip_time(signing_time);
    for i in 0..packed.len() {
        zip.raw_copy_file_touch(packed.by_index_raw(i)?, stamp, Some(0o644))?;
    }
    for f in extra {
        add(&mut zip, &f.name, &f.bytes)?;
    }
    add(&mut zip, "manifest.json", manifest)?;
    add(&mut zip, "signature", signature)?;
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
        zip.start_file(name.as_str(), options(name, bytes.len(), time))?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish()?)
}
