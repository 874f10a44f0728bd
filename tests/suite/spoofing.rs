//! Characters that make text read other than it is (bidirectional
//! overrides and isolates, zero-width and invisible marks, line and
//! paragraph separators) are escaped as `\u{…}` wherever input is echoed,
//! as control characters are, and in the fields the layer logs.
#![cfg(feature = "axum")]

use crate::common;

use std::collections::HashMap;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use common::capture::Capture;
use common::{post_json, send};
use defender_errors::extract::{Json, Path, Query};
use defender_errors::{ApiError, DefenderErrorLayer, DomainName, ErrorCode, FileHash};
use http::{Request, StatusCode};
use serde::Deserialize;

/// Every character the issue names, with its escape.
const SPOOFING: &[(char, &str)] = &[
    ('\u{202a}', "\\u{202a}"),
    ('\u{202b}', "\\u{202b}"),
    ('\u{202c}', "\\u{202c}"),
    ('\u{202d}', "\\u{202d}"),
    ('\u{202e}', "\\u{202e}"),
    ('\u{2066}', "\\u{2066}"),
    ('\u{2067}', "\\u{2067}"),
    ('\u{2068}', "\\u{2068}"),
    ('\u{2069}', "\\u{2069}"),
    ('\u{200b}', "\\u{200b}"),
    ('\u{200c}', "\\u{200c}"),
    ('\u{200d}', "\\u{200d}"),
    ('\u{200e}', "\\u{200e}"),
    ('\u{200f}', "\\u{200f}"),
    ('\u{2060}', "\\u{2060}"),
    ('\u{feff}', "\\u{feff}"),
    ('\u{061c}', "\\u{61c}"),
    ('\u{2028}', "\\u{2028}"),
    ('\u{2029}', "\\u{2029}"),
];

/// `c` percent-encoded as UTF-8, for a URI.
fn percent(c: char) -> String {
    let mut buf = [0u8; 4];
    c.encode_utf8(&mut buf)
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Lookup {
    domain: DomainName,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Isolate {
    comment: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Fleet {
    machines: HashMap<String, Isolate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct File {
    sha1: FileHash,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Paging {
    top: u32,
}

fn app() -> Router {
    Router::new()
        .route(
            "/files/{hash}",
            get(|Path(hash): Path<FileHash>| async move { hash.to_string() }),
        )
        .route("/domains", get(|Query(_): Query<Lookup>| async { "ok" }))
        .route("/fleet", post(|Json(_): Json<Fleet>| async { "ok" }))
        .route("/file", post(|Json(_): Json<File>| async { "ok" }))
        .route("/paging", post(|Json(_): Json<Paging>| async { "ok" }))
        .route(
            "/message",
            post(|text: String| async move { ApiError::new(ErrorCode::DisallowedOperation, text) }),
        )
        .route(
            "/plain",
            post(|text: String| async move { (StatusCode::CONFLICT, text) }),
        )
        .route(
            "/crash",
            post(|text: String| async move {
                Err::<(), _>(ApiError::internal(std::io::Error::other(text)))
            }),
        )
        .layer(DefenderErrorLayer::new())
}

fn post_text(uri: &str, text: String) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Body::from(text))
        .unwrap()
}

#[tokio::test]
async fn a_path_segment_is_escaped() {
    let app = app();
    for (c, escaped) in SPOOFING {
        let uri = format!("/files/ab{}cd", percent(*c));
        send(&app, Request::get(uri).body(Body::empty()).unwrap())
            .await
            .assert_envelope(
                400,
                "InvalidHashValue",
                &format!("Hash value ab{escaped}cd is invalid."),
            );
    }
}

#[tokio::test]
async fn a_query_value_is_escaped() {
    let app = app();
    for (c, escaped) in SPOOFING {
        let uri = format!("/domains?Domain=evil{}moc.example", percent(*c));
        send(&app, Request::get(uri).body(Body::empty()).unwrap())
            .await
            .assert_envelope(
                400,
                "InvalidDomainName",
                &format!("Domain name evil{escaped}moc.example is invalid."),
            );
    }
}

#[tokio::test]
async fn a_json_key_is_escaped() {
    let app = app();
    for (c, escaped) in SPOOFING {
        let body = serde_json::json!({ "Machines": { format!("pc{c}1"): {} } }).to_string();
        send(&app, post_json("/fleet", body)).await.assert_envelope(
            400,
            "MissingRequiredParameter",
            &format!("Parameter Machines.pc{escaped}1.Comment is missing."),
        );
    }
}

#[tokio::test]
async fn a_json_value_is_escaped() {
    let app = app();
    for (c, escaped) in SPOOFING {
        let body = serde_json::json!({ "Sha1": format!("ab{c}cd") }).to_string();
        send(&app, post_json("/file", body)).await.assert_envelope(
            400,
            "InvalidHashValue",
            &format!("Hash value ab{escaped}cd is invalid."),
        );
        // A value of the wrong type, quoted in the message.
        let body = serde_json::json!({ "Top": format!("1{c}0") }).to_string();
        send(&app, post_json("/paging", body)).await.assert_envelope(
            400,
            "InvalidInput",
            &format!(
                "Invalid input Top: expected an integer from 0 to 4294967295, found string \"1{escaped}0\"."
            ),
        );
    }
}

#[tokio::test]
async fn handler_text_is_escaped() {
    let app = app();
    for (c, escaped) in SPOOFING {
        let text = format!("Machine{c} is offline");
        send(&app, post_text("/message", text.clone()))
            .await
            .assert_envelope(
                403,
                "DisallowedOperation",
                &format!("Machine{escaped} is offline"),
            );
        send(&app, post_text("/plain", text)).await.assert_envelope(
            409,
            "BadRequest",
            &format!("Machine{escaped} is offline"),
        );
    }
}

/// The layer's span records the request's path, and its error event the
/// message and the cause: all escaped.
#[tokio::test]
async fn the_layers_log_fields_are_escaped() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = app();
    for (c, escaped) in SPOOFING {
        capture.clear();
        // A path whose bytes are UTF-8, as hyper accepts it.
        let request = Request::post(format!("/nowhere/a{c}b"))
            .body(Body::empty())
            .unwrap();
        let reply = send(&app, request).await;
        assert_eq!(reply.status, 404);
        let spans = capture.spans();
        assert_eq!(spans[0].fields["path"], format!("/nowhere/a{escaped}b"));

        capture.clear();
        let reply = send(&app, post_text("/crash", format!("disk{c}full"))).await;
        reply.assert_envelope(500, "InternalServerError", "");
        let events = capture.events();
        let event = events
            .iter()
            .find(|e| e.fields.contains_key("code"))
            .expect("the error event");
        assert_eq!(event.fields["cause"], format!("disk{escaped}full"));

        capture.clear();
        send(&app, post_text("/message", format!("a{c}b"))).await;
        let events = capture.events();
        let event = events
            .iter()
            .find(|e| e.fields.contains_key("code"))
            .expect("the error event");
        assert_eq!(event.fields["detail"], format!("a{escaped}b"));
    }
}
