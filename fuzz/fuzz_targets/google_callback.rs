#![no_main]
//! Fuzz target: `passforge::fuzzing::google_callback`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| passforge::fuzzing::google_callback(data));
