//! Fuzz target: evhttp's message parser (request and status lines,
//! header lines with folding and size limits, body framing, chunks) on
//! arbitrary bytes, with the properties in tests/http_parse/props.rs
//! (shared with `cargo test --test http_parse`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/http_parse/props.rs"]
mod props;

fuzz_target!(|data: &[u8]| props::check(data));
