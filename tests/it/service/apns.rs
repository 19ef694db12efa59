//! The PassKit web service and APNs pushes (against ../shared/apns/fake_apns.py).

use super::*;

#[tokio::test]
async fn an_iphone_registers_is_pushed_and_fetches_the_update() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let push_token = device_token(0xA11CE);
    let reg = registration("device-1", &serial);
    let body = json!({"pushToken": push_token});

    // A wrong or missing token: 401 everywhere.
    for t in [None, Some("wrong-token-0123456789abcdef")] {
        let (status, _, _) = apple(&h, Method::POST, &reg, t, Some(body.clone()), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = apple(&h, Method::DELETE, &reg, t, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = apple(
            &h,
            Method::GET,
            &format!("/apple/v1/passes/{PASS_TYPE_ID}/{serial}"),
            t,
            None,
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    let (status, _, _) = apple(
        &h,
        Method::POST,
        &reg,
        Some(&token),
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &reg,
        Some(&token),
        Some(body.clone()),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "already registered");

    let serials_uri = format!("/apple/v1/devices/device-1/registrations/{PASS_TYPE_ID}");
    let (status, _, b) = apple(&h, Method::GET, &serials_uri, None, None, None).await;
    assert_eq!(status, StatusCode::OK);
    let first: Value = serde_json::from_slice(&b).expect("json");
    assert_eq!(first["serialNumbers"], json!([serial]));
    let tag = first["lastUpdated"]
        .as_str()
        .expect("a string tag")
        .to_owned();
    let (status, _, _) = apple(
        &h,
        Method::GET,
        &format!("{serials_uri}?passesUpdatedSince={tag}"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "nothing changed since the tag"
    );

    // A change: exactly one push, as Wallet expects it.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "Z9"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let pushes = fake.wait(&push_token, 1).await;
    h.drained(Queue::Pushes, &id).await;
    assert_eq!(fake.for_token(&push_token).len(), 1, "one push per change");
    let push = &pushes[0];
    assert_eq!(push["headers"]["apns-topic"], PASS_TYPE_ID);
    assert_eq!(push["body"], "{}");
    assert_eq!(
        push["client_uid"], PASS_TYPE_ID,
        "certificate authentication with the pass certificate"
    );
    assert_eq!(push["status"], 200);

    let (status, _, b) = apple(
        &h,
        Method::GET,
        &format!("{serials_uri}?passesUpdatedSince={tag}"),
        None,
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let changed: Value = serde_json::from_slice(&b).expect("json");
    assert_eq!(changed["serialNumbers"], json!([serial]));
    let new_tag = changed["lastUpdated"].as_str().expect("tag");
    assert_ne!(new_tag, tag);

    let pass_uri = format!("/apple/v1/passes/{PASS_TYPE_ID}/{serial}");
    let (status, headers, bytes) =
        apple(&h, Method::GET, &pass_uri, Some(&token), None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpass"
    );
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert!(pj.to_string().contains("Z9"), "the new value");
    let file = write_pkpass(&h.dir, "updated.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let lm = headers[header::LAST_MODIFIED]
        .to_str()
        .expect("date")
        .to_owned();
    let (status, _, _) = apple(
        &h,
        Method::GET,
        &pass_uri,
        Some(&token),
        None,
        Some(("if-modified-since", &lm)),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    let (status, _, _) = apple(
        &h,
        Method::POST,
        "/apple/v1/log",
        None,
        Some(json!({"logs": ["Web service error for pass.com.example.passforge: test"]})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _, _) = apple(&h, Method::DELETE, &reg, Some(&token), None, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = apple(&h, Method::DELETE, &reg, Some(&token), None, None).await;
    assert_eq!(status, StatusCode::OK, "idempotent");
    let (status, _, _) = apple(&h, Method::GET, &serials_uri, None, None, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn dead_tokens_are_removed_and_busy_ones_retried() {
    let dead = device_token(0xDEAD);
    let flaky = device_token(0xF1A);
    let fine = device_token(0xF1E);
    let script = json!({"tokens": {
        dead.clone(): {"status": 410, "reason": "Unregistered"},
        flaky.clone(): [{"status": 503, "times": 1}, {"status": 200}]
    }, "default": {"status": 200}});
    let Some(fake) = FakeApns::start(&script) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let admin = h.key(&[Scope::Admin]).await;
    let (receiver, url, _stop_receiver) = Receiver::start().await;
    subscribe(
        &h,
        &admin,
        &url,
        &["connection.created", "connection.deleted"],
    )
    .await;
    let (server, stop) = serve(&h.state);
    let (id, serial, token) = issued_pass(&h, &admin).await;
    for (device, push) in [("d-dead", &dead), ("d-flaky", &flaky), ("d-fine", &fine)] {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(device, &serial),
            Some(&token),
            Some(json!({"pushToken": push})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &admin,
            Some(json!({"customFields": {"seat": "K1"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let flaky_pushes = fake.wait(&flaky, 2).await;
    assert_eq!(flaky_pushes[0]["status"], 503);
    assert_eq!(flaky_pushes[1]["status"], 200, "retried after 503");
    fake.wait(&dead, 1).await;
    fake.wait(&fine, 1).await;
    let deleted = receiver
        .wait(1, &|v| {
            v["type"] == "connection.deleted" && v["data"]["deviceLibraryIdentifier"] == "d-dead"
        })
        .await;
    assert!(
        deleted[0].1["data"]["reason"]
            .as_str()
            .expect("reason")
            .contains("Unregistered"),
        "{}",
        deleted[0].1
    );

    // The next change does not push to the removed token.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &admin,
            Some(json!({"customFields": {"seat": "K2"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    fake.wait(&fine, 2).await;
    h.drained(Queue::Pushes, &id).await;
    assert_eq!(fake.for_token(&dead).len(), 1);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_410_removes_only_registrations_older_than_apns_knew_the_token_dead() {
    // APNs reports both tokens dead; for `renewed` it learned so in 2001,
    // long before the device registered it (again): that registration stays.
    let gone = device_token(0x6011E);
    let renewed = device_token(0x4E11E);
    let script = json!({"tokens": {
        gone.clone(): {"status": 410, "reason": "Unregistered"},
        renewed.clone(): {"status": 410, "reason": "Unregistered", "timestamp": 1_000_000_000_000_i64}
    }, "default": {"status": 200}});
    let Some(fake) = FakeApns::start(&script) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let admin = h.key(&[Scope::Admin]).await;
    let (server, stop) = serve(&h.state);
    let (id, serial, token) = issued_pass(&h, &admin).await;
    for (device, push) in [("d-gone", &gone), ("d-renewed", &renewed)] {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(device, &serial),
            Some(&token),
            Some(json!({"pushToken": push})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &admin,
            Some(json!({"customFields": {"seat": "T1"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    fake.wait(&gone, 1).await;
    fake.wait(&renewed, 1).await;
    h.drained(Queue::Pushes, &id).await;
    // The dead token's registration is removed right after its push settles.
    for _ in 0..200 {
        let (_, l) = h
            .json(
                Method::GET,
                &format!("/v1/connections?passId={id}&state=removed"),
                &admin,
                None,
            )
            .await;
        if !l["data"].as_array().expect("data").is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let (_, list) = h
        .json(
            Method::GET,
            &format!("/v1/connections?passId={id}"),
            &admin,
            None,
        )
        .await;
    let states: std::collections::BTreeMap<String, String> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| {
            (
                c["deviceLibraryIdentifier"]
                    .as_str()
                    .expect("device")
                    .to_owned(),
                c["state"].as_str().expect("state").to_owned(),
            )
        })
        .collect();
    assert_eq!(states["d-gone"], "removed", "{list}");
    assert_ne!(
        states["d-renewed"], "removed",
        "registered after APNs' timestamp: kept ({list})"
    );
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_thousand_devices_are_pushed_over_one_or_two_connections() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let n = 1000;
    for i in 0..n {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(&format!("dev{i}"), &serial),
            Some(&token),
            Some(json!({"pushToken": device_token(0x10_0000 + i)})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (server, stop) = serve(&h.state);
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "M5"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..600 {
        if fake.requests().len() >= n as usize {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), n as usize, "one push per device");
    assert!(requests.iter().all(|r| r["status"] == 200));
    let stats = fake.stats();
    let connections = stats["connections"].as_u64().expect("connections");
    let streams = stats["max_streams_in_flight"].as_u64().expect("streams");
    assert!((1..=2).contains(&connections), "{connections} connections");
    assert!(
        streams > 1,
        "multiplexed: at most {streams} streams at once"
    );
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn the_push_queue_survives_a_restart() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let push_token = device_token(0xBEEF);
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("d1", &serial),
        Some(&token),
        Some(json!({"pushToken": push_token})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // The change is made while no instance runs a push worker.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "R2"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h.queued(Queue::Pushes, &id).await,
        1,
        "the push waits in the queue"
    );
    assert!(fake.for_token(&push_token).is_empty());
    // A new instance on the same database sends it.
    let mut config = test_config(generous());
    config.apns = fake.config();
    let second = AppState::new(
        Store::connect(&h.db_url).await.expect("db"),
        &root().join("templates"),
        config,
    );
    let (server, stop) = serve(&second);
    fake.wait(&push_token, 1).await;
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn a_message_and_a_template_change_reach_the_phone() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let templates = tempfile::tempdir().expect("tempdir");
    copy_dir(
        &root().join("templates/event-ticket"),
        &templates.path().join("event-ticket"),
    );
    let h = apns_harness_with(&fake, templates.path()).await;
    let (server, stop) = serve(&h.state);
    let admin = h.key(&[Scope::Admin]).await;
    let (id, serial, token) = issued_pass(&h, &admin).await;
    let push_token = device_token(0x3E55A6E);
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration("d1", &serial),
        Some(&token),
        Some(json!({"pushToken": push_token})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // A message: a new version with the message field, and a push.
    let (status, p) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/push-notifications"),
            &admin,
            Some(json!({"message": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/push-notifications"),
            &admin,
            Some(json!({"message": "Doors open at 19:30"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["version"], 2);
    fake.wait(&push_token, 1).await;
    let pass_uri = format!("/apple/v1/passes/{PASS_TYPE_ID}/{serial}");
    let (_, _, bytes) = apple(&h, Method::GET, &pass_uri, Some(&token), None, None).await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    let back = pj["eventTicket"]["backFields"]
        .as_array()
        .expect("back fields");
    let msg = back
        .iter()
        .find(|f| f["key"] == "passforge.message")
        .expect("message field");
    assert_eq!(msg["value"], "Doors open at 19:30");
    assert_eq!(msg["changeMessage"], "%@");
    let file = write_pkpass(&h.dir, "message.pkpass", &bytes);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // A template change reaches issued passes: a new version and a push.
    let dir = templates.path().join("event-ticket");
    let mut pass: Value =
        serde_json::from_slice(&std::fs::read(dir.join("pass.json")).expect("read")).expect("json");
    pass["organizationName"] = "Passforge Live (moved venue)".into();
    let changed = tempfile::tempdir().expect("tempdir");
    copy_dir(&dir, changed.path());
    std::fs::write(
        changed.path().join("pass.json"),
        serde_json::to_vec_pretty(&pass).expect("json"),
    )
    .expect("write");
    let (status, t) = put_zip(&h, &admin, "event-ticket", zip_folder(changed.path(), "")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    fake.wait(&push_token, 2).await;
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &admin, None)
        .await;
    assert_eq!(p["version"], 3);
    let (_, _, bytes) = apple(&h, Method::GET, &pass_uri, Some(&token), None, None).await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    assert_eq!(pj["organizationName"], "Passforge Live (moved venue)");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

#[tokio::test]
async fn provider_token_authentication() {
    let keys = tempfile::tempdir().expect("tempdir");
    let p8 = keys.path().join("AuthKey_TESTKEY123.p8");
    let out = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ])
        .arg(&p8)
        .output()
        .expect("openssl");
    assert!(out.status.success());
    let key_arg = format!("TESTKEY123={}", p8.display());
    let Some(fake) = FakeApns::start_with(
        &json!({"default": {"status": 200}}),
        &[
            "--token-auth",
            "--token-key",
            &key_arg,
            "--team-id",
            "PFTEST1234",
            "--topic",
            PASS_TYPE_ID,
        ],
    ) else {
        return;
    };
    let h = harness_on(None, generous(), true).await;
    let mut config = test_config(generous());
    config.apns = ApnsConfig {
        auth: passforge::service::ApnsAuth::Token {
            key_id: "TESTKEY123".into(),
            team_id: "PFTEST1234".into(),
            key_pem: std::fs::read(&p8).expect("key"),
        },
        ..fake.config()
    };
    let h = Harness {
        state: AppState::new(
            Store::connect(&h.db_url).await.expect("db"),
            &root().join("templates"),
            config,
        ),
        ..h
    };
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let tokens: Vec<String> = (0..3).map(|i| device_token(0x70_0000 + i)).collect();
    for (i, t) in tokens.iter().enumerate() {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(&format!("t{i}"), &serial),
            Some(&token),
            Some(json!({"pushToken": t})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    for seat in ["T1", "T2"] {
        let (status, _) = h
            .json(
                Method::PATCH,
                &format!("/v1/passes/{id}"),
                &key,
                Some(json!({"customFields": {"seat": seat}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        for t in &tokens {
            fake.wait(t, if seat == "T1" { 1 } else { 2 }).await;
        }
    }
    let requests = fake.requests();
    assert_eq!(requests.len(), 6);
    for r in &requests {
        assert_eq!(r["status"], 200, "{r}");
        assert_eq!(r["auth"], "token");
        assert_eq!(r["bearer"]["verified"], true, "{r}");
        assert_eq!(r["bearer"]["kid"], "TESTKEY123");
    }
    let iats: std::collections::BTreeSet<String> = requests
        .iter()
        .map(|r| r["bearer"]["iat"].to_string())
        .collect();
    assert_eq!(iats.len(), 1, "one token reused, not one per push");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}
