//! `/docs`: the interactive API reference, served from the binary.

use super::*;

#[tokio::test]
async fn the_reference_page_and_its_files_are_served_from_the_binary() {
    let h = harness().await;
    let (status, headers, page) = h.send(Method::GET, "/docs", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .expect("type")
        .starts_with("text/html"));
    let page = String::from_utf8(page.to_vec()).expect("utf8");
    assert!(page.contains("docs/swagger-ui-bundle.js") && page.contains("docs/init.js"));
    assert!(!page.contains("http"), "nothing from elsewhere: {page}");
    for (file, kind, min) in [
        ("swagger-ui-bundle.js", "text/javascript", 1_000_000),
        ("swagger-ui.css", "text/css", 100_000),
        ("init.js", "text/javascript", 100),
    ] {
        let (status, headers, body) = h
            .send(Method::GET, &format!("/docs/{file}"), None, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .expect("type")
                .starts_with(kind),
            "{file}"
        );
        assert!(body.len() >= min, "{file}: {} bytes", body.len());
        let etag = headers[header::ETAG].to_str().expect("etag").to_owned();
        let req = Request::builder()
            .uri(format!("/docs/{file}"))
            .header(header::IF_NONE_MATCH, &etag)
            .body(HttpBody::empty())
            .expect("request");
        let res = router(h.state.clone()).oneshot(req).await.expect("answer");
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{file}");
    }
    let (status, _, _) = h.send(Method::GET, "/docs/evil.js", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, body) = h.send(Method::GET, "/no/such/route", None, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        String::from_utf8_lossy(&body).contains("/docs"),
        "a 404 points to the reference"
    );
}

#[cfg(feature = "studio")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_browser_the_reference_lists_every_operation_offline() {
    let h = harness().await;
    let (addr, server, stop) = serve_std(&h.state);
    let operations = {
        let doc = passforge::service::openapi_document();
        doc["paths"]
            .as_object()
            .expect("paths")
            .values()
            .flat_map(|p| p.as_object().expect("ops").values())
            .filter_map(|op| op["operationId"].as_str().map(str::to_owned))
            .count()
    };
    tokio::task::spawn_blocking(move || {
        let Some(browser) = crate::browser::Browser::start("API reference in a browser") else {
            return;
        };
        browser.goto(&format!("http://{addr}/docs"));
        browser.wait_for(
            "every operation listed",
            &format!("return document.querySelectorAll('.opblock').length === {operations};"),
        );
        let text = browser.eval("return document.body.innerText;");
        let text = text.as_str().expect("text");
        assert!(
            text.contains("/v1/passes") && text.contains("/v1/webhooks"),
            "{text}"
        );
    })
    .await
    .expect("browser steps");
    let _ = stop.send(());
    server.await.expect("join").expect("serve");
}
