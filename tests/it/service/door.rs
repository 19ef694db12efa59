//! At the door: scans, redemptions (exactly once under concurrency, on
//! both backends and across two instances), counter adjustments within
//! their bounds, the `scan` scope, the history and the metrics.

use super::*;

/// One request through a clone of `state` (for concurrent callers).
async fn call(
    state: AppState,
    uri: String,
    key: String,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(&uri)
        .header("x-api-key", key);
    let req = match body {
        Some(b) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(HttpBody::from(b.to_string())),
        None => {
            req = req.header(header::CONTENT_LENGTH, "0");
            req.body(HttpBody::empty())
        }
    }
    .expect("request");
    let res = router(state).oneshot(req).await.expect("answer");
    let status = res.status();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn new_ticket(h: &Harness, key: &str) -> (String, String) {
    let serial = unique("DOOR");
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            key,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    (p["id"].as_str().expect("id").to_owned(), serial)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_scanners_redeem_a_single_use_ticket_and_exactly_one_gets_in() {
    for sqlite in backends() {
        let h = harness_on(None, generous(), sqlite).await;
        let key = h.key(&[Scope::Scan]).await;
        let writer = h.key(&[Scope::Write]).await;
        let (id, _) = new_ticket(&h, &writer).await;
        let mut set = tokio::task::JoinSet::new();
        for n in 0..20 {
            set.spawn(call(
                h.state.clone(),
                format!("/v1/passes/{id}/redeem"),
                key.clone(),
                Some(json!({"gate": format!("Scanner {n}")})),
            ));
        }
        let mut ok = Vec::new();
        let mut refused = Vec::new();
        while let Some(r) = set.join_next().await {
            let (status, v) = r.expect("task");
            match status {
                StatusCode::OK => ok.push(v),
                StatusCode::CONFLICT => refused.push(v),
                other => panic!("{other}: {v}"),
            }
        }
        assert_eq!(ok.len(), 1, "exactly one use (sqlite: {sqlite})");
        assert_eq!(refused.len(), 19);
        let first = &ok[0]["redemption"];
        let first_at = first["at"].as_str().expect("at");
        for r in &refused {
            assert_eq!(r["code"], "already_used", "{r}");
            let detail = r["detail"].as_str().expect("detail");
            assert!(
                detail.contains(first_at) && detail.contains(first["gate"].as_str().expect("gate")),
                "{detail} names the first use ({first_at})"
            );
        }
        assert_eq!(ok[0]["pass"]["version"], 2, "one new version");

        // The history: one redemption, 19 refusals, by whom and where.
        let (status, list) = h
            .json(
                Method::GET,
                &format!("/v1/passes/{id}/redemptions?limit=100"),
                &writer,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let rows = list["data"].as_array().expect("data");
        assert_eq!(rows.len(), 20);
        assert_eq!(rows.iter().filter(|r| r["outcome"] == "ok").count(), 1);
        assert!(rows
            .iter()
            .all(|r| r["kind"] == "redeem" && r["gate"].is_string()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_redeem_once() {
    let Ok(url) = std::env::var("PASSFORGE_TEST_DATABASE_URL") else {
        eprintln!(
            "NOTE: two-instance redemption test NOT run: PASSFORGE_TEST_DATABASE_URL is not set"
        );
        return;
    };
    if url.is_empty() {
        return;
    }
    let h = harness_on(None, generous(), false).await;
    let other = instance(&h.db_url).await;
    let key = h.key(&[Scope::Scan]).await;
    let (id, _) = new_ticket(&h, &h.key(&[Scope::Write]).await).await;
    let mut set = tokio::task::JoinSet::new();
    for n in 0..10 {
        for state in [h.state.clone(), other.clone()] {
            set.spawn(call(
                state,
                format!("/v1/passes/{id}/redeem"),
                key.clone(),
                Some(json!({"gate": format!("G{n}")})),
            ));
        }
    }
    let mut statuses = Vec::new();
    while let Some(r) = set.join_next().await {
        statuses.push(r.expect("task").0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1);
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        19
    );
}

#[tokio::test]
async fn a_scan_finds_the_pass_by_its_barcode_and_shows_only_the_door_fields() {
    let h = harness().await;
    let scan = h.key(&[Scope::Scan]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (id, serial) = new_ticket(&h, &writer).await;

    let (status, a) = h
        .json(
            Method::POST,
            "/v1/scans",
            &scan,
            Some(json!({"message": serial, "gate": "North door"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["canUse"], true, "{a}");
    assert_eq!(a["pass"]["id"], id.as_str());
    assert_eq!(
        a["holder"],
        json!({"attendee": "Ada Lovelace", "seat": "A1", "section": "GA"}),
        "only the fields marked showAtScan"
    );
    assert_eq!(
        a["uses"],
        json!({"used": 0, "limit": 1, "remaining": 1, "per": null})
    );

    // Scan and redeem in one step, then again: red, with when and where.
    let (_, a) = h
        .json(
            Method::POST,
            "/v1/scans",
            &scan,
            Some(json!({"message": serial, "gate": "North door", "redeem": true})),
        )
        .await;
    assert_eq!(
        (a["canUse"].clone(), a["redeemed"].clone()),
        (json!(true), json!(true)),
        "{a}"
    );
    let (_, again) = h
        .json(
            Method::POST,
            "/v1/scans",
            &scan,
            Some(json!({"message": serial, "redeem": true})),
        )
        .await;
    assert_eq!(again["canUse"], false, "{again}");
    assert_eq!(again["reason"], "already_used");
    assert!(again["message"]
        .as_str()
        .expect("message")
        .contains("North door"));
    assert_eq!(again["lastUse"]["gate"], "North door");
    assert_eq!(again["pass"]["version"], 2);

    // A gate for other templates, and a barcode of no pass.
    let (_, wrong) = h
        .json(
            Method::POST,
            "/v1/scans",
            &scan,
            Some(json!({"message": serial, "templateIds": ["coupon"]})),
        )
        .await;
    assert_eq!(wrong["reason"], "wrong_template", "{wrong}");
    let (status, none) = h
        .json(
            Method::POST,
            "/v1/scans",
            &scan,
            Some(json!({"message": "NO-SUCH-PASS-0000"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(none["code"], "unknown_barcode");

    // Counted in /metrics.
    let (_, _, m) = h.send(Method::GET, "/metrics", None, None).await;
    let m = String::from_utf8_lossy(&m);
    for line in [
        "passforge_pass_uses_total{kind=\"scan\",outcome=\"ok\"}",
        "passforge_pass_uses_total{kind=\"redeem\",outcome=\"ok\"} 1",
        "passforge_pass_uses_total{kind=\"redeem\",outcome=\"already_used\"} 1",
        "passforge_pass_uses_total{kind=\"scan\",outcome=\"unknown_barcode\"} 1",
    ] {
        assert!(m.contains(line), "{line} in\n{m}");
    }
}

#[tokio::test]
async fn the_scan_scope_reaches_the_door_and_nothing_else() {
    let h = harness().await;
    let scan = h.key(&[Scope::Scan]).await;
    let read = h.key(&[Scope::Read]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (id, serial) = new_ticket(&h, &writer).await;
    for (method, uri, body) in [
        (Method::GET, "/v1/passes".to_owned(), None),
        (Method::GET, format!("/v1/passes/{id}"), None),
        (
            Method::POST,
            "/v1/passes".to_owned(),
            Some(ticket(&unique("X"), "u")),
        ),
        (Method::GET, format!("/v1/passes/{id}/redemptions"), None),
    ] {
        let (status, v) = h.json(method, &uri, &scan, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {v}");
    }
    let (status, _) = h
        .json(
            Method::POST,
            "/v1/scans",
            &read,
            Some(json!({"message": serial})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "read does not include scan");
    let (status, v) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/redeem"),
            &writer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "write includes scan: {v}");
}

/// A copy of the example templates with a gift card: a balance in cents.
fn gift_card_templates(dir: &Path) -> PathBuf {
    let templates = dir.join("templates");
    copy_dir(&root().join("templates"), &templates);
    let card = templates.join("store-card");
    let path = card.join("template.json");
    let mut t: Value =
        serde_json::from_slice(&std::fs::read(&path).expect("template.json")).expect("json");
    t["fields"]["balance"] =
        json!({"type": "integer", "default": 0, "counter": {"currency": "EUR"}});
    std::fs::write(&path, t.to_string()).expect("write");
    templates
}

#[tokio::test]
async fn points_and_balances_change_within_their_bounds_as_new_versions() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let templates = gift_card_templates(tmp.path());
    let h = harness_with(Some(&templates), generous()).await;
    let scan = h.key(&[Scope::Scan]).await;
    let writer = h.key(&[Scope::Write]).await;
    let member = format!("{:08}", rand_digits());
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &writer,
            Some(json!({"templateId": "store-card", "customFields": {
                "memberName": "Ada Lovelace", "memberId": member, "points": 120, "balance": 500}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{p}");
    let id = p["id"].as_str().expect("id");

    let (status, a) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/adjust"),
            &scan,
            Some(json!({"points": 10, "gate": "Till 2"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{a}");
    assert_eq!(a["pass"]["customFields"]["points"], 130);
    assert_eq!(a["pass"]["version"], 2);
    assert_eq!(a["redemption"]["changes"], json!({"points": 10}));
    assert_eq!(a["redemption"]["gate"], "Till 2");

    // The new version carries the new value with its change message, and verifies.
    let (status, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &writer)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    let points = &pj["storeCard"]["primaryFields"][0];
    assert_eq!(points["value"], 130);
    assert_eq!(points["changeMessage"], "You now have %@ points");
    let file = write_pkpass(&h.dir, "adjusted", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // Never below zero: 422 naming the current balance; nothing changes.
    let (status, e) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/adjust"),
            &scan,
            Some(json!({"balance": -1250, "points": -5})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let problems = e["errors"].as_array().expect("errors");
    assert_eq!(problems.len(), 1, "{e}");
    assert_eq!(problems[0]["pointer"], "/balance");
    let detail = problems[0]["detail"].as_str().expect("detail");
    assert!(
        detail.contains("balance is 500 in minor units of EUR") && detail.contains("minimum 0"),
        "{detail}"
    );

    // Not a counter, not whole units: located, with the fix.
    let (status, e) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/adjust"),
            &scan,
            Some(json!({"balance": -12.5, "tier": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let text = e["errors"].to_string();
    assert!(
        text.contains("/balance") && text.contains("-1250"),
        "{text}"
    );
    assert!(
        text.contains("/tier") && text.contains("its counters: balance, points"),
        "{text}"
    );

    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &writer, None)
        .await;
    assert_eq!(p["version"], 2, "refused adjustments change nothing");
    assert_eq!(p["customFields"]["balance"], 500);

    // A pass of a template without a redemption rule is not redeemed.
    let (status, e) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/redeem"),
            &scan,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(e["code"], "not_redeemable");
}

fn rand_digits() -> u32 {
    let n = unique("n");
    n.bytes()
        .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)))
        % 100_000_000
}

#[tokio::test]
async fn a_redemption_is_pushed_to_the_device_and_sent_to_webhooks() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let (receiver, url, stop_receiver) = Receiver::start().await;
    let admin = h.key(&[Scope::Admin]).await;
    let (_, secret) = subscribe(&h, &admin, &url, &["pass.redeemed"]).await;
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let push_token = device_token(0xD00);
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("door-device", &serial),
        Some(&token),
        Some(json!({"pushToken": push_token})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, r) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/redeem"),
            &key,
            Some(json!({"gate": "East gate"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let pushes = fake.wait(&push_token, 1).await;
    assert_eq!(pushes[0]["status"], 200);
    let got = receiver
        .wait(1, &|e| {
            e["type"] == "pass.redeemed" && e["data"]["pass"]["id"] == id.as_str()
        })
        .await;
    let (headers, event) = &got[0];
    assert_eq!(event["data"]["redemption"]["gate"], "East gate");
    assert_eq!(event["data"]["pass"]["version"], 2);
    let raw = receiver.got.lock().expect("lock").clone();
    let (raw_headers, bytes) = raw
        .iter()
        .find(|(_, b)| String::from_utf8_lossy(b).contains("pass.redeemed"))
        .expect("delivery");
    assert_eq!(raw_headers.get("webhook-id"), headers.get("webhook-id"));
    assert_signed(raw_headers, bytes, &secret);
    let _ = stop.send(());
    let _ = server.await;
    let _ = stop_receiver.send(());
}

/// `GET uri` with a key and extra headers.
async fn get_with(
    h: &Harness,
    uri: &str,
    key: &str,
    extra: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder()
        .method(Method::GET)
        .uri(uri)
        .header("x-api-key", key);
    for (k, v) in extra {
        req = req.header(*k, *v);
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

#[tokio::test]
async fn an_offline_gate_checks_the_door_list_and_uploads_its_uses_once() {
    // A database of its own: on a shared PostgreSQL database other tests'
    // tickets would change the list (and its ETag) between two reads.
    let tmp = tempfile::tempdir().expect("tempdir");
    let templates = tmp.path().join("templates");
    copy_dir(&root().join("templates"), &templates);
    let h = harness_with(Some(&templates), generous()).await;
    let scan = h.key(&[Scope::Scan]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (a, serial_a) = new_ticket(&h, &writer).await;
    let (b, serial_b) = new_ticket(&h, &writer).await;

    let list_uri = "/v1/templates/event-ticket/scan-list";
    let (status, headers, body) = get_with(&h, list_uri, &scan, &[]).await;
    assert_eq!(status, StatusCode::OK);
    let list: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(
        (list["limit"].clone(), list["timeZone"].clone()),
        (json!(1), json!("Europe/London"))
    );
    let entry = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["passId"] == a.as_str())
        .expect("pass a listed")
        .clone();
    assert_eq!(entry["message"], serial_a.as_str());
    assert_eq!(
        (entry["used"].clone(), entry["remaining"].clone()),
        (json!(0), json!(1))
    );
    assert_eq!(entry["holder"]["attendee"], "Ada Lovelace");
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();
    let (status, _, _) = get_with(&h, list_uri, &scan, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // Meanwhile ticket b is used online.
    let (status, _) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{b}/redeem"),
            &scan,
            Some(json!({"gate": "Online"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let gate = unique("g");
    let item = |n: u32, message: &str, at: &str| json!({"clientId": format!("{gate}-{n}"), "message": message, "at": at, "gate": "North 1"});
    let upload = json!({"items": [
        item(1, &serial_a, "2027-06-12T19:02:00+01:00"),
        item(2, &serial_b, "2027-06-12T19:03:00+01:00"),
        item(3, &serial_a, "2027-06-12T19:04:00+01:00"),
        item(4, "NOT-A-PASS-9999", "2027-06-12T19:05:00+01:00"),
    ]});
    let (status, r) = h
        .json(Method::POST, "/v1/redemptions", &scan, Some(upload.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let outcomes: Vec<&str> = r["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| x["outcome"].as_str().expect("outcome"))
        .collect();
    assert_eq!(
        outcomes,
        ["ok", "already_used", "already_used", "unknown_barcode"],
        "{r}"
    );
    assert_eq!(
        (r["redeemed"].clone(), r["conflicts"].clone()),
        (json!(1), json!(3))
    );
    assert!(
        r["results"][1]["detail"]
            .as_str()
            .expect("detail")
            .contains("Online"),
        "{r}"
    );

    // The same upload again (a gate that lost the answer): nothing counted twice.
    let (status, again) = h
        .json(Method::POST, "/v1/redemptions", &scan, Some(upload))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["duplicates"], 4, "{again}");
    assert_eq!(again["redeemed"], 0);

    let (_, uses) = h
        .json(
            Method::GET,
            &format!("/v1/passes/{a}/redemptions"),
            &writer,
            None,
        )
        .await;
    let ok: Vec<&Value> = uses["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|u| u["outcome"] == "ok")
        .collect();
    assert_eq!(ok.len(), 1, "{uses}");
    assert_eq!(ok[0]["at"], "2027-06-12T18:02:00.000Z", "the gate's time");
    assert_eq!(ok[0]["clientId"], format!("{gate}-1"));

    let (status, headers, body) = get_with(&h, list_uri, &scan, &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::OK, "the list changed");
    assert_ne!(headers[header::ETAG].to_str().expect("etag"), etag);
    let list: Value = serde_json::from_slice(&body).expect("json");
    let entry = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["passId"] == a.as_str())
        .expect("a")
        .clone();
    assert_eq!(
        (entry["used"].clone(), entry["remaining"].clone()),
        (json!(1), json!(0))
    );

    // Bad items are located, and nothing is counted.
    let (status, e) = h
        .json(
            Method::POST,
            "/v1/redemptions",
            &scan,
            Some(json!({"items": [{"clientId": "x", "message": "y", "at": "yesterday"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"][0]["pointer"], "/items/0/at", "{e}");
    let long_gate = "g".repeat(101);
    let (status, e) = h
        .json(
            Method::POST,
            "/v1/redemptions",
            &scan,
            Some(json!({"items": [{"clientId": "y", "message": "y", "at": "2027-06-12T19:02:00Z", "gate": long_gate}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["errors"][0]["pointer"], "/items/0/gate", "{e}");
}

#[cfg(feature = "studio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_door_staff_log_in_scan_and_see_green_then_red() {
    let h = harness().await;
    let scan = h.key(&[Scope::Scan]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (_, serial) = new_ticket(&h, &writer).await;
    let (status, headers, page) = h.send(Method::GET, "/scan", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    let page = String::from_utf8(page).expect("utf8");
    assert!(
        page.contains("width=device-width"),
        "made for a phone screen"
    );
    assert!(!page.contains("http"), "nothing from elsewhere");

    let (addr, server, stop) = serve_std(&h.state);
    tokio::task::spawn_blocking(move || {
        let Some(browser) = crate::browser::Browser::start("door page in a browser") else {
            return;
        };
        browser.goto(&format!("http://{addr}/scan"));
        browser.wait_for("the login form", "return !!document.getElementById('key');");
        browser.eval(&format!(
            "document.getElementById('key').value = {scan:?};
             document.getElementById('gate').value = 'South door';
             document.getElementById('login').requestSubmit(); return true;"
        ));
        browser.wait_for(
            "the scanner",
            "return !document.getElementById('scanner').hidden;",
        );
        // A USB scanner types the code and presses Enter.
        let type_code = |code: &str| {
            browser.eval(&format!(
                "document.getElementById('code').value = {code:?};
                 document.getElementById('manual').requestSubmit(); return true;"
            ));
        };
        type_code(&serial);
        browser.wait_for(
            "a green answer",
            "return document.getElementById('answer').dataset.state === 'ok';",
        );
        assert_eq!(
            browser.eval("return document.getElementById('verdict').textContent;"),
            "ADMIT"
        );
        let holder = browser.eval("return document.getElementById('holder').textContent;");
        assert!(
            holder.as_str().expect("text").contains("Ada Lovelace"),
            "{holder}"
        );

        type_code(&serial);
        browser.wait_for(
            "a red answer",
            "return document.getElementById('answer').dataset.state === 'no';",
        );
        assert_eq!(
            browser.eval("return document.getElementById('verdict').textContent;"),
            "STOP"
        );
        let reason = browser.eval("return document.getElementById('reason').textContent;");
        let reason = reason.as_str().expect("text");
        assert!(
            reason.contains("Already used") && reason.contains("South door"),
            "{reason}"
        );

        type_code("NO-SUCH-CODE-1");
        browser.wait_for(
            "unknown",
            "return document.getElementById('verdict').textContent === 'UNKNOWN';",
        );
        assert_eq!(
            browser.eval("return document.getElementById('answer').dataset.state;"),
            "no"
        );
    })
    .await
    .expect("browser steps");
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}
