//! A runnable imitation of the Microsoft Defender for Endpoint REST API
//! whose every failure leaves as the Defender error envelope.
//!
//! It serves a seeded demo tenant, kept in a database (a SQLite file by
//! default, PostgreSQL for replicas), (machines, alerts, machine actions,
//! files, domains, IPs, indicators) with bearer-token authentication,
//! per-token rate limits, a handler time limit, a concurrency limit, and a
//! few endpoints that fail on purpose under `/api/simulate/`. The README's
//! section "The example server" lists a `curl` command for every error
//! code.
//!
//! Run with `cargo run --release -p defender-api -- --addr 127.0.0.1:8080`.
//!
//! ```text
//! --addr HOST:PORT            where to listen (default 127.0.0.1:8080)
//! --log-format text|json      log lines on stdout (default text; colours only on a terminal)
//! --handler-timeout-ms N      time limit of a request, 504 after it (default 5000)
//! --body-timeout-ms N         time limit to receive a body, 408 after it (default 2000)
//! --max-concurrency N         requests in flight, 503 beyond (default 512)
//! --rate-limit-scale N        multiply every rate limit by N (default 1)
//! --header-timeout-ms N       time to send a request head, else the connection closes (default 10000)
//! --idle-timeout-ms N         a connection with no bytes moving closes after it (default 10000)
//! --shutdown-timeout-ms N     on Ctrl-C or SIGTERM, time left to requests in flight (default 10000)
//! --max-header-fields N       request header fields, 431 beyond (default 100)
//! --max-header-bytes N        bytes of request header fields, 431 beyond (default 16384)
//! --database URL              sqlite://FILE?mode=rwc, sqlite::memory: or postgres://…
//!                             (default sqlite://defender-api.db?mode=rwc, in the working directory)
//! --database-connections N    connections in the pool (default 16)
//! --demo-machines N           seed a demo tenant of N machines (re-seeds a tenant of another size)
//! --reset                     drop the tenant's data and seed it again
//! ```
//!
//! Ctrl-C (SIGINT) or SIGTERM stops accepting connections, closes idle
//! ones at once, lets requests in flight finish for up to
//! `--shutdown-timeout-ms`, then exits with status 0.

use std::process::ExitCode;
use std::time::Duration;

use defender_api as app;

use app::auth::{ADMIN_TOKEN, READER_TOKEN};
use app::{Config, RateLimits};

const USAGE: &str = "usage: defender_api [--addr HOST:PORT] [--log-format text|json] \
[--handler-timeout-ms N] [--body-timeout-ms N] [--max-concurrency N] [--rate-limit-scale N] \
[--header-timeout-ms N] [--idle-timeout-ms N] [--shutdown-timeout-ms N] \
[--max-header-fields N] [--max-header-bytes N] [--database URL] [--database-connections N] \
[--demo-machines N] [--reset]";

/// The database when `--database` is not given: a file in the working
/// directory, created on first start.
const DEFAULT_DATABASE: &str = "sqlite://defender-api.db?mode=rwc";

struct Options {
    addr: String,
    json_logs: bool,
    config: Config,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        addr: "127.0.0.1:8080".to_owned(),
        json_logs: false,
        config: Config {
            database: DEFAULT_DATABASE.to_owned(),
            ..Config::default()
        },
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        if flag == "--reset" {
            options.config.reset_database = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} takes a whole number, not {value:?}"))
        };
        let millis = || match number()? {
            0 => Err(format!("{flag} must be at least 1")),
            n => Ok(Duration::from_millis(n)),
        };
        let count = || number().map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        match flag.as_str() {
            "--addr" => options.addr = value.clone(),
            "--log-format" => match value.as_str() {
                "text" => options.json_logs = false,
                "json" => options.json_logs = true,
                other => return Err(format!("--log-format is text or json, not {other:?}")),
            },
            "--handler-timeout-ms" => options.config.handler_timeout = millis()?,
            "--body-timeout-ms" => options.config.body_timeout = millis()?,
            "--max-concurrency" => options.config.max_concurrency = count()?,
            "--header-timeout-ms" => options.config.header_timeout = millis()?,
            "--idle-timeout-ms" => options.config.idle_timeout = millis()?,
            "--shutdown-timeout-ms" => options.config.shutdown_timeout = millis()?,
            "--max-header-fields" => options.config.max_header_fields = count()?,
            "--max-header-bytes" => options.config.max_header_bytes = count()?,
            "--database" => options.config.database = value.clone(),
            "--database-connections" => {
                options.config.database_connections =
                    u32::try_from(number()?.max(1)).unwrap_or(u32::MAX);
            }
            "--demo-machines" => options.config.demo_machines = Some(number()?),
            "--rate-limit-scale" => {
                let scale = u32::try_from(number()?).unwrap_or(u32::MAX);
                options.config.rate_limits = RateLimits::DEFENDER.scaled(scale.max(1));
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

/// A future that resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are
/// installed here, before the future is first polled, so a signal that
/// comes as soon as the server says it is listening is not missed.
#[cfg(unix)]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        let name = tokio::select! {
            _ = interrupt.recv() => "SIGINT",
            _ = terminate.recv() => "SIGTERM",
        };
        tracing::info!(signal = name, "shutdown requested");
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("shutdown requested");
        } else {
            std::future::pending::<()>().await;
        }
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(options) => options,
        Err(problem) => {
            if !problem.is_empty() {
                eprintln!("{problem}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // Log lines, and OTLP traces when OTEL_EXPORTER_OTLP_ENDPOINT is set;
    // dropped at the end of `main`, which flushes the traces.
    let _telemetry = app::telemetry::init(options.json_logs);
    // A panic is answered and logged by the layer (payload, code, target);
    // the hook only adds where it happened, as a log line, not on stderr.
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| l.to_string()).unwrap_or_default();
        tracing::error!(%location, "panicked");
    }));

    let listener = match tokio::net::TcpListener::bind(&options.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {}: {error}", options.addr);
            return ExitCode::FAILURE;
        }
    };
    if options.config.idle_timeout <= options.config.handler_timeout {
        tracing::warn!(
            idle_timeout = ?options.config.idle_timeout,
            handler_timeout = ?options.config.handler_timeout,
            "the idle timeout is not above the handler timeout: an HTTP/2 request \
             whose handler runs that long is cut off with its connection"
        );
    }
    let shutdown = match shutdown_signal() {
        Ok(shutdown) => shutdown,
        Err(error) => {
            eprintln!("cannot listen for shutdown signals: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (db, seeded) = match app::Database::open(&options.config.database_options()).await {
        Ok(opened) => opened,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("listening on http://{addr}");
    match seeded {
        app::Seeded::Fresh(machines) => {
            println!(
                "database: {} (seeded now, {machines} machines)",
                db.location()
            );
        }
        app::Seeded::Reused(_) => {
            println!(
                "database: {} (reused; --reset seeds it again)",
                db.location()
            );
        }
    }
    println!("tokens: Authorization: Bearer {ADMIN_TOKEN}   (every permission)");
    println!("        Authorization: Bearer {READER_TOKEN}  (Machine.Read.All, Alert.Read.All, Ti.Read.All)");
    println!("try:    curl -H 'Authorization: Bearer {ADMIN_TOKEN}' http://{addr}/api/machines");

    match app::serve_on(listener, options.config, db, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server error: {error}");
            ExitCode::FAILURE
        }
    }
}
