//! [`AdConfig`]: where the domain controller is, how keydesk binds, and which certificate
//! authority it trusts. No `Default`: every field is a decision.

use std::path::PathBuf;
use std::time::Duration;

use keydesk_core::Secret;

use crate::{Error, Result};

/// How to reach and bind to Active Directory.
#[derive(Debug, Clone)]
pub struct AdConfig {
    /// `ldaps://host:636` (TLS from the first byte) or `ldap://host:389` (upgraded with
    /// StartTLS before the bind; keydesk never binds in clear text).
    pub url: String,
    /// The service account's distinguished name (or `user@domain`).
    pub bind_dn: String,
    /// The service account's password. Never logged, never in an error.
    pub bind_password: Secret,
    /// Where users are searched, e.g. `DC=contoso,DC=local`.
    pub base_dn: String,
    /// Which certificate authorities the client trusts.
    pub tls: TlsTrust,
    /// Connect and operation timeout.
    pub timeout: Duration,
}

/// The certificate authorities trusted for the domain controller's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsTrust {
    /// The operating system's trust store.
    SystemRoots,
    /// Only the CA certificates in this PEM file (an internal enterprise CA, or a test CA).
    CaFile(PathBuf),
}

impl AdConfig {
    /// A configuration, checked: the URL must be `ldaps://` or `ldap://`, the DNs non-empty.
    pub fn new(
        url: impl Into<String>,
        bind_dn: impl Into<String>,
        bind_password: Secret,
        base_dn: impl Into<String>,
        tls: TlsTrust,
    ) -> Result<AdConfig> {
        let config = AdConfig {
            url: url.into().trim().to_string(),
            bind_dn: bind_dn.into().trim().to_string(),
            bind_password,
            base_dn: base_dn.into().trim().to_string(),
            tls,
            timeout: Duration::from_secs(15),
        };
        config.starttls()?;
        if config.bind_dn.is_empty() {
            return Err(Error::Config("the bind DN is empty".into()));
        }
        if config.bind_password.is_empty() {
            return Err(Error::Config("the bind password is empty".into()));
        }
        if config.base_dn.is_empty() {
            return Err(Error::Config("the base DN is empty".into()));
        }
        Ok(config)
    }

    /// Whether the connection is upgraded with StartTLS (`ldap://`) rather than LDAPS.
    pub fn starttls(&self) -> Result<bool> {
        let lower = self.url.to_ascii_lowercase();
        if lower.starts_with("ldaps://") {
            Ok(false)
        } else if lower.starts_with("ldap://") {
            Ok(true)
        } else {
            Err(Error::Config(format!(
                "the AD URL must start with ldaps:// or ldap:// (StartTLS), not '{}'",
                self.url
            )))
        }
    }

    /// The domain's DNS name from the base DN (`DC=contoso,DC=local` → `contoso.local`).
    pub fn domain_name(&self) -> String {
        self.base_dn
            .split(',')
            .filter_map(|rdn| {
                let (key, value) = rdn.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("dc")
                    .then(|| value.trim().to_string())
            })
            .collect::<Vec<_>>()
            .join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Result<AdConfig> {
        AdConfig::new(
            url,
            "CN=svc,CN=Users,DC=contoso,DC=local",
            Secret::new("pw"),
            "DC=contoso,DC=local",
            TlsTrust::SystemRoots,
        )
    }

    #[test]
    fn only_tls_urls_are_accepted() {
        assert!(
            !config("ldaps://dc.contoso.local")
                .unwrap()
                .starttls()
                .unwrap()
        );
        assert!(config("LDAP://dc:389").unwrap().starttls().unwrap());
        assert!(matches!(config("http://dc"), Err(Error::Config(_))));
    }

    #[test]
    fn the_password_never_shows_in_debug() {
        let text = format!(
            "{:?}",
            AdConfig::new(
                "ldaps://dc",
                "CN=svc",
                Secret::new("hunter2-very-secret"),
                "DC=x",
                TlsTrust::SystemRoots
            )
            .unwrap()
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn domain_name_from_base_dn() {
        assert_eq!(config("ldaps://dc").unwrap().domain_name(), "contoso.local");
    }
}
