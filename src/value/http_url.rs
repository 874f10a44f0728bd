//! [`HttpUrl`]: an absolute `http` or `https` URL.

use url::Url;

use super::{string_value_impls, StrValue};
use crate::ApiError;

/// An absolute `http` or `https` URL with a host, parsed by the [`url`]
/// crate (the WHATWG URL standard).
///
/// The text must start with `http://` or `https://` (the scheme in any
/// case) followed directly by a host, which may be a domain name, an IPv4
/// address or a bracketed IPv6 address, with an optional port, path, query
/// and fragment. These fail with `InvalidUrl` ("URL {url} is invalid."):
///
/// - other schemes (`ftp://x`, `mailto:a@b`, `javascript:…`);
/// - relative references (`/a/b`, `example.com/a`);
/// - no host (`http://`, `http:///a`, `http://?q`);
/// - the forms the URL standard repairs silently: no slashes
///   (`http:example.com`), leading or trailing spaces, and tabs or line
///   breaks anywhere, which the parser would drop;
/// - anything else the `url` crate rejects (a bad port, a bad IPv6 host).
///
/// The URL is kept only in its parsed form, so [`as_str`](Self::as_str),
/// `Display` and `Serialize` give the [`url`] crate's serialization, not
/// the text as received: the scheme and host in lower case, an empty path
/// as `/`, an internationalized host in A-label form
/// (`http://Example.COM` becomes `http://example.com/`), numeric hosts as
/// dotted quads (`http://0x7f.1` becomes `http://127.0.0.1/`), backslashes
/// in the path as slashes. Equality compares that form.
///
/// ```
/// use defender_errors::{ErrorCode, HttpUrl};
///
/// let url: HttpUrl = "HTTPS://Example.COM:8443/a?b=c".parse()?;
/// assert_eq!(url.as_str(), "https://example.com:8443/a?b=c");
/// assert_eq!(url.host_str(), "example.com");
/// assert_eq!(url.url().port(), Some(8443));
///
/// let err = "ftp://example.com/file".parse::<HttpUrl>().unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidUrl);
/// assert_eq!(err.message(), "URL ftp://example.com/file is invalid.");
///
/// let url: HttpUrl = serde_json::from_str(r#""http://example.com""#)?;
/// assert_eq!(url.to_string(), "http://example.com/");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HttpUrl(Url);

impl HttpUrl {
    /// The URL as the [`url`] crate serializes it.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }

    /// The parsed URL, owned.
    pub fn into_url(self) -> Url {
        self.0
    }

    /// The scheme: `http` or `https`.
    pub fn scheme(&self) -> &str {
        self.0.scheme()
    }

    /// The host as serialized: a lower-case domain name, an IPv4 address or
    /// a bracketed IPv6 address.
    pub fn host_str(&self) -> &str {
        self.0
            .host_str()
            .expect("an HttpUrl is only made with a host")
    }
}

/// The text after `http://` or `https://` (the scheme in any case), if it
/// starts with one of them.
fn after_scheme(text: &str) -> Option<&str> {
    ["http://", "https://"].iter().find_map(|prefix| {
        let head = text.get(..prefix.len())?;
        head.eq_ignore_ascii_case(prefix)
            .then(|| &text[prefix.len()..])
    })
}

/// Checks `text` and parses it.
fn parse(text: &str) -> Option<Url> {
    let rest = after_scheme(text)?;
    if rest.starts_with(['/', '\\', '?', '#'])
        || text
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return None;
    }
    Url::parse(text).ok().filter(is_http_with_host)
}

/// Whether `url` is `http` or `https` and has a non-empty host.
fn is_http_with_host(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|host| !host.is_empty())
}

impl StrValue for HttpUrl {
    const EXPECTING: &'static str = "an absolute http or https URL";

    fn parse_str(text: &str) -> Result<Self, ApiError> {
        parse(text)
            .map(HttpUrl)
            .ok_or_else(|| ApiError::invalid_url(text))
    }
}

string_value_impls!(HttpUrl);

impl From<HttpUrl> for Url {
    fn from(url: HttpUrl) -> Self {
        url.0
    }
}

impl TryFrom<Url> for HttpUrl {
    type Error = ApiError;

    /// Accepts an `http` or `https` URL with a host; `InvalidUrl` otherwise.
    fn try_from(url: Url) -> Result<Self, Self::Error> {
        if is_http_with_host(&url) {
            Ok(HttpUrl(url))
        } else {
            Err(ApiError::invalid_url(url.as_str()))
        }
    }
}
