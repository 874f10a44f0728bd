//! File hashes: [`FileHash`] (MD5, SHA-1 or SHA-256) and the fixed-kind
//! [`Md5Hash`], [`Sha1Hash`] and [`Sha256Hash`].

use std::fmt;

use super::{string_value_impls, StrValue};
use crate::ApiError;

/// The algorithm of a [`FileHash`], told apart by the number of hexadecimal
/// digits.
///
/// ```
/// use defender_errors::HashKind;
///
/// assert_eq!(HashKind::from_len(40), Some(HashKind::Sha1));
/// assert_eq!(HashKind::Sha256.hex_len(), 64);
/// assert_eq!(HashKind::Md5.to_string(), "MD5");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashKind {
    /// MD5, 32 hexadecimal digits.
    Md5,
    /// SHA-1, 40 hexadecimal digits.
    Sha1,
    /// SHA-256, 64 hexadecimal digits.
    Sha256,
}

impl HashKind {
    /// The number of hexadecimal digits of a hash of this kind.
    pub const fn hex_len(self) -> usize {
        match self {
            HashKind::Md5 => 32,
            HashKind::Sha1 => 40,
            HashKind::Sha256 => 64,
        }
    }

    /// The kind whose hashes have `hex_len` hexadecimal digits, if any.
    pub const fn from_len(hex_len: usize) -> Option<Self> {
        match hex_len {
            32 => Some(HashKind::Md5),
            40 => Some(HashKind::Sha1),
            64 => Some(HashKind::Sha256),
            _ => None,
        }
    }

    /// The algorithm's usual name: `MD5`, `SHA-1` or `SHA-256`.
    pub const fn as_str(self) -> &'static str {
        match self {
            HashKind::Md5 => "MD5",
            HashKind::Sha1 => "SHA-1",
            HashKind::Sha256 => "SHA-256",
        }
    }
}

impl fmt::Display for HashKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Checks that `text` is a hash of one of the accepted lengths and returns
/// its kind; `InvalidHashValue` otherwise.
fn check(text: &str) -> Result<HashKind, ApiError> {
    HashKind::from_len(text.len())
        .filter(|_| text.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| ApiError::invalid_hash(text))
}

/// Checks `text` as a hash of `kind` and returns it in lower case.
fn lower_case_of_kind(text: &str, kind: HashKind) -> Result<String, ApiError> {
    match check(text) {
        Ok(found) if found == kind => Ok(text.to_ascii_lowercase()),
        _ => Err(ApiError::invalid_hash(text)),
    }
}

/// A file hash: 32 (MD5), 40 (SHA-1) or 64 (SHA-256) hexadecimal digits.
///
/// Upper- and lower-case digits are accepted; the hash is kept in lower
/// case, which is what [`as_str`](Self::as_str), `Display` and `Serialize`
/// give and what equality compares. Anything else, including surrounding
/// whitespace or a `0x` prefix, fails with `InvalidHashValue` ("Hash value
/// {hash} is invalid."). See the [module docs](crate::value) for its use in
/// bodies, paths and queries.
///
/// ```
/// use defender_errors::{ErrorCode, FileHash, HashKind};
///
/// let hash: FileHash = "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709".parse()?;
/// assert_eq!(hash.kind(), HashKind::Sha1);
/// assert_eq!(hash.as_str(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
///
/// let err = "xyz".parse::<FileHash>().unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidHashValue);
/// assert_eq!(err.message(), "Hash value xyz is invalid.");
///
/// #[derive(serde::Deserialize)]
/// struct Body {
///     #[serde(rename = "Sha256")]
///     sha256: FileHash,
/// }
/// let body: Body = serde_json::from_str(
///     r#"{"Sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}"#,
/// )?;
/// assert_eq!(body.sha256.kind(), HashKind::Sha256);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileHash {
    hex: String,
    kind: HashKind,
}

impl FileHash {
    /// The hash's hexadecimal digits, in lower case.
    pub fn as_str(&self) -> &str {
        &self.hex
    }

    /// The algorithm, told by the length.
    pub const fn kind(&self) -> HashKind {
        self.kind
    }

    /// The hexadecimal digits as an owned string, in lower case.
    pub fn into_string(self) -> String {
        self.hex
    }
}

impl StrValue for FileHash {
    const EXPECTING: &'static str = "an MD5, SHA-1 or SHA-256 hash in hexadecimal digits";

    fn parse_str(text: &str) -> Result<Self, ApiError> {
        let kind = check(text)?;
        Ok(FileHash {
            hex: text.to_ascii_lowercase(),
            kind,
        })
    }

    fn parse_string(mut text: String) -> Result<Self, ApiError> {
        let kind = check(&text)?;
        text.make_ascii_lowercase();
        Ok(FileHash { hex: text, kind })
    }
}

string_value_impls!(FileHash);

impl From<FileHash> for String {
    fn from(hash: FileHash) -> Self {
        hash.hex
    }
}

/// Defines a hash type of one fixed kind.
macro_rules! fixed_kind_hash {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $expecting:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name {
            hex: String,
        }

        impl $name {
            /// The hash's hexadecimal digits, in lower case.
            pub fn as_str(&self) -> &str {
                &self.hex
            }

            /// The hexadecimal digits as an owned string, in lower case.
            pub fn into_string(self) -> String {
                self.hex
            }
        }

        impl StrValue for $name {
            const EXPECTING: &'static str = $expecting;

            fn parse_str(text: &str) -> Result<Self, ApiError> {
                lower_case_of_kind(text, HashKind::$kind).map(|hex| $name { hex })
            }

            fn parse_string(mut text: String) -> Result<Self, ApiError> {
                match check(&text) {
                    Ok(HashKind::$kind) => {
                        text.make_ascii_lowercase();
                        Ok($name { hex: text })
                    }
                    _ => Err(ApiError::invalid_hash(&text)),
                }
            }
        }

        string_value_impls!($name);

        impl From<$name> for FileHash {
            fn from(hash: $name) -> Self {
                FileHash {
                    hex: hash.hex,
                    kind: HashKind::$kind,
                }
            }
        }

        impl TryFrom<FileHash> for $name {
            type Error = ApiError;

            /// Succeeds when the hash is of this kind; `InvalidHashValue`
            /// otherwise.
            fn try_from(hash: FileHash) -> Result<Self, Self::Error> {
                if hash.kind == HashKind::$kind {
                    Ok($name { hex: hash.hex })
                } else {
                    Err(ApiError::invalid_hash(&hash.hex))
                }
            }
        }

        impl From<$name> for String {
            fn from(hash: $name) -> Self {
                hash.hex
            }
        }
    };
}

fixed_kind_hash!(
    /// An MD5 hash: exactly 32 hexadecimal digits, kept in lower case.
    ///
    /// Like [`FileHash`], but a hash of another length fails with
    /// `InvalidHashValue`.
    ///
    /// ```
    /// use defender_errors::{ErrorCode, Md5Hash};
    ///
    /// let hash: Md5Hash = "D41D8CD98F00B204E9800998ECF8427E".parse()?;
    /// assert_eq!(hash.as_str(), "d41d8cd98f00b204e9800998ecf8427e");
    ///
    /// let sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    /// assert_eq!(sha1.parse::<Md5Hash>().unwrap_err().code(), ErrorCode::InvalidHashValue);
    /// # Ok::<(), defender_errors::ApiError>(())
    /// ```
    Md5Hash,
    Md5,
    "an MD5 hash of 32 hexadecimal digits"
);

fixed_kind_hash!(
    /// A SHA-1 hash: exactly 40 hexadecimal digits, kept in lower case.
    ///
    /// Like [`FileHash`], but a hash of another length fails with
    /// `InvalidHashValue`: a body field `Sha1` typed `Sha1Hash` rejects a
    /// SHA-256 value.
    ///
    /// ```
    /// use defender_errors::{ErrorCode, Sha1Hash};
    ///
    /// let hash: Sha1Hash = "da39a3ee5e6b4b0d3255bfef95601890afd80709".parse()?;
    /// assert_eq!(hash.to_string(), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    ///
    /// let sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    /// let err = sha256.parse::<Sha1Hash>().unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::InvalidHashValue);
    /// assert_eq!(err.message(), format!("Hash value {sha256} is invalid."));
    /// # Ok::<(), defender_errors::ApiError>(())
    /// ```
    Sha1Hash,
    Sha1,
    "a SHA-1 hash of 40 hexadecimal digits"
);

fixed_kind_hash!(
    /// A SHA-256 hash: exactly 64 hexadecimal digits, kept in lower case.
    ///
    /// Like [`FileHash`], but a hash of another length fails with
    /// `InvalidHashValue`.
    ///
    /// ```
    /// use defender_errors::{FileHash, HashKind, Sha256Hash};
    ///
    /// let hash: Sha256Hash =
    ///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".parse()?;
    /// let any: FileHash = hash.into();
    /// assert_eq!(any.kind(), HashKind::Sha256);
    /// # Ok::<(), defender_errors::ApiError>(())
    /// ```
    Sha256Hash,
    Sha256,
    "a SHA-256 hash of 64 hexadecimal digits"
);
