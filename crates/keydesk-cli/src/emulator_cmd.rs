//! `keydesk emulator`: serve the Graph emulator in the foreground.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use keydesk_graph_emu::{Emulator, SeedConfig, SimulationConfig, ThrottleConfig};

#[derive(Debug, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Background users besides the demo cast.
    #[arg(long, default_value_t = 300)]
    pub users: usize,
    /// Seed of the background-user generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Latency added to every Graph request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Enforce Graph's throttling budgets (429 with Retry-After).
    #[arg(long)]
    pub throttle: bool,
    /// Compress throttling windows by this factor (1 = Graph's real windows).
    #[arg(long, default_value_t = 1.0)]
    pub throttle_time_scale: f64,
    /// Load the tenant from this state file (and save changes back to it) instead of a fresh demo.
    #[arg(long)]
    pub state: Option<std::path::PathBuf>,
    /// Print the credentials of the demo "keydesk" app (a fresh client secret) as JSON.
    #[arg(long)]
    pub print_credentials: bool,
}

pub async fn run(args: EmulatorArgs) -> anyhow::Result<ExitCode> {
    let seed = SeedConfig {
        background_users: args.users,
        seed: args.seed,
    };
    let simulation = SimulationConfig {
        latency_ms: args.latency_ms,
        throttle: ThrottleConfig {
            enabled: args.throttle,
            time_scale: args.throttle_time_scale,
            ..ThrottleConfig::default()
        },
        ..SimulationConfig::default()
    };
    let emulator = match &args.state {
        Some(path) => Emulator::persistent(path, &seed, simulation)?,
        None => Emulator::demo(&seed, simulation),
    };
    let running = emulator
        .serve(args.listen)
        .await
        .context("starting the emulator")?;
    println!(
        "keydesk Graph emulator for {} (tenant {})",
        emulator.domain(),
        emulator.tenant_id()
    );
    println!("base URL: {}", running.base_url);
    println!("graph:    {}", running.graph_v1());
    if args.print_credentials {
        let secret = emulator
            .add_client_secret(keydesk_graph_emu::seed::apps::KEYDESK_APP_ID, time_days(1))?;
        let credentials = serde_json::json!({
            "tenantId": emulator.tenant_id(),
            "clientId": keydesk_graph_emu::seed::apps::KEYDESK_APP_ID,
            "clientSecret": secret,
            "authorityHost": running.base_url,
            "graphBase": running.graph_v1(),
        });
        println!("credentials: {credentials}");
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    running.shutdown().await?;
    Ok(ExitCode::SUCCESS)
}

fn time_days(days: i64) -> time::Duration {
    time::Duration::days(days)
}
