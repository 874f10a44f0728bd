//! Turns a failed deserialization into the precise [`ApiError`]: which
//! parameter, which code, what was expected.
//!
//! The success path never comes here. On failure the input is read again
//! with [`serde_path_to_error`] around the case [`Guard`], so the error
//! knows the parameter's path (`Indicators[3].IndicatorValue`) and what the
//! guard saw. Errors raised through the guard's own error type
//! ([`Raised`]: a typed value's failed check, an unknown variant or field,
//! a value of the wrong kind, …) are read by their parts. The rest is text:
//! the wrapped deserializer's own errors (serde_json's type checks,
//! serde_urlencoded's parse errors), what a struct's visitor raises itself
//! (`missing field`, `duplicate field`, `invalid length`) and axum's
//! rejections; serde's standard messages are recognised by their fixed
//! form, which the tests pin.

use std::fmt::Write as _;

use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

use super::guard::{Ctx, Finding, Guard, OnWrongCase, Raised, MAX_BUFFERED};
use crate::error::echo;
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

    /// One guarded deserialization of the whole input, without tracking:
    /// whether it succeeds.
    fn probe<'a, T: DeserializeOwned>(&'a self, ctx: &Ctx<'a>) -> bool;

    /// The input's length in bytes.
    fn len(&self) -> usize;
}

/// How many bytes the probe passes of one input may read in all: four
/// times the default body limit.
const PROBE_BUDGET: usize = 4 << 20;

/// Refuses an input that deserialized as `T` but whose buffered entries
/// (see [`Ctx::buffered`]) were not all read: serde dropped them without a
/// word, and the guard cannot tell a wrong-case key from any other.
///
/// Each entry is probed by one more pass in which its value alone is one
/// that no type accepts: the pass fails if and only if the type serde
/// picked read that value. The first entry whose pass succeeds is refused.
/// A type that accepts any value without looking at it (`IgnoredAny`) reads
/// like a dropped entry, so its key is refused too: rejected, never
/// guessed. The passes are bounded: more than [`MAX_BUFFERED`] entries, or
/// more than [`PROBE_BUDGET`] bytes to read in all, and the input is
/// refused without probing.
#[cold]
pub(crate) fn check_buffered<T: DeserializeOwned, I: Input>(
    input: &I,
    source: Source,
    entries: usize,
    keys: &[String],
) -> Result<(), ApiError> {
    if entries > MAX_BUFFERED || entries.saturating_mul(input.len()) > PROBE_BUDGET {
        return Err(general(
            source,
            format!(
                "It holds {entries} parameters inside flattened objects or untagged or \
                 internally tagged enums, too many to check their names: at most \
                 {MAX_BUFFERED}, and fewer in a body over {} KiB.",
                PROBE_BUDGET / MAX_BUFFERED / 1024
            ),
        ));
    }
    for (entry, key) in keys.iter().enumerate() {
        if input.probe::<T>(&Ctx::probe(entry)) {
            return Err(general(
                source,
                format!(
                    "Parameter {} is not known; parameter names are case-sensitive.",
                    echo(key)
                ),
            ));
        }
    }
    Ok(())
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
        Ok(_) => return ApiError::from_code(ErrorCode::InvalidRequestBody),
        Err(error) => error,
    };
    let inner = error.inner();
    let syntax = I::syntax_error(inner);
    let message = I::data_message(inner);
    let raised = match syntax {
        None => ctx.take_raised(&message),
        Some(_) => None,
    };
    let missing = || {
        if syntax.is_some() {
            return None;
        }
        quoted_after(&message, "missing field ")
    };
    match (ctx.finding(), raised.as_deref()) {
        (Some(Finding::WrongCase { key, field }), None) if missing() == Some(field) => {
            // Both names hold the struct's path, keys of the body included:
            // the whole message is escaped and cut like one echo.
            let parent = render(error.path());
            let message = format!(
                "Parameter {} is missing. Found {} instead; parameter names are case-sensitive.",
                join(&parent, field),
                join(&parent, &key)
            );
            ApiError::new(ErrorCode::MissingRequiredParameter, message)
        }
        (Some(Finding::WrongCase { key, field }), Some(Raised::WrongCase)) => {
            let parent = render(error.path());
            general(
                source,
                format!(
                    "Parameter {} is not known. Did you mean {}? Parameter names are case-sensitive.",
                    echo(&join(&parent, &key)),
                    echo(&join(&parent, field))
                ),
            )
        }
        (Some(Finding::Unknown { key, fields }), _) => {
            let parent = parent_unless_key(error.path(), &key);
            unknown_parameter(source, &parent, &key, fields)
        }
        (_, Some(raised)) => classify_raised(error.path(), raised, source),
        (_, None) => classify::<_, I>(error.path(), inner, source),
    }
}

/// The error for a failure raised through the guard, read by its parts.
fn classify_raised(path: &Path, raised: &Raised, source: Source) -> ApiError {
    let here = render(path);
    let detail = match raised {
        Raised::Value(error) => return error.clone(),
        Raised::MissingField(field) => return ApiError::missing_parameter(&join(&here, field)),
        Raised::DuplicateField(field) => {
            return general(
                source,
                format!(
                    "Parameter {} appears more than once.",
                    echo(&join(&here, field))
                ),
            )
        }
        Raised::UnknownField { key, fields } => {
            let parent = parent_unless_key(path, key);
            return unknown_parameter(source, &parent, key, fields);
        }
        Raised::UnknownVariant { found, expected } => {
            format!("unknown value `{}`, {}", echo(found), one_of(expected))
        }
        Raised::InvalidType { found, expected } | Raised::InvalidValue { found, expected } => {
            format!("expected {}, found {found}", plain(expected))
        }
        Raised::InvalidLength { len, expected } => {
            let s = if *len == 1 { "" } else { "s" };
            format!(
                "expected {}, found an array of {len} element{s}",
                plain(expected)
            )
        }
        Raised::StructAsArray => "expected an object, found an array".to_owned(),
        Raised::WrongCase => {
            "a parameter name differs from a known parameter only in case".to_owned()
        }
        Raised::Custom(message) => return classify_text(&here, message, source),
    };
    at_path(&here, source, &detail)
}

/// `expected `A` or `B``, as serde words the variants an enum accepts.
fn one_of(expected: &[&str]) -> String {
    match expected {
        [] => "there are no values".to_owned(),
        [only] => format!("expected `{only}`"),
        [first, second] => format!("expected `{first}` or `{second}`"),
        [init @ .., last] => {
            let mut text = String::from("expected one of ");
            for name in init {
                write!(text, "`{name}`, ").expect("writing to a String cannot fail");
            }
            write!(text, "`{last}`").expect("writing to a String cannot fail");
            text
        }
    }
}

/// `InvalidInput` naming the parameter at `here`, or a general error when
/// the input as a whole is wrong.
fn at_path(here: &str, source: Source, detail: &str) -> ApiError {
    if here.is_empty() {
        return general(source, format!("{}.", capitalize(detail)));
    }
    ApiError::invalid_input(&format!("{here}: {detail}"))
}

/// The error for a failure of the wrapped deserializer itself, or of axum's
/// extractors, whose errors are text.
pub(crate) fn classify<E: std::error::Error, I: Input<Error = E>>(
    path: &Path,
    error: &E,
    source: Source,
) -> ApiError {
    if let Some(syntax) = I::syntax_error(error) {
        return ApiError::invalid_request_body(format_args!("{syntax}."));
    }
    let message = I::data_message(error);
    if let Some(value_error) = crate::value::from_message(&message) {
        return value_error;
    }
    classify_text(&render(path), &message, source)
}

/// `key` is not a parameter of the struct at `parent`; the field it may
/// have been meant for is named when one matches but for case.
fn unknown_parameter(source: Source, parent: &str, key: &str, fields: &[&str]) -> ApiError {
    let mut message = format!("Parameter {} is not known.", echo(&join(parent, key)));
    if let Some(field) = fields.iter().find(|f| f.eq_ignore_ascii_case(key)) {
        write!(
            message,
            " Did you mean {}? Parameter names are case-sensitive.",
            echo(&join(parent, field))
        )
        .expect("writing to a String cannot fail");
    }
    general(source, message)
}

/// The error for a message that is only text, at the parameter `here`:
/// serde's standard messages are recognised by their fixed form.
fn classify_text(here: &str, message: &str, source: Source) -> ApiError {
    if let Some(field) = quoted_after(message, "missing field ") {
        return ApiError::missing_parameter(&join(here, field));
    }
    if let Some(field) = quoted_after(message, "duplicate field ") {
        return general(
            source,
            format!(
                "Parameter {} appears more than once.",
                echo(&join(here, field))
            ),
        );
    }
    if let Some(key) = quoted_after(message, "unknown field ") {
        // serde lists the fields after the key: "unknown field `a`,
        // expected `A` or `B`" (or "expected one of `A`, `B`, `C`").
        let listed = message
            .split_once(", expected ")
            .map_or("", |(_, fields)| fields);
        let fields: Vec<&str> = listed.split('`').skip(1).step_by(2).collect();
        return unknown_parameter(source, here, key, &fields);
    }
    at_path(here, source, &describe(message))
}

/// A problem with the input as a whole.
fn general(source: Source, message: String) -> ApiError {
    match source {
        Source::Body => ApiError::invalid_request_body(echo(&message)),
        Source::Query => ApiError::bad_request(format!("Invalid query string. {}", echo(&message))),
    }
}

/// serde's standard data messages, in the crate's words: `struct X` and
/// `map` are objects, sequences are arrays, user input is cut. Used for
/// text that has no structure: the wrapped deserializer's own data errors,
/// axum's rejections and `de::Error::custom` messages.
fn describe(message: &str) -> String {
    if let Some(rest) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
    {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return format!("expected {}, found {}", plain(expected), plain(found));
        }
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        if let Some((len, expected)) = rest.split_once(", expected ") {
            let s = if len == "1" { "" } else { "s" };
            return format!(
                "expected {}, found an array of {} element{s}",
                plain(expected),
                echo(len)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return format!("unknown value {}", rest.replace("variant", "value"));
    }
    if message.starts_with("data did not match any variant of untagged enum ") {
        // serde names the enum's Rust type here; the client learns only
        // that no accepted form fits.
        return "the value matches none of the accepted forms".to_owned();
    }
    message.to_owned()
}

/// A serde `Expected`/`Unexpected` text in JSON words, without Rust type
/// names: serde derives these texts from the Rust type (`struct Isolate`,
/// `tuple variant Target::Ip`, `a nonzero u32`, …).
fn plain(text: &str) -> String {
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| text.starts_with(p));
    let words = match text {
        "map" | "a map" => "an object",
        "sequence" | "a sequence" => "an array",
        "unit value" | "unit" | "option" => "null",
        "a borrowed string" | "a string" | "string" => "a string",
        "a boolean" | "bool" => "true or false",
        "f32" | "f64" => "a number",
        "char" | "a character" => "a single character",
        "field identifier" | "variant identifier" => "a name",
        "unit variant" => "a string",
        "newtype variant" => "one of the documented values",
        "tuple variant" => "an array",
        "struct variant" => "an object",
        _ if starts(&[
            "struct ",
            "a struct",
            "internally tagged enum ",
            "adjacently tagged enum ",
        ]) =>
        {
            "an object"
        }
        _ if starts(&["unit struct ", "unit variant "]) => "null",
        _ if starts(&["enum ", "newtype variant "]) => "one of the documented values",
        _ if starts(&["tuple struct ", "tuple variant "]) => {
            // serde says `tuple struct Pair with 2 elements`.
            return match text.rsplit_once(" with ") {
                Some((_, count)) => format!("an array of {}", echo(count)),
                None => "an array".to_owned(),
            };
        }
        _ => {
            if let Some(size) = text.strip_prefix("a tuple of size ") {
                return format!("an array of {} elements", echo(size));
            }
            if let Some((min, max)) = text.strip_prefix("a nonzero ").and_then(integer_range) {
                return if min == 0 {
                    format!("an integer from 1 to {max}")
                } else {
                    format!("a nonzero integer from {min} to {max}")
                };
            }
            return match integer_range(text) {
                Some((min, max)) => format!("an integer from {min} to {max}"),
                None => echo(text).into_owned(),
            };
        }
    };
    words.to_owned()
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

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    /// serde gives only text for these (no variant of an untagged enum
    /// fits, a flattening struct that denies unknown fields meets one, what
    /// a struct's or tuple's visitor raises, serde_json's type checks); the
    /// diagnosis matches it, so pin it.
    #[test]
    fn the_serde_texts_the_diagnosis_matches_are_pinned() {
        #[derive(Deserialize, Debug)]
        #[serde(untagged)]
        #[allow(dead_code)]
        enum Either {
            Number(u32),
            Flag(bool),
        }
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Outer {
            a: u32,
            #[serde(flatten)]
            inner: Inner,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            b: Option<u32>,
        }
        let error = serde_json::from_str::<Either>(r#""x""#).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("data did not match any variant of untagged enum "));
        let error = serde_json::from_str::<Outer>(r#"{"a": 1, "B": 2}"#).unwrap_err();
        assert!(error.to_string().starts_with("unknown field `B`"));
        #[derive(Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            a: u32,
            b: u32,
            c: u32,
        }
        let error = serde_json::from_str::<Strict>(r#"{"A": 1}"#).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("unknown field `A`, expected one of `a`, `b`, `c`"));
        let error = serde_json::from_str::<Inner>(r#"{"B": 1}"#);
        assert!(
            error.is_ok(),
            "only a struct that denies unknown fields lists them"
        );
        let error = serde_json::from_str::<Outer>(r#"{"a": 1, "a": 2}"#).unwrap_err();
        assert!(error.to_string().starts_with("duplicate field `a`"));
        let error = serde_json::from_str::<Outer>(r#"{"b": 1}"#).unwrap_err();
        assert!(error.to_string().starts_with("missing field `a`"));
        let error = serde_json::from_str::<(u8, u8)>("[1]").unwrap_err();
        assert!(error
            .to_string()
            .starts_with("invalid length 1, expected a tuple of size 2"));
        let error = serde_json::from_str::<u32>(r#""x""#).unwrap_err();
        assert!(error
            .to_string()
            .starts_with("invalid type: string \"x\", expected u32"));
    }
}
