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
//! # Shapes: what is checked, and where serde hides the names
//!
//! A key that matches a declared name only when case is ignored is never
//! taken silently where the extractors can see the names; where serde
//! hides them, this says so. Nothing is guessed and no input is read twice
//! on success.
//!
//! | shape | a wrong-case key (`isolationType` for `IsolationType`) | any other unknown key |
//! |---|---|---|
//! | a struct, at any depth: in an `Option`, a `Vec`, a map's values, an externally or adjacently tagged enum | refused, naming both spellings | ignored, as serde does |
//! | the same with `#[serde(deny_unknown_fields)]` | refused, naming both spellings | refused, naming it |
//! | a struct with `#[serde(flatten)]` members and `deny_unknown_fields` | refused, naming it | refused, naming it |
//! | a struct with flattened members and a [`Rest<N>`](Rest) catch-all | refused, naming both spellings (any name in [`Declared::NAMES`]) | kept in the `Rest` |
//! | a struct with flattened members and neither | **not detected**: serde drops it | ignored |
//! | the same with a `HashMap` or `serde_json::Value` catch-all | **not detected**: the map takes it | kept in the map |
//! | a variant of an untagged or internally tagged enum | as for a struct with flattened members: use `deny_unknown_fields` or a `Rest<N>` in the variant | |
//! | a map's own keys, `serde_json::Value` | any key is a value, none is checked | |
//!
//! Why: serde reads the members a struct with flattened fields does not
//! declare itself, and the objects of untagged and internally tagged enums,
//! into a buffer of its own, then lets the chosen type read them with its
//! private deserializers. The names that type declares, and which members
//! it read, never reach the deserializer the extractors wrap; a struct with
//! flattened fields is read as a map, without its own names either.
//!
//! Also as serde does: a flattened `Option<T>` is `None` when the members
//! do not make a `T`, so a valid body for it (`{"Comment": "x", "Level":
//! 3}`) is accepted, and an invalid one leaves it `None` without an error.
//!
//! [`Query`] and [`Form`] (and [`from_query`], [`from_form`]) do the same.
//!
//! ```
//! use defender_errors::extract::{from_slice, Declared, Rest};
//! use defender_errors::ErrorCode;
//!
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "PascalCase")]
//! struct Isolate {
//!     comment: String,
//!     #[serde(flatten)]
//!     options: Options,
//!     #[serde(flatten)]
//!     rest: Rest<Isolate>,
//! }
//!
//! impl Declared for Isolate {
//!     const NAMES: &'static [&'static str] = &["Comment", "IsolationType"];
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
//!     "Invalid request body. Parameter isolationType is not known. \
//!      Did you mean IsolationType? Parameter names are case-sensitive."
//! );
//! ```
//!
//! # Charset
//!
//! Bodies are read as UTF-8. [`Json`] and [`Form`] answer 415
//! `UnsupportedMediaType` to a `charset` parameter naming anything else;
//! one UTF-8 byte-order mark before a JSON text is ignored, as RFC 8259
//! allows.
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
mod envelope;
mod failure;
pub(crate) mod foreign;
mod guard;
mod json;
#[cfg(feature = "axum")]
mod path;
mod query;
#[cfg(feature = "axum")]
mod rejection;
mod rest;

pub use self::json::from_slice;
#[cfg(feature = "axum")]
pub use self::json::Json;
#[cfg(feature = "axum")]
pub use self::path::Path;
pub use self::query::{from_form, from_query};
#[cfg(feature = "axum")]
pub use self::query::{Form, Query};
pub use self::rest::{Declared, Rest};

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

/// Whether the request's `Content-Type` allows reading its body as UTF-8:
/// no `charset` parameter, or `utf-8` (any case, quoted or not).
#[cfg(feature = "axum")]
fn is_utf8(headers: &http::HeaderMap) -> bool {
    let Some(value) = headers.get(http::header::CONTENT_TYPE) else {
        return true;
    };
    let bytes = value.as_bytes();
    let Some(at) = bytes.iter().position(|&b| b == b';') else {
        // No parameters, the common case.
        return true;
    };
    let Ok(parameters) = std::str::from_utf8(&bytes[at..]) else {
        return false;
    };
    parameters.split(';').skip(1).all(|parameter| {
        let Some((name, charset)) = parameter.split_once('=') else {
            return true;
        };
        if !name.trim().eq_ignore_ascii_case("charset") {
            return true;
        }
        let charset = charset.trim();
        let charset = charset
            .strip_prefix('"')
            .and_then(|c| c.strip_suffix('"'))
            .unwrap_or(charset);
        charset.eq_ignore_ascii_case("utf-8")
    })
}

/// 415 `UnsupportedMediaType` for a body in a charset other than UTF-8.
#[cfg(feature = "axum")]
fn unsupported_charset(expected: &str) -> crate::ApiError {
    crate::ApiError::new(
        crate::ErrorCode::UnsupportedMediaType,
        format!(
            "The request content type is not supported: the body must be UTF-8. \
             Use Content-Type: {expected}."
        ),
    )
}

/// 415 `UnsupportedMediaType`, naming the type the extractor reads.
#[cfg(feature = "axum")]
fn unsupported_media_type(expected: &str) -> crate::ApiError {
    crate::ApiError::new(
        crate::ErrorCode::UnsupportedMediaType,
        format!("The request content type is not supported. Use Content-Type: {expected}."),
    )
}
