//! Hostile clients at the HTTP level, over real sockets, against the
//! example server run by the same `serve` as its `main`: slow and silent
//! connections, half-closed clients, ambiguous heads, `Expect`, transfer
//! codings, header limits and a `Host` that differs from the target's
//! authority, over HTTP/1.1 and h2c.
//!
//! Every refusal is checked for its exact status, code and message, a
//! `target` equal to `x-ms-request-id`, and a normal request succeeding
//! afterwards. Timeouts are configured short and every wait is on an
//! event (a response, the server closing the connection) bounded only by
//! [`common::HANG`].

use crate::common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{assert_serving, head, start, within, Raw, Reply, MACHINE};
use defender_api::{Config, RateLimits};
use http::{Request, Version};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ADMIN: &str = "Authorization: Bearer demo-admin";
const READER: &str = "Authorization: Bearer demo-reader";

/// The server's defaults, with rate limits that never interfere.
fn config() -> Config {
    Config {
        rate_limits: RateLimits::DEFENDER.scaled(10_000),
        ..Config::default()
    }
}

/// Sends `request` on a new connection; the one response.
async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> Reply {
    let mut raw = Raw::open(addr).await;
    raw.send(request).await;
    raw.response().await
}

/// The size of header fields as the server counts it: name, value and 32
/// bytes for each (RFC 9113 §6.5.2).
fn header_bytes(fields: &[(&str, &str)]) -> usize {
    fields.iter().map(|(n, v)| n.len() + v.len() + 32).sum()
}

/// A request head of `(name, value)` fields.
fn head_of(request_line: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let lines: Vec<String> = fields.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    head(request_line, &lines)
}

#[tokio::test]
async fn slow_and_silent_connections_are_closed_after_the_header_timeout() {
    let timeout = Duration::from_millis(300);
    let (addr, _stop, _server) = start(Config {
        header_timeout: timeout,
        ..config()
    })
    .await;
    let half_head = b"GET /api/machines HTTP/1.1\r\nHost: localhost\r\nAuthor".to_vec();
    let half_preface = b"PRI * HTTP/2.0\r\n".to_vec();
    let mut clients = tokio::task::JoinSet::new();
    for n in 0..60 {
        let sent = match n % 3 {
            0 => Vec::new(),
            1 => half_head.clone(),
            _ => half_preface.clone(),
        };
        clients.spawn(async move {
            let started = Instant::now();
            let mut raw = Raw::open(addr).await;
            raw.send(&sent).await;
            let answer = raw.closed().await;
            (n, answer, started.elapsed())
        });
    }
    while let Some(client) = clients.join_next().await {
        let (n, answer, took) = client.unwrap();
        assert!(answer.is_empty(), "client {n} got {answer:?}");
        assert!(took >= timeout, "client {n} closed after {took:?}");
    }
    assert_serving(addr).await;
}

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_is_cut_off() {
    let timeout = Duration::from_millis(300);
    let (addr, _stop, _server) = start(Config {
        header_timeout: timeout,
        ..config()
    })
    .await;
    let request = head(
        &format!("GET /api/machines/{MACHINE} HTTP/1.1"),
        &[
            "Host: localhost",
            ADMIN,
            "X-Padding: slowly, slowly, slowly",
        ],
    );
    // Before connecting: the server's clock starts when it accepts.
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // One byte every 20 ms: the head would take about two seconds, far
    // past the timeout. The server must close before it is complete.
    let mut sent = 0;
    let closed = within("the server closing", async {
        let mut tick = tokio::time::interval(Duration::from_millis(20));
        let mut answer = Vec::new();
        loop {
            tokio::select! {
                read = reader.read_buf(&mut answer) => match read {
                    Ok(0) | Err(_) => return answer,
                    Ok(_) => {}
                },
                _ = tick.tick() => {
                    if sent < request.len() {
                        // A write after the server closed may fail.
                        let _ = writer.write_all(&request[sent..=sent]).await;
                        sent += 1;
                    }
                }
            }
        }
    })
    .await;
    assert!(closed.is_empty(), "answered {closed:?}");
    assert!(sent < request.len(), "the whole head was accepted");
    assert!(started.elapsed() >= timeout);
    assert_serving(addr).await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let timeout = Duration::from_millis(300);
    let (addr, _stop, _server) = start(Config {
        header_timeout: timeout,
        ..config()
    })
    .await;
    let mut raw = Raw::open(addr).await;
    // Before the request: the server's clock starts when it has answered.
    let started = Instant::now();
    raw.send(&head(
        &format!("GET /api/machines/{MACHINE} HTTP/1.1"),
        &["Host: localhost", ADMIN],
    ))
    .await;
    assert_eq!(raw.response().await.status, 200);
    assert_eq!(raw.closed().await, b"");
    assert!(started.elapsed() >= timeout);
    assert_serving(addr).await;
}

#[tokio::test]
async fn an_idle_h2c_connection_is_closed_after_the_idle_timeout() {
    let idle = Duration::from_millis(500);
    // A header timeout longer than the test's patience: only the idle
    // timeout can close the connection in time.
    let (addr, _stop, _server) = start(Config {
        idle_timeout: idle,
        header_timeout: common::HANG * 4,
        ..config()
    })
    .await;
    let mut raw = Raw::open(addr).await;
    // The HTTP/2 preface and an empty SETTINGS frame, then nothing.
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    let started = Instant::now();
    raw.send(&hello).await;
    let frames = raw.closed().await;
    assert!(!frames.is_empty(), "the server speaks HTTP/2 first");
    assert!(started.elapsed() >= idle);
    assert_serving(addr).await;
}

#[tokio::test]
async fn half_closed_clients_get_their_answer() {
    let (addr, _stop, _server) = start(config()).await;
    let mut clients = tokio::task::JoinSet::new();
    for n in 0..50 {
        clients.spawn(async move {
            let mut raw = Raw::open(addr).await;
            if n % 5 == 0 {
                let body = format!(
                    r#"{{"IndicatorValue":"203.0.113.{n}","IndicatorType":"IpAddress","Action":"Block","Title":"t","Description":"d"}}"#
                );
                let mut request = head(
                    "POST /api/indicators HTTP/1.1",
                    &[
                        "Host: localhost",
                        ADMIN,
                        "Content-Type: application/json",
                        &format!("Content-Length: {}", body.len()),
                    ],
                );
                request.extend_from_slice(body.as_bytes());
                raw.send(&request).await;
            } else {
                raw.send(&head(
                    &format!("GET /api/machines/{MACHINE} HTTP/1.1"),
                    &["Host: localhost", ADMIN],
                ))
                .await;
            }
            raw.shutdown_write().await;
            let reply = raw.response().await;
            let rest = raw.closed().await;
            (n, reply, rest)
        });
    }
    while let Some(client) = clients.join_next().await {
        let (n, reply, rest) = client.unwrap();
        assert_eq!(reply.status, 200, "client {n}: {:?}", reply.body);
        common::assert_uuid(reply.request_id());
        if n % 5 == 0 {
            assert_eq!(reply.json()["indicatorValue"], format!("203.0.113.{n}"));
        } else {
            assert_eq!(reply.json()["id"], MACHINE);
        }
        assert!(rest.is_empty(), "client {n}: closed after the answer");
    }
    assert_serving(addr).await;
}

#[tokio::test]
async fn singleton_headers_sent_twice_are_refused() {
    let (addr, _stop, _server) = start(config()).await;
    let isolate = format!("POST /api/machines/{MACHINE}/isolate HTTP/1.1");
    let body = r#"{"Comment":"c","IsolationType":"Full"}"#;
    let length = format!("Content-Length: {}", body.len());
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "reader then admin",
            vec![READER, ADMIN, "Content-Type: application/json"],
            "Authorization",
        ),
        (
            "admin then a bogus token",
            vec![
                ADMIN,
                "Authorization: Bearer bogus",
                "Content-Type: application/json",
            ],
            "Authorization",
        ),
        (
            "JSON then text",
            vec![
                ADMIN,
                "Content-Type: application/json",
                "Content-Type: text/plain",
            ],
            "Content-Type",
        ),
        (
            "text then JSON",
            vec![
                ADMIN,
                "Content-Type: text/plain",
                "Content-Type: application/json",
            ],
            "Content-Type",
        ),
        (
            "two hosts",
            vec![
                ADMIN,
                "Content-Type: application/json",
                "Host: evil.example",
            ],
            "Host",
        ),
    ];
    for (what, fields, name) in cases {
        let mut fields = fields;
        fields.insert(0, "Host: localhost");
        fields.push(&length);
        let mut request = head(&isolate, &fields);
        request.extend_from_slice(body.as_bytes());
        let reply = exchange(addr, &request).await;
        eprintln!("{what}");
        reply.assert_envelope(
            400,
            "BadRequest",
            &format!("The request has more than one {name} header."),
        );
        assert_serving(addr).await;
    }
    // The machine was never isolated by any of them.
    let reply = exchange(
        addr,
        &head(
            &format!("GET /api/machines/{MACHINE} HTTP/1.1"),
            &["Host: localhost", ADMIN],
        ),
    )
    .await;
    assert_eq!(reply.json()["isIsolated"], false);
}

#[tokio::test]
async fn http11_needs_exactly_one_valid_host() {
    let (addr, _stop, _server) = start(config()).await;
    let get = format!("GET /api/machines/{MACHINE} HTTP/1.1");
    let reply = exchange(addr, &head(&get, &[ADMIN])).await;
    reply.assert_envelope(
        400,
        "BadRequest",
        "The request has no Host header; HTTP/1.1 requires one.",
    );
    assert_serving(addr).await;
    for host in ["a b", "user@localhost", "localhost:http"] {
        let host_line = format!("Host: {host}");
        let reply = exchange(addr, &head(&get, &[&host_line, ADMIN])).await;
        reply.assert_envelope(
            400,
            "BadRequest",
            &format!("The Host header {host} is invalid."),
        );
        assert_serving(addr).await;
    }
    // HTTP/1.0 needs no Host, and a port or an IPv6 literal is fine.
    let get10 = format!("GET /api/machines/{MACHINE} HTTP/1.0");
    assert_eq!(exchange(addr, &head(&get10, &[ADMIN])).await.status, 200);
    for host in [
        "Host: localhost:8080",
        "Host: [::1]:8080",
        "Host: 127.0.0.1",
    ] {
        assert_eq!(
            exchange(addr, &head(&get, &[host, ADMIN])).await.status,
            200
        );
    }
}

#[tokio::test]
async fn expect_continue_over_the_body_limit_is_413_before_any_continue() {
    let (addr, _stop, _server) = start(config()).await;
    let mut raw = Raw::open(addr).await;
    raw.send(&head(
        "POST /api/indicators HTTP/1.1",
        &[
            "Host: localhost",
            ADMIN,
            "Content-Type: application/json",
            "Content-Length: 2000000",
            "Expect: 100-continue",
        ],
    ))
    .await;
    // The first thing back is the refusal, not `100 Continue`.
    raw.response()
        .await
        .assert_envelope(413, "PayloadTooLarge", "The request body is too large.");
    assert_eq!(raw.closed().await, b"", "nothing after the refusal");
    assert_serving(addr).await;

    // Under the limit, hyper invites the body when the handler reads it.
    let body = r#"{"Comment":"c","IsolationType":"Full"}"#;
    let mut raw = common::in_flight_isolate(addr, body).await;
    raw.send(body.as_bytes()).await;
    let reply = raw.response().await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    assert_eq!(reply.json()["type"], "Isolate");
}

#[tokio::test]
async fn transfer_codings_other_than_chunked_are_501() {
    let (addr, _stop, _server) = start(config()).await;
    let indicator = r#"{"IndicatorValue":"gzip-smuggled.example","IndicatorType":"DomainName","Action":"Block","Title":"t","Description":"d"}"#;
    let chunked = format!("{:x}\r\n{indicator}\r\n0\r\n\r\n", indicator.len());
    for (coding, status, code, message) in [
        (
            "gzip, chunked",
            501,
            "NotImplemented",
            "The request uses a transfer coding the server does not implement: gzip. Only chunked is supported.",
        ),
        (
            "chunked, chunked",
            400,
            "BadRequest",
            "The request applies the chunked transfer coding more than once.",
        ),
    ] {
        let mut request = head(
            "POST /api/indicators HTTP/1.1",
            &[
                "Host: localhost",
                ADMIN,
                "Content-Type: application/json",
                &format!("Transfer-Encoding: {coding}"),
            ],
        );
        request.extend_from_slice(chunked.as_bytes());
        exchange(addr, &request)
            .await
            .assert_envelope(status, code, message);
        assert_serving(addr).await;
    }
    // Plain chunked is fine; the refused requests created nothing.
    let mut request = head(
        "POST /api/indicators HTTP/1.1",
        &[
            "Host: localhost",
            ADMIN,
            "Content-Type: application/json",
            "Transfer-Encoding: chunked",
        ],
    );
    request.extend_from_slice(chunked.as_bytes());
    let reply = exchange(addr, &request).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let list = exchange(
        addr,
        &head(
            "GET /api/indicators?$filter=indicatorValue%20eq%20%27gzip-smuggled.example%27 HTTP/1.1",
            &["Host: localhost", ADMIN],
        ),
    )
    .await;
    assert_eq!(list.json()["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn header_limits_are_431_envelopes_over_http1() {
    let (addr, _stop, _server) = start(config()).await;
    let get = format!("GET /api/machines/{MACHINE} HTTP/1.1");
    let base = [
        ("Host", "localhost"),
        ("Authorization", "Bearer demo-admin"),
    ];

    // 200 more lines: 202 fields.
    let names: Vec<String> = (0..200).map(|n| format!("X-Line-{n}")).collect();
    let mut fields = base.to_vec();
    fields.extend(names.iter().map(|n| (n.as_str(), "v")));
    exchange(addr, &head_of(&get, &fields))
        .await
        .assert_envelope(
            431,
            "RequestHeaderFieldsTooLarge",
            "The request header fields are too large. Received: 202 fields, allowed: 100.",
        );
    assert_serving(addr).await;

    // One field of a megabyte.
    let big = "a".repeat(1_000_000);
    let mut fields = base.to_vec();
    fields.push(("X-Big", &big));
    exchange(addr, &head_of(&get, &fields))
        .await
        .assert_envelope(
            431,
            "RequestHeaderFieldsTooLarge",
            &format!(
                "The request header fields are too large. Received: {} bytes, allowed: 16384.",
                header_bytes(&fields)
            ),
        );
    assert_serving(addr).await;

    // A megabyte in a thousand lines.
    let value = "v".repeat(1000);
    let mut fields = base.to_vec();
    fields.extend(
        names
            .iter()
            .cycle()
            .take(1000)
            .map(|n| (n.as_str(), value.as_str())),
    );
    exchange(addr, &head_of(&get, &fields))
        .await
        .assert_envelope(
            431,
            "RequestHeaderFieldsTooLarge",
            "The request header fields are too large. Received: 1002 fields, allowed: 100.",
        );
    assert_serving(addr).await;
}

#[tokio::test]
async fn header_limits_are_431_envelopes_over_h2c() {
    let (addr, _stop, _server) = start(config()).await;
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let send = |fields: Vec<(String, String)>| {
        let mut request = Request::get(format!("http://{addr}/api/machines/{MACHINE}"))
            .header("authorization", "Bearer demo-admin");
        for (name, value) in fields {
            request = request.header(name, value);
        }
        let request = request.body(Empty::new()).unwrap();
        let client = client.clone();
        async move {
            let response = within("an h2c response", client.request(request))
                .await
                .unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            let (parts, body) = response.into_parts();
            Reply {
                status: parts.status,
                headers: parts.headers,
                body: body.collect().await.unwrap().to_bytes(),
            }
        }
    };

    // Twenty fields of a kilobyte: about 20 KB.
    let value = "v".repeat(1000);
    let fields: Vec<(String, String)> = (0..20)
        .map(|n| (format!("x-field-{n}"), value.clone()))
        .collect();
    let mut counted: Vec<(&str, &str)> = vec![("authorization", "Bearer demo-admin")];
    counted.extend(fields.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    send(fields.clone()).await.assert_envelope(
        431,
        "RequestHeaderFieldsTooLarge",
        &format!(
            "The request header fields are too large. Received: {} bytes, allowed: 16384.",
            header_bytes(&counted)
        ),
    );
    // 200 small fields.
    let many: Vec<(String, String)> = (0..200)
        .map(|n| (format!("x-line-{n}"), "v".to_owned()))
        .collect();
    send(many).await.assert_envelope(
        431,
        "RequestHeaderFieldsTooLarge",
        "The request header fields are too large. Received: 201 fields, allowed: 100.",
    );
    // The same connection still serves.
    let reply = send(Vec::new()).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["id"], MACHINE);
    assert_serving(addr).await;
}

#[tokio::test]
async fn a_host_naming_another_server_than_the_target_is_refused() {
    let (addr, _stop, _server) = start(config()).await;

    // HTTP/1.1 absolute-form: the target's authority names the server too.
    let absolute = format!("GET http://api.example/api/machines/{MACHINE} HTTP/1.1");
    let reply = exchange(addr, &head(&absolute, &["Host: evil.example", ADMIN])).await;
    reply.assert_envelope(
        400,
        "BadRequest",
        "The Host header evil.example differs from the request target's authority api.example.",
    );
    assert_serving(addr).await;
    let reply = exchange(addr, &head(&absolute, &["Host: API.example:80", ADMIN])).await;
    assert_eq!(reply.status, 200);

    // h2c: `:authority` is the target's authority, `host` a field beside it.
    let client: Client<_, Empty<Bytes>> = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let send = |host: Option<&'static str>| {
        let mut request = Request::get(format!("http://{addr}/api/machines/{MACHINE}"))
            .header("authorization", "Bearer demo-admin");
        if let Some(host) = host {
            request = request.header("host", host);
        }
        let request = request.body(Empty::new()).unwrap();
        let client = client.clone();
        async move {
            let response = within("an h2c response", client.request(request))
                .await
                .unwrap();
            assert_eq!(response.version(), Version::HTTP_2);
            let (parts, body) = response.into_parts();
            Reply {
                status: parts.status,
                headers: parts.headers,
                body: body.collect().await.unwrap().to_bytes(),
            }
        }
    };
    send(Some("evil.example")).await.assert_envelope(
        400,
        "BadRequest",
        &format!(
            "The Host header evil.example differs from the request target's authority {addr}."
        ),
    );
    assert_eq!(send(None).await.status, 200);
    let same: &'static str = Box::leak(addr.to_string().into_boxed_str());
    assert_eq!(send(Some(same)).await.status, 200);
    assert_serving(addr).await;
}
