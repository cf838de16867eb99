//! The tenant commands: build the operations for the acting principal, confirm before changing
//! anything (a dry run shows the plan first), run, render.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use keydesk_ops::credentials::{self, MfaResetOptions, PasswordResetOptions, TapOptions};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::unlock::{self, Progress, UnlockOptions};
use keydesk_ops::{Mode, Ops, Report, Settings};

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
    let mut settings = Settings::standard();
    settings.sms_gateway = tenant.sms_gateway.clone();
    settings.sender_mailbox = tenant.sender_mailbox.clone();
    Ok(Ops::new(tenant.graph.clone(), settings, actor))
}

/// Runs a change: plan (a dry run), confirm unless `--yes`, record the intent in the audit log
/// (nothing executes if that fails), execute, record the outcome.
pub(crate) async fn write<F, Fut>(
    common: &Common,
    guard: &Guard<'_>,
    run: F,
) -> Result<Report, keydesk_ops::Error>
where
    F: Fn(Mode) -> Fut,
    Fut: std::future::Future<Output = Result<Report, keydesk_ops::Error>>,
{
    let plan = run(Mode::DryRun).await?;
    if common.dry_run || !matches!(plan.outcome, keydesk_ops::Outcome::Planned) {
        return Ok(plan);
    }
    if !common.yes {
        if !std::io::stdin().is_terminal() {
            return Err(keydesk_ops::Error::refused(
                "keydesk changes a tenant only after confirmation",
                "add --yes to confirm, or --dry-run to see the plan",
            ));
        }
        eprintln!("{}", plan.summary);
        for step in &plan.steps {
            eprintln!("  · {:<16} {}", step.action, step.detail);
        }
        eprint!("Proceed? [y/N] ");
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(keydesk_ops::Error::refused(
                "cancelled by the operator",
                "nothing was changed",
            ));
        }
    }
    let intent = crate::audit_cmd::intent(guard.store, guard.ops, &plan).await?;
    let result = run(Mode::Execute).await;
    crate::audit_cmd::outcome(guard.store, &intent, &result).await;
    result
}

/// What a change needs besides the operation: the audit log and who is acting.
pub(crate) struct Guard<'a> {
    pub store: &'a dyn keydesk_audit::AuditStore,
    pub ops: &'a Ops,
}

/// Runs a tenant command and returns the exit code.
pub async fn run(
    tenant: &Tenant,
    store: &dyn keydesk_audit::AuditStore,
    common: &Common,
    command: Command,
) -> anyhow::Result<u8> {
    let ops = ops_for(tenant, common)?;
    let guard = Guard { store, ops: &ops };
    let json = common.json;
    if tenant.is_demo() && !json {
        eprintln!(
            "(demo tenant Contoso, served offline by keydesk's emulator; acting as {})",
            ops.actor
        );
    }
    let result = match command {
        Command::Diagnose { user } => keydesk_ops::diagnose::diagnose_signin(&ops, &user)
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
            Some(path) => return bulk(&ops, &guard, common, path, &args.delivery).await,
            None => {
                let user = args.user.clone().unwrap_or_default();
                let options = UnlockOptions {
                    delivery: args.delivery.delivery(),
                };
                write(common, &guard, |mode| {
                    unlock::unlock_account(&ops, &user, &options, mode)
                })
                .await
            }
        },
        Command::ResetPassword(args) => {
            let options = PasswordResetOptions {
                delivery: args.delivery.delivery(),
                revoke_sessions: args.revoke_sessions,
            };
            write(common, &guard, |mode| {
                credentials::password_reset(&ops, &args.user, &options, mode)
            })
            .await
        }
        Command::MfaReset(args) => {
            let options = MfaResetOptions {
                tap: args.tap.then(|| TapOptions {
                    lifetime_minutes: args.minutes,
                    usable_once: true,
                    delivery: args.delivery.delivery(),
                }),
            };
            write(common, &guard, |mode| {
                credentials::mfa_reset(&ops, &args.user, &options, mode)
            })
            .await
        }
        Command::Tap(args) => {
            let options = TapOptions {
                lifetime_minutes: args.minutes,
                usable_once: args.once,
                delivery: args.delivery.delivery(),
            };
            write(common, &guard, |mode| {
                credentials::issue_tap(&ops, &args.user, &options, mode)
            })
            .await
        }
        Command::Unblock { user } => {
            write(common, &guard, |mode| {
                credentials::unblock_signin(&ops, &user, mode)
            })
            .await
        }
        Command::Revoke { user } => {
            write(common, &guard, |mode| {
                credentials::revoke_sessions(&ops, &user, mode)
            })
            .await
        }
        Command::Disable { user } => {
            write(common, &guard, |mode| {
                credentials::disable_account(&ops, &user, mode)
            })
            .await
        }
        Command::User(command) => crate::directory_cmd::user(&ops, &guard, common, command).await?,
        Command::Group(command) => crate::directory_cmd::group(&ops, &guard, common, command).await,
        Command::Policy(command) => {
            let home = crate::Home::from_env()?;
            return crate::policy_cmd::run(&home, &ops, command, json).await;
        }
        Command::History { user, days } => {
            return crate::audit_cmd::history(store, &ops, &user, days, json).await;
        }
        Command::Roles => keydesk_ops::roles::discover_roles(&ops).await,
        Command::Locked { department, hours } => {
            keydesk_ops::locked::list_locked_accounts(&ops, department.as_deref(), hours).await
        }
        Command::Doctor => keydesk_ops::doctor::doctor(&ops).await,
        Command::Emulator(_) | Command::Demo(_) | Command::Audit(_) => {
            anyhow::bail!("not a tenant command")
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
    ops: &Ops,
    guard: &Guard<'_>,
    common: &Common,
    path: &std::path::Path,
    delivery: &DeliveryArgs,
) -> anyhow::Result<u8> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let inputs: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let mode = if common.dry_run {
        Mode::DryRun
    } else {
        Mode::Execute
    };
    if mode == Mode::Execute && !common.yes {
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
    let intent = if mode == Mode::Execute {
        let mut plan = Report::new("unlock_account", None);
        plan.summary = format!(
            "bulk unlock of {} users from {}",
            inputs.len(),
            path.display()
        );
        plan.details = serde_json::json!({"users": inputs});
        plan.step(
            "bulk_unlock",
            format!("{} users", inputs.len()),
            keydesk_ops::StepStatus::Planned,
        );
        match crate::audit_cmd::intent(guard.store, ops, &plan).await {
            Ok(intent) => Some(intent),
            Err(error) => return Ok(render::error(&error, common.json)),
        }
    } else {
        None
    };
    let result = unlock::bulk_unlock(ops, &inputs, &options, mode, &progress).await;
    if let Some(intent) = &intent {
        let summary = result.as_ref().map(|r| {
            let mut report = Report::new("unlock_account", None);
            report.outcome = if r.failed > 0 {
                keydesk_ops::Outcome::Failed
            } else {
                keydesk_ops::Outcome::Done
            };
            report.summary = format!(
                "{} re-enabled, {} needed nothing, {} refused, {} failed",
                r.enabled, r.already_fine, r.refused, r.failed
            );
            report
        });
        let summary = match summary {
            Ok(report) => Ok(report),
            Err(error) => Err(keydesk_ops::Error::Delivery(error.to_string())),
        };
        crate::audit_cmd::outcome(guard.store, intent, &summary).await;
    }
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
    Ok(if report.failed > 0 {
        render::exit::FAILED
    } else {
        0
    })
}
