#![no_main]
//! Fuzz target: `passforge::fuzzing::template`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| passforge::fuzzing::template(data));
