//! Directory operations on people: `show_user` (profile, manager, roles, groups, methods, risk),
//! `search_users`, `update_user_profile`, and — in the submodules — `create_user`
//! ([`create`]) and `update_photo` ([`photo`]).
//!
//! Reads degrade gracefully: a section the app may not read (methods, risk) becomes a note, not a
//! failure. Writes refuse users mastered in on-premises AD before Graph is asked, change only the
//! fields that differ, and are verified by reading the user back. Deleting users, licences and
//! guest invitations are out of scope.

mod create;
mod photo;

use keydesk_graph::model::{AuthMethod, RiskyUser, User};
use keydesk_graph::odata::segment;
use keydesk_graph::{Filter, HELPDESK_USER_SELECT};
use keydesk_policy::Action;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

pub use create::{NewUserRequest, create_user};
pub use photo::{MAX_PHOTO_BYTES, MIN_PHOTO_BYTES, update_photo};

use crate::groups::{GroupSummary, user_groups};
use crate::report::{Outcome, Report, StepStatus};
use crate::{Error, Mode, Ops, Result, resolve, roles};

/// What to search for; every given criterion must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchCriteria {
    /// Prefix of the display name, first name, last name, UPN or mail.
    pub text: Option<String>,
    /// Exact department.
    pub department: Option<String>,
    /// Exact job title.
    pub job_title: Option<String>,
    /// Only enabled (`true`) or only disabled (`false`) accounts.
    pub enabled: Option<bool>,
}

/// Profile changes. `None` leaves a field alone; an empty string (or an empty list of business
/// phones) clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub mobile_phone: Option<String>,
    /// Graph keeps at most one business phone.
    pub business_phones: Option<Vec<String>>,
    /// ISO 3166-1 alpha-2 country code (`US`, `DE`).
    pub usage_location: Option<String>,
}

/// Properties Entra still lets the cloud change on a user mastered in on-premises AD.
const CLOUD_WRITABLE_WHEN_SYNCED: &[&str] = &["usageLocation"];

/// Most users a search returns.
pub const SEARCH_LIMIT: usize = 1000;

/// `show_user`: the profile, manager, directory roles (privileged ones marked), groups,
/// authentication methods summary and risk state of one user.
pub async fn show_user(ops: &Ops, query: &str) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let mut report = Report::new("show_user", Some(&upn));
    let (manager, held_roles, groups, methods, preferences, risky) = futures::join!(
        ops.graph.get_manager(&user.id),
        roles::roles_of_user(ops, &user.id),
        user_groups(ops, &user.id, false),
        ops.graph.list_methods(&user.id),
        ops.graph.get_sign_in_preferences(&user.id),
        ops.graph.get_risky_user(&user.id),
    );
    let manager = optional(manager.map_err(Error::from), "The manager", &mut report)?.flatten();
    let held_roles = optional(held_roles, "Directory roles", &mut report)?;
    let groups = optional(groups, "Group memberships", &mut report)?;
    let methods: Option<Vec<AuthMethod>> = optional(
        methods.map_err(Error::from),
        "Authentication methods",
        &mut report,
    )?;
    let risky: Option<Option<RiskyUser>> = optional(
        risky.map_err(Error::from),
        "Identity Protection risk",
        &mut report,
    )?;
    let default_method = preferences.ok().and_then(|p| {
        p.user_preferred_method_for_secondary_authentication
            .or(p.system_preferred_authentication_method)
    });

    let privileged: Vec<&str> = held_roles
        .iter()
        .flatten()
        .filter(|r| r.privileged)
        .map(|r| r.name.as_str())
        .collect();
    let mut summary = format!(
        "{} ({upn}){}{}, account {}",
        user.display_name.as_deref().unwrap_or(&upn),
        prefixed(", ", user.job_title.as_deref()),
        prefixed(", ", user.department.as_deref()),
        if user.account_enabled == Some(false) {
            "disabled"
        } else {
            "enabled"
        },
    );
    if user.is_synced() {
        summary.push_str(", synced from on-premises AD");
    }
    if !privileged.is_empty() {
        summary.push_str(&format!("; privileged: {}", privileged.join(", ")));
    }
    if let Some(groups) = &groups {
        summary.push_str(&format!("; {}", counted(groups.len(), "group")));
    }
    report.summary = format!("{summary}.");
    if user.is_synced() {
        report.note("Synced from on-premises Active Directory: profile, password and enable changes are made there.");
    }
    let mfa: Option<Vec<&str>> = methods.as_ref().map(|all| {
        all.iter()
            .filter(|m| !matches!(m, AuthMethod::Password(_)))
            .map(AuthMethod::kind)
            .collect()
    });
    if mfa.as_ref().is_some_and(Vec::is_empty) {
        report.note("No MFA method is registered.");
    }
    let risk = risky.as_ref().map(|r| match r {
        Some(r) => json!({
            "level": r.risk_level.as_str(), "state": r.risk_state.as_str(), "detail": r.risk_detail,
            "lastUpdated": r.risk_last_updated_date_time.map(timestamp),
        }),
        None => json!({"level": "none", "state": "none"}),
    });
    report.details = json!({
        "profile": profile_json(&user),
        "manager": manager.map(|m| json!({
            "id": m.id, "displayName": m.display_name,
            "userPrincipalName": m.user_principal_name.map(|u| u.to_lowercase()),
        })),
        "roles": held_roles,
        "groups": groups.map(|all| all.iter().map(GroupSummary::of).collect::<Vec<_>>()),
        "methods": methods.as_ref().map(|all| json!({
            "types": all.iter().map(AuthMethod::kind).collect::<Vec<_>>(),
            "mfaCount": mfa.as_ref().map_or(0, Vec::len),
            "default": default_method,
        })),
        "risk": risk,
    });
    Ok(report)
}

/// A section that a missing permission or licence turns into a note instead of a failure.
fn optional<T>(result: Result<T>, what: &str, report: &mut Report) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(Error::Graph(error)) if error.graph().is_some_and(|e| e.is_forbidden()) => {
            report.note(format!("{what} could not be read: {}", error.explain()));
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

fn prefixed(prefix: &str, value: Option<&str>) -> String {
    value
        .filter(|v| !v.is_empty())
        .map(|v| format!("{prefix}{v}"))
        .unwrap_or_default()
}

/// A user's profile as keydesk reports it.
pub fn profile_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "userPrincipalName": resolve::upn(user),
        "displayName": user.display_name,
        "givenName": user.given_name,
        "surname": user.surname,
        "mail": user.mail,
        "department": user.department,
        "jobTitle": user.job_title,
        "officeLocation": user.office_location,
        "mobilePhone": user.mobile_phone,
        "businessPhones": user.business_phones,
        "usageLocation": user.usage_location,
        "userType": user.user_type,
        "accountEnabled": user.account_enabled,
        "createdDateTime": user.created_date_time.map(timestamp),
        "lastPasswordChangeDateTime": user.last_password_change_date_time.map(timestamp),
        "synced": user.is_synced(),
    })
}

/// "1 group", "3 groups".
pub(crate) fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// RFC 3339, as Graph writes timestamps.
pub(crate) fn timestamp(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `search_users`: users whose name, UPN or mail starts with the text, filtered by department,
/// job title and account status.
pub async fn search_users(ops: &Ops, criteria: &SearchCriteria) -> Result<Report> {
    let text = criteria
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    let mut filters = Vec::new();
    if let Some(text) = text {
        if text.chars().any(char::is_control) || text.chars().count() > 120 {
            return Err(Error::InvalidInput(
                "the search text is not a name, UPN or mail prefix".into(),
            ));
        }
        let prefix = [
            "displayName",
            "givenName",
            "surname",
            "userPrincipalName",
            "mail",
        ]
        .into_iter()
        .map(|property| Filter::starts_with(property, text));
        filters.extend(Filter::any_of(prefix));
    }
    for (property, value) in [
        ("department", &criteria.department),
        ("jobTitle", &criteria.job_title),
    ] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            filters.push(Filter::eq(property, value));
        }
    }
    if let Some(enabled) = criteria.enabled {
        filters.push(Filter::eq("accountEnabled", enabled));
    }
    let Some(filter) = Filter::all_of(filters) else {
        return Err(Error::InvalidInput(
            "give a name, department, job title or account status to search for".into(),
        ));
    };
    let query = resolve::users_query(Some(filter), HELPDESK_USER_SELECT);
    let mut users: Vec<User> = ops
        .graph
        .collect_limited("users", &query, SEARCH_LIMIT + 1)
        .await?;
    let truncated = users.len() > SEARCH_LIMIT;
    users.truncate(SEARCH_LIMIT);
    users.sort_by_key(|u| {
        (
            u.display_name.clone().unwrap_or_default().to_lowercase(),
            resolve::upn(u),
        )
    });
    let mut described = Vec::new();
    if let Some(text) = text {
        described.push(format!("starting with \"{text}\""));
    }
    if let Some(department) = &criteria.department {
        described.push(format!("in {department}"));
    }
    if let Some(title) = &criteria.job_title {
        described.push(format!("titled {title}"));
    }
    if let Some(enabled) = criteria.enabled {
        described.push(if enabled {
            "enabled".into()
        } else {
            "disabled".into()
        });
    }
    let mut report = Report::new("search_users", None);
    if truncated {
        report.note(format!(
            "Only the first {SEARCH_LIMIT} matches are listed; narrow the search."
        ));
    }
    report.summary = format!("{} {}.", counted(users.len(), "user"), described.join(", "));
    report.details = json!({
        "count": users.len(),
        "users": users.iter().map(|u| json!({
            "id": u.id,
            "userPrincipalName": resolve::upn(u),
            "displayName": u.display_name,
            "mail": u.mail,
            "department": u.department,
            "jobTitle": u.job_title,
            "accountEnabled": u.account_enabled,
        })).collect::<Vec<_>>(),
    });
    Ok(report)
}

/// A phone number as Graph accepts it: digits and `+ - ( ) . x` and spaces, at least 4 digits.
pub(crate) fn check_phone(field: &str, phone: &str) -> Result<()> {
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().x".contains(c));
    if !allowed || phone.chars().filter(char::is_ascii_digit).count() < 4 || phone.len() > 64 {
        return Err(Error::InvalidInput(format!(
            "{field} '{phone}' is not a phone number (e.g. +1 415 555 0123)"
        )));
    }
    Ok(())
}

/// A usage location: two letters, upper-cased.
pub(crate) fn usage_location(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(Error::InvalidInput(format!(
            "usage location '{code}' is not a two-letter country code (US, DE, FR...)"
        )));
    }
    Ok(code)
}

/// The PATCH body entries that differ from the user's current values: `(property, old, new)`.
fn profile_changes(
    user: &User,
    update: &ProfileUpdate,
) -> Result<Vec<(&'static str, Value, Value)>> {
    let text = |value: &Option<String>| {
        value
            .as_ref()
            .map(|v| v.trim())
            .map(|v| if v.is_empty() { Value::Null } else { json!(v) })
    };
    let current = |value: &Option<String>| {
        value
            .as_deref()
            .filter(|v| !v.is_empty())
            .map_or(Value::Null, |v| json!(v))
    };
    if let Some(name) = &update.display_name
        && name.trim().is_empty()
    {
        return Err(Error::InvalidInput(
            "the display name cannot be cleared".into(),
        ));
    }
    if let Some(phone) = update
        .mobile_phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        check_phone("mobile phone", phone)?;
    }
    let business = match &update.business_phones {
        None => None,
        Some(phones) => {
            let phones: Vec<&str> = phones
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .collect();
            if phones.len() > 1 {
                return Err(Error::InvalidInput(
                    "Graph keeps only one business phone".into(),
                ));
            }
            for phone in &phones {
                check_phone("business phone", phone)?;
            }
            Some(json!(phones))
        }
    };
    let location = match update.usage_location.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(Value::Null),
        Some(code) => Some(json!(usage_location(code)?)),
    };
    let candidates = [
        (
            "displayName",
            text(&update.display_name),
            current(&user.display_name),
        ),
        (
            "givenName",
            text(&update.given_name),
            current(&user.given_name),
        ),
        ("surname", text(&update.surname), current(&user.surname)),
        (
            "jobTitle",
            text(&update.job_title),
            current(&user.job_title),
        ),
        (
            "department",
            text(&update.department),
            current(&user.department),
        ),
        (
            "officeLocation",
            text(&update.office_location),
            current(&user.office_location),
        ),
        (
            "mobilePhone",
            text(&update.mobile_phone),
            current(&user.mobile_phone),
        ),
        ("businessPhones", business, json!(user.business_phones)),
        ("usageLocation", location, current(&user.usage_location)),
    ];
    Ok(candidates
        .into_iter()
        .filter_map(|(property, new, old)| {
            new.filter(|new| *new != old)
                .map(|new| (property, old, new))
        })
        .collect())
}

fn shown(value: &Value) -> String {
    match value {
        Value::Null => "(empty)".into(),
        Value::String(text) => format!("'{text}'"),
        Value::Array(items) if items.is_empty() => "(empty)".into(),
        other => other.to_string(),
    }
}

/// `update_user_profile`: changes the given profile fields (only those that differ), refusing
/// users mastered in on-premises AD, and reads the user back to verify.
pub async fn update_user_profile(
    ops: &Ops,
    query: &str,
    update: &ProfileUpdate,
    mode: &Mode,
) -> Result<Report> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user);
    let changes = profile_changes(&user, update)?;
    let mut report = Report::new("update_user_profile", Some(&upn));
    report.details = json!({
        "changes": changes.iter().map(|(p, old, new)| json!({"property": p, "old": old, "new": new})).collect::<Vec<_>>(),
    });
    if changes.is_empty() {
        report.outcome = Outcome::NothingToDo;
        report.summary = format!("{upn}'s profile already has these values.");
        return Ok(report);
    }
    if user.is_synced() {
        let on_premises: Vec<&str> = changes
            .iter()
            .map(|(p, _, _)| *p)
            .filter(|p| !CLOUD_WRITABLE_WHEN_SYNCED.contains(p))
            .collect();
        if !on_premises.is_empty() {
            return Err(Error::refused(
                format!(
                    "{upn} is synced from on-premises Active Directory; Entra refuses changes to {}",
                    on_premises.join(", ")
                ),
                "change these attributes in Active Directory (Active Directory Users and Computers, or Set-ADUser), then let Entra Connect sync them (Start-ADSyncSyncCycle -PolicyType Delta)",
            ));
        }
    }
    let status = if mode.is_dry_run() {
        StepStatus::Planned
    } else {
        StepStatus::Done
    };
    let described: Vec<String> = changes
        .iter()
        .map(|(p, old, new)| format!("{p}: {} → {}", shown(old), shown(new)))
        .collect();
    if mode.plan_only(&[Action::UpdateUserProfile], report.target.as_deref())? {
        for line in &described {
            report.step("update", line.clone(), status);
        }
        report.outcome = Outcome::Planned;
        report.summary = format!("Would update {upn}'s {}.", changed_names(&changes));
        return Ok(report);
    }
    let patch: Map<String, Value> = changes
        .iter()
        .map(|(p, _, new)| (p.to_string(), new.clone()))
        .collect();
    let path = format!("users/{}", segment(&user.id));
    if let Err(error) = ops
        .graph
        .patch_no_content(&path, &Value::Object(patch))
        .await
    {
        if error.graph().is_some_and(|e| e.is_synced_object_refusal()) {
            return Err(Error::refused(
                format!("Graph refused: {upn} is mastered in on-premises Active Directory"),
                "change the attributes in Active Directory, then let Entra Connect sync them",
            ));
        }
        return Err(error.into());
    }
    for line in described {
        report.step("update", line, status);
    }
    let select: Vec<&str> = std::iter::once("id")
        .chain(changes.iter().map(|(p, _, _)| *p))
        .collect();
    let after: Value = ops
        .graph
        .get(
            &keydesk_graph::Query::default()
                .select(select)
                .apply_to(&path),
        )
        .await?;
    let mut mismatched = Vec::new();
    for (property, _, new) in &changes {
        let now = after.get(*property).cloned().unwrap_or(Value::Null);
        let same = now == *new || (new.is_null() && now.as_str() == Some(""));
        if same {
            report.verify(format!("{property} reads back as {}", shown(new)));
        } else {
            mismatched.push(format!("{property} reads back as {}", shown(&now)));
        }
    }
    if mismatched.is_empty() {
        report.outcome = Outcome::Done;
        report.summary = format!("Updated {upn}'s {}.", changed_names(&changes));
    } else {
        report.outcome = Outcome::Failed;
        report.summary = format!(
            "Graph accepted the update of {upn}, but {}.",
            mismatched.join("; ")
        );
    }
    Ok(report)
}

fn changed_names(changes: &[(&str, Value, Value)]) -> String {
    changes
        .iter()
        .map(|(p, _, _)| *p)
        .collect::<Vec<_>>()
        .join(", ")
}
