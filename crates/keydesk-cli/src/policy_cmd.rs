//! `keydesk policy check --as UPN ACTION TARGET` and `keydesk policy show`: the facts about the
//! acting principal and the target come from the directory, the decision from keydesk's Cedar
//! policy (the default one, or `policy.cedar` in the data directory when present).

use anyhow::Context;
use keydesk_ops::{Ops, resolve};
use keydesk_policy::{
    Action, ContextFacts, DecisionRequest, Origin, PolicyEngine, PolicySettings, Principal,
    Resource,
};
use serde_json::json;

use crate::home::Home;
use crate::render;

#[derive(Debug, clap::Subcommand)]
pub enum PolicyCommand {
    /// Explain whether the acting principal (--as) may run ACTION on TARGET, and what is missing.
    Check {
        /// An action of the vocabulary, e.g. password_reset, unlock_account, grant_access.
        action: String,
        /// The user (or, for group actions, the group); omit for tenant-wide actions.
        target: Option<String>,
    },
    /// Print the policy in force, one line per policy with its reason.
    Show,
}

/// The policy in force: `policy.cedar` beside the default schema in the data directory, or the
/// shipped default. A custom policy that does not validate is an error (fail closed).
pub fn engine(home: &Home, settings: PolicySettings) -> anyhow::Result<PolicyEngine> {
    let custom = home.root().join("policy.cedar");
    if custom.exists() {
        let text = std::fs::read_to_string(&custom)
            .with_context(|| format!("reading {}", custom.display()))?;
        return PolicyEngine::from_sources(keydesk_policy::DEFAULT_SCHEMA, &text, settings)
            .with_context(|| {
                format!(
                    "{} does not validate against keydesk's schema",
                    custom.display()
                )
            });
    }
    PolicyEngine::with_default_policy(settings).context("loading the default policy")
}

const GROUP_ACTIONS: &[&str] = &[
    "grant_access",
    "remove_access",
    "request_access",
    "list_group_members",
];
const TENANT_ACTIONS: &[&str] = &[
    "search_users",
    "list_locked_accounts",
    "discover_roles",
    "create_user",
];

/// The principal's facts: directory roles and groups decide operator or employee.
pub async fn principal(ops: &Ops, upn: &str) -> Result<Principal, keydesk_ops::Error> {
    keydesk_ops::facts::principal(ops, upn).await
}

async fn resource(
    ops: &Ops,
    action: &str,
    target: Option<&str>,
) -> Result<Resource, keydesk_ops::Error> {
    if TENANT_ACTIONS.contains(&action) {
        return Ok(Resource::Tenant);
    }
    let target = target
        .ok_or_else(|| keydesk_ops::Error::InvalidInput(format!("{action} needs a target")))?;
    if GROUP_ACTIONS.contains(&action) {
        let group = resolve::group(&ops.graph, target).await?;
        return keydesk_ops::facts::group_resource(ops, &group).await;
    }
    let user = resolve::user(&ops.graph, target).await?;
    keydesk_ops::facts::user_resource(ops, &user).await
}

pub async fn run(
    home: &Home,
    ops: &Ops,
    command: PolicyCommand,
    json_output: bool,
) -> anyhow::Result<u8> {
    let engine = engine(home, crate::approvals_cmd::settings()?)?;
    match command {
        PolicyCommand::Show => {
            for policy in engine.policies() {
                println!(
                    "{:<8} {:<40} {}",
                    format!("{:?}", policy.effect).to_lowercase(),
                    policy.id,
                    policy.reason
                );
            }
            Ok(0)
        }
        PolicyCommand::Check { action, target } => {
            let parsed: Action = match action.parse() {
                Ok(parsed) => parsed,
                Err(_) => {
                    let error = keydesk_ops::Error::InvalidInput(format!(
                        "'{action}' is not a keydesk action"
                    ));
                    return Ok(render::error(&error, json_output));
                }
            };
            let facts = async {
                let principal = principal(ops, &ops.actor).await?;
                let resource = resource(ops, &action, target.as_deref()).await?;
                Ok::<_, keydesk_ops::Error>((principal, resource))
            };
            let (principal, resource) = match facts.await {
                Ok(facts) => facts,
                Err(error) => return Ok(render::error(&error, json_output)),
            };
            let request = DecisionRequest {
                principal: principal.clone(),
                action: parsed,
                resource,
                context: ContextFacts {
                    plan_hash: String::new(),
                    approvals: Vec::new(),
                    verification: None,
                    origin: Origin::Cli,
                    bulk: false,
                    now: time::OffsetDateTime::now_utc().unix_timestamp(),
                    sensitive_actions_last_hour: 0,
                    profile_fields: Vec::new(),
                },
            };
            let decision = keydesk_policy::evaluate(&engine, &request);
            if json_output {
                render::print_json(&json!({
                    "principal": principal.upn,
                    "principalKind": format!("{:?}", principal.kind).to_lowercase(),
                    "roles": principal.directory_roles,
                    "action": action,
                    "target": target,
                    "effect": format!("{:?}", decision.effect),
                    "summary": decision.summary,
                    "reasons": decision.reasons,
                    "policies": decision.policies,
                    "missing": decision.missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>(),
                    "notes": decision.notes,
                }));
            } else {
                println!(
                    "{} ({:?}, roles: {}) → {action} {}",
                    principal.upn,
                    principal.kind,
                    if principal.directory_roles.is_empty() {
                        "none".to_string()
                    } else {
                        principal.directory_roles.join(", ")
                    },
                    target.as_deref().unwrap_or("")
                );
                println!("{}", keydesk_policy::explain(&decision));
            }
            Ok(0)
        }
    }
}
