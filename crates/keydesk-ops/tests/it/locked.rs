//! `list_locked_accounts`: the demo's disabled AdeleV and smart-locked AlexW in Sales.

use keydesk_ops::locked::list_locked_accounts;
use keydesk_ops::{Error, Outcome};

use crate::harness::{World, upn};

#[tokio::test]
async fn sales_shows_adele_disabled_and_alex_locked_out() {
    let world = World::start().await;
    let report = list_locked_accounts(&world.ops, Some("Sales"), 24)
        .await
        .expect("listing runs");
    assert_eq!(report.action, "list_locked_accounts");
    assert_eq!(report.outcome, Outcome::Info);
    let accounts = report.details["accounts"].as_array().expect("accounts");
    let find = |nick: &str| {
        accounts
            .iter()
            .find(|a| a["userPrincipalName"] == upn(nick).to_lowercase())
            .unwrap_or_else(|| panic!("{nick} is listed: {accounts:#?}"))
    };
    let adele = find("AdeleV");
    assert_eq!(adele["reason"], "disabled");
    assert_eq!(adele["accountEnabled"], false);
    assert!(adele["lastEvent"].is_string(), "the disable audit dates it");
    let alex = find("AlexW");
    assert_eq!(alex["reason"], "smart_lockout");
    assert_eq!(alex["accountEnabled"], true);
    assert!(alex["lockoutSignIns"].as_u64().is_some_and(|n| n > 0));
    assert!(alex["lastEvent"].is_string());
    assert_eq!(alex["signedInSince"], false);
    assert!(
        accounts.iter().all(|a| a["department"] == "Sales"),
        "{accounts:#?}"
    );
    assert!(report.summary.contains("in Sales"), "{}", report.summary);
}

#[tokio::test]
async fn other_departments_and_bad_windows() {
    let world = World::start().await;
    let report = list_locked_accounts(&world.ops, Some("Legal"), 24)
        .await
        .expect("listing runs");
    let accounts = report.details["accounts"].as_array().expect("accounts");
    assert!(
        !accounts
            .iter()
            .any(|a| a["userPrincipalName"] == upn("AlexW").to_lowercase())
    );
    let everyone = list_locked_accounts(&world.ops, None, 24)
        .await
        .expect("listing runs");
    assert!(everyone.details["count"].as_u64() >= report.details["count"].as_u64());
    assert!(matches!(
        list_locked_accounts(&world.ops, None, 0).await,
        Err(Error::InvalidInput(_))
    ));
    assert!(matches!(
        list_locked_accounts(&world.ops, None, 10_000).await,
        Err(Error::InvalidInput(_))
    ));
}
