//! OpenTelemetry: with a `tracing-opentelemetry` layer in the subscriber the
//! exported server span's trace id is the tracking id, an adopted
//! `traceparent` continues its trace, and the span carries the HTTP
//! semantic-convention attributes and status. Spans are read back from the
//! SDK's in-memory exporter.
#![cfg(all(feature = "axum", feature = "opentelemetry", feature = "tower-http"))]

use crate::common;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use common::{get as get_req, send, Reply};
use defender_errors::trace::MakeRequestSpan;
use defender_errors::{ApiError, DefenderErrorLayer, IdSource};
use http::Request;
use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId, TracerProvider as _};
use opentelemetry::Value;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use tower_http::trace::TraceLayer;
use tracing_subscriber::layer::SubscriberExt;

/// A subscriber exporting to memory, installed on this thread until the
/// guard drops.
struct Otel {
    exporter: InMemorySpanExporter,
    _provider: SdkTracerProvider,
    _guard: tracing::subscriber::DefaultGuard,
}

impl Otel {
    fn install() -> Self {
        common::capture::keep_callsite_interest_shared();
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let guard = tracing::subscriber::set_default(subscriber);
        Otel {
            exporter,
            _provider: provider,
            _guard: guard,
        }
    }

    /// The spans exported since the last call.
    fn take(&self) -> Vec<SpanData> {
        let spans = self.exporter.get_finished_spans().unwrap();
        self.exporter.reset();
        spans
    }
}

fn routes() -> Router {
    Router::new()
        .route(
            "/machines/{id}",
            get(|| async {
                tracing::info!("looking");
                "found"
            }),
        )
        .route(
            "/fail",
            get(|| async { ApiError::resource_not_found("Machine 7") }),
        )
        .route(
            "/crash",
            get(|| async { Err::<(), _>(ApiError::internal("the disk is on fire")) }),
        )
}

/// `target` without hyphens, as a trace id.
fn trace_id_of(target: &str) -> TraceId {
    TraceId::from_hex(&target.replace('-', "")).unwrap()
}

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn only_span(otel: &Otel) -> SpanData {
    let mut spans = otel.take();
    assert_eq!(spans.len(), 1, "one exported span: {spans:#?}");
    spans.pop().unwrap()
}

#[tokio::test]
async fn the_server_spans_trace_id_is_the_tracking_id() {
    let otel = Otel::install();
    let app = routes().layer(DefenderErrorLayer::new());

    let reply = send(&app, get_req("/machines/7")).await;
    assert_eq!(reply.status, 200);
    let span = only_span(&otel);
    let target = reply.request_id();
    assert_eq!(span.span_context.trace_id(), trace_id_of(target));
    assert_eq!(
        format!("{:032x}", span.span_context.trace_id()),
        target.replace('-', "")
    );
    // A new trace, whose root is the server span.
    assert_eq!(span.parent_span_id, SpanId::INVALID);
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(span.name, "GET /machines/{id}");
    // `target` is exported as an attribute as well (beside the module path
    // that tracing-opentelemetry exports under the same key).
    assert!(span
        .attributes
        .iter()
        .any(|kv| kv.key.as_str() == "target" && kv.value == Value::from(target.to_owned())));

    // Each request is its own trace, and an error's `target` is its trace.
    let reply = send(&app, get_req("/fail")).await;
    let target =
        reply.assert_envelope(404, "ResourceNotFound", "Resource Machine 7 was not found.");
    let span = only_span(&otel);
    assert_eq!(span.span_context.trace_id(), trace_id_of(&target));
}

#[tokio::test]
async fn the_span_has_the_http_semantic_convention_attributes() {
    let otel = Otel::install();
    let app = routes().layer(DefenderErrorLayer::new());

    send(&app, get_req("/machines/7")).await;
    let span = only_span(&otel);
    assert_eq!(
        attribute(&span, "http.request.method"),
        Some(&Value::from("GET"))
    );
    assert_eq!(
        attribute(&span, "http.route"),
        Some(&Value::from("/machines/{id}"))
    );
    assert_eq!(
        attribute(&span, "url.path"),
        Some(&Value::from("/machines/7"))
    );
    assert_eq!(
        attribute(&span, "http.response.status_code"),
        Some(&Value::I64(200))
    );
    assert_eq!(span.status, Status::Unset);
}

#[tokio::test]
async fn status_is_error_for_5xx_only() {
    let otel = Otel::install();
    let app = routes().layer(DefenderErrorLayer::new());

    let reply = send(&app, get_req("/fail")).await;
    assert_eq!(reply.status, 404);
    let span = only_span(&otel);
    assert_eq!(
        attribute(&span, "http.response.status_code"),
        Some(&Value::I64(404))
    );
    assert_eq!(span.status, Status::Unset, "a 4xx is the client's error");

    let reply = send(&app, get_req("/crash")).await;
    assert_eq!(reply.status, 500);
    let span = only_span(&otel);
    assert_eq!(
        attribute(&span, "http.response.status_code"),
        Some(&Value::I64(500))
    );
    assert!(
        matches!(span.status, Status::Error { .. }),
        "{:?}",
        span.status
    );
}

#[tokio::test]
async fn an_adopted_traceparent_continues_the_incoming_trace() {
    let otel = Otel::install();
    let app = routes().layer(DefenderErrorLayer::new().adopt(IdSource::TraceParent));

    let request = Request::get("/fail")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    let target =
        reply.assert_envelope(404, "ResourceNotFound", "Resource Machine 7 was not found.");
    assert_eq!(target, "4bf92f35-77b3-4da6-a3ce-929d0e0e4736");
    let span = only_span(&otel);
    assert_eq!(
        span.span_context.trace_id(),
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap()
    );
    assert_eq!(
        span.parent_span_id,
        SpanId::from_hex("00f067aa0ba902b7").unwrap()
    );
    assert!(span.parent_span_is_remote);
}

#[tokio::test]
async fn an_id_adopted_from_a_header_is_the_trace_id_too() {
    let otel = Otel::install();
    let app = routes().layer(DefenderErrorLayer::new().adopt(IdSource::x_request_id()));
    let client = "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d";
    let request = Request::get("/machines/1")
        .header("x-request-id", client)
        .body(Body::empty())
        .unwrap();
    let reply = send(&app, request).await;
    assert_eq!(reply.request_id(), client);
    let span = only_span(&otel);
    assert_eq!(span.span_context.trace_id(), trace_id_of(client));
}

#[tokio::test]
async fn with_make_request_span_the_trace_layer_span_has_the_tracking_id_as_trace_id() {
    let otel = Otel::install();
    let app = routes()
        .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new()))
        .layer(DefenderErrorLayer::new().without_span());

    let reply: Reply = send(&app, get_req("/machines/3")).await;
    let span = only_span(&otel);
    assert_eq!(
        span.span_context.trace_id(),
        trace_id_of(reply.request_id())
    );
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(
        attribute(&span, "http.route"),
        Some(&Value::from("/machines/{id}"))
    );
}

/// The documented tower-http set-up with the layer's defaults: neither the
/// client's `x-request-id` (kept by `SetRequestIdLayer`) nor its
/// `traceparent` decides the trace; with adoption configured, the adopted
/// id does.
#[tokio::test]
async fn the_span_never_joins_a_client_picked_trace_unless_adoption_is_configured() {
    use tower::Layer as _;
    use tower_http::request_id::{MakeRequestUuid, SetRequestIdLayer};

    let otel = Otel::install();
    let client = "6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d";
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let request = || {
        Request::get("/machines/1")
            .header("x-request-id", client)
            .header("traceparent", traceparent)
            .body(Body::empty())
            .unwrap()
    };
    let set_request_id = || {
        SetRequestIdLayer::new(
            http::HeaderName::from_static("x-request-id"),
            MakeRequestUuid,
        )
    };

    let own_span = set_request_id().layer(routes().layer(DefenderErrorLayer::new()));
    let trace_layer = set_request_id().layer(
        routes()
            .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new()))
            .layer(DefenderErrorLayer::new().without_span()),
    );
    let replies = [
        send(&own_span, request()).await,
        send(&trace_layer, request()).await,
    ];
    let mut spans = otel.take();
    assert_eq!(spans.len(), 2, "{spans:#?}");
    for reply in replies {
        let target = reply.request_id().to_owned();
        assert_ne!(target, client);
        let span = spans.remove(0);
        assert_eq!(span.span_context.trace_id(), trace_id_of(&target));
        assert_ne!(span.span_context.trace_id(), trace_id_of(client));
        assert_ne!(
            span.span_context.trace_id(),
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap()
        );
        assert_ne!(
            span.parent_span_id,
            SpanId::from_hex("00f067aa0ba902b7").unwrap()
        );
    }

    // Opted in: the adopted id is the trace.
    let app =
        set_request_id().layer(routes().layer(DefenderErrorLayer::new().adopt_request_id(true)));
    let reply = send(&app, request()).await;
    assert_eq!(reply.request_id(), client);
    assert_eq!(
        only_span(&otel).span_context.trace_id(),
        trace_id_of(client)
    );
}
