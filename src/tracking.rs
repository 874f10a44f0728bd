//! The per-request tracking id: its type, how it is made, and how a
//! configured request header may supply it.
//!
//! The layer makes one [`TrackingId`] per request before the inner service
//! runs, puts it in the request's extensions (handlers extract it), echoes it
//! in a response header and writes it as the envelope's `target`.

use std::fmt;

use bytes::BytesMut;
use http::{HeaderMap, HeaderName, HeaderValue, Request};
use uuid::Uuid;

/// The id that correlates a request, its log lines and its error response.
///
/// It renders as a lower-case hyphenated UUID. Handlers get it from the
/// request extensions, or with the `axum` feature as an extractor:
///
#[cfg_attr(feature = "axum", doc = "```")]
#[cfg_attr(not(feature = "axum"), doc = "```ignore")]
/// use defender_errors::TrackingId;
///
/// async fn handler(id: TrackingId) -> String {
///     format!("your request is {id}")
/// }
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::get(handler));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingId(Uuid);

impl TrackingId {
    /// A fresh random (version 4) id.
    pub fn new_v4() -> Self {
        TrackingId(Uuid::new_v4())
    }

    /// Wraps an existing UUID.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        TrackingId(uuid)
    }

    /// The UUID.
    pub const fn as_uuid(&self) -> &Uuid {
        &self.0
    }

    /// The id as a header value (36 ASCII bytes).
    pub fn to_header_value(&self) -> HeaderValue {
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        header_value(self.0.hyphenated().encode_lower(&mut buf))
    }

    /// Reads a tracking id from `value`, if it is a UUID (any of the forms
    /// the `uuid` crate parses) and not the nil UUID.
    pub fn parse(value: &str) -> Option<Self> {
        match Uuid::try_parse(value) {
            Ok(uuid) if !uuid.is_nil() => Some(TrackingId(uuid)),
            _ => None,
        }
    }

    /// Reads the trace-id of a W3C `traceparent` value
    /// (`version-traceid-parentid-flags`, lower-case hexadecimal).
    ///
    /// The 128-bit trace-id becomes the UUID with the same bytes. Returns
    /// `None` for anything malformed, for version `ff` and for an all-zero
    /// trace-id or parent-id, as the W3C Trace Context specification
    /// requires.
    pub fn from_traceparent(value: &str) -> Option<Self> {
        TraceParent::parse(value).map(|tp| TrackingId(tp.trace_id))
    }

    /// The id a request carries in its extensions, if a
    /// [`DefenderErrorLayer`](crate::DefenderErrorLayer) put one there.
    ///
    /// This is how a `TraceLayer::make_span_with` closure placed inside the
    /// layer reads the id.
    pub fn from_request<B>(request: &Request<B>) -> Option<Self> {
        request.extensions().get::<TrackingId>().copied()
    }
}

/// The fields of a well-formed W3C `traceparent` value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TraceParent {
    pub(crate) trace_id: Uuid,
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    pub(crate) parent_id: u64,
    #[cfg_attr(not(feature = "opentelemetry"), allow(dead_code))]
    pub(crate) flags: u8,
}

impl TraceParent {
    /// Parses `version-traceid-parentid-flags` (lower-case hexadecimal);
    /// `None` for anything malformed, for version `ff` and for an all-zero
    /// trace-id or parent-id, as the W3C Trace Context specification
    /// requires.
    pub(crate) fn parse(value: &str) -> Option<Self> {
        let bytes = value.as_bytes();
        // version "-" trace-id "-" parent-id "-" flags; a future version may
        // append "-" and more fields.
        if bytes.len() < 55 || (bytes.len() > 55 && bytes[55] != b'-') {
            return None;
        }
        if bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let is_lower_hex = |s: &[u8]| s.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let (version, trace, parent, flags) =
            (&bytes[0..2], &bytes[3..35], &bytes[36..52], &bytes[53..55]);
        if ![version, trace, parent, flags]
            .iter()
            .all(|s| is_lower_hex(s))
            || version == b"ff"
        {
            return None;
        }
        if version == b"00" && bytes.len() != 55 {
            return None;
        }
        // All four are lower-case hexadecimal by now.
        let parent_id = u64::from_str_radix(&value[36..52], 16).ok()?;
        let flags = u8::from_str_radix(&value[53..55], 16).ok()?;
        let trace_id = Uuid::try_parse_ascii(trace).ok()?;
        (parent_id != 0 && !trace_id.is_nil()).then_some(TraceParent {
            trace_id,
            parent_id,
            flags,
        })
    }
}

impl fmt::Display for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl From<Uuid> for TrackingId {
    fn from(uuid: Uuid) -> Self {
        TrackingId(uuid)
    }
}

impl From<TrackingId> for Uuid {
    fn from(id: TrackingId) -> Self {
        id.0
    }
}

/// Makes the tracking id of a request.
///
/// The layer calls it once per request, after looking for an adopted id
/// (see [`DefenderErrorLayer::adopt`](crate::DefenderErrorLayer::adopt)) and
/// finding none.
pub trait MakeTrackingId {
    /// Makes the id for `request`.
    fn make_tracking_id<B>(&mut self, request: &Request<B>) -> TrackingId;
}

/// The default [`MakeTrackingId`]: a random version 4 UUID per request.
#[derive(Debug, Clone, Copy, Default)]
pub struct MakeUuidV4;

impl MakeTrackingId for MakeUuidV4 {
    fn make_tracking_id<B>(&mut self, _request: &Request<B>) -> TrackingId {
        TrackingId::new_v4()
    }
}

/// A request header the layer may take the tracking id from.
///
/// Adoption is off unless configured, and adopting means the caller
/// decides the id (see
/// [Adopting an id](crate::DefenderErrorLayer#adopting-an-id)): configure a
/// source only for a header a trusted gateway sets. A value is adopted only
/// if it is sent once and parses (as a UUID, or as a `traceparent`);
/// anything else is ignored and never echoed.
///
/// `x-ms-client-request-id` is the Azure way for a client to correlate its
/// requests; the layer records and echoes it without adopting it (see
/// [`CLIENT_REQUEST_ID_HEADER`]). [`IdSource::x_ms_client_request_id`]
/// makes it the tracking id instead, which hands the choice of the id to
/// the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// A header whose value is a UUID, such as `x-request-id` or
    /// `x-ms-client-request-id`.
    Header(HeaderName),
    /// The trace-id of a W3C `traceparent` header.
    TraceParent,
}

impl IdSource {
    /// `x-request-id`.
    pub fn x_request_id() -> Self {
        IdSource::Header(HeaderName::from_static("x-request-id"))
    }

    /// `x-ms-client-request-id`, the Microsoft guidelines' client id header.
    pub fn x_ms_client_request_id() -> Self {
        IdSource::Header(HeaderName::from_static("x-ms-client-request-id"))
    }

    /// Reads the id from `headers`, if this source is present and well-formed.
    pub fn read(&self, headers: &HeaderMap) -> Option<TrackingId> {
        let (name, parse): (&str, fn(&str) -> Option<TrackingId>) = match self {
            IdSource::Header(name) => (name.as_str(), TrackingId::parse),
            IdSource::TraceParent => ("traceparent", TrackingId::from_traceparent),
        };
        let mut values = headers.get_all(name).iter();
        let value = values.next()?;
        if values.next().is_some() {
            // Two values for one id is ambiguous: adopt neither.
            return None;
        }
        parse(value.to_str().ok()?)
    }
}

/// The tracking id of a tower-http `RequestId` in `request`'s extensions,
/// if there is one, it is a UUID, and the header it came from was sent
/// once.
///
/// `SetRequestIdLayer` keeps the first of several values of its header;
/// which of them a proxy in front read is unknown, so an id whose header
/// (any header carrying the id's value) has more than one value is not
/// adopted.
#[cfg(feature = "tower-http")]
pub(crate) fn from_tower_request_id<B>(request: &Request<B>) -> Option<TrackingId> {
    let value = request
        .extensions()
        .get::<tower_http::request_id::RequestId>()?
        .header_value();
    let id = TrackingId::parse(value.to_str().ok()?)?;
    let headers = request.headers();
    let repeated = headers
        .iter()
        .filter(|(_, v)| *v == value)
        .any(|(name, _)| headers.get_all(name).iter().nth(1).is_some());
    (!repeated).then_some(id)
}

/// `x-ms-client-request-id`: the id an Azure SDK client gives each request.
///
/// The layer records a well-formed value as `client_request_id` on the
/// request's span and error event and echoes it on the response; it never
/// becomes the tracking id unless adopted with
/// [`IdSource::x_ms_client_request_id`].
///
/// Well-formed means one header value of 1 to 64 characters, each an ASCII
/// letter or digit or one of `-`, `_`, `.`, or a GUID in any form the `uuid`
/// crate parses (hyphenated, simple, `{braced}`, `urn:uuid:`). Anything
/// else (two values, an empty or longer value, spaces, quotes, control or
/// non-ASCII characters) is ignored: neither logged nor echoed.
pub const CLIENT_REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-ms-client-request-id");

/// The request's well-formed `x-ms-client-request-id`, if any (see
/// [`CLIENT_REQUEST_ID_HEADER`]).
pub(crate) fn client_request_id(headers: &HeaderMap) -> Option<&HeaderValue> {
    let mut values = headers.get_all(CLIENT_REQUEST_ID_HEADER).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let bytes = value.as_bytes();
    let safe = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    let well_formed = (1..=64).contains(&bytes.len())
        && (bytes.iter().all(safe) || Uuid::try_parse_ascii(bytes).is_ok());
    well_formed.then_some(value)
}

/// Ids per block of [`ID_TEXT`]: 28 make 1,008 bytes, which glibc's
/// per-thread cache still serves (up to 1,032). Larger blocks measured
/// worse: the allocator's slow path then slowed every other allocation of
/// the request.
const IDS_PER_BLOCK: usize = 28;

thread_local! {
    /// Room for the text of the next ids' header values. Each value is a
    /// slice of a shared block, so a header value costs one allocation per
    /// [`IDS_PER_BLOCK`] ids instead of one each; a block is freed when its
    /// last value is dropped.
    ///
    /// The one per-thread slot the crate keeps, because it pays: without it
    /// a request through the layer costs one more allocation (19 instead of
    /// 18.07 in `tests/alloc.rs`, +5 %) and 135 more instructions
    /// (callgrind, `benches/instructions.sh`).
    ///
    /// Why it cannot carry anything from one request to another: it holds
    /// only the text of ids the layer made itself, and only *unwritten*
    /// room. [`header_value`] appends one id's 36 bytes and splits them off
    /// at once (`BytesMut::split`), so every header value owns a range of
    /// the block no later call writes again, and what stays in the slot is
    /// empty: nothing that was written is ever read by a later request.
    /// `tests/suite/target.rs` (`id_headers_stay_intact_while_later_requests_are_served`)
    /// keeps 200 header values of one thread and checks each still reads
    /// as its own id after all the others were made.
    static ID_TEXT: std::cell::RefCell<BytesMut> = std::cell::RefCell::new(BytesMut::new());
}

/// `text`, an id's hyphenated form, as a header value.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    let bytes = ID_TEXT.with(|block| {
        let mut block = block.borrow_mut();
        if block.capacity() < text.len() {
            *block = BytesMut::with_capacity(uuid::fmt::Hyphenated::LENGTH * IDS_PER_BLOCK);
        }
        block.extend_from_slice(text.as_bytes());
        block.split().freeze()
    });
    HeaderValue::from_maybe_shared(bytes).expect("a hyphenated UUID is a valid header value")
}
