//! evhttp's string-level pieces, on byte strings (C strings without their
//! NUL): what `event2/http.h` does to URIs, queries and headers.
//!
//! - [`escape`]: percent-encoding, percent-decoding, HTML escaping;
//! - [`uri`]: RFC 3986 URIs as libevent parses, checks and joins them;
//! - [`query`]: `key=value&...` strings;
//! - [`headers`]: which header names and values may be stored, and how
//!   names compare;
//! - [`message`]: request and status lines, header lines, body framing,
//!   reason phrases and error pages.

pub mod escape;
pub mod headers;
pub mod message;
pub mod query;
pub mod uri;
