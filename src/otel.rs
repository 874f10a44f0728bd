//! OpenTelemetry: the tracking id **is** the trace id.
//!
//! With the `opentelemetry` feature and a `tracing-opentelemetry` layer in
//! the subscriber, [`DefenderErrorLayer::new()`](crate::DefenderErrorLayer::new)
//! needs no further setup:
//!
//! - A request with no adopted id starts a new trace, whose root is the
//!   layer's `request` span (kind `server`). The layer takes the trace id
//!   the tracer chose as the tracking id, so `target` without its hyphens is
//!   the trace id in hexadecimal: the id a customer reports is the trace to
//!   look up in Jaeger or Tempo.
//! - A request whose `traceparent` is adopted
//!   (`adopt(IdSource::TraceParent)`) continues that trace: the span's
//!   parent is the incoming span, and `target` is the incoming trace id.
//!   Without that setting an incoming `traceparent` (or any other id the
//!   client sends) is ignored: the span never joins a trace the client
//!   picked unless adoption is configured.
//! - An id adopted from elsewhere (a UUID header, tower-http's `RequestId`)
//!   is kept, and the span is given a remote parent carrying that id as its
//!   trace id, so the trace id is still `target`. A backend shows such a
//!   span as its trace's root whose parent it never received. The same
//!   holds for the span of [`MakeRequestSpan`](crate::trace::MakeRequestSpan),
//!   which is made after the layer has chosen the id.
//!
//! The span carries the HTTP semantic-convention attributes
//! `http.request.method`, `url.path`, `http.route` (the matched axum route,
//! when the layer is applied with `Router::layer` and a route matched) and,
//! on the layer's own span, `http.response.status_code`; it is named
//! `{method} {route}` (or `{method}`). Its status is `Error` for a 5xx
//! response and is left unset otherwise. `target` and `client_request_id`
//! are exported as attributes too (tracing-opentelemetry also exports the
//! span's module path under the key `target` unless its layer is built
//! `.with_target(false)`).
//!
//! Without an OpenTelemetry layer in the subscriber nothing changes but the
//! order of the span's fields (`target` is recorded just after the span is
//! made).
//!
//! ```
//! use axum::{routing::get, Router};
//! use defender_errors::DefenderErrorLayer;
//! use opentelemetry::trace::TracerProvider as _;
//! use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! let exporter = InMemorySpanExporter::default();
//! let provider = SdkTracerProvider::builder()
//!     .with_simple_exporter(exporter.clone())
//!     .build();
//! let subscriber = tracing_subscriber::registry()
//!     .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("api")));
//! let _guard = tracing::subscriber::set_default(subscriber);
//!
//! let app: Router = Router::new()
//!     .route("/", get(|| async { "ok" }))
//!     .layer(DefenderErrorLayer::new());
//! ```

use http::{Request, StatusCode};
use opentelemetry::trace::{
    SpanContext, SpanId, Status, TraceContextExt, TraceFlags, TraceId, TraceState,
};
use opentelemetry::Context;
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::tracking::{TraceParent, TrackingId};

/// Ties the new `span` to the request's trace and makes `id` its trace id
/// (see the [module docs](self)). Does nothing when no OpenTelemetry layer
/// sees the span.
pub(crate) fn link<B>(span: &Span, id: &mut TrackingId, made: bool, req: &Request<B>) {
    let parent = if made {
        // A new trace: the span is its root.
        Context::new()
    } else {
        Context::new().with_remote_span_context(remote_parent(*id, req))
    };
    if span.set_parent(parent).is_err() {
        return;
    }

    let method = req.method().as_str();
    #[cfg(feature = "axum")]
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|path| path.as_str());
    #[cfg(not(feature = "axum"))]
    let route: Option<&str> = None;
    span.record("otel.kind", "server");
    match route {
        Some(route) => span.record("otel.name", format_args!("{method} {route}")),
        None => span.record("otel.name", method),
    };
    span.set_attribute("http.request.method", method.to_owned());
    span.set_attribute(
        "url.path",
        crate::error::log_path(req.uri().path()).into_owned(),
    );
    if let Some(route) = route {
        span.set_attribute("http.route", route.to_owned());
    }

    if made {
        // Starts the OpenTelemetry span, which fixes its trace id.
        let trace_id = span.context().span().span_context().trace_id();
        if trace_id != TraceId::INVALID {
            *id = TrackingId::from_uuid(uuid::Uuid::from_bytes(trace_id.to_bytes()));
        }
    }
}

/// The incoming span of the request's `traceparent` when it carries `id` as
/// its trace id, else a remote span standing for the client that chose `id`.
fn remote_parent<B>(id: TrackingId, req: &Request<B>) -> SpanContext {
    let trace_id = TraceId::from_bytes(id.as_uuid().into_bytes());
    let incoming = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .and_then(TraceParent::parse)
        .filter(|tp| tp.trace_id == *id.as_uuid());
    match incoming {
        Some(tp) => SpanContext::new(
            trace_id,
            SpanId::from(tp.parent_id),
            TraceFlags::new(tp.flags),
            true,
            TraceState::default(),
        ),
        None => {
            // A span id of the id's own bits: stable for the request, and
            // never zero (zero is invalid).
            let low = u64::from_be_bytes(id.as_uuid().as_bytes()[8..].try_into().unwrap_or([1; 8]));
            SpanContext::new(
                trace_id,
                SpanId::from(low.max(1)),
                TraceFlags::SAMPLED,
                true,
                TraceState::default(),
            )
        }
    }
}

/// Records the response's status on the layer's span: the
/// `http.response.status_code` attribute, and status `Error` for a 5xx.
pub(crate) fn record_response(span: &Span, status: StatusCode) {
    if span.is_none() {
        return;
    }
    span.set_attribute("http.response.status_code", i64::from(status.as_u16()));
    if status.is_server_error() {
        span.set_status(Status::error(status.canonical_reason().unwrap_or("")));
    }
}
