//! The planner's errors. The deterministic planner never fails (ambiguity and refusals are
//! plans); only the model-backed planner can, when its endpoint is unreachable or its answer
//! is not a plan.

/// Why the model-backed planner produced no plan.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint could not be reached or the connection failed.
    #[error("the model endpoint could not be reached: {0}")]
    Transport(String),
    /// The endpoint answered with an error status.
    #[error("the model endpoint answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    /// The answer was not a valid plan (no tool call, bad JSON, unknown action or key).
    #[error("the model's answer is not a valid plan: {0}")]
    InvalidOutput(String),
}
