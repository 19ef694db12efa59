//! Users, user tokens and connections.

use super::*;

// ---- users and connections ----

#[tokio::test]
async fn user_tokens_see_only_their_own_passes_and_connections() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let mut users = Vec::new();
    for name in ["ada", "grace"] {
        let (status, u) = h
            .json(
                Method::POST,
                "/v1/users",
                &key,
                Some(json!({"externalId": unique(name)})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{u}");
        users.push(u["id"].as_str().expect("id").to_owned());
    }
    let (status, _) = h
        .json(Method::POST, "/v1/users", &key, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut passes = Vec::new();
    for u in &users {
        let (_, p) = h
            .json(
                Method::POST,
                "/v1/passes",
                &key,
                Some(ticket(&unique("U"), u)),
            )
            .await;
        passes.push(p);
    }
    // A device installs Ada's pass.
    let (_, _, bytes) = h
        .send(
            Method::GET,
            &format!(
                "/v1/passes/{}/download",
                passes[0]["id"].as_str().expect("id")
            ),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    let pj: Value = serde_json::from_slice(&zip_member(&bytes, "pass.json")).expect("pass.json");
    let (status, _, _) = apple(
        &h,
        Method::POST,
        &registration(
            "ada-phone",
            passes[0]["serialNumber"].as_str().expect("serial"),
        ),
        pj["authenticationToken"].as_str(),
        Some(json!({"pushToken": device_token(0xADA)})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, t) = h
        .json(
            Method::POST,
            &format!("/v1/users/{}/tokens", users[0]),
            &key,
            Some(json!({"expiresIn": 3600})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let token = t["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("pfu_"));
    let bearer = format!("Bearer {token}");
    let as_user = |method: Method, uri: String| {
        let bearer = bearer.clone();
        let h = &h;
        async move {
            h.send(method, &uri, Some(("authorization", &bearer)), None)
                .await
        }
    };

    let (status, _, body) = as_user(Method::GET, "/v1/me/passes".into()).await;
    assert_eq!(status, StatusCode::OK);
    let mine: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(mine["data"].as_array().expect("data").len(), 1);
    assert_eq!(mine["data"][0]["id"], passes[0]["id"]);
    let (status, _, pkpass) = as_user(
        Method::GET,
        format!(
            "/v1/me/passes/{}/download",
            passes[0]["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(pkpass.len() > 1000);
    let (status, _, _) = as_user(
        Method::GET,
        format!(
            "/v1/me/passes/{}/download",
            passes[1]["id"].as_str().expect("id")
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another user's pass");
    let (status, _, body) = as_user(Method::GET, "/v1/me/connections".into()).await;
    assert_eq!(status, StatusCode::OK);
    let conns: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(conns["data"].as_array().expect("data").len(), 1);
    assert_eq!(conns["data"][0]["deviceLibraryIdentifier"], "ada-phone");

    // Every other route is 403 for a user token.
    for (method, uri) in [
        (Method::GET, "/v1/passes".to_owned()),
        (
            Method::GET,
            format!("/v1/passes/{}", passes[0]["id"].as_str().expect("id")),
        ),
        (Method::GET, "/v1/templates".to_owned()),
        (Method::GET, "/v1/connections".to_owned()),
        (Method::POST, "/v1/passes".to_owned()),
        (Method::GET, format!("/v1/users/{}", users[0])),
        (Method::GET, "/v1/webhooks".to_owned()),
    ] {
        let (status, _, body) = as_user(method.clone(), uri.clone()).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{method} {uri}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    // And /v1/me is not for API keys.
    let (status, _) = h.json(Method::GET, "/v1/me/passes", &key, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, u) = h
        .json(Method::GET, &format!("/v1/users/{}", users[0]), &key, None)
        .await;
    assert_eq!(u["passes"], 1);
    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/users/{}?passes=detach", users[0]),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = as_user(Method::GET, "/v1/me/passes".into()).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "tokens of a deleted user are revoked"
    );
    let (_, p) = h
        .json(
            Method::GET,
            &format!("/v1/passes/{}", passes[0]["id"].as_str().expect("id")),
            &key,
            None,
        )
        .await;
    assert!(p["userId"].is_null(), "detached: {p}");
    assert_eq!(p["installs"], json!({"apple": 1, "google": 0}));
}

#[tokio::test]
async fn connections_are_listed_filtered_synced_and_deleted() {
    let Some(fake) = FakeApns::start(&json!({"default": {"status": 200}})) else {
        return;
    };
    let h = apns_harness(&fake).await;
    let (server, stop) = serve(&h.state);
    let key = h.key(&[Scope::Write]).await;
    let (id, serial, token) = issued_pass(&h, &key).await;
    let tokens = [device_token(0xC0), device_token(0xC1)];
    for (i, t) in tokens.iter().enumerate() {
        let (status, _, _) = apple(
            &h,
            Method::POST,
            &registration(&format!("c{i}"), &serial),
            Some(&token),
            Some(json!({"pushToken": t})),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, list) = h
        .json(
            Method::GET,
            &format!("/v1/connections?passId={id}&limit=1"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["data"].as_array().expect("data").len(), 1);
    assert_eq!(list["hasMore"], true);
    let (_, all) = h
        .json(
            Method::GET,
            &format!("/v1/connections?passId={id}&platform=apple&state=active"),
            &key,
            None,
        )
        .await;
    let all = all["data"].as_array().expect("data").clone();
    assert_eq!(all.len(), 2);
    let first = all[0]["id"].as_str().expect("id").to_owned();
    let (status, c) = h
        .json(Method::GET, &format!("/v1/connections/{first}"), &key, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["serialNumber"], serial.as_str());

    let (status, _) = h
        .json(
            Method::POST,
            &format!("/v1/connections/{first}/sync"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    fake.wait(&tokens[0], 1).await;
    assert!(
        fake.for_token(&tokens[1]).is_empty(),
        "sync pushes only that connection"
    );

    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/connections/{first}"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, c) = h
        .json(Method::GET, &format!("/v1/connections/{first}"), &key, None)
        .await;
    assert_eq!(c["state"], "removed");
    let (status, _) = h
        .json(
            Method::POST,
            &format!("/v1/connections/{first}/sync"),
            &key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = h
        .json(Method::GET, "/v1/connections?state=bogus", &key, None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &key, None)
        .await;
    assert_eq!(p["installs"]["apple"], 1);
    // The next change pushes only to the remaining installation.
    let (status, _) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "D4"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    fake.wait(&tokens[1], 1).await;
    h.drained(Queue::Pushes, &id).await;
    assert_eq!(fake.for_token(&tokens[0]).len(), 1);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}
