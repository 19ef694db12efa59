//! The `.pkpass` ZIP: pass.json, the assets, manifest.json and signature; and
//! `.pkpasses` bundles of up to ten passes.

use std::io::{IoSlice, Seek, Write};
use std::sync::Arc;

use chrono::{DateTime, Datelike, Timelike, Utc};
use rayon::prelude::*;
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
    /// The pass exceeds what a plain (non-ZIP64) archive holds.
    #[error("{0} is too large for a .pkpass archive")]
    TooLarge(String),
    /// A per-pass file has the name of another file in the pass.
    #[error("the pass has two files named {0}; rename the per-pass file")]
    DuplicateName(String),
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

/// Whether a per-pass entry (or a pass in a `.pkpasses` bundle) is stored
/// rather than deflated: PNGs and passes are already compressed, and small
/// files do not gain from it. Template assets are deflated once instead,
/// whatever their kind, and kept deflated where that is smaller (see
/// [`PackedAssets::new`]).
fn stored(name: &str, len: usize) -> bool {
    name.ends_with(".png") || name.ends_with(".pkpass") || len < DEFLATE_MIN_BYTES
}

/// Entry options for the `zip` crate (used for `.pkpasses` bundles).
fn options(name: &str, len: usize, time: DateTime<Utc>) -> SimpleFileOptions {
    let (method, level) = if stored(name, len) {
        (CompressionMethod::Stored, None)
    } else {
        (CompressionMethod::Deflated, Some(1))
    };
    let (time, date) = dos_time(time);
    SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(level)
        .last_modified_time(zip::DateTime::try_from_msdos(date, time).unwrap_or_default())
        .unix_permissions(0o644)
}

/// The MS-DOS (time, date) of `time` as ZIP stores it; 1980-01-01 00:00
/// when out of the format's range (1980–2107).
fn dos_time(time: DateTime<Utc>) -> (u16, u16) {
    let year = time.year();
    if !(1980..=2107).contains(&year) {
        return (0, (1 << 5) | 1);
    }
    let t = (time.hour() << 11) | (time.minute() << 5) | (time.second() / 2);
    let d = ((year as u32 - 1980) << 9) | (time.month() << 5) | time.day();
    // Both fit in 16 bits by construction (hour < 24, year offset < 128).
    (t as u16, d as u16)
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Offsets of the (time, date) pair inside a local header and a central
/// directory record.
const LOCAL_TIME_AT: usize = 10;
const CENTRAL_TIME_AT: usize = 12;
/// Made by Unix (3), ZIP 2.0; 2.0 is needed to read deflate.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
const VERSION_NEEDED: u16 = 20;
/// A regular file, rw-r--r--.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;

/// One ZIP entry's header facts.
struct EntryMeta<'a> {
    name: &'a str,
    deflated: bool,
    crc: u32,
    compressed: u32,
    size: u32,
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn too_large(what: &str) -> PkpassError {
    PkpassError::TooLarge(what.to_owned())
}

fn size32(len: usize, what: &str) -> Result<u32, PkpassError> {
    u32::try_from(len).map_err(|_| too_large(what))
}

impl EntryMeta<'_> {
    /// The general-purpose flags: bit 11 when the name is UTF-8 beyond ASCII.
    fn flags(&self) -> u16 {
        if self.name.is_ascii() {
            0
        } else {
            1 << 11
        }
    }

    fn method(&self) -> u16 {
        if self.deflated {
            8
        } else {
            0
        }
    }

    fn name_len(&self) -> Result<u16, PkpassError> {
        u16::try_from(self.name.len()).map_err(|_| too_large(self.name))
    }

    /// The fields a local header and a central directory record share, in
    /// the same order: version needed, flags, method, time, date, CRC,
    /// sizes and name length.
    fn common_fields(
        &self,
        out: &mut Vec<u8>,
        (time, date): (u16, u16),
    ) -> Result<(), PkpassError> {
        let name_len = self.name_len()?;
        put16(out, VERSION_NEEDED);
        put16(out, self.flags());
        put16(out, self.method());
        put16(out, time);
        put16(out, date);
        put32(out, self.crc);
        put32(out, self.compressed);
        put32(out, self.size);
        put16(out, name_len);
        Ok(())
    }

    /// Appends the local file header (the entry's data follows it).
    fn local_header(&self, out: &mut Vec<u8>, (time, date): (u16, u16)) -> Result<(), PkpassError> {
        put32(out, LOCAL_HEADER);
        self.common_fields(out, (time, date))?;
        put16(out, 0); // extra field
        out.extend_from_slice(self.name.as_bytes());
        Ok(())
    }

    /// Appends the central directory record of an entry whose local header
    /// starts at `offset`.
    fn central_header(
        &self,
        out: &mut Vec<u8>,
        (time, date): (u16, u16),
        offset: u32,
    ) -> Result<(), PkpassError> {
        put32(out, CENTRAL_HEADER);
        put16(out, VERSION_MADE_BY);
        self.common_fields(out, (time, date))?;
        put16(out, 0); // extra field
        put16(out, 0); // comment
        put16(out, 0); // disk
        put16(out, 0); // internal attributes
        put32(out, EXTERNAL_ATTRIBUTES);
        put32(out, offset);
        out.extend_from_slice(self.name.as_bytes());
        Ok(())
    }
}

/// Raw-deflates `bytes` at `level`.
fn deflate(bytes: &[u8], level: u32) -> Result<Vec<u8>, PkpassError> {
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(bytes.len() / 2 + 64),
        flate2::Compression::new(level),
    );
    enc.write_all(bytes)?;
    Ok(enc.finish()?)
}

/// The header facts of an entry holding `bytes`, and its deflated data:
/// deflated at `level` when one is given and kept deflated only where that
/// is smaller (`None`: the entry stores `bytes` as they are).
fn packed_entry<'a>(
    name: &'a str,
    bytes: &[u8],
    level: Option<u32>,
) -> Result<(EntryMeta<'a>, Option<Vec<u8>>), PkpassError> {
    let packed = level
        .map(|l| deflate(bytes, l))
        .transpose()?
        .filter(|d| d.len() < bytes.len());
    let meta = EntryMeta {
        name,
        deflated: packed.is_some(),
        crc: crc32fast::hash(bytes),
        compressed: size32(packed.as_ref().map_or(bytes.len(), Vec::len), name)?,
        size: size32(bytes.len(), name)?,
    };
    Ok((meta, packed))
}

/// The template's assets as finished ZIP bytes for one timestamp: their
/// local entries (headers and data, in name order, at the start of every
/// archive) and their central directory records. Shared by every pass.
#[derive(Debug)]
struct AssetBlocks {
    dos: (u16, u16),
    local: Vec<u8>,
    central: Vec<u8>,
}

/// A template's packed assets as every archive made from it holds them:
/// their local entries (which open the archive) and their central
/// directory records. Shared, not copied (see [`Pkpass::into_shared`]).
#[derive(Debug, Clone)]
pub struct SharedAssets(Arc<AssetBlocks>);

impl SharedAssets {
    /// The assets' local entries: the archive's first bytes.
    pub fn local(&self) -> &[u8] {
        &self.0.local
    }

    /// The assets' central directory records: the first of the directory.
    pub fn central(&self) -> &[u8] {
        &self.0.central
    }

    /// Whether `self` and `other` are the same shared bytes.
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A template's assets, hashed, compressed (each deflated where that makes
/// it smaller, stored otherwise) and laid out as ZIP bytes once, so each
/// pass shares those bytes instead of copying, compressing or checksumming
/// them again. The assets open every archive, so their headers and offsets
/// are the same in every pass.
pub struct PackedAssets {
    assets: Vec<Asset>,
    /// Where each entry's (time, date) sits in the two blocks.
    local_times: Vec<usize>,
    central_times: Vec<usize>,
    /// The blocks at the last timestamp asked for (a batch signs all its
    /// passes at one time, so this is rebuilt about once per batch).
    stamped: std::sync::Mutex<Arc<AssetBlocks>>,
}

impl Clone for PackedAssets {
    fn clone(&self) -> Self {
        Self {
            assets: self.assets.clone(),
            local_times: self.local_times.clone(),
            central_times: self.central_times.clone(),
            stamped: std::sync::Mutex::new(self.blocks_now()),
        }
    }
}

impl std::fmt::Debug for PackedAssets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.assets.iter().map(|a| &a.name))
            .finish()
    }
}

impl PackedAssets {
    /// Packs the assets (in the given order, which should be by name).
    ///
    /// # Errors
    /// [`PkpassError`] if deflating fails or the assets exceed what a plain
    /// (non-ZIP64) archive holds.
    pub fn new(assets: Vec<Asset>) -> Result<Self, PkpassError> {
        let dos = dos_time(DateTime::<Utc>::UNIX_EPOCH);
        let (mut local, mut central) = (Vec::new(), Vec::new());
        let (mut local_times, mut central_times) = (Vec::new(), Vec::new());
        // Deflated at the best level, PNGs included (this happens once per
        // template, and PNG encoders often leave 10-20% for deflate to take),
        // and kept deflated only where that is smaller: every byte saved here
        // is a byte less to write for every pass. In parallel on the current
        // rayon pool; laid out in order below.
        let packed = assets
            .par_iter()
            .map(|a| packed_entry(&a.name, &a.bytes, Some(9)))
            .collect::<Result<Vec<_>, _>>()?;
        for (a, (meta, packed)) in assets.iter().zip(packed) {
            let data: &[u8] = packed.as_deref().unwrap_or(&a.bytes);
            let offset = size32(local.len(), "the template's files")?;
            local_times.push(local.len() + LOCAL_TIME_AT);
            meta.local_header(&mut local, dos)?;
            local.extend_from_slice(data);
            central_times.push(central.len() + CENTRAL_TIME_AT);
            meta.central_header(&mut central, dos, offset)?;
        }
        size32(local.len() + central.len(), "the template's files")?;
        Ok(Self {
            assets,
            local_times,
            central_times,
            stamped: std::sync::Mutex::new(Arc::new(AssetBlocks {
                dos,
                local,
                central,
            })),
        })
    }

    /// The assets, in packing order.
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// The stamped blocks, locked (a panic elsewhere cannot leave them half
    /// replaced: they are swapped whole).
    fn stamped(&self) -> std::sync::MutexGuard<'_, Arc<AssetBlocks>> {
        self.stamped
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn blocks_now(&self) -> Arc<AssetBlocks> {
        Arc::clone(&self.stamped())
    }

    /// The asset blocks with every entry dated `dos`.
    fn blocks_at(&self, dos: (u16, u16)) -> Arc<AssetBlocks> {
        let mut guard = self.stamped();
        if guard.dos != dos {
            let mut local = guard.local.clone();
            let mut central = guard.central.clone();
            let stamp = |block: &mut Vec<u8>, at: &[usize]| {
                for &i in at {
                    block[i..i + 2].copy_from_slice(&dos.0.to_le_bytes());
                    block[i + 2..i + 4].copy_from_slice(&dos.1.to_le_bytes());
                }
            };
            stamp(&mut local, &self.local_times);
            stamp(&mut central, &self.central_times);
            *guard = Arc::new(AssetBlocks {
                dos,
                local,
                central,
            });
        }
        Arc::clone(&guard)
    }
}

/// A signed `.pkpass`: the template's asset bytes (shared by every pass of
/// the template, not copied) and this pass's own bytes around them. Write it
/// with [`Pkpass::write_to`] (one vectored write for a file) or flatten it
/// with [`Pkpass::to_vec`].
#[derive(Clone)]
pub struct Pkpass {
    assets: Arc<AssetBlocks>,
    /// This pass's local entries, then (from `split`) its central directory
    /// records and the end record.
    own: Vec<u8>,
    split: usize,
    /// The signature (also inside `own`, perhaps deflated).
    signature: Vec<u8>,
    /// The length of the signature value that ends `signature`, when known
    /// (signed or reused here; 0 from [`assemble_pkpass`]).
    value_len: usize,
}

impl std::fmt::Debug for Pkpass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkpass").field("len", &self.len()).finish()
    }
}

impl Pkpass {
    /// The detached CMS signature of its manifest (the `signature` file).
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// The signature's value (the RSA or ECDSA signature that ends the CMS
    /// structure): all that needs keeping to make the same `.pkpass` again
    /// ([`SigningIdentity::signature_from_kept`]). `None` for a pass laid
    /// out by [`assemble_pkpass`] from a signature made elsewhere.
    pub fn signature_value(&self) -> Option<&[u8]> {
        (self.value_len > 0)
            .then(|| &self.signature[self.signature.len().saturating_sub(self.value_len)..])
    }

    /// The archive in order, as four byte slices.
    pub fn slices(&self) -> [&[u8]; 4] {
        let (entries, directory) = self.own.split_at(self.split);
        [&self.assets.local, entries, &self.assets.central, directory]
    }

    /// The archive's size in bytes.
    pub fn len(&self) -> usize {
        self.assets.local.len() + self.own.len() + self.assets.central.len()
    }

    /// Never true: an archive has at least its end record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the whole archive to `w` with vectored writes (a single
    /// `writev` for a file).
    ///
    /// # Errors
    /// The writer's error.
    pub fn write_to<W: Write + ?Sized>(&self, w: &mut W) -> std::io::Result<()> {
        let [a, b, c, d] = self.slices();
        let mut slices = [
            IoSlice::new(a),
            IoSlice::new(b),
            IoSlice::new(c),
            IoSlice::new(d),
        ];
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match w.write_vectored(rest) {
                Ok(0) => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::WriteZero,
                        "failed to write the whole pass",
                    ))
                }
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The archive's parts without copying them: the template's packed
    /// assets (shared by every pass made from it), this pass's own bytes
    /// (entries, then central directory records and end record) and where
    /// its directory records start in them.
    pub fn into_shared(self) -> (SharedAssets, Vec<u8>, usize) {
        (SharedAssets(self.assets), self.own, self.split)
    }

    /// The archive as one contiguous buffer.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        for s in self.slices() {
            v.extend_from_slice(s);
        }
        v
    }

    /// This pass's own buffer, for reuse by the next pass.
    pub fn into_buffer(self) -> Vec<u8> {
        self.own
    }
}

/// Builds one signed `.pkpass`: `pass_json` (the serialized, concrete
/// pass.json), the template's packed assets (hashed and compressed at load),
/// any per-pass files, the manifest and the signature. `buf` is reused for
/// the pass's own bytes (pass a recycled buffer in batches). Deterministic
/// for the same inputs.
///
/// # Errors
/// [`PkpassError`] when signing or packaging fails.
pub fn build_pkpass(
    pass_json: &[u8],
    assets: &PackedAssets,
    extra: &[PassFile],
    identity: &SigningIdentity,
    signing_time: DateTime<Utc>,
    buf: Vec<u8>,
) -> Result<Pkpass, PkpassError> {
    build_pkpass_reusing(pass_json, assets, extra, identity, signing_time, buf, None)
}

/// Like [`build_pkpass`], with a signature kept from an earlier signing of
/// the same pass (its value, or the whole structure): used when it is
/// exactly this identity's signature of this manifest at this time
/// ([`SigningIdentity::signature_from_kept`]), so the bytes are those the
/// earlier signing gave without signing again; otherwise the manifest is
/// signed.
///
/// # Errors
/// As [`build_pkpass`].
pub fn build_pkpass_reusing(
    pass_json: &[u8],
    assets: &PackedAssets,
    extra: &[PassFile],
    identity: &SigningIdentity,
    signing_time: DateTime<Utc>,
    buf: Vec<u8>,
    reuse: Option<&[u8]>,
) -> Result<Pkpass, PkpassError> {
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
    let (signature, value_len) =
        match reuse.and_then(|kept| identity.signature_from_kept(kept, &manifest, signing_time)) {
            Some(made) => made,
            None => identity.sign_manifest_valued(&manifest, signing_time)?,
        };
    let mut pkpass = assemble_pkpass(
        pass_json,
        assets,
        extra,
        &manifest,
        &signature,
        signing_time,
        buf,
    )?;
    pkpass.value_len = value_len;
    Ok(pkpass)
}

/// Lays out the ZIP of a pass whose manifest and signature are already made
/// (the packaging step of [`build_pkpass`] on its own, for benchmarks): the
/// template's asset entries, then pass.json, any per-pass files,
/// manifest.json and signature, then the central directory.
///
/// # Errors
/// [`PkpassError`] when deflating fails or the pass exceeds a plain ZIP's
/// limits.
pub fn assemble_pkpass(
    pass_json: &[u8],
    assets: &PackedAssets,
    extra: &[PassFile],
    manifest: &[u8],
    signature: &[u8],
    signing_time: DateTime<Utc>,
    mut buf: Vec<u8>,
) -> Result<Pkpass, PkpassError> {
    if let Some(dup) = extra.iter().find(|f| {
        ["pass.json", "manifest.json", "signature"].contains(&f.name.as_str())
            || assets.assets.iter().any(|a| a.name == f.name)
    }) {
        return Err(PkpassError::DuplicateName(dup.name.clone()));
    }
    let dos = dos_time(signing_time);
    let blocks = assets.blocks_at(dos);
    let files: Vec<(&str, &[u8])> = std::iter::once(("pass.json", pass_json))
        .chain(extra.iter().map(|f| (f.name.as_str(), f.bytes.as_slice())))
        .chain([("manifest.json", manifest), ("signature", signature)])
        .collect();
    let count = assets.assets.len() + files.len();
    let count = u16::try_from(count).map_err(|_| too_large("the number of files"))?;
    buf.clear();
    buf.reserve(
        files
            .iter()
            .map(|(n, b)| 2 * n.len() + b.len() + 80)
            .sum::<usize>()
            + 22,
    );
    let mut metas = Vec::with_capacity(files.len());
    let mut offsets = Vec::with_capacity(files.len());
    for (name, bytes) in &files {
        // Deflated (fast) when worth trying, and kept only where smaller.
        let level = (!stored(name, bytes.len())).then_some(1);
        let (meta, packed) = packed_entry(name, bytes, level)?;
        let data: &[u8] = packed.as_deref().unwrap_or(bytes);
        offsets.push(size32(blocks.local.len() + buf.len(), "the pass")?);
        meta.local_header(&mut buf, dos)?;
        buf.extend_from_slice(data);
        metas.push(meta);
    }
    let split = buf.len();
    let directory_at = size32(blocks.local.len() + split, "the pass")?;
    for (meta, offset) in metas.iter().zip(offsets) {
        meta.central_header(&mut buf, dos, offset)?;
    }
    let directory_len = size32(blocks.central.len() + buf.len() - split, "the pass")?;
    put32(&mut buf, END_OF_CENTRAL_DIRECTORY);
    put16(&mut buf, 0); // this disk
    put16(&mut buf, 0); // the directory's disk
    put16(&mut buf, count);
    put16(&mut buf, count);
    put32(&mut buf, directory_len);
    put32(&mut buf, directory_at);
    put16(&mut buf, 0); // comment
    size32(
        blocks.local.len() + blocks.central.len() + buf.len(),
        "the pass",
    )?;
    Ok(Pkpass {
        assets: blocks,
        own: buf,
        split,
        signature: signature.to_vec(),
        value_len: 0,
    })
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
