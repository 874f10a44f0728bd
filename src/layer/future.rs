use std::any::Any;
use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode};
use pin_project_lite::pin_project;
use tower::BoxError;
use tracing::Level;

use super::{Passthrough, ResponseBody};
use crate::error::Rendered;
use crate::tracking::{CurrentGuard, TrackingId, CLIENT_REQUEST_ID_HEADER};
use crate::{ApiError, ErrorCode};

pin_project! {
    /// The response future of [`DefenderError`](super::DefenderError).
    pub struct ResponseFuture<F> {
        #[pin]
        kind: Kind<F>,
        span: tracing::Span,
        request: RequestContext,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F> {
        Inner { #[pin] future: F },
        Failed { failure: Option<Failure> },
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

impl<F> ResponseFuture<F> {
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

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
    E: Into<BoxError>,
{
    type Output = Result<Response<ResponseBody<B>>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let request = this.request;
        let response = match this.kind.project() {
            KindProj::Inner { future } => {
                let polled = {
                    let _current = CurrentGuard::enter(request.id);
                    catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
                };
                match polled {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(Ok(response))) => finish(response, request),
                    Ok(Poll::Ready(Err(error))) => fail(Failure::Error(error.into()), request),
                    Err(payload) => fail(Failure::Panic(payload), request),
                }
            }
            KindProj::Failed { failure } => fail(
                failure.take().expect("future polled after completion"),
                request,
            ),
        };
        #[cfg(feature = "opentelemetry")]
        crate::otel::record_response(this.span, response.status());
        Poll::Ready(Ok(response))
    }
}

/// Passes a response on: successes untouched, error responses as envelopes.
fn finish<B>(mut response: Response<B>, request: &mut RequestContext) -> Response<ResponseBody<B>> {
    if response.status().as_u16() < 400 {
        set_id_header(response.headers_mut(), request);
        return response.map(ResponseBody::inner);
    }

    let (mut parts, body) = response.into_parts();
    let body = if let Some(Rendered { error, target }) = parts.extensions.remove::<Rendered>() {
        // One of ours: its headers are written; fix `target` if it was
        // rendered outside this request's poll.
        parts.status = error.status();
        log(&error, parts.status, request);
        if target == request.id && !request.head {
            ResponseBody::inner(body)
        } else {
            envelope_body(&error, request)
        }
    } else if !request.rewrite_plain || parts.extensions.get::<Passthrough>().is_some() {
        let error = ApiError::from_code(ErrorCode::from_status(parts.status));
        log(&error, parts.status, request);
        ResponseBody::inner(body)
    } else {
        drop(body);
        let error = plain_error(parts.status, &parts.headers);
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
        error.write_headers(&mut parts.headers);
        log(&error, parts.status, request);
        envelope_body(&error, request)
    };
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

/// The envelope of a plain error response with `status`.
fn plain_error(status: StatusCode, headers: &HeaderMap) -> ApiError {
    let code = ErrorCode::from_status(status);
    let retry_after = || {
        headers
            .get(header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()
    };
    match code {
        ErrorCode::TooManyRequests => retry_after()
            .map(ApiError::too_many_requests)
            .unwrap_or(ApiError::from_code(code)),
        ErrorCode::ServiceUnavailable => retry_after()
            .map(ApiError::service_unavailable)
            .unwrap_or(ApiError::from_code(code)),
        ErrorCode::InternalServerError => {
            ApiError::from_code(code).with_cause(format!("inner service responded {status}"))
        }
        _ => ApiError::from_code(code),
    }
}

fn envelope_body<B>(error: &ApiError, request: &RequestContext) -> ResponseBody<B> {
    if request.head {
        ResponseBody::empty()
    } else {
        ResponseBody::envelope(error.to_json(request.id))
    }
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
