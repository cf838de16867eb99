//! Planning latency, excluding directory I/O: the Contoso demo tenant (23 named people, 300
//! background users, 8 groups) is loaded into a `MemoryDirectory` once, then each request of
//! requests.md is planned against it. Prints p50/p99 per request over many runs.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use keydesk_graph_emu::SeedConfig;
use keydesk_planner::{Attachment, GroupEntry, MemoryDirectory, Person, Request};

fn directory() -> MemoryDirectory {
    let now = time::macros::datetime!(2026-03-02 09:00 UTC);
    let tenant = keydesk_graph_emu::seed::contoso(&SeedConfig::default(), now);
    let people = tenant
        .users
        .values()
        .map(|r| Person {
            upn: r.user.user_principal_name.clone(),
            display_name: r.user.display_name.clone(),
            given_name: r.user.given_name.clone(),
            surname: r.user.surname.clone(),
            mail: r.user.mail.clone(),
            mail_nickname: Some(r.user.mail_nickname.clone()),
            department: r.user.department.clone(),
            job_title: r.user.job_title.clone(),
            city: r.user.city.clone(),
        })
        .collect();
    let groups = tenant
        .groups
        .values()
        .map(|r| GroupEntry {
            display_name: r.group.display_name.clone(),
            mail_nickname: Some(r.group.mail_nickname.clone()),
        })
        .collect();
    MemoryDirectory::new(people, groups)
}

const REQUESTS: &[&str] = &[
    "Unlock AlexW@contoso.onmicrosoft.com — he called the helpdesk and can't sign in.",
    "Create a new Entra user for noa.levi@contoso.onmicrosoft.com as Software Engineer in R&D, manager is DavidP@contoso.onmicrosoft.com, send credentials to David.",
    "Show me every locked Entra account in the Sales department and unlock the ones on this list.",
    "Add SarahL@contoso.onmicrosoft.com to the \"Finance-Admins\" security group and the \"Finance-M365\" group.",
    "Reset the password for a user named \"John Smith\" — generate a strong one and force change on next login.",
    "Who belongs to the \"IT Support\" group? And which groups is AliceC@contoso.onmicrosoft.com a member of?",
    "Reset MFA for TomB@contoso.onmicrosoft.com — he got a new phone and can't sign in.",
    "Investigate whether JohannaL@contoso.onmicrosoft.com may be compromised in Microsoft 365. Review the last 7 days of sign-in activity, identify suspicious IPs, locations, risky sign-ins, or unfamiliar devices, revoke all active sessions, reset the password, require MFA re-registration, remove suspicious OAuth consents, and generate an incident summary with evidence.",
    "Diego's sign-in is blocked by risk detection — unblock it.",
    "Which directory roles exist, and who can approve privileged resets?",
    "Reset my Microsoft 365 password.",
    "I got a new phone, reset my MFA so I can set up the authenticator again.",
    "Change my profile picture to the one I just attached.",
    "Update my mobile number to +1 415 555 0123 and office to \"SF HQ - Floor 4\".",
    "Request access to the \"All-Engineering\" Teams group.",
    "Show my profile, my directory roles and my groups.",
    "pls resset the pasword for Alex Wilbur and unblcok Deigo",
];

fn planning(c: &mut Criterion) {
    let directory = directory();
    let requests: Vec<Request> = REQUESTS
        .iter()
        .map(|text| Request {
            requester: "MeganB@contoso.onmicrosoft.com".into(),
            text: (*text).into(),
            attachments: vec![
                Attachment::text("list.txt", "AlexW\nIsaiahL\n"),
                Attachment::image("me.jpg"),
            ],
        })
        .collect();

    // Per-request latency distribution.
    let mut samples: Vec<Duration> = Vec::new();
    for _ in 0..300 {
        for request in &requests {
            let start = Instant::now();
            black_box(keydesk_planner::plan(black_box(request), &directory));
            samples.push(start.elapsed());
        }
    }
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    eprintln!(
        "planning latency over {} plans: p50 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );

    c.bench_function("plan requests.md (17 requests)", |b| {
        b.iter(|| {
            for request in &requests {
                black_box(keydesk_planner::plan(black_box(request), &directory));
            }
        })
    });
    let long = Request::new(
        "MeganB@contoso.onmicrosoft.com",
        &"I have been trying all morning and "
            .repeat(110)
            .to_string(),
    );
    c.bench_function("plan a 3.9 KB request", |b| {
        b.iter(|| black_box(keydesk_planner::plan(black_box(&long), &directory)))
    });
}

criterion_group!(benches, planning);
criterion_main!(benches);
