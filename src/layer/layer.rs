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
/// | level of the `request` span | `INFO` | [`span_level`](Self::span_level), [`without_span`](Self::without_span) |
/// | level of the event for a 4xx | `INFO` (5xx: always `ERROR`) | [`client_error_level`](Self::client_error_level) |
/// | adopt tower-http's `RequestId` (a UUID) | never | [`adopt_request_id`](Self::adopt_request_id) (feature `tower-http`) |
///
/// # Adopting an id
///
/// Adopting means the caller decides the id: whoever sends the adopted
/// header chooses the `target` of the error responses, the
/// `x-ms-request-id` header, the `target` on every log line of the request
/// and, with the `opentelemetry` feature, the trace the request's span
/// joins. Adopt only from a source the service trusts, such as a gateway
/// that sets or overwrites the header on every request. A value sent more
/// than once is never adopted.
///
/// A client that wants to correlate its own requests with the server's
/// logs sends `x-ms-client-request-id`, the Azure way: the layer records a
/// well-formed value as `client_request_id` and echoes it on the response,
/// next to the id the layer made (see
/// [`CLIENT_REQUEST_ID_HEADER`](crate::CLIENT_REQUEST_ID_HEADER)), without
/// adopting it.
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
    /// `None`: the layer makes no span (see [`DefenderErrorLayer::without_span`]).
    pub(crate) span_level: Option<tracing::Level>,
    pub(crate) client_error_level: tracing::Level,
    #[cfg(feature = "tower-http")]
    pub(crate) adopt_request_id: bool,
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
                span_level: Some(tracing::Level::INFO),
                client_error_level: tracing::Level::INFO,
                #[cfg(feature = "tower-http")]
                adopt_request_id: false,
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
    /// Adopting lets the sender of the header decide the request's id (see
    /// [Adopting an id](Self#adopting-an-id)): configure it only for a
    /// header a trusted gateway sets.
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
        Arc::make_mut(&mut self.config).span_level = Some(level);
        self
    }

    /// Makes no span: for a service whose tower-http `TraceLayer`, placed
    /// inside this layer, makes the request's one span with
    /// [`MakeRequestSpan`](crate::trace::MakeRequestSpan).
    ///
    /// The layer still logs its one event per error response, with
    /// `target`, `code`, `status` (and `client_request_id` when the client
    /// sent a well-formed one) as the event's own fields.
    ///
    #[cfg_attr(all(feature = "axum", feature = "tower-http"), doc = "```")]
    #[cfg_attr(not(all(feature = "axum", feature = "tower-http")), doc = "```ignore")]
    /// use axum::{routing::get, Router};
    /// use defender_errors::{trace::MakeRequestSpan, DefenderErrorLayer};
    /// use tower_http::trace::TraceLayer;
    ///
    /// let app: Router = Router::new()
    ///     .route("/", get(|| async { "ok" }))
    ///     .layer(TraceLayer::new_for_http().make_span_with(MakeRequestSpan::new()))
    ///     .layer(DefenderErrorLayer::new().without_span());
    /// ```
    pub fn without_span(mut self) -> Self {
        Arc::make_mut(&mut self.config).span_level = None;
        self
    }

    /// The level of the one event the layer logs for a 4xx response
    /// (`INFO` by default; many services want `DEBUG`). A 5xx is always
    /// logged at `ERROR`.
    ///
    /// ```
    /// use defender_errors::DefenderErrorLayer;
    ///
    /// let layer = DefenderErrorLayer::new().client_error_level(tracing::Level::DEBUG);
    /// ```
    pub fn client_error_level(mut self, level: tracing::Level) -> Self {
        Arc::make_mut(&mut self.config).client_error_level = level;
        self
    }

    /// Whether a tower-http `RequestId` already in the request's extensions
    /// (put there by `SetRequestIdLayer` outside this layer) becomes the
    /// tracking id when it is a UUID, so that the two ids agree. Off by
    /// default.
    ///
    /// `SetRequestIdLayer` keeps an incoming header as it is, so turning
    /// this on lets the client decide the tracking id (see
    /// [Adopting an id](Self#adopting-an-id)): do so only behind a gateway
    /// that sets or overwrites that header. An id whose header the request
    /// carries more than once is not adopted; an id adopted from a
    /// configured header ([`adopt`](Self::adopt)) comes first; a
    /// `RequestId` that is not a UUID is ignored. Whenever it is not
    /// adopted, the layer makes its own id and the two differ.
    #[cfg(feature = "tower-http")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tower-http")))]
    pub fn adopt_request_id(mut self, adopt: bool) -> Self {
        Arc::make_mut(&mut self.config).adopt_request_id = adopt;
        self
    }
}

impl<S, M: Clone> Layer<S> for DefenderErrorLayer<M> {
    type Service = DefenderError<S, M>;

    fn layer(&self, inner: S) -> Self::Service {
        DefenderError::new(inner, self.make_id.clone(), self.config.clone())
    }
}
