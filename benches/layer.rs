//! Per-request cost of the layer, in-process, against a bare axum router and
//! against the stack a user would otherwise build from tower-http.
//!
//! Run with `cargo bench --bench layer`. Every stack is described in
//! `benches/support/stacks.rs`. A `tracing_subscriber::fmt` subscriber at
//! INFO writing to a sink is installed, so spans and events are formatted
//! as in production but not written anywhere.
//!
//! The handlers never wait, so each request's future is polled to the end
//! with a no-op waker instead of an async runtime: the figures hold the
//! service, the handler and collecting the body, and nothing else.
//!
//! After criterion's report, a table gives each median as a ratio to the
//! bare router's on the same path, and the difference in nanoseconds.
//!
//! Criterion measures one benchmark after another, so on a shared machine a
//! busy minute lands on whichever stack is being measured then. A second
//! table therefore alternates the stacks: round after round, each stack
//! serves a batch of requests in turn, and the median over rounds of each
//! stack's time per request is reported. Set `INTERLEAVED_ONLY=1` to skip
//! criterion and print only that table.

#[macro_use]
#[path = "support/stacks.rs"]
mod stacks;

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion};
use http::{Request, Response};
use http_body_util::BodyExt;
use stacks::Stack;
use tower::{Service, ServiceExt};

/// Runs `future` to completion; it must never be pending.
fn now<F: Future>(future: F) -> F::Output {
    struct Noop;
    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    let waker = Waker::from(Arc::new(Noop));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

/// One request by `oneshot` on a clone of the service, body collected.
async fn oneshot<S, B>(service: &S, path: &'static str) -> usize
where
    S: Service<Request<axum::body::Body>, Response = Response<B>, Error = Infallible> + Clone,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let response = service
        .clone()
        .oneshot(stacks::get_request(path))
        .await
        .unwrap();
    response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .len()
}

/// One request by `call` on the same service once it is ready.
async fn call<S, B>(service: &mut S, path: &'static str) -> usize
where
    S: Service<Request<axum::body::Body>, Response = Response<B>, Error = Infallible>,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let response = service
        .ready()
        .await
        .unwrap()
        .call(stacks::get_request(path))
        .await
        .unwrap();
    response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .len()
}

fn bench_stack<S, B>(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    mut service: S,
    path: &'static str,
    by_call: bool,
) where
    S: Service<Request<axum::body::Body>, Response = Response<B>, Error = Infallible> + Clone,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    if by_call {
        group.bench_function(name, |b| b.iter(|| now(call(&mut service, path))));
    } else {
        group.bench_function(name, |b| b.iter(|| now(oneshot(&service, path))));
    }
}

/// The stacks that catch a handler's panic (in the others it unwinds
/// through the benchmark).
const CATCHING: [Stack; 7] = [
    Stack::Layered,
    Stack::LayeredDebugSpan,
    Stack::RouteLayered,
    Stack::HandBuilt,
    Stack::RouteQuiet,
    Stack::Integrated,
    Stack::IntegratedOneLayer,
];

/// The groups: (name, path, by `call`, stacks).
const GROUPS: [(&str, &str, bool, &[Stack]); 4] = [
    ("success-oneshot", "/ok", false, &Stack::ALL),
    ("success-call", "/ok", true, &Stack::ALL),
    ("error-oneshot", "/error", false, &Stack::ALL),
    ("panic-oneshot", "/panic", false, &CATCHING),
];

fn output_directory() -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR").map(|d| PathBuf::from(d).join("criterion"))
        })
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

fn main() {
    stacks::install_sink_subscriber();
    stacks::silence_panics();
    if std::env::var_os("INTERLEAVED_ONLY").is_none() {
        run_criterion();
    }
    interleaved();
}

fn run_criterion() {
    let mut criterion = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .output_directory(&output_directory())
        .configure_from_args();

    for (group_name, path, by_call, stacks) in GROUPS {
        let mut group = criterion.benchmark_group(group_name);
        for &stack in stacks {
            let name = stack.name();
            with_stack!(stack, |service| bench_stack(
                &mut group, name, service, path, by_call
            ));
        }
        group.finish();
    }
    criterion.final_summary();
    print_ratios();
}

/// One request through one stack, by `oneshot`.
type Send = Box<dyn FnMut(&'static str) -> usize>;

fn sender<S, B>(service: S) -> Send
where
    S: Service<Request<axum::body::Body>, Response = Response<B>, Error = Infallible>
        + Clone
        + 'static,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    Box::new(move |path| now(oneshot(&service, path)))
}

/// Medians over rounds in which every stack serves a batch in turn.
fn interleaved() {
    const ROUNDS: usize = 101;
    const BATCH: u32 = 1_000;
    let mut stacks: Vec<(Stack, Send)> = Stack::ALL
        .into_iter()
        .map(|stack| (stack, with_stack!(stack, |service| sender(service))))
        .collect();
    println!();
    println!("Interleaved: {ROUNDS} rounds of {BATCH} requests per stack, median ns per request");
    println!();
    println!("| path | stack | median | vs bare | added |");
    println!("|---|---|---:|---:|---:|");
    // The panic path has no bare figure: it is compared with the bare
    // error response.
    let mut bare_error = None;
    for path in ["/ok", "/error", "/panic"] {
        let mut samples = vec![Vec::with_capacity(ROUNDS); stacks.len()];
        for round in 0..=ROUNDS {
            for (i, (stack, send)) in stacks.iter_mut().enumerate() {
                if path == "/panic" && !CATCHING.contains(stack) {
                    continue;
                }
                let start = Instant::now();
                for _ in 0..BATCH {
                    std::hint::black_box(send(path));
                }
                // Round 0 warms up.
                if round > 0 {
                    samples[i].push(start.elapsed().as_nanos() as f64 / f64::from(BATCH));
                }
            }
        }
        let medians: Vec<Option<f64>> = samples
            .iter_mut()
            .map(|s| {
                s.sort_by(f64::total_cmp);
                s.get(s.len() / 2).copied()
            })
            .collect();
        let base = medians[0].or(bare_error);
        if path == "/error" {
            bare_error = medians[0];
        }
        for ((stack, _), median) in stacks.iter().zip(&medians) {
            let Some(ns) = median else { continue };
            match base {
                Some(base) => println!(
                    "| {path} | {} | {ns:.0} ns | {:.2} | {:+.0} ns |",
                    stack.name(),
                    ns / base,
                    ns - base
                ),
                None => println!("| {path} | {} | {ns:.0} ns | - | - |", stack.name()),
            }
        }
    }
}

/// Medians as ratios to the bare router's (the panic path, which has no
/// bare figure, against the bare error response).
fn print_ratios() {
    let median = |group: &str, stack: Stack| -> Option<f64> {
        let file = output_directory()
            .join(group)
            .join(stack.name())
            .join("new/estimates.json");
        let text = std::fs::read_to_string(file).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json["median"]["point_estimate"].as_f64()
    };
    println!();
    println!("| group | stack | median | vs bare | added |");
    println!("|---|---|---:|---:|---:|");
    for (group, _, _, stacks) in GROUPS {
        let baseline = median(group, Stack::Bare).or_else(|| median("error-oneshot", Stack::Bare));
        for &stack in stacks {
            let Some(ns) = median(group, stack) else {
                continue;
            };
            let (ratio, added) = match baseline {
                Some(base) => (format!("{:.2}", ns / base), format!("{:+.0} ns", ns - base)),
                None => ("-".into(), "-".into()),
            };
            println!(
                "| {group} | {} | {ns:.0} ns | {ratio} | {added} |",
                stack.name()
            );
        }
    }
}
