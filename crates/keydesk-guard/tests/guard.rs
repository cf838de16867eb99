//! The guard end to end on a real SQLite database (and PostgreSQL when
//! `KEYDESK_TEST_POSTGRES_URL` is set): approvals are durable, bound to the plan, single-use,
//! four-eyes and expiring; verifications are single-use, expire and lock after wrong codes; the
//! hourly budget asks for an approval and records an alert; every allow writes an intent.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use keydesk_audit::{AuditStore, EventKind};
use keydesk_guard::{Authorization, Completion, Guard, GuardState, PlannedChange, Request};
use keydesk_policy::{
    Action, Effect, Origin, PolicyEngine, PolicySettings, Principal, PrincipalKind, Resource,
    TargetUser, VerificationMethod, VerificationMode,
};
use keydesk_testkit::postgres::FreshDatabase;

const T0: i64 = 1_800_000_000;

struct Fixture {
    guard: Guard,
    clock: Arc<AtomicI64>,
    audit: Arc<dyn AuditStore>,
    _dir: tempfile::TempDir,
    _database: Option<FreshDatabase>,
}

async fn fixture(settings: PolicySettings) -> Fixture {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (location, database) = match std::env::var("KEYDESK_TEST_POSTGRES_URL") {
        Ok(base) if !base.is_empty() => {
            // A database of the fixture's own: tests and earlier runs never share state.
            let database = FreshDatabase::create(&base, "keydesk_guard").await;
            (database.url().to_string(), Some(database))
        }
        _ => (
            dir.path().join("keydesk.sqlite").display().to_string(),
            None,
        ),
    };
    let audit: Arc<dyn AuditStore> = Arc::from(
        keydesk_audit::open(&location)
            .await
            .expect("the audit log opens"),
    );
    let state = GuardState::open(&location).await.expect("the state opens");
    let clock = Arc::new(AtomicI64::new(T0 + rand_offset()));
    let reader = clock.clone();
    let guard = Guard::new(
        PolicyEngine::with_default_policy(settings).expect("the default policy loads"),
        audit.clone(),
        state,
    )
    .with_clock(Arc::new(move || reader.load(Ordering::SeqCst)));
    Fixture {
        guard,
        clock,
        audit,
        _dir: dir,
        _database: database,
    }
}

/// Distinct times make distinct plans (and targets below) in every test.
fn rand_offset() -> i64 {
    i64::from(uuid::Uuid::new_v4().as_u128() as u16)
}

fn operator(upn: &str, roles: &[&str]) -> Principal {
    Principal {
        upn: upn.into(),
        kind: PrincipalKind::Operator,
        directory_roles: roles.iter().map(|r| r.to_string()).collect(),
        groups: Vec::new(),
        unlock_any_account: false,
    }
}

fn user(upn: &str, privileged: &[&str]) -> Resource {
    Resource::User(TargetUser {
        upn: upn.into(),
        department: "Sales".into(),
        privileged_roles: privileged.iter().map(|r| r.to_string()).collect(),
        synced: false,
        mfa_registered: true,
    })
}

fn reset(principal: Principal, target: &str, privileged: &[&str], deliver: &str) -> Request {
    Request {
        principal,
        resource: user(target, privileged),
        plan: PlannedChange {
            action: Action::PasswordReset,
            target: Some(target.to_lowercase()),
            summary: format!("Would reset {target}'s password"),
            steps: vec![
                (
                    "generate".into(),
                    "generate a 16-character temporary password".into(),
                ),
                ("deliver".into(), format!("deliver it to {deliver}")),
            ],
        },
        origin: Origin::Cli,
        on_behalf_of: None,
        profile_fields: Vec::new(),
    }
}

fn unrestricted() -> PolicySettings {
    let mut settings = PolicySettings::recommended();
    settings.verification_mode = VerificationMode::Unrestricted;
    settings
}

fn megan() -> Principal {
    operator("MeganB@contoso.com", &["Global Administrator"])
}
fn patti() -> Principal {
    operator(
        "PattiF@contoso.com",
        &[
            "Privileged Authentication Administrator",
            "Security Administrator",
        ],
    )
}

fn unique(name: &str) -> String {
    format!("{name}-{}@contoso.com", uuid::Uuid::new_v4().simple())
}

#[tokio::test]
async fn an_allowed_change_writes_an_intent_and_the_capability_covers_only_its_plan() {
    let f = fixture(unrestricted()).await;
    let target = unique("adelev");
    let request = reset(megan(), &target, &[], "miriamg@contoso.com");
    let Authorization::Approved(approved) = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("a Global Administrator may reset an ordinary user in unrestricted mode");
    };
    assert!(approved.covers(Action::PasswordReset, Some(&target.to_uppercase())));
    assert!(!approved.covers(Action::PasswordReset, Some("someone.else@contoso.com")));
    assert!(!approved.covers(Action::MfaReset, Some(&target)));
    let intent = approved.intent().clone();
    assert_eq!(intent.event.kind, EventKind::Intent);
    assert_eq!(intent.event.target.as_deref(), Some(target.as_str()));
    assert!(
        intent
            .event
            .verifications
            .iter()
            .any(|v| v.check == "end_user_verification_skipped"),
        "unrestricted mode records the skipped verification"
    );
    let outcome = f
        .guard
        .complete(
            approved,
            Completion {
                status: keydesk_audit::OutcomeStatus::Done,
                summary: "reset".into(),
                details: serde_json::json!({}),
                graph_request_ids: vec![],
            },
        )
        .await
        .expect("the outcome is written");
    assert_eq!(outcome.event.intent_id, Some(intent.id));
}

#[tokio::test]
async fn a_privileged_target_needs_a_second_approver_bound_to_the_plan_and_used_once() {
    let f = fixture(unrestricted()).await;
    let target = unique("nestorw");
    let request = reset(megan(), &target, &["Global Administrator"], "the operator");

    // First attempt: an approval request is filed, nothing is authorized.
    let Authorization::Pending {
        decision,
        approval: Some(filed),
    } = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("a privileged target needs an approval");
    };
    assert_eq!(decision.effect, Effect::NeedsApproval);
    // Asking again returns the same pending request.
    let Authorization::Pending {
        approval: Some(again),
        ..
    } = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("still pending");
    };
    assert_eq!(again.id, filed.id);

    // Four eyes: the requester cannot approve their own request.
    let own = f.guard.decide(&filed.id, &megan(), true, None).await;
    assert!(own.is_err(), "self-approval must be refused");
    // Nor can the target approve a change to itself.
    let as_target = f
        .guard
        .decide(
            &filed.id,
            &operator(&target, &["Global Administrator"]),
            true,
            None,
        )
        .await;
    assert!(as_target.is_err(), "the target must not approve");

    // Someone outside the approver set may record an approval, but it does not count.
    let lee = operator("LeeG@contoso.com", &["Helpdesk Administrator"]);
    f.guard
        .decide(&filed.id, &lee, true, None)
        .await
        .expect("the decision is recorded");
    match f.guard.authorize(&request).await.expect("authorize") {
        Authorization::Pending { decision, .. } => {
            assert!(
                decision
                    .notes
                    .iter()
                    .any(|n| n.contains("not in the approver set")),
                "{:?}",
                decision.notes
            );
        }
        other => panic!("an approval from outside the set must not count: {other:?}"),
    }

    // A proper approval from the approver set, for this plan.
    let Authorization::Pending {
        approval: Some(second),
        ..
    } = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("a new request is filed");
    };
    assert_ne!(second.id, filed.id);
    f.guard
        .decide(&second.id, &patti(), true, None)
        .await
        .expect("PattiF approves");

    // The same approval does not authorize another plan (other delivery, other target).
    let other_delivery = reset(
        megan(),
        &target,
        &["Global Administrator"],
        "someone@evil.test",
    );
    assert!(matches!(
        f.guard.authorize(&other_delivery).await.expect("authorize"),
        Authorization::Pending { .. }
    ));
    let other_target = reset(
        megan(),
        &unique("other"),
        &["Global Administrator"],
        "the operator",
    );
    assert!(matches!(
        f.guard.authorize(&other_target).await.expect("authorize"),
        Authorization::Pending { .. }
    ));

    // It authorizes exactly this plan, once.
    let Authorization::Approved(approved) = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("approved by a second approver");
    };
    assert_eq!(
        approved.decision().approvers,
        vec!["pattif@contoso.com".to_string()]
    );
    assert_eq!(approved.intent().event.approvals[0].id, second.id);
    let replay = f.guard.authorize(&request).await.expect("authorize");
    assert!(
        matches!(replay, Authorization::Pending { .. }),
        "a used approval must not authorize a second execution: {replay:?}"
    );
    let used = f
        .guard
        .state()
        .approval(&second.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(used.status, keydesk_guard::state::ApprovalStatus::Used);
    assert_eq!(
        used.used_by.as_deref(),
        approved.intent().event.details["intent_ref"].as_str()
    );
}

#[tokio::test]
async fn approvals_expire() {
    let f = fixture(unrestricted()).await;
    let target = unique("nestorw");
    let request = reset(megan(), &target, &["Global Administrator"], "the operator");
    let Authorization::Pending {
        approval: Some(filed),
        ..
    } = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("pending");
    };
    f.guard
        .decide(&filed.id, &patti(), true, None)
        .await
        .expect("approve");
    f.clock.fetch_add(3_601, Ordering::SeqCst);
    assert!(matches!(
        f.guard.authorize(&request).await.expect("authorize"),
        Authorization::Pending { .. }
    ));
}

#[tokio::test]
async fn restricted_mode_needs_a_verification_which_is_single_use_and_expires() {
    let f = fixture(PolicySettings::recommended()).await;
    let target = unique("adelev");
    let request = reset(megan(), &target, &[], "miriamg@contoso.com");
    let Authorization::Pending { decision, approval } =
        f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("restricted mode needs a verification");
    };
    assert_eq!(decision.effect, Effect::NeedsVerification);
    assert!(approval.is_none());

    // A wrong code fails; five wrong codes void the verification.
    let (_, code) = f
        .guard
        .begin_verification(
            "meganb@contoso.com",
            &target,
            VerificationMethod::RegisteredMethod,
            "+1 425 555 01xx",
        )
        .await
        .expect("start");
    for _ in 0..5 {
        let wrong = if code.expose() == "00000000" {
            "11111111"
        } else {
            "00000000"
        };
        assert!(
            f.guard
                .confirm_verification("meganb@contoso.com", &target, wrong)
                .await
                .is_err()
        );
    }
    assert!(
        f.guard
            .confirm_verification("meganb@contoso.com", &target, code.expose())
            .await
            .is_err(),
        "after five wrong codes the right one no longer works"
    );

    // An expired code fails.
    let (_, code) = f
        .guard
        .begin_verification(
            "meganb@contoso.com",
            &target,
            VerificationMethod::RegisteredMethod,
            "+1 425 555 01xx",
        )
        .await
        .expect("start");
    f.clock.fetch_add(601, Ordering::SeqCst);
    assert!(
        f.guard
            .confirm_verification("meganb@contoso.com", &target, code.expose())
            .await
            .is_err()
    );

    // Another operator's verification does not count for this one.
    let (_, code) = f
        .guard
        .begin_verification(
            "leeg@contoso.com",
            &target,
            VerificationMethod::RegisteredMethod,
            "+1 425 555 01xx",
        )
        .await
        .expect("start");
    f.guard
        .confirm_verification("leeg@contoso.com", &target, code.expose())
        .await
        .expect("LeeG verified the user");
    assert!(matches!(
        f.guard.authorize(&request).await.expect("authorize"),
        Authorization::Pending { .. }
    ));

    // A good code verifies once.
    let (_, code) = f
        .guard
        .begin_verification(
            "meganb@contoso.com",
            &target,
            VerificationMethod::RegisteredMethod,
            "+1 425 555 01xx",
        )
        .await
        .expect("start");
    f.guard
        .confirm_verification("meganb@contoso.com", &target, code.expose())
        .await
        .expect("verified");
    assert!(
        f.guard
            .confirm_verification("meganb@contoso.com", &target, code.expose())
            .await
            .is_err(),
        "a code cannot be entered twice"
    );
    let Authorization::Approved(approved) = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("verified");
    };
    assert!(
        approved
            .intent()
            .event
            .verifications
            .iter()
            .any(|v| v.passed)
    );
    // Used by that action: the next one needs a new verification.
    assert!(matches!(
        f.guard.authorize(&request).await.expect("authorize"),
        Authorization::Pending { .. }
    ));

    // A verification of one user does not verify another, and lapses after its lifetime.
    let (_, code) = f
        .guard
        .begin_verification(
            "meganb@contoso.com",
            &target,
            VerificationMethod::RegisteredMethod,
            "+1 425 555 01xx",
        )
        .await
        .expect("start");
    f.guard
        .confirm_verification("meganb@contoso.com", &target, code.expose())
        .await
        .expect("verified");
    let other = reset(megan(), &unique("other"), &[], "miriamg@contoso.com");
    assert!(matches!(
        f.guard.authorize(&other).await.expect("authorize"),
        Authorization::Pending { .. }
    ));
    f.clock.fetch_add(1_801, Ordering::SeqCst);
    assert!(matches!(
        f.guard.authorize(&request).await.expect("authorize"),
        Authorization::Pending { .. }
    ));

    // No code reaches the audit log.
    let records = f
        .audit
        .records(keydesk_audit::Page::first())
        .await
        .expect("read");
    let text = serde_json::to_string(&records).expect("serialize");
    assert!(!text.contains(code.expose()));
}

#[tokio::test]
async fn the_hourly_budget_asks_for_approval_and_records_an_alert() {
    let mut settings = unrestricted();
    settings.hourly_sensitive_budget = 3;
    let f = fixture(settings).await;
    let lee = operator(&unique("leeg"), &["Helpdesk Administrator"]);
    for _ in 0..3 {
        let request = reset(lee.clone(), &unique("user"), &[], "manager");
        assert!(matches!(
            f.guard.authorize(&request).await.expect("authorize"),
            Authorization::Approved(_)
        ));
    }
    let request = reset(lee.clone(), &unique("user"), &[], "manager");
    let Authorization::Pending {
        decision,
        approval: Some(filed),
    } = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("past the budget an approval is needed");
    };
    assert!(decision.alert);
    let records = f
        .audit
        .records(keydesk_audit::Page::first())
        .await
        .expect("read");
    assert!(
        records
            .iter()
            .any(|r| r.event.kind == EventKind::Alert && r.event.actor == lee.upn.to_lowercase())
    );
    f.guard
        .decide(&filed.id, &patti(), true, None)
        .await
        .expect("approve");
    assert!(matches!(
        f.guard.authorize(&request).await.expect("authorize"),
        Authorization::Approved(_)
    ));
    // An hour later the budget is back.
    f.clock.fetch_add(3_601, Ordering::SeqCst);
    assert!(matches!(
        f.guard
            .authorize(&reset(lee.clone(), &unique("user"), &[], "manager"))
            .await
            .expect("authorize"),
        Authorization::Approved(_)
    ));
}

#[tokio::test]
async fn a_denial_is_recorded_and_authorizes_nothing() {
    let f = fixture(unrestricted()).await;
    let employee = Principal {
        upn: unique("adelev"),
        kind: PrincipalKind::Employee,
        directory_roles: vec![],
        groups: vec![],
        unlock_any_account: false,
    };
    let colleague = unique("diegos");
    let request = reset(employee.clone(), &colleague, &[], "manager");
    let Authorization::Denied { decision } = f.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("an employee cannot reset a colleague");
    };
    assert!(
        decision
            .policies
            .iter()
            .any(|p| p == "employees-act-on-themselves")
    );
    let records = f
        .audit
        .records(keydesk_audit::Page::first())
        .await
        .expect("read");
    let refused: Vec<_> = records
        .iter()
        .filter(|r| r.event.target.as_deref() == Some(colleague.as_str()))
        .collect();
    assert_eq!(refused.len(), 2, "an intent and its refused outcome");
    assert_eq!(
        refused[1].event.outcome.as_ref().map(|o| o.status),
        Some(keydesk_audit::OutcomeStatus::Refused)
    );
}

#[tokio::test]
async fn a_bulk_list_is_approved_as_a_whole_and_never_reaches_a_privileged_account() {
    let f = fixture(PolicySettings::recommended()).await;
    let lee = operator(&unique("leeg"), &["Helpdesk Administrator"]);
    let users = [unique("a"), unique("b")];
    let bulk = PlannedChange {
        action: Action::UnlockAccount,
        target: None,
        summary: "bulk unlock".into(),
        steps: users
            .iter()
            .map(|u| ("unlock_account".to_string(), u.clone()))
            .collect(),
    };
    let item = |upn: &str, privileged: &[&str]| Request {
        principal: lee.clone(),
        resource: user(upn, privileged),
        plan: PlannedChange {
            action: Action::UnlockAccount,
            target: Some(upn.to_owned()),
            summary: "unlock".into(),
            steps: vec![("enable".into(), "set accountEnabled to true".into())],
        },
        origin: Origin::Cli,
        on_behalf_of: None,
        profile_fields: Vec::new(),
    };
    // Restricted mode, no approval: items need a verification each.
    let run = f.guard.begin_bulk(&bulk).await.expect("begin");
    assert!(run.approval.is_none());
    assert!(matches!(
        f.guard
            .authorize_bulk_item(&item(&users[0], &[]), &run)
            .await
            .expect("authorize"),
        Authorization::Pending { approval: None, .. }
    ));
    let filed = f
        .guard
        .request_bulk_approval(&lee, &bulk)
        .await
        .expect("filed");
    f.guard
        .decide(&filed.id, &patti(), true, None)
        .await
        .expect("approve");

    let run = f.guard.begin_bulk(&bulk).await.expect("begin");
    assert!(
        run.approval.is_some(),
        "the approved list approval is used by the run"
    );
    for upn in &users {
        assert!(matches!(
            f.guard
                .authorize_bulk_item(&item(upn, &[]), &run)
                .await
                .expect("authorize"),
            Authorization::Approved(_)
        ));
    }
    // A privileged account slipped into the list is denied even with the approval.
    assert!(matches!(
        f.guard
            .authorize_bulk_item(&item(&unique("nestorw"), &["Global Administrator"]), &run)
            .await
            .expect("authorize"),
        Authorization::Denied { .. }
    ));
    // The list approval was single-use: a second run of the same list has none.
    let again = f.guard.begin_bulk(&bulk).await.expect("begin");
    assert!(again.approval.is_none());

    // A run outlives its approval's own hour (a queued job waiting for a worker): the approval
    // it began with still covers its items, for a day from the run's start and no longer.
    f.clock.fetch_add(2 * 3_600, Ordering::SeqCst);
    assert!(matches!(
        f.guard
            .authorize_bulk_item(&item(&users[1], &[]), &run)
            .await
            .expect("authorize"),
        Authorization::Approved(_)
    ));
    f.clock.fetch_add(23 * 3_600, Ordering::SeqCst);
    assert!(matches!(
        f.guard
            .authorize_bulk_item(&item(&users[1], &[]), &run)
            .await
            .expect("authorize"),
        Authorization::Pending { .. }
    ));
}

#[tokio::test]
async fn investigations_are_kept_with_their_reports_and_listed_newest_first() {
    use keydesk_guard::investigations::InvestigationRecord;
    let f = fixture(PolicySettings::recommended()).await;
    let state = f.guard.state();
    let record = |id: &str, at: i64| InvestigationRecord {
        id: id.into(),
        user: "johannal@contoso.onmicrosoft.com".into(),
        days: 7,
        requested_by: "meganb@contoso.onmicrosoft.com".into(),
        verdict: "compromised".into(),
        result: r#"{"verdict":"compromised"}"#.into(),
        markdown: format!("# Incident report {id}"),
        html: format!("<h1>Incident report {id}</h1>"),
        created_at: at,
    };
    state
        .insert_investigation(&record("inv-older", T0))
        .await
        .expect("kept");
    state
        .insert_investigation(&record("inv-newer", T0 + 60))
        .await
        .expect("kept");
    assert_eq!(
        state.investigation("inv-older").await.expect("read"),
        Some(record("inv-older", T0))
    );
    assert_eq!(state.investigation("inv-none").await.expect("read"), None);
    let listed = state.recent_investigations(10).await.expect("listed");
    let ids: Vec<&str> = listed.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["inv-newer", "inv-older"]);
    assert!(
        listed
            .iter()
            .all(|r| r.markdown.is_empty() && r.html.is_empty())
    );
    assert_eq!(listed[0].result, r#"{"verdict":"compromised"}"#);
    // An id is kept once.
    assert!(
        state
            .insert_investigation(&record("inv-older", T0))
            .await
            .is_err()
    );
}
