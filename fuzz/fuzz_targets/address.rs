//! Fuzz target: see `dockcfg_fuzz::check_address` for the input format and the promises checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dockcfg_fuzz::check_address(data));
