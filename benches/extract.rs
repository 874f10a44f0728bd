//! The crate's `Json<T>` against `axum::Json<T>` on valid bodies: a 3-field
//! body, a nested body of 50 fields and a 500-element batch.
//!
//! Run with `cargo bench --bench extract`. Each case measures the whole
//! extractor from a request (content-type check, body collection,
//! deserialization) on a current-thread runtime, the same for both.
//!
//! The `worst/…` groups measure the largest accepted JSON bodies (256 KiB
//! and 1 MiB, the default body limit) through `extract::from_slice`
//! against plain `serde_json::from_slice` of the same bytes into the same
//! type: a struct holding an array of objects, a `HashMap<String, Struct>`,
//! and the failure path of that map with a wrong-case key in its last
//! entry (the case guard, then the diagnosis). Two sizes show the cost is
//! linear in the body.
//!
//! Wall-clock figures drift on a shared machine; for instruction counts,
//! `EXTRACT_REPEAT=<case> EXTRACT_N=<n>` runs one case `n` times without
//! criterion, to be counted by callgrind (cases: see [`repeat`]):
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     EXTRACT_REPEAT=json3/crate EXTRACT_N=100 target/release/deps/extract-…
//! ```

use std::collections::HashMap;
use std::hint::black_box;

use axum::body::Body;
use axum::extract::FromRequest;
use criterion::{criterion_group, Criterion};
use defender_errors::extract::{from_slice, Json};
use defender_errors::Batch;
use http::Request;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Isolate {
    comment: String,
    isolation_type: Option<String>,
    expiration_days: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Section {
    name: String,
    count: u64,
    enabled: bool,
    ratio: f64,
    owner: Option<String>,
    tag_one: String,
    tag_two: String,
    created: String,
    score: i64,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Nested {
    alpha: Section,
    beta: Section,
    gamma: Section,
    delta: Section,
    epsilon: Section,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Indicator {
    indicator_value: String,
    indicator_type: String,
    action: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct ImportBatch {
    indicators: Batch<Indicator, 500>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct ImportVec {
    indicators: Vec<Indicator>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Machine {
    computer_dns_name: String,
    health_status: String,
    risk_score: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct Fleet {
    machines: HashMap<String, Machine>,
}

/// The array body of [`large_body`] with three members a flattened struct
/// reads (serde buffers them; the extractors add no pass for them).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct FlatImport {
    indicators: Vec<Indicator>,
    #[serde(flatten)]
    options: FlatOptions,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(dead_code)]
struct FlatOptions {
    a: Option<String>,
    b: Option<String>,
    c: Option<String>,
}

/// A body of about `size` bytes: an object whose one member is an array
/// (`Indicators`) or a map (`Machines`) of small objects. With `wrong_case`
/// the last map entry spells `RiskScore` as `riskScore`.
fn large_body(size: usize, map: bool, wrong_case: bool) -> String {
    let mut body = String::with_capacity(size + 256);
    body.push_str(if map {
        r#"{"Machines": {"#
    } else {
        r#"{"Indicators": ["#
    });
    let mut i = 0;
    while body.len() < size {
        if i > 0 {
            body.push(',');
        }
        let last = body.len() + 200 >= size;
        let risk = if wrong_case && last {
            "riskScore"
        } else {
            "RiskScore"
        };
        if map {
            body.push_str(&format!(
                r#""m{i:08}": {{"ComputerDnsName": "host{i}.contoso.com", "HealthStatus": "Active", "{risk}": "Low"}}"#
            ));
        } else {
            body.push_str(&format!(
                r#"{{"IndicatorValue": "{i:040x}", "IndicatorType": "FileSha1", "Action": "Block"}}"#
            ));
        }
        i += 1;
    }
    body.push_str(if map { "}}" } else { "]}" });
    body
}

fn worst(c: &mut Criterion) {
    for (label, size) in [("256KiB", 256 * 1024), ("1MiB", 1024 * 1024)] {
        let array = large_body(size, false, false);
        let map = large_body(size, true, false);
        let wrong = large_body(size, true, true);
        assert!(from_slice::<ImportVec>(array.as_bytes()).is_ok());
        assert!(from_slice::<Fleet>(map.as_bytes()).is_ok());
        let error = from_slice::<Fleet>(wrong.as_bytes())
            .err()
            .expect("wrong case");
        assert!(error.message().contains("riskScore"), "{}", error.message());

        let mut group = c.benchmark_group(format!("worst/{label}"));
        group.sample_size(10);
        group.bench_function("struct: serde_json", |b| {
            b.iter(|| black_box(serde_json::from_slice::<ImportVec>(array.as_bytes()).is_ok()))
        });
        group.bench_function("struct: from_slice", |b| {
            b.iter(|| black_box(from_slice::<ImportVec>(array.as_bytes()).is_ok()))
        });
        group.bench_function("map: serde_json", |b| {
            b.iter(|| black_box(serde_json::from_slice::<Fleet>(map.as_bytes()).is_ok()))
        });
        group.bench_function("map: from_slice", |b| {
            b.iter(|| black_box(from_slice::<Fleet>(map.as_bytes()).is_ok()))
        });
        group.bench_function("map, wrong case: serde_json", |b| {
            b.iter(|| black_box(serde_json::from_slice::<Fleet>(wrong.as_bytes()).is_ok()))
        });
        group.bench_function("map, wrong case: from_slice", |b| {
            b.iter(|| black_box(from_slice::<Fleet>(wrong.as_bytes()).is_ok()))
        });
        group.finish();
    }
}

fn section(name: &str) -> String {
    format!(
        r#"{{"Name": "{name}", "Count": 42, "Enabled": true, "Ratio": 0.25, "Owner": "soc",
            "TagOne": "prod", "TagTwo": "eu", "Created": "2024-01-01T00:00:00Z", "Score": -7, "Note": null}}"#
    )
}

fn bodies() -> Vec<(&'static str, String)> {
    let small =
        r#"{"Comment": "isolate now", "IsolationType": "Full", "ExpirationDays": 7}"#.to_owned();
    let nested = format!(
        r#"{{"Alpha": {}, "Beta": {}, "Gamma": {}, "Delta": {}, "Epsilon": {}}}"#,
        section("a"),
        section("b"),
        section("c"),
        section("d"),
        section("e")
    );
    let items: Vec<String> = (0..500)
        .map(|i| {
            format!(
                r#"{{"IndicatorValue": "{i:040x}", "IndicatorType": "FileSha1", "Action": "Block"}}"#
            )
        })
        .collect();
    let batch = format!(r#"{{"Indicators": [{}]}}"#, items.join(","));
    vec![
        ("3 fields", small),
        ("50 fields nested", nested),
        ("500-element batch", batch),
    ]
}

fn request(body: &str) -> Request<Body> {
    Request::post("/")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn extract(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bodies = bodies();
    for (name, body) in &bodies {
        let mut group = c.benchmark_group(format!("json/{name}"));
        macro_rules! case {
            ($crate_ty:ty, $axum_ty:ty) => {{
                group.bench_function("axum::Json", |b| {
                    b.iter(|| {
                        rt.block_on(async {
                            let parsed =
                                axum::Json::<$axum_ty>::from_request(request(body), &()).await;
                            black_box(parsed.is_ok())
                        })
                    })
                });
                group.bench_function("defender_errors::Json", |b| {
                    b.iter(|| {
                        rt.block_on(async {
                            let parsed = Json::<$crate_ty>::from_request(request(body), &()).await;
                            black_box(parsed.is_ok())
                        })
                    })
                });
            }};
        }
        match *name {
            "3 fields" => case!(Isolate, Isolate),
            "50 fields nested" => case!(Nested, Nested),
            _ => case!(ImportBatch, ImportVec),
        }
        group.finish();
    }
}

/// Checks once, before measuring, that every body is valid for both.
fn sanity() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (name, body) in bodies() {
        let ok = rt.block_on(async {
            match name {
                "3 fields" => Json::<Isolate>::from_request(request(&body), &())
                    .await
                    .is_ok(),
                "50 fields nested" => Json::<Nested>::from_request(request(&body), &())
                    .await
                    .is_ok(),
                _ => Json::<ImportBatch>::from_request(request(&body), &())
                    .await
                    .is_ok(),
            }
        });
        assert!(ok, "{name} is not a valid body");
    }
}

fn benches(c: &mut Criterion) {
    sanity();
    extract(c);
    worst(c);
}

criterion_group!(extract_benches, benches);

/// Runs the case named by `EXTRACT_REPEAT` `EXTRACT_N` times: `json3`,
/// `json50`, `json500` (each `/axum` or `/crate`, a whole request), or
/// `struct`, `map`, `wrong`, `flatten` (each `/serde` or `/crate`, a 1 MiB
/// body, or `EXTRACT_KIB` KiB).
fn repeat(case: &str, n: usize) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let bodies = bodies();
    let (kind, side) = case.split_once('/').expect("case/side");
    let crate_side = side == "crate";
    let mib = 1024 * std::env::var("EXTRACT_KIB").map_or(1024, |k| k.parse().expect("EXTRACT_KIB"));
    let large = match kind {
        "struct" => large_body(mib, false, false),
        "map" => large_body(mib, true, false),
        "wrong" => large_body(mib, true, true),
        "flatten" => {
            let body = large_body(mib - 200, false, false);
            let end = body.rfind('}').expect("an object");
            format!(r#"{}, "A": "a", "B": "b", "C": "c"}}"#, &body[..end])
        }
        _ => String::new(),
    };
    for _ in 0..n {
        let ok = match kind {
            "json3" | "json50" | "json500" => {
                let body = &bodies[match kind {
                    "json3" => 0,
                    "json50" => 1,
                    _ => 2,
                }]
                .1;
                rt.block_on(async {
                    match (kind, crate_side) {
                        ("json3", true) => Json::<Isolate>::from_request(request(body), &())
                            .await
                            .is_ok(),
                        ("json3", false) => axum::Json::<Isolate>::from_request(request(body), &())
                            .await
                            .is_ok(),
                        ("json50", true) => Json::<Nested>::from_request(request(body), &())
                            .await
                            .is_ok(),
                        ("json50", false) => axum::Json::<Nested>::from_request(request(body), &())
                            .await
                            .is_ok(),
                        (_, true) => Json::<ImportBatch>::from_request(request(body), &())
                            .await
                            .is_ok(),
                        (_, false) => axum::Json::<ImportVec>::from_request(request(body), &())
                            .await
                            .is_ok(),
                    }
                })
            }
            "struct" if crate_side => from_slice::<ImportVec>(large.as_bytes()).is_ok(),
            "struct" => serde_json::from_slice::<ImportVec>(large.as_bytes()).is_ok(),
            "flatten" if crate_side => from_slice::<FlatImport>(large.as_bytes()).is_ok(),
            "flatten" => serde_json::from_slice::<FlatImport>(large.as_bytes()).is_ok(),
            _ if crate_side => from_slice::<Fleet>(large.as_bytes()).is_ok(),
            _ => serde_json::from_slice::<Fleet>(large.as_bytes()).is_ok(),
        };
        assert!(ok || kind == "wrong", "{case} must be accepted");
        black_box(ok);
    }
}

fn main() {
    if let Ok(case) = std::env::var("EXTRACT_REPEAT") {
        let n = std::env::var("EXTRACT_N").map_or(1, |n| n.parse().expect("EXTRACT_N"));
        repeat(&case, n);
        return;
    }
    extract_benches();
    Criterion::default().configure_from_args().final_summary();
}
