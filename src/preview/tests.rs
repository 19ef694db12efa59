use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::*;
use crate::google::{test_service_account, GoogleConfig, IssuerId};
use crate::issue::{Issuer, Stamp};
use crate::template::load_dir;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The first row of a template's sample.csv (none: no fields).
fn sample_row(dir: &Path) -> Map<String, Value> {
    let csv = dir.join("sample.csv");
    if !csv.exists() {
        return Map::new();
    }
    let file = std::fs::File::open(&csv).expect("sample.csv");
    let mut rows = crate::data::rows(file, crate::data::DataFormat::Csv).expect("rows");
    let mut row = rows.next().expect("a row").expect("valid row").values;
    row.remove("serialNumber");
    row
}

/// The template's rendered pass.json and mapped Google pass for its sample.
fn rendered(dir: &Path) -> (crate::template::Template, Value, Option<GooglePass>) {
    let template = load_dir(dir).expect("template");
    let identity = crate::apple::test_identity::load().expect("identity");
    let google = GoogleConfig {
        issuer_id: IssuerId::parse(test_service_account::ISSUER_ID).expect("issuer"),
        service_account: test_service_account::load().expect("account"),
        origins: Vec::new(),
        public_url: Some("https://passes.example.com".into()),
    };
    let row = sample_row(dir);
    let stamp = Stamp::new("PREVIEW-1", "0123456789abcdef0123", chrono::Utc::now()).expect("stamp");
    let issuer = Issuer::new(&template, &identity).google(Some(&google));
    let pass = issuer.render(&row, &stamp).expect("render").pass_json;
    let g = issuer
        .google_pass(&row, &stamp, &crate::template::PassOverrides::default())
        .ok();
    (template, pass, g)
}

/// The decoded RGB picture of an SVG at 2×.
fn raster(svg: &str) -> image::RgbImage {
    let png = png(svg, 2.0).expect("png");
    image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .expect("a PNG that decodes")
        .to_rgb8()
}

/// What a scanner reads in the picture's barcode box (`id="barcode"` in
/// the SVG, inside the card's margin), framed with white as a scanner
/// frames a code.
fn scan_box(svg: &str, img: &image::RgbImage) -> Option<String> {
    let at = svg.find("id=\"barcode\"")?;
    let attr = |name: &str| -> Option<f64> {
        let rest = &svg[at..];
        let i = rest.find(&format!(" {name}=\""))? + name.len() + 3;
        rest[i..].split('"').next()?.parse().ok()
    };
    let (x, y, w, h) = (attr("x")?, attr("y")?, attr("width")?, attr("height")?);
    let px = |v: f64| (v * 2.0) as u32;
    let crop =
        image::imageops::crop_imm(img, px(x + MARGIN), px(y + MARGIN), px(w), px(h)).to_image();
    let mut framed = image::RgbImage::from_pixel(
        crop.width() + 80,
        crop.height() + 80,
        image::Rgb([255, 255, 255]),
    );
    image::imageops::overlay(&mut framed, &crop, 40, 40);
    scan(&framed)
}

/// What a scanner reads in the picture.
fn scan(img: &image::RgbImage) -> Option<String> {
    let luma: Vec<u8> = img
        .pixels()
        .map(|p| {
            let [r, g, b] = p.0;
            ((u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114) / 1000) as u8
        })
        .collect();
    rxing::helpers::detect_in_luma(luma, img.width(), img.height(), None)
        .ok()
        .map(|r| r.getText().to_owned())
}

fn rgb(s: &str) -> Option<[u8; 3]> {
    let inner = s.strip_prefix("rgb(")?.strip_suffix(')')?;
    let p: Vec<u8> = inner
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect();
    (p.len() == 3).then(|| [p[0], p[1], p[2]])
}

/// Every visible field's label and value is in the SVG (as Wallet cuts
/// them: the part before an ellipsis).
fn assert_texts(svg: &str, pass: &Value, what: &str) {
    let (style, groups): (&str, &[&str]) = match poster_of(pass) {
        Some(Poster::Generic) => (
            "posterGeneric",
            &["headerFields", "primaryFields", "footerFields"],
        ),
        Some(Poster::Event) => {
            let seat = &pass["semantics"]["seats"][0];
            for text in [
                &pass["semantics"]["eventName"],
                &pass["semantics"]["venueName"],
                &seat["seatSection"],
                &seat["seatNumber"],
            ] {
                let text = text.as_str().expect("semantic text");
                let head: String = text.chars().take(6).collect();
                assert!(svg.contains(&head), "{what}: {text:?} is not in the poster");
            }
            ("eventTicket", &["headerFields"])
        }
        None => (
            style_of(pass),
            &[
                "headerFields",
                "primaryFields",
                "secondaryFields",
                "auxiliaryFields",
            ],
        ),
    };
    for &group in groups {
        for f in fields(pass, style, group, None) {
            for text in [&f.label, &f.value] {
                let escaped = text
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                let head: String = escaped.chars().take(6).collect();
                assert!(
                    svg.contains(&escaped) || svg.contains(&head),
                    "{what}: {group} text {text:?} is not in the picture"
                );
            }
        }
    }
}

fn check_front(dir: &Path, what: &str) {
    let (template, pass, google) = rendered(dir);
    let images = Images::of(&template);
    let p = preview(&pass, &images, None, google.as_ref());
    assert_texts(&p.front, &pass, what);
    let img = raster(&p.front);
    assert!(img.width() >= 2 * CARD_WIDTH as u32, "{what}: a 2x picture");
    // The barcode scans to the pass's message.
    if let Some(b) = first_barcode(&pass) {
        let message = b["message"].as_str().expect("message");
        assert_eq!(
            scan_box(&p.front, &img).as_deref(),
            Some(message),
            "{what}: the barcode scans"
        );
    }
    // The background color fills the card (outside any background image),
    // left of the fields, below the header.
    let poster = poster_of(&pass);
    let has_background_image =
        poster.is_none() && style_of(&pass) == "eventTicket" && images.get("background").is_some();
    // A poster's bottom is its footer colour.
    let bottom = match poster {
        Some(_) => pass
            .get("footerBackgroundColor")
            .or_else(|| pass.get("backgroundColor")),
        None => pass.get("backgroundColor"),
    };
    if let Some(bg) = bottom.and_then(Value::as_str).and_then(rgb) {
        // The card's height: the first rectangle of the picture.
        let card_h: f64 = p
            .front
            .split("height=\"")
            .nth(2)
            .and_then(|h| h.split('"').next())
            .and_then(|h| h.parse().ok())
            .expect("the card's height");
        let px = img
            .get_pixel(
                ((MARGIN + 3.0) * 2.0) as u32,
                ((MARGIN + card_h - 5.0) * 2.0) as u32,
            )
            .0;
        if has_background_image {
            assert_ne!(px, [255, 255, 255], "{what}: the background image shows");
        } else {
            let close = px.iter().zip(bg).all(|(a, b)| a.abs_diff(b) <= 3);
            assert!(close, "{what}: background {px:?}, expected {bg:?}");
        }
    }
    // The back lists the back fields.
    for f in fields(&pass, style_of(&pass), "backFields", None) {
        let head: String = f.label.chars().take(6).collect();
        assert!(p.back.contains(&head), "{what}: back label {:?}", f.label);
    }
    raster(&p.back);
    // The Google card of the same row scans too.
    if let (Some(g), Some(svg)) = (google, p.google) {
        let img = raster(&svg);
        if let Some(value) = g.object["barcode"]["value"].as_str() {
            assert_eq!(
                scan_box(&svg, &img).as_deref(),
                Some(value),
                "{what}: the Google card's barcode"
            );
        }
    }
}

#[test]
fn every_example_template_is_drawn_with_a_barcode_that_scans() {
    for t in [
        "boarding-pass",
        "coupon",
        "event-ticket",
        "generic",
        "store-card",
        "poster-event-ticket",
        "semantic-boarding-pass",
        "poster-generic",
    ] {
        check_front(&root().join("templates").join(t), t);
    }
    // The posters are drawn as posters: their artwork, sharp.
    for t in ["poster-event-ticket", "poster-generic"] {
        let (template, pass, _) = rendered(&root().join("templates").join(t));
        assert!(poster_of(&pass).is_some(), "{t}");
        let svg = front(&pass, &Images::of(&template), None);
        assert!(
            svg.contains("clipPath id=\"poster"),
            "{t}: the artwork is drawn"
        );
    }
}

#[test]
fn apples_sample_passes_are_drawn_with_a_barcode_that_scans() {
    let samples = root().join("../shared/fixtures/apple-samples");
    let Ok(entries) = std::fs::read_dir(&samples) else {
        assert!(
            std::env::var_os("PASSFORGE_REQUIRE_SHARED").is_none(),
            "../shared is required"
        );
        eprintln!("not run: ../shared/fixtures/apple-samples is missing");
        return;
    };
    let mut n = 0;
    for e in entries {
        let path = e.expect("entry").path();
        if path.extension().is_some_and(|x| x == "pass") {
            check_front(&path, &path.display().to_string());
            n += 1;
        }
    }
    assert!(n >= 5, "{n} samples");
}

#[test]
fn every_barcode_format_scans_in_the_picture() {
    for (format, message) in [
        ("PKBarcodeFormatQR", "QR-0001"),
        (
            "PKBarcodeFormatPDF417",
            "M1LOVELACE/ADA EABC123 LHRJFKBA 0117 163Y012A0001 100",
        ),
        ("PKBarcodeFormatAztec", "AZTEC-42"),
        ("PKBarcodeFormatCode128", "CODE128-7"),
        ("PKBarcodeFormatEAN13", "4006381333931"),
        ("PKBarcodeFormatCode39", "PF-2027"),
        ("PKBarcodeFormatCodabar", "12-34$"),
        ("PKBarcodeFormatI2of5", "00123456"),
    ] {
        let pass = serde_json::json!({
            "organizationName": "O", "description": "D", "backgroundColor": "rgb(20, 40, 60)",
            "generic": {"primaryFields": [{"key": "a", "label": "NAME", "value": "Ada"}]},
            "barcodes": [{"format": format, "message": message, "messageEncoding": "iso-8859-1", "altText": message}]
        });
        let svg = front(&pass, &Images::default(), None);
        assert_eq!(
            scan_box(&svg, &raster(&svg)).as_deref(),
            Some(message),
            "{format}"
        );
    }
}

#[test]
fn labels_and_values_are_localized_formatted_escaped_and_cut_as_wallet_does() {
    let pass = serde_json::json!({
        "organizationName": "O", "description": "D", "logoText": "<Club & Co>",
        "generic": {
            "primaryFields": [{"key": "n", "label": "member_label", "value": "Ada"}],
            "secondaryFields": [
                {"key": "d", "label": "DATE", "value": "2027-06-12T19:00:00+01:00", "dateStyle": "PKDateStyleMedium"},
                {"key": "p", "label": "PRICE", "value": 15, "currencyCode": "EUR"}
            ],
            "auxiliaryFields": [
                {"key": "l", "label": "LONG", "value": "a value far too long to fit a third of a row"},
                {"key": "x", "label": "X", "value": "x"},
                {"key": "y", "label": "Y", "value": "y"}
            ]
        }
    });
    let strings: StringsTable = vec![("member_label".into(), "MEMBRE".into())];
    let svg = front(
        &pass,
        &Images::default(),
        Some(Lang {
            code: "en",
            strings: &strings,
        }),
    );
    assert!(svg.contains(">MEMBRE<"), "localized label");
    assert!(svg.contains(">Jun 12, 2027<"), "a medium date");
    assert!(svg.contains(">€15.00<"), "an amount in its currency");
    assert!(svg.contains("&lt;Club &amp; Co&gt;"), "escaped");
    assert!(svg.contains("…<"), "cut off with an ellipsis");
    assert!(!svg.contains("far too long to fit a third of a row<"));
}

#[test]
fn any_text_makes_a_picture_even_characters_xml_cannot_hold() {
    let pass = serde_json::json!({
        "organizationName": "O\u{0}", "description": "D", "logoText": "bell\u{7}\u{1b}[0m",
        "generic": {"primaryFields": [{"key": "n", "label": "N\u{ffff}", "value": "A\u{1}da"}]}
    });
    let svg = front(&pass, &Images::default(), None);
    assert!(
        svg.contains(">Ada<"),
        "the value without its control character"
    );
    assert!(svg.contains(">bell[0m<"), "{svg}");
    png(&svg, 1.0).expect("a PNG: the SVG is well-formed XML");
}
