//! The tenant commands: build the operations for the acting principal, confirm before changing
//! anything (a dry run shows the plan first), run, render.

use std::io::IsTerminal;

use anyhow::Context;
use keydesk_guard::Guard;
use keydesk_ops::credentials::{self, MfaResetOptions, PasswordResetOptions, TapOptions};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::guarded::{self, Actor, Guarded, Subject};
use keydesk_ops::unlock::{self, Progress, UnlockOptions};
use keydesk_ops::{Mode, Ops, Report};

use crate::render;
use crate::tenant::Tenant;
use crate::{Command, Common};

#[derive(Debug, clap::Args)]
pub struct UnlockArgs {
    /// The user (UPN, mail or display name).
    #[arg(required_unless_present = "from_file", conflicts_with = "from_file")]
    pub user: Option<String>,
    /// A file with one user per line (blank lines and `#` comments ignored).
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DeliveryArgs {
    /// Mail the temporary credential to this person (UPN, mail or name); default: the user's manager.
    #[arg(long, value_name = "UPN", conflicts_with_all = ["reveal", "sms"])]
    pub deliver_to: Option<String>,
    /// Show the temporary credential once to the operator instead.
    #[arg(long)]
    pub reveal: bool,
    /// Text it to this phone number through the configured SMS gateway.
    #[arg(long, value_name = "PHONE", conflicts_with = "reveal")]
    pub sms: Option<String>,
}

impl DeliveryArgs {
    pub(crate) fn delivery(&self) -> Delivery {
        match (&self.deliver_to, self.reveal, &self.sms) {
            (_, true, _) => Delivery::Reveal,
            (_, _, Some(phone)) => Delivery::Sms(phone.clone()),
            (Some(to), _, _) if to.eq_ignore_ascii_case("manager") => Delivery::Manager,
            (Some(to), _, _) => Delivery::MailTo(to.clone()),
            (None, false, None) => Delivery::Manager,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ResetArgs {
    pub user: String,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
    /// Also revoke the user's sessions and refresh tokens.
    #[arg(long)]
    pub revoke_sessions: bool,
}

#[derive(Debug, clap::Args)]
pub struct MfaResetArgs {
    pub user: String,
    /// Issue a Temporary Access Pass first, so the user can register again.
    #[arg(long)]
    pub tap: bool,
    /// TAP lifetime in minutes (policy default when absent).
    #[arg(long, value_name = "N")]
    pub minutes: Option<u32>,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

#[derive(Debug, clap::Args)]
pub struct TapArgs {
    pub user: String,
    /// Lifetime in minutes (policy default when absent).
    #[arg(long, value_name = "N")]
    pub minutes: Option<u32>,
    /// One-time use.
    #[arg(long)]
    pub once: bool,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

fn ops_for(tenant: &Tenant, common: &Common) -> anyhow::Result<Ops> {
    let actor = common
        .actor
        .clone()
        .unwrap_or_else(|| tenant.default_actor.clone());
    if actor.is_empty() {
        anyhow::bail!("say who is acting with --as UPN (or set KEYDESK_ACTOR)");
    }
    let ops = Ops::new(tenant.graph.clone(), tenant.settings(), actor);
    Ok(match crate::ad_config::from_env()? {
        Some(ad) => ops.with_ad(ad),
        None => ops,
    })
}

/// What a change needs besides the operation: the guard, who is acting, and the options.
pub(crate) struct Ctx<'a> {
    pub ops: &'a Ops,
    pub guard: &'a Guard,
    pub actor: &'a Actor,
    pub common: &'a Common,
}

/// Runs a change through the guard: plan (a dry run), the policy decision, confirmation unless
/// `--yes`, the audit intent (nothing executes if it can't be written), execution with the
/// guard's capability, the outcome record. A missing approval or verification, or a denial,
/// comes back as a refusal that says what to do next.
pub(crate) async fn write<F, Fut>(
    ctx: &Ctx<'_>,
    subject: Subject,
    op: F,
) -> Result<Report, keydesk_ops::Error>
where
    F: Fn(Mode) -> Fut,
    Fut: std::future::Future<Output = Result<Report, keydesk_ops::Error>>,
{
    let common = ctx.common;
    let interactive = std::io::stdin().is_terminal();
    let confirm = |plan: &Report, _: &keydesk_policy::Decision| -> bool {
        if common.yes {
            return true;
        }
        if !interactive {
            return false;
        }
        eprintln!("{}", plan.summary);
        for step in &plan.steps {
            eprintln!("  · {:<16} {}", step.action, step.detail);
        }
        render::confirm("Proceed? [y/N] ").unwrap_or(false)
    };
    let guarded = guarded::run(
        ctx.ops,
        ctx.guard,
        ctx.actor,
        subject,
        common.dry_run,
        &confirm,
        op,
    )
    .await?;
    match guarded {
        Guarded::Planned(plan) | Guarded::Executed(plan) => Ok(plan),
        Guarded::Declined(_) if !interactive => Err(keydesk_ops::Error::refused(
            "keydesk changes a tenant only after confirmation",
            "add --yes to confirm, or --dry-run to see the plan",
        )),
        Guarded::Declined(_) => Err(keydesk_ops::Error::refused(
            "cancelled by the operator",
            "nothing was changed",
        )),
        Guarded::Pending {
            mut plan,
            decision,
            approval,
        } if common.dry_run => {
            plan.note(format!(
                "policy: {}",
                keydesk_policy::explain(&decision).trim_end()
            ));
            if approval.is_none() {
                plan.note(next_steps(&plan, &decision, None));
            }
            Ok(plan)
        }
        Guarded::Denied { mut plan, decision } if common.dry_run => {
            plan.note(format!(
                "policy: {}",
                keydesk_policy::explain(&decision).trim_end()
            ));
            Ok(plan)
        }
        Guarded::Pending {
            plan,
            decision,
            approval,
        } => Err(keydesk_ops::Error::refused(
            keydesk_policy::explain(&decision).trim_end().to_string(),
            next_steps(&plan, &decision, approval.as_ref()),
        )),
        Guarded::Denied { decision, .. } => Err(keydesk_ops::Error::refused(
            keydesk_policy::explain(&decision).trim_end().to_string(),
            "nothing was changed; the refusal is in the audit log",
        )),
    }
}

/// What the operator does next when an approval or a verification is missing.
fn next_steps(
    plan: &Report,
    decision: &keydesk_policy::Decision,
    approval: Option<&keydesk_guard::state::ApprovalRecord>,
) -> String {
    let target = plan.target.clone().unwrap_or_default();
    let mut steps = Vec::new();
    for missing in &decision.missing {
        match missing {
            keydesk_policy::Missing::Verification { .. } => steps.push(format!(
                "verify the user: `keydesk verify {target}` sends a one-time code to their registered phone or e-mail (or `--method manager`), then `keydesk verify {target} --code CODE`"
            )),
            keydesk_policy::Missing::Approval { from } => match approval {
                Some(approval) => steps.push(format!(
                    "approval {} is waiting for {from}: they run `keydesk approve {} --as THEIR-UPN`",
                    approval.id, approval.id
                )),
                None => steps.push(format!("get an approval from {from}")),
            },
        }
    }
    steps.push("then run the same command again".into());
    steps.join("; ")
}

/// Runs a tenant command and returns the exit code.
pub async fn run(
    tenant: &Tenant,
    guard: &Guard,
    common: &Common,
    command: Command,
) -> anyhow::Result<u8> {
    let mut ops = ops_for(tenant, common)?;
    let json = common.json;
    // Who acts, as the directory knows them: the policy's facts about the principal, and the
    // resolved UPN everywhere the actor is named (reports, the sender of deliveries).
    let actor = match Actor::read(&ops, &ops.actor, keydesk_policy::Origin::Cli).await {
        Ok(actor) => actor,
        Err(error) => return Ok(render::error(&error, json)),
    };
    ops.actor = actor.principal.upn.clone();
    let ctx = Ctx {
        ops: &ops,
        guard,
        actor: &actor,
        common,
    };
    if tenant.is_demo() && !json {
        eprintln!(
            "(demo tenant Contoso, served offline by keydesk's emulator; acting as {})",
            ops.actor
        );
    }
    match command {
        Command::Plan(args) => crate::ask_cmd::plan(&ctx, &args).await,
        Command::Ask(args) => crate::ask_cmd::ask(&ctx, tenant, &args).await,
        command => execute(&ctx, tenant, command).await,
    }
}

/// Runs one tenant command for the acting principal in `ctx`, and returns the exit code.
pub(crate) async fn execute(
    ctx: &Ctx<'_>,
    tenant: &Tenant,
    command: Command,
) -> anyhow::Result<u8> {
    let (ops, guard, actor) = (ctx.ops, ctx.guard, ctx.actor);
    let json = ctx.common.json;
    let store = guard.audit();
    let result = match command {
        Command::Diagnose { user } => keydesk_ops::diagnose::diagnose_signin(ops, &user)
            .await
            .map(|(mut report, _, diagnosis)| {
                if !json {
                    for cause in &diagnosis.causes {
                        report.step(
                            cause.kind.name(),
                            format!(
                                "{} Fix: {}",
                                cause.summary,
                                keydesk_ops::diagnose::fix_sentence(&cause.fix)
                            ),
                            keydesk_ops::StepStatus::Skipped,
                        );
                        for sign_in in cause.evidence.iter().take(5) {
                            report.note(format!(
                                "{} sign-in {} at {} from {} ({}) error {}",
                                cause.kind.name(),
                                sign_in.id,
                                sign_in.at,
                                sign_in.ip_address,
                                [sign_in.city.as_deref(), sign_in.country.as_deref()]
                                    .into_iter()
                                    .flatten()
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                sign_in.error_code
                            ));
                        }
                    }
                }
                report
            }),
        Command::Unlock(args) => match &args.from_file {
            Some(path) => return bulk(ctx, path, &args.delivery).await,
            None => {
                let user = &args.user.clone().unwrap_or_default();
                let options = &UnlockOptions {
                    delivery: args.delivery.delivery(),
                };
                write(ctx, Subject::User, |mode| async move {
                    unlock::unlock_account(ops, user, options, &mode).await
                })
                .await
            }
        },
        Command::ResetPassword(args) => {
            let options = &PasswordResetOptions {
                delivery: args.delivery.delivery(),
                revoke_sessions: args.revoke_sessions,
            };
            let (ops, user) = (ops, &args.user);
            write(ctx, Subject::User, |mode| async move {
                credentials::password_reset(ops, user, options, &mode).await
            })
            .await
        }
        Command::MfaReset(args) => {
            let options = &MfaResetOptions {
                tap: args.tap.then(|| TapOptions {
                    lifetime_minutes: args.minutes,
                    usable_once: true,
                    delivery: args.delivery.delivery(),
                }),
            };
            let (ops, user) = (ops, &args.user);
            write(ctx, Subject::User, |mode| async move {
                credentials::mfa_reset(ops, user, options, &mode).await
            })
            .await
        }
        Command::Tap(args) => {
            let options = &TapOptions {
                lifetime_minutes: args.minutes,
                usable_once: args.once,
                delivery: args.delivery.delivery(),
            };
            let (ops, user) = (ops, &args.user);
            write(ctx, Subject::User, |mode| async move {
                credentials::issue_tap(ops, user, options, &mode).await
            })
            .await
        }
        Command::Unblock { user } => {
            let (ops, user) = (ops, &user);
            write(ctx, Subject::User, |mode| async move {
                credentials::unblock_signin(ops, user, &mode).await
            })
            .await
        }
        Command::Revoke { user } => {
            let (ops, user) = (ops, &user);
            write(ctx, Subject::User, |mode| async move {
                credentials::revoke_sessions(ops, user, &mode).await
            })
            .await
        }
        Command::Disable { user } => {
            let (ops, user) = (ops, &user);
            write(ctx, Subject::User, |mode| async move {
                credentials::disable_account(ops, user, &mode).await
            })
            .await
        }
        Command::User(command) => crate::directory_cmd::user(ctx, command).await?,
        Command::Group(command) => crate::directory_cmd::group(ctx, command).await,
        Command::Verify { user, code, method } => match code {
            Some(code) => keydesk_ops::verify::confirm(ops, guard, actor, &user, &code).await,
            None => {
                let started =
                    keydesk_ops::verify::start(ops, guard, actor, &user, method.channel())
                        .await
                        .map(|mut report| {
                            let upn = report.target.clone().unwrap_or_else(|| user.clone());
                            report.summary = format!(
                                "{} Then run: keydesk verify {upn} --code CODE",
                                report.summary
                            );
                            report
                        });
                // The offline demo has no phones or mailboxes: show what the recipient got, so
                // the walkthrough can go on. Against a real tenant the code is never shown.
                if started.is_ok()
                    && !json
                    && let Some(message) = tenant.demo_last_message().await
                {
                    eprintln!(
                        "(demo) what {} received:\n  {}",
                        message["to"][0].as_str().unwrap_or("the recipient"),
                        message["body"].as_str().unwrap_or("").replace('\n', "\n  ")
                    );
                }
                started
            }
        },
        Command::Approvals { all } => return crate::approvals_cmd::list(guard, all, json).await,
        Command::Approve { id, reason } => {
            return crate::approvals_cmd::decide(guard, actor, &id, true, reason.as_deref(), json)
                .await;
        }
        Command::Deny { id, reason } => {
            return crate::approvals_cmd::decide(guard, actor, &id, false, reason.as_deref(), json)
                .await;
        }
        Command::Policy(command) => {
            let home = crate::Home::from_env()?;
            return crate::policy_cmd::run(&home, ops, command, json).await;
        }
        Command::History { user, days } => {
            return crate::audit_cmd::history(store, ops, &user, days, json).await;
        }
        Command::Roles => keydesk_ops::roles::discover_roles(ops).await,
        Command::Locked { department, hours } => {
            keydesk_ops::locked::list_locked_accounts(ops, department.as_deref(), hours).await
        }
        Command::Doctor => keydesk_ops::doctor::doctor(ops).await,
        Command::Discover(args) => {
            let home = crate::Home::from_env()?;
            return crate::connect_cmd::discover(&home, ops, guard, actor, &args, json).await;
        }
        Command::Investigate(args) => {
            return crate::investigate_cmd::investigate(ctx, &args).await;
        }
        Command::Hunt(args) => return crate::investigate_cmd::hunt(ctx, &args).await,
        Command::Emulator(_)
        | Command::Serve(_)
        | Command::Mcp(_)
        | Command::Connect(_)
        | Command::Demo(_)
        | Command::Audit(_)
        | Command::Plan(_)
        | Command::Ask(_) => {
            anyhow::bail!("not a command that runs on its own here")
        }
    };
    Ok(match result {
        Ok(report) => render::report(&report, json),
        Err(error) => render::error(&error, json),
    })
}

/// A progress bar on stderr (hidden with `--json`).
struct Bar(indicatif::ProgressBar);

impl Progress for Bar {
    fn started(&self, total: usize) {
        self.0.set_length(total as u64);
    }
    fn advanced(&self, done: usize) {
        self.0.set_position(done as u64);
    }
}

async fn bulk(
    ctx: &Ctx<'_>,
    path: &std::path::Path,
    delivery: &DeliveryArgs,
) -> anyhow::Result<u8> {
    let (ops, common) = (ctx.ops, ctx.common);
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let inputs: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let execute = !common.dry_run;
    if execute && !common.yes {
        render::error(
            &keydesk_ops::Error::refused(
                format!("bulk unlock of {} users needs confirmation", inputs.len()),
                "add --yes to confirm, or --dry-run to see the plan",
            ),
            common.json,
        );
        return Ok(render::exit::REFUSED);
    }
    let bar = if common.json {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(inputs.len() as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} users ({eta} left)")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let progress = Bar(bar);
    let options = UnlockOptions {
        delivery: delivery.delivery(),
    };
    // The list as a whole: an approval of it stands in for per-user verification, and each
    // user still gets its own decision, intent and outcome.
    let list_plan = keydesk_guard::PlannedChange {
        action: keydesk_policy::Action::UnlockAccount,
        target: None,
        summary: format!(
            "bulk unlock of {} users from {}",
            inputs.len(),
            path.display()
        ),
        steps: inputs
            .iter()
            .map(|input| ("unlock_account".to_string(), input.to_lowercase()))
            .collect(),
    };
    let bulk_guard = if execute {
        match ctx.guard.begin_bulk(&list_plan).await {
            Ok(run) => Some(guarded::BulkGuard {
                guard: ctx.guard,
                actor: ctx.actor,
                run,
            }),
            Err(error) => return Ok(render::error(&guarded::guard_error(error), common.json)),
        }
    } else {
        None
    };
    let result = unlock::bulk_unlock(ops, &inputs, &options, bulk_guard.as_ref(), &progress).await;
    let report = match result {
        Ok(report) => report,
        Err(error) => return Ok(render::error(&error, common.json)),
    };
    progress.0.finish_and_clear();
    if common.json {
        render::print_json(&serde_json::to_value(&report)?);
    } else {
        println!(
            "Bulk unlock of {} users: {} re-enabled, {} needed nothing, {} refused, {} failed ({} Graph requests).",
            report.items.len(),
            report.enabled,
            report.already_fine,
            report.refused,
            report.failed,
            report.graph_requests
        );
        for item in &report.items {
            println!(
                "  {:<12} {:<40} {}",
                format!("{:?}", item.outcome).to_lowercase(),
                item.user.as_deref().unwrap_or(&item.input),
                item.summary
            );
        }
    }
    let waiting = report
        .items
        .iter()
        .filter(|i| i.outcome == keydesk_ops::Outcome::Refused && i.summary.contains("NEEDS"))
        .count();
    if waiting > 0 && execute {
        match ctx
            .guard
            .request_bulk_approval(&ctx.actor.principal, &list_plan)
            .await
        {
            Ok(approval) => eprintln!(
                "{waiting} users need a verification or an approval. Approval {} for this whole list is waiting for {}: they run `keydesk approve {} --as THEIR-UPN`; then run the same command again (finished users are skipped).",
                approval.id, approval.approvers, approval.id
            ),
            Err(error) => eprintln!("keydesk: the list approval could not be filed: {error}"),
        }
    }
    Ok(if report.failed > 0 {
        render::exit::FAILED
    } else {
        0
    })
}
