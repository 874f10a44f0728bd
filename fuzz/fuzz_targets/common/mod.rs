//! Checks shared by the fuzz targets: what every error the crate hands a
//! client must satisfy, whatever the input was.

#![allow(dead_code)]

use std::fmt::Debug;
use std::sync::LazyLock;

use defender_errors::{ApiError, ErrorCode, TrackingId};

/// An error message must stay well below this many bytes: inputs are echoed
/// cut to 256 characters, so a message that grows with the input is a bug.
pub const MAX_MESSAGE_BYTES: usize = 2_000;

/// A fixed id, so rendering the envelope costs no random numbers.
static TARGET: LazyLock<TrackingId> = LazyLock::new(|| {
    TrackingId::parse("0f8fad5b-d9cb-469f-a165-70867728950e").expect("a valid UUID")
});

/// Asserts that `err` has one of `codes`, a bounded message without raw
/// control characters, and an envelope that is valid JSON carrying exactly
/// that code and message.
pub fn check_error(err: &ApiError, codes: &[ErrorCode], input: &dyn Debug) {
    assert!(
        codes.contains(&err.code()),
        "unexpected code {:?} (message {:?}) for input {input:?}",
        err.code(),
        err.message()
    );
    check_message(err, input);
}

/// The message half of [`check_error`].
pub fn check_message(err: &ApiError, input: &dyn Debug) {
    let message = err.message();
    assert!(
        message.len() < MAX_MESSAGE_BYTES,
        "message of {} bytes for input {input:?}: {message:?}",
        message.len()
    );
    assert!(
        !message.chars().any(char::is_control),
        "raw control character in message {message:?} for input {input:?}"
    );

    let envelope: serde_json::Value =
        serde_json::from_slice(&err.to_json(*TARGET)).expect("the envelope is JSON");
    let inner = envelope["error"].as_object().expect("an `error` object");
    assert_eq!(inner.len(), 3, "{envelope}");
    assert_eq!(inner["code"], err.code().as_str(), "{envelope}");
    assert_eq!(inner["message"], message, "{envelope}");
}
