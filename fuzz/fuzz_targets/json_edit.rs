//! Fuzz target: see `dockcfg_fuzz::check_json_edit` for the input format and the promises checked.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dockcfg_fuzz::check_json_edit(data));
