//! Graceful shutdown of the example server, over real sockets: through
//! the same `serve` its `main` runs (a request in flight is answered in
//! full, idle HTTP/1 and h2c connections are closed at once, new
//! connections are refused, the shutdown timeout cuts off what is left), and through the
//! binary itself (SIGTERM and SIGINT end it with status 0).
//!
//! A request is known to be in flight when its handler starts reading the
//! body: it sends `Expect: 100-continue`, and hyper answers `100 Continue`
//! only then. Every wait is on such an event, bounded by
//! [`common::HANG`].

use crate::common;

use std::time::{Duration, Instant};

use common::{assert_serving, head, start, within, Raw, MACHINE};
use defender_api::{Config, RateLimits};

const ADMIN: &str = "Authorization: Bearer demo-admin";

const ISOLATE_BODY: &str =
    r#"{"Comment":"isolated while the server stops","IsolationType":"Full"}"#;

/// Time limits longer than the test's patience: nothing but the shutdown
/// ends a connection or a request in these tests.
fn patient() -> Config {
    Config {
        handler_timeout: common::HANG * 4,
        body_timeout: common::HANG * 4,
        header_timeout: common::HANG * 4,
        idle_timeout: common::HANG * 4,
        shutdown_timeout: common::HANG * 4,
        rate_limits: RateLimits::DEFENDER.scaled(1000),
        ..Config::default()
    }
}

/// A request in flight until its body is sent.
async fn in_flight(addr: std::net::SocketAddr) -> Raw {
    common::in_flight_isolate(addr, ISOLATE_BODY).await
}

/// A connection that has been answered once and is now idle.
async fn idle(addr: std::net::SocketAddr) -> Raw {
    let mut raw = Raw::open(addr).await;
    raw.send(&head(
        &format!("GET /api/machines/{MACHINE} HTTP/1.1"),
        &["Host: localhost", ADMIN],
    ))
    .await;
    assert_eq!(raw.response().await.status, 200);
    raw
}

/// Connects until the listener refuses; connections that are still
/// accepted meanwhile (the signal is being handled) are dropped.
async fn wait_until_refused(addr: std::net::SocketAddr) {
    within("the listener closing", async {
        loop {
            match tokio::net::TcpStream::connect(addr).await {
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => return,
                Err(error) => panic!("expected a refused connection, got {error}"),
                // Paces the attempts; not a wait for anything.
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await;
}

#[tokio::test]
async fn in_flight_requests_finish_idle_connections_close_new_ones_are_refused() {
    let (addr, signal, server) = start(patient()).await;
    let mut idle = idle(addr).await;
    let mut busy = in_flight(addr).await;

    signal.send(()).unwrap();

    // The idle connection is closed at once (its own timeouts are far
    // off), and nothing is sent on it.
    assert_eq!(idle.closed().await, b"");
    wait_until_refused(addr).await;
    assert!(
        !server.is_finished(),
        "serve returned with a request in flight"
    );

    // The request in flight completes with its status and body...
    busy.send(ISOLATE_BODY.as_bytes()).await;
    let reply = busy.response().await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.json()["type"], "Isolate");
    assert_eq!(
        reply.json()["requestorComment"],
        "isolated while the server stops"
    );
    // ...its connection is then closed, and serve returns cleanly.
    assert_eq!(busy.closed().await, b"");
    within("serve returning", server)
        .await
        .unwrap()
        .expect("serve ends without an error");
}

#[tokio::test]
async fn requests_past_the_shutdown_timeout_are_dropped() {
    let limit = Duration::from_millis(200);
    let (addr, signal, server) = start(Config {
        shutdown_timeout: limit,
        ..patient()
    })
    .await;
    let mut busy = in_flight(addr).await;
    let signalled = Instant::now();
    signal.send(()).unwrap();
    within("serve returning", server)
        .await
        .unwrap()
        .expect("serve ends without an error");
    assert!(signalled.elapsed() >= limit);
    // The request never completed: its connection is closed unanswered.
    assert_eq!(busy.closed().await, b"");
}

#[tokio::test]
async fn idle_h2c_connections_close_at_once() {
    use bytes::Bytes;
    use http_body_util::Empty;
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;

    let (addr, signal, server) = start(patient()).await;
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let request = http::Request::get(format!("http://{addr}/api/machines/{MACHINE}"))
        .header("authorization", "Bearer demo-admin")
        .body(Empty::new())
        .unwrap();
    let response = within("an h2c response", client.request(request))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.version(), http::Version::HTTP_2);
    // The client keeps the connection open, idle. serve returns only once
    // every connection is closed, and the timeouts are far off: the
    // shutdown must close it.
    signal.send(()).unwrap();
    within("serve returning", server)
        .await
        .unwrap()
        .expect("serve ends without an error");
    drop(client);
}

/// The delay endpoint on its own: a short delay is honoured, a long one is
/// cut to half the time limit (so it never turns into 504), and a missing
/// `ms` is the envelope's `MissingRequiredParameter`.
#[tokio::test]
async fn delay_endpoint() {
    let (addr, _signal, _server) = start(Config {
        handler_timeout: Duration::from_millis(400),
        ..patient()
    })
    .await;
    let get = |path: &str| {
        head(
            &format!("GET {path} HTTP/1.1"),
            &["Host: localhost", ADMIN, "Connection: close"],
        )
    };
    let mut raw = Raw::open(addr).await;
    raw.send(&get("/api/simulate/delay?ms=20")).await;
    let reply = raw.response().await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["delayMs"], 20);

    let mut raw = Raw::open(addr).await;
    raw.send(&get("/api/simulate/delay?ms=60000")).await;
    let reply = raw.response().await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    assert_eq!(reply.json()["delayMs"], 200);

    let mut raw = Raw::open(addr).await;
    raw.send(&get("/api/simulate/delay")).await;
    raw.response().await.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter ms is missing.",
    );
    assert_serving(addr).await;
}

/// The binary, started as the README says, stops on `signal` with status
/// 0, after saying so in its log; the log, written to a pipe, has no
/// colour codes.
#[cfg(unix)]
async fn binary_stops_on(signal: &str) {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_defender_api"))
        .args(["--addr", "127.0.0.1:0", "--database", "sqlite::memory:"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    within("the listening line", stdout.read_line(&mut line))
        .await
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .parse()
        .unwrap();
    assert_serving(addr).await;
    let mut idle = idle(addr).await;

    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    assert_eq!(idle.closed().await, b"");
    let status = within("the server exiting", child.wait()).await.unwrap();
    assert!(status.success(), "{signal}: exit status {status:?}");
    let mut log = String::new();
    within("the log", stdout.read_to_string(&mut log))
        .await
        .unwrap();
    assert!(
        log.contains(&format!("shutdown requested signal=\"SIG{signal}\""))
            || log.contains(&format!("shutdown requested signal=SIG{signal}")),
        "{log}"
    );
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log}"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn sigterm_stops_the_binary_with_status_0() {
    binary_stops_on("TERM").await;
}

#[cfg(unix)]
#[tokio::test]
async fn sigint_stops_the_binary_with_status_0() {
    binary_stops_on("INT").await;
}
