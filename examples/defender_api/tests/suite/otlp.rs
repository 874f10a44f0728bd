//! With `OTEL_EXPORTER_OTLP_ENDPOINT` set, the server binary exports its
//! spans over OTLP/HTTP, and the span of a failed request has the
//! envelope's `target` as its trace id. The collector is a local hyper
//! server that keeps what it is sent.
#![cfg(unix)]

use crate::common;

use std::convert::Infallible;

use bytes::Bytes;
use common::{head, within, Raw, HANG};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use prost::Message;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

/// A collector on a free port: each export request's path and body.
async fn collector() -> (
    std::net::SocketAddr,
    mpsc::UnboundedReceiver<(String, Bytes)>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (sender, received) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let sender = sender.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let sender = sender.clone();
                    async move {
                        let path = req.uri().path().to_owned();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        let _ = sender.send((path, body));
                        Ok::<_, Infallible>(
                            http::Response::builder()
                                .header("content-type", "application/x-protobuf")
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (addr, received)
}

#[tokio::test]
async fn the_exported_span_of_a_failed_request_has_the_target_as_trace_id() {
    let (collector, mut exports) = collector().await;
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_defender_api"))
        .args(["--addr", "127.0.0.1:0", "--database", "sqlite::memory:"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}"))
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(server.stdout.take().unwrap());
    let mut line = String::new();
    within("the listening line", stdout.read_line(&mut line))
        .await
        .unwrap();
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .parse()
        .unwrap();
    // The rest of the log is not needed; keep the pipe from filling.
    tokio::spawn(async move {
        let mut sink = tokio::io::sink();
        let _ = tokio::io::copy(&mut stdout, &mut sink).await;
    });

    let mut raw = Raw::open(addr).await;
    raw.send(&head(
        "GET /api/machines/0000000000000000000000000000000000000000 HTTP/1.1",
        &["Host: localhost", "Authorization: Bearer demo-admin"],
    ))
    .await;
    let reply = raw.response().await;
    assert_eq!(reply.status, 404);
    let target = reply.json()["error"]["target"].as_str().unwrap().to_owned();
    drop(raw);

    // SIGTERM: the server stops, and dropping its telemetry flushes the
    // spans it has not sent yet.
    let pid = server.id().unwrap().to_string();
    assert!(std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = within("the server exiting", server.wait()).await.unwrap();
    assert!(status.success(), "exit status {status:?}");

    let trace_id = uuid::Uuid::parse_str(&target).unwrap().into_bytes();
    let deadline = tokio::time::Instant::now() + HANG;
    loop {
        let (path, body) = tokio::time::timeout_at(deadline, exports.recv())
            .await
            .expect("no export with the request's span")
            .expect("the collector runs");
        assert_eq!(path, "/v1/traces");
        let export = ExportTraceServiceRequest::decode(body).unwrap();
        let found = export
            .resource_spans
            .iter()
            .flat_map(|r| &r.scope_spans)
            .flat_map(|s| &s.spans)
            .find(|span| span.trace_id == trace_id);
        if let Some(span) = found {
            assert_eq!(span.kind, SpanKind::Server as i32);
            assert!(span.parent_span_id.is_empty(), "the root of its trace");
            let status = span
                .attributes
                .iter()
                .find(|kv| kv.key == "http.response.status_code")
                .and_then(|kv| kv.value.as_ref())
                .map(|v| format!("{:?}", v.value));
            assert_eq!(status.as_deref(), Some("Some(IntValue(404))"));
            let service = export.resource_spans[0]
                .resource
                .as_ref()
                .unwrap()
                .attributes
                .iter()
                .find(|kv| kv.key == "service.name")
                .and_then(|kv| kv.value.as_ref())
                .map(|v| format!("{:?}", v.value));
            assert_eq!(
                service.as_deref(),
                Some("Some(StringValue(\"defender-api\"))")
            );
            break;
        }
    }
}
