//! JSON bodies with case-sensitive parameter names and one precise error
//! per problem.
//!
//! [`from_slice`] is the whole algorithm and works without axum; the
//! [`Json`] extractor adds the `Content-Type` check and reading the body.
//!
//! The fast path is serde_json over the case [`Guard`](super::guard): on a
//! valid body that is the only work done. Only when it fails is the body
//! read again to say precisely what is wrong.

use serde::de::DeserializeOwned;

use super::diagnose::{diagnose, tracked, Input};
use super::envelope::Source;
use super::failure::Failure;
use super::foreign;
use super::guard::{Ctx, Guard, OnWrongCase};
use crate::ApiError;

/// The UTF-8 encoding of U+FEFF, which RFC 8259 lets a parser ignore at
/// the start of a JSON text.
const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

/// Deserializes a JSON body as `T`, with the crate's errors:
///
/// | problem | code |
/// |---|---|
/// | a required parameter is absent | `MissingRequiredParameter` (naming a wrong-case key if the body has one) |
/// | a key is a known parameter but for case | `InvalidRequestBody` naming both spellings |
/// | a key a `deny_unknown_fields` type does not know | `InvalidRequestBody` naming it |
/// | a duplicated parameter | `InvalidRequestBody` naming it |
/// | a value of the wrong JSON type | `InvalidInput` naming the parameter and what was expected |
/// | a typed value that fails its check ([`FileHash`](crate::FileHash), …) | the value's own code |
/// | malformed, truncated or empty JSON | `InvalidRequestBody` with line and column |
///
/// Nested parameters are named by their path: `Indicators[3].IndicatorValue`.
/// One UTF-8 byte-order mark before the JSON text is ignored (RFC 8259,
/// section 8.1); positions in messages count from after it.
///
/// ```
/// use defender_errors::{extract::from_slice, ErrorCode};
///
/// #[derive(serde::Deserialize)]
/// struct Isolate {
///     #[serde(rename = "Comment")]
///     comment: String,
/// }
///
/// let err = from_slice::<Isolate>(br#"{"comment": "isolate"}"#).err().unwrap();
/// assert_eq!(err.code(), ErrorCode::MissingRequiredParameter);
/// assert_eq!(
///     err.message(),
///     "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive."
/// );
/// ```
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let bytes = bytes.strip_prefix(BYTE_ORDER_MARK).unwrap_or(bytes);
    let ctx = Ctx::new(OnWrongCase::Fail);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match T::deserialize(Guard::new(&mut de, &ctx)) {
        Ok(value) => match de.end() {
            Ok(()) => Ok(value),
            Err(trailing) => Err(ApiError::invalid_request_body(format_args!("{trailing}."))),
        },
        Err(_) => Err(diagnose::<T, _>(&JsonInput(bytes), Source::Body)),
    }
}

pub(crate) struct JsonInput<'b>(pub(crate) &'b [u8]);

impl Input for JsonInput<'_> {
    type Error = serde_json::Error;

    fn run<'a, T: DeserializeOwned>(
        &'a self,
        ctx: &Ctx<'a>,
    ) -> Result<T, serde_path_to_error::Error<serde_json::Error>> {
        let mut de = serde_json::Deserializer::from_slice(self.0);
        tracked(&mut de, ctx)
    }

    fn message(error: &serde_json::Error) -> Result<String, Failure> {
        match error.classify() {
            serde_json::error::Category::Data => Ok(foreign::json_message(error)),
            _ => Err(Failure::Syntax(error.to_string())),
        }
    }
}

#[cfg(feature = "axum")]
pub use self::axum_json::Json;

#[cfg(feature = "axum")]
mod axum_json {
    use axum::extract::{FromRequest, OptionalFromRequest, Request};
    use axum::response::{IntoResponse, Response};
    use bytes::Bytes;
    use http::HeaderMap;
    use serde::de::DeserializeOwned;
    use serde::Serialize;

    use crate::ApiError;

    /// A JSON body, drop-in for `axum::Json`, whose rejection is an
    /// [`ApiError`] from [`from_slice`](super::from_slice).
    ///
    /// A missing or non-JSON `Content-Type` is 415 `UnsupportedMediaType`;
    /// a body over the router's `DefaultBodyLimit` is 413
    /// `PayloadTooLarge`. As a response it serializes like `axum::Json`.
    ///
    /// ```
    /// use defender_errors::extract::Json;
    ///
    /// #[derive(serde::Deserialize)]
    /// #[serde(rename_all = "PascalCase")]
    /// struct Isolate {
    ///     comment: String,
    ///     isolation_type: Option<String>,
    /// }
    ///
    /// async fn isolate(Json(body): Json<Isolate>) -> String {
    ///     body.comment
    /// }
    /// # let _ = axum::Router::<()>::new().route("/", axum::routing::post(isolate));
    /// ```
    #[derive(Debug, Clone, Copy, Default)]
    #[must_use]
    pub struct Json<T>(pub T);

    impl<T, S> FromRequest<S> for Json<T>
    where
        T: DeserializeOwned,
        S: Send + Sync,
    {
        type Rejection = ApiError;

        async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
            if !is_json(req.headers()) {
                return Err(super::super::unsupported_media_type("application/json"));
            }
            if !super::super::is_utf8(req.headers()) {
                return Err(super::super::unsupported_charset("application/json"));
            }
            let bytes = Bytes::from_request(req, state).await?;
            super::from_slice(&bytes).map(Json)
        }
    }

    /// `Option<Json<T>>`, as axum's: `None` when the request has no
    /// `Content-Type` (no body was sent); with one, it must be JSON (else
    /// 415) and the body must be a valid `T` (else the precise
    /// [`ApiError`]), exactly as for `Json<T>`.
    impl<T, S> OptionalFromRequest<S> for Json<T>
    where
        T: DeserializeOwned,
        S: Send + Sync,
    {
        type Rejection = ApiError;

        async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
            if req.headers().contains_key(http::header::CONTENT_TYPE) {
                <Self as FromRequest<S>>::from_request(req, state)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        }
    }

    /// `application/json` or `application/<anything>+json`, any parameters.
    fn is_json(headers: &HeaderMap) -> bool {
        let Some((kind, subtype)) = super::super::media_type(headers) else {
            return false;
        };
        let suffix = subtype
            .len()
            .checked_sub(5)
            .and_then(|at| subtype.get(at..));
        kind.eq_ignore_ascii_case("application")
            && (subtype.eq_ignore_ascii_case("json")
                || suffix.is_some_and(|s| s.eq_ignore_ascii_case("+json")))
    }

    impl<T: Serialize> IntoResponse for Json<T> {
        fn into_response(self) -> Response {
            axum::Json(self.0).into_response()
        }
    }

    super::super::deref_and_from!(Json);
}
