//! How the properties of a [`Schema`] are stored in SQL: the table, one
//! column (or collection storage) per property, and the key that ends
//! every `ORDER BY`.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use super::{Backend, SelectColumn};
use crate::schema::{PropertyType, Schema};

/// How one property is stored: a column of the entity's table, or for a
/// collection a JSON array column or a child table.
///
/// The SQL type the translation expects follows from the property's
/// [`PropertyType`] and the [`Backend`](super::Backend); see the
/// [module docs](super#storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub(crate) kind: ColumnKind,
    pub(crate) not_null: bool,
    pub(crate) ascii_only: bool,
    pub(crate) enum_as_index: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    /// A column of the entity's table.
    Scalar(String),
    /// A JSON array column (`TEXT` holding JSON on SQLite, `jsonb` on
    /// PostgreSQL).
    JsonArray(String),
    /// A child table `table(parent, value)`, `parent` referring to the
    /// entity's key column.
    ChildTable {
        table: String,
        parent: String,
        value: String,
    },
}

impl Column {
    /// A column of the entity's table called `name`, which may hold `NULL`.
    pub fn new(name: impl Into<String>) -> Self {
        Self::of(ColumnKind::Scalar(name.into()))
    }

    /// A collection stored as a JSON array in the column `name`: `TEXT`
    /// holding JSON on SQLite (read with `json_each`), `jsonb` on
    /// PostgreSQL (read with `jsonb_array_elements`). `NULL` and any value
    /// that is not an array read as an empty collection; members that are
    /// not strings read as `null`, as in memory.
    pub fn json_array(name: impl Into<String>) -> Self {
        Self::of(ColumnKind::JsonArray(name.into()))
    }

    /// A collection stored in a child table: one row per member, `parent`
    /// holding the entity's key column value and `value` the member
    /// (text). `any`/`all` become correlated `EXISTS` subqueries.
    pub fn child_table(
        table: impl Into<String>,
        parent: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self::of(ColumnKind::ChildTable {
            table: table.into(),
            parent: parent.into(),
            value: value.into(),
        })
    }

    fn of(kind: ColumnKind) -> Self {
        Column {
            kind,
            not_null: false,
            ascii_only: false,
            enum_as_index: false,
        }
    }

    /// The column never holds `NULL` (for a child table: the value column),
    /// which lets the translation leave out `IS NULL` tests.
    #[must_use]
    pub fn not_null(mut self) -> Self {
        self.not_null = true;
        self
    }

    /// The column holds only ASCII text, so SQL's `lower()`/`upper()`
    /// change case exactly as Rust does: without this, `tolower` and
    /// `toupper` on the property are refused.
    #[must_use]
    pub fn ascii_only(mut self) -> Self {
        self.ascii_only = true;
        self
    }

    /// An enum property is stored as its member's 0-based index (an
    /// integer) rather than as the member's name (text, the default).
    #[must_use]
    pub fn enum_as_index(mut self) -> Self {
        self.enum_as_index = true;
        self
    }

    /// The column's name (for a child table, its value column).
    pub fn name(&self) -> &str {
        match &self.kind {
            ColumnKind::Scalar(name) | ColumnKind::JsonArray(name) => name,
            ColumnKind::ChildTable { value, .. } => value,
        }
    }
}

/// Where the properties of one [`Schema`] live in SQL: the table, each
/// property's [`Column`], and the key property whose column ends every
/// `ORDER BY` so that pages are stable.
///
/// Built once per endpoint, next to its [`Schema`]:
///
/// ```
/// use defender_odata::{Capabilities as C, PropertyType as T, Schema};
/// use defender_odata::sql::{Column, SqlSchema};
///
/// let schema = Schema::builder()
///     .property("id", T::String, C::ALL)
///     .property("computerDnsName", T::String, C::ALL)
///     .property("machineTags", T::StringCollection, C::FILTER)
///     .build();
/// let storage = SqlSchema::builder(&schema, "machines")
///     .column("id", Column::new("id").not_null())
///     .column("computerDnsName", Column::new("computer_dns_name").ascii_only())
///     .column("machineTags", Column::child_table("machine_tags", "machine_id", "tag"))
///     .key("id")
///     .build();
/// assert_eq!(storage.table(), "machines");
/// assert_eq!(storage.column("computerDnsName").unwrap().name(), "computer_dns_name");
/// ```
#[derive(Clone)]
pub struct SqlSchema {
    pub(crate) schema: Schema,
    pub(crate) table: String,
    pub(crate) columns: HashMap<String, Column>,
    pub(crate) key: String,
    /// The select list without `$select` (every property, in the schema's
    /// order) for each backend, built once: a query without `$select`
    /// shares it.
    pub(crate) every: [Arc<[SelectColumn]>; 2],
}

impl SqlSchema {
    /// Starts the storage description of `schema`'s entities in `table`.
    /// A property not given a [`Column`] is stored in a nullable column of
    /// its own name.
    pub fn builder(schema: &Schema, table: impl Into<String>) -> SqlSchemaBuilder {
        SqlSchemaBuilder {
            schema: schema.clone(),
            table: table.into(),
            columns: HashMap::new(),
            key: None,
        }
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// How `property` is stored.
    pub fn column(&self, property: &str) -> Option<&Column> {
        self.columns.get(property)
    }

    /// The key property (its column is the last `ORDER BY` key).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The schema it describes.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }
}

impl fmt::Debug for SqlSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlSchema")
            .field("table", &self.table)
            .field("columns", &self.columns)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Builds a [`SqlSchema`]; see there for an example.
#[derive(Debug, Clone)]
#[must_use]
pub struct SqlSchemaBuilder {
    schema: Schema,
    table: String,
    columns: HashMap<String, Column>,
    key: Option<String>,
}

impl SqlSchemaBuilder {
    /// How `property` is stored.
    pub fn column(mut self, property: impl Into<String>, column: Column) -> Self {
        self.columns.insert(property.into(), column);
        self
    }

    /// The key property: unique and never null; its column is the last
    /// `ORDER BY` key and the column child tables refer to. Defaults to
    /// the schema's [`key`](crate::SchemaBuilder::key), which should be the
    /// same property so that memory and SQL sort ties alike.
    pub fn key(mut self, property: impl Into<String>) -> Self {
        self.key = Some(property.into());
        self
    }

    /// Finishes the description.
    ///
    /// # Panics
    ///
    /// On a configuration mistake, a bug in the server rather than in a
    /// request: a column for a property the schema lacks, a collection
    /// property without collection storage (or a scalar with it), an
    /// empty identifier, or no key (neither here nor in the schema) or a
    /// key that is not a scalar property.
    pub fn build(self) -> SqlSchema {
        let SqlSchemaBuilder {
            schema,
            table,
            mut columns,
            key,
        } = self;
        assert!(!table.is_empty(), "SQL table name is empty");
        for name in columns.keys() {
            assert!(
                schema.property(name).is_some(),
                "SQL column given for {name:?}, which the OData schema lacks"
            );
        }
        for property in schema.properties() {
            let column = columns
                .entry(property.name().to_owned())
                .or_insert_with(|| Column::new(property.name()));
            let is_collection = !matches!(column.kind, ColumnKind::Scalar(_));
            assert!(
                is_collection == property.ty().is_collection(),
                "OData property {:?} is {} but its SQL storage is {}",
                property.name(),
                if property.ty().is_collection() {
                    "a collection"
                } else {
                    "not a collection"
                },
                if is_collection {
                    "a collection's"
                } else {
                    "a plain column"
                },
            );
            let names: Vec<&str> = match &column.kind {
                ColumnKind::Scalar(n) | ColumnKind::JsonArray(n) => vec![n],
                ColumnKind::ChildTable {
                    table,
                    parent,
                    value,
                } => vec![table, parent, value],
            };
            assert!(
                names.iter().all(|n| !n.is_empty()),
                "SQL storage of {:?} has an empty identifier",
                property.name()
            );
            assert!(
                !column.enum_as_index || matches!(property.ty(), PropertyType::Enum(_)),
                "OData property {:?} is stored as an enum index but is not an enum",
                property.name()
            );
        }
        let key = key
            .or_else(|| schema.key().map(str::to_owned))
            .expect("SQL storage needs a key property: Schema's key or SqlSchemaBuilder::key");
        assert!(
            matches!(
                columns.get(&key).map(|c| &c.kind),
                Some(ColumnKind::Scalar(_))
            ),
            "SQL key {key:?} is not a scalar property of the OData schema"
        );
        if let Some(c) = columns.get_mut(&key) {
            c.not_null = true;
        }
        let mut storage = SqlSchema {
            schema,
            table,
            columns,
            key,
            every: [Arc::from([]), Arc::from([])],
        };
        storage.every = [Backend::Sqlite, Backend::Postgres].map(|backend| {
            let every: Vec<SelectColumn> = storage
                .schema
                .properties()
                .iter()
                .map(|p| super::select_column(&storage, backend, p.name()))
                .collect();
            Arc::from(every)
        });
        storage
    }
}
