//! Unit tests for the engine's pre-sorting of policies: scope slices and the what-if split.

use super::*;

#[test]
fn what_if_fields_are_detected_conservatively() {
    let reads = |text: &str| reads_what_if_fields(text);
    assert!(reads(
        "forbid (principal, action, resource) unless { context.approved_by_second_approver };"
    ));
    assert!(reads(
        r#"permit (principal, action, resource) when { context["verification"] == "verified" };"#
    ));
    assert!(reads(
        "permit (principal, action, resource) when { context has approvers };"
    ));
    assert!(reads(
        "permit (principal, action, resource) when { context == {} };"
    ));
    assert!(!reads(
        r#"forbid (principal, action, resource) when { context.origin == "mcp" };"#
    ));
    assert!(!reads(
        "forbid (principal, action, resource) when { context has bulk && context.bulk };"
    ));
    assert!(!reads("permit (principal, action, resource);"));
}

fn ids(set: &PolicySet) -> Vec<String> {
    let mut ids: Vec<String> = set
        .policies()
        .map(|policy| policy.id().to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn an_operator_resetting_a_password_evaluates_only_the_policies_in_scope() {
    let engine = PolicyEngine::with_default_policy(PolicySettings::recommended()).unwrap();
    let user = Resource::User(crate::TargetUser {
        upn: "alexw@contoso.onmicrosoft.com".into(),
        department: "Sales".into(),
        privileged_roles: vec![],
        synced: false,
        mfa_registered: true,
    });
    let slice = engine
        .slice(Action::PasswordReset, PrincipalKind::Operator, &user)
        .unwrap();
    assert_eq!(
        ids(&slice.fixed_permits),
        [
            "global-administrator",
            "helpdesk-everyday",
            "privileged-authentication-administrator",
            "user-administrator"
        ]
    );
    assert_eq!(
        ids(&slice.fixed_forbids),
        [
            "no-bulk-changes-to-privileged",
            "no-privileged-changes-from-mcp",
            "synced-accounts-managed-on-premises"
        ]
    );
    assert!(ids(&slice.what_if_permits).is_empty());
    assert_eq!(
        ids(&slice.what_if_forbids),
        [
            "hourly-sensitive-budget",
            "privileged-target-needs-privileged-admin-and-second-approver",
            "verify-user-before-credential-change"
        ]
    );
    assert!(
        engine
            .slice(
                Action::PasswordReset,
                PrincipalKind::Operator,
                &Resource::Tenant
            )
            .is_none()
    );
}

#[test]
fn the_engine_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<PolicyEngine>();
}
