//! `keydesk investigate` and `keydesk hunt`: evidence, detections and verdict from the tenant
//! (through the guard, evidence preserved and hashed in the audit log) or from a sign-in export
//! file (no tenant read at all); containment through the guardrails; the incident report.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use keydesk_investigate::output::EvidenceRef;
use keydesk_investigate::report::{self, ActionTaken, ReportInput};
use keydesk_investigate::{
    Config, ContainmentPlan, Evidence, Finding, HuntOutput, HuntReport, InvestigateOutput,
    Investigation, Timestamp, Window, model::UserInfo,
};
use keydesk_ops::contain::{self, ContainOptions};
use keydesk_ops::guarded::Subject;
use keydesk_ops::{Outcome, Report, StepStatus};
use serde_json::{Value, json};

use crate::commands::{Ctx, DeliveryArgs, write};
use crate::render;

#[derive(Debug, clap::Args)]
pub struct InvestigateArgs {
    /// The user (UPN, mail or name; a UPN with --signins).
    pub user: String,
    /// How many days back to look (sign-in logs keep 7 or 30 days).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=90))]
    pub days: u32,
    /// Read sign-ins from an export file (Graph's JSON: `{"value":[...]}` or a bare array)
    /// instead of the tenant; keydesk reads no tenant at all.
    #[arg(long, value_name = "FILE", conflicts_with = "contain")]
    pub signins: Option<PathBuf>,
    /// The end of the window (RFC 3339). Default: now, or the newest record of --signins.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Contain the account in the playbook's order, each step through the guardrails
    /// (with --dry-run: show the plan and its policy status).
    #[arg(long)]
    pub contain: bool,
    /// Write the incident report (report.md, report.html, report.json) into this directory.
    #[arg(long, value_name = "DIR")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

#[derive(Debug, clap::Args)]
pub struct HuntArgs {
    /// How many days back to look (default: 7 from the tenant, the whole file with --signins).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=90))]
    pub days: Option<u32>,
    /// Hunt in a sign-in export file instead of the tenant.
    #[arg(long, value_name = "FILE")]
    pub signins: Option<PathBuf>,
    /// The end of the window (RFC 3339). Default: now, or the newest record of --signins.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}

/// Most tenant sign-ins `hunt` reads.
const HUNT_LIMIT: usize = 1_000_000;

fn parse_now(text: Option<&str>) -> anyhow::Result<Option<Timestamp>> {
    text.map(|t| {
        Timestamp::parse(t.trim()).with_context(|| {
            format!("--now {t:?} is not a time; use RFC 3339, e.g. 2026-11-24T09:00:00Z")
        })
    })
    .transpose()
}

fn wall_clock() -> Timestamp {
    Timestamp::from_datetime(time::OffsetDateTime::now_utc())
}

/// `keydesk investigate USER --signins FILE`: the file only.
pub fn investigate_file(args: &InvestigateArgs, json: bool) -> anyhow::Result<u8> {
    let path = args.signins.as_deref().context("--signins is required")?;
    let upn = args.user.trim().to_lowercase();
    if !upn.contains('@') {
        anyhow::bail!("with --signins, name the user by UPN (user@domain), as the file does");
    }
    let (all, stats) = keydesk_investigate::load_sign_ins_file(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let newest = all.iter().map(|s| s.created_date_time).max();
    let now = match parse_now(args.now.as_deref())? {
        Some(now) => now,
        None => newest.with_context(|| format!("{} holds no sign-ins", path.display()))?,
    };
    let window = Window::last_days(now, args.days);
    let sign_ins: Vec<_> = all
        .into_iter()
        .filter(|s| s.user_principal_name.eq_ignore_ascii_case(&upn))
        .collect();
    let evidence = Evidence {
        user: UserInfo {
            user_principal_name: upn.clone(),
            ..UserInfo::default()
        },
        window: Some(window),
        sign_ins,
        gaps: vec![
            "only a sign-in export was read: no risk state, methods, directory audits or grants"
                .into(),
        ],
        ..Evidence::default()
    };
    let evidence_ref = EvidenceRef {
        path: path.display().to_string(),
        sha256: keydesk_investigate::collect::hash_file(path)?,
    };
    let config = Config::standard();
    let investigation = keydesk_investigate::investigate(&evidence, window, &config);
    let plan = keydesk_investigate::plan_containment(&investigation, &evidence, &config);
    let files = match &args.report {
        Some(dir) => write_report(
            dir,
            &investigation,
            &evidence,
            Some(&plan),
            &[],
            &evidence_ref,
        )?,
        None => Vec::new(),
    };
    if json {
        let mut value = serde_json::to_value(InvestigateOutput::new(
            &investigation,
            vec![evidence_ref],
            Some(plan),
        ))?;
        value["records_read"] = json!(stats.records);
        value["report_files"] = json!(files);
        render::print_json(&value);
    } else {
        print_investigation(&investigation, &evidence_ref, None);
        println!(
            "  read {} of {} records in {} for {upn}",
            investigation.sign_ins_in_window, stats.records, evidence_ref.path
        );
        print_plan(&plan);
        print_files(&files);
    }
    Ok(0)
}

/// `keydesk investigate USER` against the tenant.
pub async fn investigate(ctx: &Ctx<'_>, args: &InvestigateArgs) -> anyhow::Result<u8> {
    let json = ctx.common.json;
    let now = parse_now(args.now.as_deref())?.unwrap_or_else(wall_clock);
    let window = Window::last_days(now, args.days);
    let config = Config::standard();
    let home = crate::Home::from_env()?;
    let found = match keydesk_ops::investigate::investigate(
        ctx.ops,
        ctx.guard,
        ctx.actor,
        &args.user,
        window,
        &home.root().join("evidence"),
        &config,
    )
    .await
    {
        Ok(found) => found,
        Err(error) => return Ok(render::error(&error, json)),
    };
    let plan = (args.contain || ctx.common.dry_run).then(|| {
        keydesk_investigate::plan_containment(&found.investigation, &found.evidence, &config)
    });
    let mut containment: Option<Result<Report, keydesk_ops::Error>> = None;
    if let (true, Some(plan)) = (args.contain, &plan) {
        let options = ContainOptions {
            delivery: args.delivery.delivery(),
            tap_lifetime_minutes: config.tap_lifetime_minutes,
            evidence: Some((
                found.evidence_ref.path.clone(),
                found.evidence_ref.sha256.clone(),
            )),
        };
        let (ops, options) = (ctx.ops, &options);
        containment = Some(
            write(ctx, Subject::User, |mode| async move {
                contain::contain(ops, plan, options, &mode).await
            })
            .await,
        );
    }
    let actions = match &containment {
        Some(Ok(report)) if report.outcome != Outcome::Planned => {
            actions_taken(ctx, &found.upn, report).await
        }
        _ => Vec::new(),
    };
    let files = match &args.report {
        Some(dir) => write_report(
            dir,
            &found.investigation,
            &found.evidence,
            plan.as_ref(),
            &actions,
            &found.evidence_ref,
        )?,
        None => Vec::new(),
    };
    let code = match &containment {
        Some(Ok(report)) if report.outcome == Outcome::Failed => render::exit::FAILED,
        Some(Err(keydesk_ops::Error::Refused { .. })) => render::exit::REFUSED,
        Some(Err(_)) => render::exit::FAILED,
        _ => 0,
    };
    if json {
        let mut value = serde_json::to_value(InvestigateOutput::new(
            &found.investigation,
            vec![found.evidence_ref.clone()],
            plan,
        ))?;
        value["evidence_record"] = json!(found.evidence_record);
        value["containment"] = match &containment {
            None => Value::Null,
            Some(Ok(report)) => serde_json::to_value(report)?,
            Some(Err(error)) => {
                json!({"error": {"code": error.code(), "message": error.to_string()}})
            }
        };
        value["report_files"] = json!(files);
        render::print_json(&value);
        return Ok(code);
    }
    print_investigation(
        &found.investigation,
        &found.evidence_ref,
        Some(found.evidence_record),
    );
    match (&containment, &plan) {
        (Some(Ok(report)), _) => {
            println!();
            render::report(report, false);
        }
        (Some(Err(error)), _) => {
            println!();
            render::error(error, false);
        }
        (None, Some(plan)) => print_plan(plan),
        (None, None) if found.investigation.verdict.verdict.as_str() != "clean" => println!(
            "\n  Next: `keydesk investigate {} --contain --dry-run` shows the containment plan.",
            found.upn
        ),
        (None, None) => {}
    }
    print_files(&files);
    Ok(code)
}

/// The executed steps, for the report, each with the audit record that holds them.
async fn actions_taken(ctx: &Ctx<'_>, upn: &str, report: &Report) -> Vec<ActionTaken> {
    let record = ctx
        .guard
        .audit()
        .for_user(upn)
        .await
        .ok()
        .and_then(|records| {
            records.into_iter().rev().find(|r| {
                r.event.action == "contain_compromise"
                    && r.event.kind == keydesk_audit::EventKind::Outcome
            })
        })
        .map(|r| format!("#{} {}", r.seq, &r.hash[..12.min(r.hash.len())]))
        .unwrap_or_else(|| "not recorded".into());
    let now = wall_clock();
    report
        .steps
        .iter()
        .map(|step| ActionTaken {
            at: now,
            action: step.action.clone(),
            target: step.detail.clone(),
            operator: ctx.actor.principal.upn.clone(),
            result: match step.status {
                StepStatus::Done => "succeeded".into(),
                StepStatus::Failed => format!("failed: {}", step.detail),
                StepStatus::Skipped => "skipped".into(),
                StepStatus::Planned => "planned".into(),
            },
            audit_record: record.clone(),
        })
        .collect()
}

fn write_report(
    dir: &Path,
    investigation: &Investigation,
    evidence: &Evidence,
    plan: Option<&ContainmentPlan>,
    actions: &[ActionTaken],
    evidence_ref: &EvidenceRef,
) -> anyhow::Result<Vec<String>> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let generated_at = wall_clock();
    let local = investigation
        .user
        .split('@')
        .next()
        .unwrap_or("user")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>();
    let case_id = format!(
        "KD-{}-{local}",
        generated_at
            .to_rfc3339()
            .get(..10)
            .unwrap_or("")
            .replace('-', "")
    );
    let evidence_files = [evidence_ref.clone()];
    let input = ReportInput {
        case_id: &case_id,
        generated_at,
        investigation,
        evidence,
        plan,
        actions,
        evidence_files: &evidence_files,
    };
    let outputs = [
        ("report.md", report::render_markdown(&input)),
        ("report.html", report::render_html(&input)),
        (
            "report.json",
            serde_json::to_string_pretty(&report::build(&input))?,
        ),
    ];
    let mut written = Vec::new();
    for (name, text) in outputs {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        written.push(path.display().to_string());
    }
    Ok(written)
}

fn print_investigation(investigation: &Investigation, evidence: &EvidenceRef, record: Option<i64>) {
    let verdict = &investigation.verdict;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{}: {} ({}), {} findings, {} to {}",
        investigation.user,
        verdict.verdict.as_str().to_uppercase(),
        serde_json::to_value(verdict.basis)
            .ok()
            .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
            .unwrap_or_default(),
        investigation.findings.len(),
        investigation.window.from,
        investigation.window.to,
    );
    for reason in &verdict.reasoning {
        let _ = writeln!(out, "  {reason}");
    }
    if !investigation.findings.is_empty() {
        let _ = writeln!(out, "\n  Findings:");
    }
    for finding in &investigation.findings {
        print_finding(&mut out, finding);
    }
    let _ = writeln!(
        out,
        "\n  Evidence: {} (sha256 {}){}",
        evidence.path,
        evidence.sha256,
        record
            .map(|seq| format!(", audit record #{seq}"))
            .unwrap_or_default()
    );
}

fn print_finding(out: &mut impl Write, finding: &Finding) {
    let severity = serde_json::to_value(finding.severity)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "    {severity:<8} {:<26} {}",
        finding.kind.as_str(),
        finding.summary
    );
}

fn print_plan(plan: &ContainmentPlan) {
    let mut out = std::io::stdout().lock();
    if plan.steps.is_empty() {
        for note in &plan.notes {
            let _ = writeln!(out, "\n  {note}");
        }
        return;
    }
    let _ = writeln!(
        out,
        "\n  Containment plan ({} steps; run with --contain):",
        plan.steps.len()
    );
    for step in &plan.steps {
        let on = step
            .targets
            .iter()
            .map(|t| t.label.clone().unwrap_or_else(|| t.id.clone()))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "    {}. {:<20} {on}: {}",
            step.order,
            step.action.as_str(),
            step.reason
        );
    }
    for follow_up in &plan.follow_ups {
        let _ = writeln!(out, "  follow-up ({}): {}", follow_up.owner, follow_up.task);
    }
}

fn print_files(files: &[String]) {
    if !files.is_empty() {
        println!("\n  Incident report: {}", files.join(", "));
    }
}

/// `keydesk hunt --signins FILE`.
pub fn hunt_file(args: &HuntArgs, json: bool) -> anyhow::Result<u8> {
    let path = args.signins.as_deref().context("--signins is required")?;
    let (sign_ins, _) = keydesk_investigate::load_hunt_file(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let window = match args.days {
        Some(days) => {
            let now = match parse_now(args.now.as_deref())? {
                Some(now) => now,
                None => sign_ins
                    .iter()
                    .map(|s| s.at)
                    .max()
                    .with_context(|| format!("{} holds no sign-ins", path.display()))?,
            };
            Some(Window::last_days(now, days))
        }
        None => None,
    };
    let report = keydesk_investigate::hunt(&sign_ins, window, &Config::standard());
    print_hunt(&report, json);
    Ok(0)
}

/// `keydesk hunt` against the tenant: a tenant-wide read of sign-ins, authorized and audited.
pub async fn hunt(ctx: &Ctx<'_>, args: &HuntArgs) -> anyhow::Result<u8> {
    let json = ctx.common.json;
    let now = parse_now(args.now.as_deref())?.unwrap_or_else(wall_clock);
    let days = args.days.unwrap_or(7);
    let window = Window::last_days(now, days);
    let request = keydesk_guard::Request {
        principal: ctx.actor.principal.clone(),
        resource: keydesk_policy::Resource::Tenant,
        plan: keydesk_guard::PlannedChange {
            action: keydesk_policy::Action::InvestigateCompromise,
            target: None,
            summary: format!("hunt across the tenant's sign-ins of the last {days} days"),
            steps: vec![("hunt".into(), format!("{} to {}", window.from, window.to))],
        },
        origin: ctx.actor.origin,
        on_behalf_of: ctx.actor.on_behalf_of.clone(),
        profile_fields: Vec::new(),
    };
    let approved = match ctx.guard.authorize(&request).await {
        Ok(keydesk_guard::Authorization::Approved(approved)) => approved,
        Ok(
            keydesk_guard::Authorization::Pending { decision, .. }
            | keydesk_guard::Authorization::Denied { decision },
        ) => {
            return Ok(render::error(
                &keydesk_ops::Error::refused(
                    keydesk_policy::explain(&decision).trim_end().to_string(),
                    "a Security Administrator or Global Administrator hunts across the tenant",
                ),
                json,
            ));
        }
        Err(error) => {
            return Ok(render::error(
                &keydesk_ops::guarded::guard_error(error),
                json,
            ));
        }
    };
    let sign_ins =
        keydesk_investigate::collect_tenant_sign_ins(&ctx.ops.graph, window, HUNT_LIMIT).await;
    let (status, summary) = match &sign_ins {
        Ok(read) => (
            keydesk_audit::OutcomeStatus::Done,
            format!("read {} sign-ins", read.len()),
        ),
        Err(error) => (keydesk_audit::OutcomeStatus::Failed, error.to_string()),
    };
    let report = sign_ins
        .as_ref()
        .ok()
        .map(|read| keydesk_investigate::hunt(read, Some(window), &Config::standard()));
    let completion = keydesk_guard::Completion {
        status,
        summary,
        details: json!({
            "findings": report.as_ref().map(|r| r.findings.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>()),
        }),
        graph_request_ids: Vec::new(),
    };
    if let Err(error) = ctx.guard.complete(approved, completion).await {
        tracing::error!(%error, "the hunt's outcome could not be recorded");
    }
    match (sign_ins, report) {
        (Ok(_), Some(report)) => {
            print_hunt(&report, json);
            Ok(0)
        }
        (Err(error), _) => Ok(render::error(
            &keydesk_ops::Error::refused(
                format!("reading the tenant's sign-ins failed: {error}"),
                "try again, or hunt in an export with --signins FILE",
            ),
            json,
        )),
        (Ok(_), None) => Ok(render::exit::FAILED),
    }
}

fn print_hunt(report: &HuntReport, json: bool) {
    if json {
        render::print_json(&serde_json::to_value(HuntOutput::from(report)).unwrap_or(Value::Null));
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "Hunted {} sign-ins of {} users{}: {} findings.",
        report.sign_ins,
        report.users,
        report
            .window
            .map(|w| format!(" from {} to {}", w.from, w.to))
            .unwrap_or_default(),
        report.findings.len()
    );
    for finding in &report.findings {
        print_finding(&mut out, finding);
        let mut users = finding.users.clone();
        let more = users.len().saturating_sub(8);
        users.truncate(8);
        let _ = writeln!(
            out,
            "             {}{} users: {}{}",
            finding
                .ip
                .as_deref()
                .map(|ip| format!("from {ip}; "))
                .unwrap_or_default(),
            finding.users.len(),
            users.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
}
