//! Apple Rewards Enrollment: a personalizable store card, Wallet's
//! personalize request, the signed token, and the personalized pass.

use super::*;

/// The web service path of a pass.
fn pass_path(serial: &str) -> String {
    format!("/apple/v1/passes/{PASS_TYPE_ID}/{serial}")
}

/// Verifies `signature` as a detached PKCS#7 over `content` with the
/// openssl command line, chained to the test CA; the signer's subject.
fn openssl_verify_detached(dir: &Path, signature: &[u8], content: &[u8]) -> String {
    let sig = dir.join("token.sig");
    let data = dir.join("token.txt");
    let signer = dir.join("signer.pem");
    std::fs::write(&sig, signature).expect("write");
    std::fs::write(&data, content).expect("write");
    let out = std::process::Command::new("openssl")
        .args([
            "smime", "-verify", "-binary", "-inform", "DER", "-purpose", "any",
        ])
        .arg("-in")
        .arg(&sig)
        .arg("-content")
        .arg(&data)
        .arg("-CAfile")
        .arg(root().join("certs-example/wwdr-ca.pem"))
        .arg("-signer")
        .arg(&signer)
        .arg("-out")
        .arg(dir.join("verified.txt"))
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "the signed token verifies: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = std::fs::read(&signer).expect("signer");
    let cert = openssl::x509::X509::from_pem(&pem).expect("cert");
    format!("{:?}", cert.subject_name())
}

#[tokio::test]
async fn a_holder_signs_up_from_wallet_and_gets_a_personalized_pass() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let admin = h.key(&[Scope::Admin]).await;
    let (receiver, hook_url, _stop) = Receiver::start().await;
    let (status, _) = h
        .json(
            Method::POST,
            "/v1/webhooks",
            &admin,
            Some(json!({"url": hook_url, "events": ["pass.personalized", "user.created"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (server, stop) = serve(&h.state);
    let serial = unique("RW");
    let (status, pass) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "rewards-card", "serialNumber": serial, "customFields": {"memberId": "20000077"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pass}");
    let id = pass["id"].as_str().expect("id").to_owned();

    // The personalizable pass carries personalization.json and verifies.
    let (_, _, before) = h
        .send(
            Method::GET,
            &format!("/v1/passes/{id}/download"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    let offer: Value =
        serde_json::from_slice(&zip_member(&before, "personalization.json")).expect("offer");
    assert_eq!(
        offer["requiredPersonalizationFields"][0],
        "PKPassPersonalizationFieldName"
    );
    let pj: Value = serde_json::from_slice(&zip_member(&before, "pass.json")).expect("pass.json");
    assert!(pj["nfc"].is_object(), "Apple's NFC precondition");
    let token = pj["authenticationToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let file = write_pkpass(&h.dir, "personalizable.pkpass", &before);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // Wallet posts the holder's answers, without an Authorization header.
    let personalize = format!("{}/personalize", pass_path(&serial));
    let request = json!({
        "requiredPersonalizationInfo": {"givenName": "Grace", "familyName": "Hopper", "emailAddress": "grace@example.com"},
        "personalizationToken": "a-token-from-wallet-7f3a9c"
    });
    let (status, headers, signed) = h
        .send(Method::POST, &personalize, None, Some(request.clone()))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&signed)
    );
    assert_eq!(headers[header::CONTENT_TYPE], "application/octet-stream");
    let subject = openssl_verify_detached(&h.dir, &signed, b"a-token-from-wallet-7f3a9c");
    assert!(
        subject.contains(PASS_TYPE_ID),
        "signed with the pass certificate: {subject}"
    );

    // Wallet fetches the personalized pass: the answers are in it, the
    // sign-up offer is not.
    let (status, _, after) = apple(
        &h,
        Method::GET,
        &pass_path(&serial),
        Some(&token),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let pj: Value = serde_json::from_slice(&zip_member(&after, "pass.json")).expect("pass.json");
    let text = pj.to_string();
    assert!(
        text.contains("Grace Hopper") && text.contains("grace@example.com"),
        "{text}"
    );
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(after.clone())).expect("zip");
    let names: Vec<String> = (0..zip.len())
        .map(|i| {
            zip.by_index(i)
                .expect("member")
                .name()
                .expect("name")
                .into_owned()
        })
        .collect();
    assert!(
        !names.contains(&"personalization.json".to_owned()),
        "{names:?}"
    );
    let file = write_pkpass(&h.dir, "personalized.pkpass", &after);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // A user holds the answers, and the pass.
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &key, None)
        .await;
    assert_eq!(p["version"], 2, "{p}");
    let user = p["userId"].as_str().expect("a user").to_owned();
    let (_, u) = h
        .json(Method::GET, &format!("/v1/users/{user}"), &key, None)
        .await;
    assert_eq!(
        u["personalInfo"]["emailAddress"], "grace@example.com",
        "{u}"
    );
    assert_eq!(u["externalId"], format!("wallet:{serial}"));
    let got = receiver
        .wait(1, &|v| v["type"] == "pass.personalized")
        .await;
    assert_eq!(got[0].1["data"]["id"], id.as_str());
    assert_eq!(got[0].1["data"]["userId"], user.as_str());
    receiver.wait(1, &|v| v["type"] == "user.created").await;

    // Wallet retrying: signed again, nothing changes.
    let (status, _, again) = h
        .send(Method::POST, &personalize, None, Some(request))
        .await;
    assert_eq!(status, StatusCode::OK);
    openssl_verify_detached(&h.dir, &again, b"a-token-from-wallet-7f3a9c");
    let (_, p) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &key, None)
        .await;
    assert_eq!(p["version"], 2, "{p}");

    // Refusals: a wrong token, an unknown pass, a malformed body, a
    // template without sign-up.
    let body = json!({"requiredPersonalizationInfo": {}, "personalizationToken": "t"});
    let wrong = h
        .send(
            Method::POST,
            &personalize,
            Some(("authorization", "ApplePass wrong-token-0123456789")),
            Some(body.clone()),
        )
        .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    let unknown = h
        .send(
            Method::POST,
            &format!("{}/personalize", pass_path("NO-SUCH-SERIAL")),
            None,
            Some(body.clone()),
        )
        .await;
    assert_eq!(unknown.0, StatusCode::UNAUTHORIZED);
    let malformed = h
        .send(
            Method::POST,
            &personalize,
            None,
            Some(json!({"personalizationToken": 7})),
        )
        .await;
    assert_eq!(malformed.0, StatusCode::BAD_REQUEST);
    let (_, ticket_serial, _) = issued_pass(&h, &key).await;
    let (status, _, no) = h
        .send(
            Method::POST,
            &format!("{}/personalize", pass_path(&ticket_serial)),
            None,
            Some(body),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&no).contains("not_personalizable"));

    // Erasure: deleting the user with their passes leaves none of the answers.
    let (status, _, _) = h
        .send(
            Method::DELETE,
            &format!("/v1/users/{user}?passes=delete"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left = h
        .db_execute(
            "UPDATE users SET personal_info = personal_info WHERE id = $1",
            vec![DbArg::Text(user.clone())],
        )
        .await;
    assert_eq!(left, 0, "the user row and its answers are gone");
    let (status, _) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &key, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    stop.send(()).expect("stop");
    server.await.expect("join").expect("served");
}
