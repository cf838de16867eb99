//! Group access on the demo tenant: grant and remove (with the already-a-member and not-a-member
//! cases), the dynamic and synced groups Entra does not let anyone change by hand, membership
//! checks and listings.

use keydesk_ops::groups::{
    check_membership, grant_access, list_group_members, list_user_groups, remove_access,
};
use keydesk_ops::{Error, Mode, Outcome, StepStatus};
use keydesk_policy::Action;

use crate::harness::{World, upn};

fn is_member(world: &World, nick: &str, group: &str) -> bool {
    let user_id = world.user_state(nick, |u| u.user.id.clone());
    world.emulator.with_tenant(|t| {
        t.groups
            .values()
            .any(|g| g.group.display_name == group && g.members.contains(&user_id))
    })
}

#[tokio::test]
async fn sarah_is_granted_finance_admins_once() {
    let world = World::start().await;
    let plan = grant_access(&world.ops, "SarahL", "Finance-Admins", &Mode::DryRun)
        .await
        .expect("plan");
    assert_eq!(plan.outcome, Outcome::Planned);
    assert!(plan.steps.iter().all(|s| s.status == StepStatus::Planned));
    assert!(
        !is_member(&world, "SarahL", "Finance-Admins"),
        "a dry run changes nothing"
    );

    let report = grant_access(
        &world.ops,
        "SarahL",
        "Finance-Admins",
        &world.execute(Action::GrantAccess, "SarahL").await,
    )
    .await
    .expect("grant runs");
    assert_eq!(report.action, "grant_access");
    assert_eq!(
        report.target.as_deref(),
        Some(upn("SarahL").to_lowercase().as_str())
    );
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_eq!(report.details["group"]["kind"], "security");
    assert!(!report.verified.is_empty());
    assert!(is_member(&world, "SarahL", "Finance-Admins"));

    let again = grant_access(
        &world.ops,
        "SarahL",
        "Finance-Admins",
        &world.execute(Action::GrantAccess, "SarahL").await,
    )
    .await
    .expect("grant runs");
    assert_eq!(again.outcome, Outcome::NothingToDo, "{again:#?}");
    assert!(again.steps.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn microsoft_365_group_works_too() {
    let world = World::start().await;
    let report = grant_access(
        &world.ops,
        "sarahl@contoso.onmicrosoft.com",
        "Finance-M365",
        &world
            .execute(Action::GrantAccess, "sarahl@contoso.onmicrosoft.com")
            .await,
    )
    .await
    .expect("grant runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_eq!(report.details["group"]["kind"], "microsoft365");
    assert!(is_member(&world, "SarahL", "Finance-M365"));
}

#[tokio::test]
async fn dynamic_and_synced_groups_are_refused() {
    let world = World::start().await;
    // AdeleV is disabled, so the "all enabled users" rule leaves her out.
    let error = grant_access(
        &world.ops,
        "AdeleV",
        "Dynamic-All-Users",
        &world.execute(Action::GrantAccess, "AdeleV").await,
    )
    .await
    .expect_err("dynamic");
    let Error::Refused { reason, guidance } = error else {
        panic!("expected a refusal, got {error:?}");
    };
    assert!(reason.contains("dynamic"), "{reason}");
    assert!(guidance.contains("rule"), "{guidance}");
    assert!(!is_member(&world, "AdeleV", "Dynamic-All-Users"));

    let error = grant_access(
        &world.ops,
        "SarahL",
        "On-Prem-VPN-Users",
        &world.execute(Action::GrantAccess, "SarahL").await,
    )
    .await
    .expect_err("synced");
    let Error::Refused { guidance, .. } = error else {
        panic!("expected a refusal, got {error:?}");
    };
    assert!(guidance.contains("Active Directory"), "{guidance}");
    let error = remove_access(
        &world.ops,
        "GradyA",
        "On-Prem-VPN-Users",
        &world.execute(Action::RemoveAccess, "GradyA").await,
    )
    .await
    .expect_err("synced");
    assert!(matches!(error, Error::Refused { .. }), "{error:?}");
    assert!(is_member(&world, "GradyA", "On-Prem-VPN-Users"));
}

#[tokio::test]
async fn remove_access_then_nothing_to_do() {
    let world = World::start().await;
    let report = remove_access(
        &world.ops,
        "AliceC",
        "Sales Team",
        &world.execute(Action::RemoveAccess, "AliceC").await,
    )
    .await
    .expect("remove runs");
    assert_eq!(report.action, "remove_access");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert!(!is_member(&world, "AliceC", "Sales Team"));
    let again = remove_access(
        &world.ops,
        "AliceC",
        "Sales Team",
        &world.execute(Action::RemoveAccess, "AliceC").await,
    )
    .await
    .expect("remove runs");
    assert_eq!(again.outcome, Outcome::NothingToDo);
    let unknown = remove_access(
        &world.ops,
        "AliceC",
        "No Such Group",
        &world.execute(Action::RemoveAccess, "AliceC").await,
    )
    .await
    .expect_err("no group");
    assert!(
        matches!(unknown, Error::GroupNotFound { .. }),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn membership_checks() {
    let world = World::start().await;
    let yes = check_membership(&world.ops, "LeeG", "IT Support")
        .await
        .expect("check runs");
    assert_eq!(yes.action, "check_membership");
    assert_eq!(yes.details["member"], true);
    assert_eq!(yes.details["direct"], true);
    let no = check_membership(&world.ops, "AliceC", "IT Support")
        .await
        .expect("check runs");
    assert_eq!(no.details["member"], false);
    assert!(no.summary.contains("not a member"), "{}", no.summary);
}

#[tokio::test]
async fn it_support_members() {
    let world = World::start().await;
    let report = list_group_members(&world.ops, "IT Support")
        .await
        .expect("list runs");
    assert_eq!(report.action, "list_group_members");
    let members = report.details["members"].as_array().expect("members");
    let upns: Vec<&str> = members
        .iter()
        .filter_map(|m| m["userPrincipalName"].as_str())
        .collect();
    for nick in ["LeeG", "MeganB", "PattiF"] {
        assert!(
            upns.contains(&upn(nick).to_lowercase().as_str()),
            "{nick} missing: {upns:?}"
        );
    }
    assert!(!upns.contains(&upn("AliceC").to_lowercase().as_str()));
    assert!(
        members.iter().all(|m| m["department"].is_string()),
        "departments are listed"
    );
    assert_eq!(report.details["count"], members.len());
}

#[tokio::test]
async fn alice_groups_with_kinds() {
    let world = World::start().await;
    let report = list_user_groups(&world.ops, "AliceC")
        .await
        .expect("list runs");
    assert_eq!(report.action, "list_user_groups");
    let groups = report.details["groups"].as_array().expect("groups");
    let find = |name: &str| groups.iter().find(|g| g["displayName"] == name);
    assert_eq!(
        find("All-Engineering").expect("All-Engineering")["kind"],
        "microsoft365"
    );
    assert_eq!(find("Sales Team").expect("Sales Team")["direct"], true);
    assert_eq!(
        find("Dynamic-All-Users").expect("dynamic membership")["dynamic"],
        true
    );
    assert!(find("IT Support").is_none());

    let grady = list_user_groups(&world.ops, "GradyA")
        .await
        .expect("list runs");
    let vpn = grady.details["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["displayName"] == "On-Prem-VPN-Users")
        .cloned();
    assert_eq!(vpn.expect("VPN group")["synced"], true);
}
