//! Groups.

use serde::Deserialize;
use time::OffsetDateTime;

/// A group (`microsoft.graph.group`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Group {
    /// Object id.
    pub id: String,
    /// Display name.
    pub display_name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// SMTP address.
    pub mail: Option<String>,
    /// Mail alias.
    pub mail_nickname: Option<String>,
    /// Whether the group is mail-enabled.
    pub mail_enabled: Option<bool>,
    /// Whether the group is a security group.
    pub security_enabled: Option<bool>,
    /// `[]` (security/distribution), `Unified` (Microsoft 365), `DynamicMembership`.
    pub group_types: Vec<String>,
    /// Dynamic membership rule.
    pub membership_rule: Option<String>,
    /// `On` or `Paused`.
    pub membership_rule_processing_state: Option<String>,
    /// `true` when mastered in on-premises AD.
    pub on_premises_sync_enabled: Option<bool>,
    /// Whether the group can hold directory roles.
    pub is_assignable_to_role: Option<bool>,
    /// `Public`, `Private`, `HiddenMembership`.
    pub visibility: Option<String>,
    /// Creation time.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub created_date_time: Option<OffsetDateTime>,
}

impl Group {
    /// Whether membership is rule-based (members cannot be added by hand).
    pub fn is_dynamic(&self) -> bool {
        self.group_types
            .iter()
            .any(|kind| kind.eq_ignore_ascii_case("DynamicMembership"))
    }

    /// Whether this is a Microsoft 365 group.
    pub fn is_unified(&self) -> bool {
        self.group_types
            .iter()
            .any(|kind| kind.eq_ignore_ascii_case("Unified"))
    }

    /// Whether the group is mastered in on-premises AD.
    pub fn is_synced(&self) -> bool {
        self.on_premises_sync_enabled == Some(true)
    }

    /// Whether membership is managed in Exchange (mail-enabled security group or distribution list).
    pub fn is_exchange_mastered(&self) -> bool {
        self.mail_enabled == Some(true) && !self.is_unified()
    }
}
