//! Model deserialization against documented sample bodies in `test_data/models/`.

use time::macros::datetime;

use super::*;
use crate::paging::Page;

#[test]
fn sign_in_v1() {
    let sign_in: SignIn =
        serde_json::from_str(include_str!("../../test_data/models/sign_in_v1.json")).unwrap();
    assert_eq!(
        sign_in.user_principal_name.as_deref(),
        Some("testaccount1@contoso.com")
    );
    assert!(sign_in.succeeded());
    assert_eq!(
        sign_in.created_date_time,
        Some(datetime!(2020-03-13 19:15:41.6195833 UTC))
    );
    assert_eq!(sign_in.risk_event_types_v2, vec!["unfamiliarFeatures"]);
    assert_eq!(
        sign_in
            .location
            .as_ref()
            .and_then(|l| l.country_or_region.as_deref()),
        Some("US")
    );
    assert_eq!(
        sign_in.applied_conditional_access_policies[0]
            .result
            .as_deref(),
        Some("notEnabled")
    );
    assert_eq!(sign_in.sign_in_event_types, None);
    assert_eq!(sign_in.mfa_detail, None);
}

#[test]
fn sign_in_beta_fields() {
    let sign_in: SignIn =
        serde_json::from_str(include_str!("../../test_data/models/sign_in_beta.json")).unwrap();
    assert_eq!(sign_in.error_code(), Some(50126));
    assert!(!sign_in.succeeded());
    assert_eq!(
        sign_in.sign_in_event_types,
        Some(vec!["nonInteractiveUser".to_owned()])
    );
    assert_eq!(
        sign_in.incoming_token_type.as_deref(),
        Some("primaryRefreshToken")
    );
    assert_eq!(sign_in.autonomous_system_number, Some(8075));
    assert_eq!(
        sign_in.authentication_requirement.as_deref(),
        Some("multiFactorAuthentication")
    );
    assert_eq!(
        sign_in.mfa_detail.and_then(|m| m.auth_method).as_deref(),
        Some("Mobile app notification")
    );
    assert_eq!(sign_in.authentication_details.map(|d| d.len()), Some(1));
}

#[test]
fn polymorphic_methods() {
    let page: Page<AuthMethod> =
        serde_json::from_str(include_str!("../../test_data/models/methods.json")).unwrap();
    let kinds: Vec<&str> = page.value.iter().map(AuthMethod::kind).collect();
    assert_eq!(
        kinds,
        vec![
            "password",
            "phone",
            "microsoftAuthenticator",
            "fido2",
            "email",
            "softwareOath",
            "windowsHelloForBusiness",
            "temporaryAccessPass",
            "unknown",
            "unknown",
            "unknown"
        ]
    );
    let collections: Vec<Option<String>> = page.value.iter().map(AuthMethod::collection).collect();
    assert_eq!(collections[1].as_deref(), Some("phoneMethods"));
    assert_eq!(collections[8].as_deref(), Some("hardwareOathMethods"));
    assert_eq!(collections[10], None);
    assert!(!page.value[0].is_deletable());
    assert!(page.value[1].is_deletable());
    assert!(!page.value[10].is_deletable());
    assert_eq!(page.value[0].id(), PASSWORD_METHOD_ID);
    assert_eq!(
        page.value[9].id(),
        "bad",
        "a malformed known type falls back to Unknown with its id"
    );
    match &page.value[1] {
        AuthMethod::Phone(phone) => assert_eq!(phone.phone_type.as_deref(), Some("mobile")),
        other => panic!("expected a phone method, got {other:?}"),
    }
}

#[test]
fn tap_secret_is_redacted() {
    let tap: Tap =
        serde_json::from_str(include_str!("../../test_data/models/tap_created.json")).unwrap();
    assert_eq!(
        tap.temporary_access_pass
            .as_ref()
            .map(|secret| secret.expose()),
        Some("+drkzqAD")
    );
    assert!(!format!("{tap:?}").contains("drkzqAD"));
    assert_eq!(tap.lifetime_in_minutes, Some(60));
}

#[test]
fn directory_audit() {
    let audit: DirectoryAudit =
        serde_json::from_str(include_str!("../../test_data/models/directory_audit.json")).unwrap();
    assert_eq!(
        audit.activity_display_name.as_deref(),
        Some("Reset user password")
    );
    let initiator = audit.initiated_by.unwrap();
    assert_eq!(
        initiator
            .user
            .and_then(|u| u.user_principal_name)
            .as_deref(),
        Some("admin@contoso.com")
    );
    assert_eq!(initiator.app, None);
    assert_eq!(audit.target_resources[0].kind.as_deref(), Some("User"));
    assert_eq!(
        audit.target_resources[0].modified_properties[0]
            .display_name
            .as_deref(),
        Some("PasswordProfile")
    );
}

#[test]
fn risky_user() {
    let user: RiskyUser =
        serde_json::from_str(include_str!("../../test_data/models/risky_user.json")).unwrap();
    assert_eq!(user.risk_level, RiskLevel::High);
    assert_eq!(user.risk_state, RiskState::AtRisk);
    let future: RiskyUser = serde_json::from_str(
        r#"{"id":"x","riskLevel":"extreme","riskState":"unknownFutureValue"}"#,
    )
    .unwrap();
    assert_eq!(future.risk_level, RiskLevel::Unknown);
    assert_eq!(future.risk_state, RiskState::Unknown);
}

#[test]
fn user_is_lenient() {
    let user: User =
        serde_json::from_str(include_str!("../../test_data/models/user.json")).unwrap();
    assert_eq!(user.account_enabled, Some(true));
    assert!(!user.is_synced());
    assert_eq!(user.created_date_time, None);
    assert_eq!(
        user.last_password_change_date_time,
        Some(datetime!(2024-04-30 08:00 UTC))
    );
    assert!(
        user.sign_in_activity
            .unwrap()
            .last_sign_in_date_time
            .is_some()
    );
    let odd: User = serde_json::from_str(r#"{"id":"x","createdDateTime":"not a date","signInSessionsValidFromDateTime":"2024-05-01T10:00:00"}"#).unwrap();
    assert_eq!(odd.created_date_time, None);
    assert_eq!(
        odd.sign_in_sessions_valid_from_date_time,
        Some(datetime!(2024-05-01 10:00 UTC))
    );
}

#[test]
fn directory_object_kinds() {
    let objects: Vec<DirectoryObject> = serde_json::from_str(
        r##"[{"@odata.type":"#microsoft.graph.group","id":"g"},{"@odata.type":"#microsoft.graph.directoryRole","id":"r","roleTemplateId":"t"},{"id":"x"}]"##,
    )
    .unwrap();
    let kinds: Vec<DirectoryObjectKind> = objects.iter().map(DirectoryObject::kind).collect();
    assert_eq!(
        kinds,
        vec![
            DirectoryObjectKind::Group,
            DirectoryObjectKind::DirectoryRole,
            DirectoryObjectKind::Other
        ]
    );
}

#[test]
fn request_bodies() {
    let patch = UserPatch {
        account_enabled: Some(false),
        department: Some("Finance".to_owned()),
        ..UserPatch::default()
    };
    assert_eq!(
        serde_json::to_value(&patch).unwrap(),
        serde_json::json!({"accountEnabled": false, "department": "Finance"})
    );
    let tap = TapRequest {
        start_date_time: Some(datetime!(2022-06-05 00:00 UTC)),
        lifetime_in_minutes: Some(60),
        is_usable_once: true,
    };
    assert_eq!(
        serde_json::to_value(&tap).unwrap(),
        serde_json::json!({"startDateTime": "2022-06-05T00:00:00Z", "lifetimeInMinutes": 60, "isUsableOnce": true})
    );
    let message = Message {
        importance: Some(Importance::High),
        ..Message::text("Hi", "Body", "m@contoso.com")
    };
    assert_eq!(
        serde_json::to_value(&message).unwrap(),
        serde_json::json!({"subject":"Hi","body":{"contentType":"Text","content":"Body"},
            "toRecipients":[{"emailAddress":{"address":"m@contoso.com"}}],"importance":"high"})
    );
}

#[test]
fn grants_and_groups_helpers() {
    let grant: OAuth2PermissionGrant =
        serde_json::from_str(r#"{"id":"g","clientId":"c","consentType":"Principal","principalId":"u","resourceId":"r","scope":" User.Read  Mail.ReadWrite "}"#).unwrap();
    assert_eq!(
        grant.scopes().collect::<Vec<_>>(),
        vec!["User.Read", "Mail.ReadWrite"]
    );
    assert!(!grant.is_all_principals());
    let group: Group = serde_json::from_str(
        r#"{"id":"g","groupTypes":["DynamicMembership","Unified"],"mailEnabled":true}"#,
    )
    .unwrap();
    assert!(group.is_dynamic() && group.is_unified() && !group.is_exchange_mastered());
}
