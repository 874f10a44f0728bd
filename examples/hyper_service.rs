//! `DefenderErrorLayer` around a plain hyper 1.x service: no axum types,
//! only `http`, hyper, hyper-util and a `tower::service_fn`.
//!
//! Run with `cargo run --example hyper_service -- --addr 127.0.0.1:8081`,
//! then:
//!
//! ```text
//! curl -i http://127.0.0.1:8081/api/machines/1      # 200, with x-ms-request-id
//! curl -i http://127.0.0.1:8081/api/machines/2      # 404 ResourceNotFound, built with ApiError
//! curl -i http://127.0.0.1:8081/api/hash/xyz        # 400 InvalidHashValue, from a typed value
//! curl -i http://127.0.0.1:8081/api/legacy          # 403 plain text, rewritten into the envelope
//! curl -i http://127.0.0.1:8081/api/broken          # 500: the service's error, logged not sent
//! curl -i http://127.0.0.1:8081/api/panic           # 500: the panic, logged not sent
//! curl -i http://127.0.0.1:8081/anything-else       # 404 NotFound
//! ```
//!
//! Every response carries `x-ms-request-id`; every error response has the
//! envelope `{"error":{"code":…,"message":…,"target":…}}`, whose `target`
//! is that id, and the code in `x-ms-error-code`.

use bytes::Bytes;
use defender_errors::{ApiError, BoxError, DefenderErrorLayer, FileHash, TrackingId};
use http::header::CONTENT_TYPE;
use http::{Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tower::{service_fn, ServiceBuilder};

/// The application: a plain async function from request to response.
///
/// Its error type is a `BoxError`: an `Err` is the service failing, which
/// the layer answers with a 500 envelope after logging the error.
async fn handle(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, BoxError> {
    // The layer put the request's id into the extensions before calling us.
    let id = request.extensions().get::<TrackingId>().copied();
    tracing::info!(path = request.uri().path(), "handling"); // carries target=<id>
    let path = request.uri().path();
    let response = match path.strip_prefix("/api/") {
        Some("machines/1") => json(
            StatusCode::OK,
            format!(
                r#"{{"id":"1","computerDnsName":"ws-01.contoso.local","requestId":"{}"}}"#,
                id.map(|id| id.to_string()).unwrap_or_default()
            ),
        ),
        Some(rest) if rest.starts_with("machines/") => {
            ApiError::entity_not_found("Machine", &rest["machines/".len()..]).into_http_response()
        }
        Some(rest) if rest.starts_with("hash/") => {
            match rest["hash/".len()..].parse::<FileHash>() {
                Ok(hash) => json(StatusCode::OK, format!(r#"{{"kind":"{}"}}"#, hash.kind())),
                Err(error) => error.into_http_response(),
            }
        }
        Some("legacy") => Response::builder()
            .status(StatusCode::FORBIDDEN)
            .header(CONTENT_TYPE, "text/plain")
            .body(Full::from("access denied by the legacy component"))
            .expect("a valid response"),
        Some("broken") => return Err("the database connection pool is exhausted".into()),
        Some("panic") => panic!("invariant violated while serving {path}"),
        _ => ApiError::not_found().into_http_response(),
    };
    Ok(response)
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, "application/json; charset=utf-8")
        .body(Full::from(body))
        .expect("a valid response")
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    tracing_subscriber::fmt().init();
    let mut addr = "127.0.0.1:8081".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            _ => return Err("usage: hyper_service [--addr HOST:PORT]".into()),
        }
    }

    // The tower service: the layer around the function. Cloned per
    // connection; its error type is `Infallible`, as hyper wants.
    let service = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new())
        .service(service_fn(handle));

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            if let Err(error) = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
}
