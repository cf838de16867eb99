//! The demo tenant's cast (`demo-tenant.md`), asserted through the Graph API only: each named
//! user's profile, manager and account flags from one table; each scenario (lockout, disabled,
//! risky, expired password, compromise, synced, no MFA, old phone) through the sign-in log,
//! directory audits, Identity Protection and authentication methods, the way a real tenant shows
//! it; then groups and their kinds, directory roles and the apps.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::harness::{Emu, error_code, timestamp, upn};

/// One cast member as `demo-tenant.md` describes them.
struct Member {
    local: &'static str,
    display_name: &'static str,
    department: &'static str,
    job_title: &'static str,
    manager: Option<&'static str>,
    enabled: bool,
    synced: bool,
}

const fn m(
    local: &'static str,
    display_name: &'static str,
    department: &'static str,
    job_title: &'static str,
    manager: Option<&'static str>,
) -> Member {
    Member {
        local,
        display_name,
        department,
        job_title,
        manager,
        enabled: true,
        synced: false,
    }
}

const CAST: &[Member] = &[
    m("MeganB", "Megan Bowen", "IT", "IT Manager", None),
    m("LeeG", "Lee Gu", "IT", "Helpdesk Engineer", Some("MeganB")),
    m(
        "PattiF",
        "Patti Fernandez",
        "IT",
        "Security Lead",
        Some("MeganB"),
    ),
    m("NestorW", "Nestor Wilke", "Operations", "Director", None),
    m("MiriamG", "Miriam Graham", "Sales", "Sales Director", None),
    m(
        "AlexW",
        "Alex Wilber",
        "Sales",
        "Account Executive",
        Some("MiriamG"),
    ),
    Member {
        enabled: false,
        ..m(
            "AdeleV",
            "Adele Vance",
            "Sales",
            "Account Executive",
            Some("MiriamG"),
        )
    },
    m(
        "DiegoS",
        "Diego Siciliani",
        "Sales",
        "Account Executive",
        Some("MiriamG"),
    ),
    m(
        "IsaiahL",
        "Isaiah Langer",
        "Sales",
        "Account Executive",
        Some("MiriamG"),
    ),
    m(
        "ShaneO",
        "Shane O'Brien",
        "Sales",
        "Sales Engineer",
        Some("MiriamG"),
    ),
    m(
        "JohannaL",
        "Johanna Lorenz",
        "R&D",
        "Engineer",
        Some("DavidP"),
    ),
    Member {
        synced: true,
        ..m("GradyA", "Grady Archie", "R&D", "Engineer", Some("DavidP"))
    },
    m(
        "HenriettaM",
        "Henrietta Mueller",
        "R&D",
        "Engineer",
        Some("DavidP"),
    ),
    m("DavidP", "David Park", "R&D", "Engineering Manager", None),
    m("AliceC", "Alice Chen", "R&D", "Engineer", Some("DavidP")),
    m(
        "LidiaH",
        "Lidia Holloway",
        "R&D",
        "Engineer",
        Some("DavidP"),
    ),
    m(
        "john.smith",
        "John Smith",
        "Finance",
        "Accountant",
        Some("IrvinS"),
    ),
    m(
        "jsmith",
        "John Smith",
        "Marketing",
        "Copywriter",
        Some("LynneR"),
    ),
    m(
        "IrvinS",
        "Irvin Sayers",
        "Finance",
        "Finance Director",
        None,
    ),
    m(
        "SarahL",
        "Sarah Lee",
        "Finance",
        "Finance Analyst",
        Some("IrvinS"),
    ),
    m(
        "TomB",
        "Tom Baker",
        "Marketing",
        "Marketing Specialist",
        Some("LynneR"),
    ),
    m(
        "LynneR",
        "Lynne Robbins",
        "Marketing",
        "Marketing Manager",
        None,
    ),
    m("JoniS", "Joni Sherman", "Legal", "Paralegal", None),
];

async fn check(emu: &Emu, member: &Member) {
    let who = member.local;
    let path = format!("/users/{}", upn(who));
    // The default property set leaves out accountEnabled, department and the sync flag.
    let default = emu.get(&path).await.expect(200);
    assert_eq!(default.str("/displayName"), member.display_name, "{who}");
    assert_eq!(default.str("/jobTitle"), member.job_title, "{who}");
    assert!(
        default
            .str("/userPrincipalName")
            .eq_ignore_ascii_case(&upn(who)),
        "{who}"
    );
    for hidden in ["accountEnabled", "department", "onPremisesSyncEnabled"] {
        assert!(
            default.body.get(hidden).is_none(),
            "{who}: {hidden} must need $select"
        );
    }

    let selected = emu
        .get(&format!(
            "{path}?$select=id,accountEnabled,department,onPremisesSyncEnabled"
        ))
        .await
        .expect(200);
    assert_eq!(selected.body["department"], member.department, "{who}");
    assert_eq!(selected.body["accountEnabled"], member.enabled, "{who}");
    let synced = selected.body["onPremisesSyncEnabled"] == Value::Bool(true);
    assert_eq!(
        synced, member.synced,
        "{who}: onPremisesSyncEnabled = {}",
        selected.body["onPremisesSyncEnabled"]
    );

    let manager = emu.get(&format!("{path}/manager")).await;
    match member.manager {
        Some(expected) => {
            let manager = manager.expect(200);
            assert_eq!(
                manager.str("/@odata.type"),
                "#microsoft.graph.user",
                "{who}"
            );
            assert!(
                manager
                    .str("/userPrincipalName")
                    .eq_ignore_ascii_case(&upn(expected)),
                "{who}'s manager: {}",
                manager.text
            );
        }
        None => {
            manager.expect_error(404, "Request_ResourceNotFound");
        }
    }
}

#[tokio::test]
async fn every_cast_member_has_the_documented_profile_manager_and_flags() {
    let emu = Emu::start().await;
    for member in CAST {
        check(&emu, member).await;
    }
}

#[tokio::test]
async fn managers_list_their_direct_reports() {
    let emu = Emu::start().await;
    let expected: &[(&str, &[&str])] = &[
        ("MeganB", &["LeeG", "PattiF"]),
        (
            "MiriamG",
            &["AlexW", "AdeleV", "DiegoS", "IsaiahL", "ShaneO"],
        ),
        (
            "DavidP",
            &["JohannaL", "GradyA", "HenriettaM", "AliceC", "LidiaH"],
        ),
        ("IrvinS", &["john.smith", "SarahL"]),
        ("LynneR", &["TomB", "jsmith"]),
    ];
    for (manager, reports) in expected {
        let response = emu
            .get(&format!("/users/{}/directReports", upn(manager)))
            .await
            .expect(200);
        let found: BTreeSet<String> = response
            .values()
            .iter()
            .filter_map(|u| u["userPrincipalName"].as_str())
            .map(str::to_lowercase)
            .collect();
        for report in *reports {
            assert!(
                found.contains(&upn(report).to_lowercase()),
                "{report} reports to {manager}: {found:?}"
            );
        }
    }
}

/// The sign-ins of a user, oldest first.
async fn history(emu: &Emu, local: &str) -> Vec<Value> {
    let mut sign_ins = emu.sign_ins_of(local).await;
    assert!(!sign_ins.is_empty(), "{local} has sign-ins");
    let newest_first = sign_ins
        .windows(2)
        .all(|w| timestamp(&w[0], "createdDateTime") >= timestamp(&w[1], "createdDateTime"));
    assert!(newest_first, "sign-ins come newest first");
    sign_ins.reverse();
    sign_ins
}

fn hours_ago(emu: &Emu, sign_in: &Value) -> f64 {
    (emu.emulator().now() - timestamp(sign_in, "createdDateTime")).as_seconds_f64() / 3600.0
}

#[tokio::test]
async fn alex_is_enabled_but_locked_out_by_a_burst_from_one_unfamiliar_ip() {
    let emu = Emu::start().await;
    let selected = emu
        .get(&format!("/users/{}?$select=accountEnabled", upn("AlexW")))
        .await
        .expect(200);
    assert_eq!(selected.body["accountEnabled"], true);

    let sign_ins = history(&emu, "AlexW").await;
    let first_lock = sign_ins
        .iter()
        .position(|s| error_code(s) == 50053)
        .expect("a 50053 sign-in");
    let locked = &sign_ins[first_lock];
    let ip = locked["ipAddress"].as_str().expect("ip");
    assert!(hours_ago(&emu, locked) < 24.0, "the lockout is recent");
    // Right before the lock: a run of bad passwords, all from the same address.
    let burst: Vec<&Value> = sign_ins[..first_lock]
        .iter()
        .rev()
        .take_while(|s| error_code(s) == 50126)
        .collect();
    assert!(
        burst.len() >= 10,
        "at least the lockout threshold of 50126 failures before 50053, got {}",
        burst.len()
    );
    assert!(
        burst.iter().all(|s| s["ipAddress"] == ip),
        "the burst comes from one IP"
    );
    // Everything after the lock is still locked, from the same place.
    assert!(
        sign_ins[first_lock..]
            .iter()
            .all(|s| error_code(s) == 50053 && s["ipAddress"] == ip)
    );
    // The attacker's address is not one he ever signed in from successfully.
    assert!(
        sign_ins
            .iter()
            .filter(|s| error_code(s) == 0)
            .all(|s| s["ipAddress"] != ip),
        "{ip} is unfamiliar"
    );
    assert!(
        sign_ins.iter().any(|s| error_code(s) == 0),
        "he has an ordinary history"
    );
}

#[tokio::test]
async fn adele_was_disabled_by_an_admin_and_her_sign_ins_fail_50057() {
    let emu = Emu::start().await;
    let id = emu.user_id("AdeleV").await;
    let selected = emu
        .get(&format!("/users/{id}?$select=accountEnabled"))
        .await
        .expect(200);
    assert_eq!(selected.body["accountEnabled"], false);

    let filter = format!(
        "activityDisplayName eq 'Disable account' and targetResources/any(t: t/id eq '{id}')"
    );
    let audits = emu
        .all("/auditLogs/directoryAudits", &[("$filter", &filter)], &[])
        .await;
    assert_eq!(
        audits.len(),
        1,
        "one Disable account audit for Adele: {audits:?}"
    );
    let audit = &audits[0];
    assert_eq!(audit["result"], "success");
    assert_eq!(audit["loggedByService"], "Core Directory");
    let admin = audit
        .pointer("/initiatedBy/user/userPrincipalName")
        .and_then(Value::as_str)
        .expect("an admin did it");
    assert!(
        admin.eq_ignore_ascii_case(&upn("MeganB")),
        "initiated by {admin}"
    );
    let change = audit["targetResources"][0]["modifiedProperties"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["displayName"] == "AccountEnabled"))
        .expect("AccountEnabled change");
    assert_eq!(change["oldValue"], "[true]");
    assert_eq!(change["newValue"], "[false]");

    let disabled_at = timestamp(audit, "activityDateTime");
    let sign_ins = history(&emu, "AdeleV").await;
    let after: Vec<&Value> = sign_ins
        .iter()
        .filter(|s| timestamp(s, "createdDateTime") > disabled_at)
        .collect();
    assert!(!after.is_empty(), "she kept trying after being disabled");
    assert!(
        after.iter().all(|s| error_code(s) == 50057),
        "every sign-in after the disable fails 50057"
    );
}

#[tokio::test]
async fn diego_is_high_risk_with_leaked_credentials_and_blocked_by_risk_policy() {
    let emu = Emu::start().await;
    let id = emu.user_id("DiegoS").await;
    let risky = emu
        .get(&format!("/identityProtection/riskyUsers/{id}"))
        .await
        .expect(200);
    assert_eq!(risky.str("/id"), id, "riskyUser ids are user ids");
    assert_eq!(risky.str("/riskLevel"), "high");
    assert_eq!(risky.str("/riskState"), "atRisk");

    let filter = format!("userId eq '{id}'");
    let detections = emu
        .all(
            "/identityProtection/riskDetections",
            &[("$filter", &filter)],
            &[],
        )
        .await;
    assert!(
        detections
            .iter()
            .any(|d| d["riskEventType"] == "leakedCredentials" && d["riskState"] == "atRisk"),
        "a leakedCredentials detection: {detections:?}"
    );

    let sign_ins = history(&emu, "DiegoS").await;
    let blocked: Vec<&Value> = sign_ins
        .iter()
        .filter(|s| matches!(error_code(s), 53004 | 530032))
        .collect();
    assert!(!blocked.is_empty(), "sign-ins blocked by the risk policy");
    assert!(
        blocked
            .iter()
            .all(|s| s["riskLevelAggregated"] == "high" || s["riskLevelDuringSignIn"] == "high")
    );
    let newest = sign_ins.last().expect("a sign-in");
    assert!(
        matches!(error_code(newest), 53004 | 530032),
        "he is still blocked now"
    );
}

#[tokio::test]
async fn isaiah_has_an_expired_password() {
    let emu = Emu::start().await;
    let sign_ins = history(&emu, "IsaiahL").await;
    let expired: Vec<&Value> = sign_ins.iter().filter(|s| error_code(s) == 50055).collect();
    assert!(!expired.is_empty(), "50055 sign-ins");
    assert!(
        expired.iter().any(|s| hours_ago(&emu, s) < 72.0),
        "recent 50055 sign-ins"
    );
}

#[tokio::test]
async fn shane_is_found_by_a_name_with_an_apostrophe() {
    let emu = Emu::start().await;
    let response = emu
        .get_with(
            "/users",
            &[("$filter", "displayName eq 'Shane O''Brien'")],
            &[],
        )
        .await
        .expect(200);
    let values = response.values();
    assert_eq!(values.len(), 1, "{}", response.text);
    assert!(
        values[0]["userPrincipalName"]
            .as_str()
            .unwrap_or("")
            .eq_ignore_ascii_case(&upn("ShaneO"))
    );
}

#[tokio::test]
async fn two_john_smiths_share_a_display_name() {
    let emu = Emu::start().await;
    let response = emu
        .get_with(
            "/users",
            &[
                ("$filter", "displayName eq 'John Smith'"),
                ("$select", "userPrincipalName,department"),
            ],
            &[],
        )
        .await
        .expect(200);
    let mut found: Vec<(String, String)> = response
        .values()
        .iter()
        .map(|u| {
            (
                u["userPrincipalName"].as_str().unwrap_or("").to_lowercase(),
                u["department"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            (upn("john.smith").to_lowercase(), "Finance".to_string()),
            (upn("jsmith").to_lowercase(), "Marketing".to_string())
        ]
    );
}

/// Great-circle distance in km.
fn distance_km(a: &Value, b: &Value) -> f64 {
    let coordinate = |s: &Value, name: &str| {
        s.pointer(&format!("/location/geoCoordinates/{name}"))
            .and_then(Value::as_f64)
            .expect("geo coordinates")
    };
    let (lat1, lon1) = (
        coordinate(a, "latitude").to_radians(),
        coordinate(a, "longitude").to_radians(),
    );
    let (lat2, lon2) = (
        coordinate(b, "latitude").to_radians(),
        coordinate(b, "longitude").to_radians(),
    );
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[tokio::test]
async fn johanna_shows_every_sign_of_a_compromise() {
    let emu = Emu::start().await;
    let id = emu.user_id("JohannaL").await;
    let sign_ins = history(&emu, "JohannaL").await;

    // MFA fatigue: a burst of 500121 denials from one address, then a success from it.
    let denials: Vec<(usize, &Value)> = sign_ins
        .iter()
        .enumerate()
        .filter(|(_, s)| error_code(s) == 500121)
        .collect();
    assert!(
        denials.len() >= 3,
        "an MFA-denial burst, got {}",
        denials.len()
    );
    let attacker_ip = denials[0].1["ipAddress"].as_str().expect("ip").to_string();
    assert!(
        denials
            .iter()
            .all(|(_, s)| s["ipAddress"] == attacker_ip.as_str()),
        "the denials come from one place"
    );
    let last_denial = denials.last().expect("a denial").0;
    let breach_index = sign_ins[last_denial..]
        .iter()
        .position(|s| error_code(s) == 0 && s["ipAddress"] == attacker_ip.as_str())
        .map(|i| i + last_denial)
        .expect("a success from the attacker's address after the denials");
    let breach = &sign_ins[breach_index];

    // Impossible travel: her own success shortly before, from far away.
    let first_denial = denials[0].0;
    let own = sign_ins[..first_denial]
        .iter()
        .rev()
        .find(|s| error_code(s) == 0)
        .expect("her own sign-in before the attack");
    let gap = (timestamp(breach, "createdDateTime") - timestamp(own, "createdDateTime"))
        .as_seconds_f64()
        / 60.0;
    assert!(gap <= 60.0, "within the hour: {gap} minutes");
    assert_ne!(
        own["location"]["countryOrRegion"], breach["location"]["countryOrRegion"],
        "another country"
    );
    let km = distance_km(own, breach);
    assert!(km > 2000.0, "impossible travel needs distance: {km} km");

    // A new, unmanaged device.
    assert_ne!(breach["deviceDetail"]["isManaged"], true);
    let device = |s: &Value| {
        (
            s["deviceDetail"]["operatingSystem"].clone(),
            s["deviceDetail"]["browser"].clone(),
        )
    };
    assert!(
        sign_ins[..first_denial]
            .iter()
            .all(|s| device(s) != device(breach)),
        "the attacker's device {:?} was never seen before",
        device(breach)
    );

    // A phone method registered by the attacker, logged as "User registered security info" from the attacker's IP.
    let phones = emu
        .get(&format!("/users/{id}/authentication/phoneMethods"))
        .await
        .expect(200);
    let mobile = emu
        .get(&format!("/users/{id}?$select=mobilePhone"))
        .await
        .expect(200);
    let own_country = mobile
        .str("/mobilePhone")
        .split(' ')
        .next()
        .expect("country code")
        .to_string();
    assert!(
        phones.values().iter().any(|p| p["phoneNumber"]
            .as_str()
            .is_some_and(|n| !n.starts_with(&format!("{own_country} ")))),
        "a phone method in another country than her own mobile {own_country}: {}",
        phones.text
    );
    let filter = format!(
        "activityDisplayName eq 'User registered security info' and targetResources/any(t: t/id eq '{id}')"
    );
    let audits = emu
        .all("/auditLogs/directoryAudits", &[("$filter", &filter)], &[])
        .await;
    let registered = audits
        .iter()
        .find(|a| {
            a.pointer("/initiatedBy/user/ipAddress") == Some(&Value::String(attacker_ip.clone()))
        })
        .unwrap_or_else(|| panic!("a security-info registration from {attacker_ip}: {audits:?}"));
    assert_eq!(registered["loggedByService"], "Authentication Methods");
    assert!(timestamp(registered, "activityDateTime") > timestamp(breach, "createdDateTime"));

    // The illicit grant to Mail Helper Pro, an app with no verified publisher.
    let grants = emu
        .get(&format!("/users/{id}/oauth2PermissionGrants"))
        .await
        .expect(200);
    let sps = emu
        .get_with(
            "/servicePrincipals",
            &[("$filter", "displayName eq 'Mail Helper Pro'")],
            &[],
        )
        .await
        .expect(200);
    assert_eq!(sps.values().len(), 1);
    let sp = &sps.values()[0];
    let sp_id = sp["id"].as_str().expect("sp id");
    let grant = grants
        .values()
        .iter()
        .find(|g| g["clientId"] == sp_id)
        .expect("a grant to Mail Helper Pro");
    assert_eq!(grant["consentType"], "Principal");
    assert_eq!(grant["principalId"], id.as_str());
    let scopes: BTreeSet<&str> = grant["scope"].as_str().unwrap_or("").split(' ').collect();
    for scope in ["Mail.ReadWrite", "Mail.Send", "offline_access"] {
        assert!(scopes.contains(scope), "{scope} in {scopes:?}");
    }
    assert!(
        sp["verifiedPublisher"]["verifiedPublisherId"].is_null(),
        "unverified publisher: {sp}"
    );
    let owner = sp["appOwnerOrganizationId"].as_str().unwrap_or("");
    assert_ne!(owner, emu.tenant_id(), "a third-party app");
    assert_ne!(
        owner, "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
        "not Microsoft's"
    );

    // Identity Protection saw it too.
    let risky = emu
        .get(&format!("/identityProtection/riskyUsers/{id}"))
        .await
        .expect(200);
    assert_eq!(risky.str("/riskState"), "atRisk");
    let detections = emu
        .all(
            "/identityProtection/riskDetections",
            &[("$filter", &format!("userId eq '{id}'"))],
            &[],
        )
        .await;
    assert!(
        detections
            .iter()
            .any(|d| d["riskEventType"] == "unlikelyTravel"),
        "{detections:?}"
    );
}

#[tokio::test]
async fn mail_helper_pro_was_added_days_ago() {
    let emu = Emu::start().await;
    let filter = "activityDisplayName eq 'Add service principal'";
    let audits = emu
        .all("/auditLogs/directoryAudits", &[("$filter", filter)], &[])
        .await;
    let added = audits
        .iter()
        .find(|a| {
            a["targetResources"]
                .as_array()
                .is_some_and(|t| t.iter().any(|t| t["displayName"] == "Mail Helper Pro"))
        })
        .expect("an Add service principal audit for Mail Helper Pro");
    let days =
        (emu.emulator().now() - timestamp(added, "activityDateTime")).as_seconds_f64() / 86_400.0;
    assert!((1.0..=14.0).contains(&days), "added {days} days ago");
}

#[tokio::test]
async fn grady_is_synced_from_on_premises() {
    let emu = Emu::start().await;
    let response = emu
        .get(&format!("/users/{}?$select=onPremisesSyncEnabled,onPremisesImmutableId,onPremisesSamAccountName", upn("GradyA")))
        .await
        .expect(200);
    assert_eq!(response.body["onPremisesSyncEnabled"], true);
    assert!(response.body["onPremisesImmutableId"].is_string());
    assert!(response.body["onPremisesSamAccountName"].is_string());
}

#[tokio::test]
async fn henrietta_has_no_mfa_method_and_fails_50079() {
    let emu = Emu::start().await;
    let methods = emu
        .get(&format!(
            "/users/{}/authentication/methods",
            upn("HenriettaM")
        ))
        .await
        .expect(200);
    let types: Vec<&str> = methods
        .values()
        .iter()
        .filter_map(|m| m["@odata.type"].as_str())
        .collect();
    assert_eq!(
        types,
        vec!["#microsoft.graph.passwordAuthenticationMethod"],
        "only the password"
    );
    let sign_ins = history(&emu, "HenriettaM").await;
    assert!(sign_ins.iter().any(|s| error_code(s) == 50079));
    assert!(
        sign_ins.iter().all(|s| error_code(s) != 0),
        "she never got in"
    );
}

#[tokio::test]
async fn tom_has_an_authenticator_and_a_phone_on_an_old_phone() {
    let emu = Emu::start().await;
    let path = format!("/users/{}/authentication", upn("TomB"));
    let authenticators = emu
        .get(&format!("{path}/microsoftAuthenticatorMethods"))
        .await
        .expect(200);
    assert_eq!(authenticators.values().len(), 1, "{}", authenticators.text);
    let app = &authenticators.values()[0];
    let age_days = (emu.emulator().now() - timestamp(app, "createdDateTime")).whole_days();
    assert!(age_days > 365, "registered long ago ({age_days} days)");
    let phones = emu.get(&format!("{path}/phoneMethods")).await.expect(200);
    assert_eq!(phones.values().len(), 1, "{}", phones.text);
    assert_eq!(phones.values()[0]["phoneType"], "mobile");
    let all = emu.get(&format!("{path}/methods")).await.expect(200);
    assert_eq!(
        all.values().len(),
        3,
        "password, authenticator and phone: {}",
        all.text
    );
}

/// Members of a group as lower-case UPNs.
async fn members(emu: &Emu, group_id: &str, kind: &str) -> BTreeSet<String> {
    emu.all(&format!("/groups/{group_id}/{kind}"), &[], &[])
        .await
        .iter()
        .filter_map(|m| m["userPrincipalName"].as_str())
        .map(str::to_lowercase)
        .collect()
}

#[derive(Debug, PartialEq)]
enum Kind {
    Security,
    Unified,
    Dynamic,
    Synced,
}

#[tokio::test]
async fn groups_have_their_kinds_members_and_owners() {
    let emu = Emu::start().await;
    let table: &[(&str, Kind, &[&str], &[&str])] = &[
        (
            "IT Support",
            Kind::Security,
            &["LeeG", "MeganB", "PattiF"],
            &["AliceC"],
        ),
        ("Helpdesk Operators", Kind::Security, &["LeeG"], &[]),
        (
            "Finance-Admins",
            Kind::Security,
            &["john.smith"],
            &["SarahL"],
        ),
        ("Finance-M365", Kind::Unified, &["john.smith"], &["SarahL"]),
        (
            "All-Engineering",
            Kind::Unified,
            &["JohannaL", "GradyA", "HenriettaM", "AliceC", "LidiaH"],
            &[],
        ),
        (
            "Sales Team",
            Kind::Unified,
            &[
                "MiriamG", "AlexW", "AdeleV", "DiegoS", "IsaiahL", "ShaneO", "AliceC",
            ],
            &[],
        ),
        ("Dynamic-All-Users", Kind::Dynamic, &[], &[]),
        ("On-Prem-VPN-Users", Kind::Synced, &[], &[]),
    ];
    for (name, kind, present, absent) in table {
        let id = emu.group_id(name).await;
        let group = emu.get(&format!("/groups/{id}")).await.expect(200);
        let types: Vec<&str> = group.body["groupTypes"]
            .as_array()
            .expect("groupTypes")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let found = if types.contains(&"DynamicMembership") {
            Kind::Dynamic
        } else if types.contains(&"Unified") {
            Kind::Unified
        } else if group.body["onPremisesSyncEnabled"] == true {
            Kind::Synced
        } else {
            Kind::Security
        };
        assert_eq!(&found, kind, "{name}: {}", group.text);
        match kind {
            Kind::Unified => assert_eq!(group.body["mailEnabled"], true, "{name}"),
            _ => assert_eq!(group.body["securityEnabled"], true, "{name}"),
        }
        if *kind == Kind::Dynamic {
            assert!(
                group.body["membershipRule"].is_string(),
                "{name} has a membership rule"
            );
        }
        let listed = members(&emu, &id, "members").await;
        for local in *present {
            assert!(
                listed.contains(&upn(local).to_lowercase()),
                "{local} in {name}"
            );
        }
        for local in *absent {
            assert!(
                !listed.contains(&upn(local).to_lowercase()),
                "{local} not in {name}"
            );
        }
    }
    // All-Engineering is a Team owned by DavidP.
    let engineering = emu.group_id("All-Engineering").await;
    let group = emu.get(&format!("/groups/{engineering}")).await.expect(200);
    assert!(
        group.body["resourceProvisioningOptions"]
            .as_array()
            .is_some_and(|o| o.iter().any(|o| o == "Team"))
    );
    assert!(
        members(&emu, &engineering, "owners")
            .await
            .contains(&upn("DavidP").to_lowercase())
    );
}

#[tokio::test]
async fn alice_belongs_to_several_groups_but_not_it_support() {
    let emu = Emu::start().await;
    let response = emu
        .get(&format!("/users/{}/memberOf", upn("AliceC")))
        .await
        .expect(200);
    let names: BTreeSet<&str> = response
        .values()
        .iter()
        .filter(|g| g["@odata.type"] == "#microsoft.graph.group")
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    assert!(
        names.contains("All-Engineering") && names.contains("Sales Team"),
        "{names:?}"
    );
    assert!(!names.contains("IT Support"), "{names:?}");
    let lee = emu
        .get(&format!(
            "/users/{}/memberOf/microsoft.graph.group",
            upn("LeeG")
        ))
        .await
        .expect(200);
    let lee_groups: BTreeSet<&str> = lee
        .values()
        .iter()
        .filter_map(|g| g["displayName"].as_str())
        .collect();
    assert!(
        lee_groups.contains("IT Support") && lee_groups.contains("Helpdesk Operators"),
        "{lee_groups:?}"
    );
}

#[tokio::test]
async fn directory_roles_are_held_by_the_documented_people() {
    let emu = Emu::start().await;
    let table: &[(&str, &str, &[&str])] = &[
        (
            "Global Administrator",
            "62e90394-69f5-4237-9190-012177145e10",
            &["MeganB", "NestorW"],
        ),
        (
            "Privileged Authentication Administrator",
            "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
            &["PattiF"],
        ),
        (
            "Helpdesk Administrator",
            "729827e3-9c14-49f7-bb1b-9608f156bbb8",
            &["LeeG"],
        ),
        (
            "User Administrator",
            "fe930be7-5e62-47db-91af-98c3a49a38b1",
            &[],
        ),
        (
            "Security Administrator",
            "194ae4cb-b126-40b2-bd5b-6091b380977d",
            &["PattiF"],
        ),
    ];
    let roles = emu.get("/directoryRoles").await.expect(200);
    for (name, template, holders) in table {
        let role = roles
            .values()
            .iter()
            .find(|r| r["displayName"] == *name)
            .unwrap_or_else(|| panic!("{name} is activated: {}", roles.text));
        assert_eq!(role["roleTemplateId"], *template, "{name}");
        assert_ne!(
            role["id"], *template,
            "{name}: directoryRole ids are tenant-specific"
        );
        let members = emu
            .get(&format!(
                "/directoryRoles/{}/members",
                role["id"].as_str().expect("id")
            ))
            .await
            .expect(200);
        let users: BTreeSet<String> = members
            .values()
            .iter()
            .filter(|m| m["@odata.type"] == "#microsoft.graph.user")
            .filter_map(|m| m["userPrincipalName"].as_str())
            .map(str::to_lowercase)
            .collect();
        let expected: BTreeSet<String> = holders.iter().map(|l| upn(l).to_lowercase()).collect();
        assert_eq!(users, expected, "users holding {name}");
        // The same role by template id.
        let by_template = emu
            .get(&format!(
                "/directoryRoles(roleTemplateId='{template}')/members"
            ))
            .await
            .expect(200);
        assert_eq!(by_template.values().len(), members.values().len(), "{name}");
    }
    // keydesk's apps hold roles through their service principals.
    let user_admin = emu
        .get("/directoryRoles(roleTemplateId='fe930be7-5e62-47db-91af-98c3a49a38b1')/members")
        .await
        .expect(200);
    let apps: BTreeSet<&str> = user_admin
        .values()
        .iter()
        .filter_map(|m| m["appId"].as_str())
        .collect();
    assert!(
        apps.contains(crate::harness::LIMITED),
        "keydesk-limited is a User Administrator: {apps:?}"
    );
    let pra = emu
        .get("/directoryRoles(roleTemplateId='7be44c8a-adaf-4e2a-84d6-ab2649e08a13')/members")
        .await
        .expect(200);
    assert!(
        pra.values()
            .iter()
            .any(|m| m["appId"] == crate::harness::KEYDESK),
        "keydesk is a Privileged Authentication Administrator"
    );
}

#[tokio::test]
async fn role_assignments_and_definitions_agree_with_directory_roles() {
    let emu = Emu::start().await;
    let megan = emu.user_id("MeganB").await;
    let filter = format!("principalId eq '{megan}'");
    let assignments = emu
        .get_with(
            "/roleManagement/directory/roleAssignments",
            &[("$filter", &filter)],
            &[],
        )
        .await
        .expect(200);
    assert!(
        assignments.values().iter().any(|a| a["roleDefinitionId"]
            == "62e90394-69f5-4237-9190-012177145e10"
            && a["directoryScopeId"] == "/"),
        "{}",
        assignments.text
    );
    // isPrivileged is a beta property of unifiedRoleDefinition; v1.0 does not have it.
    let v1 = emu
        .get("/roleManagement/directory/roleDefinitions")
        .await
        .expect(200);
    assert!(
        v1.values().iter().all(|d| d.get("isPrivileged").is_none()),
        "v1.0 has no isPrivileged"
    );
    let definitions = emu
        .beta()
        .get("/roleManagement/directory/roleDefinitions")
        .await
        .expect(200);
    let privileged = |template: &str| {
        definitions
            .values()
            .iter()
            .find(|d| d["templateId"] == template)
            .map(|d| d["isPrivileged"].clone())
            .unwrap_or_else(|| panic!("definition {template}"))
    };
    assert_eq!(privileged("62e90394-69f5-4237-9190-012177145e10"), true);
    assert_eq!(privileged("729827e3-9c14-49f7-bb1b-9608f156bbb8"), true);
    assert_eq!(
        privileged("fdd7a751-b60b-444a-984c-02652fe8fa1c"),
        false,
        "Groups Administrator"
    );
    assert_eq!(
        privileged("88d8e3e3-8f55-4a1e-953a-9b9898b8876b"),
        false,
        "Directory Readers"
    );
}

#[tokio::test]
async fn apps_include_contoso_expenses_and_microsofts_first_party_apps() {
    let emu = Emu::start().await;
    let expenses = emu
        .get_with(
            "/servicePrincipals",
            &[("$filter", "displayName eq 'Contoso Expenses'")],
            &[],
        )
        .await
        .expect(200);
    assert_eq!(expenses.values().len(), 1);
    let expenses = &expenses.values()[0];
    assert!(
        expenses["verifiedPublisher"]["verifiedPublisherId"].is_string(),
        "verified publisher: {expenses}"
    );
    let filter = format!("clientId eq '{}'", expenses["id"].as_str().expect("id"));
    let grants = emu
        .get_with("/oauth2PermissionGrants", &[("$filter", &filter)], &[])
        .await
        .expect(200);
    let principals: BTreeSet<&str> = grants
        .values()
        .iter()
        .filter_map(|g| g["principalId"].as_str())
        .collect();
    assert!(
        principals.len() >= 2,
        "benign grants to several users: {}",
        grants.text
    );
    for grant in grants.values() {
        let scope = grant["scope"].as_str().unwrap_or("");
        assert!(!scope.contains("Mail."), "benign: {scope}");
    }
    for name in [
        "Office 365 Exchange Online",
        "Microsoft Teams",
        "Office 365 SharePoint Online",
        "OfficeHome",
        "Azure Portal",
    ] {
        let sp = emu
            .get_with(
                "/servicePrincipals",
                &[("$filter", &format!("displayName eq '{name}'"))],
                &[],
            )
            .await
            .expect(200);
        assert_eq!(sp.values().len(), 1, "{name}");
        assert_eq!(
            sp.values()[0]["appOwnerOrganizationId"],
            "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
            "{name} is Microsoft's"
        );
        let seen = emu
            .get_with(
                "/auditLogs/signIns",
                &[
                    ("$filter", &format!("appDisplayName eq '{name}'")),
                    ("$top", "1"),
                ],
                &[],
            )
            .await
            .expect(200);
        assert_eq!(seen.values().len(), 1, "{name} appears in the sign-in log");
    }
}
