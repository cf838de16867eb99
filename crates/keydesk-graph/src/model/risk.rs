//! Identity Protection: risky users, their history, and risk detections.

use serde::Deserialize;
use time::OffsetDateTime;

/// Risk level of a user or detection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RiskLevel {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Hidden (no P2 licence or not visible).
    Hidden,
    /// No risk.
    None,
    /// A value keydesk does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

impl RiskLevel {
    /// Graph's spelling (`high`, `none`...).
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "low",
            RiskLevel::Medium => "medium",
            RiskLevel::High => "high",
            RiskLevel::Hidden => "hidden",
            RiskLevel::None => "none",
            RiskLevel::Unknown => "unknown",
        }
    }
}

impl RiskState {
    /// Graph's spelling (`atRisk`, `dismissed`...).
    pub fn as_str(self) -> &'static str {
        match self {
            RiskState::None => "none",
            RiskState::ConfirmedSafe => "confirmedSafe",
            RiskState::Remediated => "remediated",
            RiskState::Dismissed => "dismissed",
            RiskState::AtRisk => "atRisk",
            RiskState::ConfirmedCompromised => "confirmedCompromised",
            RiskState::Unknown => "unknown",
        }
    }
}

/// Risk state of a user or detection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RiskState {
    /// No risk.
    None,
    /// An admin confirmed the user safe.
    ConfirmedSafe,
    /// The risk was remediated.
    Remediated,
    /// An admin dismissed the risk.
    Dismissed,
    /// The user is at risk.
    AtRisk,
    /// An admin confirmed the user compromised.
    ConfirmedCompromised,
    /// A value keydesk does not know.
    #[default]
    #[serde(other)]
    Unknown,
}

/// `identityProtection/riskyUsers/{id}`; the id is the user's object id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskyUser {
    /// User object id.
    pub id: String,
    /// Whether the user was deleted.
    pub is_deleted: Option<bool>,
    /// Whether the backend is still processing the user's risk.
    pub is_processing: Option<bool>,
    /// Last risk change.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub risk_last_updated_date_time: Option<OffsetDateTime>,
    /// Risk level.
    pub risk_level: RiskLevel,
    /// Risk state.
    pub risk_state: RiskState,
    /// Why the risk is what it is (`adminDismissedAllRiskForUser`, ...).
    pub risk_detail: Option<String>,
    /// Display name.
    pub user_display_name: Option<String>,
    /// UPN.
    pub user_principal_name: Option<String>,
}

/// `riskyUsers/{id}/history` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskyUserHistoryItem {
    /// Entry id.
    pub id: String,
    /// User object id.
    pub user_id: Option<String>,
    /// Id of whoever caused the change.
    pub initiated_by: Option<String>,
    /// Risk level after the change.
    pub risk_level: RiskLevel,
    /// Risk state after the change.
    pub risk_state: RiskState,
    /// Risk detail after the change.
    pub risk_detail: Option<String>,
    /// When the change happened.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub risk_last_updated_date_time: Option<OffsetDateTime>,
    /// What happened.
    pub activity: Option<RiskUserActivity>,
}

/// `riskyUserHistoryItem.activity`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskUserActivity {
    /// Event types.
    pub event_types: Vec<String>,
    /// Risk event types.
    pub risk_event_types: Vec<String>,
    /// Detail.
    pub detail: Option<String>,
}

/// `identityProtection/riskDetections` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RiskDetection {
    /// Detection id.
    pub id: String,
    /// Sign-in request id.
    pub request_id: Option<String>,
    /// Sign-in correlation id.
    pub correlation_id: Option<String>,
    /// `unfamiliarFeatures`, `leakedCredentials`, `passwordSpray`, ...
    pub risk_event_type: Option<String>,
    /// Risk state.
    pub risk_state: RiskState,
    /// Risk level.
    pub risk_level: RiskLevel,
    /// Risk detail.
    pub risk_detail: Option<String>,
    /// `IdentityProtection`, `MicrosoftCloudAppSecurity`, ...
    pub source: Option<String>,
    /// `realtime`, `nearRealtime`, `offline`.
    pub detection_timing_type: Option<String>,
    /// `signin` or `user`.
    pub activity: Option<String>,
    /// `AzureAD` or `ADFederationServices`.
    pub token_issuer_type: Option<String>,
    /// Source IP address.
    pub ip_address: Option<String>,
    /// Where the activity came from.
    pub location: Option<super::SignInLocation>,
    /// When the risky activity happened.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub activity_date_time: Option<OffsetDateTime>,
    /// When it was detected.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub detected_date_time: Option<OffsetDateTime>,
    /// Last update.
    #[serde(deserialize_with = "super::timestamp::deserialize")]
    pub last_updated_date_time: Option<OffsetDateTime>,
    /// User object id.
    pub user_id: Option<String>,
    /// Display name.
    pub user_display_name: Option<String>,
    /// UPN.
    pub user_principal_name: Option<String>,
    /// Extra JSON (as a string).
    pub additional_info: Option<String>,
}
