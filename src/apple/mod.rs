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
    assemble_pkpass, build_pkpass, build_pkpass_reusing, write_pkpasses, PackedAssets, PassFile,
    Pkpass, PkpassError, SharedAssets, MAX_BUNDLE_PASSES,
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
    use chrono::{DateTime, Utc};
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
    fn a_kept_signature_is_reused_only_for_its_own_manifest_and_time() {
        let id = test_identity::load().expect("identity");
        let assets = packed();
        let first =
            build_pkpass(b"{\"a\":1}", &assets, &[], &id, time(), Vec::new()).expect("pkpass");
        let kept = first.signature().to_vec();
        assert!(id.made_signature(&kept, &zip_member(&first.to_vec(), "manifest.json"), time()));
        // Reused: the same bytes, without signing again.
        let reusing = |pass_json: &[u8]| {
            build_pkpass_reusing(
                pass_json,
                &assets,
                &[],
                &id,
                time(),
                Vec::new(),
                Some(&kept),
            )
            .expect("pkpass")
        };
        assert_eq!(reusing(b"{\"a\":1}").to_vec(), first.to_vec());
        // Another manifest or time, a damaged value or frame: not this
        // signature, so the pass is signed anew (and that one is its own).
        let manifest = zip_member(&first.to_vec(), "manifest.json");
        let later = time() + chrono::Duration::seconds(1);
        assert!(!id.made_signature(&kept, b"{}", time()));
        assert!(!id.made_signature(&kept, &manifest, later));
        let mut bad_value = kept.clone();
        let last = bad_value.len() - 1;
        bad_value[last] ^= 1;
        assert!(!id.made_signature(&bad_value, &manifest, time()));
        let mut bad_frame = kept.clone();
        bad_frame[40] ^= 1;
        assert!(!id.made_signature(&bad_frame, &manifest, time()));
        assert!(!id.made_signature(&kept[..kept.len() - 1], &manifest, time()));
        assert!(!id.made_signature(b"", &manifest, time()));
        let other = reusing(b"{\"a\":2}");
        assert_ne!(other.signature(), &kept[..]);
        assert!(id.made_signature(
            other.signature(),
            &zip_member(&other.to_vec(), "manifest.json"),
            time()
        ));
    }

    #[test]
    fn a_kept_signature_value_alone_makes_the_same_pass_and_only_that_one() {
        let id = test_identity::load().expect("identity");
        let assets = packed();
        let first =
            build_pkpass(b"{\"a\":1}", &assets, &[], &id, time(), Vec::new()).expect("pkpass");
        let value = first.signature_value().expect("signed here").to_vec();
        // RSA-2048: the 256-byte value ends the ~3.5 KB structure.
        assert_eq!(value.len(), 256);
        assert!(first.signature().ends_with(&value));
        assert!(first.signature().len() > 2_000);
        let manifest = zip_member(&first.to_vec(), "manifest.json");
        assert_eq!(
            id.signature_from_kept(&value, &manifest, time()),
            Some((first.signature().to_vec(), 256))
        );
        let reused = build_pkpass_reusing(
            b"{\"a\":1}",
            &assets,
            &[],
            &id,
            time(),
            Vec::new(),
            Some(&value),
        )
        .expect("pkpass");
        assert_eq!(reused.to_vec(), first.to_vec(), "byte for byte");
        assert_eq!(reused.signature_value(), Some(&value[..]));
        // The whole structure, as earlier releases kept it, still serves.
        assert_eq!(
            id.signature_from_kept(first.signature(), &manifest, time()),
            Some((first.signature().to_vec(), 256))
        );
        // Another manifest or time, a damaged or cut value: none.
        let later = time() + chrono::Duration::seconds(1);
        assert_eq!(id.signature_from_kept(&value, b"{}", time()), None);
        assert_eq!(id.signature_from_kept(&value, &manifest, later), None);
        let mut bad = value.clone();
        bad[100] ^= 1;
        assert_eq!(id.signature_from_kept(&bad, &manifest, time()), None);
        assert_eq!(id.signature_from_kept(&value[1..], &manifest, time()), None);
        assert_eq!(id.signature_from_kept(b"", &manifest, time()), None);
        // A pass laid out around a signature made elsewhere has no known
        // value.
        let laid_out = assemble_pkpass(
            b"{\"a\":1}",
            &assets,
            &[],
            &manifest,
            first.signature(),
            time(),
            Vec::new(),
        )
        .expect("pkpass");
        assert_eq!(laid_out.signature_value(), None);
    }

    fn zip_member(bytes: &[u8], name: &str) -> Vec<u8> {
        use std::io::Read as _;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut out = Vec::new();
        zip.by_name(name)
            .expect("member")
            .read_to_end(&mut out)
            .expect("read");
        out
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

    fn build(
        pass_json: &[u8],
        assets: &PackedAssets,
        extra: &[PassFile],
        at: DateTime<Utc>,
    ) -> Vec<u8> {
        let id = test_identity::load().expect("identity");
        build_pkpass(pass_json, assets, extra, &id, at, Vec::new())
            .expect("pkpass")
            .to_vec()
    }

    #[test]
    fn pkpass_layout_and_manifest() {
        use zip::CompressionMethod::{Deflated, Stored};
        let pass_json = br#"{"formatVersion":1}"#;
        let bytes = build(pass_json, &packed(), &[], time());
        // (Whether icon.png is deflated depends on the PNG encoder; the
        // rule for template assets is tested below.)
        let icon = names_and_methods(&bytes)[0].1;
        let names: Vec<(&str, zip::CompressionMethod)> = vec![
            ("icon.png", icon),
            ("fr.lproj/pass.strings", Stored),
            ("pass.json", Stored),
            ("manifest.json", Stored),
            ("signature", Stored),
        ];
        let got = names_and_methods(&bytes);
        assert_eq!(
            got.iter()
                .map(|(n, m)| (n.as_str(), *m))
                .collect::<Vec<_>>(),
            names,
            "the template's files first; small JSON and tiny strings stored"
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
        assert_eq!(strings, "\"A\" = \"B\";", "assets read back intact");
        assert_eq!(
            bytes,
            build(pass_json, &packed(), &[], time()),
            "byte-identical for identical inputs"
        );

        // A large pass.json and large template strings are deflated, a
        // per-pass file with a non-ASCII name is flagged UTF-8, and every
        // entry reads back with its checksum checked.
        let big = serde_json::to_vec(
            &serde_json::json!({"formatVersion": 1, "text": "lorem ipsum ".repeat(800)}),
        )
        .expect("json");
        let strings = "\"A\" = \"B\";\n".repeat(500);
        let assets = PackedAssets::new(vec![
            crate::template::Asset::new("icon.png", crate::test_support::png(29, 29)),
            crate::template::Asset::new("fr.lproj/pass.strings", strings.clone().into_bytes()),
        ])
        .expect("pack");
        let extra = [PassFile {
            name: "caf\u{e9}.txt".to_owned(),
            bytes: b"cr\xc3\xa8me".to_vec(),
        }];
        let bytes = build(&big, &assets, &extra, time());
        let got = names_and_methods(&bytes);
        assert_eq!(got[1], ("fr.lproj/pass.strings".to_owned(), Deflated));
        assert_eq!(got[2], ("pass.json".to_owned(), Deflated));
        assert_eq!(got[3], ("caf\u{e9}.txt".to_owned(), Stored));
        for (name, want) in [
            ("icon.png", crate::test_support::png(29, 29)),
            ("fr.lproj/pass.strings", strings.into_bytes()),
            ("pass.json", big),
            ("caf\u{e9}.txt", b"cr\xc3\xa8me".to_vec()),
        ] {
            assert_eq!(entry(&bytes, name), want, "{name}");
        }
        let report = verify::verify_pkpass(
            &bytes,
            &verify::VerifyOptions {
                now: time(),
                ignore_expiry: true,
                ca: Some(parse_cert(test_identity::WWDR_PEM, "ca").expect("ca")),
            },
        );
        let manifest_problems: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| {
                // The bare pass.json carries no identifiers, so only the
                // signer-mismatch warnings are expected here.
                d.code != "signature.identity_mismatch"
                    && ["manifest", "zip", "signature"]
                        .iter()
                        .any(|p| d.code.starts_with(p))
            })
            .collect();
        assert!(manifest_problems.is_empty(), "{manifest_problems:?}");
    }

    #[test]
    fn template_assets_are_deflated_once_where_smaller_pngs_included() {
        // A real template PNG that deflate still shrinks, and a "PNG" of
        // incompressible bytes.
        let background = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/event-ticket/background@3x.png"
        ))
        .expect("read the example background");
        let noise = xorshift_noise(4096);
        let assets = PackedAssets::new(vec![
            crate::template::Asset::new("background@3x.png", background.clone()),
            crate::template::Asset::new("icon.png", noise.clone()),
        ])
        .expect("pack");
        let bytes = build(br#"{"formatVersion":1}"#, &assets, &[], time());
        let got = names_and_methods(&bytes);
        assert_eq!(
            got[..2],
            [
                (
                    "background@3x.png".to_owned(),
                    zip::CompressionMethod::Deflated
                ),
                ("icon.png".to_owned(), zip::CompressionMethod::Stored)
            ]
        );
        assert!(
            bytes.len() < background.len() + noise.len(),
            "the archive ({} bytes) is smaller than its images",
            bytes.len()
        );
        for (name, want) in [("background@3x.png", background), ("icon.png", noise)] {
            assert_eq!(entry(&bytes, name), want, "{name} reads back intact");
        }
    }

    /// The contents of entry `name` of the archive, its CRC checked.
    fn entry(bytes: &[u8], name: &str) -> Vec<u8> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
        let mut back = Vec::new();
        zip.by_name(name)
            .expect("entry")
            .read_to_end(&mut back)
            .expect("read with CRC check");
        back
    }

    /// `len` bytes that deflate cannot shrink (a xorshift stream).
    fn xorshift_noise(len: usize) -> Vec<u8> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn per_pass_files_are_deflated_only_when_smaller_and_never_duplicated() {
        // 8 KB that deflate cannot shrink stays stored even though it is
        // large enough to try.
        let noise = xorshift_noise(8192);
        let extra = [PassFile {
            name: "noise.bin".to_owned(),
            bytes: noise.clone(),
        }];
        let bytes = build(br#"{"formatVersion":1}"#, &packed(), &extra, time());
        let got = names_and_methods(&bytes);
        assert_eq!(
            got[3],
            ("noise.bin".to_owned(), zip::CompressionMethod::Stored)
        );
        assert_eq!(entry(&bytes, "noise.bin"), noise);

        let id = test_identity::load().expect("identity");
        for name in ["icon.png", "signature", "pass.json"] {
            let extra = [PassFile {
                name: name.to_owned(),
                bytes: b"x".to_vec(),
            }];
            let err = build_pkpass(b"{}", &packed(), &extra, &id, time(), Vec::new())
                .expect_err("duplicate");
            assert!(
                matches!(&err, PkpassError::DuplicateName(n) if n == name),
                "{err}"
            );
        }
    }

    #[test]
    fn entries_carry_the_signing_time_whichever_came_before() {
        let assets = packed();
        let id = test_identity::load().expect("identity");
        let at = |t: DateTime<Utc>| {
            let bytes = build_pkpass(b"{}", &assets, &[], &id, t, Vec::new())
                .expect("pkpass")
                .to_vec();
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
            (0..zip.len())
                .map(|i| {
                    let m = zip
                        .by_index(i)
                        .expect("entry")
                        .last_modified()
                        .expect("time");
                    (
                        m.year(),
                        m.month(),
                        m.day(),
                        m.hour(),
                        m.minute(),
                        m.second(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let later = time() + chrono::Duration::days(40) + chrono::Duration::seconds(3);
        for (t, want) in [
            (time(), (2027, 1, 15, 8, 0, 0)),
            (later, (2027, 2, 24, 8, 0, 2)),
            (time(), (2027, 1, 15, 8, 0, 0)),
        ] {
            let times = at(t);
            assert_eq!(times.len(), 5);
            assert!(times.iter().all(|x| *x == want), "{t}: {times:?}");
        }
        // Before 1980 (ZIP's epoch) the entries say 1980-01-01.
        let old = at(DateTime::<Utc>::UNIX_EPOCH);
        assert!(old.iter().all(|x| *x == (1980, 1, 1, 0, 0, 0)), "{old:?}");
    }

    /// A writer that takes at most 1000 bytes per call and ignores all but
    /// the first buffer of a vectored write.
    struct Trickle(Vec<u8>);

    impl std::io::Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(1000);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn short_writes_still_write_the_whole_pass() {
        let id = test_identity::load().expect("identity");
        let pkpass = build_pkpass(b"{}", &packed(), &[], &id, time(), Vec::new()).expect("pkpass");
        let mut w = Trickle(Vec::new());
        pkpass.write_to(&mut w).expect("write");
        assert_eq!(w.0, pkpass.to_vec());
        assert_eq!(w.0.len(), pkpass.len());
        let mut file = tempfile::tempfile().expect("file");
        pkpass.write_to(&mut file).expect("writev");
        let mut back = Vec::new();
        std::io::Seek::rewind(&mut file).expect("rewind");
        file.read_to_end(&mut back).expect("read");
        assert_eq!(back, w.0);
    }
}
