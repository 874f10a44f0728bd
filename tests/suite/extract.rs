//! SPEC §4 and §5 through a real router behind the layer: case-sensitive
//! body parameters, typed values in bodies, paths and queries, and every
//! axum rejection converted into its code.
#![cfg(feature = "axum")]

use crate::common;

use axum::body::Body;
use axum::extract::rejection::{
    BytesRejection, ExtensionRejection, FormRejection, JsonRejection, PathRejection,
    QueryRejection, StringRejection,
};
use axum::routing::{get, post};
use axum::{Extension, Router};
use common::{get as get_req, post_json, send};
use defender_errors::extract::{Form, Json, Path, Query};
use defender_errors::{
    ApiError, Batch, DefenderErrorLayer, DomainName, FileHash, HttpUrl, IpAddress, Sha1Hash,
};
use http::Request;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Isolate {
    comment: String,
    isolation_type: Option<IsolationType>,
}

#[derive(Deserialize, Debug)]
enum IsolationType {
    Full,
    Selective,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct Strict {
    comment: String,
    #[allow(dead_code)]
    title: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Indicator {
    indicator_value: String,
    indicator_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Import {
    indicators: Vec<Indicator>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HashBody {
    sha1: Sha1Hash,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Lookup {
    domain: Option<DomainName>,
    ip: Option<IpAddress>,
    url: Option<HttpUrl>,
    hash: Option<FileHash>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Items {
    items: Batch<u32, 3>,
}

#[derive(Deserialize, Debug)]
struct Paging {
    top: u32,
    skip: Option<u32>,
}

#[derive(Deserialize)]
struct UrlQuery {
    url: HttpUrl,
}

fn app() -> Router {
    Router::new()
        .route(
            "/isolate",
            post(|Json(b): Json<Isolate>| async move {
                format!("{} {:?}", b.comment, b.isolation_type)
            }),
        )
        .route(
            "/any",
            post(|Json(v): Json<serde_json::Value>| async move { v.to_string() }),
        )
        .route(
            "/strict",
            post(|Json(b): Json<Strict>| async move { b.comment }),
        )
        .route(
            "/import",
            post(|Json(b): Json<Import>| async move { b.indicators.len().to_string() }),
        )
        .route(
            "/hash",
            post(|Json(b): Json<HashBody>| async move { b.sha1.to_string() }),
        )
        .route(
            "/lookup",
            post(|Json(b): Json<Lookup>| async move {
                format!(
                    "{:?} {:?} {:?} {:?}",
                    b.domain.map(|d| d.to_string()),
                    b.ip.map(|i| i.to_string()),
                    b.url.map(|u| u.to_string()),
                    b.hash.map(|h| h.to_string())
                )
            }),
        )
        .route(
            "/items",
            post(|Json(b): Json<Items>| async move { b.items.len().to_string() }),
        )
        .route(
            "/files/{hash}",
            get(|Path(h): Path<FileHash>| async move { h.to_string() }),
        )
        .route(
            "/domains/{domain}",
            get(|Path(d): Path<DomainName>| async move { d.to_string() }),
        )
        .route(
            "/ips/{ip}",
            get(|Path(ip): Path<IpAddress>| async move { ip.to_string() }),
        )
        .route(
            "/machines/{n}",
            get(|Path(n): Path<u32>| async move { n.to_string() }),
        )
        .route(
            "/urls",
            get(|Query(q): Query<UrlQuery>| async move { q.url.to_string() }),
        )
        .route(
            "/list",
            get(|Query(p): Query<Paging>| async move { format!("{} {:?}", p.top, p.skip) }),
        )
        .route(
            "/form",
            post(|Form(p): Form<Paging>| async move { p.top.to_string() }),
        )
        .layer(DefenderErrorLayer::new())
}

async fn post_body(uri: &str, body: &str) -> common::Reply {
    send(&app(), post_json(uri, body.to_owned())).await
}

// SPEC §4, row by row.

#[tokio::test]
async fn the_right_body_is_accepted() {
    let reply = post_body("/isolate", r#"{"Comment": "isolate"}"#).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "isolate None");
    let reply = post_body(
        "/isolate",
        r#"{"Comment": "isolate", "IsolationType": "Selective", "Other": [1, {"a": 2}]}"#,
    )
    .await;
    assert_eq!(
        reply.body, "isolate Some(Selective)",
        "unrelated keys are ignored on a lenient type"
    );
}

#[tokio::test]
async fn an_empty_object_misses_the_required_parameter() {
    post_body("/isolate", "{}").await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Comment is missing.",
    );
}

#[tokio::test]
async fn a_wrong_case_key_for_a_required_parameter_is_named() {
    post_body("/isolate", r#"{"comment": "isolate"}"#)
        .await
        .assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive.",
    );
    post_body(
        "/isolate",
        r#"{"COMMENT": "isolate", "IsolationType": "Full"}"#,
    )
    .await
    .assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Comment is missing. Found COMMENT instead; parameter names are case-sensitive.",
    );
}

#[tokio::test]
async fn a_wrong_case_key_for_an_optional_parameter_is_not_dropped() {
    post_body("/isolate", r#"{"Comment": "x", "isolationType": "Full"}"#).await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. Parameter isolationType is not known. Did you mean IsolationType? Parameter names are case-sensitive.",
    );
}

#[tokio::test]
async fn an_unknown_parameter_on_a_strict_type_is_named() {
    post_body("/strict", r#"{"Comment": "x", "Bogus": 1}"#)
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. Parameter Bogus is not known.",
        );
    post_body("/strict", r#"{"Comment": "x", "title": "t"}"#).await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. Parameter title is not known. Did you mean Title? Parameter names are case-sensitive.",
    );
    assert_eq!(
        post_body("/strict", r#"{"Comment": "x", "Title": "t"}"#)
            .await
            .body,
        "x"
    );
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_invalid_input() {
    post_body("/isolate", r#"{"Comment": 5}"#)
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Comment: expected a string, found integer `5`.",
        );
    post_body(
        "/isolate",
        r#"{"Comment": "x", "IsolationType": "Partial"}"#,
    )
    .await
    .assert_envelope(
        400,
        "InvalidInput",
        "Invalid input IsolationType: unknown value `Partial`, expected `Full` or `Selective`.",
    );
    post_body("/import", r#"{"Indicators": [["a", "FileSha1"]]}"#)
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Indicators[0]: expected an object, found an array.",
        );
    post_body("/isolate", r#"{"Comment": ["x"]}"#)
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Comment: expected a string, found an array.",
        );
}

#[tokio::test]
async fn no_rust_type_name_reaches_the_client() {
    post_body("/items", r#"{"Items": ["x"]}"#)
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Items[0]: expected an integer from 0 to 4294967295, found string \"x\".",
        );
    post_body("/items", r#"{"Items": [-1]}"#)
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Items[0]: expected an integer from 0 to 4294967295, found integer `-1`.",
        );
    post_body("/items", r#"{"Items": [1.5]}"#).await.assert_envelope(
        400,
        "InvalidInput",
        "Invalid input Items[0]: expected an integer from 0 to 4294967295, found floating point `1.5`.",
    );
    post_body("/items", r#"{"Items": {}}"#)
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Items: expected an array of at most 3 elements, found an object.",
        );
}

#[tokio::test]
async fn malformed_truncated_and_empty_bodies_say_where() {
    post_body("/isolate", r#"{"Comment": "x""#)
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. EOF while parsing an object at line 1 column 15.",
        );
    post_body("/isolate", "Comment=x").await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. expected value at line 1 column 1.",
    );
    post_body("/isolate", "").await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. EOF while parsing a value at line 1 column 0.",
    );
    post_body("/isolate", "{\"Comment\": \"x\",\n  \"IsolationType\": }")
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. expected value at line 2 column 20.",
        );
    post_body("/isolate", r#"{"Comment": "x"} {}"#)
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. trailing characters at line 1 column 18.",
        );
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_invalid() {
    post_body("/isolate", "[1, 2]").await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. Expected an object, found an array.",
    );
    post_body("/isolate", "\"text\"").await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. Expected an object, found string \"text\".",
    );
}

#[tokio::test]
async fn a_missing_or_wrong_content_type_is_unsupported_media_type() {
    let message = "The request content type is not supported. Use Content-Type: application/json.";
    let request = Request::post("/isolate")
        .body(Body::from(r#"{"Comment":"x"}"#))
        .unwrap();
    send(&app(), request)
        .await
        .assert_envelope(415, "UnsupportedMediaType", message);
    let request = Request::post("/isolate")
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"Comment":"x"}"#))
        .unwrap();
    send(&app(), request)
        .await
        .assert_envelope(415, "UnsupportedMediaType", message);
    let request = Request::post("/isolate")
        .header(
            "content-type",
            "application/vnd.defender+json; charset=utf-8",
        )
        .body(Body::from(r#"{"Comment":"x"}"#))
        .unwrap();
    assert_eq!(send(&app(), request).await.status, 200);
}

/// Issue 19, defect 8: the extractors read UTF-8 only, so a JSON or form
/// body declared in another charset is 415, not a syntax error; a UTF-8
/// byte-order mark before a JSON body is ignored, as RFC 8259 allows.
#[tokio::test]
async fn a_charset_other_than_utf8_is_unsupported_and_a_bom_is_ignored() {
    let json = |ct: &str, body: &[u8]| {
        Request::post("/isolate")
            .header("content-type", ct)
            .body(Body::from(body.to_vec()))
            .unwrap()
    };
    let message = "The request content type is not supported: the body must be UTF-8. \
                   Use Content-Type: application/json.";
    for ct in [
        "application/json; charset=utf-16",
        "application/json;charset=UTF-16LE",
        "application/json; charset=\"iso-8859-1\"",
        "application/vnd.defender+json; Charset=latin1",
    ] {
        let utf16: Vec<u8> =
            r#"{"Comment":"x"}"#.encode_utf16().flat_map(u16::to_le_bytes).collect();
        send(&app(), json(ct, &utf16))
            .await
            .assert_envelope(415, "UnsupportedMediaType", message);
    }
    for ct in [
        "application/json; charset=utf-8",
        "application/json; charset=UTF-8",
        "application/json; charset=\"utf-8\"",
        "application/json",
    ] {
        let reply = send(&app(), json(ct, br#"{"Comment":"x"}"#)).await;
        assert_eq!(reply.status, 200, "{ct}: {:?}", reply.body);
    }
    let reply = send(
        &app(),
        json("application/json", b"\xEF\xBB\xBF{\"Comment\":\"x\"}"),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    // Only one mark, and only at the start.
    send(
        &app(),
        json("application/json", b"\xEF\xBB\xBF\xEF\xBB\xBF{}"),
    )
    .await
    .assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. expected value at line 1 column 1.",
    );
    let form = Request::post("/form")
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=iso-8859-1",
        )
        .body(Body::from("top=3"))
        .unwrap();
    send(&app(), form).await.assert_envelope(
        415,
        "UnsupportedMediaType",
        "The request content type is not supported: the body must be UTF-8. \
         Use Content-Type: application/x-www-form-urlencoded.",
    );
    let direct =
        defender_errors::extract::from_slice::<Isolate>(b"\xEF\xBB\xBF{\"Comment\":\"x\"}");
    assert!(direct.is_ok());
}

#[tokio::test]
async fn nested_parameters_are_named_by_their_path() {
    let body = r#"{"Indicators": [
        {"IndicatorValue": "a", "IndicatorType": "FileSha1"},
        {"IndicatorValue": "b", "IndicatorType": "FileSha1"},
        {"IndicatorValue": "c", "IndicatorType": "FileSha1"},
        {"IndicatorType": "FileSha1"}
    ]}"#;
    post_body("/import", body).await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Indicators[3].IndicatorValue is missing.",
    );
    let body = r#"{"Indicators": [{"IndicatorValue": 7, "IndicatorType": "FileSha1"}]}"#;
    post_body("/import", body).await.assert_envelope(
        400,
        "InvalidInput",
        "Invalid input Indicators[0].IndicatorValue: expected a string, found integer `7`.",
    );
    let body = r#"{"Indicators": [{"IndicatorValue": "a", "IndicatorType": "FileSha1"}, {"indicatorValue": "b", "IndicatorType": "FileSha1"}]}"#;
    post_body("/import", body).await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Indicators[1].IndicatorValue is missing. Found Indicators[1].indicatorValue instead; parameter names are case-sensitive.",
    );
}

#[tokio::test]
async fn duplicate_keys_are_named() {
    post_body("/isolate", r#"{"Comment": "a", "Comment": "b"}"#)
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. Parameter Comment appears more than once.",
        );
}

#[tokio::test]
async fn deep_nesting_is_an_invalid_body_not_a_crash() {
    let body = "[".repeat(10_000);
    post_body("/any", &body).await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. recursion limit exceeded at line 1 column 128.",
    );
    post_body("/isolate", &body).await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. Expected an object, found an array.",
    );
    let body = format!(r#"{{"Comment": "x", "Deep": {}}}"#, "[".repeat(100_000));
    let reply = post_body("/isolate", &body).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("x-ms-error-code"), "InvalidRequestBody");
}

// SPEC §5: typed values in bodies, paths and queries.

#[tokio::test]
async fn a_typed_value_in_a_body_reports_its_own_code() {
    post_body("/hash", r#"{"Sha1": "xyz"}"#)
        .await
        .assert_envelope(400, "InvalidHashValue", "Hash value xyz is invalid.");
    let sha1 = "A94A8FE5CCB19BA61C4C0873D391E987982FBBD3";
    assert_eq!(
        post_body("/hash", &format!(r#"{{"Sha1": "{sha1}"}}"#))
            .await
            .body,
        sha1.to_lowercase()
    );
    post_body("/lookup", r#"{"Domain": "-bad-.com"}"#)
        .await
        .assert_envelope(
            400,
            "InvalidDomainName",
            "Domain name -bad-.com is invalid.",
        );
    post_body("/lookup", r#"{"Ip": "1.2.3"}"#)
        .await
        .assert_envelope(400, "InvalidIpAddress", "IP address 1.2.3 is invalid.");
    post_body("/lookup", r#"{"Url": "ftp://example.com/x"}"#)
        .await
        .assert_envelope(400, "InvalidUrl", "URL ftp://example.com/x is invalid.");
    post_body("/lookup", r#"{"Hash": "abc"}"#)
        .await
        .assert_envelope(400, "InvalidHashValue", "Hash value abc is invalid.");
    let reply = post_body("/lookup", r#"{"Domain": "example.com", "Ip": "::1", "Url": "https://example.com/a", "Hash": "d41d8cd98f00b204e9800998ecf8427e"}"#).await;
    assert_eq!(
        reply.body,
        r#"Some("example.com") Some("::1") Some("https://example.com/a") Some("d41d8cd98f00b204e9800998ecf8427e")"#
    );
}

#[tokio::test]
async fn a_batch_over_its_limit_says_both_numbers() {
    assert_eq!(
        post_body("/items", r#"{"Items": [1, 2, 3]}"#).await.body,
        "3"
    );
    post_body("/items", r#"{"Items": [1, 2, 3, 4]}"#)
        .await
        .assert_envelope(
            400,
            "MaximumBatchSizeExceeded",
            "Maximum batch size exceeded. Received: 4, allowed: 3.",
        );
}

#[tokio::test]
async fn typed_values_in_the_path_report_their_own_code() {
    let app = app();
    send(&app, get_req("/files/xyz")).await.assert_envelope(
        400,
        "InvalidHashValue",
        "Hash value xyz is invalid.",
    );
    send(&app, get_req("/domains/-bad-.com"))
        .await
        .assert_envelope(
            400,
            "InvalidDomainName",
            "Domain name -bad-.com is invalid.",
        );
    send(&app, get_req("/ips/1.2.3")).await.assert_envelope(
        400,
        "InvalidIpAddress",
        "IP address 1.2.3 is invalid.",
    );
    send(&app, get_req("/machines/abc")).await.assert_envelope(
        400,
        "InvalidInput",
        "Invalid input abc.",
    );
    assert_eq!(send(&app, get_req("/ips/fe80::1")).await.body, "fe80::1");
    assert_eq!(
        send(&app, get_req("/domains/Example.COM")).await.body,
        "example.com"
    );
}

#[tokio::test]
async fn query_parameters_are_case_sensitive_and_typed() {
    let app = app();
    assert_eq!(
        send(&app, get_req("/list?top=5&skip=2")).await.body,
        "5 Some(2)"
    );
    send(&app, get_req("/list")).await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter top is missing.",
    );
    send(&app, get_req("/list?top=many")).await.assert_envelope(
        400,
        "InvalidInput",
        "Invalid input top: invalid digit found in string.",
    );
    send(&app, get_req("/list?Top=5")).await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter top is missing. Found Top instead; parameter names are case-sensitive.",
    );
    send(&app, get_req("/list?top=5&Skip=1")).await.assert_envelope(
        400,
        "BadRequest",
        "Invalid query string. Parameter Skip is not known. Did you mean skip? Parameter names are case-sensitive.",
    );
    send(&app, get_req("/urls?url=ftp%3A%2F%2Fx"))
        .await
        .assert_envelope(400, "InvalidUrl", "URL ftp://x is invalid.");
    assert_eq!(
        send(&app, get_req("/urls?url=https%3A%2F%2Fexample.com%2F"))
            .await
            .body,
        "https://example.com/"
    );
}

#[tokio::test]
async fn forms_are_checked_like_queries() {
    let app = app();
    let form = |ct: &str, body: &str| {
        Request::post("/form")
            .header("content-type", ct)
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    assert_eq!(
        send(&app, form("application/x-www-form-urlencoded", "top=3"))
            .await
            .body,
        "3"
    );
    send(&app, form("application/x-www-form-urlencoded", "skip=3"))
        .await
        .assert_envelope(400, "MissingRequiredParameter", "Parameter top is missing.");
    send(&app, form("application/json", "top=3")).await.assert_envelope(
        415,
        "UnsupportedMediaType",
        "The request content type is not supported. Use Content-Type: application/x-www-form-urlencoded.",
    );
}

#[test]
fn serde_json_positions_are_where_the_crate_expects_them() {
    // The crate strips serde_json's " at line L column C" suffix from data
    // errors by rebuilding it from line() and column(): pin the format.
    let error = serde_json::from_str::<u32>("\"x\"").unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "invalid type: string \"x\", expected u32 at line {} column {}",
            error.line(),
            error.column()
        )
    );
    let error = serde_json::from_str::<Paging>("{}").unwrap_err();
    assert!(error.to_string().starts_with("missing field `top`"));
}

// Every axum rejection converts into its code.

#[tokio::test]
async fn axum_rejections_convert_into_precise_codes() {
    async fn json(body: Result<axum::Json<Isolate>, JsonRejection>) -> Result<String, ApiError> {
        Ok(body?.0.comment)
    }
    async fn path(
        p: Result<axum::extract::Path<FileHash>, PathRejection>,
    ) -> Result<String, ApiError> {
        Ok(p?.0.to_string())
    }
    async fn number(
        p: Result<axum::extract::Path<u32>, PathRejection>,
    ) -> Result<String, ApiError> {
        Ok(p?.0.to_string())
    }
    async fn query(
        q: Result<axum::extract::Query<Paging>, QueryRejection>,
    ) -> Result<String, ApiError> {
        Ok(q?.0.top.to_string())
    }
    async fn form(f: Result<axum::Form<Paging>, FormRejection>) -> Result<String, ApiError> {
        Ok(f?.0.top.to_string())
    }
    async fn bytes(b: Result<axum::body::Bytes, BytesRejection>) -> Result<String, ApiError> {
        Ok(b?.len().to_string())
    }
    async fn string(s: Result<String, StringRejection>) -> Result<String, ApiError> {
        Ok(s?)
    }
    async fn extension(e: Result<Extension<u8>, ExtensionRejection>) -> Result<String, ApiError> {
        Ok(e?.0.to_string())
    }

    let app = Router::new()
        .route("/json", post(json))
        .route("/files/{hash}", get(path))
        .route("/n/{n}", get(number))
        .route("/query", get(query))
        .route("/form", post(form))
        .route(
            "/bytes",
            post(bytes).layer(axum::extract::DefaultBodyLimit::max(4)),
        )
        .route("/string", post(string))
        .route("/extension", get(extension))
        .layer(DefenderErrorLayer::new());

    send(&app, post_json("/json", "{}")).await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Comment is missing.",
    );
    send(&app, post_json("/json", r#"{"Comment": 1}"#))
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Comment: expected a string, found integer `1`.",
        );
    send(&app, post_json("/json", r#"{"Comment": "#))
        .await
        .assert_envelope(
            400,
            "InvalidRequestBody",
            "Invalid request body. EOF while parsing a value at line 1 column 12.",
        );
    let request = Request::post("/json").body(Body::from("{}")).unwrap();
    send(&app, request).await.assert_envelope(
        415,
        "UnsupportedMediaType",
        "The request content type is not supported. Use Content-Type: application/json.",
    );
    send(&app, get_req("/files/nothex")).await.assert_envelope(
        400,
        "InvalidHashValue",
        "Hash value nothex is invalid.",
    );
    send(&app, get_req("/n/x"))
        .await
        .assert_envelope(400, "InvalidInput", "Invalid input x.");
    send(&app, get_req("/query")).await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter top is missing.",
    );
    send(&app, get_req("/query?top=-1")).await.assert_envelope(
        400,
        "InvalidInput",
        "Invalid input top: invalid digit found in string.",
    );
    let request = Request::post("/form")
        .header("content-type", "text/plain")
        .body(Body::from("top=1"))
        .unwrap();
    send(&app, request).await.assert_envelope(415, "UnsupportedMediaType", "The request content type is not supported. Use Content-Type: application/x-www-form-urlencoded.");
    let request = Request::post("/form")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("top=x"))
        .unwrap();
    send(&app, request).await.assert_envelope(
        400,
        "InvalidInput",
        "Invalid input top: invalid digit found in string.",
    );
    let request = Request::post("/bytes").body(Body::from("12345")).unwrap();
    send(&app, request).await.assert_envelope(
        413,
        "PayloadTooLarge",
        "The request body is too large.",
    );
    let request = Request::post("/string")
        .body(Body::from(vec![0xff, 0xfe]))
        .unwrap();
    send(&app, request).await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. The body is not valid UTF-8.",
    );
    send(&app, get_req("/extension"))
        .await
        .assert_envelope(500, "InternalServerError", "");
}

#[tokio::test]
async fn axum_extras_with_rejection_answers_in_the_envelope() {
    use axum_extra::extract::WithRejection;

    async fn isolate(
        WithRejection(axum::Json(body), _): WithRejection<axum::Json<Isolate>, ApiError>,
    ) -> String {
        body.comment
    }

    let app = Router::new()
        .route("/isolate", post(isolate))
        .layer(DefenderErrorLayer::new());
    send(&app, post_json("/isolate", r#"{"Comment": true}"#))
        .await
        .assert_envelope(
            400,
            "InvalidInput",
            "Invalid input Comment: expected a string, found boolean `true`.",
        );
    assert_eq!(
        send(&app, post_json("/isolate", r#"{"Comment": "ok"}"#))
            .await
            .body,
        "ok"
    );
}
