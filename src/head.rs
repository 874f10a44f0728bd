//! [`RequestHeadLayer`]: refuses a request whose head is ambiguous or over
//! the server's limits, before the inner service runs and before a byte of
//! the body is read.
//!
//! HTTP servers such as hyper parse a request head leniently: two
//! `Authorization` headers reach the service, which then reads the first
//! and ignores the second, while a gateway in front may have checked the
//! other one. This middleware refuses such requests with the envelope,
//! so the answer carries a tracking id when it sits inside
//! [`DefenderErrorLayer`](crate::DefenderErrorLayer). It checks, in order:
//!
//! | request | answer |
//! |---|---|
//! | more header fields than [`max_header_fields`](RequestHeadLayer::max_header_fields) (default 100) | 431 `RequestHeaderFieldsTooLarge` |
//! | header fields larger than [`max_header_bytes`](RequestHeadLayer::max_header_bytes) (default 16 KiB) | 431 `RequestHeaderFieldsTooLarge` |
//! | more than one `Authorization`, `Content-Type`, `Content-Length` or `Host` | 400 `BadRequest` |
//! | HTTP/1.1 without `Host`, or a `Host` that is not `host[:port]` | 400 `BadRequest` |
//! | a `Host` that differs from the request target's authority (HTTP/2 `:authority`, or an absolute-form target) | 400 `BadRequest` |
//! | HTTP/1.x `Transfer-Encoding` with a coding other than `chunked` | 501 `NotImplemented` |
//! | HTTP/1.x `chunked` applied more than once | 400 `BadRequest` |
//! | `Content-Length` over [`max_body_bytes`](RequestHeadLayer::max_body_bytes) (when set) | 413 `PayloadTooLarge` |
//!
//! A request that names its server twice, in `Host` and in the target's
//! authority (which is where hyper puts HTTP/2's `:authority` and the
//! authority of an HTTP/1.1 absolute-form target such as
//! `GET http://api.example/ HTTP/1.1`), must name the same one: a router or
//! gateway may have chosen by one and the service reads the other. The two
//! are compared without regard to case, a missing port standing for the
//! scheme's default (80 for `http`, 443 for `https`).
//!
//! The size of the header fields is counted as HTTP/2 counts a header list
//! (RFC 9113 §6.5.2): each field's name and value plus 32 bytes, whatever
//! the protocol, so the limit means the same over HTTP/1.1 and HTTP/2.
//!
//! The last check answers a request that announces a body over the limit
//! at once. A client that sent `Expect: 100-continue` therefore gets 413
//! instead of `100 Continue`: hyper sends `100 Continue` only when the body
//! is first read, and a refused request's body is never read.
//!
//! The limits here must be lower than the HTTP server's own (hyper's
//! `max_headers`, `max_buf_size` and HTTP/2 `max_header_list_size`):
//! a head over the server's limits is refused by the server itself, with
//! a bare status and no envelope.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use defender_errors::head::RequestHeadLayer;
//! use defender_errors::DefenderErrorLayer;
//! use http::{Request, Response, StatusCode};
//! use http_body_util::{BodyExt, Full};
//! use tower::{service_fn, ServiceBuilder, ServiceExt};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let service = ServiceBuilder::new()
//!     .layer(DefenderErrorLayer::new())
//!     .layer(RequestHeadLayer::new().max_body_bytes(1 << 20))
//!     .service(service_fn(|_: Request<Full<Bytes>>| async {
//!         Ok::<_, std::convert::Infallible>(Response::new(Full::from("ok")))
//!     }));
//!
//! let request = Request::get("/api/machines")
//!     .header("host", "api.example")
//!     .header("authorization", "Bearer reader")
//!     .header("authorization", "Bearer admin")
//!     .body(Full::default())
//!     .unwrap();
//! let response = service.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), StatusCode::BAD_REQUEST);
//! let id = response.headers()["x-ms-request-id"].to_str().unwrap().to_owned();
//! let body = response.into_body().collect().await.unwrap().to_bytes();
//! assert_eq!(
//!     body,
//!     format!(
//!         r#"{{"error":{{"code":"BadRequest","message":"The request has more than one Authorization header.","target":"{id}"}}}}"#
//!     )
//! );
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{
    HeaderName, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST, TRANSFER_ENCODING,
};
use http::uri::{Authority, Scheme};
use http::{HeaderMap, Request, Response, Uri, Version};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::{echo, ApiError, ErrorCode};

/// The headers a request may carry at most once.
const SINGLETONS: [(HeaderName, &str); 4] = [
    (AUTHORIZATION, "Authorization"),
    (CONTENT_TYPE, "Content-Type"),
    (CONTENT_LENGTH, "Content-Length"),
    (HOST, "Host"),
];

/// What a header field adds to the size of a header list besides its name
/// and value (RFC 9113 §6.5.2).
const FIELD_OVERHEAD: usize = 32;

/// The limits a request head is checked against.
#[derive(Debug, Clone, Copy)]
struct Limits {
    max_header_fields: usize,
    max_header_bytes: usize,
    max_body_bytes: Option<u64>,
}

/// Applies [`RequestHead`] to a service: refuses ambiguous request heads
/// and heads over the limits with an envelope.
///
/// See the [module docs](self) for the checks and an example.
#[derive(Debug, Clone, Copy)]
pub struct RequestHeadLayer {
    limits: Limits,
}

impl RequestHeadLayer {
    /// The checks with their defaults: at most 100 header fields of at
    /// most 16 KiB together, and no body limit.
    pub const fn new() -> Self {
        RequestHeadLayer {
            limits: Limits {
                max_header_fields: 100,
                max_header_bytes: 16 * 1024,
                max_body_bytes: None,
            },
        }
    }

    /// At most `fields` header fields (lines, over HTTP/1.1); more are 431.
    pub const fn max_header_fields(mut self, fields: usize) -> Self {
        self.limits.max_header_fields = fields;
        self
    }

    /// At most `bytes` of header fields, each counted as its name, its
    /// value and 32 bytes; more is 431.
    pub const fn max_header_bytes(mut self, bytes: usize) -> Self {
        self.limits.max_header_bytes = bytes;
        self
    }

    /// A `Content-Length` over `bytes` is 413 at once, without reading the
    /// body (and without `100 Continue`). Set it to the body limit the
    /// service enforces when it reads the body.
    pub const fn max_body_bytes(mut self, bytes: u64) -> Self {
        self.limits.max_body_bytes = Some(bytes);
        self
    }
}

impl Default for RequestHeadLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for RequestHeadLayer {
    type Service = RequestHead<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestHead {
            inner,
            limits: self.limits,
        }
    }
}

/// Middleware that refuses ambiguous request heads and heads over the
/// limits with an envelope.
///
/// See the [module docs](self) for the checks and an example.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<S> {
    inner: S,
    limits: Limits,
}

impl<S> RequestHead<S> {
    /// Wraps `inner` with the default checks of [`RequestHeadLayer::new`].
    pub const fn new(inner: S) -> Self {
        RequestHead {
            inner,
            limits: RequestHeadLayer::new().limits,
        }
    }

    /// A [`RequestHeadLayer`] with the default checks.
    pub const fn layer() -> RequestHeadLayer {
        RequestHeadLayer::new()
    }

    inner_service_accessors!();
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequestHead<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<Bytes>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        match check(
            &self.limits,
            request.version(),
            request.uri(),
            request.headers(),
        ) {
            Ok(()) => ResponseFuture {
                kind: Kind::Inner {
                    future: self.inner.call(request),
                },
            },
            Err(error) => ResponseFuture {
                kind: Kind::Refused { error: Some(error) },
            },
        }
    }
}

pin_project! {
    /// The response future of [`RequestHead`].
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] future: F },
        Refused { error: Option<ApiError> },
    }
}

impl<F, ResBody, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
    ResBody: From<Bytes>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future } => future.poll(cx),
            KindProj::Refused { error } => {
                let error = error.take().expect("future polled after completion");
                // A complete envelope with a fresh id; a `DefenderErrorLayer`
                // in front finds the error in the response's extensions and
                // writes it again with the request's id as `target`.
                Poll::Ready(Ok(error.into_http_response()))
            }
        }
    }
}

/// The first problem of the request head, if any.
fn check(
    limits: &Limits,
    version: Version,
    uri: &Uri,
    headers: &HeaderMap,
) -> Result<(), ApiError> {
    check_size(limits, headers)?;
    for (name, spelling) in &SINGLETONS {
        if headers.get_all(name).iter().nth(1).is_some() {
            return Err(ApiError::bad_request(format!(
                "The request has more than one {spelling} header."
            )));
        }
    }
    check_host(version, uri, headers)?;
    if version <= Version::HTTP_11 {
        // Over HTTP/2 and later, the protocol frames the body and forbids
        // `Transfer-Encoding`.
        check_transfer_encoding(headers)?;
    }
    check_length(limits, headers)
}

fn check_size(limits: &Limits, headers: &HeaderMap) -> Result<(), ApiError> {
    let fields = headers.len();
    if fields > limits.max_header_fields {
        return Err(ApiError::new(
            ErrorCode::RequestHeaderFieldsTooLarge,
            format!(
                "The request header fields are too large. Received: {fields} fields, allowed: {}.",
                limits.max_header_fields
            ),
        ));
    }
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + FIELD_OVERHEAD)
        .sum();
    if bytes > limits.max_header_bytes {
        return Err(ApiError::new(
            ErrorCode::RequestHeaderFieldsTooLarge,
            format!(
                "The request header fields are too large. Received: {bytes} bytes, allowed: {}.",
                limits.max_header_bytes
            ),
        ));
    }
    Ok(())
}

/// RFC 9112 §3.2: an HTTP/1.1 request has exactly one `Host`, and its value
/// is `uri-host [":" port]` (empty when the target has no authority); when
/// the target has an authority (HTTP/2 `:authority`, an absolute-form
/// target), `Host` names the same server.
fn check_host(version: Version, uri: &Uri, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(host) = headers.get(HOST) else {
        if version == Version::HTTP_11 {
            return Err(ApiError::bad_request(
                "The request has no Host header; HTTP/1.1 requires one.",
            ));
        }
        return Ok(());
    };
    let bytes = host.as_bytes();
    let parsed = if bytes.is_empty() || bytes.contains(&b'@') {
        None
    } else {
        Authority::try_from(bytes).ok().filter(valid_port)
    };
    if parsed.is_none() && !bytes.is_empty() {
        return Err(ApiError::bad_request(format!(
            "The Host header {} is invalid.",
            echo(&String::from_utf8_lossy(bytes))
        )));
    }
    let Some(target) = uri.authority() else {
        return Ok(());
    };
    let default_port = match uri.scheme() {
        Some(scheme) if *scheme == Scheme::HTTPS => Some(443),
        Some(scheme) if *scheme == Scheme::HTTP => Some(80),
        _ => None,
    };
    let same = parsed.is_some_and(|host| {
        host.host().eq_ignore_ascii_case(target.host())
            && host.port_u16().or(default_port) == target.port_u16().or(default_port)
    });
    if same {
        return Ok(());
    }
    // The target's host and port only: its user information, if any, is
    // not repeated.
    let named = match target.port() {
        Some(port) => format!("{}:{}", target.host(), port),
        None => target.host().to_owned(),
    };
    Err(ApiError::bad_request(if bytes.is_empty() {
        format!(
            "The Host header is empty, but the request target's authority is {}.",
            echo(&named)
        )
    } else {
        format!(
            "The Host header {} differs from the request target's authority {}.",
            echo(&String::from_utf8_lossy(bytes)),
            echo(&named)
        )
    }))
}

/// A port, when there is a colon after the host, is a number up to 65535.
fn valid_port(authority: &Authority) -> bool {
    let host_part = authority
        .as_str()
        .rsplit_once(']')
        .map_or(authority.as_str(), |(_, rest)| rest);
    match host_part.rsplit_once(':') {
        None => true,
        Some((_, port)) => port.is_empty() || port.parse::<u16>().is_ok(),
    }
}

/// RFC 9112 §6.1: a server that receives a transfer coding it does not
/// understand answers 501; `chunked` may be applied once only.
fn check_transfer_encoding(headers: &HeaderMap) -> Result<(), ApiError> {
    let mut chunked = 0;
    for value in headers.get_all(TRANSFER_ENCODING) {
        let text = String::from_utf8_lossy(value.as_bytes());
        for coding in text.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if coding.eq_ignore_ascii_case("chunked") {
                chunked += 1;
            } else {
                return Err(ApiError::new(
                    ErrorCode::NotImplemented,
                    format!(
                        "The request uses a transfer coding the server does not implement: {}. Only chunked is supported.",
                        echo(coding)
                    ),
                ));
            }
        }
    }
    if chunked > 1 {
        return Err(ApiError::bad_request(
            "The request applies the chunked transfer coding more than once.",
        ));
    }
    Ok(())
}

/// One `Content-Length` value, and not over the body limit.
fn check_length(limits: &Limits, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(CONTENT_LENGTH) else {
        return Ok(());
    };
    if value.as_bytes().contains(&b',') {
        return Err(ApiError::bad_request(
            "The request has more than one Content-Length value.",
        ));
    }
    let declared = std::str::from_utf8(value.as_bytes())
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let Some(declared) = declared else {
        return Err(ApiError::bad_request(
            "The request's Content-Length is not a number.",
        ));
    };
    match limits.max_body_bytes {
        Some(max) if declared > max => Err(ApiError::from_code(ErrorCode::PayloadTooLarge)
            .with_cause(format!(
                "Content-Length {declared} is over the body limit of {max} bytes"
            ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http::{Request, Response, StatusCode, Version};
    use http_body_util::{BodyExt, Full};
    use tower::{service_fn, ServiceBuilder, ServiceExt};

    use super::*;
    use crate::DefenderErrorLayer;

    /// The checks behind the layer, in front of a service that answers 200
    /// "reached".
    async fn send(request: Request<Full<Bytes>>) -> (StatusCode, String) {
        let service = ServiceBuilder::new()
            .layer(DefenderErrorLayer::new())
            .layer(
                RequestHeadLayer::new()
                    .max_header_fields(10)
                    .max_header_bytes(1000)
                    .max_body_bytes(100),
            )
            .service(service_fn(|_: Request<Full<Bytes>>| async {
                Ok::<_, Infallible>(Response::new(Full::from("reached")))
            }));
        let response = service.oneshot(request).await.unwrap();
        let status = response.status();
        let id = response
            .headers()
            .get("x-ms-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8(body.to_vec()).unwrap();
        // Every refusal is the envelope with the request's id as target.
        (status, body.replace(&id, "<id>"))
    }

    fn request() -> http::request::Builder {
        Request::post("/api/indicators").header("host", "api.example:8080")
    }

    fn envelope(code: &str, message: &str) -> String {
        format!(r#"{{"error":{{"code":"{code}","message":"{message}","target":"<id>"}}}}"#)
    }

    #[tokio::test]
    async fn a_sound_head_reaches_the_service() {
        let sound = request()
            .header("authorization", "Bearer a")
            .header("content-type", "application/json")
            .header("content-length", "100")
            .header("transfer-encoding", "Chunked")
            .header("accept", "application/json")
            .header("accept", "text/plain")
            .body(Full::default())
            .unwrap();
        assert_eq!(send(sound).await, (StatusCode::OK, "reached".to_owned()));
        // HTTP/1.0 needs no Host; HTTP/2 carries it as :authority.
        for version in [Version::HTTP_10, Version::HTTP_2] {
            let request = Request::get("/")
                .version(version)
                .body(Full::default())
                .unwrap();
            assert_eq!(send(request).await.0, StatusCode::OK, "{version:?}");
        }
        // An empty Host is what a target without authority sends.
        let request = Request::get("/").header("host", "").body(Full::default());
        assert_eq!(send(request.unwrap()).await.0, StatusCode::OK);
        for host in [
            "[::1]:80",
            "10.0.0.1",
            "xn--bcher-kva.example",
            "a.example:",
        ] {
            let request = Request::get("/").header("host", host).body(Full::default());
            assert_eq!(send(request.unwrap()).await.0, StatusCode::OK, "{host}");
        }
    }

    #[tokio::test]
    async fn singleton_headers_sent_twice_are_bad_requests() {
        for (name, spelling) in [
            ("authorization", "Authorization"),
            ("Content-Type", "Content-Type"),
            ("content-length", "Content-Length"),
            ("host", "Host"),
        ] {
            let request = request()
                .header(name, "1")
                .header(name, "1")
                .body(Full::default())
                .unwrap();
            assert_eq!(
                send(request).await,
                (
                    StatusCode::BAD_REQUEST,
                    envelope(
                        "BadRequest",
                        &format!("The request has more than one {spelling} header.")
                    )
                ),
                "{name}"
            );
        }
        let request = request()
            .header("content-length", "5, 5")
            .body(Full::default());
        assert_eq!(
            send(request.unwrap()).await,
            (
                StatusCode::BAD_REQUEST,
                envelope(
                    "BadRequest",
                    "The request has more than one Content-Length value."
                )
            )
        );
    }

    #[tokio::test]
    async fn http11_needs_one_valid_host() {
        let request = Request::get("/").body(Full::default()).unwrap();
        assert_eq!(
            send(request).await,
            (
                StatusCode::BAD_REQUEST,
                envelope(
                    "BadRequest",
                    "The request has no Host header; HTTP/1.1 requires one."
                )
            )
        );
        for host in [
            "a b",
            "user@api.example",
            "api.example:http",
            "api.example:70000",
            "a/b",
        ] {
            let request = Request::get("/").header("host", host).body(Full::default());
            assert_eq!(
                send(request.unwrap()).await,
                (
                    StatusCode::BAD_REQUEST,
                    envelope("BadRequest", &format!("The Host header {host} is invalid."))
                ),
                "{host}"
            );
        }
    }

    #[tokio::test]
    async fn a_host_must_name_the_targets_authority() {
        // HTTP/2: hyper puts `:authority` in the URI; an absolute-form
        // HTTP/1.1 target has one too.
        for version in [Version::HTTP_2, Version::HTTP_11] {
            for (uri, host) in [
                ("https://api.example/machines", "api.example"),
                ("https://API.Example/machines", "api.example:443"),
                ("http://api.example:80/machines", "Api.Example"),
                ("http://api.example:8080/machines", "api.example:8080"),
                ("http://user@api.example/machines", "api.example"),
            ] {
                let request = Request::get(uri)
                    .version(version)
                    .header("host", host)
                    .body(Full::default());
                assert_eq!(
                    send(request.unwrap()).await,
                    (StatusCode::OK, "reached".to_owned()),
                    "{version:?} {uri} {host}"
                );
            }
            for (uri, host, named) in [
                (
                    "https://api.example/machines",
                    "admin.example",
                    "api.example",
                ),
                (
                    "https://api.example/machines",
                    "api.example:8443",
                    "api.example",
                ),
                (
                    "http://api.example:8080/",
                    "api.example",
                    "api.example:8080",
                ),
                ("http://user@api.example/", "evil.example", "api.example"),
            ] {
                let request = Request::get(uri)
                    .version(version)
                    .header("host", host)
                    .body(Full::default());
                assert_eq!(
                    send(request.unwrap()).await,
                    (
                        StatusCode::BAD_REQUEST,
                        envelope(
                            "BadRequest",
                            &format!(
                                "The Host header {host} differs from the request target's authority {named}."
                            )
                        )
                    ),
                    "{version:?} {uri} {host}"
                );
            }
            let request = Request::get("https://api.example/")
                .version(version)
                .header("host", "")
                .body(Full::default());
            assert_eq!(
                send(request.unwrap()).await,
                (
                    StatusCode::BAD_REQUEST,
                    envelope(
                        "BadRequest",
                        "The Host header is empty, but the request target's authority is api.example."
                    )
                )
            );
        }
        // HTTP/2 without `Host`: `:authority` alone names the server.
        let request = Request::get("https://api.example/")
            .version(Version::HTTP_2)
            .body(Full::default());
        assert_eq!(send(request.unwrap()).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn transfer_codings_other_than_chunked_are_not_implemented() {
        for (value, coding) in [("gzip, chunked", "gzip"), ("chunked, x-custom", "x-custom")] {
            let request = request()
                .header("transfer-encoding", value)
                .body(Full::default());
            assert_eq!(
                send(request.unwrap()).await,
                (
                    StatusCode::NOT_IMPLEMENTED,
                    envelope(
                        "NotImplemented",
                        &format!("The request uses a transfer coding the server does not implement: {coding}. Only chunked is supported.")
                    )
                ),
                "{value}"
            );
        }
        let request = request()
            .header("transfer-encoding", "chunked")
            .header("transfer-encoding", "chunked")
            .body(Full::default());
        assert_eq!(
            send(request.unwrap()).await,
            (
                StatusCode::BAD_REQUEST,
                envelope(
                    "BadRequest",
                    "The request applies the chunked transfer coding more than once."
                )
            )
        );
    }

    #[tokio::test]
    async fn heads_over_the_limits_are_431() {
        let mut many = request();
        for n in 0..10 {
            many = many.header(format!("x-n{n}"), "1");
        }
        // Host and ten more: eleven fields.
        assert_eq!(
            send(many.body(Full::default()).unwrap()).await,
            (
                StatusCode::from_u16(431).unwrap(),
                envelope(
                    "RequestHeaderFieldsTooLarge",
                    "The request header fields are too large. Received: 11 fields, allowed: 10."
                )
            )
        );
        // host (4 + 16 + 32) and x-big (5 + 896 + 32): 985 bytes pass...
        let fits = request().header("x-big", "a".repeat(896));
        assert_eq!(
            send(fits.body(Full::default()).unwrap()).await.0,
            StatusCode::OK
        );
        // ...and 16 more bytes do not.
        let over = request().header("x-big", "a".repeat(912));
        assert_eq!(
            send(over.body(Full::default()).unwrap()).await,
            (
                StatusCode::from_u16(431).unwrap(),
                envelope(
                    "RequestHeaderFieldsTooLarge",
                    "The request header fields are too large. Received: 1001 bytes, allowed: 1000."
                )
            )
        );
    }

    #[tokio::test]
    async fn a_declared_body_over_the_limit_is_413_at_once() {
        let request = request()
            .header("expect", "100-continue")
            .header("content-length", "101")
            .body(Full::default());
        assert_eq!(
            send(request.unwrap()).await,
            (
                StatusCode::PAYLOAD_TOO_LARGE,
                envelope("PayloadTooLarge", "The request body is too large.")
            )
        );
    }
}
