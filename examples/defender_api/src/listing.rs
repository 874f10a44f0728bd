//! List endpoints: the OData schema of each entity set, and the response
//! envelope `{"@odata.context": …, "@odata.count": …, "value": […]}`.
//!
//! Handlers take `ODataQuery<Machines>` (or `Alerts`, `Indicators`), which
//! rejects a malformed or disallowed `$filter`, `$top`, `$skip`,
//! `$orderby`, `$select`, `$expand` or `$count` with `ODataError`. The
//! query is translated to SQL (defender-odata's `sql` feature) for the
//! table's storage described here, and run as one statement, plus a count
//! with `$count=true`: no list reads a whole table. The translation
//! refuses, with a 400 `ODataError`, what SQL cannot answer as the
//! in-memory evaluator would (for example `tolower` on a property that may
//! hold non-ASCII text).

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::Json;
use defender_odata::{Capabilities as C, ODataQuery, ODataSchema, PropertyType as T, Schema};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema as OaSchema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::db::{self, Database, Read, ReadValue, Stored};
use super::store::{self, Alert, Indicator, Machine};
use defender_errors::ApiError;
use defender_odata::sql::{Column, SqlSchema};

/// `GET /api/machines`: the page `query` selects.
pub(crate) async fn machines<M>(
    db: &Database,
    query: &ODataQuery<M>,
) -> Result<Json<Value>, ApiError> {
    static SET: LazyLock<EntitySet> = LazyLock::new(|| {
        // Every text of a machine is ASCII (the seed writes them), so
        // tolower/toupper translate exactly.
        let text = |name: &str| Column::new(name).not_null().ascii_only();
        let storage = SqlSchema::builder(<Machines as ODataSchema>::schema(), "machines")
            .column("id", text("id"))
            .column("computerDnsName", text("computer_dns_name"))
            .column("firstSeen", Column::new("first_seen").not_null())
            .column("lastSeen", Column::new("last_seen").not_null())
            .column("osPlatform", text("os_platform"))
            .column("osVersion", Column::new("os_version").ascii_only())
            .column("agentVersion", Column::new("agent_version").ascii_only())
            .column("lastIpAddress", Column::new("last_ip_address").ascii_only())
            .column("healthStatus", text("health_status"))
            .column("riskScore", text("risk_score"))
            .column("exposureLevel", text("exposure_level"))
            .column("onboardingStatus", text("onboarding_status"))
            .column(
                "machineTags",
                Column::child_table("machine_tags", "machine_id", "tag")
                    .not_null()
                    .ascii_only(),
            )
            .column("isIsolated", Column::new("is_isolated").not_null())
            .key("id")
            .build();
        EntitySet::new("Machines", storage)
    });
    list(&SET, db, query).await
}

/// `GET /api/alerts`: the page `query` selects.
pub(crate) async fn alerts(
    db: &Database,
    query: &ODataQuery<Alerts>,
) -> Result<Json<Value>, ApiError> {
    static SET: LazyLock<EntitySet> = LazyLock::new(|| {
        let text = |name: &str| Column::new(name).not_null().ascii_only();
        let storage = SqlSchema::builder(<Alerts as ODataSchema>::schema(), "alerts")
            .column("id", text("id"))
            .column("incidentId", Column::new("incident_id").not_null())
            .column("title", text("title"))
            .column("category", Column::new("category").ascii_only())
            .column("severity", text("severity"))
            .column("status", text("status"))
            .column("detectionSource", text("detection_source"))
            .column(
                "alertCreationTime",
                Column::new("alert_creation_time").not_null(),
            )
            .column("machineId", text("machine_id"))
            .column("computerDnsName", text("computer_dns_name"))
            .key("id")
            .build();
        EntitySet::new("Alerts", storage)
    });
    list(&SET, db, query).await
}

/// `GET /api/indicators`: the page `query` selects.
pub(crate) async fn indicators(
    db: &Database,
    query: &ODataQuery<Indicators>,
) -> Result<Json<Value>, ApiError> {
    static SET: LazyLock<EntitySet> = LazyLock::new(|| {
        // Titles, descriptions and creators come from requests: any text,
        // so tolower/toupper on them are refused rather than folded
        // differently than in memory.
        let text = |name: &str| Column::new(name).not_null();
        let storage = SqlSchema::builder(<Indicators as ODataSchema>::schema(), "indicators")
            .column("id", text("id").ascii_only())
            .column("indicatorValue", text("indicator_value"))
            .column("indicatorType", text("indicator_type").ascii_only())
            .column("action", text("action").ascii_only())
            .column("title", text("title"))
            .column("description", text("description"))
            .column("severity", text("severity").ascii_only())
            .column("createdBy", text("created_by"))
            .column(
                "creationTimeDateTimeUtc",
                Column::new("creation_time_date_time_utc").not_null(),
            )
            .column("lastUpdateTime", Column::new("last_update_time").not_null())
            .column("sourceType", text("source_type").ascii_only())
            .key("id")
            .build();
        EntitySet::new("Indicators", storage)
    });
    list(&SET, db, query).await
}

/// An entity set as its lists read it: the storage, and what a page
/// without `$select` reads, built once.
struct EntitySet {
    /// The name in `@odata.context`.
    name: &'static str,
    storage: SqlSchema,
    /// Every property, in the schema's order.
    every: Vec<Read>,
    /// The select list of `every` on SQLite and on PostgreSQL, as SQL.
    select_every: [String; 2],
}

impl EntitySet {
    fn new(name: &'static str, storage: SqlSchema) -> Self {
        let every = reads(
            &storage,
            storage.schema().properties().iter().map(|p| p.name()),
        );
        let select_every =
            [false, true].map(|postgres| db::select_list(storage.table(), &every, postgres));
        EntitySet {
            name,
            storage,
            every,
            select_every,
        }
    }
}

/// How each of `properties` is read.
fn reads<'a>(storage: &SqlSchema, properties: impl Iterator<Item = &'a str>) -> Vec<Read> {
    properties
        .map(|property| {
            let ty = storage
                .schema()
                .property(property)
                .map(|p| p.ty().clone())
                .unwrap_or(T::String);
            let column = storage
                .column(property)
                .map_or_else(|| property.to_owned(), |c| c.name().to_owned());
            let (stored, value) = match ty {
                T::DateTime => (Stored::Time, ReadValue::Text),
                T::StringCollection => (Stored::Tags, ReadValue::Text),
                T::Integer => (Stored::Plain, ReadValue::Integer),
                T::Boolean => (Stored::Plain, ReadValue::Boolean),
                _ => (Stored::Plain, ReadValue::Text),
            };
            Read {
                property: property.to_owned(),
                column,
                stored,
                value,
            }
        })
        .collect()
}

/// The page of `set` that `query` selects, as Defender sends a list: one
/// `SELECT` (and one `COUNT(*)` with `$count=true`) built by the OData
/// translation, every value of the request bound.
async fn list<M>(
    set: &'static EntitySet,
    db: &Database,
    query: &ODataQuery<M>,
) -> Result<Json<Value>, ApiError> {
    let sql = query.to_sql(&set.storage, db.backend())?;
    let postgres = db.is_postgres();
    let table = set.storage.table();
    let (items, count) = if query.select().is_empty() {
        let columns = Cow::Borrowed(set.select_every[usize::from(postgres)].as_str());
        db.page(&sql, table, columns, &set.every, query.count())
            .await?
    } else {
        let read = reads(&set.storage, query.select().iter().map(String::as_str));
        let columns = Cow::Owned(db::select_list(table, &read, postgres));
        db.page(&sql, table, columns, &read, query.count()).await?
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::from(format!("/api/$metadata#{}", set.name)),
    );
    if let Some(count) = count {
        body.insert("@odata.count".to_owned(), Value::from(count));
    }
    body.insert("value".to_owned(), Value::Array(items));
    Ok(Json(Value::Object(body)))
}

/// `GET /api/machines`
pub(crate) struct Machines;

impl ODataSchema for Machines {
    fn schema() -> &'static Schema {
        static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
            Schema::builder()
                .property("id", T::String, C::ALL)
                .property("computerDnsName", T::String, C::ALL)
                .property("firstSeen", T::DateTime, C::ALL)
                .property("lastSeen", T::DateTime, C::ALL)
                .property(
                    "osPlatform",
                    T::enumeration(store::PLATFORMS.map(|(name, _, _)| name)),
                    C::ALL,
                )
                .property("osVersion", T::String, C::ALL)
                .property("agentVersion", T::String, C::ALL)
                .property("lastIpAddress", T::String, C::ALL)
                .property("healthStatus", T::enumeration(store::HEALTH), C::ALL)
                .property("riskScore", T::enumeration(store::RISK), C::ALL)
                .property("exposureLevel", T::enumeration(store::EXPOSURE), C::ALL)
                .property("onboardingStatus", T::String, C::ALL)
                .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
                .property("isIsolated", T::Boolean, C::ALL)
                .key("id")
                .build()
        });
        &SCHEMA
    }
}

/// `GET /api/alerts`
pub(crate) struct Alerts;

impl ODataSchema for Alerts {
    fn schema() -> &'static Schema {
        static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
            Schema::builder()
                .property("id", T::String, C::ALL)
                .property("incidentId", T::Integer, C::ALL)
                .property("title", T::String, C::ALL)
                .property("category", T::String, C::ALL)
                .property("severity", T::enumeration(store::SEVERITIES), C::ALL)
                .property("status", T::enumeration(store::STATUSES), C::ALL)
                .property("detectionSource", T::String, C::ALL)
                .property("alertCreationTime", T::DateTime, C::ALL)
                .property("machineId", T::String, C::ALL)
                .property("computerDnsName", T::String, C::ALL)
                .key("id")
                .build()
        });
        &SCHEMA
    }
}

/// `GET /api/indicators`
pub(crate) struct Indicators;

impl ODataSchema for Indicators {
    fn schema() -> &'static Schema {
        static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
            Schema::builder()
                .property("id", T::String, C::ALL)
                .property("indicatorValue", T::String, C::ALL)
                .property(
                    "indicatorType",
                    T::enumeration(store::INDICATOR_TYPES),
                    C::ALL,
                )
                .property("action", T::enumeration(store::ACTIONS), C::ALL)
                .property("title", T::String, C::ALL)
                .property("description", T::String, C::SELECT)
                .property(
                    "severity",
                    T::enumeration(store::INDICATOR_SEVERITIES),
                    C::ALL,
                )
                .property("createdBy", T::String, C::ALL)
                .property("creationTimeDateTimeUtc", T::DateTime, C::ALL)
                .property("lastUpdateTime", T::DateTime, C::ALL)
                .property("sourceType", T::String, C::ALL)
                .key("id")
                .build()
        });
        &SCHEMA
    }
}

/// The schema of a page of `T`, as [`respond`] writes it. `$select` keeps
/// only the chosen members of each item, so an item's members are all
/// optional here.
fn page_schema<T: ToSchema>() -> RefOr<OaSchema> {
    let item = match T::schema() {
        RefOr::T(OaSchema::Object(mut object)) => {
            object.required.clear();
            RefOr::T(OaSchema::Object(object))
        }
        other => other,
    };
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "@odata.context",
            ObjectBuilder::new().schema_type(Type::String),
        )
        .required("@odata.context")
        .property(
            "@odata.count",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .description(Some("The number of matching items, with `$count=true`.")),
        )
        .property("value", ArrayBuilder::new().items(item))
        .required("value")
        .into()
}

macro_rules! pages {
    ($($marker:ty => $item:ty, $name:literal;)*) => {$(
        impl PartialSchema for $marker {
            fn schema() -> RefOr<OaSchema> {
                page_schema::<$item>()
            }
        }

        impl ToSchema for $marker {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }
        }
    )*};
}

pages! {
    Machines => Machine, "MachinePage";
    Alerts => Alert, "AlertPage";
    Indicators => Indicator, "IndicatorPage";
}
