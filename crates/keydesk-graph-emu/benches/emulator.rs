//! Emulator throughput: paging through 200,000 users with `$top=999`, and sustained simple GETs
//! per second over loopback HTTP. Run with `cargo bench -p keydesk-graph-emu --bench emulator`.
//!
//! The load generator runs in the same process as the emulator (both share this machine's two
//! cores), so the figures are a lower bound for the emulator alone.
//! `KEYDESK_BENCH_USERS` and `KEYDESK_BENCH_SECONDS` shrink the run for a quick look.

use std::time::{Duration, Instant};

use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
use keydesk_graph_emu::{Emulator, SeedConfig, SimulationConfig};
use serde_json::Value;

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let users = env_number("KEYDESK_BENCH_USERS", 200_000);
    let seconds = env_number("KEYDESK_BENCH_SECONDS", 10) as u64;
    let concurrency = env_number("KEYDESK_BENCH_CONCURRENCY", 16);

    let started = Instant::now();
    let emulator = Emulator::demo(
        &SeedConfig {
            background_users: users,
            ..SeedConfig::default()
        },
        SimulationConfig::default(),
    );
    let build = started.elapsed();
    let running = emulator.serve("127.0.0.1:0".parse()?).await?;
    let secret = emulator.add_client_secret(KEYDESK_APP_ID, time::Duration::hours(1))?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let token: Value = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            running.base_url,
            emulator.tenant_id()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", KEYDESK_APP_ID),
            ("client_secret", secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await?
        .json()
        .await?;
    let bearer = format!(
        "Bearer {}",
        token["access_token"].as_str().unwrap_or_default()
    );
    let total_users = emulator.with_tenant(|t| t.users.len());
    println!(
        "tenant: {total_users} users, built in {:.2} s",
        build.as_secs_f64()
    );

    // 1. Paging through every user.
    let started = Instant::now();
    let mut next = Some(format!(
        "{}/users?$top=999&$select=id,displayName,userPrincipalName,accountEnabled",
        running.graph_v1()
    ));
    let (mut pages, mut seen) = (0usize, 0usize);
    while let Some(url) = next.take() {
        let page: Value = http
            .get(&url)
            .header("Authorization", &bearer)
            .send()
            .await?
            .json()
            .await?;
        seen += page["value"].as_array().map_or(0, Vec::len);
        pages += 1;
        next = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    let paging = started.elapsed();
    anyhow::ensure!(
        seen == total_users,
        "paging saw {seen} users of {total_users}"
    );
    println!(
        "paging: {seen} users in {pages} pages ($top=999) in {:.2} s = {:.0} users/s, {:.1} ms/page",
        paging.as_secs_f64(),
        seen as f64 / paging.as_secs_f64(),
        paging.as_secs_f64() * 1000.0 / pages as f64
    );

    // 2. Sustained simple GETs: one user by id, default properties.
    let ids: Vec<String> = emulator.with_tenant(|t| t.users.keys().take(1000).cloned().collect());
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let http = http.clone();
        let bearer = bearer.clone();
        let ids = ids.clone();
        let base = running.graph_v1();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut index = worker;
            while Instant::now() < deadline {
                let url = format!("{base}/users/{}", ids[index % ids.len()]);
                let sent = Instant::now();
                let response = http
                    .get(&url)
                    .header("Authorization", &bearer)
                    .send()
                    .await?;
                let status = response.status();
                response.bytes().await?;
                anyhow::ensure!(status.is_success(), "GET {url} → {status}");
                latencies.push(sent.elapsed());
                index += concurrency;
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    latencies.sort();
    let count = latencies.len();
    let percentile = |p: f64| latencies[((count as f64 * p) as usize).min(count - 1)];
    println!(
        "simple GETs: {count} in {seconds} s = {:.0} req/s with {concurrency} connections; p50 {:.2} ms, p99 {:.2} ms",
        count as f64 / seconds as f64,
        percentile(0.50).as_secs_f64() * 1000.0,
        percentile(0.99).as_secs_f64() * 1000.0
    );
    running.shutdown().await?;
    Ok(())
}
