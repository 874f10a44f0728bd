//! Helpers shared by the example server's tests: a reply read back from the
//! server and the envelope checks made on it.
#![allow(dead_code, unreachable_pub)]

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use serde_json::Value;

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// The `x-ms-request-id` header.
    pub fn request_id(&self) -> &str {
        self.header("x-ms-request-id")
    }

    /// Asserts that this is the envelope with `status`, `code` and
    /// `message`, that `target` equals the `x-ms-request-id` header, that
    /// `x-ms-error-code` equals `code`, and that the body is exactly the
    /// three members in order. Returns the target.
    pub fn assert_envelope(&self, status: u16, code: &str, message: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "status of {:?}", self.body);
        assert_eq!(
            self.header("content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(self.header("x-ms-error-code"), code);
        let target = self.request_id().to_owned();
        assert_uuid(&target);
        let expected =
            serde_json::json!({"error": {"code": code, "message": message, "target": target}});
        assert_eq!(
            std::str::from_utf8(&self.body).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "exact envelope"
        );
        target
    }
}

/// Asserts `s` is a lower-case hyphenated UUID.
pub fn assert_uuid(s: &str) {
    let parsed = uuid::Uuid::parse_str(s).unwrap_or_else(|_| panic!("not a UUID: {s}"));
    assert_eq!(parsed.hyphenated().to_string(), s, "lower-case hyphenated");
}
