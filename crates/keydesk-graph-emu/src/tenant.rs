//! The tenant: state plus the rules Graph applies when it changes.
//!
//! Everything here is synchronous and in memory; the HTTP layer holds a `Tenant` behind a lock.

use sha2::{Digest, Sha256};

use crate::model::Timestamp;

/// Salted SHA-256 of a password or client secret, hex-encoded. The emulator never keeps the
/// plain text of a password or secret.
pub fn hash_password(salt: &str, password: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0u8]);
    hasher.update(password.as_bytes());
    let digest = hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The emulator's clock: the wall clock shifted by an offset that `/_emulator/clock` advances.
pub fn now_with_offset(offset_seconds: i64) -> Timestamp {
    time::OffsetDateTime::now_utc() + time::Duration::seconds(offset_seconds)
}

use rand::RngExt;

use crate::error::GraphError;
use crate::model::{
    AuditActor, AuditAppIdentity, DirectoryAudit, ModifiedProperty, TargetResource, TenantState,
    UserRecord, ids::roles,
};

/// A random secret from the OS generator: letters and digits plus `~._-`, as Entra secrets look.
pub fn random_secret(length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789~._-";
    let mut rng = rand::rng();
    (0..length)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Who performed a change, for directory audits.
#[derive(Debug, Clone)]
pub struct Initiator {
    pub app_id: String,
    pub display_name: String,
    pub service_principal_id: String,
}

impl TenantState {
    /// A user by object id or UPN (case-insensitive).
    pub fn user_id(&self, key: &str) -> Result<String, GraphError> {
        if self.users.contains_key(key) {
            return Ok(key.to_string());
        }
        self.users
            .values()
            .find(|u| u.user.user_principal_name.eq_ignore_ascii_case(key))
            .map(|u| u.user.id.clone())
            .ok_or_else(|| GraphError::not_found(key))
    }

    pub fn user(&self, key: &str) -> Result<&UserRecord, GraphError> {
        let id = self.user_id(key)?;
        self.users
            .get(&id)
            .ok_or_else(|| GraphError::not_found(key))
    }

    pub fn user_mut(&mut self, key: &str) -> Result<&mut UserRecord, GraphError> {
        let id = self.user_id(key)?;
        self.users
            .get_mut(&id)
            .ok_or_else(|| GraphError::not_found(key))
    }

    /// Role template ids a principal holds directly or through a role-assignable group.
    pub fn role_templates_of(&self, principal_id: &str) -> Vec<String> {
        let groups: Vec<&str> = self
            .groups
            .values()
            .filter(|g| {
                g.group.is_assignable_to_role == Some(true) && g.members.contains(principal_id)
            })
            .map(|g| g.group.id.as_str())
            .collect();
        self.directory_roles
            .values()
            .filter(|r| {
                r.members.contains(principal_id) || groups.iter().any(|g| r.members.contains(*g))
            })
            .map(|r| r.role.role_template_id.clone())
            .collect()
    }

    /// Whether the principal is a member or owner of a role-assignable group.
    pub fn in_role_assignable_group(&self, principal_id: &str) -> bool {
        self.groups.values().any(|g| {
            g.group.is_assignable_to_role == Some(true)
                && (g.members.contains(principal_id) || g.owners.contains(principal_id))
        })
    }

    /// Appends a directory audit record made by an app.
    pub fn audit(
        &mut self,
        now: Timestamp,
        initiator: &Initiator,
        activity: &str,
        category: &str,
        service: &str,
        target: TargetResource,
    ) {
        let operation_type = match activity.split_whitespace().next() {
            Some("Add") | Some("Create") | Some("Consent") => "Add",
            Some("Delete") | Some("Remove") => "Delete",
            _ => "Update",
        };
        self.directory_audits.push(DirectoryAudit {
            id: format!("Directory_{}", uuid::Uuid::new_v4()),
            category: category.to_string(),
            correlation_id: uuid::Uuid::new_v4().to_string(),
            result: "success".into(),
            result_reason: String::new(),
            activity_display_name: activity.to_string(),
            activity_date_time: now,
            logged_by_service: service.to_string(),
            operation_type: operation_type.to_string(),
            initiated_by: AuditActor {
                user: None,
                app: Some(AuditAppIdentity {
                    app_id: Some(initiator.app_id.clone()),
                    display_name: Some(initiator.display_name.clone()),
                    service_principal_id: Some(initiator.service_principal_id.clone()),
                    service_principal_name: Some(initiator.display_name.clone()),
                }),
            },
            target_resources: vec![target],
            additional_details: Vec::new(),
        });
    }
}

/// The audit target for a user, with its changed properties.
pub fn user_target(user: &UserRecord, modified: Vec<ModifiedProperty>) -> TargetResource {
    TargetResource {
        id: user.user.id.clone(),
        display_name: Some(user.user.display_name.clone()),
        kind: "User".into(),
        user_principal_name: Some(user.user.user_principal_name.clone()),
        group_type: None,
        modified_properties: modified,
    }
}

/// A modified property as Graph writes it: JSON arrays in strings.
pub fn modified(name: &str, old: impl Into<String>, new: impl Into<String>) -> ModifiedProperty {
    ModifiedProperty {
        display_name: name.to_string(),
        old_value: Some(old.into()),
        new_value: Some(new.into()),
    }
}

/// Whether callers holding `caller_roles` may reset the password (and other sensitive
/// properties) of a target holding `target_roles`, per Entra's "who can reset passwords" table.
/// The target must be manageable for every role it holds.
pub fn may_reset_password(
    caller_roles: &[String],
    target_roles: &[String],
    target_in_role_assignable_group: bool,
) -> bool {
    let holds = |role: &str| caller_roles.iter().any(|r| r == role);
    if holds(roles::GLOBAL_ADMINISTRATOR) || holds(roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR) {
        return true;
    }
    if target_in_role_assignable_group {
        return false;
    }
    const READERS: [&str; 6] = [
        roles::DIRECTORY_READERS,
        "95e79109-95c0-4d8e-aee3-d01accf2d47b", // Guest Inviter
        roles::PASSWORD_ADMINISTRATOR,
        "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b", // Message Center Reader
        "4a5d8f65-41da-4de4-8968-e035b65339cf", // Reports Reader
        "75934031-6c7e-415a-99d7-48dbd49e875e", // Usage Summary Reports Reader
    ];
    const UX_MANAGER: &str = "27460883-1df1-4691-b032-3b79643e5e63";
    let caller_may = |target_role: &str| -> bool {
        let low = READERS.contains(&target_role) || target_role == UX_MANAGER;
        let password_admin_may = matches!(target_role, r if r == roles::DIRECTORY_READERS || r == "95e79109-95c0-4d8e-aee3-d01accf2d47b" || r == roles::PASSWORD_ADMINISTRATOR);
        (holds(roles::PASSWORD_ADMINISTRATOR) && password_admin_may)
            || (holds(roles::HELPDESK_ADMINISTRATOR)
                && (low || target_role == roles::HELPDESK_ADMINISTRATOR))
            || (holds(roles::AUTHENTICATION_ADMINISTRATOR)
                && (low || target_role == roles::AUTHENTICATION_ADMINISTRATOR))
            || (holds(roles::USER_ADMINISTRATOR)
                && (low
                    || target_role == roles::HELPDESK_ADMINISTRATOR
                    || target_role == roles::GROUPS_ADMINISTRATOR
                    || target_role == roles::USER_ADMINISTRATOR))
    };
    let any_reset_role = [
        roles::PASSWORD_ADMINISTRATOR,
        roles::HELPDESK_ADMINISTRATOR,
        roles::AUTHENTICATION_ADMINISTRATOR,
        roles::USER_ADMINISTRATOR,
    ]
    .iter()
    .any(|r| holds(r));
    any_reset_role && target_roles.iter().all(|role| caller_may(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reset_matrix_follows_entra() {
        let user_admin = strings(&[roles::USER_ADMINISTRATOR]);
        let helpdesk = strings(&[roles::HELPDESK_ADMINISTRATOR]);
        let pra = strings(&[roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR]);
        let global = strings(&[roles::GLOBAL_ADMINISTRATOR]);
        let nobody: Vec<String> = Vec::new();
        assert!(may_reset_password(&user_admin, &nobody, false));
        assert!(may_reset_password(&helpdesk, &nobody, false));
        assert!(
            !may_reset_password(&nobody, &nobody, false),
            "no role, no reset"
        );
        assert!(!may_reset_password(&user_admin, &global, false));
        assert!(!may_reset_password(&helpdesk, &user_admin, false));
        assert!(may_reset_password(&user_admin, &helpdesk, false));
        assert!(may_reset_password(&pra, &global, false));
        assert!(
            !may_reset_password(&user_admin, &nobody, true),
            "role-assignable group members need PAA"
        );
        assert!(may_reset_password(&pra, &nobody, true));
        assert!(!may_reset_password(
            &user_admin,
            &strings(&[roles::DIRECTORY_READERS, roles::SECURITY_ADMINISTRATOR]),
            false
        ));
    }
}
