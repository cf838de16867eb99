//! `keydesk serve`: the HTTP server (API, console, MCP) on the configured tenant, or on the demo
//! tenant with the demo sign-in.
//!
//! Settings (environment): `KEYDESK_SESSION_KEY` (32+ characters; instances behind one address
//! share it, else sessions end with the process), `KEYDESK_API_AUDIENCE` (accept Entra ID bearer
//! tokens for this audience; with `KEYDESK_TENANT_ID` and `KEYDESK_AUTHORITY_HOST`),
//! `KEYDESK_WEBHOOK_URL` and `KEYDESK_WEBHOOK_FORMAT` (`teams` or `slack`) for approval
//! notifications, `KEYDESK_RATE_LIMIT` (requests per second per client, default 20),
//! `KEYDESK_JOB_LEASE_SECONDS` (how long a claimed bulk-job item stays this instance's without
//! renewal, default 30: after an instance dies, its items go to the others once this passes) and
//! `KEYDESK_JOB_CONCURRENCY` (job items worked on at once, default 4; 0 runs no worker).
//!
//! Every instance runs a job worker on the shared database (`keydesk_service::jobs`); on Ctrl-C
//! or SIGTERM the server stops taking requests and the worker finishes the items in hand.
//!
//! MCP (streamable HTTP) is served at `/mcp`. Each call is attributed to the authenticated caller
//! (an Entra ID bearer token, or a console session with its CSRF header); a request with neither
//! is refused (401) unless `KEYDESK_MCP_PRINCIPAL` names the person such requests act as (only
//! for a local, trusted deployment: anyone who can reach `/mcp` then acts as that person).
//! `KEYDESK_MCP_ALLOWED_HOSTS` lists the `Host` names `/mcp` accepts (comma-separated; `*` for
//! any); by default only loopback names (`localhost`, `127.0.0.1`, `::1`), which protects a local
//! server from DNS rebinding: a deployment reached by another name must list it.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use keydesk_server::{AppState, Demo, DemoPerson, ServerConfig, SessionKey};
use keydesk_service::jobs::WorkerConfig;
use keydesk_service::notify::{Format, Notifier};
use keydesk_service::{Service, ServiceConfig};

use crate::home::Home;
use crate::tenant::Tenant;
use crate::{Common, approvals_cmd};

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The address people reach this server at (links in notifications and reveals).
    #[arg(long, value_name = "URL", env = "KEYDESK_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// The demo tenant's cast (demo-tenant.md), offered by the demo sign-in.
const CAST: &[&str] = &[
    "MeganB",
    "LeeG",
    "PattiF",
    "NestorW",
    "MiriamG",
    "AlexW",
    "AdeleV",
    "DiegoS",
    "IsaiahL",
    "ShaneO",
    "JohannaL",
    "GradyA",
    "HenriettaM",
    "DavidP",
    "AliceC",
    "LidiaH",
    "john.smith",
    "jsmith",
    "IrvinS",
    "SarahL",
    "TomB",
    "LynneR",
    "JoniS",
];

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The service for `tenant` with `guard`.
pub async fn service(
    home: &Home,
    tenant: &Tenant,
    guard: keydesk_guard::Guard,
    public_url: &str,
) -> anyhow::Result<Arc<Service>> {
    let notifier = match env("KEYDESK_WEBHOOK_URL") {
        Some(url) => {
            let format: Format = env("KEYDESK_WEBHOOK_FORMAT")
                .unwrap_or_else(|| "teams".into())
                .parse()
                .map_err(|e: String| anyhow::anyhow!(e))?;
            let url = url.parse().context("KEYDESK_WEBHOOK_URL is not a URL")?;
            Some(Notifier::new(url, format, public_url).map_err(|e| anyhow::anyhow!(e))?)
        }
        None => None,
    };
    Ok(Arc::new(Service::new(ServiceConfig {
        graph: tenant.graph.clone(),
        settings: tenant.settings(),
        ad: crate::ad_config::from_env()?,
        guard: Arc::new(guard),
        planner: crate::ask_cmd::planner()?,
        evidence_dir: home.root().join("evidence"),
        notifier,
    })))
}

/// How `/mcp` is served (`KEYDESK_MCP_PRINCIPAL`, `KEYDESK_MCP_ALLOWED_HOSTS`).
fn mcp_config() -> keydesk_server::mcp::McpHttpConfig {
    keydesk_server::mcp::McpHttpConfig {
        principal: env("KEYDESK_MCP_PRINCIPAL"),
        allowed_hosts: env("KEYDESK_MCP_ALLOWED_HOSTS").map(|hosts| {
            if hosts.trim() == "*" {
                Vec::new()
            } else {
                hosts
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(str::to_string)
                    .collect()
            }
        }),
    }
}

/// The demo sign-in's people, as the directory names them.
pub async fn demo(tenant: &Tenant) -> Option<Demo> {
    let domain = tenant.default_actor.split('@').nth(1)?.to_string();
    let mut people = Vec::new();
    for local in CAST {
        let upn = format!("{local}@{domain}");
        if let Ok(user) = tenant
            .graph
            .get_user(&upn, &["displayName", "jobTitle", "userPrincipalName"])
            .await
        {
            people.push(DemoPerson {
                upn: user.user_principal_name.unwrap_or(upn),
                name: user.display_name.unwrap_or_default(),
                title: user.job_title.unwrap_or_default(),
            });
        }
    }
    Some(Demo {
        people,
        emulator_url: tenant.emulator_url()?,
    })
}

pub async fn run(home: &Home, common: &Common, args: &ServeArgs) -> anyhow::Result<u8> {
    let guard = approvals_cmd::guard(home, common.database_url.as_deref()).await?;
    let tenant = Tenant::connect(home).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let local = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let service = service(home, &tenant, guard, &public_url).await?;
    let mut config = ServerConfig::new(&public_url);
    if let Some(key) = env("KEYDESK_SESSION_KEY") {
        config.session_key = SessionKey::from_secret(&key)
            .map_err(|e| anyhow::anyhow!("KEYDESK_SESSION_KEY: {e}"))?;
    }
    if let Some(audience) = env("KEYDESK_API_AUDIENCE") {
        let tenant_id =
            env("KEYDESK_TENANT_ID").context("KEYDESK_API_AUDIENCE needs KEYDESK_TENANT_ID")?;
        let authority = env("KEYDESK_AUTHORITY_HOST")
            .unwrap_or_else(|| "https://login.microsoftonline.com".into());
        config.bearer = Some(keydesk_server::BearerValidator::entra(
            &authority, &tenant_id, &audience,
        ));
    }
    if let Some(redirect) = env("KEYDESK_OIDC_REDIRECT_URL") {
        let tenant_id = env("KEYDESK_TENANT_ID")
            .context("KEYDESK_OIDC_REDIRECT_URL needs KEYDESK_TENANT_ID")?;
        let client_id = env("KEYDESK_OIDC_CLIENT_ID")
            .or_else(|| env("KEYDESK_CLIENT_ID"))
            .context(
                "KEYDESK_OIDC_REDIRECT_URL needs KEYDESK_OIDC_CLIENT_ID or KEYDESK_CLIENT_ID",
            )?;
        let secret = env("KEYDESK_OIDC_CLIENT_SECRET")
            .or_else(|| env("KEYDESK_CLIENT_SECRET"))
            .context("KEYDESK_OIDC_REDIRECT_URL needs KEYDESK_OIDC_CLIENT_SECRET or KEYDESK_CLIENT_SECRET")?;
        let authority = env("KEYDESK_AUTHORITY_HOST")
            .unwrap_or_else(|| "https://login.microsoftonline.com".into());
        config.oidc = Some(keydesk_server::oidc::OidcConfig::new(
            &authority,
            &tenant_id,
            &client_id,
            keydesk_service::Secret::new(secret),
            &redirect,
        ));
    }
    if let Some(rate) = env("KEYDESK_RATE_LIMIT") {
        config.rate_limit_per_second = rate
            .parse()
            .with_context(|| format!("KEYDESK_RATE_LIMIT is '{rate}', not a number"))?;
    }
    if tenant.is_demo() {
        config.demo = demo(&tenant).await;
    }
    let body_limit = config.body_limit;
    let lease = match env("KEYDESK_JOB_LEASE_SECONDS") {
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|s| *s >= 1)
            .with_context(|| {
                format!(
                    "KEYDESK_JOB_LEASE_SECONDS is '{text}', not a number of seconds (1 or more)"
                )
            })?,
        None => 30,
    };
    let mut worker_config = WorkerConfig::new(std::time::Duration::from_secs(lease));
    if let Some(text) = env("KEYDESK_JOB_CONCURRENCY") {
        worker_config.concurrency = text
            .parse()
            .with_context(|| format!("KEYDESK_JOB_CONCURRENCY is '{text}', not a number"))?;
    }
    let instance = worker_config.instance.clone();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = (worker_config.concurrency > 0)
        .then(|| keydesk_service::jobs::spawn_worker(service.clone(), worker_config, stopped));
    let state = AppState::new(service, config);
    let mcp = keydesk_server::mcp::mcp_routes(state.clone(), mcp_config());
    let app = keydesk_server::router(state, mcp, body_limit);
    eprintln!(
        "keydesk serving {} on {public_url}{}",
        if tenant.is_demo() {
            "the demo tenant Contoso"
        } else {
            "the configured tenant"
        },
        if tenant.is_demo() {
            " (demo sign-in: any cast member)"
        } else {
            ""
        }
    );
    if worker.is_some() {
        eprintln!("keydesk job worker {instance} (lease {lease}s)");
    }
    // Print the address on stdout for scripts that start keydesk on port 0.
    println!("{public_url}");
    let served = keydesk_server::serve(listener, app, async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    })
    .await
    .context("serving");
    // The worker stops when the server does (or when the sender is gone after an error).
    if let Some(worker) = worker
        && let Err(error) = worker.await
    {
        eprintln!("keydesk: the job worker ended abnormally: {error}");
    }
    served?;
    tenant.close().await?;
    Ok(0)
}

/// Ctrl-C, or SIGTERM where there is one.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
