//! `discover`: what a newly connected tenant looks like to keydesk. It reads the directory roles
//! and their members ([`roles::discover`]), the groups, the enterprise apps and the licences
//! ([`doctor::licences_of`]), and proposes a starting configuration: the helpdesk group, who
//! approves, and the accounts keydesk must treat as protected. It reads only.

use keydesk_graph::model::{Group, ServicePrincipal};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::Settings;
use crate::doctor::{self, Licences};
use crate::report::{Outcome, Report};
use crate::roles::{self, Approver};
use crate::{Ops, Result};

/// Microsoft's own tenant: service principals it owns are first-party apps.
const MICROSOFT_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// The tenant's groups, counted the way an admin thinks of them.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupCounts {
    pub total: usize,
    /// Security groups (not Microsoft 365).
    pub security: usize,
    /// Microsoft 365 (`Unified`) groups.
    pub microsoft365: usize,
    pub dynamic: usize,
    pub synced: usize,
    /// Role-assignable groups by name: their members hold directory roles.
    pub role_assignable: Vec<String>,
}

/// The tenant's enterprise apps (service principals).
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppCounts {
    pub total: usize,
    pub disabled: usize,
    pub microsoft: usize,
    /// Apps not published by Microsoft, by name (the ones to review).
    pub third_party: Vec<String>,
}

/// A privileged account keydesk will not change without a second approver.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtectedAccount {
    pub id: String,
    pub user_principal_name: String,
    pub display_name: Option<String>,
    pub roles: Vec<String>,
}

/// The starting configuration keydesk proposes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal {
    /// The group whose members run everyday helpdesk actions.
    pub helpdesk_group: String,
    /// Whether that group exists already (otherwise: create it, or pick another).
    pub helpdesk_group_exists: bool,
    /// Other groups that look like a helpdesk or service desk.
    pub helpdesk_group_candidates: Vec<String>,
    /// Who approves changes to privileged accounts.
    pub privileged_approvers: Vec<Approver>,
    /// Who approves everyday helpdesk actions.
    pub helpdesk_approvers: Vec<Approver>,
    /// Groups keydesk treats as approver groups (role-assignable groups holding privileged roles).
    pub approver_groups: Vec<String>,
    /// Accounts holding privileged roles.
    pub protected_accounts: Vec<ProtectedAccount>,
}

/// What keydesk knows about a tenant beyond the policy: which directory group plays the helpdesk
/// part and which accounts are protected whatever roles they hold at the moment. `discover`
/// proposes one; the admin accepts it (the CLI keeps it as `tenant-profile.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantProfile {
    /// The group whose members run the everyday helpdesk actions.
    pub helpdesk_group: String,
    /// Accounts (UPNs, lower case, sorted) treated as privileged targets: a change needs a
    /// privileged administrator and a second approver even if their role lapses or is only
    /// PIM-eligible.
    #[serde(default)]
    pub protected_accounts: Vec<String>,
}

impl TenantProfile {
    /// The profile the settings carry now.
    pub fn of(settings: &Settings) -> TenantProfile {
        TenantProfile {
            helpdesk_group: settings.helpdesk_group.clone(),
            protected_accounts: settings.protected_accounts.clone(),
        }
    }

    /// Puts the profile into the settings operations run with.
    pub fn apply(&self, settings: &mut Settings) {
        settings.helpdesk_group = self.helpdesk_group.clone();
        settings.protected_accounts = self.protected_accounts.clone();
    }

    /// The profile as the pretty JSON kept on disk (stable key order, trailing newline).
    pub fn to_pretty_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Counts groups by kind.
pub fn count_groups(groups: &[Group]) -> GroupCounts {
    let mut counts = GroupCounts {
        total: groups.len(),
        ..GroupCounts::default()
    };
    for group in groups {
        let unified = group
            .group_types
            .iter()
            .any(|t| t.eq_ignore_ascii_case("Unified"));
        if unified {
            counts.microsoft365 += 1;
        } else if group.security_enabled == Some(true) {
            counts.security += 1;
        }
        if group.is_dynamic() {
            counts.dynamic += 1;
        }
        if group.on_premises_sync_enabled == Some(true) {
            counts.synced += 1;
        }
        if group.is_assignable_to_role == Some(true) {
            counts.role_assignable.push(
                group
                    .display_name
                    .clone()
                    .unwrap_or_else(|| group.id.clone()),
            );
        }
    }
    counts.role_assignable.sort();
    counts
}

/// Counts enterprise apps, listing the third-party ones.
pub fn count_apps(apps: &[ServicePrincipal]) -> AppCounts {
    let mut counts = AppCounts {
        total: apps.len(),
        ..AppCounts::default()
    };
    for app in apps {
        if app.account_enabled == Some(false) {
            counts.disabled += 1;
        }
        if app.app_owner_organization_id.as_deref() == Some(MICROSOFT_TENANT) {
            counts.microsoft += 1;
        } else {
            counts
                .third_party
                .push(app.display_name.clone().unwrap_or_else(|| app.id.clone()));
        }
    }
    counts.third_party.sort();
    counts
}

fn looks_like_helpdesk(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "helpdesk",
        "help desk",
        "service desk",
        "servicedesk",
        "it support",
    ]
    .iter()
    .any(|word| name.contains(word))
}

/// `discover`: roles and members, groups, enterprise apps, licences, and the proposal; the
/// proposed profile also comes back typed, for the caller to show as a diff and keep.
pub async fn discover(ops: &Ops) -> Result<(Report, TenantProfile)> {
    let (discovery, groups, apps, skus, organization) = futures::join!(
        roles::discover(ops),
        ops.graph.list_groups(),
        ops.graph.list_service_principals(),
        ops.graph.subscribed_skus(),
        ops.graph.organization(),
    );
    let discovery = discovery?;
    let mut report = Report::new("discover", None);
    report.outcome = Outcome::Info;
    let groups = groups
        .map_err(|e| report.note(format!("The groups could not be read: {}", e.explain())))
        .ok();
    let apps = apps
        .map_err(|e| {
            report.note(format!(
                "The enterprise apps could not be read (grant Application.Read.All): {}",
                e.explain()
            ))
        })
        .ok();
    let licences: Option<Licences> = skus
        .as_ref()
        .map_err(|e| {
            report.note(format!(
                "The licences could not be read (grant Organization.Read.All): {}",
                e.explain()
            ))
        })
        .ok()
        .map(|skus| doctor::licences_of(skus));
    let organization = organization.ok();

    let group_counts = groups.as_deref().map(count_groups);
    let app_counts = apps.as_deref().map(count_apps);

    let mut protected: Vec<ProtectedAccount> = Vec::new();
    let mut approver_groups: Vec<String> = Vec::new();
    for role in discovery.roles.iter().filter(|r| r.privileged) {
        for member in &role.members {
            match member.kind {
                "user" => {
                    if let Some(existing) = protected.iter_mut().find(|p| p.id == member.id) {
                        existing.roles.push(role.name.clone());
                    } else {
                        protected.push(ProtectedAccount {
                            id: member.id.clone(),
                            user_principal_name: member
                                .user_principal_name
                                .clone()
                                .unwrap_or_else(|| member.id.clone()),
                            display_name: member.display_name.clone(),
                            roles: vec![role.name.clone()],
                        });
                    }
                }
                "group" => {
                    let name = member
                        .display_name
                        .clone()
                        .unwrap_or_else(|| member.id.clone());
                    if !approver_groups.contains(&name) {
                        approver_groups.push(name);
                    }
                }
                _ => {}
            }
        }
    }
    protected.sort_by(|a, b| a.user_principal_name.cmp(&b.user_principal_name));
    approver_groups.sort();

    let configured = &ops.settings.helpdesk_group;
    let helpdesk_group_exists = discovery.approvers.helpdesk_group_id.is_some();
    let helpdesk_group_candidates: Vec<String> = groups
        .iter()
        .flatten()
        .filter_map(|g| g.display_name.clone())
        .filter(|name| !name.eq_ignore_ascii_case(configured) && looks_like_helpdesk(name))
        .collect();
    let helpdesk_group = if helpdesk_group_exists {
        configured.clone()
    } else {
        helpdesk_group_candidates
            .first()
            .cloned()
            .unwrap_or_else(|| configured.clone())
    };
    let proposal = Proposal {
        helpdesk_group_exists: helpdesk_group_exists
            || helpdesk_group_candidates.contains(&helpdesk_group),
        helpdesk_group,
        helpdesk_group_candidates,
        privileged_approvers: discovery.approvers.privileged.clone(),
        helpdesk_approvers: discovery.approvers.helpdesk.clone(),
        approver_groups,
        protected_accounts: protected,
    };

    let mut protected_upns: Vec<String> = proposal
        .protected_accounts
        .iter()
        .map(|p| p.user_principal_name.to_lowercase())
        .chain(
            ops.settings
                .protected_accounts
                .iter()
                .map(|upn| upn.to_lowercase()),
        )
        .collect();
    protected_upns.sort();
    protected_upns.dedup();
    let profile = TenantProfile {
        helpdesk_group: proposal.helpdesk_group.clone(),
        protected_accounts: protected_upns,
    };

    let privileged_roles = discovery.roles.iter().filter(|r| r.privileged).count();
    let mut summary = format!(
        "{} activated directory roles ({privileged_roles} privileged), {} protected accounts",
        discovery.roles.len(),
        proposal.protected_accounts.len()
    );
    if let Some(counts) = &group_counts {
        summary.push_str(&format!(
            ", {} groups ({} security, {} Microsoft 365, {} role-assignable)",
            counts.total,
            counts.security,
            counts.microsoft365,
            counts.role_assignable.len()
        ));
    }
    if let Some(counts) = &app_counts {
        summary.push_str(&format!(
            ", {} enterprise apps ({} third-party)",
            counts.total,
            counts.third_party.len()
        ));
    }
    summary.push('.');
    match licences {
        Some(Licences { p2: true, .. }) => {
            summary.push_str(" Entra ID P2: risk features (unblock, investigate) work.")
        }
        Some(Licences { p1: true, .. }) => summary.push_str(
            " Entra ID P1 without P2: sign-in logs work; risk features (unblock, investigate) do not.",
        ),
        Some(_) => summary.push_str(
            " No Entra ID P1/P2: no sign-in logs or risk features; diagnosis falls back to the directory.",
        ),
        None => {}
    }
    report.summary = summary;
    report.note(format!(
        "Proposed helpdesk group: \"{}\"{}.",
        proposal.helpdesk_group,
        if proposal.helpdesk_group_exists {
            ""
        } else {
            " (it does not exist yet: create it and add the helpdesk staff)"
        }
    ));
    report.note(format!(
        "Proposed approvers for privileged accounts: {}.",
        names(&proposal.privileged_approvers)
    ));
    report.note(format!(
        "Proposed approvers for everyday helpdesk actions: {}.",
        names(&proposal.helpdesk_approvers)
    ));
    if !proposal.approver_groups.is_empty() {
        report.note(format!(
            "Role-assignable groups holding privileged roles (their members are protected too): {}.",
            proposal.approver_groups.join(", ")
        ));
    }
    report.note(format!(
        "Protected accounts (privileged roles; changes need a second approver): {}.",
        proposal
            .protected_accounts
            .iter()
            .map(|p| format!("{} ({})", p.user_principal_name, p.roles.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    if let Some(counts) = &app_counts
        && !counts.third_party.is_empty()
    {
        report.note(format!(
            "Third-party enterprise apps to review: {}.",
            counts.third_party.join(", ")
        ));
    }
    report.details = json!({
        "tenant": organization.as_ref().map(|org| json!({
            "id": org.id, "displayName": org.display_name,
            "domains": org.verified_domains.iter().map(|d| &d.name).collect::<Vec<_>>(),
        })),
        "roles": discovery.roles,
        "groups": group_counts,
        "apps": app_counts,
        "licences": licences,
        "skus": skus.iter().flatten().filter_map(|s| s.sku_part_number.clone()).collect::<Vec<_>>(),
        "riskFeatures": licences.map(|l| l.p2),
        "proposal": proposal,
        "profile": &profile,
        "currentProfile": TenantProfile::of(&ops.settings),
    });
    Ok((report, profile))
}

fn names(approvers: &[Approver]) -> String {
    if approvers.is_empty() {
        return "nobody".to_string();
    }
    approvers
        .iter()
        .map(|a| a.user_principal_name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
