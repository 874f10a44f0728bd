//! List endpoints: the OData schema of each entity set, and the response
//! envelope `{"@odata.context": …, "@odata.count": …, "value": […]}`.
//!
//! Handlers take `ODataQuery<Machines>` (or `Alerts`, `Indicators`), which
//! rejects a malformed or disallowed `$filter`, `$top`, `$skip`,
//! `$orderby`, `$select`, `$expand` or `$count` with `ODataError`, and hand
//! their items to [`respond`].

use std::sync::LazyLock;

use axum::Json;
use defender_errors::odata::{
    Capabilities as C, ODataQuery, ODataSchema, PropertyType as T, Schema,
};
use serde_json::{Map, Value};

/// The page of `items` that `query` selects, as Defender sends a list.
pub(crate) fn respond<M>(entity_set: &str, query: &ODataQuery<M>, items: &[Value]) -> Json<Value> {
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
