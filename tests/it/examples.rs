//! Every example template issues its sample rows into passes that both
//! verifiers accept, into a folder, a .zip and a .pkpasses bundle.

use crate::support::*;

fn csv_rows(template: &str) -> usize {
    let text = std::fs::read_to_string(root().join("templates").join(template).join("sample.csv"))
        .expect("sample.csv");
    csv::Reader::from_reader(text.as_bytes()).records().count()
}

#[test]
fn every_example_template_issues_valid_passes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut all = Vec::new();
    let mut styles = Vec::new();
    for t in EXAMPLE_TEMPLATES {
        let out = tmp.path().join(t);
        let dir = format!("templates/{t}");
        let o = issue_cli(
            &dir,
            &format!("{dir}/sample.csv"),
            out.to_str().expect("utf8"),
            &[],
        );
        assert_eq!(code(&o), 0, "{t}: {}", stderr(&o));
        let rows = csv_rows(t);
        assert!(rows >= 3, "{t} has a few sample rows");
        assert!(
            stderr(&o).contains(&format!("issued {rows} passes")),
            "{}",
            stderr(&o)
        );
        assert!(
            stderr(&o).contains("TEST-ONLY"),
            "the test identity is announced loudly"
        );
        let files = pkpasses_in(&out);
        assert_eq!(files.len(), rows, "{t}");
        let pj = pass_json(&files[0]);
        styles.push(
            [
                "eventTicket",
                "boardingPass",
                "storeCard",
                "coupon",
                "generic",
            ]
            .into_iter()
            .find(|s| pj.get(*s).is_some())
            .expect("style")
            .to_owned(),
        );
        assert_eq!(pj["passTypeIdentifier"], "pass.com.example.passforge");
        assert_eq!(pj["teamIdentifier"], "PFTEST1234");
        all.extend(files);
    }
    styles.sort();
    styles.dedup();
    assert_eq!(
        styles,
        [
            "boardingPass",
            "coupon",
            "eventTicket",
            "generic",
            "storeCard"
        ]
    );
    verify_all(&all);
}

#[test]
fn event_ticket_is_localized_and_typed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = issue_cli(
        "templates/event-ticket",
        "templates/event-ticket/sample.csv",
        tmp.path().to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let file = tmp.path().join("TICKET-0002.pkpass");
    let bytes = std::fs::read(&file).expect("pass");
    let fr = String::from_utf8(zip_member(&bytes, "fr.lproj/pass.strings")).expect("utf8");
    assert!(fr.contains("\"EVENT\" = \"Événement\";"));
    let pj = pass_json(&file);
    let aux = &pj["eventTicket"]["auxiliaryFields"];
    assert_eq!(
        aux[1]["value"],
        serde_json::json!(45.5),
        "a number field stays a number"
    );
    assert_eq!(
        pj["eventTicket"]["secondaryFields"][0]["value"],
        "Grace \"Amazing\" Hopper"
    );
    assert_eq!(pj["relevantDate"], "2027-06-12T19:00:00+01:00");
    assert!(
        pj.get("webServiceURL").is_none(),
        "no web service configured → omitted"
    );
}

#[test]
fn zip_and_bundle_outputs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let zip_path = tmp.path().join("out/passes.zip");
    let o = issue_cli(
        "templates/coupon",
        "templates/coupon/sample.csv",
        zip_path.to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::read(&zip_path).expect("zip written");
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
    assert_eq!(z.len(), 3);
    let extracted = tmp.path().join("extracted");
    std::fs::create_dir_all(&extracted).expect("mkdir");
    for i in 0..z.len() {
        let mut f = z.by_index(i).expect("entry");
        let name = String::from_utf8_lossy(f.name_raw()).into_owned();
        assert!(name.ends_with(".pkpass"), "{name}");
        let mut out = std::fs::File::create(extracted.join(&name)).expect("create");
        std::io::copy(&mut f, &mut out).expect("copy");
    }
    assert_eq!(
        names_in(&tmp.path().join("out")),
        ["passes.zip"],
        "no temp files left"
    );

    let bundle = tmp.path().join("coupons.pkpasses");
    let o = issue_cli(
        "templates/coupon",
        "templates/coupon/sample.csv",
        bundle.to_str().expect("utf8"),
        &["--threads", "1"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let mut files = pkpasses_in(&extracted);
    files.push(bundle.clone());
    verify_all(&files);
    let v = passforge(&root(), &["validate", bundle.to_str().expect("utf8")]);
    assert_eq!(code(&v), 0, "{}{}", stdout(&v), stderr(&v));
    assert!(stdout(&v).contains("(3 passes)"));
}

#[test]
fn json_and_jsonl_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let one = tmp.path().join("one.json");
    std::fs::write(
        &one,
        r#"{"serialNumber": "M-1", "name": "Ada", "memberSince": "2020-02-02"}"#,
    )
    .expect("write");
    let lines = tmp.path().join("rows.jsonl");
    std::fs::write(&lines, "{\"name\": \"A\", \"memberSince\": \"2020-01-01\", \"active\": false}\n\n{\"serialNumber\": \"M-3\", \"name\": \"C\", \"memberSince\": \"2021-01-01\", \"level\": \"Plus\"}\n").expect("write");
    let out = tmp.path().join("out");
    for data in [&one, &lines] {
        let o = issue_cli(
            "templates/generic",
            data.to_str().expect("utf8"),
            out.to_str().expect("utf8"),
            &[],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    let files = pkpasses_in(&out);
    assert_eq!(
        files.len(),
        3,
        "one + two rows; the row without serialNumber got a generated one"
    );
    assert!(out.join("M-1.pkpass").exists() && out.join("M-3.pkpass").exists());
    let generated = files
        .iter()
        .find(|f| !f.ends_with("M-1.pkpass") && !f.ends_with("M-3.pkpass"))
        .expect("generated");
    let serial = pass_json(generated)["serialNumber"]
        .as_str()
        .expect("serial")
        .to_owned();
    assert!(
        uuid::Uuid::parse_str(&serial).is_ok(),
        "generated serial is a UUID: {serial}"
    );
    verify_all(&files);
}

#[test]
fn web_service_url_from_environment_adds_a_token() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let o = passforge_env(
        &root(),
        &[
            "issue",
            "--template",
            "templates/store-card",
            "--data",
            "templates/store-card/sample.csv",
            "--out",
            tmp.path().to_str().expect("utf8"),
        ],
        &[(
            "PASSFORGE_WEB_SERVICE_URL",
            "https://passes.example.com/apple",
        )],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let files = pkpasses_in(tmp.path());
    let a = pass_json(&files[0]);
    let b = pass_json(&files[1]);
    assert_eq!(a["webServiceURL"], "https://passes.example.com/apple");
    let (ta, tb) = (
        a["authenticationToken"].as_str().expect("token"),
        b["authenticationToken"].as_str().expect("token"),
    );
    assert!(ta.len() >= 16 && ta != tb, "a distinct token per pass");
    verify_all(&files);
}
