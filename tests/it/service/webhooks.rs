//! Webhooks: signatures, retries, redelivery, 410, restarts and two instances.

use super::*;

#[tokio::test]
async fn webhooks_are_signed_retried_redelivered_and_disabled_by_410() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    let (server, stop) = serve(&h.state);

    // Validation and scope first.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/webhooks",
            &admin,
            Some(json!({"url": "ftp://x", "events": ["pass.exploded"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let pointers = p["errors"].to_string();
    assert!(
        pointers.contains("/url") && pointers.contains("/events/0"),
        "{p}"
    );
    let (status, _) = h
        .json(
            Method::POST,
            "/v1/webhooks",
            &writer,
            Some(json!({"url": url, "events": ["pass.created"]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (hook, secret) = subscribe(&h, &admin, &url, &["pass.created", "pass.voided"]).await;
    let (_, got) = h
        .json(Method::GET, &format!("/v1/webhooks/{hook}"), &admin, None)
        .await;
    assert_eq!(got["status"], "enabled");
    assert!(
        got.get("secret").is_none(),
        "the secret is shown only at creation"
    );

    // Two 500s, then 200: three attempts of one message.
    let serial = unique("WH");
    receiver.answer(&serial, &[500, 500]);
    let (_, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &writer,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    let pass_id = pass["id"].as_str().expect("id").to_owned();
    let mine = |v: &Value| v["data"]["id"] == pass_id.as_str();
    let got = receiver.wait(3, &mine).await;
    let raw = receiver.got.lock().expect("lock").clone();
    let ids: Vec<&str> = got
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().expect("id"))
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "retries keep the message id: {ids:?}"
    );
    for (headers, body) in raw
        .iter()
        .filter(|(_, b)| String::from_utf8_lossy(b).contains(&pass_id))
    {
        assert_signed(headers, body, &secret);
    }
    let (_, event) = &got[2];
    assert_eq!(event["type"], "pass.created");
    assert_eq!(event["id"], ids[0]);
    assert_eq!(event["data"]["serialNumber"], pass["serialNumber"]);

    let d = settled_deliveries(&h, &hook, &admin).await;
    let first = d["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|d| d["eventId"] == ids[0])
        .expect("our delivery");
    assert_eq!(first["status"], "succeeded", "{d}");
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["lastStatusCode"], 200);
    assert_eq!(first["eventType"], "pass.created");

    // Redeliver: the same message again.
    let (status, r) = h
        .json(
            Method::POST,
            &format!(
                "/v1/webhooks/{hook}/deliveries/{}/redeliver",
                first["id"].as_str().expect("id")
            ),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{r}");
    let got = receiver.wait(4, &mine).await;
    assert_eq!(got[3].0["webhook-id"], ids[0]);

    // A test event goes to this endpoint only.
    let (status, t) = h
        .json(
            Method::POST,
            &format!("/v1/webhooks/{hook}/test"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let test_id = t["eventId"].as_str().expect("event").to_owned();
    let got = receiver.wait(1, &|v| v["id"] == test_id.as_str()).await;
    assert_eq!(got[0].1["type"], "webhook.test");

    // 410 Gone disables the endpoint.
    receiver.answer(&serial, &[410]);
    let (_, voided) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{pass_id}/void"),
            &writer,
            None,
        )
        .await;
    assert_eq!(voided["status"], "voided");
    receiver
        .wait(1, &|v| {
            v["type"] == "pass.voided" && v["data"]["id"] == pass_id.as_str()
        })
        .await;
    let mut disabled = Value::Null;
    for _ in 0..100 {
        let (_, w) = h
            .json(Method::GET, &format!("/v1/webhooks/{hook}"), &admin, None)
            .await;
        if w["status"] == "disabled" {
            disabled = w;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        disabled["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("410")),
        "{disabled}"
    );

    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/webhooks/{hook}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = h
        .json(Method::GET, &format!("/v1/webhooks/{hook}"), &admin, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_client_chooses_its_secret_and_a_weak_one_is_refused() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    let (_server, _stop) = serve(&h.state);
    for (secret, pointer_says) in [
        ("short-secret", "at least 24 bytes of key; this one has 12"),
        ("whsec_c2hvcnQ=", "this one has 5"),
        ("whsec_not base64 at all!!", "is not base64"),
    ] {
        let (status, p) = h
            .json(
                Method::POST,
                "/v1/webhooks",
                &admin,
                Some(json!({"url": url, "events": ["pass.created"], "secret": secret})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{secret}: {p}");
        let problems = p["errors"].to_string();
        assert!(
            problems.contains("/secret") && problems.contains(pointer_says),
            "{secret}: {p}"
        );
    }
    for secret in [
        "my-own-webhook-secret-for-passforge-2027".to_owned(),
        format!(
            "whsec_{}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32])
        ),
    ] {
        let (status, w) = h
            .json(
                Method::POST,
                "/v1/webhooks",
                &admin,
                Some(json!({"url": url, "events": ["pass.created"], "secret": secret})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{w}");
        assert_eq!(
            w["secret"],
            secret.as_str(),
            "the chosen secret is kept as sent"
        );
        let hook = w["id"].as_str().expect("id").to_owned();
        let (_, pass) = h
            .json(
                Method::POST,
                "/v1/passes",
                &writer,
                Some(ticket(&unique("SEC"), &unique("u"))),
            )
            .await;
        let pass_id = pass["id"].as_str().expect("id").to_owned();
        receiver
            .wait(1, &|v: &Value| v["data"]["id"] == pass_id.as_str())
            .await;
        let raw = receiver.got.lock().expect("lock").clone();
        let (headers, body) = raw
            .iter()
            .find(|(_, b)| String::from_utf8_lossy(b).contains(&pass_id))
            .expect("delivered");
        assert_signed(headers, body, &secret);
        let (status, _) = h
            .json(
                Method::DELETE,
                &format!("/v1/webhooks/{hook}"),
                &admin,
                None,
            )
            .await;
        assert!(status.is_success());
    }
}

#[tokio::test]
async fn a_retry_survives_a_restart() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    let (hook, secret) = subscribe(&h, &admin, &url, &["pass.deleted"]).await;
    let serial = unique("RS");
    receiver.answer(&serial, &[503]);
    let (server, stop) = serve(&h.state);
    let writer = h.key(&[Scope::Write]).await;
    let (_, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &writer,
            Some(ticket(&serial, &unique("u"))),
        )
        .await;
    let pass_id = pass["id"].as_str().expect("id").to_owned();
    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/passes/{pass_id}"),
            &writer,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mine = |v: &Value| v["data"]["id"] == pass_id.as_str();
    receiver.wait(1, &mine).await;
    // Stop the instance while the retry waits; start a new one on the same database.
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
    let second = instance(&h.db_url).await;
    let (server, stop) = serve(&second);
    let got = receiver.wait(2, &mine).await;
    assert_eq!(got[0].0["webhook-id"], got[1].0["webhook-id"]);
    assert_eq!(got[1].1["type"], "pass.deleted");
    let raw = receiver.got.lock().expect("lock").clone();
    let (headers, body) = raw
        .iter()
        .rev()
        .find(|(_, b)| String::from_utf8_lossy(b).contains(&pass_id))
        .expect("delivery");
    assert_signed(headers, body, &secret);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
    let _ = hook;
}

#[tokio::test]
async fn two_instances_on_one_database_never_deliver_twice() {
    for sqlite in backends() {
        two_instances_never_deliver_twice_on(sqlite).await;
    }
}

async fn two_instances_never_deliver_twice_on(sqlite: bool) {
    let h = harness_on(None, generous(), sqlite).await;
    let admin = h.key(&[Scope::Admin]).await;
    let writer = h.key(&[Scope::Write]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    let (hook, _) = subscribe(&h, &admin, &url, &["pass.created"]).await;
    let second = instance(&h.db_url).await;
    let (server_a, stop_a) = serve(&h.state);
    let (server_b, stop_b) = serve(&second);
    let user = unique("twice");
    let n = 24;
    for i in 0..n {
        let app = if i % 2 == 0 {
            router(h.state.clone())
        } else {
            router(second.clone())
        };
        let req = Request::builder()
            .method(Method::POST)
            .uri("/v1/passes")
            .header("x-api-key", &writer)
            .header(header::CONTENT_TYPE, "application/json")
            .body(HttpBody::from(
                serde_json::to_vec(&ticket(&unique("TW"), &user)).expect("json"),
            ))
            .expect("request");
        assert_eq!(
            app.oneshot(req).await.expect("answer").status(),
            StatusCode::CREATED
        );
    }
    let mine = |v: &Value| v["data"]["userId"] == user.as_str();
    receiver.wait(n, &mine).await;
    // Once each of these events' deliveries has settled, no second one can
    // come (a double delivery would be a re-claimed, still open delivery).
    let events: std::collections::BTreeSet<String> = receiver
        .events(&mine)
        .iter()
        .map(|(_, v)| v["id"].as_str().expect("event id").to_owned())
        .collect();
    events_settled(&h, &hook, &admin, &events).await;
    let got = receiver.events(&mine);
    let mut ids: Vec<String> = got
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().expect("id").to_owned())
        .collect();
    ids.sort();
    let before = ids.len();
    ids.dedup();
    assert_eq!(before, n, "each event delivered exactly once");
    assert_eq!(ids.len(), n);
    stop_a.send(()).expect("stop");
    stop_b.send(()).expect("stop");
    server_a.await.expect("join").expect("served");
    server_b.await.expect("join").expect("served");
}

/// Waits until every delivery of `events` to `hook` has succeeded (paging
/// through all of the endpoint's deliveries: on a shared database other
/// tests' events reach it too).
async fn events_settled(
    h: &Harness,
    hook: &str,
    admin: &str,
    events: &std::collections::BTreeSet<String>,
) {
    for _ in 0..400 {
        let mut after = String::new();
        let mut open = 0;
        let mut seen = 0;
        loop {
            let uri = format!("/v1/webhooks/{hook}/deliveries?limit=100&startingAfter={after}");
            let (status, page) = h.json(Method::GET, &uri, admin, None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            for d in page["data"].as_array().expect("data") {
                if events.contains(d["eventId"].as_str().expect("event id")) {
                    seen += 1;
                    if d["status"] != "succeeded" {
                        open += 1;
                    }
                }
            }
            match page["nextStartingAfter"].as_str() {
                Some(next) => next.clone_into(&mut after),
                None => break,
            }
        }
        if seen >= events.len() && open == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the deliveries of {} events never settled", events.len());
}
