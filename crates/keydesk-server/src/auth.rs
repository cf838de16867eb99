//! Who is calling.
//!
//! - **Sessions** (the console): an HMAC-SHA256-signed cookie holding the person's UPN, a CSRF
//!   token and an expiry. `HttpOnly`, `SameSite=Strict`, `Secure`, `Path=/`. Instances sharing
//!   one session key (`KEYDESK_SESSION_KEY`) accept each other's sessions; nothing is stored.
//!   Every state-changing request on a session must carry the session's CSRF token in the
//!   `X-CSRF-Token` header (the console's htmx sends it on every request).
//! - **Bearer tokens** (API callers): Entra ID access tokens, validated against the tenant's
//!   signing keys (JWKS), issuer, audience and expiry. Only delegated tokens (a person's `upn` or
//!   `preferred_username`) are accepted: keydesk acts for people, and the policy decides per person.
//!
//! The UPN is all that is taken from either: the person's roles and groups are read from the
//! directory for every decision.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "keydesk_session";
/// The CSRF header.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(8 * 3600);

type HmacSha256 = Hmac<Sha256>;

/// The key sessions are signed with.
#[derive(Clone)]
pub struct SessionKey(Arc<[u8]>);

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(redacted)")
    }
}

impl SessionKey {
    /// A fresh random key (sessions end when the process does).
    pub fn random() -> SessionKey {
        let hex = keydesk_service::token("", 32);
        SessionKey(Arc::from(hex.into_bytes()))
    }

    /// A configured key (at least 32 bytes), shared by the instances behind one address.
    pub fn from_secret(secret: &str) -> Result<SessionKey, String> {
        if secret.len() < 32 {
            return Err("the session key must be at least 32 characters".into());
        }
        Ok(SessionKey(Arc::from(secret.as_bytes().to_vec())))
    }

    fn mac(&self, payload: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length.
        let mut mac = match HmacSha256::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => return Vec::new(),
        };
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    /// The cookie value for a new session.
    pub fn issue(&self, session: &Session) -> String {
        self.seal(session)
    }

    /// The session a cookie value holds, if its signature is good and it has not expired.
    pub fn open(&self, value: &str) -> Option<Session> {
        let session: Session = self.unseal(value)?;
        (session.expires > now_unix()).then_some(session)
    }

    /// Signs `value` (readable by the client, not forgeable).
    pub fn seal<T: Serialize>(&self, value: &T) -> String {
        let payload = serde_json::to_vec(value).unwrap_or_default();
        let mac = self.mac(&payload);
        format!("v1.{}.{}", B64.encode(&payload), B64.encode(mac))
    }

    /// What a sealed value holds, if its signature is good.
    pub fn unseal<T: serde::de::DeserializeOwned>(&self, value: &str) -> Option<T> {
        let mut parts = value.split('.');
        let (Some("v1"), Some(payload), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let payload = B64.decode(payload).ok()?;
        let mac = B64.decode(mac).ok()?;
        let mut check = HmacSha256::new_from_slice(&self.0).ok()?;
        check.update(&payload);
        check.verify_slice(&mac).ok()?;
        serde_json::from_slice(&payload).ok()
    }
}

/// What a session cookie holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    /// The person (UPN as they signed in).
    #[serde(rename = "u")]
    pub upn: String,
    /// The CSRF token for this session.
    #[serde(rename = "c")]
    pub csrf: String,
    /// Unix seconds.
    #[serde(rename = "e")]
    pub expires: i64,
    /// How they signed in: `demo` or `entra`.
    #[serde(rename = "m")]
    pub method: String,
}

impl Session {
    pub fn new(upn: &str, method: &str) -> Session {
        Session {
            upn: upn.to_string(),
            csrf: keydesk_service::token("", 16),
            expires: now_unix() + SESSION_LIFETIME.as_secs() as i64,
            method: method.to_string(),
        }
    }
}

pub fn now_unix() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The `Set-Cookie` value for a session (or, with `None`, one that ends it).
pub fn session_cookie(value: Option<&str>) -> String {
    match value {
        Some(value) => format!(
            "{SESSION_COOKIE}={value}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
            SESSION_LIFETIME.as_secs()
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    }
}

pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Constant-time equality (tokens).
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// How the caller proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    Bearer,
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The person's UPN (as presented; the directory is asked who they are).
    pub upn: String,
    pub via: Via,
    /// The session's CSRF token (sessions only), for pages to embed.
    pub csrf: Option<String>,
}

/// A caller if there is one (pages that show a sign-in prompt otherwise).
#[derive(Debug, Clone)]
pub struct MaybeCaller(pub Option<Caller>);

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub(crate) async fn caller(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| ApiError::unauthorized())?;
        let Some(token) = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
        else {
            return Err(ApiError::unauthorized());
        };
        let Some(validator) = &state.bearer else {
            return Err(ApiError::unauthorized().with_hint(
                "this server accepts no bearer tokens: configure KEYDESK_API_AUDIENCE",
            ));
        };
        let upn = validator.validate(token.trim()).await?;
        return Ok(Some(Caller {
            upn,
            via: Via::Bearer,
            csrf: None,
        }));
    }
    let Some(value) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = state.sessions.open(value) else {
        return Ok(None);
    };
    if is_unsafe(&parts.method) {
        let sent = parts
            .headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !same(sent, &session.csrf) {
            return Err(ApiError::forbidden(
                "this request lacks the session's CSRF token (X-CSRF-Token)",
            ));
        }
    }
    Ok(Some(Caller {
        upn: session.upn,
        via: Via::Session,
        csrf: Some(session.csrf),
    }))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        caller(parts, state)
            .await?
            .ok_or_else(ApiError::unauthorized)
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeCaller, ApiError> {
        Ok(MaybeCaller(caller(parts, state).await?))
    }
}

/// Validates Entra ID access tokens against the tenant's keys.
pub struct BearerValidator {
    issuer: String,
    audience: String,
    jwks_url: String,
    http: reqwest::Client,
    keys: tokio::sync::Mutex<Option<(Instant, jsonwebtoken::jwk::JwkSet)>>,
}

/// How long fetched signing keys are trusted before they are fetched again.
const JWKS_TTL: Duration = Duration::from_secs(3600);
/// The least time between two fetches prompted by an unknown key id.
const JWKS_MIN_REFRESH: Duration = Duration::from_secs(60);

#[derive(Deserialize)]
struct Claims {
    upn: Option<String>,
    preferred_username: Option<String>,
}

impl BearerValidator {
    /// Tokens issued by `issuer` for `audience`, signed by a key of `jwks_url`.
    pub fn new(issuer: &str, audience: &str, jwks_url: &str) -> BearerValidator {
        BearerValidator {
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            jwks_url: jwks_url.to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            keys: tokio::sync::Mutex::new(None),
        }
    }

    /// Entra ID's v2.0 endpoints for `tenant` under `authority` (`https://login.microsoftonline.com`).
    pub fn entra(authority: &str, tenant: &str, audience: &str) -> BearerValidator {
        let authority = authority.trim_end_matches('/');
        BearerValidator::new(
            &format!("{authority}/{tenant}/v2.0"),
            audience,
            &format!("{authority}/{tenant}/discovery/v2.0/keys"),
        )
    }

    async fn key(&self, kid: &str) -> Result<jsonwebtoken::DecodingKey, ApiError> {
        let mut keys = self.keys.lock().await;
        let fresh = keys.as_ref().is_some_and(|(at, _)| at.elapsed() < JWKS_TTL);
        let known = keys.as_ref().and_then(|(_, set)| set.find(kid).cloned());
        let may_refresh = keys
            .as_ref()
            .is_none_or(|(at, _)| at.elapsed() >= JWKS_MIN_REFRESH);
        let jwk = match known {
            Some(jwk) if fresh => jwk,
            _ if !may_refresh => {
                return Err(ApiError::unauthorized()
                    .with_hint("the token's signing key is not the tenant's"));
            }
            _ => {
                let set: jsonwebtoken::jwk::JwkSet = self
                    .http
                    .get(&self.jwks_url)
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| {
                        ApiError::unavailable(
                            "the tenant's signing keys could not be fetched",
                            &e.without_url(),
                        )
                    })?
                    .json()
                    .await
                    .map_err(|e| {
                        ApiError::unavailable("the tenant's signing keys could not be read", &e)
                    })?;
                let jwk = set.find(kid).cloned();
                *keys = Some((Instant::now(), set));
                jwk.ok_or_else(|| {
                    ApiError::unauthorized()
                        .with_hint("the token's signing key is not the tenant's")
                })?
            }
        };
        jsonwebtoken::DecodingKey::from_jwk(&jwk)
            .map_err(|_| ApiError::unauthorized().with_hint("the tenant's signing key is unusable"))
    }

    /// The person a token speaks for.
    pub async fn validate(&self, token: &str) -> Result<String, ApiError> {
        let claims: Claims = self.claims(token).await?;
        claims
            .upn
            .or(claims.preferred_username)
            .filter(|u| u.contains('@'))
            .ok_or_else(|| {
                ApiError::forbidden(
                    "app-only tokens are not accepted: keydesk acts for a signed-in person",
                )
            })
    }

    /// A token's claims, once its signature, issuer, audience and expiry are checked.
    pub async fn claims<T: serde::de::DeserializeOwned>(&self, token: &str) -> Result<T, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::unauthorized().with_hint("the bearer token is not a JWT"))?;
        if header.alg != jsonwebtoken::Algorithm::RS256 {
            return Err(ApiError::unauthorized().with_hint("only RS256 tokens are accepted"));
        }
        let kid = header
            .kid
            .ok_or_else(|| ApiError::unauthorized().with_hint("the token names no signing key"))?;
        let key = self.key(&kid).await?;
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.leeway = 60;
        let data = jsonwebtoken::decode::<T>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            let why = match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::InvalidAudience => "the token is for another audience",
                K::InvalidIssuer => "the token is from another issuer",
                K::InvalidSignature => "the token's signature is not valid",
                _ => "the token is not valid",
            };
            ApiError::unauthorized().with_hint(why)
        })?;
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_cookie_round_trips_and_tampering_is_refused() {
        let key = SessionKey::random();
        let session = Session::new("LeeG@contoso.com", "demo");
        let value = key.issue(&session);
        let opened = key.open(&value).expect("valid");
        assert_eq!(opened.upn, "LeeG@contoso.com");
        assert_eq!(opened.csrf, session.csrf);
        // Another key, a changed payload, a truncated MAC: all refused.
        assert!(SessionKey::random().open(&value).is_none());
        let mut forged = session.clone();
        forged.upn = "MeganB@contoso.com".into();
        let forged_payload = B64.encode(serde_json::to_vec(&forged).expect("json"));
        let parts: Vec<&str> = value.split('.').collect();
        assert!(
            key.open(&format!("v1.{forged_payload}.{}", parts[2]))
                .is_none()
        );
        assert!(key.open(&value[..value.len() - 2]).is_none());
        assert!(key.open("garbage").is_none());
        // Expired.
        let mut old = Session::new("LeeG@contoso.com", "demo");
        old.expires = now_unix() - 1;
        assert!(key.open(&key.issue(&old)).is_none());
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; keydesk_session=v1.x.y; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("v1.x.y"));
        assert_eq!(cookie(&headers, "c"), None);
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "ab"));
    }
}
