//! Distribution links: each wallet, the landing page, the lifecycle.

use super::*;

// ---- links ----

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

async fn open_link(h: &Harness, path: &str, ua: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    h.send(Method::GET, path, Some(("user-agent", ua)), None)
        .await
}

#[tokio::test]
async fn links_serve_each_wallet_and_walk_their_lifecycle() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (receiver, hook_url, _stop_receiver) = Receiver::start().await;
    let (server, stop) = serve(&h.state);
    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"attendee": "Link Guest", "seat": "L1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
                "maxClaims": 2,
                "webhookUrl": hook_url,
                "externalId": "order-42"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["status"], "pending");
    let link_id = link["id"].as_str().expect("id").to_owned();
    let secret = link["webhookSecret"].as_str().expect("secret").to_owned();
    let url = link["url"].as_str().expect("url").to_owned();
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .expect("public url")
        .to_owned();
    let (status, bad) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"templateId": "event-ticket", "customFields": {"seat": "nope"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");

    // A desktop browser: a landing page with both links and a QR code of the URL.
    let (status, page_headers, html) = open_link(&h, &path, DESKTOP).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page_headers[header::REFERRER_POLICY], "no-referrer");
    assert_eq!(page_headers[header::CACHE_CONTROL], "no-store");
    assert!(page_headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp")
        .starts_with("default-src 'none'"));
    let html = String::from_utf8(html).expect("utf-8");
    assert!(
        html.contains(&format!("{path}/apple")) && html.contains(&format!("{path}/google")),
        "{html}"
    );
    assert!(html.contains("Passforge Live"), "the organization: {html}");
    let (status, headers, png) = h
        .send(Method::GET, &format!("{path}/qr.png"), None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    let img = image::load_from_memory(&png).expect("png").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1);
    let (_, content) = grids[0].decode().expect("decodes");
    assert_eq!(content, url, "the QR code is the link");
    let (_, l) = h
        .json(Method::GET, &format!("/v1/links/{link_id}"), &key, None)
        .await;
    assert_eq!(l["status"], "opened");

    // An iPhone gets the pass.
    let (status, headers, pkpass) = open_link(&h, &path, IPHONE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpass"
    );
    let file = write_pkpass(&h.dir, "link.pkpass", &pkpass);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let pj: Value = serde_json::from_slice(&zip_member(&pkpass, "pass.json")).expect("pass.json");
    let (_, l) = h
        .json(Method::GET, &format!("/v1/links/{link_id}"), &key, None)
        .await;
    assert_eq!(l["status"], "issued");
    assert_eq!(l["passes"][0]["platform"], "apple");
    assert_eq!(l["passes"][0]["serialNumber"], pj["serialNumber"]);

    // An Android phone is sent to Google with its own pass; then the link is used up.
    let (status, headers, _) = open_link(&h, &path, ANDROID).await;
    assert_eq!(status, StatusCode::FOUND);
    let save = headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(save.starts_with("https://pay.google.com/gp/v/save/"));
    shared_validate_google(&[save]);
    let (status, _, page) = open_link(&h, &path, IPHONE).await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "{}",
        String::from_utf8_lossy(&page)
    );

    // The phone registers the pass: completed, and link.completed arrives signed.
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("link-phone", pj["serialNumber"].as_str().expect("serial")),
        pj["authenticationToken"].as_str(),
        Some(json!({"pushToken": device_token(0x11_4C)})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, l) = h
        .json(Method::GET, &format!("/v1/links/{link_id}"), &key, None)
        .await;
    assert_eq!(l["status"], "completed");
    let got = receiver.wait(1, &|v| v["type"] == "link.completed").await;
    let body = &got[0].1;
    assert_eq!(body["event"], "link.completed");
    assert_eq!(body["linkId"], link_id.as_str());
    assert_eq!(body["status"], "completed");
    assert_eq!(body["result"]["platform"], "apple");
    assert_eq!(body["result"]["serialNumber"], pj["serialNumber"]);
    let raw = receiver.got.lock().expect("lock").clone();
    let (headers, bytes) = raw
        .iter()
        .find(|(_, b)| String::from_utf8_lossy(b).contains("link.completed"))
        .expect("delivery");
    assert_signed(headers, bytes, &secret);
    // Deliveries run concurrently: the earlier events may land after this one.
    receiver.wait(1, &|v| v["type"] == "link.opened").await;
    receiver.wait(1, &|v| v["type"] == "link.issued").await;
    let kinds: Vec<String> = receiver
        .events(&|_| true)
        .iter()
        .map(|(_, v)| v["type"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        kinds.contains(&"link.opened".to_owned()) && kinds.contains(&"link.issued".to_owned()),
        "{kinds:?}"
    );

    // Expired and revoked links are 410; unknown codes 404.
    for end in ["expire", "revoke"] {
        let (_, l2) = h
            .json(
                Method::POST,
                "/v1/links",
                &key,
                Some(json!({"passId": l["passes"][0]["passId"]})),
            )
            .await;
        let id2 = l2["id"].as_str().expect("id").to_owned();
        let p2 = l2["url"]
            .as_str()
            .expect("url")
            .strip_prefix("http://127.0.0.1:8080")
            .expect("path")
            .to_owned();
        let (status, _, _) = open_link(&h, &p2, IPHONE).await;
        assert_eq!(status, StatusCode::OK, "a pass link hands out its pass");
        if end == "expire" {
            let past = chrono::Utc::now().timestamp_millis() - 1000;
            let expired = h
                .db_execute(
                    "UPDATE links SET expires_at = $1 WHERE id = $2",
                    vec![DbArg::Int(past), DbArg::Text(id2.clone())],
                )
                .await;
            assert_eq!(expired, 1);
        } else {
            let (status, _) = h
                .json(Method::POST, &format!("/v1/links/{id2}/revoke"), &key, None)
                .await;
            assert_eq!(status, StatusCode::OK);
        }
        let (status, _, _) = open_link(&h, &p2, IPHONE).await;
        assert_eq!(status, StatusCode::GONE, "{end}");
        let (_, l2) = h
            .json(Method::GET, &format!("/v1/links/{id2}"), &key, None)
            .await;
        assert_eq!(
            l2["status"],
            if end == "expire" {
                "expired"
            } else {
                "revoked"
            }
        );
    }
    let (status, _, _) = open_link(&h, "/l/no-such-code", IPHONE).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_pass_link_sends_link_issued_once_however_often_it_is_opened() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&unique("LI"), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"passId": pass["id"], "maxClaims": 10})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let id = link["id"].as_str().expect("id").to_owned();
    let path = link["url"]
        .as_str()
        .expect("url")
        .strip_prefix("http://127.0.0.1:8080")
        .expect("path")
        .to_owned();
    let ipad = IPHONE.replace("iPhone", "iPad");
    let mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
    for (uri, ua) in [
        (path.clone(), IPHONE),
        (path.clone(), ipad.as_str()),
        (path.clone(), mac),
        (path.clone(), ANDROID),
        (format!("{path}/google"), DESKTOP),
        (format!("{path}/apple"), DESKTOP),
    ] {
        let (status, _, _) = open_link(&h, &uri, ua).await;
        assert!(
            status == StatusCode::OK || status == StatusCode::FOUND,
            "{uri} ({ua}): {status}"
        );
    }
    // Events are written with the request that causes them: counted in the
    // database, no delivery to wait for.
    let count = |ty: &'static str| {
        let id = id.clone();
        let h = &h;
        async move {
            let pool = sqlx::AnyPool::connect(&h.db_url).await.expect("database");
            let n: i64 = sqlx::Row::get(
                &sqlx::query("SELECT COUNT(*) AS n FROM events WHERE type = $1 AND data LIKE $2")
                    .bind(ty)
                    .bind(format!("%\"{id}\"%"))
                    .fetch_one(&pool)
                    .await
                    .expect("count"),
                "n",
            );
            pool.close().await;
            n
        }
    };
    assert_eq!(
        count("link.opened").await,
        1,
        "opened once: pending → opened"
    );
    assert_eq!(
        count("link.issued").await,
        1,
        "one pass handed out: one link.issued"
    );
    let (_, l) = h
        .json(Method::GET, &format!("/v1/links/{id}"), &key, None)
        .await;
    assert_eq!(l["status"], "issued", "{l}");
}

#[tokio::test]
async fn unknown_and_gone_links_answer_html_to_browsers_and_problems_otherwise() {
    let h = harness().await;
    let (status, headers, body) = h
        .send(
            Method::GET,
            "/l/no-such-code",
            Some(("accept", "text/html,application/xhtml+xml")),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("does not exist"));
    for uri in [
        "/l/no-such-code",
        "/l/no-such-code/apple",
        "/l/no-such-code/qr.png",
    ] {
        let (status, headers, body) = h.send(Method::GET, uri, None, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{uri}"
        );
        let p: Value = serde_json::from_slice(&body).expect("problem");
        assert_eq!(p["code"], "link_not_found", "{uri}");
    }
}

#[tokio::test]
async fn a_return_url_is_https_or_local_http_and_nothing_else() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let link = |return_url: &str| {
        json!({"templateId": "event-ticket", "customFields": {
            "attendee": "Ada Lovelace", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
            "returnUrl": return_url})
    };
    for bad in [
        "javascript:alert(3)",
        "http://example.com/done",
        "data:text/html,x",
    ] {
        let (status, e) = h
            .json(Method::POST, "/v1/links", &key, Some(link(bad)))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {e}");
        assert!(
            e["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|p| p["pointer"] == "/returnUrl"),
            "{bad}: {e}"
        );
    }
    for good in ["https://app.example.com/done", "http://localhost:3000/done"] {
        let (status, l) = h
            .json(Method::POST, "/v1/links", &key, Some(link(good)))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{good}: {l}");
        assert_eq!(l["returnUrl"], good);
    }
}

#[tokio::test]
async fn the_landing_page_shows_the_description_rendered_and_escaped() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (status, l) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"templateId": "event-ticket", "customFields": {
                "attendee": "Ada", "seat": "A1", "doorsOpen": "2027-06-12T19:00:00+01:00",
                "eventName": "<script>alert(1)</script> & Friends"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{l}");
    let url = l["url"].as_str().expect("url");
    let path = &url[url.find("/l/").expect("path")..];
    let (status, _, html) = open_link(&h, path, DESKTOP).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).expect("utf-8");
    assert!(!html.contains("{{"), "placeholders are rendered: {html}");
    assert!(
        html.contains("Ticket for &lt;script&gt;alert(1)&lt;/script&gt; &amp; Friends"),
        "the description for this pass, escaped: {html}"
    );
    assert!(!html.contains("<script>"), "{html}");
}
