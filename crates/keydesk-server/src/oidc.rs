//! Console sign-in with Entra ID: OpenID Connect authorization code flow with PKCE (S256).
//!
//! `GET /auth/login` sends the browser to the tenant's authorize endpoint with a fresh `state`,
//! `nonce` and code challenge, remembered in a short-lived signed cookie (`keydesk_oidc`);
//! `GET /auth/callback` checks `state`, redeems the code with the verifier (and keydesk's client
//! secret: the server is a confidential client), validates the ID token (signature against the
//! tenant's keys, issuer, audience = keydesk's client id, expiry, `nonce`) and starts a session
//! for the token's `preferred_username`. Nothing else is taken from the token.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::AppState;
use crate::auth::{BearerValidator, Session, now_unix, session_cookie};
use crate::error::ApiError;

const FLOW_COOKIE: &str = "keydesk_oidc";
/// How long a sign-in may take at the identity provider.
const FLOW_SECONDS: i64 = 600;

/// Entra ID sign-in for the console.
pub struct OidcConfig {
    /// `https://login.microsoftonline.com` (or a sovereign cloud's).
    pub authority: String,
    pub tenant: String,
    pub client_id: String,
    /// keydesk's client secret (the token request is a confidential client's).
    pub client_secret: keydesk_service::Secret,
    /// `https://keydesk.example.com/auth/callback`, registered on the app.
    pub redirect_url: String,
    validator: BearerValidator,
    http: reqwest::Client,
}

impl OidcConfig {
    pub fn new(
        authority: &str,
        tenant: &str,
        client_id: &str,
        client_secret: keydesk_service::Secret,
        redirect_url: &str,
    ) -> OidcConfig {
        let authority = authority.trim_end_matches('/').to_string();
        OidcConfig {
            validator: BearerValidator::entra(&authority, tenant, client_id),
            authority,
            tenant: tenant.to_string(),
            client_id: client_id.to_string(),
            client_secret,
            redirect_url: redirect_url.to_string(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(15))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
        }
    }

    fn endpoint(&self, which: &str) -> String {
        format!("{}/{}/oauth2/v2.0/{which}", self.authority, self.tenant)
    }
}

/// What the flow cookie remembers between the redirect and the callback.
#[derive(Serialize, Deserialize)]
struct Flow {
    state: String,
    nonce: String,
    verifier: String,
    expires: i64,
}

fn flow_cookie(value: Option<&str>) -> String {
    match value {
        Some(v) => format!(
            "{FLOW_COOKIE}={v}; Path=/auth; HttpOnly; Secure; SameSite=Lax; Max-Age={FLOW_SECONDS}"
        ),
        None => format!("{FLOW_COOKIE}=; Path=/auth; HttpOnly; Secure; SameSite=Lax; Max-Age=0"),
    }
}

/// The PKCE S256 challenge for a verifier.
pub fn challenge(verifier: &str) -> String {
    B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// `GET /auth/login`: to the tenant's sign-in page.
pub async fn login(State(state): State<AppState>) -> Result<Response, ApiError> {
    let oidc = state
        .oidc
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Entra ID sign-in is not configured on this server"))?;
    let flow = Flow {
        state: keydesk_service::token("", 16),
        nonce: keydesk_service::token("", 16),
        verifier: keydesk_service::token("", 32),
        expires: now_unix() + FLOW_SECONDS,
    };
    let mut url = url::Url::parse(&oidc.endpoint("authorize"))
        .map_err(|e| ApiError::unavailable("the sign-in address is not valid", &e))?;
    url.query_pairs_mut()
        .append_pair("client_id", &oidc.client_id)
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &oidc.redirect_url)
        .append_pair("response_mode", "query")
        .append_pair("scope", "openid profile email")
        .append_pair("state", &flow.state)
        .append_pair("nonce", &flow.nonce)
        .append_pair("code_challenge", &challenge(&flow.verifier))
        .append_pair("code_challenge_method", "S256");
    let sealed = state.sessions.seal(&flow);
    Ok((
        [(header::SET_COOKIE, flow_cookie(Some(&sealed)))],
        Redirect::to(url.as_str()),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct IdClaims {
    nonce: Option<String>,
    preferred_username: Option<String>,
    upn: Option<String>,
}

/// `GET /auth/callback`: the code back from the tenant → a session.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Callback>,
) -> Result<Response, ApiError> {
    let oidc = state
        .oidc
        .as_ref()
        .ok_or_else(|| ApiError::not_found("Entra ID sign-in is not configured on this server"))?;
    if let Some(error) = query.error {
        return Err(
            ApiError::forbidden(format!("the sign-in was not completed: {error}"))
                .with_hint(query.error_description.unwrap_or_default()),
        );
    }
    let flow: Flow = crate::auth::cookie(&headers, FLOW_COOKIE)
        .and_then(|v| state.sessions.unseal(v))
        .filter(|f: &Flow| f.expires > now_unix())
        .ok_or_else(|| {
            ApiError::forbidden("the sign-in expired or was started elsewhere; start again")
        })?;
    let (Some(code), Some(returned_state)) = (query.code, query.state) else {
        return Err(ApiError::bad_request(
            "the callback lacks its code or state",
        ));
    };
    if returned_state != flow.state {
        return Err(ApiError::forbidden(
            "the sign-in's state does not match; start again",
        ));
    }
    let answer = oidc
        .http
        .post(oidc.endpoint("token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", oidc.client_id.as_str()),
            ("client_secret", oidc.client_secret.expose()),
            ("code", code.as_str()),
            ("redirect_uri", oidc.redirect_url.as_str()),
            ("code_verifier", flow.verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| {
            ApiError::unavailable(
                "the tenant's token endpoint could not be reached",
                &e.without_url(),
            )
        })?;
    if !answer.status().is_success() {
        return Err(ApiError::forbidden("the tenant refused the sign-in code"));
    }
    let answer: TokenAnswer = answer
        .json()
        .await
        .map_err(|e| ApiError::unavailable("the tenant's token answer could not be read", &e))?;
    let id_token = answer
        .id_token
        .ok_or_else(|| ApiError::forbidden("the tenant returned no ID token"))?;
    let claims: IdClaims = oidc.validator.claims(&id_token).await?;
    if claims.nonce.as_deref() != Some(flow.nonce.as_str()) {
        return Err(ApiError::forbidden(
            "the ID token's nonce does not match; start again",
        ));
    }
    let upn = claims
        .preferred_username
        .or(claims.upn)
        .filter(|u| u.contains('@'))
        .ok_or_else(|| ApiError::forbidden("the ID token names no user"))?;
    let session = Session::new(&upn, "entra");
    let mut response = Redirect::to("/").into_response();
    let headers = response.headers_mut();
    if let Ok(value) = session_cookie(Some(&state.sessions.issue(&session))).parse() {
        headers.append(header::SET_COOKIE, value);
    }
    if let Ok(value) = flow_cookie(None).parse() {
        headers.append(header::SET_COOKIE, value);
    }
    Ok(response)
}
