//! Quotas kept in PostgreSQL, shared by every replica on the database.
//!
//! The table (`migrations/postgres/0002_quotas.sql`) has one row per token
//! and endpoint; `tat_us` holds each window's theoretical arrival time in
//! microseconds of the database's clock. The check is one statement
//! (`check.sql`): it inserts the row of a first call, or locks the existing
//! row and, when every window admits the call, moves each arrival time on
//! by the window's interval; a refused call leaves them as they were. It
//! returns whether the call was admitted and, per window, the microseconds
//! until that window admits a call.
//!
//! The statement's text carries neither quotes nor comments: every value
//! is a bound parameter.

use std::time::Duration;

use sqlx::PgPool;

use super::{longest, Refusal, Window};

/// The table's definition, as the migration has it.
const CREATE: &str = include_str!("../../migrations/postgres/0002_quotas.sql");

/// The check: parameters caller, endpoint, periods and intervals (in
/// microseconds, one per window).
const CHECK: &str = include_str!("check.sql");

/// SQLSTATEs of a `CREATE TABLE IF NOT EXISTS` that lost a race with the
/// same statement on another connection: the table is there.
const CREATED_CONCURRENTLY: [&str; 2] = ["23505", "42P07"];

/// The pool and the time limit of one check.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pool: PgPool,
    timeout: Duration,
}

/// Why a check has no answer.
#[derive(Debug)]
pub(super) enum CheckError {
    /// The database or the pool failed.
    Database(sqlx::Error),
    /// No answer within the time limit.
    Timeout(Duration),
    /// An answer that does not fit the windows asked about.
    Malformed(usize, usize),
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Database(error) => write!(f, "{error}"),
            CheckError::Timeout(limit) => write!(f, "no answer within {limit:?}"),
            CheckError::Malformed(got, windows) => {
                write!(f, "{got} waits returned for {windows} windows")
            }
        }
    }
}

/// Creates the table if it does not exist (the migration's statement).
pub(super) async fn create_table(pool: &PgPool) -> Result<(), sqlx::Error> {
    match sqlx::raw_sql(CREATE).execute(pool).await {
        Ok(_) => Ok(()),
        Err(error) => {
            let raced = error
                .as_database_error()
                .and_then(|e| e.code())
                .is_some_and(|code| CREATED_CONCURRENTLY.contains(&code.as_ref()));
            if raced {
                Ok(())
            } else {
                Err(error)
            }
        }
    }
}

impl Table {
    /// Checks on `pool`, each within `timeout`.
    pub(super) fn new(pool: PgPool, timeout: Duration) -> Self {
        Table { pool, timeout }
    }

    pub(super) fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Counts a call of `caller` on `endpoint` in every window if all of
    /// them admit it; otherwise counts nothing and tells how long to wait.
    pub(super) async fn check(
        &self,
        caller: &str,
        endpoint: &str,
        windows: &[Window],
    ) -> Result<Option<Refusal>, CheckError> {
        let micros = |d: Duration| i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        let periods: Vec<i64> = windows.iter().map(|w| micros(w.period())).collect();
        let intervals: Vec<i64> = windows.iter().map(|w| micros(w.interval())).collect();
        let query = sqlx::query_as::<_, (bool, Vec<i64>)>(CHECK)
            .bind(caller)
            .bind(endpoint)
            .bind(periods)
            .bind(intervals)
            .fetch_one(&self.pool);
        let (allowed, waits) = tokio::time::timeout(self.timeout, query)
            .await
            .map_err(|_| CheckError::Timeout(self.timeout))?
            .map_err(CheckError::Database)?;
        if allowed {
            return Ok(None);
        }
        if waits.len() != windows.len() {
            return Err(CheckError::Malformed(waits.len(), windows.len()));
        }
        let waits = waits
            .into_iter()
            .map(|us| Duration::from_micros(u64::try_from(us).unwrap_or(0)));
        // Refused, yet no window to wait for: the database's clock moved
        // between deciding and answering; one microsecond is the wait.
        Ok(Some(longest(waits).unwrap_or(Refusal {
            wait: Duration::from_micros(1),
            window: 0,
        })))
    }
}
