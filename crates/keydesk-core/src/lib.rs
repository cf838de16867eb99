//! keydesk's domain core: the vocabulary shared by every front end, and the decisions that need
//! no I/O — generating temporary passwords, and diagnosing why a user cannot sign in from the
//! evidence gathered elsewhere.
//!
//! Architecture invariant: this crate performs no I/O, reads no clock and spawns nothing. Time is
//! an argument; randomness comes from a caller-supplied generator (the OS generator in
//! production).

pub mod diagnosis;
pub mod secret;

pub use secret::Secret;
