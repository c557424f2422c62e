//! A server's connections: made for each accepted socket, given one
//! request at a time (the next once a reply is written, see `reply`).

use std::os::raw::c_int;
use std::ptr::null_mut;

use super::*;

/// A server's new connection on accepted socket `fd`.
pub(crate) fn accept(
    http: *mut evhttp,
    fd: c_int,
    sa: *const libc::sockaddr,
    salen: libc::socklen_t,
) -> *mut evhttp_connection {
    let Some((host, port)) = name_of(sa, salen) else {
        return null_mut();
    };
    let s = structs::server(http);
    let bev = match s.bevcb {
        // SAFETY: the program's bufferevent factory and argument.
        Some(f) => unsafe { f(s.base, s.bevcb_arg) },
        None => null_mut(),
    };
    let c = new(s.base, null_mut(), bev, &host, port);
    if c.is_null() {
        return c;
    }
    let e = conn(c);
    e.max_headers_size = s.max_headers_size;
    e.max_body_size = s.max_body_size;
    if s.flags & structs::EVHTTP_SERVER_LINGERING_CLOSE != 0 {
        e.flags |= EVHTTP_CON_LINGERING_CLOSE;
    }
    e.flags |= CON_INCOMING;
    e.state = State::ReadingFirstline;
    if setfd(e.bufev, fd) != 0 || enable(e.bufev, EV_READ) != 0 {
        free(c);
        return null_mut();
    }
    disable(e.bufev, EV_WRITE);
    // SAFETY: a zeroed sockaddr_storage, then `salen` bytes of the peer
    // address the listener gave (no more than the storage holds).
    unsafe {
        let mut ss: libc::sockaddr_storage = std::mem::zeroed();
        let n = (salen as usize).min(std::mem::size_of::<libc::sockaddr_storage>());
        std::ptr::copy_nonoverlapping(
            sa.cast::<u8>(),
            (&mut ss as *mut libc::sockaddr_storage).cast::<u8>(),
            n,
        );
        e.peer = Some((ss, n as libc::socklen_t));
        e.addr = ss;
    }
    c
}

/// An IPv4 address as inet_ntop writes it.
fn dotted(octets: [u8; 4]) -> Vec<u8> {
    let mut host = Vec::with_capacity(15);
    for (i, &o) in octets.iter().enumerate() {
        if i > 0 {
            host.push(b'.');
        }
        let digits = [o / 100, o / 10 % 10, o % 10];
        let skip = match o {
            100.. => 0,
            10.. => 1,
            _ => 2,
        };
        host.extend(digits[skip..].iter().map(|d| b'0' + d));
    }
    host
}

/// Numeric host and port of a socket address: IPv4 written here (what
/// getnameinfo writes, at a tenth of its cost), anything else by
/// getnameinfo.
fn name_of(sa: *const libc::sockaddr, salen: libc::socklen_t) -> Option<(Vec<u8>, u16)> {
    if salen as usize >= std::mem::size_of::<libc::sockaddr_in>() {
        // SAFETY: `sa` holds `salen` bytes, enough for a sockaddr_in,
        // whose family field is where every sockaddr's is.
        let sin = unsafe { &*sa.cast::<libc::sockaddr_in>() };
        if c_int::from(sin.sin_family) == libc::AF_INET {
            let host = dotted(sin.sin_addr.s_addr.to_ne_bytes());
            return Some((host, u16::from_be(sin.sin_port)));
        }
    }
    let mut host = [0 as libc::c_char; 1025];
    let mut serv = [0 as libc::c_char; 32];
    // SAFETY: `sa` is the accepted peer's address of `salen` bytes; the
    // output buffers are locals of the sizes given.
    let r = unsafe {
        libc::getnameinfo(
            sa,
            salen,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            serv.as_mut_ptr(),
            serv.len() as libc::socklen_t,
            libc::NI_NUMERICHOST | libc::NI_NUMERICSERV,
        )
    };
    if r != 0 {
        return None;
    }
    // SAFETY: getnameinfo wrote NUL-terminated strings.
    let (h, p) = unsafe {
        (
            std::ffi::CStr::from_ptr(host.as_ptr()).to_bytes().to_vec(),
            std::ffi::CStr::from_ptr(serv.as_ptr()).to_string_lossy(),
        )
    };
    Some((h, p.parse().unwrap_or(0)))
}

/// Starts reading the next request of a server connection.
pub(crate) fn associate_new_request(c: *mut evhttp_connection) -> bool {
    let http = conn(c).server;
    let r = request_state::new(conn(c).handler, http.cast());
    if r.is_null() {
        return false;
    }
    let q = req(r);
    q.remote_host = crate::layout::keyvalq_struct::c_bytes(conn(c).address.as_bytes());
    q.remote_port = conn(c).port;
    q.evcon = c;
    q.flags |= EVHTTP_REQ_OWN_CONNECTION;
    q.bits |= REQ_USERDONE;
    q.kind = EVHTTP_REQUEST;
    conn(c).requests.push_back(r);
    start_read(c);
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn dotted_is_inet_ntop() {
        for o in [0u8, 1, 9, 10, 42, 99, 100, 127, 199, 200, 255] {
            let a = [o, 255 - o, o / 2, 7];
            let want = std::net::Ipv4Addr::from(a).to_string();
            assert_eq!(super::dotted(a), want.as_bytes());
        }
    }
}
