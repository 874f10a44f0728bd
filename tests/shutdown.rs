//! Graceful shutdown of the example server (`examples/defender_api`), over
//! a real socket, through the same `serve` function its `main` runs: a
//! request in flight when the signal comes is still answered in full, a
//! new connection after the signal is refused, and the serve future
//! returns once the request is done.
#![cfg(all(feature = "axum", feature = "odata"))]

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/defender_api/app.rs"]
mod app;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use app::{Config, RateLimits};
use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio::sync::oneshot;

const MACHINE: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";

/// How long the in-flight request takes on the server.
const DELAY_MS: u64 = 1500;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// `GET path` as the admin; status and body, or the client's error.
async fn get(
    client: &HttpClient,
    addr: SocketAddr,
    path: &str,
) -> Result<(StatusCode, Bytes), hyper_util::client::legacy::Error> {
    let request = Request::get(format!("http://{addr}{path}"))
        .header("authorization", "Bearer demo-admin")
        .body(Empty::new())
        .unwrap();
    let response = client.request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Ok((status, body))
}

/// The kind of the I/O error under a client error, if there is one.
fn io_error_kind(error: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    let mut source = Some(error);
    while let Some(error) = source {
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            return Some(io.kind());
        }
        source = error.source();
    }
    None
}

#[tokio::test]
async fn requests_in_flight_finish_and_new_connections_are_refused() {
    // One request at a time: while the slow request holds the only slot,
    // any other request is 503, which tells the test it is in flight.
    let config = Config {
        handler_timeout: Duration::from_secs(10),
        body_timeout: Duration::from_secs(2),
        max_concurrency: 1,
        rate_limits: RateLimits::DEFENDER.scaled(1000),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (signal, shutdown) = oneshot::channel::<()>();
    let server = tokio::spawn(app::serve(listener, config, async {
        let _ = shutdown.await;
    }));

    // The slow but successful request, on a client of its own.
    let slow_client = client();
    let in_flight = tokio::spawn(async move {
        let started = Instant::now();
        let reply = get(
            &slow_client,
            addr,
            &format!("/api/simulate/delay?ms={DELAY_MS}"),
        )
        .await;
        (reply, started.elapsed())
    });

    // Wait until the server is handling it: the only slot is taken.
    let probe = client();
    let deadline = Instant::now() + Duration::from_millis(DELAY_MS / 2);
    loop {
        let (status, body) = get(&probe, addr, &format!("/api/machines/{MACHINE}"))
            .await
            .expect("the server answers before shutdown");
        if status == StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        assert_eq!(status, StatusCode::OK, "probe: {body:?}");
        assert!(
            Instant::now() < deadline,
            "the delayed request never took the slot"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(probe);

    signal.send(()).unwrap();
    let signalled = Instant::now();

    // The listener is closed: a new connection is refused. The accept loop
    // needs a moment to see the signal; until then a connection may still
    // be answered, or reset when the listener closes with it in the
    // backlog. Past that, the kernel refuses the connection outright.
    let refused = loop {
        let attempt = get(&client(), addr, &format!("/api/machines/{MACHINE}")).await;
        let kind = match &attempt {
            Err(error) if error.is_connect() => io_error_kind(error),
            Err(error) => panic!("expected a refused connection, got {error:?}"),
            Ok(_) => None,
        };
        if kind == Some(std::io::ErrorKind::ConnectionRefused) {
            break attempt.unwrap_err();
        }
        assert!(
            signalled.elapsed() < Duration::from_millis(500),
            "connections not refused 500 ms after the signal: {attempt:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let refused_after = signalled.elapsed();
    assert!(
        !in_flight.is_finished(),
        "the request should still be in flight when connections are refused \
         ({refused_after:?} after the signal)"
    );
    assert!(
        !server.is_finished(),
        "serve returned with a request in flight"
    );
    eprintln!("refused {refused_after:?} after the signal: {refused:?}");

    // The request in flight completes with its status and body.
    let (reply, took) = tokio::time::timeout(Duration::from_secs(10), in_flight)
        .await
        .expect("the request in flight finishes")
        .unwrap();
    let (status, body) = reply.expect("the request in flight is answered, not cut off");
    assert_eq!(status, StatusCode::OK, "{body:?}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["status"], "finished");
    assert_eq!(body["delayMs"], DELAY_MS);
    assert!(took >= Duration::from_millis(DELAY_MS), "took {took:?}");

    // And the serve future returns, cleanly.
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve returns after the last request")
        .unwrap()
        .expect("serve ends without an error");
}

/// The delay endpoint on its own: a short delay is honoured, a long one is
/// cut to half the time limit (so it never turns into 504), and a missing
/// `ms` is the envelope's `MissingRequiredParameter`.
#[tokio::test]
async fn delay_endpoint() {
    let config = Config {
        handler_timeout: Duration::from_millis(400),
        body_timeout: Duration::from_millis(200),
        max_concurrency: 16,
        rate_limits: RateLimits::DEFENDER.scaled(1000),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (signal, shutdown) = oneshot::channel::<()>();
    let server = tokio::spawn(app::serve(listener, config, async {
        let _ = shutdown.await;
    }));
    let client = client();

    let (status, body) = get(&client, addr, "/api/simulate/delay?ms=20")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["delayMs"],
        20
    );

    let started = Instant::now();
    let (status, body) = get(&client, addr, "/api/simulate/delay?ms=60000")
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{body:?}");
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["delayMs"],
        200
    );
    assert!(started.elapsed() < Duration::from_secs(5));

    let (status, body) = get(&client, addr, "/api/simulate/delay").await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["error"]["code"], "MissingRequiredParameter");
    assert_eq!(body["error"]["message"], "Parameter ms is missing.");

    drop(client);
    signal.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}
