//! Audit appends per second with durable commits: SQLite (a file, WAL, `synchronous=FULL`) always,
//! PostgreSQL (`synchronous_commit = on`, a schema of its own, dropped afterwards) when
//! `KEYDESK_TEST_POSTGRES_URL` is set; each sequentially and with 8 concurrent appenders. Also
//! times `verify` over the log written.
//!
//! Run: `cargo bench -p keydesk-audit --bench appends`
//! (with PostgreSQL: `KEYDESK_TEST_POSTGRES_URL="$(scripts/postgres.sh | tail -n 1)" cargo bench
//! -p keydesk-audit --bench appends`). `KEYDESK_BENCH_APPENDS` sets the appends per run (1000).

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use keydesk_audit::{AuditEvent, AuditStore, Decision, Effect, PgStore, SqliteStore, verify};

const CONCURRENT_APPENDERS: usize = 8;

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let appends: usize = std::env::var("KEYDESK_BENCH_APPENDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1_000);
    println!("keydesk-audit appends benchmark ({appends} appends per run, durable commits)");
    println!("command: cargo bench -p keydesk-audit --bench appends");

    // On the build disk, not /tmp (which may be tmpfs, where fsync costs nothing).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let sequential = SqliteStore::open(dir.path().join("sequential.sqlite3")).await?;
    report(
        "sqlite (WAL, synchronous=FULL)",
        "sequential",
        &sequential,
        appends,
        1,
    )
    .await?;
    let concurrent = SqliteStore::open(dir.path().join("concurrent.sqlite3")).await?;
    report(
        "sqlite (WAL, synchronous=FULL)",
        "8 appenders",
        &concurrent,
        appends,
        CONCURRENT_APPENDERS,
    )
    .await?;

    match std::env::var("KEYDESK_TEST_POSTGRES_URL") {
        Err(_) => println!(
            "postgres: skipped: set KEYDESK_TEST_POSTGRES_URL (scripts/postgres.sh prints one)"
        ),
        Ok(url) => {
            let base = sqlx::postgres::PgConnectOptions::from_str(&url)?;
            let admin = sqlx::PgPool::connect_with(base.clone()).await?;
            let synchronous_commit: String = sqlx::query_scalar("SHOW synchronous_commit")
                .fetch_one(&admin)
                .await?;
            let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(&admin).await?;
            let label = format!("postgres (synchronous_commit=on, server fsync={fsync})");
            if synchronous_commit != "on" {
                println!(
                    "note: the server default synchronous_commit is {synchronous_commit}; the store sets on per session"
                );
            }
            for (name, tasks) in [("sequential", 1), ("8 appenders", CONCURRENT_APPENDERS)] {
                let schema = format!(
                    "kd_audit_bench_{}",
                    &uuid::Uuid::new_v4().simple().to_string()[..8]
                );
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                    .execute(&admin)
                    .await?;
                let store =
                    PgStore::connect_with(base.clone().options([("search_path", schema.as_str())]))
                        .await?;
                let outcome = report(&label, name, &store, appends, tasks).await;
                store.close().await;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                    .execute(&admin)
                    .await?;
                outcome?;
            }
        }
    }
    Ok(())
}

/// Appends `appends` records from `tasks` concurrent appenders, prints the rate, then verifies.
async fn report<S: AuditStore + Clone + 'static>(
    backend: &str,
    mode: &str,
    store: &S,
    appends: usize,
    tasks: usize,
) -> anyhow::Result<()> {
    // Warm up the pool and the statement caches.
    store.append(&event(0, 0)).await?;
    let store: Arc<dyn AuditStore> = Arc::new(store.clone());
    let per_task = appends.div_ceil(tasks);
    let started = Instant::now();
    let mut joins = tokio::task::JoinSet::new();
    for task in 0..tasks {
        let store = store.clone();
        joins.spawn(async move {
            let mut latencies = Vec::with_capacity(per_task);
            for index in 0..per_task {
                let begun = Instant::now();
                store.append(&event(task, index)).await?;
                latencies.push(begun.elapsed());
            }
            anyhow::Ok(latencies)
        });
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(per_task * tasks);
    while let Some(joined) = joins.join_next().await {
        latencies.extend(joined??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let total = latencies.len();
    let percentile = |p: f64| latencies[((total as f64 * p) as usize).min(total - 1)];
    println!(
        "{backend:<52} {mode:<12} {total:>6} appends in {:>7.2} s = {:>8.0} appends/s  (latency p50 {:.2} ms, p99 {:.2} ms)",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        percentile(0.50).as_secs_f64() * 1e3,
        percentile(0.99).as_secs_f64() * 1e3,
    );
    let started = Instant::now();
    let verified = verify(store.as_ref()).await?;
    anyhow::ensure!(
        verified.ok,
        "the benchmark's chain does not verify: {verified:?}"
    );
    println!(
        "{backend:<52} {mode:<12} verify of {} records in {:.3} s",
        verified.records_checked,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn event(task: usize, index: usize) -> AuditEvent {
    let mut event = AuditEvent::intent(format!("operator{task}@contoso.com"), "password_reset");
    event.target = Some(format!("user{index}@contoso.com"));
    event.decision = Some(Decision {
        effect: Effect::Allow,
        reasons: vec!["operator holds helpdesk-tier1 for the Sales OU".to_owned()],
        policies: vec!["helpdesk-reset".to_owned()],
    });
    event.graph_request_ids = vec![uuid::Uuid::new_v4().to_string()];
    event.details = serde_json::json!({"ticket": format!("INC-{index}"), "channel": "phone"});
    event
}
