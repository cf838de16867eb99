//! The tenant itself (`organization`) and its licences (`subscribedSkus`).

use serde::Deserialize;

/// The tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Organization {
    /// Tenant id.
    pub id: String,
    /// Tenant name.
    pub display_name: Option<String>,
    /// Verified domains.
    pub verified_domains: Vec<VerifiedDomain>,
    /// Whether directory sync is on.
    pub on_premises_sync_enabled: Option<bool>,
    /// `AAD`, `AAD B2C`, ...
    pub tenant_type: Option<String>,
}

/// A verified domain of the tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VerifiedDomain {
    /// Domain name.
    pub name: String,
    /// Default domain.
    pub is_default: Option<bool>,
    /// The `onmicrosoft.com` domain.
    pub is_initial: Option<bool>,
    /// `Managed` or `Federated`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A licence the tenant holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscribedSku {
    /// Id.
    pub id: Option<String>,
    /// SKU id.
    pub sku_id: Option<String>,
    /// Part number (e.g. `AAD_PREMIUM_P2`).
    pub sku_part_number: Option<String>,
    /// `Enabled`, `Warning`, `Suspended`, ...
    pub capability_status: Option<String>,
    /// Units in use.
    pub consumed_units: Option<i64>,
    /// Units bought.
    pub prepaid_units: Option<LicenseUnits>,
    /// `User` or `Company`.
    pub applies_to: Option<String>,
    /// Service plans included.
    pub service_plans: Vec<ServicePlanInfo>,
}

/// `subscribedSku.prepaidUnits`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LicenseUnits {
    /// Enabled units.
    pub enabled: Option<i64>,
    /// Suspended units.
    pub suspended: Option<i64>,
    /// Units in warning.
    pub warning: Option<i64>,
    /// Locked-out units.
    pub locked_out: Option<i64>,
}

/// A service plan in a SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePlanInfo {
    /// Plan id.
    pub service_plan_id: Option<String>,
    /// Plan name (e.g. `AAD_PREMIUM_P2`).
    pub service_plan_name: Option<String>,
    /// `Success`, `Disabled`, ...
    pub provisioning_status: Option<String>,
    /// `User` or `Company`.
    pub applies_to: Option<String>,
}
