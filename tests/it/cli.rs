//! The CLI's configuration and certificate handling: flags, environment,
//! config file, PEM (encrypted) and PKCS#12 (including legacy RC2) identities.

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn certs() -> std::path::PathBuf {
    root().join("certs-example")
}

fn openssl(args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl CLI");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn issue_with(args: &[&str], env: &[(&str, &str)], out: &Path) -> std::process::Output {
    let mut all = vec![
        "issue",
        "--template",
        "templates/generic",
        "--data",
        "templates/generic/sample.csv",
        "--out",
        out.to_str().expect("utf8"),
    ];
    all.extend_from_slice(args);
    passforge_env(&root(), &all, env)
}

#[test]
fn certs_inspect_shows_identity_and_expiry() {
    let o = passforge(&root(), &["certs", "inspect", "certs-example/pass.pem"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("pass type id:   pass.com.example.passforge"),
        "{s}"
    );
    assert!(s.contains("team id:        PFTEST1234"), "{s}");
    assert!(s.contains("valid until:") && !s.contains("EXPIRED"), "{s}");
    assert!(s.contains("TEST-ONLY"), "{s}");
    let p12 = passforge_env(
        &root(),
        &["certs", "inspect", "certs-example/pass.p12"],
        &[("PASSFORGE_KEY_PASSWORD", "passforge-test")],
    );
    assert_eq!(code(&p12), 0, "{}", stderr(&p12));
    assert!(stdout(&p12).contains("PFTEST1234"));
    let ca = passforge(&root(), &["certs", "inspect", "certs-example/wwdr-ca.pem"]);
    assert_eq!(code(&ca), 1, "a CA is not a Pass Type ID certificate");
    assert!(stdout(&ca).contains("not a Pass Type ID certificate"));
}

#[test]
fn identity_from_flags_env_config_and_pkcs12() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = certs();
    let (cert, key, wwdr, p12) = (
        c.join("pass.pem"),
        c.join("pass.key"),
        c.join("wwdr-ca.pem"),
        c.join("pass.p12"),
    );
    // Flags.
    let out = tmp.path().join("flags");
    let o = issue_with(
        &[
            "--cert",
            cert.to_str().expect("utf8"),
            "--key",
            key.to_str().expect("utf8"),
            "--wwdr",
            wwdr.to_str().expect("utf8"),
        ],
        &[],
        &out,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Environment, PKCS#12 with its own chain.
    let out2 = tmp.path().join("env");
    let o = issue_with(
        &[],
        &[
            ("PASSFORGE_CERT", p12.to_str().expect("utf8")),
            ("PASSFORGE_KEY_PASSWORD", "passforge-test"),
        ],
        &out2,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Config file with relative paths and a web service URL; a flag overrides the file.
    std::fs::copy(&cert, tmp.path().join("c.pem")).expect("copy");
    std::fs::copy(&key, tmp.path().join("k.pem")).expect("copy");
    std::fs::copy(&wwdr, tmp.path().join("w.pem")).expect("copy");
    let cfg = tmp.path().join("passforge.toml");
    std::fs::write(&cfg, "cert = \"c.pem\"\nkey = \"k.pem\"\nwwdr = \"w.pem\"\nweb-service-url = \"https://from-file.example/apple\"\n").expect("write");
    let out3 = tmp.path().join("cfg");
    let o = issue_with(&["--config", cfg.to_str().expect("utf8")], &[], &out3);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        pass_json(&out3.join("MEMBER-001.pkpass"))["webServiceURL"],
        "https://from-file.example/apple"
    );
    let out4 = tmp.path().join("cfg-flag");
    let o = issue_with(
        &[
            "--config",
            cfg.to_str().expect("utf8"),
            "--web-service-url",
            "https://flag.example/apple",
        ],
        &[],
        &out4,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        pass_json(&out4.join("MEMBER-001.pkpass"))["webServiceURL"],
        "https://flag.example/apple"
    );
    let mut files = pkpasses_in(&out);
    files.extend(pkpasses_in(&out2));
    files.extend(pkpasses_in(&out3));
    verify_all(&files);
    // A typo in the config file is an error, not ignored.
    std::fs::write(&cfg, "certificate = \"c.pem\"\n").expect("write");
    let o = issue_with(
        &["--config", cfg.to_str().expect("utf8")],
        &[],
        &tmp.path().join("x"),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("unknown field `certificate`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn encrypted_pem_key_and_legacy_pkcs12() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = certs();
    let enc = tmp.path().join("enc.key");
    openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        c.join("pass.key").to_str().expect("utf8"),
        "-v2",
        "aes-256-cbc",
        "-passout",
        "pass:s3cret",
        "-out",
        enc.to_str().expect("utf8"),
    ]);
    let (cert, wwdr) = (c.join("pass.pem"), c.join("wwdr-ca.pem"));
    let mut args: Vec<&str> = vec![
        "--cert",
        cert.to_str().expect("utf8"),
        "--wwdr",
        wwdr.to_str().expect("utf8"),
    ];
    args.extend(["--key", enc.to_str().expect("utf8")]);
    let o = issue_with(&args, &[], &tmp.path().join("a"));
    assert_eq!(code(&o), 2, "no password given");
    assert!(stderr(&o).contains("give its password"), "{}", stderr(&o));
    let o = issue_with(
        &args,
        &[("PASSFORGE_KEY_PASSWORD", "s3cret")],
        &tmp.path().join("b"),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stderr(&o).contains("s3cret"), "secrets are never printed");

    let legacy = tmp.path().join("legacy.p12");
    openssl(&[
        "pkcs12",
        "-export",
        "-legacy",
        "-inkey",
        c.join("pass.key").to_str().expect("utf8"),
        "-in",
        c.join("pass.pem").to_str().expect("utf8"),
        "-certfile",
        c.join("wwdr-ca.pem").to_str().expect("utf8"),
        "-passout",
        "pass:old",
        "-out",
        legacy.to_str().expect("utf8"),
    ]);
    let o = issue_with(
        &["--cert", legacy.to_str().expect("utf8")],
        &[("PASSFORGE_KEY_PASSWORD", "old")],
        &tmp.path().join("c"),
    );
    assert_eq!(
        code(&o),
        0,
        "a legacy RC2 Keychain export is read through OpenSSL's legacy provider: {}",
        stderr(&o)
    );
    let o = issue_with(
        &["--cert", legacy.to_str().expect("utf8")],
        &[("PASSFORGE_KEY_PASSWORD", "wrong")],
        &tmp.path().join("d"),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("wrong password"), "{}", stderr(&o));
    let mut files = pkpasses_in(&tmp.path().join("b"));
    files.extend(pkpasses_in(&tmp.path().join("c")));
    verify_all(&files);
}

#[test]
fn configuration_mistakes_exit_2_with_a_hint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let c = certs();
    let o = issue_with(
        &[
            "--cert",
            c.join("pass.pem").to_str().expect("utf8"),
            "--key",
            c.join("pass.key").to_str().expect("utf8"),
        ],
        &[],
        &tmp.path().join("a"),
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no WWDR certificate"), "{}", stderr(&o));
    // The CA's key does not belong to the pass certificate.
    let o = issue_with(
        &[
            "--cert",
            c.join("pass.pem").to_str().expect("utf8"),
            "--key",
            c.join("wwdr-ca.key").to_str().expect("utf8"),
            "--wwdr",
            c.join("wwdr-ca.pem").to_str().expect("utf8"),
        ],
        &[],
        &tmp.path().join("b"),
    );
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("does not belong to the pass certificate"),
        "{}",
        stderr(&o)
    );
    let o = issue_cli(
        "templates/generic",
        "templates/generic/template.json.txt",
        tmp.path().join("c").to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("--format"), "{}", stderr(&o));
    // --out names an existing file or a single .pkpass: a hint, and the
    // file is left as it was.
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "mine").expect("write");
    for (out, hint) in [
        (file.clone(), "is an existing file, not a folder"),
        (tmp.path().join("one.pkpass"), "names a single .pkpass"),
    ] {
        let o = issue_cli(
            "templates/event-ticket",
            "templates/event-ticket/sample.csv",
            out.to_str().expect("utf8"),
            &[],
        );
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(stderr(&o).contains(hint), "{}", stderr(&o));
        assert!(
            stderr(&o).contains("a .zip or a .pkpasses"),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine");
    assert!(!tmp.path().join("one.pkpass").exists());
    let o = passforge(&root(), &["issue", "--template", "templates/generic"]);
    assert_eq!(code(&o), 2, "clap usage error");
    assert!(!tmp.path().join("a").exists() && !tmp.path().join("b").exists());
}

#[test]
fn validate_warns_of_what_only_a_phone_would_show() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("lint");
    write_template(
        &t,
        &serde_json::json!({
            "formatVersion": 1, "passTypeIdentifier": "pass.x.y", "teamIdentifier": "T",
            "organizationName": "Lint Co", "description": "A pass that shows badly",
            "backgroundColour": "rgb(255, 255, 255)",
            "backgroundColor": "rgb(255, 255, 255)",
            "foregroundColor": "rgb(210, 210, 210)",
            "generic": {
                "primaryFields": [{"key": "name", "value": "{{ name }}"}],
                "secondaryFields": [
                    {"key": "a", "label": "A", "value": "A value much too long for a third of the row"},
                    {"key": "b", "label": "B", "value": "b"},
                    {"key": "c", "label": "C", "value": "c"}
                ],
                "auxiliaryFields": [
                    {"key": "d", "value": "1"}, {"key": "e", "value": "2"}, {"key": "f", "value": "3"},
                    {"key": "g", "value": "4"}, {"key": "h", "value": "5"}
                ]
            }
        }),
        &serde_json::json!({"name": {"type": "string"}}),
    );
    // A thumbnail twice as tall as it is wide.
    let img = image::RgbaImage::from_pixel(40, 90, image::Rgba([1, 2, 3, 255]));
    img.save(t.join("thumbnail.png")).expect("png");
    let out = passforge(dir.path(), &["validate", t.to_str().expect("utf-8")]);
    let err = stderr(&out);
    for (code, where_) in [
        ("pass.misspelled_key", "pass.json#/backgroundColour"),
        (
            "pass.text_truncated",
            "pass.json#/generic/secondaryFields/0/value",
        ),
        ("pass.too_many_fields", "pass.json#/generic/auxiliaryFields"),
        ("pass.low_contrast", "pass.json#/foregroundColor"),
        ("image.aspect_ratio", "thumbnail.png"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with("warning:") && l.contains(where_) && l.contains(code)),
            "{code} at {where_} in:\n{err}"
        );
    }
    assert!(err.contains("did you mean `backgroundColor`"), "{err}");
    assert_eq!(code(&out), 0, "warnings do not fail a template: {err}");

    // The example templates show none of these.
    for example in [
        "boarding-pass",
        "coupon",
        "event-ticket",
        "generic",
        "store-card",
    ] {
        let path = root().join("templates").join(example);
        let out = passforge(dir.path(), &["validate", path.to_str().expect("utf-8")]);
        assert!(
            !stderr(&out).contains("warning:"),
            "{example}: {}",
            stderr(&out)
        );
    }
}

#[cfg(feature = "preview")]
#[test]
fn preview_draws_the_front_back_and_google_card_of_a_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    let template = root().join("templates/event-ticket");
    let row = dir.path().join("row.json");
    std::fs::write(
        &row,
        r#"{"attendee": "Grace Hopper", "seat": "B7", "doorsOpen": "2027-06-12T19:00:00+01:00"}"#,
    )
    .expect("row");
    let path = |p: &Path| p.to_str().expect("utf-8").to_owned();
    // `passforge preview --template <event-ticket> <more…>`
    let preview = |more: &[&str]| {
        let t = path(&template);
        let mut args = vec!["preview", "--template", t.as_str()];
        args.extend_from_slice(more);
        passforge(dir.path(), &args)
    };
    let (row, front, back, google, front_svg) = (
        path(&row),
        path(&dir.path().join("front.png")),
        path(&dir.path().join("back.svg")),
        path(&dir.path().join("google.png")),
        path(&dir.path().join("front.svg")),
    );
    let out = preview(&[
        "--data", &row, "--out", &front, "--back", &back, "--google", &google,
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    for png in [&front, &google] {
        let img = image::open(png).expect("a PNG that decodes");
        assert_eq!(img.width(), 680, "{png}: 2x a 340 pt picture");
    }
    let svg = std::fs::read_to_string(&back).expect("svg");
    assert!(svg.starts_with("<svg") && svg.contains(">TERMS<"), "{svg}");
    let out = preview(&["--data", &row, "--out", &front_svg, "--lang", "fr"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let svg = std::fs::read_to_string(&front_svg).expect("svg");
    assert!(
        svg.contains("Grace Hopper") && svg.contains(">B7<"),
        "the row's values"
    );
    assert!(svg.contains("Participant"), "the French labels (fr.lproj)");
    assert!(svg.contains(">12 juin 2027 19"), "a French date and time");
    let out = preview(&["--out", &front, "--lang", "xx"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no xx.lproj (it has: en, fr)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_pass_designer_bundle_issues_passes_as_designed_or_filled_by_a_row() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Made the way Pass Designer saves a bundle: pass.json, its images at
    // Apple's sizes, and Pass Designer's tooling.json.
    let bundle = dir.path().join("Gala.pkpasstemplate");
    std::fs::create_dir(&bundle).expect("mkdir");
    for image in [
        "icon.png",
        "icon@2x.png",
        "icon@3x.png",
        "logo.png",
        "logo@2x.png",
        "logo@3x.png",
    ] {
        std::fs::copy(
            root().join("templates/event-ticket").join(image),
            bundle.join(image),
        )
        .expect("image");
    }
    std::fs::write(
        bundle.join("pass.json"),
        serde_json::to_vec_pretty(&serde_json::json!({
            "formatVersion": 1,
            "passTypeIdentifier": "pass.com.example.designer",
            "teamIdentifier": "DESIGNER01",
            "serialNumber": "DESIGNED",
            "organizationName": "Opera House",
            "description": "Gala ticket",
            "backgroundColor": "rgb(30, 30, 60)",
            "foregroundColor": "rgb(255, 255, 255)",
            "labelColor": "rgb(200, 200, 255)",
            "barcodes": [{"format": "PKBarcodeFormatQR", "message": "GALA", "messageEncoding": "iso-8859-1"}],
            "eventTicket": {
                "primaryFields": [{"key": "event", "label": "EVENT", "value": "Winter Gala"}],
                "secondaryFields": [{"key": "guests", "label": "GUESTS", "value": 2}],
                "backFields": [{"key": "terms", "label": "TERMS", "value": "No refunds."}]
            }
        }))
        .expect("json"),
    )
    .expect("pass.json");
    std::fs::write(
        bundle.join("tooling.json"),
        // Pass Builder's `Tooling` (Sources/PassBuilder/PassPackage/Tooling).
        r#"{"designerVersion": "1.0", "automaticallyGenerateCompatiblePass": true}"#,
    )
    .expect("tooling.json");
    let rows = dir.path().join("rows.jsonl");
    std::fs::write(
        &rows,
        "{\"serialNumber\": \"AS-DESIGNED\"}\n{\"serialNumber\": \"FILLED\", \"event\": \"Spring Gala\", \"guests\": 4}\n",
    )
    .expect("rows");
    let out = dir.path().join("out");
    let o = issue_cli(
        bundle.to_str().expect("utf-8"),
        rows.to_str().expect("utf-8"),
        out.to_str().expect("utf-8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let passes = pkpasses_in(&out);
    assert_eq!(passes.len(), 2, "{}", stderr(&o));
    verify_all(&passes);
    let designed = pass_json(&out.join("AS-DESIGNED.pkpass"));
    assert_eq!(
        designed["eventTicket"]["primaryFields"][0]["value"],
        "Winter Gala"
    );
    assert_eq!(designed["eventTicket"]["secondaryFields"][0]["value"], 2);
    let filled = pass_json(&out.join("FILLED.pkpass"));
    assert_eq!(
        filled["eventTicket"]["primaryFields"][0]["value"],
        "Spring Gala"
    );
    assert_eq!(filled["eventTicket"]["secondaryFields"][0]["value"], 4);
    assert_eq!(
        filled["eventTicket"]["backFields"][0]["value"],
        "No refunds."
    );
    let zipped = std::fs::read(out.join("FILLED.pkpass")).expect("pkpass");
    let z = zip::ZipArchive::new(std::io::Cursor::new(zipped)).expect("zip");
    let names: Vec<String> = z
        .file_names()
        .map(|n| n.expect("a name").into_owned())
        .collect();
    assert!(!names.iter().any(|n| n == "tooling.json"), "{names:?}");

    // A Pass Builder personalization payload (protobuf) fills its fields.
    use passforge::passbuilder::write::{payload, FieldValue};
    let pb = dir.path().join("payload.pb");
    std::fs::write(
        &pb,
        payload(
            "FROM-PB",
            &[
                ("event", FieldValue::Text("Autumn Gala")),
                ("guests", FieldValue::Int(6)),
            ],
        ),
    )
    .expect("payload");
    let from_pb = dir.path().join("from-pb");
    let o = issue_cli(
        bundle.to_str().expect("utf-8"),
        pb.to_str().expect("utf-8"),
        from_pb.to_str().expect("utf-8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let file = from_pb.join("FROM-PB.pkpass");
    verify_all(std::slice::from_ref(&file));
    let p = pass_json(&file);
    assert_eq!(p["eventTicket"]["primaryFields"][0]["value"], "Autumn Gala");
    assert_eq!(p["eventTicket"]["secondaryFields"][0]["value"], 6);

    // A folder of payloads: one pass each, in file-name order.
    let folder = dir.path().join("payloads");
    std::fs::create_dir(&folder).expect("mkdir");
    for (name, serial, event) in [("a.pb", "PB-A", "Ball A"), ("b.pb", "PB-B", "Ball B")] {
        std::fs::write(
            folder.join(name),
            payload(serial, &[("event", FieldValue::Text(event))]),
        )
        .expect("payload");
    }
    let from_folder = dir.path().join("from-folder");
    let o = issue_cli(
        bundle.to_str().expect("utf-8"),
        folder.to_str().expect("utf-8"),
        from_folder.to_str().expect("utf-8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    verify_all(&pkpasses_in(&from_folder));
    assert_eq!(
        pass_json(&from_folder.join("PB-B.pkpass"))["eventTicket"]["primaryFields"][0]["value"],
        "Ball B"
    );

    // One it cannot carry is refused by name, and nothing is written.
    std::fs::write(&pb, [0x32, 0x01, 0x00]).expect("an image payload");
    let refused = dir.path().join("refused");
    let o = issue_cli(
        bundle.to_str().expect("utf-8"),
        pb.to_str().expect("utf-8"),
        refused.to_str().expect("utf-8"),
        &[],
    );
    assert_ne!(code(&o), 0);
    assert!(stderr(&o).contains("image logo"), "{}", stderr(&o));
    assert!(!refused.join("FROM-PB.pkpass").exists());
}

#[test]
fn link_sign_mints_the_same_link_as_the_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = crate::support::passforge_env(
        dir.path(),
        &[
            "link",
            "sign",
            "--base-url",
            "https://passes.example.com",
            "--template",
            "event-ticket",
            "--field",
            "attendee=Zoë O'Brien",
            "--field",
            "seat=A12",
            "--link-id",
            "order-1001",
            "--key-id",
            "lk_test",
        ],
        &[("PASSFORGE_LINK_SECRET", "lks_test-secret-do-not-use")],
    );
    assert_eq!(
        crate::support::code(&out),
        0,
        "{}",
        crate::support::stderr(&out)
    );
    let expected = passforge::smartlink::mint(&passforge::smartlink::NewLink {
        base_url: "https://passes.example.com",
        template: "event-ticket",
        fields: vec![
            ("attendee".into(), "Zoë O'Brien".into()),
            ("seat".into(), "A12".into()),
        ],
        link_id: "order-1001",
        key_id: "lk_test",
        secret: "lks_test-secret-do-not-use",
        ..Default::default()
    })
    .expect("mint");
    assert_eq!(crate::support::stdout(&out).trim(), expected);
    let bad = crate::support::passforge_env(
        dir.path(),
        &[
            "link",
            "sign",
            "--template",
            "t",
            "--field",
            "novalue",
            "--link-id",
            "x",
            "--key-id",
            "k",
        ],
        &[("PASSFORGE_LINK_SECRET", "s")],
    );
    assert_eq!(crate::support::code(&bad), 2);
    assert!(crate::support::stderr(&bad).contains("--field \"novalue\": write it as key=value"));
}
