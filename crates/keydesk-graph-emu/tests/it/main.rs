//! The emulator's integration tests: one binary, each module a suite (see each module's doc).
//! Every test starts its own demo emulator on a loopback port (`harness`).

mod bad_input;
mod cast;
mod harness;
mod openapi;
mod rules;
mod simulation;
