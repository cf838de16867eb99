//! The synthetic benchmark: generate a population with injected attacks and benign look-alikes,
//! run the detections, print precision and recall per detection kind, and fail below the goal:
//! recall 1.0 on injected attacks and no `compromised` verdict for a benign user.

use std::collections::BTreeMap;

use keydesk_investigate::load::hunt_view;
use keydesk_investigate::synth::{SynthConfig, generate, synth_detection_config};
use keydesk_investigate::{FindingKind, VerdictKind, hunt, investigate};

#[derive(Default, Debug)]
struct Score {
    tp: usize,
    fp: usize,
    expected: usize,
    found: usize,
}

#[test]
fn precision_and_recall_meet_the_goal() {
    let config = SynthConfig::new(7, 1200);
    let world = generate(&config);
    let detection = synth_detection_config();
    let window = config.window();
    let mut scores: BTreeMap<FindingKind, Score> = BTreeMap::new();
    let mut missed = Vec::new();
    let mut benign_compromised = Vec::new();
    let mut attacked_not_flagged = Vec::new();
    for (upn, indexes) in world.by_user() {
        let label = world.label(&upn);
        let evidence = world.evidence(&upn, &indexes);
        let result = investigate(&evidence, window, &detection);
        let kinds: std::collections::BTreeSet<FindingKind> =
            result.findings.iter().map(|f| f.kind).collect();
        for kind in &label.expected {
            let score = scores.entry(*kind).or_default();
            score.expected += 1;
            if kinds.contains(kind) {
                score.found += 1;
            } else {
                missed.push(format!(
                    "{upn} ({}): {kind} missing; got {kinds:?}",
                    label.scenario
                ));
            }
        }
        for kind in &kinds {
            let score = scores.entry(*kind).or_default();
            if label.expected.contains(kind) || label.allowed.contains(kind) {
                score.tp += 1;
            } else {
                score.fp += 1;
            }
        }
        if label.benign && result.verdict.verdict == VerdictKind::Compromised {
            benign_compromised.push(format!(
                "{upn} ({}): {:?}",
                label.scenario, result.verdict.reasoning
            ));
        }
        if !label.benign
            && result.verdict.verdict == VerdictKind::Clean
            && label.scenario != "new_device"
        {
            attacked_not_flagged.push(format!("{upn} ({})", label.scenario));
        }
    }
    // Tenant-wide hunting over everyone's sign-ins.
    let records: Vec<_> = world.sign_ins.iter().map(hunt_view).collect();
    let report = hunt(&records, Some(window), &detection);
    for label in &world.hunts {
        let matched = report.findings.iter().any(|f| {
            Some(f.kind) == label.kind
                && match &label.ip {
                    Some(ip) => f.ip.as_deref() == Some(ip.as_str()),
                    None => {
                        f.users.iter().filter(|u| label.users.contains(*u)).count() * 2
                            >= label.users.len()
                    }
                }
        });
        if let Some(kind) = label.kind {
            let score = scores.entry(kind).or_default();
            score.expected += 1;
            if matched {
                score.found += 1;
            } else {
                missed.push(format!("hunt {}: {kind} missing", label.scenario));
            }
        }
    }
    for f in &report.findings {
        let explained = world.hunts.iter().any(|label| {
            label.kind == Some(f.kind) && f.users.iter().any(|u| label.users.contains(u))
        }) || (f.kind == FindingKind::BruteForce
            && f.users.iter().all(|u| {
                let l = world.label(u);
                l.expected.contains(&f.kind) || l.allowed.contains(&f.kind)
            }));
        let score = scores.entry(f.kind).or_default();
        if explained {
            score.tp += 1;
        } else {
            score.fp += 1;
        }
    }
    println!(
        "{:<28} {:>9} {:>7} {:>5} {:>5}",
        "kind", "precision", "recall", "tp", "fp"
    );
    for (kind, s) in &scores {
        let precision = if s.tp + s.fp == 0 {
            1.0
        } else {
            s.tp as f64 / (s.tp + s.fp) as f64
        };
        let recall = if s.expected == 0 {
            f64::NAN
        } else {
            s.found as f64 / s.expected as f64
        };
        println!(
            "{:<28} {:>9.3} {:>7.3} {:>5} {:>5}",
            kind.as_str(),
            precision,
            recall,
            s.tp,
            s.fp
        );
    }
    for kind in FindingKind::ALL {
        assert!(
            scores.get(&kind).is_some_and(|s| s.expected > 0),
            "the generator injects no {kind} attack"
        );
    }
    assert!(
        missed.is_empty(),
        "recall below 1.0:\n{}",
        missed.join("\n")
    );
    assert!(
        benign_compromised.is_empty(),
        "benign users judged compromised:\n{}",
        benign_compromised.join("\n")
    );
    assert!(
        attacked_not_flagged.is_empty(),
        "attacked users judged clean: {attacked_not_flagged:?}"
    );
    // No benign campaign may look like an attack.
    for label in world.hunts.iter().filter(|l| l.kind.is_none()) {
        let hit = report.findings.iter().find(|f| {
            f.ip == label.ip
                || f.users
                    .iter()
                    .any(|u| label.users.contains(u) && f.kind != FindingKind::BruteForce)
        });
        assert!(hit.is_none(), "{}: {hit:#?}", label.scenario);
    }
}

#[test]
fn generation_is_deterministic() {
    let a = generate(&SynthConfig::new(3, 250));
    let b = generate(&SynthConfig::new(3, 250));
    assert_eq!(a.sign_ins, b.sign_ins);
    let c = generate(&SynthConfig::new(4, 250));
    assert_ne!(a.sign_ins, c.sign_ins);
}

#[test]
fn export_round_trips_through_the_loader() {
    let world = generate(&SynthConfig::new(5, 220));
    let mut bytes = Vec::new();
    keydesk_investigate::synth::write_export(&world.sign_ins, &mut bytes).expect("writes");
    let (mut loaded, stats) = keydesk_investigate::load_sign_ins_slice(&bytes).expect("loads");
    assert_eq!(stats.records, world.sign_ins.len());
    assert_eq!(stats.skipped, 0);
    let mut original = world.sign_ins.clone();
    original.sort_by(|a, b| a.id.cmp(&b.id));
    loaded.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(loaded, original);
}
