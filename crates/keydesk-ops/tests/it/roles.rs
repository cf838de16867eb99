//! `discover_roles` and the privileged-role check on the demo tenant's role holders.

use keydesk_ops::Outcome;
use keydesk_ops::roles::{discover, discover_roles, privileged_roles_of};
use serde_json::Value;

use crate::harness::{World, upn};

fn members_of(report: &Value, role: &str) -> Vec<String> {
    report["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .find(|r| r["name"] == role)
        .unwrap_or_else(|| panic!("{role} is activated"))["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter_map(|m| m["userPrincipalName"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn roles_and_approvers() {
    let world = World::start().await;
    let report = discover_roles(&world.ops).await.expect("discovery runs");
    assert_eq!(report.action, "discover_roles");
    assert_eq!(report.outcome, Outcome::Info);
    let details = &report.details;
    let ga = members_of(details, "Global Administrator");
    assert!(
        ga.contains(&upn("MeganB").to_lowercase()) && ga.contains(&upn("NestorW").to_lowercase()),
        "{ga:?}"
    );
    assert_eq!(
        members_of(details, "Privileged Authentication Administrator"),
        vec![upn("PattiF").to_lowercase()]
    );
    assert_eq!(
        members_of(details, "Helpdesk Administrator"),
        vec![upn("LeeG").to_lowercase()]
    );
    let roles = details["roles"].as_array().expect("roles");
    assert!(roles.iter().all(|r| r["privileged"].is_boolean()));
    assert_eq!(
        roles
            .iter()
            .find(|r| r["name"] == "Global Administrator")
            .expect("GA")["privileged"],
        true
    );

    let approvers = |kind: &str| -> Vec<String> {
        details["approvers"][kind]
            .as_array()
            .expect("approvers")
            .iter()
            .filter_map(|a| a["userPrincipalName"].as_str().map(str::to_string))
            .collect()
    };
    let mut privileged = approvers("privileged");
    privileged.sort();
    let mut expected: Vec<String> = ["MeganB", "NestorW", "PattiF"]
        .iter()
        .map(|n| upn(n).to_lowercase())
        .collect();
    expected.sort();
    assert_eq!(privileged, expected, "GA and PAA users, never apps");
    assert_eq!(
        approvers("helpdesk"),
        vec![upn("LeeG").to_lowercase()],
        "Helpdesk Administrator and Helpdesk Operators"
    );
    assert!(details["approvers"]["helpdeskGroupId"].is_string());
    assert!(
        report.notes.iter().any(|n| n.contains("keydesk")),
        "apps holding roles are named: {:?}",
        report.notes
    );

    let discovery = discover(&world.ops).await.expect("discovery runs");
    let lee = discovery
        .approvers
        .helpdesk
        .iter()
        .find(|a| a.user_principal_name == upn("LeeG").to_lowercase())
        .expect("LeeG");
    assert_eq!(
        lee.via.len(),
        2,
        "both the role and the group: {:?}",
        lee.via
    );
}

#[tokio::test]
async fn privileged_roles_of_targets() {
    let world = World::start().await;
    let id = |nick: &str| world.user_state(nick, |u| u.user.id.clone());
    assert_eq!(
        privileged_roles_of(&world.ops, &id("NestorW"))
            .await
            .expect("roles"),
        vec!["Global Administrator"]
    );
    assert_eq!(
        privileged_roles_of(&world.ops, &id("PattiF"))
            .await
            .expect("roles"),
        vec![
            "Privileged Authentication Administrator",
            "Security Administrator"
        ]
    );
    assert!(
        privileged_roles_of(&world.ops, &id("AliceC"))
            .await
            .expect("roles")
            .is_empty()
    );
}
