//! [`AdDirectory`]: the connection to a domain controller and the operations keydesk runs there.
//!
//! Each operation opens a TLS connection (LDAPS, or StartTLS on `ldap://`), binds as keydesk's
//! service account, does its work and unbinds; nothing is cached between operations, so every
//! read is the domain controller's current state. Writes take the guard's [`Approved`]
//! capability and refuse one that does not cover an action allowed to make that change; after a
//! write the account is read back and the change checked.

use std::collections::HashSet;
use std::sync::Arc;

use keydesk_core::Secret;
use keydesk_guard::Approved;
use keydesk_policy::Action;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Mod, Scope, SearchEntry};

use crate::account::{ATTRIBUTES, AdAccount};
use crate::error::{bind_data_code, bind_reason, classify};
use crate::escape::{filter_bytes, filter_value};
use crate::{AdConfig, Error, Result, TlsTrust};

/// How an Entra user points at its AD account, strongest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// `objectGUID`, from Entra's `onPremisesImmutableId` (base64 of the GUID's bytes).
    ObjectGuid(uuid::Uuid),
    /// `sAMAccountName` (Entra's `onPremisesSamAccountName`).
    SamAccountName(String),
    /// The distinguished name (Entra's `onPremisesDistinguishedName`).
    DistinguishedName(String),
}

impl Anchor {
    /// The anchor from an `onPremisesImmutableId`; `None` when it is not base64 of 16 bytes.
    pub fn from_immutable_id(immutable_id: &str) -> Option<Anchor> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(immutable_id.trim())
            .ok()?;
        uuid::Uuid::from_slice_le(&bytes)
            .ok()
            .map(Anchor::ObjectGuid)
    }

    /// The attribute this anchor matches, for people.
    pub fn describe(&self) -> String {
        match self {
            Anchor::ObjectGuid(guid) => format!("objectGUID {guid}"),
            Anchor::SamAccountName(sam) => format!("sAMAccountName {sam}"),
            Anchor::DistinguishedName(dn) => format!("distinguishedName {dn}"),
        }
    }
}

/// An account found through an anchor.
#[derive(Debug, Clone)]
pub struct Found {
    /// The account.
    pub account: AdAccount,
    /// The anchor that matched.
    pub anchor: Anchor,
}

/// A domain controller keydesk can act in.
#[derive(Clone)]
pub struct AdDirectory {
    config: AdConfig,
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for AdDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdDirectory")
            .field("url", &self.config.url)
            .field("bind_dn", &self.config.bind_dn)
            .field("base_dn", &self.config.base_dn)
            .finish_non_exhaustive()
    }
}

impl AdDirectory {
    /// A directory for `config`; reads the CA file now, so a bad path fails early.
    pub fn new(config: AdConfig) -> Result<AdDirectory> {
        let tls = match &config.tls {
            TlsTrust::SystemRoots => None,
            TlsTrust::CaFile(path) => Some(Arc::new(client_config(path)?)),
        };
        config.starttls()?;
        Ok(AdDirectory { config, tls })
    }

    /// The configuration.
    pub fn config(&self) -> &AdConfig {
        &self.config
    }

    /// Where it connects, for people (`ldaps://dc:636`).
    pub fn url(&self) -> &str {
        &self.config.url
    }

    async fn connect(&self) -> Result<Ldap> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.config.timeout)
            .set_starttls(self.config.starttls()?);
        if let Some(tls) = &self.tls {
            settings = settings.set_config(tls.clone());
        }
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.config.url)
            .await
            .map_err(|e| Error::Connect {
                url: self.config.url.clone(),
                detail: e.to_string(),
            })?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// A connection bound as keydesk's service account.
    async fn session(&self) -> Result<Ldap> {
        let mut ldap = self.connect().await?;
        let result = ldap
            .with_timeout(self.config.timeout)
            .simple_bind(&self.config.bind_dn, self.config.bind_password.expose())
            .await
            .map_err(|e| Error::Connect {
                url: self.config.url.clone(),
                detail: e.to_string(),
            })?;
        if result.rc != 0 {
            return Err(Error::Bind {
                bind_dn: self.config.bind_dn.clone(),
                reason: bind_reason(&result.text),
            });
        }
        Ok(ldap)
    }

    /// Checks that the service account can bind (for `doctor`-style checks).
    pub async fn check(&self) -> Result<()> {
        let mut ldap = self.session().await?;
        let _ = ldap.unbind().await;
        Ok(())
    }

    /// Binds as `user` (a DN or `user@domain`) with `password` on a fresh connection, as a
    /// sign-in would: `Ok` when AD accepts the password, else why not ([`Error::AccountLocked`]
    /// for `data 775`, [`Error::Bind`] with AD's sub-code otherwise). A wrong password counts as a
    /// bad password in AD, as any sign-in does.
    pub async fn bind_as(&self, user: &str, password: &Secret) -> Result<()> {
        let mut ldap = self.connect().await?;
        let result = ldap
            .with_timeout(self.config.timeout)
            .simple_bind(user, password.expose())
            .await
            .map_err(|e| Error::Connect {
                url: self.config.url.clone(),
                detail: e.to_string(),
            })?;
        let _ = ldap.unbind().await;
        match result.rc {
            0 => Ok(()),
            _ if bind_data_code(&result.text).as_deref() == Some("775") => {
                Err(Error::AccountLocked {
                    dn: user.to_string(),
                })
            }
            _ => Err(Error::Bind {
                bind_dn: user.to_string(),
                reason: bind_reason(&result.text),
            }),
        }
    }

    /// The first anchor that matches exactly one user account (`None` when none matches).
    /// Several accounts matching one anchor is an error: keydesk does not guess.
    pub async fn find(&self, anchors: &[Anchor]) -> Result<Option<Found>> {
        let mut ldap = self.session().await?;
        let result = self.find_in(&mut ldap, anchors).await;
        let _ = ldap.unbind().await;
        result
    }

    async fn find_in(&self, ldap: &mut Ldap, anchors: &[Anchor]) -> Result<Option<Found>> {
        for anchor in anchors {
            let dns = match anchor {
                Anchor::DistinguishedName(dn) => {
                    match self.read_in(ldap, dn).await {
                        Ok(account) => {
                            return Ok(Some(Found {
                                account,
                                anchor: anchor.clone(),
                            }));
                        }
                        Err(Error::NotFound(_)) => continue,
                        // An invalid DN (noSuchObject's cousins) is no match either.
                        Err(Error::Ldap { rc: 32 | 34, .. }) => continue,
                        Err(other) => return Err(other),
                    }
                }
                Anchor::ObjectGuid(guid) => {
                    self.search_dns(
                        ldap,
                        &format!(
                            "(&(objectCategory=person)(objectClass=user)(objectGUID={}))",
                            filter_bytes(&guid.to_bytes_le())
                        ),
                    )
                    .await?
                }
                Anchor::SamAccountName(sam) => {
                    self.search_dns(
                        ldap,
                        &format!(
                            "(&(objectCategory=person)(objectClass=user)(sAMAccountName={}))",
                            filter_value(sam)
                        ),
                    )
                    .await?
                }
            };
            match dns.as_slice() {
                [] => continue,
                [dn] => {
                    let account = self.read_in(ldap, dn).await?;
                    return Ok(Some(Found {
                        account,
                        anchor: anchor.clone(),
                    }));
                }
                many => {
                    return Err(Error::Ambiguous {
                        anchor: anchor.describe(),
                        count: many.len(),
                    });
                }
            }
        }
        Ok(None)
    }

    async fn search_dns(&self, ldap: &mut Ldap, filter: &str) -> Result<Vec<String>> {
        let ldap3::SearchResult(entries, result) = ldap
            .with_timeout(self.config.timeout)
            .search(&self.config.base_dn, Scope::Subtree, filter, vec!["1.1"])
            .await
            .map_err(|e| ldap_error(&self.config.base_dn, e))?;
        if result.rc != 0 {
            return Err(classify(&self.config.base_dn, result.rc, &result.text));
        }
        Ok(entries
            .into_iter()
            .map(|e| SearchEntry::construct(e).dn)
            .collect())
    }

    /// Reads one account by DN, with its nested protected groups.
    pub async fn read(&self, dn: &str) -> Result<AdAccount> {
        let mut ldap = self.session().await?;
        let result = self.read_in(&mut ldap, dn).await;
        let _ = ldap.unbind().await;
        result
    }

    async fn read_in(&self, ldap: &mut Ldap, dn: &str) -> Result<AdAccount> {
        let mut attributes: Vec<&str> = ATTRIBUTES.to_vec();
        attributes.push("tokenGroups");
        let ldap3::SearchResult(entries, result) = ldap
            .with_timeout(self.config.timeout)
            .search(dn, Scope::Base, "(objectClass=user)", attributes)
            .await
            .map_err(|e| ldap_error(dn, e))?;
        if result.rc == 32 {
            return Err(Error::NotFound(dn.to_string()));
        }
        if result.rc != 0 {
            return Err(classify(dn, result.rc, &result.text));
        }
        let entry = entries
            .into_iter()
            .next()
            .map(SearchEntry::construct)
            .ok_or_else(|| Error::NotFound(dn.to_string()))?;
        Ok(AdAccount::from_attributes(
            &entry.dn,
            &entry.attrs,
            &entry.bin_attrs,
        ))
    }

    /// Unlocks: `lockoutTime` = 0 (which also clears `badPwdCount`), then reads the account back
    /// and checks it is no longer locked.
    pub async fn unlock(&self, approved: &Approved, account: &AdAccount) -> Result<AdAccount> {
        covers(approved, &[Action::UnlockAccount], "unlock")?;
        self.modify(&account.dn, vec![replace("lockoutTime", b"0".to_vec())])
            .await?;
        let after = self.read(&account.dn).await?;
        if after.locked() || after.lockout_time != 0 {
            return Err(Error::NotVerified {
                dn: account.dn.clone(),
                detail: format!(
                    "still locked (lockoutTime {}) after setting lockoutTime to 0",
                    after.lockout_time
                ),
            });
        }
        tracing::info!(dn = %account.dn, "unlocked in Active Directory");
        Ok(after)
    }

    /// Enables (`enabled`) or disables the account (`userAccountControl` `ACCOUNTDISABLE`), then
    /// checks it.
    pub async fn set_enabled(
        &self,
        approved: &Approved,
        account: &AdAccount,
        enabled: bool,
    ) -> Result<AdAccount> {
        if enabled {
            covers(approved, &[Action::UnlockAccount], "enable")?;
        } else {
            covers(
                approved,
                &[Action::DisableAccount, Action::ContainCompromise],
                "disable",
            )?;
        }
        let current = self.read(&account.dn).await?;
        let flag = crate::account::flags::ACCOUNTDISABLE;
        let control = if enabled {
            current.user_account_control & !flag
        } else {
            current.user_account_control | flag
        };
        self.modify(
            &account.dn,
            vec![replace(
                "userAccountControl",
                control.to_string().into_bytes(),
            )],
        )
        .await?;
        let after = self.read(&account.dn).await?;
        if after.disabled() == enabled {
            return Err(Error::NotVerified {
                dn: account.dn.clone(),
                detail: format!(
                    "userAccountControl is {} after the change",
                    after.user_account_control
                ),
            });
        }
        Ok(after)
    }

    /// Sets a new password (`unicodePwd`, the quoted password in UTF-16LE, over TLS as AD
    /// requires) and, with `must_change`, `pwdLastSet` = 0 so the user picks their own at next
    /// logon. AD checks the domain's password policy and refuses a weak password with
    /// [`Error::PasswordPolicy`].
    pub async fn reset_password(
        &self,
        approved: &Approved,
        account: &AdAccount,
        password: &Secret,
        must_change: bool,
    ) -> Result<AdAccount> {
        covers(
            approved,
            &[
                Action::PasswordReset,
                Action::UnlockAccount,
                Action::ContainCompromise,
            ],
            "reset the password of",
        )?;
        let quoted: Vec<u8> = format!("\"{}\"", password.expose())
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut mods = vec![replace("unicodePwd", quoted)];
        if must_change {
            mods.push(replace("pwdLastSet", b"0".to_vec()));
        }
        let before = account.pwd_last_set;
        self.modify(&account.dn, mods).await?;
        let after = self.read(&account.dn).await?;
        let changed = if must_change {
            after.pwd_last_set == 0
        } else {
            after.pwd_last_set != before
        };
        if !changed {
            return Err(Error::NotVerified {
                dn: account.dn.clone(),
                detail: format!("pwdLastSet is {} after the reset", after.pwd_last_set),
            });
        }
        tracing::info!(dn = %account.dn, must_change, "password reset in Active Directory");
        Ok(after)
    }

    /// The DN of the group named `name` (its `sAMAccountName` or `cn`).
    pub async fn find_group(&self, name: &str) -> Result<String> {
        let mut ldap = self.session().await?;
        let escaped = filter_value(name);
        let result = self
            .search_dns(
                &mut ldap,
                &format!("(&(objectClass=group)(|(sAMAccountName={escaped})(cn={escaped})))"),
            )
            .await;
        let _ = ldap.unbind().await;
        match result?.as_slice() {
            [] => Err(Error::NotFound(format!("group {name}"))),
            [dn] => Ok(dn.clone()),
            many => Err(Error::Ambiguous {
                anchor: format!("group {name}"),
                count: many.len(),
            }),
        }
    }

    /// Adds the account to a group (`member` of the group).
    pub async fn add_to_group(
        &self,
        approved: &Approved,
        account: &AdAccount,
        group_dn: &str,
    ) -> Result<()> {
        covers(approved, &[Action::GrantAccess], "add to a group")?;
        self.modify(
            group_dn,
            vec![Mod::Add(
                b"member".to_vec(),
                HashSet::from([account.dn.clone().into_bytes()]),
            )],
        )
        .await
    }

    /// Removes the account from a group.
    pub async fn remove_from_group(
        &self,
        approved: &Approved,
        account: &AdAccount,
        group_dn: &str,
    ) -> Result<()> {
        covers(approved, &[Action::RemoveAccess], "remove from a group")?;
        self.modify(
            group_dn,
            vec![Mod::Delete(
                b"member".to_vec(),
                HashSet::from([account.dn.clone().into_bytes()]),
            )],
        )
        .await
    }

    async fn modify(&self, dn: &str, mods: Vec<Mod<Vec<u8>>>) -> Result<()> {
        let mut ldap = self.session().await?;
        let result = ldap
            .with_timeout(self.config.timeout)
            .modify(dn, mods)
            .await
            .map_err(|e| ldap_error(dn, e));
        let _ = ldap.unbind().await;
        let result = result?;
        if result.rc != 0 {
            return Err(classify(dn, result.rc, &result.text));
        }
        Ok(())
    }
}

/// Refuses a capability that covers none of `actions`.
fn covers(approved: &Approved, actions: &[Action], wanted: &str) -> Result<()> {
    if actions.contains(&approved.action()) {
        Ok(())
    } else {
        Err(Error::NotAuthorized {
            authorized: approved.action().to_string(),
            wanted: wanted.to_string(),
        })
    }
}

fn replace(attribute: &str, value: Vec<u8>) -> Mod<Vec<u8>> {
    Mod::Replace(attribute.as_bytes().to_vec(), HashSet::from([value]))
}

fn ldap_error(dn: &str, error: LdapError) -> Error {
    match error {
        LdapError::LdapResult { result } => classify(dn, result.rc, &result.text),
        other => Error::Protocol(other.to_string()),
    }
}

/// A rustls client configuration trusting only the CA certificates in `path`.
fn client_config(path: &std::path::Path) -> Result<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| Error::Config(format!("cannot read the CA file {}: {e}", path.display())))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::Config(format!("the CA file {} is not PEM: {e}", path.display())))?;
    if certificates.is_empty() {
        return Err(Error::Config(format!(
            "the CA file {} holds no certificate",
            path.display()
        )));
    }
    let mut roots = rustls::RootCertStore::empty();
    for certificate in certificates {
        roots.add(certificate).map_err(|e| {
            Error::Config(format!(
                "a certificate in {} is not a usable CA: {e}",
                path.display()
            ))
        })?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn immutable_ids_become_guid_anchors() {
        let guid = uuid::Uuid::parse_str("988814aa-5ae1-4f9e-9a69-4833d510ebe0").unwrap();
        use base64::Engine;
        let id = base64::engine::general_purpose::STANDARD.encode(guid.to_bytes_le());
        assert_eq!(
            Anchor::from_immutable_id(&id),
            Some(Anchor::ObjectGuid(guid))
        );
        assert_eq!(Anchor::from_immutable_id("not base64!"), None);
        assert_eq!(Anchor::from_immutable_id("AAAA"), None);
    }
}
