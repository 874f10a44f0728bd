//! Azure's correlation and retry headers: a well-formed
//! `x-ms-client-request-id` is recorded as `client_request_id` and echoed,
//! anything else ignored; 429 and 503 carry `retry-after-ms` beside
//! `Retry-After`.
#![cfg(feature = "axum")]

use crate::common;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use common::capture::Capture;
use common::{get as get_req, send};
use defender_errors::{ApiError, DefenderErrorLayer, TrackingId};
use http::{Request, StatusCode};

fn routes() -> Router {
    Router::new()
        .route(
            "/work",
            get(|| async {
                tracing::info!("working");
                "done"
            }),
        )
        .route("/fail", get(|| async { ApiError::not_found() }))
        .route("/id", get(|id: TrackingId| async move { id.to_string() }))
        .route(
            "/limited",
            get(|| async { ApiError::too_many_requests(30) }),
        )
        .route(
            "/plain-429",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "5")],
                    "slow down",
                )
            }),
        )
        .route(
            "/plain-503",
            get(|| async {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [("retry-after", "2")],
                    "busy",
                )
            }),
        )
}

fn with_client_id(uri: &str, value: &[u8]) -> Request<Body> {
    Request::get(uri)
        .header(
            "x-ms-client-request-id",
            http::HeaderValue::from_bytes(value).unwrap(),
        )
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn a_well_formed_client_request_id_is_echoed_and_recorded() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = routes().layer(DefenderErrorLayer::new());
    let client = "0f8fad5b-d9cb-469f-a165-70867728950e";

    // On a success: echoed, and on the span every handler event is in.
    let reply = send(&app, with_client_id("/work", client.as_bytes())).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-ms-client-request-id"), client);
    assert_ne!(
        reply.request_id(),
        client,
        "it does not replace the server's id"
    );
    let events = capture.events();
    let working = events.iter().find(|e| e.message() == "working").unwrap();
    assert_eq!(working.field("client_request_id"), Some(client));

    // On an error: echoed, and on the error event.
    capture.clear();
    let reply = send(&app, with_client_id("/fail", client.as_bytes())).await;
    reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
    assert_eq!(reply.header("x-ms-client-request-id"), client);
    let events = capture.events();
    let error = events
        .iter()
        .find(|e| e.fields.contains_key("code"))
        .unwrap();
    assert_eq!(error.fields["client_request_id"], client);
}

#[tokio::test]
async fn the_well_formed_set() {
    let app = routes().layer(DefenderErrorLayer::new());
    let longest = "a".repeat(64);
    let well_formed: [&str; 6] = [
        "0F8FAD5B-D9CB-469F-A165-70867728950E",
        "0f8fad5bd9cb469fa16570867728950e",
        "{0f8fad5b-d9cb-469f-a165-70867728950e}",
        "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
        "batch-7_run.3",
        &longest,
    ];
    for value in well_formed {
        let reply = send(&app, with_client_id("/fail", value.as_bytes())).await;
        assert_eq!(
            reply.header("x-ms-client-request-id"),
            value,
            "echoed verbatim"
        );
    }

    let too_long = "a".repeat(65);
    let malformed: [&[u8]; 8] = [
        too_long.as_bytes(),
        b"",
        b"two words",
        b"quote\"d",
        b"semi;colon",
        b"tab\there",
        b"caf\xc3\xa9",
        b"<script>",
    ];
    for value in malformed {
        let reply = send(&app, with_client_id("/fail", value)).await;
        assert!(
            !reply.headers.contains_key("x-ms-client-request-id"),
            "{:?} must not be echoed",
            String::from_utf8_lossy(value)
        );
        reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
    }

    // Two values: ambiguous, ignored.
    let request = Request::get("/work")
        .header("x-ms-client-request-id", "first")
        .header("x-ms-client-request-id", "second")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert!(!reply.headers.contains_key("x-ms-client-request-id"));
}

#[tokio::test]
async fn a_malformed_client_request_id_is_not_logged() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = routes().layer(DefenderErrorLayer::new());

    send(&app, with_client_id("/fail", b"evil value\\with spaces")).await;
    let spans = capture.spans();
    let events = capture.events();
    assert!(spans
        .iter()
        .all(|s| !s.fields.contains_key("client_request_id")));
    assert!(events
        .iter()
        .all(|e| !e.fields.contains_key("client_request_id")));
}

#[tokio::test]
async fn retry_after_ms_accompanies_retry_after_on_429_and_503() {
    let app = routes().layer(DefenderErrorLayer::new());

    let reply = send(&app, get_req("/limited")).await;
    reply.assert_envelope(
        429,
        "TooManyRequests",
        "Rate limit exceeded. Retry after 30 seconds.",
    );
    assert_eq!(reply.header("retry-after"), "30");
    assert_eq!(reply.header("retry-after-ms"), "30000");

    let reply = send(&app, get_req("/plain-429")).await;
    assert_eq!(reply.status, 429);
    assert_eq!(reply.header("retry-after"), "5");
    assert_eq!(reply.header("retry-after-ms"), "5000");

    let reply = send(&app, get_req("/plain-503")).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("retry-after"), "2");
    assert_eq!(reply.header("retry-after-ms"), "2000");

    // An overloaded inner service: 503 with the configured seconds.
    let app = tower::ServiceBuilder::new()
        .layer(DefenderErrorLayer::new().overload_retry_after(3))
        .load_shed()
        .concurrency_limit(1)
        .service(routes());
    let mut busy = app.clone();
    // Take the one permit without using it.
    tower::ServiceExt::<Request<Body>>::ready(&mut busy)
        .await
        .unwrap();
    let reply = send(&app, get_req("/work")).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("retry-after"), "3");
    assert_eq!(reply.header("retry-after-ms"), "3000");
    drop(busy);

    // Other errors carry neither.
    let app = routes().layer(DefenderErrorLayer::new());
    let reply = send(&app, get_req("/fail")).await;
    assert!(!reply.headers.contains_key("retry-after-ms"));
    assert!(!reply.headers.contains_key("retry-after"));
}
