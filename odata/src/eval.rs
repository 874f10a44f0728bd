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

use super::ast::{CompareOp, DateTimeOffset, Expr, Function, LambdaKind, Literal};
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
    Collection(&'a [Value]),
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
                None => Val::String(Cow::Borrowed(s)),
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
    }
}

/// Orders two non-null values of comparable types; `None` when they cannot
/// be compared.
fn order(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Integer(x), Val::Integer(y)) => Some(x.cmp(y)),
        (Val::Integer(x), Val::Double(y)) => (*x as f64).partial_cmp(y),
        (Val::Double(x), Val::Integer(y)) => x.partial_cmp(&(*y as f64)),
        (Val::Double(x), Val::Double(y)) => x.partial_cmp(y),
        (Val::String(x), Val::String(y)) => Some(x.cmp(y)),
        (Val::Boolean(x), Val::Boolean(y)) => Some(x.cmp(y)),
        (Val::DateTime(x), Val::DateTime(y)) => Some(x.cmp(y)),
        (Val::DateTime(x), Val::String(s)) => DateTimeOffset::parse(s).map(|y| x.cmp(&y)),
        (Val::String(s), Val::DateTime(y)) => DateTimeOffset::parse(s).map(|x| x.cmp(y)),
        (Val::Guid(x), Val::Guid(y)) => Some(x.cmp(y)),
        (Val::Guid(x), Val::String(s)) => Uuid::try_parse(s).ok().map(|y| x.cmp(&y)),
        (Val::String(s), Val::Guid(y)) => Uuid::try_parse(s).ok().map(|x| x.cmp(y)),
        (Val::Member(x, _), Val::Member(y, _)) => Some(x.cmp(y)),
        (Val::Member(x, members), Val::String(s)) => {
            members.iter().position(|m| m == s).map(|y| x.cmp(&y))
        }
        (Val::String(s), Val::Member(y, members)) => {
            members.iter().position(|m| m == s).map(|x| x.cmp(y))
        }
        _ => None,
    }
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
            Expr::Call { function, args, .. } => {
                // Every function takes one or two strings: no list needed.
                let mut strings: [Option<Cow<'a, str>>; 2] = [None, None];
                for (slot, arg) in strings.iter_mut().zip(args) {
                    match self.value(arg, vars) {
                        Val::String(s) => *slot = Some(s),
                        _ => return Val::Null,
                    }
                }
                match (function, strings) {
                    (Function::ToLower, [Some(s), None]) => Val::String(change_case(s, false)),
                    (Function::ToUpper, [Some(s), None]) => Val::String(change_case(s, true)),
                    (Function::StartsWith, [Some(s), Some(p)]) => Val::Boolean(s.starts_with(&*p)),
                    (Function::EndsWith, [Some(s), Some(p)]) => Val::Boolean(s.ends_with(&*p)),
                    (Function::Contains, [Some(s), Some(p)]) => Val::Boolean(s.contains(&*p)),
                    _ => Val::Null,
                }
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

/// Compares two items by one sortable property, nulls first.
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
    match (&x, &y) {
        (Val::Null, Val::Null) => Ordering::Equal,
        (Val::Null, _) => Ordering::Less,
        (_, Val::Null) => Ordering::Greater,
        _ => order(&x, &y).unwrap_or(Ordering::Equal),
    }
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
            Expr::Compare { left, right, .. } => nodes(left) + nodes(right),
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
