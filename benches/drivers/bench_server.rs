//! The load-test server of `benches/load.sh`: one stack on real sockets.
//!
//! Built with `cargo build --release --bench bench_server` and run as
//! `<binary> --<stack> [--addr 127.0.0.1:3000]`, where `<stack>` is one of
//! `benches/support/stacks.rs` (`--layer` is kept as a name for
//! `--layered`). Run with `--bench` alone (as `cargo bench` does) it does
//! nothing.
//!
//! The routes are `/ok`, `/error` and `/panic`; `--layered` is the default. The server runs on
//! one thread (a current-thread tokio runtime), so pinning it to one core
//! with `taskset` gives it exactly that core. Every stack is served by the
//! same HTTP/1.1 loop (hyper, as `axum::serve` uses it). Logs go to a `fmt`
//! subscriber at INFO writing to a sink.

#[macro_use]
#[path = "../support/stacks.rs"]
mod stacks;

use std::convert::Infallible;

use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use stacks::Stack;
use tokio::net::TcpListener;
use tower::{BoxError, Service, ServiceExt};

fn main() {
    let mut stack = Stack::Layered;
    let mut addr = String::from("127.0.0.1:3000");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args == ["--bench"] {
        // `cargo bench` runs every bench target: this one is driven by
        // benches/load.sh only.
        return;
    }
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let name = arg.strip_prefix("--").unwrap_or(&arg);
        let name = match name {
            "layer" => "layered",
            "layer-debug-span" => "layered-debug-span",
            other => other,
        };
        if name == "addr" {
            addr = args.next().expect("--addr needs an address");
        } else if let Some(s) = Stack::parse(name) {
            stack = s;
        } else {
            eprintln!(
                "unknown argument {arg}\nusage: bench_server [--<{}>] [--addr ADDR]",
                Stack::names()
            );
            std::process::exit(2);
        }
    }

    stacks::install_sink_subscriber();
    stacks::silence_panics();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .unwrap_or_else(|e| panic!("cannot bind {addr}: {e}"));
        eprintln!("{} listening on {addr}", stack.name());
        with_stack!(stack, |service| serve(listener, service).await)
    });
}

/// Serves HTTP/1.1 connections with `service`, the same way for every stack
/// (hyper's connection, the request body boxed into axum's `Body` as
/// `axum::serve` does).
async fn serve<S, B>(listener: TcpListener, service: S)
where
    S: Service<Request<Body>, Response = Response<B>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let service = service
            .clone()
            .map_request(|req: Request<Incoming>| req.map(Body::new));
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .await;
        });
    }
}
