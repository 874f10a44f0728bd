//! The smallest useful server: an axum router behind `DefenderErrorLayer`.
//!
//! Run with `cargo run --example quickstart -- --addr 127.0.0.1:8080`, then:
//!
//! ```text
//! curl -i http://127.0.0.1:8080/api/machines/1            # 200, with x-ms-request-id
//! curl -i http://127.0.0.1:8080/api/machines/123          # 404 ResourceNotFound
//! curl -i http://127.0.0.1:8080/api/nowhere               # 404 NotFound (unmatched route)
//! curl -i -X DELETE http://127.0.0.1:8080/api/machines/1  # 405 MethodNotAllowed, with Allow
//! curl -i http://127.0.0.1:8080/api/panic                 # 500 InternalServerError, payload only logged
//! curl -i http://127.0.0.1:8080/api/slow                  # 504 GatewayTimeout after 1 s
//! curl -i -H 'x-ms-client-request-id: my-call-1' http://127.0.0.1:8080/api/whoami
//! curl -i 'http://127.0.0.1:8080/api/machines/a%0Aforged'  # logged escaped: machine=a\nforged
//! ```
//!
//! The server makes every tracking id itself: a client correlates its calls
//! with `x-ms-client-request-id`, which is logged and echoed beside it.

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use defender_errors::{echo, ApiError, DefenderErrorLayer, TrackingId};
use tower::ServiceBuilder;

async fn machine(Path(id): Path<String>) -> Result<String, ApiError> {
    // `id` is client input, percent-decoded: logged as a field and escaped,
    // never formatted into the event's text, where `%0A` would forge a line.
    tracing::info!(machine = %echo(&id), "looking up machine");
    if id == "1" {
        Ok("{\"id\":\"1\"}".to_owned())
    } else {
        Err(ApiError::entity_not_found("Machine", &id))
    }
}

async fn whoami(id: TrackingId) -> String {
    format!("your request is {id}\n")
}

async fn panics() -> &'static str {
    panic!("the payload of this panic is logged, never sent")
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(5)).await;
    "too late"
}

/// The router: routes, then the layer with a time limit inside it.
fn app() -> Router {
    Router::new()
        .route("/api/machines/{id}", get(machine))
        .route("/api/whoami", get(whoami))
        .route("/api/panic", get(panics))
        .route("/api/slow", get(slow))
        .layer(
            ServiceBuilder::new()
                .layer(DefenderErrorLayer::new())
                .timeout(Duration::from_secs(1)),
        )
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt().with_target(false).init();
    let mut args = std::env::args().skip(1);
    let mut addr = String::from("127.0.0.1:8080");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().expect("--addr takes an address"),
            other => panic!("unknown argument {other}; usage: quickstart [--addr HOST:PORT]"),
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
    println!("listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app()).await.expect("serve");
}
