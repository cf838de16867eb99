//! The directory around the users: groups and their memberships, activated directory roles and
//! built-in role definitions, the organization and its licences; service principals, app
//! registrations and grants come from `principals`. Also the deterministic object ids other
//! parts of the seed refer to (groups, service principals, roles, grants).

use base64::Engine;
use indexmap::{IndexMap, IndexSet};
use serde_json::{Value, json};
use time::Duration;

use super::{Ctx, DOMAIN, People, TENANT_ID, apps, cast_user_id, named_id, principals};
use crate::model::{
    AppRegistration, DirectoryRole, DirectoryRoleRecord, Group, GroupRecord, OAuth2PermissionGrant,
    Organization, RoleDefinition, RolePermission, ServicePrincipalRecord, SubscribedSku, ids,
};

/// A group's object id, by display name.
pub(super) fn group_id(name: &str) -> String {
    named_id("group", name)
}

/// A service principal's object id in this tenant, by app id.
pub(super) fn sp_id(app_id: &str) -> String {
    named_id("servicePrincipal", app_id)
}

/// An activated directory role's tenant-specific object id, by template id.
pub(super) fn role_id(template_id: &str) -> String {
    named_id("directoryRole", template_id)
}

/// A grant's id the way Entra forms it: base64url of the client, resource and (for
/// `Principal` grants) user object ids.
pub(super) fn grant_id(client_sp: &str, resource_sp: &str, principal: Option<&str>) -> String {
    let mut bytes = Vec::with_capacity(48);
    for id in [Some(client_sp), Some(resource_sp), principal]
        .into_iter()
        .flatten()
    {
        let guid = uuid::Uuid::parse_str(id).unwrap_or_default();
        bytes.extend_from_slice(&guid.to_bytes_le());
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(super) struct Directory {
    pub groups: IndexMap<String, GroupRecord>,
    pub directory_roles: IndexMap<String, DirectoryRoleRecord>,
    pub role_definitions: Vec<RoleDefinition>,
    pub service_principals: IndexMap<String, ServicePrincipalRecord>,
    pub grants: IndexMap<String, OAuth2PermissionGrant>,
    pub apps: IndexMap<String, AppRegistration>,
    pub organization: Organization,
    pub subscribed_skus: Vec<SubscribedSku>,
}

pub(super) fn build(ctx: &Ctx, people: &People) -> Directory {
    Directory {
        groups: groups(ctx, people),
        directory_roles: directory_roles(),
        role_definitions: role_definitions(),
        service_principals: principals::service_principals(ctx),
        grants: principals::grants(),
        apps: principals::app_registrations(),
        organization: organization(ctx),
        subscribed_skus: skus(people),
    }
}

// ------------------------------------------------------------------------------------------
// Groups
// ------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Security,
    Unified { team: bool },
    Dynamic,
    Synced,
}

struct GroupSpec {
    name: &'static str,
    nickname: &'static str,
    description: &'static str,
    kind: Kind,
    owners: &'static [&'static str],
    members: &'static [&'static str],
    /// Background users of this department join too.
    department: Option<&'static str>,
    created_days: i64,
}

static GROUPS: &[GroupSpec] = &[
    GroupSpec {
        name: "IT Support",
        nickname: "ITSupport",
        description: "IT support staff",
        kind: Kind::Security,
        owners: &["MeganB"],
        members: &["LeeG", "MeganB", "PattiF"],
        department: Some("IT"),
        created_days: 1400,
    },
    GroupSpec {
        name: "Helpdesk Operators",
        nickname: "HelpdeskOperators",
        description: "People who run the identity helpdesk",
        kind: Kind::Security,
        owners: &["MeganB"],
        members: &["LeeG"],
        department: None,
        created_days: 400,
    },
    GroupSpec {
        name: "Finance-Admins",
        nickname: "Finance-Admins",
        description: "Administrators of the finance systems",
        kind: Kind::Security,
        owners: &["IrvinS"],
        members: &["john.smith"],
        department: None,
        created_days: 1100,
    },
    GroupSpec {
        name: "Finance-M365",
        nickname: "Finance-M365",
        description: "Finance team collaboration",
        kind: Kind::Unified { team: false },
        owners: &["IrvinS"],
        members: &["john.smith"],
        department: Some("Finance"),
        created_days: 1050,
    },
    GroupSpec {
        name: "All-Engineering",
        nickname: "All-Engineering",
        description: "Everyone in R&D",
        kind: Kind::Unified { team: true },
        owners: &["DavidP"],
        members: &[
            "DavidP",
            "JohannaL",
            "GradyA",
            "HenriettaM",
            "AliceC",
            "LidiaH",
        ],
        department: Some("R&D"),
        created_days: 1300,
    },
    GroupSpec {
        name: "Sales Team",
        nickname: "SalesTeam",
        description: "Sales and the engineers who support it",
        kind: Kind::Unified { team: false },
        owners: &["MiriamG"],
        members: &[
            "MiriamG", "AlexW", "AdeleV", "DiegoS", "IsaiahL", "ShaneO", "AliceC",
        ],
        department: Some("Sales"),
        created_days: 1250,
    },
    GroupSpec {
        name: "Dynamic-All-Users",
        nickname: "Dynamic-All-Users",
        description: "All enabled users (dynamic membership)",
        kind: Kind::Dynamic,
        owners: &["MeganB"],
        members: &[],
        department: None,
        created_days: 900,
    },
    GroupSpec {
        name: "On-Prem-VPN-Users",
        nickname: "On-Prem-VPN-Users",
        description: "VPN access (synced from contoso.local)",
        kind: Kind::Synced,
        owners: &[],
        members: &["GradyA"],
        department: None,
        created_days: 1500,
    },
];

fn groups(ctx: &Ctx, people: &People) -> IndexMap<String, GroupRecord> {
    let mut out = IndexMap::new();
    for spec in GROUPS {
        let unified = matches!(spec.kind, Kind::Unified { .. });
        let mut members: IndexSet<String> = spec.members.iter().map(|m| cast_user_id(m)).collect();
        for p in people.members().filter(|p| !p.is_cast) {
            let joins = match spec.kind {
                Kind::Dynamic => false,
                Kind::Synced => p.record.user.on_premises_sync_enabled == Some(true),
                _ => spec.department == Some(p.department),
            };
            if joins {
                members.insert(p.record.user.id.clone());
            }
        }
        if spec.kind == Kind::Dynamic {
            members = people
                .members()
                .filter(|p| p.record.user.account_enabled)
                .map(|p| p.record.user.id.clone())
                .collect();
        }
        let id = group_id(spec.name);
        let group = Group {
            id: id.clone(),
            display_name: spec.name.to_owned(),
            description: Some(spec.description.to_owned()),
            mail: unified.then(|| format!("{}@{DOMAIN}", spec.nickname)),
            mail_nickname: spec.nickname.to_owned(),
            mail_enabled: unified,
            security_enabled: !unified,
            group_types: match spec.kind {
                Kind::Unified { .. } => vec!["Unified".to_owned()],
                Kind::Dynamic => vec!["DynamicMembership".to_owned()],
                _ => Vec::new(),
            },
            membership_rule: (spec.kind == Kind::Dynamic)
                .then(|| "(user.accountEnabled -eq true)".to_owned()),
            membership_rule_processing_state: (spec.kind == Kind::Dynamic).then(|| "On".to_owned()),
            on_premises_sync_enabled: (spec.kind == Kind::Synced).then_some(true),
            is_assignable_to_role: Some(false),
            visibility: unified.then(|| "Private".to_owned()),
            resource_provisioning_options: if spec.kind == (Kind::Unified { team: true }) {
                vec!["Team".to_owned()]
            } else {
                Vec::new()
            },
            created_date_time: ctx.ago(Duration::days(spec.created_days)),
        };
        let owners = spec.owners.iter().map(|o| cast_user_id(o)).collect();
        out.insert(
            id,
            GroupRecord {
                group,
                members,
                owners,
            },
        );
    }
    out
}

// ------------------------------------------------------------------------------------------
// Roles
// ------------------------------------------------------------------------------------------

/// Built-in roles: name, template id, privileged, description, a few of their actions.
#[rustfmt::skip]
static ROLES: &[(&str, &str, bool, &str, &[&str])] = &[
    ("Global Administrator", ids::roles::GLOBAL_ADMINISTRATOR, true, "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.", &["microsoft.directory/users/allProperties/allTasks", "microsoft.directory/roleAssignments/allProperties/allTasks", "microsoft.directory/applications/allProperties/allTasks"]),
    ("Privileged Role Administrator", ids::roles::PRIVILEGED_ROLE_ADMINISTRATOR, true, "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.", &["microsoft.directory/roleAssignments/allProperties/allTasks", "microsoft.directory/roleDefinitions/allProperties/allTasks"]),
    ("Privileged Authentication Administrator", ids::roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR, true, "Can access to view, set and reset authentication method information for any user (admin or non-admin).", &["microsoft.directory/users/authenticationMethods/create", "microsoft.directory/users/authenticationMethods/delete", "microsoft.directory/users/password/update", "microsoft.directory/users/invalidateAllRefreshTokens"]),
    ("Authentication Administrator", ids::roles::AUTHENTICATION_ADMINISTRATOR, true, "Can access to view, set and reset authentication method information for any non-admin user.", &["microsoft.directory/users/authenticationMethods/create", "microsoft.directory/users/authenticationMethods/delete", "microsoft.directory/users/password/update"]),
    ("Helpdesk Administrator", ids::roles::HELPDESK_ADMINISTRATOR, true, "Can reset passwords for non-administrators and Helpdesk Administrators.", &["microsoft.directory/users/password/update", "microsoft.directory/users/invalidateAllRefreshTokens"]),
    ("Password Administrator", ids::roles::PASSWORD_ADMINISTRATOR, true, "Can reset passwords for non-administrators and Password Administrators.", &["microsoft.directory/users/password/update"]),
    ("User Administrator", ids::roles::USER_ADMINISTRATOR, true, "Can manage all aspects of users and groups, including resetting passwords for limited admins.", &["microsoft.directory/users/create", "microsoft.directory/users/delete", "microsoft.directory/users/basic/update", "microsoft.directory/users/password/update", "microsoft.directory/users/enable", "microsoft.directory/users/disable", "microsoft.directory/groups/members/update"]),
    ("Security Administrator", ids::roles::SECURITY_ADMINISTRATOR, true, "Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.", &["microsoft.directory/identityProtection/allProperties/allTasks", "microsoft.directory/auditLogs/allProperties/read"]),
    ("Security Reader", ids::roles::SECURITY_READER, true, "Can read security information and reports in Microsoft Entra ID and Office 365.", &["microsoft.directory/identityProtection/allProperties/read", "microsoft.directory/auditLogs/allProperties/read"]),
    ("Security Operator", "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f", true, "Creates and manages security events.", &["microsoft.directory/identityProtection/allProperties/read"]),
    ("Groups Administrator", ids::roles::GROUPS_ADMINISTRATOR, false, "Members of this role can create/manage groups, create/manage groups settings like naming and expiration policies, and view groups activity and audit reports.", &["microsoft.directory/groups/allProperties/allTasks"]),
    ("Exchange Administrator", "29232cdf-9323-42fd-ade2-1d097af3e4de", false, "Can manage all aspects of the Exchange product.", &["microsoft.office365.exchange/allEntities/basic/allTasks"]),
    ("Global Reader", ids::roles::GLOBAL_READER, true, "Can read everything that a Global Administrator can, but not update anything.", &["microsoft.directory/users/allProperties/read", "microsoft.directory/auditLogs/allProperties/read"]),
    ("Conditional Access Administrator", "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", true, "Can manage Conditional Access capabilities.", &["microsoft.directory/conditionalAccessPolicies/allProperties/allTasks"]),
    ("Application Administrator", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", true, "Can create and manage all aspects of app registrations and enterprise apps.", &["microsoft.directory/applications/allProperties/allTasks", "microsoft.directory/servicePrincipals/allProperties/allTasks"]),
    ("Cloud Application Administrator", "158c047a-c907-4556-b7ef-446551a6b5f7", true, "Can create and manage all aspects of app registrations and enterprise apps except App Proxy.", &["microsoft.directory/applications/allProperties/allTasks"]),
    ("Hybrid Identity Administrator", "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2", true, "Can manage Active Directory to Microsoft Entra cloud provisioning, Microsoft Entra Connect, pass-through authentication, password hash synchronization, seamless SSO and federation settings.", &["microsoft.directory/onPremisesSynchronization/standard/read"]),
    ("Intune Administrator", "3a2c62db-5318-420d-8d74-23affee5d9d5", true, "Can manage all aspects of the Intune product.", &["microsoft.intune/allEntities/allTasks"]),
    ("Directory Writers", "9360feb5-f418-4baa-8175-e2a00bac4301", true, "Can read and write basic directory information. For granting access to applications, not intended for users.", &["microsoft.directory/users/basic/update", "microsoft.directory/groups/members/update"]),
    ("Directory Readers", ids::roles::DIRECTORY_READERS, false, "Can read basic directory information. Commonly used to grant directory read access to applications and guests.", &["microsoft.directory/users/standard/read", "microsoft.directory/groups/standard/read"]),
    ("Reports Reader", "4a5d8f65-41da-4de4-8968-e035b65339cf", false, "Can read sign-in and audit reports.", &["microsoft.directory/auditLogs/allProperties/read", "microsoft.directory/signInReports/allProperties/read"]),
    ("Message Center Reader", "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b", false, "Can read messages and updates for their organization in Office 365 Message Center only.", &["microsoft.office365.messageCenter/messages/read"]),
    ("Guest Inviter", "95e79109-95c0-4d8e-aee3-d01accf2d47b", false, "Can invite guest users independent of the 'members can invite guests' setting.", &["microsoft.directory/users/inviteGuest"]),
    ("License Administrator", "4d6ac14f-3453-41d0-bef9-a3e0c569773a", false, "Can manage product licenses on users and groups.", &["microsoft.directory/users/assignLicense"]),
    ("Usage Summary Reports Reader", "75934031-6c7e-415a-99d7-48dbd49e875e", false, "Read Usage reports and Adoption Score, but can't access user details.", &["microsoft.office365.usageReports/allEntities/standard/read"]),
    ("User Experience Success Manager", "27460883-1df1-4691-b032-3b79643e5e63", false, "View product feedback, survey results, and reports to find training and communication opportunities.", &["microsoft.office365.usageReports/allEntities/standard/read"]),
    ("Partner Tier1 Support", "4ba39ca4-527c-499a-b93d-d9b492c50246", true, "Do not use - not intended for general use.", &["microsoft.directory/users/password/update"]),
    ("Partner Tier2 Support", "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8", true, "Do not use - not intended for general use.", &["microsoft.directory/users/password/update"]),
];

fn role_definitions() -> Vec<RoleDefinition> {
    ROLES
        .iter()
        .map(
            |(name, template, privileged, description, actions)| RoleDefinition {
                id: (*template).to_owned(),
                display_name: (*name).to_owned(),
                description: (*description).to_owned(),
                is_built_in: true,
                is_enabled: true,
                is_privileged: *privileged,
                template_id: (*template).to_owned(),
                role_permissions: vec![RolePermission {
                    allowed_resource_actions: actions.iter().map(|a| (*a).to_owned()).collect(),
                }],
            },
        )
        .collect()
}

fn directory_roles() -> IndexMap<String, DirectoryRoleRecord> {
    let keydesk = sp_id(apps::KEYDESK_APP_ID);
    let limited = sp_id(apps::KEYDESK_LIMITED_APP_ID);
    let assignments: [(&str, Vec<String>); 5] = [
        (
            ids::roles::GLOBAL_ADMINISTRATOR,
            vec![cast_user_id("MeganB"), cast_user_id("NestorW")],
        ),
        (
            ids::roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR,
            vec![cast_user_id("PattiF"), keydesk.clone()],
        ),
        (
            ids::roles::HELPDESK_ADMINISTRATOR,
            vec![cast_user_id("LeeG")],
        ),
        (ids::roles::USER_ADMINISTRATOR, vec![keydesk, limited]),
        (
            ids::roles::SECURITY_ADMINISTRATOR,
            vec![cast_user_id("PattiF")],
        ),
    ];
    let mut out = IndexMap::new();
    for (template, members) in assignments {
        let Some((name, _, _, description, _)) = ROLES.iter().find(|r| r.1 == template) else {
            continue;
        };
        let id = role_id(template);
        let role = DirectoryRole {
            id: id.clone(),
            display_name: (*name).to_owned(),
            description: (*description).to_owned(),
            role_template_id: template.to_owned(),
        };
        out.insert(
            id,
            DirectoryRoleRecord {
                role,
                members: members.into_iter().collect(),
            },
        );
    }
    out
}

// ------------------------------------------------------------------------------------------
// Organization and licences
// ------------------------------------------------------------------------------------------

fn organization(ctx: &Ctx) -> Organization {
    Organization {
        id: TENANT_ID.to_owned(),
        display_name: "Contoso".to_owned(),
        verified_domains: vec![json!({
            "capabilities": "Email, OfficeCommunicationsOnline",
            "isDefault": true,
            "isInitial": true,
            "name": DOMAIN,
            "type": "Managed",
        })],
        country_letter_code: Some("US".to_owned()),
        tenant_type: Some("AAD".to_owned()),
        created_date_time: ctx.ago(Duration::days(1800)),
        on_premises_sync_enabled: Some(true),
    }
}

fn skus(people: &People) -> Vec<SubscribedSku> {
    let users = u32::try_from(people.len()).unwrap_or(u32::MAX);
    let bought = users.div_ceil(100).saturating_mul(100).max(100);
    let plan = |name: &str, id: &str| {
        json!({
            "servicePlanId": id,
            "servicePlanName": name,
            "provisioningStatus": "Success",
            "appliesTo": "User",
        })
    };
    let sku =
        |sku_id: &str, part: &str, consumed: u32, enabled: u32, plans: Vec<Value>| SubscribedSku {
            id: format!("{TENANT_ID}_{sku_id}"),
            sku_id: sku_id.to_owned(),
            sku_part_number: part.to_owned(),
            applies_to: "User".to_owned(),
            capability_status: "Enabled".to_owned(),
            consumed_units: consumed,
            prepaid_units: json!({
                "enabled": enabled,
                "suspended": 0,
                "warning": 0,
                "lockedOut": 0,
            }),
            service_plans: plans,
        };
    let it = u32::try_from(people.members().filter(|p| p.department == "IT").count()).unwrap_or(0);
    vec![
        sku(
            "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
            "SPE_E5",
            users,
            bought,
            vec![
                plan(
                    "EXCHANGE_S_ENTERPRISE",
                    "efb87545-963c-4e0d-99df-69c6916d9eb0",
                ),
                plan("AAD_PREMIUM", "41781fb2-bc02-4b7c-bd55-b576c07bb09d"),
                plan("AAD_PREMIUM_P2", "eec0eb4f-6444-4f95-aba0-50c24d67f998"),
                plan("MFA_PREMIUM", "8a256a2b-b617-496d-b51b-e76466e88db0"),
            ],
        ),
        sku(
            "84a661c4-e949-4bd2-a560-ed7766fcaf2b",
            "AAD_PREMIUM_P2",
            it,
            it.div_ceil(25).max(1) * 25,
            vec![
                plan("AAD_PREMIUM", "41781fb2-bc02-4b7c-bd55-b576c07bb09d"),
                plan("AAD_PREMIUM_P2", "eec0eb4f-6444-4f95-aba0-50c24d67f998"),
                plan("MFA_PREMIUM", "8a256a2b-b617-496d-b51b-e76466e88db0"),
            ],
        ),
    ]
}
