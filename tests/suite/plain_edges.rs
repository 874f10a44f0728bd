//! Plain error responses at their edges: a `text/plain` body that trickles
//! never holds the response head, and a `Retry-After` given as an HTTP date
//! gives `retry-after-ms` and the message's seconds.
#![cfg(feature = "axum")]

use crate::common;

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use common::{get as get_req, send};
use defender_errors::DefenderErrorLayer;
use http::header::{CONTENT_TYPE, RETRY_AFTER};
use http::StatusCode;
use http_body::Frame;
use tower::ServiceExt;

/// Ten bytes, then nothing, ever: it never wakes its reader again.
struct Trickle {
    sent: bool,
    polled: Arc<AtomicUsize>,
}

impl http_body::Body for Trickle {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.polled.fetch_add(1, Ordering::SeqCst);
        if self.sent {
            return Poll::Pending;
        }
        self.sent = true;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"Machine is")))))
    }
}

fn trickling(status: StatusCode, polled: Arc<AtomicUsize>) -> Response {
    (
        status,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        Body::new(Trickle {
            sent: false,
            polled,
        }),
    )
        .into_response()
}

/// With tokio's clock paused, a response that never comes lets the clock
/// run on to the hour's end at once, and the test fails there.
#[tokio::test(start_paused = true)]
async fn a_trickling_plain_body_does_not_hold_the_response() {
    for (status, code, message) in [
        (
            StatusCode::CONFLICT,
            "BadRequest",
            "The request is invalid.",
        ),
        (
            StatusCode::NOT_FOUND,
            "NotFound",
            "The requested resource was not found.",
        ),
        (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", ""),
    ] {
        let polled = Arc::new(AtomicUsize::new(0));
        let handler_polled = polled.clone();
        let app = Router::new()
            .route(
                "/",
                get(move || {
                    let polled = handler_polled.clone();
                    async move { trickling(status, polled) }
                }),
            )
            .layer(DefenderErrorLayer::new());
        let response = tokio::time::timeout(Duration::from_secs(3600), app.oneshot(get_req("/")))
            .await
            .expect("the response head was held by a trickling body")
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = http_body_util::BodyExt::collect(body)
            .await
            .unwrap()
            .to_bytes();
        let reply = common::Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        };
        // The code's own message: ten bytes of a sentence are not it.
        reply.assert_envelope(status.as_u16(), code, message);
        // The ten bytes were read, and the body asked once more.
        assert_eq!(polled.load(Ordering::SeqCst), 2, "{status}");
    }
}

/// A body that has nothing ready when the layer reads it is not waited
/// for, even if it would complete later: the sender here is held until
/// the response is in.
#[tokio::test(start_paused = true)]
async fn a_plain_body_is_read_only_as_far_as_it_is_ready() {
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
    let receiver = Arc::new(std::sync::Mutex::new(Some(receiver)));
    let app = Router::new()
        .route(
            "/",
            get(move || {
                let receiver = receiver.lock().unwrap().take().unwrap();
                async move {
                    let stream = tokio_stream_body(receiver);
                    (StatusCode::CONFLICT, [(CONTENT_TYPE, "text/plain")], stream).into_response()
                }
            }),
        )
        .layer(DefenderErrorLayer::new());
    let reply = tokio::time::timeout(Duration::from_secs(3600), send(&app, get_req("/")))
        .await
        .expect("the layer waited for the body");
    reply.assert_envelope(409, "BadRequest", "The request is invalid.");
    // Sent only now: too late, and nobody is reading.
    assert!(sender
        .send(Ok(Frame::data(Bytes::from_static(b"Machine is offline"))))
        .await
        .is_err());
}

/// A body fed by `receiver`.
fn tokio_stream_body(
    receiver: tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>,
) -> Body {
    struct Channel(tokio::sync::mpsc::Receiver<Result<Frame<Bytes>, std::io::Error>>);
    impl http_body::Body for Channel {
        type Data = Bytes;
        type Error = std::io::Error;
        fn poll_frame(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            self.0.poll_recv(cx)
        }
    }
    Body::new(Channel(receiver))
}

fn retry_after_app(status: StatusCode, retry_after: String) -> Router {
    Router::new()
        .route(
            "/",
            get(move || {
                let retry_after = retry_after.clone();
                async move { (status, [(RETRY_AFTER, retry_after)], "busy") }
            }),
        )
        .layer(DefenderErrorLayer::new())
}

/// Seconds from `now` to `date`, rounded up, as a client that must not come
/// back early counts them.
fn seconds_until(date: SystemTime, now: SystemTime) -> u64 {
    let wait = date.duration_since(now).unwrap_or_default();
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

#[tokio::test]
async fn a_retry_after_date_gives_retry_after_ms_and_the_seconds() {
    for (status, code, template) in [
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "The service is temporarily unavailable. Retry after {} seconds.",
        ),
        (
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            "Rate limit exceeded. Retry after {} seconds.",
        ),
    ] {
        // HTTP dates have whole seconds.
        let date = httpdate::parse_http_date(&httpdate::fmt_http_date(
            SystemTime::now() + Duration::from_secs(120),
        ))
        .unwrap();
        let sent = httpdate::fmt_http_date(date);
        let app = retry_after_app(status, sent.clone());
        let before = SystemTime::now();
        let reply = send(&app, get_req("/")).await;
        let after = SystemTime::now();

        let ms: u64 = reply.header("retry-after-ms").parse().unwrap();
        assert_eq!(ms % 1000, 0, "{ms}");
        let seconds = ms / 1000;
        // The layer counted from a moment between `before` and `after`.
        assert!(
            (seconds_until(date, after)..=seconds_until(date, before)).contains(&seconds),
            "{seconds} seconds until {sent}"
        );
        reply.assert_envelope(
            status.as_u16(),
            code,
            &template.replace("{}", &seconds.to_string()),
        );
        // The handler's header is kept as it was sent.
        assert_eq!(reply.header("retry-after"), sent);
    }
}

#[tokio::test]
async fn a_retry_after_date_already_past_is_zero_seconds() {
    let app = retry_after_app(
        StatusCode::SERVICE_UNAVAILABLE,
        "Sun, 06 Nov 1994 08:49:37 GMT".to_owned(),
    );
    let reply = send(&app, get_req("/")).await;
    reply.assert_envelope(
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable. Retry after 0 seconds.",
    );
    assert_eq!(reply.header("retry-after-ms"), "0");
    assert_eq!(reply.header("retry-after"), "Sun, 06 Nov 1994 08:49:37 GMT");

    // Delay-seconds keep working as before.
    let reply = send(
        &retry_after_app(StatusCode::TOO_MANY_REQUESTS, "7".to_owned()),
        get_req("/"),
    )
    .await;
    reply.assert_envelope(
        429,
        "TooManyRequests",
        "Rate limit exceeded. Retry after 7 seconds.",
    );
    assert_eq!(reply.header("retry-after-ms"), "7000");
    assert_eq!(reply.header("retry-after"), "7");
}
