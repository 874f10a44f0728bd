//! Property tests, bounded so CI stays fast: whatever the input, the answer
//! is a success or a well-formed envelope, never a panic.
#![cfg(feature = "axum")]

use crate::common;

use std::convert::Infallible;
use std::str::FromStr;

use axum::body::Body;
use axum::routing::post;
use axum::Router;
use common::send;
use defender_errors::extract::Json;
use defender_errors::{
    ApiError, DefenderErrorLayer, DomainName, ErrorCode, FileHash, HttpUrl, IpAddress,
};
use http::{Request, Response, StatusCode};
use proptest::prelude::*;
use serde::Deserialize;
use tower::{service_fn, ServiceBuilder};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Body1 {
    comment: String,
    isolation_type: Option<String>,
    items: Option<Vec<Inner>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct Inner {
    sha1: Option<defender_errors::Sha1Hash>,
    count: Option<u32>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Asserts `reply` is an envelope of `status`, with the three members in
/// order, the id of the header as `target`, and a message without raw
/// control characters.
fn assert_well_formed(reply: &common::Reply) {
    let json = reply.json();
    let error = json["error"].as_object().expect("an error object");
    let keys: Vec<&str> = error.keys().map(String::as_str).collect();
    assert_eq!(keys, ["code", "message", "target"]);
    let code = error["code"].as_str().unwrap();
    let parsed: ErrorCode = code.parse().expect("a known code");
    assert_eq!(reply.header("x-ms-error-code"), code);
    assert_eq!(error["target"], reply.request_id());
    let message = error["message"].as_str().unwrap();
    assert!(
        !message.chars().any(char::is_control),
        "raw control character in {message:?}"
    );
    assert!(message.len() < 2_000, "message of {} bytes", message.len());
    // The code's status, or another status of the general code's class.
    match parsed {
        ErrorCode::BadRequest => assert!(reply.status.is_client_error()),
        ErrorCode::InternalServerError => assert!(reply.status.is_server_error()),
        code => assert_eq!(reply.status, code.status()),
    }
}

fn json_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        // Arbitrary bytes.
        proptest::collection::vec(any::<u8>(), 0..200),
        // Arbitrary text.
        ".{0,200}".prop_map(String::into_bytes),
        // JSON-shaped text: keys of any case, values of any type.
        (
            "(Comment|comment|COMMENT|IsolationType|isolationtype|Items|Bogus)",
            prop_oneof![
                Just("\"x\"".to_owned()),
                Just("5".to_owned()),
                Just("null".to_owned()),
                Just("[{\"Sha1\": \"xyz\"}]".to_owned()),
                Just("[{\"sha1\": 1}]".to_owned()),
                Just("[{\"Count\": -1}]".to_owned()),
                Just("{".to_owned()),
                "\"[^\"\\\\]{0,20}\"",
            ],
            "(Comment|Items|IsolationType)",
            prop_oneof![
                Just("\"y\"".to_owned()),
                Just("[]".to_owned()),
                Just("1e400".to_owned())
            ],
        )
            .prop_map(
                |(k1, v1, k2, v2)| format!("{{\"{k1}\": {v1}, \"{k2}\": {v2}}}").into_bytes()
            ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn any_body_is_a_success_or_an_envelope(body in json_body()) {
        let rt = runtime();
        let app = Router::new()
            .route("/", post(|Json(_): Json<Body1>| async { "ok" }))
            .layer(DefenderErrorLayer::new());
        let request = Request::post("/")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap();
        let reply = rt.block_on(send(&app, request));
        if reply.status != StatusCode::OK {
            prop_assert!(reply.status.is_client_error());
            assert_well_formed(&reply);
        }
    }

    #[test]
    fn any_string_is_a_typed_value_or_its_own_code(input in ".{0,300}") {
        let checks: [(Result<(), ApiError>, ErrorCode); 4] = [
            (FileHash::from_str(&input).map(drop), ErrorCode::InvalidHashValue),
            (DomainName::from_str(&input).map(drop), ErrorCode::InvalidDomainName),
            (IpAddress::from_str(&input).map(drop), ErrorCode::InvalidIpAddress),
            (HttpUrl::from_str(&input).map(drop), ErrorCode::InvalidUrl),
        ];
        for (result, code) in checks {
            if let Err(error) = result {
                prop_assert_eq!(error.code(), code);
                prop_assert!(!error.message().contains('\n'));
                prop_assert!(error.message().chars().count() <= 256 + 40, "{:?}", error.message());
            }
        }
    }

    #[test]
    fn any_status_of_an_inner_service_comes_out_right(status in 100u16..1000) {
        let status = StatusCode::from_u16(status).unwrap();
        let rt = runtime();
        let service = ServiceBuilder::new().layer(DefenderErrorLayer::new()).service(service_fn(
            move |_req: Request<Body>| async move {
                let mut response = Response::new(Body::from("inner body"));
                *response.status_mut() = status;
                Ok::<_, Infallible>(response)
            },
        ));
        let request = Request::get("/").body(Body::empty()).unwrap();
        let reply = rt.block_on(send(&service, request));
        common::assert_uuid(reply.request_id());
        if status.as_u16() < 400 {
            prop_assert_eq!(reply.status, status);
            prop_assert_eq!(&reply.body[..], b"inner body");
        } else {
            let expected = match status.as_u16() {
                422 => StatusCode::BAD_REQUEST,
                600.. => StatusCode::INTERNAL_SERVER_ERROR,
                _ => status,
            };
            prop_assert_eq!(reply.status, expected);
            assert_well_formed(&reply);
            // The contract's table, written out here rather than asked of
            // `ErrorCode::from_status`, the function under test.
            let expected_code = match status.as_u16() {
                401 => "Unauthorized",
                403 => "Forbidden",
                404 => "NotFound",
                405 => "MethodNotAllowed",
                406 => "NotAcceptable",
                408 => "RequestTimeout",
                413 => "PayloadTooLarge",
                415 => "UnsupportedMediaType",
                422 => "InvalidRequestBody",
                429 => "TooManyRequests",
                431 => "RequestHeaderFieldsTooLarge",
                501 => "NotImplemented",
                503 => "ServiceUnavailable",
                504 => "GatewayTimeout",
                400..=499 => "BadRequest",
                _ => "InternalServerError",
            };
            prop_assert_eq!(reply.header("x-ms-error-code"), expected_code);
        }
    }
}
