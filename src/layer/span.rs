//! The request's span, made in one place for the layer and for
//! [`MakeRequestSpan`](crate::trace::MakeRequestSpan), so both carry the
//! same fields.

use http::{HeaderValue, Request};
use tracing::{Level, Span};

use crate::tracking::TrackingId;

/// One `request` span callsite; the level of a callsite is fixed.
#[cfg(not(feature = "opentelemetry"))]
macro_rules! span_at {
    ($level:expr, $target:expr, $req:expr, $client_request_id:expr) => {
        tracing::span!(
            $level,
            "request",
            // Evaluated only when the span is enabled.
            target = %$target,
            method = %$req.method(),
            path = &*crate::error::log_path($req.uri().path()),
            client_request_id = $client_request_id,
        )
    };
}

/// With OpenTelemetry the id may become the span's trace id, which exists
/// only once the span does: `target` is recorded afterwards, and the span
/// has room for its OpenTelemetry name and kind.
#[cfg(feature = "opentelemetry")]
macro_rules! span_at {
    ($level:expr, $target:expr, $req:expr, $client_request_id:expr) => {
        tracing::span!(
            $level,
            "request",
            target = tracing::field::Empty,
            method = %$req.method(),
            path = &*crate::error::log_path($req.uri().path()),
            client_request_id = $client_request_id,
            otel.name = tracing::field::Empty,
            otel.kind = tracing::field::Empty,
        )
    };
}

/// The span `request` at `level`, with `target`, `method`, `path` (escaped
/// as [`echo`](crate::echo) escapes) and, when the client sent a
/// well-formed one, `client_request_id`.
///
/// `made` says whether the layer made `id` itself (rather than adopting
/// it). With the `opentelemetry` feature and a `tracing-opentelemetry`
/// layer in the subscriber, such an id is replaced by the span's trace id,
/// so the two are the same 128 bits (see [`crate::otel`]).
pub(crate) fn request_span<B>(
    level: Level,
    id: &mut TrackingId,
    made: bool,
    client_request_id: Option<&HeaderValue>,
    req: &Request<B>,
) -> Span {
    let client_request_id = client_request_id.and_then(|v| v.to_str().ok());
    // The id's text, on the stack (no allocation), encoded only if the
    // span is enabled: the macro evaluates field values after its level
    // check.
    #[cfg_attr(feature = "opentelemetry", allow(unused_mut, unused_variables))]
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    #[cfg_attr(feature = "opentelemetry", allow(unused_variables))]
    let uuid = id.as_uuid();
    let span = match level {
        Level::ERROR => span_at!(
            Level::ERROR,
            encode(uuid, &mut text),
            req,
            client_request_id
        ),
        Level::WARN => span_at!(Level::WARN, encode(uuid, &mut text), req, client_request_id),
        Level::INFO => span_at!(Level::INFO, encode(uuid, &mut text), req, client_request_id),
        Level::DEBUG => span_at!(
            Level::DEBUG,
            encode(uuid, &mut text),
            req,
            client_request_id
        ),
        Level::TRACE => span_at!(
            Level::TRACE,
            encode(uuid, &mut text),
            req,
            client_request_id
        ),
    };
    #[cfg(feature = "opentelemetry")]
    {
        crate::otel::link(&span, id, made, req);
        span.record("target", tracing::field::display(*id));
    }
    #[cfg(not(feature = "opentelemetry"))]
    let _ = made;
    span
}

/// `uuid`'s lower-case hyphenated text, written into `buf`.
#[cfg_attr(feature = "opentelemetry", allow(dead_code))]
fn encode<'a>(uuid: &uuid::Uuid, buf: &'a mut [u8; uuid::fmt::Hyphenated::LENGTH]) -> &'a str {
    uuid.hyphenated().encode_lower(buf)
}
