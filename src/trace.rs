//! tower-http integration: [`MakeRequestSpan`] makes `TraceLayer`'s span the
//! request's one span.
//!
//! A service that already runs tower-http's `TraceLayer` puts it inside
//! [`DefenderErrorLayer`](crate::DefenderErrorLayer) and turns the layer's
//! own span off with
//! [`without_span`](crate::DefenderErrorLayer::without_span). The layer
//! still runs first: it makes (or adopts) the tracking id and puts it in the
//! request's extensions, where [`MakeRequestSpan`] reads it. Each request
//! then has exactly one span, `request`, with `target`, `method`, `path`
//! and (when the client sent a well-formed one) `client_request_id`; every
//! event a handler logs carries `target`, and the layer logs its one error
//! event with `target`, `code` and `status` as the event's own fields.
//!
//! # Example
//!
//! ```
//! use axum::{routing::get, Router};
//! use defender_errors::{trace::MakeRequestSpan, DefenderErrorLayer};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt;
//! use tower_http::trace::TraceLayer;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/", get(|| async { "ok" }))
//!     .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new()))
//!     .layer(DefenderErrorLayer::new().without_span());
//!
//! let response = app
//!     .oneshot(Request::get("/").body(axum::body::Body::empty()).unwrap())
//!     .await
//!     .unwrap();
//! assert_eq!(response.status(), StatusCode::OK);
//! assert!(response.headers().contains_key("x-ms-request-id"));
//! # }
//! ```
//!
//! `TraceLayer::new_for_http()` logs a 5xx once more itself (its default
//! `on_failure`, an `ERROR` event "response failed" without the code or
//! the cause); give it `.on_failure(())` to keep the layer's event the only
//! one per error.
//!
//! tower-http's `SetRequestIdLayer`, placed outside the layer, keeps working,
//! with its own id: the layer makes the tracking id. Behind a gateway that
//! sets or overwrites `x-request-id`, the layer can adopt the `RequestId`
//! when it is a UUID so that `x-request-id` and `target` are the same id
//! ([`adopt_request_id(true)`](crate::DefenderErrorLayer::adopt_request_id));
//! that lets whoever sends the header decide the id, so it is off by default.

use http::Request;
use tower_http::trace::MakeSpan;
use tracing::{Level, Span};

use crate::layer::span::request_span;
use crate::tracking::{self, TrackingId};

/// A tower-http [`MakeSpan`] that makes the `INFO` span `request` with
/// `target`, `method`, `path` and `client_request_id`, exactly as
/// [`DefenderErrorLayer`](crate::DefenderErrorLayer) makes its own. See the
/// [module docs](self).
///
/// It reads the [`TrackingId`] the layer put in the request's extensions,
/// so the layer must sit outside the `TraceLayer`. Without a layer in front
/// there is no id: the span is then an `INFO` span with `method` and `path`
/// only.
#[derive(Debug, Clone, Copy)]
pub struct MakeRequestSpan {
    level: Level,
}

impl MakeRequestSpan {
    /// The span at `INFO`.
    pub const fn new() -> Self {
        MakeRequestSpan { level: Level::INFO }
    }

    /// The span at `level` instead.
    pub const fn level(mut self, level: Level) -> Self {
        self.level = level;
        self
    }
}

impl Default for MakeRequestSpan {
    fn default() -> Self {
        Self::new()
    }
}

impl<B> MakeSpan<B> for MakeRequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        let client_request_id = tracking::client_request_id(request.headers());
        match TrackingId::from_request(request) {
            Some(mut id) => request_span(self.level, &mut id, false, client_request_id, request),
            None => tracing::info_span!(
                "request",
                method = %request.method(),
                path = &*crate::error::log_path(request.uri().path()),
            ),
        }
    }
}
