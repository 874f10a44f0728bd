//! Helpers shared by the example server's tests: a reply read back from the
//! server and the envelope checks made on it.
#![allow(dead_code, unreachable_pub)]

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use serde_json::Value;

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
            .to_str()
            .unwrap()
    }

    /// The `x-ms-request-id` header.
    pub fn request_id(&self) -> &str {
        self.header("x-ms-request-id")
    }

    /// Asserts that this is the envelope with `status`, `code` and
    /// `message`, that `target` equals the `x-ms-request-id` header, that
    /// `x-ms-error-code` equals `code`, and that the body is exactly the
    /// three members in order. Returns the target.
    pub fn assert_envelope(&self, status: u16, code: &str, message: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "status of {:?}", self.body);
        assert_eq!(
            self.header("content-type"),
            "application/json; charset=utf-8"
        );
        assert_eq!(self.header("x-ms-error-code"), code);
        let target = self.request_id().to_owned();
        assert_uuid(&target);
        let expected =
            serde_json::json!({"error": {"code": code, "message": message, "target": target}});
        assert_eq!(
            std::str::from_utf8(&self.body).unwrap(),
            serde_json::to_string(&expected).unwrap(),
            "exact envelope"
        );
        target
    }
}

/// Asserts `s` is a lower-case hyphenated UUID.
pub fn assert_uuid(s: &str) {
    let parsed = uuid::Uuid::parse_str(s).unwrap_or_else(|_| panic!("not a UUID: {s}"));
    assert_eq!(parsed.hyphenated().to_string(), s, "lower-case hyphenated");
}

/// How long any one step of a test may take: far beyond what a step needs
/// on a loaded machine, so only a real hang exceeds it.
pub const HANG: std::time::Duration = std::time::Duration::from_secs(30);

/// Awaits `future`, failing the test if it hangs.
pub async fn within<T>(what: &str, future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(HANG, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: still waiting after {HANG:?}"))
}

/// Serves the example with `config` on a port of its own, through the same
/// `serve` its `main` runs, until the returned sender is dropped or used.
pub async fn start(
    config: defender_api::Config,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (signal, shutdown) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(defender_api::serve(listener, config, async {
        let _ = shutdown.await;
    }));
    (addr, signal, server)
}

/// One HTTP/1.1 connection written and read as raw bytes, so nothing a
/// client library would refuse to send is out of reach.
pub struct Raw {
    reader: tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Raw {
    /// Opens a connection.
    pub async fn open(addr: std::net::SocketAddr) -> Raw {
        let stream = within("connect", tokio::net::TcpStream::connect(addr))
            .await
            .unwrap();
        let (reader, writer) = stream.into_split();
        Raw {
            reader: tokio::io::BufReader::new(reader),
            writer,
        }
    }

    /// Writes `bytes`. An error (the server closed first) is ignored: the
    /// test then looks at what the server answered.
    pub async fn send(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        let _ = within("write", self.writer.write_all(bytes)).await;
    }

    /// Shuts the write side, as `nc -N` does after its request.
    pub async fn shutdown_write(&mut self) {
        use tokio::io::AsyncWriteExt;
        within("shutdown", self.writer.shutdown()).await.unwrap();
    }

    /// Reads one response (an interim `100 Continue` counts as one).
    pub async fn response(&mut self) -> Reply {
        within("a response", self.read_response()).await
    }

    async fn read_response(&mut self) -> Reply {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt};
        let mut line = String::new();
        self.reader.read_line(&mut line).await.unwrap();
        assert!(!line.is_empty(), "connection closed without a response");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a status line: {line:?}"));
        let mut headers = HeaderMap::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).await.unwrap();
            let field = line.trim_end_matches(['\r', '\n']);
            if field.is_empty() {
                break;
            }
            let (name, value) = field.split_once(':').expect("a header line");
            headers.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value.trim()).unwrap(),
            );
        }
        let mut body = Vec::new();
        let chunked = headers
            .get("transfer-encoding")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
        if (100..200).contains(&status) {
        } else if let Some(length) = headers.get("content-length") {
            body.resize(length.to_str().unwrap().parse().unwrap(), 0);
            self.reader.read_exact(&mut body).await.unwrap();
        } else if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line).await.unwrap();
                let size = usize::from_str_radix(line.trim(), 16).unwrap();
                let mut chunk = vec![0; size + 2];
                self.reader.read_exact(&mut chunk).await.unwrap();
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
        } else {
            self.reader.read_to_end(&mut body).await.unwrap();
        }
        Reply {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: Bytes::from(body),
        }
    }

    /// Waits until the server closes the connection; the bytes it sent
    /// before that.
    pub async fn closed(&mut self) -> Vec<u8> {
        use tokio::io::AsyncReadExt;
        let mut rest = Vec::new();
        // A reset also closes the connection.
        let _ = within("the server closing", self.reader.read_to_end(&mut rest)).await;
        rest
    }
}

/// A request head of raw lines (each without CRLF) and an empty line.
pub fn head(request_line: &str, fields: &[&str]) -> Vec<u8> {
    let mut out = format!("{request_line}\r\n");
    for field in fields {
        out.push_str(field);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A seeded machine.
pub const MACHINE: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";

/// A normal request on a new connection succeeds: the server still serves.
pub async fn assert_serving(addr: std::net::SocketAddr) {
    let mut raw = Raw::open(addr).await;
    raw.send(&head(
        &format!("GET /api/machines/{MACHINE} HTTP/1.1"),
        &["Host: localhost", "Authorization: Bearer demo-admin"],
    ))
    .await;
    let reply = raw.response().await;
    assert_eq!(reply.status, 200, "a normal request: {:?}", reply.body);
    assert_eq!(reply.json()["id"], MACHINE);
    assert_uuid(reply.request_id());
}

/// Starts `POST /isolate` of [`MACHINE`] as the admin, announcing `body`
/// with `Expect: 100-continue`, and returns once `100 Continue` has come
/// back. hyper sends it when the handler starts reading the body, so from
/// then until `body` is sent the request is in flight: it holds a
/// concurrency slot and keeps the server's shutdown waiting.
pub async fn in_flight_isolate(addr: std::net::SocketAddr, body: &str) -> Raw {
    let mut raw = Raw::open(addr).await;
    raw.send(&head(
        &format!("POST /api/machines/{MACHINE}/isolate HTTP/1.1"),
        &[
            "Host: localhost",
            "Authorization: Bearer demo-admin",
            "Content-Type: application/json",
            &format!("Content-Length: {}", body.len()),
            "Expect: 100-continue",
        ],
    ))
    .await;
    assert_eq!(
        raw.response().await.status,
        100,
        "the handler reads the body"
    );
    raw
}

/// A JSON client of one server, with a bearer token.
#[derive(Clone)]
pub struct Api {
    pub addr: std::net::SocketAddr,
    client: hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        http_body_util::Full<Bytes>,
    >,
}

impl Api {
    /// A client of the server at `addr`.
    pub fn new(addr: std::net::SocketAddr) -> Api {
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http();
        Api { addr, client }
    }

    /// Sends `method path` with the admin token and `body` (JSON when
    /// given); fails the test only when no answer comes.
    pub async fn send(&self, method: http::Method, path: &str, body: Option<Value>) -> Reply {
        let mut builder = http::Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr))
            .header("authorization", "Bearer demo-admin");
        let bytes = match body {
            Some(json) => {
                builder = builder.header("content-type", "application/json");
                Bytes::from(json.to_string())
            }
            None => Bytes::new(),
        };
        let request = builder.body(http_body_util::Full::new(bytes)).unwrap();
        let response = within("a response", self.client.request(request))
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = within("the body", http_body_util::BodyExt::collect(body))
            .await
            .unwrap()
            .to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Reply {
        self.send(http::Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(http::Method::POST, path, Some(body)).await
    }
}

/// An indicator as `POST /api/indicators` takes it.
pub fn indicator(value: &str, kind: &str, title: &str) -> Value {
    serde_json::json!({
        "IndicatorValue": value,
        "IndicatorType": kind,
        "Action": "Block",
        "Title": title,
        "Description": "Submitted by the database tests",
    })
}

/// A path segment or query value, percent-encoded.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A server started by [`start`], stopped by [`Running::stop`].
pub struct Running {
    pub addr: std::net::SocketAddr,
    pub api: Api,
    signal: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Serves the example with `config` and waits until it answers.
    pub async fn start(config: defender_api::Config) -> Running {
        let (addr, signal, server) = start(config).await;
        let api = Api::new(addr);
        let running = Running {
            addr,
            api,
            signal,
            server,
        };
        // serve() opens the database before it accepts: the first answer
        // proves it open (or the server task failed).
        let reply = running.api.get("/healthz").await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        running
    }

    /// Stops the server as SIGTERM does and waits until it has stopped
    /// (its database pool closed).
    pub async fn stop(self) {
        let _ = self.signal.send(());
        within("the server to stop", self.server)
            .await
            .unwrap()
            .unwrap();
    }
}

/// A fresh PostgreSQL, or `None` (said once) outside CI without its
/// binaries; started off the async runtime's threads.
pub async fn postgres() -> Option<std::sync::Arc<temp_postgres::TempPostgres>> {
    tokio::task::spawn_blocking(temp_postgres::TempPostgres::start)
        .await
        .unwrap()
        .map(std::sync::Arc::new)
}

/// Runs a blocking PostgreSQL control command (stop, start again, create a
/// database) off the async runtime's threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

/// The database a conformance server runs on: `sqlite::memory:`, or with
/// `DEFENDER_API_TEST_DATABASE=postgres` a fresh database of one
/// PostgreSQL shared by the test process (CI runs the conformance tests
/// both ways). Blocking: it may start PostgreSQL and runs `createdb`.
pub fn test_database() -> String {
    static POSTGRES: std::sync::OnceLock<temp_postgres::TempPostgres> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    match std::env::var("DEFENDER_API_TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            let pg = POSTGRES.get_or_init(|| {
                temp_postgres::TempPostgres::start()
                    .expect("DEFENDER_API_TEST_DATABASE=postgres needs PostgreSQL binaries")
            });
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            pg.create_database(&format!("conformance_{n}"))
        }
        Ok("sqlite") | Err(_) => "sqlite::memory:".to_owned(),
        Ok(other) => panic!("DEFENDER_API_TEST_DATABASE is postgres or sqlite, not {other:?}"),
    }
}
