//! Signed passes kept once signed: what a `.pkpass` of a stored version was
//! made from (its key) and the bounded in-memory cache of whole `.pkpass`
//! bytes in front of the database's `signed_passes` table of signatures
//! (see ARCHITECTURE.md, "Each version is signed once").
//!
//! Both are caches, never the source of truth: a key names everything the
//! bytes were made from besides the pass's stored fields, so a key that
//! does not match is a miss, and the version is made again around its
//! kept signature or signed anew (deterministically: the same bytes the
//! first signing gave).

use std::sync::Mutex;

use bytes::Bytes;
use lru::LruCache;

use crate::apple::{Pkpass, SharedAssets};

/// A `.pkpass` in memory, not copied: the template's packed images, shared
/// by every pass made from that template version, and this pass's own
/// bytes (pass.json, manifest, signature, directory records: a few KB).
#[derive(Debug, Clone)]
pub(crate) struct PassBytes {
    assets: SharedAssets,
    own: Bytes,
    split: usize,
}

/// The shared assets' local entries as a buffer of their own.
struct Local(SharedAssets);

impl AsRef<[u8]> for Local {
    fn as_ref(&self) -> &[u8] {
        self.0.local()
    }
}

/// The shared assets' central directory records as a buffer of their own.
struct Central(SharedAssets);

impl AsRef<[u8]> for Central {
    fn as_ref(&self) -> &[u8] {
        self.0.central()
    }
}

impl PassBytes {
    /// The pass's bytes, taken over from the archive without a copy.
    pub(crate) fn new(pkpass: Pkpass) -> Self {
        let (assets, own, split) = pkpass.into_shared();
        Self {
            assets,
            own: Bytes::from(own),
            split,
        }
    }

    /// The archive's size.
    pub(crate) fn len(&self) -> usize {
        self.assets.local().len() + self.own.len() + self.assets.central().len()
    }

    /// The archive in order, as four buffers sharing these bytes.
    pub(crate) fn chunks(&self) -> [Bytes; 4] {
        [
            Bytes::from_owner(Local(self.assets.clone())),
            self.own.slice(..self.split),
            Bytes::from_owner(Central(self.assets.clone())),
            self.own.slice(self.split..),
        ]
    }

    /// Whether `self` and `other` share their template's images.
    #[cfg(test)]
    pub(crate) fn shares_images_with(&self, other: &Self) -> bool {
        self.assets.ptr_eq(&other.assets)
    }

    /// The archive as one contiguous buffer (a copy).
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len());
        for c in self.chunks() {
            v.extend_from_slice(&c);
        }
        v
    }
}

/// What a value costs the cache: a pass's own bytes (its template's images
/// are held by the template and shared by all its passes).
pub(crate) trait Weighed {
    /// Bytes counted against the cache's capacity.
    fn weight(&self) -> usize;
}

impl Weighed for PassBytes {
    fn weight(&self) -> usize {
        self.own.len()
    }
}

#[cfg(test)]
impl Weighed for Bytes {
    fn weight(&self) -> usize {
        self.len()
    }
}

/// What one version's `.pkpass` was made from: the version and its time
/// (the signing time), the template's files and the issuer (certificate
/// chain, identifiers, web service URL, passforge's own version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SignedKey {
    /// The pass's version.
    pub version: i64,
    /// Everything else, as one string: `<updated_at>.<template>.<issuer>`.
    pub tag: String,
}

impl SignedKey {
    /// The key of a version made at `updated_at` (Unix ms) from the
    /// template files with `template` fingerprint, by the issuer with
    /// `issuer` fingerprint.
    pub(crate) fn new(version: i64, updated_at: i64, template: &str, issuer: &str) -> Self {
        Self {
            version,
            tag: format!("{updated_at}.{template}.{issuer}"),
        }
    }
}

/// The issuer's part of a key: SHA-256 over passforge's version, the
/// signing certificate's and WWDR's fingerprints, the pass type and team
/// identifiers and the web service URL, so a renewed certificate or a
/// moved service never serves bytes signed before.
pub(crate) fn issuer_fingerprint(
    identity: &crate::apple::SigningIdentity,
    web_service_url: Option<&str>,
) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for part in [
        env!("CARGO_PKG_VERSION"),
        &identity.cert_info().sha256_fingerprint,
        &identity.wwdr_info().sha256_fingerprint,
        identity.pass_type_id().as_str(),
        identity.team_id().as_str(),
        web_service_url.unwrap_or(""),
    ] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    crate::model::hex(&h.finalize())
}

/// One pass's signed bytes in memory.
#[derive(Debug)]
struct Entry<V> {
    key: SignedKey,
    bytes: V,
}

/// The in-memory cache: the most recently used passes' current bytes, at
/// most `capacity` bytes of their own in all (see [`Weighed`]), one entry
/// per pass (a new version replaces the old one).
#[derive(Debug)]
pub(crate) struct SignedCache<V = PassBytes> {
    capacity: usize,
    inner: Mutex<Lru<V>>,
}

#[derive(Debug)]
struct Lru<V> {
    entries: LruCache<String, Entry<V>>,
    size: usize,
}

impl<V: Weighed + Clone> SignedCache<V> {
    /// A cache holding at most `capacity` bytes (0: none).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(Lru {
                entries: LruCache::unbounded(),
                size: 0,
            }),
        }
    }

    /// The bytes of `pass` under `key`, if held.
    pub(crate) fn get(&self, pass: &str, key: &SignedKey) -> Option<V> {
        let mut lru = self.inner.lock().ok()?;
        match lru.entries.get(pass) {
            Some(e) if e.key == *key => Some(e.bytes.clone()),
            _ => None,
        }
    }

    /// Keeps `bytes` as the pass's bytes under `key`, dropping the least
    /// recently used passes beyond the capacity. An entry larger than the
    /// whole cache is not kept.
    pub(crate) fn put(&self, pass: &str, key: SignedKey, bytes: V) {
        let Ok(mut lru) = self.inner.lock() else {
            return;
        };
        // An older version never replaces a newer one.
        if lru
            .entries
            .peek(pass)
            .is_some_and(|old| old.key.version > key.version)
        {
            return;
        }
        if let Some(old) = lru.entries.pop(pass) {
            lru.size -= old.bytes.weight();
        }
        let len = bytes.weight();
        if len > self.capacity {
            return;
        }
        while lru.size + len > self.capacity {
            match lru.entries.pop_lru() {
                Some((_, e)) => lru.size -= e.bytes.weight(),
                None => break,
            }
        }
        lru.size += len;
        lru.entries.put(pass.to_owned(), Entry { key, bytes });
    }

    /// Forgets a pass (deleted).
    pub(crate) fn remove(&self, pass: &str) {
        if let Ok(mut lru) = self.inner.lock() {
            if let Some(e) = lru.entries.pop(pass) {
                lru.size -= e.bytes.weight();
            }
        }
    }

    /// Bytes held and passes held.
    #[cfg(test)]
    fn usage(&self) -> (usize, usize) {
        self.inner
            .lock()
            .map(|l| (l.size, l.entries.len()))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(v: i64) -> SignedKey {
        SignedKey::new(v, 1000 * v, "t", "i")
    }

    #[test]
    fn holds_the_current_version_within_its_capacity() {
        let c = SignedCache::<Bytes>::new(10);
        c.put("a", key(1), Bytes::from_static(b"aaaa"));
        assert_eq!(c.get("a", &key(1)).as_deref(), Some(&b"aaaa"[..]));
        assert_eq!(c.get("a", &key(2)), None, "another version is a miss");
        assert_eq!(
            c.get("a", &SignedKey::new(1, 1000, "t", "renewed")),
            None,
            "another issuer is a miss"
        );
        c.put("b", key(1), Bytes::from_static(b"bbbb"));
        c.get("a", &key(1));
        c.put("c", key(1), Bytes::from_static(b"cccc"));
        assert_eq!(c.usage(), (8, 2));
        assert!(
            c.get("b", &key(1)).is_none(),
            "the least recently used went"
        );
        assert!(c.get("a", &key(1)).is_some() && c.get("c", &key(1)).is_some());
        c.put("a", key(2), Bytes::from_static(b"A2"));
        assert_eq!(c.usage(), (6, 2), "a new version replaces the old one");
        c.put("a", key(1), Bytes::from_static(b"old"));
        assert_eq!(c.get("a", &key(2)).as_deref(), Some(&b"A2"[..]));
        c.put("big", key(1), Bytes::from(vec![0; 11]));
        assert!(c.get("big", &key(1)).is_none());
        c.remove("a");
        assert_eq!(c.usage(), (4, 1));
        let none = SignedCache::<Bytes>::new(0);
        none.put("a", key(1), Bytes::from_static(b"a"));
        assert_eq!(none.usage(), (0, 0));
    }
}
