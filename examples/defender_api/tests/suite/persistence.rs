//! What a restart keeps: an indicator, an import, an isolation and its
//! machine action, on a SQLite file and on PostgreSQL; and the demo tenant
//! of `--demo-machines`, the same for the same count.

use crate::common::{self, encode, indicator, Running};

use defender_api::Config;
use serde_json::{json, Value};

/// A seeded machine that is not isolated.
const MACHINE: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";

fn config(database: String) -> Config {
    Config {
        database,
        ..Config::default()
    }
}

/// A SQLite file in a fresh temporary directory (removed on drop).
struct TempFile {
    dir: std::path::PathBuf,
}

impl TempFile {
    fn new(name: &str) -> TempFile {
        let dir = std::env::temp_dir().join(format!(
            "defender-api-{name}-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempFile { dir }
    }

    fn url(&self) -> String {
        format!("sqlite://{}/tenant.db?mode=rwc", self.dir.display())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Writes through one server, stops it, starts another on the same
/// database and reads everything back.
async fn a_restart_keeps_what_was_acknowledged(database: String) {
    let first = Running::start(config(database.clone())).await;
    let created = first
        .api
        .post(
            "/api/indicators",
            indicator("restart.example", "DomainName", "Kept across a restart"),
        )
        .await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let created = created.json();
    let imported = first
        .api
        .post(
            "/api/indicators/import",
            json!({"Indicators": [
                indicator("198.51.100.7", "IpAddress", "Imported"),
                indicator("not an address", "IpAddress", "Refused"),
            ]}),
        )
        .await;
    assert_eq!(imported.status, 200, "{:?}", imported.body);
    let imported = imported.json()["value"][0].clone();
    assert_eq!(imported["isFailed"], false);
    let isolated = first
        .api
        .post(
            &format!("/api/machines/{MACHINE}/isolate"),
            json!({"Comment": "Kept across a restart"}),
        )
        .await;
    assert_eq!(isolated.status, 201, "{:?}", isolated.body);
    let action = isolated.json();
    first.stop().await;

    let second = Running::start(config(database)).await;
    let listed = second
        .api
        .get(&format!(
            "/api/indicators?$filter={}",
            encode("indicatorValue eq 'restart.example' or indicatorValue eq '198.51.100.7'")
        ))
        .await;
    assert_eq!(listed.status, 200);
    let listed = listed.json()["value"].clone();
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert_eq!(ids, [&created["id"], &imported["id"]], "{listed}");
    assert_eq!(listed[0], created, "the indicator as it was acknowledged");

    let machine = second.api.get(&format!("/api/machines/{MACHINE}")).await;
    assert_eq!(machine.json()["isIsolated"], true);
    let fetched = second
        .api
        .get(&format!(
            "/api/machineactions/{}",
            action["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(fetched.status, 200);
    assert_eq!(fetched.json(), action);

    // The seed is not written again: the second submit of the same
    // indicator updates the row the first one made.
    let again = second
        .api
        .post(
            "/api/indicators",
            indicator("restart.example", "DomainName", "Updated after the restart"),
        )
        .await
        .json();
    assert_eq!(again["id"], created["id"]);
    assert_eq!(
        again["creationTimeDateTimeUtc"],
        created["creationTimeDateTimeUtc"]
    );
    assert_eq!(again["title"], "Updated after the restart");
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_survives_a_restart() {
    let file = TempFile::new("restart");
    a_restart_keeps_what_was_acknowledged(file.url()).await;
    assert!(file.dir.join("tenant.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_survives_a_restart_of_the_server() {
    let Some(pg) = common::postgres().await else {
        return;
    };
    let url = common::blocking({
        let pg = pg.clone();
        move || pg.create_database("restart")
    })
    .await;
    a_restart_keeps_what_was_acknowledged(url).await;
}

/// The first page of each list, by id.
async fn first_pages(api: &common::Api) -> Vec<Value> {
    let mut pages = Vec::new();
    for list in ["machines", "alerts", "indicators"] {
        let reply = api.get(&format!("/api/{list}?$top=50&$count=true")).await;
        assert_eq!(reply.status, 200);
        pages.push(reply.json());
    }
    pages
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_machines_makes_the_same_tenant_for_the_same_count() {
    let demo = |database: String| Config {
        database,
        demo_machines: Some(1000),
        ..Config::default()
    };
    let one = Running::start(demo("sqlite::memory:".to_owned())).await;
    let two = Running::start(demo("sqlite::memory:".to_owned())).await;
    let pages = first_pages(&one.api).await;
    assert_eq!(pages, first_pages(&two.api).await, "deterministic");
    assert_eq!(pages[0]["@odata.count"], 1000);
    let alerts = pages[1]["@odata.count"].as_u64().unwrap();
    let indicators = pages[2]["@odata.count"].as_u64().unwrap();
    assert!((800..=1300).contains(&alerts), "{alerts} alerts");
    assert!((200..=300).contains(&indicators), "{indicators} indicators");
    // Nulls and values that need care in a filter are there.
    for filter in [
        "lastIpAddress eq null",
        "osVersion eq null",
        "machineTags/any(t: t eq 'O''Brien')",
        "machineTags/any(t: contains(t, '%_'))",
    ] {
        let reply = one
            .api
            .get(&format!(
                "/api/machines?$top=0&$count=true&$filter={}",
                encode(filter)
            ))
            .await;
        assert_eq!(reply.status, 200, "{filter}: {:?}", reply.body);
        let count = reply.json()["@odata.count"].as_u64().unwrap();
        assert!(count > 0 && count < 1000, "{filter}: {count}");
    }
    one.stop().await;
    two.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_demo_size_seeds_again_and_reset_drops_what_was_created() {
    let file = TempFile::new("reseed");
    let with = |demo_machines: Option<u64>, reset_database: bool| Config {
        database: file.url(),
        demo_machines,
        reset_database,
        ..Config::default()
    };
    let count = |api: common::Api| async move {
        api.get("/api/machines?$top=0&$count=true").await.json()["@odata.count"].clone()
    };
    let server = Running::start(with(None, false)).await;
    assert_eq!(count(server.api.clone()).await, 9);
    let created = server
        .api
        .post(
            "/api/indicators",
            indicator("reset.example", "DomainName", "Gone after a reset"),
        )
        .await;
    assert_eq!(created.status, 200);
    server.stop().await;

    let server = Running::start(with(Some(50), false)).await;
    assert_eq!(count(server.api.clone()).await, 50);
    server.stop().await;
    // Without --demo-machines the tenant is reused as it is.
    let server = Running::start(with(None, false)).await;
    assert_eq!(count(server.api.clone()).await, 50);
    let created = server
        .api
        .post(
            "/api/indicators",
            indicator("reset.example", "DomainName", "Gone after a reset"),
        )
        .await;
    assert_eq!(created.status, 200);
    server.stop().await;

    let server = Running::start(with(None, true)).await;
    assert_eq!(count(server.api.clone()).await, 9);
    let listed = server
        .api
        .get(&format!(
            "/api/indicators?$filter={}",
            encode("indicatorValue eq 'reset.example'")
        ))
        .await
        .json();
    assert_eq!(listed["value"], json!([]));
    server.stop().await;
}
