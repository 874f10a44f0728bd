//! The second pass over an input that failed: which parameter, and which
//! failure.
//!
//! The success path never comes here. On failure the input is read again
//! with [`serde_path_to_error`] around the case [`Guard`], tolerating
//! wrong-case keys until the end of their struct, so the error knows the
//! parameter's path (`Indicators[3].IndicatorValue`) and what the guard saw.
//! The failure itself is a [`Failure`]: the one the guard raised, or the
//! wrapped deserializer's text read back by [`foreign`](super::foreign).
//! [`envelope`](super::envelope) makes the [`ApiError`] of it.

use serde::de::DeserializeOwned;

use super::envelope::{self, Source};
use super::failure::Failure;
use super::foreign;
use super::guard::{Ctx, Guard, OnWrongCase};
use crate::ApiError;

/// Deserializes `T` from some input, again, to explain a failure.
pub(crate) trait Input {
    /// The deserializer's error.
    type Error: std::error::Error;

    /// One guarded, path-tracked deserialization of the whole input.
    fn run<'a, T: DeserializeOwned>(
        &'a self,
        ctx: &Ctx<'a>,
    ) -> Result<T, serde_path_to_error::Error<Self::Error>>;

    /// The error's message without any position, or, for an input that
    /// is not well-formed, the [`Failure::Syntax`] it is.
    fn message(error: &Self::Error) -> Result<String, Failure>;
}

/// The failure an error of the wrapped deserializer says, read from its
/// text: for errors the guard did not raise (axum's rejections keep the
/// deserializer's error; a sequence or map visitor, such as
/// [`Batch`](crate::Batch)'s, fails with the wrapped deserializer's own
/// error type, which keeps only text).
#[cfg(feature = "axum")]
pub(crate) fn failure_of<I: Input>(error: &I::Error) -> Failure {
    match I::message(error) {
        Ok(message) => from_text(&message),
        Err(syntax) => syntax,
    }
}

fn from_text(message: &str) -> Failure {
    match foreign::value_error(message) {
        Some(error) => Failure::Value(error),
        None => foreign::serde_message(message),
    }
}

/// The precise error for an input that failed to deserialize as `T`.
///
/// One more pass over the input, tracking the path and tolerating
/// wrong-case keys until the end of their struct (see
/// [`OnWrongCase::Tolerate`]), so the failure path reads the input twice in
/// all.
#[cold]
pub(crate) fn diagnose<T: DeserializeOwned, I: Input>(input: &I, source: Source) -> ApiError {
    let ctx = Ctx::new(OnWrongCase::Tolerate);
    let error = match input.run::<T>(&ctx) {
        Ok(_) => return ApiError::from_code(crate::ErrorCode::InvalidRequestBody),
        Err(error) => error,
    };
    let failure = explain::<I>(&ctx, error.inner());
    envelope::of(error.path(), ctx.finding(), failure, source)
}

/// The failure an error of the wrapped deserializer stands for: the one
/// the guard raised and lowered into it, or the error's own.
fn explain<I: Input>(ctx: &Ctx<'_>, error: &I::Error) -> Failure {
    match I::message(error) {
        Ok(message) => match ctx.take_raised(&message) {
            Some(raised) => *raised,
            None => from_text(&message),
        },
        Err(syntax) => syntax,
    }
}

/// Runs `T`'s deserialization from a guarded deserializer, tracking the path.
pub(crate) fn tracked<'de, D, T>(
    de: D,
    ctx: &Ctx<'de>,
) -> Result<T, serde_path_to_error::Error<D::Error>>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde_path_to_error::deserialize(Guard::new(de, ctx))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::extract::json::JsonInput;
    use crate::extract::query::UrlEncoded;
    use crate::ErrorCode;

    #[derive(Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    #[allow(dead_code)]
    struct Body {
        comment: String,
        sha1: Option<crate::Sha1Hash>,
        tags: Option<crate::Batch<String, 1>>,
    }

    fn body(json: &str) -> ApiError {
        diagnose::<Body, _>(&JsonInput(json.as_bytes()), Source::Body)
    }

    #[test]
    fn a_raised_failure_is_taken_back_and_a_texts_failure_is_read() {
        // Raised through the guard: the value's own error.
        let error = body(r#"{"Comment": "x", "Sha1": "xyz"}"#);
        assert_eq!(error.code(), ErrorCode::InvalidHashValue);
        // Raised by a sequence's visitor with serde_json's error type:
        // read back from the text.
        let error = body(r#"{"Comment": "x", "Tags": ["a", "b"]}"#);
        assert_eq!(error.code(), ErrorCode::MaximumBatchSizeExceeded);
        // serde_json's own, a syntax error, keeps its position.
        let error = body(r#"{"Comment": "x""#);
        assert_eq!(
            error.message(),
            "Invalid request body. EOF while parsing an object at line 1 column 15."
        );
    }

    #[test]
    fn a_query_names_its_problems_as_a_query() {
        let error = diagnose::<Body, _>(&UrlEncoded(b"comment=x"), Source::Query);
        assert_eq!(error.code(), ErrorCode::MissingRequiredParameter);
        assert_eq!(
            error.message(),
            "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive."
        );
    }
}
