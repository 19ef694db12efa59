//! Links beyond one pass: multi-pass links, the return to the customer's
//! app with a one-time code, and the landing page people see.

use super::*;

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

/// The path of a link's URL.
fn link_path(link: &Value) -> String {
    link["url"]
        .as_str()
        .expect("url")
        .strip_prefix("http://127.0.0.1:8080")
        .expect("public url")
        .to_owned()
}

async fn open(h: &Harness, path: &str, ua: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    h.send(Method::GET, path, Some(("user-agent", ua)), None)
        .await
}

/// Creates `n` event tickets of one order; their ids.
async fn order(h: &Harness, key: &str, n: usize, attendee: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let (status, p) = h
            .json(
                Method::POST,
                "/v1/passes",
                key,
                Some(json!({
                    "templateId": "event-ticket",
                    "serialNumber": unique(&format!("ORD{i}")),
                    "customFields": {"attendee": attendee, "seat": format!("B{i}"), "doorsOpen": "2027-06-12T19:00:00+01:00"}
                })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        ids.push(p["id"].as_str().expect("id").to_owned());
    }
    ids
}

#[tokio::test]
async fn a_multi_pass_link_hands_out_every_pass_to_each_wallet() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let ids = order(&h, &key, 4, "Family Member").await;

    // Checked at creation: each pass once, 2 to 10, every one known.
    for (body, pointer) in [
        (json!({"passIds": [ids[0]]}), "/passIds"),
        (json!({"passIds": [ids[0], ids[0]]}), "/passIds/1"),
        (json!({"passIds": [ids[0], "pas_nope"]}), "/passIds/1"),
        (
            json!({"passIds": [ids[0], ids[1]], "passId": ids[2]}),
            "/templateId",
        ),
    ] {
        let (status, p) = h.json(Method::POST, "/v1/links", &key, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert!(
            p["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["pointer"] == pointer),
            "{pointer}: {p}"
        );
    }

    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"passIds": ids, "externalId": "order-7"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["passIds"].as_array().expect("ids").len(), 4);
    let path = link_path(&link);

    // iPhone: one .pkpasses bundle holding the four passes, each valid.
    let (status, headers, bundle) = open(&h, &path, IPHONE).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpasses"
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bundle.clone())).expect("zip");
    assert_eq!(zip.len(), 4);
    let mut serials = Vec::new();
    for i in 0..zip.len() {
        let mut member = zip.by_index(i).expect("member");
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut member, &mut bytes).expect("read");
        let pj: Value =
            serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
        serials.push(pj["serialNumber"].as_str().expect("serial").to_owned());
    }
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), 4, "four different passes: {serials:?}");
    let file = write_pkpass(&h.dir, "order.pkpasses", &bundle);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // Android: one save link with the four objects (the class once).
    let (status, headers, _) = open(&h, &path, ANDROID).await;
    assert_eq!(status, StatusCode::FOUND);
    let save = headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let claims = google_claims(&save);
    let payload = claims["payload"].as_object().expect("payload");
    let objects: Vec<&Value> = payload
        .iter()
        .filter(|(k, _)| k.ends_with("Objects"))
        .flat_map(|(_, v)| v.as_array().expect("objects"))
        .collect();
    assert_eq!(objects.len(), 4, "{claims}");
    let classes: usize = payload
        .iter()
        .filter(|(k, _)| k.ends_with("Classes"))
        .map(|(_, v)| v.as_array().expect("classes").len())
        .sum();
    assert_eq!(classes, 1, "one template, one class: {claims}");
    shared_validate_google(&[save]);

    // A desktop: a page listing the four, with the QR code of the link.
    let (status, _, html) = open(&h, &path, DESKTOP).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).expect("utf-8");
    assert_eq!(
        html.matches("<section class=\"pass\">").count(),
        4,
        "{html}"
    );
    assert!(html.contains(&format!("{path}/qr.png")), "{html}");
    assert!(html.contains(&format!("{path}/picture.png?n=3")), "{html}");

    let (_, l) = h
        .json(
            Method::GET,
            &format!("/v1/links/{}", link["id"].as_str().expect("id")),
            &key,
            None,
        )
        .await;
    assert_eq!(l["status"], "issued");
    assert_eq!(
        l["passes"].as_array().expect("passes").len(),
        8,
        "each pass recorded once per wallet: {l}"
    );
}

#[tokio::test]
async fn a_long_multi_pass_save_link_names_objects_inserted_over_rest() {
    let (google, base) = FakeGoogle::start().await;
    let h = harness().await;
    let mut config = test_config(generous());
    config.google_api.enabled = true;
    config.google_api.base_url = base.clone();
    config.google_api.token_url = format!("{base}/token");
    let store = Store::connect(&h.db_url).await.expect("database");
    let state = AppState::new(store, &root().join("templates"), config);
    let key = create_key(&state.inner.store, "t", &[Scope::Write])
        .await
        .expect("key")
        .token
        .expose()
        .to_owned();
    let h2 = Harness {
        state,
        _dir: tempfile::tempdir().expect("dir"),
        dir: h.dir.clone(),
        db_url: h.db_url.clone(),
    };
    // Four passes' classes and objects in one JWT pass Google's
    // ~1,800-character budget; their references do not.
    let ids = order(&h2, &key, 4, "A Rather Long Attendee Name For The Budget").await;
    let (status, link) = h2
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"passIds": ids})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let (status, headers, _) = open(&h2, &link_path(&link), ANDROID).await;
    assert_eq!(status, StatusCode::FOUND);
    let save = headers[header::LOCATION].to_str().expect("location");
    assert!(
        save.len() <= passforge::google::MAX_SAVE_URL_CHARS,
        "{} characters",
        save.len()
    );
    let claims = google_claims(save);
    let objects: Vec<Value> = claims["payload"]
        .as_object()
        .expect("payload")
        .values()
        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(objects.len(), 4, "{claims}");
    for o in &objects {
        let id = o["id"].as_str().expect("object id");
        assert_eq!(
            o.as_object().expect("object").len(),
            2,
            "a reference (id, classId) only: {o}"
        );
        let calls = google.calls.lock().expect("lock").clone();
        assert!(
            calls
                .iter()
                .any(|c| c.0 == "POST" && c.1.ends_with("Object") && c.3["id"] == id),
            "{id} was inserted before the link named it: {calls:?}"
        );
    }
    let class_inserts = google
        .calls
        .lock()
        .expect("lock")
        .iter()
        .filter(|c| c.0 == "POST" && c.1.ends_with("Class"))
        .count();
    assert_eq!(class_inserts, 1, "the class once");
    shared_validate_google(&[save.to_owned()]);
}

#[tokio::test]
async fn a_link_returns_to_the_app_with_a_code_exchanged_once_within_ten_minutes() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (status, user) = h
        .json(
            Method::POST,
            "/v1/users",
            &key,
            Some(json!({"externalId": unique("holder")})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{user}");
    let user_id = user["id"].as_str().expect("id").to_owned();
    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"attendee": "Returning Guest", "seat": "R1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
                "userId": user_id,
                "returnUrl": "https://app.example/wallet/done?from=passforge#top",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["userId"], user_id.as_str());
    let link_id = link["id"].as_str().expect("id").to_owned();
    let path = link_path(&link);

    // On the phone the page stays, waiting for the wallet.
    let (status, _, html) = open(&h, &path, IPHONE).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(html).expect("utf-8");
    assert!(
        html.contains(&format!("content=\"3;url={path}/return\"")),
        "{html}"
    );
    let (status, _, _) = open(&h, &format!("{path}/return"), IPHONE).await;
    assert_eq!(status, StatusCode::OK, "not in a wallet yet: still waiting");

    // The holder adds the pass; the phone registers it.
    let (status, _, pkpass) = open(&h, &format!("{path}/apple"), IPHONE).await;
    assert_eq!(status, StatusCode::OK);
    let pj: Value = serde_json::from_slice(&zip_member(&pkpass, "pass.json")).expect("pass.json");
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("return-phone", pj["serialNumber"].as_str().expect("serial")),
        pj["authenticationToken"].as_str(),
        Some(json!({"pushToken": device_token(0x2E_70)})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Back to the app with a code, kept in its query beside the app's own.
    let code_of = |headers: &HeaderMap| {
        let location = headers[header::LOCATION].to_str().expect("location");
        assert!(
            location.starts_with("https://app.example/wallet/done?from=passforge&code=pfc_")
                && location.ends_with("#top"),
            "{location}"
        );
        location
            .split("code=")
            .nth(1)
            .and_then(|c| c.split('#').next())
            .expect("code")
            .to_owned()
    };
    let (status, headers, _) = open(&h, &format!("{path}/return"), IPHONE).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let code = code_of(&headers);

    // Codes are stored hashed, never as given.
    let stored = h
        .db_execute(
            "UPDATE link_codes SET created_at = created_at WHERE code_hash = $1",
            vec![DbArg::Text(code.clone())],
        )
        .await;
    assert_eq!(stored, 0, "the code itself is not stored");

    // A reader key cannot exchange; the customer's write key can, once.
    let reader = h.key(&[Scope::Read]).await;
    let exchange = |k: String, code: String| {
        let h = &h;
        let link_id = link_id.clone();
        async move {
            h.json(
                Method::POST,
                &format!("/v1/links/{link_id}/exchange"),
                &k,
                Some(json!({ "code": code })),
            )
            .await
        }
    };
    let (status, _) = exchange(reader, code.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, got) = exchange(key.clone(), code.clone()).await;
    assert_eq!(status, StatusCode::OK, "{got}");
    assert_eq!(got["linkId"], link_id.as_str());
    assert_eq!(got["passes"][0]["serialNumber"], pj["serialNumber"]);
    assert_eq!(got["connections"][0]["platform"], "apple");
    assert_eq!(
        got["connections"][0]["deviceLibraryIdentifier"],
        "return-phone"
    );
    assert_eq!(got["userToken"]["userId"], user_id.as_str());
    let token = got["userToken"]["token"].as_str().expect("token");
    let bearer = format!("Bearer {token}");
    let (status, _, mine) = h
        .send(
            Method::GET,
            "/v1/me/passes",
            Some(("authorization", &bearer)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mine: Value = serde_json::from_slice(&mine).expect("json");
    assert_eq!(mine["data"][0]["serialNumber"], pj["serialNumber"]);

    // Twice: refused.
    let (status, again) = exchange(key.clone(), code.clone()).await;
    assert_eq!(status, StatusCode::GONE, "{again}");
    assert_eq!(again["code"], "code_used");
    // Unknown, or another link's: not found.
    let (status, unknown) = exchange(key.clone(), "pfc_nope".into()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    assert_eq!(unknown["code"], "code_not_found");

    // Late: a new code, ten minutes and a second old, is refused.
    let (_, headers, _) = open(&h, &format!("{path}/return"), IPHONE).await;
    let late = code_of(&headers);
    assert_ne!(late, code, "each return mints its own code");
    let moved = h
        .db_execute(
            "UPDATE link_codes SET expires_at = $1 WHERE link_id = $2 AND used_at IS NULL",
            vec![
                DbArg::Int(chrono::Utc::now().timestamp_millis() - 1000),
                DbArg::Text(link_id.clone()),
            ],
        )
        .await;
    assert_eq!(moved, 1);
    let (status, expired) = exchange(key.clone(), late).await;
    assert_eq!(status, StatusCode::GONE, "{expired}");
    assert_eq!(expired["code"], "code_expired");

    // A link without a returnUrl has nowhere to return to.
    let ids = order(&h, &key, 1, "No Return").await;
    let (_, plain) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"passId": ids[0]})),
        )
        .await;
    let (status, _, _) = open(&h, &format!("{}/return", link_path(&plain)), IPHONE).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_landing_page_shows_the_pass_escaped_with_badges_in_the_readers_language() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let hostile = "<script>alert(1)</script>\"'&";
    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"attendee": hostile, "eventName": "Night <b>of</b> Code", "seat": "E1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let path = link_path(&link);
    let (status, headers, html) = h
        .send(
            Method::GET,
            &path,
            Some(("accept-language", "ja, fr-CH;q=0.9, en;q=0.8")),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let html = String::from_utf8(html).expect("utf-8");
    assert!(
        !html.contains("<script>") && !html.contains("<b>"),
        "{html}"
    );
    assert!(!html.contains("{{"), "placeholders are rendered: {html}");
    assert!(
        html.contains("Night &lt;b&gt;of&lt;/b&gt; Code"),
        "the description rendered for this pass: {html}"
    );
    // fr-CH takes the template's fr.lproj: the page is French.
    assert!(html.contains("<html lang=\"fr\">"), "{html}");
    assert!(
        html.contains("aria-label=\"Ajouter à Apple Wallet\"")
            && html.contains("aria-label=\"Ajouter à Google Wallet\""),
        "both badges, labelled: {html}"
    );
    assert!(
        html.contains(&format!("{path}/picture.png?n=0&amp;lang=fr")),
        "{html}"
    );
    // Without a language the template has: English.
    let (_, _, en) = h
        .send(Method::GET, &path, Some(("accept-language", "ja")), None)
        .await;
    let en = String::from_utf8(en).expect("utf-8");
    assert!(en.contains("<html lang=\"en\">") && en.contains("Add to Apple Wallet"));

    // The picture is the pass as Wallet shows it.
    #[cfg(feature = "preview")]
    {
        let (status, headers, png) = h
            .send(
                Method::GET,
                &format!("{path}/picture.png?n=0&lang=fr"),
                None,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&png));
        assert_eq!(headers[header::CONTENT_TYPE], "image/png");
        let img = image::load_from_memory(&png).expect("png");
        assert!(img.width() >= 320, "{}", img.width());
        let (status, _, _) = h
            .send(Method::GET, &format!("{path}/picture.png?n=1"), None, None)
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "a one-pass link has no second picture"
        );
    }

    // Used up, revoked, expired: their own pages.
    let (status, _, _) = open(&h, &format!("{path}/apple"), DESKTOP).await;
    assert_eq!(status, StatusCode::OK);
    // The used-up link's picture still shows (its holder may be on the
    // page, waiting to return to the app).
    #[cfg(feature = "preview")]
    {
        let (status, _, _) = h
            .send(Method::GET, &format!("{path}/picture.png?n=0"), None, None)
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, gone) = h
        .send(Method::GET, &path, Some(("accept", "text/html")), None)
        .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(String::from_utf8_lossy(&gone).contains("used up"));
}

#[tokio::test]
async fn deleting_a_user_erases_the_values_links_keep_for_them() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (_, user) = h
        .json(
            Method::POST,
            "/v1/users",
            &key,
            Some(json!({"externalId": unique("erase")})),
        )
        .await;
    let user_id = user["id"].as_str().expect("id").to_owned();
    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"attendee": "Private Person", "seat": "P1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
                "userId": user_id,
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let (status, _) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({"templateId": "event-ticket", "userId": "usr_nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = h
        .send(
            Method::DELETE,
            &format!("/v1/users/{user_id}?passes=delete"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left = h
        .db_execute(
            "UPDATE links SET status = status WHERE id = $1 AND (custom_fields IS NOT NULL OR status <> 'revoked')",
            vec![DbArg::Text(link["id"].as_str().expect("id").to_owned())],
        )
        .await;
    assert_eq!(
        left, 0,
        "the link keeps none of their values and issues nothing more"
    );
    let (status, _, _) = open(&h, &link_path(&link), IPHONE).await;
    assert_eq!(status, StatusCode::GONE);
}

#[cfg(feature = "studio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_landing_page_is_readable_labelled_and_inert() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let hostile = "<img src=x onerror=\"window.pwned=1\"><script>pwned=2</script>";
    let (status, link) = h
        .json(
            Method::POST,
            "/v1/links",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"attendee": hostile, "eventName": hostile, "seat": "W1", "doorsOpen": "2027-06-12T19:00:00+01:00"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    let path = link_path(&link);
    let (addr, server, stop) = serve_std(&h.state);
    tokio::task::spawn_blocking(move || {
        let Some(browser) = crate::browser::Browser::start("link landing page in a browser") else {
            return;
        };
        browser.goto(&format!("http://{addr}{path}"));
        browser.wait_for(
            "the pictures",
            "return [...document.images].length === 2 && [...document.images].every(i => i.complete && i.naturalWidth > 0);",
        );
        // The hostile values are text on the page, never markup that runs.
        assert_eq!(browser.eval("return window.pwned === undefined;"), true);
        let text = browser.eval("return document.body.innerText;");
        assert!(
            text.as_str().expect("text").contains("<script>pwned=2</script>"),
            "{text}"
        );
        // Both badges are links with names a screen reader says.
        let badges = browser.eval(
            "return [...document.querySelectorAll('a.badge')].map(a => a.getAttribute('aria-label') + ' ' + a.getAttribute('href'));",
        );
        let badges: Vec<String> = serde_json::from_value(badges).expect("badges");
        assert_eq!(badges.len(), 2, "{badges:?}");
        assert!(badges[0].starts_with("Add to Apple Wallet ") && badges[0].ends_with("/apple"), "{badges:?}");
        assert!(badges[1].starts_with("Add to Google Wallet ") && badges[1].ends_with("/google"), "{badges:?}");
        // Every picture says what it is.
        assert_eq!(
            browser.eval("return [...document.images].every(i => i.alt.trim().length > 0);"),
            true
        );
        // WCAG AA: every text element's colour against the page's white
        // background has a contrast ratio of at least 4.5.
        let worst = browser.eval(
            "const lum = c => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(v => { v = v / 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
             const bg = lum(getComputedStyle(document.body).backgroundColor);
             return Math.min(...[...document.querySelectorAll('h2, p')].map(e => { const f = lum(getComputedStyle(e).color); return (Math.max(f, bg) + 0.05) / (Math.min(f, bg) + 0.05); }));",
        );
        assert!(worst.as_f64().expect("ratio") >= 4.5, "contrast {worst}");
        assert_eq!(browser.eval("return document.documentElement.lang;"), "en");
    })
    .await
    .expect("browser");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}
