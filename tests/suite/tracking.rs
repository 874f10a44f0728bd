//! The tracking id: made per request, handed to handlers, echoed in a
//! header and as `target`, adopted from a client only when configured and
//! well-formed.
#![cfg(feature = "axum")]

use crate::common;

use std::collections::HashSet;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use common::{get as get_req, send};
use defender_errors::{ApiError, DefenderErrorLayer, IdSource, MakeTrackingId, TrackingId};
use http::{HeaderName, Request};

fn routes() -> Router {
    Router::new()
        .route("/id", get(|id: TrackingId| async move { id.to_string() }))
        .route("/fail", get(|| async { ApiError::not_found() }))
}

fn with_header(uri: &str, name: &str, value: &str) -> Request<Body> {
    Request::get(uri)
        .header(name, value)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn the_handler_header_and_target_share_one_id() {
    let app = routes().layer(DefenderErrorLayer::new());
    let reply = send(&app, get_req("/id")).await;
    assert_eq!(reply.status, 200);
    common::assert_uuid(reply.request_id());
    assert_eq!(
        reply.body,
        reply.request_id(),
        "the handler saw the header's id"
    );

    let reply = send(&app, get_req("/fail")).await;
    let target = reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
    assert_eq!(target, reply.request_id());
}

#[tokio::test]
async fn every_request_gets_its_own_id() {
    let app = routes().layer(DefenderErrorLayer::new());
    let mut seen = HashSet::new();
    for i in 0..200 {
        let uri = if i % 2 == 0 { "/id" } else { "/fail" };
        let reply = send(&app, get_req(uri)).await;
        assert!(seen.insert(reply.request_id().to_owned()), "duplicate id");
    }
}

#[tokio::test]
async fn a_client_id_is_ignored_unless_adoption_is_configured() {
    let app = routes().layer(DefenderErrorLayer::new());
    let client = "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d";
    let reply = send(&app, with_header("/fail", "x-request-id", client)).await;
    assert_ne!(reply.request_id(), client);
    assert_ne!(reply.json()["error"]["target"], client);
}

#[tokio::test]
async fn a_well_formed_client_id_is_adopted_when_configured() {
    let app = routes().layer(
        DefenderErrorLayer::new()
            .adopt(IdSource::x_request_id())
            .adopt(IdSource::x_ms_client_request_id())
            .adopt(IdSource::TraceParent),
    );
    let client = "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d";
    let reply = send(&app, with_header("/fail", "x-request-id", client)).await;
    let target = reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
    assert_eq!(target, client);

    // Upper case and simple forms parse; the echo is normalized.
    let reply = send(
        &app,
        with_header(
            "/id",
            "x-ms-client-request-id",
            "6F1C4B9E2D0A4C559F3B0C8F1A2B3C4D",
        ),
    )
    .await;
    assert_eq!(reply.body, client);
    assert_eq!(reply.request_id(), client);

    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let reply = send(&app, with_header("/id", "traceparent", traceparent)).await;
    assert_eq!(reply.body, "4bf92f35-77b3-4da6-a3ce-929d0e0e4736");
}

#[tokio::test]
async fn a_malformed_client_id_is_ignored_and_never_echoed() {
    let app = routes().layer(
        DefenderErrorLayer::new()
            .adopt(IdSource::x_request_id())
            .adopt(IdSource::TraceParent),
    );
    let long = "a".repeat(10_000);
    for (name, value) in [
        ("x-request-id", "not-a-uuid"),
        ("x-request-id", "00000000-0000-0000-0000-000000000000"),
        (
            "x-request-id",
            "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d, 6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4e",
        ),
        ("x-request-id", long.as_str()),
        (
            "traceparent",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ),
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        ),
        (
            "traceparent",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ),
        (
            "traceparent",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        ),
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ),
        (
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ),
    ] {
        let reply = send(&app, with_header("/fail", name, value)).await;
        let target =
            reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
        assert!(!value.contains(&target), "{name}: {value} was adopted");
        assert!(
            !String::from_utf8_lossy(&reply.body).contains(value),
            "{value} echoed in the body"
        );
        for echoed in reply.headers.values() {
            assert!(
                !echoed.to_str().unwrap().contains(value),
                "{value} echoed in a header"
            );
        }
    }
}

#[tokio::test]
async fn two_values_of_one_header_are_not_adopted() {
    let app = routes().layer(DefenderErrorLayer::new().adopt(IdSource::x_request_id()));
    let request = Request::get("/id")
        .header("x-request-id", "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d")
        .header("x-request-id", "7f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d")
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert!(!reply.request_id().starts_with("6f1c") && !reply.request_id().starts_with("7f1c"));
}

#[tokio::test]
async fn a_future_traceparent_version_may_carry_more_fields() {
    let app = routes().layer(DefenderErrorLayer::new().adopt(IdSource::TraceParent));
    let value = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-whatever";
    let reply = send(&app, with_header("/id", "traceparent", value)).await;
    assert_eq!(reply.body, "4bf92f35-77b3-4da6-a3ce-929d0e0e4736");
}

#[tokio::test]
async fn the_header_name_is_configurable_and_can_be_turned_off() {
    let app = routes().layer(
        DefenderErrorLayer::new().request_id_header(HeaderName::from_static("x-correlation-id")),
    );
    let reply = send(&app, get_req("/fail")).await;
    assert!(reply.headers.get("x-ms-request-id").is_none());
    assert_eq!(
        reply.header("x-correlation-id"),
        reply.json()["error"]["target"]
    );

    let app = routes().layer(DefenderErrorLayer::new().without_request_id_header());
    let reply = send(&app, get_req("/fail")).await;
    assert!(reply.headers.get("x-ms-request-id").is_none());
    common::assert_uuid(reply.json()["error"]["target"].as_str().unwrap());
    let reply = send(&app, get_req("/id")).await;
    assert!(reply.headers.get("x-ms-request-id").is_none());
    common::assert_uuid(std::str::from_utf8(&reply.body).unwrap());
}

#[derive(Clone)]
struct Sequential(u128);

impl MakeTrackingId for Sequential {
    fn make_tracking_id<B>(&mut self, _request: &Request<B>) -> TrackingId {
        self.0 += 1;
        TrackingId::from_uuid(uuid::Uuid::from_u128(self.0))
    }
}

#[tokio::test]
async fn the_id_maker_is_pluggable() {
    let app = routes().layer(DefenderErrorLayer::new().make_tracking_id(Sequential(0)));
    let reply = send(&app, get_req("/fail")).await;
    let target = reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
    assert_eq!(target, "00000000-0000-0000-0000-000000000001");
}

#[tokio::test]
async fn extracting_the_id_without_the_layer_is_a_500_envelope() {
    let reply = send(&routes(), get_req("/id")).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.header("x-ms-error-code"), "InternalServerError");
    assert_eq!(reply.json()["error"]["message"], "");
}

#[test]
fn traceparent_and_uuid_parsing() {
    let id =
        TrackingId::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
            .unwrap();
    assert_eq!(id.to_string(), "4bf92f35-77b3-4da6-a3ce-929d0e0e4736");
    assert_eq!(id.to_header_value(), "4bf92f35-77b3-4da6-a3ce-929d0e0e4736");
    assert!(TrackingId::from_traceparent("").is_none());
    assert!(
        TrackingId::from_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0")
            .is_none()
    );
    assert!(TrackingId::from_traceparent(
        "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"
    )
    .is_none());
    assert!(TrackingId::parse("{6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d}").is_some());
    assert!(TrackingId::parse("6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4").is_none());
    assert_eq!(TrackingId::new_v4().as_uuid().get_version_num(), 4);
}
