//! What an endpoint allows: its properties with their types and uses, its
//! expandable relations and its limits.

use std::collections::HashMap;
use std::fmt;
use std::ops::BitOr;
use std::sync::Arc;

/// The largest `$top` Defender's list APIs accept, and the default
/// [`SchemaBuilder::max_top`].
pub const DEFAULT_MAX_TOP: u64 = 10_000;

/// The default [`SchemaBuilder::max_filter_depth`].
pub const DEFAULT_MAX_FILTER_DEPTH: usize = 32;

/// The default [`SchemaBuilder::max_filter_length`], in characters.
pub const DEFAULT_MAX_FILTER_LENGTH: usize = 4096;

/// The ceiling on [`SchemaBuilder::max_filter_depth`]: the parser, the
/// checker and the evaluator recurse once per level.
pub const MAX_FILTER_DEPTH_CEILING: usize = 256;

/// The type of a property.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyType {
    /// A string (`Edm.String`), compared with string literals.
    String,
    /// An integer (`Edm.Int64`); numbers compare across integer and double.
    Integer,
    /// A floating-point number (`Edm.Double`).
    Double,
    /// `true` or `false` (`Edm.Boolean`); equality only.
    Boolean,
    /// An instant (`Edm.DateTimeOffset`), compared with unquoted date-time or
    /// date literals; held as an ISO 8601 string in JSON items.
    DateTime,
    /// A GUID (`Edm.Guid`), compared with bare or quoted GUID literals.
    Guid,
    /// An enumeration, compared with quoted member names
    /// (`healthStatus eq 'Active'`); ordering follows the members' order.
    Enum(Arc<[String]>),
    /// A collection of strings, usable only through `any`/`all`
    /// (`machineTags/any(tag: tag eq 'Prod')`).
    StringCollection,
}

impl PropertyType {
    /// An enumeration with these members, in order.
    ///
    /// ```
    /// use defender_odata::PropertyType;
    ///
    /// let status = PropertyType::enumeration(["Active", "Inactive"]);
    /// assert_eq!(status.members(), Some(&["Active".to_owned(), "Inactive".to_owned()][..]));
    /// ```
    pub fn enumeration<I>(members: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        PropertyType::Enum(members.into_iter().map(Into::into).collect())
    }

    /// The members of an enumeration.
    pub fn members(&self) -> Option<&[String]> {
        match self {
            PropertyType::Enum(members) => Some(members),
            _ => None,
        }
    }

    /// Whether it is a collection.
    pub fn is_collection(&self) -> bool {
        matches!(self, PropertyType::StringCollection)
    }
}

impl fmt::Display for PropertyType {
    /// The type's name as messages give it: `string`, `date-time`, `enum`, ….
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PropertyType::String => "string",
            PropertyType::Integer => "integer",
            PropertyType::Double => "double",
            PropertyType::Boolean => "boolean",
            PropertyType::DateTime => "date-time",
            PropertyType::Guid => "GUID",
            PropertyType::Enum(_) => "enum",
            PropertyType::StringCollection => "collection of strings",
        })
    }
}

/// Which options may use a property: a set of [`FILTER`](Self::FILTER),
/// [`SORT`](Self::SORT) and [`SELECT`](Self::SELECT), combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u8);

impl Capabilities {
    /// No option may use it.
    pub const NONE: Self = Capabilities(0);
    /// `$filter` may use it.
    pub const FILTER: Self = Capabilities(1);
    /// `$orderby` may use it.
    pub const SORT: Self = Capabilities(2);
    /// `$select` may name it.
    pub const SELECT: Self = Capabilities(4);
    /// All three.
    pub const ALL: Self = Capabilities(7);

    /// Whether every capability in `other` is in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for Capabilities {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Capabilities(self.0 | rhs.0)
    }
}

/// One property of a [`Schema`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    name: Box<str>,
    ty: PropertyType,
    capabilities: Capabilities,
}

impl Property {
    /// Its name (case-sensitive).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its type.
    pub fn ty(&self) -> &PropertyType {
        &self.ty
    }

    /// The options that may use it.
    pub fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    /// Whether `$filter` may use it.
    pub fn is_filterable(&self) -> bool {
        self.capabilities.contains(Capabilities::FILTER)
    }

    /// Whether `$orderby` may use it.
    pub fn is_sortable(&self) -> bool {
        self.capabilities.contains(Capabilities::SORT)
    }

    /// Whether `$select` may name it.
    pub fn is_selectable(&self) -> bool {
        self.capabilities.contains(Capabilities::SELECT)
    }
}

/// What one endpoint's OData query options may use.
///
/// Built once with [`Schema::builder`]; a clone shares the same data (an
/// [`Arc`] inside), so a schema fits in a `static` [`LazyLock`], in router
/// state, or in both.
///
/// [`LazyLock`]: std::sync::LazyLock
///
/// ```
/// use std::sync::LazyLock;
/// use defender_odata::{Capabilities as C, PropertyType as T, Schema};
///
/// static MACHINES: LazyLock<Schema> = LazyLock::new(|| {
///     Schema::builder()
///         .property("id", T::String, C::ALL)
///         .property("computerDnsName", T::String, C::ALL)
///         .property("healthStatus", T::enumeration(["Active", "Inactive"]), C::ALL)
///         .property("lastSeen", T::DateTime, C::ALL)
///         .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
///         .expandable("evidence")
///         .build()
/// });
///
/// assert!(MACHINES.property("lastSeen").unwrap().is_sortable());
/// assert_eq!(MACHINES.max_top(), 10_000);
/// ```
#[derive(Clone)]
pub struct Schema {
    inner: Arc<Inner>,
}

struct Inner {
    properties: Vec<Property>,
    index: HashMap<Box<str>, usize>,
    expandable: Vec<Box<str>>,
    key: Option<Box<str>>,
    max_top: u64,
    max_filter_depth: usize,
    max_filter_length: usize,
}

impl Schema {
    /// Starts a schema with no properties and the default limits.
    pub fn builder() -> SchemaBuilder {
        SchemaBuilder {
            properties: Vec::new(),
            expandable: Vec::new(),
            key: None,
            max_top: DEFAULT_MAX_TOP,
            max_filter_depth: DEFAULT_MAX_FILTER_DEPTH,
            max_filter_length: DEFAULT_MAX_FILTER_LENGTH,
        }
    }

    /// The property with exactly this name.
    pub fn property(&self, name: &str) -> Option<&Property> {
        self.inner
            .index
            .get(name)
            .map(|&i| &self.inner.properties[i])
    }

    /// Every property, in the order they were added.
    pub fn properties(&self) -> &[Property] {
        &self.inner.properties
    }

    /// The relations `$expand` may name.
    pub fn expandable(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.inner.expandable.iter().map(|r| &**r)
    }

    /// Whether `$expand` may name `relation`.
    pub fn is_expandable(&self, relation: &str) -> bool {
        self.inner.expandable.iter().any(|r| &**r == relation)
    }

    /// The key property, if one was declared with [`SchemaBuilder::key`]:
    /// the final sort key that makes every order total and pages stable.
    pub fn key(&self) -> Option<&str> {
        self.inner.key.as_deref()
    }

    /// The largest `$top` accepted.
    pub fn max_top(&self) -> u64 {
        self.inner.max_top
    }

    /// The deepest nesting `$filter` may have.
    pub fn max_filter_depth(&self) -> usize {
        self.inner.max_filter_depth
    }

    /// The longest `$filter` accepted, in characters.
    pub fn max_filter_length(&self) -> usize {
        self.inner.max_filter_length
    }

    /// A property whose name differs from `name` only in letter case.
    pub(crate) fn case_variant(&self, name: &str) -> Option<&Property> {
        self.inner
            .properties
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }

    /// A relation whose name differs from `name` only in letter case.
    pub(crate) fn expandable_case_variant(&self, name: &str) -> Option<&str> {
        self.expandable().find(|r| r.eq_ignore_ascii_case(name))
    }
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("properties", &self.inner.properties)
            .field("expandable", &self.inner.expandable)
            .field("key", &self.inner.key)
            .field("max_top", &self.inner.max_top)
            .field("max_filter_depth", &self.inner.max_filter_depth)
            .field("max_filter_length", &self.inner.max_filter_length)
            .finish()
    }
}

/// Builds a [`Schema`]; see there for an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct SchemaBuilder {
    properties: Vec<Property>,
    expandable: Vec<Box<str>>,
    key: Option<Box<str>>,
    max_top: u64,
    max_filter_depth: usize,
    max_filter_length: usize,
}

impl SchemaBuilder {
    /// Adds a property of type `ty` that the options in `capabilities` may
    /// use.
    pub fn property(
        mut self,
        name: impl Into<String>,
        ty: PropertyType,
        capabilities: Capabilities,
    ) -> Self {
        self.properties.push(Property {
            name: name.into().into_boxed_str(),
            ty,
            capabilities,
        });
        self
    }

    /// Adds a relation that `$expand` may name.
    pub fn expandable(mut self, relation: impl Into<String>) -> Self {
        self.expandable.push(relation.into().into_boxed_str());
        self
    }

    /// Declares `property` the key: unique and never null in the data, as
    /// an `id` is. Every order then ends with it, ascending: after the
    /// `$orderby` keys (unless `$orderby` names it), and alone when there
    /// is no `$orderby`, so items that tie on every `$orderby` key keep the
    /// same relative order on every page and on every backend. Without a
    /// key (the default), items that tie keep their input order and
    /// without `$orderby` nothing is sorted.
    ///
    /// The key need not be sortable through `$orderby`. `build` panics if
    /// it is not a declared property or is a collection.
    pub fn key(mut self, property: impl Into<String>) -> Self {
        self.key = Some(property.into().into_boxed_str());
        self
    }

    /// The largest `$top` accepted (default [`DEFAULT_MAX_TOP`]).
    pub fn max_top(mut self, max: u64) -> Self {
        self.max_top = max;
        self
    }

    /// The deepest nesting of parentheses, `not`, function calls and
    /// lambdas in `$filter` (default [`DEFAULT_MAX_FILTER_DEPTH`], at most
    /// [`MAX_FILTER_DEPTH_CEILING`]; larger values are lowered to it).
    pub fn max_filter_depth(mut self, max: usize) -> Self {
        self.max_filter_depth = max.min(MAX_FILTER_DEPTH_CEILING);
        self
    }

    /// The longest `$filter` accepted, in characters (default
    /// [`DEFAULT_MAX_FILTER_LENGTH`]).
    pub fn max_filter_length(mut self, max: usize) -> Self {
        self.max_filter_length = max;
        self
    }

    /// Finishes the schema.
    ///
    /// # Panics
    ///
    /// On a configuration mistake, which is a bug in the server rather than
    /// in a request: two properties or relations with the same name, a
    /// property name that is not an identifier (letters, digits and `_`, not
    /// starting with a digit), an enumeration without members, a sortable
    /// collection, or a [`key`](Self::key) that is not a declared property
    /// or is a collection.
    pub fn build(self) -> Schema {
        let mut index = HashMap::with_capacity(self.properties.len());
        for (i, property) in self.properties.iter().enumerate() {
            assert!(
                is_identifier(&property.name),
                "OData property name {:?} is not an identifier",
                property.name
            );
            assert!(
                index.insert(property.name.clone(), i).is_none(),
                "OData property {:?} is declared twice",
                property.name
            );
            assert!(
                !matches!(property.ty.members(), Some(members) if members.is_empty()),
                "OData enum property {:?} has no members",
                property.name
            );
            assert!(
                !(property.ty.is_collection() && property.is_sortable()),
                "OData collection property {:?} cannot be sortable",
                property.name
            );
        }
        if let Some(key) = &self.key {
            let property = index.get(key).map(|&i| &self.properties[i]);
            assert!(
                property.is_some(),
                "OData key {key:?} is not a declared property"
            );
            assert!(
                !property.is_some_and(|p| p.ty.is_collection()),
                "OData key {key:?} is a collection"
            );
        }
        for (i, relation) in self.expandable.iter().enumerate() {
            assert!(
                !self.expandable[..i].contains(relation),
                "OData relation {relation:?} is declared twice"
            );
        }
        Schema {
            inner: Arc::new(Inner {
                properties: self.properties,
                index,
                expandable: self.expandable,
                key: self.key,
                max_top: self.max_top,
                max_filter_depth: self.max_filter_depth,
                max_filter_length: self.max_filter_length,
            }),
        }
    }
}

pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
