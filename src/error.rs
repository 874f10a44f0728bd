//! [`ApiError`]: one error response of the Defender envelope, with a
//! constructor per message template and its conversion into a response.

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt::{self, Write as _};
use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use http::{Response, StatusCode};

use crate::tracking::TrackingId;
use crate::ErrorCode;

/// The header that carries the error code (Microsoft REST API guidelines).
pub const ERROR_CODE_HEADER: HeaderName = HeaderName::from_static("x-ms-error-code");

/// The `Content-Type` of every envelope.
pub(crate) const JSON_UTF8: HeaderValue =
    HeaderValue::from_static("application/json; charset=utf-8");

/// The longest echoed input a message holds, in characters.
pub const MAX_ECHO_CHARS: usize = 256;

/// An error response in the Defender envelope.
///
/// It has a [code](ErrorCode), a message, and optionally an internal cause
/// that is logged by [`DefenderErrorLayer`](crate::DefenderErrorLayer) and
/// never sent. Constructors exist for each message template of the code
/// table; the values they echo are passed through [`echo`].
///
/// ```
/// use defender_errors::{ApiError, ErrorCode};
///
/// let err = ApiError::maximum_batch_size_exceeded(600, 500);
/// assert_eq!(err.code(), ErrorCode::MaximumBatchSizeExceeded);
/// assert_eq!(err.message(), "Maximum batch size exceeded. Received: 600, allowed: 500.");
/// ```
///
/// As a response (with the `axum` feature through `IntoResponse`, or
/// [`ApiError::into_http_response`]) its body is
/// `{"error":{"code":…,"message":…,"target":…}}`. Behind the layer `target`
/// is the request's [`TrackingId`]: the layer writes it, from the error the
/// response carries in its extensions. Outside any layer it is a fresh id,
/// so the envelope is always complete.
#[derive(Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    cause: Option<Arc<dyn StdError + Send + Sync>>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with `code` and a message of your own.
    ///
    /// The message is treated as user input: control characters are escaped
    /// and it is cut to [`MAX_ECHO_CHARS`] characters, as [`echo`] does, so
    /// no message can hold a raw line break or amplify a request. For
    /// [`ErrorCode::InternalServerError`] the message is logged as the cause
    /// (escaped, not cut) and the envelope's message stays empty.
    ///
    /// ```
    /// use defender_errors::{ApiError, ErrorCode};
    ///
    /// let err = ApiError::new(ErrorCode::BadRequest, "line one\nline two");
    /// assert_eq!(err.message(), "line one\\nline two");
    /// ```
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        let message = message.into();
        let changed = if code == ErrorCode::InternalServerError {
            escape_controls(&message)
        } else {
            echo(&message)
        };
        let changed = match changed {
            Cow::Owned(text) => Some(text),
            Cow::Borrowed(_) => None,
        };
        Self::trusted(code, changed.map_or(message, Cow::Owned))
    }

    /// An error whose message the crate built itself from a fixed template
    /// and parts already passed through [`echo`].
    pub(crate) fn trusted(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            code,
            message: message.into(),
            cause: None,
            retry_after: None,
        }
    }

    /// The code's general message ([`ErrorCode::default_message`]).
    pub const fn from_code(code: ErrorCode) -> Self {
        ApiError {
            code,
            message: Cow::Borrowed(code.default_message()),
            cause: None,
            retry_after: None,
        }
    }

    /// `BadRequest` with a general message saying what is wrong (escaped and
    /// cut as [`ApiError::new`] does).
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::BadRequest, message)
    }

    /// `ODataError`: "Invalid OData URI query {detail}."
    ///
    /// `detail` is the specific error: a description of the crate's own
    /// that quotes at most one piece of input, already passed through
    /// [`echo`]. Here it has control characters escaped and is cut to twice
    /// [`MAX_ECHO_CHARS`] characters, so its description survives a
    /// quoted input of the full length.
    pub fn odata(detail: impl fmt::Display) -> Self {
        let detail = detail.to_string();
        Self::trusted(
            ErrorCode::ODataError,
            format!(
                "Invalid OData URI query {}.",
                echo_within(&detail, 2 * MAX_ECHO_CHARS)
            ),
        )
    }

    /// `InvalidInput`: "Invalid input {input}."
    pub fn invalid_input(input: &str) -> Self {
        Self::trusted(
            ErrorCode::InvalidInput,
            format!("Invalid input {}.", echo(input)),
        )
    }

    /// `InvalidRequestBody`: "Invalid request body." followed by `detail`
    /// (the specific problem, with line and column where known), escaped
    /// and cut to [`MAX_ECHO_CHARS`] characters.
    pub fn invalid_request_body(detail: impl fmt::Display) -> Self {
        let detail = detail.to_string();
        let message = if detail.is_empty() {
            Cow::Borrowed("Invalid request body.")
        } else {
            Cow::Owned(format!("Invalid request body. {}", echo(&detail)))
        };
        Self::trusted(ErrorCode::InvalidRequestBody, message)
    }

    /// `InvalidHashValue`: "Hash value {hash} is invalid."
    pub fn invalid_hash(hash: &str) -> Self {
        Self::trusted(
            ErrorCode::InvalidHashValue,
            format!("Hash value {} is invalid.", echo(hash)),
        )
    }

    /// `InvalidDomainName`: "Domain name {domain} is invalid."
    pub fn invalid_domain(domain: &str) -> Self {
        Self::trusted(
            ErrorCode::InvalidDomainName,
            format!("Domain name {} is invalid.", echo(domain)),
        )
    }

    /// `InvalidIpAddress`: "IP address {ip} is invalid."
    pub fn invalid_ip(ip: &str) -> Self {
        Self::trusted(
            ErrorCode::InvalidIpAddress,
            format!("IP address {} is invalid.", echo(ip)),
        )
    }

    /// `InvalidUrl`: "URL {url} is invalid."
    pub fn invalid_url(url: &str) -> Self {
        Self::trusted(
            ErrorCode::InvalidUrl,
            format!("URL {} is invalid.", echo(url)),
        )
    }

    /// `MaximumBatchSizeExceeded`: "Maximum batch size exceeded. Received:
    /// {received}, allowed: {allowed}."
    pub fn maximum_batch_size_exceeded(received: usize, allowed: usize) -> Self {
        Self::trusted(
            ErrorCode::MaximumBatchSizeExceeded,
            format!("Maximum batch size exceeded. Received: {received}, allowed: {allowed}."),
        )
    }

    /// `MissingRequiredParameter`: "Parameter {name} is missing."
    pub fn missing_parameter(name: &str) -> Self {
        Self::trusted(
            ErrorCode::MissingRequiredParameter,
            format!("Parameter {} is missing.", echo(name)),
        )
    }

    /// `OsPlatformNotSupported`: "OS Platform {platform} is not supported for
    /// this action."
    pub fn os_platform_not_supported(platform: &str) -> Self {
        Self::trusted(
            ErrorCode::OsPlatformNotSupported,
            format!(
                "OS Platform {} is not supported for this action.",
                echo(platform)
            ),
        )
    }

    /// `ClientVersionNotSupported`: "{action} is supported on client version
    /// {version} and above."
    pub fn client_version_not_supported(action: &str, version: &str) -> Self {
        Self::trusted(
            ErrorCode::ClientVersionNotSupported,
            format!(
                "{} is supported on client version {} and above.",
                echo(action),
                echo(version)
            ),
        )
    }

    /// `Unauthorized`.
    pub const fn unauthorized() -> Self {
        Self::from_code(ErrorCode::Unauthorized)
    }

    /// `Forbidden`.
    pub const fn forbidden() -> Self {
        Self::from_code(ErrorCode::Forbidden)
    }

    /// `DisabledFeature`: "Tenant feature is not enabled."
    pub const fn disabled_feature() -> Self {
        Self::from_code(ErrorCode::DisabledFeature)
    }

    /// `DisallowedOperation`: "{operation and reason}." (the full stop is
    /// added unless `reason` ends with one).
    pub fn disallowed_operation(reason: &str) -> Self {
        let reason = echo(reason);
        let stop = if reason.ends_with('.') { "" } else { "." };
        Self::trusted(ErrorCode::DisallowedOperation, format!("{reason}{stop}"))
    }

    /// `NotFound` with the general message: nothing is known to name.
    ///
    /// The three not-found constructors are the two codes' three message
    /// forms: [`not_found`](Self::not_found) (`NotFound`, the general
    /// message), [`resource_not_found`](Self::resource_not_found)
    /// (`ResourceNotFound`, the table's template) and
    /// [`entity_not_found`](Self::entity_not_found) (`ResourceNotFound`, the
    /// reference's `Machine 123 was not found`).
    pub const fn not_found() -> Self {
        Self::from_code(ErrorCode::NotFound)
    }

    /// `ResourceNotFound`: "Resource {resource} was not found."
    pub fn resource_not_found(resource: &str) -> Self {
        Self::trusted(
            ErrorCode::ResourceNotFound,
            format!("Resource {} was not found.", echo(resource)),
        )
    }

    /// `ResourceNotFound` in the form of the reference's example:
    /// "{kind} {id} was not found" (`Machine 123 was not found`).
    pub fn entity_not_found(kind: &str, id: &str) -> Self {
        Self::trusted(
            ErrorCode::ResourceNotFound,
            format!("{} {} was not found", echo(kind), echo(id)),
        )
    }

    /// `TooManyRequests`: "Rate limit exceeded. Retry after {seconds}
    /// seconds." ("1 second." for one), sent with `Retry-After: {seconds}`.
    pub fn too_many_requests(retry_after_seconds: u64) -> Self {
        Self::trusted(
            ErrorCode::TooManyRequests,
            format!(
                "Rate limit exceeded. Retry after {}.",
                Seconds(retry_after_seconds)
            ),
        )
        .with_retry_after(retry_after_seconds)
    }

    /// `ServiceUnavailable`: "The service is temporarily unavailable. Retry
    /// after {seconds} seconds." ("1 second." for one), sent with
    /// `Retry-After: {seconds}`.
    pub fn service_unavailable(retry_after_seconds: u64) -> Self {
        Self::trusted(
            ErrorCode::ServiceUnavailable,
            format!(
                "The service is temporarily unavailable. Retry after {}.",
                Seconds(retry_after_seconds)
            ),
        )
        .with_retry_after(retry_after_seconds)
    }

    /// `InternalServerError` caused by `cause`: the envelope's message is
    /// empty and the cause is only logged.
    pub fn internal(cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::from_code(ErrorCode::InternalServerError).with_cause(cause)
    }

    /// Attaches an internal cause: logged with the tracking id by the layer,
    /// never sent to the client.
    pub fn with_cause(mut self, cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        self.cause = Some(Arc::from(cause.into()));
        self
    }

    /// Sends a `Retry-After` header with this many seconds.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The code.
    pub const fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status ([`ErrorCode::status`]).
    pub const fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The message the envelope carries (empty for `InternalServerError`).
    pub fn message(&self) -> &str {
        if self.code == ErrorCode::InternalServerError {
            ""
        } else {
            &self.message
        }
    }

    /// The internal cause, if any.
    pub fn cause(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.cause.as_deref()
    }

    /// The `Retry-After` seconds, if any.
    pub const fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The envelope `{"error":{"code":…,"message":…,"target":…}}` as JSON.
    pub fn to_json(&self, target: TrackingId) -> Bytes {
        let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = target.as_uuid().hyphenated().encode_lower(&mut id);
        envelope_json(self.code.as_str(), self.message(), id.as_bytes())
    }

    /// [`to_json`](Self::to_json) with the target's text already written
    /// (the layer's id header holds it): `id` is a lower-case hyphenated
    /// UUID.
    pub(crate) fn to_json_with_id_text(&self, id: &[u8]) -> Bytes {
        debug_assert_eq!(id.len(), uuid::fmt::Hyphenated::LENGTH);
        envelope_json(self.code.as_str(), self.message(), id)
    }

    /// The complete response: status, `Content-Type`, `x-ms-error-code`,
    /// `Retry-After` and `retry-after-ms` where set, and the envelope.
    ///
    /// Only a [`DefenderErrorLayer`](crate::DefenderErrorLayer) knows the
    /// request's [`TrackingId`], so the body is rendered here with a fresh
    /// id, complete even where no layer is in front. The error travels on in
    /// the response's extensions; the layer takes it from there, logs it and
    /// renders the envelope again with the request's id as `target`.
    ///
    /// With the `axum` feature, `IntoResponse` renders nothing itself: its
    /// body renders the envelope (with a fresh id) only if it is read, which
    /// behind the layer it never is, so the envelope is rendered once, by
    /// the layer, with the request's id.
    pub fn into_http_response<B: From<Bytes>>(self) -> Response<B> {
        let body = self.to_json(TrackingId::new_v4());
        let mut response = Response::new(B::from(body));
        *response.status_mut() = self.status();
        self.write_headers(response.headers_mut());
        response.extensions_mut().insert(Rendered(Arc::new(self)));
        response
    }

    /// Sets the headers every envelope carries.
    pub(crate) fn write_headers(&self, headers: &mut http::HeaderMap) {
        headers.insert(CONTENT_TYPE, JSON_UTF8);
        headers.insert(
            ERROR_CODE_HEADER,
            HeaderValue::from_static(self.code.as_str()),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
            // Azure SDKs read `retry-after-ms` before `Retry-After`.
            headers.insert(
                HeaderName::from_static("retry-after-ms"),
                HeaderValue::from(seconds.saturating_mul(1000)),
            );
        }
    }

    /// The text logged for this error: the cause, else (for
    /// `InternalServerError`) the message that is not sent.
    pub(crate) fn log_cause(&self) -> Option<String> {
        match (&self.cause, self.code) {
            (Some(cause), _) => {
                // The cause may quote input (a parser's error, a panic
                // message): it is logged escaped as an echo is.
                let text = display_chain(cause.as_ref());
                Some(match escape_controls(&text) {
                    Cow::Borrowed(_) => text,
                    Cow::Owned(escaped) => escaped,
                })
            }
            (None, ErrorCode::InternalServerError) if !self.message.is_empty() => {
                Some(self.message.to_string())
            }
            _ => None,
        }
    }
}

/// The seconds a `Retry-After` value asks for: its delay-seconds, or the
/// seconds from now until its HTTP date (RFC 9110 §10.2.3), rounded up so
/// that a client never comes back early; a date already past is 0.
pub(crate) fn retry_after_seconds(value: &str) -> Option<u64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(match date.duration_since(std::time::SystemTime::now()) {
        Ok(wait) => wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        Err(_) => 0,
    })
}

/// A number of seconds in words: "1 second", "2 seconds".
struct Seconds(u64);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 second"),
            n => write!(f, "{n} seconds"),
        }
    }
}

/// An error response's [`ApiError`], carried in the response's extensions:
/// the marker by which the layer knows its own envelopes without reading
/// bodies, and the error it renders with the request's id. Shared with the
/// body of `IntoResponse`, which renders it only if read.
#[derive(Clone)]
pub(crate) struct Rendered(pub(crate) Arc<ApiError>);

/// Renders an error and its sources as one line: `outer: inner: innermost`.
pub(crate) fn display_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        write!(text, ": {next}").expect("writing to a String cannot fail");
        source = next.source();
    }
    text
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::from_code(code)
    }
}

impl<B: From<Bytes>> From<ApiError> for Response<B> {
    fn from(error: ApiError) -> Self {
        error.into_http_response()
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("code", &self.code)
            .field("message", &self.message)
            .field("cause", &self.cause.as_ref().map(|c| c.to_string()))
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl StdError for ApiError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn StdError + 'static))
    }
}

#[cfg(feature = "axum")]
impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        let status = self.status();
        let error = Arc::new(self);
        let mut response = Response::new(axum::body::Body::new(LazyEnvelope(Some(error.clone()))));
        *response.status_mut() = status;
        error.write_headers(response.headers_mut());
        response.extensions_mut().insert(Rendered(error));
        response
    }
}

/// The body of an `ApiError` turned into an axum response: the envelope,
/// rendered with a fresh id when first polled. Behind the layer it is
/// dropped unread (the layer renders the envelope with the request's id),
/// so the envelope is rendered once either way.
#[cfg(feature = "axum")]
struct LazyEnvelope(Option<Arc<ApiError>>);

#[cfg(feature = "axum")]
impl http_body::Body for LazyEnvelope {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let frame = self
            .0
            .take()
            .map(|error| Ok(http_body::Frame::data(error.to_json(TrackingId::new_v4()))));
        std::task::Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let length = self.0.as_ref().map_or(0, |error| {
            envelope_len(error.code.as_str(), error.message())
        });
        http_body::SizeHint::with_exact(length as u64)
    }
}

/// The length of [`envelope_json`]'s output for `code` and `message`,
/// without writing it: what `serde_json` makes of the message (two quotes,
/// and each character escaped as it escapes it) and the fixed rest.
#[cfg_attr(not(feature = "axum"), allow(dead_code))]
fn envelope_len(code: &str, message: &str) -> usize {
    let escaped: usize = message
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0x00..=0x1f => 6,
            _ => 1,
        })
        .sum();
    r#"{"error":{"code":"","message":,"target":""}}"#.len()
        + code.len()
        + escaped
        + 2
        + uuid::fmt::Hyphenated::LENGTH
}

/// Writes the envelope by hand: the code is an identifier and the target
/// hexadecimal with hyphens, so only the message may need escaping, and the
/// buffer is sized once. The bytes are those `serde_json` writes for the
/// same three members in this order.
fn envelope_json(code: &str, message: &str, id: &[u8]) -> Bytes {
    const HEAD: &[u8] = br#"{"error":{"code":""#;
    const MESSAGE: &[u8] = br#"","message":"#;
    const TARGET: &[u8] = br#","target":""#;
    const TAIL: &[u8] = br#""}}"#;
    let mut json = Vec::with_capacity(
        HEAD.len()
            + code.len()
            + MESSAGE.len()
            + message.len()
            + 2
            + TARGET.len()
            + id.len()
            + TAIL.len(),
    );
    json.extend_from_slice(HEAD);
    json.extend_from_slice(code.as_bytes());
    json.extend_from_slice(MESSAGE);
    write_json_string(&mut json, message);
    json.extend_from_slice(TARGET);
    json.extend_from_slice(id);
    json.extend_from_slice(TAIL);
    Bytes::from(json)
}

/// `text` as a JSON string: copied as it is when nothing in it needs
/// escaping (the usual case), else escaped by `serde_json`.
fn write_json_string(json: &mut Vec<u8>, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        json.push(b'"');
        json.extend_from_slice(text.as_bytes());
        json.push(b'"');
    } else {
        serde_json::to_writer(&mut *json, text).expect("a string always serializes");
    }
}

/// Prepares user input for a message: escapes control characters (`\n`,
/// `\r`, `\t`, else `\u{…}`) and the characters that make text read other
/// than it is (as `\u{…}` too), and cuts the result to at most
/// [`MAX_ECHO_CHARS`] characters, the last being `…` when cut, so a message
/// never amplifies a request, injects lines into logs or hides what it
/// quotes.
///
/// The characters escaped besides [`char::is_control`] are the
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069), the zero-width and invisible marks (U+200B–U+200F,
/// U+2060, U+FEFF, U+061C) and the line and paragraph separators (U+2028,
/// U+2029).
///
/// ```
/// use defender_errors::echo;
///
/// assert_eq!(echo("abc"), "abc");
/// assert_eq!(echo("a\nb"), "a\\nb");
/// assert_eq!(echo("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
/// assert_eq!(echo("a\u{200b}b\u{2028}c"), "a\\u{200b}b\\u{2028}c");
/// assert_eq!(echo(&"x".repeat(1000)).chars().count(), 256);
/// assert_eq!(echo(&"\0".repeat(1000)).chars().count(), 256);
/// ```
pub fn echo(input: &str) -> Cow<'_, str> {
    echo_within(input, MAX_ECHO_CHARS)
}

/// [`echo`] with a bound of `max` characters.
fn echo_within(input: &str, max: usize) -> Cow<'_, str> {
    // At most `max` bytes is at most `max` characters.
    if input.len() <= max && !needs_escaping(input) {
        return Cow::Borrowed(input);
    }
    let mut text = String::with_capacity(input.len().min(4 * max));
    let mut chars = 0;
    let mut piece = String::new();
    let mut rest = input.chars().peekable();
    while let Some(c) = rest.next() {
        piece.clear();
        push_escaped(&mut piece, c);
        let width = piece.chars().count();
        // Keep room for the ellipsis unless this is the last piece.
        let room = if rest.peek().is_none() { max } else { max - 1 };
        if chars + width > room {
            text.push('…');
            break;
        }
        text.push_str(&piece);
        chars += width;
    }
    Cow::Owned(text)
}

/// Whether `c` is escaped where input is echoed or logged: a control
/// character, or one that makes text read other than it is (see [`echo`]).
pub(crate) fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2060}'
                | '\u{feff}'
                | '\u{061c}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn push_escaped(text: &mut String, c: char) {
    match c {
        '\n' => text.push_str("\\n"),
        '\r' => text.push_str("\\r"),
        '\t' => text.push_str("\\t"),
        c if must_escape(c) => {
            write!(text, "\\u{{{:x}}}", c as u32).expect("writing to a String cannot fail")
        }
        c => text.push(c),
    }
}

/// A request's path as the layer logs it, escaped as [`echo`] escapes.
///
/// `http`'s `Uri` admits no ASCII control character (nor DEL) in a path,
/// so only a path with non-ASCII characters is scanned: the common case
/// costs one `is_ascii` over a few bytes.
#[inline]
pub(crate) fn log_path(path: &str) -> Cow<'_, str> {
    if path.is_ascii() {
        Cow::Borrowed(path)
    } else {
        escape_controls(path)
    }
}

/// Whether `text` holds a character [`echo`] escapes. Text that is all
/// printable ASCII (a request path, usually) is settled by one pass over
/// its bytes.
fn needs_escaping(text: &str) -> bool {
    text.bytes().any(|b| !(0x20..0x7f).contains(&b)) && text.chars().any(must_escape)
}

/// Escapes what [`echo`] escapes, without cutting: for text that is only
/// logged, such as a request's path on its span or an error's cause.
pub(crate) fn escape_controls(input: &str) -> Cow<'_, str> {
    if !needs_escaping(input) {
        return Cow::Borrowed(input);
    }
    let mut text = String::with_capacity(input.len() + 8);
    for c in input.chars() {
        push_escaped(&mut text, c);
    }
    Cow::Owned(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `serde_json` writes for the envelope.
    fn reference(code: &str, message: &str, target: TrackingId) -> String {
        #[derive(serde::Serialize)]
        struct Envelope<'a> {
            error: Inner<'a>,
        }
        #[derive(serde::Serialize)]
        struct Inner<'a> {
            code: &'a str,
            message: &'a str,
            target: String,
        }
        serde_json::to_string(&Envelope {
            error: Inner {
                code,
                message,
                target: target.to_string(),
            },
        })
        .unwrap()
    }

    #[test]
    fn hand_written_envelope_is_byte_for_byte_what_serde_json_writes() {
        let target = TrackingId::new_v4();
        for message in [
            "",
            "Machine 123 was not found",
            "quote \" and backslash \\ inside",
            "control \n \r \t \u{8} \u{c} \u{1} \u{1f} and DEL \u{7f}",
            "non-ASCII: é, 中文, 🦀, \u{2028}",
            "…",
        ] {
            let json = envelope_json("BadRequest", message, target.to_string().as_bytes());
            assert_eq!(
                json.len(),
                envelope_len("BadRequest", message),
                "{message:?}"
            );
            assert_eq!(
                std::str::from_utf8(&json).unwrap(),
                reference("BadRequest", message, target),
                "message {message:?}"
            );
        }
    }

    #[test]
    fn every_code_renders_as_serde_json_would() {
        let target = TrackingId::new_v4();
        for code in ErrorCode::ALL {
            let error = ApiError::from_code(*code);
            assert_eq!(
                std::str::from_utf8(&error.to_json(target)).unwrap(),
                reference(code.as_str(), error.message(), target),
            );
        }
    }
}
