//! The HTTP server around [`app`](crate::app): hyper-util's connection
//! builder, its timers and limits, and graceful shutdown.
//!
//! - HTTP/1.1 and HTTP/2 over cleartext (h2c, prior knowledge) on the same
//!   port; hyper-util tells them apart by the HTTP/2 preface.
//! - **Header timeout** ([`Config::header_timeout`]): an HTTP/1 request head
//!   must arrive whole within it, counted from the connection's opening or
//!   from the end of the previous response, so it also closes HTTP/1
//!   keep-alive connections left idle (hyper's own timer). The same limit
//!   applies to the first bytes of every connection, before its protocol
//!   is known: a connection that sends nothing is closed after it.
//! - **Idle timeout** ([`Config::idle_timeout`]): once the server has
//!   written to a connection, a connection on which no byte moves either
//!   way for this long is closed. It closes idle HTTP/2 connections and
//!   transfers that stall; keep it longer than the handler time limit, as
//!   an HTTP/2 request in flight moves no bytes while its handler runs.
//! - **Half-close**: a client that shuts its write side after its request
//!   still gets the answer. The price: an HTTP/1 client that goes away
//!   while its handler runs is noticed only when the answer is written
//!   (at most the handler time limit later).
//! - **Header limits**: hyper's own (HTTP/1 `max_headers` and
//!   `max_buf_size`, HTTP/2 `max_header_list_size`) are set well above the
//!   server's ([`Config::max_header_fields`], [`Config::max_header_bytes`]),
//!   so a head over the server's limits reaches
//!   [`RequestHeadLayer`](defender_errors::RequestHeadLayer) and is
//!   answered 431 in the envelope. Only a head over hyper's ceilings gets
//!   hyper's bare 431.
//! - **Graceful shutdown**: when `shutdown` resolves the listener is closed,
//!   idle connections are closed at once, requests in flight get up to
//!   [`Config::shutdown_timeout`] to finish, then the rest are dropped.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio::time::{Instant, Sleep};

use crate::{router, Config, Database};

/// hyper's HTTP/1 header count is at least this, and at least twice the
/// server's own limit.
const HYPER_MIN_HEADERS: usize = 10_000;

/// hyper's HTTP/1 head buffer and HTTP/2 header list are at least this
/// large, and at least four times the server's own limit.
const HYPER_MIN_HEAD_BYTES: usize = 2 << 20;

/// Serves [`app`](crate::app) on `listener` until `shutdown` resolves, then stops
/// accepting connections (the listener is closed), closes idle
/// connections, and returns once the requests in flight have been answered
/// or [`Config::shutdown_timeout`] has passed. `main` runs exactly this,
/// with Ctrl-C or SIGTERM as `shutdown`.
///
/// The database of [`Config::database`] is opened (migrated, seeded)
/// first; [`serve_on`] takes one opened already.
///
/// # Errors
///
/// The database cannot be opened. Otherwise none: a failed `accept` is
/// logged and retried, and a failed connection is logged and closed.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let (db, _) = Database::open(&config.database_options())
        .await
        .map_err(io::Error::other)?;
    serve_on(listener, config, db, shutdown).await
}

/// [`serve()`] on a database opened already. The pool is closed when the
/// server has stopped.
///
/// # Errors
///
/// None at present; see [`serve()`].
pub async fn serve_on(
    listener: TcpListener,
    config: Config,
    db: Database,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let builder = Arc::new(builder(&config));
    let service = TowerToHyperService::new(router(config.clone(), db.clone()));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    if must_pause(&error) {
                        // Retrying at once would spin; a signal still stops it.
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_secs(1)) => {}
                            () = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Reap finished connections so the set holds only live ones.
        while connections.try_join_next().is_some() {}
        let io = TokioIo::new(Watched::new(stream, &config));
        let builder = builder.clone();
        let service = service.clone();
        let watcher = graceful.watcher();
        connections.spawn(async move {
            let connection = builder.serve_connection(io, service);
            if let Err(error) = watcher.watch(connection).await {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }

    drop(listener);
    let open = graceful.count();
    tracing::info!(
        connections = open,
        "shutting down: closing idle connections, finishing requests in flight"
    );
    if tokio::time::timeout(config.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            connections = connections.len(),
            timeout = ?config.shutdown_timeout,
            "requests still in flight after the shutdown timeout: dropping them"
        );
        connections.abort_all();
    }
    while connections.join_next().await.is_some() {}
    db.close().await;
    Ok(())
}

/// The connection builder with the server's timers and limits.
fn builder(config: &Config) -> auto::Builder<TokioExecutor> {
    let head_bytes = config
        .max_header_bytes
        .saturating_mul(4)
        .max(HYPER_MIN_HEAD_BYTES);
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .half_close(true)
        .keep_alive(true)
        .max_headers(
            config
                .max_header_fields
                .saturating_mul(2)
                .max(HYPER_MIN_HEADERS),
        )
        .max_buf_size(head_bytes);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(head_bytes).unwrap_or(u32::MAX));
    builder
}

/// Whether a failed `accept` calls for a pause: a connection reset before
/// it was accepted is just skipped; anything else (out of file
/// descriptors, mostly) is logged and waited out for a moment.
fn must_pause(error: &io::Error) -> bool {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return false;
    }
    tracing::error!(%error, "accepting a connection failed; pausing for a second");
    true
}

/// A TCP stream with the header and idle deadlines of the module docs.
///
/// Until the server first writes, the deadline is the header timeout from
/// the connection's opening; from then on every byte read or written moves
/// it to the idle timeout from now. A read or write that is still waiting
/// when the deadline passes fails with `TimedOut`, which closes the
/// connection.
struct Watched {
    stream: TcpStream,
    timer: Pin<Box<Sleep>>,
    deadline: Instant,
    idle: Duration,
    written: bool,
}

impl Watched {
    fn new(stream: TcpStream, config: &Config) -> Self {
        let deadline = Instant::now() + config.header_timeout;
        Watched {
            stream,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
            deadline,
            idle: config.idle_timeout,
            written: false,
        }
    }

    /// Bytes moved: the idle deadline starts again (once the server has
    /// written).
    fn progress(&mut self, wrote: bool) {
        let first_write = wrote && !self.written;
        self.written |= wrote;
        if self.written {
            self.deadline = Instant::now() + self.idle;
        }
        if first_write {
            // The idle deadline may come before the header deadline the
            // timer is set for; later moves are seen when it fires.
            self.timer.as_mut().reset(self.deadline);
        }
    }

    /// Waiting for the peer: an error once the deadline has passed.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            if Instant::now() >= self.deadline {
                return Poll::Ready(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "no bytes moved on the connection before its deadline",
                ));
            }
            // The deadline moved since the timer was set.
            let deadline = self.deadline;
            self.timer.as_mut().reset(deadline);
        }
    }

    /// The outcome of a write: progress, or waiting under the deadline.
    fn wrote(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(n)) => {
                self.progress(n > 0);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => self.poll_deadline(cx).map(Err),
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.progress(false);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending => this.poll_deadline(cx).map(Err),
        }
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.wrote(cx, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.wrote(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
