//! keydesk's own typed view of Graph's JSON, one file per area.
//!
//! These structs are deliberately independent of the emulator's types, so a shared bug cannot
//! hide. They are lenient: unknown fields are ignored, missing fields default, and timestamps
//! that do not parse become `None` rather than failing the whole response. Values Graph may
//! extend (`riskLevel`, `@odata.type`, ...) have an `Unknown` fallback.

pub mod audits;
pub mod auth_methods;
pub mod grants;
pub mod groups;
pub mod mail;
pub mod organization;
pub mod risk;
pub mod roles;
pub mod sign_ins;
mod timestamp;
pub mod users;

pub use audits::*;
pub use auth_methods::*;
pub use grants::*;
pub use groups::*;
pub use mail::*;
pub use organization::*;
pub use risk::*;
pub use roles::*;
pub use sign_ins::*;
pub use users::*;

#[cfg(test)]
mod tests;
