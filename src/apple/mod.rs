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

pub use package::{write_pkpass, write_pkpasses, PassFile, PkpassError, MAX_BUNDLE_PASSES};
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

    #[test]
    fn pkpass_layout_and_manifest() {
        let id = test_identity::load().expect("identity");
        let icon = crate::template::Asset::new("icon.png", crate::test_support::png(29, 29));
        let strings =
            crate::template::Asset::new("fr.lproj/pass.strings", b"\"A\" = \"B\";".to_vec());
        let pass_json = br#"{"formatVersion":1}"#;
        let bytes = write_pkpass(
            std::io::Cursor::new(Vec::new()),
            pass_json,
            &[icon, strings],
            &[],
            &id,
            time(),
        )
        .expect("pkpass")
        .into_inner();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
        let names: Vec<String> = (0..zip.len())
            .map(|i| {
                String::from_utf8_lossy(zip.by_index(i).expect("entry").name_raw()).into_owned()
            })
            .collect();
        assert_eq!(
            names,
            [
                "pass.json",
                "icon.png",
                "fr.lproj/pass.strings",
                "manifest.json",
                "signature"
            ]
        );
        assert_eq!(
            zip.by_name("icon.png").expect("icon").compression(),
            zip::CompressionMethod::Stored
        );
        assert_eq!(
            zip.by_name("pass.json").expect("pass").compression(),
            zip::CompressionMethod::Deflated
        );
        let mut m = String::new();
        zip.by_name("manifest.json")
            .expect("manifest")
            .read_to_string(&mut m)
            .expect("read");
        let m: serde_json::Value = serde_json::from_str(&m).expect("json");
        assert_eq!(m["pass.json"], manifest::sha1_hex(pass_json));
        assert_eq!(m.as_object().map(|o| o.len()), Some(3));
        let again = write_pkpass(
            std::io::Cursor::new(Vec::new()),
            pass_json,
            &[
                crate::template::Asset::new("icon.png", crate::test_support::png(29, 29)),
                crate::template::Asset::new("fr.lproj/pass.strings", b"\"A\" = \"B\";".to_vec()),
            ],
            &[],
            &id,
            time(),
        )
        .expect("pkpass")
        .into_inner();
        assert_eq!(bytes, again, "byte-identical for identical inputs");
    }
}
