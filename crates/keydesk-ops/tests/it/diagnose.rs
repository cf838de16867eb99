//! `diagnose_signin` on the demo cast: each state is recognised from Graph evidence.

use keydesk_core::diagnosis::CauseKind;
use keydesk_ops::diagnose::diagnose_signin;

use crate::harness::World;

#[tokio::test]
async fn alex_smart_lockout_is_diagnosed_with_its_evidence() {
    let world = World::start().await;
    let (report, _, diagnosis) = diagnose_signin(&world.ops, "AlexW")
        .await
        .expect("diagnosis runs");
    assert_eq!(
        diagnosis.causes[0].kind,
        CauseKind::SmartLockout,
        "{:#?}",
        diagnosis.causes
    );
    let evidence = &diagnosis.causes[0].evidence;
    assert!(
        evidence.iter().filter(|s| s.error_code == 50126).count() >= 10,
        "the 50126 burst is cited"
    );
    assert!(
        evidence.iter().any(|s| s.error_code == 50053),
        "the 50053 lockout is cited"
    );
    let ips: std::collections::BTreeSet<&str> =
        evidence.iter().map(|s| s.ip_address.as_str()).collect();
    assert_eq!(ips.len(), 1, "the burst came from one address: {ips:?}");
    let fix = &report.details["causes"][0]["fix"];
    assert_eq!(fix["action"], "wait_or_reset");
    assert_eq!(
        fix["attackSuspected"], true,
        "an unfamiliar IP is flagged: {fix}"
    );
    assert!(report.details["causes"][0]["evidence"][0]["signInId"].is_string());
}

#[tokio::test]
async fn each_cast_state_has_its_cause() {
    let world = World::start().await;
    for (who, expected) in [
        ("AdeleV", CauseKind::AccountDisabled),
        ("DiegoS", CauseKind::RiskBlocked),
        ("IsaiahL", CauseKind::PasswordExpired),
        ("HenriettaM", CauseKind::MfaNotRegistered),
    ] {
        let (_, _, diagnosis) = diagnose_signin(&world.ops, who)
            .await
            .expect("diagnosis runs");
        let kinds: Vec<CauseKind> = diagnosis.causes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds.first(), Some(&expected), "{who}: {kinds:?}");
    }
    for healthy in ["LidiaH", "ShaneO", "JoniS"] {
        let (_, _, diagnosis) = diagnose_signin(&world.ops, healthy)
            .await
            .expect("diagnosis runs");
        assert!(
            diagnosis.causes.is_empty(),
            "{healthy} should be healthy: {:#?}",
            diagnosis.causes
        );
    }
}

#[tokio::test]
async fn grady_is_marked_synced_and_nestor_privileged() {
    let world = World::start().await;
    let (_, _, grady) = diagnose_signin(&world.ops, "GradyA")
        .await
        .expect("diagnosis runs");
    assert!(grady.synced_from_on_premises);
    let (_, gathered, nestor) = diagnose_signin(&world.ops, "NestorW")
        .await
        .expect("diagnosis runs");
    assert!(nestor.privileged);
    assert!(
        gathered
            .privileged_roles
            .iter()
            .any(|r| r == "Global Administrator"),
        "{:?}",
        gathered.privileged_roles
    );
}
