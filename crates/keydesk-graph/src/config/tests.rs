//! Configuration loading from variables and JSON, URL safety rules, and redaction.

use std::collections::HashMap;

use super::{AssertionAlgorithm, ConfigError, Credential, GraphConfig};

fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    move |name| map.get(name).cloned()
}

fn self_signed_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
    let certificate = rcgen::CertificateParams::new(vec!["keydesk.test".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    format!("{}{}", certificate.pem(), key.serialize_pem())
}

#[test]
fn secret_from_vars_with_defaults() {
    let config = GraphConfig::from_vars(vars(&[
        ("KEYDESK_TENANT_ID", "contoso.onmicrosoft.com"),
        ("KEYDESK_CLIENT_ID", "app-1"),
        ("KEYDESK_CLIENT_SECRET", "s3cr3t-value"),
    ]))
    .unwrap();
    assert_eq!(
        config.graph_base.as_str(),
        "https://graph.microsoft.com/v1.0"
    );
    assert_eq!(
        config.beta_base.as_str(),
        "https://graph.microsoft.com/beta"
    );
    assert_eq!(
        config.token_url().unwrap().as_str(),
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
    );
    assert!(
        matches!(&config.credential, Credential::Secret(secret) if secret.expose() == "s3cr3t-value")
    );
    let debug = format!("{config:?}");
    assert!(!debug.contains("s3cr3t-value"), "{debug}");
    assert!(debug.contains("[redacted]"));
}

#[test]
fn emulator_urls_on_loopback() {
    let config = GraphConfig::from_vars(vars(&[
        ("KEYDESK_TENANT_ID", "00000000-0000-0000-0000-000000000001"),
        ("KEYDESK_CLIENT_ID", "app-1"),
        ("KEYDESK_CLIENT_SECRET", "x"),
        ("KEYDESK_AUTHORITY_HOST", "http://127.0.0.1:4010"),
        ("KEYDESK_GRAPH_BASE", "http://127.0.0.1:4010/v1.0"),
    ]))
    .unwrap();
    assert_eq!(config.beta_base.as_str(), "http://127.0.0.1:4010/beta");
    assert_eq!(
        config.token_url().unwrap().as_str(),
        "http://127.0.0.1:4010/00000000-0000-0000-0000-000000000001/oauth2/v2.0/token"
    );
}

#[test]
fn plain_http_off_loopback_is_refused() {
    let result = GraphConfig::from_vars(vars(&[
        ("KEYDESK_TENANT_ID", "t"),
        ("KEYDESK_CLIENT_ID", "c"),
        ("KEYDESK_CLIENT_SECRET", "x"),
        ("KEYDESK_GRAPH_BASE", "http://graph.example.com/v1.0"),
    ]));
    assert!(
        matches!(result, Err(ConfigError::InsecureUrl { .. })),
        "{result:?}"
    );
}

#[test]
fn missing_and_ambiguous_credentials() {
    let missing = GraphConfig::from_vars(vars(&[
        ("KEYDESK_TENANT_ID", "t"),
        ("KEYDESK_CLIENT_ID", "c"),
    ]));
    assert!(matches!(missing, Err(ConfigError::MissingCredential)));
    let no_tenant = GraphConfig::from_vars(vars(&[
        ("KEYDESK_CLIENT_ID", "c"),
        ("KEYDESK_CLIENT_SECRET", "x"),
    ]));
    assert!(matches!(
        no_tenant,
        Err(ConfigError::Missing("KEYDESK_TENANT_ID"))
    ));
    let bad_tenant = GraphConfig::from_vars(vars(&[
        ("KEYDESK_TENANT_ID", "a/b"),
        ("KEYDESK_CLIENT_ID", "c"),
        ("KEYDESK_CLIENT_SECRET", "x"),
    ]));
    assert!(matches!(bad_tenant, Err(ConfigError::InvalidTenant(_))));
    let both = GraphConfig::from_json_str(
        r#"{"tenant_id":"t","client_id":"c","client_secret":"x","certificate_pem":"a","private_key_pem":"b"}"#,
    );
    assert!(both.is_err());
}

#[test]
fn json_file_with_relative_certificate_path() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(directory.path().join("app.pem"), self_signed_pem()).unwrap();
    let config_path = directory.path().join("graph.json");
    std::fs::write(
        &config_path,
        r#"{"tenantId":"contoso.com","clientId":"app-1","certPath":"app.pem","assertion_algorithm":"RS256",
            "graph_base":"http://localhost:9/v1.0","authority_host":"http://localhost:9"}"#,
    )
    .unwrap();
    let config = GraphConfig::from_json_file(&config_path).unwrap();
    match &config.credential {
        Credential::Certificate(certificate) => {
            assert!(
                certificate
                    .certificate_pem
                    .starts_with("-----BEGIN CERTIFICATE-----")
            );
            assert!(
                certificate
                    .private_key_pem
                    .expose()
                    .starts_with("-----BEGIN PRIVATE KEY-----")
            );
            assert_eq!(certificate.algorithm, AssertionAlgorithm::Rs256);
        }
        Credential::Secret(_) => panic!("expected a certificate credential"),
    }
    assert!(!format!("{config:?}").contains("PRIVATE KEY"));
}

#[test]
fn json_rejects_unknown_keys_and_bad_pem() {
    let typo = GraphConfig::from_json_str(
        r#"{"tenant_id":"t","client_id":"c","client_secret":"x","grpah_base":"x"}"#,
    );
    assert!(matches!(typo, Err(ConfigError::Json { .. })));
    let pem = GraphConfig::from_json_str(
        r#"{"tenant_id":"t","client_id":"c","certificate_pem":"-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n","private_key_pem":"nothing"}"#,
    );
    assert!(matches!(pem, Err(ConfigError::InvalidPem(_))), "{pem:?}");
}
