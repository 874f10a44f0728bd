//! Heap allocations per request, counted with a counting global allocator.
//!
//! The crate forbids `unsafe` code, tests included, and implementing
//! `GlobalAlloc` takes an `unsafe impl`; so the counting allocator is
//! `stats_alloc`'s `INSTRUMENTED_SYSTEM`, which wraps `std::alloc::System`
//! and counts every call.
//!
//! Its counters are global, so this file has a single test and drives every
//! future on the test's own thread with a no-op waker (the handlers never
//! wait). Counts are deterministic. The inner service is a bare
//! `service_fn`, measured alone and behind the layer in the same run, so
//! the difference is what the layer itself allocates, not what a router or
//! a subscriber would have allocated anyway. Run with
//! `cargo test --test alloc -- --nocapture` to see the table.

use std::alloc::System;
use std::convert::Infallible;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use defender_errors::{ApiError, DefenderErrorLayer};
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use tower::{service_fn, Layer, Service, ServiceExt};
use tracing::Instrument;

type Body = Full<Bytes>;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Requests counted per figure: a multiple of the 28 ids that share one
/// block of header-value text, so each block is counted whole.
const REQUESTS: usize = 28 * 25;

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

/// One request and its collected body.
fn send<S, B>(service: &S, path: &'static str) -> usize
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible> + Clone,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    now(async {
        let request = Request::get(path).body(Body::default()).unwrap();
        let response = service.clone().oneshot(request).await.unwrap();
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .len()
    })
}

/// Allocations per request: (the fewest any single request made, the mean).
fn allocations<S, B>(service: &S, path: &'static str) -> (usize, f64)
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible> + Clone,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    for _ in 0..REQUESTS {
        send(service, path);
    }
    let mut fewest = usize::MAX;
    let mut total = 0;
    for _ in 0..REQUESTS {
        let region = Region::new(GLOBAL);
        std::hint::black_box(send(service, path));
        let count = region.change().allocations + region.change().reallocations;
        fewest = fewest.min(count);
        total += count;
    }
    (fewest, total as f64 / REQUESTS as f64)
}

/// The inner service: a fixed success, or an `ApiError` rendered by the
/// service itself (its allocations are the inner service's, in both
/// columns).
fn inner() -> impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone {
    service_fn(|request: Request<Body>| async move {
        Ok::<_, Infallible>(match request.uri().path() {
            "/ok" => Response::new(Body::from("ok")),
            _ => ApiError::resource_not_found("Machine 7").into_http_response(),
        })
    })
}

/// The inner service inside a span like the layer's (`request` at INFO with
/// `target`, `method`, `path` and `client_request_id`): what a subscriber
/// spends on the span itself is then in both columns, and the difference is
/// the layer's own work.
fn inner_in_a_span(
) -> impl Service<Request<Body>, Response = Response<Body>, Error = Infallible> + Clone {
    service_fn(|request: Request<Body>| {
        let span = tracing::info_span!(
            "request",
            target = %uuid::Uuid::new_v4(),
            method = %request.method(),
            path = request.uri().path(),
            client_request_id = tracing::field::Empty,
        );
        inner().oneshot(request).instrument(span)
    })
}

#[test]
fn allocations_the_layer_adds_per_request() {
    let subscriber = || {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(std::io::sink)
            .finish()
    };

    // (path, with a fmt subscriber): (bare, layered), measured in this run.
    let mut rows = Vec::new();
    for (path, with_subscriber) in [
        ("/ok", false),
        ("/error", false),
        ("/ok", true),
        ("/error", true),
    ] {
        let (bare, layered) = if with_subscriber {
            tracing::subscriber::with_default(subscriber(), || {
                (
                    allocations(&inner_in_a_span(), path),
                    allocations(&DefenderErrorLayer::new().layer(inner()), path),
                )
            })
        } else {
            (
                allocations(&inner(), path),
                allocations(&DefenderErrorLayer::new().layer(inner()), path),
            )
        };
        println!(
            "{path:7} fmt subscriber: {with_subscriber:5}  bare {} ({:.3})  layered {} ({:.3})  added {} ({:+.3})",
            bare.0,
            bare.1,
            layered.0,
            layered.1,
            layered.0 as i64 - bare.0 as i64,
            layered.1 - bare.1,
        );
        rows.push((path, with_subscriber, bare, layered));
    }

    let added = |path: &str, with_subscriber: bool| {
        let (_, _, bare, layered) = rows
            .iter()
            .find(|r| r.0 == path && r.1 == with_subscriber)
            .unwrap();
        (layered.0 as i64 - bare.0 as i64, layered.1 - bare.1)
    };

    // Success path, five, all the layer's: the id in the request's
    // extensions (the extensions' map, its table and the boxed id: three,
    // since the bare request has no extensions yet) and the response's
    // header map, which `x-ms-request-id` is the first entry of (two). The
    // header value's text is cut from a block shared by 28 ids (two
    // allocations per block).
    let (typical, mean) = added("/ok", false);
    assert!(typical <= 5, "success path: {typical} allocations added");
    assert!(
        mean <= 5.0 + 2.0 / 28.0 + 1e-9,
        "success path: {mean} on average"
    );

    // Error path, four: the id in the extensions (three; the envelope's
    // response already has a header map) and the envelope the layer renders
    // again with the request's id, which only the layer knows (one).
    let (typical, mean) = added("/error", false);
    assert!(typical <= 4, "error path: {typical} allocations added");
    assert!(
        mean <= 4.0 + 2.0 / 28.0 + 1e-9,
        "error path: {mean} on average"
    );

    // With a `fmt` subscriber at INFO, against the same span made by hand,
    // so the subscriber's own cost of a span is in both columns: the same
    // counts as without a subscriber (the error event is formatted into
    // the subscriber's reused buffer). With the
    // `opentelemetry` feature the span's `target` is recorded just after the
    // span is made (it may become the trace id), which grows the
    // subscriber's copy of the fields once more.
    let otel = i64::from(cfg!(feature = "opentelemetry"));
    let (typical, _) = added("/ok", true);
    assert!(
        typical <= 5 + otel,
        "success path with fmt: {typical} added"
    );
    let (typical, _) = added("/error", true);
    assert!(typical <= 4 + otel, "error path with fmt: {typical} added");
}
