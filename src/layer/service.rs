use std::convert::Infallible;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::BoxError;
use tower_service::Service;
use tracing::Level;

use super::future::{Failure, RequestContext, ResponseFuture};
use super::layer::Config;
use super::{DefenderErrorLayer, ResponseBody};
use crate::tracking::{self, MakeTrackingId, MakeUuidV4};

/// The service [`DefenderErrorLayer`] wraps around an inner service. See the
/// [module docs](crate::layer).
pub struct DefenderError<S, M = MakeUuidV4> {
    inner: S,
    make_id: M,
    config: Arc<Config>,
    /// An error the inner service reported from `poll_ready`, answered by
    /// the next call.
    not_ready: Option<BoxError>,
}

impl<S, M> DefenderError<S, M> {
    pub(crate) fn new(inner: S, make_id: M, config: Arc<Config>) -> Self {
        DefenderError {
            inner,
            make_id,
            config,
            not_ready: None,
        }
    }

    /// The layer with the documented defaults
    /// ([`DefenderErrorLayer::new`]).
    pub fn layer() -> DefenderErrorLayer {
        DefenderErrorLayer::new()
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, M: Clone> Clone for DefenderError<S, M> {
    fn clone(&self) -> Self {
        DefenderError {
            inner: self.inner.clone(),
            make_id: self.make_id.clone(),
            config: self.config.clone(),
            not_ready: None,
        }
    }
}

impl<S: fmt::Debug, M: fmt::Debug> fmt::Debug for DefenderError<S, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefenderError")
            .field("inner", &self.inner)
            .field("make_id", &self.make_id)
            .field("config", &self.config)
            .finish()
    }
}

impl<S, M, ReqBody, ResBody> Service<Request<ReqBody>> for DefenderError<S, M>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Error: Into<BoxError>,
    M: MakeTrackingId,
    ResBody: http_body::Body,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = Infallible;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        if self.not_ready.is_some() {
            return Poll::Ready(Ok(()));
        }
        match self.inner.poll_ready(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(error)) => {
                // The error becomes the next call's response: the layer's
                // service never fails.
                self.not_ready = Some(error.into());
                Poll::Ready(Ok(()))
            }
        }
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let id = self
            .config
            .adopt
            .iter()
            .find_map(|source| source.read(req.headers()))
            .unwrap_or_else(|| self.make_id.make_tracking_id(&req));
        req.extensions_mut().insert(id);

        // The id's text, made once: the span's `target` and the header both
        // use it.
        let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let text: &str = id.as_uuid().hyphenated().encode_lower(&mut text);
        let span = request_span(self.config.span_level, text, &req);
        let config = &*self.config;
        let request = RequestContext {
            id,
            id_header: config
                .header
                .as_ref()
                .map(|name| (name.clone(), tracking::header_value(text))),
            head: req.method() == http::Method::HEAD,
            rewrite_plain: config.rewrite_plain,
            overload_retry_after: config.overload_retry_after,
        };

        if let Some(error) = self.not_ready.take() {
            return ResponseFuture::failed(Failure::Error(error), span, request);
        }
        let called = {
            let _entered = span.enter();
            catch_unwind(AssertUnwindSafe(|| self.inner.call(req)))
        };
        match called {
            Ok(future) => ResponseFuture::new(future, span, request),
            Err(payload) => ResponseFuture::failed(Failure::Panic(payload), span, request),
        }
    }
}

/// The request's span. The level is a setting, but a callsite's level is
/// fixed, so there is one callsite per level.
fn request_span<B>(level: Level, target: &str, req: &Request<B>) -> tracing::Span {
    macro_rules! span_at {
        ($level:expr) => {
            tracing::span!(
                $level,
                "request",
                target = %target,
                method = %req.method(),
                path = req.uri().path(),
            )
        };
    }
    match level {
        Level::ERROR => span_at!(Level::ERROR),
        Level::WARN => span_at!(Level::WARN),
        Level::INFO => span_at!(Level::INFO),
        Level::DEBUG => span_at!(Level::DEBUG),
        Level::TRACE => span_at!(Level::TRACE),
    }
}
