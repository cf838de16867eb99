//! Microsoft Graph client for keydesk: app-only authentication, retry and throttling, paging,
//! JSON batching, OData query building, and typed models and calls for the identity-helpdesk
//! subset of Graph.
//!
//! Layout:
//! - [`config`] and [`secret`]: where the tenant and credential come from; secrets never print.
//! - `auth` and `certificate`: client-credentials tokens (secret or certificate assertion), cached.
//! - [`GraphClient`] (`client`, `request`), `paging`, `batch`, `retry`, `stats`: the transport.
//! - [`odata`]: `$filter` / `$select` / `$search` building and encoding.
//! - [`model`]: keydesk's own serde structs for Graph JSON (independent of the emulator).
//! - `users`, `groups`, `auth_methods`, `identity_protection`, `audit_logs`, `grants`, `roles`,
//!   `mail`, `organization`: thin typed calls, as inherent methods on [`GraphClient`].
//!
//! Invariants: tokens and secrets are [`Secret`]s and are never logged; the bearer token is only
//! sent to the configured Graph host; nothing here knows about keydesk policy.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod audit_logs;
mod auth;
mod auth_methods;
mod batch;
mod certificate;
mod client;
pub mod config;
mod error;
mod grants;
mod groups;
mod identity_protection;
mod mail;
pub mod model;
pub mod odata;
mod organization;
mod paging;
mod request;
mod retry;
mod roles;
pub mod secret;
mod stats;
mod users;

pub use audit_logs::{AuditQuery, SignInQuery};
pub use auth::{AuthError, GRAPH_DEFAULT_SCOPE, TokenEndpointError};
pub use auth_methods::PasswordReset;
pub use batch::{BatchRequest, BatchResponse, MAX_BATCH_SIZE, split_into_batches};
pub use client::{ApiVersion, GraphClient, GraphClientBuilder};
pub use config::{AssertionAlgorithm, CertificateCredential, ConfigError, Credential, GraphConfig};
pub use error::{Error, GraphError, Result};
pub use groups::HELPDESK_GROUP_SELECT;
pub use odata::{Filter, Literal, Query, Search};
pub use paging::Page;
pub use request::{GraphRequest, GraphResponse};
pub use retry::{RetryPolicy, parse_retry_after};
pub use secret::Secret;
pub use stats::ClientStats;
pub use users::HELPDESK_USER_SELECT;
