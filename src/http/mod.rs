//! evhttp's objects for C: the server (`struct evhttp`), connections
//! (`struct evhttp_connection`, both the server's incoming ones and
//! clients'), and requests (`struct evhttp_request`, laid out in
//! [`crate::layout::http_struct`]).
//!
//! The HTTP rules (line parsing, body framing, keep-alive, pages) are
//! rel-extra's `http::message`; here they are driven over socket
//! bufferevents and evbuffers through librel's own C API, the way
//! libevent's evhttp drives them, so that callbacks run in the same
//! order and programs may free requests and connections from them.
//!
//! The modules import downwards only, from the bottom:
//! - [`glue`]: the bufferevent/evbuffer/header calls, wrapped once;
//!   [`date`]: the Date header's cache; [`socket`]: binding a socket;
//! - [`structs`]: `struct evhttp` and `struct evhttp_connection`, which
//!   point at each other, and their accessors;
//! - [`vhost`]: which of a server's hosts serves a name;
//! - [`request_state`]: a request made and freed, its first line, its
//!   status, whether it asks to close;
//! - [`head`]: the headers evhttp adds, and a message's first line;
//! - [`connection`]: a connection's state machine (read, write, fail)
//!   and a server's replies;
//! - [`request`]: `evhttp_request_*` and `evhttp_send_*` for C;
//! - [`server`]: `evhttp`, bound sockets, callbacks and virtual hosts;
//!   [`client`]: outgoing connections, retries, `evhttp_make_request`;
//! - [`compat`]: the 1.4 constructors (`event2/http_compat.h`).
//!
//! Where a lower layer must reach a higher one, it calls a pointer the
//! higher one stored: a server's connections hand each request they read
//! to the server's router through `evhttp_connection::handler`.

pub mod client;
pub mod compat;
pub mod connection;
mod date;
mod glue;
mod head;
pub mod request;
mod request_state;
pub mod server;
mod socket;
mod structs;
mod vhost;

pub use structs::{evhttp, evhttp_bound_socket, evhttp_connection};

use std::os::raw::c_int;

/// `enum evhttp_cmd_type` (one bit per method).
pub type evhttp_cmd_type = c_int;
/// `enum evhttp_request_kind`.
pub type evhttp_request_kind = c_int;
/// `enum evhttp_request_error`.
pub type evhttp_request_error = c_int;

pub const EVHTTP_REQUEST: evhttp_request_kind = 0;
pub const EVHTTP_RESPONSE: evhttp_request_kind = 1;

pub const EVREQ_HTTP_TIMEOUT: evhttp_request_error = 0;
pub const EVREQ_HTTP_EOF: evhttp_request_error = 1;
pub const EVREQ_HTTP_INVALID_HEADER: evhttp_request_error = 2;
pub const EVREQ_HTTP_BUFFER_ERROR: evhttp_request_error = 3;
pub const EVREQ_HTTP_REQUEST_CANCEL: evhttp_request_error = 4;
pub const EVREQ_HTTP_DATA_TOO_LONG: evhttp_request_error = 5;
