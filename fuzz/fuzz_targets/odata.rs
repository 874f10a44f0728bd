//! Arbitrary text as a raw query string (`ODataQuery::parse`) and as a
//! `$filter` value (`parse_filter`), against a machines-like schema.
//!
//! Invariants: nothing panics; every error is `ODataError` with a bounded,
//! control-free message and a well-formed envelope; an accepted filter
//! renders without control characters, and (when it holds none) as text
//! that is accepted again, renders the same way (a fixed point), and
//! selects the same items; an accepted query can be applied.

#![no_main]

mod common;

use std::sync::LazyLock;

use defender_odata::{
    parse_filter, Capabilities as C, ODataQuery, PropertyType as T, Schema,
};
use defender_errors::ErrorCode;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

use common::check_error;

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    Schema::builder()
        .property("id", T::String, C::ALL)
        .property("computerDnsName", T::String, C::ALL)
        .property(
            "healthStatus",
            T::enumeration([
                "Active",
                "Inactive",
                "ImpairedCommunication",
                "NoSensorData",
            ]),
            C::ALL,
        )
        .property(
            "riskScore",
            T::enumeration(["None", "Low", "Medium", "High"]),
            C::ALL,
        )
        .property("lastSeen", T::DateTime, C::ALL)
        .property("rbacGroupId", T::Integer, C::ALL)
        .property("exposureScore", T::Double, C::ALL)
        .property("isAadJoined", T::Boolean, C::ALL)
        .property("aadDeviceId", T::Guid, C::ALL)
        .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
        .property("osPlatform", T::String, C::SORT | C::SELECT)
        .property("internalNotes", T::String, C::FILTER)
        .expandable("evidence")
        .build()
});

static MACHINES: LazyLock<Vec<Value>> = LazyLock::new(|| {
    vec![
        json!({
            "id": "m1", "computerDnsName": "web01.contoso.com", "healthStatus": "Active",
            "riskScore": "High", "lastSeen": "2024-03-01T10:00:00Z", "rbacGroupId": 7,
            "exposureScore": 1.5, "isAadJoined": true,
            "aadDeviceId": "8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f",
            "machineTags": ["Prod", "it's"], "osPlatform": "Windows10", "internalNotes": ""
        }),
        json!({
            "id": "m2", "computerDnsName": "DB02", "healthStatus": "Inactive",
            "riskScore": "None", "lastSeen": "2024-03-02T10:00:00+05:00", "rbacGroupId": -1,
            "exposureScore": 1e300, "isAadJoined": false, "aadDeviceId": null,
            "machineTags": [], "osPlatform": null
        }),
        json!({"id": "m3", "machineTags": null, "lastSeen": "not a date", "rbacGroupId": "7"}),
        json!({}),
    ]
});

/// A re-rendered filter may legitimately fail the length or depth limit:
/// rendering adds parentheses and spaces.
fn is_limit_error(message: &str) -> bool {
    message.contains("nested deeper than") || message.contains("characters long")
}

fn filter(text: &str) {
    let expr = match parse_filter(&SCHEMA, text) {
        Ok(expr) => expr,
        Err(err) => {
            check_error(&err, &[ErrorCode::ODataError], &text);
            assert!(
                err.message().starts_with("Invalid OData URI query $filter: "),
                "{text:?}: {}",
                err.message()
            );
            return;
        }
    };
    let rendered = expr.to_string();
    assert!(
        !rendered.chars().any(char::is_control),
        "{text:?} renders with a control character: {rendered:?}"
    );
    if text.chars().any(char::is_control) {
        // Only a string literal can hold one, and it renders escaped: the
        // rendering is for logs and no longer reads back as the same literal.
        return;
    }
    let again = match parse_filter(&SCHEMA, &rendered) {
        Ok(again) => again,
        Err(err) if is_limit_error(err.message()) => return,
        Err(err) => panic!("{text:?} renders as {rendered:?}, which fails: {}", err.message()),
    };
    assert_eq!(again.to_string(), rendered, "{text:?}: rendering is not a fixed point");
    for machine in MACHINES.iter() {
        assert_eq!(
            expr.matches(&SCHEMA, machine),
            again.matches(&SCHEMA, machine),
            "{text:?} and its rendering {rendered:?} disagree on {machine}"
        );
    }
}

fn query(text: &str) {
    match ODataQuery::parse(&SCHEMA, Some(text)) {
        Ok(query) => {
            let page = query.page(&MACHINES);
            assert!(page.value.len() <= MACHINES.len());
            if let Some(top) = query.top() {
                assert!(page.value.len() as u64 <= top);
            }
            let _ = format!("{query:?}");
        }
        Err(err) => check_error(&err, &[ErrorCode::ODataError], &text),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    query(text);
    filter(text);
});
