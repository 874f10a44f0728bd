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
//! A deserializer's error carries only text. When one of these values fails
//! its check while being deserialized (say, a malformed hash inside a JSON
//! body), its `Deserialize` impl keeps the precise [`ApiError`] aside on the
//! current thread and hands serde an error whose text is the error's
//! message. The crate's extractors take the kept error back when
//! deserialization fails, so the response carries `InvalidHashValue`
//! rather than a generic body error. Outside the extractors the text alone
//! is what you see:
//!
//! ```
//! use defender_errors::FileHash;
//!
//! let err = serde_json::from_str::<FileHash>(r#""xyz""#).unwrap_err();
//! assert!(err.to_string().starts_with("Hash value xyz is invalid."));
//! ```
//!
//! A value of the wrong JSON type (a number where a hash belongs) is an
//! ordinary serde type error and keeps nothing aside.
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

use crate::error::stash_value_error;
use crate::ApiError;

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

/// Deserializes a [`StrValue`] from a string, stashing the precise error
/// when the check fails.
fn deserialize_str_value<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: StrValue,
{
    deserializer.deserialize_str(StrValueVisitor(PhantomData))
}

/// Turns a failed check into the deserializer's error, keeping the
/// [`ApiError`] for the extractor.
fn value_error<E: de::Error>(error: ApiError) -> E {
    E::custom(stash_value_error(error))
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
    use crate::error::take_value_error;
    use crate::{Batch, DomainName, ErrorCode, FileHash, HttpUrl, IpAddress, Sha1Hash};

    #[test]
    fn a_failed_check_keeps_its_error_for_the_extractor() {
        let _ = take_value_error();
        let error = serde_json::from_str::<FileHash>(r#""xyz""#).unwrap_err();
        let kept = take_value_error().expect("the hash kept its error");
        assert_eq!(kept.code(), ErrorCode::InvalidHashValue);
        assert_eq!(kept.message(), "Hash value xyz is invalid.");
        assert!(error.to_string().starts_with(kept.message()));
        assert!(take_value_error().is_none(), "taking empties the slot");
    }

    #[test]
    fn each_value_keeps_its_own_code() {
        /// A JSON text, whether deserializing it fails, and the code kept.
        type Case = (&'static str, fn(&str) -> bool, ErrorCode);

        let _ = take_value_error();
        let cases: [Case; 5] = [
            (
                r#""a_b.com""#,
                |j| serde_json::from_str::<DomainName>(j).is_err(),
                ErrorCode::InvalidDomainName,
            ),
            (
                r#""1.2.3""#,
                |j| serde_json::from_str::<IpAddress>(j).is_err(),
                ErrorCode::InvalidIpAddress,
            ),
            (
                r#""ftp://x""#,
                |j| serde_json::from_str::<HttpUrl>(j).is_err(),
                ErrorCode::InvalidUrl,
            ),
            (
                r#""d41d8cd98f00b204e9800998ecf8427e""#,
                |j| serde_json::from_str::<Sha1Hash>(j).is_err(),
                ErrorCode::InvalidHashValue,
            ),
            (
                "[1, 2, 3]",
                |j| serde_json::from_str::<Batch<u8, 2>>(j).is_err(),
                ErrorCode::MaximumBatchSizeExceeded,
            ),
        ];
        for (json, fails, code) in cases {
            assert!(fails(json), "{json}");
            assert_eq!(take_value_error().map(|e| e.code()), Some(code), "{json}");
        }
    }

    #[test]
    fn a_type_error_keeps_nothing() {
        let _ = take_value_error();
        assert!(serde_json::from_str::<FileHash>("5").is_err());
        assert!(serde_json::from_str::<Batch<u8, 2>>(r#""x""#).is_err());
        assert!(take_value_error().is_none());
    }

    #[test]
    fn the_error_in_a_nested_body_field_is_kept() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Indicator {
            #[serde(rename = "IndicatorValue")]
            value: DomainName,
        }
        let _ = take_value_error();
        let json = r#"[{"IndicatorValue": "ok.example"}, {"IndicatorValue": "-bad"}]"#;
        assert!(serde_json::from_str::<Batch<Indicator, 10>>(json).is_err());
        let kept = take_value_error().expect("kept");
        assert_eq!(kept.message(), "Domain name -bad is invalid.");
    }
}
