//! The directory around the users: groups and their memberships, activated directory roles and
//! built-in role definitions, service principals (Microsoft first-party, third-party, keydesk's
//! own), keydesk's app registrations, delegated grants, the organization and its licences.

use base64::Engine;
use indexmap::{IndexMap, IndexSet};
use serde_json::{Value, json};
use time::Duration;

use super::{Ctx, DOMAIN, Person, TENANT_ID, apps, cast_user_id, named_id};
use crate::model::{
    AppRegistration, DirectoryRole, DirectoryRoleRecord, Group, GroupRecord, OAuth2PermissionGrant,
    Organization, RoleDefinition, RolePermission, ServicePrincipal, ServicePrincipalRecord,
    SubscribedSku, VerifiedPublisher, ids,
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

pub(super) fn build(ctx: &Ctx, people: &[Person]) -> Directory {
    Directory {
        groups: groups(ctx, people),
        directory_roles: directory_roles(),
        role_definitions: role_definitions(),
        service_principals: service_principals(ctx),
        grants: grants(),
        apps: app_registrations(),
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

fn groups(ctx: &Ctx, people: &[Person]) -> IndexMap<String, GroupRecord> {
    let mut out = IndexMap::new();
    for spec in GROUPS {
        let unified = matches!(spec.kind, Kind::Unified { .. });
        let mut members: IndexSet<String> = spec.members.iter().map(|m| cast_user_id(m)).collect();
        for p in people.iter().filter(|p| !p.is_cast) {
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
                .iter()
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
// Service principals, app registrations, grants
// ------------------------------------------------------------------------------------------

/// Microsoft Graph's application permissions keydesk uses, with their real app role ids.
#[rustfmt::skip]
static GRAPH_APP_ROLES: &[(&str, &str)] = &[
    ("User.Read.All", "df021288-bdef-4463-88db-98f22de89214"),
    ("User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca"),
    ("User-PasswordProfile.ReadWrite.All", "cc117bb9-00cf-4eb8-b580-ea2a878fe8f7"),
    ("Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b"),
    ("Group.ReadWrite.All", "62a82d76-70ea-41e2-9197-370581804d09"),
    ("GroupMember.ReadWrite.All", "dbaae8cf-10b5-4b86-a4a1-f871c94c6695"),
    ("Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61"),
    ("UserAuthenticationMethod.Read.All", "38d9df27-64da-44fd-b7c5-a6fbac20248f"),
    ("UserAuthenticationMethod.ReadWrite.All", "50483e42-d915-4231-9639-7fdb7fd190e5"),
    ("IdentityRiskyUser.Read.All", "dc5007c0-2d7d-4c42-879c-2dab87571379"),
    ("IdentityRiskyUser.ReadWrite.All", "656f6061-f9fe-4807-9708-6a2e0934df76"),
    ("IdentityRiskEvent.Read.All", "6e472fd1-ad78-48da-a0f0-97ab2c6b769e"),
    ("AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da"),
    ("DelegatedPermissionGrant.ReadWrite.All", "8e8e4742-1d95-4f68-9d56-6ee75648c72a"),
    ("Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"),
    ("RoleManagement.Read.Directory", "483bed4a-2ad3-4361-a73b-c83ccdbdc53c"),
    ("Mail.Send", "b633e1c5-b582-4048-a93e-9f11b44c7e96"),
    ("Organization.Read.All", "498476ce-e0fe-48b0-b801-37ba7e2685c6"),
];

/// Microsoft Graph's delegated scopes that appear in the tenant's grants.
#[rustfmt::skip]
static GRAPH_SCOPES: &[(&str, &str, &str)] = &[
    ("User.Read", "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "Sign in and read user profile"),
    ("openid", "37f7f235-527c-4136-accd-4a02d197296e", "Sign users in"),
    ("profile", "14dad69e-099b-42c9-810b-d002981feec1", "View users' basic profile"),
    ("email", "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "View users' email address"),
    ("offline_access", "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "Maintain access to data you have given it access to"),
    ("Mail.Read", "570282fd-fa5c-430d-a7fd-fc8dc98a9dca", "Read user mail"),
    ("Mail.ReadWrite", "024d486e-b451-40bb-833d-3e66d98c5c73", "Read and write access to user mail"),
    ("Mail.Send", "e383f46e-2787-4529-855e-0e479a3ffac0", "Send mail as a user"),
];

fn graph_app_roles() -> Vec<Value> {
    GRAPH_APP_ROLES
        .iter()
        .map(|(value, id)| {
            json!({"allowedMemberTypes": ["Application"], "description": value, "displayName": value,
                   "id": id, "isEnabled": true, "origin": "Application", "value": value})
        })
        .collect()
}

fn graph_scopes() -> Vec<Value> {
    GRAPH_SCOPES
        .iter()
        .map(|(value, id, text)| {
            json!({"adminConsentDescription": text, "adminConsentDisplayName": text, "id": id,
                   "isEnabled": true, "type": "User", "userConsentDescription": text,
                   "userConsentDisplayName": text, "value": value})
        })
        .collect()
}

struct SpSpec {
    app_id: &'static str,
    name: &'static str,
    owner: Option<&'static str>,
    publisher: Option<&'static str>,
    verified: Option<(&'static str, &'static str)>,
    audience: &'static str,
    reply_urls: &'static [&'static str],
    homepage: Option<&'static str>,
    created_days: i64,
}

/// Mail Helper Pro's owner: some other tenant.
const MAIL_HELPER_OWNER: &str = "9d3b6f2a-81c4-4e57-b0d9-3a6e2f1c8b74";

#[rustfmt::skip]
static SPS: &[SpSpec] = &[
    SpSpec { app_id: apps::GRAPH_APP_ID, name: "Microsoft Graph", owner: Some(ids::MICROSOFT_TENANT), publisher: Some("Microsoft Services"), verified: None, audience: "AzureADMultipleOrgs", reply_urls: &[], homepage: None, created_days: 1600 },
    SpSpec { app_id: apps::EXCHANGE_ONLINE_APP_ID, name: "Office 365 Exchange Online", owner: Some(ids::MICROSOFT_TENANT), publisher: Some("Microsoft Services"), verified: None, audience: "AzureADMultipleOrgs", reply_urls: &["https://outlook.office365.com/"], homepage: None, created_days: 1600 },
    SpSpec { app_id: apps::TEAMS_APP_ID, name: "Microsoft Teams", owner: Some(ids::MICROSOFT_TENANT), publisher: Some("Microsoft Services"), verified: None, audience: "AzureADMultipleOrgs", reply_urls: &["https://teams.microsoft.com/go"], homepage: None, created_days: 1600 },
    SpSpec { app_id: apps::SHAREPOINT_APP_ID, name: "Office 365 SharePoint Online", owner: Some(ids::MICROSOFT_TENANT), publisher: Some("Microsoft Services"), verified: None, audience: "AzureADMultipleOrgs", reply_urls: &[], homepage: None, created_days: 1600 },
    SpSpec { app_id: apps::OFFICE_HOME_APP_ID, name: "OfficeHome", owner: Some(ids::MICROSOFT_TENANT), publisher: Some("Microsoft Services"), verified: None, audience: "AzureADMultipleOrgs", reply_urls: &["https://www.office.com/landing"], homepage: None, created_days: 1600 },
    SpSpec { app_id: apps::AZURE_PORTAL_APP_ID, name: "Azure Portal", owner: Some(ids::MICROSOFT_TENANT), publisher: Some("Microsoft Services"), verified: None, audience: "AzureADMultipleOrgs", reply_urls: &["https://portal.azure.com/signin/index/"], homepage: None, created_days: 1600 },
    SpSpec { app_id: apps::AZURE_SERVICE_MANAGEMENT_APP_ID, name: "Windows Azure Service Management API", owner: Some(ids::MICROSOFT_TENANT), publisher: Some("Microsoft Services"), verified: None, audience: "AzureADMultipleOrgs", reply_urls: &[], homepage: None, created_days: 1600 },
    SpSpec { app_id: apps::CONTOSO_EXPENSES_APP_ID, name: "Contoso Expenses", owner: Some(TENANT_ID), publisher: Some("Contoso"), verified: Some(("Contoso Ltd", "6184923")), audience: "AzureADMyOrg", reply_urls: &["https://expenses.contoso.com/signin-oidc"], homepage: Some("https://expenses.contoso.com/"), created_days: 720 },
    SpSpec { app_id: apps::MAIL_HELPER_PRO_APP_ID, name: "Mail Helper Pro", owner: Some(MAIL_HELPER_OWNER), publisher: Some("Default Directory"), verified: None, audience: "AzureADandPersonalMicrosoftAccount", reply_urls: &["https://mail-helper-pro.web.app/auth/callback"], homepage: None, created_days: 3 },
    SpSpec { app_id: apps::KEYDESK_APP_ID, name: "keydesk", owner: Some(TENANT_ID), publisher: Some("Contoso"), verified: None, audience: "AzureADMyOrg", reply_urls: &[], homepage: None, created_days: 60 },
    SpSpec { app_id: apps::KEYDESK_READONLY_APP_ID, name: "keydesk-readonly", owner: Some(TENANT_ID), publisher: Some("Contoso"), verified: None, audience: "AzureADMyOrg", reply_urls: &[], homepage: None, created_days: 60 },
    SpSpec { app_id: apps::KEYDESK_LIMITED_APP_ID, name: "keydesk-limited", owner: Some(TENANT_ID), publisher: Some("Contoso"), verified: None, audience: "AzureADMyOrg", reply_urls: &[], homepage: None, created_days: 60 },
];

fn service_principals(ctx: &Ctx) -> IndexMap<String, ServicePrincipalRecord> {
    let mut out = IndexMap::new();
    for spec in SPS {
        let id = sp_id(spec.app_id);
        let created = if spec.app_id == apps::MAIL_HELPER_PRO_APP_ID {
            super::scenarios::Timeline::new(ctx).mail_helper_added
        } else {
            ctx.ago(Duration::days(spec.created_days))
        };
        let graph = spec.app_id == apps::GRAPH_APP_ID;
        let sp = ServicePrincipal {
            id: id.clone(),
            app_id: spec.app_id.to_owned(),
            display_name: spec.name.to_owned(),
            app_display_name: Some(spec.name.to_owned()),
            app_owner_organization_id: spec.owner.map(str::to_owned),
            publisher_name: spec.publisher.map(str::to_owned),
            verified_publisher: spec.verified.map_or_else(
                VerifiedPublisher::default,
                |(name, mpn)| VerifiedPublisher {
                    display_name: Some(name.to_owned()),
                    verified_publisher_id: Some(mpn.to_owned()),
                    added_date_time: Some(ctx.ago(Duration::days(700))),
                },
            ),
            account_enabled: true,
            service_principal_type: "Application".to_owned(),
            sign_in_audience: Some(spec.audience.to_owned()),
            reply_urls: spec.reply_urls.iter().map(|u| (*u).to_owned()).collect(),
            tags: vec!["WindowsAzureActiveDirectoryIntegratedApp".to_owned()],
            homepage: spec.homepage.map(str::to_owned),
            notes: None,
            app_roles: if graph { graph_app_roles() } else { Vec::new() },
            oauth2_permission_scopes: if graph { graph_scopes() } else { Vec::new() },
        };
        out.insert(
            id,
            ServicePrincipalRecord {
                service_principal: sp,
                created_date_time: created,
            },
        );
    }
    out
}

fn app_registrations() -> IndexMap<String, AppRegistration> {
    let mut out = IndexMap::new();
    for (app_id, name, permissions) in [
        (apps::KEYDESK_APP_ID, "keydesk", apps::KEYDESK_PERMISSIONS),
        (
            apps::KEYDESK_READONLY_APP_ID,
            "keydesk-readonly",
            apps::KEYDESK_READONLY_PERMISSIONS,
        ),
        (
            apps::KEYDESK_LIMITED_APP_ID,
            "keydesk-limited",
            apps::KEYDESK_PERMISSIONS,
        ),
    ] {
        out.insert(
            app_id.to_owned(),
            AppRegistration {
                app_id: app_id.to_owned(),
                display_name: name.to_owned(),
                service_principal_id: sp_id(app_id),
                secrets: Vec::new(),
                certificates: Vec::new(),
                granted_permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
            },
        );
    }
    out
}

fn grants() -> IndexMap<String, OAuth2PermissionGrant> {
    let graph = sp_id(apps::GRAPH_APP_ID);
    let mut list = vec![(
        apps::MAIL_HELPER_PRO_APP_ID,
        "JohannaL",
        apps::MAIL_HELPER_PRO_SCOPE,
    )];
    for user in [
        "IrvinS",
        "john.smith",
        "SarahL",
        "MiriamG",
        "AlexW",
        "LynneR",
    ] {
        list.push((
            apps::CONTOSO_EXPENSES_APP_ID,
            user,
            apps::CONTOSO_EXPENSES_SCOPE,
        ));
    }
    let mut out = IndexMap::new();
    for (app_id, user, scope) in list {
        let client = sp_id(app_id);
        let principal = cast_user_id(user);
        let id = grant_id(&client, &graph, Some(&principal));
        let grant = OAuth2PermissionGrant {
            id: id.clone(),
            client_id: client,
            consent_type: "Principal".to_owned(),
            principal_id: Some(principal),
            resource_id: graph.clone(),
            scope: scope.to_owned(),
        };
        out.insert(id, grant);
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

fn skus(people: &[Person]) -> Vec<SubscribedSku> {
    let users = u32::try_from(people.len()).unwrap_or(u32::MAX);
    let bought = users.div_ceil(100).saturating_mul(100).max(100);
    let plan = |name: &str, id: &str| json!({"servicePlanId": id, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User"});
    let sku = |sku_id: &str, part: &str, consumed: u32, enabled: u32, plans: Vec<Value>| {
        SubscribedSku {
            id: format!("{TENANT_ID}_{sku_id}"),
            sku_id: sku_id.to_owned(),
            sku_part_number: part.to_owned(),
            applies_to: "User".to_owned(),
            capability_status: "Enabled".to_owned(),
            consumed_units: consumed,
            prepaid_units: json!({"enabled": enabled, "suspended": 0, "warning": 0, "lockedOut": 0}),
            service_plans: plans,
        }
    };
    let it = u32::try_from(people.iter().filter(|p| p.department == "IT").count()).unwrap_or(0);
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
