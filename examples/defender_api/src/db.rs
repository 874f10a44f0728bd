//! The tenant's database: a connection pool on SQLite or PostgreSQL
//! (sqlx), the embedded migrations, the seed, and every statement the
//! handlers run (built with sea-query, every value bound).
//!
//! A failure of the database reaches a handler as an [`ApiError`] made by
//! `unavailable`: `ServiceUnavailable` with `Retry-After` when the
//! database cannot be reached, the pool has no free connection within its
//! acquire timeout or a connection was lost; `InternalServerError`
//! otherwise. The driver's error is only the envelope's internal cause,
//! which the error layer logs with the request's `target`; no driver text,
//! SQL or parameter is sent.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use defender_errors::ApiError;
use defender_odata::sql::{Backend, SqlQuery};
use sea_query::{
    Alias, Asterisk, Expr, ExprTrait, OnConflict, PostgresQueryBuilder, Query, SqliteQueryBuilder,
};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
use serde_json::{Map, Value};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Row as _};

use crate::store::{self, Alert, FileInfo, HostStats, Indicator, IpStats, Machine, MachineAction};

/// Seconds a client is told to wait when the database is unavailable.
pub(crate) const RETRY_AFTER_SECONDS: u64 = 2;

/// Rows written per `INSERT` while seeding.
const SEED_CHUNK: usize = 400;

/// The database the tenant lives in: a pool of connections to SQLite or
/// PostgreSQL. Cloning it clones a handle to the same pool.
#[derive(Clone)]
pub struct Database {
    pool: Pool,
    location: String,
}

/// The pool of one engine.
#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// How to open a [`Database`].
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// `sqlite://path?mode=rwc`, `sqlite::memory:` or `postgres://…`.
    pub url: String,
    /// A request waits at most this long for a connection, then is 503.
    pub acquire_timeout: Duration,
    /// Connections in the pool (an in-memory SQLite database has one).
    pub max_connections: u32,
    /// PostgreSQL cancels a statement running longer than this (its
    /// `statement_timeout`): the handler time limit, so a statement whose
    /// request was answered 504 does not run on.
    pub statement_timeout: Duration,
    /// Seed a demo tenant with this many machines (at least the nine
    /// named ones). `None` keeps what the database holds, or seeds the
    /// named tenant into an empty one.
    pub demo_machines: Option<u64>,
    /// Drop the tenant's data and seed it again.
    pub reset: bool,
}

/// Why the database could not be opened at start.
#[derive(Debug)]
pub enum OpenError {
    /// The URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    UnsupportedUrl(String),
    /// Connecting failed.
    Connect(sqlx::Error),
    /// A migration failed.
    Migrate(sqlx::migrate::MigrateError),
    /// Seeding failed.
    Seed(sqlx::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::UnsupportedUrl(url) => write!(
                f,
                "unsupported database URL {url:?}: use sqlite://FILE, sqlite::memory: or postgres://…"
            ),
            OpenError::Connect(error) => write!(f, "cannot connect to the database: {error}"),
            OpenError::Migrate(error) => write!(f, "cannot migrate the database: {error}"),
            OpenError::Seed(error) => write!(f, "cannot seed the database: {error}"),
        }
    }
}

impl std::error::Error for OpenError {}

/// What opening the database found or did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seeded {
    /// The tenant was there already, with this many machines.
    Reused(u64),
    /// The tenant was seeded now, with this many machines.
    Fresh(u64),
}

/// Runs `$body` with `$pool` bound to the engine's pool and `$builder` to
/// its sea-query builder: the body is compiled once per engine.
macro_rules! on_pool {
    ($db:expr, $pool:ident, $builder:ident => $body:expr) => {
        match &$db.pool {
            Pool::Sqlite($pool) => {
                #[allow(unused_variables)]
                let $builder = || SqliteQueryBuilder;
                $body
            }
            Pool::Postgres($pool) => {
                #[allow(unused_variables)]
                let $builder = || PostgresQueryBuilder;
                $body
            }
        }
    };
}

impl Database {
    /// Connects, applies the embedded migrations, and seeds the tenant
    /// when the database is empty (or when `options` ask for it).
    pub async fn open(options: &DatabaseOptions) -> Result<(Database, Seeded), OpenError> {
        let url = options.url.as_str();
        let database = if url.starts_with("sqlite:") {
            let connect = SqliteConnectOptions::from_str(url)
                .map_err(OpenError::Connect)?
                .create_if_missing(true)
                .busy_timeout(options.acquire_timeout)
                .foreign_keys(true);
            let in_memory = connect
                .get_filename()
                .to_string_lossy()
                .contains("in-memory")
                || url.contains(":memory:")
                || url.contains("mode=memory");
            let (location, pool_options) = if in_memory {
                // One connection keeps the in-memory database alive; it
                // is gone with the pool.
                (
                    "in memory (gone when the server stops)".to_owned(),
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None),
                )
            } else {
                let path = connect.get_filename();
                let shown = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
                (
                    shown.display().to_string(),
                    SqlitePoolOptions::new()
                        .max_connections(options.max_connections.clamp(1, u32::MAX)),
                )
            };
            let connect = if in_memory {
                connect
            } else {
                connect.journal_mode(SqliteJournalMode::Wal)
            };
            let pool = pool_options
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .map_err(OpenError::Connect)?;
            sqlx::migrate!("./migrations/sqlite")
                .run(&pool)
                .await
                .map_err(OpenError::Migrate)?;
            Database {
                pool: Pool::Sqlite(pool),
                location,
            }
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let connect = PgConnectOptions::from_str(url)
                .map_err(OpenError::Connect)?
                .options([(
                    "statement_timeout",
                    format!("{}ms", options.statement_timeout.as_millis().max(1)),
                )]);
            // Two at least: one holds the start-up lock while another works.
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.clamp(2, u32::MAX))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect)
                .await
                .map_err(OpenError::Connect)?;
            // Replicas starting at once take turns: sqlx's own lock comes
            // after it creates its bookkeeping table, which two sessions
            // cannot both create at the same moment.
            let mut lock = pool.acquire().await.map_err(OpenError::Connect)?;
            sqlx::query("SELECT pg_advisory_lock(7460286411)")
                .execute(&mut *lock)
                .await
                .map_err(OpenError::Connect)?;
            let migrated = sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .map_err(OpenError::Migrate);
            let database = Database {
                pool: Pool::Postgres(pool.clone()),
                location: redact(url),
            };
            let seeded = match migrated {
                Ok(()) => database
                    .seed(options.demo_machines, options.reset)
                    .await
                    .map_err(OpenError::Seed),
                Err(error) => Err(error),
            };
            // A fresh seed replaced every row: statistics now, so that the
            // first lists are planned for the table as it is, not as the
            // autovacuum daemon last saw it.
            let seeded = match seeded {
                Ok(Seeded::Fresh(n)) => sqlx::query("ANALYZE")
                    .execute(&mut *lock)
                    .await
                    .map(|_| Seeded::Fresh(n))
                    .map_err(OpenError::Seed),
                other => other,
            };
            let unlocked = sqlx::query("SELECT pg_advisory_unlock(7460286411)")
                .execute(&mut *lock)
                .await;
            drop(lock);
            let seeded = seeded?;
            unlocked.map_err(OpenError::Connect)?;
            return Ok((database, seeded));
        } else {
            return Err(OpenError::UnsupportedUrl(redact(url)));
        };
        let seeded = database
            .seed(options.demo_machines, options.reset)
            .await
            .map_err(OpenError::Seed)?;
        Ok((database, seeded))
    }

    /// Where the data is: the SQLite file's absolute path, "in memory", or
    /// the PostgreSQL URL without its password.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The SQLite pool, when the tenant is on SQLite.
    pub fn sqlite(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(pool) => Some(pool),
            Pool::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, when the tenant is on PostgreSQL.
    pub fn postgres(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Postgres(pool) => Some(pool),
            Pool::Sqlite(_) => None,
        }
    }

    /// Closes the pool: waits for connections in use to come back.
    pub async fn close(&self) {
        on_pool!(self, pool, _b => pool.close().await);
    }

    /// Whether the database answers a trivial statement.
    pub(crate) async fn ping(&self) -> Result<(), ApiError> {
        on_pool!(self, pool, _b => {
            sqlx::query("SELECT 1").execute(pool).await.map(drop).map_err(unavailable)
        })
    }

    /// Seeds the tenant: when it is empty, when `reset` is asked, or when
    /// `demo_machines` differs from what it was seeded with. One
    /// transaction, so a half-seeded tenant is never seen; two servers
    /// starting at once on one PostgreSQL seed it once.
    async fn seed(&self, demo_machines: Option<u64>, reset: bool) -> Result<Seeded, sqlx::Error> {
        let wanted = demo_machines.map(|n| Ord::max(n, store::NAMED_MACHINES));
        on_pool!(self, pool, builder => {
            let mut tx = pool.begin().await?;
            let (sql, values) = Query::select()
                .column("demo_machines")
                .from("tenant")
                .build_sqlx(builder());
            let current: Option<i64> = sqlx::query_scalar_with(AssertSqlSafe(sql), values)
                .fetch_optional(&mut *tx)
                .await?;
            let current = current.map(|n| u64::try_from(n).unwrap_or(0));
            let again = match (current, wanted) {
                (Some(_), _) if reset => true,
                (Some(have), Some(want)) => have != want,
                (Some(_), None) => false,
                (None, _) => true,
            };
            if !again {
                tx.commit().await?;
                return Ok(Seeded::Reused(current.unwrap_or(0)));
            }
            for table in [
                "machine_tags",
                "alerts",
                "machine_actions",
                "machines",
                "files",
                "domain_stats",
                "ip_stats",
                "indicators",
                "id_counters",
                "tenant",
            ] {
                let (sql, values) = Query::delete().from_table(table).build_sqlx(builder());
                sqlx::query_with(AssertSqlSafe(sql), values).execute(&mut *tx).await?;
            }
            let tenant = store::Tenant::generate(wanted.unwrap_or(store::NAMED_MACHINES));
            let (sql, values) = Query::insert()
                .into_table("tenant")
                .columns(["id", "live_response", "demo_machines", "seeded_at"])
                .values_panic([
                    1i32.into(),
                    tenant.live_response.into(),
                    i64::try_from(tenant.machines.len()).unwrap_or(i64::MAX).into(),
                    store::now().into(),
                ])
                .on_conflict(OnConflict::column("id").do_nothing().to_owned())
                .build_sqlx(builder());
            let inserted = sqlx::query_with(AssertSqlSafe(sql), values).execute(&mut *tx).await?;
            if inserted.rows_affected() == 0 {
                // Another server seeded it while this one waited.
                tx.rollback().await?;
                return Ok(Seeded::Reused(0));
            }
            for statement in seed_statements(&tenant, self.is_postgres()) {
                let (sql, values) = statement.build_sqlx(builder());
                sqlx::query_with(AssertSqlSafe(sql), values).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(Seeded::Fresh(tenant.machines.len() as u64))
        })
    }

    /// Whether the tenant has live response on.
    pub(crate) async fn live_response(&self) -> Result<bool, ApiError> {
        on_pool!(self, pool, builder => {
            let (sql, values) = Query::select()
                .column("live_response")
                .from("tenant")
                .build_sqlx(builder());
            let on: Option<bool> = sqlx::query_scalar_with(AssertSqlSafe(sql), values)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)?;
            Ok(on.unwrap_or(false))
        })
    }

    /// The machine with `id`.
    pub(crate) async fn machine(&self, id: &str) -> Result<Option<Machine>, ApiError> {
        on_pool!(self, pool, builder => {
            let (sql, values) = machine_select(self.is_postgres())
                .and_where(Expr::col(("machines", "id")).eq(id))
                .build_sqlx(builder());
            let row: Option<MachineRow> = sqlx::query_as_with(AssertSqlSafe(sql), values)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)?;
            row.map(MachineRow::into_machine).transpose()
        })
    }

    /// The alert with `id`.
    pub(crate) async fn alert(&self, id: &str) -> Result<Option<Alert>, ApiError> {
        on_pool!(self, pool, builder => {
            let (sql, values) = alert_select(self.is_postgres())
                .and_where(Expr::col(("alerts", "id")).eq(id))
                .build_sqlx(builder());
            let alert: Option<Alert> = sqlx::query_as_with(AssertSqlSafe(sql), values)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)?;
            Ok(alert.map(Alert::with_defender_times))
        })
    }

    /// The machine action with `id`.
    pub(crate) async fn action(&self, id: &str) -> Result<Option<MachineAction>, ApiError> {
        on_pool!(self, pool, builder => {
            let (sql, values) = Query::select()
                .columns(ACTION_COLUMNS)
                .from("machine_actions")
                .and_where(Expr::col("id").eq(id))
                .build_sqlx(builder());
            sqlx::query_as_with(AssertSqlSafe(sql), values)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)
        })
    }

    /// The file whose `column` (`sha1`, `sha256` or `md5`) is `hash`.
    pub(crate) async fn file(
        &self,
        column: &'static str,
        hash: &str,
    ) -> Result<Option<FileInfo>, ApiError> {
        on_pool!(self, pool, builder => {
            let (sql, values) = Query::select()
                .column(Asterisk)
                .from("files")
                .and_where(Expr::col(column).eq(hash))
                .build_sqlx(builder());
            sqlx::query_as_with(AssertSqlSafe(sql), values)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)
        })
    }

    /// The statistics of domain `host`.
    pub(crate) async fn domain(&self, host: &str) -> Result<Option<HostStats>, ApiError> {
        on_pool!(self, pool, builder => {
            let (sql, values) = Query::select()
                .column(Asterisk)
                .from("domain_stats")
                .and_where(Expr::col("host").eq(host))
                .build_sqlx(builder());
            sqlx::query_as_with(AssertSqlSafe(sql), values)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)
        })
    }

    /// The statistics of IP address `ip`.
    pub(crate) async fn ip(&self, ip: &str) -> Result<Option<IpStats>, ApiError> {
        on_pool!(self, pool, builder => {
            let (sql, values) = Query::select()
                .column(Asterisk)
                .from("ip_stats")
                .and_where(Expr::col("ip_address").eq(ip))
                .build_sqlx(builder());
            sqlx::query_as_with(AssertSqlSafe(sql), values)
                .fetch_optional(pool)
                .await
                .map_err(unavailable)
        })
    }

    /// Sets the machine's isolation to `isolated` when it is not that
    /// already, and records `action`, in one transaction. `Ok(false)` when
    /// the machine was already in that state (another request, perhaps on
    /// another server, got there first); `check` sees the machine first
    /// and may refuse.
    pub(crate) async fn set_isolation(
        &self,
        machine_id: &str,
        isolated: bool,
        check: impl FnOnce(&Machine) -> Result<(), ApiError>,
        make_action: impl FnOnce(&Machine) -> MachineAction,
    ) -> Result<Option<MachineAction>, ApiError> {
        let postgres = self.is_postgres();
        on_pool!(self, pool, builder => {
            let mut tx = pool.begin().await.map_err(unavailable)?;
            let (sql, values) = machine_select(postgres)
                .and_where(Expr::col(("machines", "id")).eq(machine_id))
                .build_sqlx(builder());
            let row: Option<MachineRow> = sqlx::query_as_with(AssertSqlSafe(sql), values)
                .fetch_optional(&mut *tx)
                .await
                .map_err(unavailable)?;
            let Some(machine) = row.map(MachineRow::into_machine).transpose()? else {
                return Err(ApiError::entity_not_found("Machine", machine_id));
            };
            check(&machine)?;
            let (sql, values) = Query::update()
                .table("machines")
                .value("is_isolated", isolated)
                .and_where(Expr::col("id").eq(machine_id))
                .and_where(Expr::col("is_isolated").eq(!isolated))
                .build_sqlx(builder());
            let changed = sqlx::query_with(AssertSqlSafe(sql), values)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            if changed.rows_affected() == 0 {
                return Ok(None);
            }
            let action = make_action(&machine);
            let (sql, values) = insert_action(&action).build_sqlx(builder());
            sqlx::query_with(AssertSqlSafe(sql), values)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            Ok(Some(action))
        })
    }

    /// Records an action on the machine with `machine_id`; `None` when
    /// there is no such machine.
    pub(crate) async fn record_action(
        &self,
        machine_id: &str,
        make_action: impl FnOnce(&Machine) -> MachineAction,
    ) -> Result<Option<MachineAction>, ApiError> {
        let Some(machine) = self.machine(machine_id).await? else {
            return Ok(None);
        };
        let action = make_action(&machine);
        on_pool!(self, pool, builder => {
            let (sql, values) = insert_action(&action).build_sqlx(builder());
            sqlx::query_with(AssertSqlSafe(sql), values)
                .execute(pool)
                .await
                .map_err(|error| match error.as_database_error().map(|e| e.kind()) {
                    // The machine is referenced by its key: gone meanwhile.
                    Some(sqlx::error::ErrorKind::ForeignKeyViolation) => {
                        ApiError::entity_not_found("Machine", machine_id)
                    }
                    _ => unavailable(error),
                })?;
            Ok(Some(action))
        })
    }

    /// Stores each indicator, or updates the one with the same value and
    /// type (one row per pair, under a unique constraint), in one
    /// transaction, and returns them as stored.
    pub(crate) async fn upsert_indicators(
        &self,
        indicators: Vec<Indicator>,
    ) -> Result<Vec<Indicator>, ApiError> {
        if indicators.is_empty() {
            return Ok(indicators);
        }
        let postgres = self.is_postgres();
        on_pool!(self, pool, builder => {
            let mut tx = pool.begin().await.map_err(unavailable)?;
            // Reserve one id per indicator; one that updates an existing
            // row leaves its number unused.
            let count = i64::try_from(indicators.len()).unwrap_or(i64::MAX);
            let (sql, values) = Query::insert()
                .into_table("id_counters")
                .columns(["name", "next_value"])
                .values_panic(["indicators".into(), count.into()])
                .on_conflict(
                    OnConflict::column("name")
                        .value(
                            "next_value",
                            Expr::col(("id_counters", "next_value")).add(count),
                        )
                        .to_owned(),
                )
                .returning_col("next_value")
                .build_sqlx(builder());
            let last: i64 = sqlx::query_scalar_with(AssertSqlSafe(sql), values)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?;
            let mut stored = Vec::with_capacity(indicators.len());
            for (n, mut indicator) in (last - count + 1..).zip(indicators) {
                let (sql, values) = Query::insert()
                    .into_table("indicators")
                    .columns(INDICATOR_INSERT_COLUMNS)
                    .values_panic([
                        n.to_string().into(),
                        n.into(),
                        indicator.indicator_value.clone().into(),
                        indicator.indicator_type.clone().into(),
                        indicator.action.clone().into(),
                        indicator.title.clone().into(),
                        indicator.description.clone().into(),
                        indicator.severity.clone().into(),
                        indicator.created_by.clone().into(),
                        write_time(&indicator.creation_time_date_time_utc, postgres),
                        write_time(&indicator.last_update_time, postgres),
                        indicator.source_type.clone().into(),
                    ])
                    .on_conflict(
                        OnConflict::columns(["indicator_value", "indicator_type"])
                            .update_columns([
                                "action",
                                "title",
                                "description",
                                "severity",
                                "created_by",
                                "last_update_time",
                                "source_type",
                            ])
                            .to_owned(),
                    )
                    .returning(Query::returning().exprs([
                        Expr::col("id"),
                        read_expr(
                            "indicators",
                            "creation_time_date_time_utc",
                            Stored::Time,
                            postgres,
                        ),
                    ]))
                    .build_sqlx(builder());
                let (id, created): (String, String) = sqlx::query_as_with(AssertSqlSafe(sql), values)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(unavailable)?;
                indicator.id = id;
                indicator.creation_time_date_time_utc = defender_time(&created);
                stored.push(indicator);
            }
            tx.commit().await.map_err(unavailable)?;
            Ok(stored)
        })
    }

    /// One page of a list: `SELECT <columns> FROM <table>` (`columns`
    /// being the [`select_list`] of `read`) with the condition, order,
    /// limit and offset of `sql`, and with `count` the `COUNT(*)` of the
    /// matching rows. Each row is a JSON object keyed by property.
    pub(crate) async fn page(
        &self,
        sql: &SqlQuery,
        table: &'static str,
        columns: Cow<'static, str>,
        read: &[Read],
        count: bool,
    ) -> Result<(Vec<Value>, Option<u64>), ApiError> {
        let mut select = Query::select();
        select.expr(Expr::cust(columns)).from(table);
        sql.apply_to(&mut select);
        let (text, values) = sql.build(select);
        on_pool!(self, pool, builder => {
            let rows = sqlx::query_with(AssertSqlSafe(text), SqlxValues(values))
                .fetch_all(pool)
                .await
                .map_err(list_error)?;
            let mut items = Vec::with_capacity(rows.len());
            for row in rows {
                let mut item = Map::new();
                for (n, column) in read.iter().enumerate() {
                    let value = match column.value {
                        ReadValue::Text => row
                            .try_get::<Option<String>, _>(n)
                            .map(|v| v.map_or(Value::Null, |text| match column.stored {
                                Stored::Time => Value::String(defender_time(&text)),
                                Stored::Tags => serde_json::from_str(&text).unwrap_or(Value::Null),
                                Stored::Plain => Value::String(text),
                            })),
                        ReadValue::Integer => row
                            .try_get::<Option<i64>, _>(n)
                            .map(|v| v.map_or(Value::Null, Value::from)),
                        ReadValue::Boolean => row
                            .try_get::<Option<bool>, _>(n)
                            .map(|v| v.map_or(Value::Null, Value::from)),
                    }
                    .map_err(ApiError::internal)?;
                    item.insert(column.property.clone(), value);
                }
                items.push(Value::Object(item));
            }
            let count = if count {
                let (text, values) = sql.count_statement().build_sqlx(builder());
                let n: i64 = sqlx::query_scalar_with(AssertSqlSafe(text), values)
                    .fetch_one(pool)
                    .await
                    .map_err(list_error)?;
                Some(u64::try_from(n).unwrap_or(0))
            } else {
                None
            };
            Ok((items, count))
        })
    }

    /// Whether the engine is PostgreSQL (else SQLite).
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// The engine the translation targets.
    pub(crate) fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }
}

/// The envelope for a failed statement. A database that cannot be reached
/// or answered (connection refused or lost, pool exhausted or closed, the
/// server shutting down, SQLite busy) is 503 `ServiceUnavailable` with
/// `Retry-After`; anything else is 500. The driver's error is only the
/// internal cause: logged with the request's target, never sent.
pub(crate) fn unavailable(error: sqlx::Error) -> ApiError {
    let transient = match &error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::BeginFailed => true,
        sqlx::Error::Database(database) => {
            let code = database.code().unwrap_or_default();
            if database
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
            {
                // SQLite: busy (5) and locked (6), with their extended codes.
                matches!(code.parse::<u32>().map(|c| c & 0xff), Ok(5 | 6))
            } else {
                // PostgreSQL: connection exceptions (08), insufficient
                // resources (53), operator intervention such as a shutdown
                // (57P0x), and a serialization failure or deadlock, which a
                // retry resolves.
                code.starts_with("08")
                    || code.starts_with("53")
                    || code.starts_with("57P")
                    || code == "40001"
                    || code == "40P01"
            }
        }
        _ => false,
    };
    if transient {
        ApiError::service_unavailable(RETRY_AFTER_SECONDS).with_cause(error)
    } else {
        ApiError::internal(error)
    }
}

/// The envelope for a failed list statement: a data exception of the
/// database (SQLSTATE class 22, for example a double that overflows in
/// PostgreSQL, which the in-memory evaluator would make infinite) is the
/// request's fault, a 400 `ODataError`; anything else as [`unavailable`].
fn list_error(error: sqlx::Error) -> ApiError {
    let data_exception = error
        .as_database_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code.starts_with("22"));
    if data_exception {
        ApiError::odata(
            "$filter: a value computed by the filter is out of the range the database can hold",
        )
        .with_cause(error)
    } else {
        unavailable(error)
    }
}

/// `url` without the password of its user, for the banner and errors.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// The columns of a machine, and its tags as a JSON array.
const MACHINE_COLUMNS: [&str; 13] = [
    "id",
    "computer_dns_name",
    "first_seen",
    "last_seen",
    "os_platform",
    "os_version",
    "agent_version",
    "last_ip_address",
    "health_status",
    "risk_score",
    "exposure_level",
    "onboarding_status",
    "is_isolated",
];

const ALERT_COLUMNS: [&str; 10] = [
    "id",
    "incident_id",
    "title",
    "category",
    "severity",
    "status",
    "detection_source",
    "alert_creation_time",
    "machine_id",
    "computer_dns_name",
];

const ACTION_COLUMNS: [&str; 10] = [
    "id",
    "type",
    "scope",
    "requestor",
    "requestor_comment",
    "status",
    "machine_id",
    "computer_dns_name",
    "creation_date_time_utc",
    "last_update_date_time_utc",
];

const INDICATOR_INSERT_COLUMNS: [&str; 12] = [
    "id",
    "position",
    "indicator_value",
    "indicator_type",
    "action",
    "title",
    "description",
    "severity",
    "created_by",
    "creation_time_date_time_utc",
    "last_update_time",
    "source_type",
];

/// A machine's tags, in order, as a JSON array text (`[]` for none): one
/// correlated subquery, so a page of machines is one statement.
pub(crate) fn tags_expr(postgres: bool) -> Expr {
    if postgres {
        Expr::cust(
            "(SELECT COALESCE(json_agg(t.tag ORDER BY t.position), '[]'::json)::text \
             FROM machine_tags t WHERE t.machine_id = machines.id)",
        )
    } else {
        Expr::cust(
            "(SELECT json_group_array(tag) FROM (SELECT t.tag FROM machine_tags t \
             WHERE t.machine_id = machines.id ORDER BY t.position))",
        )
    }
}

/// `SELECT <machine columns>, <tags> AS machine_tags FROM machines`.
fn machine_select(postgres: bool) -> sea_query::SelectStatement {
    let mut select = Query::select();
    for column in MACHINE_COLUMNS {
        let kind = if matches!(column, "first_seen" | "last_seen") {
            Stored::Time
        } else {
            Stored::Plain
        };
        select.expr_as(
            read_expr("machines", column, kind, postgres),
            Alias::new(column),
        );
    }
    select
        .expr_as(tags_expr(postgres), Alias::new("machine_tags"))
        .from("machines")
        .to_owned()
}

/// `SELECT <alert columns> FROM alerts`.
fn alert_select(postgres: bool) -> sea_query::SelectStatement {
    let mut select = Query::select();
    for column in ALERT_COLUMNS {
        let kind = if column == "alert_creation_time" {
            Stored::Time
        } else {
            Stored::Plain
        };
        select.expr_as(
            read_expr("alerts", column, kind, postgres),
            Alias::new(column),
        );
    }
    select.from("alerts").to_owned()
}

/// One property a list reads: its column, how it is stored, and the JSON
/// value it becomes.
#[derive(Debug, Clone)]
pub(crate) struct Read {
    pub(crate) property: String,
    pub(crate) column: String,
    pub(crate) stored: Stored,
    pub(crate) value: ReadValue,
}

/// The JSON type of a property read by a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadValue {
    /// A string (a time, the tags' JSON text).
    Text,
    /// A number.
    Integer,
    /// A boolean.
    Boolean,
}

/// How a column is read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stored {
    /// As it is.
    Plain,
    /// A date-time of the OData storage: text with whole microseconds on
    /// SQLite, `timestamptz` on PostgreSQL (read back as that text).
    Time,
    /// The machine's tags, a JSON array.
    Tags,
}

/// The SQL of the select list that reads `read` from `table` on this
/// engine, in the order of `read` (a row is read by position). Written
/// once per entity set for a page without `$select`: it holds only this
/// crate's identifiers and fragments, no value.
pub(crate) fn select_list(table: &str, read: &[Read], postgres: bool) -> String {
    let mut select = Query::select();
    for column in read {
        select.expr(read_expr(table, &column.column, column.stored, postgres));
    }
    let text = if postgres {
        select.to_string(PostgresQueryBuilder)
    } else {
        select.to_string(SqliteQueryBuilder)
    };
    text.strip_prefix("SELECT ")
        .expect("sea-query starts a select with SELECT")
        .to_owned()
}

/// The expression that reads `column` of `table` as text, integer or
/// boolean (a PostgreSQL `timestamptz` as the SQLite storage's text).
pub(crate) fn read_expr(table: &str, column: &str, kind: Stored, postgres: bool) -> Expr {
    match kind {
        Stored::Tags => tags_expr(postgres),
        Stored::Time if postgres => Expr::cust(format!(
            r#"to_char("{table}"."{column}" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#
        )),
        Stored::Time | Stored::Plain => Expr::col((Alias::new(table), Alias::new(column))),
    }
}

/// A time as Defender writes it (`…44.3358030Z`), as the database stores
/// it: whole microseconds, bound as text (cast to `timestamptz` on
/// PostgreSQL).
fn write_time(defender: &str, postgres: bool) -> Expr {
    let micros = match defender.split_once('.') {
        Some((whole, fraction)) => {
            let digits: String = fraction
                .chars()
                .filter(char::is_ascii_digit)
                .chain(std::iter::repeat('0'))
                .take(6)
                .collect();
            format!("{whole}.{digits}Z")
        }
        None => defender.to_owned(),
    };
    if postgres {
        Expr::val(micros).cast_as("timestamptz")
    } else {
        Expr::val(micros)
    }
}

/// A stored time (`…44.335803Z`) as Defender writes it (`…44.3358030Z`).
pub(crate) fn defender_time(stored: &str) -> String {
    match stored.strip_suffix('Z') {
        Some(body) if body.len() == 26 => format!("{body}0Z"),
        _ => stored.to_owned(),
    }
}

impl Machine {
    fn with_defender_times(mut self) -> Self {
        self.first_seen = defender_time(&self.first_seen);
        self.last_seen = defender_time(&self.last_seen);
        self
    }
}

impl Alert {
    fn with_defender_times(mut self) -> Self {
        self.alert_creation_time = defender_time(&self.alert_creation_time);
        self
    }
}

/// A machine as read: its tags still JSON text.
#[derive(sqlx::FromRow)]
pub(crate) struct MachineRow {
    #[sqlx(flatten)]
    machine: Machine,
    machine_tags: String,
}

impl MachineRow {
    pub(crate) fn into_machine(self) -> Result<Machine, ApiError> {
        let mut machine = self.machine.with_defender_times();
        machine.machine_tags =
            serde_json::from_str(&self.machine_tags).map_err(ApiError::internal)?;
        Ok(machine)
    }
}

fn insert_action(action: &MachineAction) -> sea_query::InsertStatement {
    Query::insert()
        .into_table("machine_actions")
        .columns(ACTION_COLUMNS)
        .values_panic([
            action.id.clone().into(),
            action.kind.clone().into(),
            action.scope.clone().into(),
            action.requestor.clone().into(),
            action.requestor_comment.clone().into(),
            action.status.clone().into(),
            action.machine_id.clone().into(),
            action.computer_dns_name.clone().into(),
            action.creation_date_time_utc.clone().into(),
            action.last_update_date_time_utc.clone().into(),
        ])
        .to_owned()
}

/// The `INSERT`s that write `tenant`, a few hundred rows each.
fn seed_statements(tenant: &store::Tenant, postgres: bool) -> Vec<sea_query::InsertStatement> {
    let mut statements = Vec::new();
    let mut chunked = |table: &'static str, columns: &[&'static str], rows: Vec<Vec<Expr>>| {
        if table == "machine_actions" {
            statements.extend(tenant.actions.iter().map(insert_action));
            return;
        }
        for chunk in rows.chunks(SEED_CHUNK) {
            let mut insert = Query::insert();
            insert.into_table(table).columns(columns.iter().copied());
            for row in chunk {
                insert.values_panic(row.iter().cloned());
            }
            statements.push(insert);
        }
    };
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut machine_columns = vec!["position"];
    machine_columns.extend(MACHINE_COLUMNS);
    chunked(
        "machines",
        &machine_columns,
        tenant
            .machines
            .iter()
            .enumerate()
            .map(|(n, m)| {
                vec![
                    as_i64(n).into(),
                    m.id.clone().into(),
                    m.computer_dns_name.clone().into(),
                    write_time(&m.first_seen, postgres),
                    write_time(&m.last_seen, postgres),
                    m.os_platform.clone().into(),
                    m.os_version.clone().into(),
                    m.agent_version.clone().into(),
                    m.last_ip_address.clone().into(),
                    m.health_status.clone().into(),
                    m.risk_score.clone().into(),
                    m.exposure_level.clone().into(),
                    m.onboarding_status.clone().into(),
                    m.is_isolated.into(),
                ]
            })
            .collect(),
    );
    chunked(
        "machine_tags",
        &["machine_id", "position", "tag"],
        tenant
            .machines
            .iter()
            .flat_map(|m| {
                m.machine_tags
                    .iter()
                    .enumerate()
                    .map(|(n, tag)| vec![m.id.clone().into(), as_i64(n).into(), tag.clone().into()])
            })
            .collect(),
    );
    let mut alert_columns = vec!["position"];
    alert_columns.extend(ALERT_COLUMNS);
    chunked(
        "alerts",
        &alert_columns,
        tenant
            .alerts
            .iter()
            .enumerate()
            .map(|(n, a)| {
                vec![
                    as_i64(n).into(),
                    a.id.clone().into(),
                    a.incident_id.into(),
                    a.title.clone().into(),
                    a.category.clone().into(),
                    a.severity.clone().into(),
                    a.status.clone().into(),
                    a.detection_source.clone().into(),
                    write_time(&a.alert_creation_time, postgres),
                    a.machine_id.clone().into(),
                    a.computer_dns_name.clone().into(),
                ]
            })
            .collect(),
    );
    chunked("machine_actions", &[], Vec::new());
    chunked(
        "files",
        &[
            "sha1",
            "sha256",
            "md5",
            "global_prevalence",
            "global_first_observed",
            "global_last_observed",
            "size",
            "file_type",
            "is_pe_file",
            "file_publisher",
            "file_product_name",
            "signer",
            "is_valid_certificate",
            "determination_type",
            "determination_value",
        ],
        tenant
            .files
            .iter()
            .map(|f| {
                vec![
                    f.sha1.clone().into(),
                    f.sha256.clone().into(),
                    f.md5.clone().into(),
                    f.global_prevalence.into(),
                    f.global_first_observed.clone().into(),
                    f.global_last_observed.clone().into(),
                    f.size.into(),
                    f.file_type.clone().into(),
                    f.is_pe_file.into(),
                    f.file_publisher.clone().into(),
                    f.file_product_name.clone().into(),
                    f.signer.clone().into(),
                    f.is_valid_certificate.into(),
                    f.determination_type.clone().into(),
                    f.determination_value.clone().into(),
                ]
            })
            .collect(),
    );
    let stats_columns = ["org_prevalence", "org_first_seen", "org_last_seen"];
    chunked(
        "domain_stats",
        &["host", stats_columns[0], stats_columns[1], stats_columns[2]],
        tenant
            .domains
            .iter()
            .map(|d| {
                vec![
                    d.host.clone().into(),
                    d.org_prevalence.clone().into(),
                    d.org_first_seen.clone().into(),
                    d.org_last_seen.clone().into(),
                ]
            })
            .collect(),
    );
    chunked(
        "ip_stats",
        &[
            "ip_address",
            stats_columns[0],
            stats_columns[1],
            stats_columns[2],
        ],
        tenant
            .ips
            .iter()
            .map(|d| {
                vec![
                    d.ip_address.clone().into(),
                    d.org_prevalence.clone().into(),
                    d.org_first_seen.clone().into(),
                    d.org_last_seen.clone().into(),
                ]
            })
            .collect(),
    );
    chunked(
        "indicators",
        &INDICATOR_INSERT_COLUMNS,
        tenant
            .indicators
            .iter()
            .map(|i| {
                let n: i64 = i.id.parse().unwrap_or(0);
                vec![
                    i.id.clone().into(),
                    n.into(),
                    i.indicator_value.clone().into(),
                    i.indicator_type.clone().into(),
                    i.action.clone().into(),
                    i.title.clone().into(),
                    i.description.clone().into(),
                    i.severity.clone().into(),
                    i.created_by.clone().into(),
                    write_time(&i.creation_time_date_time_utc, postgres),
                    write_time(&i.last_update_time, postgres),
                    i.source_type.clone().into(),
                ]
            })
            .collect(),
    );
    chunked(
        "id_counters",
        &["name", "next_value"],
        vec![vec![
            "indicators".into(),
            as_i64(tenant.indicators.len()).into(),
        ]],
    );
    statements
}
