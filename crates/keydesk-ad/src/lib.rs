//! keydesk's on-premises Active Directory connector: LDAP over TLS (LDAPS, or StartTLS on
//! `ldap://`), never in clear text, with the server's certificate always verified (against an
//! explicitly configured CA, or the system's roots).
//!
//! It finds a user by the Entra sync anchor ([`Anchor`]: `objectGUID` from
//! `onPremisesImmutableId`, then `sAMAccountName`, then the distinguished name), reads the
//! account's lock state ([`AdAccount`]), and changes it: unlock, enable, disable, password reset,
//! group membership. Every write takes the guard's [`keydesk_guard::Approved`] capability and
//! checks that it covers an action that may make that change, so nothing reaches AD without the
//! guard. AD's own refusals (password policy, insufficient rights, locked, ...) come back as an
//! [`Error`] that explains itself.
//!
//! The bind password is a [`keydesk_core::Secret`]: it is never logged, never part of an error
//! message, and never serialized. This crate does not know about Graph or the emulator.

pub mod account;
pub mod config;
pub mod directory;
pub mod error;
pub mod escape;

pub use account::{AdAccount, LockState};
pub use config::{AdConfig, TlsTrust};
pub use directory::{AdDirectory, Anchor, Found};
pub use error::{Error, Result};
