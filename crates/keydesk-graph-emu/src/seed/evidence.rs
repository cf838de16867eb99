//! Builders of the evidence records scenarios leave behind: directory audits (with the actor,
//! targets and modified properties the way Entra writes them), Identity Protection risk
//! detections and risky-user records.

use rand::rngs::StdRng;

use super::random_id;
use crate::model::{
    AuditActor, AuditUserIdentity, DirectoryAudit, KeyValue, ModifiedProperty, RiskDetection,
    RiskUserActivity, RiskyUser, RiskyUserHistoryItem, RiskyUserRecord, SignInLocation,
    TargetResource, Timestamp, UserRecord,
};

/// A sign-in risk detection to record (medium, at risk).
pub(super) struct Detection<'a> {
    pub kind: &'a str,
    /// `realtime` or `offline`.
    pub timing: &'a str,
    pub activity_at: Timestamp,
    pub detected_at: Timestamp,
    /// The sign-in's id and correlation id.
    pub sign_in: (&'a str, &'a str),
    pub ip: &'a str,
    pub location: &'a SignInLocation,
    /// `additionalInfo`, stored as the JSON string Graph returns.
    pub info: serde_json::Value,
}

pub(super) fn detection(rng: &mut StdRng, record: &UserRecord, d: Detection<'_>) -> RiskDetection {
    RiskDetection {
        id: random_id(rng),
        request_id: Some(d.sign_in.0.to_owned()),
        correlation_id: Some(d.sign_in.1.to_owned()),
        risk_event_type: d.kind.to_owned(),
        risk_state: "atRisk".to_owned(),
        risk_level: "medium".to_owned(),
        risk_detail: "none".to_owned(),
        source: "IdentityProtection".to_owned(),
        detection_timing_type: d.timing.to_owned(),
        activity: "signin".to_owned(),
        token_issuer_type: "AzureAD".to_owned(),
        ip_address: Some(d.ip.to_owned()),
        location: Some(d.location.clone()),
        activity_date_time: d.activity_at,
        detected_date_time: d.detected_at,
        last_updated_date_time: d.detected_at,
        user_id: record.user.id.clone(),
        user_display_name: record.user.display_name.clone(),
        user_principal_name: record.user.user_principal_name.clone(),
        additional_info: Some(d.info.to_string()),
    }
}

/// The riskyUser record (at risk, `level`) after `detections`, oldest first, one history item
/// each; `None` without detections.
pub(super) fn risky_user(
    record: &UserRecord,
    level: &str,
    detections: &[&RiskDetection],
) -> Option<RiskyUserRecord> {
    let u = &record.user;
    let last = detections.last()?;
    let history = detections
        .iter()
        .map(|d| RiskyUserHistoryItem {
            id: u.id.clone(),
            is_deleted: false,
            is_processing: false,
            risk_last_updated_date_time: d.detected_date_time,
            risk_level: level.to_owned(),
            risk_state: "atRisk".to_owned(),
            risk_detail: "none".to_owned(),
            user_display_name: u.display_name.clone(),
            user_principal_name: u.user_principal_name.clone(),
            user_id: u.id.clone(),
            initiated_by: None,
            activity: RiskUserActivity {
                detail: "none".to_owned(),
                risk_event_types: vec![d.risk_event_type.clone()],
            },
        })
        .collect();
    let risky_user = RiskyUser {
        id: u.id.clone(),
        is_deleted: false,
        is_processing: false,
        risk_last_updated_date_time: last.detected_date_time,
        risk_level: level.to_owned(),
        risk_state: "atRisk".to_owned(),
        risk_detail: "none".to_owned(),
        user_display_name: u.display_name.clone(),
        user_principal_name: u.user_principal_name.clone(),
    };
    Some(RiskyUserRecord {
        risky_user,
        history,
    })
}

/// A successful directory audit; `kind` is (service, category, activity, operation type).
pub(super) fn audit(
    rng: &mut StdRng,
    at: Timestamp,
    (service, category, activity, operation): (&str, &str, &str, &str),
    initiated_by: AuditActor,
    targets: Vec<TargetResource>,
    details: Vec<KeyValue>,
) -> DirectoryAudit {
    let prefix = if service == "Core Directory" {
        "Directory"
    } else {
        "UserManagement"
    };
    DirectoryAudit {
        id: format!("{prefix}_{}", random_id(rng)),
        category: category.to_owned(),
        correlation_id: random_id(rng),
        result: "success".to_owned(),
        result_reason: String::new(),
        activity_display_name: activity.to_owned(),
        activity_date_time: at,
        logged_by_service: service.to_owned(),
        operation_type: operation.to_owned(),
        initiated_by,
        target_resources: targets,
        additional_details: details,
    }
}

/// A timestamp as Graph writes it inside JSON strings.
pub(super) fn fmt(at: Timestamp) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// A modified property; an empty `old` (a property set for the first time) is logged as null.
pub(super) fn prop(name: &str, old: &str, new: &str) -> ModifiedProperty {
    ModifiedProperty {
        display_name: name.to_owned(),
        old_value: (!old.is_empty()).then(|| old.to_owned()),
        new_value: Some(new.to_owned()),
    }
}

/// An `additionalDetails` entry.
pub(super) fn kv(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

/// The actor of an audit: a user, from an address.
pub(super) fn by_user(record: &UserRecord, ip: &str) -> AuditActor {
    AuditActor {
        user: Some(AuditUserIdentity {
            id: record.user.id.clone(),
            display_name: None,
            user_principal_name: Some(record.user.user_principal_name.clone()),
            ip_address: Some(ip.to_owned()),
        }),
        app: None,
    }
}

/// A user as an audit target.
pub(super) fn target_user(record: &UserRecord, modified: Vec<ModifiedProperty>) -> TargetResource {
    TargetResource {
        id: record.user.id.clone(),
        display_name: Some(record.user.display_name.clone()),
        kind: "User".to_owned(),
        user_principal_name: Some(record.user.user_principal_name.clone()),
        group_type: None,
        modified_properties: modified,
    }
}

/// A service principal as an audit target.
pub(super) fn target_sp(id: &str, name: &str, modified: Vec<ModifiedProperty>) -> TargetResource {
    TargetResource {
        id: id.to_owned(),
        display_name: Some(name.to_owned()),
        kind: "ServicePrincipal".to_owned(),
        user_principal_name: None,
        group_type: None,
        modified_properties: modified,
    }
}
