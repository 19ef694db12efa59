//! The OpenAPI 3.1 document (`GET /openapi.json`), built from [`ROUTES`]:
//! one entry per route with its scope, parameters, body and answers. A
//! test walks the table against the router, so a route cannot be added to
//! one and forgotten in the other.

use serde_json::{json, Map, Value};

/// One documented operation.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path with `{param}` placeholders, as routed.
    pub path: &'static str,
    /// Scope needed (`None`: public).
    pub scope: Option<&'static str>,
    /// One-line summary.
    pub summary: &'static str,
    /// Request body schema name in `components/schemas` (or a media type
    /// for non-JSON bodies: `application/zip`).
    pub body: Option<&'static str>,
    /// Success status and its schema name (or media type).
    pub ok: (u16, Option<&'static str>),
    /// Query parameters.
    pub query: &'static [&'static str],
}

const fn r(
    method: &'static str,
    path: &'static str,
    scope: Option<&'static str>,
    summary: &'static str,
    body: Option<&'static str>,
    ok: (u16, Option<&'static str>),
    query: &'static [&'static str],
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        scope,
        summary,
        body,
        ok,
        query,
    }
}

/// Every route of the service.
pub const ROUTES: &[RouteDoc] = &[
    r(
        "GET",
        "/healthz",
        None,
        "Liveness",
        None,
        (200, Some("Status")),
        &[],
    ),
    r(
        "GET",
        "/readyz",
        None,
        "Readiness (database reachable)",
        None,
        (200, Some("Status")),
        &[],
    ),
    r(
        "GET",
        "/metrics",
        None,
        "Prometheus metrics",
        None,
        (200, Some("text/plain")),
        &[],
    ),
    r(
        "GET",
        "/openapi.json",
        None,
        "This document",
        None,
        (200, Some("Object")),
        &[],
    ),
    r(
        "GET",
        "/templates/{id}/{file}",
        None,
        "A template image (public; Google Wallet fetches it)",
        None,
        (200, Some("image/png")),
        &[],
    ),
    r(
        "GET",
        "/v1/providers",
        Some("read"),
        "Wallet providers: configuration, operations, result schemas",
        None,
        (200, Some("ProviderList")),
        &[],
    ),
    r(
        "GET",
        "/v1/templates",
        Some("read"),
        "List templates",
        None,
        (200, Some("TemplateList")),
        &[],
    ),
    r(
        "GET",
        "/v1/templates/{id}",
        Some("read"),
        "Get a template with the JSON Schema of its fields",
        None,
        (200, Some("Template")),
        &[],
    ),
    r(
        "PUT",
        "/v1/templates/{id}",
        Some("admin"),
        "Create or replace a template from a zip of its folder",
        Some("application/zip"),
        (201, Some("TemplateUpload")),
        &[],
    ),
    r(
        "DELETE",
        "/v1/templates/{id}",
        Some("admin"),
        "Delete a template (409 while passes use it unless force)",
        None,
        (204, None),
        &["force"],
    ),
    r(
        "POST",
        "/v1/passes",
        Some("write"),
        "Create a pass",
        Some("PassCreate"),
        (201, Some("Pass")),
        &[],
    ),
    r(
        "GET",
        "/v1/passes",
        Some("read"),
        "List passes (cursor pagination)",
        None,
        (200, Some("PassList")),
        &["limit", "startingAfter", "templateId", "status", "userId"],
    ),
    r(
        "GET",
        "/v1/passes/{id}",
        Some("read"),
        "Get a pass",
        None,
        (200, Some("Pass")),
        &[],
    ),
    r(
        "PATCH",
        "/v1/passes/{id}",
        Some("write"),
        "Change a pass (a new version)",
        Some("PassUpdate"),
        (200, Some("Pass")),
        &[],
    ),
    r(
        "DELETE",
        "/v1/passes/{id}",
        Some("write"),
        "Delete a pass",
        None,
        (204, None),
        &[],
    ),
    r(
        "POST",
        "/v1/passes/{id}/void",
        Some("write"),
        "Void a pass",
        None,
        (200, Some("Pass")),
        &[],
    ),
    r(
        "GET",
        "/v1/passes/{id}/download",
        Some("read"),
        "The signed .pkpass of the current version",
        None,
        (200, Some("application/vnd.apple.pkpass")),
        &[],
    ),
    r(
        "GET",
        "/v1/passes/{id}/google",
        Some("read"),
        "The Google Wallet save link",
        None,
        (200, Some("GoogleSave")),
        &[],
    ),
    r(
        "POST",
        "/v1/passes/batch",
        Some("write"),
        "Queue a batch job",
        Some("BatchCreate"),
        (202, Some("Job")),
        &[],
    ),
    r(
        "GET",
        "/v1/jobs/{id}",
        Some("read"),
        "Job progress and item errors",
        None,
        (200, Some("Job")),
        &[],
    ),
    r(
        "GET",
        "/v1/jobs/{id}/download",
        Some("read"),
        "A zip of the job's passes",
        None,
        (200, Some("application/zip")),
        &[],
    ),
    r("POST", "/v1/links", Some("write"), "Create a distribution link (templateId + customFields, or passId)", Some("LinkCreate"), (201, Some("Link")), &[]),
    r("GET", "/v1/links", Some("read"), "List links (newest 100)", None, (200, Some("Object")), &[]),
    r("GET", "/v1/links/{id}", Some("read"), "A link: status and the passes it issued", None, (200, Some("Link")), &[]),
    r("POST", "/v1/links/{id}/revoke", Some("write"), "Revoke a link", None, (200, Some("Link")), &[]),
    r("POST", "/google/callbacks", None, "Google Wallet save/delete callbacks (ECv2SigningOnly)", Some("Object"), (200, None), &[]),
    r("GET", "/l/{code}", None, "Open a link: .pkpass for Apple devices, redirect to Google for Android, a landing page otherwise", None, (200, Some("text/html")), &[]),
    r("GET", "/l/{code}/apple", None, "Open a link for Apple Wallet", None, (200, Some("application/vnd.apple.pkpass")), &[]),
    r("GET", "/l/{code}/google", None, "Open a link for Google Wallet (302 to the save URL)", None, (302, None), &[]),
    r("GET", "/l/{code}/qr.png", None, "The QR code of a link", None, (200, Some("image/png")), &[]),
    r(
        "GET",
        "/v1/connections",
        Some("read"),
        "List connections (installations of passes in wallets)",
        None,
        (200, Some("ConnectionList")),
        &[
            "passId",
            "userId",
            "platform",
            "state",
            "limit",
            "startingAfter",
        ],
    ),
    r(
        "GET",
        "/v1/connections/{id}",
        Some("read"),
        "Get a connection",
        None,
        (200, Some("Connection")),
        &[],
    ),
    r(
        "DELETE",
        "/v1/connections/{id}",
        Some("write"),
        "Stop pushing to a connection",
        None,
        (204, None),
        &[],
    ),
    r(
        "POST",
        "/v1/connections/{id}/sync",
        Some("write"),
        "Push to a connection now",
        None,
        (202, Some("Object")),
        &[],
    ),
    r(
        "POST",
        "/v1/users",
        Some("write"),
        "Create a user",
        Some("UserCreate"),
        (201, Some("User")),
        &[],
    ),
    r(
        "GET",
        "/v1/users/{id}",
        Some("read"),
        "Get a user",
        None,
        (200, Some("User")),
        &[],
    ),
    r(
        "DELETE",
        "/v1/users/{id}",
        Some("write"),
        "Delete a user (tokens revoked; passes detached or deleted)",
        None,
        (204, None),
        &["passes"],
    ),
    r(
        "POST",
        "/v1/users/{id}/tokens",
        Some("write"),
        "Create a user-scoped token (shown once)",
        Some("UserTokenCreate"),
        (201, Some("UserToken")),
        &[],
    ),
    r(
        "DELETE",
        "/v1/users/{id}/tokens/{token}",
        Some("write"),
        "Revoke a user token",
        None,
        (204, None),
        &[],
    ),
    r(
        "GET",
        "/v1/me/passes",
        Some("user"),
        "The user's passes (user token)",
        None,
        (200, Some("Object")),
        &[],
    ),
    r(
        "GET",
        "/v1/me/passes/{id}/download",
        Some("user"),
        "One of the user's passes (user token)",
        None,
        (200, Some("application/vnd.apple.pkpass")),
        &[],
    ),
    r(
        "GET",
        "/v1/me/connections",
        Some("user"),
        "The user's connections (user token)",
        None,
        (200, Some("ConnectionList")),
        &[],
    ),
    r(
        "POST",
        "/apple/v1/devices/{device}/registrations/{passTypeId}/{serial}",
        Some("applePass"),
        "PassKit: register a device for a pass",
        Some("Object"),
        (201, None),
        &[],
    ),
    r(
        "DELETE",
        "/apple/v1/devices/{device}/registrations/{passTypeId}/{serial}",
        Some("applePass"),
        "PassKit: unregister",
        None,
        (200, None),
        &[],
    ),
    r(
        "GET",
        "/apple/v1/devices/{device}/registrations/{passTypeId}",
        None,
        "PassKit: serial numbers changed since a tag",
        None,
        (200, Some("Object")),
        &["passesUpdatedSince"],
    ),
    r(
        "GET",
        "/apple/v1/passes/{passTypeId}/{serial}",
        Some("applePass"),
        "PassKit: the latest pass",
        None,
        (200, Some("application/vnd.apple.pkpass")),
        &[],
    ),
    r(
        "POST",
        "/apple/v1/log",
        None,
        "PassKit: device logs",
        Some("Object"),
        (200, None),
        &[],
    ),
    r(
        "POST",
        "/v1/webhooks",
        Some("admin"),
        "Create a webhook endpoint (the secret is returned once)",
        Some("WebhookCreate"),
        (201, Some("Webhook")),
        &[],
    ),
    r(
        "GET",
        "/v1/webhooks",
        Some("admin"),
        "List webhook endpoints",
        None,
        (200, Some("WebhookList")),
        &[],
    ),
    r(
        "GET",
        "/v1/webhooks/{id}",
        Some("admin"),
        "Get a webhook endpoint",
        None,
        (200, Some("Webhook")),
        &[],
    ),
    r(
        "DELETE",
        "/v1/webhooks/{id}",
        Some("admin"),
        "Delete a webhook endpoint",
        None,
        (204, None),
        &[],
    ),
    r(
        "GET",
        "/v1/webhooks/{id}/deliveries",
        Some("admin"),
        "Deliveries of an endpoint",
        None,
        (200, Some("DeliveryList")),
        &["limit", "startingAfter"],
    ),
    r(
        "POST",
        "/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
        Some("admin"),
        "Send a delivery's event again",
        None,
        (202, Some("Object")),
        &[],
    ),
    r(
        "POST",
        "/v1/webhooks/{id}/test",
        Some("admin"),
        "Send a webhook.test event",
        None,
        (202, Some("Object")),
        &[],
    ),
];

fn schemas() -> Value {
    let date = json!({"type": "string", "format": "date-time"});
    let opt_str = json!({"type": ["string", "null"]});
    json!({
        "Object": {"type": "object"},
        "Status": {"type": "object", "properties": {"status": {"type": "string"}}},
        "Problem": {
            "type": "object",
            "required": ["type", "title", "status", "detail", "code"],
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "code": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object", "properties": {"pointer": {"type": "string"}, "detail": {"type": "string"}}}}
            }
        },
        "CustomFields": {
            "type": "object",
            "description": "field name → value, or {value, label} to override the field's label; the template's JSON Schema (GET /v1/templates/{id}) says which fields exist",
            "additionalProperties": true
        },
        "PassCreate": {
            "type": "object", "required": ["templateId"], "additionalProperties": false,
            "properties": {
                "templateId": {"type": "string"}, "serialNumber": {"type": "string"},
                "customFields": {"$ref": "#/components/schemas/CustomFields"},
                "relevantDate": date, "expirationDate": date, "userId": {"type": "string"}
            }
        },
        "PassUpdate": {
            "type": "object", "additionalProperties": false,
            "properties": {
                "customFields": {"$ref": "#/components/schemas/CustomFields"},
                "relevantDate": {"type": ["string", "null"], "format": "date-time"},
                "expirationDate": {"type": ["string", "null"], "format": "date-time"},
                "userId": opt_str
            }
        },
        "Pass": {
            "type": "object",
            "properties": {
                "id": {"type": "string"}, "object": {"const": "pass"}, "templateId": {"type": "string"},
                "serialNumber": {"type": "string"}, "status": {"enum": ["active", "voided"]},
                "customFields": {"type": "object"}, "labels": {"type": "object"},
                "relevantDate": opt_str, "expirationDate": opt_str, "userId": opt_str,
                "version": {"type": "integer"}, "createdAt": date, "updatedAt": date,
                "downloadUrl": {"type": "string", "format": "uri"}, "googleUrl": {"type": "string", "format": "uri"},
                "googleSaveUrl": {"type": "string", "format": "uri", "description": "on create only"}
            }
        },
        "PassList": {"type": "object", "properties": {
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/Pass"}},
            "hasMore": {"type": "boolean"}, "nextStartingAfter": opt_str
        }},
        "PushMessage": {"type": "object", "required": ["message"], "additionalProperties": false,
            "properties": {"message": {"type": "string", "minLength": 1, "maxLength": 500}}},
        "GoogleSave": {"type": "object", "properties": {"saveUrl": {"type": "string"}, "objectId": {"type": "string"}, "classId": {"type": "string"}}},
        "Template": {"type": "object", "properties": {
            "id": {"type": "string"}, "status": {"enum": ["ready", "stale", "invalid"]},
            "name": {"type": "string"}, "description": opt_str, "appleStyle": {"type": "string"},
            "googleType": {"type": "string"}, "loadedAt": date, "problems": {"type": "array"},
            "fieldsSchema": {"type": "object", "description": "JSON Schema of customFields"}
        }},
        "TemplateList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Template"}}}},
        "TemplateUpload": {"type": "object", "properties": {"id": {"type": "string"}, "status": {"type": "string"}, "problems": {"type": "array"}}},
        "BatchCreate": {"type": "object", "required": ["templateId", "items"], "properties": {
            "templateId": {"type": "string"},
            "items": {"type": "array", "maxItems": 10000, "items": {"type": "object", "properties": {
                "serialNumber": {"type": "string"}, "customFields": {"$ref": "#/components/schemas/CustomFields"},
                "relevantDate": date, "expirationDate": date, "userId": {"type": "string"}
            }}}
        }},
        "Job": {"type": "object", "properties": {
            "id": {"type": "string"}, "object": {"const": "job"}, "templateId": {"type": "string"},
            "status": {"enum": ["queued", "running", "completed"]}, "total": {"type": "integer"},
            "succeeded": {"type": "integer"}, "failed": {"type": "integer"}, "progress": {"type": "number"},
            "errors": {"type": "array"}, "createdAt": date, "finishedAt": opt_str, "downloadUrl": {"type": "string"}
        }},
        "WebhookCreate": {"type": "object", "required": ["url", "events"], "properties": {
            "url": {"type": "string", "format": "uri"},
            "events": {"type": "array", "items": {"enum": super::webhooks::EVENT_TYPES}},
            "description": {"type": "string"}
        }},
        "Webhook": {"type": "object", "properties": {
            "id": {"type": "string"}, "url": {"type": "string"}, "events": {"type": "array", "items": {"type": "string"}},
            "description": opt_str, "status": {"enum": ["enabled", "disabled"]}, "disabledReason": opt_str,
            "createdAt": date, "secret": {"type": "string", "description": "whsec_…; on create only"}
        }},
        "WebhookList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Webhook"}}}},
        "DeliveryList": {"type": "object", "properties": {"data": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "eventId": {"type": "string"}, "eventType": {"type": "string"},
            "status": {"enum": ["pending", "delivering", "succeeded", "failed", "cancelled"]},
            "attempts": {"type": "integer"}, "lastStatusCode": {"type": ["integer", "null"]},
            "lastError": opt_str, "nextAttemptAt": opt_str
        }}}, "hasMore": {"type": "boolean"}, "nextStartingAfter": opt_str}},
        "LinkCreate": {"type": "object", "properties": {
            "templateId": {"type": "string"}, "customFields": {"$ref": "#/components/schemas/CustomFields"},
            "passId": {"type": "string"}, "maxClaims": {"type": "integer", "minimum": 1},
            "webhookUrl": {"type": "string", "format": "uri"}, "returnUrl": {"type": "string"},
            "expiresIn": {"type": "integer", "minimum": 60}, "externalId": {"type": "string"}
        }},
        "Link": {"type": "object", "properties": {
            "id": {"type": "string"}, "url": {"type": "string"}, "qrCodeUrl": {"type": "string"},
            "status": {"enum": ["pending", "opened", "issued", "completed", "expired", "revoked"]},
            "expiresAt": date, "maxClaims": {"type": "integer"}, "claims": {"type": "integer"},
            "passes": {"type": "array"}, "webhookSecret": {"type": "string", "description": "on create only, with webhookUrl"}
        }},
        "Connection": {"type": "object", "properties": {
            "id": {"type": "string"}, "object": {"const": "connection"}, "passId": {"type": "string"},
            "serialNumber": opt_str, "userId": opt_str, "platform": {"enum": ["apple", "google"]},
            "deviceLibraryIdentifier": {"type": "string"}, "state": {"enum": ["active", "failing", "removed"]},
            "createdAt": date, "updatedAt": date
        }},
        "ConnectionList": {"type": "object", "properties": {"data": {"type": "array", "items": {"$ref": "#/components/schemas/Connection"}}, "hasMore": {"type": "boolean"}, "nextStartingAfter": opt_str}},
        "UserCreate": {"type": "object", "required": ["externalId"], "properties": {"externalId": {"type": "string"}}},
        "User": {"type": "object", "properties": {"id": {"type": "string"}, "object": {"const": "user"}, "externalId": {"type": "string"}, "passes": {"type": "integer"}, "createdAt": date}},
        "UserTokenCreate": {"type": "object", "properties": {"expiresIn": {"type": "integer", "minimum": 60}}},
        "UserToken": {"type": "object", "properties": {"id": {"type": "string"}, "userId": {"type": "string"}, "token": {"type": "string", "description": "pfu_…; shown once"}, "expiresAt": date}},
        "ProviderList": {"type": "object", "properties": {"data": {"type": "array", "items": {"type": "object"}}}}
    })
}

fn content(schema: &str) -> Value {
    if schema.contains('/') {
        json!({ schema: {"schema": {"type": "string", "format": "binary"}} })
    } else {
        json!({"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}})
    }
}

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// The whole document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let mut params: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(route.query.iter().map(
            |q| json!({"name": q, "in": "query", "required": false, "schema": {"type": "string"}}),
        ));
        let mut responses = Map::new();
        let (code, schema) = route.ok;
        let mut ok = json!({"description": "success"});
        if let Some(s) = schema {
            ok["content"] = content(s);
        }
        responses.insert(code.to_string(), ok);
        if route.scope.is_some() {
            responses.insert("401".into(), problem("missing or invalid credentials"));
            responses.insert("403".into(), problem("the credential lacks the scope"));
            responses.insert("429".into(), problem("rate limited; see Retry-After"));
        }
        if route.path.contains('{') {
            responses.insert("404".into(), problem("not found"));
        }
        if route.body.is_some() || !route.query.is_empty() {
            responses.insert(
                "422".into(),
                problem("invalid request; errors[] locates each problem"),
            );
        }
        let mut op = json!({
            "summary": route.summary,
            "operationId": format!("{} {}", route.method.to_lowercase(), route.path),
            "parameters": params,
            "responses": responses,
        });
        match route.scope {
            Some("user") => {
                op["security"] = json!([{"userToken": []}]);
                op["x-scope"] = "user".into();
            }
            Some("applePass") => {
                op["security"] = json!([{"applePass": []}]);
            }
            Some(scope) => {
                op["security"] = json!([{"apiKey": [scope]}, {"bearer": [scope]}]);
                op["x-scope"] = scope.into();
            }
            None => {}
        }
        if let Some(body) = route.body {
            op["requestBody"] = json!({"required": true, "content": content(body)});
        }
        if route.method == "POST" && route.path.starts_with("/v1/") {
            if let Some(p) = op["parameters"].as_array_mut() {
                p.push(json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 255}}));
            }
        }
        let entry = paths
            .entry(route.path.to_owned())
            .or_insert_with(|| json!({}));
        entry[route.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "passforge",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Apple Wallet and Google Wallet passes from templates: templates, passes, batch jobs and webhooks."
        },
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "userToken": {"type": "http", "scheme": "bearer", "description": "pfu_… user-scoped token"},
                "applePass": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "ApplePass <authenticationToken>"}
            }
        }
    })
}
