//! `keydesk plan` and `keydesk ask`: a plain-language request → keydesk-planner's typed plan on
//! the tenant's directory. `plan` only shows it (no side effects); `ask` shows each step with
//! its policy status, asks once, and runs each step as the equivalent keydesk command — so a
//! step goes through exactly the same guardrails, approvals and audit as the command would.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use keydesk_graph::model::{Group, User};
use keydesk_graph::odata::Query;
use keydesk_guard::{PlannedChange, Request};
use keydesk_ops::{facts, resolve};
use keydesk_planner::{
    Action, Attachment, GroupEntry, MemoryDirectory, ModelConfig, ModelPlanner, Person, Plan,
    Planner, RulePlanner, Step,
};
use keydesk_policy::{Effect, Resource};
use serde_json::Value;

use crate::commands::{Ctx, execute};
use crate::render;
use crate::tenant::Tenant;
use crate::{Cli, Common};

#[derive(Debug, clap::Args)]
pub struct AskArgs {
    /// The request, in plain language (quote it, or give it as several words).
    #[arg(required = true, value_name = "REQUEST")]
    pub request: Vec<String>,
    /// A file to go with the request: a list of people (text) or a photo (JPEG/PNG). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
}

/// The most users and groups read into the planner's directory snapshot.
const DIRECTORY_LIMIT: usize = 250_000;

/// The tenant's people and groups, as the planner resolves names against them.
async fn directory(ctx: &Ctx<'_>) -> Result<MemoryDirectory, keydesk_ops::Error> {
    let graph = &ctx.ops.graph;
    let user_query = Query::default()
        .select([
            "id",
            "userPrincipalName",
            "displayName",
            "givenName",
            "surname",
            "mail",
            "mailNickname",
            "department",
            "jobTitle",
        ])
        .top(999);
    let group_query = Query::default()
        .select(["id", "displayName", "mailNickname"])
        .top(999);
    let users = graph.list_users(&user_query);
    let groups = graph.collect_query::<Group>("groups", &group_query);
    let (users, groups) = futures::join!(users, groups);
    let people = users?
        .into_iter()
        .take(DIRECTORY_LIMIT)
        .filter_map(person)
        .collect();
    let groups = groups?
        .into_iter()
        .take(DIRECTORY_LIMIT)
        .filter_map(|g| {
            Some(GroupEntry {
                display_name: g.display_name?,
                mail_nickname: g.mail_nickname,
            })
        })
        .collect();
    Ok(MemoryDirectory::new(people, groups))
}

fn person(user: User) -> Option<Person> {
    Some(Person {
        upn: user.user_principal_name?,
        display_name: user.display_name.unwrap_or_default(),
        given_name: user.given_name,
        surname: user.surname,
        mail: user.mail,
        mail_nickname: user.mail_nickname,
        department: user.department,
        job_title: user.job_title,
        city: None,
    })
}

/// The configured planner: a model endpoint when `KEYDESK_PLANNER_URL` is set, else the
/// deterministic engine.
pub(crate) fn planner() -> anyhow::Result<Box<dyn Planner>> {
    let Some(url) = std::env::var("KEYDESK_PLANNER_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        return Ok(Box::new(RulePlanner));
    };
    let api_key = std::env::var("KEYDESK_PLANNER_API_KEY")
        .ok()
        .filter(|k| !k.is_empty());
    let azure = url.contains(".openai.azure.com");
    let config = ModelConfig {
        url,
        model: std::env::var("KEYDESK_PLANNER_MODEL").unwrap_or_else(|_| "gpt-4o-mini".into()),
        api_key,
        api_key_header: if azure {
            keydesk_planner::ApiKeyHeader::AzureApiKey
        } else {
            keydesk_planner::ApiKeyHeader::Bearer
        },
        timeout: std::time::Duration::from_secs(30),
    };
    Ok(Box::new(
        ModelPlanner::new(config).context("configuring the model planner")?,
    ))
}

async fn make_plan(ctx: &Ctx<'_>, args: &AskArgs) -> anyhow::Result<Result<Plan, u8>> {
    let text = args.request.join(" ");
    let mut request = keydesk_planner::Request::new(&ctx.actor.principal.upn, &text);
    for path in &args.attach {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        request
            .attachments
            .push(Attachment::from_bytes(&path.display().to_string(), &bytes));
    }
    let directory = match directory(ctx).await {
        Ok(directory) => directory,
        Err(error) => return Ok(Err(render::error(&error, ctx.common.json))),
    };
    let plan = planner()?
        .plan(&request, &directory)
        .await
        .context("planning the request")?;
    Ok(Ok(plan))
}

/// `keydesk plan`: the plan only.
pub(crate) async fn plan(ctx: &Ctx<'_>, args: &AskArgs) -> anyhow::Result<u8> {
    let plan = match make_plan(ctx, args).await? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    if ctx.common.json {
        render::print_json(&serde_json::to_value(&plan)?);
    } else {
        print_plan(&plan, None);
    }
    Ok(exit_code(&plan))
}

fn exit_code(plan: &Plan) -> u8 {
    match (&plan.clarification, plan.steps.is_empty()) {
        (Some(_), _) => render::exit::UNRESOLVED,
        (None, true) => render::exit::REFUSED,
        (None, false) => 0,
    }
}

fn print_plan(plan: &Plan, statuses: Option<&[String]>) {
    let mut out = std::io::stdout().lock();
    if let Some(clarification) = &plan.clarification {
        let _ = writeln!(out, "{}", clarification.question);
        for candidate in &clarification.candidates {
            let _ = writeln!(out, "  - {candidate}");
        }
        return;
    }
    if plan.steps.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            plan.explanation
                .as_deref()
                .unwrap_or("Nothing to do for this request.")
        );
        return;
    }
    let _ = writeln!(
        out,
        "Plan for {} ({} steps):",
        plan.requester,
        plan.steps.len()
    );
    for (i, step) in plan.steps.iter().enumerate() {
        let params = if step.params.is_empty() {
            String::new()
        } else {
            format!(" {}", Value::Object(step.params.clone()))
        };
        let _ = writeln!(
            out,
            "  {}. {:<22} {}{params}",
            i + 1,
            step.action.as_str(),
            step.target.as_deref().unwrap_or("")
        );
        if let Some(status) = statuses.and_then(|s| s.get(i)) {
            let _ = writeln!(out, "     policy: {status}");
        }
    }
    if let Some(explanation) = &plan.explanation {
        let _ = writeln!(out, "  note: {explanation}");
    }
}

/// The policy's answer for a step, as the guard would give it now.
async fn status(ctx: &Ctx<'_>, step: &Step) -> (Option<Effect>, String) {
    let Ok(action) = policy_action(step)
        .as_str()
        .parse::<keydesk_policy::Action>()
    else {
        return (None, "not a policy action".into());
    };
    let resource = match resource(ctx, step).await {
        Ok(resource) => resource,
        Err(error) => return (Some(Effect::Deny), error.to_string()),
    };
    let request = Request {
        principal: ctx.actor.principal.clone(),
        resource,
        plan: PlannedChange {
            action,
            target: step.target.clone(),
            summary: format!(
                "{} {}",
                step.action.as_str(),
                step.target.as_deref().unwrap_or("")
            ),
            steps: Vec::new(),
        },
        origin: ctx.actor.origin,
        on_behalf_of: ctx.actor.on_behalf_of.clone(),
        profile_fields: step
            .params
            .keys()
            .filter(|k| {
                matches!(
                    k.as_str(),
                    "mobilePhone"
                        | "businessPhones"
                        | "officeLocation"
                        | "jobTitle"
                        | "department"
                        | "displayName"
                )
            })
            .cloned()
            .collect(),
    };
    match ctx.guard.check(&request).await {
        Ok(decision) => {
            let why = decision.reasons.first().cloned().unwrap_or_default();
            let text = match decision.effect {
                Effect::Allow => "allowed".to_string(),
                Effect::Deny => format!("DENIED — {why}"),
                Effect::NeedsApproval => format!("needs approval — {why}"),
                Effect::NeedsVerification => format!("needs verification of the user — {why}"),
            };
            (Some(decision.effect), text)
        }
        Err(error) => (Some(Effect::Deny), format!("cannot be evaluated: {error}")),
    }
}

async fn resource(ctx: &Ctx<'_>, step: &Step) -> Result<Resource, keydesk_ops::Error> {
    let ops = ctx.ops;
    let group = step.params.get("group").and_then(Value::as_str);
    match (step.action, group, step.target.as_deref()) {
        (
            Action::GrantAccess
            | Action::RemoveAccess
            | Action::RequestAccess
            | Action::CheckMembership
            | Action::ListGroupMembers,
            Some(group),
            _,
        ) => {
            let group = resolve::group(&ops.graph, group).await?;
            facts::group_resource(ops, &group).await
        }
        (Action::CreateUser, _, _) | (_, _, None) => Ok(Resource::Tenant),
        (_, _, Some(target)) => {
            let user = resolve::user(&ops.graph, target).await?;
            facts::user_resource(ops, &user).await
        }
    }
}

/// A person's directory roles are part of their profile: `discover_roles` about one person is
/// `show_user` (an employee may see their own; the tenant-wide role list is for staff).
fn policy_action(step: &Step) -> Action {
    match (step.action, &step.target) {
        (Action::DiscoverRoles, Some(_)) => Action::ShowUser,
        (action, _) => action,
    }
}

/// The keydesk command line that performs `step`.
fn command_line(step: &Step) -> Result<Vec<String>, String> {
    let target = || {
        step.target
            .clone()
            .ok_or_else(|| format!("{} needs a person", step.action.as_str()))
    };
    let text = |key: &str| -> Option<String> {
        match step.params.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => items.first().and_then(Value::as_str).map(str::to_string),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    let flag = |key: &str| step.params.get(key).and_then(Value::as_bool) == Some(true);
    let group = || text("group").ok_or_else(|| format!("{} needs a group", step.action.as_str()));
    let mut line: Vec<String> = Vec::new();
    let mut push = |items: &[&str]| line.extend(items.iter().map(|s| s.to_string()));
    let opt = |line: &mut Vec<String>, name: &str, value: Option<String>| {
        if let Some(value) = value {
            line.push(name.to_string());
            line.push(value);
        }
    };
    match step.action {
        Action::DiagnoseSignin => push(&["diagnose", &target()?]),
        Action::UnlockAccount => push(&["unlock", &target()?]),
        Action::PasswordReset => {
            push(&["reset-password", &target()?]);
            if flag("revoke_sessions") {
                line.push("--revoke-sessions".into());
            }
        }
        Action::MfaReset => {
            push(&["mfa-reset", &target()?, "--tap"]);
            opt(&mut line, "--minutes", text("lifetime_minutes"));
        }
        Action::IssueTap => {
            push(&["tap", &target()?, "--once"]);
            opt(&mut line, "--minutes", text("lifetime_minutes"));
        }
        Action::UnblockSignin => push(&["unblock", &target()?]),
        Action::RevokeSessions => push(&["revoke", &target()?]),
        Action::DisableAccount => push(&["disable", &target()?]),
        Action::CreateUser => {
            let name = text("displayName")
                .or_else(|| text("name"))
                .or_else(|| step.target.as_deref().map(name_from_upn))
                .ok_or("creating a user needs a display name")?;
            push(&["user", "create", "--name", &name]);
            opt(&mut line, "--upn", step.target.clone());
            opt(&mut line, "--department", text("department"));
            opt(&mut line, "--job-title", text("jobTitle"));
            opt(&mut line, "--manager", text("manager"));
            opt(&mut line, "--office", text("officeLocation"));
            opt(&mut line, "--mobile", text("mobilePhone"));
        }
        Action::ShowUser => push(&["user", "show", &target()?]),
        Action::SearchUsers => {
            push(&["user", "search"]);
            if let Some(name) = text("name") {
                line.push(name);
            }
            opt(&mut line, "--department", text("department"));
            opt(&mut line, "--job-title", text("jobTitle"));
        }
        Action::UpdateUserProfile => {
            push(&["user", "update", &target()?]);
            opt(&mut line, "--mobile", text("mobilePhone"));
            opt(&mut line, "--phone", text("businessPhones"));
            opt(&mut line, "--office", text("officeLocation"));
            opt(&mut line, "--job-title", text("jobTitle"));
            opt(&mut line, "--department", text("department"));
            opt(&mut line, "--display-name", text("displayName"));
        }
        Action::UpdatePhoto => {
            let photo = text("photo").ok_or("a photo update needs an attached image")?;
            push(&["user", "photo", &target()?, &photo]);
        }
        Action::ListLockedAccounts => {
            push(&["locked"]);
            opt(&mut line, "--department", text("department"));
        }
        Action::GrantAccess => push(&["group", "add", &target()?, &group()?]),
        Action::RemoveAccess => push(&["group", "remove", &target()?, &group()?]),
        Action::RequestAccess => push(&["group", "request", &group()?, "--user", &target()?]),
        Action::CheckMembership => push(&["group", "check", &target()?, &group()?]),
        Action::ListGroupMembers => push(&["group", "members", &group()?]),
        Action::ListUserGroups => push(&["group", "of", &target()?]),
        Action::DiscoverRoles => match &step.target {
            Some(person) => push(&["user", "show", person]),
            None => push(&["roles"]),
        },
        Action::InvestigateCompromise => {
            push(&["investigate", &target()?]);
            opt(&mut line, "--days", text("days"));
            if flag("contain") {
                line.push("--contain".into());
            }
        }
    }
    if matches!(
        step.action,
        Action::UnlockAccount
            | Action::PasswordReset
            | Action::MfaReset
            | Action::IssueTap
            | Action::CreateUser
    ) {
        opt(&mut line, "--deliver-to", text("deliver_to"));
    }
    Ok(line)
}

/// `keydesk ask`: plan, show the policy status of each step, confirm once, run each step.
pub(crate) async fn ask(ctx: &Ctx<'_>, tenant: &Tenant, args: &AskArgs) -> anyhow::Result<u8> {
    if ctx.common.json {
        anyhow::bail!(
            "`keydesk ask` talks to a person; use `keydesk plan --json` for the plan as JSON"
        );
    }
    let plan = match make_plan(ctx, args).await? {
        Ok(plan) => plan,
        Err(code) => return Ok(code),
    };
    if plan.clarification.is_some() || plan.steps.is_empty() {
        print_plan(&plan, None);
        return Ok(exit_code(&plan));
    }
    let mut statuses = Vec::new();
    let mut effects = Vec::new();
    for step in &plan.steps {
        let (effect, text) = status(ctx, step).await;
        effects.push(effect);
        statuses.push(text);
    }
    print_plan(&plan, Some(&statuses));
    let runnable: Vec<usize> = (0..plan.steps.len())
        .filter(|&i| effects[i] != Some(Effect::Deny))
        .collect();
    if runnable.is_empty() {
        println!("Nothing will run: the policy refuses every step.");
        return Ok(render::exit::REFUSED);
    }
    if ctx.common.dry_run {
        return Ok(0);
    }
    if !confirm(ctx.common, runnable.len())? {
        return Ok(render::exit::REFUSED);
    }
    let common = Common {
        yes: true,
        ..ctx.common.clone()
    };
    let step_ctx = Ctx {
        common: &common,
        ..*ctx
    };
    let mut worst = 0;
    for (i, step) in plan.steps.iter().enumerate() {
        if effects[i] == Some(Effect::Deny) {
            println!(
                "\n{}. {}: skipped (denied by policy)",
                i + 1,
                step.action.as_str()
            );
            worst = worst.max(render::exit::REFUSED);
            continue;
        }
        let shown = plan.steps[..i]
            .iter()
            .any(|s| s.action == Action::ShowUser && s.target == step.target);
        if step.action == Action::DiscoverRoles && step.target.is_some() && shown {
            println!(
                "\n{}. {}: in the profile above",
                i + 1,
                step.action.as_str()
            );
            continue;
        }
        let line = match command_line(step) {
            Ok(line) => line,
            Err(why) => {
                println!("\n{}. {}: cannot run: {why}", i + 1, step.action.as_str());
                worst = worst.max(render::exit::REFUSED);
                continue;
            }
        };
        println!("\n{}. keydesk {}", i + 1, shell_words(&line));
        let cli = match Cli::try_parse_from(std::iter::once("keydesk".to_string()).chain(line)) {
            Ok(cli) => cli,
            Err(error) => {
                println!(
                    "   cannot run: {}",
                    error.to_string().lines().next().unwrap_or("")
                );
                worst = worst.max(render::exit::REFUSED);
                continue;
            }
        };
        let code = execute(&step_ctx, tenant, cli.command).await?;
        worst = worst.max(code);
    }
    Ok(worst)
}

fn confirm(common: &Common, steps: usize) -> anyhow::Result<bool> {
    if common.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        render::error(
            &keydesk_ops::Error::refused(
                "keydesk changes a tenant only after confirmation",
                "add --yes to confirm, or --dry-run to see the plan and its policy status",
            ),
            false,
        );
        return Ok(false);
    }
    Ok(render::confirm(&format!("Run {steps} step(s)? [y/N] "))?)
}

/// "noa.levi@contoso.com" → "Noa Levi".
fn name_from_upn(upn: &str) -> String {
    upn.split('@')
        .next()
        .unwrap_or(upn)
        .split(['.', '_', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_words(line: &[String]) -> String {
    line.iter()
        .map(|word| {
            if word
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.@/+:".contains(c))
            {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
