//! Pictures over HTTP: `GET /v1/templates/{id}/preview.png` and
//! `GET /v1/passes/{id}/preview.png` draw what Wallet shows (the barcode
//! scans to the pass's serial), honour side, lang, scale and fields, name
//! each bad parameter, and answer 304 to a client holding the same picture.

use super::*;

/// `s` percent-encoded for a query string.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// What a scanner reads anywhere in a PNG.
fn scan(png: &[u8]) -> Option<String> {
    let img = image::load_from_memory(png).expect("a PNG").to_luma8();
    let (w, h) = img.dimensions();
    rxing::helpers::detect_in_luma(img.into_raw(), w, h, None)
        .ok()
        .map(|r| r.getText().to_owned())
}

/// GET `uri` with `key` (and `If-None-Match` when given).
async fn picture(
    h: &Harness,
    uri: &str,
    key: &str,
    etag: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder().uri(uri).header("x-api-key", key);
    if let Some(tag) = etag {
        req = req.header(header::IF_NONE_MATCH, tag);
    }
    let res = router(h.state.clone())
        .oneshot(req.body(HttpBody::empty()).expect("request"))
        .await
        .expect("answer");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (status, headers, bytes.to_vec())
}

fn width(png: &[u8]) -> u32 {
    image::load_from_memory(png).expect("a PNG").width()
}

#[tokio::test]
async fn a_template_is_drawn_with_its_sample_or_given_values() {
    let h = harness().await;
    let key = h.key(&[Scope::Read]).await;
    let base = "/v1/templates/event-ticket/preview.png";

    // Default: the front at 2x, from the first row of sample.csv, whose
    // serial the QR code carries.
    let (status, headers, sample) = picture(&h, base, &key, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&sample)
    );
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(headers[header::CACHE_CONTROL]
        .to_str()
        .expect("text")
        .contains("max-age"));
    assert_eq!(width(&sample), 680, "2x a 340 pt picture");
    assert_eq!(
        scan(&sample).as_deref(),
        Some("TICKET-0001"),
        "the QR code scans to the sample row's serial"
    );
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();

    // The same picture again: 304, no body.
    let (status, again, body) = picture(&h, base, &key, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(again[header::ETAG].to_str().expect("etag"), etag);
    assert!(body.is_empty());

    // Every parameter changes the picture and its ETag.
    let fields = encode(
        r#"{"attendee":"Grace Hopper","seat":"B7","doorsOpen":"2027-06-12T19:00:00+01:00"}"#,
    );
    let mut tags = vec![etag.clone()];
    for query in [
        format!("?fields={fields}"),
        "?side=back".to_owned(),
        "?side=google".to_owned(),
        "?lang=fr".to_owned(),
        "?scale=1".to_owned(),
    ] {
        let (status, headers, png) =
            picture(&h, &format!("{base}{query}"), &key, Some(&etag)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{query}: {}",
            String::from_utf8_lossy(&png)
        );
        assert_ne!(png, sample, "{query} draws another picture");
        let tag = headers[header::ETAG].to_str().expect("etag").to_owned();
        assert!(!tags.contains(&tag), "{query}: an ETag of its own");
        tags.push(tag);
        if query == "?scale=1" {
            assert_eq!(width(&png), 340, "1x");
        }
    }

    // Bad parameters: each named.
    for (query, status, pointer) in [
        ("?lang=xx", StatusCode::UNPROCESSABLE_ENTITY, "lang"),
        ("?scale=0", StatusCode::UNPROCESSABLE_ENTITY, "scale"),
        (
            "?fields=%7Bnope",
            StatusCode::UNPROCESSABLE_ENTITY,
            "fields",
        ),
        (
            "?fields=%5B1%5D",
            StatusCode::UNPROCESSABLE_ENTITY,
            "fields",
        ),
        (
            "?fields=%7B%22doorsOpen%22%3A%22soon%22%7D",
            StatusCode::UNPROCESSABLE_ENTITY,
            "fields/doorsOpen",
        ),
        (
            "?fields=%7B%22serialNumber%22%3A%22..%2Fx%22%7D",
            StatusCode::UNPROCESSABLE_ENTITY,
            "fields/serialNumber",
        ),
        ("?side=sideways", StatusCode::BAD_REQUEST, ""),
        ("?colour=red", StatusCode::BAD_REQUEST, ""),
    ] {
        let (got, problem) = h
            .json(Method::GET, &format!("{base}{query}"), &key, None)
            .await;
        assert_eq!(got, status, "{query}: {problem}");
        if !pointer.is_empty() {
            assert!(
                problem["errors"]
                    .as_array()
                    .expect("errors")
                    .iter()
                    .any(|e| e["pointer"] == pointer),
                "{query}: {problem}"
            );
        }
    }
    if let Some(lang) = h
        .json(Method::GET, &format!("{base}?lang=xx"), &key, None)
        .await
        .1["errors"][0]["detail"]
        .as_str()
    {
        assert!(lang.contains("it has: en, fr"), "{lang}");
    }
    let (status, _) = h
        .json(Method::GET, "/v1/templates/nope/preview.png", &key, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = h.send(Method::GET, base, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a credential is needed");
}

#[tokio::test]
async fn a_pass_is_drawn_as_its_current_version() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let serial = unique("PIC");
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    let id = pass["id"].as_str().expect("id").to_owned();
    let url = format!("/v1/passes/{id}/preview.png");

    let (status, headers, front) = picture(&h, &url, &key, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&front)
    );
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(
        scan(&front).as_deref(),
        Some(serial.as_str()),
        "its barcode scans to its serial"
    );
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();
    let (status, _, _) = picture(&h, &url, &key, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let (status, _, back) = picture(&h, &format!("{url}?side=back&scale=1"), &key, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(width(&back), 340);

    // A new version: a new picture, and the old ETag no longer matches.
    let (status, updated) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "B7"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (status, headers, changed) = picture(&h, &url, &key, Some(&etag)).await;
    assert_eq!(status, StatusCode::OK, "the old ETag is stale");
    assert_ne!(headers[header::ETAG].to_str().expect("etag"), etag);
    assert_ne!(changed, front, "the new seat is drawn");

    let (status, problem) = h
        .json(Method::GET, &format!("{url}?lang=xx"), &key, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = h
        .json(Method::GET, "/v1/passes/nope/preview.png", &key, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
