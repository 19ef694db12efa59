#![no_main]
//! Fuzz target: `passforge::fuzzing::template_zip`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| passforge::fuzzing::template_zip(data));
