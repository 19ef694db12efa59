//! passforge's integration tests: one test binary, modules inside.

mod batch;
mod broken;
mod cli;
mod examples;
mod front_door;
mod google;
mod rows;
mod samples;
#[cfg(feature = "server")]
mod service;
mod support;
