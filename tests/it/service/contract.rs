//! The API contract: the OpenAPI document against the routes.

use super::*;

#[tokio::test]
async fn openapi_documents_every_route_and_only_routes() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let (status, _, body) = h.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("ops") {
            documented += 1;
            let uri = path.replace('{', "x").replace('}', "");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let (status, _, body) = h
                .send(method.clone(), &uri, Some(("x-api-key", &admin)), None)
                .await;
            let text = String::from_utf8_lossy(&body);
            assert_ne!(
                status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed"
            );
            assert!(
                !text.contains("route_not_found"),
                "{method} {path} is documented but not routed"
            );
            // Every $ref resolves.
            for r in op
                .to_string()
                .split("\"$ref\":\"#/components/schemas/")
                .skip(1)
            {
                let name = r.split('"').next().expect("name");
                assert!(doc["components"]["schemas"].get(name).is_some(), "{name}");
            }
        }
    }
    assert_eq!(documented, passforge::service::openapi::ROUTES.len());
    // A route missing from the table would show up here.
    for (method, uri) in [("GET", "/v1/nothing"), ("POST", "/v1/templates")] {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let (status, _, _) = h.send(method, uri, Some(("x-api-key", &admin)), None).await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED);
    }
}
