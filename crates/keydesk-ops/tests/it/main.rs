//! keydesk-ops integration tests: every operation runs over real HTTP against the emulator with
//! the Contoso demo tenant, started in-process on `127.0.0.1:0` (a fresh tenant per test).

mod ad;
mod contain;
mod credentials;
mod diagnose;
mod directory;
mod doctor;
mod groups;
mod harness;
mod locked;
mod roles;
mod unlock;
