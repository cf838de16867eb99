//! keydesk over the Model Context Protocol: `keydesk mcp` (stdio) and `/mcp` under the server
//! (streamable HTTP), both built on `rmcp`.
//!
//! The tools mirror the action vocabulary (one per [`Action`], named by its wire name:
//! `unlock_account`, `password_reset`, `diagnose_signin`, ...) plus `ask` (plain language → the
//! plan with each step's policy status; it runs nothing), `approval_status`, and `verify_user` /
//! `confirm_verification` (a one-time code to the user's registered method, read back by the
//! person to the caller; the code never appears in a result). Every call is
//! attributed to a principal and runs through [`Service::run_step`] with [`Origin::Mcp`]: the same
//! policy, approvals, verification and audit as the command line and the API. The policy knows
//! the origin (`context.origin == "mcp"`): changes to privileged accounts are refused from MCP.
//!
//! Results are structured (`structuredContent`, mirrored as JSON text):
//! `{"status": "done" | "nothing_to_do" | "info" | "pending_approval" | "needs_verification" |
//! "denied" | "refused" | "failed", ...}`. A write waiting for a second approver is not an
//! error: `pending_approval` with the approval's id and who may approve. A denial, a refusal and
//! a failure are tool results flagged as errors (`isError`), with the policy's reasons.
//!
//! **A temporary password or TAP never reaches the model.** It goes out of band (the manager, a
//! named person, an SMS), which is the default. `reveal` is accepted only over HTTP, where the
//! secret is kept for one viewing by the calling person and the result carries only the
//! one-time link; over stdio there is no person to show it to, so `reveal` is refused. A secret
//! that comes back unasked for is dropped, never put in a result.
//!
//! Attribution: over stdio, the configured principal (`keydesk mcp --as UPN`). Over HTTP, the
//! authenticated caller (an Entra ID bearer token, or the console's session with its CSRF
//! header), else the configured fallback principal (`KEYDESK_MCP_PRINCIPAL`), else 401.

// A refused tool call is rmcp's `CallToolResult`, returned once per call; boxing it buys nothing.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use keydesk_ops::guarded::Actor;
use keydesk_planner::{Action, Step};
use keydesk_policy::{Origin, PrincipalKind};
use keydesk_service::{Delivery, Secret, Service};
use rmcp::handler::server::router::tool::{ToolRoute, ToolRouter};
use rmcp::handler::server::tool::ToolCallContext;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    CallToolResponse, CallToolResult, Extensions, Implementation, JsonObject, ServerCapabilities,
    ServerConfig, Tool, ToolAnnotations,
};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::api::{approval_json, reveal_link, step_result_body};
use crate::error::ApiError;

/// The principal an HTTP request to `/mcp` is attributed to, put in the request's extensions by
/// the server's own middleware (a client cannot set it).
#[derive(Debug, Clone)]
pub struct McpPrincipal(pub String);

/// keydesk's MCP server.
#[derive(Clone)]
pub struct KeydeskMcp {
    service: Arc<Service>,
    /// Every call's principal (stdio). Over HTTP, `None`: each request carries its own.
    principal: Option<String>,
    /// Over HTTP: the server, for one-time reveal links.
    http: Option<AppState>,
    tool_router: ToolRouter<KeydeskMcp>,
}

/// `ask`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskArgs {
    /// What is needed, in plain language, e.g. "alex is locked out" or "who is in
    /// All-Engineering?".
    pub text: String,
}

/// `approval_status`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalArgs {
    /// The approval's id, as a `pending_approval` result gave it.
    pub id: String,
}

/// `verify_user`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyArgs {
    /// The user to verify: UPN, mail or name.
    pub user: String,
    /// Where the code goes: `auto` (default: the user's registered phone, else e-mail, else
    /// their manager), `sms`, `email` or `manager`.
    pub method: Option<String>,
}

/// `confirm_verification`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmArgs {
    /// The user being verified, as given to `verify_user`.
    pub user: String,
    /// The code the user (or their manager) read back to you.
    pub code: String,
}

/// An action tool's arguments (each tool's input schema shows the ones that apply to it).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionArgs {
    /// The user: UPN, mail or name.
    pub user: Option<String>,
    /// The group: display name or mail nickname.
    pub group: Option<String>,
    /// The action's parameters.
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Where a temporary credential goes.
    pub delivery: Option<String>,
}

/// Parameters the tools take outside `params` (or not at all).
const NOT_IN_PARAMS: &[&str] = &["group", "deliver_to", "photo"];

/// The longest user, group or parameter text accepted.
const MAX_TEXT: usize = 256;

fn delivers_secret(action: Action) -> bool {
    matches!(
        action,
        Action::UnlockAccount
            | Action::PasswordReset
            | Action::MfaReset
            | Action::IssueTap
            | Action::CreateUser
    )
}

fn description(action: Action) -> &'static str {
    match action {
        Action::DiagnoseSignin => {
            "Why can't this user sign in? Causes ranked, with evidence and the fix. Reads only."
        }
        Action::UnlockAccount => {
            "Fix what keeps a user from signing in (smart lockout, disabled, risk, expired password). The user must be verified first."
        }
        Action::PasswordReset => {
            "Reset a user's password to a generated temporary one, delivered out of band (manager by default). The user must be verified first."
        }
        Action::MfaReset => {
            "Remove a user's MFA methods so they register again, with a Temporary Access Pass delivered out of band. The user must be verified first."
        }
        Action::IssueTap => {
            "Issue a one-time Temporary Access Pass, delivered out of band. The user must be verified first."
        }
        Action::UnblockSignin => "Dismiss a user's sign-in risk after checking recent sign-ins.",
        Action::RevokeSessions => "Revoke a user's refresh tokens and sessions.",
        Action::DisableAccount => "Disable an account and revoke its sessions.",
        Action::CreateUser => {
            "Create a user (params.displayName required); the first password goes out of band."
        }
        Action::ShowUser => "Show a user's profile, state, manager and roles. Reads only.",
        Action::SearchUsers => "Search users by name, department or job title. Reads only.",
        Action::UpdateUserProfile => {
            "Update a user's profile: display name, department, job title, office, phones, manager."
        }
        Action::UpdatePhoto => {
            "Update a user's photo (needs the image: not possible over MCP; use the API or the CLI)."
        }
        Action::ListLockedAccounts => {
            "Disabled and recently smart-locked accounts, optionally in one department. Reads only."
        }
        Action::GrantAccess => "Add a user to a group.",
        Action::RemoveAccess => "Remove a user from a group.",
        Action::RequestAccess => {
            "Request access to a group for yourself (or a user); the group's owners approve."
        }
        Action::CheckMembership => "Is the user a member of the group? Reads only.",
        Action::ListGroupMembers => "A group's members. Reads only.",
        Action::ListUserGroups => "The groups a user belongs to. Reads only.",
        Action::DiscoverRoles => {
            "Directory roles and their members, or one user's roles (with user). Reads only."
        }
        Action::InvestigateCompromise => {
            "Is this account compromised? Collects and preserves the evidence, detections, verdict."
        }
    }
}

fn param_schema(key: &str) -> Value {
    match key {
        "revoke_sessions" => {
            json!({"type": "boolean", "description": "Also revoke the user's sessions"})
        }
        "contain" => json!({"type": "boolean", "description": "Propose containment"}),
        "lifetime_minutes" => json!({"type": "integer", "minimum": 10, "maximum": 43200,
            "description": "The pass's lifetime in minutes (policy default when absent)"}),
        "days" => json!({"type": "integer", "minimum": 1, "maximum": 30,
            "description": "Days of history to look at"}),
        "manager" => json!({"type": "string", "maxLength": MAX_TEXT,
            "description": "The manager (UPN, mail or name)"}),
        "name" => json!({"type": "string", "maxLength": MAX_TEXT,
            "description": "A name or part of one"}),
        other => json!({"type": "string", "maxLength": MAX_TEXT, "description": other}),
    }
}

/// An action tool's input schema: `user`, `group`, `params` and `delivery` as they apply.
fn input_schema(action: Action) -> JsonObject {
    let mut properties = Map::new();
    let mut required = Vec::new();
    if action.needs_target() || matches!(action, Action::DiscoverRoles | Action::CreateUser) {
        let what = match action {
            Action::CreateUser => "The new user's UPN (generated from the name when absent)",
            Action::RequestAccess => "Who needs access (default: you)",
            Action::DiscoverRoles => "One user's roles (absent: every role and its members)",
            _ => "The user: UPN, mail or name",
        };
        properties.insert(
            "user".into(),
            json!({"type": "string", "minLength": 1, "maxLength": MAX_TEXT, "description": what}),
        );
        if action.needs_target() && action != Action::RequestAccess {
            required.push("user");
        }
    }
    if action.needs_group() {
        properties.insert(
            "group".into(),
            json!({"type": "string", "minLength": 1, "maxLength": MAX_TEXT,
                "description": "The group: display name or mail nickname"}),
        );
        required.push("group");
    }
    let params: Map<String, Value> = action
        .allowed_params()
        .iter()
        .filter(|k| !NOT_IN_PARAMS.contains(k))
        .map(|k| (k.to_string(), param_schema(k)))
        .collect();
    if !params.is_empty() {
        let mut schema = json!({"type": "object", "properties": params,
            "additionalProperties": false, "description": "The action's parameters"});
        if action == Action::CreateUser {
            schema["required"] = json!(["displayName"]);
            required.push("params");
        }
        properties.insert("params".into(), schema);
    }
    if delivers_secret(action) {
        properties.insert(
            "delivery".into(),
            json!({"type": "string", "maxLength": MAX_TEXT,
                "description": "Where the temporary credential goes, never to you: `manager` (default), a person's UPN, or `sms:+15551234567`. `reveal` (HTTP only) returns a one-time link for the calling person, not the secret."}),
        );
    }
    let schema = json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    });
    match schema {
        Value::Object(object) => object,
        _ => JsonObject::new(),
    }
}

fn action_tool(action: Action) -> Tool {
    let change = action.is_change();
    Tool::new(action.as_str(), description(action), input_schema(action)).with_annotations(
        ToolAnnotations::new()
            .read_only(!change)
            .destructive(matches!(
                action,
                Action::DisableAccount
                    | Action::MfaReset
                    | Action::PasswordReset
                    | Action::RemoveAccess
                    | Action::RevokeSessions
            ))
            .open_world(false),
    )
}

fn action_route(action: Action) -> ToolRoute<KeydeskMcp> {
    ToolRoute::new_dyn(
        action_tool(action),
        move |context: ToolCallContext<'_, KeydeskMcp>| {
            Box::pin(async move {
                let result = context
                    .service
                    .run_action(
                        action,
                        context.arguments.clone(),
                        &context.request_context.extensions,
                    )
                    .await;
                Ok(CallToolResponse::from(result))
            })
        },
    )
}

/// A result flagged as an error when its status is one.
fn result(body: Value) -> CallToolResult {
    let failed = matches!(
        body["status"].as_str(),
        Some("denied" | "refused" | "failed")
    );
    if failed {
        CallToolResult::structured_error(body)
    } else {
        CallToolResult::structured(body)
    }
}

/// A refusal before anything ran (bad input, reveal over stdio...).
fn refused(code: &str, message: impl Into<String>, hint: Option<String>) -> CallToolResult {
    result(json!({
        "status": "refused",
        "code": code,
        "message": message.into(),
        "hint": hint,
    }))
}

fn service_error(error: keydesk_service::Error) -> CallToolResult {
    use keydesk_service::Error as E;
    let status = match &error {
        E::Guard(_) | E::Planner(_) => "failed",
        E::InvalidInput(_) | E::NotFound(_) => "refused",
        E::Ops(ops) => match ops {
            keydesk_ops::Error::Graph(graph) => {
                tracing::warn!(error = %graph, "Graph call failed");
                "failed"
            }
            keydesk_ops::Error::Ad(ad) => {
                tracing::warn!(error = %ad, "Active Directory call failed");
                "failed"
            }
            keydesk_ops::Error::Delivery(_) => "failed",
            _ => "refused",
        },
    };
    if let E::Guard(inner) = &error {
        tracing::error!(error = %inner, "guard state unavailable");
    }
    result(json!({
        "status": status,
        "code": error.code(),
        "message": error.to_string(),
        "hint": error.hint(),
    }))
}

fn text_ok(what: &str, text: &str) -> Result<String, CallToolResult> {
    let text = text.trim();
    if text.is_empty() || text.len() > MAX_TEXT {
        return Err(refused(
            "invalid_input",
            format!("the {what} must be 1 to {MAX_TEXT} characters"),
            None,
        ));
    }
    Ok(text.to_string())
}

/// The tool's arguments as a plan step, and where a credential goes.
fn step(
    action: Action,
    arguments: Option<JsonObject>,
    reveal_possible: bool,
) -> Result<(Step, Option<Delivery>), CallToolResult> {
    let args: ActionArgs = match arguments {
        None => ActionArgs::default(),
        Some(object) => serde_json::from_value(Value::Object(object)).map_err(|error| {
            refused(
                "invalid_input",
                format!("the arguments do not fit {}: {error}", action.as_str()),
                Some("see the tool's input schema".into()),
            )
        })?,
    };
    let target = args
        .user
        .as_deref()
        .map(|u| text_ok("user", u))
        .transpose()?;
    if target.is_none() && action.needs_target() && action != Action::RequestAccess {
        return Err(refused(
            "invalid_input",
            format!("{} needs a user", action.as_str()),
            None,
        ));
    }
    let mut params = Map::new();
    for (key, value) in args.params {
        if NOT_IN_PARAMS.contains(&key.as_str()) || !action.allowed_params().contains(&key.as_str())
        {
            return Err(refused(
                "invalid_input",
                format!("'{key}' is not a parameter of {}", action.as_str()),
                None,
            ));
        }
        if let Value::String(text) = &value {
            text_ok(&key, text)?;
        } else if !matches!(value, Value::Bool(_) | Value::Number(_)) {
            return Err(refused(
                "invalid_input",
                format!("'{key}' must be a string, a number or true/false"),
                None,
            ));
        }
        params.insert(key, value);
    }
    match (action.needs_group(), args.group) {
        (true, Some(group)) => {
            params.insert("group".into(), Value::String(text_ok("group", &group)?));
        }
        (true, None) => {
            return Err(refused(
                "invalid_input",
                format!("{} needs a group", action.as_str()),
                None,
            ));
        }
        (false, Some(_)) => {
            return Err(refused(
                "invalid_input",
                format!("{} takes no group", action.as_str()),
                None,
            ));
        }
        (false, None) => {}
    }
    let delivery = match args.delivery {
        None => None,
        Some(_) if !delivers_secret(action) => {
            return Err(refused(
                "invalid_input",
                format!("{} delivers no credential", action.as_str()),
                None,
            ));
        }
        Some(text) => Some(delivery(&text, reveal_possible)?),
    };
    Ok((
        Step {
            action,
            target,
            params,
        },
        delivery,
    ))
}

/// Where a temporary credential goes. Never to the model: `reveal` is a one-time link for the
/// calling person, and only over HTTP.
fn delivery(text: &str, reveal_possible: bool) -> Result<Delivery, CallToolResult> {
    let text = text_ok("delivery", text)?;
    Ok(match text.as_str() {
        t if t.eq_ignore_ascii_case("manager") => Delivery::Manager,
        t if t.eq_ignore_ascii_case("reveal") => {
            if !reveal_possible {
                return Err(refused(
                    "reveal_unavailable",
                    "a temporary credential is never shown to an MCP client over stdio: there is no person here to show it to once",
                    Some(
                        "deliver it out of band: `manager` (the default), a person's UPN, or `sms:+15551234567`; or use keydesk's HTTP server, where `reveal` gives a one-time link for you".into(),
                    ),
                ));
            }
            Delivery::Reveal
        }
        t => match t.strip_prefix("sms:") {
            Some(phone)
                if phone.starts_with('+')
                    && phone.len() <= 20
                    && phone[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                Delivery::Sms(phone.to_string())
            }
            Some(_) => {
                return Err(refused(
                    "invalid_input",
                    "an SMS delivery needs a phone number in international format: sms:+15551234567",
                    None,
                ));
            }
            None => Delivery::MailTo(t.to_string()),
        },
    })
}

/// What a result says of a secret nobody can be shown here (stdio); the secret is dropped.
fn withheld(what: &str, _secret: Secret) -> Value {
    json!({"withheld": format!("the {what} is not shown over MCP")})
}

/// The tool arguments that run a planned step (for `ask`'s answer).
fn step_arguments(step: &Step) -> Value {
    let mut args = Map::new();
    if let Some(target) = &step.target {
        args.insert("user".into(), Value::String(target.clone()));
    }
    let mut params = Map::new();
    for (key, value) in &step.params {
        match key.as_str() {
            "group" => {
                args.insert("group".into(), value.clone());
            }
            "deliver_to" => {
                args.insert("delivery".into(), value.clone());
            }
            "photo" => {}
            _ => {
                params.insert(key.clone(), value.clone());
            }
        }
    }
    if !params.is_empty() {
        args.insert("params".into(), Value::Object(params));
    }
    Value::Object(args)
}

impl KeydeskMcp {
    /// Over stdio: every call is `principal`'s.
    pub fn stdio(service: Arc<Service>, principal: &str) -> KeydeskMcp {
        KeydeskMcp::new(service, Some(principal.to_string()), None)
    }

    /// Under the HTTP server: each call is the request's [`McpPrincipal`]'s.
    pub fn http(state: AppState) -> KeydeskMcp {
        KeydeskMcp::new(state.service.clone(), None, Some(state))
    }

    fn new(service: Arc<Service>, principal: Option<String>, http: Option<AppState>) -> KeydeskMcp {
        let mut tool_router = KeydeskMcp::tool_router();
        for action in Action::ALL {
            tool_router.add_route(action_route(action));
        }
        KeydeskMcp {
            service,
            principal,
            http,
            tool_router,
        }
    }

    /// Who this call is attributed to.
    fn principal(&self, extensions: &Extensions) -> Result<String, CallToolResult> {
        if let Some(principal) = extensions
            .get::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<McpPrincipal>())
        {
            return Ok(principal.0.clone());
        }
        self.principal.clone().ok_or_else(|| {
            refused(
                "unauthenticated",
                "this call is not attributed to anyone",
                Some("sign in with a bearer token, or configure KEYDESK_MCP_PRINCIPAL".into()),
            )
        })
    }

    /// The caller, as the directory knows them now, acting from MCP.
    async fn actor(&self, extensions: &Extensions) -> Result<Actor, CallToolResult> {
        let upn = self.principal(extensions)?;
        self.service
            .actor(&upn, Origin::Mcp)
            .await
            .map_err(|error| match error {
                keydesk_service::Error::Ops(keydesk_ops::Error::UserNotFound { .. }) => refused(
                    "unknown_principal",
                    format!("{upn} is not in this tenant's directory"),
                    None,
                ),
                other => service_error(other),
            })
    }

    async fn run_action(
        &self,
        action: Action,
        arguments: Option<JsonObject>,
        extensions: &Extensions,
    ) -> CallToolResult {
        let (step, delivery) = match step(action, arguments, self.http.is_some()) {
            Ok(step) => step,
            Err(refusal) => return refusal,
        };
        let actor = match self.actor(extensions).await {
            Ok(actor) => actor,
            Err(refusal) => return refusal,
        };
        let owner = actor.principal.upn.clone();
        let ran = self.service.run_step(&actor, &step, delivery).await;
        let answer = match ran {
            Err(error) => service_error(error),
            Ok(ran) => {
                let http = self.http.as_ref();
                let (_, body) = step_result_body(ran, &mut |what, secret| match http {
                    Some(state) => reveal_link(state, &owner, what, secret),
                    None => withheld(what, secret),
                });
                result(body)
            }
        };
        tracing::info!(
            tool = action.as_str(),
            principal = %owner,
            status = answer
                .structured_content
                .as_ref()
                .and_then(|b| b["status"].as_str())
                .unwrap_or(""),
            "MCP tool call"
        );
        answer
    }
}

#[tool_router]
impl KeydeskMcp {
    /// Plans a request in plain language and shows each step's policy status; runs nothing.
    #[tool(
        description = "Plan a helpdesk request in plain language (\"alex is locked out\", \"add sarah to Finance-M365\"). Returns the plan: each step with its policy status for you now (allow, needs_verification, needs_approval, deny), and the tool and arguments that run it. Runs nothing.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn ask(
        &self,
        Parameters(args): Parameters<AskArgs>,
        extensions: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let actor = match self.actor(&extensions).await {
            Ok(actor) => actor,
            Err(refusal) => return Ok(refusal),
        };
        let preview = match self.service.preview(&actor, &args.text).await {
            Ok(preview) => preview,
            Err(error) => return Ok(service_error(error)),
        };
        let steps: Vec<Value> = preview
            .steps
            .iter()
            .map(|s| {
                json!({
                    "tool": s.step.action.as_str(),
                    "arguments": step_arguments(&s.step),
                    "policy": s.policy,
                    "explanation": s.explanation,
                    "change": s.change,
                })
            })
            .collect();
        Ok(result(json!({
            "status": "planned",
            "requester": preview.plan.requester,
            "steps": steps,
            "clarification": preview.plan.clarification,
            "explanation": preview.plan.explanation,
            "note": "nothing was run: call each step's tool to run it",
        })))
    }

    /// Where an approval request stands.
    #[tool(
        description = "Where an approval request stands (waiting, approved, denied, expired, used), by the id a pending_approval result gave. Once approved, call the same tool with the same arguments again to run it.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn approval_status(
        &self,
        Parameters(args): Parameters<ApprovalArgs>,
        extensions: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let actor = match self.actor(&extensions).await {
            Ok(actor) => actor,
            Err(refusal) => return Ok(refusal),
        };
        let id = match text_ok("id", &args.id) {
            Ok(id) => id,
            Err(refusal) => return Ok(refusal),
        };
        let not_found = || refused("not_found", format!("no approval request '{id}'"), None);
        let approval = match self.service.approval(&id).await {
            Ok(approval) => approval,
            Err(keydesk_service::Error::NotFound(_)) => return Ok(not_found()),
            Err(error) => return Ok(service_error(error)),
        };
        // Employees see only their own requests.
        if actor.principal.kind != PrincipalKind::Operator
            && !approval
                .requester
                .eq_ignore_ascii_case(&actor.principal.upn)
        {
            return Ok(not_found());
        }
        Ok(result(json!({
            "status": "info",
            "approval": approval_json(&approval),
        })))
    }

    /// Starts an end-user verification: a one-time code to the user's registered method.
    #[tool(
        description = "Verify a user before a change the policy holds for verification (a needs_verification result): keydesk sends a one-time code to the user's registered phone or e-mail, or to their manager. The code is never returned to you; ask the person to read it back, then call confirm_verification.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = true
        )
    )]
    async fn verify_user(
        &self,
        Parameters(args): Parameters<VerifyArgs>,
        extensions: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let user = match text_ok("user", &args.user) {
            Ok(user) => user,
            Err(refusal) => return Ok(refusal),
        };
        let channel = match crate::api::verification_channel(args.method.as_deref()) {
            Ok(channel) => channel,
            Err(error) => return Ok(refused("invalid_input", error.message, error.hint)),
        };
        let actor = match self.actor(&extensions).await {
            Ok(actor) => actor,
            Err(refusal) => return Ok(refusal),
        };
        Ok(
            match self.service.verify_start(&actor, &user, channel).await {
                Ok(report) => result(json!({
                    "status": "code_sent",
                    "report": crate::api::report_json(&report),
                    "next": "ask the person to read the code back, then call confirm_verification",
                })),
                Err(error) => service_error(error),
            },
        )
    }

    /// Checks the code read back; the user is then verified for the caller's next change.
    #[tool(
        description = "Check the one-time code a user (or their manager) read back after verify_user. Once it matches, the user is verified for your next change on them: call that tool again.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = false
        )
    )]
    async fn confirm_verification(
        &self,
        Parameters(args): Parameters<ConfirmArgs>,
        extensions: Extensions,
    ) -> Result<CallToolResult, ErrorData> {
        let (user, code) = match (text_ok("user", &args.user), text_ok("code", &args.code)) {
            (Ok(user), Ok(code)) if code.len() <= 32 => (user, code),
            (Err(refusal), _) | (_, Err(refusal)) => return Ok(refusal),
            _ => {
                return Ok(refused(
                    "invalid_input",
                    "that is not a verification code",
                    None,
                ));
            }
        };
        let actor = match self.actor(&extensions).await {
            Ok(actor) => actor,
            Err(refusal) => return Ok(refusal),
        };
        Ok(
            match self.service.verify_confirm(&actor, &user, &code).await {
                Ok(report) => result(json!({
                    "status": "verified",
                    "report": crate::api::report_json(&report),
                })),
                Err(error) => service_error(error),
            },
        )
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for KeydeskMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("keydesk", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "keydesk is an identity helpdesk for Microsoft Entra ID. Each tool is one helpdesk action on one user or group; every call is checked by keydesk's policy as the configured person and recorded in its audit log. Use `ask` to plan a request in plain language first. A change may come back `needs_verification` (verify the user first: `verify_user`, then `confirm_verification` with the code they read back, then call the change again) or `pending_approval` (a second person must approve: check with `approval_status`, then call the same tool again). Temporary passwords and passes are never returned: they go to the user's manager, a named person or an SMS.",
            )
    }
}

/// How `/mcp` is served.
#[derive(Debug, Clone, Default)]
pub struct McpHttpConfig {
    /// The principal of requests that carry no bearer token or session. `None`: those are 401.
    pub principal: Option<String>,
    /// The `Host` names accepted (DNS-rebinding protection). `None`: rmcp's default, loopback
    /// only (`localhost`, `127.0.0.1`, `::1`); an empty list accepts any host.
    pub allowed_hosts: Option<Vec<String>>,
}

#[derive(Clone)]
struct Attribution {
    state: AppState,
    principal: Option<String>,
}

/// Attributes a request to `/mcp`: the authenticated caller, else the configured principal.
async fn attribute(
    State(attribution): State<Attribution>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let upn = match crate::auth::caller(&parts, &attribution.state).await {
        Ok(Some(caller)) => caller.upn,
        Ok(None) => match &attribution.principal {
            Some(principal) => principal.clone(),
            None => {
                return ApiError::unauthorized()
                    .with_hint(
                        "MCP over HTTP needs a bearer token (or set KEYDESK_MCP_PRINCIPAL for a local, trusted deployment)",
                    )
                    .into_response();
            }
        },
        Err(error) => return error.into_response(),
    };
    let mut request = Request::from_parts(parts, body);
    request.extensions_mut().insert(McpPrincipal(upn));
    next.run(request).await
}

/// `/mcp`: keydesk's MCP server over streamable HTTP, to merge into the server's router.
pub fn mcp_routes(state: AppState, config: McpHttpConfig) -> Router<AppState> {
    let mut http = StreamableHttpServerConfig::default();
    if let Some(hosts) = config.allowed_hosts {
        http = if hosts.is_empty() {
            http.disable_allowed_hosts()
        } else {
            http.with_allowed_hosts(hosts)
        };
    }
    let factory = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(KeydeskMcp::http(factory.clone())),
        Arc::new(LocalSessionManager::default()),
        http,
    );
    Router::new()
        .route_service("/mcp", service)
        .layer(axum::middleware::from_fn_with_state(
            Attribution {
                state,
                principal: config.principal,
            },
            attribute,
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(value: Value) -> Option<JsonObject> {
        match value {
            Value::Object(object) => Some(object),
            _ => None,
        }
    }

    fn status(result: &CallToolResult) -> (&str, bool) {
        (
            result
                .structured_content
                .as_ref()
                .and_then(|b| b["status"].as_str())
                .unwrap_or(""),
            result.is_error == Some(true),
        )
    }

    #[test]
    fn every_action_is_a_tool_with_a_strict_schema() {
        for action in Action::ALL {
            let tool = action_tool(action);
            assert_eq!(tool.name, action.as_str());
            let schema = &tool.input_schema;
            assert_eq!(schema["additionalProperties"], json!(false));
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(
                required.contains(&"user"),
                action.needs_target() && action != Action::RequestAccess,
                "{action}"
            );
            assert_eq!(
                required.contains(&"group"),
                action.needs_group(),
                "{action}"
            );
            assert_eq!(
                schema["properties"].get("delivery").is_some(),
                delivers_secret(action),
                "{action}"
            );
        }
    }

    #[test]
    fn arguments_become_a_step() {
        let (planned, delivery) = step(
            Action::GrantAccess,
            args(json!({"user": " AlexW ", "group": "Sales Team"})),
            false,
        )
        .expect("step");
        assert_eq!(planned.target.as_deref(), Some("AlexW"));
        assert_eq!(planned.params["group"], json!("Sales Team"));
        assert!(delivery.is_none());
        let (planned, delivery) = step(
            Action::PasswordReset,
            args(json!({"user": "alexw", "params": {"revoke_sessions": true}, "delivery": "sms:+15551234567"})),
            false,
        )
        .expect("step");
        assert_eq!(planned.params["revoke_sessions"], json!(true));
        assert!(matches!(delivery, Some(Delivery::Sms(p)) if p == "+15551234567"));
    }

    #[test]
    fn bad_arguments_are_refused_before_anything_runs() {
        for (action, arguments) in [
            (Action::PasswordReset, json!({})),
            (Action::GrantAccess, json!({"user": "alexw"})),
            (Action::ShowUser, json!({"user": "alexw", "group": "x"})),
            (Action::ShowUser, json!({"user": "alexw", "extra": 1})),
            (
                Action::PasswordReset,
                json!({"user": "alexw", "params": {"group": "x"}}),
            ),
            (
                Action::PasswordReset,
                json!({"user": "alexw", "params": {"days": 3}}),
            ),
            (
                Action::DiagnoseSignin,
                json!({"user": "alexw", "delivery": "manager"}),
            ),
            (
                Action::IssueTap,
                json!({"user": "alexw", "delivery": "sms:12345"}),
            ),
            (Action::ShowUser, json!({"user": "x".repeat(300)})),
        ] {
            let refusal = step(action, args(arguments.clone()), true).expect_err("refused");
            assert_eq!(status(&refusal), ("refused", true), "{action} {arguments}");
        }
    }

    #[test]
    fn reveal_is_refused_over_stdio_and_a_link_over_http() {
        let arguments = json!({"user": "alexw", "delivery": "reveal"});
        let refusal = step(Action::PasswordReset, args(arguments.clone()), false)
            .expect_err("no reveal over stdio");
        assert_eq!(
            refusal
                .structured_content
                .as_ref()
                .map(|b| b["code"].clone()),
            Some(json!("reveal_unavailable"))
        );
        let (_, delivery) =
            step(Action::PasswordReset, args(arguments), true).expect("reveal over HTTP");
        assert!(matches!(delivery, Some(Delivery::Reveal)));
    }

    #[test]
    fn a_secret_is_withheld_not_shown() {
        let body = withheld("temporary password", Secret::new("Sup3r-Secret-Pass"));
        assert!(!body.to_string().contains("Sup3r-Secret-Pass"));
    }

    #[test]
    fn denials_and_failures_are_errors_and_pending_is_not() {
        for (s, error) in [
            ("done", false),
            ("info", false),
            ("pending_approval", false),
            ("needs_verification", false),
            ("denied", true),
            ("refused", true),
            ("failed", true),
        ] {
            assert_eq!(result(json!({"status": s})).is_error, Some(error), "{s}");
        }
    }
}
