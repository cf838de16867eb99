//! The planner's integration tests: the request corpus, the property tests and the
//! model-backed planner against a fake endpoint, all on the Contoso demo tenant.

mod corpus;
mod fixture;
mod model;
mod property;
