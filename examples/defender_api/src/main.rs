//! A runnable, in-memory imitation of the Microsoft Defender for Endpoint
//! REST API whose every failure leaves as the Defender error envelope.
//!
//! It serves a seeded demo tenant (machines, alerts, machine actions,
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
//! --log-format text|json      log lines on stdout (default text)
//! --handler-timeout-ms N      time limit of a request, 504 after it (default 5000)
//! --body-timeout-ms N         time limit to receive a body, 408 after it (default 2000)
//! --max-concurrency N         requests in flight, 503 beyond (default 512)
//! --rate-limit-scale N        multiply every rate limit by N (default 1)
//! ```
//!
//! Ctrl-C (or SIGTERM) stops accepting connections and lets requests in
//! flight finish.

use std::process::ExitCode;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

use defender_api as app;

use app::auth::{ADMIN_TOKEN, READER_TOKEN};
use app::{Config, RateLimits};

const USAGE: &str = "usage: defender_api [--addr HOST:PORT] [--log-format text|json] \
[--handler-timeout-ms N] [--body-timeout-ms N] [--max-concurrency N] [--rate-limit-scale N]";

struct Options {
    addr: String,
    json_logs: bool,
    config: Config,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        addr: "127.0.0.1:8080".to_owned(),
        json_logs: false,
        config: Config::default(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{flag} takes a whole number, not {value:?}"))
        };
        match flag.as_str() {
            "--addr" => options.addr = value.clone(),
            "--log-format" => match value.as_str() {
                "text" => options.json_logs = false,
                "json" => options.json_logs = true,
                other => return Err(format!("--log-format is text or json, not {other:?}")),
            },
            "--handler-timeout-ms" => {
                options.config.handler_timeout = Duration::from_millis(number()?)
            }
            "--body-timeout-ms" => options.config.body_timeout = Duration::from_millis(number()?),
            "--max-concurrency" => {
                options.config.max_concurrency = usize::try_from(number()?).unwrap_or(usize::MAX)
            }
            "--rate-limit-scale" => {
                let scale = u32::try_from(number()?).unwrap_or(u32::MAX);
                options.config.rate_limits = RateLimits::DEFENDER.scaled(scale.max(1));
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    if json {
        logs.json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        logs.init();
    }
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing the requests in flight");
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
    init_logging(options.json_logs);
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
    let addr = listener
        .local_addr()
        .expect("a bound listener has an address");
    println!("listening on http://{addr}");
    println!("tokens: Authorization: Bearer {ADMIN_TOKEN}   (every permission)");
    println!("        Authorization: Bearer {READER_TOKEN}  (Machine.Read.All, Alert.Read.All, Ti.Read.All)");
    println!("try:    curl -H 'Authorization: Bearer {ADMIN_TOKEN}' http://{addr}/api/machines");

    match app::serve(listener, options.config, shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("server error: {error}");
            ExitCode::FAILURE
        }
    }
}
