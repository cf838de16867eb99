//! The `keydesk` binary end to end on the embedded demo tenant (a fresh `KEYDESK_HOME` per test):
//! state persists between invocations, every change is in the audit log, and a generated
//! password appears in no output and no audit record.

use std::path::Path;
use std::process::{Command, Output};

fn keydesk(home: &Path, args: &[&str]) -> Output {
    keydesk_with(home, args, &[])
}

fn keydesk_with(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
    command
        .args(args)
        .env("KEYDESK_HOME", home)
        .env_remove("KEYDESK_TENANT_ID")
        .env_remove("KEYDESK_DATABASE_URL")
        .env_remove("KEYDESK_VERIFICATION_MODE")
        .env_remove("KEYDESK_HOURLY_BUDGET");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("keydesk runs")
}

/// Runs `keydesk verify USER` and returns the code the demo shows the recipient received.
fn verification_code(home: &Path, user: &str, actor: &str) -> String {
    let sent = keydesk(home, &["verify", user, "--as", actor]);
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let stderr = String::from_utf8_lossy(&sent.stderr).to_string();
    let code = stderr
        .split(|c: char| !c.is_ascii_digit())
        .find(|word| word.len() == 8)
        .unwrap_or_else(|| panic!("an 8-digit code in the demo message: {stderr}"))
        .to_string();
    let stdout = String::from_utf8_lossy(&sent.stdout);
    assert!(
        !stdout.contains(&code),
        "the code is not printed as a result"
    );
    // The command line says how to confirm on the command line.
    assert!(
        stdout.contains("keydesk verify") && stdout.contains("--code CODE"),
        "{stdout}"
    );
    code
}

fn verify(home: &Path, user: &str, actor: &str) {
    let code = verification_code(home, user, actor);
    let confirmed = keydesk(home, &["verify", user, "--code", &code, "--as", actor]);
    assert!(
        confirmed.status.success(),
        "{}",
        String::from_utf8_lossy(&confirmed.stderr)
    );
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

    // Restricted mode (the default): the operator verifies Adele first.
    let unverified = keydesk(home.path(), &["unlock", "AdeleV", "--yes"]);
    assert_eq!(unverified.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&unverified.stderr).contains("NEEDS VERIFICATION"));
    let code = verification_code(home.path(), "AdeleV", "MeganB");
    let wrong = keydesk(home.path(), &["verify", "AdeleV", "--code", "00000000x"]);
    assert_eq!(wrong.status.code(), Some(3), "a wrong code is refused");
    let confirmed = keydesk(home.path(), &["verify", "AdeleV", "--code", &code]);
    assert!(
        confirmed.status.success(),
        "{}",
        String::from_utf8_lossy(&confirmed.stderr)
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
    // The code sent, the wrong code, the right code, then the unlock's intent and outcome. (A
    // request waiting for a verification changes nothing and files nothing.)
    assert_eq!(report["records_checked"], 5, "{report}");
    let export = keydesk(home.path(), &["audit", "export"]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&export.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    let intent = lines
        .iter()
        .rev()
        .find(|r| r["kind"] == "intent")
        .expect("the unlock's intent");
    assert_eq!(intent["decision"]["effect"], "allow");
    assert_eq!(intent["verifications"][0]["passed"], true);
    assert!(!String::from_utf8_lossy(&export.stdout).contains(&code));
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
    let reset = keydesk_with(
        home.path(),
        &[
            "reset-password",
            "john.smith@contoso.onmicrosoft.com",
            "--yes",
            "-vv",
        ],
        &[("KEYDESK_VERIFICATION_MODE", "unrestricted")],
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

#[test]
fn a_privileged_reset_needs_a_second_approver_once() {
    let home = tempfile::tempdir().expect("temp dir");
    let args = ["reset-password", "NestorW", "--reveal", "--yes", "--json"];
    let first = keydesk(home.path(), &args);
    assert_eq!(first.status.code(), Some(3));
    let listed = json(&keydesk(home.path(), &["approvals", "--json"]));
    let id = listed["approvals"][0]["id"]
        .as_str()
        .expect("a filed request")
        .to_string();
    assert_eq!(
        listed["approvals"][0]["requester"],
        "meganb@contoso.onmicrosoft.com"
    );

    let own = keydesk(home.path(), &["approve", &id]);
    assert_eq!(
        own.status.code(),
        Some(3),
        "MeganB cannot approve her own request"
    );
    let employee = keydesk(home.path(), &["approve", &id, "--as", "AdeleV"]);
    assert_eq!(
        employee.status.code(),
        Some(3),
        "an employee cannot approve"
    );
    let patti = keydesk(home.path(), &["approve", &id, "--as", "PattiF"]);
    assert!(
        patti.status.success(),
        "{}",
        String::from_utf8_lossy(&patti.stderr)
    );

    // Still missing: the verification of Nestor (restricted mode).
    let unverified = keydesk(home.path(), &args);
    assert_eq!(unverified.status.code(), Some(3));
    verify(home.path(), "NestorW", "MeganB");
    let done = keydesk(home.path(), &args);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(json(&done)["outcome"], "done");

    // The approval was used: the same command again needs a new one.
    verify(home.path(), "NestorW", "MeganB");
    let again = keydesk(home.path(), &args);
    assert_eq!(again.status.code(), Some(3));
    let listed = json(&keydesk(home.path(), &["approvals", "--all", "--json"]));
    let statuses: Vec<&str> = listed["approvals"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|a| a["status"].as_str())
        .collect();
    assert!(
        statuses.contains(&"used") && statuses.contains(&"pending"),
        "{statuses:?}"
    );
}

#[test]
fn an_employee_cannot_act_on_a_colleague() {
    let home = tempfile::tempdir().expect("temp dir");
    let output = keydesk(
        home.path(),
        &["reset-password", "DiegoS", "--as", "AdeleV", "--yes"],
    );
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("employees-act-on-themselves"));
    let diego = json(&keydesk(home.path(), &["user", "show", "DiegoS", "--json"]));
    assert!(diego["outcome"].is_string());
}

#[test]
fn johanna_is_investigated_contained_and_reported() {
    let home = tempfile::tempdir().expect("temp dir");
    let found = keydesk(home.path(), &["investigate", "JohannaL", "--json"]);
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    let found = json(&found);
    assert_eq!(found["user"], "johannal@contoso.onmicrosoft.com");
    assert_eq!(found["verdict"], "compromised");
    assert!(found["window"]["from"].is_string() && found["window"]["to"].is_string());
    let kinds: Vec<&str> = found["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    for kind in [
        "impossible_travel",
        "new_device",
        "mfa_fatigue",
        "new_auth_method",
        "suspicious_oauth_grant",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert!(found["findings"][0]["signins"].is_array());
    let snapshot = found["evidence"][0]["path"].as_str().expect("a snapshot");
    assert!(Path::new(snapshot).starts_with(home.path()));

    // Everyone else in the cast that matters here is not compromised.
    for other in ["AlexW", "AdeleV", "SarahL", "TomB"] {
        let out = json(&keydesk(home.path(), &["investigate", other, "--json"]));
        assert_ne!(out["verdict"], "compromised", "{other}");
    }

    // Helpdesk may not contain; the dry run shows the plan and changes nothing.
    let lee = keydesk(
        home.path(),
        &[
            "investigate",
            "JohannaL",
            "--contain",
            "--yes",
            "--as",
            "LeeG",
        ],
    );
    assert_eq!(lee.status.code(), Some(3));
    let planned = json(&keydesk(
        home.path(),
        &[
            "investigate",
            "JohannaL",
            "--contain",
            "--dry-run",
            "--json",
        ],
    ));
    assert_eq!(planned["containment"]["outcome"], "planned");
    let steps = planned["plan"]["steps"]
        .as_array()
        .expect("plan steps")
        .len();
    assert!(steps >= 7, "{planned}");

    let report_dir = home.path().join("case");
    let contained = keydesk(
        home.path(),
        &[
            "investigate",
            "JohannaL",
            "--contain",
            "--yes",
            "--json",
            "--report",
            report_dir.to_str().expect("utf-8"),
        ],
    );
    assert!(
        contained.status.success(),
        "{}",
        String::from_utf8_lossy(&contained.stderr)
    );
    let contained = json(&contained);
    assert_eq!(contained["containment"]["outcome"], "done", "{contained}");
    let verified = contained["containment"]["verified"].to_string();
    assert!(verified.contains("confirmedCompromised"), "{verified}");
    assert!(verified.contains("accountEnabled is false"), "{verified}");
    let html = std::fs::read_to_string(report_dir.join("report.html")).expect("html report");
    // Self-contained: the map is inline SVG and nothing is fetched.
    assert!(html.contains("<svg"));
    assert!(!html.contains("src=\"http") && !html.contains("<link") && !html.contains("url(http"));
    let markdown = std::fs::read_to_string(report_dir.join("report.md")).expect("markdown report");
    assert!(markdown.contains(&contained["evidence"][0]["sha256"].as_str().expect("sha")[..16]));

    // Containment is in the audit log, which still verifies.
    let audit = keydesk(home.path(), &["audit", "verify"]);
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
    let history =
        String::from_utf8_lossy(&keydesk(home.path(), &["history", "JohannaL"]).stdout).to_string();
    assert!(history.contains("contain_compromise outcome"), "{history}");
    assert!(
        history.contains("investigate_compromise evidence"),
        "{history}"
    );
}

fn fixture(name: &str) -> String {
    format!(
        "{}/../keydesk-investigate/tests/data/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn sign_in_files_are_investigated_and_hunted_without_a_tenant() {
    let home = tempfile::tempdir().expect("temp dir");
    let found = keydesk(
        home.path(),
        &[
            "investigate",
            "Ana@contoso.example",
            "--signins",
            &fixture("impossible_travel.json"),
            "--json",
        ],
    );
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    let found = json(&found);
    assert_eq!(found["user"], "ana@contoso.example");
    assert!(
        found["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["kind"] == "impossible_travel"),
        "{found}"
    );
    // "now" is the newest record of the file, not the wall clock.
    assert!(
        found["window"]["to"]
            .as_str()
            .expect("to")
            .starts_with("2025-")
    );

    let hunt = keydesk(
        home.path(),
        &[
            "hunt",
            "--signins",
            &fixture("hunt_password_spray.json"),
            "--json",
        ],
    );
    assert!(
        hunt.status.success(),
        "{}",
        String::from_utf8_lossy(&hunt.stderr)
    );
    let hunt = json(&hunt);
    let spray = hunt["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "password_spray")
        .unwrap_or_else(|| panic!("a password spray: {hunt}"));
    assert!(spray["users"].as_array().is_some_and(|u| u.len() >= 5));

    // No tenant was read or started.
    assert!(!home.path().join("demo-tenant.json").exists());

    let missing = keydesk(
        home.path(),
        &["hunt", "--signins", &fixture("no-such-file.json")],
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.json"));
    let by_name = keydesk(
        home.path(),
        &[
            "investigate",
            "Ana",
            "--signins",
            &fixture("impossible_travel.json"),
        ],
    );
    assert!(!by_name.status.success());
    assert!(String::from_utf8_lossy(&by_name.stderr).contains("UPN"));
}

#[test]
fn plain_language_requests_are_planned_and_run_through_the_guardrails() {
    let home = tempfile::tempdir().expect("temp dir");
    let home = home.path();
    // `plan --json`: exactly one object in the documented shape, and no side effects.
    let planned = keydesk(
        home,
        &[
            "plan",
            "--json",
            "Reset MFA for TomB@contoso.onmicrosoft.com — he got a new phone and can't sign in.",
        ],
    );
    assert!(
        planned.status.success(),
        "{}",
        String::from_utf8_lossy(&planned.stderr)
    );
    assert_eq!(
        json(&planned),
        serde_json::json!({
            "requester": "meganb@contoso.onmicrosoft.com",
            "steps": [{"action": "mfa_reset", "target": "tomb@contoso.onmicrosoft.com", "params": {}}],
            "clarification": null
        })
    );
    let ambiguous = keydesk(
        home,
        &["plan", "--json", "Reset the password for John Smith"],
    );
    assert_eq!(ambiguous.status.code(), Some(4));
    let ambiguous = json(&ambiguous);
    assert_eq!(ambiguous["steps"], serde_json::json!([]));
    assert_eq!(
        ambiguous["clarification"]["candidates"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // An employee: their own password is allowed and done; a colleague's is denied, nothing runs.
    let own = keydesk(
        home,
        &[
            "ask",
            "--as",
            "AliceC",
            "--yes",
            "Reset my Microsoft 365 password.",
        ],
    );
    let own_out = String::from_utf8_lossy(&own.stdout).to_string();
    assert!(
        own.status.success(),
        "{own_out}{}",
        String::from_utf8_lossy(&own.stderr)
    );
    assert!(own_out.contains("policy: allowed"), "{own_out}");
    assert!(
        own_out.contains("Reset alicec@contoso.onmicrosoft.com's password"),
        "{own_out}"
    );
    let colleague = keydesk(
        home,
        &["ask", "--as", "AliceC", "--yes", "Reset Diego's password"],
    );
    assert_eq!(colleague.status.code(), Some(3));
    let colleague_out = String::from_utf8_lossy(&colleague.stdout).to_string();
    assert!(colleague_out.contains("DENIED"), "{colleague_out}");
    assert!(
        colleague_out.contains("Nothing will run"),
        "{colleague_out}"
    );

    // A request that needs approval: the group's owner approves, the same request then runs.
    let request = "Request access to the All-Engineering group";
    let first = keydesk(home, &["ask", "--as", "SarahL", "--yes", request]);
    assert_eq!(first.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&first.stderr).to_string();
    let id = stderr
        .split_whitespace()
        .find(|w| w.starts_with("apr-"))
        .unwrap_or_else(|| panic!("an approval id: {stderr}"))
        .trim_end_matches([':', ',', '.'])
        .to_string();
    let by_requester = keydesk(home, &["approve", &id, "--as", "SarahL"]);
    assert!(!by_requester.status.success());
    let approved = keydesk(home, &["approve", &id, "--as", "DavidP"]);
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    let second = keydesk(home, &["ask", "--as", "SarahL", "--yes", request]);
    let second_out = String::from_utf8_lossy(&second.stdout).to_string();
    assert!(
        second.status.success(),
        "{second_out}{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(
        second_out.contains("Added sarahl@contoso.onmicrosoft.com to \"All-Engineering\""),
        "{second_out}"
    );

    // Dangerous nonsense: no steps, a plain explanation.
    let nonsense = keydesk(home, &["ask", "--yes", "delete the whole directory"]);
    assert_eq!(nonsense.status.code(), Some(3));
    assert!(!String::from_utf8_lossy(&nonsense.stdout).trim().is_empty());
}

/// The examples of `shared/design/requests.md`, asked end to end on the demo tenant (the
/// operator may skip end-user verification, as in unrestricted mode; employees may not).
#[test]
fn the_design_examples_run_end_to_end() {
    let home = tempfile::tempdir().expect("temp dir");
    let home = home.path();
    let list = home.join("list.txt");
    std::fs::write(
        &list,
        "AdeleV@contoso.onmicrosoft.com\nAlexW@contoso.onmicrosoft.com\n",
    )
    .expect("list");
    let photo = format!("{}/tests/data/photo.png", env!("CARGO_MANIFEST_DIR"));
    let unrestricted = [("KEYDESK_VERIFICATION_MODE", "unrestricted")];
    let cases: &[(&str, &[&str], Option<i32>, &str)] = &[
        (
            "Unlock AlexW@contoso.onmicrosoft.com — he called the helpdesk and can't sign in.",
            &[],
            Some(0),
            "Smart lockout",
        ),
        (
            "Create a new Entra user for noa.levi@contoso.onmicrosoft.com as Software Engineer in R&D, manager is DavidP@contoso.onmicrosoft.com, send credentials to David.",
            &[],
            Some(0),
            "Created noa.levi@contoso.onmicrosoft.com",
        ),
        (
            "Show me every locked Entra account in the Sales department and unlock the ones on this list.",
            &["--attach", list.to_str().expect("utf-8")],
            Some(0),
            "Unlocked adelev@contoso.onmicrosoft.com",
        ),
        (
            "Add SarahL@contoso.onmicrosoft.com to the \"Finance-Admins\" security group and the \"Finance-M365\" group.",
            &[],
            Some(0),
            "Added sarahl@contoso.onmicrosoft.com to \"Finance-M365\"",
        ),
        (
            "Reset the password for a user named \"John Smith\" — generate a strong one and force change on next login.",
            &[],
            Some(4),
            "john.smith@contoso.onmicrosoft.com",
        ),
        (
            "Who belongs to the \"IT Support\" group? And which groups is AliceC@contoso.onmicrosoft.com a member of?",
            &[],
            Some(0),
            "All-Engineering",
        ),
        (
            "Reset MFA for TomB@contoso.onmicrosoft.com — he got a new phone and can't sign in.",
            &[],
            Some(0),
            "Temporary Access Pass",
        ),
        (
            "Investigate whether JohannaL@contoso.onmicrosoft.com may be compromised in Microsoft 365. Review the last 7 days of sign-in activity, identify suspicious IPs, locations, risky sign-ins, or unfamiliar devices, revoke all active sessions, reset the password, require MFA re-registration, remove suspicious OAuth consents, and generate an incident summary with evidence.",
            &[],
            Some(0),
            "Contained johannal@contoso.onmicrosoft.com",
        ),
        (
            "Diego's sign-in is blocked by risk detection — unblock it.",
            &[],
            Some(0),
            "diegos@contoso.onmicrosoft.com",
        ),
        (
            "Which directory roles exist, and who can approve privileged resets?",
            &[],
            Some(0),
            "Privileged Authentication Administrator",
        ),
        (
            "Reset my Microsoft 365 password.",
            &["--as", "AliceC"],
            Some(0),
            "Reset alicec@contoso.onmicrosoft.com's password",
        ),
        // An employee's own MFA reset needs their manager's confirmation first.
        (
            "I got a new phone, reset my MFA so I can set up the authenticator again.",
            &["--as", "AliceC"],
            Some(3),
            "NEEDS VERIFICATION",
        ),
        (
            "Change my profile picture to the one I just attached.",
            &["--as", "AliceC", "--attach", photo.as_str()],
            Some(0),
            "photo",
        ),
        (
            "Update my mobile number to +1 415 555 0123 and office to \"SF HQ - Floor 4\".",
            &["--as", "AliceC"],
            Some(0),
            "SF HQ - Floor 4",
        ),
        (
            "Request access to the \"All-Engineering\" Teams group.",
            &["--as", "AliceC"],
            Some(0),
            "All-Engineering",
        ),
        (
            "Show my profile, my directory roles and my groups.",
            &["--as", "AliceC"],
            Some(0),
            "alicec@contoso.onmicrosoft.com",
        ),
    ];
    let mut failures = Vec::new();
    for (request, extra, code, expect) in cases {
        let mut args = vec!["ask", "--yes"];
        args.extend_from_slice(extra);
        args.push(request);
        let out = keydesk_with(home, &args, &unrestricted);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if out.status.code() != *code || !text.contains(expect) {
            failures.push(format!(
                "{request}\n  exit {:?} (expected {code:?}), expected {expect:?} in:\n{text}",
                out.status.code()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));

    // The employee's manager confirms; then her own MFA reset goes through.
    let code = verification_code(home, "AliceC", "AliceC");
    let confirmed = keydesk(
        home,
        &["verify", "AliceC", "--code", &code, "--as", "AliceC"],
    );
    assert!(
        confirmed.status.success(),
        "{}",
        String::from_utf8_lossy(&confirmed.stderr)
    );
    let reset = keydesk(
        home,
        &[
            "ask",
            "--yes",
            "--as",
            "AliceC",
            "I got a new phone, reset my MFA so I can set up the authenticator again.",
        ],
    );
    let out = String::from_utf8_lossy(&reset.stdout).to_string();
    assert!(
        reset.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    assert!(
        out.contains("Reset alicec@contoso.onmicrosoft.com's MFA"),
        "{out}"
    );
    // She cannot verify a colleague, nor choose a channel she might control.
    let colleague = keydesk(home, &["verify", "DiegoS", "--as", "AliceC"]);
    assert_eq!(colleague.status.code(), Some(3));
    let by_sms = keydesk(
        home,
        &["verify", "AliceC", "--method", "sms", "--as", "AliceC"],
    );
    assert_eq!(by_sms.status.code(), Some(3));
}
