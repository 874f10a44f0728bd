//! The data set, schema and storage shared by the SQL tests, loaded once per
//! test run into an in-memory SQLite database and (when PostgreSQL is
//! installed, or always in CI) a throwaway PostgreSQL database.

use std::sync::LazyLock;

use defender_odata::sql::{Backend, Column, SqlSchema};
use defender_odata::{Capabilities as C, DateTimeOffset, ODataQuery, PropertyType as T, Schema};
use sea_query::{Alias, Expr as SExpr, Query};
use sea_query_sqlx::SqlxValues;
use serde_json::{json, Value};
use sqlx::{PgPool, Row, SqlitePool};

pub(crate) const STATUS: [&str; 3] = ["Active", "Inactive", "Onboarding"];
pub(crate) const LEVEL: [&str; 4] = ["None", "Low", "Medium", "High"];

pub(crate) fn schema() -> &'static Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
        Schema::builder()
            .property("id", T::String, C::ALL)
            .property("name", T::String, C::ALL)
            .property("code", T::String, C::ALL)
            .property("n", T::Integer, C::ALL)
            .property("x", T::Double, C::ALL)
            .property("flag", T::Boolean, C::ALL)
            .property("seen", T::DateTime, C::ALL)
            .property("uid", T::Guid, C::ALL)
            .property("status", T::enumeration(STATUS), C::ALL)
            .property("level", T::enumeration(LEVEL), C::ALL)
            .property("tags", T::StringCollection, C::FILTER | C::SELECT)
            .property("labels", T::StringCollection, C::FILTER | C::SELECT)
            .key("id")
            .max_filter_length(64 * 1024)
            .build()
    });
    &SCHEMA
}

pub(crate) fn storage() -> &'static SqlSchema {
    static STORAGE: LazyLock<SqlSchema> = LazyLock::new(|| {
        SqlSchema::builder(schema(), "items")
            .column("id", Column::new("id").not_null())
            .column("name", Column::new("item_name"))
            .column("code", Column::new("code").ascii_only())
            .column("level", Column::new("level").enum_as_index())
            .column("tags", Column::child_table("item_tags", "item_id", "tag"))
            .column("labels", Column::json_array("labels"))
            .build()
    });
    &STORAGE
}

/// Awkward strings: quotes, SQL comment and statement characters, LIKE
/// wildcards, backslashes, Unicode, case variants, the empty string.
pub(crate) const STRINGS: &[&str] = &[
    "",
    "a",
    "A",
    "abc",
    "ABC",
    "aBc",
    "it's",
    "''",
    "%",
    "_",
    "a%c",
    "a_c",
    "\\",
    "a\\_",
    "--",
    "; DROP TABLE items; --",
    "/*",
    "é",
    "É",
    "ß",
    "ǅ",
    "日本",
    "😀",
    " x ",
    "web-01",
    "WEB-01",
    "Zed",
];

pub(crate) const INTEGERS: &[i64] = &[
    i64::MIN,
    i64::MIN + 1,
    -9_007_199_254_740_993,
    -1,
    0,
    1,
    2,
    42,
    9_007_199_254_740_991,
    9_007_199_254_740_992,
    9_007_199_254_740_993,
    i64::MAX - 1,
    i64::MAX,
];

pub(crate) const DOUBLES: &[f64] = &[
    -1e300,
    -2.5,
    -0.0,
    0.0,
    0.5,
    1.0,
    2.5,
    42.0,
    9_007_199_254_740_992.0,
    9_007_199_254_740_994.0,
    9.223_372_036_854_776e18,
    1e300,
];

pub(crate) const DATETIMES: &[&str] = &[
    "1970-01-01T00:00:00Z",
    "1999-12-31T23:59:59.999999Z",
    "2024-01-01T00:00:00Z",
    "2024-01-01T02:00:00+02:00",
    "2024-01-01T00:00:00.000001Z",
    "2024-02-29T12:30:00-05:30",
    "2024-03-01T10:00:00.5+01:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
];

pub(crate) const GUIDS: &[&str] = &[
    "00000000-0000-0000-0000-000000000000",
    "8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "7f000000-0000-0000-0000-000000000001",
];

/// The seeded items: every column null somewhere, every awkward value
/// somewhere, collections empty, null and with repeated members.
pub(crate) fn items() -> &'static [Value] {
    static ITEMS: LazyLock<Vec<Value>> = LazyLock::new(|| {
        let pick = |i: usize, k: usize, len: usize| (i * k + i / 3) % (len + 1);
        (0..60)
            .map(|i| {
                let s = pick(i, 7, STRINGS.len());
                let name = STRINGS.get(s).map_or(Value::Null, |s| json!(s));
                let code = match pick(i, 5, STRINGS.len()) {
                    j if j < STRINGS.len() && STRINGS[j].is_ascii() => json!(STRINGS[j]),
                    _ => Value::Null,
                };
                let n = INTEGERS
                    .get(pick(i, 3, INTEGERS.len()))
                    .map_or(Value::Null, |v| json!(v));
                let x = DOUBLES
                    .get(pick(i, 5, DOUBLES.len()))
                    .map_or(Value::Null, |v| json!(v));
                let flag = match i % 3 {
                    0 => Value::Null,
                    1 => json!(true),
                    _ => json!(false),
                };
                let seen = DATETIMES
                    .get(pick(i, 4, DATETIMES.len()))
                    .map_or(Value::Null, |v| json!(v));
                let uid = GUIDS
                    .get(pick(i, 3, GUIDS.len()))
                    .map_or(Value::Null, |v| json!(v));
                let status = match pick(i, 2, STATUS.len() + 2) {
                    3 => json!("Zed"),
                    4 => json!("Archived"),
                    j => STATUS.get(j).map_or(Value::Null, |v| json!(v)),
                };
                let level = LEVEL
                    .get(pick(i, 3, LEVEL.len()))
                    .map_or(Value::Null, |v| json!(v));
                let members = |k: usize| -> Vec<&str> {
                    (0..(i * k) % 4)
                        .map(|m| STRINGS[(i * k + m * 5) % STRINGS.len()])
                        .collect()
                };
                let tags = json!(members(3));
                let labels = match i % 5 {
                    0 => Value::Null,
                    1 => json!([]),
                    2 => json!([null, "a"]),
                    _ => json!(members(7)),
                };
                json!({
                    "id": format!("r{i:02}"),
                    "name": name, "code": code, "n": n, "x": x, "flag": flag,
                    "seen": seen, "uid": uid, "status": status, "level": level,
                    "tags": tags, "labels": labels,
                })
            })
            .collect()
    });
    &ITEMS
}

/// The databases, loaded once per test run.
pub(crate) struct Databases {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) sqlite: SqlitePool,
    pub(crate) postgres: Option<(PgPool, temp_postgres::TempPostgres)>,
}

pub(crate) fn databases() -> &'static Databases {
    static DBS: LazyLock<Databases> = LazyLock::new(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let sqlite = runtime.block_on(load_sqlite());
        let postgres = temp_postgres::TempPostgres::start().map(|pg| {
            let url = pg.create_database("odata");
            (runtime.block_on(load_postgres(&url)), pg)
        });
        Databases {
            runtime,
            sqlite,
            postgres,
        }
    });
    &DBS
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_owned)
}

fn datetime(v: &Value) -> Option<String> {
    v.as_str()
        .map(|s| defender_odata::sql::format_datetime(&DateTimeOffset::parse(s).unwrap()))
}

fn level_index(v: &Value) -> Option<i64> {
    v.as_str()
        .map(|s| LEVEL.iter().position(|m| *m == s).unwrap() as i64)
}

async fn load_sqlite() -> SqlitePool {
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect("sqlite::memory:")
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE items (id TEXT PRIMARY KEY NOT NULL, item_name TEXT, code TEXT, n INTEGER, \
         x REAL, flag INTEGER, seen TEXT, uid TEXT, status TEXT, level INTEGER, labels TEXT);
         CREATE TABLE item_tags (item_id TEXT NOT NULL, tag TEXT);",
    )
    .execute(&pool)
    .await
    .unwrap();
    for item in items() {
        sqlx::query("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(text(&item["id"]))
            .bind(text(&item["name"]))
            .bind(text(&item["code"]))
            .bind(item["n"].as_i64())
            .bind(item["x"].as_f64())
            .bind(item["flag"].as_bool())
            .bind(datetime(&item["seen"]))
            .bind(text(&item["uid"]))
            .bind(text(&item["status"]))
            .bind(level_index(&item["level"]))
            .bind((!item["labels"].is_null()).then(|| item["labels"].to_string()))
            .execute(&pool)
            .await
            .unwrap();
        for tag in item["tags"].as_array().unwrap() {
            sqlx::query("INSERT INTO item_tags VALUES (?, ?)")
                .bind(text(&item["id"]))
                .bind(text(tag))
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    pool
}

async fn load_postgres(url: &str) -> PgPool {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE items (id text PRIMARY KEY, item_name text, code text, n bigint, \
         x double precision, flag boolean, seen timestamptz, uid uuid, status text, level bigint, labels jsonb);
         CREATE TABLE item_tags (item_id text NOT NULL, tag text);",
    )
    .execute(&pool)
    .await
    .unwrap();
    for item in items() {
        sqlx::query(
            "INSERT INTO items VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::uuid, $9, $10, $11::jsonb)",
        )
        .bind(text(&item["id"]))
        .bind(text(&item["name"]))
        .bind(text(&item["code"]))
        .bind(item["n"].as_i64())
        .bind(item["x"].as_f64())
        .bind(item["flag"].as_bool())
        .bind(datetime(&item["seen"]))
        .bind(text(&item["uid"]))
        .bind(text(&item["status"]))
        .bind(level_index(&item["level"]))
        .bind((!item["labels"].is_null()).then(|| item["labels"].to_string()))
        .execute(&pool)
        .await
        .unwrap();
        for tag in item["tags"].as_array().unwrap() {
            sqlx::query("INSERT INTO item_tags VALUES ($1, $2)")
                .bind(text(&item["id"]))
                .bind(text(tag))
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    pool
}

/// The ids the in-memory evaluator returns, in order.
pub(crate) fn evaluated(query: &ODataQuery) -> Vec<String> {
    query
        .apply(items())
        .into_iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The `SELECT id …` statement of `query` for `backend`, as `SqlQuery::build`
/// writes it: its text and values.
fn id_statement(query: &ODataQuery, backend: Backend) -> (String, SqlxValues) {
    let sql = query
        .to_sql(storage(), backend)
        .unwrap_or_else(|e| panic!("{backend:?} refused {query:?}: {}", e.message()));
    let mut statement = Query::select();
    statement
        .expr(SExpr::col((Alias::new("items"), Alias::new("id"))))
        .from(Alias::new("items"));
    sql.apply_to(&mut statement);
    let (text, values) = sql.build(statement);
    (text, SqlxValues(values))
}

/// The ids SQLite returns, in order, and the SQL text run.
pub(crate) fn from_sqlite(query: &ODataQuery) -> (Vec<String>, String) {
    let dbs = databases();
    let (text, values) = id_statement(query, Backend::Sqlite);
    let rows = dbs
        .runtime
        .block_on(
            sqlx::query_with(sqlx::AssertSqlSafe(text.clone()), values).fetch_all(&dbs.sqlite),
        )
        .unwrap_or_else(|e| panic!("SQLite failed on {text}: {e}"));
    (rows.iter().map(|r| r.get::<String, _>(0)).collect(), text)
}

/// The ids PostgreSQL returns, in order, and the SQL text run; `None`
/// when PostgreSQL is not installed (outside CI).
pub(crate) fn from_postgres(query: &ODataQuery) -> Option<(Vec<String>, String)> {
    let dbs = databases();
    let (pool, _) = dbs.postgres.as_ref()?;
    let (text, values) = id_statement(query, Backend::Postgres);
    let rows = dbs
        .runtime
        .block_on(sqlx::query_with(sqlx::AssertSqlSafe(text.clone()), values).fetch_all(pool))
        .unwrap_or_else(|e| panic!("PostgreSQL failed on {text}: {e}"));
    Some((rows.iter().map(|r| r.get::<String, _>(0)).collect(), text))
}

/// Parses `raw` against the shared schema.
pub(crate) fn parse(raw: &str) -> ODataQuery {
    ODataQuery::parse(schema(), Some(raw)).unwrap_or_else(|e| panic!("{raw}: {}", e.message()))
}

/// `value` percent-encoded for a query string (every byte but ASCII
/// letters and digits).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string of `$filter`, `$orderby`, `$top` and `$skip` (each
/// left out when `None`).
pub(crate) fn query_string(
    filter: Option<&str>,
    orderby: Option<&str>,
    top: Option<u64>,
    skip: Option<u64>,
) -> String {
    let mut parts = Vec::new();
    if let Some(f) = filter {
        parts.push(format!("$filter={}", encode(f)));
    }
    if let Some(o) = orderby {
        parts.push(format!("$orderby={}", encode(o)));
    }
    if let Some(t) = top {
        parts.push(format!("$top={t}"));
    }
    if let Some(s) = skip {
        parts.push(format!("$skip={s}"));
    }
    parts.join("&")
}

/// A string literal in OData syntax.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
