//! `manifest.json`: every file of the pass (but the manifest and the
//! signature) mapped to the lowercase hex SHA-1 of its bytes.

use std::collections::BTreeMap;

use sha1::{Digest, Sha1};

/// Lowercase hex SHA-1 of `bytes`.
pub fn sha1_hex(bytes: &[u8]) -> String {
    crate::model::hex(&Sha1::digest(bytes))
}

/// Serializes a manifest from (file name, SHA-1 hex) pairs. Keys are sorted,
/// so the bytes depend only on the files.
pub fn manifest_json<'a>(entries: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let map: BTreeMap<&str, &str> = entries.into_iter().collect();
    // A map of strings to strings always serializes.
    serde_json::to_vec_pretty(&map).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_is_lowercase_hex() {
        assert_eq!(sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn manifest_is_sorted_and_complete() {
        let m = manifest_json([("pass.json", "bb"), ("icon.png", "aa")]);
        let v: serde_json::Value = serde_json::from_slice(&m).expect("json");
        assert_eq!(v, serde_json::json!({"icon.png": "aa", "pass.json": "bb"}));
        let text = String::from_utf8(m).expect("utf8");
        assert!(text.find("icon.png") < text.find("pass.json"));
    }
}
