//! Which of a server's hosts serves a name: its aliases (and its virtual
//! hosts'), then the virtual host patterns, descending.

use rel_extra::http::message as msg;

use super::structs::{evhttp, server};

/// An alias of this server or of any of its virtual hosts (exactly, in
/// any case); the host that has it.
fn find_alias(h: *mut evhttp, host: &[u8]) -> Option<*mut evhttp> {
    if server(h)
        .aliases
        .iter()
        .any(|a| a.as_bytes().eq_ignore_ascii_case(host))
    {
        return Some(h);
    }
    server(h).vhosts.iter().find_map(|&v| find_alias(v, host))
}

/// The server that serves `host`: an alias first, then the virtual host
/// patterns, descending; `None` when nothing matches.
pub(super) fn find_vhost(h: *mut evhttp, host: &[u8]) -> Option<*mut evhttp> {
    if let Some(found) = find_alias(h, host) {
        return Some(found);
    }
    let mut cur = h;
    let mut found = None;
    loop {
        let next = server(cur).vhosts.iter().copied().find(|&v| {
            server(v)
                .vhost_pattern
                .as_ref()
                .is_some_and(|p| msg::host_matches(p.as_bytes(), host))
        });
        match next {
            Some(v) => {
                cur = v;
                found = Some(v);
            }
            None => return found,
        }
    }
}

pub(crate) fn is_known_host(h: *mut evhttp, host: &[u8]) -> bool {
    !h.is_null() && find_vhost(h, host).is_some()
}
