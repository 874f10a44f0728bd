//! `From<axum rejection> for ApiError`: every rejection of axum's own
//! extractors mapped to its precise code.
//!
//! So `Result<axum::Json<T>, JsonRejection>` with `?`, and axum-extra's
//! `WithRejection<_, ApiError>`, answer in the envelope too. Where axum
//! keeps the serde error (JSON, query and form data), the message is as
//! precise as the crate's own extractors. axum keeps only the text of a
//! typed value's failed check, so a value's error is recognised by its
//! message template ("Hash value {hash} is invalid.", …) in
//! [`foreign`](super::foreign); nothing is kept between requests.

use std::error::Error as StdError;

use axum::extract::path::ErrorKind;
use axum::extract::rejection::{
    BytesRejection, ExtensionRejection, FailedToBufferBody, FailedToDeserializePathParams,
    FormRejection, JsonRejection, MatchedPathRejection, NestedPathRejection, PathRejection,
    QueryRejection, RawFormRejection, RawPathParamsRejection, StringRejection,
};
use axum::response::IntoResponse;

use super::diagnose::{failure_of, Input};
use super::envelope::{self, Source};
use super::foreign;
use super::json::JsonInput;
use super::query::UrlEncoded;
use crate::error::echo;
use crate::{ApiError, ErrorCode};

/// The serde error with its path that axum keeps as the source of a data
/// rejection.
fn tracked_source<'a, E: StdError + 'static>(
    error: &'a (dyn StdError + 'static),
) -> Option<&'a serde_path_to_error::Error<E>> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<serde_path_to_error::Error<E>>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}

/// A rejection this crate has no finer mapping for: the code of its status,
/// with axum's text as the logged cause.
fn by_status<R: IntoResponse + std::fmt::Display>(rejection: R) -> ApiError {
    let cause = rejection.to_string();
    let status = rejection.into_response().status();
    ApiError::from_code(ErrorCode::from_status(status)).with_cause(cause)
}

impl From<FailedToBufferBody> for ApiError {
    fn from(rejection: FailedToBufferBody) -> Self {
        match rejection {
            FailedToBufferBody::LengthLimitError(e) => {
                ApiError::from_code(ErrorCode::PayloadTooLarge).with_cause(e.to_string())
            }
            FailedToBufferBody::UnknownBodyError(e) => {
                ApiError::invalid_request_body("The body could not be read.")
                    .with_cause(e.to_string())
            }
            other => by_status(other),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        match rejection {
            BytesRejection::FailedToBufferBody(e) => e.into(),
            other => by_status(other),
        }
    }
}

impl From<StringRejection> for ApiError {
    fn from(rejection: StringRejection) -> Self {
        match rejection {
            StringRejection::FailedToBufferBody(e) => e.into(),
            StringRejection::InvalidUtf8(_) => {
                ApiError::invalid_request_body("The body is not valid UTF-8.")
            }
            other => by_status(other),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(ref e) => explain_json(e),
            JsonRejection::JsonSyntaxError(ref e) => explain_json(e),
            JsonRejection::MissingJsonContentType(_) => {
                super::unsupported_media_type("application/json")
            }
            JsonRejection::BytesRejection(e) => e.into(),
            other => by_status(other),
        }
    }
}

fn explain_json(rejection: &(dyn StdError + 'static)) -> ApiError {
    match tracked_source::<serde_json::Error>(rejection) {
        Some(error) => explain::<JsonInput<'static>>(error, Source::Body),
        None => ApiError::from_code(ErrorCode::InvalidRequestBody),
    }
}

fn explain_urlencoded(rejection: &(dyn StdError + 'static), source: Source) -> ApiError {
    match tracked_source::<serde::de::value::Error>(rejection) {
        Some(error) => explain::<UrlEncoded<'static>>(error, source),
        None => ApiError::from_code(ErrorCode::BadRequest),
    }
}

/// The error for a deserializer's error that axum kept with its path.
fn explain<I: Input>(error: &serde_path_to_error::Error<I::Error>, source: Source) -> ApiError {
    envelope::at(error.path(), failure_of::<I>(error.inner()), source)
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        match rejection {
            QueryRejection::FailedToDeserializeQueryString(ref e) => {
                explain_urlencoded(e, Source::Query)
            }
            other => by_status(other),
        }
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        match rejection {
            FormRejection::InvalidFormContentType(_) => {
                super::unsupported_media_type("application/x-www-form-urlencoded")
            }
            FormRejection::FailedToDeserializeForm(ref e) => explain_urlencoded(e, Source::Query),
            FormRejection::FailedToDeserializeFormBody(ref e) => {
                explain_urlencoded(e, Source::Body)
            }
            FormRejection::BytesRejection(e) => e.into(),
            other => by_status(other),
        }
    }
}

impl From<RawFormRejection> for ApiError {
    fn from(rejection: RawFormRejection) -> Self {
        match rejection {
            RawFormRejection::BytesRejection(e) => e.into(),
            other => by_status(other),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        match rejection {
            PathRejection::FailedToDeserializePathParams(e) => e.into(),
            other => by_status(other),
        }
    }
}

impl From<FailedToDeserializePathParams> for ApiError {
    fn from(rejection: FailedToDeserializePathParams) -> Self {
        let cause = rejection.body_text();
        let error = match rejection.into_kind() {
            ErrorKind::ParseErrorAtKey { key, value, .. } => invalid_segment(Some(&key), &value),
            ErrorKind::ParseErrorAtIndex { value, .. } | ErrorKind::ParseError { value, .. } => {
                invalid_segment(None, &value)
            }
            ErrorKind::InvalidUtf8InPathParam { key } => ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "Invalid input {}: the segment is not valid UTF-8.",
                    echo(&key)
                ),
            ),
            ErrorKind::DeserializeError {
                key,
                value,
                message,
            } => foreign::value_error(&message)
                .unwrap_or_else(|| invalid_segment(Some(&key), &value)),
            ErrorKind::Message(message) => foreign::value_error(&message)
                .unwrap_or_else(|| ApiError::from_code(ErrorCode::BadRequest)),
            // The route and the handler's type disagree: a server bug.
            ErrorKind::WrongNumberOfParameters { .. } | ErrorKind::UnsupportedType { .. } => {
                ApiError::internal(cause.clone())
            }
            _ => ApiError::from_code(ErrorCode::BadRequest),
        };
        error.with_cause(cause)
    }
}

fn invalid_segment(key: Option<&str>, value: &str) -> ApiError {
    match key {
        Some(key) => ApiError::new(
            ErrorCode::InvalidInput,
            format!("Invalid input {} for parameter {}.", echo(value), echo(key)),
        ),
        None => ApiError::invalid_input(value),
    }
}

impl From<RawPathParamsRejection> for ApiError {
    fn from(rejection: RawPathParamsRejection) -> Self {
        match rejection {
            RawPathParamsRejection::InvalidUtf8InPathParam(e) => ApiError::new(
                ErrorCode::InvalidInput,
                "Invalid input: a path segment is not valid UTF-8.",
            )
            .with_cause(e.to_string()),
            other => by_status(other),
        }
    }
}

impl From<ExtensionRejection> for ApiError {
    fn from(rejection: ExtensionRejection) -> Self {
        // A missing extension is a server bug, never the client's.
        ApiError::internal(rejection.to_string())
    }
}

impl From<MatchedPathRejection> for ApiError {
    fn from(rejection: MatchedPathRejection) -> Self {
        ApiError::internal(rejection.to_string())
    }
}

impl From<NestedPathRejection> for ApiError {
    fn from(rejection: NestedPathRejection) -> Self {
        ApiError::internal(rejection.to_string())
    }
}
