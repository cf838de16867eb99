//! The Contoso demo tenant served by keydesk-graph-emu on loopback: evidence is collected through
//! keydesk-graph over real HTTP, then investigated. JohannaL is compromised with the issue's
//! findings; every other cast member is not; AlexW's lockout is brute-force evidence.

use keydesk_graph::{Credential, GraphClient, GraphConfig, Secret};
use keydesk_graph_emu::seed::{self, apps::KEYDESK_APP_ID};
use keydesk_graph_emu::{Emulator, RunningEmulator, SeedConfig, SimulationConfig};
use keydesk_investigate::contain::ContainmentAction;
use keydesk_investigate::report::{ReportInput, render_html, render_markdown};
use keydesk_investigate::{
    CollectOptions, Config, FindingKind, Investigation, Timestamp, VerdictKind, Window,
    collect_evidence, investigate, plan_containment, write_snapshot,
};

const CAST: &[&str] = &[
    "MeganB",
    "LeeG",
    "PattiF",
    "NestorW",
    "MiriamG",
    "AlexW",
    "AdeleV",
    "DiegoS",
    "IsaiahL",
    "ShaneO",
    "JohannaL",
    "GradyA",
    "HenriettaM",
    "DavidP",
    "AliceC",
    "LidiaH",
    "john.smith",
    "jsmith",
    "IrvinS",
    "SarahL",
    "TomB",
    "LynneR",
    "JoniS",
];

async fn start() -> (Emulator, RunningEmulator, GraphClient) {
    let emulator = Emulator::demo(
        &SeedConfig {
            background_users: 40,
            ..SeedConfig::default()
        },
        SimulationConfig::default(),
    );
    let running = emulator
        .serve("127.0.0.1:0".parse().expect("loopback"))
        .await
        .expect("emulator starts");
    let secret = emulator
        .add_client_secret(KEYDESK_APP_ID, time::Duration::hours(1))
        .expect("demo app exists");
    let config = GraphConfig::new(
        emulator.tenant_id(),
        KEYDESK_APP_ID,
        Credential::Secret(Secret::new(secret)),
    )
    .and_then(|c| c.with_authority_host(running.base_url.parse().expect("url")))
    .and_then(|c| c.with_graph_base(running.graph_v1().parse().expect("url")))
    .expect("valid config");
    let graph = GraphClient::new(config).expect("client builds");
    (emulator, running, graph)
}

fn kinds(investigation: &Investigation) -> Vec<FindingKind> {
    investigation.findings.iter().map(|f| f.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_tenant_cast() {
    let (emulator, _running, graph) = start().await;
    let now = Timestamp::from_datetime(emulator.now());
    let window = Window::last_days(now, 7);
    let options = CollectOptions::for_window(window);
    let config = Config::standard();
    let dir = tempfile::tempdir().expect("temp dir");
    for local in CAST {
        let upn = seed::upn(local);
        let snapshot = collect_evidence(&graph, &upn, &options, now)
            .await
            .unwrap_or_else(|e| panic!("{local}: {e}"));
        assert!(snapshot.gaps.is_empty(), "{local}: {:?}", snapshot.gaps);
        let evidence = snapshot.to_evidence();
        let result = investigate(&evidence, window, &config);
        println!(
            "{local:<11} {:<11} {:?}",
            result.verdict.verdict.as_str(),
            kinds(&result)
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
        );
        match *local {
            "JohannaL" => {
                assert_eq!(
                    result.verdict.verdict,
                    VerdictKind::Compromised,
                    "{:#?}",
                    result.findings
                );
                for kind in [
                    FindingKind::ImpossibleTravel,
                    FindingKind::NewDevice,
                    FindingKind::MfaFatigue,
                    FindingKind::NewAuthMethod,
                    FindingKind::SuspiciousOauthGrant,
                ] {
                    assert!(
                        kinds(&result).contains(&kind),
                        "JohannaL lacks {kind}: {:#?}",
                        result.findings
                    );
                }
                // Evidence is preserved with a hash before anything changes.
                let path = dir.path().join("johanna.json");
                let sha = write_snapshot(&path, &snapshot).expect("snapshot written");
                assert_eq!(sha.len(), 64);
                let bytes = std::fs::read(&path).expect("readable");
                assert_eq!(keydesk_investigate::collect::sha256_hex(&bytes), sha);
                assert!(
                    write_snapshot(&path, &snapshot).is_err(),
                    "evidence is never overwritten"
                );
                // The plan targets the attacker's phone, the grant and the app, in order.
                let plan = plan_containment(&result, &evidence, &config);
                let actions: Vec<ContainmentAction> = plan.steps.iter().map(|s| s.action).collect();
                let position =
                    |a: ContainmentAction| actions.iter().position(|x| *x == a).expect("planned");
                assert_eq!(actions[0], ContainmentAction::PreserveEvidence);
                assert!(
                    position(ContainmentAction::RevokeSessions)
                        < position(ContainmentAction::RemoveAuthMethod)
                );
                assert!(
                    position(ContainmentAction::RemoveAuthMethod)
                        < position(ContainmentAction::RemoveGrant)
                );
                assert!(
                    position(ContainmentAction::RemoveGrant)
                        < position(ContainmentAction::ConfirmCompromised)
                );
                assert!(
                    position(ContainmentAction::ConfirmCompromised)
                        < position(ContainmentAction::PasswordReset)
                );
                assert_eq!(actions.last(), Some(&ContainmentAction::IssueTap));
                let phone = evidence
                    .auth_methods
                    .iter()
                    .find(|m| {
                        m.phone_number
                            .as_deref()
                            .is_some_and(|n| n.starts_with("+44"))
                    })
                    .expect("the attacker's phone is listed");
                let removal = plan
                    .steps
                    .iter()
                    .find(|s| s.action == ContainmentAction::RemoveAuthMethod)
                    .expect("removal planned");
                assert_eq!(removal.targets[0].id, phone.id);
                let grant = &evidence
                    .grants
                    .iter()
                    .find(|g| {
                        g.client.as_ref().and_then(|c| c.display_name.as_deref())
                            == Some("Mail Helper Pro")
                    })
                    .expect("grant")
                    .grant;
                assert!(
                    plan.steps
                        .iter()
                        .any(|s| s.action == ContainmentAction::RemoveGrant
                            && s.targets[0].id == grant.id)
                );
                assert!(
                    plan.steps
                        .iter()
                        .any(|s| s.action == ContainmentAction::DisableApp
                            && s.targets[0].id == grant.client_id)
                );
                assert!(!plan.follow_ups.is_empty());
                let input = ReportInput {
                    case_id: "case-1",
                    generated_at: now,
                    investigation: &result,
                    evidence: &evidence,
                    plan: Some(&plan),
                    actions: &[],
                    evidence_files: &[keydesk_investigate::output::EvidenceRef {
                        path: path.display().to_string(),
                        sha256: sha,
                    }],
                };
                let html = render_html(&input);
                assert!(html.contains("<svg") && html.contains("Singapore"));
                assert!(render_markdown(&input).contains("| impossible_travel | high |"));
            }
            "AlexW" => {
                assert_ne!(result.verdict.verdict, VerdictKind::Compromised);
                assert!(
                    kinds(&result)
                        .iter()
                        .any(|k| matches!(k, FindingKind::BruteForce | FindingKind::PasswordSpray)),
                    "AlexW: {:#?}",
                    result.findings
                );
            }
            _ => assert_ne!(
                result.verdict.verdict,
                VerdictKind::Compromised,
                "{local}: {:#?}",
                result.verdict.reasoning
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_tenant_hunt() {
    let (emulator, _running, graph) = start().await;
    let now = Timestamp::from_datetime(emulator.now());
    let window = Window::last_days(now, 7);
    let records = keydesk_investigate::collect_tenant_sign_ins(&graph, window, 100_000)
        .await
        .expect("tenant sign-ins");
    assert!(records.len() > 100);
    let report = keydesk_investigate::hunt(&records, Some(window), &Config::standard());
    let alex = seed::upn("AlexW").to_lowercase();
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::BruteForce
                && f.users == [alex.clone()]
                && f.ip.is_some()),
        "{:#?}",
        report.findings
    );
}
