//! librel: libevent 2.1's C API and ABI over the safe event loop of the
//! `rel-core` crate.
//!
//! Every module here is C boundary, written in one idiom
//! ([`boundary`]): one module per public header, imports in one
//! direction, no rules of the event loop.
//!
//! - leaves: [`boundary`] (panics, refusals, the safety contract),
//!   [`layout`] (`#[repr(C)]` structs), [`objects`] (what C points at);
//! - [`legacy`]: the 1.4 API's process-wide state;
//! - [`dispatch`]: how the loop calls C;
//! - [`variadic`]: the exported names of the C-variadic calls;
//! - the headers: [`util`], [`log_api`], [`event_api`], [`base_api`],
//!   [`compat`], [`thread`], [`hosted`], [`listener_api`].

#![allow(non_camel_case_types, clippy::missing_safety_doc)]

mod boundary;
mod buffer_obj;
pub mod layout;
mod objects;

mod dispatch;
mod legacy;
mod variadic;

pub mod base_api;
pub mod buffer_api;
pub mod buffer_compat;
pub mod compat;
pub mod dns;
pub mod event_api;
pub mod hosted;
pub mod http;
pub mod http_api;
pub mod listener_api;
pub mod log_api;
pub mod thread;
pub mod util;

mod bufferevent;
pub mod bufferevent_api;
pub mod bufferevent_compat;
pub mod ratelimit_api;
mod rpc;

pub mod rpc_api;
pub mod tag_api;

pub use buffer_obj::evbuffer;
pub use objects::{event_base, event_config};
