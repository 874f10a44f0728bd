//! Sends N requests in-process through one stack, for counting instructions
//! with callgrind (see `benches/instructions.sh`).
//!
//! Run with `cargo run --release --example instr_driver -- <stack> <path> <n>`,
//! where `<stack>` is `bare`, `layered`, `layered-debug-span`,
//! `route-layered` or `hand-built` and
//! `<path>` is `/ok`, `/error` or `/panic`.
//!
//! Every request goes through `tower::ServiceExt::oneshot` on a clone of the
//! service and its body is collected, with a `tracing_subscriber::fmt`
//! subscriber at INFO writing to a sink. The per-request figure is the
//! difference between two runs with different `n`, so start-up cancels out.

#[path = "../benches/support/stacks.rs"]
mod stacks;

use std::convert::Infallible;

use http::{Request, Response};
use http_body_util::BodyExt;
use stacks::Stack;
use tower::{Service, ServiceExt};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage =
        "usage: instr_driver <bare|layered|layered-debug-span|route-layered|hand-built> <path> <n>";
    let stack = args.next().and_then(|s| Stack::parse(&s)).expect(usage);
    let path: &'static str = args.next().expect(usage).leak();
    let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);

    stacks::install_sink_subscriber();
    stacks::silence_panics();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let bytes = match stack {
            Stack::Bare => drive(stacks::bare(), path, n).await,
            Stack::Layered => drive(stacks::layered(), path, n).await,
            Stack::LayeredDebugSpan => drive(stacks::layered_debug_span(), path, n).await,
            Stack::RouteLayered => drive(stacks::route_layered(), path, n).await,
            Stack::HandBuilt => drive(stacks::hand_built(), path, n).await,
        };
        println!("{stack:?} {path} x{n}: {bytes} body bytes");
    });
}

async fn drive<S, B>(service: S, path: &'static str, n: usize) -> usize
where
    S: Service<Request<axum::body::Body>, Response = Response<B>, Error = Infallible> + Clone,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let mut total = 0;
    for _ in 0..n {
        let response = service
            .clone()
            .oneshot(stacks::get_request(path))
            .await
            .unwrap();
        total += response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .len();
    }
    total
}
