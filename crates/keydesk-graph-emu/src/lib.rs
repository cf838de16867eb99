//! Offline Microsoft Graph emulator with the Contoso demo tenant.
//!
//! An in-memory tenant ([`model::TenantState`]) behind an axum server that speaks Graph's v1.0
//! and beta dialect for the paths keydesk uses, the identity platform's client-credentials token
//! endpoint, and a control plane under `/_emulator` for simulation (sign-ins, clock, faults,
//! throttling, outbox).
//!
//! Architecture invariant: this crate shares no model types with the Graph client
//! (`keydesk-graph`), so that one misreading of Graph cannot hide in both.

pub mod auth;
pub mod control;
pub mod error;
pub mod http;
pub mod model;
pub mod odata;
pub mod seed;
pub mod server;
pub mod signin;
pub mod tenant;
pub mod throttle;

pub use error::{Error, GraphError};
pub use seed::SeedConfig;
pub use server::{Emulator, RunningEmulator, SimulationConfig};
pub use throttle::ThrottleConfig;
