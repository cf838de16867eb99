//! keydesk's helpdesk operations. Each one gathers evidence through Graph, plans, executes (unless
//! asked for a dry run), verifies by reading the state back, and returns a [`Report`] of what was
//! done and why.
//!
//! Operations talk to Graph only through [`keydesk_graph::GraphClient`], so they work the same
//! against a real tenant and against the emulator. Secrets (temporary passwords, TAPs) travel as
//! [`keydesk_core::Secret`] and leave only through [`delivery`].

pub mod contain;
pub mod credentials;
pub mod delivery;
pub mod diagnose;
pub mod directory;
pub mod discover;
pub mod doctor;
pub mod error;
pub mod facts;
pub mod groups;
pub mod guarded;
pub mod investigate;
pub mod linked;
pub mod locked;
pub mod onboarding;
pub mod report;
pub mod resolve;
pub mod roles;
pub mod unlock;
pub mod verify;

use std::sync::Arc;

use keydesk_graph::GraphClient;
use keydesk_guard::Approved;
use keydesk_policy::Action;

pub use error::{Error, Result};
pub use report::{Outcome, Report, Step, StepStatus};

/// Whether an operation changes anything.
///
/// Executing needs the guard's [`Approved`] capability, which only
/// [`keydesk_guard::Guard::authorize`] creates: every write path in this crate sits behind
/// [`Mode::plan_only`], which returns `true` (plan, change nothing) on a dry run and refuses a
/// capability issued for another action or target. [`guarded::run`] is the usual way to get
/// from a plan to an execution.
#[derive(Debug, Clone)]
pub enum Mode {
    /// Change the tenant, as authorized.
    Execute(Arc<Approved>),
    /// Gather evidence and plan; change nothing.
    DryRun,
}

impl Mode {
    /// True on a dry run.
    pub fn is_dry_run(&self) -> bool {
        matches!(self, Mode::DryRun)
    }

    /// The gate in front of every write: `Ok(true)` on a dry run (plan only), `Ok(false)` when
    /// the capability covers one of `actions` on `target` (go ahead), and a refusal when it
    /// covers something else.
    pub fn plan_only(&self, actions: &[Action], target: Option<&str>) -> Result<bool> {
        match self {
            Mode::DryRun => Ok(true),
            Mode::Execute(approved) if actions.iter().any(|a| approved.covers(*a, target)) => {
                Ok(false)
            }
            Mode::Execute(approved) => Err(Error::refused(
                format!(
                    "the authorization covers {} on {}, not {} on {}",
                    approved.action(),
                    approved.target().unwrap_or("the tenant"),
                    actions.first().map(|a| a.as_str()).unwrap_or("this change"),
                    target.unwrap_or("the tenant"),
                ),
                "plan and authorize this change on its own",
            )),
        }
    }
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
    /// Operators (UPNs) holding keydesk's "unlock any account" permission: they may unlock a
    /// user with no MFA method registered.
    pub unlock_any_account: Vec<String>,
    /// The group whose members are helpdesk operators (besides holders of directory roles).
    pub helpdesk_group: String,
    /// Accounts (UPNs) keydesk treats as privileged targets even when they hold no active
    /// privileged role: break-glass accounts, PIM-eligible administrators.
    pub protected_accounts: Vec<String>,
}

impl Settings {
    pub fn standard() -> Settings {
        Settings {
            sign_in_window_days: 7,
            sender_mailbox: None,
            sms_gateway: None,
            password_length: 16,
            unlock_any_account: Vec::new(),
            helpdesk_group: roles::HELPDESK_GROUP.to_string(),
            protected_accounts: Vec::new(),
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
    /// The on-premises Active Directory synced users are mastered in, when configured (see
    /// [`linked`]).
    pub ad: Option<keydesk_ad::AdDirectory>,
}

impl Ops {
    pub fn new(graph: GraphClient, settings: Settings, actor: impl Into<String>) -> Ops {
        Ops {
            graph,
            settings,
            actor: actor.into(),
            ad: None,
        }
    }

    /// The same operations, acting in `ad` for synced users.
    pub fn with_ad(mut self, ad: keydesk_ad::AdDirectory) -> Ops {
        self.ad = Some(ad);
        self
    }
}
