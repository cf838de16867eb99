//! Integration tests of keydesk-investigate: fixtures per detection, the synthetic benchmark of
//! precision and recall, the loader's robustness, the report, and the demo tenant over HTTP.

mod demo;
mod fixtures;
mod loader;
mod report;
mod synthetic;
