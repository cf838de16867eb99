//! The action vocabulary keydesk authorizes: one variant per helpdesk action, spelled as in the
//! schema (`password_reset`, `show_user`, ...). Which groups an action belongs to (read-only,
//! sensitive, self-service, ...) is the schema's business, not this enum's.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// One action of keydesk's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Reset a user's password.
    PasswordReset,
    /// Unlock an account (re-enable it, clear a lockout).
    UnlockAccount,
    /// Unblock a sign-in blocked by risk.
    UnblockSignin,
    /// Remove a user's MFA methods so they can register again.
    MfaReset,
    /// Issue a Temporary Access Pass.
    IssueTap,
    /// Revoke a user's sign-in sessions.
    RevokeSessions,
    /// Disable an account.
    DisableAccount,
    /// Replace a user's photo.
    UpdatePhoto,
    /// Change profile properties (phone, office, job title, ...).
    UpdateUserProfile,
    /// Create a user.
    CreateUser,
    /// Add a member to a group.
    GrantAccess,
    /// Remove a member from a group.
    RemoveAccess,
    /// Ask to join a group (approved by its owners).
    RequestAccess,
    /// Gather the evidence of a suspected compromise.
    InvestigateCompromise,
    /// Contain a compromised account.
    ContainCompromise,
    /// Read-only: explain why a user cannot sign in.
    DiagnoseSignin,
    /// Read-only: show a user.
    ShowUser,
    /// Read-only: search the directory.
    SearchUsers,
    /// Read-only: list locked accounts.
    ListLockedAccounts,
    /// Read-only: check a group membership.
    CheckMembership,
    /// Read-only: list a group's members.
    ListGroupMembers,
    /// Read-only: list a user's groups.
    ListUserGroups,
    /// Read-only: list directory role holders.
    DiscoverRoles,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 23] = [
        Action::PasswordReset,
        Action::UnlockAccount,
        Action::UnblockSignin,
        Action::MfaReset,
        Action::IssueTap,
        Action::RevokeSessions,
        Action::DisableAccount,
        Action::UpdatePhoto,
        Action::UpdateUserProfile,
        Action::CreateUser,
        Action::GrantAccess,
        Action::RemoveAccess,
        Action::RequestAccess,
        Action::InvestigateCompromise,
        Action::ContainCompromise,
        Action::DiagnoseSignin,
        Action::ShowUser,
        Action::SearchUsers,
        Action::ListLockedAccounts,
        Action::CheckMembership,
        Action::ListGroupMembers,
        Action::ListUserGroups,
        Action::DiscoverRoles,
    ];

    /// The action's name in the schema and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::PasswordReset => "password_reset",
            Action::UnlockAccount => "unlock_account",
            Action::UnblockSignin => "unblock_signin",
            Action::MfaReset => "mfa_reset",
            Action::IssueTap => "issue_tap",
            Action::RevokeSessions => "revoke_sessions",
            Action::DisableAccount => "disable_account",
            Action::UpdatePhoto => "update_photo",
            Action::UpdateUserProfile => "update_user_profile",
            Action::CreateUser => "create_user",
            Action::GrantAccess => "grant_access",
            Action::RemoveAccess => "remove_access",
            Action::RequestAccess => "request_access",
            Action::InvestigateCompromise => "investigate_compromise",
            Action::ContainCompromise => "contain_compromise",
            Action::DiagnoseSignin => "diagnose_signin",
            Action::ShowUser => "show_user",
            Action::SearchUsers => "search_users",
            Action::ListLockedAccounts => "list_locked_accounts",
            Action::CheckMembership => "check_membership",
            Action::ListGroupMembers => "list_group_members",
            Action::ListUserGroups => "list_user_groups",
            Action::DiscoverRoles => "discover_roles",
        }
    }

    /// The action's position in [`Action::ALL`], for per-action tables.
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match Action::ALL.iter().find(|action| action.as_str() == name) {
            Some(action) => Ok(*action),
            None => Err(Error::UnknownAction(name.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_index_matches_position() {
        for (position, action) in Action::ALL.iter().enumerate() {
            assert_eq!(action.index(), position);
            assert_eq!(action.as_str().parse::<Action>().unwrap(), *action);
        }
        assert!("format_disk".parse::<Action>().is_err());
    }
}
