//! `GET /openapi.json`: served without a token, generated from the
//! handlers, and true to what the server answers.

use crate::common;

use std::time::Duration;

use axum::body::Body;
use common::Reply;
use defender_api::{app, Config};
use http::{Method, Request};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

/// Sends `request` through the whole stack, with the `Host` header every
/// HTTP/1.1 client sends (the server refuses a request without one).
async fn call(mut request: Request<Body>) -> Reply {
    request
        .headers_mut()
        .entry(http::header::HOST)
        .or_insert(http::HeaderValue::from_static("127.0.0.1"));
    let config = Config {
        handler_timeout: Duration::from_millis(500),
        ..Config::default()
    };
    let response = app(config).await.unwrap().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.unwrap().to_bytes(),
    }
}

async fn document() -> Value {
    let reply = call(Request::get("/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(reply.status, 200);
    assert!(reply.header("content-type").starts_with("application/json"));
    reply.json()
}

/// Every operation of the document: (path, method, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    all
}

fn codes(response: &Value) -> Vec<String> {
    response["headers"]["x-ms-error-code"]["schema"]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no code enum in {response}"))
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_document_needs_no_token_and_describes_the_api() {
    let doc = document().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"],
        json!({"type": "http", "scheme": "bearer", "description": "`demo-admin` (every permission) or `demo-reader` (read only)"})
    );
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for path in [
        "/api/machines",
        "/api/machines/{id}/isolate",
        "/api/files/{hash}",
        "/api/indicators/import",
        "/openapi.json",
    ] {
        assert!(paths.iter().any(|p| *p == path), "{path} is documented");
    }
    // Every operation has a unique id and answers 500 with the envelope.
    let mut ids = Vec::new();
    for (path, method, operation) in operations(&doc) {
        ids.push(operation["operationId"].as_str().unwrap().to_owned());
        assert_eq!(
            codes(&operation["responses"]["500"]),
            ["InternalServerError"],
            "{method} {path}"
        );
        let secured = operation["security"] != json!([{}]);
        assert_eq!(
            operation["responses"]["401"].is_object(),
            secured,
            "{method} {path}: 401 where a token is required"
        );
    }
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "operation ids are unique");
}

#[tokio::test]
async fn parameters_and_bodies_carry_their_formats_and_exact_names() {
    let doc = document().await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["FileHash"]["pattern"],
        "^([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$"
    );
    assert_eq!(schemas["IpAddress"]["anyOf"][1]["format"], "ipv6");
    assert!(schemas["DomainName"]["pattern"].is_string());

    let isolate = &schemas["IsolateRequest"];
    assert_eq!(isolate["required"], json!(["Comment"]));
    assert!(
        isolate["additionalProperties"].is_null(),
        "unknown members are ignored"
    );
    assert!(isolate["properties"]["IsolationType"].is_object());
    assert!(
        isolate["properties"]["comment"].is_null(),
        "names are case-sensitive"
    );

    // Submitting an indicator: one alternative per type, each with the
    // value's own check.
    let submit = &schemas["IndicatorSubmission"]["oneOf"];
    let sha1 = submit
        .as_array()
        .unwrap()
        .iter()
        .find(|alt| alt["properties"]["IndicatorType"]["enum"] == json!(["FileSha1"]))
        .unwrap();
    assert_eq!(
        sha1["properties"]["IndicatorValue"]["pattern"],
        "^([0-9a-fA-F]{40})$"
    );
    assert_eq!(
        schemas["ImportRequest"]["properties"]["Indicators"]["maxItems"],
        500
    );

    // OData options come from the list's schema.
    let list = &doc["paths"]["/api/machines"]["get"];
    let param = |name: &str| {
        list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    assert_eq!(param("$top")["schema"]["maximum"], 10000);
    assert!(param("$select")["schema"]["items"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("computerDnsName")));
    assert!(param("$filter")["schema"]["pattern"]
        .as_str()
        .unwrap()
        .contains("isIsolated +eq +(true|false)"));
    // BadRequest: the request-head checks, on every operation.
    assert_eq!(
        codes(&list["responses"]["400"]),
        ["BadRequest", "ODataError"]
    );
    assert_eq!(codes(&list["responses"]["429"]), ["TooManyRequests"]);
}

/// Each documented operation is routed, and what it answers to a request
/// with made-up parameters and no body is one of its documented statuses
/// and codes.
#[tokio::test]
async fn every_documented_operation_is_served_and_answers_as_documented() {
    let doc = document().await;
    let made_up = |path: &str| {
        path.replace("{id}", "no-such-id")
            .replace("{hash}", "not-a-hash")
            .replace("{domain}", "bad_domain")
            .replace("{ip}", "1.2.3")
            .replace("/api/simulate/delay", "/api/simulate/delay?ms=1")
    };
    // A segment that is not UTF-8 once decoded.
    let not_utf8 = |path: &str| {
        ["{id}", "{hash}", "{domain}", "{ip}"]
            .iter()
            .fold(path.to_owned(), |p, param| p.replace(param, "%FF"))
    };
    let cases = operations(&doc)
        .into_iter()
        .flat_map(|(path, method, operation)| {
            let mut uris = vec![made_up(&path)];
            if path.contains('{') {
                uris.push(not_utf8(&path));
            }
            uris.into_iter()
                .map(move |uri| (uri, method.clone(), operation.clone()))
        });
    for (uri, method, operation) in cases {
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let request = Request::builder()
            .method(method.clone())
            .uri(&uri)
            .header("authorization", "Bearer demo-admin")
            .body(Body::empty())
            .unwrap();
        let reply = call(request).await;
        let status = reply.status.as_str().to_owned();
        let response = &operation["responses"][&status];
        assert!(
            response.is_object(),
            "{method} {uri} answered {status}, which is not documented"
        );
        if reply.status.is_client_error() || reply.status.is_server_error() {
            let code = reply.header("x-ms-error-code").to_owned();
            assert!(
                codes(response).contains(&code),
                "{method} {uri}: {code} is not among the documented {status} codes"
            );
            if reply.status == 404 {
                assert_ne!(code, "NotFound", "{method} {uri} is routed");
            }
        }
    }
}
