//! `unlock_account` on the demo cast, single and bulk.

use keydesk_ops::credentials::PasswordResetOptions;
use keydesk_ops::delivery::Delivery;
use keydesk_ops::unlock::{Quiet, UnlockOptions, bulk_unlock, unlock_account};
use keydesk_ops::{Error, Mode, Outcome};
use keydesk_policy::Action;

use crate::harness::{World, upn};

fn to_manager() -> UnlockOptions {
    UnlockOptions {
        delivery: Delivery::Manager,
    }
}

#[tokio::test]
async fn adele_is_re_enabled_and_verified() {
    let world = World::start().await;
    let report = unlock_account(
        &world.ops,
        "AdeleV",
        &to_manager(),
        &world.execute(Action::UnlockAccount, "AdeleV").await,
    )
    .await
    .expect("unlock runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert!(
        report
            .verified
            .iter()
            .any(|v| v.contains("accountEnabled is true"))
    );
    assert!(world.user_state("AdeleV", |u| u.user.account_enabled));
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let world = World::start().await;
    let report = unlock_account(&world.ops, "AdeleV", &to_manager(), &Mode::DryRun)
        .await
        .expect("plan runs");
    assert_eq!(report.outcome, Outcome::Planned);
    assert!(
        !world.user_state("AdeleV", |u| u.user.account_enabled),
        "a dry run must not enable"
    );
}

#[tokio::test]
async fn isaiah_expired_password_is_reset_and_mailed_to_his_manager() {
    let world = World::start().await;
    let before = world.user_state("IsaiahL", |u| u.password_hash.clone());
    let report = unlock_account(
        &world.ops,
        "IsaiahL",
        &to_manager(),
        &world.execute(Action::UnlockAccount, "IsaiahL").await,
    )
    .await
    .expect("unlock runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_ne!(
        world.user_state("IsaiahL", |u| u.password_hash.clone()),
        before
    );
    let mail = world.outbox().await;
    assert!(
        mail.iter().any(|m| m["to"][0]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(&upn("MiriamG")))),
        "{mail:#?}"
    );
}

#[tokio::test]
async fn henrietta_gets_a_tap() {
    let world = World::start().await;
    let report = unlock_account(
        &world.ops,
        "HenriettaM",
        &UnlockOptions {
            delivery: Delivery::Reveal,
        },
        &world.execute(Action::UnlockAccount, "HenriettaM").await,
    )
    .await
    .expect("unlock runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert!(
        report.reveal.is_some(),
        "the TAP is shown once to the operator"
    );
    assert!(world.user_state("HenriettaM", |u| {
        u.methods
            .iter()
            .any(|m| m.collection() == "temporaryAccessPassMethods")
    }));
}

#[tokio::test]
async fn alex_lockout_is_explained_not_changed() {
    let world = World::start().await;
    let report = unlock_account(
        &world.ops,
        "AlexW",
        &to_manager(),
        &world.execute(Action::UnlockAccount, "AlexW").await,
    )
    .await
    .expect("unlock runs");
    assert_eq!(report.outcome, Outcome::NothingToDo, "{report:#?}");
    assert!(
        report.notes.iter().any(|n| n.contains("Possible attack")),
        "{:?}",
        report.notes
    );
    assert!(
        report
            .steps
            .iter()
            .any(|s| s.detail.contains("no unlock API"))
    );
}

#[tokio::test]
async fn grady_is_refused_with_on_premises_guidance() {
    let world = World::start().await;
    // Make Grady's problem one only AD can fix: an expired password shows as 50055 sign-ins.
    let error = keydesk_ops::credentials::password_reset(
        &world.ops,
        "GradyA",
        &PasswordResetOptions {
            delivery: Delivery::Reveal,
            revoke_sessions: false,
        },
        &world.execute(Action::PasswordReset, "GradyA").await,
    )
    .await
    .expect_err("a synced user's password cannot be reset in Entra");
    let Error::Refused { reason, guidance } = error else {
        panic!("expected a refusal, got {error:?}")
    };
    assert!(reason.contains("on-premises"), "{reason}");
    assert!(guidance.contains("Active Directory"), "{guidance}");
}

#[tokio::test]
async fn bulk_unlock_enables_each_disabled_user_once() {
    let world = World::start().await;
    let disabled: Vec<String> = world.emulator.with_tenant(|t| {
        t.users
            .values()
            .filter(|u| !u.user.account_enabled && u.user.on_premises_sync_enabled != Some(true))
            .map(|u| u.user.user_principal_name.clone())
            .collect()
    });
    assert!(!disabled.is_empty());
    let mut inputs = disabled.clone();
    inputs.push(upn("LidiaH"));
    let report = bulk_unlock(
        &world.ops,
        &inputs,
        &to_manager(),
        Some(&world.bulk(&inputs).await),
        &Quiet,
    )
    .await
    .expect("bulk runs");
    assert_eq!(report.enabled, disabled.len(), "{report:#?}");
    assert_eq!(report.failed, 0);
    for who in &disabled {
        assert!(
            world
                .emulator
                .with_tenant(|t| t.user(who).map(|u| u.user.account_enabled).unwrap_or(false)),
            "{who}"
        );
    }
    // Each user was written once: one "Enable account" audit per user.
    let enables = world.emulator.with_tenant(|t| {
        t.directory_audits
            .iter()
            .filter(|a| a.activity_display_name == "Enable account")
            .count()
    });
    assert_eq!(enables, disabled.len());
}

/// The client survives a throttled, faulty, slow emulator: 10,000 disabled users, 5% injected
/// 503s, 5% synthetic 429 storms, real write and RU budgets (windows compressed 100x), latency.
/// Every user ends enabled and verified, and each is written exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_unlock_of_ten_thousand_survives_faults_and_throttling() {
    use keydesk_graph_emu::{SeedConfig, SimulationConfig, ThrottleConfig};
    const USERS: usize = 10_000;
    let world = World::start_with(
        SeedConfig {
            background_users: USERS + 300,
            ..SeedConfig::default()
        },
        SimulationConfig::default(),
    )
    .await;
    // Disable 10,000 cloud users through the emulator's state import (the tenant "as found").
    let mut state = world.emulator.export();
    let mut targets = Vec::new();
    for record in state.users.values_mut().skip(40) {
        if targets.len() == USERS {
            break;
        }
        if record.user.on_premises_sync_enabled != Some(true) {
            record.user.account_enabled = false;
            targets.push(record.user.user_principal_name.clone());
        }
    }
    let audits_before = state.directory_audits.len();
    let http = reqwest::Client::new();
    let imported = http
        .put(format!("{}/_emulator/state", world.running.base_url))
        .json(&state)
        .send()
        .await
        .expect("import");
    assert!(imported.status().is_success());
    let simulation = SimulationConfig {
        latency_ms: 2,
        error_rate: 0.05,
        error_status: 503,
        throttle_storm_rate: 0.05,
        throttle: ThrottleConfig {
            enabled: true,
            time_scale: 0.01,
            ..ThrottleConfig::default()
        },
        ..SimulationConfig::default()
    };
    world.emulator.set_simulation(simulation);

    let report = bulk_unlock(
        &world.ops,
        &targets,
        &to_manager(),
        Some(&world.bulk(&targets).await),
        &Quiet,
    )
    .await
    .expect("bulk unlock finishes");
    assert_eq!(
        report.enabled,
        USERS,
        "failed: {:?}",
        report
            .items
            .iter()
            .filter(|i| i.outcome != Outcome::Done)
            .take(5)
            .collect::<Vec<_>>()
    );
    assert_eq!(report.failed, 0);
    let stats = world.ops.graph.stats();
    assert!(
        stats.retries > 0 && stats.throttled > 0,
        "faults and throttling were exercised: {stats:?}"
    );

    world.emulator.set_simulation(SimulationConfig::default());
    let (enabled, writes_per_user) = world.emulator.with_tenant(|t| {
        let enabled = targets
            .iter()
            .filter(|u| t.user(u).is_ok_and(|r| r.user.account_enabled))
            .count();
        let mut writes: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for audit in &t.directory_audits[audits_before..] {
            for target in &audit.target_resources {
                *writes.entry(target.id.as_str()).or_default() += 1;
            }
        }
        let max = writes.values().copied().max().unwrap_or(0);
        (enabled, (writes.len(), max))
    });
    assert_eq!(enabled, USERS, "every user is enabled in the tenant");
    assert_eq!(
        writes_per_user,
        (USERS, 1),
        "each user written exactly once (users written, most writes to one user)"
    );
}
