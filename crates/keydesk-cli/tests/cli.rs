//! The `keydesk` binary end to end on the embedded demo tenant (a fresh `KEYDESK_HOME` per test):
//! state persists between invocations, every change is in the audit log, and a generated
//! password appears in no output and no audit record.

use std::path::Path;
use std::process::{Command, Output};

fn keydesk(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .args(args)
        .env("KEYDESK_HOME", home)
        .env_remove("KEYDESK_TENANT_ID")
        .env_remove("KEYDESK_DATABASE_URL")
        .output()
        .expect("keydesk runs")
}

fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is one JSON object ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn unlock_persists_and_is_audited() {
    let home = tempfile::tempdir().expect("temp dir");
    let before = keydesk(home.path(), &["diagnose", "AdeleV", "--json"]);
    assert_eq!(
        json(&before)["details"]["causes"][0]["kind"],
        "account_disabled"
    );

    let refused = keydesk(home.path(), &["unlock", "AdeleV"]);
    assert_eq!(
        refused.status.code(),
        Some(3),
        "without --yes and without a terminal, keydesk refuses"
    );

    let unlocked = keydesk(home.path(), &["unlock", "AdeleV", "--yes", "--json"]);
    assert!(
        unlocked.status.success(),
        "{}",
        String::from_utf8_lossy(&unlocked.stderr)
    );
    assert_eq!(json(&unlocked)["outcome"], "done");

    let after = keydesk(home.path(), &["diagnose", "AdeleV", "--json"]);
    assert_eq!(
        json(&after)["details"]["user"]["accountEnabled"],
        true,
        "the next invocation sees the change"
    );

    let verify = keydesk(home.path(), &["audit", "verify", "--json"]);
    let report = json(&verify);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(
        report["records_checked"], 2,
        "one intent and one outcome: {report}"
    );
}

#[test]
fn ambiguous_names_list_the_candidates() {
    let home = tempfile::tempdir().expect("temp dir");
    let output = keydesk(
        home.path(),
        &["reset-password", "John Smith", "--json", "--yes"],
    );
    assert_eq!(output.status.code(), Some(4));
    let error = json(&output);
    assert_eq!(error["error"]["code"], "ambiguous_user");
    let candidates: Vec<&str> = error["error"]["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert_eq!(candidates.len(), 2, "{candidates:?}");
}

#[test]
fn a_generated_password_is_in_no_output_and_no_audit_record() {
    let home = tempfile::tempdir().expect("temp dir");
    let reset = keydesk(
        home.path(),
        &[
            "reset-password",
            "john.smith@contoso.onmicrosoft.com",
            "--yes",
            "-vv",
        ],
    );
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    // The delivery is the manager's mailbox: the emulated tenant's outbox holds the one copy.
    let tenant: serde_json::Value = serde_json::from_slice(
        &std::fs::read(home.path().join("demo-tenant.json")).expect("tenant saved"),
    )
    .expect("tenant JSON");
    let mail = tenant["outbox"]
        .as_array()
        .and_then(|o| o.last())
        .expect("a delivered message");
    assert!(
        mail["to"][0]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("IrvinS@contoso.onmicrosoft.com"))
    );
    let password = mail["body"]
        .as_str()
        .expect("body")
        .lines()
        .map(str::trim)
        .find(|l| l.len() >= 14 && !l.contains(' '))
        .expect("password line")
        .to_string();

    let mut haystack = Vec::new();
    haystack.extend_from_slice(&reset.stdout);
    haystack.extend_from_slice(&reset.stderr);
    for entry in std::fs::read_dir(home.path()).expect("home listing") {
        let path = entry.expect("entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("audit"))
        {
            haystack.extend_from_slice(&std::fs::read(&path).expect("audit file"));
        }
    }
    let export = keydesk(home.path(), &["audit", "export"]);
    haystack.extend_from_slice(&export.stdout);
    assert!(!haystack.is_empty());
    assert!(
        !String::from_utf8_lossy(&haystack).contains(&password),
        "the password leaked into output or the audit log"
    );
}

#[test]
fn policy_check_explains_decisions_from_directory_facts() {
    let home = tempfile::tempdir().expect("temp dir");
    let check = |who: &str, action: &str, target: &str| {
        let output = keydesk(
            home.path(),
            &["policy", "check", "--as", who, action, target, "--json"],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        json(&output)
    };
    let helpdesk_on_admin = check("LeeG", "password_reset", "NestorW");
    assert_eq!(helpdesk_on_admin["effect"], "Deny", "{helpdesk_on_admin}");
    let employee_on_colleague = check("AliceC", "password_reset", "SarahL");
    assert_eq!(employee_on_colleague["effect"], "Deny");
    assert_eq!(employee_on_colleague["principalKind"], "employee");
    let helpdesk_on_user = check("LeeG", "password_reset", "AlexW");
    assert_eq!(
        helpdesk_on_user["effect"], "NeedsVerification",
        "{helpdesk_on_user}"
    );
    let self_service = check("AliceC", "password_reset", "AliceC");
    assert_eq!(self_service["effect"], "Allow", "{self_service}");
}
