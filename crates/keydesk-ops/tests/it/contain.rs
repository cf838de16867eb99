//! Investigation through the guard and containment of JohannaL: the evidence is preserved and
//! its hash recorded before anything changes, the playbook runs in order, and the resulting
//! state is read back through Graph independently of what the report claims.

use keydesk_graph::model::RiskState;
use keydesk_investigate::{Config, ContainmentAction, Timestamp, VerdictKind, Window};
use keydesk_ops::contain::{ContainOptions, contain};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::investigate::investigate;
use keydesk_ops::{Mode, Outcome};
use keydesk_policy::Action;

use crate::harness::{World, upn};

fn window(world: &World) -> Window {
    Window::last_days(Timestamp::from_datetime(world.emulator.now()), 7)
}

#[tokio::test]
async fn johanna_is_investigated_contained_and_verified() {
    let world = World::start().await;
    let evidence_dir = tempfile::tempdir().expect("temp dir");
    let config = Config::standard();
    let found = investigate(
        &world.ops,
        &world.guard,
        &world.actor,
        "Johanna Lorenz",
        window(&world),
        evidence_dir.path(),
        &config,
    )
    .await
    .expect("investigation runs");
    assert_eq!(
        found.investigation.verdict.verdict,
        VerdictKind::Compromised
    );
    // The snapshot on disk is the one whose hash the audit log holds.
    let bytes = std::fs::read(&found.evidence_ref.path).expect("snapshot exists");
    assert_eq!(
        keydesk_investigate::collect::sha256_hex(&bytes),
        found.evidence_ref.sha256
    );
    let records = world
        .guard
        .audit()
        .for_user(&upn("JohannaL"))
        .await
        .expect("audit readable");
    let evidence_record = records
        .iter()
        .find(|r| r.seq == found.evidence_record)
        .expect("the evidence record");
    assert_eq!(
        evidence_record.event.details["sha256"],
        found.evidence_ref.sha256
    );

    let plan =
        keydesk_investigate::plan_containment(&found.investigation, &found.evidence, &config);
    let method_ids: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.action == ContainmentAction::RemoveAuthMethod)
        .flat_map(|s| s.targets.iter().map(|t| t.id.clone()))
        .collect();
    let grant_ids: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.action == ContainmentAction::RemoveGrant)
        .flat_map(|s| s.targets.iter().map(|t| t.id.clone()))
        .collect();
    let apps: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.action == ContainmentAction::DisableApp)
        .flat_map(|s| s.targets.iter().map(|t| t.id.clone()))
        .collect();
    assert!(!method_ids.is_empty() && !grant_ids.is_empty() && !apps.is_empty());
    let options = ContainOptions {
        delivery: Delivery::Manager,
        tap_lifetime_minutes: config.tap_lifetime_minutes,
        evidence: Some((
            found.evidence_ref.path.clone(),
            found.evidence_ref.sha256.clone(),
        )),
    };

    // A dry run changes nothing.
    let planned = contain(&world.ops, &plan, &options, &Mode::DryRun)
        .await
        .expect("plan");
    assert_eq!(planned.outcome, Outcome::Planned);
    assert_eq!(planned.steps.len(), plan.steps.len());
    let user = world
        .ops
        .graph
        .get_user(&upn("JohannaL"), &["id", "lastPasswordChangeDateTime"])
        .await
        .expect("JohannaL");
    assert_eq!(
        world
            .ops
            .graph
            .grants_for_user(&user.id)
            .await
            .expect("grants")
            .len(),
        1
    );

    // A capability for another action does not reach any write.
    let wrong = world.execute(Action::RevokeSessions, "JohannaL").await;
    assert!(contain(&world.ops, &plan, &options, &wrong).await.is_err());

    let mode = world.execute(Action::ContainCompromise, "JohannaL").await;
    let report = contain(&world.ops, &plan, &options, &mode)
        .await
        .expect("containment runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");

    // Read the state back, independently of the report.
    let graph = &world.ops.graph;
    let methods = graph.list_methods(&user.id).await.expect("methods");
    for id in &method_ids {
        assert!(methods.iter().all(|m| m.id() != id), "method {id} remains");
    }
    assert!(
        methods.iter().any(|m| m.kind() == "temporaryAccessPass"),
        "a TAP for recovery: {methods:?}"
    );
    let grants = graph.grants_for_user(&user.id).await.expect("grants");
    assert!(grants.iter().all(|g| !grant_ids.contains(&g.id)));
    for app in &apps {
        let sp = graph.get_service_principal(app).await.expect("app");
        assert_eq!(sp.account_enabled, Some(false));
    }
    let risky = graph
        .get_risky_user(&user.id)
        .await
        .expect("risky user")
        .expect("JohannaL is a risky user");
    // Confirmed compromised, then remediated by the admin password reset that followed.
    assert!(
        matches!(
            risky.risk_state,
            RiskState::ConfirmedCompromised | RiskState::Remediated
        ),
        "{risky:?}"
    );
    let history = graph.risky_user_history(&user.id).await.expect("history");
    assert!(
        history
            .iter()
            .any(|h| h.risk_state == RiskState::ConfirmedCompromised),
        "{history:?}"
    );
    let after = graph
        .get_user(
            &user.id,
            &[
                "id",
                "lastPasswordChangeDateTime",
                "signInSessionsValidFromDateTime",
            ],
        )
        .await
        .expect("JohannaL");
    assert!(after.last_password_change_date_time > user.last_password_change_date_time);
    assert!(after.sign_in_sessions_valid_from_date_time.is_some());

    // The temporary password and the TAP went to her manager, never to her own mailbox.
    let outbox = world.outbox().await;
    let to = |m: &serde_json::Value| m["to"][0].as_str().unwrap_or("").to_lowercase();
    assert!(
        outbox
            .iter()
            .filter(|m| to(m) == upn("DavidP").to_lowercase())
            .count()
            >= 2
    );
    assert!(
        outbox
            .iter()
            .all(|m| to(m) != upn("JohannaL").to_lowercase())
    );
}

#[tokio::test]
async fn helpdesk_may_not_investigate_and_clean_users_need_no_containment() {
    let world = World::start().await;
    let evidence_dir = tempfile::tempdir().expect("temp dir");
    let config = Config::standard();
    let lee =
        keydesk_ops::guarded::Actor::read(&world.ops, &upn("LeeG"), keydesk_policy::Origin::Cli)
            .await
            .expect("LeeG");
    let refused = investigate(
        &world.ops,
        &world.guard,
        &lee,
        "JohannaL",
        window(&world),
        evidence_dir.path(),
        &config,
    )
    .await
    .expect_err("helpdesk is not a security role");
    assert!(matches!(refused, keydesk_ops::Error::Refused { .. }));
    assert_eq!(
        std::fs::read_dir(evidence_dir.path())
            .map(|d| d.count())
            .unwrap_or(0),
        0,
        "nothing is collected without authorization"
    );

    let found = investigate(
        &world.ops,
        &world.guard,
        &world.actor,
        "SarahL",
        window(&world),
        evidence_dir.path(),
        &config,
    )
    .await
    .expect("investigation runs");
    assert_ne!(
        found.investigation.verdict.verdict,
        VerdictKind::Compromised
    );
    let plan =
        keydesk_investigate::plan_containment(&found.investigation, &found.evidence, &config);
    let options = ContainOptions {
        delivery: Delivery::Manager,
        tap_lifetime_minutes: 60,
        evidence: None,
    };
    let mode = world.execute(Action::ContainCompromise, "SarahL").await;
    let report = contain(&world.ops, &plan, &options, &mode)
        .await
        .expect("runs");
    assert_eq!(report.outcome, Outcome::NothingToDo);
}
