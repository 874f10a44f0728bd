//! Turns a failed deserialization into the precise [`ApiError`]: which
//! parameter, which code, what was expected.
//!
//! The success path never comes here. On failure the input is read again
//! with [`serde_path_to_error`] around the case [`Guard`], so the error
//! knows the parameter's path (`Indicators[3].IndicatorValue`) and what the
//! guard saw. serde's errors carry text only; the standard messages of
//! `serde::de::Error` (`missing field`, `invalid type`, …) are recognised by
//! their fixed prefixes, which the tests pin.

use std::fmt::Write as _;

use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

use super::guard::{Ctx, Finding, Guard, OnWrongCase};
use crate::error::{echo, take_value_error};
use crate::{ApiError, ErrorCode};

/// Where the input came from: a body names its problems differently from a
/// query string.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Body,
    Query,
}

/// Deserializes `T` from some input, as often as asked.
pub(crate) trait Input {
    /// The deserializer's error.
    type Error: std::error::Error;

    /// One guarded, path-tracked deserialization of the whole input.
    fn run<'a, T: DeserializeOwned>(
        &'a self,
        ctx: &Ctx<'a>,
    ) -> Result<T, serde_path_to_error::Error<Self::Error>>;

    /// The error as a syntax error of the input (`None` for a data error).
    fn syntax_error(error: &Self::Error) -> Option<String>;

    /// The error's message without any position.
    fn data_message(error: &Self::Error) -> String;
}

/// The precise error for an input that failed to deserialize as `T`.
#[cold]
pub(crate) fn diagnose<T: DeserializeOwned, I: Input>(input: &I, source: Source) -> ApiError {
    take_value_error();
    let ctx = Ctx::new(OnWrongCase::Fail);
    let error = match input.run::<T>(&ctx) {
        Ok(_) => return ApiError::from_code(ErrorCode::InvalidRequestBody),
        Err(error) => error,
    };
    if let Some(value_error) = take_value_error() {
        // A typed value (hash, domain, …) failed its own check.
        return value_error;
    }
    match ctx.finding() {
        Some(Finding::WrongCase { key, field }) => {
            let parent = parent(error.path());
            wrong_case::<T, I>(input, source, &parent, &key, field)
        }
        Some(Finding::Unknown { key, fields }) => {
            let parent = parent_unless_key(error.path(), &key);
            let mut message = format!("Parameter {} is not known.", echo(&join(&parent, &key)));
            if let Some(field) = fields.iter().find(|f| f.eq_ignore_ascii_case(&key)) {
                write!(
                    message,
                    " Did you mean {}? Parameter names are case-sensitive.",
                    join(&parent, field)
                )
                .expect("writing to a String cannot fail");
            }
            general(source, message)
        }
        None => classify::<_, I>(error.path(), error.inner(), source),
    }
}

/// A key that is a field but for case: is that field required?
fn wrong_case<T: DeserializeOwned, I: Input>(
    input: &I,
    source: Source,
    parent: &str,
    key: &str,
    field: &'static str,
) -> ApiError {
    let tolerant = Ctx::new(OnWrongCase::Tolerate);
    let outcome = input.run::<T>(&tolerant);
    take_value_error();
    if let Err(error) = outcome {
        let message = I::data_message(error.inner());
        if I::syntax_error(error.inner()).is_none()
            && quoted_after(&message, "missing field ") == Some(field)
            && render(error.path()) == parent
        {
            return ApiError::new(
                ErrorCode::MissingRequiredParameter,
                format!(
                    "Parameter {} is missing. Found {} instead; parameter names are case-sensitive.",
                    join(parent, field),
                    echo(&join(parent, key))
                ),
            );
        }
    }
    general(
        source,
        format!(
            "Parameter {} is not known. Did you mean {}? Parameter names are case-sensitive.",
            echo(&join(parent, key)),
            join(parent, field)
        ),
    )
}

/// The error for a failure the guard did not explain.
pub(crate) fn classify<E: std::error::Error, I: Input<Error = E>>(
    path: &Path,
    error: &E,
    source: Source,
) -> ApiError {
    if let Some(syntax) = I::syntax_error(error) {
        return ApiError::invalid_request_body(format_args!("{syntax}."));
    }
    let message = I::data_message(error);
    let here = render(path);
    if let Some(field) = quoted_after(&message, "missing field ") {
        return ApiError::missing_parameter(&join(&here, field));
    }
    if let Some(field) = quoted_after(&message, "duplicate field ") {
        return general(
            source,
            format!(
                "Parameter {} appears more than once.",
                echo(&join(&here, field))
            ),
        );
    }
    if let Some(field) = quoted_after(&message, "unknown field ") {
        return general(
            source,
            format!("Parameter {} is not known.", echo(&join(&here, field))),
        );
    }
    let detail = describe(&message);
    if here.is_empty() {
        return general(source, format!("{}.", capitalize(&detail)));
    }
    ApiError::invalid_input(&format!("{here}: {detail}"))
}

/// A problem with the input as a whole.
fn general(source: Source, message: String) -> ApiError {
    match source {
        Source::Body => ApiError::invalid_request_body(echo(&message)),
        Source::Query => ApiError::bad_request(format!("Invalid query string. {}", echo(&message))),
    }
}

/// serde's standard data messages, in the crate's words: `struct X` and
/// `map` are objects, sequences are arrays, user input is cut.
fn describe(message: &str) -> String {
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return format!("expected {}, found {}", plain(expected), plain(found));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!("unknown value {}", rest.replace("variant", "value"));
    }
    message.to_owned()
}

/// A serde `Expected`/`Unexpected` text without Rust type names.
fn plain(text: &str) -> String {
    match text {
        "map" | "a map" => "an object".to_owned(),
        "sequence" | "a sequence" => "an array".to_owned(),
        "unit value" => "null".to_owned(),
        t if t.starts_with("struct ") || t.starts_with("a struct ") => "an object".to_owned(),
        t if t.starts_with("enum ") => "one of the documented values".to_owned(),
        t if t.starts_with("tuple struct ") || t.starts_with("a tuple") => "an array".to_owned(),
        "a borrowed string" => "a string".to_owned(),
        "f32" | "f64" => "a number".to_owned(),
        "char" => "a single character".to_owned(),
        t => match integer_range(t) {
            Some((min, max)) => format!("an integer from {min} to {max}"),
            None => echo(t).into_owned(),
        },
    }
}

/// The range of a Rust integer type named in serde's `expected` text, so
/// no Rust type name reaches the client.
fn integer_range(name: &str) -> Option<(i128, u128)> {
    Some(match name {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" => (0, u64::MAX.into()),
        "u128" => (0, u128::MAX),
        "i8" => (i8::MIN.into(), i8::MAX as u128),
        "i16" => (i16::MIN.into(), i16::MAX as u128),
        "i32" => (i32::MIN.into(), i32::MAX as u128),
        "i64" | "isize" => (i64::MIN.into(), i64::MAX as u128),
        "i128" => (i128::MIN, i128::MAX as u128),
        _ => return None,
    })
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The name between backticks that follows `prefix`, as serde writes
/// `missing field `Comment``.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// A path as users write it: `Indicators[3].IndicatorValue`; empty at the
/// root.
pub(crate) fn render(path: &Path) -> String {
    render_segments(path.iter())
}

fn render_segments<'p>(segments: impl Iterator<Item = &'p Segment>) -> String {
    let mut text = String::new();
    for segment in segments {
        let name = match segment {
            Segment::Seq { index } => {
                write!(text, "[{index}]").expect("writing to a String cannot fail");
                continue;
            }
            Segment::Map { key } => key.as_str(),
            Segment::Enum { variant } => variant.as_str(),
            Segment::Unknown => "?",
        };
        if !text.is_empty() {
            text.push('.');
        }
        text.push_str(name);
    }
    text
}

/// The path without its last segment (the key the error was raised at).
fn parent(path: &Path) -> String {
    let count = path.iter().count();
    render_segments(path.iter().take(count.saturating_sub(1)))
}

/// The path of the struct, when the error's path may or may not end in the
/// rejected key.
fn parent_unless_key(path: &Path, key: &str) -> String {
    match path.iter().next_back() {
        Some(Segment::Map { key: last }) if last == key => parent(path),
        _ => render(path),
    }
}

/// `parent.name`, or `name` at the root.
fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
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
