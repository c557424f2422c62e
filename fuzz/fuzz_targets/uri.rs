//! Fuzz target: evhttp's URI layer on arbitrary bytes (the properties in
//! tests/uri_props/props.rs, shared with `cargo test --test uri_props`):
//! parse never panics, parse(join(parse(x))) == parse(x), the setters
//! take what the parse gave, escaping round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/uri_props/props.rs"]
mod props;

fuzz_target!(|data: &[u8]| props::check(data));
