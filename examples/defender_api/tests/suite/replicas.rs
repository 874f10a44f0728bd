//! Two servers on one PostgreSQL database behave as one: they start
//! together (one seed), see each other's writes at once, refuse the second
//! isolation of a machine whichever server gets it, and concurrent imports
//! of one indicator through both make one row.

use crate::common::{self, encode, indicator, Running};

use defender_api::{Config, RateLimits};
use serde_json::{json, Value};

const MACHINE: &str = "7292b3b0f1cbd1f8c5d5e6b3c9e0a6d1e2f3a4b5";

/// Two servers started at once on a fresh database of a fresh PostgreSQL.
async fn two_replicas(
    name: &'static str,
) -> Option<(
    std::sync::Arc<temp_postgres::TempPostgres>,
    Running,
    Running,
)> {
    let pg = common::postgres().await?;
    let url = common::blocking({
        let pg = pg.clone();
        move || pg.create_database(name)
    })
    .await;
    let config = Config {
        database: url,
        rate_limits: RateLimits::DEFENDER.scaled(1000),
        ..Config::default()
    };
    let (a, b) = tokio::join!(Running::start(config.clone()), Running::start(config));
    Some((pg, a, b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_tenant() {
    let Some((_pg, a, b)) = two_replicas("shared").await else {
        return;
    };
    // Started together, seeded once.
    for server in [&a, &b] {
        let count = server
            .api
            .get("/api/machines?$top=0&$count=true")
            .await
            .json();
        assert_eq!(count["@odata.count"], 9);
    }
    let created = a
        .api
        .post(
            "/api/indicators",
            indicator("shared.example", "DomainName", "Written on A"),
        )
        .await;
    assert_eq!(created.status, 200);
    let created = created.json();
    let seen = b
        .api
        .get(&format!(
            "/api/indicators?$filter={}",
            encode("indicatorValue eq 'shared.example'")
        ))
        .await
        .json();
    assert_eq!(seen["value"], json!([created]));

    let isolated = b
        .api
        .post(
            &format!("/api/machines/{MACHINE}/isolate"),
            json!({"Comment": "On B"}),
        )
        .await;
    assert_eq!(isolated.status, 201);
    let machine = a.api.get(&format!("/api/machines/{MACHINE}")).await.json();
    assert_eq!(machine["isIsolated"], true);
    let again = a
        .api
        .post(
            &format!("/api/machines/{MACHINE}/isolate"),
            json!({"Comment": "On A"}),
        )
        .await;
    again.assert_envelope(
        403,
        "DisallowedOperation",
        &format!("Cannot isolate machine {MACHINE}: it is already isolated."),
    );
    let action = a
        .api
        .get(&format!(
            "/api/machineactions/{}",
            isolated.json()["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(action.json(), isolated.json());
    a.stop().await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_upserts_through_two_servers_make_one_row() {
    let Some((_pg, a, b)) = two_replicas("upserts").await else {
        return;
    };
    let body = json!({"Indicators": [
        indicator("203.0.113.99", "IpAddress", "Imported at once"),
        indicator("race.example", "DomainName", "Imported at once"),
    ]});
    let mut tasks = Vec::new();
    for n in 0..16 {
        let api = if n % 2 == 0 {
            a.api.clone()
        } else {
            b.api.clone()
        };
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            api.post("/api/indicators/import", body).await
        }));
        let api = if n % 2 == 0 {
            b.api.clone()
        } else {
            a.api.clone()
        };
        tasks.push(tokio::spawn(async move {
            api.post(
                "/api/indicators",
                indicator("race.example", "DomainName", "Submitted at once"),
            )
            .await
        }));
    }
    let mut ids = std::collections::BTreeSet::new();
    for task in tasks {
        let reply = common::within("an upsert", task).await.unwrap();
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let json = reply.json();
        match json["value"].as_array() {
            Some(results) => {
                for result in results {
                    assert_eq!(result["isFailed"], false);
                    ids.insert(result["id"].as_str().unwrap().to_owned());
                }
            }
            None => {
                ids.insert(json["id"].as_str().unwrap().to_owned());
            }
        }
    }
    // One id per (value, type), whichever server and call made it.
    assert_eq!(ids.len(), 2, "{ids:?}");
    for server in [&a, &b] {
        let listed = server
            .api
            .get(&format!(
                "/api/indicators?$count=true&$filter={}",
                encode("indicatorValue in ('203.0.113.99', 'race.example')")
            ))
            .await
            .json();
        assert_eq!(listed["@odata.count"], 2, "{listed}");
        let listed_ids: std::collections::BTreeSet<String> = listed["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i: &Value| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(listed_ids, ids);
    }
    a.stop().await;
    b.stop().await;
}
