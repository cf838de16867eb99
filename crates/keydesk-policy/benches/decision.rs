//! Policy decision latency: `cargo bench -p keydesk-policy`.
//!
//! Times [`keydesk_policy::evaluate`] one call at a time over a mix of realistic requests drawn
//! from the demo tenant (helpdesk resets with and without verification, privileged targets with
//! and without approval, employee self-service, group requests, read-only lookups, a bulk unlock
//! list with a Global Administrator in it) and prints p50 / p90 / p99 / p99.9 / max per kind and
//! overall. Each call binds approvals and verification and builds the Cedar entities and context
//! from typed facts, as the engine does for every request; requests that end in "needs approval"
//! or "needs verification" include the hypothetical re-evaluations. Goal: p99 under 100 µs.
//!
//! Options after `--`: `--iterations N` (default 20000 rounds over the mix).

use std::hint::black_box;
use std::time::{Duration, Instant};

use keydesk_policy::{
    Action, Approval, ContextFacts, DecisionRequest, Effect, Origin, PolicyEngine, PolicySettings,
    Principal, PrincipalKind, Resource, TargetGroup, TargetUser, Verification, VerificationMethod,
    evaluate,
};

const NOW: i64 = 1_800_000_000;

fn upn(name: &str) -> String {
    format!("{name}@contoso.onmicrosoft.com")
}

fn operator(name: &str, roles: &[&str], groups: &[&str]) -> Principal {
    Principal {
        upn: upn(name),
        kind: PrincipalKind::Operator,
        directory_roles: roles.iter().map(|role| role.to_string()).collect(),
        groups: groups.iter().map(|group| group.to_string()).collect(),
        unlock_any_account: false,
    }
}

fn employee(name: &str, groups: &[&str]) -> Principal {
    Principal {
        upn: upn(name),
        kind: PrincipalKind::Employee,
        directory_roles: vec![],
        groups: groups.iter().map(|group| group.to_string()).collect(),
        unlock_any_account: false,
    }
}

fn user(name: &str, department: &str, privileged_roles: &[&str]) -> Resource {
    Resource::User(TargetUser {
        upn: upn(name),
        department: department.into(),
        privileged_roles: privileged_roles
            .iter()
            .map(|role| role.to_string())
            .collect(),
        synced: false,
        mfa_registered: true,
    })
}

fn context(plan: &str) -> ContextFacts {
    ContextFacts {
        plan_hash: plan.into(),
        approvals: vec![],
        verification: None,
        origin: Origin::Cli,
        bulk: false,
        now: NOW,
        sensitive_actions_last_hour: 3,
        profile_fields: vec![],
    }
}

fn verified(name: &str) -> Option<Verification> {
    Some(Verification {
        method: VerificationMethod::RegisteredMethod,
        target: upn(name),
        code_used: false,
        expires_at: NOW + 300,
    })
}

fn approval(by: &str, roles: &[&str], plan: &str) -> Approval {
    Approval {
        approver: upn(by),
        approver_roles: roles.iter().map(|role| role.to_string()).collect(),
        plan_hash: plan.into(),
        used: false,
        expires_at: NOW + 600,
    }
}

/// One kind of request in the mix, with the effect it must produce.
struct Kind {
    label: &'static str,
    expected: Effect,
    requests: Vec<DecisionRequest>,
}

fn mix() -> Vec<Kind> {
    let lee = operator(
        "LeeG",
        &["Helpdesk Administrator"],
        &["IT Support", "Helpdesk Operators"],
    );
    let patti = operator(
        "PattiF",
        &[
            "Privileged Authentication Administrator",
            "Security Administrator",
        ],
        &["IT Support"],
    );
    let megan_roles = ["Global Administrator"];
    let alice = employee("AliceC", &["All-Engineering", "Sales Team"]);
    let sarah = employee("SarahL", &[]);
    let request =
        |principal: &Principal, action: Action, resource: Resource, context: ContextFacts| {
            DecisionRequest {
                principal: principal.clone(),
                action,
                resource,
                context,
            }
        };

    let helpdesk_reset = {
        let mut ctx = context("plan-alexw");
        ctx.verification = verified("AlexW");
        request(
            &lee,
            Action::PasswordReset,
            user("AlexW", "Sales", &[]),
            ctx,
        )
    };
    let helpdesk_reset_unverified = request(
        &lee,
        Action::PasswordReset,
        user("AlexW", "Sales", &[]),
        context("plan-alexw"),
    );
    let privileged_without_approval = {
        let mut ctx = context("plan-nestorw");
        ctx.verification = verified("NestorW");
        ctx.approvals = vec![approval(
            "PattiF",
            &["Privileged Authentication Administrator"],
            "plan-nestorw",
        )];
        request(
            &patti,
            Action::PasswordReset,
            user("NestorW", "Operations", &megan_roles),
            ctx,
        )
    };
    let privileged_with_approval = {
        let mut ctx = context("plan-nestorw");
        ctx.verification = verified("NestorW");
        ctx.approvals = vec![approval("MeganB", &megan_roles, "plan-nestorw")];
        request(
            &patti,
            Action::PasswordReset,
            user("NestorW", "Operations", &megan_roles),
            ctx,
        )
    };
    let helpdesk_on_admin = {
        let mut ctx = context("plan-nestorw");
        ctx.verification = verified("NestorW");
        request(
            &lee,
            Action::PasswordReset,
            user("NestorW", "Operations", &megan_roles),
            ctx,
        )
    };
    let self_service = request(
        &alice,
        Action::PasswordReset,
        user("AliceC", "R&D", &[]),
        context("plan-alicec"),
    );
    let employee_on_colleague = request(
        &alice,
        Action::PasswordReset,
        user("SarahL", "Finance", &[]),
        context("plan-sarahl"),
    );
    let engineering = Resource::Group(TargetGroup {
        name: "All-Engineering".into(),
        owners: vec![upn("DavidP")],
        privileged: false,
    });
    let group_request = request(
        &sarah,
        Action::RequestAccess,
        engineering.clone(),
        context("plan-group"),
    );
    let group_request_approved = {
        let mut ctx = context("plan-group");
        ctx.approvals = vec![approval("DavidP", &[], "plan-group")];
        request(&sarah, Action::RequestAccess, engineering, ctx)
    };
    let read_only = request(
        &lee,
        Action::ShowUser,
        user("NestorW", "Operations", &megan_roles),
        context(""),
    );
    let search = request(&lee, Action::SearchUsers, Resource::Tenant, context(""));

    // A bulk unlock of 50 Sales users with NestorW slipped into the list.
    let mut bulk_ordinary = Vec::new();
    for index in 0..50 {
        let name = format!("sales.user{index:03}");
        let mut ctx = context(&format!("plan-bulk-{index}"));
        ctx.bulk = true;
        ctx.verification = verified(&name);
        bulk_ordinary.push(request(
            &lee,
            Action::UnlockAccount,
            user(&name, "Sales", &[]),
            ctx,
        ));
    }
    let bulk_admin = {
        let mut ctx = context("plan-bulk-nestorw");
        ctx.bulk = true;
        ctx.verification = verified("NestorW");
        request(
            &lee,
            Action::UnlockAccount,
            user("NestorW", "Operations", &megan_roles),
            ctx,
        )
    };

    vec![
        Kind {
            label: "helpdesk reset, verified (allow)",
            expected: Effect::Allow,
            requests: vec![helpdesk_reset],
        },
        Kind {
            label: "helpdesk reset, unverified (needs verification)",
            expected: Effect::NeedsVerification,
            requests: vec![helpdesk_reset_unverified],
        },
        Kind {
            label: "PAA on a GA, self-approved (needs approval)",
            expected: Effect::NeedsApproval,
            requests: vec![privileged_without_approval],
        },
        Kind {
            label: "PAA on a GA, GA approval (allow)",
            expected: Effect::Allow,
            requests: vec![privileged_with_approval],
        },
        Kind {
            label: "helpdesk on a GA (deny, 3 what-ifs)",
            expected: Effect::Deny,
            requests: vec![helpdesk_on_admin],
        },
        Kind {
            label: "employee self-service (allow)",
            expected: Effect::Allow,
            requests: vec![self_service],
        },
        Kind {
            label: "employee on a colleague (deny)",
            expected: Effect::Deny,
            requests: vec![employee_on_colleague],
        },
        Kind {
            label: "group request (needs owner approval)",
            expected: Effect::NeedsApproval,
            requests: vec![group_request],
        },
        Kind {
            label: "group request, owner approved (allow)",
            expected: Effect::Allow,
            requests: vec![group_request_approved],
        },
        Kind {
            label: "read-only show_user (allow)",
            expected: Effect::Allow,
            requests: vec![read_only],
        },
        Kind {
            label: "read-only search (allow)",
            expected: Effect::Allow,
            requests: vec![search],
        },
        Kind {
            label: "bulk unlock item, ordinary (allow)",
            expected: Effect::Allow,
            requests: bulk_ordinary,
        },
        Kind {
            label: "bulk unlock item, a GA (deny)",
            expected: Effect::Deny,
            requests: vec![bulk_admin],
        },
    ]
}

struct Figures {
    count: usize,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
}

fn figures(samples: &mut [Duration]) -> Figures {
    samples.sort_unstable();
    let at = |quantile: f64| {
        let index = ((samples.len() as f64 - 1.0) * quantile).round() as usize;
        samples[index]
    };
    Figures {
        count: samples.len(),
        p50: at(0.50),
        p90: at(0.90),
        p99: at(0.99),
        p999: at(0.999),
        max: samples[samples.len() - 1],
    }
}

fn micros(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1e6)
}

fn main() {
    let mut iterations: usize = 20_000;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--iterations" {
            iterations = args
                .next()
                .and_then(|n| n.parse().ok())
                .expect("--iterations N");
        }
        // Other arguments (`--bench` from cargo) are ignored.
    }

    let load_started = Instant::now();
    let engine = PolicyEngine::with_default_policy(PolicySettings::recommended())
        .expect("the default policy loads");
    let load_time = load_started.elapsed();

    let kinds = mix();
    for kind in &kinds {
        for request in &kind.requests {
            let decision = evaluate(&engine, request);
            assert_eq!(
                decision.effect, kind.expected,
                "{}: {}",
                kind.label, decision.summary
            );
        }
    }

    // Warm up, then time each decision on its own. Every round visits each kind once (a bulk
    // kind contributes one of its items per round, in turn).
    for round in 0..1_000 {
        for kind in &kinds {
            black_box(evaluate(
                &engine,
                &kind.requests[round % kind.requests.len()],
            ));
        }
    }
    let mut per_kind: Vec<Vec<Duration>> = kinds
        .iter()
        .map(|_| Vec::with_capacity(iterations))
        .collect();
    let mut all = Vec::with_capacity(iterations * kinds.len());
    let started = Instant::now();
    for round in 0..iterations {
        for (position, kind) in kinds.iter().enumerate() {
            let request = &kind.requests[round % kind.requests.len()];
            let before = Instant::now();
            let decision = evaluate(&engine, black_box(request));
            let elapsed = before.elapsed();
            black_box(decision);
            per_kind[position].push(elapsed);
            all.push(elapsed);
        }
    }
    let wall = started.elapsed();

    println!("keydesk-policy decision latency (cargo bench -p keydesk-policy)");
    println!(
        "policy load and strict validation: {:.2} ms; {} policies",
        load_time.as_secs_f64() * 1e3,
        engine.policies().len()
    );
    println!(
        "{:<50} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "request (µs)", "n", "p50", "p90", "p99", "p99.9", "max"
    );
    for (kind, samples) in kinds.iter().zip(per_kind.iter_mut()) {
        let f = figures(samples);
        println!(
            "{:<50} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            kind.label,
            f.count,
            micros(f.p50),
            micros(f.p90),
            micros(f.p99),
            micros(f.p999),
            micros(f.max)
        );
    }
    let f = figures(&mut all);
    println!(
        "{:<50} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "ALL",
        f.count,
        micros(f.p50),
        micros(f.p90),
        micros(f.p99),
        micros(f.p999),
        micros(f.max)
    );
    println!(
        "throughput: {:.0} decisions/s on one thread; goal p99 < 100 µs: {}",
        f.count as f64 / wall.as_secs_f64(),
        if f.p99 < Duration::from_micros(100) {
            "met"
        } else {
            "NOT met"
        }
    );
}
