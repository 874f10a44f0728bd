//! Not part of the crate's API: what `benches/sql.rs` measures. The OData
//! path of `GET /api/machines` (parse, check, translate, run, build the
//! JSON page) next to the same rows fetched with SQL written by hand, so
//! the translation's cost can be told apart from the database's.

use defender_odata::{ODataQuery, ODataSchema};
use serde_json::{json, Value};
use sqlx::AssertSqlSafe;

use crate::db::Database;
use crate::listing::{self, Machines};
use crate::store::Machine;

/// `GET /api/machines?{raw_query}` as the handler answers it, without HTTP.
///
/// # Panics
///
/// When the query is refused or the database fails.
pub async fn machines_odata(db: &Database, raw_query: &str) -> Value {
    let query = ODataQuery::parse(<Machines as ODataSchema>::schema(), Some(raw_query))
        .expect("a valid query");
    listing::machines(db, &query).await.expect("a page").0
}

/// The page of machines whose `id` is `id`, with SQL written by hand.
///
/// # Panics
///
/// When the database fails.
pub async fn machine_by_id_by_hand(db: &Database, id: &str) -> Value {
    page_by_hand(db, "WHERE m.id = $1 ORDER BY m.id LIMIT 1", id, None).await
}

/// The 50 machines with `riskScore` `risk` seen last, newest first (ties
/// by id), with SQL written by hand. `last_seen` is `NOT NULL`, so the
/// order needs no `NULLS` clause, and an index on `(last_seen DESC, id)`
/// serves it on both engines.
///
/// # Panics
///
/// When the database fails.
pub async fn machines_by_risk_by_hand(db: &Database, risk: &str) -> Value {
    page_by_hand(
        db,
        "WHERE m.risk_score = $1 ORDER BY m.last_seen DESC, m.id LIMIT 50",
        risk,
        None,
    )
    .await
}

/// As [`machines_by_risk_by_hand`], with the page size bound as a
/// parameter (`LIMIT $2`) rather than written in the text, as the OData
/// path must.
///
/// # Panics
///
/// When the database fails.
pub async fn machines_by_risk_by_hand_bound(db: &Database, risk: &str, limit: i64) -> Value {
    page_by_hand(
        db,
        "WHERE m.risk_score = $1 ORDER BY m.last_seen DESC, m.id LIMIT $2",
        risk,
        Some(limit),
    )
    .await
}

/// As [`machine_by_id_by_hand`], with `LIMIT $2` bound.
///
/// # Panics
///
/// When the database fails.
pub async fn machine_by_id_by_hand_bound(db: &Database, id: &str) -> Value {
    page_by_hand(db, "WHERE m.id = $1 ORDER BY m.id LIMIT $2", id, Some(1)).await
}

/// The machines `sql` selects on `pool`, `value` bound as its first
/// parameter and `limit`, when given, as its second: the same for both
/// engines, whose pools and rows are different types.
macro_rules! hand_machines {
    ($pool:expr, $sql:expr, $value:expr, $limit:expr) => {{
        let query = sqlx::query_as(AssertSqlSafe($sql)).bind($value);
        let query = match $limit {
            Some(limit) => query.bind(limit),
            None => query,
        };
        let rows: Vec<HandRow> = query.fetch_all($pool).await.expect("rows");
        rows.into_iter().map(HandRow::into_machine).collect()
    }};
}

async fn page_by_hand(db: &Database, tail: &str, value: &str, limit: Option<i64>) -> Value {
    let machines: Vec<Machine> = if let Some(pool) = db.sqlite() {
        let sql = format!(
            "SELECT m.id, m.computer_dns_name, m.first_seen, m.last_seen, m.os_platform, \
             m.os_version, m.agent_version, m.last_ip_address, m.health_status, m.risk_score, \
             m.exposure_level, m.onboarding_status, m.is_isolated, \
             (SELECT json_group_array(tag) FROM (SELECT t.tag FROM machine_tags t \
             WHERE t.machine_id = m.id ORDER BY t.position)) AS machine_tags \
             FROM machines m {}",
            tail.replace("$1", "?").replace("$2", "?")
        );
        hand_machines!(pool, sql, value, limit)
    } else {
        let pool = db.postgres().expect("one engine or the other");
        let time = |c: &str| {
            format!(r#"to_char(m.{c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS {c}"#)
        };
        let sql = format!(
            "SELECT m.id, m.computer_dns_name, {}, {}, m.os_platform, \
             m.os_version, m.agent_version, m.last_ip_address, m.health_status, m.risk_score, \
             m.exposure_level, m.onboarding_status, m.is_isolated, \
             (SELECT COALESCE(json_agg(t.tag ORDER BY t.position), '[]'::json)::text \
             FROM machine_tags t WHERE t.machine_id = m.id) AS machine_tags \
             FROM machines m {tail}",
            time("first_seen"),
            time("last_seen"),
        );
        hand_machines!(pool, sql, value, limit)
    };
    json!({
        "@odata.context": "/api/$metadata#Machines",
        "value": machines,
    })
}

#[derive(sqlx::FromRow)]
struct HandRow {
    #[sqlx(flatten)]
    machine: Machine,
    machine_tags: String,
}

impl HandRow {
    fn into_machine(self) -> Machine {
        let mut machine = self.machine;
        machine.first_seen = crate::db::defender_time(&machine.first_seen);
        machine.last_seen = crate::db::defender_time(&machine.last_seen);
        machine.machine_tags = serde_json::from_str(&self.machine_tags).expect("a JSON array");
        machine
    }
}
