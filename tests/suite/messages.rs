//! Every message is escaped and bounded, and names no Rust type: serde's
//! texts for enums, tuple and unit structs, variants and `NonZero*` become
//! JSON words (issue 10, items 5c and 7).
#![cfg(feature = "axum")]

use crate::common;

use std::num::{NonZeroI8, NonZeroU32};

use axum::routing::post;
use axum::Router;
use common::{post_json, send};
use defender_errors::extract::Json;
use defender_errors::{ApiError, DefenderErrorLayer, ErrorCode};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(tag = "Type")]
#[allow(dead_code)]
enum InternalTarget {
    Ip { address: String },
    Url { link: String },
}

#[derive(Deserialize)]
#[serde(tag = "T", content = "C")]
#[allow(dead_code)]
enum AdjacentTarget {
    Ip(String),
    Url(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum UntaggedTarget {
    Number(u32),
    Pair(u32, u32),
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PairStruct(u32, u32);

#[derive(Deserialize)]
#[allow(dead_code)]
struct UnitStruct;

#[derive(Deserialize)]
#[allow(dead_code)]
enum Shape {
    Point(u32, u32),
    Circle { radius: u32 },
    Empty,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Body {
    internal: Option<InternalTarget>,
    adjacent: Option<AdjacentTarget>,
    untagged: Option<UntaggedTarget>,
    pair: Option<PairStruct>,
    unit: Option<UnitStruct>,
    shape: Option<Shape>,
    count: Option<NonZeroU32>,
    delta: Option<NonZeroI8>,
    tuple: Option<(u8, u8)>,
}

fn app() -> Router {
    Router::new()
        .route("/body", post(|Json(_): Json<Body>| async { "ok" }))
        .layer(DefenderErrorLayer::new())
}

async fn assert_rejected(body: &str, code: &str, message: &str) {
    send(&app(), post_json("/body", body.to_owned()))
        .await
        .assert_envelope(400, code, message);
}

#[tokio::test]
async fn internally_and_adjacently_tagged_enums_are_objects() {
    for (body, code, message) in [
        (
            r#"{"Internal": 5}"#,
            "InvalidInput",
            "Invalid input Internal: expected an object, found integer `5`.",
        ),
        (
            r#"{"Internal": {"Type": "Bogus"}}"#,
            "InvalidInput",
            "Invalid input Internal.Type: unknown value `Bogus`, expected `Ip` or `Url`.",
        ),
        (
            r#"{"Internal": {}}"#,
            "MissingRequiredParameter",
            "Parameter Internal.Type is missing.",
        ),
        (
            r#"{"Adjacent": 5}"#,
            "InvalidInput",
            "Invalid input Adjacent: expected an object, found integer `5`.",
        ),
        (
            r#"{"Adjacent": {"T": "Ip", "C": 5}}"#,
            "InvalidInput",
            "Invalid input Adjacent.C: expected a string, found integer `5`.",
        ),
    ] {
        assert_rejected(body, code, message).await;
    }
}

#[tokio::test]
async fn an_untagged_enum_that_matches_nothing_says_so_without_its_name() {
    assert_rejected(
        r#"{"Untagged": "x"}"#,
        "InvalidInput",
        "Invalid input Untagged: the value matches none of the accepted forms.",
    )
    .await;
}

#[tokio::test]
async fn tuple_and_unit_structs_and_variants_are_arrays_and_null() {
    for (body, code, message) in [
        (r#"{"Pair": 5}"#, "InvalidInput", "Invalid input Pair: expected an array, found integer `5`."),
        (r#"{"Pair": [1]}"#, "InvalidInput", "Invalid input Pair: expected an array of 2 elements, found an array of 1 element."),
        (r#"{"Unit": 5}"#, "InvalidInput", "Invalid input Unit: expected null, found integer `5`."),
        (r#"{"Shape": {"Point": 5}}"#, "InvalidInput", "Invalid input Shape.Point: expected an array, found integer `5`."),
        (r#"{"Shape": {"Point": [1]}}"#, "InvalidInput", "Invalid input Shape.Point: expected an array of 2 elements, found an array of 1 element."),
        (r#"{"Shape": {"Circle": 5}}"#, "InvalidInput", "Invalid input Shape.Circle: expected an object, found integer `5`."),
        (r#"{"Shape": "Point"}"#, "InvalidInput", "Invalid input Shape.Point: expected an array, found a string."),
        (r#"{"Shape": "Bogus"}"#, "InvalidInput", "Invalid input Shape: unknown value `Bogus`, expected one of `Point`, `Circle`, `Empty`."),
        (r#"{"Tuple": [1]}"#, "InvalidInput", "Invalid input Tuple: expected an array of 2 elements, found an array of 1 element."),
    ] {
        assert_rejected(body, code, message).await;
    }
}

#[tokio::test]
async fn nonzero_integers_say_their_range() {
    for (body, code, message) in [
        (
            r#"{"Count": 0}"#,
            "InvalidInput",
            "Invalid input Count: expected an integer from 1 to 4294967295, found integer `0`.",
        ),
        (
            r#"{"Delta": 0}"#,
            "InvalidInput",
            "Invalid input Delta: expected a nonzero integer from -128 to 127, found integer `0`.",
        ),
    ] {
        assert_rejected(body, code, message).await;
    }
}

#[test]
fn every_constructor_that_takes_text_escapes_and_bounds_it() {
    let long = format!("a\nb\r\u{1b}[31m{}", "x".repeat(5000));
    let escaped_head = "a\\nb\\r\\u{1b}[31m";
    let cases = [
        (ApiError::new(ErrorCode::BadRequest, long.clone()), ""),
        (ApiError::bad_request(long.clone()), ""),
        (
            ApiError::invalid_request_body(&long),
            "Invalid request body. ",
        ),
        (ApiError::invalid_input(&long), "Invalid input "),
        (ApiError::missing_parameter(&long), "Parameter "),
        (ApiError::invalid_hash(&long), "Hash value "),
        (ApiError::disallowed_operation(&long), ""),
        (ApiError::resource_not_found(&long), "Resource "),
    ];
    for (error, template_head) in cases {
        let message = error.message();
        assert!(
            message.starts_with(&format!("{template_head}{escaped_head}")),
            "{message}"
        );
        assert!(!message.chars().any(char::is_control), "{message}");
        // The variable part is 256 characters; the rest is the template.
        let variable = message[template_head.len()..]
            .chars()
            .take_while(|c| *c != '…');
        assert_eq!(variable.count(), 255, "{message}");
        assert!(message.chars().count() <= 256 + 30, "{message}");
    }
    // OData details hold a description of the crate's own and one echo.
    let error = ApiError::odata(&long);
    assert!(error
        .message()
        .starts_with(&format!("Invalid OData URI query {escaped_head}")));
    assert!(!error.message().chars().any(char::is_control));
    assert_eq!(
        error.message().chars().count(),
        "Invalid OData URI query .".len() + 512
    );
}

#[test]
fn short_clean_text_is_kept_as_it_is() {
    assert_eq!(
        ApiError::new(ErrorCode::BadRequest, "Machine is offline").message(),
        "Machine is offline"
    );
    assert_eq!(ApiError::bad_request("tab\there").message(), "tab\\there");
    assert_eq!(
        ApiError::invalid_request_body("").message(),
        "Invalid request body."
    );
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum Target {
    Ip(String),
    Url(String),
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Flat {
    #[serde(flatten)]
    target: Target,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Times {
    wait: Option<std::time::Duration>,
    at: Option<std::time::SystemTime>,
}

/// Issue 19, defect 2: serde's own messages that name a Rust type (a
/// flattened enum none of whose variants is present, an overflowing
/// duration or time) say what is wrong in the crate's words.
#[tokio::test]
async fn serde_messages_naming_a_type_are_said_without_it() {
    let app = Router::new()
        .route("/flat", post(|Json(_): Json<Flat>| async { "ok" }))
        .route("/times", post(|Json(_): Json<Times>| async { "ok" }))
        .layer(DefenderErrorLayer::new());
    let none_present = "Invalid request body. None of the accepted parameters is present; \
                        parameter names are case-sensitive.";
    for (uri, body, code, message) in [
        (
            "/flat",
            r#"{"ip": "10.0.0.1"}"#,
            "InvalidRequestBody",
            none_present,
        ),
        ("/flat", r#"{}"#, "InvalidRequestBody", none_present),
        (
            "/times",
            r#"{"Wait": {"secs": 18446744073709551615, "nanos": 1000000000}}"#,
            "InvalidInput",
            "Invalid input Wait: the value is out of range.",
        ),
        (
            "/times",
            r#"{"At": {"secs_since_epoch": 18446744073709551615, "nanos_since_epoch": 0}}"#,
            "InvalidInput",
            "Invalid input At: the value is out of range.",
        ),
    ] {
        let reply = send(&app, post_json(uri, body.to_owned())).await;
        reply.assert_envelope(400, code, message);
        for name in ["Target", "Duration", "SystemTime", "enum"] {
            assert!(!message.contains(name), "{message}");
        }
    }
    // A type serde cannot flatten fails on every body: a server bug, not
    // the client's, and its text is only logged.
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct FlatPair {
        #[serde(flatten)]
        pair: PairStruct,
    }
    let app = Router::new()
        .route("/pair", post(|Json(_): Json<FlatPair>| async { "ok" }))
        .layer(DefenderErrorLayer::new());
    send(&app, post_json("/pair", "{}".to_owned()))
        .await
        .assert_envelope(500, "InternalServerError", "");
    let err = defender_errors::extract::from_query::<Flat>("ip=1")
        .err()
        .unwrap();
    assert_eq!(
        err.message(),
        "Invalid query string. None of the accepted parameters is present; parameter names are case-sensitive."
    );
}
