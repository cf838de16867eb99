//! The Microsoft identity platform's client-credentials token endpoint, and checking the tokens
//! it issues on every Graph request.
//!
//! Tokens are JWTs whose `roles` claim carries the app's consented application permissions and
//! whose `wids` claim carries the directory roles of the app's service principal. They are
//! signed with a per-process key (HS256): clients treat access tokens as opaque, as Microsoft
//! asks them to.

use axum::response::{IntoResponse, Response};
use base64::Engine;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::GraphError;
use crate::model::{AppRegistration, TenantState};
use crate::server::Shared;
use crate::tenant::hash_password;

/// Lifetime of issued tokens, as Entra's default.
pub const TOKEN_LIFETIME_SECONDS: i64 = 3599;

/// The authenticated app behind a Graph request.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub app_id: String,
    pub service_principal_id: String,
    pub display_name: String,
    /// Application permissions.
    pub roles: Vec<String>,
    /// Directory role template ids held by the app's service principal.
    pub wids: Vec<String>,
}

impl Caller {
    pub fn has_any(&self, permissions: &[&str]) -> bool {
        permissions
            .iter()
            .any(|p| self.roles.iter().any(|r| r.eq_ignore_ascii_case(p)))
    }

    pub fn holds_role(&self, template_id: &str) -> bool {
        self.wids.iter().any(|w| w == template_id)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    aud: String,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    appid: String,
    app_displayname: String,
    idtyp: String,
    oid: String,
    sub: String,
    tid: String,
    roles: Vec<String>,
    wids: Vec<String>,
    ver: String,
}

/// Checks the bearer token of a Graph request.
pub fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<Caller, GraphError> {
    let header = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .unwrap_or("")
        .trim();
    if token.is_empty() {
        return Err(GraphError::unauthorized("Access token is empty."));
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[
        "https://graph.microsoft.com",
        crate::model::ids::GRAPH_APP_ID,
    ]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(&shared.signing_key),
        &validation,
    )
    .map_err(|_| {
        GraphError::unauthorized("Access token validation failure. Invalid audience or signature.")
    })?;
    let claims = data.claims;
    let now = shared.now().unix_timestamp();
    if claims.exp <= now {
        return Err(GraphError::unauthorized(
            "Lifetime validation failed, the token is expired.",
        ));
    }
    let tenant = shared.tenant();
    if claims.tid != tenant.tenant_id {
        return Err(GraphError::unauthorized(
            "Access token validation failure. The token is for another tenant.",
        ));
    }
    Ok(Caller {
        app_id: claims.appid,
        service_principal_id: claims.oid,
        display_name: claims.app_displayname,
        roles: claims.roles,
        wids: claims.wids,
    })
}

/// `POST /{tenant}/oauth2/v2.0/token` with the client-credentials grant.
pub fn token_endpoint(
    shared: &Shared,
    method: &Method,
    tenant_segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    match issue(shared, method, tenant_segment, headers, body) {
        Ok(token) => {
            let mut response = (StatusCode::OK, token.to_string()).into_response();
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            response
        }
        Err(failure) => failure.into_response_at(shared),
    }
}

/// A token endpoint refusal in its own dialect (not Graph's envelope).
#[derive(Debug)]
struct TokenFailure {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl TokenFailure {
    fn new(
        status: StatusCode,
        error: &'static str,
        code: u32,
        description: impl Into<String>,
    ) -> TokenFailure {
        TokenFailure {
            status,
            error,
            code,
            description: description.into(),
        }
    }

    fn into_response_at(self, shared: &Shared) -> Response {
        let trace_id = uuid::Uuid::new_v4().to_string();
        let timestamp = shared
            .now()
            .format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]Z"
            ))
            .unwrap_or_default();
        let body = json!({
            "error": self.error,
            "error_description": format!("AADSTS{}: {} Trace ID: {trace_id} Correlation ID: {trace_id} Timestamp: {timestamp}", self.code, self.description),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": trace_id,
        });
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

fn issue(
    shared: &Shared,
    method: &Method,
    tenant_segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, TokenFailure> {
    if method != Method::POST {
        return Err(TokenFailure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            900561,
            "The endpoint only accepts POST requests.",
        ));
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        ));
    }
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let tenant = shared.tenant();
    if !tenant_segment.eq_ignore_ascii_case(&tenant.tenant_id)
        && !tenant_segment.eq_ignore_ascii_case(&tenant.domain)
    {
        return Err(TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant_segment}' not found. Check to make sure you have the correct tenant ID."
            ),
        ));
    }
    for required in ["grant_type", "client_id", "scope"] {
        if field(required).is_empty() {
            return Err(TokenFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                900144,
                format!("The request body must contain the following parameter: '{required}'."),
            ));
        }
    }
    if field("grant_type") != "client_credentials" {
        return Err(TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        ));
    }
    let scope = field("scope");
    if scope != "https://graph.microsoft.com/.default"
        && scope != "00000003-0000-0000-c000-000000000000/.default"
    {
        return Err(TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            1002012,
            format!(
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        ));
    }
    let client_id = field("client_id");
    let app = tenant.apps.get(client_id).ok_or_else(|| {
        TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                tenant.domain
            ),
        )
    })?;
    let now = shared.now();
    let secret = field("client_secret");
    let assertion = field("client_assertion");
    if !secret.is_empty() {
        let hash = hash_password(&tenant.salt, secret);
        match app.secrets.iter().find(|s| s.secret_hash == hash) {
            None => {
                return Err(TokenFailure::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
                ));
            }
            Some(found) if found.end_date_time <= now => {
                return Err(TokenFailure::new(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    7000222,
                    format!("The provided client secret keys for app '{client_id}' are expired."),
                ));
            }
            Some(_) => {}
        }
    } else if !assertion.is_empty() {
        if field("client_assertion_type")
            != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        {
            return Err(TokenFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                50027,
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.",
            ));
        }
        let token_urls = [
            format!(
                "{}/{}/oauth2/v2.0/token",
                shared.base_url(),
                tenant.tenant_id
            ),
            format!("{}/{}/oauth2/v2.0/token", shared.base_url(), tenant.domain),
        ];
        verify_assertion(app, assertion, &token_urls, now)?;
    } else {
        return Err(TokenFailure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }

    let token = mint(shared, &tenant, app, now);
    Ok(json!({
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFETIME_SECONDS,
        "ext_expires_in": TOKEN_LIFETIME_SECONDS,
        "access_token": token,
    }))
}

fn mint(
    shared: &Shared,
    tenant: &TenantState,
    app: &AppRegistration,
    now: time::OffsetDateTime,
) -> String {
    let wids: Vec<String> = tenant
        .directory_roles
        .values()
        .filter(|r| r.members.contains(&app.service_principal_id))
        .map(|r| r.role.role_template_id.clone())
        .collect();
    let issued = now.unix_timestamp();
    let claims = Claims {
        aud: "https://graph.microsoft.com".into(),
        iss: format!("https://sts.windows.net/{}/", tenant.tenant_id),
        iat: issued,
        nbf: issued,
        exp: issued + TOKEN_LIFETIME_SECONDS,
        appid: app.app_id.clone(),
        app_displayname: app.display_name.clone(),
        idtyp: "app".into(),
        oid: app.service_principal_id.clone(),
        sub: app.service_principal_id.clone(),
        tid: tenant.tenant_id.clone(),
        roles: app.granted_permissions.clone(),
        wids,
        ver: "1.0".into(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&shared.signing_key),
    )
    .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    aud: String,
    iss: String,
    sub: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
}

fn verify_assertion(
    app: &AppRegistration,
    assertion: &str,
    token_urls: &[String],
    now: time::OffsetDateTime,
) -> Result<(), TokenFailure> {
    let invalid = |detail: &str| {
        TokenFailure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!("Client assertion failed signature validation. {detail}"),
        )
    };
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| invalid("The assertion is not a well-formed JWT."))?;
    let certificate = app
        .certificates
        .iter()
        .find(|c| {
            header.x5t_s256.as_deref() == Some(c.thumbprint_sha256.as_str())
                || header.x5t.as_deref() == Some(c.thumbprint_sha1.as_str())
        })
        .ok_or_else(|| {
            TokenFailure::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                700027,
                format!("The certificate with identifier used to sign the client assertion is not registered on application '{}'.", app.app_id),
            )
        })?;
    if certificate.end_date_time <= now {
        return Err(TokenFailure::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            "The certificate used to sign the client assertion has expired.",
        ));
    }
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(invalid("Only RS256 and PS256 are accepted."));
    }
    let public_key = certificate_public_key(&certificate.certificate_pem)
        .ok_or_else(|| invalid("The registered certificate could not be read."))?;
    let mut validation = Validation::new(header.alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<AssertionClaims>(
        assertion,
        &DecodingKey::from_rsa_der(&public_key),
        &validation,
    )
    .map_err(|_| invalid("The signature does not match the registered certificate."))?;
    let claims = data.claims;
    if !token_urls.iter().any(|u| u == &claims.aud) {
        return Err(TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700021,
            format!(
                "Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials. (aud was '{}')",
                claims.aud
            ),
        ));
    }
    if claims.iss != app.app_id || claims.sub != app.app_id {
        return Err(TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700023,
            "Client assertion issuer and subject must both be the client id.",
        ));
    }
    let now_seconds = now.unix_timestamp();
    if claims.exp <= now_seconds || claims.nbf.is_some_and(|nbf| nbf > now_seconds + 300) {
        return Err(TokenFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    Ok(())
}

/// The PKCS#1 RSA public key inside a PEM certificate.
fn certificate_public_key(pem: &str) -> Option<Vec<u8>> {
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let (_, certificate) = x509_parser::parse_x509_certificate(&parsed.contents).ok()?;
    Some(certificate.public_key().subject_public_key.data.to_vec())
}

/// Thumbprints of a PEM certificate: (`x5t` SHA-1, `x5t#S256` SHA-256), both base64url.
pub fn certificate_thumbprints(pem: &str) -> Option<(String, String, time::OffsetDateTime)> {
    use sha2::Digest;
    let (_, parsed) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let (_, certificate) = x509_parser::parse_x509_certificate(&parsed.contents).ok()?;
    let not_after = certificate.validity().not_after.to_datetime();
    let sha256 = sha2::Sha256::digest(&parsed.contents);
    let sha1 = sha1::Sha1::digest(&parsed.contents);
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    Some((engine.encode(sha1), engine.encode(sha256), not_after))
}
