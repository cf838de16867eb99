//! Linked accounts in on-premises Active Directory, against a real Samba AD domain controller on
//! loopback (`scripts/samba-ad.sh` provisions and starts it; `KEYDESK_TEST_AD_ENV` names the
//! settings file it prints). Without it these tests are skipped with a loud message, except in CI
//! (`CI=true`), where they are required.
//!
//! The emulator's GradyA (synced) is linked to AD's `gradya`; its seeded `onPremisesImmutableId`
//! does not match the DC's `objectGUID`, so the link falls back to `onPremisesSamAccountName`
//! unless a test patches it. The tests share one DC, so they run one at a time.

use std::collections::HashMap;

use keydesk_ad::{AdConfig, AdDirectory, Anchor, TlsTrust};
use keydesk_core::Secret;
use keydesk_graph_emu::{Emulator, SeedConfig, SimulationConfig};
use keydesk_guard::{Authorization, PlannedChange, Request};
use keydesk_ops::credentials::{PasswordResetOptions, password_reset};
use keydesk_ops::delivery::Delivery;
use keydesk_ops::diagnose::diagnose_signin;
use keydesk_ops::guarded::{self, Actor, Guarded, Subject};
use keydesk_ops::unlock::{UnlockOptions, unlock_account};
use keydesk_ops::{Ops, Outcome, StepStatus};
use keydesk_policy::{Action, Origin};

use crate::harness::{World, upn};

/// The DC is shared: one test at a time.
static DC: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Dc {
    env: HashMap<String, String>,
}

impl Dc {
    /// The DC's settings, or `None` (skip) outside CI when it is not available.
    fn get() -> Option<Dc> {
        let path = std::env::var("KEYDESK_TEST_AD_ENV").unwrap_or_default();
        if path.is_empty() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the Active Directory tests are required in CI: KEYDESK_TEST_AD_ENV is not set (scripts/test.sh starts Samba with scripts/samba-ad.sh)"
            );
            eprintln!(
                "\n==== SKIPPED: Active Directory tests need a Samba AD DC; run\n====   export KEYDESK_TEST_AD_ENV=\"$(bash scripts/samba-ad.sh | tail -n 1)\"\n"
            );
            return None;
        }
        let text = std::fs::read_to_string(&path).expect("the AD settings file is readable");
        let env = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Some(Dc { env })
    }

    fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("{name} in the AD settings file"))
    }

    fn secret_file(&self, name: &str) -> Secret {
        Secret::new(
            std::fs::read_to_string(self.var(name))
                .expect("password file")
                .trim_end()
                .to_string(),
        )
    }

    /// The directory as keydesk's service account (delegated rights on OU=Users only).
    fn directory(&self) -> AdDirectory {
        AdDirectory::new(
            AdConfig::new(
                self.var("KEYDESK_AD_URL"),
                self.var("KEYDESK_AD_BIND_DN"),
                self.secret_file("KEYDESK_AD_BIND_PASSWORD_FILE"),
                self.var("KEYDESK_AD_BASE_DN"),
                TlsTrust::CaFile(self.var("KEYDESK_AD_CA_CERT").into()),
            )
            .expect("valid AD config"),
        )
        .expect("AD directory")
    }
}

const GRADY_AD: &str = "gradya@contoso.local";
const GRADY_ADMIN_AD: &str = "adm-gradya@contoso.local";

/// Real failed LDAP binds until AD locks the account out (`data 775`).
async fn lock_out(ad: &AdDirectory, user: &str) {
    for attempt in 1..=10 {
        match ad
            .bind_as(user, &Secret::new(format!("wrong-password-{attempt}")))
            .await
        {
            Err(keydesk_ad::Error::AccountLocked { .. }) => return,
            Err(keydesk_ad::Error::Bind { .. }) => continue,
            other => panic!("a failed bind as {user}: {other:?}"),
        }
    }
    panic!("{user} was not locked out after 10 failed binds (threshold 3)");
}

async fn account(ad: &AdDirectory, sam: &str) -> keydesk_ad::AdAccount {
    ad.find(&[Anchor::SamAccountName(sam.into())])
        .await
        .expect("AD search")
        .expect("the account exists")
        .account
}

fn yes(_: &keydesk_ops::Report, _: &keydesk_policy::Decision) -> bool {
    true
}

async fn unlock_as(ops: &Ops, world: &World, actor: &Actor, who: &str) -> Guarded {
    let options = UnlockOptions {
        delivery: Delivery::Reveal,
    };
    guarded::run(
        ops,
        &world.guard,
        actor,
        Subject::User,
        false,
        &yes,
        |mode| {
            let options = options.clone();
            async move { unlock_account(ops, who, &options, &mode).await }
        },
    )
    .await
    .expect("the guarded unlock runs")
}

#[tokio::test]
async fn grady_locked_out_by_failed_binds_is_diagnosed_unlocked_and_verified_in_ad() {
    let Some(dc) = Dc::get() else { return };
    let _one_at_a_time = DC.lock().await;
    let world = World::start().await;
    let ad = dc.directory();
    let ops = world.ops.clone().with_ad(ad.clone());

    lock_out(&ad, GRADY_AD).await;
    let before = account(&ad, "gradya").await;
    assert!(before.locked() && before.lockout_time != 0, "{before:?}");

    // Diagnose: both linked accounts, the AD one locked.
    let (report, _, _) = diagnose_signin(&ops, "GradyA").await.expect("diagnose");
    assert!(
        report.summary.starts_with("ad_lockout"),
        "{}",
        report.summary
    );
    let linked = report.details["linkedAccounts"]
        .as_array()
        .expect("linked accounts");
    assert_eq!(linked.len(), 2, "{linked:?}");
    assert_eq!(linked[0]["store"], "entra");
    assert_eq!(linked[1]["store"], "ad");
    assert_eq!(linked[1]["locked"], true);
    assert_eq!(
        linked[1]["distinguishedName"],
        "CN=Grady Archie,OU=R&D,OU=Users,DC=contoso,DC=local"
    );
    // The seeded immutable id is not this DC's objectGUID: linked by sAMAccountName.
    assert!(
        linked[1]["linkedBy"]
            .as_str()
            .is_some_and(|l| l.starts_with("sAMAccountName")),
        "{linked:?}"
    );

    // Unlock through the guard (MeganB, Global Administrator).
    let guarded = unlock_as(&ops, &world, &world.actor, "GradyA").await;
    let Guarded::Executed(report) = guarded else {
        panic!("expected an execution, got {guarded:?}")
    };
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert!(
        report
            .steps
            .iter()
            .any(|s| s.action == "ad_unlock" && s.status == StepStatus::Done),
        "{report:#?}"
    );
    assert!(
        report
            .verified
            .iter()
            .any(|v| v.contains("lockoutTime is 0")),
        "{report:#?}"
    );
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("Start-ADSyncSyncCycle -PolicyType Delta")),
        "{report:#?}"
    );

    // Read back independently: unlocked, and a bind is judged on the password again.
    let after = account(&ad, "gradya").await;
    assert_eq!(after.lockout_time, 0, "{after:?}");
    assert!(!after.locked());
    match ad.bind_as(GRADY_AD, &Secret::new("still-wrong")).await {
        Err(keydesk_ad::Error::Bind { reason, .. }) => {
            assert!(reason.starts_with("the password is wrong"), "{reason}")
        }
        other => panic!("expected a wrong-password refusal, got {other:?}"),
    }

    // The audit records name the identity store.
    let records = world
        .guard
        .audit()
        .for_user(&upn("GradyA"))
        .await
        .expect("audit read");
    let in_ad: Vec<_> = records
        .iter()
        .filter(|r| r.event.details["store"] == "ad")
        .collect();
    assert!(
        in_ad.len() >= 2,
        "an intent and an outcome recorded with store ad: {records:#?}"
    );
}

#[tokio::test]
async fn grady_password_reset_in_ad_meets_the_policy_and_a_weak_one_is_refused_with_ads_reason() {
    let Some(dc) = Dc::get() else { return };
    let _one_at_a_time = DC.lock().await;
    let world = World::start().await;
    let ad = dc.directory();
    let ops = world.ops.clone().with_ad(ad.clone());
    if account(&ad, "gradya").await.locked() {
        let _ = unlock_as(&ops, &world, &world.actor, "GradyA").await;
    }

    let options = PasswordResetOptions {
        delivery: Delivery::Reveal,
        revoke_sessions: false,
    };
    let guarded = guarded::run(
        &ops,
        &world.guard,
        &world.actor,
        Subject::User,
        false,
        &yes,
        |mode| {
            let options = options.clone();
            let ops = &ops;
            async move { password_reset(ops, "GradyA", &options, &mode).await }
        },
    )
    .await
    .expect("the guarded reset runs");
    let Guarded::Executed(report) = guarded else {
        panic!("expected an execution, got {guarded:?}")
    };
    assert_eq!(report.outcome, Outcome::Done, "{report:#?}");
    assert_eq!(report.details["store"], "ad");
    let password = report.reveal.as_ref().expect("revealed once").clone();
    let after = account(&ad, "gradya").await;
    assert!(after.must_change_password(), "{after:?}");
    // AD took the generated password: binding with it fails only because it must be changed.
    match ad.bind_as(GRADY_AD, &password).await {
        Err(keydesk_ad::Error::Bind { reason, .. }) => {
            assert!(reason.contains("must be changed"), "{reason}")
        }
        other => panic!("expected 'must change at next logon', got {other:?}"),
    }
    // The password is nowhere in the report's JSON.
    let json = serde_json::to_string(&report).expect("report JSON");
    assert!(!json.contains(password.expose()));

    // A weak password: AD refuses it and says why.
    let user = keydesk_ops::resolve::user(&ops.graph, "GradyA")
        .await
        .expect("Grady");
    let target = keydesk_ops::resolve::upn(&user).to_lowercase();
    let request = Request {
        principal: world.actor.principal.clone(),
        resource: keydesk_ops::facts::user_resource_in(&ops, &user, true)
            .await
            .expect("facts"),
        plan: PlannedChange {
            action: Action::PasswordReset,
            target: Some(target),
            summary: "a weak password, to see AD refuse it".into(),
            steps: vec![("ad_reset_password".into(), "a weak password".into())],
        },
        origin: Origin::Cli,
        on_behalf_of: None,
        profile_fields: vec![],
    };
    let Authorization::Approved(approved) =
        world.guard.authorize(&request).await.expect("authorize")
    else {
        panic!("MeganB may reset Grady's password in AD")
    };
    let error = ad
        .reset_password(&approved, &after, &Secret::new("abc"), true)
        .await
        .expect_err("AD refuses a weak password");
    assert!(
        matches!(error, keydesk_ad::Error::PasswordPolicy { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("password policy"), "{message}");
    assert!(message.contains("AD said: 0000052D"), "{message}");
    assert!(!message.contains("\"abc\""), "{message}");
    // A capability for another action does not reach AD's writes.
    let wrong = ad.unlock(&approved, &after).await.expect_err("not covered");
    assert!(
        matches!(wrong, keydesk_ad::Error::NotAuthorized { .. }),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn a_helpdesk_operator_is_refused_on_a_domain_admin_before_ad_is_touched() {
    let Some(dc) = Dc::get() else { return };
    let _one_at_a_time = DC.lock().await;
    // LidiaH's Entra account is synced from AD's adm-gradya, a Domain Admin.
    let mut state = Emulator::demo(
        &SeedConfig {
            background_users: 40,
            ..SeedConfig::default()
        },
        SimulationConfig::default(),
    )
    .export();
    let lidia = state
        .users
        .values_mut()
        .find(|u| {
            u.user
                .user_principal_name
                .eq_ignore_ascii_case(&upn("LidiaH"))
        })
        .expect("LidiaH");
    lidia.user.on_premises_sync_enabled = Some(true);
    lidia.user.on_premises_sam_account_name = Some("adm-gradya".into());
    lidia.user.on_premises_distinguished_name =
        Some("CN=Grady Archie (admin),OU=R&D,OU=Users,DC=contoso,DC=local".into());
    let world = World::start_on(Emulator::new(state, SimulationConfig::default())).await;
    let ad = dc.directory();
    let ops = world.ops.clone().with_ad(ad.clone());

    lock_out(&ad, GRADY_ADMIN_AD).await;
    let before = account(&ad, "adm-gradya").await;
    assert!(before.locked(), "{before:?}");
    assert!(before.protected(), "{before:?}");

    // Entra alone sees an ordinary user; with AD, a privileged target.
    let user = keydesk_ops::resolve::user(&ops.graph, "LidiaH")
        .await
        .expect("Lidia");
    let keydesk_policy::Resource::User(entra) =
        keydesk_ops::facts::user_resource(&world.ops, &user)
            .await
            .expect("facts")
    else {
        panic!("a user resource")
    };
    assert!(entra.privileged_roles.is_empty(), "{entra:?}");
    let keydesk_policy::Resource::User(linked) =
        keydesk_ops::facts::user_resource_in(&ops, &user, true)
            .await
            .expect("facts")
    else {
        panic!("a user resource")
    };
    // Domain Admins directly, and Administrators through nesting (tokenGroups).
    assert_eq!(
        linked.privileged_roles,
        vec!["Protected AD account (Administrators, Domain Admins)".to_string()]
    );

    // LeeG (Helpdesk Operators) asks to unlock: the policy refuses.
    let lee = Actor::read(&ops, &upn("LeeG"), Origin::Cli)
        .await
        .expect("LeeG's facts");
    let guarded = unlock_as(&ops, &world, &lee, "LidiaH").await;
    let Guarded::Denied { decision, plan } = guarded else {
        panic!("expected a policy refusal, got {guarded:?}")
    };
    assert!(
        plan.steps.iter().all(|s| s.status == StepStatus::Planned),
        "{plan:#?}"
    );
    assert!(
        decision
            .policies
            .iter()
            .any(|p| p == "privileged-target-needs-privileged-admin-and-second-approver"),
        "{decision:?}"
    );

    // AD was not touched: still locked, same lockout time.
    let after = account(&ad, "adm-gradya").await;
    assert!(after.locked());
    assert_eq!(after.lockout_time, before.lockout_time);
    // And the refusal is on record, naming the store.
    let records = world
        .guard
        .audit()
        .for_user(&upn("LidiaH"))
        .await
        .expect("audit read");
    assert!(
        records.iter().any(|r| r.event.details["store"] == "ad"),
        "{records:#?}"
    );
}

#[tokio::test]
async fn the_object_guid_anchor_wins_when_the_immutable_id_matches() {
    let Some(dc) = Dc::get() else { return };
    let _one_at_a_time = DC.lock().await;
    let ad = dc.directory();
    let grady = account(&ad, "gradya").await;
    let immutable_id = grady.immutable_id().expect("objectGUID");
    let mut state = Emulator::demo(
        &SeedConfig {
            background_users: 40,
            ..SeedConfig::default()
        },
        SimulationConfig::default(),
    )
    .export();
    let record = state
        .users
        .values_mut()
        .find(|u| {
            u.user
                .user_principal_name
                .eq_ignore_ascii_case(&upn("GradyA"))
        })
        .expect("GradyA");
    record.user.on_premises_immutable_id = Some(immutable_id);
    // A stale sAMAccountName must not matter when the GUID matches.
    record.user.on_premises_sam_account_name = Some("someone-else".into());
    let world = World::start_on(Emulator::new(state, SimulationConfig::default())).await;
    let ops = world.ops.clone().with_ad(ad);
    let user = keydesk_ops::resolve::user(&ops.graph, "GradyA")
        .await
        .expect("Grady");
    let keydesk_ops::linked::AdLink::Found(found) = keydesk_ops::linked::lookup(&ops, &user).await
    else {
        panic!("Grady's AD account is found")
    };
    assert!(matches!(found.anchor, Anchor::ObjectGuid(_)), "{found:?}");
    assert_eq!(found.account.dn, grady.dn);
}

/// The guard's capability for `action` on `target`, for a plan acting in AD, as MeganB.
async fn approve(
    world: &World,
    action: Action,
    target: &str,
    resource: keydesk_policy::Resource,
) -> keydesk_guard::Approved {
    let request = Request {
        principal: world.actor.principal.clone(),
        resource,
        plan: PlannedChange {
            action,
            target: Some(target.to_lowercase()),
            summary: format!("test: {action} in AD"),
            steps: vec![("ad_test".into(), format!("{action} on {target}"))],
        },
        origin: Origin::Cli,
        on_behalf_of: None,
        profile_fields: vec![],
    };
    match world.guard.authorize(&request).await.expect("authorize") {
        Authorization::Approved(approved) => approved,
        other => panic!("MeganB may {action} on {target}: {other:?}"),
    }
}

#[tokio::test]
async fn group_membership_changes_in_ad_and_each_needs_its_own_capability() {
    let Some(dc) = Dc::get() else { return };
    let _one_at_a_time = DC.lock().await;
    let world = World::start().await;
    let ad = dc.directory();
    let group_dn = ad.find_group("On-Prem-VPN-Users").await.expect("the group");
    let group = keydesk_policy::Resource::Group(keydesk_policy::TargetGroup {
        name: "On-Prem-VPN-Users".into(),
        owners: vec![],
        privileged: false,
    });
    let grady = account(&ad, "gradya").await;
    if !grady.group_names().iter().any(|g| g == "On-Prem-VPN-Users") {
        let add = approve(
            &world,
            Action::GrantAccess,
            "On-Prem-VPN-Users",
            group.clone(),
        )
        .await;
        ad.add_to_group(&add, &grady, &group_dn).await.expect("add");
    }

    let remove = approve(
        &world,
        Action::RemoveAccess,
        "On-Prem-VPN-Users",
        group.clone(),
    )
    .await;
    let refused = ad
        .add_to_group(&remove, &grady, &group_dn)
        .await
        .expect_err("a removal's capability does not add");
    assert!(
        matches!(refused, keydesk_ad::Error::NotAuthorized { .. }),
        "{refused:?}"
    );
    ad.remove_from_group(&remove, &grady, &group_dn)
        .await
        .expect("remove");
    let after = account(&ad, "gradya").await;
    assert!(
        !after.group_names().iter().any(|g| g == "On-Prem-VPN-Users"),
        "{after:?}"
    );

    let add = approve(&world, Action::GrantAccess, "On-Prem-VPN-Users", group).await;
    ad.add_to_group(&add, &grady, &group_dn)
        .await
        .expect("add back");
    let back = account(&ad, "gradya").await;
    assert!(
        back.group_names().iter().any(|g| g == "On-Prem-VPN-Users"),
        "{back:?}"
    );
}

#[tokio::test]
async fn ad_refuses_what_keydesks_service_account_was_not_delegated() {
    let Some(dc) = Dc::get() else { return };
    let _one_at_a_time = DC.lock().await;
    let world = World::start().await;
    let ad = dc.directory();
    let ops = world.ops.clone().with_ad(ad.clone());
    // The built-in Administrator sits in CN=Users, outside the OU delegated to svc-keydesk.
    let administrator = ad
        .read(dc.var("KEYDESK_TEST_AD_ADMIN_DN"))
        .await
        .expect("the service account may read it");
    assert!(administrator.protected(), "{administrator:?}");
    let user = keydesk_ops::resolve::user(&ops.graph, "GradyA")
        .await
        .expect("Grady");
    let resource = keydesk_ops::facts::user_resource_in(&ops, &user, true)
        .await
        .expect("facts");
    let unlock = approve(&world, Action::UnlockAccount, &upn("GradyA"), resource).await;
    let error = ad
        .unlock(&unlock, &administrator)
        .await
        .expect_err("no delegated right on CN=Administrator");
    assert!(
        matches!(error, keydesk_ad::Error::InsufficientRights { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("delegate the right"), "{error}");
}
