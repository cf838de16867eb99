//! Unit tests for approval and verification binding: each rejection on its own, and the order in
//! which they are checked.

use super::*;
use crate::{TargetGroup, TargetUser};

const NOW: i64 = 1_800_000_000;

fn settings() -> PolicySettings {
    PolicySettings::recommended()
}

fn approval(approver: &str, roles: &[&str], plan: &str) -> Approval {
    Approval {
        approver: approver.to_owned(),
        approver_roles: roles.iter().map(|role| role.to_string()).collect(),
        plan_hash: plan.to_owned(),
        used: false,
        expires_at: NOW + 600,
    }
}

fn user(upn: &str, mfa_registered: bool) -> Resource {
    Resource::User(TargetUser {
        upn: upn.to_owned(),
        department: "Operations".into(),
        privileged_roles: vec!["Global Administrator".into()],
        synced: false,
        mfa_registered,
    })
}

fn verification(target: &str, method: VerificationMethod) -> Verification {
    Verification {
        method,
        target: target.to_owned(),
        code_used: false,
        expires_at: NOW + 300,
    }
}

fn roles_set() -> ApproverSet {
    ApproverSet::for_request(
        Action::PasswordReset,
        &user("nestorw@contoso.com", true),
        &settings(),
    )
}

#[track_caller]
fn check_one(approval: Approval, expected: Result<&str, ApprovalRejection>) {
    let bound = bind_approvals(
        "PattiF@contoso.com",
        Some("nestorw@contoso.com"),
        "plan-1",
        NOW,
        &roles_set(),
        &[approval],
    );
    match expected {
        Ok(approver) => {
            assert_eq!(bound.approvers, vec![approver.to_owned()]);
            assert!(bound.rejected.is_empty(), "{:?}", bound.rejected);
        }
        Err(why) => {
            assert!(bound.approvers.is_empty(), "{:?}", bound.approvers);
            assert_eq!(bound.rejected.len(), 1);
            assert_eq!(bound.rejected[0].1, why);
        }
    }
}

#[test]
fn a_fresh_approval_for_the_plan_from_a_global_administrator_counts() {
    check_one(
        approval("MeganB@Contoso.com", &["Global Administrator"], "plan-1"),
        Ok("meganb@contoso.com"),
    );
}

#[test]
fn self_approval_is_rejected_whatever_the_case_of_the_upn() {
    check_one(
        approval(
            "pattif@CONTOSO.com",
            &["Privileged Authentication Administrator"],
            "plan-1",
        ),
        Err(ApprovalRejection::Requester),
    );
}

#[test]
fn the_target_cannot_approve_a_change_to_itself() {
    check_one(
        approval("NestorW@contoso.com", &["Global Administrator"], "plan-1"),
        Err(ApprovalRejection::Target),
    );
}

#[test]
fn an_approver_outside_the_role_set_is_rejected() {
    check_one(
        approval("LeeG@contoso.com", &["Helpdesk Administrator"], "plan-1"),
        Err(ApprovalRejection::NotAnApprover),
    );
}

#[test]
fn an_approval_for_another_plan_is_rejected() {
    check_one(
        approval(
            "MeganB@contoso.com",
            &["Global Administrator"],
            "plan-for-alexw",
        ),
        Err(ApprovalRejection::OtherPlan),
    );
}

#[test]
fn a_used_approval_is_rejected() {
    let mut used = approval("MeganB@contoso.com", &["Global Administrator"], "plan-1");
    used.used = true;
    check_one(used, Err(ApprovalRejection::Used));
}

#[test]
fn an_approval_expires_at_its_expiry_second() {
    let mut expiring = approval("MeganB@contoso.com", &["Global Administrator"], "plan-1");
    expiring.expires_at = NOW;
    check_one(expiring.clone(), Err(ApprovalRejection::Expired));
    expiring.expires_at = NOW + 1;
    check_one(expiring, Ok("meganb@contoso.com"));
}

#[test]
fn no_plan_means_no_approval_binds_even_an_empty_hash() {
    let bound = bind_approvals(
        "pattif@contoso.com",
        None,
        "",
        NOW,
        &roles_set(),
        &[approval(
            "meganb@contoso.com",
            &["Global Administrator"],
            "",
        )],
    );
    assert!(bound.approvers.is_empty());
    assert_eq!(bound.rejected[0].1, ApprovalRejection::NoPlan);
}

#[test]
fn group_requests_are_approved_by_owners_only() {
    let group = Resource::Group(TargetGroup {
        name: "All-Engineering".into(),
        owners: vec!["DavidP@contoso.com".into()],
        privileged: false,
    });
    let owners = ApproverSet::for_request(Action::RequestAccess, &group, &settings());
    assert_eq!(
        owners.describe(),
        "an owner of All-Engineering (davidp@contoso.com)"
    );
    let bound = bind_approvals(
        "alicec@contoso.com",
        None,
        "plan-1",
        NOW,
        &owners,
        &[
            approval("davidp@contoso.com", &[], "plan-1"),
            approval("meganb@contoso.com", &["Global Administrator"], "plan-1"),
        ],
    );
    assert_eq!(bound.approvers, vec!["davidp@contoso.com".to_owned()]);
    assert_eq!(
        bound.rejected,
        vec![(
            "meganb@contoso.com".to_owned(),
            ApprovalRejection::NotAnApprover
        )]
    );
    // Granting (not requesting) access to the same group uses the role set.
    let grant = ApproverSet::for_request(Action::GrantAccess, &group, &settings());
    assert_eq!(
        grant.describe(),
        "a Global Administrator or Privileged Authentication Administrator"
    );
}

#[test]
fn duplicate_approvals_by_one_approver_count_once() {
    let bound = bind_approvals(
        "pattif@contoso.com",
        None,
        "plan-1",
        NOW,
        &roles_set(),
        &[
            approval("meganb@contoso.com", &["Global Administrator"], "plan-1"),
            approval("MEGANB@contoso.com", &["Global Administrator"], "plan-1"),
        ],
    );
    assert_eq!(bound.approvers, vec!["meganb@contoso.com".to_owned()]);
}

#[test]
fn a_fresh_verification_of_the_target_counts() {
    let target = user("AlexW@contoso.com", true);
    let fresh = verification("alexw@contoso.com", VerificationMethod::RegisteredMethod);
    assert_eq!(bind_verification(&target, &fresh, NOW), Ok(()));
}

#[test]
fn verification_rejections() {
    let target = user("alexw@contoso.com", true);
    let fresh = verification("alexw@contoso.com", VerificationMethod::RegisteredMethod);

    let other = verification("adelev@contoso.com", VerificationMethod::RegisteredMethod);
    assert_eq!(
        bind_verification(&target, &other, NOW),
        Err(VerificationRejection::OtherUser)
    );

    let used = Verification {
        code_used: true,
        ..fresh.clone()
    };
    assert_eq!(
        bind_verification(&target, &used, NOW),
        Err(VerificationRejection::CodeUsed)
    );

    let expired = Verification {
        expires_at: NOW,
        ..fresh.clone()
    };
    assert_eq!(
        bind_verification(&target, &expired, NOW),
        Err(VerificationRejection::Expired)
    );

    assert_eq!(
        bind_verification(&Resource::Tenant, &fresh, NOW),
        Err(VerificationRejection::NotAUser)
    );
}

#[test]
fn an_unenrolled_user_can_only_be_verified_by_the_manager() {
    let target = user("henriettam@contoso.com", false);
    let by_method = verification(
        "henriettam@contoso.com",
        VerificationMethod::RegisteredMethod,
    );
    assert_eq!(
        bind_verification(&target, &by_method, NOW),
        Err(VerificationRejection::NoRegisteredMethod)
    );
    let by_manager = verification(
        "henriettam@contoso.com",
        VerificationMethod::ManagerConfirmation,
    );
    assert_eq!(bind_verification(&target, &by_manager, NOW), Ok(()));
}
