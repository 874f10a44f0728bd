//! Typed request values that check themselves: file hashes, domain names,
//! IP addresses, http(s) URLs and size-limited batches.
//!
//! Each type parses with [`FromStr`](std::str::FromStr), whose error is the
//! [`ApiError`] the Defender reference prescribes for it
//! (`InvalidHashValue`, `InvalidDomainName`, `InvalidIpAddress`,
//! `InvalidUrl`, `MaximumBatchSizeExceeded`), and implements serde's
//! `Deserialize` and `Serialize`, so the same type works as a path segment,
//! a query value and a JSON body field:
//!
//! ```
//! use defender_errors::{DomainName, ErrorCode, FileHash, HttpUrl, IpAddress};
//!
//! let hash: FileHash = "D41D8CD98F00B204E9800998ECF8427E".parse().unwrap();
//! assert_eq!(hash.as_str(), "d41d8cd98f00b204e9800998ecf8427e");
//!
//! let err = "example..com".parse::<DomainName>().unwrap_err();
//! assert_eq!(err.code(), ErrorCode::InvalidDomainName);
//! assert_eq!(err.message(), "Domain name example..com is invalid.");
//!
//! let ip: IpAddress = "::1".parse().unwrap();
//! assert!(ip.get().is_loopback());
//!
//! let url: HttpUrl = "https://example.com/a?b=c".parse().unwrap();
//! assert_eq!(url.host_str(), "example.com");
//! ```
//!
//! # How a failed check keeps its code
//!
//! serde lets a value fail only through its deserializer's error type, with
//! `de::Error::custom(message)`. These values pass a private message type
//! that carries the precise [`ApiError`]: shown plainly it is the error's
//! message, so a deserializer that keeps text (serde_json used directly)
//! says "Hash value xyz is invalid."; the crate's extractors wrap the
//! deserializer in one whose error type recognises the message and keeps
//! the [`ApiError`] itself, so the response carries `InvalidHashValue`
//! rather than a generic body error. The error travels up as the
//! deserializer's return value and nothing else: no state is kept aside,
//! so a failure that is handled (an untagged enum trying its next variant,
//! a handler calling serde_json itself) leaves nothing behind.
//!
//! ```
//! use defender_errors::FileHash;
//!
//! let err = serde_json::from_str::<FileHash>(r#""xyz""#).unwrap_err();
//! assert!(err.to_string().starts_with("Hash value xyz is invalid."));
//! ```
//!
//! A value of the wrong JSON type (a number where a hash belongs) is an
//! ordinary serde type error.
//!
//! # Canonical forms
//!
//! Values are kept, shown and serialized in a canonical form: hashes in
//! lower case, domain names in lower case without a trailing dot, URLs as
//! the [`url`] crate serializes them, IP addresses as the standard library
//! displays them. Equality and hashing follow the canonical form, so
//! `ABC…` and `abc…` are the same hash.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

use crate::{ApiError, ErrorCode};

mod batch;
mod domain;
mod hash;
mod http_url;
mod ip;

pub use self::batch::Batch;
pub use self::domain::DomainName;
pub use self::hash::{FileHash, HashKind, Md5Hash, Sha1Hash, Sha256Hash};
pub use self::http_url::HttpUrl;
pub use self::ip::IpAddress;

/// A value read from a single string and checked on the way.
trait StrValue: Sized {
    /// What serde's type errors say was expected.
    const EXPECTING: &'static str;

    /// Checks and converts borrowed text.
    fn parse_str(text: &str) -> Result<Self, ApiError>;

    /// Checks and converts owned text; overridden where the buffer can be
    /// kept instead of copied.
    fn parse_string(text: String) -> Result<Self, ApiError> {
        Self::parse_str(&text)
    }
}

/// Deserializes a [`StrValue`] from a string, failing with the precise
/// error when the check fails.
fn deserialize_str_value<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: StrValue,
{
    deserializer.deserialize_str(StrValueVisitor(PhantomData))
}

/// Turns a failed check into the deserializer's error, carrying the
/// [`ApiError`] in a [`ValueError`].
fn value_error<E: de::Error>(error: ApiError) -> E {
    E::custom(ValueError(error))
}

/// The codes a typed value fails with.
const VALUE_CODES: [ErrorCode; 5] = [
    ErrorCode::InvalidHashValue,
    ErrorCode::InvalidDomainName,
    ErrorCode::InvalidIpAddress,
    ErrorCode::InvalidUrl,
    ErrorCode::MaximumBatchSizeExceeded,
];

/// Marks the alternate form of a [`ValueError`]. Messages never hold it:
/// every echo escapes control characters.
const MARK: char = '\u{0}';

/// The message a typed value hands to `de::Error::custom`.
///
/// Its plain form (`{}`) is the error's message. Its alternate form
/// (`{:#}`) is `MARK code MARK message`, from which [`recover`] rebuilds the
/// error: the crate's wrapper deserializer's error type formats every
/// custom message that way to find out whether a value raised it. A message
/// of another type is told apart because its two forms do not differ in
/// that way, so input echoed by someone else's error cannot pass for one.
pub(crate) struct ValueError(pub(crate) ApiError);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() {
            write!(f, "{MARK}{}{MARK}{}", self.0.code(), self.0.message())
        } else {
            f.write_str(self.0.message())
        }
    }
}

/// The [`ApiError`] a typed value passed to `de::Error::custom`, when
/// `message` is a [`ValueError`].
pub(crate) fn recover(message: &dyn fmt::Display) -> Option<ApiError> {
    let token = format!("{message:#}");
    let (code, text) = token.strip_prefix(MARK)?.split_once(MARK)?;
    let code = code.parse::<ErrorCode>().ok()?;
    let plain = message.to_string();
    (VALUE_CODES.contains(&code) && plain == text && !text.contains(MARK))
        .then(|| ApiError::trusted(code, plain))
}

struct StrValueVisitor<T>(PhantomData<fn() -> T>);

impl<T: StrValue> Visitor<'_> for StrValueVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        T::parse_str(text).map_err(value_error)
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<T, E> {
        T::parse_string(text).map_err(value_error)
    }
}

/// Implements `FromStr`, `Deserialize`, `Serialize` (as the canonical text),
/// `Display` and `AsRef<str>` for a type with `as_str` and a [`StrValue`]
/// impl.
macro_rules! string_value_impls {
    ($ty:ty) => {
        impl ::std::str::FromStr for $ty {
            type Err = $crate::ApiError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$ty as $crate::value::StrValue>::parse_str(text)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                $crate::value::deserialize_str_value(deserializer)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}
use string_value_impls;

#[cfg(test)]
mod tests {
    use super::{recover, ValueError};
    use crate::{ApiError, ErrorCode};

    #[test]
    fn a_value_error_is_recovered_from_its_message_type_only() {
        let error = ApiError::invalid_hash("xyz");
        let recovered = recover(&ValueError(error)).expect("recovered");
        assert_eq!(recovered.code(), ErrorCode::InvalidHashValue);
        assert_eq!(recovered.message(), "Hash value xyz is invalid.");
        // The same text from anything else is only text.
        assert!(recover(&"Hash value xyz is invalid.").is_none());
        assert!(recover(&"\u{0}InvalidHashValue\u{0}Hash value xyz is invalid.").is_none());
        // A value error of a code no value has is not one.
        assert!(recover(&ValueError(ApiError::not_found())).is_none());
    }

    #[test]
    fn serde_json_used_directly_keeps_the_message() {
        let error = serde_json::from_str::<crate::FileHash>(r#""xyz""#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Hash value xyz is invalid. at line 1 column 5"
        );
    }
}
