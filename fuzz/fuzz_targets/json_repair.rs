//! Fuzz target: see `dockcfg_fuzz::check_repair` for the promises checked (the input is the file).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dockcfg_fuzz::check_repair(data));
