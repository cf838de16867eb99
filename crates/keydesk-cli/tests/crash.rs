//! keydesk killed with SIGKILL in the middle of a bulk unlock: the audit chain stays intact and
//! `audit verify` reports exactly the interrupted users (intents without outcomes); rerunning the
//! same command finishes the rest without writing any finished user again.
//!
//! The tenant runs in this test process (an emulator on `127.0.0.1:0`), not inside the keydesk
//! process being killed, so the tenant's state survives the kill as a real tenant's would.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use keydesk_testkit::tenant::DisabledUsers;

const USERS: usize = 240;

fn keydesk(home: &Path, env: &[(String, String)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
    command
        .args(args)
        .env("KEYDESK_HOME", home)
        .env_remove("KEYDESK_DATABASE_URL")
        .env("KEYDESK_VERIFICATION_MODE", "unrestricted")
        .env("KEYDESK_HOURLY_BUDGET", "100000");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_bulk_run_leaves_exactly_the_interrupted_intents_and_resumes() {
    // A tenant with USERS disabled cloud accounts and some latency, so the run takes seconds.
    let DisabledUsers {
        emulator,
        running,
        targets,
        audits_before,
        mut env,
    } = DisabledUsers::start(USERS, 25).await;
    env.push((
        "KEYDESK_ACTOR".into(),
        format!("MeganB@{}", emulator.domain()),
    ));
    let home = tempfile::tempdir().expect("temp dir");
    let list = home.path().join("locked.txt");
    std::fs::write(&list, targets.join("\n")).expect("list written");
    let list_arg = list.display().to_string();
    let args = ["unlock", "--from-file", &list_arg, "--yes", "--json"];

    // Start the run and kill it once some users are finished and before all are.
    let mut child = keydesk(home.path(), &env, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("keydesk starts");
    let audit_path = keydesk_audit::default_path(home.path())
        .display()
        .to_string();
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the run never got going"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        if !Path::new(&audit_path).exists() {
            continue;
        }
        let Ok(store) = keydesk_audit::open(&audit_path).await else {
            continue;
        };
        let outcomes = store
            .records(keydesk_audit::Page::first())
            .await
            .map(|records| {
                records
                    .iter()
                    .filter(|r| r.event.kind == keydesk_audit::EventKind::Outcome)
                    .count()
            })
            .unwrap_or(0);
        if outcomes >= 20 {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();

    // What the log holds after the kill.
    let store = keydesk_audit::open(&audit_path).await.expect("audit opens");
    let mut records = Vec::new();
    let mut page = keydesk_audit::Page::first();
    loop {
        let batch = store.records(page).await.expect("read");
        let Some(last) = batch.last() else { break };
        page = keydesk_audit::Page::after(last.seq);
        records.extend(batch);
    }
    let mut intents: BTreeMap<uuid::Uuid, String> = BTreeMap::new();
    let mut finished: BTreeSet<String> = BTreeSet::new();
    let mut closed: BTreeSet<uuid::Uuid> = BTreeSet::new();
    for record in &records {
        match record.event.kind {
            keydesk_audit::EventKind::Intent => {
                intents.insert(record.id, record.event.target.clone().unwrap_or_default());
            }
            keydesk_audit::EventKind::Outcome => {
                closed.insert(record.event.intent_id.expect("an outcome names its intent"));
                finished.insert(record.event.target.clone().unwrap_or_default());
            }
            _ => {}
        }
    }
    let open: BTreeSet<uuid::Uuid> = intents
        .keys()
        .filter(|id| !closed.contains(id))
        .copied()
        .collect();
    assert!(
        finished.len() < USERS,
        "the run was killed before it finished"
    );

    let verify = keydesk(home.path(), &env, &["audit", "verify", "--json"])
        .output()
        .expect("verify runs");
    let report: serde_json::Value = serde_json::from_slice(&verify.stdout).expect("JSON");
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    assert_eq!(
        report["records_checked"].as_u64(),
        Some(records.len() as u64),
        "no record lost"
    );
    let reported: BTreeSet<uuid::Uuid> = report["intents_without_outcome"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|i| {
            serde_json::from_value::<uuid::Uuid>(i["id"].clone())
                .unwrap_or_else(|_| panic!("an intent id in {i}"))
        })
        .collect();
    assert_eq!(
        reported, open,
        "exactly the interrupted intents are reported"
    );

    // Rerun: everyone ends enabled; users finished before the kill are not written again.
    let rerun = keydesk(home.path(), &env, &args)
        .output()
        .expect("rerun runs");
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&rerun.stdout).expect("JSON");
    let items = report["items"].as_array().expect("items");
    assert_eq!(items.len(), USERS);
    for item in items {
        let user = item["user"].as_str().unwrap_or_default().to_lowercase();
        if finished.contains(&user) {
            assert_ne!(
                item["outcome"], "done",
                "{user} was finished and is done again"
            );
        }
        assert!(
            matches!(item["outcome"].as_str(), Some("done" | "nothing_to_do")),
            "{item}"
        );
    }
    let (enabled, writes) = emulator.with_tenant(|tenant| {
        let enabled = targets
            .iter()
            .filter(|upn| tenant.user(upn).is_ok_and(|u| u.user.account_enabled))
            .count();
        let ids: BTreeMap<String, String> = targets
            .iter()
            .filter_map(|upn| {
                tenant
                    .user(upn)
                    .ok()
                    .map(|u| (u.user.id.clone(), upn.clone()))
            })
            .collect();
        let mut writes: BTreeMap<String, usize> = BTreeMap::new();
        for audit in &tenant.directory_audits[audits_before..] {
            if matches!(
                audit.activity_display_name.as_str(),
                "Update user" | "Enable account"
            ) {
                for target in &audit.target_resources {
                    if let Some(upn) = ids.get(&target.id) {
                        *writes.entry(upn.clone()).or_default() += 1;
                    }
                }
            }
        }
        (enabled, writes)
    });
    assert_eq!(
        enabled, USERS,
        "every listed user is enabled after the rerun"
    );
    for upn in &targets {
        assert_eq!(
            writes.get(upn).copied().unwrap_or(0),
            1,
            "{upn} was written exactly once across the killed run and the rerun"
        );
    }
    running.shutdown().await.expect("shutdown");
}
