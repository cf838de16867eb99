//! The keydesk command line: clap definitions and the glue that runs each command.
//!
//! Business rules live in the libraries; this crate parses arguments, picks the tenant (a
//! configured one, or the embedded emulator) and renders results.

mod ad_config;
mod approvals_cmd;
mod ask_cmd;
mod audit_cmd;
mod commands;
mod connect_cmd;
mod directory_cmd;
mod emulator_cmd;
mod home;
mod investigate_cmd;
mod mcp_cmd;
mod policy_cmd;
mod render;
mod serve_cmd;
mod tenant;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use home::Home;

/// keydesk: an identity helpdesk agent for Microsoft Entra ID.
#[derive(Debug, Parser)]
#[command(name = "keydesk", version, about, long_about = None)]
pub struct Cli {
    /// More logging on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every tenant command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The acting principal (UPN). In the demo: any cast member; default MeganB.
    #[arg(long = "as", global = true, value_name = "UPN")]
    pub actor: Option<String>,
    /// Print one JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Do not ask for confirmation before changing the tenant.
    #[arg(long, short = 'y', global = true)]
    pub yes: bool,
    /// Show the plan; change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// keydesk's state database (audit log): `postgres://...` or a SQLite path. Default: SQLite
    /// in the data directory.
    #[arg(long, global = true, env = "KEYDESK_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask in plain language ("reset MFA for tom, he got a new phone"): the plan, each step's
    /// policy status, one confirmation, then each step through the guardrails.
    Ask(ask_cmd::AskArgs),
    /// Plan a plain-language request without doing anything (`--json`: the typed plan).
    Plan(ask_cmd::AskArgs),
    /// Why can't this user sign in? Causes ranked, with evidence and the fix.
    Diagnose { user: String },
    /// Fix what keeps a user from signing in (re-enable, unblock, reset, TAP), or a list of users.
    Unlock(commands::UnlockArgs),
    /// Reset a password to a generated temporary one, delivered out of band.
    ResetPassword(commands::ResetArgs),
    /// Remove a user's MFA methods so they register again (optionally issuing a TAP first).
    MfaReset(commands::MfaResetArgs),
    /// Issue a Temporary Access Pass.
    Tap(commands::TapArgs),
    /// Dismiss a user's sign-in risk after checking recent sign-ins.
    Unblock { user: String },
    /// Revoke a user's refresh tokens and sessions.
    Revoke { user: String },
    /// Disable an account and revoke its sessions.
    Disable { user: String },
    /// Users: show, search, create, update, photo.
    #[command(subcommand)]
    User(directory_cmd::UserCommand),
    /// Groups: members, add, remove, check, of.
    #[command(subcommand)]
    Group(directory_cmd::GroupCommand),
    /// Directory roles, their members, and the approvers keydesk infers.
    Roles,
    /// Disabled and recently smart-locked accounts.
    Locked {
        #[arg(long)]
        department: Option<String>,
        /// How far back to look for lockouts, in hours.
        #[arg(long, default_value_t = 24)]
        hours: u32,
    },
    /// Connect a real tenant: what the app registration needs, the admin-consent link, the
    /// credential validated with Graph before anything is saved (the secret outside config.json).
    Connect(connect_cmd::ConnectArgs),
    /// Roles and members, groups, enterprise apps and licences; proposes the tenant profile
    /// (helpdesk group, protected accounts) as a diff to accept.
    Discover(connect_cmd::DiscoverArgs),
    /// Which actions will work with the app's permissions and the tenant's licences.
    Doctor,
    /// Is this account compromised? Evidence (preserved and hashed), detections, verdict;
    /// `--contain` runs the containment playbook through the guardrails; `--report` writes the
    /// incident report.
    Investigate(investigate_cmd::InvestigateArgs),
    /// Tenant-wide detections over many users' sign-ins: password spray, credential stuffing,
    /// lockout surges.
    Hunt(investigate_cmd::HuntArgs),
    /// Verify the end user before an unlock or credential change: send a one-time code to their
    /// registered phone or e-mail (or to their manager), then check the code they read back.
    Verify {
        user: String,
        /// The code the user (or manager) read back.
        #[arg(long)]
        code: Option<String>,
        /// Where to send the code.
        #[arg(long, value_enum, default_value_t = approvals_cmd::Method::Auto)]
        method: approvals_cmd::Method,
    },
    /// Approval requests waiting for a second approver (all of them with --all).
    Approvals {
        #[arg(long)]
        all: bool,
    },
    /// Approve a request (as --as; not your own).
    Approve {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Deny a request.
    Deny {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// keydesk's authorization policy: explain a decision, or show the policy in force.
    #[command(subcommand)]
    Policy(policy_cmd::PolicyCommand),
    /// keydesk's audit log: verify the hash chain, export it.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// One timeline of what was done to and by a user: keydesk's records, directory audits, sign-ins.
    History {
        user: String,
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
    /// Serve the offline Graph emulator with the Contoso demo tenant.
    Emulator(emulator_cmd::EmulatorArgs),
    /// Serve keydesk over HTTP: the API (/openapi.json), the web console and MCP.
    Serve(serve_cmd::ServeArgs),
    /// Serve keydesk's MCP tools on stdio, as --as (the action vocabulary plus `ask`), through
    /// the same policy, approvals and audit log.
    Mcp(mcp_cmd::McpArgs),
    /// Manage the embedded demo tenant.
    #[command(subcommand)]
    Demo(DemoCommand),
}

#[derive(Debug, Subcommand)]
pub enum DemoCommand {
    /// Throw away the persisted demo tenant; the next command starts a fresh one.
    Reset,
    /// Show where the demo tenant is kept.
    Where,
}

/// Logging goes to stderr so that `--json` output on stdout stays clean.
pub fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KEYDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let home = Home::from_env()?;
    match cli.command {
        Command::Emulator(args) => emulator_cmd::run(args).await,
        Command::Demo(DemoCommand::Reset) => {
            home.reset_demo()?;
            println!("The demo tenant was reset; the next command starts a fresh Contoso.");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(DemoCommand::Where) => {
            println!("{}", home.demo_tenant_path().display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Connect(args) => connect_cmd::connect(&home, &args, cli.common.json)
            .await
            .map(ExitCode::from),
        // With a sign-in export, keydesk reads no tenant at all.
        Command::Investigate(args) if args.signins.is_some() => {
            investigate_cmd::investigate_file(&args, cli.common.json).map(ExitCode::from)
        }
        Command::Hunt(args) if args.signins.is_some() => {
            investigate_cmd::hunt_file(&args, cli.common.json).map(ExitCode::from)
        }
        Command::Serve(args) => serve_cmd::run(&home, &cli.common, &args)
            .await
            .map(ExitCode::from),
        Command::Mcp(args) => mcp_cmd::run(&home, &cli.common, &args)
            .await
            .map(ExitCode::from),
        Command::Audit(command) => {
            let store = audit_cmd::open(&home, cli.common.database_url.as_deref()).await?;
            audit_cmd::run(store.as_ref(), command, cli.common.json)
                .await
                .map(ExitCode::from)
        }
        command => {
            let guard = approvals_cmd::guard(&home, cli.common.database_url.as_deref()).await?;
            let tenant = tenant::Tenant::connect(&home).await?;
            let result = commands::run(&tenant, &guard, &cli.common, command).await;
            tenant.close().await?;
            result.map(ExitCode::from)
        }
    }
}
