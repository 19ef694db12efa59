//! Wallet's current pass formats from the example templates: the poster
//! event ticket (iOS 18), the semantic boarding pass (iOS 26) and iOS 27's
//! poster generic style with a new barcode; every semantic value from a CSV
//! row lands in pass.json and in the Google object; each poster rule fails
//! a template with its JSON pointer.

use serde_json::{json, Value};

use crate::support::*;

/// The sample rows of an example template, by column.
fn sample_rows(template: &str) -> Vec<serde_json::Map<String, Value>> {
    let path = root().join("templates").join(template).join("sample.csv");
    let mut r = csv::Reader::from_path(path).expect("sample.csv");
    let headers = r.headers().expect("header").clone();
    r.records()
        .map(|rec| {
            let rec = rec.expect("row");
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), Value::String(v.to_owned())))
                .collect()
        })
        .collect()
}

/// Issues an example's sample rows to .pkpass files and Google links.
fn issue_both(template: &str, dir: &std::path::Path) -> Vec<(String, Value, Value)> {
    let out = dir.join("apple");
    let links = dir.join("links.csv");
    let tdir = format!("templates/{template}");
    let data = format!("{tdir}/sample.csv");
    let mut args = vec![
        "issue",
        "--template",
        &tdir,
        "--data",
        &data,
        "--out",
        out.to_str().expect("utf8"),
    ];
    args.extend(google_flags(&links));
    let o = passforge(&root(), &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let rows = google_csv(&links);
    verify_all(&pkpasses_in(&out));
    shared_validate_google(&rows.iter().map(|r| r.2.clone()).collect::<Vec<_>>());
    rows.into_iter()
        .map(|(serial, _, url)| {
            let pj = pass_json(&out.join(format!("{serial}.pkpass")));
            (serial, pj, google_claims(&url)["payload"].clone())
        })
        .collect()
}

fn text(v: &Value) -> &str {
    v["defaultValue"]["value"].as_str().unwrap_or_default()
}

fn json_cell(row: &serde_json::Map<String, Value>, key: &str) -> Value {
    serde_json::from_str(row[key].as_str().expect("cell")).expect("JSON cell")
}

#[test]
fn poster_event_ticket_semantics_land_verbatim_in_both_wallets() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let issued = issue_both("poster-event-ticket", tmp.path());
    let rows = sample_rows("poster-event-ticket");
    assert_eq!(issued.len(), rows.len());
    for ((serial, pj, google), row) in issued.iter().zip(&rows) {
        assert_eq!(serial, row["serialNumber"].as_str().expect("serial"));
        let sem = &pj["semantics"];
        assert_eq!(
            pj["preferredStyleSchemes"],
            json!(["posterEventTicket", "eventTicket"])
        );
        assert_eq!(sem["attendeeName"], row["attendee"]);
        assert_eq!(sem["admissionLevel"], row["admission"]);
        assert_eq!(sem["eventStartDate"], row["eventStart"]);
        assert_eq!(sem["eventEndDate"], row["eventEnd"]);
        assert_eq!(sem["venueDoorsOpenDate"], row["doorsOpen"]);
        assert_eq!(
            sem["venueEntrance"],
            format!("Gate {}", row["gate"].as_str().unwrap_or_default())
        );
        let seats = json_cell(row, "seats");
        let performers = json_cell(row, "performers");
        assert_eq!(sem["seats"], seats, "typed array of seats, as in the cell");
        assert_eq!(sem["performerNames"], performers);
        assert_eq!(
            pj["relevantDates"],
            json!([{"startDate": row["doorsOpen"], "endDate": row["eventEnd"]}])
        );

        let class = &google["eventTicketClasses"][0];
        let object = &google["eventTicketObjects"][0];
        assert_eq!(text(&class["venue"]["name"]), sem["venueName"]);
        assert_eq!(text(&class["venue"]["address"]), "Main auditorium, London");
        assert_eq!(class["dateTime"]["start"], row["eventStart"]);
        assert_eq!(class["dateTime"]["end"], row["eventEnd"]);
        assert_eq!(class["dateTime"]["doorsOpen"], row["doorsOpen"]);
        assert_eq!(object["ticketHolderName"], row["attendee"]);
        assert_eq!(text(&object["ticketType"]), row["admission"]);
        let seat = &object["seatInfo"];
        assert_eq!(text(&seat["seat"]), seats[0]["seatNumber"]);
        assert_eq!(text(&seat["row"]), seats[0]["seatRow"]);
        assert_eq!(text(&seat["section"]), seats[0]["seatSection"]);
        assert_eq!(
            text(&seat["gate"]),
            format!("Gate {}", row["gate"].as_str().unwrap_or_default())
        );
        let modules = object["textModulesData"].as_array().expect("modules");
        let lineup = modules
            .iter()
            .find(|m| m["id"] == "lineup")
            .expect("additionalInfoFields become text modules");
        let names: Vec<&str> = performers
            .as_array()
            .expect("array")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(lineup["body"], names.join(", "));
        let links: Vec<&str> = object["linksModuleData"]["uris"]
            .as_array()
            .expect("links")
            .iter()
            .filter_map(|u| u["uri"].as_str())
            .collect();
        assert!(
            links.contains(&pj["bagPolicyURL"].as_str().expect("bag policy")),
            "{links:?}"
        );
        assert!(links.contains(&"tel:+442038799555"), "{links:?}");
        assert!(
            links.contains(&"mailto:boxoffice@live.passforge.example"),
            "{links:?}"
        );
        let several = seats.as_array().map_or(0, Vec::len) > 1;
        assert_eq!(
            modules.iter().any(|m| m["id"] == "seats"),
            several,
            "every seat is listed when there are several"
        );
    }
}

#[test]
fn semantic_boarding_pass_feeds_the_google_flight() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let issued = issue_both("semantic-boarding-pass", tmp.path());
    let rows = sample_rows("semantic-boarding-pass");
    for ((_, pj, google), row) in issued.iter().zip(&rows) {
        let sem = &pj["semantics"];
        let number: i64 = row["flightNumber"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .expect("number");
        assert_eq!(
            sem["flightNumber"], number,
            "a number, as Apple documents it"
        );
        assert_eq!(
            sem["passengerName"],
            json!({"givenName": row["givenName"], "familyName": row["familyName"]})
        );
        for (tag, column) in [
            ("departureAirportCode", "origin"),
            ("departureCityName", "originCity"),
            ("departureLocationTimeZone", "originTimeZone"),
            ("destinationAirportCode", "destination"),
            ("destinationCityName", "destinationCity"),
            ("destinationLocationTimeZone", "destinationTimeZone"),
            ("originalBoardingDate", "boarding"),
            ("originalDepartureDate", "departure"),
            ("originalArrivalDate", "arrival"),
            ("confirmationNumber", "booking"),
        ] {
            assert_eq!(sem[tag], row[column], "{tag}");
        }
        assert_eq!(sem["seats"], json!([{"seatNumber": row["seat"]}]));

        let class = &google["flightClasses"][0];
        let object = &google["flightObjects"][0];
        assert_eq!(class["flightHeader"]["carrier"]["carrierIataCode"], "FA");
        assert_eq!(class["flightHeader"]["flightNumber"], number.to_string());
        assert_eq!(class["origin"]["airportIataCode"], row["origin"]);
        assert_eq!(class["destination"]["airportIataCode"], row["destination"]);
        let local = |c: &str| row[c].as_str().map(|s| s[..19].to_owned()).expect("date");
        assert_eq!(class["localScheduledDepartureDateTime"], local("departure"));
        assert_eq!(class["localBoardingDateTime"], local("boarding"));
        assert_eq!(class["localScheduledArrivalDateTime"], local("arrival"));
        assert_eq!(
            object["passengerName"],
            format!(
                "{} {}",
                row["givenName"].as_str().unwrap_or_default(),
                row["familyName"].as_str().unwrap_or_default()
            )
        );
        assert_eq!(object["boardingAndSeatingInfo"]["seatNumber"], row["seat"]);
        assert_eq!(
            object["reservationInfo"]["confirmationCode"],
            row["booking"]
        );
    }
}

#[test]
fn poster_generic_sits_beside_generic_with_an_ean13_and_its_fallback() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let issued = issue_both("poster-generic", tmp.path());
    let rows = sample_rows("poster-generic");
    for ((_, pj, google), row) in issued.iter().zip(&rows) {
        assert!(pj.get("posterGeneric").is_some() && pj.get("generic").is_some());
        assert_eq!(pj["barcodes"][0]["format"], "PKBarcodeFormatEAN13");
        assert_eq!(pj["barcodes"][1]["format"], "PKBarcodeFormatQR");
        assert_eq!(pj["featuredActions"].as_array().map(Vec::len), Some(2));
        let object = &google["genericObjects"][0];
        assert_eq!(
            object["barcode"]["type"], "EAN_13",
            "Google draws the same symbology"
        );
        assert_eq!(object["barcode"]["value"], row["cardNumber"]);
        assert_eq!(
            object["linksModuleData"]["uris"][0]["uri"], pj["featuredActions"][0]["url"],
            "featured actions are Google links"
        );
    }
}

/// A one-row data file for a small template.
fn one_row(dir: &std::path::Path, row: &Value) -> String {
    let p = dir.join("row.json");
    std::fs::write(&p, row.to_string()).expect("write");
    p.to_str().expect("utf8").to_owned()
}

#[test]
fn interleaved_2_of_5_is_itf14_on_google_only_for_14_digits_and_odd_lengths_fail() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = tmp.path().join("itf");
    write_template(
        &t,
        &json!({"formatVersion": 1, "organizationName": "O", "description": "Carton",
            "barcodes": [
                {"format": "PKBarcodeFormatI2of5", "message": "{{ code }}", "messageEncoding": "iso-8859-1"},
                {"format": "PKBarcodeFormatCode128", "message": "{{ code }}", "messageEncoding": "iso-8859-1"}
            ],
            "generic": {"primaryFields": [{"key": "code", "label": "CODE", "value": "{{ code }}"}]}}),
        &json!({"code": {"required": true}}),
    );
    let tdir = t.to_str().expect("utf8").to_owned();
    let (mut jwts, mut passes) = (Vec::new(), Vec::new());
    for (code_value, google_type) in [("10012345000017", "ITF_14"), ("00123456", "CODE_128")] {
        let data = one_row(
            tmp.path(),
            &json!({"serialNumber": "C-1", "code": code_value}),
        );
        let o = passforge(
            &root(),
            &["google", "jwt", "--template", &tdir, "--data", &data],
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let jwt = stdout(&o).trim().to_owned();
        let claims = google_claims(&jwt);
        let b = &claims["payload"]["genericObjects"][0]["barcode"];
        assert_eq!(b["type"], google_type, "{code_value}");
        assert_eq!(b["value"], code_value);
        jwts.push(jwt);
        let out = tmp.path().join(format!("ok-{code_value}"));
        let o = issue_cli(&tdir, &data, out.to_str().expect("utf8"), &[]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        passes.extend(pkpasses_in(&out));
    }
    shared_validate_google(&jwts);
    verify_all(&passes);
    let data = one_row(tmp.path(), &json!({"serialNumber": "C-2", "code": "12345"}));
    let out = tmp.path().join("out");
    let o = issue_cli(&tdir, &data, out.to_str().expect("utf8"), &[]);
    assert_ne!(code(&o), 0);
    assert!(
        stderr(&o).contains("/barcodes/0/message") && stderr(&o).contains("even number of digits"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn each_poster_rule_fails_a_template_at_its_pointer() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let base: Value = serde_json::from_slice(
        &std::fs::read(root().join("templates/poster-event-ticket/pass.json")).expect("read"),
    )
    .expect("json");
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "venue",
            Box::new(|v| {
                drop(
                    v["semantics"]
                        .as_object_mut()
                        .map(|s| s.remove("venueName")),
                )
            }),
            "/semantics/venueName",
        ),
        (
            "region",
            Box::new(|v| v["semantics"]["venueRegionName"] = json!("")),
            "/semantics/venueRegionName",
        ),
        (
            "room",
            Box::new(|v| {
                drop(
                    v["semantics"]
                        .as_object_mut()
                        .map(|s| s.remove("venueRoom")),
                )
            }),
            "/semantics/venueRoom",
        ),
        (
            "event name",
            Box::new(|v| {
                drop(
                    v["semantics"]
                        .as_object_mut()
                        .map(|s| s.remove("eventName")),
                )
            }),
            "/semantics/eventName",
        ),
        (
            "performers",
            Box::new(|v| {
                drop(
                    v["semantics"]
                        .as_object_mut()
                        .map(|s| s.remove("performerNames")),
                )
            }),
            "/semantics/performerNames",
        ),
        (
            "sports teams",
            Box::new(|v| v["semantics"]["eventType"] = json!("PKEventTypeSports")),
            "/semantics/homeTeamAbbreviation",
        ),
        (
            "scheme for another style",
            Box::new(|v| v["preferredStyleSchemes"] = json!(["semanticBoardingPass"])),
            "/preferredStyleSchemes/0",
        ),
    ];
    for (i, (what, change, pointer)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("t{i}"));
        copy_dir(&root().join("templates/poster-event-ticket"), &dir);
        let mut pass = base.clone();
        change(&mut pass);
        std::fs::write(
            dir.join("pass.json"),
            serde_json::to_vec_pretty(&pass).expect("json"),
        )
        .expect("write");
        let o = passforge(&root(), &["validate", dir.to_str().expect("utf8")]);
        assert_eq!(code(&o), 1, "{what}: {}", stderr(&o));
        let located = format!("pass.json#{pointer}:");
        assert!(stderr(&o).contains(&located), "{what}: {}", stderr(&o));
    }
    // A seat list from a row that breaks the item schema names the row's problem.
    let data = one_row(
        tmp.path(),
        &json!({"serialNumber": "P-1", "attendee": "Ada", "doorsOpen": "2027-06-12T18:30:00+01:00",
                "eventStart": "2027-06-12T19:30:00+01:00", "eventEnd": "2027-06-12T22:30:00+01:00",
                "seats": "[{\"seatRow\": \"F\"}]"}),
    );
    let out = tmp.path().join("out");
    let o = issue_cli(
        "templates/poster-event-ticket",
        &data,
        out.to_str().expect("utf8"),
        &[],
    );
    assert_ne!(code(&o), 0);
    assert!(
        stderr(&o).contains("field `seats`: item 0: `seatSection` is required"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_upcoming_image_the_template_holds_must_match_its_digest_and_size() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("t");
    copy_dir(&root().join("templates/poster-event-ticket"), &dir);
    let o = passforge(&root(), &["validate", dir.to_str().expect("utf8")]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let image = std::fs::read(dir.join("upcoming/after-party.png")).expect("image");
    let mut pass: Value =
        serde_json::from_slice(&std::fs::read(dir.join("pass.json")).expect("read")).expect("json");
    let at = "/upcomingPassInformation/0/images/headerImage/URLs/0";
    let entry = pass.pointer_mut(at).expect("entry");
    let right = entry["SHA256"].as_str().expect("digest").to_owned();
    entry["SHA256"] = json!("0".repeat(64));
    entry["size"] = json!(image.len() + 1);
    std::fs::write(
        dir.join("pass.json"),
        serde_json::to_vec(&pass).expect("json"),
    )
    .expect("write");
    let o = passforge(&root(), &["validate", dir.to_str().expect("utf8")]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("pass.json#{at}/SHA256:")) && err.contains(&right),
        "{err}"
    );
    assert!(err.contains(&format!("pass.json#{at}/size:")), "{err}");
}
