//! A bounded load test of `keydesk serve` on loopback: requests per second and latency
//! percentiles for plan calls (`POST /api/v1/requests`) and execute calls
//! (`POST /api/v1/steps/execute`, a guarded write: `revoke_sessions` on ordinary users, each one
//! an audit intent and an outcome), then a count of the audit log: every executed call has
//! exactly one intent and one outcome, no record is lost or duplicated, and the chain verifies.
//!
//! The emulator answers instantly and does not throttle here: this measures keydesk's server,
//! guard and audit log, not Graph's budget (see the bulk-unlock bench for that).
//!
//! `cargo bench -p keydesk-server --bench load`
//! Settings: `KEYDESK_LOAD_SECONDS` per phase (default 10), `KEYDESK_LOAD_CLIENTS` concurrent
//! clients (default 16).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::apps::KEYDESK_APP_ID;
use keydesk_graph_emu::{Emulator, SeedConfig, SimulationConfig};
use keydesk_guard::{Guard, GuardState};
use keydesk_policy::{PolicyEngine, PolicySettings};
use keydesk_server::{AppState, Demo, DemoPerson, ServerConfig};
use keydesk_service::{Service, ServiceConfig};
use serde_json::{Value, json};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Phase {
    name: &'static str,
    latencies: Vec<Duration>,
    statuses: HashMap<u16, usize>,
    wall: Duration,
}

impl Phase {
    fn print(&mut self, clients: usize) {
        self.latencies.sort();
        let n = self.latencies.len();
        let at = |q: f64| {
            self.latencies
                .get(
                    ((n as f64 * q).ceil() as usize)
                        .saturating_sub(1)
                        .min(n.saturating_sub(1)),
                )
                .copied()
                .unwrap_or_default()
        };
        println!(
            "  {:<8} {:>6} requests, {clients} clients, {:>7.0} req/s, p50 {:>6.1} ms, p99 {:>6.1} ms, max {:>6.1} ms, statuses {:?}",
            self.name,
            n,
            n as f64 / self.wall.as_secs_f64(),
            at(0.50).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3,
            at(1.0).as_secs_f64() * 1e3,
            self.statuses
        );
    }
}

async fn run_phase(
    name: &'static str,
    clients: usize,
    seconds: u64,
    call: Arc<dyn Fn(usize, usize) -> reqwest::RequestBuilder + Send + Sync>,
) -> (Phase, Vec<(u16, Value)>) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut answers = Vec::new();
            let mut i = 0;
            while Instant::now() < deadline {
                let at = Instant::now();
                let response = call(client, i).send().await;
                latencies.push(at.elapsed());
                match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body = response.json::<Value>().await.unwrap_or(Value::Null);
                        answers.push((status, body));
                    }
                    Err(_) => answers.push((0, Value::Null)),
                }
                i += 1;
            }
            (latencies, answers)
        }));
    }
    let mut phase = Phase {
        name,
        latencies: Vec::new(),
        statuses: HashMap::new(),
        wall: Duration::ZERO,
    };
    let mut all = Vec::new();
    for task in tasks {
        let (latencies, answers) = task.await.expect("client task");
        phase.latencies.extend(latencies);
        for (status, body) in answers {
            *phase.statuses.entry(status).or_default() += 1;
            all.push((status, body));
        }
    }
    phase.wall = started.elapsed();
    (phase, all)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let seconds: u64 = env("KEYDESK_LOAD_SECONDS", 10);
    let clients: usize = env("KEYDESK_LOAD_CLIENTS", 16);
    let emu = Emulator::demo(
        &SeedConfig {
            background_users: 400,
            ..SeedConfig::default()
        },
        SimulationConfig::default(),
    );
    let running = emu.serve("127.0.0.1:0".parse()?).await?;
    let secret = emu.add_client_secret(KEYDESK_APP_ID, time::Duration::hours(1))?;
    let config = GraphConfig::new(
        emu.tenant_id(),
        KEYDESK_APP_ID,
        Credential::Secret(Secret::new(secret)),
    )?
    .with_authority_host(running.base_url.parse()?)?
    .with_graph_base(running.graph_v1().parse()?)?;
    let graph = GraphClient::new(config)?;
    // Ordinary, cloud-only, enabled users to revoke sessions of.
    let targets: Vec<String> = emu.with_tenant(|t| {
        t.users
            .values()
            .skip(40)
            .filter(|r| r.user.account_enabled && r.user.on_premises_sync_enabled != Some(true))
            .map(|r| r.user.user_principal_name.clone())
            .take(300)
            .collect()
    });
    anyhow::ensure!(
        targets.len() >= 100,
        "not enough ordinary users: {}",
        targets.len()
    );

    let dir = tempfile::tempdir()?;
    let location = dir.path().join("keydesk.sqlite").display().to_string();
    let mut policy = PolicySettings::recommended();
    policy.hourly_sensitive_budget = 10_000_000;
    let guard = Guard::new(
        PolicyEngine::with_default_policy(policy)?,
        Arc::from(keydesk_audit::open(&location).await?),
        GuardState::open(&location).await?,
    );
    let service = Arc::new(Service::new(ServiceConfig {
        graph,
        settings: keydesk_ops::Settings::standard(),
        ad: None,
        guard: Arc::new(guard),
        planner: Box::new(keydesk_planner::RulePlanner),
        evidence_dir: dir.path().join("evidence"),
        notifier: None,
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let domain = emu.domain();
    let mut config = ServerConfig::new(&url);
    config.rate_limit_per_second = 1_000_000;
    config.demo = Some(Demo {
        people: vec![DemoPerson {
            upn: format!("MeganB@{domain}"),
            name: "Megan Bowen".into(),
            title: String::new(),
        }],
        emulator_url: running.base_url.clone(),
    });
    let body_limit = config.body_limit;
    let app = keydesk_server::router(
        AppState::new(service.clone(), config),
        Router::new(),
        body_limit,
    );
    tokio::spawn(async move { keydesk_server::serve(listener, app, std::future::pending()).await });

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let signed_in = http
        .post(format!("{url}/auth/demo"))
        .json(&json!({"upn": format!("MeganB@{domain}")}))
        .send()
        .await?;
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .to_string();
    let csrf = signed_in.json::<Value>().await?["csrf"]
        .as_str()
        .unwrap_or("")
        .to_string();

    println!(
        "keydesk serve load test on loopback: {clients} concurrent clients, {seconds} s per phase, SQLite audit log, emulator without latency or throttling"
    );
    let texts = [
        "unlock AlexW",
        "reset the password for IsaiahL",
        "why can't DiegoS sign in",
        "add SarahL to Finance-M365",
        "show me locked accounts in Sales",
    ];
    let (h, u, c, k) = (http.clone(), url.clone(), cookie.clone(), csrf.clone());
    let (mut plan, answers) = run_phase(
        "plan",
        clients,
        seconds,
        Arc::new(move |client, i| {
            h.post(format!("{u}/api/v1/requests"))
                .header("cookie", &c)
                .header("x-csrf-token", &k)
                .json(&json!({"text": texts[(client + i) % texts.len()]}))
        }),
    )
    .await;
    plan.print(clients);
    let planned_ok = answers.iter().filter(|(s, _)| *s == 200).count();

    let targets = Arc::new(targets);
    let (h, u, c, k, t) = (http.clone(), url.clone(), cookie, csrf, targets.clone());
    let (mut execute, answers) = run_phase(
        "execute",
        clients,
        seconds,
        Arc::new(move |client, i| {
            let target = &t[(client * 7919 + i) % t.len()];
            h.post(format!("{u}/api/v1/steps/execute"))
                .header("cookie", &c)
                .header("x-csrf-token", &k)
                .json(&json!({"step": {"action": "revoke_sessions", "target": target}}))
        }),
    )
    .await;
    execute.print(clients);
    let executed = answers
        .iter()
        .filter(|(s, b)| *s == 200 && b["status"] == "done")
        .count();

    // The audit log: one intent and one outcome per executed call, nothing lost or doubled.
    let store = service.guard().audit();
    let mut records = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .records(keydesk_audit::Page {
                after_seq: after,
                limit: 1000,
            })
            .await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        records.extend(page);
    }
    let intents: Vec<_> = records
        .iter()
        .filter(|r| {
            r.event.action == "revoke_sessions" && r.event.kind == keydesk_audit::EventKind::Intent
        })
        .collect();
    let mut outcomes_per_intent: HashMap<uuid::Uuid, usize> = HashMap::new();
    for record in records
        .iter()
        .filter(|r| r.event.kind == keydesk_audit::EventKind::Outcome)
    {
        if let Some(intent) = record.event.intent_id {
            *outcomes_per_intent.entry(intent).or_default() += 1;
        }
    }
    let unclosed = intents
        .iter()
        .filter(|i| outcomes_per_intent.get(&i.id).copied().unwrap_or(0) != 1)
        .count();
    let seqs_contiguous = records
        .iter()
        .enumerate()
        .all(|(i, r)| r.seq == i as i64 + 1);
    let verify = keydesk_audit::verify(store).await?;
    println!(
        "  audit: {} records; {} executed calls, {} intents, {} outcomes; intents without exactly one outcome: {unclosed}; seq contiguous: {seqs_contiguous}; chain verifies: {}",
        records.len(),
        executed,
        intents.len(),
        outcomes_per_intent.values().sum::<usize>(),
        verify.ok
    );
    println!("  plan answers 200: {planned_ok}");
    anyhow::ensure!(executed > 0, "nothing was executed");
    anyhow::ensure!(
        intents.len() == executed,
        "audit intents {} != executed calls {executed}",
        intents.len()
    );
    anyhow::ensure!(unclosed == 0, "{unclosed} intents lack exactly one outcome");
    anyhow::ensure!(
        seqs_contiguous && verify.ok,
        "the audit chain does not verify"
    );
    anyhow::ensure!(
        plan.statuses
            .keys()
            .chain(execute.statuses.keys())
            .all(|s| *s != 0 && *s < 500),
        "server errors or failed connections"
    );
    Ok(())
}
