//! Row values: hostile strings come out verbatim in valid JSON; bad rows
//! fail alone, naming the field, and leave no file behind.

use serde_json::json;

use crate::support::*;

fn hostile_template(dir: &std::path::Path) {
    write_template(
        dir,
        &json!({
            "formatVersion": 1, "organizationName": "Hostile Co", "description": "Hostile values",
            "generic": {
                "primaryFields": [{"key": "text", "label": "TEXT", "value": "{{ text }}"}],
                "backFields": [{"key": "wrapped", "label": "WRAPPED", "value": "<{{ text }}>"}]
            }
        }),
        &json!({"text": {"type": "string", "required": true}}),
    );
}

#[test]
fn hostile_values_come_out_verbatim() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tpl = tmp.path().join("hostile");
    hostile_template(&tpl);
    let values = [
        "She said \"hi\" and left",
        "back\\slash \\n \\u0000 C:\\path\\",
        "{{ 7 * 7 }} {% for x in y %}{{ text }}{% endfor %} {# c #}",
        "line one\nline two\r\nline three\ttabbed",
        "emoji 🎟️👩🏽‍🚀 and combining é",
        "עברית right-to-left ‏mark العربية",
        &"x".repeat(10_000),
        "'single' `back` </script> &amp; <b>",
    ];
    let rows: Vec<serde_json::Value> = values
        .iter()
        .enumerate()
        .map(|(i, v)| json!({"serialNumber": format!("H-{i}"), "text": v}))
        .collect();
    let data = tmp.path().join("rows.json");
    std::fs::write(&data, serde_json::to_vec(&rows).expect("json")).expect("write");
    let out = tmp.path().join("out");
    let o = issue_cli(
        tpl.to_str().expect("utf8"),
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for (i, v) in values.iter().enumerate() {
        let pj = pass_json(&out.join(format!("H-{i}.pkpass")));
        assert_eq!(pj["generic"]["primaryFields"][0]["value"], *v, "row {i}");
        assert_eq!(
            pj["generic"]["backFields"][0]["value"],
            format!("<{v}>"),
            "row {i}"
        );
    }
    verify_all(&pkpasses_in(&out));
}

#[test]
fn bad_rows_fail_alone_and_name_the_field() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rows = "serialNumber,attendee,seat,section,doorsOpen,price\n\
         OK-1,Ada,A1,VIP,2027-06-12T19:00:00+01:00,10\n\
         BAD-REQUIRED,,A2,GA,2027-06-12T19:00:00+01:00,10\n\
         BAD-TYPE,Bob,A3,GA,2027-06-12T19:00:00+01:00,ten euros\n\
         BAD-ENUM,Cy,A4,FRONTROW,2027-06-12T19:00:00+01:00,10\n\
         BAD-DATE,Di,A5,GA,12/06/2027 7pm,10\n\
         BAD-PATTERN,Ed,seat 6,GA,2027-06-12T19:00:00+01:00,10\n\
         OK-1,Dup,A7,GA,2027-06-12T19:00:00+01:00,10\n\
         ../evil,Eve,A8,GA,2027-06-12T19:00:00+01:00,10\n\
         SHORT,Fay\n\
         OK-2,Gus,B9,BALCONY,2027-06-12T19:00:00Z,\n";
    // The same lines with LF and with CRLF ends (as spreadsheets save them).
    for (ends, text) in [
        ("lf", rows.to_owned()),
        ("crlf", rows.replace('\n', "\r\n")),
    ] {
        let data = tmp.path().join(format!("rows-{ends}.csv"));
        std::fs::write(&data, text).expect("write");
        let out = tmp.path().join(format!("out-{ends}"));
        let o = issue_cli(
            "templates/event-ticket",
            data.to_str().expect("utf8"),
            out.to_str().expect("utf8"),
            &[],
        );
        let err = stderr(&o);
        assert_eq!(code(&o), 1, "{ends}: some rows failed → exit 1: {err}");
        for expected in [
            "row 2 (line 3): field `attendee`: required field is missing",
            "row 3 (line 4): field `price`: expected a number, got \"ten euros\"",
            "row 4 (line 5): field `section`: \"FRONTROW\" is not one of: GA, VIP, BALCONY",
            "row 5 (line 6): field `doorsOpen`: expected a date and time with a time zone",
            "row 6 (line 7): field `seat`: \"seat 6\" does not match the pattern",
            "row 7 (line 8): field `serialNumber`: OK-1 is already used by row 1",
            "row 8 (line 9): field `serialNumber`: serial number \"../evil\" contains '/'",
            "row 9 (line 10): has 2 columns; the header has 6",
        ] {
            assert!(
                err.contains(expected),
                "{ends}: missing {expected:?} in:\n{err}"
            );
        }
        assert!(
            err.contains("issued 2 passes") && err.contains("8 rows failed"),
            "{ends}: {err}"
        );
        assert_eq!(
            names_in(&out),
            ["OK-1.pkpass", "OK-2.pkpass"],
            "{ends}: only good rows are written; no temp files"
        );
        verify_all(&pkpasses_in(&out));

        // --check reports the same rows, and signs and writes nothing.
        let unwritten = tmp.path().join(format!("unwritten-{ends}"));
        let o = issue_cli(
            "templates/event-ticket",
            data.to_str().expect("utf8"),
            unwritten.to_str().expect("utf8"),
            &["--check"],
        );
        let checked = stderr(&o);
        assert_eq!(code(&o), 1, "{ends}: {checked}");
        let errors = |text: &str| -> Vec<String> {
            text.lines()
                .filter(|l| l.starts_with("error: row"))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(errors(&checked), errors(&err), "{ends}");
        assert!(
            checked.contains(
                "checked 10 rows: 2 would issue, 8 would fail; nothing was signed or written"
            ),
            "{ends}: {checked}"
        );
        assert!(!unwritten.exists(), "{ends}: nothing written");
    }
    assert!(!tmp.path().join("evil.pkpass").exists());
}

#[test]
fn columns_that_fail_every_row_are_reported_once_from_the_header() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("rows.csv");
    // No `attendee` column, and a `nmae` the template does not declare:
    // every one of the 500 rows would fail the same way.
    let mut text = "serialNumber,nmae,seat,section,doorsOpen,price\r\n".to_owned();
    for i in 0..500 {
        text.push_str(&format!(
            "R-{i},Ada,A1,VIP,2027-06-12T19:00:00+01:00,10\r\n"
        ));
    }
    std::fs::write(&data, text).expect("write");
    let out = tmp.path().join("out");
    let o = issue_cli(
        "templates/event-ticket",
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &[],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "every row fails → exit 1: {err}");
    let header = format!("error: {}: line 1 (the CSV header): ", data.display());
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors.len(),
        3,
        "two problems and the verdict, not one per row:\n{err}"
    );
    assert!(
        errors[0].starts_with(&format!(
            "{header}field `nmae`: a column that is not a field"
        )),
        "{err}"
    );
    assert!(
        errors[0].contains("attendee"),
        "names the declared fields: {err}"
    );
    assert!(
        errors[1].starts_with(&format!(
            "{header}field `attendee`: required, and no column gives it"
        )),
        "{err}"
    );
    assert!(
        errors[2].contains("every row would fail; nothing was issued"),
        "{err}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_run_that_issues_nothing_keeps_the_previous_outputs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let good = "templates/event-ticket/sample.csv";
    let bad = tmp.path().join("bad.csv");
    std::fs::write(
        &bad,
        "serialNumber,attendee,seat,section,doorsOpen,price\n\
         B-1,Ada,A1,VIP,2027-06-12T19:00:00Z,ten euros\n",
    )
    .expect("write");
    let bad = bad.to_str().expect("utf8");
    let zip = tmp.path().join("passes.zip");
    let links = tmp.path().join("links.csv");
    let google = google_flags(&links);
    let o = issue_cli(
        "templates/event-ticket",
        good,
        zip.to_str().expect("utf8"),
        &google,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let (zip_before, links_before) = (
        std::fs::read(&zip).expect("zip"),
        std::fs::read(&links).expect("links"),
    );
    assert_eq!(google_csv(&links).len(), 4);

    // Every row fails: the .zip and the Google CSV of the previous run stay
    // as they were instead of being replaced by empty ones.
    let o = issue_cli(
        "templates/event-ticket",
        bad,
        zip.to_str().expect("utf8"),
        &google,
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    assert!(
        err.contains("issued 0 passes")
            && err.contains("passes.zip (not written: no pass was issued)")
            && err.contains("links.csv (not written: no pass was issued)"),
        "{err}"
    );
    assert_eq!(std::fs::read(&zip).expect("zip"), zip_before);
    assert_eq!(std::fs::read(&links).expect("links"), links_before);

    // A folder this run would have created is not left behind empty.
    let fresh = tmp.path().join("fresh");
    let o = issue_cli(
        "templates/event-ticket",
        bad,
        fresh.to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!fresh.exists(), "an empty output folder was left behind");

    // A folder that was there before is kept, with what it held.
    let kept = tmp.path().join("kept");
    std::fs::create_dir(&kept).expect("mkdir");
    std::fs::write(kept.join("notes.txt"), "mine").expect("write");
    let o = issue_cli(
        "templates/event-ticket",
        bad,
        kept.to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(names_in(&kept), ["notes.txt"]);
    assert_eq!(
        names_in(tmp.path()),
        ["bad.csv", "kept", "links.csv", "passes.zip"],
        "no temp files"
    );
}

#[test]
fn too_many_rows_for_a_bundle_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let rows: Vec<serde_json::Value> = (0..11)
        .map(|i| json!({"name": format!("N{i}"), "memberSince": "2020-01-01"}))
        .collect();
    let data = tmp.path().join("rows.json");
    std::fs::write(&data, serde_json::to_vec(&rows).expect("json")).expect("write");
    let bundle = tmp.path().join("b.pkpasses");
    let o = issue_cli(
        "templates/generic",
        data.to_str().expect("utf8"),
        bundle.to_str().expect("utf8"),
        &[],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("at most 10 passes"), "{}", stderr(&o));
    assert_eq!(names_in(tmp.path()), ["rows.json"], "nothing written");
}

#[test]
fn library_issue_is_deterministic_for_fixed_stamps() {
    use passforge::issue::{Issuer, Stamp};
    let template =
        passforge::template::load_dir(&root().join("templates/event-ticket")).expect("template");
    let identity = passforge::apple::test_identity::load().expect("identity");
    let issuer =
        Issuer::new(&template, &identity).web_service_url(Some("https://pf.example/apple"));
    let row = json!({"attendee": "Ada", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"});
    let time = chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time");
    let stamp = Stamp::new("FIXED-1", "abcdefabcdefabcdef01", time).expect("stamp");
    let a = issuer
        .issue(row.as_object().expect("object"), &stamp)
        .expect("issue");
    let b = issuer
        .issue(row.as_object().expect("object"), &stamp)
        .expect("issue");
    let a = a.pkpass.expect("apple").to_vec();
    assert_eq!(
        a,
        b.pkpass.expect("apple").to_vec(),
        "same inputs, same bytes"
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let f = tmp.path().join("FIXED-1.pkpass");
    std::fs::write(&f, &a).expect("write");
    verify_all(&[f]);
}

#[test]
fn a_json_array_is_read_row_by_row_with_line_numbers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let row = |i: usize, price: serde_json::Value| {
        serde_json::json!({"serialNumber": format!("J-{i:03}"), "attendee": "Ada", "seat": "A1",
            "section": "VIP", "doorsOpen": "2027-06-12T19:00:00+01:00", "price": price})
    };
    let rows: Vec<serde_json::Value> = (0..150)
        .map(|i| row(i, if i == 2 { "ten".into() } else { i.into() }))
        .collect();
    // Pretty-printed: each row is 8 lines (`{`, six fields, `}`), the first
    // starting on line 2, so row 3 starts on line 18.
    let text = serde_json::to_string_pretty(&rows).expect("json");
    let data = tmp.path().join("rows.json");
    std::fs::write(&data, &text).expect("write");
    let out = tmp.path().join("out");
    let o = issue_cli(
        "templates/event-ticket",
        data.to_str().expect("utf8"),
        out.to_str().expect("utf8"),
        &[],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    assert!(
        err.contains("row 3 (line 18): field `price`: expected a number"),
        "{err}"
    );
    assert!(err.contains("issued 149 passes"), "{err}");
    let issued = pkpasses_in(&out);
    assert_eq!(issued.len(), 149);
    verify_all(&issued);

    // Cut off inside row 100: the rows of the chunks before it are written,
    // and the error says where the document breaks and how to finish.
    let cut = text.find("\"J-099\"").expect("row 100");
    let broken = tmp.path().join("broken.json");
    std::fs::write(&broken, &text[..cut]).expect("write");
    let out2 = tmp.path().join("out2");
    let o = issue_cli(
        "templates/event-ticket",
        broken.to_str().expect("utf8"),
        out2.to_str().expect("utf8"),
        &[],
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    let line = text[..cut].lines().count();
    assert!(
        err.contains(&format!(
            "{}: line {line}: the JSON array ends inside row 100; the passes written before it are complete",
            broken.display()
        )),
        "{err}"
    );
    assert_eq!(
        err.matches("ends inside row 100").count(),
        1,
        "said once: {err}"
    );
    let written = pkpasses_in(&out2);
    assert_eq!(
        written.len(),
        98,
        "every good row before the break (row 3 is bad)"
    );
    verify_all(&written);
}

#[test]
fn an_errors_file_lists_every_failed_row_and_stderr_only_the_first() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let write_rows = |path: &std::path::Path, bad: bool| {
        let mut w = csv::Writer::from_path(path).expect("csv");
        w.write_record([
            "serialNumber",
            "attendee",
            "seat",
            "section",
            "doorsOpen",
            "price",
        ])
        .expect("header");
        for i in 0..55 {
            // Every row but each 11th has a bad price (50 bad, 5 good).
            let price = if bad && i % 11 != 0 { "x" } else { "3" };
            w.write_record([
                &format!("E-{i:03}"),
                "Ada",
                "A1",
                "VIP",
                "2027-06-12T19:00:00+01:00",
                price,
            ])
            .expect("row");
        }
        w.flush().expect("flush");
    };
    let data = tmp.path().join("rows.csv");
    write_rows(&data, true);
    let errors = tmp.path().join("errors.csv");
    let expected: Vec<(String, String, String)> = (0..55_usize)
        .filter(|i| i % 11 != 0)
        .map(|i| ((i + 1).to_string(), (i + 2).to_string(), "price".to_owned()))
        .collect();
    let listed = |path: &std::path::Path| -> Vec<(String, String, String)> {
        let mut r = csv::Reader::from_path(path).expect("errors csv");
        assert_eq!(
            r.headers().expect("header"),
            vec!["row", "line", "field", "message"]
        );
        r.records()
            .map(|rec| {
                let rec = rec.expect("record");
                assert_eq!(&rec[3], "expected a number, got \"x\"");
                (rec[0].to_owned(), rec[1].to_owned(), rec[2].to_owned())
            })
            .collect()
    };
    for check in [false, true] {
        let out = tmp.path().join("out");
        let mut extra = vec!["--errors", errors.to_str().expect("utf8")];
        if check {
            extra.push("--check");
        }
        let o = issue_cli(
            "templates/event-ticket",
            data.to_str().expect("utf8"),
            out.to_str().expect("utf8"),
            &extra,
        );
        let err = stderr(&o);
        assert_eq!(code(&o), 1, "{err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error: row")).count(),
            20,
            "check={check}: only the first 20 on stderr:\n{err}"
        );
        assert!(
            err.contains(&format!(
                "error: 30 more problem line(s) not shown; all 50 are in {}",
                errors.display()
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!("50 would fail (listed in {})", errors.display()))
                || err.contains(&format!("50 rows failed (listed in {})", errors.display())),
            "{err}"
        );
        assert_eq!(listed(&errors), expected, "check={check}");
        if !check {
            let issued = pkpasses_in(&out);
            assert_eq!(issued.len(), 5);
            verify_all(&issued);
        }
    }
    // Fixed data: the errors file is replaced by its header alone, so the
    // old list does not outlive the problems.
    write_rows(&data, false);
    let o = issue_cli(
        "templates/event-ticket",
        data.to_str().expect("utf8"),
        tmp.path().join("out2").to_str().expect("utf8"),
        &["--errors", errors.to_str().expect("utf8")],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(listed(&errors).is_empty());
    let temps: Vec<String> = names_in(tmp.path())
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}
