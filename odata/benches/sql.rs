//! What translating a checked query to SQL costs, against parsing and
//! checking it alone, in the same run: per filter, `ODataQuery::parse`
//! alone, then parse + `to_sql` + the page statement's text and values
//! (`SqlQuery::build`), for SQLite and PostgreSQL.
//!
//! Run with `cargo bench -p defender-odata --features sql --bench sql`.

use std::hint::black_box;

use criterion::{criterion_group, Criterion};
use defender_odata::sql::{Backend, Column, SqlSchema};
use defender_odata::{Capabilities as C, ODataQuery, PropertyType as T, Schema};

fn schema() -> Schema {
    Schema::builder()
        .property("id", T::String, C::ALL)
        .property("computerDnsName", T::String, C::ALL)
        .property(
            "healthStatus",
            T::enumeration([
                "Active",
                "Inactive",
                "ImpairedCommunication",
                "NoSensorData",
            ]),
            C::ALL,
        )
        .property(
            "riskScore",
            T::enumeration(["None", "Low", "Medium", "High"]),
            C::ALL,
        )
        .property("lastSeen", T::DateTime, C::ALL)
        .property("rbacGroupId", T::Integer, C::ALL)
        .property("exposureScore", T::Double, C::ALL)
        .property("isAadJoined", T::Boolean, C::ALL)
        .property("aadDeviceId", T::Guid, C::ALL)
        .property("osPlatform", T::String, C::ALL)
        .property("machineTags", T::StringCollection, C::FILTER | C::SELECT)
        .key("id")
        .build()
}

fn storage(schema: &Schema) -> SqlSchema {
    SqlSchema::builder(schema, "machines")
        .column("id", Column::new("id").not_null())
        .column(
            "computerDnsName",
            Column::new("computer_dns_name").ascii_only(),
        )
        .column("healthStatus", Column::new("health_status"))
        .column("riskScore", Column::new("risk_score").enum_as_index())
        .column("lastSeen", Column::new("last_seen"))
        .column("rbacGroupId", Column::new("rbac_group_id"))
        .column("exposureScore", Column::new("exposure_score"))
        .column("isAadJoined", Column::new("is_aad_joined"))
        .column("aadDeviceId", Column::new("aad_device_id"))
        .column("osPlatform", Column::new("os_platform"))
        .column(
            "machineTags",
            Column::child_table("machine_tags", "machine_id", "tag"),
        )
        .build()
}

/// The filters measured: a key lookup, a typical page, and the 10-clause
/// filter of `benches/odata.rs`.
const QUERIES: &[(&str, &str)] = &[
    ("lookup", "$filter=id eq 'a1b2c3'&$top=1"),
    (
        "page",
        "$filter=healthStatus eq 'Active' and lastSeen gt 2024-01-01T00:00:00Z\
         &$orderby=lastSeen desc&$top=50",
    ),
    (
        "ten-clauses",
        "$filter=healthStatus eq 'Active' and lastSeen gt 2024-01-01T00:00:00Z \
         and riskScore in ('Medium', 'High') and startswith(tolower(computerDnsName), 'web') \
         and machineTags/any(tag: tag eq 'Prod') and not (osPlatform eq 'Linux') \
         and rbacGroupId ge 3 and exposureScore lt 7.5 and isAadJoined eq true \
         and aadDeviceId ne 8b8e7e1a-43a4-4a4a-9d5b-1a2b3c4d5e6f&$orderby=riskScore desc&$top=50",
    ),
];

fn bench(c: &mut Criterion) {
    let schema = schema();
    let storage = storage(&schema);
    let mut group = c.benchmark_group("sql");
    for (name, raw) in QUERIES {
        group.bench_function(format!("{name}/parse-check"), |b| {
            b.iter(|| ODataQuery::parse(black_box(&schema), Some(black_box(raw))).unwrap())
        });
        group.bench_function(format!("{name}/parse-check-sqlite"), |b| {
            b.iter(|| {
                let query = ODataQuery::parse(black_box(&schema), Some(black_box(raw))).unwrap();
                let sql = query.to_sql(&storage, Backend::Sqlite).unwrap();
                sql.build(sql.select_statement())
            })
        });
        let query = ODataQuery::parse(&schema, Some(raw)).unwrap();
        group.bench_function(format!("{name}/to-sql-sqlite"), |b| {
            b.iter(|| black_box(&query).to_sql(&storage, Backend::Sqlite).unwrap())
        });
        let sql = query.to_sql(&storage, Backend::Sqlite).unwrap();
        group.bench_function(format!("{name}/build-sqlite"), |b| {
            b.iter(|| {
                let sql = black_box(&sql);
                sql.build(sql.select_statement())
            })
        });
        group.bench_function(format!("{name}/parse-check-postgres"), |b| {
            b.iter(|| {
                let query = ODataQuery::parse(black_box(&schema), Some(black_box(raw))).unwrap();
                let sql = query.to_sql(&storage, Backend::Postgres).unwrap();
                sql.build(sql.select_statement())
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
