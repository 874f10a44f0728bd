//! The OData module through its public API: the `$filter` language, the
//! other system query options, query-string decoding, evaluation, and the
//! axum extractor behind `DefenderErrorLayer`.

mod spoofing;

use std::sync::LazyLock;

use defender_errors::ErrorCode;
use defender_odata::{
    parse_filter, Capabilities as C, CompareOp, DateTimeOffset, Expr, Function, LambdaKind,
    Literal, ODataQuery, ODataSchema, OrderBy, PropertyType as T, Schema,
};
use proptest::prelude::*;
use serde_json::{json, Value};

mod functions;
mod ordering;

fn machines_schema() -> Schema {
    Schema::builder()
        .property("id", T::String, C::ALL)
        .property("computerDnsName", T::String, C::ALL)
        .property(
            "healthStatus",
            T::enumeration([
                "Active",
                "Inactive",
                "ImpairedCommunication",
                "NoSensorData",
            ]),
            C::ALL,
        )
        .property(
            "riskScore",
            T::enumeration(["None", "Low", "Medium", "High"]),
            C::ALL,
        )
        .property("lastSeen", T::DateTime, C::ALL)
        .property("rbacGroupId", T::Integer, C::ALL)
        .property("exposureScore", T::Double, C::ALL)
        .property("isAadJoined", T::Boolean, C::ALL)
        .property("aadDeviceId", T::Guid, C::ALL)
        .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
        .property("osPlatform", T::String, C::SORT | C::SELECT)
        .property("internalNotes", T::String, C::FILTER)
        .expandable("evidence")
        .build()
}

struct Machines;

impl ODataSchema for Machines {
    fn schema() -> &'static Schema {
        static SCHEMA: LazyLock<Schema> = LazyLock::new(machines_schema);
        &SCHEMA
    }
}

fn schema() -> &'static Schema {
    Machines::schema()
}

/// The full message of an `ODataError` about `option`.
fn odata_message(option: &str, detail: &str) -> String {
    format!("Invalid OData URI query {option}: {detail}.")
}

/// `Ok(rendering)` of a valid filter, `Err(detail)` of an invalid one.
type Case = (&'static str, Result<&'static str, &'static str>);

const FILTERS: &[Case] = &[
    // Valid: the canonical rendering puts every compound operand in parentheses.
    (
        "healthStatus eq 'Active' and lastSeen gt 2024-01-01T00:00:00Z",
        Ok("(healthStatus eq 'Active') and (lastSeen gt 2024-01-01T00:00:00Z)"),
    ),
    ("machineTags/any(tag: tag eq 'Prod')", Ok("machineTags/any(tag: tag eq 'Prod')")),
    (
        "id eq 'a' and id eq 'b' or id eq 'c' and id eq 'd'",
        Ok("((id eq 'a') and (id eq 'b')) or ((id eq 'c') and (id eq 'd'))"),
    ),
    (
        "id eq 'a' and (id eq 'b' or id eq 'c')",
        Ok("(id eq 'a') and ((id eq 'b') or (id eq 'c'))"),
    ),
    (
        "id eq 'a' or id eq 'b' or id eq 'c'",
        Ok("(id eq 'a') or (id eq 'b') or (id eq 'c')"),
    ),
    ("not (id eq 'x')", Ok("not (id eq 'x')")),
    ("not isAadJoined", Ok("not isAadJoined")),
    ("not not isAadJoined", Ok("not not isAadJoined")),
    ("isAadJoined", Ok("isAadJoined")),
    ("isAadJoined eq true", Ok("isAadJoined eq true")),
    ("isAadJoined ne false", Ok("isAadJoined ne false")),
    ("rbacGroupId in (1, 2, 3)", Ok("rbacGroupId in (1, 2, 3)")),
    ("rbacGroupId in (1,2)", Ok("rbacGroupId in (1, 2)")),
    (
        "healthStatus in ('Active', 'Inactive')",
        Ok("healthStatus in ('Active', 'Inactive')"),
    ),
    ("riskScore ge 'Medium'", Ok("riskScore ge 'Medium'")),
    ("'Medium' le riskScore", Ok("'Medium' le riskScore")),
    (
        "startswith(computerDnsName, 'web')",
        Ok("startswith(computerDnsName, 'web')"),
    ),
    ("endswith(computerDnsName,'.com')", Ok("endswith(computerDnsName, '.com')")),
    (
        "tolower(computerDnsName) eq 'web01'",
        Ok("tolower(computerDnsName) eq 'web01'"),
    ),
    ("contains(toupper(id), 'AB')", Ok("contains(toupper(id), 'AB')")),
    ("lastSeen gt 2024-01-01", Ok("lastSeen gt 2024-01-01")),
    ("lastSeen gt 2018-08-01Z", Ok("lastSeen gt 2018-08-01")),
    (
        "lastSeen ge 2024-01-01T10:00:00.123+02:00",
        Ok("lastSeen ge 2024-01-01T10:00:00.123+02:00"),
    ),
    ("lastSeen lt 2024-01-01T10:00Z", Ok("lastSeen lt 2024-01-01T10:00:00Z")),
    ("lastSeen eq null", Ok("lastSeen eq null")),
    ("null ne lastSeen", Ok("null ne lastSeen")),
    ("id eq 'it''s'", Ok("id eq 'it''s'")),
    ("id eq ''", Ok("id eq ''")),
    ("rbacGroupId eq -5", Ok("rbacGroupId eq -5")),
    ("exposureScore gt 1.5", Ok("exposureScore gt 1.5")),
    ("exposureScore gt 1e3", Ok("exposureScore gt 1000.0")),
    ("exposureScore ge 3", Ok("exposureScore ge 3")),
    ("rbacGroupId lt 2.5", Ok("rbacGroupId lt 2.5")),
    (
        "aadDeviceId eq 8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f",
        Ok("aadDeviceId eq 8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f"),
    ),
    (
        "aadDeviceId eq '8B8E7E1A-43A4-4A4A-9D5B-1A2B3C4D5E6F'",
        Ok("aadDeviceId eq '8B8E7E1A-43A4-4A4A-9D5B-1A2B3C4D5E6F'"),
    ),
    ("machineTags/any()", Ok("machineTags/any()")),
    (
        "machineTags/all(t: startswith(t, 'x'))",
        Ok("machineTags/all(t: startswith(t, 'x'))"),
    ),
    (
        "machineTags/any(t: machineTags/any(u: u eq t))",
        Err("'any' on 'machineTags' at position 19 is inside the predicate of 'any' on 'machineTags' at position 0; lambdas cannot be nested, join them with 'and' or 'or' instead"),
    ),
    (
        "machineTags/any(t: t eq 'a' or t eq 'b') and riskScore eq 'High'",
        Ok("machineTags/any(t: (t eq 'a') or (t eq 'b')) and (riskScore eq 'High')"),
    ),
    ("((id eq 'x'))", Ok("id eq 'x'")),
    ("  id   eq\t'x'  ", Ok("id eq 'x'")),
    ("true", Ok("true")),
    ("1 eq 1", Ok("1 eq 1")),
    ("rbacGroupId eq 1 eq true", Ok("(rbacGroupId eq 1) eq true")),
    ("internalNotes eq 'x'", Ok("internalNotes eq 'x'")),
    // Unknown and disallowed properties.
    ("helthStatus eq 'Active'", Err("unknown property 'helthStatus' at position 0")),
    (
        "HealthStatus eq 'Active'",
        Err("unknown property 'HealthStatus' at position 0; did you mean 'healthStatus'? Property names are case-sensitive"),
    ),
    ("id eq 'é' and bogus eq 1", Err("unknown property 'bogus' at position 14")),
    (
        "osPlatform eq 'Windows10'",
        Err("property 'osPlatform' at position 0 cannot be used in $filter"),
    ),
    (
        "TRUE",
        Err("unknown property 'TRUE' at position 0; did you mean 'true'? Keywords are case-sensitive"),
    ),
    // Type errors.
    (
        "not id eq 'x'",
        Err("'not' at position 0 applies to 'id' (string) at position 4, which is not a boolean; put a comparison in parentheses: not (… eq …)"),
    ),
    (
        "isAadJoined gt true",
        Err("'isAadJoined' (boolean) at position 0 cannot be compared with 'gt' at position 12; booleans support only eq and ne"),
    ),
    (
        "healthStatus in ('Active', 'Bogus')",
        Err("'Bogus' at position 27 is not a value of 'healthStatus' (enum); expected one of 'Active', 'Inactive', 'ImpairedCommunication', 'NoSensorData'"),
    ),
    (
        "healthStatus eq 'active'",
        Err("'active' at position 16 is not a value of 'healthStatus' (enum); did you mean 'Active'? Values are case-sensitive"),
    ),
    (
        "healthStatus eq 5",
        Err("cannot compare 'healthStatus' (enum) with an integer at position 16"),
    ),
    (
        "rbacGroupId eq '5'",
        Err("cannot compare 'rbacGroupId' (integer) with a string at position 15"),
    ),
    (
        "id eq computerDnsName eq 'x'",
        Err("cannot compare a boolean expression with a string at position 25"),
    ),
    (
        "startswith(rbacGroupId, 'web')",
        Err("argument 1 of 'startswith' at position 0 must be a string, but 'rbacGroupId' (integer) at position 11 is not"),
    ),
    (
        "contains(machineTags, 'x')",
        Err("argument 1 of 'contains' at position 0 must be a string, but 'machineTags' (collection of strings) at position 9 is not; use any/all for collections"),
    ),
    (
        "contains(healthStatus, 'Act')",
        Err("argument 1 of 'contains' at position 0 must be a string, but 'healthStatus' (enum) at position 9 is not"),
    ),
    (
        "lastSeen gt '2024-01-01'",
        Err("cannot compare 'lastSeen' (date-time) with a string at position 12; write date-times without quotes, as in 2024-01-01"),
    ),
    // Ordering comparisons with null are accepted, as ODataLib accepts them
    // (false for every item).
    ("lastSeen gt null", Ok("lastSeen gt null")),
    ("null lt lastSeen", Ok("null lt lastSeen")),
    (
        "aadDeviceId eq 'nope'",
        Err("'nope' at position 15 is not a GUID, so it cannot be compared with 'aadDeviceId' (GUID)"),
    ),
    (
        "machineTags eq 'x'",
        Err("'machineTags' (collection of strings) at position 0 cannot be compared with 'eq'; test its members with machineTags/any(x: x eq …)"),
    ),
    (
        "healthStatus",
        Err("the filter must be a condition, but 'healthStatus' (enum) at position 0 is not a boolean"),
    ),
    (
        "tolower(id)",
        Err("the filter must be a condition, but the result of tolower (string) at position 0 is not a boolean"),
    ),
    (
        "id eq 'x' and rbacGroupId",
        Err("'and' joins conditions, but 'rbacGroupId' (integer) at position 14 is not a boolean"),
    ),
    // Lambda variables.
    (
        "machineTags/any(t: t eq 5)",
        Err("cannot compare the lambda variable 't' (string) with an integer at position 24"),
    ),
    (
        "machineTags/any(t: t)",
        Err("the predicate of 'any' at position 0 must be a condition, but the lambda variable 't' (string) at position 19 is not a boolean"),
    ),
    (
        "machineTags/any(t: t eq 'x') and t eq 'y'",
        Err("unknown property 't' at position 33; 't' is a lambda variable and exists only inside its any/all"),
    ),
    (
        "machineTags/any(t: machineTags/all(u: u ne t))",
        Err("'all' on 'machineTags' at position 19 is inside the predicate of 'any' on 'machineTags' at position 0; lambdas cannot be nested, join them with 'and' or 'or' instead"),
    ),
    (
        "machineTags/all(t: t eq 'x' or not machineTags/any())",
        Err("'any' on 'machineTags' at position 35 is inside the predicate of 'all' on 'machineTags' at position 0; lambdas cannot be nested, join them with 'and' or 'or' instead"),
    ),
    (
        "machineTags/any(t: machineTags/any(t: t eq 'x'))",
        Err("lambda variable 't' at position 35 is already in use by an enclosing lambda"),
    ),
    (
        "machineTags/any(t: t/any(u: u eq 'x'))",
        Err("'t' at position 19 is a lambda variable, a single string; 'any' applies to collection properties"),
    ),
    // A lambda variable named like a property shadows it in the predicate.
    ("machineTags/any(id: id eq 'x')", Ok("machineTags/any(id: id eq 'x')")),
    (
        "healthStatus/any(t: t eq 'x')",
        Err("'any' applies to collection properties, but 'healthStatus' at position 0 is an enum"),
    ),
    (
        "machineTags/all()",
        Err("'all' at position 12 needs a predicate, as in machineTags/all(x: x eq '…')"),
    ),
    (
        "machineTags/Any(t: t eq 'x')",
        Err("unknown lambda operator 'Any' at position 12; did you mean 'any'? Operators are case-sensitive"),
    ),
    (
        "machineTags/any(t t eq 'x')",
        Err("expected ':' after the lambda variable 't' at position 16, found 't'"),
    ),
    (
        "machineTags/foo",
        Err("expected 'any' or 'all' after '/' at position 11, found 'foo'; paths into properties are not supported"),
    ),
    // Syntax errors.
    ("id eq 'unterminated", Err("unterminated string literal starting at position 6")),
    (
        "id eq \"x\"",
        Err("unexpected character '\"' at position 6; string literals are quoted with single quotes"),
    ),
    ("id == 'x'", Err("unexpected '==' at position 3; use 'eq' for equality")),
    ("id != 'x'", Err("unexpected '!=' at position 3; use 'ne' for inequality")),
    ("rbacGroupId >= 2", Err("unexpected '>=' at position 12; use 'ge'")),
    (
        "id EQ 'x'",
        Err("unknown operator 'EQ' at position 3; did you mean 'eq'? Keywords are case-sensitive"),
    ),
    (
        "id eq 'x' AND id eq 'y'",
        Err("unknown operator 'AND' at position 10; did you mean 'and'? Keywords are case-sensitive"),
    ),
    (
        "id eq 'x' foo",
        Err("unexpected 'foo' at position 10; expected an operator or the end of the filter"),
    ),
    ("(id eq 'x'", Err("expected ')' at position 10 to close '(' at position 0")),
    (
        "(id eq 'x' id",
        Err("unexpected 'id' at position 11; expected an operator or ')' to close '(' at position 0"),
    ),
    ("id eq 'x')", Err("unexpected ')' at position 9 without a matching '('")),
    ("id eq", Err("expected a value at position 5, found the end of the filter")),
    ("id eq 'x' or", Err("expected a value at position 12, found the end of the filter")),
    ("eq 'x'", Err("expected a value at position 0, found the operator 'eq'")),
    ("id eq ,", Err("expected a value at position 6, found ','")),
    ("", Err("the filter is empty")),
    ("   ", Err("the filter is empty")),
    (
        "rbacGroupId eq 99999999999999999999",
        Err("integer '99999999999999999999' at position 15 is out of range"),
    ),
    ("exposureScore eq 1e999", Err("number '1e999' at position 17 is out of range")),
    ("rbacGroupId eq 12abc", Err("invalid number '12abc' at position 15")),
    (
        "lastSeen gt 2024-13-01",
        Err("invalid date-time literal '2024-13-01' at position 12; expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss followed by Z or an offset"),
    ),
    (
        "lastSeen gt 2024-01-01T10:00:00 02:00",
        Err("date-time literal '2024-01-01T10:00:00' at position 12 is followed by a space where its offset's '+' should be; a '+' in a query string means a space, so encode it as %2B"),
    ),
    (
        "StartsWith(computerDnsName, 'web')",
        Err("unknown function 'StartsWith' at position 0; did you mean 'startswith'? Function names are case-sensitive"),
    ),
    (
        "substringof('web', computerDnsName)",
        Err("unknown function 'substringof' at position 0; the supported functions are startswith, endswith, contains, tolower, toupper, length, indexof, substring, concat, trim, year, month, day, hour, minute, second, date and time"),
    ),
    (
        "startswith(id)",
        Err("function 'startswith' at position 0 takes 2 arguments, not 1"),
    ),
    (
        "tolower(id, 'x') eq 'a'",
        Err("function 'tolower' at position 0 takes 1 argument, not 2"),
    ),
    (
        "startswith(id 'a')",
        Err("expected ',' or ')' at position 14 in the arguments of 'startswith' at position 0, found 'a'"),
    ),
    ("id in ()", Err("the list after 'in' at position 3 is empty")),
    (
        "id in ('a' 'b')",
        Err("expected ',' or ')' at position 11 in the list after 'in' at position 3, found 'b'"),
    ),
    (
        "id in (computerDnsName)",
        Err("expected a literal at position 7 in the list after 'in' at position 3, found 'computerDnsName'"),
    ),
    ("id in 'a'", Err("expected '(' after 'in' at position 3, found 'a'")),
    ("ïd eq 1", Err("unexpected character 'ï' at position 0")),
    ("id has 'x'", Err("the operator 'has' at position 3 is not supported")),
    (
        "id eq 'x' not",
        Err("unexpected 'not' at position 10; expected an operator or the end of the filter"),
    ),
    (
        "id eq 'a\nb'x",
        Err("unexpected 'x' at position 11; expected an operator or the end of the filter"),
    ),
    ("id eq 'x' &", Err("unexpected character '&' at position 10")),
];

#[test]
fn filter_table() {
    assert!(FILTERS.len() >= 60, "{} cases", FILTERS.len());
    let mut failures = Vec::new();
    for (input, expected) in FILTERS {
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
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn filters_build_the_expected_tree() {
    let expr = parse_filter(schema(), "healthStatus eq 'Active' and not isAadJoined").unwrap();
    assert_eq!(
        expr,
        Expr::And(vec![
            Expr::Compare {
                op: CompareOp::Eq,
                left: Box::new(Expr::Property {
                    name: "healthStatus".into(),
                    pos: 0
                }),
                right: Box::new(Expr::Literal {
                    value: Literal::String("Active".into()),
                    pos: 16
                }),
                pos: 13,
            },
            Expr::Not {
                operand: Box::new(Expr::Property {
                    name: "isAadJoined".into(),
                    pos: 33
                }),
                pos: 29,
            },
        ])
    );

    let expr = parse_filter(schema(), "machineTags/any(t: startswith(t, 'Pr'))").unwrap();
    assert_eq!(
        expr,
        Expr::Lambda {
            kind: LambdaKind::Any,
            collection: "machineTags".into(),
            pos: 0,
            predicate: Some((
                "t".into(),
                Box::new(Expr::Call {
                    function: Function::StartsWith,
                    args: vec![
                        Expr::Variable {
                            name: "t".into(),
                            pos: 30
                        },
                        Expr::Literal {
                            value: Literal::String("Pr".into()),
                            pos: 33
                        },
                    ],
                    pos: 19,
                }),
            )),
        }
    );

    let expr = parse_filter(schema(), "lastSeen in (2024-01-01T02:00:00+02:00, null)").unwrap();
    let Expr::In { items, .. } = &expr else {
        panic!("{expr:?}")
    };
    assert_eq!(
        items[0],
        Expr::Literal {
            value: Literal::DateTime(DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap()),
            pos: 13
        }
    );
    assert_eq!(
        items[1],
        Expr::Literal {
            value: Literal::Null,
            pos: 40
        }
    );
}

#[test]
fn filter_depth_and_length_are_bounded() {
    let deep = format!("{}id eq 'x'{}", "(".repeat(100_000), ")".repeat(100_000));
    let err = parse_filter(schema(), &deep).unwrap_err();
    assert_eq!(
        err.message(),
        odata_message(
            "$filter",
            "the filter is 200009 characters long, more than the maximum of 4096"
        )
    );

    let roomy = Schema::builder()
        .property("id", T::String, C::ALL)
        .property("flag", T::Boolean, C::ALL)
        .max_filter_length(usize::MAX)
        .build();
    let err = parse_filter(&roomy, &deep).unwrap_err();
    assert_eq!(
        err.message(),
        odata_message(
            "$filter",
            "the filter is nested deeper than 32 levels at position 32"
        )
    );
    let nots = format!("{}flag", "not ".repeat(100_000));
    let err = parse_filter(&roomy, &nots).unwrap_err();
    assert_eq!(
        err.message(),
        odata_message(
            "$filter",
            "the filter is nested deeper than 32 levels at position 128"
        )
    );
    let chain = format!("flag{}", " eq true".repeat(100_000));
    assert!(parse_filter(&roomy, &chain)
        .unwrap_err()
        .message()
        .contains("nested deeper than 32 levels"));
    // A long flat chain of `and` is not deep.
    let flat = vec!["flag"; 10_000].join(" and ");
    assert!(parse_filter(&roomy, &flat).is_ok());

    let shallow = Schema::builder()
        .property("id", T::String, C::ALL)
        .max_filter_depth(2)
        .max_filter_length(20)
        .build();
    assert!(parse_filter(&shallow, "((id eq 'x'))").is_ok());
    assert_eq!(
        parse_filter(&shallow, "(((id eq 'x')))")
            .unwrap_err()
            .message(),
        odata_message(
            "$filter",
            "the filter is nested deeper than 2 levels at position 2"
        )
    );
    assert_eq!(
        parse_filter(&shallow, "id eq 'aaaaaaaaaaaaaaa'")
            .unwrap_err()
            .message(),
        odata_message(
            "$filter",
            "the filter is 23 characters long, more than the maximum of 20"
        )
    );
    // Characters, not bytes.
    assert!(parse_filter(&shallow, "id eq 'éééééééééééé'").is_ok());
}

#[test]
fn echoed_input_is_cut_and_escaped() {
    let long = format!("{} eq 1", "x".repeat(1000));
    let message = parse_filter(schema(), &long)
        .unwrap_err()
        .message()
        .to_owned();
    assert!(message.starts_with("Invalid OData URI query $filter: unknown property 'xxxx"));
    assert!(message.len() < 400, "{message}");
    assert!(message.ends_with("…' at position 0."));

    let message = parse_filter(schema(), "id eq\n'x'")
        .unwrap_err()
        .message()
        .to_owned();
    assert_eq!(
        message,
        odata_message("$filter", "unexpected character '\\n' at position 5")
    );
}

#[test]
fn rendering_escapes_control_characters_in_literals() {
    let expr = parse_filter(
        schema(),
        "id eq 'a\r\nINFO forged\u{1b}[31m' or id in ('it''s', '\u{7}\t')",
    )
    .unwrap();
    let rendered = expr.to_string();
    assert_eq!(
        rendered,
        "(id eq 'a\\r\\nINFO forged\\u{1b}[31m') or (id in ('it''s', '\\u{7}\\t'))"
    );
    assert!(!rendered.chars().any(char::is_control));
    let Expr::Or(operands) = &expr else {
        panic!("{expr:?}")
    };
    let Expr::Compare { right, .. } = &operands[0] else {
        panic!("{expr:?}")
    };
    assert_eq!(right.to_string(), "'a\\r\\nINFO forged\\u{1b}[31m'");

    // Trees and order keys built by hand are escaped too.
    let hand = Expr::Lambda {
        kind: LambdaKind::Any,
        collection: "tags\n".into(),
        pos: 0,
        predicate: Some((
            "t\r".into(),
            Box::new(Expr::Property {
                name: "x\u{1b}".into(),
                pos: 0,
            }),
        )),
    };
    assert_eq!(hand.to_string(), "tags\\n/any(t\\r: x\\u{1b})");
    assert_eq!(OrderBy::desc("id\n").to_string(), "id\\n desc");
}

/// Reproduction 4 of issue 10: 32 nested lambdas over one collection cost
/// k^32 evaluations per item. Nesting is refused when the filter is
/// checked, before any item is read (the evaluator's own tests bound the
/// work of every filter that is accepted).
#[test]
fn nested_lambdas_are_refused_before_evaluation() {
    let depth = 32;
    let mut filter = String::new();
    for i in 0..depth {
        filter.push_str(&format!("machineTags/any(v{i}: "));
    }
    filter.push_str(&format!("v{} eq 'nomatch'", depth - 1));
    filter.push_str(&")".repeat(depth));
    // The issue's filter had this shape and 688 characters: well within
    // the default length limit.
    assert_eq!(filter.len(), 710);
    assert_eq!(
        parse_filter(schema(), &filter).unwrap_err().message(),
        odata_message(
            "$filter",
            "'any' on 'machineTags' at position 20 is inside the predicate of 'any' on 'machineTags' at position 0; lambdas cannot be nested, join them with 'and' or 'or' instead"
        )
    );
    // Two levels are refused as well: the cost of the second is per member
    // of the first.
    assert!(parse_filter(schema(), "machineTags/any(a: machineTags/any(b: b eq a))").is_err());
    // What nesting would express is written with `and`/`or`.
    assert!(parse_filter(
        schema(),
        "machineTags/any(a: a eq 'x') and machineTags/all(b: b ne 'y')"
    )
    .is_ok());
}

// ---------------------------------------------------------------------------
// The other options and the query string.

fn parse(raw: &str) -> Result<ODataQuery, String> {
    ODataQuery::parse(schema(), Some(raw)).map_err(|err| {
        assert_eq!(err.code(), ErrorCode::ODataError, "{raw:?}");
        err.message().to_owned()
    })
}

fn parse_err(raw: &str) -> String {
    match parse(raw) {
        Ok(query) => panic!("{raw:?} was accepted: {query:?}"),
        Err(message) => message,
    }
}

#[test]
fn no_query_and_empty_query() {
    for raw in [None, Some(""), Some("&&"), Some("name=x&other")] {
        let query = ODataQuery::parse(schema(), raw).unwrap();
        assert!(query.filter().is_none());
        assert_eq!(query.top(), None);
        assert_eq!(query.skip(), None);
        assert!(query.order_by().is_empty());
        assert!(query.select().is_empty());
        assert!(query.expand().is_empty());
        assert!(!query.count());
    }
}

#[test]
fn all_options_together() {
    let query = parse(
        "$filter=riskScore eq 'High'&$top=100&$skip=200&$orderby=lastSeen desc, id&$select=id,computerDnsName&$expand=evidence&$count=true&api-version=2",
    )
    .unwrap();
    assert_eq!(query.filter().unwrap().to_string(), "riskScore eq 'High'");
    assert_eq!(query.top(), Some(100));
    assert_eq!(query.skip(), Some(200));
    assert_eq!(
        query.order_by(),
        [OrderBy::desc("lastSeen"), OrderBy::asc("id"),]
    );
    assert_eq!(query.select(), ["id", "computerDnsName"]);
    assert_eq!(query.expand(), ["evidence"]);
    assert!(query.count());
}

#[test]
fn top_and_skip() {
    assert_eq!(parse("$top=0").unwrap().top(), Some(0));
    assert_eq!(parse("$top=10000").unwrap().top(), Some(10_000));
    assert_eq!(
        parse_err("$top=10001"),
        odata_message("$top", "10001 is more than the maximum of 10000")
    );
    assert_eq!(
        parse_err("$top=-1"),
        odata_message("$top", "'-1' is not a non-negative integer")
    );
    assert_eq!(
        parse_err("$top=ten"),
        odata_message("$top", "'ten' is not a non-negative integer")
    );
    assert_eq!(
        parse_err("$top= 5"),
        odata_message("$top", "' 5' is not a non-negative integer")
    );
    assert_eq!(
        parse_err("$top="),
        odata_message(
            "$top",
            "the value is empty; expected a non-negative integer"
        )
    );
    assert_eq!(
        parse_err("$skip=99999999999999999999999"),
        odata_message("$skip", "99999999999999999999999 is too large")
    );
    assert_eq!(
        parse("$skip=18446744073709551615").unwrap().skip(),
        Some(u64::MAX)
    );
    let small = Schema::builder()
        .property("id", T::String, C::ALL)
        .max_top(50)
        .build();
    assert_eq!(
        ODataQuery::parse(&small, Some("$top=51"))
            .unwrap_err()
            .message(),
        odata_message("$top", "51 is more than the maximum of 50")
    );
}

#[test]
fn count() {
    assert!(parse("$count=true").unwrap().count());
    assert!(!parse("$count=false").unwrap().count());
    assert_eq!(
        parse_err("$count=True"),
        odata_message(
            "$count",
            "'True' is not a boolean; did you mean 'true'? Values are case-sensitive"
        )
    );
    assert_eq!(
        parse_err("$count=1"),
        odata_message("$count", "'1' is not 'true' or 'false'")
    );
}

#[test]
fn orderby() {
    let query = parse("$orderby=lastSeen desc,riskScore asc,  id").unwrap();
    let keys: Vec<String> = query.order_by().iter().map(ToString::to_string).collect();
    assert_eq!(keys, ["lastSeen desc", "riskScore asc", "id asc"]);
    assert_eq!(
        parse("$orderby=osPlatform").unwrap().order_by()[0].property,
        "osPlatform"
    );

    let cases = [
        ("lastseen", "unknown property 'lastseen' at position 0; did you mean 'lastSeen'? Property names are case-sensitive"),
        ("id,bogus desc", "unknown property 'bogus' at position 3"),
        ("machineTags", "property 'machineTags' at position 0 is not sortable"),
        ("internalNotes", "property 'internalNotes' at position 0 is not sortable"),
        ("id DESC", "unknown direction 'DESC' at position 3; did you mean 'desc'? Keywords are case-sensitive"),
        ("id up", "expected 'asc' or 'desc' at position 3, found 'up'"),
        ("id desc lastSeen", "unexpected 'lastSeen' at position 8; separate properties with ','"),
        ("id,,lastSeen", "expected a name at position 3"),
        ("id,", "expected a name at position 3"),
        ("", "the value is empty"),
        ("id, id desc", "property 'id' at position 4 is listed more than once"),
        ("evidence/id", "expected a property name at position 0, found 'evidence/id'"),
    ];
    for (value, detail) in cases {
        assert_eq!(
            parse_err(&format!("$orderby={value}")),
            odata_message("$orderby", detail),
            "{value:?}"
        );
    }
}

#[test]
fn select_and_expand() {
    assert_eq!(
        parse("$select=id, machineTags").unwrap().select(),
        ["id", "machineTags"]
    );
    assert!(parse("$select=*").unwrap().select().is_empty());
    let cases = [
        ("$select=id,ID", "$select", "unknown property 'ID' at position 3; did you mean 'id'? Property names are case-sensitive"),
        ("$select=internalNotes", "$select", "property 'internalNotes' at position 0 cannot be selected"),
        ("$select=id,nope", "$select", "unknown property 'nope' at position 3"),
        ("$select=id,id", "$select", "property 'id' at position 3 is listed more than once"),
        ("$select=id computerDnsName", "$select", "unexpected 'computerDnsName' at position 3; separate names with ','"),
        ("$expand=machines", "$expand", "'machines' at position 0 cannot be expanded; expandable: 'evidence'"),
        ("$expand=Evidence", "$expand", "'Evidence' at position 0 cannot be expanded; did you mean 'evidence'? Relation names are case-sensitive"),
        ("$expand=evidence,evidence", "$expand", "'evidence' at position 9 is listed more than once"),
        ("$expand=evidence($select=id)", "$expand", "'evidence($select=id)' at position 0 cannot be expanded; expandable: 'evidence'"),
    ];
    for (raw, option, detail) in cases {
        assert_eq!(parse_err(raw), odata_message(option, detail), "{raw:?}");
    }
    let bare = Schema::builder().property("id", T::String, C::ALL).build();
    assert_eq!(
        ODataQuery::parse(&bare, Some("$expand=evidence"))
            .unwrap_err()
            .message(),
        odata_message(
            "$expand",
            "'evidence' at position 0 cannot be expanded; this endpoint has no expandable relations"
        )
    );
}

#[test]
fn unknown_repeated_and_unsupported_options() {
    assert_eq!(
        parse_err("$foo=1"),
        "Invalid OData URI query unknown system query option '$foo'; supported: $filter, $top, $skip, $orderby, $select, $expand, $count."
    );
    assert_eq!(
        parse_err("$Filter=id eq 'x'"),
        "Invalid OData URI query unknown system query option '$Filter'; did you mean '$filter'? Option names are case-sensitive."
    );
    assert_eq!(
        parse_err("$TOP=5"),
        "Invalid OData URI query unknown system query option '$TOP'; did you mean '$top'? Option names are case-sensitive."
    );
    assert_eq!(
        parse_err("$top=5&$skip=1&$top=6"),
        "Invalid OData URI query the system query option '$top' is given more than once."
    );
    assert_eq!(
        parse_err("$search=web"),
        "Invalid OData URI query the system query option '$search' is not supported."
    );
    // Parameters without `$` are the endpoint's own, even malformed ones.
    assert!(parse("filter=x&top=-1&%zz=%ff&name=%E2%82").is_ok());
}

#[test]
fn browser_encoded_query_strings() {
    // What a browser sends for
    // ?$filter=healthStatus eq 'Active' and lastSeen gt 2024-01-01T00:00:00+02:00&$top=100
    let raw = "%24filter=healthStatus%20eq%20%27Active%27%20and%20lastSeen%20gt%202024-01-01T00%3A00%3A00%2B02%3A00&%24top=100";
    let query = parse(raw).unwrap();
    assert_eq!(
        query.filter().unwrap().to_string(),
        "(healthStatus eq 'Active') and (lastSeen gt 2024-01-01T00:00:00+02:00)"
    );
    assert_eq!(query.top(), Some(100));

    // A form submission: `+` for a space.
    let query =
        parse("$filter=machineTags/any(tag:+tag+eq+%27Prod%27)&$orderby=lastSeen+desc").unwrap();
    assert_eq!(
        query.filter().unwrap().to_string(),
        "machineTags/any(tag: tag eq 'Prod')"
    );
    assert!(query.order_by()[0].descending);

    // Positions count characters of the decoded value.
    assert_eq!(
        parse_err("$filter=id%20eq%20%27%C3%A9%27%20and%20bogus%20eq%201"),
        odata_message("$filter", "unknown property 'bogus' at position 14")
    );
    // An unencoded `+` in an offset is a space.
    assert_eq!(
        parse_err("$filter=lastSeen gt 2024-01-01T00:00:00+02:00"),
        odata_message(
            "$filter",
            "date-time literal '2024-01-01T00:00:00' at position 12 is followed by a space where its offset's '+' should be; a '+' in a query string means a space, so encode it as %2B"
        )
    );
}

#[test]
fn malformed_percent_encoding_is_an_odata_error() {
    assert_eq!(
        parse_err("$filter=id%20eq%zz"),
        "Invalid OData URI query $filter: invalid percent-encoding '%zz' at byte 7 of the raw text."
    );
    assert_eq!(
        parse_err("$filter=id%2"),
        "Invalid OData URI query $filter: invalid percent-encoding '%2' at byte 2 of the raw text."
    );
    assert_eq!(
        parse_err("$filter=%FF%FE"),
        "Invalid OData URI query $filter: the percent-decoded text is not valid UTF-8."
    );
    assert_eq!(
        parse_err("%24fil%ter=x"),
        "Invalid OData URI query query option '%24fil%ter': invalid percent-encoding '%te' at byte 6 of the raw text in its name."
    );
    assert_eq!(
        parse_err("$top=%2B5"),
        odata_message("$top", "'+5' is not a non-negative integer")
    );
}

// ---------------------------------------------------------------------------
// Evaluation.

fn machines() -> Vec<Value> {
    vec![
        json!({"id": "m1", "computerDnsName": "web01.contoso.com", "healthStatus": "Active", "riskScore": "High",
               "lastSeen": "2024-03-01T10:00:00Z", "rbacGroupId": 1, "exposureScore": 7.5, "isAadJoined": true,
               "machineTags": ["Prod", "Web"], "osPlatform": "Windows10", "evidence": [{"kind": "file"}]}),
        json!({"id": "m2", "computerDnsName": "db01.contoso.com", "healthStatus": "Inactive", "riskScore": "Low",
               "lastSeen": "2023-12-31T23:00:00-02:00", "rbacGroupId": 2, "exposureScore": 2.0, "isAadJoined": false,
               "machineTags": [], "osPlatform": "Linux"}),
        json!({"id": "m3", "computerDnsName": "WEB02.contoso.com", "healthStatus": "Active", "riskScore": "Medium",
               "lastSeen": "2024-01-01T00:30:00+01:00", "rbacGroupId": 1, "exposureScore": 5, "isAadJoined": true,
               "machineTags": ["Prod"], "osPlatform": "Windows11",
               "aadDeviceId": "8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f"}),
        json!({"id": "m4", "computerDnsName": "app01", "healthStatus": "ImpairedCommunication", "riskScore": "None",
               "rbacGroupId": 3, "exposureScore": null, "machineTags": ["Test"], "osPlatform": "macOS"}),
        json!({"id": "m5", "computerDnsName": "web03.fabrikam.com", "healthStatus": "Active", "riskScore": "High",
               "lastSeen": "2024-02-15T08:00:00.5Z", "rbacGroupId": 2, "exposureScore": 9.25, "isAadJoined": false,
               "machineTags": ["prod"], "osPlatform": "Windows10"}),
    ]
}

fn ids(items: &[&Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn filter_evaluation() {
    let data = machines();
    let cases: &[(&str, &[&str])] = &[
        // Instants, not strings: m2 is 01:00Z on Jan 1, m3 23:30Z on Dec 31.
        ("lastSeen gt 2024-01-01T00:00:00Z", &["m1", "m2", "m5"]),
        ("lastSeen lt 2024-01-01", &["m3"]),
        ("lastSeen eq 2024-01-01T01:00:00Z", &["m2"]),
        ("lastSeen eq null", &["m4"]),
        ("lastSeen ne null", &["m1", "m2", "m3", "m5"]),
        ("healthStatus eq 'Active'", &["m1", "m3", "m5"]),
        ("healthStatus ne 'Active'", &["m2", "m4"]),
        ("riskScore ge 'Medium'", &["m1", "m3", "m5"]),
        ("riskScore lt 'Medium'", &["m2", "m4"]),
        ("machineTags/any(t: t eq 'Prod')", &["m1", "m3"]),
        (
            "machineTags/any(t: tolower(t) eq 'prod')",
            &["m1", "m3", "m5"],
        ),
        ("machineTags/all(t: t eq 'Prod')", &["m2", "m3"]),
        ("machineTags/any()", &["m1", "m3", "m4", "m5"]),
        ("not machineTags/any()", &["m2"]),
        ("exposureScore gt 5", &["m1", "m5"]),
        ("exposureScore ge 5", &["m1", "m3", "m5"]),
        ("exposureScore eq null", &["m4"]),
        ("isAadJoined", &["m1", "m3"]),
        ("not isAadJoined", &["m2", "m5"]),
        ("isAadJoined ne true", &["m2", "m4", "m5"]),
        ("startswith(computerDnsName, 'web')", &["m1", "m5"]),
        (
            "startswith(tolower(computerDnsName), 'web')",
            &["m1", "m3", "m5"],
        ),
        (
            "endswith(computerDnsName, '.contoso.com')",
            &["m1", "m2", "m3"],
        ),
        ("contains(toupper(computerDnsName), 'FABRIKAM')", &["m5"]),
        ("rbacGroupId in (2, 3)", &["m2", "m4", "m5"]),
        ("rbacGroupId eq 1.0", &["m1", "m3"]),
        (
            "contains(computerDnsName, 'contoso') and not (healthStatus eq 'Active')",
            &["m2"],
        ),
        (
            "riskScore eq 'High' or rbacGroupId eq 3",
            &["m1", "m4", "m5"],
        ),
        (
            "aadDeviceId eq 8B8E7E1A-43A4-4A4A-9D5B-1A2B3C4D5E6F",
            &["m3"],
        ),
        (
            "aadDeviceId eq '8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f'",
            &["m3"],
        ),
        ("id eq 'm1' and false", &[]),
        ("true", &["m1", "m2", "m3", "m4", "m5"]),
    ];
    for (filter, expected) in cases {
        let query = ODataQuery::parse(schema(), Some(&format!("$filter={filter}"))).unwrap();
        assert_eq!(ids(&query.apply(&data)), *expected, "{filter}");
    }
}

#[test]
fn order_skip_top_and_select() {
    let data = machines();
    let cases: &[(&str, &[&str])] = &[
        ("$orderby=lastSeen desc", &["m1", "m5", "m2", "m3", "m4"]),
        ("$orderby=lastSeen", &["m4", "m3", "m2", "m5", "m1"]),
        (
            "$orderby=rbacGroupId,exposureScore desc",
            &["m1", "m3", "m5", "m2", "m4"],
        ),
        ("$orderby=riskScore", &["m4", "m2", "m3", "m1", "m5"]),
        ("$orderby=computerDnsName", &["m3", "m4", "m2", "m1", "m5"]),
        ("$orderby=id&$skip=1&$top=2", &["m2", "m3"]),
        ("$orderby=id desc&$top=1", &["m5"]),
        ("$skip=10", &[]),
        ("$top=0", &[]),
        (
            "$filter=healthStatus eq 'Active'&$orderby=exposureScore desc&$skip=1",
            &["m1", "m3"],
        ),
    ];
    for (raw, expected) in cases {
        let query = parse(raw).unwrap();
        assert_eq!(ids(&query.apply(&data)), *expected, "{raw}");
    }

    let small = Schema::builder()
        .property("id", T::String, C::ALL)
        .max_top(2)
        .build();
    let query = ODataQuery::parse(&small, None).unwrap();
    assert_eq!(
        ids(&query.apply(&data)),
        ["m1", "m2"],
        "at most max_top without $top"
    );

    let query = parse("$select=id,riskScore&$orderby=id&$top=1").unwrap();
    let page = query.page(&data);
    assert_eq!(page.value, [json!({"id": "m1", "riskScore": "High"})]);
    assert_eq!(page.count, None);

    let query =
        parse("$select=id&$expand=evidence&$filter=rbacGroupId eq 1&$count=true&$top=5").unwrap();
    assert_eq!(
        serde_json::to_value(query.page(&data)).unwrap(),
        json!({"@odata.count": 2, "value": [{"id": "m1", "evidence": [{"kind": "file"}]}, {"id": "m3"}]})
    );

    let query = parse("$filter=healthStatus eq 'Active'&$top=1&$count=true").unwrap();
    let page = query.page(&data);
    assert_eq!(page.count, Some(3));
    assert_eq!(page.value.len(), 1);
    assert_eq!(page.value[0], data[0], "without $select, whole items");
}

#[test]
fn records_other_than_values() {
    let data: Vec<serde_json::Map<String, Value>> = machines()
        .into_iter()
        .map(|v| match v {
            Value::Object(map) => map,
            _ => unreachable!(),
        })
        .collect();
    let query = parse("$filter=riskScore eq 'High'&$orderby=exposureScore desc").unwrap();
    let found: Vec<&str> = query
        .apply(&data)
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(found, ["m5", "m1"]);
    assert!(query.filter().unwrap().matches(schema(), &data[0]));
}

// ---------------------------------------------------------------------------
// Through axum and the layer.

#[cfg(feature = "axum")]
mod through_axum {
    use axum::body::Body;
    use axum::routing::get;
    use axum::{Json, Router};
    use defender_errors::DefenderErrorLayer;
    use defender_odata::{Capabilities as C, ODataQuery, Page, PropertyType as T, Schema};
    use http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::{machines, Machines};

    async fn list_machines(query: ODataQuery<Machines>) -> Json<Page> {
        Json(query.page(&machines()))
    }

    async fn list_alerts(query: ODataQuery) -> Json<Page> {
        Json(query.page(&[serde_json::json!({"id": "a1", "severity": "High"})]))
    }

    fn app() -> Router {
        let alerts = Schema::builder()
            .property("id", T::String, C::ALL)
            .property(
                "severity",
                T::enumeration(["Informational", "Low", "Medium", "High"]),
                C::ALL,
            )
            .build();
        Router::new()
            .route("/api/machines", get(list_machines))
            .merge(
                Router::new()
                    .route("/api/alerts", get(list_alerts))
                    .with_state(alerts),
            )
            .layer(DefenderErrorLayer::new())
    }

    async fn send(uri: &str) -> (StatusCode, http::HeaderMap, String) {
        let response = app()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8(body.to_vec()).unwrap())
    }

    async fn assert_odata_error(uri: &str, message: &str) {
        let (status, headers, body) = send(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
        assert_eq!(headers["x-ms-error-code"], "ODataError");
        assert_eq!(headers["content-type"], "application/json; charset=utf-8");
        let target = headers["x-ms-request-id"].to_str().unwrap();
        let expected = serde_json::json!({"error": {"code": "ODataError", "message": message, "target": target}});
        assert_eq!(body, expected.to_string());
    }

    #[tokio::test]
    async fn unknown_property_is_a_400_envelope() {
        assert_odata_error(
            "/api/machines?$filter=helthStatus%20eq%20%27Active%27",
            "Invalid OData URI query $filter: unknown property 'helthStatus' at position 0.",
        )
        .await;
    }

    #[tokio::test]
    async fn wrong_case_property_and_option() {
        assert_odata_error(
            "/api/machines?$filter=HealthStatus+eq+'Active'",
            "Invalid OData URI query $filter: unknown property 'HealthStatus' at position 0; did you mean 'healthStatus'? Property names are case-sensitive.",
        )
        .await;
        assert_odata_error(
            "/api/machines?$Top=5",
            "Invalid OData URI query unknown system query option '$Top'; did you mean '$top'? Option names are case-sensitive.",
        )
        .await;
    }

    #[tokio::test]
    async fn nested_lambdas_are_a_400_envelope() {
        let mut filter = String::new();
        for i in 0..32 {
            filter.push_str(&format!("machineTags/any(v{i}:%20"));
        }
        filter.push_str("v31%20eq%20%27nomatch%27");
        filter.push_str(&")".repeat(32));
        assert_odata_error(
            &format!("/api/machines?$filter={filter}"),
            "Invalid OData URI query $filter: 'any' on 'machineTags' at position 20 is inside the predicate of 'any' on 'machineTags' at position 0; lambdas cannot be nested, join them with 'and' or 'or' instead.",
        )
        .await;
    }

    #[tokio::test]
    async fn top_over_the_limit_and_bad_encoding() {
        assert_odata_error(
            "/api/machines?$top=20000",
            "Invalid OData URI query $top: 20000 is more than the maximum of 10000.",
        )
        .await;
        assert_odata_error(
            "/api/machines?$filter=%C3%28",
            "Invalid OData URI query $filter: the percent-decoded text is not valid UTF-8.",
        )
        .await;
    }

    #[tokio::test]
    async fn schema_from_state() {
        assert_odata_error(
            "/api/alerts?$filter=severity%20eq%20%27Severe%27",
            "Invalid OData URI query $filter: 'Severe' at position 12 is not a value of 'severity' (enum); expected one of 'Informational', 'Low', 'Medium', 'High'.",
        )
        .await;
        let (status, _, body) =
            send("/api/alerts?$filter=severity%20ge%20%27Medium%27&$select=id").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, r#"{"value":[{"id":"a1"}]}"#);
    }

    #[tokio::test]
    async fn valid_query_serves_the_filtered_list() {
        let (status, headers, body) = send(
            "/api/machines?$filter=machineTags/any(t:t%20eq%20%27Prod%27)&$orderby=lastSeen%20desc&$select=id&$count=true",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(headers.contains_key("x-ms-request-id"));
        assert_eq!(
            body,
            r#"{"@odata.count":2,"value":[{"id":"m1"},{"id":"m3"}]}"#
        );
    }
}

// ---------------------------------------------------------------------------
// The parser never panics.

const FRAGMENTS: &[&str] = &[
    "id",
    "healthStatus",
    "lastSeen",
    "machineTags",
    "riskScore",
    "isAadJoined",
    "rbacGroupId",
    "aadDeviceId",
    "t",
    "eq",
    "ne",
    "gt",
    "le",
    "and",
    "or",
    "not",
    "in",
    "any",
    "all",
    "(",
    ")",
    ",",
    ":",
    "/",
    "'Active'",
    "'",
    "''",
    "1",
    "-2",
    "1.5",
    "1e9",
    "true",
    "null",
    "2024-01-01T00:00:00Z",
    "2024-01-01",
    "8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f",
    "startswith",
    "tolower",
    "contains",
    "é",
    "%",
    "\n",
    "EQ",
    "$",
    "add",
    "sub",
    "mul",
    "div",
    "mod",
    "-",
    "+5",
    "08:30",
    "23:59:59.1234567",
    "length",
    "indexof",
    "substring",
    "concat",
    "trim",
    "year",
    "date",
    "time",
    "second",
];

fn assert_parse_is_total(input: &str) -> Result<(), TestCaseError> {
    match parse_filter(schema(), input) {
        Ok(expr) => {
            // What is accepted renders into something accepted again, which
            // renders the same way.
            let rendered = expr.to_string();
            let again = parse_filter(schema(), &rendered);
            prop_assert!(again.is_ok(), "{input:?} -> {expr} -> {again:?}");
            if !input.chars().any(char::is_control) {
                prop_assert_eq!(again.unwrap().to_string(), rendered, "{:?}", input);
            }
        }
        Err(err) => {
            prop_assert_eq!(err.code(), ErrorCode::ODataError);
            prop_assert!(err
                .message()
                .starts_with("Invalid OData URI query $filter: "));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn filter_parser_never_panics_on_arbitrary_text(input in "\\PC{0,80}") {
        assert_parse_is_total(&input)?;
    }

    #[test]
    fn filter_parser_never_panics_on_token_soup(
        parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..24),
        glue in prop::sample::select(&[" ", ""][..]),
    ) {
        assert_parse_is_total(&parts.join(glue))?;
    }

    #[test]
    fn query_parser_never_panics(raw in "[$%a-fA-F0-9=&+' ()/,:-]{0,60}|\\$[a-z]{3,7}=\\PC{0,40}") {
        if let Err(err) = ODataQuery::parse(schema(), Some(&raw)) {
            prop_assert_eq!(err.code(), ErrorCode::ODataError);
        }
    }
}

#[cfg(feature = "sql")]
mod differential;
#[cfg(feature = "sql")]
mod fixture;
#[cfg(feature = "sql")]
mod injection;
#[cfg(feature = "sql")]
mod sql;
