//! List endpoints: the OData schema of each entity set, and the response
//! envelope `{"@odata.context": …, "@odata.count": …, "value": […]}`.
//!
//! Handlers take `ODataQuery<Machines>` (or `Alerts`, `Indicators`), which
//! rejects a malformed or disallowed `$filter`, `$top`, `$skip`,
//! `$orderby`, `$select`, `$expand` or `$count` with `ODataError`, and hand
//! their items to [`respond`].

use std::sync::LazyLock;

use axum::Json;
use defender_odata::{Capabilities as C, ODataQuery, ODataSchema, PropertyType as T, Schema};
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema as OaSchema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::db::Database;
use super::store::{Alert, Indicator, Machine};
use defender_errors::ApiError;

/// `GET /api/machines`: the page `query` selects.
pub(crate) async fn machines(
    db: &Database,
    query: &ODataQuery<Machines>,
) -> Result<Json<Value>, ApiError> {
    let items = to_values(&db.all_machines().await?);
    Ok(respond("Machines", query, &items))
}

/// `GET /api/alerts`: the page `query` selects.
pub(crate) async fn alerts(
    db: &Database,
    query: &ODataQuery<Alerts>,
) -> Result<Json<Value>, ApiError> {
    let items = to_values(&db.all_alerts().await?);
    Ok(respond("Alerts", query, &items))
}

/// `GET /api/indicators`: the page `query` selects.
pub(crate) async fn indicators(
    db: &Database,
    query: &ODataQuery<Indicators>,
) -> Result<Json<Value>, ApiError> {
    let items = to_values(&db.all_indicators().await?);
    Ok(respond("Indicators", query, &items))
}

fn to_values<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .map(|item| serde_json::to_value(item).expect("entities always serialize"))
        .collect()
}

/// The page of `items` that `query` selects, as Defender sends a list.
fn respond<M>(entity_set: &str, query: &ODataQuery<M>, items: &[Value]) -> Json<Value> {
    let page = query.page(items);
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::from(format!("/api/$metadata#{entity_set}")),
    );
    if let Some(count) = page.count {
        body.insert("@odata.count".to_owned(), Value::from(count));
    }
    body.insert("value".to_owned(), Value::Array(page.value));
    Json(Value::Object(body))
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
                    T::enumeration([
                        "Windows10",
                        "Windows11",
                        "WindowsServer2019",
                        "Linux",
                        "macOS",
                    ]),
                    C::ALL,
                )
                .property("osVersion", T::String, C::ALL)
                .property("agentVersion", T::String, C::ALL)
                .property("lastIpAddress", T::String, C::ALL)
                .property(
                    "healthStatus",
                    T::enumeration([
                        "Active",
                        "Inactive",
                        "ImpairedCommunication",
                        "NoSensorData",
                        "NoSensorDataImpairedCommunication",
                        "Unknown",
                    ]),
                    C::ALL,
                )
                .property(
                    "riskScore",
                    T::enumeration(["None", "Informational", "Low", "Medium", "High"]),
                    C::ALL,
                )
                .property(
                    "exposureLevel",
                    T::enumeration(["None", "Low", "Medium", "High"]),
                    C::ALL,
                )
                .property("onboardingStatus", T::String, C::ALL)
                .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
                .property("isIsolated", T::Boolean, C::ALL)
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
                .property(
                    "severity",
                    T::enumeration(["UnSpecified", "Informational", "Low", "Medium", "High"]),
                    C::ALL,
                )
                .property(
                    "status",
                    T::enumeration(["Unknown", "New", "InProgress", "Resolved"]),
                    C::ALL,
                )
                .property("detectionSource", T::String, C::ALL)
                .property("alertCreationTime", T::DateTime, C::ALL)
                .property("machineId", T::String, C::ALL)
                .property("computerDnsName", T::String, C::ALL)
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
                    T::enumeration([
                        "FileSha1",
                        "FileSha256",
                        "FileMd5",
                        "IpAddress",
                        "DomainName",
                        "Url",
                    ]),
                    C::ALL,
                )
                .property(
                    "action",
                    T::enumeration(["Alert", "Block", "Allowed"]),
                    C::ALL,
                )
                .property("title", T::String, C::ALL)
                .property("description", T::String, C::SELECT)
                .property(
                    "severity",
                    T::enumeration(["Informational", "Low", "Medium", "High"]),
                    C::ALL,
                )
                .property("createdBy", T::String, C::ALL)
                .property("creationTimeDateTimeUtc", T::DateTime, C::ALL)
                .property("lastUpdateTime", T::DateTime, C::ALL)
                .property("sourceType", T::String, C::ALL)
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
