//! No wrong-case key is dropped silently, whatever the body type's shape
//! (issue 10, item 3): options, nested structs, sequences, maps, tagged
//! enums, and the shapes serde buffers (flatten, untagged and internally
//! tagged enums), which are checked when their structs deny unknown fields.
#![cfg(feature = "axum")]

mod common;

use std::collections::HashMap;

use axum::routing::post;
use axum::Router;
use common::{post_json, send};
use defender_errors::extract::Json;
use defender_errors::DefenderErrorLayer;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Isolate {
    comment: String,
    isolation_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct StrictIsolate {
    comment: String,
    isolation_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Options {
    isolation_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Nesting {
    one: Option<Isolate>,
    many: Option<Vec<Isolate>>,
    by_name: Option<HashMap<String, Isolate>>,
    tagged: Option<Adjacent>,
    external: Option<External>,
}

#[derive(Deserialize)]
#[serde(tag = "T", content = "C")]
#[allow(dead_code)]
enum Adjacent {
    Isolate(Isolate),
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum External {
    Isolate(Isolate),
    Inline {
        #[serde(rename = "Comment")]
        comment: String,
        #[serde(rename = "IsolationType")]
        isolation_type: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct Flattened {
    comment: String,
    #[serde(flatten)]
    options: Options,
}

#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Untagged {
    Isolate(StrictIsolate),
}

#[derive(Deserialize)]
#[serde(tag = "Type")]
#[allow(dead_code)]
enum Internal {
    Isolate(StrictIsolate),
}

fn app() -> Router {
    Router::new()
        .route("/nesting", post(|Json(_): Json<Nesting>| async { "ok" }))
        .route("/flatten", post(|Json(_): Json<Flattened>| async { "ok" }))
        .route("/untagged", post(|Json(_): Json<Untagged>| async { "ok" }))
        .route("/internal", post(|Json(_): Json<Internal>| async { "ok" }))
        .layer(DefenderErrorLayer::new())
}

async fn assert_wrong_case(uri: &str, body: &str, message: &str) {
    send(&app(), post_json(uri, body.to_owned()))
        .await
        .assert_envelope(400, "InvalidRequestBody", message);
}

async fn assert_accepted(uri: &str, body: &str) {
    let reply = send(&app(), post_json(uri, body.to_owned())).await;
    assert_eq!(reply.status, 200, "{uri} {body}: {:?}", reply.body);
}

const WRONG: &str = r#"{"Comment": "x", "isolationType": "Full"}"#;
const RIGHT: &str = r#"{"Comment": "x", "IsolationType": "Full"}"#;

#[tokio::test]
async fn options_nested_structs_sequences_and_maps() {
    assert_accepted("/nesting", &format!(r#"{{"One": {RIGHT}}}"#)).await;
    assert_wrong_case(
        "/nesting",
        &format!(r#"{{"One": {WRONG}}}"#),
        "Invalid request body. Parameter One.isolationType is not known. Did you mean One.IsolationType? Parameter names are case-sensitive.",
    )
    .await;
    assert_wrong_case(
        "/nesting",
        &format!(r#"{{"Many": [{RIGHT}, {WRONG}]}}"#),
        "Invalid request body. Parameter Many[1].isolationType is not known. Did you mean Many[1].IsolationType? Parameter names are case-sensitive.",
    )
    .await;
    assert_wrong_case(
        "/nesting",
        &format!(r#"{{"ByName": {{"a": {RIGHT}, "b": {WRONG}}}}}"#),
        "Invalid request body. Parameter ByName.b.isolationType is not known. Did you mean ByName.b.IsolationType? Parameter names are case-sensitive.",
    )
    .await;
}

#[tokio::test]
async fn externally_and_adjacently_tagged_enums() {
    assert_wrong_case(
        "/nesting",
        &format!(r#"{{"Tagged": {{"T": "Isolate", "C": {WRONG}}}}}"#),
        "Invalid request body. Parameter Tagged.C.isolationType is not known. Did you mean Tagged.C.IsolationType? Parameter names are case-sensitive.",
    )
    .await;
    assert_wrong_case(
        "/nesting",
        &format!(r#"{{"External": {{"Isolate": {WRONG}}}}}"#),
        "Invalid request body. Parameter External.Isolate.isolationType is not known. Did you mean External.Isolate.IsolationType? Parameter names are case-sensitive.",
    )
    .await;
    assert_wrong_case(
        "/nesting",
        &format!(r#"{{"External": {{"Inline": {WRONG}}}}}"#),
        "Invalid request body. Parameter External.Inline.isolationType is not known. Did you mean External.Inline.IsolationType? Parameter names are case-sensitive.",
    )
    .await;
}

#[tokio::test]
async fn buffered_shapes_are_checked_through_deny_unknown_fields() {
    assert_accepted("/flatten", RIGHT).await;
    assert_wrong_case(
        "/flatten",
        WRONG,
        "Invalid request body. Parameter isolationType is not known.",
    )
    .await;
    assert_accepted("/untagged", RIGHT).await;
    assert_wrong_case(
        "/untagged",
        WRONG,
        "Invalid request body. The value matches none of the accepted forms.",
    )
    .await;
    assert_accepted(
        "/internal",
        r#"{"Type": "Isolate", "Comment": "x", "IsolationType": "Full"}"#,
    )
    .await;
    assert_wrong_case(
        "/internal",
        r#"{"Type": "Isolate", "Comment": "x", "isolationType": "Full"}"#,
        "Invalid request body. Parameter isolationType is not known. Did you mean IsolationType? Parameter names are case-sensitive.",
    )
    .await;
}
