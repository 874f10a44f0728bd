//! The `$filter` functions, arithmetic, negation and time-of-day literals,
//! and what ODataLib accepts that this parser once refused (signed numbers,
//! ordering comparisons with `null`, lambda variables named like
//! properties): parsed, checked and evaluated through the public API, with
//! every expected row and message written out by hand.

use std::sync::LazyLock;

use defender_errors::ErrorCode;
use defender_odata::{
    parse_filter, ArithmeticOp, Capabilities as C, Expr, Function, Literal, ODataQuery,
    PropertyType as T, Schema, TimeOfDay,
};
use serde_json::{json, Value};

use super::odata_message;

fn schema() -> &'static Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
        Schema::builder()
            .property("id", T::String, C::ALL)
            .property("name", T::String, C::ALL)
            .property("count", T::Integer, C::ALL)
            .property("score", T::Double, C::ALL)
            .property("seen", T::DateTime, C::ALL)
            .property("status", T::enumeration(["Active", "Inactive"]), C::ALL)
            .property("flag", T::Boolean, C::ALL)
            .property("tags", T::StringCollection, C::FILTER | C::SELECT)
            .build()
    });
    &SCHEMA
}

/// Five items; the comments give what the functions see in UTC.
fn items() -> Vec<Value> {
    vec![
        // 2024-03-01 10:15:30 UTC.
        json!({"id": "a", "name": "Web01", "count": 10, "score": 2.5,
               "seen": "2024-03-01T10:15:30Z", "status": "Active", "tags": ["Prod", "Web"]}),
        // 2024-03-02 01:30:00 UTC; the name is U+3000, a space, "pad", U+00A0.
        json!({"id": "b", "name": "\u{3000} pad\u{a0}", "count": -7, "score": -0.5,
               "seen": "2024-03-01T23:30:00-02:00", "status": "Inactive", "tags": []}),
        // 2023-12-31 23:59:59.5 UTC; 11 code points in 13 bytes.
        json!({"id": "c", "name": "héllo wörld", "count": 0, "score": null,
               "seen": "2023-12-31T23:59:59.5Z", "status": "Active", "tags": ["prod"]}),
        json!({"id": "d", "name": null, "count": 9_223_372_036_854_775_807_i64, "score": 1e308,
               "seen": null, "status": "Retired"}),
        // 2024-02-28 18:30:00 UTC.
        json!({"id": "e", "name": "", "count": null, "score": 0.0,
               "seen": "2024-02-29T00:00:00+05:30", "status": "Inactive", "tags": ["id"]}),
    ]
}

/// The ids of the items `filter` selects, in input order.
fn select(filter: &str) -> Vec<String> {
    let data = items();
    let query = ODataQuery::parse(schema(), Some(&format!("$filter={filter}")))
        .unwrap_or_else(|err| panic!("{filter}: {}", err.message()));
    query
        .apply(&data)
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_selects(cases: &[(&str, &[&str])]) {
    let mut failures = Vec::new();
    for (filter, expected) in cases {
        let got = select(filter);
        if got != *expected {
            failures.push(format!("{filter}\n   got: {got:?}\n  want: {expected:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn string_functions_count_code_points() {
    assert_selects(&[
        ("length(name) eq 5", &["a"]),
        ("length(name) eq 11", &["c"]),
        ("length(name) eq 6", &["b"]),
        ("length(name) eq 0", &["e"]),
        ("length(name) eq null", &["d"]),
        ("length(name) ne 5", &["b", "c", "d", "e"]),
        ("indexof(name, 'wö') eq 6", &["c"]),
        ("indexof(name, 'x') eq -1", &["a", "b", "c", "e"]),
        ("indexof(name, '') eq 0", &["a", "b", "c", "e"]),
        ("indexof(name, 'l') eq 2", &["c"]),
        ("substring(name, 1) eq 'éllo wörld'", &["c"]),
        ("substring(name, 1, 3) eq 'éll'", &["c"]),
        ("substring(name, -2, 3) eq 'Web'", &["a"]),
        ("substring(name, 2, -1) eq ''", &["a", "b", "c", "e"]),
        ("substring(name, 100) eq ''", &["a", "b", "c", "e"]),
        ("substring(name, 2, 3) eq 'pad'", &["b"]),
        ("substring(name, 3, 100) eq '01'", &["a"]),
        ("concat(name, '!') eq 'Web01!'", &["a"]),
        ("concat(concat(name, '-'), id) eq 'Web01-a'", &["a"]),
        ("concat(name, id) eq 'e'", &["e"]),
        ("concat(name, 'x') eq null", &["d"]),
        // U+3000 and U+00A0 are white space for `char::is_whitespace`.
        ("trim(name) eq 'pad'", &["b"]),
        ("trim(name) eq name", &["a", "c", "d", "e"]),
        ("length(trim(name)) eq 3", &["b"]),
        ("contains(tolower(name), 'web')", &["a"]),
        ("startswith(substring(name, 6), 'w')", &["c"]),
        ("endswith(concat(name, id), '1a')", &["a"]),
    ]);
}

#[test]
fn date_parts_are_taken_in_utc() {
    assert_selects(&[
        ("year(seen) eq 2024", &["a", "b", "e"]),
        ("year(seen) eq 2023", &["c"]),
        ("month(seen) eq 3", &["a", "b"]),
        ("month(seen) eq 2", &["e"]),
        // b is the 1st where it was written, the 2nd in UTC.
        ("day(seen) eq 2", &["b"]),
        ("day(seen) eq 28", &["e"]),
        ("hour(seen) eq 1", &["b"]),
        ("hour(seen) eq 18", &["e"]),
        ("minute(seen) eq 30", &["b", "e"]),
        ("second(seen) eq 59", &["c"]),
        ("second(seen) eq 30", &["a"]),
        ("year(seen) eq null", &["d"]),
        ("date(seen) eq 2024-03-02", &["b"]),
        ("date(seen) lt 2024-03-01", &["c", "e"]),
        ("date(seen) ge 2024-03-01", &["a", "b"]),
        ("date(seen) in (2024-02-28, 2023-12-31)", &["c", "e"]),
        ("time(seen) lt 02:00", &["b"]),
        ("time(seen) eq 23:59:59.5", &["c"]),
        ("time(seen) eq 23:59:59.5000000", &["c"]),
        ("time(seen) ge 10:15:30", &["a", "c", "e"]),
        ("time(seen) gt 10:15:30", &["c", "e"]),
        ("time(seen) eq null", &["d"]),
        ("hour(seen) mul 60 add minute(seen) eq 1110", &["e"]),
    ]);
}

#[test]
fn arithmetic_follows_odata_precedence_and_integer_rules() {
    assert_selects(&[
        ("count add 5 eq 15", &["a"]),
        // i64::MAX + 1 overflows: null, like the null count of e.
        ("count add 1 eq null", &["d", "e"]),
        ("count sub 1 lt 0", &["b", "c"]),
        ("count mul 2 eq -14", &["b"]),
        ("count mul 2 eq null", &["d", "e"]),
        ("count div 3 eq 3", &["a"]),
        // Integer division truncates toward zero; mod takes the dividend's sign.
        ("count div 2 eq -3", &["b"]),
        ("count mod 3 eq -1", &["b"]),
        // 9223372036854775807 = 3 × 3074457345618258602 + 1.
        ("count mod 3 eq 1", &["a", "d"]),
        ("count mod -1 eq 0", &["a", "b", "c", "d"]),
        // Division and mod by zero are null.
        ("count div 0 eq null", &["a", "b", "c", "d", "e"]),
        ("count mod 0 eq null", &["a", "b", "c", "d", "e"]),
        ("score div 0 eq null", &["a", "b", "c", "d", "e"]),
        ("score div 0.0 ne null", &[]),
        // A double operand makes the operation double.
        ("count div 2.0 eq -3.5", &["b"]),
        ("count add score eq 12.5", &["a"]),
        ("score mod 2 eq 0.5", &["a"]),
        ("score mod 2 eq -0.5", &["b"]),
        // mul binds tighter than add; add and sub nest to the left.
        ("count add 1 mul 2 eq 12", &["a"]),
        ("(count add 1) mul 2 eq 22", &["a"]),
        ("count sub 2 sub 3 eq 5", &["a"]),
        ("count div 2 mul 2 eq count", &["a", "c", "e"]),
        ("count add 1 gt 5 and count lt 100", &["a"]),
        // Negation.
        ("-count eq 7", &["b"]),
        ("- count gt 0", &["b"]),
        ("-count eq null", &["e"]),
        ("-(count add 3) eq -13", &["a"]),
        ("--count eq 10", &["a"]),
        ("-score lt 0", &["a", "d"]),
        ("- 5 eq count add 2", &["b"]),
        // Overflow of a double is infinity, still greater than every finite
        // double.
        ("score mul 10 gt 1e308", &["d"]),
    ]);
}

#[test]
fn integers_and_doubles_compare_exactly() {
    // 9223372036854775807.0 is the double 2^63, one more than i64::MAX:
    // rounding d's count to a double would make them equal.
    assert_selects(&[
        ("count eq 9223372036854775807.0", &[]),
        ("count lt 9223372036854775807.0", &["a", "b", "c", "d"]),
        ("count eq 9223372036854775807", &["d"]),
        ("count ge 9.2e18", &["d"]),
        ("score gt 9223372036854775807", &["d"]),
        ("count eq 10.0", &["a"]),
        ("count lt 10.5 and count gt 9.5", &["a"]),
    ]);
}

#[test]
fn what_odatalib_accepts() {
    assert_selects(&[
        // A signed number literal.
        ("count eq +10", &["a"]),
        ("count eq -7", &["b"]),
        ("score eq +2.5", &["a"]),
        ("score lt +0", &["b"]),
        // Ordering comparisons with null: false for every item.
        ("null lt seen", &[]),
        ("seen gt null", &[]),
        ("count le null", &[]),
        ("null ge null", &[]),
        // But `not` of such a comparison is true: the comparison is false,
        // not null.
        ("not (null lt seen)", &["a", "b", "c", "d", "e"]),
        // A lambda variable named like a property shadows it.
        ("tags/any(id: id eq 'Prod')", &["a"]),
        ("tags/any(id: id eq 'id')", &["e"]),
        (
            "tags/any(name: startswith(name, 'W')) and name eq 'Web01'",
            &["a"],
        ),
        ("tags/all(count: length(count) eq 4)", &["b", "c", "d"]),
        // `not(` without a space, and white space around the expression.
        ("not(count gt 0)", &["b", "c", "e"]),
        ("not(not(count gt 0))", &["a", "d"]),
        ("  (count eq 10)  ", &["a"]),
        ("\tcount eq 10\t", &["a"]),
        ("count eq(10)", &["a"]),
    ]);
}

/// `Ok(rendering)` of a valid filter, `Err(detail)` of an invalid one.
type Case = (&'static str, Result<&'static str, &'static str>);

const CASES: &[Case] = &[
    // Renderings show the tree.
    (
        "count add 1 mul 2 eq 12",
        Ok("(count add (1 mul 2)) eq 12"),
    ),
    ("count sub 2 sub 3 eq 5", Ok("((count sub 2) sub 3) eq 5")),
    (
        "count mul 2 div 3 mod 4 eq 1",
        Ok("(((count mul 2) div 3) mod 4) eq 1"),
    ),
    (
        "count add 1 gt count mul 2 and flag",
        Ok("((count add 1) gt (count mul 2)) and flag"),
    ),
    ("-count eq 7", Ok("(-count) eq 7")),
    ("- 5 eq count", Ok("(- 5) eq count"), ),
    ("--count eq 7", Ok("(--count) eq 7")),
    ("-(count add 1) eq 7", Ok("(-(count add 1)) eq 7")),
    ("count eq +405", Ok("count eq 405")),
    ("count eq -405", Ok("count eq -405")),
    ("score eq +1.5e1", Ok("score eq 15.0")),
    ("count sub -5 eq 0", Ok("(count sub -5) eq 0")),
    ("length(name) eq 5", Ok("length(name) eq 5")),
    ("substring(name,1,2) eq 'x'", Ok("substring(name, 1, 2) eq 'x'")),
    ("time(seen) lt 08:30", Ok("time(seen) lt 08:30:00")),
    ("time(seen) lt 08:30:05.1200", Ok("time(seen) lt 08:30:05.12")),
    ("date(seen) eq 2024-01-01", Ok("date(seen) eq 2024-01-01")),
    ("seen gt 2024-01-01", Ok("seen gt 2024-01-01")),
    ("null lt seen", Ok("null lt seen")),
    ("tags/any(id: id eq 'x')", Ok("tags/any(id: id eq 'x')")),
    ("not(flag)", Ok("not flag")),
    ("length(name) in (1, 2)", Ok("length(name) in (1, 2)")),
    // Function arguments.
    (
        "length(count) eq 1",
        Err("argument 1 of 'length' at position 0 must be a string, but 'count' (integer) at position 7 is not"),
    ),
    (
        "length(status) eq 1",
        Err("argument 1 of 'length' at position 0 must be a string, but 'status' (enum) at position 7 is not"),
    ),
    (
        "length(tags) eq 1",
        Err("argument 1 of 'length' at position 0 must be a string, but 'tags' (collection of strings) at position 7 is not; use any/all for collections"),
    ),
    (
        "length(null) eq 1",
        Err("argument 1 of 'length' at position 0 must be a string, but null at position 7 is not"),
    ),
    (
        "year(name) eq 2024",
        Err("argument 1 of 'year' at position 0 must be a date-time, but 'name' (string) at position 5 is not"),
    ),
    (
        "year(2024-01-01) eq 2024",
        Err("argument 1 of 'year' at position 0 must be a date-time, but a date at position 5 is not"),
    ),
    (
        "time(date(seen)) eq 10:00",
        Err("argument 1 of 'time' at position 0 must be a date-time, but the result of date (date) at position 5 is not"),
    ),
    (
        "substring(name, '1') eq 'x'",
        Err("argument 2 of 'substring' at position 0 must be an integer, but a string at position 16 is not"),
    ),
    (
        "substring(name, 1.5) eq 'x'",
        Err("argument 2 of 'substring' at position 0 must be an integer, but a decimal number at position 16 is not"),
    ),
    (
        "substring(name, 1, score) eq 'x'",
        Err("argument 3 of 'substring' at position 0 must be an integer, but 'score' (double) at position 19 is not"),
    ),
    (
        "indexof(name, 5) eq 1",
        Err("argument 2 of 'indexof' at position 0 must be a string, but an integer at position 14 is not"),
    ),
    (
        "substring(name) eq 'x'",
        Err("function 'substring' at position 0 takes 2 or 3 arguments, not 1"),
    ),
    (
        "substring(name, 1, 2, 3) eq 'x'",
        Err("function 'substring' at position 0 takes 2 or 3 arguments, not 4"),
    ),
    (
        "concat(name) eq 'x'",
        Err("function 'concat' at position 0 takes 2 arguments, not 1"),
    ),
    (
        "trim() eq 'x'",
        Err("function 'trim' at position 0 takes 1 argument, not 0"),
    ),
    (
        "Length(name) eq 1",
        Err("unknown function 'Length' at position 0; did you mean 'length'? Function names are case-sensitive"),
    ),
    // Results.
    (
        "length(name)",
        Err("the filter must be a condition, but the result of length (integer) at position 0 is not a boolean"),
    ),
    (
        "length(name) eq 'x'",
        Err("cannot compare the result of length (integer) with a string at position 16"),
    ),
    (
        "date(seen) eq seen",
        Err("cannot compare the result of date (date) with 'seen' (date-time) at position 11"),
    ),
    (
        "date(seen) eq 2024-01-01T00:00:00Z",
        Err("cannot compare the result of date (date) with a date-time at position 14"),
    ),
    (
        "time(seen) eq 2024-01-01",
        Err("cannot compare the result of time (time of day) with a date at position 14"),
    ),
    (
        "seen gt 10:00",
        Err("cannot compare 'seen' (date-time) with a time of day at position 8"),
    ),
    (
        "startswith(name, 'a') gt flag",
        Err("the result of startswith (boolean) at position 0 cannot be compared with 'gt' at position 22; booleans support only eq and ne"),
    ),
    // Arithmetic.
    (
        "name add 1 eq 2",
        Err("'add' at position 5 applies to numbers, but 'name' (string) at position 0 is not a number"),
    ),
    (
        "count add 'x' eq 2",
        Err("'add' at position 6 applies to numbers, but a string at position 10 is not a number"),
    ),
    (
        "count mul null eq 2",
        Err("'mul' at position 6 applies to numbers, but null at position 10 is not a number"),
    ),
    (
        "count sub seen eq 2",
        Err("'sub' at position 6 applies to numbers, but 'seen' (date-time) at position 10 is not a number"),
    ),
    (
        "count add 1 in (2, 3)",
        Err("'add' at position 6 applies to numbers, but a boolean expression at position 10 is not a number"),
    ),
    (
        "-name eq 'x'",
        Err("'-' at position 0 applies to numbers, but 'name' (string) at position 1 is not a number"),
    ),
    (
        "-flag",
        Err("'-' at position 0 applies to numbers, but 'flag' (boolean) at position 1 is not a number"),
    ),
    (
        "count add 1",
        Err("the filter must be a condition, but an integer expression at position 0 is not a boolean"),
    ),
    (
        "score div 2",
        Err("the filter must be a condition, but a double expression at position 0 is not a boolean"),
    ),
    (
        "count add 1 eq 'x'",
        Err("cannot compare an integer expression with a string at position 15"),
    ),
    ("count div", Err("expected a value at position 9, found the end of the filter")),
    ("count eq -", Err("expected a value at position 10, found the end of the filter")),
    ("add eq 1", Err("expected a value at position 0, found the operator 'add'")),
    (
        "count ADD 1 eq 2",
        Err("unknown operator 'ADD' at position 6; did you mean 'add'? Keywords are case-sensitive"),
    ),
    (
        "count + 1 eq 2",
        Err("unexpected character '+' at position 6"),
    ),
    (
        "count eq 10 add",
        Err("expected a value at position 15, found the end of the filter"),
    ),
    // Literals.
    (
        "time(seen) lt 25:00",
        Err("invalid time-of-day literal '25:00' at position 14; expected hh:mm, hh:mm:ss or hh:mm:ss.fffffff (at most 7 fractional digits)"),
    ),
    (
        "time(seen) lt 10:00:00.12345678",
        Err("invalid time-of-day literal '10:00:00.12345678' at position 14; expected hh:mm, hh:mm:ss or hh:mm:ss.fffffff (at most 7 fractional digits)"),
    ),
    (
        "time(seen) lt 10:0",
        Err("invalid time-of-day literal '10:0' at position 14; expected hh:mm, hh:mm:ss or hh:mm:ss.fffffff (at most 7 fractional digits)"),
    ),
    (
        "name eq 'a\u{0}b'",
        Err("the string literal at position 8 contains the character U+0000, which is not allowed"),
    ),
    (
        "name in ('x', 'a\u{0}')",
        Err("the string literal at position 14 contains the character U+0000, which is not allowed"),
    ),
    (
        "tags/any(t: t eq '\u{0}')",
        Err("the string literal at position 17 contains the character U+0000, which is not allowed"),
    ),
    (
        "count eq +-5",
        Err("unexpected character '+' at position 9"),
    ),
    // Lambda variables still may not be reused by a nested lambda, and a
    // shadowing variable is a string, not the property.
    (
        "tags/any(count: count add 1 eq 2)",
        Err("'add' at position 22 applies to numbers, but the lambda variable 'count' (string) at position 16 is not a number"),
    ),
];

#[test]
fn language_table() {
    let mut failures = Vec::new();
    for (input, expected) in CASES {
        let got = parse_filter(schema(), input)
            .map(|expr| expr.to_string())
            .map_err(|err| {
                assert_eq!(err.code(), ErrorCode::ODataError, "{input:?}");
                err.message().to_owned()
            });
        let expected = expected
            .map(str::to_owned)
            .map_err(|detail| odata_message("$filter", detail));
        if got != expected {
            failures.push(format!("{input:?}\n   got: {got:?}\n  want: {expected:?}"));
        }
        // Every accepted filter renders as text that reads back the same.
        if let Ok(rendered) = &got {
            let again = parse_filter(schema(), rendered)
                .map(|e| e.to_string())
                .map_err(|err| err.message().to_owned());
            if again.as_ref() != Ok(rendered) {
                failures.push(format!(
                    "{input:?} renders as {rendered:?}, read back as {again:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn new_constructs_build_the_expected_tree() {
    let expr = parse_filter(schema(), "-count add substring(name, 1) eq 08:30").unwrap_err();
    assert_eq!(
        expr.message(),
        odata_message(
            "$filter",
            "'add' at position 7 applies to numbers, but the result of substring (string) at position 11 is not a number"
        )
    );

    let expr = parse_filter(schema(), "-count mod 3 eq +1").unwrap();
    assert_eq!(
        expr,
        Expr::Compare {
            op: defender_odata::CompareOp::Eq,
            left: Box::new(Expr::Arithmetic {
                op: ArithmeticOp::Mod,
                left: Box::new(Expr::Negate {
                    operand: Box::new(Expr::Property {
                        name: "count".into(),
                        pos: 1
                    }),
                    pos: 0
                }),
                right: Box::new(Expr::Literal {
                    value: Literal::Integer(3),
                    pos: 11
                }),
                pos: 7,
            }),
            right: Box::new(Expr::Literal {
                value: Literal::Integer(1),
                pos: 16
            }),
            pos: 13,
        }
    );

    let expr = parse_filter(schema(), "time(seen) ge 08:30:00.5").unwrap();
    let Expr::Compare { left, right, .. } = &expr else {
        panic!("{expr:?}")
    };
    assert!(matches!(
        **left,
        Expr::Call {
            function: Function::Time,
            pos: 0,
            ..
        }
    ));
    assert_eq!(
        **right,
        Expr::Literal {
            value: Literal::TimeOfDay(TimeOfDay::new(8, 30, 0, 500_000_000).unwrap()),
            pos: 14
        }
    );

    // Inside the lambda `id` is the variable; outside, the property.
    let expr = parse_filter(schema(), "tags/any(id: id eq 'x') and id eq 'a'").unwrap();
    let Expr::And(operands) = &expr else {
        panic!("{expr:?}")
    };
    let Expr::Lambda {
        predicate: Some((variable, body)),
        ..
    } = &operands[0]
    else {
        panic!("{expr:?}")
    };
    assert_eq!(variable, "id");
    assert!(
        matches!(&**body, Expr::Compare { left, .. } if matches!(**left, Expr::Variable { pos: 13, .. }))
    );
    assert!(
        matches!(&operands[1], Expr::Compare { left, .. } if matches!(**left, Expr::Property { pos: 28, .. }))
    );
}

#[test]
fn arithmetic_chains_count_toward_the_depth_limit() {
    let schema = Schema::builder()
        .property("n", T::Integer, C::ALL)
        .max_filter_length(usize::MAX)
        .build();
    // 32 links nest 31 levels deep: accepted; 34 links are refused.
    let ok = format!("n{} eq 0", " add 1".repeat(32));
    assert!(parse_filter(&schema, &ok).is_ok());
    let deep = format!("n{} eq 0", " add 1".repeat(10_000));
    assert_eq!(
        parse_filter(&schema, &deep).unwrap_err().message(),
        odata_message(
            "$filter",
            "the filter is nested deeper than 32 levels at position 200"
        )
    );
    let negations = format!("{}n eq 0", "-".repeat(10_000));
    assert_eq!(
        parse_filter(&schema, &negations).unwrap_err().message(),
        odata_message(
            "$filter",
            "the filter is nested deeper than 32 levels at position 32"
        )
    );
}

#[cfg(feature = "axum")]
mod through_axum {
    use axum::body::Body;
    use axum::routing::get;
    use axum::{Json, Router};
    use defender_errors::DefenderErrorLayer;
    use defender_odata::{ODataQuery, Page};
    use http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::{items, schema};

    async fn list(query: ODataQuery) -> Json<Page> {
        Json(query.page(&items()))
    }

    async fn send(uri: &str) -> (StatusCode, String) {
        let app: Router = Router::new()
            .route("/items", get(list))
            .with_state(schema().clone())
            .layer(DefenderErrorLayer::new());
        let response = app
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn signed_literals_and_null_comparisons_over_http() {
        // `%2B` is the `+` of `+10`; a bare `+` would be a space.
        let (status, body) = send("/items?$filter=count%20eq%20%2B10&$select=id").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"value":[{"id":"a"}]}"#)
        );
        let (status, body) = send("/items?$filter=count+eq+-7&$select=id").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"value":[{"id":"b"}]}"#)
        );
        let (status, body) = send("/items?$filter=null%20lt%20seen&$count=true").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"@odata.count":0,"value":[]}"#)
        );
        let (status, body) =
            send("/items?$filter=tags/any(id:id%20eq%20%27Prod%27)&$select=id").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"value":[{"id":"a"}]}"#)
        );
        let (status, body) = send(
            "/items?$filter=year(seen)%20eq%202024%20and%20count%20mod%202%20eq%20-1&$select=id,count",
        )
        .await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, r#"{"value":[{"count":-7,"id":"b"}]}"#)
        );
    }

    #[tokio::test]
    async fn a_type_error_in_a_function_is_a_400_envelope() {
        let (status, body) = send("/items?$filter=length(count)%20eq%201").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"]["code"], "ODataError");
        assert_eq!(
            body["error"]["message"],
            "Invalid OData URI query $filter: argument 1 of 'length' at position 0 must be a string, but 'count' (integer) at position 7 is not."
        );
    }
}
