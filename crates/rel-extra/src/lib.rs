//! libevent_extra's logic in safe Rust: no C types, no exported symbols
//! (the root crate's `*_api.rs` modules are the C boundary).
//!
//! - [`http`]: evhttp's URIs, query strings, header lists and escaping.

pub mod http;
