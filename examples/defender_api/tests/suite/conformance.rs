//! Conformance of the example server (`examples/defender_api`) over a real
//! socket: every code of the README's table produced by the request the
//! README shows, with status, `Content-Type`, exact `code` and `message`,
//! `target` equal to `x-ms-request-id` and `code` equal to
//! `x-ms-error-code`; a normal request succeeding after each failure; the
//! success paths; and hundreds of concurrent requests, each with its own id.
//!
//! They run on an in-memory SQLite tenant, or with
//! `DEFENDER_API_TEST_DATABASE=postgres` on PostgreSQL (a database per
//! server), so every endpoint is proven on both engines.

use crate::common;

use defender_api as app;

use std::collections::HashSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use app::{Config, RateLimits};
use bytes::Bytes;
use common::Reply;
use http::{Method, Request};
use http_body::Frame;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const ADMIN: &str = "demo-admin";
const READER: &str = "demo-reader";

/// Seeded machines with a known part to play.
const WINDOWS_11: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";
const OLD_AGENT: &str = "04c99d46599f078f1c3da3783cf5b95f01ac61bb";
const ISOLATED: &str = "3f9a2c7e1b4d8f0a6c2e9b5d7f1a3c8e0b6d4f2a";
const LINUX: &str = "9d1e7b3a5c0f2e8d4b6a1c9e3f7d5b0a2c8e4f6d";
const MACOS: &str = "e6b2d8f0a4c6e8b0d2f4a6c8e0b2d4f6a8c0e2b4";
const ISOLATE_ACTION: &str = "b89eb834-4578-496c-8be0-03f004061435";
const PACKAGE_ACTION: &str = "7f1a6c3e-2b9d-4e0a-8c5f-1d2e3f4a5b6c";

type Body = BoxBody<Bytes, Infallible>;

/// The API served on a port of its own, and a client for it.
struct Server {
    addr: SocketAddr,
    client: Client<HttpConnector, Body>,
    /// The server stops when this is dropped, at the end of the test.
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Short time limits, and rate limits high enough not to interfere.
fn config() -> Config {
    Config {
        handler_timeout: Duration::from_millis(1000),
        body_timeout: Duration::from_millis(200),
        max_concurrency: 1024,
        rate_limits: RateLimits::DEFENDER.scaled(1000),
        ..Config::default()
    }
}

impl Server {
    async fn start(config: Config) -> Server {
        // Each server has a tenant of its own, in the database the run
        // asks for (see `common::test_database`).
        let database = tokio::task::spawn_blocking(common::test_database)
            .await
            .unwrap();
        let config = Config { database, ..config };
        // Served by the same `serve` as `main`, until the test ends.
        let (addr, stop, _server) = common::start(config).await;
        let client = Client::builder(TokioExecutor::new()).build_http();
        Server {
            addr,
            client,
            _stop: stop,
        }
    }

    /// A request to `path` with `token` as the bearer token (if any).
    fn request(&self, method: Method, path: &str, token: Option<&str>) -> http::request::Builder {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        builder
    }

    async fn send(&self, request: Request<Body>) -> Reply {
        let response = common::within("a response", self.client.request(request))
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes(),
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let request = self
            .request(Method::GET, path, token)
            .body(empty())
            .unwrap();
        self.send(request).await
    }

    async fn post_json(&self, path: &str, token: Option<&str>, body: impl Into<Bytes>) -> Reply {
        let request = self
            .request(Method::POST, path, token)
            .header("content-type", "application/json")
            .body(full(body))
            .unwrap();
        self.send(request).await
    }

    /// A normal request succeeds: the server is still serving.
    async fn assert_healthy(&self) {
        let reply = self
            .get(&format!("/api/machines/{WINDOWS_11}"), Some(ADMIN))
            .await;
        assert_eq!(reply.status, 200, "health check: {:?}", reply.body);
        assert_eq!(reply.json()["id"], WINDOWS_11);
        common::assert_uuid(reply.request_id());
        assert!(reply.headers.get("x-ms-error-code").is_none());
    }
}

fn empty() -> Body {
    Full::new(Bytes::new()).boxed()
}

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

fn indicator(value: &str, kind: &str) -> Value {
    json!({
        "IndicatorValue": value,
        "IndicatorType": kind,
        "Action": "Block",
        "Title": "Demo indicator",
        "Description": "Submitted by the conformance suite",
    })
}

fn isolate_body(kind: &str) -> String {
    json!({"Comment": "Isolated by the conformance suite", "IsolationType": kind}).to_string()
}

/// The 19 codes of the reference's table: each produced by a realistic
/// request, each followed by a request that succeeds.
#[tokio::test]
async fn every_documented_code() {
    let server = Server::start(config()).await;
    let cases: Vec<(&str, Reply, u16, &str, String)> = vec![
        (
            "general BadRequest: the package of an action that collects none",
            server
                .get(&format!("/api/machineactions/{ISOLATE_ACTION}/GetPackageUri"), Some(ADMIN))
                .await,
            400,
            "BadRequest",
            format!("Machine action {ISOLATE_ACTION} is of type Isolate; only a CollectInvestigationPackage action has a package."),
        ),
        (
            "ODataError: a property name in the wrong case",
            server
                .get("/api/alerts?$filter=Severity%20eq%20%27High%27", Some(ADMIN))
                .await,
            400,
            "ODataError",
            "Invalid OData URI query $filter: unknown property 'Severity' at position 0; did you mean 'severity'? Property names are case-sensitive.".to_owned(),
        ),
        (
            "InvalidInput: an unknown IndicatorType",
            server
                .post_json("/api/indicators", Some(ADMIN), indicator("x", "Registry").to_string())
                .await,
            400,
            "InvalidInput",
            "Invalid input IndicatorType: unknown value `Registry`, expected one of `FileSha1`, `FileSha256`, `FileMd5`, `IpAddress`, `DomainName`, `Url`.".to_owned(),
        ),
        (
            "InvalidRequestBody: truncated JSON",
            server
                .post_json(&format!("/api/machines/{WINDOWS_11}/isolate"), Some(ADMIN), r#"{"Comment": "x""#)
                .await,
            400,
            "InvalidRequestBody",
            "Invalid request body. EOF while parsing an object at line 1 column 15.".to_owned(),
        ),
        (
            "InvalidHashValue: a path segment that is no hash",
            server.get("/api/files/xyz", Some(ADMIN)).await,
            400,
            "InvalidHashValue",
            "Hash value xyz is invalid.".to_owned(),
        ),
        (
            "InvalidDomainName: an empty label",
            server.get("/api/domains/example..com/stats", Some(ADMIN)).await,
            400,
            "InvalidDomainName",
            "Domain name example..com is invalid.".to_owned(),
        ),
        (
            "InvalidIpAddress: an octet over 255",
            server.get("/api/ips/10.0.0.300/stats", Some(ADMIN)).await,
            400,
            "InvalidIpAddress",
            "IP address 10.0.0.300 is invalid.".to_owned(),
        ),
        (
            "InvalidUrl: an ftp URL as a Url indicator",
            server
                .post_json("/api/indicators", Some(ADMIN), indicator("ftp://files.example/x", "Url").to_string())
                .await,
            400,
            "InvalidUrl",
            "URL ftp://files.example/x is invalid.".to_owned(),
        ),
        (
            "MaximumBatchSizeExceeded: 501 indicators",
            server
                .post_json(
                    "/api/indicators/import",
                    Some(ADMIN),
                    json!({"Indicators": vec![indicator("203.0.113.7", "IpAddress"); 501]}).to_string(),
                )
                .await,
            400,
            "MaximumBatchSizeExceeded",
            "Maximum batch size exceeded. Received: 501, allowed: 500.".to_owned(),
        ),
        (
            "MissingRequiredParameter: no Title",
            server
                .post_json(
                    "/api/indicators",
                    Some(ADMIN),
                    json!({"IndicatorValue": "evil.example", "IndicatorType": "DomainName", "Action": "Block", "Description": "d"}).to_string(),
                )
                .await,
            400,
            "MissingRequiredParameter",
            "Parameter Title is missing.".to_owned(),
        ),
        (
            "OsPlatformNotSupported: selective isolation of a Linux machine",
            server
                .post_json(&format!("/api/machines/{LINUX}/isolate"), Some(ADMIN), isolate_body("Selective"))
                .await,
            400,
            "OsPlatformNotSupported",
            "OS Platform Linux is not supported for this action.".to_owned(),
        ),
        (
            "ClientVersionNotSupported: selective isolation with an old agent",
            server
                .post_json(&format!("/api/machines/{OLD_AGENT}/isolate"), Some(ADMIN), isolate_body("Selective"))
                .await,
            400,
            "ClientVersionNotSupported",
            "Selective isolation is supported on client version 10.4500.0.0 and above.".to_owned(),
        ),
        (
            "Unauthorized: no Authorization header",
            server.get("/api/machines", None).await,
            401,
            "Unauthorized",
            "Unauthorized.".to_owned(),
        ),
        (
            "Forbidden: a reader isolating a machine",
            server
                .post_json(&format!("/api/machines/{WINDOWS_11}/isolate"), Some(READER), isolate_body("Full"))
                .await,
            403,
            "Forbidden",
            "Forbidden.".to_owned(),
        ),
        (
            "DisabledFeature: live response is off for the tenant",
            server
                .post_json(
                    &format!("/api/machines/{WINDOWS_11}/runliveresponse"),
                    Some(ADMIN),
                    r#"{"Commands": [{"type": "GetFile", "params": [{"key": "Path", "value": "C:\\x.txt"}]}], "Comment": "c"}"#,
                )
                .await,
            403,
            "DisabledFeature",
            "Tenant feature is not enabled.".to_owned(),
        ),
        (
            "DisallowedOperation: isolating an isolated machine",
            server
                .post_json(&format!("/api/machines/{ISOLATED}/isolate"), Some(ADMIN), isolate_body("Full"))
                .await,
            403,
            "DisallowedOperation",
            format!("Cannot isolate machine {ISOLATED}: it is already isolated."),
        ),
        (
            "NotFound: an unmatched route",
            server.get("/api/nowhere", Some(ADMIN)).await,
            404,
            "NotFound",
            "The requested resource was not found.".to_owned(),
        ),
        (
            "ResourceNotFound: an unknown machine",
            server.get("/api/machines/123", Some(ADMIN)).await,
            404,
            "ResourceNotFound",
            "Machine 123 was not found".to_owned(),
        ),
        (
            "InternalServerError: a handler panic",
            server.get("/api/simulate/panic", Some(ADMIN)).await,
            500,
            "InternalServerError",
            String::new(),
        ),
    ];
    assert_eq!(cases.len(), 19);
    let mut targets = HashSet::new();
    for (what, reply, status, code, message) in cases {
        eprintln!("{what}");
        let target = reply.assert_envelope(status, code, &message);
        assert!(targets.insert(target), "{what}: target reused");
        server.assert_healthy().await;
    }
}

#[tokio::test]
async fn unauthorized_for_an_unknown_token_with_a_bearer_challenge() {
    let server = Server::start(config()).await;
    let reply = server.get("/api/machines", Some("stolen-token")).await;
    reply.assert_envelope(401, "Unauthorized", "Unauthorized.");
    assert_eq!(reply.header("www-authenticate"), "Bearer");
    // A reader may read.
    let reply = server.get("/api/machines", Some(READER)).await;
    assert_eq!(reply.status, 200);
    server.assert_healthy().await;
}

#[tokio::test]
async fn the_panic_payload_is_not_sent() {
    let server = Server::start(config()).await;
    let reply = server.get("/api/simulate/panic", Some(ADMIN)).await;
    reply.assert_envelope(500, "InternalServerError", "");
    assert!(!String::from_utf8_lossy(&reply.body).contains("simulated"));
    server.assert_healthy().await;
}

#[tokio::test]
async fn os_platform_for_macos_too() {
    let server = Server::start(config()).await;
    let reply = server
        .post_json(
            &format!("/api/machines/{MACOS}/isolate"),
            Some(ADMIN),
            isolate_body("Selective"),
        )
        .await;
    reply.assert_envelope(
        400,
        "OsPlatformNotSupported",
        "OS Platform macOS is not supported for this action.",
    );
    server.assert_healthy().await;
}

#[tokio::test]
async fn method_not_allowed_keeps_allow() {
    let server = Server::start(config()).await;
    let request = server
        .request(Method::DELETE, "/api/machines", Some(ADMIN))
        .body(empty())
        .unwrap();
    let reply = server.send(request).await;
    reply.assert_envelope(
        405,
        "MethodNotAllowed",
        "The method is not allowed for the requested resource.",
    );
    assert_eq!(reply.header("allow"), "GET,HEAD");
    server.assert_healthy().await;
}

#[tokio::test]
async fn not_acceptable_without_json_in_accept() {
    let server = Server::start(config()).await;
    let request = server
        .request(Method::GET, "/api/machines", Some(ADMIN))
        .header("accept", "text/html")
        .body(empty())
        .unwrap();
    let reply = server.send(request).await;
    reply.assert_envelope(
        406,
        "NotAcceptable",
        "The requested representation is not available. This API answers with application/json.",
    );
    server.assert_healthy().await;
}

/// A request body that sends its first chunk, then nothing until the test
/// ends.
struct StalledBody(mpsc::Receiver<Bytes>);

impl http_body::Body for StalledBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| Ok(Frame::data(c))))
    }
}

#[tokio::test]
async fn request_timeout_when_the_body_stalls() {
    // Only the body deadline can end this request in time: the handler's
    // limit is far past the test's patience.
    let server = Server::start(Config {
        handler_timeout: common::HANG * 4,
        ..config()
    })
    .await;
    let (sender, receiver) = mpsc::channel(1);
    sender
        .send(Bytes::from_static(b"{\"Comment\":"))
        .await
        .unwrap();
    let request = server
        .request(
            Method::POST,
            &format!("/api/machines/{WINDOWS_11}/isolate"),
            Some(ADMIN),
        )
        .header("content-type", "application/json")
        .body(StalledBody(receiver).boxed())
        .unwrap();
    let reply = server.send(request).await;
    reply.assert_envelope(408, "RequestTimeout", "The request timed out.");
    drop(sender);
    server.assert_healthy().await;
}

#[tokio::test]
async fn payload_too_large_above_one_mebibyte() {
    let server = Server::start(config()).await;
    let mut body = br#"{"Comment": ""#.to_vec();
    body.resize((1 << 20) + 1, b'a');
    let reply = server
        .post_json(
            &format!("/api/machines/{WINDOWS_11}/isolate"),
            Some(ADMIN),
            body,
        )
        .await;
    reply.assert_envelope(413, "PayloadTooLarge", "The request body is too large.");
    server.assert_healthy().await;
}

#[tokio::test]
async fn unsupported_media_type_without_json_content_type() {
    let server = Server::start(config()).await;
    let request = server
        .request(Method::POST, "/api/indicators", Some(ADMIN))
        .header("content-type", "text/plain")
        .body(full(indicator("evil.example", "DomainName").to_string()))
        .unwrap();
    let reply = server.send(request).await;
    reply.assert_envelope(
        415,
        "UnsupportedMediaType",
        "The request content type is not supported. Use Content-Type: application/json.",
    );
    server.assert_healthy().await;
}

#[tokio::test]
async fn gateway_timeout_for_a_slow_handler() {
    let server = Server::start(config()).await;
    let reply = server.get("/api/simulate/slow", Some(ADMIN)).await;
    reply.assert_envelope(
        504,
        "GatewayTimeout",
        "The request did not complete within the server's time limit.",
    );
    server.assert_healthy().await;
}

#[tokio::test]
async fn service_unavailable_when_every_slot_is_taken() {
    let server = Server::start(Config {
        max_concurrency: 1,
        handler_timeout: common::HANG * 4,
        body_timeout: common::HANG * 4,
        ..config()
    })
    .await;
    let body = isolate_body("Full");
    let mut holder = common::in_flight_isolate(server.addr, &body).await;
    // The only slot is taken: the next request is refused at once.
    let reply = server.get("/api/machines", Some(ADMIN)).await;
    reply.assert_envelope(
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable. Retry after 1 second.",
    );
    assert_eq!(reply.header("retry-after"), "1");
    // The request holding the slot completes normally and frees it.
    holder.send(body.as_bytes()).await;
    assert_eq!(holder.response().await.status, 201);
    server.assert_healthy().await;
}

/// The seconds of `Retry-After`, checked against the message.
fn assert_too_many(reply: &Reply, at_most: u64) -> u64 {
    let seconds: u64 = reply.header("retry-after").parse().unwrap();
    assert!((1..=at_most).contains(&seconds), "Retry-After {seconds}");
    reply.assert_envelope(
        429,
        "TooManyRequests",
        &if seconds == 1 {
            "Rate limit exceeded. Retry after 1 second.".to_owned()
        } else {
            format!("Rate limit exceeded. Retry after {seconds} seconds.")
        },
    );
    seconds
}

#[tokio::test]
async fn too_many_requests_per_token_and_endpoint() {
    let server = Server::start(Config {
        rate_limits: RateLimits {
            import_per_minute: 1,
            list_per_minute: 2,
            list_per_hour: 1500,
        },
        ..config()
    })
    .await;
    for _ in 0..2 {
        assert_eq!(server.get("/api/machines", Some(ADMIN)).await.status, 200);
    }
    let reply = server.get("/api/machines", Some(ADMIN)).await;
    assert_too_many(&reply, 30);
    server.assert_healthy().await;
    // Another token, another endpoint: their own quotas.
    assert_eq!(server.get("/api/machines", Some(READER)).await.status, 200);
    assert_eq!(server.get("/api/alerts", Some(ADMIN)).await.status, 200);

    let import = json!({"Indicators": [indicator("203.0.113.8", "IpAddress")]}).to_string();
    let reply = server
        .post_json("/api/indicators/import", Some(ADMIN), import.clone())
        .await;
    assert_eq!(reply.status, 200);
    let reply = server
        .post_json("/api/indicators/import", Some(ADMIN), import)
        .await;
    assert_too_many(&reply, 60);
    server.assert_healthy().await;
}

#[tokio::test]
async fn too_many_requests_per_hour() {
    let server = Server::start(Config {
        rate_limits: RateLimits {
            import_per_minute: 30,
            list_per_minute: 100,
            list_per_hour: 3,
        },
        ..config()
    })
    .await;
    for _ in 0..3 {
        assert_eq!(server.get("/api/alerts", Some(ADMIN)).await.status, 200);
    }
    let seconds = assert_too_many(&server.get("/api/alerts", Some(ADMIN)).await, 1200);
    assert!(seconds > 60, "the hourly quota refills slowly: {seconds}");
    server.assert_healthy().await;
}

#[tokio::test]
async fn concurrent_requests_get_distinct_ids() {
    let server = Server::start(Config {
        handler_timeout: Duration::from_secs(20),
        ..config()
    })
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..250 {
        // Half succeed, half fail: ids must be distinct either way.
        let path = if n % 2 == 0 {
            format!("/api/machines/{WINDOWS_11}")
        } else {
            format!("/api/machines/missing-{n}")
        };
        let request = server
            .request(Method::GET, &path, Some(ADMIN))
            .body(empty())
            .unwrap();
        let response = server.client.request(request);
        tasks.spawn(async move {
            let response = response.await.unwrap();
            let (parts, body) = response.into_parts();
            let body = body.collect().await.unwrap().to_bytes();
            (
                n,
                Reply {
                    status: parts.status,
                    headers: parts.headers,
                    body,
                },
            )
        });
    }
    let mut ids = HashSet::new();
    while let Some(done) = tasks.join_next().await {
        let (n, reply) = done.unwrap();
        let id = if n % 2 == 0 {
            assert_eq!(reply.status, 200);
            reply.request_id().to_owned()
        } else {
            reply.assert_envelope(
                404,
                "ResourceNotFound",
                &format!("Machine missing-{n} was not found"),
            )
        };
        common::assert_uuid(&id);
        assert!(ids.insert(id), "an id was given twice");
    }
    assert_eq!(ids.len(), 250);
}

/// 200 requests held by the server at the same time: each is in flight
/// (its handler waits for its body) before any body is sent, and each is
/// then answered with its own id.
#[tokio::test]
async fn two_hundred_in_flight_at_once() {
    let server = Server::start(Config {
        handler_timeout: common::HANG * 4,
        body_timeout: common::HANG * 4,
        ..config()
    })
    .await;
    // A body with the wrong parameters: each request ends in an envelope.
    let body = r#"{"comment":"x"}"#;
    let mut held = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let addr = server.addr;
        held.spawn(async move { common::in_flight_isolate(addr, body).await });
    }
    let mut waiting = Vec::new();
    while let Some(raw) = held.join_next().await {
        waiting.push(raw.unwrap());
    }
    // All 200 handlers are running now; let them finish.
    let mut answered = tokio::task::JoinSet::new();
    for mut raw in waiting {
        answered.spawn(async move {
            raw.send(body.as_bytes()).await;
            raw.response().await
        });
    }
    let mut ids = HashSet::new();
    while let Some(reply) = answered.join_next().await {
        let id = reply.unwrap().assert_envelope(
            400,
            "MissingRequiredParameter",
            "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive.",
        );
        assert!(ids.insert(id), "an id was given twice");
    }
    assert_eq!(ids.len(), 200);
    server.assert_healthy().await;
}

#[tokio::test]
async fn list_with_odata_options() {
    let server = Server::start(config()).await;
    let reply = server.get("/api/machines", Some(READER)).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        "application/json",
        "a success is plain JSON"
    );
    let all = reply.json();
    assert_eq!(all["@odata.context"], "/api/$metadata#Machines");
    assert!(all["value"].as_array().unwrap().len() >= 8);

    let reply = server
        .get(
            "/api/machines?$filter=osPlatform%20eq%20%27Linux%27&$select=id,osPlatform&$orderby=id&$count=true",
            Some(ADMIN),
        )
        .await;
    assert_eq!(reply.status, 200);
    let page = reply.json();
    assert_eq!(page["@odata.count"], 2);
    for machine in page["value"].as_array().unwrap() {
        assert_eq!(machine["osPlatform"], "Linux");
        assert_eq!(machine.as_object().unwrap().len(), 2, "only the selected");
    }

    let reply = server
        .get(
            "/api/alerts?$orderby=alertCreationTime%20desc&$top=3&$skip=1",
            Some(ADMIN),
        )
        .await;
    let alerts = reply.json()["value"].as_array().unwrap().clone();
    assert_eq!(alerts.len(), 3);
    let times: Vec<&str> = alerts
        .iter()
        .map(|a| a["alertCreationTime"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    let reply = server.get("/api/alerts?$top=x", Some(ADMIN)).await;
    reply.assert_envelope(
        400,
        "ODataError",
        "Invalid OData URI query $top: 'x' is not a non-negative integer.",
    );
}

#[tokio::test]
async fn get_file_domain_and_ip() {
    let server = Server::start(config()).await;
    let reply = server
        .get("/api/files/D41D8CD98F00B204E9800998ECF8427E", Some(READER))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["determinationType"], "Malware");

    let reply = server
        .get(
            "/api/files/da39a3ee5e6b4b0d3255bfef95601890afd80709",
            Some(READER),
        )
        .await;
    reply.assert_envelope(
        404,
        "ResourceNotFound",
        "File da39a3ee5e6b4b0d3255bfef95601890afd80709 was not found",
    );

    let reply = server
        .get("/api/domains/contoso.com/stats", Some(READER))
        .await;
    assert_eq!(reply.json()["orgPrevalence"], "18204");
    let reply = server
        .get("/api/domains/never-seen.example/stats", Some(READER))
        .await;
    assert_eq!(reply.json()["orgPrevalence"], "0");
    let reply = server
        .get("/api/ips/2001:db8::15/stats", Some(READER))
        .await;
    assert_eq!(reply.json()["ipAddress"], "2001:db8::15");
}

#[tokio::test]
async fn isolate_then_release() {
    let server = Server::start(config()).await;
    let path = format!("/api/machines/{WINDOWS_11}/isolate");
    let reply = server
        .post_json(&path, Some(ADMIN), isolate_body("Selective"))
        .await;
    assert_eq!(reply.status, 201, "{:?}", reply.body);
    common::assert_uuid(reply.request_id());
    let action = reply.json();
    assert_eq!(action["type"], "Isolate");
    assert_eq!(action["scope"], "Selective");
    assert_eq!(action["status"], "Pending");
    assert_eq!(action["machineId"], WINDOWS_11);
    assert_eq!(action["requestor"], "admin@contoso.com");
    assert_eq!(
        action["requestorComment"],
        "Isolated by the conformance suite"
    );
    common::assert_uuid(action["id"].as_str().unwrap());

    let machine = server
        .get(&format!("/api/machines/{WINDOWS_11}"), Some(READER))
        .await;
    assert_eq!(machine.json()["isIsolated"], true);
    let again = server
        .post_json(&path, Some(ADMIN), isolate_body("Full"))
        .await;
    again.assert_envelope(
        403,
        "DisallowedOperation",
        &format!("Cannot isolate machine {WINDOWS_11}: it is already isolated."),
    );

    let action_id = action["id"].as_str().unwrap();
    let fetched = server
        .get(&format!("/api/machineactions/{action_id}"), Some(READER))
        .await;
    assert_eq!(fetched.json()["id"], action_id);

    let release = server
        .post_json(
            &format!("/api/machines/{WINDOWS_11}/unisolate"),
            Some(ADMIN),
            r#"{"Comment": "released"}"#,
        )
        .await;
    assert_eq!(release.status, 201);
    assert_eq!(release.json()["type"], "Unisolate");

    // Body parameters are case-sensitive.
    let reply = server
        .post_json(&path, Some(ADMIN), r#"{"comment": "x"}"#)
        .await;
    reply.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Comment is missing. Found comment instead; parameter names are case-sensitive.",
    );
}

#[tokio::test]
async fn investigation_package_link() {
    let server = Server::start(config()).await;
    let reply = server
        .get(
            &format!("/api/machineactions/{PACKAGE_ACTION}/GetPackageUri"),
            Some(ADMIN),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert!(reply.json()["value"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
}

#[tokio::test]
async fn submit_and_import_indicators() {
    let server = Server::start(config()).await;
    let reply = server
        .post_json(
            "/api/indicators",
            Some(ADMIN),
            indicator(
                "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
                "FileSha256",
            )
            .to_string(),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let stored = reply.json();
    assert_eq!(
        stored["indicatorValue"],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "kept in canonical form"
    );
    assert_eq!(stored["createdBy"], "admin@contoso.com");

    let batch = json!({"Indicators": [
        indicator("203.0.113.66", "IpAddress"),
        indicator("10.0.0.300", "IpAddress"),
        indicator("malicious-updates.example", "DomainName"),
        indicator("https://malicious-updates.example/payload", "Url"),
        indicator("not-a-hash", "FileMd5"),
        indicator("a2c1d3e5f7091b3d5f7a9c1e3b5d7f9a1c3e5b7d", "FileSha1"),
    ]});
    let reply = server
        .post_json("/api/indicators/import", Some(ADMIN), batch.to_string())
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let results = reply.json()["value"].as_array().unwrap().clone();
    let failed: Vec<bool> = results.iter().map(|r| r["isFailed"] == true).collect();
    assert_eq!(failed, [false, true, false, false, true, false]);
    assert_eq!(
        results[1]["failureReason"],
        "IP address 10.0.0.300 is invalid."
    );
    assert_eq!(
        results[4]["failureReason"],
        "Hash value not-a-hash is invalid."
    );
    assert_eq!(results[0]["failureReason"], Value::Null);
    assert!(results[0]["id"].is_string());

    let listed = server
        .get(
            "/api/indicators?$filter=indicatorType%20eq%20%27IpAddress%27",
            Some(READER),
        )
        .await;
    let listed = listed.json();
    let values: Vec<&str> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["indicatorValue"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["203.0.113.66"]);

    // An item missing a parameter fails the whole import, naming its path.
    let reply = server
        .post_json(
            "/api/indicators/import",
            Some(ADMIN),
            json!({"Indicators": [indicator("203.0.113.9", "IpAddress"), {"IndicatorType": "Url"}]}).to_string(),
        )
        .await;
    reply.assert_envelope(
        400,
        "MissingRequiredParameter",
        "Parameter Indicators[1].IndicatorValue is missing.",
    );
    // A reader cannot submit.
    let reply = server
        .post_json(
            "/api/indicators",
            Some(READER),
            indicator("evil.example", "DomainName").to_string(),
        )
        .await;
    reply.assert_envelope(403, "Forbidden", "Forbidden.");
}

#[tokio::test]
async fn head_gets_no_body() {
    let server = Server::start(config()).await;
    let request = server
        .request(Method::HEAD, "/api/machines/123", Some(ADMIN))
        .body(empty())
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("x-ms-error-code"), "ResourceNotFound");
    assert!(reply.body.is_empty());
}
