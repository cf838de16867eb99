//! keydesk's helpdesk operations. Each one gathers evidence through Graph, plans, executes (unless
//! asked for a dry run), verifies by reading the state back, and returns a [`Report`] of what was
//! done and why.
//!
//! Operations talk to Graph only through [`keydesk_graph::GraphClient`], so they work the same
//! against a real tenant and against the emulator. Secrets (temporary passwords, TAPs) travel as
//! [`keydesk_core::Secret`] and leave only through [`delivery`].

pub mod credentials;
pub mod delivery;
pub mod diagnose;
pub mod directory;
pub mod doctor;
pub mod error;
pub mod groups;
pub mod locked;
pub mod report;
pub mod resolve;
pub mod roles;
pub mod unlock;

use keydesk_graph::GraphClient;

pub use error::{Error, Result};
pub use report::{Outcome, Report, Step, StepStatus};

/// Whether an operation changes anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Execute,
    /// Gather evidence and plan; change nothing.
    DryRun,
}

/// Settings that are not per call.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How far back sign-in evidence is read.
    pub sign_in_window_days: i64,
    /// The mailbox deliveries are sent from (must exist and have a mailbox).
    pub sender_mailbox: Option<String>,
    /// An SMS gateway (`POST {to, body}` JSON) for text-message delivery.
    pub sms_gateway: Option<url::Url>,
    /// Length of generated temporary passwords (at least 14).
    pub password_length: usize,
}

impl Settings {
    pub fn standard() -> Settings {
        Settings {
            sign_in_window_days: 7,
            sender_mailbox: None,
            sms_gateway: None,
            password_length: 16,
        }
    }
}

/// The operations, bound to one tenant.
#[derive(Debug, Clone)]
pub struct Ops {
    pub graph: GraphClient,
    pub settings: Settings,
    /// Who is acting (UPN), recorded in reports and used as the default mail sender.
    pub actor: String,
}

impl Ops {
    pub fn new(graph: GraphClient, settings: Settings, actor: impl Into<String>) -> Ops {
        Ops {
            graph,
            settings,
            actor: actor.into(),
        }
    }
}
