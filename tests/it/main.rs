//! passforge's integration tests: one test binary, modules inside.

mod batch;
mod broken;
#[cfg(feature = "studio")]
mod browser;
mod cli;
mod examples;
mod formats;
mod front_door;
mod fuzz_corpus;
mod google;
mod rows;
mod samples;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "studio")]
mod studio;
mod support;
