//! Fuzz target: libFuzzer's bytes as evtag input for every decoder
//! (`rel_model::run_tag_decode`, shared with `cargo test --test
//! tag_decode`); a panic, an out-of-bounds read or a divergence fails.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rel_model::{run_tag_decode, Bytes};

fuzz_target!(|data: &[u8]| {
    if let Err(e) = run_tag_decode(&mut Bytes::new(data)) {
        panic!("evtag decode mismatch:\n{e}");
    }
});
