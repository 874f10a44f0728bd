//! The one typed form of every deserialization failure, from the guard to
//! the envelope.
//!
//! A failure reaches the extractors by two roads. What the type being
//! deserialized raises while the guard visits it comes through the guard's
//! own error type, [`DeError`], whose `de::Error` methods build a
//! [`Failure`] from their arguments (`missing_field("Comment")`,
//! `invalid_type(…)`). What the wrapped deserializer (serde_json,
//! serde_urlencoded) or serde's private buffers raise comes as that
//! deserializer's error, which holds only text; [`foreign`](super::foreign)
//! reads that text into the same [`Failure`]. Either way the diagnosis
//! then works on a `Failure` alone, and
//! [`envelope`](super::envelope) turns it into the [`ApiError`].
//!
//! Expectations are kept in JSON words (`an object`, `an integer from 0 to
//! 255`), never in serde's, which name Rust types; what the client sent is
//! kept escaped and cut.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Expected, Unexpected};

use super::foreign;
use crate::error::echo;
use crate::ApiError;

/// A deserialization failure, with its parts.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A typed value failed its check.
    Value(ApiError),
    /// A required field is absent.
    MissingField(Cow<'static, str>),
    /// A field appears twice.
    DuplicateField(Cow<'static, str>),
    /// A struct that denies unknown fields met `key`; the names it knows
    /// (none when the deserializer does not say).
    UnknownField { key: String, fields: Names },
    /// A name that is none of an enum's variants.
    UnknownVariant { found: String, expected: Names },
    /// A value of the wrong kind, or of the right kind but not acceptable.
    Mismatch { expected: String, found: String },
    /// A sequence of the wrong length.
    InvalidLength { len: usize, expected: String },
    /// The guard refused a key that is a field but for case.
    WrongCase,
    /// A struct was written as an array of its fields.
    StructAsArray,
    /// No variant of an untagged enum accepts the value.
    NoFormMatches,
    /// A flattened enum found none of its variants' names in the object.
    NoChoicePresent,
    /// A number too large for the value it makes (a duration, a time).
    OutOfRange,
    /// The type cannot be read from any input (serde's "can only flatten
    /// structs and maps"): a server bug, logged, never shown.
    ServerBug(String),
    /// The input is not well-formed (JSON syntax, an early end), with
    /// where the deserializer says.
    Syntax(String),
    /// Any other message, escaped and cut.
    Custom(String),
}

/// The names a failure lists: serde's static ones, or ones read back from
/// a deserializer's text.
#[derive(Debug, Clone)]
pub(crate) enum Names {
    Static(&'static [&'static str]),
    Owned(Vec<String>),
}

impl Names {
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let (fixed, owned): (&[&str], &[String]) = match self {
            Names::Static(names) => (names, &[]),
            Names::Owned(names) => (&[], names),
        };
        fixed
            .iter()
            .copied()
            .chain(owned.iter().map(String::as_str))
    }
}

impl fmt::Display for Failure {
    /// A text that tells failures apart: the guard passes it back through
    /// the wrapped deserializer as a stand-in (see
    /// [`Ctx::lower`](super::guard::Ctx)).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Value(error) => f.write_str(error.message()),
            Failure::MissingField(field) => write!(f, "missing field `{field}`"),
            Failure::DuplicateField(field) => write!(f, "duplicate field `{field}`"),
            Failure::UnknownField { key, .. } => write!(f, "unknown field `{}`", echo(key)),
            Failure::UnknownVariant { found, .. } => write!(f, "unknown variant `{}`", echo(found)),
            Failure::Mismatch { expected, found } => {
                write!(f, "expected {expected}, found {found}")
            }
            Failure::InvalidLength { len, expected } => {
                write!(f, "invalid length {len}, expected {expected}")
            }
            Failure::WrongCase => {
                f.write_str("a parameter name differs from a known parameter only in case")
            }
            Failure::StructAsArray => f.write_str("an object was written as an array"),
            Failure::NoFormMatches => f.write_str("the value matches none of the accepted forms"),
            Failure::NoChoicePresent => f.write_str("none of the accepted parameters is present"),
            Failure::OutOfRange => f.write_str("the value is out of range"),
            Failure::ServerBug(message) => f.write_str(&echo(message)),
            Failure::Syntax(message) => f.write_str(&echo(message)),
            Failure::Custom(message) => f.write_str(&echo(message)),
        }
    }
}

/// The error type of the visits the guard makes: a [`Failure`] raised by
/// the type being deserialized.
#[derive(Debug)]
pub(crate) struct DeError(pub(crate) Box<Failure>);

impl DeError {
    pub(crate) fn new(failure: Failure) -> Self {
        DeError(Box::new(failure))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        match crate::value::recover(&message) {
            Some(error) => Self::new(Failure::Value(error)),
            None => Self::new(foreign::serde_message(&message.to_string())),
        }
    }

    fn invalid_type(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::new(Failure::Mismatch {
            expected: foreign::expected_words(&expected.to_string()),
            found: found_words(found),
        })
    }

    fn invalid_value(found: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self::invalid_type(found, expected)
    }

    fn invalid_length(len: usize, expected: &dyn Expected) -> Self {
        Self::new(Failure::InvalidLength {
            len,
            expected: foreign::expected_words(&expected.to_string()),
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Self::new(Failure::UnknownVariant {
            found: variant.to_owned(),
            expected: Names::Static(expected),
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(Failure::UnknownField {
            key: field.to_owned(),
            fields: Names::Static(expected),
        })
    }

    fn missing_field(field: &'static str) -> Self {
        Self::new(Failure::MissingField(Cow::Borrowed(field)))
    }

    fn duplicate_field(field: &'static str) -> Self {
        Self::new(Failure::DuplicateField(Cow::Borrowed(field)))
    }
}

/// What a client sent, in JSON words, with its text escaped and cut.
fn found_words(found: Unexpected<'_>) -> String {
    match found {
        Unexpected::Bool(b) => format!("boolean `{b}`"),
        Unexpected::Unsigned(n) => format!("integer `{n}`"),
        Unexpected::Signed(n) => format!("integer `{n}`"),
        Unexpected::Float(x) => format!("floating point `{x}`"),
        Unexpected::Char(c) => format!("string {}", echo(&format!("{:?}", c.to_string()))),
        Unexpected::Str(s) => format!("string {}", echo(&format!("{s:?}"))),
        Unexpected::Bytes(_) => "bytes".to_owned(),
        Unexpected::Unit | Unexpected::Option => "null".to_owned(),
        Unexpected::Seq | Unexpected::TupleVariant => "an array".to_owned(),
        Unexpected::Map | Unexpected::StructVariant => "an object".to_owned(),
        Unexpected::UnitVariant => "a string".to_owned(),
        Unexpected::NewtypeStruct | Unexpected::Enum | Unexpected::NewtypeVariant => {
            "a value".to_owned()
        }
        Unexpected::Other(other) => echo(other).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde::de::{Error as _, Unexpected};

    use super::{DeError, Failure};
    use crate::{ApiError, ErrorCode};

    fn failure(error: DeError) -> Failure {
        *error.0
    }

    #[test]
    fn serde_calls_become_failures_in_json_words() {
        let error = DeError::invalid_type(Unexpected::Str("x\ny"), &"struct Isolate");
        match failure(error) {
            Failure::Mismatch { expected, found } => {
                assert_eq!(expected, "an object");
                assert_eq!(found, r#"string "x\ny""#);
            }
            other => panic!("{other:?}"),
        }
        let error = DeError::invalid_length(1, &"tuple struct Pair with 2 elements");
        assert!(matches!(
            failure(error),
            Failure::InvalidLength { len: 1, expected } if expected == "an array of 2 elements"
        ));
        assert!(matches!(
            failure(DeError::missing_field("Comment")),
            Failure::MissingField(field) if field == "Comment"
        ));
    }

    #[test]
    fn a_custom_message_is_a_value_error_only_from_a_value() {
        let value = crate::value::ValueError(ApiError::invalid_hash("xyz"));
        match failure(DeError::custom(value)) {
            Failure::Value(error) => assert_eq!(error.code(), ErrorCode::InvalidHashValue),
            other => panic!("{other:?}"),
        }
        // The same words from anything else are only text.
        assert!(matches!(
            failure(DeError::custom("Hash value xyz is invalid.")),
            Failure::Custom(_)
        ));
        // serde's own custom messages are read into their failure.
        assert!(matches!(
            failure(DeError::custom("overflow deserializing Duration")),
            Failure::OutOfRange
        ));
    }

    #[test]
    fn the_text_of_a_failure_escapes_what_the_client_sent() {
        let error = DeError::unknown_variant("a\nb", &["A"]);
        assert_eq!(error.to_string(), "unknown variant `a\\nb`");
    }
}
