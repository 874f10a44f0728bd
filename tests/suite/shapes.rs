//! No wrong-case key is dropped silently, whatever the body type's shape
//! (issue 10, item 3): options, nested structs, sequences, maps, tagged
//! enums, and the shapes serde buffers (flatten, untagged and internally
//! tagged enums), where every member nothing reads is refused.
#![cfg(feature = "axum")]

use crate::common;

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

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct LenientFlattened {
    comment: String,
    #[serde(flatten)]
    options: Options,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct NestedFlatten {
    comment: String,
    #[serde(flatten)]
    middle: Middle,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Middle {
    reason: Option<String>,
    #[serde(flatten)]
    options: Options,
}

#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum LenientUntagged {
    Isolate(Isolate),
}

#[derive(Deserialize)]
#[serde(tag = "Type")]
#[allow(dead_code)]
enum LenientInternal {
    Isolate(Isolate),
    Nested { inner: Isolate },
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct WithMaps {
    comment: String,
    labels: HashMap<String, String>,
    extra: serde_json::Value,
    #[serde(flatten)]
    options: Options,
    #[serde(flatten)]
    rest: HashMap<String, serde_json::Value>,
}

fn lenient_app() -> Router {
    Router::new()
        .route(
            "/flatten",
            post(|Json(_): Json<LenientFlattened>| async { "ok" }),
        )
        .route(
            "/nested",
            post(|Json(_): Json<NestedFlatten>| async { "ok" }),
        )
        .route(
            "/untagged",
            post(|Json(_): Json<LenientUntagged>| async { "ok" }),
        )
        .route(
            "/internal",
            post(|Json(_): Json<LenientInternal>| async { "ok" }),
        )
        .route("/maps", post(|Json(_): Json<WithMaps>| async { "ok" }))
        .layer(DefenderErrorLayer::new())
}

async fn assert_lenient(uri: &str, body: &str, status: u16, message: Option<&str>) {
    let reply = send(&lenient_app(), post_json(uri, body.to_owned())).await;
    match message {
        Some(message) => {
            reply.assert_envelope(status, "InvalidRequestBody", message);
        }
        None => assert_eq!(reply.status, status, "{uri} {body}: {:?}", reply.body),
    }
}

const NOT_KNOWN: &str =
    "Invalid request body. Parameter isolationType is not known; parameter names are case-sensitive.";

#[tokio::test]
async fn a_key_a_flattened_struct_drops_is_refused() {
    assert_lenient("/flatten", RIGHT, 200, None).await;
    assert_lenient("/flatten", r#"{"Comment": "x"}"#, 200, None).await;
    assert_lenient("/flatten", WRONG, 400, Some(NOT_KNOWN)).await;
    // Any key no struct reads is refused: the guard cannot learn the
    // flattened struct's fields, so it does not guess which were meant.
    assert_lenient(
        "/flatten",
        r#"{"Comment": "x", "Bogus": 1}"#,
        400,
        Some("Invalid request body. Parameter Bogus is not known; parameter names are case-sensitive."),
    )
    .await;
    assert_lenient(
        "/nested",
        r#"{"Comment": "x", "Reason": "r", "IsolationType": "Full"}"#,
        200,
        None,
    )
    .await;
    assert_lenient(
        "/nested",
        r#"{"Comment": "x", "Reason": "r", "isolationType": "Full"}"#,
        400,
        Some(NOT_KNOWN),
    )
    .await;
    assert_lenient(
        "/nested",
        r#"{"Comment": "x", "reason": "r", "IsolationType": "Full"}"#,
        400,
        Some("Invalid request body. Parameter reason is not known; parameter names are case-sensitive."),
    )
    .await;
}

#[tokio::test]
async fn a_key_an_untagged_or_internally_tagged_enum_drops_is_refused() {
    assert_lenient("/untagged", RIGHT, 200, None).await;
    assert_lenient("/untagged", WRONG, 400, Some(NOT_KNOWN)).await;
    let internal = |body: &str| format!(r#"{{"Type": "Isolate", {}"#, &body[1..]);
    assert_lenient("/internal", &internal(RIGHT), 200, None).await;
    assert_lenient("/internal", &internal(WRONG), 400, Some(NOT_KNOWN)).await;
    // Nested structs inside the buffered object are checked too.
    assert_lenient(
        "/internal",
        &format!(r#"{{"Type": "Nested", "inner": {RIGHT}}}"#),
        200,
        None,
    )
    .await;
    assert_lenient(
        "/internal",
        &format!(r#"{{"Type": "Nested", "inner": {WRONG}}}"#),
        400,
        Some(NOT_KNOWN),
    )
    .await;
}

#[tokio::test]
async fn maps_and_json_values_keep_their_arbitrary_keys() {
    assert_lenient(
        "/maps",
        r#"{"Comment": "x", "Labels": {"any": "a", "ANY": "b"},
            "Extra": {"whatever": [{"Case": 1, "case": 2}]},
            "IsolationType": "Full", "isolationtype": 1, "free": {"k": null}}"#,
        200,
        None,
    )
    .await;
}

#[tokio::test]
async fn too_many_buffered_keys_are_refused_not_probed() {
    // `WithMaps` flattens, so its `Extra` (any JSON value) is read like the
    // members it does not know: each is one probe pass on success.
    let body = |members: usize| {
        let members: Vec<String> = (0..members).map(|i| format!(r#""K{i}": {i}"#)).collect();
        format!(
            r#"{{"Comment": "x", "Labels": {{}}, "Extra": 0, {}}}"#,
            members.join(", ")
        )
    };
    assert_lenient("/maps", &body(63), 200, None).await;
    assert_lenient(
        "/maps",
        &body(64),
        400,
        Some("Invalid request body. It holds 65 parameters inside flattened objects or untagged or internally tagged enums, too many to check their names: at most 64, and fewer in a body over 64 KiB."),
    )
    .await;
}

#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Ambiguous {
    Full(Isolate),
    Short {
        #[serde(rename = "Comment")]
        comment: String,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
#[allow(dead_code)]
enum Unambiguous {
    Full(Isolate),
    Short(StrictShort),
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct StrictShort {
    comment: String,
}

#[tokio::test]
async fn an_untagged_body_two_variants_read_differently_is_refused() {
    let app = Router::new()
        .route(
            "/ambiguous",
            post(|Json(_): Json<Ambiguous>| async { "ok" }),
        )
        .route(
            "/unambiguous",
            post(|Json(_): Json<Unambiguous>| async { "ok" }),
        )
        .layer(DefenderErrorLayer::new());
    // `Full` reads IsolationType, `Short` would accept the body without
    // reading it: which one serde kept cannot be seen, so it is refused.
    send(&app, post_json("/ambiguous", RIGHT.to_owned()))
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. Parameter IsolationType is not known; parameter names are case-sensitive.",
        );
    // A later variant that denies unknown fields makes the body unambiguous.
    let reply = send(&app, post_json("/unambiguous", RIGHT.to_owned())).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    send(&app, post_json("/unambiguous", WRONG.to_owned()))
        .await
        .assert_envelope(400, "InvalidRequestBody", NOT_KNOWN);
    let reply = send(
        &app,
        post_json("/ambiguous", r#"{"Comment": "x"}"#.to_owned()),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[test]
fn query_strings_refuse_what_a_flattened_struct_drops() {
    use defender_errors::extract::from_query;
    use defender_errors::ErrorCode;

    let ok = from_query::<LenientFlattened>("Comment=x&IsolationType=Full").unwrap();
    assert_eq!(ok.options.isolation_type.as_deref(), Some("Full"));
    let err = from_query::<LenientFlattened>("Comment=x&isolationType=Full")
        .err()
        .unwrap();
    assert_eq!(err.code(), ErrorCode::BadRequest);
    assert_eq!(
        err.message(),
        "Invalid query string. Parameter isolationType is not known; parameter names are case-sensitive."
    );
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct FlatHash {
    comment: String,
    #[serde(flatten)]
    hash: HashOnly,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct HashOnly {
    sha1: Option<defender_errors::FileHash>,
}

#[tokio::test]
async fn typed_values_in_a_flattened_struct_are_read_and_checked() {
    let app = Router::new()
        .route("/hash", post(|Json(_): Json<FlatHash>| async { "ok" }))
        .layer(DefenderErrorLayer::new());
    let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let reply = send(
        &app,
        post_json("/hash", format!(r#"{{"Comment": "x", "Sha1": "{sha1}"}}"#)),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    send(
        &app,
        post_json("/hash", format!(r#"{{"Comment": "x", "sha1": "{sha1}"}}"#)),
    )
    .await
    .assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. Parameter sha1 is not known; parameter names are case-sensitive.",
    );
}
