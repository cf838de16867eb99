//! The crate's error type. Loading policies is the only fallible step: a decision never fails (a
//! request the policies cannot evaluate is denied, with the reason).

/// Why a schema or a policy text could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The schema text is not valid Cedar schema syntax or is inconsistent.
    #[error("invalid policy schema: {0}")]
    Schema(String),
    /// The schema does not declare an action of keydesk's vocabulary.
    #[error("the policy schema does not declare the action `{0}`")]
    MissingAction(&'static str),
    /// The policy text does not parse.
    #[error("invalid policy text: {0}")]
    Parse(String),
    /// A policy lacks a required annotation (`@id` or `@reason`).
    #[error("policy {policy} has no @{annotation}(\"...\") annotation")]
    MissingAnnotation {
        /// The policy, as `@id` when it has one, else its position in the file.
        policy: String,
        /// The missing annotation's name.
        annotation: &'static str,
    },
    /// Two policies share an `@id`.
    #[error("two policies share the id `{0}`")]
    DuplicateId(String),
    /// The text declares a template; keydesk loads static policies only.
    #[error("policy templates are not supported (found `{0}`)")]
    Template(String),
    /// The policies do not validate against the schema in strict mode.
    #[error("the policies do not validate against the schema:\n{0}")]
    Validation(String),
    /// An action name outside keydesk's vocabulary.
    #[error("unknown action `{0}`")]
    UnknownAction(String),
}
