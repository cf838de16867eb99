//! [`PlannedChange`]: what an operation intends to do, as the operation's dry run described it,
//! and its [`plan_hash`](PlannedChange::plan_hash), which approvals bind to.

use keydesk_policy::Action;
use sha2::{Digest, Sha256};

/// A change as planned by a dry run: the action, its target, and the steps it would take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedChange {
    /// The action of the vocabulary.
    pub action: Action,
    /// The target's UPN (or a group's display name), lower-cased; `None` for tenant-wide actions.
    pub target: Option<String>,
    /// One sentence for people.
    pub summary: String,
    /// The planned steps, `(step, detail)`, in order.
    pub steps: Vec<(String, String)>,
}

/// Prefix of the plan steps that act in on-premises Active Directory (`ad_unlock`,
/// `ad_reset_password`, ...); every other step acts in Entra ID.
pub const AD_STEP_PREFIX: &str = "ad_";

impl PlannedChange {
    /// The identity store the change acts in, recorded in its audit records: `"ad"` when a step
    /// acts in on-premises Active Directory (see [`AD_STEP_PREFIX`]), `"entra"` otherwise.
    pub fn store(&self) -> &'static str {
        store_of(self.steps.iter().map(|(step, _)| step.as_str()))
    }

    /// SHA-256 (lower-case hex) over the action, the target and every step, each field
    /// length-prefixed so no two plans encode alike. The summary is prose and not hashed.
    pub fn plan_hash(&self) -> String {
        let mut hasher = Sha256::new();
        let mut field = |text: &str| {
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        };
        field("keydesk-plan-v1");
        field(self.action.as_str());
        field(self.target.as_deref().unwrap_or(""));
        for (step, detail) in &self.steps {
            field(step);
            field(detail);
        }
        hex(&hasher.finalize())
    }
}

/// The identity store of a plan with these step names (see [`PlannedChange::store`]).
pub fn store_of<'a>(mut steps: impl Iterator<Item = &'a str>) -> &'static str {
    if steps.any(|step| step.starts_with(AD_STEP_PREFIX)) {
        "ad"
    } else {
        "entra"
    }
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(target: &str, detail: &str) -> PlannedChange {
        PlannedChange {
            action: Action::PasswordReset,
            target: Some(target.into()),
            summary: "Would reset".into(),
            steps: vec![("deliver".into(), detail.into())],
        }
    }

    #[test]
    fn the_hash_covers_target_and_steps_but_not_prose() {
        let base = plan("a@contoso.com", "deliver it to m@contoso.com");
        assert_ne!(
            base.plan_hash(),
            plan("b@contoso.com", "deliver it to m@contoso.com").plan_hash()
        );
        assert_ne!(
            base.plan_hash(),
            plan("a@contoso.com", "deliver it to x@contoso.com").plan_hash()
        );
        let mut reworded = base.clone();
        reworded.summary = "Something else".into();
        assert_eq!(base.plan_hash(), reworded.plan_hash());
        let mut other_action = base.clone();
        other_action.action = Action::IssueTap;
        assert_ne!(base.plan_hash(), other_action.plan_hash());
    }

    #[test]
    fn the_store_follows_the_steps() {
        let entra = plan("a@contoso.com", "x");
        assert_eq!(entra.store(), "entra");
        let mut ad = entra.clone();
        ad.steps
            .push(("ad_unlock".into(), "lockoutTime = 0".into()));
        assert_eq!(ad.store(), "ad");
        assert_ne!(entra.plan_hash(), ad.plan_hash());
    }

    #[test]
    fn field_boundaries_are_unambiguous() {
        let mut a = plan("a", "bc");
        a.steps = vec![("ab".into(), "c".into())];
        let mut b = plan("a", "bc");
        b.steps = vec![("a".into(), "bc".into())];
        assert_ne!(a.plan_hash(), b.plan_hash());
    }
}
