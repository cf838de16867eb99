//! Unit tests for loading (the shipped policy validates; broken custom policies fail closed) and
//! for the explanation text. The decision cases themselves are data: `test_data/cases.toml`,
//! run by `tests/it/cases.rs`.

use super::*;
use crate::{
    Action, Approval, ContextFacts, DEFAULT_POLICY, DEFAULT_SCHEMA, Error, Origin, PolicySettings,
    Principal, TargetUser, explain,
};

const NOW: i64 = 1_800_000_000;

fn engine() -> PolicyEngine {
    PolicyEngine::with_default_policy(PolicySettings::recommended()).unwrap()
}

fn load(policy_text: &str) -> Result<PolicyEngine, Error> {
    PolicyEngine::from_sources(DEFAULT_SCHEMA, policy_text, PolicySettings::recommended())
}

#[test]
fn the_default_policy_validates_against_the_schema_and_every_policy_has_a_reason() {
    let engine = engine();
    assert!(engine.policies().len() >= 20, "{}", engine.policies().len());
    for info in engine.policies() {
        assert!(!info.reason.is_empty(), "{}", info.id);
        assert!(
            info.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "ids are kebab-case: {}",
            info.id
        );
    }
    assert_eq!(
        engine.policy("global-administrator").unwrap().effect,
        PolicyEffect::Permit
    );
    assert_eq!(
        engine.policy("no-mfa-reset-for-privileged").unwrap().effect,
        PolicyEffect::Forbid
    );
}

#[test]
fn action_groups_come_from_the_schema() {
    let engine = engine();
    let sensitive: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| engine.is_sensitive(**a))
        .map(|a| a.as_str())
        .collect();
    assert_eq!(
        sensitive,
        [
            "password_reset",
            "unlock_account",
            "unblock_signin",
            "mfa_reset",
            "issue_tap",
            "revoke_sessions",
            "disable_account",
            "create_user",
            "grant_access",
            "remove_access",
            "contain_compromise"
        ]
    );
    let verified: Vec<&str> = Action::ALL
        .iter()
        .filter(|a| engine.needs_verification(**a))
        .map(|a| a.as_str())
        .collect();
    assert_eq!(
        verified,
        ["password_reset", "unlock_account", "mfa_reset", "issue_tap"]
    );
}

#[test]
fn a_policy_naming_an_unknown_attribute_fails_strict_validation() {
    let text = r#"
        @id("typo") @reason("typo")
        permit (principal is Keydesk::Operator, action, resource is Keydesk::User)
        when { resource.is_privileged == false };
    "#;
    let error = load(text).unwrap_err();
    assert!(matches!(error, Error::Validation(_)), "{error}");
    assert!(error.to_string().contains("typo"), "{error}");
}

#[test]
fn a_policy_comparing_a_string_to_a_number_fails_strict_validation() {
    let text = r#"
        @id("bad-type") @reason("bad")
        forbid (principal, action, resource) when { context.origin > 3 };
    "#;
    assert!(matches!(load(text), Err(Error::Validation(_))));
}

#[test]
fn a_policy_that_does_not_parse_is_an_error() {
    let text = r#"@id("x") @reason("x") permit (principal, action, resource) when { "#;
    assert!(matches!(load(text), Err(Error::Parse(_))));
}

#[test]
fn ids_and_reasons_are_required_and_ids_unique() {
    let no_id = r#"@reason("r") permit (principal, action, resource);"#;
    assert!(matches!(
        load(no_id),
        Err(Error::MissingAnnotation {
            annotation: "id",
            ..
        })
    ));
    let no_reason = r#"@id("a") permit (principal, action, resource);"#;
    assert!(matches!(
        load(no_reason),
        Err(Error::MissingAnnotation {
            annotation: "reason",
            ..
        })
    ));
    let twice = r#"
        @id("a") @reason("r") permit (principal, action, resource);
        @id("a") @reason("r") forbid (principal, action, resource);
    "#;
    assert!(matches!(load(twice), Err(Error::DuplicateId(id)) if id == "a"));
}

#[test]
fn templates_are_refused() {
    let text = r#"@id("t") @reason("r") permit (principal == ?principal, action, resource);"#;
    assert!(matches!(load(text), Err(Error::Template(_))));
}

#[test]
fn a_schema_missing_an_action_of_the_vocabulary_is_refused() {
    let schema = DEFAULT_SCHEMA.replace(
        "  action \"discover_roles\"\n    in [\"read_only\", \"everyday\"]\n    appliesTo { principal: [Operator, Employee], resource: [Tenant], context: RequestContext };\n",
        "",
    );
    assert_ne!(schema, DEFAULT_SCHEMA);
    let error = PolicyEngine::from_sources(&schema, "", PolicySettings::recommended()).unwrap_err();
    assert!(
        matches!(error, Error::MissingAction("discover_roles")),
        "{error}"
    );
}

#[test]
fn an_empty_policy_denies_everything() {
    let engine = load("").unwrap();
    let decision = evaluate(&engine, &meganb_resets_alexw(vec![]));
    assert_eq!(decision.effect, Effect::Deny);
    assert!(
        decision.reasons[0].starts_with("no policy permits"),
        "{:?}",
        decision.reasons
    );
}

#[test]
fn the_shipped_policy_text_mentions_each_id_once() {
    let engine = engine();
    for info in engine.policies() {
        let needle = format!("@id(\"{}\")", info.id);
        assert_eq!(DEFAULT_POLICY.matches(&needle).count(), 1, "{}", info.id);
    }
}

fn pattif_resets_nestorw(approvals: Vec<Approval>) -> DecisionRequest {
    DecisionRequest {
        principal: Principal {
            upn: "PattiF@contoso.onmicrosoft.com".into(),
            kind: PrincipalKind::Operator,
            directory_roles: vec![
                "Privileged Authentication Administrator".into(),
                "Security Administrator".into(),
            ],
            groups: vec!["IT Support".into()],
            unlock_any_account: false,
        },
        action: Action::PasswordReset,
        resource: Resource::User(TargetUser {
            upn: "NestorW@contoso.onmicrosoft.com".into(),
            department: "Operations".into(),
            privileged_roles: vec!["Global Administrator".into()],
            synced: false,
            mfa_registered: true,
        }),
        context: ContextFacts {
            plan_hash: "plan-1".into(),
            approvals,
            verification: Some(crate::Verification {
                method: VerificationMethod::RegisteredMethod,
                target: "nestorw@contoso.onmicrosoft.com".into(),
                code_used: false,
                expires_at: NOW + 300,
            }),
            origin: Origin::Cli,
            bulk: false,
            now: NOW,
            sensitive_actions_last_hour: 0,
            profile_fields: vec![],
        },
    }
}

fn meganb_resets_alexw(approvals: Vec<Approval>) -> DecisionRequest {
    let mut request = pattif_resets_nestorw(approvals);
    request.principal.upn = "MeganB@contoso.onmicrosoft.com".into();
    request.principal.directory_roles = vec!["Global Administrator".into()];
    request.resource = Resource::User(TargetUser {
        upn: "AlexW@contoso.onmicrosoft.com".into(),
        department: "Sales".into(),
        privileged_roles: vec![],
        synced: false,
        mfa_registered: true,
    });
    request.context.verification = None;
    request
}

#[test]
fn explain_names_the_forbid_what_is_missing_and_the_ignored_approval() {
    let self_approval = Approval {
        approver: "pattif@contoso.onmicrosoft.com".into(),
        approver_roles: vec!["Privileged Authentication Administrator".into()],
        plan_hash: "plan-1".into(),
        used: false,
        expires_at: NOW + 600,
    };
    let decision = evaluate(&engine(), &pattif_resets_nestorw(vec![self_approval]));
    assert_eq!(decision.effect, Effect::NeedsApproval);
    let expected = "\
password_reset by pattif@contoso.onmicrosoft.com on nestorw@contoso.onmicrosoft.com: NEEDS APPROVAL
  forbidden by privileged-target-needs-privileged-admin-and-second-approver: The target holds a privileged directory role: a change needs a Privileged Authentication Administrator or Global Administrator and a second approver
  missing: an approval of this exact plan from a Global Administrator or Privileged Authentication Administrator, who is neither the requester nor the target
  verification: the user was verified
  note: the approval by pattif@contoso.onmicrosoft.com does not count: the approver is the requester
";
    assert_eq!(explain(&decision), expected);
}

#[test]
fn explain_an_allow_lists_the_permits_and_the_approver() {
    let approval = Approval {
        approver: "MeganB@contoso.onmicrosoft.com".into(),
        approver_roles: vec!["Global Administrator".into()],
        plan_hash: "plan-1".into(),
        used: false,
        expires_at: NOW + 600,
    };
    let decision = evaluate(&engine(), &pattif_resets_nestorw(vec![approval]));
    let expected = "\
password_reset by pattif@contoso.onmicrosoft.com on nestorw@contoso.onmicrosoft.com: ALLOW
  allowed by privileged-authentication-administrator: Privileged Authentication Administrators may run the credential actions on any user
  verification: the user was verified
  approved by: meganb@contoso.onmicrosoft.com
";
    assert_eq!(explain(&decision), expected);
}

#[test]
fn explain_a_plain_denial_without_a_matching_permit() {
    let mut request = meganb_resets_alexw(vec![]);
    request.principal.directory_roles = vec![];
    request.principal.kind = PrincipalKind::Employee;
    request.action = Action::DisableAccount;
    request.resource = Resource::User(TargetUser {
        upn: "meganb@contoso.onmicrosoft.com".into(),
        department: "IT".into(),
        privileged_roles: vec![],
        synced: false,
        mfa_registered: true,
    });
    let decision = evaluate(&engine(), &request);
    let expected = "\
disable_account by meganb@contoso.onmicrosoft.com on meganb@contoso.onmicrosoft.com: DENY
  forbidden by employees-self-service-only: Employees may use only the self-service actions
";
    assert_eq!(explain(&decision), expected);
}

#[test]
fn policy_slices_agree_with_the_full_set_for_every_request_shape() {
    // `authorize` cross-checks each slice against the full policy set in debug builds; this
    // drives it through every action, principal kind and resource kind, with and without
    // approval, verification, bulk and budget use.
    let engine = engine();
    let group = |privileged| {
        Resource::Group(crate::TargetGroup {
            name: "All-Engineering".into(),
            owners: vec!["davidp@contoso.onmicrosoft.com".into()],
            privileged,
        })
    };
    let user = |privileged: bool| {
        Resource::User(TargetUser {
            upn: "nestorw@contoso.onmicrosoft.com".into(),
            department: "Operations".into(),
            privileged_roles: if privileged {
                vec!["Global Administrator".into()]
            } else {
                vec![]
            },
            synced: false,
            mfa_registered: !privileged,
        })
    };
    let resources = [
        user(true),
        user(false),
        group(true),
        group(false),
        Resource::Tenant,
    ];
    let mut decisions = 0;
    for action in Action::ALL {
        for kind in [PrincipalKind::Operator, PrincipalKind::Employee] {
            for resource in &resources {
                for variant in 0..4 {
                    let mut request = pattif_resets_nestorw(vec![]);
                    request.action = action;
                    request.principal.kind = kind;
                    request.resource = resource.clone();
                    if variant & 1 == 1 {
                        request.context.approvals = vec![Approval {
                            approver: "davidp@contoso.onmicrosoft.com".into(),
                            approver_roles: vec!["Global Administrator".into()],
                            plan_hash: "plan-1".into(),
                            used: false,
                            expires_at: NOW + 600,
                        }];
                        request.context.verification = None;
                    }
                    if variant & 2 == 2 {
                        request.context.bulk = true;
                        request.context.sensitive_actions_last_hour = 100;
                    }
                    let decision = evaluate(&engine, &request);
                    assert!(!decision.summary.is_empty());
                    decisions += 1;
                }
            }
        }
    }
    assert_eq!(decisions, 23 * 2 * 5 * 4);
}

#[test]
fn an_action_on_the_wrong_kind_of_resource_is_denied_with_the_reason() {
    let mut request = meganb_resets_alexw(vec![]);
    request.resource = Resource::Tenant;
    let decision = evaluate(&engine(), &request);
    assert_eq!(decision.effect, Effect::Deny);
    assert_eq!(
        decision.reasons,
        [
            "password_reset does not apply to the tenant requested by an operator (the schema's appliesTo)"
        ]
    );
}

#[test]
fn a_custom_schema_whose_entities_keydesk_cannot_fill_is_refused_at_load() {
    let schema = DEFAULT_SCHEMA.replace(
        "    department: String,\n",
        "    department: String,\n    manager: String,\n",
    );
    assert_ne!(schema, DEFAULT_SCHEMA);
    let error = PolicyEngine::from_sources(&schema, DEFAULT_POLICY, PolicySettings::recommended())
        .unwrap_err();
    assert!(matches!(error, Error::Schema(_)), "{error}");
    assert!(
        error.to_string().contains("keydesk's facts do not fit"),
        "{error}"
    );
}
