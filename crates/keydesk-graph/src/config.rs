//! Where to find the tenant, the app registration and its credential.
//!
//! A [`GraphConfig`] comes from environment variables ([`GraphConfig::from_env`]) or a JSON file
//! ([`GraphConfig::from_json_file`]). Authority and Graph base URLs are fully configurable so the
//! client can talk to the offline emulator; plain `http` is accepted only for loopback hosts so a
//! secret or token never crosses a network in clear text. This module does no network I/O.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::certificate::{CERTIFICATE_LABEL, PemBlock, is_private_key_label};
use crate::secret::Secret;

/// Default Microsoft identity platform host.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";
/// Default Graph v1.0 base URL.
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.microsoft.com/v1.0";
/// Default Graph beta base URL.
pub const DEFAULT_BETA_BASE: &str = "https://graph.microsoft.com/beta";

/// Everything needed to obtain app-only tokens and reach Graph.
#[derive(Debug, Clone)]
pub struct GraphConfig {
    /// Tenant GUID or verified domain.
    pub tenant_id: String,
    /// Application (client) id of keydesk's app registration.
    pub client_id: String,
    /// How the app proves its identity.
    pub credential: Credential,
    /// Identity platform host, e.g. `https://login.microsoftonline.com`.
    pub authority_host: Url,
    /// Graph v1.0 base, e.g. `https://graph.microsoft.com/v1.0`.
    pub graph_base: Url,
    /// Graph beta base, e.g. `https://graph.microsoft.com/beta`.
    pub beta_base: Url,
}

/// The app registration's credential.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A client secret.
    Secret(Secret),
    /// A certificate whose public part is registered on the app.
    Certificate(CertificateCredential),
}

/// A certificate credential: the certificate (public) and its RSA private key, both PEM.
#[derive(Debug, Clone)]
pub struct CertificateCredential {
    /// PEM text holding at least one `CERTIFICATE` block; the first one is the app's.
    pub certificate_pem: String,
    /// PEM text of the RSA private key (`PRIVATE KEY` or `RSA PRIVATE KEY`).
    pub private_key_pem: Secret,
    /// Signature algorithm of the client assertion.
    pub algorithm: AssertionAlgorithm,
}

/// Signature algorithm for the certificate client assertion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AssertionAlgorithm {
    /// RSASSA-PSS with SHA-256, the form Microsoft's current documentation asks for.
    #[default]
    Ps256,
    /// RSASSA-PKCS1-v1_5 with SHA-256, the older form used by MSAL for years.
    Rs256,
}

/// Problems found while loading or checking configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is absent.
    #[error("{0} is not set")]
    Missing(&'static str),
    /// Neither a secret nor a certificate was given.
    #[error("no credential: set KEYDESK_CLIENT_SECRET or KEYDESK_CERT_PATH")]
    MissingCredential,
    /// Both a secret and a certificate were given.
    #[error("both a client secret and a certificate are configured; choose one")]
    AmbiguousCredential,
    /// The tenant id cannot be placed in a URL path.
    #[error("tenant id {0:?} is not a GUID or domain name")]
    InvalidTenant(String),
    /// A URL setting does not parse.
    #[error("{name} is not a valid URL: {source}")]
    InvalidUrl {
        /// Name of the setting.
        name: &'static str,
        /// Parser error.
        #[source]
        source: url::ParseError,
    },
    /// A URL setting uses plain http towards a non-loopback host, or another scheme.
    #[error("{name} must use https (plain http only for loopback hosts), got {url}")]
    InsecureUrl {
        /// Name of the setting.
        name: &'static str,
        /// The offending URL.
        url: String,
    },
    /// A file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The JSON config file is malformed.
    #[error("config file {} is not valid: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// Parser error.
        #[source]
        source: serde_json::Error,
    },
    /// The certificate PEM is unusable.
    #[error("certificate PEM: {0}")]
    InvalidPem(String),
    /// The environment variable the configuration names for the client secret is not set.
    #[error("the client secret's environment variable {0} is not set")]
    SecretEnvMissing(String),
    /// A setting has a value outside its allowed set.
    #[error("{name}: {problem}")]
    Invalid {
        /// Name of the setting.
        name: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

impl GraphConfig {
    /// A configuration for the public cloud endpoints.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        credential: Credential,
    ) -> Result<Self, ConfigError> {
        let config = Self {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            credential,
            authority_host: parse_url("authority host", DEFAULT_AUTHORITY_HOST)?,
            graph_base: parse_url("Graph base", DEFAULT_GRAPH_BASE)?,
            beta_base: parse_url("Graph beta base", DEFAULT_BETA_BASE)?,
        };
        config.validate()?;
        Ok(config)
    }

    /// Points the client at another identity platform host (e.g. the emulator).
    pub fn with_authority_host(mut self, authority_host: Url) -> Result<Self, ConfigError> {
        check_scheme("authority host", &authority_host)?;
        self.authority_host = authority_host;
        Ok(self)
    }

    /// Points the client at another Graph base. The beta base is derived by replacing the
    /// last path segment (`v1.0`) with `beta`.
    pub fn with_graph_base(mut self, graph_base: Url) -> Result<Self, ConfigError> {
        check_scheme("Graph base", &graph_base)?;
        self.beta_base = derive_beta_base(&graph_base);
        self.graph_base = graph_base;
        Ok(self)
    }

    /// Reads `KEYDESK_TENANT_ID`, `KEYDESK_CLIENT_ID`, `KEYDESK_CLIENT_SECRET` or
    /// `KEYDESK_CERT_PATH` (PEM with certificate and private key), and optionally
    /// `KEYDESK_AUTHORITY_HOST`, `KEYDESK_GRAPH_BASE` and `KEYDESK_BETA_BASE`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`GraphConfig::from_env`] with an arbitrary variable lookup (used by tests).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let lookup = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let file = ConfigFile {
            tenant_id: lookup("KEYDESK_TENANT_ID"),
            client_id: lookup("KEYDESK_CLIENT_ID"),
            client_secret: lookup("KEYDESK_CLIENT_SECRET").map(Secret::from),
            client_secret_file: None,
            client_secret_env: None,
            cert_path: lookup("KEYDESK_CERT_PATH").map(PathBuf::from),
            key_path: lookup("KEYDESK_KEY_PATH").map(PathBuf::from),
            certificate_pem: None,
            private_key_pem: None,
            assertion_algorithm: lookup("KEYDESK_ASSERTION_ALG"),
            authority_host: lookup("KEYDESK_AUTHORITY_HOST"),
            graph_base: lookup("KEYDESK_GRAPH_BASE"),
            beta_base: lookup("KEYDESK_BETA_BASE"),
        };
        file.into_config(None)
    }

    /// Loads a JSON file with keys `tenant_id`, `client_id`, one credential, and optionally
    /// `authority_host`, `graph_base`, `beta_base`, `assertion_algorithm` (`PS256` or `RS256`).
    /// The credential is one of `client_secret` (inline, discouraged), `client_secret_file` (a
    /// file holding only the secret), `client_secret_env` (the name of an environment variable
    /// holding it), `cert_path` (PEM with certificate and key, or with `key_path` the
    /// certificate alone), or `certificate_pem` + `private_key_pem`. camelCase keys are
    /// accepted too. Relative paths are resolved against the file's directory.
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = read_text(path)?;
        let file: ConfigFile = serde_json::from_str(&text).map_err(|source| ConfigError::Json {
            path: path.to_owned(),
            source,
        })?;
        file.into_config(path.parent())
    }

    /// The JSON form of [`GraphConfig::from_json_file`] as a value; relative paths are resolved
    /// against `relative_to`.
    pub fn from_json_value(
        value: serde_json::Value,
        relative_to: Option<&Path>,
    ) -> Result<Self, ConfigError> {
        let file: ConfigFile =
            serde_json::from_value(value).map_err(|source| ConfigError::Json {
                path: relative_to.map_or_else(|| PathBuf::from("<value>"), Path::to_owned),
                source,
            })?;
        file.into_config(relative_to)
    }

    /// Parses the JSON form described in [`GraphConfig::from_json_file`].
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        let file: ConfigFile = serde_json::from_str(text).map_err(|source| ConfigError::Json {
            path: PathBuf::from("<string>"),
            source,
        })?;
        file.into_config(None)
    }

    /// `{authority_host}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> Result<Url, ConfigError> {
        let base = self.authority_host.as_str().trim_end_matches('/');
        parse_url(
            "token URL",
            &format!("{base}/{}/oauth2/v2.0/token", self.tenant_id),
        )
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let tenant_ok = !self.tenant_id.is_empty()
            && self
                .tenant_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !tenant_ok {
            return Err(ConfigError::InvalidTenant(self.tenant_id.clone()));
        }
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::Missing("client id"));
        }
        check_scheme("authority host", &self.authority_host)?;
        check_scheme("Graph base", &self.graph_base)?;
        check_scheme("Graph beta base", &self.beta_base)?;
        Ok(())
    }
}

impl CertificateCredential {
    /// Splits one PEM text holding the certificate and its private key.
    pub fn from_pem(pem: &str) -> Result<Self, ConfigError> {
        Self::from_parts(pem, pem)
    }

    /// Reads a PEM file holding the certificate and its private key.
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_pem(&read_text(path.as_ref())?)
    }

    /// Builds the credential from separate certificate and key PEM texts (extra blocks in
    /// either are ignored).
    pub fn from_parts(certificate_pem: &str, private_key_pem: &str) -> Result<Self, ConfigError> {
        let certificate = PemBlock::parse_all(certificate_pem)
            .map_err(ConfigError::InvalidPem)?
            .into_iter()
            .find(|block| block.label == CERTIFICATE_LABEL)
            .ok_or_else(|| ConfigError::InvalidPem("no CERTIFICATE block".to_owned()))?;
        let key = PemBlock::parse_all(private_key_pem)
            .map_err(ConfigError::InvalidPem)?
            .into_iter()
            .find(|block| is_private_key_label(&block.label))
            .ok_or_else(|| {
                ConfigError::InvalidPem("no unencrypted PRIVATE KEY block".to_owned())
            })?;
        Ok(Self {
            certificate_pem: certificate.to_pem(),
            private_key_pem: Secret::new(key.to_pem()),
            algorithm: AssertionAlgorithm::default(),
        })
    }
}

/// The on-disk (and environment) shape; private so secrets never gain `Serialize`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(alias = "tenantId")]
    tenant_id: Option<String>,
    #[serde(alias = "clientId")]
    client_id: Option<String>,
    #[serde(alias = "clientSecret")]
    client_secret: Option<Secret>,
    #[serde(alias = "clientSecretFile")]
    client_secret_file: Option<PathBuf>,
    #[serde(alias = "clientSecretEnv")]
    client_secret_env: Option<String>,
    #[serde(alias = "certPath")]
    cert_path: Option<PathBuf>,
    #[serde(alias = "keyPath")]
    key_path: Option<PathBuf>,
    #[serde(alias = "certificatePem")]
    certificate_pem: Option<String>,
    #[serde(alias = "privateKeyPem")]
    private_key_pem: Option<Secret>,
    #[serde(alias = "assertionAlgorithm")]
    assertion_algorithm: Option<String>,
    #[serde(alias = "authorityHost")]
    authority_host: Option<String>,
    #[serde(alias = "graphBase")]
    graph_base: Option<String>,
    #[serde(alias = "betaBase")]
    beta_base: Option<String>,
}

impl ConfigFile {
    fn into_config(self, relative_to: Option<&Path>) -> Result<GraphConfig, ConfigError> {
        let tenant_id = self
            .tenant_id
            .ok_or(ConfigError::Missing("KEYDESK_TENANT_ID"))?;
        let client_id = self
            .client_id
            .ok_or(ConfigError::Missing("KEYDESK_CLIENT_ID"))?;
        let resolve = |path: PathBuf| match relative_to {
            Some(directory) if path.is_relative() => directory.join(path),
            _ => path,
        };
        let certificate = match (
            self.cert_path,
            self.key_path,
            self.certificate_pem,
            self.private_key_pem,
        ) {
            (Some(path), None, None, None) => {
                Some(CertificateCredential::from_pem_file(resolve(path))?)
            }
            (Some(certificate), Some(key), None, None) => {
                let key = Secret::new(read_text(&resolve(key))?);
                Some(CertificateCredential::from_parts(
                    &read_text(&resolve(certificate))?,
                    key.expose(),
                )?)
            }
            (None, None, Some(certificate), Some(key)) => Some(CertificateCredential::from_parts(
                &certificate,
                key.expose(),
            )?),
            (None, None, None, None) => None,
            (None, Some(_), None, None) => return Err(ConfigError::Missing("cert_path")),
            (None, None, Some(_), None) => return Err(ConfigError::Missing("private_key_pem")),
            (None, None, None, Some(_)) => return Err(ConfigError::Missing("certificate_pem")),
            _ => return Err(ConfigError::AmbiguousCredential),
        };
        let secret = match (
            self.client_secret,
            self.client_secret_file,
            self.client_secret_env,
        ) {
            (Some(secret), None, None) => Some(secret),
            (None, Some(path), None) => {
                let text = Secret::new(read_text(&resolve(path))?);
                Some(Secret::new(text.expose().trim().to_owned()))
            }
            (None, None, Some(name)) => match std::env::var(&name) {
                Ok(value) if !value.trim().is_empty() => Some(Secret::new(value)),
                _ => return Err(ConfigError::SecretEnvMissing(name)),
            },
            (None, None, None) => None,
            _ => return Err(ConfigError::AmbiguousCredential),
        };
        let credential = match (secret, certificate) {
            (Some(secret), None) => Credential::Secret(secret),
            (None, Some(mut certificate)) => {
                certificate.algorithm = parse_algorithm(self.assertion_algorithm.as_deref())?;
                Credential::Certificate(certificate)
            }
            (Some(_), Some(_)) => return Err(ConfigError::AmbiguousCredential),
            (None, None) => return Err(ConfigError::MissingCredential),
        };
        let mut config = GraphConfig::new(tenant_id, client_id, credential)?;
        if let Some(host) = self.authority_host {
            config = config.with_authority_host(parse_url("KEYDESK_AUTHORITY_HOST", &host)?)?;
        }
        if let Some(base) = self.graph_base {
            config = config.with_graph_base(parse_url("KEYDESK_GRAPH_BASE", &base)?)?;
        }
        if let Some(base) = self.beta_base {
            let beta_base = parse_url("KEYDESK_BETA_BASE", &base)?;
            check_scheme("KEYDESK_BETA_BASE", &beta_base)?;
            config.beta_base = beta_base;
        }
        Ok(config)
    }
}

fn parse_algorithm(name: Option<&str>) -> Result<AssertionAlgorithm, ConfigError> {
    match name.map(str::to_ascii_uppercase).as_deref() {
        None | Some("PS256") => Ok(AssertionAlgorithm::Ps256),
        Some("RS256") => Ok(AssertionAlgorithm::Rs256),
        Some(_) => Err(ConfigError::Invalid {
            name: "KEYDESK_ASSERTION_ALG",
            problem: "must be PS256 or RS256",
        }),
    }
}

fn read_text(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })
}

fn parse_url(name: &'static str, text: &str) -> Result<Url, ConfigError> {
    Url::parse(text.trim()).map_err(|source| ConfigError::InvalidUrl { name, source })
}

/// https anywhere; http only towards loopback.
fn check_scheme(name: &'static str, url: &Url) -> Result<(), ConfigError> {
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(address)) => IpAddr::V4(address).is_loopback(),
        Some(url::Host::Ipv6(address)) => IpAddr::V6(address).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(ConfigError::InsecureUrl {
            name,
            url: url.to_string(),
        }),
    }
}

fn derive_beta_base(graph_base: &Url) -> Url {
    let mut beta = graph_base.clone();
    let path = graph_base.path().trim_end_matches('/');
    let parent = path.rsplit_once('/').map_or("", |(parent, _)| parent);
    beta.set_path(&format!("{parent}/beta"));
    beta
}

#[cfg(test)]
mod tests;
