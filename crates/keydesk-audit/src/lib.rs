//! keydesk's tamper-evident, append-only audit log.
//!
//! Every record is hash-chained: it carries the SHA-256 of the previous record (`prev_hash`) and
//! its own SHA-256 (`hash`) over a canonical JSON encoding of everything else
//! ([`canonical`], [`record`]). Editing, deleting, inserting or reordering stored records breaks
//! the chain in a way [`verify()`] recognises and names.
//!
//! How keydesk uses it (the engine's side of the contract):
//! - Before an action executes, [`AuditStore::append`] an [`AuditEvent::intent`]; if that
//!   returns an error, do not execute (fail closed). `append` returns only after the record is
//!   durably committed.
//! - After it, append [`AuditEvent::outcome_of`] the intent. [`verify()`] lists intents that no
//!   outcome closes.
//! - Records hold who asked, on whose behalf, what, the policy decision and its reasons,
//!   approvals, verifications, Graph request ids and the outcome — never a secret:
//!   `keydesk_core::Secret` has no `Serialize`, so no event field can hold one.
//!
//! Storage ([`store`]): [`SqliteStore`] (a file in keydesk's data directory, the default) or
//! [`PgStore`] (`--database-url postgres://...`, which several instances may share and append to
//! as one chain); [`open`] picks by location. Schemas are migrated on open.
//! [`export()`] writes JSONL or CSV; [`AuditStore::for_user`] is keydesk's half of
//! `keydesk history USER`.
//!
//! Architecture invariant: this crate knows nothing about Graph, policy or the CLI; it stores and
//! checks what it is given.

pub mod canonical;
pub mod error;
pub mod event;
pub mod export;
pub mod postgres;
pub mod record;
pub mod sqlite;
pub mod store;
pub mod verify;

pub use error::Error;
pub use event::{
    Approval, AuditEvent, Decision, DirectoryStore, Effect, EventKind, Outcome, OutcomeStatus,
    Verification,
};
pub use export::{ExportFormat, export};
pub use postgres::PgStore;
pub use record::{AuditRecord, ChainHead, GENESIS_HASH, SCHEMA_VERSION};
pub use sqlite::SqliteStore;
pub use store::{AuditStore, Backend, Page, StoredRow, default_path, open};
pub use verify::{OpenIntent, Problem, ProblemKind, VerifyReport, verify, verify_against};
