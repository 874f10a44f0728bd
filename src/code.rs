//! The table of error codes: each code's spelling and HTTP status.
//!
//! [`ErrorCode`] lists the codes of the Defender REST API reference, the
//! `TooManyRequests` code of its current edition, and the extension codes this
//! crate uses for statuses the reference does not cover.

use std::fmt;
use std::str::FromStr;

use http::StatusCode;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident => $status:ident, $default:expr; )*) => {
        /// A Defender error code.
        ///
        /// Each variant is spelled exactly as the code appears in the `code`
        /// member of the envelope and in the `x-ms-error-code` header.
        ///
        /// ```
        /// use defender_errors::ErrorCode;
        /// use http::StatusCode;
        ///
        /// assert_eq!(ErrorCode::ResourceNotFound.as_str(), "ResourceNotFound");
        /// assert_eq!(ErrorCode::ResourceNotFound.status(), StatusCode::NOT_FOUND);
        /// assert_eq!("ODataError".parse::<ErrorCode>(), Ok(ErrorCode::ODataError));
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// Every code, in the order of the table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The code exactly as it is spelled on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( ErrorCode::$name => stringify!($name), )*
                }
            }

            /// The HTTP status the code is sent with.
            pub const fn status(self) -> StatusCode {
                match self {
                    $( ErrorCode::$name => StatusCode::$status, )*
                }
            }

            /// The message used when nothing more specific is known, for
            /// example when the layer rewrites a plain error response.
            pub const fn default_message(self) -> &'static str {
                match self {
                    $( ErrorCode::$name => $default, )*
                }
            }
        }

        impl FromStr for ErrorCode {
            type Err = UnknownErrorCode;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( stringify!($name) => Ok(ErrorCode::$name), )*
                    _ => Err(UnknownErrorCode(())),
                }
            }
        }
    };
}

error_codes! {
    /// 400: a general message saying what is wrong.
    BadRequest => BAD_REQUEST, "The request is invalid.";
    /// 400: an OData query option is malformed or not allowed.
    ODataError => BAD_REQUEST, "Invalid OData URI query.";
    /// 400: a parameter's value is invalid.
    InvalidInput => BAD_REQUEST, "Invalid input.";
    /// 400: the request body could not be read as the expected JSON.
    InvalidRequestBody => BAD_REQUEST, "Invalid request body.";
    /// 400: a file hash is not MD5, SHA-1 or SHA-256 hexadecimal.
    InvalidHashValue => BAD_REQUEST, "Hash value is invalid.";
    /// 400: a domain name is not a valid host name.
    InvalidDomainName => BAD_REQUEST, "Domain name is invalid.";
    /// 400: an IP address does not parse.
    InvalidIpAddress => BAD_REQUEST, "IP address is invalid.";
    /// 400: a URL is not an absolute http or https URL.
    InvalidUrl => BAD_REQUEST, "URL is invalid.";
    /// 400: a batch holds more items than allowed.
    MaximumBatchSizeExceeded => BAD_REQUEST, "Maximum batch size exceeded.";
    /// 400: a required parameter is absent.
    MissingRequiredParameter => BAD_REQUEST, "A required parameter is missing.";
    /// 400: the device's OS platform does not support the action.
    OsPlatformNotSupported => BAD_REQUEST, "OS Platform is not supported for this action.";
    /// 400: the device's client version is too old for the action.
    ClientVersionNotSupported => BAD_REQUEST, "The action is not supported on this client version.";
    /// 401: a missing, invalid or expired authorization header.
    Unauthorized => UNAUTHORIZED, "Unauthorized.";
    /// 403: a valid token without the permission the action needs.
    Forbidden => FORBIDDEN, "Forbidden.";
    /// 403: the tenant feature is not enabled.
    DisabledFeature => FORBIDDEN, "Tenant feature is not enabled.";
    /// 403: the operation is not allowed, with the reason.
    DisallowedOperation => FORBIDDEN, "The operation is not allowed.";
    /// 404: a general not-found message.
    NotFound => NOT_FOUND, "The requested resource was not found.";
    /// 404: a named resource was not found.
    ResourceNotFound => NOT_FOUND, "The requested resource was not found.";
    /// 429: the caller exceeded a rate limit (sent with `Retry-After`).
    TooManyRequests => TOO_MANY_REQUESTS, "Rate limit exceeded.";
    /// 500: an internal error; the message is always empty.
    InternalServerError => INTERNAL_SERVER_ERROR, "";
    /// 405 (extension): the method is not allowed; the `Allow` header is kept.
    MethodNotAllowed => METHOD_NOT_ALLOWED, "The method is not allowed for the requested resource.";
    /// 406 (extension): no acceptable representation.
    NotAcceptable => NOT_ACCEPTABLE, "The requested representation is not available.";
    /// 408 (extension): the client was too slow to send the request.
    RequestTimeout => REQUEST_TIMEOUT, "The request timed out.";
    /// 413 (extension): the request body is larger than the server accepts.
    PayloadTooLarge => PAYLOAD_TOO_LARGE, "The request body is too large.";
    /// 415 (extension): the request's `Content-Type` is missing or not supported.
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE, "The request content type is not supported.";
    /// 431 (extension): the request's header fields are too many or too large.
    RequestHeaderFieldsTooLarge => REQUEST_HEADER_FIELDS_TOO_LARGE, "The request header fields are too large.";
    /// 501 (extension): the request uses a transfer coding the server does
    /// not implement (anything but `chunked`).
    NotImplemented => NOT_IMPLEMENTED, "The request uses a transfer coding the server does not implement.";
    /// 503 (extension): the service is overloaded (sent with `Retry-After`).
    ServiceUnavailable => SERVICE_UNAVAILABLE, "The service is temporarily unavailable.";
    /// 504 (extension): the handler exceeded the server's time limit.
    GatewayTimeout => GATEWAY_TIMEOUT, "The request did not complete within the server's time limit.";
}

impl ErrorCode {
    /// The code a plain error response with `status` is rewritten to.
    ///
    /// Statuses with their own code map to it; `422` (axum's JSON data
    /// error) maps to [`ErrorCode::InvalidRequestBody`]; any other 4xx to
    /// [`ErrorCode::BadRequest`] and any other 5xx (or the invalid 6xx to
    /// 9xx) to [`ErrorCode::InternalServerError`]. The layer keeps the
    /// original status except for `422`, sent as `400`, and 6xx to 9xx,
    /// sent as `500`.
    pub const fn from_status(status: StatusCode) -> ErrorCode {
        match status.as_u16() {
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            405 => ErrorCode::MethodNotAllowed,
            406 => ErrorCode::NotAcceptable,
            408 => ErrorCode::RequestTimeout,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            422 => ErrorCode::InvalidRequestBody,
            429 => ErrorCode::TooManyRequests,
            431 => ErrorCode::RequestHeaderFieldsTooLarge,
            501 => ErrorCode::NotImplemented,
            503 => ErrorCode::ServiceUnavailable,
            504 => ErrorCode::GatewayTimeout,
            500..=999 => ErrorCode::InternalServerError,
            _ => ErrorCode::BadRequest,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse()
            .map_err(|_| serde::de::Error::custom(format_args!("unknown error code `{s}`")))
    }
}

/// The error returned when a string is not the spelling of any [`ErrorCode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownErrorCode(());

impl fmt::Display for UnknownErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a Defender error code")
    }
}

impl std::error::Error for UnknownErrorCode {}
