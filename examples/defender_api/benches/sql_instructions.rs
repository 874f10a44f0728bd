//! The example's list path on SQLite in instructions, for callgrind: the
//! same two requests as `benches/sql.rs` (a lookup by id, a page of 50),
//! through the OData translation or with the SQL written by hand, `CALLS`
//! times after opening and seeding an in-memory database of 1,000
//! machines. SQLite runs in the process, so the count holds the database's
//! work too, and it is the same from run to run.
//!
//! ```sh
//! cargo bench -p defender-api --bench sql_instructions --no-run
//! BIN=$(ls -t target/release/deps/sql_instructions-* | grep -v '\.d$' | head -1)
//! for path in none odata-lookup hand-lookup odata-page hand-page; do
//!   PATH_UNDER_TEST=$path CALLS=1000 valgrind --tool=callgrind \
//!     --callgrind-out-file=/dev/null $BIN 2>&1 | grep 'Collected'
//! done
//! ```
//!
//! (`none` opens and seeds only: subtract it and divide by `CALLS`.)

use defender_api::bench_support::{
    machine_by_id_by_hand, machines_by_risk_by_hand, machines_odata,
};
use defender_api::{Database, DatabaseOptions};

const LOOKUP_ID: &str = "1e5bc9d7e413ddd7902c2932e418702b84d0cc07";

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return; // `cargo test --benches` only checks that it builds
    }
    let path = std::env::var("PATH_UNDER_TEST").unwrap_or_else(|_| "none".to_owned());
    let calls: u32 = std::env::var("CALLS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let options = DatabaseOptions {
            url: "sqlite::memory:".to_owned(),
            acquire_timeout: std::time::Duration::from_secs(600),
            max_connections: 1,
            statement_timeout: std::time::Duration::from_secs(600),
            demo_machines: Some(1000),
            reset: false,
        };
        let (db, _) = Database::open(&options).await.expect("the database");
        let lookup = format!("$filter=id eq '{LOOKUP_ID}'&$top=1");
        let page = "$filter=riskScore eq 'High'&$orderby=lastSeen desc&$top=50";
        for _ in 0..calls {
            let value = match path.as_str() {
                "odata-lookup" => machines_odata(&db, &lookup).await,
                "hand-lookup" => machine_by_id_by_hand(&db, LOOKUP_ID).await,
                "odata-page" => machines_odata(&db, page).await,
                "hand-page" => machines_by_risk_by_hand(&db, "High").await,
                "none" => break,
                other => panic!("unknown PATH_UNDER_TEST {other:?}"),
            };
            std::hint::black_box(value);
        }
        db.close().await;
    });
}
