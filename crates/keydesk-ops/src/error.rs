//! Why an operation could not run. User errors (unknown or ambiguous person, a refusal with
//! guidance) are kept apart from Graph and delivery failures.

use crate::resolve::Candidate;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no user matches '{query}'")]
    UserNotFound { query: String },
    #[error("'{query}' matches {} users; say which one", candidates.len())]
    AmbiguousUser {
        query: String,
        candidates: Vec<Candidate>,
    },
    #[error("no group matches '{query}'")]
    GroupNotFound { query: String },
    #[error("'{query}' matches {} groups; say which one", candidates.len())]
    AmbiguousGroup {
        query: String,
        candidates: Vec<Candidate>,
    },
    #[error("{reason}")]
    Refused { reason: String, guidance: String },
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("delivery failed: {0}")]
    Delivery(String),
    #[error("{}", .0.explain())]
    Graph(#[from] keydesk_graph::Error),
    #[error("{0}")]
    Ad(#[from] keydesk_ad::Error),
}

impl Error {
    pub fn refused(reason: impl Into<String>, guidance: impl Into<String>) -> Error {
        Error::Refused {
            reason: reason.into(),
            guidance: guidance.into(),
        }
    }

    /// A stable snake_case code for `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            Error::UserNotFound { .. } => "user_not_found",
            Error::AmbiguousUser { .. } => "ambiguous_user",
            Error::GroupNotFound { .. } => "group_not_found",
            Error::AmbiguousGroup { .. } => "ambiguous_group",
            Error::Refused { .. } => "refused",
            Error::InvalidInput(_) => "invalid_input",
            Error::Delivery(_) => "delivery_failed",
            Error::Graph(_) => "graph_error",
            Error::Ad(error) => error.code(),
        }
    }
}
