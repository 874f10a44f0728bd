//! A [`Failure`] at a parameter's path, as the envelope says it: which
//! code, which words.
//!
//! Parameters are named by their path as users write it
//! (`Indicators[3].IndicatorValue`); a problem with the input as a whole
//! is `InvalidRequestBody` for a body and `BadRequest` "Invalid query
//! string." for a query. Everything echoed is escaped and cut.

use std::fmt::Write as _;

use serde_path_to_error::{Path, Segment};

use super::failure::{Failure, Names};
use super::guard::Finding;
use crate::error::echo;
use crate::{ApiError, ErrorCode};

/// Where the input came from: a body names its problems differently from a
/// query string.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Source {
    Body,
    Query,
}

/// The error for `failure` at `path`, with what the guard found on the
/// way (`finding`), which explains some failures better than they do
/// themselves.
pub(crate) fn of(
    path: &Path,
    finding: Option<Finding>,
    failure: Failure,
    source: Source,
) -> ApiError {
    match (finding, &failure) {
        (Some(Finding::WrongCase { key, field }), Failure::MissingField(missing))
            if missing == field =>
        {
            // Both names hold the struct's path, keys of the body included:
            // the whole message is escaped and cut like one echo.
            let parent = render(path.iter());
            let message = format!(
                "Parameter {} is missing. Found {} instead; parameter names are case-sensitive.",
                join(&parent, field),
                join(&parent, &key)
            );
            ApiError::new(ErrorCode::MissingRequiredParameter, message)
        }
        (Some(Finding::WrongCase { key, field }), Failure::WrongCase) => {
            let parent = render(path.iter());
            general(
                source,
                format!(
                    "Parameter {} is not known. Did you mean {}? Parameter names are case-sensitive.",
                    echo(&join(&parent, &key)),
                    echo(&join(&parent, field))
                ),
            )
        }
        (Some(Finding::Unknown { key, fields }), failure)
            if !matches!(failure, Failure::Syntax(_)) =>
        {
            let parent = parent_unless_key(path, &key);
            unknown_parameter(source, &parent, &key, &Names::Static(fields))
        }
        _ => at(path, failure, source),
    }
}

/// The error for `failure` at `path`.
pub(crate) fn at(path: &Path, failure: Failure, source: Source) -> ApiError {
    let here = render(path.iter());
    let detail = match failure {
        Failure::Value(error) => return error,
        Failure::Syntax(message) => {
            return ApiError::invalid_request_body(format_args!("{message}."))
        }
        Failure::MissingField(field) => return ApiError::missing_parameter(&join(&here, &field)),
        Failure::DuplicateField(field) => {
            return general(
                source,
                format!(
                    "Parameter {} appears more than once.",
                    echo(&join(&here, &field))
                ),
            )
        }
        Failure::UnknownField { key, fields } => {
            let parent = parent_unless_key(path, &key);
            return unknown_parameter(source, &parent, &key, &fields);
        }
        Failure::ServerBug(message) => return ApiError::internal(message),
        Failure::NoChoicePresent => {
            return general(
                source,
                "None of the accepted parameters is present; parameter names are case-sensitive."
                    .to_owned(),
            )
        }
        Failure::UnknownVariant { found, expected } => {
            format!("unknown value `{}`, {}", echo(&found), one_of(&expected))
        }
        Failure::Mismatch { expected, found } => format!("expected {expected}, found {found}"),
        Failure::InvalidLength { len, expected } => {
            let s = if len == 1 { "" } else { "s" };
            format!("expected {expected}, found an array of {len} element{s}")
        }
        Failure::StructAsArray => "expected an object, found an array".to_owned(),
        other @ (Failure::WrongCase | Failure::NoFormMatches | Failure::OutOfRange) => {
            other.to_string()
        }
        Failure::Custom(message) => message,
    };
    if here.is_empty() {
        return general(source, format!("{}.", capitalize(&detail)));
    }
    ApiError::invalid_input(&format!("{here}: {detail}"))
}

/// `expected `A` or `B``, as serde words the variants an enum accepts.
fn one_of(expected: &Names) -> String {
    let names: Vec<&str> = expected.iter().collect();
    match names.as_slice() {
        [] => "there are no values".to_owned(),
        [only] => format!("expected `{}`", echo(only)),
        [first, second] => format!("expected `{}` or `{}`", echo(first), echo(second)),
        [init @ .., last] => {
            let mut text = String::from("expected one of ");
            for name in init {
                write!(text, "`{}`, ", echo(name)).expect("writing to a String cannot fail");
            }
            write!(text, "`{}`", echo(last)).expect("writing to a String cannot fail");
            text
        }
    }
}

/// `key` is not a parameter of the struct at `parent`; the field it may
/// have been meant for is named when one matches but for case.
fn unknown_parameter(source: Source, parent: &str, key: &str, fields: &Names) -> ApiError {
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

/// A problem with the input as a whole.
fn general(source: Source, message: String) -> ApiError {
    match source {
        Source::Body => ApiError::invalid_request_body(echo(&message)),
        Source::Query => ApiError::bad_request(format!("Invalid query string. {}", echo(&message))),
    }
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A path as users write it: `Indicators[3].IndicatorValue`; empty at the
/// root.
fn render<'p>(segments: impl Iterator<Item = &'p Segment>) -> String {
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

/// The path of the struct, when the error's path may or may not end in the
/// rejected key.
fn parent_unless_key(path: &Path, key: &str) -> String {
    match path.iter().next_back() {
        Some(Segment::Map { key: last }) if last == key => {
            let count = path.iter().count();
            render(path.iter().take(count - 1))
        }
        _ => render(path.iter()),
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    /// The path serde_path_to_error gives `{"A": [{"b": <error>}]}`.
    fn path_a0b() -> Path {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Outer {
            #[serde(rename = "A")]
            a: Vec<Inner>,
        }
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            b: u32,
        }
        let mut de = serde_json::Deserializer::from_str(r#"{"A": [{"b": "x"}]}"#);
        let error = serde_path_to_error::deserialize::<_, Outer>(&mut de).unwrap_err();
        error.path().clone()
    }

    /// The empty path of an error at the root.
    fn root() -> Path {
        let error = serde_path_to_error::deserialize::<_, u32>(
            &mut serde_json::Deserializer::from_str("true"),
        )
        .unwrap_err();
        error.path().clone()
    }

    #[test]
    fn a_path_is_written_as_users_write_it() {
        assert_eq!(render(path_a0b().iter()), "A[0].b");
        assert_eq!(parent_unless_key(&path_a0b(), "b"), "A[0]");
        assert_eq!(parent_unless_key(&path_a0b(), "c"), "A[0].b");
        assert_eq!(join("", "b"), "b");
    }

    #[test]
    fn a_failure_at_a_parameter_is_invalid_input_and_at_the_root_general() {
        let mismatch = || Failure::Mismatch {
            expected: "an integer from 0 to 255".into(),
            found: "a string".into(),
        };
        let error = at(&path_a0b(), mismatch(), Source::Body);
        assert_eq!(error.code(), ErrorCode::InvalidInput);
        assert_eq!(
            error.message(),
            "Invalid input A[0].b: expected an integer from 0 to 255, found a string."
        );
        let error = at(&root(), mismatch(), Source::Query);
        assert_eq!(error.code(), ErrorCode::BadRequest);
        assert_eq!(
            error.message(),
            "Invalid query string. Expected an integer from 0 to 255, found a string."
        );
    }

    #[test]
    fn a_missing_field_the_guard_saw_in_the_wrong_case_names_both() {
        let finding = Finding::WrongCase {
            key: "comment".into(),
            field: "Comment",
        };
        let error = of(
            &root(),
            Some(finding.clone()),
            Failure::MissingField(Cow::Borrowed("Comment")),
            Source::Body,
        );
        assert_eq!(error.code(), ErrorCode::MissingRequiredParameter);
        assert_eq!(
            error.message(),
            "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive."
        );
        // A finding about another field does not explain it.
        let error = of(
            &root(),
            Some(finding),
            Failure::MissingField(Cow::Borrowed("Other")),
            Source::Body,
        );
        assert_eq!(error.message(), "Parameter Other is missing.");
    }

    #[test]
    fn variant_lists_are_worded_as_serde_words_them() {
        assert_eq!(one_of(&Names::Static(&[])), "there are no values");
        assert_eq!(one_of(&Names::Static(&["A"])), "expected `A`");
        assert_eq!(one_of(&Names::Static(&["A", "B"])), "expected `A` or `B`");
        assert_eq!(
            one_of(&Names::Owned(vec!["A".into(), "B".into(), "C".into()])),
            "expected one of `A`, `B`, `C`"
        );
    }
}
