//! Every code of the table: its status, its spelling, its message template,
//! the exact envelope and the `x-ms-error-code` header, through a real
//! router behind the layer.
#![cfg(feature = "axum")]

use crate::common;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use common::{get as get_req, send};
use defender_errors::{echo, ApiError, DefenderErrorLayer, ErrorCode};
use http::StatusCode;

/// (code, status, the error a handler returns, the exact message)
fn table() -> Vec<(ErrorCode, u16, ApiError, &'static str)> {
    use ErrorCode::*;
    vec![
        (
            BadRequest,
            400,
            ApiError::bad_request("Parameter Top must be positive."),
            "Parameter Top must be positive.",
        ),
        (
            BadRequest,
            400,
            ApiError::from_code(BadRequest),
            "The request is invalid.",
        ),
        (
            ODataError,
            400,
            ApiError::odata("$top: expected a non-negative integer at position 0"),
            "Invalid OData URI query $top: expected a non-negative integer at position 0.",
        ),
        (
            InvalidInput,
            400,
            ApiError::invalid_input("IsolationType"),
            "Invalid input IsolationType.",
        ),
        (
            InvalidRequestBody,
            400,
            ApiError::invalid_request_body("expected `,` or `}` at line 1 column 9"),
            "Invalid request body. expected `,` or `}` at line 1 column 9",
        ),
        (
            InvalidRequestBody,
            400,
            ApiError::invalid_request_body(""),
            "Invalid request body.",
        ),
        (
            InvalidHashValue,
            400,
            ApiError::invalid_hash("xyz"),
            "Hash value xyz is invalid.",
        ),
        (
            InvalidDomainName,
            400,
            ApiError::invalid_domain("-bad-.com"),
            "Domain name -bad-.com is invalid.",
        ),
        (
            InvalidIpAddress,
            400,
            ApiError::invalid_ip("1.2.3"),
            "IP address 1.2.3 is invalid.",
        ),
        (
            InvalidUrl,
            400,
            ApiError::invalid_url("ftp://x"),
            "URL ftp://x is invalid.",
        ),
        (
            MaximumBatchSizeExceeded,
            400,
            ApiError::maximum_batch_size_exceeded(600, 500),
            "Maximum batch size exceeded. Received: 600, allowed: 500.",
        ),
        (
            MissingRequiredParameter,
            400,
            ApiError::missing_parameter("Comment"),
            "Parameter Comment is missing.",
        ),
        (
            OsPlatformNotSupported,
            400,
            ApiError::os_platform_not_supported("Linux"),
            "OS Platform Linux is not supported for this action.",
        ),
        (
            ClientVersionNotSupported,
            400,
            ApiError::client_version_not_supported("Selective isolation", "10.4850"),
            "Selective isolation is supported on client version 10.4850 and above.",
        ),
        (Unauthorized, 401, ApiError::unauthorized(), "Unauthorized."),
        (Forbidden, 403, ApiError::forbidden(), "Forbidden."),
        (
            DisabledFeature,
            403,
            ApiError::disabled_feature(),
            "Tenant feature is not enabled.",
        ),
        (
            DisallowedOperation,
            403,
            ApiError::disallowed_operation("Machine is already isolated"),
            "Machine is already isolated.",
        ),
        (
            NotFound,
            404,
            ApiError::not_found(),
            "The requested resource was not found.",
        ),
        (
            ResourceNotFound,
            404,
            ApiError::resource_not_found("Machine 123123123"),
            "Resource Machine 123123123 was not found.",
        ),
        (
            ResourceNotFound,
            404,
            ApiError::entity_not_found("Machine", "123123123"),
            "Machine 123123123 was not found",
        ),
        (
            TooManyRequests,
            429,
            ApiError::too_many_requests(42),
            "Rate limit exceeded. Retry after 42 seconds.",
        ),
        (
            InternalServerError,
            500,
            ApiError::internal("database password is hunter2"),
            "",
        ),
        (
            InternalServerError,
            500,
            ApiError::new(InternalServerError, "secret internals"),
            "",
        ),
        (
            MethodNotAllowed,
            405,
            ApiError::from_code(MethodNotAllowed),
            "The method is not allowed for the requested resource.",
        ),
        (
            NotAcceptable,
            406,
            ApiError::from_code(NotAcceptable),
            "The requested representation is not available.",
        ),
        (
            RequestTimeout,
            408,
            ApiError::from_code(RequestTimeout),
            "The request timed out.",
        ),
        (
            PayloadTooLarge,
            413,
            ApiError::from_code(PayloadTooLarge),
            "The request body is too large.",
        ),
        (
            UnsupportedMediaType,
            415,
            ApiError::from_code(UnsupportedMediaType),
            "The request content type is not supported.",
        ),
        (
            RequestHeaderFieldsTooLarge,
            431,
            ApiError::from_code(RequestHeaderFieldsTooLarge),
            "The request header fields are too large.",
        ),
        (
            NotImplemented,
            501,
            ApiError::from_code(NotImplemented),
            "The request uses a transfer coding the server does not implement.",
        ),
        (
            ServiceUnavailable,
            503,
            ApiError::service_unavailable(7),
            "The service is temporarily unavailable. Retry after 7 seconds.",
        ),
        (
            GatewayTimeout,
            504,
            ApiError::from_code(GatewayTimeout),
            "The request did not complete within the server's time limit.",
        ),
    ]
}

fn app() -> Router {
    Router::new()
        .route(
            "/case/{n}",
            get(|Path(n): Path<usize>| async move { Err::<(), _>(table().swap_remove(n).2) }),
        )
        .layer(DefenderErrorLayer::new())
}

#[tokio::test]
async fn every_code_has_its_status_spelling_message_and_header() {
    let app = app();
    let cases = table();
    for (n, (code, status, _, message)) in cases.iter().enumerate() {
        let reply = send(&app, get_req(&format!("/case/{n}"))).await;
        reply.assert_envelope(*status, code.as_str(), message);
    }
    // The table above covers every code.
    for code in ErrorCode::ALL {
        assert!(cases.iter().any(|c| c.0 == *code), "{code} is not tested");
    }
}

#[tokio::test]
async fn retry_after_goes_with_too_many_requests_and_service_unavailable() {
    let app = app();
    let cases = table();
    let n = cases
        .iter()
        .position(|c| c.0 == ErrorCode::TooManyRequests)
        .unwrap();
    let reply = send(&app, get_req(&format!("/case/{n}"))).await;
    assert_eq!(reply.header("retry-after"), "42");
    let n = cases
        .iter()
        .position(|c| c.0 == ErrorCode::ServiceUnavailable)
        .unwrap();
    let reply = send(&app, get_req(&format!("/case/{n}"))).await;
    assert_eq!(reply.header("retry-after"), "7");
}

#[test]
fn codes_spell_parse_and_serialize_as_the_table_says() {
    assert_eq!(ErrorCode::ALL.len(), 29);
    for code in ErrorCode::ALL {
        assert_eq!(code.to_string(), code.as_str());
        assert_eq!(code.as_str().parse::<ErrorCode>(), Ok(*code));
        let json = serde_json::to_string(code).unwrap();
        assert_eq!(json, format!("\"{}\"", code.as_str()));
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
    }
    assert!(
        "resourcenotfound".parse::<ErrorCode>().is_err(),
        "spelling is exact"
    );
    assert!(serde_json::from_str::<ErrorCode>("\"Nope\"").is_err());
    assert_eq!(ErrorCode::InvalidUrl.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        ErrorCode::GatewayTimeout.status(),
        StatusCode::GATEWAY_TIMEOUT
    );
}

#[test]
fn statuses_map_to_the_code_of_their_class() {
    use ErrorCode::*;
    for (status, code) in [
        (400, BadRequest),
        (401, Unauthorized),
        (403, Forbidden),
        (404, NotFound),
        (405, MethodNotAllowed),
        (406, NotAcceptable),
        (408, RequestTimeout),
        (409, BadRequest),
        (413, PayloadTooLarge),
        (415, UnsupportedMediaType),
        (418, BadRequest),
        (422, InvalidRequestBody),
        (429, TooManyRequests),
        (431, RequestHeaderFieldsTooLarge),
        (500, InternalServerError),
        (501, NotImplemented),
        (502, InternalServerError),
        (503, ServiceUnavailable),
        (504, GatewayTimeout),
    ] {
        assert_eq!(
            ErrorCode::from_status(StatusCode::from_u16(status).unwrap()),
            code,
            "{status}"
        );
    }
}

#[tokio::test]
async fn echoed_input_is_cut_and_escaped() {
    let long = "a".repeat(10_000);
    let app = Router::new()
        .route(
            "/long",
            get(move || {
                let long = long.clone();
                async move { ApiError::invalid_hash(&long) }
            }),
        )
        .route(
            "/lines",
            get(|| async { ApiError::invalid_domain("evil.com\r\nx-injected: 1\u{7}") }),
        )
        .layer(DefenderErrorLayer::new());

    let reply = send(&app, get_req("/long")).await;
    let expected = format!("Hash value {}… is invalid.", "a".repeat(255));
    reply.assert_envelope(400, "InvalidHashValue", &expected);
    assert!(
        reply.body.len() < 400,
        "a 10,000-byte input is not amplified"
    );

    let reply = send(&app, get_req("/lines")).await;
    reply.assert_envelope(
        400,
        "InvalidDomainName",
        r"Domain name evil.com\r\nx-injected: 1\u{7} is invalid.",
    );
    assert!(!reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains('\n'));
}

#[test]
fn echo_counts_characters_not_bytes() {
    let input = "é".repeat(300);
    let cut = echo(&input);
    assert_eq!(cut.chars().count(), 256);
    assert!(cut.ends_with('…'));
    assert_eq!(
        echo(&"é".repeat(256)),
        "é".repeat(256),
        "exactly 256 is not cut"
    );
    // Escaping counts too: control characters never amplify the echo.
    let nuls = "\0".repeat(1000);
    let escaped = echo(&nuls);
    assert_eq!(escaped.chars().count(), 256);
    assert!(escaped.starts_with("\\u{0}\\u{0}") && escaped.ends_with('…'));
    assert_eq!(
        echo("a\u{7}"),
        "a\\u{7}",
        "a short input is escaped, not cut"
    );
}

#[tokio::test]
async fn an_error_outside_the_layer_is_still_a_complete_envelope() {
    use axum::response::IntoResponse;
    use http_body_util::BodyExt;

    let response = ApiError::entity_not_found("Machine", "1").into_response();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-ms-error-code"], "ResourceNotFound");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    common::assert_uuid(json["error"]["target"].as_str().unwrap());
    assert_eq!(json["error"]["message"], "Machine 1 was not found");
}

/// Outside a layer `IntoResponse`'s body renders the envelope when read,
/// and says its exact length beforehand (a server sends it as
/// `Content-Length`), whatever the message needs escaped.
#[tokio::test]
async fn an_error_outside_the_layer_states_its_exact_length() {
    use axum::response::IntoResponse;
    use http_body::Body as _;
    use http_body_util::BodyExt;

    for (message, sent) in [
        ("plain", "plain"),
        (
            "quote \" backslash \\ line\nbreak",
            "quote \" backslash \\ line\\nbreak",
        ),
        (
            "bell \u{7}, tab \t, é, 🦀, \u{202e}",
            "bell \\u{7}, tab \\t, é, 🦀, \\u{202e}",
        ),
    ] {
        let response = ApiError::bad_request(message).into_response();
        let hint = response.body().size_hint().exact();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(hint, Some(body.len() as u64), "{message:?}");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let target = json["error"]["target"].as_str().unwrap();
        common::assert_uuid(target);
        let expected = serde_json::json!({"error": {
            "code": "BadRequest",
            "message": sent,
            "target": target,
        }});
        assert_eq!(body, serde_json::to_string(&expected).unwrap());
    }
}

#[test]
fn api_error_exposes_its_parts() {
    let err = ApiError::internal(std::io::Error::other("disk full"));
    assert_eq!(err.code(), ErrorCode::InternalServerError);
    assert_eq!(err.message(), "");
    assert_eq!(err.cause().unwrap().to_string(), "disk full");
    assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(std::error::Error::source(&err).is_some());
    assert_eq!(ApiError::too_many_requests(3).retry_after(), Some(3));
    assert_eq!(ApiError::from(ErrorCode::Forbidden).message(), "Forbidden.");
}

#[test]
fn one_second_is_singular() {
    assert_eq!(
        ApiError::too_many_requests(1).message(),
        "Rate limit exceeded. Retry after 1 second."
    );
    assert_eq!(
        ApiError::too_many_requests(2).message(),
        "Rate limit exceeded. Retry after 2 seconds."
    );
    assert_eq!(
        ApiError::service_unavailable(1).message(),
        "The service is temporarily unavailable. Retry after 1 second."
    );
    assert_eq!(
        ApiError::service_unavailable(0).message(),
        "The service is temporarily unavailable. Retry after 0 seconds."
    );
}
