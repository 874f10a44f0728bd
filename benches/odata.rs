//! Parsing and checking a 10-clause `$filter`, and a whole query string.
//!
//! Run with `cargo bench --bench odata`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use defender_errors::odata::{
    parse_filter, Capabilities as C, ODataQuery, PropertyType as T, Schema,
};

const FILTER: &str = "healthStatus eq 'Active' and lastSeen gt 2024-01-01T00:00:00Z \
    and riskScore in ('Medium', 'High') and startswith(tolower(computerDnsName), 'web') \
    and machineTags/any(tag: tag eq 'Prod') and not (osPlatform eq 'Linux') \
    and rbacGroupId ge 3 and exposureScore lt 7.5 and isAadJoined eq true \
    and aadDeviceId ne 8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f";

fn schema() -> Schema {
    Schema::builder()
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
        .property("osPlatform", T::String, C::ALL)
        .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
        .build()
}

fn bench(c: &mut Criterion) {
    let schema = schema();
    assert!(parse_filter(&schema, FILTER).is_ok());
    c.bench_function("parse and check a 10-clause $filter", |b| {
        b.iter(|| parse_filter(&schema, black_box(FILTER)).unwrap())
    });
    let raw = format!(
        "$filter={}&$orderby=lastSeen%20desc&$top=100&$skip=200&$select=computerDnsName,lastSeen",
        FILTER.replace(' ', "%20").replace('\'', "%27")
    );
    c.bench_function("parse a percent-encoded query string", |b| {
        b.iter(|| ODataQuery::parse(&schema, Some(black_box(&raw))).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
