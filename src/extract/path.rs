//! Path segments, drop-in for `axum::extract::Path`, with typed values
//! reporting their own codes.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Path parameters, whose rejection is an [`ApiError`]: a typed value that
/// fails its check reports its own code (`/files/xyz` with a
/// [`FileHash`](crate::FileHash) segment is `InvalidHashValue`), a segment
/// that does not parse is `InvalidInput` naming the parameter.
///
/// ```
/// use defender_errors::{extract::Path, FileHash};
///
/// async fn file(Path(hash): Path<FileHash>) -> String {
///     hash.to_string()
/// }
/// # let _ = axum::Router::<()>::new().route("/files/{hash}", axum::routing::get(file));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match <axum::extract::Path<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
        {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::from(rejection)),
        }
    }
}

/// `Option<Path<T>>`, as axum's: `None` when the route has no parameters
/// at all, else the parameters or the same rejection as `Path<T>`.
impl<T, S> OptionalFromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send + 'static,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let path = <axum::extract::Path<T> as OptionalFromRequestParts<S>>::from_request_parts(
            parts, state,
        )
        .await?;
        Ok(path.map(|axum::extract::Path(value)| Path(value)))
    }
}

super::deref_and_from!(Path);
