//! Diagnosis cases as data: a compact sign-in history per case and the causes expected.

use time::macros::datetime;

use super::*;

const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

/// `(minutes ago, error code, ip)`.
type Row = (i64, i64, &'static str);

struct Case {
    name: &'static str,
    enabled: bool,
    synced: bool,
    risk: Option<(&'static str, &'static str)>,
    mfa: bool,
    rows: &'static [Row],
    expected: &'static [CauseKind],
}

fn evidence(case: &Case) -> Evidence {
    Evidence {
        now: NOW,
        user: UserFacts {
            user_principal_name: "x@contoso.onmicrosoft.com".into(),
            display_name: "X".into(),
            account_enabled: case.enabled,
            synced_from_on_premises: case.synced,
            on_premises_sam_account_name: None,
        },
        sign_ins: case
            .rows
            .iter()
            .enumerate()
            .map(|(i, (ago, code, ip))| SignInFact {
                id: format!("s{i}"),
                at: NOW - Duration::minutes(*ago),
                error_code: *code,
                ip_address: ip.to_string(),
                city: None,
                country: None,
                app: "OfficeHome".into(),
                failure_reason: None,
            })
            .collect(),
        risk: case.risk.map(|(level, state)| RiskFact {
            level: level.into(),
            state: state.into(),
            detail: "none".into(),
            last_updated: NOW,
        }),
        methods: if case.mfa {
            vec![MethodFact {
                kind: "microsoftAuthenticator".into(),
                mfa_capable: true,
            }]
        } else {
            Vec::new()
        },
        privileged_roles: Vec::new(),
    }
}

const HOME: &str = "203.0.113.10";
const ATTACKER: &str = "198.51.100.66";

const CASES: &[Case] = &[
    Case {
        name: "healthy",
        enabled: true,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[(600, 0, HOME), (60, 0, HOME)],
        expected: &[],
    },
    Case {
        name: "yesterday's typo is history",
        enabled: true,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[(1500, 50126, HOME), (1490, 0, HOME)],
        expected: &[],
    },
    Case {
        name: "disabled",
        enabled: false,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[(600, 0, HOME), (30, 50057, HOME)],
        expected: &[CauseKind::AccountDisabled],
    },
    Case {
        name: "smart lockout from an attacker",
        enabled: true,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[
            (600, 0, HOME),
            (20, 50126, ATTACKER),
            (19, 50126, ATTACKER),
            (18, 50053, ATTACKER),
            (1, 50053, HOME),
        ],
        expected: &[CauseKind::SmartLockout],
    },
    Case {
        name: "expired password",
        enabled: true,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[(3000, 0, HOME), (10, 50055, HOME)],
        expected: &[CauseKind::PasswordExpired],
    },
    Case {
        name: "risky user",
        enabled: true,
        synced: false,
        risk: Some(("high", "atRisk")),
        mfa: true,
        rows: &[(3000, 0, HOME), (10, 530032, HOME)],
        expected: &[CauseKind::RiskBlocked],
    },
    Case {
        name: "dismissed risk is not a cause",
        enabled: true,
        synced: false,
        risk: Some(("none", "dismissed")),
        mfa: true,
        rows: &[(10, 0, HOME)],
        expected: &[],
    },
    Case {
        name: "no MFA registered",
        enabled: true,
        synced: false,
        risk: None,
        mfa: false,
        rows: &[(10, 50079, HOME)],
        expected: &[CauseKind::MfaNotRegistered],
    },
    Case {
        name: "conditional access",
        enabled: true,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[(100, 0, HOME), (10, 53003, HOME)],
        expected: &[CauseKind::ConditionalAccessBlocked],
    },
    Case {
        name: "wrong password only",
        enabled: true,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[(100, 0, HOME), (10, 50126, HOME), (9, 50126, HOME)],
        expected: &[CauseKind::WrongPassword],
    },
    Case {
        name: "disabled and expired, disabled first",
        enabled: false,
        synced: false,
        risk: None,
        mfa: true,
        rows: &[(20, 50055, HOME), (10, 50057, HOME)],
        expected: &[CauseKind::AccountDisabled, CauseKind::PasswordExpired],
    },
];

#[test]
fn diagnoses_each_case() {
    for case in CASES {
        let diagnosis = diagnose(&evidence(case));
        let kinds: Vec<CauseKind> = diagnosis.causes.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, case.expected, "case '{}'", case.name);
    }
}

#[test]
fn lockout_names_the_unfamiliar_ip_and_the_remaining_time() {
    let case = &CASES[3];
    let diagnosis = diagnose(&evidence(case));
    let Fix::WaitForLockout {
        remaining,
        attack_suspected,
        unfamiliar_ips,
    } = &diagnosis.causes[0].fix
    else {
        panic!("expected a lockout fix, got {:?}", diagnosis.causes[0].fix);
    };
    assert!(*attack_suspected);
    assert_eq!(unfamiliar_ips, &vec![ATTACKER.to_string()]);
    // Two bursts (18 and 1 minutes ago) → second lockout of 2 minutes from the last locked attempt.
    assert_eq!(*remaining, Duration::minutes(1));
    assert_eq!(diagnosis.causes[0].evidence.len(), 4);
}

#[test]
fn synced_users_get_on_premises_fixes() {
    let case = Case {
        synced: true,
        ..Case { ..CASES[2] }
    };
    let diagnosis = diagnose(&evidence(&case));
    assert!(matches!(diagnosis.causes[0].fix, Fix::OnPremises { .. }));
    assert!(diagnosis.synced_from_on_premises);
}
