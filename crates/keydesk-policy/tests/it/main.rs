//! keydesk-policy's integration tests: one binary. `cases` runs the policy cases in
//! `test_data/cases.toml` against the shipped policy.

mod cases;
