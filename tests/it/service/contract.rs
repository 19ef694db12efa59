//! The API contract: the OpenAPI document against the router and against
//! real answers, and the layering rules of `src/service`.

use super::*;

/// The document as served.
async fn document(h: &Harness) -> Value {
    let (status, headers, body) = h.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    serde_json::from_slice(&body).expect("json")
}

/// The SDKs in `sdk/` are generated from `sdk/openapi.json`: a route or type
/// changed without regenerating them fails here, before CI's regeneration
/// check (`sdk/generate.sh --check`) would.
#[test]
fn the_sdks_are_generated_from_the_current_document() {
    let committed: Value = serde_json::from_slice(
        &std::fs::read(crate::support::root().join("sdk/openapi.json")).expect("sdk/openapi.json"),
    )
    .expect("sdk/openapi.json is JSON");
    assert!(
        committed == passforge::service::openapi_document(),
        "sdk/openapi.json is not the service's document: run sdk/generate.sh (after `cargo build`) and commit sdk/"
    );
}

#[tokio::test]
async fn every_documented_operation_is_routed_and_every_ref_resolves() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let doc = document(&h).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc,
        passforge::service::openapi_document(),
        "`passforge openapi` prints what the server serves"
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut documented = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("ops") {
            documented += 1;
            assert!(
                op["operationId"].is_string(),
                "{method} {path}: operationId"
            );
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
            // Every answer the route gave is documented.
            assert!(
                op["responses"].get(status.as_str()).is_some(),
                "{method} {path} answered {status} ({text}) but documents only {}",
                op["responses"]
            );
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
    // The push-notifications route was once routed but undocumented.
    assert!(paths["/v1/passes/{id}/push-notifications"]["post"].is_object());
    assert!(documented >= 55, "{documented} operations");
    // Routes outside the table answer the fallback.
    for (method, uri) in [("GET", "/v1/nothing"), ("PUT", "/v1/passes")] {
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let (status, _, _) = h.send(method, uri, Some(("x-api-key", &admin)), None).await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED);
    }
}

/// The Rust sources under `dir`, recursively: (path, text without comments).
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            out.extend(sources(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).expect("source");
            let code: String = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            out.push((p, code));
        }
    }
    out
}

#[test]
fn the_service_layers_depend_one_way() {
    let service = root().join("src/service");
    let under = |p: &Path, d: &str| p.starts_with(service.join(d));
    for (path, code) in sources(&service) {
        let name = path.display();
        if !under(&path, "db") {
            assert!(
                !code.contains("sqlx"),
                "{name} names sqlx: SQL lives in service/db"
            );
        }
        if !under(&path, "http") {
            for word in ["axum", "tower"] {
                assert!(
                    !code.contains(&format!("{word}::")),
                    "{name} names {word}: only service/http does"
                );
            }
        }
        let uses = |m: &str| code.contains(&format!("crate::service::{m}"));
        let rules: &[(&str, &[&str])] = &[
            ("domain", &["http", "delivery"]),
            ("delivery", &["http", "domain"]),
            ("outbox", &["http", "domain", "delivery"]),
            ("db", &["http", "domain", "delivery", "outbox", "state"]),
        ];
        for (layer, forbidden) in rules {
            if under(&path, layer) {
                for f in *forbidden {
                    assert!(!uses(f), "{name}: {layer} must not import service::{f}");
                }
            }
        }
        if under(&path, "http") {
            assert!(
                !uses("db"),
                "{name}: http reaches the database through domain"
            );
            // Every route goes through the documented table.
            for call in [".route(", ".route_service(", ".nest_service("] {
                assert!(
                    !code.contains(call),
                    "{name}: `{call}` adds a route outside the documented table"
                );
            }
        }
    }
}

/// The response schema `doc` gives `method path` for `status` (JSON
/// answers), as a document jsonschema can compile.
fn response_schema(doc: &Value, method: &str, path: &str, status: u16) -> Option<Value> {
    let content = &doc["paths"][path][method]["responses"][status.to_string()]["content"];
    let schema = content
        .get("application/json")
        .or_else(|| content.get("application/problem+json"))?
        .get("schema")?
        .clone();
    let mut root = json!({"$schema": "https://json-schema.org/draft/2020-12/schema"});
    root["allOf"] = json!([schema]);
    root["components"] = doc["components"].clone();
    Some(root)
}

/// Checks a real answer against its documented schema.
fn conforms(doc: &Value, method: &str, path: &str, status: StatusCode, body: &Value) {
    let schema = response_schema(doc, method, path, status.as_u16())
        .unwrap_or_else(|| panic!("{method} {path}: {status} is not documented with a JSON body"));
    let v = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    let errors: Vec<String> = v
        .iter_errors(body)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: {errors:?}\n{body}"
    );
}

#[tokio::test]
async fn real_answers_match_their_documented_schemas() {
    let h = harness().await;
    let admin = h.key(&[Scope::Admin]).await;
    let doc = document(&h).await;
    let user = unique("contract");
    let mut checked = 0;
    let mut check = |method: &str, path: &str, status: StatusCode, body: &Value| {
        conforms(&doc, method, path, status, body);
        checked += 1;
    };

    let (s, v) = h.json(Method::GET, "/v1/providers", &admin, None).await;
    check("get", "/v1/providers", s, &v);
    let (s, v) = h.json(Method::GET, "/v1/templates", &admin, None).await;
    check("get", "/v1/templates", s, &v);
    let (s, v) = h
        .json(Method::GET, "/v1/templates/event-ticket", &admin, None)
        .await;
    check("get", "/v1/templates/{id}", s, &v);
    let (s, v) = h
        .json(
            Method::POST,
            "/v1/users",
            &admin,
            Some(json!({"externalId": user})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    check("post", "/v1/users", s, &v);
    let user_id = v["id"].as_str().expect("id").to_owned();
    let (s, v) = h
        .json(
            Method::POST,
            "/v1/passes",
            &admin,
            Some(ticket(&unique("CT"), &user_id)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    check("post", "/v1/passes", s, &v);
    let id = v["id"].as_str().expect("id").to_owned();
    let (s, v) = h
        .json(Method::GET, &format!("/v1/passes/{id}"), &admin, None)
        .await;
    check("get", "/v1/passes/{id}", s, &v);
    let (s, v) = h
        .json(
            Method::PATCH,
            &format!("/v1/passes/{id}"),
            &admin,
            Some(json!({"customFields": {"seat": "B2"}, "relevantDate": null})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    check("patch", "/v1/passes/{id}", s, &v);
    let (s, v) = h
        .json(
            Method::POST,
            &format!("/v1/passes/{id}/push-notifications"),
            &admin,
            Some(json!({"message": "Doors open at 19:00"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    check("post", "/v1/passes/{id}/push-notifications", s, &v);
    let (s, v) = h
        .json(
            Method::GET,
            &format!("/v1/passes?limit=2&userId={user_id}"),
            &admin,
            None,
        )
        .await;
    check("get", "/v1/passes", s, &v);
    let (s, v) = h
        .json(
            Method::GET,
            &format!("/v1/passes/{id}/google"),
            &admin,
            None,
        )
        .await;
    check("get", "/v1/passes/{id}/google", s, &v);
    let (s, v) = h
        .json(
            Method::POST,
            "/v1/links",
            &admin,
            Some(json!({"passId": id, "externalId": "order-1"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    check("post", "/v1/links", s, &v);
    let (s, v) = h.json(Method::GET, "/v1/links", &admin, None).await;
    check("get", "/v1/links", s, &v);
    let (s, v) = h
        .json(
            Method::GET,
            &format!("/v1/connections?passId={id}"),
            &admin,
            None,
        )
        .await;
    check("get", "/v1/connections", s, &v);
    let (s, v) = h
        .json(
            Method::POST,
            "/v1/webhooks",
            &admin,
            // Nothing listens there; deleted below, so that other tests
            // sharing a PostgreSQL database do not deliver to it.
            Some(json!({"url": "http://127.0.0.1:9/x", "events": ["user.deleted"]})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    check("post", "/v1/webhooks", s, &v);
    let hook = v["id"].as_str().expect("id").to_owned();
    let (s, v) = h
        .json(
            Method::GET,
            &format!("/v1/webhooks/{hook}/deliveries"),
            &admin,
            None,
        )
        .await;
    check("get", "/v1/webhooks/{id}/deliveries", s, &v);
    let (s, _) = h
        .json(
            Method::DELETE,
            &format!("/v1/webhooks/{hook}"),
            &admin,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = h
        .json(
            Method::POST,
            &format!("/v1/users/{user_id}/tokens"),
            &admin,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    check("post", "/v1/users/{id}/tokens", s, &v);
    let (s, v) = h
        .json(
            Method::POST,
            "/v1/passes/batch",
            &admin,
            Some(
                json!({"templateId": "event-ticket", "items": [{"customFields": {"seat": "C3"}}]}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    check("post", "/v1/passes/batch", s, &v);
    let (s, v) = h
        .json(
            Method::GET,
            &format!("/v1/jobs/{}", v["id"].as_str().expect("id")),
            &admin,
            None,
        )
        .await;
    check("get", "/v1/jobs/{id}", s, &v);
    // Errors are problems as documented.
    let (s, v) = h.json(Method::GET, "/v1/passes/nope", &admin, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    check("get", "/v1/passes/{id}", s, &v);
    let (s, v) = h
        .json(
            Method::POST,
            "/v1/passes",
            &admin,
            Some(json!({"templateId": 7})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    check("post", "/v1/passes", s, &v);
    let (s, _, body) = h.send(Method::GET, "/healthz", None, None).await;
    check(
        "get",
        "/healthz",
        s,
        &serde_json::from_slice(&body).expect("json"),
    );
    assert!(checked >= 20, "{checked} answers checked");
}

#[tokio::test]
async fn one_answer_reports_every_problem_of_a_body() {
    let h = harness().await;
    let key = h.key(&[Scope::Write]).await;
    // A structural problem (a number where a date-time goes) and a field
    // problem of the template (no `seat`), in one 422.
    let (status, p) = h
        .json(
            Method::POST,
            "/v1/passes",
            &key,
            Some(json!({"templateId": "event-ticket", "relevantDate": 20270612, "customFields": {"attendee": "x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    for expected in [
        "/relevantDate",
        "/customFields/seat",
        "/customFields/doorsOpen",
    ] {
        assert!(pointers.contains(&expected), "{expected} in {p}");
    }
    // Query parameters are typed: a bad one is 400, as documented.
    let (status, p) = h
        .json(Method::GET, "/v1/passes?limit=abc", &key, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{p}");
    assert_eq!(p["code"], "bad_query");
    let (status, p) = h.json(Method::GET, "/v1/passes?limit=0", &key, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "limit");
    // A required body cannot be left out.
    let (status, _, _) = h.send(Method::POST, "/apple/v1/log", None, None).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _, _) = h
        .send(Method::POST, "/apple/v1/log", None, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
