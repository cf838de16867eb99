//! Making a decision: [`evaluate`]. Rendering it for people is [`crate::explain`].
//!
//! The steps: bind the approvals and the verification to the request (see [`crate::binding`]),
//! build the Cedar entities once, and evaluate. A denial is then re-evaluated as if the missing
//! pieces were present (a verification, an approval, both): if one of those would allow the
//! request, the decision is "needs verification" or "needs approval" and names what is missing;
//! otherwise it is a denial with the forbids that still apply. Deny wins: a forbid that no
//! approval or verification lifts makes the decision a denial.
//!
//! Fail closed: facts that do not fit the schema, or a policy that errors while evaluating,
//! produce a denial that says so.

use cedar_policy::{PolicySet, Request};

use crate::binding::{ApproverSet, bind_approvals, bind_verification};
use crate::engine::{PolicyEffect, PolicyEngine, Slice};
use crate::entities::{CedarFacts, ContextOutcome};
use crate::facts::normalize_upn;
use crate::{
    DecisionRequest, PrincipalKind, Resource, VerificationMethod, VerificationMode,
    VerificationStatus,
};

/// The outcome of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Allow, deny, or what must happen first.
    pub effect: Effect,
    /// "ACTION by UPN on TARGET", for the explanation and the audit record.
    pub summary: String,
    /// The `@reason` texts of the determining policies, in the order of [`Decision::policies`].
    /// For an allow, the permits that matched; otherwise the forbids that applied.
    pub reasons: Vec<String>,
    /// The `@id`s of the determining policies, sorted.
    pub policies: Vec<String>,
    /// What would turn this into an allow (empty for allow and deny).
    pub missing: Vec<Missing>,
    /// The request is past the principal's hourly budget of sensitive actions: record an alert.
    pub alert: bool,
    /// What was found about verifying the end user.
    pub verification: VerificationStatus,
    /// The approvers whose approval counted (normalized UPNs), for the audit record and to mark
    /// those approvals used.
    pub approvers: Vec<String>,
    /// Approvals or a verification that were presented but did not count, and why.
    pub notes: Vec<String>,
}

/// The effect of a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Go ahead.
    Allow,
    /// Refused; no approval or verification would change that.
    Deny,
    /// Allowed once a valid approval is present (see [`Decision::missing`]).
    NeedsApproval,
    /// Allowed once the end user is verified (and, if listed, an approval is present).
    NeedsVerification,
}

impl Effect {
    /// A lower-case label: "allow", "deny", "needs approval", "needs verification".
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::NeedsApproval => "needs approval",
            Effect::NeedsVerification => "needs verification",
        }
    }
}

/// Something that would turn a decision into an allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// An approval bound to this plan.
    Approval {
        /// Who may give it, e.g. "a Global Administrator or Privileged Authentication
        /// Administrator".
        from: String,
    },
    /// A verification of the end user.
    Verification {
        /// The verification mode in force.
        mode: VerificationMode,
        /// The methods that can verify this user.
        methods: Vec<VerificationMethod>,
    },
}

/// The approver UPN used when evaluating "as if approved".
const HYPOTHETICAL_APPROVER: &str = "(a pending approver)";

/// Decides `request` under `engine`'s policies and settings.
pub fn evaluate(engine: &PolicyEngine, request: &DecisionRequest) -> Decision {
    let settings = engine.settings();
    let context = &request.context;
    let mut notes = Vec::new();

    let target_upn = match &request.resource {
        Resource::User(user) => Some(user.upn.as_str()),
        Resource::Group(_) | Resource::Tenant => None,
    };
    let approver_set = ApproverSet::for_request(request.action, &request.resource, settings);
    let bound = bind_approvals(
        &request.principal.upn,
        target_upn,
        &context.plan_hash,
        context.now,
        &approver_set,
        &context.approvals,
    );
    for (approver, why) in &bound.rejected {
        notes.push(format!("the approval by {approver} does not count: {why}"));
    }

    let verified = match &context.verification {
        None => false,
        Some(verification) => {
            match bind_verification(&request.resource, verification, context.now) {
                Ok(()) => true,
                Err(why) => {
                    let target = normalize_upn(&verification.target);
                    notes.push(format!(
                        "the verification of {target} does not count: {why}"
                    ));
                    false
                }
            }
        }
    };
    let unrestricted = settings.verification_mode == VerificationMode::Unrestricted;
    let verification = if verified {
        VerificationStatus::Verified
    } else if !engine.needs_verification(request.action) {
        VerificationStatus::NotRequired
    } else if unrestricted {
        VerificationStatus::Skipped
    } else {
        VerificationStatus::Missing
    };
    let cedar_verification = match (verified, unrestricted) {
        (true, _) => "verified",
        (false, true) => "skipped",
        (false, false) => "none",
    };

    let alert = request.principal.kind == PrincipalKind::Operator
        && engine.is_sensitive(request.action)
        && context.sensitive_actions_last_hour >= settings.hourly_sensitive_budget;

    let mut decision = Decision {
        effect: Effect::Deny,
        summary: summary(request),
        reasons: Vec::new(),
        policies: Vec::new(),
        missing: Vec::new(),
        alert,
        verification,
        approvers: bound.approvers.clone(),
        notes,
    };

    let facts = match CedarFacts::build(engine, request) {
        Ok(facts) => facts,
        Err(error) => return decision.denied_because(error),
    };
    let actual = ContextOutcome {
        approved_by_second_approver: !bound.approvers.is_empty(),
        approvers: bound.approvers,
        verification: cedar_verification,
    };
    let Some(slice) = engine.slice(request.action, request.principal.kind, &request.resource)
    else {
        let reason = format!(
            "{} does not apply to {} requested by {} (the schema's appliesTo)",
            request.action,
            match &request.resource {
                Resource::User(_) => "a user",
                Resource::Group(_) => "a group",
                Resource::Tenant => "the tenant",
            },
            match request.principal.kind {
                PrincipalKind::Operator => "an operator",
                PrincipalKind::Employee => "an employee",
            },
        );
        return decision.denied_because(reason);
    };
    let evaluated = facts
        .request(engine, context, &actual)
        .and_then(|cedar_request| {
            let fixed = evaluate_fixed(engine, slice, &cedar_request, &facts)?;
            let result = combine(engine, slice, &cedar_request, &facts, &fixed)?;
            Ok((fixed, result))
        });
    let (fixed, actual_result) = match evaluated {
        Ok(evaluated) => evaluated,
        Err(error) => return decision.denied_because(error),
    };
    if actual_result.allowed {
        decision.effect = Effect::Allow;
        decision.set_policies(engine, actual_result.policies);
        return decision;
    }

    // What-if: the missing verification, the missing approval, or both. When both are missing,
    // "both" is tried first: if even that is denied, nothing is missing and the request is denied
    // (this assumes no policy forbids *because* of an approval or verification; one that did
    // would only make this answer stricter). Otherwise the single ones tell which are needed.
    let can_verify = actual.verification != "verified" && target_upn.is_some();
    let can_approve = !actual.approved_by_second_approver;
    let with_verification = ContextOutcome {
        verification: "verified",
        ..actual.clone()
    };
    let with_approval = ContextOutcome {
        approved_by_second_approver: true,
        approvers: vec![HYPOTHETICAL_APPROVER.to_owned()],
        ..actual.clone()
    };
    let with_both = ContextOutcome {
        verification: "verified",
        ..with_approval.clone()
    };
    let verification_missing = || Missing::Verification {
        mode: settings.verification_mode,
        methods: verification_methods(&request.resource),
    };
    let approval_missing = || Missing::Approval {
        from: approver_set.describe(),
    };
    let what_if = |outcome: &ContextOutcome| {
        let cedar_request = facts.request(engine, context, outcome)?;
        combine(engine, slice, &cedar_request, &facts, &fixed)
    };

    let search = || -> Result<(Option<Vec<Missing>>, Vec<String>), String> {
        let single = |outcome: &ContextOutcome, missing: Missing| {
            let result = what_if(outcome)?;
            Ok(if result.allowed {
                (Some(vec![missing]), vec![])
            } else {
                (None, result.policies)
            })
        };
        match (can_verify, can_approve) {
            (true, true) => {
                let both = what_if(&with_both)?;
                if !both.allowed {
                    return Ok((None, both.policies));
                }
                if what_if(&with_verification)?.allowed {
                    return Ok((Some(vec![verification_missing()]), vec![]));
                }
                if what_if(&with_approval)?.allowed {
                    return Ok((Some(vec![approval_missing()]), vec![]));
                }
                Ok((
                    Some(vec![verification_missing(), approval_missing()]),
                    vec![],
                ))
            }
            (true, false) => single(&with_verification, verification_missing()),
            (false, true) => single(&with_approval, approval_missing()),
            (false, false) => Ok((None, actual_result.policies.clone())),
        }
    };
    let (found, still_forbidding) = match search() {
        Ok(outcome) => outcome,
        Err(error) => return decision.denied_because(error),
    };

    if let Some(missing) = found {
        decision.effect = if matches!(missing[0], Missing::Verification { .. }) {
            Effect::NeedsVerification
        } else {
            Effect::NeedsApproval
        };
        decision.missing = missing;
        if actual_result.policies.is_empty() {
            decision.reasons =
                vec!["no policy permits this until the missing step is done".to_owned()];
        } else {
            decision.set_policies(engine, actual_result.policies);
        }
        return decision;
    }

    if still_forbidding.is_empty() {
        let reason = format!("no policy permits {}", decision.summary);
        decision.denied_because(reason)
    } else {
        decision.set_policies(engine, still_forbidding);
        decision
    }
}

/// The outcome of one evaluation.
struct Evaluation {
    allowed: bool,
    /// Determining policy ids, sorted: the satisfied permits for an allow, the satisfied forbids
    /// otherwise.
    policies: Vec<String>,
}

/// The satisfied policies of the part of a slice that does not read the what-if fields,
/// computed once per decision.
struct Fixed {
    permits: Vec<String>,
    forbids: Vec<String>,
}

/// Evaluates the part of the slice that doesn't read the what-if fields.
fn evaluate_fixed(
    engine: &PolicyEngine,
    slice: &Slice,
    cedar_request: &Request,
    facts: &CedarFacts,
) -> Result<Fixed, String> {
    Ok(Fixed {
        permits: satisfied(engine, &slice.fixed_permits, cedar_request, facts)?,
        forbids: satisfied(engine, &slice.fixed_forbids, cedar_request, facts)?,
    })
}

/// Evaluates the part of the slice that reads the what-if fields and combines it with the fixed
/// part: allowed when no forbid and at least one permit is satisfied.
fn combine(
    engine: &PolicyEngine,
    slice: &Slice,
    cedar_request: &Request,
    facts: &CedarFacts,
    fixed: &Fixed,
) -> Result<Evaluation, String> {
    let mut forbids = satisfied(engine, &slice.what_if_forbids, cedar_request, facts)?;
    forbids.extend(fixed.forbids.iter().cloned());
    let evaluation = if forbids.is_empty() {
        let mut permits = satisfied(engine, &slice.what_if_permits, cedar_request, facts)?;
        permits.extend(fixed.permits.iter().cloned());
        permits.sort();
        Evaluation {
            allowed: !permits.is_empty(),
            policies: permits,
        }
    } else {
        forbids.sort();
        Evaluation {
            allowed: false,
            policies: forbids,
        }
    };
    debug_assert!(
        {
            let full =
                engine
                    .authorizer
                    .is_authorized(cedar_request, &engine.policies, &facts.entities);
            let mut ids: Vec<String> = full
                .diagnostics()
                .reason()
                .map(|id| id.to_string())
                .collect();
            ids.sort();
            let allowed = full.decision() == cedar_policy::Decision::Allow;
            allowed == evaluation.allowed && ids == evaluation.policies
        },
        "the split evaluation disagrees with the full policy set"
    );
    Ok(evaluation)
}

/// The satisfied policies of a single-effect policy set. Any evaluation error fails closed.
fn satisfied(
    engine: &PolicyEngine,
    policies: &PolicySet,
    cedar_request: &Request,
    facts: &CedarFacts,
) -> Result<Vec<String>, String> {
    if policies.is_empty() {
        return Ok(Vec::new());
    }
    let response = engine
        .authorizer
        .is_authorized(cedar_request, policies, &facts.entities);
    let mut errors = response.diagnostics().errors().peekable();
    if errors.peek().is_some() {
        let errors: Vec<String> = errors.map(|error| error.to_string()).collect();
        return Err(format!(
            "a policy could not be evaluated: {}",
            errors.join("; ")
        ));
    }
    Ok(response
        .diagnostics()
        .reason()
        .map(|id| id.to_string())
        .collect())
}

impl Decision {
    fn denied_because(mut self, reason: String) -> Decision {
        self.effect = Effect::Deny;
        self.reasons = vec![reason];
        self.policies = Vec::new();
        self.missing = Vec::new();
        self
    }

    fn set_policies(&mut self, engine: &PolicyEngine, ids: Vec<String>) {
        self.reasons = ids
            .iter()
            .map(|id| {
                engine
                    .policy(id)
                    .map(|info| info.reason.clone())
                    .unwrap_or_else(|| id.clone())
            })
            .collect();
        debug_assert!(ids.iter().all(|id| engine.policy(id).is_some_and(|info| {
            (info.effect == PolicyEffect::Permit) == (self.effect == Effect::Allow)
        })));
        self.policies = ids;
    }
}

fn summary(request: &DecisionRequest) -> String {
    let principal = normalize_upn(&request.principal.upn);
    let target = match &request.resource {
        Resource::User(user) => normalize_upn(&user.upn),
        Resource::Group(group) => format!("group {}", group.name),
        Resource::Tenant => "the tenant".to_owned(),
    };
    let bulk = if request.context.bulk { " (bulk)" } else { "" };
    format!("{} by {principal} on {target}{bulk}", request.action)
}

fn verification_methods(resource: &Resource) -> Vec<VerificationMethod> {
    match resource {
        Resource::User(user) if user.mfa_registered => {
            vec![
                VerificationMethod::RegisteredMethod,
                VerificationMethod::ManagerConfirmation,
            ]
        }
        _ => vec![VerificationMethod::ManagerConfirmation],
    }
}

#[cfg(test)]
mod tests;
