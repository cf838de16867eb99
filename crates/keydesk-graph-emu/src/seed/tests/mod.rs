//! Tests of the demo tenant seed: determinism, uniqueness, the cast, the directory around them,
//! the absence of false impossible travel, and scale (each cast member's scenario is checked in
//! `scenarios`).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use time::Duration;
use time::macros::datetime;

mod scenarios;

use super::*;
use crate::model::{SignIn, ids};

pub(super) const NOW: Timestamp = datetime!(2025-06-18 14:30:00 UTC);

pub(super) fn tenant() -> TenantState {
    contoso(&SeedConfig::default(), NOW)
}

pub(super) fn user<'a>(t: &'a TenantState, local: &str) -> &'a UserRecord {
    let id = cast_user_id(local);
    match t.users.get(&id) {
        Some(u) => u,
        None => panic!("cast member {local} missing"),
    }
}

pub(super) fn sign_ins_of<'a>(t: &'a TenantState, local: &str) -> Vec<&'a SignIn> {
    let id = cast_user_id(local);
    t.sign_ins.iter().filter(|s| s.user_id == id).collect()
}

pub(super) fn km(a: &SignIn, b: &SignIn) -> f64 {
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
    assert_eq!(cast_members().count(), 23);
    assert!(cast_members().all(|local| t.users.contains_key(&cast_user_id(local))));
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
