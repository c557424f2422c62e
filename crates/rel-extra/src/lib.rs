//! libevent_extra's logic in safe Rust, on rel-core's buffers: no C
//! types, no exported symbols (the root crate's `*_api.rs` modules are
//! the C boundary).
//!
//! - [`tag`]: evtag, libevent's tagged wire format (`event_tagging.c`);
//! - [`dns`]: evdns, the resolver and server ports;
//! - [`http`]: evhttp's URIs, query strings, header lists and escaping;
//! - [`rpc`]: evrpc's hooks, meta data and client pool rules.

pub mod dns;
pub mod http;
pub mod rpc;
pub mod tag;
