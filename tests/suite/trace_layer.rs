//! tower-http integration: `TraceLayer` with `MakeRequestSpan` inside
//! `DefenderErrorLayer::new().without_span()` gives one span per request,
//! handler events that carry `target`, and one error event; an outer
//! `SetRequestIdLayer`'s id is adopted only when so configured, and never
//! when its header is sent twice.
#![cfg(all(feature = "axum", feature = "tower-http"))]

use crate::common;

use axum::routing::get;
use axum::Router;
use common::capture::{Capture, EventRecord};
use common::{get as get_req, send};
use defender_errors::trace::MakeRequestSpan;
use defender_errors::{ApiError, DefenderErrorLayer, TrackingId};
use http::{HeaderName, Request};
use tower::Layer;
use tower_http::request_id::{MakeRequestUuid, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Level;

fn routes() -> Router {
    Router::new()
        .route(
            "/work",
            get(|| async {
                tracing::info!(step = "lookup", "handler working");
                tracing::debug!("still working");
                "done"
            }),
        )
        .route(
            "/fail",
            get(|| async {
                tracing::warn!("about to fail");
                ApiError::resource_not_found("Machine 7")
            }),
        )
        .route(
            "/crash",
            get(|| async {
                tracing::info!("about to crash");
                Err::<(), _>(ApiError::internal(std::io::Error::other("disk on fire")))
            }),
        )
        .route("/id", get(|id: TrackingId| async move { id.to_string() }))
}

/// The integrated set-up of the issue.
fn integrated(layer: DefenderErrorLayer) -> Router {
    routes()
        .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new()))
        .layer(layer.without_span())
}

/// The layer's error events (the only events with a `code` field).
fn error_events(events: &[EventRecord]) -> Vec<&EventRecord> {
    events
        .iter()
        .filter(|e| e.fields.contains_key("code"))
        .collect()
}

#[tokio::test]
async fn one_span_per_request_and_every_handler_event_carries_target() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = integrated(DefenderErrorLayer::new());

    for path in ["/work", "/fail", "/crash", "/nowhere"] {
        capture.clear();
        let reply = send(&app, get_req(path)).await;
        let id = reply.request_id().to_owned();

        let spans = capture.spans();
        assert_eq!(spans.len(), 1, "{path}: exactly one span: {spans:#?}");
        let span = &spans[0];
        assert_eq!(span.name, "request");
        assert_eq!(span.fields["target"], id, "{path}");
        assert_eq!(span.fields["method"], "GET");
        assert_eq!(span.fields["path"], path);

        let events = capture.events();
        // Every event logged inside the span (the handler's and
        // TraceLayer's) carries the request's target.
        let inside: Vec<&EventRecord> = events.iter().filter(|e| !e.spans.is_empty()).collect();
        assert!(!inside.is_empty());
        for event in &inside {
            assert_eq!(event.field("target"), Some(id.as_str()), "{event:#?}");
        }
        let handler_messages = [
            "handler working",
            "still working",
            "about to fail",
            "about to crash",
        ];
        for event in events
            .iter()
            .filter(|e| handler_messages.contains(&e.message()))
        {
            assert_eq!(event.spans.len(), 1, "inside the one span: {event:#?}");
            assert_eq!(event.field("target"), Some(id.as_str()));
        }
    }
}

#[tokio::test]
async fn the_error_event_is_logged_once_with_target_code_and_status() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = integrated(DefenderErrorLayer::new());

    let reply = send(&app, get_req("/work")).await;
    assert_eq!(reply.status, 200);
    assert!(
        error_events(&capture.events()).is_empty(),
        "a success logs no error event"
    );

    let cases = [
        ("/fail", 404, "ResourceNotFound", Level::INFO),
        ("/crash", 500, "InternalServerError", Level::ERROR),
        ("/nowhere", 404, "NotFound", Level::INFO),
    ];
    for (path, status, code, level) in cases {
        capture.clear();
        let reply = send(&app, get_req(path)).await;
        let target = reply.json()["error"]["target"].as_str().unwrap().to_owned();
        assert_eq!(reply.status.as_u16(), status);
        let events = capture.events();
        let errors = error_events(&events);
        assert_eq!(errors.len(), 1, "{path}: one error event: {events:#?}");
        let event = errors[0];
        assert_eq!(event.level, level, "{path}");
        assert_eq!(event.fields["target"], target);
        assert_eq!(event.fields["code"], code);
        assert_eq!(event.fields["status"], status.to_string());
        // No other event names the error code: it is not logged twice.
        let mentions = events
            .iter()
            .filter(|e| e.fields.values().any(|v| v.contains(code)))
            .count();
        assert_eq!(mentions, 1, "{path}: {events:#?}");
    }
}

#[tokio::test]
async fn client_error_level_sets_the_level_of_the_4xx_event_only() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = integrated(DefenderErrorLayer::new().client_error_level(Level::DEBUG));

    send(&app, get_req("/fail")).await;
    let events = capture.events();
    let errors = error_events(&events);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].level, Level::DEBUG);

    capture.clear();
    send(&app, get_req("/crash")).await;
    let events = capture.events();
    let errors = error_events(&events);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].level, Level::ERROR, "5xx stays ERROR");
}

#[tokio::test]
async fn without_span_and_no_trace_layer_makes_no_span_but_still_logs_the_error() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = routes().layer(DefenderErrorLayer::new().without_span());

    let reply = send(&app, get_req("/fail")).await;
    let target =
        reply.assert_envelope(404, "ResourceNotFound", "Resource Machine 7 was not found.");
    assert!(capture.spans().is_empty(), "{:#?}", capture.spans());
    let events = capture.events();
    let errors = error_events(&events);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].fields["target"], target);
    assert_eq!(errors[0].fields["code"], "ResourceNotFound");
    assert_eq!(errors[0].fields["status"], "404");
}

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `SetRequestIdLayer` outside the integrated set-up.
fn with_set_request_id(
    layer: DefenderErrorLayer,
) -> impl tower::Service<
    Request<axum::body::Body>,
    Response = http::Response<impl http_body::Body<Error = impl std::fmt::Debug>>,
    Error = impl std::fmt::Debug,
> + Clone {
    SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid).layer(integrated(layer))
}

const CLIENT_ID: &str = "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d";

/// The documented set-up, as it comes: the client's `x-request-id` (which
/// `SetRequestIdLayer` keeps as it is) decides nothing.
#[tokio::test]
async fn by_default_the_client_does_not_choose_the_tracking_id() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let request = || {
        Request::get("/fail")
            .header("x-request-id", CLIENT_ID)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let with_trace_layer = send(&with_set_request_id(DefenderErrorLayer::new()), request()).await;
    let spans_of_trace_layer = capture.spans();
    capture.clear();
    // The layer's own span instead of TraceLayer's.
    let own_span = SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid)
        .layer(routes().layer(DefenderErrorLayer::new()));
    let with_own_span = send(&own_span, request()).await;
    let spans_of_own_span = capture.spans();

    for (reply, spans) in [
        (with_trace_layer, spans_of_trace_layer),
        (with_own_span, spans_of_own_span),
    ] {
        let target =
            reply.assert_envelope(404, "ResourceNotFound", "Resource Machine 7 was not found.");
        assert_ne!(target, CLIENT_ID);
        assert_eq!(spans.len(), 1, "{spans:#?}");
        assert_eq!(spans[0].fields["target"], target);
    }
}

/// Adopting is on: still, an id whose header came twice is not adopted
/// (`SetRequestIdLayer` keeps the first of them).
#[tokio::test]
async fn a_request_id_header_sent_twice_is_never_adopted() {
    let app = with_set_request_id(DefenderErrorLayer::new().adopt_request_id(true));
    let other = "0b7c2f1e-9a3d-4e6f-8b1c-2d3e4f5a6b7c";
    for (first, second) in [(CLIENT_ID, other), (CLIENT_ID, CLIENT_ID)] {
        let request = Request::get("/id")
            .header("x-request-id", first)
            .header("x-request-id", second)
            .body(axum::body::Body::empty())
            .unwrap();
        let reply = send(&app, request).await;
        let target = reply.request_id().to_owned();
        assert_ne!(target, first);
        assert_ne!(target, second);
        assert_eq!(reply.body, target.as_bytes());
    }
    // Sent once, the same id is adopted.
    let request = Request::get("/id")
        .header("x-request-id", CLIENT_ID)
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(send(&app, request).await.request_id(), CLIENT_ID);
}

#[tokio::test]
async fn a_tower_http_request_id_that_is_a_uuid_becomes_the_tracking_id_when_adopted() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = with_set_request_id(DefenderErrorLayer::new().adopt_request_id(true));

    // Made by SetRequestIdLayer: the handler, the header, the span and
    // `target` all see that one id.
    let request = Request::get("/id").body(axum::body::Body::empty()).unwrap();
    let reply = send(&app, request).await;
    let id = reply.request_id().to_owned();
    assert_eq!(reply.body, id.as_bytes());
    assert_eq!(capture.spans()[0].fields["target"], id);

    // Sent by the client and kept by SetRequestIdLayer: adopted when a UUID.
    let client = CLIENT_ID;
    let request = Request::get("/fail")
        .header("x-request-id", client)
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    let target =
        reply.assert_envelope(404, "ResourceNotFound", "Resource Machine 7 was not found.");
    assert_eq!(target, client);

    // Not a UUID: never adopted.
    let request = Request::get("/fail")
        .header("x-request-id", "not-a-uuid")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    let target =
        reply.assert_envelope(404, "ResourceNotFound", "Resource Machine 7 was not found.");
    assert_ne!(target, "not-a-uuid");
}

#[tokio::test]
async fn adopting_the_tower_http_request_id_can_be_turned_off() {
    let app = with_set_request_id(DefenderErrorLayer::new().adopt_request_id(false));
    let client = "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d";
    let request = Request::get("/id")
        .header("x-request-id", client)
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert_ne!(reply.request_id(), client);
    assert_eq!(reply.body, reply.request_id().as_bytes());
}

#[tokio::test]
async fn make_request_span_records_a_well_formed_client_request_id() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = integrated(DefenderErrorLayer::new());
    let client = "0f8fad5b-d9cb-469f-a165-70867728950e";

    let request = Request::get("/fail")
        .header("x-ms-client-request-id", client)
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.header("x-ms-client-request-id"), client);
    let spans = capture.spans();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].fields["client_request_id"], client);
    let events = capture.events();
    let errors = error_events(&events);
    assert_eq!(errors[0].fields["client_request_id"], client);

    capture.clear();
    let request = Request::get("/work")
        .header("x-ms-client-request-id", "not ok")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert!(!reply.headers.contains_key("x-ms-client-request-id"));
    assert!(!capture.spans()[0].fields.contains_key("client_request_id"));
}

#[tokio::test]
async fn with_on_failure_off_a_5xx_logs_exactly_one_error_level_event() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.subscriber());
    let app = routes()
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(MakeRequestSpan::new())
                .on_failure(()),
        )
        .layer(DefenderErrorLayer::new().without_span());

    let reply = send(&app, get_req("/crash")).await;
    assert_eq!(reply.status, 500);
    let events = capture.events();
    let errors: Vec<&EventRecord> = events.iter().filter(|e| e.level == Level::ERROR).collect();
    assert_eq!(errors.len(), 1, "{events:#?}");
    assert_eq!(errors[0].fields["code"], "InternalServerError");
    assert_eq!(errors[0].fields["cause"], "disk on fire");
    assert_eq!(errors[0].fields["target"], reply.request_id());
}
