//! evdns (libevent's `event2/dns.h`): an asynchronous stub resolver and
//! DNS server ports, as safe logic over bytes, addresses and instants.
//!
//! - [`wire`]: packets (queries, the reply walk, server requests and
//!   replies), and why no wire-format crate is used at run time;
//! - [`conf`]: resolv.conf lines, hosts files, option values;
//! - [`resolver`]: the request state machine (ids, retries, timeouts,
//!   search list, nameservers down and probed);
//! - [`gai`]: the part of getaddrinfo answered without a query (numeric
//!   hosts, ports, hints) and how A and AAAA answers combine.
//!
//! The C layer (`src/dns/` in the root crate) owns sockets, events and
//! callbacks, and carries out the resolver's actions.

pub mod conf;
pub mod gai;
pub mod resolver;
pub mod wire;

pub const DNS_ERR_NONE: i32 = 0;
pub const DNS_ERR_FORMAT: i32 = 1;
pub const DNS_ERR_SERVERFAILED: i32 = 2;
pub const DNS_ERR_NOTEXIST: i32 = 3;
pub const DNS_ERR_NOTIMPL: i32 = 4;
pub const DNS_ERR_REFUSED: i32 = 5;
pub const DNS_ERR_TRUNCATED: i32 = 65;
pub const DNS_ERR_UNKNOWN: i32 = 66;
pub const DNS_ERR_TIMEOUT: i32 = 67;
pub const DNS_ERR_SHUTDOWN: i32 = 68;
pub const DNS_ERR_CANCEL: i32 = 69;
pub const DNS_ERR_NODATA: i32 = 70;

pub const DNS_QUERY_NO_SEARCH: i32 = 1;

pub const DNS_OPTION_SEARCH: i32 = 1;
pub const DNS_OPTION_NAMESERVERS: i32 = 2;
pub const DNS_OPTION_MISC: i32 = 4;
pub const DNS_OPTION_HOSTSFILE: i32 = 8;
pub const DNS_OPTIONS_ALL: i32 = 15;
pub const DNS_OPTION_NAMESERVERS_NO_DEFAULT: i32 = 16;

pub const LOG_MSG: i32 = 1;
pub const LOG_WARN: i32 = 2;

/// `evdns_err_to_string`'s words.
pub fn err_to_string(err: i32) -> &'static str {
    match err {
        DNS_ERR_NONE => "no error",
        DNS_ERR_FORMAT => "misformatted query",
        DNS_ERR_SERVERFAILED => "server failed",
        DNS_ERR_NOTEXIST => "name does not exist",
        DNS_ERR_NOTIMPL => "query not implemented",
        DNS_ERR_REFUSED => "refused",
        DNS_ERR_TRUNCATED => "reply truncated or ill-formed",
        DNS_ERR_UNKNOWN => "unknown",
        DNS_ERR_TIMEOUT => "request timed out",
        DNS_ERR_SHUTDOWN => "dns subsystem shut down",
        DNS_ERR_CANCEL => "dns request canceled",
        DNS_ERR_NODATA => "no records in the reply",
        _ => "[Unknown error code]",
    }
}
