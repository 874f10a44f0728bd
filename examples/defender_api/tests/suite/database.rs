//! The database's failures as envelopes: PostgreSQL stopped under load
//! (503 with `Retry-After` within the time limit, `/healthz` 503, then
//! recovery without a restart and nothing acknowledged lost), a statement
//! held past the handler time limit (504, nothing applied), SQLite busy
//! (503), and `/healthz` without a token.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{self, encode, indicator, Api, Reply, Running};

use defender_api::{Config, RateLimits};
use serde_json::json;
use tokio::sync::mpsc;

const MACHINE: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";
const UNAVAILABLE: &str = "The service is temporarily unavailable. Retry after 2 seconds.";

fn config(database: String) -> Config {
    Config {
        database,
        handler_timeout: Duration::from_secs(2),
        rate_limits: RateLimits::DEFENDER.scaled(1000),
        ..Config::default()
    }
}

/// A 503 for the database: the exact envelope, and `Retry-After`.
fn assert_unavailable(reply: &Reply) {
    reply.assert_envelope(503, "ServiceUnavailable", UNAVAILABLE);
    assert_eq!(reply.header("retry-after"), "2");
}

#[tokio::test]
async fn healthz_needs_no_token_and_says_the_database_answers() {
    let server = Running::start(config("sqlite::memory:".to_owned())).await;
    let raw = common::Raw::open(server.addr).await;
    let mut raw = raw;
    raw.send(&common::head("GET /healthz HTTP/1.1", &["Host: x"]))
        .await;
    let reply = raw.response().await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        std::str::from_utf8(&reply.body).unwrap(),
        r#"{"status":"Healthy"}"#
    );
    server.stop().await;
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    /// Indicator values a 200 acknowledged.
    acknowledged: BTreeSet<String>,
    /// Statuses other than 200 and 503.
    unexpected: Vec<String>,
}

/// Writers and readers that run until `done`, each request answered within
/// the time limit; every 503 is checked and reported on `unavailable`,
/// every 200 on `ok`.
fn load(
    api: &Api,
    done: &Arc<AtomicBool>,
    seen: &Arc<Mutex<Seen>>,
    ok: &mpsc::UnboundedSender<()>,
    unavailable: &mpsc::UnboundedSender<()>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..4)
        .map(|worker| {
            let (api, done, seen) = (api.clone(), done.clone(), seen.clone());
            let (ok, unavailable) = (ok.clone(), unavailable.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !done.load(Ordering::Acquire) {
                    n += 1;
                    let value = format!("w{worker}-{n}.outage.example");
                    let started = Instant::now();
                    let reply = if n % 2 == 0 {
                        api.get("/api/machines?$top=5&$count=true").await
                    } else {
                        api.post(
                            "/api/indicators",
                            indicator(&value, "DomainName", "Written under load"),
                        )
                        .await
                    };
                    // Bounded: the pool gives up after half the time limit
                    // (1 s), well before the limit (2 s) and the margin.
                    assert!(
                        started.elapsed() < Duration::from_secs(3),
                        "answered after {:?}",
                        started.elapsed()
                    );
                    match reply.status.as_u16() {
                        200 => {
                            if n % 2 == 1 {
                                seen.lock().unwrap().acknowledged.insert(value);
                            }
                            let _ = ok.send(());
                        }
                        503 => {
                            assert_unavailable(&reply);
                            let _ = unavailable.send(());
                        }
                        _ => seen
                            .lock()
                            .unwrap()
                            .unexpected
                            .push(format!("{} {:?}", reply.status, reply.body)),
                    }
                }
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_stopped_under_load_is_503_then_serves_again_with_nothing_lost() {
    let Some(pg) = common::postgres().await else {
        return;
    };
    let url = common::blocking({
        let pg = pg.clone();
        move || pg.create_database("outage")
    })
    .await;
    let server = Running::start(config(url)).await;
    let done = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (ok_tx, mut ok) = mpsc::unbounded_channel();
    let (unavailable_tx, mut unavailable) = mpsc::unbounded_channel();
    let workers = load(&server.api, &done, &seen, &ok_tx, &unavailable_tx);

    // Serving: some writes and reads succeed.
    for _ in 0..20 {
        common::within("a success before the outage", ok.recv()).await;
    }
    common::blocking({
        let pg = pg.clone();
        move || pg.stop()
    })
    .await;
    // Down: answers are 503 envelopes, and so is the health check.
    for _ in 0..8 {
        common::within("a 503 during the outage", unavailable.recv()).await;
    }
    let health = server.api.get("/healthz").await;
    assert_unavailable(&health);

    common::blocking({
        let pg = pg.clone();
        move || pg.start_again()
    })
    .await;
    // Back: the same server serves again, without a restart.
    let mut attempts = 0;
    loop {
        let health = server.api.get("/healthz").await;
        if health.status == 200 {
            break;
        }
        assert_unavailable(&health);
        attempts += 1;
        assert!(attempts < 100, "the server did not recover");
        tokio::task::yield_now().await;
    }
    while ok.try_recv().is_ok() {}
    for _ in 0..20 {
        common::within("a success after the outage", ok.recv()).await;
    }
    done.store(true, Ordering::Release);
    for worker in workers {
        common::within("a worker to finish", worker).await.unwrap();
    }

    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(seen.unexpected.is_empty(), "{:?}", seen.unexpected);
    assert!(seen.acknowledged.len() >= 10);
    // Every acknowledged write is there.
    let listed = server
        .api
        .get(&format!(
            "/api/indicators?$top=10000&$select=indicatorValue&$filter={}",
            encode("endswith(indicatorValue, '.outage.example')")
        ))
        .await;
    assert_eq!(listed.status, 200);
    let stored: BTreeSet<String> = listed.json()["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["indicatorValue"].as_str().unwrap().to_owned())
        .collect();
    let lost: Vec<&String> = seen.acknowledged.difference(&stored).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_held_past_the_time_limit_is_504_and_changes_nothing() {
    let Some(pg) = common::postgres().await else {
        return;
    };
    let url = common::blocking({
        let pg = pg.clone();
        move || pg.create_database("held")
    })
    .await;
    let server = Running::start(config(url.clone())).await;
    // Another session locks the machine's row.
    let mut other = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN; SELECT id FROM machines FOR UPDATE")
        .execute(&mut other)
        .await
        .unwrap();
    let reply = server
        .api
        .post(
            &format!("/api/machines/{MACHINE}/isolate"),
            json!({"Comment": "Waits on a lock"}),
        )
        .await;
    reply.assert_envelope(
        504,
        "GatewayTimeout",
        "The request did not complete within the server's time limit.",
    );
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    // The cut statement's transaction never commits.
    let machine = server.api.get(&format!("/api/machines/{MACHINE}")).await;
    assert_eq!(machine.status, 200);
    assert_eq!(machine.json()["isIsolated"], false);
    let isolated = server
        .api
        .post(
            &format!("/api/machines/{MACHINE}/isolate"),
            json!({"Comment": "Now it goes through"}),
        )
        .await;
    assert_eq!(isolated.status, 201, "{:?}", isolated.body);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_busy_past_the_acquire_timeout_is_503() {
    let dir = std::env::temp_dir().join(format!("defender-api-busy-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/tenant.db?mode=rwc", dir.display());
    let server = Running::start(config(url.clone())).await;
    // Another writer holds the database's write lock.
    let mut other = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    let reply = server
        .api
        .post(
            "/api/indicators",
            indicator("busy.example", "DomainName", "Waits on the write lock"),
        )
        .await;
    assert_unavailable(&reply);
    // Readers are not blocked by a writer (WAL).
    let read = server.api.get("/api/indicators?$top=1").await;
    assert_eq!(read.status, 200);
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    let reply = server
        .api
        .post(
            "/api/indicators",
            indicator("busy.example", "DomainName", "Goes through"),
        )
        .await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    server.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_the_database_cannot_compute_is_an_odata_error() {
    let Some(pg) = common::postgres().await else {
        return;
    };
    let url = common::blocking({
        let pg = pg.clone();
        move || pg.create_database("overflow")
    })
    .await;
    let server = Running::start(config(url)).await;
    let reply = server
        .api
        .get(&format!(
            "/api/alerts?$filter={}",
            encode("incidentId mul 1e308 mul 1e308 gt 0")
        ))
        .await;
    reply.assert_envelope(
        400,
        "ODataError",
        "Invalid OData URI query $filter: a value computed by the filter is out of the range the database can hold.",
    );
    server.stop().await;
}
