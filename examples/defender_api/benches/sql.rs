//! The example's list path on SQL: `GET /api/machines` with an indexed
//! lookup (`$filter=id eq '…'&$top=1`) and a filtered, ordered page of 50
//! (`$filter=riskScore eq 'High'&$orderby=lastSeen desc&$top=50`), through
//! the OData translation and with the same SQL written by hand (its `LIMIT`
//! written in the text, then bound as the OData path must bind it), at
//! 1,000 and 100,000 machines. In process, without HTTP: the handler's
//! work.
//!
//! ```sh
//! cargo bench -p defender-api --bench sql
//! BENCH_POSTGRES_URL=postgres://… cargo bench -p defender-api --bench sql   # PostgreSQL too
//! BENCH_SQLITE=0 BENCH_POSTGRES_URL=postgres://… cargo bench …             # PostgreSQL only
//! ```
//!
//! Each figure is the median of 31 batches of 100 calls, in microseconds
//! per call; the paths take turns batch by batch. On PostgreSQL the
//! tables are vacuumed and analysed after the seed, before measuring.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use defender_api::bench_support::{
    machine_by_id_by_hand, machine_by_id_by_hand_bound, machines_by_risk_by_hand,
    machines_by_risk_by_hand_bound, machines_odata,
};
use defender_api::{Database, DatabaseOptions};

const LOOKUP_ID: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";

type Call<'a> = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = serde_json::Value> + 'a>> + 'a>;

/// The median of each of `paths`, in µs per call: 31 batches of 100 calls
/// each, the paths taking turns batch by batch so that a change in the
/// machine's load falls on all of them.
async fn medians(mut paths: Vec<Call<'_>>) -> Vec<f64> {
    let mut batches = vec![Vec::new(); paths.len()];
    for _ in 0..31 {
        for (path, batches) in paths.iter_mut().zip(&mut batches) {
            let started = Instant::now();
            for _ in 0..100 {
                std::hint::black_box(path().await);
            }
            batches.push(started.elapsed().as_secs_f64() * 1e6 / 100.0);
        }
    }
    batches
        .into_iter()
        .map(|mut batches| {
            batches.sort_by(f64::total_cmp);
            batches[batches.len() / 2]
        })
        .collect()
}

async fn run(engine: &str, url: &str, machines: u64) {
    let options = DatabaseOptions {
        url: url.to_owned(),
        acquire_timeout: std::time::Duration::from_secs(30),
        max_connections: 4,
        statement_timeout: std::time::Duration::from_secs(60),
        demo_machines: Some(machines),
        reset: false,
    };
    let started = Instant::now();
    let (db, _) = Database::open(&options).await.expect("the database");
    eprintln!("{engine} {machines}: open and seed {:?}", started.elapsed());
    let lookup = format!("$filter=id eq '{LOOKUP_ID}'&$top=1");
    let page = "$filter=riskScore eq 'High'&$orderby=lastSeen desc&$top=50";
    // The same rows either way.
    assert_eq!(
        machines_odata(&db, &lookup).await,
        machine_by_id_by_hand(&db, LOOKUP_ID).await
    );
    assert_eq!(
        machines_odata(&db, page).await,
        machines_by_risk_by_hand(&db, "High").await
    );
    if let Some(pool) = db.postgres() {
        // The seed just wrote every row: settle the tables (visibility
        // map, statistics) before measuring, rather than measuring next to
        // the autovacuum daemon doing it.
        sqlx::query("VACUUM ANALYZE")
            .execute(pool)
            .await
            .expect("VACUUM");
    }
    let lookup_paths: Vec<Call<'_>> = vec![
        Box::new(|| Box::pin(machines_odata(&db, &lookup))),
        Box::new(|| Box::pin(machine_by_id_by_hand(&db, LOOKUP_ID))),
        Box::new(|| Box::pin(machine_by_id_by_hand_bound(&db, LOOKUP_ID))),
    ];
    let page_paths: Vec<Call<'_>> = vec![
        Box::new(|| Box::pin(machines_odata(&db, page))),
        Box::new(|| Box::pin(machines_by_risk_by_hand(&db, "High"))),
        Box::new(|| Box::pin(machines_by_risk_by_hand_bound(&db, "High", 50))),
    ];
    for (name, paths) in [("lookup by id", lookup_paths), ("page of 50", page_paths)] {
        let m = medians(paths).await;
        println!(
            "| {engine} | {machines} | {name} | {:.1} | {:.1} | {:.2} | {:.1} | {:.2} |",
            m[0],
            m[1],
            m[0] / m[1],
            m[2],
            m[0] / m[2]
        );
    }
    db.close().await;
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return; // `cargo test --benches` only checks that it builds
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!(
            "| engine | machines | request | OData (µs) | by hand, LIMIT in the text (µs) | ratio | \
             by hand, LIMIT bound (µs) | ratio |"
        );
        println!("|---|---|---|---|---|---|---|---|");
        if std::env::var("BENCH_SQLITE").as_deref() != Ok("0") {
            for machines in [1_000, 100_000] {
                run("SQLite", "sqlite::memory:", machines).await;
            }
        }
        if let Ok(url) = std::env::var("BENCH_POSTGRES_URL") {
            for machines in [1_000, 100_000] {
                run("PostgreSQL", &url, machines).await;
            }
        }
    });
}
