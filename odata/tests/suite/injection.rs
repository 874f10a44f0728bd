//! The injection corpus: literals built from SQL's quote, comment,
//! statement and wildcard characters, backslashes and 10 KB of them. For
//! each, in many positions of a filter, the SQL text is exactly the text
//! produced for a harmless literal (so it carries none of the input), the
//! literal travels as a bound value, and SQLite and PostgreSQL return the
//! rows the evaluator returns. A literal holding U+0000 is refused before
//! any SQL is made.

use defender_errors::ErrorCode;
use defender_odata::sql::Backend;
use defender_odata::ODataQuery;
use sea_query::Value as SqlValue;

use crate::fixture::{
    evaluated, from_postgres, from_sqlite, parse, query_string, quote, schema, storage,
};

fn corpus() -> Vec<String> {
    let mut corpus: Vec<String> = [
        "'",
        "''",
        "it's",
        "--",
        "; DROP TABLE items; --",
        "/*",
        "*/",
        "/* comment */ OR 1=1",
        "' OR '1'='1",
        "\") OR 1=1 --",
        "%",
        "_",
        "%%",
        "a%c",
        "a_c",
        "\\",
        "\\%",
        "\\_",
        "a\\_",
        "$1",
        "?",
        "?1",
        ":name",
        "@p",
        "\"items\"",
        "é",
        "😀'; --",
        "",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    corpus.push("'%_\\;--/*".repeat(1100));
    corpus.push(format!("{}%", "x".repeat(10_240)));
    corpus
}

const TEMPLATES: &[&str] = &[
    "name eq {}",
    "name ne {}",
    "name gt {}",
    "{} le code",
    "contains(name, {})",
    "startswith(name, {})",
    "endswith(code, {})",
    "not (contains(name, {}))",
    "name in ({}, 'a')",
    "tags/any(t: t eq {})",
    "tags/all(t: contains(t, {}))",
    "labels/any(t: endswith(t, {}))",
    "indexof(name, {}) ge 0",
    "concat(name, {}) eq name",
    "trim(name) eq {}",
    "substring(name, 1) eq {}",
    "tolower(code) eq tolower({})",
];

/// `text` as PostgreSQL's LIKE pattern binds it.
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn sql_text(query: &ODataQuery, backend: Backend) -> (String, Vec<SqlValue>) {
    let sql = query.to_sql(storage(), backend).unwrap();
    let (text, values) = sql.build(sql.select_statement());
    (text, values.0)
}

#[test]
fn the_sql_text_never_carries_a_literal_and_answers_are_right() {
    for literal in corpus() {
        for template in TEMPLATES {
            let filter = template.replace("{}", &quote(&literal));
            let harmless = template.replace("{}", "'q'");
            let query = parse(&query_string(Some(&filter), None, None, None));
            let reference = parse(&query_string(Some(&harmless), None, None, None));
            for backend in [Backend::Sqlite, Backend::Postgres] {
                let (text, values) = sql_text(&query, backend);
                let (expected, _) = sql_text(&reference, backend);
                assert_eq!(
                    text, expected,
                    "{backend:?}: the SQL of {filter:?} depends on its literal"
                );
                if literal.len() > 3 {
                    // Beyond what the storage's own identifiers and the
                    // fixed SQL hold (`"items"` is the table's name).
                    assert!(
                        expected.contains(&literal) || !text.contains(&literal),
                        "{backend:?}: {filter:?}"
                    );
                    assert!(
                        values.iter().any(|v| matches!(
                            v,
                            SqlValue::String(Some(s)) if s.contains(&literal)
                                || s.contains(&literal.to_lowercase())
                                || s.contains(&like_escaped(&literal))
                        )),
                        "{backend:?}: {filter:?} does not bind its literal"
                    );
                }
            }
            let memory = evaluated(&query);
            assert_eq!(from_sqlite(&query).0, memory, "SQLite: {filter:?}");
            if let Some((postgres, _)) = from_postgres(&query) {
                assert_eq!(postgres, memory, "PostgreSQL: {filter:?}");
            }
        }
    }
}

#[test]
fn some_corpus_literals_match_rows() {
    // The data set holds several corpus strings, so the comparisons above
    // are not all over empty answers.
    for literal in ["it's", "%", "_", "\\", "--", "; DROP TABLE items; --", "/*"] {
        let query = parse(&query_string(
            Some(&format!("name eq {}", quote(literal))),
            None,
            None,
            None,
        ));
        assert!(!evaluated(&query).is_empty(), "{literal:?}");
    }
}

#[test]
fn nul_is_refused_when_the_filter_is_checked() {
    let err = ODataQuery::parse(schema(), Some("$filter=name%20eq%20%27a%00b%27")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ODataError);
    assert!(err.message().contains("U+0000"), "{}", err.message());
}
