//! The Apple Wallet target: `.pkpass` packaging, signing and verification.
//!
//! Sync and IO-free: functions take bytes and values and return bytes or
//! write to a caller-supplied writer. The signing time comes in as an
//! argument, so the same inputs always give the same bytes.

pub mod files;
pub mod manifest;
mod package;
pub mod rules;
mod sign;
pub mod verify;

pub use package::{
    write_archive, write_pkpass, write_pkpasses, PackedAssets, PassFile, PkpassError,
    MAX_BUNDLE_PASSES,
};
pub use sign::{parse_cert, CertInfo, SignError, SigningIdentity};

/// passforge's TEST-ONLY identity from `certs-example/`, built into the
/// library so examples and tests work anywhere. Wallet will not open passes
/// signed with it.
pub mod test_identity {
    /// The pass certificate (PEM).
    pub const CERT_PEM: &[u8] = include_bytes!("../../certs-example/pass.pem");
    /// Its private key (PKCS#8 PEM).
    pub const KEY_PEM: &[u8] = include_bytes!("../../certs-example/pass.key");
    /// The stand-in WWDR CA (PEM).
    pub const WWDR_PEM: &[u8] = include_bytes!("../../certs-example/wwdr-ca.pem");

    /// Loads the test identity.
    ///
    /// # Errors
    /// Only if the embedded files are damaged.
    pub fn load() -> Result<super::SigningIdentity, super::SignError> {
        super::SigningIdentity::from_pem(CERT_PEM, Some(KEY_PEM), None, WWDR_PEM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
    use std::io::Read;

    fn time() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time")
    }

    #[test]
    fn signature_verifies_and_carries_signing_time_and_chain() {
        let id = test_identity::load().expect("identity");
        let manifest = br#"{"pass.json":"00"}"#;
        let sig = id.sign_manifest(manifest, time()).expect("sign");
        let p7 = Pkcs7::from_der(&sig).expect("parse");
        let store = openssl::x509::store::X509StoreBuilder::new()
            .expect("store")
            .build();
        let none = openssl::stack::Stack::new().expect("stack");
        p7.verify(
            &none,
            &store,
            Some(manifest),
            None,
            Pkcs7Flags::NOVERIFY | Pkcs7Flags::BINARY,
        )
        .expect("verifies");
        assert!(p7
            .verify(
                &none,
                &store,
                Some(b"tampered"),
                None,
                Pkcs7Flags::NOVERIFY | Pkcs7Flags::BINARY
            )
            .is_err());
        let certs = p7.signed().and_then(|s| s.certificates()).expect("certs");
        let ca = parse_cert(test_identity::WWDR_PEM, "ca").expect("ca");
        assert_eq!(certs.len(), 2);
        assert!(
            certs.iter().any(|c| c.to_der().ok() == ca.to_der().ok()),
            "chain includes the CA"
        );
        let rep = verify::verify_pkpass(
            &[],
            &verify::VerifyOptions {
                now: time(),
                ignore_expiry: false,
                ca: None,
            },
        );
        assert!(rep.has_errors());
        // Same input, same bytes: the signing time is an argument.
        assert_eq!(sig, id.sign_manifest(manifest, time()).expect("sign"));
        let needle = b"270115080000Z";
        assert!(
            sig.windows(needle.len()).any(|w| w == needle),
            "signingTime present"
        );
    }

    fn packed() -> PackedAssets {
        PackedAssets::new(vec![
            crate::template::Asset::new("icon.png", crate::test_support::png(29, 29)),
            crate::template::Asset::new("fr.lproj/pass.strings", b"\"A\" = \"B\";".to_vec()),
        ])
        .expect("pack")
    }

    fn names_and_methods(bytes: &[u8]) -> Vec<(String, zip::CompressionMethod)> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        (0..zip.len())
            .map(|i| {
                let f = zip.by_index(i).expect("entry");
                (
                    String::from_utf8_lossy(f.name_raw()).into_owned(),
                    f.compression(),
                )
            })
            .collect()
    }

    #[test]
    fn pkpass_layout_and_manifest() {
        use zip::CompressionMethod::{Deflated, Stored};
        let id = test_identity::load().expect("identity");
        let pass_json = br#"{"formatVersion":1}"#;
        let bytes = write_pkpass(
            std::io::Cursor::new(Vec::new()),
            pass_json,
            &packed(),
            &[],
            &id,
            time(),
        )
        .expect("pkpass")
        .into_inner();
        let names: Vec<(&str, zip::CompressionMethod)> = vec![
            ("pass.json", Stored),
            ("icon.png", Stored),
            ("fr.lproj/pass.strings", Deflated),
            ("manifest.json", Stored),
            ("signature", Stored),
        ];
        let got = names_and_methods(&bytes);
        assert_eq!(
            got.iter()
                .map(|(n, m)| (n.as_str(), *m))
                .collect::<Vec<_>>(),
            names,
            "PNGs stored, small per-pass JSON stored, template JSON/strings deflated"
        );
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
        let mut m = String::new();
        zip.by_name("manifest.json")
            .expect("manifest")
            .read_to_string(&mut m)
            .expect("read");
        let m: serde_json::Value = serde_json::from_str(&m).expect("json");
        assert_eq!(m["pass.json"], manifest::sha1_hex(pass_json));
        assert_eq!(m.as_object().map(|o| o.len()), Some(3));
        let mut strings = String::new();
        zip.by_name("fr.lproj/pass.strings")
            .expect("strings")
            .read_to_string(&mut strings)
            .expect("read");
        assert_eq!(
            strings, "\"A\" = \"B\";",
            "pre-compressed assets read back intact"
        );
        let again = write_pkpass(
            std::io::Cursor::new(Vec::new()),
            pass_json,
            &packed(),
            &[],
            &id,
            time(),
        )
        .expect("pkpass")
        .into_inner();
        assert_eq!(bytes, again, "byte-identical for identical inputs");

        // A large pass.json is deflated.
        let big = serde_json::to_vec(
            &serde_json::json!({"formatVersion": 1, "text": "lorem ipsum ".repeat(800)}),
        )
        .expect("json");
        let bytes = write_pkpass(
            std::io::Cursor::new(Vec::new()),
            &big,
            &packed(),
            &[],
            &id,
            time(),
        )
        .expect("pkpass")
        .into_inner();
        assert_eq!(
            names_and_methods(&bytes)[0],
            ("pass.json".to_owned(), Deflated)
        );
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
        let mut back = Vec::new();
        zip.by_name("pass.json")
            .expect("pass")
            .read_to_end(&mut back)
            .expect("read");
        assert_eq!(back, big);
    }
}
