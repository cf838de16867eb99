//! Tests of the demo tenant seed: determinism, uniqueness, every cast member's observable state,
//! the directory around them, the absence of false impossible travel, and scale.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use time::Duration;
use time::macros::datetime;

use super::*;
use crate::model::{AuthMethod, SignIn, ids};

const NOW: Timestamp = datetime!(2025-06-18 14:30:00 UTC);

fn tenant() -> TenantState {
    contoso(&SeedConfig::default(), NOW)
}

fn user<'a>(t: &'a TenantState, local: &str) -> &'a UserRecord {
    let id = cast_user_id(local);
    match t.users.get(&id) {
        Some(u) => u,
        None => panic!("cast member {local} missing"),
    }
}

fn sign_ins_of<'a>(t: &'a TenantState, local: &str) -> Vec<&'a SignIn> {
    let id = cast_user_id(local);
    t.sign_ins.iter().filter(|s| s.user_id == id).collect()
}

fn km(a: &SignIn, b: &SignIn) -> f64 {
    let (Some(p), Some(q)) = (&a.location.geo_coordinates, &b.location.geo_coordinates) else {
        return 0.0;
    };
    let (la1, la2) = (p.latitude.to_radians(), q.latitude.to_radians());
    let dla = la2 - la1;
    let dlo = (q.longitude - p.longitude).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[test]
fn same_seed_and_clock_give_the_same_tenant() {
    let a = serde_json::to_string(&tenant()).unwrap_or_default();
    let b = serde_json::to_string(&tenant()).unwrap_or_default();
    assert!(!a.is_empty());
    assert_eq!(a, b);
    let other = contoso(
        &SeedConfig {
            seed: 7,
            ..SeedConfig::default()
        },
        NOW,
    );
    assert_ne!(a, serde_json::to_string(&other).unwrap_or_default());
    // Cast ids do not depend on the seed.
    assert!(other.users.contains_key(&cast_user_id("AlexW")));
}

#[test]
fn upns_and_ids_are_unique() {
    let t = contoso(
        &SeedConfig {
            background_users: 20_000,
            seed: 3,
        },
        NOW,
    );
    assert_eq!(t.users.len(), 20_000 + 23);
    let mut upns = HashSet::new();
    for u in t.users.values() {
        assert!(
            upns.insert(u.user.user_principal_name.to_lowercase()),
            "{}",
            u.user.user_principal_name
        );
        assert!(
            u.user
                .user_principal_name
                .ends_with("@contoso.onmicrosoft.com")
        );
        assert_eq!(
            u.user.mail.as_deref(),
            Some(u.user.user_principal_name.as_str())
        );
    }
    let ids: HashSet<_> = t.sign_ins.iter().map(|s| &s.id).collect();
    assert_eq!(ids.len(), t.sign_ins.len());
}

#[test]
fn cast_matches_the_design() {
    let t = tenant();
    let expect = [
        ("MeganB", "Megan Bowen", "IT", "IT Manager", None),
        ("LeeG", "Lee Gu", "IT", "Helpdesk Engineer", Some("MeganB")),
        (
            "PattiF",
            "Patti Fernandez",
            "IT",
            "Security Lead",
            Some("MeganB"),
        ),
        ("NestorW", "Nestor Wilke", "Operations", "Director", None),
        (
            "AlexW",
            "Alex Wilber",
            "Sales",
            "Account Executive",
            Some("MiriamG"),
        ),
        (
            "ShaneO",
            "Shane O'Brien",
            "Sales",
            "Sales Engineer",
            Some("MiriamG"),
        ),
        (
            "JohannaL",
            "Johanna Lorenz",
            "R&D",
            "Engineer",
            Some("DavidP"),
        ),
        (
            "john.smith",
            "John Smith",
            "Finance",
            "Accountant",
            Some("IrvinS"),
        ),
        (
            "jsmith",
            "John Smith",
            "Marketing",
            "Copywriter",
            Some("LynneR"),
        ),
        (
            "SarahL",
            "Sarah Lee",
            "Finance",
            "Finance Analyst",
            Some("IrvinS"),
        ),
        (
            "TomB",
            "Tom Baker",
            "Marketing",
            "Marketing Specialist",
            Some("LynneR"),
        ),
        ("JoniS", "Joni Sherman", "Legal", "Paralegal", None),
    ];
    for (local, name, dept, title, manager) in expect {
        let u = user(&t, local);
        assert_eq!(
            u.user.user_principal_name,
            format!("{local}@contoso.onmicrosoft.com")
        );
        assert_eq!(u.user.display_name, name);
        assert_eq!(u.user.department.as_deref(), Some(dept));
        assert_eq!(u.user.job_title.as_deref(), Some(title));
        assert_eq!(u.manager_id, manager.map(cast_user_id));
        assert_eq!(u.user.user_type, "Member");
        assert!(u.user.created_date_time < NOW - Duration::days(30) || local == "HenriettaM");
        assert_eq!(
            u.password_hash,
            crate::tenant::hash_password(&t.salt, &demo_password(local))
        );
    }
    for local in ["JohannaL", "GradyA", "HenriettaM", "AliceC", "LidiaH"] {
        assert_eq!(user(&t, local).manager_id, Some(cast_user_id("DavidP")));
    }
    for local in ["AdeleV", "DiegoS", "IsaiahL", "ShaneO"] {
        assert_eq!(user(&t, local).manager_id, Some(cast_user_id("MiriamG")));
    }
    assert_eq!(user(&t, "ShaneO").user.surname.as_deref(), Some("O'Brien"));
}

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
    assert!(sign_ins_of(&t, "IsaiahL").iter().any(|s| s.status.error_code == 50055 && s.created_date_time > NOW - Duration::hours(4)));
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

#[test]
fn everyone_has_consistent_methods_and_familiar_places() {
    let t = tenant();
    for u in t.users.values() {
        assert!(u.mfa_required);
        if let Some(d) = &u.default_method_id {
            assert!(
                u.methods.iter().any(|m| m.id() == d),
                "{}",
                u.user.user_principal_name
            );
        } else {
            assert_eq!(u.user.id, cast_user_id("HenriettaM"));
        }
        if u.user.account_enabled && u.user.id != cast_user_id("HenriettaM") {
            assert!(!u.familiar_ips.is_empty(), "{}", u.user.user_principal_name);
        }
    }
}

#[test]
fn roles_groups_and_apps() {
    let t = tenant();
    let role = |template: &str| {
        t.directory_roles
            .values()
            .find(|r| r.role.role_template_id == template)
    };
    let Some(ga) = role(ids::roles::GLOBAL_ADMINISTRATOR) else {
        panic!("no GA")
    };
    assert_ne!(ga.role.id, ids::roles::GLOBAL_ADMINISTRATOR);
    assert!(
        ga.members.contains(&cast_user_id("MeganB"))
            && ga.members.contains(&cast_user_id("NestorW"))
    );
    let keydesk = directory::sp_id(apps::KEYDESK_APP_ID);
    let limited = directory::sp_id(apps::KEYDESK_LIMITED_APP_ID);
    let readonly = directory::sp_id(apps::KEYDESK_READONLY_APP_ID);
    let Some(ua) = role(ids::roles::USER_ADMINISTRATOR) else {
        panic!("no UA")
    };
    let Some(paa) = role(ids::roles::PRIVILEGED_AUTHENTICATION_ADMINISTRATOR) else {
        panic!("no PAA")
    };
    assert!(ua.members.contains(&keydesk) && ua.members.contains(&limited));
    assert!(paa.members.contains(&keydesk) && !paa.members.contains(&limited));
    assert!(paa.members.contains(&cast_user_id("PattiF")));
    assert!(
        t.directory_roles
            .values()
            .all(|r| !r.members.contains(&readonly))
    );
    assert_eq!(t.directory_roles.len(), 5);
    let def = |template: &str| {
        t.role_definitions
            .iter()
            .find(|d| d.template_id == template && d.id == template)
    };
    assert!(def(ids::roles::GLOBAL_ADMINISTRATOR).is_some_and(|d| d.is_privileged));
    assert!(def(ids::roles::GROUPS_ADMINISTRATOR).is_some_and(|d| !d.is_privileged));
    assert!(def(ids::roles::DIRECTORY_READERS).is_some_and(|d| !d.is_privileged));

    let group = |name: &str| match t.groups.values().find(|g| g.group.display_name == name) {
        Some(g) => g,
        None => panic!("no group {name}"),
    };
    let has = |name: &str, local: &str| group(name).members.contains(&cast_user_id(local));
    assert!(has("IT Support", "LeeG") && !has("IT Support", "AliceC"));
    assert_eq!(group("Helpdesk Operators").members.len(), 1);
    assert!(has("Sales Team", "AliceC") && has("Sales Team", "AlexW"));
    assert!(
        has("Finance-M365", "john.smith")
            && !has("Finance-M365", "SarahL")
            && !has("Finance-Admins", "SarahL")
    );
    assert!(
        group("All-Engineering")
            .owners
            .contains(&cast_user_id("DavidP"))
    );
    assert_eq!(
        group("All-Engineering").group.resource_provisioning_options,
        vec!["Team".to_owned()]
    );
    let dynamic = group("Dynamic-All-Users");
    assert_eq!(
        dynamic.group.membership_rule.as_deref(),
        Some("(user.accountEnabled -eq true)")
    );
    assert_eq!(
        dynamic.members.len(),
        t.users.values().filter(|u| u.user.account_enabled).count()
    );
    assert!(!has("Dynamic-All-Users", "AdeleV"));
    assert_eq!(
        group("On-Prem-VPN-Users").group.on_premises_sync_enabled,
        Some(true)
    );
    assert!(has("On-Prem-VPN-Users", "GradyA"));
    assert!(group("IT Support").group.security_enabled && !group("IT Support").group.mail_enabled);
    assert_eq!(
        group("Sales Team").group.group_types,
        vec!["Unified".to_owned()]
    );

    assert_eq!(t.apps.len(), 3);
    for app in t.apps.values() {
        assert!(app.secrets.is_empty() && app.certificates.is_empty());
        assert!(t.service_principals.contains_key(&app.service_principal_id));
    }
    let perms = |app: &str| {
        t.apps
            .get(app)
            .map(|a| a.granted_permissions.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        perms(apps::KEYDESK_APP_ID),
        perms(apps::KEYDESK_LIMITED_APP_ID)
    );
    assert!(
        perms(apps::KEYDESK_READONLY_APP_ID)
            .iter()
            .all(|p| !p.contains("Write"))
    );
    for app in [
        apps::EXCHANGE_ONLINE_APP_ID,
        apps::TEAMS_APP_ID,
        apps::SHAREPOINT_APP_ID,
        apps::OFFICE_HOME_APP_ID,
        apps::AZURE_PORTAL_APP_ID,
        apps::GRAPH_APP_ID,
    ] {
        let sp = t.service_principals.get(&directory::sp_id(app));
        assert_eq!(
            sp.and_then(|s| s.service_principal.app_owner_organization_id.as_deref()),
            Some(ids::MICROSOFT_TENANT)
        );
    }
    let skus: Vec<_> = t
        .subscribed_skus
        .iter()
        .map(|s| s.sku_part_number.as_str())
        .collect();
    assert!(skus.contains(&"AAD_PREMIUM_P2") && skus.contains(&"SPE_E5"));
    assert_eq!(t.organization.id, TENANT_ID);
}

#[test]
fn logs_are_sorted_recent_and_well_formed() {
    let t = tenant();
    assert!(
        t.sign_ins
            .windows(2)
            .all(|w| w[0].created_date_time <= w[1].created_date_time)
    );
    assert!(
        t.directory_audits
            .windows(2)
            .all(|w| w[0].activity_date_time <= w[1].activity_date_time)
    );
    let start = NOW - Duration::days(HISTORY_DAYS);
    for s in &t.sign_ins {
        assert!(s.created_date_time >= start && s.created_date_time < NOW);
        assert_eq!(s.user_principal_name, s.user_principal_name.to_lowercase());
        let kind = if s.is_interactive {
            "interactiveUser"
        } else {
            "nonInteractiveUser"
        };
        assert_eq!(s.sign_in_event_types, vec![kind.to_owned()]);
    }
    assert!(
        t.directory_audits
            .iter()
            .all(|a| a.activity_date_time >= start && a.activity_date_time < NOW)
    );
    assert!(
        t.sign_ins
            .iter()
            .any(|s| s.status.error_code == 50126 && s.user_id != cast_user_id("AlexW"))
    );
}

/// Successive successful interactive sign-ins never need more than 800 km/h over 500 km, except
/// JohannaL's (the one impossible travel in the tenant) — the trip, the VPN exit and the offices
/// abroad must not look like one.
#[test]
fn only_johanna_travels_impossibly() {
    let t = tenant();
    let mut by_user: HashMap<&str, Vec<&SignIn>> = HashMap::new();
    for s in t
        .sign_ins
        .iter()
        .filter(|s| s.is_interactive && s.status.error_code == 0)
    {
        by_user.entry(s.user_id.as_str()).or_default().push(s);
    }
    let mut flagged = HashSet::new();
    for (user, list) in &by_user {
        for w in list.windows(2) {
            let d = km(w[0], w[1]);
            let hours = (w[1].created_date_time - w[0].created_date_time).as_seconds_f64() / 3600.0;
            if d >= 500.0 && d / hours.max(5.0 / 60.0) >= 800.0 {
                flagged.insert(*user);
            }
        }
    }
    let johanna = cast_user_id("JohannaL");
    assert_eq!(
        flagged.into_iter().collect::<Vec<_>>(),
        vec![johanna.as_str()]
    );
    // The look-alikes exist: someone signed in from London and from Portland.
    assert!(
        t.sign_ins
            .iter()
            .any(|s| s.location.city.as_deref() == Some("Portland"))
    );
    assert!(
        t.directory_audits
            .iter()
            .any(|a| a.activity_display_name == "User deleted security info")
    );
}

#[test]
fn small_and_empty_crowds_build() {
    let t = contoso(
        &SeedConfig {
            background_users: 0,
            seed: 1,
        },
        NOW,
    );
    assert_eq!(t.users.len(), 23);
    assert!(!t.sign_ins.is_empty());
}

#[test]
fn two_hundred_thousand_users() {
    let started = Instant::now();
    let t = contoso(
        &SeedConfig {
            background_users: 200_000,
            seed: 42,
        },
        NOW,
    );
    let took = started.elapsed();
    println!(
        "200k users: {:?}, {} users, {} sign-ins, {} audits, {} groups",
        took,
        t.users.len(),
        t.sign_ins.len(),
        t.directory_audits.len(),
        t.groups.len()
    );
    assert_eq!(t.users.len(), 200_023);
    let with_history: HashSet<_> = t.sign_ins.iter().map(|s| s.user_id.as_str()).collect();
    assert!(with_history.len() <= HISTORY_USER_LIMIT + 23 + 1);
    assert!(t.sign_ins.len() < 150 * (HISTORY_USER_LIMIT + 23));
}

#[test]
fn default_counts() {
    let t = tenant();
    println!(
        "default: {} users, {} sign-ins ({} interactive), {} audits, {} risk detections, {} grants",
        t.users.len(),
        t.sign_ins.len(),
        t.sign_ins.iter().filter(|s| s.is_interactive).count(),
        t.directory_audits.len(),
        t.risk_detections.len(),
        t.grants.len()
    );
    assert_eq!(t.users.len(), 323);
}
