//! `doctor` for the demo tenant's full "keydesk" app and its "keydesk-readonly" sibling.

use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::apps::KEYDESK_READONLY_APP_ID;
use keydesk_ops::doctor::{ACTION_REQUIREMENTS, doctor};
use keydesk_ops::{Ops, Outcome, Settings};
use serde_json::Value;

use crate::harness::{World, upn};

/// Operations bound to another of the demo tenant's apps.
fn ops_for(world: &World, app_id: &str) -> Ops {
    let secret = world
        .emulator
        .add_client_secret(app_id, time::Duration::hours(1))
        .expect("demo app exists");
    let config = GraphConfig::new(
        world.emulator.tenant_id(),
        app_id,
        Credential::Secret(Secret::new(secret)),
    )
    .and_then(|c| c.with_authority_host(world.running.base_url.parse().expect("url")))
    .and_then(|c| c.with_graph_base(world.running.graph_v1().parse().expect("url")))
    .expect("valid config");
    Ops::new(
        GraphClient::new(config).expect("client builds"),
        Settings::standard(),
        upn("MeganB"),
    )
}

fn action<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["actions"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["action"] == name)
        .unwrap_or_else(|| panic!("{name} is checked"))
}

#[test]
fn the_table_covers_every_action_once() {
    let vocabulary = [
        "diagnose_signin",
        "unlock_account",
        "password_reset",
        "mfa_reset",
        "issue_tap",
        "unblock_signin",
        "revoke_sessions",
        "disable_account",
        "create_user",
        "show_user",
        "search_users",
        "update_user_profile",
        "update_photo",
        "list_locked_accounts",
        "grant_access",
        "remove_access",
        "check_membership",
        "list_group_members",
        "list_user_groups",
        "discover_roles",
        "discover",
        "investigate_compromise",
        "contain_compromise",
    ];
    let actions: Vec<&str> = ACTION_REQUIREMENTS.iter().map(|r| r.action).collect();
    assert_eq!(actions, vocabulary);
    assert!(
        ACTION_REQUIREMENTS
            .iter()
            .all(|r| r.permissions.iter().all(|any| !any.is_empty()))
    );
}

#[tokio::test]
async fn full_app_is_ready() {
    let world = World::start().await;
    let report = doctor(&world.ops).await.expect("doctor runs");
    assert_eq!(report.action, "doctor");
    assert_eq!(report.outcome, Outcome::Info);
    let details = &report.details;
    let roles: Vec<&str> = details["directoryRoles"]
        .as_array()
        .expect("roles read")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert!(
        roles.contains(&"User Administrator")
            && roles.contains(&"Privileged Authentication Administrator"),
        "{roles:?}"
    );
    assert_eq!(details["licences"]["p2"], true);
    assert!(
        details["grant"]["permissions"]
            .as_array()
            .is_some_and(Vec::is_empty),
        "{:#?}",
        details["grant"]
    );
    for check in details["actions"].as_array().expect("actions") {
        assert_ne!(check["readiness"], "blocked", "{check:#?}");
    }
    assert_eq!(
        action(details, "password_reset")["readiness"],
        "ready",
        "{:#?}",
        action(details, "password_reset")
    );
    assert!(report.summary.contains("0 blocked"), "{}", report.summary);
}

#[tokio::test]
async fn readonly_app_is_told_what_to_grant() {
    let world = World::start().await;
    let ops = ops_for(&world, KEYDESK_READONLY_APP_ID);
    let report = doctor(&ops).await.expect("doctor runs");
    let details = &report.details;
    assert_eq!(details["app"]["displayName"], "keydesk-readonly");
    assert_eq!(
        details["directoryRoles"].as_array().map(Vec::len),
        Some(0),
        "no directory role"
    );
    for read in [
        "show_user",
        "search_users",
        "list_group_members",
        "list_user_groups",
        "check_membership",
        "discover_roles",
        "list_locked_accounts",
        "diagnose_signin",
    ] {
        assert_ne!(
            action(details, read)["readiness"],
            "blocked",
            "{read}: {:#?}",
            action(details, read)
        );
    }
    let reset = action(details, "password_reset");
    assert_eq!(reset["readiness"], "blocked");
    assert_eq!(
        reset["grantPermissions"][0],
        "User-PasswordProfile.ReadWrite.All"
    );
    assert_eq!(reset["assignRole"], "User Administrator");
    assert_eq!(
        action(details, "grant_access")["grantPermissions"][0],
        "GroupMember.ReadWrite.All"
    );
    assert_eq!(
        action(details, "issue_tap")["grantPermissions"][0],
        "UserAuthenticationMethod.ReadWrite.All"
    );
    assert_eq!(
        action(details, "unblock_signin")["grantPermissions"][0],
        "IdentityRiskyUser.ReadWrite.All"
    );
    for write in [
        "create_user",
        "update_user_profile",
        "update_photo",
        "remove_access",
        "mfa_reset",
        "disable_account",
        "revoke_sessions",
    ] {
        assert_eq!(action(details, write)["readiness"], "blocked", "{write}");
    }
    let grant: Vec<&str> = details["grant"]["permissions"]
        .as_array()
        .expect("grant")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for needed in [
        "User.ReadWrite.All",
        "GroupMember.ReadWrite.All",
        "UserAuthenticationMethod.ReadWrite.All",
        "IdentityRiskyUser.ReadWrite.All",
    ] {
        assert!(grant.contains(&needed), "{needed} missing from {grant:?}");
    }
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("Grant keydesk's app")),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("User Administrator")),
        "{:?}",
        report.notes
    );
}
