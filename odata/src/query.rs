//! [`ODataQuery`]: all system query options of one request, parsed and
//! checked, and their application to a list of items.

use std::fmt;
use std::marker::PhantomData;

use serde::Serialize;
use serde_json::{Map, Value};

use super::ast::Expr;
use super::eval::{compare_by, Record};
use super::schema::{is_identifier, Schema};
use super::{check, parse};
use defender_errors::{echo, ApiError};

/// The system query options this module understands.
const SUPPORTED: [&str; 7] = [
    "$filter", "$top", "$skip", "$orderby", "$select", "$expand", "$count",
];

/// System query options of OData that Defender's list APIs do not take.
const UNSUPPORTED: [&str; 10] = [
    "$search",
    "$format",
    "$skiptoken",
    "$deltatoken",
    "$apply",
    "$compute",
    "$index",
    "$levels",
    "$schemaversion",
    "$id",
];

/// Parses and checks a `$filter` value against `schema`.
///
/// # Errors
///
/// An `ODataError` whose message names the problem and its 0-based
/// character position, e.g. `Invalid OData URI query $filter: unknown
/// property 'helthStatus' at position 0.`
///
/// ```
/// use defender_odata::{parse_filter, Capabilities, PropertyType, Schema};
///
/// let schema = Schema::builder()
///     .property("riskScore", PropertyType::enumeration(["None", "Low", "Medium", "High"]), Capabilities::ALL)
///     .build();
/// let filter = parse_filter(&schema, "riskScore ge 'Medium'").unwrap();
/// assert!(filter.matches(&schema, &serde_json::json!({"riskScore": "High"})));
///
/// let err = parse_filter(&schema, "riskScore ge 'medium'").unwrap_err();
/// assert_eq!(
///     err.message(),
///     "Invalid OData URI query $filter: 'medium' at position 13 is not a value of 'riskScore' (enum); \
///      did you mean 'Medium'? Values are case-sensitive."
/// );
/// ```
pub fn parse_filter(schema: &Schema, filter: &str) -> Result<Expr, ApiError> {
    let max = schema.max_filter_length();
    if filter.len() > max {
        let length = filter.chars().count();
        if length > max {
            return Err(ApiError::odata(format_args!(
                "$filter: the filter is {length} characters long, more than the maximum of {max}"
            )));
        }
    }
    let expr = parse::parse(filter, schema.max_filter_depth())
        .and_then(|expr| check::check(&expr, schema).map(|()| expr))
        .map_err(|parse::FilterError(detail)| ApiError::odata(format_args!("$filter: {detail}")))?;
    Ok(expr)
}

/// One key of `$orderby`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBy {
    /// The property.
    pub property: String,
    /// Whether the order is descending (`desc`); ascending is the default.
    pub descending: bool,
}

impl OrderBy {
    /// Ascending by `property`.
    pub fn asc(property: impl Into<String>) -> Self {
        OrderBy {
            property: property.into(),
            descending: false,
        }
    }

    /// Descending by `property`.
    pub fn desc(property: impl Into<String>) -> Self {
        OrderBy {
            property: property.into(),
            descending: true,
        }
    }
}

impl fmt::Display for OrderBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = if self.descending { "desc" } else { "asc" };
        super::ast::write_escaped(f, &self.property)?;
        write!(f, " {direction}")
    }
}

/// The marker of an [`ODataQuery`] whose schema comes from the router's
/// state through axum's `FromRef`: the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct FromState;

/// A schema known by type, for the extractor `ODataQuery<M>`: one marker
/// type per endpoint.
///
/// ```
/// use std::sync::LazyLock;
/// use defender_odata::{Capabilities, ODataSchema, PropertyType, Schema};
///
/// struct Machines;
///
/// impl ODataSchema for Machines {
///     fn schema() -> &'static Schema {
///         static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
///             Schema::builder()
///                 .property("id", PropertyType::String, Capabilities::ALL)
///                 .build()
///         });
///         &SCHEMA
///     }
/// }
/// ```
pub trait ODataSchema {
    /// The endpoint's schema.
    fn schema() -> &'static Schema;
}

/// The OData system query options of one request, parsed and checked
/// against a [`Schema`]; see the [module docs](super).
///
/// Build one with [`ODataQuery::parse`], or extract it in an axum handler:
/// as `ODataQuery` (the schema taken from the state with `FromRef`) or as
/// `ODataQuery<M>` (the schema of an [`ODataSchema`] marker type `M`). The
/// rejection is an [`ApiError`] with code `ODataError`.
pub struct ODataQuery<M = FromState> {
    schema: Schema,
    filter: Option<Expr>,
    order_by: Vec<OrderBy>,
    top: Option<u64>,
    skip: Option<u64>,
    select: Vec<String>,
    expand: Vec<String>,
    count: bool,
    _marker: PhantomData<fn() -> M>,
}

impl<M> Clone for ODataQuery<M> {
    fn clone(&self) -> Self {
        ODataQuery {
            schema: self.schema.clone(),
            filter: self.filter.clone(),
            order_by: self.order_by.clone(),
            top: self.top,
            skip: self.skip,
            select: self.select.clone(),
            expand: self.expand.clone(),
            count: self.count,
            _marker: PhantomData,
        }
    }
}

impl<M> fmt::Debug for ODataQuery<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ODataQuery")
            .field("filter", &self.filter.as_ref().map(ToString::to_string))
            .field("order_by", &self.order_by)
            .field("top", &self.top)
            .field("skip", &self.skip)
            .field("select", &self.select)
            .field("expand", &self.expand)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl ODataQuery {
    /// Parses the system query options (`$filter`, `$top`, `$skip`,
    /// `$orderby`, `$select`, `$expand`, `$count`) of a raw query string,
    /// as in `http::Uri::query`, and checks them against `schema`.
    ///
    /// The string is read with `application/x-www-form-urlencoded` rules:
    /// pairs split on `&`, `+` is a space, `%XX` is a byte. Parameters whose
    /// name does not start with `$` are left to the endpoint.
    ///
    /// # Errors
    ///
    /// An `ODataError` for a malformed or disallowed option, an unknown or
    /// repeated `$` option (option names are case-sensitive), or invalid
    /// percent-encoding or UTF-8 in a `$` option.
    pub fn parse(schema: &Schema, raw_query: Option<&str>) -> Result<Self, ApiError> {
        Self::parse_as(schema, raw_query)
    }
}

impl<M> ODataQuery<M> {
    /// [`ODataQuery::parse`] for any marker type.
    fn parse_as(schema: &Schema, raw_query: Option<&str>) -> Result<Self, ApiError> {
        let mut query = ODataQuery {
            schema: schema.clone(),
            filter: None,
            order_by: Vec::new(),
            top: None,
            skip: None,
            select: Vec::new(),
            expand: Vec::new(),
            count: false,
            _marker: PhantomData,
        };
        let mut seen = [false; SUPPORTED.len()];
        for pair in raw_query.unwrap_or("").split('&') {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let is_system = raw_name.starts_with('$')
                || raw_name
                    .get(..3)
                    .is_some_and(|p| p.eq_ignore_ascii_case("%24"));
            if !is_system {
                continue;
            }
            let name = decode(raw_name).map_err(|problem| {
                ApiError::odata(format_args!(
                    "query option '{}': {problem} in its name",
                    echo(raw_name)
                ))
            })?;
            let value = decode(raw_value)
                .map_err(|problem| ApiError::odata(format_args!("{}: {problem}", echo(&name))))?;
            let Some(index) = SUPPORTED.iter().position(|o| *o == name) else {
                return Err(unknown_option(&name));
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(ApiError::odata(format_args!(
                    "the system query option '{name}' is given more than once"
                )));
            }
            query.set(SUPPORTED[index], &value)?;
        }
        Ok(query)
    }

    fn set(&mut self, option: &'static str, value: &str) -> Result<(), ApiError> {
        let fail = |detail: String| ApiError::odata(format_args!("{option}: {detail}"));
        match option {
            "$filter" => self.filter = Some(parse_filter(&self.schema, value)?),
            "$top" => {
                let top = non_negative(value).map_err(fail)?;
                let max = self.schema.max_top();
                if top > max {
                    return Err(fail(format!("{top} is more than the maximum of {max}")));
                }
                self.top = Some(top);
            }
            "$skip" => self.skip = Some(non_negative(value).map_err(fail)?),
            "$count" => {
                self.count = match value {
                    "true" => true,
                    "false" => false,
                    _ if value.eq_ignore_ascii_case("true")
                        || value.eq_ignore_ascii_case("false") =>
                    {
                        return Err(fail(format!(
                            "'{value}' is not a boolean; did you mean '{}'? Values are case-sensitive",
                            value.to_ascii_lowercase()
                        )));
                    }
                    _ => return Err(fail(format!("'{}' is not 'true' or 'false'", echo(value)))),
                }
            }
            "$orderby" => self.order_by = self.parse_order_by(value).map_err(fail)?,
            "$select" => self.select = self.parse_select(value).map_err(fail)?,
            "$expand" => self.expand = self.parse_expand(value).map_err(fail)?,
            _ => unreachable!("only supported options are set"),
        }
        Ok(())
    }

    fn parse_order_by(&self, value: &str) -> Result<Vec<OrderBy>, String> {
        let mut keys: Vec<OrderBy> = Vec::new();
        for item in list(value)? {
            let mut words = item.words();
            let (name, pos) = words.next().expect("list items are not empty");
            let property = self.property(name, pos)?;
            if !property.is_sortable() {
                return Err(format!(
                    "property '{name}' at position {pos} is not sortable"
                ));
            }
            let descending = match words.next() {
                None | Some(("asc", _)) => false,
                Some(("desc", _)) => true,
                Some((word, pos))
                    if word.eq_ignore_ascii_case("asc") || word.eq_ignore_ascii_case("desc") =>
                {
                    return Err(format!(
                        "unknown direction '{word}' at position {pos}; did you mean '{}'? Keywords are case-sensitive",
                        word.to_ascii_lowercase()
                    ));
                }
                Some((word, pos)) => {
                    return Err(format!(
                        "expected 'asc' or 'desc' at position {pos}, found '{}'",
                        echo(word)
                    ));
                }
            };
            if let Some((word, pos)) = words.next() {
                return Err(format!(
                    "unexpected '{}' at position {pos}; separate properties with ','",
                    echo(word)
                ));
            }
            if keys.iter().any(|k| k.property == name) {
                return Err(format!(
                    "property '{name}' at position {pos} is listed more than once"
                ));
            }
            keys.push(OrderBy {
                property: name.to_owned(),
                descending,
            });
        }
        Ok(keys)
    }

    fn parse_select(&self, value: &str) -> Result<Vec<String>, String> {
        if value.trim_matches(' ') == "*" {
            return Ok(Vec::new());
        }
        let mut names: Vec<String> = Vec::new();
        for item in list(value)? {
            let (name, pos) = item.single()?;
            let property = self.property(name, pos)?;
            if !property.is_selectable() {
                return Err(format!(
                    "property '{name}' at position {pos} cannot be selected"
                ));
            }
            if names.iter().any(|n| n == name) {
                return Err(format!(
                    "property '{name}' at position {pos} is listed more than once"
                ));
            }
            names.push(name.to_owned());
        }
        Ok(names)
    }

    fn parse_expand(&self, value: &str) -> Result<Vec<String>, String> {
        let mut names: Vec<String> = Vec::new();
        for item in list(value)? {
            let (name, pos) = item.single()?;
            if !self.schema.is_expandable(name) {
                let mut message = format!("'{}' at position {pos} cannot be expanded", echo(name));
                if let Some(known) = self.schema.expandable_case_variant(name) {
                    message.push_str(&format!(
                        "; did you mean '{known}'? Relation names are case-sensitive"
                    ));
                } else if self.schema.expandable().len() == 0 {
                    message.push_str("; this endpoint has no expandable relations");
                } else {
                    let known: Vec<String> =
                        self.schema.expandable().map(|r| format!("'{r}'")).collect();
                    message.push_str(&format!("; expandable: {}", known.join(", ")));
                }
                return Err(message);
            }
            if names.iter().any(|n| n == name) {
                return Err(format!(
                    "'{name}' at position {pos} is listed more than once"
                ));
            }
            names.push(name.to_owned());
        }
        Ok(names)
    }

    fn property(&self, name: &str, pos: usize) -> Result<&super::Property, String> {
        if !is_identifier(name) {
            return Err(format!(
                "expected a property name at position {pos}, found '{}'",
                echo(name)
            ));
        }
        match self.schema.property(name) {
            Some(property) => Ok(property),
            None => match self.schema.case_variant(name) {
                Some(known) => Err(format!(
                    "unknown property '{name}' at position {pos}; did you mean '{}'? Property names are case-sensitive",
                    known.name()
                )),
                None => Err(format!("unknown property '{}' at position {pos}", echo(name))),
            },
        }
    }

    /// The schema the query was checked against.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The `$filter`, if given.
    pub fn filter(&self) -> Option<&Expr> {
        self.filter.as_ref()
    }

    /// The `$orderby` keys, most significant first (empty if not given).
    pub fn order_by(&self) -> &[OrderBy] {
        &self.order_by
    }

    /// The `$top`, if given (at most the schema's
    /// [`max_top`](Schema::max_top)).
    pub fn top(&self) -> Option<u64> {
        self.top
    }

    /// The `$skip`, if given.
    pub fn skip(&self) -> Option<u64> {
        self.skip
    }

    /// The `$select`ed properties in the order given; empty when `$select`
    /// is absent or `*` (every property).
    pub fn select(&self) -> &[String] {
        &self.select
    }

    /// The `$expand`ed relations (empty if not given).
    pub fn expand(&self) -> &[String] {
        &self.expand
    }

    /// Whether `$count=true` asks for the number of matching items.
    pub fn count(&self) -> bool {
        self.count
    }

    /// The keys items are sorted by: the `$orderby` keys, then the
    /// schema's [`key`](Schema::key) ascending unless `$orderby` names it.
    /// Empty when there is neither. A backend that sorts (a SQL `ORDER
    /// BY`) sorts by these to give the same order as [`apply`](Self::apply).
    pub fn sort_keys(&self) -> Vec<OrderBy> {
        let mut keys = self.order_by.clone();
        if let Some(key) = self.schema.key() {
            if !keys.iter().any(|k| k.property == key) {
                keys.push(OrderBy::asc(key));
            }
        }
        keys
    }

    /// How `a` and `b` compare in the order of [`sort_keys`](Self::sort_keys),
    /// the order [`apply`](Self::apply) and [`page`](Self::page) sort by: a
    /// total order. Per key, `null` is the smallest value (first ascending,
    /// last descending); numbers compare exactly, integers with doubles
    /// too; enum members follow their declaration order and a stored value
    /// that is not a member comes after every member, ordered by text;
    /// strings compare by code point; date-times as instants. Values that do
    /// not fit the property's type read as `null`.
    pub fn compare<R: Record + ?Sized>(&self, a: &R, b: &R) -> std::cmp::Ordering {
        let keys = self
            .order_by
            .iter()
            .map(|k| (k.property.as_str(), k.descending));
        let final_key = self
            .schema
            .key()
            .filter(|key| !self.order_by.iter().any(|k| k.property == *key))
            .map(|key| (key, false));
        keys.chain(final_key)
            .map(|(property, descending)| {
                let o = compare_by(&self.schema, property, a, b);
                if descending {
                    o.reverse()
                } else {
                    o
                }
            })
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    }

    /// Whether `item` satisfies the `$filter` (every item does without one).
    pub fn matches<R: Record + ?Sized>(&self, item: &R) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|filter| filter.matches(&self.schema, item))
    }

    /// Applies `$filter`, `$orderby`, `$skip` and `$top` to `items`.
    ///
    /// Without `$top`, at most the schema's [`max_top`](Schema::max_top)
    /// items are returned, as a Defender list API pages its results. The
    /// order is [`compare`](Self::compare)'s; the sort is stable, so items
    /// that tie on every key (there is no schema key) keep their input
    /// order.
    pub fn apply<'a, R, I>(&self, items: I) -> Vec<&'a R>
    where
        R: Record + ?Sized + 'a,
        I: IntoIterator<Item = &'a R>,
    {
        let mut matching: Vec<&'a R> = items.into_iter().filter(|i| self.matches(*i)).collect();
        self.order_skip_top(&mut matching);
        matching
    }

    fn order_skip_top<R: Record + ?Sized>(&self, items: &mut Vec<&R>) {
        if !self.order_by.is_empty() || self.schema.key().is_some() {
            items.sort_by(|a, b| self.compare(*a, *b));
        }
        let skip = usize::try_from(self.skip.unwrap_or(0)).unwrap_or(usize::MAX);
        items.drain(..skip.min(items.len()));
        let top = self.top.unwrap_or(self.schema.max_top());
        items.truncate(usize::try_from(top).unwrap_or(usize::MAX));
    }

    /// `item` with only the `$select`ed properties and the `$expand`ed
    /// relations; a copy of `item` when nothing is selected. A non-object
    /// is returned as it is.
    pub fn project(&self, item: &Value) -> Value {
        let Value::Object(fields) = item else {
            return item.clone();
        };
        if self.select.is_empty() {
            return item.clone();
        }
        let mut projected = Map::new();
        for name in self.select.iter().chain(&self.expand) {
            if let Some(value) = fields.get(name) {
                projected.insert(name.clone(), value.clone());
            }
        }
        Value::Object(projected)
    }

    /// The whole query applied to JSON items: the page of projected items
    /// and, with `$count=true`, the number of items matching `$filter`.
    ///
    /// ```
    /// use defender_odata::{Capabilities, ODataQuery, PropertyType, Schema};
    /// use serde_json::json;
    ///
    /// let schema = Schema::builder()
    ///     .property("id", PropertyType::String, Capabilities::ALL)
    ///     .property("riskScore", PropertyType::Integer, Capabilities::ALL)
    ///     .build();
    /// let items = [json!({"id": "a", "riskScore": 3}), json!({"id": "b", "riskScore": 7})];
    /// let query = ODataQuery::parse(&schema, Some("$filter=riskScore gt 5&$select=id&$count=true")).unwrap();
    /// assert_eq!(
    ///     serde_json::to_value(query.page(&items)).unwrap(),
    ///     json!({"@odata.count": 1, "value": [{"id": "b"}]})
    /// );
    /// ```
    pub fn page(&self, items: &[Value]) -> Page {
        let mut matching: Vec<&Value> = items.iter().filter(|i| self.matches(*i)).collect();
        let count = self.count.then_some(matching.len());
        self.order_skip_top(&mut matching);
        Page {
            count,
            value: matching.into_iter().map(|i| self.project(i)).collect(),
        }
    }
}

/// One page of a list response: `{"@odata.count": n, "value": [...]}`,
/// the count present only when `$count=true` asked for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// The number of items matching `$filter`, before `$skip` and `$top`.
    #[serde(rename = "@odata.count", skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
    /// The items of the page.
    pub value: Vec<Value>,
}

fn unknown_option(name: &str) -> ApiError {
    if let Some(known) = SUPPORTED.iter().find(|o| o.eq_ignore_ascii_case(name)) {
        return ApiError::odata(format_args!(
            "unknown system query option '{}'; did you mean '{known}'? Option names are case-sensitive",
            echo(name)
        ));
    }
    if UNSUPPORTED.contains(&name) {
        return ApiError::odata(format_args!(
            "the system query option '{name}' is not supported"
        ));
    }
    ApiError::odata(format_args!(
        "unknown system query option '{}'; supported: {}",
        echo(name),
        SUPPORTED.join(", ")
    ))
}

fn non_negative(value: &str) -> Result<u64, String> {
    if value.is_empty() {
        return Err("the value is empty; expected a non-negative integer".to_owned());
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{}' is not a non-negative integer", echo(value)));
    }
    value
        .parse()
        .map_err(|_| format!("{} is too large", echo(value)))
}

/// One comma-separated item of a list option, spaces trimmed.
struct Item<'a> {
    text: &'a str,
    /// The character position of `text` in the option's value.
    pos: usize,
}

impl<'a> Item<'a> {
    /// The space-separated words of the item with their positions.
    fn words(&self) -> impl Iterator<Item = (&'a str, usize)> {
        let mut pos = self.pos;
        self.text.split(' ').filter_map(move |word| {
            let at = pos;
            pos += word.chars().count() + 1;
            (!word.is_empty()).then_some((word, at))
        })
    }

    /// The item as a single word.
    fn single(&self) -> Result<(&'a str, usize), String> {
        let mut words = self.words();
        let first = words.next().expect("list items are not empty");
        match words.next() {
            None => Ok(first),
            Some((word, pos)) => Err(format!(
                "unexpected '{}' at position {pos}; separate names with ','",
                echo(word)
            )),
        }
    }
}

/// Splits a list option on commas; no item may be empty.
fn list(value: &str) -> Result<Vec<Item<'_>>, String> {
    let mut items = Vec::new();
    let mut pos = 0;
    for raw in value.split(',') {
        let leading = raw.len() - raw.trim_start_matches(' ').len();
        let text = raw.trim_matches(' ');
        let at = pos + leading;
        if text.is_empty() {
            return Err(if value.trim_matches(' ').is_empty() {
                "the value is empty".to_owned()
            } else {
                format!("expected a name at position {at}")
            });
        }
        items.push(Item { text, pos: at });
        pos += raw.chars().count() + 1;
    }
    Ok(items)
}

/// Decodes one name or value of a query string: `+` is a space and `%XX`
/// a byte; the bytes must be UTF-8.
fn decode(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return Ok(raw.to_owned());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    let h = std::str::from_utf8(h).ok()?;
                    u8::from_str_radix(h, 16)
                        .ok()
                        .filter(|_| h.bytes().all(|b| b.is_ascii_hexdigit()))
                });
                let Some(byte) = hex else {
                    let end = raw[i..]
                        .char_indices()
                        .nth(3)
                        .map_or(raw.len(), |(e, _)| i + e);
                    return Err(format!(
                        "invalid percent-encoding '{}' at byte {i} of the raw text",
                        echo(&raw[i..end])
                    ));
                };
                out.push(byte);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "the percent-decoded text is not valid UTF-8".to_owned())
}

#[cfg(feature = "axum")]
mod extract {
    use axum::extract::{FromRef, FromRequestParts};
    use http::request::Parts;

    use super::{FromState, ODataQuery, ODataSchema};
    use crate::Schema;
    use defender_errors::ApiError;

    /// Takes the schema from the router's state.
    impl<S> FromRequestParts<S> for ODataQuery<FromState>
    where
        S: Send + Sync,
        Schema: FromRef<S>,
    {
        type Rejection = ApiError;

        async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
            ODataQuery::parse(&Schema::from_ref(state), parts.uri.query())
        }
    }

    /// Takes the schema of the marker type `M`.
    impl<S, M> FromRequestParts<S> for ODataQuery<M>
    where
        S: Send + Sync,
        M: ODataSchema,
    {
        type Rejection = ApiError;

        async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
            ODataQuery::parse_as(M::schema(), parts.uri.query())
        }
    }
}
