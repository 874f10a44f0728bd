//! Logs and, when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, OpenTelemetry traces.
//!
//! Log lines go to stdout (text or JSON, filtered by `RUST_LOG`, default
//! `info`). With `OTEL_EXPORTER_OTLP_ENDPOINT` set (the standard variable,
//! e.g. `http://127.0.0.1:4318`), spans are also exported over OTLP/HTTP
//! (protobuf) to `{endpoint}/v1/traces`, as service `defender-api`; the
//! other standard `OTEL_*` variables of the SDK apply. The library's
//! `opentelemetry` feature then makes each request's trace id its tracking
//! id, so a `target` from an error envelope is the trace to open in Jaeger.
//! Without the variable nothing is exported.

use std::io::IsTerminal;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

/// The standard variable that turns the export on.
pub const ENDPOINT_VARIABLE: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Keeps the exporter running; dropping it flushes the spans not yet sent.
#[derive(Debug)]
#[must_use = "dropping it stops the export"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(error) = provider.shutdown() {
                eprintln!("OpenTelemetry shutdown: {error}");
            }
        }
    }
}

/// Installs the global subscriber: log lines (`json` or text; colour codes
/// only on a terminal) and, when [`ENDPOINT_VARIABLE`] is set, the OTLP
/// export.
pub fn init(json: bool) -> Telemetry {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(std::io::stdout);
    let logs = if json {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed()
    } else {
        logs.boxed()
    };
    let provider = std::env::var_os(ENDPOINT_VARIABLE)
        .filter(|v| !v.is_empty())
        .and_then(|_| match otlp_provider() {
            Ok(provider) => Some(provider),
            Err(error) => {
                eprintln!("OpenTelemetry export off: {error}");
                None
            }
        });
    let traces = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer().with_tracer(provider.tracer("defender-api"))
    });
    tracing_subscriber::registry()
        .with(filter)
        .with(logs)
        .with(traces)
        .init();
    Telemetry { provider }
}

/// A tracer provider exporting in batches over OTLP/HTTP to the endpoint
/// the standard variables name.
fn otlp_provider() -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    // The blocking HTTP client may not be made on an async runtime's
    // thread: build the exporter on a thread of its own.
    let exporter = std::thread::spawn(|| {
        opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
            .build()
    })
    .join()
    .expect("building the exporter does not panic")?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name("defender-api")
                .build(),
        )
        .build())
}
