//! Token acquisition: caching, refresh, certificate assertions, token-endpoint errors, roles.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keydesk_graph::{AssertionAlgorithm, CertificateCredential, Credential, Error, GraphClient};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::fake::{CLIENT_ID, CLIENT_SECRET, Fake, Reply, fast_retry};

#[tokio::test]
async fn token_is_fetched_once_for_many_requests() {
    let fake = Fake::start(|_, _| Reply::json(200, json!({"id": "u1"}))).await;
    let client = fake.client();
    let calls = (0..20).map(|_| {
        let client = client.clone();
        async move { client.get::<Value>("users/u1").await }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    let tokens = fake.token_requests();
    assert_eq!(tokens.len(), 1, "concurrent requests share one token fetch");
    let form = tokens[0].form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["scope"], "https://graph.microsoft.com/.default");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert!(!form.contains_key("client_assertion"));
    assert_eq!(
        tokens[0].path_and_query,
        format!("/{}/oauth2/v2.0/token", crate::fake::TENANT)
    );
    assert_eq!(client.stats().token_requests, 1);
    assert_eq!(client.stats().requests, 20);
}

#[tokio::test]
async fn token_is_refreshed_ahead_of_expiry() {
    // A 2-second token is refreshed after half its lifetime.
    let fake = Fake::start_with_token(
        |_, _| Reply::json(200, json!({"id": "u1"})),
        |_, _| Reply::token(2, &[]),
    )
    .await;
    let client = fake.client();
    client.get::<Value>("users/u1").await.unwrap();
    client.get::<Value>("users/u1").await.unwrap();
    assert_eq!(fake.token_requests().len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    client.get::<Value>("users/u1").await.unwrap();
    assert_eq!(fake.token_requests().len(), 2);
    let requests = fake.graph_requests();
    assert_ne!(
        requests[1].header("authorization"),
        requests[2].header("authorization")
    );
}

#[tokio::test]
async fn token_endpoint_errors_are_typed_and_explained() {
    let fake = Fake::start_with_token(
        |_, _| Reply::json(200, json!({})),
        |_, _| {
            Reply::json(401, json!({
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.\r\nTrace ID: t\r\nCorrelation ID: c",
                "error_codes": [7000215],
                "trace_id": "t", "correlation_id": "c"}))
        },
    )
    .await;
    let error = fake.client().get::<Value>("users").await.unwrap_err();
    let Error::Auth(auth) = &error else {
        panic!("expected an auth error, got {error:?}")
    };
    assert_eq!(auth.aadsts(), Some(7_000_215));
    assert!(
        error.explain().contains("the client secret is wrong"),
        "{}",
        error.explain()
    );
    assert!(!error.to_string().contains(CLIENT_SECRET));
    assert!(fake.graph_requests().is_empty());
    assert_eq!(
        fake.token_requests().len(),
        1,
        "4xx from the token endpoint is not retried"
    );
}

#[tokio::test]
async fn token_endpoint_outage_is_retried() {
    let fake = Fake::start_with_token(
        |_, _| Reply::json(200, json!({"ok": true})),
        |_, index| {
            if index < 2 {
                Reply::empty(503)
            } else {
                Reply::token(3599, &[])
            }
        },
    )
    .await;
    fake.client().get::<Value>("x").await.unwrap();
    assert_eq!(fake.token_requests().len(), 3);
}

#[tokio::test]
async fn granted_roles_come_from_the_token() {
    let fake = Fake::start_with_token(
        |_, _| Reply::empty(204),
        |_, _| {
            Reply::token(
                3599,
                &[
                    "User.ReadWrite.All",
                    "UserAuthenticationMethod.ReadWrite.All",
                ],
            )
        },
    )
    .await;
    let roles = fake.client().granted_roles().await.unwrap();
    assert_eq!(
        roles,
        vec![
            "User.ReadWrite.All",
            "UserAuthenticationMethod.ReadWrite.All"
        ]
    );
}

fn certificate_credential(
    algorithm: AssertionAlgorithm,
) -> (CertificateCredential, Vec<u8>, String) {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["keydesk.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let pem = format!("{}\n{}", certificate.pem(), key.serialize_pem());
    let mut credential = CertificateCredential::from_pem(&pem).unwrap();
    credential.algorithm = algorithm;
    (credential, certificate.der().to_vec(), key.public_key_pem())
}

async fn check_assertion(algorithm: AssertionAlgorithm) {
    let (credential, der, public_pem) = certificate_credential(algorithm);
    let fake = Fake::start(|_, _| Reply::json(200, json!({}))).await;
    let client = GraphClient::builder(fake.config_with(Credential::Certificate(credential)))
        .retry_policy(fast_retry())
        .build()
        .unwrap();
    client.get::<Value>("organization").await.unwrap();

    let form = fake.token_requests()[0].form();
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(!form.contains_key("client_secret"));
    let assertion = &form["client_assertion"];

    let header = jsonwebtoken::decode_header(assertion).unwrap();
    let sha1 = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &der);
    assert_eq!(
        header.x5t.as_deref(),
        Some(URL_SAFE_NO_PAD.encode(sha1.as_ref()).as_str())
    );
    assert_eq!(
        header.x5t_s256.as_deref(),
        Some(URL_SAFE_NO_PAD.encode(Sha256::digest(&der)).as_str())
    );
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let expected_alg = match algorithm {
        AssertionAlgorithm::Ps256 => jsonwebtoken::Algorithm::PS256,
        AssertionAlgorithm::Rs256 => jsonwebtoken::Algorithm::RS256,
    };
    assert_eq!(header.alg, expected_alg);

    // The signature verifies with the certificate's public key, and the claims are right.
    let mut validation = jsonwebtoken::Validation::new(expected_alg);
    validation.set_audience(&[fake.token_url()]);
    validation.set_issuer(&[CLIENT_ID]);
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_pem.as_bytes()).unwrap();
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["aud"], fake.token_url());
    assert_eq!(claims["iss"], CLIENT_ID);
    assert_eq!(claims["sub"], CLIENT_ID);
    assert!(uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).is_ok());
    let (nbf, iat, exp) = (
        claims["nbf"].as_i64().unwrap(),
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(nbf, iat);
    assert_eq!(exp - nbf, 600);
}

#[tokio::test]
async fn certificate_assertion_ps256() {
    check_assertion(AssertionAlgorithm::Ps256).await;
}

#[tokio::test]
async fn certificate_assertion_rs256() {
    check_assertion(AssertionAlgorithm::Rs256).await;
}

#[tokio::test]
async fn unusable_private_key_fails_at_build_time() {
    let (mut credential, _, _) = certificate_credential(AssertionAlgorithm::Ps256);
    credential.private_key_pem = keydesk_graph::Secret::new(
        "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n",
    );
    let fake = Fake::start(|_, _| Reply::empty(204)).await;
    let error =
        GraphClient::new(fake.config_with(Credential::Certificate(credential))).unwrap_err();
    assert!(
        matches!(error, Error::Auth(keydesk_graph::AuthError::Certificate(_))),
        "{error:?}"
    );
}
