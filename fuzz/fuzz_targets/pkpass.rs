#![no_main]
//! Fuzz target: `passforge::fuzzing::pkpass`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| passforge::fuzzing::pkpass(data));
