//! [`DomainName`]: an RFC 1123 host name.

use super::{string_value_impls, StrValue};
use crate::ApiError;

/// The longest name, in characters, not counting a trailing dot.
const MAX_NAME_LEN: usize = 253;

/// The longest label, in characters.
const MAX_LABEL_LEN: usize = 63;

/// A domain name: an RFC 1123 host name.
///
/// The rules:
///
/// - one or more labels separated by dots, each of 1 to 63 ASCII letters,
///   digits and hyphens, not starting or ending with a hyphen (so no
///   underscores, spaces or empty labels);
/// - at most 253 characters in all; one trailing dot (the root of a fully
///   qualified name) is allowed and not counted;
/// - the last label is not all digits, so a dotted quad such as `1.2.3.4`
///   is an IP address, not a domain name (RFC 1123 section 2.1);
/// - internationalized names are accepted in their A-label (punycode) form,
///   `xn--bcher-kva.example`, and checked by the same letter-digit-hyphen
///   rule; their Unicode form (`bücher.example`) is rejected.
///
/// Anything else fails with `InvalidDomainName` ("Domain name {domain} is
/// invalid."). A single-label name such as `localhost` is valid.
///
/// Domain names are case-insensitive, so the name is kept in lower case and
/// without the trailing dot: [`as_str`](Self::as_str), `Display`,
/// `Serialize` and equality all use that form.
///
/// ```
/// use defender_errors::{DomainName, ErrorCode};
///
/// let name: DomainName = "WWW.Example.COM.".parse()?;
/// assert_eq!(name.as_str(), "www.example.com");
/// assert_eq!(name.labels().collect::<Vec<_>>(), ["www", "example", "com"]);
///
/// let err = "-bad.example".parse::<DomainName>().unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidDomainName);
/// assert_eq!(err.message(), "Domain name -bad.example is invalid.");
///
/// let name: DomainName = serde_json::from_str(r#""xn--bcher-kva.example""#)?;
/// assert_eq!(name.to_string(), "xn--bcher-kva.example");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName {
    name: String,
}

impl DomainName {
    /// The name in lower case, without a trailing dot.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The labels from left to right (`www`, `example`, `com`).
    pub fn labels(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.name.split('.')
    }

    /// The name as an owned string, in lower case, without a trailing dot.
    pub fn into_string(self) -> String {
        self.name
    }
}

/// Whether `name` (trailing dot already removed) follows the rules.
fn is_host_name(name: &str) -> bool {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return false;
    }
    let labels_ok = name.split('.').all(|label| {
        let bytes = label.as_bytes();
        (1..=MAX_LABEL_LEN).contains(&bytes.len())
            && bytes
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            && bytes[0] != b'-'
            && bytes[bytes.len() - 1] != b'-'
    });
    let last = name.rsplit('.').next().unwrap_or(name);
    labels_ok && !last.bytes().all(|b| b.is_ascii_digit())
}

/// `text` without one trailing dot, if it follows the rules.
fn checked(text: &str) -> Result<&str, ApiError> {
    let name = text.strip_suffix('.').unwrap_or(text);
    if is_host_name(name) {
        Ok(name)
    } else {
        Err(ApiError::invalid_domain(text))
    }
}

impl StrValue for DomainName {
    const EXPECTING: &'static str = "a domain name";

    fn parse_str(text: &str) -> Result<Self, ApiError> {
        checked(text).map(|name| DomainName {
            name: name.to_ascii_lowercase(),
        })
    }

    fn parse_string(mut text: String) -> Result<Self, ApiError> {
        let len = checked(&text)?.len();
        text.truncate(len);
        text.make_ascii_lowercase();
        Ok(DomainName { name: text })
    }
}

string_value_impls!(DomainName);

impl From<DomainName> for String {
    fn from(name: DomainName) -> Self {
        name.name
    }
}
