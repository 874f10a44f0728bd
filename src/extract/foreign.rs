//! Every place the crate reads another crate's text, each pattern beside
//! the test that pins it.
//!
//! Some failures reach the crate only as text: serde_json's and
//! serde_urlencoded's errors keep nothing but a message, serde's private
//! buffers (flattened members, untagged and internally tagged enums) raise
//! errors through them, serde words its expectations after Rust types
//! (`struct Isolate`, `u32`), and axum's plain rejections and its `Path`
//! rejection keep only text. This module is the one that reads it:
//!
//! - [`serde_message`]: serde's fixed messages, read into a [`Failure`];
//! - [`expected_words`]: serde's `Expected` texts, said in JSON words;
//! - [`json_message`]: serde_json's message without its position;
//! - [`value_error`]: a typed value's message, as axum's rejections keep it;
//! - [`axum_rejection`]: the openings of axum's plain rejection bodies.
//!
//! The unit tests below produce each text with the real dependency and
//! read it back, so a change of wording fails them; axum's plain openings
//! are pinned against axum's real extractors in `tests/suite/plain.rs`
//! (`axums_plain_rejections_get_their_precise_codes`).

use std::borrow::Cow;

use super::failure::{Failure, Names};
use crate::error::echo;
use crate::ApiError;

/// serde's fixed message `text` as a [`Failure`]; any other text is
/// [`Failure::Custom`].
///
/// serde writes `missing field `X``, `duplicate field `X``, `unknown field
/// `X`, expected one of `A`, `B``, `unknown variant `X`, expected `A` or
/// `B``, `invalid type: F, expected E`, `invalid value: F, expected E`,
/// `invalid length N, expected E`, `data did not match any variant of
/// untagged enum T`, `no variant of enum T found in flattened data` and
/// `overflow deserializing Duration` (or `SystemTime`), which name a Rust
/// type that never reaches a client, and `can only flatten structs and
/// maps`, a server bug.
pub(crate) fn serde_message(text: &str) -> Failure {
    if let Some(field) = quoted_after(text, "missing field ") {
        return Failure::MissingField(Cow::Owned(field.to_owned()));
    }
    if let Some(field) = quoted_after(text, "duplicate field ") {
        return Failure::DuplicateField(Cow::Owned(field.to_owned()));
    }
    if let Some((key, names)) = name_and_list(text, "unknown field ") {
        return Failure::UnknownField {
            key: key.to_owned(),
            fields: names,
        };
    }
    if let Some((found, names)) = name_and_list(text, "unknown variant ") {
        return Failure::UnknownVariant {
            found: found.to_owned(),
            expected: names,
        };
    }
    if let Some(rest) = text
        .strip_prefix("invalid type: ")
        .or_else(|| text.strip_prefix("invalid value: "))
    {
        if let Some((found, expected)) = rest.rsplit_once(", expected ") {
            return Failure::Mismatch {
                expected: expected_words(expected),
                found: expected_words(found),
            };
        }
    }
    if let Some(rest) = text.strip_prefix("invalid length ") {
        if let Some((len, expected)) = rest.split_once(", expected ") {
            if let Ok(len) = len.parse() {
                return Failure::InvalidLength {
                    len,
                    expected: expected_words(expected),
                };
            }
        }
    }
    if text.starts_with("data did not match any variant of untagged enum ") {
        return Failure::NoFormMatches;
    }
    if text.starts_with("no variant of enum ") && text.ends_with(" found in flattened data") {
        return Failure::NoChoicePresent;
    }
    if text.starts_with("overflow deserializing ") {
        return Failure::OutOfRange;
    }
    if text.starts_with("can only flatten structs and maps") {
        return Failure::ServerBug(text.to_owned());
    }
    Failure::Custom(text.to_owned())
}

/// The name between backticks that follows `prefix`, as serde writes
/// `missing field `Comment``.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    let end = rest.find('`')?;
    Some(&rest[..end])
}

/// The name after `prefix` and the names serde lists after it:
/// `unknown field `a`, expected `A` or `B`` (or `expected one of `A`,
/// `B`, `C``, `expected `A``, `there are no fields`, or nothing at all).
/// The name is the client's and may hold anything, so the list is the
/// first tail that is a well-formed list of names up to the end.
fn name_and_list<'m>(message: &'m str, prefix: &str) -> Option<(&'m str, Names)> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    for (at, _) in rest.match_indices("`, ") {
        let tail = &rest[at + 3..];
        if tail.starts_with("there are no ") {
            return Some((&rest[..at], Names::Owned(Vec::new())));
        }
        if let Some(names) = tail.strip_prefix("expected ").and_then(listed_names) {
            return Some((&rest[..at], Names::Owned(names)));
        }
    }
    Some((rest.strip_suffix('`')?, Names::Owned(Vec::new())))
}

/// The names of serde's list `` `A` ``, `` `A` or `B` `` or `` one of `A`,
/// `B`, `C` ``, if `text` is exactly such a list.
fn listed_names(text: &str) -> Option<Vec<String>> {
    let mut rest = text.strip_prefix("one of ").unwrap_or(text);
    let mut names = Vec::new();
    loop {
        let body = rest.strip_prefix('`')?;
        let end = body.find('`')?;
        names.push(body[..end].to_owned());
        rest = &body[end + 1..];
        if rest.is_empty() {
            return Some(names);
        }
        rest = rest
            .strip_prefix(", ")
            .or_else(|| rest.strip_prefix(" or "))?;
    }
}

/// A serde `Expected`/`Unexpected` text in JSON words, without Rust type
/// names: serde derives these texts from the Rust type (`struct Isolate`,
/// `tuple variant Target::Ip`, `a nonzero u32`, …). Text it does not know
/// (a hand-written visitor's) is kept, escaped and cut.
pub(crate) fn expected_words(text: &str) -> String {
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

/// serde_json's message without the ` at line L column C` it appends.
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

/// The [`ApiError`] of a typed value recognised by its message alone.
///
/// Only for axum's own extractors, whose rejections keep nothing but the
/// text of the deserializer's error (the crate's extractors get the error
/// itself, see [`crate::value`]): the five templates of the values ("Hash
/// value {hash} is invalid.", …) are matched and the error rebuilt with the
/// same constructor, so the echoed part is escaped and cut again. At worst
/// a request's own input picks the code of its own response.
pub(crate) fn value_error(text: &str) -> Option<ApiError> {
    let between = |prefix: &str, suffix: &str| text.strip_prefix(prefix)?.strip_suffix(suffix);
    if let Some(hash) = between("Hash value ", " is invalid.") {
        return Some(ApiError::invalid_hash(hash));
    }
    if let Some(domain) = between("Domain name ", " is invalid.") {
        return Some(ApiError::invalid_domain(domain));
    }
    if let Some(ip) = between("IP address ", " is invalid.") {
        return Some(ApiError::invalid_ip(ip));
    }
    if let Some(url) = between("URL ", " is invalid.") {
        return Some(ApiError::invalid_url(url));
    }
    let numbers = between("Maximum batch size exceeded. Received: ", ".")?;
    let (received, allowed) = numbers.split_once(", allowed: ")?;
    Some(ApiError::maximum_batch_size_exceeded(
        received.parse().ok()?,
        allowed.parse().ok()?,
    ))
}

/// The opening of each plain rejection of axum's extractors the layer
/// recognises (and tower-http's body limit). Each body is the opening,
/// `": "` and the inner error (a serde error for data, a body error for
/// buffering). Pinned by `tests/suite/plain.rs` against axum's real
/// extractors.
mod axum_text {
    pub(super) const JSON_SYNTAX: &str = "Failed to parse the request body as JSON: ";
    pub(super) const JSON_DATA: &str = "Failed to deserialize the JSON body into the target type: ";
    pub(super) const QUERY: &str = "Failed to deserialize query string: ";
    pub(super) const FORM_QUERY: &str = "Failed to deserialize form: ";
    pub(super) const FORM_BODY: &str = "Failed to deserialize form body: ";
    pub(super) const PATH: &str = "Invalid URL: ";
    pub(super) const PATH_UTF8: &str = "Invalid UTF-8 in `";
    pub(super) const BUFFER: &str = "Failed to buffer the request body: ";
    pub(super) const BODY_UTF8: &str = "Request body didn't contain valid UTF-8: ";
    pub(super) const JSON_CONTENT_TYPE: &str = "Expected request with `Content-Type: ";
    pub(super) const FORM_CONTENT_TYPE: &str = "Form requests must have `Content-Type: ";
    /// The whole text of tower-http's `RequestBodyLimit` 413.
    pub(super) const TOWER_HTTP_LIMIT: &str = "length limit exceeded";
}

/// The error of a plain rejection of one of axum's extractors, recognised
/// by its status and the fixed opening of its text.
///
/// The text after the opening is used only for a JSON syntax error, where
/// serde_json describes the syntax and its position and quotes no input;
/// data errors name Rust types, so they get the code's own words.
pub(crate) fn axum_rejection(status: http::StatusCode, text: &str) -> Option<ApiError> {
    use axum_text::*;
    use http::StatusCode;

    use crate::ErrorCode;

    let starts = |opening: &str| text.starts_with(opening);
    let error = match status {
        StatusCode::BAD_REQUEST if starts(JSON_SYNTAX) => {
            ApiError::invalid_request_body(format_args!("{}.", echo(&text[JSON_SYNTAX.len()..])))
        }
        StatusCode::BAD_REQUEST if starts(QUERY) || starts(FORM_QUERY) => ApiError::new(
            ErrorCode::InvalidInput,
            "Invalid input in the query string.",
        ),
        StatusCode::BAD_REQUEST if starts(PATH) || starts(PATH_UTF8) => {
            ApiError::new(ErrorCode::InvalidInput, "Invalid input in the URL path.")
        }
        StatusCode::BAD_REQUEST if starts(BUFFER) => {
            ApiError::invalid_request_body("The body could not be read.")
        }
        StatusCode::BAD_REQUEST if starts(BODY_UTF8) => {
            ApiError::invalid_request_body("The body is not valid UTF-8.")
        }
        StatusCode::UNPROCESSABLE_ENTITY if starts(JSON_DATA) || starts(FORM_BODY) => {
            ApiError::from_code(ErrorCode::InvalidRequestBody)
        }
        StatusCode::PAYLOAD_TOO_LARGE if starts(BUFFER) || text == TOWER_HTTP_LIMIT => {
            ApiError::from_code(ErrorCode::PayloadTooLarge)
        }
        // axum's 415 texts name the content type the extractor wanted;
        // the code's own message says the same.
        StatusCode::UNSUPPORTED_MEDIA_TYPE
            if starts(JSON_CONTENT_TYPE) || starts(FORM_CONTENT_TYPE) =>
        {
            ApiError::from_code(ErrorCode::UnsupportedMediaType)
        }
        _ => return None,
    };
    Some(error.with_cause(echo(text).into_owned()))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::ErrorCode;

    /// What serde_json says when `T` reads `json`, without position.
    fn said<T: for<'de> Deserialize<'de> + std::fmt::Debug>(json: &str) -> String {
        json_message(&serde_json::from_str::<T>(json).unwrap_err())
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        a: u32,
        b: Option<u32>,
        c: Option<u32>,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct StrictFlat {
        a: u32,
        #[serde(flatten)]
        inner: Inner,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Inner {
        b: Option<u32>,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    enum Target {
        Ip(String),
        Url(String),
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct FlatTarget {
        #[serde(flatten)]
        target: Target,
    }

    #[derive(Deserialize, Debug)]
    #[serde(untagged)]
    #[allow(dead_code)]
    enum Either {
        Number(u32),
        Flag(bool),
    }

    #[test]
    fn serdes_field_messages_are_pinned() {
        assert!(matches!(
            serde_message(&said::<Strict>(r#"{"b": 1}"#)),
            Failure::MissingField(field) if field == "a"
        ));
        assert!(matches!(
            serde_message(&said::<Strict>(r#"{"a": 1, "a": 2}"#)),
            Failure::DuplicateField(field) if field == "a"
        ));
        match serde_message(&said::<Strict>(r#"{"A": 1}"#)) {
            Failure::UnknownField { key, fields } => {
                assert_eq!(key, "A");
                assert_eq!(fields.iter().collect::<Vec<_>>(), ["a", "b", "c"]);
            }
            other => panic!("{other:?}"),
        }
        // A strict struct with flattened members lists nothing.
        match serde_message(&said::<StrictFlat>(r#"{"a": 1, "B": 2}"#)) {
            Failure::UnknownField { key, fields } => {
                assert_eq!(key, "B");
                assert_eq!(fields.iter().count(), 0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_name_the_client_chose_cannot_forge_the_list() {
        match serde_message("unknown field `x`, expected `A``, expected `B`") {
            Failure::UnknownField { key, fields } => {
                assert_eq!(key, "x`, expected `A`");
                assert_eq!(fields.iter().collect::<Vec<_>>(), ["B"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn serdes_variant_and_type_messages_are_pinned() {
        match serde_message(&said::<Target>(r#"{"Bogus": "x"}"#)) {
            Failure::UnknownVariant { found, expected } => {
                assert_eq!(found, "Bogus");
                assert_eq!(expected.iter().collect::<Vec<_>>(), ["Ip", "Url"]);
            }
            other => panic!("{other:?}"),
        }
        match serde_message(&said::<u32>(r#""x""#)) {
            Failure::Mismatch { expected, found } => {
                assert_eq!(expected, "an integer from 0 to 4294967295");
                assert_eq!(found, r#"string "x""#);
            }
            other => panic!("{other:?}"),
        }
        match serde_message(&said::<u8>("300")) {
            Failure::Mismatch { expected, .. } => {
                assert_eq!(expected, "an integer from 0 to 255");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            serde_message(&said::<(u8, u8)>("[1]")),
            Failure::InvalidLength { len: 1, expected } if expected == "an array of 2 elements"
        ));
    }

    #[test]
    fn serdes_messages_that_name_a_type_are_pinned() {
        assert!(matches!(
            serde_message(&said::<Either>(r#""x""#)),
            Failure::NoFormMatches
        ));
        assert!(matches!(
            serde_message(&said::<FlatTarget>(r#"{"ip": "x"}"#)),
            Failure::NoChoicePresent
        ));
        assert!(matches!(
            serde_message(&said::<std::time::Duration>(
                r#"{"secs": 18446744073709551615, "nanos": 1000000000}"#
            )),
            Failure::OutOfRange
        ));
        assert!(matches!(
            serde_message(&said::<std::time::SystemTime>(
                r#"{"secs_since_epoch": 18446744073709551615, "nanos_since_epoch": 0}"#
            )),
            Failure::OutOfRange
        ));
    }

    #[test]
    fn flattening_what_cannot_be_flattened_is_a_server_bug() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Pair(u32, u32);
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct FlatPair {
            #[serde(flatten)]
            pair: Pair,
        }
        assert!(matches!(
            serde_message(&said::<FlatPair>("{}")),
            Failure::ServerBug(_)
        ));
    }

    #[test]
    fn serdes_expectations_are_said_without_type_names() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Pair(u32, u32);
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Unit;
        #[derive(Deserialize, Debug)]
        #[serde(tag = "T")]
        #[allow(dead_code)]
        enum Internal {
            A,
        }
        for (message, words) in [
            (said::<Strict>("5"), "an object"),
            (said::<Pair>("5"), "an array"),
            (said::<Unit>("5"), "null"),
            (said::<Internal>("5"), "an object"),
            (said::<Target>(r#""Ip""#), "one of the documented values"),
            (said::<std::num::NonZeroU8>("0"), "an integer from 1 to 255"),
            (said::<char>(r#""ab""#), "a single character"),
        ] {
            match serde_message(&message) {
                Failure::Mismatch { expected, .. } => assert_eq!(expected, words, "{message}"),
                other => panic!("{message}: {other:?}"),
            }
        }
    }

    #[test]
    fn serde_jsons_position_is_stripped() {
        let error = serde_json::from_str::<u32>("\n  \"x\"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid type: string \"x\", expected u32 at line 2 column 5"
        );
        assert_eq!(
            json_message(&error),
            "invalid type: string \"x\", expected u32"
        );
    }

    #[test]
    fn the_five_value_templates_are_recognised_in_text() {
        for (text, code) in [
            ("Hash value x is invalid.", ErrorCode::InvalidHashValue),
            ("Domain name x is invalid.", ErrorCode::InvalidDomainName),
            ("IP address x is invalid.", ErrorCode::InvalidIpAddress),
            ("URL x is invalid.", ErrorCode::InvalidUrl),
            (
                "Maximum batch size exceeded. Received: 4, allowed: 3.",
                ErrorCode::MaximumBatchSizeExceeded,
            ),
        ] {
            let error = value_error(text).expect(text);
            assert_eq!((error.code(), error.message()), (code, text));
        }
        assert!(value_error("invalid digit found in string").is_none());
        assert!(value_error("Maximum batch size exceeded. Received: x, allowed: 3.").is_none());
        // The values' own messages, as serde_json keeps them.
        let text = json_message(&serde_json::from_str::<crate::FileHash>(r#""xyz""#).unwrap_err());
        assert_eq!(
            value_error(&text).map(|e| e.code()),
            Some(ErrorCode::InvalidHashValue)
        );
    }

    #[test]
    fn axums_openings_are_matched_by_status_too() {
        use http::StatusCode;

        let error = axum_rejection(
            StatusCode::BAD_REQUEST,
            "Failed to parse the request body as JSON: EOF while parsing a value at line 1 column 0",
        )
        .expect("recognised");
        assert_eq!(
            error.message(),
            "Invalid request body. EOF while parsing a value at line 1 column 0."
        );
        assert!(axum_rejection(StatusCode::NOT_FOUND, "Invalid URL: x").is_none());
        assert!(axum_rejection(StatusCode::BAD_REQUEST, "Machine is offline").is_none());
    }
}
