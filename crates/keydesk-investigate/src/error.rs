//! The crate's error type: I/O, malformed export files, Graph failures and snapshot writing.
//!
//! Detection, verdict, planning and rendering cannot fail; only the edges (files, Graph) do.

use std::path::PathBuf;

/// Why loading, collecting or writing evidence failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The sign-in export is not `{"value":[...]}` or a JSON array.
    #[error("{path} is not a sign-in export ({reason})")]
    NotAnExport {
        /// The file (or `<memory>`).
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// Microsoft Graph refused or failed a read.
    #[error("reading {what} from Microsoft Graph failed: {source}")]
    Graph {
        /// What was being read.
        what: String,
        /// The client's error.
        source: keydesk_graph::Error,
    },
    /// The user does not exist in the tenant.
    #[error("no user {0} in the tenant")]
    UnknownUser(String),
    /// Evidence could not be encoded as JSON.
    #[error("cannot encode evidence: {0}")]
    Encode(#[from] serde_json::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn graph(what: impl Into<String>, source: keydesk_graph::Error) -> Self {
        Error::Graph {
            what: what.into(),
            source,
        }
    }
}
