#![no_main]
//! Fuzz target: `passforge::fuzzing::passkit`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| passforge::fuzzing::passkit(data));
