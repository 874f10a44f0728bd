//! The Defender-like API as an axum [`Router`]: routes, authentication,
//! rate limits, and the middleware stack around them.
//!
//! The crate is a library plus a binary (`src/main.rs`), so its tests can
//! serve [`app`] on a port of their own, or run [`serve()`], graceful shutdown
//! included, exactly as `main` does.
//!
//! # The stack, outside in
//!
//! ```text
//! DefenderErrorLayer   envelope, tracking id, request span, panics -> 500
//! RequestHeadLayer     header limits (431), duplicate Authorization,
//!                      Content-Type, Content-Length or Host, bad Host (400),
//!                      unknown transfer coding (501), declared body over
//!                      the limit (413, before any 100 Continue)
//! Timeout              handler time limit -> 504 GatewayTimeout
//! LoadShed             refuse at once when ...
//! ConcurrencyLimit     ... this many requests are in flight -> 503 ServiceUnavailable
//! access log           one INFO event per response, inside the request span
//! Accept check         Accept without JSON -> 406 NotAcceptable
//! body deadline        body not received in time -> 408 RequestTimeout
//! Router               DefaultBodyLimit (413), authenticate (401), routes
//!   list routes        + rate limit 100/min and 1,500/h per token (429),
//!                        shared by replicas on PostgreSQL (503 when the
//!                        quota cannot be checked)
//!   import route       + rate limit 30/min per token (429)
//! ```
//!
//! `GET /openapi.json` (no token) serves the OpenAPI document, generated
//! from the handlers' annotations: see [`openapi`]. `GET /healthz` (no
//! token) answers 200 when the database answers, else 503.
//!
//! The tenant lives in a database ([`Database`]): SQLite (a file, or in
//! memory) or PostgreSQL, chosen by [`Config::database`].
//!
//! The stack is one service in front of the whole router (installed as the
//! outer router's fallback service), so the concurrency limit counts every
//! request, not each route's own.
//!
//! [`serve()`] runs the stack on hyper-util's connection builder, with the
//! header, idle and shutdown timeouts of [`Config`]; see the [`serve`
//! module](mod@serve).

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use defender_errors::extract::Query;
use defender_errors::{ApiError, DefenderErrorLayer, ErrorCode, RequestHeadLayer};
use http::header::ACCEPT;
use http::HeaderMap;
use http_body::Frame;
use serde_json::{json, Value};
use tower::ServiceBuilder;

mod alerts;
pub mod auth;
#[doc(hidden)]
pub mod bench_support;
pub mod db;
mod intel;
pub mod limits;
mod listing;
mod machines;
pub mod openapi;
pub mod serve;
mod store;
pub mod telemetry;

pub use self::db::{Database, DatabaseOptions, OpenError, Seeded};
pub use self::limits::{QuotaStore, RateLimits};
pub use self::serve::{serve, serve_on};

/// The largest request body accepted: 1 MiB.
pub const BODY_LIMIT: usize = 1 << 20;

/// How the server is run.
#[derive(Debug, Clone)]
pub struct Config {
    /// A request that has not been answered after this long is 504.
    pub handler_timeout: Duration,
    /// A request body not received completely after this long is 408.
    /// Keep it shorter than `handler_timeout`, which covers reading too.
    pub body_timeout: Duration,
    /// Requests handled at once; more are refused with 503.
    pub max_concurrency: usize,
    /// The per-token rate limits.
    pub rate_limits: RateLimits,
    /// At most this many request header fields; more are 431.
    pub max_header_fields: usize,
    /// At most this many bytes of request header fields (each counted as
    /// name, value and 32 bytes, as HTTP/2 counts); more are 431.
    pub max_header_bytes: usize,
    /// An HTTP/1 request head must arrive within this long, from the
    /// connection's opening or the end of the previous response; a
    /// connection's first bytes too. Slower connections are closed.
    pub header_timeout: Duration,
    /// Once the server has written on a connection, a connection on which
    /// no byte moves for this long is closed. Keep it above
    /// `handler_timeout`.
    pub idle_timeout: Duration,
    /// On shutdown, requests in flight get this long to finish.
    pub shutdown_timeout: Duration,
    /// Where the tenant lives: `sqlite::memory:` (the default here: a
    /// throwaway tenant), `sqlite://FILE?mode=rwc`, or `postgres://…`. The
    /// binary's default is the file `defender-api.db` in its working
    /// directory.
    pub database: String,
    /// Connections to the database; a request that gets none within half
    /// the handler time limit is 503.
    pub database_connections: u32,
    /// Seed a demo tenant with this many machines (see
    /// [`DatabaseOptions::demo_machines`]).
    pub demo_machines: Option<u64>,
    /// Drop the tenant's data at start and seed it again.
    pub reset_database: bool,
}

impl Config {
    /// How [`Database::open`] opens this configuration's database. The
    /// acquire timeout is half the handler time limit, so a request that
    /// waits for a connection is answered 503 before the limit cuts it.
    pub fn database_options(&self) -> DatabaseOptions {
        DatabaseOptions {
            url: self.database.clone(),
            acquire_timeout: self.handler_timeout / 2,
            max_connections: self.database_connections,
            statement_timeout: self.handler_timeout,
            demo_machines: self.demo_machines,
            reset: self.reset_database,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            handler_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(2),
            max_concurrency: 512,
            rate_limits: RateLimits::DEFENDER,
            max_header_fields: 100,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(10),
            database: "sqlite::memory:".to_owned(),
            database_connections: 16,
            demo_machines: None,
            reset_database: false,
        }
    }
}

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    db: Database,
    config: Arc<Config>,
}

/// The whole API behind its middleware stack, on the database of
/// `config` (opened, migrated and seeded first).
///
/// # Errors
///
/// The database cannot be opened, migrated or seeded.
pub async fn app(config: Config) -> Result<Router, OpenError> {
    let (db, _) = Database::open(&config.database_options()).await?;
    Ok(router(config, db))
}

/// The whole API behind its middleware stack, on `db`.
pub fn router(config: Config, db: Database) -> Router {
    let state = AppState {
        db,
        config: Arc::new(config.clone()),
    };
    let limits = config.rate_limits;
    // On PostgreSQL the replicas share the quotas (the table comes with
    // the migrations); on SQLite each process counts its own.
    let quotas = match state.db.postgres() {
        Some(pool) => QuotaStore::shared(pool.clone()).check_timeout(config.handler_timeout / 2),
        None => QuotaStore::in_process(),
    };
    // Each list endpoint has its own quotas, as each Defender API has.
    let limit = |endpoint: &'static str, windows: &[limits::Window]| {
        middleware::from_fn_with_state(quotas.limiter(endpoint, windows), limits::rate_limit)
    };
    let list = limits.list_windows();

    let api = Router::new()
        .route(
            "/api/machines",
            get(machines::list).route_layer(limit("GET /api/machines", &list)),
        )
        .route(
            "/api/alerts",
            get(alerts::list).route_layer(limit("GET /api/alerts", &list)),
        )
        .route(
            "/api/indicators",
            get(intel::list)
                .route_layer(limit("GET /api/indicators", &list))
                .post(intel::submit),
        )
        .route(
            "/api/indicators/import",
            post(intel::import).route_layer(limit(
                "POST /api/indicators/import",
                &limits.import_windows(),
            )),
        )
        .route("/api/machines/{id}", get(machines::get))
        .route("/api/machines/{id}/isolate", post(machines::isolate))
        .route("/api/machines/{id}/unisolate", post(machines::unisolate))
        .route(
            "/api/machines/{id}/runliveresponse",
            post(machines::run_live_response),
        )
        .route("/api/machineactions/{id}", get(machines::get_action))
        .route(
            "/api/machineactions/{id}/GetPackageUri",
            get(machines::package_uri),
        )
        .route("/api/alerts/{id}", get(alerts::get))
        .route("/api/files/{hash}", get(intel::file))
        .route("/api/domains/{domain}/stats", get(intel::domain_stats))
        .route("/api/ips/{ip}/stats", get(intel::ip_stats))
        .route("/api/simulate/panic", get(simulate_panic))
        .route("/api/simulate/slow", get(simulate_slow))
        .route("/api/simulate/delay", get(simulate_delay))
        .layer(middleware::from_fn(auth::authenticate))
        // The document and the health check need no token.
        .route("/openapi.json", get(openapi::document))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);

    let stack = ServiceBuilder::new()
        .layer(DefenderErrorLayer::new())
        .layer(
            RequestHeadLayer::new()
                .max_header_fields(config.max_header_fields)
                .max_header_bytes(config.max_header_bytes)
                .max_body_bytes(BODY_LIMIT as u64),
        )
        .timeout(config.handler_timeout)
        .load_shed()
        .concurrency_limit(config.max_concurrency.max(1))
        .layer(middleware::from_fn(access_log))
        .layer(middleware::from_fn(require_json_accept))
        .layer(middleware::from_fn_with_state(
            config.body_timeout,
            body_deadline,
        ))
        .service(api);
    Router::new().fallback_service(stack)
}

/// `GET /healthz`: whether the server can serve, which is whether its
/// database answers. No token needed.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "GetHealth",
    tag = "meta",
    responses((status = 200, description = "The database answers", body = Health), HealthErrors),
    security(())
)]
async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.db.ping().await?;
    Ok(Json(Health { status: "Healthy" }))
}

defender_errors::error_responses! {
    /// `GET /healthz`: the database does not answer (503), or fails otherwise.
    struct HealthErrors: ServiceUnavailable, InternalServerError;
}

/// The answer of `GET /healthz`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
struct Health {
    /// Always `Healthy`.
    status: &'static str,
}

/// A handler bug, on purpose: the layer answers 500 with an empty message
/// and logs the payload with the request's id.
#[utoipa::path(
    get,
    path = "/api/simulate/panic",
    operation_id = "SimulatePanic",
    tag = "simulate",
    responses((status = 200, description = "Never: the handler always panics", body = Object)),
    security(("bearer" = []))
)]
async fn simulate_panic(_: auth::Require<auth::MachineReadAll>) -> Json<Value> {
    panic!("simulated handler bug: index out of range while building the response")
}

/// A handler that takes twice the server's time limit, so the timeout
/// answers 504 first.
#[utoipa::path(
    get,
    path = "/api/simulate/slow",
    operation_id = "SimulateSlow",
    tag = "simulate",
    responses((status = 200, description = "Never: the time limit answers first", body = Object)),
    security(("bearer" = []))
)]
async fn simulate_slow(
    _: auth::Require<auth::MachineReadAll>,
    State(state): State<AppState>,
) -> Json<Value> {
    tokio::time::sleep(state.config.handler_timeout * 2).await;
    Json(json!({"status": "finished, too late"}))
}

/// The query of `GET /api/simulate/delay`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Delay {
    /// How long to take, in milliseconds.
    ms: u64,
}

/// `GET /api/simulate/delay?ms=N`: a slow handler that still succeeds. It
/// answers 200 after `N` milliseconds, at most half the server's time
/// limit, so the timeout never cuts it short (the graceful-shutdown test
/// keeps it in flight while the server stops).
#[utoipa::path(
    get,
    path = "/api/simulate/delay",
    operation_id = "SimulateDelay",
    tag = "simulate",
    params(Delay),
    responses((status = 200, description = "Finished after the delay", body = Delayed), DelayErrors),
    security(("bearer" = []))
)]
async fn simulate_delay(
    _: auth::Require<auth::MachineReadAll>,
    State(state): State<AppState>,
    Query(delay): Query<Delay>,
) -> Json<Delayed> {
    let cap = state.config.handler_timeout / 2;
    let waited = Duration::from_millis(delay.ms).min(cap);
    tokio::time::sleep(waited).await;
    Json(Delayed {
        status: "finished",
        delay_ms: u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
    })
}

defender_errors::error_responses! {
    /// `GET /api/simulate/delay`: a missing or malformed `ms`.
    struct DelayErrors: InvalidInput, MissingRequiredParameter;
}

/// The answer of `GET /api/simulate/delay`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct Delayed {
    /// Always `finished`.
    status: &'static str,
    /// How long the handler waited, in milliseconds.
    delay_ms: u64,
}

/// Middleware: one INFO event per response with status and duration. It
/// runs inside the layer's request span, so the event carries `target`.
async fn access_log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        status = response.status().as_u16(),
        latency = ?started.elapsed(),
        "response"
    );
    response
}

/// Middleware: the API speaks only JSON. A request whose `Accept` header
/// admits neither JSON nor a wildcard is 406 `NotAcceptable`.
async fn require_json_accept(request: Request, next: Next) -> Response {
    if accepts_json(request.headers()) {
        next.run(request).await
    } else {
        ApiError::new(
            ErrorCode::NotAcceptable,
            "The requested representation is not available. This API answers with application/json.",
        )
        .into_response()
    }
}

/// Whether `Accept` (absent, or any of its values) admits
/// `application/json`: `*/*`, `application/*` or `application/json`, with a
/// quality above 0.
fn accepts_json(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(ACCEPT).iter().peekable();
    if values.peek().is_none() {
        return true;
    }
    values
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            !refused && matches!(media.as_str(), "*/*" | "application/*" | "application/json")
        })
}

/// Middleware: the whole request body must arrive within `limit` of the
/// request head, or the request is 408 `RequestTimeout` (whatever the
/// handler made of the failed read).
async fn body_deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    use http_body::Body as _;
    if request.body().is_end_stream() {
        return next.run(request).await;
    }
    let expired = Arc::new(AtomicBool::new(false));
    let request = request.map(|body| {
        Body::new(DeadlineBody {
            inner: body,
            deadline: Box::pin(tokio::time::sleep(limit)),
            expired: expired.clone(),
        })
    });
    let response = next.run(request).await;
    if expired.load(Ordering::Acquire) {
        return ApiError::from_code(ErrorCode::RequestTimeout)
            .with_cause(format!(
                "the request body was not received within {limit:?}"
            ))
            .into_response();
    }
    response
}

/// A request body that fails once its deadline has passed, and says so.
struct DeadlineBody {
    inner: Body,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = std::pin::Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Release);
            return Poll::Ready(Some(Err(axum::Error::new("request body deadline passed"))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::accepts_json;
    use http::header::{HeaderValue, ACCEPT};
    use http::HeaderMap;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn accept_header() {
        assert!(accepts_json(&HeaderMap::new()));
        assert!(accepts_json(&accept("*/*")));
        assert!(accepts_json(&accept("text/html, application/json;q=0.9")));
        assert!(accepts_json(&accept("Application/*")));
        assert!(!accepts_json(&accept("text/html")));
        assert!(!accepts_json(&accept("application/json;q=0, text/csv")));
    }
}
