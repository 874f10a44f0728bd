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
//! curl -i -H 'x-request-id: 6f1c4b9e-2d0a-4c55-9f3b-0c8f1a2b3c4d' http://127.0.0.1:8080/api/whoami
//! ```

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use defender_errors::{ApiError, DefenderErrorLayer, IdSource, TrackingId};
use tower::ServiceBuilder;

async fn machine(Path(id): Path<u64>) -> Result<String, ApiError> {
    tracing::info!(machine = id, "looking up machine");
    if id == 1 {
        Ok("{\"id\":\"1\"}".to_owned())
    } else {
        Err(ApiError::entity_not_found("Machine", &id.to_string()))
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
                .layer(DefenderErrorLayer::new().adopt(IdSource::x_request_id()))
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
