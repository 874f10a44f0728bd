//! What a plain (non-envelope) error response becomes.
//!
//! The layer sees only the status, the headers and the body of such a
//! response. It reads the body only when it is `text/plain`, and then at
//! most [`MAX_TEXT_BYTES`]: enough for a message of
//! [`MAX_ECHO_CHARS`](crate::MAX_ECHO_CHARS) characters and one more, so it
//! knows whether to cut.
//!
//! - axum's own rejections (and tower-http's body limit) are plain text
//!   with a fixed opening per kind
//!   (`Failed to parse the request body as JSON: …`); nothing else about
//!   them (no extension, no header) tells them apart. They get the codes the
//!   crate's extractors give the same failures; their openings are read in
//!   [`foreign`](crate::extract::foreign), with the crate's other matches on
//!   a dependency's text, and pinned by tests against axum's real
//!   extractors (`tests/suite/plain.rs`).
//! - Any other `text/plain` 4xx is a message the handler wrote for the
//!   client: it becomes the envelope's `message`, escaped and cut like every
//!   echo. A 429 with `Retry-After` keeps the code table's message, which
//!   states the seconds the header gives.
//! - A 5xx body never reaches the client; its text is logged as the cause.

use std::borrow::Cow;

use http::header::{self, HeaderMap};
use http::StatusCode;

use crate::error::echo;
use crate::extract::foreign;
use crate::{ApiError, ErrorCode, MAX_ECHO_CHARS};

/// The most bytes of a plain body the layer reads: four per character (the
/// longest UTF-8 encoding) for one character more than a message keeps.
pub(crate) const MAX_TEXT_BYTES: usize = 4 * (MAX_ECHO_CHARS + 1);

/// Whether the layer reads the body of an error response with these
/// headers: only `text/plain` says what its bytes mean.
pub(crate) fn is_text(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return false;
    };
    let essence = value.as_bytes().split(|&b| b == b';').next().unwrap_or(&[]);
    essence.trim_ascii().eq_ignore_ascii_case(b"text/plain")
}

/// The text of the first bytes of a body, if they are UTF-8. When they
/// fill [`MAX_TEXT_BYTES`], a character cut there is dropped.
pub(crate) fn text_of(bytes: &[u8]) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() && bytes.len() >= MAX_TEXT_BYTES => {
            Some(std::str::from_utf8(&bytes[..e.valid_up_to()]).expect("checked up to here"))
        }
        Err(_) => None,
    }
}

/// The envelope of a plain error response with `status` and `headers`;
/// `text` is the start of its body when it is `text/plain`.
pub(crate) fn plain_error(status: StatusCode, headers: &HeaderMap, text: Option<&str>) -> ApiError {
    let code = ErrorCode::from_status(status);
    let text = text.map(str::trim).filter(|t| !t.is_empty());
    let retry_after = || {
        headers
            .get(header::RETRY_AFTER)?
            .to_str()
            .ok()
            .and_then(crate::error::retry_after_seconds)
    };
    if code == ErrorCode::InternalServerError || status.is_server_error() {
        let cause = match text {
            Some(text) => format!("inner service responded {status}: {}", echo(text)),
            None => format!("inner service responded {status}"),
        };
        let error = match code {
            ErrorCode::ServiceUnavailable => retry_after()
                .map(ApiError::service_unavailable)
                .unwrap_or(ApiError::from_code(code)),
            _ => ApiError::from_code(code),
        };
        return error.with_cause(cause);
    }
    if let Some(error) = text.and_then(|text| foreign::axum_rejection(status, text)) {
        return error;
    }
    if code == ErrorCode::TooManyRequests {
        if let Some(seconds) = retry_after() {
            return ApiError::too_many_requests(seconds);
        }
    }
    match text {
        Some(text) => ApiError::new(code, Cow::Owned(echo(text).into_owned())),
        None => ApiError::from_code(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_plain_is_read() {
        for (value, text) in [
            ("text/plain", true),
            ("text/plain; charset=utf-8", true),
            ("Text/Plain ;charset=utf-8", true),
            ("text/plainer", false),
            ("text/html", false),
            ("application/json", false),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(is_text(&headers), text, "{value}");
        }
        assert!(!is_text(&HeaderMap::new()));
    }

    #[test]
    fn a_character_cut_at_the_limit_is_dropped() {
        assert_eq!(text_of("ab".as_bytes()), Some("ab"));
        let full = format!("{}é", "a".repeat(MAX_TEXT_BYTES - 1));
        assert_eq!(
            text_of(&full.as_bytes()[..MAX_TEXT_BYTES]),
            Some(&full[..MAX_TEXT_BYTES - 1])
        );
        // Short of the limit, an unfinished character is not UTF-8.
        assert_eq!(text_of(&"aé".as_bytes()[..2]), None);
        assert_eq!(text_of(b"a\xffb"), None);
    }
}
