//! What can go wrong in the guard. Every variant means "nothing was authorized".

/// A guard failure. None of these carries a secret: codes and passwords never enter an error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The guard's state database failed.
    #[error("the guard's state database failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The state database could not be migrated.
    #[error("the guard's state database could not be migrated: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The location is not a database keydesk can use.
    #[error("unsupported database location: {0}")]
    Location(String),
    /// The audit log refused the record, so nothing is executed (fail closed).
    #[error("the audit log cannot record this ({0}), so keydesk will not go on")]
    Audit(#[from] keydesk_audit::Error),
    /// No approval request with that id.
    #[error("no approval request {0}")]
    UnknownApproval(String),
    /// The approval request cannot be decided by this person or in its state.
    #[error("{0}")]
    ApprovalRefused(String),
    /// A verification could not be started or confirmed.
    #[error("{0}")]
    Verification(String),
    /// The operating system's random generator failed.
    #[error("the operating system's random generator failed")]
    Random,
    /// A stored value could not be read back.
    #[error("a stored value is malformed: {0}")]
    Corrupt(String),
}
