//! The crate's `Json<T>` against `axum::Json<T>` on valid bodies: a 3-field
//! body, a nested body of 50 fields and a 500-element batch.
//!
//! Run with `cargo bench --bench extract`. Each case measures the whole
//! extractor from a request (content-type check, body collection,
//! deserialization) on a current-thread runtime, the same for both.

use std::hint::black_box;

use axum::body::Body;
use axum::extract::FromRequest;
use criterion::{criterion_group, criterion_main, Criterion};
use defender_errors::extract::Json;
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
}

criterion_group!(extract_benches, benches);
criterion_main!(extract_benches);
