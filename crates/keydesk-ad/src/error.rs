//! Why an Active Directory operation failed, in words an operator can act on.
//!
//! AD answers with an LDAP result code and a diagnostic text such as
//! `0000052D: Constraint violation - check_password_restrictions: ...` or
//! `80090308: LdapErr: ..., data 775, ...`. [`classify`] turns those into [`Error`] variants;
//! AD's own reason is kept (it never contains the password sent). The bind password is never part
//! of any message.

pub type Result<T> = std::result::Result<T, Error>;

/// An Active Directory failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is incomplete or invalid.
    #[error("Active Directory is misconfigured: {0}")]
    Config(String),
    /// The domain controller could not be reached, or TLS failed.
    #[error("cannot reach Active Directory at {url}: {detail}")]
    Connect { url: String, detail: String },
    /// keydesk's service account could not bind.
    #[error("Active Directory refused keydesk's service account {bind_dn}: {reason}")]
    Bind { bind_dn: String, reason: String },
    /// The new password does not satisfy the domain's password policy (AD's `0000052D`).
    #[error(
        "Active Directory refused the password: it does not meet the domain's password policy (length, complexity, history or minimum age). AD said: {ad_reason}"
    )]
    PasswordPolicy { ad_reason: String },
    /// keydesk's service account lacks the right to make this change (LDAP 50).
    #[error(
        "keydesk's service account has no right to change {dn} in Active Directory (insufficient access rights); delegate the right on its OU, or have a domain administrator do it. AD said: {ad_reason}"
    )]
    InsufficientRights { dn: String, ad_reason: String },
    /// The account is locked out (a bind answered `data 775`).
    #[error("the account {dn} is locked out in Active Directory")]
    AccountLocked { dn: String },
    /// No account matches.
    #[error("no Active Directory account matches {0}")]
    NotFound(String),
    /// More than one account matches: keydesk refuses to guess.
    #[error("{count} Active Directory accounts match {anchor}; refusing to guess")]
    Ambiguous { anchor: String, count: usize },
    /// The capability does not cover this write.
    #[error("the authorization covers {authorized}, not {wanted} in Active Directory")]
    NotAuthorized { authorized: String, wanted: String },
    /// A change was made but reading it back shows otherwise.
    #[error("Active Directory does not show the change on {dn}: {detail}")]
    NotVerified { dn: String, detail: String },
    /// Any other LDAP failure.
    #[error("Active Directory refused the request (LDAP {rc}{}): {text}", name.map(|n| format!(" {n}")).unwrap_or_default())]
    Ldap {
        rc: u32,
        name: Option<&'static str>,
        text: String,
    },
    /// A protocol or transport failure.
    #[error("LDAP failure: {0}")]
    Protocol(String),
}

impl Error {
    /// A stable snake_case code for `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => "ad_config",
            Error::Connect { .. } => "ad_unreachable",
            Error::Bind { .. } => "ad_bind_failed",
            Error::PasswordPolicy { .. } => "ad_password_policy",
            Error::InsufficientRights { .. } => "ad_insufficient_rights",
            Error::AccountLocked { .. } => "ad_account_locked",
            Error::NotFound(_) => "ad_not_found",
            Error::Ambiguous { .. } => "ad_ambiguous",
            Error::NotAuthorized { .. } => "ad_not_authorized",
            Error::NotVerified { .. } => "ad_not_verified",
            Error::Ldap { .. } => "ad_ldap_error",
            Error::Protocol(_) => "ad_protocol",
        }
    }
}

/// The `data XXX` sub-code of an AD bind error (`... AcceptSecurityContext error, data 775, ...`).
pub fn bind_data_code(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find("data ")? + 5;
    let code: String = lower[start..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    (!code.is_empty()).then_some(code)
}

/// What a bind's `data` sub-code means.
pub fn bind_reason(text: &str) -> String {
    let meaning = match bind_data_code(text).as_deref() {
        Some("525") => "the account does not exist",
        Some("52e") => "the password is wrong",
        Some("530") => "logon is not permitted at this time",
        Some("531") => "logon is not permitted from this workstation",
        Some("532") => "the password has expired",
        Some("533") => "the account is disabled",
        Some("701") => "the account has expired",
        Some("773") => "the password must be changed at next logon",
        Some("775") => "the account is locked out",
        _ => "the credentials were refused",
    };
    format!("{meaning} ({})", text.trim())
}

/// The name of an LDAP result code (RFC 4511).
pub fn rc_name(rc: u32) -> Option<&'static str> {
    Some(match rc {
        1 => "operationsError",
        2 => "protocolError",
        3 => "timeLimitExceeded",
        8 => "strongerAuthRequired",
        13 => "confidentialityRequired",
        16 => "noSuchAttribute",
        19 => "constraintViolation",
        21 => "invalidAttributeSyntax",
        32 => "noSuchObject",
        34 => "invalidDNSyntax",
        49 => "invalidCredentials",
        50 => "insufficientAccessRights",
        51 => "busy",
        52 => "unavailable",
        53 => "unwillingToPerform",
        65 => "objectClassViolation",
        68 => "entryAlreadyExists",
        _ => return None,
    })
}

/// Classifies a failed modify or search on `dn`.
pub fn classify(dn: &str, rc: u32, text: &str) -> Error {
    let upper = text.to_ascii_uppercase();
    if upper.contains("0000052D") || (rc == 19 && upper.contains("PASSWORD")) {
        return Error::PasswordPolicy {
            ad_reason: text.trim().to_string(),
        };
    }
    if rc == 50 || upper.contains("INSUFF_ACCESS_RIGHTS") {
        return Error::InsufficientRights {
            dn: dn.to_string(),
            ad_reason: text.trim().to_string(),
        };
    }
    if rc == 49 && bind_data_code(text).as_deref() == Some("775") {
        return Error::AccountLocked { dn: dn.to_string() };
    }
    Error::Ldap {
        rc,
        name: rc_name(rc),
        text: text.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ad_reasons_are_classified() {
        let policy = classify(
            "CN=x",
            19,
            "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!",
        );
        assert!(matches!(policy, Error::PasswordPolicy { .. }), "{policy}");
        assert!(policy.to_string().contains("too short"));

        let rights = classify(
            "CN=x",
            50,
            "00002098: Object CN=x has no write property access",
        );
        assert_eq!(rights.code(), "ad_insufficient_rights");
        assert!(rights.to_string().contains("delegate"), "{rights}");

        let locked = classify(
            "CN=x",
            49,
            "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 775, v1db1",
        );
        assert!(matches!(locked, Error::AccountLocked { .. }));

        let other = classify("CN=x", 32, "no such object");
        assert_eq!(
            other.to_string(),
            "Active Directory refused the request (LDAP 32 noSuchObject): no such object"
        );
    }

    #[test]
    fn bind_sub_codes() {
        assert_eq!(
            bind_data_code("AcceptSecurityContext error, data 52e, v1db1").as_deref(),
            Some("52e")
        );
        assert!(bind_reason("..., data 775, v4563").starts_with("the account is locked out"));
        assert!(bind_reason("..., data 773, v4563").contains("must be changed"));
        assert!(bind_reason("weird").starts_with("the credentials were refused"));
    }
}
