//! Reading a Defender error on the client side.
//!
//! [`ErrorResponse`] is the envelope as a client receives it, in a form
//! `serde` can read: the code is parsed into an [`ErrorCode`] when it is one
//! this crate knows, and kept as text when it is not (a newer server may
//! send codes this version has never heard of), so reading an error never
//! fails on its code.
//!
//! ```
//! use defender_errors::client::{ErrorResponse, ReceivedCode};
//! use defender_errors::ErrorCode;
//!
//! let body = br#"{"error":{"code":"ResourceNotFound","message":"Machine 123 was not found","target":"43f4cb08-8fac-4b65-9db1-745c2ae65f3a"}}"#;
//! let error: ErrorResponse = serde_json::from_slice(body).unwrap();
//! assert_eq!(error.code(), Some(ErrorCode::ResourceNotFound));
//! assert_eq!(error.error.message, "Machine 123 was not found");
//! assert!(error.tracking_id().is_some());
//!
//! let newer = br#"{"error":{"code":"QuotaExhausted","message":"","target":"43f4cb08-8fac-4b65-9db1-745c2ae65f3a"}}"#;
//! let error: ErrorResponse = serde_json::from_slice(newer).unwrap();
//! assert_eq!(error.error.code, ReceivedCode::Unknown("QuotaExhausted".to_owned()));
//! assert_eq!(error.code(), None);
//! ```

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ErrorCode;

/// A Defender error response body: `{"error": {"code", "message", "target"}}`.
///
/// See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The one member of the envelope.
    pub error: ErrorDetail,
}

/// The inside of the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// The error code.
    pub code: ReceivedCode,
    /// The human-readable message (empty for `InternalServerError`).
    #[serde(default)]
    pub message: String,
    /// The request's tracking id, the value to quote to support. Kept as
    /// sent; [`ErrorResponse::tracking_id`] parses it.
    #[serde(default)]
    pub target: String,
}

impl ErrorResponse {
    /// The code, when it is one this crate knows.
    pub fn code(&self) -> Option<ErrorCode> {
        self.error.code.known()
    }

    /// The tracking id, when `target` is a UUID (it always is when the
    /// server runs this crate's layer).
    pub fn tracking_id(&self) -> Option<uuid::Uuid> {
        uuid::Uuid::try_parse(&self.error.target).ok()
    }
}

/// An error code as received: known to this crate, or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReceivedCode {
    /// A code of the [`ErrorCode`] table.
    Known(ErrorCode),
    /// A code this version does not know, exactly as it was sent.
    Unknown(String),
}

impl ReceivedCode {
    /// The code, when it is one this crate knows.
    pub fn known(&self) -> Option<ErrorCode> {
        match self {
            ReceivedCode::Known(code) => Some(*code),
            ReceivedCode::Unknown(_) => None,
        }
    }

    /// The code as it is spelled on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            ReceivedCode::Known(code) => code.as_str(),
            ReceivedCode::Unknown(text) => text,
        }
    }
}

impl From<ErrorCode> for ReceivedCode {
    fn from(code: ErrorCode) -> Self {
        ReceivedCode::Known(code)
    }
}

impl From<&str> for ReceivedCode {
    fn from(text: &str) -> Self {
        match text.parse() {
            Ok(code) => ReceivedCode::Known(code),
            Err(_) => ReceivedCode::Unknown(text.to_owned()),
        }
    }
}

impl fmt::Display for ReceivedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ReceivedCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ReceivedCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <Cow<'de, str>>::deserialize(deserializer)?;
        Ok(ReceivedCode::from(&*text))
    }
}
