//! The typed facts a decision is made from: who asks ([`Principal`]), on what ([`Resource`]), with
//! which approvals and verification ([`ContextFacts`]), under which [`PolicySettings`].
//!
//! The caller reads these from the directory and its own stores; this crate never fetches
//! anything. Nothing here is Cedar: the engine turns the facts into Cedar entities and context
//! itself, so a caller can't smuggle an attribute in through raw JSON.

use crate::Action;

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The requester's UPN (compared case-insensitively).
    pub upn: String,
    /// Staff running keydesk, or an end user helping themselves.
    pub kind: PrincipalKind,
    /// Directory role display names, e.g. "Helpdesk Administrator".
    pub directory_roles: Vec<String>,
    /// Group display names, e.g. "Helpdesk Operators".
    pub groups: Vec<String>,
    /// keydesk's explicit permission to unlock users with no MFA method registered.
    pub unlock_any_account: bool,
}

/// The two kinds of principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// Staff: helpdesk and administrators.
    Operator,
    /// An end user: self-service only.
    Employee,
}

/// What the action applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// A user account.
    User(TargetUser),
    /// A group.
    Group(TargetGroup),
    /// The tenant, for tenant-wide actions (search, lists, role discovery, user creation).
    Tenant,
}

/// A user acted upon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetUser {
    /// The user's UPN (compared case-insensitively).
    pub upn: String,
    /// The user's department, empty when unknown.
    pub department: String,
    /// The privileged directory roles the user holds (display names); empty for an ordinary
    /// user. Deciding which roles are privileged is the caller's job (it reads the role
    /// definitions' `isPrivileged`).
    pub privileged_roles: Vec<String>,
    /// Synced from on-premises Active Directory.
    pub synced: bool,
    /// The user has at least one MFA method registered.
    pub mfa_registered: bool,
}

/// A group acted upon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGroup {
    /// The group's display name.
    pub name: String,
    /// The owners' UPNs: they approve access requests.
    pub owners: Vec<String>,
    /// Role-assignable, or holds a directory role assignment.
    pub privileged: bool,
}

/// One decision to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionRequest {
    /// Who asks.
    pub principal: Principal,
    /// What they want to do.
    pub action: Action,
    /// On what.
    pub resource: Resource,
    /// Approvals, verification, origin, time and recent activity.
    pub context: ContextFacts,
}

/// Everything about a request besides who, what and on what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFacts {
    /// The hash of the plan to be executed (action, target and parameters). An approval binds to
    /// it; empty when there is no plan (read-only actions), and then no approval counts.
    pub plan_hash: String,
    /// Approvals on record for this request, valid or not: the engine checks each.
    pub approvals: Vec<Approval>,
    /// The verification of the end user the operator performed, if any.
    pub verification: Option<Verification>,
    /// Where the request came from.
    pub origin: Origin,
    /// The target was reached through a bulk list.
    pub bulk: bool,
    /// The current time, unix seconds.
    pub now: i64,
    /// Sensitive actions the principal ran in the last hour.
    pub sensitive_actions_last_hour: u32,
    /// The Graph properties an `update_user_profile` would change (`mobilePhone`,
    /// `officeLocation`, `jobTitle`, `department`, ...); empty for other actions.
    pub profile_fields: Vec<String>,
}

/// An approval given by someone for a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// The approver's UPN.
    pub approver: String,
    /// The approver's directory roles, as read at decision time.
    pub approver_roles: Vec<String>,
    /// The plan the approval was given for.
    pub plan_hash: String,
    /// Already consumed by an earlier execution.
    pub used: bool,
    /// Expiry, unix seconds.
    pub expires_at: i64,
}

/// A verification of the end user by the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// How the user was verified.
    pub method: VerificationMethod,
    /// The UPN of the user who was verified.
    pub target: String,
    /// The one-time code was already used for an earlier action.
    pub code_used: bool,
    /// Expiry, unix seconds.
    pub expires_at: i64,
}

/// How a user was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationMethod {
    /// Through one of the user's registered MFA methods (a push, a call, a code).
    RegisteredMethod,
    /// The user's manager confirmed the request.
    ManagerConfirmation,
}

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The command line.
    Cli,
    /// The HTTP API.
    Api,
    /// An MCP client (an AI agent).
    Mcp,
    /// A chat front end.
    Chat,
}

impl Origin {
    /// The name used in the policy context.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Cli => "cli",
            Origin::Api => "api",
            Origin::Mcp => "mcp",
            Origin::Chat => "chat",
        }
    }
}

/// Deployment settings the decisions depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    /// Whether an operator may skip verifying the end user.
    pub verification_mode: VerificationMode,
    /// Sensitive actions an operator may run per hour before further ones need approval.
    pub hourly_sensitive_budget: u32,
    /// Directory roles whose holders may approve a change to a privileged target or past the
    /// budget. (A group access request is approved by the group's owners instead.)
    pub approver_roles: Vec<String>,
}

impl PolicySettings {
    /// The settings keydesk ships with: restricted verification, 20 sensitive actions an hour,
    /// approvals from Global Administrators and Privileged Authentication Administrators.
    pub fn recommended() -> PolicySettings {
        PolicySettings {
            verification_mode: VerificationMode::Restricted,
            hourly_sensitive_budget: 20,
            approver_roles: vec![
                "Global Administrator".to_owned(),
                "Privileged Authentication Administrator".to_owned(),
            ],
        }
    }
}

/// The helpdesk verification mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationMode {
    /// The operator must verify the user before an unlock or a credential change.
    Restricted,
    /// The operator may skip verification; the skip is recorded.
    Unrestricted,
}

/// What the decision found about verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationStatus {
    /// The action is not one that requires verifying the user.
    NotRequired,
    /// A fresh, unused verification of this target is present.
    Verified,
    /// None present; unrestricted mode lets the operator go on, and the skip is recorded.
    Skipped,
    /// None present, and restricted mode requires one.
    Missing,
}

/// Lower-cases a UPN so comparisons ignore case, as Entra does.
pub fn normalize_upn(upn: &str) -> String {
    upn.trim().to_lowercase()
}
