//! Passes over HTTP: create, download, update, void, delete; credentials, scopes, rate limits, idempotency, providers, the real listener.

use super::*;

#[tokio::test]
async fn create_download_and_google_link_verify() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let serial = unique("SVC");
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    assert_eq!(pass["serialNumber"], serial.as_str());
    assert_eq!(pass["status"], "active");
    assert_eq!(pass["version"], 1);
    assert_eq!(
        pass["customFields"]["section"], "GA",
        "defaults are stored: {pass}"
    );
    let id = pass["id"].as_str().expect("id").to_owned();
    assert!(pass["downloadUrl"]
        .as_str()
        .expect("url")
        .ends_with(&format!("/v1/passes/{id}/download")));

    // The Google link from create validates, and GET /google gives the same object.
    let save = pass["googleSaveUrl"]
        .as_str()
        .expect("google url")
        .to_owned();
    assert!(save.starts_with("https://pay.google.com/gp/v/save/"));
    let claims = google_claims(&save);
    assert_eq!(
        claims["payload"]["eventTicketObjects"][0]["id"],
        format!("{}.{serial}", test_service_account::ISSUER_ID)
    );
    let (status, g) = h
        .json(Method::GET, &format!("/v1/passes/{id}/google"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{g}");
    shared_validate_google(&[save, g["saveUrl"].as_str().expect("url").to_owned()]);

    // Download: the stored version signed, verified by both checkers.
    let (status, headers, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpass"
    );
    let etag = headers[header::ETAG].to_str().expect("etag").to_owned();
    assert!(headers.contains_key(header::LAST_MODIFIED));
    let file = write_pkpass(&h.dir, "svc.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["serialNumber"], serial.as_str());
    assert_eq!(pj["relevantDate"], "2027-06-12T18:00:00+01:00");
    let fields = pj["eventTicket"].to_string();
    assert!(
        fields.contains("\"label\":\"GUEST\""),
        "label override: {fields}"
    );

    // Same version again: byte-identical; conditional GET: 304.
    let (_, _, again) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(again, bytes, "a stored version signs to the same bytes");
    let (status, _, body) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!body.is_empty());
    let req = Request::builder()
        .uri(format!("/v1/passes/{id}/download"))
        .header("x-api-key", &key)
        .header(header::IF_NONE_MATCH, &etag)
        .body(HttpBody::empty())
        .expect("request");
    let res = router(h.state.clone()).oneshot(req).await.expect("answer");
    assert_eq!(res.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn update_void_and_delete_make_new_versions() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (_, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&unique("UPD"), &unique("u"))),
        )
        .await;
    let id = pass["id"].as_str().expect("id").to_owned();
    let url = format!("/v1/passes/{id}");

    let (status, updated) = h
        .json(
            Method::PATCH,
            &url,
            &key,
            Some(json!({"customFields": {"seat": "B7", "attendee": {"value": "Grace Hopper", "label": null}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["customFields"]["seat"], "B7");
    assert_eq!(updated["labels"], json!({}), "label override removed");
    let (_, headers, bytes) = h
        .send(
            Method::GET,
            &format!("{url}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(
        headers[header::ETAG].to_str().expect("etag"),
        format!("\"{id}-v2\"")
    );
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert!(pj.to_string().contains("Grace Hopper") && pj.to_string().contains("B7"));

    // An invalid change is refused and the stored version is kept.
    let (status, problem) = h
        .json(
            Method::PATCH,
            &url,
            &key,
            Some(json!({"customFields": {"doorsOpen": "soon"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/customFields/doorsOpen");
    let (_, still) = h.json(Method::GET, &url, &key, None).await;
    assert_eq!(still["version"], 2);

    let (status, voided) = h
        .json(Method::POST, &format!("{url}/void"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(voided["status"], "voided");
    assert_eq!(voided["version"], 3);
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!("{url}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["voided"], true);
    let file = write_pkpass(&h.dir, "voided.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let (_, again) = h
        .json(Method::POST, &format!("{url}/void"), &key, None)
        .await;
    assert_eq!(again["version"], 3, "voiding twice changes nothing");

    let (status, _) = h.json(Method::DELETE, &url, &key, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = h.json(Method::GET, &url, &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(problem["code"], "not_found");
    let (status, _) = h.json(Method::DELETE, &url, &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_requests_say_where() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({
                "templateId": "event-ticket",
                "customFields": {"seat": "A1", "doorsOpen": "not a date", "colour": "red"},
                "expirationDate": "tomorrow",
                "extra": 1
            })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(pointers.contains(&"/extra"), "{p}");
    assert!(pointers.contains(&"/expirationDate"), "{p}");

    // Field problems come from the template's schema, each located.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "event-ticket", "customFields": {"seat": "A1", "doorsOpen": "not a date", "colour": "red"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for expected in [
        "/customFields/attendee",
        "/customFields/doorsOpen",
        "/customFields/colour",
    ] {
        assert!(pointers.contains(&expected), "{expected} in {p}");
    }

    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "nope", "customFields": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["pointer"], "/templateId");

    let serial = unique("DUP");
    let (status, _) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, p) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");

    // Malformed JSON and an unknown route are problems too.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/v1/passes")
        .header("x-api-key", &key)
        .header(header::CONTENT_TYPE, "application/json")
        .body(HttpBody::from("{\"templateId\": "))
        .expect("request");
    let res = router(h.state.clone()).oneshot(req).await.expect("answer");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let (status, _) = h.json(Method::GET, "/v1/nothing", &key, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h.json(Method::GET, "/v1/passes?limit=0", &key, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = h
        .json(Method::GET, "/v1/passes?colour=red", &key, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn credentials_and_scopes() {
    let h = harness().await;
    let reader = h.key(&[Scope::Read]).await;
    let writer = h.key(&[Scope::Write]).await;

    let (status, headers, body) = h.send(Method::GET, "/v1/templates", None, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(headers.contains_key(header::WWW_AUTHENTICATE));
    let (status, _) = h
        .json(Method::GET, "/v1/templates", "pfk_nothere_secret", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let tampered = format!("{}x", &writer);
    let (status, _) = h.json(Method::GET, "/v1/templates", &tampered, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = h.json(Method::GET, "/v1/templates", &reader, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &reader,
            Some(ticket(&unique("RO"), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
    assert_eq!(p["code"], "insufficient_scope");

    // Bearer JWTs: scope and exp checked.
    let token = |scope: &str, exp: i64| {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &json!({"sub": "app-1", "scope": scope, "exp": exp}),
            &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET),
        )
        .expect("jwt")
    };
    let now = chrono::Utc::now().timestamp();
    let bearer = |t: &str| format!("Bearer {t}");
    let good = bearer(&token("read write", now + 600));
    let (status, _, _) = h
        .send(
            Method::POST,
            "/v1/passes",
            Some(("authorization", &good)),
            Some(ticket(&unique("JWT"), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let read_only = bearer(&token("read", now + 600));
    let (status, _, _) = h
        .send(
            Method::POST,
            "/v1/passes",
            Some(("authorization", &read_only)),
            Some(ticket(&unique("JWT"), "u")),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let expired = bearer(&token("read", now - 3600));
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("authorization", &expired)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({"sub": "x", "scope": "admin", "exp": now + 600}),
        &jsonwebtoken::EncodingKey::from_secret(b"another secret, not the server's"),
    )
    .expect("jwt");
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("authorization", &bearer(&forged))),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A revoked key stops working: a key checked in the last two seconds
    // is trusted without its row, so within two seconds (revoked from the
    // CLI or another instance, as here: straight in the database).
    let id = reader.split('_').nth(1).expect("id");
    let (status, _) = h.json(Method::GET, "/v1/templates", &reader, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(h.state.inner.store.revoke_key(id).await.expect("revoke"));
    let revoked = std::time::Instant::now();
    let (status, p) = loop {
        let (status, p) = h.json(Method::GET, "/v1/templates", &reader, None).await;
        if status != StatusCode::OK || revoked.elapsed() > std::time::Duration::from_secs(3) {
            break (status, p);
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "still accepted 3 s after revocation"
    );
    assert!(p["detail"].as_str().expect("detail").contains("revoked"));
    // A wrong secret for a key just checked is refused.
    let (status, _) = h.json(Method::GET, "/v1/templates", &writer, None).await;
    assert_eq!(status, StatusCode::OK);
    let writer_id = writer.split('_').nth(1).expect("id");
    let (status, _) = h
        .json(
            Method::GET,
            "/v1/templates",
            &format!("pfk_{writer_id}_not-the-secret"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn list_pages_with_a_cursor_and_filters() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let user = unique("user");
    let mut ids = Vec::new();
    for i in 0..5 {
        let (status, p) = h
            .json(
                Method::POST,
                "/v1/passes",
                &key,
                Some(ticket(&unique(&format!("PG{i}")), &user)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        ids.push(p["id"].as_str().expect("id").to_owned());
    }
    let (_, p) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{}/void", ids[1]),
            &key,
            None,
        )
        .await;
    assert_eq!(p["status"], "voided");

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let uri = match &after {
            Some(a) => format!("/v1/passes?userId={user}&limit=2&startingAfter={a}"),
            None => format!("/v1/passes?userId={user}&limit=2"),
        };
        let (status, page) = h.json(Method::GET, &uri, &key, None).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let data = page["data"].as_array().expect("data");
        assert!(data.len() <= 2);
        seen.extend(
            data.iter()
                .map(|p| p["id"].as_str().expect("id").to_owned()),
        );
        if page["hasMore"] == false {
            assert!(page["nextStartingAfter"].is_null());
            break;
        }
        after = page["nextStartingAfter"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ids, "every pass once, in creation order");

    let (_, page) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user}&status=voided"),
            &key,
            None,
        )
        .await;
    assert_eq!(page["data"].as_array().expect("data").len(), 1);
    assert_eq!(page["data"][0]["id"], ids[1].as_str());
    let (_, page) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user}&templateId=coupon"),
            &key,
            None,
        )
        .await;
    assert_eq!(page["data"], json!([]));
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let h = harness_with(
        None,
        RateLimit {
            per_minute: 1,
            burst: 2,
        },
    )
    .await;
    let key = h.key(&[Scope::Read]).await;
    let (status, headers, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-limit"], "2");
    assert_eq!(headers["x-ratelimit-remaining"], "1");
    assert!(headers.contains_key("ratelimit-policy") && headers.contains_key("ratelimit"));
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let p: Value = serde_json::from_slice(&body).expect("problem");
    assert_eq!(p["code"], "rate_limited");
    // Another credential has its own bucket.
    let other = h.key(&[Scope::Read]).await;
    let (status, _, _) = h
        .send(
            Method::GET,
            "/v1/templates",
            Some(("x-api-key", &other)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn real_listener_health_metrics_and_graceful_shutdown() {
    let h = harness().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(passforge::service::serve(
        listener,
        h.state.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    let (code, head, _) = raw_get(addr, "/healthz", None).await;
    assert_eq!(code, 200, "{head}");
    let (code, head, _) = raw_get(addr, "/readyz", None).await;
    assert_eq!(code, 200, "{head}");
    let (code, head, _) = raw_get(addr, "/v1/templates", None).await;
    assert_eq!(code, 401, "{head}");
    assert!(head.contains("x-request-id"), "{head}");
    let (code, _, body) = raw_get(addr, "/metrics", None).await;
    assert_eq!(code, 200);
    let body = String::from_utf8(body).expect("text");
    assert!(
        body.contains(
            "passforge_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{body}"
    );
    assert!(
        body.contains("route=\"/v1/templates\",status=\"401\""),
        "{body}"
    );
    stop.send(()).expect("stop");
    server.await.expect("join").expect("clean shutdown");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "listener closed"
    );
}

#[test]
fn keys_cli_creates_lists_and_revokes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("keys.db").display());
    let env = [("PASSFORGE_DATABASE_URL", url.as_str())];
    let out = passforge_env(
        dir.path(),
        &["keys", "create", "--name", "ci", "--scopes", "read,admin"],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let key = stdout(&out).trim().to_owned();
    assert!(key.starts_with("pfk_"), "{key}");
    let id = key.split('_').nth(1).expect("id").to_owned();
    let out = passforge_env(dir.path(), &["keys", "list"], &env);
    let listed = stdout(&out);
    assert!(
        listed.contains(&id) && listed.contains("read,admin") && listed.contains("active"),
        "{listed}"
    );
    assert!(
        !listed.contains(key.splitn(3, '_').nth(2).expect("secret")),
        "secrets are never listed"
    );
    let out = passforge_env(dir.path(), &["keys", "revoke", &id], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&passforge_env(dir.path(), &["keys", "list"], &env)).contains("revoked"));
    let out = passforge_env(dir.path(), &["keys", "revoke", &id], &env);
    assert_eq!(
        out.status.code(),
        Some(2),
        "revoking twice is an error: {}",
        stderr(&out)
    );
    let out = passforge_env(
        dir.path(),
        &["keys", "create", "--name", "x", "--scopes", "owner"],
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("owner"));
}

#[tokio::test]
async fn idempotency_key_replays_refuses_and_waits() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let send = |idem: &str, body: &Value| {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/v1/passes")
            .header("x-api-key", &key)
            .header("idempotency-key", idem)
            .header(header::CONTENT_TYPE, "application/json")
            .body(HttpBody::from(serde_json::to_vec(body).expect("json")))
            .expect("request");
        let app = router(h.state.clone());
        async move {
            let res = app.oneshot(req).await.expect("answer");
            let status = res.status();
            let headers = res.headers().clone();
            let bytes = res.into_body().collect().await.expect("body").to_bytes();
            let v: Value = serde_json::from_slice(&bytes).expect("json");
            (status, headers, v)
        }
    };
    let idem = unique("idem");
    let body = ticket(&unique("IDEM"), "u");
    let (status, headers, first) = send(&idem, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!headers.contains_key("idempotent-replayed"));
    let (status, headers, again) = send(&idem, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(again, first, "the same answer, not a second pass");
    assert_eq!(
        headers[header::LOCATION],
        format!("/v1/passes/{}", first["id"].as_str().expect("id"))
    );

    // The same key with another body: 422.
    let other = ticket(&unique("IDEM"), "u");
    let (status, _, p) = send(&idem, &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["code"], "idempotency_key_reused");

    // A 4xx answer is remembered too.
    let bad = json!({"templateId": "event-ticket", "customFields": {}});
    let idem_bad = unique("idem");
    let (status, _, p1) = send(&idem_bad, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, headers, p2) = send(&idem_bad, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(p1, p2);

    // While the first request with a key runs: 409.
    let idem_busy = unique("idem");
    let busy = ticket(&unique("IDEM"), "u");
    let mut hasher = openssl::sha::Sha256::new();
    hasher.update(b"POST /v1/passes\n");
    hasher.update(&serde_json::to_vec(&busy).expect("json"));
    let hash: String = hasher.finish().iter().map(|b| format!("{b:02x}")).collect();
    let principal = key.split('_').nth(1).expect("id");
    let claimed = h
        .state
        .inner
        .store
        .claim_idempotency(principal, &idem_busy, &hash)
        .await
        .expect("claim");
    assert_eq!(claimed, None);
    let (status, _, p) = send(&idem_busy, &busy).await;
    assert_eq!(status, StatusCode::CONFLICT, "{p}");
    assert_eq!(p["code"], "idempotency_in_flight");
}

#[tokio::test]
async fn providers_describe_apple_and_google() {
    let h = harness().await;
    let key = h.key(&[Scope::Read]).await;
    let (status, v) = h.json(Method::GET, "/v1/providers", &key, None).await;
    assert_eq!(status, StatusCode::OK);
    let apple = &v["data"][0];
    assert_eq!(apple["id"], "apple");
    assert_eq!(apple["configured"], true);
    assert_eq!(apple["testCertificate"], true);
    assert_eq!(apple["passTypeIdentifier"], "pass.com.example.passforge");
    let google = &v["data"][1];
    assert_eq!(google["id"], "google");
    assert_eq!(google["issuerId"], test_service_account::ISSUER_ID);
    assert_eq!(
        google["resultSchema"]["issue"]["required"],
        json!(["saveUrl", "objectId", "classId"])
    );
}

#[tokio::test]
async fn a_poster_ticket_takes_its_seats_and_performers_as_json_and_says_where_they_are_wrong() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let seats = json!([{"seatSection": "Stalls A", "seatRow": "F", "seatNumber": "12"},
                       {"seatSection": "Stalls A", "seatRow": "F", "seatNumber": "13"}]);
    let body = json!({
        "templateId": "poster-event-ticket",
        "serialNumber": unique("POSTER"),
        "customFields": {
            "attendee": "Ada Lovelace", "seats": seats, "performers": ["The Borrow Checkers"],
            "doorsOpen": "2027-06-12T18:30:00+01:00", "eventStart": "2027-06-12T19:30:00+01:00",
            "eventEnd": "2027-06-12T22:30:00+01:00"
        }
    });
    let (status, pass) = h
        .json(Method::POST, "/v1/passes", &key, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    assert_eq!(pass["customFields"]["seats"], seats, "stored as sent");
    let id = pass["id"].as_str().expect("id").to_owned();
    let (status, _, bytes) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let file = write_pkpass(&h.dir, "poster.pkpass", &bytes);
    shared_verify(&[file]);
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["semantics"]["seats"], seats);
    assert_eq!(
        pj["semantics"]["performerNames"],
        json!(["The Borrow Checkers"])
    );
    let claims = google_claims(pass["googleSaveUrl"].as_str().expect("google"));
    let object = &claims["payload"]["eventTicketObjects"][0];
    assert_eq!(object["seatInfo"]["seat"]["defaultValue"]["value"], "12");
    assert_eq!(object["ticketHolderName"], "Ada Lovelace");

    // An empty line-up and a seat without its section: one 422, each located.
    let mut bad = body;
    bad["serialNumber"] = json!(unique("POSTER"));
    bad["customFields"]["performers"] = json!([]);
    bad["customFields"]["seats"] = json!([{"seatRow": "F"}]);
    let (status, problem) = h.json(Method::POST, "/v1/passes", &key, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let text = problem.to_string();
    assert!(
        text.contains("/customFields/performers") && text.contains("at least 1"),
        "{text}"
    );
    assert!(
        text.contains("/customFields/seats") && text.contains("`seatSection` is required"),
        "{text}"
    );
}
