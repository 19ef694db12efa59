//! Each pass version is signed once: downloads, second instances and job
//! zips serve the bytes signed when the version was written; a lost copy
//! is signed again to the same bytes; a renewed certificate never serves
//! the old signatures.

use super::*;

/// Served `.pkpass`es of an instance by source: memory, database, signed.
pub(super) fn served(state: &AppState) -> [u64; 3] {
    ["memory", "database", "signed"].map(|source| {
        metric(
            state,
            &format!("passforge_pkpass_served_total{{source=\"{source}\"}}"),
        )
    })
}

/// `GET /v1/passes/{id}/download` on `state`: its ETag and bytes.
pub(super) async fn download(state: &AppState, id: &str, key: &str) -> (String, Vec<u8>) {
    let req = Request::builder()
        .uri(format!("/v1/passes/{id}/download"))
        .header("x-api-key", key)
        .body(HttpBody::empty())
        .expect("request");
    let res = router(state.clone()).oneshot(req).await.expect("answer");
    assert_eq!(res.status(), StatusCode::OK);
    let etag = res.headers()[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let bytes = res.into_body().collect().await.expect("body").to_bytes();
    (etag, bytes.to_vec())
}

/// An instance on `url` with another configuration.
async fn instance_with(url: &str, change: impl FnOnce(&mut ServiceConfig)) -> AppState {
    let mut config = test_config(RateLimit::default());
    change(&mut config);
    AppState::new(
        Store::connect(url).await.expect("database"),
        &root().join("templates"),
        config,
    )
}

/// The test identity's certificate renewed: same subject, key and
/// Pass Type ID marker, a new serial number and validity, signed by the
/// test WWDR CA.
fn renewed_identity() -> passforge::apple::SigningIdentity {
    use openssl::{asn1::Asn1Time, bn::BigNum, hash::MessageDigest, pkey::PKey, x509};
    use passforge::apple::test_identity::{CERT_PEM, KEY_PEM, WWDR_PEM};
    let old = x509::X509::from_pem(CERT_PEM).expect("cert");
    let ca = x509::X509::from_pem(WWDR_PEM).expect("ca");
    let ca_key = PKey::private_key_from_pem(
        &std::fs::read(root().join("certs-example/wwdr-ca.key")).expect("ca key"),
    )
    .expect("ca key");
    let mut b = x509::X509Builder::new().expect("builder");
    b.set_version(2).expect("version");
    let serial = BigNum::from_u32(0x5EED_2027).expect("serial");
    b.set_serial_number(&serial.to_asn1_integer().expect("serial"))
        .expect("serial");
    b.set_subject_name(old.subject_name()).expect("subject");
    b.set_issuer_name(ca.subject_name()).expect("issuer");
    b.set_pubkey(&old.public_key().expect("key")).expect("key");
    let now = chrono::Utc::now().timestamp();
    b.set_not_before(&Asn1Time::from_unix(now - 3600).expect("time"))
        .expect("not before");
    b.set_not_after(&Asn1Time::from_unix(now + 365 * 86_400).expect("time"))
        .expect("not after");
    let oid = openssl::asn1::Asn1Object::from_str("1.2.840.113635.100.6.1.16").expect("oid");
    let marker = openssl::asn1::Asn1OctetString::new_from_bytes(&[0x05, 0x00]).expect("der");
    b.append_extension(x509::X509Extension::new_from_der(&oid, false, &marker).expect("ext"))
        .expect("marker");
    b.sign(&ca_key, MessageDigest::sha256()).expect("sign");
    let pem = b.build().to_pem().expect("pem");
    passforge::apple::SigningIdentity::from_pem(&pem, Some(KEY_PEM), None, WWDR_PEM)
        .expect("renewed identity")
}

#[tokio::test]
async fn a_version_is_signed_once_and_served_from_then_on() {
    for sqlite in backends() {
        signed_once_on(sqlite).await;
    }
}

async fn signed_once_on(sqlite: bool) {
    let h = harness_on(None, generous(), sqlite).await;
    let key = h.key(&[Scope::Write]).await;
    let pass = created_ticket(&h, &key, "ONCE").await;
    let id = pass["id"].as_str().expect("id").to_owned();

    // The create's signature is what the download serves, from memory.
    let (etag, first) = download(&h.state, &id, &key).await;
    assert_eq!(etag, format!("\"{id}-v1\""), "the ETag is unchanged");
    assert_eq!(served(&h.state), [1, 0, 0]);
    let file = write_pkpass(&h.dir, "once.pkpass", &first);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);

    // A second instance (nothing in its memory) assembles the pass around
    // the signature the create kept in the database: no signing.
    let second = instance(&h.db_url).await;
    assert_eq!(download(&second, &id, &key).await.1, first);
    assert_eq!(download(&second, &id, &key).await.1, first);
    assert_eq!(served(&second), [1, 1, 0]);

    // Without memory, every download is assembled around the kept
    // signature; none signs.
    let forgetful = instance_with(&h.db_url, |c| c.signed_cache_bytes = 0).await;
    for _ in 0..3 {
        assert_eq!(download(&forgetful, &id, &key).await.1, first);
    }
    assert_eq!(served(&forgetful), [0, 3, 0]);

    // The kept signature lost: signed again, deterministically the same
    // bytes (the create signed what the stored fields sign to), and kept.
    let removed = h
        .db_execute(
            "DELETE FROM signed_passes WHERE pass_id = $1",
            vec![DbArg::Text(id.clone())],
        )
        .await;
    assert_eq!(removed, 1, "the create kept its signature");
    let third = instance(&h.db_url).await;
    assert_eq!(download(&third, &id, &key).await.1, first);
    assert_eq!(served(&third), [0, 0, 1]);
    let fourth = instance(&h.db_url).await;
    assert_eq!(download(&fourth, &id, &key).await.1, first);
    assert_eq!(served(&fourth), [0, 1, 0], "the new signature was kept");

    // A new version is signed when it is written and served from then on,
    // by this instance from memory and by the others from the database.
    let (status, changed) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &key,
            Some(json!({"customFields": {"seat": "B7"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let (etag, v2) = download(&h.state, &id, &key).await;
    assert_eq!(etag, format!("\"{id}-v2\""));
    assert_ne!(v2, first);
    let pj: Value = serde_json::from_slice(&zip_member(&v2, "pass.json")).expect("pass.json");
    assert!(pj.to_string().contains("B7"), "{pj}");
    assert_eq!(served(&h.state), [2, 0, 0]);
    assert_eq!(download(&second, &id, &key).await.1, v2);
    assert_eq!(
        served(&second),
        [1, 2, 0],
        "the old version's bytes in memory were not served"
    );

    // A renewed certificate signs the version again: never the bytes signed
    // by the certificate before it.
    let renewed = instance_with(&h.db_url, |c| c.identity = renewed_identity()).await;
    let (_, by_renewed) = download(&renewed, &id, &key).await;
    assert_eq!(served(&renewed), [0, 0, 1]);
    assert_ne!(by_renewed, v2);
    let signature = zip_member(&by_renewed, "signature");
    let p7 = openssl::pkcs7::Pkcs7::from_der(&signature).expect("pkcs7");
    let signers = p7
        .signed()
        .and_then(|s| s.certificates())
        .expect("certificates");
    assert!(
        signers
            .iter()
            .any(|c| c.serial_number().to_bn().expect("bn")
                == openssl::bn::BigNum::from_u32(0x5EED_2027).expect("bn")),
        "signed by the renewed certificate"
    );
    let file = write_pkpass(&h.dir, "renewed.pkpass", &by_renewed);
    own_verify(std::slice::from_ref(&file));
    // And the instances on the old certificate keep serving their own.
    assert_eq!(download(&h.state, &id, &key).await.1, v2);

    // A deleted pass's kept signature goes with it.
    let (status, _, _) = h
        .send(
            Method::DELETE,
            &format!("/v1/passes/{id}"),
            Some(("x-api-key", &key)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left = h
        .db_execute(
            "DELETE FROM signed_passes WHERE pass_id = $1",
            vec![DbArg::Text(id.clone())],
        )
        .await;
    assert_eq!(left, 0, "the kept signature was deleted with the pass");
    for s in [second, forgetful, third, fourth, renewed] {
        s.inner.store.close().await;
    }
}

#[tokio::test]
async fn a_kept_pass_goes_out_whole_with_its_length_over_a_real_socket() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    let pass = created_ticket(&h, &key, "SOCK").await;
    let id = pass["id"].as_str().expect("id").to_owned();
    let (_, expected) = download(&h.state, &id, &key).await;

    let (addr, server, stop) = serve_std(&h.state);
    // From memory: the template's shared images and the pass's own bytes,
    // sent as one body of known length (not chunked).
    let (_, head, body) = raw_get(addr, &format!("/v1/passes/{id}/download"), Some(&key)).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(
        head.contains(&format!("\r\ncontent-length: {}", expected.len())),
        "{head}"
    );
    assert!(!head.contains("transfer-encoding"), "{head}");
    assert_eq!(body, expected, "byte for byte the pass");
    assert_eq!(served(&h.state)[0], 2, "both from memory");
    let file = write_pkpass(&h.dir, "socket.pkpass", &body);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}
