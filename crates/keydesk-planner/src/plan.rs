//! The planner's output: a typed [`Plan`] of [`Step`]s on resolved people and groups, or a
//! [`Clarification`], or a plain explanation of why nothing will be done.
//!
//! These types serialize exactly as `keydesk plan --json` prints them:
//! `{"requester": UPN, "steps": [{"action", "target", "params"}], "clarification": null | {...}}`,
//! plus an `explanation` field only when there is one.
//! This module owns the action vocabulary and its parameter keys; it does not decide anything.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What keydesk understood a request to ask for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The requester's user principal name, lower-case.
    pub requester: String,
    /// The actions to take, in the order they were asked for; empty when a clarification is
    /// needed or nothing can be done.
    pub steps: Vec<Step>,
    /// A question to ask before anything can be planned.
    pub clarification: Option<Clarification>,
    /// Why there are no steps, in plain words (refusals, off-topic text, unsupported requests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

/// One action on one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub action: Action,
    /// The user the action is about (lower-case UPN), or `None` for actions on no one user
    /// (listing locked accounts, group members, roles, searches).
    pub target: Option<String>,
    /// Parameters, with the keys of [`PARAM_KEYS`].
    pub params: Map<String, Value>,
}

/// A question for the requester, with the choices when there are some.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clarification {
    pub question: String,
    /// Lower-case UPNs for people, display names for groups, names for departments or actions.
    pub candidates: Vec<String>,
}

/// The parameter keys a step may carry.
pub const PARAM_KEYS: &[&str] = &[
    "group",
    "department",
    "jobTitle",
    "officeLocation",
    "mobilePhone",
    "businessPhones",
    "displayName",
    "manager",
    "deliver_to",
    "revoke_sessions",
    "lifetime_minutes",
    "days",
    "contain",
    "photo",
    "name",
];

/// The action vocabulary: the guardrails' actions plus the read-only ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    DiagnoseSignin,
    UnlockAccount,
    PasswordReset,
    MfaReset,
    IssueTap,
    UnblockSignin,
    RevokeSessions,
    DisableAccount,
    CreateUser,
    ShowUser,
    SearchUsers,
    UpdateUserProfile,
    UpdatePhoto,
    ListLockedAccounts,
    GrantAccess,
    RemoveAccess,
    RequestAccess,
    CheckMembership,
    ListGroupMembers,
    ListUserGroups,
    DiscoverRoles,
    InvestigateCompromise,
}

impl Action {
    /// Every action, in the issue's order.
    pub const ALL: [Action; 22] = [
        Action::DiagnoseSignin,
        Action::UnlockAccount,
        Action::PasswordReset,
        Action::MfaReset,
        Action::IssueTap,
        Action::UnblockSignin,
        Action::RevokeSessions,
        Action::DisableAccount,
        Action::CreateUser,
        Action::ShowUser,
        Action::SearchUsers,
        Action::UpdateUserProfile,
        Action::UpdatePhoto,
        Action::ListLockedAccounts,
        Action::GrantAccess,
        Action::RemoveAccess,
        Action::RequestAccess,
        Action::CheckMembership,
        Action::ListGroupMembers,
        Action::ListUserGroups,
        Action::DiscoverRoles,
        Action::InvestigateCompromise,
    ];

    /// The action's wire name (`"password_reset"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::DiagnoseSignin => "diagnose_signin",
            Action::UnlockAccount => "unlock_account",
            Action::PasswordReset => "password_reset",
            Action::MfaReset => "mfa_reset",
            Action::IssueTap => "issue_tap",
            Action::UnblockSignin => "unblock_signin",
            Action::RevokeSessions => "revoke_sessions",
            Action::DisableAccount => "disable_account",
            Action::CreateUser => "create_user",
            Action::ShowUser => "show_user",
            Action::SearchUsers => "search_users",
            Action::UpdateUserProfile => "update_user_profile",
            Action::UpdatePhoto => "update_photo",
            Action::ListLockedAccounts => "list_locked_accounts",
            Action::GrantAccess => "grant_access",
            Action::RemoveAccess => "remove_access",
            Action::RequestAccess => "request_access",
            Action::CheckMembership => "check_membership",
            Action::ListGroupMembers => "list_group_members",
            Action::ListUserGroups => "list_user_groups",
            Action::DiscoverRoles => "discover_roles",
            Action::InvestigateCompromise => "investigate_compromise",
        }
    }

    /// Whether the action changes something (as opposed to reading).
    pub fn is_change(self) -> bool {
        !matches!(
            self,
            Action::DiagnoseSignin
                | Action::ShowUser
                | Action::SearchUsers
                | Action::ListLockedAccounts
                | Action::CheckMembership
                | Action::ListGroupMembers
                | Action::ListUserGroups
                | Action::DiscoverRoles
                | Action::InvestigateCompromise
        )
    }

    /// Whether the action needs a person to act on.
    pub fn needs_target(self) -> bool {
        !matches!(
            self,
            Action::CreateUser
                | Action::SearchUsers
                | Action::ListLockedAccounts
                | Action::ListGroupMembers
                | Action::DiscoverRoles
        )
    }

    /// Whether the action needs a `group` parameter.
    pub fn needs_group(self) -> bool {
        matches!(
            self,
            Action::GrantAccess
                | Action::RemoveAccess
                | Action::RequestAccess
                | Action::CheckMembership
                | Action::ListGroupMembers
        )
    }

    /// The parameter keys that make sense for this action.
    pub fn allowed_params(self) -> &'static [&'static str] {
        match self {
            Action::DiagnoseSignin => &["days"],
            Action::PasswordReset => &["deliver_to", "revoke_sessions"],
            Action::IssueTap => &["deliver_to", "lifetime_minutes"],
            Action::CreateUser => &[
                "displayName",
                "department",
                "jobTitle",
                "officeLocation",
                "mobilePhone",
                "businessPhones",
                "manager",
                "deliver_to",
            ],
            Action::SearchUsers => &["name", "department", "jobTitle"],
            Action::UpdateUserProfile => &[
                "displayName",
                "department",
                "jobTitle",
                "officeLocation",
                "mobilePhone",
                "businessPhones",
                "manager",
            ],
            Action::UpdatePhoto => &["photo"],
            Action::ListLockedAccounts => &["department"],
            Action::GrantAccess
            | Action::RemoveAccess
            | Action::RequestAccess
            | Action::CheckMembership
            | Action::ListGroupMembers => &["group"],
            Action::InvestigateCompromise => &["days", "contain"],
            Action::UnlockAccount
            | Action::MfaReset
            | Action::UnblockSignin
            | Action::RevokeSessions
            | Action::DisableAccount
            | Action::ShowUser
            | Action::ListUserGroups
            | Action::DiscoverRoles => &[],
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action name that is not in the vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action {0:?}")]
pub struct UnknownAction(pub String);

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(name: &str) -> Result<Action, UnknownAction> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == name)
            .ok_or_else(|| UnknownAction(name.to_owned()))
    }
}

impl Plan {
    /// A plan with steps and nothing to ask.
    pub fn with_steps(requester: &str, steps: Vec<Step>) -> Plan {
        Plan {
            requester: requester.to_lowercase(),
            steps,
            clarification: None,
            explanation: None,
        }
    }

    /// A plan that asks a question first.
    pub fn clarify(requester: &str, question: String, candidates: Vec<String>) -> Plan {
        Plan {
            requester: requester.to_lowercase(),
            steps: Vec::new(),
            clarification: Some(Clarification {
                question,
                candidates,
            }),
            explanation: None,
        }
    }

    /// A plan that does nothing, and says why.
    pub fn refuse(requester: &str, explanation: String) -> Plan {
        Plan {
            requester: requester.to_lowercase(),
            steps: Vec::new(),
            clarification: None,
            explanation: Some(explanation),
        }
    }
}
