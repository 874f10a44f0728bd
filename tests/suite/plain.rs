//! Plain (non-envelope) error responses behind the layer: axum's own
//! rejections get the codes the crate's extractors give the same failures,
//! a handler's `text/plain` 4xx becomes the envelope's message (escaped,
//! cut, read with a bound), and a 5xx body is logged, never sent.
#![cfg(feature = "axum")]

use crate::common;

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Form, Path, Query};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use common::{send, Captured};
use defender_errors::DefenderErrorLayer;
use http::{Request, StatusCode};
use http_body::Frame;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Isolate {
    #[serde(rename = "Comment")]
    comment: String,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Paging {
    top: u32,
}

/// Routes taking axum's own extractors, without the layer.
fn bare() -> Router {
    Router::new()
        .route("/json", post(|Json(_): Json<Isolate>| async { "ok" }))
        .route("/form", post(|Form(_): Form<Paging>| async { "ok" }))
        .route("/form-get", get(|Form(_): Form<Paging>| async { "ok" }))
        .route("/query", get(|Query(_): Query<Paging>| async { "ok" }))
        .route("/path/{n}", get(|Path(_): Path<u32>| async { "ok" }))
        .route(
            "/named/{id}",
            get(|Path(_): Path<HashMap<String, String>>| async { "ok" }),
        )
        .route(
            "/text",
            post(|_: String| async { "ok" }).layer(DefaultBodyLimit::max(16)),
        )
}

fn layered() -> Router {
    bare().layer(DefenderErrorLayer::new())
}

fn request(
    method: &str,
    uri: &str,
    content_type: Option<&str>,
    body: &'static [u8],
) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    builder.body(Body::from(body)).unwrap()
}

const JSON: Option<&str> = Some("application/json");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

/// One rejection: the request, axum's plain status and the fixed opening
/// of its text (pinned here against axum itself), and the envelope behind
/// the layer.
struct Case {
    request: fn() -> Request<Body>,
    axum_status: u16,
    axum_opening: &'static str,
    status: u16,
    code: &'static str,
    message: &'static str,
}

const CASES: &[Case] = &[
    Case {
        request: || request("POST", "/json", JSON, br#"{"Comment": "x""#),
        axum_status: 400,
        axum_opening: "Failed to parse the request body as JSON: ",
        status: 400,
        code: "InvalidRequestBody",
        message: "Invalid request body. EOF while parsing an object at line 1 column 15.",
    },
    Case {
        request: || request("POST", "/json", JSON, br#"{"Comment": "x"} trailing"#),
        axum_status: 400,
        axum_opening: "Failed to parse the request body as JSON: ",
        status: 400,
        code: "InvalidRequestBody",
        message: "Invalid request body. trailing characters at line 1 column 18.",
    },
    Case {
        request: || request("POST", "/json", JSON, br#"{"Comment": 5}"#),
        axum_status: 422,
        axum_opening: "Failed to deserialize the JSON body into the target type: ",
        status: 400,
        code: "InvalidRequestBody",
        message: "Invalid request body.",
    },
    Case {
        request: || request("POST", "/json", None, br#"{"Comment": "x"}"#),
        axum_status: 415,
        axum_opening: "Expected request with `Content-Type: application/json`",
        status: 415,
        code: "UnsupportedMediaType",
        message: "The request content type is not supported.",
    },
    Case {
        request: || request("POST", "/form", FORM, b"top=minus"),
        axum_status: 422,
        axum_opening: "Failed to deserialize form body: ",
        status: 400,
        code: "InvalidRequestBody",
        message: "Invalid request body.",
    },
    Case {
        request: || request("POST", "/form", JSON, b"top=1"),
        axum_status: 415,
        axum_opening: "Form requests must have `Content-Type: application/x-www-form-urlencoded`",
        status: 415,
        code: "UnsupportedMediaType",
        message: "The request content type is not supported.",
    },
    Case {
        request: || request("GET", "/form-get?top=minus", None, b""),
        axum_status: 400,
        axum_opening: "Failed to deserialize form: ",
        status: 400,
        code: "InvalidInput",
        message: "Invalid input in the query string.",
    },
    Case {
        request: || request("GET", "/query?top=minus", None, b""),
        axum_status: 400,
        axum_opening: "Failed to deserialize query string: ",
        status: 400,
        code: "InvalidInput",
        message: "Invalid input in the query string.",
    },
    Case {
        request: || request("GET", "/path/minus", None, b""),
        axum_status: 400,
        axum_opening: "Invalid URL: ",
        status: 400,
        code: "InvalidInput",
        message: "Invalid input in the URL path.",
    },
    Case {
        request: || request("GET", "/named/%FF", None, b""),
        axum_status: 400,
        axum_opening: "Invalid URL: Invalid UTF-8 in `id`",
        status: 400,
        code: "InvalidInput",
        message: "Invalid input in the URL path.",
    },
    Case {
        request: || request("POST", "/text", None, b"0123456789abcdefg"),
        axum_status: 413,
        axum_opening: "Failed to buffer the request body: ",
        status: 413,
        code: "PayloadTooLarge",
        message: "The request body is too large.",
    },
    Case {
        request: || request("POST", "/text", None, b"\xff\xfe"),
        axum_status: 400,
        axum_opening: "Request body didn't contain valid UTF-8: ",
        status: 400,
        code: "InvalidRequestBody",
        message: "Invalid request body. The body is not valid UTF-8.",
    },
];

#[tokio::test]
async fn axums_plain_rejections_get_their_precise_codes() {
    let (bare, layered) = (bare(), layered());
    for case in CASES {
        // What axum sends by itself: the opening the layer recognises.
        let reply = send(&bare, (case.request)()).await;
        let text = std::str::from_utf8(&reply.body).unwrap();
        assert_eq!(reply.status.as_u16(), case.axum_status, "{text}");
        assert_eq!(reply.header("content-type"), "text/plain; charset=utf-8");
        assert!(
            text.starts_with(case.axum_opening),
            "axum's text changed: {text:?} does not start with {:?}",
            case.axum_opening
        );
        // What the layer makes of it.
        let reply = send(&layered, (case.request)()).await;
        reply.assert_envelope(case.status, case.code, case.message);
    }
}

#[tokio::test]
async fn tower_https_body_limit_is_payload_too_large() {
    let bare = Router::new()
        .route(
            "/",
            post(|body: Bytes| async move { body.len().to_string() }),
        )
        .layer(tower_http::limit::RequestBodyLimitLayer::new(4));
    let layered = bare.clone().layer(DefenderErrorLayer::new());
    let big = || {
        Request::post("/")
            .header("content-length", "5")
            .body(Body::from("12345"))
            .unwrap()
    };
    let reply = send(&bare, big()).await;
    assert_eq!(reply.status, 413);
    assert_eq!(reply.body, "length limit exceeded");
    let reply = send(&layered, big()).await;
    reply.assert_envelope(413, "PayloadTooLarge", "The request body is too large.");
}

/// A handler that answers `status` with a `text/plain` body.
fn answering(status: StatusCode, text: &'static str) -> Router {
    Router::new()
        .route("/", get(move || async move { (status, text) }))
        .layer(DefenderErrorLayer::new())
}

#[tokio::test]
async fn a_handlers_text_becomes_the_message() {
    let reply = send(
        &answering(StatusCode::CONFLICT, "Machine is offline"),
        common::get("/"),
    )
    .await;
    reply.assert_envelope(409, "BadRequest", "Machine is offline");
    let reply = send(
        &answering(StatusCode::NOT_FOUND, "Machine 42 is gone\n"),
        common::get("/"),
    )
    .await;
    reply.assert_envelope(404, "NotFound", "Machine 42 is gone");
    let reply = send(&answering(StatusCode::FORBIDDEN, "   "), common::get("/")).await;
    reply.assert_envelope(403, "Forbidden", "Forbidden.");
}

#[tokio::test]
async fn a_handlers_text_is_escaped_and_cut() {
    let forged = "offline\r\n{\"level\":\"INFO\"}\u{1b}[31m\u{0}";
    let reply = send(&answering(StatusCode::CONFLICT, forged), common::get("/")).await;
    reply.assert_envelope(
        409,
        "BadRequest",
        "offline\\r\\n{\"level\":\"INFO\"}\\u{1b}[31m\\u{0}",
    );

    let long: &'static str = "é".repeat(5000).leak();
    let reply = send(&answering(StatusCode::CONFLICT, long), common::get("/")).await;
    let expected = format!("{}…", "é".repeat(255));
    reply.assert_envelope(409, "BadRequest", &expected);

    let reply = send(&answering(StatusCode::BAD_REQUEST, "x"), common::get("/")).await;
    reply.assert_envelope(400, "BadRequest", "x");
}

#[tokio::test]
async fn text_that_is_not_utf8_gives_the_codes_message() {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                (
                    StatusCode::CONFLICT,
                    [("content-type", "text/plain")],
                    Bytes::from_static(b"caf\xe9"),
                )
            }),
        )
        .layer(DefenderErrorLayer::new());
    let reply = send(&app, common::get("/")).await;
    reply.assert_envelope(409, "BadRequest", "The request is invalid.");
}

#[tokio::test]
async fn too_many_requests_with_retry_after_keeps_the_template() {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "30")],
                    "slow down",
                )
            }),
        )
        .route(
            "/no-header",
            get(|| async { (StatusCode::TOO_MANY_REQUESTS, "slow down") }),
        )
        .layer(DefenderErrorLayer::new());
    let reply = send(&app, common::get("/")).await;
    reply.assert_envelope(
        429,
        "TooManyRequests",
        "Rate limit exceeded. Retry after 30 seconds.",
    );
    let reply = send(&app, common::get("/no-header")).await;
    reply.assert_envelope(429, "TooManyRequests", "slow down");
}

#[tokio::test(flavor = "current_thread")]
async fn a_server_errors_text_is_logged_never_sent() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let reply = send(
        &answering(StatusCode::BAD_GATEWAY, "upstream said: password=hunter2\n"),
        common::get("/"),
    )
    .await;
    reply.assert_envelope(502, "InternalServerError", "");
    assert!(!String::from_utf8_lossy(&reply.body).contains("hunter2"));
    let lines = captured.lines();
    let event = lines
        .iter()
        .find(|l| l["fields"]["code"] == "InternalServerError")
        .expect("the error event");
    assert_eq!(
        event["fields"]["cause"],
        "inner service responded 502 Bad Gateway: upstream said: password=hunter2"
    );
}

/// A `text/plain` body that never ends, counting the frames polled.
struct Endless {
    polled: Arc<AtomicUsize>,
}

impl http_body::Body for Endless {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.polled.fetch_add(1, Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&[b'x'; 100])))))
    }
}

#[tokio::test]
async fn the_body_is_read_with_a_bound() {
    let polled = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(
            "/",
            get({
                let polled = polled.clone();
                move || async move {
                    (
                        StatusCode::CONFLICT,
                        [("content-type", "text/plain")],
                        Body::new(Endless { polled }),
                    )
                        .into_response()
                }
            }),
        )
        .layer(DefenderErrorLayer::new());
    let reply = send(&app, common::get("/")).await;
    let expected = format!("{}…", "x".repeat(255));
    reply.assert_envelope(409, "BadRequest", &expected);
    // 1,028 bytes (four per character kept, and one more character) in
    // frames of 100: 11 frames, and not one more.
    assert_eq!(polled.load(Ordering::Relaxed), 11);
}

/// A body of the given frames.
struct Frames(std::collections::VecDeque<&'static str>);

impl http_body::Body for Frames {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Poll::Ready(
            self.0
                .pop_front()
                .map(|text| Ok(Frame::data(Bytes::from_static(text.as_bytes())))),
        )
    }
}

#[tokio::test]
async fn text_split_across_frames_is_joined() {
    let app = Router::new()
        .route(
            "/",
            get(|| async {
                let frames = Frames(["Machine ", "is ", "off", "line"].into());
                (
                    StatusCode::CONFLICT,
                    [("content-type", "text/plain; charset=utf-8")],
                    Body::new(frames),
                )
            }),
        )
        .layer(DefenderErrorLayer::new());
    let reply = send(&app, common::get("/")).await;
    reply.assert_envelope(409, "BadRequest", "Machine is offline");
}
