use std::sync::Arc;

use http::HeaderName;
use tower_layer::Layer;

use super::DefenderError;
use crate::tracking::{IdSource, MakeTrackingId, MakeUuidV4};

/// The tower [`Layer`] of this crate. See the [module docs](crate::layer).
///
/// [`DefenderErrorLayer::new`] gives the documented defaults:
///
/// | setting | default | builder |
/// |---|---|---|
/// | tracking id | random UUID v4 | [`make_tracking_id`](Self::make_tracking_id) |
/// | adopted from a request header | never | [`adopt`](Self::adopt) |
/// | response header | `x-ms-request-id` | [`request_id_header`](Self::request_id_header), [`without_request_id_header`](Self::without_request_id_header) |
/// | plain error responses | rewritten | [`rewrite_plain_errors`](Self::rewrite_plain_errors) |
/// | `Retry-After` of 503 overload | 1 second | [`overload_retry_after`](Self::overload_retry_after) |
/// | level of the `request` span | `INFO` | [`span_level`](Self::span_level) |
#[derive(Debug, Clone)]
pub struct DefenderErrorLayer<M = MakeUuidV4> {
    pub(crate) make_id: M,
    pub(crate) config: Arc<Config>,
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) header: Option<HeaderName>,
    pub(crate) adopt: Vec<IdSource>,
    pub(crate) rewrite_plain: bool,
    pub(crate) overload_retry_after: u64,
    pub(crate) span_level: tracing::Level,
}

impl DefenderErrorLayer {
    /// The layer with the documented defaults.
    pub fn new() -> Self {
        DefenderErrorLayer {
            make_id: MakeUuidV4,
            config: Arc::new(Config {
                header: Some(HeaderName::from_static("x-ms-request-id")),
                adopt: Vec::new(),
                rewrite_plain: true,
                overload_retry_after: 1,
                span_level: tracing::Level::INFO,
            }),
        }
    }
}

impl Default for DefenderErrorLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<M> DefenderErrorLayer<M> {
    /// Makes tracking ids with `make_id` instead.
    pub fn make_tracking_id<M2>(self, make_id: M2) -> DefenderErrorLayer<M2>
    where
        M2: MakeTrackingId,
    {
        DefenderErrorLayer {
            make_id,
            config: self.config,
        }
    }

    /// Adopts the id from `source` when the request carries a well-formed
    /// one. Sources are tried in the order they were added; a missing,
    /// repeated or malformed value is ignored (never echoed).
    ///
    /// ```
    /// use defender_errors::{DefenderErrorLayer, IdSource};
    ///
    /// let layer = DefenderErrorLayer::new()
    ///     .adopt(IdSource::x_ms_client_request_id())
    ///     .adopt(IdSource::TraceParent);
    /// ```
    pub fn adopt(mut self, source: IdSource) -> Self {
        Arc::make_mut(&mut self.config).adopt.push(source);
        self
    }

    /// Echoes the id in `name` instead of `x-ms-request-id`.
    pub fn request_id_header(mut self, name: HeaderName) -> Self {
        Arc::make_mut(&mut self.config).header = Some(name);
        self
    }

    /// Sends no id header (the id is still the envelope's `target`).
    pub fn without_request_id_header(mut self) -> Self {
        Arc::make_mut(&mut self.config).header = None;
        self
    }

    /// Whether error responses that are not [`ApiError`](crate::ApiError)s
    /// (axum's plain-text rejections, an unmatched route's 404, …) are
    /// rewritten into the envelope. On by default; when off they pass
    /// through unchanged but for the id header. Per response, see
    /// [`Passthrough`](crate::Passthrough).
    pub fn rewrite_plain_errors(mut self, rewrite: bool) -> Self {
        Arc::make_mut(&mut self.config).rewrite_plain = rewrite;
        self
    }

    /// The `Retry-After` seconds sent when an inner load shedder reports
    /// overload (503 `ServiceUnavailable`).
    pub fn overload_retry_after(mut self, seconds: u64) -> Self {
        Arc::make_mut(&mut self.config).overload_retry_after = seconds;
        self
    }

    /// The level of the `request` span (`INFO` by default) that carries
    /// `target`, `method` and `path` and inside which the inner service runs.
    ///
    /// The span is the layer's largest cost: a subscriber that formats
    /// fields, such as `tracing_subscriber::fmt`, formats all three when the
    /// span is created, whether or not anything is logged inside it. A level
    /// below the subscriber's (say `DEBUG` under an `INFO` filter) makes the
    /// span free, at the price of handler events no longer carrying `target`
    /// at that filter. Error events are logged with `target` either way.
    ///
    /// ```
    /// use defender_errors::DefenderErrorLayer;
    ///
    /// let layer = DefenderErrorLayer::new().span_level(tracing::Level::DEBUG);
    /// ```
    pub fn span_level(mut self, level: tracing::Level) -> Self {
        Arc::make_mut(&mut self.config).span_level = level;
        self
    }
}

impl<S, M: Clone> Layer<S> for DefenderErrorLayer<M> {
    type Service = DefenderError<S, M>;

    fn layer(&self, inner: S) -> Self::Service {
        DefenderError::new(inner, self.make_id.clone(), self.config.clone())
    }
}
