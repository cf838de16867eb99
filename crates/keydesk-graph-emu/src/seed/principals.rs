//! Service principals (Microsoft's first-party apps, Contoso Expenses, the unverified Mail Helper
//! Pro, keydesk's own), keydesk's three app registrations with their admin-consented
//! application permissions, and the delegated grants (the illicit one and the benign ones).

use indexmap::IndexMap;
use serde_json::{Value, json};
use time::Duration;

use super::directory::{grant_id, sp_id};
use super::{Ctx, TENANT_ID, apps, cast_user_id};
use crate::model::{
    AppRegistration, OAuth2PermissionGrant, ServicePrincipal, ServicePrincipalRecord,
    VerifiedPublisher, ids,
};

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
            json!({
                "allowedMemberTypes": ["Application"],
                "description": value,
                "displayName": value,
                "id": id,
                "isEnabled": true,
                "origin": "Application",
                "value": value,
            })
        })
        .collect()
}

fn graph_scopes() -> Vec<Value> {
    GRAPH_SCOPES
        .iter()
        .map(|(value, id, text)| {
            json!({
                "adminConsentDescription": text,
                "adminConsentDisplayName": text,
                "id": id,
                "isEnabled": true,
                "type": "User",
                "userConsentDescription": text,
                "userConsentDisplayName": text,
                "value": value,
            })
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

pub(super) fn service_principals(ctx: &Ctx) -> IndexMap<String, ServicePrincipalRecord> {
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

pub(super) fn app_registrations() -> IndexMap<String, AppRegistration> {
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

pub(super) fn grants() -> IndexMap<String, OAuth2PermissionGrant> {
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
