//! `keydesk_audit::Error`: why an audit operation failed.
//!
//! An append that returns any of these did not commit, and a caller must treat the action it was
//! recording as not allowed to run (fail closed). Messages never include a database password.

/// Why an audit operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused or could not be reached; nothing was committed.
    #[error("audit storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    /// The schema migrations could not be applied.
    #[error("audit schema migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The chain cannot be extended safely (its head row is missing or moved under us).
    #[error("audit chain: {0}")]
    Chain(String),
    /// A record could not be encoded as JSON.
    #[error("audit record serialization failed: {0}")]
    Serialization(#[from] serde_json::Error),
    /// A stored row no longer decodes into a record (run `keydesk audit verify`).
    #[error("stored audit record {seq} cannot be read: {detail}")]
    Corrupt { seq: i64, detail: String },
    /// The event is missing something every record needs.
    #[error("invalid audit event: {0}")]
    InvalidEvent(String),
    /// The database location is neither a file path nor a supported URL.
    #[error("unsupported audit database location: {0}")]
    Location(String),
    /// Creating the data directory or writing an export failed.
    #[error("audit I/O failed: {0}")]
    Io(#[from] std::io::Error),
}
