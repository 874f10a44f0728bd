use std::any::Any;
use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Buf;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::response::Parts;
use http::{Response, StatusCode};
use http_body::Body;
use pin_project_lite::pin_project;
use tower::BoxError;
use tracing::Level;

use super::plain::{self, plain_error};
use super::{Passthrough, ResponseBody};
use crate::error::Rendered;
use crate::tracking::{TrackingId, CLIENT_REQUEST_ID_HEADER};
use crate::{ApiError, ErrorCode};

pin_project! {
    /// The response future of [`DefenderError`](super::DefenderError).
    pub struct ResponseFuture<F, B> {
        #[pin]
        kind: Kind<F, B>,
        span: tracing::Span,
        request: RequestContext,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B> {
        Inner { #[pin] future: F },
        Failed { failure: Option<Failure> },
        // A plain error response whose text is read, at most
        // `plain::MAX_TEXT_BYTES` of it and only what is ready.
        Reading { #[pin] body: B, parts: Option<Parts>, text: Option<Vec<u8>> },
    }
}

/// What the layer knows of the request when the response comes back.
///
/// It holds copies of the few settings the response needs rather than the
/// layer's shared configuration, so a request costs no reference-count
/// traffic on a value every request of every thread shares.
pub(crate) struct RequestContext {
    pub(crate) id: TrackingId,
    /// The id header, made when the request came in; taken when the
    /// response gets it.
    pub(crate) id_header: Option<(HeaderName, HeaderValue)>,
    /// The client's well-formed `x-ms-client-request-id`, echoed on the
    /// response and logged with an error.
    pub(crate) client_request_id: Option<HeaderValue>,
    pub(crate) client_error_level: tracing::Level,
    pub(crate) head: bool,
    pub(crate) rewrite_plain: bool,
    pub(crate) overload_retry_after: u64,
}

/// A failure that produced no response.
pub(crate) enum Failure {
    Error(BoxError),
    Panic(Box<dyn Any + Send>),
}

impl<F, B> ResponseFuture<F, B> {
    pub(crate) fn new(future: F, span: tracing::Span, request: RequestContext) -> Self {
        ResponseFuture {
            kind: Kind::Inner { future },
            span,
            request,
        }
    }

    pub(crate) fn failed(failure: Failure, span: tracing::Span, request: RequestContext) -> Self {
        ResponseFuture {
            kind: Kind::Failed {
                failure: Some(failure),
            },
            span,
            request,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
    B: Body,
{
    type Output = Result<Response<ResponseBody<B>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let _entered = this.span.enter();
        let request = this.request;
        loop {
            let response = match this.kind.as_mut().project() {
                KindProj::Inner { future } => {
                    match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
                        Ok(Poll::Pending) => return Poll::Pending,
                        Ok(Poll::Ready(Ok(response))) => match finish(response, request) {
                            Finished::Response(response) => response,
                            Finished::ReadText(parts, body) => {
                                this.kind.set(Kind::Reading {
                                    body,
                                    parts: Some(parts),
                                    text: Some(Vec::new()),
                                });
                                continue;
                            }
                        },
                        Ok(Poll::Ready(Err(error))) => fail(Failure::Error(error.into()), request),
                        Err(payload) => fail(Failure::Panic(payload), request),
                    }
                }
                KindProj::Failed { failure } => fail(
                    failure.take().expect("future polled after completion"),
                    request,
                ),
                KindProj::Reading { body, parts, text } => {
                    read_text(body, text, cx);
                    let parts = parts.take().expect("future polled after completion");
                    let text = text.as_deref().and_then(plain::text_of);
                    rewrite_plain(parts, text, request)
                }
            };
            #[cfg(feature = "opentelemetry")]
            crate::otel::record_response(this.span, response.status());
            return Poll::Ready(Ok(response));
        }
    }
}

/// Reads the start of a plain body into `text`, up to
/// [`plain::MAX_TEXT_BYTES`]; a body that fails (or panics) leaves `None`.
///
/// Only frames the body has ready are read: a body that is not complete
/// (or not past the limit) when it first has nothing ready also leaves
/// `None`, so the response gets its code's own message at once. The read
/// is bounded in time as well as in size: a handler's body that trickles
/// (a few bytes, then nothing) cannot hold the response head, and no timer
/// is needed.
fn read_text<B: Body>(mut body: Pin<&mut B>, text: &mut Option<Vec<u8>>, cx: &mut Context<'_>) {
    while let Some(buffer) = text.as_mut().filter(|t| t.len() < plain::MAX_TEXT_BYTES) {
        let frame = match catch_unwind(AssertUnwindSafe(|| body.as_mut().poll_frame(cx))) {
            Ok(Poll::Pending) => {
                *text = None;
                break;
            }
            Ok(Poll::Ready(None)) => break,
            Ok(Poll::Ready(Some(Ok(frame)))) => frame,
            Ok(Poll::Ready(Some(Err(_)))) | Err(_) => {
                *text = None;
                break;
            }
        };
        if let Ok(mut data) = frame.into_data() {
            while data.has_remaining() && buffer.len() < plain::MAX_TEXT_BYTES {
                let chunk = data.chunk();
                let take = chunk.len().min(plain::MAX_TEXT_BYTES - buffer.len());
                buffer.extend_from_slice(&chunk[..take]);
                data.advance(take);
            }
        }
    }
}

/// What [`finish`] did with a response.
enum Finished<B> {
    Response(Response<ResponseBody<B>>),
    /// A plain `text/plain` error response: its text is read first.
    ReadText(Parts, B),
}

/// Passes a response on: successes untouched, error responses as envelopes.
fn finish<B: Body>(mut response: Response<B>, request: &mut RequestContext) -> Finished<B> {
    if response.status().as_u16() < 400 {
        set_id_header(response.headers_mut(), request);
        return Finished::Response(response.map(ResponseBody::inner));
    }

    let (mut parts, body) = response.into_parts();
    let body = if let Some(Rendered(error)) = parts.extensions.remove::<Rendered>() {
        // One of ours: its headers are written, but only this layer knows
        // the request's id, so the envelope is rendered here, with it. The
        // body is dropped unread (`IntoResponse`'s renders nothing then).
        drop(body);
        parts.status = error.status();
        log(&error, parts.status, request);
        envelope_body(&error, request)
    } else if !request.rewrite_plain || parts.extensions.get::<Passthrough>().is_some() {
        let error = ApiError::from_code(ErrorCode::from_status(parts.status));
        log(&error, parts.status, request);
        ResponseBody::inner(body)
    } else if plain::is_text(&parts.headers) && !body.is_end_stream() {
        return Finished::ReadText(parts, body);
    } else {
        drop(body);
        return Finished::Response(rewrite_plain(parts, None, request));
    };
    set_id_header(&mut parts.headers, request);
    Finished::Response(Response::from_parts(parts, body))
}

/// The envelope that replaces a plain error response; `text` is the start
/// of its body when that is `text/plain`.
fn rewrite_plain<B>(
    mut parts: Parts,
    text: Option<&str>,
    request: &mut RequestContext,
) -> Response<ResponseBody<B>> {
    let error = plain_error(parts.status, &parts.headers, text);
    if parts.status == StatusCode::UNPROCESSABLE_ENTITY {
        parts.status = StatusCode::BAD_REQUEST;
    } else if parts.status.as_u16() >= 600 {
        // Not a status of HTTP: send the code's own.
        parts.status = error.status();
    }
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::CONTENT_RANGE,
        header::TRANSFER_ENCODING,
    ] {
        parts.headers.remove(name);
    }
    // The handler's `Retry-After` stays as it was sent (an HTTP date
    // included); the envelope adds `retry-after-ms` computed from it.
    let retry_after = error
        .retry_after()
        .and_then(|_| parts.headers.remove(header::RETRY_AFTER));
    error.write_headers(&mut parts.headers);
    if let Some(value) = retry_after {
        parts.headers.insert(header::RETRY_AFTER, value);
    }
    log(&error, parts.status, request);
    let body = envelope_body(&error, request);
    set_id_header(&mut parts.headers, request);
    Response::from_parts(parts, body)
}

/// The envelope for a failure that produced no response.
fn fail<B>(failure: Failure, request: &mut RequestContext) -> Response<ResponseBody<B>> {
    let error = match failure {
        Failure::Error(error) => classify(error, request.overload_retry_after),
        Failure::Panic(payload) => ApiError::internal(Panicked(panic_text(payload.as_ref()))),
    };
    let mut response = Response::new(envelope_body(&error, request));
    *response.status_mut() = error.status();
    error.write_headers(response.headers_mut());
    set_id_header(response.headers_mut(), request);
    log(&error, error.status(), request);
    response
}

/// The error of an inner service, as the code it stands for. The error's
/// whole source chain is searched, so a timeout wrapped by a buffer is
/// still a timeout.
fn classify(error: BoxError, overload_retry_after: u64) -> ApiError {
    let mut next: Option<&(dyn StdError + 'static)> = Some(error.as_ref());
    while let Some(e) = next {
        if e.is::<tower::timeout::error::Elapsed>() {
            return ApiError::from_code(ErrorCode::GatewayTimeout).with_cause(error);
        }
        if e.is::<tower::load_shed::error::Overloaded>() {
            return ApiError::service_unavailable(overload_retry_after).with_cause(error);
        }
        next = e.source();
    }
    ApiError::internal(error)
}

fn envelope_body<B>(error: &ApiError, request: &RequestContext) -> ResponseBody<B> {
    if request.head {
        return ResponseBody::empty();
    }
    // The id header, not yet on the response, already holds the id's text.
    let json = match &request.id_header {
        Some((_, text)) if text.len() == uuid::fmt::Hyphenated::LENGTH => {
            error.to_json_with_id_text(text.as_bytes())
        }
        _ => error.to_json(request.id),
    };
    ResponseBody::envelope(json)
}

fn set_id_header(headers: &mut HeaderMap, request: &mut RequestContext) {
    if let Some((name, value)) = request.id_header.take() {
        headers.insert(name, value);
    }
    if let Some(value) = request.client_request_id.take() {
        headers.insert(CLIENT_REQUEST_ID_HEADER, value);
    }
}

/// One `request rejected` event at a level chosen at run time (a
/// callsite's level is fixed).
macro_rules! rejected_at {
    ($level:expr, $code:expr, $status:expr, $id:expr, $crid:expr, $detail:expr) => {
        tracing::event!(
            $level,
            code = $code,
            status = $status,
            target = $id,
            client_request_id = $crid,
            detail = $detail,
            "request rejected"
        )
    };
}

/// The one event per error response: `ERROR` for a 5xx, the configured
/// level (`INFO` by default) for a 4xx.
fn log(error: &ApiError, status: StatusCode, request: &RequestContext) {
    let code = error.code().as_str();
    let status = status.as_u16();
    let id = tracing::field::display(request.id);
    let crid = request
        .client_request_id
        .as_ref()
        .and_then(|v| v.to_str().ok());
    if status >= 500 {
        let cause = error.log_cause();
        tracing::error!(
            code,
            status,
            target = id,
            client_request_id = crid,
            cause = cause.as_deref(),
            "request failed"
        );
    } else {
        let detail = error.message();
        match request.client_error_level {
            Level::ERROR => rejected_at!(Level::ERROR, code, status, id, crid, detail),
            Level::WARN => rejected_at!(Level::WARN, code, status, id, crid, detail),
            Level::INFO => rejected_at!(Level::INFO, code, status, id, crid, detail),
            Level::DEBUG => rejected_at!(Level::DEBUG, code, status, id, crid, detail),
            Level::TRACE => rejected_at!(Level::TRACE, code, status, id, crid, detail),
        }
    }
}

/// A panic, as the cause of an `InternalServerError`.
#[derive(Debug)]
struct Panicked(String);

impl fmt::Display for Panicked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "handler panicked: {}", self.0)
    }
}

impl StdError for Panicked {}

fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a payload that is not a string".to_owned()
    }
}
