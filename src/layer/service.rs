use std::convert::Infallible;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::BoxError;
use tower_service::Service;

use super::future::{Failure, RequestContext, ResponseFuture};
use super::layer::Config;
use super::{span, DefenderErrorLayer, ResponseBody};
use crate::tracking::{self, MakeTrackingId, MakeUuidV4};

/// The [`Service`] that [`DefenderErrorLayer`] wraps around an inner service
/// (named after its layer, as tower's `XxxLayer`/`Xxx` pairs are). It is not
/// an error type: the error a handler returns is
/// [`ApiError`](crate::ApiError). See the [module docs](crate::layer).
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

    inner_service_accessors!();
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
        let config = &*self.config;
        let adopted = config
            .adopt
            .iter()
            .find_map(|source| source.read(req.headers()));
        #[cfg(feature = "tower-http")]
        let adopted = adopted.or_else(|| {
            config
                .adopt_request_id
                .then(|| tracking::from_tower_request_id(&req))
                .flatten()
        });
        let made = adopted.is_none();
        let mut id = adopted.unwrap_or_else(|| self.make_id.make_tracking_id(&req));
        let client_request_id = tracking::client_request_id(req.headers()).cloned();
        let span = match config.span_level {
            Some(level) => {
                span::request_span(level, &mut id, made, client_request_id.as_ref(), &req)
            }
            None => tracing::Span::none(),
        };
        req.extensions_mut().insert(id);

        let request = RequestContext {
            id,
            id_header: config.header.as_ref().map(|name| {
                let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
                let text = id.as_uuid().hyphenated().encode_lower(&mut text);
                (name.clone(), tracking::header_value(text))
            }),
            client_request_id,
            client_error_level: config.client_error_level,
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
