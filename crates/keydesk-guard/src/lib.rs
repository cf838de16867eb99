//! keydesk's guardrail engine: every change keydesk makes is authorized here, and only here.
//!
//! The flow for one change: the operation plans (a dry run) → the caller reads the facts about
//! who asks and about the target from the directory → [`Guard::authorize`] evaluates the Cedar
//! policy with the approvals, the end-user verification and the hourly budget on record →
//! on allow it uses the approvals and the verification once, counts the action, writes the audit
//! intent, and returns [`Approved`] → the operation executes with it → [`Guard::complete`]
//! writes the outcome. A denial or a missing approval or verification returns no capability;
//! a missing approval is filed as a durable request ([`state::ApprovalRecord`]), bound to the
//! plan's hash, that another person approves with [`Guard::decide`].
//!
//! Structural invariant: [`Approved`] can only be constructed by this crate, after an allow and a
//! written intent; keydesk-ops takes it in `Mode::Execute`, so no operation can change a tenant
//! without it.
//!
//! I/O: the audit log (keydesk-audit) and the guard's own tables ([`GuardState`], SQLite or
//! PostgreSQL). The clock is injectable. Codes are stored only as salted hashes.

#![warn(missing_docs)]

mod approved;
mod error;
mod guard;
pub mod investigations;
pub mod jobs;
mod plan;
pub mod state;

pub use approved::Approved;
pub use error::Error;
pub use guard::{Authorization, BulkRun, Clock, Completion, Guard, Lifetimes, Request};
pub use plan::{AD_STEP_PREFIX, PlannedChange, store_of};
pub use state::GuardState;
