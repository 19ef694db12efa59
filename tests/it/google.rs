//! Google Wallet: every example template gives valid save links, checked by
//! Google's own schema through ../shared/google/validate_gwallet.py.

use serde_json::json;

use crate::support::*;

fn issue_google(
    template: &str,
    data: &str,
    extra: &[&str],
    dir: &std::path::Path,
) -> (std::process::Output, std::path::PathBuf) {
    // Named after the template folder's last component, so an absolute
    // template path never puts the CSV beside the template (e.g. into shared/).
    let name = std::path::Path::new(template)
        .file_name()
        .and_then(|n| n.to_str())
        .expect("template folder name");
    let csv = dir.join(format!("{name}.csv"));
    let mut args = vec!["issue", "--template", template, "--data", data];
    args.extend(google_flags(&csv));
    args.extend_from_slice(extra);
    (passforge(&root(), &args), csv)
}

#[test]
fn every_example_template_gives_valid_google_links() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut urls = Vec::new();
    let mut kinds = Vec::new();
    for t in EXAMPLE_TEMPLATES {
        let dir = format!("templates/{t}");
        let (o, csv) = issue_google(&dir, &format!("{dir}/sample.csv"), &[], tmp.path());
        assert_eq!(code(&o), 0, "{t}: {}", stderr(&o));
        let rows = google_csv(&csv);
        assert!(rows.len() >= 3, "{t}");
        for (serial, object_id, url) in &rows {
            assert!(
                url.starts_with("https://pay.google.com/gp/v/save/"),
                "{url}"
            );
            assert_eq!(object_id, &format!("3388000000000000001.{serial}"));
            let claims = google_claims(url);
            assert_eq!(claims["aud"], "google");
            assert_eq!(claims["typ"], "savetowallet");
            assert_eq!(
                claims["iss"],
                "passforge-test@passforge-test.iam.gserviceaccount.com"
            );
            let payload = claims["payload"].as_object().expect("payload");
            let objects = payload
                .keys()
                .find(|k| k.ends_with("Objects"))
                .expect("objects")
                .clone();
            assert_eq!(payload[&objects][0]["id"], *object_id);
            kinds.push(objects);
            urls.push(url.clone());
        }
    }
    kinds.sort();
    kinds.dedup();
    assert_eq!(
        kinds,
        [
            "eventTicketObjects",
            "flightObjects",
            "genericObjects",
            "loyaltyObjects",
            "offerObjects"
        ]
    );
    shared_validate_google(&urls);
}

#[test]
fn apple_and_google_from_one_run_agree() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("apple");
    let (o, csv) = issue_google(
        "templates/store-card",
        "templates/store-card/sample.csv",
        &["--out", out.to_str().expect("utf8")],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows = google_csv(&csv);
    assert_eq!(rows.len(), 3);
    for (serial, _, url) in &rows {
        let pj = pass_json(&out.join(format!("{serial}.pkpass")));
        let claims = google_claims(url);
        let object = &claims["payload"]["loyaltyObjects"][0];
        assert_eq!(
            object["barcode"]["value"], pj["barcodes"][0]["message"],
            "one rendering feeds both wallets"
        );
        assert_eq!(
            object["loyaltyPoints"]["balance"]["int"],
            pj["storeCard"]["primaryFields"][0]["value"]
        );
        assert_eq!(claims["iat"].as_i64().map(|_| ()), Some(()));
        let class = &claims["payload"]["loyaltyClasses"][0];
        assert_eq!(
            class["programLogo"]["sourceUri"]["uri"],
            "https://passforge.example.com/templates/store-card/logo@3x.png"
        );
        assert_eq!(class["hexBackgroundColor"], "#0c5c4a");
    }
    verify_all(&pkpasses_in(&out));
}

#[test]
fn ids_are_stable_across_runs_and_threads() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&a).expect("mkdir");
    std::fs::create_dir_all(&b).expect("mkdir");
    let (o1, c1) = issue_google(
        "templates/event-ticket",
        "templates/event-ticket/sample.csv",
        &["--threads", "1"],
        &a,
    );
    let (o2, c2) = issue_google(
        "templates/event-ticket",
        "templates/event-ticket/sample.csv",
        &["--threads", "2"],
        &b,
    );
    assert_eq!((code(&o1), code(&o2)), (0, 0));
    let ids = |csv: &std::path::Path| -> Vec<(String, String, String)> {
        google_csv(csv)
            .into_iter()
            .map(|(s, o, u)| {
                let claims = google_claims(&u);
                let class = claims["payload"]["eventTicketObjects"][0]["classId"]
                    .as_str()
                    .expect("class")
                    .to_owned();
                (s, o, class)
            })
            .collect()
    };
    let (i1, i2) = (ids(&c1), ids(&c2));
    assert_eq!(i1, i2);
    assert!(i1
        .iter()
        .all(|(_, o, c)| o.starts_with("3388000000000000001.")
            && c.starts_with("3388000000000000001.event-ticket-")));
}

#[test]
fn google_jwt_command_skinny_and_translations() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let row = tmp.path().join("row.json");
    std::fs::write(&row, r#"{"serialNumber": "E-1", "attendee": "Ada", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"}"#).expect("write");
    let o = passforge(
        &root(),
        &[
            "google",
            "jwt",
            "--template",
            "templates/event-ticket",
            "--data",
            row.to_str().expect("utf8"),
            "--public-url",
            "https://passforge.example.com",
            "--google-origin",
            "https://tickets.example.com",
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let url = stdout(&o).trim().to_owned();
    let claims = google_claims(&url);
    assert_eq!(claims["origins"], json!(["https://tickets.example.com"]));
    let object = &claims["payload"]["eventTicketObjects"][0];
    assert_eq!(object["seatInfo"]["seat"]["defaultValue"]["value"], "A1");
    assert_eq!(object["ticketHolderName"], "Ada");
    let modules = object["textModulesData"].as_array().expect("modules");
    let doors = modules
        .iter()
        .find(|m| m["id"] == "doors")
        .expect("doors module");
    assert_eq!(
        doors["localizedHeader"]["translatedValues"],
        json!([{"language": "fr", "value": "Ouverture des portes"}])
    );
    assert_eq!(doors["localizedHeader"]["defaultValue"]["value"], "Doors");

    let s = passforge(
        &root(),
        &[
            "google",
            "jwt",
            "--skinny",
            "--template",
            "templates/event-ticket",
            "--data",
            row.to_str().expect("utf8"),
            "--public-url",
            "https://passforge.example.com",
        ],
    );
    assert_eq!(code(&s), 0, "{}", stderr(&s));
    let skinny = stdout(&s).trim().to_owned();
    let claims = google_claims(&skinny);
    assert_eq!(
        claims["payload"],
        json!({"eventTicketObjects": [{"id": "3388000000000000001.E-1", "classId": object["classId"]}]})
    );
    assert!(skinny.len() < 1000);
    shared_validate_google(&[url, skinny]);
}

#[test]
fn tampered_jwt_fails_verification() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let row = tmp.path().join("row.json");
    std::fs::write(&row, r#"{"name": "Ada", "memberSince": "2020-01-01"}"#).expect("write");
    let o = passforge(
        &root(),
        &[
            "google",
            "jwt",
            "--jwt-only",
            "--template",
            "templates/generic",
            "--data",
            row.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let jwt = stdout(&o).trim().to_owned();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).expect("b64")).expect("json");
    claims["payload"]["genericObjects"][0]["header"]["defaultValue"]["value"] = json!("Mallory");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(serde_json::to_vec(&claims).expect("json")),
        parts[2]
    );
    let result = std::panic::catch_unwind(|| google_claims(&forged));
    assert!(result.is_err(), "a tampered JWT must not verify");
    if let Some(script) = shared_path("google/validate_gwallet.py") {
        let out = std::process::Command::new("python3")
            .arg(&script)
            .arg(&forged)
            .arg(root().join("certs-example/google-service-account.json"))
            .output()
            .expect("run");
        assert_eq!(
            out.status.code(),
            Some(2),
            "validator rejects the signature: {}",
            stdout(&out)
        );
    }
}

#[test]
fn hostile_values_survive_in_google_objects() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tpl = tmp.path().join("hostile");
    write_template(
        &tpl,
        &json!({"formatVersion": 1, "organizationName": "Hostile Co", "description": "Hostile",
                "generic": {"primaryFields": [{"key": "t", "label": "T", "value": "{{ text }}"}],
                            "backFields": [{"key": "b", "label": "B", "value": "{{ text }}!"}]}}),
        &json!({"text": {"type": "string", "required": true}}),
    );
    let values = [
        "quote \" back \\ {{ x }}",
        "emoji 🎟️ RTL שלום العربية",
        &"y".repeat(10_000),
    ];
    let rows: Vec<serde_json::Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"serialNumber": format!("H-{i}"), "text": v}))
        .collect();
    let data = tmp.path().join("rows.json");
    std::fs::write(&data, serde_json::to_vec(&rows).expect("json")).expect("write");
    let (o, csv) = issue_google(
        tpl.to_str().expect("utf8"),
        data.to_str().expect("utf8"),
        &[],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("row 3: google: the save link is"),
        "long links are warned about: {}",
        stderr(&o)
    );
    let rows = google_csv(&csv);
    let mut urls = Vec::new();
    for (i, (_, _, url)) in rows.iter().enumerate() {
        let claims = google_claims(url);
        let object = &claims["payload"]["genericObjects"][0];
        assert_eq!(object["header"]["defaultValue"]["value"], values[i]);
        assert_eq!(
            object["textModulesData"][0]["body"],
            format!("{}!", values[i])
        );
        urls.push(url.clone());
    }
    shared_validate_google(&urls);
}

#[test]
fn a_warning_every_row_has_is_printed_a_few_times_then_counted() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample =
        std::fs::read_to_string(root().join("templates/event-ticket/sample.csv")).expect("read");
    let mut lines = sample.lines();
    let header = lines.next().expect("header");
    assert!(header.starts_with("serialNumber,"), "{header}");
    let first = lines.next().expect("a row");
    let rest = first.split_once(',').expect("columns").1;
    let mut data = format!("{header}\n");
    for i in 1..=8 {
        data.push_str(&format!("W-{i},{rest}\n"));
    }
    let rows = tmp.path().join("rows.csv");
    std::fs::write(&rows, data).expect("write");
    let (o, csv) = issue_google(
        "templates/event-ticket",
        rows.to_str().expect("utf8"),
        &["--out", tmp.path().join("out").to_str().expect("utf8")],
        tmp.path(),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    let shown: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("google: the save link is"))
        .collect();
    assert_eq!(shown.len(), 3, "{err}");
    for (i, line) in shown.iter().enumerate() {
        assert!(
            line.starts_with(&format!("warning: row {}: ", i + 1)),
            "{line}"
        );
    }
    assert!(
        err.contains(
            "warning: google: 5 more rows had the google.save_url_long warning shown above (not printed; the last was row 8)"
        ),
        "{err}"
    );
    let rows = google_csv(&csv);
    assert_eq!(rows.len(), 8, "every row still has its link");
    let urls: Vec<String> = rows.into_iter().map(|(_, _, url)| url).collect();
    shared_validate_google(&urls);
    verify_all(&pkpasses_in(&tmp.path().join("out")));
}

#[test]
fn unmappable_rows_fail_with_what_is_missing() {
    let Some(dir) = shared_path("fixtures/apple-samples/BoardingPass.pass") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("rows.json");
    std::fs::write(&data, "[{}]").expect("write");
    let (o, csv) = issue_google(
        dir.to_str().expect("utf8"),
        data.to_str().expect("utf8"),
        &[],
        tmp.path(),
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot map the pass to a Google flight pass: missing class.flightHeader"),
        "{err}"
    );
    assert!(err.contains("google.json"), "{err}");
    // No row was issued, so no CSV is written (a previous one would be kept).
    assert!(
        !csv.exists(),
        "{} written for a run that issued nothing",
        csv.display()
    );
    assert!(err.contains("not written: no pass was issued"), "{err}");

    // --check finds the same problem without signing or writing anything.
    let (o, csv) = issue_google(
        dir.to_str().expect("utf8"),
        data.to_str().expect("utf8"),
        &["--check"],
        tmp.path(),
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("missing class.flightHeader"), "{err}");
    assert!(
        err.contains("checked 1 row: 0 would issue, 1 would fail"),
        "{err}"
    );
    assert!(!csv.exists());
}

#[test]
fn a_resumed_run_still_lists_every_rows_google_link() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("apple");
    let args = ["--out", out.to_str().expect("utf8"), "--resume"];
    let template = "templates/event-ticket";
    let data = "templates/event-ticket/sample.csv";
    let (o, csv) = issue_google(template, data, &args, tmp.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let ids = |rows: Vec<(String, String, String)>| -> Vec<(String, String)> {
        rows.into_iter().map(|(s, o, _)| (s, o)).collect()
    };
    let first = ids(google_csv(&csv));
    assert_eq!(first.len(), 4);

    // What a run killed halfway leaves: some .pkpass files, and no CSV (it is
    // renamed into place only at the end).
    let kept = std::fs::read(out.join("TICKET-0001.pkpass")).expect("read");
    std::fs::remove_file(&csv).expect("rm csv");
    for serial in ["TICKET-0002", "TICKET-0004"] {
        std::fs::remove_file(out.join(format!("{serial}.pkpass"))).expect("rm");
    }
    let (o, csv) = issue_google(template, data, &args, tmp.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("issued 2 passes"), "{err}");
    assert!(
        err.contains("2 already issued (skipped; their Google links signed again)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(out.join("TICKET-0001.pkpass")).expect("read"),
        kept,
        "a pass issued before is left as it was"
    );
    let rows = google_csv(&csv);
    assert_eq!(ids(rows.clone()), first, "every row's link, in row order");
    let mut urls = Vec::new();
    for (serial, object_id, url) in rows {
        let claims = google_claims(&url);
        let object = &claims["payload"]["eventTicketObjects"][0];
        assert_eq!(object["id"], object_id.as_str());
        let pj = pass_json(&out.join(format!("{serial}.pkpass")));
        assert!(pj["barcodes"][0]["message"].is_string(), "{pj}");
        assert_eq!(
            object["barcode"]["value"], pj["barcodes"][0]["message"],
            "{serial}: the Google object matches the pass on disk"
        );
        urls.push(url);
    }
    verify_all(&pkpasses_in(&out));
    shared_validate_google(&urls);

    // Nothing left to issue: the CSV is still written whole.
    let (o, csv) = issue_google(template, data, &args, tmp.path());
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).contains("issued 0 passes"), "{}", stderr(&o));
    assert_eq!(ids(google_csv(&csv)), first);
}
