//! The services every benchmark compares, built one way so the criterion
//! bench, the callgrind driver and the load-test server measure the same
//! thing.
//!
//! Routes (identical in every stack):
//! - `GET /ok`: a trivial success (`"ok"`).
//! - `GET /error`: the handler returns an [`ApiError`] (404 `ResourceNotFound`).
//! - `GET /panic`: the handler panics.
//!
//! Stacks:
//! - **bare**: the router alone.
//! - **layered**: [`DefenderErrorLayer`] wrapped around the router
//!   (`layer.layer(router)`, the layer runs before routing).
//! - **layered-debug-span**: the same with the layer's span at `DEBUG`, so
//!   the `INFO` subscriber neither creates nor formats it.
//! - **route-layered**: the same layer applied with `Router::layer` (axum
//!   then boxes the layered service's future and body per request).
//! - **hand-built**: what a user would assemble from tower-http and axum for
//!   comparable behaviour: a UUID request id set on the request and echoed
//!   in `x-ms-request-id`, an INFO span with the id, method and path, an
//!   INFO event for 4xx and an ERROR event for 5xx responses, panics caught
//!   as 500s and service errors turned into responses by `HandleErrorLayer`.
//! - **route-noop**: a layer that does nothing (`tower::layer::util::Identity`)
//!   applied with `Router::layer`: what axum's per-route boxing costs alone.
//! - **route-quiet**: the layer applied with `Router::layer`, its span and
//!   its 4xx event at `DEBUG`, below the subscriber's `INFO`.
//! - **trace-only**: tower-http's `TraceLayer` alone (`Router::layer`),
//!   making the same span as `MakeRequestSpan` (`request` with a fresh UUID
//!   as `target`, `method`, `path`, `client_request_id`).
//! - **trace-request-id**: the same `TraceLayer` with tower-http's request-id
//!   trio around it (`SetRequestIdLayer` outside, `PropagateRequestIdLayer`
//!   inside), the span reading the id from the request header.
//! - **integrated**: the set-up of the tower-http integration:
//!   `TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new())`,
//!   then `DefenderErrorLayer::new().without_span()`, each with
//!   `Router::layer`.
//! - **integrated-one-layer**: the same two layers in one `ServiceBuilder`
//!   given to `Router::layer` once (axum boxes once instead of twice).
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::error_handling::{HandleError, HandleErrorLayer};
use axum::routing::get;
use axum::Router;
use defender_errors::layer::DefenderError;
use defender_errors::trace::MakeRequestSpan;
use defender_errors::{ApiError, DefenderErrorLayer};
use http::{HeaderName, Request, Response};
use tower::layer::util::Identity;
use tower::{Layer, ServiceBuilder};
use tower_http::catch_panic::{CatchPanic, CatchPanicLayer, DefaultResponseForPanic};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestId, PropagateRequestIdLayer, SetRequestId, SetRequestIdLayer,
};
use tower_http::trace::{DefaultOnRequest, MakeSpan, OnResponse, Trace, TraceLayer};

/// The stacks, by the name the command lines use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    Bare,
    Layered,
    LayeredDebugSpan,
    RouteLayered,
    HandBuilt,
    RouteNoop,
    RouteQuiet,
    TraceOnly,
    TraceRequestId,
    Integrated,
    IntegratedOneLayer,
}

impl Stack {
    pub const ALL: [Stack; 11] = [
        Stack::Bare,
        Stack::Layered,
        Stack::LayeredDebugSpan,
        Stack::RouteLayered,
        Stack::HandBuilt,
        Stack::RouteNoop,
        Stack::RouteQuiet,
        Stack::TraceOnly,
        Stack::TraceRequestId,
        Stack::Integrated,
        Stack::IntegratedOneLayer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stack::Bare => "bare",
            Stack::Layered => "layered",
            Stack::LayeredDebugSpan => "layered-debug-span",
            Stack::RouteLayered => "route-layered",
            Stack::HandBuilt => "hand-built",
            Stack::RouteNoop => "route-noop",
            Stack::RouteQuiet => "route-quiet",
            Stack::TraceOnly => "trace-only",
            Stack::TraceRequestId => "trace-request-id",
            Stack::Integrated => "integrated",
            Stack::IntegratedOneLayer => "integrated-one-layer",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The names, for usage messages.
    pub fn names() -> String {
        Self::ALL.map(Stack::name).join("|")
    }
}

/// Evaluates `$body` with `$service` bound to the service of `$stack`
/// (each stack has its own type).
macro_rules! with_stack {
    ($stack:expr, |$service:ident| $body:expr) => {
        match $stack {
            Stack::Bare => {
                let $service = stacks::bare();
                $body
            }
            Stack::Layered => {
                let $service = stacks::layered();
                $body
            }
            Stack::LayeredDebugSpan => {
                let $service = stacks::layered_debug_span();
                $body
            }
            Stack::RouteLayered => {
                let $service = stacks::route_layered();
                $body
            }
            Stack::HandBuilt => {
                let $service = stacks::hand_built();
                $body
            }
            Stack::RouteNoop => {
                let $service = stacks::route_noop();
                $body
            }
            Stack::RouteQuiet => {
                let $service = stacks::route_quiet();
                $body
            }
            Stack::TraceOnly => {
                let $service = stacks::trace_only();
                $body
            }
            Stack::TraceRequestId => {
                let $service = stacks::trace_request_id();
                $body
            }
            Stack::Integrated => {
                let $service = stacks::integrated();
                $body
            }
            Stack::IntegratedOneLayer => {
                let $service = stacks::integrated_one_layer();
                $body
            }
        }
    };
}

async fn ok() -> &'static str {
    "ok"
}

async fn error() -> Result<&'static str, ApiError> {
    Err(ApiError::resource_not_found("Machine 7"))
}

async fn panic() -> &'static str {
    panic!("handler gave up")
}

/// The router every stack wraps.
pub fn router() -> Router {
    Router::new()
        .route("/ok", get(ok))
        .route("/error", get(error))
        .route("/panic", get(panic))
}

/// The router alone.
pub fn bare() -> Router {
    router()
}

/// The router inside [`DefenderErrorLayer`].
pub fn layered() -> DefenderError<Router> {
    DefenderErrorLayer::new().layer(router())
}

/// The router inside [`DefenderErrorLayer`] whose span is at `DEBUG`, below
/// the subscriber's `INFO`: the layer's cost without the span's.
pub fn layered_debug_span() -> DefenderError<Router> {
    DefenderErrorLayer::new()
        .span_level(tracing::Level::DEBUG)
        .layer(router())
}

/// The router with the layer applied per route by `Router::layer`.
pub fn route_layered() -> Router {
    router().layer(DefenderErrorLayer::new())
}

/// The router with a layer that does nothing, applied per route.
pub fn route_noop() -> Router {
    router().layer(Identity::new())
}

/// The layer per route, with its span and 4xx event below `INFO`.
pub fn route_quiet() -> Router {
    router().layer(
        DefenderErrorLayer::new()
            .span_level(tracing::Level::DEBUG)
            .client_error_level(tracing::Level::DEBUG),
    )
}

/// tower-http's `TraceLayer` alone, making the span `MakeRequestSpan` makes.
pub fn trace_only() -> Router {
    router().layer(TraceLayer::new_for_http().make_span_with(SameSpan))
}

/// The same `TraceLayer` inside tower-http's request-id trio.
pub fn trace_request_id() -> Router {
    router().layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(RequestSpan))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
    )
}

/// `TraceLayer` with `MakeRequestSpan` inside the layer without its span.
pub fn integrated() -> Router {
    router()
        .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new()))
        .layer(DefenderErrorLayer::new().without_span())
}

/// The same, both layers given to `Router::layer` at once.
pub fn integrated_one_layer() -> Router {
    router().layer(
        ServiceBuilder::new()
            .layer(DefenderErrorLayer::new().without_span())
            .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new())),
    )
}

/// The span of `MakeRequestSpan` (same name, level and fields) with a
/// fresh UUID as `target`: `TraceLayer`'s cost with that span, no layer.
#[derive(Debug, Clone, Copy)]
pub struct SameSpan;

impl<B> MakeSpan<B> for SameSpan {
    fn make_span(&mut self, req: &Request<B>) -> tracing::Span {
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let target: &str = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut text);
        tracing::info_span!(
            "request",
            target = %target,
            method = %req.method(),
            path = req.uri().path(),
            client_request_id = None::<&str>,
        )
    }
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");

/// The hand-built tower-http stack (outermost first).
pub fn hand_built() -> HandBuilt {
    ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(RequestSpan)
                .on_response(LogRejection),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CatchPanicLayer::new())
        .layer(HandleErrorLayer::new(handle_error as HandleFn))
        .service(router())
}

/// The type of [`hand_built`].
pub type HandBuilt = SetRequestId<
    Trace<
        PropagateRequestId<CatchPanic<HandleError<Router, HandleFn, ()>, DefaultResponseForPanic>>,
        SharedClassifier<ServerErrorsAsFailures>,
        RequestSpan,
        DefaultOnRequest,
        LogRejection,
    >,
    MakeRequestUuid,
>;

type HandleFn = fn(Infallible) -> std::future::Ready<ApiError>;

fn handle_error(error: Infallible) -> std::future::Ready<ApiError> {
    match error {}
}

/// The hand-built stack's span: like the layer's, at INFO with the id,
/// method and path.
#[derive(Debug, Clone, Copy)]
pub struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &Request<B>) -> tracing::Span {
        let id = req
            .headers()
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        tracing::info_span!(
            "request",
            target = id,
            method = %req.method(),
            path = req.uri().path(),
        )
    }
}

/// The hand-built stack's `on_response`: one INFO event per 4xx (5xx are
/// logged at ERROR by `TraceLayer`'s default `on_failure`).
#[derive(Debug, Clone, Copy)]
pub struct LogRejection;

impl<B> OnResponse<B> for LogRejection {
    fn on_response(self, response: &Response<B>, _latency: Duration, _span: &tracing::Span) {
        if response.status().is_client_error() {
            tracing::info!(status = response.status().as_u16(), "request rejected");
        }
    }
}

/// A `fmt` subscriber at INFO writing to a sink, installed globally: the
/// cost of formatting every span and event without the cost of I/O.
///
/// Colours are off, as for any log that goes to a file or a pipe; set
/// `BENCH_ANSI=1` to format with ANSI colour codes (`fmt`'s default), which
/// roughly doubles what every span and event costs to format.
pub fn install_sink_subscriber() {
    let ansi = std::env::var_os("BENCH_ANSI").is_some_and(|v| v == "1");
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(ansi)
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("no subscriber was set before");
}

/// Panics print nothing (the panic route is benchmarked).
pub fn silence_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// A `GET` of `path`.
pub fn get_request(path: &'static str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}
