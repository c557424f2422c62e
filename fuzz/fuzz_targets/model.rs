//! Fuzz target: the fuzzer's bytes choose the backend and the operations of
//! one sequence of the model test (tests/model/mod.rs, shared with
//! `cargo test --test model`); any discrepancy with the model panics.
#![no_main]

#[path = "../../tests/model/mod.rs"]
mod model;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = model::run_sequence(&mut model::Bytes::new(data)) {
        panic!("model mismatch:\n{e}");
    }
});
