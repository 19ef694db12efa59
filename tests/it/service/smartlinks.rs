//! Signed smart links: minted offline with a link-signing key, the pass
//! made on the first open and only then, every forgery refused.

use super::*;
use passforge::smartlink::{mint, NewLink};

const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
const DESKTOP: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

/// The example templates, with event-ticket's attendee allowed unsigned.
fn templates(dir: &Path) -> PathBuf {
    let t = dir.join("templates");
    copy_dir(&root().join("templates"), &t);
    let path = t.join("event-ticket/template.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
    v["unsignedFields"] = json!(["attendee"]);
    std::fs::write(&path, v.to_string()).expect("write");
    t
}

/// The path and query of a minted link (its host is the test config's).
fn path_of(url: &str) -> String {
    url[url.find("/s/").expect("/s/")..].to_owned()
}

struct Key {
    id: String,
    secret: String,
}

async fn new_key(h: &Harness, admin: &str) -> Key {
    let (status, k) = h
        .json(
            Method::POST,
            "/v1/link-keys",
            admin,
            Some(json!({"description": "test"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{k}");
    Key {
        id: k["id"].as_str().expect("id").to_owned(),
        secret: k["secret"].as_str().expect("secret").to_owned(),
    }
}

fn link(
    key: &Key,
    lid: &str,
    seat: &str,
    expires: Option<i64>,
    unsigned: &[(&str, &str)],
) -> String {
    path_of(
        &mint(&NewLink {
            base_url: "http://127.0.0.1:8080",
            template: "event-ticket",
            fields: vec![
                ("seat".into(), seat.into()),
                ("doorsOpen".into(), "2027-06-12T19:00:00+01:00".into()),
            ],
            unsigned: unsigned
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            link_id: lid,
            expires,
            key_id: &key.id,
            secret: &key.secret,
        })
        .expect("mint"),
    )
}

async fn open(
    h: &Harness,
    path: &str,
    ua: &str,
    accept: Option<&str>,
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut req = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("user-agent", ua);
    if let Some(a) = accept {
        req = req.header("accept", a);
    }
    let res = router(h.state.clone())
        .oneshot(req.body(HttpBody::empty()).expect("request"))
        .await
        .expect("answer");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    (status, headers, bytes)
}

fn serial_of(pkpass: &[u8]) -> String {
    let pj: Value = serde_json::from_slice(&zip_member(pkpass, "pass.json")).expect("pass.json");
    pj["serialNumber"].as_str().expect("serial").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_smart_link_makes_its_pass_once_and_refuses_every_forgery() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let h = harness_with(Some(&templates(tmp.path())), generous()).await;
    let admin = h.key(&[Scope::Admin]).await;
    let key = new_key(&h, &admin).await;
    let soon = chrono::Utc::now().timestamp() + 3600;
    let lid = unique("order");
    let url = link(
        &key,
        &lid,
        "A1",
        Some(soon),
        &[("attendee", "Ada Lovelace")],
    );

    // An iPhone gets the pass; opening again gives the same pass.
    let (status, headers, first) = open(&h, &url, IPHONE, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&first)
    );
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "application/vnd.apple.pkpass"
    );
    let file = write_pkpass(&h.dir, "smart.pkpass", &first);
    own_verify(std::slice::from_ref(&file));
    shared_verify(&[file]);
    let pj: Value = serde_json::from_slice(&zip_member(&first, "pass.json")).expect("pass.json");
    let attendee = pj["eventTicket"]["primaryFields"]
        .as_array()
        .into_iter()
        .chain(pj["eventTicket"]["secondaryFields"].as_array())
        .flatten()
        .any(|f| f["value"] == "Ada Lovelace");
    assert!(attendee, "the unsigned name is on the pass: {pj}");
    let (_, _, again) = open(&h, &url, IPHONE, None).await;
    assert_eq!(serial_of(&again), serial_of(&first), "one pass per link id");
    let (_, l) = h
        .json(
            Method::GET,
            "/v1/passes?templateId=event-ticket&limit=100",
            &admin,
            None,
        )
        .await;
    assert_eq!(l["data"].as_array().expect("data").len(), 1, "{l}");

    // A desktop gets a page with both wallets.
    let (status, _, page) = open(&h, &url, DESKTOP, None).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8(page).expect("utf8");
    assert!(
        page.contains("wallet=apple") && page.contains("wallet=google"),
        "{page}"
    );
    assert!(page.contains("Ticket for Passforge Live 2027"), "{page}");

    // Tampered, other values for the same link id, expired, unsigned where not allowed, invalid.
    let tampered = url.replace("f.seat=A1", "f.seat=A9");
    let (status, _, body) = open(&h, &tampered, IPHONE, Some("text/html")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(String::from_utf8_lossy(&body).contains("signature does not check out"));
    let (status, _, body) = open(&h, &link(&key, &lid, "B2", Some(soon), &[]), IPHONE, None).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert!(String::from_utf8_lossy(&body).contains("link_values_changed"));
    let past = chrono::Utc::now().timestamp() - 10;
    let (status, _, _) = open(
        &h,
        &link(&key, &unique("o"), "A1", Some(past), &[]),
        IPHONE,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    let (status, _, body) = open(
        &h,
        &link(
            &key,
            &unique("o"),
            "A1",
            None,
            &[("seat", "Z9"), ("attendee", "x")],
        ),
        IPHONE,
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let long = "x".repeat(80);
    let (status, _, body) = open(
        &h,
        &link(&key, &unique("o"), "A1", None, &[("attendee", &long)]),
        IPHONE,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = serde_json::from_slice(&body).expect("problem");
    assert_eq!(e["errors"][0]["pointer"], "u.attendee", "{e}");

    // Rotation: a second key works beside the first; a revoked key's links stop.
    let second = new_key(&h, &admin).await;
    let (status, _, _) = open(
        &h,
        &link(&second, &unique("o"), "C3", None, &[("attendee", "Grace")]),
        IPHONE,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/link-keys/{}", key.id),
            &admin,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = open(&h, &url, IPHONE, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a revoked key's links stop");
    let (_, keys) = h.json(Method::GET, "/v1/link-keys", &admin, None).await;
    assert!(
        !keys.to_string().contains(&second.secret),
        "secrets are shown once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_first_opens_at_once_make_one_pass() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let h = harness_with(Some(&templates(tmp.path())), generous()).await;
    let admin = h.key(&[Scope::Admin]).await;
    let key = new_key(&h, &admin).await;
    let url = link(&key, &unique("rush"), "D4", None, &[("attendee", "Ada")]);
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let state = h.state.clone();
        let url = url.clone();
        set.spawn(async move {
            let req = Request::builder()
                .uri(&url)
                .header("user-agent", IPHONE)
                .body(HttpBody::empty())
                .expect("request");
            let res = router(state).oneshot(req).await.expect("answer");
            assert_eq!(res.status(), StatusCode::OK);
            res.into_body()
                .collect()
                .await
                .expect("body")
                .to_bytes()
                .to_vec()
        });
    }
    let mut serials = std::collections::BTreeSet::new();
    while let Some(r) = set.join_next().await {
        serials.insert(serial_of(&r.expect("task")));
    }
    assert_eq!(serials.len(), 1, "{serials:?}");
}
