//! Turns a checked `$filter` and `$orderby` into sea-query expressions with
//! the in-memory evaluator's meaning.
//!
//! Every value of the request becomes a bound parameter ([`SExpr::val`]);
//! the SQL text holds only the storage's identifiers and fixed fragments
//! written here. A boolean is translated in one of two modes:
//!
//! - *positive*: only whether the result is `TRUE` matters (the `WHERE`
//!   clause and `and`/`or` operands under it), so `NULL` may stand for
//!   false and `col = ?` is enough;
//! - *exact*: the SQL value is `TRUE`, `FALSE` or `NULL` exactly when the
//!   evaluator's is (under `not`, inside lambdas' null tests, as an
//!   operand of a comparison).

use sea_query::{
    Alias, CaseStatement, Expr as SExpr, ExprTrait as _, Func, NullOrdering, Order, Query,
    SelectStatement,
};

use defender_errors::{echo, ApiError};

use super::storage::{ColumnKind, SqlSchema};
use super::Backend;
use crate::ast::{ArithmeticOp, CompareOp, DateTimeOffset, Expr, Function, LambdaKind, Literal};
use crate::schema::PropertyType;

type Result<T> = std::result::Result<T, ApiError>;

/// The characters `$filter` could not express on an engine, as an
/// `ODataError`.
fn refuse(detail: impl std::fmt::Display) -> ApiError {
    ApiError::odata(format_args!("$filter: {detail}"))
}

/// The type of a translated value.
#[derive(Debug, Clone, PartialEq)]
enum Kind<'s> {
    Null,
    Boolean,
    Integer,
    Double,
    String,
    DateTime,
    /// A calendar date (`date(…)`).
    Date,
    /// A time of day (`time(…)`).
    Time,
    Guid,
    /// An enum stored as text (`false`) or as the member's index (`true`).
    Enum(&'s [String], bool),
}

/// A translated value.
#[derive(Debug, Clone)]
struct Typed<'s> {
    sql: SExpr,
    kind: Kind<'s>,
    /// Whether the SQL value may be `NULL`.
    nullable: bool,
    /// Whether the text is known to be ASCII (so `lower`/`upper` are exact).
    ascii: bool,
    /// What the expression is, for messages: `'name'` or `the lambda
    /// variable 't'`.
    what: Option<String>,
}

/// A translated boolean.
#[derive(Debug, Clone)]
struct Cond {
    sql: SExpr,
    /// Whether the SQL value may be `NULL`.
    nullable: bool,
}

impl Cond {
    fn constant(value: bool) -> Self {
        Cond {
            sql: SExpr::cust(if value { "TRUE" } else { "FALSE" }),
            nullable: false,
        }
    }
}

/// A lambda variable in scope: its name and the member expression.
struct Scope<'s> {
    name: String,
    member: Typed<'s>,
}

pub(super) struct Translator<'s> {
    pub(super) backend: Backend,
    pub(super) storage: &'s SqlSchema,
    scopes: Vec<Scope<'s>>,
    /// Lambdas translated so far, to name each member table uniquely.
    lambdas: usize,
}

impl<'s> Translator<'s> {
    pub(super) fn new(backend: Backend, storage: &'s SqlSchema) -> Self {
        Translator {
            backend,
            storage,
            scopes: Vec::new(),
            lambdas: 0,
        }
    }

    /// `template` with its `?` marks replaced by `args`, in the backend's
    /// placeholder syntax. Templates are fixed text of this module.
    fn custom(&self, template: &'static str, args: Vec<SExpr>) -> SExpr {
        match self.backend {
            Backend::Sqlite => SExpr::cust_with_exprs(template, args),
            Backend::Postgres => SExpr::cust_with_exprs(template.replace('?', "$"), args),
        }
    }

    /// `expr COLLATE "C"` on PostgreSQL (byte order), `expr` on SQLite.
    fn bytewise(&self, expr: SExpr) -> SExpr {
        match self.backend {
            Backend::Sqlite => expr,
            Backend::Postgres => self.custom("(? COLLATE \"C\")", vec![expr]),
        }
    }

    pub(super) fn column_ref(&self, column: &str) -> SExpr {
        SExpr::col((
            Alias::new(self.storage.table.clone()),
            Alias::new(column.to_owned()),
        ))
    }

    /// The whole filter, for a `WHERE` clause.
    pub(super) fn filter(&mut self, expr: &'s Expr) -> Result<SExpr> {
        Ok(self.boolean(expr, false)?.sql)
    }

    fn boolean(&mut self, expr: &'s Expr, exact: bool) -> Result<Cond> {
        if is_constant(expr) {
            return Ok(Cond::constant(
                expr.matches(&self.storage.schema, &serde_json::Value::Null),
            ));
        }
        match expr {
            Expr::Not { operand, .. } => {
                let inner = self.boolean(operand, true)?;
                Ok(Cond {
                    sql: inner.sql.not(),
                    nullable: inner.nullable,
                })
            }
            Expr::And(operands) | Expr::Or(operands) => {
                let and = matches!(expr, Expr::And(_));
                let mut parts = Vec::with_capacity(operands.len());
                let mut nullable = false;
                for operand in operands {
                    let c = self.boolean(operand, exact)?;
                    nullable |= c.nullable;
                    parts.push(c.sql);
                }
                let mut iter = parts.into_iter();
                let first = iter.next().expect("and/or has operands");
                let sql = iter.fold(first, |acc, p| if and { acc.and(p) } else { acc.or(p) });
                Ok(Cond { sql, nullable })
            }
            Expr::Compare {
                op, left, right, ..
            } => self.compare(*op, left, right, exact),
            Expr::In { operand, items, .. } => self.is_in(operand, items, exact),
            Expr::Call { .. } | Expr::Property { .. } | Expr::Variable { .. } => {
                let v = self.value(expr)?;
                Ok(Cond {
                    sql: v.sql,
                    nullable: v.nullable,
                })
            }
            Expr::Lambda {
                kind,
                collection,
                predicate,
                ..
            } => self.lambda(*kind, collection, predicate.as_ref(), exact),
            Expr::Literal { .. } | Expr::Arithmetic { .. } | Expr::Negate { .. } => {
                unreachable!("checked: not a boolean, or a folded constant")
            }
        }
    }

    fn value(&mut self, expr: &'s Expr) -> Result<Typed<'s>> {
        match expr {
            Expr::Literal { value, .. } => Ok(self.literal(value)),
            Expr::Property { name, .. } => self.property(name),
            Expr::Variable { name, .. } => {
                let scope = self
                    .scopes
                    .iter()
                    .rev()
                    .find(|s| &s.name == name)
                    .ok_or_else(|| refuse(format_args!("unknown variable '{}'", echo(name))))?;
                Ok(scope.member.clone())
            }
            Expr::Call { function, args, .. } => self.call(*function, args),
            Expr::Arithmetic {
                op, left, right, ..
            } => {
                let l = self.value(left)?;
                let r = self.value(right)?;
                self.arithmetic(*op, l, r)
            }
            Expr::Negate { operand, .. } => {
                let v = self.value(operand)?;
                self.negate(v)
            }
            Expr::Not { .. }
            | Expr::And(_)
            | Expr::Or(_)
            | Expr::Compare { .. }
            | Expr::In { .. }
            | Expr::Lambda { .. } => {
                let c = self.boolean(expr, true)?;
                Ok(Typed {
                    sql: c.sql,
                    kind: Kind::Boolean,
                    nullable: c.nullable,
                    ascii: false,
                    what: None,
                })
            }
        }
    }

    fn literal(&self, value: &Literal) -> Typed<'s> {
        let (sql, kind, ascii) = match value {
            Literal::Null => (SExpr::cust("NULL"), Kind::Null, true),
            Literal::Boolean(b) => (SExpr::val(*b), Kind::Boolean, false),
            Literal::Integer(i) => (SExpr::val(*i), Kind::Integer, false),
            Literal::Decimal(d) => (SExpr::val(*d), Kind::Double, false),
            Literal::String(s) => (SExpr::val(s.clone()), Kind::String, s.is_ascii()),
            Literal::DateTime(dt) => (self.datetime_value(dt), Kind::DateTime, false),
            Literal::Guid(g) => (
                self.guid_value(&g.hyphenated().to_string()),
                Kind::Guid,
                false,
            ),
            Literal::TimeOfDay(t) => (
                self.time_value(super::format_time(t.nanos_since_midnight() / 1000)),
                Kind::Time,
                false,
            ),
        };
        Typed {
            sql,
            kind,
            nullable: matches!(value, Literal::Null),
            ascii,
            what: None,
        }
    }

    fn datetime_value(&self, dt: &DateTimeOffset) -> SExpr {
        let text = super::format_datetime(dt);
        match self.backend {
            Backend::Sqlite => SExpr::val(text),
            Backend::Postgres => SExpr::val(text).cast_as("timestamptz"),
        }
    }

    fn time_value(&self, text: String) -> SExpr {
        match self.backend {
            Backend::Sqlite => SExpr::val(text),
            Backend::Postgres => SExpr::val(text).cast_as("time"),
        }
    }

    fn date_value(&self, text: String) -> SExpr {
        match self.backend {
            Backend::Sqlite => SExpr::val(text),
            Backend::Postgres => SExpr::val(text).cast_as("date"),
        }
    }

    fn guid_value(&self, text: &str) -> SExpr {
        match self.backend {
            Backend::Sqlite => SExpr::val(text.to_ascii_lowercase()),
            Backend::Postgres => SExpr::val(text.to_ascii_lowercase()).cast_as("uuid"),
        }
    }

    fn property(&self, name: &str) -> Result<Typed<'s>> {
        let storage = self.storage;
        let (Some(property), Some(column)) =
            (storage.schema.property(name), storage.columns.get(name))
        else {
            return Err(refuse(format_args!(
                "property '{}' has no SQL storage",
                echo(name)
            )));
        };
        let ColumnKind::Scalar(column_name) = &column.kind else {
            return Err(refuse(format_args!(
                "collection '{name}' can only be used with any/all"
            )));
        };
        let kind = match property.ty() {
            PropertyType::String => Kind::String,
            PropertyType::Integer => Kind::Integer,
            PropertyType::Double => Kind::Double,
            PropertyType::Boolean => Kind::Boolean,
            PropertyType::DateTime => Kind::DateTime,
            PropertyType::Guid => Kind::Guid,
            PropertyType::Enum(members) => Kind::Enum(members, column.enum_as_index),
            _ => {
                return Err(refuse(format_args!(
                    "property '{name}' of type {} cannot be translated to SQL",
                    property.ty()
                )))
            }
        };
        Ok(Typed {
            sql: self.column_ref(column_name),
            kind,
            nullable: !column.not_null,
            ascii: column.ascii_only,
            what: Some(format!("'{name}'")),
        })
    }

    fn call(&mut self, function: Function, args: &'s [Expr]) -> Result<Typed<'s>> {
        let mut values = Vec::with_capacity(args.len());
        for arg in args {
            values.push(self.value(arg)?);
        }
        let nullable = values.iter().any(|v| v.nullable);
        match function {
            Function::ToLower | Function::ToUpper => {
                let upper = function == Function::ToUpper;
                let arg = values.pop().expect("one argument");
                if let Expr::Literal {
                    value: Literal::String(s),
                    ..
                } = &args[0]
                {
                    let folded = if upper {
                        s.to_uppercase()
                    } else {
                        s.to_lowercase()
                    };
                    return Ok(Typed {
                        ascii: folded.is_ascii(),
                        sql: SExpr::val(folded),
                        ..arg
                    });
                }
                if !arg.ascii {
                    let what = arg
                        .what
                        .clone()
                        .unwrap_or_else(|| "its argument".to_owned());
                    return Err(refuse(format_args!(
                        "{function} on {what} cannot be translated to SQL: declare the column ASCII-only"
                    )));
                }
                let inner = match self.backend {
                    Backend::Sqlite => arg.sql,
                    Backend::Postgres => self.bytewise(arg.sql),
                };
                let sql = if upper {
                    Func::upper(inner).into()
                } else {
                    Func::lower(inner).into()
                };
                Ok(Typed {
                    sql,
                    kind: Kind::String,
                    nullable,
                    ascii: true,
                    what: arg.what,
                })
            }
            Function::Contains | Function::StartsWith | Function::EndsWith => {
                let pattern = values.pop().expect("two arguments");
                let text = values.pop().expect("two arguments");
                let literal = match &args[1] {
                    Expr::Literal {
                        value: Literal::String(s),
                        ..
                    } => Some(s.as_str()),
                    _ => None,
                };
                let sql = self.substring_test(function, text.sql, pattern.sql, literal);
                Ok(Typed {
                    sql,
                    kind: Kind::Boolean,
                    nullable,
                    ascii: false,
                    what: None,
                })
            }
            Function::Length | Function::IndexOf => {
                let sql = match (function, self.backend) {
                    (Function::Length, Backend::Sqlite) => {
                        Func::cust("length").arg(values[0].sql.clone()).into()
                    }
                    (Function::Length, Backend::Postgres) => {
                        Func::cust("char_length").arg(values[0].sql.clone()).into()
                    }
                    (_, backend) => {
                        let name = if backend == Backend::Sqlite {
                            "instr"
                        } else {
                            "strpos"
                        };
                        SExpr::from(
                            Func::cust(name)
                                .arg(values[0].sql.clone())
                                .arg(values[1].sql.clone()),
                        )
                        .sub(1)
                    }
                };
                let sql = self.as_bigint(sql);
                Ok(self.derived(sql, Kind::Integer, nullable, false))
            }
            Function::Concat => {
                let ascii = values.iter().all(|v| v.ascii);
                let sql = self.custom(
                    "(? || ?)",
                    vec![values[0].sql.clone(), values[1].sql.clone()],
                );
                Ok(self.derived(sql, Kind::String, nullable, ascii))
            }
            Function::Trim => {
                let ascii = values[0].ascii;
                let name = if self.backend == Backend::Sqlite {
                    "trim"
                } else {
                    "btrim"
                };
                let sql = Func::cust(name)
                    .arg(values[0].sql.clone())
                    .arg(SExpr::val(whitespace()))
                    .into();
                Ok(self.derived(sql, Kind::String, nullable, ascii))
            }
            Function::Substring => {
                let ascii = values[0].ascii;
                // 0-based, negative as 0; clamped so `+ 1` cannot overflow
                // (no text is a billion characters long).
                let clamp = |v: SExpr| -> SExpr {
                    self.custom(
                        "(CASE WHEN ? < 0 THEN 0 WHEN ? > 1000000000 THEN 1000000000 ELSE ? END)",
                        vec![v.clone(), v.clone(), v],
                    )
                };
                let start = clamp(values[1].sql.clone()).add(1);
                let (start, length) = match self.backend {
                    Backend::Sqlite => (start, values.get(2).map(|v| clamp(v.sql.clone()))),
                    Backend::Postgres => (
                        start.cast_as("integer"),
                        values
                            .get(2)
                            .map(|v| clamp(v.sql.clone()).cast_as("integer")),
                    ),
                };
                let mut call = Func::cust("substr").arg(values[0].sql.clone()).arg(start);
                if let Some(length) = length {
                    call = call.arg(length);
                }
                Ok(self.derived(call.into(), Kind::String, nullable, ascii))
            }
            Function::Year
            | Function::Month
            | Function::Day
            | Function::Hour
            | Function::Minute
            | Function::Second => {
                let v = values[0].sql.clone();
                let sql = match self.backend {
                    Backend::Sqlite => {
                        let (from, len) = match function {
                            Function::Year => (1, 4),
                            Function::Month => (6, 2),
                            Function::Day => (9, 2),
                            Function::Hour => (12, 2),
                            Function::Minute => (15, 2),
                            _ => (18, 2),
                        };
                        Func::cust("substr")
                            .arg(v)
                            .arg(SExpr::cust(from.to_string()))
                            .arg(SExpr::cust(len.to_string()))
                            .into()
                    }
                    Backend::Postgres => {
                        let template = match function {
                            Function::Year => "EXTRACT(YEAR FROM (? AT TIME ZONE 'UTC'))",
                            Function::Month => "EXTRACT(MONTH FROM (? AT TIME ZONE 'UTC'))",
                            Function::Day => "EXTRACT(DAY FROM (? AT TIME ZONE 'UTC'))",
                            Function::Hour => "EXTRACT(HOUR FROM (? AT TIME ZONE 'UTC'))",
                            Function::Minute => "EXTRACT(MINUTE FROM (? AT TIME ZONE 'UTC'))",
                            _ => "floor(EXTRACT(SECOND FROM (? AT TIME ZONE 'UTC')))",
                        };
                        self.custom(template, vec![v])
                    }
                };
                Ok(self.derived(self.as_bigint(sql), Kind::Integer, nullable, false))
            }
            Function::Date | Function::Time => {
                let v = values[0].sql.clone();
                let (sql, kind) = match (function, self.backend) {
                    (Function::Date, Backend::Sqlite) => (
                        Func::cust("substr")
                            .arg(v)
                            .arg(SExpr::cust("1"))
                            .arg(SExpr::cust("10"))
                            .into(),
                        Kind::Date,
                    ),
                    (_, Backend::Sqlite) => (
                        Func::cust("substr")
                            .arg(v)
                            .arg(SExpr::cust("12"))
                            .arg(SExpr::cust("15"))
                            .into(),
                        Kind::Time,
                    ),
                    (Function::Date, _) => (
                        self.custom("CAST((? AT TIME ZONE 'UTC') AS date)", vec![v]),
                        Kind::Date,
                    ),
                    _ => (
                        self.custom("CAST((? AT TIME ZONE 'UTC') AS time)", vec![v]),
                        Kind::Time,
                    ),
                };
                Ok(self.derived(sql, kind, nullable, false))
            }
            #[allow(unreachable_patterns)]
            other => Err(refuse(format_args!(
                "the function '{other}' cannot be translated to SQL"
            ))),
        }
    }

    /// `contains`, `startswith` or `endswith`, case-sensitive and literal
    /// (`%`, `_` and `\` are ordinary characters). `NULL` when an operand
    /// is.
    fn substring_test(
        &self,
        function: Function,
        text: SExpr,
        pattern: SExpr,
        literal: Option<&str>,
    ) -> SExpr {
        match self.backend {
            Backend::Sqlite => match function {
                // instr() counts characters and compares bytes exactly;
                // SQLite's LIKE would ignore ASCII case.
                Function::Contains => SExpr::from(Func::cust("instr").arg(text).arg(pattern)).gt(0),
                Function::StartsWith => {
                    SExpr::from(Func::cust("instr").arg(text).arg(pattern)).eq(1)
                }
                _ => self.custom(
                    "(length(?) >= length(?) AND substr(?, length(?) - length(?) + 1) = ?)",
                    vec![
                        text.clone(),
                        pattern.clone(),
                        text.clone(),
                        text,
                        pattern.clone(),
                        pattern,
                    ],
                ),
            },
            Backend::Postgres => match literal {
                // A literal pattern: LIKE with its wildcards escaped, in
                // the C collation (case-sensitive, byte order).
                Some(p) => {
                    let escaped = escape_like(p);
                    let pattern = match function {
                        Function::Contains => format!("%{escaped}%"),
                        Function::StartsWith => format!("{escaped}%"),
                        _ => format!("%{escaped}"),
                    };
                    self.custom(
                        "(? COLLATE \"C\" LIKE ? ESCAPE '\\')",
                        vec![text, SExpr::val(pattern)],
                    )
                }
                None => match function {
                    Function::Contains => {
                        SExpr::from(Func::cust("strpos").arg(text).arg(pattern)).gt(0)
                    }
                    Function::StartsWith => Func::cust("starts_with").arg(text).arg(pattern).into(),
                    _ => self.custom(
                        "(right(?, length(?)) = ?)",
                        vec![text, pattern.clone(), pattern],
                    ),
                },
            },
        }
    }

    fn compare(
        &mut self,
        op: CompareOp,
        left: &'s Expr,
        right: &'s Expr,
        exact: bool,
    ) -> Result<Cond> {
        // A literal goes to the right.
        let (op, left, right) = if matches!(left, Expr::Literal { .. }) {
            (flip(op), right, left)
        } else {
            (op, left, right)
        };
        let l = self.value(left)?;
        if let Expr::Literal { value, .. } = right {
            return self.compare_literal(op, l, value, exact);
        }
        let r = self.value(right)?;
        self.compare_values(op, l, r, exact)
    }

    /// `l op literal`, exactly: numbers across integer and double,
    /// date-times below a microsecond, enum order.
    fn compare_literal(
        &mut self,
        op: CompareOp,
        l: Typed<'s>,
        lit: &Literal,
        exact: bool,
    ) -> Result<Cond> {
        let not_null = |l: &Typed<'s>| -> Cond {
            if l.nullable {
                Cond {
                    sql: l.sql.clone().is_not_null(),
                    nullable: false,
                }
            } else {
                Cond::constant(true)
            }
        };
        // What `l op lit` is when every non-null `l` is on one side of it:
        // `below` when every value is smaller than the literal.
        let one_sided = |l: &Typed<'s>, below: bool| -> Cond {
            match op {
                CompareOp::Eq => Cond::constant(false),
                CompareOp::Ne => Cond::constant(true),
                CompareOp::Lt | CompareOp::Le if below => not_null(l),
                CompareOp::Gt | CompareOp::Ge if !below => not_null(l),
                _ => Cond::constant(false),
            }
        };
        match (lit, &l.kind) {
            (Literal::Null, _) => Ok(match op {
                CompareOp::Eq if l.nullable => Cond {
                    sql: l.sql.is_null(),
                    nullable: false,
                },
                CompareOp::Eq => Cond::constant(false),
                CompareOp::Ne => not_null(&l),
                _ => Cond::constant(false),
            }),
            (Literal::Decimal(d), Kind::Integer) => {
                let d = *d;
                if d.is_nan() {
                    // Unordered: only `ne` holds, as in memory.
                    return Ok(Cond::constant(op == CompareOp::Ne));
                }
                if d.fract() == 0.0
                    && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&d)
                {
                    return self.compare_values(
                        op,
                        l,
                        self.plain(SExpr::val(d as i64), Kind::Integer),
                        exact,
                    );
                }
                if d >= 9_223_372_036_854_775_808.0 {
                    return Ok(one_sided(&l, true));
                }
                if d < -9_223_372_036_854_775_808.0 {
                    return Ok(one_sided(&l, false));
                }
                // Not an integer: x < d ⇔ x ≤ floor(d); x > d ⇔ x ≥ ceil(d).
                let (op, bound) = match op {
                    CompareOp::Eq | CompareOp::Ne => return Ok(one_sided(&l, true)),
                    CompareOp::Lt | CompareOp::Le => (CompareOp::Le, d.floor()),
                    CompareOp::Gt | CompareOp::Ge => (CompareOp::Ge, d.ceil()),
                };
                self.compare_values(
                    op,
                    l,
                    self.plain(SExpr::val(bound as i64), Kind::Integer),
                    exact,
                )
            }
            (Literal::Integer(i), Kind::Double) => {
                let i = *i;
                let f = i as f64;
                let back = f as i128;
                if back == i128::from(i) {
                    return self.compare_values(
                        op,
                        l,
                        self.plain(SExpr::val(f), Kind::Double),
                        exact,
                    );
                }
                // `i` lies strictly between two neighbouring doubles.
                let (lo, hi) = if back < i128::from(i) {
                    (f, f.next_up())
                } else {
                    (f.next_down(), f)
                };
                let (op, bound) = match op {
                    CompareOp::Eq | CompareOp::Ne => return Ok(one_sided(&l, true)),
                    CompareOp::Lt | CompareOp::Le => (CompareOp::Le, lo),
                    CompareOp::Gt | CompareOp::Ge => (CompareOp::Ge, hi),
                };
                self.compare_values(op, l, self.plain(SExpr::val(bound), Kind::Double), exact)
            }
            (Literal::DateTime(dt), Kind::DateTime) => {
                let (seconds, nanos) = dt.unix_timestamp();
                if seconds < super::MIN_SECONDS {
                    return Ok(one_sided(&l, false));
                }
                if seconds > super::MAX_SECONDS {
                    return Ok(one_sided(&l, true));
                }
                if nanos % 1000 == 0 {
                    let r = self.literal(lit);
                    return self.compare_values(op, l, r, exact);
                }
                // Stored values have whole microseconds.
                let floor = super::format_micros(seconds, nanos / 1000);
                let (op, text) = match op {
                    CompareOp::Eq | CompareOp::Ne => return Ok(one_sided(&l, true)),
                    CompareOp::Lt | CompareOp::Le => (CompareOp::Le, floor),
                    CompareOp::Gt | CompareOp::Ge => {
                        let (s, m) = if nanos / 1000 == 999_999 {
                            (seconds + 1, 0)
                        } else {
                            (seconds, nanos / 1000 + 1)
                        };
                        (CompareOp::Ge, super::format_micros(s, m))
                    }
                };
                let sql = match self.backend {
                    Backend::Sqlite => SExpr::val(text),
                    Backend::Postgres => SExpr::val(text).cast_as("timestamptz"),
                };
                self.compare_values(op, l, self.plain(sql, Kind::DateTime), exact)
            }
            (Literal::DateTime(dt), Kind::Date) => {
                // Checked: a date literal, midnight UTC.
                let days = dt.unix_timestamp().0.div_euclid(86_400);
                let text = super::format_micros(days * 86_400, 0)[..10].to_owned();
                let r = self.plain(self.date_value(text), Kind::Date);
                self.compare_values(op, l, r, exact)
            }
            (Literal::TimeOfDay(t), Kind::Time) => {
                let nanos = t.nanos_since_midnight();
                if nanos % 1000 == 0 {
                    let r = self.literal(lit);
                    return self.compare_values(op, l, r, exact);
                }
                let floor = nanos / 1000;
                let (op, micros) = match op {
                    CompareOp::Eq | CompareOp::Ne => return Ok(one_sided(&l, true)),
                    CompareOp::Lt | CompareOp::Le => (CompareOp::Le, floor),
                    CompareOp::Gt | CompareOp::Ge => {
                        if floor + 1 == 86_400_000_000 {
                            // Above every time of day.
                            return Ok(one_sided(&l, true));
                        }
                        (CompareOp::Ge, floor + 1)
                    }
                };
                let r = self.plain(self.time_value(super::format_time(micros)), Kind::Time);
                self.compare_values(op, l, r, exact)
            }
            (Literal::String(s), Kind::Enum(members, as_index)) => {
                let index = members
                    .iter()
                    .position(|m| m == s)
                    .ok_or_else(|| refuse(format_args!("'{}' is not an enum member", echo(s))))?;
                let as_index = *as_index;
                let count = members.len();
                if !op.is_ordering() {
                    let value = if as_index {
                        SExpr::val(index as i64)
                    } else {
                        SExpr::val(s.clone())
                    };
                    return self.compare_values(op, l, self.plain(value, Kind::Integer), exact);
                }
                // Order by member index; a stored non-member ranks after
                // every member.
                let rank = self.enum_rank(l.sql.clone(), members, as_index);
                let _ = count;
                let ranked = Typed {
                    sql: rank,
                    kind: Kind::Integer,
                    ..l
                };
                self.compare_values(
                    op,
                    ranked,
                    self.plain(SExpr::val(index as i64), Kind::Integer),
                    exact,
                )
            }
            (Literal::Guid(_) | Literal::String(_), Kind::Guid) => {
                let text = match lit {
                    Literal::Guid(g) => g.hyphenated().to_string(),
                    Literal::String(s) => s.clone(),
                    _ => unreachable!(),
                };
                let r = self.plain(self.guid_value(&text), Kind::Guid);
                self.compare_values(op, l, r, exact)
            }
            _ => {
                let r = self.literal(lit);
                self.compare_values(op, l, r, exact)
            }
        }
    }

    /// A computed value.
    fn derived(&self, sql: SExpr, kind: Kind<'s>, nullable: bool, ascii: bool) -> Typed<'s> {
        Typed {
            sql,
            kind,
            nullable,
            ascii,
            what: None,
        }
    }

    /// `CAST(expr AS INTEGER)` on SQLite, `bigint` on PostgreSQL.
    fn as_bigint(&self, sql: SExpr) -> SExpr {
        match self.backend {
            Backend::Sqlite => sql.cast_as("INTEGER"),
            Backend::Postgres => sql.cast_as("bigint"),
        }
    }

    /// `l op r`: integers stay integers (`div` truncating toward zero,
    /// `mod` with the dividend's sign), a double operand makes a double;
    /// division by zero and integer overflow give `NULL`.
    fn arithmetic(&self, op: ArithmeticOp, l: Typed<'s>, r: Typed<'s>) -> Result<Typed<'s>> {
        let nullable = true;
        let integers = l.kind == Kind::Integer && r.kind == Kind::Integer;
        if matches!(l.kind, Kind::Null) || matches!(r.kind, Kind::Null) {
            return Ok(self.derived(SExpr::cust("NULL"), Kind::Null, true, false));
        }
        let (a, b) = (l.sql, r.sql);
        if integers {
            let sql = match self.backend {
                Backend::Sqlite => {
                    // SQLite turns an overflowing integer operation into a
                    // REAL: keep only integer results.
                    let raw = match op {
                        ArithmeticOp::Add => a.add(b),
                        ArithmeticOp::Sub => a.sub(b),
                        ArithmeticOp::Mul => a.mul(b),
                        ArithmeticOp::Div => a.div(b),
                        ArithmeticOp::Mod => a.modulo(b),
                    };
                    self.custom(
                        "(CASE WHEN typeof(?) = 'integer' THEN ? END)",
                        vec![raw.clone(), raw],
                    )
                }
                Backend::Postgres => {
                    if op == ArithmeticOp::Mod {
                        // `%` cannot overflow (PostgreSQL gives 0 for
                        // i64::MIN % -1).
                        self.custom("(? % NULLIF(?, 0))", vec![a, b])
                    } else {
                        let exact = match op {
                            ArithmeticOp::Add => "(CAST(? AS numeric) + CAST(? AS numeric))",
                            ArithmeticOp::Sub => "(CAST(? AS numeric) - CAST(? AS numeric))",
                            ArithmeticOp::Mul => "(CAST(? AS numeric) * CAST(? AS numeric))",
                            _ => "div(CAST(? AS numeric), CAST(NULLIF(?, 0) AS numeric))",
                        };
                        let n = self.custom(exact, vec![a, b]);
                        self.custom(
                            "(CASE WHEN ? BETWEEN -9223372036854775808 AND 9223372036854775807 THEN CAST(? AS bigint) END)",
                            vec![n.clone(), n],
                        )
                    }
                }
            };
            return Ok(self.derived(sql, Kind::Integer, nullable, false));
        }
        if op == ArithmeticOp::Mod {
            return Err(refuse(
                "'mod' with a double operand cannot be translated to SQL",
            ));
        }
        let (a, b) = match self.backend {
            Backend::Sqlite => (a, b),
            Backend::Postgres => (a.cast_as("double precision"), b.cast_as("double precision")),
        };
        let sql = match op {
            ArithmeticOp::Add => a.add(b),
            ArithmeticOp::Sub => a.sub(b),
            ArithmeticOp::Mul => a.mul(b),
            _ => match self.backend {
                // SQLite gives NULL for a division by zero.
                Backend::Sqlite => a.div(b),
                Backend::Postgres => self.custom("(? / NULLIF(?, 0))", vec![a, b]),
            },
        };
        Ok(self.derived(sql, Kind::Double, nullable, false))
    }

    /// `-v`; `NULL` for `-i64::MIN`.
    fn negate(&self, v: Typed<'s>) -> Result<Typed<'s>> {
        Ok(match v.kind {
            Kind::Integer => {
                let sql = self.custom(
                    "(CASE WHEN ? = -9223372036854775807 - 1 THEN NULL ELSE -? END)",
                    vec![v.sql.clone(), v.sql],
                );
                self.derived(sql, Kind::Integer, true, false)
            }
            Kind::Null => v,
            _ => {
                let sql = self.custom("(-?)", vec![v.sql]);
                self.derived(sql, Kind::Double, v.nullable, false)
            }
        })
    }

    fn plain(&self, sql: SExpr, kind: Kind<'s>) -> Typed<'s> {
        Typed {
            sql,
            kind,
            nullable: false,
            ascii: false,
            what: None,
        }
    }

    /// The member index of an enum value; a non-member (text storage) is
    /// `members.len()`.
    pub(super) fn enum_rank(&self, value: SExpr, members: &[String], as_index: bool) -> SExpr {
        if as_index {
            return value;
        }
        let mut case = CaseStatement::new();
        for (i, m) in members.iter().enumerate() {
            case = case.case(
                value.clone().eq(SExpr::val(m.clone())),
                SExpr::val(i as i64),
            );
        }
        let otherwise = self.custom(
            "(CASE WHEN ? IS NULL THEN NULL ELSE ? END)",
            vec![value, SExpr::val(members.len() as i64)],
        );
        SExpr::Case(Box::new(case.finally(otherwise)))
    }

    /// `l op r` for two translated values of comparable kinds.
    fn compare_values(
        &mut self,
        op: CompareOp,
        l: Typed<'s>,
        r: Typed<'s>,
        exact: bool,
    ) -> Result<Cond> {
        if matches!(l.kind, Kind::Null) || matches!(r.kind, Kind::Null) {
            let other = if matches!(l.kind, Kind::Null) { r } else { l };
            return self.compare_literal(op, other, &Literal::Null, exact);
        }
        let mixed = matches!(
            (&l.kind, &r.kind),
            (Kind::Integer, Kind::Double) | (Kind::Double, Kind::Integer)
        );
        if mixed && self.backend == Backend::Postgres {
            return Err(refuse(format_args!(
                "comparing an integer with a double ({} '{op}' {}) cannot be translated exactly to PostgreSQL",
                l.what.as_deref().unwrap_or("an expression"),
                r.what.as_deref().unwrap_or("an expression")
            )));
        }
        if let (Kind::Enum(members, as_index), true) = (&l.kind, op.is_ordering()) {
            // Two enum properties: member order, then non-members by text.
            let (members, as_index) = (*members, *as_index);
            let lr = self.enum_rank(l.sql.clone(), members, as_index);
            let rr = self.enum_rank(r.sql.clone(), members, as_index);
            let both_other = lr.clone().eq(SExpr::val(members.len() as i64));
            let strict = matches!(op, CompareOp::Lt | CompareOp::Gt);
            let rank_op = |a: SExpr, b: SExpr| match op {
                CompareOp::Lt | CompareOp::Le => a.lt(b),
                _ => a.gt(b),
            };
            let text = {
                let a = self.bytewise(l.sql.clone());
                let b = r.sql.clone();
                match op {
                    CompareOp::Lt => a.lt(b),
                    CompareOp::Le => a.lte(b),
                    CompareOp::Gt => a.gt(b),
                    _ => a.gte(b),
                }
            };
            let tie = if as_index {
                if strict {
                    SExpr::cust("FALSE")
                } else {
                    SExpr::cust("TRUE")
                }
            } else {
                let eq_rank = lr.clone().eq(rr.clone());
                let member_tie = if strict {
                    SExpr::cust("FALSE")
                } else {
                    SExpr::cust("TRUE")
                };
                eq_rank.and(
                    both_other
                        .clone()
                        .and(text)
                        .or(both_other.not().and(member_tie)),
                )
            };
            let core = rank_op(lr, rr).or(tie);
            return Ok(self.finish(core, CompareOp::Lt, &l, &r, exact));
        }
        let ordering_text = op.is_ordering() && matches!(l.kind, Kind::String);
        let left_sql = if ordering_text {
            self.bytewise(l.sql.clone())
        } else {
            l.sql.clone()
        };
        let a = left_sql;
        let b = r.sql.clone();
        let core = match op {
            CompareOp::Eq => a.eq(b),
            CompareOp::Ne => a.ne(b),
            CompareOp::Lt => a.lt(b),
            CompareOp::Le => a.lte(b),
            CompareOp::Gt => a.gt(b),
            CompareOp::Ge => a.gte(b),
        };
        Ok(self.finish(core, op, &l, &r, exact))
    }

    /// Makes `core` (`l op r` in SQL, `NULL` when an operand is) two-valued
    /// with OData's null rules where the mode needs it.
    fn finish(
        &self,
        core: SExpr,
        op: CompareOp,
        l: &Typed<'s>,
        r: &Typed<'s>,
        exact: bool,
    ) -> Cond {
        let cond = |sql| Cond {
            sql,
            nullable: false,
        };
        if !l.nullable && !r.nullable {
            return cond(core);
        }
        match op {
            CompareOp::Eq if l.nullable && r.nullable => {
                cond(self.null_safe(l.sql.clone(), r.sql.clone(), true))
            }
            CompareOp::Ne if l.nullable && r.nullable => {
                cond(self.null_safe(l.sql.clone(), r.sql.clone(), false))
            }
            CompareOp::Ne => {
                let nullable_side = if l.nullable { l } else { r };
                cond(core.or(nullable_side.sql.clone().is_null()))
            }
            _ if exact => cond(Func::coalesce([core, SExpr::cust("FALSE")]).into()),
            _ => Cond {
                sql: core,
                nullable: true,
            },
        }
    }

    /// Null-safe equality (`eq`) or inequality.
    fn null_safe(&self, a: SExpr, b: SExpr, eq: bool) -> SExpr {
        match (self.backend, eq) {
            (Backend::Sqlite, true) => a.is(b),
            (Backend::Sqlite, false) => a.is_not(b),
            (Backend::Postgres, true) => self.custom("(? IS NOT DISTINCT FROM ?)", vec![a, b]),
            (Backend::Postgres, false) => self.custom("(? IS DISTINCT FROM ?)", vec![a, b]),
        }
    }

    fn is_in(&mut self, operand: &'s Expr, items: &'s [Expr], exact: bool) -> Result<Cond> {
        let mut parts: Vec<Cond> = Vec::with_capacity(items.len());
        for item in items {
            parts.push(self.compare(CompareOp::Eq, operand, item, exact)?);
        }
        let nullable = parts.iter().any(|c| c.nullable);
        let mut iter = parts.into_iter();
        let Some(first) = iter.next() else {
            return Ok(Cond::constant(false));
        };
        let sql = iter.fold(first.sql, |acc, c| acc.or(c.sql));
        Ok(Cond { sql, nullable })
    }

    fn lambda(
        &mut self,
        kind: LambdaKind,
        collection: &'s str,
        predicate: Option<&'s (String, Box<Expr>)>,
        exact: bool,
    ) -> Result<Cond> {
        let column = self.storage.columns.get(collection).ok_or_else(|| {
            refuse(format_args!(
                "property '{}' has no SQL storage",
                echo(collection)
            ))
        })?;
        self.lambdas += 1;
        let alias = format!("m{}", self.lambdas);
        let (from, member, member_nullable) = self.members(&column.kind, &alias, column.not_null);
        let Some((variable, body)) = predicate else {
            let exists = SExpr::exists(from);
            return Ok(Cond {
                sql: match kind {
                    LambdaKind::Any => exists,
                    LambdaKind::All => SExpr::cust("TRUE"),
                },
                nullable: false,
            });
        };
        self.scopes.push(Scope {
            name: variable.clone(),
            member: Typed {
                sql: member,
                kind: Kind::String,
                nullable: member_nullable,
                ascii: column.ascii_only,
                what: Some(format!("the lambda variable '{variable}'")),
            },
        });
        let result = self.lambda_body(kind, &from, body, exact);
        self.scopes.pop();
        result
    }

    fn lambda_body(
        &mut self,
        kind: LambdaKind,
        from: &SelectStatement,
        body: &'s Expr,
        exact: bool,
    ) -> Result<Cond> {
        let with = |cond: SExpr| {
            let mut select = from.clone();
            select.and_where(cond);
            SExpr::exists(select)
        };
        let positive = self.boolean(body, false)?;
        if !positive.nullable {
            let sql = match kind {
                LambdaKind::Any => with(positive.sql),
                LambdaKind::All => with(self.boolean(body, true)?.sql.not()).not(),
            };
            return Ok(Cond {
                sql,
                nullable: false,
            });
        }
        let exact_body = self.boolean(body, true)?.sql;
        let has_null = with(exact_body.clone().is_null());
        let sql = match (kind, exact) {
            (LambdaKind::Any, false) => with(positive.sql),
            (LambdaKind::All, false) => {
                with(self.custom("(? IS NOT TRUE)", vec![exact_body])).not()
            }
            (LambdaKind::Any, true) => self.custom(
                "(CASE WHEN ? THEN TRUE WHEN ? THEN NULL ELSE FALSE END)",
                vec![with(positive.sql), has_null],
            ),
            (LambdaKind::All, true) => self.custom(
                "(CASE WHEN ? THEN FALSE WHEN ? THEN NULL ELSE TRUE END)",
                vec![with(exact_body.not()), has_null],
            ),
        };
        Ok(Cond {
            sql,
            nullable: exact,
        })
    }

    /// The `SELECT 1 FROM …` over a collection's members, its member
    /// expression, and whether a member may be `NULL`.
    fn members(
        &self,
        kind: &ColumnKind,
        alias: &str,
        not_null: bool,
    ) -> (SelectStatement, SExpr, bool) {
        let mut select = Query::select();
        select.expr(SExpr::cust("1"));
        match kind {
            ColumnKind::ChildTable {
                table,
                parent,
                value,
            } => {
                select.from_as(Alias::new(table.clone()), Alias::new(alias.to_owned()));
                let key_column = self.storage.columns[&self.storage.key].name().to_owned();
                select.and_where(
                    SExpr::col((Alias::new(alias.to_owned()), Alias::new(parent.clone())))
                        .eq(self.column_ref(&key_column)),
                );
                let member = SExpr::col((Alias::new(alias.to_owned()), Alias::new(value.clone())));
                (select, member, !not_null)
            }
            ColumnKind::JsonArray(column) => {
                let col = self.column_ref(column);
                let alias_iden = Alias::new(alias.to_owned());
                match self.backend {
                    Backend::Sqlite => {
                        let array = self.custom(
                            "(CASE WHEN json_type(?) = 'array' THEN ? END)",
                            vec![col.clone(), col],
                        );
                        select.from_function(Func::cust("json_each").arg(array), alias_iden);
                        let member = SExpr::cust(format!(
                            "(CASE WHEN \"{alias}\".\"type\" = 'text' THEN \"{alias}\".\"value\" END)"
                        ));
                        (select, member, true)
                    }
                    Backend::Postgres => {
                        let array = self.custom(
                            "(CASE WHEN jsonb_typeof(?) = 'array' THEN ? END)",
                            vec![col.clone(), col],
                        );
                        select.from_function(
                            Func::cust("jsonb_array_elements").arg(array),
                            alias_iden,
                        );
                        let member = SExpr::cust(format!(
                            "(CASE WHEN jsonb_typeof(\"{alias}\") = 'string' THEN \"{alias}\" #>> '{{}}' END)"
                        ));
                        (select, member, true)
                    }
                }
            }
            ColumnKind::Scalar(_) => unreachable!("checked: a collection"),
        }
    }

    /// The `ORDER BY` expressions of one sortable property, most significant
    /// first, ascending order meaning nulls first.
    pub(super) fn order_keys(&self, property: &str) -> Result<Vec<SExpr>> {
        let typed = self.property(property)?;
        Ok(match typed.kind {
            Kind::String => vec![self.bytewise(typed.sql)],
            Kind::Enum(_, true) => vec![typed.sql],
            Kind::Enum(members, false) => {
                let rank = self.enum_rank(typed.sql.clone(), members, false);
                vec![rank, self.bytewise(typed.sql)]
            }
            _ => vec![typed.sql],
        })
    }

    /// A sort key in the order and null placement of the evaluator.
    pub(super) fn order(descending: bool) -> (Order, NullOrdering) {
        if descending {
            (Order::Desc, NullOrdering::Last)
        } else {
            (Order::Asc, NullOrdering::First)
        }
    }
}

/// The operator with its operands swapped: `1 lt x` is `x gt 1`.
fn flip(op: CompareOp) -> CompareOp {
    match op {
        CompareOp::Lt => CompareOp::Gt,
        CompareOp::Le => CompareOp::Ge,
        CompareOp::Gt => CompareOp::Lt,
        CompareOp::Ge => CompareOp::Le,
        other => other,
    }
}

/// Whether `expr` reads no property and no variable (so the evaluator
/// gives its value without an item).
fn is_constant(expr: &Expr) -> bool {
    match expr {
        Expr::Literal { .. } => true,
        Expr::Property { .. } | Expr::Variable { .. } | Expr::Lambda { .. } => false,
        Expr::Not { operand, .. } | Expr::Negate { operand, .. } => is_constant(operand),
        Expr::Arithmetic { left, right, .. } => is_constant(left) && is_constant(right),
        Expr::And(operands) | Expr::Or(operands) => operands.iter().all(is_constant),
        Expr::Compare { left, right, .. } => is_constant(left) && is_constant(right),
        Expr::In { operand, items, .. } => is_constant(operand) && items.iter().all(is_constant),
        Expr::Call { args, .. } => args.iter().all(is_constant),
    }
}

/// The characters `trim` removes: those for which Rust's
/// `char::is_whitespace` is true.
fn whitespace() -> String {
    static SET: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        (0..=0x10_FFFF_u32)
            .filter_map(char::from_u32)
            .filter(|c| c.is_whitespace())
            .collect()
    });
    SET.clone()
}

/// `text` as a LIKE pattern matching itself, with `\` as the escape.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
