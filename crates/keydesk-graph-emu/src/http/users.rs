//! `/users`: list, get, create, update, manager, photo, membership, session revocation and mail,
//! with Graph's refusals for synced objects, privileged targets and invalid input.

use base64::Engine;
use http::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::collection::{self, Listing, shape_of, to_json};
use super::{GraphRequest, GraphResult, Reply, ReplyBody, methods};
use crate::error::GraphError;
use crate::model::{
    LockoutState, OutboxMessage, PasswordProfileView, Photo, TenantState, User, UserRecord,
};
use crate::odata::Supported;
use crate::tenant::{hash_password, may_reset_password, modified, user_target};

/// Graph's default property set for users.
pub const DEFAULT_SELECT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
];

pub const READ: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
pub const WRITE: &[&str] = &["User.ReadWrite.All", "Directory.ReadWrite.All"];
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

const LISTING: Listing<'static> = Listing {
    type_name: "user",
    context: "users",
    default_select: Some(DEFAULT_SELECT),
    directory_object: true,
    default_top: 100,
    supported: Supported {
        select: true,
        filter: true,
        top: Some(999),
        count: true,
        search: true,
        order_by: &["displayName", "userPrincipalName"],
        expand: &["manager"],
    },
};

/// Password lifetime of the tenant's password expiration policy.
pub const PASSWORD_LIFETIME_DAYS: i64 = 90;

/// Navigation properties and actions under `/users/{id}`.
const USER_SEGMENTS: &[&str] = &[
    "manager",
    "directReports",
    "photo",
    "revokeSignInSessions",
    "memberOf",
    "transitiveMemberOf",
    "checkMemberGroups",
    "getMemberGroups",
    "oauth2PermissionGrants",
    "appRoleAssignments",
    "sendMail",
    "authentication",
];

pub fn route(request: &GraphRequest<'_>, rest: &[&str]) -> GraphResult {
    let method = &request.method;
    match rest {
        [] => match *method {
            Method::GET => list(request),
            Method::POST => create(request),
            _ => Err(GraphError::method_not_allowed()),
        },
        ["$count"] if *method == Method::GET => count(request),
        [id] => match *method {
            Method::GET => get(request, id),
            Method::PATCH => update(request, id),
            Method::DELETE => delete(request, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        [id, "manager"] if *method == Method::GET => manager(request, id),
        [id, "manager", "$ref"] => match *method {
            Method::PUT => set_manager(request, id),
            Method::DELETE => remove_manager(request, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        [id, "directReports"] if *method == Method::GET => direct_reports(request, id),
        [id, "photo"] if *method == Method::GET => photo_metadata(request, id),
        [id, "photo", "$value"] => match *method {
            Method::GET => photo(request, id),
            Method::PUT | Method::PATCH => set_photo(request, id),
            _ => Err(GraphError::method_not_allowed()),
        },
        [id, "revokeSignInSessions"] if *method == Method::POST => revoke(request, id),
        [id, kind @ ("memberOf" | "transitiveMemberOf"), cast @ ..] if *method == Method::GET => {
            member_of(request, id, *kind == "transitiveMemberOf", cast)
        }
        [id, "checkMemberGroups"] if *method == Method::POST => check_member_groups(request, id),
        [id, "getMemberGroups"] if *method == Method::POST => get_member_groups(request, id),
        [id, "oauth2PermissionGrants"] if *method == Method::GET => {
            super::apps::user_grants(request, id)
        }
        [id, "appRoleAssignments"] if *method == Method::GET => {
            request.require(READ)?;
            request.shared.tenant().user(id)?;
            Ok(Reply::ok(json!({
                "@odata.context": request.context(&format!("users('{id}')/appRoleAssignments")),
                "value": []
            })))
        }
        [id, "sendMail"] if *method == Method::POST => send_mail(request, id),
        [id, "authentication", tail @ ..] => methods::route(request, id, tail),
        [_, segment, ..] if !USER_SEGMENTS.contains(segment) => {
            Err(GraphError::unknown_segment(segment))
        }
        _ => Err(GraphError::method_not_allowed()),
    }
}

/// The user's JSON form (all properties).
pub fn user_json(record: &UserRecord) -> Value {
    to_json(&record.user)
}

/// A user as a directoryObject in a mixed collection (with `@odata.type`).
pub fn user_object(record: &UserRecord, select: Option<&[String]>) -> Value {
    let mut value = crate::odata::project(user_json(record), select, Some(DEFAULT_SELECT));
    if let Value::Object(map) = &mut value {
        map.insert("@odata.type".into(), json!("#microsoft.graph.user"));
    }
    value
}

fn list(request: &GraphRequest<'_>) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let shape = tenant
        .users
        .values()
        .next()
        .map(|u| shape_of(&u.user))
        .unwrap_or_default();
    let options = collection::options(request, &LISTING, &shape)?;
    let expand_manager = options
        .expand
        .iter()
        .find(|e| e.property == "manager")
        .cloned();
    let body = collection::page(request, &LISTING, &options, tenant.users.len(), |index| {
        let Some((_, record)) = tenant.users.get_index(index) else {
            return Value::Null;
        };
        let mut value = user_json(record);
        if let (Some(expand), Value::Object(map)) = (&expand_manager, &mut value)
            && let Some(manager) = record.manager_id.as_ref().and_then(|m| tenant.users.get(m))
        {
            map.insert(
                "manager".into(),
                user_object(manager, expand.select.as_deref()),
            );
        }
        value
    })?;
    Ok(Reply::ok(body))
}

fn count(request: &GraphRequest<'_>) -> GraphResult {
    request.require(READ)?;
    if !request.eventual() {
        return Err(GraphError::unsupported_query(
            "$count is not currently supported without the ConsistencyLevel header set to eventual.",
        ));
    }
    let tenant = request.shared.tenant();
    let shape = tenant
        .users
        .values()
        .next()
        .map(|u| shape_of(&u.user))
        .unwrap_or_default();
    let supported = Supported {
        top: None,
        count: false,
        order_by: &[],
        expand: &[],
        select: false,
        ..LISTING.supported
    };
    let options = crate::odata::QueryOptions::parse(request.pairs.clone(), supported, true)?;
    crate::odata::check_properties(&options, &shape, "user")?;
    let total = tenant
        .users
        .values()
        .filter(|record| {
            let value = user_json(record);
            options
                .filter
                .as_ref()
                .is_none_or(|f| crate::odata::filter::matches(f, &value))
                && options
                    .search
                    .as_ref()
                    .is_none_or(|s| crate::odata::search::matches(s, &value))
        })
        .count();
    Ok(Reply {
        status: StatusCode::OK,
        body: ReplyBody::Text(total.to_string()),
        headers: Vec::new(),
    })
}

fn get(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let record = tenant.user(id)?;
    let (mut value, options) = collection::entity(
        request,
        "users",
        "user",
        Some(DEFAULT_SELECT),
        &["manager"],
        user_json(record),
    )?;
    if let Some(expand) = options.expand.iter().find(|e| e.property == "manager")
        && let (Some(manager), Value::Object(map)) = (
            record.manager_id.as_ref().and_then(|m| tenant.users.get(m)),
            &mut value,
        )
    {
        map.insert(
            "manager".into(),
            user_object(manager, expand.select.as_deref()),
        );
    }
    Ok(Reply::ok(value))
}

/// Properties a PATCH may set, and whether each is sensitive (role matrix applies).
const WRITABLE: &[(&str, bool)] = &[
    ("accountEnabled", true),
    ("displayName", false),
    ("givenName", false),
    ("surname", false),
    ("jobTitle", false),
    ("department", false),
    ("companyName", false),
    ("officeLocation", false),
    ("city", false),
    ("country", false),
    ("employeeId", false),
    ("mobilePhone", true),
    ("businessPhones", true),
    ("otherMails", true),
    ("usageLocation", false),
    ("preferredLanguage", false),
    ("mail", false),
    ("mailNickname", false),
    ("userPrincipalName", true),
    ("passwordProfile", true),
    ("passwordPolicies", false),
];

/// What Entra still lets the cloud change on a user mastered on-premises.
const CLOUD_WRITABLE_WHEN_SYNCED: &[&str] = &["usageLocation", "preferredLanguage"];

fn update(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    let body = request.json()?;
    let Value::Object(mut patch) = body else {
        return Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    super::strip_annotations(&mut patch);
    let only_password = patch.keys().all(|k| k == "passwordProfile");
    request.require(if only_password { PASSWORD_WRITE } else { WRITE })?;

    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let user_id = tenant.user_id(id)?;
    let known = shape_of(&tenant.users[&user_id].user);
    for key in patch.keys() {
        match WRITABLE.iter().find(|(name, _)| name == key) {
            Some(_) => {}
            None if known.contains_key(key) => {
                return Err(GraphError::bad_request(format!(
                    "Property '{key}' is read-only and cannot be set."
                )));
            }
            None => {
                return Err(GraphError::bad_request(format!(
                    "Property '{key}' does not exist as a declared property or extension property."
                )));
            }
        }
    }
    let record = &tenant.users[&user_id];
    if record.user.on_premises_sync_enabled == Some(true)
        && patch
            .keys()
            .any(|k| !CLOUD_WRITABLE_WHEN_SYNCED.contains(&k.as_str()))
    {
        return Err(GraphError::synced_object());
    }
    let sensitive = patch
        .keys()
        .any(|k| WRITABLE.iter().any(|(name, s)| name == k && *s));
    let target_roles = tenant.role_templates_of(&user_id);
    let in_group = tenant.in_role_assignable_group(&user_id);
    if (patch.contains_key("passwordProfile")
        || (sensitive && (!target_roles.is_empty() || in_group)))
        && !may_reset_password(&request.caller.wids, &target_roles, in_group)
    {
        return Err(GraphError::forbidden());
    }

    // Validate and apply onto a copy; commit only if everything is valid.
    let mut updated = record.clone();
    let mut changes = Vec::new();
    let mut user_value = to_json(&updated.user);
    let mut password: Option<(String, bool, bool)> = None;
    for (key, value) in &patch {
        if key == "passwordProfile" {
            password = Some(parse_password_profile(value)?);
            continue;
        }
        if key == "businessPhones" {
            match value {
                Value::Array(items) if items.len() <= 1 && items.iter().all(Value::is_string) => {}
                _ => {
                    return Err(GraphError::bad_request(
                        "Invalid value specified for property 'businessPhones' of resource 'User'. Only one phone number may be set.",
                    ));
                }
            }
        }
        if key == "userPrincipalName" {
            let upn = value.as_str().unwrap_or("");
            validate_upn(&tenant, upn, Some(&user_id))?;
        }
        if key == "usageLocation"
            && let Some(code) = value.as_str()
            && (code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()))
        {
            return Err(GraphError::bad_request(format!(
                "Invalid value specified for property 'usageLocation' of resource 'User'. '{code}' is not an ISO 3166 country code."
            )));
        }
        let old = user_value.get(key).cloned().unwrap_or(Value::Null);
        user_value[key] = value.clone();
        changes.push(modified(
            key,
            json!([old]).to_string(),
            json!([value]).to_string(),
        ));
    }
    updated.user = serde_json::from_value::<User>(user_value).map_err(|error| {
        GraphError::bad_request(format!("Invalid value in the request body: {error}."))
    })?;
    if updated.user.display_name.trim().is_empty() {
        return Err(GraphError::bad_request(
            "Invalid value specified for property 'displayName' of resource 'User'.",
        ));
    }
    let enabled_changed = updated.user.account_enabled != record.user.account_enabled;
    if let Some((new_password, force, force_mfa)) = &password {
        check_complexity(new_password)?;
        let salt = tenant.salt.clone();
        updated.password_hash = hash_password(&salt, new_password);
        updated.user.last_password_change_date_time = Some(now);
        updated.password_expires = expiry_for(&updated.user, now);
        updated.user.password_profile = Some(PasswordProfileView {
            password: None,
            force_change_password_next_sign_in: *force,
            force_change_password_next_sign_in_with_mfa: *force_mfa,
        });
        updated.lockout = LockoutState::default();
    }
    let who = request.initiator();
    let target = user_target(&updated, changes.clone());
    let password_reset = password.is_some();
    let account_enabled = updated.user.account_enabled;
    tenant.users.insert(user_id.clone(), updated);
    if password_reset {
        let reset_target = user_target(&tenant.users[&user_id], Vec::new());
        tenant.audit(
            now,
            &who,
            "Reset user password",
            "UserManagement",
            "Core Directory",
            reset_target,
        );
        remediate_risk(&mut tenant, &user_id, now, &who.service_principal_id);
    }
    if enabled_changed {
        let activity = if account_enabled {
            "Enable account"
        } else {
            "Disable account"
        };
        tenant.audit(
            now,
            &who,
            activity,
            "UserManagement",
            "Core Directory",
            target.clone(),
        );
    }
    // Every PATCH is audited, a no-op one included, as Entra's Core Directory does.
    let other_changes = changes.iter().any(|c| c.display_name != "accountEnabled");
    if other_changes || (!enabled_changed && !password_reset) {
        tenant.audit(
            now,
            &who,
            "Update user",
            "UserManagement",
            "Core Directory",
            target,
        );
    }
    Ok(Reply::no_content())
}

/// An admin-generated temporary password remediates user risk, as Identity Protection does.
pub fn remediate_risk(
    tenant: &mut TenantState,
    user_id: &str,
    now: crate::model::Timestamp,
    initiated_by: &str,
) {
    if let Some(risky) = tenant.risky_users.get_mut(user_id)
        && (risky.risky_user.risk_state == "atRisk"
            || risky.risky_user.risk_state == "confirmedCompromised")
    {
        risky.risky_user.risk_state = "remediated".into();
        risky.risky_user.risk_level = "none".into();
        risky.risky_user.risk_detail = "adminGeneratedTemporaryPassword".into();
        risky.risky_user.risk_last_updated_date_time = now;
        super::identity::push_history(risky, initiated_by, "adminGeneratedTemporaryPassword");
    }
}

fn expiry_for(user: &User, now: crate::model::Timestamp) -> Option<crate::model::Timestamp> {
    let never = user
        .password_policies
        .as_deref()
        .is_some_and(|p| p.contains("DisablePasswordExpiration"));
    if never {
        None
    } else {
        Some(now + time::Duration::days(PASSWORD_LIFETIME_DAYS))
    }
}

fn parse_password_profile(value: &Value) -> Result<(String, bool, bool), GraphError> {
    let invalid = || {
        GraphError::bad_request(
            "Invalid value specified for property 'passwordProfile' of resource 'User'.",
        )
    };
    let Value::Object(profile) = value else {
        return Err(invalid());
    };
    for key in profile.keys().filter(|k| !k.starts_with("@odata.")) {
        if ![
            "password",
            "forceChangePasswordNextSignIn",
            "forceChangePasswordNextSignInWithMfa",
        ]
        .contains(&key.as_str())
        {
            return Err(invalid());
        }
    }
    let password = profile
        .get("password")
        .and_then(Value::as_str)
        .ok_or_else(invalid)?
        .to_string();
    let flag = |name: &str| -> Result<bool, GraphError> {
        match profile.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid()),
        }
    };
    Ok((
        password,
        flag("forceChangePasswordNextSignIn")?,
        flag("forceChangePasswordNextSignInWithMfa")?,
    ))
}

/// Entra's complexity rule: 8 to 256 characters, three of the four character classes.
pub fn check_complexity(password: &str) -> Result<(), GraphError> {
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let length = password.chars().count();
    if !(8..=256).contains(&length) || classes < 3 {
        return Err(GraphError::bad_request(
            "The specified password does not comply with password complexity requirements. Please provide a different password.",
        ));
    }
    Ok(())
}

fn validate_upn(tenant: &TenantState, upn: &str, except: Option<&str>) -> Result<(), GraphError> {
    let invalid = || GraphError::bad_request("Property userPrincipalName is invalid.");
    let (local, domain) = upn.split_once('@').ok_or_else(invalid)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || "'.-_!#^~".contains(c);
    if local.is_empty()
        || local.len() > 64
        || !local.chars().all(allowed)
        || local.starts_with('.')
        || local.ends_with('.')
    {
        return Err(invalid());
    }
    if !domain.eq_ignore_ascii_case(&tenant.domain) {
        return Err(GraphError::bad_request(format!(
            "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization. ('{domain}')"
        )));
    }
    let taken = tenant.users.values().any(|u| {
        u.user.user_principal_name.eq_ignore_ascii_case(upn) && Some(u.user.id.as_str()) != except
    });
    if taken {
        return Err(GraphError::bad_request(
            "Another object with the same value for property userPrincipalName already exists.",
        ));
    }
    Ok(())
}

fn create(request: &GraphRequest<'_>) -> GraphResult {
    request.require(WRITE)?;
    let body = request.json()?;
    let Value::Object(mut fields) = body else {
        return Err(GraphError::bad_request(
            "The request body must be a JSON object.",
        ));
    };
    super::strip_annotations(&mut fields);
    for required in [
        "accountEnabled",
        "displayName",
        "mailNickname",
        "userPrincipalName",
        "passwordProfile",
    ] {
        if fields.get(required).is_none_or(Value::is_null) {
            return Err(GraphError::bad_request(format!(
                "Invalid value specified for property '{required}' of resource 'User'."
            )));
        }
    }
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let upn = fields["userPrincipalName"]
        .as_str()
        .unwrap_or("")
        .to_string();
    validate_upn(&tenant, &upn, None)?;
    let (password, force, force_mfa) = parse_password_profile(&fields["passwordProfile"])?;
    check_complexity(&password)?;
    let id = uuid::Uuid::new_v4().to_string();
    let mut value = json!({
        "id": id, "userPrincipalName": upn, "displayName": "", "givenName": null, "surname": null,
        "mail": null, "mailNickname": "", "mobilePhone": null, "businessPhones": [], "jobTitle": null,
        "officeLocation": null, "preferredLanguage": null, "accountEnabled": true, "department": null,
        "companyName": null, "city": null, "country": null, "employeeId": null, "usageLocation": null,
        "userType": "Member", "otherMails": [], "proxyAddresses": [],
        "createdDateTime": super::graph_timestamp(now), "lastPasswordChangeDateTime": super::graph_timestamp(now),
        "passwordPolicies": null, "passwordProfile": null,
        "onPremisesSyncEnabled": null, "onPremisesImmutableId": null, "onPremisesSamAccountName": null,
        "onPremisesDistinguishedName": null, "onPremisesDomainName": null, "onPremisesUserPrincipalName": null,
        "onPremisesLastSyncDateTime": null, "signInSessionsValidFromDateTime": super::graph_timestamp(now),
        "signInActivity": null
    });
    let known = value.as_object().cloned().unwrap_or_default();
    for (key, field) in &fields {
        if key == "passwordProfile" {
            continue;
        }
        if !WRITABLE.iter().any(|(name, _)| name == key) {
            let message = if known.contains_key(key) {
                format!("Property '{key}' is read-only and cannot be set.")
            } else {
                format!(
                    "Property '{key}' does not exist as a declared property or extension property."
                )
            };
            return Err(GraphError::bad_request(message));
        }
        value[key] = field.clone();
    }
    let mut user: User = serde_json::from_value(value).map_err(|error| {
        GraphError::bad_request(format!("Invalid value in the request body: {error}."))
    })?;
    if user.mail.is_none() {
        user.mail = Some(upn.clone());
    }
    user.password_profile = Some(PasswordProfileView {
        password: None,
        force_change_password_next_sign_in: force,
        force_change_password_next_sign_in_with_mfa: force_mfa,
    });
    let salt = tenant.salt.clone();
    let record = UserRecord {
        password_hash: hash_password(&salt, &password),
        password_expires: expiry_for(&user, now),
        manager_id: None,
        photo: None,
        methods: Vec::new(),
        default_method_id: None,
        lockout: LockoutState::default(),
        mfa_required: true,
        familiar_ips: Default::default(),
        user,
    };
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Add user",
        "UserManagement",
        "Core Directory",
        user_target(&record, Vec::new()),
    );
    let mut body = user_json(&record);
    tenant.users.insert(id, record);
    body = crate::odata::project(body, None, Some(DEFAULT_SELECT));
    if let Value::Object(map) = &mut body {
        map.insert(
            "@odata.context".into(),
            json!(request.context("users/$entity")),
        );
    }
    Ok(Reply::json(StatusCode::CREATED, body))
}

fn delete(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(WRITE)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let user_id = tenant.user_id(id)?;
    let record = &tenant.users[&user_id];
    if record.user.on_premises_sync_enabled == Some(true) {
        return Err(GraphError::synced_object());
    }
    let roles = tenant.role_templates_of(&user_id);
    if !roles.is_empty() && !may_reset_password(&request.caller.wids, &roles, false) {
        return Err(GraphError::forbidden());
    }
    let target = user_target(record, Vec::new());
    tenant.users.shift_remove(&user_id);
    for group in tenant.groups.values_mut() {
        group.members.shift_remove(&user_id);
        group.owners.shift_remove(&user_id);
    }
    for role in tenant.directory_roles.values_mut() {
        role.members.shift_remove(&user_id);
    }
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Delete user",
        "UserManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::no_content())
}

fn manager(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let record = tenant.user(id)?;
    let manager = record
        .manager_id
        .as_ref()
        .and_then(|m| tenant.users.get(m))
        .ok_or_else(|| GraphError::not_found("manager"))?;
    let options =
        crate::odata::QueryOptions::parse(request.pairs.clone(), Supported::entity(&[]), false)?;
    let mut value = user_object(manager, options.select.as_deref());
    if let Value::Object(map) = &mut value {
        map.insert(
            "@odata.context".into(),
            json!(request.context("directoryObjects/$entity")),
        );
    }
    Ok(Reply::ok(value))
}

/// The object id at the end of an `@odata.id` reference URL.
pub fn reference_id(request: &GraphRequest<'_>) -> Result<String, GraphError> {
    let body = request.json()?;
    let reference = body
        .get("@odata.id")
        .and_then(Value::as_str)
        .ok_or_else(|| GraphError::bad_request("The request body must contain '@odata.id'."))?;
    let last = reference
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let last = last
        .strip_prefix("$ref")
        .map(str::to_string)
        .unwrap_or(last);
    // `users('id')` and `directoryObjects/id` forms.
    let id = match last.split_once('(') {
        Some((_, key)) => key.trim_end_matches(')').trim_matches('\'').to_string(),
        None => last,
    };
    if id.is_empty() || !reference.contains("://") {
        return Err(GraphError::bad_request(format!(
            "Invalid object identifier '{reference}'."
        )));
    }
    Ok(id)
}

fn set_manager(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(WRITE)?;
    let manager_key = reference_id(request)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let user_id = tenant.user_id(id)?;
    let manager_id = tenant.user_id(&manager_key)?;
    if manager_id == user_id {
        return Err(GraphError::bad_request(
            "A user cannot be their own manager.",
        ));
    }
    if tenant.users[&user_id].user.on_premises_sync_enabled == Some(true) {
        return Err(GraphError::synced_object());
    }
    let old = tenant.users[&user_id]
        .manager_id
        .clone()
        .unwrap_or_default();
    if let Some(record) = tenant.users.get_mut(&user_id) {
        record.manager_id = Some(manager_id.clone());
    }
    let who = request.initiator();
    let target = user_target(
        &tenant.users[&user_id],
        vec![modified("Manager", old, manager_id)],
    );
    tenant.audit(
        now,
        &who,
        "Set manager",
        "UserManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::no_content())
}

fn remove_manager(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(WRITE)?;
    let mut tenant = request.shared.tenant_mut();
    let record = tenant.user_mut(id)?;
    if record.manager_id.take().is_none() {
        return Err(GraphError::not_found("manager"));
    }
    Ok(Reply::no_content())
}

fn direct_reports(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let user_id = tenant.user_id(id)?;
    let options =
        crate::odata::QueryOptions::parse(request.pairs.clone(), Supported::entity(&[]), false)?;
    let value: Vec<Value> = tenant
        .users
        .values()
        .filter(|u| u.manager_id.as_deref() == Some(user_id.as_str()))
        .map(|u| user_object(u, options.select.as_deref()))
        .collect();
    Ok(Reply::ok(json!({
        "@odata.context": request.context("directoryObjects"),
        "value": value
    })))
}

fn photo_metadata(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let record = tenant.user(id)?;
    let photo = record.photo.as_ref().ok_or_else(photo_not_found)?;
    Ok(Reply::ok(json!({
        "@odata.context": request.context(&format!("users('{}')/photo/$entity", record.user.id)),
        "@odata.mediaContentType": photo.content_type,
        "@odata.mediaEtag": format!("W/\"{}\"", &hash_password("etag", &photo.data_base64)[..16]),
        "id": "default",
        "height": photo.height,
        "width": photo.width
    })))
}

fn photo_not_found() -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "ImageNotFound",
        "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.",
    )
}

fn photo(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let record = tenant.user(id)?;
    let photo = record.photo.as_ref().ok_or_else(photo_not_found)?;
    let data = base64::engine::general_purpose::STANDARD
        .decode(&photo.data_base64)
        .unwrap_or_default();
    Ok(Reply {
        status: StatusCode::OK,
        body: ReplyBody::Bytes {
            content_type: photo.content_type.clone(),
            data: data.into(),
        },
        headers: Vec::new(),
    })
}

fn set_photo(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(WRITE)?;
    let content_type = request
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let (kind, width, height) = image_dimensions(&request.body).ok_or_else(|| {
        GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidImage",
            "The photo is not a valid JPEG or PNG image.",
        )
    })?;
    if !content_type.starts_with("image/") {
        return Err(GraphError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "The content type '{content_type}' is not supported for photos; use image/jpeg or image/png."
            ),
        ));
    }
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let record = tenant.user_mut(id)?;
    record.photo = Some(Photo {
        content_type: kind.to_string(),
        data_base64: base64::engine::general_purpose::STANDARD.encode(&request.body),
        width,
        height,
    });
    let target = user_target(record, Vec::new());
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Update user photo",
        "UserManagement",
        "Core Directory",
        target,
    );
    Ok(Reply {
        status: StatusCode::OK,
        body: ReplyBody::Empty,
        headers: Vec::new(),
    })
}

/// The type and size of a PNG or JPEG, read from its header.
pub fn image_dimensions(data: &[u8]) -> Option<(&'static str, u32, u32)> {
    if data.len() > 24 && data.starts_with(b"\x89PNG\r\n\x1a\n") && &data[12..16] == b"IHDR" {
        let width = u32::from_be_bytes([data[16], data[17], data[18], data[19]]);
        let height = u32::from_be_bytes([data[20], data[21], data[22], data[23]]);
        return Some(("image/png", width, height));
    }
    if data.len() > 4 && data.starts_with(&[0xFF, 0xD8, 0xFF]) {
        let mut index = 2;
        while index + 9 < data.len() {
            if data[index] != 0xFF {
                index += 1;
                continue;
            }
            let marker = data[index + 1];
            let length = usize::from(u16::from_be_bytes([data[index + 2], data[index + 3]]));
            if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
                let height = u32::from(u16::from_be_bytes([data[index + 5], data[index + 6]]));
                let width = u32::from(u16::from_be_bytes([data[index + 7], data[index + 8]]));
                return Some(("image/jpeg", width, height));
            }
            index += 2 + length;
        }
        return Some(("image/jpeg", 0, 0));
    }
    None
}

fn revoke(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(REVOKE)?;
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let user_id = tenant.user_id(id)?;
    let roles = tenant.role_templates_of(&user_id);
    let in_group = tenant.in_role_assignable_group(&user_id);
    if (!roles.is_empty() || in_group)
        && !may_reset_password(&request.caller.wids, &roles, in_group)
    {
        return Err(GraphError::forbidden());
    }
    let record = tenant.user_mut(&user_id)?;
    let old = record
        .user
        .sign_in_sessions_valid_from_date_time
        .map(super::graph_timestamp)
        .unwrap_or_default();
    record.user.sign_in_sessions_valid_from_date_time = Some(now);
    let target = user_target(
        record,
        vec![modified(
            "StsRefreshTokensValidFrom",
            json!([old]).to_string(),
            json!([super::graph_timestamp(now)]).to_string(),
        )],
    );
    let who = request.initiator();
    tenant.audit(
        now,
        &who,
        "Update StsRefreshTokenValidFrom Timestamp",
        "UserManagement",
        "Core Directory",
        target,
    );
    Ok(Reply::ok(json!({
        "@odata.context": request.context("Edm.Boolean"),
        "value": true
    })))
}

/// Groups (and roles) a user belongs to: direct, or transitive through nested groups.
pub fn memberships(tenant: &TenantState, principal_id: &str, transitive: bool) -> Vec<String> {
    let mut found: Vec<String> = tenant
        .groups
        .values()
        .filter(|g| g.members.contains(principal_id))
        .map(|g| g.group.id.clone())
        .collect();
    if transitive {
        let mut index = 0;
        while index < found.len() {
            let current = found[index].clone();
            for group in tenant.groups.values() {
                if group.members.contains(&current) && !found.contains(&group.group.id) {
                    found.push(group.group.id.clone());
                }
            }
            index += 1;
        }
    }
    found
}

fn member_of(request: &GraphRequest<'_>, id: &str, transitive: bool, cast: &[&str]) -> GraphResult {
    request.require(READ)?;
    let tenant = request.shared.tenant();
    let user_id = tenant.user_id(id)?;
    let want = match cast {
        [] => None,
        ["microsoft.graph.group" | "graph.group"] => Some("group"),
        ["microsoft.graph.directoryRole" | "graph.directoryRole"] => Some("role"),
        [other, ..] => return Err(GraphError::unknown_segment(other)),
    };
    let groups = memberships(&tenant, &user_id, transitive);
    let mut values: Vec<Value> = Vec::new();
    if want != Some("role") {
        for group_id in &groups {
            if let Some(group) = tenant.groups.get(group_id) {
                values.push(super::groups::group_object(group));
            }
        }
    }
    if want != Some("group") {
        for role in tenant.directory_roles.values() {
            let direct = role.members.contains(&user_id);
            let via_group = transitive && groups.iter().any(|g| role.members.contains(g));
            if direct || via_group {
                let mut value = to_json(&role.role);
                value["@odata.type"] = json!("#microsoft.graph.directoryRole");
                values.push(value);
            }
        }
    }
    let listing = Listing {
        type_name: "directoryObject",
        context: "directoryObjects",
        default_select: None,
        directory_object: true,
        default_top: 100,
        supported: Supported {
            select: true,
            filter: true,
            top: Some(999),
            count: true,
            search: false,
            order_by: &[],
            expand: &[],
        },
    };
    let mut shape = Map::new();
    for value in &values {
        if let Value::Object(map) = value {
            for key in map.keys() {
                shape.insert(key.clone(), Value::Null);
            }
        }
    }
    for key in ["id", "displayName", "@odata.type"] {
        shape.insert(key.into(), Value::Null);
    }
    let options = collection::options(request, &listing, &shape)?;
    let body = collection::page(request, &listing, &options, values.len(), |i| {
        values[i].clone()
    })?;
    Ok(Reply::ok(body))
}

fn check_member_groups(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let body = request.json()?;
    let ids = body
        .get("groupIds")
        .and_then(Value::as_array)
        .ok_or_else(|| GraphError::bad_request("The 'groupIds' parameter is required."))?;
    if ids.len() > 20 {
        return Err(GraphError::bad_request(
            "A maximum of 20 groupIds may be checked at once.",
        ));
    }
    let tenant = request.shared.tenant();
    let user_id = tenant.user_id(id)?;
    let groups = memberships(&tenant, &user_id, true);
    let value: Vec<Value> = ids
        .iter()
        .filter_map(Value::as_str)
        .filter(|g| groups.iter().any(|m| m == g))
        .map(|g| json!(g))
        .collect();
    Ok(Reply::ok(json!({
        "@odata.context": request.context("Collection(Edm.String)"),
        "value": value
    })))
}

fn get_member_groups(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(READ)?;
    let body = request.json_or_empty()?;
    let security_only = body
        .get("securityEnabledOnly")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let tenant = request.shared.tenant();
    let user_id = tenant.user_id(id)?;
    let value: Vec<Value> = memberships(&tenant, &user_id, true)
        .into_iter()
        .filter(|g| {
            !security_only
                || tenant
                    .groups
                    .get(g)
                    .is_some_and(|r| r.group.security_enabled)
        })
        .map(Value::String)
        .collect();
    Ok(Reply::ok(json!({
        "@odata.context": request.context("Collection(Edm.String)"),
        "value": value
    })))
}

fn send_mail(request: &GraphRequest<'_>, id: &str) -> GraphResult {
    request.require(&["Mail.Send"])?;
    let body = request.json()?;
    let message = body
        .get("message")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            GraphError::new(
                StatusCode::BAD_REQUEST,
                "ErrorInvalidRequest",
                "The 'message' parameter is required.",
            )
        })?;
    let addresses = |field: &str| -> Vec<String> {
        message
            .get(field)
            .and_then(Value::as_array)
            .map(|recipients| {
                recipients
                    .iter()
                    .filter_map(|r| r.pointer("/emailAddress/address").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let to = addresses("toRecipients");
    let cc = addresses("ccRecipients");
    if to.is_empty() && cc.is_empty() {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
        ));
    }
    if to.iter().chain(&cc).any(|a| !a.contains('@')) {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid.",
        ));
    }
    let now = request.shared.now();
    let mut tenant = request.shared.tenant_mut();
    let sender = tenant.user(id)?;
    let from = sender.user.mail.clone().ok_or_else(|| {
        GraphError::new(
            StatusCode::NOT_FOUND,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )
    })?;
    let content = message.get("body").cloned().unwrap_or(Value::Null);
    let outbox = OutboxMessage {
        id: uuid::Uuid::new_v4().to_string(),
        channel: "mail".into(),
        from,
        to,
        cc,
        subject: message
            .get("subject")
            .and_then(Value::as_str)
            .map(str::to_string),
        body: content
            .get("content")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        content_type: content
            .get("contentType")
            .and_then(Value::as_str)
            .unwrap_or("Text")
            .to_string(),
        sent_date_time: now,
    };
    tenant.outbox.push(outbox);
    Ok(Reply {
        status: StatusCode::ACCEPTED,
        body: ReplyBody::Empty,
        headers: Vec::new(),
    })
}
