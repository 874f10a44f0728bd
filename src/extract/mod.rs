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
//! # Shapes checked, and the ones serde hides
//!
//! A key that matches a struct's field only when case is ignored is never
//! dropped silently: it is refused, naming both spellings, in structs,
//! `Option`s, nested structs, sequences, maps of structs and externally or
//! adjacently tagged enums. serde reads the members of a
//! `#[serde(flatten)]` struct, and the objects of untagged and internally
//! tagged enums, into a buffer of its own before it picks the struct they
//! belong to; the extractors cannot see which keys that struct ignores.
//! Give those structs `#[serde(deny_unknown_fields)]`: a wrong-case key is
//! then refused like any unknown key. Without it, their keys are not
//! checked by case.
//!
//! ```
//! use defender_errors::{extract::from_slice, ErrorCode};
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "PascalCase", deny_unknown_fields)]
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
//! let err = from_slice::<Isolate>(br#"{"Comment": "x", "isolationType": "Full"}"#)
//!     .err()
//!     .unwrap();
//! assert_eq!(err.code(), ErrorCode::InvalidRequestBody);
//! assert_eq!(err.message(), "Invalid request body. Parameter isolationType is not known.");
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
