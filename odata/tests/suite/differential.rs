//! The differential test: generated `$filter`s, `$orderby`s, `$top`s and
//! `$skip`s over the seeded data set give the same ids in the same order in
//! memory, on SQLite and on PostgreSQL.
//!
//! 2,000 cases with a fixed seed by default; `ODATA_DIFF_CASES=100000` for
//! a longer run (and `ODATA_DIFF_SEED=<n>` for another sequence).

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::fixture::{
    databases, evaluated, from_postgres, from_sqlite, query_string, quote, DATETIMES, DOUBLES,
    GUIDS, INTEGERS, LEVEL, STATUS, STRINGS,
};

fn op() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["eq", "ne", "gt", "ge", "lt", "le"][..])
}

fn string_literal() -> impl Strategy<Value = String> {
    prop::sample::select(STRINGS).prop_map(quote)
}

fn double_text(d: f64) -> String {
    let text = format!("{d:?}");
    if text.contains(['.', 'e', 'E']) {
        text
    } else {
        format!("{text}.0")
    }
}

fn integer_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(INTEGERS).prop_map(|i| i.to_string()),
        (-5i64..50).prop_map(|i| i.to_string()),
    ]
}

fn small_integer() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (-3i64..12).prop_map(|i| i.to_string()),
        1 => prop::sample::select(&["9223372036854775807", "-9223372036854775808"][..]).prop_map(str::to_owned),
    ]
}

fn small_double() -> impl Strategy<Value = String> {
    prop::sample::select(&["0.0", "-0.0", "0.5", "2.0", "-2.5", "1e5"][..]).prop_map(str::to_owned)
}

fn time_literal() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "00:00",
            "12:30",
            "12:30:00",
            "23:59:59.9999999",
            "10:00:00.5",
            "09:00:00.0000001",
        ][..],
    )
    .prop_map(str::to_owned)
}

/// An integer-valued operand: the property, a function or arithmetic.
fn integer_operand() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("n".to_owned()),
        1 => (prop::sample::select(&["add", "sub", "mul", "div", "mod"][..]), small_integer())
            .prop_map(|(o, i)| format!("n {o} {i}")),
        1 => prop::sample::select(&["n add n", "n sub n", "n mul n", "-n", "n div n", "n mod n"][..]).prop_map(str::to_owned),
        1 => prop::sample::select(&["length(name)", "length(code)", "indexof(name, 'a')", "indexof(code, name)", "year(seen)", "month(seen)", "day(seen)", "hour(seen)", "minute(seen)", "second(seen)"][..]).prop_map(str::to_owned),
    ]
}

/// A double-valued operand.
fn double_operand() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("x".to_owned()),
        1 => (prop::sample::select(&["add", "sub", "mul", "div"][..]), small_double())
            .prop_map(|(o, d)| format!("x {o} {d}")),
        1 => prop::sample::select(&["n add x", "x sub n", "-x", "n div 2.0", "x div n", "n mul 0.5"][..]).prop_map(str::to_owned),
    ]
}

fn number_literal() -> impl Strategy<Value = String> {
    prop_oneof![integer_literal(), double_literal()]
}

fn double_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(DOUBLES).prop_map(double_text),
        (-50.0f64..50.0).prop_map(|d| double_text((d * 4.0).round() / 4.0)),
    ]
}

fn datetime_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(DATETIMES).prop_map(str::to_owned),
        Just("2024-01-01".to_owned()),
        Just("2024-01-01T00:00:00.0000005Z".to_owned()),
        Just("1999-12-31T23:59:59.9999995Z".to_owned()),
        Just("2024-01-01T00:00:00.000000999+00:00".to_owned()),
    ]
}

fn string_property() -> impl Strategy<Value = &'static str> {
    prop::sample::select(&["name", "code", "id"][..])
}

/// A string-valued operand: a property, or a string function of one.
fn string_operand() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => string_property().prop_map(str::to_owned),
        1 => prop::sample::select(&["tolower(code)", "toupper(code)", "trim(name)", "concat(name, code)", "concat(code, 'x')", "tolower(concat(code, code))", "tolower(substring(code, 1))"][..]).prop_map(str::to_owned),
        1 => (string_property(), small_integer()).prop_map(|(p, i)| format!("substring({p}, {i})")),
        1 => (string_property(), small_integer(), small_integer()).prop_map(|(p, i, j)| format!("substring({p}, {i}, {j})")),
    ]
}

fn comparison() -> impl Strategy<Value = String> {
    prop_oneof![
        (string_operand(), op(), string_literal()).prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        (string_literal(), op(), string_operand()).prop_map(|(l, o, p)| format!("{l} {o} {p}")),
        (string_operand(), op(), string_operand()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
        (integer_operand(), op(), number_literal()).prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        (double_operand(), op(), number_literal()).prop_map(|(p, o, l)| format!("{p} {o} {l}")),
        (number_literal(), op(), integer_operand()).prop_map(|(l, o, p)| format!("{l} {o} {p}")),
        (integer_operand(), op(), integer_operand()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
        (
            op(),
            prop::sample::select(&["2024-01-01", "1999-12-31", "2024-03-01", "0001-01-01"][..])
        )
            .prop_map(|(o, d)| format!("date(seen) {o} {d}")),
        (op(), time_literal()).prop_map(|(o, t)| format!("time(seen) {o} {t}")),
        op().prop_map(|o| format!("n {o} n")),
        op().prop_map(|o| format!("x {o} x")),
        (
            prop::sample::select(&["eq", "ne"][..]),
            prop::sample::select(&["true", "false", "null"][..])
        )
            .prop_map(|(o, l)| format!("flag {o} {l}")),
        (op(), datetime_literal()).prop_map(|(o, l)| format!("seen {o} {l}")),
        (op(), prop::sample::select(GUIDS)).prop_map(|(o, g)| format!("uid {o} {g}")),
        (op(), prop::sample::select(GUIDS))
            .prop_map(|(o, g)| format!("uid {o} '{}'", g.to_uppercase())),
        (op(), prop::sample::select(&STATUS[..])).prop_map(|(o, m)| format!("status {o} '{m}'")),
        (op(), prop::sample::select(&LEVEL[..])).prop_map(|(o, m)| format!("level {o} '{m}'")),
        (op(), prop::sample::select(&LEVEL[..])).prop_map(|(o, m)| format!("'{m}' {o} level")),
        op().prop_map(|o| format!("status {o} status")),
        (
            prop::sample::select(&["name", "code", "n", "x", "seen", "uid", "status", "level"][..]),
            op()
        )
            .prop_map(|(p, o)| format!("{p} {o} null")),
        (
            op(),
            prop::sample::select(&["name", "n", "x", "seen", "status", "level"][..])
        )
            .prop_map(|(o, p)| format!("null {o} {p}")),
    ]
}

fn predicate() -> impl Strategy<Value = String> {
    let function = prop::sample::select(&["contains", "startswith", "endswith"][..]);
    prop_oneof![
        (function.clone(), string_operand(), string_literal())
            .prop_map(|(f, p, l)| format!("{f}({p}, {l})")),
        (function.clone(), string_operand(), string_operand())
            .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
        prop::collection::vec(string_literal(), 1..4)
            .prop_map(|items| format!("name in ({})", items.join(", "))),
        prop::collection::vec(prop::sample::select(&STATUS[..]), 1..3).prop_map(|items| {
            let items: Vec<String> = items.iter().map(|m| quote(m)).collect();
            format!("status in ({})", items.join(", "))
        }),
        prop::collection::vec(number_literal(), 1..3)
            .prop_map(|items| format!("n in ({})", items.join(", "))),
        (
            prop::sample::select(&["tags", "labels"][..]),
            prop::sample::select(&["any", "all"][..]),
            op(),
            string_literal()
        )
            .prop_map(|(c, k, o, l)| format!("{c}/{k}(t: t {o} {l})")),
        (
            prop::sample::select(&["tags", "labels"][..]),
            prop::sample::select(&["any", "all"][..]),
            function.clone(),
            string_literal()
        )
            .prop_map(|(c, k, f, l)| format!("{c}/{k}(t: {f}(t, {l}))")),
        (
            prop::sample::select(&["tags", "labels"][..]),
            prop::sample::select(&["any", "all"][..]),
            function,
            string_property()
        )
            .prop_map(|(c, k, f, p)| format!("{c}/{k}(t: {f}({p}, t))")),
        prop::sample::select(
            &[
                "tags/any()",
                "labels/any()",
                "labels/any(t: t eq null)",
                "tags/any(name: startswith(name, 'a'))",
                "labels/all(code: code ne name)",
                "not (labels/any(t: contains(name, t)))",
                "not (labels/all(t: endswith(code, t)))",
                "tags/all(t: t ne null)"
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

fn filter() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![3 => comparison(), 2 => predicate()];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|f| format!("not ({f})")),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|fs| fs
                .iter()
                .map(|f| format!("({f})"))
                .collect::<Vec<_>>()
                .join(" and ")),
            prop::collection::vec(inner, 2..4).prop_map(|fs| fs
                .iter()
                .map(|f| format!("({f})"))
                .collect::<Vec<_>>()
                .join(" or ")),
        ]
    })
}

fn orderby() -> impl Strategy<Value = Option<String>> {
    let keys = prop::sample::subsequence(
        &[
            "id", "name", "code", "n", "x", "flag", "seen", "uid", "status", "level",
        ][..],
        1..3,
    )
    .prop_shuffle();
    let keys = (
        keys,
        prop::collection::vec(prop::sample::select(&["", " asc", " desc"][..]), 2),
    )
        .prop_map(|(keys, dirs)| {
            keys.iter()
                .zip(dirs)
                .map(|(k, d)| format!("{k}{d}"))
                .collect::<Vec<_>>()
                .join(",")
        });
    prop::option::weighted(0.7, keys)
}

fn cases() -> u32 {
    std::env::var("ODATA_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn seed() -> [u8; 32] {
    let n: u64 = std::env::var("ODATA_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(17);
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&n.to_le_bytes());
    seed
}

#[test]
fn evaluator_sqlite_and_postgres_agree() {
    let dbs = databases();
    if dbs.postgres.is_none() {
        eprintln!("differential test: PostgreSQL unavailable, comparing memory and SQLite only");
    }
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed()));
    let strategy = (
        prop::option::weighted(0.9, filter()),
        orderby(),
        prop::option::weighted(0.3, 0u64..20),
        prop::option::weighted(0.3, 0u64..20),
    );
    // How many cases selected some but not all items: the comparison is
    // not over empty answers.
    let partial = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |(filter, orderby, top, skip)| {
        let raw = query_string(filter.as_deref(), orderby.as_deref(), top, skip);
        let query = defender_odata::ODataQuery::parse(crate::fixture::schema(), Some(&raw))
            .map_err(|e| TestCaseError::fail(format!("{raw}: {}", e.message())))?;
        let memory = evaluated(&query);
        if !memory.is_empty() && memory.len() < crate::fixture::items().len() {
            partial.set(partial.get() + 1);
        }
        let (sqlite, sqlite_text) = from_sqlite(&query);
        prop_assert_eq!(
            &memory,
            &sqlite,
            "memory vs SQLite for {:?} {:?} top {:?} skip {:?}\n{}",
            filter,
            orderby,
            top,
            skip,
            sqlite_text
        );
        if let Some((postgres, pg_text)) = from_postgres(&query) {
            prop_assert_eq!(
                &memory,
                &postgres,
                "memory vs PostgreSQL for {:?} {:?} top {:?} skip {:?}\n{}",
                filter,
                orderby,
                top,
                skip,
                pg_text
            );
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    assert!(
        partial.get() > cases() / 3,
        "only {} of {} cases selected some but not all items",
        partial.get(),
        cases()
    );
}
