//! Binding approvals and verifications to the request at hand, before Cedar sees anything.
//!
//! An approval counts only if it was given for this exact plan (the plan hash covers the action,
//! the target and the parameters, so an approval for another target does not match), has not been
//! used, has not expired, and comes from someone in the approver set who is neither the requester
//! (four eyes) nor the target (a compromised target must not approve changes to itself).
//! A verification counts only if it is of this target, fresh and unused, and a "registered
//! method" verification is impossible for a user with none registered.
//!
//! These checks live in Rust rather than in the policy so that a custom policy cannot weaken them:
//! the policy only learns the outcome (`approved_by_second_approver`, `approvers`,
//! `verification`).

use std::fmt;

use crate::facts::normalize_upn;
use crate::{Action, Approval, PolicySettings, Resource, Verification, VerificationMethod};

/// Who may approve a given request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApproverSet {
    /// Holders of any of these directory roles (privileged targets, budget overruns).
    Roles(Vec<String>),
    /// The owners of a group (group access requests).
    GroupOwners {
        /// The group's display name.
        group: String,
        /// The owners' UPNs, normalized.
        owners: Vec<String>,
    },
}

impl ApproverSet {
    /// The approver set for `action` on `resource`: a group's owners for a group access request,
    /// otherwise the holders of the configured approver roles.
    pub fn for_request(
        action: Action,
        resource: &Resource,
        settings: &PolicySettings,
    ) -> ApproverSet {
        match (action, resource) {
            (Action::RequestAccess, Resource::Group(group)) => ApproverSet::GroupOwners {
                group: group.name.clone(),
                owners: group
                    .owners
                    .iter()
                    .map(|owner| normalize_upn(owner))
                    .collect(),
            },
            _ => ApproverSet::Roles(settings.approver_roles.clone()),
        }
    }

    /// Whether `approval`'s approver belongs to the set.
    pub fn admits(&self, approval: &Approval) -> bool {
        match self {
            ApproverSet::Roles(roles) => approval
                .approver_roles
                .iter()
                .any(|held| roles.iter().any(|role| role == held)),
            ApproverSet::GroupOwners { owners, .. } => {
                let approver = normalize_upn(&approval.approver);
                owners.contains(&approver)
            }
        }
    }

    /// A sentence fragment naming the set, e.g. "a Global Administrator or Privileged
    /// Authentication Administrator".
    pub fn describe(&self) -> String {
        match self {
            ApproverSet::Roles(roles) if roles.is_empty() => "an approver (none configured)".into(),
            ApproverSet::Roles(roles) => {
                let first = &roles[0];
                let article = if first.starts_with(['A', 'E', 'I', 'O', 'U']) {
                    "an"
                } else {
                    "a"
                };
                format!("{article} {}", roles.join(" or "))
            }
            ApproverSet::GroupOwners { group, owners } if owners.is_empty() => {
                format!("an owner of {group} (it has none)")
            }
            ApproverSet::GroupOwners { group, owners } => {
                format!("an owner of {group} ({})", owners.join(", "))
            }
        }
    }
}

/// The approvals that count, and why the others don't.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoundApprovals {
    /// Normalized UPNs of the approvers whose approval counts, sorted, without duplicates.
    pub approvers: Vec<String>,
    /// Each approval that does not count, with the approver's UPN and the reason.
    pub rejected: Vec<(String, ApprovalRejection)>,
}

/// Why an approval does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalRejection {
    /// The approver is the requester: four eyes need someone else.
    Requester,
    /// The approver is the target of the action.
    Target,
    /// The approver is not in the approver set.
    NotAnApprover,
    /// The request has no plan to bind an approval to.
    NoPlan,
    /// The approval was given for another plan (another action, target or parameters).
    OtherPlan,
    /// The approval was already used.
    Used,
    /// The approval has expired.
    Expired,
}

impl fmt::Display for ApprovalRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApprovalRejection::Requester => "the approver is the requester",
            ApprovalRejection::Target => "the approver is the target of the action",
            ApprovalRejection::NotAnApprover => "the approver is not in the approver set",
            ApprovalRejection::NoPlan => "the request has no plan to approve",
            ApprovalRejection::OtherPlan => "it was given for a different plan",
            ApprovalRejection::Used => "it was already used",
            ApprovalRejection::Expired => "it has expired",
        })
    }
}

/// Checks every approval against the request.
///
/// `target` is the target user's UPN when the resource is a user.
pub fn bind_approvals(
    requester: &str,
    target: Option<&str>,
    plan_hash: &str,
    now: i64,
    approver_set: &ApproverSet,
    approvals: &[Approval],
) -> BoundApprovals {
    let requester = normalize_upn(requester);
    let target = target.map(normalize_upn);
    let mut bound = BoundApprovals::default();
    for approval in approvals {
        let approver = normalize_upn(&approval.approver);
        let rejection = if approver == requester {
            Some(ApprovalRejection::Requester)
        } else if target.as_deref() == Some(approver.as_str()) {
            Some(ApprovalRejection::Target)
        } else if !approver_set.admits(approval) {
            Some(ApprovalRejection::NotAnApprover)
        } else if plan_hash.is_empty() {
            Some(ApprovalRejection::NoPlan)
        } else if approval.plan_hash != plan_hash {
            Some(ApprovalRejection::OtherPlan)
        } else if approval.used {
            Some(ApprovalRejection::Used)
        } else if now >= approval.expires_at {
            Some(ApprovalRejection::Expired)
        } else {
            None
        };
        match rejection {
            Some(why) => bound.rejected.push((approver, why)),
            None => bound.approvers.push(approver),
        }
    }
    bound.approvers.sort();
    bound.approvers.dedup();
    bound
}

/// Why a verification does not count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationRejection {
    /// The action's target is not a user.
    NotAUser,
    /// The verification is of another user.
    OtherUser,
    /// Its one-time code was already used.
    CodeUsed,
    /// It has expired.
    Expired,
    /// It claims a registered method, but the user has none registered.
    NoRegisteredMethod,
}

impl fmt::Display for VerificationRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VerificationRejection::NotAUser => "the target is not a user",
            VerificationRejection::OtherUser => "it verified a different user",
            VerificationRejection::CodeUsed => "its code was already used",
            VerificationRejection::Expired => "it has expired",
            VerificationRejection::NoRegisteredMethod => {
                "it claims a registered method, but the user has none registered"
            }
        })
    }
}

/// Checks a verification against the request's target.
pub fn bind_verification(
    resource: &Resource,
    verification: &Verification,
    now: i64,
) -> Result<(), VerificationRejection> {
    let Resource::User(user) = resource else {
        return Err(VerificationRejection::NotAUser);
    };
    if normalize_upn(&verification.target) != normalize_upn(&user.upn) {
        return Err(VerificationRejection::OtherUser);
    }
    if verification.code_used {
        return Err(VerificationRejection::CodeUsed);
    }
    if now >= verification.expires_at {
        return Err(VerificationRejection::Expired);
    }
    if verification.method == VerificationMethod::RegisteredMethod && !user.mfa_registered {
        return Err(VerificationRejection::NoRegisteredMethod);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
