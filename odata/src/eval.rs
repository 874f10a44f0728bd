//! Evaluates a checked `$filter` and `$orderby` against in-memory items.
//!
//! Items are JSON objects, reached through the [`Record`] trait. A value
//! is read with the type the [`Schema`] gives its property: a date-time
//! property's ISO 8601 string becomes an instant, so `lastSeen gt
//! 2024-01-01T00:00:00Z` compares instants, whatever offsets the item and
//! the literal use. A missing property, a JSON `null` and a value that does
//! not fit the schema's type all read as `null`, which no comparison but
//! `eq null` matches. `and`, `or` and `not` follow OData's three-valued
//! logic, and an item matches when its filter is `true`.
//!
//! The work is linear: a node is evaluated at most once per item, or once
//! per member of the collection when it sits in a lambda's predicate. The
//! checker refuses a lambda inside another lambda's predicate, so no node
//! is evaluated more than `max(1, members)` times, and a filter of `n`
//! nodes costs at most `n × max(1, members)` steps per item.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};
use uuid::Uuid;

use super::ast::{
    ArithmeticOp, CompareOp, DateTimeOffset, Expr, Function, LambdaKind, Literal, TimeOfDay,
};
use super::schema::{PropertyType, Schema};

/// An item a query can be applied to: something with named JSON fields.
///
/// Implemented for [`serde_json::Value`] (objects; any other value has no
/// fields), [`serde_json::Map`], and `HashMap`/`BTreeMap` of `String` to
/// `Value`.
pub trait Record {
    /// The field called `name`, if present.
    fn field(&self, name: &str) -> Option<&Value>;
}

impl Record for Value {
    fn field(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl Record for Map<String, Value> {
    fn field(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl<S: std::hash::BuildHasher> Record for HashMap<String, Value, S> {
    fn field(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl Record for BTreeMap<String, Value> {
    fn field(&self, name: &str) -> Option<&Value> {
        self.get(name)
    }
}

impl<R: Record + ?Sized> Record for &R {
    fn field(&self, name: &str) -> Option<&Value> {
        (**self).field(name)
    }
}

/// A value during evaluation.
#[derive(Debug, Clone)]
enum Val<'a> {
    Null,
    Boolean(bool),
    Integer(i64),
    Double(f64),
    String(Cow<'a, str>),
    DateTime(DateTimeOffset),
    Guid(Uuid),
    /// An enum member: its index among `members`.
    Member(usize, &'a [String]),
    /// A stored enum value that is not a member of `members`: it orders
    /// after every member, and among non-members by text.
    NonMember(&'a str, &'a [String]),
    Collection(&'a [Value]),
    /// A calendar date: days since 1970-01-01.
    Date(i64),
    Time(TimeOfDay),
}

/// Reads the JSON value of a property of type `ty`.
fn read<'a>(value: Option<&'a Value>, ty: &'a PropertyType) -> Val<'a> {
    let Some(value) = value else {
        return Val::Null;
    };
    match (ty, value) {
        (PropertyType::String, Value::String(s)) => Val::String(Cow::Borrowed(s)),
        (PropertyType::Integer | PropertyType::Double, Value::Number(n)) => match n.as_i64() {
            Some(i) if matches!(ty, PropertyType::Integer) => Val::Integer(i),
            _ => n.as_f64().map_or(Val::Null, Val::Double),
        },
        (PropertyType::Boolean, Value::Bool(b)) => Val::Boolean(*b),
        (PropertyType::DateTime, Value::String(s)) => {
            DateTimeOffset::parse(s).map_or(Val::Null, Val::DateTime)
        }
        (PropertyType::Guid, Value::String(s)) => Uuid::try_parse(s).map_or(Val::Null, Val::Guid),
        (PropertyType::Enum(members), Value::String(s)) => {
            match members.iter().position(|m| m == s) {
                Some(i) => Val::Member(i, members),
                None => Val::NonMember(s, members),
            }
        }
        (PropertyType::StringCollection, Value::Array(items)) => Val::Collection(items),
        _ => Val::Null,
    }
}

fn literal(value: &Literal) -> Val<'_> {
    match value {
        Literal::Null => Val::Null,
        Literal::Boolean(b) => Val::Boolean(*b),
        Literal::Integer(i) => Val::Integer(*i),
        Literal::Decimal(d) => Val::Double(*d),
        Literal::String(s) => Val::String(Cow::Borrowed(s)),
        Literal::DateTime(dt) => Val::DateTime(*dt),
        Literal::Guid(g) => Val::Guid(*g),
        Literal::TimeOfDay(t) => Val::Time(*t),
    }
}

/// Compares an integer with a double exactly (no rounding of the integer
/// to the nearest double); `None` for NaN.
fn cmp_integer_double(i: i64, d: f64) -> Option<Ordering> {
    // 2^63, exactly representable.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if d.is_nan() {
        return None;
    }
    if d >= LIMIT {
        return Some(Ordering::Less);
    }
    if d < -LIMIT {
        return Some(Ordering::Greater);
    }
    // In range: the integral part is an exact i64, the fraction exact too.
    let whole = d.trunc();
    let fraction = d - whole;
    Some(
        i.cmp(&(whole as i64))
            .then_with(|| 0.0_f64.partial_cmp(&fraction).unwrap_or(Ordering::Equal)),
    )
}

/// The instant of a date's midnight UTC, to compare with a date-time.
fn date_instant(days: i64) -> (i64, u32) {
    (days.saturating_mul(86_400), 0)
}

/// Orders two non-null values of comparable types; `None` when they cannot
/// be compared.
fn order(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Integer(x), Val::Integer(y)) => Some(x.cmp(y)),
        (Val::Integer(x), Val::Double(y)) => cmp_integer_double(*x, *y),
        (Val::Double(x), Val::Integer(y)) => cmp_integer_double(*y, *x).map(Ordering::reverse),
        (Val::Double(x), Val::Double(y)) => x.partial_cmp(y),
        (Val::String(x), Val::String(y)) => Some(x.cmp(y)),
        (Val::Boolean(x), Val::Boolean(y)) => Some(x.cmp(y)),
        (Val::DateTime(x), Val::DateTime(y)) => Some(x.cmp(y)),
        (Val::DateTime(x), Val::String(s)) => DateTimeOffset::parse(s).map(|y| x.cmp(&y)),
        (Val::String(s), Val::DateTime(y)) => DateTimeOffset::parse(s).map(|x| x.cmp(y)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::DateTime(y)) => Some(date_instant(*x).cmp(&y.unix_timestamp())),
        (Val::DateTime(x), Val::Date(y)) => Some(x.unix_timestamp().cmp(&date_instant(*y))),
        (Val::Time(x), Val::Time(y)) => Some(x.cmp(y)),
        (Val::Guid(x), Val::Guid(y)) => Some(x.cmp(y)),
        (Val::Guid(x), Val::String(s)) => Uuid::try_parse(s).ok().map(|y| x.cmp(&y)),
        (Val::String(s), Val::Guid(y)) => Uuid::try_parse(s).ok().map(|x| x.cmp(y)),
        (Val::Member(..) | Val::NonMember(..), _) | (_, Val::Member(..) | Val::NonMember(..)) => {
            Some(enum_order(a, b)?)
        }
        _ => None,
    }
}

/// Where an enum value stands: members by index, then non-members by
/// text. A string literal (checked to be a member) is placed as the member
/// it names.
fn enum_key<'v>(value: &'v Val<'_>, members: &[String]) -> Option<(usize, &'v str)> {
    match value {
        Val::Member(i, _) => Some((*i, "")),
        Val::NonMember(s, _) => Some((members.len(), s)),
        Val::String(s) => Some(match members.iter().position(|m| m == s) {
            Some(i) => (i, ""),
            None => (members.len(), s),
        }),
        _ => None,
    }
}

fn enum_order(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    let members = match (a, b) {
        (Val::Member(_, m) | Val::NonMember(_, m), _)
        | (_, Val::Member(_, m) | Val::NonMember(_, m)) => *m,
        _ => return None,
    };
    Some(enum_key(a, members)?.cmp(&enum_key(b, members)?))
}

/// The total order `$orderby` sorts by: `null` first, then values by
/// kind, then within a kind; numbers compare exactly across integers and
/// doubles, enum members by declaration order and non-members after them
/// by text.
fn total_order(a: &Val<'_>, b: &Val<'_>) -> Ordering {
    fn rank(v: &Val<'_>) -> u8 {
        match v {
            Val::Null => 0,
            Val::Boolean(_) => 1,
            Val::Integer(_) => 2,
            Val::Double(d) if d.is_nan() => 3,
            Val::Double(_) => 2,
            Val::Member(..) | Val::NonMember(..) => 4,
            Val::String(_) => 5,
            Val::DateTime(_) | Val::Date(_) => 6,
            Val::Time(_) => 7,
            Val::Guid(_) => 8,
            Val::Collection(_) => 9,
        }
    }
    rank(a).cmp(&rank(b)).then_with(|| match rank(a) {
        // NaN, collections: all alike.
        3 | 9 => Ordering::Equal,
        4 => enum_order(a, b).unwrap_or(Ordering::Equal),
        _ => order(a, b).unwrap_or(Ordering::Equal),
    })
}

/// `a op b` with OData's null rules: `null eq null`, and nothing else with
/// a null, is true.
fn compare(op: CompareOp, a: &Val<'_>, b: &Val<'_>) -> bool {
    let ordering = match (a, b) {
        (Val::Null, Val::Null) => return op == CompareOp::Eq,
        (Val::Null, _) | (_, Val::Null) => return op == CompareOp::Ne,
        _ => order(a, b),
    };
    match ordering {
        None => op == CompareOp::Ne,
        Some(o) => match op {
            CompareOp::Eq => o == Ordering::Equal,
            CompareOp::Ne => o != Ordering::Equal,
            CompareOp::Gt => o == Ordering::Greater,
            CompareOp::Ge => o != Ordering::Less,
            CompareOp::Lt => o == Ordering::Less,
            CompareOp::Le => o != Ordering::Greater,
        },
    }
}

/// `tolower` (`upper` false) or `toupper`: the text itself when no
/// character changes, else its converted copy.
fn change_case(s: Cow<'_, str>, upper: bool) -> Cow<'_, str> {
    if !s.is_ascii() {
        return Cow::Owned(if upper {
            s.to_uppercase()
        } else {
            s.to_lowercase()
        });
    }
    let changes = |b: &u8| {
        if upper {
            b.is_ascii_lowercase()
        } else {
            b.is_ascii_uppercase()
        }
    };
    match (s.bytes().any(|b| changes(&b)), upper) {
        (false, _) => s,
        (true, true) => Cow::Owned(s.to_ascii_uppercase()),
        (true, false) => Cow::Owned(s.to_ascii_lowercase()),
    }
}

/// `text[range]`, borrowed when `text` is.
fn slice<'a>(text: Cow<'a, str>, range: std::ops::Range<usize>) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(s) => Cow::Borrowed(&s[range]),
        Cow::Owned(s) => Cow::Owned(s[range].to_owned()),
    }
}

/// The byte offset of code point `n` of `s`, or its length.
fn char_offset(s: &str, n: i64) -> usize {
    let n = usize::try_from(n.max(0)).unwrap_or(usize::MAX);
    s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
}

/// A function applied to its non-null arguments (the unused slots are
/// `Val::Null`); `Val::Null` when the arguments do not fit.
fn call<'a>(function: Function, [a, b, c]: [Val<'a>; 3]) -> Val<'a> {
    let date_time = |v: &Val<'_>| match v {
        Val::DateTime(dt) => Some(*dt),
        _ => None,
    };
    if let Some(dt) = date_time(&a) {
        let (year, month, day) = dt.utc_date();
        let time = dt.utc_time();
        return match function {
            Function::Year => Val::Integer(year),
            Function::Month => Val::Integer(i64::from(month)),
            Function::Day => Val::Integer(i64::from(day)),
            Function::Hour => Val::Integer(i64::from(time.hour())),
            Function::Minute => Val::Integer(i64::from(time.minute())),
            Function::Second => Val::Integer(i64::from(time.second())),
            Function::Date => Val::Date(dt.utc_days()),
            Function::Time => Val::Time(time),
            _ => Val::Null,
        };
    }
    let Val::String(s) = a else {
        return Val::Null;
    };
    match (function, b) {
        (Function::ToLower, _) => Val::String(change_case(s, false)),
        (Function::ToUpper, _) => Val::String(change_case(s, true)),
        (Function::Length, _) => Val::Integer(i64::try_from(s.chars().count()).unwrap_or(i64::MAX)),
        (Function::Trim, _) => {
            let start = s.len() - s.trim_start_matches(char::is_whitespace).len();
            let end = s.trim_end_matches(char::is_whitespace).len().max(start);
            Val::String(slice(s, start..end))
        }
        (Function::StartsWith, Val::String(p)) => Val::Boolean(s.starts_with(&*p)),
        (Function::EndsWith, Val::String(p)) => Val::Boolean(s.ends_with(&*p)),
        (Function::Contains, Val::String(p)) => Val::Boolean(s.contains(&*p)),
        (Function::IndexOf, Val::String(p)) => Val::Integer(s.find(&*p).map_or(-1, |at| {
            i64::try_from(s[..at].chars().count()).unwrap_or(i64::MAX)
        })),
        (Function::Concat, Val::String(t)) => Val::String(if t.is_empty() {
            s
        } else {
            Cow::Owned(format!("{s}{t}"))
        }),
        (Function::Substring, Val::Integer(start)) => {
            let from = char_offset(&s, start);
            let to = match c {
                Val::Integer(length) => from + char_offset(&s[from..], length),
                _ => s.len(),
            };
            Val::String(slice(s, from..to))
        }
        _ => Val::Null,
    }
}

/// `a op b` on numbers: integers stay integers (`div` truncates toward
/// zero, `mod` takes the dividend's sign), a double operand makes a double;
/// division or `mod` by zero, integer overflow and a NaN result are null.
fn arithmetic<'a>(op: ArithmeticOp, a: &Val<'_>, b: &Val<'_>) -> Val<'a> {
    if let (Val::Integer(x), Val::Integer(y)) = (a, b) {
        let (x, y) = (*x, *y);
        let result = match op {
            ArithmeticOp::Add => x.checked_add(y),
            ArithmeticOp::Sub => x.checked_sub(y),
            ArithmeticOp::Mul => x.checked_mul(y),
            ArithmeticOp::Div => x.checked_div(y),
            // `i64::MIN mod -1` is 0, not an overflow.
            ArithmeticOp::Mod if y == -1 => Some(0),
            ArithmeticOp::Mod => x.checked_rem(y),
        };
        return result.map_or(Val::Null, Val::Integer);
    }
    let double = |v: &Val<'_>| match v {
        Val::Integer(i) => Some(*i as f64),
        Val::Double(d) => Some(*d),
        _ => None,
    };
    let (Some(x), Some(y)) = (double(a), double(b)) else {
        return Val::Null;
    };
    let result = match op {
        ArithmeticOp::Add => x + y,
        ArithmeticOp::Sub => x - y,
        ArithmeticOp::Mul => x * y,
        ArithmeticOp::Div | ArithmeticOp::Mod if y == 0.0 => return Val::Null,
        ArithmeticOp::Div => x / y,
        ArithmeticOp::Mod => x % y,
    };
    if result.is_nan() {
        Val::Null
    } else {
        Val::Double(result)
    }
}

/// A lambda variable bound to a collection member.
type Bindings<'e, 'a> = Vec<(&'e str, &'a Value)>;

struct Evaluator<'a, R: ?Sized> {
    schema: &'a Schema,
    item: &'a R,
    /// How many nodes were evaluated: the tests' measure of work.
    #[cfg(test)]
    steps: std::cell::Cell<usize>,
}

impl<'a, R: Record + ?Sized> Evaluator<'a, R> {
    fn property(&self, name: &str) -> Val<'a> {
        match self.schema.property(name) {
            Some(property) => read(self.item.field(name), property.ty()),
            None => Val::Null,
        }
    }

    /// Three-valued truth: `None` is null.
    fn truth<'e>(&self, expr: &'e Expr, vars: &mut Bindings<'e, 'a>) -> Option<bool>
    where
        'e: 'a,
    {
        match self.value(expr, vars) {
            Val::Boolean(b) => Some(b),
            _ => None,
        }
    }

    fn value<'e>(&self, expr: &'e Expr, vars: &mut Bindings<'e, 'a>) -> Val<'a>
    where
        'e: 'a,
    {
        #[cfg(test)]
        self.steps.set(self.steps.get() + 1);
        match expr {
            Expr::Literal { value, .. } => literal(value),
            Expr::Property { name, .. } => self.property(name),
            Expr::Variable { name, .. } => match vars.iter().rev().find(|(v, _)| v == name) {
                Some((_, Value::String(s))) => Val::String(Cow::Borrowed(s)),
                _ => Val::Null,
            },
            Expr::Not { operand, .. } => match self.truth(operand, vars) {
                Some(b) => Val::Boolean(!b),
                None => Val::Null,
            },
            Expr::And(operands) => {
                let mut unknown = false;
                for operand in operands {
                    match self.truth(operand, vars) {
                        Some(false) => return Val::Boolean(false),
                        None => unknown = true,
                        Some(true) => {}
                    }
                }
                if unknown {
                    Val::Null
                } else {
                    Val::Boolean(true)
                }
            }
            Expr::Or(operands) => {
                let mut unknown = false;
                for operand in operands {
                    match self.truth(operand, vars) {
                        Some(true) => return Val::Boolean(true),
                        None => unknown = true,
                        Some(false) => {}
                    }
                }
                if unknown {
                    Val::Null
                } else {
                    Val::Boolean(false)
                }
            }
            Expr::Compare {
                op, left, right, ..
            } => {
                let l = self.value(left, vars);
                let r = self.value(right, vars);
                Val::Boolean(compare(*op, &l, &r))
            }
            Expr::In { operand, items, .. } => {
                let v = self.value(operand, vars);
                let found = items
                    .iter()
                    .any(|item| compare(CompareOp::Eq, &v, &self.value(item, vars)));
                Val::Boolean(found)
            }
            Expr::Arithmetic {
                op, left, right, ..
            } => {
                let l = self.value(left, vars);
                let r = self.value(right, vars);
                arithmetic(*op, &l, &r)
            }
            Expr::Negate { operand, .. } => match self.value(operand, vars) {
                Val::Integer(i) => i.checked_neg().map_or(Val::Null, Val::Integer),
                Val::Double(d) => Val::Double(-d),
                _ => Val::Null,
            },
            Expr::Call { function, args, .. } => {
                // At most three arguments: no list needed. A null argument
                // makes the result null.
                let mut values = [Val::Null, Val::Null, Val::Null];
                for (slot, arg) in values.iter_mut().zip(args) {
                    match self.value(arg, vars) {
                        Val::Null => return Val::Null,
                        value => *slot = value,
                    }
                }
                call(*function, values)
            }
            Expr::Lambda {
                kind,
                collection,
                predicate,
                ..
            } => {
                let members = match self.property(collection) {
                    Val::Collection(members) => members,
                    _ => &[],
                };
                let Some((variable, body)) = predicate else {
                    return Val::Boolean(!members.is_empty());
                };
                let mut verdict = Some(*kind == LambdaKind::All);
                for member in members {
                    vars.push((variable.as_str(), member));
                    let truth = self.truth(body, vars);
                    vars.pop();
                    match (kind, truth) {
                        (LambdaKind::Any, Some(true)) => return Val::Boolean(true),
                        (LambdaKind::All, Some(false)) => return Val::Boolean(false),
                        (_, None) => verdict = None,
                        _ => {}
                    }
                }
                verdict.map_or(Val::Null, Val::Boolean)
            }
        }
    }
}

impl Expr {
    /// Whether `item` satisfies this filter, reading its fields with the
    /// types `schema` gives them. The filter should have been checked
    /// against the same schema (as [`ODataQuery::parse`] and
    /// [`parse_filter`] do); properties the schema lacks read as `null`.
    ///
    /// [`ODataQuery::parse`]: super::ODataQuery::parse
    /// [`parse_filter`]: super::parse_filter
    pub fn matches<R: Record + ?Sized>(&self, schema: &Schema, item: &R) -> bool {
        let evaluator = Evaluator {
            schema,
            item,
            #[cfg(test)]
            steps: std::cell::Cell::new(0),
        };
        evaluator.truth(self, &mut Vec::new()) == Some(true)
    }
}

/// Compares two items by one property in the total order of
/// [`total_order`]: nulls first.
pub(crate) fn compare_by<R: Record + ?Sized>(
    schema: &Schema,
    property: &str,
    a: &R,
    b: &R,
) -> Ordering {
    let Some(def) = schema.property(property) else {
        return Ordering::Equal;
    };
    let x = read(a.field(property), def.ty());
    let y = read(b.field(property), def.ty());
    total_order(&x, &y)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::{Evaluator, Expr};
    use crate::{parse_filter, Capabilities as C, PropertyType as T, Schema};

    fn schema() -> Schema {
        Schema::builder()
            .property("id", T::String, C::ALL)
            .property("machineTags", T::StringCollection, C::FILTER)
            .build()
    }

    /// The nodes of a tree.
    fn nodes(expr: &Expr) -> usize {
        1 + match expr {
            Expr::Not { operand, .. } => nodes(operand),
            Expr::And(operands) | Expr::Or(operands) => operands.iter().map(nodes).sum(),
            Expr::Compare { left, right, .. } | Expr::Arithmetic { left, right, .. } => {
                nodes(left) + nodes(right)
            }
            Expr::Negate { operand, .. } => nodes(operand),
            Expr::In { operand, items, .. } => {
                nodes(operand) + items.iter().map(nodes).sum::<usize>()
            }
            Expr::Call { args, .. } => args.iter().map(nodes).sum(),
            Expr::Lambda {
                predicate: Some((_, body)),
                ..
            } => nodes(body),
            _ => 0,
        }
    }

    /// The steps evaluating `expr` on `item` takes.
    fn steps(expr: &Expr, schema: &Schema, item: &Value) -> usize {
        let evaluator = Evaluator {
            schema,
            item,
            steps: std::cell::Cell::new(0),
        };
        evaluator.truth(expr, &mut Vec::new());
        evaluator.steps.get()
    }

    #[test]
    fn evaluation_costs_at_most_nodes_times_members() {
        let schema = schema();
        let filters = [
            "machineTags/any(t: t eq 'nomatch')",
            "machineTags/all(t: t ne 'a' and t ne 'b' and startswith(t, 'tag') and tolower(t) in ('x', 'y', 'z'))",
            "machineTags/any(t: t eq 'a') or machineTags/all(u: u ne 'b') or machineTags/any(v: contains(v, 'x'))",
            "not (machineTags/any(t: t eq 'x' or t eq 'y' or t eq 'z')) and machineTags/any()",
            "id eq 'm1' or machineTags/all(t: t ne id)",
        ];
        for members in [0, 1, 3, 500] {
            let tags: Vec<String> = (0..members).map(|i| format!("tag{i}")).collect();
            let item = json!({"id": "m1", "machineTags": tags});
            for filter in filters {
                let expr = parse_filter(&schema, filter).unwrap();
                let bound = nodes(&expr) * members.max(1);
                let taken = steps(&expr, &schema, &item);
                assert!(
                    taken <= bound,
                    "{filter} on {members} members took {taken} steps, more than {bound}"
                );
            }
        }
    }

    #[test]
    fn case_functions_convert_ascii_and_unicode() {
        let schema = schema();
        for (id, filter, expected) in [
            ("Web01", "tolower(id) eq 'web01'", true),
            ("web01", "tolower(id) eq 'web01'", true),
            ("ÉCOLE", "tolower(id) eq 'école'", true),
            ("école", "toupper(id) eq 'ÉCOLE'", true),
            ("WEB", "toupper(id) eq 'WEB'", true),
            ("web", "toupper(id) eq 'web'", false),
        ] {
            let expr = parse_filter(&schema, filter).unwrap();
            assert_eq!(
                expr.matches(&schema, &json!({"id": id})),
                expected,
                "{filter} on {id}"
            );
        }
    }

    #[test]
    fn the_bound_is_reached_by_a_predicate_false_for_every_member() {
        let schema = schema();
        let expr = parse_filter(&schema, "machineTags/any(t: t eq 'nomatch')").unwrap();
        let tags: Vec<String> = (0..100).map(|i| format!("tag{i}")).collect();
        let item = json!({"machineTags": tags});
        // The lambda once, then its comparison and both operands per member.
        assert_eq!(steps(&expr, &schema, &item), 1 + 100 * 3);
    }
}
