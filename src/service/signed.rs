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
struct Entry {
    key: SignedKey,
    bytes: Bytes,
}

/// The in-memory cache: the most recently used passes' current bytes, at
/// most `capacity` bytes in all, one entry per pass (a new version
/// replaces the old one).
#[derive(Debug)]
pub(crate) struct SignedCache {
    capacity: usize,
    inner: Mutex<Lru>,
}

#[derive(Debug)]
struct Lru {
    entries: LruCache<String, Entry>,
    size: usize,
}

impl SignedCache {
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
    pub(crate) fn get(&self, pass: &str, key: &SignedKey) -> Option<Bytes> {
        let mut lru = self.inner.lock().ok()?;
        match lru.entries.get(pass) {
            Some(e) if e.key == *key => Some(e.bytes.clone()),
            _ => None,
        }
    }

    /// Keeps `bytes` as the pass's bytes under `key`, dropping the least
    /// recently used passes beyond the capacity. An entry larger than the
    /// whole cache is not kept.
    pub(crate) fn put(&self, pass: &str, key: SignedKey, bytes: Bytes) {
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
            lru.size -= old.bytes.len();
        }
        let len = bytes.len();
        if len > self.capacity {
            return;
        }
        while lru.size + len > self.capacity {
            match lru.entries.pop_lru() {
                Some((_, e)) => lru.size -= e.bytes.len(),
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
                lru.size -= e.bytes.len();
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
        let c = SignedCache::new(10);
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
        let none = SignedCache::new(0);
        none.put("a", key(1), Bytes::from_static(b"a"));
        assert_eq!(none.usage(), (0, 0));
    }
}
