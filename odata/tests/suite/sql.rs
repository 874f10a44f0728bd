//! The SQL text the translation produces, pinned for a few filters on
//! SQLite and PostgreSQL (placeholders for every value, no input bytes),
//! the select list and count statement run on the databases, and the
//! constructs each engine refuses.

use defender_errors::ErrorCode;
use defender_odata::sql::Backend;
use sea_query::{SqliteQueryBuilder, Value as SqlValue};
use sea_query_sqlx::{SqlxBinder, SqlxValues};
use serde_json::Value;
use sqlx::Row;

use crate::fixture::{databases, evaluated, items, parse, query_string, storage};

/// The `SELECT id …` statement of `filter` with `$top=5`, on both engines,
/// with its bound values, as `SqlQuery::build` writes it.
fn render(filter: &str) -> ((String, Vec<SqlValue>), (String, Vec<SqlValue>)) {
    let raw = format!(
        "{}&$select=id&$top=5",
        query_string(Some(filter), None, None, None)
    );
    let query = parse(&raw);
    let sqlite = query.to_sql(storage(), Backend::Sqlite).unwrap();
    let postgres = query.to_sql(storage(), Backend::Postgres).unwrap();
    let (s, sv) = sqlite.build(sqlite.select_statement());
    let (p, pv) = postgres.build(postgres.select_statement());
    ((s, sv.0), (p, pv.0))
}

fn s(text: &str) -> SqlValue {
    SqlValue::String(Some(text.to_owned()))
}

#[test]
fn equality_with_a_quote_is_one_placeholder() {
    let ((sqlite, sv), (postgres, pv)) = render("name eq 'it''s'");
    assert_eq!(
        sqlite,
        r#"SELECT "items"."id" FROM "items" WHERE "items"."item_name" = ? ORDER BY "items"."id" ASC LIMIT +?"#
    );
    assert_eq!(
        postgres,
        r#"SELECT "items"."id" FROM "items" WHERE "items"."item_name" = $1 ORDER BY ("items"."id" COLLATE "C") ASC LIMIT $2"#
    );
    assert_eq!(sv, [s("it's"), SqlValue::BigInt(Some(5))]);
    // PostgreSQL binds the same, with sea-query's `LIMIT $2`.
    assert_eq!(pv, [s("it's"), SqlValue::BigUnsigned(Some(5))]);
}

#[test]
fn ne_is_true_for_null_and_not_is_two_valued() {
    let ((sqlite, _), (postgres, _)) = render("name ne 'a' and not (x lt 2.5)");
    assert_eq!(
        sqlite,
        r#"SELECT "items"."id" FROM "items" WHERE ("items"."item_name" <> ? OR "items"."item_name" IS NULL) AND (NOT COALESCE("items"."x" < ?, FALSE)) ORDER BY "items"."id" ASC LIMIT +?"#
    );
    assert_eq!(
        postgres,
        r#"SELECT "items"."id" FROM "items" WHERE ("items"."item_name" <> $1 OR "items"."item_name" IS NULL) AND (NOT COALESCE("items"."x" < $2, FALSE)) ORDER BY ("items"."id" COLLATE "C") ASC LIMIT $3"#
    );
}

#[test]
fn contains_is_exact_and_escaped() {
    let ((sqlite, sv), (postgres, pv)) = render("contains(name, '50%_off\\')");
    // SQLite: instr(), which neither ignores case nor knows wildcards.
    assert_eq!(
        sqlite,
        r#"SELECT "items"."id" FROM "items" WHERE instr("items"."item_name", ?) > ? ORDER BY "items"."id" ASC LIMIT +?"#
    );
    assert_eq!(sv[0], s("50%_off\\"));
    // PostgreSQL: LIKE in the C collation, the wildcards escaped in the
    // bound pattern.
    assert_eq!(
        postgres,
        r#"SELECT "items"."id" FROM "items" WHERE ("items"."item_name" COLLATE "C" LIKE $1 ESCAPE '\') ORDER BY ("items"."id" COLLATE "C") ASC LIMIT $2"#
    );
    assert_eq!(pv[0], s("%50\\%\\_off\\\\%"));
}

#[test]
fn lambdas_are_exists_subqueries() {
    let ((sqlite, _), (postgres, _)) = render("tags/any(t: startswith(t, 'web'))");
    assert_eq!(
        sqlite,
        r#"SELECT "items"."id" FROM "items" WHERE EXISTS(SELECT 1 FROM "item_tags" AS "m1" WHERE "m1"."item_id" = "items"."id" AND instr("m1"."tag", ?) = ?) ORDER BY "items"."id" ASC LIMIT +?"#
    );
    assert_eq!(
        postgres,
        r#"SELECT "items"."id" FROM "items" WHERE EXISTS(SELECT 1 FROM "item_tags" AS "m1" WHERE "m1"."item_id" = "items"."id" AND (("m1"."tag" COLLATE "C" LIKE $1 ESCAPE '\'))) ORDER BY ("items"."id" COLLATE "C") ASC LIMIT $2"#
    );
}

#[test]
fn orderby_places_nulls_like_memory_and_ends_with_the_key() {
    let query = parse("$orderby=status desc,n&$select=id");
    let sql = query.to_sql(storage(), Backend::Sqlite).unwrap();
    let (sqlite, _) = sql.build(sql.select_statement());
    assert_eq!(
        sqlite,
        r#"SELECT "items"."id" FROM "items" ORDER BY (CASE WHEN ("items"."status" = ?) THEN ? WHEN ("items"."status" = ?) THEN ? WHEN ("items"."status" = ?) THEN ? ELSE (CASE WHEN "items"."status" IS NULL THEN NULL ELSE ? END) END) DESC NULLS LAST, "items"."status" DESC NULLS LAST, "items"."n" ASC NULLS FIRST, "items"."id" ASC LIMIT +?"#
    );
}

#[test]
fn count_statement_counts_the_filtered_rows() {
    let query = parse(&format!(
        "{}&$count=true&$top=1",
        query_string(Some("n gt 0 or name eq null"), None, None, None)
    ));
    let sql = query.to_sql(storage(), Backend::Sqlite).unwrap();
    let (text, values) = sql.count_statement().build_sqlx(SqliteQueryBuilder);
    assert_eq!(
        text,
        r#"SELECT COUNT(*) FROM "items" WHERE "items"."n" > ? OR "items"."item_name" IS NULL"#
    );
    let dbs = databases();
    let count: i64 = dbs
        .runtime
        .block_on(sqlx::query_scalar_with(sqlx::AssertSqlSafe(text), values).fetch_one(&dbs.sqlite))
        .unwrap();
    let expected = query.page(items()).count.unwrap();
    assert!(expected > 1);
    assert_eq!(count as usize, expected);
}

#[test]
fn select_list_reads_collections_from_both_storages() {
    let query = parse("$select=id,tags,labels&$orderby=id");
    let sql = query.to_sql(storage(), Backend::Sqlite).unwrap();
    let columns: Vec<&str> = sql.columns().iter().map(|c| c.property.as_str()).collect();
    assert_eq!(columns, ["id", "tags", "labels"]);
    let (text, values) = sql.select_statement().build_sqlx(SqliteQueryBuilder);
    let dbs = databases();
    let rows = dbs
        .runtime
        .block_on(sqlx::query_with(sqlx::AssertSqlSafe(text), values).fetch_all(&dbs.sqlite))
        .unwrap();
    assert_eq!(rows.len(), items().len());
    for (row, item) in rows.iter().zip(items()) {
        assert_eq!(row.get::<String, _>(0), item["id"].as_str().unwrap());
        let mut tags: Vec<Value> = serde_json::from_str(&row.get::<String, _>(1)).unwrap();
        let mut expected = item["tags"].as_array().unwrap().clone();
        tags.sort_by_key(ToString::to_string);
        expected.sort_by_key(ToString::to_string);
        assert_eq!(tags, expected);
        let labels: Option<String> = row.get(2);
        let labels: Value = labels.map_or(Value::Null, |l| serde_json::from_str(&l).unwrap());
        assert_eq!(labels, item["labels"]);
    }
}

fn refusal(filter: &str, backend: Backend) -> String {
    let query = parse(&query_string(Some(filter), None, None, None));
    let err = query.to_sql(storage(), backend).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ODataError);
    assert_eq!(err.status(), http::StatusCode::BAD_REQUEST);
    err.message().to_owned()
}

#[test]
fn unicode_case_folding_is_refused_on_both_engines() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        assert_eq!(
            refusal("tolower(name) eq 'é'", backend),
            "Invalid OData URI query $filter: tolower on 'name' cannot be translated to SQL: declare the column ASCII-only."
        );
        assert_eq!(
            refusal("tags/any(t: toupper(t) eq 'A')", backend),
            "Invalid OData URI query $filter: toupper on the lambda variable 't' cannot be translated to SQL: declare the column ASCII-only."
        );
        assert_eq!(
            refusal("x mod 2.0 eq 1", backend),
            "Invalid OData URI query $filter: 'mod' with a double operand cannot be translated to SQL."
        );
    }
    // On a literal, or a column declared ASCII-only, they are translated.
    let ok = parse(&query_string(
        Some("tolower(code) eq tolower('ÀB')"),
        None,
        None,
        None,
    ));
    assert!(ok.to_sql(storage(), Backend::Sqlite).is_ok());
    assert!(ok.to_sql(storage(), Backend::Postgres).is_ok());
    assert_eq!(evaluated(&ok), crate::fixture::from_sqlite(&ok).0,);
}

#[test]
fn integer_against_double_column_is_refused_on_postgres_only() {
    assert_eq!(
        refusal("n lt x", Backend::Postgres),
        "Invalid OData URI query $filter: comparing an integer with a double ('n' 'lt' 'x') cannot be translated exactly to PostgreSQL."
    );
    let query = parse(&query_string(Some("n lt x"), None, None, None));
    assert_eq!(evaluated(&query), crate::fixture::from_sqlite(&query).0);
}

/// A `$skip` past `i64::MAX` (which neither engine takes as an `OFFSET`)
/// runs, on both engines, and gives an empty page as in memory.
#[test]
fn a_skip_beyond_every_row_is_an_empty_page() {
    let query = parse("$select=id&$skip=18446744073709551614&$top=5");
    assert_eq!(query.page(items()).value, Vec::<Value>::new());
    let dbs = databases();
    let sqlite = query.to_sql(storage(), Backend::Sqlite).unwrap();
    assert_eq!(sqlite.offset(), 9223372036854775807);
    let (text, values) = sqlite.select_statement().build_sqlx(SqliteQueryBuilder);
    let rows = dbs
        .runtime
        .block_on(sqlx::query_with(sqlx::AssertSqlSafe(text), values).fetch_all(&dbs.sqlite))
        .unwrap();
    assert!(rows.is_empty());
    // And as `build` writes it (`LIMIT +? OFFSET +?`, the offset being
    // other than 0).
    let (text, values) = sqlite.build(sqlite.select_statement());
    assert!(text.ends_with(" LIMIT +? OFFSET +?"), "{text}");
    let rows = dbs
        .runtime
        .block_on(
            sqlx::query_with(sqlx::AssertSqlSafe(text), SqlxValues(values)).fetch_all(&dbs.sqlite),
        )
        .unwrap();
    assert!(rows.is_empty());
    if let Some((postgres, _)) = &dbs.postgres {
        let sql = query.to_sql(storage(), Backend::Postgres).unwrap();
        let (text, values) = sql.build(sql.select_statement());
        let rows = dbs
            .runtime
            .block_on(
                sqlx::query_with(sqlx::AssertSqlSafe(text), SqlxValues(values)).fetch_all(postgres),
            )
            .unwrap();
        assert!(rows.is_empty());
    }
}
