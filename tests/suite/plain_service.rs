//! The layer around a plain hyper/tower service, no axum: envelopes,
//! headers and panics, in-process and over a real socket. Runs with
//! `--no-default-features`.

use crate::common;

use std::convert::Infallible;

use bytes::Bytes;
use defender_errors::{ApiError, DefenderErrorLayer};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Empty, Full};
use tower::{service_fn, ServiceBuilder};

async fn handle<B>(req: Request<B>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(match req.uri().path() {
        "/ok" => Response::new(Full::from("hello")),
        "/machine" => ApiError::entity_not_found("Machine", "99").into_http_response(),
        "/plain" => Response::builder()
            .status(StatusCode::FORBIDDEN)
            .body(Full::from("no"))
            .unwrap(),
        "/panic" => panic!("hyper handler panicked with key=s3cr3t"),
        _ => Response::from(ApiError::not_found()),
    })
}

fn empty(uri: &str) -> Request<Empty<Bytes>> {
    Request::get(uri).body(Empty::new()).unwrap()
}

#[tokio::test]
async fn a_plain_service_behind_the_layer_speaks_the_envelope() {
    let service = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new())
        .service(service_fn(handle));

    let reply = common::send(&service, empty("/ok")).await;
    assert_eq!(reply.body, "hello");
    common::assert_uuid(reply.request_id());

    let reply = common::send(&service, empty("/machine")).await;
    reply.assert_envelope(404, "ResourceNotFound", "Machine 99 was not found");

    let reply = common::send(&service, empty("/plain")).await;
    reply.assert_envelope(403, "Forbidden", "Forbidden.");

    let reply = common::send(&service, empty("/panic")).await;
    reply.assert_envelope(500, "InternalServerError", "");
    assert!(!String::from_utf8_lossy(&reply.body).contains("s3cr3t"));

    let reply = common::send(&service, empty("/ok")).await;
    assert_eq!(reply.body, "hello");
}

#[tokio::test]
async fn over_a_real_socket_with_hyper() {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let service = TowerToHyperService::new(
                ServiceBuilder::new()
                    .layer(DefenderErrorLayer::new())
                    .service(service_fn(handle)),
            );
            tokio::spawn(async move {
                let _ = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });

    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build_http::<Empty<Bytes>>();
    for (path, status, code) in [
        ("/machine", 404, Some("ResourceNotFound")),
        ("/panic", 500, Some("InternalServerError")),
        ("/ok", 200, None),
        ("/elsewhere", 404, Some("NotFound")),
    ] {
        let response = client
            .get(format!("http://{addr}{path}").parse().unwrap())
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        let id = response.headers()["x-ms-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        common::assert_uuid(&id);
        let code_header = response
            .headers()
            .get("x-ms-error-code")
            .map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(code_header.as_deref(), code);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        if let Some(code) = code {
            let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(json["error"]["code"], code);
            assert_eq!(json["error"]["target"], id);
        }
    }
    server.abort();
}
