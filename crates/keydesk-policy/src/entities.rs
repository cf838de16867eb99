//! Turning typed facts into Cedar entities, context and requests.
//!
//! UPNs are lower-cased here, so policies compare them with plain `==`. Entities are built once
//! per decision and shared by every evaluation of it (the real one and the hypothetical ones);
//! only the context changes between those.
//!
//! Conformance to the schema is checked once, when the engine loads ([`check_conformance`]): the
//! entities and context built here have a fixed shape, so a schema they do not fit (a custom one
//! that renamed an attribute, say) is refused at load rather than discovered per request, and
//! requests are built without re-checking them, which would be most of the cost of building them.

use cedar_policy::{
    Context, Entities, Entity, EntityId, EntityUid, Request, RestrictedExpression, Schema,
};

use crate::engine::PolicyEngine;
use crate::facts::normalize_upn;
use crate::{
    Action, ContextFacts, DecisionRequest, Error, Origin, Principal, PrincipalKind, Resource,
    TargetGroup, TargetUser,
};

/// The fixed id of the tenant entity.
const TENANT_ID: &str = "tenant";

/// The Cedar view of one decision request: its entities and the uids it names.
pub(crate) struct CedarFacts {
    pub(crate) entities: Entities,
    principal: EntityUid,
    action: EntityUid,
    resource: EntityUid,
}

/// What keydesk concluded about approvals and verification, as the policy sees it.
#[derive(Debug, Clone)]
pub(crate) struct ContextOutcome {
    pub(crate) approved_by_second_approver: bool,
    pub(crate) approvers: Vec<String>,
    /// `"verified"`, `"skipped"` or `"none"`.
    pub(crate) verification: &'static str,
}

impl CedarFacts {
    pub(crate) fn build(
        engine: &PolicyEngine,
        request: &DecisionRequest,
    ) -> Result<CedarFacts, String> {
        CedarFacts::build_checked(engine, request, None)
    }

    /// Builds the facts; with `schema`, also checks the entities against it.
    fn build_checked(
        engine: &PolicyEngine,
        request: &DecisionRequest,
        schema: Option<&Schema>,
    ) -> Result<CedarFacts, String> {
        let (principal, principal_entity) = principal_entity(engine, &request.principal)?;
        let (resource, resource_entity) = resource_entity(engine, &request.resource)?;
        let entities = engine.action_stores[request.action.index()]
            .clone()
            .add_entities([principal_entity, resource_entity], schema)
            .map_err(|error| format!("the facts do not fit the schema: {error}"))?;
        Ok(CedarFacts {
            entities,
            principal,
            action: engine.action_uids[request.action.index()].clone(),
            resource,
        })
    }

    /// The Cedar request under one context outcome. Not checked against the schema: its shape
    /// was checked at load ([`check_conformance`]) and the engine only evaluates actions on the
    /// kinds of principal and resource the schema's `appliesTo` allows.
    pub(crate) fn request(
        &self,
        engine: &PolicyEngine,
        context: &ContextFacts,
        outcome: &ContextOutcome,
    ) -> Result<Request, String> {
        self.request_checked(engine, context, outcome, None)
    }

    fn request_checked(
        &self,
        engine: &PolicyEngine,
        context: &ContextFacts,
        outcome: &ContextOutcome,
        schema: Option<&Schema>,
    ) -> Result<Request, String> {
        let pairs = [
            (
                "approved_by_second_approver",
                RestrictedExpression::new_bool(outcome.approved_by_second_approver),
            ),
            (
                "approvers",
                string_set(outcome.approvers.iter().map(String::as_str)),
            ),
            (
                "verification",
                RestrictedExpression::new_string(outcome.verification.to_owned()),
            ),
            (
                "origin",
                RestrictedExpression::new_string(context.origin.as_str().to_owned()),
            ),
            ("bulk", RestrictedExpression::new_bool(context.bulk)),
            ("now", RestrictedExpression::new_long(context.now)),
            (
                "sensitive_actions_last_hour",
                RestrictedExpression::new_long(i64::from(context.sensitive_actions_last_hour)),
            ),
            (
                "hourly_sensitive_budget",
                RestrictedExpression::new_long(i64::from(engine.settings.hourly_sensitive_budget)),
            ),
            (
                "profile_fields",
                string_set(context.profile_fields.iter().map(String::as_str)),
            ),
        ];
        let context = Context::from_pairs(pairs.map(|(key, value)| (key.to_owned(), value)))
            .map_err(|error| format!("invalid context: {error}"))?;
        Request::new(
            self.principal.clone(),
            self.action.clone(),
            self.resource.clone(),
            context,
            schema,
        )
        .map_err(|error| format!("the request does not fit the schema: {error}"))
    }
}

/// Checks, at load, that the entities and context keydesk builds fit the schema: one sample of
/// each principal kind and resource kind, and a sample context.
pub(crate) fn check_conformance(engine: &PolicyEngine) -> Result<(), Error> {
    let principals = [PrincipalKind::Operator, PrincipalKind::Employee].map(|kind| Principal {
        upn: "sample@example.com".into(),
        kind,
        directory_roles: vec!["Sample Role".into()],
        groups: vec!["Sample Group".into()],
        unlock_any_account: false,
    });
    let resources = [
        (
            Action::PasswordReset,
            Resource::User(TargetUser {
                upn: "target@example.com".into(),
                department: "Sample".into(),
                privileged_roles: vec![],
                synced: false,
                mfa_registered: true,
            }),
        ),
        (
            Action::GrantAccess,
            Resource::Group(TargetGroup {
                name: "Sample Group".into(),
                owners: vec!["owner@example.com".into()],
                privileged: false,
            }),
        ),
        (Action::SearchUsers, Resource::Tenant),
    ];
    let context = ContextFacts {
        plan_hash: String::new(),
        approvals: vec![],
        verification: None,
        origin: Origin::Cli,
        bulk: false,
        now: 0,
        sensitive_actions_last_hour: 0,
        profile_fields: vec!["jobTitle".into()],
    };
    let outcome = ContextOutcome {
        approved_by_second_approver: false,
        approvers: vec!["approver@example.com".into()],
        verification: "none",
    };
    for principal in &principals {
        for (action, resource) in &resources {
            let request = DecisionRequest {
                principal: principal.clone(),
                action: *action,
                resource: resource.clone(),
                context: context.clone(),
            };
            let facts = CedarFacts::build_checked(engine, &request, Some(&engine.schema)).map_err(
                |error| Error::Schema(format!("keydesk's facts do not fit it: {error}")),
            )?;
            facts
                .request_checked(engine, &request.context, &outcome, Some(&engine.schema))
                .map_err(|error| {
                    Error::Schema(format!("keydesk's facts do not fit it: {error}"))
                })?;
        }
    }
    Ok(())
}

fn principal_entity(
    engine: &PolicyEngine,
    principal: &Principal,
) -> Result<(EntityUid, Entity), String> {
    let type_name = match principal.kind {
        PrincipalKind::Operator => engine.types.operator.clone(),
        PrincipalKind::Employee => engine.types.employee.clone(),
    };
    let upn = normalize_upn(&principal.upn);
    let uid = EntityUid::from_type_name_and_id(type_name, EntityId::new(&upn));
    let attrs = [
        ("upn", RestrictedExpression::new_string(upn)),
        (
            "roles",
            string_set(principal.directory_roles.iter().map(String::as_str)),
        ),
        (
            "groups",
            string_set(principal.groups.iter().map(String::as_str)),
        ),
        (
            "unlock_any_account",
            RestrictedExpression::new_bool(principal.unlock_any_account),
        ),
    ];
    let entity = entity(uid.clone(), attrs, "principal")?;
    Ok((uid, entity))
}

fn resource_entity(
    engine: &PolicyEngine,
    resource: &Resource,
) -> Result<(EntityUid, Entity), String> {
    match resource {
        Resource::User(user) => {
            let upn = normalize_upn(&user.upn);
            let uid =
                EntityUid::from_type_name_and_id(engine.types.user.clone(), EntityId::new(&upn));
            let attrs = [
                ("upn", RestrictedExpression::new_string(upn)),
                (
                    "department",
                    RestrictedExpression::new_string(user.department.clone()),
                ),
                (
                    "privileged_roles",
                    string_set(user.privileged_roles.iter().map(String::as_str)),
                ),
                ("synced", RestrictedExpression::new_bool(user.synced)),
                (
                    "mfa_registered",
                    RestrictedExpression::new_bool(user.mfa_registered),
                ),
            ];
            let entity = entity(uid.clone(), attrs, "target user")?;
            Ok((uid, entity))
        }
        Resource::Group(group) => {
            let uid = EntityUid::from_type_name_and_id(
                engine.types.group.clone(),
                EntityId::new(&group.name),
            );
            let owners: Vec<String> = group
                .owners
                .iter()
                .map(|owner| normalize_upn(owner))
                .collect();
            let attrs = [
                ("name", RestrictedExpression::new_string(group.name.clone())),
                (
                    "privileged",
                    RestrictedExpression::new_bool(group.privileged),
                ),
                ("owners", string_set(owners.iter().map(String::as_str))),
            ];
            let entity = entity(uid.clone(), attrs, "target group")?;
            Ok((uid, entity))
        }
        Resource::Tenant => {
            let uid = EntityUid::from_type_name_and_id(
                engine.types.tenant.clone(),
                EntityId::new(TENANT_ID),
            );
            Ok((uid.clone(), Entity::new_no_attrs(uid, Default::default())))
        }
    }
}

/// An entity with these attributes; `what` names it in the error.
fn entity<const N: usize>(
    uid: EntityUid,
    attrs: [(&str, RestrictedExpression); N],
    what: &str,
) -> Result<Entity, String> {
    Entity::new_with_tags(
        uid,
        attrs.map(|(key, value)| (key.to_owned(), value)),
        [],
        [],
    )
    .map_err(|error| format!("invalid {what}: {error}"))
}

fn string_set<'a>(values: impl Iterator<Item = &'a str>) -> RestrictedExpression {
    RestrictedExpression::new_set(
        values.map(|value| RestrictedExpression::new_string(value.to_owned())),
    )
}
