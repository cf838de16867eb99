//! Each cast member's scenario, checked the way an investigator would see it: sign-in error
//! codes and timing, audits, risk records, methods and grants.

use time::Duration;

use super::{NOW, km, sign_ins_of, tenant, user};
use crate::model::{AuthMethod, ids};
use crate::seed::{apps, cast_user_id, directory};

#[test]
fn alex_is_smart_locked_out() {
    let t = tenant();
    let alex = user(&t, "AlexW");
    assert!(alex.user.account_enabled);
    let lock = &alex.lockout.unfamiliar;
    assert!(lock.failed_attempts >= 10 && lock.lockouts == 1);
    assert!(lock.locked_until.is_some_and(|u| u > NOW));
    let recent: Vec<_> = sign_ins_of(&t, "AlexW")
        .into_iter()
        .filter(|s| s.created_date_time > NOW - Duration::minutes(30))
        .collect();
    let bad: Vec<_> = recent
        .iter()
        .filter(|s| s.status.error_code == 50126)
        .collect();
    let locked: Vec<_> = recent
        .iter()
        .filter(|s| s.status.error_code == 50053)
        .collect();
    assert!(bad.len() >= 10, "{} 50126", bad.len());
    assert!(!locked.is_empty());
    let ip = &bad[0].ip_address;
    assert!(recent.iter().all(|s| &s.ip_address == ip));
    assert!(!alex.familiar_ips.contains(ip));
    assert_ne!(bad[0].location.country_or_region.as_deref(), Some("US"));
    let span = bad[bad.len() - 1].created_date_time - bad[0].created_date_time;
    assert!(span < Duration::minutes(10));
    assert!(locked[0].created_date_time > bad[bad.len() - 1].created_date_time);
}

#[test]
fn adele_was_disabled_by_megan() {
    let t = tenant();
    assert!(!user(&t, "AdeleV").user.account_enabled);
    let adele = cast_user_id("AdeleV");
    let audit = t
        .directory_audits
        .iter()
        .find(|a| a.activity_display_name == "Disable account");
    let Some(audit) = audit else {
        panic!("no Disable account audit")
    };
    assert_eq!(audit.logged_by_service, "Core Directory");
    assert_eq!(audit.category, "UserManagement");
    assert_eq!(
        audit.initiated_by.user.as_ref().map(|u| u.id.clone()),
        Some(cast_user_id("MeganB"))
    );
    assert_eq!(audit.target_resources[0].id, adele);
    let p = &audit.target_resources[0].modified_properties[0];
    assert_eq!(
        (
            p.display_name.as_str(),
            p.old_value.as_deref(),
            p.new_value.as_deref()
        ),
        ("AccountEnabled", Some("[true]"), Some("[false]"))
    );
    let after: Vec<_> = sign_ins_of(&t, "AdeleV")
        .into_iter()
        .filter(|s| s.created_date_time > audit.activity_date_time)
        .collect();
    assert!(!after.is_empty());
    assert!(after.iter().all(|s| s.status.error_code == 50057));
}

#[test]
fn diego_is_risky_and_blocked() {
    let t = tenant();
    let id = cast_user_id("DiegoS");
    let Some(r) = t.risky_users.get(&id) else {
        panic!("DiegoS not risky")
    };
    assert_eq!(
        (
            r.risky_user.risk_level.as_str(),
            r.risky_user.risk_state.as_str(),
            r.risky_user.risk_detail.as_str()
        ),
        ("high", "atRisk", "none")
    );
    assert!(t.risk_detections.iter().any(|d| d.user_id == id
        && d.risk_event_type == "leakedCredentials"
        && d.activity == "user"
        && d.detection_timing_type == "offline"));
    let blocked: Vec<_> = sign_ins_of(&t, "DiegoS")
        .into_iter()
        .filter(|s| matches!(s.status.error_code, 53004 | 530032))
        .collect();
    assert!(blocked.len() >= 2);
    assert!(
        blocked
            .iter()
            .all(|s| s.risk_level_during_sign_in == "high" && s.risk_state == "atRisk")
    );
}

#[test]
fn isaiah_password_expired() {
    let t = tenant();
    let isaiah = user(&t, "IsaiahL");
    assert!(isaiah.password_expires.is_some_and(|e| e < NOW));
    let recent = NOW - Duration::hours(4);
    let ins = sign_ins_of(&t, "IsaiahL");
    assert!(
        ins.iter()
            .any(|s| s.status.error_code == 50055 && s.created_date_time > recent)
    );
}

#[test]
fn johanna_is_compromised() {
    let t = tenant();
    let johanna = user(&t, "JohannaL");
    let ins = sign_ins_of(&t, "JohannaL");
    let denied: Vec<_> = ins
        .iter()
        .filter(|s| s.status.error_code == 500121)
        .collect();
    assert!(denied.len() >= 5);
    assert!(denied.iter().all(|s| s.status.additional_details.as_deref()
        == Some("MFA denied; user declined the authentication")));
    assert!(
        denied[denied.len() - 1].created_date_time - denied[0].created_date_time
            <= Duration::minutes(10)
    );
    let attacker_ip = denied[0].ip_address.clone();
    assert!(!johanna.familiar_ips.contains(&attacker_ip));
    let Some(breach) = ins
        .iter()
        .find(|s| s.ip_address == attacker_ip && s.status.error_code == 0 && s.is_interactive)
    else {
        panic!("no attacker success")
    };
    assert!(breach.created_date_time > denied[denied.len() - 1].created_date_time);
    assert!(breach.created_date_time > NOW - Duration::days(2));
    assert_eq!(breach.device_detail.device_id, "");
    assert_eq!(breach.device_detail.is_managed, Some(false));
    // Impossible travel: her own success at home less than an hour before, far away.
    let home = ins.iter().rev().find(|s| {
        s.status.error_code == 0
            && s.is_interactive
            && s.created_date_time < breach.created_date_time
            && s.ip_address != attacker_ip
    });
    let Some(home) = home else {
        panic!("no home sign-in")
    };
    assert!(breach.created_date_time - home.created_date_time < Duration::hours(1));
    assert!(km(home, breach) > 5000.0);
    assert_ne!(
        home.location.country_or_region,
        breach.location.country_or_region
    );
    assert_ne!(
        home.device_detail.operating_system,
        breach.device_detail.operating_system
    );
    assert!(johanna.familiar_ips.contains(&home.ip_address));

    let phone = johanna.methods.iter().find_map(|m| match m {
        AuthMethod::Phone {
            phone_number,
            phone_type,
            ..
        } if phone_type == "mobile" => Some(phone_number.clone()),
        _ => None,
    });
    assert_eq!(phone.as_deref(), Some("+44 7700900461"));
    let id = cast_user_id("JohannaL");
    let by_attacker = |name: &str| {
        t.directory_audits.iter().find(|a| {
            a.activity_display_name == name
                && a.initiated_by.user.as_ref().is_some_and(|u| {
                    u.id == id && u.ip_address.as_deref() == Some(attacker_ip.as_str())
                })
        })
    };
    let Some(reg) = by_attacker("User registered security info") else {
        panic!("no registration audit")
    };
    assert_eq!(
        (reg.logged_by_service.as_str(), reg.category.as_str()),
        ("Authentication Methods", "UserManagement")
    );
    assert!(reg.activity_date_time > breach.created_date_time);
    let Some(consent) = by_attacker("Consent to application") else {
        panic!("no consent audit")
    };
    assert_eq!(consent.category, "ApplicationManagement");

    let mhp = directory::sp_id(apps::MAIL_HELPER_PRO_APP_ID);
    let graph = directory::sp_id(apps::GRAPH_APP_ID);
    let grant = t.grants.values().find(|g| g.client_id == mhp);
    let Some(grant) = grant else {
        panic!("no grant")
    };
    assert_eq!(
        (
            grant.consent_type.as_str(),
            grant.principal_id.as_deref(),
            grant.resource_id.as_str()
        ),
        ("Principal", Some(id.as_str()), graph.as_str())
    );
    assert_eq!(
        grant.scope,
        "Mail.ReadWrite Mail.Send offline_access User.Read"
    );
    let Some(sp) = t.service_principals.get(&mhp) else {
        panic!("no Mail Helper Pro SP")
    };
    assert!(
        sp.service_principal
            .verified_publisher
            .verified_publisher_id
            .is_none()
    );
    assert_ne!(
        sp.service_principal.app_owner_organization_id.as_deref(),
        Some(ids::MICROSOFT_TENANT)
    );
    assert!(
        sp.created_date_time > NOW - Duration::days(7)
            && sp.created_date_time < consent.activity_date_time
    );
    assert!(
        t.directory_audits
            .iter()
            .any(|a| a.activity_display_name == "Add service principal"
                && a.target_resources[0].id == mhp)
    );
    let Some(r) = t.risky_users.get(&id) else {
        panic!("JohannaL not risky")
    };
    assert_eq!(r.risky_user.risk_level, "medium");
}

#[test]
fn grady_is_synced() {
    let t = tenant();
    let u = &user(&t, "GradyA").user;
    assert_eq!(u.on_premises_sync_enabled, Some(true));
    assert_eq!(u.on_premises_sam_account_name.as_deref(), Some("gradya"));
    assert_eq!(
        u.on_premises_distinguished_name.as_deref(),
        Some("CN=Grady Archie,OU=R&D,OU=Users,DC=contoso,DC=local")
    );
    assert_eq!(u.on_premises_domain_name.as_deref(), Some("contoso.local"));
    assert_eq!(
        u.on_premises_immutable_id.as_ref().map(String::len),
        Some(24)
    );
    assert!(
        u.on_premises_last_sync_date_time
            .is_some_and(|s| s > NOW - Duration::hours(1))
    );
}

#[test]
fn henrietta_has_no_mfa_and_tom_an_old_phone() {
    let t = tenant();
    let h = user(&t, "HenriettaM");
    assert!(h.methods.is_empty() && h.mfa_required && h.default_method_id.is_none());
    let ins = sign_ins_of(&t, "HenriettaM");
    assert!(!ins.is_empty());
    assert!(ins.iter().all(|s| s.status.error_code == 50079));

    let tom = user(&t, "TomB");
    let auth = tom.methods.iter().find_map(|m| match m {
        AuthMethod::MicrosoftAuthenticator {
            id,
            display_name,
            created_date_time,
            ..
        } => Some((id, display_name, created_date_time)),
        _ => None,
    });
    let Some((auth_id, name, created)) = auth else {
        panic!("TomB has no Authenticator")
    };
    assert_eq!(name, "iPhone 11");
    assert!(created.is_some_and(|c| c < NOW - Duration::days(3 * 365)));
    assert_eq!(tom.default_method_id.as_ref(), Some(auth_id));
    assert!(
        tom.methods
            .iter()
            .any(|m| matches!(m, AuthMethod::Phone { id, .. } if id == ids::PHONE_MOBILE))
    );
}
