//! `$orderby` is a total order: enum values that are not members come after
//! the members by text, integers and doubles compare exactly, nulls come
//! first ascending and last descending, and a schema's key ends every
//! order. A property test sorts arbitrary stored values and checks the
//! result against a comparison written here, independently of the crate.

use std::cmp::Ordering;

use defender_odata::{
    Capabilities as C, DateTimeOffset, ODataQuery, OrderBy, PropertyType as T, Schema,
};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const MEMBERS: [&str; 4] = ["None", "Low", "Medium", "High"];

fn builder() -> defender_odata::SchemaBuilder {
    Schema::builder()
        .property("id", T::String, C::ALL)
        .property("n", T::Integer, C::ALL)
        .property("x", T::Double, C::ALL)
        .property("s", T::String, C::ALL)
        .property("status", T::enumeration(MEMBERS), C::ALL)
        .property("seen", T::DateTime, C::ALL)
        .property("flag", T::Boolean, C::ALL)
}

fn keyed() -> Schema {
    builder().key("id").build()
}

fn ids(query: &ODataQuery, data: &[Value]) -> Vec<String> {
    query
        .apply(data)
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

fn sorted(schema: &Schema, orderby: &str, data: &[Value]) -> Vec<String> {
    let raw = format!("$orderby={orderby}");
    let query = ODataQuery::parse(schema, Some(&raw)).unwrap();
    ids(&query, data)
}

#[test]
fn integers_and_doubles_near_2_to_the_53_sort_exactly() {
    // 2^53 + 1 rounds to the double 2^53: compared through doubles, k1
    // equals k2, k2 equals k3, but k3 is less than k1, and the sort has no
    // consistent order to follow.
    let data = vec![
        json!({"id": "k1", "n": 9_007_199_254_740_993_i64}),
        json!({"id": "k2", "n": 9_007_199_254_740_992.0}),
        json!({"id": "k3", "n": 9_007_199_254_740_992_i64}),
        json!({"id": "k4", "n": -1.5}),
        json!({"id": "k5", "n": null}),
        json!({"id": "k6", "n": 1e300}),
        json!({"id": "k7", "n": "text"}),
        json!({"id": "k8", "n": i64::MIN}),
        json!({"id": "k9", "n": -9.3e18}),
        json!({"id": "k10", "n": 9_223_372_036_854_775_807_i64}),
        json!({"id": "k11", "n": 9_223_372_036_854_775_808.0}),
    ];
    let schema = keyed();
    assert_eq!(
        sorted(&schema, "n", &data),
        ["k5", "k7", "k9", "k8", "k4", "k2", "k3", "k1", "k10", "k11", "k6"]
    );
    assert_eq!(
        sorted(&schema, "n desc", &data),
        ["k6", "k11", "k10", "k1", "k2", "k3", "k4", "k8", "k9", "k5", "k7"]
    );
    // Every order of the input gives the same result.
    let mut reversed = data.clone();
    reversed.reverse();
    assert_eq!(sorted(&schema, "n", &reversed), sorted(&schema, "n", &data));
}

#[test]
fn enum_values_that_are_not_members_follow_the_members_by_text() {
    let data = vec![
        json!({"id": "a", "status": "High"}),
        json!({"id": "b", "status": "Bogus"}),
        json!({"id": "c", "status": "None"}),
        json!({"id": "d", "status": "Alpha"}),
        json!({"id": "e", "status": null}),
        json!({"id": "f", "status": "Medium"}),
        json!({"id": "g", "status": "zzz"}),
        json!({"id": "h", "status": "Low"}),
        json!({"id": "i", "status": 5}),
        json!({"id": "j", "status": "Bogus"}),
    ];
    let schema = keyed();
    assert_eq!(
        sorted(&schema, "status", &data),
        ["e", "i", "c", "h", "f", "a", "d", "b", "j", "g"]
    );
    assert_eq!(
        sorted(&schema, "status desc", &data),
        ["g", "b", "j", "d", "a", "f", "h", "c", "e", "i"]
    );
    // `$filter` places them the same way.
    let filter = |f: &str| {
        let query = ODataQuery::parse(&schema, Some(&format!("$filter={f}"))).unwrap();
        ids(&query, &data)
    };
    assert_eq!(filter("status gt 'High'"), ["b", "d", "g", "j"]);
    assert_eq!(filter("status lt 'Low'"), ["c"]);
    assert_eq!(filter("status ge 'Medium'"), ["a", "b", "d", "f", "g", "j"]);
    assert_eq!(
        filter("status ne 'High'"),
        ["b", "c", "d", "e", "f", "g", "h", "i", "j"]
    );
    assert_eq!(filter("status in ('High', 'None')"), ["a", "c"]);
}

#[test]
fn the_key_ends_every_order() {
    let data = vec![
        json!({"id": "c", "s": "x", "flag": true}),
        json!({"id": "a", "s": "y", "flag": false}),
        json!({"id": "d", "s": "x", "flag": false}),
        json!({"id": "b", "s": "x"}),
    ];
    let schema = keyed();
    assert_eq!(schema.key(), Some("id"));
    // Ties on `s` are ordered by the key, whatever the input order.
    assert_eq!(sorted(&schema, "s", &data), ["b", "c", "d", "a"]);
    assert_eq!(sorted(&schema, "s desc", &data), ["a", "b", "c", "d"]);
    assert_eq!(sorted(&schema, "flag desc,s", &data), ["c", "d", "a", "b"]);
    // Named in $orderby, the key is not added again.
    assert_eq!(sorted(&schema, "id desc", &data), ["d", "c", "b", "a"]);
    let query = ODataQuery::parse(&schema, Some("$orderby=s desc")).unwrap();
    assert_eq!(query.order_by(), [OrderBy::desc("s")]);
    assert_eq!(query.sort_keys(), [OrderBy::desc("s"), OrderBy::asc("id")]);
    let query = ODataQuery::parse(&schema, Some("$orderby=id desc,s")).unwrap();
    assert_eq!(query.sort_keys(), [OrderBy::desc("id"), OrderBy::asc("s")]);
    // Without $orderby, the key alone: pages are stable.
    let query = ODataQuery::parse(&schema, Some("$top=2&$skip=1")).unwrap();
    assert_eq!(query.sort_keys(), [OrderBy::asc("id")]);
    assert_eq!(ids(&query, &data), ["b", "c"]);

    // Without a key, ties keep the input order and no $orderby keeps it all.
    let plain = builder().build();
    assert_eq!(plain.key(), None);
    assert_eq!(sorted(&plain, "s", &data), ["c", "d", "b", "a"]);
    let query = ODataQuery::parse(&plain, None).unwrap();
    assert!(query.sort_keys().is_empty());
    assert_eq!(ids(&query, &data), ["c", "a", "d", "b"]);
}

#[test]
fn orderby_takes_properties_not_expressions() {
    for (value, detail) in [
        (
            "length(s)",
            "unexpected '(' at position 6; $orderby takes property names, not expressions",
        ),
        (
            "id, substring(s, 1) desc",
            "unexpected '(' at position 13; $orderby takes property names, not expressions",
        ),
        (
            "n add 1",
            "expected 'asc' or 'desc' at position 2, found 'add'",
        ),
    ] {
        let err = ODataQuery::parse(&keyed(), Some(&format!("$orderby={value}"))).unwrap_err();
        assert_eq!(
            err.message(),
            format!("Invalid OData URI query $orderby: {detail}."),
            "{value}"
        );
    }
}

#[test]
fn the_key_need_not_be_sortable_but_must_exist() {
    let schema = Schema::builder()
        .property("id", T::String, C::FILTER)
        .property("n", T::Integer, C::ALL)
        .key("id")
        .build();
    let data = vec![json!({"id": "b", "n": 1}), json!({"id": "a", "n": 1})];
    assert_eq!(sorted(&schema, "n", &data), ["a", "b"]);
    let missing = std::panic::catch_unwind(|| Schema::builder().key("id").build());
    assert!(missing.is_err());
    let collection = std::panic::catch_unwind(|| {
        Schema::builder()
            .property("tags", T::StringCollection, C::FILTER)
            .key("tags")
            .build()
    });
    assert!(collection.is_err());
}

// ---------------------------------------------------------------------------
// The property test, with its own reading of values and its own comparison.

/// A stored value as the test reads it, following the documented rules: a
/// value that does not fit the property's type is null.
#[derive(Debug, Clone)]
enum Read {
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Text(String),
    /// A member's index, or a non-member's text after every member.
    Enum(Result<usize, String>),
    /// Nanoseconds since the epoch.
    Instant(i128),
}

fn read(property: &str, value: Option<&Value>) -> Read {
    let Some(value) = value else {
        return Read::Null;
    };
    match (property, value) {
        ("n", Value::Number(n)) => match n.as_i64() {
            Some(i) => Read::Int(i),
            None => Read::Float(n.as_f64().unwrap()),
        },
        ("x", Value::Number(n)) => Read::Float(n.as_f64().unwrap()),
        ("s" | "id", Value::String(s)) => Read::Text(s.clone()),
        ("status", Value::String(s)) => {
            Read::Enum(MEMBERS.iter().position(|m| m == s).ok_or_else(|| s.clone()))
        }
        ("seen", Value::String(s)) => match DateTimeOffset::parse(s) {
            Some(dt) => {
                let (seconds, nanos) = dt.unix_timestamp();
                Read::Instant(i128::from(seconds) * 1_000_000_000 + i128::from(nanos))
            }
            None => Read::Null,
        },
        ("flag", Value::Bool(b)) => Read::Bool(*b),
        _ => Read::Null,
    }
}

/// An integer against a double, exactly: through the double's floor as an
/// `i128`, which holds every double of magnitude below 10^30 exactly.
fn int_vs_float(i: i64, f: f64) -> Ordering {
    if f >= 1e30 {
        return Ordering::Less;
    }
    if f <= -1e30 {
        return Ordering::Greater;
    }
    let floor = f.floor();
    let (i, whole) = (i128::from(i), floor as i128);
    match i.cmp(&whole) {
        Ordering::Equal if f > floor => Ordering::Less,
        other => other,
    }
}

fn cmp_read(a: &Read, b: &Read) -> Ordering {
    match (a, b) {
        (Read::Null, Read::Null) => Ordering::Equal,
        (Read::Null, _) => Ordering::Less,
        (_, Read::Null) => Ordering::Greater,
        (Read::Int(x), Read::Int(y)) => x.cmp(y),
        (Read::Int(x), Read::Float(y)) => int_vs_float(*x, *y),
        (Read::Float(x), Read::Int(y)) => int_vs_float(*y, *x).reverse(),
        (Read::Float(x), Read::Float(y)) => x.partial_cmp(y).unwrap(),
        (Read::Bool(x), Read::Bool(y)) => x.cmp(y),
        (Read::Text(x), Read::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Read::Enum(x), Read::Enum(y)) => match (x, y) {
            (Ok(i), Ok(j)) => i.cmp(j),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(s), Err(t)) => s.as_bytes().cmp(t.as_bytes()),
        },
        (Read::Instant(x), Read::Instant(y)) => x.cmp(y),
        _ => panic!("one property holds {a:?} and {b:?}"),
    }
}

/// The order the test expects: each `(property, descending)` key in turn.
fn expected_cmp(keys: &[(&str, bool)], a: &Value, b: &Value) -> Ordering {
    for (property, descending) in keys {
        let o = cmp_read(
            &read(property, a.get(*property)),
            &read(property, b.get(*property)),
        );
        let o = if *descending { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn stored_value() -> impl Strategy<Value = Option<Value>> {
    let members: Vec<&str> = MEMBERS.to_vec();
    prop_oneof![
        Just(None),
        Just(Some(Value::Null)),
        any::<bool>().prop_map(|b| Some(json!(b))),
        any::<i64>().prop_map(|i| Some(json!(i))),
        prop::sample::select(vec![
            0_i64,
            1,
            -1,
            9_007_199_254_740_991,
            9_007_199_254_740_992,
            9_007_199_254_740_993,
            -9_007_199_254_740_993,
            i64::MAX,
            i64::MIN,
        ])
        .prop_map(|i| Some(json!(i))),
        (i64::MAX as u64 + 1..=u64::MAX).prop_map(|u| Some(json!(u))),
        any::<f64>()
            .prop_filter("JSON holds finite numbers", |f| f.is_finite())
            .prop_map(|f| Some(json!(f))),
        prop::sample::select(vec![
            0.0_f64,
            -0.0,
            0.5,
            -1.5,
            9_007_199_254_740_992.0,
            9_007_199_254_740_994.0,
            9_223_372_036_854_775_808.0,
            -9_223_372_036_854_775_808.0,
            1e300,
            -1e300,
        ])
        .prop_map(|f| Some(json!(f))),
        prop::sample::select(members).prop_map(|m| Some(json!(m))),
        "[A-Za-z]{0,6}|\\PC{0,4}".prop_map(|s| Some(json!(s))),
        prop::sample::select(vec![
            "2024-01-01T00:00:00Z",
            "2024-01-01T02:00:00+02:00",
            "2024-01-01",
            "1969-12-31T23:59:59.999999999Z",
            "2024-02-29T12:00:00.5-05:30",
            "2024-13-01",
            "not a date",
        ])
        .prop_map(|s| Some(json!(s))),
        Just(Some(json!(["a"]))),
        Just(Some(json!({"k": 1}))),
    ]
}

const PROPERTIES: [&str; 6] = ["n", "x", "s", "status", "seen", "flag"];

fn item() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec(stored_value(), PROPERTIES.len()).prop_map(|values| {
        let mut map = Map::new();
        for (property, value) in PROPERTIES.iter().zip(values) {
            if let Some(value) = value {
                map.insert((*property).to_owned(), value);
            }
        }
        map
    })
}

fn orderby() -> impl Strategy<Value = Vec<(&'static str, bool)>> {
    let all: Vec<&'static str> = PROPERTIES.iter().copied().chain(["id"]).collect();
    (prop::sample::subsequence(all, 1..=3), any::<[bool; 3]>()).prop_flat_map(|(keys, desc)| {
        let keys: Vec<(&'static str, bool)> = keys.into_iter().zip(desc).collect();
        Just(keys).prop_shuffle()
    })
}

fn check_order(
    schema: &Schema,
    keys: &[(&'static str, bool)],
    items: &[Value],
) -> Result<(), TestCaseError> {
    let raw = keys
        .iter()
        .map(|(p, d)| format!("{p}{}", if *d { " desc" } else { "" }))
        .collect::<Vec<_>>()
        .join(",");
    let query = ODataQuery::parse(schema, Some(&format!("$orderby={raw}"))).unwrap();
    let mut all_keys = keys.to_vec();
    if schema.key().is_some() && !keys.iter().any(|(p, _)| *p == "id") {
        all_keys.push(("id", false));
    }
    let result = query.apply(items);
    prop_assert_eq!(result.len(), items.len());
    // Sorted, and (with the key) strictly: no two items tie.
    for pair in result.windows(2) {
        let o = expected_cmp(&all_keys, pair[0], pair[1]);
        prop_assert_ne!(
            o,
            Ordering::Greater,
            "{} before {} for {}",
            pair[0],
            pair[1],
            raw
        );
        if schema.key().is_some() {
            prop_assert_eq!(o, Ordering::Less);
        }
    }
    // Without a key the sort is stable: tied items keep the input order.
    let position = |v: &Value| items.iter().position(|i| i["id"] == v["id"]).unwrap();
    for pair in result.windows(2) {
        if expected_cmp(&all_keys, pair[0], pair[1]) == Ordering::Equal {
            prop_assert!(position(pair[0]) < position(pair[1]));
        }
    }
    // The crate's comparator agrees with the test's on every pair, is
    // antisymmetric, and transitive on every triple.
    for a in items {
        for b in items {
            let o = query.compare(a, b);
            prop_assert_eq!(
                o,
                expected_cmp(&all_keys, a, b),
                "{} vs {} for {}",
                a,
                b,
                raw
            );
            prop_assert_eq!(o, query.compare(b, a).reverse());
        }
    }
    let sample = &items[..items.len().min(10)];
    for a in sample {
        for b in sample {
            for c in sample {
                if query.compare(a, b).is_le() && query.compare(b, c).is_le() {
                    prop_assert!(
                        query.compare(a, c).is_le(),
                        "{} ≤ {} ≤ {} for {}",
                        a,
                        b,
                        c,
                        raw
                    );
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn orderby_sorts_arbitrary_stored_values(
        rows in prop::collection::vec(item(), 0..24),
        keys in orderby(),
    ) {
        let items: Vec<Value> = rows
            .into_iter()
            .enumerate()
            .map(|(i, mut row)| {
                // Unique ids, out of input order.
                row.insert("id".to_owned(), json!(format!("i{:02}", (i * 7) % 97)));
                Value::Object(row)
            })
            .collect();
        check_order(&keyed(), &keys, &items)?;
        check_order(&builder().build(), &keys, &items)?;
    }
}
