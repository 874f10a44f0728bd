//! `extract::{Json, Query, Form, Path}` do what axum 0.8's do: optional
//! extraction, `Deref`/`DerefMut`, `From<T>` and responses.
#![cfg(feature = "axum")]

use crate::common;

use axum::body::Body;
use axum::routing::{get, post};
use axum::Router;
use common::{get as get_req, post_json, send};
use defender_errors::extract::{Form, Json, Path, Query};
use defender_errors::DefenderErrorLayer;
use http::Request;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize, Debug, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct Isolate {
    comment: String,
}

#[derive(Deserialize, Serialize, Debug, PartialEq)]
struct Paging {
    top: u32,
}

fn app() -> Router {
    async fn maybe(body: Option<Json<Isolate>>) -> String {
        match body {
            Some(body) => format!("some {}", body.comment),
            None => "none".to_owned(),
        }
    }
    async fn maybe_path(path: Option<Path<u32>>) -> String {
        format!("{:?}", path.map(|p| *p))
    }
    Router::new()
        .route("/maybe", post(maybe))
        .route("/maybe-path", get(maybe_path))
        .route("/maybe-path/{n}", get(maybe_path))
        .route(
            "/echo",
            post(|mut body: Json<Isolate>| async move {
                body.comment.push('!');
                body
            }),
        )
        .route(
            "/form",
            get(|query: Query<Paging>| async move { Form(Paging { top: query.top + 1 }) }),
        )
        .layer(DefenderErrorLayer::new())
}

#[tokio::test]
async fn an_optional_json_body_is_none_without_a_content_type() {
    let app = app();
    let request = Request::post("/maybe").body(Body::empty()).unwrap();
    assert_eq!(send(&app, request).await.body, "none");
    let request = Request::post("/maybe")
        .body(Body::from(r#"{"Comment": "x"}"#))
        .unwrap();
    assert_eq!(send(&app, request).await.body, "none");
    assert_eq!(
        send(&app, post_json("/maybe", r#"{"Comment": "x"}"#))
            .await
            .body,
        "some x"
    );
}

#[tokio::test]
async fn an_optional_json_body_that_is_sent_must_be_right() {
    let app = app();
    send(&app, post_json("/maybe", r#"{"comment": "x"}"#))
        .await
        .assert_envelope(
            400,
            "MissingRequiredParameter",
            "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive.",
        );
    send(&app, post_json("/maybe", "")).await.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. EOF while parsing a value at line 1 column 0.",
    );
    let request = Request::post("/maybe")
        .header("content-type", "text/plain")
        .body(Body::from(r#"{"Comment": "x"}"#))
        .unwrap();
    send(&app, request).await.assert_envelope(
        415,
        "UnsupportedMediaType",
        "The request content type is not supported. Use Content-Type: application/json.",
    );
}

#[tokio::test]
async fn an_optional_path_is_none_on_a_route_without_parameters() {
    let app = app();
    assert_eq!(send(&app, get_req("/maybe-path")).await.body, "None");
    assert_eq!(send(&app, get_req("/maybe-path/7")).await.body, "Some(7)");
    send(&app, get_req("/maybe-path/x")).await.assert_envelope(
        400,
        "InvalidInput",
        "Invalid input x.",
    );
}

#[tokio::test]
async fn json_derefs_mutably_and_is_a_json_response() {
    let reply = send(&app(), post_json("/echo", r#"{"Comment": "x"}"#)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), "application/json");
    assert_eq!(reply.body, r#"{"Comment":"x!"}"#);
}

#[tokio::test]
async fn form_is_a_urlencoded_response_and_query_derefs() {
    let reply = send(&app(), get_req("/form?top=4")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(reply.body, "top=5");
}

#[test]
fn every_extractor_converts_from_its_value_and_derefs() {
    let mut json = Json::from(Isolate {
        comment: "a".into(),
    });
    json.comment.push('b');
    assert_eq!(json.comment, "ab");
    let mut query = Query::from(Paging { top: 1 });
    query.top += 1;
    assert_eq!(query.top, 2);
    let mut form = Form::from(Paging { top: 3 });
    form.top += 1;
    assert_eq!(form.top, 4);
    let mut path = Path::from(5u32);
    *path += 1;
    assert_eq!(*path, 6);
}
