//! Query strings and URL-encoded forms with case-sensitive parameter names.
//!
//! The same fast path and diagnosis as JSON bodies, over
//! `serde_urlencoded`: a missing parameter is `MissingRequiredParameter`, a
//! value that does not parse is `InvalidInput` naming the parameter, a typed
//! value reports its own code.

use serde::de::DeserializeOwned;

use super::diagnose::{diagnose, tracked, Input};
use super::envelope::Source;
use super::failure::Failure;
use super::guard::{Ctx, Guard, OnWrongCase};
use crate::ApiError;

/// Deserializes a query string (without the `?`) as `T`.
///
/// ```
/// use defender_errors::{extract::from_query, ErrorCode};
///
/// #[derive(serde::Deserialize)]
/// struct Paging {
///     top: u32,
/// }
///
/// assert_eq!(from_query::<Paging>("top=5").unwrap().top, 5);
/// let err = from_query::<Paging>("top=many").err().unwrap();
/// assert_eq!(err.code(), ErrorCode::InvalidInput);
/// assert_eq!(err.message(), "Invalid input top: invalid digit found in string.");
/// ```
pub fn from_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    from_urlencoded(query.as_bytes(), Source::Query)
}

/// Deserializes an `application/x-www-form-urlencoded` body as `T`.
pub fn from_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    from_urlencoded(body, Source::Body)
}

fn from_urlencoded<T: DeserializeOwned>(bytes: &[u8], source: Source) -> Result<T, ApiError> {
    let ctx = Ctx::new(OnWrongCase::Fail);
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(bytes));
    match T::deserialize(Guard::new(de, &ctx)) {
        Ok(value) => Ok(value),
        Err(_) => Err(diagnose::<T, _>(&UrlEncoded(bytes), source)),
    }
}

pub(crate) struct UrlEncoded<'b>(pub(crate) &'b [u8]);

impl Input for UrlEncoded<'_> {
    type Error = serde::de::value::Error;

    fn run<'a, T: DeserializeOwned>(
        &'a self,
        ctx: &Ctx<'a>,
    ) -> Result<T, serde_path_to_error::Error<Self::Error>> {
        let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(self.0));
        tracked(de, ctx)
    }

    fn message(error: &Self::Error) -> Result<String, Failure> {
        // Every byte string is some form; only the values can be wrong.
        Ok(error.to_string())
    }
}

#[cfg(feature = "axum")]
pub use self::axum_query::{Form, Query};

#[cfg(feature = "axum")]
mod axum_query {
    use axum::extract::{FromRequest, FromRequestParts, Request};
    use axum::response::{IntoResponse, Response};
    use bytes::Bytes;
    use http::request::Parts;
    use serde::de::DeserializeOwned;

    use crate::ApiError;

    /// The query string, drop-in for `axum::extract::Query`, whose
    /// rejection is an [`ApiError`] (see [`from_query`](super::from_query)).
    ///
    /// ```
    /// use defender_errors::extract::Query;
    ///
    /// #[derive(serde::Deserialize)]
    /// struct Paging {
    ///     top: Option<u32>,
    /// }
    ///
    /// async fn list(Query(paging): Query<Paging>) -> String {
    ///     format!("{:?}", paging.top)
    /// }
    /// # let _ = axum::Router::<()>::new().route("/", axum::routing::get(list));
    /// ```
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Query<T>(pub T);

    impl<T, S> FromRequestParts<S> for Query<T>
    where
        T: DeserializeOwned,
        S: Send + Sync,
    {
        type Rejection = ApiError;

        async fn from_request_parts(
            parts: &mut Parts,
            _state: &S,
        ) -> Result<Self, Self::Rejection> {
            super::from_query(parts.uri.query().unwrap_or_default()).map(Query)
        }
    }

    /// A URL-encoded form body, drop-in for `axum::Form` on requests with a
    /// body, whose rejection is an [`ApiError`] (see
    /// [`from_form`](super::from_form)). A missing or other `Content-Type`
    /// is 415 `UnsupportedMediaType`.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct Form<T>(pub T);

    impl<T, S> FromRequest<S> for Form<T>
    where
        T: DeserializeOwned,
        S: Send + Sync,
    {
        type Rejection = ApiError;

        async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
            let is_form = super::super::media_type(req.headers()).is_some_and(|(kind, subtype)| {
                kind.eq_ignore_ascii_case("application")
                    && subtype.eq_ignore_ascii_case("x-www-form-urlencoded")
            });
            if !is_form {
                return Err(super::super::unsupported_media_type(
                    "application/x-www-form-urlencoded",
                ));
            }
            if !super::super::is_utf8(req.headers()) {
                return Err(super::super::unsupported_charset(
                    "application/x-www-form-urlencoded",
                ));
            }
            let bytes = Bytes::from_request(req, state).await?;
            super::from_form(&bytes).map(Form)
        }
    }

    super::super::deref_and_from!(Query);
    super::super::deref_and_from!(Form);

    /// As a response, the value as a URL-encoded form, like `axum::Form`.
    impl<T: serde::Serialize> IntoResponse for Form<T> {
        fn into_response(self) -> Response {
            axum::Form(self.0).into_response()
        }
    }
}
