//! Type-checks a parsed `$filter` against a [`Schema`].

use std::cell::Cell;
use std::fmt;

use super::ast::{CompareOp, Expr, Function, LambdaKind, Literal};
use super::parse::{FilterError, Result};
use super::schema::{PropertyType, Schema};
use defender_errors::echo;

macro_rules! fail {
    ($($arg:tt)*) => {
        return Err(FilterError(format!($($arg)*)))
    };
}

/// The type of an expression.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty<'s> {
    Null,
    Boolean,
    Integer,
    Double,
    String,
    DateTime,
    Guid,
    Enum(&'s [String]),
    Collection,
    /// A calendar date: a date literal (`2024-01-01`) or `date(…)`.
    Date,
    TimeOfDay,
}

impl Ty<'_> {
    fn of_property(ty: &PropertyType) -> Ty<'_> {
        match ty {
            PropertyType::String => Ty::String,
            PropertyType::Integer => Ty::Integer,
            PropertyType::Double => Ty::Double,
            PropertyType::Boolean => Ty::Boolean,
            PropertyType::DateTime => Ty::DateTime,
            PropertyType::Guid => Ty::Guid,
            PropertyType::Enum(members) => Ty::Enum(members),
            PropertyType::StringCollection => Ty::Collection,
        }
    }

    fn of_literal(literal: &Literal) -> Ty<'static> {
        match literal {
            Literal::Null => Ty::Null,
            Literal::Boolean(_) => Ty::Boolean,
            Literal::Integer(_) => Ty::Integer,
            Literal::Decimal(_) => Ty::Double,
            Literal::String(_) => Ty::String,
            Literal::DateTime(dt) if dt.is_date() => Ty::Date,
            Literal::DateTime(_) => Ty::DateTime,
            Literal::Guid(_) => Ty::Guid,
            Literal::TimeOfDay(_) => Ty::TimeOfDay,
        }
    }

    /// The type's name after `a` or `an`.
    fn with_article(self) -> String {
        match self {
            Ty::Null => "null".to_owned(),
            Ty::Integer | Ty::Enum(_) => format!("an {self}"),
            Ty::Date => "a date".to_owned(),
            _ => format!("a {self}"),
        }
    }

    fn is_numeric(self) -> bool {
        matches!(self, Ty::Integer | Ty::Double)
    }
}

impl fmt::Display for Ty<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ty::Null => "null",
            Ty::Boolean => "boolean",
            Ty::Integer => "integer",
            Ty::Double => "double",
            Ty::String => "string",
            Ty::DateTime => "date-time",
            Ty::Guid => "GUID",
            Ty::Enum(_) => "enum",
            Ty::Collection => "collection of strings",
            Ty::Date => "date",
            Ty::TimeOfDay => "time of day",
        })
    }
}

/// An operand as messages name it: `'lastSeen' (date-time)`, `a string`.
struct Described<'e, 's>(&'e Expr, Ty<'s>);

impl fmt::Display for Described<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Expr::Property { name, .. } => write!(f, "'{}' ({})", echo(name), self.1),
            Expr::Variable { name, .. } => {
                write!(f, "the lambda variable '{}' ({})", echo(name), self.1)
            }
            Expr::Literal { value, .. } => f.write_str(value.describe()),
            Expr::Call { function, .. } => write!(f, "the result of {function} ({})", self.1),
            _ => write!(f, "{} expression", self.1.with_article()),
        }
    }
}

/// Checks `expr` against `schema`: every property exists and is
/// filterable, every operator gets operands of fitting types, and the whole
/// is a boolean.
pub(crate) fn check(expr: &Expr, schema: &Schema) -> Result<()> {
    let checker = Checker {
        schema,
        root: expr,
        enclosing_lambda: Cell::new(None),
    };
    let ty = checker.ty(expr)?;
    if ty != Ty::Boolean {
        fail!(
            "the filter must be a condition, but {} at position {} is not a boolean",
            Described(expr, ty),
            expr.position()
        );
    }
    Ok(())
}

struct Checker<'s, 'e> {
    schema: &'s Schema,
    root: &'e Expr,
    /// The lambda whose predicate is being checked: its operator, its
    /// collection and its position.
    enclosing_lambda: Cell<Option<(LambdaKind, &'e str, usize)>>,
}

impl<'s, 'e> Checker<'s, 'e> {
    fn ty(&self, expr: &'e Expr) -> Result<Ty<'s>> {
        Ok(match expr {
            Expr::Literal {
                value: Literal::String(text),
                pos,
            } if text.contains('\0') => fail!(
                "the string literal at position {pos} contains the character U+0000, which is not allowed"
            ),
            Expr::Literal { value, .. } => Ty::of_literal(value),
            Expr::Property { name, pos } => self.property(name, *pos)?,
            Expr::Variable { .. } => Ty::String,
            Expr::Not { operand, pos } => {
                let ty = self.ty(operand)?;
                if ty != Ty::Boolean {
                    fail!(
                        "'not' at position {pos} applies to {} at position {}, which is not a boolean; put a comparison in parentheses: not (… eq …)",
                        Described(operand, ty),
                        operand.position()
                    );
                }
                Ty::Boolean
            }
            Expr::And(operands) | Expr::Or(operands) => {
                let keyword = if matches!(expr, Expr::And(_)) {
                    "and"
                } else {
                    "or"
                };
                for operand in operands {
                    let ty = self.ty(operand)?;
                    if ty != Ty::Boolean {
                        fail!(
                            "'{keyword}' joins conditions, but {} at position {} is not a boolean",
                            Described(operand, ty),
                            operand.position()
                        );
                    }
                }
                Ty::Boolean
            }
            Expr::Compare {
                op,
                left,
                right,
                pos,
            } => {
                let l = self.ty(left)?;
                let r = self.ty(right)?;
                self.comparable(*op, *pos, (left, l), (right, r))?;
                Ty::Boolean
            }
            Expr::Arithmetic {
                op,
                left,
                right,
                pos,
            } => {
                let l = self.ty(left)?;
                let r = self.ty(right)?;
                for (side, ty) in [(left, l), (right, r)] {
                    if !ty.is_numeric() {
                        fail!(
                            "'{op}' at position {pos} applies to numbers, but {} at position {} is not a number",
                            Described(side, ty),
                            side.position()
                        );
                    }
                }
                if l == Ty::Integer && r == Ty::Integer {
                    Ty::Integer
                } else {
                    Ty::Double
                }
            }
            Expr::Negate { operand, pos } => {
                let ty = self.ty(operand)?;
                if !ty.is_numeric() {
                    fail!(
                        "'-' at position {pos} applies to numbers, but {} at position {} is not a number",
                        Described(operand, ty),
                        operand.position()
                    );
                }
                ty
            }
            Expr::In {
                operand,
                items,
                pos,
            } => {
                let ty = self.ty(operand)?;
                if matches!(ty, Ty::Collection | Ty::Null) {
                    fail!(
                        "'in' at position {pos} tests a single value, not {} at position {}",
                        Described(operand, ty),
                        operand.position()
                    );
                }
                for item in items {
                    let item_ty = self.ty(item)?;
                    self.comparable(CompareOp::Eq, *pos, (operand, ty), (item, item_ty))?;
                }
                Ty::Boolean
            }
            Expr::Call {
                function,
                args,
                pos,
            } => {
                for (i, arg) in args.iter().enumerate() {
                    let ty = self.ty(arg)?;
                    let wanted = parameter(*function, i);
                    if ty != wanted {
                        let hint = if ty == Ty::Collection {
                            "; use any/all for collections"
                        } else {
                            ""
                        };
                        fail!(
                            "argument {} of '{function}' at position {pos} must be {}, but {} at position {} is not{hint}",
                            i + 1,
                            wanted.with_article(),
                            Described(arg, ty),
                            arg.position()
                        );
                    }
                }
                result(*function)
            }
            Expr::Lambda {
                kind,
                collection,
                pos,
                predicate,
            } => {
                let ty = self.property(collection, *pos)?;
                if ty != Ty::Collection {
                    fail!(
                        "'{kind}' applies to collection properties, but '{}' at position {pos} is {}",
                        echo(collection),
                        ty.with_article()
                    );
                }
                if let Some((outer_kind, outer, outer_pos)) = self.enclosing_lambda.get() {
                    fail!(
                        "'{kind}' on '{}' at position {pos} is inside the predicate of '{outer_kind}' on '{}' at position {outer_pos}; lambdas cannot be nested, join them with 'and' or 'or' instead",
                        echo(collection),
                        echo(outer)
                    );
                }
                // A variable named like a property shadows it: the parser
                // made every use inside the predicate an `Expr::Variable`.
                if let Some((_, body)) = predicate {
                    self.enclosing_lambda
                        .set(Some((*kind, collection.as_str(), *pos)));
                    let body_ty = self.ty(body);
                    self.enclosing_lambda.set(None);
                    let body_ty = body_ty?;
                    if body_ty != Ty::Boolean {
                        let which = match kind {
                            LambdaKind::Any => "any",
                            LambdaKind::All => "all",
                        };
                        fail!(
                            "the predicate of '{which}' at position {pos} must be a condition, but {} at position {} is not a boolean",
                            Described(body, body_ty),
                            body.position()
                        );
                    }
                }
                Ty::Boolean
            }
        })
    }

    fn property(&self, name: &str, pos: usize) -> Result<Ty<'s>> {
        let Some(property) = self.schema.property(name) else {
            let name_echo = echo(name);
            if let Some(known) = self.schema.case_variant(name) {
                fail!(
                    "unknown property '{name_echo}' at position {pos}; did you mean '{}'? Property names are case-sensitive",
                    known.name()
                );
            }
            if let Some(keyword) = ["true", "false", "null"]
                .into_iter()
                .find(|k| k.eq_ignore_ascii_case(name))
            {
                fail!(
                    "unknown property '{name_echo}' at position {pos}; did you mean '{keyword}'? Keywords are case-sensitive"
                );
            }
            if is_lambda_variable(self.root, name) {
                fail!(
                    "unknown property '{name_echo}' at position {pos}; '{name_echo}' is a lambda variable and exists only inside its any/all"
                );
            }
            fail!("unknown property '{name_echo}' at position {pos}");
        };
        if !property.is_filterable() {
            fail!("property '{name}' at position {pos} cannot be used in $filter");
        }
        Ok(Ty::of_property(property.ty()))
    }

    /// Whether `left op right` is allowed; the error points at the literal
    /// when one side is a literal, else at the operator.
    fn comparable(
        &self,
        op: CompareOp,
        op_pos: usize,
        (left, l): (&Expr, Ty<'s>),
        (right, r): (&Expr, Ty<'s>),
    ) -> Result<()> {
        for (side, ty) in [(left, l), (right, r)] {
            if ty == Ty::Collection {
                let name = match side {
                    Expr::Property { name, .. } => echo(name).into_owned(),
                    _ => "collection".to_owned(),
                };
                fail!(
                    "{} at position {} cannot be compared with '{op}'; test its members with {name}/any(x: x {op} …)",
                    Described(side, ty),
                    side.position()
                );
            }
        }
        // Ordering comparisons with null are allowed, as ODataLib allows
        // them: they are false for every item.
        if op.is_ordering() {
            for (side, ty) in [(left, l), (right, r)] {
                if ty == Ty::Boolean {
                    fail!(
                        "{} at position {} cannot be compared with '{op}' at position {op_pos}; booleans support only eq and ne",
                        Described(side, ty),
                        side.position()
                    );
                }
            }
        }
        // A string literal against an enum or a GUID must name a value.
        for ((side, ty), (other, _)) in [((left, l), (right, r)), ((right, r), (left, l))] {
            let Expr::Literal {
                value: Literal::String(text),
                pos,
            } = other
            else {
                continue;
            };
            match ty {
                Ty::Enum(members) => {
                    if members.iter().any(|m| m == text) {
                        return Ok(());
                    }
                    let list = members
                        .iter()
                        .map(|m| format!("'{m}'"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    if let Some(member) = members.iter().find(|m| m.eq_ignore_ascii_case(text)) {
                        fail!(
                            "'{}' at position {pos} is not a value of {}; did you mean '{member}'? Values are case-sensitive",
                            echo(text),
                            Described(side, ty)
                        );
                    }
                    fail!(
                        "'{}' at position {pos} is not a value of {}; expected one of {list}",
                        echo(text),
                        Described(side, ty)
                    );
                }
                Ty::Guid => {
                    if is_guid(text) {
                        return Ok(());
                    }
                    fail!(
                        "'{}' at position {pos} is not a GUID, so it cannot be compared with {}",
                        echo(text),
                        Described(side, ty)
                    );
                }
                Ty::DateTime | Ty::Date if super::ast::DateTimeOffset::parse(text).is_some() => {
                    fail!(
                        "cannot compare {} with a string at position {pos}; write date-times without quotes, as in {}",
                        Described(side, ty),
                        echo(text)
                    );
                }
                _ => {}
            }
        }
        // A date literal is also the instant of its midnight UTC, so it
        // compares with date-times; the result of `date(…)` does not.
        let date_literal =
            |side: &Expr, ty: Ty<'_>| ty == Ty::Date && matches!(side, Expr::Literal { .. });
        let fits = l == r
            || l == Ty::Null
            || r == Ty::Null
            || (l.is_numeric() && r.is_numeric())
            || matches!((l, r), (Ty::Enum(a), Ty::Enum(b)) if a == b)
            || (l == Ty::DateTime && date_literal(right, r))
            || (r == Ty::DateTime && date_literal(left, l));
        if fits {
            return Ok(());
        }
        let pos = match (left, right) {
            (_, Expr::Literal { pos, .. }) | (Expr::Literal { pos, .. }, _) => *pos,
            _ => op_pos,
        };
        fail!(
            "cannot compare {} with {} at position {pos}",
            Described(left, l),
            Described(right, r)
        )
    }
}

/// The type of argument `index` of `function`.
fn parameter(function: Function, index: usize) -> Ty<'static> {
    match function {
        Function::Substring if index > 0 => Ty::Integer,
        Function::Year
        | Function::Month
        | Function::Day
        | Function::Hour
        | Function::Minute
        | Function::Second
        | Function::Date
        | Function::Time => Ty::DateTime,
        _ => Ty::String,
    }
}

/// The type `function` returns.
fn result(function: Function) -> Ty<'static> {
    match function {
        Function::StartsWith | Function::EndsWith | Function::Contains => Ty::Boolean,
        Function::Length
        | Function::IndexOf
        | Function::Year
        | Function::Month
        | Function::Day
        | Function::Hour
        | Function::Minute
        | Function::Second => Ty::Integer,
        Function::Date => Ty::Date,
        Function::Time => Ty::TimeOfDay,
        _ => Ty::String,
    }
}

fn is_guid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// Whether any lambda in `expr` names its variable `name`.
fn is_lambda_variable(expr: &Expr, name: &str) -> bool {
    match expr {
        Expr::Lambda {
            predicate: Some((variable, body)),
            ..
        } => variable == name || is_lambda_variable(body, name),
        Expr::Not { operand, .. } => is_lambda_variable(operand, name),
        Expr::And(operands) | Expr::Or(operands) => {
            operands.iter().any(|e| is_lambda_variable(e, name))
        }
        Expr::Compare { left, right, .. } | Expr::Arithmetic { left, right, .. } => {
            is_lambda_variable(left, name) || is_lambda_variable(right, name)
        }
        Expr::In { operand, .. } | Expr::Negate { operand, .. } => {
            is_lambda_variable(operand, name)
        }
        Expr::Call { args, .. } => args.iter().any(|e| is_lambda_variable(e, name)),
        _ => false,
    }
}
