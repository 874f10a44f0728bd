//! Parsing and checking a 10-clause `$filter` and a whole query string;
//! and the worst request the default limits accept: the costliest filter
//! of at most `DEFAULT_MAX_FILTER_LENGTH` characters, parsed, checked and
//! evaluated, against the 10-clause filter in the same run.
//!
//! Run with `cargo bench -p defender-odata --bench odata`.

use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use defender_odata::{
    parse_filter, Capabilities as C, ODataQuery, PropertyType as T, Schema,
    DEFAULT_MAX_FILTER_LENGTH,
};
use serde_json::{json, Value};

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

/// The costliest filter the default limits accept among those without
/// `concat`: lambdas cannot nest, so the most work per item is one `all`
/// whose predicate holds as many clauses as fit, each true for every
/// member (so none short-circuits) and each lower-casing the member (an
/// allocation and a copy). A balanced tree of `concat` calls copies its
/// strings once per level, so it can copy more bytes per character of
/// filter (at most log2 of its leaves times, and the depth limit); it is
/// not measured here.
fn worst_filter() -> String {
    const CLAUSE: &str = "contains(tolower(t), 'tag')";
    let mut filter = String::from("machineTags/all(t: ");
    filter.push_str(CLAUSE);
    // The closing parenthesis must fit too.
    while filter.len() + " and ".len() + CLAUSE.len() < DEFAULT_MAX_FILTER_LENGTH {
        filter.push_str(" and ");
        filter.push_str(CLAUSE);
    }
    filter.push(')');
    filter
}

/// A machine with `tags` tags of 20 characters.
fn machine(tags: usize) -> Value {
    let tags: Vec<String> = (0..tags).map(|i| format!("Tag-{i:016}")).collect();
    json!({
        "computerDnsName": "web01.contoso.com", "healthStatus": "Active",
        "riskScore": "High", "lastSeen": "2024-03-01T10:00:00Z", "rbacGroupId": 7,
        "exposureScore": 1.5, "isAadJoined": true,
        "aadDeviceId": "8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f",
        "machineTags": tags, "osPlatform": "Windows10"
    })
}

/// As a browser sends it: every byte outside the unreserved set
/// percent-encoded, three characters each.
fn percent_encoded(text: &str) -> String {
    let mut encoded = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    encoded
}

fn worst(c: &mut Criterion) {
    let schema = schema();
    let worst = worst_filter();
    let expr = parse_filter(&schema, &worst).unwrap();
    let ten = parse_filter(&schema, FILTER).unwrap();
    let (m10, m100) = (machine(10), machine(100));
    assert!(expr.matches(&schema, &m10) && expr.matches(&schema, &m100));
    println!(
        "worst filter: {} characters, {} clauses",
        worst.len(),
        worst.matches(" and ").count() + 1
    );

    c.bench_function("worst $filter: parse and check", |b| {
        b.iter(|| parse_filter(&schema, black_box(&worst)).unwrap())
    });
    c.bench_function(
        "10-clause $filter: evaluate one machine with 10 tags",
        |b| b.iter(|| ten.matches(&schema, black_box(&m10))),
    );
    c.bench_function("worst $filter: evaluate one machine with 10 tags", |b| {
        b.iter(|| expr.matches(&schema, black_box(&m10)))
    });
    c.bench_function("worst $filter: evaluate one machine with 100 tags", |b| {
        b.iter(|| expr.matches(&schema, black_box(&m100)))
    });

    // The whole request: a query string of about 12 KB (within a 16 KB
    // URL), parsed, checked and applied to a page of 100 machines.
    let raw = format!("$filter={}&$top=100", percent_encoded(&worst));
    println!("worst query string: {} bytes", raw.len());
    assert!(raw.len() < 16 * 1024);
    let machines: Vec<Value> = (0..100).map(|_| machine(10)).collect();
    c.bench_function(
        "worst query string: parse, check and page 100 machines with 10 tags",
        |b| {
            b.iter(|| {
                let query = ODataQuery::parse(&schema, Some(black_box(&raw))).unwrap();
                query.page(&machines)
            })
        },
    );
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

criterion_group!(benches, bench, worst);

/// With `ODATA_RUN=<workload>:<n>` set, runs one workload `n` times and
/// exits, for counting instructions with callgrind (the count of `n = 11`
/// minus that of `n = 1`, over 10, is one run's):
///
/// ```text
/// ODATA_RUN=eval-worst-10:11 valgrind --tool=callgrind target/release/deps/odata-…
/// ```
///
/// Workloads: `parse-10`, `parse-worst`, `eval-10`, `eval-worst-10`,
/// `eval-worst-100`, `page-worst`.
fn run_once(spec: &str) {
    let (workload, n) = spec.split_once(':').expect("ODATA_RUN=<workload>:<n>");
    let n: usize = n.parse().expect("a count");
    let schema = schema();
    let worst = worst_filter();
    let expr = parse_filter(&schema, &worst).unwrap();
    let ten = parse_filter(&schema, FILTER).unwrap();
    let (m10, m100) = (machine(10), machine(100));
    let raw = format!("$filter={}&$top=100", percent_encoded(&worst));
    let machines: Vec<Value> = (0..100).map(|_| machine(10)).collect();
    for _ in 0..n {
        match workload {
            "parse-10" => drop(black_box(parse_filter(&schema, black_box(FILTER)))),
            "parse-worst" => drop(black_box(parse_filter(&schema, black_box(&worst)))),
            "eval-10" => drop(black_box(ten.matches(&schema, black_box(&m10)))),
            "eval-worst-10" => drop(black_box(expr.matches(&schema, black_box(&m10)))),
            "eval-worst-100" => drop(black_box(expr.matches(&schema, black_box(&m100)))),
            "page-worst" => {
                let query = ODataQuery::parse(&schema, Some(black_box(&raw))).unwrap();
                drop(black_box(query.page(&machines)));
            }
            other => panic!("unknown workload {other}"),
        }
    }
}

fn main() {
    if let Ok(spec) = std::env::var("ODATA_RUN") {
        return run_once(&spec);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
