//! Arbitrary bytes as a JSON body (and, when they are UTF-8, as a query
//! string) for a few body types shaped like Defender's machine-action and
//! indicator APIs.
//!
//! Invariants: nothing panics; every error has one of the codes a body or
//! query can produce, a message under 2,000 bytes without raw control
//! characters, and a well-formed envelope.

#![no_main]

mod common;

use std::collections::BTreeMap;

use defender_errors::extract::{from_form, from_query, from_slice};
use defender_errors::{Batch, DomainName, ErrorCode, FileHash, HttpUrl, IpAddress, Sha1Hash};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

use common::check_error;

/// The codes a failed body can carry.
const BODY_CODES: &[ErrorCode] = &[
    ErrorCode::InvalidRequestBody,
    ErrorCode::MissingRequiredParameter,
    ErrorCode::InvalidInput,
    ErrorCode::InvalidHashValue,
    ErrorCode::InvalidDomainName,
    ErrorCode::InvalidIpAddress,
    ErrorCode::InvalidUrl,
    ErrorCode::MaximumBatchSizeExceeded,
];

/// The codes a failed query string can carry: a body's, except that a
/// problem with the string as a whole is `BadRequest`.
const QUERY_CODES: &[ErrorCode] = &[
    ErrorCode::BadRequest,
    ErrorCode::MissingRequiredParameter,
    ErrorCode::InvalidInput,
    ErrorCode::InvalidHashValue,
    ErrorCode::InvalidDomainName,
    ErrorCode::InvalidIpAddress,
    ErrorCode::InvalidUrl,
    ErrorCode::MaximumBatchSizeExceeded,
];

/// `POST /api/machines/{id}/isolate`: one required, one optional parameter.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Isolate {
    comment: String,
    isolation_type: Option<IsolationType>,
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
enum IsolationType {
    Full,
    Selective,
    UnManaged,
}

/// `POST /api/machines/{id}/runAntiVirusScan`, strict about unknown keys.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct RunScan {
    comment: String,
    scan_type: String,
    timeout_seconds: Option<u32>,
}

/// One indicator of an import: typed values, nested lists and a map.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Indicator {
    indicator_value: String,
    #[serde(rename = "Sha1")]
    sha1: Sha1Hash,
    action: String,
    severity: Option<u8>,
    expiration_time: Option<String>,
    domain: Option<DomainName>,
    ip_address: Option<IpAddress>,
    url: Option<HttpUrl>,
    rbac_group_names: Option<Vec<String>>,
    additional_properties: Option<BTreeMap<String, i64>>,
    generate_alert: Option<bool>,
}

/// `POST /api/indicators/import`: a list of structs and a bounded batch.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct ImportIndicators {
    indicators: Vec<Indicator>,
    file_hashes: Option<Batch<FileHash, 5>>,
}

/// `POST /api/machines/StopAndQuarantineFile`-like, strict, with a nested
/// strict struct.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct Quarantine {
    comment: String,
    #[serde(rename = "Sha1")]
    sha1: Sha1Hash,
    target: Option<Target>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
#[allow(dead_code)]
struct Target {
    machine_ids: Batch<String, 5>,
    domain: Option<DomainName>,
}

/// Query parameters of a list endpoint with typed values.
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct ListQuery {
    top: Option<u32>,
    skip: Option<u64>,
    hash: Option<FileHash>,
    domain: Option<DomainName>,
    ip: Option<IpAddress>,
    url: Option<HttpUrl>,
    #[serde(rename = "machineId")]
    machine_id: String,
}

fn body<T: for<'de> Deserialize<'de> + std::fmt::Debug>(bytes: &[u8]) {
    if let Err(err) = from_slice::<T>(bytes) {
        check_error(&err, BODY_CODES, &String::from_utf8_lossy(bytes));
    }
}

fn query<T: for<'de> Deserialize<'de> + std::fmt::Debug>(text: &str) {
    if let Err(err) = from_query::<T>(text) {
        check_error(&err, QUERY_CODES, &text);
    }
}

fn form<T: for<'de> Deserialize<'de> + std::fmt::Debug>(bytes: &[u8]) {
    if let Err(err) = from_form::<T>(bytes) {
        check_error(&err, BODY_CODES, &String::from_utf8_lossy(bytes));
    }
}

fuzz_target!(|data: &[u8]| {
    body::<Isolate>(data);
    body::<RunScan>(data);
    body::<ImportIndicators>(data);
    body::<Quarantine>(data);
    body::<Batch<Indicator, 5>>(data);
    body::<Batch<FileHash, 5>>(data);

    // A form body reports problems with the whole text as a body would.
    form::<ListQuery>(data);
    form::<Isolate>(data);

    if let Ok(text) = std::str::from_utf8(data) {
        query::<ListQuery>(text);
        query::<Isolate>(text);
        query::<RunScan>(text);
    }
});
