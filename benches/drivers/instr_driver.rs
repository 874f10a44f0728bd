//! Sends N requests in-process through one stack, for counting instructions
//! with callgrind (see `benches/instructions.sh`).
//!
//! Built with `cargo build --release --bench instr_driver` and run as
//! `<binary> <stack> <path> <n>`, where `<stack>` is one of
//! `benches/support/stacks.rs` and `<path>` is `/ok`, `/error` or `/panic`.
//! Run without arguments (as `cargo bench` does) it does nothing.
//!
//! Every request goes through `tower::ServiceExt::oneshot` on a clone of the
//! service and its body is collected, with a `tracing_subscriber::fmt`
//! subscriber at INFO writing to a sink. The per-request figure is the
//! difference between two runs with different `n`, so start-up cancels out.

#[macro_use]
#[path = "../support/stacks.rs"]
mod stacks;

use std::convert::Infallible;

use http::{Request, Response};
use http_body_util::BodyExt;
use stacks::Stack;
use tower::{Service, ServiceExt};

fn main() {
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().is_none_or(|a| a.starts_with("--")) {
        // `cargo bench` runs every bench target with `--bench`: this one is
        // driven by benches/instructions.sh only.
        return;
    }
    let usage = format!("usage: instr_driver <{}> <path> <n>", Stack::names());
    let usage = usage.as_str();
    let stack = args.next().and_then(|s| Stack::parse(&s)).expect(usage);
    let path: &'static str = args.next().expect(usage).leak();
    let n: usize = args.next().and_then(|n| n.parse().ok()).expect(usage);

    stacks::install_sink_subscriber();
    stacks::silence_panics();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let bytes = with_stack!(stack, |service| drive(service, path, n).await);
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
