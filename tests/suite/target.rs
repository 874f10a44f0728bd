//! Only the layer decides an envelope's `target`: an `ApiError` turned
//! into a response carries itself in the response's extensions, and the
//! layer in front renders the envelope with the request's own id, wherever
//! and whenever the response was made. Without a layer, each response gets
//! a fresh id. The id header's text is never shared between requests.
#![cfg(feature = "axum")]

use crate::common;

use std::sync::{Arc, Mutex};

use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use common::{assert_uuid, get as get_req, send};
use defender_errors::{ApiError, DefenderErrorLayer, IdSource};
use http::Request;

const ID_A: &str = "0b7c4c0e-5d1f-4a8e-9f3a-111111111111";
const ID_B: &str = "0b7c4c0e-5d1f-4a8e-9f3a-222222222222";

fn with_id(uri: &str, id: &str) -> Request<axum::body::Body> {
    Request::get(uri)
        .header("x-request-id", id)
        .body(axum::body::Body::empty())
        .unwrap()
}

fn envelope(code: &str, message: &str, target: &str) -> String {
    serde_json::json!({"error": {"code": code, "message": message, "target": target}}).to_string()
}

#[tokio::test]
async fn behind_the_layer_the_target_is_the_requests_id() {
    let app = Router::new()
        .route(
            "/missing",
            get(|| async { ApiError::entity_not_found("Machine", "42") }),
        )
        .layer(DefenderErrorLayer::new().adopt(IdSource::x_request_id()));
    let reply = send(&app, with_id("/missing", ID_A)).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.request_id(), ID_A);
    assert_eq!(
        reply.body,
        envelope("ResourceNotFound", "Machine 42 was not found", ID_A)
    );
}

#[tokio::test]
async fn a_response_made_during_one_request_and_sent_by_another_names_the_sender() {
    // Request A makes the error response while it is being handled and
    // keeps it; request B sends it. The target is B's.
    let kept: Arc<Mutex<Option<Response>>> = Arc::default();
    let app = Router::new()
        .route(
            "/make",
            get({
                let kept = kept.clone();
                move || async move {
                    *kept.lock().unwrap() = Some(ApiError::forbidden().into_response());
                    "kept"
                }
            }),
        )
        .route(
            "/send",
            get({
                let kept = kept.clone();
                move || async move { kept.lock().unwrap().take().unwrap() }
            }),
        )
        .layer(DefenderErrorLayer::new().adopt(IdSource::x_request_id()));
    assert_eq!(send(&app, with_id("/make", ID_A)).await.body, "kept");
    let reply = send(&app, with_id("/send", ID_B)).await;
    assert_eq!(reply.status, 403);
    assert_eq!(reply.request_id(), ID_B);
    assert_eq!(reply.body, envelope("Forbidden", "Forbidden.", ID_B));
}

#[tokio::test]
async fn outside_any_layer_each_response_gets_a_fresh_id() {
    // A layered request first, on the same thread, then two without.
    let layered = Router::new()
        .route("/x", get(|| async { ApiError::forbidden() }))
        .layer(DefenderErrorLayer::new().adopt(IdSource::x_request_id()));
    assert_eq!(send(&layered, with_id("/x", ID_A)).await.request_id(), ID_A);

    let bare = Router::new().route("/x", get(|| async { ApiError::forbidden() }));
    let mut targets = Vec::new();
    for _ in 0..2 {
        let reply = send(&bare, get_req("/x")).await;
        assert_eq!(reply.status, 403);
        let target = reply.json()["error"]["target"].as_str().unwrap().to_owned();
        assert_uuid(&target);
        assert_eq!(reply.body, envelope("Forbidden", "Forbidden.", &target));
        targets.push(target);
    }
    assert_ne!(targets[0], targets[1]);
    assert!(!targets.contains(&ID_A.to_owned()));
}

#[tokio::test(flavor = "current_thread")]
async fn id_headers_stay_intact_while_later_requests_are_served() {
    // Header values kept from earlier requests still read as their own id
    // after many more requests on the same thread.
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route("/err", get(|| async { ApiError::forbidden() }))
        .layer(DefenderErrorLayer::new());
    let mut kept = Vec::new();
    for i in 0..200 {
        let uri = if i % 2 == 0 { "/ok" } else { "/err" };
        let reply = send(&app, get_req(uri)).await;
        let header = reply.headers["x-ms-request-id"].clone();
        let text = header.to_str().unwrap().to_owned();
        assert_uuid(&text);
        if i % 2 == 1 {
            assert_eq!(reply.json()["error"]["target"], text.as_str());
        }
        kept.push((header, text));
    }
    for (header, text) in &kept {
        assert_eq!(header.to_str().unwrap(), text);
    }
    let mut texts: Vec<&String> = kept.iter().map(|(_, t)| t).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), kept.len(), "every id is distinct");
}
