//! The `$filter` syntax tree and its literal values.
//!
//! Every node keeps the 0-based character position where it starts in the
//! option's value, so the checker can point at the culprit. `Display`
//! renders a node in canonical OData syntax with every compound operand in
//! parentheses, which makes the tree's shape visible:
//! `a eq 1 and b eq 2 or c` renders as `((a eq 1) and (b eq 2)) or c`.
//!
//! The rendering is safe to log: control characters in string literals
//! (and in names, for a tree built by hand) are written escaped (`\n`, `\r`, `\u{1b}`), so a filter cannot forge log
//! lines. For a tree the parser made, the rendering's length is bounded by
//! the filter's, which
//! [`Schema::max_filter_length`](super::Schema::max_filter_length) limits:
//! rendering adds at most parentheses, spaces and escapes. A literal holding
//! a control character therefore does not render back to the same literal.

use std::fmt::{self, Write as _};

use uuid::Uuid;

/// A `$filter` expression.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal value: `'Active'`, `42`, `2024-01-01T00:00:00Z`, `null`.
    Literal {
        /// The value.
        value: Literal,
        /// Where the literal starts.
        pos: usize,
    },
    /// A property of the entity: `healthStatus`.
    Property {
        /// The property's name, exactly as written.
        name: String,
        /// Where the name starts.
        pos: usize,
    },
    /// A lambda variable inside its `any`/`all` body: `tag` in
    /// `machineTags/any(tag: tag eq 'Prod')`.
    Variable {
        /// The variable's name.
        name: String,
        /// Where this use of the variable starts.
        pos: usize,
    },
    /// `not operand`.
    Not {
        /// The negated expression.
        operand: Box<Expr>,
        /// Where the `not` keyword starts.
        pos: usize,
    },
    /// Two or more operands joined by `and` (chains are flattened).
    And(Vec<Expr>),
    /// Two or more operands joined by `or` (chains are flattened).
    Or(Vec<Expr>),
    /// A comparison: `left op right`.
    Compare {
        /// The operator.
        op: CompareOp,
        /// The left operand.
        left: Box<Expr>,
        /// The right operand.
        right: Box<Expr>,
        /// Where the operator starts.
        pos: usize,
    },
    /// Arithmetic: `left op right`, as in `rbacGroupId add 1` or
    /// `exposureScore div 2`.
    Arithmetic {
        /// The operator.
        op: ArithmeticOp,
        /// The left operand.
        left: Box<Expr>,
        /// The right operand.
        right: Box<Expr>,
        /// Where the operator starts.
        pos: usize,
    },
    /// Unary negation: `-operand`, as in `-rbacGroupId` or `-(a add b)`.
    /// A minus sign directly before a digit is part of a number literal
    /// (`-5` is [`Expr::Literal`]); a `-` before anything else, or
    /// separated from the number by spaces (`- 5`), is this node.
    Negate {
        /// The negated expression.
        operand: Box<Expr>,
        /// Where the `-` is.
        pos: usize,
    },
    /// Membership in a list of literals: `operand in ('a', 'b')`.
    In {
        /// The tested value.
        operand: Box<Expr>,
        /// The list, each item a [`Expr::Literal`].
        items: Vec<Expr>,
        /// Where the `in` keyword starts.
        pos: usize,
    },
    /// A function call: `startswith(computerDnsName, 'web')`.
    Call {
        /// The function.
        function: Function,
        /// Its arguments.
        args: Vec<Expr>,
        /// Where the function's name starts.
        pos: usize,
    },
    /// A lambda over a collection property:
    /// `machineTags/any(tag: tag eq 'Prod')`.
    Lambda {
        /// `any` or `all`.
        kind: LambdaKind,
        /// The collection property.
        collection: String,
        /// Where the collection's name starts.
        pos: usize,
        /// The variable and the predicate; `None` for `any()`, which tests
        /// that the collection is not empty.
        predicate: Option<(String, Box<Expr>)>,
    },
}

impl Expr {
    /// The position where this expression starts in the `$filter` value.
    pub fn position(&self) -> usize {
        match self {
            Expr::Literal { pos, .. }
            | Expr::Property { pos, .. }
            | Expr::Variable { pos, .. }
            | Expr::Not { pos, .. }
            | Expr::Negate { pos, .. }
            | Expr::Call { pos, .. }
            | Expr::Lambda { pos, .. } => *pos,
            Expr::And(operands) | Expr::Or(operands) => operands.first().map_or(0, Expr::position),
            Expr::Compare { left, .. } | Expr::Arithmetic { left, .. } => left.position(),
            Expr::In { operand, .. } => operand.position(),
        }
    }

    /// Whether `Display` writes this expression without parentheses when it
    /// is an operand.
    fn is_atomic(&self) -> bool {
        matches!(
            self,
            Expr::Literal { .. }
                | Expr::Property { .. }
                | Expr::Variable { .. }
                | Expr::Call { .. }
                | Expr::Lambda { .. }
        )
    }
}

/// Writes `text` with its control characters escaped (`\n`, `\u{1b}`): a
/// raw line break or escape sequence in a log line could forge another line
/// or recolour a terminal. The parser's names never hold one; a tree built
/// by hand might.
pub(super) fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    if !text.chars().any(char::is_control) {
        return f.write_str(text);
    }
    for c in text.chars() {
        if c.is_control() {
            write!(f, "{}", c.escape_debug())?;
        } else {
            f.write_char(c)?;
        }
    }
    Ok(())
}

/// Writes an operand, in parentheses unless it is atomic.
struct Operand<'a>(&'a Expr);

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_atomic() {
            fmt::Display::fmt(self.0, f)
        } else {
            write!(f, "({})", self.0)
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr], separator: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        write!(f, "{}", Operand(item))?;
    }
    Ok(())
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal { value, .. } => fmt::Display::fmt(value, f),
            Expr::Property { name, .. } | Expr::Variable { name, .. } => write_escaped(f, name),
            // `not` binds tighter than every binary operator, so a nested
            // `not` needs no parentheses.
            Expr::Not { operand, .. } if matches!(**operand, Expr::Not { .. }) => {
                write!(f, "not {operand}")
            }
            Expr::Not { operand, .. } => write!(f, "not {}", Operand(operand)),
            // Like `not`, negation binds tighter than every binary operator.
            // `- 5` keeps its space: `-5` would read back as the literal.
            Expr::Negate { operand, .. } if matches!(**operand, Expr::Literal { .. }) => {
                write!(f, "- {operand}")
            }
            Expr::Negate { operand, .. } if matches!(**operand, Expr::Negate { .. }) => {
                write!(f, "-{operand}")
            }
            Expr::Negate { operand, .. } => write!(f, "-{}", Operand(operand)),
            Expr::Arithmetic {
                op, left, right, ..
            } => write!(f, "{} {op} {}", Operand(left), Operand(right)),
            Expr::And(operands) => write_list(f, operands, " and "),
            Expr::Or(operands) => write_list(f, operands, " or "),
            Expr::Compare {
                op, left, right, ..
            } => write!(f, "{} {op} {}", Operand(left), Operand(right)),
            Expr::In { operand, items, .. } => {
                write!(f, "{} in (", Operand(operand))?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    fmt::Display::fmt(item, f)?;
                }
                f.write_char(')')
            }
            Expr::Call { function, args, .. } => {
                write!(f, "{function}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    fmt::Display::fmt(arg, f)?;
                }
                f.write_char(')')
            }
            Expr::Lambda {
                kind,
                collection,
                predicate,
                ..
            } => match predicate {
                None => {
                    write_escaped(f, collection)?;
                    write!(f, "/{kind}()")
                }
                Some((variable, body)) => {
                    write_escaped(f, collection)?;
                    write!(f, "/{kind}(")?;
                    write_escaped(f, variable)?;
                    write!(f, ": {body})")
                }
            },
        }
    }
}

/// A comparison operator.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    /// `eq`
    Eq,
    /// `ne`
    Ne,
    /// `gt`
    Gt,
    /// `ge`
    Ge,
    /// `lt`
    Lt,
    /// `le`
    Le,
}

impl CompareOp {
    /// The operator's keyword.
    pub const fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Whether the operator orders its operands (`gt ge lt le`) rather than
    /// testing equality.
    pub const fn is_ordering(self) -> bool {
        !matches!(self, CompareOp::Eq | CompareOp::Ne)
    }

    pub(crate) fn from_keyword(word: &str) -> Option<Self> {
        Some(match word {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An arithmetic operator.
///
/// Precedence, tightest first: `mul div mod`, then `add sub`; both bind
/// tighter than the comparisons. On two integers the result is an integer
/// (`div` truncates toward zero, `mod` takes the dividend's sign); with a
/// double operand it is a double. Division or `mod` by zero, and integer
/// overflow, give `null`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithmeticOp {
    /// `add`
    Add,
    /// `sub`
    Sub,
    /// `mul`
    Mul,
    /// `div`
    Div,
    /// `mod`
    Mod,
}

impl ArithmeticOp {
    /// The operator's keyword.
    pub const fn as_str(self) -> &'static str {
        match self {
            ArithmeticOp::Add => "add",
            ArithmeticOp::Sub => "sub",
            ArithmeticOp::Mul => "mul",
            ArithmeticOp::Div => "div",
            ArithmeticOp::Mod => "mod",
        }
    }

    /// Whether it is `mul`, `div` or `mod`, which bind tighter than `add`
    /// and `sub`.
    pub const fn is_multiplicative(self) -> bool {
        matches!(
            self,
            ArithmeticOp::Mul | ArithmeticOp::Div | ArithmeticOp::Mod
        )
    }

    pub(crate) fn from_keyword(word: &str) -> Option<Self> {
        Some(match word {
            "add" => ArithmeticOp::Add,
            "sub" => ArithmeticOp::Sub,
            "mul" => ArithmeticOp::Mul,
            "div" => ArithmeticOp::Div,
            "mod" => ArithmeticOp::Mod,
            _ => return None,
        })
    }
}

impl fmt::Display for ArithmeticOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A built-in function.
///
/// String functions count Unicode code points, not bytes or UTF-16 units;
/// date-time functions read the instant in UTC. Every function gives
/// `null` when an argument is `null`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    /// `startswith(string, prefix)`: boolean.
    StartsWith,
    /// `endswith(string, suffix)`: boolean.
    EndsWith,
    /// `contains(string, part)`: boolean.
    Contains,
    /// `tolower(string)`: string.
    ToLower,
    /// `toupper(string)`: string.
    ToUpper,
    /// `length(string)`: integer, the number of code points.
    Length,
    /// `indexof(string, part)`: integer, the 0-based code point index of
    /// the first occurrence of `part`, `-1` when absent, `0` for an empty
    /// `part`.
    IndexOf,
    /// `substring(string, start)` or `substring(string, start, length)`:
    /// string; 0-based, in code points; a negative `start` or `length`
    /// counts as 0, a `start` past the end gives `''`.
    Substring,
    /// `concat(string, string)`: string.
    Concat,
    /// `trim(string)`: string without leading and trailing white space
    /// (the characters for which `char::is_whitespace` is true).
    Trim,
    /// `year(dateTime)`: integer, in UTC.
    Year,
    /// `month(dateTime)`: integer 1–12, in UTC.
    Month,
    /// `day(dateTime)`: integer 1–31, in UTC.
    Day,
    /// `hour(dateTime)`: integer 0–23, in UTC.
    Hour,
    /// `minute(dateTime)`: integer 0–59, in UTC.
    Minute,
    /// `second(dateTime)`: integer 0–59, in UTC (fractions dropped).
    Second,
    /// `date(dateTime)`: the UTC calendar date, compared with date
    /// literals (`date(lastSeen) eq 2024-01-01`).
    Date,
    /// `time(dateTime)`: the UTC time of day, compared with time-of-day
    /// literals (`time(lastSeen) lt 08:30`).
    Time,
}

impl Function {
    /// Every function, in the order the error messages list them.
    pub const ALL: [Function; 18] = [
        Function::StartsWith,
        Function::EndsWith,
        Function::Contains,
        Function::ToLower,
        Function::ToUpper,
        Function::Length,
        Function::IndexOf,
        Function::Substring,
        Function::Concat,
        Function::Trim,
        Function::Year,
        Function::Month,
        Function::Day,
        Function::Hour,
        Function::Minute,
        Function::Second,
        Function::Date,
        Function::Time,
    ];

    /// The function's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Function::StartsWith => "startswith",
            Function::EndsWith => "endswith",
            Function::Contains => "contains",
            Function::ToLower => "tolower",
            Function::ToUpper => "toupper",
            Function::Length => "length",
            Function::IndexOf => "indexof",
            Function::Substring => "substring",
            Function::Concat => "concat",
            Function::Trim => "trim",
            Function::Year => "year",
            Function::Month => "month",
            Function::Day => "day",
            Function::Hour => "hour",
            Function::Minute => "minute",
            Function::Second => "second",
            Function::Date => "date",
            Function::Time => "time",
        }
    }

    /// The fewest arguments it takes.
    pub const fn min_args(self) -> usize {
        match self {
            Function::StartsWith
            | Function::EndsWith
            | Function::Contains
            | Function::IndexOf
            | Function::Substring
            | Function::Concat => 2,
            _ => 1,
        }
    }

    /// The most arguments it takes: `substring` takes 2 or 3, every
    /// other function a fixed number.
    pub const fn max_args(self) -> usize {
        match self {
            Function::Substring => 3,
            _ => self.min_args(),
        }
    }

    /// Whether it returns a boolean (`startswith`, `endswith`,
    /// `contains`).
    pub const fn is_predicate(self) -> bool {
        matches!(
            self,
            Function::StartsWith | Function::EndsWith | Function::Contains
        )
    }

    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Function::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two lambda operators.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LambdaKind {
    /// `any`: some member satisfies the predicate.
    Any,
    /// `all`: every member satisfies the predicate.
    All,
}

impl fmt::Display for LambdaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LambdaKind::Any => "any",
            LambdaKind::All => "all",
        })
    }
}

/// A literal value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`
    Null,
    /// `true` or `false`
    Boolean(bool),
    /// An integer: `42`, `-7`, `+405`.
    Integer(i64),
    /// A number with a fraction or exponent: `4.5`, `1e3`.
    Decimal(f64),
    /// A string, quotes removed and `''` unescaped.
    String(String),
    /// A date-time or date: `2024-01-01T00:00:00Z`, `2024-01-01`. A date
    /// is midnight UTC with [`DateTimeOffset::is_date`] true; it compares
    /// with date-times as that instant and with the result of `date(…)`
    /// as a calendar date.
    DateTime(DateTimeOffset),
    /// A GUID: `8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f`.
    Guid(Uuid),
    /// A time of day: `08:30`, `23:59:59.9999999`.
    TimeOfDay(TimeOfDay),
}

impl Literal {
    /// What kind of literal this is, for messages (`a string`, `an integer`).
    pub fn describe(&self) -> &'static str {
        match self {
            Literal::Null => "null",
            Literal::Boolean(_) => "a boolean",
            Literal::Integer(_) => "an integer",
            Literal::Decimal(_) => "a decimal number",
            Literal::String(_) => "a string",
            Literal::DateTime(dt) if dt.is_date() => "a date",
            Literal::DateTime(_) => "a date-time",
            Literal::Guid(_) => "a GUID",
            Literal::TimeOfDay(_) => "a time of day",
        }
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Boolean(b) => write!(f, "{b}"),
            Literal::Integer(i) => write!(f, "{i}"),
            Literal::Decimal(d) => {
                let text = d.to_string();
                f.write_str(&text)?;
                if !text.contains(['.', 'e', 'E']) {
                    f.write_str(".0")?;
                }
                Ok(())
            }
            Literal::String(s) => {
                f.write_char('\'')?;
                for part in s.split_inclusive('\'') {
                    write_escaped(f, part)?;
                    if part.ends_with('\'') {
                        f.write_char('\'')?;
                    }
                }
                f.write_char('\'')
            }
            Literal::DateTime(dt) => fmt::Display::fmt(dt, f),
            Literal::Guid(g) => fmt::Display::fmt(&g.hyphenated(), f),
            Literal::TimeOfDay(t) => fmt::Display::fmt(t, f),
        }
    }
}

/// An instant with the UTC offset it was written in, from an ISO 8601
/// date-time (`2024-01-01T10:00:00.5+02:00`) or date (`2024-01-01`, read
/// as midnight UTC).
///
/// Equality and ordering compare instants:
/// `2024-01-01T02:00:00+02:00` equals `2024-01-01T00:00:00Z`.
///
/// ```
/// use defender_odata::DateTimeOffset;
///
/// let a = DateTimeOffset::parse("2024-01-01T02:00:00+02:00").unwrap();
/// let b = DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap();
/// assert_eq!(a, b);
/// assert!(DateTimeOffset::parse("2024-02-30").is_none());
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DateTimeOffset {
    /// Seconds since 1970-01-01T00:00:00Z.
    seconds: i64,
    nanos: u32,
    offset_minutes: i16,
    date_only: bool,
}

impl DateTimeOffset {
    /// Parses `YYYY-MM-DD`, optionally followed by `Z`, or
    /// `YYYY-MM-DDThh:mm[:ss[.fraction]]` followed by `Z`, `±hh:mm` or
    /// nothing (UTC). The `T` may be lower case.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let digits = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = b.get(range)?;
            let mut n = 0u32;
            for &d in part {
                if !d.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u32::from(d - b'0');
            }
            Some(n)
        };
        let year = digits(0..4)?;
        if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
            return None;
        }
        let month = digits(5..7)?;
        let day = digits(8..10)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let days = days_from_civil(i64::from(year), month, day);
        match b.get(10) {
            None => return Some(Self::from_parts(days * 86_400, 0, 0, true)),
            Some(b'Z') if b.len() == 11 => {
                return Some(Self::from_parts(days * 86_400, 0, 0, true));
            }
            Some(b'T' | b't') => {}
            Some(_) => return None,
        }
        let hour = digits(11..13)?;
        if b.get(13) != Some(&b':') {
            return None;
        }
        let minute = digits(14..16)?;
        let mut i = 16;
        let mut second = 0;
        let mut nanos = 0u32;
        if b.get(i) == Some(&b':') {
            second = digits(i + 1..i + 3)?;
            i += 3;
            if b.get(i) == Some(&b'.') {
                i += 1;
                let start = i;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    if i - start < 9 {
                        nanos = nanos * 10 + u32::from(b[i] - b'0');
                    }
                    i += 1;
                }
                let count = i - start;
                if count == 0 {
                    return None;
                }
                for _ in count..9 {
                    nanos *= 10;
                }
            }
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let offset_minutes: i32 = match b.get(i) {
            None => 0,
            Some(b'Z' | b'z') if i + 1 == b.len() => 0,
            Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
                let oh = digits(i + 1..i + 3)?;
                let om = digits(i + 4..i + 6)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let minutes = (oh * 60 + om) as i32;
                if sign == b'-' {
                    -minutes
                } else {
                    minutes
                }
            }
            Some(_) => return None,
        };
        let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
        let seconds = local - i64::from(offset_minutes) * 60;
        Some(Self::from_parts(
            seconds,
            nanos,
            offset_minutes as i16,
            false,
        ))
    }

    fn from_parts(seconds: i64, nanos: u32, offset_minutes: i16, date_only: bool) -> Self {
        DateTimeOffset {
            seconds,
            nanos,
            offset_minutes,
            date_only,
        }
    }

    /// Seconds since the Unix epoch (UTC) and the nanoseconds past them.
    pub const fn unix_timestamp(&self) -> (i64, u32) {
        (self.seconds, self.nanos)
    }

    /// The UTC offset it was written with, in minutes.
    pub const fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// Whether it was written as a date without a time.
    pub const fn is_date(&self) -> bool {
        self.date_only
    }

    /// Days since 1970-01-01 of its calendar date in UTC (negative before).
    pub const fn utc_days(&self) -> i64 {
        self.seconds.div_euclid(86_400)
    }

    /// Its calendar date in UTC: year, month (1–12), day (1–31).
    ///
    /// ```
    /// use defender_odata::DateTimeOffset;
    ///
    /// let late = DateTimeOffset::parse("2024-01-01T23:30:00-02:00").unwrap();
    /// assert_eq!(late.utc_date(), (2024, 1, 2));
    /// ```
    pub fn utc_date(&self) -> (i64, u32, u32) {
        civil_from_days(self.utc_days())
    }

    /// Its time of day in UTC.
    pub fn utc_time(&self) -> TimeOfDay {
        let seconds = self.seconds.rem_euclid(86_400) as u64;
        TimeOfDay {
            nanos: seconds * NANOS_PER_SECOND + u64::from(self.nanos),
        }
    }
}

const NANOS_PER_SECOND: u64 = 1_000_000_000;

/// A time of day (`Edm.TimeOfDay`) from a literal `hh:mm`, `hh:mm:ss` or
/// `hh:mm:ss.fffffff` (one to seven fractional digits), or from `time(…)`
/// of a date-time; nanosecond precision.
///
/// ```
/// use defender_odata::TimeOfDay;
///
/// let t = TimeOfDay::parse("08:30").unwrap();
/// assert_eq!((t.hour(), t.minute(), t.second(), t.nanosecond()), (8, 30, 0, 0));
/// assert_eq!(t.to_string(), "08:30:00");
/// assert_eq!(TimeOfDay::parse("23:59:59.1234567").unwrap().to_string(), "23:59:59.1234567");
/// assert!(TimeOfDay::parse("24:00").is_none());
/// assert!(TimeOfDay::parse("10:00:00.12345678").is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay {
    /// Nanoseconds since midnight.
    nanos: u64,
}

impl TimeOfDay {
    /// Parses `hh:mm`, `hh:mm:ss` or `hh:mm:ss.f` with one to seven
    /// fractional digits; hours 00–23, minutes and seconds 00–59.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let two = |at: usize| -> Option<u64> {
            let part = b.get(at..at + 2)?;
            part.iter()
                .all(u8::is_ascii_digit)
                .then(|| u64::from(part[0] - b'0') * 10 + u64::from(part[1] - b'0'))
        };
        let hour = two(0)?;
        if b.get(2) != Some(&b':') {
            return None;
        }
        let minute = two(3)?;
        let mut second = 0;
        let mut nanos = 0;
        match b.len() {
            5 => {}
            _ if b.get(5) == Some(&b':') => {
                second = two(6)?;
                if b.len() > 8 {
                    let fraction = b.get(9..)?;
                    if b[8] != b'.'
                        || fraction.is_empty()
                        || fraction.len() > 7
                        || !fraction.iter().all(u8::is_ascii_digit)
                    {
                        return None;
                    }
                    for i in 0..9 {
                        nanos = nanos * 10 + fraction.get(i).map_or(0, |d| u64::from(d - b'0'));
                    }
                }
            }
            _ => return None,
        }
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(TimeOfDay {
            nanos: ((hour * 60 + minute) * 60 + second) * NANOS_PER_SECOND + nanos,
        })
    }

    /// The time `hour:minute:second` plus `nanosecond`, if each is in range.
    pub const fn new(hour: u32, minute: u32, second: u32, nanosecond: u32) -> Option<Self> {
        if hour > 23 || minute > 59 || second > 59 || nanosecond as u64 >= NANOS_PER_SECOND {
            return None;
        }
        let seconds = (hour as u64 * 60 + minute as u64) * 60 + second as u64;
        Some(TimeOfDay {
            nanos: seconds * NANOS_PER_SECOND + nanosecond as u64,
        })
    }

    /// Nanoseconds since midnight.
    pub const fn nanos_since_midnight(&self) -> u64 {
        self.nanos
    }

    /// The hour, 0–23.
    pub const fn hour(&self) -> u32 {
        (self.nanos / NANOS_PER_SECOND / 3600) as u32
    }

    /// The minute, 0–59.
    pub const fn minute(&self) -> u32 {
        (self.nanos / NANOS_PER_SECOND / 60 % 60) as u32
    }

    /// The second, 0–59.
    pub const fn second(&self) -> u32 {
        (self.nanos / NANOS_PER_SECOND % 60) as u32
    }

    /// The nanoseconds past the second.
    pub const fn nanosecond(&self) -> u32 {
        (self.nanos % NANOS_PER_SECOND) as u32
    }
}

impl fmt::Display for TimeOfDay {
    /// `hh:mm:ss`, with the fraction when it is not zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}:{:02}",
            self.hour(),
            self.minute(),
            self.second()
        )?;
        if self.nanosecond() > 0 {
            let fraction = format!("{:09}", self.nanosecond());
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        Ok(())
    }
}

impl PartialEq for DateTimeOffset {
    fn eq(&self, other: &Self) -> bool {
        self.unix_timestamp() == other.unix_timestamp()
    }
}

impl Eq for DateTimeOffset {}

impl PartialOrd for DateTimeOffset {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DateTimeOffset {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.unix_timestamp().cmp(&other.unix_timestamp())
    }
}

impl fmt::Display for DateTimeOffset {
    /// Canonical ISO 8601, in the offset it was written with.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.seconds + i64::from(self.offset_minutes) * 60;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        write!(f, "{year:04}-{month:02}-{day:02}")?;
        if self.date_only {
            return Ok(());
        }
        let secs = local.rem_euclid(86_400);
        write!(
            f,
            "T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )?;
        if self.nanos > 0 {
            let fraction = format!("{:09}", self.nanos);
            write!(f, ".{}", fraction.trim_end_matches('0'))?;
        }
        if self.offset_minutes == 0 {
            f.write_char('Z')
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let m = self.offset_minutes.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
        }
    }
}

fn is_leap(year: u32) -> bool {
    year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_round_trip_and_compare_instants() {
        for text in [
            "2024-01-01T00:00:00Z",
            "1999-12-31T23:59:59.123Z",
            "2024-02-29T10:30:00+05:30",
            "1969-07-20T20:17:40-04:00",
            "2024-03-01",
        ] {
            assert_eq!(DateTimeOffset::parse(text).unwrap().to_string(), text);
        }
        let utc = DateTimeOffset::parse("2024-01-01T00:00:00Z").unwrap();
        assert_eq!(utc.unix_timestamp(), (1_704_067_200, 0));
        assert_eq!(DateTimeOffset::parse("2024-01-01").unwrap(), utc);
        assert_eq!(DateTimeOffset::parse("2024-01-01Z").unwrap(), utc);
        assert!(DateTimeOffset::parse("2023-02-29").is_none());
        assert!(DateTimeOffset::parse("2024-01-01T24:00:00Z").is_none());
        assert!(DateTimeOffset::parse("2024-01-01T10:00:00.Z").is_none());
    }
}
