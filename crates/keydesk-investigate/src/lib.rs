//! Compromise investigation for keydesk: collect and preserve evidence, detect, decide, plan
//! containment, report.
//!
//! The pipeline an incident responder follows, as pure functions over an [`Evidence`] value:
//!
//! ```text
//! collect (Graph) ─┐
//!                  ├─▶ Evidence ─▶ investigate() ─▶ Investigation { findings, verdict }
//! load (file) ─────┘                                   │
//!                                                      ├─▶ plan_containment() ─▶ ContainmentPlan
//!                                                      └─▶ report::render_*() ─▶ Markdown / HTML / JSON
//! SignIn file ─▶ load_hunt_file() ─▶ hunt() ─▶ HuntReport (tenant-wide spray, stuffing, lockouts)
//! ```
//!
//! Layout:
//! - [`model`]: the evidence model (sign-ins, risk, methods, audits, grants) and its lenient serde.
//! - [`load`]: the offline loader for sign-in export files (`{"value":[...]}` or a bare array),
//!   streaming, parallel and bounded in memory.
//! - [`collect`]: gathering one user's evidence through [`keydesk_graph::GraphClient`], and the
//!   hashed evidence snapshot.
//! - [`config`]: every threshold and list the detections use, in one [`Config`].
//! - [`signals`]: the error-code table and the string tables (legacy clients, tool user agents,
//!   scope tiers, MFA result texts).
//! - [`detect`]: the per-user detections ([`investigate`]) and the [`Finding`] type.
//! - [`hunt`]: tenant-wide detections over many users.
//! - [`verdict`]: compromised / suspicious / clean, with reasoning.
//! - [`contain`]: the containment plan (pure data; executing it is the caller's job).
//! - [`report`]: the incident report in Markdown, self-contained HTML and JSON, with an SVG map.
//! - [`output`]: the `--json` shapes of `keydesk investigate` and `keydesk hunt`.
//! - [`synth`]: the seeded synthetic sign-in generator with ground-truth labels.
//!
//! Invariants: nothing here writes to a tenant; detection, verdict, plan and report are pure
//! (time is an input); loading never panics on malformed input.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod collect;
pub mod config;
pub mod contain;
pub mod detect;
mod error;
pub mod geo;
pub mod hunt;
pub mod load;
pub mod model;
pub mod output;
pub mod report;
pub mod signals;
pub mod synth;
pub mod verdict;

pub use collect::{
    CollectOptions, EvidenceSnapshot, collect_evidence, collect_tenant_sign_ins, write_snapshot,
};
pub use config::{Config, IpList, IpNet};
pub use contain::{
    ContainmentAction, ContainmentPlan, ContainmentStep, FollowUp, plan_containment,
};
pub use detect::{Finding, FindingKind, Investigation, Severity, investigate};
pub use error::Error;
pub use hunt::{HuntReport, hunt};
pub use load::{LoadStats, load_hunt_file, load_sign_ins_file, load_sign_ins_slice};
pub use model::{Evidence, HuntSignIn, SignIn, Timestamp, Window};
pub use output::{HuntOutput, InvestigateOutput};
pub use verdict::{Basis, Verdict, VerdictKind};
