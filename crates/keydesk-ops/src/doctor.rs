//! `doctor`: what keydesk's app may actually do in this tenant. It reads the application
//! permissions in the access token, the directory roles of the app's service principal, and the
//! tenant's licences, and tells for every keydesk action whether it will work and exactly what to
//! grant otherwise.
//!
//! [`ACTION_REQUIREMENTS`] is the one table of what each action needs; the README documents it
//! from here. The doctor reads only; it never grants anything itself.

use keydesk_graph::model::SubscribedSku;
use serde::Serialize;
use serde_json::json;

use crate::report::{Outcome, Report};
use crate::roles::{self, BuiltInRole, HeldRole};
use crate::{Ops, Result};

/// Entra ID licence level an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum License {
    Free,
    P1,
    P2,
}

/// What one keydesk action needs. In every permission list any entry satisfies the need and the
/// first is the least-privileged one to grant.
#[derive(Debug, Clone, Copy)]
pub struct ActionRequirement {
    pub action: &'static str,
    /// Application permissions, all needed.
    pub permissions: &'static [&'static [&'static str]],
    /// Application permissions that add a feature; without them the action still runs.
    pub optional: &'static [(&'static [&'static str], &'static str)],
    /// keydesk's service principal must hold one of these directory roles.
    pub role: &'static [BuiltInRole],
    /// Roles that let the action reach administrators too (empty: no extra role).
    pub admin_targets: &'static [BuiltInRole],
    /// Licence needed for the action to work at all.
    pub license: License,
    pub note: &'static str,
}

const USER_READ: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const USER_WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
const PASSWORD_WRITE: &[&str] = &[
    "User-PasswordProfile.ReadWrite.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const REVOKE: &[&str] = &[
    "User.RevokeSessions.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const GROUP_READ: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GROUP_MEMBER_WRITE: &[&str] = &[
    "GroupMember.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const AUDIT_READ: &[&str] = &["AuditLog.Read.All"];
const METHODS_READ: &[&str] = &[
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
];
const METHODS_WRITE: &[&str] = &["UserAuthenticationMethod.ReadWrite.All"];
const RISK_READ: &[&str] = &[
    "IdentityRiskyUser.Read.All",
    "IdentityRiskyUser.ReadWrite.All",
];
const RISK_WRITE: &[&str] = &["IdentityRiskyUser.ReadWrite.All"];
const RISK_EVENTS_READ: &[&str] = &[
    "IdentityRiskEvent.Read.All",
    "IdentityRiskEvent.ReadWrite.All",
];
const ROLES_READ: &[&str] = &[
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const GRANTS_WRITE: &[&str] = &[
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const GRANTS_READ: &[&str] = &[
    "DelegatedPermissionGrant.Read.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const APP_DISABLE: (&[&str], &str) = (
    &["Application.ReadWrite.All"],
    "disabling a malicious app's service principal during containment",
);
const ORG_READ: &[&str] = &[
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const APP_READ: &[&str] = &[
    "Application.Read.All",
    "Application.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const MAIL_SEND: &[&str] = &["Mail.Send"];

const MAIL_DELIVERY: (&[&str], &str) = (
    MAIL_SEND,
    "mailing temporary credentials to the manager or a named person",
);
const RESET_ROLES: &[BuiltInRole] = &[
    roles::USER_ADMINISTRATOR,
    roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    roles::GLOBAL_ADMINISTRATOR,
];
const ADMIN_ROLES: &[BuiltInRole] = &[
    roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
    roles::GLOBAL_ADMINISTRATOR,
];

const fn requirement(
    action: &'static str,
    permissions: &'static [&'static [&'static str]],
) -> ActionRequirement {
    ActionRequirement {
        action,
        permissions,
        optional: &[],
        role: &[],
        admin_targets: &[],
        license: License::Free,
        note: "",
    }
}

/// Every keydesk action and what keydesk's app needs for it.
#[rustfmt::skip]
pub const ACTION_REQUIREMENTS: &[ActionRequirement] = &[
    ActionRequirement { license: License::P1, optional: &[(RISK_READ, "Identity Protection risk (Entra ID P2)")], note: "sign-in logs need Entra ID P1",
        ..requirement("diagnose_signin", &[USER_READ, AUDIT_READ, METHODS_READ, ROLES_READ]) },
    ActionRequirement { license: License::P1, optional: &[(RISK_WRITE, "dismissing user risk (Entra ID P2)")], admin_targets: ADMIN_ROLES,
        note: "re-enabling is a sensitive change: administrators need Privileged Authentication Administrator",
        ..requirement("unlock_account", &[USER_READ, AUDIT_READ, METHODS_READ, ROLES_READ, USER_WRITE]) },
    ActionRequirement { optional: &[MAIL_DELIVERY, (REVOKE, "revoking sessions after the reset")], role: RESET_ROLES, admin_targets: ADMIN_ROLES,
        note: "app-only resets go through passwordProfile and need a directory role on keydesk's service principal",
        ..requirement("password_reset", &[USER_READ, PASSWORD_WRITE, ROLES_READ]) },
    ActionRequirement { optional: &[MAIL_DELIVERY], ..requirement("mfa_reset", &[USER_READ, METHODS_WRITE]) },
    ActionRequirement { optional: &[MAIL_DELIVERY], note: "the tenant's Temporary Access Pass policy must be enabled",
        ..requirement("issue_tap", &[USER_READ, METHODS_WRITE]) },
    ActionRequirement { license: License::P2, optional: &[(RISK_EVENTS_READ, "showing the risk detections first")],
        ..requirement("unblock_signin", &[USER_READ, RISK_WRITE]) },
    ActionRequirement { admin_targets: ADMIN_ROLES, note: "access tokens already issued stay valid until they expire",
        ..requirement("revoke_sessions", &[USER_READ, REVOKE]) },
    ActionRequirement { admin_targets: ADMIN_ROLES, ..requirement("disable_account", &[USER_READ, USER_WRITE]) },
    ActionRequirement { optional: &[MAIL_DELIVERY, (ORG_READ, "checking the UPN's domain is verified")],
        ..requirement("create_user", &[USER_WRITE]) },
    ActionRequirement { optional: &[(METHODS_READ, "the methods summary"), (RISK_READ, "the risk state (Entra ID P2)")],
        ..requirement("show_user", &[USER_READ, GROUP_READ, ROLES_READ]) },
    requirement("search_users", &[USER_READ]),
    ActionRequirement { admin_targets: ADMIN_ROLES, note: "phone numbers of administrators are sensitive properties",
        ..requirement("update_user_profile", &[USER_WRITE]) },
    requirement("update_photo", &[USER_WRITE]),
    ActionRequirement { license: License::P1, note: "smart lockouts come from the sign-in log (Entra ID P1)",
        ..requirement("list_locked_accounts", &[USER_READ, AUDIT_READ]) },
    ActionRequirement { note: "role-assignable groups also need RoleManagement.ReadWrite.Directory",
        ..requirement("grant_access", &[USER_READ, GROUP_MEMBER_WRITE]) },
    ActionRequirement { note: "role-assignable groups also need RoleManagement.ReadWrite.Directory",
        ..requirement("remove_access", &[USER_READ, GROUP_MEMBER_WRITE]) },
    requirement("check_membership", &[USER_READ, GROUP_READ]),
    requirement("list_group_members", &[USER_READ, GROUP_READ]),
    requirement("list_user_groups", &[USER_READ, GROUP_READ]),
    requirement("discover_roles", &[ROLES_READ, GROUP_READ]),
    ActionRequirement { note: "reads roles, groups, enterprise apps and licences to propose the tenant profile",
        ..requirement("discover", &[ROLES_READ, GROUP_READ, APP_READ, ORG_READ]) },
    ActionRequirement { license: License::P2,
        note: "reads sign-ins, risk, methods, directory audits and delegated grants; hunt reads the tenant's sign-ins",
        ..requirement("investigate_compromise", &[USER_READ, AUDIT_READ, RISK_READ, RISK_EVENTS_READ, METHODS_READ, GRANTS_READ]) },
    ActionRequirement { license: License::P2, role: RESET_ROLES, admin_targets: ADMIN_ROLES, optional: &[MAIL_DELIVERY, APP_DISABLE],
        note: "revokes sessions, removes the attacker's methods and grants, confirms the compromise, resets the password, issues a TAP",
        ..requirement("contain_compromise", &[USER_READ, REVOKE, METHODS_WRITE, GRANTS_WRITE, RISK_WRITE, PASSWORD_WRITE]) },
];

/// Whether an action will work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    Ready,
    /// Works, with caveats (administrators out of reach, an optional feature missing, unverified).
    Limited,
    Blocked,
}

/// The doctor's verdict on one action.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionCheck {
    pub action: &'static str,
    pub readiness: Readiness,
    /// Permissions to grant (application permissions on Microsoft Graph, with admin consent).
    pub grant_permissions: Vec<&'static str>,
    /// A directory role to assign to keydesk's service principal.
    pub assign_role: Option<&'static str>,
    pub caveats: Vec<String>,
}

/// What the tenant's licences allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Licences {
    pub p1: bool,
    pub p2: bool,
}

/// Judges one action against what the app holds. `roles` and `licences` are `None` when unknown.
pub fn check(
    requirement: &ActionRequirement,
    granted: &[String],
    roles: Option<&[HeldRole]>,
    licences: Option<Licences>,
) -> ActionCheck {
    let holds = |any: &[&str]| {
        any.iter()
            .any(|p| granted.iter().any(|g| g.eq_ignore_ascii_case(p)))
    };
    let holds_role = |any: &[BuiltInRole]| {
        roles.map(|held| {
            any.iter()
                .any(|r| held.iter().any(|h| h.template_id == r.template_id))
        })
    };
    let mut grant_permissions: Vec<&'static str> = requirement
        .permissions
        .iter()
        .filter(|any| !holds(any))
        .map(|any| any[0])
        .collect();
    grant_permissions.dedup();
    let mut caveats = Vec::new();
    let mut blocked = !grant_permissions.is_empty();
    let mut assign_role = None;
    match holds_role(requirement.role) {
        _ if requirement.role.is_empty() => {}
        Some(true) => {}
        Some(false) => {
            blocked = true;
            assign_role = Some(requirement.role[0].name);
        }
        None => caveats.push(format!(
            "needs the {} role on keydesk's service principal (could not be checked)",
            requirement.role[0].name
        )),
    }
    if !requirement.admin_targets.is_empty() && holds_role(requirement.admin_targets) != Some(true)
    {
        caveats.push(format!(
            "administrators are out of reach without the {} role",
            requirement.admin_targets[0].name
        ));
    }
    for (any, what) in requirement.optional {
        if !holds(any) {
            caveats.push(format!("without {}: no {what}", any[0]));
        }
    }
    let (has, name) = match requirement.license {
        License::Free => (Some(true), ""),
        License::P1 => (licences.map(|l| l.p1), "Entra ID P1"),
        License::P2 => (licences.map(|l| l.p2), "Entra ID P2"),
    };
    match has {
        Some(true) => {}
        Some(false) => {
            blocked = true;
            caveats.push(format!("the tenant has no {name} licence"));
        }
        None => caveats.push(format!(
            "needs {name}; the tenant's licences could not be read"
        )),
    }
    if !requirement.note.is_empty() {
        caveats.push(requirement.note.to_string());
    }
    let limited = caveats.len() > usize::from(!requirement.note.is_empty());
    let readiness = match (blocked, limited) {
        (true, _) => Readiness::Blocked,
        (false, true) => Readiness::Limited,
        (false, false) => Readiness::Ready,
    };
    ActionCheck {
        action: requirement.action,
        readiness,
        grant_permissions,
        assign_role,
        caveats,
    }
}

/// Entra ID P1 / P2 from the tenant's enabled SKUs and their provisioned service plans.
pub fn licences_of(skus: &[SubscribedSku]) -> Licences {
    let plans: Vec<&str> = skus
        .iter()
        .filter(|sku| {
            sku.capability_status.as_deref().is_none_or(|s| {
                s.eq_ignore_ascii_case("Enabled") || s.eq_ignore_ascii_case("Warning")
            })
        })
        .flat_map(|sku| {
            let plans = sku
                .service_plans
                .iter()
                .filter(|p| {
                    p.provisioning_status
                        .as_deref()
                        .is_none_or(|s| s.eq_ignore_ascii_case("Success"))
                })
                .filter_map(|p| p.service_plan_name.as_deref());
            plans.chain(sku.sku_part_number.as_deref())
        })
        .collect();
    let p2 = plans
        .iter()
        .any(|p| p.eq_ignore_ascii_case("AAD_PREMIUM_P2"));
    Licences {
        p1: p2 || plans.iter().any(|p| p.eq_ignore_ascii_case("AAD_PREMIUM")),
        p2,
    }
}

/// `doctor`: reads what keydesk's app holds and tells, per action, whether it will work.
pub async fn doctor(ops: &Ops) -> Result<Report> {
    let mut report = Report::new("doctor", None);
    let app_id = ops.graph.config().client_id.clone();
    let granted = match ops.graph.granted_roles().await {
        Ok(granted) => granted,
        Err(error) => {
            report.outcome = Outcome::Failed;
            report.summary = format!(
                "keydesk could not get an access token for app {app_id}: {}",
                error.explain()
            );
            report.note("Check the tenant id, the client id and the secret or certificate (and that it has not expired).");
            report.details = json!({"app": {"appId": app_id}});
            return Ok(report);
        }
    };
    let (organization, skus, service_principal) = futures::join!(
        ops.graph.organization(),
        ops.graph.subscribed_skus(),
        ops.graph.find_service_principal_by_app_id(&app_id),
    );
    let organization = organization
        .map_err(|e| report.note(format!("The tenant could not be read: {}", e.explain())))
        .ok();
    let skus = skus
        .map_err(|e| {
            report.note(format!(
                "The tenant's licences could not be read (grant Organization.Read.All): {}",
                e.explain()
            ))
        })
        .ok();
    let licences = skus.as_deref().map(licences_of);
    let service_principal = match service_principal {
        Ok(sp) => sp,
        Err(error) => {
            report.note(format!("keydesk's service principal could not be read (grant Application.Read.All or Directory.Read.All): {}", error.explain()));
            None
        }
    };
    let held = match &service_principal {
        Some(sp) => match roles::roles_of_service_principal(ops, &sp.id).await {
            Ok(held) => Some(held),
            Err(error) => {
                report.note(format!("keydesk's directory roles could not be read (grant RoleManagement.Read.Directory): {error}"));
                None
            }
        },
        None => None,
    };

    let checks: Vec<ActionCheck> = ACTION_REQUIREMENTS
        .iter()
        .map(|r| check(r, &granted, held.as_deref(), licences))
        .collect();
    let count = |readiness: Readiness| checks.iter().filter(|c| c.readiness == readiness).count();
    let mut grant: Vec<&str> = checks
        .iter()
        .flat_map(|c| c.grant_permissions.iter().copied())
        .collect();
    grant.sort_unstable();
    grant.dedup();
    let mut assign: Vec<&str> = checks.iter().filter_map(|c| c.assign_role).collect();
    assign.sort_unstable();
    assign.dedup();
    let blocked: Vec<&str> = checks
        .iter()
        .filter(|c| c.readiness == Readiness::Blocked)
        .map(|c| c.action)
        .collect();
    report.summary = format!(
        "{} of {} actions ready, {} limited, {} blocked.",
        count(Readiness::Ready),
        checks.len(),
        count(Readiness::Limited),
        blocked.len()
    );
    if !blocked.is_empty() {
        report
            .summary
            .push_str(&format!(" Blocked: {}.", blocked.join(", ")));
    }
    if !grant.is_empty() {
        report.note(format!(
            "Grant keydesk's app these Microsoft Graph application permissions (with admin consent): {}.",
            grant.join(", ")
        ));
    }
    if !assign.is_empty() {
        report.note(format!(
            "Assign keydesk's service principal the {} directory role.",
            assign.join(" / ")
        ));
    }
    if let Some(held) = &held
        && !held
            .iter()
            .any(|r| r.template_id == roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR.template_id)
        && !held
            .iter()
            .any(|r| r.template_id == roles::GLOBAL_ADMINISTRATOR.template_id)
    {
        report.note("Without Privileged Authentication Administrator, keydesk cannot reset or change administrators; that is a safe default.");
    }
    report.outcome = Outcome::Info;
    report.details = json!({
        "app": {
            "appId": app_id,
            "servicePrincipalId": service_principal.as_ref().map(|sp| &sp.id),
            "displayName": service_principal.as_ref().and_then(|sp| sp.display_name.clone()),
        },
        "tenant": organization.as_ref().map(|org| json!({
            "id": org.id, "displayName": org.display_name, "onPremisesSyncEnabled": org.on_premises_sync_enabled,
            "domains": org.verified_domains.iter().map(|d| &d.name).collect::<Vec<_>>(),
        })),
        "permissions": granted,
        "directoryRoles": held,
        "licences": licences,
        "skus": skus.iter().flatten().filter_map(|s| s.sku_part_number.clone()).collect::<Vec<_>>(),
        "actions": checks,
        "grant": {"permissions": grant, "roles": assign},
    });
    Ok(report)
}
