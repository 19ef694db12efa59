//! Google Wallet: object updates against a local stand-in, and callbacks.

use super::*;

#[tokio::test]
async fn google_objects_are_patched_voided_and_messaged_within_the_limit() {
    let (fake, base) = FakeGoogle::start().await;
    let h = harness_on(None, generous(), true).await;
    let mut config = test_config(generous());
    config.google_api.enabled = true;
    config.google_api.base_url = base.clone();
    config.google_api.token_url = format!("{base}/token");
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
    let serial = unique("G");
    let (_, pass) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    let id = pass["id"].as_str().expect("id").to_owned();
    let object_id = format!("{}.{serial}", test_service_account::ISSUER_ID);

    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "G7"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let calls = fake.wait(&object_id, 1).await;
    let (method, path, auth, body) = &calls[0];
    assert_eq!(method, "PATCH");
    assert_eq!(
        path,
        &format!("/walletobjects/v1/eventTicketObject/{object_id}")
    );
    assert_eq!(auth, "Bearer tok-1");
    assert!(body.to_string().contains("G7"), "{body}");
    assert_eq!(body["id"], object_id.as_str());

    // Void: the object goes INACTIVE; the token is reused.
    let (status, _) = h
        .json(Method::POST, &format!("/v1/passes/{id}/void"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let calls = fake.wait(&object_id, 2).await;
    assert_eq!(calls[1].3["state"], "INACTIVE");
    assert_eq!(calls[1].2, "Bearer tok-1", "the access token is cached");
    assert_eq!(fake.tokens.load(std::sync::atomic::Ordering::SeqCst), 1);

    // Messages: three notify, the fourth is reported and added without one.
    for i in 1..=4 {
        let (status, p) = h
            .json(
                Method::POST,
                &format!("/v1/passes/{id}/push-notifications"),
                &key,
                Some(json!({"message": format!("Note {i}")})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{p}");
        if i == 4 {
            assert!(
                p["warnings"].to_string().contains("3 times in 24 hours"),
                "{p}"
            );
        } else {
            assert!(p.get("warnings").is_none(), "{p}");
        }
        // Wait for this message before the next (the limit counts queued ones).
        fake.wait(&format!("{object_id}/addMessage"), i).await;
    }
    let messages = fake.calls_for(&format!("{object_id}/addMessage"));
    let types: Vec<&str> = messages
        .iter()
        .map(|c| c.3["message"]["messageType"].as_str().expect("type"))
        .collect();
    assert_eq!(
        types,
        [
            "TEXT_AND_NOTIFY",
            "TEXT_AND_NOTIFY",
            "TEXT_AND_NOTIFY",
            "TEXT"
        ]
    );
    assert_eq!(messages[3].3["message"]["body"], "Note 4");

    // An object never saved to a wallet (404) is not retried.
    let serial2 = unique("G");
    let object2 = format!("{}.{serial2}", test_service_account::ISSUER_ID);
    fake.missing.lock().expect("lock").push(object2.clone());
    let (_, pass2) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(ticket(&serial2, "u")),
        )
        .await;
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{}", pass2["id"].as_str().expect("id")),
            &key,
            Some(json!({"customFields": {"seat": "C3"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    fake.wait(&object2, 1).await;
    h.drained(Queue::GoogleUpdates, pass2["id"].as_str().expect("id"))
        .await;
    assert_eq!(fake.calls_for(&object2).len(), 1, "404 is final");
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}

// ---- Google Wallet callbacks (ECv2SigningOnly) ----

/// A P-256 key and its base64 DER SubjectPublicKeyInfo.
fn p256() -> (openssl::pkey::PKey<openssl::pkey::Private>, String) {
    use base64::Engine as _;
    let group =
        openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).expect("group");
    let key = openssl::pkey::PKey::from_ec_key(openssl::ec::EcKey::generate(&group).expect("key"))
        .expect("pkey");
    let public =
        base64::engine::general_purpose::STANDARD.encode(key.public_key_to_der().expect("der"));
    (key, public)
}

fn ecdsa(key: &openssl::pkey::PKey<openssl::pkey::Private>, fields: &[&str]) -> String {
    use base64::Engine as _;
    let mut data = Vec::new();
    for f in fields {
        data.extend_from_slice(&(f.len() as u32).to_le_bytes());
        data.extend_from_slice(f.as_bytes());
    }
    let mut s =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), key).expect("signer");
    s.update(&data).expect("update");
    base64::engine::general_purpose::STANDARD.encode(s.sign_to_vec().expect("sign"))
}

/// A callback as Google sends it, signed by `root` through a fresh intermediate key.
fn callback(root: &openssl::pkey::PKey<openssl::pkey::Private>, message: &Value) -> Value {
    let (intermediate, intermediate_public) = p256();
    let expiration = (chrono::Utc::now().timestamp_millis() + 3_600_000).to_string();
    let signed_key =
        json!({"keyValue": intermediate_public, "keyExpiration": expiration}).to_string();
    let signed_message = message.to_string();
    json!({
        "signature": ecdsa(&intermediate, &["GooglePayPasses", test_service_account::ISSUER_ID, "ECv2SigningOnly", &signed_message]),
        "intermediateSigningKey": {
            "signedKey": signed_key,
            "signatures": [ecdsa(root, &["GooglePayPasses", "ECv2SigningOnly", &signed_key])]
        },
        "protocolVersion": "ECv2SigningOnly",
        "signedMessage": signed_message
    })
}

#[tokio::test]
async fn google_callbacks_create_and_remove_connections() {
    let (root_key, root_public) = p256();
    let h = harness().await;
    let mut config = test_config(generous());
    config.google_callbacks = Some(passforge::service::CallbackConfig {
        root_keys: vec![root_public],
        sender_id: "GooglePayPasses".into(),
        recipient_id: test_service_account::ISSUER_ID.into(),
    });
    let h = Harness {
        state: AppState::new(
            Store::connect(&h.db_url).await.expect("db"),
            &root().join("templates"),
            config,
        ),
        ..h
    };
    let key = h.key(&[Scope::Write]).await;
    let serial = unique("GCB");
    let (_, pass) = h
        .json(Method::POST, "/v1/passes", &key, Some(ticket(&serial, "u")))
        .await;
    let pass_id = pass["id"].as_str().expect("id").to_owned();
    let object_id = format!("{}.{serial}", test_service_account::ISSUER_ID);
    let message = |event: &str, nonce: &str, exp: i64| json!({"classId": "x", "objectId": object_id, "expTimeMillis": exp, "eventType": event, "nonce": nonce});
    let later = chrono::Utc::now().timestamp_millis() + 60_000;
    let post = |body: Value| {
        let h = &h;
        async move {
            h.send(Method::POST, "/google/callbacks", None, Some(body))
                .await
                .0
        }
    };
    let connections = || {
        let (h, key, pass_id) = (&h, key.clone(), pass_id.clone());
        async move {
            let (_, c) = h
                .json(
                    Method::GET,
                    &format!("/v1/connections?passId={pass_id}&platform=google"),
                    &key,
                    None,
                )
                .await;
            c["data"].as_array().expect("data").clone()
        }
    };

    // A bad signature (signed by a key that is not a configured root): 401.
    let (other_root, _) = p256();
    assert_eq!(
        post(callback(&other_root, &message("save", &unique("n"), later))).await,
        StatusCode::UNAUTHORIZED
    );
    // A tampered message: 401.
    let mut tampered = callback(&root_key, &message("save", &unique("n"), later));
    tampered["signedMessage"] = message("save", "other", later).to_string().into();
    assert_eq!(post(tampered).await, StatusCode::UNAUTHORIZED);
    // An expired message: rejected.
    let past = chrono::Utc::now().timestamp_millis() - 1000;
    assert_eq!(
        post(callback(&root_key, &message("save", &unique("n"), past))).await,
        StatusCode::UNAUTHORIZED
    );
    assert!(connections().await.is_empty());

    // save: a connection.
    let nonce = unique("nonce");
    let save = callback(&root_key, &message("save", &nonce, later));
    assert_eq!(post(save.clone()).await, StatusCode::OK);
    let c = connections().await;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0]["state"], "active");
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{pass_id}"), &key, None)
        .await;
    assert_eq!(p["installs"]["google"], 1);
    // A replayed nonce changes nothing.
    let (_, first) = h
        .json(
            Method::GET,
            &format!("/v1/connections/{}", c[0]["id"].as_str().expect("id")),
            &key,
            None,
        )
        .await;
    assert_eq!(post(save).await, StatusCode::OK);
    assert_eq!(connections().await.len(), 1);
    let (_, again) = h
        .json(
            Method::GET,
            &format!("/v1/connections/{}", c[0]["id"].as_str().expect("id")),
            &key,
            None,
        )
        .await;
    assert_eq!(first["updatedAt"], again["updatedAt"]);

    // del: removed.
    assert_eq!(
        post(callback(
            &root_key,
            &message("del", &unique("nonce"), later)
        ))
        .await,
        StatusCode::OK
    );
    let c = connections().await;
    assert_eq!(c[0]["state"], "removed");
}
