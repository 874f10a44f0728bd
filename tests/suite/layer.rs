//! The layer turns every kind of failure into the envelope: plain error
//! responses of axum and tower-http, inner service errors, panics.
#![cfg(feature = "axum")]

use crate::common;

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use common::{get as get_req, post_json, send, Captured};
use defender_errors::{ApiError, DefenderErrorLayer, ErrorCode, Passthrough};
use http::{Request, Response, StatusCode};
use tower::{service_fn, ServiceBuilder, ServiceExt};

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

async fn panicking() -> &'static str {
    panic!("secret panic payload sk-live-123")
}

fn app() -> Router {
    Router::new()
        .route("/ok", get(|| async { "fine" }))
        .route(
            "/isolate",
            post(|Json(_): Json<Isolate>| async { "isolated" }),
        )
        .route(
            "/machines/{n}",
            get(|Path(n): Path<u32>| async move { n.to_string() }),
        )
        .route(
            "/list",
            get(|Query(p): Query<Paging>| async move { p.top.to_string() }),
        )
        .route(
            "/upload",
            post(|body: axum::body::Bytes| async move { body.len().to_string() })
                .layer(DefaultBodyLimit::max(16)),
        )
        .route("/panic", get(panicking))
        .route(
            "/teapot",
            get(|| async { (StatusCode::IM_A_TEAPOT, Passthrough, "short and stout") }),
        )
        .route(
            "/limited",
            get(|| async {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "30")],
                    "slow down",
                )
            }),
        )
        .route(
            "/conflict",
            get(|| async { (StatusCode::CONFLICT, "taken") }),
        )
        .route(
            "/bad-gateway",
            get(|| async { (StatusCode::BAD_GATEWAY, "upstream said: password=x") }),
        )
        .route(
            "/missing",
            get(|| async { ApiError::entity_not_found("Machine", "42") }),
        )
        .layer(DefenderErrorLayer::new())
}

#[tokio::test]
async fn unmatched_route_is_not_found() {
    let reply = send(&app(), get_req("/nowhere")).await;
    reply.assert_envelope(404, "NotFound", "The requested resource was not found.");
}

#[tokio::test]
async fn wrong_method_is_method_not_allowed_and_keeps_allow() {
    let reply = send(&app(), Request::delete("/ok").body(Body::empty()).unwrap()).await;
    reply.assert_envelope(
        405,
        "MethodNotAllowed",
        "The method is not allowed for the requested resource.",
    );
    assert_eq!(reply.header("allow"), "GET,HEAD");
}

#[tokio::test]
async fn axum_json_rejections_become_envelopes() {
    let app = app();
    // A syntax error is a plain 400, recognised by axum's text.
    let reply = send(&app, post_json("/isolate", r#"{"Comment": "x""#)).await;
    reply.assert_envelope(
        400,
        "InvalidRequestBody",
        "Invalid request body. EOF while parsing an object at line 1 column 15.",
    );
    // No content type.
    let request = Request::post("/isolate")
        .body(Body::from(r#"{"Comment":"x"}"#))
        .unwrap();
    let reply = send(&app, request).await;
    reply.assert_envelope(
        415,
        "UnsupportedMediaType",
        "The request content type is not supported.",
    );
    // A 422 data error is sent as 400 InvalidRequestBody.
    let reply = send(&app, post_json("/isolate", r#"{"comment": "x"}"#)).await;
    reply.assert_envelope(400, "InvalidRequestBody", "Invalid request body.");
    // The right body passes.
    let reply = send(&app, post_json("/isolate", r#"{"Comment": "x"}"#)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "isolated");
}

#[tokio::test]
async fn path_and_query_rejections_become_invalid_input() {
    let app = app();
    let reply = send(&app, get_req("/machines/not-a-number")).await;
    reply.assert_envelope(400, "InvalidInput", "Invalid input in the URL path.");
    let reply = send(&app, get_req("/list?top=minus")).await;
    reply.assert_envelope(400, "InvalidInput", "Invalid input in the query string.");
    let reply = send(&app, get_req("/list?top=5")).await;
    assert_eq!(reply.body, "5");
}

#[tokio::test]
async fn body_limit_is_payload_too_large() {
    let app = app();
    let request = Request::post("/upload")
        .body(Body::from(vec![b'a'; 17]))
        .unwrap();
    let reply = send(&app, request).await;
    reply.assert_envelope(413, "PayloadTooLarge", "The request body is too large.");
    let request = Request::post("/upload")
        .body(Body::from(vec![b'a'; 16]))
        .unwrap();
    assert_eq!(send(&app, request).await.body, "16");
}

#[tokio::test]
#[allow(deprecated)]
async fn tower_http_bearer_auth_is_unauthorized() {
    use tower_http::validate_request::ValidateRequestHeaderLayer;

    let app = Router::new()
        .route("/secure", get(|| async { "secret" }))
        .layer(ValidateRequestHeaderLayer::bearer("demo-admin"))
        .layer(DefenderErrorLayer::new());
    let reply = send(&app, get_req("/secure")).await;
    reply.assert_envelope(401, "Unauthorized", "Unauthorized.");
    let request = Request::get("/secure")
        .header("authorization", "Bearer demo-admin")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, request).await.body, "secret");
}

#[tokio::test]
async fn kept_headers_survive_rewriting() {
    let service = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new())
        .service(service_fn(|_req: Request<Body>| async {
            Ok::<_, Infallible>(
                Response::builder()
                    .status(401)
                    .header("www-authenticate", "Bearer realm=\"defender\"")
                    .header("content-type", "text/plain")
                    .header("content-length", "6")
                    .body(Body::from("nope!!"))
                    .unwrap(),
            )
        }));
    let reply = send(&service, get_req("/")).await;
    reply.assert_envelope(401, "Unauthorized", "nope!!");
    assert_eq!(
        reply.header("www-authenticate"),
        "Bearer realm=\"defender\""
    );
    assert!(reply
        .headers
        .get("content-length")
        .is_none_or(|v| v.to_str().unwrap() == reply.body.len().to_string()));
}

#[tokio::test]
async fn other_statuses_keep_their_status_with_the_general_code() {
    let app = app();
    let reply = send(&app, get_req("/conflict")).await;
    reply.assert_envelope(409, "BadRequest", "taken");
    let reply = send(&app, get_req("/bad-gateway")).await;
    reply.assert_envelope(502, "InternalServerError", "");
    assert!(!String::from_utf8_lossy(&reply.body).contains("password"));
}

#[tokio::test]
async fn plain_too_many_requests_uses_retry_after() {
    let reply = send(&app(), get_req("/limited")).await;
    reply.assert_envelope(
        429,
        "TooManyRequests",
        "Rate limit exceeded. Retry after 30 seconds.",
    );
    assert_eq!(reply.header("retry-after"), "30");
}

#[tokio::test]
async fn passthrough_keeps_a_deliberate_error_body() {
    let reply = send(&app(), get_req("/teapot")).await;
    assert_eq!(reply.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(reply.body, "short and stout");
    common::assert_uuid(reply.request_id());
    assert!(reply.headers.get("x-ms-error-code").is_none());
}

#[tokio::test]
async fn rewriting_plain_errors_can_be_turned_off() {
    let app = Router::new()
        .route(
            "/conflict",
            get(|| async { (StatusCode::CONFLICT, "taken") }),
        )
        .route("/mine", get(|| async { ApiError::forbidden() }))
        .layer(DefenderErrorLayer::new().rewrite_plain_errors(false));
    let reply = send(&app, get_req("/conflict")).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.body, "taken");
    // The crate's own errors are still envelopes.
    let reply = send(&app, get_req("/mine")).await;
    reply.assert_envelope(403, "Forbidden", "Forbidden.");
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_envelope_and_the_router_keeps_serving() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let app = app();

    let reply = send(&app, get_req("/panic")).await;
    let target = reply.assert_envelope(500, "InternalServerError", "");
    assert!(!String::from_utf8_lossy(&reply.body).contains("sk-live"));
    for value in reply.headers.values() {
        assert!(!value.to_str().unwrap_or("").contains("sk-live"));
    }

    let logged = captured.lines();
    let event = logged
        .iter()
        .find(|l| l["fields"]["code"] == "InternalServerError")
        .expect("an error event");
    assert_eq!(event["level"], "ERROR");
    assert_eq!(event["fields"]["target"], target);
    assert_eq!(event["fields"]["status"], 500);
    assert!(event["fields"]["cause"]
        .as_str()
        .unwrap()
        .contains("secret panic payload sk-live-123"));

    assert_eq!(send(&app, get_req("/ok")).await.body, "fine");
}

#[tokio::test]
async fn a_panic_while_building_the_future_is_a_500_envelope() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let service = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new())
        .service(service_fn(|req: Request<Body>| {
            if req.uri().path() == "/boom" {
                panic!("panicked in call with token abc123");
            }
            async { Ok::<_, Infallible>(Response::new(Body::from("ok"))) }
        }));
    let reply = send(&service, get_req("/boom")).await;
    let target = reply.assert_envelope(500, "InternalServerError", "");
    assert!(captured
        .text()
        .contains("panicked in call with token abc123"));
    assert!(captured.text().contains(&target));
    assert_eq!(send(&service, get_req("/fine")).await.body, "ok");
}

// Paused time: the 20 ms timer fires before the handler's 5 s sleep however
// loaded the machine is, since the clock only moves when every task waits.
#[tokio::test(start_paused = true)]
async fn timeout_inside_the_layer_is_gateway_timeout() {
    let app: Router = Router::new()
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route("/fast", get(|| async { "quick" }))
        .layer(
            ServiceBuilder::new()
                .layer(DefenderErrorLayer::new())
                .timeout(Duration::from_millis(20)),
        );
    let reply = send(&app, get_req("/slow")).await;
    reply.assert_envelope(
        504,
        "GatewayTimeout",
        "The request did not complete within the server's time limit.",
    );
    assert_eq!(send(&app, get_req("/fast")).await.body, "quick");
}

#[tokio::test]
async fn load_shed_inside_the_layer_is_service_unavailable() {
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let held = gate.clone();
    // The handler says when it holds the one slot, so the second request is
    // sent only then (an event, not a guess at scheduling).
    let (entered_tx, entered_rx) = tokio::sync::oneshot::channel::<()>();
    let entered_tx = std::sync::Arc::new(std::sync::Mutex::new(Some(entered_tx)));
    let router = Router::new().route(
        "/work",
        get(move || {
            let held = held.clone();
            let entered = entered_tx.lock().unwrap().take();
            async move {
                if let Some(entered) = entered {
                    let _ = entered.send(());
                }
                held.notified().await;
                "done"
            }
        }),
    );
    let service = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new().overload_retry_after(5))
        .load_shed()
        .concurrency_limit(1)
        .service(router);

    let first = tokio::spawn(service.clone().oneshot(get_req("/work")));
    entered_rx
        .await
        .expect("the first request reaches its handler");
    let reply = send(&service, get_req("/work")).await;
    reply.assert_envelope(
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable. Retry after 5 seconds.",
    );
    assert_eq!(reply.header("retry-after"), "5");

    gate.notify_one();
    let first = first.await.unwrap().unwrap();
    assert_eq!(first.status(), 200);
}

#[tokio::test]
async fn any_other_inner_error_is_internal_and_logged_not_sent() {
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(captured.subscriber());
    let service = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new())
        .service(service_fn(|_req: Request<Body>| async {
            Err::<Response<Body>, _>(std::io::Error::other("connection to db-7 refused"))
        }));
    let reply = send(&service, get_req("/")).await;
    let target = reply.assert_envelope(500, "InternalServerError", "");
    let event = captured
        .lines()
        .into_iter()
        .find(|l| l["level"] == "ERROR")
        .unwrap();
    assert_eq!(event["fields"]["target"], target);
    assert_eq!(event["fields"]["cause"], "connection to db-7 refused");
}

/// A service whose `poll_ready` fails once.
#[derive(Clone)]
struct NotReadyOnce(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl tower::Service<Request<Body>> for NotReadyOnce {
    type Response = Response<Body>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Response<Body>, std::io::Error>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        if self.0.swap(false, std::sync::atomic::Ordering::SeqCst) {
            std::task::Poll::Ready(Err(std::io::Error::other("backend gone")))
        } else {
            std::task::Poll::Ready(Ok(()))
        }
    }

    fn call(&mut self, _: Request<Body>) -> Self::Future {
        std::future::ready(Ok(Response::new(Body::from("ready"))))
    }
}

#[tokio::test]
async fn a_poll_ready_error_becomes_the_next_calls_500() {
    let service =
        DefenderErrorLayer::new().layer_service(NotReadyOnce(std::sync::Arc::new(true.into())));
    let reply = send(&service, get_req("/")).await;
    reply.assert_envelope(500, "InternalServerError", "");
    assert_eq!(send(&service, get_req("/")).await.body, "ready");
}

trait LayerService<S> {
    fn layer_service(&self, s: S) -> <Self as tower::Layer<S>>::Service
    where
        Self: tower::Layer<S>;
}

impl<S> LayerService<S> for DefenderErrorLayer {
    fn layer_service(&self, s: S) -> <Self as tower::Layer<S>>::Service {
        tower::Layer::layer(self, s)
    }
}

#[tokio::test]
async fn head_gets_status_and_headers_without_a_body() {
    let app = app();
    let request = Request::head("/missing").body(Body::empty()).unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("x-ms-error-code"), "ResourceNotFound");
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=utf-8"
    );
    assert!(reply.body.is_empty());
    let request = Request::head("/nowhere").body(Body::empty()).unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("x-ms-error-code"), "NotFound");
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn an_error_rendered_off_the_request_gets_the_requests_target() {
    // Rendered in another task: the layer is not polling it, so the body
    // carries a fresh id that the layer must replace.
    let app = Router::new()
        .route(
            "/spawned",
            get(|| async {
                tokio::spawn(async { ApiError::disabled_feature().into_response() })
                    .await
                    .unwrap()
            }),
        )
        .layer(DefenderErrorLayer::new());
    let reply = send(&app, get_req("/spawned")).await;
    reply.assert_envelope(403, "DisabledFeature", "Tenant feature is not enabled.");
}

#[tokio::test]
async fn an_api_error_with_an_overridden_status_is_sent_with_its_codes_status() {
    let app = Router::new()
        .route(
            "/x",
            get(|| async { (StatusCode::CONFLICT, ApiError::forbidden()) }),
        )
        .layer(DefenderErrorLayer::new());
    let reply = send(&app, get_req("/x")).await;
    reply.assert_envelope(403, "Forbidden", "Forbidden.");
}

#[tokio::test]
async fn successes_pass_through_untouched_but_for_the_id_header() {
    let reply = send(&app(), get_req("/ok")).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "fine");
    assert_eq!(reply.header("content-type"), "text/plain; charset=utf-8");
    common::assert_uuid(reply.request_id());
    assert!(reply.headers.get("x-ms-error-code").is_none());
}

#[tokio::test]
async fn a_status_beyond_599_is_sent_as_500() {
    let service = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new())
        .service(service_fn(|_req: Request<Body>| async {
            let mut response = Response::new(Body::from("odd"));
            *response.status_mut() = StatusCode::from_u16(799).unwrap();
            Ok::<_, Infallible>(response)
        }));
    send(&service, get_req("/"))
        .await
        .assert_envelope(500, "InternalServerError", "");
}

#[test]
fn error_code_for_foreign_status_is_exposed() {
    assert_eq!(
        ErrorCode::from_status(StatusCode::UNPROCESSABLE_ENTITY),
        ErrorCode::InvalidRequestBody
    );
}
