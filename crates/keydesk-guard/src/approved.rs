//! [`Approved`]: the capability an operation needs to change anything.
//!
//! Its fields are private to this module and it has no public constructor, no `Clone` and no
//! `Default`: the only way to get one is [`crate::Guard::authorize`] returning
//! [`crate::Authorization::Approved`], after the policy allowed the plan and the intent record was
//! written. [`crate::Guard::complete`] consumes it, so one authorization is one execution.

use keydesk_audit::AuditRecord;
use keydesk_policy::{Action, Decision, normalize_upn};

/// Proof that the guard authorized one execution of one plan.
#[derive(Debug)]
pub struct Approved {
    action: Action,
    target: Option<String>,
    plan_hash: String,
    intent: AuditRecord,
    decision: Decision,
}

impl Approved {
    pub(crate) fn new(
        action: Action,
        target: Option<String>,
        plan_hash: String,
        intent: AuditRecord,
        decision: Decision,
    ) -> Approved {
        Approved {
            action,
            target,
            plan_hash,
            intent,
            decision,
        }
    }

    /// The authorized action.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The authorized target (lower-case), `None` for tenant-wide actions.
    pub fn target(&self) -> Option<&str> {
        self.target.as_deref()
    }

    /// The hash of the authorized plan.
    pub fn plan_hash(&self) -> &str {
        &self.plan_hash
    }

    /// The intent record written before execution.
    pub fn intent(&self) -> &AuditRecord {
        &self.intent
    }

    /// The decision that allowed it.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// Whether this capability covers `action` on `target` (compared case-insensitively).
    pub fn covers(&self, action: Action, target: Option<&str>) -> bool {
        self.action == action
            && self.target.as_deref().map(normalize_upn) == target.map(normalize_upn)
    }
}
