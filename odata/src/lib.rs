//! OData system query options for list endpoints: `$filter`, `$top`,
//! `$skip`, `$orderby`, `$select`, `$expand` and `$count`, parsed, checked
//! against what the endpoint allows, and applied to in-memory items.
//!
//! Defender's list APIs take queries such as
//!
//! ```text
//! GET /api/machines?$filter=healthStatus eq 'Active' and lastSeen gt 2024-01-01T00:00:00Z&$top=100
//! GET /api/machines?$filter=machineTags/any(tag: tag eq 'Prod')&$orderby=lastSeen desc&$skip=200
//! GET /api/alerts?$select=id,severity&$expand=evidence
//! ```
//!
//! A malformed or disallowed option is a 400 `ODataError` whose message
//! says what is wrong and, for `$filter`, `$orderby`, `$select` and
//! `$expand`, the 0-based character position in the option's value:
//!
//! ```text
//! Invalid OData URI query $filter: unknown property 'helthStatus' at position 0.
//! Invalid OData URI query $filter: unknown property 'HealthStatus' at position 0; did you mean 'healthStatus'? Property names are case-sensitive.
//! Invalid OData URI query $top: 20000 is more than the maximum of 10000.
//! ```
//!
//! # The parts
//!
//! - [`Schema`]: per endpoint, the properties with their [`PropertyType`]
//!   and [`Capabilities`] (filter, sort, select), the expandable relations,
//!   and the limits (`$top` at most 10,000 by default, as Defender
//!   documents; `$filter` depth and length).
//! - [`ODataQuery`]: all options of a request, from
//!   [`ODataQuery::parse`] or as an axum extractor, and applied to items
//!   with [`apply`](ODataQuery::apply), [`project`](ODataQuery::project)
//!   and [`page`](ODataQuery::page).
//! - [`Expr`]: the `$filter` syntax tree, from [`parse_filter`]; evaluate it
//!   with [`Expr::matches`] on any [`Record`].
//!
//! # The `$filter` language
//!
//! | | |
//! |---|---|
//! | comparison | `eq ne gt ge lt le` |
//! | logic | `and or not`, parentheses |
//! | membership | `severity in ('High', 'Medium')` |
//! | arithmetic | `add sub mul div mod`, negation `-x` (numbers only) |
//! | literals | `'it''s'`, `42`, `-1.5`, `+405`, `true`, `false`, `null`, `2024-01-01T00:00:00Z`, `2024-01-01`, `08:30:00.5`, GUIDs |
//! | string functions | `startswith endswith contains` (boolean), `length indexof` (integer), `substring concat trim tolower toupper` (string) |
//! | date-time functions | `year month day hour minute second` (integer), `date` (a date), `time` (a time of day) |
//! | lambdas | `machineTags/any(tag: tag eq 'Prod')`, `machineTags/all(t: startswith(t, 'x'))`, `machineTags/any()`; not nested |
//!
//! Every function and operator has fixed argument types, checked before
//! anything is evaluated, and a wrong one is an `ODataError` naming the
//! argument and its position: `length(x)` takes a string,
//! `substring(s, start[, length])` a string and integers, `year(x)` …
//! `time(x)` a date-time, `add` … `mod` numbers. `date(x)` compares with
//! date literals (`date(lastSeen) eq 2024-01-01`), `time(x)` with
//! time-of-day literals `hh:mm[:ss[.fffffff]]` (`time(lastSeen) lt 08:30`).
//! A string literal holding U+0000 is refused (no SQL text column can
//! hold it).
//!
//! What the operators and functions compute:
//!
//! - **null** in, null out: a function or arithmetic operator with a null
//!   operand gives null. `x eq null` is true only for a null `x`, `x ne v`
//!   is true for a null `x`, and `gt ge lt le` with a null operand
//!   (including the literal: `null lt lastSeen`) are false, so `not (x gt
//!   5)` is true for a null `x`. A boolean function of a null argument
//!   (`startswith(x, 'a')` for a null `x`) is null: the item does not
//!   match, with or without `not` in front.
//! - **strings** compare by Unicode code point; `length`, `indexof` and
//!   `substring` count code points. `indexof` is 0-based, `-1` when the
//!   part is absent and `0` for an empty part; `substring` treats a
//!   negative start or length as 0 and gives `''` past the end; `trim`
//!   removes the leading and trailing characters for which
//!   `char::is_whitespace` is true; `tolower`/`toupper` use Unicode case
//!   mapping. `contains`, `startswith` and `endswith` are case-sensitive.
//! - **numbers**: integers and doubles compare exactly (an integer above
//!   2^53 is not rounded to a double first). Integer op integer is an
//!   integer: `div` truncates toward zero (`-7 div 2` is `-3`), `mod` takes
//!   the dividend's sign (`-7 mod 3` is `-1`); a double operand makes the
//!   operation double (`-7 div 2.0` is `-3.5`). Division or `mod` by zero
//!   and integer overflow give null; a double result that overflows is
//!   infinity (greater than every finite number).
//! - **date-times** compare as instants; `year` … `second`, `date` and
//!   `time` read the instant in UTC, whatever offset it was written with
//!   (`day(2024-03-01T23:30:00-02:00)` is 2). `second` drops the fraction.
//! - **enums** order by declaration order; a stored value that is not a
//!   member orders after every member, and non-members by text.
//!
//! Also accepted, as Microsoft's ODataLib accepts them: a sign on a number
//! literal (`incidentId eq +405`; in a query string encode the `+` as
//! `%2B`, a bare `+` is a space), `null` in ordering comparisons, `not(`
//! without a space, spaces and tabs around the expression, and a lambda
//! variable named like a property, which shadows the property inside its
//! predicate (`machineTags/any(id: id eq 'Prod')`).
//!
//! A lambda may not appear inside another lambda's predicate: nested
//! lambdas over a collection of `k` members cost `k` to the power of the
//! nesting per item, so `machineTags/any(a: machineTags/any(b: …))` is
//! refused when the filter is checked, with an `ODataError` naming both
//! lambdas and their positions. What nesting would express is written with
//! `and`/`or` (`machineTags/any(a: a eq 'x') and machineTags/all(b: b ne
//! 'y')`). With that rule, evaluating a filter of `n` nodes costs at most
//! `n × max(1, members)` steps per item (string functions also walk their
//! strings).
//!
//! Keywords, function names and property names are case-sensitive; a name
//! that differs from a known one only in case is reported with the right
//! spelling. Enum values are written as strings (`healthStatus eq
//! 'Active'`) and must be members; date-times are written without quotes
//! and compare as instants. Precedence follows OData 4.01, tightest first:
//! `in`; `not` and negation `-`; `mul div mod`; `add sub`; `gt ge lt le`;
//! `eq ne`; `and`; `or`. So `not` needs parentheses around a comparison
//! (`not (healthStatus eq 'Active')`), `a add b mul c` is `a add (b mul
//! c)`, `a sub b sub c` is `(a sub b) sub c`, and `in` takes the operand
//! right before it (`(a add 1) in (2, 3)` needs its parentheses). A `-`
//! directly before a digit is part of the number (`-5`); before anything
//! else it negates.
//!
//! # `$orderby`
//!
//! `$orderby` takes sortable property names, each optionally `asc` or
//! `desc`; it does not take expressions (`$orderby=length(id)` is an
//! `ODataError`). The order is total: `null` is the smallest value (first
//! ascending, last descending), numbers compare exactly, enum non-members
//! follow the members by text, strings compare by code point, date-times as
//! instants. When the schema declares a [key](SchemaBuilder::key) (such as
//! `id`, unique and never null), every order ends with it, ascending, and a
//! query without `$orderby` is sorted by it: pages are stable and every
//! backend gives the same order ([`ODataQuery::sort_keys`]). Without a
//! key, items that tie keep their input order.
//!
//! # Why a hand-written parser
//!
//! The parser is a recursive-descent parser with precedence climbing for
//! the binary operators, written by hand rather than generated or built
//! from a combinator crate:
//!
//! - its errors name the exact character position and what was expected,
//!   in the words of the message template, which is the point of this
//!   module;
//! - it adds no dependency to a middleware crate;
//! - it is fast: one pass, no backtracking, one token of lookahead (a
//!   10-clause filter parses and checks in microseconds; see
//!   `benches/odata.rs`);
//! - its recursion is bounded by [`Schema::max_filter_depth`] and its
//!   input by [`Schema::max_filter_length`], so no request can exhaust the
//!   stack.
//!
//! # Example
//!
//! ```
//! use std::sync::LazyLock;
//! use defender_odata::{Capabilities as C, ODataQuery, PropertyType as T, Schema};
//! use defender_errors::ErrorCode;
//! use serde_json::json;
//!
//! static MACHINES: LazyLock<Schema> = LazyLock::new(|| {
//!     Schema::builder()
//!         .property("id", T::String, C::ALL)
//!         .property("healthStatus", T::enumeration(["Active", "Inactive"]), C::ALL)
//!         .property("lastSeen", T::DateTime, C::ALL)
//!         .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
//!         .build()
//! });
//!
//! let machines = [
//!     json!({"id": "m1", "healthStatus": "Active", "lastSeen": "2024-03-01T10:00:00Z", "machineTags": ["Prod"]}),
//!     json!({"id": "m2", "healthStatus": "Inactive", "lastSeen": "2024-03-02T10:00:00Z", "machineTags": []}),
//!     json!({"id": "m3", "healthStatus": "Active", "lastSeen": "2024-03-03T10:00:00+05:00", "machineTags": ["Prod"]}),
//! ];
//!
//! // As a browser sends it: percent-encoded, `+` for a space.
//! let raw = "$filter=healthStatus+eq+%27Active%27+and+machineTags%2Fany(t:+t+eq+%27Prod%27)\
//!            &$orderby=lastSeen%20desc&$select=id";
//! let query = ODataQuery::parse(&MACHINES, Some(raw)).unwrap();
//! let page = query.page(&machines);
//! assert_eq!(page.value, [json!({"id": "m3"}), json!({"id": "m1"})]);
//!
//! let err = ODataQuery::parse(&MACHINES, Some("$filter=HealthStatus eq 'Active'")).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::ODataError);
//! assert_eq!(
//!     err.message(),
//!     "Invalid OData URI query $filter: unknown property 'HealthStatus' at position 0; \
//!      did you mean 'healthStatus'? Property names are case-sensitive."
//! );
//! ```
//!
//! # In an axum handler
//!
//! `ODataQuery<M>` takes the schema of a marker type implementing
//! [`ODataSchema`], one per endpoint; plain `ODataQuery` takes it from the
//! router's state (`Schema: FromRef<S>`). Either rejects a bad query with
//! an `ODataError` [`ApiError`](defender_errors::ApiError).
//!
//! ```
//! # #[cfg(feature = "axum")] {
//! use std::sync::LazyLock;
//! use axum::{routing::get, Json, Router};
//! use defender_odata::{Capabilities as C, ODataQuery, ODataSchema, Page, PropertyType as T, Schema};
//! use defender_errors::DefenderErrorLayer;
//!
//! struct Machines;
//!
//! impl ODataSchema for Machines {
//!     fn schema() -> &'static Schema {
//!         static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
//!             Schema::builder()
//!                 .property("id", T::String, C::ALL)
//!                 .property("riskScore", T::enumeration(["None", "Low", "Medium", "High"]), C::ALL)
//!                 .build()
//!         });
//!         &SCHEMA
//!     }
//! }
//!
//! async fn list(query: ODataQuery<Machines>) -> Json<Page> {
//!     let machines = vec![serde_json::json!({"id": "m1", "riskScore": "High"})];
//!     Json(query.page(&machines))
//! }
//!
//! let app: Router = Router::new()
//!     .route("/api/machines", get(list))
//!     .layer(DefenderErrorLayer::new());
//! # }
//! ```

mod ast;
mod check;
mod eval;
mod parse;
mod query;
mod schema;
#[cfg(feature = "sql")]
#[cfg_attr(docsrs, doc(cfg(feature = "sql")))]
pub mod sql;

pub use self::ast::{
    ArithmeticOp, CompareOp, DateTimeOffset, Expr, Function, LambdaKind, Literal, TimeOfDay,
};
pub use self::eval::Record;
pub use self::query::{parse_filter, FromState, ODataQuery, ODataSchema, OrderBy, Page};
pub use self::schema::{
    Capabilities, Property, PropertyType, Schema, SchemaBuilder, DEFAULT_MAX_FILTER_DEPTH,
    DEFAULT_MAX_FILTER_LENGTH, DEFAULT_MAX_TOP, MAX_FILTER_DEPTH_CEILING,
};
