//! The tables rules reference instead of raw values: AADSTS error-code flags (reference §4),
//! legacy client names, attack-tool user agents, MFA result texts, OAuth scope tiers (§2.1) and
//! the directory-audit activities that register credentials (§0.4).
//!
//! All string comparisons are case-insensitive: Sentinel, Sigma and Elastic disagree on
//! capitalisation.

use crate::model::contains_ci;

/// Primary-credential failures (the catalogue's set F).
pub fn is_primary_failure(code: i64) -> bool {
    matches!(code, 50126 | 50053 | 50055 | 50056)
}

/// Codes Entra only returns after the password was accepted (success included).
pub fn password_validated(code: i64) -> bool {
    matches!(
        code,
        0 | 50055
            | 50072
            | 50074
            | 50076
            | 50078
            | 50079
            | 50097
            | 50105
            | 50125
            | 50129
            | 50140
            | 50155
            | 50158
            | 500121
            | 53000
            | 53001
            | 53002
            | 53003
            | 53004
            | 530032
    )
}

/// Interrupts that mean "password right, MFA or policy stopped it" (D09).
pub fn is_mfa_interrupt(code: i64) -> bool {
    matches!(
        code,
        50074 | 50076 | 500121 | 50079 | 50072 | 50158 | 53003 | 50097 | 50155
    )
}

/// Sentinel's spray "success" set: password validated or neutral (disabled, revoked).
pub fn spray_success(code: i64) -> bool {
    password_validated(code) || matches!(code, 50057 | 50133 | 50173)
}

/// Elastic's brute-force classifier error list (D02).
pub fn distributed_failure(code: i64) -> bool {
    matches!(
        code,
        50034
            | 50126
            | 50055
            | 50056
            | 50057
            | 50064
            | 50076
            | 50079
            | 50105
            | 70000
            | 70008
            | 70043
            | 80002
            | 80005
            | 50144
            | 50135
            | 50142
            | 120000
            | 120002
            | 120020
    )
}

/// A short meaning for the report's timeline.
pub fn describe_code(code: i64) -> &'static str {
    match code {
        0 => "success",
        50034 => "user not found",
        50053 => "account locked (smart lockout) or malicious IP blocked",
        50055 => "password expired",
        50056 => "no password stored",
        50057 => "account disabled",
        50072 | 50079 => "must register MFA",
        50074 => "strong authentication required",
        50076 => "MFA required",
        50126 => "invalid username or password",
        50133 => "session revoked",
        50140 => "keep-me-signed-in interrupt",
        50158 => "external challenge not satisfied",
        50173 => "fresh token needed (grant revoked)",
        500121 => "MFA failed or denied",
        53003 => "blocked by Conditional Access",
        53004 => "security-info registration blocked (user at risk)",
        530032 => "blocked by security policy (user risk)",
        _ => "sign-in failed",
    }
}

/// Legacy `clientAppUsed` values (Sentinel's 12, Elastic's additions, Sigma's short names).
const LEGACY_CLIENTS: &[&str] = &[
    "authenticated smtp",
    "smtp",
    "autodiscover",
    "exchange activesync",
    "exchange online powershell",
    "exchange web services",
    "imap4",
    "imap",
    "mapi over http",
    "mapi",
    "outlook anywhere (rpc over http)",
    "outlook service",
    "pop3",
    "pop",
    "reporting web services",
    "other clients",
    "other client",
    "offline address book",
];

/// Whether a `clientAppUsed` value is a legacy protocol.
pub fn is_legacy_client(client: &str) -> bool {
    let client = client.trim();
    LEGACY_CLIENTS
        .iter()
        .any(|c| client.eq_ignore_ascii_case(c))
}

/// User agents of ROPC and legacy-client MFA bypass (Sigma).
pub const ROPC_AGENTS: &[&str] = &["bav2ropc", "cbainprod", "cbaintar"];

/// Attack-tool and scripting user-agent substrings (Sigma, Elastic).
const TOOL_AGENTS: &[&str] = &[
    "bav2ropc",
    "cbainprod",
    "cbaintar",
    "azurehound",
    "kali365",
    "aadinternals",
    "roadtools",
    "python-requests",
    "python-urllib",
    "python/",
    "aiohttp",
    "fasthttp",
    "go-http-client",
    "go-resty",
    "curl/",
    "wget/",
    "okhttp",
    "axios",
    "node-fetch",
    "undici",
    "powershell/",
    "msfasthttp",
];

/// User agents that look tool-like but are Microsoft's own (Elastic's exclusions).
const BENIGN_AGENTS: &[&str] = &["(compatible; msal 1.0) pkeyauth/1.0"];

/// The tool a user agent names, if any.
pub fn attack_tool(user_agent: &str) -> Option<&'static str> {
    if BENIGN_AGENTS.iter().any(|b| contains_ci(user_agent, b)) {
        return None;
    }
    if contains_ci(user_agent, "teams/1.3.00.30866") && contains_ci(user_agent, "electron/8.5.1") {
        return Some("TeamFiltration");
    }
    TOOL_AGENTS
        .iter()
        .copied()
        .find(|t| contains_ci(user_agent, t))
}

/// MFA step results that are push fatigue (declined, no response, wrong number).
pub fn is_push_failure(text: &str) -> bool {
    contains_ci(text, "user declined")
        || contains_ci(text, "did not respond to mobile app notification")
        || contains_ci(text, "did not select the correct number")
        || contains_ci(text, "reported fraud")
}

/// An explicit deny or fraud report (D08).
pub fn is_explicit_deny(text: &str) -> bool {
    contains_ci(text, "user declined") || contains_ci(text, "fraud")
}

/// Microsoft first-party app owner tenants (Microsoft Services, Microsoft corp).
pub const MICROSOFT_TENANTS: &[&str] = &[
    "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    "72f988bf-86f1-41af-91ab-2d7cd011db47",
];

/// Scope tier of one delegated permission (§2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ScopeTier {
    /// `openid`, `profile`, `email`, `User.Read`, `offline_access`, ...
    Low,
    /// Another read scope.
    OtherRead,
    /// Another write scope.
    OtherWrite,
    /// Consent-phishing root scopes (mail, contacts, files, notes, ...).
    A,
    /// Catastrophic (directory, application, role management writes).
    S,
}

impl ScopeTier {
    /// The score of a tier.
    pub fn score(self) -> u32 {
        match self {
            ScopeTier::Low => 0,
            ScopeTier::OtherRead => 2,
            ScopeTier::OtherWrite => 4,
            ScopeTier::A => 6,
            ScopeTier::S => 10,
        }
    }
}

/// The tier of a scope, exactly as named (case-insensitive).
pub fn scope_tier(scope: &str) -> ScopeTier {
    let s = scope.to_ascii_lowercase();
    const S_TIER: &[&str] = &[
        "application.readwrite.all",
        "directory.readwrite.all",
        "domain.readwrite.all",
        "eduroster.readwrite.all",
        "group.readwrite.all",
        "member.read.hidden",
        "rolemanagement.readwrite.directory",
        "user.readwrite.all",
        "user.managecreds.all",
        "approleassignment.readwrite.all",
    ];
    const LOW: &[&str] = &[
        "user.read",
        "user.readbasic.all",
        "openid",
        "email",
        "profile",
        "offline_access",
    ];
    if S_TIER.contains(&s.as_str()) {
        return ScopeTier::S;
    }
    if LOW.contains(&s.as_str()) {
        return ScopeTier::Low;
    }
    let tier_a = (s.starts_with("mail.") && !s.starts_with("mail.readbasic"))
        || s.starts_with("contacts.")
        || s.starts_with("mailboxsettings.")
        || s.starts_with("people.")
        || s.starts_with("files.")
        || s.starts_with("notes.")
        || s.starts_with("sites.")
        || s.starts_with("allsites.")
        || s.starts_with("chat.")
        || s.starts_with("channelmessage.")
        || matches!(
            s.as_str(),
            "directory.accessasuser.all"
                | "user_impersonation"
                | "ews.accessasuser.all"
                | "eas.accessasuser.all"
                | "imap.accessasuser.all"
                | "pop.accessasuser.all"
                | "smtp.send"
                | "full_access_as_app"
        );
    if tier_a {
        ScopeTier::A
    } else if s.contains("write") || s.contains("send") || s.contains("manage") {
        ScopeTier::OtherWrite
    } else {
        ScopeTier::OtherRead
    }
}

/// Directory-audit activities that register a credential or MFA method (§0.4).
pub const METHOD_REGISTRATION_ACTIVITIES: &[&str] = &[
    "User registered security info",
    "Admin registered security info",
    "User changed default security info",
    "User updated security info",
    "Admin updated security info",
    "Add users strong authentication phone app detail",
    "Add FIDO2 security key",
    "Add passwordless phone sign-in credential",
    "Add Windows Hello for Business credential",
    "Create application password for user",
    "Register device",
];

/// Consent activities (§0.3).
pub const CONSENT_ACTIVITIES: &[&str] =
    &["Consent to application", "Add delegated permission grant"];

/// Whether an activity name is one of `list` (case-insensitive).
pub fn activity_in(activity: &str, list: &[&str]) -> bool {
    list.iter().any(|a| activity.eq_ignore_ascii_case(a))
}

/// Risk event types that confirm a credential is known to someone else.
pub const CREDENTIAL_RISK_EVENTS: &[&str] = &["leakedCredentials", "passwordSpray"];

/// Risk event types that confirm a session was taken.
pub const SESSION_RISK_EVENTS: &[&str] = &[
    "attackerinTheMiddle",
    "attemptedPrtAccess",
    "nationStateIP",
    "adminConfirmedUserCompromised",
    "anomalousToken",
    "tokenIssuerAnomaly",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_are_exact() {
        assert_eq!(scope_tier("Mail.ReadWrite"), ScopeTier::A);
        assert_eq!(scope_tier("Mail.ReadBasic"), ScopeTier::OtherRead);
        assert_eq!(scope_tier("offline_access"), ScopeTier::Low);
        assert_eq!(scope_tier("Directory.ReadWrite.All"), ScopeTier::S);
        assert_eq!(scope_tier("Calendars.ReadWrite"), ScopeTier::OtherWrite);
    }

    #[test]
    fn tools_and_legacy() {
        assert_eq!(
            attack_tool("python-requests/2.31.0"),
            Some("python-requests")
        );
        assert_eq!(
            attack_tool("Mozilla/5.0 (compatible; MSAL 1.0) PKeyAuth/1.0"),
            None
        );
        assert_eq!(attack_tool("Mozilla/5.0 (Windows NT 10.0) Edg/124"), None);
        assert!(is_legacy_client("IMAP4"));
        assert!(is_legacy_client("exchange activesync"));
        assert!(!is_legacy_client("Browser"));
    }
}
