//! Arbitrary text through every typed value.
//!
//! Invariants, for each of `FileHash`, `Md5Hash`, `Sha1Hash`, `Sha256Hash`,
//! `DomainName`, `IpAddress` and `HttpUrl`:
//!
//! - `from_str` never panics;
//! - on success, `Display` gives a canonical text that parses again to an
//!   equal value with the same text (a fixed point), and serde agrees;
//! - on failure, the value's own code, a bounded, control-free message and
//!   a well-formed envelope;
//! - deserializing the text from JSON (borrowed, `visit_str`) and from an
//!   owned `String` (`visit_string`) accepts and rejects exactly what
//!   `from_str` does, with the same code and message.
//!
//! `Batch` has no `FromStr` (it is a JSON array); it is fuzzed through
//! `from_slice` with the text as a JSON document, and through `Batch::new`.

#![no_main]

mod common;

use std::fmt::{Debug, Display};
use std::str::FromStr;

use defender_errors::extract::from_slice;
use defender_errors::{
    ApiError, Batch, DomainName, ErrorCode, FileHash, HashKind, HttpUrl, IpAddress, Md5Hash,
    Sha1Hash, Sha256Hash,
};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;

use common::check_error;

fn value<T>(text: &str, code: ErrorCode) -> Option<T>
where
    T: FromStr<Err = ApiError> + Display + Debug + PartialEq + Serialize + DeserializeOwned,
{
    let parsed = text.parse::<T>();

    // The same text as a JSON string, through the crate's body extractor
    // (borrowed when there is no escape) and as an owned string.
    let json = serde_json::to_vec(text).expect("a string serializes");
    let via_body = from_slice::<T>(&json);
    let via_owned = serde_json::from_value::<T>(serde_json::Value::String(text.to_owned()));

    match &parsed {
        Ok(value) => {
            let canonical = value.to_string();
            let again = canonical
                .parse::<T>()
                .unwrap_or_else(|e| panic!("{text:?} -> {canonical:?} fails: {e}"));
            assert_eq!(&again, value, "{text:?} -> {canonical:?}");
            assert_eq!(again.to_string(), canonical, "{text:?}: not a fixed point");

            let serialized = serde_json::to_string(value).expect("a value serializes");
            assert_eq!(serialized, serde_json::to_string(&canonical).unwrap());

            assert_eq!(via_body.as_ref().ok(), Some(value), "{text:?} as a body");
            assert_eq!(via_owned.as_ref().ok(), Some(value), "{text:?} as a String");
        }
        Err(err) => {
            check_error(err, &[code], &text);
            let body_err = via_body
                .as_ref()
                .expect_err("from_str rejects it but the body accepts it");
            assert_eq!(body_err.code(), err.code(), "{text:?} as a body");
            assert_eq!(body_err.message(), err.message(), "{text:?} as a body");
            let owned_err = via_owned
                .as_ref()
                .expect_err("from_str rejects it but a String deserializes");
            assert!(
                owned_err.to_string().starts_with(err.message()),
                "{text:?}: {owned_err} vs {}",
                err.message()
            );
        }
    }
    parsed.ok()
}

fn batch(data: &[u8]) {
    const LIMIT: usize = 3;
    match from_slice::<Batch<u32, LIMIT>>(data) {
        Ok(batch) => assert!(batch.len() <= LIMIT),
        Err(err) => check_error(
            &err,
            &[
                ErrorCode::InvalidRequestBody,
                ErrorCode::InvalidInput,
                ErrorCode::MaximumBatchSizeExceeded,
            ],
            &String::from_utf8_lossy(data),
        ),
    }
    match from_slice::<Batch<FileHash, LIMIT>>(data) {
        Ok(batch) => assert!(batch.len() <= LIMIT),
        Err(err) => check_error(
            &err,
            &[
                ErrorCode::InvalidRequestBody,
                ErrorCode::InvalidInput,
                ErrorCode::InvalidHashValue,
                ErrorCode::MaximumBatchSizeExceeded,
            ],
            &String::from_utf8_lossy(data),
        ),
    }
    // Built directly, the limit is the only check.
    let elements = data.to_vec();
    match Batch::<u8, 16>::new(elements) {
        Ok(batch) => assert!(data.len() <= 16 && batch.as_slice() == data),
        Err(err) => {
            assert!(data.len() > 16);
            check_error(&err, &[ErrorCode::MaximumBatchSizeExceeded], &data.len());
            assert_eq!(
                err.message(),
                format!(
                    "Maximum batch size exceeded. Received: {}, allowed: 16.",
                    data.len()
                )
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    batch(data);

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    let any = value::<FileHash>(text, ErrorCode::InvalidHashValue);
    let md5 = value::<Md5Hash>(text, ErrorCode::InvalidHashValue);
    let sha1 = value::<Sha1Hash>(text, ErrorCode::InvalidHashValue);
    let sha256 = value::<Sha256Hash>(text, ErrorCode::InvalidHashValue);
    // A fixed-kind hash is exactly a file hash of that kind.
    let kind = any.as_ref().map(FileHash::kind);
    assert_eq!(md5.is_some(), kind == Some(HashKind::Md5), "{text:?}");
    assert_eq!(sha1.is_some(), kind == Some(HashKind::Sha1), "{text:?}");
    assert_eq!(sha256.is_some(), kind == Some(HashKind::Sha256), "{text:?}");
    if let Some(hash) = &any {
        assert_eq!(hash.as_str().len(), hash.kind().hex_len());
        assert_eq!(hash.as_str(), text.to_ascii_lowercase());
    }

    if let Some(name) = value::<DomainName>(text, ErrorCode::InvalidDomainName) {
        let name = name.as_str();
        assert!(!name.is_empty() && name.len() <= 253, "{text:?}");
        assert!(!name.ends_with('.') && !name.bytes().any(|b| b.is_ascii_uppercase()));
    }

    if let Some(ip) = value::<IpAddress>(text, ErrorCode::InvalidIpAddress) {
        assert_eq!(ip.get(), text.parse::<std::net::IpAddr>().unwrap());
    }

    if let Some(url) = value::<HttpUrl>(text, ErrorCode::InvalidUrl) {
        assert!(matches!(url.scheme(), "http" | "https"), "{text:?}");
        assert!(!url.host_str().is_empty(), "{text:?}");
    }
});
