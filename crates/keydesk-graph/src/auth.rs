//! App-only access tokens: the OAuth2 client-credentials grant, its cache and its errors.
//!
//! One [`TokenSource`] per client. The cache is a `tokio::sync::Mutex`, held while a token is
//! fetched, so concurrent requests wait for a single refresh instead of stampeding the token
//! endpoint. Tokens are refreshed ahead of expiry (five minutes, or half the lifetime for very
//! short-lived tokens). Token-endpoint failures become [`AuthError::Rejected`] carrying the
//! AADSTS code and an explanation. Tokens are [`Secret`]s and are never logged.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio::time::Instant;
use url::Url;

use crate::certificate::ClientCertificate;
use crate::config::{Credential, GraphConfig};
use crate::error::{Error, Result};
use crate::retry::{RetryBudget, RetryPolicy, parse_retry_after};
use crate::secret::Secret;
use crate::stats::Counters;

/// Scope requested for app-only Graph tokens.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
/// How long before expiry a token is refreshed.
const REFRESH_AHEAD: Duration = Duration::from_secs(300);
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Why no token could be obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint answered with an OAuth error.
    #[error(transparent)]
    Rejected(Box<TokenEndpointError>),
    /// The certificate or private key cannot be used.
    #[error("certificate credential unusable: {0}")]
    Certificate(String),
    /// Signing the client assertion failed.
    #[error("could not sign the client assertion: {0}")]
    Signing(#[source] jsonwebtoken::errors::Error),
    /// The token endpoint's success answer was not the documented shape.
    #[error("token endpoint sent an unreadable answer (HTTP {status})")]
    MalformedResponse {
        /// HTTP status.
        status: u16,
    },
    /// The access token is not a JWT, so its claims cannot be read.
    #[error("the access token is not a JWT; its roles cannot be read")]
    OpaqueToken,
}

/// The token endpoint's error envelope (`{"error","error_description","error_codes",...}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TokenEndpointError {
    /// HTTP status (not part of the body).
    #[serde(skip)]
    pub status: u16,
    /// OAuth error (`invalid_client`, `unauthorized_client`, `invalid_scope`, ...).
    pub error: String,
    /// Human-readable description, starting with `AADSTSnnnn:`.
    pub error_description: String,
    /// Numeric AADSTS codes.
    pub error_codes: Vec<u64>,
    /// Trace id for Microsoft support.
    pub trace_id: Option<String>,
    /// Correlation id for Microsoft support.
    pub correlation_id: Option<String>,
}

/// Fetches and caches app-only access tokens.
pub(crate) struct TokenSource {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    credential: PreparedCredential,
    retry: RetryPolicy,
    counters: Arc<Counters>,
    cache: Mutex<Option<CachedToken>>,
}

enum PreparedCredential {
    Secret(Secret),
    Certificate(Box<ClientCertificate>),
}

struct CachedToken {
    access_token: Secret,
    refresh_at: Instant,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Secret,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RolesClaim {
    #[serde(default)]
    roles: Vec<String>,
}

impl TokenEndpointError {
    /// Parses the envelope; `None` when the body is not one.
    pub fn parse(status: u16, body: &[u8]) -> Option<Self> {
        let mut error: TokenEndpointError = serde_json::from_slice(body).ok()?;
        if error.error.is_empty() {
            return None;
        }
        error.status = status;
        Some(error)
    }

    /// The primary AADSTS code, from `error_codes` or the description.
    pub fn aadsts(&self) -> Option<u64> {
        if let Some(code) = self.error_codes.first() {
            return Some(*code);
        }
        let rest = self.error_description.strip_prefix("AADSTS")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    }

    /// First line of the description, without Microsoft's trace/correlation trailer.
    pub fn summary(&self) -> &str {
        self.error_description
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
    }

    /// A one-line explanation for the operator.
    pub fn explain(&self) -> String {
        let reason = match self.aadsts() {
            Some(7_000_215) => {
                "the client secret is wrong (AADSTS7000215); check KEYDESK_CLIENT_SECRET against the app registration"
            }
            Some(7_000_222) => {
                "the client secret has expired (AADSTS7000222); create a new secret on the app registration"
            }
            Some(700_027)
                if self
                    .error_description
                    .to_ascii_lowercase()
                    .contains("expired") =>
            {
                "the certificate has expired (AADSTS700027); create a new one, upload it to the app registration and configure keydesk with it"
            }
            Some(700_027) => {
                "the certificate is not registered on the app or the assertion signature is invalid (AADSTS700027); upload the certificate to the app registration"
            }
            Some(700_016) => {
                "the app (client id) was not found in this tenant (AADSTS700016); check KEYDESK_CLIENT_ID and KEYDESK_TENANT_ID, and that admin consent was granted"
            }
            Some(70_011) | Some(1_002_012) => {
                "the requested scope is invalid (AADSTS70011); keydesk asks for https://graph.microsoft.com/.default"
            }
            Some(90_002) => "the tenant was not found (AADSTS90002); check KEYDESK_TENANT_ID",
            Some(7_000_112) => "the app is disabled in this tenant (AADSTS7000112)",
            Some(700_024) => {
                "the client assertion is outside its validity window (AADSTS700024); check the system clock"
            }
            Some(900_144) => "the token request is missing a parameter (AADSTS900144)",
            _ => "",
        };
        if !reason.is_empty() {
            return format!("sign-in to Entra ID failed: {reason}");
        }
        let code = self
            .aadsts()
            .map(|code| format!(", AADSTS{code}"))
            .unwrap_or_default();
        format!(
            "sign-in to Entra ID failed ({}{code}): {}",
            self.error,
            self.summary()
        )
    }
}

impl fmt::Display for TokenEndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "token endpoint answered HTTP {} {}: {}",
            self.status,
            self.error,
            self.summary()
        )
    }
}

impl std::error::Error for TokenEndpointError {}

impl AuthError {
    /// A one-line explanation for the operator.
    pub fn explain(&self) -> String {
        match self {
            AuthError::Rejected(error) => error.explain(),
            AuthError::Certificate(problem) => {
                format!("the certificate credential cannot be used: {problem}")
            }
            AuthError::Signing(_) => {
                "the certificate's private key could not sign the client assertion".to_owned()
            }
            AuthError::MalformedResponse { status } => {
                format!("the token endpoint answered HTTP {status} in an unexpected format")
            }
            AuthError::OpaqueToken => {
                "the access token is not a JWT, so its permissions cannot be listed".to_owned()
            }
        }
    }

    /// The AADSTS code, when the token endpoint sent one.
    pub fn aadsts(&self) -> Option<u64> {
        match self {
            AuthError::Rejected(error) => error.aadsts(),
            _ => None,
        }
    }
}

impl TokenSource {
    pub(crate) fn new(
        config: &GraphConfig,
        http: reqwest::Client,
        retry: RetryPolicy,
        counters: Arc<Counters>,
    ) -> Result<Self> {
        let credential = match &config.credential {
            Credential::Secret(secret) => PreparedCredential::Secret(secret.clone()),
            Credential::Certificate(certificate) => {
                PreparedCredential::Certificate(Box::new(ClientCertificate::new(certificate)?))
            }
        };
        Ok(Self {
            http,
            token_url: config.token_url()?,
            client_id: config.client_id.clone(),
            credential,
            retry,
            counters,
            cache: Mutex::new(None),
        })
    }

    /// A valid access token, from the cache or freshly fetched.
    pub(crate) async fn access_token(&self) -> Result<Secret> {
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && Instant::now() < cached.refresh_at
        {
            return Ok(cached.access_token.clone());
        }
        let fetched = self.fetch().await?;
        let token = fetched.access_token.clone();
        *cache = Some(fetched);
        Ok(token)
    }

    /// Drops `rejected` from the cache (Graph answered 401 with it), unless a newer token has
    /// already replaced it.
    pub(crate) async fn invalidate(&self, rejected: &Secret) {
        let mut cache = self.cache.lock().await;
        if cache
            .as_ref()
            .is_some_and(|cached| cached.access_token.expose() == rejected.expose())
        {
            *cache = None;
        }
    }

    /// The `roles` claim (granted application permissions) of the current token, unverified.
    pub(crate) async fn granted_roles(&self) -> Result<Vec<String>> {
        let token = self.access_token().await?;
        let claims: RolesClaim = jsonwebtoken::dangerous::insecure_decode_claims(token.expose())
            .map_err(|_| Error::Auth(AuthError::OpaqueToken))?;
        Ok(claims.roles)
    }

    async fn fetch(&self) -> Result<CachedToken> {
        let mut budget = RetryBudget::new(&self.retry);
        loop {
            budget.start_attempt();
            self.counters.token_request();
            let form = self.form()?;
            let sent = self
                .http
                .post(self.token_url.clone())
                .form(&form)
                .send()
                .await;
            let response = match sent {
                Ok(response) => response,
                Err(source) => {
                    if let Some(delay) = budget.next_delay(None) {
                        tracing::debug!(error = %source, ?delay, "token endpoint unreachable; retrying");
                        tokio::time::sleep(delay).await;
                        continue;
                    }
                    return Err(Error::Transport {
                        host: self.token_url.host_str().unwrap_or_default().to_owned(),
                        client_request_id: None,
                        source,
                    });
                }
            };
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|value| value.to_str().ok())
                .and_then(parse_retry_after);
            let body = response.bytes().await.map_err(|source| Error::Transport {
                host: self.token_url.host_str().unwrap_or_default().to_owned(),
                client_request_id: None,
                source,
            })?;
            if (200..300).contains(&status) {
                return parse_token(status, &body);
            }
            if (status == 429 || status >= 500)
                && let Some(delay) = budget.next_delay(retry_after)
            {
                tracing::debug!(status, ?delay, "token endpoint busy; retrying");
                tokio::time::sleep(delay).await;
                continue;
            }
            let error =
                TokenEndpointError::parse(status, &body).unwrap_or_else(|| TokenEndpointError {
                    status,
                    error: format!("http_{status}"),
                    error_description: String::from_utf8_lossy(&body).chars().take(200).collect(),
                    ..TokenEndpointError::default()
                });
            tracing::warn!(status, error = %error.error, aadsts = ?error.aadsts(), "token request refused");
            return Err(Error::Auth(AuthError::Rejected(Box::new(error))));
        }
    }

    fn form(&self) -> Result<Vec<(&'static str, String)>> {
        let mut form = vec![
            ("client_id", self.client_id.clone()),
            ("scope", GRAPH_DEFAULT_SCOPE.to_owned()),
            ("grant_type", "client_credentials".to_owned()),
        ];
        match &self.credential {
            PreparedCredential::Secret(secret) => {
                form.push(("client_secret", secret.expose().to_owned()))
            }
            PreparedCredential::Certificate(certificate) => {
                let assertion = certificate.assertion(
                    &self.client_id,
                    self.token_url.as_str(),
                    OffsetDateTime::now_utc(),
                )?;
                form.push(("client_assertion_type", JWT_BEARER.to_owned()));
                form.push(("client_assertion", assertion.expose().to_owned()));
            }
        }
        Ok(form)
    }
}

fn parse_token(status: u16, body: &[u8]) -> Result<CachedToken> {
    let response: TokenResponse = serde_json::from_slice(body)
        .map_err(|_| Error::Auth(AuthError::MalformedResponse { status }))?;
    if response.access_token.is_empty() {
        return Err(Error::Auth(AuthError::MalformedResponse { status }));
    }
    // `expires_in` is a number in v2.0 and a string in some older endpoints.
    let seconds = match &response.expires_in {
        Some(serde_json::Value::Number(number)) => number.as_u64(),
        Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
        _ => None,
    }
    .unwrap_or(3599);
    let lifetime = Duration::from_secs(seconds);
    let refresh_after = lifetime.saturating_sub(REFRESH_AHEAD.min(lifetime / 2));
    Ok(CachedToken {
        access_token: response.access_token,
        refresh_at: Instant::now() + refresh_after,
    })
}

#[cfg(test)]
mod tests {
    use super::TokenEndpointError;

    #[track_caller]
    fn check(body: &str, code: Option<u64>, explain_starts: &str) {
        let error = TokenEndpointError::parse(401, body.as_bytes()).unwrap();
        assert_eq!(error.aadsts(), code);
        assert!(
            error.explain().starts_with(explain_starts),
            "{}",
            error.explain()
        );
    }

    #[test]
    fn aadsts_codes_are_explained() {
        check(
            r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x","error_codes":[7000215]}"#,
            Some(7_000_215),
            "sign-in to Entra ID failed: the client secret is wrong",
        );
        check(
            r#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired.","error_codes":[7000222]}"#,
            Some(7_000_222),
            "sign-in to Entra ID failed: the client secret has expired",
        );
        check(
            r#"{"error":"invalid_client","error_description":"AADSTS700027: Client assertion contains an invalid signature."}"#,
            Some(700_027),
            "sign-in to Entra ID failed: the certificate is not registered",
        );
        check(
            r#"{"error":"unauthorized_client","error_description":"AADSTS700016: Application with identifier 'x' was not found.","error_codes":[700016]}"#,
            Some(700_016),
            "sign-in to Entra ID failed: the app (client id) was not found",
        );
        check(
            r#"{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' is not valid.","error_codes":[70011]}"#,
            Some(70_011),
            "sign-in to Entra ID failed: the requested scope is invalid",
        );
        check(
            r#"{"error":"invalid_request","error_description":"AADSTS12345: Something new.\r\nTrace ID: abc"}"#,
            Some(12_345),
            "sign-in to Entra ID failed (invalid_request, AADSTS12345): AADSTS12345: Something new.",
        );
    }

    #[test]
    fn non_envelopes_are_rejected() {
        assert!(TokenEndpointError::parse(400, b"<html>").is_none());
        assert!(TokenEndpointError::parse(400, br#"{"error":{"code":"x"}}"#).is_none());
    }
}
