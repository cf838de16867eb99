//! keydesk's plain-language planner: a request ("Reset MFA for tom, he got a new phone") →
//! a typed [`Plan`] of [`Step`]s on resolved people and groups, or a [`Clarification`], or a
//! plain explanation of why nothing will be done.
//!
//! Two halves:
//! - **understanding** (`understand`, `params`, `lexicon`, `refusal`): pure text → intents
//!   with mentions as written ("me", "Adele's", "the ones on this list", "Finance-Admins"),
//!   no directory and no I/O;
//! - **resolution** (`resolve`): mentions → lower-case UPNs, group display names and
//!   department names against a [`Directory`] snapshot; ambiguity or no match becomes a
//!   clarification with candidates, never a guess.
//!
//! [`plan`] is the deterministic engine: offline, synchronous, never fails.
//! [`ModelPlanner`] asks an OpenAI-compatible chat-completions endpoint (tool calling) for the
//! intents instead, then validates and resolves them the same way; both sit behind
//! [`Planner`].
//!
//! Invariant: every step's target is the requester (the text says "me", "my" or "I") or a
//! person the text names (UPN, mail, nickname, display name, given name or surname, possibly
//! misspelt) or lists in an attachment. The planner does not check policy or execute
//! anything; the caller confirms and runs the plan through the guardrails.

mod detect;
mod directory;
mod error;
mod lexicon;
mod model;
mod params;
mod people;
mod plan;
mod refusal;
mod request;
mod resolve;
mod text;
mod understand;

use std::future::Future;
use std::pin::Pin;

pub use directory::{Directory, GroupEntry, MemoryDirectory, Person};
pub use error::Error;
pub use model::{ApiKeyHeader, ModelConfig, ModelPlanner};
pub use plan::{Action, Clarification, PARAM_KEYS, Plan, Step, UnknownAction};
pub use request::{Attachment, AttachmentContent, Request};
pub use text::MAX_REQUEST_CHARS;

/// Plans `request` with the deterministic engine. Pure: the directory is an in-memory
/// snapshot, so this never waits and never fails.
pub fn plan(request: &Request, directory: &dyn Directory) -> Plan {
    let understanding = understand::understand(&request.text, &request.attachments);
    resolve::resolve(&understanding, &request.requester, directory)
}

/// A boxed future, so that [`Planner`] stays object-safe.
pub type PlanFuture<'a> = Pin<Box<dyn Future<Output = Result<Plan, Error>> + Send + 'a>>;

/// The planning port: the deterministic engine ([`RulePlanner`]) or a model ([`ModelPlanner`]).
pub trait Planner: Send + Sync {
    /// Plans `request` against `directory`.
    fn plan<'a>(
        &'a self,
        request: &'a Request,
        directory: &'a (dyn Directory + Sync),
    ) -> PlanFuture<'a>;
}

/// The deterministic, offline planner behind the [`Planner`] port.
#[derive(Debug, Clone, Copy, Default)]
pub struct RulePlanner;

impl Planner for RulePlanner {
    fn plan<'a>(
        &'a self,
        request: &'a Request,
        directory: &'a (dyn Directory + Sync),
    ) -> PlanFuture<'a> {
        let plan = plan(request, directory);
        Box::pin(std::future::ready(Ok(plan)))
    }
}
