//! Apple's own sample passes: the `.pass` folders load as templates and
//! issue valid passes; the Apple-signed `.pkpass` files validate, with their
//! expired certificates reported as such.

use crate::support::*;

const SAMPLES: [&str; 5] = ["BoardingPass", "Coupon", "Event", "Generic", "StoreCard"];

fn samples_dir() -> Option<std::path::PathBuf> {
    shared_path("fixtures/apple-samples")
}

#[test]
fn apple_sample_folders_issue_valid_passes() {
    let Some(dir) = samples_dir() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("rows.json");
    std::fs::write(&data, r#"[{}, {"serialNumber": "SAMPLE-2"}]"#).expect("write");
    let mut files = Vec::new();
    for s in SAMPLES {
        let out = tmp.path().join(s);
        let o = issue_cli(
            dir.join(format!("{s}.pass")).to_str().expect("utf8"),
            data.to_str().expect("utf8"),
            out.to_str().expect("utf8"),
            &[],
        );
        assert_eq!(code(&o), 0, "{s}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("template.identity_replaced"),
            "{s}: the sample's own identity is replaced, with a warning"
        );
        if s == "BoardingPass" {
            assert!(
                err.contains("pass.json:75:26") && err.contains("trailing comma"),
                "{err}"
            );
        }
        let issued = pkpasses_in(&out);
        assert_eq!(issued.len(), 2);
        let pj = pass_json(&out.join("SAMPLE-2.pkpass"));
        assert_eq!(pj["serialNumber"], "SAMPLE-2");
        assert!(pj.get("webServiceURL").is_none() && pj.get("authenticationToken").is_none());
        files.extend(issued);
    }
    verify_all(&files);
}

#[test]
fn apple_signed_samples_validate_with_expired_certificates_reported() {
    let Some(dir) = samples_dir() else { return };
    for s in SAMPLES {
        let file = dir.join(format!("{s}.pkpass"));
        let path = file.to_str().expect("utf8");
        let strict = passforge(&root(), &["validate", path]);
        assert_eq!(
            code(&strict),
            1,
            "{s}: expired certificates are errors: {}",
            stderr(&strict)
        );
        let err = stderr(&strict);
        assert!(
            err.contains("cert.expired") && err.contains("expired on"),
            "{s}: {err}"
        );
        assert!(
            !err.contains("signature.invalid") && !err.contains("manifest."),
            "{s}: only expiry is wrong: {err}"
        );
        let lenient = passforge(&root(), &["validate", "--ignore-expiry", path]);
        assert_eq!(
            code(&lenient),
            0,
            "{s}: {}{}",
            stdout(&lenient),
            stderr(&lenient)
        );
        assert!(stdout(&lenient).starts_with("OK"));
    }
}

#[test]
fn tampered_pass_fails_validation() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = issue_cli(
        "templates/generic",
        "templates/generic/sample.csv",
        tmp.path().to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let file = tmp.path().join("MEMBER-001.pkpass");
    // Rewrite pass.json inside the archive without updating the manifest.
    let bytes = std::fs::read(&file).expect("read");
    let mut src = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..src.len() {
        let mut f = src.by_index(i).expect("entry");
        let name = String::from_utf8_lossy(f.name_raw()).into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut data).expect("read");
        if name == "pass.json" {
            data = String::from_utf8(data)
                .expect("utf8")
                .replace("Hedy Lamarr", "Mallory")
                .into_bytes();
        }
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("start");
        std::io::Write::write_all(&mut w, &data).expect("write");
    }
    let tampered = tmp.path().join("tampered.pkpass");
    std::fs::write(&tampered, w.finish().expect("finish").into_inner()).expect("write");
    let v = passforge(&root(), &["validate", tampered.to_str().expect("utf8")]);
    assert_eq!(code(&v), 1);
    assert!(
        stderr(&v).contains("manifest.hash_mismatch"),
        "{}",
        stderr(&v)
    );
    let ok = passforge(
        &root(),
        &[
            "validate",
            "--ca",
            "certs-example/wwdr-ca.pem",
            file.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
}
