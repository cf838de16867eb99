//! Password reset, MFA reset, TAP, unblock, revoke and disable on the demo cast, and the rule
//! that a generated secret never reaches a log line, a report or a stored record.

use keydesk_ops::Outcome;
use keydesk_ops::credentials::{
    MfaResetOptions, PasswordResetOptions, TapOptions, disable_account, issue_tap, mfa_reset,
    password_reset, revoke_sessions, unblock_signin,
};
use keydesk_ops::delivery::Delivery;
use keydesk_policy::Action;

use crate::harness::{World, upn};

#[tokio::test]
async fn nestor_is_reset_through_the_privileged_path() {
    let world = World::start().await;
    let report = password_reset(
        &world.ops,
        "NestorW",
        &PasswordResetOptions {
            delivery: Delivery::Reveal,
            revoke_sessions: true,
        },
        &world.execute(Action::PasswordReset, "NestorW").await,
    )
    .await
    .expect("reset runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_eq!(report.details["path"], "authenticationMethods");
    assert!(report.reveal.is_some());
    let operations = world.emulator.with_tenant(|t| {
        t.operations
            .values()
            .filter(|o| o.status == "running" || o.status == "succeeded")
            .count()
    });
    assert_eq!(
        operations, 1,
        "the methods API's long-running reset was used"
    );
    assert!(world.user_state("NestorW", |u| {
        u.user
            .password_profile
            .as_ref()
            .is_some_and(|p| p.force_change_password_next_sign_in)
    }));
}

#[tokio::test]
async fn own_mailbox_delivery_is_refused() {
    let world = World::start().await;
    let error = password_reset(
        &world.ops,
        "SarahL",
        &PasswordResetOptions {
            delivery: Delivery::MailTo(upn("SarahL")),
            revoke_sessions: false,
        },
        &world.execute(Action::PasswordReset, "SarahL").await,
    )
    .await
    .expect_err("never to the mailbox being reset");
    assert!(
        matches!(error, keydesk_ops::Error::Refused { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn tom_mfa_reset_issues_a_tap_first() {
    let world = World::start().await;
    let report = mfa_reset(
        &world.ops,
        "TomB",
        &MfaResetOptions {
            tap: Some(TapOptions {
                lifetime_minutes: Some(60),
                usable_once: true,
                delivery: Delivery::Manager,
            }),
        },
        &world.execute(Action::MfaReset, "TomB").await,
    )
    .await
    .expect("MFA reset runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_eq!(
        report.steps[0].action, "issue_tap",
        "the TAP comes before any removal: {:?}",
        report.steps
    );
    let kinds = world.user_state("TomB", |u| {
        u.methods.iter().map(|m| m.collection()).collect::<Vec<_>>()
    });
    assert_eq!(kinds, vec!["temporaryAccessPassMethods"]);
    let outbox = world.outbox().await;
    assert!(
        outbox.iter().any(|m| m["to"][0]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case(&upn("LynneR")))),
        "TAP mailed to Tom's manager"
    );
}

#[tokio::test]
async fn diego_is_unblocked() {
    let world = World::start().await;
    let report = unblock_signin(
        &world.ops,
        "DiegoS",
        &world.execute(Action::UnblockSignin, "DiegoS").await,
    )
    .await
    .expect("unblock runs");
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("leaked credentials"))
    );
    let state = world.emulator.with_tenant(|t| {
        let id = t.user_id(&upn("DiegoS")).expect("exists");
        t.risky_users[&id].risky_user.risk_state.clone()
    });
    assert_eq!(state, "dismissed");
}

#[tokio::test]
async fn johanna_cannot_be_unblocked_without_investigation() {
    let world = World::start().await;
    match unblock_signin(
        &world.ops,
        "JohannaL",
        &world.execute(Action::UnblockSignin, "JohannaL").await,
    )
    .await
    {
        Err(keydesk_ops::Error::Refused { guidance, .. }) => {
            assert!(guidance.contains("investigate"))
        }
        Ok(report) => assert_ne!(
            report.outcome,
            Outcome::Done,
            "a compromised user must not be unblocked: {report:#?}"
        ),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[tokio::test]
async fn shane_gets_a_tap_by_name_with_an_apostrophe() {
    let world = World::start().await;
    let before = world.emulator.with_tenant(|t| {
        t.users
            .values()
            .filter(|u| {
                u.methods
                    .iter()
                    .any(|m| m.collection() == "temporaryAccessPassMethods")
            })
            .count()
    });
    let report = issue_tap(
        &world.ops,
        "Shane O'Brien",
        &TapOptions {
            lifetime_minutes: None,
            usable_once: true,
            delivery: Delivery::Reveal,
        },
        &world.execute(Action::IssueTap, "Shane O'Brien").await,
    )
    .await
    .expect("TAP runs");
    assert_eq!(
        report.target.as_deref(),
        Some("shaneo@contoso.onmicrosoft.com")
    );
    let after = world.emulator.with_tenant(|t| {
        t.users
            .values()
            .filter(|u| {
                u.methods
                    .iter()
                    .any(|m| m.collection() == "temporaryAccessPassMethods")
            })
            .count()
    });
    assert_eq!(after, before + 1, "exactly one user changed");
    assert!(world.user_state("ShaneO", |u| {
        u.methods
            .iter()
            .any(|m| m.collection() == "temporaryAccessPassMethods")
    }));
}

#[tokio::test]
async fn revoke_and_disable() {
    let world = World::start().await;
    let report = revoke_sessions(
        &world.ops,
        "LidiaH",
        &world.execute(Action::RevokeSessions, "LidiaH").await,
    )
    .await
    .expect("revoke runs");
    assert_eq!(report.outcome, Outcome::Done);
    assert!(!report.verified.is_empty());
    let report = disable_account(
        &world.ops,
        "LidiaH",
        &world.execute(Action::DisableAccount, "LidiaH").await,
    )
    .await
    .expect("disable runs");
    assert_eq!(report.outcome, Outcome::Done);
    assert!(!world.user_state("LidiaH", |u| u.user.account_enabled));
    let error = disable_account(
        &world.ops,
        "GradyA",
        &world.execute(Action::DisableAccount, "GradyA").await,
    )
    .await
    .expect_err("synced");
    assert!(matches!(error, keydesk_ops::Error::Refused { .. }));
}
