//! No wrong-case key is dropped silently where the extractors can see the
//! declared names (issue 10, item 3): options, nested structs, sequences,
//! maps, tagged enums, and the shapes serde buffers (flatten, untagged and
//! internally tagged enums) through `deny_unknown_fields` or the crate's
//! `Rest` catch-all. Where serde hides the names, the body is read as serde
//! reads it (issue 19, defect 6: no probing, no guess), as the contract
//! says.
#![cfg(feature = "axum")]

use crate::common;

use std::collections::HashMap;

use axum::routing::post;
use axum::Router;
use common::{post_json, send};
use defender_errors::extract::{Declared, Json, Rest};
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
    #[serde(flatten)]
    rest: Rest<LenientFlattened>,
}

impl Declared for LenientFlattened {
    const NAMES: &'static [&'static str] = &["Comment", "IsolationType"];
}

/// The same without the crate's catch-all: serde drops what it does not
/// read, and the extractors cannot see the flattened member's names.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Unchecked {
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
    #[serde(flatten)]
    rest: Rest<NestedFlatten>,
}

impl Declared for NestedFlatten {
    const NAMES: &'static [&'static str] = &["Comment", "Reason", "IsolationType"];
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
        .route(
            "/unchecked",
            post(|Json(_): Json<Unchecked>| async { "ok" }),
        )
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
    "Invalid request body. Parameter isolationType is not known. Did you mean IsolationType? Parameter names are case-sensitive.";

#[tokio::test]
async fn a_flattened_structs_catch_all_refuses_a_near_miss() {
    assert_lenient("/flatten", RIGHT, 200, None).await;
    assert_lenient("/flatten", r#"{"Comment": "x"}"#, 200, None).await;
    assert_lenient("/flatten", WRONG, 400, Some(NOT_KNOWN)).await;
    // Any other key is the catch-all's, as with a map (issue 19 changed
    // this: the probing refused every key nothing read).
    assert_lenient("/flatten", r#"{"Comment": "x", "Bogus": 1}"#, 200, None).await;
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
        Some("Invalid request body. Parameter reason is not known. Did you mean Reason? Parameter names are case-sensitive."),
    )
    .await;
}

#[tokio::test]
async fn where_serde_hides_the_names_the_body_is_read_as_serde_reads_it() {
    // The documented limits (README, docs/contract.md): a flattened struct
    // without `Rest` or `deny_unknown_fields`, and variants of untagged or
    // internally tagged enums that do not deny unknown fields.
    assert_lenient("/unchecked", WRONG, 200, None).await;
    assert_lenient("/untagged", RIGHT, 200, None).await;
    assert_lenient("/untagged", WRONG, 200, None).await;
    let internal = |body: &str| format!(r#"{{"Type": "Isolate", {}"#, &body[1..]);
    assert_lenient("/internal", &internal(RIGHT), 200, None).await;
    assert_lenient("/internal", &internal(WRONG), 200, None).await;
    assert_lenient(
        "/internal",
        &format!(r#"{{"Type": "Nested", "inner": {WRONG}}}"#),
        200,
        None,
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
async fn many_buffered_members_are_not_refused_for_their_number() {
    // Issue 19 changed this: the probing refused more than 64.
    let body = |members: usize| {
        let members: Vec<String> = (0..members).map(|i| format!(r#""K{i}": {i}"#)).collect();
        format!(
            r#"{{"Comment": "x", "Labels": {{}}, "Extra": 0, {}}}"#,
            members.join(", ")
        )
    };
    assert_lenient("/maps", &body(63), 200, None).await;
    assert_lenient("/maps", &body(500), 200, None).await;
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
async fn an_untagged_enum_keeps_the_first_variant_that_accepts_the_body() {
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
    // Issue 19 changed these: with no probing, serde's choice stands.
    for (uri, body) in [
        ("/ambiguous", RIGHT),
        ("/ambiguous", r#"{"Comment": "x"}"#),
        ("/unambiguous", RIGHT),
        // `Full` reads it and, not denying unknown fields, drops the
        // wrong-case key: serde hides that.
        ("/unambiguous", WRONG),
    ] {
        let reply = send(&app, post_json(uri, body.to_owned())).await;
        assert_eq!(reply.status, 200, "{uri} {body}: {:?}", reply.body);
    }
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
        "Invalid query string. Parameter isolationType is not known. Did you mean IsolationType? Parameter names are case-sensitive."
    );
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct FlatHash {
    comment: String,
    #[serde(flatten)]
    hash: HashOnly,
    #[serde(flatten)]
    rest: Rest<FlatHash>,
}

impl Declared for FlatHash {
    const NAMES: &'static [&'static str] = &["Comment", "Sha1"];
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
        "Invalid request body. Parameter sha1 is not known. Did you mean Sha1? Parameter names are case-sensitive.",
    );
    // serde's buffer keeps only the text of the value's failed check; the
    // code is read back from it.
    send(
        &app,
        post_json("/hash", r#"{"Comment": "x", "Sha1": "xyz"}"#.to_owned()),
    )
    .await
    .assert_envelope(400, "InvalidHashValue", "Hash value xyz is invalid.");
}
