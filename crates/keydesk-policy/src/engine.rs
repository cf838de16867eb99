//! Loading a schema and a policy text into a [`PolicyEngine`], and validating them strictly.
//!
//! `PolicySet::from_str` names policies `policy0`, `policy1`, ... and ignores `@id`, so each
//! parsed policy is re-identified by its `@id` annotation; `@id` and `@reason` are required and
//! ids must be unique. The set is then validated against the schema in strict mode. Any failure is
//! an [`Error`]: keydesk refuses to run with a policy it cannot check (fail closed).
//!
//! The engine also reads the action hierarchy from the schema once, so that evaluation knows
//! which actions are sensitive (counted against the hourly budget) or need a verified user,
//! without a second copy of those lists in Rust.
//!
//! For speed, the engine pre-sorts the policies by scope: for each action, principal type and
//! resource type it keeps the subset whose scope (`principal is ...`, `action in ...`,
//! `resource is ...`) can match. A policy outside that subset could never be satisfied by such a
//! request, so evaluating the subset gives the same decision while skipping most policies. It
//! likewise keeps, per action, an entity store holding that action's entity (with its groups),
//! which each request's principal and resource are added to.
//!
//! Each slice is split further into the policies that read the approval or verification
//! outcome (`approved_by_second_approver`, `approvers`, `verification`) and those that don't,
//! each by effect. The what-if evaluations ("as if approved", "as if verified") change only
//! those context fields, so they re-evaluate only the first part and reuse the rest. Debug builds
//! cross-check every evaluation against the full policy set.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{
    ActionConstraint, Authorizer, Effect as CedarEffect, Entities, EntityId, EntityTypeName,
    EntityUid, Policy, PolicyId, PolicySet, PrincipalConstraint, ResourceConstraint, Schema,
    ValidationMode, Validator,
};

use crate::{Action, Error, PolicySettings, PrincipalKind, Resource};

/// The schema keydesk ships (`policies/keydesk.cedarschema`).
pub const DEFAULT_SCHEMA: &str = include_str!("../policies/keydesk.cedarschema");

/// The policy keydesk ships (`policies/default.cedar`).
pub const DEFAULT_POLICY: &str = include_str!("../policies/default.cedar");

/// The Cedar namespace of keydesk's schema.
const NAMESPACE: &str = "Keydesk";

/// A loaded, validated policy set with its schema and settings.
#[derive(Debug)]
pub struct PolicyEngine {
    pub(crate) schema: Schema,
    /// Every policy; decisions use the slices, debug builds cross-check them against this.
    pub(crate) policies: PolicySet,
    pub(crate) settings: PolicySettings,
    pub(crate) authorizer: Authorizer,
    pub(crate) types: EntityTypes,
    /// Indexed by [`Action::index`].
    pub(crate) action_uids: Vec<EntityUid>,
    /// Indexed by [`Action::index`]: an entity store holding just that action's entity.
    pub(crate) action_stores: Vec<Entities>,
    /// Indexed by action, principal kind and resource kind (see [`PolicyEngine::slice`]): the
    /// policies whose scope can match.
    /// `None` for a shape the schema's `appliesTo` does not allow.
    slices: Vec<Option<Slice>>,
    /// Indexed by [`Action::index`]: the action is in the schema's `sensitive` group.
    sensitive: Vec<bool>,
    /// Indexed by [`Action::index`]: the action is in the schema's `needs_verification` group.
    needs_verification: Vec<bool>,
    infos: Vec<PolicyInfo>,
    /// Policy id → position in `infos`.
    by_id: HashMap<String, usize>,
}

/// One loaded policy, as an administrator reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The `@id` annotation.
    pub id: String,
    /// Permit or forbid.
    pub effect: PolicyEffect,
    /// The `@reason` annotation.
    pub reason: String,
}

/// Whether a policy permits or forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyEffect {
    /// A `permit` policy.
    Permit,
    /// A `forbid` policy.
    Forbid,
}

/// The entity type names the engine builds, parsed once.
#[derive(Debug)]
pub(crate) struct EntityTypes {
    pub(crate) operator: EntityTypeName,
    pub(crate) employee: EntityTypeName,
    pub(crate) user: EntityTypeName,
    pub(crate) group: EntityTypeName,
    pub(crate) tenant: EntityTypeName,
}

impl PolicyEngine {
    /// The shipped schema and policy.
    pub fn with_default_policy(settings: PolicySettings) -> Result<PolicyEngine, Error> {
        PolicyEngine::from_sources(DEFAULT_SCHEMA, DEFAULT_POLICY, settings)
    }

    /// A custom schema and policy text (for example an administrator's own file), validated
    /// strictly. Every policy needs `@id("...")` and `@reason("...")`.
    pub fn from_sources(
        schema_text: &str,
        policy_text: &str,
        settings: PolicySettings,
    ) -> Result<PolicyEngine, Error> {
        let (schema, _warnings) = Schema::from_cedarschema_str(schema_text)
            .map_err(|error| Error::Schema(error.to_string()))?;
        let types = EntityTypes {
            operator: type_name("Operator")?,
            employee: type_name("Employee")?,
            user: type_name("User")?,
            group: type_name("Group")?,
            tenant: type_name("Tenant")?,
        };

        let action_type = type_name("Action")?;
        let action_uid =
            |name: &str| EntityUid::from_type_name_and_id(action_type.clone(), EntityId::new(name));
        let declared: Vec<&EntityUid> = schema.actions().collect();
        let mut action_uids = Vec::with_capacity(Action::ALL.len());
        for action in Action::ALL {
            let uid = action_uid(action.as_str());
            if !declared.contains(&&uid) {
                return Err(Error::MissingAction(action.as_str()));
            }
            action_uids.push(uid);
        }

        let action_entities = schema
            .action_entities()
            .map_err(|error| Error::Schema(error.to_string()))?;
        let members_of = |group: &str| -> Vec<bool> {
            let group = action_uid(group);
            action_uids
                .iter()
                .map(|uid| *uid != group && action_entities.is_ancestor_of(&group, uid))
                .collect()
        };
        let sensitive = members_of("sensitive");
        let needs_verification = members_of("needs_verification");
        let mut action_stores = Vec::with_capacity(action_uids.len());
        for uid in &action_uids {
            let entity = action_entities.get(uid).cloned();
            let store = Entities::from_entities(entity, None)
                .map_err(|error| Error::Schema(error.to_string()))?;
            action_stores.push(store);
        }

        let (policies, infos) = load_policies(policy_text)?;
        let validation = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !validation.validation_passed() {
            let errors: Vec<String> = validation
                .validation_errors()
                .map(|error| format!("  - {error}"))
                .collect();
            return Err(Error::Validation(errors.join("\n")));
        }
        let by_id = infos
            .iter()
            .enumerate()
            .map(|(position, info)| (info.id.clone(), position))
            .collect();

        // The request shapes the schema allows (`appliesTo`); other shapes get no slice and are
        // denied without evaluation.
        let shapes: Vec<(EntityTypeName, EntityUid, EntityTypeName)> = schema
            .request_envs()
            .map(|env| {
                (
                    env.principal().clone(),
                    env.action().clone(),
                    env.resource().clone(),
                )
            })
            .collect();
        let mut slices = Vec::with_capacity(Action::ALL.len() * PRINCIPAL_KINDS * RESOURCE_KINDS);
        for action_uid in &action_uids {
            for principal_type in [&types.operator, &types.employee] {
                for resource_type in [&types.user, &types.group, &types.tenant] {
                    let applies = shapes.iter().any(|(principal, action, resource)| {
                        principal == principal_type
                            && action == action_uid
                            && resource == resource_type
                    });
                    if !applies {
                        slices.push(None);
                        continue;
                    }
                    let scope = Scope {
                        principal_type,
                        action: action_uid,
                        resource_type,
                        actions: &action_entities,
                    };
                    let matching = policies.policies().filter(|policy| scope.may_match(policy));
                    slices.push(Some(Slice::new(matching)?));
                }
            }
        }

        let engine = PolicyEngine {
            schema,
            policies,
            settings,
            authorizer: Authorizer::new(),
            types,
            action_uids,
            action_stores,
            slices,
            sensitive,
            needs_verification,
            infos,
            by_id,
        };
        crate::entities::check_conformance(&engine)?;
        Ok(engine)
    }

    /// The settings decisions are made under.
    pub fn settings(&self) -> &PolicySettings {
        &self.settings
    }

    /// The loaded policies, in file order.
    pub fn policies(&self) -> &[PolicyInfo] {
        &self.infos
    }

    /// The loaded policy with this `@id`.
    pub fn policy(&self, id: &str) -> Option<&PolicyInfo> {
        self.by_id.get(id).map(|position| &self.infos[*position])
    }

    /// Whether the schema puts `action` in the `sensitive` group (counted against the hourly
    /// budget).
    pub fn is_sensitive(&self, action: Action) -> bool {
        self.sensitive[action.index()]
    }

    /// Whether the schema puts `action` in the `needs_verification` group.
    pub fn needs_verification(&self, action: Action) -> bool {
        self.needs_verification[action.index()]
    }
}

impl PolicyEngine {
    /// The policies that can match a request of this shape (see the module docs), or `None` when
    /// the schema does not let `action` apply to this kind of principal and resource.
    pub(crate) fn slice(
        &self,
        action: Action,
        principal: PrincipalKind,
        resource: &Resource,
    ) -> Option<&Slice> {
        let principal = match principal {
            PrincipalKind::Operator => 0,
            PrincipalKind::Employee => 1,
        };
        let resource = match resource {
            Resource::User(_) => 0,
            Resource::Group(_) => 1,
            Resource::Tenant => 2,
        };
        self.slices[(action.index() * PRINCIPAL_KINDS + principal) * RESOURCE_KINDS + resource]
            .as_ref()
    }
}

/// The policies of one request shape, split by whether they read the what-if context fields,
/// and by effect. Evaluating a single-effect set yields exactly its satisfied policies.
#[derive(Debug)]
pub(crate) struct Slice {
    pub(crate) fixed_permits: PolicySet,
    pub(crate) fixed_forbids: PolicySet,
    pub(crate) what_if_permits: PolicySet,
    pub(crate) what_if_forbids: PolicySet,
}

/// The context fields a what-if evaluation changes.
const WHAT_IF_FIELDS: [&str; 3] = ["approved_by_second_approver", "approvers", "verification"];

impl Slice {
    fn new<'a>(policies: impl Iterator<Item = &'a Policy>) -> Result<Slice, Error> {
        let mut parts: [Vec<Policy>; 4] = Default::default();
        for policy in policies {
            let what_if = usize::from(reads_what_if_fields(&policy.to_string())) * 2;
            let forbid = usize::from(policy.effect() == CedarEffect::Forbid);
            parts[what_if + forbid].push(policy.clone());
        }
        let [
            fixed_permits,
            fixed_forbids,
            what_if_permits,
            what_if_forbids,
        ] = parts.map(PolicySet::from_policies);
        let set = |part: Result<PolicySet, _>| {
            part.map_err(|error: cedar_policy::PolicySetError| Error::Parse(error.to_string()))
        };
        Ok(Slice {
            fixed_permits: set(fixed_permits)?,
            fixed_forbids: set(fixed_forbids)?,
            what_if_permits: set(what_if_permits)?,
            what_if_forbids: set(what_if_forbids)?,
        })
    }
}

/// Whether a policy's text may read a what-if context field. Conservative: any mention of a
/// field's name counts (even in a string or an annotation), and so does any use of `context`
/// other than an attribute access (`context.x`, `context has x`), such as comparing the whole
/// record.
fn reads_what_if_fields(text: &str) -> bool {
    if WHAT_IF_FIELDS.iter().any(|field| text.contains(field)) {
        return true;
    }
    text.match_indices("context").any(|(position, _)| {
        let rest = text[position + "context".len()..].trim_start();
        !(rest.starts_with('.') || rest.starts_with("has ") || rest.starts_with("has\n"))
    })
}

const PRINCIPAL_KINDS: usize = 2;
const RESOURCE_KINDS: usize = 3;

/// The shape of a request: the principal's and resource's types and the action.
struct Scope<'a> {
    principal_type: &'a EntityTypeName,
    action: &'a EntityUid,
    resource_type: &'a EntityTypeName,
    actions: &'a Entities,
}

impl Scope<'_> {
    /// Whether `policy`'s scope can match a request of this shape. Conservative: a scope naming
    /// a specific parent entity (`principal in Group::"x"`) is kept, since the request's entity
    /// might be its descendant.
    fn may_match(&self, policy: &Policy) -> bool {
        let principal = match policy.principal_constraint() {
            PrincipalConstraint::Any | PrincipalConstraint::In(_) => true,
            PrincipalConstraint::Eq(uid) => uid.type_name() == self.principal_type,
            PrincipalConstraint::Is(type_name) | PrincipalConstraint::IsIn(type_name, _) => {
                type_name == *self.principal_type
            }
        };
        let action = match policy.action_constraint() {
            ActionConstraint::Any => true,
            ActionConstraint::Eq(uid) => uid == *self.action,
            ActionConstraint::In(groups) => groups.iter().any(|group| {
                group == self.action || self.actions.is_ancestor_of(group, self.action)
            }),
        };
        let resource = match policy.resource_constraint() {
            ResourceConstraint::Any | ResourceConstraint::In(_) => true,
            ResourceConstraint::Eq(uid) => uid.type_name() == self.resource_type,
            ResourceConstraint::Is(type_name) | ResourceConstraint::IsIn(type_name, _) => {
                type_name == *self.resource_type
            }
        };
        principal && action && resource
    }
}

/// Parses the policy text and re-identifies each policy by its `@id`.
fn load_policies(policy_text: &str) -> Result<(PolicySet, Vec<PolicyInfo>), Error> {
    let parsed = PolicySet::from_str(policy_text)
        .map_err(|error| Error::Parse(render_parse_errors(&error)))?;
    if let Some(template) = parsed.templates().next() {
        return Err(Error::Template(template.id().to_string()));
    }
    let mut policies = PolicySet::new();
    let mut infos = Vec::new();
    for (position, policy) in parsed.policies().enumerate() {
        let Some(id) = policy.annotation("id") else {
            return Err(Error::MissingAnnotation {
                policy: format!("number {} in the file", position + 1),
                annotation: "id",
            });
        };
        let Some(reason) = policy
            .annotation("reason")
            .filter(|reason| !reason.trim().is_empty())
        else {
            return Err(Error::MissingAnnotation {
                policy: format!("`{id}`"),
                annotation: "reason",
            });
        };
        if id.trim().is_empty() {
            return Err(Error::MissingAnnotation {
                policy: format!("number {} in the file", position + 1),
                annotation: "id",
            });
        }
        let effect = match policy.effect() {
            CedarEffect::Permit => PolicyEffect::Permit,
            CedarEffect::Forbid => PolicyEffect::Forbid,
        };
        let info = PolicyInfo {
            id: id.to_owned(),
            effect,
            reason: reason.to_owned(),
        };
        if policies.add(policy.new_id(PolicyId::new(id))).is_err() {
            return Err(Error::DuplicateId(info.id));
        }
        infos.push(info);
    }
    Ok((policies, infos))
}

fn render_parse_errors(errors: &cedar_policy::ParseErrors) -> String {
    let rendered: Vec<String> = errors.iter().map(|error| error.to_string()).collect();
    rendered.join("; ")
}

fn type_name(basename: &str) -> Result<EntityTypeName, Error> {
    EntityTypeName::from_str(&format!("{NAMESPACE}::{basename}"))
        .map_err(|error| Error::Schema(error.to_string()))
}

#[cfg(test)]
mod tests;
