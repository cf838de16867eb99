//! One small sign-in export per detection under `tests/data`: each must produce its kind; the
//! benign look-alikes must not be `compromised`.

use std::path::PathBuf;

use keydesk_investigate::config::IpList;
use keydesk_investigate::model::Evidence;
use keydesk_investigate::{
    Config, FindingKind, Timestamp, VerdictKind, Window, hunt, investigate, load_hunt_file,
    load_sign_ins_file,
};

pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn config() -> Config {
    let mut config = Config::standard();
    config.anonymizer_networks = IpList::parse(["185.220.101.0/24"]).expect("valid list");
    config
}

/// Investigates `ana@contoso.example` in `<name>.json` (plus `<name>.extras.json`), with "now"
/// the newest record and a three-day window.
fn investigate_fixture(name: &str) -> keydesk_investigate::Investigation {
    let (sign_ins, stats) =
        load_sign_ins_file(&data(&format!("{name}.json"))).expect("fixture loads");
    assert_eq!(stats.skipped, 0, "{name}: every record parses");
    let mut evidence = Evidence::default();
    let extras = data(&format!("{name}.extras.json"));
    if extras.exists() {
        let text = std::fs::read_to_string(&extras).expect("extras readable");
        evidence = serde_json::from_str(&text).expect("extras parse");
    }
    evidence.user.user_principal_name = "ana@contoso.example".to_owned();
    let now = sign_ins
        .iter()
        .map(|s| s.created_date_time)
        .max()
        .expect("records")
        .plus(Timestamp::MINUTE);
    evidence.sign_ins = sign_ins;
    investigate(&evidence, Window::last_days(now, 3), &config())
}

fn kinds(investigation: &keydesk_investigate::Investigation) -> Vec<FindingKind> {
    investigation.findings.iter().map(|f| f.kind).collect()
}

#[track_caller]
fn check(name: &str, kind: FindingKind, verdict: VerdictKind) {
    let result = investigate_fixture(name);
    assert!(
        kinds(&result).contains(&kind),
        "{name}: expected {kind}, got {:#?}",
        result.findings
    );
    assert_eq!(
        result.verdict.verdict, verdict,
        "{name}: {:#?}",
        result.verdict.reasoning
    );
    let finding = result
        .findings
        .iter()
        .find(|f| f.kind == kind)
        .expect("found");
    assert!(!finding.summary.is_empty());
    assert!(
        !finding.signins.is_empty() || !finding.audits.is_empty() || !finding.grants.is_empty(),
        "{name}: the finding carries evidence"
    );
}

#[test]
fn brute_force() {
    check(
        "brute_force",
        FindingKind::BruteForce,
        VerdictKind::Suspicious,
    );
}

#[test]
fn success_after_failures() {
    check(
        "success_after_failures",
        FindingKind::SuccessAfterFailures,
        VerdictKind::Compromised,
    );
}

#[test]
fn mfa_fatigue() {
    check(
        "mfa_fatigue",
        FindingKind::MfaFatigue,
        VerdictKind::Compromised,
    );
}

#[test]
fn mfa_denied() {
    check(
        "mfa_denied",
        FindingKind::MfaDenied,
        VerdictKind::Suspicious,
    );
    let result = investigate_fixture("mfa_denied");
    assert_eq!(
        result.verdict.basis,
        keydesk_investigate::Basis::CredentialKnown
    );
}

#[test]
fn password_valid_mfa_blocked() {
    check(
        "password_valid_mfa_blocked",
        FindingKind::PasswordValidMfaBlocked,
        VerdictKind::Suspicious,
    );
}

#[test]
fn impossible_travel() {
    check(
        "impossible_travel",
        FindingKind::ImpossibleTravel,
        VerdictKind::Compromised,
    );
}

#[test]
fn new_country() {
    check(
        "new_country",
        FindingKind::NewCountry,
        VerdictKind::Suspicious,
    );
}

#[test]
fn anonymous_ip() {
    check(
        "anonymous_ip",
        FindingKind::AnonymousIp,
        VerdictKind::Compromised,
    );
}

#[test]
fn new_device() {
    check("new_device", FindingKind::NewDevice, VerdictKind::Clean);
}

#[test]
fn legacy_auth() {
    check(
        "legacy_auth",
        FindingKind::LegacyAuth,
        VerdictKind::Compromised,
    );
}

#[test]
fn attack_tool_user_agent() {
    check(
        "attack_tool_user_agent",
        FindingKind::AttackToolUserAgent,
        VerdictKind::Compromised,
    );
}

#[test]
fn token_replay() {
    check(
        "token_replay",
        FindingKind::TokenReplay,
        VerdictKind::Compromised,
    );
}

#[test]
fn device_code_phish() {
    check(
        "device_code_phish",
        FindingKind::DeviceCodePhish,
        VerdictKind::Compromised,
    );
}

#[test]
fn risky_signin() {
    check(
        "risky_signin",
        FindingKind::RiskySignin,
        VerdictKind::Suspicious,
    );
}

#[test]
fn new_auth_method() {
    check(
        "new_auth_method",
        FindingKind::NewAuthMethod,
        VerdictKind::Compromised,
    );
    let result = investigate_fixture("new_auth_method");
    let finding = result
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::NewAuthMethod)
        .expect("found");
    assert_eq!(finding.methods, ["3179e48a-750b-4051-897c-87b9720928f7"]);
}

#[test]
fn suspicious_oauth_grant() {
    check(
        "suspicious_oauth_grant",
        FindingKind::SuspiciousOauthGrant,
        VerdictKind::Compromised,
    );
    let result = investigate_fixture("suspicious_oauth_grant");
    let finding = result
        .findings
        .iter()
        .find(|f| f.kind == FindingKind::SuspiciousOauthGrant)
        .expect("found");
    assert_eq!(finding.grants, ["grant-1"]);
    assert_eq!(finding.service_principals, ["sp-evil"]);
}

#[test]
fn benign_look_alikes_are_not_compromised() {
    for name in ["benign_travel", "benign_typos", "benign_vpn_exit"] {
        let result = investigate_fixture(name);
        assert_ne!(
            result.verdict.verdict,
            VerdictKind::Compromised,
            "{name}: {:#?}",
            result.findings
        );
    }
    let typos = investigate_fixture("benign_typos");
    assert!(typos.findings.is_empty(), "{:#?}", typos.findings);
    assert_eq!(typos.verdict.verdict, VerdictKind::Clean);
    let vpn = investigate_fixture("benign_vpn_exit");
    assert!(kinds(&vpn).is_empty(), "{:#?}", vpn.findings);
    let travel = investigate_fixture("benign_travel");
    assert!(!kinds(&travel).contains(&FindingKind::ImpossibleTravel));
}

#[track_caller]
fn check_hunt(name: &str, kind: FindingKind) -> keydesk_investigate::Finding {
    let (records, _) = load_hunt_file(&data(&format!("hunt_{name}.json"))).expect("loads");
    let report = hunt(&records, None, &config());
    report
        .findings
        .iter()
        .find(|f| f.kind == kind)
        .cloned()
        .unwrap_or_else(|| panic!("{name}: expected {kind}, got {:#?}", report.findings))
}

#[test]
fn hunt_password_spray() {
    let finding = check_hunt("password_spray", FindingKind::PasswordSpray);
    assert_eq!(finding.ip.as_deref(), Some("185.156.1.1"));
    assert_eq!(finding.users.len(), 8);
}

#[test]
fn hunt_credential_stuffing() {
    let finding = check_hunt("credential_stuffing", FindingKind::CredentialStuffing);
    assert_eq!(finding.ip, None);
    assert_eq!(finding.users.len(), 40);
}

#[test]
fn hunt_lockout_surge() {
    let finding = check_hunt("lockout_surge", FindingKind::LockoutSurge);
    assert_eq!(finding.users.len(), 28);
}

#[test]
fn hunt_brute_force() {
    let finding = check_hunt("brute_force", FindingKind::BruteForce);
    assert_eq!(finding.users, ["bob@contoso.example"]);
    assert_eq!(finding.ip.as_deref(), Some("185.156.1.1"));
}

#[test]
fn hunt_json_shape() {
    let (records, _) = load_hunt_file(&data("hunt_password_spray.json")).expect("loads");
    let report = hunt(&records, None, &config());
    let json = serde_json::to_value(keydesk_investigate::HuntOutput::from(&report)).expect("json");
    let first = &json["findings"][0];
    assert_eq!(first["kind"], "password_spray");
    assert_eq!(first["ip"], "185.156.1.1");
    assert!(first["users"].as_array().is_some_and(|u| u.len() == 8));
}
