//! Extractors whose rejection is the envelope, with case-sensitive
//! parameter names and one precise code per problem.
//!
//! - [`Json`], [`Query`], [`Form`] and [`Path`] are drop-in replacements for
//!   axum's (with the `axum` feature); their rejection is
//!   [`ApiError`](crate::ApiError).
//! - [`from_slice`], [`from_query`] and [`from_form`] do the same work
//!   without axum.
//! - Every rejection of axum's own extractors converts into `ApiError`
//!   (`From<JsonRejection>`, `From<PathRejection>`, …), so
//!   `Result<axum::Json<T>, JsonRejection>` with `?` works too.
//!
//! Typed values ([`FileHash`](crate::FileHash),
//! [`DomainName`](crate::DomainName), …) inside a body, a query or a path
//! report their own code: `{"Sha1": "xyz"}` is `InvalidHashValue`, "Hash
//! value xyz is invalid.".
//!
//! # Shapes checked, and the ones serde buffers
//!
//! A key that matches a struct's field only when case is ignored is never
//! dropped silently. In structs, `Option`s, nested structs, sequences, maps
//! of structs and externally or adjacently tagged enums, the extractors see
//! each key a struct ignores and refuse a wrong-case one, naming both
//! spellings.
//!
//! serde reads some members into a buffer of its own before it picks the
//! type that reads them: the members a struct with `#[serde(flatten)]`
//! fields does not know itself, and every member, at any depth, of the
//! object of an untagged or internally tagged enum. Neither the members
//! that type drops nor its field names can be seen from outside serde, so
//! these *buffered members* are checked otherwise, and only when the body
//! deserialized: for each one, one more pass replaces its value alone with
//! a value no type accepts. If that pass still succeeds, nothing read the
//! member, and it is refused: `InvalidRequestBody`, "Parameter
//! isolationType is not known; parameter names are case-sensitive."
//! Rejected, never guessed; what follows from it:
//!
//! - A struct with flattened members, or a variant of an untagged or
//!   internally tagged enum, refuses *every* buffered member it does not
//!   read, not only wrong-case ones, as if it denied unknown fields.
//! - A flattened catch-all (`HashMap<String, serde_json::Value>`, or a
//!   `serde_json::Value` field of a struct with flattened members) reads
//!   every member it holds: accepted. Map fields and `serde_json::Value`
//!   fields elsewhere are not probed at all.
//! - An untagged enum whose body two variants accept, the first reading a
//!   member the later one ignores, is refused: which variant serde kept
//!   cannot be seen. Give the later variants `deny_unknown_fields`.
//! - A field that takes any value without reading it
//!   ([`IgnoredAny`](serde::de::IgnoredAny), a type that accepts raw
//!   bytes) looks like a dropped member: refused.
//! - The cost is one more deserialization of the body per buffered member,
//!   on success only; bodies without buffered members pay nothing. More
//!   than 64 buffered members, or more than 4 MiB to read in all (so fewer
//!   members in a body over 64 KiB), is refused before any probe, as
//!   `InvalidRequestBody`.
//!
//! [`Query`] and [`Form`] (and [`from_query`], [`from_form`]) do the same.
//!
//! ```
//! use defender_errors::{extract::from_slice, ErrorCode};
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! struct Isolate {
//!     comment: String,
//!     #[serde(flatten)]
//!     options: Options,
//! }
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! struct Options {
//!     isolation_type: Option<String>,
//! }
//!
//! let ok = from_slice::<Isolate>(br#"{"Comment": "x", "IsolationType": "Full"}"#).unwrap();
//! assert_eq!(ok.options.isolation_type.as_deref(), Some("Full"));
//!
//! let err = from_slice::<Isolate>(br#"{"Comment": "x", "isolationType": "Full"}"#)
//!     .err()
//!     .unwrap();
//! assert_eq!(err.code(), ErrorCode::InvalidRequestBody);
//! assert_eq!(
//!     err.message(),
//!     "Invalid request body. Parameter isolationType is not known; \
//!      parameter names are case-sensitive."
//! );
//! ```
//!
//! # Example
//!
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{routing::post, Router};
//! use defender_errors::extract::Json;
//! use defender_errors::DefenderErrorLayer;
//! use http::Request;
//! use http_body_util::BodyExt;
//! use tower::ServiceExt;
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! struct Isolate {
//!     comment: String,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let app = Router::new()
//!     .route("/isolate", post(|Json(body): Json<Isolate>| async move { body.comment }))
//!     .layer(DefenderErrorLayer::new());
//!
//! let request = Request::post("/isolate")
//!     .header("content-type", "application/json")
//!     .body(axum::body::Body::from(r#"{"comment": "isolate"}"#))
//!     .unwrap();
//! let response = app.oneshot(request).await.unwrap();
//! assert_eq!(response.status(), 400);
//! assert_eq!(response.headers()["x-ms-error-code"], "MissingRequiredParameter");
//! # }
//! ```

mod diagnose;
mod guard;
mod json;
#[cfg(feature = "axum")]
mod path;
mod query;
#[cfg(feature = "axum")]
mod rejection;

pub use self::json::from_slice;
#[cfg(feature = "axum")]
pub use self::json::Json;
#[cfg(feature = "axum")]
pub use self::path::Path;
pub use self::query::{from_form, from_query};
#[cfg(feature = "axum")]
pub use self::query::{Form, Query};

/// `Deref`, `DerefMut` and `From<T>` for an extractor `$name<T>(pub T)`,
/// as axum's extractors have them.
#[cfg(feature = "axum")]
macro_rules! deref_and_from {
    ($name:ident) => {
        impl<T> std::ops::Deref for $name<T> {
            type Target = T;

            fn deref(&self) -> &T {
                &self.0
            }
        }

        impl<T> std::ops::DerefMut for $name<T> {
            fn deref_mut(&mut self) -> &mut T {
                &mut self.0
            }
        }

        impl<T> From<T> for $name<T> {
            fn from(value: T) -> Self {
                $name(value)
            }
        }
    };
}
#[cfg(feature = "axum")]
use deref_and_from;

/// The `type` and `subtype` of the request's `Content-Type`, without
/// parameters.
#[cfg(feature = "axum")]
fn media_type(headers: &http::HeaderMap) -> Option<(&str, &str)> {
    let value = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next()?.trim();
    essence.split_once('/')
}

/// 415 `UnsupportedMediaType`, naming the type the extractor reads.
#[cfg(feature = "axum")]
fn unsupported_media_type(expected: &str) -> crate::ApiError {
    crate::ApiError::new(
        crate::ErrorCode::UnsupportedMediaType,
        format!("The request content type is not supported. Use Content-Type: {expected}."),
    )
}
