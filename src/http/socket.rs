//! The socket a server listens on, or a client connects from: bound
//! before use.

use std::ffi::{CStr, CString};
use std::os::raw::c_int;
use std::ptr::null_mut;

/// A non-blocking TCP socket bound to `address:port` (any address when
/// NULL; left unbound, for the kernel to pick, when both are unset); -1
/// on failure.
pub(crate) fn bind_socket(address: Option<&CStr>, port: u16, reuse: bool) -> c_int {
    if address.is_none() && port == 0 {
        // SAFETY: a plain socket call.
        return unsafe {
            libc::socket(
                libc::AF_INET,
                libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
                0,
            )
        };
    }
    let serv = CString::new(port.to_string()).unwrap_or_default();
    // SAFETY: getaddrinfo with a zeroed hints struct and C strings we
    // own; the result list is freed below.
    unsafe {
        let mut hints: libc::addrinfo = std::mem::zeroed();
        hints.ai_family = libc::AF_UNSPEC;
        hints.ai_socktype = libc::SOCK_STREAM;
        hints.ai_flags = libc::AI_PASSIVE | libc::AI_ADDRCONFIG;
        let mut ai: *mut libc::addrinfo = null_mut();
        let host = address.map_or(std::ptr::null(), CStr::as_ptr);
        if libc::getaddrinfo(host, serv.as_ptr(), &hints, &mut ai) != 0 || ai.is_null() {
            return -1;
        }
        let a = &*ai;
        let fd = libc::socket(
            a.ai_family,
            a.ai_socktype | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        );
        let one: c_int = 1;
        let ok = fd != -1
            && libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_KEEPALIVE,
                (&one as *const c_int).cast(),
                std::mem::size_of::<c_int>() as libc::socklen_t,
            ) == 0
            && (!reuse
                || libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_REUSEADDR,
                    (&one as *const c_int).cast(),
                    std::mem::size_of::<c_int>() as libc::socklen_t,
                ) == 0)
            && libc::bind(fd, a.ai_addr, a.ai_addrlen) == 0;
        libc::freeaddrinfo(ai);
        if !ok {
            if fd != -1 {
                let e = *libc::__errno_location();
                libc::close(fd);
                *libc::__errno_location() = e;
            }
            return -1;
        }
        fd
    }
}
