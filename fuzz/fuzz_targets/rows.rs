#![no_main]
//! Fuzz target: `passforge::fuzzing::rows`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| passforge::fuzzing::rows(data));
