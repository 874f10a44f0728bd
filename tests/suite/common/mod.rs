//! Helpers shared by the integration tests: send a request through a
//! service and read back status, headers and body; capture log output.
#![allow(dead_code, unreachable_pub)]

pub mod capture;

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::{Service, ServiceExt};

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// The `x-ms-request-id` header.
    pub fn request_id(&self) -> &str {
        self.header("x-ms-request-id")
    }

    /// Asserts that this is the envelope with `status`, `code` and
    /// `message`, that `target` equals the `x-ms-request-id` header, that
    /// `x-ms-error-code` equals `code`, and that the body is exactly the
    /// three members in order. Returns the target.
    pub fn assert_envelope(&self, status: u16, code: &str, message: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "status of {:?}", self.body);
        assert_eq!(
            self.header("content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(self.header("x-ms-error-code"), code);
        let target = self.request_id().to_owned();
        assert_uuid(&target);
        let expected =
            serde_json::json!({"error": {"code": code, "message": message, "target": target}});
        assert_eq!(
            std::str::from_utf8(&self.body).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "exact envelope"
        );
        target
    }
}

/// Asserts `s` is a lower-case hyphenated UUID.
pub fn assert_uuid(s: &str) {
    let parsed = uuid::Uuid::parse_str(s).unwrap_or_else(|_| panic!("not a UUID: {s}"));
    assert_eq!(parsed.hyphenated().to_string(), s, "lower-case hyphenated");
}

/// Sends `request` through a clone of `service` and collects the reply.
pub async fn send<S, B, ResBody>(service: &S, request: Request<B>) -> Reply
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone,
    S::Error: std::fmt::Debug,
    ResBody: http_body::Body,
    ResBody::Error: std::fmt::Debug,
{
    let response = service.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A GET request with an empty body.
pub fn get(uri: &str) -> Request<axum::body::Body> {
    Request::get(uri).body(axum::body::Body::empty()).unwrap()
}

/// A request with a JSON content type and `body`.
pub fn post_json(uri: &str, body: impl Into<axum::body::Body>) -> Request<axum::body::Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap()
}

/// A writer that keeps what the fmt subscriber writes.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The JSON lines written so far.
    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// A JSON-lines subscriber at TRACE writing here.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        capture::keep_callsite_interest_shared();
        let writer = self.clone();
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_current_span(true)
            .with_span_list(true)
            .with_writer(move || writer.clone())
            .finish()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
