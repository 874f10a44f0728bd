//! Per-token rate limits as Defender documents them, in process or shared
//! by every replica through PostgreSQL.
//!
//! Each limited endpoint has one or more windows ("100 calls a minute",
//! "1,500 calls an hour"); a call is counted against every window of its
//! endpoint, keyed by the caller's token and the endpoint. A call is
//! admitted only when every window admits it, and then it counts in all of
//! them; a refused call counts in none. The call over a window is 429
//! `TooManyRequests` with `Retry-After` set to the whole seconds (rounded
//! up) until every window admits a call again.
//!
//! Each window is a generic cell rate algorithm (GCRA): `calls` may come at
//! once, and the window then admits one more call every `period / calls`.
//! Its state is one instant per window, the *theoretical arrival time*.
//!
//! Where that state lives is the [`QuotaStore`]:
//!
//! - [`QuotaStore::in_process`] keeps it in memory (the tokio clock), each
//!   process on its own: the store for SQLite and for tests.
//! - [`QuotaStore::postgres`] (or [`QuotaStore::shared`], once the
//!   migration has made the table) keeps it in the table `api_quota`, one
//!   row per token and endpoint holding every window's arrival time. A
//!   check abandoned at its time limit may still count if the database
//!   finishes it later (the client was answered 503). One statement
//!   (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) reads the row, decides
//!   and writes the row back, timed by the database's clock, so every
//!   replica on the database shares one quota and the replicas' own clocks
//!   do not matter. Concurrent calls for one row queue on its row lock.
//!
//! When the database cannot answer the quota check (unreachable, pool
//! exhausted, connection lost, or no answer within the check's time limit)
//! the call is refused with 503 `ServiceUnavailable` and `Retry-After`:
//! the quota fails closed, so an outage never lifts the limits, and the
//! client sees no driver text (the cause is only logged, with the
//! request's tracking id).

mod local;
mod postgres;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use defender_errors::ApiError;
use sqlx::PgPool;

use super::auth::Principal;

/// `Retry-After` of the 503 answered when the quota cannot be checked: the
/// seconds the example asks a client to wait out a database outage.
pub const UNAVAILABLE_RETRY_AFTER: u64 = 2;

/// How long a quota check on PostgreSQL may take before the call is
/// refused with 503: well below the server's default handler time limit.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// The documented limits, in calls per period for each token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST /api/indicators/import`: 30 calls a minute.
    pub import_per_minute: u32,
    /// List endpoints: 100 calls a minute...
    pub list_per_minute: u32,
    /// ...and 1,500 an hour.
    pub list_per_hour: u32,
}

impl RateLimits {
    /// The limits Defender documents.
    pub const DEFENDER: RateLimits = RateLimits {
        import_per_minute: 30,
        list_per_minute: 100,
        list_per_hour: 1500,
    };

    /// Every limit multiplied by `factor` (saturating).
    pub fn scaled(self, factor: u32) -> Self {
        RateLimits {
            import_per_minute: self.import_per_minute.saturating_mul(factor),
            list_per_minute: self.list_per_minute.saturating_mul(factor),
            list_per_hour: self.list_per_hour.saturating_mul(factor),
        }
    }

    /// The windows of each list endpoint: the minute, then the hour.
    pub fn list_windows(self) -> [Window; 2] {
        [
            Window::new(self.list_per_minute, Duration::from_secs(60), "a minute"),
            Window::new(self.list_per_hour, Duration::from_secs(3600), "an hour"),
        ]
    }

    /// The window of the import endpoint.
    pub fn import_windows(self) -> [Window; 1] {
        [Window::new(
            self.import_per_minute,
            Duration::from_secs(60),
            "a minute",
        )]
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::DEFENDER
    }
}

/// One window of a quota: at most `calls` calls per `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    calls: u32,
    period: Duration,
    per: &'static str,
}

impl Window {
    /// `calls` per `period`, described as `per` ("a minute") in logs.
    /// `calls` of 0 is taken as 1; a zero `period` as one microsecond.
    pub fn new(calls: u32, period: Duration, per: &'static str) -> Self {
        Window {
            calls: calls.max(1),
            period: period.max(Duration::from_micros(1)),
            per,
        }
    }

    /// The calls admitted at once.
    pub fn calls(&self) -> u32 {
        self.calls
    }

    /// The period.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// The time after which one more call is admitted: `period / calls`.
    pub fn interval(&self) -> Duration {
        self.period / self.calls
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} calls {}", self.calls, self.per)
    }
}

/// Where quota state lives: in this process, or in PostgreSQL for every
/// replica at once. Cheap to clone; clones share the state.
#[derive(Clone)]
pub struct QuotaStore {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    InProcess(Arc<local::Table>),
    Postgres(postgres::Table),
}

impl QuotaStore {
    /// Quotas kept in this process's memory.
    pub fn in_process() -> Self {
        QuotaStore {
            backend: Backend::InProcess(Arc::default()),
        }
    }

    /// Quotas kept in PostgreSQL behind `pool`, shared by every process
    /// using the same database. Creates the table `api_quota` if it does
    /// not exist yet (the statement of the migration
    /// `migrations/postgres/0002_quotas.sql`). Each check may take
    /// [`DEFAULT_CHECK_TIMEOUT`]; see [`check_timeout`](Self::check_timeout).
    pub async fn postgres(pool: PgPool) -> Result<Self, sqlx::Error> {
        postgres::create_table(&pool).await?;
        Ok(QuotaStore::shared(pool))
    }

    /// Quotas kept in PostgreSQL behind `pool`, as [`postgres`](Self::postgres)
    /// makes them, on a database where the migration
    /// `migrations/postgres/0002_quotas.sql` has run already: nothing is
    /// sent to the database until the first check.
    pub fn shared(pool: PgPool) -> Self {
        QuotaStore {
            backend: Backend::Postgres(postgres::Table::new(pool, DEFAULT_CHECK_TIMEOUT)),
        }
    }

    /// Sets how long one quota check on PostgreSQL may take, connecting
    /// included; a check that takes longer is a 503. Keep it below the
    /// handler time limit. No effect on the in-process store.
    pub fn check_timeout(mut self, timeout: Duration) -> Self {
        if let Backend::Postgres(table) = &mut self.backend {
            table.set_timeout(timeout);
        }
        self
    }

    /// Whether the quotas are shared through a database.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The limiter of `endpoint` (for example `"GET /api/machines"`, the
    /// key of its quotas beside the token) with these windows.
    pub fn limiter(&self, endpoint: &'static str, windows: &[Window]) -> Limiter {
        Limiter {
            store: self.clone(),
            endpoint,
            windows: windows.into(),
        }
    }
}

impl Default for QuotaStore {
    fn default() -> Self {
        QuotaStore::in_process()
    }
}

impl fmt::Debug for QuotaStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.backend {
            Backend::InProcess(_) => f.write_str("QuotaStore::InProcess"),
            Backend::Postgres(table) => f
                .debug_struct("QuotaStore::Postgres")
                .field("check_timeout", &table.timeout())
                .finish(),
        }
    }
}

/// Why a call was refused: the wait until every window admits a call, and
/// the window that needs the longest wait.
#[derive(Debug, Clone, Copy)]
struct Refusal {
    wait: Duration,
    window: usize,
}

/// The refusal with the longest wait among `waits` (one per window), or
/// none if no window has to be waited for.
fn longest(waits: impl IntoIterator<Item = Duration>) -> Option<Refusal> {
    waits
        .into_iter()
        .enumerate()
        .filter(|(_, wait)| !wait.is_zero())
        .max_by_key(|&(_, wait)| wait)
        .map(|(window, wait)| Refusal { wait, window })
}

/// The quotas of one endpoint, in a [`QuotaStore`]: the state of the
/// [`rate_limit`] middleware.
#[derive(Clone, Debug)]
pub struct Limiter {
    store: QuotaStore,
    endpoint: &'static str,
    windows: Arc<[Window]>,
}

impl Limiter {
    /// Counts a call of `caller` on this endpoint, or answers why not: 429
    /// when a window is full, 503 when the store cannot tell.
    pub async fn check(&self, caller: &str) -> Result<(), ApiError> {
        let refusal = match &self.store.backend {
            Backend::InProcess(table) => table.check(caller, self.endpoint, &self.windows),
            Backend::Postgres(table) => table
                .check(caller, self.endpoint, &self.windows)
                .await
                .map_err(|cause| {
                    ApiError::service_unavailable(UNAVAILABLE_RETRY_AFTER).with_cause(format!(
                        "the quota of {caller} on {} could not be checked: {cause}",
                        self.endpoint
                    ))
                })?,
        };
        match refusal {
            None => Ok(()),
            Some(Refusal { wait, window }) => {
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(
                    ApiError::too_many_requests(seconds.max(1)).with_cause(format!(
                        "{caller} exceeded {} on {}",
                        self.windows[window], self.endpoint
                    )),
                )
            }
        }
    }
}

/// Middleware: counts the call against the endpoint's quotas.
pub async fn rate_limit(State(limiter): State<Limiter>, request: Request, next: Next) -> Response {
    // `authenticate` runs first, so there is always a principal here.
    let Some(token) = request.extensions().get::<Principal>().map(|p| p.token) else {
        return ApiError::unauthorized().into_response();
    };
    match limiter.check(token).await {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}
