//! `keydesk mcp`: keydesk's MCP server over stdio, for an MCP client that starts keydesk itself.
//!
//! Every tool call is attributed to one principal: `--as UPN` (or `KEYDESK_ACTOR`; on the demo
//! tenant the default is MeganB, like every command), and goes through the same policy,
//! approvals and audit log as the command line, with the origin `mcp`. stdout carries only the
//! protocol; logging goes to stderr. A temporary credential goes out of band: over stdio there is
//! no person to show it to, so `reveal` is refused (see `keydesk_server::mcp`).

use anyhow::Context;
use keydesk_policy::Origin;
use keydesk_server::mcp::KeydeskMcp;
use rmcp::ServiceExt;

use crate::home::Home;
use crate::tenant::Tenant;
use crate::{Common, approvals_cmd, serve_cmd};

#[derive(Debug, clap::Args)]
pub struct McpArgs {}

pub async fn run(home: &Home, common: &Common, _args: &McpArgs) -> anyhow::Result<u8> {
    let guard = approvals_cmd::guard(home, common.database_url.as_deref()).await?;
    let tenant = Tenant::connect(home).await?;
    let result = serve(home, common, &tenant, guard).await;
    tenant.close().await?;
    result
}

async fn serve(
    home: &Home,
    common: &Common,
    tenant: &Tenant,
    guard: keydesk_guard::Guard,
) -> anyhow::Result<u8> {
    let principal = common
        .actor
        .clone()
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(|| tenant.default_actor.clone());
    if principal.is_empty() {
        anyhow::bail!("say who the MCP client acts as with --as UPN (or set KEYDESK_ACTOR)");
    }
    // No links to show over stdio: the public URL only words webhook notifications.
    let public_url = std::env::var("KEYDESK_PUBLIC_URL").unwrap_or_default();
    let service = serve_cmd::service(home, tenant, guard, &public_url).await?;
    // Fail now, not on the first call, when the principal is not in the directory.
    service
        .actor(&principal, Origin::Mcp)
        .await
        .with_context(|| format!("the MCP principal {principal}"))?;
    tracing::info!(%principal, "keydesk MCP server on stdio");
    let running = KeydeskMcp::stdio(service, &principal)
        .serve(rmcp::transport::stdio())
        .await
        .context("starting the MCP session on stdio")?;
    running.waiting().await.context("serving MCP on stdio")?;
    Ok(0)
}
