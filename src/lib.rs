//! Microsoft-Defender-style error responses for tower and axum servers.
//!
//! Every error a server sends (a handler's failure, a rejected extractor, an
//! unmatched route, a timeout, a panic) leaves as the Defender REST API
//! envelope, with the documented status and a tracking id that also appears
//! in the response header `x-ms-request-id` and on the request's tracing
//! span:
//!
//! ```json
//! {"error": {"code": "ResourceNotFound", "message": "Machine 123 was not found", "target": "43f4cb08-8fac-4b65-9db1-745c2ae65f3a"}}
//! ```
//!
//! # Quick start
//!
#![cfg_attr(feature = "axum", doc = "```no_run")]
#![cfg_attr(not(feature = "axum"), doc = "```ignore")]
//! use axum::{extract::Path, routing::get, Router};
//! use defender_errors::{echo, ApiError, DefenderErrorLayer, TrackingId};
//!
//! async fn machine(Path(id): Path<String>, tracking: TrackingId) -> Result<String, ApiError> {
//!     // `id` is client input, percent-decoded (`%0A` is a line break): log it
//!     // as a field, escaped with `echo` (or `?id`), never inside the text.
//!     tracing::info!(id = %echo(&id), "looking up machine"); // carries `target = <tracking>`
//!     Err(ApiError::entity_not_found("Machine", &id)) // escapes `id` itself
//! }
//!
//! # #[tokio::main] async fn main() {
//! let app = Router::new()
//!     .route("/api/machines/{id}", get(machine))
//!     .layer(DefenderErrorLayer::new());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await.unwrap();
//! axum::serve(listener, app).await.unwrap();
//! # }
//! ```
//!
//! # The parts
//!
//! - [`ErrorCode`]: the code table, each code with its status and spelling.
//! - [`ApiError`]: one error response, with a constructor per message
//!   template.
//! - [`DefenderErrorLayer`]: the tower middleware; see the [`layer`] module.
//! - [`TrackingId`]: the per-request id, made by a [`MakeTrackingId`] or
//!   adopted from a configured [`IdSource`].
//! - Typed values that answer with their own code when they fail their
//!   check: [`FileHash`], [`DomainName`], [`IpAddress`], [`HttpUrl`] and
//!   [`Batch`]; see the [`value`] module.
//! - [`client::ErrorResponse`]: an error as a client reads it.
//! - The `openapi` module (feature `utoipa`): the envelope's schema and each
//!   operation's error responses for an OpenAPI document.
//!
//! # Feature flags
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `axum` | yes | `IntoResponse` for [`ApiError`], the [`TrackingId`] extractor, [`Passthrough`] as response parts |
//! | `tower-http` | yes | `trace::MakeRequestSpan` for `TraceLayer`; adopting tower-http's `RequestId` (opt-in) |
//! | `opentelemetry` | no | the tracking id is the OpenTelemetry trace id (see `otel`) |
//! | `utoipa` | no | OpenAPI schemas of the envelope and per-operation error responses: the `openapi` module |
//!
//! Without `axum` the layer works around any `Service<http::Request<B>>`
//! (a hyper `service_fn`, for example) and [`ApiError`] converts into an
//! `http::Response` with [`ApiError::into_http_response`].
#![cfg_attr(docsrs, feature(doc_cfg))]

/// `get_ref`, `get_mut` and `into_inner` for a middleware service whose
/// inner service is the field `inner`.
macro_rules! inner_service_accessors {
    () => {
        /// The inner service.
        pub fn get_ref(&self) -> &S {
            &self.inner
        }

        /// The inner service, mutably.
        pub fn get_mut(&mut self) -> &mut S {
            &mut self.inner
        }

        /// Consumes `self`, returning the inner service.
        pub fn into_inner(self) -> S {
            self.inner
        }
    };
}

pub mod client;
mod code;
mod error;
pub mod extract;
pub mod head;
pub mod layer;
#[cfg(feature = "utoipa")]
#[cfg_attr(docsrs, doc(cfg(feature = "utoipa")))]
pub mod openapi;
#[cfg(feature = "opentelemetry")]
#[cfg_attr(docsrs, doc(cfg(feature = "opentelemetry")))]
pub mod otel;
#[cfg(feature = "tower-http")]
#[cfg_attr(docsrs, doc(cfg(feature = "tower-http")))]
pub mod trace;
mod tracking;
pub mod value;

pub use self::code::{ErrorCode, UnknownErrorCode};
pub use self::error::{echo, ApiError, ERROR_CODE_HEADER, MAX_ECHO_CHARS};
pub use self::head::RequestHeadLayer;
pub use self::layer::{DefenderErrorLayer, Passthrough};
pub use self::tracking::{
    IdSource, MakeTrackingId, MakeUuidV4, TrackingId, CLIENT_REQUEST_ID_HEADER,
};
pub use self::value::{
    Batch, DomainName, FileHash, HashKind, HttpUrl, IpAddress, Md5Hash, Sha1Hash, Sha256Hash,
};

/// Re-exported so users need not depend on tower for the error type.
pub use tower::BoxError;

#[cfg(feature = "axum")]
mod axum_impls {
    use axum::extract::FromRequestParts;
    use http::request::Parts;

    use crate::{ApiError, TrackingId};

    /// Extracts the request's id. Without a
    /// [`DefenderErrorLayer`](crate::DefenderErrorLayer) in front the
    /// request has none: that is a server bug, answered with a 500 envelope
    /// whose cause is logged.
    impl<S: Send + Sync> FromRequestParts<S> for TrackingId {
        type Rejection = ApiError;

        async fn from_request_parts(
            parts: &mut Parts,
            _state: &S,
        ) -> Result<Self, Self::Rejection> {
            parts
                .extensions
                .get::<TrackingId>()
                .copied()
                .ok_or_else(|| {
                    ApiError::internal("TrackingId extracted without a DefenderErrorLayer in front")
                })
        }
    }
}
