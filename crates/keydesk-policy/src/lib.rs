//! keydesk's authorization: who may run which helpdesk action on whom, decided by
//! [Cedar](https://www.cedarpolicy.com/) policies that an administrator can read and replace.
//!
//! The moving parts:
//! - [`policies/keydesk.cedarschema`](DEFAULT_SCHEMA) declares principals (operators and
//!   employees with their directory roles and groups), resources (users, groups, the tenant), the
//!   action vocabulary in groups, and the request context.
//! - [`policies/default.cedar`](DEFAULT_POLICY) is the policy keydesk ships: helpdesk on ordinary
//!   users, privileged targets behind a Privileged Authentication Administrator or Global
//!   Administrator plus a second approver, self-service for employees, verification before
//!   credential changes, an hourly budget of sensitive actions.
//! - [`PolicyEngine`] loads a schema and a policy text, validates them strictly (an invalid custom
//!   policy is an error: keydesk fails closed) and keeps them ready.
//! - [`evaluate`] turns typed facts ([`DecisionRequest`]) into a [`Decision`]: allow, deny, or what
//!   is missing (an approval, a verification), with the ids and reasons of the policies that
//!   decided. [`explain`] renders it for `keydesk policy check`.
//!
//! Approvals and verifications are *bound* in Rust before Cedar sees them (see [`binding`]): an
//! approval counts only for the exact plan it was given for, once, before it expires, from someone
//! in the approver set who is neither the requester nor the target. Cedar only receives the
//! outcome (`approved_by_second_approver`, `verification`), so a policy cannot forget one of
//! those checks.
//!
//! Architecture invariant: this crate performs no I/O, reads no clock, spawns nothing and has no
//! `async`. Time is an input (`now`, unix seconds). The policy texts are embedded with
//! `include_str!`; reading a custom file is the caller's job. Every type here is plain data: wire
//! formats belong to the crates at the edges.

#![warn(missing_docs)]

mod action;
pub mod binding;
mod decision;
mod engine;
mod entities;
mod error;
mod explain;
mod facts;

pub use action::Action;
pub use decision::{Decision, Effect, Missing, evaluate};
pub use engine::{DEFAULT_POLICY, DEFAULT_SCHEMA, PolicyEffect, PolicyEngine, PolicyInfo};
pub use error::Error;
pub use explain::explain;
pub use facts::{
    Approval, ContextFacts, DecisionRequest, Origin, PolicySettings, Principal, PrincipalKind,
    Resource, TargetGroup, TargetUser, Verification, VerificationMethod, VerificationMode,
    VerificationStatus, normalize_upn,
};
