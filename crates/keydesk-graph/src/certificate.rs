//! Certificate credentials: PEM splitting, thumbprints and the signed client assertion.
//!
//! The assertion is a JWT signed with the app certificate's RSA key, carrying both `x5t`
//! (base64url SHA-1 of the certificate DER, the historic form) and `x5t#S256` (base64url
//! SHA-256, the current form), with `aud` = token URL, `iss` = `sub` = client id, a fresh `jti`,
//! and a ten-minute lifetime. Nothing here performs I/O.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::auth::AuthError;
use crate::config::{AssertionAlgorithm, CertificateCredential};
use crate::secret::Secret;

/// Lifetime of a client assertion.
const ASSERTION_LIFETIME_SECONDS: i64 = 600;
/// PEM label of an X.509 certificate.
pub(crate) const CERTIFICATE_LABEL: &str = "CERTIFICATE";

/// One `-----BEGIN label-----` … `-----END label-----` block, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PemBlock {
    pub(crate) label: String,
    pub(crate) der: Vec<u8>,
}

/// A certificate credential ready to sign assertions.
pub(crate) struct ClientCertificate {
    key: EncodingKey,
    algorithm: Algorithm,
    x5t: String,
    x5t_s256: String,
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl PemBlock {
    /// Every block in `text`, in order. Text outside blocks (comments, "Bag Attributes") is
    /// ignored.
    pub(crate) fn parse_all(text: &str) -> Result<Vec<PemBlock>, String> {
        let mut blocks = Vec::new();
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            let Some(label) = line
                .strip_prefix("-----BEGIN ")
                .and_then(|rest| rest.strip_suffix("-----"))
            else {
                continue;
            };
            let end = format!("-----END {label}-----");
            let mut body = String::new();
            let mut closed = false;
            for line in lines.by_ref() {
                if line == end {
                    closed = true;
                    break;
                }
                if line.contains(':') {
                    continue; // RFC 1421 headers such as Proc-Type
                }
                body.push_str(line);
            }
            if !closed {
                return Err(format!("{label} block is not terminated"));
            }
            let der = STANDARD
                .decode(body.as_bytes())
                .map_err(|error| format!("{label} block is not base64: {error}"))?;
            blocks.push(PemBlock {
                label: label.to_owned(),
                der,
            });
        }
        if blocks.is_empty() {
            return Err("no PEM blocks found".to_owned());
        }
        Ok(blocks)
    }

    /// Re-encodes the block as PEM text with 64-character lines.
    pub(crate) fn to_pem(&self) -> String {
        let encoded = STANDARD.encode(&self.der);
        let mut pem = format!("-----BEGIN {}-----\n", self.label);
        for chunk in encoded.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push('\n');
        }
        pem.push_str(&format!("-----END {}-----\n", self.label));
        pem
    }
}

/// Whether a PEM label is an unencrypted private key jsonwebtoken can read.
pub(crate) fn is_private_key_label(label: &str) -> bool {
    label == "PRIVATE KEY" || label == "RSA PRIVATE KEY"
}

/// Base64url (unpadded) SHA-1 of `der`: the `x5t` header value.
pub(crate) fn thumbprint_sha1(der: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Base64url (unpadded) SHA-256 of `der`: the `x5t#S256` header value.
pub(crate) fn thumbprint_sha256(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(der))
}

impl ClientCertificate {
    pub(crate) fn new(credential: &CertificateCredential) -> Result<Self, AuthError> {
        let certificate = PemBlock::parse_all(&credential.certificate_pem)
            .map_err(AuthError::Certificate)?
            .into_iter()
            .find(|block| block.label == CERTIFICATE_LABEL)
            .ok_or_else(|| AuthError::Certificate("no CERTIFICATE block".to_owned()))?;
        let key = EncodingKey::from_rsa_pem(credential.private_key_pem.expose().as_bytes())
            .map_err(|error| {
                AuthError::Certificate(format!("private key is not a usable RSA key: {error}"))
            })?;
        let algorithm = match credential.algorithm {
            AssertionAlgorithm::Ps256 => Algorithm::PS256,
            AssertionAlgorithm::Rs256 => Algorithm::RS256,
        };
        Ok(Self {
            key,
            algorithm,
            x5t: thumbprint_sha1(&certificate.der),
            x5t_s256: thumbprint_sha256(&certificate.der),
        })
    }

    /// Signs a fresh client assertion for `audience` (the token URL).
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> Result<Secret, AuthError> {
        let mut header = Header::new(self.algorithm);
        header.x5t = Some(self.x5t.clone());
        header.x5t_s256 = Some(self.x5t_s256.clone());
        let now = now.unix_timestamp();
        let claims = AssertionClaims {
            aud: audience,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_LIFETIME_SECONDS,
        };
        jsonwebtoken::encode(&header, &claims, &self.key)
            .map(Secret::new)
            .map_err(AuthError::Signing)
    }
}

#[cfg(test)]
mod tests {
    use super::{PemBlock, thumbprint_sha1, thumbprint_sha256};

    #[test]
    fn pem_blocks_round_trip() {
        let text = "Bag Attributes\n-----BEGIN CERTIFICATE-----\nAAEC\nAwQ=\n-----END CERTIFICATE-----\n\
                    junk\n-----BEGIN PRIVATE KEY-----\nBQY=\n-----END PRIVATE KEY-----\n";
        let blocks = PemBlock::parse_all(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].der, vec![0, 1, 2, 3, 4]);
        assert_eq!(blocks[1].der, vec![5, 6]);
        let again = PemBlock::parse_all(&blocks[0].to_pem()).unwrap();
        assert_eq!(again, vec![blocks[0].clone()]);
    }

    #[test]
    fn pem_errors() {
        assert!(PemBlock::parse_all("nothing here").is_err());
        assert!(PemBlock::parse_all("-----BEGIN CERTIFICATE-----\nAAEC\n").is_err());
        assert!(
            PemBlock::parse_all("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----")
                .is_err()
        );
    }

    #[test]
    fn thumbprints_are_base64url_digests() {
        // SHA-1("abc") = a9993e36..., SHA-256("abc") = ba7816bf...
        assert_eq!(thumbprint_sha1(b"abc"), "qZk-NkcGgWq6PiVxeFDCbJzQ2J0");
        assert_eq!(
            thumbprint_sha256(b"abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }
}
