//! keydesk's own audit trail at the edge: opening the log, wrapping every change in an intent
//! record (written before anything executes; if it cannot be written nothing executes) and an
//! outcome record, and the `audit verify|export` and `history` commands.

use anyhow::Context;
use keydesk_audit::{AuditStore, ExportFormat};
use keydesk_ops::{Ops, Report};
use serde_json::json;

use crate::home::Home;
use crate::render;

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain: edited, deleted, inserted or reordered records, and intents
    /// without outcomes (interrupted actions).
    Verify,
    /// Export every record.
    Export {
        #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
        format: String,
    },
}

/// Where keydesk's state lives: `--database-url` / `KEYDESK_DATABASE_URL`, else SQLite in the
/// data directory.
pub fn location(home: &Home, database_url: Option<&str>) -> anyhow::Result<String> {
    Ok(match database_url {
        Some(url) => url.to_string(),
        None => {
            std::fs::create_dir_all(home.root())
                .with_context(|| format!("creating {}", home.root().display()))?;
            keydesk_audit::default_path(home.root())
                .display()
                .to_string()
        }
    })
}

/// Opens the audit log at [`location`].
pub async fn open(home: &Home, database_url: Option<&str>) -> anyhow::Result<Box<dyn AuditStore>> {
    keydesk_audit::open(&location(home, database_url)?)
        .await
        .context("opening the audit log")
}

pub async fn run(
    store: &dyn AuditStore,
    command: AuditCommand,
    json_output: bool,
) -> anyhow::Result<u8> {
    match command {
        AuditCommand::Verify => {
            let report = keydesk_audit::verify(store).await?;
            if json_output {
                render::print_json(&serde_json::to_value(&report)?);
            } else {
                println!(
                    "{} records checked: {}.",
                    report.records_checked,
                    if report.problems.is_empty() {
                        "the chain is intact"
                    } else {
                        "TAMPERING DETECTED"
                    }
                );
                for problem in &report.problems {
                    println!(
                        "  ✗ record {}: {:?} — {}",
                        problem.seq, problem.kind, problem.detail
                    );
                }
                for open in &report.intents_without_outcome {
                    println!("  ! interrupted: {open:?}");
                }
                if let Some(head) = &report.head {
                    println!("  head: record {} {}", head.seq, head.hash);
                }
            }
            Ok(if report.problems.is_empty() {
                0
            } else {
                render::exit::FAILED
            })
        }
        AuditCommand::Export { format } => {
            let format: ExportFormat = format
                .parse()
                .map_err(|_| anyhow::anyhow!("format must be jsonl or csv"))?;
            let mut out = std::io::stdout();
            keydesk_audit::export(store, format, &mut out).await?;
            Ok(0)
        }
    }
}

/// One timeline of what was done to and by a user: keydesk's records, the tenant's directory
/// audits, and sign-ins.
pub async fn history(
    store: &dyn AuditStore,
    ops: &Ops,
    query: &str,
    days: i64,
    json_output: bool,
) -> anyhow::Result<u8> {
    let user = match keydesk_ops::resolve::user(&ops.graph, query).await {
        Ok(user) => user,
        Err(error) => return Ok(render::error(&error, json_output)),
    };
    let upn = keydesk_ops::resolve::upn(&user);
    let days = days.clamp(1, keydesk_service::history::MAX_DAYS);
    let events = keydesk_service::history::timeline(store, &ops.graph, &user, days).await?;
    let mut report = Report::new("history", Some(&upn));
    report.summary = format!(
        "{} events for {upn} in the last {days} days (keydesk, directory audits, sign-ins).",
        events.len()
    );
    report.details = json!({"events": events});
    Ok(render::report(&report, json_output))
}
