//! Log correlation: every event a handler logs carries the request's
//! `target`, and the layer logs exactly one event per error response with
//! `code`, `status` and `target`.
#![cfg(feature = "axum")]

use crate::common;

use axum::routing::get;
use axum::Router;
use common::{get as get_req, send, Captured};
use defender_errors::{ApiError, DefenderErrorLayer, TrackingId};
use serde_json::Value;
use tower_http::trace::TraceLayer;

fn app() -> Router {
    Router::new()
        .route(
            "/work",
            get(|| async {
                tracing::info!(step = "lookup", "handler working");
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
                Err::<(), _>(ApiError::internal(std::io::Error::other(
                    "disk 3 is on fire",
                )))
            }),
        )
        .layer(DefenderErrorLayer::new())
}

/// The `target` of the innermost `request` span an event was logged in.
fn span_target(line: &Value) -> Option<&str> {
    line["spans"]
        .as_array()?
        .iter()
        .rev()
        .find(|s| s["name"] == "request")?["target"]
        .as_str()
}

#[tokio::test]
async fn events_logged_in_a_handler_carry_the_requests_target() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let app = app();

    let reply = send(&app, get_req("/work")).await;
    let id = reply.request_id().to_owned();
    let lines = captured.lines();
    let event = lines
        .iter()
        .find(|l| l["fields"]["message"] == "handler working")
        .unwrap();
    assert_eq!(span_target(event), Some(id.as_str()));
    let span = event["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "request")
        .unwrap();
    assert_eq!(span["method"], "GET");
    assert_eq!(span["path"], "/work");
    assert!(
        lines.iter().all(|l| l["fields"]["code"].is_null()),
        "a success logs no error event"
    );
}

#[tokio::test]
async fn one_error_event_per_error_response_with_code_status_and_target() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let app = app();

    let reply = send(&app, get_req("/fail")).await;
    let target =
        reply.assert_envelope(404, "ResourceNotFound", "Resource Machine 7 was not found.");
    let lines = captured.lines();
    let handler_event = lines
        .iter()
        .find(|l| l["fields"]["message"] == "about to fail")
        .unwrap();
    assert_eq!(span_target(handler_event), Some(target.as_str()));

    let errors: Vec<&Value> = lines
        .iter()
        .filter(|l| !l["fields"]["code"].is_null())
        .collect();
    assert_eq!(errors.len(), 1, "exactly one error event: {lines:#?}");
    let event = errors[0];
    assert_eq!(event["level"], "INFO", "4xx is logged below ERROR");
    assert_eq!(event["fields"]["code"], "ResourceNotFound");
    assert_eq!(event["fields"]["status"], 404);
    assert_eq!(event["fields"]["target"], target);
    assert!(event["fields"]["cause"].is_null());

    let reply = send(&app, get_req("/crash")).await;
    let target = reply.assert_envelope(500, "InternalServerError", "");
    let lines = captured.lines();
    let errors: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["target"] == target.as_str())
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["level"], "ERROR");
    assert_eq!(errors[0]["fields"]["cause"], "disk 3 is on fire");
    assert!(!String::from_utf8_lossy(&reply.body).contains("fire"));

    // A rewritten plain error is logged once too.
    let before = captured.lines().len();
    let reply = send(&app, get_req("/unknown")).await;
    let target = reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
    let new: Vec<Value> = captured.lines().into_iter().skip(before).collect();
    assert_eq!(
        new.iter()
            .filter(|l| l["fields"]["target"] == target.as_str())
            .count(),
        1
    );
}

#[tokio::test]
async fn trace_layer_inside_the_layer_sees_the_id() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let app = Router::new()
        .route(
            "/work",
            get(|| async {
                tracing::info!("inner");
                "done"
            }),
        )
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
                let id = TrackingId::from_request(req).map(tracing::field::display);
                tracing::info_span!("http", method = %req.method(), tracking = id)
            }),
        )
        .layer(DefenderErrorLayer::new());

    let reply = send(&app, get_req("/work")).await;
    let id = reply.request_id().to_owned();
    let lines = captured.lines();
    let event = lines
        .iter()
        .find(|l| l["fields"]["message"] == "inner")
        .unwrap();
    let http_span = event["spans"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "http")
        .unwrap();
    assert_eq!(http_span["tracking"], id);
    // The trace span sits inside the layer's span, so it carries `target` too.
    assert_eq!(span_target(event), Some(id.as_str()));
    // TraceLayer's own events (on_response) carry it as well.
    let trace_events: Vec<&Value> = lines
        .iter()
        .filter(|l| l["target"] == "tower_http::trace::on_response")
        .collect();
    assert!(!trace_events.is_empty());
    assert!(trace_events
        .iter()
        .all(|l| span_target(l) == Some(id.as_str())));
}
