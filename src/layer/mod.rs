//! [`DefenderErrorLayer`]: the middleware that gives every request a
//! tracking id and turns every failure into the Defender envelope.
//!
//! Per request the layer
//!
//! 1. makes the request's id with its [`MakeTrackingId`](crate::MakeTrackingId)
//!    (or, only when so configured, adopts it from a request header or, with
//!    the `tower-http` feature, from tower-http's `RequestId`: see
//!    [Adopting an id](DefenderErrorLayer#adopting-an-id)), and puts it in
//!    the request's extensions;
//! 2. runs the inner service inside a tracing span named `request` carrying
//!    `target`, `method`, `path` and `client_request_id` (see below), so
//!    every event a handler logs carries the id (with
//!    [`without_span`](DefenderErrorLayer::without_span), tower-http's
//!    `TraceLayer` makes that span instead: see [`crate::trace`]);
//! 3. rewrites the outcome: an [`ApiError`](crate::ApiError) response keeps
//!    its code and message, and the layer renders its envelope with the
//!    request's id as `target` (only the layer knows it); any other response
//!    with a status of 400 or more becomes the envelope for its status; an
//!    inner error (a timeout, an overloaded service, anything else) and a
//!    panic become 504, 503 and 500 envelopes;
//! 4. logs exactly one event per error response, with `code`, `status`,
//!    `target`, `client_request_id` and, for 5xx, the internal cause (5xx at
//!    `ERROR`, 4xx at [`client_error_level`](DefenderErrorLayer::client_error_level));
//! 5. echoes the id in a response header (default `x-ms-request-id`) on
//!    every response, and the client's `x-ms-client-request-id` when it is
//!    well-formed (see [`CLIENT_REQUEST_ID_HEADER`](crate::CLIENT_REQUEST_ID_HEADER)).
//!
//! A 429 or 503 envelope carries `retry-after-ms` beside `Retry-After`
//! (Azure SDKs read the former first). A plain 429 or 503 keeps its
//! `Retry-After` as sent; given as an HTTP date, the seconds until that
//! date (rounded up) make `retry-after-ms` and the message's seconds.
//!
//! # Plain error responses
//!
//! A plain (non-envelope) error response says little the layer can read:
//! its status, its headers and its body. The layer reads the body only when
//! it is `text/plain`, and then at most 1,028 bytes and only what the body
//! has ready: a body that trickles (some bytes, then nothing for a while)
//! is not waited for, and gets its code's general message, so it never
//! holds the response head:
//!
//! - axum's own extractor rejections are plain text with a fixed opening
//!   per kind; they get the codes the crate's extractors give the same
//!   failures (a JSON syntax error is `InvalidRequestBody` with serde_json's
//!   description and position, a bad query or path value `InvalidInput`, a
//!   body over the limit `PayloadTooLarge`, a 422 `InvalidRequestBody` sent
//!   as 400);
//! - any other `text/plain` 4xx, such as `(StatusCode::CONFLICT, "Machine is
//!   offline")`, is a message for the client: it becomes the envelope's
//!   `message`, control characters escaped and cut to 256 characters (a 429
//!   with `Retry-After` keeps the table's message with the seconds);
//! - a 5xx body is never sent: its text is logged as the error's cause;
//! - an empty body, another content type or text that is not UTF-8 gives
//!   the code's general message.
//!
//! The wrapped service's error type is [`Infallible`](std::convert::Infallible),
//! so fallible tower middleware (timeouts, load shedding, concurrency
//! limits) can sit inside the layer on an axum `Router` without
//! `HandleErrorLayer`.
//!
//! # Example
//!
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{routing::get, Router};
//! use defender_errors::{ApiError, DefenderErrorLayer};
//! use http::{Request, StatusCode};
//! use http_body_util::BodyExt;
//! use tower::ServiceExt;
//!
//! async fn machine() -> Result<String, ApiError> {
//!     Err(ApiError::entity_not_found("Machine", "123"))
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/api/machines/123", get(machine))
//!     .layer(DefenderErrorLayer::new());
//!
//! let response = app
//!     .oneshot(Request::get("/api/machines/123").body(axum::body::Body::empty()).unwrap())
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), StatusCode::NOT_FOUND);
//! let id = response.headers()["x-ms-request-id"].to_str().unwrap().to_owned();
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! assert_eq!(
//!     body,
//!     format!(r#"{{"error":{{"code":"ResourceNotFound","message":"Machine 123 was not found","target":"{id}"}}}}"#)
//! );
//! # }
//! ```
//!
//! # Using it with `TraceLayer`
//!
//! A service that runs tower-http's `TraceLayer` lets it make the request's
//! one span: put it inside the layer with
//! [`MakeRequestSpan`](crate::trace::MakeRequestSpan), and turn the layer's
//! own span off:
//!
#![cfg_attr(all(feature = "axum", feature = "tower-http"), doc = "```")]
#![cfg_attr(not(all(feature = "axum", feature = "tower-http")), doc = "```ignore")]
//! use axum::{routing::get, Router};
//! use defender_errors::{trace::MakeRequestSpan, DefenderErrorLayer};
//! use tower_http::trace::TraceLayer;
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "ok" }))
//!     .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new()))
//!     .layer(DefenderErrorLayer::new().without_span());
//! ```

mod body;
mod future;
#[allow(clippy::module_inception)]
mod layer;
mod plain;
mod service;
pub(crate) mod span;

pub use self::body::ResponseBody;
pub use self::future::ResponseFuture;
pub use self::layer::DefenderErrorLayer;
pub use self::service::DefenderError;

/// Put in a response's extensions, makes the layer send that error response
/// as it is (it still gets the id header and is still logged).
///
/// For a handler that deliberately sends another error body. To keep every
/// plain error response as it is, use
/// [`DefenderErrorLayer::rewrite_plain_errors`].
///
#[cfg_attr(feature = "axum", doc = "```")]
#[cfg_attr(not(feature = "axum"), doc = "```ignore")]
/// use axum::response::IntoResponse;
/// use defender_errors::Passthrough;
/// use http::StatusCode;
///
/// async fn teapot() -> impl IntoResponse {
///     (StatusCode::IM_A_TEAPOT, Passthrough, "short and stout")
/// }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Passthrough;

#[cfg(feature = "axum")]
impl axum::response::IntoResponseParts for Passthrough {
    type Error = std::convert::Infallible;

    fn into_response_parts(
        self,
        mut res: axum::response::ResponseParts,
    ) -> Result<axum::response::ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}
