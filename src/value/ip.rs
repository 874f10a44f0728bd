//! [`IpAddress`]: an IPv4 or IPv6 address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{deserialize_str_value, StrValue};
use crate::ApiError;

/// An IP address: an IPv4 dotted quad or an IPv6 address, exactly as
/// [`IpAddr`]'s `FromStr` reads them.
///
/// So `1.2.3.4`, `::1`, `fe80::1` and `::ffff:1.2.3.4` are valid, while
/// octets with leading zeros (`01.2.3.4`, which some tools read as octal),
/// shortened IPv4 forms (`1.2.3`), zone ids (`fe80::1%eth0`), brackets,
/// ports and surrounding whitespace are not. Failures are
/// `InvalidIpAddress` ("IP address {ip} is invalid.").
///
/// The address is shown and serialized as [`IpAddr`] displays it: the
/// canonical form, so `0:0:0:0:0:0:0:1` comes out as `::1`.
///
/// ```
/// use std::net::{IpAddr, Ipv4Addr};
/// use defender_errors::{ErrorCode, IpAddress};
///
/// let ip: IpAddress = "10.0.0.1".parse()?;
/// assert_eq!(ip.get(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
///
/// let ip: IpAddress = serde_json::from_str(r#""0:0:0:0:0:0:0:1""#)?;
/// assert_eq!(ip.to_string(), "::1");
///
/// let err = "01.2.3.4".parse::<IpAddress>().unwrap_err();
/// assert_eq!(err.code(), ErrorCode::InvalidIpAddress);
/// assert_eq!(err.message(), "IP address 01.2.3.4 is invalid.");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpAddress(IpAddr);

impl IpAddress {
    /// The address.
    pub const fn get(self) -> IpAddr {
        self.0
    }

    /// Whether this is an IPv4 address.
    pub const fn is_ipv4(self) -> bool {
        self.0.is_ipv4()
    }

    /// Whether this is an IPv6 address (including IPv4-mapped ones such as
    /// `::ffff:1.2.3.4`).
    pub const fn is_ipv6(self) -> bool {
        self.0.is_ipv6()
    }
}

impl StrValue for IpAddress {
    const EXPECTING: &'static str = "an IPv4 or IPv6 address";

    fn parse_str(text: &str) -> Result<Self, ApiError> {
        IpAddr::from_str(text)
            .map(IpAddress)
            .map_err(|_| ApiError::invalid_ip(text))
    }
}

impl FromStr for IpAddress {
    type Err = ApiError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_str(text)
    }
}

impl<'de> Deserialize<'de> for IpAddress {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize_str_value(deserializer)
    }
}

impl Serialize for IpAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl From<IpAddr> for IpAddress {
    fn from(ip: IpAddr) -> Self {
        IpAddress(ip)
    }
}

impl From<Ipv4Addr> for IpAddress {
    fn from(ip: Ipv4Addr) -> Self {
        IpAddress(IpAddr::V4(ip))
    }
}

impl From<Ipv6Addr> for IpAddress {
    fn from(ip: Ipv6Addr) -> Self {
        IpAddress(IpAddr::V6(ip))
    }
}

impl From<IpAddress> for IpAddr {
    fn from(ip: IpAddress) -> Self {
        ip.0
    }
}
