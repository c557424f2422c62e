//! librel: the libevent 2.1 core (event loop, timers, signals) in Rust, with
//! libevent's C API and ABI.
//!
//! [`core`] is the event loop proper; [`ffi`] is the C boundary over it.

pub mod core;
pub mod ffi;
