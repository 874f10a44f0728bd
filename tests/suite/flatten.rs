//! Flattened shapes are checked by construction, with no extra pass
//! (issue 19, defect 6): a valid body for a flattened `Option<T>` is
//! accepted, a wrong-case spelling of a declared name is refused when the
//! struct's catch-all is the crate's `Rest`, and a strict struct refuses
//! what its flattened members do not read.
#![cfg(feature = "axum")]

use crate::common;

use axum::routing::post;
use axum::Router;
use common::{post_json, send};
use defender_errors::extract::{from_query, Declared, Json, Rest};
use defender_errors::{DefenderErrorLayer, ErrorCode};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Level {
    level: u32,
}

/// A struct whose flattened member is optional.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Comment {
    comment: String,
    #[serde(flatten)]
    level: Option<Level>,
}

/// A struct with an optional field of its own and the crate's catch-all.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Isolate {
    comment: String,
    isolation_type: Option<String>,
    #[serde(flatten)]
    options: Options,
    #[serde(flatten)]
    rest: Rest<Isolate>,
}

impl Declared for Isolate {
    const NAMES: &'static [&'static str] = &["Comment", "IsolationType", "Reason"];
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Options {
    reason: Option<String>,
}

/// A strict struct with a flattened member.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct Strict {
    comment: String,
    #[serde(flatten)]
    options: Options,
}

fn app() -> Router {
    Router::new()
        .route(
            "/comment",
            post(|Json(body): Json<Comment>| async move {
                format!("{} {:?}", body.comment, body.level.map(|l| l.level))
            }),
        )
        .route(
            "/isolate",
            post(|Json(body): Json<Isolate>| async move {
                let mut extra: Vec<_> = body.rest.keys().cloned().collect();
                extra.sort();
                format!(
                    "{} {:?} {:?} {}",
                    body.comment,
                    body.isolation_type,
                    body.options.reason,
                    extra.join(",")
                )
            }),
        )
        .route("/strict", post(|Json(_): Json<Strict>| async { "ok" }))
        .layer(DefenderErrorLayer::new())
}

async fn accepted(uri: &str, body: &str) -> String {
    let reply = send(&app(), post_json(uri, body.to_owned())).await;
    assert_eq!(reply.status, 200, "{uri} {body}: {:?}", reply.body);
    String::from_utf8(reply.body.to_vec()).unwrap()
}

#[tokio::test]
async fn a_valid_body_for_a_flattened_option_is_accepted() {
    assert_eq!(
        accepted("/comment", r#"{"Comment": "x", "Level": 3}"#).await,
        "x Some(3)"
    );
    assert_eq!(accepted("/comment", r#"{"Comment": "x"}"#).await, "x None");
    // Members no declared name takes are ignored, as everywhere else on a
    // struct that does not deny unknown fields.
    assert_eq!(
        accepted("/comment", r#"{"Comment": "x", "Level": 3, "Other": 1}"#).await,
        "x Some(3)"
    );
}

#[tokio::test]
async fn the_crate_catch_all_refuses_a_wrong_case_spelling_of_a_declared_name() {
    assert_eq!(
        accepted(
            "/isolate",
            r#"{"Comment": "x", "IsolationType": "Full", "Reason": "r", "Free": 1}"#
        )
        .await,
        r#"x Some("Full") Some("r") Free"#
    );
    for (body, key, name) in [
        (
            r#"{"Comment": "x", "isolationType": "Full"}"#,
            "isolationType",
            "IsolationType",
        ),
        (
            r#"{"Comment": "x", "ISOLATIONTYPE": "Full"}"#,
            "ISOLATIONTYPE",
            "IsolationType",
        ),
        // A flattened member's name, too.
        (r#"{"Comment": "x", "reason": "r"}"#, "reason", "Reason"),
    ] {
        send(&app(), post_json("/isolate", body.to_owned()))
            .await
            .assert_envelope(
                400,
                "InvalidRequestBody",
                &format!(
                    "Invalid request body. Parameter {key} is not known. Did you mean {name}? \
                     Parameter names are case-sensitive."
                ),
            );
    }
}

#[tokio::test]
async fn a_strict_struct_refuses_what_its_flattened_members_do_not_read() {
    accepted("/strict", r#"{"Comment": "x", "Reason": "r"}"#).await;
    send(
        &app(),
        post_json("/strict", r#"{"Comment": "x", "reason": "r"}"#.to_owned()),
    )
    .await
    .assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. Parameter reason is not known.",
    );
}

#[test]
fn queries_use_the_same_catch_all() {
    let ok = from_query::<Isolate>("Comment=x&IsolationType=Full&Free=1").unwrap();
    assert_eq!(ok.isolation_type.as_deref(), Some("Full"));
    assert_eq!(ok.rest.get("Free"), Some(&serde_json::json!("1")));
    let err = from_query::<Isolate>("Comment=x&isolationType=Full")
        .err()
        .unwrap();
    assert_eq!(err.code(), ErrorCode::BadRequest);
    assert_eq!(
        err.message(),
        "Invalid query string. Parameter isolationType is not known. Did you mean IsolationType? \
         Parameter names are case-sensitive."
    );
}

#[tokio::test]
async fn many_flattened_members_are_not_refused_for_their_number() {
    // The old probing refused more than 64 buffered members.
    let members: Vec<String> = (0..200).map(|i| format!(r#""K{i}": {i}"#)).collect();
    let body = format!(r#"{{"Comment": "x", {}}}"#, members.join(", "));
    let reply = accepted("/isolate", &body).await;
    assert!(reply.starts_with("x None None K0,K1,"), "{reply}");
}
