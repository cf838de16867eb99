//! `keydesk diagnose` on a synced user with on-premises Active Directory configured (a real Samba
//! AD DC on loopback: `scripts/samba-ad.sh`, whose settings file `KEYDESK_TEST_AD_ENV` names) and
//! without it. The DC tests are skipped with a loud message when it is not available, except in
//! CI, where they are required.

use std::path::Path;
use std::process::{Command, Output};

fn keydesk(home: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
    command
        .args(args)
        .env("KEYDESK_HOME", home)
        .env_remove("KEYDESK_TENANT_ID")
        .env_remove("KEYDESK_DATABASE_URL")
        .env_remove("KEYDESK_AD_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("keydesk runs")
}

/// The `KEYDESK_AD_*` settings of the test DC, or `None` (skip) outside CI.
fn ad_settings() -> Option<Vec<(String, String)>> {
    let path = std::env::var("KEYDESK_TEST_AD_ENV").unwrap_or_default();
    if path.is_empty() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the Active Directory tests are required in CI: KEYDESK_TEST_AD_ENV is not set"
        );
        eprintln!(
            "\n==== SKIPPED: Active Directory CLI test needs a Samba AD DC; run\n====   export KEYDESK_TEST_AD_ENV=\"$(bash scripts/samba-ad.sh | tail -n 1)\"\n"
        );
        return None;
    }
    let text = std::fs::read_to_string(&path).expect("the AD settings file");
    Some(
        text.lines()
            .filter_map(|line| line.split_once('='))
            .filter(|(k, _)| k.starts_with("KEYDESK_AD_"))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
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
fn diagnose_grady_shows_both_linked_accounts_and_their_states() {
    let Some(settings) = ad_settings() else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    let text = keydesk(home.path(), &["diagnose", "GradyA"], &settings);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&text.stderr)
    );
    assert!(stdout.contains("linkedAccounts:"), "{stdout}");
    assert!(
        stdout.contains(
            "note: Active Directory account CN=Grady Archie,OU=R&D,OU=Users,DC=contoso,DC=local (gradya): "
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("locked out since") || stdout.contains("not locked"),
        "{stdout}"
    );

    let output = keydesk(home.path(), &["diagnose", "GradyA", "--json"], &settings);
    assert!(output.status.success());
    let linked = json(&output)["details"]["linkedAccounts"].clone();
    assert_eq!(linked[0]["store"], "entra", "{linked}");
    assert_eq!(
        linked[0]["userPrincipalName"],
        "gradya@contoso.onmicrosoft.com"
    );
    assert_eq!(linked[1]["store"], "ad", "{linked}");
    assert_eq!(linked[1]["status"], "found");
    assert_eq!(linked[1]["sAMAccountName"], "gradya");
    assert!(linked[1]["locked"].is_boolean(), "{linked}");
    assert!(linked[1]["badPwdCount"].is_number(), "{linked}");
    // The bind password appears nowhere.
    let password = settings
        .iter()
        .find(|(k, _)| k == "KEYDESK_AD_BIND_PASSWORD_FILE")
        .map(|(_, path)| std::fs::read_to_string(path).expect("password file"))
        .expect("a password file");
    let everything = format!(
        "{stdout}{}{}{}",
        String::from_utf8_lossy(&text.stderr),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!everything.contains(password.trim()));
}

#[test]
fn without_ad_diagnose_grady_says_ad_is_not_configured() {
    let home = tempfile::tempdir().expect("temp dir");
    let output = keydesk(home.path(), &["diagnose", "GradyA", "--json"], &[]);
    assert!(output.status.success());
    let report = json(&output);
    let linked = &report["details"]["linkedAccounts"];
    assert_eq!(linked[1]["store"], "ad", "{linked}");
    assert_eq!(linked[1]["status"], "not_configured", "{linked}");
    assert!(
        report["notes"].as_array().expect("notes").iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("Active Directory is not configured"))),
        "{report}"
    );
    // A cloud user has no linked AD account to speak of.
    let cloud = json(&keydesk(home.path(), &["diagnose", "AlexW", "--json"], &[]));
    assert!(cloud["details"]["linkedAccounts"].is_null(), "{cloud}");
}
