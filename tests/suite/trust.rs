//! No request's input reaches another request's response (issue 10's
//! reproductions, through a real router behind the layer), and every echo
//! is escaped and bounded.
//!
//! The reproductions leave an error behind in one request (a handler that
//! handles a serde error itself, an untagged enum whose first variant
//! fails) and check that the next request on the same thread answers with
//! its own error. A per-thread error slot of any kind makes them fail.
#![cfg(feature = "axum")]

use crate::common;

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::routing::post;
use axum::Router;
use common::{post_json, send, Reply};
use defender_errors::extract::Json;
use defender_errors::{
    ApiError, Batch, DefenderErrorLayer, DomainName, FileHash, HttpUrl, IpAddress,
};
use http::Request;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Isolate {
    comment: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum HashOrName {
    Hash(FileHash),
    Name(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Lookup {
    hash: Option<FileHash>,
    domain: Option<DomainName>,
    ip: Option<IpAddress>,
    url: Option<HttpUrl>,
    items: Option<Batch<u32, 3>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Fleet {
    machines: HashMap<String, Isolate>,
}

/// The routes of the reproductions.
fn app() -> Router {
    Router::new()
        // Reproduction 1, first request: the handler parses a hash itself
        // and handles the failure.
        .route(
            "/parse",
            post(|body: String| async move {
                match serde_json::from_str::<FileHash>(&body) {
                    Ok(hash) => hash.to_string(),
                    Err(_) => "not a hash".to_owned(),
                }
            }),
        )
        // Reproduction 1, second request: axum's own Json, converted by `?`.
        .route(
            "/axum-json",
            post(
                |body: Result<axum::Json<Isolate>, JsonRejection>| async move {
                    Ok::<_, ApiError>(body?.0.comment)
                },
            ),
        )
        // Reproduction 2: an untagged enum whose first variant fails.
        .route(
            "/hash-or-name",
            post(|Json(v): Json<HashOrName>| async move {
                match v {
                    HashOrName::Hash(h) => format!("hash {h}"),
                    HashOrName::Name(n) => format!("name {n}"),
                }
            }),
        )
        .route(
            "/isolate",
            post(|Json(b): Json<Isolate>| async move { b.comment }),
        )
        .route("/lookup", post(|Json(_): Json<Lookup>| async { "ok" }))
        .route("/fleet", post(|Json(_): Json<Fleet>| async { "ok" }))
        .layer(DefenderErrorLayer::new())
}

fn post_plain(uri: &str, body: String) -> Request<Body> {
    Request::post(uri).body(Body::from(body)).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn a_handled_serde_error_does_not_reach_the_next_request() {
    let app = app();
    let reply = send(
        &app,
        post_plain("/parse", r#""secret-of-request-one""#.into()),
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "not a hash");
    send(&app, post_plain("/axum-json", r#"{"Comment": "x"}"#.into()))
        .await
        .assert_envelope(
            415,
            "UnsupportedMediaType",
            "The request content type is not supported. Use Content-Type: application/json.",
        );
}

#[tokio::test(flavor = "current_thread")]
async fn an_untagged_variant_that_failed_leaves_nothing_behind() {
    let app = app();
    let reply = send(&app, post_json("/hash-or-name", r#""secret-name""#)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "name secret-name");
    let hash = "d41d8cd98f00b204e9800998ecf8427e";
    let reply = send(&app, post_json("/hash-or-name", format!(r#""{hash}""#))).await;
    assert_eq!(reply.body, format!("hash {hash}"));
    // The next rejected requests on this thread report their own problem,
    // through axum's own Json as through the crate's.
    let reply = send(&app, post_json("/hash-or-name", r#""secret-name""#)).await;
    assert_eq!(reply.body, "name secret-name");
    send(&app, post_json("/axum-json", "{}"))
        .await
        .assert_envelope(
            400,
            "MissingRequiredParameter",
            "Parameter Comment is missing.",
        );
    send(&app, post_json("/isolate", "{}"))
        .await
        .assert_envelope(
            400,
            "MissingRequiredParameter",
            "Parameter Comment is missing.",
        );
    send(&app, post_json("/isolate", r#"{"Comment": 5}"#))
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Comment: expected a string, found integer `5`.",
        );
}

#[tokio::test(flavor = "current_thread")]
async fn a_map_key_in_a_message_is_escaped_and_cut() {
    let key = format!("evil\u{0}\r\n{}", "x".repeat(2000));
    let body = serde_json::json!({ "Machines": { key: { "comment": "x" } } }).to_string();
    let reply = send(&app(), post_json("/fleet", body)).await;
    // "Parameter Machines.evil" (23) + "\u{0}\r\n" escaped (9) + 223 x + "…".
    let message = format!("Parameter Machines.evil\\u{{0}}\\r\\n{}…", "x".repeat(223));
    reply.assert_envelope(400, "MissingRequiredParameter", &message);
    assert_eq!(message.chars().count(), 256);
}

#[tokio::test(flavor = "current_thread")]
async fn an_untagged_enum_that_matches_nothing_names_no_rust_type() {
    send(&app(), post_json("/hash-or-name", "5"))
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. The value matches none of the accepted forms.",
        );
}

/// One request of the stress test and the reply it must get.
struct Case {
    request: Request<Body>,
    check: Box<dyn FnOnce(&Reply) + Send>,
}

fn envelope(status: u16, code: &'static str, message: String) -> Box<dyn FnOnce(&Reply) + Send> {
    Box::new(move |reply: &Reply| {
        reply.assert_envelope(status, code, &message);
    })
}

fn ok(body: String) -> Box<dyn FnOnce(&Reply) + Send> {
    Box::new(move |reply: &Reply| {
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        assert_eq!(reply.body, body);
    })
}

/// Request `i`: a distinct secret in a bad value, or a request that fails
/// for another reason, or one that succeeds after a handled failure.
fn case(i: usize) -> Case {
    let secret = format!("s{i}q");
    let (request, check) = match i % 12 {
        0 => (
            post_json("/lookup", format!(r#"{{"Hash": "{secret}"}}"#)),
            envelope(400, "InvalidHashValue", format!("Hash value {secret} is invalid.")),
        ),
        1 => (
            post_json("/lookup", format!(r#"{{"Domain": "-{secret}.example"}}"#)),
            envelope(
                400,
                "InvalidDomainName",
                format!("Domain name -{secret}.example is invalid."),
            ),
        ),
        2 => (
            post_json("/lookup", format!(r#"{{"Ip": "10.{i}.{secret}"}}"#)),
            envelope(
                400,
                "InvalidIpAddress",
                format!("IP address 10.{i}.{secret} is invalid."),
            ),
        ),
        3 => (
            post_json("/lookup", format!(r#"{{"Url": "ftp://{secret}.example/"}}"#)),
            envelope(
                400,
                "InvalidUrl",
                format!("URL ftp://{secret}.example/ is invalid."),
            ),
        ),
        4 => {
            let n = 4 + i % 97;
            let items = vec!["1"; n].join(",");
            (
                post_json("/lookup", format!(r#"{{"Items": [{items}]}}"#)),
                envelope(
                    400,
                    "MaximumBatchSizeExceeded",
                    format!("Maximum batch size exceeded. Received: {n}, allowed: 3."),
                ),
            )
        }
        5 => (
            post_plain("/isolate", format!(r#"{{"Comment": "{secret}"}}"#)),
            envelope(
                415,
                "UnsupportedMediaType",
                "The request content type is not supported. Use Content-Type: application/json."
                    .to_owned(),
            ),
        ),
        6 => (
            post_json("/isolate", format!(r#"{{"comment": "{secret}"}}"#)),
            envelope(
                400,
                "MissingRequiredParameter",
                "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive."
                    .to_owned(),
            ),
        ),
        7 => (
            post_json("/isolate", format!(r#"{{"Comment": {i}}}"#)),
            envelope(
                400,
                "InvalidInput",
                format!("Invalid input Comment: expected a string, found integer `{i}`."),
            ),
        ),
        // Successes that leave a failed typed value behind them.
        8 => (
            post_plain("/parse", format!(r#""{secret}""#)),
            ok("not a hash".to_owned()),
        ),
        9 => (
            post_json("/hash-or-name", format!(r#""{secret}""#)),
            ok(format!("name {secret}")),
        ),
        10 => (
            post_plain("/axum-json", format!(r#"{{"Comment": "{secret}"}}"#)),
            envelope(
                415,
                "UnsupportedMediaType",
                "The request content type is not supported. Use Content-Type: application/json."
                    .to_owned(),
            ),
        ),
        _ => (
            post_json("/axum-json", format!(r#"{{"Comment": "{secret}"}}"#)),
            ok(secret),
        ),
    };
    Case { request, check }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousands_of_interleaved_requests_each_name_only_their_own_input() {
    let app = app();
    let tasks: Vec<_> = (0..4_800)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let Case { request, check } = case(i);
                let reply = send(&app, request).await;
                check(&reply);
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("every response names only its own input");
    }
}
