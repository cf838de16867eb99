//! The on-premises Active Directory connection, from the environment: `KEYDESK_AD_URL`
//! (`ldaps://dc:636`, or `ldap://dc:389` with StartTLS), `KEYDESK_AD_BIND_DN`,
//! `KEYDESK_AD_BIND_PASSWORD` or `KEYDESK_AD_BIND_PASSWORD_FILE`, `KEYDESK_AD_BASE_DN`, and
//! optionally `KEYDESK_AD_CA_CERT` (a PEM file of the CA that issued the DC's certificate;
//! without it the system's trust store is used). No `KEYDESK_AD_URL`: AD is not configured.

use anyhow::Context;
use keydesk_ad::{AdConfig, AdDirectory, TlsTrust};
use keydesk_core::Secret;

/// The configured AD, or `None` when `KEYDESK_AD_URL` is not set.
pub(crate) fn from_env() -> anyhow::Result<Option<AdDirectory>> {
    let Some(url) = var("KEYDESK_AD_URL") else {
        return Ok(None);
    };
    let required = |name: &str| {
        var(name).with_context(|| format!("KEYDESK_AD_URL is set, so {name} is required"))
    };
    let password = match (
        var("KEYDESK_AD_BIND_PASSWORD"),
        var("KEYDESK_AD_BIND_PASSWORD_FILE"),
    ) {
        (Some(password), _) => Secret::new(password),
        (None, Some(path)) => Secret::new(
            std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read KEYDESK_AD_BIND_PASSWORD_FILE {path}"))?
                .trim_end_matches(['\r', '\n'])
                .to_string(),
        ),
        (None, None) => anyhow::bail!(
            "KEYDESK_AD_URL is set, so KEYDESK_AD_BIND_PASSWORD or KEYDESK_AD_BIND_PASSWORD_FILE is required"
        ),
    };
    let tls = match var("KEYDESK_AD_CA_CERT") {
        Some(path) => TlsTrust::CaFile(path.into()),
        None => TlsTrust::SystemRoots,
    };
    let config = AdConfig::new(
        url,
        required("KEYDESK_AD_BIND_DN")?,
        password,
        required("KEYDESK_AD_BASE_DN")?,
        tls,
    )?;
    Ok(Some(AdDirectory::new(config)?))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}
