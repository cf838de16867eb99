//! [`AdAccount`]: one user account as Active Directory shows it, and its [`LockState`].
//!
//! Pure: built from the attribute values of a search entry ([`AdAccount::from_attributes`]), so
//! the interpretation of `userAccountControl`, `msDS-User-Account-Control-Computed`, FILETIME
//! values and `tokenGroups` SIDs is unit-tested without a domain controller.

use std::collections::HashMap;

use base64::Engine;
use time::OffsetDateTime;

/// `userAccountControl` / `msDS-User-Account-Control-Computed` flags.
pub mod flags {
    /// The account is disabled.
    pub const ACCOUNTDISABLE: u32 = 0x0002;
    /// Locked out (only meaningful in `msDS-User-Account-Control-Computed`).
    pub const LOCKOUT: u32 = 0x0010;
    /// The password never expires.
    pub const DONT_EXPIRE_PASSWORD: u32 = 0x1_0000;
    /// The password has expired (computed).
    pub const PASSWORD_EXPIRED: u32 = 0x80_0000;
}

/// The attributes keydesk reads for an account.
pub const ATTRIBUTES: &[&str] = &[
    "distinguishedName",
    "objectGUID",
    "sAMAccountName",
    "userPrincipalName",
    "displayName",
    "userAccountControl",
    "msDS-User-Account-Control-Computed",
    "lockoutTime",
    "badPwdCount",
    "badPasswordTime",
    "pwdLastSet",
    "adminCount",
    "memberOf",
    "primaryGroupID",
];

/// A user account in Active Directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdAccount {
    /// The distinguished name.
    pub dn: String,
    /// `objectGUID`, the sync anchor.
    pub object_guid: Option<uuid::Uuid>,
    /// `sAMAccountName`.
    pub sam_account_name: String,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `userAccountControl`.
    pub user_account_control: u32,
    /// `msDS-User-Account-Control-Computed` (lockout and password expiry as the DC computes them
    /// now, honouring the lockout duration).
    pub computed_control: u32,
    /// `lockoutTime` (0 when not locked).
    pub lockout_time: i64,
    /// `badPwdCount`.
    pub bad_pwd_count: u32,
    /// `badPasswordTime`.
    pub bad_password_time: Option<OffsetDateTime>,
    /// `pwdLastSet` as FILETIME (0: must change at next logon).
    pub pwd_last_set: i64,
    /// `adminCount` = 1: AD's protected accounts (AdminSDHolder).
    pub admin_count: bool,
    /// `memberOf` DNs (direct groups).
    pub member_of: Vec<String>,
    /// Protected groups the account belongs to, directly or nested (from `tokenGroups`), or its
    /// primary group.
    pub protected_groups: Vec<String>,
}

/// Lock state in plain terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockState {
    /// Locked out now.
    Locked,
    /// Not locked.
    Unlocked,
}

impl AdAccount {
    /// Builds an account from a search entry's attributes (text values by attribute name,
    /// case-insensitive; binary values in `binary`).
    pub fn from_attributes(
        dn: &str,
        text: &HashMap<String, Vec<String>>,
        binary: &HashMap<String, Vec<Vec<u8>>>,
    ) -> AdAccount {
        let get = |name: &str| -> Option<&Vec<String>> {
            text.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let first = |name: &str| get(name).and_then(|v| v.first()).cloned();
        let number = |name: &str| first(name).and_then(|v| v.trim().parse::<i64>().ok());
        let bytes = |name: &str| -> Vec<Vec<u8>> {
            binary
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .or_else(|| get(name).map(|v| v.iter().map(|s| s.as_bytes().to_vec()).collect()))
                .unwrap_or_default()
        };
        let object_guid = bytes("objectGUID")
            .first()
            .and_then(|b| uuid::Uuid::from_slice_le(b).ok());
        let member_of = get("memberOf").cloned().unwrap_or_default();
        let mut protected_groups: Vec<String> = bytes("tokenGroups")
            .iter()
            .filter_map(|sid| protected_rid_name(sid))
            .map(str::to_string)
            .collect();
        if let Some(name) = number("primaryGroupID").and_then(|rid| protected_primary_group(rid)) {
            protected_groups.push(name.to_string());
        }
        for group in &member_of {
            if let Some(cn) = first_rdn_value(group)
                && PROTECTED_GROUP_NAMES
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(&cn))
            {
                protected_groups.push(cn);
            }
        }
        protected_groups.sort();
        protected_groups.dedup();
        AdAccount {
            dn: first("distinguishedName").unwrap_or_else(|| dn.to_string()),
            object_guid,
            sam_account_name: first("sAMAccountName").unwrap_or_default(),
            user_principal_name: first("userPrincipalName"),
            display_name: first("displayName"),
            user_account_control: number("userAccountControl").unwrap_or(0) as u32,
            computed_control: number("msDS-User-Account-Control-Computed").unwrap_or(0) as u32,
            lockout_time: number("lockoutTime").unwrap_or(0),
            bad_pwd_count: number("badPwdCount").unwrap_or(0).max(0) as u32,
            bad_password_time: number("badPasswordTime").and_then(filetime),
            pwd_last_set: number("pwdLastSet").unwrap_or(0),
            admin_count: number("adminCount") == Some(1),
            member_of,
            protected_groups,
        }
    }

    /// Locked out now: the DC's computed flag, or a lockout time it has not cleared.
    pub fn lock_state(&self) -> LockState {
        if self.computed_control & flags::LOCKOUT != 0 {
            LockState::Locked
        } else {
            LockState::Unlocked
        }
    }

    /// Whether the account is locked out now.
    pub fn locked(&self) -> bool {
        self.lock_state() == LockState::Locked
    }

    /// Disabled (`ACCOUNTDISABLE`).
    pub fn disabled(&self) -> bool {
        self.user_account_control & flags::ACCOUNTDISABLE != 0
    }

    /// The password has expired (as computed by the DC).
    pub fn password_expired(&self) -> bool {
        self.computed_control & flags::PASSWORD_EXPIRED != 0
    }

    /// The user must change the password at next logon (`pwdLastSet` = 0).
    pub fn must_change_password(&self) -> bool {
        self.pwd_last_set == 0
    }

    /// When the password was last set.
    pub fn password_last_set(&self) -> Option<OffsetDateTime> {
        filetime(self.pwd_last_set)
    }

    /// When the account was locked out, if it is.
    pub fn locked_at(&self) -> Option<OffsetDateTime> {
        filetime(self.lockout_time)
    }

    /// A protected account: `adminCount` = 1 or a member (direct or nested) of a protected
    /// group such as Domain Admins. keydesk treats it as a privileged target.
    pub fn protected(&self) -> bool {
        self.admin_count || !self.protected_groups.is_empty()
    }

    /// The `onPremisesImmutableId` Entra Connect derives from this account (base64 of the
    /// `objectGUID` bytes).
    pub fn immutable_id(&self) -> Option<String> {
        self.object_guid
            .map(|g| base64::engine::general_purpose::STANDARD.encode(g.to_bytes_le()))
    }

    /// Group names (first RDN value) from `memberOf`.
    pub fn group_names(&self) -> Vec<String> {
        self.member_of
            .iter()
            .filter_map(|dn| first_rdn_value(dn))
            .collect()
    }

    /// One line about the account's state.
    pub fn state_sentence(&self) -> String {
        let mut parts = Vec::new();
        parts.push(if self.locked() {
            match self.locked_at() {
                Some(at) => format!("locked out since {}", rfc3339(at)),
                None => "locked out".to_string(),
            }
        } else {
            "not locked".to_string()
        });
        parts.push(
            if self.disabled() {
                "disabled"
            } else {
                "enabled"
            }
            .to_string(),
        );
        parts.push(format!("{} bad password(s)", self.bad_pwd_count));
        if self.must_change_password() {
            parts.push("must change password at next logon".into());
        } else if self.password_expired() {
            parts.push("password expired".into());
        }
        parts.join(", ")
    }
}

/// Names of AD's protected groups (AdminSDHolder), matched by name in `memberOf`.
pub const PROTECTED_GROUP_NAMES: &[&str] = &[
    "Domain Admins",
    "Enterprise Admins",
    "Schema Admins",
    "Administrators",
    "Account Operators",
    "Server Operators",
    "Print Operators",
    "Backup Operators",
    "Replicator",
    "Domain Controllers",
    "Read-only Domain Controllers",
    "Key Admins",
    "Enterprise Key Admins",
];

/// A protected group by well-known SID: builtin `S-1-5-32-RID` or domain `S-1-5-21-...-RID`.
fn protected_rid_name(sid: &[u8]) -> Option<&'static str> {
    // Revision (1), sub-authority count (1), identifier authority (6, big-endian), then 4-byte
    // little-endian sub-authorities.
    let count = usize::from(*sid.get(1)?);
    if sid.len() != 8 + 4 * count || count == 0 {
        return None;
    }
    let sub = |i: usize| -> Option<u32> {
        let start = 8 + 4 * i;
        Some(u32::from_le_bytes(
            sid.get(start..start + 4)?.try_into().ok()?,
        ))
    };
    let first = sub(0)?;
    let rid = sub(count - 1)?;
    match (first, count, rid) {
        (32, 2, 544) => Some("Administrators"),
        (32, 2, 548) => Some("Account Operators"),
        (32, 2, 549) => Some("Server Operators"),
        (32, 2, 550) => Some("Print Operators"),
        (32, 2, 551) => Some("Backup Operators"),
        (32, 2, 552) => Some("Replicator"),
        (21, 5, rid) => protected_primary_group(i64::from(rid)),
        _ => None,
    }
}

/// A protected domain group by RID.
fn protected_primary_group(rid: i64) -> Option<&'static str> {
    match rid {
        512 => Some("Domain Admins"),
        516 => Some("Domain Controllers"),
        518 => Some("Schema Admins"),
        519 => Some("Enterprise Admins"),
        521 => Some("Read-only Domain Controllers"),
        526 => Some("Key Admins"),
        527 => Some("Enterprise Key Admins"),
        _ => None,
    }
}

/// The value of a DN's first RDN (`CN=Domain Admins,CN=Users,...` → `Domain Admins`), with
/// backslash escapes removed.
pub fn first_rdn_value(dn: &str) -> Option<String> {
    let (_, rest) = dn.split_once('=')?;
    let mut value = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?),
            ',' => break,
            other => value.push(other),
        }
    }
    Some(value)
}

/// A Windows FILETIME (100 ns since 1601) as a time; `None` for 0 and "never".
pub fn filetime(value: i64) -> Option<OffsetDateTime> {
    const UNIX_EPOCH_AS_FILETIME: i64 = 116_444_736_000_000_000;
    if value <= 0 || value == i64::MAX {
        return None;
    }
    let nanos = i128::from(value - UNIX_EPOCH_AS_FILETIME) * 100;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(pairs: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in pairs {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        map
    }

    fn sid(subs: &[u32]) -> Vec<u8> {
        let mut out = vec![1, subs.len() as u8, 0, 0, 0, 0, 0, 5];
        for s in subs {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out
    }

    #[test]
    fn a_locked_out_user() {
        let guid = uuid::Uuid::parse_str("988814aa-5ae1-4f9e-9a69-4833d510ebe0").unwrap();
        let mut binary = HashMap::new();
        binary.insert("objectGUID".to_string(), vec![guid.to_bytes_le().to_vec()]);
        let account = AdAccount::from_attributes(
            "CN=Grady Archie,OU=R&D,OU=Users,DC=contoso,DC=local",
            &text(&[
                ("sAMAccountName", "gradya"),
                ("userAccountControl", "512"),
                ("msDS-User-Account-Control-Computed", "16"),
                ("lockoutTime", "134086000000000000"),
                ("badPwdCount", "3"),
                ("pwdLastSet", "134085000000000000"),
                (
                    "memberOf",
                    "CN=On-Prem-VPN-Users,OU=Users,DC=contoso,DC=local",
                ),
            ]),
            &binary,
        );
        assert!(account.locked());
        assert!(!account.disabled());
        assert!(!account.protected());
        assert_eq!(account.object_guid, Some(guid));
        assert_eq!(
            account.immutable_id().as_deref(),
            Some("qhSImOFank+aaUgz1RDr4A==")
        );
        assert_eq!(account.group_names(), vec!["On-Prem-VPN-Users"]);
        assert!(
            account.state_sentence().starts_with("locked out since 20"),
            "{}",
            account.state_sentence()
        );
        assert!(account.locked_at().is_some());
    }

    #[test]
    fn protected_accounts_by_token_groups_primary_group_member_of_or_admin_count() {
        let mut binary = HashMap::new();
        binary.insert(
            "tokenGroups".to_string(),
            vec![sid(&[21, 1, 2, 3, 513]), sid(&[21, 1, 2, 3, 512])],
        );
        let nested = AdAccount::from_attributes("CN=a", &HashMap::new(), &binary);
        assert_eq!(nested.protected_groups, vec!["Domain Admins"]);
        let builtin = {
            let mut b = HashMap::new();
            b.insert("tokenGroups".to_string(), vec![sid(&[32, 544])]);
            AdAccount::from_attributes("CN=b", &HashMap::new(), &b)
        };
        assert!(builtin.protected());
        let by_name = AdAccount::from_attributes(
            "CN=c",
            &text(&[("memberOf", "CN=Domain Admins,CN=Users,DC=contoso,DC=local")]),
            &HashMap::new(),
        );
        assert!(by_name.protected());
        let admin_count =
            AdAccount::from_attributes("CN=d", &text(&[("adminCount", "1")]), &HashMap::new());
        assert!(admin_count.protected());
        let plain = AdAccount::from_attributes(
            "CN=e",
            &text(&[("primaryGroupID", "513"), ("adminCount", "0")]),
            &binary_none(),
        );
        assert!(!plain.protected());
    }

    fn binary_none() -> HashMap<String, Vec<Vec<u8>>> {
        HashMap::new()
    }

    #[test]
    fn filetimes() {
        assert_eq!(filetime(0), None);
        assert_eq!(filetime(i64::MAX), None);
        assert_eq!(
            filetime(116_444_736_000_000_000).map(|t| t.unix_timestamp()),
            Some(0)
        );
    }

    #[test]
    fn rdn_values_unescape() {
        assert_eq!(
            first_rdn_value("CN=Archie\\, Grady,OU=x").as_deref(),
            Some("Archie, Grady")
        );
        assert_eq!(first_rdn_value("nothing"), None);
    }
}
