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

#[tokio::test]
async fn a_full_sqlite_disk_refuses_writes_with_507_keeps_reads_and_loses_nothing() {
    let h = harness_on(None, generous(), true).await;
    let key = h.key(&[Scope::Write]).await;
    let first = created_ticket(&h, &key, "FULL").await;
    let id = first["id"].as_str().expect("id").to_owned();
    let pool = sqlx::AnyPool::connect(&h.db_url).await.expect("database");
    let pages: i64 = sqlx::Row::get(
        &sqlx::query("PRAGMA page_count")
            .fetch_one(&pool)
            .await
            .expect("page count"),
        0,
    );
    // The same file, capped a few pages above its size: a disk that fills.
    let capped = Store::connect_capped(&h.db_url, u32::try_from(pages + 3).expect("pages"))
        .await
        .expect("capped");
    let full = Harness {
        state: AppState::new(capped, &root().join("templates"), test_config(generous())),
        _dir: tempfile::tempdir().expect("dir"),
        dir: h.dir.clone(),
        db_url: h.db_url.clone(),
    };
    let mut refused = None;
    for i in 0..300 {
        let body = ticket(&unique(&format!("FILL{i}")), "u");
        let (status, headers, answer) = full
            .send(
                Method::POST,
                "/v1/passes",
                Some(("x-api-key", &key)),
                Some(body),
            )
            .await;
        if status != StatusCode::CREATED {
            refused = Some((status, headers, answer));
            break;
        }
    }
    let (status, headers, answer) = refused.expect("the capped file fills up");
    let problem: Value = serde_json::from_slice(&answer).expect("problem");
    assert_eq!(status, StatusCode::INSUFFICIENT_STORAGE, "{problem}");
    assert_eq!(problem["code"], "storage_full");
    assert!(headers.contains_key(header::RETRY_AFTER));
    // Reads are still answered, and the service says it is ready.
    let (status, p) = full
        .json(Method::GET, &format!("/v1/passes/{id}"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let (status, _, _) = full.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    // The refused write left nothing half-written and the file is intact.
    let check: String = sqlx::Row::get(
        &sqlx::query("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .expect("integrity"),
        0,
    );
    assert_eq!(check, "ok");
    let orphans: i64 = sqlx::Row::get(
        &sqlx::query(
            "SELECT COUNT(*) FROM events WHERE type = 'pass.created' AND data NOT LIKE '%' || '\"id\"' || '%'",
        )
        .fetch_one(&pool)
        .await
        .expect("count"),
        0,
    );
    assert_eq!(orphans, 0);
    let passes: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) FROM passes")
            .fetch_one(&pool)
            .await
            .expect("count"),
        0,
    );
    let created: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) FROM events WHERE type = 'pass.created'")
            .fetch_one(&pool)
            .await
            .expect("count"),
        0,
    );
    assert_eq!(
        passes, created,
        "every stored pass has its event, and no event lacks its pass"
    );
    pool.close().await;
}

/// A TCP proxy in front of PostgreSQL that a test can cut (connections
/// refused), hang (connections taken and never answered) and restore.
struct Proxy {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    hung: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Proxy {
    async fn start(target: String) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let hung = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up2, hung2, links2) = (up.clone(), hung.clone(), links.clone());
        tokio::spawn(async move {
            let mut held = Vec::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if hung2.load(std::sync::atomic::Ordering::SeqCst) {
                    held.push(client);
                    continue;
                }
                held.clear();
                if !up2.load(std::sync::atomic::Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().expect("lock").push(task.abort_handle());
            }
        });
        Self {
            port,
            up,
            hung,
            links,
        }
    }

    /// The database is out of reach: open connections are cut, new ones refused.
    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for l in self.links.lock().expect("lock").drain(..) {
            l.abort();
        }
    }

    /// The database hangs: open connections are cut, new ones taken and
    /// never answered (a connection waits out the pool's acquire timeout).
    fn hang(&self) {
        self.hung.store(true, std::sync::atomic::Ordering::SeqCst);
        self.cut();
    }

    fn restore(&self) {
        self.hung.store(false, std::sync::atomic::Ordering::SeqCst);
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_out_of_reach_is_503_with_retry_after_and_recovers_without_restart() {
    let Some(url) = postgres_url().await else {
        eprintln!("NOT RUN: postgresql_out_of_reach: needs PASSFORGE_TEST_DATABASE_URL (a PostgreSQL server)");
        return;
    };
    // postgres://user:password@host:port/db → the same through the proxy.
    let (head, rest) = url.split_once('@').expect("user@host in the URL");
    let (host, tail) = rest.split_once('/').expect("host/db in the URL");
    let target = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:5432")
    };
    let proxy = Proxy::start(target).await;
    let via = format!("{head}@127.0.0.1:{}/{tail}", proxy.port);
    let store = Store::connect(&via)
        .await
        .expect("database through the proxy");
    let h = Harness {
        state: AppState::new(store, &root().join("templates"), test_config(generous())),
        _dir: tempfile::tempdir().expect("dir"),
        dir: std::env::temp_dir(),
        db_url: via,
    };
    let key = h.key(&[Scope::Write]).await;
    let (status, _, _) = h.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);

    proxy.cut();
    let (status, _, _) = h.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, headers, body) = h
        .send(
            Method::POST,
            "/v1/passes",
            Some(("x-api-key", &key)),
            Some(ticket(&unique("PGDOWN"), "u")),
        )
        .await;
    let problem: Value = serde_json::from_slice(&body).expect("problem");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "database_unavailable");
    assert_eq!(headers[header::RETRY_AFTER], "5");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    // Creates arriving together while the database hangs all fail with
    // 503 when the pool gives up (5 s): a group the database refused is
    // not written again one create at a time, each waiting 5 s in turn
    // (six creates: 5 s alone, then 5 s for the other five, not 30 s).
    proxy.restore();
    let (status, _) = h.json(Method::GET, "/v1/templates", &key, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the key is checked (and trusted for 2 s)"
    );
    proxy.hang();
    let started = std::time::Instant::now();
    let together: Vec<_> = (0..6)
        .map(|i| spawn_create(&h, &key, ticket(&unique(&format!("PGDOWN{i}")), "u"), None))
        .collect();
    for task in together {
        let (status, problem) = task.await.expect("request");
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
        assert_eq!(problem["code"], "database_unavailable");
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "six creates took {:?} to be refused",
        started.elapsed()
    );

    // Back: the same process serves again, no restart.
    proxy.restore();
    let started = std::time::Instant::now();
    loop {
        let (status, _, _) = h.send(Method::GET, "/readyz", None, None).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "never ready again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    created_ticket(&h, &key, "PGUP").await;
}

#[tokio::test]
async fn an_unreadable_template_folder_keeps_its_last_good_version_and_says_why() {
    let templates = tempfile::tempdir().expect("templates");
    copy_dir(
        &root().join("templates/event-ticket"),
        &templates.path().join("event-ticket"),
    );
    let h = harness_with(Some(templates.path()), generous()).await;
    let key = h.key(&[Scope::Write]).await;
    let _ = created_ticket(&h, &key, "TPL").await;
    // A file of the folder can no longer be read (a dangling link: even
    // root cannot read it, unlike a file without permissions).
    let logo = templates.path().join("event-ticket/logo.png");
    std::fs::remove_file(&logo).expect("remove");
    std::os::unix::fs::symlink(templates.path().join("gone.png"), &logo).expect("symlink");
    h.state.inner.templates.reload("event-ticket");

    let (status, t) = h
        .json(Method::GET, "/v1/templates/event-ticket", &key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    assert!(
        t["problems"].to_string().contains("template.unreadable")
            || t["problems"].to_string().contains("logo.png"),
        "the problem is reported: {t}"
    );
    let (status, _, _) = h.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK, "still ready");
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&unique("TPL"), "u")),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the last good version still issues: {p}"
    );
    let pkpass = h
        .send(
            Method::GET,
            &format!("/v1/passes/{}/download", p["id"].as_str().expect("id")),
            Some(("x-api-key", &key)),
            None,
        )
        .await
        .2;
    assert!(!zip_member(&pkpass, "logo.png").is_empty(), "with its logo");
}

/// `POST /v1/passes` on `h`'s state in a task of its own (with an
/// idempotency key if given): its status and body.
fn spawn_create(
    h: &Harness,
    key: &str,
    body: Value,
    idem: Option<String>,
) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let state = h.state.clone();
    let key = key.to_owned();
    tokio::spawn(async move {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/v1/passes")
            .header("x-api-key", &key)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(idem) = idem {
            req = req.header("idempotency-key", idem);
        }
        let req = req.body(HttpBody::from(body.to_string())).expect("request");
        let res = passforge::service::router(state)
            .oneshot(req)
            .await
            .expect("response");
        let status = res.status();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (
            status,
            serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        )
    })
}

/// New passes written by an instance, from its `/metrics`: transactions
/// and passes.
fn create_commits(state: &AppState) -> (u64, u64) {
    (
        metric(state, "passforge_create_commits_total"),
        metric(state, "passforge_creates_committed_total"),
    )
}

/// On SQLite, another process's write lock on `h`'s database: creates
/// are signed and wait to be written until [`let_go`]. None on PostgreSQL.
async fn hold_writes(h: &Harness, sqlite: bool) -> Option<sqlx::pool::PoolConnection<sqlx::Any>> {
    if !sqlite {
        return None;
    }
    let pool = sqlx::AnyPool::connect(&h.db_url).await.expect("database");
    let mut conn = pool.acquire().await.expect("connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .expect("lock");
    Some(conn)
}

/// Lets go of [`hold_writes`]'s lock after `secs` seconds.
async fn let_go(lock: Option<sqlx::pool::PoolConnection<sqlx::Any>>, secs: u64) {
    if let Some(mut conn) = lock {
        tokio::time::sleep(std::time::Duration::from_secs(secs)).await;
        sqlx::query("ROLLBACK")
            .execute(&mut *conn)
            .await
            .expect("unlock");
    }
}

#[tokio::test]
async fn creates_arriving_together_are_written_together_each_with_its_own_outcome() {
    for sqlite in backends() {
        grouped_creates_on(sqlite).await;
    }
}

async fn grouped_creates_on(sqlite: bool) {
    let h = harness_on(None, generous(), sqlite).await;
    let key = h.key(&[Scope::Write]).await;
    let post = |body: Value, idem: Option<String>| spawn_create(&h, &key, body, idem);

    // Ten creates at once, one with an idempotency key. On SQLite the
    // database is held by another process meanwhile, so all ten are signed
    // and waiting when it lets go: fewer transactions than passes.
    let lock = hold_writes(&h, sqlite).await;
    let idem = unique("idem");
    let serials: Vec<String> = (0..10).map(|_| unique("GROUP")).collect();
    let tasks: Vec<_> = serials
        .iter()
        .enumerate()
        .map(|(i, s)| post(ticket(s, "u"), (i == 0).then(|| idem.clone())))
        .collect();
    let_go(lock, 3).await;
    let mut first_answer = Value::Null;
    for (i, task) in tasks.into_iter().enumerate() {
        let (status, pass) = task.await.expect("request");
        assert_eq!(status, StatusCode::CREATED, "{pass}");
        let id = pass["id"].as_str().expect("id").to_owned();
        let (status, got) = h
            .json(Method::GET, &format!("/v1/passes/{id}"), &key, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{got}");
        assert_eq!(got["serialNumber"], serials[i].as_str());
        let events = h
            .count(
                "SELECT COUNT(*) AS n FROM events WHERE type = 'pass.created' AND data LIKE $1"
                    .into(),
                &format!("%{id}%"),
            )
            .await;
        assert_eq!(events, 1, "one pass.created event for {id}");
        if i == 0 {
            first_answer = pass;
        }
    }
    let (commits, written) = create_commits(&h.state);
    assert_eq!(written, 10);
    if sqlite {
        assert!(
            commits < 10,
            "creates waiting together were written in {commits} transactions, not fewer"
        );
    }
    // The idempotency key was recorded with its pass: a retry replays it.
    let (status, _, replay) =
        post_once(&h, "/v1/passes", &key, &idem, &ticket(&serials[0], "u")).await;
    assert_eq!(status, StatusCode::CREATED, "{replay}");
    assert_eq!(replay["id"], first_answer["id"], "replayed, not repeated");
    assert_eq!(create_commits(&h.state).1, 10);

    // Six at once, two with the same serial number: that one fails alone
    // (409), the five others are written, each pass with its one event.
    let lock = hold_writes(&h, sqlite).await;
    let taken = unique("TAKEN");
    let mut serials: Vec<String> = (0..4).map(|_| unique("GROUP")).collect();
    serials.insert(1, taken.clone());
    serials.push(taken.clone());
    let tasks: Vec<_> = serials.iter().map(|s| post(ticket(s, "u"), None)).collect();
    let_go(lock, 2).await;
    let mut outcomes = Vec::new();
    for (task, serial) in tasks.into_iter().zip(&serials) {
        let (status, body) = task.await.expect("request");
        if status == StatusCode::CONFLICT {
            assert_eq!(serial, &taken, "only the taken serial fails: {body}");
            assert_eq!(body["code"], "conflict", "{body}");
        } else {
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        outcomes.push(status);
    }
    assert_eq!(
        outcomes
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        h.count(
            "SELECT COUNT(*) AS n FROM passes WHERE serial_number = $1".into(),
            &taken
        )
        .await,
        1
    );
    assert_eq!(
        h.count(
            "SELECT COUNT(*) AS n FROM events WHERE type = 'pass.created' AND data LIKE $1".into(),
            &format!("%{taken}%"),
        )
        .await,
        1,
        "the refused create left no event"
    );
    assert_eq!(create_commits(&h.state).1, 15);
}
