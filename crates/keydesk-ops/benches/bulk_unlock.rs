//! Bulk unlock of disabled users against the emulator with 50 ms latency and Graph's throttling
//! on, reporting Graph requests per user, wall time, and the ratio to the lower bound the write
//! budget sets; then the same job by a sequential msgraph-sdk script, for keydesk's speed-up.
//!
//! `cargo bench -p keydesk-ops --bench bulk_unlock`
//!
//! Graph's write budget is 3,000 writes per 150 s per app and tenant, so 10,000 users take at
//! least 7.5 minutes for real. The emulator's throttling windows are compressed by
//! `KEYDESK_BENCH_TIME_SCALE` (default 0.1: 3,000 writes per 15 s) so the run takes about a
//! minute; the ratio to the (equally compressed) bound is what the goal is about. The Python
//! baseline is latency-bound, not budget-bound, so it runs on a sample
//! (`KEYDESK_BENCH_SDK_USERS`, default 100 users) and is projected per user; both the compressed
//! and the real-scale speed-ups are printed.

use std::path::PathBuf;
use std::time::Instant;

use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
use keydesk_graph_emu::{Emulator, SeedConfig, SimulationConfig, ThrottleConfig};
use keydesk_guard::{Guard, GuardState, PlannedChange};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::guarded::{Actor, BulkGuard};
use keydesk_ops::unlock::{Quiet, UnlockOptions, bulk_unlock};
use keydesk_ops::{Ops, Settings};
use keydesk_policy::{Action, Origin, PolicyEngine, PolicySettings, VerificationMode};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let users: usize = env("KEYDESK_BENCH_USERS", 10_000);
    let sdk_users: usize = env("KEYDESK_BENCH_SDK_USERS", 100);
    let time_scale: f64 = env("KEYDESK_BENCH_TIME_SCALE", 0.1);
    let latency_ms: u64 = env("KEYDESK_BENCH_LATENCY_MS", 50);

    // A tenant with `users + sdk_users` disabled cloud accounts.
    let mut state = keydesk_graph_emu::seed::contoso(
        &SeedConfig {
            background_users: users + sdk_users + 500,
            ..SeedConfig::default()
        },
        time::OffsetDateTime::now_utc(),
    );
    let mut targets = Vec::new();
    for record in state.users.values_mut().skip(40) {
        if targets.len() == users + sdk_users {
            break;
        }
        if record.user.on_premises_sync_enabled != Some(true) {
            record.user.account_enabled = false;
            targets.push(record.user.user_principal_name.clone());
        }
    }
    anyhow::ensure!(
        targets.len() == users + sdk_users,
        "not enough users to disable"
    );
    let (keydesk_targets, sdk_targets) = targets.split_at(users);
    let throttle = ThrottleConfig {
        enabled: true,
        time_scale,
        ..ThrottleConfig::default()
    };
    let bound = throttle.write_bound_seconds(users as u64);
    let real_bound = ThrottleConfig {
        time_scale: 1.0,
        ..throttle.clone()
    }
    .write_bound_seconds(users as u64);
    let emulator = Emulator::new(
        state,
        SimulationConfig {
            latency_ms,
            throttle,
            ..SimulationConfig::default()
        },
    );
    let running = emulator.serve("127.0.0.1:0".parse()?).await?;
    let secret = emulator.add_client_secret(KEYDESK_APP_ID, time::Duration::hours(2))?;
    let config = GraphConfig::new(
        emulator.tenant_id(),
        KEYDESK_APP_ID,
        Credential::Secret(Secret::new(secret.clone())),
    )?
    .with_authority_host(running.base_url.parse()?)?
    .with_graph_base(running.graph_v1().parse()?)?;
    let ops = Ops::new(
        GraphClient::new(config)?,
        Settings::standard(),
        format!("MeganB@{}", emulator.domain()),
    );

    println!(
        "bulk unlock: {users} disabled users, {latency_ms} ms latency, throttling on (windows x{time_scale})"
    );
    // Every user is authorized by the guard (policy, an audit intent and outcome each) in a
    // temporary SQLite database with durable commits: part of what is measured.
    let state_dir = tempfile::tempdir()?;
    let location = state_dir
        .path()
        .join("keydesk.sqlite")
        .display()
        .to_string();
    let mut policy = PolicySettings::recommended();
    policy.verification_mode = VerificationMode::Unrestricted;
    policy.hourly_sensitive_budget = u32::MAX;
    let guard = Guard::new(
        PolicyEngine::with_default_policy(policy)?,
        std::sync::Arc::from(keydesk_audit::open(&location).await?),
        GuardState::open(&location).await?,
    );
    let actor = Actor::read(&ops, &ops.actor.clone(), Origin::Cli).await?;
    let bulk = BulkGuard {
        guard: &guard,
        actor: &actor,
        run: guard
            .begin_bulk(&PlannedChange {
                action: Action::UnlockAccount,
                target: None,
                summary: "bench".into(),
                steps: keydesk_targets
                    .iter()
                    .map(|t| ("unlock_account".to_string(), t.clone()))
                    .collect(),
            })
            .await?,
    };
    let started = Instant::now();
    let report = bulk_unlock(
        &ops,
        keydesk_targets,
        &UnlockOptions {
            delivery: Delivery::Manager,
        },
        Some(&bulk),
        &Quiet,
    )
    .await?;
    let wall = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.enabled == users && report.failed == 0,
        "not every user was unlocked: {} enabled, {} failed",
        report.enabled,
        report.failed
    );
    let verified = emulator.with_tenant(|t| {
        keydesk_targets
            .iter()
            .filter(|u| t.user(u).is_ok_and(|r| r.user.account_enabled))
            .count()
    });
    anyhow::ensure!(
        verified == users,
        "only {verified} of {users} are enabled in the tenant"
    );
    let enables = emulator.with_tenant(|t| {
        t.directory_audits
            .iter()
            .filter(|a| a.activity_display_name == "Enable account")
            .count()
    });
    anyhow::ensure!(
        enables == users,
        "{enables} enable writes for {users} users: some were done twice"
    );
    let stats = ops.graph.stats();
    let ratio = wall / bound.max(f64::EPSILON);
    println!(
        "  keydesk: {wall:.1} s wall, {:.2} Graph requests per user ({} HTTP requests, {} retries, {} throttled answers)",
        stats.graph_requests() as f64 / users as f64,
        stats.requests,
        stats.retries,
        stats.throttled
    );
    println!(
        "  lower bound from the write budget: {bound:.1} s → ratio {ratio:.2}x (goal ≤ 1.25x); every user verified, each written once"
    );

    // The msgraph-sdk baseline on its own sample of disabled users.
    let venv_python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    if !venv_python.exists() {
        println!("  msgraph-sdk baseline skipped: run `bash scripts/test.sh` once to create .venv");
        return Ok(());
    }
    let list = tempfile::NamedTempFile::new()?;
    std::fs::write(list.path(), sdk_targets.join("\n"))?;
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../benches/python/bulk_unlock_sdk.py");
    let output = tokio::process::Command::new(venv_python)
        .arg(script)
        .args([
            &running.base_url,
            &emulator.tenant_id(),
            KEYDESK_APP_ID,
            &secret,
        ])
        .arg(list.path())
        .output()
        .await?;
    anyhow::ensure!(
        output.status.success(),
        "the SDK script failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let sdk_seconds = result["seconds"].as_f64().unwrap_or(f64::NAN);
    anyhow::ensure!(
        result["verified"].as_u64() == Some(sdk_users as u64),
        "the SDK script verified {} of {sdk_users}",
        result["verified"]
    );
    let per_user = sdk_seconds / sdk_users as f64;
    let projected = per_user * users as f64;
    println!(
        "  msgraph-sdk sequential: {sdk_users} users in {sdk_seconds:.1} s = {:.0} ms/user → {projected:.0} s projected for {users}",
        per_user * 1000.0
    );
    println!(
        "  speed-up: {:.1}x at these compressed windows; {:.1}x at Graph's real budget (keydesk ≈ {ratio:.2} × {real_bound:.0} s)",
        projected / wall,
        projected / (ratio * real_bound)
    );
    running.shutdown().await?;
    Ok(())
}
