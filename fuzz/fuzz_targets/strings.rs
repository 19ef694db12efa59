#![no_main]
//! Fuzz target: `passforge::fuzzing::strings`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| passforge::fuzzing::strings(data));
