//! Rate-limit quotas shared by replicas through PostgreSQL: two instances
//! of the app (two "replicas", each with a pool of its own) on one
//! database of a throwaway PostgreSQL, asked through their routers.
//!
//! The database's clock cannot be paused, so these tests keep every
//! quota's refill slower than the test (a window of 100 calls an hour
//! admits one more call every 36 seconds) and bound `Retry-After` by the
//! time the test measured. The in-process store runs on the tokio clock;
//! its window reset is tested with paused time.
//!
//! Without PostgreSQL binaries (and outside CI) the PostgreSQL tests say so
//! once and return.

use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::middleware;
use axum::Router;
use defender_api::auth::{ADMIN_TOKEN, READER_TOKEN};
use defender_api::{app, limits, router, Config, Database, QuotaStore, RateLimits};
use defender_errors::DefenderErrorLayer;
use http::{Method, Request};
use http_body_util::BodyExt;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use temp_postgres::TempPostgres;
use tokio::time::Instant;
use tower::ServiceExt;

use crate::common::{within, Reply};

/// One PostgreSQL server for the tests that do not stop it; each test makes
/// a database of its own there.
fn shared_server() -> Option<&'static TempPostgres> {
    static SERVER: OnceLock<Option<TempPostgres>> = OnceLock::new();
    SERVER.get_or_init(TempPostgres::start).as_ref()
}

/// A fresh database on the shared server, or `None` without PostgreSQL.
fn database(name: &str) -> Option<String> {
    Some(shared_server()?.create_database(name))
}

/// A pool of its own, as each replica has.
async fn pool(url: &str) -> PgPool {
    within(
        "connecting to PostgreSQL",
        PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(1))
            .connect(url),
    )
    .await
    .unwrap()
}

/// One replica: the app on the database at `url` with a pool of its own,
/// sharing quotas through it. Quota checks may take `check_timeout` (half
/// the handler time limit).
async fn replica(url: &str, rate_limits: RateLimits, check_timeout: Duration) -> Router {
    within(
        "opening a replica",
        app(Config {
            rate_limits,
            database: url.to_owned(),
            handler_timeout: check_timeout * 2,
            ..Config::default()
        }),
    )
    .await
    .unwrap()
}

/// Limits whose refill is slower than any test: 100 calls, whether in a
/// minute or an hour; once the 100 are spent, the next call is admitted
/// after 36 seconds (the hour's interval).
const HUNDRED: RateLimits = RateLimits {
    import_per_minute: 30,
    list_per_minute: 100,
    list_per_hour: 100,
};

/// `GET path` with `token`, through `router`.
async fn get(router: &Router, path: &str, token: &str) -> Reply {
    let request = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header("host", "defender.test")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let response = within(path, router.clone().oneshot(request)).await.unwrap();
    let (parts, body) = response.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: within("the body", body.collect()).await.unwrap().to_bytes(),
    }
}

/// Asserts the 429 envelope; `Retry-After` and `retry-after-ms` agree and
/// lie in `range`. Returns the seconds.
fn assert_too_many(reply: &Reply, range: std::ops::RangeInclusive<u64>) -> u64 {
    let seconds: u64 = reply.header("retry-after").parse().unwrap();
    assert!(
        range.contains(&seconds),
        "Retry-After {seconds} not in {range:?}"
    );
    let millis: u64 = reply.header("retry-after-ms").parse().unwrap();
    assert_eq!(
        millis,
        seconds * 1000,
        "retry-after-ms agrees with Retry-After"
    );
    let unit = if seconds == 1 { "second" } else { "seconds" };
    reply.assert_envelope(
        429,
        "TooManyRequests",
        &format!("Rate limit exceeded. Retry after {seconds} {unit}."),
    );
    seconds
}

/// Asserts the 503 envelope of a quota that cannot be checked.
fn assert_unavailable(reply: &Reply) {
    reply.assert_envelope(
        503,
        "ServiceUnavailable",
        "The service is temporarily unavailable. Retry after 2 seconds.",
    );
    assert_eq!(reply.header("retry-after"), "2");
    assert_eq!(reply.header("retry-after-ms"), "2000");
}

/// The seconds a wait of `wait` minus `elapsed` rounds up to, at least 1:
/// the smallest `Retry-After` once `elapsed` has passed since the quota
/// was spent.
fn at_least(wait: Duration, elapsed: Duration) -> u64 {
    let left = wait.saturating_sub(elapsed);
    (left.as_secs() + u64::from(left.subsec_nanos() > 0)).max(1)
}

#[tokio::test]
async fn replicas_share_one_quota_per_token_and_endpoint() {
    let Some(url) = database("quota_shared") else {
        return;
    };
    let timeout = Duration::from_secs(10);
    let a = replica(&url, HUNDRED, timeout).await;
    let b = replica(&url, HUNDRED, timeout).await;

    let started = Instant::now();
    for n in 0..100 {
        let replica = if n % 2 == 0 { &a } else { &b };
        let reply = get(replica, "/api/machines", ADMIN_TOKEN).await;
        assert_eq!(reply.status, 200, "call {n}: {:?}", reply.body);
    }
    // The 101st call, on either replica, is refused: 100 in total, not
    // 100 on each. The next call is 36 s (an hour / 100) after the first.
    let wait = Duration::from_secs(36);
    for replica in [&a, &b, &a] {
        let reply = get(replica, "/api/machines", ADMIN_TOKEN).await;
        assert_too_many(&reply, at_least(wait, started.elapsed())..=36);
    }
    // Another token on the same endpoint, the same token on another
    // endpoint: quotas of their own, on both replicas.
    for replica in [&a, &b] {
        assert_eq!(
            get(replica, "/api/machines", READER_TOKEN).await.status,
            200
        );
        assert_eq!(get(replica, "/api/alerts", ADMIN_TOKEN).await.status, 200);
    }
    // A call that is not rate-limited is not refused either.
    assert_eq!(
        get(&b, "/api/machines/missing", ADMIN_TOKEN).await.status,
        404
    );
}

#[tokio::test]
async fn the_minute_and_the_hour_both_hold_and_refusals_cost_nothing() {
    let Some(url) = database("quota_windows") else {
        return;
    };
    let timeout = Duration::from_secs(10);
    // Two calls a minute: one more every 30 seconds.
    let minute = RateLimits {
        list_per_minute: 2,
        ..RateLimits::DEFENDER
    };
    let a = replica(&url, minute, timeout).await;
    let b = replica(&url, minute, timeout).await;
    let started = Instant::now();
    assert_eq!(get(&a, "/api/alerts", ADMIN_TOKEN).await.status, 200);
    assert_eq!(get(&b, "/api/alerts", ADMIN_TOKEN).await.status, 200);
    // Refused again and again: had a refusal counted, each would wait 30
    // seconds longer than the one before.
    for replica in [&a, &b, &a, &b, &a] {
        let reply = get(replica, "/api/alerts", ADMIN_TOKEN).await;
        assert_too_many(
            &reply,
            at_least(Duration::from_secs(30), started.elapsed())..=30,
        );
    }

    // Three calls an hour (and 100 a minute): one more every 20 minutes.
    let hour = RateLimits {
        list_per_hour: 3,
        ..RateLimits::DEFENDER
    };
    let a = replica(&url, hour, timeout).await;
    let b = replica(&url, hour, timeout).await;
    let started = Instant::now();
    for replica in [&a, &b, &a] {
        assert_eq!(
            get(replica, "/api/indicators", READER_TOKEN).await.status,
            200
        );
    }
    for replica in [&b, &a, &b] {
        let reply = get(replica, "/api/indicators", READER_TOKEN).await;
        assert_too_many(
            &reply,
            at_least(Duration::from_secs(1200), started.elapsed())..=1200,
        );
    }
}

#[tokio::test]
async fn concurrent_calls_from_two_replicas_admit_exactly_the_quota() {
    let Some(url) = database("quota_concurrent") else {
        return;
    };
    // Generous check time: 160 calls queue on one row's lock.
    let timeout = Duration::from_secs(20);
    let a = replica(&url, HUNDRED, timeout).await;
    let b = replica(&url, HUNDRED, timeout).await;
    let started = Instant::now();
    let mut calls = tokio::task::JoinSet::new();
    for n in 0..160 {
        let replica = if n % 2 == 0 { a.clone() } else { b.clone() };
        calls.spawn(async move { get(&replica, "/api/machines", ADMIN_TOKEN).await });
    }
    let replies = within("160 calls", calls.join_all()).await;
    let elapsed = started.elapsed();
    let admitted = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(admitted, 100, "admitted in total across both replicas");
    for reply in replies.iter().filter(|r| r.status != 200) {
        assert_too_many(reply, at_least(Duration::from_secs(36), elapsed)..=36);
    }
}

#[tokio::test]
async fn a_database_outage_is_503_then_the_quota_is_kept() {
    // A server of its own, stopped and started again by this test.
    let Some(pg) = TempPostgres::start() else {
        return;
    };
    let url = pg.create_database("quota_outage");
    let two = RateLimits {
        list_per_minute: 2,
        ..RateLimits::DEFENDER
    };
    let a = replica(&url, two, Duration::from_secs(2)).await;
    let b = replica(&url, two, Duration::from_secs(2)).await;
    let started = Instant::now();
    assert_eq!(get(&a, "/api/machines", ADMIN_TOKEN).await.status, 200);

    pg.stop();
    // Fail closed, answered within the check's time limit: 503, no driver
    // text, on both replicas.
    for replica in [&a, &b] {
        assert_unavailable(&get(replica, "/api/machines", ADMIN_TOKEN).await);
    }

    pg.start_again();
    // Served again without a restart. The call made before the outage is
    // still counted: the second is admitted, the third is not.
    let reply = get(&b, "/api/machines", ADMIN_TOKEN).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    let reply = get(&a, "/api/machines", ADMIN_TOKEN).await;
    assert_too_many(
        &reply,
        at_least(Duration::from_secs(30), started.elapsed())..=30,
    );
}

#[tokio::test]
async fn a_quota_check_stuck_on_a_lock_is_503_within_its_time_limit() {
    let Some(url) = database("quota_stuck") else {
        return;
    };
    let a = replica(&url, HUNDRED, Duration::from_millis(300)).await;
    assert_eq!(get(&a, "/api/alerts", ADMIN_TOKEN).await.status, 200);

    // Another session holds the quota table: the check cannot finish.
    let holder = pool(&url).await;
    let mut lock = holder.begin().await.unwrap();
    sqlx::query("LOCK TABLE api_quota IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    assert_unavailable(&get(&a, "/api/alerts", ADMIN_TOKEN).await);
    assert_unavailable(&get(&a, "/api/machines", READER_TOKEN).await);

    // Released, the same replica serves again.
    lock.rollback().await.unwrap();
    let reply = get(&a, "/api/alerts", ADMIN_TOKEN).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
}

#[tokio::test]
async fn a_closed_pool_is_503() {
    let Some(url) = database("quota_closed") else {
        return;
    };
    let two = RateLimits {
        list_per_minute: 2,
        ..RateLimits::DEFENDER
    };
    let a = replica(&url, two, Duration::from_secs(10)).await;
    let config = Config {
        rate_limits: two,
        database: url.clone(),
        handler_timeout: Duration::from_secs(20),
        ..Config::default()
    };
    let (db_b, _) = Database::open(&config.database_options()).await.unwrap();
    let b = router(config, db_b.clone());
    let started = Instant::now();
    assert_eq!(get(&a, "/api/machines", ADMIN_TOKEN).await.status, 200);
    assert_eq!(get(&b, "/api/machines", ADMIN_TOKEN).await.status, 200);
    assert_too_many(
        &get(&b, "/api/machines", ADMIN_TOKEN).await,
        at_least(Duration::from_secs(30), started.elapsed())..=30,
    );

    db_b.close().await;
    assert_unavailable(&get(&b, "/api/machines", READER_TOKEN).await);
    // The other replica's pool is open: it serves.
    assert_eq!(get(&a, "/api/machines", READER_TOKEN).await.status, 200);
}

/// The example's authentication and a limiter in front of one handler
/// answering `{"value":[]}`, behind the error layer: the rate limit with
/// nothing else that keeps time.
fn limited(limiter: limits::Limiter) -> Router {
    Router::new()
        .route(
            "/api/alerts",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"value": []})) })
                .route_layer(middleware::from_fn_with_state(limiter, limits::rate_limit)),
        )
        .layer(middleware::from_fn(defender_api::auth::authenticate))
        .layer(DefenderErrorLayer::new())
}

#[tokio::test(start_paused = true)]
async fn the_in_process_window_refills_on_the_tokio_clock() {
    let two = RateLimits {
        list_per_minute: 2,
        ..RateLimits::DEFENDER
    };
    let quotas = QuotaStore::in_process();
    assert!(!quotas.is_shared());
    let a = limited(quotas.limiter("GET /api/alerts", &two.list_windows()));
    for _ in 0..2 {
        let reply = get(&a, "/api/alerts", ADMIN_TOKEN).await;
        assert_eq!(reply.status, 200);
        assert_eq!(&reply.body[..], br#"{"value":[]}"#);
    }
    // The clock stands still: exactly 30 seconds to wait, whatever the
    // number of refusals.
    for _ in 0..3 {
        assert_too_many(&get(&a, "/api/alerts", ADMIN_TOKEN).await, 30..=30);
    }
    tokio::time::advance(Duration::from_millis(29_500)).await;
    assert_too_many(&get(&a, "/api/alerts", ADMIN_TOKEN).await, 1..=1);
    tokio::time::advance(Duration::from_millis(500)).await;
    assert_eq!(get(&a, "/api/alerts", ADMIN_TOKEN).await.status, 200);
    assert_too_many(&get(&a, "/api/alerts", ADMIN_TOKEN).await, 30..=30);
    // Another token: its own quota in the same store.
    assert_eq!(get(&a, "/api/alerts", READER_TOKEN).await.status, 200);
    // Another endpoint of the same store, another store: their own quotas.
    let other = limited(quotas.limiter("GET /api/machines", &two.list_windows()));
    assert_eq!(get(&other, "/api/alerts", ADMIN_TOKEN).await.status, 200);
    let b = limited(QuotaStore::in_process().limiter("GET /api/alerts", &two.list_windows()));
    assert_eq!(get(&b, "/api/alerts", ADMIN_TOKEN).await.status, 200);
}
