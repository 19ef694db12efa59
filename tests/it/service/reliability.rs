//! What survives faults: a crash between a change and its answer, a worker
//! that holds items longer than a lease, a receiver that hangs.

use super::*;

/// A harness on `h`'s database whose process "dies" right after each
/// change commits (the answer is never stored nor sent).
async fn dying_twin(h: &Harness) -> Harness {
    let mut config = test_config(generous());
    config.faults.die_after_commit = true;
    let store = Store::connect(&h.db_url).await.expect("database");
    Harness {
        state: AppState::new(store, &root().join("templates"), config),
        _dir: tempfile::tempdir().expect("dir"),
        dir: h.dir.clone(),
        db_url: h.db_url.clone(),
    }
}

/// POST with an Idempotency-Key.
async fn post_once(
    h: &Harness,
    uri: &str,
    key: &str,
    idem: &str,
    body: &Value,
) -> (StatusCode, HeaderMap, Value) {
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header("x-api-key", key)
        .header("idempotency-key", idem)
        .header(header::CONTENT_TYPE, "application/json")
        .body(HttpBody::from(body.to_string()))
        .expect("request");
    let res = passforge::service::router(h.state.clone())
        .oneshot(req)
        .await
        .expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn an_idempotent_create_whose_process_dies_after_commit_is_replayed_not_repeated() {
    let h = harness().await;
    let dying = dying_twin(&h).await;
    let key = h.key(&[Scope::Write]).await;
    let user = unique("crash-user");
    let (status, u) = h
        .json(
            Method::POST,
            "/v1/users",
            &key,
            Some(json!({"externalId": user})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{u}");
    let user_id = u["id"].as_str().expect("id").to_owned();
    // No serial number: a second run would make a second pass.
    let body = json!({
        "templateId": "event-ticket",
        "userId": user_id,
        "customFields": {"attendee": "Crash Test", "seat": "C1", "doorsOpen": "2027-06-12T19:00:00+01:00"}
    });
    let idem = unique("idem");
    let (status, _, died) = post_once(&dying, "/v1/passes", &key, &idem, &body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{died}");
    assert_eq!(died["code"], "injected_fault");

    // The client retries on a healthy instance: the answer the first
    // request would have given, not a second pass.
    let (status, headers, replayed) = post_once(&h, "/v1/passes", &key, &idem, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{replayed}");
    assert_eq!(headers["idempotent-replayed"], "true");
    let id = replayed["id"].as_str().expect("id").to_owned();
    assert_eq!(
        headers[header::LOCATION],
        format!("/v1/passes/{id}").as_str()
    );
    let (_, mine) = h
        .json(
            Method::GET,
            &format!("/v1/passes?userId={user_id}"),
            &key,
            None,
        )
        .await;
    let ids: Vec<&str> = mine["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, [id.as_str()], "one pass: {mine}");

    // A change whose answer is not known before it commits (a user) is
    // recorded too: the retry is told, and nothing runs twice.
    let external = unique("crash-user-2");
    let idem = unique("idem");
    let body = json!({"externalId": external});
    let (status, _, _) = post_once(&dying, "/v1/users", &key, &idem, &body).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _, lost) = post_once(&h, "/v1/users", &key, &idem, &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{lost}");
    assert_eq!(lost["code"], "idempotency_answer_lost");
    let (status, again) = h
        .json(
            Method::POST,
            "/v1/users",
            &key,
            Some(json!({"externalId": external})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the user exists once: {again}"
    );

    // A request that fails before any change is forgotten: its retry runs.
    let idem = unique("idem");
    let bad = json!({"templateId": "event-ticket", "customFields": {}});
    let (status, _, _) = post_once(&dying, "/v1/passes", &key, &idem, &bad).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no change, no fault"
    );
}

/// A receiver that holds each request for `hold` before answering 200.
async fn slow_receiver(
    hold: std::time::Duration,
) -> (Received, String, tokio::sync::oneshot::Sender<()>) {
    let got: Received = Received::default();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                move |axum::extract::State(got): axum::extract::State<Received>,
                      headers: HeaderMap,
                      body: axum::body::Bytes| async move {
                    got.lock().expect("lock").push((headers, body.to_vec()));
                    tokio::time::sleep(hold).await;
                    StatusCode::OK
                },
            ),
        )
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
            .expect("receiver");
    });
    (got, url, stop)
}

/// A harness with a short webhook lease and few delivery slots; its own
/// SQLite file, so no other test's deliveries share its queue.
async fn tight_webhooks() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}", dir.path().join("passforge.db").display());
    let mut config = test_config(generous());
    config.webhooks.lease = std::time::Duration::from_millis(600);
    config.webhooks.concurrency = 8;
    config.webhooks.timeout = std::time::Duration::from_secs(10);
    let store = Store::connect(&db_url).await.expect("database");
    Harness {
        state: AppState::new(store, &root().join("templates"), config),
        dir: dir.path().to_path_buf(),
        _dir: dir,
        db_url,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_slower_than_its_lease_is_sent_once_and_a_hanging_receiver_holds_up_no_one() {
    let h = tight_webhooks().await;
    let admin = h.key(&[Scope::Admin]).await;
    let key = h.key(&[Scope::Write]).await;
    let (slow, slow_url, _stop_slow) = slow_receiver(std::time::Duration::from_millis(2500)).await;
    let (fast, fast_url, _stop_fast) = slow_receiver(std::time::Duration::ZERO).await;
    for (url, events) in [(&slow_url, ["pass.created"]), (&fast_url, ["pass.updated"])] {
        let (status, e) = h
            .json(
                Method::POST,
                "/v1/webhooks",
                &admin,
                Some(json!({"url": url, "events": events})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{e}");
    }
    // Twenty events for the hanging receiver, more than the instance's
    // eight delivery slots, then one for the other receiver.
    let mut last = String::new();
    for i in 0..20 {
        let (status, p) = h
            .json(
                Method::POST,
                "/v1/passes",
                &key,
                Some(ticket(&unique(&format!("SLOW{i}")), "u")),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{p}");
        last = p["id"].as_str().expect("id").to_owned();
    }
    let (server, stop) = serve(&h.state);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{last}"),
            &key,
            Some(json!({"customFields": {"seat": "Z9"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let started = std::time::Instant::now();
    while fast.lock().expect("lock").is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_millis(2000),
            "the other receiver waited behind the hanging one"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    // Each slow delivery outlives its 600 ms lease by far; renewed while in
    // flight, none is taken over and sent again.
    let all = 20;
    let ids = || {
        let mut ids: Vec<String> = slow
            .lock()
            .expect("lock")
            .iter()
            .map(|(headers, _)| {
                headers["webhook-id"]
                    .to_str()
                    .expect("webhook-id")
                    .to_owned()
            })
            .collect();
        ids.sort();
        ids
    };
    let distinct = |mut v: Vec<String>| {
        v.dedup();
        v.len()
    };
    let started = std::time::Instant::now();
    while distinct(ids()) < all {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the hanging receiver got {} of {all}",
            distinct(ids())
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Past any lease a lost claim would have run out.
    tokio::time::sleep(std::time::Duration::from_millis(3000)).await;
    assert_eq!(ids().len(), all, "each delivery sent once");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}
