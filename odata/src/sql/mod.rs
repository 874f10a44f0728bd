//! Translation of a checked [`ODataQuery`] into parameterised SQL
//! (feature `sql`), with the meaning the in-memory evaluator gives it, on
//! SQLite and PostgreSQL.
//!
//! The translation builds [sea-query](sea_query) pieces that a handler
//! merges into its own statement, or a whole statement for one table:
//!
//! - [`SqlQuery::condition`]: the `WHERE` condition of `$filter`;
//! - [`SqlQuery::order_by`]: the `ORDER BY` keys of `$orderby`, nulls first
//!   ascending and last descending, ended by the key column so pages are
//!   stable;
//! - [`SqlQuery::limit`] / [`SqlQuery::offset`]: `$top` (or the schema's
//!   [`max_top`](crate::Schema::max_top)) and `$skip`;
//! - [`SqlQuery::columns`]: the select list of `$select` (every property
//!   without it);
//! - [`SqlQuery::count_statement`]: `SELECT COUNT(*)` for `$count=true`;
//! - [`SqlQuery::select_statement`] / [`SqlQuery::apply_to`]: all of them
//!   in a statement;
//! - [`SqlQuery::build`]: a page statement as text and values, written so
//!   that SQLite reuses its prepared statement.
//!
//! The crate holds no database driver: turn a page into text with
//! [`SqlQuery::build`] (the count with sea-query's `SqliteQueryBuilder` or
//! `PostgresQueryBuilder`) and run it with any driver (sqlx through
//! `sea-query-sqlx`, rusqlite, tokio-postgres). With sqlx 0.9, which asks
//! for dynamic SQL to be audited, the text may be wrapped in
//! `sqlx::AssertSqlSafe`: it is built from the [`SqlSchema`]'s identifiers
//! and this module's fixed fragments only, the values travel separately:
//!
//! ```text
//! let (text, values) = sql.build(sql.select_statement());
//! let rows = sqlx::query_with(sqlx::AssertSqlSafe(text), sea_query_sqlx::SqlxValues(values))
//!     .fetch_all(&pool)
//!     .await?;
//! ```
//!
//! # Every value is a parameter
//!
//! Literals of the request become bound values; the SQL text holds only the
//! identifiers of the [`SqlSchema`] and fixed fragments of this module, so
//! `contains(computerDnsName,'%''; DROP TABLE machines; --')` is one
//! placeholder. `contains`, `startswith` and `endswith` match literally and
//! case-sensitively: on SQLite through `instr()`/`substr()` (SQLite's `LIKE`
//! ignores ASCII case), on PostgreSQL through `LIKE` in the `"C"` collation
//! with `%`, `_` and `\` escaped in the bound pattern and an `ESCAPE '\'`
//! clause (or `strpos`/`starts_with`/`right` when the pattern is not a
//! literal).
//!
//! # The same answers as in memory
//!
//! - `x eq null` is `IS NULL`; `x ne 'a'` is true for a null `x`
//!   (`x <> ? OR x IS NULL`); an ordering comparison with a null is false,
//!   also under `not`; `not` of a comparison is its two-valued negation.
//! - Strings compare and sort by code point: SQLite's default `BINARY`
//!   collation, `COLLATE "C"` on PostgreSQL.
//! - Integers and doubles compare exactly: against a literal the
//!   comparison is rewritten in Rust (`x lt 2.5` becomes `x <= 2`, a double
//!   against `2^53 + 1` compares with the neighbouring doubles); two
//!   columns of mixed numeric types are compared natively on SQLite (exact)
//!   and refused on PostgreSQL (which would round the integer).
//! - Enums order by member index (a stored non-member after every member,
//!   by text).
//! - Date-times are stored with whole microseconds; a literal with a finer
//!   fraction is compared exactly (`x gt …00.0000005Z` is `x >= …00.000001Z`).
//! - `any`/`all` are `EXISTS` subqueries over the collection's members
//!   (`all` over an empty or null collection is true); a predicate that can
//!   be null for a member keeps the evaluator's three-valued result.
//! - `tolower`/`toupper` are accepted only on a property declared
//!   [ASCII-only](Column::ascii_only) (or on a literal, folded in Rust):
//!   engines do not fold Unicode case as Rust does. Otherwise the query is
//!   refused with a 400 `ODataError`:
//!   `Invalid OData URI query $filter: tolower on 'computerDnsName' cannot be
//!   translated to SQL: declare the column ASCII-only.`
//!
//! # What is refused
//!
//! | construct | SQLite | PostgreSQL |
//! |---|---|---|
//! | `tolower`/`toupper` on a property not declared ASCII-only | refused | refused |
//! | `mod` with a double operand | refused (`%` truncates doubles) | refused (no `%` for doubles) |
//! | integer compared with double, neither a literal | exact | refused (rounds the integer) |
//! | double arithmetic overflowing to infinity | infinity, as in memory | SQLSTATE 22003 at run time: [`error_for_sqlstate`] |
//!
//! Every other construct of the `$filter` language is translated: the
//! comparisons, `and`/`or`/`not`, `in`, `any`/`all` (with a variable that
//! shadows a property), `contains startswith endswith length indexof
//! substring concat trim tolower toupper`, `year month day hour minute
//! second date time` (in UTC), arithmetic with OData's integer division
//! (overflow and division by zero give `NULL`, as in memory).
//!
//! # Storage
//!
//! A [`SqlSchema`] says where each property lives. The column types the
//! translation expects:
//!
//! | property type | SQLite | PostgreSQL |
//! |---|---|---|
//! | string | `TEXT` | `text` |
//! | integer | `INTEGER` | `bigint` |
//! | double | `REAL` | `double precision` |
//! | boolean | `INTEGER` 0/1 | `boolean` |
//! | date-time | `TEXT` `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC ([`format_datetime`]) | `timestamptz` |
//! | GUID | `TEXT`, lower-case hyphenated | `uuid` |
//! | enum | `TEXT` member name, or `INTEGER` index ([`Column::enum_as_index`]) | `text` or `bigint` |
//! | collection | JSON array in `TEXT` ([`Column::json_array`]) or child table ([`Column::child_table`]) | `jsonb` or child table |
//!
//! Stored date-times lie between years 0000 and 9999 (UTC) with whole
//! microseconds; strings hold no U+0000; a JSON array column holds valid
//! JSON or `NULL` (SQLite's `json_each` fails on malformed text). On PostgreSQL, ordering on text
//! uses `COLLATE "C"`: an index meant to serve `$orderby` on a text column
//! (or the key's final sort) is created with that collation.
//!
//! # Example
//!
//! ```
//! use defender_odata::{Capabilities as C, ODataQuery, PropertyType as T, Schema};
//! use defender_odata::sql::{Backend, Column, SqlSchema};
//!
//! let schema = Schema::builder()
//!     .property("id", T::String, C::ALL)
//!     .property("computerDnsName", T::String, C::ALL)
//!     .property("riskScore", T::enumeration(["None", "Low", "Medium", "High"]), C::ALL)
//!     .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
//!     .build();
//! let storage = SqlSchema::builder(&schema, "machines")
//!     .column("computerDnsName", Column::new("dns_name").ascii_only())
//!     .column("riskScore", Column::new("risk").enum_as_index())
//!     .column("machineTags", Column::child_table("machine_tags", "machine_id", "tag"))
//!     .key("id")
//!     .build();
//!
//! let query = ODataQuery::parse(
//!     &schema,
//!     Some("$filter=startswith(tolower(computerDnsName),'web') and riskScore ge 'Medium'\
//!           &$orderby=riskScore desc&$top=50&$select=id,computerDnsName"),
//! )
//! .unwrap();
//! let sql = query.to_sql(&storage, Backend::Sqlite).unwrap();
//! let (text, values) = sql.build(sql.select_statement());
//! assert_eq!(
//!     text,
//!     r#"SELECT "machines"."id", "machines"."dns_name" FROM "machines" WHERE instr(LOWER("machines"."dns_name"), ?) = ? AND "machines"."risk" >= ? ORDER BY "machines"."risk" DESC NULLS LAST, "machines"."id" ASC LIMIT +?"#
//! );
//! assert_eq!(values.0.len(), 4);
//!
//! // Unicode case folding cannot be done the same way in SQL:
//! let schema_without_ascii = SqlSchema::builder(&schema, "machines").key("id")
//!     .column("machineTags", Column::json_array("tags")).build();
//! let err = query.to_sql(&schema_without_ascii, Backend::Postgres).unwrap_err();
//! assert_eq!(
//!     err.message(),
//!     "Invalid OData URI query $filter: tolower on 'computerDnsName' cannot be \
//!      translated to SQL: declare the column ASCII-only."
//! );
//! ```

mod storage;
mod translate;

use std::sync::Arc;

use sea_query::{
    Alias, Expr as SExpr, ExprTrait as _, Func, NullOrdering, Order, PostgresQueryBuilder, Query,
    SelectStatement, SqliteQueryBuilder, Value, Values,
};

use defender_errors::ApiError;

use self::storage::ColumnKind;
pub use self::storage::{Column, SqlSchema, SqlSchemaBuilder};
use self::translate::Translator;
use crate::ast::{DateTimeOffset, Expr};
use crate::query::ODataQuery;

/// The SQL engine a translation is for.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite 3.30 or later (`NULLS FIRST`, `json_each`).
    Sqlite,
    /// PostgreSQL 12 or later.
    Postgres,
}

impl Backend {
    /// This backend's index in per-backend arrays.
    fn slot(self) -> usize {
        match self {
            Backend::Sqlite => 0,
            Backend::Postgres => 1,
        }
    }
}

/// One `ORDER BY` key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    /// The expression sorted on.
    pub expr: SExpr,
    /// Ascending or descending.
    pub order: Order,
    /// Where nulls go, explicit because the engines' defaults differ;
    /// `None` for a column declared not null, so that an index in either
    /// direction serves the order (PostgreSQL reads a primary key for
    /// `ASC`, not for `ASC NULLS FIRST`).
    pub nulls: Option<NullOrdering>,
}

/// One entry of the select list.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectColumn {
    /// The OData property it holds.
    pub property: String,
    /// Its SQL expression: the column, or for a child-table collection a
    /// subquery giving a JSON array of the members.
    pub expr: SExpr,
}

/// A query translated to sea-query pieces; from [`ODataQuery::to_sql`].
#[derive(Debug, Clone)]
pub struct SqlQuery {
    backend: Backend,
    table: String,
    condition: Option<SExpr>,
    order_by: Vec<OrderKey>,
    limit: u64,
    offset: u64,
    columns: Arc<[SelectColumn]>,
}

impl SqlQuery {
    /// The `WHERE` condition of `$filter`; `None` without a filter.
    pub fn condition(&self) -> Option<&SExpr> {
        self.condition.as_ref()
    }

    /// The `ORDER BY` keys: those of `$orderby`, then the key column
    /// (ascending) unless `$orderby` names it, as
    /// [`ODataQuery::sort_keys`] orders in memory.
    pub fn order_by(&self) -> &[OrderKey] {
        &self.order_by
    }

    /// The `LIMIT`: `$top`, or the schema's `max_top` without it.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The `OFFSET`: `$skip`, or 0 (written as no `OFFSET`); at most
    /// `i64::MAX`, the largest offset
    /// SQLite and PostgreSQL take (no table has that many rows, so the
    /// page is empty either way).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The select list: the `$select`ed properties in the order given, or
    /// every property of the schema without `$select`.
    pub fn columns(&self) -> &[SelectColumn] {
        &self.columns
    }

    /// The engine the query was translated for.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Adds the condition (with `AND` to any already there), the order,
    /// the limit and the offset (none when it is 0) to `statement`; not the
    /// select list. Turn the statement into text with
    /// [`build`](Self::build).
    pub fn apply_to(&self, statement: &mut SelectStatement) {
        if let Some(condition) = &self.condition {
            statement.and_where(condition.clone());
        }
        for key in &self.order_by {
            match key.nulls {
                Some(nulls) => {
                    statement.order_by_expr_with_nulls(key.expr.clone(), key.order.clone(), nulls)
                }
                None => statement.order_by_expr(key.expr.clone(), key.order.clone()),
            };
        }
        self.limit_and_offset(statement);
    }

    /// Sets sea-query's limit and offset, or takes the offset away when it
    /// is 0.
    fn limit_and_offset(&self, statement: &mut SelectStatement) {
        statement.limit(self.limit);
        match self.offset {
            0 => statement.reset_offset(),
            offset => statement.offset(offset),
        };
    }

    /// `SELECT <columns> FROM <table> WHERE … ORDER BY … LIMIT ? [OFFSET ?]`.
    pub fn select_statement(&self) -> SelectStatement {
        let mut statement = Query::select();
        for column in self.columns.iter() {
            statement.expr(column.expr.clone());
        }
        statement.from(Alias::new(self.table.clone()));
        self.apply_to(&mut statement);
        statement
    }

    /// A page statement as SQL text and the values to bind, for the engine
    /// the query was translated for: `statement` as it is (select list,
    /// `FROM`, joins, condition, order), ended by this query's limit and
    /// offset, which replace any it had. Build a page with
    /// `sql.build(sql.select_statement())`, or with your own statement
    /// after [`apply_to`](Self::apply_to).
    ///
    /// On SQLite the limit and offset are written `LIMIT +?` and `OFFSET
    /// +?`. SQLite reads a value bound to a plain `LIMIT ?` while it
    /// prepares a statement (to plan for it), and marks the statement to be
    /// prepared again whenever that parameter is bound anew, so a driver's
    /// statement cache never saves the preparation (SQLite 3.54, as
    /// `libsqlite3-sys` 0.40 bundles it, does this: a lookup by key cost
    /// twice as much). `+?` is the same bound value, which the planner does
    /// not read, so the prepared statement is reused; the plan is made
    /// without the limit's value, as SQLite did before it read it.
    ///
    /// On PostgreSQL they are sea-query's `LIMIT $n` and `OFFSET $m`,
    /// which the planner reads. A prepared statement is planned for its
    /// values (a custom plan) until a generic plan looks no more costly;
    /// a generic plan assumes a tenth of the matching rows are wanted, so
    /// on a large table a page keeps getting custom plans, planned at every
    /// run. Hiding the limit from the planner (as on SQLite) would let the
    /// generic plan be reused, but that plan's inflated cost can pass
    /// `jit_above_cost` and be compiled at every run, which costs far more
    /// than planning: measured on the example server, 7 ms a page of 50.
    ///
    /// On both engines an `OFFSET` of 0 changes nothing and is left out
    /// (here and by [`apply_to`](Self::apply_to)): PostgreSQL costs the
    /// generic plan of any statement with a bound `OFFSET` above its custom
    /// plans, so a lookup by key would be planned at every run.
    ///
    /// ```
    /// # use defender_odata::{Capabilities as C, ODataQuery, PropertyType as T, Schema};
    /// # use defender_odata::sql::{Backend, SqlSchema};
    /// # let schema = Schema::builder().property("id", T::String, C::ALL).build();
    /// # let storage = SqlSchema::builder(&schema, "machines").key("id").build();
    /// let query = ODataQuery::parse(&schema, Some("$filter=id eq 'a'&$top=1")).unwrap();
    /// let sql = query.to_sql(&storage, Backend::Sqlite).unwrap();
    /// let (text, values) = sql.build(sql.select_statement());
    /// assert_eq!(
    ///     text,
    ///     r#"SELECT "machines"."id" FROM "machines" WHERE "machines"."id" = ? ORDER BY "machines"."id" ASC LIMIT +?"#
    /// );
    /// assert_eq!(values.0.len(), 2);
    ///
    /// let query = ODataQuery::parse(&schema, Some("$top=10&$skip=20")).unwrap();
    /// let sql = query.to_sql(&storage, Backend::Postgres).unwrap();
    /// let (text, _) = sql.build(sql.select_statement());
    /// assert_eq!(
    ///     text,
    ///     r#"SELECT "machines"."id" FROM "machines" ORDER BY ("machines"."id" COLLATE "C") ASC LIMIT $1 OFFSET $2"#
    /// );
    /// ```
    pub fn build(&self, mut statement: SelectStatement) -> (String, Values) {
        match self.backend {
            Backend::Sqlite => {
                statement.reset_limit().reset_offset();
                let (mut text, mut values) = statement.build(SqliteQueryBuilder);
                let bound = |n: u64| Value::BigInt(Some(i64::try_from(n).unwrap_or(i64::MAX)));
                text.push_str(" LIMIT +?");
                values.0.push(bound(self.limit));
                if self.offset > 0 {
                    text.push_str(" OFFSET +?");
                    values.0.push(bound(self.offset));
                }
                (text, values)
            }
            Backend::Postgres => {
                self.limit_and_offset(&mut statement);
                statement.build(PostgresQueryBuilder)
            }
        }
    }

    /// `SELECT COUNT(*) FROM <table> WHERE …`: the `@odata.count` of
    /// `$count=true` (matching rows before `$skip` and `$top`).
    pub fn count_statement(&self) -> SelectStatement {
        let mut statement = Query::select();
        statement
            .expr(Func::count(SExpr::cust("*")))
            .from(Alias::new(self.table.clone()));
        if let Some(condition) = &self.condition {
            statement.and_where(condition.clone());
        }
        statement
    }
}

impl<M> ODataQuery<M> {
    /// Translates the query for `backend`, reading properties as `storage`
    /// says they are stored.
    ///
    /// # Errors
    ///
    /// A 400 `ODataError` naming the construct when `backend` cannot
    /// express it with the in-memory meaning (see the [module
    /// docs](crate::sql)).
    ///
    /// # Panics
    ///
    /// When `storage` describes another schema than the query's (a server
    /// bug).
    pub fn to_sql(&self, storage: &SqlSchema, backend: Backend) -> Result<SqlQuery, ApiError> {
        let mut translator = Translator::new(backend, storage);
        let condition = self
            .filter()
            .map(|filter| translator.filter(filter))
            .transpose()?;
        let mut keys = self.sort_keys();
        if !keys.iter().any(|k| k.property == storage.key) {
            keys.push(crate::OrderBy::asc(storage.key.clone()));
        }
        let mut order_by = Vec::new();
        for key in &keys {
            let (order, nulls) = Translator::order(key.descending);
            let nulls = match storage.columns.get(&key.property) {
                Some(column) if column.not_null => None,
                _ => Some(nulls),
            };
            for expr in translator.order_keys(&key.property)? {
                order_by.push(OrderKey {
                    expr,
                    order: order.clone(),
                    nulls,
                });
            }
        }
        let every = &storage.every[backend.slot()];
        let columns = if self.select().is_empty() {
            Arc::clone(every)
        } else {
            self.select()
                .iter()
                .map(|name| {
                    every
                        .iter()
                        .find(|c| &c.property == name)
                        .expect("checked: $select names properties of the schema")
                        .clone()
                })
                .collect()
        };
        Ok(SqlQuery {
            backend,
            table: storage.table.clone(),
            condition,
            order_by,
            limit: self.top().unwrap_or(self.schema().max_top()),
            offset: Ord::min(self.skip().unwrap_or(0), i64::MAX as u64),
            columns,
        })
    }
}

/// The select list's entry for `property`.
fn select_column(storage: &SqlSchema, backend: Backend, property: &str) -> SelectColumn {
    SelectColumn {
        property: property.to_owned(),
        expr: select_expr(&Translator::new(backend, storage), storage, property),
    }
}

fn select_expr(translator: &Translator<'_>, storage: &SqlSchema, property: &str) -> SExpr {
    let column = &storage.columns[property];
    match &column.kind {
        ColumnKind::Scalar(name) | ColumnKind::JsonArray(name) => translator.column_ref(name),
        ColumnKind::ChildTable {
            table,
            parent,
            value,
        } => {
            let alias = Alias::new("c");
            let member = SExpr::col((alias.clone(), Alias::new(value.clone())));
            let aggregate: SExpr = match translator.backend {
                Backend::Sqlite => Func::cust("json_group_array").arg(member).into(),
                Backend::Postgres => Func::coalesce([
                    Func::cust("json_agg").arg(member).into(),
                    SExpr::cust("'[]'::json"),
                ])
                .into(),
            };
            let key_column = storage.columns[&storage.key].name().to_owned();
            let mut sub = Query::select();
            sub.expr(aggregate)
                .from_as(Alias::new(table.clone()), alias.clone())
                .and_where(
                    SExpr::col((alias, Alias::new(parent.clone())))
                        .eq(translator.column_ref(&key_column)),
                );
            SExpr::SubQuery(None, Box::new(sub.into()))
        }
    }
}

/// Translates one `$filter` tree (checked against `storage`'s schema) to a
/// `WHERE` condition; [`ODataQuery::to_sql`] does this and more.
///
/// # Errors
///
/// As [`ODataQuery::to_sql`].
pub fn filter_condition(
    filter: &Expr,
    storage: &SqlSchema,
    backend: Backend,
) -> Result<SExpr, ApiError> {
    Translator::new(backend, storage).filter(filter)
}

/// The `ODataError` for a database error the translated query can cause
/// on its own, by its SQLSTATE: PostgreSQL raises `22003`
/// (`numeric_value_out_of_range`) when double arithmetic in `$filter`
/// overflows (`x mul 1e300`), where memory gives an infinity. Answer such a
/// request with the returned 400 rather than a 500; `None` for every other
/// code.
///
/// ```
/// use defender_odata::sql::error_for_sqlstate;
///
/// let err = error_for_sqlstate("22003").unwrap();
/// assert_eq!(err.status(), 400);
/// assert!(error_for_sqlstate("23505").is_none());
/// ```
pub fn error_for_sqlstate(sqlstate: &str) -> Option<ApiError> {
    match sqlstate {
        "22003" => Some(ApiError::odata(
            "$filter: a number computed by the filter is out of the database's range",
        )),
        _ => None,
    }
}

/// Seconds of 0000-01-01T00:00:00Z since the Unix epoch.
const MIN_SECONDS: i64 = -62_167_219_200;
/// Seconds of 9999-12-31T23:59:59Z since the Unix epoch.
const MAX_SECONDS: i64 = 253_402_300_799;

/// A date-time as the SQLite storage holds it, and as this module binds it
/// for both engines: UTC, fixed width, whole microseconds
/// (`2024-03-01T08:00:00.000000Z` for `2024-03-01T10:00:00+02:00`).
/// Text of this form sorts as the instants do.
///
/// ```
/// use defender_odata::DateTimeOffset;
/// use defender_odata::sql::format_datetime;
///
/// let dt = DateTimeOffset::parse("2024-03-01T10:00:00.5+02:00").unwrap();
/// assert_eq!(format_datetime(&dt), "2024-03-01T08:00:00.500000Z");
/// ```
pub fn format_datetime(dt: &DateTimeOffset) -> String {
    let (seconds, nanos) = dt.unix_timestamp();
    format_micros(seconds, nanos / 1000)
}

fn format_micros(seconds: i64, micros: u32) -> String {
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (year, month, day) = civil(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A time of day as SQLite's `substr` of a stored date-time gives it and
/// as bound: `HH:MM:SS.ffffff`.
fn format_time(micros: u64) -> String {
    let seconds = micros / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        micros % 1_000_000
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}
