//! Secrets: the graph client uses keydesk-core's [`Secret`] for passwords, client secrets,
//! private keys, access tokens and TAP values, so one type with no `Display` and no `Serialize`
//! guards every secret in keydesk.

pub use keydesk_core::Secret;
