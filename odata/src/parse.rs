//! The `$filter` lexer and parser: recursive descent for the operands,
//! precedence climbing for the binary operators.
//!
//! Precedence, tightest first, as in OData 4.01 URL conventions §5.1.1.16:
//! `in`; `not` and negation `-`; `mul div mod`; `add sub`; `gt ge lt le`;
//! `eq ne`; `and`; `or`. So `not a eq b` is `(not a) eq b`, which the
//! checker rejects unless `a` is a boolean, and `a add b mul c eq d` is
//! `(a add (b mul c)) eq d`.
//!
//! Positions are counted in characters, not bytes, from the start of the
//! option's (percent-decoded) value.

use uuid::Uuid;

use super::ast::{
    ArithmeticOp, CompareOp, DateTimeOffset, Expr, Function, LambdaKind, Literal, TimeOfDay,
};
use defender_errors::echo;

/// A syntax or type error in `$filter`: the text after `$filter: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterError(pub(crate) String);

pub(crate) type Result<T> = std::result::Result<T, FilterError>;

macro_rules! fail {
    ($($arg:tt)*) => {
        return Err(FilterError(format!($($arg)*)))
    };
}

/// Every keyword of the filter syntax, for "did you mean" hints.
const KEYWORDS: [&str; 21] = [
    "eq", "ne", "gt", "ge", "lt", "le", "and", "or", "not", "in", "true", "false", "null", "any",
    "all", "has", "add", "sub", "mul", "div", "mod",
];

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    Literal(Literal),
    LParen,
    RParen,
    Comma,
    Colon,
    Slash,
    /// A `-` that does not start a number: negation.
    Minus,
    End,
}

#[derive(Debug, Clone)]
struct Token<'a> {
    tok: Tok<'a>,
    /// The character position where it starts.
    pos: usize,
    /// Its text in the source.
    text: &'a str,
}

impl Token<'_> {
    /// The token as a message quotes it.
    fn quoted(&self) -> String {
        match self.tok {
            Tok::End => "the end of the filter".to_owned(),
            Tok::Literal(Literal::String(_)) => echo(self.text).into_owned(),
            _ => format!("'{}'", echo(self.text)),
        }
    }

    fn is_word(&self, word: &str) -> bool {
        self.tok == Tok::Ident(word)
    }
}

struct Lexer<'a> {
    src: &'a str,
    /// The byte offset of the next unread byte.
    at: usize,
    /// The character position of the next unread byte.
    chars: usize,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'a> Lexer<'a> {
    fn bytes(&self) -> &'a [u8] {
        &self.src.as_bytes()[self.at..]
    }

    fn advance(&mut self, n: usize) {
        let end = self.at + n;
        self.chars += self.src.as_bytes()[self.at..end]
            .iter()
            .filter(|&&b| b & 0xC0 != 0x80)
            .count();
        self.at = end;
    }

    fn next(&mut self) -> Result<Token<'a>> {
        while matches!(self.bytes().first(), Some(b' ' | b'\t')) {
            self.advance(1);
        }
        let start = self.at;
        let pos = self.chars;
        let rest = self.bytes();
        let Some(&first) = rest.first() else {
            return Ok(Token {
                tok: Tok::End,
                pos,
                text: "",
            });
        };
        let (tok, len) = match first {
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b',' => (Tok::Comma, 1),
            b':' => (Tok::Colon, 1),
            b'/' => (Tok::Slash, 1),
            b'\'' => self.string(pos)?,
            _ if guid_len(rest) => {
                let text = &self.src[start..start + 36];
                let guid = Uuid::parse_str(text).expect("the lexer matched the GUID pattern");
                (Tok::Literal(Literal::Guid(guid)), 36)
            }
            b'0'..=b'9' | b'-' | b'+'
                if rest
                    .get(usize::from(!first.is_ascii_digit()))
                    .is_some_and(u8::is_ascii_digit) =>
            {
                self.number(pos)?
            }
            b'-' => (Tok::Minus, 1),
            _ if is_ident_start(first) => {
                let len = rest.iter().take_while(|&&b| is_ident_char(b)).count();
                (Tok::Ident(&self.src[start..start + len]), len)
            }
            _ => return Err(self.bad_character(pos)),
        };
        self.advance(len);
        Ok(Token {
            tok,
            pos,
            text: &self.src[start..self.at],
        })
    }

    /// A string literal starting at the current quote.
    fn string(&self, pos: usize) -> Result<(Tok<'a>, usize)> {
        let rest = &self.src[self.at + 1..];
        let mut value = String::new();
        let mut from = 0;
        loop {
            let Some(quote) = rest[from..].find('\'') else {
                fail!("unterminated string literal starting at position {pos}");
            };
            value.push_str(&rest[from..from + quote]);
            let after = from + quote + 1;
            if rest.as_bytes().get(after) == Some(&b'\'') {
                value.push('\'');
                from = after + 1;
            } else {
                return Ok((Tok::Literal(Literal::String(value)), after + 1));
            }
        }
    }

    /// A number, date or date-time starting at the current byte.
    fn number(&self, pos: usize) -> Result<(Tok<'a>, usize)> {
        let rest = self.bytes();
        let looks_like_date =
            rest.len() > 5 && rest[..4].iter().all(u8::is_ascii_digit) && rest[4] == b'-';
        if looks_like_date {
            let len = rest
                .iter()
                .take_while(|&&b| {
                    b.is_ascii_alphanumeric() || matches!(b, b':' | b'.' | b'+' | b'-')
                })
                .count();
            let text = &self.src[self.at..self.at + len];
            let after = &rest[len..];
            let space_for_plus = after.len() >= 6
                && after[0] == b' '
                && after[1..3].iter().all(u8::is_ascii_digit)
                && after[3] == b':'
                && text.contains(['T', 't']);
            return match DateTimeOffset::parse(text) {
                Some(_) | None if space_for_plus => fail!(
                    "date-time literal '{}' at position {pos} is followed by a space where its offset's '+' should be; a '+' in a query string means a space, so encode it as %2B",
                    echo(text)
                ),
                Some(dt) => Ok((Tok::Literal(Literal::DateTime(dt)), len)),
                None => fail!(
                    "invalid date-time literal '{}' at position {pos}; expected YYYY-MM-DD or YYYY-MM-DDThh:mm:ss followed by Z or an offset",
                    echo(text)
                ),
            };
        }
        let looks_like_time = rest.len() > 3
            && rest[..2].iter().all(u8::is_ascii_digit)
            && rest[2] == b':'
            && rest[3].is_ascii_digit();
        if looks_like_time {
            let len = rest
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'.'))
                .count();
            let text = &self.src[self.at..self.at + len];
            return match TimeOfDay::parse(text) {
                Some(time) => Ok((Tok::Literal(Literal::TimeOfDay(time)), len)),
                None => fail!(
                    "invalid time-of-day literal '{}' at position {pos}; expected hh:mm, hh:mm:ss or hh:mm:ss.fffffff (at most 7 fractional digits)",
                    echo(text)
                ),
            };
        }
        let mut len = usize::from(matches!(rest[0], b'-' | b'+'));
        let digits = |from: usize| {
            rest[from..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        };
        len += digits(len);
        let mut decimal = false;
        if rest.get(len) == Some(&b'.') && rest.get(len + 1).is_some_and(u8::is_ascii_digit) {
            decimal = true;
            len += 1 + digits(len + 1);
        }
        if matches!(rest.get(len), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(rest.get(len + 1), Some(b'+' | b'-')));
            if rest.get(len + 1 + sign).is_some_and(u8::is_ascii_digit) {
                decimal = true;
                len += 1 + sign + digits(len + 1 + sign);
            }
        }
        let text = &self.src[self.at..self.at + len];
        if rest
            .get(len)
            .is_some_and(|&b| is_ident_char(b) || b == b'.')
        {
            let whole = rest
                .iter()
                .take_while(|&&b| is_ident_char(b) || b == b'.' || b == b'-')
                .count();
            fail!(
                "invalid number '{}' at position {pos}",
                echo(&self.src[self.at..self.at + whole])
            );
        }
        let literal = if decimal {
            match text.parse::<f64>() {
                Ok(d) if d.is_finite() => Literal::Decimal(d),
                _ => fail!("number '{}' at position {pos} is out of range", echo(text)),
            }
        } else {
            match text.parse::<i64>() {
                Ok(i) => Literal::Integer(i),
                Err(_) => fail!("integer '{}' at position {pos} is out of range", echo(text)),
            }
        };
        Ok((Tok::Literal(literal), len))
    }

    /// The error for a character no token starts with, with a hint for the
    /// operators of other languages.
    fn bad_character(&self, pos: usize) -> FilterError {
        let rest = &self.src[self.at..];
        let hints: [(&str, &str); 11] = [
            ("==", "use 'eq' for equality"),
            ("!=", "use 'ne' for inequality"),
            ("<>", "use 'ne' for inequality"),
            ("<=", "use 'le'"),
            (">=", "use 'ge'"),
            ("&&", "use 'and'"),
            ("||", "use 'or'"),
            ("=", "use 'eq' for equality"),
            ("<", "use 'lt'"),
            (">", "use 'gt'"),
            ("!", "use 'not'"),
        ];
        for (symbol, hint) in hints {
            if rest.starts_with(symbol) {
                return FilterError(format!("unexpected '{symbol}' at position {pos}; {hint}"));
            }
        }
        let c = rest.chars().next().expect("not at the end");
        let hint = match c {
            '"' => "; string literals are quoted with single quotes",
            _ => "",
        };
        FilterError(format!(
            "unexpected character '{}' at position {pos}{hint}",
            echo(c.encode_utf8(&mut [0; 4]))
        ))
    }
}

/// Whether `rest` starts with a GUID (8-4-4-4-12 hexadecimal digits) that
/// is not part of a longer word.
fn guid_len(rest: &[u8]) -> bool {
    if rest.len() < 36 || rest.get(36).is_some_and(|&b| is_ident_char(b) || b == b'-') {
        return false;
    }
    rest[..36].iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    })
}

/// Binding power of the binary operators; higher binds tighter.
fn binary_precedence(token: &Token<'_>) -> Option<u8> {
    match token.tok {
        Tok::Ident("or") => Some(1),
        Tok::Ident("and") => Some(2),
        Tok::Ident("eq" | "ne") => Some(3),
        Tok::Ident("gt" | "ge" | "lt" | "le") => Some(4),
        Tok::Ident("add" | "sub") => Some(5),
        Tok::Ident("mul" | "div" | "mod") => Some(6),
        _ => None,
    }
}

/// Parses a `$filter` value into an unchecked tree.
///
/// `max_depth` bounds the nesting of parentheses, `not`, calls, lambdas and
/// `in` lists, so no input can exhaust the stack.
pub(crate) fn parse(src: &str, max_depth: usize) -> Result<Expr> {
    let mut parser = Parser::new(src, max_depth)?;
    if parser.current.tok == Tok::End {
        fail!("the filter is empty");
    }
    let expr = parser.expr(0)?;
    if parser.current.tok != Tok::End {
        return Err(parser.unexpected_after_operand(None));
    }
    Ok(expr)
}

struct Parser<'a> {
    lexer: Lexer<'a>,
    current: Token<'a>,
    depth: usize,
    max_depth: usize,
    /// The lambda variables in scope, innermost last.
    scope: Vec<&'a str>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, max_depth: usize) -> Result<Self> {
        let mut lexer = Lexer {
            src,
            at: 0,
            chars: 0,
        };
        let current = lexer.next()?;
        Ok(Parser {
            lexer,
            current,
            depth: 0,
            max_depth,
            scope: Vec::new(),
        })
    }

    /// Moves to the next token and returns the current one.
    fn bump(&mut self) -> Result<Token<'a>> {
        let next = self.lexer.next()?;
        Ok(std::mem::replace(&mut self.current, next))
    }

    fn enter(&mut self, pos: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            fail!(
                "the filter is nested deeper than {} levels at position {pos}",
                self.max_depth
            );
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Precedence climbing over the binary operators.
    fn expr(&mut self, min_precedence: u8) -> Result<Expr> {
        let mut left = self.unary()?;
        // A chain of comparisons or arithmetic (`a eq b eq c`, `a add b
        // add c`) nests to the left; each link counts as a level so the
        // tree's depth stays bounded.
        let mut chained = 0;
        while let Some(precedence) = binary_precedence(&self.current) {
            if precedence < min_precedence {
                break;
            }
            let op = self.bump()?;
            if precedence > 2 && matches!(left, Expr::Compare { .. } | Expr::Arithmetic { .. }) {
                self.enter(op.pos)?;
                chained += 1;
            }
            let right = self.expr(precedence + 1)?;
            left = match op.tok {
                Tok::Ident("and") => join(left, right, true),
                Tok::Ident("or") => join(left, right, false),
                Tok::Ident(word) => match ArithmeticOp::from_keyword(word) {
                    Some(arithmetic) => Expr::Arithmetic {
                        op: arithmetic,
                        left: Box::new(left),
                        right: Box::new(right),
                        pos: op.pos,
                    },
                    None => Expr::Compare {
                        op: CompareOp::from_keyword(word).expect("a comparison keyword"),
                        left: Box::new(left),
                        right: Box::new(right),
                        pos: op.pos,
                    },
                },
                _ => unreachable!("binary_precedence accepts only keywords"),
            };
        }
        self.depth -= chained;
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr> {
        if self.current.is_word("not") {
            let not = self.bump()?;
            self.enter(not.pos)?;
            let operand = self.unary()?;
            self.leave();
            return Ok(Expr::Not {
                operand: Box::new(operand),
                pos: not.pos,
            });
        }
        if self.current.tok == Tok::Minus {
            let minus = self.bump()?;
            self.enter(minus.pos)?;
            let operand = self.unary()?;
            self.leave();
            return Ok(Expr::Negate {
                operand: Box::new(operand),
                pos: minus.pos,
            });
        }
        let mut operand = self.primary()?;
        let mut chained = 0;
        while self.current.is_word("in") {
            if matches!(operand, Expr::In { .. }) {
                self.enter(self.current.pos)?;
                chained += 1;
            }
            operand = self.in_list(operand)?;
        }
        self.depth -= chained;
        Ok(operand)
    }

    fn in_list(&mut self, operand: Expr) -> Result<Expr> {
        let keyword = self.bump()?;
        if self.current.tok != Tok::LParen {
            fail!(
                "expected '(' after 'in' at position {}, found {}",
                keyword.pos,
                self.current.quoted()
            );
        }
        self.enter(self.current.pos)?;
        self.bump()?;
        let mut items = Vec::new();
        if self.current.tok == Tok::RParen {
            fail!("the list after 'in' at position {} is empty", keyword.pos);
        }
        loop {
            let item = self.bump()?;
            match item.tok {
                Tok::Literal(value) => items.push(Expr::Literal {
                    value,
                    pos: item.pos,
                }),
                Tok::Ident(word @ ("true" | "false" | "null")) => items.push(Expr::Literal {
                    value: keyword_literal(word),
                    pos: item.pos,
                }),
                _ => fail!(
                    "expected a literal at position {} in the list after 'in' at position {}, found {}",
                    item.pos,
                    keyword.pos,
                    item.quoted()
                ),
            }
            match self.current.tok {
                Tok::Comma => {
                    self.bump()?;
                }
                Tok::RParen => {
                    self.bump()?;
                    break;
                }
                _ => fail!(
                    "expected ',' or ')' at position {} in the list after 'in' at position {}, found {}",
                    self.current.pos,
                    keyword.pos,
                    self.current.quoted()
                ),
            }
        }
        self.leave();
        Ok(Expr::In {
            operand: Box::new(operand),
            items,
            pos: keyword.pos,
        })
    }

    fn primary(&mut self) -> Result<Expr> {
        let token = self.bump()?;
        match token.tok {
            Tok::LParen => {
                self.enter(token.pos)?;
                let inner = self.expr(0)?;
                if self.current.tok != Tok::RParen {
                    return Err(self.unexpected_after_operand(Some(token.pos)));
                }
                self.bump()?;
                self.leave();
                Ok(inner)
            }
            Tok::Literal(value) => Ok(Expr::Literal {
                value,
                pos: token.pos,
            }),
            Tok::Ident(word @ ("true" | "false" | "null")) => Ok(Expr::Literal {
                value: keyword_literal(word),
                pos: token.pos,
            }),
            Tok::Ident(word)
                if KEYWORDS.contains(&word)
                    && !matches!(self.current.tok, Tok::LParen | Tok::Slash) =>
            {
                fail!(
                    "expected a value at position {}, found the operator '{word}'",
                    token.pos
                )
            }
            Tok::Ident(name) => match self.current.tok {
                Tok::LParen => self.call(token),
                Tok::Slash => self.lambda(token),
                _ if self.scope.contains(&name) => Ok(Expr::Variable {
                    name: name.to_owned(),
                    pos: token.pos,
                }),
                _ => Ok(Expr::Property {
                    name: name.to_owned(),
                    pos: token.pos,
                }),
            },
            Tok::End => fail!(
                "expected a value at position {}, found the end of the filter",
                token.pos
            ),
            _ => fail!(
                "expected a value at position {}, found {}",
                token.pos,
                token.quoted()
            ),
        }
    }

    /// A call: the name has been read and the current token is `(`.
    fn call(&mut self, name: Token<'a>) -> Result<Expr> {
        let Tok::Ident(word) = name.tok else {
            unreachable!("calls start with a name")
        };
        let Some(function) = Function::from_name(word) else {
            if let Some(known) = Function::ALL
                .into_iter()
                .find(|f| f.as_str().eq_ignore_ascii_case(word))
            {
                fail!(
                    "unknown function '{}' at position {}; did you mean '{known}'? Function names are case-sensitive",
                    echo(word),
                    name.pos
                );
            }
            let names: Vec<&str> = Function::ALL.iter().map(|f| f.as_str()).collect();
            let (last, rest) = names.split_last().expect("there are functions");
            fail!(
                "unknown function '{}' at position {}; the supported functions are {} and {last}",
                echo(word),
                name.pos,
                rest.join(", ")
            );
        };
        let open = self.bump()?;
        self.enter(open.pos)?;
        let mut args = Vec::new();
        if self.current.tok != Tok::RParen {
            loop {
                args.push(self.expr(0)?);
                match self.current.tok {
                    Tok::Comma => {
                        self.bump()?;
                    }
                    Tok::RParen => break,
                    _ => fail!(
                        "expected ',' or ')' at position {} in the arguments of '{function}' at position {}, found {}",
                        self.current.pos,
                        name.pos,
                        self.current.quoted()
                    ),
                }
            }
        }
        self.bump()?;
        self.leave();
        let (min, max) = (function.min_args(), function.max_args());
        if !(min..=max).contains(&args.len()) {
            let takes = match (min, max) {
                (1, 1) => "1 argument".to_owned(),
                _ if min == max => format!("{min} arguments"),
                _ => format!("{min} or {max} arguments"),
            };
            fail!(
                "function '{function}' at position {} takes {takes}, not {}",
                name.pos,
                args.len()
            );
        }
        Ok(Expr::Call {
            function,
            args,
            pos: name.pos,
        })
    }

    /// A lambda: the collection has been read and the current token is `/`.
    fn lambda(&mut self, collection: Token<'a>) -> Result<Expr> {
        let Tok::Ident(name) = collection.tok else {
            unreachable!("lambdas start with a name")
        };
        let slash = self.bump()?;
        let operator = self.bump()?;
        let kind = match operator.tok {
            Tok::Ident("any") => LambdaKind::Any,
            Tok::Ident("all") => LambdaKind::All,
            Tok::Ident(word) if word.eq_ignore_ascii_case("any") || word.eq_ignore_ascii_case("all") => {
                fail!(
                    "unknown lambda operator '{}' at position {}; did you mean '{}'? Operators are case-sensitive",
                    echo(word),
                    operator.pos,
                    word.to_ascii_lowercase()
                )
            }
            _ => fail!(
                "expected 'any' or 'all' after '/' at position {}, found {}; paths into properties are not supported",
                slash.pos,
                operator.quoted()
            ),
        };
        if self.scope.contains(&name) {
            fail!(
                "'{}' at position {} is a lambda variable, a single string; '{kind}' applies to collection properties",
                echo(name),
                collection.pos
            );
        }
        if self.current.tok != Tok::LParen {
            fail!(
                "expected '(' after '{kind}' at position {}, found {}",
                operator.pos,
                self.current.quoted()
            );
        }
        let open = self.bump()?;
        self.enter(open.pos)?;
        if self.current.tok == Tok::RParen {
            if kind == LambdaKind::All {
                fail!(
                    "'all' at position {} needs a predicate, as in {}/all(x: x eq '…')",
                    operator.pos,
                    echo(name)
                );
            }
            self.bump()?;
            self.leave();
            return Ok(Expr::Lambda {
                kind,
                collection: name.to_owned(),
                pos: collection.pos,
                predicate: None,
            });
        }
        let variable = self.bump()?;
        let Tok::Ident(var) = variable.tok else {
            fail!(
                "expected a variable name at position {} in '{kind}' at position {}, found {}",
                variable.pos,
                operator.pos,
                variable.quoted()
            );
        };
        if KEYWORDS.contains(&var) {
            fail!(
                "'{var}' at position {} is a keyword and cannot name a lambda variable",
                variable.pos
            );
        }
        if self.scope.contains(&var) {
            fail!(
                "lambda variable '{}' at position {} is already in use by an enclosing lambda",
                echo(var),
                variable.pos
            );
        }
        if self.current.tok != Tok::Colon {
            fail!(
                "expected ':' after the lambda variable '{}' at position {}, found {}",
                echo(var),
                variable.pos,
                self.current.quoted()
            );
        }
        self.bump()?;
        self.scope.push(var);
        let body = self.expr(0)?;
        self.scope.pop();
        if self.current.tok != Tok::RParen {
            return Err(self.unexpected_after_operand(Some(open.pos)));
        }
        self.bump()?;
        self.leave();
        Ok(Expr::Lambda {
            kind,
            collection: name.to_owned(),
            pos: collection.pos,
            predicate: Some((var.to_owned(), Box::new(body))),
        })
    }

    /// The error for a token that cannot follow a complete operand: the end
    /// of the filter (`group` is `None`) or of a group opened at `group`
    /// was expected.
    fn unexpected_after_operand(&self, group: Option<usize>) -> FilterError {
        let token = &self.current;
        if let Tok::Ident(word) = token.tok {
            if let Some(keyword) = KEYWORDS
                .iter()
                .find(|k| k.eq_ignore_ascii_case(word) && **k != word)
            {
                return FilterError(format!(
                    "unknown operator '{}' at position {}; did you mean '{keyword}'? Keywords are case-sensitive",
                    echo(word),
                    token.pos
                ));
            }
            if word == "has" {
                return FilterError(format!(
                    "the operator 'has' at position {} is not supported",
                    token.pos
                ));
            }
        }
        match (group, &token.tok) {
            (Some(open), Tok::End) => FilterError(format!(
                "expected ')' at position {} to close '(' at position {open}",
                token.pos
            )),
            (Some(open), _) => FilterError(format!(
                "unexpected {} at position {}; expected an operator or ')' to close '(' at position {open}",
                token.quoted(),
                token.pos
            )),
            (None, Tok::RParen) => FilterError(format!(
                "unexpected ')' at position {} without a matching '('",
                token.pos
            )),
            (None, _) => FilterError(format!(
                "unexpected {} at position {}; expected an operator or the end of the filter",
                token.quoted(),
                token.pos
            )),
        }
    }
}

fn keyword_literal(word: &str) -> Literal {
    match word {
        "true" => Literal::Boolean(true),
        "false" => Literal::Boolean(false),
        _ => Literal::Null,
    }
}

/// Joins two operands with `and` (`conjunction`) or `or`, flattening chains.
fn join(left: Expr, right: Expr, conjunction: bool) -> Expr {
    let mut operands = match (left, conjunction) {
        (Expr::And(operands), true) | (Expr::Or(operands), false) => operands,
        (left, _) => vec![left],
    };
    match (right, conjunction) {
        (Expr::And(more), true) | (Expr::Or(more), false) => operands.extend(more),
        (right, _) => operands.push(right),
    }
    if conjunction {
        Expr::And(operands)
    } else {
        Expr::Or(operands)
    }
}
